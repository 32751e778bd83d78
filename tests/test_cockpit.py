"""The cockpit's figures, downloads and login security, against values worked out by hand
(cockpit_fixture.py), with the state database on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import io
import os
import re

import openpyxl
import pytest
from fastapi.testclient import TestClient

from amip import format as fmt
from amip.cockpit.app import create_app
from amip.cockpit.settings import Settings
from amip.figures.store import FigureStore, cache_path
from amip.state import audit
from cockpit_fixture import PASSWORD, add_users, csrf_of, login

K2_J1 = 1 / (41 / 12) * 100  # 1 integration (p4, 2022-11) over the mean stock 41/12 of 2022
K2_T1 = 1 / (34 / 12) * 100  # team T1: stock 3 in Jan-Oct (p1, p2, p4), 2 in Nov-Dec


@pytest.fixture(scope="module")
def warehouse(warehouse_factory):
    return warehouse_factory()


@pytest.fixture(scope="module")
def store(store_factory, warehouse):
    return store_factory(warehouse)


def test_figures_by_office_and_team_use_the_same_rules(store):
    assert store.value("J1", "K2", "2022-12")["value"] == pytest.approx(K2_J1)
    teams = store.by_unit("J1", "K2", "2022-12", "team").set_index("unit")
    # p4's integration counts for T1, where p4 was at ST(2022-10).
    assert teams.loc["T1", "numerator"] == 1
    assert teams.loc["T1", "denominator"] == pytest.approx(34 / 12)
    assert teams.loc["T1", "value"] == pytest.approx(K2_T1)
    assert teams.loc["T2", "numerator"] == 0
    assert teams.loc["T2", "denominator"] == pytest.approx(7 / 12)  # p3 from June
    k1e2 = store.by_unit("J1", "K1E2", "2022-12", "team").set_index("unit")
    assert (k1e2.loc["T1", "numerator"], k1e2.loc["T1", "denominator"]) == (2, 3)
    assert k1e2.loc["T1", "value"] == pytest.approx(-100 / 3)
    assert (k1e2.loc["T2", "numerator"], k1e2.loc["T2", "denominator"]) == (1, 0)
    assert fmt.is_missing(k1e2.loc["T2", "value"])  # NaN: denominator 0
    offices = store.by_unit("J1", "K3", "2022-12", "office").set_index("unit")
    # LZB: 2022-12 {p1, p2}, 2021-12 {p1, p4}; all in Herzberg at their Stichtag.
    assert (offices.loc["Herzberg", "numerator"], offices.loc["Herzberg", "denominator"]) == (2, 2)
    assert offices.loc["Herzberg", "value"] == 0


def test_units_add_up_to_the_job_center(store):
    for fig in ("K1E2", "K2", "K3", "K3E1"):
        whole = store.value("J1", fig, "2022-12")
        units = store.by_unit("J1", fig, "2022-12", "team")
        assert units["numerator"].sum() == pytest.approx(whole["numerator"])
        assert units["denominator"].sum() == pytest.approx(whole["denominator"])


def test_monthly_parts_name_the_counts_behind_a_figure(store):
    parts = {r["month"]: r for r in store.monthly_parts("J1", "K2", "2022-12")}
    assert sorted(parts) == [f"2022-{m:02d}" for m in range(1, 13)]
    assert parts["2022-11"]["numerator"] == 1 and parts["2022-10"]["numerator"] == 0
    assert [parts[f"2022-{m:02d}"]["denominator"] for m in range(1, 13)] == [3] * 5 + [4] * 5 + [3] * 2
    k1e2 = store.monthly_parts("J1", "K1E2", "2022-12")
    assert [(r["month"], r["numerator"], r["denominator"]) for r in k1e2] == [
        ("2021-12", None, 3),
        ("2022-12", 3, None),
    ]


def test_ranking_puts_the_favourable_value_first(store):
    # K1E2 (change of the ELB stock, lower is better): J1 0 %, J2 +100 % (p5 -> p5, p6).
    r = store.ranking("K1E2", "2022-12", higher_is_better=False)
    assert r["jobcenter_id"].tolist() == ["J1", "J2"]
    assert r["value"].tolist() == [0, 100]
    assert r["third"].tolist() == ["oben", "mitte"]


def test_cache_is_built_once_per_import(warehouse, tmp_path):
    FigureStore.open(warehouse).close()  # built here if no earlier test of this worker built it
    cache = cache_path(warehouse)
    stamp = cache.stat().st_mtime_ns
    FigureStore.open(warehouse).close()
    assert cache.stat().st_mtime_ns == stamp  # reused, not recomputed
    os.utime(warehouse)  # a new import replaces the warehouse file
    FigureStore.open(warehouse).close()
    assert cache.stat().st_mtime_ns != stamp


@pytest.fixture
def client(warehouse, state_url, monkeypatch):
    """A logged-out client of a cockpit whose state lives in SQLite or PostgreSQL."""
    monkeypatch.setenv("AMIP_STATE_DB", state_url)
    add_users(warehouse, env={"AMIP_STATE_DB": state_url})
    app = create_app(Settings.from_env(warehouse))
    assert app.state.settings.state_url.split(":")[0] in ("sqlite", "postgresql+psycopg")
    with TestClient(app) as c:
        yield c


def test_pages_show_german_numbers(client):
    assert login(client, "co").status_code == 303
    html = client.get("/kennzahl/K2?jc=J1&month=2022-12").text
    assert "29,3&nbsp;%" in html  # 29,268 ... rounded for display only
    assert re.search(r"<td class=\"count\">3,4</td>", html)  # mean stock 41/12 = 3,41...
    assert re.search(r"<td class=\"count\">1</td>", html)  # one integration: a count, not "1,0"
    assert '<td class="month">12/2022</td>' in html and ">2022-12<" not in html
    # the month as the page writes it is accepted in the URL too, and shows the same page
    assert "29,3&nbsp;%" in client.get("/kennzahl/K2?jc=J1&month=12/2022").text
    assert client.get("/kennzahl/K2?jc=J1&month=13/2022").status_code == 404
    overview = client.get("/?jc=J1&month=2022-12").text
    assert "Jobcenter J1, 12/2022" in overview
    # the footer's time of computation in Berlin time, not "2026-12-01" / UTC
    assert re.search(r"berechnet am \d\d\.\d\d\.\d{4} um \d\d:\d\d Uhr", overview)


def test_downloads_are_rounded_as_shown_with_units(client):
    """CSV for people: the page's rounding, 12/2022, units in the header; XLSX: full values with
    the page's number format, column widths, months as on the page."""
    login(client, "co")
    r = client.get("/kennzahl/K2/zeitreihe.csv?jc=J1&month=2022-12")
    assert r.headers["content-type"].startswith("text/csv")
    lines = r.content.decode("utf-8-sig").splitlines()
    assert lines[0] == (
        "Monat;Insgesamt (%);Frauen (%);Männer (%);Zähler (Insgesamt);Nenner (Insgesamt);Datenstand;"
        "Erwartete Revision (Insgesamt)"
    )
    month, value, *_rest, num, den, _state, _band = lines[1].split(";")
    assert (month, value, num, den) == ("12/2022", "29,3", "1", "3,4")  # K2 = 1 / (41/12) = 29,268 %
    x = client.get("/kennzahl/K2/zeitreihe.xlsx?jc=J1&month=2022-12")
    ws = openpyxl.load_workbook(io.BytesIO(x.content)).active
    assert ws["A1"].value == "Monat" and ws["B1"].value == "Insgesamt (%)"
    assert ws["A2"].value == "12/2022" and ws["B2"].value == pytest.approx(K2_J1, rel=1e-12)
    assert ws["B2"].number_format == "#,##0.0" and ws["E2"].number_format == "#,##0"
    assert ws["F2"].number_format == "#,##0.0" and ws["F2"].value == pytest.approx(41 / 12, rel=1e-12)
    assert ws.column_dimensions["H"].width >= len("Erwartete Revision (Insgesamt)")


