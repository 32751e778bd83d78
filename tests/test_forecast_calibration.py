"""Calibrated forecast intervals: the conformal pieces by hand, and coverage on a series with known noise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from amip.forecast import calibration as cal
from amip.forecast.pipeline import HORIZON, run
from amip.kennzahlen.calendar import month_str, parse_month

# ---- hand-made error samples ------------------------------------------------------------------------


def test_conformal_quantile_by_hand():
    v = np.arange(19, 0, -1.0)  # the scores 1..19 in any order; n = 19, so n + 1 = 20
    # lower bound at p: the floor(20 p)-th smallest; upper bound: the ceil(20 p)-th smallest
    assert cal.conformal_quantile(v, 0.10) == 2.0  # floor(2.0) = 2 -> 2
    assert cal.conformal_quantile(v, 0.90) == 18.0  # ceil(18.0) = 18 -> 18
    assert cal.conformal_quantile(v, 0.025) == 1.0  # floor(0.5) = 0 -> the smallest
    assert cal.conformal_quantile(v, 0.975) == 19.0  # ceil(19.5) = 20 > 19 -> the largest
    assert cal.conformal_quantile(v, 0.5) == 10.0  # the median
    # absolute errors 0,1,1,2,2,3,4,5,8 (n = 9, n + 1 = 10): 80 %: ceil(8.0) = 8th = 5; 95 %: ceil(9.5) -> largest 8
    a = np.abs([-3, -1, 0, 2, 5, -8, 1, 4, -2])
    assert cal.conformal_quantile(a, 0.80) == 5.0
    assert cal.conformal_quantile(a, 0.95) == 8.0
    with pytest.raises(ValueError):
        cal.conformal_quantile([], 0.8)


def _scores(h: list[int], s: list[float], origin: list[int] | None = None) -> cal.Scores:
    n = len(s)
    return cal.Scores(
        np.asarray(origin if origin is not None else range(n), int),
        np.asarray(h, int),
        np.asarray(s, float),
        np.tile([-1.96, -1.28, 1.28, 1.96], (n, 1)),
    )


def test_window_pools_neighbouring_horizons_until_30_scores():
    # 10 scores at each of h = 1, 2, 3 and 5 at h = 4 (fewer origins reach further)
    h = [1] * 10 + [2] * 10 + [3] * 10 + [4] * 5
    sc = _scores(h, list(range(35)))
    # h = 1: 10 at distance 0, 20 within 1, 30 within 2 -> h = 1..3
    assert sorted(cal.window(sc, 1)) == list(range(30))
    # h = 2: 30 within distance 1 (h = 1..3)
    assert len(cal.window(sc, 2)) == 30
    # h = 4: 5, 15, 25, 35 within distance 0..3 -> all 35
    assert len(cal.window(sc, 4)) == 35
    # h = 6 lies beyond the backtest: the nearest horizons, 35 within distance 5
    assert len(cal.window(sc, 6)) == 35
    # a mask leaves scores out: without the first origin only 29 at h = 1..3, so h = 4 joins
    assert len(cal.window(sc, 1, sc.origin != 0)) == 34


def test_quantile_table_is_symmetric_with_conformal_half_widths():
    # 39 scores at h = 1 with |s| = 1..39, signs alternating; n + 1 = 40:
    # a80 = the ceil(0.8 * 40) = 32nd smallest |s| = 32, a95 = the ceil(0.95 * 40) = 38th = 38
    s = [k * (-1) ** k for k in range(1, 40)]
    t = cal.quantile_table(_scores([1] * 39, s), 2)
    assert t[0].tolist() == [-38.0, -32.0, 0.0, 32.0, 38.0]
    assert t[1].tolist() == t[0].tolist()  # h = 2 has no scores of its own: it borrows h = 1's


def test_map_paths_moves_the_model_quantiles_onto_the_calibrated_ones():
    from statistics import NormalDist

    z = np.array([NormalDist().inv_cdf((i + 0.5) / 1000) for i in range(1000)])  # one deviation per path
    rng = np.random.default_rng(20261201)
    z = rng.permutation(z)
    mean = np.array([100.0, 200.0])
    sims = np.column_stack([100 + 4 * z, 200 + 10 * z])
    sd, knots = cal.model_spread(mean, sims)
    assert sd == pytest.approx([4.0, 10.0], rel=0.01)
    # doubling every knot is the map x -> 2x everywhere (also beyond the outer knots):
    # every path's deviation from the mean doubles, its rank stays
    mapped = cal.map_paths(mean, sims, sd, knots, 2 * knots)
    assert mapped[:, 0] == pytest.approx(100 + 8 * z)
    assert mapped[:, 1] == pytest.approx(200 + 20 * z)
    # a calibrated table: the paths' quantiles at 10 % / 90 % are mean -+ 3 sd, at 2.5 / 97.5 % -+ 5 sd
    table = np.tile([-5.0, -3.0, 0.0, 3.0, 5.0], (2, 1))
    mapped = cal.map_paths(mean, sims, sd, knots, table)
    q = np.quantile(mapped[:, 1], [0.025, 0.10, 0.5, 0.90, 0.975])
    assert q == pytest.approx(200 + sd[1] * table[1], abs=0.05)
    assert (np.argsort(mapped[:, 1]) == np.argsort(sims[:, 1])).all()


def test_coverage_counts_the_model_band_and_the_held_out_origin():
    # 40 origins, one score each at h = 1: 0.1, 0.2, ..., 4.0. Model band -+1.28 (80 %), -+1.96 (95 %).
    s = [0.1 * k for k in range(1, 41)]
    m = cal.coverage(_scores([1] * 40, s))
    assert m["pairs"] == 40
    assert m["model80"] == pytest.approx(100 * 12 / 40)  # 0.1 .. 1.2 lie within 1.28
    assert m["model95"] == pytest.approx(100 * 19 / 40)  # 0.1 .. 1.9 within 1.96
    # leave one out: the other 39 give a80 = their 32nd smallest, a95 = their 38th smallest.
    # Origin k (score 0.1 k) is inside the 80 % band when 0.1 k <= a80: for k <= 32 a80 = 3.3
    # (k itself is among the smallest 32 and removed), so k = 1..32 are covered, k = 33..40
    # are not (a80 = 3.2 < 0.1 k): 32 of 40 = 80 %. 95 %: k <= 38 covered -> 38 of 40 = 95 %.
    assert m["cal80"] == pytest.approx(80.0)
    assert m["cal95"] == pytest.approx(95.0)
    # split: calibrated on origins 0..19 (scores 0.1..2.0: a80 = their ceil(0.8 * 21) = 17th = 1.7,
    # a95 = ceil(0.95 * 21) = 20th = 2.0), checked on 2.1..4.0: none covered
    assert m["split_pairs"] == 20 and m["split80"] == 0.0 and m["split95"] == 0.0


# ---- a series with known noise --------------------------------------------------------------------------

N_MONTHS = 79  # as the demo's 2016-06 .. 2022-12
NOISE_SD = 8.0


def _pattern(months: np.ndarray) -> np.ndarray:
    return 200 + 20 * np.sin(2 * np.pi * months / 12)


@pytest.mark.slow  # 12 backtests with ETS and SARIMA: about 12 s
def test_calibrated_80_band_covers_80_percent_of_held_out_outcomes():
    # Twelve series (job centers): a fixed seasonal figure plus white noise with sd 8. Given its
    # history, a future month of such a series is the figure plus a fresh noise draw, so 2 000
    # fresh futures are outcomes that neither the fit nor the calibration has seen. One series'
    # band rests on 24 backtest origins and covers between about 65 and 95 %; the mean over twelve
    # is the coverage the method promises.
    rng = np.random.default_rng(20261201)
    first = parse_month("2016-06")
    rows = []
    for jc in [f"J{i:02d}" for i in range(12)]:
        y = _pattern(np.arange(N_MONTHS)) + rng.normal(0, NOISE_SD, N_MONTHS)
        rows += [
            {"jobcenter_id": jc, "sex": "all", "month": month_str(first + i), "int": v, "int_ok": 1}
            for i, v in enumerate(y)
        ]
    res = run(pd.DataFrame(rows))
    assert res.coverage["calibrated"].all() and set(res.forecasts["series"]) == {"integrations"}
    future = _pattern(np.arange(N_MONTHS, N_MONTHS + HORIZON)) + rng.normal(0, NOISE_SD, (2000, HORIZON))
    inside80, inside95 = [], []
    for _jc, f in res.forecasts.groupby("jobcenter_id"):
        f = f.sort_values("month")
        assert len(f) == HORIZON
        inside80.append(((future >= f["lo80"].to_numpy()) & (future <= f["hi80"].to_numpy())).mean())
        inside95.append(((future >= f["lo95"].to_numpy()) & (future <= f["hi95"].to_numpy())).mean())
    assert 0.75 <= np.mean(inside80) <= 0.85, inside80
    assert 0.90 <= np.mean(inside95) <= 0.98, inside95


def test_a_short_history_keeps_the_models_own_intervals():
    # 30 months: 4 backtest origins (indices 25..28) with 4 + 3 + 2 + 1 = 10 forecast-actual pairs,
    # fewer than the 30 scores a calibration needs: the model's own bands, coverage only for them
    from amip.forecast.history import histories
    from amip.forecast.pipeline import forecast_one

    rng = np.random.default_rng(4)
    first = parse_month("2020-07")
    y = _pattern(np.arange(30)) + rng.normal(0, NOISE_SD, 30)
    series = pd.DataFrame(
        [
            {"jobcenter_id": "A", "sex": "all", "month": month_str(first + i), "int": v, "int_ok": 1}
            for i, v in enumerate(y)
        ]
    )
    res = run(series)
    cov = res.coverage.iloc[0]
    assert not cov["calibrated"] and cov["pairs"] == 10
    assert np.isnan(cov["coverage80"]) and np.isnan(cov["coverage95_split"])
    assert 0 <= cov["coverage80_model"] <= 100
    (h,) = histories(series)
    _, own, _ = forecast_one(h, cov["model"], HORIZON)
    for k in ("lo95", "lo80", "hi80", "hi95", "sd"):
        assert res.forecasts[k].to_numpy() == pytest.approx(own[k].to_numpy())
