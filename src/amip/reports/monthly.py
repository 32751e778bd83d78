"""The monthly controlling report for a Bezugsmonat M (``amip report monthly``).

Blocks: the K1–K3 families in M by sex, with the K1, K2 and K3 charts over 24 months; the extended
monitoring; the Zielnachhaltung of the year's plan (status per planned figure,
``amip.planning.tracking.track``) with the cumulative integrations chart; the teams against their
team plans; integrations year to date against the same months of the previous year; the forecast
outlook when available; EGL spending year to date against the plan (``amip.planning.budget``); data
quality (tasks by rule, trend) and intensive care (places, meetings, cohorts). The parts after the
job center's own figures are in ``monthly_sections.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from amip import format as fmt
from amip.reports import monthly_sections as sections
from amip.reports.programme import ProgrammeError, data_stand, jobcenter_name, month_label, pick_jobcenter
from amip.reports.tables import Col, ReportTable

FAMILIES = (
    "K1",
    "K1E1",
    "K1E2",
    "K1E3",
    "K1E4",
    "K2",
    "K2E1",
    "K2E2",
    "K2E3",
    "K2E4",
    "K3",
    "K3E1",
    "K3E2",
    "K3E3",
    "K3E4",
)
MEASURE_LABELS = {
    "integrations": "Integrationen (seit Jahresbeginn)",
    "elb_jdw": "ELB (Jahresdurchschnitt bisher)",
    "quota": "Integrationsquote K2 (%)",
    "lzb_jdw": "LZB (Jahresdurchschnitt bisher)",
}
# averages of persons (ELB, LZB) with one decimal as on the cockpit's Zielnachhaltung; integrations whole
AVERAGE_DECIMALS = {"elb_jdw": 1, "lzb_jdw": 1}
# The extended monitoring (steering figures S3 - S6, kennzahlen.md): (id, label, is a percentage).
MONITORING = (
    ("S3", "Nachhaltige Integrationen (%)", True),
    ("S4", "Bedarfsdeckende Integrationen (%)", True),
    ("S5", "Integrationsquote LZB mit mindestens vier Jahren Leistungsbezug (%)", True),
    ("S6", "LZB im Jahresdurchschnitt", False),
)


@dataclass
class Monthly:
    month: str
    jobcenter: str
    jobcenter_name: str
    stand: str
    month_label: str
    blocks: list[dict] = field(default_factory=list)  # {"heading", "text", "table", "chart"}
    notes: list[str] = field(default_factory=list)


def collect(
    warehouse: Path,
    month: str,
    jobcenter: str | None = None,
    *,
    store=None,
    db=None,
    progress: Callable[[str], None] | None = None,
    today: date | None = None,
) -> Monthly:
    from markupsafe import Markup

    from amip.figures import charts, glossary, states
    from amip.planning import budget as bud
    from amip.reports.render import chart_html

    say = progress or (lambda _m: None)
    # With a store: its own warehouse (one import for the whole document, also when a new one
    # replaced the file meanwhile); else the file.
    con = store.connect() if store is not None else bud.attach_warehouse(warehouse)
    try:
        jc = pick_jobcenter(con, jobcenter)
        if store is None:
            import amip.forecast  # noqa: F401 (registers the forecast tables as a figure-cache extension)
            from amip.figures.store import FigureStore

            say("Kennzahlen laden")
            store = FigureStore.open(Path(warehouse))
        if month not in store.months:
            raise ProgrammeError(f"month {month} not covered (the figures cover {store.months[0]} to {store.latest})")
        year = int(month[:4])
        m = Monthly(
            month=month,
            jobcenter=jc,
            jobcenter_name=jobcenter_name(con, jc),
            stand=fmt.date_de(today or data_stand(store)),
            month_label=month_label(month),
        )
        # 1. § 48a figures
        rows = []
        for fig in FAMILIES:
            v = {s: (store.value(jc, fig, month, s) or {}).get("value") for s in ("all", "w", "m")}
            if all(x is None for x in v.values()):
                continue
            state = states.of_value(store, jc, fig, month, "all")
            rows.append(
                {
                    "figure": fig,
                    "label": glossary.EXPLANATIONS[fig].short,
                    **v,
                    "state": state.short if state else "",
                    "band": state.band_label if state else "",
                }
            )
        month_state = states.of_month(store, jc, month)
        state_text = ""
        if month_state is not None and month_state.provisional:
            state_text = (
                f" Die Werte des {month_label(month)} sind {month_state.label}: spätere Datenlieferungen können sie "
                "noch ändern; daneben steht die erwartete Revision (vorläufig minus endgültig, Bereich von 90 % der "
                "bisherigen Revisionen der Kennzahl beim selben Abstand zum Berichtsmonat)."
            )
        elif month_state is not None:
            state_text = f" Die Werte des {month_label(month)} sind endgültig (BA-vergleichbar, Datenstand {fmt.date_de(month_state.as_of)})."
        m.blocks.append(
            {
                "heading": "Kennzahlen nach § 48a SGB II",
                "text": (
                    "Werte im Berichtsmonat (K2-Familie und K3E1–K3E2: Summe der letzten zwölf Monate; K1, K3: Veränderung "
                    "zum Vorjahresmonat in %)." + state_text
                ),
                "table": ReportTable(
                    "kennzahlen",
                    f"K1–K3 im {month_label(month)}",
                    [
                        Col("figure", "Kennzahl", "text"),
                        Col("label", "Bezeichnung", "text"),
                        Col("all", "Insgesamt", "pct"),
                        Col("w", "Frauen", "pct"),
                        Col("m", "Männer", "pct"),
                        Col("state", "Datenstand", "text"),
                        Col("band", "Erwartete Revision (Insgesamt)", "text"),
                    ],
                    rows,
                ),
            }
        )
        say("Grafiken K1 bis K3")
        m.blocks.extend(sections.figure_charts(store, jc, month))
        # 1b. the extended monitoring (S3 - S6)
        mrows = []
        for fig, label, pct in MONITORING:
            v = {s: (store.value(jc, fig, month, s) or {}).get("value") for s in ("all", "w", "m")}
            show = fmt.percent if pct else (lambda x: fmt.number(x, 1))
            mrows.append({"figure": fig, "label": label, **{s: show(x) for s, x in v.items()}})
        m.blocks.append(
            {
                "heading": "Erweitertes Monitoring",
                "text": (
                    "Nachhaltige Integrationen (zwölf Monate erwerbstätig nach der Integration, Integrationen der Monate 23 bis "
                    "12 vor dem Berichtsmonat), bedarfsdeckende Integrationen (drei Monatsenden ohne Leistungsbezug, Monate 14 "
                    "bis 3), Integrationsquote der LZB mit mindestens vier Jahren Leistungsbezug (letzte zwölf Monate) und LZB "
                    "im Jahresdurchschnitt des Kalenderjahres. – = nicht berechenbar (Daten reichen nicht weit genug zurück "
                    "oder das Jahr ist noch nicht vollständig)."
                ),
                "table": ReportTable(
                    "monitoring",
                    f"Erweitertes Monitoring im {month_label(month)}",
                    [
                        Col("figure", "Kennzahl", "text"),
                        Col("label", "Bezeichnung", "text"),
                        Col("all", "Insgesamt", "num"),
                        Col("w", "Frauen", "num"),
                        Col("m", "Männer", "num"),
                    ],
                    mrows,
                ),
            }
        )
        # 2. Zielnachhaltung
        say("Zielnachhaltung")
        tracked = None
        if db is not None:
            from amip.planning import tracking

            tracked = tracking.track(db, store, year, jc, month)
        if tracked is None or tracked["plan_status"] is None:
            m.notes.append(f"Für {year} liegt keine Zielplanung vor; die Zielnachhaltung entfällt.")
        else:
            from amip.planning.tracking import STATUS_LABELS

            trows = [
                {
                    "measure": MEASURE_LABELS[r["measure"]],
                    "sex": glossary.SEXES[r["sex"]],
                    "plan": fmt.percent(r["plan"])
                    if r["measure"] == "quota"
                    else fmt.number(r["plan"], AVERAGE_DECIMALS.get(r["measure"], 0)),
                    "actual": fmt.percent(r["actual"])
                    if r["measure"] == "quota"
                    else fmt.number(r["actual"], AVERAGE_DECIMALS.get(r["measure"], 0)),
                    "expected": fmt.percent(r["expected"])
                    if r["measure"] == "quota"
                    else fmt.number(r["expected"], AVERAGE_DECIMALS.get(r["measure"], 0)),
                    "attainment": r["attainment"],
                    "status": STATUS_LABELS.get(r["status"], "–"),
                    "state": r["state"].short if r.get("state") else "",
                    "band": r["state"].band_label if r.get("state") else "",
                }
                for r in tracked["rows"]
            ]
            status_word = "vereinbart" if tracked["plan_status"] == "agreed" else "Entwurf"
            m.blocks.append(
                {
                    "heading": f"Zielnachhaltung {year}",
                    "text": f"Plan {year} ({status_word}, Version {tracked['version']}). {tracked['rule']}",
                    "table": ReportTable(
                        "zielnachhaltung",
                        f"Zielnachhaltung {month_label(month)}",
                        [
                            Col("measure", "Kennzahl", "text"),
                            Col("sex", "Gruppe", "text"),
                            Col("plan", f"Plan {year}", "num"),
                            Col("actual", "Ist", "num"),
                            Col("expected", "Soll bis Berichtsmonat (LZB: erwarteter JDW)", "num"),
                            Col("attainment", "Zielerreichung in %", "pct"),
                            Col("status", "Status", "text"),
                            Col("state", "Datenstand", "text"),
                            Col("band", "Erwartete Revision", "text"),
                        ],
                        trows,
                    ),
                }
            )
            cum = tracked["cumulative"].get("all")
            if cum:
                svg = charts.svg(
                    charts.for_print(charts.target_progress_spec(cum, f"Integrationen {year}: Ist und Soll kumuliert"))
                )
                last = [c for c in cum if c.get("actual") is not None]
                alt = (
                    f"Liniendiagramm Integrationen {year} kumuliert: Ist bis {last[-1]['month'][5:]}/{year} "
                    f"{fmt.number(last[-1]['actual'])}, Soll nach Saisonprofil bis dahin "
                    f"{fmt.number(last[-1]['profile'], 1)}, Plan für das Jahr {fmt.number(cum[-1]['profile'])}"
                    if last
                    else None
                )
                m.blocks.append({"chart": chart_html(svg, f"Integrationen {year} kumuliert", alt=alt)})
        if db is not None:
            say("Teams")
            m.blocks.extend(sections.teams(store, db, jc, month))
        # 3. YTD integrations against the previous year
        months = [f"{year}-{k:02d}" for k in range(1, int(month[5:7]) + 1)]
        before = [f"{year - 1}-{mm[5:]}" for mm in months]
        yrows = []
        for s in ("all", "w", "m"):
            now = [store.count(jc, "int", mm, s) for mm in months]
            old = [store.count(jc, "int", mm, s) for mm in before]
            a = sum(now) if all(v is not None for v in now) else None
            b = sum(old) if all(v is not None for v in old) else None
            yrows.append(
                {
                    "sex": glossary.SEXES[s],
                    "now": a,
                    "before": b,
                    "change": (a - b) / b * 100 if a is not None and b else None,
                }
            )
        m.blocks.append(
            {
                "heading": "Integrationen seit Jahresbeginn",
                "table": ReportTable(
                    "integrationen_ytd",
                    f"Integrationen Januar bis {month_label(month)}",
                    [
                        Col("sex", "Gruppe", "text"),
                        Col("now", f"{year}"),
                        Col("before", f"{year - 1}"),
                        Col("change", "Veränderung in %", "pct"),
                    ],
                    yrows,
                ),
            }
        )
        # 4. forecast outlook
        fc = getattr(store, "forecast", None)
        frows = []
        if fc is not None:
            for series, label in (("elb", "ELB-Bestand"), ("lzb", "LZB-Bestand"), ("integrations", "Integrationen")):
                try:
                    f = fc(jc, series, "all")
                except Exception:  # noqa: BLE001 - a series without forecast is skipped
                    continue
                f = f[f["month"].astype(str) > month].head(3)
                for _, r in f.iterrows():
                    frows.append(
                        {
                            "series": label,
                            "month": fmt.month(str(r["month"])),
                            "mean": float(r["mean"]),
                            "lo80": float(r["lo80"]),
                            "hi80": float(r["hi80"]),
                        }
                    )
        if frows:
            m.blocks.append(
                {
                    "heading": "Ausblick (Prognose)",
                    "table": ReportTable(
                        "prognose",
                        f"Prognose der ersten drei Monate nach dem Datenstand {month_label(store.latest)}",
                        [
                            Col("series", "Reihe", "text"),
                            Col("month", "Monat", "text"),
                            Col("mean", "Erwartung"),
                            Col("lo80", "80 % von"),
                            Col("hi80", "80 % bis"),
                        ],
                        frows,
                    ),
                }
            )
        else:
            m.notes.append("Eine Prognose liegt für diesen Bericht nicht vor.")
        # 5. EGL spending year to date
        spent = bud.spending_summary(con, year, jc)
        by_month = spent["by_month"]
        ytd = float(by_month.loc[by_month["month"] <= month, "amount"].sum())
        plan = bud.egl_plan(con, year, jc)
        plan_total = float(plan["amount"].sum()) if not plan.empty else None
        brows = [
            {"label": "Ausgaben EGL seit Jahresbeginn (Euro)", "value": fmt.number(ytd)},
            {"label": f"Plan EGL {year} (Euro)", "value": fmt.number(plan_total)},
            {
                "label": "Anteil des Plans gebunden bis Berichtsmonat (%)",
                "value": fmt.percent(ytd / plan_total * 100) if plan_total else "–",
            },
        ]
        m.blocks.append(
            {
                "heading": "Mitteleinsatz Eingliederungstitel",
                "table": ReportTable(
                    "ausgaben",
                    f"Mitteleinsatz bis {month_label(month)}",
                    [Col("label", "", "text"), Col("value", "Wert", "num")],
                    brows,
                    caption="Kosten der Maßnahmen (Kosten je Teilnahme), gleichmäßig auf die Tage der Teilnahme verteilt",
                ),
            }
        )
        rows = [{"month": mm, "value": v} for mm, v in zip(by_month["month"], by_month["amount"]) if mm <= month]
        if rows:
            svg = charts.svg(charts.for_print(charts.monthly_bars_spec(rows, f"Ausgaben EGL {year} je Monat", "Euro")))
            alt = (
                f"Säulendiagramm Ausgaben EGL {year} je Monat, Januar bis {month_label(month)}, "
                f"zusammen {fmt.number(ytd)} Euro"
            )
            m.blocks.append({"chart": Markup(chart_html(svg, f"Ausgaben EGL {year} je Monat", alt=alt))})
        if db is not None:
            say("Datenqualität")
            m.blocks.extend(sections.data_quality(db, month))
            say("Intensivbetreuung")
            m.blocks.extend(sections.intensive_care(store, db, jc, month))
        else:
            m.notes.append("Ohne Zustandsdatenbank entfallen Teams, Datenqualität und Intensivbetreuung.")
        return m
    finally:
        con.close()
