"""Übersicht: K1, K2 and K3 for a month as tiles (all, women, men), with the change against the
same month of the previous year and a 24-month sparkline; below, every figure of the month and the
extended monitoring (steering figures S3–S6 with their definitions)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from markupsafe import Markup

from amip import disclosure as dc
from amip.cockpit import access, charts, glossary
from amip.cockpit.auth import Viewer, needs
from amip.cockpit.context import store
from amip.cockpit.params import pick_jobcenter, pick_month
from amip.cockpit.render import render_shared
from amip.cockpit.tables import Column, DataTable, download
from amip.kennzahlen.calendar import month_str, parse_month

router = APIRouter()


def _previous_year(month: str) -> str:
    return month_str(parse_month(month) - 12)


def _value(st, jc: str, fig: str, month: str, sex: str, policy: dc.Policy) -> dict | None:
    """The job center's value, suppressed where its numerator or denominator counts 1 or 2 persons."""
    return dc.suppress_value(st.value(jc, fig, month, sex), policy if glossary.PERSON_BASED[fig] else dc.SHOW_ALL)


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
            out.append({
                "figure": fig, "sex": sex, "value": v, "previous": p,
                "change": change,
                "sparkline": Markup(charts.sparkline(id(st), jc, fig, sex, month, key)) if len(hist) else "",
            })
    return out


def month_table(st, jc: str, month: str, policy: dc.Policy = dc.SHOW_ALL) -> DataTable:
    rows = []
    for fig in st.available_figures():
        row = {"figure": fig, "title": glossary.TITLES[fig]}
        for sex in ("all", "w", "m"):
            v = _value(st, jc, fig, month, sex, policy)
            row[sex] = None if v is None else v["value"]
        rows.append(row)
    cols = [Column("figure", "Kennzahl"), Column("title", "Bezeichnung"),
            Column("all", "Insgesamt", "percent"), Column("w", "Frauen", "percent"), Column("m", "Männer", "percent")]
    links = {(i, "figure"): f"/kennzahl/{r['figure']}?jc={jc}&month={month}" for i, r in enumerate(rows)}
    return DataTable(f"Kennzahlen {month}", cols, rows, f"kennzahlen_{jc}_{month}", links,
                     caption=f"Alle Kennzahlen nach § 48a SGB II, Jobcenter {jc}, Berichtsmonat {month}")


MONITORING = ("S3", "S4", "S5", "S6")  # the extended monitoring of the 2020 programme (kennzahlen.md)


def monitoring_table(st, jc: str, month: str) -> DataTable:
    """S3–S6 in ``month`` by sex, with numerator and denominator (all) and the glossary's definition."""
    rows = []
    for fig in MONITORING:
        ex = glossary.EXPLANATIONS[fig]
        row: dict[str, Any] = {"figure": fig, "title": ex.short, "definition": ex.definition}
        for sex in ("all", "w", "m"):
            v = st.value(jc, fig, month, sex) or {}
            row[sex] = v.get("value")
            if sex == "all":
                row["numerator"], row["denominator"] = v.get("numerator"), v.get("denominator")
        rows.append(row)
    cols = [Column("figure", "Kennzahl"), Column("title", "Bezeichnung"), Column("definition", "Definition"),
            Column("all", "Insgesamt", "percent"), Column("w", "Frauen", "percent"), Column("m", "Männer", "percent"),
            Column("numerator", "Zähler (Insgesamt)", "count", 1), Column("denominator", "Nenner (Insgesamt)", "count", 1)]
    return DataTable(f"Erweitertes Monitoring {month}", cols, rows, f"monitoring_{jc}_{month}",
                     caption=f"Erweitertes Monitoring (S3–S5 in Prozent, S6 Anzahl im Jahresdurchschnitt), "
                             f"Jobcenter {jc}, Berichtsmonat {month}; – = nicht berechenbar")


@router.get("/", name="overview")
def overview(request: Request, jc: str | None = None, month: str | None = None, viewer: Viewer = Depends(needs(access.FIGURES))):
    st = store(request)
    jc, month = pick_jobcenter(st, jc), pick_month(st, month)
    policy = access.disclosure(viewer)

    def context() -> dict:
        shown = tiles(st, jc, month, policy)
        return dict(jc=jc, month=month, tiles=shown, table=month_table(st, jc, month, policy),
                    monitoring=monitoring_table(st, jc, month), previous=_previous_year(month),
                    tiles_suppressed=any(dc.is_suppressed(t["value"]) or dc.is_suppressed(t["previous"]) for t in shown))

    return render_shared(request, "overview.html", viewer, (jc, month, policy.key), context)


@router.get("/uebersicht.{fmt}", name="overview_download")
def overview_download(request: Request, fmt: str, jc: str | None = None, month: str | None = None,
                      viewer: Viewer = Depends(needs(access.FIGURES))):
    st = store(request)
    jc, month = pick_jobcenter(st, jc), pick_month(st, month)
    return download(month_table(st, jc, month, access.disclosure(viewer)), fmt)


@router.get("/uebersicht/monitoring.{fmt}", name="overview_monitoring_download")
def overview_monitoring_download(request: Request, fmt: str, jc: str | None = None, month: str | None = None,
                                 viewer: Viewer = Depends(needs(access.FIGURES))):
    st = store(request)
    jc, month = pick_jobcenter(st, jc), pick_month(st, month)
    return download(monitoring_table(st, jc, month), fmt)
