"""Monthly series per (job center, month, sex): the counts every figure is built from.

Stocks (ELB, single parents, LZB, LZB in an active measure) come from month ranges: each range adds
+1 at its first and -1 after its last month, and a running sum over the months gives the stock at
every Stichtag. Flows and integrations are counted per month directly. Everything is placed on a
dense grid (every job center x month x sex m/w/d, zero where nobody is counted); ``all`` is the sum
over the three sexes. Window functions over this small table then give lags and twelve-month sums.
"""

from __future__ import annotations

import ibis
import pyarrow as pa

from amip.contract.schema import LLU_TYPES, LUH_TYPES, SEX_CODES
from amip.kennzahlen.memo import memoised

KEYS = ["jobcenter_id", "midx", "sex"]

STOCK_COLUMNS = ("stock", "sp", "lzb", "lzb_active")
COUNT_COLUMNS = (
    *STOCK_COLUMNS,
    "entries",
    "exits",
    "lzb_entries",
    "lzb_exits",
    "int",
    "int_sp",
    "int_lzb",
    "gb",
    "pub",
    "svb_int",
    "svb_cont",
)
FLAG_COLUMNS = ("cov", "lzb_ok", "flow_ok", "lzb_flow_ok", "int_ok", "int_lzb_ok")


@memoised
def range_deltas(t: ibis.Table, first: ibis.Value, last: ibis.Value, name: str, lo: int, hi: int) -> ibis.Table:
    """(jobcenter_id, midx, sex, <name>_d): +1 at the first and -1 after the last month of each
    range [first, last] of ``t``, clipped to the grid lo..hi.

    Pure (an expression from the arguments and module constants only): memoised, see :mod:`amip.kennzahlen.memo`."""
    r = t.select("jobcenter_id", "sex", a=first, b=last)
    r = r.filter((r.a <= r.b) & (r.a <= hi) & (r.b >= lo))
    up = r.select("jobcenter_id", "sex", midx=ibis.greatest(r.a, lo), d=ibis.literal(1))
    down = r.filter(r.b + 1 <= hi).select("jobcenter_id", "sex", midx=r.b + 1, d=ibis.literal(-1))
    both = ibis.union(up, down)
    return both.group_by(KEYS).aggregate(**{f"{name}_d": both.d.sum()})


@memoised
def count(t: ibis.Table, name: str, lo: int, hi: int, flag: str | None = None) -> ibis.Table:
    """Rows (or rows with ``flag``) per (job center, month, sex) inside the grid.

    Pure (an expression from the arguments and module constants only): memoised, see :mod:`amip.kennzahlen.memo`."""
    t = t.filter((t.midx >= lo) & (t.midx <= hi))
    if flag is None:
        return t.group_by(KEYS).aggregate(**{name: t.count()})
    return t.group_by(KEYS).aggregate(**{name: ibis.ifelse(t[flag], 1, 0).sum()})


def grid_keys(jobcenters: list[str]) -> pa.Table:
    """Job centers x sexes (m, w, d): the rows of the grid for each month."""
    return pa.table(
        {
            "jobcenter_id": pa.array([j for j in jobcenters for _ in SEX_CODES], pa.string()),
            "sex": pa.array([s for _ in jobcenters for s in SEX_CODES], pa.string()),
        }
    )


def benefit_sums(benefits: ibis.Table, cal: ibis.Table) -> ibis.Table:
    """LLU and LUH per job center and month (sex ``all`` only; K1 and K1E1 are not person based)."""
    # Summed in whole cents: exact, and the same on every backend whatever the order of addition.
    # First per job center, month and benefit type over the (large) table, with no join and no
    # condition per row; the months and the two sums come from that small result.
    cents = (benefits.amount_eur * 100).round().cast("int64")
    by_type = benefits.group_by(["jobcenter_id", "month", "benefit_type"]).aggregate(c=cents.sum())
    b = by_type.join(cal.select("midx", "month"), "month")
    sums = b.group_by(["jobcenter_id", "midx"]).aggregate(
        llu=ibis.ifelse(b.benefit_type.isin(LLU_TYPES), b.c, 0).sum(),
        luh=ibis.ifelse(b.benefit_type.isin(LUH_TYPES), b.c, 0).sum(),
    )
    return sums.mutate(llu=sums.llu.cast("float64") / 100, luh=sums.luh.cast("float64") / 100)


@memoised
def monthly_series(
    keys: ibis.Table, cal: ibis.Table, parts: list[ibis.Table], benefits: ibis.Table | None
) -> ibis.Table:
    """The dense grid with every count column and the calendar's coverage flags.

    ``keys`` is the table of :func:`grid_keys`; ``parts`` are tables keyed (jobcenter_id, midx,
    sex) from :func:`range_deltas` (columns ``<stock>_d``) and :func:`count`.

    Pure (an expression from the arguments and module constants only): memoised, see :mod:`amip.kennzahlen.memo`."""
    # Stack all parts as (keys, metric, value) and spread them back with one aggregation: one
    # shuffle instead of a join per part.
    stacked = ibis.union(
        *[
            p.select(*KEYS, metric=ibis.literal(c), v=p[c].cast("int64"))
            for p in parts
            for c in p.columns
            if c not in KEYS
        ]
    )
    names = [c for p in parts for c in p.columns if c not in KEYS]
    wide = stacked.group_by(KEYS).aggregate(**{c: ibis.ifelse(stacked.metric == c, stacked.v, 0).sum() for c in names})
    grid = keys.cross_join(cal.select("midx"))
    j = grid.left_join(wide, KEYS)
    grid = j.select(*[grid[c] for c in grid.columns], *[wide[c] for c in names])
    running = ibis.window(group_by=[grid.jobcenter_id, grid.sex], order_by=grid.midx, rows=(None, 0))
    values = {}
    for c in COUNT_COLUMNS:
        if f"{c}_d" in grid.columns:
            values[c] = grid[f"{c}_d"].fill_null(0).sum().over(running).cast("int64")
        elif c in grid.columns:
            values[c] = grid[c].fill_null(0).cast("int64")
    grid = grid.select(*KEYS, **values)
    present = list(values)
    total = grid.group_by(["jobcenter_id", "midx"]).aggregate(**{c: grid[c].sum() for c in present})
    total = total.mutate(sex=ibis.literal("all"))
    series = ibis.union(grid.select(*KEYS, *present), total.select(*KEYS, *present))
    series = series.join(cal.select("midx", *FLAG_COLUMNS), "midx")
    if benefits is not None:
        b = benefit_sums(benefits, cal)
        series = series.left_join(b, ["jobcenter_id", "midx"]).select(
            series,
            llu=b.llu.fill_null(0.0),
            luh=b.luh.fill_null(0.0),
        )
    return series
