"""Login, logout and the own account (password change)."""

from __future__ import annotations

import datetime as dt
import secrets

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse

from amip.cockpit.web import (
    LOGIN_CSRF_COOKIE, SESSION_COOKIE, Viewer, check_csrf, current_user, render, secure, state,
)
from amip.state import audit
from amip.state.sessions import create_session, end_session
from amip.state.users import AccountLocked, LoginFailed, WeakPassword, authenticate, change_password, get_user

router = APIRouter()

WEAK = {
    "too_short": "Das neue Passwort muss mindestens 12 Zeichen lang sein.",
    "too_long": "Das neue Passwort ist zu lang.",
    "equals_name": "Das neue Passwort darf nicht der Benutzername sein.",
    "unchanged": "Das neue Passwort muss sich vom alten unterscheiden.",
}


def _login_form(request: Request, error: str | None = None, status: int = 200):
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = render(request, "login.html", None, csrf_token=token, error=error)
    response.status_code = status
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure(request), path="/login")
    return response


@router.get("/login", name="login")
def login_page(request: Request):
    return _login_form(request)


@router.post("/login", name="login_submit")
def login_submit(request: Request, username: str = Form(""), password: str = Form(""), csrf_token: str = Form("")):
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not secrets.compare_digest(cookie, csrf_token):
        return _login_form(request, "Die Anmeldeseite war abgelaufen. Bitte erneut versuchen.", 403)
    settings = request.app.state.settings
    error: str | None
    with state(request).begin() as db:
        try:
            user = authenticate(db, username, password)
        except LoginFailed:
            audit.record(db, user_name=username[:64] or "?", role="-", action="login_failed")
            error = "Benutzername oder Passwort ist falsch."
        except AccountLocked as exc:
            audit.record(db, user_name=username[:64], role="-", action="login_failed", detail="account locked")
            error = f"Zu viele Fehlversuche: Das Konto ist bis {exc.until.astimezone():%H:%M} Uhr gesperrt."
        else:
            token, _session = create_session(db, user, ttl=dt.timedelta(hours=settings.session_hours))
            audit.record(db, user_name=user.name, role=user.role, action="login")
            error = None
    if error:
        return _login_form(request, error, 401)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict", secure=secure(request), path="/",
                        max_age=int(settings.session_hours * 3600))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout", name="logout")
async def logout(request: Request, viewer: Viewer = Depends(current_user)):
    await check_csrf(request, viewer)
    with state(request).begin() as db:
        end_session(db, viewer.token)
        audit.record(db, user_name=viewer.name, role=viewer.role, action="logout")
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/konto", name="account")
def account(request: Request, viewer: Viewer = Depends(current_user)):
    return render(request, "account.html", viewer, message=None, error=None)


@router.post("/konto/passwort", name="password_change")
async def password_change(request: Request, viewer: Viewer = Depends(current_user)):
    form = await check_csrf(request, viewer)
    old, new, again = (str(form.get(k, "")) for k in ("old_password", "new_password", "new_password_again"))
    error = None
    if new != again:
        error = "Die beiden neuen Passwörter stimmen nicht überein."
    else:
        with state(request).begin() as db:
            user = get_user(db, viewer.name)
            if user is None:
                raise HTTPException(401, "Anmeldung erforderlich")
            try:
                change_password(db, user, old, new, except_token=viewer.token)
            except LoginFailed:
                error = "Das bisherige Passwort ist falsch."
            except AccountLocked:
                error = "Zu viele Fehlversuche: Das Konto ist vorübergehend gesperrt."
            except WeakPassword as exc:
                error = WEAK.get(exc.reason, "Das neue Passwort erfüllt die Regeln nicht.")
            else:
                audit.record(db, user_name=viewer.name, role=viewer.role, action="password_changed")
    response = render(request, "account.html", viewer, error=error,
                      message=None if error else "Das Passwort wurde geändert. Andere Sitzungen wurden beendet.")
    response.status_code = 400 if error else 200
    return response
