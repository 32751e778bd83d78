"""The cockpit's Übersicht shows the extended monitoring S3–S6 with definitions and values, on the
S4 data set of tests/test_steering_v2.py (coverage 2019-01..2021-12, Bezugsmonat 2021-12):

- S3: integrations of 2020-01..2020-12 = E (2020-09, svb open: employed at ST(2020-10)..ST(2021-09))
  -> 1 of 1 = 100 %.
- S4: A, B, C, D of 2020-10..2021-09; need-covering A, D -> 2 of 4 = 50 % (w 1 of 2, m 1 of 2).
- S5: needs four years of coverage before ST(2020-12) -> "–".
- S6 (LZB at J1 at the Stichtage of 2021, LZB from 2020-09-29 for everyone in receipt since
  2019-01-01): A Jan–Feb 2, B 12, C Jan–Apr 4, D Jan–May 5 and again Sep–Dec 4 (back on 2021-09-01:
  the 92-day gap Jun–Aug leaves 638 of 730 days), F Jan–Oct 10 = 37 -> 37 / 12 = 3,08.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from fastapi.testclient import TestClient

from amip.cli import app as cli
from amip.cockpit.app import create_app
from amip.cockpit.settings import Settings
from builder import import_into, runner
from cockpit_fixture import PASSWORD, login
from test_steering_v2 import s4_data


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("monitoring")
    db = import_into(s4_data(), tmp)
    url = f"sqlite:///{tmp / 'state.sqlite'}"
    res = runner.invoke(
        cli,
        ["users", "add", "co", "--role", "controlling", "--db", str(db)],
        input=PASSWORD + "\n",
        env={"AMIP_STATE_DB": url},
    )
    assert res.exit_code == 0, res.output
    with TestClient(create_app(Settings(warehouse=db, state_url=url))) as c:
        assert login(c, "co").status_code == 303
        yield c


def test_overview_shows_s3_to_s6_with_their_definitions(client):
    html = client.get("/?jc=J1&month=2021-12").text
    assert "Erweitertes Monitoring" in html
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "Nachhaltige Integrationen" in text and "an jedem der zwölf folgenden Monatsenden" in text
    assert "Bedarfsdeckende Integrationen" in text and "1 277 von 1 460 Tagen" in text
    assert re.search(r"S4 Bedarfsdeckende Integrationen .*? 50,0 50,0 50,0 2 4 ", text)  # whole counts
    assert re.search(r"S3 Nachhaltige Integrationen .*? 100,0 – 100,0 1 1 ", text)  # E is a man
    assert re.search(r"S5 Integrationsquote LZB .*? – – – – – ", text)
    # S6 women B 12 + D 9 + F 10 = 31 -> 2,58; men A 2 + C 4 = 6 -> 0,5
    assert re.search(r"S6 LZB im Jahresdurchschnitt .*? 3,1 2,6 0,5 3,1 – ", text)


def test_monitoring_download_is_rounded_as_shown(client):
    r = client.get("/uebersicht/monitoring.csv?jc=J1&month=2021-12")
    assert r.status_code == 200
    lines = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert lines[0] == [
        "Kennzahl",
        "Bezeichnung",
        "Definition",
        "Insgesamt",
        "Frauen",
        "Männer",
        "Zähler (Insgesamt)",
        "Nenner (Insgesamt)",
        "Datenstand",
        "Erwartete Revision (Insgesamt)",
    ]
    rows = {line[0]: line for line in lines[1:]}
    # one delivery, of 01.01.2022: 12/2021 is provisional; the steering figures have no revision band
    assert rows["S4"][8:] == ["vorläufig (Datenstand 01.01.2022)", ""]
    assert rows["S4"][3:8] == ["50,0", "50,0", "50,0", "2", "4"]  # no unit: S3–S5 percent, S6 a count
    assert rows["S5"][3:6] == ["", "", ""]  # four years of coverage missing
    assert rows["S6"][3] == "3,1"  # 37 / 12, one decimal as on the page
    assert client.get("/uebersicht/monitoring.xlsx?jc=J1&month=2021-12").status_code == 200
