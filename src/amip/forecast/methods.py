"""The candidate models: seasonal-naive, ETS, SARIMA (statsmodels) and a stock-flow model.

Every model offers two things:
  - ``points(h, origins, horizon)``: point forecasts from several origins for the rolling-origin
    backtest. Parameters are estimated once, on the data up to the first origin, and held fixed
    while the states are updated month by month up to each later origin (no look-ahead; one
    optimisation per model instead of one per origin keeps the backtest fast);
  - ``forecast(h, horizon, paths, seed)``: the forecast from the last month with a fresh fit on
    all data: the model's point forecast (``mean``) and ``paths`` simulated sample paths from the
    fitted model's own error distribution (statsmodels ``simulate``), from which the intervals
    are read.
Series are scaled by their mean level before fitting (the optimisers behave better around 1 than
around two million euro); forecasts are scaled back. Counts and amounts cannot be negative, so
simulated paths are cut at zero.
"""

from __future__ import annotations

import copy
import functools
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from amip.forecast.history import History

SEASON = 12
MIN_SEASONAL = 2 * SEASON  # months a seasonal ETS / SARIMA needs to be fitted


@dataclass
class Forecast:
    mean: np.ndarray  # (horizon,)
    paths: np.ndarray  # (n, horizon)


class ModelError(Exception):
    """A model cannot be fitted on this history (too short, constant, optimiser failure)."""


def _quiet():
    ctx = warnings.catch_warnings()
    ctx.__enter__()
    warnings.simplefilter("ignore")
    return ctx


F = TypeVar("F", bound=Callable[..., Any])
FITS_MAX = 512  # entries per memo; the memo is cleared when full


def fits_memoised(fn: F) -> F:
    """``fn(y, *scalars)`` with its results kept per (``y``'s values, the other arguments).

    The statsmodels fits are pure functions of the series and the arguments (the random paths come
    from the ``seed`` argument), and they are most of a figure-cache build's forecasting time. A
    process that builds the cache again for the same histories (the cockpit after re-importing the
    same data, the test suite's modules on the same data set, the demo) fits each series once. A
    ``ModelError`` is kept as well (the same series fails the same way). Results are returned as deep
    copies, so a caller that changes an array cannot change the memo."""
    memo: dict[tuple, Any] = {}

    @functools.wraps(fn)
    def wrapper(y: np.ndarray, *args):
        y = np.asarray(y, float)
        key = (y.shape, y.tobytes(), tuple(tuple(a) if isinstance(a, list) else a for a in args))
        if key not in memo:
            try:
                result: Any = fn(y, *args)
            except ModelError as e:
                result = e
            if len(memo) >= FITS_MAX:
                memo.clear()
            memo[key] = result
        hit = memo[key]
        if isinstance(hit, ModelError):
            raise ModelError(*hit.args)
        return copy.deepcopy(hit)

    return wrapper  # type: ignore[return-value]


def _scale(y: np.ndarray) -> float:
    s = float(np.nanmean(np.abs(y))) if len(y) else 0.0
    return s if s > 0 and np.isfinite(s) else 1.0


# ---- seasonal-naive -------------------------------------------------------------------------------


def seasonal_naive_mean(y: np.ndarray, horizon: int) -> np.ndarray:
    """The value of the same calendar month in the last observed year: yhat(T+h) = y(T+h-12k),
    k = ceil(h/12)."""
    if len(y) < SEASON:
        raise ModelError("seasonal-naive needs 12 months")
    t = len(y)
    return np.array([y[t - 1 + h - SEASON * int(np.ceil(h / SEASON))] for h in range(1, horizon + 1)], float)


class SeasonalNaive:
    name = "seasonal_naive"

    def points(self, h: History, origins: list[int], horizon: int) -> dict[int, np.ndarray]:
        return {o: seasonal_naive_mean(h.y[: o + 1], horizon) for o in origins}

    def forecast(self, h: History, horizon: int, paths: int, seed: int) -> Forecast:
        y = h.y
        mean = seasonal_naive_mean(y, horizon)
        # Errors of the method in the past: e(t) = y(t) - y(t-12) (not centred: a trend is an
        # error of this method). Each further year adds an independent error of that size.
        resid = y[SEASON:] - y[:-SEASON]
        sigma = float(np.sqrt(np.mean(resid**2))) if len(resid) else 0.0
        rng = np.random.default_rng(seed)
        eps = rng.normal(0.0, sigma, size=(paths, horizon))
        for i in range(SEASON, horizon):
            eps[:, i] += eps[:, i - SEASON]
        return Forecast(mean, mean + eps)


