"""The own customers in numbers: a caseload's (or a team's) persons at the data's latest Stichtag.

For the start pages "Meine Arbeit" (IFK, scope = own caseload) and "Mein Team" (team lead, scope =
own team), in Bezugsmonat M (the data's latest month) of job center ``jc``:

- ``caseload``: persons assigned to the scope at ST(M) (their latest caseload row starting on or
  before ST(M) and not ended before it), whether in receipt or not;
- ``elb``: of them the ELB counted in the stock at ST(M) (series column ``stock``);
- ``lzb``: the LZB among them at ST(M) (``lzb``);
- ``integrations``: integrations in January … M of M's year (``int``, each month's persons with
  their attributes at ST(m − 1) as the figures take them), summed over the months.

The counts come from the figure cache's members (the persons behind every count) restricted to the
scope in SQL (``FigureStore.persons``), so they agree with the drill-down of K1–K3 and the person
lists. They are the viewer's own persons, shown without small-number suppression.
"""

from __future__ import annotations

from amip.figures.store import FigureStore, Scope
from amip.kennzahlen.calendar import month_str, parse_month, stichtag

FIGURE_LABELS = {
    "caseload": "Personen im Fallbestand (Zuordnung am Stichtag)",
    "elb": "davon erwerbsfähige Leistungsberechtigte (ELB)",
    "lzb": "davon Langzeitleistungsbeziehende (LZB)",
    "integrations": "Integrationen seit Januar",
}


def caseload_count(store: FigureStore, scope: Scope, month: str) -> int | None:
    """Persons assigned to ``scope`` (team or caseload) at ST(``month``); None without a caseload table."""
    if "caseload" not in store.warehouse_tables or scope.kind not in ("team", "caseload"):
        return None
    column = "team_id" if scope.kind == "team" else "caseworker_id"
    sql = f"""
        SELECT count(*) FROM (
            SELECT person_id, arg_max({column}, start_date) AS unit FROM caseload
            WHERE start_date <= $st AND (end_date IS NULL OR end_date >= $st) GROUP BY person_id
        ) WHERE unit = $unit
    """
    con = store.connect()
    try:
        row = con.execute(sql, {"st": stichtag(parse_month(month)), "unit": scope.value}).fetchone()
    finally:
        con.close()
    return int(row[0]) if row else 0


def own_figures(store: FigureStore, jc: str, scope: Scope, month: str | None = None) -> dict:
    """{"month", "year", "caseload", "elb", "lzb", "integrations"} for ``scope`` in ``jc`` (see
    the module text); ``month`` defaults to the data's latest month."""
    month = month or store.latest
    if month is None:
        return {"month": None, "year": None, "caseload": None, "elb": None, "lzb": None, "integrations": None}
    m = parse_month(month)
    year_months = [month_str(k) for k in range(m - int(month[5:7]) + 1, m + 1)]
    known = set(store.series["month"])
    return {
        "month": month,
        "year": int(month[:4]),
        "caseload": caseload_count(store, scope, month),
        "elb": len(store.persons(jc, "stock", month, scope)),
        "lzb": len(store.persons(jc, "lzb", month, scope)),
        "integrations": sum(int(store.persons(jc, "int", k, scope)["times"].sum()) for k in year_months if k in known),
    }
