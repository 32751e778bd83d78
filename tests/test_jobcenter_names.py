"""The contract table ``jobcenters``: validated like every table, stored in the warehouse, and the
source of the job center's name on every page, in every title and select, and in the reports.

Data set of the page and report tests (2020-01 .. 2022-12, no benefits, so both job centers with
spells are home job centers):
  12062  p1 w, p2 m from 2020-01-01; p3 m 2020-01-01 .. 2021-09-30, then svb  -> named
         "Jobcenter Elbe-Elster" in ``jobcenters``
  12066  p4 w from 2020-01-01                                                 -> no row: "Jobcenter 12066"
"""

from __future__ import annotations

import io

import duckdb
import openpyxl
import pytest
from fastapi.testclient import TestClient

from amip.cli import app
from amip.reports import programme
from amip.warehouse.jobcenters import describe, names, short_name
from builder import DataSet, runner
from cockpit_fixture import login


def named() -> DataSet:
    ds = DataSet("2020-01", "2022-12")
    ds.person("p1", "w", "1990-05-01").spell("p1", "12062", "2020-01-01")
    ds.person("p2", "m", "1960-01-01").spell("p2", "12062", "2020-01-01")
    ds.person("p3", "m", "1985-07-15").spell("p3", "12062", "2020-01-01", "2021-09-30")
    ds.job("p3", "svb", "2021-10-01")
    ds.person("p4", "w", "1970-01-01").spell("p4", "12066", "2020-01-01")
    ds.jobcenter("12062", "Jobcenter Elbe-Elster", "Brandenburg", "gE", "Ib")
    return ds


def _import(folder, db):
    return runner.invoke(app, ["import", str(folder), "--db", str(db)])


# ---- validation -------------------------------------------------------------------------------------

JOBCENTERS_CSV = (
    "jobcenter_id,name,land,kind,vergleichstyp\n"
    "12062,Jobcenter Elbe-Elster,Brandenburg,gE,Ib\n"
    "12066,Jobcenter Oberspreewald-Lausitz,Brandenburg,zkT,\n"
)
BAD = [
    (
        "unknown kind",
        (
            "12066,Jobcenter Oberspreewald-Lausitz,Brandenburg,zkT,",
            "12066,Jobcenter Oberspreewald-Lausitz,Brandenburg,Optionskommune,",
        ),
        ["jobcenters.csv", "row 2 (line 3)", "column kind", "'Optionskommune'", "unknown code (allowed: gE, zkT)"],
    ),
    (
        "duplicate id",
        ("12066,Jobcenter Oberspreewald", "12062,Jobcenter Oberspreewald"),
        ["jobcenters.csv", "row 2 (line 3)", "column jobcenter_id", "'12062'", "duplicate key (jobcenter_id)"],
    ),
    (
        "empty name",
        ("12062,Jobcenter Elbe-Elster,", "12062,  ,"),
        ["jobcenters.csv", "row 1 (line 2)", "column name", "value is required"],
    ),
    (
        "missing column",
        ("jobcenter_id,name,land,kind", "jobcenter_id,name,bundesland,kind"),
        ["jobcenters.csv", "column land", "required column is missing"],
    ),
]


@pytest.mark.parametrize("what, edit, expected", BAD, ids=[b[0] for b in BAD])
def test_a_bad_jobcenters_table_is_named_and_nothing_is_imported(tmp_path, what, edit, expected):
    folder = named().write(tmp_path / "data", skip=("jobcenters",))
    old, new = edit
    assert old in JOBCENTERS_CSV
    (folder / "jobcenters.csv").write_text(JOBCENTERS_CSV.replace(old, new, 1), encoding="utf-8")
    res = _import(folder, tmp_path / "wh.duckdb")
    assert res.exit_code == 2, res.output
    text = " ".join(res.output.split())
    for fragment in expected:
        assert fragment in text, f"{fragment!r} not in: {text}"
    assert not (tmp_path / "wh.duckdb").exists()


def test_the_jobcenters_table_is_stored_typed_with_an_empty_vergleichstyp_as_null(tmp_path):
    folder = named().write(tmp_path / "data", skip=("jobcenters",))
    (folder / "jobcenters.csv").write_text(JOBCENTERS_CSV, encoding="utf-8")
    res = _import(folder, tmp_path / "wh.duckdb")
    assert res.exit_code == 0, res.output
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT * FROM jobcenters ORDER BY jobcenter_id").fetchall() == [
            ("12062", "Jobcenter Elbe-Elster", "Brandenburg", "gE", "Ib"),
            ("12066", "Jobcenter Oberspreewald-Lausitz", "Brandenburg", "zkT", None),
        ]
    finally:
        con.close()


# ---- the lookup ---------------------------------------------------------------------------------------


