"""The start pages of the roles with their own work (``access.start_page``).

``/meine-arbeit`` (IFK, ``MY_WORK``): the due and next meetings of the own intensive-care places
(reminders), the most urgent candidates of the own caseload, the own open DQM tasks per rule and
the own customers in numbers (``amip.worklists.caseload``). Shows pseudonymous person ids of the
own caseload, so the view is audited like the Intensivbetreuung page.

``/mein-team`` (team lead, ``MY_TEAM``): the team's figures against the team plan of the year
(``amip.planning.tracking`` for the team, as on Zielnachhaltung), the team's customers in numbers,
its open DQM tasks per rule and the intensive-care status per IFK. Aggregates only.

Both reuse what the pages Intensivbetreuung, Aufgaben and Zielnachhaltung compute; each section
links to its full page.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, HTTPException, Request

from amip.cockpit import access
from amip.cockpit.auth import Viewer, needs
from amip.cockpit.context import log_person_view, state, store, today
from amip.cockpit.pages.tracking import tracking_table
from amip.cockpit.params import pick_jobcenter
from amip.cockpit.render import render
from amip.dqm import tasks
from amip.dqm.rules import RULES
from amip.figures.store import Scope
from amip.planning import tracking
from amip.worklists import caseload
from amip.worklists import intensive as ic

router = APIRouter()
TOP_CANDIDATES = 5  # the most urgent candidates on the start page; the rest on Intensivbetreuung


def _today(request: Request) -> dt.date:
    return today(request)


def _spec(request: Request) -> str | None:
    return getattr(request.app.state.settings, "intensive_places", None)


def open_tasks(request: Request, scope: Scope) -> dict:
    """{"total": open or in-progress tasks in ``scope``, "rules": [{"rule", "title", "open"}] per
    rule with any}."""
    with state(request).begin() as db:
        by_rule = [(r, tasks.list_tasks(db, scope, rule=r.id, status="aktiv", limit=0)[1]) for r in RULES]
    rows = [{"rule": r.id, "title": r.title, "open": n} for r, n in by_rule if n]
    return {"total": sum(r["open"] for r in rows), "rules": rows}


@router.get("/meine-arbeit", name="my_work")
def my_work(request: Request, jc: str | None = None, viewer: Viewer = Depends(needs(access.MY_WORK))):
    if not viewer.caseworker_id:
        raise HTTPException(
            403, "Ihrem Konto ist kein Fallbestand zugeordnet; bitte wenden Sie sich an die Administration."
        )
    st = store(request)
    jc = pick_jobcenter(st, jc)
    today = _today(request)
    scope = Scope("caseload", viewer.caseworker_id)
    with state(request).begin() as db:
        ic.close_expired(db, today)
        taken = ic.active_person_ids(db)
        places = []
        for p in ic.places_of(db, viewer.caseworker_id):
            if p.status != "active":
                continue
            r = ic.reminder(p, today)
            places.append({"id": p.id, "person_id": p.person_id, "due": r.due, "state": r.state, "label": r.label})
        used = ic.taken_in_year(db, viewer.caseworker_id, today.year)
    places.sort(key=lambda p: (p["due"] is None, p["due"] or today))
    cands = ic.candidates(st, scope, exclude=taken)
    top = cands.head(TOP_CANDIDATES).to_dict("records")
    log_person_view(request, viewer, "view", "Meine Arbeit: Termine und Kandidaten", len(places) + len(top))
    return render(
        request,
        "start_work.html",
        viewer,
        jc=jc,
        today=today,
        data_today=ic.data_today(st),
        places=places,
        due=[p for p in places if p["state"] in ("faellig", "ueberfaellig")],
        used=used,
        limit=ic.places_for(today.year, _spec(request)),
        candidates=top,
        candidates_total=len(cands),
        tasks=open_tasks(request, tasks.task_scope(viewer.role, viewer.team_id, viewer.caseworker_id)),
        own=caseload.own_figures(st, jc, scope),
        labels=caseload.FIGURE_LABELS,
    )


@router.get("/mein-team", name="my_team")
def my_team(request: Request, jc: str | None = None, viewer: Viewer = Depends(needs(access.MY_TEAM))):
    team = viewer.team_id
    if not team:
        raise HTTPException(403, "Ihrem Konto ist kein Team zugeordnet; bitte wenden Sie sich an die Administration.")
    st = store(request)
    jc = pick_jobcenter(st, jc)
    today = _today(request)
    month = st.latest
    res = None
    if month is not None:
        with state(request).begin() as db:
            res = tracking.track(db, st, int(month[:4]), jc, month, team)
    with state(request).begin() as db:
        ic.close_expired(db, today)
        status = ic.team_status(db, today=today, team=team, places_spec=_spec(request), staff=ic.caseworkers(st, team))
    return render(
        request,
        "start_team.html",
        viewer,
        jc=jc,
        month=month,
        team=team,
        today=today,
        res=res,
        plan=tracking_table(res, jc, access.disclosure(viewer), st.jobcenter_name(jc)) if res else None,
        own=caseload.own_figures(st, jc, Scope("team", team)),
        labels=caseload.FIGURE_LABELS,
        tasks=open_tasks(request, tasks.task_scope(viewer.role, team, None)),
        status=status,
        totals={k: sum(r[k] for r in status) for k in ("active", "taken_year", "meetings", "on_time", "overdue")},
    )
