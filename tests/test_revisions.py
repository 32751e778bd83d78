"""Revisions (issue 14, part 3) on the hand-made history of ``history_kit.py``: per month and lag the
provisional value minus the BA-comparable value, their summary, and ``amip revisions``.

Revision months of the six deliveries (2021-11-01 .. 2022-04-01, data_states rules): 2021-08 (lag 2),
2021-09 (lags 1, 2), 2021-10 .. 2021-12 (lags 0, 1, 2). Values by hand (K1E2 = stock / stock a year
before - 1, in %; K2 = integrations of twelve months / mean stock, in %):
  J1 K1E2 12/2021: lag 0 (2022-01-01) 0 (c's end not recorded); lag 1, 2 and BA -33,3 (2 of 3)
  J2 K2 10/2021: lag 0 (2021-11-01), lag 1 (2021-12-01) 0; lag 2 (2022-01-01) and BA 50 (1 of 2)
     K2 11/2021: lag 0 (2021-12-01) 0; lag 1, 2, BA 50;  K2 12/2021: 50 at every lag
  J3 K1E2: +50 in every delivery before 2022-02-01 (g counted), 0 from then on, for 06 .. 12/2021
"""

from __future__ import annotations

import csv
import datetime as dt

import pytest

from amip.cli import app
from amip.kennzahlen.revisions import compute_revisions, open_source
from builder import runner
from history_kit import AS_OF, delivery, import_history, write_delivery

D = dt.date.fromisoformat


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    return import_history(tmp_path_factory.mktemp("revisions"))


@pytest.fixture(scope="module")
def revisions(warehouse):
    with open_source(db=warehouse) as source:
        return compute_revisions(source)


def _detail(rev, jc, figure, sex="all") -> dict[tuple[str, int], tuple]:
    return {
        (r["month"], r["lag"]): (r["as_of"], r["value"], r["final_as_of"], r["final_value"], r["revision"])
        for r in rev.detail.to_pylist()
        if r["jobcenter_id"] == jc and r["figure"] == figure and r["sex"] == sex
    }


def _summary(rev, jc, figure, sex, lag) -> dict:
    (row,) = [
        r
        for r in rev.summary.to_pylist()
        if (r["jobcenter_id"], r["figure"], r["sex"], r["lag"]) == (jc, figure, sex, lag)
    ]
    return {k: row[k] for k in ("months", "mean", "mean_abs", "p05", "p95", "flips")}


def test_every_delivery_with_a_month_to_serve_is_computed_once(revisions):
    assert revisions.deliveries == len(AS_OF)
    months = {(r["month"], r["lag"]) for r in revisions.detail.to_pylist() if r["jobcenter_id"] == "J1"}
    assert months == {("2021-08", 2), ("2021-09", 1), ("2021-09", 2)} | {
        (m, k) for m in ("2021-10", "2021-11", "2021-12") for k in (0, 1, 2)
    }


def test_a_spell_end_recorded_late_changes_k1e2_at_lag_0_not_the_final_value(revisions, tmp_path):
    got = _detail(revisions, "J1", "K1E2")
    assert got[("2021-12", 0)] == (
        D("2022-01-01"),
        0.0,
        D("2022-04-01"),
        pytest.approx(-100 / 3),
        pytest.approx(100 / 3),
    )
    assert (got[("2021-12", 1)][1], got[("2021-12", 1)][4]) == (pytest.approx(-100 / 3), 0.0)  # recorded by 2022-02-01
    assert all(v[4] == 0 for key, v in got.items() if key != ("2021-12", 0))
    # the BA-comparable value is the value of the data as finally recorded (the last delivery alone)
    from amip.api import key_figures

    alone = write_delivery(delivery(AS_OF[-1]), tmp_path / "truth", AS_OF[-1])
    truth = key_figures("2021-12", "2021-12", data=alone, jobcenter="J1").to_pylist()
    assert next(r["value"] for r in truth if r["figure"] == "K1E2" and r["sex"] == "all") == got[("2021-12", 0)][3]
    # c is a woman: the women's figure moves from 0 to -50 (1 of 2)
    assert _detail(revisions, "J1", "K1E2", "w")[("2021-12", 0)][4] == pytest.approx(50.0)
    assert _detail(revisions, "J1", "K1E2", "m")[("2021-12", 0)][4] == 0.0


