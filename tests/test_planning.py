"""Zielplanung: the seed's plan arithmetic to the printed digit, plan versions on SQLite and
PostgreSQL, the actual values of the previous year from a hand-made job center, bottom-up team
plans entered through the cockpit, and the CLI.

The hand-made job center J1 (coverage 2019-01 .. 2022-12), every number worked out by hand:

  person sex ELB at J1                      job (svb)       caseload team
  a      w   2019-01-01 ..                  -               T1
  b      m   2019-01-01 ..                  -               T1
  c      m   2021-01-01 .. 2021-06-30       from 2021-07-01 T2   integrated 2021-07 (rule a)
  d      w   2021-07-01 ..                  from 2021-12-15 T2   integrated 2021-12 (rule a)
  e      m   2022-01-01 ..                  from 2022-03-10 T2   integrated 2022-03
  f      w   2022-01-01 ..                  from 2022-08-05 T1   integrated 2022-08

Actual 2021 (December's K2 numerator/denominator; LZB as the annual average S6):
  stock months in 2021: a 12, b 12, c 6 (Jan–Jun), d 6 (Jul–Dec) = 36 -> ELB JDW 36 / 12 = 3;
  women a 12 + d 6 = 18 -> 1,5; men b 12 + c 6 = 18 -> 1,5.
  integrations 2021: c (m), d (w) -> all 2, m 1, w 1; quota 2 / 3 · 100 = 66,67 %.
  LZB JDW 2021: a and b are LZB at every Stichtag of 2021 (receipt since 2019-01-01: 638 days on
  2020-09-29), nobody else (c: 181 days, d: 184 days) -> 24 / 12 = 2 (w 1, m 1), here the same as in
  December.
  Team T1: a, b -> stock 24 / 12 = 2, no integrations, LZB 2. Team T2: c 6 + d 6 = 12 -> 1,
  integrations 2 (c at ST(2021-06) and d at ST(2021-11) in T2), LZB 0.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from amip import format as fmt
from amip.cli import app as cli
from amip.planning import plans, targets
from amip.state import audit
from amip.state.db import open_state
from builder import DataSet, runner
from cockpit_fixture import PASSWORD, csrf_of, login

T0 = datetime(2022, 1, 10, 9, 0, tzinfo=UTC)
SEED_2022 = {
    "all": {"integrations": 940, "elb_jdw": 4230, "lzb_jdw": 3031},
    "w": {"integrations": 399, "elb_jdw": 1985},
    "m": {"integrations": 541, "elb_jdw": 2245},
}
SEED_2021 = {
    "all": {"integrations": 1024, "elb_jdw": 4554, "lzb_jdw": 3256},
    "w": {"integrations": 399, "elb_jdw": 2178},
    "m": {"integrations": 625, "elb_jdw": 2376},
}
USERS = [
    ("co", "controlling", None),
    ("gf", "geschaeftsfuehrung", None),
    ("tl", "teamleitung", "T1"),
    ("tl2", "teamleitung", "T2"),
    ("ifk", "ifk", None),
]


def planning_dataset(last: str = "2022-12") -> DataSet:
    ds = DataSet("2019-01", last)
    ds.person("a", "w", "1980-01-01").spell("a", "J1", "2019-01-01").caseload("a", "c1", "T1", "Herzberg", "2019-01-01")
    ds.person("b", "m", "1970-01-01").spell("b", "J1", "2019-01-01").caseload("b", "c1", "T1", "Herzberg", "2019-01-01")
    ds.person("c", "m", "1985-01-01").spell("c", "J1", "2021-01-01", "2021-06-30")
    ds.caseload("c", "c2", "T2", "Finsterwalde", "2021-01-01", "2021-06-30").job("c", "svb", "2021-07-01")
    ds.person("d", "w", "1990-01-01").spell("d", "J1", "2021-07-01")
    ds.caseload("d", "c2", "T2", "Finsterwalde", "2021-07-01").job("d", "svb", "2021-12-15")
    ds.person("e", "m", "1992-01-01").spell("e", "J1", "2022-01-01")
    ds.caseload("e", "c2", "T2", "Finsterwalde", "2022-01-01").job("e", "svb", "2022-03-10")
    ds.person("f", "w", "1993-01-01").spell("f", "J1", "2022-01-01")
    ds.caseload("f", "c1", "T1", "Herzberg", "2022-01-01").job("f", "svb", "2022-08-05")
    return ds


@pytest.fixture(scope="module")
def warehouse(warehouse_factory) -> Path:
    return warehouse_factory(planning_dataset(), "planning")


@pytest.fixture(scope="module")
def store(store_factory, warehouse):
    return store_factory(warehouse)


def one(v) -> str:
    return fmt.percent(v, 1)


# ---- the seed's arithmetic -------------------------------------------------------------------------


def test_seed_plan_2022_to_the_printed_digit():
    plan, ist = targets.with_totals(SEED_2022), targets.with_totals(SEED_2021)
    # 940 / 4230 · 100 = 22,22; 399 / 1985 · 100 = 20,10; 541 / 2245 · 100 = 24,10
    assert [one(plan[s]["quota"]) for s in ("all", "w", "m")] == ["22,2", "20,1", "24,1"]
    # 1024 / 4554 · 100 = 22,49; 399 / 2178 · 100 = 18,32; 625 / 2376 · 100 = 26,30
    assert [one(ist[s]["quota"]) for s in ("all", "w", "m")] == ["22,5", "18,3", "26,3"]
    ch = targets.changes(plan, ist)
    # (22,2222 / 22,4857 − 1) · 100 = −1,17 -> −1,2 (from the rounded quotas it would be −1,3)
    assert one(ch["all"]["quota_pct"]) == "-1,2"
    assert one(targets.change_pct(22.2, 22.5)) == "-1,3"
    # (3031 / 3256 − 1) · 100 = −6,91
    assert one(ch["all"]["lzb_pct"]) == "-6,9"
    # (940 / 1024 − 1) · 100 = −8,20; women 399 / 399 -> 0,0
    assert one(ch["all"]["integrations_pct"]) == "-8,2"
    assert one(ch["w"]["integrations_pct"]) == "0,0"
    assert ch["w"]["lzb_pct"] is None  # LZB by sex is planned only from 2023


def test_total_is_women_plus_men_when_not_planned():
    plan = targets.with_totals(
        {"w": {"integrations": 399, "elb_jdw": 1985}, "m": {"integrations": 541, "elb_jdw": 2245}}
    )
    assert plan["all"]["integrations"] == 940 and plan["all"]["elb_jdw"] == 4230  # 399 + 541, 1985 + 2245
    assert one(plan["all"]["quota"]) == "22,2"
    assert plan["all"]["lzb_jdw"] is None  # not planned by sex
    partial = targets.with_totals({"w": {"integrations": 399}})
    assert partial["all"]["integrations"] is None  # men missing: no total


def test_bad_values_are_refused_with_their_place():
    assert plans.clean_values({"all": {"elb_jdw": "4.230", "integrations": "1.940", "lzb_jdw": "3.031,5"}}) == {
        "all": {"elb_jdw": 4230.0, "integrations": 1940.0, "lzb_jdw": 3031.5}
    }
    for values, words in [
        ({"x": {"integrations": 1}}, "unknown sex"),
        ({"all": {"foo": 1}}, "unknown measure"),
        ({"all": {"integrations": -1}}, "all/integrations: must not be negative"),
        ({"all": {"integrations": "viele"}}, "all/integrations: not a number"),
        ({"all": {"integrations": "940,5"}}, "all/integrations: integrations must be a whole number"),
        ({"all": {"lzb_jdw": "inf"}}, "all/lzb_jdw: not a number"),
        ({"all": {"lzb_jdw": "1e3"}}, "all/lzb_jdw: not a number"),
        ({"all": {"integrations": float("nan")}}, "not a finite number"),
        ({"w": {"elb_jdw": 0}}, "w/elb_jdw: planned ELB must be greater than 0"),
    ]:
        with pytest.raises(plans.PlanError, match=words):
            plans.clean_values(values)


def test_every_bad_value_gets_a_german_message_for_its_field():
    typed = {
        "all": {"integrations": "abc", "elb_jdw": "4230", "lzb_jdw": "-3"},
        "w": {"integrations": "12,5", "elb_jdw": "0", "lzb_jdw": "x" * 60},
    }
    with pytest.raises(plans.PlanValueError) as caught:
        plans.clean_values(typed)
    assert caught.value.messages() == {
        ("all", "integrations"): "Bitte eine ganze Zahl eingeben (eingegeben: „abc“).",
        ("all", "lzb_jdw"): "Bitte eine Zahl ab 0 eingeben (eingegeben: „-3“).",
        ("w", "integrations"): "Bitte eine ganze Zahl eingeben (eingegeben: „12,5“).",
        ("w", "elb_jdw"): "Die geplanten ELB müssen größer als 0 sein (eingegeben: „0“).",
        ("w", "lzb_jdw"): f"Bitte eine Zahl eingeben (eingegeben: „{'x' * 39}…“).",  # quoted at most 40 characters
    }
    # while typing: the bad values are left out, the good ones kept
    assert plans.parse_values(typed) == {"all": {"elb_jdw": 4230.0}}


# ---- versions on SQLite and PostgreSQL ----------------------------------------------------------


def test_versions_agreed_is_frozen_and_history_names_users(factory):
    with factory.begin() as db:
        v1 = plans.save_plan(db, 2022, "J1", None, SEED_2022, "anna", now=T0)
        assert (v1.version, v1.status) == (1, "draft")
    with factory.begin() as db:
        plans.agree(db, v1.id, "gf", "geschaeftsfuehrung", now=T0 + timedelta(days=1))
    with factory.begin() as db, pytest.raises(plans.PlanFrozen, match="already agreed"):
        plans.agree(db, v1.id, "gf", "geschaeftsfuehrung")
    with factory.begin() as db:  # editing makes a new draft above the agreed version
        v2 = plans.save_plan(
            db, 2022, "J1", None, {"all": {"integrations": 950}}, "bernd", merge=True, now=T0 + timedelta(days=2)
        )
        assert (v2.version, v2.status) == (2, "draft")
    with factory.begin() as db:
        agreed = plans.current(db, 2022, "J1")
        assert agreed.version == 1 and agreed.as_dict()["all"]["integrations"] == 940
        assert agreed.agreed_by == "gf" and agreed.agreed_at == T0 + timedelta(days=1)
        newest = plans.current(db, 2022, "J1", status="any")
        assert newest.version == 2
        assert newest.as_dict()["all"] == {"integrations": 950, "elb_jdw": 4230, "lzb_jdw": 3031}  # merged
        assert newest.as_dict()["w"] == {"integrations": 399, "elb_jdw": 1985}
        hist = plans.history(db, 2022, "J1")
        assert [(h["version"], h["status"], h["created_by"], h["agreed_by"]) for h in hist] == [
            (2, "draft", "bernd", None),
            (1, "agreed", "anna", "gf"),
        ]
        assert hist[0]["changed"] == [{"sex": "all", "measure": "integrations", "old": 940, "new": 950}]
        assert hist[0]["created_at"] == T0 + timedelta(days=2)
        # programme_targets prefers the agreed version; without a store no actual values
        t = plans.programme_targets(db, 2022, "J1", None)
        assert (t["status"], t["version"], t["plan"]["all"]["integrations"]) == ("agreed", 1, 940)
        log = [
            (e.user_name, e.action, e.detail)
            for e in reversed(audit.entries(db, limit=10))
            if e.action.startswith("plan_")
        ]
    assert log == [
        ("anna", "plan_saved", "2022 J1 Jobcenter Version 1 (Entwurf)"),
        ("gf", "plan_agreed", "2022 J1 Jobcenter Version 1 vereinbart"),
        ("bernd", "plan_saved", "2022 J1 Jobcenter Version 2 (Entwurf)"),
    ]


def test_only_the_newest_version_can_be_agreed(factory):
    with factory.begin() as db:
        v1 = plans.save_plan(db, 2023, "J1", "T1", {"all": {"integrations": 10}}, "tl", "teamleitung")
        plans.save_plan(db, 2023, "J1", "T1", {"all": {"integrations": 12}}, "tl", "teamleitung")
    with factory.begin() as db, pytest.raises(plans.PlanFrozen, match="not the newest"):
        plans.agree(db, v1.id, "co")
    with factory.begin() as db:
        assert plans.current(db, 2023, "J1", "T1") is None  # nothing agreed yet
        t = plans.programme_targets(db, 2023, "J1", None)  # team plans are not the job center's
        assert (t["status"], t["version"]) == (None, None)


def test_the_database_keeps_version_numbers_unique(factory):
    """Also for the job center's own plan, whose team_id is NULL (a partial unique index)."""
    from sqlalchemy.exc import IntegrityError

    from amip.planning.models import Plan

    with factory.begin() as db:
        plans.save_plan(db, 2022, "J1", None, {"all": {"integrations": 1}}, "co")
        plans.save_plan(db, 2022, "J1", "T1", {"all": {"integrations": 1}}, "tl")
    for team in (None, "T1"):
        with pytest.raises(IntegrityError), factory.begin() as db:
            db.add(
                Plan(
                    year=2022,
                    jobcenter_id="J1",
                    team_id=team,
                    version=1,
                    status="draft",
                    source="manual",
                    created_by="x",
                    created_at=T0,
                )
            )
            db.flush()
    with factory.begin() as db:
        assert [p.version for p in plans.versions(db, 2022, "J1")] == [1]


