"""Steering figures beyond § 48a (S1, S2, L1, L2, L3, P1, P1J, E1, B1) on a hand-made data set,
through the real CLI (`amip kpi --steering`). Every expected value is derived by hand below."""

from __future__ import annotations

import math

import pytest

from amip.cli import app
from builder import DataSet, Figures, runner

FIRST, LAST = "2020-11", "2022-12"


def data_set() -> DataSet:
    """Job center J1 (seven persons in the stock at ST(2021-12)) and J2 (one person).

    Coverage 2019-01..2021-12 (LZB durations usable from 2020-12: ST(m) - 729 >= 2019-01-01).

    | id | sex | born       | ELB at J1            | prognosis                              | jobs (gross)                     |
    | A  | m   | 1997-01-15 | 2019-01-01 open      | 2019-01-01 marktnah, goal              | svb 2021-06-01 (450)             |
    | B  | w   | 1996-12-31 | 2021-03-01 open      | 2021-03-01 nicht_marktnah; 2021-12-31 integriert, goal | gb 2021-01-01 (450.01), selbst 2021-01-01 (100) |
    | C  | m   | 1966-12-31 | 2020-01-01 open      | none                                   | selbst 2021-01-01 (5000)         |
    | D  | w   | 1980-05-05 | 2019-01-01..2021-12-30 | 2019-01-01 nicht_erforderlich        | svb 2021-01-01 (2000)            |
    | E  | d   | 1990-01-01 | 2021-01-01 open      | 2022-01-15 marktnah                    | svb 2021-01-01 (none), svb 2021-02-01 (1300) |
    | F  | w   | 1985-03-03 | 2021-06-01 open      | 2021-06-01 fehlt                       | ausbildung 2021-06-01 (none)     |
    | G  | m   | 1970-06-01 | 2021-01-01 open      | 2021-01-01 integriert, goal            | svb 2021-01-01 (1300.01)         |
    | I  | m   | 2000-01-01 | 2021-01-01 open      | 2021-01-01 marktnah                    | none                             |
    | H  | w   | 1975-01-01 | J2: 2021-01-01 open  | 2021-01-01 marktnah, goal              | none                             |
    """
    ds = DataSet("2019-01", "2021-12")
    for pid, sex, born in (
        ("A", "m", "1997-01-15"),
        ("B", "w", "1996-12-31"),
        ("C", "m", "1966-12-31"),
        ("D", "w", "1980-05-05"),
        ("E", "d", "1990-01-01"),
        ("F", "w", "1985-03-03"),
        ("G", "m", "1970-06-01"),
        ("I", "m", "2000-01-01"),
        ("H", "w", "1975-01-01"),
    ):
        ds.person(pid, sex, born)
    ds.spell("A", "J1", "2019-01-01").spell("B", "J1", "2021-03-01").spell("C", "J1", "2020-01-01")
    ds.spell("D", "J1", "2019-01-01", "2021-12-30").spell("E", "J1", "2021-01-01").spell("F", "J1", "2021-06-01")
    ds.spell("G", "J1", "2021-01-01").spell("I", "J1", "2021-01-01").spell("H", "J2", "2021-01-01")
    ds.prognosis("A", "2019-01-01", "marktnah", True)
    ds.prognosis("B", "2021-03-01", "nicht_marktnah", False).prognosis("B", "2021-12-31", "integriert", True)
    ds.prognosis("D", "2019-01-01", "nicht_erforderlich", False)
    ds.prognosis("E", "2022-01-15", "marktnah", True)
    ds.prognosis("F", "2021-06-01", "fehlt", False)
    ds.prognosis("G", "2021-01-01", "integriert", True)
    ds.prognosis("I", "2021-01-01", "marktnah", False)
    ds.prognosis("H", "2021-01-01", "marktnah", True)
    ds.job("A", "svb", "2021-06-01", gross=450)
    ds.job("B", "gb", "2021-01-01", gross=450.01).job("B", "selbst", "2021-01-01", gross=100)
    ds.job("C", "selbst", "2021-01-01", gross=5000)
    ds.job("D", "svb", "2021-01-01", gross=2000)
    ds.job("E", "svb", "2021-01-01").job("E", "svb", "2021-02-01", gross=1300)
    ds.job("F", "ausbildung", "2021-06-01")
    ds.job("G", "svb", "2021-01-01", gross=1300.01)
    # Proposals (id, person, date, outcome, employer size, staffing agency)
    ds.proposal("P1", "A", "2021-03-10", "eingestellt", 10)
    ds.proposal("P2", "A", "2021-05-10", "abgelehnt", 10)
    ds.proposal("P3", "B", "2021-02-15", "eingestellt", 10)  # B not yet in the stock: not counted
    ds.proposal("P4", "B", "2021-04-01", "eingestellt", 250)  # 250 employees: not small/medium
    ds.proposal("P5", "F", "2021-07-01", "eingestellt", None)  # size unknown: not small/medium
    ds.proposal("P6", "G", "2021-08-01", "eingestellt", 5, staffing_agency=True)
    ds.proposal("P7", "C", "2020-12-31", "eingestellt", 10)  # in 2020-12: window of 2021-11, not 2021-12
    ds.proposal("P8", "D", "2021-12-31", "eingestellt", 249)  # D left on 2021-12-30: not counted
    ds.proposal("P9", "G", "2021-12-31", "offen", 10)
    ds.proposal("P10", "H", "2021-06-01", "eingestellt", 1)  # J2
    ds.proposal("P11", "E", "2021-09-09", "eingestellt", 249)
    # Budget: J1 = the seed's amounts (allocation 2021, federal estimate 2022);
    # J2 = an own EGL plan per instrument that takes precedence over the estimate.
    ds.budget("J1", 2021, "VK", "zuteilung", 8118736).budget("J1", 2021, "EGL", "zuteilung", 6531000)
    ds.budget("J1", 2022, "VK", "schaetzung", 7485249).budget("J1", 2022, "EGL", "schaetzung", 5694095)
    ds.budget("J2", 2021, "VK", "zuteilung", 100).budget("J2", 2021, "EGL", "zuteilung", 200)
    ds.budget("J2", 2022, "VK", "schaetzung", 90).budget("J2", 2022, "EGL", "schaetzung", 300)
    ds.budget("J2", 2022, "EGL", "plan", 150, instrument="FBW").budget("J2", 2022, "EGL", "plan", 60, instrument="EGZ")
    return ds


