"""Zielnachhaltung: the status rule at its boundaries, the seasonal profile, the needed integrations
and the LZB annual average (JDW), worked out by hand on the job center of test_planning.py (see its docstring).

Monthly integrations of J1 (all): 2021-07 (c), 2021-12 (d), 2022-03 (e), 2022-08 (f); none in
2020. The cache starts in 2019-01, where January and February have no integration count (the
search needs m−2): so the only complete earlier year with integrations is 2021, and the seasonal
profile is July 0,5 and December 0,5 (women: December 1; men: July 1).
LZB: a and b at every Stichtag of 2021 and 2022 (d reaches 638 days only in 2023): the year-to-date
average is 2 in every month of 2022. (A year-to-date average that moves: tests/test_tracking_jdw.py.)
Stock: January–June 2022 a, b, d, e, f = 5 every month.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from amip.cli import app as cli
from amip.cockpit.app import create_app
from amip.cockpit.settings import Settings
from amip.figures.store import FigureStore
from amip.planning import plans, tracking
from amip.state.db import open_state
from builder import runner
from cockpit_fixture import PASSWORD, login
from test_planning import planning_dataset


@pytest.fixture(scope="module")
def warehouse(warehouse_factory):
    return warehouse_factory(planning_dataset(), "tracking")


@pytest.fixture(scope="module")
def store(store_factory, warehouse):
    return store_factory(warehouse)


def row(result: dict, measure: str, sex: str = "all") -> dict:
    return next(r for r in result["rows"] if r["measure"] == measure and r["sex"] == sex)


# ---- the rule, at its boundaries -------------------------------------------------------------------


@pytest.mark.parametrize(
    "attainment,probability,expected",
    [
        (100.0, None, "on_track"),
        (99.999, None, "at_risk"),
        (90.0, None, "at_risk"),
        (89.999, None, "off_track"),
        (None, 0.7, "on_track"),
        (None, 0.6999, "at_risk"),
        (None, 0.4, "at_risk"),
        (None, 0.3999, "off_track"),
        (50.0, 0.7, "on_track"),  # the probability alone suffices
        (120.0, 0.0, "on_track"),  # so does the attainment
        (95.0, 0.1, "at_risk"),
        (10.0, 0.5, "at_risk"),
        (89.0, 0.39, "off_track"),
        (None, None, None),
    ],
)
def test_status_rule_boundaries(attainment, probability, expected):
    assert tracking.status(attainment, probability) == expected


def test_needed_per_month_and_expected_lzb_jdw():
    assert tracking.needed_per_month(940, 512, 6) == pytest.approx(428 / 6)  # (940 − 512) / 6 = 71,33
    assert tracking.needed_per_month(940, 1000, 3) == 0  # already reached
    assert tracking.needed_per_month(940, 900, 0) is None  # no month left
    # six months at 3 256 and a forecast mean of 3 000 for the other six: (6 · 3 256 + 6 · 3 000) / 12
    assert tracking.lzb_expected_jdw([3256] * 6, 3000) == 3128
    assert tracking.lzb_expected_jdw([2, 2, 3], None) == 7 / 3  # no forecast: the average so far
    assert tracking.lzb_expected_jdw([1] * 12, 5) == 1  # December: the year itself
    assert tracking.lzb_expected_jdw([], 5) is None


def test_the_rule_is_stated_with_its_thresholds():
    for words in ("mindestens 100 %", "mindestens 70 %", "mindestens 90 %", "mindestens 40 %", "nicht im Plan"):
        assert words in tracking.RULE_TEXT


# ---- tracking on the hand-made job center ----------------------------------------------------------


def test_seasonal_profile_from_the_complete_earlier_years(store):
    shares, years = tracking.seasonal_profile(store, "J1", "all", 2022)
    assert years == [2021]
    assert shares == [0, 0, 0, 0, 0, 0, 0.5, 0, 0, 0, 0, 0.5]
    assert tracking.seasonal_profile(store, "J1", "w", 2022)[0][11] == 1.0
    # no complete earlier year with integrations: equal shares
    assert tracking.seasonal_profile(store, "J1", "all", 2020) == ([1 / 12] * 12, [])


def _plan(factory, values: dict, year: int = 2022) -> None:
    with factory.begin() as db:
        p = plans.save_plan(db, year, "J1", None, values, "co")
        plans.agree(db, p.id, "gf")


def test_tracking_in_july(factory, store):
    _plan(factory, {"all": {"integrations": 4, "elb_jdw": 5, "lzb_jdw": 1}})
    with factory.begin() as db:
        res = tracking.track(db, store, 2022, "J1", "2022-07")
    assert (res["plan_status"], res["version"]) == ("agreed", 1)
    ints = row(res, "integrations")
    # YTD January–July 2022: e (March) = 1; profile to date 4 · 0,5 = 2; attainment 1 / 2 = 50 %
    assert (ints["actual"], ints["expected"], ints["attainment"]) == (1, 2, 50)
    assert ints["needed_per_month"] == pytest.approx(3 / 5)  # (4 − 1) / 5 remaining months
    assert ints["probability"] is None  # July is not the data's latest month
    assert ints["status"] == "off_track"
    lzb = row(res, "lzb_jdw")
    # average January–July 2 (a, b); no forecast in July (not the latest month): expected JDW 2;
    # attainment plan / expected = 1 / 2 = 50 %
    assert (lzb["actual"], lzb["expected"], lzb["attainment"]) == (2, 2, 50)
    assert lzb["status"] == "off_track"
    assert [c["actual"] for c in res["cumulative"]["all"][:7]] == [0, 0, 1, 1, 1, 1, 1]
    assert res["cumulative"]["all"][7]["actual"] is None and res["cumulative"]["all"][11]["profile"] == 4


def test_tracking_in_june_elb_quota_and_lzb(factory, store):
    _plan(factory, {"all": {"integrations": 4, "elb_jdw": 5, "lzb_jdw": 1}})
    with factory.begin() as db:
        res = tracking.track(db, store, 2022, "J1", "2022-06")
    elb = row(res, "elb_jdw")
    assert (elb["actual"], elb["deviation_pct"], elb["status"]) == (5, 0, None)  # 5 persons every month
    quota = row(res, "quota")
    # K2 2022-06: 3 integrations (Jul 21, Dec 21, Mar 22) / mean stock (6 · 3 + 6 · 5) / 12 = 4 -> 75 %;
    # planned 4 / 5 · 100 = 80 %; deviation 75 / 80 − 1 = −6,25 %
    assert (quota["actual"], quota["plan"], quota["deviation_pct"]) == (75, 80, -6.25)
    lzb = row(res, "lzb_jdw")
    # average January–June 2; expected JDW 2 (no forecast); attainment 1 / 2 = 50 %; 100 % over plan
    assert (lzb["actual"], lzb["expected"], lzb["attainment"], lzb["status"]) == (2, 2, 50, "off_track")
    assert lzb["deviation_pct"] == 100
    ints = row(res, "integrations")
    assert (ints["expected"], ints["attainment"]) == (0, None)  # the profile expects nothing before July


@pytest.mark.parametrize(
    "target,attainment,status",
    [
        (4, 100, "on_track"),  # YTD Aug = 2 (e, f); profile to date 4 · 0,5 = 2 -> exactly 100 %
        (4.4, 2 / 2.2 * 100, "at_risk"),  # 2 / 2,2 = 90,9 %
        (5, 80, "off_track"),  # 2 / 2,5 = 80 %
    ],
)
def test_tracking_status_in_august(factory, store, target, attainment, status):
    _plan(factory, {"all": {"integrations": target}})
    with factory.begin() as db:
        ints = row(tracking.track(db, store, 2022, "J1", "2022-08"), "integrations")
    assert ints["actual"] == 2 and ints["attainment"] == pytest.approx(attainment) and ints["status"] == status


def test_after_december_the_probability_is_the_outcome(factory, store):
    _plan(factory, {"all": {"integrations": 2}, "w": {"integrations": 2}})
    with factory.begin() as db:
        res = tracking.track(db, store, 2022, "J1", "2022-12")
    ints = row(res, "integrations")
    assert (ints["actual"], ints["probability"], ints["status"], ints["needed_per_month"]) == (2, 1.0, "on_track", None)
    women = row(res, "integrations", "w")  # f only: 1 of 2 -> 50 %, not reached
    assert (women["actual"], women["attainment"], women["probability"], women["status"]) == (1, 50, 0.0, "off_track")


def test_a_draft_is_tracked_and_flagged(factory, store):
    with factory.begin() as db:
        plans.save_plan(db, 2022, "J1", None, {"all": {"integrations": 4}}, "co")
        res = tracking.track(db, store, 2022, "J1", "2022-07")
    assert (res["plan_status"], res["version"]) == ("draft", 1)
    with factory.begin() as db:
        empty = tracking.track(db, store, 2022, "J2", "2022-07")
    assert empty["plan_status"] is None and empty["rows"] == []


def test_team_plans_are_tracked_with_the_team_counts(factory, store):
    """T1 = a, b, f (f integrated 2022-08, team at ST(2022-07)); T2 = c, d, e (e integrated 2022-03)."""
    with factory.begin() as db:
        plans.save_plan(db, 2022, "J1", "T1", {"all": {"integrations": 2, "elb_jdw": 3, "lzb_jdw": 2}}, "tl")
        plans.save_plan(db, 2022, "J1", "T2", {"all": {"integrations": 4}}, "tl2")
        t1 = tracking.track(db, store, 2022, "J1", "2022-08", team="T1")
        t2 = tracking.track(db, store, 2022, "J1", "2022-08", team="T2")
    ints = row(t1, "integrations")
    # YTD f = 1; the job center's profile to date 0,5 -> 2 · 0,5 = 1; attainment 100 %
    assert (ints["actual"], ints["expected"], ints["attainment"], ints["status"]) == (1, 1, 100, "on_track")
    assert ints["probability"] is None  # no team forecast
    assert row(t1, "elb_jdw")["actual"] == 3  # a, b, f in every month January–August
    # K2 of T1 in 2022-08: 1 integration / mean stock (4 · 2 + 8 · 3) / 12 = 2,667 -> 37,5 %
    assert row(t1, "quota")["actual"] == pytest.approx(37.5)
    lzb = row(t1, "lzb_jdw")  # a, b in every month January–August 2022
    assert (lzb["actual"], lzb["expected"], lzb["status"]) == (2, 2, "on_track")
    ints2 = row(t2, "integrations")  # e = 1 against 4 · 0,5 = 2 -> 50 %
    assert (ints2["actual"], ints2["attainment"], ints2["status"]) == (1, 50, "off_track")


def test_probability_from_the_forecast_in_the_latest_month(tmp_path, state_url):
    """Data up to 2022-09: September is the latest month, October–December come from the forecast.
    YTD integrations January–September 2022 = 2 (e, f). A plan of 1 000 integrations needs 998 in
    three months: practically impossible (P < 0,05, off track); an LZB plan of 1 000 000 cannot be
    missed (P > 0,95, on track)."""
    pytest.importorskip("amip.forecast.probability")
    data = planning_dataset("2022-09").write(tmp_path / "data")
    db = tmp_path / "amip.duckdb"
    assert runner.invoke(cli, ["import", str(data), "--db", str(db)]).exit_code == 0
    st = FigureStore.open(db)
    factory = open_state(url=state_url)
    try:
        _plan(factory, {"all": {"integrations": 1000, "lzb_jdw": 1_000_000}})
        with factory.begin() as session:
            res = tracking.track(session, st, 2022, "J1", "2022-09")
        assert res["probability_available"]
        ints, lzb = row(res, "integrations"), row(res, "lzb_jdw")
        assert ints["actual"] == 2 and ints["probability"] is not None and ints["probability"] < 0.05
        assert ints["status"] == "off_track"
        assert lzb["probability"] is not None and lzb["probability"] > 0.95 and lzb["status"] == "on_track"
    finally:
        factory.kw["bind"].dispose()
        st.close()


# ---- the page ---------------------------------------------------------------------------------------


def test_tracking_page_shows_status_rule_and_chart(warehouse, tmp_path):
    url = f"sqlite:///{tmp_path / 'state.sqlite'}"
    # controlling: the job center's Ist of 1 integration would be '*' for other roles
    # (small-number suppression, tests/test_hardening_disclosure.py)
    res = runner.invoke(
        cli,
        ["users", "add", "co", "--role", "controlling", "--db", str(warehouse)],
        input=PASSWORD + "\n",
        env={"AMIP_STATE_DB": url},
    )
    assert res.exit_code == 0, res.output
    factory = open_state(url=url)
    _plan(factory, {"all": {"integrations": 4, "lzb_jdw": 1}})
    factory.kw["bind"].dispose()
    app = create_app(Settings(warehouse=warehouse, state_url=url))
    with TestClient(app) as client:
        assert login(client, "co").status_code == 303
        html = client.get("/zielnachhaltung?jc=J1&month=2022-07").text
        assert "Status-Regel" in html and "nicht im Plan" in html and "<svg" in html
        assert "vereinbart" in html
        r = client.get("/zielnachhaltung.csv?jc=J1&month=2022-07")
        lines = r.content.decode("utf-8-sig").splitlines()
        # integrations, all: plan 4, YTD 1, profile to date 2, attainment 50 %, (4 − 1) / 5 = 0,6 per month
        assert lines[1].split(";") == [
            "Integrationen seit Januar",
            "Insgesamt",
            "4",
            "1",
            "2",
            "50,0",  # rounded as shown: one decimal
            "",
            "0,6",
            "",
            "nicht im Plan",
            "endgültig",  # one delivery of 01.01.2023: 07/2022 is past the Wartezeit
            "",  # no band next to a final value
        ]
        assert client.get("/zielnachhaltung.xlsx?jc=J1&month=2022-07").status_code == 200
        assert "noch keinen Plan" in client.get("/zielnachhaltung?jc=J1&month=2021-07").text
        team = client.get("/zielnachhaltung?jc=J1&month=2022-07&team=T1").text
        assert "Team T1" in team and "noch keinen Plan des Teams T1" in team
        assert '<option value="T1" selected>Team T1</option>' in team  # the plan choice keeps the team
        assert client.get("/zielnachhaltung?jc=J1&month=2022-07&team=T9").status_code == 404
