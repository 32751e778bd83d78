"""Administration: user accounts and the audit log (read only; the database refuses changes to it).

The admin role manages accounts and reads the log but has no access to person-level data."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse

from amip import format as fmt
from amip.cockpit import access
from amip.cockpit.auth import Viewer, csrf_form, needs
from amip.cockpit.context import state
from amip.cockpit.pages.account import WEAK
from amip.cockpit.render import render
from amip.cockpit.tables import Column, DataTable, download
from amip.state import audit
from amip.state.db import ROLES, reading
from amip.state.login import blocks
from amip.state.users import (
    PERSON_ROLES,
    POLICY,
    InvalidUser,
    UnknownUser,
    UserExists,
    WeakPassword,
    add_user,
    hash_password,
    list_users,
    remove_user,
    validate_user,
)

router = APIRouter(prefix="/admin")
PAGE = 100
ACTIONS = {
    "view": "Ansicht Personenliste",
    "export_csv": "Export CSV",
    "export_xlsx": "Export XLSX",
    "login": "Anmeldung",
    "login_failed": "Fehlgeschlagene Anmeldung",
    "logout": "Abmeldung",
    "user_added": "Benutzer angelegt",
    "user_removed": "Benutzer entfernt",
    "password_changed": "Passwort geändert",
    "plan_saved": "Plan gespeichert",
    "plan_agreed": "Plan vereinbart",
    "report_text_edit": "Berichtstext geändert",
    "report_text_reset": "Berichtstext zurückgesetzt",
    "intensive_take": "Intensivbetreuung aufgenommen",
    "intensive_meeting": "Gespräch erfasst",
    "intensive_end": "Intensivbetreuung beendet",
    "dqm_run": "Datenqualitätsprüfung",
    "dqm_task": "DQM-Aufgabe bearbeitet",
    "user_unlocked": "Anmeldesperre aufgehoben",
}


def _users_page(
    request: Request, viewer: Viewer, error: str | None = None, message: str | None = None, status: int = 200
):
    with reading(state(request)) as db:
        blocked = blocks(db)
        users = [
            {
                "name": u.name,
                "role": u.role,
                "team_id": u.team_id,
                "caseworker_id": u.caseworker_id,
                "locked_until": blocked.get(u.name) or u.locked_until,
            }
            for u in list_users(db)
        ]
    response = render(request, "admin_users.html", viewer, users=users, all_roles=ROLES, error=error, message=message)
    response.status_code = status
    return response


@router.get("/benutzer", name="admin_users")
def users_page(request: Request, viewer: Viewer = Depends(needs(access.USERS))):
    return _users_page(request, viewer)


@router.post("/benutzer", name="admin_user_add")
def user_add(request: Request, viewer: Viewer = Depends(needs(access.USERS)), form: dict = Depends(csrf_form)):
    name, role, password = (str(form.get(k, "")).strip() for k in ("name", "role", "password"))
    team = str(form.get("team_id", "")).strip() or None
    caseworker = str(form.get("caseworker_id", "")).strip() or None
    try:
        validate_user(name, role, team, caseworker)  # the slow parts only for a valid request
        POLICY.check(password, name)
        password_hash = hash_password(password)  # outside the transaction
        with state(request).begin() as db:
            add_user(db, name, role, password, team_id=team, caseworker_id=caseworker, password_hash=password_hash)
            mark = audit.PRIVILEGED_MARK if role in PERSON_ROLES else ""
            audit.record(
                db, user_name=viewer.name, role=viewer.role, action="user_added", detail=f"{name} ({role}){mark}"
            )
    except WeakPassword as exc:
        return _users_page(request, viewer, WEAK.get(exc.reason, "Das Passwort erfüllt die Regeln nicht."), status=400)
    except UserExists:
        return _users_page(request, viewer, f"Den Benutzer {name} gibt es schon.", status=400)
    except InvalidUser as exc:
        return _users_page(request, viewer, invalid_user_message(exc), status=400)
    except ValueError:
        return _users_page(request, viewer, "Ungültige Angaben.", status=400)
    return _users_page(request, viewer, message=f"Benutzer {name} wurde angelegt.")


def invalid_user_message(exc: InvalidUser) -> str:
    """German text for :class:`InvalidUser` (the exception's English text may quote the typed name
    with control characters; it is not shown)."""
    text = str(exc)
    if text.startswith("invalid user name"):
        return (
            "Ungültiger Benutzername: 2 bis 64 Zeichen aus Buchstaben (ohne Umlaute), Ziffern, „.“, „_“ "
            "und „-“; keine Leer- oder Steuerzeichen."
        )
    if text.startswith("unknown role"):
        return "Unbekannte Rolle."
    if "needs a team id" in text:
        return "Die Rolle Teamleitung braucht eine Team-Kennung."
    if "needs a caseworker id" in text:
        return "Die Rolle IfK braucht eine Kennung der Integrationsfachkraft."
    return "Ungültige Angaben: Team- oder IfK-Kennung passt nicht zur Rolle."


@router.post("/benutzer/{name}/entfernen", name="admin_user_remove")
def user_remove(
    request: Request, name: str, viewer: Viewer = Depends(needs(access.USERS)), _form: dict = Depends(csrf_form)
):
    if name == viewer.name:
        return _users_page(request, viewer, "Das eigene Konto kann nicht entfernt werden.", status=400)
    try:
        with state(request).begin() as db:
            remove_user(db, name)
            audit.record(db, user_name=viewer.name, role=viewer.role, action="user_removed", detail=name)
    except UnknownUser:
        raise HTTPException(404, "Unbekannter Benutzer.") from None
    return RedirectResponse("/admin/benutzer", status_code=303)


def audit_table(request: Request, offset: int = 0, limit: int = PAGE) -> tuple[DataTable, int]:
    with reading(state(request)) as db:
        total = audit.count(db)
        rows = [
            {
                "at": fmt.time_de(e.at, seconds=True, short=True),
                "user_name": e.user_name,
                "role": access.ROLE_NAMES.get(e.role, e.role),
                "action": ACTIONS.get(e.action, e.action),
                "list_name": e.list_name,
                "persons": e.persons,
                "detail": e.detail,
            }
            for e in audit.entries(db, limit=limit, offset=offset)
        ]
    cols = [
        Column("at", "Zeitpunkt"),
        Column("user_name", "Benutzer"),
        Column("role", "Rolle"),
        Column("action", "Aktion"),
        Column("list_name", "Liste"),
        Column("persons", "Personen", "count"),
        Column("detail", "Hinweis"),
    ]
    return DataTable("Protokoll", cols, rows, "protokoll", caption="Protokoll (neueste Einträge zuerst)"), total


@router.get("/protokoll", name="admin_audit")
def audit_page(request: Request, offset: int = 0, viewer: Viewer = Depends(needs(access.AUDIT))):
    offset = min(max(0, offset), 2**62)  # SQLite/PostgreSQL integers end at 2**63-1
    table, total = audit_table(request, offset)
    with reading(state(request)) as db:
        privileged = [
            {
                "at": fmt.time_de(e.at, seconds=True, short=True),
                "user_name": e.user_name,
                "action": ACTIONS.get(e.action, e.action),
                "detail": e.detail,
            }
            for e in audit.privileged(db)
        ]
    return render(
        request, "admin_audit.html", viewer, table=table, total=total, offset=offset, page=PAGE, privileged=privileged
    )


@router.get("/protokoll.{fmt}", name="admin_audit_download")
def audit_download(request: Request, fmt: str, viewer: Viewer = Depends(needs(access.AUDIT))):
    table, _ = audit_table(request, 0, limit=1_000_000)
    return download(table, fmt)
