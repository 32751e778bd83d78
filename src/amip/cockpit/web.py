"""What every page shares: templates, the logged-in user, CSRF checks, tables and their downloads.

Sessions: an opaque random token in an HttpOnly, SameSite=Strict cookie (Secure behind TLS); only
its SHA-256 is stored (``amip.state.sessions``). Every state-changing form carries the session's
CSRF token; the login form uses a double-submit cookie because there is no session yet.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import secrets
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from pathlib import Path
from collections.abc import Callable
from typing import Annotated, Any

import xlsxwriter
from fastapi import Depends, HTTPException, Path as PathParam, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from amip import disclosure as dc
from amip import format as fmt
from amip.cockpit import access
from amip.figures import glossary
from amip.exports import XLSX_OPTIONS, safe_cell, safe_text
from amip.state import audit
from amip.state.db import reading
from amip.state.sessions import needs_touch, resolve_session, touch_session

SESSION_COOKIE = "amip_session"
LOGIN_CSRF_COOKIE = "amip_login_csrf"

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.globals.update(g=glossary, roles=access.ROLE_NAMES, may=access.may, access=access)
templates.env.filters["zahl"] = lambda v, d=0: dc.display(v, lambda x: fmt.number(x, d))
templates.env.filters["prozent"] = lambda v, d=1: dc.display(v, lambda x: fmt.percent(x, d))
templates.env.tests["suppressed"] = dc.is_suppressed
templates.env.globals.update(suppression_note=dc.NOTE)


# A row id in a URL: SQLite's and PostgreSQL's integers end at 2**63-1; anything outside is not a
# row (the app answers 404 for a path that fails validation) instead of an overflow deep down.
MAX_ROW_ID = 2**63 - 1
RowId = Annotated[int, PathParam(ge=1, le=MAX_ROW_ID)]


class LoginRequired(Exception):
    """Raised by :func:`current_user` for pages; the app turns it into a redirect to /login."""


@dataclass
class Viewer:
    """The logged-in user as the pages need it (detached from the database session)."""

    name: str
    role: str
    team_id: str | None
    caseworker_id: str | None
    csrf_token: str
    token: str


def state(request: Request):
    return request.app.state.sessions


def store(request: Request):
    """The figure store this request uses, the same for all of it: taken once, at the first call,
    from the app's ``LiveStore`` (which notices a new import), so a page or document built by one
    request never mixes two imports."""
    st = getattr(request.state, "amip_store", None)
    if st is None:
        live = getattr(request.app.state, "live", None)
        st = live.current() if live is not None else request.app.state.store
        request.state.amip_store = st
    return st


_NOTICE_MARK = "<!--amip-data-notice-->"
PREPARING_NOTICE = ('<p class="notices" role="status">Ein neuer Datenstand wird vorbereitet. Bis er bereit ist, '
                    "zeigen alle Seiten und Downloads weiter den bisherigen Datenstand.</p>")
FAILED_NOTICE = ('<p class="notices" role="status">Ein neuer Datenstand konnte nicht übernommen werden; die Seiten '
                 "zeigen weiter den bisherigen Datenstand. Der Grund steht im Server-Protokoll.</p>")


def data_notice(request: Request) -> str:
    """The notice about the data state (HTML) when a new import is being prepared or could not be
    taken over; empty otherwise."""
    live = getattr(request.app.state, "live", None)
    if live is None:
        return ""
    if live.preparing:
        return PREPARING_NOTICE
    return FAILED_NOTICE if live.error else ""


def current_user(request: Request) -> Viewer:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        settings = request.app.state.settings
        with reading(state(request)) as db:  # no write lock: every request passes here
            found = resolve_session(db, token, idle=dt.timedelta(minutes=settings.idle_minutes), touch=False,
                                    purge=False)
        if found is not None:
            if needs_touch(found):
                with state(request).begin() as db:
                    touch_session(db, found.id)
            u = found.user
            return Viewer(u.name, u.role, u.team_id, u.caseworker_id, found.csrf_token, token)
    if request.url.path.startswith("/api/"):
        raise HTTPException(401, "Anmeldung erforderlich")
    raise LoginRequired()


def require(viewer: Viewer, capability: str) -> None:
    if not access.may(viewer.role, capability):
        raise HTTPException(403, "Für diese Seite fehlt Ihrer Rolle die Berechtigung.")


async def check_csrf(request: Request, viewer: Viewer) -> dict[str, Any]:
    """The submitted form, after checking its CSRF token against the session's."""
    form = dict(await request.form())
    sent = str(form.get("csrf_token", ""))
    if not sent or not secrets.compare_digest(sent, viewer.csrf_token):
        raise HTTPException(403, "Ungültiges oder fehlendes Formular-Token (CSRF). Bitte laden Sie die Seite neu.")
    return form


