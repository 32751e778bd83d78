"""``AMIP_DUCKDB_THREADS`` (amip.duck): the thread cap of a process's DuckDB work. The suite itself
runs with one thread (tests/conftest.py); these tests check the cap, DuckDB's default without it,
the same figures either way, and a bad value refused before anything changes."""

from __future__ import annotations

import duckdb
import pytest

from amip import duck
from amip.cli import app
from builder import import_into, runner
from cockpit_fixture import cockpit_dataset


def _threads(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT current_setting('threads')").fetchone()[0]


def test_the_setting_caps_every_connection_and_its_absence_is_duckdbs_default(tmp_path, monkeypatch):
    monkeypatch.setenv(duck.THREADS_ENV, "1")
    assert _threads(duck.connect()) == 1
    path = tmp_path / "x.duckdb"
    duck.connect(path).close()
    con = duck.connect(path, read_only=True)
    assert _threads(con) == 1
    # a plain connection to the same open file is still allowed (the cap is SET, not configuration)
    duckdb.connect(str(path), read_only=True).close()
    con.close()
    monkeypatch.delenv(duck.THREADS_ENV)
    assert _threads(duck.connect()) == _threads(duckdb.connect())


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    return import_into(cockpit_dataset(), tmp_path_factory.mktemp("threads"))


def test_one_thread_and_duckdbs_default_give_the_same_figures(warehouse, tmp_path, monkeypatch):
    db = warehouse
    written = {}
    for threads in ("1", ""):
        monkeypatch.setenv(duck.THREADS_ENV, threads)
        out = tmp_path / f"figures{threads or 'default'}.csv"
        res = runner.invoke(app, ["kpi", "--db", str(db), "--from", "2022-01", "--to", "2022-12", "--out", str(out)])
        assert res.exit_code == 0, res.output
        written[threads] = out.read_bytes()
    assert written["1"] == written[""]
    assert b"K2" in written["1"]


@pytest.mark.parametrize("bad", ["0", "two", "-1", "1.5", "²"])
def test_a_bad_value_is_refused_by_name_and_changes_nothing(warehouse, monkeypatch, bad):
    db = warehouse
    before = db.read_bytes()
    monkeypatch.setenv(duck.THREADS_ENV, bad)
    res = runner.invoke(app, ["import", str(db.parent / "data"), "--db", str(db), "--replace"])
    assert res.exit_code == 1, res.output
    assert "AMIP_DUCKDB_THREADS must be a positive whole number" in res.output
    assert "Traceback" not in res.output
    assert db.read_bytes() == before