def test_team_plans_add_up(factory):
    with factory.begin() as db:
        plans.save_plan(
            db, 2022, "J1", "T1", {"all": {"integrations": 500, "elb_jdw": 2000, "lzb_jdw": 1500}}, "tl", "teamleitung"
        )
        plans.save_plan(
            db,
            2022,
            "J1",
            "T2",
            {"w": {"integrations": 150, "elb_jdw": 900}, "m": {"integrations": 250, "elb_jdw": 1100}},
            "tl2",
            "teamleitung",
        )
        plans.save_plan(db, 2022, "J2", "T9", {"all": {"integrations": 99}}, "x")  # another job center
    with factory.begin() as db:
        s = plans.team_sum(db, 2022, "J1")
    assert [r["team_id"] for r in s["teams"]] == ["T1", "T2"]
    # all: T1 500 + T2 (150 + 250) = 900 integrations, 2000 + (900 + 1100) = 4000 ELB -> quota 22,5
    assert s["sum"]["all"]["integrations"] == 900 and s["sum"]["all"]["elb_jdw"] == 4000
    assert one(s["sum"]["all"]["quota"]) == "22,5"
    assert s["sum"]["all"]["lzb_jdw"] == 1500 and s["planned_by"]["all"]["lzb_jdw"] == 1
    assert s["sum"]["w"]["integrations"] == 150  # only T2 planned women
    assert s["sum"]["w"]["quota"] is None and s["planned_by"]["w"]["integrations"] == 1  # T1 did not plan by sex


