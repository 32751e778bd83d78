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
from sqlalchemy import select

from amip import disclosure as dc
from amip.cli import app as cli
from amip.cockpit.app import create_app
from amip.cockpit.pages import overview
from amip.cockpit.settings import Settings
from amip.figures.store import FigureStore
from amip.planning import plans, proposal, tracking
from amip.planning.models import Plan
from amip.reports import monthly
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
    if float(target).is_integer():
        _plan(factory, {"all": {"integrations": target}})
    else:  # a plan saved before integrations had to be whole numbers (decision 110) still tracks
        _plan(factory, {"all": {"integrations": round(target)}})
        with factory.begin() as db:
            newest = db.scalars(select(Plan).order_by(Plan.id.desc())).first()
            value = next(v for v in newest.values if v.measure == "integrations")
            value.value = target
    with factory.begin() as db:
        ints = row(tracking.track(db, store, 2022, "J1", "2022-08"), "integrations")
    assert ints["actual"] == 2 and ints["attainment"] == pytest.approx(attainment) and ints["status"] == status


def test_a_finished_year_is_reached_or_not_without_a_probability(factory, store):
    """The data end in 12/2022: the year 2022 is finished in December (the data's last month, not
    the machine clock), so the status is the outcome and there is no probability (issue 15)."""
    assert tracking.year_finished(store, 2022) and tracking.year_finished(store, 2021)
    assert not tracking.year_finished(store, 2023)
    _plan(factory, {"all": {"integrations": 2, "lzb_jdw": 2}, "w": {"integrations": 2}, "m": {"lzb_jdw": 0.98}})
    with factory.begin() as db:
        res = tracking.track(db, store, 2022, "J1", "2022-12")
    assert res["finished"] and not res["probability_available"]
    ints = row(res, "integrations")  # e, f = 2 of 2: exactly 100 % (the target to date is the plan itself)
    assert (ints["actual"], ints["expected"], ints["attainment"]) == (2, 2, 100)
    assert (ints["probability"], ints["status"], ints["needed_per_month"], ints["year_end"]) == (
        None,
        "reached",
        None,
        2,
    )
    women = row(res, "integrations", "w")  # f only: 1 of 2 -> 50 %, not reached
    assert (women["actual"], women["attainment"], women["probability"], women["status"]) == (1, 50, None, "missed")
    lzb = row(res, "lzb_jdw")  # a, b all year: JDW 2 = plan 2 -> 100 %, reached
    assert (lzb["actual"], lzb["expected"], lzb["attainment"], lzb["status"], lzb["year_end"]) == (
        2,
        2,
        100,
        "reached",
        2,
    )
    men = row(res, "lzb_jdw", "m")  # b: JDW 1 against 0,98 -> 98 %: "nicht erreicht", never "gefährdet"
    assert (men["actual"], men["attainment"], men["status"]) == (1, pytest.approx(98), "missed")
    assert tracking.STATUS_LABELS["missed"] == "nicht erreicht" and tracking.STATUS_LABELS["reached"] == "erreicht"
    # November of the same year is no finished year: the attainment to date decides, no year end
    # forecast (November is not the data's latest month, so there is no forecast either)
    with factory.begin() as db:
        nov = row(tracking.track(db, store, 2022, "J1", "2022-11"), "integrations")
    assert (nov["status"], nov["probability"], nov["year_end"]) == ("on_track", None, None)


