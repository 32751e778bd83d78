"""Cache extensions: tables of higher packages kept in the figure cache.

``extension(con, progress, jobcenters)`` writes its tables on the cache connection ``con`` after the
figures (``jobcenters``: the warehouse's home job centers). A higher package registers its extension
when it is imported (``amip.forecast`` registers ``forecast``). This module imports nothing heavy, so
registering costs no start-up time of the command line (which imports ``amip.forecast`` for its
``forecast`` commands); ``amip.figures.store`` runs the registered extensions on every build.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

CacheExtension = Callable[["duckdb.DuckDBPyConnection", Callable[[str], None], list[str]], None]
EXTENSIONS: dict[str, CacheExtension] = {}


def register_extension(name: str, extension: CacheExtension) -> None:
    """Have every cache build from now on run ``extension`` (a higher package calls this on import,
    e.g. ``amip.forecast`` for its ``forecasts``, ``forecast_backtest``, ``forecast_coverage`` and
    ``forecast_paths``)."""
    EXTENSIONS[name] = extension
