"""The controller's summary of the demo: K1, K2, K3 for the last month by sex, beside the plan.

The plan values are those of the Arbeitsmarkt- und Integrationsprogramm 2022 of Jobcenter
Elbe-Elster (shared/spec/seed-facts.md, "Targets"); the demo's data is the synthetic Elbe-Elster
calibrated to that job center, so actual and plan are comparable. ``prepare_cycle`` enters that
plan into the planning state as the agreed 2022 plan (as the controller would), runs the
data-quality checks and writes the programme and the monthly report.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from rich.table import Table

from amip import duck
from amip import format as fmt

DEMO_FROM, DEMO_TO = "2021-01", "2022-12"
DEMO_DELIVERIES = 24  # one delivery per month of DEMO_FROM … DEMO_TO (as of the first of the next month)
# The demo simulates one month more: the warehouse gets the first 24 deliveries (so its newest months
# are provisional, as a real job center's are), and the "published" figures of Elbe-Elster are
# computed from the 25th, one delivery later (issue 16: the reconciliation then finds the late
# recordings), beside the Brandenburg job centers at a tenth of their size as its comparison group.
DEMO_SIMULATED_TO = "2023-01"
PUBLISHED_PRESET, PUBLISHED_SCALE = "brandenburg", 0.1

# Plan 2022 (insgesamt, Frauen, Männer); None = not planned.
PLAN_2022 = {
    "K2": (940 / 4230 * 100, 399 / 1985 * 100, 541 / 2245 * 100),  # Integrationsquote
    "integrations": (940, 399, 541),
    "elb": (4230, 1985, 2245),  # ELB Jahresdurchschnitt
    "lzb": (3031, None, None),  # LZB-Bestand, Jahresdurchschnitt (S6)
    "K3": (None, None, None),  # no K3 target: the LZB target is the annual average (S6) above
}
SEXES = ("all", "w", "m")
PROGRAMME_YEAR, REPORT_MONTH = 2022, "2022-12"
DEMO_USER = "demo"


def prepare_published(workdir, seed: int, later, db, progress) -> dict[str, Any]:
    """The demo's published figures: the Brandenburg job centers (synthetic, ``PUBLISHED_SCALE`` of
    their size) and Elbe-Elster from the delivery ``later`` (one after the warehouse's latest),
    rounded as published (``amip synth --published``), imported beside the warehouse ``db`` (``amip
    published import``). Reuses the files of an earlier run. Returns what was done."""
    from pathlib import Path

    from amip.kennzahlen import FIGURES
    from amip.published.store import import_published
    from amip.synth.generate import synthesize
    from amip.synth.published import write_published

    workdir = Path(workdir)
    figures_file = workdir / "published.parquet"
    jobcenters_file = workdir / "published-jobcenters.parquet"
    region = workdir / f"{PUBLISHED_PRESET}-seed{seed}-scale{PUBLISHED_SCALE}"
    if not (figures_file.exists() and jobcenters_file.exists()):
        if not (region / "dataset.parquet").exists():
            progress(f"simulating the {PUBLISHED_PRESET} job centers (comparison group)")
            synthesize(preset=PUBLISHED_PRESET, seed=seed, out=region, size=PUBLISHED_SCALE, progress=progress)
        progress("computing the published figures")
        write_published([region, Path(later)], figures_file, jobcenters_file, progress=progress)
    summary = import_published(
        figures_file,
        Path(db),
        [f.id for f in FIGURES],
        [f.id for f in FIGURES if not f.person_based],
        jobcenters_file,
    )
    return {"published": figures_file, "summary": summary}


def holds_deliveries(db, dirs) -> bool:
    """The warehouse ``db`` holds exactly the deliveries of the folders ``dirs`` (a demo run before
    imported them): the demo then skips the import, and the figure cache stays fresh."""
    from pathlib import Path

    from amip.warehouse.store import list_deliveries

    if not Path(db).exists():
        return False
    try:
        held = [d.source for d in list_deliveries(Path(db))]
    except Exception:  # noqa: BLE001 - not a warehouse of this version: import anew
        return False
    return held == [Path(p).name for p in dirs]


def plan_values() -> dict[str, dict[str, float]]:
    """The 2022 plan of the programme as planning values (sex -> measure -> value)."""
    out: dict[str, dict[str, float]] = {}
    for i, sex in enumerate(("all", "w", "m")):
        row = {
            "integrations": PLAN_2022["integrations"][i],
            "elb_jdw": PLAN_2022["elb"][i],
            "lzb_jdw": PLAN_2022["lzb"][i],
        }
        out[sex] = {k: v for k, v in row.items() if v is not None}
    return out


def lzb_jdw(series: pa.Table | None, year: int) -> dict[tuple[str, str], float]:
    """{(job center, sex): LZB annual average (S6) of ``year``} from the engine's monthly series;
    a job center and sex without twelve usable months (``lzb_ok``) is left out."""
    if series is None:
        return {}
    sums: dict[tuple[str, str], list[float]] = {}
    for r in series.to_pylist():
        if str(r["month"]).startswith(f"{year}-") and r["lzb_ok"] == 1:
            sums.setdefault((r["jobcenter_id"], r["sex"]), []).append(float(r["lzb"]))
    return {k: sum(v) / 12 for k, v in sums.items() if len(v) == 12}


def summary(figures: pa.Table, jobcenters: list[str] | None = None, series: pa.Table | None = None) -> Table:
    """K1-K3 of the last month by sex beside the 2022 plan, for ``jobcenters`` (default: all); with
    the engine's ``series``, also the LZB annual average (S6) of the last month's year against the
    planned LZB JDW."""
    rows = [r for r in figures.to_pylist() if jobcenters is None or r["jobcenter_id"] in jobcenters]
    last = max(r["month"] for r in rows)
    by = {(r["jobcenter_id"], r["figure"], r["sex"]): r for r in rows if r["month"] == last}
    jcs = sorted({r["jobcenter_id"] for r in rows})
    table = Table(
        title=f"Kennzahlen nach § 48a SGB II — Bezugsmonat {fmt.month(last)}, Ist und Plan 2022",
        caption="K1 (Leistungen zum Lebensunterhalt), K3 (Langzeitleistungsbeziehende): Veränderung "
        "gegenüber dem Vorjahresmonat in %. K2: Integrationen der letzten 12 Monate je ELB im "
        "Jahresdurchschnitt (JDW) in %. Plan: AMIP 2022 Jobcenter Elbe-Elster.",
    )
    for col in ("Kennzahl", "Ist", "Frauen", "Männer", "Plan", "Frauen ", "Männer "):
        table.add_column(col, justify="left" if col == "Kennzahl" else "right")

    def cells(jc, fig, part, decimals):
        return [fmt.number(by[(jc, fig, s)][part], decimals) if (jc, fig, s) in by else "·" for s in SEXES]

    def plan(key, decimals):
        return [fmt.number(v, decimals) if v is not None else "·" for v in PLAN_2022[key]]

    jdw = lzb_jdw(series, int(last[:4]))

    for jc in jcs:
        prefix = f"{jc}: " if len(jcs) > 1 else ""
        table.add_row(f"{prefix}K1 Lebensunterhalt", *cells(jc, "K1", "value", 1), "·", "·", "·")
        table.add_row(f"{prefix}K2 Integrationsquote", *cells(jc, "K2", "value", 1), *plan("K2", 1))
        table.add_row("  Integrationen", *cells(jc, "K2", "numerator", 0), *plan("integrations", 0))
        table.add_row("  ELB (JDW)", *cells(jc, "K2", "denominator", 0), *plan("elb", 0))
        table.add_row(f"{prefix}K3 LZB", *cells(jc, "K3", "value", 1), *plan("K3", 1))
        table.add_row("  LZB-Bestand im Monat", *cells(jc, "K3", "numerator", 0), "·", "·", "·")
        table.add_row(
            f"  LZB (JDW {last[:4]})",
            *[fmt.number(jdw.get((jc, s)), 0) if (jc, s) in jdw else "·" for s in SEXES],
            *plan("lzb", 0),
        )
    return table


# ---- the demo's cockpit users ----------------------------------------------------------------------


def demo_scope(db_path) -> tuple[str | None, str | None]:
    """(team, caseworker) of the demo's team lead and IFK: the largest team of the caseload at the
    data's last month and the largest caseload in it; (None, None) without a caseload table."""
    con = duck.connect(str(db_path), read_only=True)
    try:
        names = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if "caseload" not in names:
            return None, None
        last = con.execute("SELECT last_month FROM dataset").fetchall()[0][0]
        st = f"last_day(CAST('{last}-01' AS DATE))"
        open_rows = f"FROM caseload WHERE start_date <= {st} AND (end_date IS NULL OR end_date >= {st})"
        team = con.execute(
            f"SELECT team_id {open_rows} GROUP BY team_id ORDER BY count(*) DESC, team_id LIMIT 1"
        ).fetchone()
        team = team[0] if team else None
        cw = con.execute(
            f"SELECT caseworker_id {open_rows} AND team_id = ? GROUP BY caseworker_id "
            "ORDER BY count(*) DESC, caseworker_id LIMIT 1",
            [team],
        ).fetchone()
        return team, (cw[0] if cw else None)
    finally:
        con.close()


def demo_users(db_path, sessions) -> list[tuple[str, str, str, str]]:
    """(Re)create one demo user per role with a fresh random password; returns
    (name, role, scope, password). The team lead gets the largest team of the data's caseload at
    its last month and the integration specialist the largest caseload in that team."""
    import secrets

    from amip.state import audit
    from amip.state.users import add_user, get_user, remove_user

    team, caseworker = demo_scope(db_path)
    wanted = [
        ("gf", "geschaeftsfuehrung", None, None),
        ("controlling", "controlling", None, None),
        ("teamleitung", "teamleitung", team, None),
        ("ifk", "ifk", None, caseworker),
        ("admin", "admin", None, None),
    ]
    out = []
    with sessions.begin() as db:
        for name, role, team_id, cw_id in wanted:
            if role == "teamleitung" and team_id is None or role == "ifk" and cw_id is None:
                continue  # no caseload in the data: no team or caseload to give them
            if get_user(db, name) is not None:
                remove_user(db, name)
            password = secrets.token_urlsafe(12)
            add_user(db, name, role, password, team_id=team_id, caseworker_id=cw_id)
            audit.record(db, user_name="demo", role="admin", action="user_added", detail=f"{name} ({role})")
            scope = f"Team {team_id}" if team_id else (f"Fallbestand {cw_id}" if cw_id else "")
            out.append((name, role, scope, password))
    return out


# ---- the rest of the yearly cycle on the demo data ------------------------------------------------


def enter_plan(sessions, jobcenter: str) -> bool:
    """Enter the programme's 2022 plan as the agreed plan of ``jobcenter`` unless one is agreed
    already; True when it was entered now."""
    from amip.planning import plans

    with sessions.begin() as db:
        if plans.current(db, PROGRAMME_YEAR, jobcenter, None, status="agreed") is not None:
            return False
        plan = plans.save_plan(
            db,
            PROGRAMME_YEAR,
            jobcenter,
            None,
            plan_values(),
            DEMO_USER,
            "controlling",
            note="Zielvereinbarung AMIP 2022 (Programmdokument)",
        )
        plans.agree(db, plan.id, DEMO_USER, "geschaeftsfuehrung")
    return True


def seed_cohort(store, sessions, team: str) -> int:
    """Unless intensive care has places already: the demo team's cohort of June 2022 (each IFK takes
    five candidates, one meeting a month, texts marked "Demo"), so the team and controlling views
    show a finished cohort against its matched comparison. Returns the places created."""
    from amip.worklists import intensive as ic
    from amip.worklists.demo import seed_demo_cohort

    with sessions.begin() as db:
        if ic.all_person_ids(db):
            return 0
    return seed_demo_cohort(store, sessions, team=team, month="2022-06", per_ifk=5)


def prepare_cycle(db_path, workdir, progress) -> dict[str, Any]:
    """After the import: cockpit figures and forecasts, the agreed 2022 plan, a finished
    intensive-care cohort of the demo team, the data-quality run, and the programme 2022 (PDF) and monthly report 12/2022 (PDF) in ``workdir``.
    Returns what was done (for the demo's printout)."""
    import amip.forecast  # noqa: F401 (registers the forecast tables as a figure-cache extension)
    from amip.dqm.run import run_all
    from amip.figures import states
    from amip.figures.store import FigureStore
    from amip.reports import monthly as mon
    from amip.reports import programme as prog
    from amip.reports import render, texts
    from amip.state.db import open_state

    done: dict[str, Any] = {}
    store = FigureStore.open(db_path, progress=progress)
    sessions = open_state(warehouse=db_path)
    try:
        jobcenter = store.jobcenters[0]
        found = store.deliveries()
        done["deliveries"] = len(found)
        done["first_as_of"] = fmt.date_de(found[0]["as_of"]) if found else "–"
        done["last_as_of"] = fmt.date_de(found[-1]["as_of"]) if found else "–"
        done["provisional"] = ", ".join(
            f"{m[5:]}/{m[:4]}"
            for m in store.months
            if (s := states.of_month(store, jobcenter, m)) is not None and s.provisional
        )
        progress("entering the 2022 plan")
        done["plan"] = enter_plan(sessions, jobcenter)
        team, _ = demo_scope(db_path)
        if team is not None:
            progress("intensive care: a finished demo cohort")
            done["cohort"] = seed_cohort(store, sessions, team)
        progress("data-quality checks")
        done["dqm"] = run_all(db_path, sessions, send_mail=False)
        progress("writing the programme 2022")
        with sessions.begin() as db:
            p = prog.collect(db_path, PROGRAMME_YEAR, jobcenter, store=store, db=db, progress=progress)
            pdf = render.programme_bytes(p, texts.texts_for(db, PROGRAMME_YEAR, p.jobcenter), ".pdf")
        done["programme"] = workdir / f"amip-{PROGRAMME_YEAR}.pdf"
        render.write_atomic(done["programme"], pdf)
        progress("writing the monthly report")
        with sessions.begin() as db:
            m = mon.collect(db_path, REPORT_MONTH, jobcenter, store=store, db=db, progress=progress)
            pdf = render.monthly_bytes(m, ".pdf")
        done["monthly"] = workdir / f"monatsbericht-{REPORT_MONTH}.pdf"
        render.write_atomic(done["monthly"], pdf)
    finally:
        store.close()
        sessions.kw["bind"].dispose()
    return done
