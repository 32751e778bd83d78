"""The Vergleich page for a single job center in a real browser (Chromium through Playwright):
the job center's Vergleichstyp, its rank among the members (values of tests/test_comparison.py)."""

from __future__ import annotations

import dataclasses

import pytest

from amip.cockpit.app import create_app
from amip.cockpit.settings import Settings
from browser_kit import chromium, serving, shot, text
from builder import import_into
from cockpit_fixture import PASSWORD, add_users, cockpit_dataset
from published_kit import FIGURE_HEADER, JOBCENTER_HEADER, import_published, write_csv
from test_comparison import JOBCENTERS, published_rows

pytestmark = pytest.mark.slow


def single_jobcenter():
    """The cockpit fixture's J1 alone (J2's persons p5 and p6 left out)."""
    ds = cockpit_dataset()
    ds.rows["elb_spells"] = [r for r in ds.rows["elb_spells"] if r[1] == "J1"]
    ds.rows["persons"] = [r for r in ds.rows["persons"] if r[0] not in ("p5", "p6")]
    return ds


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser_comparison")
    db = import_into(single_jobcenter(), tmp)
    figures = write_csv(tmp / "pub" / "published.csv", FIGURE_HEADER, published_rows())
    jcs = write_csv(tmp / "pub" / "jobcenters.csv", JOBCENTER_HEADER, JOBCENTERS)
    assert import_published(db, figures, jcs).exit_code == 0
    add_users(db)
    with serving(create_app(dataclasses.replace(Settings.from_env(db)))) as url:
        yield url


def test_the_vergleich_page_of_a_single_job_center_shows_its_type(server):
    with chromium() as browser:
        ctx = browser.new_context(base_url=server, locale="de-DE", viewport={"width": 1280, "height": 900})
        ctx.set_default_timeout(20_000)
        page = ctx.new_page()
        page.goto("/login")
        page.fill("#username", "co")
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="Anmelden").click()
        page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Vergleich").click()
        page.wait_for_url(f"{server}/vergleich")
        assert text(page.locator("#who-h")) == "Jobcenter Eins: Vergleichstyp IIIb"
        assert page.locator("#f-jc").count() == 0  # one job center: no choice
        mine = page.locator("tr[aria-current=true]")
        cells = [text(td) for td in mine.locator("td").all()]
        assert cells[:4] == ["4", "Jobcenter Eins", "29,3", "eigene Daten (amip)"]
        assert page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Abgleich").count() == 1
        shot(page, "vergleich_vergleichstyp")
        ctx.close()
