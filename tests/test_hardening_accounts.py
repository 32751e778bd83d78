"""Issue 11, points 1, 7 and 9: logins under load, accounts, login CSRF, secrets in logs, int
overflow in paths, the OpenAPI document and HSTS; on the state database in SQLite and PostgreSQL.

The cockpit is the hand-made job center of ``cockpit_fixture`` (users and password from there);
the load test runs a real uvicorn server with real threads, the others use Starlette's TestClient
(``client=(host, port)`` gives each client its own source address).
"""

from __future__ import annotations

import inspect
import logging
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from amip.cli import app as cli
from amip.cockpit.app import create_app
from amip.cockpit.auth import LOGIN_CSRF_COOKIE, SESSION_COOKIE
from amip.cockpit.settings import Settings
from amip.state import audit
from amip.state.db import make_engine
from amip.state.login import FREE_FAILURES, delay_after
from amip.state.sessions import token_hash
from amip.state.users import POLICY, WeakPassword
from browser_kit import serving
from builder import runner
from cockpit_fixture import PASSWORD, USERS, add_users, csrf_of, login

PERSONS = "/personen?count=lzb&month=2022-12&jc=J1"


@pytest.fixture(scope="module")
def warehouse(warehouse_factory):
    return warehouse_factory()


@pytest.fixture(scope="module")
def store(store_factory, warehouse):
    return store_factory(warehouse)


@pytest.fixture
def cockpit(warehouse, store, state_url, monkeypatch):
    """The app on a fresh state database (SQLite, then PostgreSQL) with the fixture's users."""
    monkeypatch.setenv("AMIP_STATE_DB", state_url)
    add_users(warehouse, env={"AMIP_STATE_DB": state_url})
    application = create_app(Settings.from_env(warehouse), store)
    yield application
    application.state.sessions.kw["bind"].dispose()


def client_from(application, host: str) -> TestClient:
    return TestClient(application, client=(host, 40000))


def audit_rows(application, action: str | None = None):
    with application.state.sessions() as db:
        return audit.entries(db, limit=10_000, action=action)


# ---- 1. logins under load ------------------------------------------------------------------------


def _browser_login(url: str, name: str) -> tuple[int, httpx.Client]:
    c = httpx.Client(base_url=url, timeout=120)
    form = c.get("/login")
    r = c.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": csrf_of(form.text)})
    return r.status_code, c


def test_concurrent_logins_while_others_write_audit_rows(cockpit):
    """24 logins at once (real threads, real server) while two users keep opening person lists,
    each view an audit row: every login succeeds and every view is served (before: 13-18 of 20
    logins failed with HTTP 500 "database is locked")."""
    with serving(cockpit) as url:
        viewers = []
        for name in ("co", "tl"):
            status, c = _browser_login(url, name)
            assert status == 303
            viewers.append(c)
        stop = threading.Event()
        views: list[int] = []

        def browse(c: httpx.Client) -> None:
            while not stop.is_set():
                views.append(c.get(PERSONS).status_code)

        names = [u[0] for u in USERS]
        with ThreadPoolExecutor(max_workers=26) as pool:
            browsing = [pool.submit(browse, c) for c in viewers]
            logins = list(pool.map(lambda k: _browser_login(url, names[k % len(names)])[0], range(24)))
            stop.set()
            for f in browsing:
                f.result()
    assert logins == [303] * 24
    assert views and set(views) == {200}
    assert len(audit_rows(cockpit, "login")) == 2 + 24
    assert len(audit_rows(cockpit, "view")) == len(views)


def test_no_route_handler_blocks_the_event_loop(cockpit):
    """Every page and API handler is a plain function, which FastAPI runs in its bounded thread
    pool: an ``async def`` handler doing database work or password hashing would hold up every
    other request meanwhile (before: all POST handlers were ``async def``)."""
    blocking = [r.path for r in cockpit.routes if isinstance(r, APIRoute) and inspect.iscoroutinefunction(r.endpoint)]
    assert blocking == []


# ---- 7. accounts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password", ["aaaaaaaaaaaa", "password1234", "123456789012", "qwertzuiopas", "passwort2024", "jobcenter123"]
)
def test_common_and_trivial_passwords_are_refused(password):
    with pytest.raises(WeakPassword) as exc:
        POLICY.check(password, "neu")
    assert exc.value.reason == "guessable"


def test_a_long_unusual_password_is_accepted():
    POLICY.check("Teich Lupine quer 47 Sprung", "neu")  # no exception


def test_admin_page_refuses_a_common_password_in_german(cockpit):
    c = client_from(cockpit, "10.0.0.1")
    assert login(c, "adm").status_code == 303
    token = csrf_of(c.get("/admin/benutzer").text)
    r = c.post(
        "/admin/benutzer",
        data={"name": "neu", "role": "geschaeftsfuehrung", "password": "password1234", "csrf_token": token},
    )
    assert r.status_code == 400 and "zu leicht zu erraten" in r.text
    assert login(client_from(cockpit, "10.0.0.2"), "neu", "password1234").status_code == 401


