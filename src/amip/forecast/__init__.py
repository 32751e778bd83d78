"""Forecasts of ELB, LZB, integrations, LLU and LUH per job center and sex, chosen by backtest.

``build(con, progress, jobcenters=...)`` computes them from the cockpit cache's ``series`` table (called by
``amip.cockpit.store.build``); ``amip.forecast.probability`` answers target probabilities.
See docs/forecast.md.
"""

from __future__ import annotations


def build(con, progress=None, horizon: int = 18, jobcenters: list[str] | None = None):
    """Compute and store ``forecasts``, ``forecast_backtest``, ``forecast_paths`` on the cache ``con``
    (for ``jobcenters`` only, when given)."""
    from amip.forecast.pipeline import build as _build

    return _build(con, progress, horizon, jobcenters)
