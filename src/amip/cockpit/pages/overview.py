"""Übersicht: K1, K2 and K3 for a month as tiles (all, women, men), with the change against the
same month of the previous year and a 24-month sparkline; below, every figure of the month and the
extended monitoring (steering figures S3–S6 with their definitions)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from markupsafe import Markup

from amip import disclosure as dc
from amip import format as fmt
from amip.cockpit import access
from amip.cockpit.auth import Viewer, needs
from amip.cockpit.context import store
from amip.cockpit.params import pick_jobcenter, pick_month, pick_sex
from amip.cockpit.render import render, render_shared
from amip.cockpit.tables import Column, DataTable, download
from amip.figures import charts, glossary, states
from amip.kennzahlen.calendar import month_str, parse_month

router = APIRouter()


def _previous_year(month: str) -> str:
    return month_str(parse_month(month) - 12)


def _value(st, jc: str, fig: str, month: str, sex: str, policy: dc.Policy) -> dict | None:
    """The job center's value, suppressed where its numerator or denominator counts 1 or 2 persons."""
    return dc.suppress_value(st.value(jc, fig, month, sex), policy if glossary.PERSON_BASED[fig] else dc.SHOW_ALL)


def _state(st, jc: str, fig: str, month: str, sex: str, value) -> states.State | None:
    """The value's data state; without its band when the value is suppressed."""
    state = states.of_value(st, jc, fig, month, sex)
    return state.withhold() if state is not None and dc.is_suppressed(value) else state


def tiles(st, jc: str, month: str, policy: dc.Policy = dc.SHOW_ALL) -> list[dict]:
    out = []
    for fig in glossary.HEADLINE:
        if fig not in st.available_figures():
            continue
        sexes = ("all", "w", "m") if glossary.PERSON_BASED[fig] else ("all",)
        for sex in sexes:
            now = _value(st, jc, fig, month, sex, policy) or {}
            before = _value(st, jc, fig, _previous_year(month), sex, policy) or {}
            v, p = now.get("value"), before.get("value")
            hist = st.history(jc, fig, sex, last=month, months=24)
            shown = [_value(st, jc, fig, m, sex, policy) or {} for m in hist["month"]]
            key = tuple((m, dc.api_value(x.get("value"))) for m, x in zip(hist["month"], shown))
            known = v is not None and p is not None and not dc.is_suppressed(v) and not dc.is_suppressed(p)
            change = v - p if v is not None and p is not None and known else None
            out.append(
                {
                    "figure": fig,
                    "sex": sex,
                    "value": v,
                    "previous": p,
                    "change": change,
                    "state": _state(st, jc, fig, month, sex, v),
                    "sparkline": Markup(charts.sparkline(id(st), jc, fig, sex, month, key)) if len(hist) else "",
                }
            )
    return out


def month_table(st, jc: str, month: str, policy: dc.Policy = dc.SHOW_ALL) -> DataTable:
    rows = []
    for fig in st.available_figures():
        row = {"figure": fig, "title": glossary.TITLES[fig]}
        for sex in ("all", "w", "m"):
            v = _value(st, jc, fig, month, sex, policy)
            row[sex] = None if v is None else v["value"]
        state = _state(st, jc, fig, month, "all", row["all"])
        row["state"] = state.label if state else None
        row["band"] = (state.band_label or None) if state else None
        rows.append(row)
    cols = [
        Column("figure", "Kennzahl"),
        Column("title", "Bezeichnung"),
        Column("all", "Insgesamt", "percent"),
        Column("w", "Frauen", "percent"),
        Column("m", "Männer", "percent"),
        Column("state", "Datenstand"),
        Column("band", "Erwartete Revision (Insgesamt)"),
    ]
    links = {(i, "figure"): f"/kennzahl/{r['figure']}?jc={jc}&month={month}" for i, r in enumerate(rows)}
    return DataTable(
        f"Kennzahlen {fmt.month(month)}",
        cols,
        rows,
        f"kennzahlen_{jc}_{month}",
        links,
        caption=f"Alle Kennzahlen nach § 48a SGB II, {st.jobcenter_name(jc)}, Berichtsmonat {fmt.month(month)}",
    )


