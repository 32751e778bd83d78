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

    person("t638", ("J638", days_before(ST, 637), None))  # 638 days
    person("t637", ("J637", days_before(ST, 636), None))  # 637 days
    person(
        "tgap",
        ("JGAP", days_before(ST, 729), days_before(ST, 393)),  # 337 days
        ("JGAP", days_before(ST, 300), None),
    )  # + 301 = 638
    person(
        "tovl",
        ("JOVL", days_before(ST, 500), None),  # 501 days; the spell at X lies
        ("X", days_before(ST, 500), days_before(ST, 300)),
    )  # inside it: still 501
    person(
        "tmove",
        ("X", days_before(ST, 729), days_before(ST, 501)),  # 229 days elsewhere
        ("JMOVE", days_before(ST, 500), None),
    )  # + 501 = 730
    person("t17", ("J17", "2019-01-01", None), birth="2004-12-31")  # 17 on the Stichtag
    person("t16", ("J16", "2019-01-01", None), birth="2005-01-01")  # 17 the day after
    person("tleap", ("JLEAP", "2019-01-01", None), birth="2004-02-29")  # 17 on 2021-03-01


def _flow_case(ds: DataSet) -> dt.date:
    """Job center L: r1 (w) LZB throughout; r2 (m) becomes LZB in 2021-06; r3 (m) leaves 2021-08-31."""
    r2_start = days_before("2021-06-30", 637)  # 638 days at ST(2021-06), 608 at ST(2021-05)
    ds.person("r1", "w").person("r2", "m").person("r3", "m")
    ds.spell("r1", "L", "2018-01-01")
    ds.spell("r2", "L", r2_start)
    ds.spell("r3", "L", "2018-01-01", "2021-08-31")
    ds.job("r1", "svb", "2021-10-15")  # integration of an LZB in Oct
    ds.measure("r2", "L", "FBW", "2021-11-01", "2022-02-28")  # active at ST(M)
    ds.measure("r1", "L", "VB", "2021-12-01", "2021-12-31")  # Vermittlungsbudget: not active
    ds.measure("r1", "L", "MAT", "2021-06-01", "2021-12-30")  # active, but ends before ST(M)
    return r2_start


def _move_cases(ds: DataSet) -> None:
    """Moves between job centers while LZB (rules version 2: LZB at any job center decides).
    mv (w): MA 2018-01-01 .. 2021-04-30, then MB from 2021-05-01: LZB at MA at ST(Apr), at MB at
            ST(May) (Dur counts both): no LZB exit from MA, no LZB entry into MB.
    mv2 (m): MC 2018-01-01 .. 2021-04-30, then MD from 2021-06-01: not ELB anywhere at ST(May), so an
            LZB exit from MC in May; at ST(Jun) Dur = 730 - 31 (May) = 699 >= 638: LZB entry into MD in Jun."""
    ds.person("mv", "w").person("mv2", "m")
    ds.spell("mv", "MA", "2018-01-01", "2021-04-30").spell("mv", "MB", "2021-05-01")
    ds.spell("mv2", "MC", "2018-01-01", "2021-04-30").spell("mv2", "MD", "2021-06-01")


def _interruption_cases(ds: DataSet) -> None:
    """Two stretches at one job center (the engine's person with several spells at one job center).
    g1 (w): MG 2018-01-01 .. 2021-04-10, again from 2021-04-20: ELB and LZB at every Stichtag (at
            ST(Apr) Dur = 730 - 9 = 721): no LZB exit, no LZB entry, but an ELB exit and entry in Apr.
    h1 (m): MH 2018-01-01 .. 2021-04-25, again from 2021-05-05: not ELB at ST(Apr), so an LZB exit in
            Apr; at ST(May) Dur = 730 - 9 = 721 >= 638: an LZB entry in May."""
    ds.person("g1", "w").person("h1", "m")
    ds.spell("g1", "MG", "2018-01-01", "2021-04-10").spell("g1", "MG", "2021-04-20")
    ds.spell("h1", "MH", "2018-01-01", "2021-04-25").spell("h1", "MH", "2021-05-05")


@pytest.fixture(scope="module")
def figs(tmp_path_factory):
    ds = DataSet("2018-01", "2021-12")
    _threshold_cases(ds)
    _flow_case(ds)
    _move_cases(ds)
    _interruption_cases(ds)
    return run_kpi(ds, tmp_path_factory.mktemp("k3"), "2019-11", "2021-12")


@pytest.mark.parametrize(
    "jc, is_lzb",
    [
        ("J638", 1),
        ("J637", 0),
        ("JGAP", 1),
        ("JOVL", 0),
        ("JMOVE", 1),
        ("J17", 1),
        ("J16", 0),
    ],
)
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
    # Stock-weighted: Σ LZB entries / Σ LZB(m), 2021-01..2021-12. L: r2 enters in Jun;
    # LZB(m): Jan-May 2 (r1, r3), Jun-Aug 3, Sep-Dec 2 (r1, r2): 10 + 9 + 8 = 27
    assert figs.get("L", M, "K3E3") == pytest.approx((1, 27, 100 / 27))
    # m (r2, r3): Jan-May 1, Jun-Aug 2, Sep-Dec 1: 5 + 6 + 4 = 15
    assert figs.get("L", M, "K3E3", "m") == pytest.approx((1, 15, 100 / 15))
    assert figs.get("L", M, "K3E3", "w") == pytest.approx((0, 12, 0.0))  # r1 all year


