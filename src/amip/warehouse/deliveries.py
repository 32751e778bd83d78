"""Deliveries (Datenstände): a warehouse keeps every delivery of a job center's data compactly.

A delivery is one complete data set as known on its ``dataset.as_of`` (data contract, "Deliveries
(Datenstände) and the Wartezeit"). Consecutive deliveries share most rows, so each *row version* is
stored once, with the range of deliveries it belongs to, in the style of a slowly changing
dimension (format 2 of the warehouse file):

- ``amip_history.deliveries``: one row per delivery (``as_of``, its months, when and from where it was
  imported, the row count per table);
- ``amip_history.<table>_versions``: the contract columns of ``<table>`` plus ``_hash`` (128-bit content
  hash of the row), ``_n`` (the ordinal of identical rows within one delivery, so duplicates are
  kept), ``_from`` and ``_to``: the row belongs to every delivery with ``_from <= as_of < _to``
  (``_to`` NULL: still in the latest delivery).

Invariant: ``_from`` and ``_to`` are always the ``as_of`` of a delivery in ``amip_history.deliveries``
(or ``_to`` is NULL), so the latest delivery is exactly the rows with ``_to IS NULL``. The main
schema holds one view per contract table on the latest delivery (and ``dataset`` from
``amip_history.deliveries``), so every reader of the warehouse sees the tables as before.
:func:`delivery_connection` gives a connection whose tables are those of any delivery.

Adding delivery X (previous P, next N): a stored row of P that X also has (same hash and ordinal)
stays; one that X lacks is cut to ``[_from, X)`` and, if N has it, continued as ``[N, _to)``; a row
of X that P lacks begins N's version at X, or is added as ``[X, N)`` (``[X, NULL)`` when X is the
latest). Replacing delivery X works the same way with the stored rows of X in place of P's (a row of
X alone that the new X lacks is deleted), so re-importing a delivery changes nothing. Dropping X
moves the bounds equal to X to N and deletes the rows that belonged to X alone.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from amip import duck
from amip.contract.schema import TABLES, Table
from amip.warehouse.validate import row_hash

FORMAT_VERSION = "2"
HISTORY = "amip_history"  # not "history": a file history.duckdb is catalog "history" (ambiguous)

# the contract tables that are stored per delivery (``dataset`` lives in amip_history.deliveries)
VERSIONED: tuple[Table, ...] = tuple(t for t in TABLES if t.name != "dataset")


@dataclass(frozen=True)
class Delivery:
    as_of: dt.date
    first_month: str
    last_month: str
    imported_at: str
    source: str
    rows: dict[str, int]


def versions_table(table: str) -> str:
    return f"{HISTORY}.{table}_versions"


def default_as_of(last_month: str) -> dt.date:
    """The day after ST(last_month): the first day of the following month."""
    year, month = (int(p) for p in last_month.split("-"))
    return dt.date(year + month // 12, month % 12 + 1, 1)


def _row(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> tuple:
    """The one row ``sql`` returns (a query that always returns one row: aggregates, a known key)."""
    row = con.execute(sql, params or []).fetchone()
    assert row is not None, sql
    return row


def _one(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None):
    return _row(con, sql, params)[0]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _columns(table: Table) -> list[str]:
    return [c.name for c in table.columns]


def _col_list(table: Table, prefix: str = "") -> str:
    return ", ".join(prefix + _q(c) for c in _columns(table))


def format_version(con: duckdb.DuckDBPyConnection) -> str | None:
    """The warehouse format on ``con`` ("1": one data set in plain tables; "2": deliveries), or None
    for an empty database."""
    names = {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_catalog = current_database() AND table_schema = 'main'"
        ).fetchall()
    }
    if "amip_meta" not in names:
        return None
    row = con.execute("SELECT value FROM amip_meta WHERE key = 'format_version'").fetchone()
    return row[0] if row else "1"


def check_name(db: Path) -> None:
    """ValueError for a warehouse file whose name DuckDB would take for the history schema: a file
    ``amip_history.duckdb`` is the catalog ``amip_history``, and ``amip_history.x`` ambiguous."""
    if Path(db).stem == HISTORY:
        raise ValueError(
            f"a warehouse may not be named {Path(db).name} (the name of its history schema); choose another"
        )


def ensure_history(con: duckdb.DuckDBPyConnection) -> None:
    """Make the database on ``con`` a format-2 warehouse: create the history schema, and convert a
    format-1 warehouse (one data set in plain tables) into its first delivery."""
    version = format_version(con)
    if version == FORMAT_VERSION:
        return
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {HISTORY}")
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {HISTORY}.deliveries (as_of DATE PRIMARY KEY, first_month VARCHAR, "
        "last_month VARCHAR, imported_at VARCHAR, source VARCHAR, rows VARCHAR)"
    )
    for table in VERSIONED:
        cols = ", ".join(f"{_q(c.name)} {_duck_type(c.type)}" for c in table.columns)
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {versions_table(table.name)} "
            f"({cols}, _hash UHUGEINT, _n BIGINT, _from DATE, _to DATE)"
        )
    if version == "1":  # a data set imported before deliveries: it becomes the first delivery
        first, last = _row(con, "SELECT first_month, last_month FROM main.dataset")
        present = _main_base_tables(con)
        con.execute("CREATE SCHEMA IF NOT EXISTS staging")
        for table in VERSIONED:
            if table.name in present:
                # DuckDB cannot move a table to another schema (ALTER TABLE ... SET SCHEMA)
                con.execute(f"CREATE TABLE staging.{_q(table.name)} AS SELECT * FROM main.{_q(table.name)}")
                con.execute(f"DROP TABLE main.{_q(table.name)}")
        con.execute("CREATE TABLE staging.dataset AS SELECT first_month, last_month FROM main.dataset")
        con.execute("DROP TABLE main.dataset")
        staged = {t.name: f"staging.{_q(t.name)}" for t in VERSIONED if t.name in present}
        _add(con, default_as_of(last), first, last, "format 1 warehouse", staged)
        con.execute("DROP SCHEMA staging CASCADE")
    _set_meta(con)


def _main_base_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database() "
            "AND table_schema = 'main' AND table_type = 'BASE TABLE'"
        ).fetchall()
    }


def _duck_type(type_: str) -> str:
    return {"date": "DATE", "bool": "BOOLEAN", "decimal": "DOUBLE", "int": "BIGINT"}.get(type_, "VARCHAR")


def _set_meta(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE OR REPLACE TABLE main.amip_meta (key VARCHAR, value VARCHAR)")
    con.execute("INSERT INTO main.amip_meta VALUES ('format_version', ?)", [FORMAT_VERSION])


def deliveries(con: duckdb.DuckDBPyConnection, schema: str = "") -> list[Delivery]:
    """The deliveries of the warehouse on ``con``, oldest first (``schema`` e.g. ``"w."`` when the
    warehouse is attached). A format-1 warehouse has one delivery, taken the day after its cut-off."""
    p = schema
    catalog = f"'{schema.rstrip('.')}'" if schema else "current_database()"
    has_history = _one(
        con,
        "SELECT count(*) FROM information_schema.tables WHERE table_catalog = "
        f"{catalog} AND table_schema = '{HISTORY}' AND table_name = 'deliveries'",
    )
    if not has_history:  # format 1 (or an empty file: no delivery)
        if not _one(
            con,
            f"SELECT count(*) FROM information_schema.tables WHERE table_catalog = {catalog} "
            "AND table_schema = 'main' AND table_name = 'dataset'",
        ):
            return []
        first, last = _row(con, f"SELECT first_month, last_month FROM {p}main.dataset")
        return [Delivery(default_as_of(last), first, last, "", "", {})]
    rows = con.execute(
        f"SELECT as_of, first_month, last_month, imported_at, source, rows FROM {p}{HISTORY}.deliveries ORDER BY as_of"
    ).fetchall()
    return [Delivery(r[0], r[1], r[2], r[3], r[4], json.loads(r[5] or "{}")) for r in rows]


def add_delivery(con: duckdb.DuckDBPyConnection, staged: Mapping[str, str], source: str = "") -> tuple[Delivery, bool]:
    """Store the validated typed tables ``staged`` (contract table -> the relation holding it: the
    tables of one data set, ``dataset`` included; a relation may carry the row hash ``_hash``, see
    ``validate.row_hash``, and is read in its stored order as the file order) as a delivery of the
    format-2 warehouse on ``con``; a delivery with the same ``as_of`` is replaced. Returns the
    delivery and whether it replaced one."""
    dataset = staged["dataset"]
    cols = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {dataset}").fetchall()}
    as_of_sql = "as_of" if "as_of" in cols else "NULL"
    first, last, as_of = _row(con, f"SELECT first_month, last_month, {as_of_sql} FROM {dataset}")
    as_of = as_of or default_as_of(last)
    replaced = bool(_one(con, f"SELECT count(*) FROM {HISTORY}.deliveries WHERE as_of = ?", [as_of]))
    delivery = _add(con, as_of, first, last, source, {k: v for k, v in staged.items() if k != "dataset"})
    return delivery, replaced


@contextmanager
def _transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """One transaction for the block: no checkpoint between its statements (the row ids the steps
    share stay valid) and one commit of all changes."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def _date(day: dt.date | None) -> str:
    return f"DATE '{day.isoformat()}'" if day is not None else "NULL"


