"""Data-quality management: every rule on a hand-made case that fires and one that must not
(boundaries: exactly 3 months, 14 days, 30 days), idempotent runs, task status and scope, rates,
notifications, the CLI and the pages. State on SQLite and PostgreSQL (``state_url``).

Data set (coverage 2020-01 .. 2022-12, cases in 2022, cut-off ST(2022-12) = 2022-12-31), job centers J1/J2,
teams T1 (IFK c1) and T2 (IFK c3); "ELB" = elb_spells at J1 unless said otherwise:

  p1  ELB 2020-01-01..open, c1/T1, marktnah+goal. aenderung 03-15 recorded 06-16: 3 months after
      03-15 is 06-15, recorded later -> DQ01 (2022-03). aenderung 04-10 recorded 07-10 (exactly
      3 months) -> nothing. unterbrechung 08-01 recorded 08-05 but receipt continues -> DQ02 (08).
  p2  ELB 01-01..04-30 and 06-01..open, c1/T1 both, marktnah+goal. unterbrechung 05-01 recorded
      05-16 (15 days > 14) -> DQ02 (2022-05).
  p3  like p2 but c3/T2, unterbrechung 05-01 recorded 05-15 (14 days) -> no DQ02;
      nicht_marktnah without goal -> DQ05 (2022-12).
  p4  ELB 01-01..06-30, caseload c1/T1 until 07-31 (> 06-30 + 30 = 07-30) -> DQ03 (2022-07);
      abschluss 07-01 recorded 08-01 (31 days) -> DQ07 (2022-07).
  p5  like p4 but caseload until 07-30 (exactly 30 days) -> no DQ03; abschluss recorded 07-31
      (30 days) -> no DQ07.
  p6  ELB 01-01..06-15, c1/T1; integration 03-15: receipt covers 03-15 + 3 months = 06-15 -> DQ04 (03).
  p7  ELB 01-01..06-14, c1/T1; integration 03-15 -> receipt ends a day earlier -> no DQ04.
  p8  ELB 01-01..open, c1/T1, no prognosis -> DQ05. p9 c3/T2, prognosis 'fehlt' -> DQ05.
  p10 c1/T1, nicht_erforderlich without goal -> no DQ05 (a goal is expected only for marktnah /
      nicht marktnah).
  p11 J1 01-01..05-31 and J2 05-01..open: 31 common days -> DQ06 (2022-05); no caseload.
  p12 J1 01-01..04-30, J2 05-01..open: adjacent, no overlap -> no DQ06.
  p13 ELB 01-01..02-28 and 04-01..open, no caseload; unterbrechung 03-01 recorded 03-02: no IFK
      responsible on the last day of receipt -> DQ02 (2022-03).
"""

from __future__ import annotations

import re
import shutil

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from amip.cli import app
from amip.cockpit.app import create_app
from amip.cockpit.settings import Settings
from amip.dqm import notify, tasks
from amip.dqm.models import DONE_DATA, IN_PROGRESS, NO_ERROR, OPEN, DqmRate, DqmTask, Notification
from amip.dqm.rules import RULES
from amip.dqm.run import DqmError, evaluate, run_all, write
from amip.state import audit
from amip.state.db import open_state
from amip.state.users import add_user
from builder import DataSet, import_into, runner
from cockpit_fixture import PASSWORD, csrf_of, login

EXPECTED = {
    "DQ01": {("p1", "2022-03")},
    "DQ02": {("p1", "2022-08"), ("p2", "2022-05"), ("p13", "2022-03")},
    "DQ03": {("p4", "2022-07")},
    "DQ04": {("p6", "2022-03")},
    "DQ05": {("p3", "2022-12"), ("p8", "2022-12"), ("p9", "2022-12")},
    "DQ06": {("p11", "2022-05")},
    "DQ07": {("p4", "2022-07")},
}


