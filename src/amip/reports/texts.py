"""Editorial texts of the programme: one Markdown text per chapter with placeholders.

A chapter text is *data*, never a template that runs: amip reads it with its own small placeholder
language (no Jinja, no expressions, no loops), in one linear pass.

- ``{{ elb_jdw_vorjahr }}`` inserts a figure already formatted the German way (4.554; 22,5);
  the names are :data:`PLACEHOLDERS`.
- ``{{ tabelle("kennzahlen") }}`` / ``{{ grafik("egl_verteilung") }}`` place a table or chart of
  the report (names :data:`TABLES`, :data:`CHARTS`); ``@@amip:table:NAME@@`` and
  ``@@amip:chart:NAME@@`` on a line of their own do the same.
- ``{% if NAME %}…{% else %}…{% endif %}`` keeps one of two passages; the condition is only a
  placeholder name (``not NAME``, ``NAME == "text"``, ``NAME != "text"`` also work); a figure
  without a value ("–") counts as absent. Nesting up to :data:`MAX_DEPTH` levels.
- Any other ``{% … %}`` (``{% for … %}``, ``{% set … %}``) is plain text and printed as typed.

An unknown placeholder, table, chart or marker is an error naming the chapter and the name
(:class:`TextError`), checked on save and import (nothing stored). When a stored text still has
one (an old text), the cockpit renders it as a visible note in the document instead of failing
(``strict=False``); the command line refuses to write the document (``strict=True``).

Markdown is rendered by markdown-it without raw HTML (``html=False``); links only with http(s),
mailto or ``#`` targets (others print just their text); images are never embedded: ``![alt](url)``
prints "[Bild nicht eingebunden: alt]", so no text makes the renderer or a browser fetch anything.
Budget: a text has at most :data:`MAX_TEXT` characters and :data:`MAX_BLOCKS` tables/charts, a
rendered chapter at most :data:`MAX_HTML` characters, all chapters of a document together at most
:data:`MAX_DOCUMENT_HTML` characters and :data:`RENDER_SECONDS` (``render.chapters_html``).

Defaults ship as ``texts/<chapter>.md``; a job center's edits are rows of ``report_texts`` (per
year, job center, chapter), edited in the cockpit (/berichte) or exported/imported as files.
"""

from __future__ import annotations

import re
import secrets
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from importlib import resources
from pathlib import Path

from markdown_it import MarkdownIt
from sqlalchemy import select
from sqlalchemy.orm import Session

from amip.reports.models import ReportText
from amip.text import CHAPTER_MAX, TextInputError, clean_text

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


def save_text(
    db: Session, year: int, jobcenter: str, chapter: str, markdown: str, user: str, *, now: datetime | None = None
) -> ReportText:
    """Create or replace the edited text of one chapter (flush, no commit; the caller audits)."""
    check_chapter(chapter)
    row = stored_texts(db, year, jobcenter).get(chapter)
    now = now or datetime.now(UTC)
    if row is None:
        row = ReportText(
            year=year, jobcenter_id=jobcenter, chapter=chapter, markdown=markdown, updated_by=user, updated_at=now
        )
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


# ---- the placeholder language ------------------------------------------------------------------

MAX_TEXT = CHAPTER_MAX  # characters of one chapter text (checked on save, import and render)
MAX_BLOCKS = 30  # tables and charts placed by one chapter text
MAX_HTML = 500_000  # characters of one rendered chapter (tables and charts included)
MAX_DOCUMENT_HTML = 1_000_000  # characters of all chapters of one document (PDF layout ~45 s/MB)
RENDER_SECONDS = 20.0  # time for filling and rendering all chapters of one document
MAX_DEPTH = 5  # nested {% if %}
MAX_FILE_BYTES = 4 * MAX_TEXT  # a chapter file read by `amip report texts import`

# {{ … }}, {% … %} and @@amip:…@@ within one line; negated classes keep the scan linear.
_TOKEN_RE = re.compile(
    r"\{\{(?P<expr>[^{}\n]{0,200})\}\}|\{%(?P<tag>[^{}%\n]{0,200})%\}"
    r"|@@amip:(?P<marker>[^@\s]{0,120})@@"
)
_NAME = r"[a-z_][a-z0-9_]*"
_VALUE_RE = re.compile(rf"\s*({_NAME})\s*")
_BLOCK_RE = re.compile(r"\s*(tabelle|grafik)\(\s*(?:\"([a-z0-9_]+)\"|'([a-z0-9_]+)')\s*\)\s*")
_MARKER_RE = re.compile(r"(table|chart):([a-z0-9_]+)")
_IF_RE = re.compile(rf"\s*if\s+(?:(not)\s+({_NAME})|({_NAME})\s*(?:(==|!=)\s*\"([^\"]{{0,100}})\")?)\s*")
_WORD_RE = re.compile(r"\s*([a-z]+)")
_KIND = {"tabelle": "table", "grafik": "chart"}
_LABEL = {"table": "Tabelle", "chart": "Grafik"}


