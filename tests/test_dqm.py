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


def test_change_many_is_all_or_nothing_skips_what_cannot_change_and_audits_each(warehouse, factory):
    with factory.begin() as db:
        write(db, evaluate(warehouse))
    with factory.begin() as db:
        ids = {(t.rule_id, t.person_id): t.id for t in db.scalars(select(DqmTask))}
        tasks.change_status(db, ids[("DQ03", "p4")], "erledigt", user_name="tl", role="teamleitung", team_id="T1")
    t1 = [ids[("DQ01", "p1")], ids[("DQ03", "p4")], ids[("DQ07", "p4")]]  # team T1; DQ03 p4 is done
    lead = {"user_name": "tl", "role": "teamleitung", "team_id": "T1"}
    with factory.begin() as db:
        with pytest.raises(tasks.OutOfScope):  # p9 is team T2's
            tasks.change_many(db, [*t1, ids[("DQ05", "p9")]], IN_PROGRESS, reason="Prüfung", **lead)
        with pytest.raises(tasks.UnknownTask):
            tasks.change_many(db, [*t1, 999_999], IN_PROGRESS, reason="Prüfung", **lead)
        with pytest.raises(tasks.ReasonRequired):
            tasks.change_many(db, t1, IN_PROGRESS, reason=" ", **lead)
    with factory.begin() as db:
        result = tasks.change_many(db, t1, IN_PROGRESS, reason="Prüfung im Team", **lead)
    assert result == tasks.BulkResult(changed=2, skipped=1)  # erledigt -> in Bearbeitung: only via offen
    with factory.begin() as db:
        assert [(db.get(DqmTask, i).status, db.get(DqmTask, i).reason) for i in t1] == [
            (IN_PROGRESS, "Prüfung im Team"),
            ("erledigt", None),
            (IN_PROGRESS, "Prüfung im Team"),
        ]
        logged = [e.detail for e in audit.entries(db, action="dqm_task")]
    assert sorted(logged[:2]) == sorted(
        f"Aufgabe {i} ({r}): offen -> in Bearbeitung (Sammeländerung)" for i, r in ((t1[0], "DQ01"), (t1[2], "DQ07"))
    )
    assert len(logged) == 3  # the single change before and the two of the bulk change
    # sorted by status in the workflow's order, ties newest month first; one page by LIMIT/OFFSET
    order = [
        ("DQ05", "p8"),  # offen 2022-12
        ("DQ02", "p1"),  # offen 2022-08
        ("DQ02", "p2"),  # offen 2022-05
        ("DQ04", "p6"),  # offen 2022-03
        ("DQ07", "p4"),  # in Bearbeitung 2022-07
        ("DQ01", "p1"),  # in Bearbeitung 2022-03
        ("DQ03", "p4"),  # erledigt
    ]
    with factory.begin() as db:
        every, n = tasks.list_tasks(
            db, tasks.task_scope("teamleitung", "T1", None), status=None, limit=None, sort="status", descending=False
        )
        page, total = tasks.list_tasks(
            db,
            tasks.task_scope("teamleitung", "T1", None),
            status=None,
            limit=3,
            offset=2,
            sort="status",
            descending=False,
        )
    assert [(t.rule_id, t.person_id) for t in every] == order and n == 7
    assert [(t.rule_id, t.person_id) for t in page] == order[2:5] and total == 7


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
    # the IFK's start page counts the same open tasks, per rule
    start = _as(application, "ifk3").get("/meine-arbeit").text
    assert "2 offene oder begonnene Aufgaben" in start  # c3: p3 and p9, both DQ05
    assert re.search(r'href="/aufgaben\?rule=DQ05">DQ05: [^<]+</a></td><td class="count">2</td>', start)
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
    # inside the normal page frame, with the reason and the way back to the task list
    assert 'aria-label="Hauptnavigation"' in r.text and "„kein Fehler“ braucht eine Begründung" in r.text
    assert '<a href="/aufgaben">Zurück zu „Aufgaben“</a>' in r.text
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
    # each rule with its title in every table (Regeln, Verlauf, Nach Team: T1, T2 and no team)
    assert html.count('<td class="text">ELB ohne gültige Prognose oder Integrationsziel</td>') == 5
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


