"""The figure cache: computed once per data import, cached beside the warehouse, read per request
by the cockpit and the domain packages (forecast, planning, reports, worklists, DQM).

``build`` runs the engine over the last (up to) 60 covered months with ``members=True`` and keeps
  - ``figures``: the contract's output rows (job center x month x figure x sex),
  - ``series``: the monthly counts behind them,
  - ``members``: the persons behind every monthly count, as month ranges,
  - ``unit_figures``: every person-based figure again per office and per team, where ``caseload``
    exists: the members are grouped by the office/team a person is assigned to at the Stichtag of
    each month, and the very same figure definitions (``Figure.shape``) are evaluated on that
    series (one definition per figure; only the grouping differs).
The cache file (``<warehouse>.cockpit.duckdb``) records the warehouse's identity (size,
modification time, inode) and the engine's rules version (``engine.RULES_VERSION``); a new
import or a new rules version makes it stale and the next ``FigureStore.open`` rebuilds
it (written to a temporary file and moved into place under the cache's lock, so a failed build
leaves the old cache untouched and two processes never build it at once). A build during which
the warehouse was replaced is thrown away and made again: a cache never mixes two imports.

A ``FigureStore`` is one snapshot: it keeps the cache and the warehouse it was built from open
(an import replaces the warehouse file by a rename, so the open files keep the old data), and
``connect()`` gives a connection to exactly that warehouse. A running cockpit follows new imports
with a ``LiveStore``: each request takes one snapshot (``LiveStore.current()``); when the
warehouse file changed, the new store is built in the background and replaces the old one in one
step, and until then pages say that a new data state is being prepared.

``FigureStore`` holds the small tables in memory (pandas) for page rendering and answers the
person-level questions (who is behind a count) with DuckDB over the cached members and the
warehouse's person tables, restricted in SQL to what the asking user may see.

The figures package sits below the domain packages, so the tables a higher package keeps in the
cache (the forecasts of ``amip.forecast``) are written by a *cache extension* that package
registers on import (:func:`register_extension`); the cache records the extensions it was built
with, and a cache lacking one registered in the opening process is stale and built again.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import ibis
import pandas as pd
import pyarrow as pa

from amip import duck
from amip.figures.extensions import EXTENSIONS, CacheExtension, register_extension  # noqa: F401 (re-exported)
from amip.kennzahlen import FIGURES, datastates, revisions
from amip.kennzahlen import steering as steering_figures
from amip.kennzahlen.backends import ibis_backend, warehouse_connection
from amip.kennzahlen.calendar import month_str, parse_month, stichtag
from amip.kennzahlen.engine import RULES_VERSION, assemble, compute, with_lags
from amip.kennzahlen.series import COUNT_COLUMNS, FLAG_COLUMNS
from amip.warehouse.deliveries import deliveries as warehouse_deliveries
from amip.warehouse.jobcenters import fallback_name, home_jobcenters, names, short_name
from amip.warehouse.store import exclusive, replacing

log = logging.getLogger(__name__)

# 5: steering figures S3-S6 (rules version 2); 6: the persons behind S3-S5; 7: calibrated forecast
# intervals and their coverage (forecast_coverage); 8: data states (as_of, data_state), deliveries,
# revisions, revision_detail, revision_values
CACHE_VERSION = "8"
MAX_MONTHS = 60
UNIT_KINDS = ("office", "team")
UNASSIGNED = "ohne Zuordnung"
SEP = "\x1f"  # joins job center, unit kind and unit into one group key for the engine's assembly
FIGURE_BY_ID = {f.id: f for f in FIGURES}
AGE_GROUPS = ("15 bis unter 25", "25 bis unter 55", "55 und älter")
# Counts whose persons carry their attributes (office, team; for integrations also sex, single
# parent and LZB in the engine) from ST(m-1): the integration search (kennzahlen.md) and the exits,
# whose persons were last in the stock at ST(m-1). All other counts use ST(m).
ATTRIBUTES_AT_PREVIOUS_STICHTAG = (
    "int",
    "int_sp",
    "int_lzb",
    "gb",
    "pub",
    "svb_int",
    "svb_cont",
    "exits",
    "lzb_exits",
    "ext_int",
    "s3",
    "s4",
    "s5",
)
# The persons behind the steering figures S3 - S5 (steering.MEMBER_BLOCKS) are in ``members`` too,
# for the drill-down only (no office/team figures are made of them).
STEERING_BLOCKS = steering_figures.MEMBER_BLOCKS


T = TypeVar("T")
MEMO_SIZE = 2048  # results a store keeps in its memo (FigureStore.memo), least recently used leave first


def cache_path(warehouse: Path) -> Path:
    warehouse = Path(warehouse)
    return warehouse.with_name(warehouse.stem + ".cockpit.duckdb")


def fingerprint(warehouse: Path) -> str:
    """Cache layout, rules version of kennzahlen.md and the warehouse file's identity: an import
    writes a new file and renames it over the old one, so size, modification time and inode change
    together; a cache built under another rules version (or before versions were recorded) is stale."""
    st = Path(warehouse).stat()
    return f"v{CACHE_VERSION}:r{RULES_VERSION}:{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"


CACHE_BUILD_WAIT = 3600.0  # seconds a cockpit waits for another process building the same cache
BUILD_ATTEMPTS = 3


class WarehouseChanged(RuntimeError):
    """The warehouse was replaced (a new import) while its figures were being computed."""


# ---- cache extensions (amip.figures.extensions): tables of higher packages kept in the cache ----

# The cache's forecast tables, as ``FigureStore.forecast()``/``backtest()`` return them (written by
# ``amip.forecast.pipeline``, which uses these lists).
FORECAST_COLUMNS = [
    "jobcenter_id",
    "series",
    "sex",
    "origin",
    "month",
    "model",
    "mean",
    "lo80",
    "hi80",
    "lo95",
    "hi95",
    "sd",
]
BACKTEST_COLUMNS = ["jobcenter_id", "series", "sex", "model", "mape", "chosen", "points", "basis"]
# Coverage (%) of the 80 % / 95 % bands in the backtest: the model's own bands, the calibrated ones
# (leave-one-origin-out) and calibrated on the older half of the origins (evaluated on the newer).
COVERAGE_COLUMNS = [
    "jobcenter_id",
    "series",
    "sex",
    "model",
    "calibrated",
    "pairs",
    "coverage80_model",
    "coverage95_model",
    "coverage80",
    "coverage95",
    "coverage80_split",
    "coverage95_split",
    "split_pairs",
    "basis",
]


def _fresh(cache: Path, warehouse: Path) -> bool:
    """The cache exists, is of this import and rules version, and has every registered extension."""
    if not cache.exists():
        return False
    meta = _cached_meta(cache)
    return (
        meta is not None
        and meta.get("fingerprint") == fingerprint(warehouse)
        and set(EXTENSIONS) <= set(meta.get("extensions", ()))
    )


# ---- building the cache ---------------------------------------------------------------------------


def build(warehouse: Path, progress: Callable[[str], None] | None = None, lock: bool = True) -> Path:
    """Compute everything the cockpit shows for ``warehouse`` and write the cache file atomically
    (holding the cache's lock unless ``lock=False``: the caller holds it). When an import replaces
    the warehouse meanwhile, the build starts again (:class:`WarehouseChanged` after
    ``BUILD_ATTEMPTS``)."""
    if lock:
        with exclusive(cache_path(warehouse), wait=CACHE_BUILD_WAIT):
            return build(warehouse, progress, lock=False)
    for attempt in range(BUILD_ATTEMPTS):
        try:
            return _build(Path(warehouse), progress)
        except WarehouseChanged:
            if attempt == BUILD_ATTEMPTS - 1:
                raise
            log.info("warehouse %s replaced during the cockpit build; building again", warehouse)
    raise AssertionError("unreachable")


def _build(warehouse: Path, progress: Callable[[str], None] | None) -> Path:
    say = progress or (lambda _m: None)
    before = fingerprint(warehouse)
    with warehouse_connection(db=warehouse) as wcon, ibis_backend(wcon) as be:
        first_cov, last_cov = wcon.execute("SELECT first_month, last_month FROM dataset").fetchone()
        names = {r[0] for r in wcon.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        last = parse_month(last_cov)
        first = max(parse_month(first_cov), last - MAX_MONTHS + 1)
        result = compute(be, month_str(first), month_str(last), progress=say, members=True)
        # The steering figures (S1, S2, L1-L3, P1, P1J, E1, B1) go into ``figures`` too, so pages can
        # read them with value()/history(); available_figures() still lists the § 48a figures only.
        steering = steering_figures.compute_result(be, month_str(first), month_str(last), progress=say, members=True)
        figures = steering_figures.combine(result.table, steering.table)
        home = home_jobcenters(wcon)
        history = warehouse_deliveries(wcon)
    # every figure as of the latest delivery, with its data state (datastates)
    figures = datastates.with_states(figures, history[-1].as_of)
    revised = _revisions(warehouse, history, home, say)
    say("figures by office and team")
    target = cache_path(warehouse)
    with replacing(target, lock=False) as con:
        con.execute("SET enable_progress_bar = false")
        con.register("_figures", figures)
        con.execute("CREATE TABLE figures AS SELECT * FROM _figures")
        con.register("_series", result.series)
        con.execute("CREATE TABLE series AS SELECT * FROM _series")
        con.register("_members", pa.concat_tables([result.members, steering.members.cast(result.members.schema)]))
        con.execute("CREATE TABLE members AS SELECT * FROM _members")
        for name in ("_figures", "_series", "_members"):
            con.unregister(name)
        _write_deliveries(con, history, revised)
        has_caseload = "caseload" in names
        if has_caseload:
            _unit_figures(con, warehouse, first, last, result.skipped)
        extensions = sorted(EXTENSIONS)
        for name in extensions:  # e.g. amip.forecast: forecasts, forecast_backtest, forecast_coverage, forecast_paths
            EXTENSIONS[name](con, say, home)
        if fingerprint(warehouse) != before:  # both reads of the warehouse must be of one import
            raise WarehouseChanged(f"warehouse {warehouse} was replaced during the build")
        meta = {
            "fingerprint": before,
            "rules_version": RULES_VERSION,
            "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "first_month": month_str(first),
            "last_month": month_str(last),
            "coverage": [first_cov, last_cov],
            "skipped": result.skipped,
            "steering_skipped": steering.skipped,
            "caseload": has_caseload,
            "tables": sorted(names),
            "jobcenters": home,
            "extensions": extensions,
            "deliveries": len(history),
            "revision_seconds": round(revised.seconds, 1) if revised else 0.0,
            # engine runs of the revisions, and deliveries whose values came from the previous cache
            "revision_runs": revised.deliveries if revised else 0,
            "revision_reused": revised.reused if revised else 0,
        }
        con.execute("CREATE TABLE meta (value VARCHAR)")
        con.execute("INSERT INTO meta VALUES (?)", [json.dumps(meta)])
    return target


DELIVERY_COLUMNS = ["as_of", "first_month", "last_month", "imported_at", "source"]


def _revisions(
    warehouse: Path, history: list, home: list[str], say: Callable[[str], None]
) -> revisions.Revisions | None:
    """The revisions of the home job centers' § 48a figures (None with one delivery: nothing to
    revise). The expensive part of a build: one engine run per delivery that serves a month."""
    if len(history) < 2:
        return None

    def step(done: int, total: int, day: dt.date) -> None:
        if done < total:
            say(f"revisions: delivery {done + 1} of {total} ({day:%d.%m.%Y})")

    known = _previous_values(cache_path(warehouse))
    return revisions.compute_revisions(revisions.Source(history, db=warehouse), jobcenters=home, step=step, known=known)


def _previous_values(cache: Path) -> pa.Table | None:
    """The per-delivery values of the cache being replaced (``revision_values``), when it has the
    same layout and rules version: a delivery's values do not change until it is replaced, so a
    new import computes only the months its deliveries have not computed yet."""
    meta = _cached_meta(cache) if cache.exists() else None
    if meta is None or not str(meta.get("fingerprint", "")).startswith(f"v{CACHE_VERSION}:r{RULES_VERSION}:"):
        return None
    con = duck.connect()
    try:
        con.execute(f"ATTACH '{cache}' AS c (READ_ONLY)")
        result = con.execute("SELECT * FROM c.revision_values").arrow()
        return result.read_all() if isinstance(result, pa.RecordBatchReader) else result
    except duckdb.Error:
        return None
    finally:
        con.close()


def _write_deliveries(con: duckdb.DuckDBPyConnection, history: list, revised: revisions.Revisions | None) -> None:
    """The cache tables ``deliveries``, ``revisions`` and ``revision_detail`` (empty without revisions)."""
    listing = pa.table(
        {
            "as_of": pa.array([d.as_of for d in history], pa.date32()),
            "first_month": pa.array([d.first_month for d in history], pa.string()),
            "last_month": pa.array([d.last_month for d in history], pa.string()),
            "imported_at": pa.array([d.imported_at for d in history], pa.string()),
            "source": pa.array([d.source for d in history], pa.string()),
        }
    )
    summary = revised.summary if revised else revisions.SUMMARY_SCHEMA.empty_table()
    detail = revised.detail if revised else revisions.DETAIL_SCHEMA.empty_table()
    values = revised.values if revised and revised.values is not None else revisions.VALUES_SCHEMA.empty_table()
    tables = (("deliveries", listing), ("revisions", summary), ("revision_detail", detail), ("revision_values", values))
    for name, table in tables:
        con.register("_t", table)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM _t")
        con.unregister("_t")


def _unit_figures(
    con: duckdb.DuckDBPyConnection, warehouse: Path, first: int, last: int, skipped: dict[str, str]
) -> None:
    """``unit_figures``: the person-based figures per office and team (assignment at each Stichtag)."""
    lo, hi = con.execute("SELECT min(midx), max(midx) FROM series").fetchone()
    con.execute(f"ATTACH '{warehouse}' AS w (READ_ONLY)")
    months = pa.table({"midx": list(range(lo, hi + 1))})
    con.register("_months", months)
    # The office and team of each person at each Stichtag (the latest-starting caseload row if
    # several cover it): a row covers ST(m) for m from its start's month to the month before the
    # one holding end + 1.
    month_idx = "(year({d}) * 12 + month({d}) - 1)"
    first_m = month_idx.format(d="start_date")
    last_m = f"coalesce({month_idx.format(d='(end_date + 1)')} - 1, {hi})"
    con.execute(f"""
        CREATE TEMP TABLE assigned AS
        SELECT person_id, midx, arg_max(office, start_date) AS office, arg_max(team_id, start_date) AS team
        FROM (SELECT person_id, office, team_id, start_date,
                     unnest(range(greatest({first_m}, {lo}), least({last_m}, {hi}) + 1)) AS midx
              FROM w.caseload)
        GROUP BY ALL
    """)
    # Each member-month with the unit at the Stichtag the count takes its attributes from.
    lagged = ", ".join(f"'{b}'" for b in ATTRIBUTES_AT_PREVIOUS_STICHTAG)
    con.execute(f"""
        CREATE TEMP TABLE member_units AS
        WITH mm AS (
            SELECT jobcenter_id, block, person_id, sex, unnest(range(m0, m1 + 1)) AS midx FROM members
            WHERE block NOT IN ({", ".join(f"'{b}'" for b in STEERING_BLOCKS)})
        ), a AS (
            SELECT mm.jobcenter_id, mm.block, mm.sex, mm.midx, x.office, x.team
            FROM mm LEFT JOIN assigned x
              ON x.person_id = mm.person_id
             AND x.midx = mm.midx - CASE WHEN mm.block IN ({lagged}) THEN 1 ELSE 0 END
        )
        SELECT jobcenter_id, block, sex, midx, 'office' AS kind, coalesce(office, '{UNASSIGNED}') AS unit FROM a
        UNION ALL
        SELECT jobcenter_id, block, sex, midx, 'team' AS kind, coalesce(team, '{UNASSIGNED}') AS unit FROM a
    """)
    # Every person-based count the engine made, also when nobody is behind it (e.g. no LZB yet):
    # a count of zero, not a missing count.
    in_series = {c for (c, *_rest) in con.execute("DESCRIBE series").fetchall()}
    blocks = [c for c in COUNT_COLUMNS if c in in_series and c not in ("llu", "luh")]
    counts = ", ".join(f"count(*) FILTER (WHERE block = '{b}') AS \"{b}\"" for b in blocks)
    flags = ", ".join(FLAG_COLUMNS)
    sep = SEP
    con.execute(f"""
        CREATE TEMP TABLE unit_series AS
        WITH units AS (SELECT DISTINCT jobcenter_id, kind, unit FROM member_units),
        grid AS (
            SELECT u.jobcenter_id, u.kind, u.unit, k.midx, s.sex
            FROM units u CROSS JOIN _months k CROSS JOIN (VALUES ('m'), ('w'), ('d')) s(sex)
        ),
        n AS (SELECT jobcenter_id, kind, unit, midx, sex, {counts} FROM member_units GROUP BY ALL),
        by_sex AS (
            SELECT g.jobcenter_id || '{sep}' || g.kind || '{sep}' || g.unit AS jobcenter_id, g.midx, g.sex,
                   {", ".join(f'coalesce(n."{b}", 0) AS "{b}"' for b in blocks)}
            FROM grid g LEFT JOIN n USING (jobcenter_id, kind, unit, midx, sex)
        ),
        both_ AS (
            SELECT * FROM by_sex
            UNION ALL
            SELECT jobcenter_id, midx, 'all' AS sex, {", ".join(f'sum("{b}") AS "{b}"' for b in blocks)}
            FROM by_sex GROUP BY jobcenter_id, midx
        ),
        flags AS (SELECT DISTINCT midx, {flags} FROM series)
        SELECT both_.*, {flags} FROM both_ JOIN flags USING (midx)
    """)
    con.unregister("_months")
    gone = {c: "not in the data" for c in COUNT_COLUMNS if c not in blocks}
    gone.update({c: "not person based" for c in ("llu", "luh")})
    gone.update({fid: why for fid, why in skipped.items()})
    be = ibis.duckdb.from_connection(con)
    table, _ = assemble(with_lags(be.table("unit_series")), first, last, gone, be)
    parts = pa.compute.split_pattern(table.column("jobcenter_id"), SEP)
    unit_table = pa.table(
        {
            "jobcenter_id": pa.array([p[0] for p in parts.to_pylist()], pa.string()),
            "kind": pa.array([p[1] for p in parts.to_pylist()], pa.string()),
            "unit": pa.array([p[2] for p in parts.to_pylist()], pa.string()),
            **{c: table.column(c) for c in ("month", "figure", "sex", "numerator", "denominator", "value")},
        }
    )
    con.register("_units", unit_table)
    con.execute("CREATE TABLE unit_figures AS SELECT * FROM _units")
    con.unregister("_units")
    con.execute("DETACH w")


# ---- reading the cache ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Which persons a user may see: all (controlling), one team, one caseload, or none."""

    kind: str  # "all" | "team" | "caseload" | "none"
    value: str | None = None


