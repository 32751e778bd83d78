"""The cockpit in a real browser: Chromium (Debian's package, driven by Playwright) against the real
HTTP server (uvicorn on a free port), on the hand-made job center of ``cockpit_fixture``.

Expected values come from the fixture's docstring, worked out by hand:
  K2(2022-12), Jobcenter J1 = 1 integration (p4 in 2022-11) / mean stock 41/12 = 29,268 %;
  by team: T1 = 1 / (34/12) = 35,294 %, T2 = 0 / (7/12) = 0 %;
  the integration of 2022-11 is p4 (attributes at ST(2022-10): Herzberg, T1, 37 years, marktnah).

Every person-level page or export the tests open is noted in ``Server.person_views``; the last
tests check that the audit log holds exactly these (page and state database).
Screenshots of every page visited go to ``test-artifacts/screenshots/<name>.png``.

Needs Debian's Chromium (``scripts/setup.sh --dev`` installs it; ``browser_kit.chromium``); skipped without it.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from amip.cli import app as cli
from amip.cockpit.app import create_app
from amip.cockpit.settings import Settings
from amip.state import audit
from browser_kit import chromium, serving, shot, text
from builder import runner
from cockpit_fixture import PASSWORD, USERS, add_users, make_warehouse

pytestmark = pytest.mark.slow

LOCK_USER = "sperrtest"  # only the lock-out test logs in (and fails) with it
ROLE_OF = {name: role for name, role, _team, _cw in USERS}


@dataclass
class Server:
    url: str
    app: object
    db: Path
    person_views: list[tuple[str, str]] = field(default_factory=list)  # (user, audit action)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser")
    db = make_warehouse(tmp)
    add_users(db)
    res = runner.invoke(
        cli, ["users", "add", LOCK_USER, "--role", "controlling", "--db", str(db)], input=PASSWORD + "\n"
    )
    assert res.exit_code == 0, res.output
    application = create_app(Settings.from_env(db))
    with serving(application) as url:
        yield Server(url, application, db)


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def context(browser, server):
    ctx = browser.new_context(
        base_url=server.url, accept_downloads=True, locale="de-DE", viewport={"width": 1280, "height": 900}
    )
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    return context.new_page()


# ---- helpers ------------------------------------------------------------------------------------


def log_in(page, name: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.fill("#username", name)
    page.fill("#password", password)
    with page.expect_navigation():  # success: 303 to the role's start page; failure: the form again
        page.get_by_role("button", name="Anmelden").click()


def open_page(page, path: str, expect: int = 200):
    response = page.goto(path)
    assert response is not None and response.status == expect, (path, response and response.status)
    return response


# The word parts of each tile title (between spaces and soft hyphens) that the layout splits over
# two lines (first and last letter on different lines), and the tiles whose content overflows.
TILE_TITLE_BREAKS = """() => {
  const bad = Array.from(document.querySelectorAll('.tile')).filter(t => t.scrollWidth > t.clientWidth)
    .map(t => 'overflow: ' + t.querySelector('.tile-head').textContent);
  for (const el of document.querySelectorAll('.tile-title')) {
    const node = el.firstChild, s = node.textContent;
    const top = (i) => { const r = document.createRange(); r.setStart(node, i); r.setEnd(node, i + 1);
      const q = r.getClientRects(); return q[q.length - 1].top; };
    let start = 0;
    for (let i = 0; i <= s.length; i++) {
      if (i === s.length || s[i] === ' ' || s[i] === '\\u00ad') {
        if (i > start && Math.abs(top(start) - top(i - 1)) > 1) bad.push(s.slice(start, i));
        start = i + 1;
      }
    }
  }
  return bad;
}"""


def table_rows(table) -> list[list[str]]:
    return [[text(td) for td in tr.locator("td").all()] for tr in table.locator("tbody tr").all()]


def column_of(table, label: str) -> int:
    heads = [text(th) for th in table.locator("thead th").all()]
    return heads.index(label)


def read_csv(download) -> list[list[str]]:
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf"), "CSV starts with a UTF-8 BOM (for spreadsheet programs)"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def de_float(s: str) -> float:
    return float(s.replace(",", "."))


# ---- 1. a controller's walk through the cockpit ----------------------------------------------------


def test_controlling_walks_through_login_figure_drilldown_download_logout(page, server):
    page.goto("/login")
    shot(page, "login")
    page.fill("#username", "co")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(f"{server.url}/")
    assert "Übersicht" in text(page.locator("h1"))
    heads = [text(t) for t in page.locator(".tile .tile-head").all()]
    for fig in ("K1", "K2", "K3"):
        assert f"{fig} · Insgesamt" in heads, heads
    k2_tile = page.locator(".tile", has=page.locator(".tile-head", has_text="K2 · Insgesamt"))
    assert text(k2_tile.locator(".tile-value")) == "29,3 %"
    assert "kein Plan 2022" in text(k2_tile) and "Zur Planung" in text(k2_tile)  # the fixture has no plan
    # K3 in words: LZB 12/2021 {p1, p4} -> 12/2022 {p1, p2}, (2 / 2 − 1) · 100 = 0 %
    k3_tile = page.locator(".tile", has=page.locator(".tile-head", has_text="K3 · Insgesamt"))
    assert "LZB 12/2021 → 12/2022: 2 → 2 (0,0 %)" in text(k3_tile)
    for width in (1440, 390):  # tile titles break between the parts of a word, never inside one or out of the tile
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate(TILE_TITLE_BREAKS) == [], width
    page.set_viewport_size({"width": 1280, "height": 900})
    shot(page, "uebersicht")

    # K2 from the main navigation
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="K2", exact=True).click()
    page.wait_for_url(re.compile(r"/kennzahl/K2$"))
    assert text(page.locator("h1")).startswith("K2")
    now = page.locator("section[aria-labelledby=now-h]")
    assert text(now.locator("h2")) == "12/2022"
    total = now.locator(".values > div", has=page.locator("dt", has_text="Insgesamt"))
    # 1 / (41/12) = 29,268 %; one delivery of 01.01.2023: 12/2022 is provisional, no past revisions yet
    assert text(total.locator("dd")) == (
        "29,3 % vorläufig (Datenstand 01.01.2023) erwartete Revision: noch keine Revisionsstatistik"
    )
    hist = page.locator("section[aria-labelledby=hist-h] table")
    row = next(r for r in table_rows(hist) if r[0] in ("2022-12", "12/2022"))
    assert row[column_of(hist, "Insgesamt")] == "29,3"

    # office/team breakdown: HTMX swaps the table inside #units
    units = page.locator("#units")
    assert {r[0] for r in table_rows(units.locator("table"))} == {"Herzberg", "Finsterwalde"}
    page.locator(".tabs").get_by_role("button", name="Team").click()
    # a locator wait, not wait_for_function: the cockpit's CSP forbids the eval that polling would need
    page.locator("#units thead th").first.filter(has_text=re.compile(r"^\s*Team\s*$")).wait_for()
    assert page.url.endswith("/kennzahl/K2"), "the breakdown is swapped in, not a new page"
    by_team = {r[0]: r for r in table_rows(units.locator("table"))}
    assert set(by_team) == {"T1", "T2"}
    assert by_team["T1"][-1] == "35,3"  # 1 / (34/12)
    assert by_team["T2"][-1] == "0,0"  # 0 / (7/12)
    shot(page, "kennzahl")

    # drill-down: the numerator "1" of 11/2022 leads to the person behind it
    parts = page.locator("section[aria-labelledby=parts-h] table")
    nov = parts.locator("tbody tr", has=page.locator("td", has_text=re.compile(r"^(2022-11|11/2022)$")))
    assert text(parts.locator("thead th").nth(1)).startswith("Zähler")
    link = nov.locator("td").nth(1)
    assert text(link) == "1"
    link.get_by_role("link").click()
    page.wait_for_url(re.compile(r"/personen\?"))
    server.person_views.append(("co", "view"))
    assert "count=int" in page.url and "month=2022-11" in page.url
    persons = page.locator("main table")
    assert [r[0] for r in table_rows(persons)] == ["p4"]
    assert table_rows(persons)[0] == ["p4", "25 bis unter 55", "männlich", "Herzberg", "T1", "marktnah"]
    shot(page, "personen")

    # download the person list as CSV (an audited export)
    with page.expect_download() as info:
        page.locator("p.downloads").get_by_role("link", name="CSV").click()
    server.person_views.append(("co", "export_csv"))
    assert info.value.suggested_filename.endswith(".csv")
    rows = read_csv(info.value)
    assert rows == [
        ["Pseudonym", "Altersgruppe", "Geschlecht", "Geschäftsstelle", "Team", "Integrationsprognose"],
        ["p4", "25 bis unter 55", "männlich", "Herzberg", "T1", "marktnah"],
    ]

    # back to K2: the figure page keeps the month the user drilled into
    page.get_by_role("link", name="Zurück zu K2").click()
    page.wait_for_url(re.compile(r"/kennzahl/K2\?.*month=2022-11"))
    assert text(page.locator("section[aria-labelledby=now-h] h2")) == "11/2022"

    # the latest month again from the navigation; download its time series (rounded as shown, units)
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="K2", exact=True).click()
    page.wait_for_url(re.compile(r"/kennzahl/K2$"))
    with page.expect_download() as info:
        page.locator("section[aria-labelledby=hist-h] p.downloads").get_by_role("link", name="CSV").click()
    rows = read_csv(info.value)
    assert rows[0] == [
        "Monat",
        "Insgesamt (%)",
        "Frauen (%)",
        "Männer (%)",
        "Zähler (Insgesamt)",
        "Nenner (Insgesamt)",
        "Datenstand",
        "Erwartete Revision (Insgesamt)",
    ]
    dec = next(r for r in rows[1:] if r[0] == "12/2022")
    assert dec[1] == "29,3" and dec[4] == "1" and dec[5] == "3,4"  # 100 · 12 / 41 and 41 / 12 as shown

    # log out: back at the login page, and the figures need a new login
    page.get_by_role("button", name="Abmelden").click()
    page.wait_for_url(re.compile(r"/login$"))
    assert text(page.locator("h1")) == "Anmeldung"
    page.goto("/kennzahl/K2")
    assert page.url.endswith("/login")
    assert page.locator("#username").is_visible()


# ---- 2. every role: what it may see, and 403 for the rest ------------------------------------------

COMMON = {"/uebersicht": "Übersicht", "/kennzahl/K2": "K2", "/konto": "Konto"}
STEERING = {"/vergleich": "Vergleich"}  # the job center's steering pages (access.STEERING)
STEERING_ROLES = {"geschaeftsfuehrung", "controlling", "teamleitung"}
START = {"teamleitung": ("/mein-team", "Mein Team"), "ifk": ("/meine-arbeit", "Meine Arbeit")}
START |= {"admin": ("/admin/benutzer", "Benutzerverwaltung")}
PERSONS = "/personen?count=stock&month=2022-12"
PERSON_ROLES = {"controlling", "teamleitung", "ifk"}


@pytest.mark.parametrize("name", [u[0] for u in USERS])
def test_each_role_sees_its_pages_and_is_refused_the_others(page, server, name):
    role = ROLE_OF[name]
    log_in(page, name)
    start, heading = START.get(role, ("/", "Übersicht"))
    assert page.url == f"{server.url}{start}"  # the role's start page
    assert heading in text(page.locator("h1"))
    if role in ("ifk", "teamleitung") and name != "ifk2":
        shot(page, "meine_arbeit" if role == "ifk" else "mein_team")
    for path, heading in COMMON.items():
        open_page(page, path)
        assert heading in text(page.locator("h1")), (path, text(page.locator("h1")))
        if name == "co" and path == "/konto":
            shot(page, path.strip("/"))
    for path, heading in STEERING.items():
        if role in STEERING_ROLES:
            open_page(page, path)
            assert heading in text(page.locator("h1"))
            if name == "co":
                shot(page, path.strip("/"))
        else:  # refused inside the page frame, with the way back to the start page
            open_page(page, path, 403)
            assert "Kein Zugriff (403)" in text(page.locator("h1"))
            assert page.get_by_role("navigation", name="Hauptnavigation").is_visible()
            if name == "ifk":
                shot(page, "fehler_403")
            page.get_by_role("link", name=re.compile("^Zur Startseite")).click()
            assert page.url == f"{server.url}{start}"

    nav = page.get_by_role("navigation", name="Hauptnavigation")
    admin = role == "admin"
    assert nav.get_by_role("link", name="Benutzer").count() == (1 if admin else 0)
    assert nav.get_by_role("link", name="Protokoll").count() == (1 if admin else 0)

    if role in PERSON_ROLES:
        open_page(page, PERSONS)
        server.person_views.append((name, "view"))
        assert text(page.locator("h1")) == "Personen hinter der Zahl"
    else:
        open_page(page, PERSONS, 403)
        assert "Kein Zugriff" in text(page.locator("h1"))

    for path, title in (("/admin/benutzer", "Benutzerverwaltung"), ("/admin/protokoll", "Protokoll")):
        if admin:
            open_page(page, path)
            assert text(page.locator("h1")) == title
            shot(page, "benutzer" if path.endswith("benutzer") else "protokoll")
        else:
            open_page(page, path, 403)
            assert "Kein Zugriff (403)" in text(page.locator("h1"))


def test_an_ifk_sees_only_the_own_caseload_even_with_an_edited_url(page, server):
    log_in(page, "ifk")
    for extra in ("", "&caseworker=c2"):
        open_page(page, f"/personen?count=stock&month=2022-12&jc=J1{extra}")
        server.person_views.append(("ifk", "view"))
        assert [r[0] for r in table_rows(page.locator("main table"))] == ["p1"]
        assert "eigener Fallbestand" in text(page.locator("main"))
        body = page.locator("main").inner_text()
        assert "p2" not in body and "p3" not in body


# ---- 3. lock-out ---------------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_account(page, server):
    for attempt in range(5):
        log_in(page, LOCK_USER, "falsches-passwort-123")
        assert page.url.endswith("/login")
        assert "falsch" in text(page.get_by_role("alert")), attempt
    log_in(page, LOCK_USER, PASSWORD)  # the right password no longer helps
    assert page.url.endswith("/login")
    message = text(page.get_by_role("alert"))
    assert "gesperrt" in message, message
    assert page.get_by_role("navigation", name="Hauptnavigation").count() == 0

    # The administrator sees the lock-out in the log and on the users page.
    log_in(page, "adm")
    open_page(page, "/admin/protokoll")
    table = page.locator("main table")
    user_col, action_col = column_of(table, "Benutzer"), column_of(table, "Aktion")
    assert any(r[user_col] == LOCK_USER and r[action_col] == "Fehlgeschlagene Anmeldung" for r in table_rows(table))
    open_page(page, "/admin/benutzer")
    locked = page.locator("main table tbody tr", has=page.locator("td", has_text=re.compile(f"^{LOCK_USER}$")))
    assert re.search(r"\d{2}\.\d{2}\.\d{4} um \d{2}:\d{2} Uhr", text(locked))  # Berlin time, German (amip.format)


# ---- 4. the audit log holds every person-level view made on this server ---------------------------


def test_the_audit_log_lists_every_person_level_view_of_these_tests(browser, page, server):
    # Each person-role user opens a person list here; the other tests of this module that ran on
    # the same server (same pytest-xdist worker) added theirs to server.person_views.
    for name in ("co", "tl", "ifk", "ifk2"):
        ctx = browser.new_context(base_url=server.url, locale="de-DE")
        try:
            own = ctx.new_page()
            log_in(own, name)
            open_page(own, PERSONS)
            server.person_views.append((name, "view"))
        finally:
            ctx.close()
    expected = Counter(server.person_views)
    log_in(page, "adm")
    open_page(page, "/admin/protokoll")
    shot(page, "protokoll")
    table = page.locator("main table")
    rows = table_rows(table)
    assert len(rows) < 100, "all entries of this test run fit on the first page"
    user_col, action_col = column_of(table, "Benutzer"), column_of(table, "Aktion")
    list_col = column_of(table, "Liste")
    labels = {"view": "Ansicht Personenliste", "export_csv": "Export CSV", "export_xlsx": "Export XLSX"}
    # the IFK's start page (Meine Arbeit) shows pseudonyms too: audited on every visit (each log-in
    # and each way back to the start page); counted apart from the person lists of these tests
    start = [r for r in rows if r[list_col].startswith("Meine Arbeit")]
    assert {r[user_col] for r in start} == {"ifk", "ifk2"} and all(r[action_col] == labels["view"] for r in start)
    shown = Counter(
        (r[user_col], a)
        for r in rows
        for a, label in labels.items()
        if r[action_col] == label and not r[list_col].startswith("Meine Arbeit")
    )
    assert shown == expected
    assert {u for u, a in expected if a == "view"} == {"co", "tl", "ifk", "ifk2"}

    with server.app.state.sessions.begin() as db:
        logged = Counter(
            (e.user_name, e.action)
            for e in audit.entries(db, limit=100_000)
            if (e.action == "view" or e.action.startswith("export_"))
            and not (e.list_name or "").startswith("Meine Arbeit")
        )
    assert logged == expected


# ---- 5. keyboard and accessibility smoke test ------------------------------------------------------

# Every visible form field needs a <label> of its own (for= or wrapping); aria-label does not count.
UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => el.type !== 'hidden')
  .filter(el => !(el.labels && el.labels.length))
  .map(el => el.outerHTML)"""


