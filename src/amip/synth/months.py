"""Months and days as integers for the simulation (vectorised with numpy): month index
``year * 12 + month - 1`` and days since 1970-01-01, as in the engine's calendar."""

from __future__ import annotations

import numpy as np

from amip.kennzahlen.calendar import month_str as month_text
from amip.kennzahlen.calendar import parse_month as month_index

__all__ = ["month_index", "month_text", "first_day", "last_day", "day_to_month", "years_between", "add_years"]


def first_day(idx) -> np.ndarray | int:
    """Epoch day of the first day of month ``idx`` (scalar or array)."""
    arr = np.asarray(idx, dtype=np.int64) - 1970 * 12
    days = arr.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    return int(days) if np.ndim(days) == 0 else days


def last_day(idx) -> np.ndarray | int:
    """ST(m): epoch day of the last day of month ``idx``."""
    return first_day(np.asarray(idx) + 1) - 1


def day_to_month(days) -> np.ndarray:
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    return d.astype("datetime64[M]").astype(np.int64) + 1970 * 12


def years_between(birth: np.ndarray, day) -> np.ndarray:
    """Completed years of age at ``day`` (epoch days), vectorised."""
    b = np.asarray(birth, dtype=np.int64).astype("datetime64[D]")
    d = np.asarray(day, dtype=np.int64).astype("datetime64[D]")
    by = b.astype("datetime64[Y]").astype(np.int64)
    dy = d.astype("datetime64[Y]").astype(np.int64)
    b_doy = (b - b.astype("datetime64[Y]")).astype(np.int64)
    d_doy = (d - d.astype("datetime64[Y]")).astype(np.int64)
    # compare month/day, not day of year (leap years)
    bm = b.astype("datetime64[M]").astype(np.int64) % 12
    dm = d.astype("datetime64[M]").astype(np.int64) % 12
    bd = (b - b.astype("datetime64[M]")).astype(np.int64)
    dd = (d - d.astype("datetime64[M]")).astype(np.int64)
    before = (dm < bm) | ((dm == bm) & (dd < bd))
    del b_doy, d_doy
    return dy - by - before.astype(np.int64)


def add_years(days: np.ndarray, years: int) -> np.ndarray:
    """The same calendar day ``years`` later (29 February -> 1 March)."""
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    dom = (d - month.astype("datetime64[D]")).astype(np.int64)
    target = (month + 12 * years).astype("datetime64[D]").astype(np.int64) + dom
    # overflow past month end (29 Feb in a non-leap year) rolls to the next month's first day
    return target