def run(ds: DataSet, tmp, steering: bool = True, engine: str = "duckdb", skip=(), first=FIRST, last=LAST):
    data = ds.write(tmp / "data", skip=skip)
    out = tmp / f"figures_{engine}_{steering}.csv"
    args = ["kpi", "--data", str(data), "--from", first, "--to", last, "--out", str(out), "--engine", engine]
    res = runner.invoke(app, [*args, "--steering"] if steering else args)
    assert res.exit_code == 0, res.output
    return Figures(out), res.output


@pytest.fixture(scope="module")
def figs(tmp_path_factory):
    return run(data_set(), tmp_path_factory.mktemp("steering"))[0]


def close(got, want):
    if want is None:
        assert got is None
    else:
        assert got is not None and math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-9), (got, want)


def check(figs, jc, month, fig, sex, num, den, val):
    n, d, v = figs.get(jc, month, fig, sex)
    close(n, num), close(d, den), close(v, val)


DEC, NOV = "2021-12", "2021-11"


def test_s1_is_the_mean_stock_of_the_calendar_year(figs):
    # Stichtage of 2021 at J1: A 12, B 10 (Mar-Dec), C 12, D 11 (Jan-Nov), E 12, F 7 (Jun-Dec), G 12, I 12
    # all: 88 / 12; m (A, C, G, I): 48 / 12 = 4; w (B, D, F): 28 / 12
    for month in ("2021-01", NOV, DEC):
        check(figs, "J1", month, "S1", "all", 88 / 12, None, 88 / 12)
        check(figs, "J1", month, "S1", "m", 4.0, None, 4.0)
        check(figs, "J1", month, "S1", "w", 28 / 12, None, 28 / 12)
    # 2020 is covered as well: A and C (from 2020-01) and D, 12 months each = 36 / 12
    check(figs, "J1", "2020-12", "S1", "all", 3.0, None, 3.0)
    # 2022 is not covered: NULL
    check(figs, "J1", "2022-01", "S1", "all", None, None, None)


