"""Where the engine runs: the embedded DuckDB warehouse (default) or Spark (distributed).

Both backends see the same typed contract tables; the figures are the same Ibis expressions.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import uuid
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

from amip import duck
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
        con = duck.connect()
        load_into(con, Path(data), progress)
    else:
        assert db is not None  # exactly one of db, data (checked above)
        con = open_warehouse(Path(db))
    try:
        yield con
    finally:
        con.close()


@contextmanager
def ibis_backend(
    con: duckdb.DuckDBPyConnection, engine: str = "duckdb", staging: str | None = None
) -> Iterator[ibis.BaseBackend]:
    """An Ibis backend over the warehouse tables of ``con``.

    On Spark the tables are written as Parquet to a staging folder the executors can read (a
    temporary folder for a local session, the checkpoint folder on a cluster, else ``staging``:
    ``spark_run``)."""
    if engine == "duckdb":
        yield ibis.duckdb.from_connection(con)
        return
    if engine != "spark":
        raise ValueError(f"unknown engine {engine!r} (choose: {', '.join(ENGINES)})")
    spark = spark_session()
    names = sorted(table_names(con))
    with spark_run(staging) as run:
        local = _local_path(run)
        if local is None:
            raise ValueError(
                f"the Spark checkpoint folder {run} is not a file system path: with --db the "
                "warehouse tables are staged there by DuckDB (give a shared folder with "
                "--spark-checkpoint-dir, or read the data set itself with --data)"
            )
        try:
            backend = ibis.pyspark.connect(spark)
            for name in names:
                path = Path(local) / "tables" / f"{name}.parquet"
                path.parent.mkdir(parents=True, exist_ok=True)
                con.execute(f"COPY {name} TO '{path}' (FORMAT parquet)")
                spark.read.parquet(_uri(str(path))).createOrReplaceTempView(name)
            yield backend
        finally:
            for name in names:
                spark.catalog.dropTempView(name)


def small_table(con: ibis.BaseBackend, name: str, data: pa.Table) -> ibis.Table:
    """Put a small run table (calendar, grid keys) on the backend as a temporary table or view."""
    if con.name == "pyspark":
        spark_frame(con._session, data).createOrReplaceTempView(name)
        return con.table(name)
    return con.create_table(name, data, temp=True, overwrite=True)


def spark_frame(spark, data: pa.Table):
    """A small Arrow table as a Spark DataFrame, converted through Arrow on the JVM side (no Python
    worker on the executors; on a cluster they may have no Python of the driver's version)."""
    key = "spark.sql.execution.arrow.pyspark.enabled"
    before = spark.conf.get(key, "false")
    spark.conf.set(key, "true")
    try:
        return spark.createDataFrame(data.to_pandas())
    finally:
        spark.conf.set(key, before)


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

    On Spark the result is checkpointed, which also cuts the lineage: later queries over it are
    planned against the stored rows, not against the whole history of the pipeline. A local session
    keeps it in the executors (``localCheckpoint``); on a cluster it goes to the checkpoint folder
    on shared storage (``checkpoint``), so the loss of an executor does not lose a stage."""
    if con.name == "pyspark":
        df = con._session.sql(compiled(con, expr))
        df = df.checkpoint(eager=True) if reliable_checkpoints() else df.localCheckpoint(eager=True)
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


# ---- the Spark session -------------------------------------------------------------------------

DEFAULT_MASTER = "local[*]"
_SETTINGS: dict[str, str | None] = {"master": None, "checkpoint_dir": None}  # given on the command line


class SparkUnavailable(ValueError):
    """PySpark or a Java runtime is missing, or the session cannot start; the message says what to do."""


def configure_spark(master: str | None = None, checkpoint_dir: str | Path | None = None) -> None:
    """The cluster (``--spark-master``) and checkpoint folder (``--spark-checkpoint-dir``) of this
    process's Spark session; ``None`` keeps ``AMIP_SPARK_MASTER`` / ``AMIP_SPARK_CHECKPOINT_DIR``.
    A session already running on another master is stopped at the next ``spark_session()``."""
    _SETTINGS["master"] = master or None
    _SETTINGS["checkpoint_dir"] = str(checkpoint_dir) if checkpoint_dir else None


def spark_master() -> str | None:
    """The Spark master URL: ``--spark-master``, else ``AMIP_SPARK_MASTER``, else the one
    ``spark-submit`` gave (``None``: the driver was started by spark-submit), else ``local[*]``."""
    given = _SETTINGS["master"] or os.environ.get("AMIP_SPARK_MASTER", "").strip()
    if given:
        return given
    if os.environ.get("PYSPARK_GATEWAY_PORT"):  # started by spark-submit: its --master applies
        return None
    return DEFAULT_MASTER


def is_local(master: str | None) -> bool:
    """Whether ``master`` runs everything in the driver's JVM (``local``, ``local[N]``, ``local[*]``)."""
    return master is not None and (master == "local" or master.startswith("local["))


def checkpoint_dir_setting() -> str | None:
    return _SETTINGS["checkpoint_dir"] or os.environ.get("AMIP_SPARK_CHECKPOINT_DIR", "").strip() or None


def _require_spark() -> None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise SparkUnavailable(
            "the Spark engine needs PySpark, which is not installed: install amip[spark] "
            "(pip install 'amip[spark]'), or use --engine duckdb"
        ) from None
    home = os.environ.get("JAVA_HOME", "").strip()
    java = Path(home) / "bin" / "java" if home else None
    if (java is None or not java.exists()) and shutil.which("java") is None:
        where = f"JAVA_HOME={home} has no bin/java" if home else "no java on PATH"
        raise SparkUnavailable(
            f"Java not found ({where}): PySpark needs a Java runtime 17 or newer "
            "(e.g. apt-get install openjdk-17-jre-headless, or set JAVA_HOME)"
        )


_SPARK = None
_SPARK_MASTER: str | None = None  # the master the running session was made for


def spark_session():
    """The Spark session of this process (created once; again when the master setting changes).

    ``local[*]`` by default; ``--spark-master``/``AMIP_SPARK_MASTER`` for a cluster (``spark://``,
    ``yarn``, ``k8s://``; a Spark Connect ``sc://`` URL is refused with a message). Raises :class:`SparkUnavailable` when
    PySpark or Java is missing or the session cannot start."""
    global _SPARK, _SPARK_MASTER
    master = spark_master()
    if _SPARK is not None and master != _SPARK_MASTER:
        _SPARK.stop()
        _SPARK = None
    if _SPARK is None:
        if master is not None and master.startswith("sc://"):
            raise SparkUnavailable(
                f"Spark Connect ({master}) is not supported yet: the engine needs the session's "
                "SparkContext (checkpoint folder, file listing); use a spark://, yarn or k8s:// master"
            )
        _require_spark()
        from pyspark.sql import SparkSession

        builder = SparkSession.builder
        if master is not None:
            builder = builder.master(master)
        builder = (
            builder.config("spark.ui.enabled", "false")
            # no progress bars on stderr: the CLI shows its own progress, and in test and CI logs
            # they were thousands of carriage-return lines per run
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.driver.memory", "2g")
            # The session runs many small jobs (a checkpoint per stage, the figure queries): the
            # JVM's quick C1 compiler and the serial collector cut its CPU time by a third to a
            # half (docs/benchmarks.md, "Spark (local mode)"); AMIP_SPARK_JAVA_OPTIONS="" for
            # the JVM's defaults.
            .config(
                "spark.driver.extraJavaOptions",
                os.environ.get("AMIP_SPARK_JAVA_OPTIONS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"),
            )
            # files of reliable checkpoints are deleted when their data set is no longer used
            .config("spark.cleaner.referenceTracking.cleanCheckpoints", "true")
        )
        builder = (
            builder.appName("amip")
            .config("spark.sql.shuffle.partitions", os.environ.get("AMIP_SPARK_PARTITIONS", "4"))
            .config("spark.sql.codegen.wholeStage", os.environ.get("AMIP_SPARK_CODEGEN", "true"))
            .config("spark.sql.session.timeZone", "UTC")
            # Adaptive execution runs every shuffle stage as a job of its own; with a few shuffle
            # partitions it has little to adapt, and the figure queries are small: off by default
            # (docs/spark.md, "Jobs per run"); AMIP_SPARK_ADAPTIVE=true for large data with many partitions.
            .config("spark.sql.adaptive.enabled", os.environ.get("AMIP_SPARK_ADAPTIVE", "false"))
        )
        try:
            _SPARK = builder.getOrCreate()
        except Exception as exc:  # the JVM did not start, the master is unreachable, ...
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise SparkUnavailable(
                f"the Spark session on {master or 'the spark-submit master'} did not start: {first}"
            ) from None
        _SPARK_MASTER = master
        _SPARK.sparkContext.setLogLevel("ERROR")
    return _SPARK


def reliable_checkpoints() -> bool:
    """Whether stage results are checkpointed to the checkpoint folder (a cluster, or a folder
    given) instead of locally (kept by the executors, lost with one)."""
    return not is_local(_SPARK_MASTER) or checkpoint_dir_setting() is not None


def _uri(path: str) -> str:
    """A path as Spark/Hadoop reads it (a plain path is a local file, not one of the default FS)."""
    return path if "://" in path or path.startswith("file:") else "file://" + os.path.abspath(path)


def _local_path(path: str) -> str | None:
    """``path`` as a path of this machine's file system, or None (hdfs://, s3a://, ...)."""
    if path.startswith("file://"):
        return path[len("file://") :]
    if path.startswith("file:"):
        return path[len("file:") :]
    return None if "://" in path else path


def _hadoop_fs(spark, path: str):
    jvm = spark.sparkContext._jvm
    p = jvm.org.apache.hadoop.fs.Path(path)
    return p.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), p