class FigureStore:
    """The cached figures of one warehouse, in memory, plus person-level queries."""

    def __init__(self, warehouse: Path, cache: Path):
        self.warehouse = Path(warehouse)
        self.cache = Path(cache)
        # A private in-memory database with both files attached read-only: DuckDB shares one
        # instance per file path within a process, which would outlive a rebuilt cache.
        con = duck.connect()
        con.execute("SET enable_progress_bar = false")
        con.execute(f"ATTACH '{self.cache}' AS c (READ_ONLY)")
        con.execute("USE c")
        self.meta = json.loads(con.execute("SELECT value FROM meta").fetchone()[0])
        self.figures = con.execute("SELECT * FROM figures").df()
        self.series = con.execute("SELECT * FROM series").df()
        tables = {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'c'"
            ).fetchall()
        }
        self.unit_figures = con.execute("SELECT * FROM unit_figures").df() if "unit_figures" in tables else None
        self.forecasts = con.execute("SELECT * FROM forecasts").df() if "forecasts" in tables else None
        self.forecast_backtest = (
            con.execute("SELECT * FROM forecast_backtest").df() if "forecast_backtest" in tables else None
        )
        self.forecast_coverage = (
            con.execute("SELECT * FROM forecast_coverage").df() if "forecast_coverage" in tables else None
        )
        self._deliveries = con.execute("SELECT * FROM deliveries ORDER BY as_of").df()
        self._revisions = con.execute("SELECT * FROM revisions").df()
        self._revision_detail = con.execute("SELECT * FROM revision_detail").df()
        for frame in (self.figures, self._deliveries, self._revision_detail):
            for col in ("as_of", "final_as_of"):
                if col in frame:  # as dates (a few distinct days: convert each once)
                    frame[col] = frame[col].map({v: _day(v) for v in frame[col].unique()})
        con.execute(f"ATTACH '{self.warehouse}' AS w (READ_ONLY)")
        self._con = con
        self._lock = threading.Lock()
        self._memo: OrderedDict[Hashable, Any] = OrderedDict()
        self._memo_lock = threading.Lock()
        self.warehouse_tables = set(self.meta["tables"])
        # The cockpit works for the warehouse's home job centers (amip.warehouse.jobcenters); other
        # job centers' spells only count for durations, their figures are not shown.
        self.jobcenters = list(self.meta["jobcenters"])
        # Their names from the warehouse's optional ``jobcenters`` table, read with the snapshot
        # (no cache layout change: the warehouse attached is the one the cache was built from).
        self.names = names(con, "w.")
        self.figures = self.figures[self.figures["jobcenter_id"].isin(self.jobcenters)].reset_index(drop=True)
        self.months = sorted(self.figures["month"].unique().tolist())
        self.latest = self.months[-1] if self.months else None
        self._index = self.figures.set_index(["jobcenter_id", "figure", "sex", "month"]).sort_index()

    @classmethod
    def open(cls, warehouse: Path, progress: Callable[[str], None] | None = None) -> FigureStore:
        """Load the cache of ``warehouse``, building it first when missing or stale; the store
        returned holds figures and warehouse of one and the same import."""
        warehouse = Path(warehouse)
        if not warehouse.exists():
            raise FileNotFoundError(
                f"warehouse not found: {warehouse} (create it with 'amip import DIR --db {warehouse}')"
            )
        cache = cache_path(warehouse)
        for _attempt in range(BUILD_ATTEMPTS):
            if not _fresh(cache, warehouse):
                with exclusive(cache, wait=CACHE_BUILD_WAIT):
                    # Another process may have built it while this one waited for the lock.
                    if not _fresh(cache, warehouse):
                        build(warehouse, progress, lock=False)
            store = cls(warehouse, cache)
            # The warehouse attached must be the one the cache was built from (no import between).
            if store.meta.get("fingerprint") == fingerprint(warehouse):
                return store
            store.close()
        raise WarehouseChanged(f"warehouse {warehouse} keeps changing (imports running); try again")

    def memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``, computed once per store and ``key``: for what depends only on this
        import's figures and warehouse and on ``key`` (name and arguments of the computation), never
        on the state database, the user or the clock. A new import brings a new store and so an
        empty memo. The result is shared by every request: callers must not change it. At most
        ``MEMO_SIZE`` results are kept; two requests asking at once may both compute it."""
        with self._memo_lock:
            if key in self._memo:
                self._memo.move_to_end(key)
                return self._memo[key]
        value = compute()
        with self._memo_lock:
            self._memo[key] = value
            self._memo.move_to_end(key)
            while len(self._memo) > MEMO_SIZE:
                self._memo.popitem(last=False)
        return value

    @property
    def generation(self) -> str:
        """The identity of the warehouse file this store was built from (see :func:`fingerprint`)."""
        return str(self.meta.get("fingerprint"))

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A new connection to the very warehouse this store was built from (read-only, its tables
        by plain name), also after an import replaced the file: documents and pages read the
        warehouse through it, never by path, so one request never mixes two imports. Close it
        after use; it is valid while the store is open."""
        cur = self._con.cursor()
        cur.execute("USE w")
        return cur

    def close(self) -> None:
        self._con.close()

    def jobcenter_name(self, jobcenter: str) -> str:
        """``Jobcenter Elbe-Elster`` from the warehouse's ``jobcenters`` table, else
        ``Jobcenter <id>`` (amip.warehouse.jobcenters)."""
        return self.names.get(jobcenter) or fallback_name(jobcenter)

    def jobcenter_short_name(self, jobcenter: str) -> str:
        """The name without its leading "Jobcenter " (``Elbe-Elster``; ``12062`` without a name),
        for texts that say "das Jobcenter …" themselves."""
        return short_name(self.jobcenter_name(jobcenter))

    # -- figures -------------------------------------------------------------------------------

    @property
    def has_caseload(self) -> bool:
        return self.unit_figures is not None

    def skipped(self) -> dict[str, str]:
        return dict(self.meta.get("skipped", {}))

    def available_figures(self) -> list[str]:
        def available() -> list[str]:
            present = set(self.figures["figure"].unique())
            return [f.id for f in FIGURES if f.id in present]

        return list(self.memo(("available_figures",), available))

    def value(self, jobcenter: str, figure: str, month: str, sex: str = "all") -> dict | None:
        """numerator, denominator, value of one figure (None where not computed), with ``as_of``
        (the delivery, a date) and ``data_state`` (``final``, ``provisional_0`` … ``_2``)."""
        pos = self._figure_rows(jobcenter).get((figure, sex, month))
        if pos is None:
            return None
        cols = self._figure_columns()
        return {
            **{k: _num(cols[k][pos]) for k in ("numerator", "denominator", "value")},
            "as_of": cols["as_of"][pos],
            "data_state": cols["data_state"][pos],
        }

    def _figure_rows(self, jobcenter: str) -> dict[tuple[str, str, str], int]:
        """{(figure, sex, month): row of ``figures``} of one job center, built once per store and job
        center (a page asks for dozens of values; a pandas ``.loc`` on the MultiIndex cost about a
        millisecond each; per job center so that a national store does not hold millions of keys)."""

        def rows() -> dict[tuple[str, str, str], int]:
            f = self.figures
            at = (f["jobcenter_id"] == jobcenter).to_numpy().nonzero()[0]
            keys = zip(f["figure"].to_numpy()[at], f["sex"].to_numpy()[at], f["month"].to_numpy()[at], strict=True)
            return {(str(fig), str(sx), str(m)): int(i) for i, (fig, sx, m) in zip(at, keys, strict=True)}

        return self.memo(("figure_rows", jobcenter), rows)

    def _figure_columns(self) -> dict:
        """The columns ``value`` reads, as arrays (once per store)."""
        cols = ("numerator", "denominator", "value", "as_of", "data_state")
        return self.memo(("figure_columns",), lambda: {c: self.figures[c].to_numpy() for c in cols})

    def history(
        self, jobcenter: str, figure: str, sex: str = "all", last: str | None = None, months: int = 60
    ) -> pd.DataFrame:
        """month, numerator, denominator, value, as_of, data_state for up to ``months`` months
        ending at ``last``."""
        cols = ["month", "numerator", "denominator", "value", "as_of", "data_state"]

        def whole() -> pd.DataFrame | None:
            try:
                return self._index.loc[(jobcenter, figure, sex)].reset_index()
            except KeyError:
                return None

        t = self.memo(("history", jobcenter, figure, sex), whole)  # each row of a page asks; filtered copies below
        if t is None:
            return pd.DataFrame(columns=cols)
        if last:
            t = t[t["month"] <= last]
        return t.tail(months)[cols].reset_index(drop=True)

    # -- deliveries and revisions (docs/datastates.md) ------------------------------------------

    def deliveries(self) -> list[dict]:
        """The warehouse's deliveries, oldest first: as_of (a date), first_month, last_month,
        imported_at, source."""
        found = self.memo(("deliveries",), lambda: self._deliveries[DELIVERY_COLUMNS].to_dict("records"))
        return [dict(d) for d in found]  # every page footer asks: read once per store, copied

    def revisions(self, jobcenter: str) -> pd.DataFrame:
        """The revision statistics of ``jobcenter``: figure, sex, lag, months, mean, mean_abs, p05,
        p95, flips (percentage points; empty with one delivery)."""
        r = self._revisions
        return r[r["jobcenter_id"] == jobcenter].reset_index(drop=True)

    def revision_detail(self, jobcenter: str, figure: str, sex: str = "all") -> pd.DataFrame:
        """The revision of every Bezugsmonat and lag: month, lag, as_of, value, final_as_of,
        final_value, revision."""
        r = self._revision_detail
        t = r[(r["jobcenter_id"] == jobcenter) & (r["figure"] == figure) & (r["sex"] == sex)]
        return t.sort_values(["month", "lag"]).reset_index(drop=True)

    def band(self, jobcenter: str, figure: str, sex: str = "all", lag: int = 0) -> dict | None:
        """How far a provisional value at ``lag`` was from the BA-comparable one in the past: mean,
        p05, p95 (percentage points; the final value lay in [value - p95, value - p05] in 90 % of
        the months) and months; None without revisions for it. Read once per store (every value
        shown with its data state asks)."""
        found = self.memo(("band", jobcenter, figure, sex, lag), lambda: self._band(jobcenter, figure, sex, lag))
        return None if found is None else dict(found)

    def _band(self, jobcenter: str, figure: str, sex: str, lag: int) -> dict | None:
        r = self._revisions
        t = r[(r["jobcenter_id"] == jobcenter) & (r["figure"] == figure) & (r["sex"] == sex) & (r["lag"] == lag)]
        if not len(t):
            return None
        row = t.iloc[0]
        return {
            "mean": _num(row["mean"]),
            "p05": _num(row["p05"]),
            "p95": _num(row["p95"]),
            "months": int(row["months"]),
        }

    def monthly_parts(self, jobcenter: str, figure: str, month: str, sex: str = "all") -> list[dict]:
        """The monthly counts behind the figure's numerator and denominator in Bezugsmonat ``month``:
        one row per month involved, with the count of each side in that month (None where the side
        does not use the month)."""
        parts = FIGURE_BY_ID[figure].shape.parts()
        m = parse_month(month)
        rows: dict[int, dict] = {}
        for side, part in parts.items():
            for back in part.months:
                midx = m - back
                row = rows.setdefault(midx, {"month": month_str(midx), "numerator": None, "denominator": None})
                row[f"{side}_column"] = part.column
                row[side] = self.count(jobcenter, part.column, month_str(midx), sex)
        return [rows[k] for k in sorted(rows)]

    def count(self, jobcenter: str, column: str, month: str, sex: str = "all") -> float | None:
        """The series' count ``column`` of (job center, sex, month); None where it is missing or NULL.
        A dictionary look-up (the pages ask for hundreds of counts per request; a pandas ``.loc`` on
        the MultiIndex cost about 0.2 ms each)."""
        pos = self._series_rows().get((jobcenter, sex, month))
        if pos is None:
            return None
        values = self._series_column(column)
        if values is None:
            return None
        v = values[pos]
        return None if v != v else float(v)  # NaN: NULL in the cache

    def _series_rows(self) -> dict[tuple[str, str, str], int]:
        """{(job center, sex, month): row of ``series``}, built once per store."""

        def rows() -> dict[tuple[str, str, str], int]:
            keys = zip(self.series["jobcenter_id"], self.series["sex"], self.series["month"], strict=True)
            return {(str(j), str(s), str(m)): i for i, (j, s, m) in enumerate(keys)}

        return self.memo(("series_rows",), rows)

    def _series_column(self, column: str):
        """One column of ``series`` as a float array (NULL as NaN), once per store; None when the
        series has no such column."""
        if column not in self.series.columns:
            return None

        def values():
            import numpy as np

            return pd.to_numeric(self.series[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)

        return self.memo(("series_column", column), values)

    def forecast(self, jc: str, series: str, sex: str = "all") -> pd.DataFrame:
        """The forecast of ``series`` (elb, lzb, integrations, llu, luh) for ``jc`` and ``sex``, one row
        per future month (columns as the cache's ``forecasts`` table; empty when there is none)."""
        f = self.forecasts
        if f is None:
            return pd.DataFrame(columns=FORECAST_COLUMNS)

        def one() -> pd.DataFrame:
            t = f[(f.jobcenter_id == jc) & (f.series == series) & (f.sex == sex)]
            return t.sort_values("month").reset_index(drop=True)

        return self.memo(("forecast", jc, series, sex), one).copy()  # the planning pages ask often

    def backtest(self, jc: str) -> pd.DataFrame:
        """MAPE per series, sex and model of the rolling-origin backtest for ``jc`` (when the model was
        chosen on a sample of job centers, the rows are that sample's, see the ``basis`` column)."""
        b = self.forecast_backtest
        if b is None:
            return pd.DataFrame(columns=BACKTEST_COLUMNS)
        t = b[b.jobcenter_id == jc]
        if not len(t) and len(b):  # not in the sample: the sample's mean MAPE (pooled choice)
            t = b.groupby(["series", "sex", "model"], as_index=False).agg(
                mape=("mape", "mean"), chosen=("chosen", "max"), points=("points", "sum"), basis=("basis", "first")
            )
            t.insert(0, "jobcenter_id", jc)
        return t[BACKTEST_COLUMNS].reset_index(drop=True)

    def coverage(self, jc: str) -> pd.DataFrame:
        """Coverage of the forecast intervals of ``jc`` in the backtest, per series and sex (columns
        ``COVERAGE_COLUMNS``; empty for a cache without it)."""
        c = self.forecast_coverage
        if c is None:
            return pd.DataFrame(columns=COVERAGE_COLUMNS)
        return c[c.jobcenter_id == jc][COVERAGE_COLUMNS].reset_index(drop=True)

    def forecast_paths(self, jc: str, series: str, sex: str = "all"):
        """The stored simulated paths (numpy array paths x forecast months, read-only) and their
        origin (last data month), or None; read once per store."""
        return self.memo(("forecast_paths", jc, series, sex), lambda: self._forecast_paths(jc, series, sex))

    def _forecast_paths(self, jc: str, series: str, sex: str):
        import numpy as np

        with self._lock:
            try:
                rows = self._con.execute(
                    'SELECT origin, "values" FROM forecast_paths WHERE jobcenter_id = ? AND series = ? AND sex = ? '
                    "ORDER BY path",
                    [jc, series, sex],
                ).fetchall()
            except duckdb.Error:
                return None
        if not rows:
            return None
        paths = np.array([r[1] for r in rows], dtype=float)
        paths.flags.writeable = False  # shared by every request (memo)
        return paths, rows[0][0]

    def by_unit(self, jobcenter: str, figure: str, month: str, kind: str, sex: str = "all") -> pd.DataFrame:
        """unit, numerator, denominator, value per office or team (empty without caseload)."""
        if self.unit_figures is None:
            return pd.DataFrame(columns=["unit", "numerator", "denominator", "value"])
        u = self.unit_figures
        t = u[
            (u.jobcenter_id == jobcenter)
            & (u.kind == kind)
            & (u.figure == figure)
            & (u.month == month)
            & (u.sex == sex)
        ]
        return t[["unit", "numerator", "denominator", "value"]].sort_values("unit").reset_index(drop=True)

    def ranking(self, figure: str, month: str, sex: str = "all", higher_is_better: bool = True) -> pd.DataFrame:
        """Every job center's value of ``figure`` in ``month``: jobcenter_id, numerator,
        denominator, value, rank (1 = most favourable; NULL values last, unranked) and third
        (``oben``/``mitte``/``unten`` of the ranked job centers)."""
        f = self.figures
        t = f[(f.figure == figure) & (f.month == month) & (f.sex == sex)][
            ["jobcenter_id", "numerator", "denominator", "value"]
        ]
        t = t.sort_values(
            ["value", "jobcenter_id"], ascending=[not higher_is_better, True], na_position="last"
        ).reset_index(drop=True)
        known = int(t["value"].notna().sum())
        t["rank"] = [i + 1 if pd.notna(v) else None for i, v in enumerate(t["value"])]
        t["third"] = [_third(r, known) for r in t["rank"]]
        return t

    # -- persons -------------------------------------------------------------------------------

    @lru_cache(maxsize=256)  # noqa: B019 - one store per process; results are immutable per import
    def _persons(self, jobcenter: str, column: str, month: str, scope: Scope) -> pd.DataFrame:
        midx = parse_month(month)
        st = stichtag(midx - (1 if column in ATTRIBUTES_AT_PREVIOUS_STICHTAG else 0))
        has = self.warehouse_tables
        caseload = (
            "SELECT person_id, arg_max(office, start_date) AS office, arg_max(team_id, start_date) AS team, "
            "arg_max(caseworker_id, start_date) AS caseworker FROM w.caseload "
            "WHERE start_date <= $st AND (end_date IS NULL OR end_date >= $st) GROUP BY person_id"
            if "caseload" in has
            else "SELECT NULL::VARCHAR AS person_id, NULL::VARCHAR AS office, NULL::VARCHAR AS team, NULL::VARCHAR AS caseworker WHERE false"
        )
        prognosis = (
            "SELECT person_id, arg_max(code, valid_from) AS code FROM w.prognosis WHERE valid_from <= $st GROUP BY person_id"
            if "prognosis" in has
            else "SELECT NULL::VARCHAR AS person_id, NULL::VARCHAR AS code WHERE false"
        )
        where, params = "", {"jc": jobcenter, "block": column, "midx": midx, "st": st}
        if scope.kind == "team":
            where, params["unit"] = "AND c.team = $unit", scope.value
        elif scope.kind == "caseload":
            where, params["unit"] = "AND c.caseworker = $unit", scope.value
        elif scope.kind != "all":
            raise PermissionError("no person-level access")
        sql = f"""
            WITH c AS ({caseload}), pr AS ({prognosis})
            SELECT m.person_id,
                   CASE WHEN date_diff('year', p.birth_date, $st::DATE) < 25 THEN '{AGE_GROUPS[0]}'
                        WHEN date_diff('year', p.birth_date, $st::DATE) < 55 THEN '{AGE_GROUPS[1]}'
                        ELSE '{AGE_GROUPS[2]}' END AS age_group,
                   m.sex, c.office, c.team, pr.code AS prognosis, m.times
            FROM (SELECT person_id, any_value(sex) AS sex, count(*) AS times FROM members
                  WHERE jobcenter_id = $jc AND block = $block AND $midx BETWEEN m0 AND m1
                  GROUP BY person_id) m
            JOIN w.persons p ON p.person_id = m.person_id
            LEFT JOIN c ON c.person_id = m.person_id
            LEFT JOIN pr ON pr.person_id = m.person_id
            WHERE true {where}
            ORDER BY m.person_id
        """
        with self._lock:
            return self._con.execute(sql, params).df()

    def member_counts(self, jobcenter: str, block: str, months: list[str], sex: str = "all") -> dict[str, int]:
        """How many persons are counted in ``block`` of ``jobcenter`` in each of ``months`` (every
        person of the job center, whatever the viewer's scope: an aggregate), 0 where nobody."""
        idx = [parse_month(m) for m in months]
        if not idx:
            return {}
        sql = """
            SELECT k.midx, count(m.person_id) AS n
            FROM (SELECT unnest($months::BIGINT[]) AS midx) k
            LEFT JOIN members m ON m.jobcenter_id = $jc AND m.block = $block AND k.midx BETWEEN m.m0 AND m.m1
                                   AND ($sex = 'all' OR m.sex = $sex)
            GROUP BY k.midx
        """
        with self._lock:
            rows = self._con.execute(sql, {"months": idx, "jc": jobcenter, "block": block, "sex": sex}).fetchall()
        return {month_str(int(m)): int(n) for m, n in rows}

    def persons(self, jobcenter: str, column: str, month: str, scope: Scope) -> pd.DataFrame:
        """The persons counted in series column ``column`` of ``jobcenter`` in ``month``, that
        ``scope`` allows: person_id (pseudonymous), age_group, sex, office, team, prognosis, all
        at the Stichtag the count takes its attributes from (ST(m), or ST(m-1) for integrations
        and exits); team and caseload scopes apply at that Stichtag too. ``times`` is how often
        the person is counted (ELB entries and exits count every status change, so a person can
        enter twice in a month; 1 for every other count)."""
        return self._persons(jobcenter, column, month, scope).copy()


def _cached_meta(cache: Path) -> dict | None:
    con = duck.connect()
    try:
        con.execute(f"ATTACH '{cache}' AS c (READ_ONLY)")
        return json.loads(con.execute("SELECT value FROM c.meta").fetchone()[0])
    except duckdb.Error:
        return None
    finally:
        con.close()


def _day(v) -> dt.date | None:
    """A cache DATE as read by pandas (Timestamp, datetime64 or date) as a date (None for NULL)."""
    if v is None or pd.isna(v):
        return None
    return pd.Timestamp(v).date()


def _num(v) -> float | None:
    return None if v is None or pd.isna(v) else float(v)


def _third(rank, known: int) -> str | None:
    """Top, middle or bottom third of the ``known`` ranked values."""
    if rank is None or pd.isna(rank) or known == 0:
        return None
    share = (rank - 1) / known
    return "oben" if share < 1 / 3 else ("mitte" if share < 2 / 3 else "unten")


# ---- a running cockpit: following new imports -------------------------------------------------


class LiveStore:
    """The figure store of a running cockpit, following the warehouse across imports.

    ``current()`` is called once per request and returns the store the whole request uses. It
    looks at the warehouse file's identity (one ``stat``); when an import replaced the file, a new
    store is opened in a background thread (its cache built if needed) while requests go on with
    the old one, and ``preparing`` is true. The new store then replaces the old one in one
    assignment: all caches hang on the store (page cache, person lists, forecasts), so they switch
    together. A store that is replaced is not closed: requests still holding it finish with it,
    and it is freed with its last reference."""

    def __init__(
        self, warehouse: Path, store: FigureStore | None = None, on_switch: Callable[[FigureStore], None] | None = None
    ):
        self.warehouse = Path(warehouse)
        self._store = store
        self._on_switch = on_switch
        self._lock = threading.Lock()
        self._builder: threading.Thread | None = None
        self._failed: str | None = None  # generation whose build failed (not retried until it changes)
        self.error: str | None = None

    def _seen(self) -> str | None:
        try:
            return fingerprint(self.warehouse)
        except OSError:  # warehouse moved away for a moment: keep serving what we have
            return None

    def current(self) -> FigureStore:
        store = self._store
        if store is None:
            with self._lock:
                if self._store is None:
                    self._set(FigureStore.open(self.warehouse))
                return self._store
        seen = self._seen()
        if seen is not None and seen != store.generation and seen != self._failed:
            self._start(seen)
        return self._store

    @property
    def preparing(self) -> bool:
        """A new import was noticed and its store is being prepared."""
        b = self._builder
        return b is not None and b.is_alive()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until a store being prepared is in place (or ``timeout``); True when none is."""
        b = self._builder
        if b is not None:
            b.join(timeout)
        return not self.preparing

    def _set(self, store: FigureStore) -> None:
        self._store = store
        if self._on_switch is not None:
            self._on_switch(store)

    def _start(self, seen: str) -> None:
        with self._lock:
            if self.preparing:
                return
            self._builder = threading.Thread(target=self._prepare, args=(seen,), name="amip-store", daemon=True)
            self._builder.start()

    def _prepare(self, seen: str) -> None:
        try:
            new = FigureStore.open(self.warehouse)
        except Exception as exc:  # noqa: BLE001 - keep serving the old data, say why in the log
            log.error("new data state of %s could not be prepared: %s", self.warehouse, exc)
            self._failed, self.error = seen, str(exc)
            return
        with self._lock:
            old = self._store
            self._failed = self.error = None
            self._set(new)
        if old is not None:
            # Person lists of the old store leave the shared LRU cache (else it would keep the old
            # store alive); the old store closes when its last request is done.
            FigureStore._persons.cache_clear()
        log.info("cockpit switched to the new data state of %s", self.warehouse)
