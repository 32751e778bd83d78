"""The engine: all § 48a figures for every job center x month x sex, on any Ibis backend.

Data flow (each stage materialised once, so later stages and the benchmark see its cost):
  inputs -> stretches of receipt with the month LZB status begins (stock, lzb) -> stocks
  -> flows -> integrations -> monthly series (dense grid) -> figures (k1, k2, k3)
  -> the contract's long output table.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

import ibis
import pyarrow as pa
import pyarrow.compute as pc

from amip.kennzahlen import FIGURES
from amip.kennzahlen.backends import drop_small_table, materialize, run_slot, small_table, to_arrow
from amip.kennzahlen.calendar import LOOKBACK_MONTHS, calendar_table, first_duration_month, month_str, parse_month
from amip.kennzahlen.flows import elb_flows, lzb_flows
from amip.kennzahlen.formulas import Figure, Frame
from amip.kennzahlen.inputs import Inputs, load_inputs
from amip.kennzahlen.integrations import events, integration_blocks, integration_counts, search, svb_continuity
from amip.kennzahlen.memo import memoised
from amip.kennzahlen.series import count, grid_keys, monthly_series, range_deltas
from amip.kennzahlen.stock import (
    lzb_in_active_measures,
    multi_spell_islands,
    person_stretches,
    single_parent_ranges,
    spell_counts,
    stock_of,
    stretches,
    with_b17_month,
)

OUTPUT_SCHEMA = pa.schema(
    [
        ("jobcenter_id", pa.string()),
        ("month", pa.string()),
        ("figure", pa.string()),
        ("sex", pa.string()),
        ("numerator", pa.float64()),
        ("denominator", pa.float64()),
        ("value", pa.float64()),
    ]
)
SEX_ORDER = ("all", "m", "w")
STAGES = ("loading", "lzb_durations", "stocks", "flows", "integrations", "assembling")
# The rules version of kennzahlen.md the engine implements (version 2: flows count status changes,
# stock-weighted twelve-month rates, a move between job centers is no LZB flow). Recorded in the
# cockpit cache and in Parquet exports, so outputs made under another version are recognisable.
RULES_VERSION = 2


@dataclass
class Result:
    table: pa.Table
    skipped: dict[str, str] = field(default_factory=dict)  # figure id -> why it was not produced
    seconds: dict[str, float] = field(default_factory=dict)  # stage -> wall seconds
    # The monthly counts behind the figures (job center x month x sex, months from 19 before the
    # first Bezugsmonat): stock, entries, exits, lzb, integrations, ... and coverage flags.
    series: pa.Table | None = None
    # With ``members=True``: the persons behind every count of ``series``, as month ranges
    # (jobcenter_id, block, person_id, sex, m0, m1): person p is counted in column ``block`` of
    # job center j and month m once for each row with m0 <= m <= m1 (rows of a block are disjoint,
    # except that ELB entries and exits have one row per status change: p may enter twice in m).
    members: pa.Table | None = None


class _Stages:
    def __init__(self, progress: Callable[[str], None] | None):
        self.seconds: dict[str, float] = {s: 0.0 for s in STAGES}
        self.progress = progress

    @contextmanager
    def stage(self, name: str):
        if self.progress:
            self.progress(name)
        t0 = time.perf_counter()
        yield
        self.seconds[name] += time.perf_counter() - t0


def compute(
    con: ibis.BaseBackend,
    first: str,
    last: str,
    jobcenter: str | None = None,
    progress: Callable[[str], None] | None = None,
    members: bool = False,
) -> Result:
    """All figures for Bezugsmonate ``first``..``last`` (``YYYY-MM``) as an Arrow table.

    ``members=True`` also returns the persons behind every monthly count (for the cockpit's
    drill-down), taken from the same person-level stages the counts are made of."""
    lo_out, hi_out = parse_month(first), parse_month(last)
    if lo_out > hi_out:
        raise ValueError(f"--from {first} is after --to {last}")
    with run_slot() as run:
        return _compute(con, lo_out, hi_out, run, jobcenter, progress, members)


def _compute(
    con: ibis.BaseBackend,
    lo_out: int,
    hi_out: int,
    run: str,
    jobcenter: str | None,
    progress: Callable[[str], None] | None,
    members: bool,
) -> Result:
    lo, hi = lo_out - LOOKBACK_MONTHS, hi_out
    st = _Stages(progress)
    kept: list[str] = []
    who: list[ibis.Table] = []  # person-level relations behind the counts (members=True)

    def behind(t: ibis.Table, block: str, m0: ibis.Value | None = None, m1: ibis.Value | None = None) -> None:
        if members:
            a = t.midx if m0 is None else m0
            b = t.midx if m1 is None else m1
            who.append(t.select("jobcenter_id", "person_id", "sex", block=ibis.literal(block), m0=a, m1=b))

    def keep(t: ibis.Table) -> ibis.Table:
        """Materialise a stage result (so it is computed once, and timed where it is made)."""
        name = f"amip_{run}_{len(kept)}"
        kept.append(name)
        return materialize(con, t, name)

    try:
        with st.stage("loading"):
            inp: Inputs = load_inputs(con, jobcenter)
            # Small run tables live on the backend (memtables do not survive Spark checkpoints).
            kept += [f"amip_cal_{run}", f"amip_keys_{run}"]
            cal = small_table(con, f"amip_cal_{run}", calendar_table(lo, hi, inp.coverage))
            keys = small_table(con, f"amip_keys_{run}", grid_keys(inp.jobcenters))
            spells = inp.spells
            mine = spells.filter(spells.jobcenter_id == jobcenter) if jobcenter else spells
            persons = keep(with_b17_month(inp.persons))

        with st.stage("lzb_durations"):
            # Stretches of receipt per person and job center, with the month LZB status begins;
            # durations count spells at every job center, the stock only the chosen one's.
            # The LZB flows of rules version 2 (LZB at any job center) come from the same pass.
            first_lzb = first_duration_month(inp.coverage)
            counts = keep(spell_counts(spells))
            multi = keep(multi_spell_islands(spells, counts))
            ps = keep(person_stretches(multi, persons, first_lzb))
            all_st = keep(stretches(counts, multi, ps, persons, first_lzb))
            for done in kept[-4:-1]:  # counts, multi, ps: not needed any more (memory at national scale)
                drop_small_table(con, done)
            per_jc = all_st.filter(all_st.jobcenter_id == jobcenter) if jobcenter else all_st
            stock = stock_of(per_jc)

        with st.stage("stocks"):
            sp_ranges = keep(single_parent_ranges(mine))
            sp_with_sex = sp_ranges.join(persons.select("person_id", "sex"), "person_id")
            ranges = [
                (stock, stock.m0, stock.m1, "stock"),
                (stock, stock.m_lzb, stock.m1, "lzb"),
                (sp_with_sex, sp_with_sex.m0, sp_with_sex.m1, "sp"),
            ]
            if inp.measures is not None:
                j = lzb_in_active_measures(stock, inp.measures)
                ranges.append((j, j.a0, j.a1, "lzb_active"))
            parts = [keep(range_deltas(t, a, b, name, lo, hi)) for t, a, b, name in ranges]
            for t, a, b, name in ranges:
                behind(t, name, a, b)

        with st.stage("flows"):
            entries, exits = elb_flows(per_jc)
            lzb_in, lzb_out = lzb_flows(per_jc)
            flows = [(entries, "entries"), (exits, "exits"), (lzb_in, "lzb_entries"), (lzb_out, "lzb_exits")]
            parts += [keep(count(t, name, lo, hi)) for t, name in flows]
            for t, name in flows:
                behind(t, name)

        with st.stage("integrations"):
            ev = events(inp.employment, inp.measures)
            if ev is not None:
                found = keep(search(ev, stock, sp_ranges))
                parts.append(keep(integration_counts(found, lo, hi)))
                for block, cond in integration_blocks(found).items():
                    behind(found.filter(cond), block)
                if inp.employment is not None:
                    cont = svb_continuity(found, inp.employment)
                    parts.append(keep(count(cont, "svb_cont", lo, hi)))
                    behind(cont, "svb_cont")

        with st.stage("assembling"):
            series = monthly_series(keys, cal, parts, inp.benefits)
            series = keep(with_lags(series))
            table, skipped = assemble(series, lo_out, hi_out, _needs(inp), con)
            monthly = to_arrow(con, series.filter(series.sex != "d").order_by(["jobcenter_id", "midx", "sex"]))
            monthly = monthly.append_column(
                "month",
                pc.take(pa.array([month_str(m) for m in range(lo, hi + 1)]), pc.subtract(monthly.column("midx"), lo)),
            )
            people = _members(con, who, lo, hi) if members else None
    finally:
        for name in kept:
            drop_small_table(con, name)
    return Result(table, skipped, st.seconds, monthly, people)


def _members(con: ibis.BaseBackend, who: list[ibis.Table], lo: int, hi: int) -> pa.Table:
    """The person-level relations behind the counts, clipped to the grid's months."""
    t = ibis.union(*who)
    t = t.filter(t.m0.notnull() & (t.m0 <= t.m1) & (t.m0 <= hi) & (t.m1 >= lo))
    t = t.mutate(m0=ibis.greatest(t.m0, lo), m1=ibis.least(t.m1, hi))
    return to_arrow(con, t.order_by(["jobcenter_id", "block", "person_id", "m0"]))


