"""Who may see what in the cockpit: every route x every role (and anonymous), from one table,
plus the person-level scopes worked out by hand (see cockpit_fixture.py)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from amip.state import audit
from amip.state.db import open_state
from cockpit_fixture import USERS, csrf_of, login

# Expected status per role: anonymous, geschaeftsfuehrung, controlling, teamleitung, ifk, admin.
# 303 for anonymous pages is the redirect to /login; the API answers 401 instead.
MATRIX = """
GET  /                                                    303 200 200 200 200 200
GET  /?month=2022-06                                      303 200 200 200 200 200
GET  /uebersicht.csv                                      303 200 200 200 200 200
GET  /uebersicht.xlsx                                     303 200 200 200 200 200
GET  /uebersicht/monitoring.csv                           303 200 200 200 200 200
GET  /uebersicht/monitoring/S3?month=2022-12              303 200 200 200 200 200
GET  /uebersicht/monitoring/S6/bausteine.csv              303 200 200 200 200 200
GET  /uebersicht/monitoring/K2                            303 404 404 404 404 404
GET  /personen?count=s3&month=2022-11&jc=J1               303 403 200 200 200 403
GET  /personen.csv?count=lzb48&month=2022-12              303 403 200 200 200 403
GET  /kennzahl/K2                                         303 200 200 200 200 200
GET  /kennzahl/K1E2?sex=w                                 303 200 200 200 200 200
GET  /kennzahl/K2/einheiten?kind=team                     303 200 200 200 200 200
GET  /kennzahl/K2/zeitreihe.csv                           303 200 200 200 200 200
GET  /kennzahl/K2/bausteine.xlsx                          303 200 200 200 200 200
GET  /kennzahl/K2/einheiten.csv?kind=office               303 200 200 200 200 200
GET  /kennzahl/NOPE                                       303 404 404 404 404 404
GET  /vergleich                                           303 200 200 200 200 200
GET  /vergleich/rangliste.csv?figure=K1E2                 303 200 200 200 200 200
GET  /vergleich/scoreboard.xlsx?jc=J1                     303 200 200 200 200 200
GET  /vergleich/mitglieder.csv?jc=J1                      303 404 404 404 404 404
GET  /abgleich                                            303 200 200 200 200 200
GET  /abgleich?status=nope                                303 404 404 404 404 404
GET  /abgleich/zeilen.csv                                 303 404 404 404 404 404
GET  /personen?count=stock&month=2022-12                  303 403 200 200 200 403
GET  /personen?count=int&month=2022-11&jc=J1              303 403 200 200 200 403
GET  /personen.csv?count=lzb&month=2022-12                303 403 200 200 200 403
GET  /personen.xlsx?count=lzb&month=2022-12               303 403 200 200 200 403
GET  /personen?count=llu&month=2022-12                    303 403 404 404 404 403
GET  /konto                                               303 200 200 200 200 200
GET  /admin/benutzer                                      303 403 403 403 403 200
GET  /admin/protokoll                                     303 403 403 403 403 200
GET  /admin/protokoll.csv                                 303 403 403 403 403 200
GET  /api/health                                          200 200 200 200 200 200
GET  /api/jobcenters                                      401 200 200 200 200 200
GET  /api/figures?figure=K2                               401 200 200 200 200 200
GET  /api/figures/K2/units?kind=team                      401 200 200 200 200 200
GET  /login                                               200 200 200 200 200 200
POST /admin/benutzer                                      303 403 403 403 403 400
POST /konto/passwort                                      303 400 400 400 400 400
POST /logout                                              303 303 303 303 303 303
GET  /planung                                             303 200 200 200 200 200
GET  /planung?jc=J1&year=2022                             303 200 200 200 200 200
GET  /planung/ziel.csv?year=2022                          303 200 200 200 200 200
GET  /planung/vergleich.xlsx?year=2022                    303 200 200 200 200 200
GET  /planung/teams.csv?year=2022                         303 200 200 200 200 200
GET  /planung/versionen.csv?year=2022                     303 200 200 200 200 200
GET  /planung/nope.csv                                    303 404 404 404 404 404
POST /planung/jobcenter                                   303 403 400 403 403 403
POST /planung/team                                        303 403 400 400 403 403
POST /planung/vorschlag                                   303 403 400 403 403 403
POST /planung/vereinbaren                                 303 400 400 403 403 403
GET  /zielnachhaltung                                     303 200 200 200 200 200
GET  /zielnachhaltung?month=2022-06                       303 200 200 200 200 200
GET  /zielnachhaltung?month=1999-01                       303 404 404 404 404 404
GET  /zielnachhaltung.csv                                 303 200 200 200 200 200
GET  /zielnachhaltung.xlsx?month=2022-06                  303 200 200 200 200 200
GET  /datenqualitaet                                      303 200 200 200 200 200
GET  /datenqualitaet?rule=DQ05                            303 200 200 200 200 200
GET  /datenqualitaet?rule=NOPE                            303 404 404 404 404 404
GET  /datenqualitaet?month=1999-01                        303 404 404 404 404 404
GET  /datenqualitaet.csv                                  303 200 200 200 200 200
GET  /datenqualitaet.xlsx?rule=DQ01                       303 200 200 200 200 200
GET  /aufgaben                                            303 403 200 200 200 403
GET  /aufgaben?rule=DQ02&status=erledigt                  303 403 200 200 200 403
GET  /aufgaben?status=nope                                303 403 404 404 404 403
POST /aufgaben/status                                     303 403 404 404 404 403
POST /aufgaben/gelesen                                    303 403 303 303 303 403
GET  /intensivbetreuung                                   303 200 200 200 200 403
GET  /intensivbetreuung/platz/999999                      303 403 403 403 404 403
POST /intensivbetreuung/aufnehmen                         303 403 403 403 400 403
POST /intensivbetreuung/platz/999999/gespraech            303 403 403 403 404 403
POST /intensivbetreuung/platz/999999/beenden             303 403 403 403 404 403
GET  /zielgruppen                                         303 200 200 200 200 200
GET  /zielgruppen?month=2022-06                           303 200 200 200 200 200
GET  /zielgruppen?month=1999-01                           303 404 404 404 404 404
GET  /zielgruppen/tabelle.csv                             303 200 200 200 200 200
GET  /zielgruppen/tabelle.xlsx?teams=1                    303 200 200 200 200 200
GET  /zielgruppen/tabelle.pdf                             303 404 404 404 404 404
GET  /zielgruppen/personen?group=u25                      303 403 200 200 200 403
GET  /zielgruppen/personen?group=nope                     303 403 404 404 404 403
GET  /zielgruppen/personen.csv?group=l1                   303 403 200 200 200 403
GET  /zielgruppen/personen.xlsx?group=l2                  303 403 200 200 200 403
GET  /prognose                                            303 200 200 200 200 200
GET  /prognose?jc=J1&series=lzb&sex=w                     303 200 200 200 200 200
GET  /prognose?series=nope                                303 404 404 404 404 404
GET  /prognose.csv?series=integrations                    303 200 200 200 200 200
GET  /prognose.xlsx?table=backtest                        303 200 200 200 200 200
GET  /prognose.pdf                                        303 404 404 404 404 404
GET  /budget                                              303 200 200 200 200 200
GET  /budget?year=2021                                    303 200 200 200 200 200
GET  /budget?year=1999                                    303 404 404 404 404 404
GET  /budget/vergleich.csv?year=2022                      303 200 200 200 200 200
GET  /budget/ausgaben.xlsx                                303 200 200 200 200 200
GET  /budget/nope.csv                                     303 404 404 404 404 404
GET  /datenstaende                                        303 200 200 200 403 403
GET  /datenstaende/lieferungen.csv                        303 200 200 200 403 403
GET  /datenstaende/revisionen.xlsx                        303 200 200 200 403 403
GET  /datenstaende?figure=NOPE                            303 404 404 404 403 403
GET  /berichte                                            303 200 200 200 200 200
GET  /berichte?year=1999                                  303 404 404 404 404 404
GET  /berichte/programm.html?year=2022                    303 200 200 200 200 200
GET  /berichte/programm.doc?year=2022                     303 404 404 404 404 404
GET  /berichte/monatsbericht.xlsx?month=2022-06           303 200 200 200 200 200
GET  /berichte/text?chapter=ziele&year=2022               303 200 200 403 403 403
GET  /berichte/text?chapter=nope&year=2022                303 404 404 403 403 403
POST /berichte/text                                       303 404 404 403 403 403
"""
ROLES = ["anonymous", "gf", "co", "tl", "ifk", "adm"]
CASES = [
    (method, path, role, int(status))
    for line in MATRIX.strip().splitlines()
    for method, path, *statuses in [line.split()]
    for role, status in zip(ROLES, statuses)
]
FORMS = {  # valid CSRF, content that the handler rejects (so nothing changes)
    "/admin/benutzer": {"name": "neu", "role": "controlling", "password": "kurz"},
    "/konto/passwort": {"old_password": "x", "new_password": "a" * 12, "new_password_again": "b" * 12},
    "/logout": {},
    "/planung/jobcenter": {"jc": "J1", "year": "2022", "integrations_all": "-1"},
    "/planung/team": {"jc": "J1", "year": "2022", "integrations_all": "-1"},
    "/planung/vorschlag": {"jc": "J1", "year": "kein Jahr"},
    "/planung/vereinbaren": {"jc": "J1", "year": "2022", "plan_id": "keine"},
    "/intensivbetreuung/aufnehmen": {"candidate": "kein-token"},
    "/intensivbetreuung/platz/999999/gespraech": {"date": "2022-12-01", "situation": "x", "agreed_steps": "y"},
    "/intensivbetreuung/platz/999999/beenden": {"reason": "x"},
    "/aufgaben/status": {"task_id": "0", "status": "erledigt"},
    "/aufgaben/gelesen": {},
    "/berichte/text": {"jc": "J1", "year": "2022", "chapter": "nope", "markdown": "x"},
}


@pytest.fixture(scope="module")
def cockpit(cockpit_factory, warehouse_factory):
    return cockpit_factory(warehouse_factory(name="cockpit"))


def client_as(app, role: str) -> TestClient:
    client = TestClient(app)
    if role != "anonymous":
        assert login(client, role).status_code == 303
    return client


@pytest.mark.parametrize("method,path,role,status", CASES, ids=[f"{m} {p} {r}" for m, p, r, _ in CASES])
def test_authorisation_matrix(cockpit, method, path, role, status):
    client = client_as(cockpit, role)
    if method == "GET":
        r = client.get(path, follow_redirects=False)
    else:
        form = dict(FORMS[path])
        if role != "anonymous":
            form["csrf_token"] = csrf_of(client.get("/konto").text)
        r = client.post(path, data=form, follow_redirects=False)
    assert r.status_code == status, r.text[:300]
    if status == 303 and role == "anonymous":
        assert r.headers["location"] == "/login"


def _ids(client, query: str) -> list[str]:
    r = client.get(f"/personen.csv?{query}")
    assert r.status_code == 200
    lines = r.content.decode("utf-8-sig").splitlines()[1:]
    return [ln.split(";")[0] for ln in lines]


def test_person_scopes_follow_the_caseload_at_the_stichtag(cockpit):
    stock = "count=stock&month=2022-12&jc=J1"
    assert _ids(client_as(cockpit, "co"), stock) == ["p1", "p2", "p3"]
    assert _ids(client_as(cockpit, "tl"), stock) == ["p1", "p2"]  # team T1
    assert _ids(client_as(cockpit, "ifk"), stock) == ["p1"]  # caseworker c1
    assert _ids(client_as(cockpit, "ifk2"), stock) == ["p2"]  # caseworker c2
    # p4's integration in 2022-11 takes its attributes at ST(2022-10): then with c1 in team T1.
    ints = "count=int&month=2022-11&jc=J1"
    assert _ids(client_as(cockpit, "co"), ints) == ["p4"]
    assert _ids(client_as(cockpit, "tl"), ints) == ["p4"]
    assert _ids(client_as(cockpit, "ifk"), ints) == ["p4"]
    assert _ids(client_as(cockpit, "ifk2"), ints) == []


def test_an_ifk_cannot_widen_the_scope_by_editing_the_url(cockpit):
    client = client_as(cockpit, "ifk")
    for extra in ("&caseworker=c2", "&caseworker_id=c2", "&team=T1", "&team_id=T2", "&scope=all", "&role=controlling"):
        assert _ids(client, f"count=stock&month=2022-12&jc=J1{extra}") == ["p1"]
    html = client.get("/personen?count=stock&month=2022-12&jc=J1&caseworker=c2").text
    # whole words: the page's random CSRF token may contain "p2" as letters
    assert re.search(r"\bp1\b", html) and not re.search(r"\bp2\b", html) and not re.search(r"\bp3\b", html)


def test_person_list_shows_attributes_at_the_stichtag(cockpit):
    r = client_as(cockpit, "co").get("/personen.csv?count=stock&month=2022-12&jc=J1")
    rows = [ln.split(";") for ln in r.content.decode("utf-8-sig").splitlines()]
    assert rows[0] == ["Pseudonym", "Altersgruppe", "Geschlecht", "Geschäftsstelle", "Team", "Integrationsprognose"]
    assert rows[1:] == [
        ["p1", "25 bis unter 55", "weiblich", "Herzberg", "T1", "marktnah"],  # 32 years on 2022-12-31
        ["p2", "55 und älter", "männlich", "Herzberg", "T1", "nicht marktnah"],  # 62
        ["p3", "15 bis unter 25", "weiblich", "Finsterwalde", "T2", ""],  # 22, no prognosis
    ]


def test_every_person_level_view_and_export_is_audited(cockpit):
    sessions = cockpit.state.sessions
    with sessions.begin() as db:
        before = audit.count(db)
    client = client_as(cockpit, "tl")
    client.get("/personen?count=stock&month=2022-12&jc=J1")
    client.get("/personen.xlsx?count=stock&month=2022-12&jc=J1")
    client_as(cockpit, "gf").get("/personen?count=stock&month=2022-12&jc=J1")  # refused: not logged as a view
    with sessions.begin() as db:
        new = audit.entries(db, limit=audit.count(db) - before)
        seen = [
            (e.user_name, e.action, e.persons, e.list_name)
            for e in reversed(new)
            if e.action in ("view", "export_xlsx")
        ]
    assert seen == [
        ("tl", "view", 2, "ELB am Monatsende 12/2022, Jobcenter J1, Insgesamt"),
        ("tl", "export_xlsx", 2, "ELB am Monatsende 12/2022, Jobcenter J1, Insgesamt"),
    ]


def test_person_ids_never_reach_urls_or_the_audit_log(cockpit):
    client = client_as(cockpit, "co")
    html = client.get("/kennzahl/K2?jc=J1&month=2022-12").text
    import re

    for href in re.findall(r'href="([^"]+)"', html):
        assert not re.search(r"\bp[1-6]\b", href), href
    with cockpit.state.sessions.begin() as db:
        for e in audit.entries(db, limit=10_000):
            assert not re.search(r"\bp[1-6]\b", " ".join(str(x) for x in (e.list_name, e.detail))), e.list_name


def test_state_is_the_same_database_the_cli_writes(cockpit, tmp_path):
    with open_state(url=cockpit.state.settings.state_url).begin() as db:
        names = {e.user_name for e in audit.entries(db, action="user_added", limit=100)}
    assert names == {"cli"}
    assert len(USERS) == 6


def test_shared_figure_pages_carry_each_users_own_name_token_and_role_links(cockpit):
    # The Übersicht and Kennzahl pages are rendered once per role and parameters and served from
    # memory (web.render_shared): every user must still get the own name and CSRF token, and the
    # person links only where the role may open person lists (co yes, gf no).
    path = "/kennzahl/K2?jc=J1&month=2022-12"
    co, co2, gf = client_as(cockpit, "co"), client_as(cockpit, "co"), client_as(cockpit, "gf")
    first, second, other = co.get(path).text, co2.get(path).text, gf.get(path).text
    assert csrf_of(first) != csrf_of(second)  # two sessions, same role
    assert "@@amip" not in first + second + other
    assert re.search(r"<span>co \(", first) and re.search(r"<span>gf \(", other) and "<span>co (" not in other
    assert "/personen?" in first and "/personen?" not in other
    assert first.replace(csrf_of(first), "") == second.replace(csrf_of(second), "")
    # the token on the shared page is the session's own: logging out with it works
    r = co.post("/logout", data={"csrf_token": csrf_of(first)}, follow_redirects=False)
    assert r.status_code == 303
    assert co.get(path, follow_redirects=False).status_code == 303  # logged out: back to the login
    assert co2.get("/?jc=J1&month=2022-12").status_code == 200  # the other session lives on
