"""Editorial texts of the programme: one Markdown template per chapter with placeholders.

A chapter text is Markdown with Jinja2 placeholders (sandboxed environment, StrictUndefined):
``{{ elb_jdw_vorjahr }}`` inserts a figure already formatted the German way (4.554; 22,5),
``{{ tabelle("kennzahlen") }}`` and ``{{ grafik("egl_verteilung") }}`` place a table or chart of
the report at that point. An unknown placeholder, table or chart is an error naming the chapter
and the name (:class:`TextError`) — nothing unrendered ever reaches the document.

Defaults ship as ``texts/<chapter>.md``; a job center's edits are rows of ``report_texts`` (per
year, job center, chapter), edited in the cockpit (/berichte) or exported/imported as files.
Markdown is rendered without raw HTML (markdown-it, ``html=False``), so edited texts cannot inject
markup into the cockpit or the PDF.
"""

from __future__ import annotations

import re
from datetime import datetime, UTC
from importlib import resources
from pathlib import Path

import jinja2
from jinja2.sandbox import SandboxedEnvironment
from markdown_it import MarkdownIt
from sqlalchemy import select
from sqlalchemy.orm import Session

from amip.reports.models import ReportText

# (key, heading); "{jobcenter}" is filled with the job center's name. Order = document order.
CHAPTERS: tuple[tuple[str, str], ...] = (
    ("praeambel", "Präambel"),
    ("grundsicherung", "1 Grundsicherung für Arbeitsuchende im Landkreis"),
    ("angebot_nachfrage", "2 Angebot und Nachfrage auf dem Arbeitsmarkt"),
    ("ziele", "3 Ziele im Jobcenter {jobcenter}"),
    ("ressourcen", "4 Ressourcen"),
    ("operative_schwerpunkte", "5 Operative Schwerpunkte und geschäftspolitische Handlungsfelder"),
    ("rechtmaessigkeit", "6 Rechtmäßigkeit und Qualität der operativen Umsetzung sicherstellen"),
    ("zusammenarbeit", "7 Zusammenarbeit mit den Trägern des Jobcenters {jobcenter}"),
    ("schlussbemerkungen", "8 Schlussbemerkungen"),
)
CHAPTER_KEYS = tuple(k for k, _ in CHAPTERS)
MARKER = "@@amip:{kind}:{name}@@"
_MARKER_RE = re.compile(r"(?:<p>)?@@amip:(table|chart):([a-z0-9_]+)@@(?:</p>)?")
_MD = MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table")


class TextError(ValueError):
    """A chapter text cannot be rendered (unknown placeholder, table or chart; template syntax)."""

    def __init__(self, chapter: str, message: str):
        super().__init__(f"Kapitel „{chapter}“: {message}")
        self.chapter = chapter


def check_chapter(chapter: str) -> str:
    if chapter not in CHAPTER_KEYS:
        raise KeyError(f"unknown chapter {chapter!r} (known: {', '.join(CHAPTER_KEYS)})")
    return chapter


def default_text(chapter: str) -> str:
    check_chapter(chapter)
    return resources.files("amip.reports").joinpath("texts", f"{chapter}.md").read_text(encoding="utf-8")


def stored_texts(db: Session, year: int, jobcenter: str) -> dict[str, ReportText]:
    rows = db.scalars(select(ReportText).where(ReportText.year == year, ReportText.jobcenter_id == jobcenter))
    return {r.chapter: r for r in rows}


def texts_for(db: Session | None, year: int, jobcenter: str) -> dict[str, str]:
    """chapter -> Markdown: the job center's edited text, else the default."""
    stored = stored_texts(db, year, jobcenter) if db is not None else {}
    return {k: stored[k].markdown if k in stored else default_text(k) for k in CHAPTER_KEYS}


def save_text(db: Session, year: int, jobcenter: str, chapter: str, markdown: str, user: str,
              *, now: datetime | None = None) -> ReportText:
    """Create or replace the edited text of one chapter (flush, no commit; the caller audits)."""
    check_chapter(chapter)
    row = stored_texts(db, year, jobcenter).get(chapter)
    now = now or datetime.now(UTC)
    if row is None:
        row = ReportText(year=year, jobcenter_id=jobcenter, chapter=chapter, markdown=markdown,
                         updated_by=user, updated_at=now)
        db.add(row)
    else:
        row.markdown, row.updated_by, row.updated_at = markdown, user, now
    db.flush()
    return row


def reset_text(db: Session, year: int, jobcenter: str, chapter: str) -> bool:
    """Drop the edited text (the default applies again); True when there was one."""
    row = stored_texts(db, year, jobcenter).get(check_chapter(chapter))
    if row is None:
        return False
    db.delete(row)
    db.flush()
    return True


_ENV = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)


