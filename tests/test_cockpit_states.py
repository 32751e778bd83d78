"""The cockpit and the monthly report say whether a value is final or provisional, with the expected
revision band next to provisional values, and the page Datenstände shows the deliveries and the
revisions — on a tiny warehouse of three hand-made deliveries, every number worked out by hand.

Job center J1, coverage from 2020-01. Persons:

  p1  w  ELB from 2020-01-01, open
  p2  m  ELB from 2020-01-01 until 2022-08-31; svb job from 2022-09-01: an integration in 2022-09
         (ELB at ST(2022-08)). Recorded late: the first delivery still has p2's spell open and no job.

Deliveries (dataset.as_of; last month):
  D1 2022-10-01 (2022-09): p2 open, no job
  D2 2022-12-01 (2022-11): the truth
  D3 2023-01-01 (2022-12): the truth — the latest delivery, the cockpit's figures

Data states in D3 (data-contract.md): 2022-12 provisional_0 (as_of < ST(2023-01)), 2022-11
provisional_1, 2022-10 provisional_2, 2022-09 and earlier final (as_of >= ST(M + 3)).

K2 (integrations of the last twelve months / mean ELB stock of the twelve months · 100):
  2022-09 in D1: 0 / 2 = 0 %; in D3: 1 / (23/12) = 52,1739 % (p1 12 months, p2 11 months).
  2022-12 in D3: 1 / (20/12) = 60,0 % (p2 in stock January to August).
Revisions of K2 (insgesamt), per Bezugsmonat with a BA-comparable value (the earliest delivery on
or after ST(M + 3)) and a provisional one (the latest delivery before ST(M + k + 1)):
  2022-09: BA D3 (D2 is before ST(2022-12)); lag 0 and 1: D1: 0 − 52,1739 = −52,17 Pp.;
           lag 2: D2: 52,1739 − 52,1739 = 0.
  2022-08: BA D2 (on or after ST(2022-11)); lag 1 and 2: D1: 0 − 0 = 0 (no integration in
           2021-09 .. 2022-08 in either; the mean stock is 2 in both).
  2022-07: BA D2; lag 2: D1: 0 − 0 = 0.   2022-06: BA D1, no provisional delivery before it.
Bands (5 % and 95 % quantiles, linear interpolation):
  lag 0: {−52,17}          -> −52,2 bis −52,2 Pp. (1 Monat)
  lag 1: {−52,17, 0}       -> −52,17 + 0,05 · 52,17 = −49,6 bis −52,17 + 0,95 · 52,17 = −2,6 Pp. (2 Monate)
  lag 2: {0, 0, 0}         -> 0,0 bis 0,0 Pp. (3 Monate)
"""

from __future__ import annotations

import csv
import subprocess

import pytest
from fastapi.testclient import TestClient

from amip.figures import states
from amip.format import band_label, date_de, signed, state_label
from amip.reports import monthly
from amip.reports.render import monthly_bytes
from amip.warehouse.store import import_dataset
from builder import DataSet
from cockpit_fixture import login

DELIVERIES = [("2022-10-01", "2022-09", False), ("2022-12-01", "2022-11", True), ("2023-01-01", "2022-12", True)]
K2_D3_2022_12 = 1 / (20 / 12) * 100  # 60.0
K2_2022_09 = 1 / (23 / 12) * 100  # 52.1739
LAG0_REVISION = 0 - K2_2022_09  # -52.17


def delivery(last: str, recorded: bool) -> DataSet:
    ds = DataSet("2020-01", last)
    ds.person("p1", "w", "1980-01-01").spell("p1", "J1", "2020-01-01")
    ds.person("p2", "m", "1980-01-01")
    if recorded:
        ds.spell("p2", "J1", "2020-01-01", "2022-08-31").job("p2", "svb", "2022-09-01")
    else:
        ds.spell("p2", "J1", "2020-01-01")
    return ds


def write_delivery(folder, as_of: str, last: str, recorded: bool):
    delivery(last, recorded).write(folder)
    with open(folder / "dataset.csv", "w", newline="") as fh:  # the delivery's day (data contract)
        csv.writer(fh).writerows([["first_month", "last_month", "as_of"], ["2020-01", last, as_of]])
    return folder


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("states")
    db = tmp / "amip.duckdb"
    for as_of, last, recorded in DELIVERIES:
        import_dataset(write_delivery(tmp / f"delivery-{as_of}", as_of, last, recorded), db)
    return db


@pytest.fixture(scope="module")
def store(store_factory, warehouse):
    return store_factory(warehouse)


