"""The monthly history the forecasts start from: the engine's ``series`` table (cockpit cache).

Each forecast series is one column of ``series`` (per job center, month, sex), usable only in the
months where the engine's flag for it holds (e.g. LZB needs 24 months of history before it is
known; the first LZB month holds every person's switch into LZB as an "entry"). The stock-flow
model additionally needs the flows whose balance moves the stock.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Spec:
    """One forecast series: the series column, the flag that must hold, sexes, and the flows
    (in, out, their flag) of the stock-flow model, if any."""

    id: str
    column: str
    flag: str
    sexes: tuple[str, ...]
    flows: tuple[str, str, str] | None = None
    money: bool = False


SERIES: dict[str, Spec] = {
    s.id: s
    for s in (
        Spec("elb", "stock", "cov", ("all", "m", "w"), ("entries", "exits", "flow_ok")),
        Spec("lzb", "lzb", "lzb_ok", ("all", "m", "w"), ("lzb_entries", "lzb_exits", "lzb_flow_ok")),
        Spec("integrations", "int", "int_ok", ("all", "m", "w")),
        Spec("llu", "llu", "cov", ("all",), money=True),
        Spec("luh", "luh", "cov", ("all",), money=True),
    )
}


@dataclass
class History:
    """One (job center, series, sex): months (YYYY-MM, consecutive) with the target values and,
    for stock-flow series, the inflow and outflow of the same months (NaN where unknown)."""

    jobcenter_id: str
    series: str
    sex: str
    months: list[str]
    y: np.ndarray
    inflow: np.ndarray | None = None
    outflow: np.ndarray | None = None


def _trailing_run(ok: np.ndarray) -> int:
    """Index where the last unbroken run of True values starts (len(ok) if the last is False)."""
    start = len(ok)
    while start > 0 and ok[start - 1]:
        start -= 1
    return start


def histories(series: pd.DataFrame, jobcenters: list[str] | None = None) -> list[History]:
    """Every (job center, series, sex) history in ``series`` (the engine's table as a DataFrame):
    the last unbroken run of months where the series' flag holds and the value is known."""
    out: list[History] = []
    frame = series if jobcenters is None else series[series["jobcenter_id"].isin(jobcenters)]
    for (jc, sex), t in frame.groupby(["jobcenter_id", "sex"], sort=True):
        t = t.sort_values("month")
        months = t["month"].tolist()
        for spec in SERIES.values():
            if sex not in spec.sexes or spec.column not in t:
                continue
            vals = t[spec.column].astype(float).to_numpy()
            flag = t[spec.flag].fillna(0).to_numpy().astype(bool) if spec.flag in t else np.ones(len(t), bool)
            ok = flag & ~np.isnan(vals)
            start = _trailing_run(ok)
            if start >= len(t):
                continue
            h = History(str(jc), spec.id, str(sex), months[start:], vals[start:])
            if spec.flows and all(c in t for c in spec.flows[:2]):
                fin, fout, fflag = spec.flows
                fok = t[fflag].fillna(0).to_numpy().astype(bool) if fflag in t else np.ones(len(t), bool)
                h.inflow = np.where(fok, t[fin].astype(float).to_numpy(), np.nan)[start:]
                h.outflow = np.where(fok, t[fout].astype(float).to_numpy(), np.nan)[start:]
            out.append(h)
    return out
