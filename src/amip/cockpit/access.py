"""Who may see what: the cockpit's whole authorisation policy in one place.

Aggregated figures are for every role. Person-level lists are for ``controlling`` (every person,
pseudonymous ids), ``teamleitung`` (the persons assigned to the user's team at the Stichtag) and
``ifk`` (the user's own caseload at the Stichtag). ``admin`` manages users and reads the audit log
but sees no person data. The person scope always comes from the logged-in user, never from the URL,
so editing a URL cannot widen it.
"""

from __future__ import annotations

from amip.cockpit.store import Scope

FIGURES = "figures"
PERSONS = "persons"
USERS = "users"
AUDIT = "audit"

ROLE_NAMES = {
    "geschaeftsfuehrung": "Geschäftsführung",
    "controlling": "Controlling",
    "teamleitung": "Teamleitung",
    "ifk": "Integrationsfachkraft",
    "admin": "Administration",
}

POLICY: dict[str, frozenset[str]] = {
    "geschaeftsfuehrung": frozenset({FIGURES}),
    "controlling": frozenset({FIGURES, PERSONS}),
    "teamleitung": frozenset({FIGURES, PERSONS}),
    "ifk": frozenset({FIGURES, PERSONS}),
    "admin": frozenset({FIGURES, USERS, AUDIT}),
}


def may(role: str, capability: str) -> bool:
    return capability in POLICY.get(role, frozenset())


def person_scope(user) -> Scope:
    """The persons ``user`` may see (``Scope('none')`` for roles without person-level access)."""
    if not may(user.role, PERSONS):
        return Scope("none")
    if user.role == "controlling":
        return Scope("all")
    if user.role == "teamleitung":
        return Scope("team", user.team_id)
    if user.role == "ifk":
        return Scope("caseload", user.caseworker_id)
    return Scope("none")


def scope_label(scope: Scope) -> str:
    return {"all": "alle Personen", "team": f"Team {scope.value}", "caseload": "eigener Fallbestand"}.get(scope.kind, "keine")
