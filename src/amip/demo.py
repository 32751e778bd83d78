"""The controller's summary of a key-figure table: K1, K2, K3 for the last month, by sex."""

from __future__ import annotations

import pyarrow as pa
from rich.table import Table

from amip import format as fmt

SUMMARY_FIGURES = (
    ("K1", "Veränderung Leistungen zum Lebensunterhalt (%)"),
    ("K2", "Integrationsquote (%)"),
    ("K3", "Veränderung Bestand Langzeitleistungsbeziehende (%)"),
)


def summary(figures: pa.Table) -> Table:
    rows = figures.to_pylist()
    last = max(r["month"] for r in rows)
    jcs = sorted({r["jobcenter_id"] for r in rows})
    by = {(r["jobcenter_id"], r["figure"], r["sex"]): r for r in rows if r["month"] == last}
    table = Table(title=f"Kennzahlen nach § 48a SGB II — Bezugsmonat {last}")
    for col in ("Jobcenter", "Kennzahl", "Insgesamt", "Frauen", "Männer", "Zähler / Nenner (insg.)"):
        table.add_column(col, justify="left" if col in ("Jobcenter", "Kennzahl") else "right")
    for jc in jcs:
        for fig, title in SUMMARY_FIGURES:
            cells = [fmt.percent(by.get((jc, fig, s), {}).get("value")) if (jc, fig, s) in by else "·"
                     for s in ("all", "w", "m")]
            r = by.get((jc, fig, "all"), {})
            decimals = 0 if fig != "K2" else 1
            ratio = f"{fmt.number(r.get('numerator'), decimals)} / {fmt.number(r.get('denominator'), decimals)}"
            table.add_row(jc, f"{fig} {title}", *cells, ratio)
    return table