# ---- ETS ------------------------------------------------------------------------------------------


def _ets_model(y: np.ndarray):
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    if len(y) < MIN_SEASONAL + 2:
        raise ModelError("ETS needs two years")
    if np.nanstd(y) == 0:
        raise ModelError("constant series")
    # Initial level, trend and season from a classical decomposition of the first years
    # ("heuristic", Hyndman et al. 2008) instead of 14 more parameters to optimise: 4x faster.
    return ETSModel(
        y,
        error="add",
        trend="add",
        damped_trend=True,
        seasonal="add",
        seasonal_periods=SEASON,
        initialization_method="heuristic",
    )


def ets_fit(y: np.ndarray):
    """ETS(A,Ad,A): additive errors, damped additive trend, additive 12-month seasonality."""
    ctx = _quiet()
    try:
        res = _ets_model(y).fit(disp=False, maxiter=300)
    except ModelError:
        raise
    except Exception as e:  # noqa: BLE001 - any optimiser failure means: no such model here
        raise ModelError(f"ETS fit failed: {e}") from e
    finally:
        ctx.__exit__(None, None, None)
    if not np.all(np.isfinite(res.params)):
        raise ModelError("ETS fit failed")
    return res


@fits_memoised
def ets_points(y: np.ndarray, origins: list[int], horizon: int) -> dict[int, np.ndarray]:
    s = _scale(y[: origins[0] + 1])
    res = ets_fit(y[: origins[0] + 1] / s)
    out = {}
    ctx = _quiet()
    try:
        for o in origins:
            r = _ets_model(y[: o + 1] / s).smooth(res.params)
            out[o] = np.asarray(r.forecast(horizon)) * s
    finally:
        ctx.__exit__(None, None, None)
    return out


@fits_memoised
def ets_forecast(y: np.ndarray, horizon: int, paths: int, seed: int) -> Forecast:
    s = _scale(y)
    res = ets_fit(y / s)
    ctx = _quiet()
    try:
        mean = np.asarray(res.forecast(horizon)) * s
        sim = np.asarray(
            res.simulate(horizon, repetitions=paths, anchor="end", rng=np.random.default_rng(seed))
        ).reshape(horizon, paths)
    finally:
        ctx.__exit__(None, None, None)
    return Forecast(mean, sim.T * s)


class ETS:
    name = "ets"

    def points(self, h: History, origins: list[int], horizon: int) -> dict[int, np.ndarray]:
        return ets_points(h.y, origins, horizon)

    def forecast(self, h: History, horizon: int, paths: int, seed: int) -> Forecast:
        return ets_forecast(h.y, horizon, paths, seed)


# ---- SARIMA ---------------------------------------------------------------------------------------

ORDER = (0, 1, 1)
SEASONAL_ORDER = (0, 1, 1, SEASON)


def _sarima_fit(y: np.ndarray):
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    if len(y) < MIN_SEASONAL + 2:
        raise ModelError("SARIMA needs two years")
    if np.nanstd(y) == 0:
        raise ModelError("constant series")
    ctx = _quiet()
    try:
        res = SARIMAX(
            y, order=ORDER, seasonal_order=SEASONAL_ORDER, initialization="approximate_diffuse", concentrate_scale=True
        ).fit(disp=False, maxiter=100)
    except Exception as e:  # noqa: BLE001
        raise ModelError(f"SARIMA fit failed: {e}") from e
    finally:
        ctx.__exit__(None, None, None)
    if not np.all(np.isfinite(res.params)):
        raise ModelError("SARIMA fit failed")
    return res