MONITORING = ("S3", "S4", "S5", "S6")  # the extended monitoring of the 2020 programme (kennzahlen.md)
# The monthly counts each of S3 - S6 is made of in Bezugsmonat M (kennzahlen.md, "Steering figures
# beyond § 48a"): (numerator block, denominator block or None, first, last) = months M-first..M-last.
# S3, S4: Σ numerator / Σ integrations over the integration months; S5: Σ integrations of
# four-year LZB / mean of the four-year LZB at ST(m); S6: mean of the LZB stock at ST(m).
MONITORING_PARTS: dict[str, tuple[str, str | None, int, int]] = {
    "S3": ("s3", "ext_int", 23, 12),
    "S4": ("s4", "ext_int", 14, 3),
    "S5": ("s5", "lzb48", 11, 0),
    "S6": ("lzb", None, 11, 0),
}
PERSON_BASED_MONITORING = ("S3", "S4", "S5")  # counts of persons; S6 is a mean of stocks


def monitoring_table(st, jc: str, month: str, policy: dc.Policy = dc.SHOW_ALL, persons: bool = False) -> DataTable:
    """S3–S6 in ``month`` by sex, with numerator and denominator (all) and the glossary's definition.
    S3–S5 are suppressed for ``policy`` where their numerator or denominator counts 1 or 2 persons;
    with ``persons`` (a role with person-level access) numerator and denominator link to the
    monthly counts behind them and on to the persons."""
    rows = []
    links = {}
    for i, fig in enumerate(MONITORING):
        ex = glossary.EXPLANATIONS[fig]
        row: dict[str, Any] = {"figure": fig, "title": ex.short, "definition": ex.definition}
        pol = policy if fig in PERSON_BASED_MONITORING else dc.SHOW_ALL
        for sex in ("all", "w", "m"):
            v = dc.suppress_value(st.value(jc, fig, month, sex), pol) or {}
            row[sex] = v.get("value")
            if sex == "all":
                row["numerator"], row["denominator"] = v.get("numerator"), v.get("denominator")
        state = _state(st, jc, fig, month, "all", row["all"])
        row["state"] = state.label if state else None
        row["band"] = (state.band_label or None) if state else None
        if persons:
            for side in ("numerator", "denominator"):
                if (
                    row[side] is not None
                    and not dc.is_suppressed(row[side])
                    and (side == "numerator" or MONITORING_PARTS[fig][1] is not None)
                ):
                    links[(i, side)] = f"/uebersicht/monitoring/{fig}?jc={jc}&month={month}"
        rows.append(row)
    cols = [
        Column("figure", "Kennzahl"),
        Column("title", "Bezeichnung"),
        Column("definition", "Definition"),
        Column("all", "Insgesamt", "percent", unit=""),  # S3–S5 in percent, S6 a count (caption)
        Column("w", "Frauen", "percent", unit=""),
        Column("m", "Männer", "percent", unit=""),
        Column("numerator", "Zähler (Insgesamt)", "count", 1),
        Column("denominator", "Nenner (Insgesamt)", "count", 1),
        Column("state", "Datenstand"),
        Column("band", "Erwartete Revision (Insgesamt)"),
    ]
    return DataTable(
        f"Erweitertes Monitoring {fmt.month(month)}",
        cols,
        rows,
        f"monitoring_{jc}_{month}",
        links,
        caption=f"Erweitertes Monitoring (S3–S5 in Prozent, S6 Anzahl im Jahresdurchschnitt), "
        f"{st.jobcenter_name(jc)}, Berichtsmonat {fmt.month(month)}; – = nicht berechenbar",
    )


def monitoring_parts_table(st, jc: str, figure: str, month: str, sex: str, viewer: Viewer) -> DataTable:
    """The monthly counts behind ``figure`` (S3–S6) in Bezugsmonat ``month``: one row per month of
    its window with the persons counted on each side, suppressed for the viewer's policy; for roles
    with person-level access each count links to the persons behind it."""
    num, den, first, last = MONITORING_PARTS[figure]
    m = parse_month(month)
    months = [month_str(k) for k in range(m - first, m - last + 1)]
    n = st.member_counts(jc, num, months, sex)
    d = st.member_counts(jc, den, months, sex) if den else {}
    rows = [{"month": k, "numerator": n.get(k), "denominator": d.get(k) if den else None} for k in months]
    policy = access.disclosure(viewer) if figure in PERSON_BASED_MONITORING else dc.SHOW_ALL
    rows = dc.suppress_rows(rows, policy, ("numerator", "denominator") if den else ("numerator",), secondary=False)
    cols = [Column("month", "Monat", "month"), Column("numerator", f"Zähler: {glossary.COUNTS[num]}", "count")]
    if den:
        cols.append(Column("denominator", f"Nenner: {glossary.COUNTS[den]}", "count"))
    links = {}
    if access.may(viewer.role, access.PERSONS):
        known = set(st.series["month"])  # the persons page lists the months of the cached series
        for i, row in enumerate(rows):
            for side, block in (("numerator", num), ("denominator", den)):
                if block and row["month"] in known and row.get(side) is not None and not dc.is_suppressed(row[side]):
                    links[(i, side)] = (
                        f"/personen?jc={jc}&count={block}&month={row['month']}&sex={sex}&figure={figure}&of={month}"
                    )
    return DataTable(
        f"{figure} Zähler und Nenner",
        cols,
        rows,
        f"{figure}_bausteine_{jc}_{month}_{sex}",
        links,
        caption=f"Monatliche Werte, aus denen {figure} im Berichtsmonat {fmt.month(month)} gebildet wird, "
        f"{st.jobcenter_name(jc)}, {glossary.SEXES[sex]}",
    )


