"""The extended monitoring of the 2020 programme as steering figures S3 - S6 (kennzahlen.md,
"Steering figures beyond § 48a"), through the real CLI (`amip kpi --steering`). Each data set is
small and built for one figure; every expected value is worked out by hand in the comments."""

from __future__ import annotations

import math

import pytest

from amip.cli import app
from builder import DataSet, Figures, runner


def run(ds: DataSet, tmp, first: str, last: str, engine: str = "duckdb", skip=()) -> tuple[Figures, str]:
    data = ds.write(tmp / "data", skip=skip)
    out = tmp / f"figures_{engine}.csv"
    res = runner.invoke(
        app,
        [
            "kpi",
            "--data",
            str(data),
            "--from",
            first,
            "--to",
            last,
            "--out",
            str(out),
            "--engine",
            engine,
            "--steering",
        ],
    )
    assert res.exit_code == 0, res.output
    return Figures(out), res.output


def close(got, want):
    if want is None:
        assert got is None
    else:
        assert got is not None and math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-9), (got, want)


def check(figs, jc, month, fig, sex, num, den, val):
    n, d, v = figs.get(jc, month, fig, sex)
    close(n, num), close(d, den), close(v, val)


# ---- S3 sustainable integrations ------------------------------------------------------------------


def s3_data() -> DataSet:
    """Coverage 2019-01..2021-12, all at J1 and in receipt from 2019-01-01 unless noted.

    | id | sex | integration (month)                         | employment at ST(m+1) .. ST(m+12)      |
    | G  | m   | svb 2019-12-01 open (2019-12)               | yes                                    |
    | A  | m   | svb 2020-03-10..2020-12-31 (2020-03)        | yes: ausbildung from 2021-01-01 joins  |
    | B  | w   | selbst 2020-06-15..2021-06-29 (2020-06)     | no: ST(2021-06) = 06-30 not covered    |
    | D  | w   | ELB from 2020-05-01; svb 2020-05-20 open: rule b (2020-06) | yes                     |
    | C  | m   | gb 2020-02-01 open (no integration); svb 2020-09-01..09-30 (2020-09) | no (gb is no integration kind) |
    | E  | m   | svb 2020-12-01..2021-12-30 (2020-12)        | no: ST(2021-12) not covered            |
    | F  | w   | svb 2021-01-05 open (2021-01)               | (outside both windows)                 |
    """
    ds = DataSet("2019-01", "2021-12")
    for pid, sex in (("G", "m"), ("A", "m"), ("B", "w"), ("D", "w"), ("C", "m"), ("E", "m"), ("F", "w")):
        ds.person(pid, sex, "1980-01-01")
        ds.spell(pid, "J1", "2020-05-01" if pid == "D" else "2019-01-01")
    ds.job("G", "svb", "2019-12-01")
    ds.job("A", "svb", "2020-03-10", "2020-12-31").job("A", "ausbildung", "2021-01-01")
    ds.job("B", "selbst", "2020-06-15", "2021-06-29")
    ds.job("D", "svb", "2020-05-20")
    ds.job("C", "gb", "2020-02-01").job("C", "svb", "2020-09-01", "2020-09-30")
    ds.job("E", "svb", "2020-12-01", "2021-12-30")
    ds.job("F", "svb", "2021-01-05")
    return ds


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    return run(s3_data(), tmp_path_factory.mktemp("s3"), "2021-01", "2022-01")[0]


def test_s3_sustainable_integrations(s3):
    # M = 2021-12: integration months 2020-01..2020-12 -> A, B, D, C, E = 5; sustained A, D = 2
    check(s3, "J1", "2021-12", "S3", "all", 2, 5, 40.0)
    check(s3, "J1", "2021-12", "S3", "m", 1, 3, 100 / 3)  # A of A, C, E
    check(s3, "J1", "2021-12", "S3", "w", 1, 2, 50.0)  # D of B, D
    # M = 2021-11: months 2019-12..2020-11 -> G, A, B, D, C = 5; sustained G, A, D = 3 (E's 2020-12 is out)
    check(s3, "J1", "2021-11", "S3", "all", 3, 5, 60.0)
    # M = 2021-02 needs 2019-01 (m-2 of M-23) .. M: covered; window 2019-03..2020-02: G only, sustained
    check(s3, "J1", "2021-02", "S3", "all", 1, 1, 100.0)
    # M = 2021-01 needs 2018-12: not covered; M = 2022-01 is not covered
    check(s3, "J1", "2021-01", "S3", "all", None, None, None)
    check(s3, "J1", "2022-01", "S3", "all", None, None, None)


