"""Planning: target plans (Zielplanung) per year, job center, team and sex, their versions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

``plans`` holds one row per saved version of a plan (the job center's own target when
``team_id`` is NULL, else one team's bottom-up plan); ``plan_values`` the planned figures of a
version per sex (all, m, w) and measure (integrations, elb_jdw, lzb_dec). The value lists are
copied here on purpose (a migration describes the schema at its revision).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SEXES = ("all", "m", "w")
_MEASURES = ("integrations", "elb_jdw", "lzb_dec")
_STATUSES = ("draft", "agreed")
_SOURCES = ("manual", "proposal")


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        "plans",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("jobcenter_id", sa.String(64), nullable=False),
        sa.Column("team_id", sa.String(64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agreed_by", sa.String(64), nullable=True),
        sa.Column("agreed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.UniqueConstraint("year", "jobcenter_id", "team_id", "version", name="uq_plans_version"),
        sa.CheckConstraint(_in("status", _STATUSES), name="ck_plans_status"),
        sa.CheckConstraint(_in("source", _SOURCES), name="ck_plans_source"),
        sa.CheckConstraint("version >= 1", name="ck_plans_version"),
        sa.CheckConstraint("year BETWEEN 2000 AND 2100", name="ck_plans_year"),
        # An agreed version says who agreed it and when; a draft does not.
        sa.CheckConstraint(
            "(status = 'agreed') = (agreed_by IS NOT NULL AND agreed_at IS NOT NULL)", name="ck_plans_agreed"
        ),
    )
    # NULLs are distinct in the unique constraint above: the job center's own plan (team_id NULL)
    # gets its version numbers kept unique by a partial index.
    op.create_index(
        "uq_plans_jobcenter_version",
        "plans",
        ["year", "jobcenter_id", "version"],
        unique=True,
        sqlite_where=sa.text("team_id IS NULL"),
        postgresql_where=sa.text("team_id IS NULL"),
    )
    op.create_table(
        "plan_values",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("sex", sa.String(3), nullable=False),
        sa.Column("measure", sa.String(16), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], ondelete="CASCADE", name="fk_plan_values_plan_id"),
        sa.UniqueConstraint("plan_id", "sex", "measure", name="uq_plan_values_entry"),
        sa.CheckConstraint(_in("sex", _SEXES), name="ck_plan_values_sex"),
        sa.CheckConstraint(_in("measure", _MEASURES), name="ck_plan_values_measure"),
        sa.CheckConstraint("value >= 0", name="ck_plan_values_value"),
    )
    op.create_index("ix_plan_values_plan_id", "plan_values", ["plan_id"])


def downgrade() -> None:
    op.drop_index("ix_plan_values_plan_id", table_name="plan_values")
    op.drop_table("plan_values")
    op.drop_index("uq_plans_jobcenter_version", table_name="plans")
    op.drop_table("plans")
