"""Login sessions: a random token in the browser's cookie, only its SHA-256 in the database.

A session ends at the latest ``ttl`` after login (default 8 hours, a working day) and earlier when
it has not been used for ``idle`` (default 60 minutes), so a forgotten browser on a shared desk
does not stay signed in. Each session carries its own CSRF token for the forms.
Like all of ``amip.state``: flush, never commit; the caller owns the transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, or_, select, update
from sqlalchemy.orm import Session, joinedload

from amip.state.models import LoginSession, User, aware

SESSION_TTL = timedelta(hours=8)
SESSION_IDLE = timedelta(minutes=60)
SEEN_RESOLUTION = timedelta(minutes=1)


def token_hash(token: str) -> str:
    """What is stored for a session token. A plain hash suffices (no salt, no argon2): the token
    has 256 random bits, so there is nothing to guess, and lookups must be by exact value."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_session(
    db: Session, user: User, now: datetime | None = None, ttl: timedelta = SESSION_TTL
) -> tuple[str, LoginSession]:
    """Start a session; returns the raw token (for the cookie, shown nowhere else) and the row."""
    now = aware(now)
    token = secrets.token_urlsafe(32)
    session = LoginSession(
        token_hash=token_hash(token),
        user=user,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen=now,
        expires_at=now + ttl,
    )
    db.add(session)
    db.flush()
    return token, session


def resolve_session(
    db: Session,
    token: str | None,
    now: datetime | None = None,
    idle: timedelta = SESSION_IDLE,
    touch: bool = True,
    purge: bool = True,
) -> LoginSession | None:
    """The live session for ``token`` (its ``user`` loaded), marked as seen now (unless
    ``touch=False``: then the caller marks it with ``touch_session`` in a transaction of its own);
    ``None`` when the token is unknown, the session has expired or has been idle longer than
    ``idle`` (such a session is deleted on the way, unless ``purge=False``: a read-only caller
    leaves that to :func:`purge_sessions`, which every login runs)."""
    if not token:
        return None
    now = aware(now)
    session = db.scalar(
        select(LoginSession)
        .options(joinedload(LoginSession.user))  # usable after the transaction has ended
        .where(LoginSession.token_hash == token_hash(token))
    )
    if session is None:
        return None
    if now >= session.expires_at or now - session.last_seen > idle:
        if purge:
            db.delete(session)
            db.flush()
        return None
    if touch and needs_touch(session, now):
        session.last_seen = now
        db.flush()
    return session


def needs_touch(session: LoginSession, now: datetime | None = None) -> bool:
    """Whether ``last_seen`` is due for an update. Written at most once a minute per session: pages
    are read far more often than that, and a write per request would serialise every request on
    SQLite."""
    return aware(now) - session.last_seen >= SEEN_RESOLUTION


def touch_session(db: Session, session_id: int, now: datetime | None = None) -> None:
    """Mark a session as seen now, as a write-only statement.

    On SQLite a transaction that first reads and then writes cannot wait for a concurrent writer
    (the lock upgrade would deadlock, so SQLite fails at once with "database is locked"); a
    transaction whose first statement writes waits up to the busy timeout instead. The cockpit
    therefore resolves the session in one transaction and touches it in another."""
    now = aware(now)
    db.execute(
        update(LoginSession)
        .where(LoginSession.id == session_id, LoginSession.last_seen < now)
        .values(last_seen=now)
        .execution_options(synchronize_session=False)
    )


def end_session(db: Session, token: str) -> bool:
    """Log out: delete the session for ``token``; False when there was none."""
    result = db.execute(delete(LoginSession).where(LoginSession.token_hash == token_hash(token)))
    return bool(_rowcount(result))


def end_all_sessions(db: Session, user: User, except_token: str | None = None) -> int:
    """End every session of ``user`` but the one for ``except_token``; returns how many ended."""
    query = delete(LoginSession).where(LoginSession.user_id == user.id)
    if except_token is not None:
        query = query.where(LoginSession.token_hash != token_hash(except_token))
    result = db.execute(query.execution_options(synchronize_session="fetch"))
    db.expire(user, ["sessions"])
    return int(_rowcount(result))


def purge_sessions(db: Session, now: datetime | None = None, idle: timedelta = SESSION_IDLE) -> int:
    """Delete expired and idle sessions of all users (housekeeping, e.g. at each login)."""
    now = aware(now)
    result = db.execute(
        delete(LoginSession)
        .where(or_(LoginSession.expires_at <= now, LoginSession.last_seen < now - idle))
        .execution_options(synchronize_session="fetch")
    )
    return int(_rowcount(result))


def _rowcount(result: Any) -> int:
    """The rows a DELETE or UPDATE matched (``Session.execute`` returns a ``CursorResult`` for
    these, typed as the general ``Result``)."""
    return int(cast(CursorResult[Any], result).rowcount)
