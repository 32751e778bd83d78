"""The controller's summary of the demo: K1, K2, K3 for the last month by sex, beside the plan.

The plan values are those of the Arbeitsmarkt- und Integrationsprogramm 2022 of Jobcenter
Elbe-Elster (shared/spec/seed-facts.md, "Targets"); the demo's data is the synthetic Elbe-Elster
calibrated to that job center, so actual and plan are comparable. (Plans become data of their own
with the planning issue.)
"""

from __future__ import annotations

import pyarrow as pa
from rich.table import Table

from amip import format as fmt

DEMO_FROM, DEMO_TO = "2021-01", "2022-12"

# Plan 2022 (insgesamt, Frauen, Männer); None = not planned.
PLAN_2022 = {
    "K2": (940 / 4230 * 100, 399 / 1985 * 100, 541 / 2245 * 100),  # Integrationsquote
    "integrations": (940, 399, 541),
    "elb": (4230, 1985, 2245),  # ELB Jahresdurchschnitt
    "lzb": (3031, None, None),  # LZB-Bestand Dezember
    "K3": ((3031 / 3256 - 1) * 100, None, None),  # against the actual 3 256 of 12/2021
}
SEXES = ("all", "w", "m")


def summary(figures: pa.Table) -> Table:
    rows = figures.to_pylist()
    last = max(r["month"] for r in rows)
    by = {(r["jobcenter_id"], r["figure"], r["sex"]): r for r in rows if r["month"] == last}
    jcs = sorted({r["jobcenter_id"] for r in rows})
    table = Table(
        title=f"Kennzahlen nach § 48a SGB II — Bezugsmonat {last}, Ist und Plan 2022",
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

    for jc in jcs:
        prefix = f"{jc}: " if len(jcs) > 1 else ""
        table.add_row(f"{prefix}K1 Lebensunterhalt", *cells(jc, "K1", "value", 1), "·", "·", "·")
        table.add_row(f"{prefix}K2 Integrationsquote", *cells(jc, "K2", "value", 1), *plan("K2", 1))
        table.add_row("  Integrationen", *cells(jc, "K2", "numerator", 0), *plan("integrations", 0))
        table.add_row("  ELB (JDW)", *cells(jc, "K2", "denominator", 0), *plan("elb", 0))
        table.add_row(f"{prefix}K3 LZB", *cells(jc, "K3", "value", 1), *plan("K3", 1))
        table.add_row("  LZB-Bestand", *cells(jc, "K3", "numerator", 0), *plan("lzb", 0))
    return table


# ---- the demo's cockpit users ----------------------------------------------------------------------

def demo_users(db_path, sessions) -> list[tuple[str, str, str, str]]:
    """(Re)create one demo user per role with a fresh random password; returns
    (name, role, scope, password). The team lead gets the largest team of the data's caseload at
    its last month and the integration specialist the largest caseload in that team."""
    import secrets

    import duckdb

    from amip.state import audit
    from amip.state.users import add_user, get_user, remove_user

    con = duckdb.connect(str(db_path), read_only=True)
    try:
        names = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        team = caseworker = None
        if "caseload" in names:
            last = con.execute("SELECT last_month FROM dataset").fetchone()[0]
            st = f"last_day(CAST('{last}-01' AS DATE))"
            open_rows = f"FROM caseload WHERE start_date <= {st} AND (end_date IS NULL OR end_date >= {st})"
            team = con.execute(f"SELECT team_id {open_rows} GROUP BY team_id ORDER BY count(*) DESC, team_id LIMIT 1").fetchone()
            team = team[0] if team else None
            cw = con.execute(f"SELECT caseworker_id {open_rows} AND team_id = ? GROUP BY caseworker_id "
                             "ORDER BY count(*) DESC, caseworker_id LIMIT 1", [team]).fetchone()
            caseworker = cw[0] if cw else None
    finally:
        con.close()
    wanted = [("gf", "geschaeftsfuehrung", None, None), ("controlling", "controlling", None, None),
              ("teamleitung", "teamleitung", team, None), ("ifk", "ifk", None, caseworker), ("admin", "admin", None, None)]
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
