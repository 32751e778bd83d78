"""The same data sets through DuckDB and through PySpark give the same figures, with Spark on a real
standalone cluster (``spark_cluster``: a master and two workers started from pyspark's launcher);
the data are read and validated on the cluster from the data set's folder (``spark_input``), the
stage results checkpointed to a folder inside it. The steering figures' parity tests are here too
(with the data sets of ``test_steering`` and ``test_steering_v2``): every Spark run of the suite
uses the one cluster session of this module, so no second JVM is started and warmed up."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import test_steering as steering
import test_steering_v2 as steering_v2
from builder import DataSet, run_kpi
from test_properties import FIRST, LAST, datasets

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


@st.composite
def side_by_side(draw, n: int = 3) -> DataSet:
    """``n`` random data sets (``test_properties.datasets``) in one: the k-th with its own persons
    (``d<k>p…``) and job centers ``A<k>``, ``B<k>``, so each job center's figures are those of its
    own data set. One engine run per engine checks all n, and a Spark run's fixed cost (its jobs'
    scheduling and code generation, most of a run on data this small) is paid once, not n times.
    Hypothesis's first example is always the simplest one (one person with one day of receipt in
    2018 per data set); it is rejected here (``assume``), before any run, so a test's first example
    is random data."""
    out = DataSet(FIRST, LAST)
    for k in range(n):
        part = draw(datasets(jobcenters=(f"A{k}", f"B{k}"), ids=f"d{k}"))
        for table, rows in part.rows.items():
            out.rows[table] += rows
        out.flags.update(part.flags)
    assume(len(out.rows["persons"]) > n and out.rows["employment_spells"])  # not the simplest example
    return out


@settings(
    max_examples=1,  # three random data sets side by side (the simplest example is rejected)
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ds=side_by_side())
def test_duckdb_and_spark_agree_on_random_data(tmp_path_factory, ds):
    duck = run_kpi(ds, tmp_path_factory.mktemp("duck"), "2021-01", "2022-12", engine="duckdb")
    spark = run_kpi(ds, tmp_path_factory.mktemp("spark"), "2021-01", "2022-12", engine="spark")
    # every job center with spells is in the output: figures of all three data sets
    assert {r["jobcenter_id"][1:] for r in duck.rows} == {"0", "1", "2"}, "a data set without figures"
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
    from builder import runner

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


def test_duckdb_and_spark_agree_on_the_steering_figures(tmp_path):
    """S1, S2, L1-L3, P1, P1J, E1, B1 on the data set of test_steering, 10/2021 … 12/2022."""
    duck, _ = steering.run(steering.data_set(), tmp_path / "duck", first="2021-10", last="2022-12")
    spark, _ = steering.run(steering.data_set(), tmp_path / "spark", engine="spark", first="2021-10", last="2022-12")
    assert duck.rows, "no figures computed"
    _same(duck, spark)


def test_duckdb_and_spark_agree_on_s3_to_s6(tmp_path):
    """S3-S6 on test_steering_v2's S3 data, with the S4 shape and S5's persons at a second job center."""
    ds = steering_v2.s3_data()
    ds.first = "2017-01"  # four years of coverage before 2021-12 for S5
    # the S4 shape (a person leaving after the integration) and S5's persons at a second job center
    ds.person("X", "w", "1980-01-01").spell("X", "J1", "2019-01-01", "2020-07-31").job("X", "svb", "2020-07-01")
    five = steering_v2.s5_data()
    for table in ("persons", "elb_spells", "employment_spells"):
        for r in five.rows[table]:
            r = list(r)
            r[0] = "F" + r[0]
            if table == "elb_spells":
                r[1] = "J3"
            ds.rows[table].append(r)
    duck, _ = steering_v2.run(ds, tmp_path / "duck", "2021-10", "2021-12")
    spark, _ = steering_v2.run(ds, tmp_path / "spark", "2021-10", "2021-12", engine="spark")
    keys = ("jobcenter_id", "month", "figure", "sex")
    d = {tuple(r[k] for k in keys): r for r in duck.rows if r["figure"] in ("S3", "S4", "S5", "S6")}
    s = {tuple(r[k] for k in keys): r for r in spark.rows if r["figure"] in ("S3", "S4", "S5", "S6")}
    assert d.keys() == s.keys() and d
    for fig in ("S3", "S4", "S5", "S6"):  # each figure has values to compare, not only NULLs
        assert any(r["value"] != "" for k, r in d.items() if k[2] == fig), fig
    for k in d:
        for c in ("numerator", "denominator", "value"):
            a, b = d[k][c], s[k][c]
            assert (a == "" and b == "") or math.isclose(float(a), float(b), rel_tol=1e-12), (k, c, a, b)
