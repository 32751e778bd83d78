"""DQM e-mail through a real SMTP server (aiosmtpd, started in the test on a free local port):
the responsible users with an address get one summary each, with counts and a link only; a
server that is not there does not fail the run."""

from __future__ import annotations

import re
import socket
import time

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

from amip.cli import app
from builder import runner
from cockpit_fixture import PASSWORD
from test_dqm import dqm_dataset


class Inbox(Message):
    def __init__(self):
        super().__init__()
        self.messages = []

    def handle_message(self, message):
        self.messages.append(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture(scope="module")
def warehouse(warehouse_factory):
    return warehouse_factory(dqm_dataset(), "mail")


def _add(db, name, role, email=None, team=None, cw=None):
    args = ["users", "add", name, "--role", role, "--db", str(db)]
    args += ["--team", team] if team else []
    args += ["--caseworker", cw] if cw else []
    args += ["--email", email] if email else []
    res = runner.invoke(app, args, input=PASSWORD + "\n", env={"AMIP_STATE_DB": ""})
    assert res.exit_code == 0, res.output


def test_new_tasks_are_mailed_without_person_data(warehouse, tmp_path, smtp):
    controller, inbox = smtp
    db = tmp_path / "amip.duckdb"
    db.write_bytes(warehouse.read_bytes())
    _add(db, "ifk1", "ifk", "ifk1@jobcenter.example", cw="c1")
    _add(db, "tl1", "teamleitung", "tl1@jobcenter.example", team="T1")
    _add(db, "ifk3", "ifk", cw="c3")  # no address: in-app notification only
    env = {
        "AMIP_STATE_DB": "",
        "AMIP_SMTP_HOST": "127.0.0.1",
        "AMIP_SMTP_PORT": str(controller.port),
        "AMIP_SMTP_FROM": "dqm@jobcenter.example",
        "AMIP_BASE_URL": "https://cockpit.example",
    }
    res = runner.invoke(app, ["dqm", "run", "--db", str(db)], env=env)
    assert res.exit_code == 0, res.output
    assert "3 Benachrichtigung(en), 2 von 2 E-Mail(s) zugestellt" in res.output
    for _ in range(50):
        if len(inbox.messages) == 2:
            break
        time.sleep(0.1)
    got = {m["To"]: m for m in inbox.messages}
    assert set(got) == {"ifk1@jobcenter.example", "tl1@jobcenter.example"}
    # c1 (current caseload): DQ05 p8 -> 1 (p6's caseload ended 06-15, so no IFK owns its DQ04 task);
    # T1 team/Leistung: DQ01 p1, DQ02 p1 p2, DQ03 p4, DQ07 p4 -> 5
    assert "1 neue Datenqualitäts-Aufgabe in" in got["ifk1@jobcenter.example"].get_payload(decode=True).decode()
    body = got["tl1@jobcenter.example"].get_payload(decode=True).decode()
    assert "5 neue Datenqualitäts-Aufgaben" in body and "https://cockpit.example/aufgaben" in body
    assert got["tl1@jobcenter.example"]["From"] == "dqm@jobcenter.example"
    for m in inbox.messages:
        text = m.as_string()
        assert not re.search(r"\bp\d+\b", text) and "c1" not in m.get_payload(decode=True).decode()
    # a second run has nothing new: no mail
    res = runner.invoke(app, ["dqm", "run", "--db", str(db)], env=env)
    assert res.exit_code == 0 and len(inbox.messages) == 2


def test_an_unreachable_smtp_server_does_not_fail_the_run(warehouse, tmp_path):
    db = tmp_path / "amip.duckdb"
    db.write_bytes(warehouse.read_bytes())
    _add(db, "ifk1", "ifk", "ifk1@jobcenter.example", cw="c1")
    env = {"AMIP_STATE_DB": "", "AMIP_SMTP_HOST": "127.0.0.1", "AMIP_SMTP_PORT": str(_free_port())}
    res = runner.invoke(app, ["dqm", "run", "--db", str(db)], env=env)
    assert res.exit_code == 0, res.output
    assert "0 von 1 E-Mail(s) zugestellt" in res.output


def test_users_add_refuses_a_bad_address(tmp_path):
    res = runner.invoke(
        app,
        ["users", "add", "x1", "--role", "controlling", "--email", "kein-at", "--db", str(tmp_path / "a.duckdb")],
        input=PASSWORD + "\n",
        env={"AMIP_STATE_DB": ""},
    )
    assert res.exit_code == 1 and "invalid e-mail address" in res.output
