"""Charts as Vega-Lite specifications (Altair), rendered to SVG on the server (vl-convert).

The same specifications can go into the PDF reports (WeasyPrint embeds the SVG); the browser
needs no JavaScript for them. SVGs are cached per figure, job center, sex and month: the data
only changes with an import, which restarts the cockpit's store.
"""

from __future__ import annotations

import copy
import re
from functools import lru_cache

import altair as alt
import pandas as pd
import vl_convert as vlc

from amip import format as fmt
from amip.figures import glossary

LOCALE = {
    "decimal": ",",
    "thousands": ".",
    "grouping": [3],
    "currency": ["", " €"],
}
TIME_LOCALE = {
    "dateTime": "%A, der %e. %B %Y, %X",
    "date": "%d.%m.%Y",
    "time": "%H:%M:%S",
    "periods": ["AM", "PM"],
    "days": ["Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"],
    "shortDays": ["So", "Mo", "Di", "Mi", "Do", "Fr", "Sa"],
    "months": list(fmt.MONTHS_DE),
    "shortMonths": ["Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez"],
}
# Okabe & Ito's palette, safe for the common colour-vision deficiencies; in the order used for
# categories (the first three reach 3:1 against white, WCAG 1.4.11; charts with more categories
# repeat their values in a table). Charts also tell series apart by dash pattern or point shape.
OKABE_ITO = {
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "bluish_green": "#009E73",
    "reddish_purple": "#CC79A7",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "yellow": "#F0E442",
    "black": "#000000",
}
CATEGORY = list(OKABE_ITO.values())
COLORS = {"Insgesamt": OKABE_ITO["blue"], "Frauen": OKABE_ITO["vermillion"], "Männer": OKABE_ITO["bluish_green"]}
# Legible text: at least 12 px for axis labels and legends (Vega's default is 10), charts' titles 14 px.
FONT = 12
BASE_CONFIG = {
    "aria": False,  # the page states the chart's content in words (and the values in a table)
    "range": {"category": CATEGORY},
    "axis": {"labelFontSize": FONT, "titleFontSize": FONT},
    "legend": {"labelFontSize": FONT, "titleFontSize": FONT, "symbolSize": 120},
    "title": {"fontSize": 14},
    "text": {"fontSize": FONT},
}
NARROW_WIDTH = 340  # the whole chart, axes and legend included, for a 390 px screen


def _with_config(spec: dict) -> dict:
    """``spec`` with BASE_CONFIG under its own configuration (a chart's own settings win)."""
    spec = copy.deepcopy(spec)
    config = spec.setdefault("config", {})
    for key, value in BASE_CONFIG.items():
        if isinstance(value, dict):
            config[key] = {**value, **config.get(key, {})}
        else:
            config.setdefault(key, value)
    return spec


def _render(spec: dict) -> str:
    return vlc.vegalite_to_svg(_with_config(spec), format_locale=LOCALE, time_format_locale=TIME_LOCALE)


def svg(chart: alt.Chart | alt.LayerChart | alt.FacetChart) -> str:
    """The chart as an SVG document (reports embed it as an image with its alternative text)."""
    return _render(chart.to_dict())


def _narrow(spec: dict) -> dict:
    """The same chart fitted into NARROW_WIDTH pixels in all (Vega-Lite's autosize "fit"), so
    that its text keeps its size on a phone instead of being scaled down with the picture."""
    spec = copy.deepcopy(spec)
    for layer in spec.get("layer", []):
        layer.pop("width", None)
    spec["width"] = NARROW_WIDTH
    spec["autosize"] = {"type": "fit", "contains": "padding"}
    return spec


def _hidden(svg_text: str) -> str:
    # The picture itself is decorative for assistive technology: its <figure> carries the text
    # alternative (role="img" and aria-label); the numbers stand in a table on the same page.
    return re.sub(r"^<svg ", '<svg aria-hidden="true" focusable="false" ', svg_text, count=1)


def responsive(chart: alt.Chart | alt.LayerChart | alt.FacetChart) -> str:
    """HTML for the cockpit: the chart at its own width for wide screens and fitted into
    NARROW_WIDTH for narrow ones; ``style.css`` shows one of the two (``.chart-wide`` /
    ``.chart-narrow``)."""
    spec = chart.to_dict()
    return (
        f'<span class="chart-wide">{_hidden(_render(spec))}</span>'
        f'<span class="chart-narrow">{_hidden(_render(_narrow(spec)))}</span>'
    )