def test_s2_share_of_lzb(figs):
    # Dec 2021: stock A, B, C, E, F, G, I = 7 (m: A, C, G, I; w: B, F); LZB: A (since 2019), C (since
    # 2020-01-01, 730 covered days at 2021-12-31) -> all 2/7, m 2/4, w 0/2
    check(figs, "J1", DEC, "S2", "all", 2, 7, 200 / 7)
    check(figs, "J1", DEC, "S2", "m", 2, 4, 50.0)
    check(figs, "J1", DEC, "S2", "w", 0, 2, 0.0)
    # J2 has no men: denominator 0 -> NULL
    check(figs, "J2", DEC, "S2", "m", 0, 0, None)
    # 2020-11: ST - 729 is before the coverage (2019-01-01): LZB unknown
    check(figs, "J1", "2020-11", "S2", "all", None, None, None)


def test_s6_is_the_mean_lzb_stock_of_the_calendar_year(figs):
    # LZB at the Stichtage of 2021 at J1: A 12 (since ST(2020-12)), C 4 (Sep..Dec: 2020-01-01 + 637
    # days = 2021-09-29), D 11 (Jan..Nov, left on 2021-12-30) = 27 -> 27/12; m (A, C) 16, w (D) 11
    for month in ("2021-01", DEC):
        check(figs, "J1", month, "S6", "all", 27 / 12, None, 27 / 12)
    check(figs, "J1", DEC, "S6", "m", 16 / 12, None, 16 / 12)
    check(figs, "J1", DEC, "S6", "w", 11 / 12, None, 11 / 12)
    # 2020: LZB is known only from ST(2020-12) -> NULL; 2022 is not covered
    check(figs, "J1", "2020-12", "S6", "all", None, None, None)
    check(figs, "J1", "2022-12", "S6", "all", None, None, None)


def test_l1_integration_goal_valid_at_the_stichtag(figs):
    # Dec: goal valid at 2021-12-31: A, B (new row valid from 2021-12-31), G -> 3/7; m A, G 2/4; w B 1/2
    check(figs, "J1", DEC, "L1", "all", 3, 7, 300 / 7)
    check(figs, "J1", DEC, "L1", "m", 2, 4, 50.0)
    check(figs, "J1", DEC, "L1", "w", 1, 2, 50.0)
    # Nov: stock also D = 8; B's valid row is nicht_marktnah without goal -> A, G = 2/8
    check(figs, "J1", NOV, "L1", "all", 2, 8, 25.0)
    # 2020-11 is covered (L1 needs no duration): stock A, C, D = 3, goal A -> 1/3
    check(figs, "J1", "2020-11", "L1", "all", 1, 3, 100 / 3)
    check(figs, "J1", "2022-01", "L1", "all", None, None, None)


def test_l2_l3_proposals_of_the_past_twelve_months(figs):
    # Window 2021-01..2021-12 at J1, persons in the stock on the date: P1 A, P2 A, P4 B, P5 F, P6 G,
    # P9 G, P11 E = 7 (P3: B not yet in stock, P7: 2020-12, P8: D left the day before, P10: J2).
    # eingestellt: P1, P4, P5, P6, P11 = 5 -> 5/7. m (A, G): P1, P2, P6, P9; hired P1, P6 -> 2/4.
    # w (B, F): P4, P5, both hired -> 2/2.
    check(figs, "J1", DEC, "L2", "all", 5, 7, 500 / 7)
    check(figs, "J1", DEC, "L2", "m", 2, 4, 50.0)
    check(figs, "J1", DEC, "L2", "w", 2, 2, 100.0)
    # L3: hired, < 250 employees, no staffing agency: P1 (m), P11 (d) -> all 2, m 1, w 0
    check(figs, "J1", DEC, "L3", "all", 2, None, 2)
    check(figs, "J1", DEC, "L3", "m", 1, None, 1)
    check(figs, "J1", DEC, "L3", "w", 0, None, 0)
    # Nov: window 2020-12..2021-11: P7 in, P9 out -> 7 proposals, 6 hired; L3: P1, P7, P11 = 3
    check(figs, "J1", NOV, "L2", "all", 6, 7, 600 / 7)
    check(figs, "J1", NOV, "L3", "all", 3, None, 3)
    # J2: P10 only; no men -> L2 m has denominator 0 -> NULL, L3 m = 0
    check(figs, "J2", DEC, "L2", "all", 1, 1, 100.0)
    check(figs, "J2", DEC, "L2", "m", 0, 0, None)
    check(figs, "J2", DEC, "L3", "m", 0, None, 0)
    # 2022-01: the window reaches an uncovered month -> NULL
    check(figs, "J1", "2022-01", "L2", "all", None, None, None)
    check(figs, "J1", "2022-01", "L3", "all", None, None, None)