def test_cli_refuses_a_trivial_password(warehouse, state_url):
    r = runner.invoke(
        cli,
        ["users", "add", "neu", "--role", "admin", "--db", str(warehouse)],
        input="aaaaaaaaaaaa\n",
        env={"AMIP_STATE_DB": state_url},
    )
    assert r.exit_code != 0 and "weak password" in r.output


def test_progressive_delays():
    assert [delay_after(n) for n in range(1, FREE_FAILURES)] == [None] * (FREE_FAILURES - 1)
    assert [delay_after(n).total_seconds() for n in range(5, 12)] == [30, 60, 120, 240, 480, 900, 900]


def test_an_attackers_failures_do_not_lock_the_owner_out(cockpit):
    attacker, owner = client_from(cockpit, "203.0.113.66"), client_from(cockpit, "10.0.0.5")
    for _ in range(FREE_FAILURES):  # the 5th failure starts a 30 s delay for (adm, this address)
        assert login(attacker, "adm", "falsches-passwort-x").status_code == 401
    r = login(attacker, "adm")  # even the right password: this name from this address waits
    assert r.status_code == 401 and "gesperrt" in r.text
    assert login(owner, "adm").status_code == 303  # the owner, elsewhere, gets in at once
    blocked = [e for e in audit_rows(cockpit, "login_failed") if e.detail == "gedrosselt"]
    assert len(blocked) == 1 and blocked[0].user_name == "adm"


def test_admin_unlock_lifts_the_delay(cockpit, warehouse, state_url):
    c = client_from(cockpit, "198.51.100.7")
    for _ in range(FREE_FAILURES):
        login(c, "co", "falsches-passwort-x")
    assert "gesperrt" in login(c, "co").text
    r = runner.invoke(cli, ["users", "unlock", "co", "--db", str(warehouse)], env={"AMIP_STATE_DB": state_url})
    assert r.exit_code == 0, r.output
    assert login(c, "co").status_code == 303
    r = runner.invoke(cli, ["users", "unlock", "niemand", "--db", str(warehouse)], env={"AMIP_STATE_DB": state_url})
    assert r.exit_code == 1 and "no user" in r.output


def _answer(c: TestClient, name: str) -> tuple[int, str]:
    """Status and page of a failed login, without what differs by design (token, clock)."""
    r = login(c, name, "falsches-passwort-x")
    page = re.sub(r'value="[A-Za-z0-9_-]{20,}"', 'value="TOKEN"', r.text)  # the fresh form token differs
    page = re.sub(r"\d{2}:\d{2}:\d{2}", "HH:MM:SS", page)  # the two blocks may end a second apart
    assert not re.search(rf"\b{name}\b", page)  # the typed name is not echoed, so the pages can be compared as they are
    return r.status_code, page


def test_unknown_and_known_users_get_the_same_answers(cockpit):
    known, unknown = client_from(cockpit, "10.1.0.1"), client_from(cockpit, "10.1.0.2")
    for _ in range(FREE_FAILURES + 1):  # the same through the throttle, too
        assert _answer(known, "ifk2") == _answer(unknown, "ifk9")
    assert "gesperrt" in _answer(unknown, "ifk9")[1]