def _piece(arrow: pa.Table, figure, fig_order) -> pa.Table:
    """Figure rows fetched from the backend, with their figure and the orders the output sorts by."""
    return pa.table(
        {
            "jobcenter_id": arrow.column("jobcenter_id").cast(pa.string()),
            "midx": arrow.column("midx").cast(pa.int64()),
            "figure": pc.cast(figure, pa.string()),
            "fig_order": pc.cast(fig_order, pa.int64()),
            "sex": arrow.column("sex").cast(pa.string()),
            "sex_order": pc.index_in(arrow.column("sex"), pa.array(SEX_ORDER)).cast(pa.int64()),
            **{c: arrow.column(c).cast(pa.float64()) for c in ("numerator", "denominator", "value")},
        }
    )


def _needs(inp: Inputs) -> dict[str, str]:
    """Which series columns are unavailable, and why."""
    gone: dict[str, str] = {}
    if inp.employment is None:
        for c in ("int", "int_sp", "int_lzb", "gb", "svb_int", "svb_cont"):
            gone[c] = "table employment_spells is missing"
    if inp.measures is None:
        for c in ("pub", "lzb_active"):
            gone[c] = "table measures is missing"
    if inp.benefits is None:
        for c in ("llu", "luh"):
            gone[c] = "table benefits is missing"
    return gone


