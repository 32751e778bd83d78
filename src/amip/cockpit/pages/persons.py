"""Personen hinter der Zahl: the persons counted in one monthly number (the drill-down).

Only for roles with person-level access, and only within the viewer's scope (all persons, the own
team, the own caseload: see ``amip.cockpit.access``). Every view and every export is written to the
audit log with the list and the number of persons shown; person ids never appear in a URL or log.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request

from amip import format as fmt
from amip.cockpit import access
from amip.cockpit.auth import Viewer, needs
from amip.cockpit.context import log_person_view, store
from amip.cockpit.params import Page, paged_name, pick_jobcenter, pick_page, pick_sex, query_string
from amip.cockpit.render import render
from amip.cockpit.tables import Column, DataTable, download
from amip.figures import glossary

router = APIRouter()
PERSON_COUNTS = tuple(c for c in glossary.COUNTS if c not in ("llu", "luh"))
# Counts in which one person can count more than once in a month (rules version 2: ELB flows count
# every status change); their person list shows how often.
MULTIPLE = ("entries", "exits")
MONITORING = ("S3", "S4", "S5", "S6")  # reached from the Übersicht's extended monitoring


def persons_table(
    request: Request, viewer: Viewer, jc, count, month, sex, page: str | None = None
) -> tuple[DataTable, str, Page, int]:
    """The list (all its rows; with ``page``, the rows of that page only), its name, the page and
    how often the persons of the whole list are counted (their number, or for ELB flows the
    status changes). A page's rows are made from its slice of the list, not from all of them."""
    st = store(request)
    jc, sex = pick_jobcenter(st, jc), pick_sex(sex)
    if count not in PERSON_COUNTS:
        raise HTTPException(404, "Unbekannte Zählgröße.")
    try:
        month = fmt.iso_month(month)  # 12/2022 or 2022-12
    except ValueError:
        raise HTTPException(404, "Kein Monat (MM/JJJJ, z. B. 12/2022).") from None
    if month not in st.memo(("series_months",), lambda: frozenset(st.series["month"])):
        raise HTTPException(404, "Für diesen Monat liegen keine Daten vor.")
    scope = access.person_scope(viewer)
    people = st.persons(jc, count, month, scope)
    if sex != "all":
        people = people[people["sex"] == sex]
    times = int(people["times"].sum()) if count in MULTIPLE else len(people)
    shown = pick_page(page, len(people)) if page is not None else Page(1, max(1, len(people)), len(people))
    if page is not None:
        people = people.iloc[shown.offset : shown.offset + shown.size]
    rows = people.to_dict("records")
    for r in rows:
        r["sex"] = {"w": "weiblich", "m": "männlich", "d": "divers"}.get(r["sex"], r["sex"])
        r["prognosis"] = glossary.PROGNOSIS.get(r["prognosis"], r["prognosis"])
    cols = [
        Column("person_id", "Pseudonym"),
        Column("age_group", "Altersgruppe"),
        Column("sex", "Geschlecht"),
        Column("office", "Geschäftsstelle"),
        Column("team", "Team"),
        Column("prognosis", "Integrationsprognose"),
    ]
    if count in MULTIPLE:  # every status change counts: a person may be in the number twice
        cols.append(Column("times", f"{glossary.COUNTS[count]} im Monat", "count"))
    else:
        for r in rows:
            r.pop("times", None)
    what = f"{glossary.COUNTS[count]} {fmt.month(month)}, {st.jobcenter_name(jc)}, {glossary.SEXES[sex]}"
    table = DataTable(
        "Personen", cols, rows, f"personen_{count}_{jc}_{month}_{sex}", caption=f"{what} ({access.scope_label(scope)})"
    )
    return table, what, shown, times


@router.get("/personen", name="persons")
def persons_page(
    request: Request,
    count: str,
    month: str,
    jc: str | None = None,
    sex: str | None = None,
    figure: str | None = None,
    of: str | None = None,
    page: str | None = None,
    viewer: Viewer = Depends(needs(access.PERSONS)),
):
    # One page of the list. The store keeps the list per import and scope in memory (one query
    # per import, figures.store.FigureStore.persons), so a page is a slice of it: docs/decisions.md 124.
    table, what, shown, counted = persons_table(request, viewer, jc, count, month, sex, page=page or "1")
    # how many status changes the listed persons make up (a person may enter twice in a month)
    times = counted if count in MULTIPLE else None
    log_person_view(request, viewer, "view", paged_name(what, shown), len(table.rows))
    fig = figure if figure in glossary.EXPLANATIONS else None
    # back to the figure; the extended monitoring (S3-S6) comes from its monthly counts of the
    # Bezugsmonat ``of`` (its integration months lie before it)
    back = None
    if fig in MONITORING and of in set(store(request).months):
        back = f"/uebersicht/monitoring/{fig}?jc={pick_jobcenter(store(request), jc)}&sex={pick_sex(sex)}&month={of}"
    elif fig is not None and fig not in MONITORING:
        back = f"/kennzahl/{fig}?jc={pick_jobcenter(store(request), jc)}&sex={pick_sex(sex)}&month={month}"
    query = {"jc": pick_jobcenter(store(request), jc), "count": count, "month": month, "sex": pick_sex(sex)}
    return render(
        request,
        "persons.html",
        viewer,
        table=table,
        what=what,
        page=shown,
        page_query=query_string({**query, "figure": fig, "of": back and of if fig in MONITORING else None}),
        count=count,
        month=month,
        times=times,
        jc=pick_jobcenter(store(request), jc),
        sex=pick_sex(sex),
        figure=fig,
        back=back,
        scope=access.scope_label(access.person_scope(viewer)),
    )


@router.get("/personen.{fmt}", name="persons_download")
def persons_download(
    request: Request,
    fmt: str,
    count: str,
    month: str,
    jc: str | None = None,
    sex: str | None = None,
    viewer: Viewer = Depends(needs(access.PERSONS)),
):
    if fmt not in ("csv", "xlsx"):
        raise HTTPException(404, "Unbekanntes Format (csv oder xlsx)")
    table, what, _, _ = persons_table(request, viewer, jc, count, month, sex)
    log_person_view(request, viewer, f"export_{fmt}", what, len(table.rows))
    return download(table, fmt)
