"""Reconciliation: a published table made from amip's own figures, rounded as the BA publishes
(counts to whole numbers, values to one decimal), then changed by hand: one numerator off by one,
one month left out, one month amip cannot compute. Exactly those rows are reported; every other
row is ``equal``; the file has the contract's columns in order (CSV, Parquet, JSON lines)."""

from __future__ import annotations

import csv
import json

import pyarrow.parquet as pq
import pytest

from amip.cli import app
from amip.comparison import reconcile as rc
from amip.kennzahlen import FIGURE_IDS
from amip.published.store import load_published
from builder import runner
from published_kit import FIGURE_HEADER, import_published, write_csv

MONTHS = ["2022-10", "2022-11", "2022-12"]
OFF_BY_ONE = ("J1", "2022-12", "K1E2", "all")  # numerator 3 -> 4 (value left as amip's)


def _round(v, digits):
    return None if v is None or v != v else round(float(v), digits)


@pytest.fixture(scope="module")
def warehouse(warehouse_factory):
    return warehouse_factory(name="reconcile")


@pytest.fixture(scope="module")
def store(store_factory, warehouse):
    return store_factory(warehouse)


@pytest.fixture(scope="module")
def amip_keys(store):
    """amip's rows with a number in them for the months of the test (from the figure cache)."""
    f = store.figures
    f = f[f["figure"].isin(FIGURE_IDS) & f["month"].isin(MONTHS)]
    f = f[f[["numerator", "denominator", "value"]].notna().any(axis=1)]
    return {tuple(r) for r in f[["jobcenter_id", "month", "figure", "sex"]].itertuples(index=False)}


@pytest.fixture(scope="module")
def published(store, warehouse):
    f = store.figures
    f = f[f["figure"].isin(FIGURE_IDS) & f["month"].isin(MONTHS)]
    rows = []
    for r in f.to_dict("records"):
        key = (r["jobcenter_id"], r["month"], r["figure"], r["sex"])
        if r["jobcenter_id"] == "J1" and r["month"] == "2022-10":
            continue  # J1's October is missing from the publication
        num = _round(r["numerator"], 0)
        if key == OFF_BY_ONE:
            num += 1
        rows.append([*key, num, _round(r["denominator"], 0), _round(r["value"], 1)])
    rows.append(["J1", "2019-12", "K2", "all", 10, 40, 25.0])  # before amip's data (from 2020-01)
    rows.append(["X9", "2022-12", "K2", "all", 10, 40, 25.0])  # not a job center of this warehouse
    path = write_csv(warehouse.parent / "pub" / "published.csv", FIGURE_HEADER, rows)
    res = import_published(warehouse, path)
    assert res.exit_code == 0, res.output
    return load_published(warehouse)


def test_exactly_the_rows_changed_by_hand_are_reported(store, published, amip_keys):
    t = rc.reconcile(store, published, months=[*MONTHS, "2019-12"])
    by_status = {
        s: set(map(tuple, t[t.status == s][["jobcenter_id", "month", "figure", "sex"]].values)) for s in rc.STATUSES
    }
    assert by_status["different"] == {OFF_BY_ONE}
    assert by_status["only_amip"] == {k for k in amip_keys if k[0] == "J1" and k[1] == "2022-10"}
    assert by_status["only_published"] == {("J1", "2019-12", "K2", "all")}
    assert by_status["equal"] == amip_keys - by_status["only_amip"] - {OFF_BY_ONE}
    assert "X9" not in set(t["jobcenter_id"])  # only the warehouse's job centers are reconciled
    assert (t[t.status == "equal"]["explanation"] == "").all()
    row = t[t.status == "different"].iloc[0]
    assert (row["numerator"], row["published_numerator"]) == (3.0, 4.0)
    assert row["explanation"].startswith("Zähler weicht ab")
    assert "vorläufig" in row["explanation"]  # data end 12/2022, within the Wartezeit of 12/2022
    only = t[t.status == "only_published"].iloc[0]
    assert "außerhalb der Datenabdeckung (01/2020 bis 12/2022)" in only["explanation"]
    assert "fehlt diese Zeile" not in t[t.status == "only_amip"]["explanation"].iloc[0]


def test_rounding_within_the_tolerance_is_equal_and_beyond_it_is_not():
    def status(num, den, value):
        r = {"numerator": 10.0, "denominator": 41 / 12, "value": 100 * 10 / (41 / 12), "_published": True}
        r.update({"published_numerator": num, "published_denominator": den, "published_value": value})
        return rc.compare_row(r)

    assert status(10, 3, 292.7) == ("equal", [])  # 3,417 -> 3 (0,417); 292,683 -> 292,7 (0,017)
    assert status(10.5, 3.5, 292.73) == ("equal", [])  # 0,5 and 0,047: still equal
    assert status(11, 3, 292.7) == ("different", ["Zähler"])
    assert status(10, 4, 292.7) == ("different", ["Nenner"])  # 0,583 > 0,5
    assert status(10, 3, 292.6) == ("different", ["Wert"])  # 0,083 > 0,05
    assert status(10, None, 292.7) == ("different", ["Nenner"])  # empty in one source only
    assert rc.compare_row({"numerator": None, "denominator": None, "value": None, "_published": True})[0] == (
        "only_published"
    )


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_amip_reconcile_writes_the_contract_columns_in_order(warehouse, published, tmp_path, suffix):
    out = tmp_path / f"abgleich{suffix}"
    res = runner.invoke(app, ["reconcile", "--db", str(warehouse), "--month", "2022-12", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "gleich (equal)" in res.output and "abweichend (different)" in res.output
    if suffix == ".csv":
        with out.open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        columns = list(rows[0])
    elif suffix == ".parquet":
        table = pq.read_table(out)
        columns, rows = table.column_names, table.to_pylist()
    else:
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        columns = list(rows[0])
    assert columns == rc.COLUMNS
    assert {r["month"] for r in rows} == {"2022-12"}
    assert [r["figure"] for r in rows if r["status"] == "different"] == ["K1E2"]
