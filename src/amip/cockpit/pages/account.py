"""Login, logout and the own account (password change).

The login form is bound to a pre-session (``amip.state.login``): a random pre-login cookie whose
stored CSRF token the form must send back, so a pair made up by someone else is refused. The
password is verified outside any database transaction; the answers are the same for unknown and
known names."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse

from amip import format as fmt
from amip.cockpit import access
from amip.cockpit.auth import LOGIN_CSRF_COOKIE, SESSION_COOKIE, Viewer, csrf_form, current_user, secure
from amip.cockpit.context import state
from amip.cockpit.render import render
from amip.state import audit
from amip.state.db import reading
from amip.state.login import BadLoginForm, LoginRefused, LoginThrottled, log_in, pre_session
from amip.state.sessions import end_session
from amip.state.users import (
    POLICY,
    AccountLocked,
    LoginFailed,
    WeakPassword,
    get_user,
    hash_password,
    record_password_change,
    verify_password,
)

router = APIRouter()

WEAK = {
    "too_short": "Das neue Passwort muss mindestens 12 Zeichen lang sein.",
    "too_long": "Das neue Passwort ist zu lang.",
    "equals_name": "Das neue Passwort darf nicht der Benutzername sein.",
    "guessable": "Das Passwort ist zu leicht zu erraten (häufiges Passwort, Wort oder Muster wie „aaaa“ "
    "oder „1234“). Wählen Sie z. B. mehrere ungewöhnliche Wörter.",
    "unchanged": "Das neue Passwort muss sich vom alten unterscheiden.",
}


def _login_form(request: Request, error: str | None = None, status: int = 200):
    cookie, token = pre_session(state(request), request.cookies.get(LOGIN_CSRF_COOKIE))
    response = render(request, "login.html", None, csrf_token=token, error=error)
    response.status_code = status
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        cookie,
        httponly=True,
        samesite="strict",
        secure=secure(request),
        path="/login",
        max_age=30 * 60,
    )
    return response


@router.get("/login", name="login")
def login_page(request: Request):
    return _login_form(request)


@router.post("/login", name="login_submit")
def login_submit(request: Request, username: str = Form(""), password: str = Form(""), csrf_token: str = Form("")):
    settings = request.app.state.settings
    try:
        done = log_in(
            state(request),
            username,
            password,
            request.client.host if request.client else None,
            pre_cookie=request.cookies.get(LOGIN_CSRF_COOKIE),
            csrf_token=csrf_token,
            ttl=dt.timedelta(hours=settings.session_hours),
        )
    except BadLoginForm:
        return _login_form(request, "Die Anmeldeseite war abgelaufen. Bitte erneut versuchen.", 403)
    except LoginRefused:
        return _login_form(request, "Benutzername oder Passwort ist falsch.", 401)
    except LoginThrottled as exc:
        return _login_form(
            request,
            "Zu viele Fehlversuche: Anmeldungen mit diesem Namen sind von Ihrem Rechner aus "
            f"bis {fmt.time_de(exc.until, seconds=True, short=True)[11:]} Uhr gesperrt.",
            401,
        )
    response = RedirectResponse(access.start_page(done.user.role), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        done.token,
        httponly=True,
        samesite="strict",
        secure=secure(request),
        path="/",
        max_age=int(settings.session_hours * 3600),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout", name="logout")
def logout(request: Request, viewer: Viewer = Depends(current_user), _form: dict = Depends(csrf_form)):
    with state(request).begin() as db:
        end_session(db, viewer.token)
        audit.record(db, user_name=viewer.name, role=viewer.role, action="logout")
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/konto", name="account")
def account(request: Request, viewer: Viewer = Depends(current_user)):
    return render(request, "account.html", viewer, message=None, error=None)


def _change_password(request: Request, viewer: Viewer, old: str, new: str) -> str | None:
    """Slow parts (two argon2 runs, the guessability check) outside the transaction; returns the
    German error or None."""
    with reading(state(request)) as db:
        user = get_user(db, viewer.name)
        if user is None:
            raise HTTPException(401, "Anmeldung erforderlich")
        seen_hash = user.password_hash
    old_ok = verify_password(seen_hash, old)
    if old_ok:
        try:
            POLICY.check(new, viewer.name)
        except WeakPassword as exc:
            return WEAK.get(exc.reason, "Das neue Passwort erfüllt die Regeln nicht.")
        if new == old:
            return WEAK["unchanged"]
    new_hash = hash_password(new) if old_ok else ""
    try:
        with state(request).begin() as db:
            user = get_user(db, viewer.name)
            if user is None:
                raise HTTPException(401, "Anmeldung erforderlich")
            try:
                record_password_change(db, user, old_ok, seen_hash, new, new_hash, except_token=viewer.token)
            except LoginFailed:  # caught inside the transaction, so the failure count is kept
                audit.record(
                    db,
                    user_name=viewer.name,
                    role=viewer.role,
                    action="login_failed",
                    detail="falsches bisheriges Passwort",
                )
                return "Das bisherige Passwort ist falsch."
            audit.record(db, user_name=viewer.name, role=viewer.role, action="password_changed")
    except AccountLocked:
        return "Zu viele Fehlversuche: Das Konto ist vorübergehend gesperrt."
    return None


@router.post("/konto/passwort", name="password_change")
def password_change(request: Request, viewer: Viewer = Depends(current_user), form: dict = Depends(csrf_form)):
    old, new, again = (str(form.get(k, "")) for k in ("old_password", "new_password", "new_password_again"))
    error = (
        "Die beiden neuen Passwörter stimmen nicht überein."
        if new != again
        else _change_password(request, viewer, old, new)
    )
    response = render(
        request,
        "account.html",
        viewer,
        error=error,
        message=None if error else "Das Passwort wurde geändert. Andere Sitzungen wurden beendet.",
    )
    response.status_code = 400 if error else 200
    return response
