"""Zielgruppen: U25, single parents, severely disabled, refugees, no vocational qualification.

Figures (stock, integration quota, share in measures) for every role with ``FIGURES``, for the
job center and per team; the local targets L1 and L2. The persons behind a group or a gap list
only for roles with ``PERSONS``, restricted to the viewer's scope (``access.person_scope``), every
view and export audited; the group is a code in the URL, never a person id.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request

from amip import disclosure as dc
from amip import format as fmt
from amip.cockpit import access
from amip.cockpit.auth import Viewer, needs
from amip.cockpit.context import log_person_view, state, store
from amip.cockpit.params import Page, paged_name, pick_jobcenter, pick_month, pick_page, query_string
from amip.cockpit.render import render
from amip.cockpit.tables import Column, DataTable, download
from amip.figures import glossary
from amip.worklists import target_groups as tg

router = APIRouter()

FIGURE_COLUMNS = [
    Column("label", "Zielgruppe"),
    Column("stock", "Bestand ELB", "count"),
    Column("integrations", "Integrationen (12 Monate)", "count"),
    Column("mean_stock", "Bestand im Jahresdurchschnitt", "count", 1),
    Column("quota", "Integrationsquote in %", "percent"),
    Column("in_measures", "in Maßnahmen", "count"),
    Column("measure_share", "Anteil in Maßnahmen in %", "percent"),
]
LIST_NAMES = {**{k: v[0] for k, v in tg.GROUPS.items()}, **tg.GAP_LISTS}


TG_COUNTS = ("stock", "integrations", "mean_stock", "in_measures")
TG_DERIVED = {"quota": ("integrations", "mean_stock"), "measure_share": ("in_measures", "stock")}


def suppress_figures(rows: list[dict], policy: dc.Policy, team: bool) -> list[dict]:
    """Small counts and the quotas/shares from them suppressed; per team the teams of one target
    group are a breakdown of the job center's group (secondary rule within each group). The groups
    of the job center table overlap (a person can be U25 and a refugee), so no secondary rule
    there."""
    return dc.suppress_rows(
        rows,
        policy,
        TG_COUNTS,
        TG_DERIVED,
        unit="unit" if team else None,
        kind="team",
        within=("group",),
        secondary=team,
    )


def _figures(request: Request, jc, month, team: bool, policy: dc.Policy = dc.SHOW_ALL) -> tuple[DataTable, str, str]:
    st = store(request)
    jc, month = pick_jobcenter(st, jc), pick_month(st, month)
    t = tg.figures(st, jc, month, by_team=team)
    rows = suppress_figures(t.to_dict("records"), policy, team)
    cols = ([Column("unit", "Team")] if team else []) + FIGURE_COLUMNS
    name = f"zielgruppen_{'teams_' if team else ''}{jc}_{month}"
    caption = f"Zielgruppen {'je Team ' if team else ''}im Berichtsmonat {fmt.month(month)}, {st.jobcenter_name(jc)}"
    return DataTable("Zielgruppen", cols, rows, name, caption=caption), jc, month


@router.get("/zielgruppen", name="target_groups")
def target_groups_page(
    request: Request, jc: str | None = None, month: str | None = None, viewer: Viewer = Depends(needs(access.FIGURES))
):
    policy = access.disclosure(viewer)
    table, jc, month = _figures(request, jc, month, team=False, policy=policy)
    teams, _, _ = _figures(request, jc, month, team=True, policy=policy)
    targets = {k: dc.suppress_value(v, policy) for k, v in tg.local_targets(store(request), jc, month).items()}
    return render(
        request,
        "target_groups.html",
        viewer,
        table=table,
        teams=teams,
        jc=jc,
        month=month,
        targets=targets,
        lists=LIST_NAMES,
        may_persons=access.may(viewer.role, access.PERSONS),
        scope=access.scope_label(access.person_scope(viewer)),
    )


@router.get("/zielgruppen/tabelle.{fmt}", name="target_groups_download")
def target_groups_download(
    request: Request,
    fmt: str,
    jc: str | None = None,
    month: str | None = None,
    teams: int = 0,
    viewer: Viewer = Depends(needs(access.FIGURES)),
):
    if fmt not in ("csv", "xlsx"):
        raise HTTPException(404, "Unbekanntes Format (csv oder xlsx)")
    table, _, _ = _figures(request, jc, month, team=bool(teams), policy=access.disclosure(viewer))
    return download(table, fmt)


def _persons(
    request: Request, viewer: Viewer, group: str, jc, month, page: str | None = None, *, paged: bool = False
) -> tuple[DataTable, str, Page]:
    """The list (``paged``: one page of it, ``LIMIT``/``OFFSET`` in SQL; else every row)."""
    st = store(request)
    jc, month = pick_jobcenter(st, jc), pick_month(st, month)
    if group not in LIST_NAMES:
        raise HTTPException(404, "Unbekannte Zielgruppe oder Liste.")
    scope = access.person_scope(viewer)
    shown = pick_page(page, tg.count_persons(st, scope, jc, month, group)) if paged else None
    with state(request).begin() as db:
        if shown is None:
            people = tg.persons(st, db, scope, jc, month, group)
        else:
            people = tg.persons(st, db, scope, jc, month, group, limit=shown.size, offset=shown.offset)
    rows = people.to_dict("records")
    for r in rows:
        r["sex"] = {"w": "weiblich", "m": "männlich", "d": "divers"}.get(r["sex"], r["sex"])
        r["prognosis"] = glossary.PROGNOSIS.get(r["prognosis"], r["prognosis"])
        r["integration_goal"] = "ja" if r["integration_goal"] else "nein"
        r["last_meeting"] = r["last_meeting"].strftime("%d.%m.%Y") if r["last_meeting"] else None
    cols = [
        Column("person_id", "Pseudonym"),
        Column("age_group", "Altersgruppe"),
        Column("sex", "Geschlecht"),
        Column("team", "Team"),
        Column("prognosis", "Integrationsprognose"),
        Column("integration_goal", "Integrationsziel dokumentiert"),
        Column("open_proposals", "offene Vermittlungsvorschläge", "count"),
        Column("last_meeting", "letztes Gespräch (Intensivbetreuung)"),
        Column("open_tasks", "offene DQM-Aufgaben", "count"),
    ]
    what = f"Zielgruppe {LIST_NAMES[group]} {fmt.month(month)}, {st.jobcenter_name(jc)}"
    table = DataTable(
        "Personen", cols, rows, f"zielgruppe_{group}_{jc}_{month}", caption=f"{what} ({access.scope_label(scope)})"
    )
    return table, what, shown or Page(1, max(1, len(rows)), len(rows))


@router.get("/zielgruppen/personen", name="target_group_persons")
def target_group_persons(
    request: Request,
    group: str,
    jc: str | None = None,
    month: str | None = None,
    page: str | None = None,
    viewer: Viewer = Depends(needs(access.PERSONS)),
):
    table, what, shown = _persons(request, viewer, group, jc, month, page, paged=True)
    log_person_view(request, viewer, "view", paged_name(what, shown), len(table.rows))
    st = store(request)
    return render(
        request,
        "target_groups_persons.html",
        viewer,
        table=table,
        what=what,
        group=group,
        page=shown,
        page_query=query_string({"group": group, "jc": pick_jobcenter(st, jc), "month": pick_month(st, month)}),
        jc=pick_jobcenter(st, jc),
        month=pick_month(st, month),
        scope=access.scope_label(access.person_scope(viewer)),
        dqm=any(r.get("open_tasks") is not None for r in table.rows),
    )


@router.get("/zielgruppen/personen.{fmt}", name="target_group_persons_download")
def target_group_persons_download(
    request: Request,
    fmt: str,
    group: str,
    jc: str | None = None,
    month: str | None = None,
    viewer: Viewer = Depends(needs(access.PERSONS)),
):
    if fmt not in ("csv", "xlsx"):
        raise HTTPException(404, "Unbekanntes Format (csv oder xlsx)")
    table, what, _ = _persons(request, viewer, group, jc, month)
    log_person_view(request, viewer, f"export_{fmt}", what, len(table.rows))
    return download(table, fmt)