@fits_memoised
def sarima_points(y: np.ndarray, origins: list[int], horizon: int) -> dict[int, np.ndarray]:
    s = _scale(y[: origins[0] + 1])
    res = _sarima_fit(y[: origins[0] + 1] / s)
    out = {}
    ctx = _quiet()
    try:
        for o in origins:
            out[o] = np.asarray(res.apply(y[: o + 1] / s).forecast(horizon)) * s
    finally:
        ctx.__exit__(None, None, None)
    return out


@fits_memoised
def sarima_forecast(y: np.ndarray, horizon: int, paths: int, seed: int) -> Forecast:
    s = _scale(y)
    res = _sarima_fit(y / s)
    ctx = _quiet()
    try:
        mean = np.asarray(res.forecast(horizon)) * s
        sim = np.asarray(res.simulate(horizon, repetitions=paths, anchor="end", rng=np.random.default_rng(seed)))
    finally:
        ctx.__exit__(None, None, None)
    return Forecast(mean, sim.reshape(horizon, paths).T * s)


class SARIMA:
    """The airline model SARIMA(0,1,1)(0,1,1)12: fixed small orders, no order search."""

    name = "sarima"

    def points(self, h: History, origins: list[int], horizon: int) -> dict[int, np.ndarray]:
        return sarima_points(h.y, origins, horizon)

    def forecast(self, h: History, horizon: int, paths: int, seed: int) -> Forecast:
        return sarima_forecast(h.y, horizon, paths, seed)


# ---- stock-flow -----------------------------------------------------------------------------------


def _flows(h: History) -> tuple[np.ndarray, np.ndarray]:
    if h.inflow is None or h.outflow is None:
        raise ModelError("no flows")
    # The flows are usable from the first month after which they are known without a gap.
    ok = ~(np.isnan(h.inflow) | np.isnan(h.outflow))
    if not ok[-1]:
        raise ModelError("flows unknown in the last month")
    return h.inflow, h.outflow


def _flow_start(h: History) -> int:
    ok = ~(np.isnan(h.inflow) | np.isnan(h.outflow))
    start = len(ok)
    while start > 0 and ok[start - 1]:
        start -= 1
    return start


def stock_flow_mean(stock_now: float, inflow_mean: np.ndarray, outflow_mean: np.ndarray) -> np.ndarray:
    """stock(T+h) = stock(T) + sum over k <= h of (inflow(T+k) - outflow(T+k))."""
    return stock_now + np.cumsum(np.asarray(inflow_mean) - np.asarray(outflow_mean))


class StockFlow:
    """stock(t+1) = stock(t) + entries(t+1) - exits(t+1); entries and exits each forecast with
    ETS on their own (for LZB: the transitions into and out of LZB). Intervals: simulated paths of
    both flow models, assumed independent of each other, cumulated onto the last stock."""

    name = "stock_flow"

    def points(self, h: History, origins: list[int], horizon: int) -> dict[int, np.ndarray]:
        fin, fout = _flows(h)
        start = _flow_start(h)
        if origins[0] - start + 1 < MIN_SEASONAL + 2:
            raise ModelError("flows too short")
        pin = ets_points(fin[start:], [o - start for o in origins], horizon)
        pout = ets_points(fout[start:], [o - start for o in origins], horizon)
        return {o: stock_flow_mean(h.y[o], pin[o - start], pout[o - start]) for o in origins}

    def forecast(self, h: History, horizon: int, paths: int, seed: int) -> Forecast:
        fin, fout = _flows(h)
        start = _flow_start(h)
        a = ets_forecast(fin[start:], horizon, paths, seed)
        b = ets_forecast(fout[start:], horizon, paths, seed + 1)
        last = float(h.y[-1])
        return Forecast(stock_flow_mean(last, a.mean, b.mean), last + np.cumsum(a.paths - b.paths, axis=1))


MODELS = {m.name: m for m in (SeasonalNaive(), ETS(), SARIMA(), StockFlow())}
BASELINE = SeasonalNaive.name


def candidates(h: History) -> list[str]:
    """The models tried for a history: the stock-flow model only where flows exist."""
    names = [SeasonalNaive.name, ETS.name, SARIMA.name]
    if h.inflow is not None:
        names.append(StockFlow.name)
    return names
