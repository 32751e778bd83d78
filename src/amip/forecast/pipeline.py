"""Backtest, model choice and the forecast tables.

Rolling-origin backtest: the origins are each of the last 24 months before the last data month
(origin = last month of data the forecast may use); from each origin the horizons 1..12 are
forecast as far as actual values exist (so the 24 origins give 12 forecasts each for the older
twelve and fewer for the newest ones: 222 forecast-actual pairs with 24 origins). MAPE =
mean(|actual - forecast| / |actual|) * 100 over all pairs whose actual is not 0. Per (job center,
series, sex) the model with the lowest MAPE is chosen; seasonal-naive is the baseline and chosen
when nothing beats it or a model cannot be fitted.

The backtest forecasts reach 18 months ahead; their errors calibrate the chosen model's intervals
and simulated paths (``amip.forecast.calibration``), and the coverage of the bands before and after
is stored in ``forecast_coverage``.

Many job centers: when there are more than ``SAMPLE`` job centers, the backtest runs on an evenly
spaced sample of ``SAMPLE`` of them and the model is chosen per (series, sex) by the mean MAPE over
the sample (``basis`` = ``pooled``); every job center then only fits its chosen model, calibrated
with the sample's errors of that model. This keeps the cost at one fit per series and job center
plus a fixed backtest.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from amip.figures.store import BACKTEST_COLUMNS, COVERAGE_COLUMNS, FORECAST_COLUMNS  # the cache's forecast tables
from amip.forecast import calibration
from amip.forecast.history import History, histories
from amip.forecast.methods import BASELINE, MODELS, ModelError, candidates
from amip.kennzahlen.calendar import month_str, parse_month

ORIGINS = 24
BACKTEST_HORIZON = 12
HORIZON = 18
PATHS = 500  # simulated paths for the intervals
STORED_PATHS = 200  # of which kept for probabilities (amip.forecast.probability)
SAMPLE = 12
MIN_BACKTEST_TRAIN = 26  # months of history before the first origin (two seasons + 2)
Q = {"lo95": 0.025, "lo80": 0.10, "hi80": 0.90, "hi95": 0.975}


def mape(actual, forecast) -> float:
    """Mean absolute percentage error in %, over the pairs whose actual value is not 0 (NaN if none)."""
    a = np.asarray(actual, float)
    f = np.asarray(forecast, float)
    keep = (a != 0) & np.isfinite(a) & np.isfinite(f)
    if not keep.any():
        return float("nan")
    return float(np.mean(np.abs(a[keep] - f[keep]) / np.abs(a[keep])) * 100)


def origins_of(n: int, count: int = ORIGINS) -> list[int]:
    """Indices of the backtest origins in a history of ``n`` months: the ``count`` months before
    the last, each leaving at least ``MIN_BACKTEST_TRAIN`` months before it (fewer origins on
    short histories; none when shorter than that plus one)."""
    first = max(n - 1 - count, MIN_BACKTEST_TRAIN - 1)
    return list(range(first, n - 1))


def backtest_points(h: History, horizon: int = BACKTEST_HORIZON, models: list[str] | None = None):
    """The backtest forecasts (origin index -> forecasts for h = 1..horizon) per model; models that
    cannot be fitted or give non-finite forecasts are left out."""
    origins = origins_of(len(h.y))
    if not origins:
        return {}
    out = {}
    for name in models or candidates(h):
        try:
            pts = MODELS[name].points(h, origins, horizon)
        except Exception:  # noqa: BLE001 - ModelError or a numerical failure: the model drops out
            continue
        if all(np.all(np.isfinite(f)) for f in pts.values()):
            out[name] = pts
    return out


def backtest_mape(h: History, pts: dict[int, np.ndarray]) -> tuple[float, int]:
    """MAPE over the horizons 1..BACKTEST_HORIZON (as far as actual values exist) and the number of
    forecast-actual pairs in it."""
    act: list[float] = []
    fc: list[float] = []
    for o, f in pts.items():
        k = min(BACKTEST_HORIZON, len(h.y) - 1 - o)
        act.extend(h.y[o + 1 : o + 1 + k])
        fc.extend(f[:k])
    return mape(act, fc), int(np.sum(np.asarray(act) != 0))


def backtest_one(h: History, models: list[str] | None = None) -> dict[str, tuple[float, int]]:
    """MAPE and number of forecast-actual pairs per model (models that cannot be fitted are left out)."""
    return {name: backtest_mape(h, pts) for name, pts in backtest_points(h, models=models).items()}


def choose(scores: dict[str, float]) -> str:
    """The model with the lowest finite MAPE; seasonal-naive when none has one (ties: baseline first)."""
    finite = {m: v for m, v in scores.items() if v == v}
    if not finite:
        return BASELINE
    order = [BASELINE] + sorted(m for m in finite if m != BASELINE)
    return min((m for m in order if m in finite), key=lambda m: finite[m])


def seed_of(h: History) -> int:
    return zlib.crc32(f"{h.jobcenter_id}|{h.series}|{h.sex}".encode()) & 0x7FFFFFFF


@dataclass
class Result:
    forecasts: pd.DataFrame
    backtest: pd.DataFrame
    paths: pd.DataFrame
    coverage: pd.DataFrame


def fit_one(h: History, model: str, horizon: int = HORIZON, paths: int = PATHS) -> tuple[str, np.ndarray, np.ndarray]:
    """The model's own forecast of ``h`` (falling back to seasonal-naive if ``model`` cannot be
    fitted): model used, point forecast and simulated paths (n x horizon), not cut at zero."""
    try:
        fc = MODELS[model].forecast(h, horizon, paths, seed_of(h))
        if not (np.all(np.isfinite(fc.mean)) and np.all(np.isfinite(fc.paths))):
            raise ModelError("non-finite forecast")
    except Exception:  # noqa: BLE001 - ModelError or a numerical failure: fall back to the baseline
        model = BASELINE
        fc = MODELS[model].forecast(h, horizon, paths, seed_of(h))
    return model, np.asarray(fc.mean, float), np.asarray(fc.paths, float)


def frame_of(h: History, model: str, mean: np.ndarray, sims: np.ndarray) -> pd.DataFrame:
    """The forecast rows: mean, the interval bounds read from the paths ``sims`` (already cut at
    zero) and their sd."""
    horizon = len(mean)
    o = parse_month(h.months[-1])
    qs = {k: np.quantile(sims, q, axis=0) for k, q in Q.items()}
    return pd.DataFrame(
        {
            "jobcenter_id": h.jobcenter_id,
            "series": h.series,
            "sex": h.sex,
            "origin": h.months[-1],
            "month": [month_str(o + i) for i in range(1, horizon + 1)],
            "model": model,
            "mean": np.clip(mean, 0, None),
            **qs,
            "sd": sims.std(axis=0, ddof=1),
        }
    )[FORECAST_COLUMNS]


def forecast_one(
    h: History, model: str, horizon: int = HORIZON, paths: int = PATHS, table: np.ndarray | None = None
) -> tuple[str, pd.DataFrame, np.ndarray]:
    """The forecast of ``h`` with ``model`` (falling back to seasonal-naive if it cannot be fitted):
    model used, the forecast rows and the simulated paths (n x horizon, cut at zero). With a
    calibration ``table`` (``calibration.quantile_table``, horizon x 5) the paths are calibrated."""
    model, mean, sims = fit_one(h, model, horizon, paths)
    return (model, *_finish(h, model, mean, sims, table))


def _finish(h: History, model: str, mean: np.ndarray, sims: np.ndarray, table: np.ndarray | None):
    if table is not None:
        sd, knots = calibration.model_spread(mean, sims)
        sims = calibration.map_paths(mean, sims, sd, knots, table)
    sims = np.clip(sims, 0, None)
    return frame_of(h, model, mean, sims), sims


def run(
    series: pd.DataFrame,
    horizon: int = HORIZON,
    jobcenters: list[str] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> Result:
    """Backtest, choose, forecast and calibrate every (job center, series, sex) in the engine's
    ``series`` table."""
    hs = [h for h in histories(series, jobcenters) if len(h.y) >= 12]
    jcs = sorted({h.jobcenter_id for h in hs})
    pooled = len(jcs) > SAMPLE
    sample = set(jcs) if not pooled else {jcs[round(i * (len(jcs) - 1) / (SAMPLE - 1))] for i in range(SAMPLE)}
    tested = [h for h in hs if h.jobcenter_id in sample]
    total = 2 * len(tested) + len(hs)
    step = 0
    say = progress or (lambda *_a: None)
    # The backtest forecasts reach as far as the forecast (errors up to h = 18 calibrate it; longer
    # horizons than the origins allow borrow the longest ones); the MAPE uses h = 1..12.
    cal_horizon = max(BACKTEST_HORIZON, min(horizon, ORIGINS))
    rows = []
    points: dict[tuple[str, str, str], dict[str, dict[int, np.ndarray]]] = {}
    for h in tested:
        say(step, total, f"Backtest {h.jobcenter_id} {h.series} {h.sex}")
        points[_key(h)] = backtest_points(h, cal_horizon)
        for name, pts in points[_key(h)].items():
            m, n = backtest_mape(h, pts)
            rows.append(
                {
                    "jobcenter_id": h.jobcenter_id,
                    "series": h.series,
                    "sex": h.sex,
                    "model": name,
                    "mape": m,
                    "points": n,
                }
            )
        step += 1
    bt = pd.DataFrame(rows, columns=["jobcenter_id", "series", "sex", "model", "mape", "points"])
    choice: dict[tuple, str] = {}
    if pooled:
        mean_mape = bt.groupby(["series", "sex", "model"])["mape"].mean()
        for (series_, sex), t in mean_mape.groupby(level=[0, 1]):
            choice[(series_, sex)] = choose({k[2]: v for k, v in t.items()})
    else:
        for (jc, series_, sex), t in bt.groupby(["jobcenter_id", "series", "sex"]):
            choice[(jc, series_, sex)] = choose(dict(zip(t["model"], t["mape"])))

    def chosen(h: History) -> str:
        return choice.get((h.series, h.sex) if pooled else _key(h), BASELINE)

    # Calibration: the tested histories' own fits give the sd that scales their backtest errors;
    # the scores are pooled per calibration group (the history itself, or with a sample of job
    # centers: the series, sex and model over the sample).
    fits: dict[tuple[str, str, str], tuple[str, np.ndarray, np.ndarray]] = {}
    groups: dict[tuple, list[calibration.Scores]] = {}
    for h in tested:
        say(step, total, f"Kalibrierung {h.jobcenter_id} {h.series} {h.sex}")
        model, mean, sims = fits[_key(h)] = fit_one(h, chosen(h), horizon)
        own = points[_key(h)].get(model)
        if own:
            sd, knots = calibration.model_spread(mean, sims)
            sc = calibration.scores(h.y, own, sd, knots, parse_month(h.months[0]))
            groups.setdefault(_group(h, model, pooled), []).append(sc)
        step += 1
    tables: dict[tuple, np.ndarray | None] = {}
    measured: dict[tuple, dict] = {}
    for g, parts in groups.items():
        sc = calibration.Scores.concat(parts)
        tables[g] = calibration.quantile_table(sc, horizon) if len(sc) >= calibration.MIN_SCORES else None
        measured[g] = calibration.coverage(sc)
    frames, path_rows, cover_rows, used = [], [], [], {}
    for h in hs:
        say(step, total, f"Prognose {h.jobcenter_id} {h.series} {h.sex}")
        fitted = fits.pop(_key(h), None)
        model, mean, sims = fitted if fitted is not None else fit_one(h, chosen(h), horizon)
        g = _group(h, model, pooled)
        table = tables.get(g)
        frame, sims = _finish(h, model, mean, sims, table)
        used[_key(h)] = model
        frames.append(frame)
        cover_rows.append(_coverage_row(h, model, measured.get(g), table is not None, len(sample), pooled))
        kept = sims[:STORED_PATHS].astype(np.float32)
        path_rows.append(
            pd.DataFrame(
                {
                    "jobcenter_id": h.jobcenter_id,
                    "series": h.series,
                    "sex": h.sex,
                    "path": np.arange(len(kept), dtype=np.int32),
                    "origin": h.months[-1],
                    "values": list(kept),
                }
            )
        )
        step += 1
    say(total, total, "fertig")
    if len(bt):
        bt["chosen"] = [
            used.get((j, s, x)) == m if not pooled else choice.get((s, x)) == m
            for j, s, x, m in zip(bt["jobcenter_id"], bt["series"], bt["sex"], bt["model"])
        ]
    else:
        bt["chosen"] = pd.Series(dtype=bool)
    bt["basis"] = f"pooled:{len(sample)}" if pooled else "jobcenter"
    forecasts = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=FORECAST_COLUMNS)
    paths = (
        pd.concat(path_rows, ignore_index=True)
        if path_rows
        else pd.DataFrame(columns=["jobcenter_id", "series", "sex", "path", "origin", "values"])
    )
    coverage = pd.DataFrame(cover_rows, columns=COVERAGE_COLUMNS)
    return Result(forecasts, bt[BACKTEST_COLUMNS], paths, coverage)


def _key(h: History) -> tuple[str, str, str]:
    return (h.jobcenter_id, h.series, h.sex)


def _group(h: History, model: str, pooled: bool) -> tuple:
    return (h.series, h.sex, model) if pooled else (*_key(h), model)


def _coverage_row(h: History, model: str, m: dict | None, calibrated: bool, sample: int, pooled: bool) -> dict:
    nan = float("nan")
    m = m or {}
    return {
        "jobcenter_id": h.jobcenter_id,
        "series": h.series,
        "sex": h.sex,
        "model": model,
        "calibrated": calibrated,
        "pairs": int(m.get("pairs", 0)),
        "coverage80_model": m.get("model80", nan),
        "coverage95_model": m.get("model95", nan),
        "coverage80": m.get("cal80", nan) if calibrated else nan,
        "coverage95": m.get("cal95", nan) if calibrated else nan,
        "coverage80_split": m.get("split80", nan) if calibrated else nan,
        "coverage95_split": m.get("split95", nan) if calibrated else nan,
        "split_pairs": int(m.get("split_pairs", 0)),
        "basis": f"pooled:{sample}" if pooled else "jobcenter",
    }


def build(
    con, progress: Callable[[str], None] | None = None, horizon: int = HORIZON, jobcenters: list[str] | None = None
) -> Result:
    """Compute the forecasts from the cache's ``series`` table on ``con`` (DuckDB) and store the
    tables ``forecasts``, ``forecast_backtest``, ``forecast_coverage`` and ``forecast_paths`` on it; only for
    ``jobcenters`` when given (the home job centers)."""
    series = con.execute("SELECT * FROM series").df()
    say = progress or (lambda _m: None)
    say("forecasts")
    result = run(series, horizon, jobcenters)
    con.execute("""CREATE TABLE forecasts (jobcenter_id VARCHAR, series VARCHAR, sex VARCHAR, origin VARCHAR,
                   month VARCHAR, model VARCHAR, mean DOUBLE, lo80 DOUBLE, hi80 DOUBLE, lo95 DOUBLE,
                   hi95 DOUBLE, sd DOUBLE)""")
    con.execute("""CREATE TABLE forecast_backtest (jobcenter_id VARCHAR, series VARCHAR, sex VARCHAR,
                   model VARCHAR, mape DOUBLE, chosen BOOLEAN, points INTEGER, basis VARCHAR)""")
    con.execute("""CREATE TABLE forecast_coverage (jobcenter_id VARCHAR, series VARCHAR, sex VARCHAR,
                   model VARCHAR, calibrated BOOLEAN, pairs INTEGER, coverage80_model DOUBLE,
                   coverage95_model DOUBLE, coverage80 DOUBLE, coverage95 DOUBLE, coverage80_split DOUBLE,
                   coverage95_split DOUBLE, split_pairs INTEGER, basis VARCHAR)""")
    for table, frame in (
        ("forecasts", result.forecasts),
        ("forecast_backtest", result.backtest),
        ("forecast_coverage", result.coverage),
    ):
        if len(frame):
            con.register("_frame", frame)
            con.execute(f"INSERT INTO {table} SELECT * FROM _frame")
            con.unregister("_frame")
    con.execute("""CREATE TABLE forecast_paths (jobcenter_id VARCHAR, series VARCHAR, sex VARCHAR,
                   path INTEGER, origin VARCHAR, "values" FLOAT[])""")
    if len(result.paths):
        p = result.paths
        import pyarrow as pa

        arrow = pa.table(
            {
                "jobcenter_id": pa.array(p["jobcenter_id"].astype(str)),
                "series": pa.array(p["series"].astype(str)),
                "sex": pa.array(p["sex"].astype(str)),
                "path": pa.array(p["path"].astype("int32")),
                "origin": pa.array(p["origin"].astype(str)),
                "values": pa.array([v.tolist() for v in p["values"]], pa.list_(pa.float32())),
            }
        )
        con.register("_paths", arrow)
        con.execute("INSERT INTO forecast_paths SELECT * FROM _paths")
        con.unregister("_paths")
    return result