def _monitoring_figure(figure: str) -> str:
    if figure not in MONITORING_PARTS:
        raise HTTPException(404, "Unbekannte Kennzahl des erweiterten Monitorings.")
    return figure


@router.get("/uebersicht/monitoring/{figure}", name="monitoring_parts")
def monitoring_parts(
    request: Request,
    figure: str,
    jc: str | None = None,
    month: str | None = None,
    sex: str | None = None,
    viewer: Viewer = Depends(needs(access.FIGURES)),
):
    st = store(request)
    figure, jc, month, sex = _monitoring_figure(figure), pick_jobcenter(st, jc), pick_month(st, month), pick_sex(sex)
    table = monitoring_parts_table(st, jc, figure, month, sex, viewer)
    return render(
        request,
        "monitoring.html",
        viewer,
        table=table,
        figure=figure,
        jc=jc,
        month=month,
        sex=sex,
        ex=glossary.EXPLANATIONS[figure],
        value=st.value(jc, figure, month, sex),
    )


@router.get("/uebersicht/monitoring/{figure}/bausteine.{fmt}", name="monitoring_parts_download")
def monitoring_parts_download(
    request: Request,
    figure: str,
    fmt: str,
    jc: str | None = None,
    month: str | None = None,
    sex: str | None = None,
    viewer: Viewer = Depends(needs(access.FIGURES)),
):
    st = store(request)
    figure, jc, month, sex = _monitoring_figure(figure), pick_jobcenter(st, jc), pick_month(st, month), pick_sex(sex)
    return download(monitoring_parts_table(st, jc, figure, month, sex, viewer), fmt)


@router.get("/", name="overview")
def overview(
    request: Request, jc: str | None = None, month: str | None = None, viewer: Viewer = Depends(needs(access.FIGURES))
):
    st = store(request)
    jc, month = pick_jobcenter(st, jc), pick_month(st, month)
    policy = access.disclosure(viewer)

    def context() -> dict:
        shown = tiles(st, jc, month, policy)
        return dict(
            jc=jc,
            month=month,
            tiles=shown,
            table=month_table(st, jc, month, policy),
            monitoring=monitoring_table(st, jc, month, policy, access.may(viewer.role, access.PERSONS)),
            previous=_previous_year(month),
            month_state=states.of_month(st, jc, month),
            tiles_suppressed=any(dc.is_suppressed(t["value"]) or dc.is_suppressed(t["previous"]) for t in shown),
        )

    return render_shared(request, "overview.html", viewer, (jc, month, policy.key), context)


@router.get("/uebersicht.{fmt}", name="overview_download")
def overview_download(
    request: Request,
    fmt: str,
    jc: str | None = None,
    month: str | None = None,
    viewer: Viewer = Depends(needs(access.FIGURES)),
):
    st = store(request)
    jc, month = pick_jobcenter(st, jc), pick_month(st, month)
    return download(month_table(st, jc, month, access.disclosure(viewer)), fmt)


@router.get("/uebersicht/monitoring.{fmt}", name="overview_monitoring_download")
def overview_monitoring_download(
    request: Request,
    fmt: str,
    jc: str | None = None,
    month: str | None = None,
    viewer: Viewer = Depends(needs(access.FIGURES)),
):
    st = store(request)
    jc, month = pick_jobcenter(st, jc), pick_month(st, month)
    return download(monitoring_table(st, jc, month, access.disclosure(viewer)), fmt)