def sparkline_spec(history: pd.DataFrame, title: str) -> alt.Chart:
    """A 24-month line without axes, for the Übersicht's tiles."""
    data = history.assign(date=pd.to_datetime(history["month"] + "-01"))[["date", "value"]].dropna()
    return (
        alt.Chart(data, width=180, height=40, title=alt.Title(title, fontSize=1, color="#ffffff00"))
        .mark_line(
            color=OKABE_ITO["blue"],
            strokeWidth=2,
        )
        .encode(
            x=alt.X("date:T", axis=None),
            y=alt.Y("value:Q", axis=None, scale=alt.Scale(zero=False)),
        )
        .configure_view(stroke=None)
    )


STATE_DASH = {"endgültig": [1, 0], "vorläufig": [5, 3]}


def history_spec(frames: dict[str, pd.DataFrame], figure: str) -> alt.Chart | alt.LayerChart | alt.FacetChart:
    """The figure over time, one line per sex (Insgesamt, Frauen, Männer). A frame with a boolean
    ``provisional`` column marks its provisional months: their part of the line is dashed and their
    points are hollow, with a legend "Datenstand" (endgültig / vorläufig); the dashed part starts at
    the last final month so the line stays continuous."""
    rows = []
    any_provisional = False
    for sex, hist in frames.items():
        label = glossary.SEXES[sex]
        flags = hist["provisional"] if "provisional" in hist else [False] * len(hist)
        last_final = None
        for month, value, prov in zip(hist["month"], hist["value"], flags):
            if value is None or value != value:
                continue
            state = "vorläufig" if prov else "endgültig"
            any_provisional = any_provisional or bool(prov)
            row = {"date": pd.Timestamp(month + "-01"), "value": float(value), "Gruppe": label, "Datenstand": state}
            if prov and last_final is not None:  # join the dashed part to the solid one
                rows.append({**last_final, "Datenstand": "vorläufig", "bridge": True})
                last_final = None
            rows.append({**row, "bridge": False})
            if not prov:
                last_final = row
    data = pd.DataFrame(rows, columns=["date", "value", "Gruppe", "Datenstand", "bridge"])
    color = alt.Color(
        "Gruppe:N",
        scale=alt.Scale(domain=list(COLORS), range=list(COLORS.values())),
        legend=alt.Legend(orient="bottom"),
    )
    x = alt.X("date:T", title="Monat", axis=alt.Axis(format="%m/%Y"))
    y = alt.Y("value:Q", title="Wert in %", scale=alt.Scale(zero=False), axis=alt.Axis(format=",.1f"))
    tooltip = [
        alt.Tooltip("date:T", title="Monat", format="%m/%Y"),
        "Gruppe:N",
        alt.Tooltip("value:Q", title="Wert", format=",.1f"),
        "Datenstand:N",
    ]
    title = f"{figure}: {glossary.EXPLANATIONS[figure].short}"
    if not any_provisional:
        return (
            alt.Chart(data, width=640, height=240, title=title)
            .mark_line(point=alt.OverlayMarkDef(size=18))
            .encode(x=x, y=y, color=color, tooltip=tooltip)
        )
    base = alt.Chart(data, width=640, height=240, title=title)
    lines = base.mark_line().encode(
        x=x,
        y=y,
        color=color,
        strokeDash=alt.StrokeDash(
            "Datenstand:N",
            scale=alt.Scale(domain=list(STATE_DASH), range=list(STATE_DASH.values())),
            legend=alt.Legend(orient="bottom", title="Datenstand"),
        ),
    )
    solid = (
        base.transform_filter("!datum.bridge && datum.Datenstand == 'endgültig'")
        .mark_point(size=22, filled=True)
        .encode(x=x, y=y, color=color, tooltip=tooltip)
    )
    hollow = (  # provisional months: open points (and the dashed line), not colour alone
        base.transform_filter("!datum.bridge && datum.Datenstand == 'vorläufig'")
        .mark_point(size=30, filled=False, strokeWidth=1.5)
        .encode(x=x, y=y, color=color, tooltip=tooltip)
    )
    return alt.layer(lines, solid, hollow)


@lru_cache(maxsize=1024)
def sparkline(store_id: int, jobcenter: str, figure: str, sex: str, month: str, history_key: tuple) -> str:
    hist = pd.DataFrame({"month": [m for m, _ in history_key], "value": [v for _, v in history_key]})
    return _hidden(svg(sparkline_spec(hist, f"{figure} {glossary.SEXES[sex]}")))


