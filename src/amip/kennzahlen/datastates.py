"""Data states (Datenstände): which delivery serves which Bezugsmonat, at which lag, in which state.

Pure rules of ``data-contract.md``, "Deliveries (Datenstände) and the Wartezeit" (no database):

- the **BA-comparable** delivery of month M is the earliest delivery with ``as_of >= ST(M + 3)``
  (the Wartezeit of three months has passed); without one the value of M is provisional;
- the **lag-k** delivery of M (k = 0, 1, 2) is the latest delivery with ``as_of < ST(M + k + 1)``;
- the **data state** of a value computed from delivery D for month M is ``final`` when
  ``D.as_of >= ST(M + 3)``, else ``provisional_k`` with k the smallest of 0, 1, 2 with
  ``D.as_of < ST(M + k + 1)`` (decision 76). So any delivery labels the months that are past the
  Wartezeit in it ``final``; the BA-comparable value is the one of the *earliest* such delivery.

Months are month indexes (``calendar.parse_month``) or ``YYYY-MM`` texts; deliveries are given by
their ``as_of`` days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from amip.kennzahlen.calendar import month_str, parse_month, stichtag

FINAL = "final"
LAGS = (0, 1, 2)
WAITING_MONTHS = 3  # the Wartezeit: ST(M + 3)
STATES = (FINAL, *(f"provisional_{k}" for k in LAGS))


def _midx(month: int | str) -> int:
    return parse_month(month) if isinstance(month, str) else int(month)


def final_from(month: int | str) -> dt.date:
    """The first day a delivery's value of ``month`` is final: ST(M + 3)."""
    return stichtag(_midx(month) + WAITING_MONTHS)


def lag_bound(month: int | str, k: int) -> dt.date:
    """ST(M + k + 1): a lag-k delivery of ``month`` has its ``as_of`` before this day."""
    return stichtag(_midx(month) + k + 1)


def lag(as_of: dt.date, month: int | str) -> int | None:
    """The lag k of a value of ``month`` computed from a delivery of ``as_of`` (None: final)."""
    m = _midx(month)
    if as_of >= final_from(m):
        return None
    return next(k for k in LAGS if as_of < lag_bound(m, k))


def data_state(as_of: dt.date, month: int | str) -> str:
    """``final`` or ``provisional_0`` … ``provisional_2`` (module doc)."""
    k = lag(as_of, month)
    return FINAL if k is None else f"provisional_{k}"


def ba_delivery(history: Sequence[dt.date], month: int | str) -> dt.date | None:
    """The BA-comparable delivery of ``month``: the earliest ``as_of >= ST(M + 3)`` (None: none yet)."""
    bound = final_from(month)
    after = [a for a in history if a >= bound]
    return min(after) if after else None


def lag_delivery(history: Sequence[dt.date], month: int | str, k: int) -> dt.date | None:
    """The lag-k delivery of ``month``: the latest ``as_of < ST(M + k + 1)`` (None: none)."""
    if k not in LAGS:
        raise ValueError(f"lag must be one of {LAGS}, not {k}")
    bound = lag_bound(month, k)
    before = [a for a in history if a < bound]
    return max(before) if before else None


def ba_plan(history: Sequence[dt.date], months: Iterable[int | str]) -> dict[str, dt.date]:
    """For ``amip kpi --ba``: each month (``YYYY-MM``) with the delivery its value comes from, the
    BA-comparable one if there is one, else the latest delivery (its value is provisional)."""
    if not history:
        raise ValueError("the warehouse holds no delivery")
    latest = max(history)
    plan = {}
    for month in months:
        m = _midx(month)
        plan[month_str(m)] = ba_delivery(history, m) or latest
    return plan


@dataclass(frozen=True)
class RevisionPair:
    """Month ``month`` at lag ``lag``: its provisional value comes from delivery ``provisional``, its
    BA-comparable value from delivery ``final``."""

    month: int
    lag: int
    provisional: dt.date
    final: dt.date


def revision_pairs(coverage: Mapping[dt.date, tuple[int, int]]) -> list[RevisionPair]:
    """Every (month, lag) with a lag-k and a BA-comparable delivery that both cover the month
    (``coverage``: each delivery's ``as_of`` with its first and last month index); only these months
    have a revision (a delivery has no value for a month outside its coverage)."""
    if not coverage:
        return []
    dates = sorted(coverage)
    lo = min(c[0] for c in coverage.values())
    hi = max(c[1] for c in coverage.values())

    def covers(day: dt.date, m: int) -> bool:
        return coverage[day][0] <= m <= coverage[day][1]

    pairs = []
    for m in range(lo, hi + 1):
        final = ba_delivery(dates, m)
        if final is None or not covers(final, m):
            continue
        for k in LAGS:
            prov = lag_delivery(dates, m, k)
            if prov is not None and covers(prov, m):
                pairs.append(RevisionPair(m, k, prov, final))
    return pairs


def revision_needs(
    pairs: Iterable[RevisionPair], coverage: Mapping[dt.date, tuple[int, int]], back: int = 12
) -> dict[dt.date, set[int]]:
    """The months each delivery computes for ``pairs``: the months it is the lag-k or the
    BA-comparable delivery of, and the same months ``back`` months earlier (the change against the
    previous year, as of the same delivery), within its coverage."""
    needed: dict[dt.date, set[int]] = {}
    for p in pairs:
        for day in (p.provisional, p.final):
            lo, hi = coverage[day]
            needed.setdefault(day, set()).update(x for x in (p.month, p.month - back) if lo <= x <= hi)
    return needed


def month_span(months: Iterable[int]) -> tuple[str, str]:
    """The first and last of ``months`` as ``YYYY-MM`` (one engine run covers the span)."""
    ms = sorted(months)
    return month_str(ms[0]), month_str(ms[-1])


def with_states(table: pa.Table, as_of: dt.date) -> pa.Table:
    """``table`` (the engine's output, computed from the delivery ``as_of``) with the columns
    ``as_of`` and ``data_state`` appended (the state by the rule of the module doc, per month)."""
    month_col = table.column("month")
    months = pc.unique(month_col)
    states = pa.array([data_state(as_of, m) for m in months.to_pylist()], pa.string())
    state = pc.take(states, pc.index_in(month_col, months))
    return table.append_column("as_of", pa.array([as_of] * table.num_rows, pa.date32())).append_column(
        "data_state", state
    )


__all__ = [
    "FINAL",
    "LAGS",
    "STATES",
    "ba_delivery",
    "ba_plan",
    "data_state",
    "final_from",
    "lag",
    "lag_bound",
    "lag_delivery",
    "month_span",
    "RevisionPair",
    "revision_needs",
    "revision_pairs",
    "with_states",
]