# ---- the task list at scale: paging, filters, sorting, bulk changes, downloads -------------------
# One cockpit for the module (SQLite state): the 11 tasks of the run above plus 100 hand-made DQ04
# tasks x001..x100 (month 2021-06, team T2, IFK c9, open). Data month of the run: 2022-12.
# Default order: month descending, then rule, person, id:
#   2022-12 DQ05 p3 p8 p9 | 2022-08 DQ02 p1 | 2022-07 DQ03 p4, DQ07 p4 | 2022-05 DQ02 p2, DQ06 p11 |
#   2022-03 DQ01 p1, DQ02 p13, DQ04 p6 | 2021-06 DQ04 x001 .. x100
# Teams: T1 p1 x2, p2, p4 x2, p6, p8 (7); T2 p3, p9 + x001..x100 (102); none p11, p13 (2).

EXTRA = 100
ROW = re.compile(r"<td>([px]\d+)</td>")


@pytest.fixture(scope="module")
def worklist(warehouse, cockpit_factory, tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('worklist') / 'state.sqlite'}"
    factory = open_state(url=url)
    with factory.begin() as db:
        for name, role, team, cw in (
            ("co", "controlling", None, None),
            ("tl", "teamleitung", "T1", None),
            ("ifk3", "ifk", None, "c3"),
        ):
            add_user(db, name, role, PASSWORD, team_id=team, caseworker_id=cw)
    run_all(warehouse, factory, send_mail=False)
    with factory.begin() as db:
        run_id = db.scalar(select(DqmTask.first_run_id).limit(1))
        for k in range(1, EXTRA + 1):
            db.add(
                DqmTask(
                    rule_id="DQ04",
                    finding_key=f"x{k:03d}|2021-06-15",
                    person_id=f"x{k:03d}",
                    month="2021-06",
                    detail="Integration am 15.06.2021",
                    responsible="ifk",
                    caseworker_id="c9",
                    team_id="T2",
                    status=OPEN,
                    first_run_id=run_id,
                    last_run_id=run_id,
                )
            )
    application = cockpit_factory(warehouse, users=False, state_url=url)
    clients = {name: _as(application, name) for name in ("co", "tl", "ifk3")}  # one login each
    yield clients, factory
    factory.kw["bind"].dispose()


def _rows(html: str) -> list[str]:
    return ROW.findall(html)