def test_k3e4_lzb_exit_rate(figs):
    # r3 leaves in Sep; Σ LZB(m-1) = LZB 2020-12 .. 2021-11 = 2 (r1, r3) + 10 + 9 + 6 = 27
    assert figs.get("L", M, "K3E4") == pytest.approx((1, 27, 100 / 27))
    # m: 2020-12 r3 1 + Jan-May 5 + Jun-Aug 6 + Sep-Nov 3 = 15
    assert figs.get("L", M, "K3E4", "m") == pytest.approx((1, 15, 100 / 15))
    assert figs.get("L", M, "K3E4", "w") == pytest.approx((0, 12, 0.0))


def test_move_between_job_centers_while_lzb_is_no_lzb_flow(figs):
    # MA: LZB Jan-Apr 2021 (Σ 4), and 2020-12 .. 2021-11 (Σ 5); no exit: mv is LZB at MB at ST(May)
    assert figs.get("MA", M, "K3E3") == pytest.approx((0, 4, 0.0))
    assert figs.get("MA", M, "K3E4") == pytest.approx((0, 5, 0.0))
    # MB: LZB May-Dec (Σ 8), May-Nov (Σ 7); no entry: mv was LZB at MA at ST(Apr)
    assert figs.get("MB", M, "K3E3") == pytest.approx((0, 8, 0.0))
    assert figs.get("MB", M, "K3E4") == pytest.approx((0, 7, 0.0))
    # ... while the ELB flows do count the move: an exit from MA, an entry into MB (both in May)
    assert figs.get("MA", M, "K1E4") == pytest.approx((1, 5, 20.0))
    assert figs.get("MB", M, "K1E3") == pytest.approx((1, 8, 12.5))


def test_move_with_a_month_outside_receipt_is_an_lzb_exit_and_entry(figs):
    # MC: exit in May (not LZB anywhere at ST(May)); Σ LZB 2020-12 .. 2021-11 = 1 + 4 = 5
    assert figs.get("MC", M, "K3E4") == pytest.approx((1, 5, 20.0))
    assert figs.get("MC", M, "K3E4", "m") == pytest.approx((1, 5, 20.0))
    # MD: entry in Jun; LZB Jun-Dec, Σ 7
    assert figs.get("MD", M, "K3E3") == pytest.approx((1, 7, 100 / 7))
    assert figs.get("MD", M, "K3E4") == pytest.approx((0, 6, 0.0))


def test_interruption_at_one_job_center_within_a_month_is_no_lzb_flow(figs):
    # MG: LZB at every Stichtag of 2021 (Σ LZB(m) 2021-01..12 = 12, Σ LZB(m-1) 2020-12..2021-11 = 12)
    assert figs.get("MG", M, "K3E3") == pytest.approx((0, 12, 0.0))
    assert figs.get("MG", M, "K3E4") == pytest.approx((0, 12, 0.0))
    # ... while the ELB flows count the exit on 2021-04-11 and the entry on 2021-04-20
    assert figs.get("MG", M, "K1E3") == pytest.approx((1, 12, 100 / 12))
    assert figs.get("MG", M, "K1E4") == pytest.approx((1, 12, 100 / 12))


def test_interruption_over_a_stichtag_is_an_lzb_exit_and_entry(figs):
    # MH: LZB Jan-Mar and May-Dec 2021 (Σ 11); LZB(m-1) 2020-12..2021-11: 1 + 3 + 0 + 7 = 11
    assert figs.get("MH", M, "K3E3") == pytest.approx((1, 11, 100 / 11))  # entry in May
    assert figs.get("MH", M, "K3E4") == pytest.approx((1, 11, 100 / 11))  # exit in Apr


def test_k3_coverage_of_the_730_day_window(figs):
    # LZB at ST(m) needs ST(m) - 729 >= 2018-01-01: true from 2019-12 on.
    assert figs.get("L", "2019-11", "K3") == (None, None, None)
    assert figs.get("L", "2019-12", "K3")[0] == 2 and figs.get("L", "2019-12", "K3")[1:] == (None, None)
    # K3E3 at 2020-11 sums 2019-12..2020-11; its first month needs LZB at ST(2019-11)
    assert figs.get("L", "2020-11", "K3E3") == (None, None, None)
    # 2020-12: no LZB flow at L in 2020; Σ LZB(m) 2020-01..2020-12 = 12 * 2 (r1, r3)
    assert figs.get("L", "2020-12", "K3E3") == pytest.approx((0, 24, 0.0))
