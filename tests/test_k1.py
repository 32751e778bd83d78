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

Job center J3 (flows as status changes, rules version 2):
  g (w) 2021-03-01 .. 2021-03-10 and 2021-03-20 .. 2021-05-31  two entries in March (1st, 20th);
                                                                exits 2021-03-11 (March) and 2021-06-01 (June)
  h (m) 2021-03-01 .. 2021-03-31 and 2021-03-01 .. 2021-08-31  two rows starting the same day: ONE entry
                                                                (March); 2021-04-01 is covered: exit only in Sep
  i (m) 2021-09-05 .. 2021-10-31 and 2021-09-20 .. 2021-10-31  one entry (Sep 20 is covered on Sep 19); two rows
                                                                ending the same day: ONE exit (November)
Stock J3 at ST 2021: Jan 0, Feb 0, Mar 2 (g, h), Apr 2, May 2, Jun 1 (h), Jul 1, Aug 1, Sep 1 (i), Oct 1,
Nov 0, Dec 0; 2020-12: 0.
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
    ds.person("g", "w").person("h", "m").person("i", "m")
    ds.spell("g", "J3", "2021-03-01", "2021-03-10").spell("g", "J3", "2021-03-20", "2021-05-31")
    ds.spell("h", "J3", "2021-03-01", "2021-03-31").spell("h", "J3", "2021-03-01", "2021-08-31")
    ds.spell("i", "J3", "2021-09-05", "2021-10-31").spell("i", "J3", "2021-09-20", "2021-10-31")
    # Benefits of J1: LLU = RB + SG + MB + EL, LUH = KDU + KDU_SONST.
    for kind, now, before in [
        ("RB", 500, 400),
        ("SG", 100, 100),
        ("MB", 50, 40),
        ("EL", 20, None),
        ("KDU", 300, 250),
        ("KDU_SONST", 30, 50),
    ]:
        ds.benefit("J1", "bg1", "2021-12", kind, now)
        if before is not None:
            ds.benefit("J1", "bg1", "2020-12", kind, before)
    ds.benefit("J1", "bg1", "2021-11", "RB", 9999)  # another month: must not count
    tmp = tmp_path_factory.mktemp("k1")
    figs = run_kpi(ds, tmp, "2019-12", "2022-01")
    figs.data = tmp / "data"
    return figs


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
    # Stock-weighted: Σ entries(m) / Σ Stock(m) over 2021-01..2021-12.
    # Only f enters J1 in 2021 (July); c's and d's second spells are no entries.
    # Σ Stock all = 5+5+4+4+4+3+4+3+3+3+3+2 = 43
    assert figs.get("J1", M, "K1E3") == pytest.approx((1, 43, 100 / 43))
    # w (a all year, e Jan-Feb, f Jul): 2+2+1+1+1+1+2+1+1+1+1+1 = 15
    assert figs.get("J1", M, "K1E3", "w") == pytest.approx((1, 15, 100 / 15))
    # m (c all year, b Jan-Nov): 11 * 2 + 1 = 23, no entry
    assert figs.get("J1", M, "K1E3", "m") == pytest.approx((0, 23, 0.0))


def test_k1e4_exit_rate(figs):
    # Σ exits(m) / Σ Stock(m-1): exits e (Mar), d (Jun), f (Aug), b (Dec) = 4;
    # Stock 2020-12 .. 2021-11 = 5 + 5+5+4+4+4+3+4+3+3+3+3 = 46
    assert figs.get("J1", M, "K1E4") == pytest.approx((4, 46, 400 / 46))
    # w: exits e, f; stock 2020-12 (a, e) 2 + Jan..Nov 2+2+1+1+1+1+2+1+1+1+1 = 16
    assert figs.get("J1", M, "K1E4", "w") == pytest.approx((2, 16, 200 / 16))
    # m: exit b; stock 2020-12 (b, c) 2 + Jan..Nov 11 * 2 = 24
    assert figs.get("J1", M, "K1E4", "m") == pytest.approx((1, 24, 100 / 24))