def test_login_session_cookie_and_headers(client):
    r = login(client, "co")
    cookie = r.headers["set-cookie"]
    assert "amip_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    page = client.get("/")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    assert "x-amip-worker" not in page.headers  # the process id only with AMIP_WORKER_HEADER=1


def test_login_needs_the_form_token(client):
    client.get("/login")
    r = client.post(
        "/login", data={"username": "co", "password": PASSWORD, "csrf_token": "forged"}, follow_redirects=False
    )
    assert r.status_code == 403 and "amip_session" not in r.headers.get("set-cookie", "")


def test_lockout_after_five_failures(client):
    for _ in range(5):
        assert login(client, "gf", "falsches-passwort").status_code == 401
    r = login(client, "gf")  # the right password, but locked
    assert r.status_code == 401 and "gesperrt" in r.text


def test_forms_without_csrf_token_change_nothing(client):
    login(client, "adm")
    r = client.post("/admin/benutzer", data={"name": "neu", "role": "controlling", "password": "x" * 20})
    assert r.status_code == 403
    assert not re.search(r"\bneu\b", client.get("/admin/benutzer").text)  # a word, not letters of a token


def test_admin_adds_a_user_who_can_log_in(client):
    login(client, "adm")
    token = csrf_of(client.get("/admin/benutzer").text)
    r = client.post(
        "/admin/benutzer",
        data={
            "name": "neu",
            "role": "ifk",
            "caseworker_id": "c3",
            "password": "ein-neues-passwort",
            "csrf_token": token,
        },
    )
    assert r.status_code == 200 and "neu" in r.text
    other = TestClient(client.app)
    assert login(other, "neu", "ein-neues-passwort").status_code == 303
    ids = other.get("/personen.csv?count=stock&month=2022-12&jc=J1").content.decode("utf-8-sig").splitlines()[1:]
    assert [ln.split(";")[0] for ln in ids] == ["p3"]  # caseload c3


