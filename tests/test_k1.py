"""K1 family, worked out by hand from kennzahlen.md.

Job center J1, coverage 2019-01..2021-12, Bezugsmonat M = 2021-12.
  a (w) 2019-01-01 .. open                          in stock every month
  b (m) 2020-06-15 .. 2021-11-30                    spell ends on the last day of a month: exit in 2021-12
  c (m) 2020-12-01 .. 2021-03-31, 2021-04-01 .. open back-to-back: no exit, no entry in 2021-04
  d (d) 2020-12-10 .. 2021-05-31 and 2021-01-01 .. 2021-02-15 (overlapping): counted once, exit 2021-06
  e (w) J1 2020-11-01 .. 2021-02-28, then J2 2021-03-01 .. open: exit from J1 and entry into J2 in 2021-03
  f (w) 2021-07-01 .. 2021-07-31                    entry 2021-07, exit 2021-08
Stock J1 (all) at ST: 2020-12: a b c d e = 5 (w 2, m 2, d 1); 2021: Jan 5, Feb 5, Mar 4, Apr 4, May 4,
Jun 3, Jul 4, Aug 3, Sep 3, Oct 3, Nov 3, Dec 2 (a, c).
"""

import pytest
from builder import DataSet, run_kpi

M = "2021-12"


@pytest.fixture(scope="module")
def figs(tmp_path_factory):
    ds = DataSet("2019-01", "2021-12")
    for pid, sex in [("a", "w"), ("b", "m"), ("c", "m"), ("d", "d"), ("e", "w"), ("f", "w")]:
        ds.person(pid, sex)
    ds.spell("a", "J1", "2019-01-01")
    ds.spell("b", "J1", "2020-06-15", "2021-11-30")
    ds.spell("c", "J1", "2020-12-01", "2021-03-31").spell("c", "J1", "2021-04-01")
    ds.spell("d", "J1", "2020-12-10", "2021-05-31").spell("d", "J1", "2021-01-01", "2021-02-15")
    ds.spell("e", "J1", "2020-11-01", "2021-02-28").spell("e", "J2", "2021-03-01")
    ds.spell("f", "J1", "2021-07-01", "2021-07-31")
    # Benefits of J1: LLU = RB + SG + MB + EL, LUH = KDU + KDU_SONST.
    for kind, now, before in [("RB", 500, 400), ("SG", 100, 100), ("MB", 50, 40), ("EL", 20, None),
                              ("KDU", 300, 250), ("KDU_SONST", 30, 50)]:
        ds.benefit("J1", "bg1", "2021-12", kind, now)
        if before is not None:
            ds.benefit("J1", "bg1", "2020-12", kind, before)
    ds.benefit("J1", "bg1", "2021-11", "RB", 9999)  # another month: must not count
    return run_kpi(ds, tmp_path_factory.mktemp("k1"), "2019-12", "2022-01")


def test_k1_benefits_change(figs):
    # LLU 2021-12 = 500+100+50+20 = 670; 2020-12 = 400+100+40 = 540
    assert figs.get("J1", M, "K1") == pytest.approx((670, 540, (670 / 540 - 1) * 100))
    # LUH 330 against 300
    assert figs.get("J1", M, "K1E1") == pytest.approx((330, 300, 10.0))


def test_k1_not_person_based(figs):
    assert not figs.has("J1", M, "K1", "w") and not figs.has("J1", M, "K1E1", "m")


def test_k1_zero_denominator_is_null(figs):
    # J2 has no benefits at all: 0 / 0 -> NULL value, numerator and denominator stay 0
    assert figs.get("J2", M, "K1") == (0.0, 0.0, None)


def test_k1e2_stock_change_by_sex(figs):
    assert figs.get("J1", M, "K1E2", "all") == pytest.approx((2, 5, -60.0))
    assert figs.get("J1", M, "K1E2", "w") == pytest.approx((1, 2, -50.0))
    assert figs.get("J1", M, "K1E2", "m") == pytest.approx((1, 2, -50.0))


def test_sex_d_counts_in_totals_only(figs):
    assert not figs.has("J1", M, "K1E2", "d")
    all_, w, m = (figs.get("J1", "2020-12", "K1E2", s)[0] for s in ("all", "w", "m"))
    assert (all_, w, m) == (5, 2, 2)  # d is in all but in neither m nor w


def test_k1e3_entry_rate(figs):
    # only f enters J1 in 2021 (July, stock 4); c's and d's second spells are no entries
    assert figs.value("J1", M, "K1E3") == pytest.approx(25 / 12)
    assert figs.value("J1", M, "K1E3", "w") == pytest.approx(50 / 12)  # stock w in July: a, f
    assert figs.value("J1", M, "K1E3", "m") == pytest.approx(0.0)
    assert figs.get("J1", M, "K1E3")[:2] == (None, None)  # averaged rates have no num/den


def test_k1e4_exit_rate(figs):
    # exits: e in Mar (/Feb stock 5), d in Jun (/May 4), f in Aug (/Jul 4), b in Dec (/Nov 3)
    assert figs.value("J1", M, "K1E4") == pytest.approx((100 / 5 + 100 / 4 + 100 / 4 + 100 / 3) / 12)
    assert figs.value("J1", M, "K1E4", "w") == pytest.approx((50 + 50) / 12)
    assert figs.value("J1", M, "K1E4", "m") == pytest.approx(50 / 12)


def test_move_between_job_centers(figs):
    # e enters J2 in 2021-03; J2 has no stock in Jan/Feb: a zero monthly denominator -> NULL
    assert figs.value("J2", M, "K1E3") is None
    assert figs.get("J2", M, "K1E2") == (1.0, 0.0, None)


def test_coverage_makes_values_null(figs):
    # 2019-12 needs 2018-12 (not covered): numerator known, denominator and value NULL
    assert figs.get("J1", "2019-12", "K1E2") == (1.0, None, None)  # only a is in stock at ST(2019-12)
    # 2022-01 is after the data cut-off: everything NULL
    for fig in ("K1", "K1E1", "K1E2", "K1E3", "K1E4"):
        assert figs.value("J1", "2022-01", fig) is None
    # K1E3 in 2020-12 averages 2020-01..2020-12 whose flows need 2019-12 .. all covered: a value
    assert figs.value("J1", "2020-12", "K1E3") is not None
