"""Calibrated prediction intervals: split conformal on the backtest's scaled errors, per horizon.

The model's own simulated intervals assume the model is right and its parameters known; in the
rolling-origin backtest they covered far fewer outcomes than they claim (docs/forecast.md). The
calibration replaces their width by what the chosen model's out-of-sample errors
were, keeping the model's point forecast and the shape of its paths:

1. Scores. For every backtest origin o and horizon h with an actual value, the error
   e = actual(o+h) - forecast_o(h) of the chosen model is divided by the model's own standard
   deviation at h, sd(h) (of the final fit's simulated paths): s = e / sd(h). Scaling makes
   errors of different horizons comparable, so horizons can be pooled.
2. Pooling across horizons. The scores of horizon h are those of the horizons h' with
   |h' - h| <= w, for the smallest w that gives at least ``MIN_SCORES`` scores (w = 1 at h = 1
   with 24 origins; wider at long horizons, where fewer origins have an actual value; horizons
   beyond the longest backtest horizon use the nearest ones).
3. Symmetric bands from the absolute scores, with the finite-sample rule of split conformal
   prediction (``conformal_quantile``): with n absolute scores |s|, the half-width of the 80 %
   band is the ceil(0.80 (n + 1))-th smallest, that of the 95 % band the ceil(0.95 (n + 1))-th
   smallest (the largest when that rank exceeds n). The calibrated band is mean(h) +- a * sd(h).
   Symmetric, because at long horizons the errors come from a few neighbouring origins whose
   forecasts all erred the same way: their signed quantiles moved the whole band off the point
   forecast (decision 56).
4. Paths. Every simulated path is mapped horizon by horizon through the monotone, piecewise
   linear function that sends the model's own quantiles (2.5, 10, 50, 90, 97.5 %) of the
   standardised deviations onto the calibrated ones (linear beyond the outer quantiles), so the
   paths' quantiles are the calibrated bands and every path keeps its rank in every month (the
   model's correlation between months, which the target probabilities use, is kept).

Coverage is measured on errors not used for the calibration: leave-one-origin-out (the scores of
one origin are evaluated against the calibration from all other origins) and, stricter, a split in
time (calibrated on the older half of the origins, evaluated on the newer half). The model's own
bands are evaluated on the same pairs (``coverage``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MIN_SCORES = 30  # scores per horizon window (and at least this many to calibrate at all)
LEVELS = (0.025, 0.10, 0.50, 0.90, 0.975)  # knots: lo95, lo80, median, hi80, hi95
LO95, LO80, MED, HI80, HI95 = range(5)


def conformal_quantile(values, p: float) -> float:
    """The split-conformal bound at level ``p`` of the scores ``values``: for p < 0.5 the
    floor(p (n + 1))-th smallest (at least the smallest), for p > 0.5 the ceil(p (n + 1))-th
    smallest (at most the largest), for p = 0.5 the median. A new score exchangeable with the n
    falls below the lower bound with probability <= p (above the upper one: <= 1 - p)."""
    v = np.sort(np.asarray(values, float))
    n = len(v)
    if not n:
        raise ValueError("no scores")
    if p == 0.5:
        return float(np.median(v))
    if p < 0.5:
        k = math.floor(p * (n + 1))
        return float(v[max(k, 1) - 1])
    k = math.ceil(p * (n + 1))
    return float(v[min(k, n) - 1])


@dataclass
class Scores:
    """Scaled out-of-sample errors of one model: one entry per (origin, horizon) pair.

    ``origin`` identifies the backtest origin (a month index), ``h`` the horizon (1-based), ``s`` the
    error divided by the model's sd at h, ``model`` the model's own band at h in the same scale
    (columns lo95, lo80, hi80, hi95 of the standardised deviations of its simulated paths)."""

    origin: np.ndarray
    h: np.ndarray
    s: np.ndarray
    model: np.ndarray  # (pairs, 4)

    @staticmethod
    def concat(parts: list[Scores]) -> Scores:
        if not parts:
            return Scores(np.zeros(0, int), np.zeros(0, int), np.zeros(0), np.zeros((0, 4)))
        return Scores(
            np.concatenate([p.origin for p in parts]),
            np.concatenate([p.h for p in parts]),
            np.concatenate([p.s for p in parts]),
            np.concatenate([p.model for p in parts]),
        )

    def __len__(self) -> int:
        return len(self.s)


def _sd_floor(sd: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """The model's sd, kept away from 0 (a path-less, constant forecast) so that scores are finite."""
    return np.maximum(sd, 1e-9 * np.maximum(1.0, np.abs(mean)))