@lru_cache(maxsize=512)
def history(store_id: int, jobcenter: str, figure: str, month: str, key: tuple) -> str:
    """SVG of :func:`history_spec`; ``key`` = ((sex, ((month, value[, provisional]), ...)), ...)."""
    frames = {
        sex: pd.DataFrame(
            {
                "month": [p[0] for p in vals],
                "value": [p[1] for p in vals],
                "provisional": [bool(p[2]) if len(p) > 2 else False for p in vals],
            }
        )
        for sex, vals in key
    }
    return responsive(history_spec(frames, figure))


def target_progress_spec(rows: list[dict], title: str) -> alt.Chart:
    """Zielnachhaltung: cumulative actual integrations (line with points, up to the Bezugsmonat)
    against the cumulative target by the seasonal plan profile (dashed line, the whole year).
    ``rows``: month (YYYY-MM), actual (None after the Bezugsmonat), profile."""
    data = []
    for r in rows:
        date = pd.Timestamp(r["month"] + "-01")
        if r.get("profile") is not None:
            data.append({"date": date, "value": float(r["profile"]), "Reihe": "Soll (Saisonprofil)"})
        if r.get("actual") is not None:
            data.append({"date": date, "value": float(r["actual"]), "Reihe": "Ist kumuliert"})
    frame = pd.DataFrame(data, columns=["date", "value", "Reihe"])
    colors = {"Ist kumuliert": OKABE_ITO["blue"], "Soll (Saisonprofil)": OKABE_ITO["vermillion"]}
    return (
        alt.Chart(frame, width=640, height=240, title=title)
        .mark_line(point=alt.OverlayMarkDef(size=18))
        .encode(
            x=alt.X("date:T", title="Monat", axis=alt.Axis(format="%m/%Y")),
            y=alt.Y("value:Q", title="Integrationen seit Jahresbeginn", axis=alt.Axis(format=",.0f")),
            color=alt.Color(
                "Reihe:N",
                scale=alt.Scale(domain=list(colors), range=list(colors.values())),
                legend=alt.Legend(orient="bottom"),
            ),
            strokeDash=alt.StrokeDash(
                "Reihe:N", scale=alt.Scale(domain=list(colors), range=[[1, 0], [6, 4]]), legend=None
            ),
            tooltip=[
                alt.Tooltip("date:T", title="Monat", format="%m/%Y"),
                "Reihe:N",
                alt.Tooltip("value:Q", title="Wert", format=",.0f"),
            ],
        )
    )


@lru_cache(maxsize=256)
def target_progress(title: str, key: tuple) -> str:
    """SVG of :func:`target_progress_spec`; ``key`` = ((month, actual, profile), ...)."""
    return responsive(target_progress_spec([{"month": m, "actual": a, "profile": p} for m, a, p in key], title))


def dqm_trend_spec(rows: list[dict], title: str) -> alt.Chart:
    """Datenqualität: finding rate (findings per 100 ELB in stock) per rule over the months.
    ``rows``: month (YYYY-MM), rule, rate (percent)."""
    data = pd.DataFrame(
        [
            {"date": pd.Timestamp(r["month"] + "-01"), "Regel": r["rule"], "value": float(r["rate"])}
            for r in rows
            if r.get("rate") is not None
        ],
        columns=["date", "Regel", "value"],
    )
    return (
        alt.Chart(data, width=640, height=240, title=title)
        .mark_line(point=alt.OverlayMarkDef(size=14))
        .encode(
            x=alt.X("date:T", title="Monat", axis=alt.Axis(format="%m/%Y")),
            y=alt.Y("value:Q", title="Befunde je 100 ELB in %", axis=alt.Axis(format=",.2f")),
            color=alt.Color("Regel:N", legend=alt.Legend(orient="bottom")),
            tooltip=[
                alt.Tooltip("date:T", title="Monat", format="%m/%Y"),
                "Regel:N",
                alt.Tooltip("value:Q", title="Quote in %", format=",.2f"),
            ],
        )
    )


@lru_cache(maxsize=64)
def dqm_trend(title: str, key: tuple) -> str:
    """SVG of :func:`dqm_trend_spec`; ``key`` = ((month, rule, rate), ...)."""
    return responsive(dqm_trend_spec([{"month": m, "rule": r, "rate": v} for m, r, v in key], title))


