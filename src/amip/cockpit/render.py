"""Rendering: the Jinja2 templates and their filters, the data-state notice, and the page cache for
pages shared by every user of a role (``render_shared``)."""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from amip import disclosure as dc
from amip import format as fmt
from amip.cockpit import access, menu
from amip.cockpit.auth import Viewer
from amip.cockpit.context import store
from amip.figures import glossary, states

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.globals.update(g=glossary, roles=access.ROLE_NAMES, may=access.may, access=access)
templates.env.filters["zahl"] = lambda v, d=0: dc.display(v, lambda x: fmt.number(x, d))
templates.env.filters["prozent"] = lambda v, d=1: dc.display(v, lambda x: fmt.percent(x, d))
templates.env.tests["suppressed"] = dc.is_suppressed
templates.env.globals.update(suppression_note=dc.NOTE)
# The main navigation per role (cockpit/menu.py), and what the pages have content for.
templates.env.globals.update(
    menu=menu.entries,
    start_page=access.start_page,
    has_published=menu.has_published,
    has_revisions=menu.has_revisions,
)


def state_badge(state: states.State | None, band: bool = True) -> Markup:
    """A value's data state as HTML, in words (not by colour alone): "endgültig" or "vorläufig
    (Datenstand 01.01.2023)" with the long explanation as its title, and next to a provisional
    value the expected revision band (``band``); empty without a state."""
    if state is None or not state.label:
        return Markup("")
    kind = "final" if state.final else "provisional"
    html = Markup('<span class="state state-{}" title="{}">{}</span>').format(kind, state.title, state.label)
    if band and state.provisional:
        text = state.band_label or (
            "erwartete Revision: nicht ausgewiesen (kleine Zahlen)"
            if state.withheld
            else "erwartete Revision: noch keine Revisionsstatistik"
        )
        html += Markup(' <span class="band" title="{}">{}</span>').format(
            "vorläufiger minus endgültiger Wert, 5 %- bis 95 %-Quantil der bisherigen Revisionen", text
        )
    return html


def latest_delivery(st) -> str:
    """The day of the store's latest delivery ('01.01.2023'), '' without deliveries (footer)."""
    found = st.deliveries() if st is not None else []
    days = [states.as_date(d["as_of"]) for d in found]
    known = [d for d in days if d is not None]
    return fmt.date_de(max(known)) if known else ""


templates.env.globals.update(state_badge=state_badge, state_note=states.STATE_NOTE, latest_delivery=latest_delivery)


_NOTICE_MARK = "<!--amip-data-notice-->"
PREPARING_NOTICE = (
    '<p class="notices" role="status">Ein neuer Datenstand wird vorbereitet. Bis er bereit ist, '
    "zeigen alle Seiten und Downloads weiter den bisherigen Datenstand.</p>"
)
FAILED_NOTICE = (
    '<p class="notices" role="status">Ein neuer Datenstand konnte nicht übernommen werden; die Seiten '
    "zeigen weiter den bisherigen Datenstand. Der Grund steht im Server-Protokoll.</p>"
)


def data_notice(request: Request) -> str:
    """The notice about the data state (HTML) when a new import is being prepared or could not be
    taken over; empty otherwise."""
    live = getattr(request.app.state, "live", None)
    if live is None:
        return ""
    if live.preparing:
        return PREPARING_NOTICE
    return FAILED_NOTICE if live.error else ""


def render(request: Request, template: str, viewer: Viewer | None, **context) -> HTMLResponse:
    try:
        st = store(request)
    except Exception:  # noqa: BLE001 - an error page must render even when no store can be opened
        st = getattr(request.app.state, "store", None)
    ctx = {"viewer": viewer, "store": st, "data_notice": Markup(data_notice(request)), **context}
    if "month_state" not in ctx:  # pages of one Bezugsmonat say its data state (_state_note.html)
        ctx["month_state"] = _month_state(st, context.get("jc"), context.get("month"))
    return templates.TemplateResponse(request, template, ctx)


def _month_state(st, jc: object, month: object) -> states.State | None:
    if st is None or not isinstance(jc, str) or not isinstance(month, str):
        return None
    try:
        return states.of_month(st, jc, month)
    except (KeyError, AttributeError, ValueError):  # no figures for it: no state to show
        return None


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


def render_shared(
    request: Request, template: str, viewer: Viewer, key: tuple, context: Callable[[], dict[str, Any]]
) -> HTMLResponse:
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
            {"request": request, "viewer": stand_in, "store": st, **context()}
        )
        cache.put(full_key, html)
    html = html.replace(_NAME_MARK, viewer.name).replace(_CSRF_MARK, viewer.csrf_token)
    notice = data_notice(request)
    if notice:
        html = html.replace(_NOTICE_MARK, notice, 1)
    return HTMLResponse(html)


def month_label(month: str) -> str:
    """'2022-12' -> '12/2022' (as the BA's tables write it; amip.format.month)."""
    return fmt.month(month)


templates.env.filters["monat"] = month_label
templates.env.filters["datum"] = fmt.date_de  # 31.12.2022
templates.env.filters["zeitpunkt"] = fmt.time_de  # 01.12.2026 um 15:54 Uhr (Europe/Berlin)
templates.env.filters["anzahl"] = lambda v, d=1: dc.display(v, lambda x: fmt.count(x, d))  # 253, not 253,0
