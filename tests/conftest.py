"""Shared test set-up: the state-database fixtures and the automatic markers.

The markers (registered in pyproject.toml, ``--strict-markers``) let a run pick its part of the
suite, e.g. the fast run ``-m "not slow and not spark and not browser"``. Three are applied here,
so no test file has to remember them:

- ``postgres``: the test uses the PostgreSQL server (``postgres_server``, ``pg_database``, or the
  ``postgresql`` instance of the parametrised ``state_url``);
- ``browser``: the test module drives Chromium through ``browser_kit``;
- ``spark``: the test runs the Spark engine (the module ``test_spark_parity`` or a test whose name
  says ``spark``).

``slow`` stays explicit in the test modules (``pytestmark = pytest.mark.slow``).

The modules with slow, Spark or browser tests are collected first (each module keeps its own order),
and under xdist the heaviest modules (``HEAVY``) are dealt to the starts of the workers' first
queues (``_spread_heavy``): with ``scripts/test.sh``'s ``--dist worksteal`` the long tests start at
once on different workers and an idle worker takes the short ones still waiting from another's end,
so no worker runs a 5-minute test alone at the end of the run. (With xdist's default ``--dist load``
the first chunk of a quarter of the suite goes to one worker; worksteal is what makes this order
pay.)
"""

from __future__ import annotations

import os

import pytest

# Test-only argon2 parameters (amip.state.users.TEST_HASH_ENV): set before amip is imported, and
# inherited by the servers and command lines the tests start. The suite logs in about a thousand
# times; the production parameters are tested in test_state.py (hashes made here are upgraded).
os.environ["AMIP_TEST_CHEAP_PASSWORD_HASH"] = "1"
# One DuckDB thread per process (amip.duck, AMIP_DUCKDB_THREADS), inherited the same way: four
# workers share two cores, and on the tests' small data sets parallel plans only cost extra CPU
# (docs/benchmarks.md, "Browsers and DuckDB threads"). DuckDB's default, every core, is tested
# against it in test_duckdb_threads.py. A value set outside the suite is kept.
os.environ.setdefault("AMIP_DUCKDB_THREADS", "1")
# And one OpenBLAS thread (numpy/scipy under the forecasts' statsmodels fits): with a second thread
# OpenBLAS spins while it waits, and on a machine whose cores the workers already share, the forecast
# tests used 28,9 instead of 23,0 CPU s. Set before numpy is first imported (nothing above imports it).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# The suite composes the figure cache as the application does (amip.cockpit.app, the CLI): with the
# forecast tables, whose cache extension registers on import (amip.figures.extensions.register_extension).
import amip.forecast  # noqa: F401, E402
from spark_cluster import on_cluster, spark_cluster  # noqa: F401, E402  (fixtures)
from state_db import factory, pg_database, postgres_server, state_url  # noqa: F401  (fixtures)

POSTGRES_FIXTURES = {"postgres_server", "pg_database"}
LONG_MARKERS = ("slow", "spark", "browser")
SPARK_MODULES = {"test_spark_parity"}


def _uses_postgres(item: pytest.Item) -> bool:
    names = set(getattr(item, "fixturenames", ()))
    if names & POSTGRES_FIXTURES:
        return True
    callspec = getattr(item, "callspec", None)
    return callspec is not None and callspec.params.get("state_url") == "postgresql"


def _uses_browser(item: pytest.Item) -> bool:
    module = getattr(item, "module", None)
    return module is not None and any(
        getattr(v, "__module__", None) == "browser_kit" for v in vars(module).values() if callable(v)
    )


def _uses_spark(item: pytest.Item) -> bool:
    module = getattr(item, "module", None)
    name = getattr(item, "originalname", item.name)
    return (module is not None and module.__name__ in SPARK_MODULES) or "spark" in name.lower()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _uses_postgres(item):
            item.add_marker(pytest.mark.postgres)
        if _uses_browser(item):
            item.add_marker(pytest.mark.browser)
        if _uses_spark(item):
            item.add_marker(pytest.mark.spark)
    long_modules = {
        item.nodeid.split("::")[0] for item in items if any(item.get_closest_marker(m) for m in LONG_MARKERS)
    }
    items.sort(key=lambda item: item.nodeid.split("::")[0] not in long_modules)  # stable: False first
    workers = int(getattr(config, "workerinput", {}).get("workercount", 1))
    if workers > 1:
        items[:] = _spread_heavy(items, workers)


