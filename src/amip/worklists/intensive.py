"""Intensive care (Intensivbetreuung): candidates, places, meetings, reminders, team status, cohorts.

The programme (AMIP 2022, "Operational programmes" in seed-facts.md): each integration specialist
(IFK) takes N customers threatened by long-term benefit receipt (LZB) into intensive care for six
months (N = 5 in 2022, 2 in 2020); monthly meetings whose agreed steps are reviewed at the next
contact; after an integration into insured employment, further support is checked.

Rules (kennzahlen.md): ``Dur(p, d)`` is the number of days of ``[d − 729, d]`` covered by any
``elb_spells`` row of p (overlaps once); p is LZB at d when p is ELB at d, ``Dur(p, d) >= 638`` and
p's 17th birthday is on or before d. "Today" for the data is ``T = ST(dataset.last_month)``.

Candidates: ELB at T in the viewer's scope (caseload at T), not LZB at T, who would become LZB
within ``HORIZON_DAYS`` = 183 days after T if receipt continued every day from T + 1 on. With
continued receipt, ``Dur(p, T + k) = Dur(p, T) + k − (covered days among the first k days of the
window)``, i.e. Dur grows by the number of *uncovered* days that leave the window. So the day p
becomes LZB is found in closed form from the gaps inside the window: with ``need = 638 − Dur(p,
T)``, ``k`` is the position (1 = the window's first day ``T − 729``) of the need-th uncovered day;
``days_left = max(k, days until the 17th birthday)``. Everything is one SQL query over the
warehouse (DuckDB), proportional to the number of spells.

Meetings use the real clock (or ``AMIP_TODAY``): the first meeting is due on the day the customer
is taken, every further one a calendar month after the previous meeting; a meeting is overdue
``GRACE_DAYS`` = 7 days after its due date.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from calendar import monthrange
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from amip.figures.store import AGE_GROUPS, Scope
from amip.kennzahlen.calendar import month_str, parse_month, stichtag
from amip.state import audit
from amip.text import MEETING_MAX, NOTE_MAX, TextInputError, clean_text
from amip.worklists.models import IntensiveMeeting, IntensivePlace

WINDOW_DAYS = 730
THRESHOLD_DAYS = 638
HORIZON_DAYS = 183      # "within the next six months"
PLACE_MONTHS = 6
GRACE_DAYS = 7          # a meeting is overdue this many days after its due date
SOON_DAYS = 7           # "bald fällig" this many days before
DEFAULT_PLACES = 5
DEFAULT_PLACES_SPEC = "2020:2,2022:5"
INTEGRATION_KINDS = ("svb", "ausbildung", "selbst")
DUR_BANDS = ((0, 549, "bis 549 Tage"), (550, 599, "550–599 Tage"), (600, 637, "600–637 Tage"), (638, 730, "ab 638 Tage"))
CAVEAT = ("Keine kausale Wirkungsmessung: Die Vergleichsgruppe sind Kundinnen und Kunden, die zum selben "
          "Stichtag ebenfalls Kandidaten waren und in Altersgruppe, Geschlecht, Integrationsprognose und "
          "Bezugsdauer-Band übereinstimmen, aber nicht aufgenommen wurden. Die Auswahl durch die "
          "Integrationsfachkraft folgt Merkmalen, die die Daten nicht kennen; Unterschiede können daher "
          "auch aus der Auswahl stammen.")

_SECRET = secrets.token_bytes(32)  # per process: candidate tokens are valid until the server restarts


class IntensiveError(ValueError):
    """A refused take or meeting; the message is German and shown to the user."""


# ---- settings and dates -----------------------------------------------------------------------

def places_per_year(spec: str | None) -> dict[int, int]:
    """``"5"`` -> {0: 5} (every year); ``"2020:2,2022:5"`` -> {2020: 2, 2022: 5}."""
    spec = (spec or DEFAULT_PLACES_SPEC).strip()
    out: dict[int, int] = {}
    try:
        if ":" not in spec:
            out[0] = int(spec)
        else:
            for part in spec.split(","):
                year, n = part.split(":")
                out[int(year)] = int(n)
    except ValueError:
        raise ValueError(f"AMIP_INTENSIVE_PLACES: expected '5' or '2020:2,2022:5', not {spec!r}") from None
    if any(n < 0 for n in out.values()):
        raise ValueError("AMIP_INTENSIVE_PLACES: the number of places must not be negative")
    return out


def places_for(year: int, spec: str | None = None) -> int:
    """N for ``year``: the value of the latest listed year on or before it, else 5."""
    table = places_per_year(spec)
    years = [y for y in table if y <= year]
    return table[max(years)] if years else DEFAULT_PLACES


def today_of(fixed: str | None = None) -> dt.date:
    """The date for reminders: ``fixed`` (AMIP_TODAY, YYYY-MM-DD) or the real clock (UTC)."""
    if fixed:
        return dt.date.fromisoformat(fixed)
    return dt.datetime.now(dt.UTC).date()


def add_months(d: dt.date, n: int) -> dt.date:
    """The same day ``n`` months later (the month's last day where it is shorter)."""
    idx = d.year * 12 + d.month - 1 + n
    y, m = idx // 12, idx % 12 + 1
    return dt.date(y, m, min(d.day, monthrange(y, m)[1]))


def band(dur: int | None) -> str | None:
    if dur is None or pd.isna(dur):
        return None
    for lo, hi, label in DUR_BANDS:
        if lo <= dur <= hi:
            return label
    return None


# ---- SQL over the warehouse ---------------------------------------------------------------------

def _query(src, sql: str, params: dict) -> pd.DataFrame:
    """Run ``sql`` on a FigureStore (its connection, warehouse attached as ``w``) or on a DuckDB
    connection that has the warehouse attached as ``w``."""
    params = {k: v for k, v in params.items() if re.search(rf"\${k}\b", sql)}  # DuckDB refuses unused ones
    con = getattr(src, "_con", None)
    if con is not None:
        with src._lock:
            return con.execute(sql, params).df()
    return src.execute(sql, params).df()


def _tables(src) -> set[str]:
    if hasattr(src, "warehouse_tables"):
        return set(src.warehouse_tables)
    rows = _query(src, "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'w'", {})
    return set(rows["table_name"])


def data_today(src) -> dt.date:
    """T = ST(last month of the data)."""
    last = _query(src, "SELECT last_month FROM w.dataset", {}).iloc[0, 0]
    return stichtag(parse_month(last))


def _scope_where(scope: Scope, params: dict) -> str:
    if scope.kind == "all":
        return ""
    if scope.kind == "team":
        params["unit"] = scope.value
        return "AND c.team = $unit"
    if scope.kind == "caseload":
        params["unit"] = scope.value
        return "AND c.caseworker = $unit"
    raise PermissionError("no person-level access")


def profiles(src, scope: Scope, at: dt.date, *, jobcenter: str | None = None,
             person_ids: Iterable[str] | None = None) -> pd.DataFrame:
    """Every ELB at ``at`` in ``scope`` (caseload at ``at``): person_id, jobcenter_id, office,
    team, caseworker, sex, age_group, prognosis, integration_goal, dur (``Dur(p, at)``), lzb
    (LZB at ``at``), days_left (days after ``at`` until LZB if receipt continues; 0 when LZB)."""
    has = _tables(src)
    params: dict = {"t": at, "w0": at - dt.timedelta(days=WINDOW_DAYS - 1)}
    where = _scope_where(scope, params)
    caseload = (
        "SELECT person_id, arg_max(office, start_date) AS office, arg_max(team_id, start_date) AS team, "
        "arg_max(caseworker_id, start_date) AS caseworker FROM w.caseload "
        "WHERE start_date <= $t AND (end_date IS NULL OR end_date >= $t) GROUP BY person_id"
        if "caseload" in has else
        "SELECT NULL::VARCHAR AS person_id, NULL::VARCHAR AS office, NULL::VARCHAR AS team, NULL::VARCHAR AS caseworker WHERE false"
    )
    prognosis = (
        "SELECT person_id, arg_max(code, valid_from) AS code, arg_max(integration_goal, valid_from) AS goal "
        "FROM w.prognosis WHERE valid_from <= $t GROUP BY person_id"
        if "prognosis" in has else
        "SELECT NULL::VARCHAR AS person_id, NULL::VARCHAR AS code, NULL::BOOLEAN AS goal WHERE false"
    )
    join = "JOIN c ON c.person_id = e.person_id" if scope.kind != "all" else "LEFT JOIN c ON c.person_id = e.person_id"
    extra = ""
    if jobcenter is not None:
        params["jc"] = jobcenter
        extra += " AND e.jobcenter_id = $jc"
    if person_ids is not None:
        params["ids"] = list(person_ids)
        extra += " AND list_contains($ids, e.person_id)"
    sql = f"""
        WITH c AS ({caseload}), pr AS ({prognosis}),
        e AS (
            SELECT person_id, arg_max(jobcenter_id, start_date) AS jobcenter_id
            FROM w.elb_spells WHERE start_date <= $t AND (end_date IS NULL OR end_date >= $t)
            GROUP BY person_id
        ),
        scoped AS (
            SELECT e.person_id, e.jobcenter_id, c.office, c.team, c.caseworker
            FROM e {join} WHERE true {where} {extra}
        ),
        sp AS (   -- the scoped persons' spells, clipped to the window [t - 729, t]
            SELECT s.person_id, greatest(s.start_date, $w0::DATE) AS a, least(coalesce(s.end_date, $t::DATE), $t::DATE) AS b
            FROM w.elb_spells s JOIN scoped USING (person_id)
            WHERE s.start_date <= $t AND coalesce(s.end_date, $t::DATE) >= $w0
        ),
        o AS (
            SELECT *, max(b) OVER (PARTITION BY person_id ORDER BY a, b
                                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_b
            FROM sp
        ),
        g AS (
            SELECT *, sum(CASE WHEN prev_b IS NULL OR a > prev_b + 1 THEN 1 ELSE 0 END)
                      OVER (PARTITION BY person_id ORDER BY a, b ROWS UNBOUNDED PRECEDING) AS island
            FROM o
        ),
        isl AS (SELECT person_id, island, min(a) AS a, max(b) AS b FROM g GROUP BY ALL),
        dur AS (SELECT person_id, sum(b - a + 1) AS dur FROM isl GROUP BY person_id),
        gaps AS (  -- the uncovered runs inside the window (none after t: everyone is ELB at t)
            SELECT person_id, coalesce(lag(b) OVER (PARTITION BY person_id ORDER BY a) + 1, $w0::DATE) AS g0, a - 1 AS g1
            FROM isl
        ),
        gc AS (
            SELECT person_id, g0, g1 - g0 + 1 AS n,
                   sum(g1 - g0 + 1) OVER (PARTITION BY person_id ORDER BY g0 ROWS UNBOUNDED PRECEDING)::BIGINT AS cum
            FROM gaps WHERE g1 >= g0
        ),
        base AS (
            SELECT s.*, p.sex, p.birth_date,
                   CASE WHEN month(p.birth_date) = 2 AND day(p.birth_date) = 29
                        THEN make_date(year(p.birth_date) + 17, 3, 1)
                        ELSE CAST(p.birth_date + INTERVAL 17 YEAR AS DATE) END AS b17,
                   d.dur::BIGINT AS dur, (638 - d.dur)::BIGINT AS need
            FROM scoped s JOIN w.persons p USING (person_id) JOIN dur d USING (person_id)
        ),
        k AS (   -- position of the need-th uncovered day of the window
            SELECT b.person_id, min((gc.g0 - $w0::DATE) + (b.need - (gc.cum - gc.n))::BIGINT) AS k
            FROM base b JOIN gc ON gc.person_id = b.person_id AND b.need > 0
             AND gc.cum >= b.need AND gc.cum - gc.n < b.need
            GROUP BY b.person_id
        )
        SELECT base.person_id, base.jobcenter_id, base.office, base.team, base.caseworker, base.sex,
               date_diff('year', base.birth_date, $t::DATE) AS age,
               CASE WHEN date_diff('year', base.birth_date, $t::DATE) < 25 THEN '{AGE_GROUPS[0]}'
                    WHEN date_diff('year', base.birth_date, $t::DATE) < 55 THEN '{AGE_GROUPS[1]}'
                    ELSE '{AGE_GROUPS[2]}' END AS age_group,
               pr.code AS prognosis, coalesce(pr.goal, false) AS integration_goal,
               base.dur::INTEGER AS dur,
               (base.dur >= 638 AND base.b17 <= $t) AS lzb,
               greatest(coalesce(k.k, 0), base.b17 - $t::DATE, 0)::INTEGER AS days_left
        FROM base LEFT JOIN k USING (person_id) LEFT JOIN pr USING (person_id)
        ORDER BY days_left, dur DESC, person_id
    """
    out = _query(src, sql, params)
    out["lzb_date"] = [at + dt.timedelta(days=int(d)) for d in out["days_left"]]
    return out


def candidates(src, scope: Scope, *, at: dt.date | None = None, jobcenter: str | None = None,
               exclude: Iterable[str] = (), horizon: int = HORIZON_DAYS) -> pd.DataFrame:
    """The candidates for intensive care at ``at`` (default T = ST(last month)): ELB in ``scope``,
    not LZB at ``at``, LZB within ``horizon`` days if receipt continues; ranked by days left.
    Persons in ``exclude`` (already in intensive care) are left out. Adds ``token``: an opaque,
    per-process key for forms (never the person id)."""
    at = at or data_today(src)
    p = profiles(src, scope, at, jobcenter=jobcenter)
    p = p[(~p["lzb"]) & (p["days_left"] >= 1) & (p["days_left"] <= horizon)]
    if exclude:
        p = p[~p["person_id"].isin(set(exclude))]
    p = p.reset_index(drop=True)
    p["token"] = [token_of(j, pid) for j, pid in zip(p["jobcenter_id"], p["person_id"])]
    p["band"] = [band(d) for d in p["dur"]]
    return p


def token_of(jobcenter_id: str, person_id: str) -> str:
    return hmac.new(_SECRET, f"{jobcenter_id}\x1f{person_id}".encode(), hashlib.sha256).hexdigest()[:24]


# ---- places and meetings (state database) -------------------------------------------------------

def active_person_ids(db: Session, jobcenter: str | None = None) -> set[str]:
    q = select(IntensivePlace.person_id).where(IntensivePlace.status == "active")
    if jobcenter is not None:
        q = q.where(IntensivePlace.jobcenter_id == jobcenter)
    return set(db.scalars(q))


def all_person_ids(db: Session) -> set[str]:
    return set(db.scalars(select(IntensivePlace.person_id)))


def taken_in_year(db: Session, caseworker_id: str, year: int) -> int:
    """Places of ``caseworker_id`` starting in ``year`` (every status: an ended place used its slot)."""
    return db.scalar(select(func.count()).select_from(IntensivePlace).where(
        IntensivePlace.caseworker_id == caseworker_id,
        IntensivePlace.start_date >= dt.date(year, 1, 1), IntensivePlace.start_date <= dt.date(year, 12, 31))) or 0


def take(db: Session, *, candidate: dict, caseworker_id: str, user_name: str, role: str, today: dt.date,
         places_spec: str | None = None, now: dt.datetime | None = None) -> IntensivePlace:
    """Take the candidate (a row of :func:`candidates`, already checked to be in the IFK's scope)
    into intensive care from ``today`` for six months. Refused (IntensiveError) when the IFK's
    places of the year are used up or the person is already in intensive care."""
    limit = places_for(today.year, places_spec)
    used = taken_in_year(db, caseworker_id, today.year)
    if used >= limit:
        raise IntensiveError(f"Alle {limit} Plätze für {today.year} sind vergeben.")
    if candidate["person_id"] in active_person_ids(db, candidate["jobcenter_id"]):
        raise IntensiveError("Diese Kundin / dieser Kunde ist bereits in der Intensivbetreuung.")
    place = IntensivePlace(
        jobcenter_id=candidate["jobcenter_id"], caseworker_id=caseworker_id, team_id=candidate.get("team"),
        person_id=candidate["person_id"], taken_by=user_name, start_date=today,
        end_date=add_months(today, PLACE_MONTHS) - dt.timedelta(days=1), status="active",
    )
    if now is not None:
        place.taken_at = now
    db.add(place)
    db.flush()
    audit.record(db, user_name=user_name, role=role, action="intensive_take", list_name="Intensivbetreuung",
                 persons=1, detail=f"Platz {place.id}", now=now)
    return place


def place_of(db: Session, place_id: int, caseworker_id: str | None) -> IntensivePlace | None:
    """The place with this id if it belongs to ``caseworker_id`` (None otherwise)."""
    place = db.get(IntensivePlace, place_id)
    if place is None or caseworker_id is None or place.caseworker_id != caseworker_id:
        return None
    return place


def places_of(db: Session, caseworker_id: str) -> list[IntensivePlace]:
    return list(db.scalars(select(IntensivePlace).where(IntensivePlace.caseworker_id == caseworker_id)
                           .order_by(IntensivePlace.status, IntensivePlace.start_date, IntensivePlace.id)))


def record_meeting(db: Session, place: IntensivePlace, *, date: dt.date, situation: str, agreed_steps: str,
                   review_of_previous: str | None, user_name: str, role: str, integrated: bool = False,
                   further_support_needed: bool | None = None, now: dt.datetime | None = None) -> IntensiveMeeting:
    """Add one meeting record. After an integration the record must say whether further support is
    needed; a review of the previous steps is required from the second meeting on."""
    try:
        situation = clean_text(situation, "Situation", max_len=MEETING_MAX)
        agreed_steps = clean_text(agreed_steps, "Vereinbarte Schritte", max_len=MEETING_MAX)
        review = clean_text(review_of_previous, "Auswertung der letzten Schritte", max_len=MEETING_MAX) or None
    except TextInputError as exc:
        raise IntensiveError(f"Nicht gespeichert: {exc}") from None
    if place.status != "active":
        raise IntensiveError("Dieser Platz ist abgeschlossen; es können keine Gespräche mehr erfasst werden.")
    if not situation or not agreed_steps:
        raise IntensiveError("Bitte Situation und vereinbarte Schritte eintragen.")
    if date < place.start_date:
        raise IntensiveError("Das Gespräch liegt vor dem Beginn der Intensivbetreuung.")
    if place.meetings and date < place.meetings[-1].date:
        raise IntensiveError("Das Gespräch liegt vor dem zuletzt erfassten Gespräch.")
    if place.meetings and review is None:
        raise IntensiveError("Bitte die Schritte aus dem letzten Gespräch auswerten.")
    if integrated and further_support_needed is None:
        raise IntensiveError("Nach einer Integration: Ist weitere Unterstützung nötig? Bitte ja oder nein wählen.")
    meeting = IntensiveMeeting(place_id=place.id, date=date, situation=situation, agreed_steps=agreed_steps,
                               review_of_previous=review, integrated=bool(integrated),
                               further_support_needed=further_support_needed if integrated else None,
                               recorded_by=user_name)
    if now is not None:
        meeting.recorded_at = now
    db.add(meeting)
    if integrated:
        if place.integrated_on is None:
            place.integrated_on = date
        place.further_support_needed = further_support_needed
    db.flush()
    db.refresh(place)
    audit.record(db, user_name=user_name, role=role, action="intensive_meeting", list_name="Intensivbetreuung",
                 persons=1, detail=f"Platz {place.id}", now=now)
    return meeting


def end_place(db: Session, place: IntensivePlace, *, on: dt.date, reason: str, user_name: str, role: str) -> None:
    """End a place before its six months are over (e.g. moved away, no longer ELB)."""
    if place.status != "active":
        raise IntensiveError("Dieser Platz ist bereits abgeschlossen.")
    try:
        reason = clean_text(reason, "Grund", max_len=NOTE_MAX)
    except TextInputError as exc:
        raise IntensiveError(f"Nicht gespeichert: {exc}") from None
    if not reason:
        raise IntensiveError("Bitte einen Grund angeben.")
    place.status, place.ended_on, place.end_reason = "ended_early", on, reason
    db.flush()
    audit.record(db, user_name=user_name, role=role, action="intensive_end", list_name="Intensivbetreuung",
                 persons=1, detail=f"Platz {place.id}")


def close_expired(db: Session, today: dt.date) -> int:
    """Mark active places whose six months are over as finished; returns how many."""
    places = list(db.scalars(select(IntensivePlace).where(IntensivePlace.status == "active",
                                                          IntensivePlace.end_date < today)))
    for p in places:
        p.status, p.ended_on = "finished", p.end_date
    db.flush()
    return len(places)


def next_due(place: IntensivePlace) -> dt.date | None:
    """The first meeting is due on the day the customer is taken; each further one a calendar
    month after the previous meeting. None when the place is not active or the next meeting
    would fall after its end."""
    if place.status != "active":
        return None
    due = add_months(place.meetings[-1].date, 1) if place.meetings else place.start_date
    return due if due <= place.end_date else None


@dataclass(frozen=True)
class Reminder:
    due: dt.date | None
    state: str    # "ueberfaellig" | "faellig" | "bald" | "geplant" | "keiner"
    label: str


def reminder(place: IntensivePlace, today: dt.date) -> Reminder:
    """due: ``today >= due``; overdue: ``today > due + 7 days``; soon: within 7 days before due."""
    due = next_due(place)
    if due is None:
        return Reminder(None, "keiner", "kein weiteres Gespräch fällig")
    if today > due + dt.timedelta(days=GRACE_DAYS):
        return Reminder(due, "ueberfaellig", "überfällig")
    if today >= due:
        return Reminder(due, "faellig", "fällig")
    if today >= due - dt.timedelta(days=SOON_DAYS):
        return Reminder(due, "bald", "bald fällig")
    return Reminder(due, "geplant", "geplant")


def meetings_on_time(place: IntensivePlace) -> tuple[int, int]:
    """(meetings on time, meetings recorded): a meeting is on time when it took place at most
    7 days after the date it was due (the start for the first one, a month after the previous)."""
    on_time, due = 0, place.start_date
    for m in place.meetings:
        if m.date <= due + dt.timedelta(days=GRACE_DAYS):
            on_time += 1
        due = add_months(m.date, 1)
    return on_time, len(place.meetings)


def caseworkers(src, team: str | None = None) -> list[tuple[str, str]]:
    """(caseworker, team) of the caseload rows covering T, the data's last Stichtag; only ``team``'s
    when given. Empty without a caseload table."""
    if "caseload" not in _tables(src):
        return []
    rows = _query(src, """
        SELECT DISTINCT caseworker_id, team_id FROM w.caseload
        WHERE caseworker_id IS NOT NULL AND start_date <= $t AND (end_date IS NULL OR end_date >= $t)
              AND ($team IS NULL OR team_id = $team)
    """, {"t": data_today(src), "team": team})
    return [(cw, tm) for cw, tm in rows.itertuples(index=False)]


def team_status(db: Session, *, today: dt.date, team: str | None = None, jobcenter: str | None = None,
                places_spec: str | None = None, staff: Sequence[tuple[str, str]] = ()) -> list[dict]:
    """Per IFK (aggregates only, no person ids): team, places active, places taken this year and
    the year's N, meetings recorded / on time, active places with an overdue meeting. ``staff``
    (caseworker, team) pairs are listed too when they have no place yet (0 of N)."""
    q = select(IntensivePlace)
    if team is not None:
        q = q.where(IntensivePlace.team_id == team)
    if jobcenter is not None:
        q = q.where(IntensivePlace.jobcenter_id == jobcenter)
    rows: dict[str, dict] = {}
    limit = places_for(today.year, places_spec)

    def row(caseworker: str, team_id: str | None) -> dict:
        return rows.setdefault(caseworker, {
            "caseworker": caseworker, "team": team_id, "active": 0, "taken_year": 0, "limit": limit,
            "meetings": 0, "on_time": 0, "overdue": 0, "finished": 0,
        })

    for caseworker, team_id in staff:
        row(caseworker, team_id)
    for p in db.scalars(q):
        r = row(p.caseworker_id, p.team_id)
        if p.status == "active":
            r["active"] += 1
            if reminder(p, today).state == "ueberfaellig":
                r["overdue"] += 1
        else:
            r["finished"] += 1
        if p.start_date.year == today.year:
            r["taken_year"] += 1
        ok, n = meetings_on_time(p)
        r["on_time"] += ok
        r["meetings"] += n
    out = sorted(rows.values(), key=lambda r: (r["team"] or "", r["caseworker"]))
    for r in out:
        r["filled"] = f"{r['taken_year']} von {r['limit']}"
        r["on_time_share"] = r["on_time"] / r["meetings"] * 100 if r["meetings"] else None
    return out


def data_integration(src, person_id: str, since: dt.date) -> dt.date | None:
    """The first start of an integration-kind employment (svb, ausbildung, selbst) of the person on
    or after ``since`` in the warehouse, or None (the data may lag behind the meetings)."""
    if "employment_spells" not in _tables(src):
        return None
    kinds = ", ".join(f"'{k}'" for k in INTEGRATION_KINDS)
    t = _query(src, f"SELECT min(start_date) AS d FROM w.employment_spells WHERE person_id = $p "
                    f"AND kind IN ({kinds}) AND start_date >= $since", {"p": person_id, "since": since})
    d = t.iloc[0, 0]
    return None if d is None or pd.isna(d) else pd.Timestamp(d).date()


# ---- outcomes of finished cohorts against a matched comparison -----------------------------------

def _outcomes(src, person_ids: list[str], start: dt.date, end: dt.date) -> pd.DataFrame:
    """person_id, integrated (an employment spell of kind svb/ausbildung/selbst starting in
    [start, end]), lzb_avoided (not LZB at ``end``)."""
    if not person_ids:
        return pd.DataFrame(columns=["person_id", "integrated", "lzb_avoided"])
    has = _tables(src)
    if "employment_spells" in has:
        kinds = ", ".join(f"'{k}'" for k in INTEGRATION_KINDS)
        ints = _query(src, f"""
            SELECT DISTINCT person_id FROM w.employment_spells
            WHERE kind IN ({kinds}) AND start_date BETWEEN $a AND $b AND list_contains($ids, person_id)
        """, {"a": start, "b": end, "ids": person_ids})
        integrated = set(ints["person_id"])
    else:
        integrated = set()
    at_end = profiles(src, Scope("all"), end, person_ids=person_ids)
    lzb_at_end = set(at_end.loc[at_end["lzb"], "person_id"])
    return pd.DataFrame({
        "person_id": person_ids,
        "integrated": [p in integrated for p in person_ids],
        "lzb_avoided": [p not in lzb_at_end for p in person_ids],
    })


def cohort_outcomes(src, db: Session, *, team: str | None = None, jobcenter: str | None = None) -> list[dict]:
    """The outcome of every finished cohort (places starting in the same month, the six months
    covered by the data) against a matched comparison.

    Cohort of month c: reference day R = ST(c − 1), outcome window [first day of c, + 6 months − 1].
    Taken persons and comparison persons are described at R (age group, sex, prognosis, band of
    ``Dur``); the comparison pool is every candidate at R of the same job center who was never taken
    into intensive care. Exact matching: a taken person with no comparison person in the same cell
    is left out; each matched person is compared with the mean of its cell (so the comparison is
    weighted like the taken group). Integrated: an integration-kind employment starting in the
    window; LZB avoided: not LZB at the window's end."""
    T = data_today(src)
    q = select(IntensivePlace)
    if team is not None:
        q = q.where(IntensivePlace.team_id == team)
    if jobcenter is not None:
        q = q.where(IntensivePlace.jobcenter_id == jobcenter)
    places = list(db.scalars(q))
    ever = all_person_ids(db)
    cohorts: dict[tuple[str, str], list[IntensivePlace]] = {}
    for p in places:
        cohorts.setdefault((p.jobcenter_id, month_str(p.start_date.year * 12 + p.start_date.month - 1)), []).append(p)
    out = []
    keys = ["age_group", "sex", "prognosis", "band"]
    for (jc, month), ps in sorted(cohorts.items()):
        c = parse_month(month)
        ref = stichtag(c - 1)
        start = dt.date(c // 12, c % 12 + 1, 1)
        end = add_months(start, PLACE_MONTHS) - dt.timedelta(days=1)
        row = {"jobcenter": jc, "cohort": month, "places": len(ps), "window_end": end,
               "evaluable": end <= T}
        if not row["evaluable"]:
            out.append(row)
            continue
        taken_ids = sorted({p.person_id for p in ps})
        taken = profiles(src, Scope("all"), ref, jobcenter=jc, person_ids=taken_ids)
        pool = candidates(src, Scope("all"), at=ref, jobcenter=jc, exclude=ever)
        for t in (taken, pool):
            t["band"] = [band(d) for d in t["dur"]]
            t["prognosis"] = t["prognosis"].fillna("(keine)")
        res_t = taken.merge(_outcomes(src, taken["person_id"].tolist(), start, end), on="person_id")
        res_c = pool.merge(_outcomes(src, pool["person_id"].tolist(), start, end), on="person_id")
        cells = res_c.groupby(keys).agg(c_int=("integrated", "mean"), c_lzb=("lzb_avoided", "mean"),
                                        c_n=("person_id", "count")).reset_index()
        matched = res_t.merge(cells, on=keys, how="inner")
        row.update({
            "taken": len(taken_ids), "matched": len(matched),
            "comparison": int(cells.merge(matched[keys].drop_duplicates(), on=keys)["c_n"].sum()) if len(matched) else 0,
            "integrated_taken": _pct(res_t["integrated"].mean()) if len(res_t) else None,
            "lzb_avoided_taken": _pct(res_t["lzb_avoided"].mean()) if len(res_t) else None,
            "integrated_matched": _pct(matched["integrated"].mean()) if len(matched) else None,
            "integrated_comparison": _pct(matched["c_int"].mean()) if len(matched) else None,
            "lzb_avoided_matched": _pct(matched["lzb_avoided"].mean()) if len(matched) else None,
            "lzb_avoided_comparison": _pct(matched["c_lzb"].mean()) if len(matched) else None,
        })
        out.append(row)
    return out


def _pct(v) -> float | None:
    return None if v is None or pd.isna(v) else float(v) * 100
