"""Report texts: the editable Markdown of the programme's chapters per year and job center.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_texts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("jobcenter_id", sa.String(64), nullable=False),
        sa.Column("chapter", sa.String(64), nullable=False),
        sa.Column("markdown", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("year", "jobcenter_id", "chapter", name="uq_report_texts_chapter"),
    )


def downgrade() -> None:
    op.drop_table("report_texts")