# ---- actual values from the figure store ---------------------------------------------------------


def test_actual_previous_year_from_the_store(store):
    ist = targets.actual_year(store, "J1", 2021)
    assert (ist["all"]["integrations"], ist["all"]["elb_jdw"], ist["all"]["lzb_jdw"]) == (2, 3, 2)
    assert (ist["w"]["integrations"], ist["w"]["elb_jdw"], ist["w"]["lzb_jdw"]) == (1, 1.5, 1)
    assert (ist["m"]["integrations"], ist["m"]["elb_jdw"], ist["m"]["lzb_jdw"]) == (1, 1.5, 1)
    assert one(ist["all"]["quota"]) == "66,7"  # 2 / 3 · 100
    t1, t2 = (targets.actual_year(store, "J1", 2021, team=t) for t in ("T1", "T2"))
    assert (t1["all"]["integrations"], t1["all"]["elb_jdw"], t1["all"]["lzb_jdw"]) == (0, 2, 2)
    assert (t2["all"]["integrations"], t2["all"]["elb_jdw"], t2["all"]["lzb_jdw"]) == (2, 1, 0)
    assert targets.actual_year(store, "J1", 2023)["all"]["integrations"] is None  # not in the data
    assert targets.teams(store, "J1") == ["T1", "T2"]


