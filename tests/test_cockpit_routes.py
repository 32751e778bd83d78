"""Every cockpit route states its login and capability check in its signature (cockpit/auth.py).

The role × route matrix (test_cockpit_access.py) checks the answers of the routes it lists; this
checks the routes themselves, as the app has them: a route added without ``Depends(needs(...))``
or without a login fails here even before anyone adds it to the matrix. No data is needed: the
dependencies are read from the app's routes.
"""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute

from amip.cockpit import auth
from amip.cockpit.app import create_app
from amip.cockpit.settings import Settings

# Open without a login: the login form and the liveness probe.
PUBLIC = {("GET", "/login"), ("POST", "/login"), ("GET", "/api/health")}
# Any logged-in user, whatever the role: the own account, the logout, the API description.
ANY_USER = {("POST", "/logout"), ("GET", "/konto"), ("POST", "/konto/passwort"), ("GET", "/openapi.json")}


def _calls(dependant):
    yield dependant.call
    for sub in dependant.dependencies:
        yield from _calls(sub)


def _capability_checks(calls) -> set[str]:
    return {c.__name__ for c in calls if getattr(c, "__name__", "").startswith("needs_")}


@pytest.fixture(scope="module")
def routes(tmp_path_factory):
    d = tmp_path_factory.mktemp("routes")
    app = create_app(Settings(warehouse=d / "none.duckdb", state_url=f"sqlite:///{d / 'state.sqlite'}"))
    out = {}
    for r in _api_routes(app.routes):
        for method in r.methods:
            out[(method, r.path)] = list(_calls(r.dependant))
    return out


def _api_routes(routes):
    for r in routes:
        if isinstance(r, APIRoute):
            yield r
        elif hasattr(r, "original_router"):  # an included router (FastAPI >= 0.16x keeps it as one route)
            yield from _api_routes(r.original_router.routes)
        elif hasattr(r, "routes") and not hasattr(r, "app"):
            yield from _api_routes(r.routes)


def test_the_exceptions_exist(routes):
    """The allow-lists name real routes (a renamed route must not leave a stale exception)."""
    assert set(routes) >= PUBLIC | ANY_USER


def test_every_route_but_the_public_ones_needs_a_login(routes):
    missing = sorted(k for k, calls in routes.items() if k not in PUBLIC and auth.current_user not in calls)
    assert missing == []


def test_the_public_routes_need_no_login(routes):
    assert sorted(k for k in PUBLIC if auth.current_user in routes[k]) == []


def test_every_role_specific_route_names_its_capability_in_the_signature(routes):
    unchecked = sorted(k for k, calls in routes.items() if k not in PUBLIC | ANY_USER and not _capability_checks(calls))
    assert unchecked == []
    assert sorted(k for k in ANY_USER if _capability_checks(routes[k])) == []


def test_person_level_routes_need_the_persons_capability(routes):
    """Every route that lists persons asks for PERSONS and nothing broader (access.py)."""
    person_routes = {k for k in routes if k[1].startswith(("/personen", "/zielgruppen/personen"))}
    assert person_routes >= {
        ("GET", "/personen"),
        ("GET", "/personen.{fmt}"),
        ("GET", "/zielgruppen/personen"),
        ("GET", "/zielgruppen/personen.{fmt}"),
    }
    assert {k: _capability_checks(routes[k]) for k in person_routes} == {k: {"needs_persons"} for k in person_routes}


def test_needs_is_one_dependency_per_capability_set():
    """The same ``needs(...)`` in two handlers is one function, so FastAPI resolves it once."""
    assert auth.needs("figures") is auth.needs("figures")
    assert auth.needs("figures") is not auth.needs("persons")