@dataclass
class _Node:
    kind: str  # text | value | block | if | error
    text: str = ""  # text: the text; value/block/error: the source as typed
    name: str = ""  # value, block, if: the name
    block: str = ""  # block: table | chart
    op: str = ""  # if: "" | not | == | !=
    literal: str = ""  # if: the compared text
    message: str = ""  # error: what is wrong
    then: list | None = None  # if: the passage kept when the condition holds
    other: list | None = None  # if: the {% else %} passage


def _parse(markdown: str) -> list[_Node]:
    """The text as a tree of nodes; syntax problems become ``error`` nodes (no exception)."""
    root: list[_Node] = []
    stack: list[_Node] = []
    out = root
    blocks = 0
    pos = 0

    def add(node: _Node) -> None:
        out.append(node)

    for m in _TOKEN_RE.finditer(markdown):
        if m.start() > pos:
            add(_Node("text", markdown[pos : m.start()]))
        pos = m.end()
        src = m.group(0)
        if m.group("expr") is not None:
            expr = m.group("expr")
            if (v := _VALUE_RE.fullmatch(expr)) and v.group(1) not in _KIND:
                add(_Node("value", src, name=v.group(1)))
                continue
            b = _BLOCK_RE.fullmatch(expr)
            if b is None:
                add(
                    _Node(
                        "error",
                        src,
                        message=f"ungültiger Platzhalter „{src}“ (erlaubt: {{{{ name }}}}, "
                        f'{{{{ tabelle("name") }}}}, {{{{ grafik("name") }}}})',
                    )
                )
                continue
            blocks += 1
            if blocks > MAX_BLOCKS:
                add(_Node("error", src, message=f"zu viele Tabellen und Grafiken (höchstens {MAX_BLOCKS})"))
                continue
            add(_Node("block", src, name=b.group(2) or b.group(3), block=_KIND[b.group(1)]))
        elif m.group("marker") is not None:
            mk = _MARKER_RE.fullmatch(m.group("marker"))
            if mk is None:
                add(_Node("error", src, message=f"unbekannte Marke „{src}“"))
                continue
            blocks += 1
            if blocks > MAX_BLOCKS:
                add(_Node("error", src, message=f"zu viele Tabellen und Grafiken (höchstens {MAX_BLOCKS})"))
                continue
            add(_Node("block", src, name=mk.group(2), block=mk.group(1)))
        else:
            tag = m.group("tag")
            wm = _WORD_RE.match(tag)
            word = wm.group(1) if wm else ""
            if word == "if":
                c = _IF_RE.fullmatch(tag)
                if c is None:
                    add(
                        _Node(
                            "error",
                            src,
                            message=f"ungültige Bedingung „{src}“ (erlaubt: {{% if name %}}, "
                            f'{{% if not name %}}, {{% if name == "Text" %}})',
                        )
                    )
                    continue
                if len(stack) >= MAX_DEPTH:
                    add(_Node("error", src, message=f"zu tief verschachtelte Bedingungen (höchstens {MAX_DEPTH})"))
                    continue
                then: list[_Node] = []
                node = _Node(
                    "if",
                    src,
                    name=c.group(2) or c.group(3),
                    op="not" if c.group(1) else (c.group(4) or ""),
                    literal=c.group(5) or "",
                    then=then,
                )
                add(node)
                stack.append(node)
                out = then
            elif word == "else" and tag.strip() == "else":
                if not stack or stack[-1].other is not None:
                    add(_Node("error", src, message="„{% else %}“ ohne passendes „{% if … %}“"))
                    continue
                other: list[_Node] = []
                stack[-1].other = other
                out = other
            elif word == "endif" and tag.strip() == "endif":
                if not stack:
                    add(_Node("error", src, message="„{% endif %}“ ohne passendes „{% if … %}“"))
                    continue
                stack.pop()
                out = root if not stack else _branch(stack[-1])
            else:
                add(_Node("text", src))  # not part of the language: printed as typed
    if pos < len(markdown):
        add(_Node("text", markdown[pos:]))
    for node in stack:  # unclosed: reported where the {% if %} stands
        _branch(node).append(_Node("error", node.text, message=f"„{node.text}“ ohne „{{% endif %}}“"))
    return root


