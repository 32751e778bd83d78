"""Who is asking: the logged-in user, capability checks as FastAPI dependencies, CSRF checks.

Sessions: an opaque random token in an HttpOnly, SameSite=Strict cookie (Secure behind TLS); only
its SHA-256 is stored (``amip.state.sessions``). Every state-changing form carries the session's
CSRF token; the login form uses a double-submit cookie because there is no session yet.

A handler states what its user must be allowed to do in its signature::

    def page(request: Request, viewer: Viewer = Depends(needs(access.PERSONS))): ...

(``needs`` checks the role against ``access.POLICY``: 403 otherwise; not logged in: redirect to
/login, or 401 under /api/). ``Depends(current_user)`` is for pages every logged-in user may open.
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, HTTPException, Request

from amip.cockpit import access
from amip.cockpit.context import state
from amip.state.db import reading
from amip.state.sessions import needs_touch, resolve_session, touch_session

SESSION_COOKIE = "amip_session"
LOGIN_CSRF_COOKIE = "amip_login_csrf"
FORBIDDEN = "Für diese Seite fehlt Ihrer Rolle die Berechtigung."


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


def current_user(request: Request) -> Viewer:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        settings = request.app.state.settings
        with reading(state(request)) as db:  # no write lock: every request passes here
            found = resolve_session(
                db, token, idle=dt.timedelta(minutes=settings.idle_minutes), touch=False, purge=False
            )
        if found is not None:
            if needs_touch(found):
                with state(request).begin() as db:
                    touch_session(db, found.id)
            u = found.user
            return Viewer(u.name, u.role, u.team_id, u.caseworker_id, found.csrf_token, token)
    if request.url.path.startswith("/api/"):
        raise HTTPException(401, "Anmeldung erforderlich")
    raise LoginRequired()


@functools.cache
def needs(*capabilities: str) -> Callable[..., Awaitable[Viewer]]:
    """The dependency "the logged-in user, whose role may one of ``capabilities``" (403 otherwise).
    Cached: one function per set of capabilities, so the same ``needs(...)`` in two places is one
    dependency to FastAPI (resolved once per request, like ``current_user`` beneath it)."""

    async def viewer_who_may(viewer: Viewer = Depends(current_user)) -> Viewer:
        # no I/O: async, so it runs on the event loop instead of taking a thread-pool hop
        if not any(access.may(viewer.role, c) for c in capabilities):
            raise HTTPException(403, FORBIDDEN)
        return viewer

    viewer_who_may.__name__ = "needs_" + "_or_".join(capabilities)
    return viewer_who_may


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