@pytest.fixture(scope="module")
def cockpit(cockpit_factory, warehouse, store):
    return cockpit_factory(warehouse, store)


@pytest.fixture(scope="module")
def one_delivery(tmp_path_factory, cockpit_factory):
    tmp = tmp_path_factory.mktemp("one")
    db = tmp / "amip.duckdb"
    import_dataset(write_delivery(tmp / "delivery-2023-01-01", "2023-01-01", "2022-12", True), db)
    return cockpit_factory(db)


def client(app, role: str = "co") -> TestClient:
    c = TestClient(app)
    assert login(c, role).status_code == 303
    return c


# ---- the words ------------------------------------------------------------------------------------


def test_state_and_band_wording():
    assert state_label("final", None) == "endgültig"
    assert state_label("provisional_0", "2023-01-01") == "vorläufig (Datenstand 01.01.2023)"
    assert date_de("2023-01-01") == "01.01.2023"
    assert signed(-1.06) == "−1,1" and signed(0.1) == "+0,1" and signed(0.01) == "0,0"
    band = {"mean": -0.5, "p05": -1.06, "p95": 0.1, "months": 24}
    assert band_label(band) == "erwartete Revision −1,1 bis +0,1 Pp. (90\u00a0%, 24 Monate)"
    assert band_label({"p05": 1, "p95": 2, "months": 1}) == "erwartete Revision +1,0 bis +2,0 Pp. (90\u00a0%, 1 Monat)"
    assert band_label(None) == "" and band_label({"p05": 1, "p95": 2, "months": 0}) == ""


# ---- the store's states, as the pages read them ---------------------------------------------------


def test_states_of_the_latest_delivery(store):
    got = {m: states.of_value(store, "J1", "K2", m) for m in ("2022-09", "2022-10", "2022-11", "2022-12")}
    assert {m: s.data_state for m, s in got.items()} == {
        "2022-09": "final",
        "2022-10": "provisional_2",
        "2022-11": "provisional_1",
        "2022-12": "provisional_0",
    }
    assert got["2022-12"].label == "vorläufig (Datenstand 01.01.2023)"
    assert got["2022-09"].label == "endgültig"
    assert got["2022-12"].band_label == "erwartete Revision −52,2 bis −52,2 Pp. (90\u00a0%, 1 Monat)"
    assert got["2022-11"].band_label == "erwartete Revision −49,6 bis −2,6 Pp. (90\u00a0%, 2 Monate)"
    assert got["2022-10"].band_label == "erwartete Revision 0,0 bis 0,0 Pp. (90\u00a0%, 3 Monate)"
    assert got["2022-09"].band_label == ""  # final: no band
    assert store.value("J1", "K2", "2022-12")["value"] == pytest.approx(K2_D3_2022_12)


# ---- Übersicht and Kennzahl --------------------------------------------------------------------------


def test_overview_tiles_say_provisional_with_the_band(cockpit):
    html = client(cockpit).get("/?jc=J1&month=2022-12").text
    assert "Werte für 12/2022" in html
    assert 'class="state state-provisional"' in html
    assert "vorläufig (Datenstand 01.01.2023)" in html
    assert "erwartete Revision −52,2 bis −52,2 Pp. (90\u00a0%, 1 Monat)" in html  # the K2 tile, insgesamt


def test_overview_of_a_final_month_says_final(cockpit):
    html = client(cockpit).get("/?jc=J1&month=2022-06").text
    assert 'class="state state-final"' in html and "endgültig" in html
    assert "vorläufig (Datenstand" not in html and "erwartete Revision −" not in html


def test_figure_page_marks_provisional_months_in_table_and_chart(cockpit):
    html = client(cockpit).get("/kennzahl/K2?jc=J1&month=2022-12").text
    assert "vorläufig (Datenstand 01.01.2023)" in html
    assert "erwartete Revision −52,2 bis −52,2 Pp. (90\u00a0%, 1 Monat)" in html
    # the chart's legend and the hint name the provisional months: 2022-10, 2022-11, 2022-12
    assert "Gestrichelt mit offenen Punkten: vorläufige Werte (3 Monate)" in html
    assert "Datenstand" in html and "<svg" in html
    rows = client(cockpit).get("/kennzahl/K2/zeitreihe.csv?jc=J1&month=2022-12").content.decode("utf-8-sig")
    lines = [ln.split(";") for ln in rows.splitlines()]
    header, body = lines[0], {r[0]: r for r in lines[1:]}
    col = header.index("Datenstand")
    assert body["12/2022"][col] == "vorläufig (Datenstand 01.01.2023)"  # months as the page writes them
    assert body["10/2022"][col] == "vorläufig (Datenstand 01.01.2023)"
    assert body["09/2022"][col] == "endgültig"


