"""Forecasts of ELB, LZB, integrations, LLU and LUH per job center and sex, chosen by backtest.

``build(con, progress, jobcenters=...)`` computes them from the figure cache's ``series`` table;
importing this package registers it as the cache extension ``forecast``, so every
``amip.figures.store.build`` of a process that uses forecasts runs it after the figures.
``amip.forecast.probability`` answers target probabilities. See docs/forecast.md.
"""

from __future__ import annotations

from amip.figures.extensions import register_extension


def build(con, progress=None, horizon: int = 18, jobcenters: list[str] | None = None):
    """Compute and store ``forecasts``, ``forecast_backtest``, ``forecast_coverage``, ``forecast_paths``
    on the cache ``con``
    (for ``jobcenters`` only, when given)."""
    from amip.forecast.pipeline import build as _build

    return _build(con, progress, horizon, jobcenters)


register_extension("forecast", lambda con, progress, jobcenters: build(con, progress, jobcenters=jobcenters))
