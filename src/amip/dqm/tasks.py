"""Data-quality tasks: listing in a scope, status changes (audited, scope-checked), open counts.

Scope: an IFK works on the tasks of the own caseload (``caseworker_id``), a team lead on the
team's tasks, controlling on all. Status: ``offen`` → ``in_bearbeitung`` → ``erledigt``, or
``kein_fehler`` with a mandatory reason; a closed task can be opened again. ``erledigt_daten`` is
set only by a run (the data no longer produce the finding) and cannot be changed by hand.
Like all state functions: flush, never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from amip.dqm.models import ACTIVE, DONE, DONE_DATA, IN_PROGRESS, NO_ERROR, OPEN, DqmTask
from amip.figures.store import Scope
from amip.state import audit
from amip.state.models import aware
from amip.text import NOTE_MAX, TextInputError, clean_text

STATUS_LABELS = {
    OPEN: "offen",
    IN_PROGRESS: "in Bearbeitung",
    DONE: "erledigt",
    NO_ERROR: "kein Fehler",
    DONE_DATA: "erledigt (Daten)",
}
TRANSITIONS = {
    OPEN: (IN_PROGRESS, DONE, NO_ERROR),
    IN_PROGRESS: (OPEN, DONE, NO_ERROR),
    DONE: (OPEN,),
    NO_ERROR: (OPEN,),
    DONE_DATA: (),
}
MAX_REASON = NOTE_MAX


class TaskError(ValueError):
    """A status change that is not allowed (unknown task, status or transition; missing reason)."""


class UnknownTask(TaskError):
    """No task with this id."""


class ReasonRequired(TaskError):
    """'kein Fehler' without a reason."""


class BadReason(TaskError):
    """The reason has control characters or is too long; ``str(exc)`` is the German message."""


class OutOfScope(PermissionError):
    """The task is not in the user's scope."""


def task_scope(role: str, team_id: str | None, caseworker_id: str | None) -> Scope:
    """Which tasks a user works on (``Scope('none')`` for roles without the TASKS capability)."""
    if role == "controlling":
        return Scope("all")
    if role == "teamleitung" and team_id:
        return Scope("team", team_id)
    if role == "ifk" and caseworker_id:
        return Scope("caseload", caseworker_id)
    return Scope("none")


def _in_scope(query, scope: Scope):
    if scope.kind == "all":
        return query
    if scope.kind == "team":
        return query.where(DqmTask.team_id == scope.value)
    if scope.kind == "caseload":
        return query.where(DqmTask.caseworker_id == scope.value)
    return query.where(False)


NO_TEAM = "-"  # the team filter's code for tasks without a team
# Age of a task = months from the month its defect arose to the data month of the latest run
# (docs/decisions.md 121): key -> (label, least age, greatest age or None).
AGES: dict[str, tuple[str, int, int | None]] = {
    "bis3": ("bis 3 Monate", 0, 3),
    "4bis12": ("4 bis 12 Monate", 4, 12),
    "ueber12": ("älter als 12 Monate", 13, None),
}
# The columns a list can be sorted by; each sort ends with the default order as tie-break (a
# total order, so that pages never overlap or leave a task out).
SORTS = ("id", "rule", "month", "person", "team", "status")
_STATUS_ORDER = case({s: k for k, s in enumerate(STATUS_LABELS)}, value=DqmTask.status, else_=len(STATUS_LABELS))


@dataclass(frozen=True)
class TaskFilter:
    """Which tasks of a scope a list shows. ``status='aktiv'`` = open or in progress, ``None`` = all;
    ``team`` a team id or :data:`NO_TEAM`; ``age`` a key of :data:`AGES`, counted back from
    ``data_month`` (``YYYY-MM``, the latest run's; without it the age filter is ignored)."""

    rule: str | None = None
    status: str | None = None
    team: str | None = None
    age: str | None = None
    data_month: str | None = None


def shift_month(month: str, months: int) -> str:
    """``YYYY-MM`` plus ``months`` (negative: back)."""
    k = int(month[:4]) * 12 + int(month[5:7]) - 1 + months
    return f"{k // 12:04d}-{k % 12 + 1:02d}"