def dqm_dataset(p1_change_recorded: str = "2022-06-16") -> DataSet:
    ds = DataSet("2020-01", "2022-12")  # the cockpit store needs 36 months (LZB); the cases are in 2022
    for p in ("p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9", "p10", "p11", "p12", "p13"):
        ds.person(p, "w", "1980-01-01")
    # p1 in receipt since 2020, so that some team has an LZB person: the cockpit store's team figures
    # fail without one (reported to the lead; not a DQM matter)
    ds.spell("p1", "J1", "2020-01-01").caseload("p1", "c1", "T1", "Herzberg", "2020-01-01")
    ds.prognosis("p1", "2022-01-01", "marktnah", True)
    ds.case_event("p1", "aenderung", "2022-03-15", p1_change_recorded)
    ds.case_event("p1", "aenderung", "2022-04-10", "2022-07-10")
    ds.case_event("p1", "unterbrechung", "2022-08-01", "2022-08-05")
    for p, cw, team, rec in (("p2", "c1", "T1", "2022-05-16"), ("p3", "c3", "T2", "2022-05-15")):
        ds.spell(p, "J1", "2022-01-01", "2022-04-30").spell(p, "J1", "2022-06-01")
        ds.caseload(p, cw, team, "Herzberg", "2022-01-01", "2022-04-30").caseload(p, cw, team, "Herzberg", "2022-06-01")
        ds.case_event(p, "unterbrechung", "2022-05-01", rec)
    ds.prognosis("p2", "2022-01-01", "marktnah", True).prognosis("p3", "2022-01-01", "nicht_marktnah", False)
    for p, until, rec in (("p4", "2022-07-31", "2022-08-01"), ("p5", "2022-07-30", "2022-07-31")):
        ds.spell(p, "J1", "2022-01-01", "2022-06-30").caseload(p, "c1", "T1", "Herzberg", "2022-01-01", until)
        ds.case_event(p, "abschluss", "2022-07-01", rec)
    for p, end in (("p6", "2022-06-15"), ("p7", "2022-06-14")):
        ds.spell(p, "J1", "2022-01-01", end).caseload(p, "c1", "T1", "Herzberg", "2022-01-01", end)
        ds.case_event(p, "integration", "2022-03-15", "2022-03-20")
    for p, cw, team in (("p8", "c1", "T1"), ("p9", "c3", "T2"), ("p10", "c1", "T1")):
        ds.spell(p, "J1", "2022-01-01").caseload(p, cw, team, "Herzberg", "2022-01-01")
    ds.prognosis("p9", "2022-01-01", "marktnah", True).prognosis("p9", "2022-09-01", "fehlt", False)
    ds.prognosis("p10", "2022-01-01", "nicht_erforderlich", False)
    ds.spell("p11", "J1", "2022-01-01", "2022-05-31").spell("p11", "J2", "2022-05-01")
    ds.spell("p12", "J1", "2022-01-01", "2022-04-30").spell("p12", "J2", "2022-05-01")
    ds.prognosis("p11", "2022-01-01", "marktnah", True).prognosis("p12", "2022-01-01", "marktnah", True)
    ds.spell("p13", "J1", "2022-01-01", "2022-02-28").spell("p13", "J1", "2022-04-01")
    ds.prognosis("p13", "2022-01-01", "marktnah", True)
    ds.case_event("p13", "unterbrechung", "2022-03-01", "2022-03-02")
    return ds


@pytest.fixture(scope="module")
def warehouse(warehouse_factory):
    return warehouse_factory(dqm_dataset(), "dqm")


def _found(ev) -> dict[str, set[tuple[str, str]]]:
    out: dict[str, set] = {r.id: set() for r in RULES}
    for rule_id, person, _anchor, month, *_ in ev.findings:
        out[rule_id].add((person, month))
    return out


def test_each_rule_fires_on_its_case_and_not_on_the_boundary(warehouse):
    ev = evaluate(warehouse)
    assert ev.data_month == "2022-12" and ev.skipped == {}
    assert _found(ev) == EXPECTED


def test_findings_carry_the_responsible_caseworker_and_a_detail_without_names(warehouse):
    ev = evaluate(warehouse)
    by = {(r, p): (detail, cw, team) for r, p, _a, _m, detail, cw, team in ev.findings}
    assert by[("DQ01", "p1")] == ("Änderung vom 15.03.2022 am 16.06.2022 erfasst (93 Tage)", "c1", "T1")
    assert by[("DQ02", "p2")][0] == "Unterbrechung ab 01.05.2022: erst nach 15 Tagen erfasst"
    assert by[("DQ02", "p13")] == (
        "Unterbrechung ab 01.03.2022: keine zuständige IFK am letzten Leistungstag",
        None,
        None,
    )
    # the owner is the current caseload (at the cut-off 2022-12-31): p4's row ended 07-31, so no
    # IFK; the task keeps the team of p4's last row (docs/security.md, "Small numbers and DQM tasks")
    assert by[("DQ03", "p4")][1:] == (None, "T1")
    assert by[("DQ06", "p11")][0] == "ELB in J1 und J2 ab 01.05.2022 (31 Tage)"  # 05-01..05-31
    assert by[("DQ05", "p9")][1:] == ("c3", "T2")
    for detail, *_ in by.values():
        assert not re.search(r"\bp\d+\b", detail)


