"""Login hardening: failed-login throttling per account name and source address, and the
pre-sessions that bind the login form's CSRF token (docs/security.md, "Accounts and sessions").

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_name", sa.String(64), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("user_name", "source", name="uq_login_attempts_user_name"),
    )
    op.create_index("ix_login_attempts_last_failure_at", "login_attempts", ["last_failure_at"])
    op.create_table(
        "pre_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("token_hash", name="uq_pre_sessions_token_hash"),
    )
    op.create_index("ix_pre_sessions_expires_at", "pre_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_pre_sessions_expires_at", table_name="pre_sessions")
    op.drop_table("pre_sessions")
    op.drop_index("ix_login_attempts_last_failure_at", table_name="login_attempts")
    op.drop_table("login_attempts")