def test_an_integration_reported_late_appears_at_lag_2(revisions):
    got = _detail(revisions, "J2", "K2")
    assert [got[("2021-10", k)][1] for k in (0, 1, 2)] == [0.0, 0.0, pytest.approx(50.0)]
    assert got[("2021-10", 2)][0] == D("2022-01-01") and got[("2021-10", 2)][3] == pytest.approx(50.0)
    assert [got[("2021-11", k)][4] for k in (0, 1, 2)] == [pytest.approx(-50.0), 0.0, 0.0]
    assert [got[("2021-12", k)][4] for k in (0, 1, 2)] == [0.0, 0.0, 0.0]


def test_a_correction_changes_the_ba_value_only_of_months_whose_delivery_comes_after_it(revisions):
    got = _detail(revisions, "J3", "K1E2")
    # BA-comparable deliveries: 08 -> 2021-12-01, 09 -> 2022-01-01 (before the correction of
    # 2022-02-01: g still counted, +50); 10 -> 2022-02-01, 11 -> 03-01, 12 -> 04-01 (corrected, 0)
    final = {m: got[(m, 2)][2:4] for m in ("2021-08", "2021-09", "2021-10", "2021-11", "2021-12")}
    assert final == {
        "2021-08": (D("2021-12-01"), pytest.approx(50.0)),
        "2021-09": (D("2022-01-01"), pytest.approx(50.0)),
        "2021-10": (D("2022-02-01"), 0.0),
        "2021-11": (D("2022-03-01"), 0.0),
        "2021-12": (D("2022-04-01"), 0.0),
    }
    # so the provisional values before the correction are revised only from 10/2021 on
    assert {k: v[4] for k, v in got.items()} == {
        ("2021-08", 2): 0.0,
        ("2021-09", 1): 0.0,
        ("2021-09", 2): 0.0,
        ("2021-10", 0): pytest.approx(50.0),
        ("2021-10", 1): pytest.approx(50.0),
        ("2021-10", 2): pytest.approx(50.0),
        ("2021-11", 0): pytest.approx(50.0),
        ("2021-11", 1): pytest.approx(50.0),
        ("2021-11", 2): 0.0,  # 2022-02-01
        ("2021-12", 0): pytest.approx(50.0),
        ("2021-12", 1): 0.0,
        ("2021-12", 2): 0.0,
    }


def test_summary_mean_interval_and_flips_by_hand(revisions):
    # J2 K2, lag 0: revisions 10/2021 -50, 11/2021 -50, 12/2021 0. Quantiles linear between the
    # order statistics (-50, -50, 0): p05 at position 0.1 -> -50, p95 at 1.9 -> -50 + 0.9 * 50 = -5.
    # Direction against the same month a year before (0 in 2020, as of the same delivery): the
    # provisional change is 0 in 10 and 11, +50 in 12; the final one +50 each: 2 flips of 3.
    assert _summary(revisions, "J2", "K2", "all", 0) == pytest.approx(
        {"months": 3, "mean": -100 / 3, "mean_abs": 100 / 3, "p05": -50.0, "p95": -5.0, "flips": 2 / 3}
    )
    # lag 1: 09 0, 10 -50, 11 0, 12 0 -> sorted (-50, 0, 0, 0): p05 at 0.15 -> -42.5, p95 at 2.85 -> 0;
    # flips: 09 (0 vs 0) no, 10 (0 vs +) yes, 11 (+ vs +) no, 12 no
    assert _summary(revisions, "J2", "K2", "all", 1) == pytest.approx(
        {"months": 4, "mean": -12.5, "mean_abs": 12.5, "p05": -42.5, "p95": 0.0, "flips": 0.25}
    )
    # J1 K1E2, lag 0: 0, 0, +33,3 -> p95 at 1.9 -> 0.9 * 33,3 = 30; 12/2021 flips (0 vs -33,3)
    assert _summary(revisions, "J1", "K1E2", "all", 0) == pytest.approx(
        {"months": 3, "mean": 100 / 9, "mean_abs": 100 / 9, "p05": 0.0, "p95": 30.0, "flips": 1 / 3}
    )
    # J3 K1E2, lag 2: 0, 0, +50, 0, 0 -> mean 10, p95 at 3.8 -> 0.8 * 50 = 40; the provisional
    # change of 10/2021 is +50 against 0 in the BA-comparable delivery: 1 flip of 5
    assert _summary(revisions, "J3", "K1E2", "all", 2) == pytest.approx(
        {"months": 5, "mean": 10.0, "mean_abs": 10.0, "p05": 0.0, "p95": 40.0, "flips": 0.2}
    )
    assert revisions.summary.column_names == [
        "jobcenter_id", "figure", "sex", "lag", "months", "mean", "mean_abs", "p05", "p95", "flips"
    ]  # fmt: skip


