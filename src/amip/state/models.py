"""The state database's tables as SQLAlchemy models.

Nothing here refers to a person of the warehouse: users are staff accounts, the audit log records
who looked at or exported which list and how many persons it had, never which persons.
The schema itself is created by the Alembic migrations, not by ``Base.metadata.create_all``;
these models must stay in step with them.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, ForeignKey, Integer, MetaData, String, Text, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(now: datetime | None) -> datetime:
    """``now`` (tests pass a fixed instant) or the current time; always timezone-aware UTC."""
    if now is None:
        return utcnow()
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"naive datetime {now!r}: pass a timezone-aware time")
    return now.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python.

    PostgreSQL (``timestamptz``) keeps the instant and returns it in the session's time zone;
    SQLite has no time zones and would hand back naive values. So we store UTC (naive on SQLite,
    where all values then share one format and compare correctly as text) and attach UTC on the
    way back. Naive values are refused: their meaning would depend on the server's clock setting.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: state timestamps must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    # Constraint names as the migrations spell them, so that autogenerate sees no difference.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_name)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s",
        }
    )


class User(Base):
    """A cockpit account. ``team_id`` is set exactly for Teamleitung, ``caseworker_id`` exactly for
    IfK (integration specialists), which restricts the person lists they may open."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(255))
    team_id: Mapped[str | None] = mapped_column(String(64))
    caseworker_id: Mapped[str | None] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(255))  # for DQM notices (migration 0004)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    sessions: Mapped[list[LoginSession]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"User(name={self.name!r}, role={self.role!r})"


class LoginSession(Base):
    """A signed-in browser. Only the SHA-256 of the session token is stored, so a copy of the
    database does not let anyone take over a session."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="sessions")


class AuditEntry(Base):
    """One line of the audit log (append-only: the database rejects UPDATE and DELETE).

    ``user_name`` and ``role`` are copied, not referenced, so entries outlive removed users.
    ``list_name`` says which person list was viewed or exported, ``persons`` how many persons it
    had; person ids are never stored.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    user_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32), index=True)
    list_name: Mapped[str | None] = mapped_column(String(255))
    persons: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"AuditEntry(at={self.at}, user={self.user_name!r}, action={self.action!r})"


class LoginAttempt(Base):
    """Consecutive failed logins for one typed account name from one source address (migration
    0006). Kept for unknown names too, so that the answers do not tell which names exist; a
    success from that source deletes the row. ``blocked_until`` is the progressive delay
    (``amip.state.login``)."""

    __tablename__ = "login_attempts"
    __table_args__ = (UniqueConstraint("user_name", "source"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_name: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PreSession(Base):
    """A login form handed out (migration 0006): the SHA-256 of the pre-login cookie and the CSRF
    token the form must send back. Used once; expires after ``PRE_SESSION_TTL``."""

    __tablename__ = "pre_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