def test_programme_targets_against_the_store(factory, store):
    with factory.begin() as db:
        p = plans.save_plan(db, 2022, "J1", None, {"all": {"integrations": 3, "elb_jdw": 4, "lzb_jdw": 1}}, "co")
        plans.agree(db, p.id, "gf")
        t = plans.programme_targets(db, 2022, "J1", store)
    assert t["status"] == "agreed" and t["version"] == 1
    assert t["actual_previous"]["all"]["integrations"] == 2
    ch = t["changes"]["all"]
    # integrations 3 / 2 − 1 = +50 %; ELB 4 / 3 − 1 = +33,3 %; quota 75 / 66,67 − 1 = +12,5 %; LZB 1 / 2 − 1 = −50 %
    assert [one(ch[k]) for k in ("integrations_pct", "elb_pct", "quota_pct", "lzb_pct")] == [
        "50,0",
        "33,3",
        "12,5",
        "-50,0",
    ]


def test_proposal_for_an_observed_year_is_the_actual(factory, store):
    """2021 lies wholly in the data: no forecast is needed, the proposal is the actual year."""
    from amip.planning import proposal

    assert proposal.propose(store, "J1", 2021) == {
        "all": {"integrations": 2, "elb_jdw": 3, "lzb_jdw": 2},
        "w": {"integrations": 1, "elb_jdw": 1.5, "lzb_jdw": 1},
        "m": {"integrations": 1, "elb_jdw": 1.5, "lzb_jdw": 1},
    }
    with factory.begin() as db:
        plan = proposal.fill_draft(db, store, 2021, "J1", "co")
        assert (plan.version, plan.status, plan.source) == (1, "draft", "proposal")
        # ELB 3 = 1,5 + 1,5: whole persons that add up, the tie to women (decision 112)
        assert plan.as_dict()["w"] == {"integrations": 1, "elb_jdw": 2, "lzb_jdw": 1}
        assert plan.as_dict()["m"] == {"integrations": 1, "elb_jdw": 1, "lzb_jdw": 1}


