"""``amip synth --published``: the figures of every synthetic job center as the BMAS publishes them
(contract output columns, value to one decimal place, Zähler and Nenner as whole numbers), and the
``jobcenters`` table beside them.

A tiny run of the brandenburg preset (2 % of every job center's size, 2015-01 .. 2016-01) plus a
hand-made data set given with ``--include-data``:
  J9  p1 w, p2 m from 2020-01-01; p3 m 2020-01-01 .. 2021-06-30
      Stock ST(2020-12) = 3, ST(2021-12) = 2: K1E2 2021-12 = (2/3 - 1)·100 = -33,33… -> -33.3 (2 / 3)
      LLU (bg_p1): 2020-12 RB 400.25; 2021-12 RB 450.50 + MB 50.25 = 500.75
      K1 2021-12 = (500.75 / 400.25 - 1)·100 = 25,109… -> 25.1; Zähler 501, Nenner 400 (whole euros)
  JX  p4 w 2020-01-01 .. 2020-06-30, no benefits: not a home job center, so not published.
"""

from __future__ import annotations

import datetime as dt

import openpyxl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from amip.cli import app
from amip.synth.generate import load_preset
from amip.synth.jobcenter_table import regional, single
from amip.synth.published import round_published, write_table
from amip.synth.regions import jobcenters
from builder import DataSet, runner

COLUMNS = ["jobcenter_id", "month", "figure", "sex", "numerator", "denominator", "value"]


def hand_made() -> DataSet:
    ds = DataSet("2020-01", "2021-12")
    ds.person("p1", "w", "1990-05-01").spell("p1", "J9", "2020-01-01")
    ds.person("p2", "m", "1960-01-01").spell("p2", "J9", "2020-01-01")
    ds.person("p3", "m", "1985-07-15").spell("p3", "J9", "2020-01-01", "2021-06-30")
    ds.person("p4", "w", "1970-01-01").spell("p4", "JX", "2020-01-01", "2020-06-30")
    ds.benefit("J9", "bg_p1", "2020-12", "RB", "400.25")
    ds.benefit("J9", "bg_p1", "2021-12", "RB", "450.50").benefit("J9", "bg_p1", "2021-12", "MB", "50.25")
    return ds


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("published")
    extra = hand_made().write(tmp / "hand")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AMIP_SYNTH_WORKERS", "1")
        res = runner.invoke(
            app,
            [
                "synth",
                "--preset",
                "brandenburg",
                "--seed",
                "3",
                "--scale",
                "0.02",
                "--from",
                "2015-01",
                "--to",
                "2016-01",
                "--out",
                str(tmp / "bb"),
                "--published",
                str(tmp / "published.csv"),
                "--include-data",
                str(extra),
            ],
        )
    assert res.exit_code == 0, res.output
    return tmp


def _read(path) -> dict:
    t = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types={"jobcenter_id": pa.string()}))
    return {"columns": t.column_names, "rows": t.to_pylist()}


@pytest.mark.slow  # one simulation of 18 small job centers (about 8 s of CPU)
def test_the_published_file_has_the_contract_columns_and_the_published_rounding(run):
    pub = _read(run / "published.csv")
    assert pub["columns"] == COLUMNS
    rows = pub["rows"]
    ids = {r["jobcenter_id"] for r in rows}
    assert ids == {f"JC-BB-{i:02d}" for i in range(1, 19)} | {"J9"}  # JX is not a home job center
    assert all(r["value"] is not None for r in rows)  # a figure that cannot be computed is not published
    for r in rows:
        assert round(r["value"] * 10) == pytest.approx(r["value"] * 10, abs=1e-9), r
        for c in ("numerator", "denominator"):
            assert isinstance(r[c], int), r  # whole numbers in the file (CSV: no decimal point)

    by = {(r["jobcenter_id"], r["month"], r["figure"], r["sex"]): r for r in rows}
    assert [by[("J9", "2021-12", "K1E2", "all")][c] for c in ("numerator", "denominator", "value")] == [2, 3, -33.3]
    assert [by[("J9", "2021-12", "K1", "all")][c] for c in ("numerator", "denominator", "value")] == [501, 400, 25.1]


