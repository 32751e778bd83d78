"""Initial state schema: users, login sessions, append-only audit log.

Revision ID: 0001
Revises:
Create Date: 2025-01-01

The audit log is made append-only by the database itself (triggers rejecting UPDATE, DELETE and,
on PostgreSQL, TRUNCATE), so neither a bug in the application nor someone with the application's
database login can rewrite history quietly. Dropping the table is still possible for the schema
owner; production setups give the cockpit a role without DDL rights.

The role list is copied here on purpose: a migration describes the schema as it was at this
revision, and later changes to ``amip.state.db.ROLES`` need a migration of their own.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ROLES = ("geschaeftsfuehrung", "controlling", "teamleitung", "ifk", "admin")
_MESSAGE = "audit_log is append-only"

_SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log
        BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END"""
    for event in ("UPDATE", "DELETE")
]

_PG_FUNCTION = f"""
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{_MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
END;
$$"""

_PG_TRIGGERS = [
    """CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
       FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""",
    """CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
       FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()""",
]


def _timestamp(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _dialect() -> str:
    # get_context() works online and offline (``alembic upgrade --sql``), get_bind() only online.
    return op.get_context().dialect.name


def upgrade() -> None:
    roles = ", ".join(f"'{r}'" for r in _ROLES)
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("team_id", sa.String(64), nullable=True),
        sa.Column("caseworker_id", sa.String(64), nullable=True),
        sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"),
        _timestamp("locked_until", nullable=True),
        _timestamp("created_at"),
        _timestamp("password_changed_at"),
        sa.UniqueConstraint("name", name="uq_users_name"),
        sa.CheckConstraint(f"role IN ({roles})", name="ck_users_role"),
        # Team and caseworker scope exactly the roles that need them (see amip.state.users).
        sa.CheckConstraint("(role = 'teamleitung') = (team_id IS NOT NULL)", name="ck_users_team"),
        sa.CheckConstraint("(role = 'ifk') = (caseworker_id IS NOT NULL)", name="ck_users_caseworker"),
        sa.CheckConstraint("failed_logins >= 0", name="ck_users_failed_logins"),
    )
    op.create_table(
        "login_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        _timestamp("created_at"),
        _timestamp("last_seen"),
        _timestamp("expires_at"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE", name="fk_login_sessions_user_id"),
        sa.UniqueConstraint("token_hash", name="uq_login_sessions_token_hash"),
    )
    op.create_index("ix_login_sessions_user_id", "login_sessions", ["user_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        _timestamp("at"),
        sa.Column("user_name", sa.String(64), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("list_name", sa.String(255), nullable=True),
        sa.Column("persons", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.CheckConstraint("persons IS NULL OR persons >= 0", name="ck_audit_log_persons"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_action", "audit_log", ["action"])

    dialect = _dialect()
    if dialect == "sqlite":
        statements = _SQLITE_TRIGGERS
    elif dialect == "postgresql":
        statements = [_PG_FUNCTION, *_PG_TRIGGERS]
    else:
        raise NotImplementedError(f"the state database supports SQLite and PostgreSQL, not {dialect}")
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    dialect = _dialect()
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update_delete ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    op.drop_index("ix_audit_log_action", table_name="audit_log")
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index("ix_login_sessions_user_id", table_name="login_sessions")
    op.drop_table("login_sessions")
    op.drop_table("users")