def test_proposal_parts_add_up_to_the_total():
    """Decision 112: the total keeps its own forecast (rounded half up); women and men share it in
    the ratio of their own forecasts, the rounding distributed by largest remainder."""
    from amip.planning.proposal import plan_values, whole_parts

    # Like the demo's 2023 proposal: all 986,4 but w 430,2 + m 573,9 = 1 004,1.
    # 986 · 430,2 / 1 004,1 = 422,445; 986 · 573,9 / 1 004,1 = 563,555 -> 422 + 563 = 985, the one
    # person left over goes to the larger remainder (men, ,555) -> 422 + 564 = 986.
    assert whole_parts(986.4, 430.2, 573.9) == (986, 422, 564)
    # ELB 4 238,5 -> 4 239 (half up); 4 239 · 2 000 / 4 000 = 2 119,5 each: a tie, to women
    assert whole_parts(4238.5, 2000.0, 2000.0) == (4239, 2120, 2119)
    # already whole and adding up: unchanged
    assert whole_parts(940, 399, 541) == (940, 399, 541)
    # no total forecast: the parts are rounded on their own and the total is their sum
    assert whole_parts(None, 1.5, 2.4) == (4, 2, 2)
    # one part missing: nothing can add up, each value rounded on its own
    assert whole_parts(10.5, None, 3.5) == (11, None, 4)
    got = plan_values(
        {
            "all": {"integrations": 986.4, "elb_jdw": 4238.5, "lzb_jdw": None},
            "w": {"integrations": 430.2, "elb_jdw": 2000.0, "lzb_jdw": 1.2},
            "m": {"integrations": 573.9, "elb_jdw": 2000.0, "lzb_jdw": 1.4},
        }
    )
    assert got == {
        "all": {"integrations": 986, "elb_jdw": 4239, "lzb_jdw": 2},
        "w": {"integrations": 422, "elb_jdw": 2120, "lzb_jdw": 1},
        "m": {"integrations": 564, "elb_jdw": 2119, "lzb_jdw": 1},
    }
    for measure in ("integrations", "elb_jdw", "lzb_jdw"):
        assert got["w"][measure] + got["m"][measure] == got["all"][measure]


def test_hints_for_a_team_plan_from_the_store(factory, store):
    """Plan year 2021 of J1: Ist 2020 and the proposal 2021 (a wholly observed year: its actual).

    Ist 2020: only a (w) and b (m) in receipt, both in T1: ELB JDW 2 (w 1, m 1), no integrations;
    the LZB of 2020 is unknown (the 730-day window of its Stichtage starts before 2019-01). T2 has
    nobody in 2020. Proposal 2021 = Ist 2021: integrations 2 (1, 1), ELB 3 (1,5, 1,5), LZB 2 (1, 1).
    Team forecast = proposal × team Ist 2020 / job center Ist 2020:
      T1 ELB 3 · 2 / 2 = 3, w 1,5 · 1 / 1 = 1,5, m 1,5 -> whole parts (3, 2, 1) (tie: women);
      integrations: the job center's Ist 2020 is 0 -> no share, no forecast; LZB: no Ist -> none.
      T2 ELB 3 · 0 / 2 = 0.
    Target 2021: integrations 4 (w 2, m 2), ELB 6. T2 saved integrations 1. T1 types integrations 3:
    share 3 / 4 = 75 %; the sum of the teams 3 + 1 = 4 = the target (100 %)."""
    from amip.planning import hints

    with factory.begin() as db:
        plans.save_plan(
            db,
            2021,
            "J1",
            None,
            {"all": {"integrations": 4, "elb_jdw": 6}, "w": {"integrations": 2}, "m": {"integrations": 2}},
            "co",
        )
        plans.save_plan(db, 2021, "J1", "T2", {"all": {"integrations": 1}}, "tl2", "teamleitung")
        h = hints.field_hints(db, store, 2021, "J1", "T1", {"all": {"integrations": 3.0}})
        h2 = hints.field_hints(db, store, 2021, "J1", "T2", None)
        jc = hints.field_hints(db, store, 2021, "J1", None)
    assert [h["ist"]["all"][m] for m in ("integrations", "elb_jdw", "lzb_jdw")] == [0, 2, None]
    assert [h["ist"][s]["elb_jdw"] for s in ("w", "m")] == [1, 1]
    assert [h["forecast"][s]["elb_jdw"] for s in ("all", "w", "m")] == [3, 2, 1]
    assert [h["forecast"]["all"][m] for m in ("integrations", "lzb_jdw")] == [None, None]
    assert h2["ist"]["all"]["elb_jdw"] == 0 and h2["forecast"]["all"]["elb_jdw"] == 0
    assert h["share"]["all"]["integrations"] == 75.0 and h["share"]["all"]["elb_jdw"] is None
    rows = {(r["measure"], r["sex"]): r for r in hints.sum_rows(h)}
    assert (rows["integrations", "all"]["sum"], rows["integrations", "all"]["target"]) == (4, 4)
    assert (rows["integrations", "all"]["difference"], rows["integrations", "all"]["share"]) == (0, 100.0)
    assert rows["integrations", "all"]["teams"] == 2
    assert (rows["elb_jdw", "all"]["sum"], rows["elb_jdw", "all"]["target"]) == (None, 6)
    assert (rows["integrations", "w"]["sum"], rows["integrations", "w"]["target"]) == (None, 2)
    # the job center's own form: its Ist 2020, its proposal 2021 in whole persons, the saved team sum
    assert [jc["ist"]["all"][m] for m in ("integrations", "elb_jdw")] == [0, 2]
    assert [jc["forecast"][s]["elb_jdw"] for s in ("all", "w", "m")] == [3, 2, 1]  # 1,5 + 1,5 = 3 whole
    assert jc["teams"]["sum"]["all"]["integrations"] == 1  # only T2 saved (T1 only typed)


