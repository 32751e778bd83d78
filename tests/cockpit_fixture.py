"""A small job center for the cockpit tests, every number of it worked out by hand.

Coverage 2020-01 .. 2022-12, Bezugsmonat M = 2022-12. Job center J1 (and J2 for the comparison):

  person sex born        ELB at J1                 caseload (caseworker, team, office)     prognosis
  p1     w   1990-05-01  2020-01-01 ..             c1, T1, Herzberg from 2020-01-01        marktnah
  p2     m   1960-01-01  2021-01-01 ..             c2, T1, Herzberg from 2021-01-01        nicht_marktnah
  p3     w   2000-03-01  2022-06-01 ..             c3, T2, Finsterwalde from 2022-06-01    (none)
  p4     m   1985-07-15  2020-01-01 .. 2022-10-31  c1, T1, Herzberg 2020-01-01..2022-10-31 marktnah
                         svb job from 2022-11-01: integrated in 2022-11 (rule a), attributes at ST(2022-10)
  p5     w   1970-01-01  J2: 2020-01-01 ..         -
  p6     m   1975-01-01  J2: 2022-01-01 ..         -

Hand-derived values (see tests): Stock_J1(2022-12) = 3 (p1, p2, p3), Stock_J1(2021-12) = 3
(p1, p2, p4); K1E2 = 0 %. LZB_J1(2022-12) = {p1, p2} (730 days each). K2(2022-12): 1 integration
/ mean stock 41/12 -> 29,268 %.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from amip.cli import app
from builder import DataSet, import_into, runner

PASSWORD = "ein-langes-test-passwort"
# (user name, role, team, caseworker)
USERS = [
    ("gf", "geschaeftsfuehrung", None, None),
    ("co", "controlling", None, None),
    ("tl", "teamleitung", "T1", None),
    ("ifk", "ifk", None, "c1"),
    ("ifk2", "ifk", None, "c2"),
    ("adm", "admin", None, None),
]


def cockpit_dataset() -> DataSet:
    ds = DataSet("2020-01", "2022-12")
    ds.person("p1", "w", "1990-05-01").spell("p1", "J1", "2020-01-01")
    ds.caseload("p1", "c1", "T1", "Herzberg", "2020-01-01").prognosis("p1", "2020-01-01", "marktnah", True)
    ds.person("p2", "m", "1960-01-01").spell("p2", "J1", "2021-01-01")
    ds.caseload("p2", "c2", "T1", "Herzberg", "2021-01-01").prognosis("p2", "2021-01-01", "nicht_marktnah")
    ds.person("p3", "w", "2000-03-01").spell("p3", "J1", "2022-06-01")
    ds.caseload("p3", "c3", "T2", "Finsterwalde", "2022-06-01")
    ds.person("p4", "m", "1985-07-15").spell("p4", "J1", "2020-01-01", "2022-10-31")
    ds.caseload("p4", "c1", "T1", "Herzberg", "2020-01-01", "2022-10-31").prognosis("p4", "2020-01-01", "marktnah")
    ds.job("p4", "svb", "2022-11-01")
    ds.person("p5", "w", "1970-01-01").spell("p5", "J2", "2020-01-01")
    ds.person("p6", "m", "1975-01-01").spell("p6", "J2", "2022-01-01")
    return ds


def make_warehouse(tmp: Path) -> Path:
    return import_into(cockpit_dataset(), tmp)


def add_users(db: Path, env: dict[str, str] | None = None) -> None:
    """Through the real CLI, password on standard input."""
    for name, role, team, cw in USERS:
        args = ["users", "add", name, "--role", role, "--db", str(db)]
        if team:
            args += ["--team", team]
        if cw:
            args += ["--caseworker", cw]
        res = runner.invoke(app, args, input=PASSWORD + "\n", env=env)
        assert res.exit_code == 0, res.output


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client, name: str, password: str = PASSWORD):
    r = client.get("/login")
    return client.post(
        "/login", data={"username": name, "password": password, "csrf_token": csrf_of(r.text)}, follow_redirects=False
    )


@dataclass
class Cockpit:
    db: Path
    app: object
    state_url: str
