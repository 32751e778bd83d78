"""Cockpit accounts: creation with role checks, password policy, login with lock-out.

Transactions: like every function in ``amip.state``, these flush but never commit; the caller
owns the transaction (``with factory.begin() as db: ...``). One consequence matters for logins:
a failed attempt raises *after* counting the failure, so catch :class:`LoginFailed` /
:class:`AccountLocked` **inside** the ``with`` block (and record the audit entry there), or the
rollback on the way out undoes the count and the lock-out never triggers::

    with factory.begin() as db:
        try:
            user = authenticate(db, name, password)
        except (LoginFailed, AccountLocked):
            audit.record(db, user_name=name, role="-", action="login_failed")
            user = None

Exception messages are English; the web layer shows its own German texts per exception type
(and per ``WeakPassword.reason``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from amip.state.db import ROLES
from amip.state.models import User, aware
from amip.state.sessions import end_all_sessions

LOCKOUT_ATTEMPTS = 5
LOCKOUT_MINUTES = 15
NAME_PATTERN = re.compile(r"[A-Za-z0-9._-]{2,64}")
EMAIL_PATTERN = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")

# argon2id with the library's current parameters (RFC 9106 low-memory profile: t=3, 64 MiB, p=4).
_PRODUCTION_HASHER = PasswordHasher()
# The test suite's hasher (``AMIP_TEST_CHEAP_PASSWORD_HASH=1``, set by tests/conftest.py): the
# cheapest argon2id parameters (t=1, 8 KiB, p=1; salt and hash of the usual length), as Django's
# test settings swap in a fast hasher. The suite logs in about a thousand times; at ~0,25 CPU s per
# production verification that alone would be minutes of its time budget. Never set it on a server:
# the cockpit logs a warning at start when it is set, and a hash made under it is replaced with the
# production parameters at the user's next login without it (``check_needs_rehash``).
TEST_HASH_ENV = "AMIP_TEST_CHEAP_PASSWORD_HASH"
_TEST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def password_hasher() -> PasswordHasher:
    """The argon2id hasher in force: production parameters unless the test switch is set."""
    return _TEST_HASHER if os.environ.get(TEST_HASH_ENV) == "1" else _PRODUCTION_HASHER


class InvalidUser(ValueError):
    """Bad user name, unknown role, or team/caseworker not matching the role."""


class UserExists(ValueError):
    pass


class UnknownUser(LookupError):
    pass


class WeakPassword(ValueError):
    """The password breaks the policy; ``reason`` is one of ``too_short``, ``too_long``,
    ``equals_name``, ``guessable``, ``unchanged`` (for the web layer's translation)."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


class LoginFailed(Exception):
    """Unknown user or wrong password; deliberately the same exception for both."""

    def __init__(self) -> None:
        super().__init__("unknown user or wrong password")


class AccountLocked(Exception):
    """Too many failed logins; no password is accepted before ``until`` (UTC)."""

    def __init__(self, until: datetime):
        super().__init__(f"account locked until {until:%Y-%m-%d %H:%M} UTC")
        self.until = until


# Roles that may open person lists: creating such an account (or resetting its password) is a
# privileged change, audited as such and shown on the Protokoll page (docs/security.md).
PERSON_ROLES = ("controlling", "teamleitung", "ifk")

ZXCVBN_MIN_SCORE = 3  # zxcvbn: 3 = "safely unguessable", about 10^8 guesses or more
ZXCVBN_MAX_CHARS = 100  # zxcvbn's matching grows fast with length; longer tails add only strength


def guess_score(password: str, user_inputs: tuple[str, ...] = ()) -> int:
    """zxcvbn's score 0-4 (dictionary words, common passwords, names, keyboard patterns, repeats,
    sequences and dates from the frequency lists the library ships)."""
    from zxcvbn import zxcvbn  # imported on first use: loading its lists takes a moment

    return int(zxcvbn(password[:ZXCVBN_MAX_CHARS], user_inputs=list(user_inputs))["score"])


@dataclass(frozen=True)
class PasswordPolicy:
    """At least 12 characters and not guessable by zxcvbn (score 3 or more, the user name counted
    as a known word). Length and unguessability are what make a password hard to guess;
    composition rules mostly make it hard to remember. The upper bound only keeps absurd inputs
    from tying up the hasher."""

    min_length: int = 12
    max_length: int = 1024
    min_score: int = ZXCVBN_MIN_SCORE

    def check(self, password: str, name: str) -> None:
        if len(password) < self.min_length:
            raise WeakPassword("too_short", f"password must have at least {self.min_length} characters")
        if len(password) > self.max_length:
            raise WeakPassword("too_long", f"password must have at most {self.max_length} characters")
        if password.casefold() == name.casefold():
            raise WeakPassword("equals_name", "password must not be the user name")
        if guess_score(password, (name, "amip", "jobcenter")) < self.min_score:
            raise WeakPassword("guessable", "password is too easy to guess (common password, word or pattern)")


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (slow on purpose: call it outside a transaction)."""
    return password_hasher().hash(password)


POLICY = PasswordPolicy()


def _env_int(var: str, default: int) -> int:
    raw = os.environ.get(var)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"{var} must be a positive integer, not {raw!r}")
    return value


def lockout_attempts() -> int:
    """Consecutive failures that lock an account (``$AMIP_LOCKOUT_ATTEMPTS``, read per call)."""
    return _env_int("AMIP_LOCKOUT_ATTEMPTS", LOCKOUT_ATTEMPTS)


def lockout_minutes() -> int:
    """How long a lock lasts (``$AMIP_LOCKOUT_MINUTES``, read per call)."""
    return _env_int("AMIP_LOCKOUT_MINUTES", LOCKOUT_MINUTES)


def _scope(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def validate_user(name: str, role: str, team_id: str | None, caseworker_id: str | None) -> None:
    """Raise :class:`InvalidUser` unless name and role fit and exactly the scope the role needs is
    given: Teamleitung sees one team, an IfK their own caseload, the other roles everything."""
    if not NAME_PATTERN.fullmatch(name):
        raise InvalidUser(f"invalid user name {name!r}: use 2 to 64 letters, digits, '.', '_' or '-'")
    if role not in ROLES:
        raise InvalidUser(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    if role == "teamleitung" and team_id is None:
        raise InvalidUser("role teamleitung needs a team id")
    if role == "ifk" and caseworker_id is None:
        raise InvalidUser("role ifk needs a caseworker id")
    if role != "teamleitung" and team_id is not None:
        raise InvalidUser(f"role {role} takes no team id")
    if role != "ifk" and caseworker_id is not None:
        raise InvalidUser(f"role {role} takes no caseworker id")


def get_user(db: Session, name: str) -> User | None:
    return db.scalar(select(User).where(User.name == name))


def list_users(db: Session) -> list[User]:
    return list(db.scalars(select(User).order_by(User.name)))


def add_user(
    db: Session,
    name: str,
    role: str,
    password: str,
    team_id: str | None = None,
    caseworker_id: str | None = None,
    now: datetime | None = None,
    email: str | None = None,
    password_hash: str | None = None,
) -> User:
    """Create an account. Raises :class:`InvalidUser`, :class:`WeakPassword`, :class:`UserExists`.
    ``email`` (optional) receives the data-quality notices (amip.dqm.notify). ``password_hash``:
    the :func:`hash_password` of ``password`` made before the transaction (else hashed here)."""
    now = aware(now)
    team_id, caseworker_id = _scope(team_id), _scope(caseworker_id)
    validate_user(name, role, team_id, caseworker_id)
    email = _scope(email)
    if email is not None and not EMAIL_PATTERN.fullmatch(email):
        raise InvalidUser(f"invalid e-mail address {email!r}")
    POLICY.check(password, name)
    if get_user(db, name) is not None:
        raise UserExists(f"user {name!r} exists already")
    user = User(
        name=name,
        role=role,
        password_hash=password_hash if password_hash is not None else password_hasher().hash(password),
        team_id=team_id,
        caseworker_id=caseworker_id,
        email=email,
        failed_logins=0,
        created_at=now,
        password_changed_at=now,
    )
    db.add(user)
    db.flush()
    return user


def remove_user(db: Session, name: str) -> None:
    """Delete the account and its sessions (its audit entries stay). Raises :class:`UnknownUser`."""
    user = get_user(db, name)
    if user is None:
        raise UnknownUser(f"no user {name!r}")
    end_all_sessions(db, user)
    db.delete(user)
    db.flush()


def _verify(password_hash: str, password: str) -> bool:
    try:
        return password_hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash_of(hasher: PasswordHasher) -> str:
    return hasher.hash("no user has this password, it only costs time")


def _dummy_hash() -> str:
    """A hash with the parameters in force, so verifying it costs what a real one does."""
    return _dummy_hash_of(password_hasher())


def _check_password(db: Session, user: User, password: str, now: datetime) -> None:
    """Verify ``password`` for ``user``, enforcing and keeping the lock-out bookkeeping."""
    if user.locked_until is not None:
        if now < user.locked_until:
            raise AccountLocked(user.locked_until)
        user.locked_until = None  # the lock is served: a fresh series of attempts
        user.failed_logins = 0
        db.flush()
    if not _verify(user.password_hash, password):
        # Incremented in SQL, so concurrent wrong attempts all count.
        user.failed_logins = User.failed_logins + 1
        db.flush()
        if user.failed_logins >= lockout_attempts():
            user.locked_until = now + timedelta(minutes=lockout_minutes())
        db.flush()
        raise LoginFailed()
    user.failed_logins = 0
    user.locked_until = None


def authenticate(db: Session, name: str, password: str, now: datetime | None = None) -> User:
    """The user with this name and password, or :class:`LoginFailed` / :class:`AccountLocked`.

    Not what the cockpit's login uses: that is :func:`amip.state.login.log_in`, which hashes
    outside the transaction and throttles per name and source address instead of locking the
    account (a per-account lock lets anyone lock anyone out). Kept for scripts and its tests.

    After ``lockout_attempts()`` consecutive failures the account is locked for
    ``lockout_minutes()``: the attempt that reaches the limit still raises ``LoginFailed``, later
    ones ``AccountLocked`` (even with the right password) until the lock has passed. Unknown users
    cost a dummy argon2 verification so that the response time does not tell which names exist.
    A hash made with older argon2 parameters is replaced on success.
    """
    now = aware(now)
    user = get_user(db, name)
    if user is None:
        _verify(_dummy_hash(), password)
        raise LoginFailed()
    _check_password(db, user, password, now)
    if password_hasher().check_needs_rehash(user.password_hash):
        user.password_hash = password_hasher().hash(password)
    db.flush()
    return user


def change_password(
    db: Session,
    user: User,
    old: str,
    new: str,
    except_token: str | None = None,
    now: datetime | None = None,
) -> None:
    """Replace the password after checking the old one, and end the user's other sessions.

    A wrong ``old`` counts towards the lock-out like a failed login (raises :class:`LoginFailed` /
    :class:`AccountLocked`); ``except_token`` is the session doing the change, which stays.
    """
    now = aware(now)
    _check_password(db, user, old, now)
    POLICY.check(new, user.name)
    if new == old:
        raise WeakPassword("unchanged", "the new password must differ from the old one")
    user.password_hash = password_hasher().hash(new)
    user.password_changed_at = now
    end_all_sessions(db, user, except_token=except_token)
    db.flush()


def reset_password(db: Session, name: str, new: str, now: datetime | None = None, new_hash: str | None = None) -> User:
    """An administrator's reset: set ``new`` without the old password, lift a lock-out and end
    every session of the user. Raises :class:`UnknownUser` or :class:`WeakPassword`.
    ``new_hash``: :func:`hash_password` of ``new``, made before the transaction."""
    user = get_user(db, name)
    if user is None:
        raise UnknownUser(f"no user {name!r}")
    POLICY.check(new, user.name)
    user.password_hash = new_hash if new_hash is not None else password_hasher().hash(new)
    user.password_changed_at = aware(now)
    user.failed_logins = 0
    user.locked_until = None
    end_all_sessions(db, user)
    db.flush()
    return user


def verify_password(password_hash: str | None, password: str) -> bool:
    """argon2 verification (slow: outside a transaction); a dummy one when there is no hash."""
    if password_hash is None:
        _verify(_dummy_hash(), password)
        return False
    return _verify(password_hash, password)


def record_password_change(
    db: Session,
    user: User,
    old_ok: bool,
    seen_hash: str,
    new: str,
    new_hash: str,
    except_token: str | None = None,
    now: datetime | None = None,
) -> None:
    """The write half of a password change whose slow parts ran before the transaction: ``old_ok``
    is the verification of the old password against ``seen_hash``, ``new_hash`` the hash of
    ``new``. Same rules and exceptions as :func:`change_password` (the old password's failures
    count towards this account's own lock, which only its signed-in owner can trigger)."""
    now = aware(now)
    if user.locked_until is not None and now < user.locked_until:
        raise AccountLocked(user.locked_until)
    if not old_ok or user.password_hash != seen_hash:
        user.failed_logins = User.failed_logins + 1
        db.flush()
        if user.failed_logins >= lockout_attempts():
            user.locked_until = now + timedelta(minutes=lockout_minutes())
        db.flush()
        raise LoginFailed()
    user.failed_logins, user.locked_until = 0, None
    user.password_hash = new_hash
    user.password_changed_at = now
    end_all_sessions(db, user, except_token=except_token)
    db.flush()