def test_rates_per_rule_team_and_month(warehouse, factory):
    with factory.begin() as db:
        write(db, evaluate(warehouse))
    with factory.begin() as db:
        cells = {(r.rule_id, r.team_id, r.month): (r.findings, r.stock) for r in db.scalars(select(DqmRate))}
    # ST(2022-12): T1 p1 p2 p8 p10 = 4, T2 p3 p9 = 2, no team p11 p12 p13 = 3; DQ05: T1 p8, T2 p3 p9
    assert cells[("DQ05", "T1", "2022-12")] == (1, 4)
    assert cells[("DQ05", "T2", "2022-12")] == (2, 2)
    assert cells[("DQ05", "-", "2022-12")] == (0, 3)
    # ST(2022-03), T1: p1 p2 p4 p5 p6 p7 p8 p10 = 8; DQ01 finds p1 (March)
    assert cells[("DQ01", "T1", "2022-03")] == (1, 8)
    assert cells[("DQ01", "T2", "2022-03")] == (0, 2)
    # p13's interruption (March) has no team; p13 is not in stock at ST(2022-03), p11 and p12 are
    assert cells[("DQ02", "-", "2022-03")] == (1, 2)
    # ST(2022-05) without team: p11 (J1 and J2), p12 (J2), p13 = 3; DQ06 finds p11 in May
    assert cells[("DQ06", "-", "2022-05")] == (1, 3)
    # months whose findings are not complete at the cut-off have no rate: DQ01 up to 2022-09 only
    # (a change of October is late only in January), DQ05 only in the last month
    # (p1 is in stock since 2020-01, so every month from there has a stock)
    months = [f"{y}-{k:02d}" for y in (2020, 2021, 2022) for k in range(1, 13)]
    assert {m for r, _t, m in cells if r == "DQ01"} == set(months[: months.index("2022-09") + 1])
    assert {m for r, _t, m in cells if r == "DQ05"} == {"2022-12"}
    assert max(m for r, _t, m in cells if r == "DQ06") == "2022-12"


def test_runs_are_idempotent_and_vanished_findings_close(warehouse, factory, tmp_path):
    with factory.begin() as db:
        first = write(db, evaluate(warehouse))
    assert {r.rule.id: (r.findings, r.new, r.closed) for r in first.results} == {
        k: (len(v), len(v), 0) for k, v in EXPECTED.items()
    }
    with factory.begin() as db:
        task = db.scalar(select(DqmTask).where(DqmTask.rule_id == "DQ01"))
        tasks.change_status(db, task.id, IN_PROGRESS, user_name="co", role="controlling")
        p8 = db.scalar(select(DqmTask).where(DqmTask.rule_id == "DQ05", DqmTask.person_id == "p8"))
        tasks.change_status(db, p8.id, NO_ERROR, user_name="co", role="controlling", reason="Prognose in Papierakte")
    with factory.begin() as db:
        again = write(db, evaluate(warehouse))
    assert [(r.new, r.closed) for r in again.results] == [(0, 0)] * len(RULES)
    with factory.begin() as db:
        assert db.get(DqmTask, task.id).status == IN_PROGRESS  # known finding keeps its status
        assert db.get(DqmTask, p8.id).status == NO_ERROR
        assert len(db.scalars(select(DqmTask)).all()) == sum(len(v) for v in EXPECTED.values())
    # p1's change now recorded in time: the DQ01 task closes as "erledigt (Daten)"
    fixed = import_into(dqm_dataset(p1_change_recorded="2022-06-15"), tmp_path)
    with factory.begin() as db:
        third = write(db, evaluate(fixed))
    assert {r.rule.id: (r.new, r.closed) for r in third.results}["DQ01"] == (0, 1)
    with factory.begin() as db:
        assert db.get(DqmTask, task.id).status == DONE_DATA
    # and the late recording is back: the task opens again
    with factory.begin() as db:
        fourth = write(db, evaluate(warehouse))
        assert db.get(DqmTask, task.id).status == OPEN
    assert {r.rule.id: r.new for r in fourth.results}["DQ01"] == 1


