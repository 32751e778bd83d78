"""A hand-made history of six monthly deliveries (Datenstände) for the data-state and revision
tests: each delivery is the data set as known on its ``as_of`` (the first day of a month, data up
to the month before), written as ``delivery-YYYY-MM-DD`` folders and imported with the real CLI.

Coverage from 2019-01; every spell below starts 2019-01-01 unless said otherwise.
  J1 (late end):        a (w), b (m), c (w) in stock; c's stock ends 2021-12-15, but the end is
                        recorded only from the delivery of 2022-02-01 (one month late).
  J2 (late integration): x (m), y (w) in stock all along; x starts svb on 2021-10-01 (open), first
                        recorded in the delivery of 2022-01-01.
  J3 (correction):      e (w), f (m) in stock; g (m) recorded from 2021-03-01 open, corrected in the
                        delivery of 2022-02-01 to 2021-03-01 .. 2021-05-31.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from amip.cli import app
from builder import DataSet, runner

AS_OF = ("2021-11-01", "2021-12-01", "2022-01-01", "2022-02-01", "2022-03-01", "2022-04-01")
START = "2019-01-01"


def last_month(as_of: str) -> str:
    day = dt.date.fromisoformat(as_of)
    return (day - dt.timedelta(days=1)).strftime("%Y-%m")


def delivery(as_of: str) -> DataSet:
    ds = DataSet("2019-01", last_month(as_of))
    for pid, sex in (("a", "w"), ("b", "m"), ("c", "w"), ("x", "m"), ("y", "w"), ("e", "w"), ("f", "m"), ("g", "m")):
        ds.person(pid, sex)
    ds.spell("a", "J1", START).spell("b", "J1", START)
    ds.spell("c", "J1", START, "2021-12-15" if as_of >= "2022-02-01" else None)
    ds.spell("x", "J2", START).spell("y", "J2", START)
    # z is never in the stock: their job keeps employment_spells non-empty in every delivery
    ds.person("z", "w").job("z", "svb", "2020-01-01")
    if as_of >= "2022-01-01":
        ds.job("x", "svb", "2021-10-01")
    ds.spell("e", "J3", START).spell("f", "J3", START)
    ds.spell("g", "J3", "2021-03-01", "2021-05-31" if as_of >= "2022-02-01" else None)
    return ds


def write_delivery(ds: DataSet, folder: Path, as_of: str) -> Path:
    """``ds`` written to ``folder`` with ``dataset.as_of`` set."""
    ds.write(folder)
    (folder / "dataset.csv").write_text(f"first_month,last_month,as_of\n{ds.first},{ds.last},{as_of}\n")
    return folder


def write_history(root: Path) -> Path:
    for as_of in AS_OF:
        write_delivery(delivery(as_of), root / f"delivery-{as_of}", as_of)
    return root


def import_history(root: Path) -> Path:
    """The six deliveries imported with ``amip import`` into ``root/amip.duckdb``."""
    data = write_history(root / "deliveries")
    db = root / "amip.duckdb"
    res = runner.invoke(app, ["import", str(data), "--db", str(db)])
    assert res.exit_code == 0, res.output
    return db