def test_p1_by_prognosis_and_age_group_at_the_stichtag(figs):
    # Dec (stock 7; m 4; w 2): A marktnah u25 (m); B integriert, 25 on 2021-12-31 -> 25-54 (w);
    # C no row -> fehlt, 55 on 2021-12-31 -> 55plus (m); E row only from 2022 -> fehlt, 25-54 (d);
    # F fehlt (explicit), 25-54 (w); G integriert 25-54 (m); I marktnah, 21 -> u25 (m)
    check(figs, "J1", DEC, "P1.all.all", "all", 7, 7, 100.0)
    check(figs, "J1", DEC, "P1.marktnah.all", "all", 2, 7, 200 / 7)
    check(figs, "J1", DEC, "P1.marktnah.all", "m", 2, 4, 50.0)
    check(figs, "J1", DEC, "P1.marktnah.u25", "all", 2, 7, 200 / 7)
    check(figs, "J1", DEC, "P1.integriert.25-54", "w", 1, 2, 50.0)
    check(figs, "J1", DEC, "P1.fehlt.all", "all", 3, 7, 300 / 7)
    check(figs, "J1", DEC, "P1.fehlt.25-54", "all", 2, 7, 200 / 7)
    check(figs, "J1", DEC, "P1.fehlt.25-54", "m", 0, 4, 0.0)
    check(figs, "J1", DEC, "P1.fehlt.55plus", "m", 1, 4, 25.0)
    check(figs, "J1", DEC, "P1.all.u25", "all", 2, 7, 200 / 7)
    check(figs, "J1", DEC, "P1.all.25-54", "all", 4, 7, 400 / 7)
    check(figs, "J1", DEC, "P1.all.55plus", "all", 1, 7, 100 / 7)
    check(figs, "J1", DEC, "P1.nicht_marktnah.all", "all", 0, 7, 0.0)
    # Nov (stock 8 with D): B is still 24 (u25) and nicht_marktnah; C is 54 (25-54); D nicht_erforderlich
    check(figs, "J1", NOV, "P1.nicht_marktnah.u25", "w", 1, 3, 100 / 3)
    check(figs, "J1", NOV, "P1.all.55plus", "all", 0, 8, 0.0)
    check(figs, "J1", NOV, "P1.fehlt.25-54", "m", 1, 4, 25.0)
    check(figs, "J1", NOV, "P1.nicht_erforderlich.25-54", "all", 1, 8, 12.5)
    check(figs, "J1", "2022-01", "P1.all.all", "all", None, None, None)


def test_p1j_annual_average_by_prognosis(figs):
    # marktnah in 2021: A 12 + I 12 Stichtage = 24 -> 2.0; / S1 (88/12) -> 24/88
    check(figs, "J1", DEC, "P1J.marktnah.all", "all", 2.0, 88 / 12, 2400 / 88)
    check(figs, "J1", DEC, "P1J.marktnah.all", "m", 2.0, 4.0, 50.0)
    # fehlt: C 12 (no row), E 12 (row from 2022), F 7 (code fehlt) = 31 -> 31/12; m: C 12 -> 1.0 of 4.0;
    # w: F 7 -> 7/12 of 28/12 = 25 %
    check(figs, "J1", DEC, "P1J.fehlt.all", "all", 31 / 12, 88 / 12, 3100 / 88)
    check(figs, "J1", DEC, "P1J.fehlt.all", "m", 1.0, 4.0, 25.0)
    check(figs, "J1", DEC, "P1J.fehlt.all", "w", 7 / 12, 28 / 12, 25.0)
    check(figs, "J1", "2021-06", "P1J.all.all", "all", 88 / 12, 88 / 12, 100.0)
    check(figs, "J1", "2022-12", "P1J.all.all", "all", None, None, None)