def test_a_failing_rule_writes_nothing(warehouse, factory):
    from amip.dqm.rules import Rule

    broken = (*RULES, Rule("DQ99", "kaputt", "", "", "fehler", "ifk", (), "SELECT nope FROM nirgends"))
    with pytest.raises(DqmError, match="DQ99"):
        evaluate(warehouse, broken)
    with factory.begin() as db:
        assert db.scalars(select(DqmTask)).all() == []


def test_status_changes_need_a_reason_for_no_error_and_are_audited(warehouse, factory):
    with factory.begin() as db:
        write(db, evaluate(warehouse))
        t = db.scalar(select(DqmTask).where(DqmTask.rule_id == "DQ05", DqmTask.person_id == "p8"))  # c1/T1 now
        tid = t.id
    with factory.begin() as db:
        with pytest.raises(tasks.ReasonRequired):
            tasks.change_status(db, tid, NO_ERROR, user_name="ifk", role="ifk", caseworker_id="c1", reason="  ")
        with pytest.raises(tasks.TaskError):
            tasks.change_status(db, tid, DONE_DATA, user_name="ifk", role="ifk", caseworker_id="c1")
        tasks.change_status(db, tid, IN_PROGRESS, user_name="ifk", role="ifk", caseworker_id="c1")
        tasks.change_status(db, tid, "erledigt", user_name="ifk", role="ifk", caseworker_id="c1")
        with pytest.raises(tasks.TaskError):  # erledigt -> in Bearbeitung only via reopening
            tasks.change_status(db, tid, IN_PROGRESS, user_name="ifk", role="ifk", caseworker_id="c1")
        tasks.change_status(db, tid, OPEN, user_name="ifk", role="ifk", caseworker_id="c1")
        tasks.change_status(
            db, tid, NO_ERROR, user_name="ifk", role="ifk", caseworker_id="c1", reason="Prognose nachgetragen"
        )
    with factory.begin() as db:
        t = db.get(DqmTask, tid)
        assert (t.status, t.reason, t.updated_by) == (NO_ERROR, "Prognose nachgetragen", "ifk")
        logged = [e.detail for e in audit.entries(db, action="dqm_task")]
    assert logged[0] == f"Aufgabe {tid} (DQ05): offen -> kein Fehler"
    assert len(logged) == 4


def test_scope_ifk_own_caseload_team_lead_own_team(warehouse, factory):
    with factory.begin() as db:
        write(db, evaluate(warehouse))
    with factory.begin() as db:
        mine, n = tasks.list_tasks(db, tasks.task_scope("ifk", None, "c3"), status="aktiv")
        # c3: p3 (DQ05), p9 (DQ05)
        assert sorted((t.rule_id, t.person_id) for t in mine) == [("DQ05", "p3"), ("DQ05", "p9")] and n == 2
        team, _ = tasks.list_tasks(db, tasks.task_scope("teamleitung", "T1", None))
        assert {t.team_id for t in team} == {"T1"} and len(team) == 7  # p1 x2, p2, p4 x2, p6, p8
        everyone, total = tasks.list_tasks(db, tasks.task_scope("controlling", None, None))
        assert total == sum(len(v) for v in EXPECTED.values()) == 11  # 1+3+1+1+3+1+1
        assert tasks.list_tasks(db, tasks.task_scope("geschaeftsfuehrung", None, None))[1] == 0
        other = next(t for t in everyone if t.caseworker_id == "c1")
        with pytest.raises(tasks.OutOfScope):
            tasks.change_status(db, other.id, IN_PROGRESS, user_name="x", role="ifk", caseworker_id="c3")
        with pytest.raises(tasks.OutOfScope):
            tasks.change_status(db, other.id, IN_PROGRESS, user_name="x", role="teamleitung", team_id="T2")