def test_move_between_job_centers(figs):
    # e leaves J1 (an exit there, counted above) and enters J2 in 2021-03. J2's stock is empty in
    # Jan and Feb: those months contribute 0, the value is no longer NULL (version 1: NULL).
    # Σ Stock J2 = Mar..Dec = 10
    assert figs.get("J2", M, "K1E3") == pytest.approx((1, 10, 10.0))
    # no exit from J2; Σ Stock J2 2020-12 .. 2021-11 = Mar..Nov = 9
    assert figs.get("J2", M, "K1E4") == pytest.approx((0, 9, 0.0))
    assert figs.get("J2", M, "K1E2") == (1.0, 0.0, None)


def test_two_entries_of_one_person_in_a_month_count_twice(figs):
    # J3: entries g, g (March), h (March, two rows starting the same day = one), i (Sep) = 4;
    # Σ Stock J3 = 2+2+2+1+1+1+1+1 = 11
    assert figs.get("J3", M, "K1E3") == pytest.approx((4, 11, 400 / 11))
    assert figs.get("J3", M, "K1E3", "w") == pytest.approx((2, 3, 200 / 3))  # g: stock Mar-May
    assert figs.get("J3", M, "K1E3", "m") == pytest.approx((2, 8, 25.0))  # h Mar-Aug 6, i Sep-Oct 2


def test_exit_in_a_month_after_an_empty_stock_contributes_nothing(figs):
    # J3 exits: g Mar, g Jun, h Sep, i Nov (two rows ending the same day = one). g's March exit
    # divides by Stock(Feb) = 0: that month contributes 0 to both sums (kennzahlen.md, "Averages
    # over twelve months"). Σ Stock J3 2020-12 .. 2021-11 = 0+0+0+2+2+2+1+1+1+1+1+0 = 11.
    assert figs.get("J3", M, "K1E4") == pytest.approx((3, 11, 300 / 11))
    assert figs.get("J3", M, "K1E4", "w") == pytest.approx((1, 3, 100 / 3))  # g Jun / stock Mar-May
    assert figs.get("J3", M, "K1E4", "m") == pytest.approx((2, 8, 25.0))  # h Sep, i Nov / 6 + 2


def test_monthly_flows_count_status_changes(figs):
    """The monthly counts behind the rates (what the cockpit's 'Zähler und Nenner' shows)."""
    from amip.api import key_figure_result

    res = key_figure_result("2021-12", "2021-12", data=figs.data)
    series = {(r["jobcenter_id"], r["month"], r["sex"]): r for r in res.series.to_pylist()}
    march = series[("J3", "2021-03", "all")]
    assert (march["entries"], march["exits"], march["stock"]) == (3, 1, 2)
    assert series[("J3", "2021-11", "all")]["exits"] == 1  # i: two rows ending the same day


def test_coverage_makes_values_null(figs):
    # 2019-12 needs 2018-12 (not covered): numerator known, denominator and value NULL
    assert figs.get("J1", "2019-12", "K1E2") == (1.0, None, None)  # only a is in stock at ST(2019-12)
    # 2022-01 is after the data cut-off: everything NULL
    for fig in ("K1", "K1E1", "K1E2", "K1E3", "K1E4"):
        assert figs.value("J1", "2022-01", fig) is None
    # K1E3 in 2020-12 sums 2020-01..2020-12 whose flows need 2019-12 .. all covered: a value
    assert figs.value("J1", "2020-12", "K1E3") is not None
    # K1E3 and K1E4 in 2019-12 need the flows of 2019-01, which need 2018-12: all NULL
    assert figs.get("J1", "2019-12", "K1E3") == (None, None, None)
    assert figs.get("J1", "2019-12", "K1E4") == (None, None, None)