def test_e1_employed_elb_by_kind_and_income_class(figs):
    # Dec: A svb 450 -> bis450 (m); B gb 450.01 + selbst -> abhaengig 450-850 (w); C selbst (m);
    # E svb without gross + svb 1300 -> highest known 1300 -> 850-1300 (d); F ausbildung without gross
    # -> unbekannt (w); G svb 1300.01 -> ueber1300 (m); I no job. Erwerbstaetig: all 6, m 3, w 2.
    check(figs, "J1", DEC, "E1.erwerbstaetig.all", "all", 6, 6, 100.0)
    check(figs, "J1", DEC, "E1.abhaengig.all", "all", 5, 6, 500 / 6)
    check(figs, "J1", DEC, "E1.abhaengig.all", "m", 2, 3, 200 / 3)
    check(figs, "J1", DEC, "E1.abhaengig.all", "w", 2, 2, 100.0)
    check(figs, "J1", DEC, "E1.selbstaendig.all", "all", 1, 6, 100 / 6)
    check(figs, "J1", DEC, "E1.selbstaendig.all", "w", 0, 2, 0.0)
    check(figs, "J1", DEC, "E1.abhaengig.bis450", "m", 1, 3, 100 / 3)
    check(figs, "J1", DEC, "E1.abhaengig.450-850", "w", 1, 2, 50.0)
    check(figs, "J1", DEC, "E1.abhaengig.850-1300", "all", 1, 6, 100 / 6)
    check(figs, "J1", DEC, "E1.abhaengig.850-1300", "m", 0, 3, 0.0)
    check(figs, "J1", DEC, "E1.abhaengig.ueber1300", "all", 1, 6, 100 / 6)
    check(figs, "J1", DEC, "E1.abhaengig.unbekannt", "w", 1, 2, 50.0)
    # Nov: D (svb 2000) in the stock too -> ueber1300 = D, G; A's svb started in June -> still counted
    check(figs, "J1", NOV, "E1.abhaengig.ueber1300", "all", 2, 7, 200 / 7)
    # J2: H has no job -> no erwerbstaetige ELB -> denominator 0 -> NULL
    check(figs, "J2", DEC, "E1.erwerbstaetig.all", "all", 0, 0, None)
    check(figs, "J1", "2022-01", "E1.erwerbstaetig.all", "all", None, None, None)


def test_b1_budget_change_against_the_previous_allocation(figs):
    # Seed amounts: VK 7 485 249 - 8 118 736 = -633 487 -> -7,8 %; EGL -836 905 / 6 531 000 -> -12,8 %;
    # total 13 179 344 - 14 649 736 = -1 470 392 -> -10,0 %
    check(figs, "J1", "2022-12", "B1.VK", "all", 7485249, 8118736, -633487 / 8118736 * 100)
    check(figs, "J1", "2022-12", "B1.EGL", "all", 5694095, 6531000, -836905 / 6531000 * 100)
    check(figs, "J1", "2022-12", "B1.total", "all", 13179344, 14649736, -1470392 / 14649736 * 100)
    assert round(figs.value("J1", "2022-12", "B1.VK"), 1) == -7.8
    assert round(figs.value("J1", "2022-12", "B1.EGL"), 1) == -12.8
    assert round(figs.value("J1", "2022-12", "B1.total"), 1) == -10.0
    # J2: the own EGL plan (150 + 60 = 210) wins over the estimate (300): +5 %; VK 90 vs 100: -10 %;
    # total 300 vs 300: 0 %
    check(figs, "J2", "2022-12", "B1.EGL", "all", 210, 200, 5.0)
    check(figs, "J2", "2022-12", "B1.VK", "all", 90, 100, -10.0)
    check(figs, "J2", "2022-12", "B1.total", "all", 300, 300, 0.0)
    # 2021 has no allocation of 2020: no row; B1 only for sex all and month Y-12
    assert not figs.has("J1", "2021-12", "B1.VK")
    assert not figs.has("J1", "2022-12", "B1.VK", "m")
    assert not figs.has("J1", "2022-11", "B1.VK")


