"""Where the engine runs: the embedded DuckDB warehouse (default) or Spark (distributed).

Both backends see the same typed contract tables; the figures are the same Ibis expressions.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import ibis
import pyarrow as pa

from amip.warehouse.store import load_into, open_warehouse, table_names

ENGINES = ("duckdb", "spark")


@contextmanager
def warehouse_connection(db: Path | None = None, data: Path | None = None, progress=None) -> Iterator[duckdb.DuckDBPyConnection]:
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


def materialize(con: ibis.BaseBackend, expr: ibis.Table, name: str) -> ibis.Table:
    """Compute ``expr`` now and keep the result as a temporary table named ``name``.

    On Spark the result is checkpointed locally, which also cuts the lineage: later queries over it
    are planned against the stored rows, not against the whole history of the pipeline."""
    if con.name == "pyspark":
        df = con._session.sql(con.compile(expr)).localCheckpoint(eager=True)
        df.createOrReplaceTempView(name)
        return con.table(name)
    return con.create_table(name, expr, temp=True, overwrite=True)


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
            SparkSession.builder.master("local[2]").appName("amip")
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
            .config("spark.driver.extraJavaOptions",
                    os.environ.get("AMIP_SPARK_JAVA_OPTIONS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"))
            .getOrCreate()
        )
        _SPARK.sparkContext.setLogLevel("ERROR")
    return _SPARK
