"""K2 family, worked out by hand from kennzahlen.md.

Job center I, coverage 2019-01..2021-12, M = 2021-12 (months 2021-01..2021-12).
  i1 (w) in stock all year; svb 2021-03-10..2021-09-30 and selbst 2021-03-20: ONE integration in Mar
         (rule a); svb covers ST(Apr)..ST(Sep): continuous (exactly six months)
  i2 (m) in stock from 2021-05-10 (not at ST(Apr)); svb from 2021-05-20 open: rule (b) -> June; continuous
  i3 (m) in stock all year; AGH (public employment) from 2021-04-01: K2E2 entry, no integration
  i4 (w) in stock all year; accompanied svb from 2021-08-01: an integration in Aug
  i5 (m) in stock all year; gb from 2021-02-01: K2E1 entry, no integration
  i6 (w) single parent all year; ausbildung from 2021-09-01: integration in Sep, counts for K2E4
  i7 (d) in stock all year; svb from 2021-07-01: integration in totals only
  i8 (w) in stock all year; svb 2021-02-15..2021-08-30: integration in Feb, not continuous
         (ST(Aug) = 08-31 is not covered)
Stock person-months 2021: 7 persons x 12 + i2 x 8 = 92 -> mean 92/12.
"""

import pytest

from builder import DataSet, run_kpi

M = "2021-12"
MEAN_ALL = 92 / 12
MEAN_W = 4  # i1, i4, i6, i8 all year
MEAN_M = (8 + 12 + 12) / 12  # i2, i3, i5


@pytest.fixture(scope="module")
def figs(tmp_path_factory):
    ds = DataSet("2019-01", "2021-12")
    sexes = {"i1": "w", "i2": "m", "i3": "m", "i4": "w", "i5": "m", "i6": "w", "i7": "d", "i8": "w"}
    for pid, sex in sexes.items():
        ds.person(pid, sex)
        if pid != "i2":
            ds.spell(pid, "I", "2020-06-01", single_parent=(pid == "i6"))
    ds.spell("i2", "I", "2021-05-10")
    ds.job("i1", "svb", "2021-03-10", "2021-09-30").job("i1", "selbst", "2021-03-20")
    ds.job("i2", "svb", "2021-05-20")
    ds.measure("i3", "I", "AGH", "2021-04-01", "2021-12-31")
    ds.job("i4", "svb", "2021-08-01", accompanied=True)
    ds.job("i5", "gb", "2021-02-01")
    ds.job("i6", "ausbildung", "2021-09-01")
    ds.job("i7", "svb", "2021-07-01")
    ds.job("i8", "svb", "2021-02-15", "2021-08-30")
    return run_kpi(ds, tmp_path_factory.mktemp("k2"), "2019-02", "2021-12")


def test_k2_integration_quota(figs):
    # integrations: i1 (Mar), i2 (Jun, rule b), i4 (Aug, accompanied), i6 (Sep), i7 (Jul), i8 (Feb) = 6
    assert figs.get("I", M, "K2") == pytest.approx((6, MEAN_ALL, 6 / MEAN_ALL * 100))
    assert figs.get("I", M, "K2", "w") == pytest.approx((4, MEAN_W, 100.0))
    assert figs.get("I", M, "K2", "m") == pytest.approx((1, MEAN_M, 1 / MEAN_M * 100))


def test_rule_b_finds_the_late_entrant(figs):
    # Without rule (b), i2 (m) would not be integrated at all.
    assert figs.get("I", M, "K2", "m")[0] == 1


def test_k2e1_marginal_employment(figs):
    assert figs.get("I", M, "K2E1") == pytest.approx((1, MEAN_ALL, 1 / MEAN_ALL * 100))
    assert figs.get("I", M, "K2E1", "w")[0] == 0


def test_k2e2_public_employment_is_no_integration(figs):
    assert figs.get("I", M, "K2E2") == pytest.approx((1, MEAN_ALL, 1 / MEAN_ALL * 100))
    assert figs.get("I", M, "K2E2", "m")[0] == 1


def test_k2e3_continuous_svb(figs):
    # svb integrations in M-17..M-6 = 2020-07..2021-06: i1 (Mar, continuous), i2 (Jun, continuous),
    # i8 (Feb, not continuous); i7 (Jul) and i4 (Aug) are after M-6.
    assert figs.get("I", M, "K2E3") == pytest.approx((2, 3, 200 / 3))
    assert figs.get("I", M, "K2E3", "w") == pytest.approx((1, 2, 50.0))
    assert figs.get("I", M, "K2E3", "m") == pytest.approx((1, 1, 100.0))


def test_k2e4_single_parents(figs):
    assert figs.get("I", M, "K2E4") == pytest.approx((1, 1, 100.0))
    assert figs.get("I", M, "K2E4", "m") == (0.0, 0.0, None)  # no single fathers: zero denominator


def test_k2_window_moves_with_the_month(figs):
    # M = 2021-06: months 2020-07..2021-06; integrations i8 (Feb), i1 (Mar), i2 (Jun) = 3.
    # Stock: 7 persons from 2020-06-01 all 12 months (84) + i2 at ST(May) and ST(Jun) (2) = 86.
    assert figs.get("I", "2021-06", "K2") == pytest.approx((3, 86 / 12, 3 / (86 / 12) * 100))


def test_k2_coverage(figs):
    # M = 2019-02 needs integration months from 2018-03: not covered
    for fig in ("K2", "K2E1", "K2E2", "K2E3", "K2E4"):
        assert figs.get("I", "2019-02", fig) == (None, None, None)
    # K2E3 at 2020-12 needs months 2019-07 .. (with ST(m-2) = 2019-05): covered, so a value or 0/0
    assert figs.get("I", "2020-12", "K2E3") == (0.0, 0.0, None)
