"""Figures per delivery: as of any data state, BA-comparable, and their revisions.

The rules of which delivery serves which month are in :mod:`amip.kennzahlen.datastates`; this module
runs the engine on the deliveries (``warehouse.deliveries.delivery_connection``: the engine runs on
a delivery's tables unchanged) and puts the pieces together:

- :func:`compute_states`: the figures of ``first``..``last`` as of the latest delivery (default), as
  of the latest delivery on or before a day (``as_of``), or every month from its BA-comparable
  delivery (``ba``), with the columns ``as_of`` and ``data_state``;
- :func:`compute_revisions`: per job center, figure, sex and lag k = 0, 1, 2 the revision of every
  Bezugsmonat that has a provisional and a BA-comparable value (provisional minus BA-comparable,
  in the figure's unit: percentage points for quotas and rates), and their summary.

Efficiency: a delivery computes only the months it serves, in one engine run over their span
(with the months a year earlier, which the direction of the change against the previous year
needs), on one connection per delivery; no loop over persons in Python.

Which figures a run computes is a parameter (:data:`FigureFunction`): the engine's § 48a figures by
default; the entry points add the steering figures for ``amip kpi --steering`` (they sit in a layer
above this one). The revisions cover the § 48a figures only.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import ibis
import pyarrow as pa
import pyarrow.compute as pc

from amip import duck
from amip.kennzahlen import datastates
from amip.kennzahlen.backends import ibis_backend, warehouse_connection
from amip.kennzahlen.calendar import month_str, parse_month
from amip.kennzahlen.engine import OUTPUT_SCHEMA, Result, compute
from amip.warehouse import deliveries as history
from amip.warehouse.deliveries import Delivery
from amip.warehouse.store import list_deliveries, load_into, quiet

# (backend, first, last, jobcenter, progress) -> the figures of first..last (engine.Result)
FigureFunction = Callable[[ibis.BaseBackend, str, str, str | None, Callable[[str], None] | None], Result]
# (deliveries done, deliveries in all, the delivery being computed)
StepFunction = Callable[[int, int, dt.date], None]

STATE_COLUMNS = [("as_of", pa.date32()), ("data_state", pa.string())]
STATE_SCHEMA = pa.schema([*OUTPUT_SCHEMA, *STATE_COLUMNS])
SUMMARY_SCHEMA = pa.schema(
    [
        ("jobcenter_id", pa.string()),
        ("figure", pa.string()),
        ("sex", pa.string()),
        ("lag", pa.int64()),
        ("months", pa.int64()),
        ("mean", pa.float64()),
        ("mean_abs", pa.float64()),
        ("p05", pa.float64()),
        ("p95", pa.float64()),
        ("flips", pa.float64()),
    ]
)
DETAIL_SCHEMA = pa.schema(
    [
        ("jobcenter_id", pa.string()),
        ("month", pa.string()),
        ("figure", pa.string()),
        ("sex", pa.string()),
        ("lag", pa.int64()),
        ("as_of", pa.date32()),
        ("value", pa.float64()),
        ("final_as_of", pa.date32()),
        ("final_value", pa.float64()),
        ("revision", pa.float64()),
    ]
)
YEAR = 12


def engine_figures(
    backend: ibis.BaseBackend,
    first: str,
    last: str,
    jobcenter: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> Result:
    """The § 48a figures (the default :data:`FigureFunction`)."""
    return compute(backend, first, last, jobcenter=jobcenter, progress=progress)


def parse_day(text: str | dt.date) -> dt.date:
    """A day given as ``YYYY-MM-DD`` or ``DD.MM.YYYY`` (ValueError otherwise)."""
    if isinstance(text, dt.date):
        return text
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            pass
    raise ValueError(f"not a date: {text!r} (use YYYY-MM-DD or DD.MM.YYYY)")


# ---- where the deliveries are ----------------------------------------------------------------------


@dataclass
class Source:
    """The deliveries figures are computed from: those of a warehouse, or the one delivery of a data
    set directory (``--data``: its ``dataset.as_of``, default the day after ST(last_month))."""

    history: list[Delivery]
    db: Path | None = None
    _data_con: duckdb.DuckDBPyConnection | None = None
    _spark: ibis.BaseBackend | None = None  # a data set validated on Spark (--data, --engine spark)

    @property
    def dates(self) -> list[dt.date]:
        return [d.as_of for d in self.history]

    @property
    def latest(self) -> Delivery:
        return self.history[-1]

    def delivery(self, as_of: dt.date) -> Delivery:
        return next(d for d in self.history if d.as_of == as_of)

    @contextmanager
    def connection(self, as_of: dt.date) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection whose tables are those of the delivery ``as_of`` (the latest delivery reads
        the warehouse's own views, as ``amip kpi`` always did)."""
        if self._spark is not None:
            raise ValueError("this data set was read on Spark: it has no DuckDB connection")
        if self._data_con is not None:
            yield self._data_con
            return
        assert self.db is not None
        if as_of == self.latest.as_of:
            with warehouse_connection(db=self.db) as con:
                yield con
        else:
            with history.delivery_connection(self.db, as_of) as con:
                yield con

    @contextmanager
    def backend(self, as_of: dt.date, engine: str) -> Iterator[ibis.BaseBackend]:
        """An Ibis backend of ``engine`` over the tables of the delivery ``as_of``."""
        if self._spark is not None:
            if engine != "spark":
                raise ValueError("this data set was read on Spark: compute it with engine spark")
            yield self._spark
            return
        with self.connection(as_of) as con, ibis_backend(con, engine) as be:
            yield be


