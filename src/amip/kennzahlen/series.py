"""Monthly series per (job center, month, sex): the counts every figure is built from.

The person-level tables are counted per job center, month and sex (m, w, d) and placed on a dense
grid (every job center x every calendar month x every sex, zero where nobody is counted); ``all``
is the sum over the three sexes. Window functions over this small table then give lags and
twelve-month sums without gaps.
"""

from __future__ import annotations

import ibis
import pyarrow as pa

from amip.contract.schema import LLU_TYPES, LUH_TYPES, SEX_CODES

KEYS = ["jobcenter_id", "midx", "sex"]

COUNT_COLUMNS = (
    "stock", "sp", "lzb", "lzb_active", "entries", "exits", "lzb_entries", "lzb_exits",
    "int", "int_sp", "int_lzb", "gb", "pub", "svb_int", "svb_cont",
)
FLAG_COLUMNS = ("cov", "lzb_ok", "flow_ok", "lzb_flow_ok", "int_ok", "int_lzb_ok")


def _count(t: ibis.Table, **metrics) -> ibis.Table:
    return t.group_by(KEYS).aggregate(**metrics)


def person_counts(stock, active, entries, exits, lzb_entries, lzb_exits, found, continuous) -> list[ibis.Table]:
    """Per-(job center, month, sex) counts from the person-level stage tables (None = not available)."""
    as_int = lambda b: ibis.ifelse(b, 1, 0)  # noqa: E731
    parts = [_count(stock, stock=stock.count(), sp=as_int(stock.sp).sum(), lzb=as_int(stock.lzb).sum())]
    if active is not None:
        parts.append(_count(active, lzb_active=active.count()))
    parts += [
        _count(entries, entries=entries.count()),
        _count(exits, exits=exits.count()),
        _count(lzb_entries, lzb_entries=lzb_entries.count()),
        _count(lzb_exits, lzb_exits=lzb_exits.count()),
    ]
    if found is not None:
        f = found
        parts.append(_count(
            f,
            int=as_int(f.f_int).sum(),
            int_sp=as_int(f.f_int & f.sp).sum(),
            int_lzb=as_int(f.f_int & f.lzb).sum(),
            gb=as_int(f.f_gb).sum(),
            pub=as_int(f.f_pub).sum(),
            svb_int=as_int(f.f_svb).sum(),
        ))
    if continuous is not None:
        parts.append(_count(continuous, svb_cont=continuous.count()))
    return parts


def benefit_sums(benefits: ibis.Table, cal: ibis.Table) -> ibis.Table:
    """LLU and LUH per job center and month (sex ``all`` only; K1 and K1E1 are not person based)."""
    b = benefits.join(cal.select("midx", "month"), "month")
    return b.group_by(["jobcenter_id", "midx"]).aggregate(
        llu=ibis.ifelse(b.benefit_type.isin(LLU_TYPES), b.amount_eur, 0.0).sum(),
        luh=ibis.ifelse(b.benefit_type.isin(LUH_TYPES), b.amount_eur, 0.0).sum(),
    )


def grid_keys(jobcenters: list[str]) -> pa.Table:
    """Job centers x sexes (m, w, d): the rows of the grid for each month."""
    return pa.table({
        "jobcenter_id": pa.array([j for j in jobcenters for _ in SEX_CODES], pa.string()),
        "sex": pa.array([s for _ in jobcenters for s in SEX_CODES], pa.string()),
    })


def monthly_series(keys: ibis.Table, cal: ibis.Table, counts: list[ibis.Table],
                   benefits: ibis.Table | None) -> ibis.Table:
    """The dense grid with every count column (0 where absent) and the calendar's coverage flags.

    ``keys`` is the table of :func:`grid_keys`."""
    grid = keys.cross_join(cal.select("midx"))
    for part in counts:
        grid = grid.left_join(part, KEYS).select(grid, *[c for c in part.columns if c not in KEYS])
    present = [c for c in COUNT_COLUMNS if c in grid.columns]
    grid = grid.mutate(**{c: grid[c].fill_null(0).cast("int64") for c in present})
    # "all" = m + w + d
    total = grid.group_by(["jobcenter_id", "midx"]).aggregate(**{c: grid[c].sum() for c in present})
    total = total.mutate(sex=ibis.literal("all"))
    series = ibis.union(grid.select(*KEYS, *present), total.select(*KEYS, *present))
    series = series.join(cal.select("midx", *FLAG_COLUMNS), "midx")
    if benefits is not None:
        b = benefit_sums(benefits, cal)
        series = series.left_join(b, ["jobcenter_id", "midx"]).select(
            series, llu=b.llu.fill_null(0.0), luh=b.luh.fill_null(0.0),
        )
    return series
