"""The Vergleich page with published figures (the type, the members, the gap, the neighbours) and
the Abgleich page, through the real app; the values are those of tests/test_comparison.py."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from cockpit_fixture import login
from published_kit import FIGURE_HEADER, JOBCENTER_HEADER, import_published, write_csv
from test_comparison import JOBCENTERS, published_rows


@pytest.fixture(scope="module")
def warehouse(warehouse_factory):
    db = warehouse_factory(name="cockpit_comparison")
    figures = write_csv(db.parent / "pub" / "published.csv", FIGURE_HEADER, published_rows())
    jcs = write_csv(db.parent / "pub" / "jobcenters.csv", JOBCENTER_HEADER, JOBCENTERS)
    assert import_published(db, figures, jcs).exit_code == 0
    return db


@pytest.fixture(scope="module")
def app(cockpit_factory, warehouse):
    return cockpit_factory(warehouse)


def _client(app, user: str) -> TestClient:
    c = TestClient(app)
    assert login(c, user).status_code == 303
    return c


def test_the_vergleich_page_shows_the_type_and_the_own_value_among_its_members(app):
    c = _client(app, "co")
    r = c.get("/vergleich?jc=J1&month=2022-12&figure=K2")
    assert r.status_code == 200
    html = r.text
    assert "Jobcenter Eins: Vergleichstyp IIIb" in html
    assert "gehört zum Vergleichstyp <strong>IIIb</strong> mit 5 Jobcentern" in html
    assert "vorläufig" in html  # data end 12/2022: the Wartezeit for 12/2022 is not over
    # members table: own row marked, rank 4 with 29,3 %, published values of the others
    mine = html.split('aria-current="true"')[1].split("</tr>")[0]
    assert ">4<" in mine and "29,3" in mine and "eigene Daten (amip)" in mine
    assert "Jobcenter Zwei" in html and "40,0" in html
    assert '<figure class="chart" role="img"' in html and "<svg" in html
    assert "Nächste Nachbarn" in html and "kein amtlicher Vergleichsring" in html
    assert "<caption>" in html and 'scope="col"' in html
    assert '<a href="/abgleich">Abgleich</a>' in html  # the menu entry: published figures exist


def test_the_downloads_of_the_vergleich_page(app):
    c = _client(app, "co")
    r = c.get("/vergleich/mitglieder.csv?jc=J1&month=2022-12&figure=K2")
    assert r.status_code == 200
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Rang", "Jobcenter", "Wert (%)"]
    assert [row[1] for row in rows[1:]] == [
        "Jobcenter Zwei",
        "Jobcenter Drei",
        "Jobcenter Vier",
        "Jobcenter Eins",
        "Jobcenter Fünf",
    ]
    gap = c.get("/vergleich/abstand.csv?jc=J1&month=2022-12&figure=K2")
    lines = gap.content.decode("utf-8-sig").splitlines()
    assert len(lines) == 3  # header, 2022-11, 2022-12
    assert c.get("/vergleich/nope.csv").status_code == 404


def test_the_own_small_counts_are_suppressed_for_the_geschaeftsfuehrung(app):
    # J1's K2 has 1 integration: the Geschäftsführung sees "*" for the own value (and its rank),
    # the published values of the other job centers stay visible
    c = _client(app, "gf")
    html = c.get("/vergleich?jc=J1&month=2022-12&figure=K2").text
    mine = html.split('aria-current="true"')[1].split("</tr>")[0]
    assert "29,3" not in mine and "*" in mine
    assert "40,0" in html


def test_the_abgleich_page_says_where_amip_and_the_publication_agree(app):
    c = _client(app, "co")
    r = c.get("/abgleich?jc=J1&month=2022-12")
    assert r.status_code == 200
    html = r.text
    # the published K2 and K3 of J1 are not amip's (10,0 and 99,0): both differ
    assert "12/2022: 0 gleich, 2 abweichend" in " ".join(html.split())
    assert "höchstens 0,5" in html and "0,05 Prozentpunkte" in html
    assert "Zähler" in html and "Erste Erklärung" in html
    assert c.get("/abgleich?status=different&month=2022-12").status_code == 200
    assert c.get("/abgleich?month=1999-01").status_code == 404
    csv_text = c.get("/abgleich/monate.csv?jc=J1").content.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("Monat;")


def test_without_published_figures_the_pages_say_so(cockpit_factory, warehouse_factory):
    app = cockpit_factory(warehouse_factory(name="cockpit_nopub"))
    c = _client(app, "co")
    html = c.get("/vergleich").text
    assert "Rangliste" in html  # the old multi-job-center ranking (J1, J2)
    assert '<a href="/abgleich">' not in html
    assert "keine veröffentlichten Kennzahlen" in c.get("/abgleich").text