def test_names_come_from_the_table_and_fall_back_to_the_id(tmp_path):
    with_table = tmp_path / "with"
    without = tmp_path / "without"
    assert _import(named().write(with_table / "data"), with_table / "wh.duckdb").exit_code == 0
    assert _import(named().write(without / "data", skip=("jobcenters",)), without / "wh.duckdb").exit_code == 0

    con = duckdb.connect(str(with_table / "wh.duckdb"), read_only=True)
    assert names(con) == {"12062": "Jobcenter Elbe-Elster"}
    assert describe(con, "12062") == "Jobcenter Elbe-Elster"
    assert describe(con, "12066") == "Jobcenter 12066"  # the table has no row for it
    con.close()

    con = duckdb.connect(str(without / "wh.duckdb"), read_only=True)
    assert names(con) == {}
    assert describe(con, "12062") == "Jobcenter 12062"  # no table at all
    con.close()

    # attached under a schema, as the figure store and the reports attach the warehouse
    con = duckdb.connect()
    con.execute(f"ATTACH '{with_table / 'wh.duckdb'}' AS w (READ_ONLY)")
    assert names(con, "w.") == {"12062": "Jobcenter Elbe-Elster"}
    assert names(con) == {}  # the in-memory database itself has no such table
    con.close()

    assert short_name("Jobcenter Elbe-Elster") == "Elbe-Elster"
    assert short_name("Jobcenter 12066") == "12066"
    assert short_name("Kommunales Jobcenter Oberhavel") == "Kommunales Jobcenter Oberhavel"


# ---- pages, downloads, reports ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def warehouse(warehouse_factory):
    return warehouse_factory(named(), "names")


@pytest.fixture(scope="module")
def client(cockpit_factory, warehouse):
    app_ = cockpit_factory(warehouse)
    with TestClient(app_) as c:
        assert login(c, "co").status_code == 303
        yield c


def test_pages_name_the_job_center_from_the_table(client):
    html = client.get("/?jc=12062&month=2022-12").text
    assert "<h1>Übersicht – Jobcenter Elbe-Elster, 12/2022</h1>" in html
    assert "<title>Übersicht – Jobcenter Elbe-Elster – amip</title>" in html
    assert "Jobcenter 12062" not in html
    # the select names both job centers and keeps the id as the value sent
    assert '<option value="12062" selected>Jobcenter Elbe-Elster</option>' in html
    assert '<option value="12066" >Jobcenter 12066</option>' in html
    other = client.get("/?jc=12066&month=2022-12").text
    assert "<h1>Übersicht – Jobcenter 12066, 12/2022</h1>" in other

    for path, heading in (
        ("/kennzahl/K2?jc=12062&month=2022-12", "K2: "),
        ("/budget?jc=12062", "Budget "),
        ("/berichte?jc=12062", "Berichte – Jobcenter Elbe-Elster"),
    ):
        page = client.get(path)
        assert page.status_code == 200, (path, page.status_code)
        h1 = page.text.split("<h1>", 1)[1].split("</h1>", 1)[0]
        assert h1.startswith(heading) and "Jobcenter Elbe-Elster" in h1, (path, h1)
        assert "Jobcenter 12062" not in page.text, path
    # a table download keeps header and rows; its document title (the caption) names the job center
    book = openpyxl.load_workbook(io.BytesIO(client.get("/uebersicht.xlsx?jc=12062&month=2022-12").content))
    assert book.properties.title.startswith("Alle Kennzahlen nach § 48a SGB II, Jobcenter Elbe-Elster, ")
    # the ranking of the comparison page lists names, the id beside them
    ranking = client.get("/vergleich?jc=12062&month=2022-12&figure=K1E2").text
    assert '<h2 id="score-h">Scoreboard Jobcenter Elbe-Elster</h2>' in ranking
    assert '<td class="text">Jobcenter Elbe-Elster</td><td class="text">12062</td>' in ranking
    assert '<td class="text">Jobcenter 12066</td><td class="text">12066</td>' in ranking


def test_the_reports_name_the_job_center_from_the_table(client, warehouse):
    html = client.get("/berichte/programm.html?jc=12062&year=2022").text
    assert 'des Jobcenters <span class="jobcenter-name">Elbe-Elster</span> für das Jahr' in html
    assert "3 Ziele im Jobcenter Elbe-Elster" in html
    assert "Jobcenter 12062" not in html
    monthly = client.get("/berichte/monatsbericht.html?jc=12062&month=2022-12").text
    assert 'Jobcenter <span class="jobcenter-name">Elbe-Elster</span> – Berichtsmonat' in monthly
    sheet = openpyxl.load_workbook(io.BytesIO(client.get("/berichte/programm.xlsx?jc=12062&year=2022").content))
    first = sheet.worksheets[0]
    assert first.cell(1, 1).value.startswith("Arbeitsmarkt- und Integrationsprogramm 2022, Jobcenter Elbe-Elster – ")
    # without a row in the table: the id, as before
    assert programme.collect(warehouse, 2022, "12066").jobcenter_name == "12066"
    assert programme.collect(warehouse, 2022, "12062").jobcenter_name == "Elbe-Elster"