@pytest.mark.slow
def test_cli_writes_the_detail_of_one_job_center_and_figure(warehouse, revisions, tmp_path):
    out = tmp_path / "rev.csv"
    args = ["revisions", "--db", str(warehouse), "--detail", "--jobcenter", "J2", "--figure", "k2", "--out", str(out)]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    want = [r for r in revisions.detail.to_pylist() if r["jobcenter_id"] == "J2" and r["figure"] == "K2"]
    assert len(rows) == len(want) == 12 * 3  # 12 month-lags, sexes all, m, w
    assert [(r["month"], r["sex"], int(r["lag"]), pytest.approx(float(r["revision"]))) for r in rows] == [
        (r["month"], r["sex"], r["lag"], r["revision"]) for r in want
    ]
    assert list(rows[0]) == [
        "jobcenter_id", "month", "figure", "sex", "lag", "as_of", "value", "final_as_of", "final_value", "revision"
    ]  # fmt: skip


@pytest.mark.slow
def test_cli_prints_german_points(warehouse, monkeypatch):
    import amip.cli

    # Rich fixes a console's width when it is made (COLUMNS at import): widen it, so no cell wraps
    monkeypatch.setattr(amip.cli.out, "width", 200)
    res = runner.invoke(app, ["revisions", "--db", str(warehouse), "--jobcenter", "J2", "--figure", "K2"])
    assert res.exit_code == 0, res.output
    rows = [[c.strip() for c in row.split("│")[1:-1]] for row in res.output.splitlines() if row.startswith("│")]
    # J2, K2, all, lag 0: 3 months; mean -33,3; mean |.| 33,3; p05 -50,0; p95 -5,0; flips 2 of 3
    assert ["J2", "K2", "all", "0", "3", "−33,3 Pp.", "33,3 Pp.", "−50,0 Pp.", "−5,0 Pp.", "67 %"] in rows


def test_cli_errors(warehouse, tmp_path):
    res = runner.invoke(app, ["revisions", "--db", str(warehouse), "--figure", "K9"])
    assert res.exit_code == 1 and "unknown figure 'K9'" in res.output
    res = runner.invoke(app, ["revisions", "--db", str(tmp_path / "none.duckdb")])
    assert res.exit_code == 1 and "warehouse not found" in res.output
    res = runner.invoke(app, ["revisions", "--db", str(warehouse), "--out", str(tmp_path / "x.xlsx")])
    assert res.exit_code == 1 and "unknown output format" in res.output