def _branch(node: _Node) -> list[_Node]:
    """The passage of an open ``if`` node that text goes to: its {% else %} part once seen, else its then part."""
    if node.other is not None:
        return node.other
    assert node.then is not None  # every "if" node is created with then=[]
    return node.then


def _walk(nodes: list[_Node]):
    for n in nodes:
        yield n
        if n.kind == "if":
            yield from _walk(n.then or [])
            yield from _walk(n.other or [])


def _static_problems(nodes: list[_Node]) -> list[str]:
    """Every problem of a parsed text that is known without the figures (for save and import)."""
    out = []
    for n in _walk(nodes):
        if n.kind == "error":
            out.append(n.message)
        elif n.kind in ("value", "if") and n.name not in PLACEHOLDERS:
            out.append(f"unbekannter Platzhalter „{n.name}“")
        elif n.kind == "block" and n.name not in (TABLES if n.block == "table" else CHARTS):
            known = TABLES if n.block == "table" else CHARTS
            marker = f" ({n.text})" if n.text.startswith("@@") else ""
            out.append(f"unbekannte {_LABEL[n.block]} „{n.name}“{marker} (bekannt: {', '.join(sorted(known))})")
    return out


def problems(chapter: str, markdown: str) -> list[str]:
    """All problems of a chapter text, as German messages (empty: the text can be stored)."""
    check_chapter(chapter)
    try:
        clean_text(markdown, "Kapiteltext", max_len=MAX_TEXT, strip=False)
    except TextInputError as exc:
        return [str(exc)]
    return list(dict.fromkeys(_static_problems(_parse(markdown))))


def check_syntax(chapter: str, markdown: str) -> str:
    """Check a text before storing it (placeholder, table, chart and marker names; conditions;
    control characters; length) and return it as stored (line ends normalised). Raises
    :class:`TextError` naming the first problem (the figures themselves are filled when the
    document is written)."""
    check_chapter(chapter)
    try:
        text = clean_text(markdown, "Kapiteltext", max_len=MAX_TEXT, strip=False)
    except TextInputError as exc:
        raise TextError(chapter, str(exc)) from None
    found = list(dict.fromkeys(_static_problems(_parse(text))))
    if found:
        more = f" (und {len(found) - 1} weitere)" if len(found) > 1 else ""
        raise TextError(chapter, found[0] + more)
    return text


def _shown(value) -> str:
    if value is True:
        return "ja"
    if value is False:
        return "nein"
    return "–" if value is None else str(value)


def _holds(node: _Node, value) -> bool:
    if node.op in ("==", "!="):
        return (_shown(value) == node.literal) == (node.op == "==")
    present = value is not None and value is not False and _shown(value) not in ("", "–")
    return not present if node.op == "not" else present


def _link_ok(url: str) -> bool:
    u = url.strip().lower()
    return u.startswith(("https://", "http://", "mailto:", "#"))


def _image(self, tokens, idx, options, env) -> str:
    alt = "".join(t.content for t in (tokens[idx].children or []))
    return f'<span class="image-omitted">[Bild nicht eingebunden{": " + escape(alt) if alt else ""}]</span>'


def _link_open(self, tokens, idx, options, env) -> str:
    ok = _link_ok(tokens[idx].attrGet("href") or "")
    env.setdefault("amip_links", []).append(ok)
    return self.renderToken(tokens, idx, options, env) if ok else ""


def _link_close(self, tokens, idx, options, env) -> str:
    ok = env.get("amip_links", [True]).pop() if env.get("amip_links") else True
    return self.renderToken(tokens, idx, options, env) if ok else ""


# Every [text](url) and ![alt](url) is parsed (validateLink accepts all), then rendered by the
# rules above: a link with another scheme is just its text, an image just its alt text.
class _MarkdownIt(MarkdownIt):
    def validateLink(self, url: str) -> bool:
        return True


