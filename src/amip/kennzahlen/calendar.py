"""Months, Stichtage and coverage.

Months are handled as an integer index ``year * 12 + month - 1``; days as integer epoch days
(days since 1970-01-01), so that every backend compares plain integers. The calendar of a run is a
small table (one row per month) built here; it carries each month's Stichtag and the coverage
flags of ``kennzahlen.md`` (which months a stock, a duration, a flow or an integration may use).
"""

from __future__ import annotations

import calendar as _cal
import datetime as dt
import re
from dataclasses import dataclass

import ibis
import ibis.expr.datatypes as dt_
import ibis.expr.operations as ops
import pyarrow as pa

EPOCH = dt.date(1970, 1, 1)
LZB_WINDOW_DAYS = 730  # Dur(p, d) looks at [d - 729, d]
LZB_THRESHOLD_DAYS = 638  # 730 / 24 * 21, rounded down
OPEN_END = 10**8  # epoch day standing in for an open spell end (far beyond any real date)

# How far back of the first Bezugsmonat the figures look (K2E3: integration month M-17 with its
# rule-(b) look at ST(m-2)).
LOOKBACK_MONTHS = 19

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_month(text: str) -> int:
    m = _MONTH.match(text or "")
    if not m:
        raise ValueError(f"not a month (YYYY-MM): {text!r}")
    return int(m.group(1)) * 12 + int(m.group(2)) - 1


def month_str(idx: int) -> str:
    return f"{idx // 12:04d}-{idx % 12 + 1:02d}"


def first_day(idx: int) -> dt.date:
    return dt.date(idx // 12, idx % 12 + 1, 1)


def stichtag(idx: int) -> dt.date:
    """ST(m): the last calendar day of month ``idx``."""
    y, m = idx // 12, idx % 12 + 1
    return dt.date(y, m, _cal.monthrange(y, m)[1])


def epoch_day(day: dt.date) -> int:
    return (day - EPOCH).days


@dataclass(frozen=True)
class Coverage:
    """The ``dataset`` table: the months for which the data is complete."""

    first: int
    last: int

    def covered(self, idx: int) -> bool:
        return self.first <= idx <= self.last

    def duration_ok(self, idx: int) -> bool:
        """Dur(p, ST(m)) needs ST(m) - 729 on or after the first day of first_month."""
        return self.covered(idx) and epoch_day(stichtag(idx)) - (LZB_WINDOW_DAYS - 1) >= epoch_day(
            first_day(self.first)
        )


def calendar_rows(lo: int, hi: int, cov: Coverage) -> dict[str, list]:
    """One row per month lo..hi with its Stichtag and coverage flags (1 = usable, 0 = not)."""
    rows: dict[str, list] = {
        k: []
        for k in (
            "midx",
            "month",
            "st",
            "cov",
            "lzb_ok",
            "flow_ok",
            "lzb_flow_ok",
            "int_ok",
            "int_lzb_ok",
        )
    }
    for m in range(lo, hi + 1):
        c = cov.covered
        rows["midx"].append(m)
        rows["month"].append(month_str(m))
        rows["st"].append(epoch_day(stichtag(m)))
        rows["cov"].append(int(c(m)))
        rows["lzb_ok"].append(int(cov.duration_ok(m)))
        rows["flow_ok"].append(int(c(m) and c(m - 1)))
        rows["lzb_flow_ok"].append(int(cov.duration_ok(m) and cov.duration_ok(m - 1)))
        rows["int_ok"].append(int(c(m) and c(m - 1) and c(m - 2)))
        # Integrations broken down by LZB status at ST(m-1) also need that duration.
        rows["int_lzb_ok"].append(int(c(m) and c(m - 1) and c(m - 2) and cov.duration_ok(m - 1)))
    return rows


def calendar_table(lo: int, hi: int, cov: Coverage) -> pa.Table:
    rows = calendar_rows(lo, hi, cov)
    return pa.table({k: pa.array(v, pa.string() if k == "month" else pa.int64()) for k, v in rows.items()})


def month_of_day(day: ibis.Value) -> ibis.Value:
    """Month index (year * 12 + month - 1) of an epoch-day integer expression.

    The month of ``day`` is also the first month whose Stichtag is on or after ``day``; the last
    month whose Stichtag is on or before ``day`` is ``month_of_day(day + 1) - 1``.

    Integer arithmetic only (every backend computes it alike, and fast), valid from 1900-03-01 to
    2100-02-28, where every fourth year is a leap year: days are counted from 1900-03-01 in
    four-year cycles of 1461 days whose years start on 1 March, so the leap day ends a cycle.
    """
    z = day.cast("int64") + 25508  # days since 1900-03-01
    cycle = z // 1461
    r = z % 1461
    year_in_cycle = ibis.least(r // 365, 3)
    march_month = (5 * (r - 365 * year_in_cycle) + 2) // 153  # 0 = March .. 11 = February
    return ((1900 + 4 * cycle + year_in_cycle) * 12 + march_month + 2).cast("int64")


def first_duration_month(cov: Coverage) -> int:
    """The first month whose Stichtag has its whole 730-day window inside the coverage."""
    m = cov.first
    while not cov.duration_ok(m) and m <= cov.last + 1:
        m += 1
    return m


def int64(value: ibis.Value) -> ibis.Value:
    """``value`` cast to BIGINT in the SQL even where Ibis types it int64 already: DuckDB sums
    BIGINT as HUGEINT (128 bits), and every expression over such a sum (a running day count, an
    island number) would then compute in 128 bits (Ibis drops a cast to the type it assumes)."""
    return ops.Cast(value, to=dt_.int64).to_expr()
