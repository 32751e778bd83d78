"""The JSON API (``/api``) fuzzed from its own OpenAPI document with Schemathesis: whatever the
query and path parameters, no server error, and every documented response matches its schema.

Runs in-process against the ASGI app of the hand-made job center (``cockpit_fixture``), logged in
as the controlling user (session cookie from the real login form). At most 100 examples per
operation, so the module stays well under a minute.
"""

from __future__ import annotations

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from amip.cockpit.app import create_app
from amip.cockpit.auth import SESSION_COOKIE
from amip.cockpit.settings import Settings
from amip.figures.store import FigureStore
from cockpit_fixture import add_users, login, make_warehouse

pytestmark = pytest.mark.slow
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]


@pytest.fixture(scope="module")
def cockpit(tmp_path_factory):
    db = make_warehouse(tmp_path_factory.mktemp("fuzz"))
    add_users(db)
    store = FigureStore.open(db)  # loaded up front: the fuzzer's client does not run the lifespan
    app = create_app(Settings.from_env(db), store)
    client = TestClient(app)
    assert login(client, "co").status_code == 303
    app.state.fuzz_cookie = client.cookies[SESSION_COOKIE]
    yield app
    store.close()


@pytest.fixture(scope="module")
def api_schema(cockpit):
    # The document needs a login (docs/security.md): fetched with the controlling user's cookie.
    return schemathesis.openapi.from_asgi(
        "/openapi.json", cockpit, headers={"Cookie": f"{SESSION_COOKIE}={cockpit.state.fuzz_cookie}"}
    ).include(path_regex=r"^/api/")


# Schemathesis' own pytest integration (``schema.parametrize()`` on a fixture-loaded schema) fails
# with pytest 9 ("'Function' object has no attribute '_nodeid'", schemathesis 4.32), so the cases
# come from each operation's Hypothesis strategy instead; the next test keeps OPERATIONS complete.
OPERATIONS = [
    ("GET", "/api/health"),
    ("GET", "/api/jobcenters"),
    ("GET", "/api/figures"),
    ("GET", "/api/figures/{figure}/units"),
]
# (operation, variant, examples); at most 100 examples per operation. "K2" fixes the figure to one
# that exists, so that the other parameters reach the code behind the look-up (a random figure id
# ends in a 404 almost always); "negative" sends values the schema forbids (expected: 4xx).
RUNS = [
    ("GET /api/health", "positive", 10),
    ("GET /api/jobcenters", "positive", 10),  # no parameters: nothing to vary
    ("GET /api/figures", "positive", 30),
    ("GET /api/figures", "K2", 40),
    ("GET /api/figures", "negative", 30),
    ("GET /api/figures/{figure}/units", "positive", 30),
    ("GET /api/figures/{figure}/units", "K2", 40),
    ("GET /api/figures/{figure}/units", "negative", 30),
]


def test_every_api_operation_is_fuzzed(api_schema):
    found = {(r.ok().method.upper(), r.ok().path) for r in api_schema.get_all_operations()}
    assert found == set(OPERATIONS)
    assert {op for op, _v, _n in RUNS} == {f"{m} {p}" for m, p in OPERATIONS}


def _strategy(operation, variant: str):
    if variant == "negative":
        return operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)
    if variant == "K2":
        fixed = {"path_parameters": {"figure": "K2"}} if "{figure}" in operation.path else {"query": {"figure": "K2"}}
        return operation.as_strategy(**fixed)
    return operation.as_strategy()


@pytest.mark.parametrize("op,variant,examples", RUNS, ids=[f"{o} {v}" for o, v, _n in RUNS])
def test_api_has_no_server_errors_and_keeps_its_schema(api_schema, cockpit, op, variant, examples):
    method, path = op.split(" ", 1)
    operation = api_schema[path][method]
    cookies = {SESSION_COOKIE: cockpit.state.fuzz_cookie}
    statuses = []

    @given(case=_strategy(operation, variant))
    @settings(
        max_examples=examples, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    def fuzz(case):
        response = case.call(cookies=cookies)
        statuses.append(response.status_code)
        case.validate_response(response, checks=CHECKS)
        assert response.status_code != 401, f"session cookie not accepted: {case.as_curl_command()}"
        if variant == "negative":
            assert 400 <= response.status_code < 500, case.as_curl_command()

    fuzz()
    if variant == "K2":  # the fixed figure gets through to real answers
        assert 200 in statuses, statuses


def test_the_session_cookie_is_what_lets_the_fuzzer_in(cockpit):
    """The fuzz test above is only meaningful if its calls are authenticated: check both ways."""
    anonymous = TestClient(cockpit)
    assert anonymous.get("/api/jobcenters").status_code == 401
    anonymous.cookies.set(SESSION_COOKIE, cockpit.state.fuzz_cookie)
    assert anonymous.get("/api/jobcenters").json() == ["J1", "J2"]
