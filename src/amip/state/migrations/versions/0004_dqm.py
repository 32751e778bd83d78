"""Data-quality management: rule runs, findings as tasks, rates, notifications; users.email.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22

The status list is copied here on purpose (a migration describes the schema at its revision).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATUSES = ("offen", "in_bearbeitung", "erledigt", "kein_fehler", "erledigt_daten")
_RESPONSIBLE = ("ifk", "team", "leistung")


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("email", sa.String(255), nullable=True))
    op.create_table(
        "dqm_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        _ts("started_at"),
        _ts("finished_at", nullable=True),
        sa.Column("data_month", sa.String(7), nullable=False),
        sa.Column("findings", sa.Integer(), nullable=False),
        sa.Column("new", sa.Integer(), nullable=False),
        sa.Column("closed", sa.Integer(), nullable=False),
    )
    op.create_table(
        "dqm_tasks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("rule_id", sa.String(8), nullable=False),
        sa.Column("finding_key", sa.String(160), nullable=False),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("responsible", sa.String(16), nullable=False),
        sa.Column("caseworker_id", sa.String(64), nullable=True),
        sa.Column("team_id", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        sa.Column("updated_by", sa.String(64), nullable=True),
        sa.Column("first_run_id", sa.Integer(), nullable=False),
        sa.Column("last_run_id", sa.Integer(), nullable=False),
        sa.UniqueConstraint("rule_id", "finding_key", name="uq_dqm_tasks_finding"),
        sa.CheckConstraint(_in("status", _STATUSES), name="ck_dqm_tasks_status"),
        sa.CheckConstraint(_in("responsible", _RESPONSIBLE), name="ck_dqm_tasks_responsible"),
        # "kein Fehler" always carries its reason
        sa.CheckConstraint(
            "status <> 'kein_fehler' OR (reason IS NOT NULL AND reason <> '')", name="ck_dqm_tasks_reason"
        ),
    )
    for column in ("status", "caseworker_id", "team_id", "person_id"):
        op.create_index(f"ix_dqm_tasks_{column}", "dqm_tasks", [column])
    op.create_table(
        "dqm_rates",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("rule_id", sa.String(8), nullable=False),
        sa.Column("team_id", sa.String(64), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("findings", sa.Integer(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.UniqueConstraint("rule_id", "team_id", "month", name="uq_dqm_rates_cell"),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("link", sa.String(255), nullable=True),
        _ts("created_at"),
        _ts("read_at", nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE", name="fk_notifications_user_id"),
    )
    op.create_index("ix_notifications_user_id", "notifications", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_notifications_user_id", table_name="notifications")
    op.drop_table("notifications")
    op.drop_table("dqm_rates")
    for column in ("status", "caseworker_id", "team_id", "person_id"):
        op.drop_index(f"ix_dqm_tasks_{column}", table_name="dqm_tasks")
    op.drop_table("dqm_tasks")
    op.drop_table("dqm_runs")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("email")
