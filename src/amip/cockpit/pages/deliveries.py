"""Datenstände: the deliveries the warehouse holds (as_of, months, rows), and per figure how much
its provisional values were revised: the summary by lag (mean, mean absolute, 5 % and 95 %
quantiles, how often the direction of the change against the previous year flipped) and a chart of
the revision by Bezugsmonat for lag 0, 1 and 2 with the same numbers as a table beside it.

With one delivery there are no revisions yet; the page says so and explains what a delivery is.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from markupsafe import Markup

from amip import disclosure as dc
from amip import format as fmt
from amip.cockpit import access
from amip.cockpit.auth import Viewer, needs
from amip.cockpit.context import store
from amip.cockpit.params import pick_jobcenter, pick_sex
from amip.cockpit.render import render
from amip.cockpit.tables import Column, DataTable, download
from amip.figures import charts, glossary, states
from amip.kennzahlen import FIGURES
from amip.warehouse import deliveries as history

router = APIRouter()
DEFAULT_FIGURE = "K2"


def delivery_rows(st) -> list[dict]:
    """The warehouse's deliveries, newest first (read through the store's own warehouse)."""
    con = st.connect()
    try:
        found = history.deliveries(con)
    finally:
        con.close()
    rows = [
        {
            "as_of": fmt.date_de(d.as_of),
            "months": f"{_month(d.first_month)} bis {_month(d.last_month)}",
            "rows": sum(d.rows.values()) if d.rows else None,
            "imported_at": fmt.date_de(d.imported_at) if d.imported_at else None,
        }
        for d in found
    ]
    rows.reverse()
    return rows


def _month(month: str) -> str:
    y, m = month.split("-")
    return f"{m}/{y}"


def deliveries_table(st) -> DataTable:
    cols = [
        Column("as_of", "Datenstand"),
        Column("months", "Monate"),
        Column("rows", "Zeilen", "count"),
        Column("imported_at", "Eingelesen am"),
    ]
    return DataTable(
        "Datenlieferungen",
        cols,
        delivery_rows(st),
        "datenlieferungen",
        caption="Datenlieferungen in der Datenbasis, neueste zuerst (Zeilen: alle Tabellen der Lieferung)",
    )


def _revision_figures(st, jc: str) -> list[str]:
    """The figures with revision statistics for ``jc``, in the engine's order."""
    t = st.revisions(jc)
    present = set(t["figure"]) if len(t) else set()
    return [f.id for f in FIGURES if f.id in present]


def summary_table(st, jc: str, sex: str) -> DataTable:
    """Per figure and lag: the revision statistics (provisional minus BA-comparable value)."""
    t = st.revisions(jc)
    rows = []
    if len(t):
        t = t[t["sex"] == sex]
        order = {f.id: i for i, f in enumerate(FIGURES)}
        for r in sorted(t.to_dict("records"), key=lambda r: (order.get(r["figure"], 99), int(r["lag"]))):
            unit, _ = states.unit(r["figure"])
            rows.append(
                {
                    "figure": r["figure"],
                    "title": glossary.TITLES.get(r["figure"], r["figure"]),
                    "lag": charts.LAG_LABELS.get(int(r["lag"]), str(r["lag"])),
                    "months": r["months"],
                    "mean": r["mean"],
                    "mean_abs": r["mean_abs"],
                    "p05": r["p05"],
                    "p95": r["p95"],
                    "flips": None if fmt.is_missing(r["flips"]) else r["flips"] * 100,
                    "unit": unit or "Anzahl",
                }
            )
    cols = [
        Column("figure", "Kennzahl"),
        Column("title", "Bezeichnung"),
        Column("lag", "Vorläufiger Wert"),
        Column("months", "Monate", "count"),
        Column("mean", "Mittlere Revision", "amount", 2),
        Column("mean_abs", "Mittlere absolute Revision", "amount", 2),
        Column("p05", "5 %-Quantil", "amount", 2),
        Column("p95", "95 %-Quantil", "amount", 2),
        Column("flips", "Richtung der Vorjahresveränderung gewechselt (%)", "percent"),
        Column("unit", "Einheit"),
    ]
    links = {(i, "figure"): f"/datenstaende?jc={jc}&figure={r['figure']}&sex={sex}" for i, r in enumerate(rows)}
    return DataTable(
        "Revisionen nach Kennzahl",
        cols,
        rows,
        f"revisionen_{jc}_{sex}",
        links,
        caption=f"Revisionen der vorläufigen Werte (vorläufig minus endgültig), {st.jobcenter_name(jc)}, "
        f"{glossary.SEXES[sex]}; Prozentpunkte bei Quoten und Raten",
    )


