"""`amip demo` runs end to end and its summary shows the computed figures in German format."""

import csv
import re

import pytest

from amip.cli import app
from amip.format import number, percent
from builder import runner


@pytest.mark.slow  # 24 deliveries: about 16 minutes on a loaded 2-core machine
@pytest.mark.browser  # and the tour of every page in Chromium (demo_tour)
def test_demo_prints_k1_to_k3_in_german_format(tmp_path):
    res = runner.invoke(app, ["demo", "--no-serve", "--dir", str(tmp_path / "demo")], terminal_width=200)
    assert res.exit_code == 0, res.output
    with open(tmp_path / "demo" / "kennzahlen.csv", newline="") as fh:
        rows = {
            (r["figure"], r["sex"]): r
            for r in csv.DictReader(fh)
            if r["month"] == "2022-12" and r["jobcenter_id"] == "12062"
        }
        fh.seek(0)
        # the CSV holds every job center with spells (contract); the summary only the home job center
        assert {r["jobcenter_id"] for r in csv.DictReader(fh)} == {"12062", "12066"}
    assert "12066" not in res.output
    k2 = rows[("K2", "all")]
    shown = rf"K2 Integrationsquote\s*│\s*{percent(float(k2['value']))}\s*│\s*{percent(float(rows[('K2', 'w')]['value']))}\s*│"
    assert re.search(shown, res.output), res.output
    assert number(float(k2["numerator"])) in res.output
    assert "Bezugsmonat 12/2022" in res.output
    # the rest of the cycle: every DQM rule has findings; a finished intensive-care cohort exists
    assert "7 of 7 rules with findings" in res.output
    assert re.search(r"finished demo cohort 06/2022 with [1-9]\d* places", res.output)
    # 24 deliveries: 12/2022 is provisional at lag 0, 11/2022 at lag 1, 10/2022 at lag 2
    said = " ".join(res.output.split())  # Rich wraps long lines at spaces
    assert "Deliveries: 24 (as of 01.02.2021 … 01.01.2023)" in said
    assert "provisional months in the cockpit: 10/2022, 11/2022, 12/2022" in said
    assert "Published figures (synthetic Brandenburg and Elbe-Elster one delivery later)" in said
    _cockpit_shows_the_data_states(tmp_path / "demo" / "demo.duckdb")
    _every_page_of_every_role_passes_axe_on_the_demo(tmp_path / "demo" / "demo.duckdb")


def _every_page_of_every_role_passes_axe_on_the_demo(db):
    """Issue 15 on the demo's full-size job center: every page of Geschäftsführung, Controlling,
    Teamleitung, IFK and the administration at 1440 and 390 px passes axe-core (WCAG 2.1 AA) and does not scroll sideways;
    the screenshots and the list of pages go to test-artifacts/ (demo-tour.md, screenshots/demo/)."""
    from demo_tour import tour

    lines, problems = tour(db)
    assert not problems, "\n".join(problems)
    reached = {
        line.split("**")[1]: int(line.split("**: ")[1].split(" ")[0]) for line in lines if line.startswith("- **")
    }
    assert len(reached) == 10, reached  # five roles, two widths
    # each role reached its pages (menu and details; the administration has users, audit log, account)
    assert all(n >= (3 if key.startswith("admin") else 8) for key, n in reached.items()), reached


def _cockpit_shows_the_data_states(db):
    """The demo's cockpit: a provisional month with its band, and Datenstände with a revision chart."""
    from fastapi.testclient import TestClient

    from amip.cockpit.app import create_app
    from amip.cockpit.settings import Settings
    from amip.demo import demo_users
    from cockpit_fixture import login

    app = create_app(Settings.from_env(db))
    with TestClient(app) as client:
        users = {name: password for name, _role, _scope, password in demo_users(db, app.state.sessions)}
        assert login(client, "controlling", users["controlling"]).status_code == 303
        html = client.get("/?month=2022-12").text
        assert "vorläufig (Datenstand 01.01.2023)" in html
        assert re.search(r"erwartete Revision [−+]?\d+,\d bis [−+]?\d+,\d Pp\. \(90\s%, \d+ Monate\)", html), html[
            :2000
        ]
        page = client.get("/datenstaende").text
        assert "01.02.2021" in page and "01.01.2023" in page
        assert "Revisionen K2" in page and "<svg" in page
        assert "eine</strong> Datenlieferung" not in page
        # issue 16: Elbe-Elster ranked within its Vergleichstyp (synthetic Brandenburg as published),
        # and reconciled against its own figures one delivery later: the late recordings differ
        page = client.get("/vergleich?month=2022-12").text
        assert "Jobcenter Elbe-Elster: Vergleichstyp Ib" in page, page[:3000]
        assert "Abstand zum Median des Vergleichstyps im Zeitverlauf" in page and "<svg" in page
        page = client.get("/abgleich?month=2022-12").text
        found = re.search(r"12/2022: (\d+) gleich, (\d+) abweichend", page)
        assert found is not None, page[:3000]
        assert int(found.group(2)) > 0  # the newest month moves with the next delivery
        found = re.search(r"Alle Monate: (\d+) gleich", page)
        assert found is not None and int(found.group(1)) > 0  # older months agree


def test_german_number_format():
    assert number(4554) == "4.554"
    assert percent(22.456) == "22,5"
    assert number(7485249) == "7.485.249"
    assert percent(-6.94) == "-6,9"
    assert number(None) == "–"
