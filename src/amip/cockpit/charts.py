"""Charts as Vega-Lite specifications (Altair), rendered to SVG on the server (vl-convert).

The same specifications can go into the PDF reports (WeasyPrint embeds the SVG); the browser
needs no JavaScript for them. SVGs are cached per figure, job center, sex and month: the data
only changes with an import, which restarts the cockpit's store.
"""

from __future__ import annotations

from functools import lru_cache

import altair as alt
import pandas as pd
import vl_convert as vlc

from amip.cockpit import glossary

LOCALE = {
    "decimal": ",", "thousands": ".", "grouping": [3], "currency": ["", " €"],
}
TIME_LOCALE = {
    "dateTime": "%A, der %e. %B %Y, %X", "date": "%d.%m.%Y", "time": "%H:%M:%S",
    "periods": ["AM", "PM"],
    "days": ["Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"],
    "shortDays": ["So", "Mo", "Di", "Mi", "Do", "Fr", "Sa"],
    "months": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
               "Oktober", "November", "Dezember"],
    "shortMonths": ["Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez"],
}
COLORS = {"Insgesamt": "#1f4e79", "Frauen": "#b5485d", "Männer": "#2e7d5b"}


def svg(chart: alt.Chart) -> str:
    return vlc.vegalite_to_svg(chart.to_dict(), format_locale=LOCALE, time_format_locale=TIME_LOCALE)


def sparkline_spec(history: pd.DataFrame, title: str) -> alt.Chart:
    """A 24-month line without axes, for the Übersicht's tiles."""
    data = history.assign(date=pd.to_datetime(history["month"] + "-01"))[["date", "value"]].dropna()
    return alt.Chart(data, width=180, height=40, title=alt.Title(title, fontSize=1, color="#ffffff00")).mark_line(
        color="#1f4e79", strokeWidth=2,
    ).encode(
        x=alt.X("date:T", axis=None),
        y=alt.Y("value:Q", axis=None, scale=alt.Scale(zero=False)),
    ).configure_view(stroke=None)


def history_spec(frames: dict[str, pd.DataFrame], figure: str) -> alt.Chart:
    """The figure over time, one line per sex (Insgesamt, Frauen, Männer)."""
    rows = []
    for sex, hist in frames.items():
        label = glossary.SEXES[sex]
        for month, value in zip(hist["month"], hist["value"]):
            if value is not None and value == value:
                rows.append({"date": pd.Timestamp(month + "-01"), "value": float(value), "Gruppe": label})
    data = pd.DataFrame(rows, columns=["date", "value", "Gruppe"])
    return alt.Chart(data, width=640, height=240, title=f"{figure}: {glossary.EXPLANATIONS[figure].short}").mark_line(
        point=alt.OverlayMarkDef(size=18),
    ).encode(
        x=alt.X("date:T", title="Monat", axis=alt.Axis(format="%m/%Y")),
        y=alt.Y("value:Q", title="Wert in %", scale=alt.Scale(zero=False), axis=alt.Axis(format=",.1f")),
        color=alt.Color("Gruppe:N", scale=alt.Scale(domain=list(COLORS), range=list(COLORS.values())),
                        legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("date:T", title="Monat", format="%m/%Y"), "Gruppe:N",
                 alt.Tooltip("value:Q", title="Wert", format=",.1f")],
    )


@lru_cache(maxsize=1024)
def sparkline(store_id: int, jobcenter: str, figure: str, sex: str, month: str, history_key: tuple) -> str:
    hist = pd.DataFrame({"month": [m for m, _ in history_key], "value": [v for _, v in history_key]})
    return svg(sparkline_spec(hist, f"{figure} {glossary.SEXES[sex]}"))


@lru_cache(maxsize=512)
def history(store_id: int, jobcenter: str, figure: str, month: str, key: tuple) -> str:
    frames = {sex: pd.DataFrame({"month": [m for m, _ in vals], "value": [v for _, v in vals]}) for sex, vals in key}
    return svg(history_spec(frames, figure))