def _heading_level(tag: str) -> str:
    """A chapter text's heading under the chapter's own h2: "#" … "####" (the seeds' sub-sections)
    become h3, "#####" h4, "######" h5, so the document's headings never skip a level (PDF/UA)."""
    return f"h{max(3, int(tag[1]) - 1)}"


def _heading_open(self, tokens, idx, options, env) -> str:
    tokens[idx].tag = _heading_level(tokens[idx].tag)
    return self.renderToken(tokens, idx, options, env)


def _heading_close(self, tokens, idx, options, env) -> str:
    tokens[idx].tag = _heading_level(tokens[idx].tag)
    return self.renderToken(tokens, idx, options, env)


_MD = _MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table")
_MD.add_render_rule("heading_open", _heading_open)
_MD.add_render_rule("heading_close", _heading_close)
_MD.add_render_rule("image", _image)
_MD.add_render_rule("link_open", _link_open)
_MD.add_render_rule("link_close", _link_close)


def note_html(message: str) -> str:
    """A visible note in the document in place of a chapter part that could not be rendered."""
    return _note(message, True)


def _note(message: str, block: bool) -> str:
    tag = "p" if block else "span"
    return f'<{tag} class="note text-error" role="note">[Hinweis: {escape(message)} – bitte den Kapiteltext prüfen]</{tag}>'


def render_markdown(
    chapter: str, markdown: str, context: dict, tables: dict[str, str], charts: dict[str, str], *, strict: bool = True
) -> str:
    """The chapter's HTML: placeholders filled, Markdown rendered, tables/charts placed
    (``tables``/``charts``: name -> HTML fragment of the report).

    ``strict``: a problem (unknown placeholder, table, chart or marker; bad condition; too long)
    raises :class:`TextError`; otherwise it is shown as a visible note in the text. A known table
    or chart that this report does not have is always a note ("keine Daten").
    """
    if len(markdown) > MAX_TEXT:
        msg = f"der Text ist zu lang ({len(markdown)} Zeichen, höchstens {MAX_TEXT})"
        if strict:
            raise TextError(chapter, msg)
        return _note(msg, True)
    nonce = secrets.token_hex(8)
    inserts: list[str] = []

    def mark(html: str, block: bool) -> str:
        inserts.append(html)
        m = f"amip{nonce}x{len(inserts) - 1}x"
        return f"\n\n{m}\n\n" if block else m

    def problem(msg: str, block: bool = False) -> str:
        if strict:
            raise TextError(chapter, msg)
        return mark(_note(msg, block), block)

    def fill(nodes: list[_Node]) -> list[str]:
        parts: list[str] = []
        for n in nodes:
            if n.kind == "text":
                parts.append(n.text)
            elif n.kind == "error":
                parts.append(problem(n.message, False))
            elif n.kind == "value":
                if n.name not in context:
                    parts.append(problem(f"unbekannter Platzhalter „{n.name}“"))
                else:
                    parts.append(mark(escape(_shown(context[n.name])), False))
            elif n.kind == "block":
                have = tables if n.block == "table" else charts
                known = TABLES if n.block == "table" else CHARTS
                if n.name in have:
                    parts.append(mark(have[n.name], True))
                elif n.name in known:
                    parts.append(
                        mark(
                            f'<p class="note">{_LABEL[n.block]} „{escape(n.name)}“: keine Daten für dieses Jahr.</p>',
                            True,
                        )
                    )
                else:
                    marker = f" ({n.text})" if n.text.startswith("@@") else ""
                    parts.append(
                        problem(
                            f"unbekannte {_LABEL[n.block]} „{n.name}“{marker} "
                            f"(bekannt: {', '.join(sorted(set(known) | set(have)))})",
                            True,
                        )
                    )
            elif n.kind == "if":
                if n.name not in context:
                    parts.append(problem(f"unbekannter Platzhalter „{n.name}“"))
                    continue
                parts.extend(fill((n.then if _holds(n, context[n.name]) else n.other) or []))
        return parts

    filled = "".join(fill(_parse(markdown)))
    html = _MD.render(filled)
    marker_re = re.compile(rf"(<p>)?amip{nonce}x(\d+)x(</p>)?")

    def swap(m: re.Match) -> str:
        body = inserts[int(m.group(2))]
        if m.group(1) and m.group(3) and body.startswith(("<figure", "<p", "<div", "<table")):
            return body
        return (m.group(1) or "") + body + (m.group(3) or "")

    html = marker_re.sub(swap, html)
    if len(html) > MAX_HTML:
        msg = f"das Kapitel wird zu groß ({len(html)} Zeichen, höchstens {MAX_HTML})"
        if strict:
            raise TextError(chapter, msg)
        return _note(msg, True)
    return html


