"""The audit log: who viewed or exported which person list, and account events.

Entries can only be added: the database rejects UPDATE, DELETE (and on PostgreSQL TRUNCATE) on
``audit_log`` (see migration 0001). An entry names the list and the number of persons in it, never
a person. Like all of ``amip.state``: flush, never commit; the caller owns the transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from amip.state.models import AuditEntry, aware

# The actions the cockpit and the CLI write; others are allowed (the log is not the place to
# lose an entry over a new word), but these are the ones the audit page knows.
ACTIONS = (
    "view",
    "export_csv",
    "export_xlsx",
    "login",
    "login_failed",
    "logout",
    "user_added",
    "user_removed",
    "password_changed",
)


def record(
    db: Session,
    *,
    user_name: str,
    role: str,
    action: str,
    list_name: str | None = None,
    persons: int | None = None,
    detail: str | None = None,
    now: datetime | None = None,
) -> AuditEntry:
    """Append one entry and return it."""
    if not action or len(action) > 32:
        raise ValueError(f"audit action must have 1 to 32 characters, not {action!r}")
    if persons is not None and persons < 0:
        raise ValueError(f"persons must not be negative, not {persons}")
    entry = AuditEntry(
        at=aware(now),
        user_name=user_name[:64],
        role=role[:32],
        action=action,
        list_name=list_name[:255] if list_name is not None else None,
        persons=persons,
        detail=detail,
    )
    db.add(entry)
    db.flush()
    return entry


def record_many(
    db: Session, *, user_name: str, role: str, action: str, details: list[str], now: datetime | None = None
) -> int:
    """Append one entry per text of ``details`` (same user, action and time; e.g. the tasks of a
    bulk change) in one statement; returns how many."""
    if not action or len(action) > 32:
        raise ValueError(f"audit action must have 1 to 32 characters, not {action!r}")
    at = aware(now)
    if details:  # one multi-row INSERT (an ORM bulk insert), not one unit of work per entry
        db.execute(
            insert(AuditEntry),
            [
                {"at": at, "user_name": user_name[:64], "role": role[:32], "action": action, "detail": d}
                for d in details
            ],
        )
    return len(details)


def entries(db: Session, limit: int = 200, offset: int = 0, action: str | None = None) -> list[AuditEntry]:
    """Entries newest first (ties in time by insertion order), optionally of one action."""
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if action is not None:
        query = query.where(AuditEntry.action == action)
    return list(db.scalars(query.limit(limit).offset(offset)))


# Appended to the detail of an account change that gives someone the right to see person lists
# (an account of role controlling, teamleitung or ifk created, or its password reset): the
# Protokoll page lists these entries apart (docs/security.md).
PRIVILEGED_MARK = " · privilegiert: darf Personenlisten sehen"


def privileged(db: Session, limit: int = 20) -> list[AuditEntry]:
    """The latest privileged account changes (see ``PRIVILEGED_MARK``), newest first."""
    query = (
        select(AuditEntry)
        .where(AuditEntry.action.in_(("user_added", "password_changed")), AuditEntry.detail.like(f"%{PRIVILEGED_MARK}"))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
    )
    return list(db.scalars(query))


def count(db: Session, action: str | None = None) -> int:
    query = select(func.count()).select_from(AuditEntry)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    return int(db.scalar(query) or 0)
