"""The warehouse: an embedded DuckDB file holding the validated deliveries of a job center's data.

Each import adds one delivery (the data set as known on its ``dataset.as_of``; see
:mod:`amip.warehouse.deliveries` for how the history is kept) or replaces the delivery with the same
``as_of``; a directory of ``delivery-YYYY-MM-DD/`` folders adds them all, in date order. The main
schema shows the latest delivery under the contract's table names, so readers see one data set.

``import_dataset`` is all-or-nothing: the new warehouse is built in a temporary file beside the
target (a copy of it) and moved over it only after every rule of the contract holds for every
delivery of the import, so a rejected data set (or a crash half-way) leaves the previous warehouse
exactly as it was. Importing the same delivery twice gives the same tables.

One import at a time per warehouse: ``replacing`` holds an exclusive lock on ``<name>.lock``
beside the target (``fcntl.flock``, released by the kernel when the process ends, also on kill -9);
a second import is refused at once with the holder's pid and start time (or waits ``wait`` seconds
for it). Holding the lock, it first removes what a killed run left (``.<name>.XXXXXXXX.new`` and
its ``.wal`` / ``.tmp``), which no running import can still be using.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import fcntl
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path

import duckdb

from amip import duck
from amip.contract.schema import TABLES, instruments
from amip.warehouse import deliveries as history
from amip.warehouse.validate import (
    DataSetRejected,
    Loaded,
    Violation,
    check_loaded,
    discover,
    load,
    opened,
    text_rows,
)

FORMAT_VERSION = history.FORMAT_VERSION
DEFAULT_DB = "amip.duckdb"

Progress = Callable[[str], None]


class ImportLocked(RuntimeError):
    """Another process is importing into (or rebuilding) the same file; nothing was changed."""


def lock_path(target: Path) -> Path:
    target = Path(target)
    return target.with_name(f"{target.name}.lock")


@contextmanager
def exclusive(target: Path, wait: float = 0.0) -> Iterator[None]:
    """Hold the lock of ``target`` for the block; :class:`ImportLocked` when another process holds
    it longer than ``wait`` seconds. The lock file stays (removing it would race with a waiter)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path(target), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + max(wait, 0.0)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "unknown process"
                    raise ImportLocked(
                        f"another import into {target} is running ({holder}); nothing was changed. "
                        "Try again when it has finished (or give --wait SECONDS)"
                    ) from None
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        os.pwrite(fd, f"pid {os.getpid()}, since {started}\n".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def remove_leftovers(target: Path) -> list[Path]:
    """Delete the temporary files of killed runs that replaced ``target`` (call holding its lock):
    ``.<name>.XXXXXXXX.new`` (mkstemp's 8 characters), its DuckDB ``.wal`` and ``.tmp`` spill
    directory. Returns what was removed."""
    target = Path(target)
    pattern = re.compile(re.escape(f".{target.name}.") + r"[a-z0-9_]{8}\.new(\.wal|\.tmp)?")
    removed: list[Path] = []
    try:
        entries = list(os.scandir(target.parent))
    except FileNotFoundError:
        return removed
    for entry in entries:
        if not pattern.fullmatch(entry.name):
            continue
        path = Path(entry.path)
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def default_db() -> Path:
    return Path(os.environ.get("AMIP_DB") or DEFAULT_DB)


def stage(
    con: duckdb.DuckDBPyConnection, src: Path, progress: Progress | None = None, hashed: bool = False
) -> tuple[dict[str, str], dict[str, int]]:
    """Validate the data set in ``src`` into typed temporary tables of ``con`` (``_staged_<table>``,
    in file order; with the history's row hash ``_hash`` when ``hashed``).

    Each file is read as few times as the rules allow (``validate.load``/``check_loaded``): a CSV
    file once into text, a Parquet file where it lies; one scan counts every value rule's
    offenders, a clean table is written once typed and its row rules run on that. Raises
    :class:`DataSetRejected` (with every violation found) and leaves no table behind when a rule is
    broken. Returns the typed table of each contract table given and its row count.
    """
    say = progress or (lambda _msg: None)
    con.execute("SET preserve_insertion_order = true")
    # Bound DuckDB's memory; larger intermediate data spills to disk (a 1 GB CSV is never held in
    # memory as a whole, let alone as Python objects).
    con.execute(f"SET memory_limit = '{os.environ.get('AMIP_IMPORT_MEMORY', '2GB')}'")
    quiet(con)
    sources, violations = discover(Path(src))
    total = len(violations)
    staged: dict[str, str] = {}
    loaded: list[Loaded] = []
    try:
        with ExitStack() as files:  # each file stays open (the one checked is the one read) until written
            for source in sources:
                say(f"reading {source.path.name}")
                path, refused = files.enter_context(opened(source))
                if refused is not None:
                    violations.append(refused)
                    total += 1
                    continue
                assert path is not None  # opened() yields a path exactly when it refuses nothing
                item, problems = load(con, source, path)
                violations += problems
                total += len(problems)
                if item is not None:
                    loaded.append(item)
            persons: str | None = None
            for item in loaded:
                say(f"checking {item.source.path.name}")
                target = staged_name(item.table.name)
                found, n, written = check_loaded(con, item, target, persons, hashed)
                violations += found
                total += n
                if written:
                    staged[item.table.name] = target
                if item.table.name == "persons":
                    persons = target if written else text_rows(con, item)
                if written and item.raw is not None:
                    con.execute(f"DROP TABLE IF EXISTS {item.raw}")
                    item.raw = None
        if total:
            raise DataSetRejected(violations, total)
    except BaseException:
        for name in staged.values():
            con.execute(f"DROP TABLE IF EXISTS {name}")
        raise
    finally:
        for item in loaded:
            if item.raw is not None:
                con.execute(f"DROP TABLE IF EXISTS {item.raw}")
    counts = {name: con.execute(f"SELECT count(*) FROM {tmp}").fetchall()[0][0] for name, tmp in staged.items()}
    return staged, counts


def staged_name(table: str) -> str:
    """The temporary table a validated contract table is staged in."""
    return f"_staged_{table}"


def validate_into(
    con: duckdb.DuckDBPyConnection, src: Path, schema: str = "main", progress: Progress | None = None
) -> dict[str, int]:
    """Validate the data set in ``src`` and create its typed contract tables in ``schema`` of ``con``.

    Raises :class:`DataSetRejected` (with every violation found) before any table of ``schema`` is
    made. Returns the row count per table.
    """
    say = progress or (lambda _msg: None)
    staged, counts = stage(con, src, progress)
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    for table in TABLES:
        if table.name not in staged:
            continue
        say(f"storing {table.name}")
        cols = ", ".join(f'"{c.name}"' for c in table.columns)
        con.execute(f"CREATE OR REPLACE TABLE {schema}.{table.name} AS SELECT {cols} FROM {staged[table.name]}")
        con.execute(f"DROP TABLE {staged[table.name]}")
    return counts


def write_instruments(con: duckdb.DuckDBPyConnection) -> None:
    """The instrument catalogue of this amip version (package data) as table ``instruments``."""
    con.register("_instruments", instruments())
    con.execute("CREATE OR REPLACE TABLE main.instruments AS SELECT * FROM _instruments")
    con.unregister("_instruments")


def load_into(con: duckdb.DuckDBPyConnection, src: Path, progress: Progress | None = None) -> dict[str, int]:
    """Validate the data set in ``src`` into plain typed tables of ``con`` (one data set, no history:
    the in-memory copy behind ``--data``). Returns the row count per table."""
    counts = validate_into(con, src, "main", progress)
    write_instruments(con)
    con.execute("CREATE OR REPLACE TABLE amip_meta (key VARCHAR, value VARCHAR)")
    con.executemany(
        "INSERT INTO amip_meta VALUES (?, ?)",
        [("format_version", "1"), ("tables", ",".join(sorted(counts)))],
    )
    return counts


DELIVERY_DIR = re.compile(r"delivery-(\d{4}-\d{2}-\d{2})")


def delivery_dirs(src: Path) -> list[Path]:
    """The ``delivery-YYYY-MM-DD`` folders of ``src`` in date order, or ``[src]`` when ``src`` is a
    data set itself (it has a dataset file)."""
    src = Path(src)
    if any((src / f"dataset{ext}").exists() for ext in (".csv", ".parquet")):
        return [src]
    found = (
        sorted((m.group(1), p) for p in src.iterdir() if p.is_dir() and (m := DELIVERY_DIR.fullmatch(p.name)))
        if src.is_dir()
        else []
    )
    return [p for _, p in found] or [src]


@contextmanager
def replacing(
    target: Path, wait: float = 0.0, lock: bool = True, keep: bool = False
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to a new DuckDB file that replaces ``target`` atomically when the block ends
    without error (after a checkpoint); on error ``target`` is left exactly as it was. ``keep``: the
    new file starts as a copy of ``target`` (when it exists). Holds the lock of ``target`` (see
    :func:`exclusive`; ``lock=False`` when the caller holds it) and first removes the leftovers of
    killed runs."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if lock:
        with exclusive(target, wait), replacing(target, lock=False, keep=keep) as con:
            yield con
        return
    remove_leftovers(target)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".new", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # DuckDB creates the file itself
    try:
        if keep and target.exists():
            shutil.copyfile(target, tmp)
        con = duck.connect(str(tmp))
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
        shutil.rmtree(str(tmp) + ".tmp", ignore_errors=True)


def import_dataset(
    src: Path, db: Path, progress: Progress | None = None, wait: float = 0.0, replace: bool = False
) -> dict[str, int]:
    """Validate ``src`` (one data set, or a folder of ``delivery-*`` data sets) and add it to the
    warehouse ``db`` as a delivery, atomically (one import at a time per warehouse:
    :class:`ImportLocked` when another runs longer than ``wait`` seconds). ``replace``: drop the
    warehouse's earlier deliveries (a new history). Returns the row counts of the last delivery."""
    added = import_deliveries(delivery_dirs(src), db, progress, wait, replace)
    return added[-1][0].rows


def import_deliveries(
    sources: list[Path], db: Path, progress: Progress | None = None, wait: float = 0.0, replace: bool = False
) -> list[tuple[history.Delivery, bool]]:
    """Add the data sets ``sources`` (each one delivery) to the warehouse ``db`` in one all-or-nothing
    step. Returns each delivery and whether it replaced one with the same ``as_of``."""
    say = progress or (lambda _msg: None)
    added = []
    history.check_name(Path(db))
    if not replace and Path(db).exists():
        _check_warehouse(Path(db))
    with replacing(db, wait=wait, keep=not replace) as con:
        quiet(con)
        history.ensure_history(con)
        for i, src in enumerate(sources):
            prefix = f"{Path(src).name} ({i + 1}/{len(sources)}): " if len(sources) > 1 else ""
            try:
                staged, _rows = stage(con, src, _prefixed(say, prefix), hashed=True)
            except DataSetRejected as exc:
                if len(sources) > 1:  # name the delivery's folder in every message
                    folder = Path(src).name
                    exc.violations = [dataclasses.replace(v, file=f"{folder}/{v.file}") for v in exc.violations]
                raise
            say(f"{prefix}storing the delivery")
            try:
                added.append(history.add_delivery(con, staged, source=Path(src).name))
            finally:
                for name in staged.values():
                    con.execute(f"DROP TABLE IF EXISTS {name}")
        write_instruments(con)
    return added


def _prefixed(say: Progress, prefix: str) -> Progress:
    return lambda msg: say(prefix + msg)


def _check_warehouse(db: Path) -> None:
    """ValueError when ``db`` is not a DuckDB file (an import adds to it, so it must be one)."""
    try:
        duck.connect(str(db), read_only=True).close()
    except duckdb.Error as exc:
        raise ValueError(
            f"{db} is not an amip warehouse ({exc}). Give --replace to overwrite it with a new warehouse"
        ) from None


def drop_delivery(db: Path, as_of: dt.date, wait: float = 0.0) -> bool:
    """Remove the delivery ``as_of`` from the warehouse ``db`` atomically; False (nothing changed)
    if there is none. Dropping the last delivery leaves an empty warehouse."""
    with replacing(db, wait=wait, keep=True) as con:
        quiet(con)
        history.ensure_history(con)
        return history.drop_delivery(con, as_of)


def list_deliveries(db: Path) -> list[history.Delivery]:
    """The deliveries of the warehouse ``db``, oldest first."""
    con = open_warehouse(db)
    try:
        return history.deliveries(con)
    finally:
        con.close()


def open_warehouse(db: Path, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    db = Path(db)
    if not db.exists():
        raise FileNotFoundError(f"warehouse not found: {db} (create it with 'amip import DIR --db {db}')")
    con = duck.connect(str(db), read_only=read_only)
    quiet(con)
    return con


def quiet(con: duckdb.DuckDBPyConnection) -> None:
    """No DuckDB progress bar on the terminal (the CLI shows its own)."""
    # a second connection to an open database file may not change it
    with suppress(duckdb.Error):
        con.execute("SET enable_progress_bar = false")


def table_names(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The tables a reader of the warehouse on ``con`` sees: the main schema (the latest delivery's
    views, ``instruments``, ``amip_meta``), not the history."""
    return {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_catalog = current_database() AND table_schema = 'main'"
        ).fetchall()
    }


__all__ = [
    "DataSetRejected",
    "ImportLocked",
    "Violation",
    "delivery_dirs",
    "drop_delivery",
    "import_dataset",
    "import_deliveries",
    "list_deliveries",
    "load_into",
    "validate_into",
    "open_warehouse",
    "default_db",
]
