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
import unicodedata
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
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


class PlanError(ValueError):
    """Bad input for a plan (unknown sex or measure, negative or non-numeric value, ...)."""


class PlanNotFound(LookupError):
    pass


class PlanFrozen(PlanError):
    """The version is agreed (frozen) or not the newest one."""


class PlanEmpty(PlanError):
    """A plan without any planned value."""


def _unit(team_id: str | None) -> str:
    return f"Team {team_id}" if team_id else "Jobcenter"


# German messages for the form (the field is named by where the message stands); ``{raw}`` is the
# typed text, shown escaped and shortened (:func:`typed`).
# Integrations are whole numbers, so their messages ask for "eine ganze Zahl" ({number}).
FIELD_MESSAGES = {
    "not_a_number": "Bitte {number} eingeben (eingegeben: „{raw}“).",
    "not_whole": "Bitte eine ganze Zahl eingeben (eingegeben: „{raw}“).",
    "negative": "Bitte {number} ab 0 eingeben (eingegeben: „{raw}“).",
    "elb_zero": "Die geplanten ELB müssen größer als 0 sein (eingegeben: „{raw}“).",
}
# The English messages of the CLI and the Python API (``str`` of the error).
_ENGLISH = {
    "not_a_number": "{where}: not a number: {raw!r}",
    "not_finite": "{where}: not a finite number: {raw!r}",
    "not_whole": "{where}: integrations must be a whole number: {raw!r}",
    "negative": "{where}: must not be negative: {raw!r}",
    "elb_zero": "{where}: planned ELB must be greater than 0",
}
TYPED_MAX = 40  # characters of a typed value echoed in a message


class PlanValueError(PlanError):
    """One or more planned values are not acceptable. ``problems`` maps (sex, measure) to the
    problem (``not_a_number``, ``not_finite``, ``not_whole``, ``negative``, ``elb_zero``) and the
    typed value; ``str`` is the first problem in English (CLI), :meth:`messages` the German
    messages per field (cockpit)."""

    def __init__(self, problems: dict[tuple[str, str], tuple[str, object]]):
        self.problems = problems
        (sex, measure), (kind, raw) = next(iter(problems.items()))
        super().__init__(_ENGLISH[kind].format(where=f"{sex}/{measure}", raw=raw))

    def messages(self) -> dict[tuple[str, str], str]:
        return {key: field_message(kind, raw, key[1]) for key, (kind, raw) in self.problems.items()}


def printable(text: object) -> str:
    """``text`` as a form shows it again: control, format (direction overrides) and unassigned
    characters replaced by U+FFFD, so what is shown is what can be seen."""
    return "".join("\ufffd" if unicodedata.category(ch).startswith("C") else ch for ch in str(text))


def typed(raw: object) -> str:
    """The typed value as a message quotes it: printable, at most TYPED_MAX characters (… after)."""
    text = printable(raw)
    return text if len(text) <= TYPED_MAX else text[: TYPED_MAX - 1] + "…"


def field_message(kind: str, raw: object, measure: str) -> str:
    """The German message of one problem of ``measure`` (``not_finite`` reads as "not a number")."""
    number = "eine ganze Zahl" if measure == "integrations" else "eine Zahl"
    return FIELD_MESSAGES["not_a_number" if kind == "not_finite" else kind].format(raw=typed(raw), number=number)


def clean_values(values: Mapping[str, Mapping[str, object]]) -> dict[str, dict[str, float]]:
    """{sex: {measure: float}}: checked (known sex and measure, a finite number ≥ 0; integrations
    a whole number; ELB > 0); None and empty strings mean "not planned" and are dropped. German
    decimal commas and thousands points are accepted. Every bad value is reported at once
    (:class:`PlanValueError`)."""
    out: dict[str, dict[str, float]] = {}
    problems: dict[tuple[str, str], tuple[str, object]] = {}
    for sex, row in (values or {}).items():
        if sex not in SEXES:
            raise PlanError(f"unknown sex {sex!r} (allowed: {', '.join(SEXES)})")
        for measure, raw in (row or {}).items():
            if measure not in MEASURES:
                raise PlanError(f"unknown measure {measure!r} (allowed: {', '.join(MEASURES)})")
            if raw is None or (isinstance(raw, str) and raw.strip() == ""):
                continue
            kind, value = _number(raw)
            if kind is None and measure == "integrations" and not float(value).is_integer():
                kind = "not_whole"
            if kind is None and measure == "elb_jdw" and value == 0:
                kind = "elb_zero"
            if kind is not None:
                problems[(sex, measure)] = (kind, raw)
                continue
            out.setdefault(sex, {})[measure] = value
    if problems:
        raise PlanValueError(problems)
    return out