@contextmanager
def spark_run(data: str | None) -> Iterator[str]:
    """A run folder of the Spark session for one engine run: its URI is yielded; the session's
    checkpoint folder is set to a subfolder of it (on a cluster), and it is deleted afterwards.

    Where: ``--spark-checkpoint-dir``/``AMIP_SPARK_CHECKPOINT_DIR``; else, on a cluster, the folder
    ``_amip_spark`` inside the data set's folder ``data`` (a folder the executors see); else (local
    session) a temporary folder."""
    spark = spark_session()
    root = checkpoint_dir_setting()
    temp = None
    if root is None:
        if is_local(_SPARK_MASTER):
            temp = tempfile.mkdtemp(prefix="amip-spark-")
            root = temp
        elif data is not None:
            root = data.rstrip("/") + "/_amip_spark"
        else:
            raise ValueError(
                "a Spark cluster needs a checkpoint folder on storage the executors see: "
                "give --spark-checkpoint-dir (or AMIP_SPARK_CHECKPOINT_DIR)"
            )
    run = _uri(root).rstrip("/") + f"/run-{uuid.uuid4().hex[:12]}"
    try:
        if reliable_checkpoints():
            spark.sparkContext.setCheckpointDir(run + "/checkpoints")
        yield run
    finally:
        try:
            fs, p = _hadoop_fs(spark, run)
            fs.delete(p, True)
            parent = p.getParent()
            if checkpoint_dir_setting() is None and not list(fs.listStatus(parent)):
                fs.delete(parent, False)  # the default folder inside the data set's folder, if now empty
        except Exception:  # noqa: BLE001 - clean-up only: a folder left behind is not an error of the run
            pass
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)


def spark_jobs() -> int:
    """How many Spark jobs this process's session has started so far (for the benchmark)."""
    if _SPARK is None:
        return 0
    tracker = _SPARK.sparkContext.statusTracker()
    ids = list(tracker.getJobIdsForGroup())
    return max(ids) + 1 if ids else 0
