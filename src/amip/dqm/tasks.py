"""Data-quality tasks: listing in a scope, status changes (audited, scope-checked), open counts.

Scope: an IFK works on the tasks of the own caseload (``caseworker_id``), a team lead on the
team's tasks, controlling on all. Status: ``offen`` → ``in_bearbeitung`` → ``erledigt``, or
``kein_fehler`` with a mandatory reason; a closed task can be opened again. ``erledigt_daten`` is
set only by a run (the data no longer produce the finding) and cannot be changed by hand.
Like all state functions: flush, never commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
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


def list_tasks(
    db: Session, scope: Scope, rule: str | None = None, status: str | None = None, limit: int = 500
) -> tuple[list[DqmTask], int]:
    """Tasks in ``scope`` (optionally of one rule / status; ``status='aktiv'`` = open or in progress),
    newest month first, at most ``limit``; and the total count matching."""
    query = _in_scope(select(DqmTask), scope)
    if rule:
        query = query.where(DqmTask.rule_id == rule)
    if status == "aktiv":
        query = query.where(DqmTask.status.in_(ACTIVE))
    elif status:
        query = query.where(DqmTask.status == status)
    total = int(db.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = db.scalars(query.order_by(DqmTask.month.desc(), DqmTask.rule_id, DqmTask.person_id, DqmTask.id).limit(limit))
    return list(rows), total


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
    try:
        reason = clean_text(reason, "Begründung", max_len=MAX_REASON) or None
    except TextInputError as exc:
        raise BadReason(str(exc)) from None
    if status == NO_ERROR and reason is None:
        raise ReasonRequired("'kein Fehler' needs a reason")
    old = task.status
    task.status = status
    task.reason = reason if status in (NO_ERROR, DONE) else None
    task.updated_at = now
    task.updated_by = user_name[:64]
    audit.record(
        db,
        user_name=user_name,
        role=role,
        action="dqm_task",
        now=now,
        detail=f"Aufgabe {task.id} ({task.rule_id}): {STATUS_LABELS[old]} -> {STATUS_LABELS[status]}",
    )
    db.flush()
    return task


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