@contextmanager
def open_source(
    db: Path | None = None,
    data: Path | str | None = None,
    progress: Callable[[str], None] | None = None,
    engine: str = "duckdb",
) -> Iterator[Source]:
    """The deliveries of the warehouse ``db``, or of the data set directory ``data`` (validated into
    memory, as ``amip kpi --data`` does; with ``engine="spark"`` read and validated on Spark where it
    lies, ``kennzahlen.spark_input``)."""
    if (db is None) == (data is None):
        raise ValueError("give exactly one of a warehouse (--db) or a data set directory (--data)")
    if data is not None and engine == "spark":
        with _spark_source(str(data), progress) as source:
            yield source
        return
    if db is not None:
        found = list_deliveries(Path(db))
        if not found:
            raise ValueError(f"the warehouse {db} holds no delivery")
        yield Source(found, db=Path(db))
        return
    con = duck.connect()
    try:
        quiet(con)
        load_into(con, Path(data), progress)  # type: ignore[arg-type]  # data is set (checked above)
        yield Source([_data_delivery(con, Path(data))], _data_con=con)  # type: ignore[arg-type]
    finally:
        con.close()


@contextmanager
def _spark_source(data: str, progress: Callable[[str], None] | None) -> Iterator[Source]:
    from amip.kennzahlen.backends import spark_run, spark_session
    from amip.kennzahlen.spark_input import load_dataset

    spark = spark_session()
    with spark_run(data) as run:
        loaded = load_dataset(spark, data, run.rsplit("-", 1)[-1], progress)
        try:
            row = spark.table("dataset").collect()[0].asDict()
            as_of = row.get("as_of") or history.default_as_of(row["last_month"])
            delivery = Delivery(as_of, row["first_month"], row["last_month"], "", data, {})
            yield Source([delivery], _spark=ibis.pyspark.connect(spark))
        finally:
            for view in loaded.views:
                spark.catalog.dropTempView(view)


def _data_delivery(con: duckdb.DuckDBPyConnection, data: Path) -> Delivery:
    cols = {r[0] for r in con.execute("DESCRIBE dataset").fetchall()}
    as_of_sql = "as_of" if "as_of" in cols else "NULL::DATE"
    row = con.execute(f"SELECT first_month, last_month, {as_of_sql} FROM dataset").fetchone()
    assert row is not None
    first, last, as_of = row
    return Delivery(as_of or history.default_as_of(last), first, last, "", str(data), {})


# ---- figures as of a data state -------------------------------------------------------------------


