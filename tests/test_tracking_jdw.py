"""The LZB target as an annual average (JDW, steering figure S6; kennzahlen.md, "Plans"): actual
values, proposal and Zielnachhaltung on a job center whose LZB stock moves during the year, and the
migration that renamed the plan measure. Every number is worked out by hand.

Job center J1, coverage 2019-01 .. 2022-12 (LZB known from ST(2020-12)):

  person sex ELB at J1                 LZB at the Stichtage (638 of 730 days)
  p      w   2019-01-01 ..             from 2020-09-29: all of 2021 and 2022
  q      m   2019-01-01 .. 2022-04-30  all of 2021, January–April 2022
  r      w   2020-06-01 ..             from 2022-02-28 (2020-06-01 + 637 days): February–December 2022

  LZB JDW 2021: p 12 + q 12 = 24 -> 2 (w 1, m 1).
  LZB JDW 2022: p 12 + q 4 + r 11 = 27 -> 2,25 (w 23 / 12, m 4 / 12); December 2022 alone: 2 (p, r).
  Average January–June 2022: p 6 + q 4 + r 5 = 15 -> 2,5.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from amip.cli import app as cli
from amip.figures.store import FigureStore
from amip.planning import plans, proposal, targets, tracking
from amip.state.db import alembic_config, make_engine, open_state
from builder import DataSet, import_into, runner


def dataset(last: str = "2022-12") -> DataSet:
    ds = DataSet("2019-01", last)
    ds.person("p", "w", "1980-01-01").spell("p", "J1", "2019-01-01")
    ds.person("q", "m", "1980-01-01").spell("q", "J1", "2019-01-01", "2022-04-30")
    ds.person("r", "w", "1980-01-01").spell("r", "J1", "2020-06-01")
    ds.job("p", "svb", "2018-01-01", "2018-01-31")  # an employment table; no integration in the window
    return ds


@pytest.fixture(scope="module")
def store(store_factory, warehouse_factory):
    return store_factory(warehouse_factory(dataset(), "jdw"))


def row(result: dict, measure: str, sex: str = "all") -> dict:
    return next(r for r in result["rows"] if r["measure"] == measure and r["sex"] == sex)


def test_actual_lzb_is_the_annual_average_not_december(store):
    ist = targets.actual_year(store, "J1", 2022)
    assert ist["all"]["lzb_jdw"] == 2.25  # December alone would be 2
    assert ist["w"]["lzb_jdw"] == pytest.approx(23 / 12) and ist["m"]["lzb_jdw"] == pytest.approx(4 / 12)
    assert targets.actual_year(store, "J1", 2021)["all"]["lzb_jdw"] == 2
    # 2020: LZB is known only from ST(2020-12) (730 days after 2019-01-01): no JDW, not 2 / 12
    assert targets.actual_year(store, "J1", 2020)["all"]["lzb_jdw"] is None
    assert proposal.propose(store, "J1", 2020)["all"]["lzb_jdw"] is None
    # the store's S6 says the same
    assert store.value("J1", "S6", "2022-12", "all")["value"] == 2.25


def test_plan_change_against_the_previous_annual_average(factory, store):
    with factory.begin() as db:
        plans.save_plan(db, 2022, "J1", None, {"all": {"lzb_jdw": 2.25}}, "co")
        t = plans.programme_targets(db, 2022, "J1", store)
    assert t["actual_previous"]["all"]["lzb_jdw"] == 2
    assert t["changes"]["all"]["lzb_pct"] == pytest.approx(12.5)  # 2,25 / 2 − 1


def test_proposal_of_an_observed_year_is_its_jdw(store):
    got = proposal.propose(store, "J1", 2022)
    assert got["all"]["lzb_jdw"] == 2.25 and got["w"]["lzb_jdw"] == pytest.approx(23 / 12)


def test_tracking_uses_the_year_to_date_average(factory, store):
    with factory.begin() as db:
        p = plans.save_plan(db, 2022, "J1", None, {"all": {"lzb_jdw": 2.25}}, "co")
        plans.agree(db, p.id, "gf")
        june = tracking.track(db, store, 2022, "J1", "2022-06")
        december = tracking.track(db, store, 2022, "J1", "2022-12")
    lzb = row(june, "lzb_jdw")
    # average January–June 2,5; June is not the latest month (no forecast): expected JDW 2,5;
    # attainment 2,25 / 2,5 = 90 % -> at risk ("gefährdet"); 11,1 % above the plan
    assert lzb["actual"] == 2.5 and lzb["expected"] == 2.5
    assert lzb["attainment"] == pytest.approx(90) and lzb["status"] == "at_risk"
    assert lzb["deviation_pct"] == pytest.approx(2.5 / 2.25 * 100 - 100)
    dec = row(december, "lzb_jdw")
    # December of a finished year (the data end in 12/2022): the JDW 2,25 equals the plan -> 100 %,
    # "erreicht"; no probability for a year whose outcome is known
    assert (dec["actual"], dec["expected"], dec["attainment"], dec["probability"], dec["status"]) == (
        2.25,
        2.25,
        100,
        None,
        "reached",
    )
    assert dec["year_end"] == 2.25 and lzb["year_end"] is None  # June: no forecast, no year end


def test_the_months_still_to_come_come_from_the_forecast(tmp_path, state_url):
    """Data up to 2022-09: January–September observed (p 9 + q 4 + r 8 = 21), October–December from
    the forecast's expected mean E of the LZB series: JDW = (21 + 3 · E) / 12, in the proposal and
    in the Zielnachhaltung of September (the latest month)."""
    probability = pytest.importorskip("amip.forecast.probability")
    db = import_into(dataset("2022-09"), tmp_path)
    st = FigureStore.open(db)
    factory = open_state(url=state_url)
    try:
        rest = ["2022-10", "2022-11", "2022-12"]
        e = probability.expected(st, "J1", "lzb", "all", rest, "mean")
        assert e is not None and e > 0
        want = (21 + 3 * e) / 12
        assert proposal.propose(st, "J1", 2022)["all"]["lzb_jdw"] == pytest.approx(want)
        with factory.begin() as session:
            p = plans.save_plan(session, 2022, "J1", None, {"all": {"lzb_jdw": 1_000_000}}, "co")
            plans.agree(session, p.id, "gf")
            lzb = row(tracking.track(session, st, 2022, "J1", "2022-09"), "lzb_jdw")
        assert lzb["actual"] == pytest.approx(21 / 9) and lzb["expected"] == pytest.approx(want)
        assert lzb["year_end"] == pytest.approx(want)  # the forecast for the year end (Übersicht tile)
        assert lzb["probability"] is not None and lzb["probability"] > 0.95 and lzb["status"] == "on_track"
    finally:
        factory.kw["bind"].dispose()
        st.close()


def test_cli_plan_prints_the_lzb_as_jdw(tmp_path):
    db = import_into(dataset(), tmp_path)
    env = {"AMIP_STATE_DB": f"sqlite:///{tmp_path / 'state.sqlite'}"}
    base = ["--year", "2022", "--db", str(db)]
    res = runner.invoke(cli, ["plan", "set", *base, "--lzb", "2.5"], env=env)
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["plan", "show", *base], env=env)
    assert res.exit_code == 0, res.output
    # the plan against the actual 2021 JDW of 2: 2,5 / 2 − 1 = +25 %
    assert "LZB (JDW)" in res.output and "25,0" in res.output


def test_migration_0007_renames_the_lzb_measure(state_url):
    """A plan stored before 0007 (measure lzb_dec) keeps its value under lzb_jdw; downgrade restores it."""
    from alembic import command

    engine = make_engine(state_url)
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "0005")
            conn.execute(
                text(
                    "INSERT INTO plans (id, year, jobcenter_id, team_id, version, status, source, created_by, created_at) "
                    "VALUES (1, 2022, 'J1', NULL, 1, 'draft', 'manual', 'co', CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                text("INSERT INTO plan_values (plan_id, sex, measure, value) VALUES (1, 'all', 'lzb_dec', 3031)")
            )
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "head")
            assert conn.execute(text("SELECT measure, value FROM plan_values")).all() == [("lzb_jdw", 3031)]
        with engine.begin() as conn, pytest.raises(IntegrityError), conn.begin_nested():  # the old name is refused
            conn.execute(text("INSERT INTO plan_values (plan_id, sex, measure, value) VALUES (1, 'w', 'lzb_dec', 1)"))
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0005")
            assert conn.execute(text("SELECT measure FROM plan_values")).scalars().all() == ["lzb_dec"]
    finally:
        engine.dispose()


def test_demo_summary_sets_the_lzb_jdw_beside_the_plan(tmp_path):
    """The demo's printout compares the planned LZB (3 031, a JDW) with the LZB JDW of the year, not
    with the December stock: here 2,25 (prints as 2) against December's 2."""
    from rich.console import Console

    from amip.demo import lzb_jdw, summary
    from amip.kennzahlen.backends import ibis_backend, warehouse_connection
    from amip.kennzahlen.engine import compute

    db = import_into(dataset(), tmp_path)
    with warehouse_connection(db=db) as con, ibis_backend(con) as be:
        result = compute(be, "2022-01", "2022-12")
    assert lzb_jdw(result.series, 2022)[("J1", "all")] == 2.25
    assert lzb_jdw(result.series, 2020) == {}  # LZB not known in every month of 2020
    console = Console(width=200, record=True)
    console.print(summary(result.table, ["J1"], result.series))
    text = console.export_text()
    row = next(line for line in text.splitlines() if "LZB (JDW 2022)" in line)
    # Ist all 2,25 -> "2", Frauen 23/12 -> "2", Männer 4/12 -> "0"; plan 3.031 (all only)
    assert [c.strip() for c in row.split("│")[2:8]] == ["2", "2", "0", "3.031", "·", "·"]
