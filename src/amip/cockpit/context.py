"""What a request works on: the figure store (one snapshot per request), the state database, the
day that counts as "today", and the audit entry for person-level views."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from fastapi import Request

from amip import format as fmt
from amip.state import audit
from amip.worklists import intensive as ic

if TYPE_CHECKING:
    from amip.cockpit.auth import Viewer


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


def today(request: Request) -> dt.date:
    """ "Today" of meeting reminders and the places of the year (Intensivbetreuung, Meine Arbeit, Mein
    Team): ``AMIP_TODAY`` (a date, or ``data`` for the data's Datenstand), else the real date
    (amip.format.today)."""
    setting = getattr(request.app.state.settings, "today", None)
    data = ic.data_today(store(request)) if (setting or "").strip() == fmt.TODAY_DATA else None
    return ic.today_of(setting, data)


def log_person_view(request: Request, viewer: Viewer, action: str, list_name: str, persons: int) -> None:
    """Audit entry for a view or export of person-level data (no person ids are written)."""
    with state(request).begin() as db:
        audit.record(db, user_name=viewer.name, role=viewer.role, action=action, list_name=list_name, persons=persons)
