"""The programme document and the monthly report: a hand-made job center, every expected number
worked out by hand below, written through the real CLI (PDF via WeasyPrint), read back with
pdftotext, pages rendered with pdftoppm (saved to test-artifacts/reports/ for a human to look at).

Job center J1, data 2020-01 .. 2022-12, programme for Y = 2022 (Ist = 2021):

  p1 w 1990-05-01  ELB 2020-01-01 ..          prognosis marktnah (25-54)   minijob (gb, 300 €) from 2020-03-01
  p2 m 1960-01-01  ELB 2020-01-01 ..          prognosis nicht_marktnah (55+)
  p3 m 1985-07-15  ELB 2020-01-01 .. 2021-09-30, no prognosis (X), svb job from 2021-10-01 -> integration 2021-10

  ELB JDW 2021 = (12 + 12 + 9) / 12 = 2,75 (w 1, m 1,75); integrations 2021 = 1 (m)
  quota 2021 = 1 / 2,75 = 36,36 -> "36,4"; w 0 / 1 = "0,0"; m 1 / 1,75 = 57,14 -> "57,1"
  LZB Dec 2021 = p1, p2 (731 days of receipt) = 2; LZB is known only from ST(2021-12) (730 days after
     2020-01-01), so the LZB annual average (JDW, S6) of 2021, the basis of the LZB target, is unknown ("–")
  plan 2022 (agreed): integrations 2 (w 1, m 1), ELB 2,5 (w 1, m 1,5), LZB 1
     quota plan = 2 / 2,5 = "80,0"; change vs Ist = 80 / 36,36 - 1 = +120,0 %; LZB Ist unknown -> no change
  extended monitoring Dec 2021 (S3-S5): S3 needs 2019-10, S5 four years: not covered; S4 has no
     integration in 2020-10 .. 2021-09 -> all "–"
  P1J 2021: marktnah 1 (36,4 %), nicht marktnah 1 (36,4 %), other = X 0,75 (27,3 %)
  E1 May 2021: erwerbstätig 1 (p1, <= 450 €) of 3 ELB in May 2021 -> 33,3 % of ELB
  budget: the seed's 2021/2022 amounts -> -633.487 / -7,8; -836.905 / -12,8; -1.470.392 / -10,0
  EGL plan 2022: FBW 3.000.000, MAT 1.894.095, AGH 500.000, TAM 300.000 -> 2nd labour market
     800.000 / 5.694.095 = 14,05 % -> "14,0"
  spending 2021: FBW 9.000 (Jan-Mar) + AGH 3.000 (Jun 16 - Jul 15: 1.500 each) = 12.000;
     first half 10.500 -> "87,5" %; 2nd labour market 3.000 -> "25,0" %
  BG (with an ELB): p1 and p2 share bgA, p3 alone: JDW 2021 = (12 + 9) / 12 = 1,75 -> "2"
  indicators 2021: fehlerquote_kdu 2,0 (Jan-Jun) and 4,0 (Jul-Dec) -> JDW "3,0"

Target groups (chapter 5.3, December 2021; ELB at ST(2021-12) = p1, p2; integrations 2021 take the
person's attributes at ST(m-1): p3's integration 2021-10 at ST(2021-09), when p3 was still ELB):
  Alleinerziehende = p1 (single parent in bgA): 1 (w 1, m 0), 50,0 % of 2 ELB, JDW 1,0, quota 0,0
  Schwerbehinderte = p2: 1 (w 0, m 1), JDW 1,0, quota 0,0
  ohne Berufsabschluss = p1 (Dec) and p3 (Jan-Sep): 1, JDW (12 + 9) / 12 = 1,75 -> "1,8",
     integrations 1 (p3) -> 1 / 1,75 = 57,1 %; men (p3): 1 / 0,75 = 133,3 %
  Geflüchtete = p3: 0 in December, JDW 0,75 -> "0,8", 1 integration -> 133,3 %; in a measure in
     December: nobody (the measures ended 2021-03 and 2021-07) -> 0,0 % (Geflüchtete: no stock, "–")

Monthly report 12/2022 (the one delivery is as of 01.01.2023: 10/2022 - 12/2022 are provisional):
  K1 = LLU / LLU 12 months before - 1: 2021 800 / 800 -> 0,0; 2022 900 / 800 -> 12,5 %, from 01/2021
     (K1 of 2020 has no month twelve months before); K2 12/2022 = 0 integrations in 2022 -> 0,0;
     K3 12/2022 = LZB 2 / 2 - 1 = 0,0, the only K3 month (LZB is known from 12/2021 on)
  teams (plans 2022: T1 agreed 1 / ELB 2 / LZB 2, T2 draft 1): no integration in 2022 -> Ist 0;
     seasonal profile from 2021 only (2020 had none): all of it in October -> Soll 12/2022 = 1,0,
     Zielerreichung 0,0 %, December: probability 0 -> "nicht im Plan"; T1 ELB and LZB averages
     2,0 (p1, p2) are 1-2 persons -> "*" for the Geschäftsführung, T2's 0 is the secondary cell "*"
  data quality: one finding, DQ05 for p2 (nicht marktnah without integration goal) at ST(2022-12)
     -> open 1 -> "*", new in 12/2022 "*"; every other rule 0
  intensive care: c1 (T1) takes p1 on 01.03.2022 (place until 31.08.2022): 1 IFK, 5 places 2022,
     1 taken -> "*"; meetings 01.03. (due that day) and 20.04. (due 01.04. + 7 days: late) ->
     2 meetings, 50,0 % on time; on 31.12.2022 the place is over: 0 running, 0 overdue; cohort
     03/2022 with 1 place -> "*", no candidate left to compare -> "–"
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from amip.cli import app
from amip.planning import plans
from amip.reports import texts as tx
from amip.state.db import open_state, state_url
from amip.worklists import intensive as ic
from builder import DataSet, import_into, runner

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "reports"
CHAPTER_TITLES = [
    "Präambel",
    "1 Grundsicherung für Arbeitsuchende im Landkreis",
    "2 Angebot und Nachfrage auf dem Arbeitsmarkt",
    "3 Ziele im Jobcenter J1",
    "4 Ressourcen",
    "5 Operative Schwerpunkte und geschäftspolitische Handlungsfelder",
    "6 Rechtmäßigkeit und Qualität der operativen Umsetzung sicherstellen",
    "7 Zusammenarbeit mit den Trägern des Jobcenters J1",
    "8 Schlussbemerkungen",
]


def report_dataset() -> DataSet:
    ds = DataSet("2020-01", "2022-12")
    ds.person("p1", "w", "1990-05-01", vocational_qualification=False).spell(
        "p1", "J1", "2020-01-01", bg="bgA", single_parent=True
    ).prognosis("p1", "2020-01-01", "marktnah", True)
    ds.job("p1", "gb", "2020-03-01", gross=300)
    ds.person("p2", "m", "1960-01-01", severely_disabled=True, vocational_qualification=True).spell(
        "p2", "J1", "2020-01-01", bg="bgA"
    ).prognosis("p2", "2020-01-01", "nicht_marktnah")
    ds.person("p3", "m", "1985-07-15", refugee=True, vocational_qualification=False).spell(
        "p3", "J1", "2020-01-01", "2021-09-30"
    )
    ds.job("p3", "svb", "2021-10-01", gross=2500)
    # teams: p1 and p2 with caseworker c1 in team T1, p3 with c2 in team T2 until the end of receipt
    ds.caseload("p1", "c1", "T1", "O1", "2020-01-01").caseload("p2", "c1", "T1", "O1", "2020-01-01")
    ds.caseload("p3", "c2", "T2", "O1", "2020-01-01", "2021-09-30")
    # Regelbedarf of bgA (K1): 800 € a month in 2020 and 2021, 900 € in 2022
    for y, amount in ((2020, 800), (2021, 800), (2022, 900)):
        for k in range(1, 13):
            ds.benefit("J1", "bgA", f"{y}-{k:02d}", "RB", amount)
    ds.budget("J1", 2021, "VK", "zuteilung", 8118736).budget("J1", 2021, "EGL", "zuteilung", 6531000)
    ds.budget("J1", 2022, "VK", "schaetzung", 7485249).budget("J1", 2022, "EGL", "schaetzung", 5694095)
    for inst, amount in (("FBW", 3000000), ("MAT", 1894095), ("AGH", 500000), ("TAM", 300000)):
        ds.budget("J1", 2022, "EGL", "plan", amount, inst)
    ds.measure("p1", "J1", "FBW", "2021-01-01", "2021-03-31", 9000)
    ds.measure("p2", "J1", "AGH", "2021-06-16", "2021-07-15", 3000)
    for k in range(1, 13):
        ds.indicator("J1", f"2021-{k:02d}", "fehlerquote_kdu", 2.0 if k <= 6 else 4.0)
    return ds


def make(tmp: Path, plan: bool = True) -> Path:
    db = import_into(report_dataset(), tmp)
    if plan:
        factory = open_state(url=state_url(db))
        with factory.begin() as s:
            p = plans.save_plan(
                s,
                2022,
                "J1",
                None,
                {
                    "all": {"integrations": 2, "elb_jdw": 2.5, "lzb_jdw": 1},
                    "w": {"integrations": 1, "elb_jdw": 1},
                    "m": {"integrations": 1, "elb_jdw": 1.5},
                },
                "test",
            )
            plans.agree(s, p.id, "test")
            # team plans 2022: T1 agreed (integrations 1, ELB 2, LZB 2), T2 a draft (integrations 1)
            t1 = plans.save_plan(s, 2022, "J1", "T1", {"all": {"integrations": 1, "elb_jdw": 2, "lzb_jdw": 2}}, "test")
            plans.agree(s, t1.id, "test")
            plans.save_plan(s, 2022, "J1", "T2", {"all": {"integrations": 1}}, "test")
            # intensive care: c1 takes p1 on 01.03.2022; meetings 01.03. (due that day: on time) and
            # 20.04. (due 01.04., more than 7 days late)
            place = ic.take(
                s,
                candidate={"jobcenter_id": "J1", "person_id": "p1", "team": "T1"},
                caseworker_id="c1",
                user_name="ifk",
                role="ifk",
                today=dt.date(2022, 3, 1),
            )
            for day in (dt.date(2022, 3, 1), dt.date(2022, 4, 20)):
                ic.record_meeting(
                    s,
                    place,
                    date=day,
                    situation="Gespräch",
                    agreed_steps="Bewerbungen",
                    review_of_previous="Bewerbungen geschrieben",
                    integrated=False,
                    further_support_needed=None,
                    user_name="ifk",
                    role="ifk",
                )
        factory.kw["bind"].dispose()
        res = runner.invoke(app, ["dqm", "run", "--db", str(db)], env={"AMIP_SMTP_HOST": ""})
        assert res.exit_code == 0, res.output
    return db


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reports")
    db = make(tmp)
    out = {}
    for suffix in ("pdf", "html", "xlsx"):
        path = tmp / f"programm.{suffix}"
        res = runner.invoke(app, ["report", "programme", "--year", "2022", "--db", str(db), "--out", str(path)])
        assert res.exit_code == 0, res.output
        out[suffix] = path
    out["db"] = db
    return out


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


def squeeze(text: str) -> str:
    return " ".join(text.split())


def test_pdf_has_every_chapter_and_a_table_of_contents(written):
    text = squeeze(pdf_text(written["pdf"]))
    assert "Inhaltsverzeichnis" in text
    for title in CHAPTER_TITLES:
        assert text.count(title) >= 2, title  # in the table of contents and as the heading
    assert "{{" not in text and "@@amip" not in text and "}}" not in text


def test_pdf_tables_hold_the_hand_computed_values(written):
    t = squeeze(pdf_text(written["pdf"]))
    # Kennzahlen Ist 2021 / Plan 2022: integrations 1 -> 2 (+100,0 %); quota 36,4 -> 80,0 (+120,0 %)
    assert "Integrationen 1 2 100,0" in t
    assert "Integrationsquote 36,4 80,0 120,0" in t
    assert "dav. Männer 57,1 66,7" in t  # 1 / 1,5 = 66,67
    # LZB table (annual averages): Ist 2021 unknown, Plan 2022 1, no change
    assert "Ist 2021 –" in t and "Plan 2022 1" in t and "Ist/Ist in % –" in t
    # the LZB of December is still reported (K3 family table), beside the unknown JDW
    assert "LZB), Jahresdurchschnitt –" in t and "LZB), Dezember 2" in t
    # chapter 3.1: the 2020 programme's extended monitoring, here not computable
    assert "Dieses erweiterte Monitoring wird 2022 fortgesetzt" in t
    assert "Nachhaltige Integrationen (%) – – –" in t
    # budget (seed amounts)
    assert "Verwaltungskosten (VK) 8.118.736 7.485.249 -633.487 -7,8" in t
    assert "Eingliederungsleistungen (EGL) 6.531.000 5.694.095 -836.905 -12,8" in t
    assert "Gesamtbudget 14.649.736 13.179.344 -1.470.392 -10,0" in t
    # prognosis table: "Sonstige" = X only, 0,75 -> 1 person, 27,3 %
    # (long row labels may wrap in the PDF: the label's last word can follow the numbers)
    assert re.search(r"X Fehlende (Werte )?1 27,3", t)
    # marktnah: p1 (w, 25-54) -> cells u25 m/w 0 0, 25-54 m/w 0 1, 55+ m/w 0 0
    assert re.search(r"Kunden mit (Integrationsprognose )?1 36,4 0 0 0 1 0 0", t)
    # nicht marktnah: p2 (m, 55+)
    assert re.search(r"Kunden mit (Integrationsprognose )?(„nicht )?1 36,4 0 0 0 0 1 0", t)
    # E1 and communal targets
    assert re.search(r"Kosten der Unterkunft: Fehlerquote (\(%\) )?3,0", t)
    # the prose (same HTML as the PDF; in the PDF words may be hyphenated across lines)
    h = squeeze(written["html"].read_text(encoding="utf-8"))
    assert "2. Arbeitsmarkt sind 14,0 Prozent" in h
    assert "87,5 Prozent der Ausgaben auf das erste Halbjahr" in h
    assert "36,4 Prozent in der Integrationsprognose „nicht marktnah“" in h
    assert "1 ELB erwerbstätig (33,3 % aller ELB)" in h
    assert "Die Zielplanung 2022 ist vereinbart." in h
    assert "in rund 2 Bedarfsgemeinschaften" in h


def test_pdf_pages_render_and_are_not_blank(written, tmp_path):
    from PIL import Image

    prefix = tmp_path / "page"
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(written["pdf"]), str(prefix)], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) >= 10  # cover, contents, nine chapters (some on more than one page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("programme-*.png"):
        old.unlink()
    for i, page in enumerate(pages, 1):
        shutil.copy(page, ARTIFACTS / f"programme-{i:02d}.png")
        img = Image.open(page).convert("L")
        dark = sum(img.histogram()[:200])  # pixels darker than light grey
        assert dark > 200, f"page {i} looks blank"


def test_xlsx_has_one_sheet_per_table_with_numeric_cells(written):
    import openpyxl

    wb = openpyxl.load_workbook(written["xlsx"])
    assert {"budget", "kennzahlen", "prognose", "erwerbstaetige", "egl_plan"} <= set(wb.sheetnames)
    ws = wb["budget"]
    values = [[c.value for c in row] for row in ws.iter_rows()]
    vk = next(r for r in values if r[0] == "Verwaltungskosten (VK)")
    assert vk[1:4] == [8118736, 7485249, -633487]
    assert isinstance(vk[1], (int, float))
    assert round(vk[4], 2) == -7.80


def test_html_has_no_placeholder_left(written):
    html = written["html"].read_text(encoding="utf-8")
    assert "{{" not in html and "{%" not in html and "@@amip" not in html
    assert "<img" in html and "data:image/svg+xml;base64," in html  # the charts


def test_without_a_plan_the_ziele_chapter_says_so(tmp_path):
    db = make(tmp_path, plan=False)
    out = tmp_path / "p.html"
    res = runner.invoke(app, ["report", "programme", "--year", "2022", "--db", str(db), "--out", str(out)])
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    assert "Für 2022 liegt noch keine Zielplanung vor" in html
    assert "Die Zielplanung 2022 ist noch nicht erfasst." in html


def test_unknown_placeholder_is_an_error_naming_chapter_and_name():
    with pytest.raises(tx.TextError, match="Kapitel „ziele“: unbekannter Platzhalter „gibt_es_nicht“"):
        tx.render_markdown("ziele", "Text {{ gibt_es_nicht }}", {"jahr": "2022"}, {}, {})
    with pytest.raises(tx.TextError, match="unbekannte Tabelle „nope“"):
        tx.render_markdown("ziele", '{{ tabelle("nope") }}', {}, {"budget": "<table></table>"}, {})
    with pytest.raises(tx.TextError, match="unbekannter Platzhalter „foo“"):
        tx.check_syntax("ressourcen", "{{ foo }} und {{ jahr }}")
    # the sandbox refuses attribute tricks
    with pytest.raises(tx.TextError):
        tx.render_markdown("ziele", "{{ jahr.__class__.__mro__ }}", {"jahr": "2022"}, {}, {})


def test_default_texts_use_only_known_placeholders_and_the_programme_fills_them(written):
    from amip.reports import programme

    for chapter in tx.CHAPTER_KEYS:
        tx.check_syntax(chapter, tx.default_text(chapter))
    p = programme.collect(written["db"], 2022)
    assert set(p.context) == set(tx.PLACEHOLDERS)
    # "Stand" is the data's Datenstand (the delivery after 12/2022), never the machine's date
    assert p.stand == "01.01.2023"


def test_texts_export_edit_import_round_trip(written, tmp_path):
    db = written["db"]
    folder = tmp_path / "texte"
    res = runner.invoke(app, ["report", "texts", "export", str(folder), "--year", "2022", "--db", str(db)])
    assert res.exit_code == 0, res.output
    assert sorted(p.stem for p in folder.glob("*.md")) == sorted(tx.CHAPTER_KEYS)
    (folder / "schlussbemerkungen.md").write_text("Herzberg, im Dezember {{ vorjahr }}.\n", encoding="utf-8")
    (folder / "praeambel.md").write_text("Kaputt {{ unbekannt }}\n", encoding="utf-8")
    res = runner.invoke(
        app, ["report", "texts", "import", str(folder), "--year", "2022", "--user", "co", "--db", str(db)]
    )
    assert res.exit_code == 1 and "unbekannter Platzhalter „unbekannt“" in squeeze(res.output)
    (folder / "praeambel.md").write_text(tx.default_text("praeambel"), encoding="utf-8")
    res = runner.invoke(
        app, ["report", "texts", "import", str(folder), "--year", "2022", "--user", "co", "--db", str(db)]
    )
    assert res.exit_code == 0, res.output
    out = tmp_path / "p.html"
    assert (
        runner.invoke(app, ["report", "programme", "--year", "2022", "--db", str(db), "--out", str(out)]).exit_code == 0
    )
    assert "Herzberg, im Dezember 2021." in out.read_text(encoding="utf-8")
    from amip.state import audit

    factory = open_state(url=state_url(db))
    with factory.begin() as s:
        assert any(
            e.action == "report_text_edit" and "schlussbemerkungen" in (e.detail or "")
            for e in audit.entries(s, action="report_text_edit")
        )
        tx.reset_text(s, 2022, "J1", "schlussbemerkungen")  # leave the module's data as it was
        for ch in tx.CHAPTER_KEYS:
            tx.reset_text(s, 2022, "J1", ch)
    factory.kw["bind"].dispose()


def test_cli_errors_are_clear(written, tmp_path):
    db = written["db"]
    res = runner.invoke(
        app, ["report", "programme", "--year", "2020", "--db", str(db), "--out", str(tmp_path / "x.pdf")]
    )
    assert res.exit_code == 1 and "year 2020 not covered" in squeeze(res.output)
    res = runner.invoke(
        app,
        [
            "report",
            "programme",
            "--year",
            "2022",
            "--jobcenter",
            "J9",
            "--db",
            str(db),
            "--out",
            str(tmp_path / "x.pdf"),
        ],
    )
    assert res.exit_code == 1 and "unknown job center 'J9'" in squeeze(res.output)
    res = runner.invoke(
        app, ["report", "programme", "--year", "2022", "--db", str(db), "--out", str(tmp_path / "x.docx")]
    )
    assert res.exit_code == 2 and "unknown format" in squeeze(res.output)
    assert not list(tmp_path.glob("x.*"))


@pytest.fixture(scope="module")
def monthly(written, tmp_path_factory):
    """The monthly report 06/2022 as PDF (months given as the pages write them) (read back as text, checked as PDF/UA) and 12/2022 as HTML
    (the same HTML the PDF is made of; no layout needed to read its tables and alt texts)."""
    tmp = tmp_path_factory.mktemp("monthly")
    out = {"pdf": tmp / "m.pdf", "html": tmp / "m.html"}
    for month, path in (("06/2022", out["pdf"]), ("12/2022", out["html"])):
        res = runner.invoke(
            app, ["report", "monthly", "--month", month, "--db", str(written["db"]), "--out", str(path)]
        )
        assert res.exit_code == 0, res.output
    return out


def html_text(path: Path) -> str:
    return squeeze(re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8")).replace("&#34;", '"'))


def test_monthly_report(written, monthly, tmp_path):
    out = monthly["pdf"]
    t = squeeze(pdf_text(out))
    assert "Controllingbericht" in t and "Juni 2022" in t and "Stand: 01.01.2023" in t
    assert "Zielnachhaltung 2022" in t  # the agreed plan is tracked
    assert "K2 Integrationsquote" in t
    # the extended monitoring in 2022-06: S6 2022 = p1, p2 at every Stichtag = 2,0 (w 1, m 1);
    # S4: integrations 2021-04 .. 2022-03 = p3 (2021-10, m), out of receipt at ST(2021-11 .. 2022-01)
    # -> 100 % (w: no integration, "–"); S3: no integration in 2020-07 .. 2021-06 -> "–"
    assert "Erweitertes Monitoring" in t and "S6 LZB im Jahresdurchschnitt 2,0 1,0 1,0" in t
    assert "S4 Bedarfsdeckende Integrationen (%) 100,0 – 100,0" in t
    assert "S3 Nachhaltige Integrationen (%) – – –" in t
    # Integrations Jan-Jun 2022: none; same months 2021: none
    assert "Integrationen Januar bis Juni 2022" in t
    res = runner.invoke(
        app, ["report", "monthly", "--month", "1999-01", "--db", str(written["db"]), "--out", str(tmp_path / "y.pdf")]
    )
    assert res.exit_code == 1 and "not covered" in squeeze(res.output)


# ---- cockpit: downloads and text editing ---------------------------------------------------------


@pytest.fixture(scope="module")
def cockpit(cockpit_factory, warehouse_factory):
    db = warehouse_factory(name="reports_cockpit")
    return cockpit_factory(db), db


def _client(application, role):
    from fastapi.testclient import TestClient

    from cockpit_fixture import login

    c = TestClient(application)
    assert login(c, role).status_code == 303
    return c


def test_cockpit_download_returns_a_pdf(cockpit):
    application, _ = cockpit
    c = _client(application, "gf")
    r = c.get("/berichte/programm.pdf?jc=J1&year=2022")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    r = c.get("/berichte/monatsbericht.pdf?jc=J1&month=2022-12")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    page = c.get("/berichte?jc=J1&year=2022")
    assert "/berichte/programm.pdf?jc=J1&amp;year=2022" in page.text


def test_cockpit_text_edit_is_checked_stored_and_audited(cockpit):
    from amip.state import audit
    from cockpit_fixture import csrf_of

    application, db = cockpit
    c = _client(application, "co")
    page = c.get("/berichte/text?jc=J1&year=2022&chapter=schlussbemerkungen")
    assert page.status_code == 200 and "Vorschau" in page.text
    token = csrf_of(page.text)
    form = {"csrf_token": token, "jc": "J1", "year": "2022", "chapter": "schlussbemerkungen"}
    bad = c.post("/berichte/text", data={**form, "markdown": "Gruß {{ nicht_da }}"}, follow_redirects=False)
    assert bad.status_code == 400 and "nicht_da" in bad.text
    ok = c.post(
        "/berichte/text", data={**form, "markdown": "Elsterwerda, im Dezember {{ vorjahr }}."}, follow_redirects=False
    )
    assert ok.status_code == 303
    html = c.get("/berichte/programm.html?jc=J1&year=2022").text
    assert "Elsterwerda, im Dezember 2021." in html
    with application.state.sessions.begin() as s:
        edits = audit.entries(s, action="report_text_edit")
        assert len(edits) == 1 and edits[0].user_name == "co" and "schlussbemerkungen" in edits[0].detail
        assert tx.stored_texts(s, 2022, "J1")["schlussbemerkungen"].markdown.startswith("Elsterwerda")
    reset = c.post("/berichte/text", data={**form, "action": "reset"}, follow_redirects=False)
    assert reset.status_code == 303
    with application.state.sessions.begin() as s:
        assert "schlussbemerkungen" not in tx.stored_texts(s, 2022, "J1")
        assert len(audit.entries(s, action="report_text_reset")) == 1
    # a team lead may download but not edit
    tl = _client(application, "tl")
    assert tl.get("/berichte/text?jc=J1&year=2022&chapter=ziele").status_code == 403


def test_xlsx_keeps_quotas_numeric(written):
    import openpyxl

    ws = openpyxl.load_workbook(written["xlsx"])["kennzahlen"]
    rows = {r[0].value: [c.value for c in r[1:]] for r in ws.iter_rows(min_row=4) if r[0].value}
    # quota Ist 2021 = 1 / 2,75 * 100 = 36,36 %; plan 2 / 2,5 = 80 %
    assert rows["Integrationsquote"][0] == pytest.approx(100 / 2.75)
    assert rows["Integrationsquote"][1] == pytest.approx(80.0)
    assert rows["Integrationen"][:2] == [1, 2]


def test_seed_kennzahlen_table_recomputed_to_the_printed_digit():
    """AMIP 2022, 3.1: Ist 2021 / Plan 2022 from the seed's counts; quotas = integrations / ELB · 100,
    changes from the unrounded values (the seed prints -1,2 % for the quota, -6,9 % for LZB)."""
    import re as _re

    from amip.reports.programme import target_tables

    def values(ints, elb, lzb=None):
        return {"integrations": ints, "elb_jdw": elb, "quota": ints / elb * 100, "lzb_jdw": lzb}

    ist = {"all": values(1024, 4554, 3256), "w": values(399, 2178), "m": values(625, 2376)}
    plan = {"all": values(940, 4230, 3031), "w": values(399, 1985), "m": values(541, 2245)}
    kz, lzb = target_tables(ist, plan, 2022, "agreed")
    text = squeeze(_re.sub(r"<[^>]+>", " ", str(kz.html())))
    # 1024 / 4554 = 22,486; 940 / 4230 = 22,222; (22,222 - 22,486) / 22,486 = -1,17 %
    assert "Integrationsquote 22,5 22,2 -1,2" in text
    assert "dav. Frauen 18,3 20,1" in text  # 399 / 2178 = 18,32; 399 / 1985 = 20,10
    assert "dav. Männer 26,3 24,1" in text  # 625 / 2376 = 26,30; 541 / 2245 = 24,10
    assert "Integrationen 1.024 940 -8,2" in text  # (940 - 1024) / 1024 = -8,20 %
    assert "ELB 4.554 4.230 -7,1" in text  # (4230 - 4554) / 4554 = -7,11 %
    ltext = squeeze(_re.sub(r"<[^>]+>", " ", str(lzb.html())))
    assert "Ist 2021 3.256 Plan 2022 3.031 Ist/Ist in % -6,9" in ltext  # -225 / 3256 = -6,91 %


def _pdfua_problems(path: Path) -> list[str]:
    """The PDF/UA-1 requirements a reader can check in the file itself (Matterhorn protocol, the
    machine-checkable part): tagged, a structure tree whose figures all carry alt text and whose
    tables have header cells, the document language, a title shown in the viewer, the PDF/UA
    identification in the XMP metadata."""
    import pikepdf

    problems = []
    with pikepdf.open(path) as pdf:
        root = pdf.Root
        if not bool(root.get("/MarkInfo", {}).get("/Marked", False)):
            problems.append("not marked as tagged (/MarkInfo /Marked)")
        if str(root.get("/Lang", "")) != "de":
            problems.append(f"document language {root.get('/Lang')!r}, not 'de'")
        if not bool(root.get("/ViewerPreferences", {}).get("/DisplayDocTitle", False)):
            problems.append("the viewer does not show the title (/DisplayDocTitle)")
        if not str(pdf.docinfo.get("/Title", "")).strip():
            problems.append("no document title")
        with pdf.open_metadata() as meta:
            if meta.get("pdfuaid:part") != "1":
                problems.append("no PDF/UA identification (pdfuaid:part) in the XMP metadata")
        tree = root.get("/StructTreeRoot")
        if tree is None:
            return [*problems, "no structure tree"]
        kinds: dict[str, int] = {}
        stack = [tree]
        while stack:
            node = stack.pop()
            if isinstance(node, pikepdf.Dictionary):
                kind = str(node.get("/S", ""))
                kinds[kind] = kinds.get(kind, 0) + 1
                if kind == "/Figure" and not str(node.get("/Alt", "")).strip():
                    problems.append("a figure without alt text")
                kids = node.get("/K")
                if isinstance(kids, pikepdf.Array):
                    stack.extend(kids)
                elif isinstance(kids, pikepdf.Dictionary):
                    stack.append(kids)
        headings: list[int] = []

        def walk(node) -> None:  # document order: the headings' levels as a reader meets them
            if isinstance(node, pikepdf.Dictionary):
                kind = str(node.get("/S", ""))
                if re.fullmatch(r"/H[1-6]", kind):
                    headings.append(int(kind[2]))
                node = node.get("/K")
            if isinstance(node, pikepdf.Array):
                for kid in node:
                    walk(kid)
            elif isinstance(node, pikepdf.Dictionary):
                walk(node)

        walk(tree)
        skips = [(a, b) for a, b in zip(headings, headings[1:]) if b > a + 1]
        if not headings or headings[0] != 1 or skips:
            problems.append(f"headings out of order (first {headings[:1]}, skipped levels {skips[:3]})")
        # every data cell names its header cells (/Headers to the header cells' /ID: how WeasyPrint
        # ties a table together, the alternative PDF/UA allows to /Scope on the header cells)
        nodes = _nodes(tree, pikepdf)
        ids = {str(n.get("/ID")) for n in nodes if str(n.get("/S", "")) == "/TH" and n.get("/ID") is not None}
        for td in (n for n in nodes if str(n.get("/S", "")) == "/TD"):
            attrs = td.get("/A")
            headers = attrs.get("/Headers") if isinstance(attrs, pikepdf.Dictionary) else None
            if not headers or not all(str(h) in ids for h in headers):
                problems.append("a table data cell without its header cells (/Headers)")
                break
        for needed in ("/H1", "/P", "/Table", "/TH", "/TD"):
            if not kinds.get(needed):
                problems.append(f"no {needed[1:]} element in the structure tree")
    return problems


def test_programme_and_monthly_report_pdfs_are_tagged_pdf_ua(written, monthly):
    for path in (written["pdf"], monthly["pdf"]):
        info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
        assert "Tagged:          yes" in info, path.name
        assert _pdfua_problems(path) == [], path.name


def _nodes(tree, pikepdf) -> list:
    out, stack = [], [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, pikepdf.Dictionary):
            out.append(node)
            node = node.get("/K")
        if isinstance(node, pikepdf.Array):
            stack.extend(node)
        elif isinstance(node, pikepdf.Dictionary):
            stack.append(node)
    return out


# ---- issue 15: the monthly report's charts, teams, data quality and intensive care; chapter 5.3 ----


def test_monthly_report_has_the_k1_k3_charts_teams_data_quality_and_intensive_care(monthly):
    html = monthly["html"].read_text(encoding="utf-8")
    alts = re.findall(r'<img alt="([^"]+)"', html)
    assert (
        "Liniendiagramm K1: Leistungen zum Lebensunterhalt, Werte in Prozent von 01/2021 bis 12/2022, "
        "Insgesamt 12/2022: 12,5 %; 3 Monate vorläufig (ab 10/2022, gestrichelt, offene Punkte)"
    ) in alts
    assert (
        "Liniendiagramm K2: Integrationsquote, Werte in Prozent von 02/2021 bis 12/2022, Insgesamt 12/2022: 0,0 %, "
        "Frauen 12/2022: 0,0 %, Männer 12/2022: 0,0 %; 3 Monate vorläufig (ab 10/2022, gestrichelt, offene Punkte)"
    ) in alts
    assert (
        "Liniendiagramm K3: Langzeitleistungsbeziehende, Werte in Prozent von 12/2022 bis 12/2022, Insgesamt "
        "12/2022: 0,0 %, Frauen 12/2022: 0,0 %, Männer 12/2022: 0,0 %; 1 Monat vorläufig (ab 12/2022, "
        "gestrichelt, offene Punkte)"
    ) in alts
    assert all(a.strip() for a in alts) and html.count("data:image/svg+xml;base64,") == len(alts)
    t = html_text(monthly["html"])
    # teams against their plans (Geschäftsführung: 1 or 2 persons and the secondary cell are "*")
    # 12/2022 ends the year (the data reach December): "erreicht" / "nicht erreicht" (decision 92)
    assert "T1 vereinbart 1 0 1,0 0,0 nicht erreicht 2,0 * 2,0 *" in t
    assert "T2 Entwurf 1 0 1,0 0,0 nicht erreicht – * – *" in t
    # Zielnachhaltung: averages of persons with one decimal (plan ELB 2,5; Ist 2022 = p1, p2 = 2,0; LZB plan 1
    # against the JDW 2,0 -> 1 / 2 = 50,0 %)
    assert "ELB (Jahresdurchschnitt bisher) Insgesamt 2,5 2,0 2,5" in t
    assert "LZB (Jahresdurchschnitt bisher) Insgesamt 1,0 2,0 2,0 50,0 nicht erreicht" in t
    # data quality by rule with the German titles
    assert "DQ05 ELB ohne gültige Prognose oder Integrationsziel * 0 * *" in t
    assert "DQ01 Änderung verspätet erfasst 0 0 0 0" in t
    assert "Aufgaben aus dem letzten Lauf der Datenqualitätsprüfung: * offen, 0 erledigt." in t
    # intensive care: places, occupancy, meetings, outcomes
    assert "Plätze und Gespräche der Intensivbetreuung, Stand 31.12.2022" in t
    assert "T1 1 5 * * 0 2 50,0 0 Jobcenter 1 5 * * 0 2 50,0 0" in t
    assert "03/2022 * ja * – * –" in t
    # numbers right-aligned with tabular figures; the block headings follow the title (h1 -> h2)
    assert 'td class="num"' in html and "font-variant-numeric: tabular-nums" in html
    assert re.findall(r"<h(\d)", html)[:3] == ["1", "2", "2"]


def test_monthly_team_table_for_controlling_shows_every_number(written, monthly):
    """The same team table without suppression (``policy``, for internal use): the averages behind
    the "*" of the report, worked out above."""
    from amip import disclosure as dc
    from amip.figures.store import FigureStore
    from amip.reports import monthly_sections as sections

    store = FigureStore.open(written["db"])
    factory = open_state(url=state_url(written["db"]))
    try:
        with factory.begin() as s:
            table = sections.teams(store, s, "J1", "2022-06", policy=dc.SHOW_ALL)[0]["table"]
    finally:
        factory.kw["bind"].dispose()
        store.close()
    rows = {r["team"]: r for r in table.rows}
    # 06/2022: Soll = 1 * (shares January-June = 0) -> 0, no attainment; LZB plan 2 / expected JDW 2 = 100 %
    assert rows["T1"]["elb_actual"] == 2.0 and rows["T1"]["lzb_actual"] == 2.0
    assert rows["T1"]["lzb_attainment"] == pytest.approx(100.0)
    assert rows["T1"]["int_expected"] == 0.0 and rows["T1"]["attainment"] is None
    assert rows["T2"]["elb_actual"] == 0.0 and rows["T2"]["plan_status"] == "Entwurf"
    assert "T1 vereinbart 1 0 0,0 – – 2,0 2,0 2,0 2,0" in squeeze(re.sub(r"<[^>]+>", " ", str(table.html())))


def test_programme_target_group_sections_have_their_figures(written):
    t = html_text(written["html"])
    for heading in (
        "5.3.1 Marktnähe leben",
        "5.3.2 Alleinerziehende",
        "5.3.3 Berufsrückkehrer/Berufsrückkehrerinnen",
        "5.3.4 Kunden ohne Abschluss",
        "5.3.5 Geflüchtete Menschen",
    ):
        assert heading in t, heading
    assert "Im Dezember 2021 waren 1 ELB alleinerziehend, davon 1 Frauen und 0 Männer." in t
    assert "1 schwerbehinderte bzw. gleichgestellte Leistungsbeziehende betreut (0 Frauen, 1 Männer; 50,0 Prozent" in t
    assert "Im Dezember 2021 hatten 1 ELB keinen Berufsabschluss (50,0 Prozent aller ELB)" in t
    assert "die Integrationsquote 2021 betrug 57,1 Prozent" in t
    assert "1 Integrationen im Jahr 2021 entsprechen einer Integrationsquote von 133,3 Prozent" in t
    assert "Berufsrückkehrende sind in den Daten des Jobcenters kein eigenes Merkmal" in t
    # the tables: overview and one per group (Insgesamt, Frauen, Männer)
    assert "Alleinerziehende 1 50,0 0 1,0 0,0 0 0,0" in t
    assert "ohne Berufsabschluss 1 50,0 1 1,8 57,1 0 0,0" in t
    assert "Geflüchtete 0 0,0 1 0,8 133,3 0 –" in t
    assert "ELB ohne Berufsabschluss, Dezember 2021" in t and "Männer 0 0,0 1 0,8 133,3 0 –" in t
    html = written["html"].read_text(encoding="utf-8")
    levels = [int(h) for h in re.findall(r"<h(\d)", html)]
    assert not [(a, b) for a, b in zip(levels, levels[1:]) if b > a + 1]  # no heading level skipped
    assert '<th scope="col"' in html