@pytest.mark.slow  # one simulation of 18 small job centers (about 8 s of CPU)
def test_a_published_figure_equals_the_one_recomputed_by_hand_from_the_synthetic_data(run):
    """K1E2 of JC-BB-05 for 2016-01: ELB at ST(2016-01) over ELB at ST(2015-01), counted from
    elb_spells (a person counts once however many spells cover the day)."""
    sp = pq.read_table(run / "bb" / "elb_spells.parquet").to_pandas()
    sp = sp[sp.jobcenter_id == "JC-BB-05"]

    def stock(day: dt.date) -> int:
        on = sp[(sp.start_date <= day) & (sp.end_date.isna() | (sp.end_date >= day))]
        return on.person_id.nunique()

    now, before = stock(dt.date(2016, 1, 31)), stock(dt.date(2015, 1, 31))
    assert before > 0
    rows = {(r["jobcenter_id"], r["month"], r["figure"], r["sex"]): r for r in _read(run / "published.csv")["rows"]}
    got = rows[("JC-BB-05", "2016-01", "K1E2", "all")]
    assert (got["numerator"], got["denominator"]) == (now, before)
    exact = (now / before - 1) * 100
    assert got["value"] == pytest.approx(round(exact, 1), abs=1e-9)
    assert abs(got["value"] - exact) <= 0.05


@pytest.mark.slow  # one simulation of 18 small job centers (about 8 s of CPU)
def test_the_jobcenters_table_beside_names_every_synthetic_job_center(run):
    names = _read(run / "published-jobcenters.csv")
    assert names["columns"] == ["jobcenter_id", "name", "land", "kind", "vergleichstyp"]
    rows = {r["jobcenter_id"]: r for r in names["rows"]}
    assert set(rows) == {f"JC-BB-{i:02d}" for i in range(1, 19)}  # J9's data set has no jobcenters table
    assert rows["JC-BB-01"] == {
        "jobcenter_id": "JC-BB-01",
        "name": "Jobcenter Brandenburg 01 (Stadt, synthetisch)",
        "land": "Brandenburg",
        "kind": "gE",
        "vergleichstyp": "IIb",
    }
    assert rows["JC-BB-08"]["kind"] == "zkT" and rows["JC-BB-08"]["vergleichstyp"] == "Ib"
    # the data set written has the same table
    assert (run / "bb" / "jobcenters.parquet").exists()


def test_elbe_elster_shares_its_vergleichstyp_with_the_fourteen_landkreise():
    bb = regional(jobcenters(load_preset("brandenburg"), 1)).to_pylist()
    ee = single(load_preset("elbe-elster"), ["12062", "12066"]).to_pylist()
    assert [r["vergleichstyp"] for r in ee] == ["Ib", "Ib"]
    assert ee[0] == {
        "jobcenter_id": "12062",
        "name": "Jobcenter Elbe-Elster",
        "land": "Brandenburg",
        "kind": "gE",
        "vergleichstyp": "Ib",
    }
    assert sum(r["vergleichstyp"] == "Ib" for r in bb) == 14  # with Elbe-Elster a type of 15
    assert sum(r["vergleichstyp"] == "IIb" for r in bb) == 4
    assert single(load_preset("elbe-elster"), ["12062"]).num_rows == 1  # no moved-in customers: no neighbour


def test_rounding_and_the_xlsx_file(tmp_path):
    t = pa.table(
        {
            "jobcenter_id": ["A", "A", "A"],
            "month": ["2021-12"] * 3,
            "figure": ["K1", "K2", "K3"],
            "sex": ["all"] * 3,
            "numerator": [1234.5, 7.0, 1.0],
            "denominator": [999.49, 30.0, 0.0],
            "value": [23.45001, 23.3333, None],
        }
    )
    r = round_published(t)
    assert r.column_names == COLUMNS
    assert r.to_pylist() == [
        {
            "jobcenter_id": "A",
            "month": "2021-12",
            "figure": "K1",
            "sex": "all",
            "numerator": 1235,  # half away from zero
            "denominator": 999,
            "value": 23.5,
        },
        {
            "jobcenter_id": "A",
            "month": "2021-12",
            "figure": "K2",
            "sex": "all",
            "numerator": 7,
            "denominator": 30,
            "value": 23.3,
        },
    ]  # K3 has no value: not published
    write_table(r, tmp_path / "p.xlsx", "Kennzahlen")
    ws = openpyxl.load_workbook(tmp_path / "p.xlsx").worksheets[0]
    assert [c.value for c in ws[1]] == COLUMNS
    assert [c.value for c in ws[2]] == ["A", "2021-12", "K1", "all", 1235, 999, 23.5]


def test_bad_options_are_said_before_anything_is_simulated(tmp_path):
    res = runner.invoke(app, ["synth", "--out", str(tmp_path / "x"), "--published", str(tmp_path / "p.txt")])
    assert res.exit_code == 1 and "unknown format .txt" in res.output
    res = runner.invoke(app, ["synth", "--out", str(tmp_path / "x"), "--include-data", str(tmp_path)])
    assert res.exit_code == 1 and "need --published FILE" in res.output
    res = runner.invoke(app, ["synth", "--out", str(tmp_path / "x"), "--scale", "0.5"])
    assert res.exit_code == 1 and "regional presets" in res.output
    assert not (tmp_path / "x").exists()
