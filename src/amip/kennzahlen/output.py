"""Writing the key-figure table in the contract's output formats (CSV, Parquet, JSON lines)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from amip import duck
from amip.kennzahlen.engine import RULES_VERSION
from amip.warehouse.store import quiet

FORMATS = {".csv": "FORMAT csv, HEADER", ".parquet": "FORMAT parquet", ".jsonl": "FORMAT json"}
# Parquet carries the rules version of kennzahlen.md as key-value metadata (CSV and JSON lines have
# no place for it outside the contract's columns).
RULES_VERSION_KEY = "amip_rules_version"


def write_figures(table: pa.Table, out: Path) -> None:
    out = Path(out)
    options = FORMATS.get(out.suffix.lower())
    if options is None:
        raise ValueError(f"unknown output format {out.suffix!r} for {out} (use {', '.join(FORMATS)})")
    if out.suffix.lower() == ".parquet":
        options += f", KV_METADATA {{{RULES_VERSION_KEY}: '{RULES_VERSION}'}}"
    out.parent.mkdir(parents=True, exist_ok=True)
    con = duck.connect()
    quiet(con)
    try:
        con.register("figures", table)
        tmp = out.with_name(out.name + ".part")
        con.execute(f"COPY (SELECT * FROM figures) TO '{tmp}' ({options})")
        tmp.replace(out)
    finally:
        con.close()
