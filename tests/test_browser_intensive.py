"""The intensive-care cycle in a real browser: Chromium (Playwright) against the real HTTP server.

Data: the hand-made job center of ``test_intensive_care`` (T = 2022-12-31). IFK ``ifk`` (caseload
c1) has the candidates b637 (1 day left), a612 (26), g577 (120), e455 (183), in that order.
The clock for reminders is fixed through the cockpit setting ``today`` (``AMIP_TODAY``) and moved
between the steps, as time would pass:

  2024-01-31  take b637 -> place 2024-01-31 .. 2024-07-30; first meeting due the same day
              meeting 1 on 2024-01-31 -> next due 2024-02-29 (a calendar month later, month end)
  2024-03-01  the meeting of 02-29 is due (not yet overdue: 02-29 + 7 days = 03-07): reminder;
              meeting 2 on 2024-03-01, the review pre-filled with meeting 1's agreed steps
              -> next due 2024-04-01
  2024-04-09  overdue (04-01 + 7 days = 04-08 < 04-09): reminder "überfällig"
  the team lead (team T1) sees c1 with 1 active place, 2 meetings, both on time, 1 overdue, and
  c2 (in T1's caseload, no place yet) with 0 of 5.
"""

from __future__ import annotations

import dataclasses

import pytest

from amip.cli import app as cli
from amip.cockpit.app import create_app
from amip.cockpit.settings import Settings
from browser_kit import chromium, serving, shot, text
from builder import runner
from cockpit_fixture import PASSWORD, add_users
from test_intensive_care import dataset

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser_intensive")
    data = dataset().write(tmp / "data")
    db = tmp / "amip.duckdb"
    res = runner.invoke(cli, ["import", str(data), "--db", str(db)])
    assert res.exit_code == 0, res.output
    add_users(db)
    application = create_app(dataclasses.replace(Settings.from_env(db), today="2024-01-31"))
    with serving(application) as url:
        yield url, application


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def _set_today(application, day: str) -> None:
    application.state.settings = dataclasses.replace(application.state.settings, today=day)


def _log_in(page, name: str) -> None:
    page.goto("/login")
    page.fill("#username", name)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Anmelden").click()


def test_ifk_takes_a_customer_records_two_meetings_and_sees_the_reminder(browser, server):
    url, application = server
    ctx = browser.new_context(base_url=url, locale="de-DE", viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    try:
        _log_in(page, "ifk")
        page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Intensivbetreuung").click()
        page.wait_for_url(f"{url}/intensivbetreuung")
        rows = page.locator("#kandidaten tbody tr")
        assert [text(r.locator("td").first) for r in rows.all()] == ["b637", "a612", "g577", "e455"]
        first = rows.first
        assert [text(td) for td in first.locator("td").all()[4:7]] == ["637", "1", "01.01.2023"]
        shot(page, "intensiv_kandidaten")

        # take the first candidate: the form posts a token, the URL gets the internal place id only
        with page.expect_navigation():
            first.get_by_role("button", name="Aufnehmen").click()
        assert "/intensivbetreuung/platz/" in page.url and "b637" not in page.url
        assert "31.01.2024" in text(page.locator("#naechstes"))  # first meeting due on the day taken

        # meeting 1
        page.fill("#gespraech input[name=date]", "2024-01-31")
        page.fill("#gespraech textarea[name=situation]", "Lange arbeitslos, motiviert")
        page.fill("#gespraech textarea[name=agreed_steps]", "Drei Bewerbungen im Lager")
        with page.expect_navigation():
            page.get_by_role("button", name="Gespräch speichern").click()
        assert "29.02.2024" in text(page.locator("#naechstes"))
        place_url = page.url

        # a month later: the overview reminds of the due meeting
        _set_today(application, "2024-03-01")
        page.goto("/intensivbetreuung")
        banner = text(page.locator("#erinnerung"))
        assert "b637" in banner and "fällig" in banner and "29.02.2024" in banner and "überfällig" not in banner
        shot(page, "intensiv_erinnerung")

        # meeting 2: the review is pre-filled with the steps agreed last time
        page.goto(place_url)
        assert page.locator("#gespraech textarea[name=review_of_previous]").input_value() == "Drei Bewerbungen im Lager"
        page.fill("#gespraech input[name=date]", "2024-03-01")
        page.fill("#gespraech textarea[name=review_of_previous]", "Zwei Bewerbungen geschrieben, ein Gespräch")
        page.fill("#gespraech textarea[name=situation]", "Vorstellungsgespräch vereinbart")
        page.fill("#gespraech textarea[name=agreed_steps]", "Vorstellungsgespräch vorbereiten")
        with page.expect_navigation():
            page.get_by_role("button", name="Gespräch speichern").click()
        assert "01.04.2024" in text(page.locator("#naechstes"))
        assert page.locator("section.meeting").count() == 2
        shot(page, "intensiv_platz")

        # past the grace days: overdue
        _set_today(application, "2024-04-09")
        page.goto("/intensivbetreuung")
        banner = text(page.locator("#erinnerung"))
        assert "überfällig" in banner and "01.04.2024" in banner
        row = page.locator("#plaetze tbody tr").first
        assert text(row.locator("td.next-due")) == "01.04.2024"
        assert "1 von 5 Plätzen" in text(page.locator("main"))
        page.get_by_role("button", name="Abmelden").click()

        # the team lead: the team's status, aggregates only
        _log_in(page, "tl")
        page.goto("/intensivbetreuung")
        status = [[text(td) for td in r.locator("td").all()] for r in page.locator("#teamstand tbody tr").all()]
        assert status == [
            ["c1", "T1", "1", "1 von 5", "2", "2", "100,0", "1"],
            ["c2", "T1", "0", "0 von 5", "0", "0", "–", "0"],
        ]  # c2 of the team, no place yet
        assert "b637" not in text(page.locator("main"))
        assert "keine kausale" in text(page.locator(".caveat")).lower()
        shot(page, "intensiv_team")
    finally:
        ctx.close()
