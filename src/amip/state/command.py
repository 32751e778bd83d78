"""``amip users``: manage cockpit accounts from the command line (the first admin starts here)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from amip.clikit import DbOption, state, warehouse
from amip.clikit import fail as _fail

users_app = typer.Typer(
    help="Manage cockpit users (state database beside the warehouse, or AMIP_STATE_DB).",
    no_args_is_help=True,
)
_out = Console()

CLI_USER = "cli"  # the audit log's user name for changes made here


def _state(db: Path | None):
    """The state database beside the warehouse, opened for one command."""
    return state(warehouse(db, must_exist=False))


def _read_password() -> str:
    """First line of standard input when piped (scripts, tests), else a hidden prompt, twice."""
    if sys.stdin is None or not sys.stdin.isatty():
        line = sys.stdin.readline() if sys.stdin is not None else ""
        password = line.removesuffix("\n").removesuffix("\r")
        if not password:
            _fail("no password on standard input (give it as the first line)")
        return password
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@users_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Login name (2-64 letters, digits, '.', '_', '-').")],
    role: Annotated[str, typer.Option("--role", help="geschaeftsfuehrung, controlling, teamleitung, ifk or admin.")],
    team: Annotated[str | None, typer.Option("--team", help="Team id (required for teamleitung).")] = None,
    caseworker: Annotated[str | None, typer.Option("--caseworker", help="Caseworker id (required for ifk).")] = None,
    db: DbOption = None,
    email: Annotated[
        str | None, typer.Option("--email", help="E-mail address for data-quality notices (optional).")
    ] = None,
) -> None:
    """Add a user. The password is read from standard input, or prompted for on a terminal."""
    from amip.state import audit
    from amip.state.users import (
        PERSON_ROLES,
        POLICY,
        InvalidUser,
        UserExists,
        WeakPassword,
        add_user,
        hash_password,
        validate_user,
    )

    team, caseworker = (team or "").strip() or None, (caseworker or "").strip() or None
    try:  # complain about name and role before asking for a password
        validate_user(name, role, team, caseworker)
    except InvalidUser as exc:
        _fail(str(exc))
    scope = f", team {team}" if team else (f", caseworker {caseworker}" if caseworker else "")
    password = _read_password()
    try:
        POLICY.check(password, name)
    except WeakPassword as exc:
        _fail(f"weak password: {exc}")
    password_hash = hash_password(password)  # before the transaction: it takes a while
    with _state(db) as factory:
        try:
            with factory.begin() as session:
                add_user(
                    session,
                    name,
                    role,
                    password,
                    team_id=team,
                    caseworker_id=caseworker,
                    email=email,
                    password_hash=password_hash,
                )
                mark = audit.PRIVILEGED_MARK if role in PERSON_ROLES else ""
                audit.record(
                    session,
                    user_name=CLI_USER,
                    role="admin",
                    action="user_added",
                    detail=f"{name} ({role}{scope}){mark}",
                )
        except WeakPassword as exc:
            _fail(f"weak password: {exc}")
        except (InvalidUser, UserExists) as exc:
            _fail(str(exc))
    _out.print(f"Added user {name} ({role}{scope}).", highlight=False)


@users_app.command("list")
def list_cmd(db: DbOption = None) -> None:
    """List the users with role, scope and lock state."""
    from amip.state.login import blocks
    from amip.state.models import utcnow
    from amip.state.users import list_users

    with _state(db) as factory, factory() as session:
        users = list_users(session)
        blocked = blocks(session)
    if not users:
        _out.print("No users yet. Add the first with: amip users add NAME --role admin")
        return
    now = utcnow()
    table = Table("name", "role", "team", "caseworker", "locked until")
    for user in users:
        locked = user.locked_until if user.locked_until and user.locked_until > now else None
        locked = max(filter(None, (locked, blocked.get(user.name))), default=None)
        table.add_row(
            user.name,
            user.role,
            user.team_id or "",
            user.caseworker_id or "",
            f"{locked:%Y-%m-%d %H:%M} UTC" if locked else "",
        )
    _out.print(table)


@users_app.command("remove")
def remove(
    name: Annotated[str, typer.Argument(help="Login name.")],
    db: DbOption = None,
) -> None:
    """Remove a user and end their sessions (their audit entries stay)."""
    from amip.state import audit
    from amip.state.users import UnknownUser, remove_user

    with _state(db) as factory:
        try:
            with factory.begin() as session:
                remove_user(session, name)
                audit.record(session, user_name=CLI_USER, role="admin", action="user_removed", detail=name)
        except UnknownUser as exc:
            _fail(str(exc))
    _out.print(f"Removed user {name}.", highlight=False)


@users_app.command("password")
def password_cmd(
    name: Annotated[str, typer.Argument(help="Login name.")],
    db: DbOption = None,
) -> None:
    """Set a new password (read like 'add'), lift a lock-out and end the user's sessions."""
    from amip.state import audit
    from amip.state.users import PERSON_ROLES, POLICY, UnknownUser, WeakPassword, hash_password, reset_password

    password = _read_password()
    try:
        POLICY.check(password, name)
    except WeakPassword as exc:
        _fail(f"weak password: {exc}")
    new_hash = hash_password(password)
    with _state(db) as factory:
        try:
            with factory.begin() as session:
                user = reset_password(session, name, password, new_hash=new_hash)
                # Whoever sets the password of a person-list account can sign in with its rights.
                mark = audit.PRIVILEGED_MARK if user.role in PERSON_ROLES else ""
                audit.record(
                    session,
                    user_name=CLI_USER,
                    role="admin",
                    action="password_changed",
                    detail=f"reset for {name} ({user.role}){mark}",
                )
        except UnknownUser as exc:
            _fail(str(exc))
        except WeakPassword as exc:
            _fail(f"weak password: {exc}")
    _out.print(f"New password set for {name}; lock-out lifted, sessions ended.", highlight=False)


@users_app.command("unlock")
def unlock_cmd(
    name: Annotated[str, typer.Argument(help="Login name.")],
    db: DbOption = None,
) -> None:
    """Lift the login delays of NAME (from every source address) without changing the password."""
    from amip.state import audit
    from amip.state.login import unlock
    from amip.state.users import get_user

    with _state(db) as factory, factory.begin() as session:
        if get_user(session, name) is None:
            _fail(f"no user {name!r}")
        removed = unlock(session, name)
        audit.record(
            session,
            user_name=CLI_USER,
            role="admin",
            action="user_unlocked",
            detail=f"{name}: {removed} Sperre(n) aufgehoben",
        )
    _out.print(f"Unlocked {name} ({removed} source address(es) with failed logins cleared).", highlight=False)
