"""Intensive care (Intensivbetreuung): places taken by integration specialists and their meeting records.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22

``intensive_places``: one customer (pseudonymous ``person_id``) in intensive care with one IFK for
six months; ``intensive_meetings``: the monthly meeting records of a place. The status list is
copied here on purpose (a migration describes the schema at its revision).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATUSES = ("active", "finished", "ended_early")


def upgrade() -> None:
    op.create_table(
        "intensive_places",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("jobcenter_id", sa.String(64), nullable=False),
        sa.Column("caseworker_id", sa.String(64), nullable=False),
        sa.Column("team_id", sa.String(64), nullable=True),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taken_by", sa.String(64), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("integrated_on", sa.Date(), nullable=True),
        sa.Column("further_support_needed", sa.Boolean(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=True),
    )
    op.create_index(
        "ix_intensive_places_caseworker", "intensive_places", ["jobcenter_id", "caseworker_id", "start_date"]
    )
    op.create_index("ix_intensive_places_person", "intensive_places", ["jobcenter_id", "person_id"])
    op.create_table(
        "intensive_meetings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("situation", sa.Text(), nullable=False),
        sa.Column("agreed_steps", sa.Text(), nullable=False),
        sa.Column("review_of_previous", sa.Text(), nullable=True),
        sa.Column("integrated", sa.Boolean(), nullable=False),
        sa.Column("further_support_needed", sa.Boolean(), nullable=True),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["place_id"], ["intensive_places.id"], ondelete="CASCADE", name="fk_intensive_meetings_place_id"
        ),
    )
    op.create_index("ix_intensive_meetings_place_id", "intensive_meetings", ["place_id"])


def downgrade() -> None:
    op.drop_index("ix_intensive_meetings_place_id", table_name="intensive_meetings")
    op.drop_table("intensive_meetings")
    op.drop_index("ix_intensive_places_person", table_name="intensive_places")
    op.drop_index("ix_intensive_places_caseworker", table_name="intensive_places")
    op.drop_table("intensive_places")
