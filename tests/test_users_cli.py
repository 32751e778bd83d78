"""``amip users`` through the real CLI (Typer's CliRunner): SQLite beside the warehouse by
default, or whatever ``AMIP_STATE_DB`` names (checked on PostgreSQL and SQLite)."""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from amip.cli import app

PASSWORD = "a-long-password-123"
runner = CliRunner()


@pytest.fixture(autouse=True)
def _no_configured_databases(monkeypatch):
    monkeypatch.delenv("AMIP_STATE_DB", raising=False)
    monkeypatch.delenv("AMIP_DB", raising=False)


def users(*args: str, input: str | None = None):
    return runner.invoke(app, ["users", *args], input=input)


def _rows(url: str, query: str) -> list[tuple]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(query))]
    finally:
        engine.dispose()


def test_add_list_remove(tmp_path: Path):
    warehouse = tmp_path / "amip.duckdb"  # need not exist
    db = ["--db", str(warehouse)]
    result = users("add", "anna", "--role", "controlling", *db, input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "anna" in result.output
    state = tmp_path / "amip.state.sqlite"
    assert state.is_file() and not warehouse.exists()

    result = users("add", "tl.nord", "--role", "teamleitung", "--team", "T-Nord", *db, input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output

    result = users("list", *db)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    anna = next(line for line in lines if "anna" in line)
    assert "controlling" in anna
    tl = next(line for line in lines if "tl.nord" in line)
    assert "teamleitung" in tl and "T-Nord" in tl

    result = users("remove", "anna", *db)
    assert result.exit_code == 0, result.output
    result = users("list", *db)
    assert "anna" not in result.stdout and "tl.nord" in result.stdout

    url = f"sqlite:///{state}"
    assert _rows(url, "SELECT name FROM users") == [("tl.nord",)]
    hashes = _rows(url, "SELECT password_hash FROM users")
    assert hashes[0][0].startswith("$argon2id$") and PASSWORD not in hashes[0][0]
    assert _rows(url, "SELECT user_name, role, action FROM audit_log ORDER BY id") == [
        ("cli", "admin", "user_added"),
        ("cli", "admin", "user_added"),
        ("cli", "admin", "user_removed"),
    ]
    details = [d for (d,) in _rows(url, "SELECT detail FROM audit_log ORDER BY id")]
    assert "anna" in details[0] and "anna" in details[2]


def test_default_warehouse_from_environment(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("AMIP_DB", str(tmp_path / "jc.duckdb"))
    result = users("add", "gf", "--role", "geschaeftsfuehrung", input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert _rows(f"sqlite:///{tmp_path / 'jc.state.sqlite'}", "SELECT name, role FROM users") == [
        ("gf", "geschaeftsfuehrung")
    ]


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["anna", "--role", "controlling"], "short\n", "at least 12 characters"),
        (["anna", "--role", "controlling"], "anna\n", "at least 12 characters"),
        (["anna.mueller.01", "--role", "controlling"], "anna.mueller.01\n", "user name"),
        (["anna", "--role", "controlling"], "\n", "no password"),
        (["anna", "--role", "controlling"], "", "no password"),
        (["anna", "--role", "boss"], PASSWORD + "\n", "unknown role"),
        (["tl", "--role", "teamleitung"], PASSWORD + "\n", "team"),
        (["ifk", "--role", "ifk"], PASSWORD + "\n", "caseworker"),
        (["anna", "--role", "controlling", "--team", "T1"], PASSWORD + "\n", "no team"),
        (["a b", "--role", "controlling"], PASSWORD + "\n", "invalid user name"),
    ],
)
def test_add_errors(tmp_path: Path, args, password, message):
    result = users("add", *args, "--db", str(tmp_path / "amip.duckdb"), input=password)
    assert result.exit_code == 1
    assert message in result.stderr
    state = tmp_path / "amip.state.sqlite"
    if state.exists():
        assert _rows(f"sqlite:///{state}", "SELECT count(*) FROM users") == [(0,)]


def test_duplicate_and_unknown(tmp_path: Path):
    db = ["--db", str(tmp_path / "amip.duckdb")]
    assert users("add", "anna", "--role", "controlling", *db, input=PASSWORD + "\n").exit_code == 0
    result = users("add", "anna", "--role", "admin", *db, input=PASSWORD + "\n")
    assert result.exit_code == 1 and "exists" in result.stderr
    result = users("remove", "bertha", *db)
    assert result.exit_code == 1 and "bertha" in result.stderr
    url = f"sqlite:///{tmp_path / 'amip.state.sqlite'}"
    assert _rows(url, "SELECT name, role FROM users") == [("anna", "controlling")]
    assert _rows(url, "SELECT action FROM audit_log") == [("user_added",)]


def test_password_without_trailing_newline(tmp_path: Path):
    db = ["--db", str(tmp_path / "amip.duckdb")]
    assert users("add", "anna", "--role", "admin", *db, input=PASSWORD).exit_code == 0
    from amip.state import authenticate, open_state

    factory = open_state(url=f"sqlite:///{tmp_path / 'amip.state.sqlite'}")
    with factory.begin() as session:
        assert authenticate(session, "anna", PASSWORD).name == "anna"
    factory.kw["bind"].dispose()


def test_state_database_from_environment(state_url: str, tmp_path: Path, monkeypatch):
    """AMIP_STATE_DB wins over the warehouse path; a plain postgresql:// URL is accepted."""
    monkeypatch.setenv("AMIP_STATE_DB", state_url.replace("postgresql+psycopg://", "postgresql://"))
    db = ["--db", str(tmp_path / "amip.duckdb")]
    result = users("add", "ifk_7", "--role", "ifk", "--caseworker", "SB-0007", *db, input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    result = users("list", *db)
    assert result.exit_code == 0 and "ifk_7" in result.stdout and "SB-0007" in result.stdout

    assert _rows(state_url, "SELECT name, role, team_id, caseworker_id FROM users") == [
        ("ifk_7", "ifk", None, "SB-0007")
    ]
    assert _rows(state_url, "SELECT user_name, action FROM audit_log") == [("cli", "user_added")]
    assert not (tmp_path / "amip.state.sqlite").exists()


def test_password_reset_lifts_a_lockout(tmp_path: Path):
    from amip.state.db import open_state
    from amip.state.users import AccountLocked, LoginFailed, authenticate

    db = ["--db", str(tmp_path / "amip.duckdb")]
    assert users("add", "anna", "--role", "ifk", "--caseworker", "c1", *db, input=PASSWORD + "\n").exit_code == 0
    factory = open_state(url=f"sqlite:///{tmp_path / 'amip.state.sqlite'}")
    for _ in range(6):
        with factory.begin() as s, suppress(LoginFailed, AccountLocked):
            authenticate(s, "anna", "wrong-password-x")
    with factory.begin() as s, pytest.raises(AccountLocked):
        authenticate(s, "anna", PASSWORD)
    assert users("password", "anna", *db, input="kurz\n").exit_code == 1  # policy still applies
    result = users("password", "anna", *db, input="another-long-password\n")
    assert result.exit_code == 0, result.output
    with factory.begin() as s:
        assert authenticate(s, "anna", "another-long-password").name == "anna"
    assert users("password", "nobody", *db, input="another-long-password\n").exit_code == 1