def _first_tab_stop(page) -> str:
    """The first element Tab reaches from the top of the document (whatever has the focus now)."""
    page.evaluate("""() => { const t = document.createElement('span'); t.tabIndex = -1;
                             document.body.prepend(t); t.focus(); t.remove(); }""")
    page.keyboard.press("Tab")
    return page.evaluate("document.activeElement.textContent.trim()")


def test_keyboard_and_labels(page, server):
    page.goto("/login")
    assert page.evaluate("document.documentElement.lang") == "de"
    assert page.evaluate(UNLABELLED) == []
    # The login form's user name field has autofocus, so a fresh load starts there (Tab goes on to
    # the password); from the top of the page, the skip link is still the first stop.
    assert _first_tab_stop(page) == "Zum Inhalt springen"

    log_in(page, "adm")
    for path in ("/kennzahl/K2", "/admin/benutzer", "/"):
        open_page(page, path)
        assert page.evaluate("document.documentElement.lang") == "de", path
        assert page.evaluate(UNLABELLED) == [], path
        # A fresh load: the very first Tab lands on the skip link, Enter moves to the content.
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent.trim()") == "Zum Inhalt springen", path
        assert page.evaluate("document.activeElement.getBoundingClientRect().left >= 0"), "visible when focused"
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "inhalt", path