def test_a_forged_login_csrf_pair_is_refused(cockpit):
    """A cookie and form token the attacker made up match each other but no pre-session of ours
    (before: any equal pair was accepted, so a page elsewhere could log a victim into the
    attacker's account)."""
    c = client_from(cockpit, "10.2.0.1")
    c.cookies.set(LOGIN_CSRF_COOKIE, "made-up-by-the-attacker", path="/login")
    r = c.post(
        "/login",
        data={"username": "co", "password": PASSWORD, "csrf_token": "made-up-by-the-attacker"},
        follow_redirects=False,
    )
    assert r.status_code == 403 and SESSION_COOKIE not in r.headers.get("set-cookie", "")
    # The token of one pre-session does not fit another browser's cookie either.
    other = client_from(cockpit, "10.2.0.2")
    token = csrf_of(other.get("/login").text)
    r = c.post("/login", data={"username": "co", "password": PASSWORD, "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 403
    assert login(c, "co").status_code == 303  # the real form works


def test_no_tokens_or_hashes_in_logs_after_failed_logins(cockpit, caplog):
    caplog.set_level(logging.DEBUG)
    c = client_from(cockpit, "10.3.0.1")
    sent = []
    for name in ("co", "gibtsnicht", '=HYPERLINK("http://x")\r\nFake'):
        form = c.get("/login")
        token = csrf_of(form.text)
        sent += [token, c.cookies.get(LOGIN_CSRF_COOKIE)]
        c.post("/login", data={"username": name, "password": "falsches-passwort-x", "csrf_token": token})
    assert login(c, "co").status_code == 303
    session = c.cookies.get(SESSION_COOKIE)
    sent += [session, token_hash(session), "falsches-passwort-x", PASSWORD]
    logged = caplog.text
    assert [s for s in sent if s and s in logged] == []


def test_database_errors_do_not_carry_their_parameters(state_url):
    """An error message of a failed statement (what lands in a server log) names no bound value:
    a failed session insert would otherwise log the session's hash and CSRF token."""
    from amip.state.db import migrate

    engine = make_engine(state_url)
    migrate(engine)
    secret = "geheimes-csrf-token-1234567890"
    try:
        with pytest.raises(IntegrityError) as exc, engine.begin() as conn:
            for _ in range(2):
                conn.execute(
                    text(
                        "INSERT INTO pre_sessions (token_hash, csrf_token, expires_at) "
                        "VALUES ('same', :t, CURRENT_TIMESTAMP)"
                    ),
                    {"t": secret},
                )
        assert secret not in str(exc.value)
    finally:
        engine.dispose()


def test_login_with_control_characters_is_logged_without_them(cockpit):
    c = client_from(cockpit, "10.4.0.1")
    assert login(c, "=cmd|' /C calc'!A0\r\nadm", "falsches-passwort-x").status_code == 401
    entry = audit_rows(cockpit, "login_failed")[0]
    assert entry.user_name == "?"


def test_user_names_with_control_characters_are_refused_in_german(cockpit):
    c = client_from(cockpit, "10.4.0.2")
    assert login(c, "adm").status_code == 303
    token = csrf_of(c.get("/admin/benutzer").text)
    r = c.post(
        "/admin/benutzer",
        data={
            "name": "neu\r\nadm",
            "role": "geschaeftsfuehrung",
            "password": "Teich Lupine quer 47 Sprung",
            "csrf_token": token,
        },
    )
    assert r.status_code == 400 and "Ungültiger Benutzername" in r.text and "Steuerzeichen" in r.text


def test_privileged_account_creation_shows_on_the_protokoll_page(cockpit):
    """An admin (who may not see person lists) creates a controlling account: the Protokoll page
    lists it under "Privilegierte Änderungen"; a Geschäftsführung account is not listed there."""
    c = client_from(cockpit, "10.5.0.1")
    assert login(c, "adm").status_code == 303
    for name, role in (("controller2", "controlling"), ("chefin2", "geschaeftsfuehrung")):
        token = csrf_of(c.get("/admin/benutzer").text)
        r = c.post(
            "/admin/benutzer",
            data={"name": name, "role": role, "password": "Teich Lupine quer 47 Sprung", "csrf_token": token},
        )
        assert r.status_code == 200, r.text
    page = c.get("/admin/protokoll").text
    section = page.split('id="privileged-head"')[1].split("</section>")[0]
    assert re.search(r"\bcontroller2\b", section) and "darf Personenlisten sehen" in section
    assert "adm" in section and "chefin2" not in section
    # The CLI-made accounts of the fixture (controlling, teamleitung, ifk) are listed as well.
    for name in ("co", "tl", "ifk", "ifk2"):
        assert re.search(rf"\b{name} \(", section)


# ---- 9. smaller items ----------------------------------------------------------------------------


@pytest.mark.parametrize("place", ["9223372036854775808", "99999999999999999999999", "0", "-1"])
def test_out_of_range_place_ids_are_not_found(cockpit, place):
    c = client_from(cockpit, "10.6.0.1")
    assert login(c, "ifk").status_code == 303
    r = c.get(f"/intensivbetreuung/platz/{place}")
    assert r.status_code == 404 and "Nicht gefunden" in r.text


def test_huge_audit_offset_is_no_server_error(cockpit):
    c = client_from(cockpit, "10.6.0.2")
    assert login(c, "adm").status_code == 303
    assert c.get("/admin/protokoll?offset=9223372036854775808").status_code == 200


def test_openapi_document_needs_a_login(cockpit):
    c = client_from(cockpit, "10.7.0.1")
    r = c.get("/openapi.json", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    for path in ("/docs", "/redoc"):
        assert c.get(path, follow_redirects=False).status_code == 404
    assert login(c, "gf").status_code == 303
    r = c.get("/openapi.json")
    assert r.status_code == 200 and "/api/figures" in r.json()["paths"]


@pytest.mark.parametrize("secure", [True, False])
def test_hsts_only_behind_tls(warehouse, store, state_url, secure):
    settings = Settings(warehouse=warehouse, state_url=state_url, secure_cookies=secure)
    application = create_app(settings, store)
    try:
        r = TestClient(application).get("/login")
        assert (r.headers.get("strict-transport-security") == "max-age=31536000") is secure
        if not secure:
            assert "strict-transport-security" not in r.headers
    finally:
        application.state.sessions.kw["bind"].dispose()
