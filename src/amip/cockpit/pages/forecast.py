"""Prognose: forecasts of ELB, LZB, integrations, LLU and LUH with fan charts (80 % / 95 %)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from markupsafe import Markup

from amip.cockpit import access
from amip.cockpit.auth import Viewer, needs
from amip.cockpit.context import store
from amip.cockpit.params import pick_jobcenter, pick_sex
from amip.cockpit.render import render
from amip.cockpit.tables import Column, DataTable, download
from amip.figures import charts, glossary
from amip.forecast.history import SERIES

router = APIRouter()

SERIES_TITLES = {
    "elb": "Erwerbsfähige Leistungsberechtigte (ELB, Bestand)",
    "lzb": "Langzeitleistungsbeziehende (LZB, Bestand)",
    "integrations": "Integrationen im Monat",
    "llu": "Leistungen zum Lebensunterhalt (LLU, Euro im Monat)",
    "luh": "Leistungen für Unterkunft und Heizung (LUH, Euro im Monat)",
}
UNITS = {"elb": "Personen", "lzb": "Personen", "integrations": "Integrationen", "llu": "Euro", "luh": "Euro"}
MODEL_NAMES = {
    "seasonal_naive": "Saison-naiv (Vorjahresmonat)",
    "ets": "Exponentielle Glättung (ETS)",
    "sarima": "SARIMA (0,1,1)(0,1,1)12",
    "stock_flow": "Bestand-Strom-Modell",
}
HISTORY_MONTHS = 36


def _args(request: Request, jc: str | None, series: str | None, sex: str | None):
    st = store(request)
    jc = pick_jobcenter(st, jc)
    series = series or "elb"
    if series not in SERIES:
        raise HTTPException(404, "Unbekannte Reihe (elb, lzb, integrations, llu, luh).")
    sex = pick_sex(sex)
    if sex not in SERIES[series].sexes:
        sex = "all"
    return st, jc, series, sex


def forecast_table(st, jc: str, series: str, sex: str) -> DataTable:
    fc = st.forecast(jc, series, sex)
    money = SERIES[series].money
    kind, dec = ("amount", 0) if money else ("count", 0)
    rows = [{**r, "model": MODEL_NAMES.get(r["model"], r["model"])} for r in fc.to_dict("records")]
    cols = [
        Column("month", "Monat", "month"),
        Column("mean", "Prognose", kind, dec),
        Column("lo80", "80 % von", kind, dec),
        Column("hi80", "80 % bis", kind, dec),
        Column("lo95", "95 % von", kind, dec),
        Column("hi95", "95 % bis", kind, dec),
        Column("sd", "Standardabweichung", kind, dec),
        Column("model", "Modell"),
    ]
    origin = rows[0]["origin"] if rows else ""
    return DataTable(
        f"Prognose {series}",
        cols,
        rows,
        f"prognose_{series}_{jc}_{sex}",
        caption=f"{SERIES_TITLES[series]}, {glossary.SEXES[sex]}: Prognose ab Datenstand {origin}",
    )


def backtest_table(st, jc: str) -> DataTable:
    bt = st.backtest(jc)
    rows = []
    for (series, sex), t in bt.groupby(["series", "sex"], sort=False):
        chosen = t[t["chosen"]]
        naive = t[t["model"] == "seasonal_naive"]
        rows.append(
            {
                "series": series.upper() if series != "integrations" else "Integrationen",
                "sex": glossary.SEXES.get(sex, sex),
                "model": MODEL_NAMES.get(chosen["model"].iloc[0], chosen["model"].iloc[0]) if len(chosen) else "–",
                "mape": float(chosen["mape"].iloc[0]) if len(chosen) else None,
                "naive": float(naive["mape"].iloc[0]) if len(naive) else None,
                "basis": "Stichprobe der Jobcenter"
                if str(t["basis"].iloc[0]).startswith("pooled")
                else "dieses Jobcenter",
            }
        )
    order = list(SERIES)
    rows.sort(
        key=lambda r: (
            order.index(r["series"].lower()) if r["series"].lower() in order else 2,
            r["sex"] != "Insgesamt",
            r["sex"],
        )
    )
    cols = [
        Column("series", "Reihe"),
        Column("sex", "Gruppe"),
        Column("model", "gewähltes Modell"),
        Column("mape", "MAPE gewählt (%)", "percent", 1),
        Column("naive", "MAPE Saison-naiv (%)", "percent", 1),
        Column("basis", "Auswahl auf Basis"),
    ]
    return DataTable(
        "Backtest",
        cols,
        rows,
        f"prognose_backtest_{jc}",
        caption="Rollierender Backtest über die letzten 24 Monate (1 bis 12 Monate voraus)",
    )


@router.get("/prognose", name="forecast")
def forecast_page(
    request: Request,
    jc: str | None = None,
    series: str | None = None,
    sex: str | None = None,
    viewer: Viewer = Depends(needs(access.FIGURES)),
):
    st, jc, series, sex = _args(request, jc, series, sex)
    fc = st.forecast(jc, series, sex)
    column = SERIES[series].column
    hist = st.series[(st.series.jobcenter_id == jc) & (st.series.sex == sex)].sort_values("month")
    if len(fc):
        hist = hist[hist["month"] <= fc["origin"].iloc[0]]
    flag = SERIES[series].flag
    if flag in hist:
        hist = hist[hist[flag].fillna(0).astype(bool)]
    hist = hist.tail(HISTORY_MONTHS)
    chart = None
    if len(fc):
        hkey = tuple((m, float(v)) for m, v in zip(hist["month"], hist[column]) if v == v)
        fkey = tuple(
            (r.month, float(r.mean), float(r.lo80), float(r.hi80), float(r.lo95), float(r.hi95))
            for r in fc.itertuples()
        )
        chart = Markup(charts.fan(f"{SERIES_TITLES[series]}, {glossary.SEXES[sex]}", UNITS[series], hkey, fkey))
    return render(
        request,
        "forecast.html",
        viewer,
        jc=jc,
        series=series,
        sex=sex,
        chart=chart,
        series_titles=SERIES_TITLES,
        sexes=SERIES[series].sexes,
        has_forecast=bool(len(fc)),
        model=MODEL_NAMES.get(fc["model"].iloc[0]) if len(fc) else None,
        origin=fc["origin"].iloc[0] if len(fc) else None,
        table=forecast_table(st, jc, series, sex),
        backtest=backtest_table(st, jc),
    )


@router.get("/prognose.{fmt}", name="forecast_download")
def forecast_download(
    request: Request,
    fmt: str,
    jc: str | None = None,
    series: str | None = None,
    sex: str | None = None,
    table: str = "prognose",
    viewer: Viewer = Depends(needs(access.FIGURES)),
):
    st, jc, series, sex = _args(request, jc, series, sex)
    if table == "prognose":
        return download(forecast_table(st, jc, series, sex), fmt)
    if table == "backtest":
        return download(backtest_table(st, jc), fmt)
    raise HTTPException(404, "Unbekannte Tabelle.")