# ---- planning: the sum as you type (issue 15) ---------------------------------------------------


def test_team_plan_sum_updates_as_one_types_and_bad_entries_stay(page, server):
    """HTMX end to end: typing sends the form to /planung/teamsumme; the sum and the hints change,
    the focus stays in the field; saving a bad value shows the form again with the message at it."""
    log_in(page, "tl")
    open_page(page, "/planung?jc=J1&year=2023")
    assert page.evaluate(UNLABELLED) == []
    page.locator("#team-integrations-all").press_sequentially("3")
    caption = page.locator("#team-sum caption")
    caption.filter(has_text="mit dieser Eingabe").wait_for()
    assert table_rows(page.locator("#team-sum table"))[0] == ["3", "–", "–", "–"]  # no target for 2023
    page.locator("#team-elb_jdw-all").press_sequentially("abc")
    page.locator("#team-elb_jdw-all-hint").filter(has_text="Eingabe ungültig, nicht mitgezählt").wait_for()
    assert page.evaluate("document.activeElement.id") == "team-elb_jdw-all"  # the swap left the focus
    shot(page, "planung-teamsumme")
    with page.expect_navigation():
        page.get_by_role("button", name="Teamplan speichern").click()
    field = page.locator("#team-elb_jdw-all")
    assert field.input_value() == "abc" and page.locator("#team-integrations-all").input_value() == "3"
    assert field.get_attribute("aria-invalid") == "true"
    assert text(page.locator("#team-elb_jdw-all-error")) == "Bitte eine Zahl eingeben (eingegeben: „abc“)."
    shot(page, "planung-fehler-am-feld")