def _detail(st, jc: str, figure: str, sex: str, policy: dc.Policy) -> list[dict]:
    """``st.revision_detail`` rows; for a viewer with small-number suppression, a Bezugsmonat whose
    value (in the latest delivery) is suppressed shows neither its values nor its revisions, which
    would tell them (decision 86)."""
    t = st.revision_detail(jc, figure, sex)
    rows = t.sort_values(["month", "lag"]).to_dict("records") if len(t) else []
    if not (policy.suppress and glossary.PERSON_BASED.get(figure, False)):
        return rows
    hidden = {
        m
        for m in {r["month"] for r in rows}
        if dc.is_suppressed((dc.suppress_value(st.value(jc, figure, m, sex), policy) or {}).get("value"))
    }
    for r in rows:
        if r["month"] in hidden:
            r.update(value=dc.SUPPRESSED, final_value=dc.SUPPRESSED, revision=dc.SUPPRESSED)
    return rows


def detail_table(st, jc: str, figure: str, sex: str, policy: dc.Policy = dc.SHOW_ALL) -> DataTable:
    """The revision of every Bezugsmonat of ``figure`` by lag: the chart's numbers."""
    rows = [
        {
            "month": r["month"],
            "lag": charts.LAG_LABELS.get(int(r["lag"]), str(r["lag"])),
            "as_of": fmt.date_de(r["as_of"]),
            "value": r["value"],
            "final_as_of": fmt.date_de(r["final_as_of"]),
            "final_value": r["final_value"],
            "revision": r["revision"],
        }
        for r in _detail(st, jc, figure, sex, policy)
    ]
    rows.reverse()  # newest first
    unit, _ = states.unit(figure)
    cols = [
        Column("month", "Berichtsmonat", "month"),
        Column("lag", "Vorläufiger Wert"),
        Column("as_of", "Datenstand vorläufig"),
        Column("value", "Wert vorläufig", "percent"),
        Column("final_as_of", "Datenstand endgültig"),
        Column("final_value", "Wert endgültig", "percent"),
        Column("revision", f"Revision{' (' + unit + ')' if unit else ''}", "amount", 2),
    ]
    return DataTable(
        f"Revisionen {figure}",
        cols,
        rows,
        f"revisionen_{figure}_{jc}_{sex}",
        caption=f"{figure} {glossary.TITLES[figure]}: vorläufige und endgültige Werte je Berichtsmonat, "
        f"{st.jobcenter_name(jc)}, {glossary.SEXES[sex]}",
    )


def revision_chart(st, jc: str, figure: str, sex: str, policy: dc.Policy = dc.SHOW_ALL) -> Markup:
    rows = sorted(_detail(st, jc, figure, sex, policy), key=lambda r: (int(r["lag"]), str(r["month"])))
    key = tuple(
        (str(r["month"]), int(r["lag"]), None if fmt.is_missing(r["revision"]) else float(r["revision"]))
        for r in rows
        if not dc.is_suppressed(r["revision"])
    )
    unit, _ = states.unit(figure)
    y_title = "Revision in Prozentpunkten" if unit == "Pp." else "Revision"
    return Markup(charts.revisions(f"{figure}: Revision der vorläufigen Werte ({glossary.SEXES[sex]})", y_title, key))


def _figure(st, jc: str, figure: str | None) -> tuple[str | None, list[str]]:
    figures = _revision_figures(st, jc)
    if figure is None:
        return (DEFAULT_FIGURE if DEFAULT_FIGURE in figures else (figures[0] if figures else None)), figures
    if figure not in figures:
        raise HTTPException(404, "Für diese Kennzahl gibt es keine Revisionsstatistik.")
    return figure, figures


@router.get("/datenstaende", name="deliveries")
def deliveries_page(
    request: Request,
    jc: str | None = None,
    figure: str | None = None,
    sex: str | None = None,
    viewer: Viewer = Depends(needs(access.DELIVERIES)),
):
    st = store(request)
    jc, sex = pick_jobcenter(st, jc), pick_sex(sex)
    figure, figures = _figure(st, jc, figure)
    table = deliveries_table(st)
    policy = access.disclosure(viewer)
    return render(
        request,
        "deliveries.html",
        viewer,
        jc=jc,
        sex=sex,
        figure=figure,
        figures=figures,
        deliveries=table,
        several=len(table.rows) > 1,
        summary=summary_table(st, jc, sex),
        chart=revision_chart(st, jc, figure, sex, policy) if figure else None,
        detail=detail_table(st, jc, figure, sex, policy) if figure else None,
    )


@router.get("/datenstaende/{table}.{fmt}", name="deliveries_download")
def deliveries_download(
    request: Request,
    table: str,
    fmt: str,
    jc: str | None = None,
    figure: str | None = None,
    sex: str | None = None,
    viewer: Viewer = Depends(needs(access.DELIVERIES)),
):
    st = store(request)
    jc, sex = pick_jobcenter(st, jc), pick_sex(sex)
    if table == "lieferungen":
        return download(deliveries_table(st), fmt)
    if table == "revisionen":
        return download(summary_table(st, jc, sex), fmt)
    if table == "verlauf":
        chosen, _ = _figure(st, jc, figure)
        if chosen is not None:
            return download(detail_table(st, jc, chosen, sex, access.disclosure(viewer)), fmt)
    raise HTTPException(404, "Unbekannte Tabelle.")
