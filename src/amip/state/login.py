"""The cockpit's login: password checked outside any transaction, failures throttled per account
name and source address, and the pre-sessions that bind the login form's CSRF token.

Why this shape (docs/security.md, "Accounts and sessions" and "State database concurrency"):

- The argon2 verification takes a few hundred milliseconds. It runs between two short
  transactions, never inside one: a read (user, throttle state, pre-session), then the hash, then
  one write transaction (session or failure count, audit entry). On SQLite that write starts with
  ``BEGIN IMMEDIATE`` (``amip.state.db``), so it waits for its turn instead of failing.
- Throttling is keyed by (typed name, source address), so failures an attacker produces from one
  address do not keep the owner out from another. The first ``FREE_FAILURES`` (5) failures cost
  nothing; the 5th and every further one block that pair for ``BASE_DELAY`` (30 s) doubled per
  further failure (30 s, 1 min, 2 min, 4 min, ...), at most ``MAX_DELAY`` (15 min). A success from
  that source, ``amip users unlock NAME`` or 24 hours without a failure clear the count.
- Unknown names are treated exactly like known ones (a dummy argon2 verification, the same
  counting and the same answers), so neither the text nor the timing tells which names exist.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from amip.state import audit
from amip.state.db import reading
from amip.state.models import LoginAttempt, PreSession, User, aware
from amip.state.sessions import SESSION_TTL, create_session, purge_sessions
from amip.state.users import NAME_PATTERN, _dummy_hash, _verify, password_hasher

FREE_FAILURES = 5
BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=24)
PRE_SESSION_TTL = timedelta(minutes=30)
INVALID_NAME = "?"  # what is counted and logged for a typed name that cannot be an account


class LoginRefused(Exception):
    """Unknown user or wrong password (deliberately one exception for both)."""


class LoginThrottled(Exception):
    """Too many failures for this name from this source; no attempt is checked before ``until``."""

    def __init__(self, until: datetime):
        super().__init__(f"too many failed logins; try again after {until:%H:%M:%S} UTC")
        self.until = until


def delay_after(failures: int) -> timedelta | None:
    """How long a (name, source) pair is blocked after its ``failures``-th consecutive failure."""
    if failures < FREE_FAILURES:
        return None
    return min(BASE_DELAY * 2 ** (failures - FREE_FAILURES), MAX_DELAY)


def account_key(name: str) -> str:
    """The typed name as it is counted and logged: itself when it could be an account name,
    else ``?`` (keeps control characters, formulas and long strings out of the state database)."""
    return name if NAME_PATTERN.fullmatch(name) else INVALID_NAME


def source_key(host: str | None) -> str:
    return (host or "-")[:64]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# ---- pre-sessions (login CSRF) -------------------------------------------------------------------


def pre_session(factory: sessionmaker[Session], cookie: str | None, now: datetime | None = None) -> tuple[str, str]:
    """The (cookie, CSRF token) for a login form: the live pre-session of ``cookie`` if there is
    one, else a new one (whose cookie the caller sets)."""
    now = aware(now)
    if cookie:
        with reading(factory) as db:
            found = db.scalar(
                select(PreSession).where(PreSession.token_hash == _hash(cookie), PreSession.expires_at > now)
            )
            if found is not None:
                return cookie, found.csrf_token
    cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with factory.begin() as db:
        db.execute(delete(PreSession).where(PreSession.expires_at <= now))
        db.add(PreSession(token_hash=_hash(cookie), csrf_token=csrf, expires_at=now + PRE_SESSION_TTL))
    return cookie, csrf


def _pre_session_ok(db: Session, cookie: str | None, csrf: str, now: datetime) -> bool:
    if not cookie or not csrf:
        return False
    found = db.scalar(select(PreSession).where(PreSession.token_hash == _hash(cookie), PreSession.expires_at > now))
    return found is not None and secrets.compare_digest(found.csrf_token, csrf)


class BadLoginForm(Exception):
    """The login form's CSRF token does not belong to the browser's pre-session."""


# ---- the login -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoggedIn:
    token: str
    user: User


def blocked_until(db: Session, name: str, source: str, now: datetime) -> datetime | None:
    until = db.scalar(
        select(LoginAttempt.blocked_until).where(
            LoginAttempt.user_name == account_key(name), LoginAttempt.source == source_key(source)
        )
    )
    return until if until is not None and until > now else None


def _count_failure(db: Session, key: str, source: str, now: datetime) -> int:
    values = {"user_name": key, "source": source, "failures": 1, "last_failure_at": now, "blocked_until": None}
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(LoginAttempt).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["user_name", "source"],
        set_={"failures": LoginAttempt.failures + 1, "last_failure_at": stmt.excluded.last_failure_at},
    )
    db.execute(stmt)
    failures = db.scalar(
        select(LoginAttempt.failures).where(LoginAttempt.user_name == key, LoginAttempt.source == source)
    )
    assert failures is not None  # the row was inserted or updated just above
    delay = delay_after(int(failures))
    if delay is not None:
        db.execute(
            update(LoginAttempt)
            .where(LoginAttempt.user_name == key, LoginAttempt.source == source)
            .values(blocked_until=now + delay)
        )
    # Housekeeping: counts nobody has added to for a day are forgotten.
    db.execute(
        delete(LoginAttempt).where(
            LoginAttempt.last_failure_at < now - FORGET_AFTER,
            (LoginAttempt.blocked_until.is_(None)) | (LoginAttempt.blocked_until < now),
        )
    )
    return int(failures)


def log_in(
    factory: sessionmaker[Session],
    name: str,
    password: str,
    source: str | None,
    *,
    pre_cookie: str | None = None,
    csrf_token: str | None = None,
    check_form: bool = True,
    ttl: timedelta = SESSION_TTL,
    now: datetime | None = None,
) -> LoggedIn:
    """Check the form, the throttle and the password; on success start a session.

    Raises :class:`BadLoginForm` (nothing counted), :class:`LoginThrottled` or
    :class:`LoginRefused`; every outcome but a bad form is in the audit log.
    """
    now = aware(now)
    key, source = account_key(name), source_key(source)
    with reading(factory) as db:  # 1. a short read
        if check_form and not _pre_session_ok(db, pre_cookie, csrf_token or "", now):
            raise BadLoginForm()
        until = blocked_until(db, key, source, now)
        user = db.scalar(select(User).where(User.name == name)) if key != INVALID_NAME else None
        stored = user.password_hash if user is not None else None
    if until is not None:
        with factory.begin() as db:
            audit.record(db, user_name=key, role="-", action="login_failed", detail="gedrosselt", now=now)
        raise LoginThrottled(until)

    # 2. the slow part, outside any transaction
    ok = _verify(stored, password) if stored is not None else (_verify(_dummy_hash(), password) and False)
    hasher = password_hasher()
    new_hash = hasher.hash(password) if ok and stored is not None and hasher.check_needs_rehash(stored) else None

    with factory.begin() as db:  # 3. one short write
        if check_form and pre_cookie:
            db.execute(delete(PreSession).where(PreSession.token_hash == _hash(pre_cookie)))
        fresh = db.scalar(select(User).where(User.name == name)) if ok else None
        if fresh is not None and fresh.password_hash == stored:
            db.execute(delete(LoginAttempt).where(LoginAttempt.user_name == key, LoginAttempt.source == source))
            fresh.failed_logins, fresh.locked_until = 0, None
            if new_hash is not None:
                fresh.password_hash = new_hash
            purge_sessions(db, now=now, idle=ttl)  # sessions past their lifetime (housekeeping)
            token, _session = create_session(db, fresh, now=now, ttl=ttl)
            audit.record(db, user_name=fresh.name, role=fresh.role, action="login", now=now)
            return LoggedIn(token, fresh)
        failures = _count_failure(db, key, source, now)
        audit.record(
            db,
            user_name=key,
            role="-",
            action="login_failed",
            now=now,
            detail=f"Fehlversuch {failures} von dieser Adresse" if failures >= FREE_FAILURES else None,
        )
    raise LoginRefused()


def unlock(db: Session, name: str) -> int:
    """Forget every failure count of ``name`` (all sources) and an old account lock; returns how
    many (name, source) counts were removed."""
    result = db.execute(delete(LoginAttempt).where(LoginAttempt.user_name == name))
    db.execute(update(User).where(User.name == name).values(failed_logins=0, locked_until=None))
    # Session.execute() is typed as returning a Result; for a DELETE it is a CursorResult (has rowcount)
    return int(cast(CursorResult, result).rowcount)


def blocks(db: Session, now: datetime | None = None) -> dict[str, datetime]:
    """The latest running block per account name (for the users pages)."""
    now = aware(now)
    rows = db.execute(
        select(LoginAttempt.user_name, func.max(LoginAttempt.blocked_until))
        .where(LoginAttempt.blocked_until > now)
        .group_by(LoginAttempt.user_name)
    )
    return {name: until for name, until in rows if until is not None}  # max() > now is never NULL
