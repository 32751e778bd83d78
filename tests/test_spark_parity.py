"""The same data sets through DuckDB and through PySpark give the same figures, with Spark on a real
standalone cluster (``spark_cluster``: a master and two workers started from pyspark's launcher);
the data are read and validated on the cluster from the data set's folder (``spark_input``), the
stage results checkpointed to a folder inside it."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings

from builder import run_kpi
from test_properties import datasets

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("on_cluster")]


def _same(a, b) -> None:
    assert len(a.rows) == len(b.rows)
    for ra, rb in zip(a.rows, b.rows):
        assert [ra[k] for k in ("jobcenter_id", "month", "figure", "sex")] == [
            rb[k] for k in ("jobcenter_id", "month", "figure", "sex")
        ]
        for c in ("numerator", "denominator", "value"):
            if ra[c] == "" or rb[c] == "":
                assert ra[c] == rb[c], (ra, rb)
            else:
                assert math.isclose(float(ra[c]), float(rb[c]), rel_tol=1e-12, abs_tol=1e-12), (ra, rb)


@settings(
    max_examples=3,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ds=datasets())
def test_duckdb_and_spark_agree_on_random_data(tmp_path_factory, ds):
    duck = run_kpi(ds, tmp_path_factory.mktemp("duck"), "2021-01", "2022-12", engine="duckdb")
    spark = run_kpi(ds, tmp_path_factory.mktemp("spark"), "2021-01", "2022-12", engine="spark")
    assert duck.rows, "no figures computed"
    _same(duck, spark)


def test_duckdb_and_spark_give_identical_files_on_the_synthetic_job_center(tmp_path):
    """Realistic data (the synthetic Elbe-Elster): the two engines write byte-identical output."""
    from amip.cli import app
    from amip.synth.generate import synthesize
    from builder import runner

    data = tmp_path / "synth"
    synthesize("elbe-elster", seed=2, out=data)
    files = {}
    for engine in ("duckdb", "spark"):
        out = tmp_path / f"{engine}.csv"
        res = runner.invoke(
            app,
            ["kpi", "--data", str(data), "--from", "2021-12", "--to", "2021-12", "--out", str(out), "--engine", engine],
        )
        assert res.exit_code == 0, res.output
        files[engine] = out.read_bytes()
    # header + 2 job centers (12062 and 12066, where moved-in customers had earlier spells) x
    # 15 figures (K1, K1E1: all only) x sexes
    assert files["duckdb"].count(b"\n") == 1 + 2 * 41
    assert files["duckdb"] == files["spark"]


def test_spark_rejects_bad_data_with_the_messages_of_the_duckdb_import(tmp_path):
    """Validation on the cluster: the same rules (schema declarations), the same messages, file
    rows and columns as the DuckDB import; nothing computed."""
    from amip.cli import app
    from builder import DataSet, runner

    ds = DataSet("2021-01", "2021-12")
    ds.person("p1", "m").person("p2", "x").person("p3", "w", birth="1980-02-30")
    ds.spell("p1", "J1", "2021-01-01", "2021-03-01").spell("p9", "J1", "2021-02-01")
    ds.job("p1", "svb", "2021-05-01", "2021-04-01")
    ds.job("p1", "svb", "2021-05-01").job("p1", "beamter", "2021-05-01")
    ds.measure("p1", "J1", "NOPE", "2021-01-01", cost="-5").measure("p1", "J1", "NOPE", "2021-01-01", cost="1,5")
    ds.benefit("J1", "bg_p1", "2021-01", "RB", 400).benefit("J1", "bg_p1", "2021-01", "RB", 1).benefit(
        "J1", "bg_p1", "2021-13", "RB", 1
    )
    data = ds.write(tmp_path / "data")
    outputs = {}
    for engine in ("duckdb", "spark"):
        res = runner.invoke(
            app,
            [
                "kpi",
                "--data",
                str(data),
                "--from",
                "2021-12",
                "--to",
                "2021-12",
                "--out",
                str(tmp_path / "k.csv"),
                "--engine",
                engine,
            ],  # fmt: skip
        )
        assert res.exit_code == 2, res.output
        outputs[engine] = " ".join(res.output.split())  # Rich wraps long lines at the terminal's width
    assert not (tmp_path / "k.csv").exists()
    duck = outputs["duckdb"]
    for expected in (
        "persons.csv, row 2 (line 3), column sex: value 'x': unknown code (allowed: m, w, d)",
        "persons.csv, row 3 (line 4), column birth_date: value '1980-02-30': not a valid date (YYYY-MM-DD)",
        "employment_spells.csv, row 3 (line 4), column kind: value 'beamter': unknown code",
        "measures.csv, row 1 (line 2), column instrument: value 'NOPE': unknown instrument (not in instruments.csv)",
        "measures.csv, row 1 (line 2), column cost_eur: value '-5': negative amount",
        "measures.csv, row 2 (line 3), column cost_eur: value '1,5': not a number ('.' as decimal separator)",
        "benefits.csv, row 3 (line 4), column month: value '2021-13': not a valid month (YYYY-MM)",
        "elb_spells.csv, row 2 (line 3), column person_id: value 'p9': unknown person (not in persons)",
    ):
        assert expected in duck, (expected, duck)
    assert outputs["spark"] == duck