def test_task_list_pages_of_50_with_range_links_and_sort(worklist):
    clients, factory = worklist
    co = clients["co"]
    first = co.get("/aufgaben").text
    assert "Aufgaben 1–50 von 111" in first and len(_rows(first)) == 50
    assert _rows(first)[:11] == ["p3", "p8", "p9", "p1", "p4", "p4", "p2", "p11", "p1", "p13", "p6"]
    assert re.search(
        r'<a href="/aufgaben\?status=aktiv&amp;sort=-month&amp;page=1" aria-label="Seite 1" aria-current="page">', first
    )
    assert 'aria-label="Seite 3"' in first and 'aria-label="Seite 4"' not in first
    assert re.search(r'<th scope="col" aria-sort="descending"><a [^>]*>Monat', first)
    second = co.get("/aufgaben?page=2").text
    assert "Aufgaben 51–100 von 111" in second and 'aria-label="Seite 2" aria-current="page"' in second
    assert _rows(second) == [f"x{k:03d}" for k in range(40, 90)]  # rows 51..100: x040..x089
    last = [f"x{k:03d}" for k in range(90, 101)]
    assert _rows(co.get("/aufgaben?page=3").text) == last
    beyond = co.get("/aufgaben?page=99").text  # past the end: the last page
    assert "Aufgaben 101–111 von 111" in beyond and _rows(beyond) == last
    for bad in ("0", "-1", "zwei", "1e3", "²"):
        r = co.get(f"/aufgaben?page={bad}")
        assert r.status_code == 400 and "Ungültige Seitenzahl" in r.text
    by_person = co.get("/aufgaben?sort=person").text
    # ties (p1, p4) in the default order: month descending, then rule
    assert _rows(by_person)[:12] == ["p1", "p1", "p11", "p13", "p2", "p3", "p4", "p4", "p6", "p8", "p9", "x001"]
    assert re.search(r'aria-sort="ascending"><a href="/aufgaben\?status=aktiv&amp;sort=-person">Pseudonym', by_person)
    assert _rows(co.get("/aufgaben?sort=-person").text)[:2] == ["x100", "x099"]
    assert _rows(co.get("/aufgaben?sort=team&page=1").text)[:2] == ["p11", "p13"]  # no team first
    assert co.get("/aufgaben?sort=nope").status_code == 404
    with factory.begin() as db:
        views = [(e.list_name, e.persons) for e in audit.entries(db, action="view")]
    assert ("DQM-Aufgaben (alle Regeln, offen oder in Bearbeitung, Seite 2 von 3)", 50) in views


def test_task_filters_by_rule_team_age_within_the_scope(worklist):
    clients, _ = worklist
    co = clients["co"]
    assert "<strong>102</strong> Aufgaben" in co.get("/aufgaben?team=T2").text
    assert set(_rows(co.get("/aufgaben?team=-").text)) == {"p11", "p13"}
    one = co.get("/aufgaben?rule=DQ04&team=T1").text
    assert _rows(one) == ["p6"] and "Integration gemeldet, Leistungsbezug läuft weiter" in one
    # age = months from the defect's month to the data month 2022-12
    assert _rows(co.get("/aufgaben?age=bis3").text) == ["p3", "p8", "p9"]  # 2022-12: 0 months
    middle = co.get("/aufgaben?age=4bis12").text  # 2022-08 .. 2022-03: 4 to 9 months
    assert "<strong>8</strong> Aufgaben" in middle and set(_rows(middle)) == {"p1", "p2", "p4", "p6", "p11", "p13"}
    assert "<strong>100</strong> Aufgaben" in co.get("/aufgaben?age=ueber12").text  # 2021-06: 18 months
    assert co.get("/aufgaben?age=alt").status_code == 404
    tl = clients["tl"]  # team T1 only
    assert _rows(tl.get("/aufgaben?age=bis3").text) == ["p8"]
    assert tl.get("/aufgaben?team=T2").status_code == 404  # not a team of the own scope
    assert set(_rows(clients["ifk3"].get("/aufgaben?status=alle").text)) == {"p3", "p9"}


def test_download_of_the_filtered_list_in_the_page_order(worklist):
    clients, factory = worklist
    co = clients["co"]
    r = co.get("/aufgaben.csv?team=T2&sort=person")
    rows = [ln.split(";") for ln in r.content.decode("utf-8-sig").splitlines()]
    assert rows[0] == [
        "Nr.",
        "Regel",
        "Regel (Titel)",
        "Monat",
        "Pseudonym",
        "Befund",
        "Team",
        "IFK",
        "Status",
        "Begründung",
    ]
    assert len(rows) == 1 + 102  # every page, not the first 50
    assert [row[4] for row in rows[1:4]] == ["p3", "p9", "x001"]
    assert rows[1][1:4] == ["DQ05", "ELB ohne gültige Prognose oder Integrationsziel", "12/2022"]
    assert rows[1][6:9] == ["T2", "c3", "offen"]
    x = co.get("/aufgaben.xlsx?rule=DQ04&age=ueber12")
    assert x.status_code == 200 and x.content[:2] == b"PK"
    assert co.get("/aufgaben.pdf").status_code == 404
    with factory.begin() as db:
        exports = [(e.action, e.list_name, e.persons) for e in audit.entries(db) if e.action.startswith("export")]
    assert ("export_csv", "DQM-Aufgaben (alle Regeln, offen oder in Bearbeitung, Team T2)", 102) in exports
    assert ("export_xlsx", "DQM-Aufgaben (DQ04, offen oder in Bearbeitung, älter als 12 Monate)", 100) in exports