# ---- the cockpit: two teams plan bottom-up, controlling sees the sum ----------------------------


@pytest.fixture(scope="module")
def cockpit(warehouse, cockpit_factory, tmp_path_factory):
    state = tmp_path_factory.mktemp("state") / "state.sqlite"
    env = {"AMIP_STATE_DB": f"sqlite:///{state}"}
    for name, role, team in USERS:
        args = ["users", "add", name, "--role", role, "--db", str(warehouse)]
        if team:
            args += ["--team", team]
        if role == "ifk":
            args += ["--caseworker", "c1"]
        res = runner.invoke(cli, args, input=PASSWORD + "\n", env=env)
        assert res.exit_code == 0, res.output
    return cockpit_factory(warehouse, users=False, state_url=env["AMIP_STATE_DB"])


def as_user(app, name: str) -> tuple[TestClient, str]:
    client = TestClient(app)
    assert login(client, name).status_code == 303
    return client, csrf_of(client.get("/planung?jc=J1&year=2022").text)


def csv_rows(client, url: str) -> list[list[str]]:
    r = client.get(url)
    assert r.status_code == 200, r.text[:300]
    return [ln.split(";") for ln in r.content.decode("utf-8-sig").splitlines()]


def test_two_teams_plan_bottom_up_and_controlling_sees_the_sum(cockpit):
    co, co_token = as_user(cockpit, "co")
    r = co.post(
        "/planung/jobcenter",
        data={
            "csrf_token": co_token,
            "jc": "J1",
            "year": "2022",
            "integrations_all": "4",
            "elb_jdw_all": "5",
            "lzb_jdw_all": "1",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    tl, tl_token = as_user(cockpit, "tl")
    r = tl.post(
        "/planung/team",
        data={
            "csrf_token": tl_token,
            "jc": "J1",
            "year": "2022",
            "integrations_all": "1",
            "elb_jdw_all": "2,5",
            "lzb_jdw_all": "1",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    tl2, tl2_token = as_user(cockpit, "tl2")
    r = tl2.post(
        "/planung/team",
        data={
            "csrf_token": tl2_token,
            "jc": "J1",
            "year": "2022",
            "integrations_w": "1",
            "integrations_m": "1",
            "elb_jdw_w": "1",
            "elb_jdw_m": "1,5",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    rows = csv_rows(co, "/planung/vergleich.csv?jc=J1&year=2022")
    assert rows[0] == [
        "Kennzahl",
        "Summe Teampläne",
        "Ziel Jobcenter",
        "Differenz",
        "Vorschlag (Ist + Prognose)",
        "Ist 2021",
    ]
    by = {r[0]: r[1:] for r in rows[1:]}
    # integrations: T1 1 + T2 (1 + 1) = 3 against the target 4 -> −1; ELB 2,5 + (1 + 1,5) = 5 against 5
    assert by["Integrationen"][:3] == ["3", "4", "-1"]
    assert by["ELB (JDW)"][:3] == ["5", "5", "0"]
    assert by["Integrationsquote"][:2] == ["60", "80"]  # 3 / 5 · 100, 4 / 5 · 100
    assert by["LZB (JDW)"][:2] == ["1", "1"]  # only T1 planned LZB
    # rows 2 and 3: integrations of women and men, only T2 planned them (1 each); target not by sex
    assert rows[2][:3] == ["– Frauen", "1", ""] and rows[3][:3] == ["– Männer", "1", ""]
    html = co.get("/planung?jc=J1&year=2022").text
    assert "Summe der Teampläne (2 Teams)" in html and "Vorschlag aus Prognose" in html
    # the quota with one decimal, the plan's changes against 2021 (quota 80 / 66,67 − 1 = +20,0 %)
    ziel = {r[0]: r[1:] for r in csv_rows(co, "/planung/ziel.csv?jc=J1&year=2022")[1:]}
    assert one(float(ziel["Integrationsquote"][2].replace(",", "."))) == "20,0"


def test_a_team_lead_writes_only_the_own_team(cockpit):
    tl, token = as_user(cockpit, "tl")
    base = {"csrf_token": token, "jc": "J1", "year": "2024", "integrations_all": "7"}
    assert tl.post("/planung/team", data={**base, "team": "T2"}, follow_redirects=False).status_code == 403
    assert tl.post("/planung/jobcenter", data=base, follow_redirects=False).status_code == 403
    assert tl.post("/planung/vereinbaren", data={**base, "plan_id": "1"}, follow_redirects=False).status_code == 403
    assert tl.post("/planung/team", data={**base, "team": "T1"}, follow_redirects=False).status_code == 303
    ifk, ifk_token = as_user(cockpit, "ifk")
    assert ifk.post("/planung/team", data={**base, "csrf_token": ifk_token}, follow_redirects=False).status_code == 403
    assert tl.post("/planung/team", data={**base, "csrf_token": "falsch"}, follow_redirects=False).status_code == 403
    co, _ = as_user(cockpit, "co")
    teams = {r[0]: r for r in csv_rows(co, "/planung/teams.csv?jc=J1&year=2024")[1:]}
    assert list(teams) == ["T1"] and teams["T1"][3] == "tl" and teams["T1"][5] == "7"


def test_agreeing_through_the_cockpit_freezes_the_version(cockpit):
    co, token = as_user(cockpit, "co")
    data = {"csrf_token": token, "jc": "J1", "year": "2025", "integrations_all": "10", "elb_jdw_all": "20"}
    assert co.post("/planung/jobcenter", data=data, follow_redirects=False).status_code == 303
    html = co.get("/planung?jc=J1&year=2025").text
    plan_id = re.search(r'name="plan_id" value="(\d+)"', html).group(1)
    gf, gf_token = as_user(cockpit, "gf")
    agree = {"csrf_token": gf_token, "jc": "J1", "year": "2025", "plan_id": plan_id}
    assert gf.post("/planung/vereinbaren", data=agree, follow_redirects=False).status_code == 303
    assert gf.post("/planung/vereinbaren", data=agree, follow_redirects=False).status_code == 400  # frozen
    assert (
        gf.post("/planung/jobcenter", data={**data, "csrf_token": gf_token}, follow_redirects=False).status_code == 403
    )  # Geschäftsführung agrees, does not edit
    versions = csv_rows(co, "/planung/versionen.csv?jc=J1&year=2025")
    assert versions[1][:8] == ["Jobcenter", "1", "vereinbart", "Eingabe", "co", versions[1][5], "gf", versions[1][7]]
    assert "Insgesamt Integrationen: – → 10" in versions[1][8]
    bad = co.post("/planung/jobcenter", data={**data, "integrations_all": "-3"}, follow_redirects=False)
    assert bad.status_code == 400 and "nicht gespeichert" in bad.text


def test_team_form_hints_live_sum_and_kept_entries(cockpit):
    """Plan year 2023 (no other test of this module plans it). Ist 2022 of J1 (see the module text):
    a, b, d, e, f in receipt all year -> ELB JDW 5 (w a, d, f: 3; m b, e: 2); integrations e (m,
    2022-03, T2) and f (w, 2022-08, T1) -> 2; LZB 2022: a and b (T1) -> 2. Team T1 (a, b, f): ELB 3
    (w 2, m 1), integrations 1 (w 1, m 0), LZB 2.
    Target 2023 of the job center: integrations 4, ELB 8; T2 saved integrations 1."""
    co, co_token = as_user(cockpit, "co")
    target = {"csrf_token": co_token, "jc": "J1", "year": "2023", "integrations_all": "4", "elb_jdw_all": "8"}
    assert co.post("/planung/jobcenter", data=target, follow_redirects=False).status_code == 303
    tl2, tl2_token = as_user(cockpit, "tl2")
    data = {"csrf_token": tl2_token, "jc": "J1", "year": "2023", "integrations_all": "1"}
    assert tl2.post("/planung/team", data=data, follow_redirects=False).status_code == 303

    tl, token = as_user(cockpit, "tl")
    html = tl.get("/planung?jc=J1&year=2023").text
    hint = lambda page, m, s: re.search(rf'id="team-{m}-{s}-hint"[^>]*>([^<]*)<', page).group(1)  # noqa: E731
    assert hint(html, "elb_jdw", "all").startswith("Ist 2022: 3 · Prognose 2023: ")
    assert hint(html, "elb_jdw", "all").endswith(" · Anteil am Ziel: –")  # nothing entered yet
    assert hint(html, "elb_jdw", "w").startswith("Ist 2022: 2 · ") and hint(html, "lzb_jdw", "all").startswith(
        "Ist 2022: 2"
    )
    assert hint(html, "integrations", "all").startswith("Ist 2022: 1 · ")  # f
    assert hint(html, "integrations", "m").startswith("Ist 2022: 0 · ")
    assert hint(html, "elb_jdw", "w").endswith("kein Ziel des Jobcenters")
    assert 'hx-post="/planung/teamsumme" hx-trigger="input changed delay:300ms"' in html

    # as one types: integrations 3 (3 / 4 = 75 %), ELB "abc" left out; sum 3 + 1 = 4 against 4
    typed = {"csrf_token": token, "jc": "J1", "year": "2023", "integrations_all": "3", "elb_jdw_all": "abc"}
    frag = tl.post("/planung/teamsumme", data=typed)
    assert frag.status_code == 200 and "<html" not in frag.text
    rows = re.findall(r"<tr><th scope=\"row\">([^<]*)</th>((?:<td[^>]*>[^<]*</td>)+)</tr>", frag.text)
    cells = {label: re.findall(r">([^<]*)</td>", tds) for label, tds in rows}
    assert cells["Integrationen"] == ["4", "4", "0", "100,0 %"]
    assert cells["ELB (JDW)"] == ["–", "8", "–", "–"]  # no team planned a valid ELB
    assert hint(frag.text, "integrations", "all").endswith("Anteil am Ziel: 75,0 %")
    assert hint(frag.text, "elb_jdw", "all").endswith("Eingabe ungültig, nicht mitgezählt")
    assert frag.text.count('hx-swap-oob="true"') == 9

    # saving bad values: nothing saved, everything typed kept, the German message at each field
    bad = {
        **typed,
        "integrations_w": "<b>7</b>",
        "elb_jdw_w": "1\x1b[2J",
        "lzb_jdw_all": "2,5",
        "note": "Stand <i>Mai</i>",
    }
    r = tl.post("/planung/team", data=bad, follow_redirects=False)
    assert r.status_code == 400
    page = r.text
    assert 'id="team-integrations-all" name="integrations_all"' in page and 'value="3"' in page
    assert 'value="2,5"' in page and 'value="abc"' in page and 'value="Stand &lt;i&gt;Mai&lt;/i&gt;"' in page
    field = re.search(r'<input id="team-elb_jdw-all"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in field and 'aria-describedby="team-elb_jdw-all-error team-elb_jdw-all-hint"' in field
    assert (
        '<span class="field-error" id="team-elb_jdw-all-error">Bitte eine Zahl eingeben (eingegeben: „abc“).</span>'
        in page
    )
    assert (
        '<span class="field-error" id="team-integrations-w-error">Bitte eine ganze Zahl eingeben '
        "(eingegeben: „&lt;b&gt;7&lt;/b&gt;“).</span>"
    ) in page
    assert "<b>7</b>" not in page  # the typed text is data, never markup
    assert "(eingegeben: „1\ufffd[2J“)" in page and "\x1b" not in page  # a control character shown as �
    assert "aria-invalid" not in re.search(r'<input id="team-integrations-all"[^>]*>', page).group(0)
    assert "3 Eingaben sind ungültig" in page and "not a number" not in page
    # without JavaScript: "Summe prüfen" shows the sum with the typed values and saves nothing
    r = tl.post("/planung/team", data={**typed, "elb_jdw_all": "", "pruefen": "1"}, follow_redirects=False)
    assert r.status_code == 200 and "Nicht gespeichert: Hinweise und Summe" in r.text
    assert re.search(r'<th scope="row">Integrationen</th><td class="count">4</td><td class="count">4</td>', r.text)
    teams = {r[0] for r in csv_rows(co, "/planung/teams.csv?jc=J1&year=2023")[1:]}
    assert teams == {"T2"}  # T1 saved nothing


# ---- the CLI --------------------------------------------------------------------------------------


def test_cli_set_agree_show(warehouse, tmp_path):
    env = {"AMIP_STATE_DB": f"sqlite:///{tmp_path / 'cli.sqlite'}"}
    base = ["--year", "2022", "--db", str(warehouse)]
    for args in (["--integrations", "3", "--elb", "4", "--lzb", "1"], ["--sex", "w", "--integrations", "1"]):
        res = runner.invoke(cli, ["plan", "set", *base, *args, "--user", "anna"], env=env)
        assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["plan", "agree", *base, "--user", "gf"], env=env)
    assert res.exit_code == 0 and "version 2" in res.output
    res = runner.invoke(cli, ["plan", "agree", *base], env=env)
    assert res.exit_code == 1 and "already agreed" in res.output
    res = runner.invoke(cli, ["plan", "show", *base], env=env)
    assert res.exit_code == 0, res.output
    assert "vereinbart, Version 2" in res.output and "12,5" in res.output  # quota change 75 / 66,67 − 1
    res = runner.invoke(cli, ["plan", "set", *base, "--sex", "x", "--elb", "1"], env=env)
    assert res.exit_code == 2 and "--sex must be all, w or m" in res.output
    with open_state(url=env["AMIP_STATE_DB"]).begin() as db:
        names = [(e.user_name, e.role, e.action) for e in reversed(audit.entries(db, limit=10))]
    assert names == [("anna", "cli", "plan_saved"), ("anna", "cli", "plan_saved"), ("gf", "cli", "plan_agreed")]
