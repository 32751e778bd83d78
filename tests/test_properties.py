"""Random data sets (hypothesis): the engine against the brute-force oracle, and the properties
any correct engine has whatever the data."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builder import DataSet, run_kpi
from oracle import Oracle, month_add

pytestmark = pytest.mark.slow

FIRST, LAST = "2019-01", "2022-12"
DAY0 = dt.date(2018, 6, 1)
SPAN = (dt.date(2023, 3, 31) - DAY0).days
INSTRUMENTS = ["FBW", "MAT", "AGH", "TAM", "EGZ", "VB", "ESG"]
PROFILE = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _day(offset: int) -> dt.date:
    return DAY0 + dt.timedelta(days=offset)


@st.composite
def interval(draw, max_len=900, open_ok=True):
    start = draw(st.integers(0, SPAN))
    if open_ok and draw(st.booleans()) and draw(st.booleans()):
        return _day(start), None
    return _day(start), _day(min(SPAN + 60, start + draw(st.integers(0, max_len))))


@st.composite
def datasets(draw, sexes=("m", "w", "d"), jobcenters=("A", "B"), movers=True, ids=""):
    """Random data sets; with ``movers=False`` every person's spells are at one job center. The
    person ids are ``{ids}p0``, ``{ids}p1``, … (and their BG ``bg_`` + id)."""
    ds = DataSet(FIRST, LAST)
    n = draw(st.integers(1, 7))
    for i in range(n):
        pid = f"{ids}p{i}"
        birth = draw(
            st.sampled_from(
                [
                    dt.date(1980, 5, 5),
                    dt.date(2004, 2, 29),
                    dt.date(2004, 12, 31),
                    dt.date(2005, 7, 1),
                    dt.date(1961, 1, 31),
                ]
            )
        )
        ds.person(pid, draw(st.sampled_from(sexes)), birth)
        home = draw(st.sampled_from(jobcenters))
        for _ in range(draw(st.integers(1, 3))):
            s, e = draw(interval())
            jc = draw(st.sampled_from(jobcenters)) if movers else home
            ds.spell(pid, jc, s, e, single_parent=draw(st.booleans()))
        for _ in range(draw(st.integers(0, 2))):
            s, e = draw(interval(max_len=400))
            ds.job(
                pid,
                draw(st.sampled_from(["svb", "svb", "gb", "ausbildung", "selbst"])),
                s,
                e,
                accompanied=draw(st.booleans()),
            )
        for _ in range(draw(st.integers(0, 1))):
            s, e = draw(interval(max_len=300, open_ok=False))
            ds.measure(pid, draw(st.sampled_from(jobcenters)), draw(st.sampled_from(INSTRUMENTS)), s, e, 100)
    for jc in jobcenters:
        for m in ("2021-06", "2022-06", "2022-12", "2021-12"):
            if draw(st.booleans()):
                ds.benefit(jc, "bg", m, draw(st.sampled_from(["RB", "KDU", "SG"])), draw(st.integers(0, 900)))
    return ds


def _close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


MONTHS = ["2020-12", "2021-06", "2021-12", "2022-06", "2022-12"]


@PROFILE
@given(ds=datasets())
def test_engine_matches_brute_force_oracle(tmp_path_factory, ds):
    figs = run_kpi(ds, tmp_path_factory.mktemp("o"), MONTHS[0], MONTHS[-1])
    expected = Oracle(ds).figures(MONTHS)
    assert expected, "the oracle produced nothing"
    assert {k for k in figs.by if k[1] in MONTHS} == set(expected)
    for key, (num, den, val) in expected.items():
        got = figs.get(*key)
        assert _close(got[0], num) and _close(got[1], den) and _close(got[2], val), (key, got, (num, den, val))


def _series(ds: DataSet, folder) -> dict:
    from amip.api import key_figure_result

    data = ds.write(folder / "data")
    series = key_figure_result("2021-01", "2022-12", data=data).series.to_pylist()
    return {(r["jobcenter_id"], r["month"], r["sex"]): r for r in series}


@PROFILE
@given(ds=datasets())
def test_stock_balances_with_flows(tmp_path_factory, ds):
    """Stock(m) = Stock(m-1) + entries(m) - exits(m) per job center, exactly, in the engine's own
    monthly counts: flows count every status change (rules version 2), moves included."""
    by = _series(ds, tmp_path_factory.mktemp("b"))
    checked = 0
    for (j, m, sex), r in by.items():
        prev = by.get((j, month_add(m, -1), sex))
        if prev is None or not r["flow_ok"]:
            continue
        assert r["stock"] == prev["stock"] + r["entries"] - r["exits"], (j, m, sex)
        checked += 1
    assert checked > 0


@PROFILE
@given(ds=datasets(movers=False))
def test_lzb_stock_balances_with_lzb_flows_without_moves(tmp_path_factory, ds):
    """LZB(m) = LZB(m-1) + LZB entries(m) - LZB exits(m) when nobody has spells at two job centers."""
    by = _series(ds, tmp_path_factory.mktemp("l"))
    checked = 0
    for (j, m, sex), r in by.items():
        prev = by.get((j, month_add(m, -1), sex))
        if prev is None or not r["lzb_flow_ok"]:
            continue
        assert r["lzb"] == prev["lzb"] + r["lzb_entries"] - r["lzb_exits"], (j, m, sex)
        checked += 1
    assert checked > 0


def test_lzb_balance_does_not_hold_across_a_move(tmp_path):
    """With a move while LZB the LZB balance breaks by design (the move is no LZB flow), while the
    ELB balance still holds: p is LZB at A until 2021-04-30 and at B from 2021-05-01."""
    ds = DataSet(FIRST, LAST).person("p", "w")
    ds.spell("p", "A", "2018-06-01", "2021-04-30").spell("p", "B", "2021-05-01")
    by = _series(ds, tmp_path)
    apr, may = by[("A", "2021-04", "all")], by[("A", "2021-05", "all")]
    assert (apr["lzb"], may["lzb"], may["lzb_entries"], may["lzb_exits"]) == (1, 0, 0, 0)
    assert (apr["stock"], may["stock"], may["entries"], may["exits"]) == (1, 0, 0, 1)
    b_apr, b_may = by[("B", "2021-04", "all")], by[("B", "2021-05", "all")]
    assert (b_apr["lzb"], b_may["lzb"], b_may["lzb_entries"], b_may["lzb_exits"]) == (0, 1, 0, 0)
    assert (b_may["entries"], b_may["exits"]) == (1, 0)


@PROFILE
@given(ds=datasets(sexes=("m", "w")))
def test_sexes_add_up_to_all(tmp_path_factory, ds):
    figs = run_kpi(ds, tmp_path_factory.mktemp("s"), "2021-01", "2022-12")
    for (jc, month, fig, sex), row in list(figs.by.items()):
        if sex != "all" or fig in ("K1", "K1E1"):
            continue
        for part in ("numerator", "denominator"):
            total = row[part]
            if total == "":
                continue
            m, w = float(figs.by[(jc, month, fig, "m")][part]), float(figs.by[(jc, month, fig, "w")][part])
            assert m <= float(total) + 1e-9 and w <= float(total) + 1e-9
            assert math.isclose(m + w, float(total), abs_tol=1e-9), (jc, month, fig, part)


def _shift(ds: DataSet, years: int) -> DataSet:
    def sd(text):
        return text if not text else str(dt.date.fromisoformat(text).replace(year=int(text[:4]) + years))

    def sm(text):
        return f"{int(text[:4]) + years:04d}{text[4:]}"

    out = DataSet(sm(ds.first), sm(ds.last))
    for r in ds.rows["persons"]:
        out.rows["persons"].append([r[0], r[1], sd(r[2])])
    for r in ds.rows["elb_spells"]:
        out.rows["elb_spells"].append([r[0], r[1], r[2], sd(r[3]), sd(r[4]), r[5]])
    for r in ds.rows["employment_spells"]:
        out.rows["employment_spells"].append([r[0], r[1], sd(r[2]), sd(r[3]), *r[4:]])
    for r in ds.rows["measures"]:
        out.rows["measures"].append([r[0], r[1], r[2], sd(r[3]), sd(r[4]), r[5]])
    for r in ds.rows["benefits"]:
        out.rows["benefits"].append([r[0], r[1], sm(r[2]), r[3], r[4]])
    return out


@PROFILE
@given(ds=datasets())
def test_shifting_by_28_years_changes_nothing(tmp_path_factory, ds):
    """The Gregorian calendar repeats after 28 years (between 1901 and 2099): same figures."""
    a = run_kpi(ds, tmp_path_factory.mktemp("a"), "2021-01", "2022-12")
    b = run_kpi(_shift(ds, 28), tmp_path_factory.mktemp("b"), "2049-01", "2050-12")
    assert len(a.rows) == len(b.rows)
    for ra, rb in zip(a.rows, b.rows):
        assert month_add(ra["month"], 28 * 12) == rb["month"]
        assert (ra["jobcenter_id"], ra["figure"], ra["sex"]) == (rb["jobcenter_id"], rb["figure"], rb["sex"])
        for c in ("numerator", "denominator", "value"):
            assert ra[c] == rb[c], (ra, rb)
