"""The library entry points, for the web and report layers and for notebooks.

    >>> from amip.api import key_figures
    >>> table = key_figures("2021-01", "2021-12", db="amip.duckdb")   # a pyarrow.Table
    >>> table.to_pandas()

The table has the contract's output columns (jobcenter_id, month, figure, sex, numerator,
denominator, value), values unrounded.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from amip.kennzahlen.backends import ibis_backend, warehouse_connection
from amip.kennzahlen.engine import Result, compute
from amip.warehouse.store import default_db


def key_figure_result(
    first: str,
    last: str,
    *,
    db: str | Path | None = None,
    data: str | Path | None = None,
    jobcenter: str | None = None,
    engine: str = "duckdb",
    steering: bool = False,
) -> Result:
    """All § 48a figures for the Bezugsmonate first..last, with the figures skipped and stage times.
    ``steering=True`` adds the steering figures (S1, S2, L1–L3, P1, P1J, E1, B1; docs/steering.md)."""
    if db is None and data is None:
        db = default_db()
    with (
        warehouse_connection(db=Path(db) if db else None, data=Path(data) if data else None) as con,
        ibis_backend(con, engine) as backend,
    ):
        result = compute(backend, first, last, jobcenter=jobcenter)
        if steering:
            from amip.kennzahlen import steering as steering_figures

            extra = steering_figures.compute_result(backend, first, last, jobcenter=jobcenter)
            result.table = steering_figures.combine(result.table, extra.table)
            result.skipped.update(extra.skipped)
        return result


def key_figures(
    first: str,
    last: str,
    *,
    db: str | Path | None = None,
    data: str | Path | None = None,
    jobcenter: str | None = None,
    engine: str = "duckdb",
    steering: bool = False,
) -> pa.Table:
    """All § 48a figures for the Bezugsmonate first..last as an Arrow table (see module doc);
    with ``steering=True`` also the steering figures."""
    return key_figure_result(first, last, db=db, data=data, jobcenter=jobcenter, engine=engine, steering=steering).table