def export_dir(db: Session | None, year: int, jobcenter: str, folder: Path) -> list[Path]:
    """Write every chapter's current text to ``folder/<chapter>.md``."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for chapter, text in texts_for(db, year, jobcenter).items():
        path = folder / f"{chapter}.md"
        path.write_text(text, encoding="utf-8")
        out.append(path)
    return out


def _read_chapter_file(path: Path) -> str:
    """A chapter file: a regular file (no FIFO, device or symlink), at most MAX_FILE_BYTES, UTF-8."""
    import os

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise FileNotFoundError(f"{path.name}: cannot be opened as a regular file ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise FileNotFoundError(f"{path.name}: not a regular file")
        data = fh.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise FileNotFoundError(f"{path.name}: too large (at most {MAX_FILE_BYTES} bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileNotFoundError(f"{path.name}: not UTF-8 (byte {exc.start + 1}); save the file as UTF-8") from None


def read_dir(folder: Path) -> dict[str, str]:
    """chapter -> Markdown from ``folder/*.md``; an unknown file name is an error (nothing written)."""
    if not folder.is_dir():
        raise FileNotFoundError(f"folder not found: {folder}")
    found = {}
    for path in sorted(folder.glob("*.md")):
        if path.stem not in CHAPTER_KEYS:
            raise KeyError(f"{path.name}: unknown chapter (known: {', '.join(CHAPTER_KEYS)})")
        found[path.stem] = _read_chapter_file(path)
    if not found:
        raise FileNotFoundError(f"no chapter files (*.md) in {folder}")
    return found


# Every placeholder the programme fills (programme.collect's context; a test keeps both in step).
PLACEHOLDERS = frozenset(
    """
jahr vorjahr vorvorjahr jobcenter jobcenter_id stand daten_von daten_bis
elb_jdw_vorjahr elb_jdw_vorjahr_rund elb_veraenderung_vorjahr elb_entwicklung_richtung elb_jahre_von
elb_jahre_bis elb_jahre_anzahl bg_jdw_vorjahr_rund elb_jahre_hinweis lzb_anteil_vorjahr elb_ausblick
prognose_nicht_marktnah_anteil prognose_marktnah_anteil prognose_elb_jdw
erwerbstaetige_monat erwerbstaetige_anzahl erwerbstaetige_veraenderung erwerbstaetige_richtung
erwerbstaetige_anteil_elb lzb_dezember_vorjahr lzb_jdw_vorjahr k3_vorjahr
nachhaltige_integrationen_vorjahr bedarfsdeckende_integrationen_vorjahr integrationsquote_lzb4_vorjahr
plan_vorhanden plan_status plan_hinweis integrationen_vorjahr integrationen_plan elb_plan quote_vorjahr
quote_plan quote_veraenderung lzb_vorjahr lzb_plan lzb_veraenderung lzb_senkung k1_vorjahr
l1_vorjahr l2_vorjahr l3_vorjahr
vk_neu_mio egl_neu_mio budget_veraenderung egl_zweiter_arbeitsmarkt egl_fbw_egz_mat ausgaben_vorjahr
ausgaben_erstes_halbjahr_vorjahr ausgaben_zweiter_arbeitsmarkt_vorjahr
""".split()
) | frozenset(  # chapter 5.3, the target groups (programme.TARGET_GROUPS x TARGET_GROUP_KEYS)
    f"zg_{group}_{key}"
    for group in ("u25", "schwerbehindert", "alleinerziehend", "ohne_abschluss", "gefluechtet")
    for key in ("bestand", "frauen", "maenner", "anteil", "integrationen", "quote", "massnahmen_anteil")
)
# Every table and chart the programme can place (programme.collect; a test keeps both in step).
TABLES = frozenset(
    """
elb_entwicklung prognose erwerbstaetige lzb kennzahlen lzb_ziel lokale_ziele kommunale_ziele budget egl_plan
ausgaben erweitertes_monitoring zielgruppen zielgruppe_u25 zielgruppe_schwerbehindert zielgruppe_alleinerziehend
zielgruppe_ohne_abschluss zielgruppe_gefluechtet
""".split()
)
CHARTS = frozenset({"elb_entwicklung", "egl_verteilung"})
