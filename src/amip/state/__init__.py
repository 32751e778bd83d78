"""The cockpit's application state: users, login sessions and the append-only audit log.

Kept in its own database (SQLite beside the warehouse, or PostgreSQL via ``AMIP_STATE_DB``) so it
survives warehouse imports; the schema is migrated by Alembic. No person data lives here.
All functions take a SQLAlchemy ``Session`` and flush without committing; use
``with factory.begin() as db:`` around them.

The names below are imported on first use (PEP 562), so that ``amip --help`` does not pay for
SQLAlchemy and argon2.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "amip.state.db": ("ROLES", "make_engine", "migrate", "open_state", "session_factory", "state_url"),
    "amip.state.models": ("AuditEntry", "LoginSession", "User"),
    "amip.state.sessions": (
        "create_session",
        "end_all_sessions",
        "end_session",
        "purge_sessions",
        "resolve_session",
    ),
    "amip.state.users": (
        "LOCKOUT_ATTEMPTS",
        "LOCKOUT_MINUTES",
        "POLICY",
        "AccountLocked",
        "InvalidUser",
        "LoginFailed",
        "PasswordPolicy",
        "UnknownUser",
        "UserExists",
        "WeakPassword",
        "add_user",
        "authenticate",
        "change_password",
        "get_user",
        "list_users",
        "remove_user",
    ),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = [
    "LOCKOUT_ATTEMPTS",
    "LOCKOUT_MINUTES",
    "POLICY",
    "ROLES",
    "AccountLocked",
    "AuditEntry",
    "InvalidUser",
    "LoginFailed",
    "LoginSession",
    "PasswordPolicy",
    "UnknownUser",
    "User",
    "UserExists",
    "WeakPassword",
    "add_user",
    "audit",
    "authenticate",
    "change_password",
    "create_session",
    "end_all_sessions",
    "end_session",
    "get_user",
    "list_users",
    "make_engine",
    "migrate",
    "open_state",
    "purge_sessions",
    "remove_user",
    "resolve_session",
    "session_factory",
    "state_url",
]


def __getattr__(name: str) -> Any:
    if name == "audit":
        return importlib.import_module("amip.state.audit")
    if name not in _WHERE:
        raise AttributeError(f"module 'amip.state' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from amip.state import audit
    from amip.state.db import ROLES, make_engine, migrate, open_state, session_factory, state_url
    from amip.state.models import AuditEntry, LoginSession, User
    from amip.state.sessions import (
        create_session,
        end_all_sessions,
        end_session,
        purge_sessions,
        resolve_session,
    )
    from amip.state.users import (
        LOCKOUT_ATTEMPTS,
        LOCKOUT_MINUTES,
        POLICY,
        AccountLocked,
        InvalidUser,
        LoginFailed,
        PasswordPolicy,
        UnknownUser,
        UserExists,
        WeakPassword,
        add_user,
        authenticate,
        change_password,
        get_user,
        list_users,
        remove_user,
    )
