"""Übersicht: K1, K2 and K3 for a month as tiles (all, women, men), with a 24-month sparkline and
the target of the year where the Zielplanung has one; below, every figure of the month and the
extended monitoring (steering figures S3–S6 with their definitions).

Tiles (docs/planning.md, "On the Übersicht"):
- K1 and K3 are change rates against the same month of the previous year: the tile says what is
  compared, "Leistungen 12/2021 → 12/2022: 1.000 € → 900 € (−10,0 %)" (K1: the sums of the benefits,
  K3: the LZB stocks), not a difference of two change rates.
- K2 (a quota) shows the previous year's quota and the change in percentage points.
- Targets: K2 carries the plan's integrations (Ist since January, plan, Zielerreichung, status,
  the forecast for the year end) and the planned quota; K3 the plan's LZB annual average (JDW).
  The numbers and the status are those of the Zielnachhaltung (``amip.planning.tracking.track``)
  for the tile's month; a draft is flagged; without a plan the tile says "kein Plan" and links to
  the Planung. K1 has no target in the Zielplanung.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse
from markupsafe import Markup

from amip import disclosure as dc
from amip import format as fmt
from amip.cockpit import access
from amip.cockpit.auth import Viewer, needs
from amip.cockpit.context import state, store
from amip.cockpit.params import pick_jobcenter, pick_month, pick_sex
from amip.cockpit.render import render, render_shared
from amip.cockpit.tables import Column, DataTable, download
from amip.figures import charts, glossary, states
from amip.format import number, percent
from amip.kennzahlen.calendar import month_str, parse_month
from amip.planning import plans, tracking

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


# Tile titles with their hyphenation points (soft hyphens), so a narrow tile breaks
# "Langzeit-leistungs-beziehende" between its parts and never inside one (browsers without a German
# hyphenation dictionary ignore ``hyphens: auto`` but honour soft hyphens).
SHY = "\u00ad"
TILE_TITLES = {
    "K1": "Leistungen zum Lebens" + SHY + "unterhalt",
    "K2": "Integrations" + SHY + "quote",
    "K3": "Langzeit" + SHY + "leistungs" + SHY + "beziehende",
}
# What the change rates K1 and K3 compare (kennzahlen.md: numerator in M, denominator in M−12).
CHANGE_RATES = {"K1": ("Leistungen", " €"), "K3": ("LZB", "")}
# Which tracking row carries a headline figure's target (K1 has none in the Zielplanung).
TARGET_MEASURES = {"K2": "integrations", "K3": "lzb_jdw"}


def _shown(v, decimals: int = 0, unit: str = "") -> str:
    """A count or amount as the page shows it: '*' when suppressed, '–' when missing."""
    text = dc.display(v, lambda x: number(x, decimals))
    return text + unit if text not in (dc.MARK, "–") else text


def change_rate_text(fig: str, month: str, now: dict) -> str | None:
    """K1/K3 in words: 'LZB 12/2021 → 12/2022: 4.554 → 4.102 (−9,9 %)' from the value's
    denominator (M−12), numerator (M) and value; None for other figures or without a value."""
    if fig not in CHANGE_RATES or not now:
        return None
    label, unit = CHANGE_RATES[fig]
    v = now.get("value")
    rate = "–" if v is None else dc.display(v, lambda x: signed_percent(x))
    before, after = _month_de(_previous_year(month)), _month_de(month)
    return (
        f"{label} {before} → {after}: {_shown(now.get('denominator'), 0, unit)} → "
        f"{_shown(now.get('numerator'), 0, unit)} ({rate})"
    )


def signed_percent(x: float) -> str:
    """−9,9 % / +10,8 % / 0,0 % (typographic minus)."""
    text = percent(abs(x), 1)
    if text == percent(0, 1):
        return f"{text}\u00a0%"
    return ("−" if x < 0 else "+") + text + "\u00a0%"


def _month_de(month: str) -> str:
    return f"{month[5:7]}/{month[:4]}"


def plan_key(db, year: int, jc: str) -> tuple:
    """What the tiles' targets depend on in the state database: the plan version the tracking uses
    (the newest agreed, else the newest draft) and its status (versions are never changed, only
    agreed)."""
    plan = plans.current(db, year, jc, None, "agreed") or plans.latest(db, year, jc, None)
    return (year, None) if plan is None else (year, plan.id, plan.version, plan.status)


def tile_target(res: dict | None, fig: str, sex: str, policy: dc.Policy) -> dict | None:
    """The target part of a tile from the Zielnachhaltung ``res`` of the tile's month: None for a
    figure without a target (K1); {"planned": False} without a plan for the figure and sex; else
    the lines to show (see the module text). Counts of 1 or 2 persons (Ist, Zielerreichung, year
    end) are suppressed for viewers who may not see them, as on the Zielnachhaltung page."""
    measure = TARGET_MEASURES.get(fig)
    if measure is None:
        return None
    if res is None or res["plan_status"] is None:
        return {"planned": False, "year": res["year"] if res else None}
    rows = {r["measure"]: r for r in res["rows"] if r["sex"] == sex}
    r = rows.get(measure)
    if r is None:
        return {"planned": False, "year": res["year"]}
    hide = policy.suppress and dc.small(r["actual"])
    year, month = res["year"], res["month"]
    lines: list[tuple[str, str]] = []
    if measure == "integrations":
        quota = rows.get("quota")
        plan_text = f"{number(r['plan'])} Integrationen"
        if quota is not None and quota["plan"] is not None:
            plan_text += f" (Quote {percent(quota['plan'])}\u00a0%)"
        lines.append((f"Plan {year}", plan_text))
        soll = "" if res["finished"] else f" (Soll {number(r['expected'])})"
        lines.append((f"Ist bis {_month_de(month)}", (dc.MARK if hide else number(r["actual"])) + soll))
        end_label, end = "Prognose Dezember", r.get("year_end")
        end_text = number(end)
    else:
        lines.append((f"Plan {year} (Ø)", f"{number(r['plan'])} LZB"))
        lines.append((f"Ist Ø bis {_month_de(month)}", dc.MARK if hide else number(r["actual"])))
        end_label, end = "Prognose Jahres-Ø", r.get("year_end")
        end_text = number(end)
    lines.append(("Zielerreichung", _attainment(r, hide)))
    if not res["finished"] and end is not None:
        lines.append((end_label, dc.MARK if hide else end_text))
    return {
        "planned": True,
        "year": year,
        "draft": res["plan_status"] != "agreed",
        "version": res["version"],
        "lines": lines,
        "status": r["status"],
        "status_label": tracking.STATUS_LABELS.get(r["status"], "") if r["status"] else "",
    }


def _attainment(r: dict, hide: bool) -> str:
    if hide:
        return dc.MARK
    a = r["attainment"]
    return "–" if a is None else f"{percent(a)}\u00a0%"


def tiles(st, jc: str, month: str, policy: dc.Policy = dc.SHOW_ALL, tracked: dict | None = None) -> list[dict]:
    """The headline tiles; ``tracked`` is the Zielnachhaltung of the month
    (``tracking.track``), None when the tiles show no targets."""
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
                    "title": TILE_TITLES.get(fig, glossary.EXPLANATIONS[fig].short),
                    "comparison": change_rate_text(fig, month, now),
                    "target": tile_target(tracked, fig, sex, policy),
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
@router.get("/uebersicht", name="overview_page")
def overview(
    request: Request, jc: str | None = None, month: str | None = None, viewer: Viewer = Depends(needs(access.FIGURES))
):
    start = access.start_page(viewer.role)
    if request.url.path == "/" and start != "/" and not request.query_params:
        return RedirectResponse(start, status_code=303)  # "/" is the role's start page; the Übersicht stays /uebersicht
    st = store(request)
    jc, month = pick_jobcenter(st, jc), pick_month(st, month)
    policy = access.disclosure(viewer)
    steering = access.may(viewer.role, access.STEERING)  # the tiles link to Zielnachhaltung/Planung
    year = int(month[:4])
    with state(request).begin() as db:
        planned = plan_key(db, year, jc)

    def context() -> dict:
        with state(request).begin() as db:
            tracked = tracking.track(db, st, year, jc, month)
        shown = tiles(st, jc, month, policy, tracked)
        return dict(
            jc=jc,
            month=month,
            tiles=shown,
            table=month_table(st, jc, month, policy),
            monitoring=monitoring_table(st, jc, month, policy, access.may(viewer.role, access.PERSONS)),
            previous=_previous_year(month),
            steering=steering,
            month_state=states.of_month(st, jc, month),
            tiles_suppressed=any(
                dc.is_suppressed(t["value"])
                or dc.is_suppressed(t["previous"])
                or dc.MARK in (t["comparison"] or "")
                or any(v == dc.MARK or v.startswith(dc.MARK + " ") for _, v in (t["target"] or {}).get("lines", ()))
                for t in shown
            ),
        )

    return render_shared(request, "overview.html", viewer, (jc, month, policy.key, planned, steering), context)


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
