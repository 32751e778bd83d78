"""The warehouse: an embedded DuckDB file holding one validated data set in typed tables.

``import_dataset`` is all-or-nothing: the new warehouse is built in a temporary file beside the
target and moved over it only after every rule of the contract holds, so a rejected data set (or a
crash half-way) leaves the previous warehouse exactly as it was. Importing a data set replaces the
previous one; importing the same data set twice gives the same tables.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb

from amip.contract.schema import TABLES, instruments
from amip.warehouse.validate import (
    DataSetRejected,
    Violation,
    check_table,
    discover,
    load_raw,
    raw_name,
    typed_select,
)

FORMAT_VERSION = "1"
DEFAULT_DB = "amip.duckdb"

Progress = Callable[[str], None]


def default_db() -> Path:
    return Path(os.environ.get("AMIP_DB") or DEFAULT_DB)


def load_into(con: duckdb.DuckDBPyConnection, src: Path, progress: Progress | None = None) -> dict[str, int]:
    """Validate the data set in ``src`` and create its typed tables in ``con``.

    Raises :class:`DataSetRejected` (with every violation found) before any typed table is made.
    Returns the row count per table.
    """
    say = progress or (lambda _msg: None)
    con.execute("SET preserve_insertion_order = true")
    # Bound DuckDB's memory; larger intermediate data spills to disk (a 1 GB CSV is never held in
    # memory as a whole, let alone as Python objects).
    con.execute(f"SET memory_limit = '{os.environ.get('AMIP_IMPORT_MEMORY', '2GB')}'")
    quiet(con)
    sources, violations = discover(Path(src))
    total = len(violations)
    loaded = []
    for source in sources:
        say(f"reading {source.path.name}")
        problems = load_raw(con, source)
        violations += problems
        total += len(problems)
        if not problems:
            loaded.append(source)
    names = {s.table.name for s in loaded}
    person_table = raw_name(next(t for t in TABLES if t.name == "persons")) if "persons" in names else None
    for source in loaded:
        say(f"checking {source.path.name}")
        found, n = check_table(con, source, person_table)
        violations += found
        total += n
    if total:
        raise DataSetRejected(violations, total)

    counts: dict[str, int] = {}
    for source in loaded:
        say(f"storing {source.table.name}")
        con.execute(f"CREATE OR REPLACE TABLE {source.table.name} AS {typed_select(source.table, raw_name(source.table))}")
        con.execute(f"DROP TABLE {raw_name(source.table)}")
        counts[source.table.name] = con.execute(f"SELECT count(*) FROM {source.table.name}").fetchone()[0]
    con.register("_instruments", instruments())
    con.execute("CREATE OR REPLACE TABLE instruments AS SELECT * FROM _instruments")
    con.unregister("_instruments")
    con.execute("CREATE OR REPLACE TABLE amip_meta (key VARCHAR, value VARCHAR)")
    con.executemany(
        "INSERT INTO amip_meta VALUES (?, ?)",
        [("format_version", FORMAT_VERSION), ("tables", ",".join(sorted(counts)))],
    )
    return counts


@contextmanager
def replacing(target: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to a new DuckDB file that replaces ``target`` atomically when the block ends
    without error (after a checkpoint); on error ``target`` is left exactly as it was."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".new", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # DuckDB creates the file itself
    try:
        con = duckdb.connect(str(tmp))
        try:
            yield con
            con.execute("CHECKPOINT")
        finally:
            con.close()
        wal = Path(str(target) + ".wal")
        if wal.exists():
            wal.unlink()
        os.replace(tmp, target)
    finally:
        for leftover in (tmp, Path(str(tmp) + ".wal")):
            if leftover.exists():
                leftover.unlink()


def import_dataset(src: Path, db: Path, progress: Progress | None = None) -> dict[str, int]:
    """Validate ``src`` and replace the warehouse ``db`` with it atomically."""
    with replacing(db) as con:
        return load_into(con, src, progress)


def open_warehouse(db: Path, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    db = Path(db)
    if not db.exists():
        raise FileNotFoundError(f"warehouse not found: {db} (create it with 'amip import DIR --db {db}')")
    con = duckdb.connect(str(db), read_only=read_only)
    quiet(con)
    return con


def quiet(con: duckdb.DuckDBPyConnection) -> None:
    """No DuckDB progress bar on the terminal (the CLI shows its own)."""
    # a second connection to an open database file may not change it
    with suppress(duckdb.Error):
        con.execute("SET enable_progress_bar = false")


def table_names(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}


__all__ = ["DataSetRejected", "Violation", "import_dataset", "load_into", "open_warehouse", "default_db"]
