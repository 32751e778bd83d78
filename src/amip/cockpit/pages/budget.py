"""Budget: EGL plan per instrument and VK, allocation Y−1 against estimate Y, spending.

For a year Y (default: the year of the data's latest month): the B1 comparison table (allocation
Y−1 against the estimate of Y, absolute and %), the EGL plan per instrument with its shares and the
distribution chart, and the spending recorded on measures (cost spread over the days of
participation) by month and instrument, with the share spent in the first half-year and on the
second labour market (``amip.planning.budget``). Budget plans come from the data's ``budget``
table; they are not edited here. Only aggregates; capability STEERING.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from markupsafe import Markup

from amip import format as fmt
from amip.cockpit import access
from amip.cockpit.auth import Viewer, needs
from amip.cockpit.context import store
from amip.cockpit.params import pick_jobcenter
from amip.cockpit.render import render_shared
from amip.cockpit.tables import Column, DataTable, download
from amip.figures import charts
from amip.planning import budget as bud

router = APIRouter()


def _year(st, con, jc: str, year: str | None) -> tuple[int, list[int]]:
    years = sorted(set(bud.budget_years(con, jc)) | {int(m[:4]) for m in st.months})
    if year is None or year == "":
        return (int(st.latest[:4]) if st.latest else (years[-1] if years else 0)), years
    if not year.isdigit() or int(year) not in years:
        raise HTTPException(404, "Für dieses Jahr liegen keine Daten vor.")
    return int(year), years


def tables(con, jc: str, year: int) -> dict[str, DataTable]:
    out = {}
    try:
        comp = bud.comparison(con, year, jc)["rows"]
    except bud.BudgetError:
        comp = []
    out["vergleich"] = DataTable(
        "Budgetvergleich",
        [
            Column("label", "Titel"),
            Column("base", f"Zuteilung {year - 1}", "amount", unit="EUR"),
            Column("new", f"Schätzwert/Plan {year}", "amount", unit="EUR"),
            Column("delta", "Delta absolut", "amount", unit="EUR"),
            Column("delta_pct", "Delta in %", "percent"),
        ],
        comp,
        f"budget_vergleich_{jc}_{year}",
        caption=f"Vergleich Zuteilung {year - 1} und Schätzwerte {year} in Euro (Quelle: Tabelle budget)",
    )
    plan = bud.egl_plan(con, year, jc)
    rows = [{**r, "slm": "ja" if r["second_labour_market"] else "nein"} for r in plan.to_dict("records")]
    out["egl"] = DataTable(
        "EGL-Plan",
        [
            Column("instrument", "Instrument"),
            Column("name", "Bezeichnung"),
            Column("amount", "Plan in Euro", "amount", unit="EUR"),
            Column("share", "Anteil %", "percent"),
            Column("slm", "2. Arbeitsmarkt"),
        ],
        rows,
        f"egl_plan_{jc}_{year}",
        caption=f"Eingliederungstitel {year}: Plan je Instrument",
    )
    spent = bud.spending_summary(con, year, jc)
    out["ausgaben"] = DataTable(
        "Ausgaben je Instrument",
        [
            Column("instrument", "Instrument"),
            Column("name", "Bezeichnung"),
            Column("amount", "Ausgaben in Euro", "amount", unit="EUR"),
            Column("share", "Anteil %", "percent"),
            Column("plan", "Plan in Euro", "amount", unit="EUR"),
        ],
        spent["by_instrument"].to_dict("records"),
        f"ausgaben_instrument_{jc}_{year}",
        caption=f"Ausgaben {year} aus den Kosten je Maßnahmeteilnahme, gleichmäßig auf die Tage der Teilnahme verteilt",
    )
    out["monate"] = DataTable(
        "Ausgaben je Instrument und Monat",
        [
            Column("instrument", "Instrument"),
            *[Column(f"m{k:02d}", f"{k:02d}/{year}", "amount", unit="EUR") for k in range(1, 13)],
            Column("total", "Summe", "amount", unit="EUR"),
        ],
        _by_instrument_and_month(bud.spending(con, year, jc), year),
        f"ausgaben_monat_{jc}_{year}",
        caption=f"Ausgaben {year} in Euro je Instrument (Zeilen) und Monat (Spalten)",
    )
    out["_summary"] = spent  # type: ignore[assignment]
    out["_plan"] = plan
    return out


def _budget(request: Request, viewer: Viewer, jc: str | None, year: str | None):
    """(job center, year, years with data, tables) of the budget page, for a viewer of figures."""
    st = store(request)
    jc = pick_jobcenter(st, jc)
    con = st.connect()  # the warehouse of this request's snapshot, not the file by path
    try:
        y, years = _year(st, con, jc, year)
        return jc, y, years, tables(con, jc, y)
    finally:
        con.close()


def _by_instrument_and_month(spend, year: int) -> list[dict]:
    """One row per instrument with the amounts of the twelve months (m01..m12, 0 without spending)
    and their sum, largest sum first; a last row "Summe"."""
    if spend.empty:
        return []
    wide = spend.pivot_table(index="instrument", columns="month", values="amount", aggfunc="sum", fill_value=0.0)
    wide = wide.reindex(columns=[f"{year}-{k:02d}" for k in range(1, 13)], fill_value=0.0)
    wide.columns = [f"m{k:02d}" for k in range(1, 13)]
    wide["total"] = wide.sum(axis=1)
    wide = wide.sort_values("total", ascending=False)
    rows = [{"instrument": inst, **{k: float(v) for k, v in r.items()}} for inst, r in wide.iterrows()]
    return rows + [{"instrument": "Summe", **{k: float(v) for k, v in wide.sum(axis=0).items()}}]


@router.get("/budget", name="budget")
def budget_page(
    request: Request, jc: str | None = None, year: str | None = None, viewer: Viewer = Depends(needs(access.STEERING))
):
    """The page depends only on the warehouse of this request's snapshot (the data's ``budget``
    table and measures) and on (job center, year): rendered once per import, role and parameters
    (``render_shared``); the year is checked on every request."""
    st = store(request)
    jc = pick_jobcenter(st, jc)
    y, years = st.memo(("budget.year", jc, year), lambda: _checked_year(st, jc, year))

    def context() -> dict:
        con = st.connect()  # the warehouse of this request's snapshot, not the file by path
        try:
            t = tables(con, jc, y)
        finally:
            con.close()
        spent: Any = t.pop("_summary")  # tables() keeps the summary (a dict) and the plan (a frame) too
        plan: Any = t.pop("_plan")
        chart = None
        if not plan.empty:
            chart = Markup(
                charts.responsive(
                    charts.egl_distribution_spec(plan.to_dict("records"), f"Verteilung des Eingliederungsbudgets {y}")
                )
            )
        by_month = spent["by_month"]
        month_chart = Markup(
            charts.responsive(
                charts.monthly_bars_spec(
                    [{"month": m, "value": v} for m, v in zip(by_month["month"], by_month["amount"])],
                    f"Ausgaben {y} je Monat",
                    "Euro",
                )
            )
        )
        facts = {
            "total": fmt.number(spent["total"]),
            "first_half": fmt.percent(spent["first_half_share"]),
            "slm": fmt.percent(spent["second_labour_market_share"]),
            "slm_plan": fmt.percent(bud.second_labour_market_share(plan)),
        }
        return dict(
            jc=jc,
            year=y,
            years=years,
            tables=t,
            chart=chart,
            month_chart=month_chart,
            facts=facts,
            query=f"jc={jc}&year={y}",
        )

    return render_shared(request, "budget.html", viewer, (jc, y), context)


def _checked_year(st, jc: str, year: str | None) -> tuple[int, list[int]]:
    """(year, years with data) as :func:`_year`; HTTPException 404 for a year without data (not
    memoised: an exception leaves the memo)."""
    con = st.connect()
    try:
        return _year(st, con, jc, year)
    finally:
        con.close()


@router.get("/budget/{table}.{fmt}", name="budget_download")
def budget_download(
    request: Request,
    table: str,
    fmt: str,
    jc: str | None = None,
    year: str | None = None,
    viewer: Viewer = Depends(needs(access.STEERING)),
):
    _, _, _, t = _budget(request, viewer, jc, year)
    if table not in t or table.startswith("_"):
        raise HTTPException(404, "Unbekannte Tabelle.")
    return download(t[table], fmt)