def test_one_delivery_has_no_revisions(tmp_path):
    folder = write_delivery(delivery(AS_OF[0]), tmp_path / "d", AS_OF[0])
    db = tmp_path / "one.duckdb"
    assert runner.invoke(app, ["import", str(folder), "--db", str(db)]).exit_code == 0
    out = tmp_path / "rev.csv"
    res = runner.invoke(app, ["revisions", "--db", str(db), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "one delivery" in res.output
    assert out.read_text().strip() == "jobcenter_id,figure,sex,lag,months,mean,mean_abs,p05,p95,flips"


def test_points_in_german_format():
    from amip.format import points

    assert points(-0.6) == "−0,6 Pp."
    assert points(0.1) == "+0,1 Pp."
    assert points(-0.04) == "0,0 Pp."  # rounds to zero: no sign
    assert points(1234.5, signed=False) == "1.234,5 Pp."
    assert points(None) == "–"


def test_figure_cache_keeps_states_deliveries_and_revisions(warehouse, revisions, store_factory):
    store = store_factory(warehouse)
    assert [d["as_of"] for d in store.deliveries()] == [D(a) for a in AS_OF]
    assert store.deliveries()[-1]["last_month"] == "2022-03"
    # the figures are those of the latest delivery, with their state
    v = store.value("J1", "K1E2", "2021-12")
    assert v is not None and v["value"] == pytest.approx(-100 / 3)
    assert (v["as_of"], v["data_state"]) == (D("2022-04-01"), "final")
    h = store.history("J1", "K1E2", last="2022-03", months=3)
    assert h["month"].tolist() == ["2022-01", "2022-02", "2022-03"]
    assert h["data_state"].tolist() == ["provisional_2", "provisional_1", "provisional_0"]
    # the revisions of the home job centers (here every job center: no benefits in the data)
    want = [r for r in revisions.summary.to_pylist() if r["jobcenter_id"] == "J2"]
    got = store.revisions("J2").to_dict("records")
    assert [(r["figure"], r["sex"], r["lag"], r["months"]) for r in got] == [
        (r["figure"], r["sex"], r["lag"], r["months"]) for r in want
    ]
    assert store.band("J2", "K2", "all", 0) == pytest.approx({"mean": -100 / 3, "p05": -50.0, "p95": -5.0, "months": 3})
    assert store.band("J2", "K2", "all", 3) is None
    detail = store.revision_detail("J2", "K2")
    assert detail[["month", "lag"]].values.tolist()[:3] == [["2021-08", 2], ["2021-09", 1], ["2021-09", 2]]
    assert detail["final_as_of"].tolist()[0] == D("2021-12-01")


@pytest.mark.slow
def test_a_new_import_reuses_the_values_of_unchanged_deliveries(revisions, store_factory, tmp_path):
    """The cache keeps each delivery's values (``revision_values``); after an import only the
    deliveries with months not computed yet run the engine, and the result is the same as from
    scratch."""
    db = tmp_path / "amip.duckdb"
    for as_of in AS_OF[:-1]:
        write_delivery(delivery(as_of), tmp_path / "d" / f"delivery-{as_of}", as_of)
    assert runner.invoke(app, ["import", str(tmp_path / "d"), "--db", str(db)]).exit_code == 0
    first = store_factory(db)
    assert (first.meta["revision_runs"], first.meta["revision_reused"]) == (5, 0)
    last = write_delivery(delivery(AS_OF[-1]), tmp_path / "last", AS_OF[-1])
    assert runner.invoke(app, ["import", str(last), "--db", str(db)]).exit_code == 0
    second = store_factory(db)
    # 2022-04-01 is new; it makes 12/2021 revisable, whose lag deliveries 2022-01-01, -02-01 and
    # -03-01 compute 12/2021 and 12/2020 in addition; 2021-11-01 and 2021-12-01 are reused whole
    assert (second.meta["revision_runs"], second.meta["revision_reused"]) == (4, 2)
    keys, stats = ["figure", "sex", "lag", "months"], ["mean", "mean_abs", "p05", "p95", "flips"]
    for jc in ("J1", "J2", "J3"):
        want = [r for r in revisions.summary.to_pylist() if r["jobcenter_id"] == jc]
        got = second.revisions(jc).to_dict("records")
        assert [[r[k] for k in keys] for r in got] == [[r[k] for k in keys] for r in want]
        for g, w in zip(got, want, strict=True):
            for c in stats:
                assert (g[c] is None or g[c] != g[c]) if w[c] is None else g[c] == pytest.approx(w[c]), (jc, c)
