"""The cockpit application: FastAPI, server-rendered pages (Jinja2 + HTMX), JSON API.

``create_app`` wires the figure store (computed once per import, see ``store``), the state
database (users, sessions, audit log; migrated on start) and the pages. Pages live in
``amip.cockpit.pages``, one module per page; the authorisation policy in ``access``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException

import amip.forecast  # noqa: F401 (registers the forecast tables as a figure-cache extension)
from amip.cockpit import access, menu
from amip.cockpit.api import router as api_router
from amip.cockpit.auth import FORBIDDEN, LoginRequired, Viewer, current_user
from amip.cockpit.context import store
from amip.cockpit.pages import (
    account,
    admin,
    budget,
    comparison,
    deliveries,
    dqm,
    figure,
    forecast,
    intensive_care,
    overview,
    persons,
    planning,
    reconciliation,
    reports,
    start,
    target_groups,
    tracking,
)
from amip.cockpit.render import render
from amip.cockpit.settings import Settings
from amip.figures.store import FigureStore, LiveStore
from amip.state.db import open_state
from amip.state.users import TEST_HASH_ENV


class SecurityHeaders:
    """Adds SECURITY_HEADERS (and ``Cache-Control: no-store`` outside /static) to every response
    that does not set them itself. Plain ASGI: Starlette's BaseHTTPMiddleware costs about a
    millisecond per request, a quarter of a cached page (docs/benchmarks.md)."""

    def __init__(self, app, hsts: bool = False):
        self.app = app
        self.headers = {**SECURITY_HEADERS, **({"Strict-Transport-Security": HSTS} if hsts else {})}
        if worker_header():  # AMIP_WORKER_HEADER=1: which worker process answered (tests, diagnosis)
            self.headers[WORKER_HEADER] = str(os.getpid())

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for k, v in self.headers.items():
                    if k not in headers:
                        headers[k] = v
                if not static and "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


SECURITY_HEADERS = {
    # Scripts only from our own /static (htmx); inline SVG charts need inline style attributes.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
# Behind TLS (AMIP_SECURE_COOKIES=1): browsers use only HTTPS for a year. No includeSubDomains:
# the job center's other hosts under the same domain are not ours to decide for.
HSTS = "max-age=31536000"

# ``AMIP_WORKER_HEADER=1``: every response names the worker process that answered it (its process
# id), so a test or an operator can see that several ``amip serve --workers N`` processes share the
# load. Off by default: process ids are nobody's business in production.
WORKER_HEADER = "X-Amip-Worker"


def worker_header() -> bool:
    return os.environ.get("AMIP_WORKER_HEADER", "") in ("1", "true", "yes")


# Requests served at once by the thread pool (sync handlers and dependencies); more wait their
# turn instead of piling up threads. Override with AMIP_THREADS.
THREADS = 32


def thread_limit() -> int:
    raw = os.environ.get("AMIP_THREADS", "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else THREADS


# Why a request failed, when the handler gave no German reason (Starlette's own 404 and 405 say
# "Not Found" / "Method Not Allowed").
ERROR_TITLES = {
    400: "Ungültige Anfrage",
    401: "Anmeldung erforderlich",
    403: "Kein Zugriff",
    404: "Nicht gefunden",
    405: "Aktion nicht möglich",
    422: "Ungültige Angaben",
    500: "Interner Fehler",
}
ERROR_REASONS = {
    400: "Die Anfrage konnte so nicht verarbeitet werden.",
    401: "Bitte melden Sie sich an.",
    403: FORBIDDEN,
    404: "Diese Seite gibt es nicht (mehr). Vielleicht ist die Adresse falsch oder veraltet.",
    405: "Diese Adresse kann so nicht aufgerufen werden (z. B. ein Formular, das direkt geöffnet wurde). "
    "Bitte nutzen Sie das Formular auf der Seite.",
    422: "Es fehlen Angaben, oder eine Angabe hat die falsche Form (z. B. ein Monat als JJJJ-MM oder MM/JJJJ).",
    500: "Auf dem Server ist ein Fehler aufgetreten; er wurde protokolliert. Bitte versuchen Sie es später "
    "erneut oder wenden Sie sich an die Administration.",
}


def _viewer_or_none(request: Request) -> Viewer | None:
    """The logged-in user for an error page, or None (not logged in, or the state database fails:
    an error page must render anyway)."""
    try:
        return current_user(request)
    except Exception:  # noqa: BLE001 - LoginRequired, HTTPException(401), a failing state database
        return None


def _reason(status: int, detail: object) -> str:
    text = str(detail).strip() if detail is not None else ""
    english = {"Not Found", "Method Not Allowed", "Bad Request", "Forbidden", "Internal Server Error"}
    if not text or text in english:
        return ERROR_REASONS.get(status, ERROR_REASONS[400])
    return text


async def error_page(request: Request, status: int, detail: object, headers: Mapping[str, str] | None = None):
    """The error inside the normal page frame (menu, header, footer), in German: what happened, why,
    and the way back (the section's page and the role's start page)."""
    viewer = await run_in_threadpool(_viewer_or_none, request)
    try:
        st = store(request)
    except Exception:  # noqa: BLE001 - no store: the page renders without the data footer
        st = None
    back = menu.back_entry(request.url.path, viewer.role if viewer else None, st)
    response = render(
        request,
        "error.html",
        viewer,
        status=status,
        title=ERROR_TITLES.get(status, "Fehler"),
        detail=_reason(status, detail),
        back=back,
        start=access.start_page(viewer.role) if viewer else "/login",
        start_label=menu.start_label(viewer.role) if viewer else "Anmeldung",
    )
    response.status_code = status
    for k, v in (headers or {}).items():
        response.headers[k] = v
    return response


def _only_path_errors(exc: RequestValidationError) -> bool:
    return bool(exc.errors()) and all(e.get("loc", ("",))[0] == "path" for e in exc.errors())


def worker_app() -> FastAPI:
    """The app of one worker process of ``amip serve --workers N`` (uvicorn's ``factory=True``):
    settings from the environment (``AMIP_DB`` and the other ``AMIP_*`` variables, set by the
    parent process), the figure store opened read-only from the cache the parent has built before
    starting the workers (so N workers never race to build it; a cache made stale by an import
    meanwhile is built by one process under the cache's lock while the others wait for it). The
    workers share nothing but the files: the warehouse and its cache (read-only) and the state
    database (sessions, login pre-sessions and throttling, audit log)."""
    settings = Settings.from_env()
    return create_app(settings, FigureStore.open(settings.warehouse))


def create_app(settings: Settings, store: FigureStore | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        anyio.to_thread.current_default_thread_limiter().total_tokens = thread_limit()
        if os.environ.get(TEST_HASH_ENV) == "1":
            logging.getLogger(__name__).warning(
                "%s=1: passwords are hashed with test-only argon2 parameters; never set it on a server",
                TEST_HASH_ENV,
            )
        if getattr(app.state, "store", None) is None:
            app.state.store = app.state.live.current()
        yield

    app = FastAPI(
        title="amip Cockpit",
        version="1",
        lifespan=lifespan,
        description="Kennzahlen nach § 48a SGB II: JSON-Schnittstelle des amip-Cockpits.",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.sessions = open_state(url=settings.state_url)
    app.state.store = store
    # Each request takes its store from here; a new import is noticed and switched to (store.LiveStore).
    app.state.live = LiveStore(settings.warehouse, store, on_switch=lambda new: setattr(app.state, "store", new))

    app.add_middleware(SecurityHeaders, hsts=settings.secure_cookies)

    @app.get("/openapi.json", include_in_schema=False)
    def openapi_document(viewer: Viewer = Depends(current_user)):
        """The API description, for signed-in users only (it maps the whole surface)."""
        return JSONResponse(app.openapi())

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired):
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        return await error_page(request, exc.status_code, exc.detail, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError):
        if _only_path_errors(exc):  # /intensivbetreuung/platz/99999999999999999999: no such page
            return await http_error(request, HTTPException(404, "Nicht gefunden."))
        if request.url.path.startswith("/api/"):
            return JSONResponse(
                {"detail": "Ungültige Anfrage", "errors": [e.get("msg") for e in exc.errors()]}, status_code=422
            )
        return await error_page(request, 422, None)

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception):
        # Starlette still raises the exception afterwards (the server logs it with its traceback);
        # the user sees the page frame and a German message without internals.
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "Interner Fehler"}, status_code=500)
        return await error_page(request, 500, None)

    app.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static")
    for module in (
        account,
        start,
        overview,
        figure,
        persons,
        comparison,
        reconciliation,
        forecast,
        planning,
        tracking,
        budget,
        reports,
        intensive_care,
        target_groups,
        dqm,
        deliveries,
        admin,
    ):
        app.include_router(module.router)
    app.include_router(api_router)
    return app