def egl_distribution_spec(rows: list[dict], title: str) -> alt.Chart:
    """Verteilung des Eingliederungsbudgets: one horizontal bar per instrument (planned euro, share
    in % as label), second labour market in a second colour. ``rows``: instrument, name, amount,
    share, second_labour_market."""

    def label(r) -> str:
        name = str(r["name"])
        return f"{r['instrument']} – {name if len(name) <= 30 else name[:29] + '…'}"

    data = pd.DataFrame(
        [
            {
                "Instrument": label(r),
                "amount": float(r["amount"]),
                "share": float(r["share"] or 0),
                "label": f"{r['share']:.1f} %".replace(".", ","),
                "Bereich": "2. Arbeitsmarkt" if r["second_labour_market"] else "übrige Instrumente",
            }
            for r in rows
        ],
        columns=["Instrument", "amount", "share", "label", "Bereich"],
    )
    colors = {"übrige Instrumente": OKABE_ITO["blue"], "2. Arbeitsmarkt": OKABE_ITO["vermillion"]}
    order = data.sort_values("amount", ascending=False)["Instrument"].tolist()
    base = alt.Chart(data, width=420, height=max(120, 18 * len(data)), title=title)
    bars = base.mark_bar().encode(
        x=alt.X("amount:Q", title="Plan in Euro", axis=alt.Axis(format=",.0f")),
        y=alt.Y("Instrument:N", sort=order, title=None, axis=alt.Axis(labelLimit=0, labelPadding=4)),
        color=alt.Color(
            "Bereich:N",
            scale=alt.Scale(domain=list(colors), range=list(colors.values())),
            legend=alt.Legend(orient="bottom", title=None),
        ),
        tooltip=["Instrument:N", alt.Tooltip("amount:Q", title="Euro", format=",.0f"), "label:N"],
    )
    text = base.mark_text(align="left", dx=3, fontSize=FONT).encode(
        x="amount:Q", y=alt.Y("Instrument:N", sort=order), text="label:N"
    )
    # extra room on the left: a PDF renderer's font may set the axis labels wider than measured here
    return (bars + text).properties(padding={"left": 40, "top": 5, "right": 40, "bottom": 5})


