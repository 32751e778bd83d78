"""The one way amip opens a DuckDB database: :func:`connect`, as ``duckdb.connect``, with the
process's thread setting.

DuckDB runs a query on every core by default. ``AMIP_DUCKDB_THREADS=N`` caps it at N threads for
all of the process's DuckDB work. That is for several amip processes on one machine — the cockpit's
worker processes, a cron import beside the cockpit, the test suite's four workers on two cores —
where a process's extra threads only compete with the other processes and its parallel plans cost
extra CPU (merging partial aggregates, thread hand-offs). On the test suite's small data sets one
thread used a tenth to a sixth less CPU than two (docs/benchmarks.md, "Browsers and DuckDB
threads").

The setting is applied with ``SET threads`` after connecting rather than as connection
configuration: DuckDB refuses a second connection to an open database file whose configuration
differs, and ``SET threads`` is not part of that comparison."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

THREADS_ENV = "AMIP_DUCKDB_THREADS"


def thread_setting() -> int | None:
    """The thread cap from ``AMIP_DUCKDB_THREADS`` (None: DuckDB's default, every core); a value
    that is not a positive whole number is an error naming the variable."""
    raw = os.environ.get(THREADS_ENV, "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:  # isdigit alone takes e.g. '²'
        raise ValueError(f"{THREADS_ENV} must be a positive whole number of threads, not {raw!r}")
    return int(raw)


def connect(database: str | Path = ":memory:", read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """``duckdb.connect(database, read_only=read_only)`` with ``AMIP_DUCKDB_THREADS`` applied."""
    threads = thread_setting()  # checked before the file is opened: a bad setting changes nothing
    con = duckdb.connect(str(database), read_only=read_only)
    if threads is not None:
        con.execute(f"SET threads = {threads}")
    return con
