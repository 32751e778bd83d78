"""Intensive care: taking places, meetings, reminders and the team status (state database).

A place runs six months from the day the IFK takes the customer, at most N places per IFK and
calendar year. Meetings use the real clock (or ``AMIP_TODAY``): the first meeting is due on the day
the customer is taken, every further one a calendar month after the previous meeting; a meeting is
overdue ``GRACE_DAYS`` = 7 days after its due date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from amip.state import audit
from amip.text import MEETING_MAX, NOTE_MAX, TextInputError, clean_text
from amip.worklists.intensive.settings import (
    GRACE_DAYS,
    INTEGRATION_KINDS,
    PLACE_MONTHS,
    SOON_DAYS,
    IntensiveError,
    add_months,
    places_for,
)
from amip.worklists.intensive.warehouse import _query, _tables, data_today
from amip.worklists.models import IntensiveMeeting, IntensivePlace


def active_person_ids(db: Session, jobcenter: str | None = None) -> set[str]:
    q = select(IntensivePlace.person_id).where(IntensivePlace.status == "active")
    if jobcenter is not None:
        q = q.where(IntensivePlace.jobcenter_id == jobcenter)
    return set(db.scalars(q))


def all_person_ids(db: Session) -> set[str]:
    return set(db.scalars(select(IntensivePlace.person_id)))


def taken_in_year(db: Session, caseworker_id: str, year: int) -> int:
    """Places of ``caseworker_id`` starting in ``year`` (every status: an ended place used its slot)."""
    return (
        db.scalar(
            select(func.count())
            .select_from(IntensivePlace)
            .where(
                IntensivePlace.caseworker_id == caseworker_id,
                IntensivePlace.start_date >= dt.date(year, 1, 1),
                IntensivePlace.start_date <= dt.date(year, 12, 31),
            )
        )
        or 0
    )


def take(
    db: Session,
    *,
    candidate: dict,
    caseworker_id: str,
    user_name: str,
    role: str,
    today: dt.date,
    places_spec: str | None = None,
    now: dt.datetime | None = None,
) -> IntensivePlace:
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
        jobcenter_id=candidate["jobcenter_id"],
        caseworker_id=caseworker_id,
        team_id=candidate.get("team"),
        person_id=candidate["person_id"],
        taken_by=user_name,
        start_date=today,
        end_date=add_months(today, PLACE_MONTHS) - dt.timedelta(days=1),
        status="active",
    )
    if now is not None:
        place.taken_at = now
    db.add(place)
    db.flush()
    audit.record(
        db,
        user_name=user_name,
        role=role,
        action="intensive_take",
        list_name="Intensivbetreuung",
        persons=1,
        detail=f"Platz {place.id}",
        now=now,
    )
    return place


def place_of(db: Session, place_id: int, caseworker_id: str | None) -> IntensivePlace | None:
    """The place with this id if it belongs to ``caseworker_id`` (None otherwise)."""
    place = db.get(IntensivePlace, place_id)
    if place is None or caseworker_id is None or place.caseworker_id != caseworker_id:
        return None
    return place


def places_of(db: Session, caseworker_id: str) -> list[IntensivePlace]:
    return list(
        db.scalars(
            select(IntensivePlace)
            .where(IntensivePlace.caseworker_id == caseworker_id)
            .order_by(IntensivePlace.status, IntensivePlace.start_date, IntensivePlace.id)
        )
    )


def record_meeting(
    db: Session,
    place: IntensivePlace,
    *,
    date: dt.date,
    situation: str,
    agreed_steps: str,
    review_of_previous: str | None,
    user_name: str,
    role: str,
    integrated: bool = False,
    further_support_needed: bool | None = None,
    now: dt.datetime | None = None,
) -> IntensiveMeeting:
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
    meeting = IntensiveMeeting(
        place_id=place.id,
        date=date,
        situation=situation,
        agreed_steps=agreed_steps,
        review_of_previous=review,
        integrated=bool(integrated),
        further_support_needed=further_support_needed if integrated else None,
        recorded_by=user_name,
    )
    if now is not None:
        meeting.recorded_at = now
    db.add(meeting)
    if integrated:
        if place.integrated_on is None:
            place.integrated_on = date
        place.further_support_needed = further_support_needed
    db.flush()
    db.refresh(place)
    audit.record(
        db,
        user_name=user_name,
        role=role,
        action="intensive_meeting",
        list_name="Intensivbetreuung",
        persons=1,
        detail=f"Platz {place.id}",
        now=now,
    )
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
    audit.record(
        db,
        user_name=user_name,
        role=role,
        action="intensive_end",
        list_name="Intensivbetreuung",
        persons=1,
        detail=f"Platz {place.id}",
    )


def close_expired(db: Session, today: dt.date) -> int:
    """Mark active places whose six months are over as finished; returns how many."""
    places = list(
        db.scalars(select(IntensivePlace).where(IntensivePlace.status == "active", IntensivePlace.end_date < today))
    )
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
    state: str  # "ueberfaellig" | "faellig" | "bald" | "geplant" | "keiner"
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
    rows = _query(
        src,
        """
        SELECT DISTINCT caseworker_id, team_id FROM w.caseload
        WHERE caseworker_id IS NOT NULL AND start_date <= $t AND (end_date IS NULL OR end_date >= $t)
              AND ($team IS NULL OR team_id = $team)
    """,
        {"t": data_today(src), "team": team},
    )
    return [(cw, tm) for cw, tm in rows.itertuples(index=False)]


def team_status(
    db: Session,
    *,
    today: dt.date,
    team: str | None = None,
    jobcenter: str | None = None,
    places_spec: str | None = None,
    staff: Sequence[tuple[str, str]] = (),
) -> list[dict]:
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
        return rows.setdefault(
            caseworker,
            {
                "caseworker": caseworker,
                "team": team_id,
                "active": 0,
                "taken_year": 0,
                "limit": limit,
                "meetings": 0,
                "on_time": 0,
                "overdue": 0,
                "finished": 0,
            },
        )

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
    t = _query(
        src,
        f"SELECT min(start_date) AS d FROM w.employment_spells WHERE person_id = $p "
        f"AND kind IN ({kinds}) AND start_date >= $since",
        {"p": person_id, "since": since},
    )
    d = t.iloc[0, 0]
    return None if d is None or pd.isna(d) else pd.Timestamp(d).date()
