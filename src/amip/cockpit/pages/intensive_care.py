"""Intensivbetreuung: candidates, places taken, meeting records and reminders; team status.

IFK (``INTENSIVE_CARE``): the candidates of the own caseload (ranked by days left until LZB),
"Aufnehmen" (POST with an opaque candidate token; the server recomputes the viewer's candidates
and only takes one found there), the own places with the next meeting's due date and a reminder
banner, one page per place (internal record id in the URL, never the person id) with the meeting
form. Team lead, controlling, Geschäftsführung (``INTENSIVE_OVERVIEW``): places filled per IFK
(team lead: own team only), meetings on time and cohort outcomes against a matched comparison,
aggregated only. Every person-level view and every change is audited (no person ids in the log).
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse

from amip import disclosure as dc
from amip.cockpit import access
from amip.cockpit.auth import Viewer, csrf_form, needs
from amip.cockpit.context import log_person_view, state, store, today
from amip.cockpit.params import RowId
from amip.cockpit.render import render
from amip.figures import glossary
from amip.figures.store import Scope
from amip.worklists import intensive as ic

router = APIRouter()


def _today(request: Request) -> dt.date:
    return today(request)


def _spec(request: Request) -> str | None:
    return getattr(request.app.state.settings, "intensive_places", None)


def _candidates(request: Request, viewer: Viewer):
    st = store(request)
    with state(request).begin() as db:
        taken = ic.active_person_ids(db)
    return ic.candidates(st, Scope("caseload", viewer.caseworker_id), exclude=taken)


COHORT_COUNTS = ("places", "taken", "matched", "comparison")
COHORT_DERIVED = {
    "integrated_taken": ("taken", "int_t", "not_int_t"),
    "lzb_avoided_taken": ("taken", "lzb_t", "not_lzb_t"),
    "integrated_matched": ("matched", "int_m", "not_int_m"),
    "lzb_avoided_matched": ("matched", "lzb_m", "not_lzb_m"),
    "integrated_comparison": ("comparison",),
    "lzb_avoided_comparison": ("comparison",),
}


def _persons_behind(row: dict) -> dict:
    """The counts of persons behind a cohort's shares (integrated or not, LZB avoided or not, of the
    taken and the matched persons): a share of 1 or 2 persons (or all but 1 or 2) is suppressed."""
    out = {}
    for share, n, key in (
        ("integrated_taken", "taken", "int_t"),
        ("lzb_avoided_taken", "taken", "lzb_t"),
        ("integrated_matched", "matched", "int_m"),
        ("lzb_avoided_matched", "matched", "lzb_m"),
    ):
        pct, total = row.get(share), row.get(n)
        if pct is None or total is None:
            continue
        k = round(pct / 100 * total)
        out[key], out["not_" + key] = k, total - k
    return out


def suppress_cohorts(cohorts: list[dict], policy: dc.Policy, team: str | None) -> list[dict]:
    """Cohort numbers for roles that may not see the persons (the Geschäftsführung; a team lead sees
    the own team's cohorts, whose persons the role may see). Cohorts are a series, not parts of a
    total, so only the primary and the derived rule apply."""
    if team is not None and policy.sees("team", team):
        return cohorts
    return dc.suppress_rows(cohorts, policy, COHORT_COUNTS, COHORT_DERIVED, secondary=False, counts_of=_persons_behind)


def _place_view(p, today: dt.date) -> dict:
    r = ic.reminder(p, today)
    return {
        "id": p.id,
        "person_id": p.person_id,
        "start": p.start_date,
        "end": p.end_date,
        "status": p.status,
        "meetings": len(p.meetings),
        "due": r.due,
        "state": r.state,
        "label": r.label,
        "integrated_on": p.integrated_on,
    }


@router.get("/intensivbetreuung", name="intensive_care")
def intensive_page(request: Request, viewer: Viewer = Depends(needs(access.INTENSIVE_CARE, access.INTENSIVE_OVERVIEW))):
    today = _today(request)
    st = store(request)
    ctx: dict = {
        "today": today,
        "data_today": ic.data_today(st),
        "grace": ic.GRACE_DAYS,
        "horizon": ic.HORIZON_DAYS,
        "caveat": ic.CAVEAT,
        "prognosis_names": glossary.PROGNOSIS,
        "error": request.query_params.get("fehler"),
    }
    with state(request).begin() as db:
        ic.close_expired(db, today)
    if access.may(viewer.role, access.INTENSIVE_CARE):
        if not viewer.caseworker_id:
            raise HTTPException(403, "Ihrem Konto ist kein Fallbestand zugeordnet.")
        cands = _candidates(request, viewer)
        with state(request).begin() as db:
            mine = [_place_view(p, today) for p in ic.places_of(db, viewer.caseworker_id)]
            used = ic.taken_in_year(db, viewer.caseworker_id, today.year)
        limit = ic.places_for(today.year, _spec(request))
        active = [p for p in mine if p["status"] == "active"]
        ctx.update(
            candidates=cands.to_dict("records"),
            places=mine,
            active=active,
            used=used,
            limit=limit,
            due=[p for p in active if p["state"] in ("faellig", "ueberfaellig")],
        )
        log_person_view(
            request, viewer, "view", "Intensivbetreuung: Kandidaten und eigene Plätze", len(cands) + len(mine)
        )
    if access.may(viewer.role, access.INTENSIVE_OVERVIEW):
        team = viewer.team_id if viewer.role == "teamleitung" else None
        if viewer.role == "teamleitung" and not team:
            raise HTTPException(403, "Ihrem Konto ist kein Team zugeordnet.")
        with state(request).begin() as db:
            status = ic.team_status(
                db, today=today, team=team, places_spec=_spec(request), staff=ic.caseworkers(st, team)
            )
            cohorts = suppress_cohorts(ic.cohort_outcomes(st, db, team=team), access.disclosure(viewer), team)
        ctx.update(
            status=status,
            cohorts=cohorts,
            team=team,
            cohorts_suppressed=dc.any_suppressed(cohorts),
            totals={k: sum(r[k] for r in status) for k in ("active", "taken_year", "meetings", "on_time", "overdue")},
        )
    return render(request, "intensive_care.html", viewer, **ctx)


@router.post("/intensivbetreuung/aufnehmen", name="intensive_take")
def intensive_take(
    request: Request, viewer: Viewer = Depends(needs(access.INTENSIVE_CARE)), form: dict = Depends(csrf_form)
):
    token = str(form.get("candidate", ""))
    if not viewer.caseworker_id:
        raise HTTPException(403, "Ihrem Konto ist kein Fallbestand zugeordnet.")
    cands = _candidates(request, viewer)
    found = cands[cands["token"] == token]
    if not token or found.empty:
        raise HTTPException(
            400, "Diese Kundin / dieser Kunde ist nicht (mehr) unter Ihren Kandidaten. Bitte laden Sie die Seite neu."
        )
    try:
        with state(request).begin() as db:
            place = ic.take(
                db,
                candidate=found.iloc[0].to_dict(),
                caseworker_id=viewer.caseworker_id,
                user_name=viewer.name,
                role=viewer.role,
                today=_today(request),
                places_spec=_spec(request),
            )
            place_id = place.id
    except ic.IntensiveError as e:
        raise HTTPException(400, str(e)) from None
    return RedirectResponse(f"/intensivbetreuung/platz/{place_id}", status_code=303)


def _own_place(db, viewer: Viewer, place_id: int):
    place = ic.place_of(db, place_id, viewer.caseworker_id)
    if place is None:
        raise HTTPException(404, "Diesen Platz gibt es nicht in Ihrer Intensivbetreuung.")
    return place


def _place_page(request: Request, viewer: Viewer, place_id: int, error: str | None = None, form: dict | None = None):
    today = _today(request)
    with state(request).begin() as db:
        ic.close_expired(db, today)
        place = _own_place(db, viewer, place_id)
        view = _place_view(place, today)
        meetings = [
            {
                "date": m.date,
                "situation": m.situation,
                "agreed_steps": m.agreed_steps,
                "review": m.review_of_previous,
                "integrated": m.integrated,
                "further_support_needed": m.further_support_needed,
            }
            for m in place.meetings
        ]
    st = store(request)
    profile = ic.profiles(
        st, Scope("caseload", viewer.caseworker_id), ic.data_today(st), person_ids=[view["person_id"]]
    )
    in_data = ic.data_integration(st, view["person_id"], view["start"])
    log_person_view(request, viewer, "view", "Intensivbetreuung: Platz", 1)
    response = render(
        request,
        "intensive_care_place.html",
        viewer,
        place=view,
        meetings=meetings,
        profile=profile.to_dict("records")[0] if len(profile) else None,
        last_steps=meetings[-1]["agreed_steps"] if meetings else "",
        today=today,
        data_integration=in_data,
        prognosis_names=glossary.PROGNOSIS,
        error=error,
        form=form or {},
    )
    if error:
        response.status_code = 400
    return response


@router.get("/intensivbetreuung/platz/{place_id}", name="intensive_place")
def intensive_place(request: Request, place_id: RowId, viewer: Viewer = Depends(needs(access.INTENSIVE_CARE))):
    return _place_page(request, viewer, place_id)


@router.post("/intensivbetreuung/platz/{place_id}/gespraech", name="intensive_meeting")
def intensive_meeting(
    request: Request,
    place_id: RowId,
    viewer: Viewer = Depends(needs(access.INTENSIVE_CARE)),
    form: dict = Depends(csrf_form),
):
    try:
        date = dt.date.fromisoformat(str(form.get("date", "")))
    except ValueError:
        date = None
    integrated = str(form.get("integrated", "nein")) == "ja"
    support = {"ja": True, "nein": False}.get(str(form.get("further_support", "")))
    error = None
    try:
        with state(request).begin() as db:  # an error rolls the whole transaction back
            place = _own_place(db, viewer, place_id)
            if date is None:
                raise ic.IntensiveError("Bitte ein gültiges Datum angeben (TT.MM.JJJJ).")
            if date > _today(request):
                raise ic.IntensiveError("Das Gespräch liegt in der Zukunft.")
            ic.record_meeting(
                db,
                place,
                date=date,
                situation=str(form.get("situation", "")),
                agreed_steps=str(form.get("agreed_steps", "")),
                review_of_previous=str(form.get("review_of_previous", "")),
                integrated=integrated,
                further_support_needed=support,
                user_name=viewer.name,
                role=viewer.role,
            )
    except ic.IntensiveError as e:
        error = str(e)
    if error:  # the form again, with what was typed and the reason (nothing was saved)
        return _place_page(request, viewer, place_id, error=error, form={k: str(v) for k, v in form.items()})
    return RedirectResponse(f"/intensivbetreuung/platz/{place_id}", status_code=303)


@router.post("/intensivbetreuung/platz/{place_id}/beenden", name="intensive_end")
def intensive_end(
    request: Request,
    place_id: RowId,
    viewer: Viewer = Depends(needs(access.INTENSIVE_CARE)),
    form: dict = Depends(csrf_form),
):
    """End a place before its six months are over (moved away, no longer ELB, ...), with a reason."""
    error = None
    try:
        with state(request).begin() as db:
            place = _own_place(db, viewer, place_id)
            ic.end_place(
                db,
                place,
                on=_today(request),
                reason=str(form.get("reason", "")),
                user_name=viewer.name,
                role=viewer.role,
            )
    except ic.IntensiveError as e:
        error = str(e)
    if error:
        return _place_page(request, viewer, place_id, error=error, form={})
    return RedirectResponse("/intensivbetreuung", status_code=303)
