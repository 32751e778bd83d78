"""The parts of the monthly report beyond the job center's figures (issue 15, "Reports worth sending").

Each function returns the report's blocks ({"heading", "text", "table", "chart"}) for one part:

- :func:`figure_charts`: K1, K2 and K3 over the 24 months up to the Bezugsmonat by sex, the
  provisional months dashed with hollow points (the cockpit's ``charts.history_spec``);
- :func:`teams`: every team's Ist against its team plan (``planning.tracking.track`` per team);
- :func:`data_quality`: the data-quality tasks by rule (open / closed, new in the month) and the
  trend of the finding rates (``dqm`` state tables);
- :func:`intensive_care`: places, occupancy, meetings on time and cohort outcomes
  (``worklists.intensive``).

Audience (decision 150): the report goes to the Geschäftsführung and may be passed on, so every
count below the job center (teams, rules, cohorts) follows the cockpit's policy for the
Geschäftsführung (``amip.disclosure.SUPPRESS``: 1 or 2 persons and what is derived from them are
shown as ``*``; in the team breakdown also the secondary cell). The job center's own § 48a figures
are published by the BMAS per job center and stay unsuppressed, as before.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import defaultdict

from amip import disclosure as dc
from amip import format as fmt
from amip.reports.tables import Col, ReportTable

CHART_FIGURES = ("K1", "K2", "K3")
CHART_MONTHS = 24
POLICY = dc.SUPPRESS  # decision 150: the Geschäftsführung's view


def _mm(month: str) -> str:
    """2022-06 -> 06/2022 (the form every page shows)."""
    return f"{month[5:7]}/{month[:4]}"


def figure_charts(store, jc: str, month: str) -> list[dict]:
    """K1, K2, K3: one line per sex over the last 24 months up to ``month``; provisional months
    dashed (legend "Datenstand"). The alt text names the figure, the months, the groups, the
    latest values and how many months are provisional."""
    import pandas as pd

    from amip.figures import charts, glossary
    from amip.reports.render import chart_html

    blocks = []
    for fig in CHART_FIGURES:
        frames, latest = {}, {}
        provisional: set[str] = set()
        for sex in ("all", "w", "m"):
            h = store.history(jc, fig, sex, last=month, months=CHART_MONTHS).dropna(subset=["value"])
            if h.empty:
                continue
            flags = [fmt.is_provisional(s) for s in h["data_state"]]
            frames[sex] = pd.DataFrame({"month": h["month"], "value": h["value"], "provisional": flags})
            provisional |= {m for m, p in zip(h["month"], flags) if p}
            latest[sex] = (h["month"].iloc[-1], float(h["value"].iloc[-1]))
        title = f"{fig}: {glossary.EXPLANATIONS[fig].short}"
        if not frames:
            blocks.append({"chart": chart_html("", title)})
            continue
        months = sorted({m for f in frames.values() for m in f["month"]})
        alt = (
            f"Liniendiagramm {title}, Werte in Prozent von {_mm(months[0])} bis {_mm(months[-1])}, "
            + ", ".join(
                f"{glossary.SEXES[s]} {_mm(latest[s][0])}: {fmt.percent(latest[s][1])} %" for s in frames if s in latest
            )
            + (
                f"; {len(provisional)} {'Monat' if len(provisional) == 1 else 'Monate'} vorläufig "
                f"(ab {_mm(min(provisional))}, gestrichelt, offene Punkte)"
                if provisional
                else "; alle Monate endgültig"
            )
        )
        svg = charts.svg(charts.for_print(charts.history_spec(frames, fig)))
        blocks.append({"chart": chart_html(svg, f"{title}, {_mm(months[0])} bis {_mm(months[-1])}", alt=alt)})
    return blocks


TEAM_COUNTS = ("int_actual", "elb_actual", "lzb_actual")
TEAM_DERIVED = {"attainment": ("int_actual",), "lzb_attainment": ("lzb_actual",)}


def teams(store, db, jc: str, month: str, policy: dc.Policy = POLICY) -> list[dict]:
    """One row per team (teams in the data's caseload or with a plan for the year): the plan of
    integrations, ELB and LZB (annual averages), the Ist to date (integrations since January, the
    ELB and LZB averages since January, persons assigned to the team at the Stichtag each count
    uses), the Soll by the job center's seasonal profile, attainment and status (as the cockpit's
    Zielnachhaltung of a team). Small counts suppressed for the Geschäftsführung (decision 150)."""
    from amip.planning import plans, targets, tracking

    year = int(month[:4])
    names = sorted(set(targets.teams(store, jc)) | set(plans.team_ids(db, year, jc)))
    if not names:
        return [
            {
                "heading": "Teams und Teampläne",
                "text": "Die Daten enthalten keine Zuordnung zu Teams (Tabelle caseload) und es gibt keine Teampläne.",
            }
        ]
    rows = []
    for team in names:
        res = tracking.track(db, store, year, jc, month, team)
        by = {r["measure"]: r for r in res["rows"] if r["sex"] == "all"}
        months = [f"{year}-{k:02d}" for k in range(1, int(month[5:7]) + 1)]
        counts = targets.Counts(store, jc, team, f"{year - 1}-12", month)
        ints = counts.counts("int", months, "all")
        stock = counts.counts("stock", months, "all")
        lzb = counts.counts("lzb", months, "all")
        i, lz = by.get("integrations", {}), by.get("lzb_jdw", {})
        rows.append(
            {
                "team": team,
                "plan_status": {"agreed": "vereinbart", "draft": "Entwurf", None: "kein Teamplan"}[res["plan_status"]],
                "int_plan": i.get("plan"),
                "int_actual": sum(ints) if ints is not None else None,
                "int_expected": i.get("expected"),
                "attainment": i.get("attainment"),
                "status": tracking.STATUS_LABELS.get(i.get("status") or "", "–"),
                "elb_plan": by.get("elb_jdw", {}).get("plan"),
                "elb_actual": sum(stock) / len(stock) if stock else None,
                "lzb_plan": lz.get("plan"),
                "lzb_actual": sum(lzb) / len(lzb) if lzb else None,
                "lzb_attainment": lz.get("attainment"),
            }
        )
    shown = dc.suppress_rows(rows, policy, TEAM_COUNTS, TEAM_DERIVED, unit="team", kind="team")
    for r in shown:  # a status read from a suppressed attainment would tell it
        if dc.is_suppressed(r["attainment"]):
            r["status"] = dc.SUPPRESSED
    table = ReportTable(
        "teams",
        f"Teams gegen ihre Teampläne {year}, Stand {_mm(month)}",
        [
            Col("team", "Name", "text"),
            Col("plan_status", "Teamplan", "text"),
            Col("int_plan", "Plan"),
            Col("int_actual", "Ist seit Januar"),
            Col("int_expected", "Soll bis Berichts\u00admonat", "amount1"),
            Col("attainment", "Ziel\u00aderreichung in %", "pct"),
            Col("status", "Status", "text"),
            Col("elb_plan", "Plan", "amount1"),
            Col("elb_actual", "Ist (Ø seit Januar)", "amount1"),
            Col("lzb_plan", "Plan", "amount1"),
            Col("lzb_actual", "Ist (Ø seit Januar)", "amount1"),
        ],
        shown,
        caption=(
            "Zuordnung der Personen zum Team am Stichtag der jeweiligen Zählung; Soll nach dem Saisonprofil des "
            f"Jobcenters. {dc.NOTE} * = nicht ausgewiesen."
        ),
    )
    return [
        {
            "heading": "Teams und Teampläne",
            "text": (
                "Ist der Teams seit Jahresbeginn gegen die Teampläne (Zielnachhaltung der Teams; ohne Prognose, daher "
                "entscheidet die Zielerreichung allein über den Status)."
            ),
            "table": table,
        }
    ]


def data_quality(db, month: str) -> list[dict]:
    """The data-quality tasks of the latest ``amip dqm run`` by rule (German title): open (open or
    in progress), closed (by hand or because the data no longer produce the finding), of which
    new in the Bezugsmonat (findings whose defect arose in it); the findings per 100 ELB by month
    (all teams) as a trend chart over the last twelve months up to the Bezugsmonat."""
    from sqlalchemy import func, select

    from amip.dqm.models import ACTIVE, DqmRate, DqmRun, DqmTask
    from amip.dqm.rules import RULES
    from amip.figures import charts
    from amip.reports.render import chart_html

    heading = "Datenqualität"
    run = db.scalar(select(DqmRun).order_by(DqmRun.id.desc()).limit(1))
    if run is None:
        return [{"heading": heading, "text": "Es liegt noch kein Lauf der Datenqualitätsprüfung vor (amip dqm run)."}]
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"open": 0, "closed": 0, "new": 0})
    for rule, status, m, n in db.execute(
        select(DqmTask.rule_id, DqmTask.status, DqmTask.month, func.count()).group_by(
            DqmTask.rule_id, DqmTask.status, DqmTask.month
        )
    ):
        c = counts[rule]
        c["open" if status in ACTIVE else "closed"] += n
        if m == month:
            c["new"] += n
    rows: list[dict] = [
        {"rule": r.id, "title": r.title, **counts[r.id], "total": counts[r.id]["open"] + counts[r.id]["closed"]}
        for r in RULES
    ]
    shown = dc.suppress_rows(rows, POLICY, ("open", "closed", "new", "total"), secondary=False)
    table = ReportTable(
        "datenqualitaet",
        f"Aufgaben der Datenqualitätsprüfung nach Regel (Lauf vom {fmt.date_de(run.started_at)}, Datenmonat {_mm(run.data_month)})",
        [
            Col("rule", "Regel", "text"),
            Col("title", "Titel", "text"),
            Col("open", "offen"),
            Col("closed", "erledigt"),
            Col("total", "insgesamt"),
            Col("new", f"davon entstanden {_mm(month)}"),
        ],
        shown,
        caption=(
            "offen: offen oder in Bearbeitung; erledigt: erledigt, kein Fehler oder durch die Daten erledigt. "
            f"{dc.NOTE} * = nicht ausgewiesen."
        ),
    )

    def shown_sum(key: str) -> str:
        n = sum(int(r[key]) for r in rows)
        return dc.MARK if dc.small(n) else fmt.number(n)

    blocks = [
        {
            "heading": heading,
            "text": (
                f"Aufgaben aus dem letzten Lauf der Datenqualitätsprüfung: {shown_sum('open')} offen, "
                f"{shown_sum('closed')} erledigt."
            ),
            "table": table,
        }
    ]
    total: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for rule, m, n, s in db.execute(select(DqmRate.rule_id, DqmRate.month, DqmRate.findings, DqmRate.stock)):
        total[(rule, m)][0] += n
        total[(rule, m)][1] += s
    months = sorted({m for _, m in total if m <= month})[-12:]
    key = []
    for r in RULES:
        for m in months:
            if (r.id, m) not in total:
                continue
            n, s = total[(r.id, m)]
            v = dc.suppress_value(
                {"findings": n, "stock": s, "rate": 100.0 * n / s if s else None},
                POLICY,
                ("findings", "stock"),
                {"rate": ("findings", "stock")},
            )
            rate = dc.api_value(v["rate"]) if v else None
            if rate is not None:
                key.append((m, f"{r.id} {r.title}", rate))
    if key:
        title = f"Befunde je 100 ELB nach Regel, {_mm(months[0])} bis {_mm(months[-1])}"
        alt = (
            f"Liniendiagramm {title}; Regeln: "
            + ", ".join(sorted({k[1] for k in key}))
            + f"; höchster Wert {fmt.number(max(k[2] for k in key), 2)}"
        )
        svg = charts.svg(
            charts.for_print(charts.dqm_trend_spec([{"month": m, "rule": r, "rate": v} for m, r, v in key], title))
        )
        blocks.append({"chart": chart_html(svg, title, alt=alt)})
    return blocks


COHORT_COUNTS = ("places", "taken", "matched", "comparison")
COHORT_DERIVED = {
    "integrated_taken": ("taken", "int_t", "not_int_t"),
    "lzb_avoided_taken": ("taken", "lzb_t", "not_lzb_t"),
    "integrated_comparison": ("comparison", "matched"),
    "lzb_avoided_comparison": ("comparison", "matched"),
}


def _persons_behind(row: dict) -> dict:
    """The persons behind a cohort's shares (integrated or not, LZB avoided or not, of the taken):
    a share of 1 or 2 persons (or all but 1 or 2) is suppressed (as the cockpit does)."""
    out = {}
    for share, n, key in (("integrated_taken", "taken", "int_t"), ("lzb_avoided_taken", "taken", "lzb_t")):
        pct, total = row.get(share), row.get(n)
        if pct is None or total is None:
            continue
        k = round(pct / 100 * total)
        out[key], out["not_" + key] = k, total - k
    return out


def intensive_care(store, db, jc: str, month: str, places_spec: str | None = None) -> list[dict]:
    """Intensive care as of the Stichtag of the Bezugsmonat: per team the IFKs, places active and
    taken in the year against the places available (IFKs × N of the year), meetings recorded and on
    time, overdue meetings; the finished cohorts' outcomes against their matched comparison."""
    from sqlalchemy import select

    from amip.kennzahlen.calendar import parse_month, stichtag
    from amip.worklists import intensive as ic
    from amip.worklists.models import IntensivePlace

    heading = "Intensivbetreuung"
    today = stichtag(parse_month(month))
    if places_spec is None:  # the cockpit's setting (amip.cockpit.settings reads the same variable)
        places_spec = os.environ.get("AMIP_INTENSIVE_PLACES") or None
    n = ic.places_for(today.year, places_spec)
    places = [
        p for p in db.scalars(select(IntensivePlace).where(IntensivePlace.jobcenter_id == jc)) if p.start_date <= today
    ]
    if not places:
        return [{"heading": heading, "text": "Für dieses Jobcenter sind keine Plätze der Intensivbetreuung erfasst."}]
    # the IFKs of a team: the caseload's caseworkers at the data's last Stichtag and those with places
    ifks: dict[str, set[str]] = defaultdict(set)
    for caseworker, team in ic.caseworkers(store):
        ifks[team or "ohne Team"].add(caseworker)
    by_team: dict[str, dict] = {}
    for p in places:
        team = p.team_id or "ohne Team"
        ifks[team].add(p.caseworker_id)
        t = by_team.setdefault(
            team, {"team": team, "active": 0, "taken_year": 0, "meetings": 0, "on_time": 0, "overdue": 0}
        )
        ended = p.ended_on is not None and p.ended_on <= today
        if p.end_date >= today and not ended:  # running on the Stichtag of the Bezugsmonat
            t["active"] += 1
            if ic.reminder(p, today).state == "ueberfaellig":
                t["overdue"] += 1
        if p.start_date.year == today.year:
            t["taken_year"] += 1
        on_time, due = 0, p.start_date
        held = [m for m in p.meetings if m.date <= today]
        for m in held:  # as ic.meetings_on_time, up to the Stichtag
            on_time += m.date <= due + dt.timedelta(days=ic.GRACE_DAYS)
            due = ic.add_months(m.date, 1)
        t["meetings"] += len(held)
        t["on_time"] += on_time
    for team, t in by_team.items():
        t["ifk"] = len(ifks[team])
    rows = sorted(by_team.values(), key=lambda r: r["team"])
    for r in rows:
        r["available"] = r["ifk"] * n
        r["occupancy"] = r["taken_year"] / r["available"] * 100 if r["available"] else None
        r["on_time_share"] = r["on_time"] / r["meetings"] * 100 if r["meetings"] else None
    total = {
        k: sum(r[k] for r in rows)
        for k in ("ifk", "active", "taken_year", "meetings", "on_time", "overdue", "available")
    }
    total.update(
        team="Jobcenter",
        occupancy=total["taken_year"] / total["available"] * 100 if total["available"] else None,
        on_time_share=total["on_time"] / total["meetings"] * 100 if total["meetings"] else None,
    )
    # places and meetings are activities of the IFKs, not persons in a stock; a place is one person,
    # though, so places taken of 1 or 2 in a team are suppressed like any count of persons
    counts = ("active", "taken_year", "overdue")
    derived = {"occupancy": ("taken_year",)}
    shown = dc.suppress_rows(rows, POLICY, counts, derived, unit="team", kind="team")
    total = dc.suppress_rows([total], POLICY, counts, derived, secondary=False)[0]
    table = ReportTable(
        "intensivbetreuung",
        f"Plätze und Gespräche der Intensivbetreuung, Stand {fmt.date_de(today)}",
        [
            Col("team", "Team", "text"),
            Col("ifk", "Integrationsfachkräfte"),
            Col("available", f"Plätze {today.year} (je IFK {n})"),
            Col("taken_year", f"belegt {today.year}"),
            Col("occupancy", "Auslastung in %", "pct"),
            Col("active", "laufend"),
            Col("meetings", "Gespräche"),
            Col("on_time_share", "pünktlich in %", "pct"),
            Col("overdue", "Gespräch überfällig"),
        ],
        [*shown, total],
        emphasis={len(shown)},
        caption=(
            f"Ein Gespräch ist pünktlich, wenn es höchstens {ic.GRACE_DAYS} Tage nach seiner Fälligkeit stattfand "
            f"(Beginn, dann monatlich). {dc.NOTE} * = nicht ausgewiesen."
        ),
    )
    blocks = [
        {
            "heading": heading,
            "text": (
                f"Jede Integrationsfachkraft nimmt {today.year} bis zu {n} von Langzeitleistungsbezug bedrohte Kundinnen "
                f"und Kunden für {ic.PLACE_MONTHS} Monate in die Intensivbetreuung auf; monatliche Beratungsgespräche."
            ),
            "table": table,
        }
    ]
    cohorts = [c for c in ic.cohort_outcomes(store, db, jobcenter=jc) if c["cohort"] <= month]
    crows = dc.suppress_rows(cohorts, POLICY, COHORT_COUNTS, COHORT_DERIVED, secondary=False, counts_of=_persons_behind)
    if crows:
        blocks.append(
            {
                "text": ic.CAVEAT,
                "table": ReportTable(
                    "intensiv_kohorten",
                    "Ergebnisse der Kohorten (sechs Monate nach Beginn) gegen die Vergleichsgruppe",
                    [
                        Col("cohort_label", "Kohorte (Beginn)", "text"),
                        Col("places", "Plätze"),
                        Col("evaluable_label", "auswertbar", "text"),
                        Col("integrated_taken", "integriert in %", "pct"),
                        Col("integrated_comparison", "Vergleich integriert in %", "pct"),
                        Col("lzb_avoided_taken", "LZB vermieden in %", "pct"),
                        Col("lzb_avoided_comparison", "Vergleich LZB vermieden in %", "pct"),
                    ],
                    [
                        {
                            **c,
                            "cohort_label": _mm(c["cohort"]),
                            "evaluable_label": "ja"
                            if c.get("evaluable")
                            else f"ab {fmt.date_de(c['window_end'] + dt.timedelta(days=1))}",
                        }
                        for c in crows
                    ],
                    caption=f"{dc.NOTE} * = nicht ausgewiesen.",
                ),
            }
        )
    return blocks