def test_open_counts_per_person(warehouse, factory):
    with factory.begin() as db:
        write(db, evaluate(warehouse))
    with factory.begin() as db:
        p4 = db.scalar(select(DqmTask).where(DqmTask.person_id == "p4", DqmTask.rule_id == "DQ07"))
        tasks.change_status(db, p4.id, "erledigt", user_name="co", role="controlling")
        counts = tasks.open_counts(db, ["p1", "p4", "p5", "p8", "unbekannt"])
    # p1: DQ01 + DQ02; p4: DQ03 open, DQ07 done; p5: none; p8: DQ05
    assert counts == {"p1": 2, "p4": 1, "p8": 1}


def test_a_run_notifies_the_responsible_users_with_counts_only(warehouse, factory):
    with factory.begin() as db:
        for name, role, team, cw in (
            ("ifk1", "ifk", None, "c1"),
            ("ifk3", "ifk", None, "c3"),
            ("tl1", "teamleitung", "T1", None),
            ("co", "controlling", None, None),
        ):
            add_user(db, name, role, PASSWORD, team_id=team, caseworker_id=cw)
    with factory.begin() as db:
        result = write(db, evaluate(warehouse))
    assert result.notifications == 3
    with factory.begin() as db:
        texts = {n: [x.text for x in notify.unread(db, n)] for n in ("ifk1", "ifk3", "tl1", "co")}
    # IFK-responsible rules (DQ04, DQ05) of the current caseload: c1 p8 (DQ05) -> 1 (p6's caseload
    # ended 06-15: no IFK owns its DQ04 task); c3 p3, p9 -> 2.
    # Team/Leistung rules of T1: DQ01 p1, DQ02 p1 p2, DQ03 p4, DQ07 p4 -> 5.
    assert texts == {
        "ifk1": ["DQM-Lauf (Datenstand 12/2022): 1 neue Datenqualitäts-Aufgabe in Ihrem Bereich."],
        "ifk3": ["DQM-Lauf (Datenstand 12/2022): 2 neue Datenqualitäts-Aufgaben in Ihrem Bereich."],
        "tl1": ["DQM-Lauf (Datenstand 12/2022): 5 neue Datenqualitäts-Aufgaben in Ihrem Bereich."],
        "co": [],
    }
    with factory.begin() as db:
        again = write(db, evaluate(warehouse))  # nothing new: no further notification
        assert again.notifications == 0
        assert notify.mark_read(db, "tl1") == 1 and notify.unread_count(db, "tl1") == 0
        assert len(db.scalars(select(Notification)).all()) == 3


def test_cli_run_prints_counts_per_rule_and_exits_0(warehouse, tmp_path):
    db = tmp_path / "copy.duckdb"
    shutil.copy(warehouse, db)
    res = runner.invoke(app, ["dqm", "run", "--db", str(db)], env={"AMIP_SMTP_HOST": ""})
    assert res.exit_code == 0, res.output
    lines = {
        ln.split("│")[1].strip(): [c.strip() for c in ln.split("│")[2:6]]
        for ln in res.output.splitlines()
        if ln.startswith("│ DQ")
    }
    assert lines["DQ02"][1:] == ["3", "3", "0"]
    assert lines["DQ05"][1:] == ["3", "3", "0"]
    assert {k: v[1] for k, v in lines.items()} == {k: str(len(v)) for k, v in EXPECTED.items()}
    res = runner.invoke(app, ["dqm", "run", "--db", str(db)])
    assert res.exit_code == 0
    total = next(ln for ln in res.output.splitlines() if "Summe" in ln)
    assert [c.strip() for c in total.split("│")[3:6]] == ["11", "0", "0"]  # 11 findings, none new, none closed
    rules = runner.invoke(app, ["dqm", "rules"])
    assert rules.exit_code == 0 and "DQ07" in rules.output


def test_cli_run_fails_clearly_without_a_warehouse(tmp_path):
    res = runner.invoke(app, ["dqm", "run", "--db", str(tmp_path / "fehlt.duckdb")])
    assert res.exit_code == 1
    assert "warehouse not found" in res.output and "Traceback" not in res.output


# ---- pages --------------------------------------------------------------------------------------


@pytest.fixture
def cockpit(warehouse, state_url, monkeypatch):
    monkeypatch.setenv("AMIP_STATE_DB", state_url)
    factory = open_state(url=state_url)
    with factory.begin() as db:
        for name, role, team, cw in (
            ("co", "controlling", None, None),
            ("tl", "teamleitung", "T1", None),
            ("ifk", "ifk", None, "c1"),
            ("ifk3", "ifk", None, "c3"),
            ("gf", "geschaeftsfuehrung", None, None),
        ):
            add_user(db, name, role, PASSWORD, team_id=team, caseworker_id=cw)
    run_all(warehouse, factory, send_mail=False)
    application = create_app(Settings.from_env(warehouse))
    with TestClient(application):
        yield application, factory
    factory.kw["bind"].dispose()