# ---- S4 need-covering integrations ----------------------------------------------------------------


def s4_data() -> DataSet:
    """Coverage 2019-01..2021-12; receipt at J1 from 2019-01-01.

    | id | sex | receipt ends | later receipt          | integration (month)       | in ELB at ST(m+1..m+3)? |
    | E  | m   | 2020-09-30   | -                      | svb 2020-09-01 (2020-09)  | no  -> need-covering    |
    | A  | m   | 2021-03-15   | -                      | svb 2021-03-01 (2021-03)  | no  -> need-covering    |
    | B  | w   | open         | -                      | svb 2021-02-01 (2021-02)  | yes (Aufstocker)        |
    | C  | m   | 2021-04-30   | J2 2021-06-01..06-30   | svb 2021-04-01 (2021-04)  | yes: ST(2021-06) at J2  |
    | D  | w   | 2021-05-31   | J1 from 2021-09-01     | svb 2021-05-10 (2021-05)  | no (back after ST(08))  |
    | F  | w   | 2021-10-31   | -                      | svb 2021-10-01 (2021-10)  | (outside both windows)  |
    """
    ds = DataSet("2019-01", "2021-12")
    rows = (
        ("E", "m", "2020-09-30", "2020-09-01"),
        ("A", "m", "2021-03-15", "2021-03-01"),
        ("B", "w", None, "2021-02-01"),
        ("C", "m", "2021-04-30", "2021-04-01"),
        ("D", "w", "2021-05-31", "2021-05-10"),
        ("F", "w", "2021-10-31", "2021-10-01"),
    )
    for pid, sex, end, job in rows:
        ds.person(pid, sex, "1980-01-01").spell(pid, "J1", "2019-01-01", end).job(pid, "svb", job)
    ds.spell("C", "J2", "2021-06-01", "2021-06-30")
    ds.spell("D", "J1", "2021-09-01")
    return ds


@pytest.fixture(scope="module")
def s4(tmp_path_factory):
    return run(s4_data(), tmp_path_factory.mktemp("s4"), "2021-11", "2022-01")[0]


def test_s4_need_covering_integrations(s4):
    # M = 2021-12: months 2020-10..2021-09 -> A, B, C, D = 4; need-covering A, D = 2
    check(s4, "J1", "2021-12", "S4", "all", 2, 4, 50.0)
    check(s4, "J1", "2021-12", "S4", "m", 1, 2, 50.0)  # A of A, C (C is at J2 at ST(2021-06))
    check(s4, "J1", "2021-12", "S4", "w", 1, 2, 50.0)  # D of B, D
    # M = 2021-11: months 2020-09..2021-08 -> E, A, B, C, D = 5; need-covering E, A, D = 3
    check(s4, "J1", "2021-11", "S4", "all", 3, 5, 60.0)
    # J2 has no integrations: denominator 0 -> NULL; 2022-01 is not covered
    check(s4, "J2", "2021-12", "S4", "all", 0, 0, None)
    check(s4, "J1", "2022-01", "S4", "all", None, None, None)


# ---- S5 integrations of LZB in receipt for four years, S6 LZB annual average -----------------------


