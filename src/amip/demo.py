"""The controller's summary of a key-figure table: K1, K2, K3 for the last month, by sex."""

from __future__ import annotations

import pyarrow as pa
from rich.table import Table

from amip import format as fmt

SUMMARY_FIGURES = (
    ("K1", "LLU", 0),
    ("K2", "Quote", 1),
    ("K3", "LZB", 0),
)


def summary(figures: pa.Table) -> Table:
    rows = figures.to_pylist()
    last = max(r["month"] for r in rows)
    jcs = sorted({r["jobcenter_id"] for r in rows})
    by = {(r["jobcenter_id"], r["figure"], r["sex"]): r for r in rows if r["month"] == last}
    table = Table(
        title=f"Kennzahlen nach § 48a SGB II — Bezugsmonat {last} (in %)",
        caption="K1: Leistungen zum Lebensunterhalt, K3: Langzeitleistungsbeziehende (LZB), je Veränderung "
                "gegenüber dem Vorjahresmonat; K2: Integrationen der letzten 12 Monate je ELB im Jahresdurchschnitt.",
    )
    for col in ("Jobcenter", "Kennzahl", "insg.", "Frauen", "Männer", "Zähler (insg.)", "Nenner (insg.)"):
        table.add_column(col, justify="left" if col in ("Jobcenter", "Kennzahl") else "right")
    for jc in jcs:
        for fig, title, den_decimals in SUMMARY_FIGURES:
            cells = [fmt.percent(by[(jc, fig, s)]["value"]) if (jc, fig, s) in by else "·"
                     for s in ("all", "w", "m")]
            r = by.get((jc, fig, "all"), {})
            table.add_row(jc, f"{fig} {title}", *cells, fmt.number(r.get("numerator")),
                          fmt.number(r.get("denominator"), den_decimals))
    return table