async def csrf_form(request: Request, viewer: Viewer = Depends(current_user)) -> dict[str, Any]:
    """Dependency form of :func:`check_csrf`: lets a POST handler be a plain ``def``, which FastAPI
    runs in its bounded thread pool, instead of an ``async def`` whose database work and password
    hashing would block the event loop (and with it every other request)."""
    return await check_csrf(request, viewer)


def secure(request: Request) -> bool:
    return request.app.state.settings.secure_cookies or request.url.scheme == "https"


def render(request: Request, template: str, viewer: Viewer | None, **context) -> HTMLResponse:
    try:
        st = store(request)
    except Exception:  # noqa: BLE001 - an error page must render even when no store can be opened
        st = getattr(request.app.state, "store", None)
    ctx = {"viewer": viewer, "store": st, "data_notice": Markup(data_notice(request)), **context}
    return templates.TemplateResponse(request, template, ctx)


# ---- pages shared by every user of a role ------------------------------------------------------

# Stand-ins for what differs between two users of the same role on a shared page: rendered into the
# cached HTML and replaced per request (user names are [A-Za-z0-9._-], tokens URL-safe base64, so
# neither needs escaping and neither can contain a marker).
_NAME_MARK, _CSRF_MARK = "@@amip-user-name@@", "@@amip-csrf-token@@"
PAGE_CACHE_SIZE = 512


class PageCache:
    """Rendered pages of one figure store, by (template, parameters, role); least recently used
    pages leave first. A new import brings a new store and with it an empty cache."""

    def __init__(self, size: int = PAGE_CACHE_SIZE):
        self._pages: OrderedDict[tuple, str] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: tuple) -> str | None:
        with self._lock:
            html = self._pages.get(key)
            if html is not None:
                self._pages.move_to_end(key)
            return html

    def put(self, key: tuple, html: str) -> None:
        with self._lock:
            self._pages[key] = html
            self._pages.move_to_end(key)
            while len(self._pages) > self._size:
                self._pages.popitem(last=False)


_page_caches: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def render_shared(request: Request, template: str, viewer: Viewer, key: tuple,
                  context: Callable[[], dict[str, Any]]) -> HTMLResponse:
    """A page whose content depends only on ``key`` (the page's parameters after validation) and
    on the viewer's role: rendered once per (template, key, role) and served from memory after
    that, with the user's name and CSRF token put in. Only for aggregate pages (no person data, no
    audit entry); ``context()`` builds the template context when the page is not cached yet."""
    st = store(request)
    cache = _page_caches.get(st)
    if cache is None:
        cache = _page_caches.setdefault(st, PageCache())
    full_key = (template, key, viewer.role)
    html = cache.get(full_key)
    if html is None:
        stand_in = replace(viewer, name=_NAME_MARK, csrf_token=_CSRF_MARK)
        html = templates.get_template(template).render(
            {"request": request, "viewer": stand_in, "store": st, **context()})
        cache.put(full_key, html)
    html = html.replace(_NAME_MARK, viewer.name).replace(_CSRF_MARK, viewer.csrf_token)
    notice = data_notice(request)
    if notice:
        html = html.replace(_NOTICE_MARK, notice, 1)
    return HTMLResponse(html)


# ---- tables: rendered in HTML, downloadable as CSV and XLSX ------------------------------------

@dataclass
class Column:
    key: str
    label: str
    kind: str = "text"  # text | count | amount | percent | month
    decimals: int | None = None

    def display(self, v) -> str:
        if dc.is_suppressed(v):
            return dc.MARK
        if self.kind == "text" or self.kind == "month":
            return "–" if v is None or v != v else str(v)
        if self.kind == "percent":
            return fmt.percent(v, 1 if self.decimals is None else self.decimals)
        if self.kind == "amount":
            return fmt.number(v, 0 if self.decimals is None else self.decimals)
        return fmt.number(v, 0 if self.decimals is None else self.decimals)


@dataclass
class DataTable:
    """A table as the pages show it; ``links`` maps (row index, column key) to a URL."""

    title: str
    columns: list[Column]
    rows: list[dict]
    filename: str
    links: dict[tuple[int, str], str] = field(default_factory=dict)
    caption: str | None = None

    @property
    def suppressed(self) -> bool:
        """Some cell holds a suppressed small number (amip.disclosure); the page explains the ``*``."""
        return dc.any_suppressed(self.rows)

    def cell(self, i: int, col: Column) -> Markup:
        text = Markup.escape(col.display(self.rows[i].get(col.key)))
        url = self.links.get((i, col.key))
        return Markup(f'<a href="{Markup.escape(url)}">{text}</a>') if url else text


