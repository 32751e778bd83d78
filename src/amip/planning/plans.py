"""Target plans (Zielplanung): saving versions, agreeing them, reading the current plan.

Rules:
- a plan belongs to (year, job center, team); ``team_id`` None is the job center's own target,
  a team id a bottom-up team plan;
- every save makes a new version (1, 2, ...) with status ``draft``; nothing is updated in place,
  so the versions are the history (who saved which values when; :func:`history` also lists what
  changed against the version before);
- ``agree`` marks the newest version ``agreed`` (who, when); an agreed version is frozen, a later
  save makes a new draft above it; the "current agreed" plan is the newest agreed version;
- every save and every agreement is written to the audit log (``plan_saved``, ``plan_agreed``;
  detail: year, job center, team, version, status; no person data exists here at all).

Like all state functions: flush, never commit; the caller owns the transaction
(``with factory.begin() as db:``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from amip.planning import targets
from amip.planning.models import MEASURES, SEXES, Plan, PlanValue
from amip.state import audit
from amip.state.models import aware
from amip.text import NOTE_MAX, TextInputError, clean_text

MEASURE_LABELS = {"integrations": "Integrationen", "elb_jdw": "ELB (JDW)", "lzb_jdw": "LZB (JDW)"}
SEX_LABELS = {"all": "Insgesamt", "w": "Frauen", "m": "Männer"}


_GERMAN_THOUSANDS = re.compile(r"\d{1,3}(\.\d{3})+")


class PlanError(ValueError):
    """Bad input for a plan (unknown sex or measure, negative or non-numeric value, ...)."""


class PlanNotFound(LookupError):
    pass


class PlanFrozen(PlanError):
    """The version is agreed (frozen) or not the newest one."""


def _unit(team_id: str | None) -> str:
    return f"Team {team_id}" if team_id else "Jobcenter"


def clean_values(values: Mapping[str, Mapping[str, object]]) -> dict[str, dict[str, float]]:
    """{sex: {measure: float}}: checked (known sex and measure, a finite number ≥ 0; ELB > 0);
    None and empty strings mean "not planned" and are dropped. German decimal commas are accepted."""
    out: dict[str, dict[str, float]] = {}
    for sex, row in (values or {}).items():
        if sex not in SEXES:
            raise PlanError(f"unknown sex {sex!r} (allowed: {', '.join(SEXES)})")
        for measure, raw in (row or {}).items():
            if measure not in MEASURES:
                raise PlanError(f"unknown measure {measure!r} (allowed: {', '.join(MEASURES)})")
            if raw is None or (isinstance(raw, str) and raw.strip() == ""):
                continue
            value = _number(raw, f"{sex}/{measure}")
            if measure == "elb_jdw" and value == 0:
                raise PlanError(f"{sex}/{measure}: planned ELB must be greater than 0")
            out.setdefault(sex, {})[measure] = value
    return out


def _number(raw: object, where: str) -> float:
    if isinstance(raw, bool):
        raise PlanError(f"{where}: not a number: {raw!r}")
    if isinstance(raw, str):
        text = raw.strip().replace(" ", "").replace("\u00a0", "")
        if "," in text:  # German: 4.230,5 -> 4230.5
            text = text.replace(".", "").replace(",", ".")
        elif _GERMAN_THOUSANDS.fullmatch(text):  # German: 4.230 -> 4230 (the UI is German)
            text = text.replace(".", "")
        try:
            value = float(text)
        except ValueError:
            raise PlanError(f"{where}: not a number: {raw!r}") from None
    else:
        try:
            value = float(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise PlanError(f"{where}: not a number: {raw!r}") from None
    if math.isnan(value) or math.isinf(value):
        raise PlanError(f"{where}: not a finite number: {raw!r}")
    if value < 0:
        raise PlanError(f"{where}: must not be negative: {raw!r}")
    return value


def _check_key(year: int, jobcenter_id: str, team_id: str | None) -> None:
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise PlanError(f"year must be between 2000 and 2100, not {year!r}")
    if not jobcenter_id or len(jobcenter_id) > 64:
        raise PlanError("job center id must have 1 to 64 characters")
    if team_id is not None and (team_id == "" or len(team_id) > 64):
        raise PlanError("team id must have 1 to 64 characters")
    if team_id is not None:
        try:
            clean_text(team_id, "Team", max_len=64, multiline=False, strip=False)
        except TextInputError as exc:
            raise PlanError(str(exc)) from None


def _versions_query(year: int, jobcenter_id: str, team_id: str | None):
    q = select(Plan).where(Plan.year == year, Plan.jobcenter_id == jobcenter_id)
    q = q.where(Plan.team_id.is_(None)) if team_id is None else q.where(Plan.team_id == team_id)
    return q.options(selectinload(Plan.values))


def versions(db: Session, year: int, jobcenter_id: str, team_id: str | None = None) -> list[Plan]:
    """All versions of one plan, oldest first."""
    return list(db.scalars(_versions_query(year, jobcenter_id, team_id).order_by(Plan.version)))


def latest(db: Session, year: int, jobcenter_id: str, team_id: str | None = None) -> Plan | None:
    return db.scalars(_versions_query(year, jobcenter_id, team_id).order_by(Plan.version.desc()).limit(1)).first()


def current(
    db: Session, year: int, jobcenter_id: str, team_id: str | None = None, status: str = "agreed"
) -> Plan | None:
    """The newest agreed version (``status="agreed"``) or the newest version of any status
    (``status="any"``); None when there is none."""
    if status == "any":
        return latest(db, year, jobcenter_id, team_id)
    if status != "agreed":
        raise PlanError(f"status must be 'agreed' or 'any', not {status!r}")
    q = _versions_query(year, jobcenter_id, team_id).where(Plan.status == "agreed")
    return db.scalars(q.order_by(Plan.version.desc()).limit(1)).first()


def get(db: Session, plan_id: int) -> Plan:
    plan = db.get(Plan, plan_id, options=[selectinload(Plan.values)])
    if plan is None:
        raise PlanNotFound(f"no plan version with id {plan_id}")
    return plan


def save_plan(
    db: Session,
    year: int,
    jobcenter_id: str,
    team_id: str | None,
    values: Mapping[str, Mapping[str, object]],
    user: str,
    role: str = "controlling",
    *,
    note: str | None = None,
    source: str = "manual",
    merge: bool = False,
    now: datetime | None = None,
) -> Plan:
    """Save a new draft version of the plan of (year, job center, team) and return it.

    ``values`` is {sex: {measure: value}} with sex in all/m/w and measure in integrations,
    elb_jdw, lzb_jdw (None or "" = not planned). With ``merge=True`` the values of the newest
    version are carried over and ``values`` overrides them (the CLI sets one sex at a time).
    Audited as ``plan_saved`` by ``user``/``role``.
    """
    _check_key(year, jobcenter_id, team_id)
    try:
        note = clean_text(note, "Notiz", max_len=NOTE_MAX) or None
    except TextInputError as exc:
        raise PlanError(str(exc)) from None
    if source not in ("manual", "proposal"):
        raise PlanError(f"source must be 'manual' or 'proposal', not {source!r}")
    cleaned = clean_values(values)
    prev = latest(db, year, jobcenter_id, team_id)
    if merge and prev is not None:
        base = prev.as_dict()
        for sex, row in cleaned.items():
            base.setdefault(sex, {}).update(row)
        cleaned = base
    if not any(cleaned.values()):
        raise PlanError("a plan needs at least one planned value")
    plan = Plan(
        year=year,
        jobcenter_id=jobcenter_id,
        team_id=team_id,
        version=(prev.version + 1) if prev else 1,
        status="draft",
        source=source,
        created_by=user[:64],
        created_at=aware(now),
        note=(note or None),
    )
    for sex in SEXES:
        for measure in MEASURES:
            if measure in cleaned.get(sex, {}):
                plan.values.append(PlanValue(sex=sex, measure=measure, value=cleaned[sex][measure]))
    db.add(plan)
    db.flush()
    audit.record(
        db,
        user_name=user,
        role=role,
        action="plan_saved",
        list_name=f"Zielplanung {year}",
        detail=f"{year} {jobcenter_id} {_unit(team_id)} Version {plan.version} (Entwurf"
        f"{', aus Prognose' if source == 'proposal' else ''})",
        now=now,
    )
    return plan


def agree(db: Session, plan_id: int, user: str, role: str = "controlling", *, now: datetime | None = None) -> Plan:
    """Mark version ``plan_id`` as agreed (it must be the newest version of its plan and a draft)."""
    plan = get(db, plan_id)
    if plan.status == "agreed":
        raise PlanFrozen(f"version {plan.version} is already agreed")
    newest = latest(db, plan.year, plan.jobcenter_id, plan.team_id)
    if newest is not None and newest.id != plan.id:
        raise PlanFrozen(f"version {plan.version} is not the newest version ({newest.version})")
    at = aware(now)
    plan.status, plan.agreed_by, plan.agreed_at = "agreed", user[:64], at
    db.flush()
    audit.record(
        db,
        user_name=user,
        role=role,
        action="plan_agreed",
        list_name=f"Zielplanung {plan.year}",
        detail=f"{plan.year} {plan.jobcenter_id} {_unit(plan.team_id)} Version {plan.version} vereinbart",
        now=now,
    )
    return plan


def team_ids(db: Session, year: int, jobcenter_id: str) -> list[str]:
    """Teams with at least one plan version for (year, job center)."""
    q = (
        select(Plan.team_id)
        .where(Plan.year == year, Plan.jobcenter_id == jobcenter_id, Plan.team_id.is_not(None))
        .distinct()
    )
    return sorted(t for t in db.scalars(q) if t)


def team_sum(db: Session, year: int, jobcenter_id: str) -> dict:
    """The bottom-up sum: the newest version of every team's plan (draft or agreed), added per
    sex and measure. A measure's sum is None when no team planned it; ``planned_by`` says how many
    teams planned it; the quota of the sum exists only when every team planned both integrations
    and ELB for that sex.

    Returns {"teams": [{"team_id", "version", "status", "plan_id", "created_by", "created_at",
    "values" (with totals and quota), "stored" (as saved)}],
    "sum": {sex: {measure: float|None, "quota": ...}} (with ``all`` = m + w where a team planned only
    m and w), "planned_by": {sex: {measure: number of teams}}}.
    """
    rows, total = [], {s: {m: None for m in MEASURES} for s in SEXES}
    count = {s: {m: 0 for m in MEASURES} for s in SEXES}
    for team in team_ids(db, year, jobcenter_id):
        plan = latest(db, year, jobcenter_id, team)
        vals = targets.with_totals(plan.as_dict())
        rows.append(
            {
                "team_id": team,
                "version": plan.version,
                "status": plan.status,
                "plan_id": plan.id,
                "created_by": plan.created_by,
                "created_at": plan.created_at,
                "values": vals,
                "stored": plan.as_dict(),
            }
        )
        for s in SEXES:
            for m in MEASURES:
                v = vals[s][m]
                if v is not None:
                    total[s][m] = (total[s][m] or 0.0) + v
                    count[s][m] += 1
    for s in SEXES:
        # A quota of the sum only when every team planned both integrations and ELB for this sex
        # (a sum of some teams' integrations over other teams' ELB would mean nothing).
        complete = count[s]["integrations"] == count[s]["elb_jdw"] == len(rows)
        total[s]["quota"] = targets.quota(total[s]["integrations"], total[s]["elb_jdw"]) if complete else None
    return {"teams": rows, "sum": total, "planned_by": count}


def history(
    db: Session, year: int, jobcenter_id: str, team_id: str | None = None, *, all_units: bool = False
) -> list[dict]:
    """Versions newest first: unit, version, status, source, created_by/at, agreed_by/at, note,
    values and ``changed`` (the "sex measure: old → new" entries against the version before).
    ``all_units=True`` lists the job center's plan and every team plan of the year together."""
    units = [None, *team_ids(db, year, jobcenter_id)] if all_units else [team_id]
    out = []
    for unit in units:
        prev: dict[str, dict[str, float]] = {}
        for plan in versions(db, year, jobcenter_id, unit):
            vals = plan.as_dict()
            changed = []
            for s in SEXES:
                for m in MEASURES:
                    old, new = (prev.get(s) or {}).get(m), (vals.get(s) or {}).get(m)
                    if old != new:
                        changed.append({"sex": s, "measure": m, "old": old, "new": new})
            out.append(
                {
                    "plan_id": plan.id,
                    "team_id": plan.team_id,
                    "unit": _unit(plan.team_id),
                    "version": plan.version,
                    "status": plan.status,
                    "source": plan.source,
                    "created_by": plan.created_by,
                    "created_at": plan.created_at,
                    "agreed_by": plan.agreed_by,
                    "agreed_at": plan.agreed_at,
                    "note": plan.note,
                    "values": vals,
                    "changed": changed,
                }
            )
            prev = vals
    out.sort(key=lambda r: (r["created_at"], r["plan_id"]), reverse=True)
    return out


