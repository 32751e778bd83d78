"""Who may see what: the cockpit's whole authorisation policy in one place.

Aggregated figures are for every role. Person-level lists are for ``controlling`` (every person,
pseudonymous ids), ``teamleitung`` (the persons assigned to the user's team at the Stichtag) and
``ifk`` (the user's own caseload at the Stichtag). ``admin`` manages users and reads the audit log
but sees no person data. The person scope always comes from the logged-in user, never from the URL,
so editing a URL cannot widen it.
"""

from __future__ import annotations

from amip import disclosure as dc
from amip.figures.store import Scope

FIGURES = "figures"
PERSONS = "persons"
USERS = "users"
AUDIT = "audit"
PLAN_TEAM = "plan_team"  # enter the own team's plan (bottom-up planning)
PLAN_JOBCENTER = "plan_jobcenter"  # edit the job center's plans and budget, propose from the forecast
PLAN_AGREE = "plan_agree"  # mark a plan version as agreed
REPORT_TEXTS = "report_texts"  # edit the editorial texts of the programme document
INTENSIVE_CARE = "intensive_care"  # take customers into intensive care, record meetings (own caseload)
INTENSIVE_OVERVIEW = "intensive_overview"  # places filled, meetings on time, cohort outcomes (aggregated)
TASKS = "tasks"  # data-quality tasks of the own scope (caseload, team, all)
DELIVERIES = "deliveries"  # the page Datenstände: deliveries and revision statistics (aggregated)
# The job center's steering pages (aggregated): Vergleich, Abgleich, Prognose, Planung (reading),
# Zielnachhaltung, Budget, Datenqualität, Berichte. For the roles that steer (docs/security.md).
STEERING = "steering"
MY_WORK = "my_work"  # the start page "Meine Arbeit": own meetings, candidates, tasks, own customers' figures
MY_TEAM = "my_team"  # the start page "Mein Team": the team's figures against its plan, tasks, intensive care

ROLE_NAMES = {
    "geschaeftsfuehrung": "Geschäftsführung",
    "controlling": "Controlling",
    "teamleitung": "Teamleitung",
    "ifk": "Integrationsfachkraft",
    "admin": "Administration",
}

POLICY: dict[str, frozenset[str]] = {
    "geschaeftsfuehrung": frozenset({FIGURES, STEERING, PLAN_AGREE, REPORT_TEXTS, INTENSIVE_OVERVIEW, DELIVERIES}),
    "controlling": frozenset(
        {FIGURES, STEERING, PERSONS, PLAN_JOBCENTER, PLAN_AGREE, REPORT_TEXTS, INTENSIVE_OVERVIEW, TASKS, DELIVERIES}
    ),
    "teamleitung": frozenset({FIGURES, STEERING, PERSONS, PLAN_TEAM, INTENSIVE_OVERVIEW, TASKS, DELIVERIES, MY_TEAM}),
    "ifk": frozenset({FIGURES, PERSONS, INTENSIVE_CARE, TASKS, MY_WORK}),
    "admin": frozenset({FIGURES, USERS, AUDIT}),
}


def may(role: str, capability: str) -> bool:
    return capability in POLICY.get(role, frozenset())


def start_page(role: str) -> str:
    """Where ``role`` lands after the login and on "/": the own work (IFK: "Meine Arbeit", team lead:
    "Mein Team"), the user administration (admin), else the job center's Übersicht ("/")."""
    if may(role, MY_WORK):
        return "/meine-arbeit"
    if may(role, MY_TEAM):
        return "/mein-team"
    if may(role, USERS):
        return "/admin/benutzer"
    return "/"


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
    return {"all": "alle Personen", "team": f"Team {scope.value}", "caseload": "eigener Fallbestand"}.get(
        scope.kind, "keine"
    )


def disclosure(user) -> dc.Policy:
    """Small-number suppression for ``user`` (``amip.disclosure``, docs/security.md, "Small numbers and DQM tasks").

    Controlling may see every person and sees every number. A team lead sees the numbers of the
    own team (whose persons the role may see) unsuppressed and everything else (other teams, the
    offices, the job center's totals) suppressed; an IFK's caseload is no unit of any breakdown,
    so an IFK sees every aggregate suppressed, like the Geschäftsführung and the administration."""
    if user.role == "controlling":
        return dc.SHOW_ALL
    if user.role == "teamleitung" and user.team_id:
        return dc.Policy(True, {"team": frozenset({user.team_id})})
    return dc.SUPPRESS
