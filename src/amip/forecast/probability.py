"""Probabilities of reaching a target, from the forecast's simulated paths.

Method: the cache keeps 200 simulated sample paths per (job center, series, sex) from the chosen
model (``forecast_paths``; the same simulations the intervals come from, cut at zero). For a set
of months the statistic (sum, mean, or value in the last of the months) is computed on every
path, so the correlation between the months is the model's own (a stock that is high in March
tends to stay high in April); the probability is the share of paths on the right side of the
target. Months that already lie in the history (up to the forecast's origin) enter with their
actual value on every path. Resolution: 1/200.

Fallback when no paths are stored (an old cache): a normal distribution per month with the stored
mean and sd, assuming perfect correlation between the months (sd of a sum = sum of the sds), the
cautious choice for stocks.
"""

from __future__ import annotations

import math

import numpy as np

from amip.forecast.history import SERIES
from amip.kennzahlen.calendar import parse_month

HOW = ("sum", "mean", "last")
DIRECTIONS = ("at_least", "at_most")


def _check(series: str, how: str, months: list[str]) -> None:
    if series not in SERIES:
        raise ValueError(f"unknown series {series!r} (one of {', '.join(SERIES)})")
    if how not in HOW:
        raise ValueError(f"unknown how {how!r} (sum, mean or last)")
    if not months:
        raise ValueError("no months given")


def _statistic(values: np.ndarray, how: str) -> np.ndarray:
    """values: (paths, months) in month order -> one number per path."""
    if how == "sum":
        return values.sum(axis=1)
    if how == "mean":
        return values.mean(axis=1)
    return values[:, -1]


def _matrix(store, jc: str, series: str, sex: str, months: list[str]):
    """(paths x months) values for ``months`` (sorted), history months as constants; None when a
    month is neither in the history nor in the forecast."""
    fc = store.forecast(jc, series, sex)
    if fc is None or not len(fc):
        return None
    origin = parse_month(fc["origin"].iloc[0])
    months = sorted(set(months))
    found = store.forecast_paths(jc, series, sex) if hasattr(store, "forecast_paths") else None
    column = SERIES[series].column
    cols = []
    if found is not None:
        paths, _ = found
        n = paths.shape[0]
        for m in months:
            k = parse_month(m) - origin
            if k <= 0:
                v = store.count(jc, column, m, sex)
                if v is None:
                    return None
                cols.append(np.full(n, v))
            elif k <= paths.shape[1]:
                cols.append(paths[:, k - 1])
            else:
                return None
        return np.column_stack(cols)
    return None


def reach(
    store, jc: str, series: str, sex: str, months: list[str], target: float, how: str, direction: str
) -> float | None:
    """Probability that the forecast's ``how`` (sum | mean | last) over ``months`` is >= ``target``
    (direction ``at_least``) or <= ``target`` (``at_most``); None when no forecast covers the months."""
    _check(series, how, months)
    if direction not in DIRECTIONS:
        raise ValueError(f"unknown direction {direction!r} (at_least or at_most)")
    values = _matrix(store, jc, series, sex, months)
    if values is not None:
        stat = _statistic(values, how)
        hit = stat >= target if direction == "at_least" else stat <= target
        return float(np.mean(hit))
    normal = _normal(store, jc, series, sex, months, how)
    if normal is None:
        return None
    mu, sd = normal
    if sd <= 0:
        ok = mu >= target if direction == "at_least" else mu <= target
        return 1.0 if ok else 0.0
    z = (target - mu) / sd
    below = 0.5 * (1 + math.erf(z / math.sqrt(2)))
    return float(1 - below if direction == "at_least" else below)


def _normal(store, jc, series, sex, months, how):
    """Mean and sd of the statistic from the stored mean/sd, months perfectly correlated."""
    fc = store.forecast(jc, series, sex)
    if fc is None or not len(fc):
        return None
    origin = parse_month(fc["origin"].iloc[0])
    by_month = fc.set_index("month")
    column = SERIES[series].column
    mus, sds = [], []
    for m in sorted(set(months)):
        if parse_month(m) <= origin:
            v = store.count(jc, column, m, sex)
            if v is None:
                return None
            mus.append(v)
            sds.append(0.0)
        elif m in by_month.index:
            mus.append(float(by_month.loc[m, "mean"]))
            sds.append(float(by_month.loc[m, "sd"]))
        else:
            return None
    if how == "sum":
        return sum(mus), sum(sds)
    if how == "mean":
        return sum(mus) / len(mus), sum(sds) / len(sds)
    return mus[-1], sds[-1]


def expected(store, jc: str, series: str, sex: str, months: list[str], how: str) -> float | None:
    """The forecast's expected ``how`` (sum | mean | last) over ``months`` (history months with their
    actual values); None when no forecast covers the months."""
    _check(series, how, months)
    normal = _normal(store, jc, series, sex, months, how)
    return None if normal is None else float(normal[0])
