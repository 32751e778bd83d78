"""Where the engine runs: the embedded DuckDB warehouse (default) or Spark (distributed).

Both backends see the same typed contract tables; the figures are the same Ibis expressions.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import ibis
import ibis.expr.operations as ops
import pyarrow as pa
import sqlglot as sg
import sqlglot.expressions as sge
from ibis.expr.operations.relations import SelfReference

from amip.warehouse.store import load_into, open_warehouse, table_names

ENGINES = ("duckdb", "spark")


@contextmanager
def warehouse_connection(
    db: Path | None = None, data: Path | None = None, progress=None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection on the warehouse file ``db``, or on a validated in-memory copy of ``data``."""
    if (db is None) == (data is None):
        raise ValueError("give exactly one of a warehouse (--db) or a data set directory (--data)")
    if data is not None:
        con = duckdb.connect()
        load_into(con, Path(data), progress)
    else:
        assert db is not None  # exactly one of db, data (checked above)
        con = open_warehouse(Path(db))
    try:
        yield con
    finally:
        con.close()


@contextmanager
def ibis_backend(con: duckdb.DuckDBPyConnection, engine: str = "duckdb") -> Iterator[ibis.BaseBackend]:
    """An Ibis backend over the warehouse tables of ``con``."""
    if engine == "duckdb":
        yield ibis.duckdb.from_connection(con)
        return
    if engine != "spark":
        raise ValueError(f"unknown engine {engine!r} (choose: {', '.join(ENGINES)})")
    spark = spark_session()
    tmp = Path(tempfile.mkdtemp(prefix="amip-spark-"))
    try:
        backend = ibis.pyspark.connect(spark)
        for name in sorted(table_names(con)):
            path = tmp / f"{name}.parquet"
            con.execute(f"COPY {name} TO '{path}' (FORMAT parquet)")
            spark.read.parquet(str(path)).createOrReplaceTempView(name)
        yield backend
    finally:
        for name in table_names(con):
            spark.catalog.dropTempView(name)
        shutil.rmtree(tmp, ignore_errors=True)


def small_table(con: ibis.BaseBackend, name: str, data: pa.Table) -> ibis.Table:
    """Put a small run table (calendar, grid keys) on the backend as a temporary table or view."""
    if con.name == "pyspark":
        con._session.createDataFrame(data.to_pandas()).createOrReplaceTempView(name)
        return con.table(name)
    return con.create_table(name, data, temp=True, overwrite=True)


# Compiled SQL per (backend kind, expression): building the SQL of an Ibis expression costs far more
# Python time than DuckDB needs to run it on small data, and a process computing the figures again
# (the cockpit after an import, the test suite, a benchmark) builds the same expressions again.
# Ibis expressions compare by structure (tables by name and schema), so an equal expression has the
# same SQL; the engine's run tables have names that repeat between runs (``run_slot``) for this.
_SQL: dict[tuple[str, object], tuple[str, bool]] = {}  # -> (SQL, whether it reads in-memory tables)
_SQL_MAX = 2048


def compiled(con: ibis.BaseBackend, expr: ibis.Table) -> str:
    """The SQL of ``expr`` on ``con``'s backend kind, compiled once per process.

    In-memory tables (``ibis.memtable``) in ``expr`` are registered on ``con`` first, as Ibis does
    before it runs an expression."""
    key = (con.name, _canonical(expr.op()))
    hit = _SQL.get(key)
    if hit is None:
        hit = (str(con.compile(expr)), bool(expr.op().find(ops.InMemoryTable)))
        if len(_SQL) >= _SQL_MAX:
            _SQL.clear()
        _SQL[key] = hit
    if hit[1]:
        con._run_pre_execute_hooks(expr)
    return hit[0]


_CANON: dict[ops.Node, ops.Node] = {}  # op -> _canonical(op), at most _SQL_MAX entries


def _canonical(op: ops.Node) -> ops.Node:
    """:func:`_canonical_of`, once per operation node and process (equal nodes have equal canonical
    forms; the memoised builders of :mod:`amip.kennzahlen.memo` return the same nodes again)."""
    hit = _CANON.get(op)
    if hit is None:
        hit = _canonical_of(op)
        if len(_CANON) >= _SQL_MAX:
            _CANON.clear()
        _CANON[op] = hit
    return hit


def _canonical_of(op: ops.Node) -> ops.Node:
    """``op`` with its self-references (a table joined with itself) numbered in the order they
    appear: Ibis numbers them from a process-wide counter, so the same self-join built twice would
    never compare equal (join chains number their references themselves). Used as the key of
    :data:`_SQL` only (the SQL is compiled from ``op`` itself)."""
    ids: dict[object, int] = {}  # identifier -> its number, in depth-first order of the children
    seen: set[ops.Node] = set()
    todo = [op]
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        if isinstance(node, SelfReference):
            ids.setdefault(node.identifier, len(ids))
        todo.extend(reversed(node.__children__))
    if not ids:
        return op

    def renumber(node, kwargs):
        if isinstance(node, SelfReference):
            args = kwargs or dict(zip(node.__argnames__, node.__args__))
            return node.__recreate__({**args, "identifier": ids[node.identifier]})
        return node.__recreate__(kwargs) if kwargs else node

    return op.replace(renumber)


_SLOTS_LOCK = threading.Lock()
_SLOTS_BUSY: set[int] = set()


