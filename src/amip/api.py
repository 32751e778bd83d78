"""The library entry points, for the web and report layers and for notebooks.

    >>> from amip.api import key_figures, revisions
    >>> table = key_figures("2021-01", "2021-12", db="amip.duckdb")   # a pyarrow.Table
    >>> table.to_pandas()
    >>> key_figures("2021-01", "2021-12", db="amip.duckdb", as_of="2022-02-15")  # as known then
    >>> key_figures("2021-01", "2021-12", db="amip.duckdb", ba=True)  # BA-comparable
    >>> revisions("amip.duckdb")                                      # revision statistics

The figure table has the contract's output columns (jobcenter_id, month, figure, sex, numerator,
denominator, value), values unrounded, and ``as_of`` (the delivery the row was computed from) and
``data_state`` (``final``, ``provisional_0`` … ``provisional_2``; docs/datastates.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path

import ibis
import pyarrow as pa

from amip.kennzahlen.engine import Result, compute
from amip.kennzahlen.revisions import FigureFunction, compute_revisions, compute_states, open_source, parse_day
from amip.warehouse.store import default_db


def figure_function(steering: bool = False) -> FigureFunction:
    """What one engine run computes: the § 48a figures, with ``steering`` also the steering figures
    (S1 … B1; docs/steering.md), in one table."""

    def run(
        backend: ibis.BaseBackend,
        first: str,
        last: str,
        jobcenter: str | None,
        progress: Callable[[str], None] | None,
    ) -> Result:
        result = compute(backend, first, last, jobcenter=jobcenter, progress=progress)
        if steering:
            from amip.kennzahlen import steering as steering_figures

            extra = steering_figures.compute_result(backend, first, last, jobcenter=jobcenter, progress=progress)
            result.table = steering_figures.combine(result.table, extra.table)
            result.skipped.update(extra.skipped)
        return result

    return run


def key_figure_result(
    first: str,
    last: str,
    *,
    db: str | Path | None = None,
    data: str | Path | None = None,
    jobcenter: str | None = None,
    engine: str = "duckdb",
    steering: bool = False,
    as_of: str | dt.date | None = None,
    ba: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Result:
    """All § 48a figures for the Bezugsmonate first..last, with the figures skipped and stage times.
    ``steering=True`` adds the steering figures (S1, S2, L1–L3, P1, P1J, E1, B1; docs/steering.md).
    ``as_of`` (a date, ``YYYY-MM-DD`` or ``DD.MM.YYYY``): as of the latest delivery on or before that
    day; ``ba``: every month from its BA-comparable delivery (else the latest, provisional); neither:
    the latest delivery. ``series`` (the monthly counts) is there unless ``ba`` (several deliveries)."""
    if db is None and data is None:
        db = default_db()
    day = parse_day(as_of) if as_of is not None else None
    # a data set read on Spark may be a URL (hdfs://, s3a://): kept as text
    where = (str(data) if engine == "spark" else Path(data)) if data else None
    with open_source(db=Path(db) if db else None, data=where, progress=progress, engine=engine) as source:
        return compute_states(
            source,
            first,
            last,
            as_of=day,
            ba=ba,
            figures=figure_function(steering),
            engine=engine,
            jobcenter=jobcenter,
            progress=progress,
        )


def key_figures(
    first: str,
    last: str,
    *,
    db: str | Path | None = None,
    data: str | Path | None = None,
    jobcenter: str | None = None,
    engine: str = "duckdb",
    steering: bool = False,
    as_of: str | dt.date | None = None,
    ba: bool = False,
) -> pa.Table:
    """All § 48a figures for the Bezugsmonate first..last as an Arrow table (see module doc);
    with ``steering=True`` also the steering figures; ``as_of``/``ba`` as in :func:`key_figure_result`."""
    return key_figure_result(
        first, last, db=db, data=data, jobcenter=jobcenter, engine=engine, steering=steering, as_of=as_of, ba=ba
    ).table


def revisions(
    db: str | Path | None = None,
    detail: bool = False,
    jobcenter: str | None = None,
    figures: Sequence[str] | None = None,
    engine: str = "duckdb",
) -> pa.Table:
    """The revision statistics of the warehouse's deliveries per job center, § 48a figure, sex and lag
    (jobcenter_id, figure, sex, lag, months, mean, mean_abs, p05, p95, flips), or with ``detail``
    one row per month and lag (jobcenter_id, month, figure, sex, lag, as_of, value, final_as_of,
    final_value, revision); docs/datastates.md."""
    from amip.kennzahlen.revisions import figure_list

    with open_source(db=Path(db) if db else default_db()) as source:
        result = compute_revisions(source, jobcenter=jobcenter, figures=figure_list(figures), engine=engine)
    return result.detail if detail else result.summary