def test_bulk_status_change_with_reason_all_or_nothing_and_audited(worklist):
    clients, factory = worklist
    with factory.begin() as db:
        ids = {(t.rule_id, t.person_id): t.id for t in db.scalars(select(DqmTask))}
    tl = clients["tl"]
    token = csrf_of(tl.get("/aufgaben").text)
    mine = [ids[("DQ05", "p8")], ids[("DQ04", "p6")]]

    def post(client, **form):
        return client.post("/aufgaben/sammelstatus", data={"csrf_token": token, **form}, follow_redirects=False)

    r = post(tl, ids=[str(i) for i in mine], status="erledigt", reason="  ")
    assert r.status_code == 400 and "Begründung" in r.text
    r = post(tl, ids=[str(mine[0]), str(ids[("DQ04", "x001")])], status="erledigt", reason="geprüft")
    assert r.status_code == 403  # x001 is team T2's: nothing changes, not even p8's task
    assert (
        tl.post("/aufgaben/sammelstatus", data={"ids": str(mine[0]), "status": "erledigt", "reason": "x"}).status_code
        == 403
    )
    with factory.begin() as db:
        assert db.get(DqmTask, mine[0]).status == OPEN
    r = post(tl, ids=[str(i) for i in mine], status="erledigt", reason="geprüft", rule="", sort="-month", page="1")
    assert r.status_code == 303 and r.headers["location"] == "/aufgaben?sort=-month&page=1&changed=2&skipped=0"
    assert "2 Aufgaben geändert." in tl.get(r.headers["location"]).text
    with factory.begin() as db:
        assert [(db.get(DqmTask, i).status, db.get(DqmTask, i).reason) for i in mine] == [("erledigt", "geprüft")] * 2
    # controlling: every task of the filtered list (DQ04, active: x001..x100 now that p6 is done)
    co = clients["co"]
    token = csrf_of(co.get("/aufgaben?rule=DQ04").text)
    every = {
        "which": "alle",
        "rule": "DQ04",
        "filter_status": "aktiv",
        "status": "in_bearbeitung",
        "reason": "Sammelprüfung",
    }
    r = post(co, **every, expected="101")  # the list the user saw is no longer the list
    assert r.status_code == 409 and "jetzt 100" in r.text
    r = post(co, **every, expected="100")
    assert r.status_code == 303 and r.headers["location"].endswith("changed=100&skipped=0")
    # all 101 DQ04 tasks: x001..x100 are already in progress, p6 is done (only reopening): all skipped
    r = post(co, **{**every, "filter_status": "alle"}, expected="101")
    assert r.headers["location"].endswith("changed=0&skipped=101")
    with factory.begin() as db:
        statuses = {t.status for t in db.scalars(select(DqmTask).where(DqmTask.rule_id == "DQ04"))}
        logged = [e.detail for e in audit.entries(db, limit=1000, action="dqm_task")]
    assert statuses == {"in_bearbeitung", "erledigt"}
    with factory.begin() as db:  # the reason stays on each task changed, whatever the status
        assert db.get(DqmTask, ids[("DQ04", "x042")]).reason == "Sammelprüfung"
    assert len(logged) == 102 and all(d.endswith("(Sammeländerung)") for d in logged)
    assert f"Aufgabe {mine[0]} (DQ05): offen -> erledigt (Sammeländerung)" in logged