def test_overview_tiles_show_ist_plan_attainment_and_status(store, tmp_path):
    """The Übersicht's tiles read the Zielnachhaltung of their month (issue 15, "targets first");
    plain SQLite state: the plan's storage is tested on both back ends above."""
    factory = open_state(url=f"sqlite:///{tmp_path / 'state.sqlite'}")
    _plan(factory, {"all": {"integrations": 4, "elb_jdw": 5, "lzb_jdw": 1}})
    with factory.begin() as db:
        july = overview.tiles(store, "J1", "2022-07", dc.SHOW_ALL, tracking.track(db, store, 2022, "J1", "2022-07"))
        dec = overview.tiles(store, "J1", "2022-12", dc.SHOW_ALL, tracking.track(db, store, 2022, "J1", "2022-12"))
        none = overview.tiles(store, "J1", "2021-12", dc.SUPPRESS, tracking.track(db, store, 2021, "J1", "2021-12"))
    tile = {(t["figure"], t["sex"]): t for t in july}
    k2 = tile["K2", "all"]["target"]
    # July: YTD 1 (e) against the profile to date 4 · 0,5 = 2 -> 50 %, "nicht im Plan"; planned quota 4 / 5 = 80 %
    assert k2["lines"] == [
        ("Plan 2022", "4 Integrationen (Quote 80,0\u00a0%)"),
        ("Ist bis 07/2022", "1 (Soll 2)"),
        ("Zielerreichung", "50,0\u00a0%"),
    ]
    assert (k2["status"], k2["status_label"], k2["draft"]) == ("off_track", "nicht im Plan", False)
    k3 = tile["K3", "all"]["target"]  # LZB a, b every month: average 2 against the plan 1 -> 50 %
    assert k3["lines"] == [
        ("Plan 2022 (Ø)", "1 LZB"),
        ("Ist Ø bis 07/2022", "2"),
        ("Zielerreichung", "50,0\u00a0%"),
    ]
    assert tile["K1", "all"]["target"] is None  # K1 has no target in the Zielplanung
    assert tile["K2", "w"]["target"] == {"planned": False, "year": 2022}  # only "all" is planned
    # K3 is a change rate: the two LZB stocks it compares, in words (a, b in 07/2021 and 07/2022)
    assert tile["K3", "all"]["comparison"] == "LZB 07/2021 → 07/2022: 2 → 2 (0,0\u00a0%)"
    assert "\u00ad" in tile["K3", "all"]["title"]  # "Langzeit-leistungs-beziehende" breaks at its parts
    tile = {(t["figure"], t["sex"]): t for t in dec}
    # December of a finished year: the outcome, no Soll, no forecast: 2 of 4 -> 50 %, "nicht erreicht"
    k2 = tile["K2", "all"]["target"]
    assert k2["lines"] == [
        ("Plan 2022", "4 Integrationen (Quote 80,0\u00a0%)"),
        ("Ist bis 12/2022", "2"),
        ("Zielerreichung", "50,0\u00a0%"),
    ]
    assert (k2["status"], k2["status_label"]) == ("missed", "nicht erreicht")
    assert tile["K3", "all"]["target"]["status_label"] == "nicht erreicht"
    # 2021 has no plan; for a viewer with suppression the LZB counts 2 -> 2 are '*'
    tile = {(t["figure"], t["sex"]): t for t in none}
    assert tile["K2", "all"]["target"] == {"planned": False, "year": 2021}
    assert tile["K3", "all"]["comparison"] == "LZB 12/2020 → 12/2021: * → * (*)"
    # the monthly report of 12/2022 says the same, and states the rule for a finished year
    with factory.begin() as db:
        report = monthly.collect(store.warehouse, "2022-12", "J1", store=store, db=db)
    factory.kw["bind"].dispose()
    block = next(b for b in report.blocks if b.get("heading") == "Zielnachhaltung 2022")
    assert [r["status"] for r in block["table"].rows] == ["nicht erreicht", "–", "–", "nicht erreicht"]
    assert "Nach Ablauf des Jahres" in block["text"] and "probability" not in block["text"]