@contextmanager
def run_slot() -> Iterator[str]:
    """A name prefix for one run's tables, free while the run lasts and reused by later runs.

    Temporary tables and views are private to a connection (DuckDB) or session (Spark), and a slot
    is held by one run of this process at a time, so concurrent runs never share a name."""
    with _SLOTS_LOCK:
        slot = next(i for i in range(len(_SLOTS_BUSY) + 1) if i not in _SLOTS_BUSY)
        _SLOTS_BUSY.add(slot)
    try:
        yield f"r{slot}"
    finally:
        with _SLOTS_LOCK:
            _SLOTS_BUSY.discard(slot)


# DuckDB: (run table name, schema) -> (CREATE statement, INSERT prefix, the table's schema in DuckDB)
_DDL: dict[tuple[str, object], tuple[str, str, object]] = {}


def materialize(con: ibis.BaseBackend, expr: ibis.Table, name: str) -> ibis.Table:
    """Compute ``expr`` now and keep the result as a temporary table named ``name``.

    On Spark the result is checkpointed locally, which also cuts the lineage: later queries over it
    are planned against the stored rows, not against the whole history of the pipeline."""
    if con.name == "pyspark":
        df = con._session.sql(compiled(con, expr)).localCheckpoint(eager=True)
        df.createOrReplaceTempView(name)
        return con.table(name)
    if con.name == "duckdb":
        # What ``create_table(name, expr, temp=True, overwrite=True)`` does (the columns typed
        # by the expression's schema), with the SELECT compiled once per process; the CREATE
        # statement and the schema DuckDB gives the new table depend on the name and the schema
        # only, and are kept per process too (``con.table`` asks DuckDB for the schema each time).
        schema = expr.schema()
        ddl = _DDL.get((name, schema))
        if ddl is None:
            target = sg.table(name, catalog="temp", db="main", quoted=True)
            create = sge.Create(
                kind="TABLE",
                replace=True,
                this=sge.Schema(this=target, expressions=schema.to_sqlglot_column_defs("duckdb")),
                properties=sge.Properties(expressions=[sge.TemporaryProperty()]),
            ).sql("duckdb")
            insert = f"INSERT INTO {target.sql('duckdb')} ({', '.join(_quote(c) for c in schema.names)}) "
            con.con.execute(create)
            con.con.execute(insert + compiled(con, expr))
            table = con.table(name, database=("temp", "main"))
            if len(_DDL) >= _SQL_MAX:
                _DDL.clear()
            _DDL[(name, schema)] = (create, insert, table.schema())
            return table
        create, insert, stored = ddl
        con.con.execute(create)
        con.con.execute(insert + compiled(con, expr))
        namespace = ops.Namespace(catalog="temp", database="main")
        return ops.DatabaseTable(name, schema=stored, source=con, namespace=namespace).to_expr()
    return con.create_table(name, expr, temp=True, overwrite=True)


def to_arrow(con: ibis.BaseBackend, expr: ibis.Table) -> pa.Table:
    """``expr.to_pyarrow()`` (the same conversions as Ibis), with the SQL compiled once per process."""
    if con.name == "pyspark":
        from ibis.backends.pyspark.converter import PySparkPandasData
        from ibis.formats.pyarrow import PyArrowData

        schema = expr.schema()
        frame = PySparkPandasData.convert_table(con._session.sql(compiled(con, expr)).toPandas(), schema)
        arrow = pa.Table.from_pandas(expr.__pandas_result__(frame), preserve_index=False)
        return expr.__pyarrow_result__(PyArrowData.convert_table(arrow, schema))
    if con.name != "duckdb":
        return expr.to_pyarrow()
    from ibis.backends.duckdb.converter import DuckDBPyArrowData

    table = con.con.sql(compiled(con, expr)).to_arrow_table()
    return expr.__pyarrow_result__(table, data_mapper=DuckDBPyArrowData)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def drop_small_table(con: ibis.BaseBackend, name: str) -> None:
    if con.name == "pyspark":
        con._session.catalog.dropTempView(name)
    else:
        con.drop_table(name, force=True)


_SPARK = None


def spark_session():
    """A local Spark session (2 cores), created once per process."""
    global _SPARK
    if _SPARK is None:
        from pyspark.sql import SparkSession

        _SPARK = (
            SparkSession.builder.master("local[2]")
            .appName("amip")
            .config("spark.ui.enabled", "false")
            # no progress bars on stderr: the CLI shows its own progress, and in test and CI logs
            # they were thousands of carriage-return lines per run
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", os.environ.get("AMIP_SPARK_PARTITIONS", "4"))
            .config("spark.sql.codegen.wholeStage", os.environ.get("AMIP_SPARK_CODEGEN", "true"))
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.driver.memory", "2g")
            # The local session runs many small jobs (a checkpoint per stage, a query per figure):
            # the JVM's quick C1 compiler and the serial collector cut its CPU time by a third to a half
            # (docs/benchmarks.md, "Spark (local mode)"); AMIP_SPARK_JAVA_OPTIONS="" for the JVM's defaults.
            .config(
                "spark.driver.extraJavaOptions",
                os.environ.get("AMIP_SPARK_JAVA_OPTIONS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"),
            )
            .getOrCreate()
        )
        _SPARK.sparkContext.setLogLevel("ERROR")
    return _SPARK