def _filtered(query, f: TaskFilter):
    if f.rule:
        query = query.where(DqmTask.rule_id == f.rule)
    if f.status == "aktiv":
        query = query.where(DqmTask.status.in_(ACTIVE))
    elif f.status:
        query = query.where(DqmTask.status == f.status)
    if f.team == NO_TEAM:
        query = query.where(DqmTask.team_id.is_(None))
    elif f.team:
        query = query.where(DqmTask.team_id == f.team)
    if f.age and f.data_month:
        _label, least, greatest = AGES[f.age]
        query = query.where(DqmTask.month <= shift_month(f.data_month, -least))
        if greatest is not None:
            query = query.where(DqmTask.month >= shift_month(f.data_month, -greatest))
    return query


def _order(sort: str, descending: bool):
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r}")
    default = [DqmTask.month.desc(), DqmTask.rule_id, DqmTask.person_id, DqmTask.id]
    key = {
        "id": DqmTask.id,
        "rule": DqmTask.rule_id,
        "month": DqmTask.month,
        "person": DqmTask.person_id,
        "team": func.coalesce(DqmTask.team_id, ""),  # no team first (SQLite and PostgreSQL alike)
        "status": _STATUS_ORDER,
    }[sort]
    return [key.desc() if descending else key.asc(), *default]


def count_tasks(db: Session, scope: Scope, f: TaskFilter = TaskFilter()) -> int:
    """How many tasks of ``scope`` match ``f`` (one COUNT in SQL)."""
    query = _filtered(_in_scope(select(DqmTask.id), scope), f)
    return int(db.scalar(select(func.count()).select_from(query.subquery())) or 0)


def list_tasks(
    db: Session,
    scope: Scope,
    rule: str | None = None,
    status: str | None = None,
    limit: int | None = 500,
    *,
    offset: int = 0,
    filter: TaskFilter | None = None,
    sort: str = "month",
    descending: bool = True,
) -> tuple[list[DqmTask], int]:
    """Tasks in ``scope`` matching ``filter`` (or just ``rule`` / ``status``), sorted by ``sort``
    (default: newest month first, then rule, person, id), the ``limit`` rows from ``offset``
    (``LIMIT``/``OFFSET`` in SQL; ``limit=None``: all); and the total count matching."""
    f = filter if filter is not None else TaskFilter(rule=rule, status=status)
    total = count_tasks(db, scope, f)
    query = _filtered(_in_scope(select(DqmTask), scope), f).order_by(*_order(sort, descending))
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return list(db.scalars(query)), total


def teams(db: Session, scope: Scope) -> list[str]:
    """The team ids that tasks of ``scope`` carry (for the team filter), sorted."""
    query = _in_scope(select(DqmTask.team_id).distinct(), scope).where(DqmTask.team_id.is_not(None))
    return sorted(str(t) for t in db.scalars(query))


def filtered_ids(db: Session, scope: Scope, f: TaskFilter) -> list[int]:
    """The ids of every task of ``scope`` matching ``f`` (for a change of the whole filtered list)."""
    return list(db.scalars(_filtered(_in_scope(select(DqmTask.id), scope), f).order_by(DqmTask.id)))


def _clean_reason(reason: str | None) -> str | None:
    try:
        return clean_text(reason, "Begründung", max_len=MAX_REASON) or None
    except TextInputError as exc:
        raise BadReason(str(exc)) from None


def _apply(task: DqmTask, status: str, reason: str | None, user_name: str, now) -> str:
    """Set the task's status; returns the audit text of the change (task id and statuses only)."""
    old = task.status
    task.status = status
    task.reason = reason if status in (NO_ERROR, DONE) else None  # the reason of a closing status
    task.updated_at = now
    task.updated_by = user_name[:64]
    return f"Aufgabe {task.id} ({task.rule_id}): {STATUS_LABELS[old]} -> {STATUS_LABELS[status]}"