def test_a_tile_in_the_latest_month_shows_the_year_end_forecast_and_hides_small_counts():
    """tile_target on a Zielnachhaltung as track() returns it for the data's latest month (the
    programme's 2022 plan: 940 integrations, 4 230 ELB -> quota 22,2 %)."""
    ints = {"sex": "all", "measure": "integrations", "plan": 940, "actual": 700, "expected": 705}
    ints |= {"attainment": 700 / 705 * 100, "status": "at_risk", "year_end": 930.4}
    quota = {"sex": "all", "measure": "quota", "plan": 940 / 4230 * 100, "actual": 21.0, "status": None}
    res = {"plan_status": "draft", "year": 2022, "month": "2022-09", "version": 3, "finished": False}
    target = overview.tile_target({**res, "rows": [ints, quota]}, "K2", "all", dc.SHOW_ALL)
    assert target["lines"] == [
        ("Plan 2022", "940 Integrationen (Quote 22,2\u00a0%)"),
        ("Ist bis 09/2022", "700 (Soll 705)"),
        ("Zielerreichung", "99,3\u00a0%"),  # 700 / 705 = 99,29 %
        ("Prognose Dezember", "930"),
    ]
    assert (target["status_label"], target["draft"]) == ("gefährdet", True)
    small = {**ints, "actual": 2, "attainment": 2 / 705 * 100, "year_end": 5.0}
    hidden = overview.tile_target({**res, "rows": [small, quota]}, "K2", "all", dc.SUPPRESS)
    # the Ist of 2 persons and what follows from it are '*'; plan and Soll are targets, not persons
    assert [v for _, v in hidden["lines"]] == ["940 Integrationen (Quote 22,2\u00a0%)", "* (Soll 705)", "*", "*"]


def test_k1_and_k3_tiles_say_what_the_change_rate_compares():
    # K1 = (LLU(M) / LLU(M − 12) − 1) · 100: 90 000 € against 100 000 € -> −10,0 %
    k1 = {"numerator": 90000.0, "denominator": 100000.0, "value": -10.0}
    assert (
        overview.change_rate_text("K1", "2022-12", k1)
        == "Leistungen 12/2021 → 12/2022: 100.000 € → 90.000 € (−10,0\u00a0%)"
    )
    # K3: LZB 4 554 -> 4 102 is (4 102 / 4 554 − 1) · 100 = −9,93 %
    k3 = {"numerator": 4102.0, "denominator": 4554.0, "value": (4102 / 4554 - 1) * 100}
    assert overview.change_rate_text("K3", "2022-12", k3) == "LZB 12/2021 → 12/2022: 4.554 → 4.102 (−9,9\u00a0%)"
    assert overview.change_rate_text("K3", "2022-12", {"numerator": 5, "denominator": 4, "value": 25.0}).endswith(
        "4 → 5 (+25,0\u00a0%)"
    )
    assert overview.change_rate_text("K2", "2022-12", k3) is None  # a quota keeps its Vorjahr line


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
        # the year-end forecast: YTD 2 + the forecast's expected sum of October–December
        more = proposal.expected(st, "J1", "integrations", "all", ["2022-10", "2022-11", "2022-12"], "sum")
        assert more is not None and ints["year_end"] == pytest.approx(2 + more)
        assert not tracking.year_finished(st, 2022) and not res["finished"]  # the data end in 09/2022
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
        # a finished year: the outcome in words, no probability (column, word or value)
        dec = client.get("/zielnachhaltung?jc=J1&month=2022-12").text
        assert "<strong>nicht erreicht</strong>" in dec and "Wahrscheinlichkeit %" not in dec
        assert "gefährdet</" not in dec and "probability" not in dec.lower()
        # the Übersicht: the targets on the tiles, "kein Plan" with the way to the Planung
        home = client.get("/?jc=J1&month=2022-12").text
        assert '<span class="status status-missed">nicht erreicht</span>' in home
        assert "<dt>Plan 2022</dt><dd>4 Integrationen</dd>" in home and "probability" not in home.lower()
        assert "kein Plan 2022 für Frauen" in home and 'href="/planung?jc=J1&amp;year=2022"' in home
        assert "kein Plan 2021" in client.get("/?jc=J1&month=2021-12").text
        # the tiles follow a new plan at once (the cached page is keyed by the plan version)
        factory = open_state(url=url)
        _plan(factory, {"all": {"integrations": 2}})
        factory.kw["bind"].dispose()
        home = client.get("/?jc=J1&month=2022-12").text
        assert '<span class="status status-reached">erreicht</span>' in home
        assert "<dt>Plan 2022</dt><dd>2 Integrationen</dd>" in home
        # and so does the Zielnachhaltung (a shared page keyed by the plan version it tracks)
        dec = client.get("/zielnachhaltung?jc=J1&month=2022-12").text
        assert "<strong>erreicht</strong>" in dec and "vereinbart</strong>, Version 2." in dec