def compute_states(
    source: Source,
    first: str,
    last: str,
    *,
    as_of: dt.date | None = None,
    ba: bool = False,
    figures: FigureFunction = engine_figures,
    engine: str = "duckdb",
    jobcenter: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> Result:
    """The figures of ``first``..``last`` with ``as_of`` and ``data_state`` (module doc). Default:
    the latest delivery; ``as_of``: the latest delivery on or before that day; ``ba``: each month
    from its BA-comparable delivery, else from the latest (provisional)."""
    if as_of is not None and ba:
        raise ValueError("--as-of and --ba exclude each other")
    lo, hi = parse_month(first), parse_month(last)
    if lo > hi:
        raise ValueError(f"--from {first} is after --to {last}")
    if not ba:
        chosen = history.pick(source.history, as_of)
        with source.backend(chosen.as_of, engine) as be:
            result = figures(be, first, last, jobcenter, progress)
        result.table = datastates.with_states(result.table, chosen.as_of)
        return result
    plan = datastates.ba_plan(source.dates, range(lo, hi + 1))
    by_delivery: dict[dt.date, list[int]] = {}
    for month, day in plan.items():
        by_delivery.setdefault(day, []).append(parse_month(month))
    pieces, skipped = [], {}
    for day in sorted(by_delivery):
        months = by_delivery[day]
        span = datastates.month_span(months)
        if progress:
            progress(f"delivery of {day:%d.%m.%Y}: {span[0]} … {span[1]}")
        with source.backend(day, engine) as be:
            result = figures(be, span[0], span[1], jobcenter, progress)
        wanted = pa.array([month_str(m) for m in months])
        table = result.table.filter(pc.is_in(result.table.column("month"), wanted))
        pieces.append(datastates.with_states(table, day))
        skipped.update(result.skipped)
    table = pa.concat_tables(pieces)
    # one delivery per month, each piece in the engine's order within a month: a stable sort by job
    # center and month keeps the figure and sex order
    order = pc.sort_indices(table, sort_keys=[("jobcenter_id", "ascending"), ("month", "ascending")])
    return Result(table.take(order), skipped)


# ---- revisions ------------------------------------------------------------------------------------


@dataclass
class Revisions:
    summary: pa.Table  # SUMMARY_SCHEMA
    detail: pa.Table  # DETAIL_SCHEMA
    deliveries: int  # how many deliveries had months to compute (engine runs)
    seconds: float
    # every value the revisions were made of (VALUES_SCHEMA), for reuse by a later build
    values: pa.Table | None = None
    reused: int = 0  # deliveries whose months all came from ``known``


# the per-delivery values behind the revisions, as the figure cache keeps them between builds; a
# delivery's values never change unless the delivery is replaced (a new ``imported_at``)
VALUES_SCHEMA = pa.schema(
    [
        ("jobcenter_id", pa.string()),
        ("month", pa.string()),
        ("figure", pa.string()),
        ("sex", pa.string()),
        ("value", pa.float64()),
        ("as_of", pa.date32()),
        ("imported_at", pa.string()),
    ]
)


def compute_revisions(
    source: Source,
    *,
    jobcenter: str | None = None,
    jobcenters: Sequence[str] | None = None,
    figures: Sequence[str] | None = None,
    engine: str = "duckdb",
    step: StepFunction | None = None,
    known: pa.Table | None = None,
) -> Revisions:
    """The revisions of every Bezugsmonat with a provisional (lag 0, 1, 2) and a BA-comparable value,
    per job center (``jobcenter``: only that one, computed alone; ``jobcenters``: keep only these),
    § 48a figure (``figures``: only these) and sex; their summary (module doc, decisions 79-81).

    ``known`` (VALUES_SCHEMA, computed for all job centers): values of an earlier run; a delivery
    with the same ``as_of`` and ``imported_at`` takes the months it has from there and computes only
    the missing ones (the figure cache passes its previous build's values)."""
    import time

    t0 = time.perf_counter()
    coverage = {d.as_of: (parse_month(d.first_month), parse_month(d.last_month)) for d in source.history}
    imported = {d.as_of: d.imported_at for d in source.history}
    pairs = datastates.revision_pairs(coverage)
    needed = datastates.revision_needs(pairs, coverage, back=YEAR)
    reuse = _known_by_delivery(known, imported) if known is not None and jobcenter is None else {}
    values: list[pa.Table] = []
    todo: list[tuple[dt.date, list[int]]] = []
    for day in sorted(needed):
        have, rows = reuse.get(day, (set(), None))
        if rows is not None and have & needed[day]:
            wanted = pa.array([month_str(m) for m in sorted(have & needed[day])])
            values.append(rows.filter(pc.is_in(rows.column("month"), wanted)))
        missing = sorted(needed[day] - have)
        if missing:
            todo.append((day, missing))
    for i, (day, months) in enumerate(todo):
        if step:
            step(i, len(todo), day)
        span = datastates.month_span(months)
        with source.backend(day, engine) as be:
            table = compute(be, span[0], span[1], jobcenter=jobcenter).table
        wanted = pa.array([month_str(m) for m in months])
        table = table.filter(pc.is_in(table.column("month"), wanted))
        n = table.num_rows
        values.append(
            table.select(["jobcenter_id", "month", "figure", "sex", "value"])
            .append_column("as_of", pa.array([day] * n, pa.date32()))
            .append_column("imported_at", pa.array([imported[day]] * n, pa.string()))
        )
    if step and todo:
        step(len(todo), len(todo), todo[-1][0])
    summary, detail = _revision_tables(values, pairs, jobcenters, figures)
    every = pa.concat_tables([v.cast(VALUES_SCHEMA) for v in values]) if values else VALUES_SCHEMA.empty_table()
    reused = len(needed) - len(todo)
    return Revisions(summary, detail, len(todo), time.perf_counter() - t0, every, reused)


def _known_by_delivery(known: pa.Table, imported: dict[dt.date, str]) -> dict[dt.date, tuple[set[int], pa.Table]]:
    """The rows of ``known`` per delivery still in the warehouse unchanged, with their months."""
    out: dict[dt.date, tuple[set[int], pa.Table]] = {}
    if not known.num_rows:
        return out
    known = known.select(VALUES_SCHEMA.names).cast(VALUES_SCHEMA)
    days = known.column("as_of").to_pylist()
    for day in set(days):
        if day not in imported:
            continue
        rows = known.filter(
            pc.and_(
                pc.equal(known.column("as_of"), pa.scalar(day, pa.date32())),
                pc.equal(known.column("imported_at"), imported[day]),
            )
        )
        if rows.num_rows:
            out[day] = ({parse_month(m) for m in pc.unique(rows.column("month")).to_pylist()}, rows)
    return out


def _revision_tables(
    values: list[pa.Table],
    pairs: list[datastates.RevisionPair],
    jobcenters: Sequence[str] | None,
    figures: Sequence[str] | None,
) -> tuple[pa.Table, pa.Table]:
    if not values or not pairs:
        return SUMMARY_SCHEMA.empty_table(), DETAIL_SCHEMA.empty_table()
    vals = pa.concat_tables([v.cast(VALUES_SCHEMA) for v in values])
    plan = pa.table(
        {
            "month": pa.array([month_str(p.month) for p in pairs]),
            "prev_month": pa.array([month_str(p.month - YEAR) for p in pairs]),
            "lag": pa.array([p.lag for p in pairs], pa.int64()),
            "as_of": pa.array([p.provisional for p in pairs], pa.date32()),
            "final_as_of": pa.array([p.final for p in pairs], pa.date32()),
        }
    )
    con = duck.connect()
    try:
        quiet(con)
        con.register("vals", vals)
        con.register("plan", plan)
        where = []
        params: list = []
        if jobcenters is not None:
            where.append("p.jobcenter_id IN (SELECT unnest(?::VARCHAR[]))")
            params.append(list(jobcenters))
        if figures is not None:
            where.append("p.figure IN (SELECT unnest(?::VARCHAR[]))")
            params.append(list(figures))
        # the provisional value (and the same month a year earlier, as of the same delivery) beside
        # the BA-comparable value (and its previous year, as of the BA-comparable delivery)
        con.execute(
            f"""
            CREATE TEMP TABLE detail AS
            SELECT p.jobcenter_id, p.month, p.figure, p.sex, plan.lag, plan.as_of, p.value,
                   plan.final_as_of, f.value AS final_value, p.value - f.value AS revision,
                   p.value - pp.value AS change, f.value - fp.value AS final_change
            FROM plan
            JOIN vals p ON p.as_of = plan.as_of AND p.month = plan.month
            JOIN vals f ON f.as_of = plan.final_as_of AND f.month = plan.month
                       AND f.jobcenter_id = p.jobcenter_id AND f.figure = p.figure AND f.sex = p.sex
            LEFT JOIN vals pp ON pp.as_of = plan.as_of AND pp.month = plan.prev_month
                       AND pp.jobcenter_id = p.jobcenter_id AND pp.figure = p.figure AND pp.sex = p.sex
            LEFT JOIN vals fp ON fp.as_of = plan.final_as_of AND fp.month = plan.prev_month
                       AND fp.jobcenter_id = p.jobcenter_id AND fp.figure = p.figure AND fp.sex = p.sex
            WHERE p.value IS NOT NULL AND f.value IS NOT NULL {"".join(" AND " + w for w in where)}
            """,
            params,
        )
        order = f"jobcenter_id, {_order_sql()}, CASE sex WHEN 'all' THEN 0 WHEN 'm' THEN 1 ELSE 2 END"
        detail = _arrow(con, f"SELECT {', '.join(DETAIL_SCHEMA.names)} FROM detail ORDER BY {order}, lag, month")
        # quantile_cont: linear interpolation between the order statistics (numpy's default "linear")
        summary = _arrow(
            con,
            f"""
            SELECT jobcenter_id, figure, sex, lag, count(*) AS months, avg(revision) AS mean,
                   avg(abs(revision)) AS mean_abs, quantile_cont(revision, 0.05) AS p05,
                   quantile_cont(revision, 0.95) AS p95,
                   avg(CASE WHEN change IS NOT NULL AND final_change IS NOT NULL
                            THEN (sign(change) <> sign(final_change))::INTEGER END) AS flips
            FROM detail GROUP BY jobcenter_id, figure, sex, lag
            ORDER BY {order}, lag
            """,
        )
    finally:
        con.close()
    return _cast(summary, SUMMARY_SCHEMA), _cast(detail, DETAIL_SCHEMA)


def _order_sql() -> str:
    from amip.kennzahlen import FIGURE_IDS

    cases = " ".join(f"WHEN '{f}' THEN {i}" for i, f in enumerate(FIGURE_IDS))
    return f"CASE figure {cases} ELSE {len(FIGURE_IDS)} END"


def _arrow(con: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    """The whole result of ``sql`` as an Arrow table (read before the next query on ``con``)."""
    result = con.execute(sql).arrow()
    return result.read_all() if isinstance(result, pa.RecordBatchReader) else result


def _cast(table: pa.Table, schema: pa.Schema) -> pa.Table:
    return pa.table({f.name: table.column(f.name).cast(f.type) for f in schema}, schema=schema)


_FIGURE_LIST = re.compile(r"[,\s]+")


def figure_list(given: Sequence[str] | None) -> list[str] | None:
    """``--figure K2 --figure K1E2`` or ``--figure K2,K1E2``: the known § 48a figure ids (ValueError
    for an unknown one); None for none given."""
    from amip.kennzahlen import FIGURE_IDS

    if not given:
        return None
    ids = [p.upper() for g in given for p in _FIGURE_LIST.split(g) if p]
    unknown = [f for f in ids if f not in FIGURE_IDS]
    if unknown:
        raise ValueError(f"unknown figure {unknown[0]!r} (the revisions cover {', '.join(FIGURE_IDS)})")
    return ids


__all__ = [
    "DETAIL_SCHEMA",
    "STATE_SCHEMA",
    "SUMMARY_SCHEMA",
    "VALUES_SCHEMA",
    "FigureFunction",
    "Revisions",
    "Source",
    "compute_revisions",
    "compute_states",
    "engine_figures",
    "figure_list",
    "open_source",
    "parse_day",
]