def test_logout_and_password_change_end_sessions(client):
    login(client, "tl")
    second = TestClient(client.app)
    login(second, "tl")
    token = csrf_of(client.get("/konto").text)
    r = client.post(
        "/konto/passwort",
        data={
            "old_password": PASSWORD,
            "new_password": "ein-anderes-passwort",
            "new_password_again": "ein-anderes-passwort",
            "csrf_token": token,
        },
    )
    assert r.status_code == 200 and "Das Passwort wurde geändert" in r.text
    ended = second.get("/uebersicht", follow_redirects=False)  # the other session ended
    assert ended.status_code == 303 and ended.headers["location"] == "/login"
    token = csrf_of(client.get("/konto").text)
    assert client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    assert login(client, "tl", "ein-anderes-passwort").status_code == 303


def test_person_views_are_audited_in_the_state_database(client):
    login(client, "co")
    client.get("/personen?count=lzb&month=2022-12&jc=J1")
    with client.app.state.sessions.begin() as db:
        views = audit.entries(db, action="view")
    assert [(e.user_name, e.persons, e.list_name) for e in views] == [
        ("co", 2, "Langzeitleistungsbeziehende am Monatsende 12/2022, Jobcenter J1, Insgesamt")
    ]
    from sqlalchemy import exc, text

    with pytest.raises(exc.DBAPIError), client.app.state.sessions.begin() as db:
        db.execute(text("DELETE FROM audit_log"))


@pytest.mark.slow
def test_serve_with_two_workers_shares_sessions_and_state(warehouse, store, tmp_path):
    """``amip serve --workers 2``: a login handled by one worker is valid on the other, a plan saved
    through one is shown by both, and the person views of both land in the one audit log (the
    state database is all the workers share). ``AMIP_WORKER_HEADER`` names the answering process."""
    import subprocess
    import sys
    import time

    import httpx

    from amip.bench.cockpit import _free_port
    from amip.state.db import open_state
    from amip.state.users import add_user

    state = f"sqlite:///{tmp_path / 'state.sqlite'}"
    factory = open_state(url=state)
    with factory.begin() as db:
        add_user(db, "co", "controlling", PASSWORD)
    port = _free_port()
    env = {**os.environ, "AMIP_STATE_DB": state, "AMIP_WORKER_HEADER": "1"}
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "amip.cli", "serve", "--db", str(warehouse), "--port", str(port), "--workers", "2"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # Until both workers answer (the second may still be starting when the first does).
        deadline, up = time.monotonic() + 180, set()
        with httpx.Client(base_url=base, limits=httpx.Limits(max_keepalive_connections=0), timeout=5) as poll:
            while len(up) < 2:
                assert server.poll() is None, (tmp_path / "serve.log").read_text()
                try:
                    r = poll.get("/api/health")
                    if r.status_code == 200:
                        up.add(r.headers["x-amip-worker"])
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, f"amip serve --workers 2: workers answering: {up}"
                time.sleep(0.25)
        # A new connection for every request (no keep-alive), so that either worker may take it.
        with httpx.Client(base_url=base, limits=httpx.Limits(max_keepalive_connections=0), timeout=30) as c:
            login_page = c.get("/login")
            r = c.post("/login", data={"username": "co", "password": PASSWORD, "csrf_token": csrf_of(login_page.text)})
            assert r.status_code == 303 and r.headers["location"] == "/"
            logged_in_by = r.headers["x-amip-worker"]
            token = csrf_of(c.get("/konto").text)
            saved = c.post("/planung/vorschlag", data={"jc": "J1", "year": "2022", "csrf_token": token})
            assert saved.status_code == 303
            answered: dict[str, int] = {}
            person_views = 0
            urls = [
                "/uebersicht?month=2022-12",
                "/kennzahl/K2?month=2022-12",
                "/planung?jc=J1&year=2022",
                "/zielnachhaltung?jc=J1&month=2022-12",
                "/personen?count=lzb&month=2022-12&jc=J1",
            ]
            for i in range(60):
                url = urls[i % len(urls)]
                r = c.get(url)
                assert r.status_code == 200, (url, r.status_code)
                worker = r.headers["x-amip-worker"]
                answered[worker] = answered.get(worker, 0) + 1
                if url.startswith("/planung"):  # the draft saved above, whichever worker saved it
                    assert "Ziel 2022 – Jobcenter J1 (Entwurf, Version 1)" in r.text
                person_views += url.startswith("/personen")
                if i >= 19 and len(answered) == 2:
                    break
        assert len(answered) == 2, answered  # both workers answered, all with the one session
        assert any(w != logged_in_by for w in answered)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    from amip.state import audit

    with factory.begin() as db:
        views = audit.entries(db, action="view")
    assert len(views) == person_views and {v.persons for v in views} == {2}
    factory.kw["bind"].dispose()
