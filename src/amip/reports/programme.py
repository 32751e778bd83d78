"""The Arbeitsmarkt- und Integrationsprogramm for a year Y: every figure, table and chart, from the data.

The programme for Y is written at the end of Y−1: its "Ist" is the last complete year Y−1, its
"Plan" the agreed (else the newest draft) target plan of Y. Sources:

- § 48a figures (K1–K3 families): the cockpit's figure cache (``FigureStore``).
- steering figures S1–S6, L1–L3, P1J, E1: ``amip.kennzahlen.steering.compute`` on the warehouse.
- targets: ``amip.planning.plans.programme_targets`` (state database).
- budget and spending: ``amip.planning.budget`` (warehouse ``budget`` and ``measures``).
- communal figures: the warehouse's ``indicators`` table (JDW = mean of the 12 months of Y−1).
- the outlook: the forecast (``FigureStore.forecast``) when available.
- target groups (chapter 5.3): ``amip.worklists.target_groups.figures`` on the figure cache.

:func:`collect` returns a :class:`Programme` (tables, charts, placeholder values); ``render.py`` turns
it into HTML, PDF and XLSX.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from amip import format as fmt
from amip.reports.tables import Col, ReportTable
from amip.warehouse.jobcenters import describe, pick_home, short_name

P1_ROWS = (  # (label, codes summed)
    ("Erwerbsfähige Leistungsberechtigte gesamt", ("all",)),
    ("Kunden mit Integrationsprognose „marktnah“", ("marktnah",)),
    ("Kunden mit Integrationsprognose „nicht marktnah“", ("nicht_marktnah",)),
    ("Sonstige Integrationsprognosen:", ("integriert", "nicht_erforderlich", "fehlt")),
    ("davon: I Integriert, aber weiterhin hilfebedürftig", ("integriert",)),
    ("davon: Z Zuordnung nicht erforderlich", ("nicht_erforderlich",)),
    ("davon: X Fehlende Werte", ("fehlt",)),
)
E1_ROWS = (
    ("Erwerbstätige ELB", "E1.erwerbstaetig.all"),
    ("abhängig erwerbstätig", "E1.abhaengig.all"),
    ("bis 450 Euro", "E1.abhaengig.bis450"),
    ("über 450 bis 850 Euro", "E1.abhaengig.450-850"),
    ("über 850 bis 1.300 Euro", "E1.abhaengig.850-1300"),
    ("über 1.300 Euro", "E1.abhaengig.ueber1300"),
    ("Einkommen unbekannt", "E1.abhaengig.unbekannt"),
    ("selbständig erwerbstätig", "E1.selbstaendig.all"),
)
INDICATORS = {  # indicator -> (label, how the year is summarised, target text)
    "fehlerquote_kdu": (
        "Bearbeitungsqualität Kosten der Unterkunft: Fehlerquote (%)",
        "mean",
        "durchschnittliche Fehlerquote im JDW < 5 %",
    ),
    "fehlerquote_but": (
        "Bearbeitungsqualität Bildung und Teilhabe: Fehlerquote (%)",
        "mean",
        "durchschnittliche Fehlerquote im JDW < 5 %",
    ),
    "einschaltungen_16a": (
        "Inanspruchnahme kommunaler Leistungen nach § 16a SGB II: Einschaltungen",
        "sum",
        "Summe aller Einschaltungen bei den flankierenden Leistungen (wird beobachtet)",
    ),
    "kundenzufriedenheit": ("Index aus Kundenzufriedenheit (Schulnote)", "mean", "wird beobachtet"),
    "prozessqualitaet": ("Index aus Prozessqualität", "mean", "wird beobachtet"),
}


class ProgrammeError(ValueError):
    """The programme cannot be written (year not covered, unknown job center, ...)."""


@dataclass
class Programme:
    year: int
    jobcenter: str
    jobcenter_name: str
    stand: str
    covered: tuple[str, str]
    tables: dict[str, ReportTable] = field(default_factory=dict)
    charts: dict[str, str] = field(default_factory=dict)  # name -> SVG
    chart_titles: dict[str, str] = field(default_factory=dict)
    context: dict[str, str] = field(default_factory=dict)  # placeholder -> German text
    notes: list[str] = field(default_factory=list)  # what the data could not provide
    data_state: str = ""  # which values are final and which provisional (on the cover)


def jobcenter_name(con, jc: str) -> str:
    """The job center's name as the documents write it after "Jobcenter"/"des Jobcenters": its
    name from the warehouse's ``jobcenters`` table on ``con`` without the leading "Jobcenter "
    (``Elbe-Elster``), else its id (amip.warehouse.jobcenters)."""
    return short_name(describe(con, jc))


def data_stand(store) -> date | None:
    """The documents' "Stand": the data's Datenstand (the latest delivery's day, else the last
    covered month's Stichtag; amip.format.data_day), never the machine clock."""
    days = [d["as_of"] for d in store.deliveries() if not fmt.is_missing(d.get("as_of"))]
    coverage = (getattr(store, "meta", None) or {}).get("coverage")
    return fmt.data_day(max(days) if days else None, coverage[1] if coverage else store.latest)


def month_label(month: str) -> str:
    return f"{fmt.MONTHS_DE[int(month[5:7]) - 1]} {month[:4]}"


def _n(v, d=0):
    return fmt.number(v, d)


def coverage(con) -> tuple[str, str]:
    row = con.execute("SELECT first_month, last_month FROM dataset").fetchone()
    return str(row[0]), str(row[1])


def pick_jobcenter(con, jobcenter: str | None) -> str:
    """``jobcenter``, or the warehouse's only home job center (amip.warehouse.jobcenters)."""
    try:
        return pick_home(con, jobcenter)
    except ValueError as exc:
        raise ProgrammeError(str(exc)) from None


def check_year(first: str, last: str, year: int) -> None:
    """The programme for Y needs the complete year Y−1 in the data."""
    if f"{year - 1}-12" > last or f"{year - 1}-01" < first:
        raise ProgrammeError(
            f"year {year} not covered: the programme needs the complete year {year - 1} "
            f"(the data covers {first} to {last}; possible years: "
            f"{int(first[:4]) + (0 if first.endswith('-01') else 1) + 1} to {int(last[:4]) + (1 if last.endswith('-12') else 0)})"
        )


# ---- steering figures ---------------------------------------------------------------------------


def steering_figures(
    con, first: str, last: str, jobcenter: str, progress: Callable[[str], None] | None = None
) -> pd.DataFrame:
    """The steering figures (H1) for ``first``..``last`` as a DataFrame (empty when not available)."""
    try:
        from amip.kennzahlen import steering
        from amip.kennzahlen.backends import ibis_backend
    except ImportError:  # pragma: no cover - the module ships with the package
        return pd.DataFrame(columns=["jobcenter_id", "month", "figure", "sex", "numerator", "denominator", "value"])
    with ibis_backend(con) as backend:
        return steering.compute(backend, first, last, jobcenter, progress).to_pandas()


class Steering:
    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self._index = frame.set_index(["figure", "sex", "month"]).sort_index() if not frame.empty else None

    def get(self, figure: str, month: str, sex: str = "all", what: str = "value") -> float | None:
        if self._index is None:
            return None
        try:
            v = self._index.loc[(figure, sex, month)][what]
        except KeyError:
            return None
        return None if fmt.is_missing(v) else float(v)


# ---- collection ---------------------------------------------------------------------------------


def collect(
    warehouse: Path,
    year: int,
    jobcenter: str | None = None,
    *,
    store=None,
    db=None,
    progress: Callable[[str], None] | None = None,
    today: date | None = None,
) -> Programme:
    """Every figure of the programme for ``year``. ``store``: an open FigureStore (opened here when
    None); ``db``: a state session (for the plan; without it the plan counts as missing)."""
    from amip.figures import charts, glossary
    from amip.planning import budget as bud

    say = progress or (lambda _m: None)
    # With a store: its own warehouse (one import for the whole document, also when a new one
    # replaced the file meanwhile); else the file.
    con = store.connect() if store is not None else bud.attach_warehouse(warehouse)
    given = store  # the steering figures of the store's own import are kept in its memo
    try:
        first, last = coverage(con)
        jc = pick_jobcenter(con, jobcenter)
        check_year(first, last, year)
        if store is None:
            import amip.forecast  # noqa: F401 (registers the forecast tables as a figure-cache extension)
            from amip.figures.store import FigureStore

            say("Kennzahlen laden")
            store = FigureStore.open(Path(warehouse))
        prev = year - 1
        dec = f"{prev}-12"
        p = Programme(
            year=year,
            jobcenter=jc,
            jobcenter_name=jobcenter_name(con, jc),
            stand=fmt.date_de(today or data_stand(store)),
            covered=(first, last),
        )
        ctx = p.context
        name = p.jobcenter_name
        ctx.update(
            jahr=str(year),
            vorjahr=str(prev),
            vorvorjahr=str(year - 2),
            jobcenter=name,
            jobcenter_id=jc,
            stand=p.stand,
            daten_von=month_label(first),
            daten_bis=month_label(last),
        )

        # -- steering figures over up to ten years before Y
        s_first = max(first, f"{year - 11}-01")
        say("Steuerungskennzahlen berechnen")
        if given is not None:  # the same for every text preview and download of this import
            frame = given.memo(
                ("programme.steering", s_first, dec, jc), lambda: steering_figures(con, s_first, dec, jc)
            )
        else:
            frame = steering_figures(con, s_first, dec, jc)
        st = Steering(frame)

        _elb_chapter(p, st, store, charts, year, s_first)
        bg = bg_jdw(con, jc, year - 1)
        p.context["bg_jdw_vorjahr_rund"] = _n(round(bg / 100) * 100) if bg and bg >= 1000 else _n(bg)
        _prognosis_table(p, st, prev)
        _employment_table(p, st, prev, first)
        _lzb_table(p, st, store, glossary, prev)
        say("Ziele")
        _targets(p, st, store, db, year)
        _monitoring(p, st, prev)
        _local_targets(p, st, prev)
        _communal_targets(p, con, jc, prev)
        say("Budget")
        _budget(p, con, bud, charts, jc, year)
        _outlook(p, store, jc, year)
        say("Zielgruppen")
        _target_groups(p, store, jc, prev)
        _data_state(p, store, jc, prev)
        return p
    finally:
        con.close()


def _data_state(p: Programme, store, jc: str, prev: int) -> None:
    """The data state of the figures the programme reports (the months up to December of Y−1): the
    cache's values come from the latest delivery; a month past the Wartezeit in it is final, the
    others provisional (decision 85). The cover says which; the tables with December values say it
    when December is still provisional."""
    from amip.figures import states

    dec = f"{prev}-12"
    months = [m for m in store.months if m <= dec]
    found = {m: states.of_month(store, jc, m) for m in months[-12:]}
    known = {m: s for m, s in found.items() if s is not None}
    if not known:
        return
    as_of = max((s.as_of for s in known.values() if s.as_of), default=None)
    provisional = [m for m, s in known.items() if s.provisional]
    where = f"Datenlieferung vom {fmt.date_de(as_of)}" if as_of else "letzte Datenlieferung"
    if not provisional:
        p.data_state = (
            f"Datenstand: {where}. Alle Werte bis {month_label(dec)} sind endgültig (nach der Wartezeit von drei "
            "Monaten, wie die Statistik der BA sie rechnet)."
        )
        return
    p.data_state = (
        f"Datenstand: {where}. Die Werte ab {month_label(provisional[0])} sind vorläufig: die Wartezeit von drei "
        "Monaten ist noch nicht abgelaufen, spätere Datenlieferungen können sie noch ändern."
    )
    if dec in provisional:
        label = known[dec].label
        for name in ("lzb", "kennzahlen", "lzb_ziel"):
            t = p.tables.get(name)
            if t is not None:
                t.caption = f"{t.caption}; Werte von Dezember {prev} {label}".lstrip("; ")
        p.notes.append(f"Werte von Dezember {prev} {label}")


def _elb_chapter(p: Programme, st: Steering, store, charts, year: int, s_first: str) -> None:
    ctx, prev = p.context, year - 1
    start_year = int(s_first[:4]) + (0 if s_first.endswith("-01") else 1)
    rows = [{"year": y, "value": st.get("S1", f"{y}-12")} for y in range(start_year, year)]
    rows = [r for r in rows if r["value"] is not None]
    if rows:
        title = f"Entwicklung der erwerbsfähigen Leistungsberechtigten (ELB) {rows[0]['year']}–{rows[-1]['year']} (JDW)"
        p.charts["elb_entwicklung"] = charts.svg(charts.yearly_bars_spec(rows, "", "ELB (Jahresdurchschnitt)"))
        p.chart_titles["elb_entwicklung"] = title
        p.tables["elb_entwicklung"] = ReportTable(
            "elb_entwicklung",
            title,
            [
                Col("year", "Jahr", "text"),
                Col("value", "ELB (JDW)"),
                Col("change", "Veränderung zum Vorjahr in %", "pct"),
            ],
            [
                {
                    "year": str(r["year"]),
                    "value": r["value"],
                    "change": fmt.pct_change(r["value"], rows[i - 1]["value"]) if i else None,
                }
                for i, r in enumerate(rows)
            ],
            caption="Quelle: eigene Berechnung aus den Leistungsdaten (Jahresdurchschnitt der Monatsbestände)",
        )
    elb = st.get("S1", f"{prev}-12")
    before = st.get("S1", f"{prev - 1}-12")
    n_years = len(rows)
    ctx.update(
        elb_jdw_vorjahr=_n(elb),
        elb_jdw_vorjahr_rund=_n(round(elb / 100) * 100) if elb else "–",
        elb_veraenderung_vorjahr=fmt.percent(fmt.pct_change(elb, before)),
        elb_entwicklung_richtung=(
            "gesunken"
            if elb is not None and before is not None and elb < before
            else "gestiegen"
            if elb is not None and before is not None and elb > before
            else "nahezu unverändert geblieben"
        ),
        elb_jahre_von=str(rows[0]["year"]) if rows else "–",
        elb_jahre_bis=str(rows[-1]["year"]) if rows else "–",
        elb_jahre_anzahl=str(n_years),
        elb_jahre_hinweis=(
            ""
            if n_years >= 10
            else f"Die Daten reichen {n_years} Jahre zurück; die Grafik zeigt alle vollständig erfassten Jahre."
        ),
        lzb_anteil_vorjahr=fmt.percent(st.get("S2", f"{prev}-12")),
    )
    if not rows:
        p.notes.append("ELB-Entwicklung: keine vollständigen Jahre in den Daten")


BG_SQL = """
WITH months AS (SELECT unnest(generate_series(DATE '{y}-01-01', DATE '{y}-12-01', INTERVAL 1 MONTH)) AS m),
st AS (SELECT (m + INTERVAL 1 MONTH - INTERVAL 1 DAY)::DATE AS d FROM months)
SELECT avg(n) FROM (
    SELECT st.d, count(DISTINCT s.bg_id) AS n FROM st
    LEFT JOIN elb_spells s ON s.jobcenter_id = ? AND s.bg_id IS NOT NULL AND s.start_date <= st.d
         AND (s.end_date IS NULL OR s.end_date >= st.d)
    GROUP BY st.d)
"""


def bg_jdw(con, jobcenter: str, year: int) -> float | None:
    """Bedarfsgemeinschaften with at least one ELB at ST(m), mean over the 12 months of ``year``
    (BGs without an ELB are not in the data)."""
    v = con.execute(BG_SQL.format(y=int(year)), [jobcenter]).fetchone()[0]
    return float(v) if v else None


def _prognosis_table(p: Programme, st: Steering, prev: int) -> None:
    month = f"{prev}-12"
    cols = [
        Col("label", "Merkmal", "text"),
        Col("total", "Insgesamt"),
        Col("share", "Anteil an ELB gesamt (in %)", "pct"),
    ]
    for age, age_label in (("u25", "15 bis unter 25"), ("25-54", "25 bis unter 55"), ("55plus", "55 und älter")):
        for sex, sl in (("m", "männlich"), ("w", "weiblich")):
            cols.append(Col(f"{age}_{sex}", f"{age_label}: {sl}"))
    rows = []
    for label, codes in P1_ROWS:

        def total(fig_age: str, sex: str, what="numerator", codes=codes):
            vals = [st.get(f"P1J.{c}.{fig_age}", month, sex, what) for c in codes]
            return None if any(v is None for v in vals) else sum(vals)

        row = {
            "label": label,
            "total": total("all", "all"),
            "share": None if codes == ("all",) else total("all", "all", "value"),
        }
        for age in ("u25", "25-54", "55plus"):
            for sex in ("m", "w"):
                row[f"{age}_{sex}"] = total(age, sex)
        rows.append(row)
    t = ReportTable(
        "prognose",
        f"Erwerbsfähige Leistungsberechtigte nach Integrationsprognosen und Altersgruppen (JDW {prev})",
        cols,
        rows,
        caption=f"Quelle: eigene Berechnung, Jahresdurchschnitt {prev} (Integrationsprognose am Monatsende)",
        header_groups=[("", 3), ("15 bis unter 25 Jahre", 2), ("25 bis unter 55 Jahre", 2), ("55 Jahre und älter", 2)],
        emphasis={0},
    )
    for c in cols[3:]:
        c.label = "männlich" if c.key.endswith("_m") else "weiblich"
    if rows[0]["total"] is None:
        t.note = "Die Daten enthalten keine Integrationsprognosen; die Tabelle bleibt leer."
        p.notes.append("P1J: keine Integrationsprognosen in den Daten")
    p.tables["prognose"] = t
    share = st.get("P1J.nicht_marktnah.all", month)
    p.context.update(
        prognose_nicht_marktnah_anteil=fmt.percent(share),
        prognose_marktnah_anteil=fmt.percent(st.get("P1J.marktnah.all", month)),
        prognose_elb_jdw=_n(st.get("P1J.all.all", month, what="numerator")),
    )


def _employment_table(p: Programme, st: Steering, prev: int, first: str) -> None:
    month, before = f"{prev}-05", f"{prev - 1}-05"
    has_before = before >= first
    rows = []
    elb_now, elb_before = st.get("P1.all.all", month, what="numerator"), st.get("P1.all.all", before, what="numerator")
    rows.append(
        {
            "label": "Erwerbsfähige Leistungsberechtigte (ELB) insgesamt",
            "count": elb_now,
            "delta": elb_now - elb_before if has_before and elb_now is not None and elb_before is not None else None,
            "delta_pct": fmt.pct_change(elb_now, elb_before) if has_before else None,
            "share": None,
        }
    )
    for label, fig in E1_ROWS:
        now, old = st.get(fig, month, what="numerator"), st.get(fig, before, what="numerator")
        if fig.endswith("unbekannt") and not now and not old:
            continue
        rows.append(
            {
                "label": label,
                "count": now,
                "delta": now - old if has_before and now is not None and old is not None else None,
                "delta_pct": fmt.pct_change(now, old) if has_before else None,
                "share": st.get(fig, month),
            }
        )
    t = ReportTable(
        "erwerbstaetige",
        f"Erwerbstätige ELB – {month_label(month)}",
        [
            Col("label", "Merkmal", "text"),
            Col("count", "Berichtsmonat"),
            Col("delta", "Veränderung zum Vorjahresmonat absolut"),
            Col("delta_pct", "Veränderung in %", "pct"),
            Col("share", "Anteile in %", "pct"),
        ],
        rows,
        caption="Quelle: eigene Berechnung aus Leistungs- und Beschäftigungsdaten; "
        "Anteile bezogen auf alle erwerbstätigen ELB",
        emphasis={0, 1},
    )
    if not has_before:
        t.note = f"Der Vorjahresmonat {month_label(before)} liegt vor dem Beginn der Daten; Veränderungen entfallen."
    if rows[1]["count"] is None:
        t.note = "Die Daten enthalten keine Beschäftigungszeiten."
        p.notes.append("E1: keine Beschäftigungsdaten")
    p.tables["erwerbstaetige"] = t
    ew = next((r for r in rows if r["label"] == "Erwerbstätige ELB"), {})
    d = ew.get("delta_pct")
    p.context.update(
        erwerbstaetige_monat=month_label(month),
        erwerbstaetige_anzahl=_n(ew.get("count")),
        erwerbstaetige_veraenderung=fmt.percent(d),
        erwerbstaetige_richtung=(
            "verringerte sich"
            if d is not None and d < 0
            else "erhöhte sich"
            if d is not None and d > 0
            else "blieb unverändert"
            if d is not None
            else "ist ohne Vorjahresvergleich"
        ),
        erwerbstaetige_anteil_elb=fmt.percent(ew["count"] / elb_now * 100 if ew.get("count") and elb_now else None),
    )


def _lzb_table(p: Programme, st: Steering, store, glossary, prev: int) -> None:
    month = f"{prev}-12"
    jc = p.jobcenter
    rows = []
    k3 = store.value(jc, "K3", month) or {}
    rows.append(
        {
            "label": "Bestand Langzeitleistungsbeziehende (LZB), Jahresdurchschnitt",
            "value": st.get("S6", month),
            "kind": "",
        }
    )
    rows.append(
        {"label": "Bestand Langzeitleistungsbeziehende (LZB), Dezember", "value": k3.get("numerator"), "kind": ""}
    )
    rows.append({"label": "Anteil der LZB an allen ELB (%)", "value": st.get("S2", month), "kind": "pct"})
    for fig in ("K3", "K3E1", "K3E2", "K3E3", "K3E4"):
        v = (store.value(jc, fig, month) or {}).get("value")
        rows.append({"label": f"{fig} {glossary.EXPLANATIONS[fig].short} (%)", "value": v, "kind": "pct"})
    t = ReportTable(
        "lzb",
        f"Langzeitleistungsbezug im Dezember {prev}",
        [Col("label", "Kennzahl", "text"), Col("value", "Wert")],
        [{"label": r["label"], "value": r["value"]} for r in rows],
        caption="Quelle: eigene Berechnung nach § 48a SGB II (K3-Familie: Werte der letzten zwölf Monate)",
        row_kinds={i: "pct" for i, r in enumerate(rows) if r["kind"] == "pct"},
    )
    p.tables["lzb"] = t
    p.context.update(
        lzb_dezember_vorjahr=_n(k3.get("numerator")),
        lzb_jdw_vorjahr=_n(st.get("S6", month)),
        k3_vorjahr=fmt.percent((store.value(jc, "K3", month) or {}).get("value")),
    )


PLAN_LABELS = (("integrations", "Integrationen"), ("elb_jdw", "ELB"), ("quota", "Integrationsquote"))
SEX_LABELS = (("all", ""), ("w", "dav. Frauen"), ("m", "dav. Männer"))


def target_tables(
    ist: dict, plan: dict, year: int, status: str | None, version: int | None = None
) -> tuple[ReportTable, ReportTable]:
    """The seeds' "Kennzahlen Ist Y−1 / Plan Y" table by sex and the LZB table. ``ist``/``plan``:
    {sex: {"integrations", "elb_jdw", "quota", "lzb_jdw"}} (unrounded); changes in % from the
    unrounded values (the seed: quota 22,486 -> 22,222 is -1,2 %)."""
    prev = year - 1
    rows, emph = [], set()
    for measure, label in PLAN_LABELS:
        for sex, sl in SEX_LABELS:
            if sex == "all":
                emph.add(len(rows))
            rows.append(
                {
                    "label": label if sex == "all" else sl,
                    "ist": ist[sex].get(measure),
                    "plan": plan[sex].get(measure),
                    "change": fmt.pct_change(plan[sex].get(measure), ist[sex].get(measure)),
                }
            )
    kz = ReportTable(
        "kennzahlen",
        f"Kennzahlen Ist {prev} / Plan {year}",
        [
            Col("label", "Kennzahlen", "text"),
            Col("ist", f"Ist {prev}"),
            Col("plan", f"Plan {year}"),
            Col("change", "Veränderung in %", "pct"),
        ],
        rows,
        emphasis=emph,
        caption="Ist: Integrationen und ELB-Jahresdurchschnitt nach § 48a SGB II (K2 im Dezember); "
        "Veränderungen aus den ungerundeten Werten",
    )
    kz.row_kinds = {6: "pct", 7: "pct", 8: "pct"}  # the quota rows print one decimal
    lzb_ist, lzb_plan = ist["all"].get("lzb_jdw"), plan["all"].get("lzb_jdw")
    lzb = ReportTable(
        "lzb_ziel",
        "Bestand an Langzeitleistungsbeziehenden (LZB)",
        [Col("label", "", "text"), Col("value", "LZB")],
        [
            {"label": f"Ist {prev}", "value": lzb_ist},
            {"label": f"Plan {year}", "value": lzb_plan},
            {"label": "Ist/Ist in %", "value": fmt.pct_change(lzb_plan, lzb_ist) if lzb_plan else None},
        ],
        caption="LZB-Bestand im Jahresdurchschnitt (JDW der zwölf Monatsenden, S6)",
        row_kinds={2: "pct"},
    )
    if status is None:
        kz.note = lzb.note = (
            f"Für {year} liegt noch keine Zielplanung vor. Die Plan-Spalte bleibt leer, bis der "
            f"Plan im Cockpit (Zielplanung) erfasst ist."
        )
    elif status == "draft":
        kz.note = lzb.note = f"Plan {year}: Entwurf (Version {version}), noch nicht vereinbart."
    return kz, lzb


def _targets(p: Programme, st: Steering, store, db, year: int) -> None:
    from amip.planning import targets as tg
    from amip.planning.plans import programme_targets

    prev = year - 1
    if db is not None:
        t = programme_targets(db, year, p.jobcenter, store)
    else:
        t = {
            "plan": tg.empty(),
            "actual_previous": tg.actual_year(store, p.jobcenter, prev),
            "changes": {},
            "status": None,
            "version": None,
        }
    plan, ist, status = t["plan"], t["actual_previous"], t["status"]
    kz, lzb = target_tables(ist, plan, year, status, t["version"])
    if status is None:
        p.notes.append(f"kein Plan für {year}")
    p.tables["kennzahlen"], p.tables["lzb_ziel"] = kz, lzb
    q_ist, q_plan = ist["all"].get("quota"), plan["all"].get("quota")
    lzb_ist, lzb_plan = ist["all"].get("lzb_jdw"), plan["all"].get("lzb_jdw")
    k1 = (store.value(p.jobcenter, "K1", f"{prev}-12") or {}).get("value")
    ctx = p.context
    ctx.update(
        plan_vorhanden=status is not None,
        plan_status={"agreed": "vereinbart", "draft": "als Entwurf erfasst"}.get(status, "noch nicht erfasst"),
        plan_hinweis=(
            ""
            if status == "agreed"
            else f"Die Zielplanung {year} ist als Entwurf erfasst und noch nicht vereinbart."
            if status == "draft"
            else f"Für {year} liegt noch keine Zielplanung vor; die Planwerte werden nach der Zielvereinbarung ergänzt."
        ),
        integrationen_vorjahr=_n(ist["all"].get("integrations")),
        integrationen_plan=_n(plan["all"].get("integrations")),
        elb_plan=_n(plan["all"].get("elb_jdw")),
        quote_vorjahr=fmt.percent(q_ist),
        quote_plan=fmt.percent(q_plan),
        quote_veraenderung=fmt.percent(fmt.pct_change(q_plan, q_ist)),
        lzb_vorjahr=_n(lzb_ist),
        lzb_plan=_n(lzb_plan),
        lzb_veraenderung=fmt.percent(fmt.pct_change(lzb_plan, lzb_ist)),
        lzb_senkung=fmt.percent(-fmt.pct_change(lzb_plan, lzb_ist)) if lzb_plan and lzb_ist else "–",
        k1_vorjahr=fmt.percent(k1),
    )


MONITORING = (  # the 2020 programme's extended monitoring (chapter 3.1), steering figures S3 - S5
    ("S3", "Nachhaltige Integrationen (%)"),
    ("S4", "Bedarfsdeckende Integrationen (%)"),
    ("S5", "Integrationsquote der LZB mit mindestens vier Jahren Leistungsbezug (%)"),
)


def _monitoring(p: Programme, st: Steering, prev: int) -> None:
    """The extended monitoring of chapter 3.1: S3, S4, S5 in December of Y−1, by sex."""
    month = f"{prev}-12"
    rows = [{"label": label, **{s: st.get(fig, month, s) for s in ("all", "w", "m")}} for fig, label in MONITORING]
    t = ReportTable(
        "erweitertes_monitoring",
        f"Erweitertes Monitoring, Dezember {prev}",
        [
            Col("label", "Kennzahl", "text"),
            Col("all", "Insgesamt", "pct"),
            Col("w", "Frauen", "pct"),
            Col("m", "Männer", "pct"),
        ],
        rows,
        caption="Nachhaltig: zwölf Monate nach der Integration (Monate 23 bis 12 vor dem Berichtsmonat) an "
        "jedem Monatsende erwerbstätig; bedarfsdeckend: an den drei folgenden Monatsenden ohne "
        "Leistungsbezug (Monate 14 bis 3); LZB mit mindestens 1 277 von 1 460 Tagen Leistungsbezug "
        "(letzte zwölf Monate)",
    )
    if all(r["all"] is None for r in rows):
        t.note = (
            "Für das erweiterte Monitoring reichen die Daten nicht weit genug zurück (bis zu 26 Monate bzw. "
            "vier Jahre Vorlauf) oder es fehlen Beschäftigungsdaten."
        )
        p.notes.append("S3–S5: nicht berechenbar")
    p.tables["erweitertes_monitoring"] = t
    p.context.update(
        nachhaltige_integrationen_vorjahr=fmt.percent(rows[0]["all"]),
        bedarfsdeckende_integrationen_vorjahr=fmt.percent(rows[1]["all"]),
        integrationsquote_lzb4_vorjahr=fmt.percent(rows[2]["all"]),
    )


def _local_targets(p: Programme, st: Steering, prev: int) -> None:
    month = f"{prev}-12"
    year = prev + 1
    l1, l2, l3 = st.get("L1", month), st.get("L2", month), st.get("L3", month)
    rows = [
        {
            "label": "Anteil der ELB mit konkretem und realistischem (Integrations-)Ziel (%)",
            "ist": fmt.percent(l1),
            "ziel": "mindestens 90 %",
        },
        {
            "label": "Anteil erfolgreicher Vermittlungsvorschläge ANoAV SGB II (%)",
            "ist": fmt.percent(l2),
            "ziel": f"{fmt.percent(5.0)} %",
        },
        {
            "label": "Besetzte Stellen bei kleinen und mittleren Unternehmen ohne Personaldienstleister (Anzahl)",
            "ist": _n(l3),
            "ziel": "wird beobachtet",
        },
    ]
    p.tables["lokale_ziele"] = ReportTable(
        "lokale_ziele",
        "Lokale Ziele",
        [Col("label", "Lokales Ziel", "text"), Col("ist", f"Ist {prev}", "text"), Col("ziel", f"Ziel {year}", "text")],
        rows,
        caption=f"Ist: L1 im Dezember {prev}, L2 und L3 über die zwölf Monate bis Dezember {prev}",
    )
    p.context.update(l1_vorjahr=fmt.percent(l1), l2_vorjahr=fmt.percent(l2), l3_vorjahr=_n(l3))


def _communal_targets(p: Programme, con, jc: str, prev: int) -> None:
    from amip.planning.budget import has_table

    rows = []
    if has_table(con, "indicators"):
        data = con.execute(
            "SELECT indicator, avg(value), sum(value), count(*) FROM indicators WHERE jobcenter_id = ? "
            "AND month BETWEEN ? AND ? GROUP BY indicator",
            [jc, f"{prev}-01", f"{prev}-12"],
        ).fetchall()
        got = {r[0]: r for r in data}
        for key, (label, how, target) in INDICATORS.items():
            if key in got:
                _, mean, total, n = got[key]
                v = mean if how == "mean" else total
                rows.append(
                    {"label": label, "ist": fmt.number(v, 1 if how == "mean" else 0), "ziel": target, "months": n}
                )
        for key in sorted(set(got) - set(INDICATORS)):
            rows.append(
                {"label": key, "ist": fmt.number(got[key][1], 1), "ziel": "wird beobachtet", "months": got[key][3]}
            )
    t = ReportTable(
        "kommunale_ziele",
        "Kommunale Ziele",
        [
            Col("label", "Kommunales Ziel", "text"),
            Col("ist", f"Ist {prev}", "text"),
            Col("ziel", f"Zielwert {prev + 1}", "text"),
        ],
        rows,
        caption=f"Ist: Jahresdurchschnitt {prev} (Fehlerquoten, Indizes) bzw. Jahressumme (Einschaltungen)",
    )
    if not rows:
        t.note = f"Die Daten enthalten für {prev} keine kommunalen Kennzahlen."
        p.notes.append("keine kommunalen Kennzahlen")
    p.tables["kommunale_ziele"] = t


def _budget(p: Programme, con, bud, charts, jc: str, year: int) -> None:
    ctx = p.context
    try:
        comp = bud.comparison(con, year, jc)
    except bud.BudgetError as exc:
        comp = None
        p.notes.append(f"Budget: {exc}")
    kinds = {"schaetzung": "Schätzwerte", "zuteilung": "Zuteilung", "plan": "Plan"}
    if comp:
        new_kind = kinds.get(next((k for k in comp["new_kind"].values() if k), None), "Schätzwerte")
        rows = comp["rows"]
        t = ReportTable(
            "budget",
            f"Vergleich Zuteilungsbeträge {year - 1} und {new_kind} {year} (in Euro)",
            [
                Col("label", "", "text"),
                Col("base", f"Zuteilung {year - 1}", "euro"),
                Col("new", f"{new_kind} {year}", "euro"),
                Col("delta", "Delta absolut", "euro"),
                Col("delta_pct", "Delta in %", "pct"),
            ],
            rows,
            emphasis={2},
            header_groups=[("", 3), (f"Delta {year - 1}/ {year}", 2)],
            caption=f"Jobcenter {p.jobcenter_name}, Haushaltsjahr {year - 1}/ {year}; Quelle: Haushaltsangaben des Jobcenters (Zuteilung, Schätzwerte, Plan)",
        )
        if any(r["base"] is None or r["new"] is None for r in rows):
            t.note = "Für einzelne Titel fehlen Zuteilung oder Schätzwert in den Daten (–)."
        p.tables["budget"] = t
        vk, egl = rows[0], rows[1]
        ctx.update(
            vk_neu_mio=fmt.number(vk["new"] / 1e6, 1) if vk["new"] else "–",
            egl_neu_mio=fmt.number(egl["new"] / 1e6, 1) if egl["new"] else "–",
            budget_veraenderung=fmt.percent(rows[2]["delta_pct"]),
        )
    else:
        p.tables["budget"] = ReportTable(
            "budget",
            f"Vergleich Zuteilungsbeträge {year - 1} und Schätzwerte {year}",
            [Col("label", "", "text")],
            [],
            note="Die Daten enthalten keine Budgetangaben.",
        )
        ctx.update(vk_neu_mio="–", egl_neu_mio="–", budget_veraenderung="–")
    plan = bud.egl_plan(con, year, jc)
    slm = bud.second_labour_market_share(plan)
    title = f"Verteilung des Eingliederungsbudgets {year}"
    if not plan.empty:
        recs = plan.to_dict("records")
        p.charts["egl_verteilung"] = charts.svg(charts.egl_distribution_spec(recs, ""))
        p.chart_titles["egl_verteilung"] = title
        rows = [{**r, "slm": "ja" if r["second_labour_market"] else ""} for r in recs]
        rows.append(
            {"instrument": "", "name": "Summe", "amount": float(plan["amount"].sum()), "share": 100.0, "slm": ""}
        )
        p.tables["egl_plan"] = ReportTable(
            "egl_plan",
            f"Planung des Eingliederungstitels {year} nach Instrumenten (in Euro)",
            [
                Col("instrument", "Kürzel", "text"),
                Col("name", "Instrument", "text"),
                Col("amount", "Plan", "euro"),
                Col("share", "Anteil in %", "pct"),
                Col("slm", "2. Arbeitsmarkt", "text"),
            ],
            rows,
            emphasis={len(rows) - 1},
            caption="2. Arbeitsmarkt: die Instrumente, die der Instrumentenkatalog dem zweiten Arbeitsmarkt zuordnet (§ 16d, § 16i SGB II)",
        )
    else:
        p.tables["egl_plan"] = ReportTable(
            "egl_plan",
            f"Planung des Eingliederungstitels {year} nach Instrumenten",
            [Col("name", "Instrument", "text")],
            [],
            note=f"Die Daten enthalten keine Planung des Eingliederungstitels {year} nach Instrumenten.",
        )
        p.charts["egl_verteilung"] = ""
        p.chart_titles["egl_verteilung"] = title
        p.notes.append(f"kein EGL-Plan {year}")
    top3 = plan[plan["instrument"].isin(["FBW", "EGZ", "MAT"])]["share"].sum() if not plan.empty else None
    spent = bud.spending_summary(con, year - 1, jc)
    ctx.update(
        egl_zweiter_arbeitsmarkt=fmt.percent(slm),
        egl_fbw_egz_mat=fmt.percent(top3),
        ausgaben_vorjahr=_n(spent["total"]),
        ausgaben_erstes_halbjahr_vorjahr=fmt.percent(spent["first_half_share"]),
        ausgaben_zweiter_arbeitsmarkt_vorjahr=fmt.percent(spent["second_labour_market_share"]),
    )
    rows = [
        {"label": "Ausgaben insgesamt (Euro)", "value": fmt.number(spent["total"])},
        {"label": "davon im ersten Halbjahr (%)", "value": fmt.percent(spent["first_half_share"])},
        {"label": "davon 2. Arbeitsmarkt (%)", "value": fmt.percent(spent["second_labour_market_share"])},
    ]
    p.tables["ausgaben"] = ReportTable(
        "ausgaben",
        f"Mitteleinsatz {year - 1} aus den Maßnahmedaten",
        [Col("label", "", "text"), Col("value", "Wert", "text")],
        rows,
        caption="Kosten der Maßnahmen (Kosten je Teilnahme), gleichmäßig auf die Tage der Teilnahme verteilt",
    )


def _outlook(p: Programme, store, jc: str, year: int) -> None:
    """ELB outlook for Y from the forecast (H2) when available."""
    text = ""
    fc = getattr(store, "forecast", None)
    if fc is not None:
        try:
            f = fc(jc, "elb", "all")
            months = f[f["month"].astype(str).str.startswith(str(year))]
            if len(months) == 12:
                text = (
                    f"Die Prognose erwartet für {year} im Jahresdurchschnitt rund "
                    f"{_n(round(float(months['mean'].mean()) / 10) * 10)} ELB "
                    f"(80-%-Intervall im Dezember: {_n(float(months['lo80'].iloc[-1]))} bis "
                    f"{_n(float(months['hi80'].iloc[-1]))})."
                )
        except Exception:  # noqa: BLE001 - a missing forecast only drops the sentence
            text = ""
    if not text:
        plan = p.context.get("elb_plan", "–")
        text = (
            f"Die Zielplanung {year} geht von {plan} ELB im Jahresdurchschnitt aus."
            if plan != "–"
            else "Eine Prognose des ELB-Bestands liegt nicht vor."
        )
    p.context["elb_ausblick"] = text


# Chapter 5.3: the target groups (worklists.target_groups), each with the numbers the seeds print in
# their section (AMIP 2022: "260 schwerbehinderte bzw. gleichgestellte Leistungsbeziehende";
# "572 ELB alleinerziehend, davon 514 Frauen und 58 Männer ... 15 % ... in ein
# sozialversicherungspflichtiges Arbeits- oder Ausbildungsverhältnis") for December of Y−1.
TARGET_GROUPS = (  # (code, table title)
    ("u25", "Jüngere unter 25 Jahren (U25)"),
    ("schwerbehindert", "Schwerbehinderte und gleichgestellte ELB"),
    ("alleinerziehend", "Alleinerziehende ELB"),
    ("ohne_abschluss", "ELB ohne Berufsabschluss"),
    ("gefluechtet", "Geflüchtete ELB"),
)
TARGET_GROUP_KEYS = ("bestand", "frauen", "maenner", "anteil", "integrationen", "quote", "massnahmen_anteil")


def _target_groups(p: Programme, store, jc: str, prev: int) -> None:
    """One table per target group (Insgesamt, Frauen, Männer: ELB in December Y−1, share of all
    ELB, integrations and mean stock over the twelve months, integration quota, in a measure at the
    Stichtag) and an overview of all groups; placeholders ``zg_<group>_<key>``. A group whose
    source column the data do not have is "–" with a note, never 0 (decision 152)."""
    from amip.worklists import target_groups as tg

    dec = f"{prev}-12"
    total = tg.figures(store, jc, dec).set_index("group")
    by_sex = tg.figures(store, jc, dec, by_sex=True)
    known = tg.available_groups(store)
    all_stock = float(total.loc["alle", "stock"]) if "alle" in total.index else None
    cols = [
        Col("unit", "", "text"),
        Col("stock", f"ELB Dezember {prev}"),
        Col("share", "Anteil an allen ELB in %", "pct"),
        Col("integrations", f"Integrationen {prev}"),
        Col("mean_stock", f"ELB Jahresdurchschnitt {prev}", "amount1"),
        Col("quota", "Integrationsquote in %", "pct"),
        Col("in_measures", f"in Maßnahmen Dezember {prev}"),
        Col("measure_share", "Anteil in Maßnahmen in %", "pct"),
    ]
    overview = []
    for code, title in TARGET_GROUPS:
        label = tg.GROUPS[code][0]
        ctx = {f"zg_{code}_{k}": "–" for k in TARGET_GROUP_KEYS}
        note = ""
        if code not in known:
            note = f"Die Daten enthalten das Merkmal für „{label}“ nicht (Spalte {tg.GROUP_SOURCES[code][1]} fehlt)."
            rows: list[dict] = []
        else:
            row = total.loc[code].to_dict()
            sexes = {r["unit"]: r for r in by_sex[by_sex["group"] == code].to_dict("records")}
            rows = []
            for name, r in (("Insgesamt", row), ("Frauen", sexes.get("w")), ("Männer", sexes.get("m"))):
                if r is None:
                    continue
                share = r["stock"] / all_stock * 100 if all_stock else None
                rows.append({**r, "unit": name, "share": share})
            ctx.update(
                {
                    f"zg_{code}_bestand": _n(row["stock"]),
                    f"zg_{code}_frauen": _n(sexes["w"]["stock"]) if "w" in sexes else "–",
                    f"zg_{code}_maenner": _n(sexes["m"]["stock"]) if "m" in sexes else "–",
                    f"zg_{code}_anteil": fmt.percent(rows[0]["share"])
                    if rows and rows[0]["share"] is not None
                    else "–",
                    f"zg_{code}_integrationen": _n(row["integrations"]),
                    f"zg_{code}_quote": fmt.percent(row["quota"]),
                    f"zg_{code}_massnahmen_anteil": fmt.percent(row["measure_share"]),
                }
            )
            overview.append({**rows[0], "unit": label})
        p.context.update(ctx)
        p.tables[f"zielgruppe_{code}"] = ReportTable(
            f"zielgruppe_{code}",
            f"{title}, Dezember {prev}",
            cols,
            rows,
            note=note,
            emphasis={0} if rows else set(),
            caption=(
                f"ELB am Stichtag im Dezember {prev}; Integrationen und Jahresdurchschnitt: Januar bis Dezember {prev} "
                "(Merkmale der Person am Stichtag des Vormonats der Integration); Integrationsquote = Integrationen / "
                "ELB im Jahresdurchschnitt · 100 (wie K2)"
            ),
        )
    p.tables["zielgruppen"] = ReportTable(
        "zielgruppen",
        f"Zielgruppen im Überblick, Dezember {prev}",
        [Col("unit", "Zielgruppe", "text"), *cols[1:]],
        overview,
        caption=f"Alle ELB im Dezember {prev}: {_n(all_stock)}. Eine Person kann mehreren Zielgruppen angehören.",
    )