def _merge_at(con: duckdb.DuckDBPyConnection, vt: str, day: str) -> None:
    """Join the versions of one row (same hash and ordinal) that meet at delivery ``day``: one that
    ends there and one that begins there become one version (the ranges stay maximal)."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _meet AS SELECT b._hash, b._n, b._to FROM {vt} a JOIN {vt} b "
        f"ON a._hash = b._hash AND a._n = b._n WHERE a._to = {day} AND b._from = {day}"
    )
    if not _one(con, "SELECT count(*) FROM _meet"):
        return
    con.execute(
        f"UPDATE {vt} SET _to = m._to FROM _meet m WHERE {vt}._to = {day} AND {vt}._hash = m._hash AND {vt}._n = m._n"
    )
    con.execute(
        f"DELETE FROM {vt} v WHERE v._from = {day} AND EXISTS (SELECT 1 FROM _meet m WHERE m._hash = v._hash AND m._n = v._n)"
    )


def _add(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, first: str, last: str, source: str, staged: Mapping[str, str]
) -> Delivery:
    with _transaction(con):
        return _add_steps(con, as_of, first, last, source, staged)


def _new_rows(con: duckdb.DuckDBPyConnection, table: Table, rel: str | None) -> tuple[str, bool]:
    """SQL of the delivery's rows of ``table`` (the relation ``rel``; None: the table is absent) with
    ``_hash``, ``_n`` (the ordinal of identical rows, in file order) and ``_ord`` (the file order),
    and whether reading it gives the file order. ``_n`` is 1 for every row of a table with a key
    (validation rejects a repeated key, so no two rows are identical) and of any table whose
    hashes are all distinct; only a table with identical rows is numbered by a window."""
    if rel is None:
        nulls = ", ".join(f"NULL::{_duck_type(c.type)} AS {_q(c.name)}" for c in table.columns)
        return f"SELECT {nulls}, NULL::UHUGEINT AS _hash, NULL::BIGINT AS _n, NULL::BIGINT AS _ord WHERE false", True
    has_hash = "_hash" in {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {rel}").fetchall()}
    hash_sql = "_hash" if has_hash else row_hash(table)
    plain = f"SELECT {_col_list(table)}, {hash_sql} AS _hash, 1::BIGINT AS _n, rowid AS _ord FROM {rel}"
    if has_hash and (
        table.key or not _one(con, f"SELECT count(*) FROM (SELECT 1 FROM {rel} GROUP BY _hash HAVING count(*) > 1)")
    ):
        return plain, True
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _new AS SELECT * EXCLUDE (_n), "
        f"row_number() OVER (PARTITION BY _hash ORDER BY _ord) AS _n FROM ({plain})"
    )
    return f"SELECT {_col_list(table)}, _hash, _n, _ord FROM _new", False


def _add_steps(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, first: str, last: str, source: str, staged: Mapping[str, str]
) -> Delivery:
    x = _date(as_of)
    nxt = _one(con, f"SELECT min(as_of) FROM {HISTORY}.deliveries WHERE as_of > ?", [as_of])
    n_sql = _date(nxt)
    replacing = bool(_one(con, f"SELECT count(*) FROM {HISTORY}.deliveries WHERE as_of = ?", [as_of]))
    rows: dict[str, int] = {}
    # the stored rows of the delivery before X (or of the old X when it is replaced): exactly the
    # versions whose range covers X
    covers = f"_from <= {x} AND (_to IS NULL OR _to > {x})"
    for table in VERSIONED:
        vt = versions_table(table.name)
        rel = staged.get(table.name)
        if rel is not None:
            rows[table.name] = _one(con, f"SELECT count(*) FROM {rel}")
        covered = _one(con, f"SELECT count(*) FROM {vt} WHERE {covers}")
        if not rows.get(table.name) and not covered:
            continue  # no rows before X and none in X (an optional table never delivered): nothing to do
        # new: the delivery's rows with their hash, the ordinal of identical rows (_n) and the file
        # order (_ord); in_order: reading new gives the file order (no sort needed to keep it)
        new, in_order = _new_rows(con, table, rel)
        if covered:
            # one join of the stored rows of X's place with the delivery's rows: the stored rows X
            # lacks (_gone: their row ids) and X's rows the stored rows lack (_fresh: keys only)
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE _match AS SELECT v.rid, n._ord, n._hash, n._n FROM "
                f"(SELECT rowid AS rid, _hash, _n FROM {vt} WHERE {covers}) v FULL OUTER JOIN "
                f"(SELECT _hash, _n, _ord FROM ({new})) n ON v._hash = n._hash AND v._n = n._n "
                "WHERE v.rid IS NULL OR n._ord IS NULL"
            )
            con.execute("CREATE OR REPLACE TEMP TABLE _gone AS SELECT rid FROM _match WHERE _ord IS NULL")
            con.execute("CREATE OR REPLACE TEMP TABLE _fresh AS SELECT _ord, _hash, _n FROM _match WHERE rid IS NULL")
            fresh = f"SELECT * FROM ({new}) WHERE _ord IN (SELECT _ord FROM _fresh)"
            in_order = False
            # a stored row X lacks: cut to [_from, X); if N has it, it continues as [N, _to)
            if nxt is not None:
                con.execute(
                    f"INSERT INTO {vt} SELECT {_col_list(table, 'v.')}, v._hash, v._n, {n_sql}, v._to FROM {vt} v "
                    f"WHERE v.rowid IN (SELECT rid FROM _gone) AND (v._to IS NULL OR v._to > {n_sql})"
                )
            con.execute(f"UPDATE {vt} SET _to = {x} WHERE rowid IN (SELECT rid FROM _gone)")
            if replacing:  # a row of the old X alone that the new X lacks is gone altogether
                con.execute(f"DELETE FROM {vt} WHERE _from = {x} AND _to = {x}")
            fresh_keys = "_fresh"
        else:  # nothing stored covers X (a first delivery, or one before every other): all rows are new
            fresh = new
            fresh_keys = f"({new})"
        # a row of X the stored rows lack: N's version of it begins with X, or it is new as [X, N)
        if nxt is not None:
            con.execute(
                f"UPDATE {vt} v SET _from = {x} WHERE v._from = {n_sql} "
                f"AND EXISTS (SELECT 1 FROM {fresh_keys} n WHERE n._hash = v._hash AND n._n = v._n)"
            )
            fresh = (
                f"SELECT * FROM ({fresh}) n WHERE NOT EXISTS "
                f"(SELECT 1 FROM {vt} v WHERE v._from = {x} AND v._hash = n._hash AND v._n = n._n)"
            )
            in_order = False
        order = "" if in_order else " ORDER BY n._ord"  # a scan of the staged table keeps the file order
        con.execute(
            f"INSERT INTO {vt} SELECT {_col_list(table, 'n.')}, n._hash, n._n, {x}, {n_sql} FROM ({fresh}) n{order}"
        )
        if replacing:  # the old X lacked a row that P has and the new X has: one version again
            _merge_at(con, vt, x)
    for temp in ("_new", "_gone", "_fresh", "_meet", "_match"):
        con.execute(f"DROP TABLE IF EXISTS {temp}")
    imported = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    values = [first, last, imported, source, json.dumps(rows, sort_keys=True), as_of]
    if replacing:  # in place: the table keeps its order
        con.execute(
            f"UPDATE {HISTORY}.deliveries SET first_month = ?, last_month = ?, imported_at = ?, source = ?, "
            "rows = ? WHERE as_of = ?",
            values,
        )
    else:
        con.execute(
            f"INSERT INTO {HISTORY}.deliveries (first_month, last_month, imported_at, source, rows, as_of) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            values,
        )
    refresh_views(con)
    return Delivery(as_of, first, last, imported, source, rows)


def drop_delivery(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> bool:
    """Remove the delivery ``as_of`` (the others stay exactly as they were); False if there is none."""
    if not _one(con, f"SELECT count(*) FROM {HISTORY}.deliveries WHERE as_of = ?", [as_of]):
        return False
    with _transaction(con):
        nxt = _one(con, f"SELECT min(as_of) FROM {HISTORY}.deliveries WHERE as_of > ?", [as_of])
        x, n_sql = _date(as_of), _date(nxt)
        for table in VERSIONED:
            vt = versions_table(table.name)
            # versions that began with X: they begin with N, unless they belonged to X alone
            if nxt is None:
                con.execute(f"DELETE FROM {vt} WHERE _from = {x}")
            else:
                con.execute(f"DELETE FROM {vt} WHERE _from = {x} AND _to = {n_sql}")
                con.execute(f"UPDATE {vt} SET _from = {n_sql} WHERE _from = {x}")
            # versions that ended with X (absent from X): they end with N now (NULL: X was the latest)
            con.execute(f"UPDATE {vt} SET _to = {n_sql} WHERE _to = {x}")
            if nxt is not None:  # a row of P and N that X lacked: one version again
                _merge_at(con, vt, n_sql)
        con.execute("DROP TABLE IF EXISTS _meet")
        con.execute(f"DELETE FROM {HISTORY}.deliveries WHERE as_of = ?", [as_of])
        refresh_views(con)
    return True


def refresh_views(con: duckdb.DuckDBPyConnection) -> None:
    """The main schema's views: every contract table of the latest delivery, and ``dataset``. A table
    that the latest delivery lacks (an optional table) has no view, as if its file were absent."""
    latest = _one(con, f"SELECT max(as_of) FROM {HISTORY}.deliveries")
    for table in TABLES:
        con.execute(f"DROP VIEW IF EXISTS main.{_q(table.name)}")
    if latest is None:
        return
    rows = json.loads(_one(con, f"SELECT rows FROM {HISTORY}.deliveries WHERE as_of = ?", [latest]) or "{}")
    for view_sql in delivery_views(latest, rows, f"{HISTORY}."):
        con.execute(view_sql)


def delivery_views(as_of: dt.date, rows: dict[str, int], history: str, target: str = "main.") -> list[str]:
    """CREATE VIEW statements for the tables of delivery ``as_of`` in schema ``target`` (``history``:
    where the version tables are, e.g. ``"w.amip_history."``). ``rows``: the delivery's row counts; a table
    without an entry was absent from the delivery and gets no view."""
    x = f"DATE '{as_of.isoformat()}'"
    stmts = [
        f"CREATE OR REPLACE VIEW {target}dataset AS SELECT first_month, last_month, as_of "
        f"FROM {history}deliveries WHERE as_of = {x}"
    ]
    for table in VERSIONED:
        if table.name not in rows:
            continue
        where = (
            "_to IS NULL"
            if target == "main." and history == f"{HISTORY}."
            else f"_from <= {x} AND (_to IS NULL OR _to > {x})"
        )
        stmts.append(
            f"CREATE OR REPLACE VIEW {target}{_q(table.name)} AS SELECT {_col_list(table)} "
            f"FROM {history}{table.name}_versions WHERE {where}"
        )
    return stmts


def pick(history: Sequence[Delivery], as_of: dt.date | None) -> Delivery:
    """The latest delivery on or before ``as_of`` (the latest of all for None); ValueError if none."""
    if not history:
        raise ValueError("the warehouse holds no delivery")
    if as_of is None:
        return history[-1]
    chosen = [d for d in history if d.as_of <= as_of]
    if not chosen:
        raise ValueError(f"no delivery on or before {as_of:%d.%m.%Y} (the first is of {history[0].as_of:%d.%m.%Y})")
    return chosen[-1]


@contextmanager
def delivery_connection(db: Path, as_of: dt.date) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection whose tables (``dataset``, the contract tables, ``instruments``) are those
    of the delivery with exactly this ``as_of`` in the warehouse ``db`` (read-only)."""
    con = duck.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute(f"ATTACH '{_path_literal(db)}' AS w (READ_ONLY)")
        history = {d.as_of: d for d in deliveries(con, "w.")}
        if as_of not in history:
            raise ValueError(f"no delivery of {as_of:%d.%m.%Y} in {db}")
        if format_version_attached(con) == FORMAT_VERSION:
            for sql in delivery_views(as_of, history[as_of].rows, f"w.{HISTORY}.", target=""):
                con.execute(sql)
        else:
            for name in _attached_tables(con):
                con.execute(f"CREATE VIEW {_q(name)} AS SELECT * FROM w.main.{_q(name)}")
        if "instruments" not in _local_views(con):
            con.execute("CREATE VIEW instruments AS SELECT * FROM w.main.instruments")
        yield con
    finally:
        con.close()


def format_version_attached(con: duckdb.DuckDBPyConnection) -> str:
    row = con.execute("SELECT value FROM w.main.amip_meta WHERE key = 'format_version'").fetchone()
    return row[0] if row else "1"


def _attached_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'w' AND table_schema = 'main' "
            "AND table_name <> 'amip_meta'"
        ).fetchall()
    ]


def _local_views(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database()"
        ).fetchall()
    }


def _path_literal(path: Path) -> str:
    return str(path).replace("'", "''")


__all__ = [
    "Delivery",
    "FORMAT_VERSION",
    "add_delivery",
    "check_name",
    "default_as_of",
    "deliveries",
    "delivery_connection",
    "drop_delivery",
    "ensure_history",
    "pick",
    "refresh_views",
]