def years(db: Session, jobcenter_id: str | None = None) -> list[int]:
    q = select(Plan.year).distinct()
    if jobcenter_id is not None:
        q = q.where(Plan.jobcenter_id == jobcenter_id)
    return sorted(db.scalars(q))


def count_versions(db: Session) -> int:
    return int(db.scalar(select(func.count()).select_from(Plan)) or 0)


def programme_targets(db: Session, year: int, jobcenter_id: str, store) -> dict:
    """The job center's plan for ``year`` beside the actual values of ``year − 1`` and the changes,
    as the programme document prints them (for the report writer).

    Returns {"plan": {sex: {"integrations", "elb_jdw", "lzb_jdw", "quota"}}, "actual_previous":
    the same for year − 1 from ``store`` (None where not available), "changes": {sex:
    {"integrations_pct", "elb_pct", "quota_pct", "lzb_pct"}}, "status": "agreed" | "draft" | None,
    "version": int | None}. The plan is the newest agreed version, else the newest draft (then
    ``status`` is "draft"); all values unrounded (round only when printing).
    """
    plan = current(db, year, jobcenter_id, None, "agreed") or latest(db, year, jobcenter_id, None)
    planned = targets.with_totals(plan.as_dict()) if plan is not None else targets.empty()
    previous = targets.actual_year(store, jobcenter_id, year - 1) if store is not None else targets.empty()
    return {
        "plan": planned,
        "actual_previous": previous,
        "changes": targets.changes(planned, previous),
        "status": plan.status if plan is not None else None,
        "version": plan.version if plan is not None else None,
    }