def parse_values(values: Mapping[str, Mapping[str, object]]) -> dict[str, dict[str, float]]:
    """Like :func:`clean_values`, but the bad values are left out instead of raising (for a sum
    shown while someone types); unknown sexes and measures still raise."""
    try:
        return clean_values(values)
    except PlanValueError as exc:
        bad = exc.problems
    return clean_values({s: {m: v for m, v in (row or {}).items() if (s, m) not in bad} for s, row in values.items()})


def _number(raw: object) -> tuple[str | None, float]:
    """(problem or None, the value)."""
    if isinstance(raw, bool):
        return "not_a_number", 0.0
    if isinstance(raw, str):
        text = raw.strip().replace(" ", "").replace("\u00a0", "")
        if "," in text:  # German: 4.230,5 -> 4230.5
            text = text.replace(".", "").replace(",", ".")
        elif _GERMAN_THOUSANDS.fullmatch(text):  # German: 4.230 -> 4230 (the UI is German)
            text = text.replace(".", "")
        if not _PLAIN_NUMBER.fullmatch(text):  # no "inf", "nan", "1e3", "0x10", "1_000"
            return "not_a_number", 0.0
        value = float(text)
    else:
        try:
            value = float(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return "not_a_number", 0.0
    if math.isnan(value) or math.isinf(value):
        return "not_finite", 0.0
    if value < 0:
        return "negative", value
    return None, value


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
        raise PlanEmpty("a plan needs at least one planned value")
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


def team_sum(
    db: Session, year: int, jobcenter_id: str, entry: tuple[str, Mapping[str, Mapping[str, float]]] | None = None
) -> dict:
    """The bottom-up sum: the newest version of every team's plan (draft or agreed), added per
    sex and measure. A measure's sum is None when no team planned it; ``planned_by`` says how many
    teams planned it; the quota of the sum exists only when every team planned both integrations
    and ELB for that sex. ``entry`` = (team, cleaned values) puts values being typed in place of
    that team's newest version (or adds the team; an entry without values leaves the team out): the
    sum "as you type", nothing is saved.

    Returns {"teams": [{"team_id", "version", "status", "plan_id", "created_by", "created_at",
    "values" (with totals and quota), "stored" (as saved), "entry" (True for ``entry``)}],
    "sum": {sex: {measure: float|None, "quota": ...}} (with ``all`` = m + w where a team planned only
    m and w), "planned_by": {sex: {measure: number of teams}}}.
    """
    rows, total = [], {s: {m: None for m in MEASURES} for s in SEXES}
    count = {s: {m: 0 for m in MEASURES} for s in SEXES}
    names = team_ids(db, year, jobcenter_id)
    if entry is not None:  # an entry without any value leaves the team out
        names = sorted({*names, entry[0]}) if any(entry[1].values()) else [n for n in names if n != entry[0]]
    for team in names:
        if entry is not None and team == entry[0]:
            stored = {s: dict(row) for s, row in entry[1].items()}
            info = {"version": None, "status": None, "plan_id": None, "created_by": None, "created_at": None}
        else:
            plan = latest(db, year, jobcenter_id, team)
            assert plan is not None  # team_ids lists teams with a version
            stored = plan.as_dict()
            info = {
                "version": plan.version,
                "status": plan.status,
                "plan_id": plan.id,
                "created_by": plan.created_by,
                "created_at": plan.created_at,
            }
        vals = targets.with_totals(stored)
        rows.append(
            {"team_id": team, **info, "values": vals, "stored": stored, "entry": entry is not None and team == entry[0]}
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
