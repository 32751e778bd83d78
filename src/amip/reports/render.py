"""Rendering of the programme and the monthly report to HTML, PDF (WeasyPrint) and XLSX.

The PDF is made from the same HTML (templates/*.html + templates/report.css); charts are the SVGs
of the cockpit's Altair specifications, embedded as images.

The renderer fetches nothing: WeasyPrint gets :class:`PackageFetcher`, which refuses every URL
except ``data:`` URLs (the embedded charts, size-limited) and regular files inside the package's
own ``templates`` folder; no HTTP, FTP, other file paths or devices. The HTML download carries a
Content-Security-Policy that allows only inline styles and ``data:`` images, so a browser opening
it loads nothing either.
"""

from __future__ import annotations

import base64
import io
import stat
from importlib import resources
from pathlib import Path
from urllib.parse import unquote, urlsplit

import jinja2
from markupsafe import Markup, escape

from amip.reports import texts as tx

FORMATS = (".pdf", ".html", ".xlsx")
_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("amip.reports", "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
    undefined=jinja2.StrictUndefined,
)


def css() -> Markup:
    return Markup(resources.files("amip.reports").joinpath("templates", "report.css").read_text(encoding="utf-8"))


def chart_html(svg: str, title: str, alt: str | None = None) -> Markup:
    """The chart as a figure with its caption; ``alt``: the text alternative (what the chart shows:
    figure, period, groups, latest values), else the title."""
    if not svg:
        return Markup(f'<p class="note">{escape(title)}: keine Daten für diese Grafik.</p>')
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return Markup(
        f'<figure class="chart"><figcaption>{escape(title)}</figcaption>'
        f'<img alt="{escape(alt or title)}" src="data:image/svg+xml;base64,{data}"></figure>'
    )


def chapters_html(p, chapter_texts: dict[str, str], strict: bool = True) -> list[dict]:
    """[{"key", "title", "html"}] for every chapter. A bad text raises texts.TextError when
    ``strict``, else its problems are visible notes in the chapter."""
    import time

    tables = {name: str(t.html()) for name, t in p.tables.items()}
    charts = {name: str(chart_html(svg, p.chart_titles.get(name, name))) for name, svg in p.charts.items()}
    out = []
    start, total = time.monotonic(), 0
    for key, heading in tx.CHAPTERS:
        if time.monotonic() - start > tx.RENDER_SECONDS:  # budget: the texts before took too long
            html = _over_budget(
                key, f"Zeitbudget von {tx.RENDER_SECONDS:.0f} s für die Kapiteltexte überschritten", strict
            )
        else:
            html = tx.render_markdown(key, chapter_texts[key], p.context, tables, charts, strict=strict)
            if total + len(html) > tx.MAX_DOCUMENT_HTML:
                html = _over_budget(
                    key,
                    f"das Dokument wird zu groß (höchstens {tx.MAX_DOCUMENT_HTML} Zeichen für alle Kapitel)",
                    strict,
                )
        total += len(html)
        out.append({"key": key, "title": heading.format(jobcenter=p.jobcenter_name), "html": Markup(html)})
    return out


def _over_budget(chapter: str, message: str, strict: bool) -> str:
    if strict:
        raise tx.TextError(chapter, message)
    return tx.note_html(message)


def programme_title() -> str:
    return "Arbeitsmarkt- und Integrationsprogramm"


def programme_html(p, chapter_texts: dict[str, str], place: str | None = None, strict: bool = True) -> str:
    chapters = chapters_html(p, chapter_texts, strict)
    place_date = f"{place or p.jobcenter_name}, {p.stand}"
    return _ENV.get_template("programme.html").render(
        title=programme_title(), p=p, chapters=chapters, css=css(), place_date=place_date
    )


def monthly_html(m) -> str:
    return _ENV.get_template("monthly.html").render(title="Controllingbericht", m=m, css=css())


MAX_DATA_URL = 20_000_000  # characters of one data: URL (an embedded chart)
MAX_ASSET_BYTES = 5_000_000  # one file of the package's own assets


def _assets() -> Path:
    return Path(str(resources.files("amip.reports").joinpath("templates"))).resolve()


def _fetcher():
    """The url_fetcher for WeasyPrint (built lazily: WeasyPrint is imported only for PDFs)."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class PackageFetcher(URLFetcher):
        """Fetches ``data:`` URLs and the package's own template assets; refuses everything else."""

        def __init__(self):
            super().__init__(allowed_protocols=("data",), allow_redirects=False, timeout=1)

        def fetch(self, url, headers=None):
            scheme = url.split(":", 1)[0].lower() if ":" in url else ""
            if scheme == "data":
                if len(url) > MAX_DATA_URL:
                    raise ValueError("data: URL too large")
                return super().fetch(url, headers)  # decoded in memory (urllib's DataHandler)
            if scheme == "file":
                parts = urlsplit(url)
                root = _assets()
                if parts.netloc in ("", "localhost"):
                    path = Path(unquote(parts.path))
                    try:
                        real = path.resolve(strict=True)
                        info = real.stat()
                    except (OSError, RuntimeError):
                        real, info = None, None
                    if (
                        real is not None
                        and info is not None
                        and real.is_relative_to(root)
                        and stat.S_ISREG(info.st_mode)
                        and info.st_size <= MAX_ASSET_BYTES
                    ):
                        return URLFetcherResponse(real.as_uri(), real.read_bytes())
            raise ValueError("amip renders reports without fetching resources (refused)")

    return PackageFetcher()


PDF_VARIANT = "pdf/ua-1"  # tagged PDF (structure tree, document language and title): BITV 2.0 / EN 301 549


def pdf_bytes(html: str) -> bytes:
    """The document as tagged PDF/UA-1: WeasyPrint writes the structure tree from the HTML (headings,
    paragraphs, tables with their header cells, figures with their alt text), the document language
    from ``<html lang>``, the title from ``<title>`` and shows the title in the viewer's window."""
    from weasyprint import HTML

    return HTML(string=html, base_url=_assets().as_uri() + "/", url_fetcher=_fetcher()).write_pdf(
        pdf_variant=PDF_VARIANT
    )


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


def programme_bytes(p, chapter_texts: dict[str, str], suffix: str, strict: bool = True) -> bytes:
    """The programme as PDF, HTML or XLSX. ``strict``: a bad chapter text is an error
    (texts.TextError; the command line), else a visible note in the document (the cockpit)."""
    if suffix == ".xlsx":
        if strict:
            chapters_html(p, chapter_texts)  # the same checks as the document (no unknown placeholders)
        return xlsx_bytes(list(p.tables.values()), f"{programme_title()} {p.year}, Jobcenter {p.jobcenter_name}")
    html = programme_html(p, chapter_texts, strict=strict)
    return html.encode("utf-8") if suffix == ".html" else pdf_bytes(html)


def monthly_bytes(m, suffix: str) -> bytes:
    if suffix == ".xlsx":
        return xlsx_bytes(
            [b["table"] for b in m.blocks if b.get("table") is not None],
            f"Controllingbericht {m.month_label}, Jobcenter {m.jobcenter_name}",
        )
    html = monthly_html(m)
    return html.encode("utf-8") if suffix == ".html" else pdf_bytes(html)


def write_atomic(out: Path, data: bytes) -> None:
    """Write ``data`` to ``out`` via a temporary file (no partial file on failure)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(out)