def s5_data() -> DataSet:
    """Coverage 2017-01..2021-12: Dur48 is known from ST(2020-12) (2020-12-31 - 1459 = 2017-01-02).
    All at J1, born 1980.

    | id | sex | receipt                                  | Dur48 at the Stichtage of 2021      | job (integration) |
    | A  | m   | 2017-01-01 open                          | 1460                                 | svb 2021-06-01..06-30 (2021-06) |
    | B  | w   | 2019-01-01 open                          | <= 1095 (1277 only on 2022-06-30)    | svb 2021-03-01..03-31 (2021-03) |
    | C  | m   | 2017-01-01..2018-06-30, 2019-01-01 open  | 1460 - 184 (gap 07-01..12-31) = 1276 | svb 2021-09-01..09-30 (2021-09) |
    | C2 | w   | 2017-01-01..2018-06-30, 2018-12-31 open  | 1460 - 183 = 1277                    | svb 2021-10-01..10-31 (2021-10) |
    | D  | w   | 2017-01-01..2021-04-30                   | 1460 (Jan..Apr)                      | svb 2021-05-01 open (2021-05)   |

    All five are LZB (Dur >= 638 of 730) at every Stichtag of 2021 they are in receipt (B from
    ST(2020-09): 2019-01-01 + 637 days = 2020-09-29; C's gap has left the 730-day window)."""
    ds = DataSet("2017-01", "2021-12")
    for pid, sex in (("A", "m"), ("B", "w"), ("C", "m"), ("C2", "w"), ("D", "w")):
        ds.person(pid, sex, "1980-01-01")
    ds.spell("A", "J1", "2017-01-01").spell("B", "J1", "2019-01-01")
    ds.spell("C", "J1", "2017-01-01", "2018-06-30").spell("C", "J1", "2019-01-01")
    ds.spell("C2", "J1", "2017-01-01", "2018-06-30").spell("C2", "J1", "2018-12-31")
    ds.spell("D", "J1", "2017-01-01", "2021-04-30")
    ds.job("A", "svb", "2021-06-01", "2021-06-30").job("B", "svb", "2021-03-01", "2021-03-31")
    ds.job("C", "svb", "2021-09-01", "2021-09-30").job("C2", "svb", "2021-10-01", "2021-10-31")
    ds.job("D", "svb", "2021-05-01")
    return ds


@pytest.fixture(scope="module")
def s5(tmp_path_factory):
    return run(s5_data(), tmp_path_factory.mktemp("s5"), "2021-11", "2021-12")[0]


def test_s5_integration_quota_of_four_year_lzb(s5):
    # Numerator: integrations in 2021 of persons with Dur48 >= 1277 at ST(m-1): A (06), C2 (10),
    # D (05, in receipt at ST(2021-04)) = 3; B (Dur48 too short) and C (1276 days) are not counted.
    # Denominator: mean over 2021 of such persons at ST(m): A 12 + C2 12 + D 4 = 28 -> 28/12.
    check(s5, "J1", "2021-12", "S5", "all", 3, 28 / 12, 3 / (28 / 12) * 100)
    check(s5, "J1", "2021-12", "S5", "m", 1, 1.0, 100.0)  # A; den 12/12
    check(s5, "J1", "2021-12", "S5", "w", 2, 16 / 12, 2 / (16 / 12) * 100)  # C2, D; den (12 + 4)/12
    # M = 2021-11 needs Dur48 at ST(2020-11): 2020-11-30 - 1459 is before 2017-01-01 -> NULL
    check(s5, "J1", "2021-11", "S5", "all", None, None, None)


def test_s5_counts_the_k3e1_integrations_it_restricts(s5):
    # K3E1 counts B and C as well (LZB at ST(m-1)): 5 integrations; S5 keeps A, C2, D
    assert s5.get("J1", "2021-12", "K3E1")[0] == 5


def test_s6_lzb_annual_average(s5):
    # LZB at the Stichtage of 2021: A 12, B 12, C 12, C2 12, D 4 (Jan..Apr) = 52 -> 52/12
    for month in ("2021-11", "2021-12"):
        check(s5, "J1", month, "S6", "all", 52 / 12, None, 52 / 12)
    check(s5, "J1", "2021-12", "S6", "m", 2.0, None, 2.0)  # A, C
    check(s5, "J1", "2021-12", "S6", "w", 28 / 12, None, 28 / 12)  # B, C2, D


def test_without_employment_s3_to_s5_are_not_produced_but_s6_is(tmp_path):
    figs, output = run(s5_data(), tmp_path, "2021-12", "2021-12", skip=("employment_spells",))
    present = {r["figure"] for r in figs.rows}
    assert "S6" in present and not present & {"S3", "S4", "S5"}
    for fam in ("S3", "S4", "S5"):
        assert f"Not produced: {fam}" in output