def test_api_figures_carry_as_of_and_data_state(cockpit):
    rows = client(cockpit).get("/api/figures?figure=K2&jc=J1&from=2022-09&to=2022-12").json()
    assert [(r["month"], r["data_state"], r["as_of"]) for r in rows] == [
        ("2022-09", "final", "2023-01-01"),
        ("2022-10", "provisional_2", "2023-01-01"),
        ("2022-11", "provisional_1", "2023-01-01"),
        ("2022-12", "provisional_0", "2023-01-01"),
    ]


# ---- Datenstände ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["gf", "co", "tl"])
def test_deliveries_page_for_each_role_allowed(cockpit, role):
    html = client(cockpit, role).get("/datenstaende?jc=J1").text
    for day in ("01.10.2022", "01.12.2022", "01.01.2023"):
        assert day in html
    assert "01/2020 bis 12/2022" in html and "01/2020 bis 09/2022" in html
    assert "Revisionen nach Kennzahl" in html and "Revisionen K2" in html
    assert "<svg" in html  # the revision chart, with its table below
    assert "eine</strong> Datenlieferung" not in html
    assert '<li><a href="/datenstaende">Datenstände</a></li>' in html  # offered: several deliveries


@pytest.mark.parametrize("role", ["ifk", "adm"])
def test_deliveries_page_is_not_for_ifk_and_admin(cockpit, role):
    assert client(cockpit, role).get("/datenstaende", follow_redirects=False).status_code == 403


def test_deliveries_revision_table_by_hand(cockpit):
    text = client(cockpit).get("/datenstaende/verlauf.csv?jc=J1&figure=K2&sex=all").content.decode("utf-8-sig")
    lines = [ln.split(";") for ln in text.splitlines()]
    header, body = lines[0], lines[1:]
    by_lag = {r[header.index("Vorläufiger Wert")]: r for r in body if r[0] == "09/2022"}
    assert set(by_lag) == {"direkt nach dem Monat", "1 Monat danach", "2 Monate danach"}
    rev = header.index("Revision (Pp.)")
    # rounded as the page shows them (two decimals)
    assert float(by_lag["direkt nach dem Monat"][rev].replace(",", ".")) == pytest.approx(LAG0_REVISION, abs=0.005)
    assert float(by_lag["1 Monat danach"][rev].replace(",", ".")) == pytest.approx(LAG0_REVISION, abs=0.005)
    assert float(by_lag["2 Monate danach"][rev].replace(",", ".")) == pytest.approx(0)
    assert by_lag["direkt nach dem Monat"][header.index("Datenstand vorläufig")] == "01.10.2022"
    assert by_lag["2 Monate danach"][header.index("Datenstand vorläufig")] == "01.12.2022"
    assert by_lag["2 Monate danach"][header.index("Datenstand endgültig")] == "01.01.2023"


def test_deliveries_page_with_one_delivery_explains(one_delivery):
    html = client(one_delivery).get("/datenstaende").text
    assert "eine</strong> Datenlieferung" in html
    assert "Was ein Datenstand ist" in html and "01.01.2023" in html
    assert "Revisionen nach Kennzahl" not in html
    assert '<li><a href="/datenstaende">Datenstände</a></li>' not in html  # one delivery: not in the menu


def test_one_delivery_provisional_without_band(one_delivery):
    html = client(one_delivery).get("/kennzahl/K2?jc=J1&month=2022-12").text
    assert "vorläufig (Datenstand 01.01.2023)" in html
    assert "noch keine Revisionsstatistik" in html


# ---- the monthly report ---------------------------------------------------------------------------------


def test_monthly_report_shows_the_band(warehouse, store):
    m = monthly.collect(warehouse, "2022-12", "J1", store=store)
    html = monthly_bytes(m, ".html").decode()
    assert "vorläufig (Datenstand 01.01.2023)" in html
    assert "erwartete Revision −52,2 bis −52,2 Pp. (90\u00a0%, 1 Monat)" in html


def test_monthly_report_pdf_shows_the_band(warehouse, store, tmp_path):
    pdf = tmp_path / "bericht.pdf"
    pdf.write_bytes(monthly_bytes(monthly.collect(warehouse, "2022-12", "J1", store=store), ".pdf"))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    text = " ".join(text.replace("\u2010\n", "").split())  # undo the print's hyphenation and line breaks
    assert "sind vorläufig (Datenstand 01.01.2023)" in text
    assert "erwartete Revision −52,2 bis −52,2 Pp. (90 %, 1 Monat)" in text  # K2