@memoised
def with_lags(series: ibis.Table) -> ibis.Table:
    """The previous month's stocks, which the exit rates divide by (pure: an expression over
    ``series``; memoised, see :mod:`amip.kennzahlen.memo`)."""
    return series.mutate(stock_prev=Frame(series).lag("stock", 1), lzb_prev=Frame(series).lag("lzb", 1))


@memoised
def figure_query(series: ibis.Table, order: int, lo: int, hi: int) -> ibis.Table:
    """The query of figure ``FIGURES[order]`` over the monthly series, Bezugsmonate lo..hi (pure:
    ``FIGURES`` is a constant tuple of frozen formulas; memoised, see :mod:`amip.kennzahlen.memo`)."""
    fig = FIGURES[order]
    num, den, val = fig.shape.build(Frame(series))
    t = series.select("jobcenter_id", "midx", "sex", numerator=num, denominator=den, value=val)
    keep_sex = t.sex.isin(SEX_ORDER) if fig.person_based else t.sex == "all"
    return t.filter((t.midx >= lo) & (t.midx <= hi) & keep_sex)


def assemble(
    series: ibis.Table, lo: int, hi: int, gone: dict[str, str], con: ibis.BaseBackend
) -> tuple[pa.Table, dict[str, str]]:
    """One small query per figure over the (cached) monthly series, stacked in the contract's order.
    ``gone`` names the series columns that are unavailable (and why); figures needing them are skipped.

    Separate queries keep every backend's plan small (Spark does not share a common sub-plan
    between the branches of one big union). The series' ``jobcenter_id`` is the group the figures
    are computed for (the cockpit puts offices and teams there)."""
    skipped: dict[str, str] = {}
    queries: list[tuple[int, Figure, ibis.Table]] = []
    for order, fig in enumerate(FIGURES):
        missing = sorted(c for c in fig.shape.columns() if c in gone)
        if missing:
            skipped[fig.id] = gone[missing[0]]
            continue
        queries.append((order, fig, figure_query(series, order, lo, hi)))
    if con.name == "pyspark" and queries:
        # Spark: one query for all figures (a union of the same per-figure queries, each with its
        # position; the columns already have one type in every branch, float64 values): one job
        # set instead of fifteen (docs/spark.md, "Jobs per run").
        branches = [
            t.select(
                "jobcenter_id",
                "midx",
                "sex",
                fig_order=ibis.literal(order, "int64"),
                **{c: t[c].cast("float64") for c in ("numerator", "denominator", "value")},
            )
            for order, _fig, t in queries
        ]
        ids = pa.array([f.id for f in FIGURES])
        arrow = to_arrow(con, ibis.union(*branches))
        pieces = [_piece(arrow, pc.take(ids, arrow.column("fig_order")), arrow.column("fig_order"))]
    else:
        pieces = []
        for order, fig, t in queries:
            arrow = to_arrow(con, t)  # on ``con``: ``t`` may name an earlier connection's table (memo)
            n = arrow.num_rows
            pieces.append(_piece(arrow, pa.array([fig.id] * n, pa.string()), pa.array([order] * n, pa.int64())))
    if not pieces:
        return OUTPUT_SCHEMA.empty_table(), skipped
    long = pa.concat_tables(pieces).sort_by(
        [("jobcenter_id", "ascending"), ("midx", "ascending"), ("fig_order", "ascending"), ("sex_order", "ascending")]
    )
    months = pa.array([month_str(m) for m in range(lo, hi + 1)])
    table = pa.table(
        {
            "jobcenter_id": long.column("jobcenter_id"),
            "month": pc.take(months, pc.subtract(long.column("midx"), lo)),
            "figure": long.column("figure"),
            "sex": long.column("sex"),
            "numerator": long.column("numerator"),
            "denominator": long.column("denominator"),
            "value": long.column("value"),
        },
        schema=OUTPUT_SCHEMA,
    )
    return table, skipped