def test_output_is_sorted_and_keeps_the_48a_rows_unchanged(figs, tmp_path):
    plain, _ = run(data_set(), tmp_path, steering=False)
    k_rows = [r for r in figs.rows if r["figure"].startswith("K")]
    assert k_rows == plain.rows
    # per job center and month: the § 48a figures, then S1, S2, L1, ...; sexes all, m, w
    jc_month = [r for r in figs.rows if (r["jobcenter_id"], r["month"]) == ("J1", DEC)]
    names = list(dict.fromkeys(r["figure"] for r in jc_month))
    assert names[:15] == [
        "K1",
        "K1E1",
        "K1E2",
        "K1E3",
        "K1E4",
        "K2",
        "K2E1",
        "K2E2",
        "K2E3",
        "K2E4",
        "K3",
        "K3E1",
        "K3E2",
        "K3E3",
        "K3E4",
    ]
    assert names[15:24] == ["S1", "S2", "S3", "S4", "S5", "S6", "L1", "L2", "L3"]
    assert names[24] == "P1.all.all" and names[-1] == "E1.selbstaendig.all"
    assert len(names) == 15 + 9 + 24 + 24 + 8
    assert [r["sex"] for r in jc_month if r["figure"] == "S1"] == ["all", "m", "w"]
    keys = [(r["jobcenter_id"], r["month"]) for r in figs.rows]
    assert keys == sorted(keys)


def test_missing_optional_tables_leave_their_figures_out(tmp_path):
    ds = data_set()
    for r in ds.rows["employment_spells"]:
        r[5] = ""  # no gross_eur at all -> the column is not written
    figs, output = run(ds, tmp_path, skip=("prognosis", "proposals", "budget"), first=DEC, last=DEC)
    present = {r["figure"] for r in figs.rows}
    assert {"S1", "S2"} <= present
    assert not present & {"L1", "L2", "L3", "P1.all.all", "P1J.all.all", "E1.erwerbstaetig.all", "B1.VK"}
    for fam in ("L1", "L2", "L3", "P1", "P1J", "E1", "B1"):
        assert f"Not produced: {fam}" in output
    assert "gross_eur" in output


def test_api_key_figures_with_steering(tmp_path):
    from amip.api import key_figures

    data = data_set().write(tmp_path / "data")
    t = key_figures(DEC, DEC, data=data, steering=True)
    rows = {(r["jobcenter_id"], r["figure"], r["sex"]): r for r in t.to_pylist()}
    assert rows[("J1", "S2", "all")]["numerator"] == 2 and rows[("J1", "S2", "all")]["denominator"] == 7
    assert ("J1", "K2", "all") in rows
    assert not any(r["figure"] == "S1" for r in key_figures(DEC, DEC, data=data).to_pylist())


def test_one_job_center_only(tmp_path):
    from amip.api import key_figures

    data = data_set().write(tmp_path / "data")
    rows = key_figures("2022-12", "2022-12", data=data, jobcenter="J2", steering=True).to_pylist()
    assert {r["jobcenter_id"] for r in rows} == {"J2"}
    b1 = {r["figure"]: r["value"] for r in rows if r["figure"].startswith("B1")}
    assert b1 == {"B1.VK": -10.0, "B1.EGL": 5.0, "B1.total": 0.0}  # as in the B1 test above


def test_leap_day_birthday_turns_25_on_the_first_of_march(tmp_path):
    from amip.api import key_figures

    # Born 2000-02-29: 25th birthday on 2025-03-01 (2025 has no 29 February), so at ST(2025-02) =
    # 2025-02-28 still u25, at ST(2025-03) in 25-54.
    ds = DataSet("2024-01", "2025-12").person("L", "w", "2000-02-29").spell("L", "J1", "2024-01-01")
    ds.prognosis("L", "2024-01-01", "marktnah", True)
    rows = key_figures("2025-02", "2025-03", data=ds.write(tmp_path / "data"), steering=True).to_pylist()
    got = {(r["month"], r["figure"]): r["numerator"] for r in rows if r["sex"] == "w"}
    assert got[("2025-02", "P1.marktnah.u25")] == 1 and got[("2025-02", "P1.marktnah.25-54")] == 0
    assert got[("2025-03", "P1.marktnah.u25")] == 0 and got[("2025-03", "P1.marktnah.25-54")] == 1
