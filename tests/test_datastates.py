"""Data states (issue 14, part 2): the pure rules of data-contract.md "Deliveries (Datenstände) and
the Wartezeit" worked out by hand, and ``amip kpi --as-of`` / ``--ba`` on the hand-made history of
``history_kit.py`` (six monthly deliveries 2021-11-01 .. 2022-04-01)."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from amip.cli import app
from amip.kennzahlen import datastates as ds
from amip.kennzahlen.calendar import parse_month
from builder import Figures, runner
from history_kit import AS_OF, delivery, import_history, write_delivery

D = dt.date.fromisoformat
HISTORY = [D(a) for a in AS_OF]


# ---- the pure rules --------------------------------------------------------------------------------


def test_state_of_a_value_by_the_days_after_the_month():
    # M = 2021-12: ST(M+1) = 2022-01-31, ST(M+2) = 2022-02-28, ST(M+3) = 2022-03-31
    assert ds.data_state(D("2021-12-31"), "2021-12") == "provisional_0"  # before the month is over too
    assert ds.data_state(D("2022-01-01"), "2021-12") == "provisional_0"
    assert ds.data_state(D("2022-01-30"), "2021-12") == "provisional_0"
    assert ds.data_state(D("2022-01-31"), "2021-12") == "provisional_1"  # not before ST(M+1)
    assert ds.data_state(D("2022-02-27"), "2021-12") == "provisional_1"
    assert ds.data_state(D("2022-02-28"), "2021-12") == "provisional_2"
    assert ds.data_state(D("2022-03-30"), "2021-12") == "provisional_2"
    assert ds.data_state(D("2022-03-31"), "2021-12") == "final"  # on or after ST(M+3)
    assert ds.data_state(D("2030-01-01"), parse_month("2021-12")) == "final"
    # February of a leap year: ST(2024-02) = 2024-02-29 bounds lag 1 of 2023-12
    assert ds.lag(D("2024-02-28"), "2023-12") == 1
    assert ds.lag(D("2024-02-29"), "2023-12") == 2


def test_ba_comparable_and_lag_deliveries():
    # 2021-10: BA = earliest as_of >= ST(2022-01) = 2022-01-31 -> 2022-02-01
    assert ds.ba_delivery(HISTORY, "2021-10") == D("2022-02-01")
    assert ds.ba_delivery(HISTORY, "2021-12") == D("2022-04-01")  # >= 2022-03-31
    assert ds.ba_delivery(HISTORY, "2022-01") is None  # needs >= 2022-04-30
    # lag k: latest as_of < ST(M+k+1)
    assert ds.lag_delivery(HISTORY, "2021-10", 0) == D("2021-11-01")  # < 2021-11-30
    assert ds.lag_delivery(HISTORY, "2021-10", 1) == D("2021-12-01")  # < 2021-12-31
    assert ds.lag_delivery(HISTORY, "2021-10", 2) == D("2022-01-01")  # < 2022-01-31
    assert ds.lag_delivery(HISTORY, "2021-09", 0) is None  # < 2021-10-31: none
    assert ds.lag_delivery(HISTORY, "2021-09", 1) == D("2021-11-01")  # the same delivery may serve two lags
    with pytest.raises(ValueError, match="lag"):
        ds.lag_delivery(HISTORY, "2021-09", 3)


def test_ba_plan_takes_the_latest_delivery_where_no_month_is_final():
    plan = ds.ba_plan(HISTORY, ["2021-09", "2021-12", "2022-01", "2022-03"])
    assert plan == {
        "2021-09": D("2022-01-01"),
        "2021-12": D("2022-04-01"),
        "2022-01": D("2022-04-01"),  # provisional_2 of the latest
        "2022-03": D("2022-04-01"),
    }


def test_revision_pairs_and_what_each_delivery_computes():
    # every delivery covers 2019-01 .. the month before its as_of
    coverage = {d: (parse_month("2019-01"), parse_month(f"{d.year}-{d.month:02d}") - 1) for d in HISTORY}
    pairs = ds.revision_pairs(coverage)
    got = {(p.month, p.lag): (p.provisional, p.final) for p in pairs}
    m = parse_month
    # 2021-08: only lag 2 (2021-11-01 < ST(2021-11)); BA 2021-12-01 (>= ST(2021-11) = 2021-11-30)
    assert got[(m("2021-08"), 2)] == (D("2021-11-01"), D("2021-12-01"))
    assert (m("2021-08"), 1) not in got
    # 2021-12: lag 0, 1, 2 from 2022-01-01, -02-01, -03-01; BA 2022-04-01
    assert [got[(m("2021-12"), k)] for k in (0, 1, 2)] == [
        (D("2022-01-01"), D("2022-04-01")),
        (D("2022-02-01"), D("2022-04-01")),
        (D("2022-03-01"), D("2022-04-01")),
    ]
    assert sorted({p.month for p in pairs}) == list(range(m("2021-08"), m("2021-12") + 1))
    assert len(pairs) == 1 + 2 + 3 + 3 + 3
    needs = ds.revision_needs(pairs, coverage)
    # 2022-04-01 is the BA delivery of 2021-12 only; with the month a year earlier
    assert needs[D("2022-04-01")] == {m("2021-12"), m("2020-12")}
    # 2021-11-01: lag 2 of 08, lag 1 of 09, lag 0 of 10
    assert needs[D("2021-11-01")] == {m(x) for x in ("2021-08", "2021-09", "2021-10", "2020-08", "2020-09", "2020-10")}


def test_with_states_appends_the_delivery_and_the_state_per_month():
    t = pa.table({"month": ["2021-12", "2022-01", "2021-12"], "value": [1.0, 2.0, 3.0]})
    got = ds.with_states(t, D("2022-02-01"))
    assert got.column("as_of").to_pylist() == [D("2022-02-01")] * 3
    assert got.column("data_state").to_pylist() == ["provisional_1", "provisional_0", "provisional_1"]


# ---- figures as of a data state --------------------------------------------------------------------


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    root = tmp_path_factory.mktemp("history")
    return root, import_history(root)


def _kpi(tmp, *args) -> Figures:
    out = tmp / "k.csv"
    res = runner.invoke(app, ["kpi", "--out", str(out), *args])
    assert res.exit_code == 0, res.output
    return Figures(out)


def _rows(figs: Figures, jc: str, figure: str, sex: str = "all") -> dict[str, tuple]:
    return {
        r["month"]: (float(r["value"]) if r["value"] else None, r["as_of"], r["data_state"])
        for r in figs.rows
        if r["jobcenter_id"] == jc and r["figure"] == figure and r["sex"] == sex
    }


def test_default_is_the_latest_delivery_with_its_states(history, tmp_path):
    _root, db = history
    figs = _kpi(tmp_path, "--db", str(db), "--from", "2021-12", "--to", "2022-03")
    got = _rows(figs, "J3", "K1E2")
    # the latest delivery (2022-04-01) knows the correction: g left in 05/2021, the stock is 2 as a
    # year before, except 03/2022 against 03/2021 (g still in the stock then): 2 / 3 - 1
    assert got.pop("2022-03") == (pytest.approx(-100 / 3), "2022-04-01", "provisional_0")
    assert got == {
        "2021-12": (0.0, "2022-04-01", "final"),
        "2022-01": (0.0, "2022-04-01", "provisional_2"),
        "2022-02": (0.0, "2022-04-01", "provisional_1"),
    }
    assert list(figs.rows[0]) == ["jobcenter_id", "month", "figure", "sex", "numerator", "denominator", "value"] + [
        "as_of",
        "data_state",
    ]


@pytest.mark.parametrize(("as_of", "delivered"), [("2021-12-20", "2021-12-01"), ("01.02.2022", "2022-02-01")])
def test_as_of_equals_importing_that_delivery_alone(history, tmp_path, as_of, delivered):
    _root, db = history
    got = _kpi(tmp_path, "--db", str(db), "--from", "2021-10", "--to", "2021-11", "--as-of", as_of)
    alone = write_delivery(delivery(delivered), tmp_path / "alone", delivered)
    want = _kpi(tmp_path, "--data", str(alone), "--from", "2021-10", "--to", "2021-11")
    assert got.rows == want.rows  # same figures, same delivery, same states
    assert {r["as_of"] for r in got.rows} == {delivered}
    # J2's late integration (10/2021): not known on 2021-12-01, known on 2022-02-01
    k2 = got.value("J2", "2021-10", "K2")
    assert k2 == (0.0 if delivered == "2021-12-01" else pytest.approx(50.0))


def test_as_of_before_the_first_delivery_is_a_clear_error(history, tmp_path):
    _root, db = history
    out = tmp_path / "k.csv"
    args = ["kpi", "--db", str(db), "--from", "2021-10", "--to", "2021-10", "--out", str(out)]
    res = runner.invoke(app, [*args, "--as-of", "2021-10-31"])
    assert res.exit_code == 1
    assert "no delivery on or before 31.10.2021" in res.output and "01.11.2021" in res.output
    assert "Traceback" not in res.output and not out.exists()
    res = runner.invoke(app, [*args, "--as-of", "2021-13-01"])
    assert res.exit_code == 1 and "not a date" in res.output
    res = runner.invoke(app, [*args, "--as-of", "2022-01-01", "--ba"])
    assert res.exit_code == 1 and "either --as-of or --ba" in res.output


def test_ba_takes_each_month_from_its_ba_comparable_delivery(history, tmp_path):
    _root, db = history
    figs = _kpi(tmp_path, "--db", str(db), "--from", "2021-09", "--to", "2022-01", "--ba")
    # J3: the correction of 2022-02-01 changes the BA-comparable value only of the months whose
    # BA-comparable delivery comes after it: 09/2021 (from 2022-01-01) still counts g (+50 %)
    assert _rows(figs, "J3", "K1E2") == {
        "2021-09": (50.0, "2022-01-01", "final"),
        "2021-10": (0.0, "2022-02-01", "final"),
        "2021-11": (0.0, "2022-03-01", "final"),
        "2021-12": (0.0, "2022-04-01", "final"),
        "2022-01": (0.0, "2022-04-01", "provisional_2"),  # no BA-comparable delivery yet
    }
    # J1: the late end of c (12/2021) is in the BA-comparable value: 2 of 3 persons a year before
    assert figs.value("J1", "2021-12", "K1E2") == pytest.approx(-100 / 3)
    assert figs.value("J1", "2021-12", "K1E2", "w") == pytest.approx(-50.0)
    # the rows are in the engine's order: job center, month, figure, sex
    keys = [(r["jobcenter_id"], r["month"]) for r in figs.rows]
    assert keys == sorted(keys)
    assert [r["sex"] for r in figs.rows[:3]] == ["all", "all", "all"]  # K1, K1E1 (all only), K1E2 all


def test_python_api_as_of_and_ba(history):
    from amip.api import key_figures

    _root, db = history
    t = key_figures("2021-12", "2021-12", db=db, as_of=dt.date(2022, 1, 15), jobcenter="J1")
    row = next(r for r in t.to_pylist() if r["figure"] == "K1E2" and r["sex"] == "all")
    # lag 0 of 12/2021: c's end is not recorded yet, the stock is as a year before
    assert (row["value"], row["as_of"], row["data_state"]) == (0.0, D("2022-01-01"), "provisional_0")
    with pytest.raises(ValueError, match="exclude each other"):
        key_figures("2021-12", "2021-12", db=db, as_of="2022-01-15", ba=True)