def yearly_bars_spec(rows: list[dict], title: str, y_title: str) -> alt.Chart:
    """One bar per year with the value on top (e.g. ELB, Jahresdurchschnitt). ``rows``: year, value."""
    data = pd.DataFrame(
        [
            {"Jahr": str(r["year"]), "value": float(r["value"]), "label": f"{r['value']:,.0f}".replace(",", ".")}
            for r in rows
            if r["value"] is not None
        ],
        columns=["Jahr", "value", "label"],
    )
    base = alt.Chart(data, width=520, height=220, title=title)
    bars = base.mark_bar(color=OKABE_ITO["blue"]).encode(
        x=alt.X("Jahr:O", title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("value:Q", title=y_title, axis=alt.Axis(format=",.0f")),
        tooltip=["Jahr:O", alt.Tooltip("value:Q", title=y_title, format=",.0f")],
    )
    return bars + base.mark_text(dy=-6, fontSize=FONT).encode(x="Jahr:O", y="value:Q", text="label:N")


def monthly_bars_spec(rows: list[dict], title: str, y_title: str) -> alt.Chart:
    """One bar per month (YYYY-MM) of one year, e.g. spending from measures. ``rows``: month, value."""
    data = pd.DataFrame(
        [{"date": pd.Timestamp(r["month"] + "-01"), "value": float(r["value"] or 0)} for r in rows],
        columns=["date", "value"],
    )
    return (
        alt.Chart(data, width=520, height=200, title=title)
        .mark_bar(color=OKABE_ITO["bluish_green"])
        .encode(
            x=alt.X("month(date):O", title=None),
            y=alt.Y("value:Q", title=y_title, axis=alt.Axis(format=",.0f")),
            tooltip=[
                alt.Tooltip("date:T", title="Monat", format="%m/%Y"),
                alt.Tooltip("value:Q", title=y_title, format=",.0f"),
            ],
        )
    )


def fan_spec(
    history: pd.DataFrame, forecast: pd.DataFrame, title: str, y_title: str
) -> alt.LayerChart | alt.FacetChart:
    """Fan chart: the history (line), the forecast mean (dashed) and its 80 % and 95 % intervals
    (bands, the 95 % one lighter). ``history``: month, value; ``forecast``: month, mean, lo80,
    hi80, lo95, hi95 (the first forecast month is joined to the last history month)."""
    hist = history.dropna(subset=["value"]).assign(date=lambda t: pd.to_datetime(t["month"] + "-01"))
    fc = forecast.assign(date=lambda t: pd.to_datetime(t["month"] + "-01"))
    if len(hist) and len(fc):  # start the fan at the last observed value
        last = hist.iloc[-1]
        anchor = {
            "date": last["date"],
            "mean": last["value"],
            "lo80": last["value"],
            "hi80": last["value"],
            "lo95": last["value"],
            "hi95": last["value"],
        }
        fc = pd.concat([pd.DataFrame([anchor]), fc[list(anchor)]], ignore_index=True)
    fmt_ = ",.0f"
    x = alt.X("date:T", title="Monat", axis=alt.Axis(format="%m/%Y"))
    y_scale = alt.Scale(zero=False)
    band95 = (
        alt.Chart(fc)
        .mark_area(color=OKABE_ITO["blue"], opacity=0.15)
        .encode(
            x=x,
            y=alt.Y("lo95:Q", title=y_title, scale=y_scale, axis=alt.Axis(format=fmt_)),
            y2="hi95:Q",
            tooltip=[
                alt.Tooltip("date:T", title="Monat", format="%m/%Y"),
                alt.Tooltip("lo95:Q", title="95 % von", format=fmt_),
                alt.Tooltip("hi95:Q", title="95 % bis", format=fmt_),
            ],
        )
    )
    band80 = alt.Chart(fc).mark_area(color=OKABE_ITO["blue"], opacity=0.3).encode(x=x, y="lo80:Q", y2="hi80:Q")
    mean = (
        alt.Chart(fc)
        .mark_line(color=OKABE_ITO["blue"], strokeDash=[6, 4])
        .encode(
            x=x,
            y="mean:Q",
            tooltip=[
                alt.Tooltip("date:T", title="Monat", format="%m/%Y"),
                alt.Tooltip("mean:Q", title="Prognose", format=fmt_),
            ],
        )
    )
    line = (
        alt.Chart(hist)
        .mark_line(color=OKABE_ITO["blue"], strokeWidth=2)
        .encode(
            x=x,
            y="value:Q",
            tooltip=[
                alt.Tooltip("date:T", title="Monat", format="%m/%Y"),
                alt.Tooltip("value:Q", title="Ist", format=fmt_),
            ],
        )
    )
    return alt.layer(band95, band80, mean, line).properties(width=640, height=260, title=title)


@lru_cache(maxsize=256)
def fan(title: str, y_title: str, history_key: tuple, forecast_key: tuple) -> str:
    """SVG of :func:`fan_spec`; ``history_key`` = ((month, value), ...), ``forecast_key`` =
    ((month, mean, lo80, hi80, lo95, hi95), ...)."""
    hist = pd.DataFrame(list(history_key), columns=["month", "value"])
    fc = pd.DataFrame(list(forecast_key), columns=["month", "mean", "lo80", "hi80", "lo95", "hi95"])
    return responsive(fan_spec(hist, fc, title, y_title))


def gap_spec(rows: list[dict], title: str, favourable_up: bool) -> alt.Chart:
    """The gap of a job center's value to its Vergleichstyp's median, one bar per month, in
    percentage points; bars on the favourable side green, the other side red (``favourable_up``:
    a higher value is better). ``rows``: month, gap."""
    data = pd.DataFrame(
        [
            {
                "date": pd.Timestamp(r["month"] + "-01"),
                "gap": float(r["gap"]),
                "Lage": "günstiger" if (r["gap"] >= 0) == favourable_up else "ungünstiger",
            }
            for r in rows
            if r.get("gap") is not None and r["gap"] == r["gap"]
        ],
        columns=["date", "gap", "Lage"],
    )
    return (
        alt.Chart(data, width=640, height=220, title=title)
        .mark_bar()
        .encode(
            x=alt.X("date:T", title="Monat", axis=alt.Axis(format="%m/%Y")),
            y=alt.Y("gap:Q", title="Abstand zum Median (Prozentpunkte)", axis=alt.Axis(format=",.1f")),
            color=alt.Color(
                "Lage:N",
                scale=alt.Scale(
                    domain=["günstiger", "ungünstiger"], range=[OKABE_ITO["bluish_green"], OKABE_ITO["vermillion"]]
                ),
                legend=alt.Legend(orient="bottom", title=None),
            ),
            tooltip=[
                alt.Tooltip("date:T", title="Monat", format="%m/%Y"),
                alt.Tooltip("gap:Q", title="Abstand", format=",.1f"),
            ],
        )
    )


@lru_cache(maxsize=256)
def gap(title: str, favourable_up: bool, key: tuple) -> str:
    """SVG of :func:`gap_spec`; ``key`` = ((month, gap), ...)."""
    return responsive(gap_spec([{"month": m, "gap": g} for m, g in key], title, favourable_up))


LAG_LABELS = {0: "direkt nach dem Monat", 1: "1 Monat danach", 2: "2 Monate danach"}
LAG_COLORS = [OKABE_ITO["blue"], OKABE_ITO["vermillion"], OKABE_ITO["bluish_green"]]
LAG_DASH = [[1, 0], [6, 3], [2, 2]]


def revision_spec(
    rows: list[dict], title: str, y_title: str = "Revision in Prozentpunkten"
) -> alt.LayerChart | alt.FacetChart:
    """Datenstände: the revision (provisional minus BA-comparable value) by Bezugsmonat, one line
    per lag k = 0, 1, 2 (colour and dash pattern, so it reads without colour), and the zero line.
    ``rows``: month (YYYY-MM), lag, revision."""
    data = pd.DataFrame(
        [
            {
                "date": pd.Timestamp(r["month"] + "-01"),
                "Abstand": LAG_LABELS[int(r["lag"])],
                "value": float(r["revision"]),
            }
            for r in rows
            if r.get("revision") is not None and r["revision"] == r["revision"] and int(r["lag"]) in LAG_LABELS
        ],
        columns=["date", "Abstand", "value"],
    )
    domain = list(LAG_LABELS.values())
    # one tick per month at most (a few months of revisions would repeat a month's label otherwise)
    x = alt.X(
        "date:T", title="Berichtsmonat", axis=alt.Axis(format="%m/%Y", tickCount={"interval": "month", "step": 1})
    )
    lines = (
        alt.Chart(data)
        .mark_line(point=alt.OverlayMarkDef(size=18))
        .encode(
            x=x,
            y=alt.Y("value:Q", title=y_title, axis=alt.Axis(format=",.1f")),
            color=alt.Color(
                "Abstand:N",
                scale=alt.Scale(domain=domain, range=LAG_COLORS),
                legend=alt.Legend(orient="bottom", title="Datenstand"),
            ),
            strokeDash=alt.StrokeDash("Abstand:N", scale=alt.Scale(domain=domain, range=LAG_DASH), legend=None),
            tooltip=[
                alt.Tooltip("date:T", title="Berichtsmonat", format="%m/%Y"),
                "Abstand:N",
                alt.Tooltip("value:Q", title="Revision", format="+,.2f"),
            ],
        )
    )
    zero = alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(color="#555", strokeWidth=1).encode(y="y:Q")
    return alt.layer(zero, lines).properties(width=640, height=240, title=title)


@lru_cache(maxsize=256)
def revisions(title: str, y_title: str, key: tuple) -> str:
    """SVG of :func:`revision_spec`; ``key`` = ((month, lag, revision), ...)."""
    return responsive(revision_spec([{"month": m, "lag": k, "revision": v} for m, k, v in key], title, y_title))


def for_print(chart, width: int = 560, legend_columns: int = 2):
    """The same chart laid out for an A4 page of a report (r3-reports): 10 pt labels, x labels at
    −45° with overlapping ones left out (``labelOverlap``), long labels cut with an ellipsis, the
    legends below the plot in ``legend_columns`` columns, the plot ``width`` wide (fits the 170 mm
    text column), without the chart's own title (the report's caption above it says it). The cockpit
    keeps its own layout; the encodings are unchanged."""
    for part in getattr(chart, "layer", None) or []:  # a layered chart's parts carry the title
        part.title = alt.Undefined
    return (
        chart.properties(width=width, title="")
        .configure_axis(labelFontSize=10, titleFontSize=10, labelOverlap="greedy", labelLimit=180)
        .configure_axisX(labelAngle=-45, labelAlign="right", labelBaseline="top", labelPadding=4)
        .configure_legend(
            orient="bottom",
            direction="vertical",
            columns=legend_columns,
            columnPadding=16,
            labelFontSize=10,
            titleFontSize=10,
            labelLimit=width // legend_columns - 40,
            offset=24,
        )
        .configure_title(fontSize=12, anchor="start")
    )