def csv_response(table: DataTable) -> Response:
    """CSV as German spreadsheet programs read it: ';' between fields, decimal comma, UTF-8 with BOM.
    Numbers keep their full precision (only the HTML view rounds). Text cells that a spreadsheet
    would read as a formula are neutralised (``amip.exports.safe_cell``); numbers stay numbers."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow([safe_text(c.label) for c in table.columns])
    for row in table.rows:
        out = []
        for c in table.columns:
            v = row.get(c.key)
            if v is None or (isinstance(v, float) and v != v):
                out.append("")
            elif c.kind in ("count", "amount", "percent") and isinstance(v, (int, float)):
                out.append(_plain_number(v))
            else:
                out.append(str(safe_cell(v)))
        w.writerow(out)
    data = "\ufeff" + buf.getvalue()
    return Response(data.encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{table.filename}.csv"'})


def _plain_number(v: float) -> str:
    if float(v).is_integer():
        return str(int(v))
    return repr(float(v)).replace(".", ",")


def xlsx_response(table: DataTable) -> Response:
    """XLSX with numeric cells (German display formats applied by the spreadsheet); texts are
    written as text cells, never as formulas or links."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {**XLSX_OPTIONS, "nan_inf_to_errors": True})
    ws = wb.add_worksheet(table.title[:31].replace("/", "-").replace(":", " "))
    bold = wb.add_format({"bold": True})
    formats = {
        "count": wb.add_format({"num_format": "#,##0"}),
        "amount": wb.add_format({"num_format": "#,##0.00"}),
        "percent": wb.add_format({"num_format": "0.0"}),
    }
    for k, c in enumerate(table.columns):
        ws.write_string(0, k, c.label, bold)
    for r, row in enumerate(table.rows, start=1):
        for k, c in enumerate(table.columns):
            v = row.get(c.key)
            if v is None or (isinstance(v, float) and v != v):
                ws.write_blank(r, k, None)
            elif c.kind in formats and isinstance(v, (int, float)):
                ws.write_number(r, k, float(v), formats[c.kind])
            else:
                ws.write_string(r, k, str(v))
    ws.set_column(0, len(table.columns) - 1, 18)
    wb.close()
    return Response(buf.getvalue(), media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{table.filename}.xlsx"'})


def download(table: DataTable, fmt_: str) -> Response:
    if fmt_ == "csv":
        return csv_response(table)
    if fmt_ == "xlsx":
        return xlsx_response(table)
    raise HTTPException(404, "Unbekanntes Format (csv oder xlsx)")


def log_person_view(request: Request, viewer: Viewer, action: str, list_name: str, persons: int) -> None:
    """Audit entry for a view or export of person-level data (no person ids are written)."""
    with state(request).begin() as db:
        audit.record(db, user_name=viewer.name, role=viewer.role, action=action, list_name=list_name, persons=persons)


Handler = Callable[..., Any]


# ---- query parameters shared by the pages (checked against the data, 404 when unknown) ----------

def pick_jobcenter(store_, jc: str | None) -> str:
    if not store_.jobcenters:
        raise HTTPException(404, "Die Datenbasis enthält keine Jobcenter.")
    if jc is None or jc == "":
        return store_.jobcenters[0]
    if jc not in store_.jobcenters:
        raise HTTPException(404, "Unbekanntes Jobcenter.")
    return jc


def pick_month(store_, month: str | None) -> str:
    if month is None or month == "":
        if store_.latest is None:
            raise HTTPException(404, "Keine Monate mit Kennzahlen in der Datenbasis.")
        return store_.latest
    if month not in store_.months:
        raise HTTPException(404, "Für diesen Monat liegen keine Kennzahlen vor.")
    return month


def pick_sex(sex: str | None) -> str:
    if sex is None or sex == "":
        return "all"
    if sex not in glossary.SEXES:
        raise HTTPException(404, "Unbekannte Gruppe (all, w, m).")
    return sex


def pick_figure(store_, figure: str) -> str:
    if figure not in store_.available_figures():
        raise HTTPException(404, "Diese Kennzahl gibt es nicht oder sie ist mit den vorhandenen Daten nicht berechenbar.")
    return figure


def month_label(month: str) -> str:
    """'2022-12' -> '12/2022' (as the BA's tables write it)."""
    y, m = month.split("-")
    return f"{m}/{y}"


templates.env.filters["monat"] = month_label
