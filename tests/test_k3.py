"""K3 family, worked out by hand from kennzahlen.md (coverage 2018-01..2021-12, M = 2021-12).

LZB at d: ELB at d, at least 638 of the 730 days [d-729, d] covered by any ELB spell (any job center,
overlaps once), and the 17th birthday on or before d (29 Feb -> 1 Mar). Each threshold case lives in a
job center of its own, so the numerator of K3 (LZB at ST(M)) is that one person's status.
"""

import datetime as dt

import pytest
from builder import DataSet, days_before, run_kpi

M = "2021-12"
ST = "2021-12-31"


def _threshold_cases(ds: DataSet) -> None:
    def person(pid, *spells, birth="1980-01-01"):
        ds.person(pid, "w", birth)
        for jc, start, end in spells:
            ds.spell(pid, jc, start, end)

    person("t638", ("J638", days_before(ST, 637), None))                  # 638 days
    person("t637", ("J637", days_before(ST, 636), None))                  # 637 days
    person("tgap", ("JGAP", days_before(ST, 729), days_before(ST, 393)),  # 337 days
           ("JGAP", days_before(ST, 300), None))                         # + 301 = 638
    person("tovl", ("JOVL", days_before(ST, 500), None),                  # 501 days; the spell at X lies
           ("X", days_before(ST, 500), days_before(ST, 300)))             # inside it: still 501
    person("tmove", ("X", days_before(ST, 729), days_before(ST, 501)),    # 229 days elsewhere
           ("JMOVE", days_before(ST, 500), None))                        # + 501 = 730
    person("t17", ("J17", "2019-01-01", None), birth="2004-12-31")        # 17 on the Stichtag
    person("t16", ("J16", "2019-01-01", None), birth="2005-01-01")        # 17 the day after
    person("tleap", ("JLEAP", "2019-01-01", None), birth="2004-02-29")    # 17 on 2021-03-01


def _flow_case(ds: DataSet) -> dt.date:
    """Job center L: r1 (w) LZB throughout; r2 (m) becomes LZB in 2021-06; r3 (m) leaves 2021-08-31."""
    r2_start = days_before("2021-06-30", 637)  # 638 days at ST(2021-06), 608 at ST(2021-05)
    ds.person("r1", "w").person("r2", "m").person("r3", "m")
    ds.spell("r1", "L", "2018-01-01")
    ds.spell("r2", "L", r2_start)
    ds.spell("r3", "L", "2018-01-01", "2021-08-31")
    ds.job("r1", "svb", "2021-10-15")                        # integration of an LZB in Oct
    ds.measure("r2", "L", "FBW", "2021-11-01", "2022-02-28")  # active at ST(M)
    ds.measure("r1", "L", "VB", "2021-12-01", "2021-12-31")   # Vermittlungsbudget: not active
    ds.measure("r1", "L", "MAT", "2021-06-01", "2021-12-30")  # active, but ends before ST(M)
    return r2_start


@pytest.fixture(scope="module")
def figs(tmp_path_factory):
    ds = DataSet("2018-01", "2021-12")
    _threshold_cases(ds)
    _flow_case(ds)
    return run_kpi(ds, tmp_path_factory.mktemp("k3"), "2019-11", "2021-12")


@pytest.mark.parametrize("jc, is_lzb", [
    ("J638", 1), ("J637", 0), ("JGAP", 1), ("JOVL", 0), ("JMOVE", 1), ("J17", 1), ("J16", 0),
])
def test_lzb_status_at_the_stichtag(figs, jc, is_lzb):
    assert figs.get(jc, M, "K3")[0] == is_lzb


def test_leap_day_birthday(figs):
    assert figs.get("JLEAP", "2021-02", "K3")[0] == 0  # 17th birthday is 2021-03-01
    assert figs.get("JLEAP", "2021-03", "K3")[0] == 1


def test_k3_change(figs):
    # L: LZB at ST(2021-12) r1, r2; at ST(2020-12) r1, r3
    assert figs.get("L", M, "K3") == pytest.approx((2, 2, 0.0))
    assert figs.get("L", M, "K3", "w") == pytest.approx((1, 1, 0.0))
    assert figs.get("L", M, "K3", "m") == pytest.approx((1, 1, 0.0))


def test_k3e1_lzb_integration_quota(figs):
    mean_lzb = (2 * 5 + 3 * 3 + 2 * 4) / 12  # Jan-May 2, Jun-Aug 3, Sep-Dec 2
    assert figs.get("L", M, "K3E1") == pytest.approx((1, mean_lzb, 100 / mean_lzb))
    assert figs.get("L", M, "K3E1", "w") == pytest.approx((1, 1, 100.0))


def test_k3e2_activation(figs):
    assert figs.get("L", M, "K3E2") == pytest.approx((1, 2, 50.0))
    assert figs.get("L", M, "K3E2", "m") == pytest.approx((1, 1, 100.0))
    assert figs.get("L", M, "K3E2", "w") == pytest.approx((0, 1, 0.0))


def test_k3e3_lzb_entry_rate(figs):
    assert figs.value("L", M, "K3E3") == pytest.approx(100 / 3 / 12)    # r2 in Jun, LZB(Jun) = 3
    assert figs.value("L", M, "K3E3", "m") == pytest.approx(50 / 12)    # LZB m in Jun: r2, r3
    assert figs.value("L", M, "K3E3", "w") == pytest.approx(0.0)


def test_k3e4_lzb_exit_rate(figs):
    assert figs.value("L", M, "K3E4") == pytest.approx(100 / 3 / 12)    # r3 in Sep, LZB(Aug) = 3
    assert figs.value("L", M, "K3E4", "m") == pytest.approx(50 / 12)


def test_k3_coverage_of_the_730_day_window(figs):
    # LZB at ST(m) needs ST(m) - 729 >= 2018-01-01: true from 2019-12 on.
    assert figs.get("L", "2019-11", "K3") == (None, None, None)
    assert figs.get("L", "2019-12", "K3")[0] == 2 and figs.get("L", "2019-12", "K3")[1:] == (None, None)
    # K3E3 at 2020-11 averages 2019-12..2020-11; its first month needs LZB at ST(2019-11)
    assert figs.value("L", "2020-11", "K3E3") is None
    assert figs.value("L", "2020-12", "K3E3") == pytest.approx(0.0)