def model_spread(mean: np.ndarray, sims: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """sd per horizon of the simulated paths (floored) and the knots of their standardised
    deviations from ``mean`` (horizon x 5, at ``LEVELS``)."""
    sd = _sd_floor(sims.std(axis=0, ddof=1) if len(sims) > 1 else np.zeros(sims.shape[1]), mean)
    knots = np.quantile((sims - mean) / sd, LEVELS, axis=0).T
    return sd, knots


def scores(
    y: np.ndarray, points: dict[int, np.ndarray], sd: np.ndarray, knots: np.ndarray, origin_offset: int = 0
) -> Scores:
    """The scaled errors of the backtest forecasts ``points`` (origin index in ``y`` -> forecasts for
    h = 1, 2, ...) against the actual values ``y``, up to the horizon of ``sd``. ``origin_offset``
    is added to the origin indices (so origins of several job centers line up by month)."""
    horizon = len(sd)
    o_, h_, s_, m_ = [], [], [], []
    for o, f in points.items():
        k = min(horizon, len(f), len(y) - 1 - o)
        for i in range(k):
            e = y[o + 1 + i] - f[i]
            if not (np.isfinite(e) and np.isfinite(y[o + 1 + i])):
                continue
            o_.append(o + origin_offset)
            h_.append(i + 1)
            s_.append(e / sd[i])
            m_.append(knots[i, [LO95, LO80, HI80, HI95]])
    return Scores(np.asarray(o_, int), np.asarray(h_, int), np.asarray(s_, float), np.asarray(m_, float).reshape(-1, 4))


def window(sc: Scores, h: int, mask: np.ndarray | None = None, min_scores: int = MIN_SCORES) -> np.ndarray:
    """The scores pooled for horizon ``h``: those of horizons within w of h, for the smallest w
    giving ``min_scores`` of them (all scores when there are fewer); only where ``mask`` holds."""
    keep = np.ones(len(sc), bool) if mask is None else mask
    if not keep.any():
        return np.zeros(0)
    dist = np.abs(sc.h - h)
    counts = np.bincount(dist[keep])
    reached = np.nonzero(np.cumsum(counts) >= min_scores)[0]
    w = int(reached[0]) if len(reached) else len(counts) - 1
    return sc.s[keep & (dist <= w)]


def quantile_table(sc: Scores, horizon: int, mask: np.ndarray | None = None) -> np.ndarray:
    """Calibrated score quantiles at ``LEVELS`` for h = 1..horizon (horizon x 5): symmetric around 0,
    +-a80 and +-a95 with a = the conformal 80 % / 95 % bound of the absolute scores of the window."""
    out = np.empty((horizon, len(LEVELS)))
    for h in range(1, horizon + 1):
        v = window(sc, h, mask)
        if not len(v):  # nothing to calibrate on (every score masked)
            out[h - 1] = np.nan
            continue
        a80, a95 = conformal_quantile(np.abs(v), 0.80), conformal_quantile(np.abs(v), 0.95)
        out[h - 1] = [-a95, -a80, 0.0, a80, a95]
    return out


def map_paths(mean: np.ndarray, sims: np.ndarray, sd: np.ndarray, knots: np.ndarray, table: np.ndarray) -> np.ndarray:
    """The simulated paths with their standardised deviations mapped, horizon by horizon, from the
    model's knots onto the calibrated quantiles ``table`` (piecewise linear between the knots,
    linear with the outer segments' slopes beyond them; ranks kept)."""
    out = np.empty_like(sims, dtype=float)
    n = sims.shape[0]
    for i in range(sims.shape[1]):
        x, y = knots[i], table[i]
        d = (sims[:, i] - mean[i]) / sd[i]
        if np.all(np.diff(x) > 0):
            z = np.interp(d, x, y)
            lo, hi = d < x[0], d > x[-1]
            z[lo] = y[0] + (d[lo] - x[0]) * (y[1] - y[0]) / (x[1] - x[0])
            z[hi] = y[-1] + (d[hi] - x[-1]) * (y[-1] - y[-2]) / (x[-1] - x[-2])
        else:  # degenerate spread (e.g. all paths equal): place the paths by rank
            u = (np.argsort(np.argsort(d, kind="stable"), kind="stable") + 0.5) / n
            z = np.interp(u, LEVELS, y)
        out[:, i] = mean[i] + z * sd[i]
    return out


def _covered(sc: Scores, idx: np.ndarray, table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    q = table[np.minimum(sc.h[idx], len(table)) - 1]
    known = ~np.isnan(q[:, MED])  # pairs without a calibration are not counted
    q, s = q[known], sc.s[idx][known]
    return (s >= q[:, LO80]) & (s <= q[:, HI80]), (s >= q[:, LO95]) & (s <= q[:, HI95])


def _pct(hits: list[np.ndarray]) -> float:
    a = np.concatenate(hits) if hits else np.zeros(0, bool)
    return float(np.mean(a) * 100) if len(a) else float("nan")


def coverage(sc: Scores) -> dict[str, float | int]:
    """Share (%) of the backtest pairs inside the 80 % and 95 % bands: the model's own bands
    (``model80``, ``model95``), the calibrated bands evaluated leave-one-origin-out (``cal80``,
    ``cal95``) and calibrated on the older half of the origins, evaluated on the newer half
    (``split80``, ``split95``; ``split_pairs`` pairs). With fewer than ``MIN_SCORES`` scores there is
    no calibration, and its coverages are NaN."""
    horizon = int(sc.h.max()) if len(sc) else 0
    m = sc.model
    own80 = (sc.s >= m[:, 1]) & (sc.s <= m[:, 2])
    own95 = (sc.s >= m[:, 0]) & (sc.s <= m[:, 3])
    hit80, hit95 = [], []
    origins = np.unique(sc.origin) if len(sc) >= MIN_SCORES else np.zeros(0, int)  # too few: no calibration
    for o in origins:
        idx = np.nonzero(sc.origin == o)[0]
        t = quantile_table(sc, horizon, sc.origin != o)
        a, b = _covered(sc, idx, t)
        hit80.append(a)
        hit95.append(b)
    older = origins[: len(origins) // 2]
    s80, s95, split_pairs = [], [], 0
    if len(older) and len(older) < len(origins):
        old = np.isin(sc.origin, older)
        idx = np.nonzero(~old)[0]
        a, b = _covered(sc, idx, quantile_table(sc, horizon, old))
        s80, s95, split_pairs = [a], [b], len(idx)
    return {
        "pairs": len(sc),
        "model80": _pct([own80]),
        "model95": _pct([own95]),
        "cal80": _pct(hit80),
        "cal95": _pct(hit95),
        "split80": _pct(s80),
        "split95": _pct(s95),
        "split_pairs": split_pairs,
    }