def _as(application, name):
    client = TestClient(application)
    assert login(client, name).status_code == 303
    return client


def _persons(html: str) -> set[str]:
    return set(re.findall(r"<td>(p\d+)</td>", html))


def test_task_page_shows_only_the_own_scope_and_is_audited(cockpit):
    application, factory = cockpit
    assert _persons(_as(application, "ifk3").get("/aufgaben").text) == {"p3", "p9"}
    assert _persons(_as(application, "tl").get("/aufgaben").text) == {"p1", "p2", "p4", "p6", "p8"}
    assert _persons(_as(application, "co").get("/aufgaben?rule=DQ06").text) == {"p11"}
    assert _as(application, "gf").get("/aufgaben").status_code == 403
    with factory.begin() as db:
        views = [(e.user_name, e.persons, e.list_name) for e in audit.entries(db, action="view")]
    assert ("ifk3", 2, "DQM-Aufgaben (alle Regeln, offen oder in Bearbeitung)") in views
    assert ("co", 1, "DQM-Aufgaben (DQ06, offen oder in Bearbeitung)") in views


def test_status_change_through_the_page(cockpit):
    application, factory = cockpit
    with factory.begin() as db:
        mine = db.scalar(select(DqmTask.id).where(DqmTask.person_id == "p9"))
        theirs = db.scalar(select(DqmTask.id).where(DqmTask.person_id == "p8"))
    client = _as(application, "ifk3")
    token = csrf_of(client.get("/aufgaben").text)
    r = client.post(
        "/aufgaben/status",
        data={"csrf_token": token, "task_id": str(mine), "status": "kein_fehler"},
        follow_redirects=False,
    )
    assert r.status_code == 400 and "Begründung" in r.text
    r = client.post(
        "/aufgaben/status",
        data={"csrf_token": token, "task_id": str(theirs), "status": "erledigt"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    r = client.post("/aufgaben/status", data={"task_id": str(mine), "status": "erledigt"}, follow_redirects=False)
    assert r.status_code == 403  # no CSRF token
    r = client.post(
        "/aufgaben/status",
        data={
            "csrf_token": token,
            "task_id": str(mine),
            "status": "kein_fehler",
            "reason": "Prognose am 02.01.2023 nachgetragen",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and "p9" not in r.headers["location"]
    assert _persons(client.get("/aufgaben").text) == {"p3"}
    assert _persons(client.get("/aufgaben?status=kein_fehler").text) == {"p9"}
    with factory.begin() as db:
        assert db.get(DqmTask, mine).status == NO_ERROR
        assert db.get(DqmTask, theirs).status == OPEN


def test_dqm_page_shows_rates_by_team_and_month(cockpit):
    application, _ = cockpit
    # controlling sees every number (the Geschäftsführung sees these small counts as '*':
    # tests/test_hardening_disclosure.py)
    client = _as(application, "co")
    html = client.get("/datenqualitaet").text
    assert "<svg" in html and "DQ05" in html
    assert not _persons(html)  # aggregated only
    rows = [
        ln.split(";") for ln in client.get("/datenqualitaet.csv?rule=DQ05").content.decode("utf-8-sig").splitlines()
    ]
    assert rows[0] == ["Regel", "Titel", "Team", "Monat", "Befunde", "ELB am Stichtag", "Befunde je 100 ELB"]
    cells = {(r[2], r[3]): r[4:] for r in rows[1:]}
    # rounded as the page shows them (two decimals), months as 12/2022
    assert cells[("T2", "12/2022")] == ["2", "2", "100,00"]  # p3, p9 of 2
    assert cells[("T1", "12/2022")] == ["1", "4", "25,00"]  # p8 of 4
    assert client.get("/datenqualitaet?month=2022-03").status_code == 200
    assert client.get("/datenqualitaet?month=03/2022").status_code == 200  # as the page writes it
    assert client.get("/datenqualitaet?month=1999-01").status_code == 404
    assert client.get("/datenqualitaet?rule=DQ99").status_code == 404
