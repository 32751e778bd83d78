"""Intensive care: access to the warehouse (DuckDB, attached as ``w``).

The small query helpers that candidates, places and outcomes share (and ``worklists.target_groups``
uses too): run SQL on a FigureStore or a DuckDB connection, list the warehouse's tables, and "today"
for the data, ``T = ST(dataset.last_month)``.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from amip.kennzahlen.calendar import parse_month, stichtag


def _query(src, sql: str, params: dict) -> pd.DataFrame:
    """Run ``sql`` on a FigureStore (its connection, warehouse attached as ``w``) or on a DuckDB
    connection that has the warehouse attached as ``w``."""
    params = {k: v for k, v in params.items() if re.search(rf"\${k}\b", sql)}  # DuckDB refuses unused ones
    con = getattr(src, "_con", None)
    if con is not None:
        with src._lock:
            return con.execute(sql, params).df()
    return src.execute(sql, params).df()


def _tables(src) -> set[str]:
    if hasattr(src, "warehouse_tables"):
        return set(src.warehouse_tables)
    rows = _query(src, "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'w'", {})
    return set(rows["table_name"])


def data_today(src) -> dt.date:
    """T = ST(last month of the data)."""
    last = _query(src, "SELECT last_month FROM w.dataset", {}).iloc[0, 0]
    return stichtag(parse_month(last))
