"""Rendering of the programme and the monthly report to HTML, PDF (WeasyPrint) and XLSX.

The PDF is made from the same HTML (templates/*.html + templates/report.css); charts are the SVGs
of the cockpit's Altair specifications, embedded as images.
"""

from __future__ import annotations

import base64
import io
from importlib import resources
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from amip.reports import texts as tx

FORMATS = (".pdf", ".html", ".xlsx")
_ENV = jinja2.Environment(loader=jinja2.PackageLoader("amip.reports", "templates"),
                          autoescape=jinja2.select_autoescape(["html"]), undefined=jinja2.StrictUndefined)


def css() -> Markup:
    return Markup(resources.files("amip.reports").joinpath("templates", "report.css").read_text(encoding="utf-8"))


def chart_html(svg: str, title: str) -> Markup:
    if not svg:
        return Markup(f'<p class="note">{escape(title)}: keine Daten für diese Grafik.</p>')
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return Markup(f'<figure class="chart"><figcaption>{escape(title)}</figcaption>'
                  f'<img alt="{escape(title)}" src="data:image/svg+xml;base64,{data}"></figure>')


def chapters_html(p, chapter_texts: dict[str, str]) -> list[dict]:
    """[{"key", "title", "html"}] for every chapter; raises texts.TextError for a bad text."""
    tables = {name: str(t.html()) for name, t in p.tables.items()}
    charts = {name: str(chart_html(svg, p.chart_titles.get(name, name))) for name, svg in p.charts.items()}
    out = []
    for key, heading in tx.CHAPTERS:
        html = tx.render_markdown(key, chapter_texts[key], p.context, tables, charts)
        out.append({"key": key, "title": heading.format(jobcenter=p.jobcenter_name), "html": Markup(html)})
    return out


def programme_title() -> str:
    return "Arbeitsmarkt- und Integrationsprogramm"


def programme_html(p, chapter_texts: dict[str, str], place: str | None = None) -> str:
    chapters = chapters_html(p, chapter_texts)
    place_date = f"{place or p.jobcenter_name}, {p.stand}"
    return _ENV.get_template("programme.html").render(title=programme_title(), p=p, chapters=chapters, css=css(),
                                                      place_date=place_date)


def monthly_html(m) -> str:
    return _ENV.get_template("monthly.html").render(title="Controllingbericht", m=m, css=css())


def pdf_bytes(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, base_url=".").write_pdf()


def xlsx_bytes(tables, title: str) -> bytes:
    from amip.reports.tables import write_xlsx

    buf = io.BytesIO()
    write_xlsx([t for t in tables if t.rows], buf, title)
    return buf.getvalue()


def check_out(out: Path) -> str:
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"{out}: unknown format {suffix or '(none)'} (use {', '.join(FORMATS)})")
    return suffix


def programme_bytes(p, chapter_texts: dict[str, str], suffix: str) -> bytes:
    if suffix == ".xlsx":
        chapters_html(p, chapter_texts)  # the same checks as the document (no unknown placeholders)
        return xlsx_bytes(list(p.tables.values()), f"{programme_title()} {p.year}")
    html = programme_html(p, chapter_texts)
    return html.encode("utf-8") if suffix == ".html" else pdf_bytes(html)


def monthly_bytes(m, suffix: str) -> bytes:
    if suffix == ".xlsx":
        return xlsx_bytes([b["table"] for b in m.blocks if b.get("table") is not None], f"Controllingbericht {m.month}")
    html = monthly_html(m)
    return html.encode("utf-8") if suffix == ".html" else pdf_bytes(html)


def write_atomic(out: Path, data: bytes) -> None:
    """Write ``data`` to ``out`` via a temporary file (no partial file on failure)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(out)