def render_markdown(chapter: str, markdown: str, context: dict, tables: dict[str, str],
                    charts: dict[str, str]) -> str:
    """The chapter's HTML: placeholders filled, Markdown rendered, table/chart markers replaced by
    the given HTML fragments (``tables``/``charts``: name -> HTML)."""
    used: list[tuple[str, str]] = []

    def block(kind: str, known: dict[str, str]):
        def insert(name: str) -> str:
            if name not in known:
                label = "Tabelle" if kind == "table" else "Grafik"
                raise TextError(chapter, f"unbekannte {label} „{name}“ (bekannt: {', '.join(sorted(known)) or 'keine'})")
            used.append((kind, name))
            return "\n\n" + MARKER.format(kind=kind, name=name) + "\n\n"
        return insert

    try:
        template = _ENV.from_string(markdown)
        filled = template.render(**context, tabelle=block("table", tables), grafik=block("chart", charts))
    except jinja2.UndefinedError as exc:
        m = re.search(r"'([^']+)' is undefined", str(exc))
        name = m.group(1) if m else str(exc)
        raise TextError(chapter, f"unbekannter Platzhalter „{name}“") from None
    except jinja2.TemplateSyntaxError as exc:
        raise TextError(chapter, f"Fehler in der Vorlage, Zeile {exc.lineno}: {exc.message}") from None
    except jinja2.exceptions.SecurityError as exc:
        raise TextError(chapter, f"nicht erlaubter Ausdruck: {exc}") from None
    if "{{" in filled or "{%" in filled:
        raise TextError(chapter, "nicht aufgelöste Platzhalter-Klammern im Text")
    html = _MD.render(filled)

    def swap(m: re.Match) -> str:
        kind, name = m.group(1), m.group(2)
        return (tables if kind == "table" else charts)[name]

    return _MARKER_RE.sub(swap, html)


def export_dir(db: Session | None, year: int, jobcenter: str, folder: Path) -> list[Path]:
    """Write every chapter's current text to ``folder/<chapter>.md``."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for chapter, text in texts_for(db, year, jobcenter).items():
        path = folder / f"{chapter}.md"
        path.write_text(text, encoding="utf-8")
        out.append(path)
    return out


def read_dir(folder: Path) -> dict[str, str]:
    """chapter -> Markdown from ``folder/*.md``; an unknown file name is an error (nothing written)."""
    if not folder.is_dir():
        raise FileNotFoundError(f"folder not found: {folder}")
    found = {}
    for path in sorted(folder.glob("*.md")):
        if path.stem not in CHAPTER_KEYS:
            raise KeyError(f"{path.name}: unknown chapter (known: {', '.join(CHAPTER_KEYS)})")
        found[path.stem] = path.read_text(encoding="utf-8")
    if not found:
        raise FileNotFoundError(f"no chapter files (*.md) in {folder}")
    return found


# Every placeholder the programme fills (programme.collect's context; a test keeps both in step).
PLACEHOLDERS = frozenset("""
jahr vorjahr vorvorjahr jobcenter jobcenter_id stand daten_von daten_bis
elb_jdw_vorjahr elb_jdw_vorjahr_rund elb_veraenderung_vorjahr elb_entwicklung_richtung elb_jahre_von
elb_jahre_bis elb_jahre_anzahl bg_jdw_vorjahr_rund elb_jahre_hinweis lzb_anteil_vorjahr elb_ausblick
prognose_nicht_marktnah_anteil prognose_marktnah_anteil prognose_elb_jdw
erwerbstaetige_monat erwerbstaetige_anzahl erwerbstaetige_veraenderung erwerbstaetige_richtung
erwerbstaetige_anteil_elb lzb_dezember_vorjahr k3_vorjahr
plan_vorhanden plan_status plan_hinweis integrationen_vorjahr integrationen_plan elb_plan quote_vorjahr
quote_plan quote_veraenderung lzb_vorjahr lzb_plan lzb_veraenderung lzb_senkung k1_vorjahr
l1_vorjahr l2_vorjahr l3_vorjahr
vk_neu_mio egl_neu_mio budget_veraenderung egl_zweiter_arbeitsmarkt egl_fbw_egz_mat ausgaben_vorjahr
ausgaben_erstes_halbjahr_vorjahr ausgaben_zweiter_arbeitsmarkt_vorjahr
""".split())
FUNCTIONS = frozenset({"tabelle", "grafik"})


def check_syntax(chapter: str, markdown: str) -> None:
    """Check a text before storing it: template syntax and placeholder names (the figures themselves
    are filled when the document is written)."""
    from jinja2 import meta

    check_chapter(chapter)
    try:
        ast = _ENV.parse(markdown)
    except jinja2.TemplateSyntaxError as exc:
        raise TextError(chapter, f"Fehler in der Vorlage, Zeile {exc.lineno}: {exc.message}") from None
    unknown = sorted(meta.find_undeclared_variables(ast) - PLACEHOLDERS - FUNCTIONS)
    if unknown:
        raise TextError(chapter, f"unbekannter Platzhalter „{unknown[0]}“"
                        + (f" (und {', '.join(unknown[1:])})" if len(unknown) > 1 else ""))