# Seconds the heaviest modules took on one worker of a `scripts/test.sh` run (four workers, idle
# 2-core machine, 2026-12-03; docs/benchmarks.md, "Test suite time"): what _spread_heavy places at
# the start of the workers' first queues, longest first.
HEAVY = {
    "tests/test_demo.py": 388,
    "tests/test_spark_parity.py": 246,  # the cluster's start and every Spark run of the suite
    "tests/test_properties.py": 139,
    "tests/test_browser_a11y.py": 105,
    "tests/test_hardening_import.py": 69,
    "tests/test_deliveries.py": 64,
    "tests/test_synth_regions.py": 59,
    "tests/test_forecast.py": 38,
    # one synthesis and engine run per worker that runs any of its tests: stolen tests set it up again
    "tests/test_synth.py": 24,
    "tests/test_forecast_calibration.py": 11,
}


def _spread_heavy(items: list[pytest.Item], workers: int) -> list[pytest.Item]:
    """The order for ``--dist worksteal`` with ``workers`` workers: xdist first hands worker i the
    i-th of ``workers`` contiguous, equally long parts of the list, and an idle worker later steals
    from the *end* of another's queue. So the heaviest modules are dealt to the parts (longest
    first, each to the part with the least so far) and put at their starts, where nobody steals
    them: the demo, the Spark cluster's tests and the property tests start at once on different
    workers, and no 5-minute test starts last. The other tests fill the parts in their order."""

    def module(item: pytest.Item) -> str:
        return item.nodeid.split("::")[0]

    heavy = sorted({module(i) for i in items} & set(HEAVY), key=lambda m: -HEAVY[m])
    load = [0.0] * workers
    part_of: dict[str, int] = {}
    for m in heavy:
        part = load.index(min(load))
        part_of[m] = part
        load[part] += HEAVY[m]
    by_module: dict[str, list[pytest.Item]] = {}
    for i in items:
        by_module.setdefault(module(i), []).append(i)
    parts: list[list[pytest.Item]] = [
        [i for m in heavy if part_of[m] == p for i in by_module[m]] for p in range(workers)
    ]
    rest = [i for i in items if module(i) not in part_of]
    sizes, left = [], len(items)
    for p in range(workers):  # xdist's split: each idle worker gets len(pending) // workers still idle
        sizes.append(left // (workers - p))
        left -= sizes[-1]
    out: list[pytest.Item] = []
    for p in range(workers):
        take = max(sizes[p] - len(parts[p]), 0) if p < workers - 1 else len(rest)
        out += parts[p] + rest[:take]
        rest = rest[take:]
    return out


# ---- shared set-up as factories: a warehouse, its figure store, the cockpit app ------------------
# Each test module keeps its own data set and names its fixtures as before; it builds them with these
# factories instead of copying the set-up, e.g.
#
#     @pytest.fixture(scope="module")
#     def warehouse(warehouse_factory):
#         return warehouse_factory(planning_dataset(), "planning")
#
#     @pytest.fixture(scope="module")
#     def store(store_factory, warehouse):
#         return store_factory(warehouse)


@pytest.fixture(scope="session")
def warehouse_factory(tmp_path_factory):
    """``warehouse_factory(dataset=None, name="wh", skip=())`` -> the path of a fresh warehouse into
    which ``dataset`` (default: the cockpit fixture's data set) was imported with the real CLI."""
    from builder import import_into
    from cockpit_fixture import cockpit_dataset

    def make(dataset=None, name: str = "wh", skip: tuple[str, ...] = ()):
        ds = cockpit_dataset() if dataset is None else dataset
        return import_into(ds, tmp_path_factory.mktemp(name), skip=skip)

    return make


@pytest.fixture(scope="module")
def store_factory():
    """``store_factory(warehouse)`` -> the warehouse's figure store (cache built when missing); every
    store opened is closed at the end of the test module."""
    from amip.figures.store import FigureStore

    opened = []

    def make(warehouse, **kwargs):
        store = FigureStore.open(warehouse, **kwargs)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture(scope="module")
def cockpit_factory():
    """``cockpit_factory(warehouse, store=None, users=True, **settings)`` -> the cockpit app on
    ``warehouse`` with its lifespan started (stopped at the end of the test module). ``users`` adds
    the cockpit fixture's users through the real CLI; ``settings`` replace fields of
    ``Settings.from_env(warehouse)`` (e.g. ``today="2024-01-31"``, ``state_url=...``)."""
    import dataclasses
    from contextlib import ExitStack

    from fastapi.testclient import TestClient

    from amip.cockpit.app import create_app
    from amip.cockpit.settings import Settings
    from cockpit_fixture import add_users

    with ExitStack() as running:

        def make(warehouse, store=None, users: bool = True, **settings):
            if users:
                add_users(warehouse)
            app = create_app(dataclasses.replace(Settings.from_env(warehouse), **settings), store)
            running.enter_context(TestClient(app))
            return app

        yield make