def change_status(
    db: Session,
    task_id: int,
    status: str,
    *,
    user_name: str,
    role: str,
    team_id: str | None = None,
    caseworker_id: str | None = None,
    reason: str | None = None,
    now: datetime | None = None,
) -> DqmTask:
    """Set a task's status. Raises :class:`TaskError` or :class:`OutOfScope`. Writes an audit entry
    naming the task's internal id and the statuses (no person id)."""
    now = aware(now)
    task = db.get(DqmTask, task_id)
    if task is None:
        raise UnknownTask(f"no task {task_id}")
    scope = task_scope(role, team_id, caseworker_id)
    if db.scalar(_in_scope(select(DqmTask.id).where(DqmTask.id == task_id), scope)) is None:
        raise OutOfScope(f"task {task_id} is not in the scope of {user_name}")
    if status not in STATUS_LABELS or status == DONE_DATA:
        raise TaskError(f"unknown status {status!r}")
    if status not in TRANSITIONS[task.status]:
        raise TaskError(f"a task '{task.status}' cannot become '{status}'")
    reason = _clean_reason(reason)
    if status == NO_ERROR and reason is None:
        raise ReasonRequired("'kein Fehler' needs a reason")
    detail = _apply(task, status, reason, user_name, now)
    audit.record(db, user_name=user_name, role=role, action="dqm_task", now=now, detail=detail)
    db.flush()
    return task


@dataclass(frozen=True)
class BulkResult:
    changed: int  # tasks whose status was set
    skipped: int  # tasks that cannot take the new status from theirs (e.g. already there, erledigt (Daten))


def change_many(
    db: Session,
    task_ids: Iterable[int],
    status: str,
    *,
    user_name: str,
    role: str,
    team_id: str | None = None,
    caseworker_id: str | None = None,
    reason: str | None = None,
    now: datetime | None = None,
) -> BulkResult:
    """Set the status of many tasks at once; a reason is required for every status. All or nothing:
    an unknown id raises :class:`UnknownTask`, one outside the scope :class:`OutOfScope` (nothing
    changed). A task whose status cannot become ``status`` is skipped and counted. Each change is
    audited like a single one (one entry per task, marked as a bulk change)."""
    now = aware(now)
    if status not in STATUS_LABELS or status == DONE_DATA:
        raise TaskError(f"unknown status {status!r}")
    reason = _clean_reason(reason)
    if reason is None:
        raise ReasonRequired("a bulk change needs a reason")
    ids = sorted(set(task_ids))
    if not ids:
        raise TaskError("no tasks selected")
    scope = task_scope(role, team_id, caseworker_id)
    found: list = []  # (id, rule_id, status) of the selected tasks, all in scope
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        known = set(db.scalars(select(DqmTask.id).where(DqmTask.id.in_(chunk))))
        if len(known) < len(chunk):
            raise UnknownTask(f"no task {min(set(chunk) - known)}")
        query = select(DqmTask.id, DqmTask.rule_id, DqmTask.status).where(DqmTask.id.in_(chunk))
        mine = db.execute(_in_scope(query, scope)).all()
        if len(mine) < len(chunk):
            outside = min(set(chunk) - {r.id for r in mine})
            raise OutOfScope(f"task {outside} is not in the scope of {user_name}")
        found.extend(mine)
    change = sorted((r for r in found if status in TRANSITIONS[r.status]), key=lambda r: r.id)
    # set-based, not one unit of work per task (10.000 tasks at once); the reason is kept on each
    # changed task whatever the status, so the task says why it was changed with others
    for i in range(0, len(change), 500):
        db.execute(
            update(DqmTask)
            .where(DqmTask.id.in_([r.id for r in change[i : i + 500]]))
            .values(status=status, reason=reason, updated_at=now, updated_by=user_name[:64])
            .execution_options(synchronize_session="fetch")
        )
    details = [
        f"Aufgabe {r.id} ({r.rule_id}): {STATUS_LABELS[r.status]} -> {STATUS_LABELS[status]} (Sammeländerung)"
        for r in change
    ]
    audit.record_many(db, user_name=user_name, role=role, action="dqm_task", details=details, now=now)
    db.flush()
    return BulkResult(len(change), len(found) - len(change))


def open_counts(db: Session, person_ids) -> dict[str, int]:
    """Number of open or in-progress tasks per person, for the given person ids (persons without
    open tasks are left out). No scope check: the caller passes only persons the user may see."""
    ids = sorted({str(p) for p in person_ids})
    out: dict[str, int] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        for pid, n in db.execute(
            select(DqmTask.person_id, func.count())
            .where(DqmTask.person_id.in_(chunk), DqmTask.status.in_(ACTIVE))
            .group_by(DqmTask.person_id)
        ):
            out[pid] = int(n)
    return out
