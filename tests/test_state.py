"""The state layer (users, sessions, audit log) on SQLite and on a real PostgreSQL server.

Every test taking ``state_url`` runs twice, once per database. Expected values follow the rules
(12-character passwords, lock-out after 5 failures for 15 minutes, 8 h sessions with 60 min idle
time-out, append-only audit log), not the code.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import DatabaseError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from amip.state import (
    AccountLocked,
    AuditEntry,
    InvalidUser,
    LoginFailed,
    LoginSession,
    UnknownUser,
    User,
    UserExists,
    WeakPassword,
    add_user,
    audit,
    authenticate,
    change_password,
    create_session,
    end_all_sessions,
    end_session,
    get_user,
    list_users,
    make_engine,
    migrate,
    open_state,
    remove_user,
    resolve_session,
)
from amip.state.db import alembic_config, normalise_url
from amip.state.db import state_url as resolve_state_url
from amip.state.migrations.registry import Base

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
# Every state table; each package adds its own (amip.state.migrations.registry lists the model modules).
TABLES = {
    "users",
    "login_sessions",
    "audit_log",
    "plans",
    "plan_values",
    "dqm_runs",
    "dqm_tasks",
    "dqm_rates",
    "notifications",
    "intensive_places",
    "intensive_meetings",
    "report_texts",
    "login_attempts",
    "pre_sessions",
}
HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


@pytest.fixture
def factory(state_url: str) -> Iterator[sessionmaker[Session]]:
    factory = open_state(url=state_url)
    yield factory
    factory.kw["bind"].dispose()


def _add(factory, name="anna", role="controlling", password=PASSWORD, **scope) -> None:
    with factory.begin() as db:
        add_user(db, name, role, password, now=T0, **scope)


def _login(factory, password: str, now: datetime, name: str = "anna") -> str | datetime:
    """One login attempt in its own transaction, the way the web layer does it: the exception is
    caught inside the transaction so that the failure count is committed."""
    with factory.begin() as db:
        try:
            authenticate(db, name, password, now=now)
            return "ok"
        except LoginFailed:
            return "failed"
        except AccountLocked as exc:
            return exc.until


def _user(factory, name: str = "anna") -> User | None:
    with factory() as db:
        return get_user(db, name)


# --- URL and migrations ------------------------------------------------------------------------


def test_state_url_beside_warehouse(monkeypatch):
    monkeypatch.delenv("AMIP_STATE_DB", raising=False)
    assert resolve_state_url(Path("/x/amip.duckdb")) == "sqlite:////x/amip.state.sqlite"
    assert resolve_state_url(Path("/data/jc/lager.duckdb")) == "sqlite:////data/jc/lager.state.sqlite"
    relative = resolve_state_url(Path("amip.duckdb"))
    assert relative == f"sqlite:///{Path.cwd() / 'amip.state.sqlite'}"


def test_state_url_from_environment(monkeypatch):
    monkeypatch.setenv("AMIP_STATE_DB", "postgresql://cockpit:secret@db.example:5432/amip")
    assert resolve_state_url(Path("/x/amip.duckdb")) == "postgresql+psycopg://cockpit:secret@db.example:5432/amip"
    monkeypatch.setenv("AMIP_STATE_DB", "postgresql+psycopg://db.example/amip")
    assert resolve_state_url(Path("/x/amip.duckdb")) == "postgresql+psycopg://db.example/amip"
    monkeypatch.setenv("AMIP_STATE_DB", "sqlite:////srv/state.sqlite")
    assert resolve_state_url(Path("/x/amip.duckdb")) == "sqlite:////srv/state.sqlite"
    assert normalise_url("postgres://h/db") == "postgresql+psycopg://h/db"


def test_migrate_from_empty_and_again(state_url):
    engine = make_engine(state_url)
    try:
        assert set(inspect(engine).get_table_names()) == set()
        migrate(engine)
        assert set(inspect(engine).get_table_names()) == TABLES | {"alembic_version"}
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [HEAD]
        migrate(state_url)  # a no-op, also through a URL
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [HEAD]
        assert set(inspect(engine).get_table_names()) == TABLES | {"alembic_version"}
    finally:
        engine.dispose()


def test_models_match_the_migration(factory):
    """The hand-written migration and the models describe the same schema."""
    with factory.kw["bind"].connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_downgrade_drops_everything(factory):
    engine = factory.kw["bind"]
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate(engine)  # and up again from scratch
    assert set(inspect(engine).get_table_names()) >= TABLES


# --- users -------------------------------------------------------------------------------------


def test_add_list_remove(factory):
    _add(factory, "anna", "controlling")
    _add(factory, "tl.nord", "teamleitung", team_id="T-Nord")
    _add(factory, "ifk_7", "ifk", caseworker_id="SB-0007")
    _add(factory, "gf", "geschaeftsfuehrung")
    _add(factory, "root-admin", "admin")
    with factory() as db:
        users = list_users(db)
        assert [(u.name, u.role, u.team_id, u.caseworker_id) for u in users] == [
            ("anna", "controlling", None, None),
            ("gf", "geschaeftsfuehrung", None, None),
            ("ifk_7", "ifk", None, "SB-0007"),
            ("root-admin", "admin", None, None),
            ("tl.nord", "teamleitung", "T-Nord", None),
        ]
        anna = get_user(db, "anna")
        assert anna.failed_logins == 0 and anna.locked_until is None
        assert anna.created_at == T0 and anna.password_changed_at == T0
    with factory.begin() as db:
        remove_user(db, "anna")
    with factory() as db:
        assert get_user(db, "anna") is None
        assert [u.name for u in list_users(db)] == ["gf", "ifk_7", "root-admin", "tl.nord"]
    with factory.begin() as db, pytest.raises(UnknownUser):
        remove_user(db, "anna")


@pytest.mark.parametrize(
    ("name", "role", "scope", "error"),
    [
        ("tl", "teamleitung", {}, InvalidUser),
        ("tl", "teamleitung", {"team_id": "  "}, InvalidUser),
        ("ifk", "ifk", {}, InvalidUser),
        ("ifk", "ifk", {"team_id": "T1"}, InvalidUser),
        ("anna", "controlling", {"team_id": "T1"}, InvalidUser),
        ("anna", "admin", {"caseworker_id": "SB1"}, InvalidUser),
        ("tl", "teamleitung", {"team_id": "T1", "caseworker_id": "SB1"}, InvalidUser),
        ("anna", "superuser", {}, InvalidUser),
        ("anna", "Controlling", {}, InvalidUser),
        ("a", "controlling", {}, InvalidUser),
        ("anna maria", "controlling", {}, InvalidUser),
        ("anna/../x", "controlling", {}, InvalidUser),
        ("ä" * 5, "controlling", {}, InvalidUser),
        ("x" * 65, "controlling", {}, InvalidUser),
    ],
)
def test_add_user_rejects(factory, name, role, scope, error):
    with factory.begin() as db, pytest.raises(error):
        add_user(db, name, role, PASSWORD, **scope)
    with factory() as db:
        assert list_users(db) == []


def test_name_limits_accepted(factory):
    _add(factory, "ab")
    _add(factory, "x" * 64)
    with factory() as db:
        assert {u.name for u in list_users(db)} == {"ab", "x" * 64}


@pytest.mark.parametrize(
    ("name", "password"),
    [
        ("anna", "eleven char"),  # 11 characters
        ("anna", ""),
        ("anna.mueller.01", "anna.mueller.01"),  # long enough, but the user name
        ("anna.mueller.01", "ANNA.MUELLER.01"),
    ],
)
def test_weak_password(factory, name, password):
    with factory.begin() as db, pytest.raises(WeakPassword):
        add_user(db, name, "controlling", password)


def test_twelve_characters_suffice(factory):
    _add(factory, password="twelve chars")
    assert _login(factory, "twelve chars", T0) == "ok"


def test_duplicate_name(factory):
    _add(factory, "anna")
    with factory.begin() as db, pytest.raises(UserExists):
        add_user(db, "anna", "admin", "another long password")
    with factory() as db:
        assert [(u.name, u.role) for u in list_users(db)] == [("anna", "controlling")]


def test_password_stored_as_argon2id(factory, state_url):
    _add(factory)
    user = _user(factory)
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    engine = factory.kw["bind"]
    with engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM users")).one()
    assert all(PASSWORD not in str(value) for value in row)


# --- login and lock-out ------------------------------------------------------------------------


def test_authenticate(factory):
    _add(factory)
    with factory.begin() as db:
        user = authenticate(db, "anna", PASSWORD, now=T0)
        assert (user.name, user.role) == ("anna", "controlling")
    assert _login(factory, "correct horse battery!", T0) == "failed"
    assert _login(factory, "", T0) == "failed"
    assert _login(factory, PASSWORD, T0, name="bertha") == "failed"  # unknown user: same exception
    assert _login(factory, PASSWORD, T0, name="Anna") == "failed"


def test_lockout_after_five_failures(factory):
    _add(factory)
    for attempt in range(5):
        assert _login(factory, "wrong password", T0 + timedelta(seconds=attempt)) == "failed"
    fifth = T0 + timedelta(seconds=4)
    until = fifth + timedelta(minutes=15)
    user = _user(factory)
    assert user.failed_logins == 5
    assert user.locked_until == until
    # Locked: even the right password is refused, until the 15 minutes have passed.
    assert _login(factory, PASSWORD, fifth + timedelta(seconds=1)) == until
    assert _login(factory, PASSWORD, until - timedelta(seconds=1)) == until
    assert _login(factory, PASSWORD, until) == "ok"
    user = _user(factory)
    assert user.failed_logins == 0 and user.locked_until is None


def test_lock_expiry_starts_a_fresh_count(factory):
    _add(factory)
    for _ in range(5):
        _login(factory, "wrong password", T0)
    later = T0 + timedelta(minutes=15)
    assert _login(factory, "wrong password", later) == "failed"  # one failure, not a new lock
    assert _user(factory).failed_logins == 1
    assert _user(factory).locked_until is None
    assert _login(factory, PASSWORD, later) == "ok"


def test_success_resets_the_count(factory):
    _add(factory)
    for _ in range(4):
        assert _login(factory, "wrong password", T0) == "failed"
    assert _login(factory, PASSWORD, T0) == "ok"
    assert _user(factory).failed_logins == 0
    for _ in range(4):
        assert _login(factory, "wrong password", T0) == "failed"
    assert _login(factory, PASSWORD, T0) == "ok"  # 8 failures in all, never 5 in a row


def test_lockout_settings_from_environment(factory, monkeypatch):
    monkeypatch.setenv("AMIP_LOCKOUT_ATTEMPTS", "2")
    monkeypatch.setenv("AMIP_LOCKOUT_MINUTES", "1")
    _add(factory)
    assert _login(factory, "wrong password", T0) == "failed"
    assert _login(factory, "wrong password", T0) == "failed"
    assert _login(factory, PASSWORD, T0) == T0 + timedelta(minutes=1)
    assert _login(factory, PASSWORD, T0 + timedelta(minutes=1)) == "ok"


def test_timestamps_are_utc_aware(factory):
    _add(factory)
    berlin = timezone(timedelta(hours=1))
    local = datetime(2025, 3, 3, 10, 0, tzinfo=berlin)  # = T0
    for _ in range(5):
        _login(factory, "wrong password", local)
    user = _user(factory)
    assert user.locked_until.tzinfo is not None and user.locked_until.utcoffset() == timedelta(0)
    assert user.locked_until == T0 + timedelta(minutes=15)
    assert user.created_at.utcoffset() == timedelta(0)
    with factory.begin() as db, pytest.raises(ValueError):
        authenticate(db, "anna", PASSWORD, now=datetime(2025, 3, 3, 9, 0))  # naive


# --- passwords and sessions --------------------------------------------------------------------


def test_change_password_ends_other_sessions(factory):
    _add(factory)
    with factory.begin() as db:
        user = get_user(db, "anna")
        here, _ = create_session(db, user, now=T0)
        elsewhere, _ = create_session(db, user, now=T0)
    with factory.begin() as db:
        user = get_user(db, "anna")
        change_password(db, user, PASSWORD, "a brand new passphrase", except_token=here, now=T0 + timedelta(minutes=1))
    with factory.begin() as db:
        assert resolve_session(db, here, now=T0 + timedelta(minutes=2)) is not None
        assert resolve_session(db, elsewhere, now=T0 + timedelta(minutes=2)) is None
        assert get_user(db, "anna").password_changed_at == T0 + timedelta(minutes=1)
    assert _login(factory, PASSWORD, T0 + timedelta(minutes=3)) == "failed"
    assert _login(factory, "a brand new passphrase", T0 + timedelta(minutes=3)) == "ok"


def test_change_password_checks(factory):
    _add(factory)
    with factory.begin() as db:
        user = get_user(db, "anna")
        with pytest.raises(LoginFailed):
            change_password(db, user, "not the password", "a brand new passphrase", now=T0)
        with pytest.raises(WeakPassword):
            change_password(db, user, PASSWORD, "too short", now=T0)
        with pytest.raises(WeakPassword):
            change_password(db, user, PASSWORD, "anna", now=T0)
        with pytest.raises(WeakPassword):
            change_password(db, user, PASSWORD, PASSWORD, now=T0)
    assert _login(factory, PASSWORD, T0) == "ok"


def test_sessions(factory):
    _add(factory)
    with factory.begin() as db:
        token, session = create_session(db, get_user(db, "anna"), now=T0)
        csrf = session.csrf_token
        assert len(token) >= 43 and len(csrf) >= 43 and csrf != token
        assert session.expires_at == T0 + timedelta(hours=8)
    with factory.begin() as db:
        found = resolve_session(db, token, now=T0 + timedelta(minutes=59))
        assert found is not None and found.user.name == "anna" and found.csrf_token == csrf
        assert found.last_seen == T0 + timedelta(minutes=59)
    with factory.begin() as db:  # used every 59 minutes: alive until the 8 hours are over
        for minutes in range(118, 8 * 60, 59):
            assert resolve_session(db, token, now=T0 + timedelta(minutes=minutes)) is not None
        assert resolve_session(db, token, now=T0 + timedelta(hours=8)) is None
    with factory.begin() as db:
        assert resolve_session(db, token, now=T0 + timedelta(minutes=1)) is None  # deleted when expired
        assert resolve_session(db, "no-such-token", now=T0) is None
        assert resolve_session(db, "", now=T0) is None
        assert resolve_session(db, None, now=T0) is None


def test_session_idle_timeout(factory):
    _add(factory)
    with factory.begin() as db:
        token, _ = create_session(db, get_user(db, "anna"), now=T0)
    with factory.begin() as db:
        assert resolve_session(db, token, now=T0 + timedelta(minutes=61)) is None


def test_session_ttl(factory):
    _add(factory)
    with factory.begin() as db:
        token, _ = create_session(db, get_user(db, "anna"), now=T0, ttl=timedelta(minutes=30))
    with factory.begin() as db:
        assert resolve_session(db, token, now=T0 + timedelta(minutes=29)) is not None
        assert resolve_session(db, token, now=T0 + timedelta(minutes=30)) is None


def test_only_the_token_hash_is_stored(factory):
    _add(factory)
    with factory.begin() as db:
        token, _ = create_session(db, get_user(db, "anna"), now=T0)
    with factory.kw["bind"].connect() as conn:
        rows = conn.execute(text("SELECT * FROM login_sessions")).all()
        stored = conn.execute(text("SELECT token_hash FROM login_sessions")).scalar_one()
    assert len(rows) == 1
    assert all(token not in str(value) for value in rows[0])
    assert stored == hashlib.sha256(token.encode()).hexdigest()


def test_end_sessions(factory):
    _add(factory)
    _add(factory, "gf", "geschaeftsfuehrung")
    with factory.begin() as db:
        anna, gf = get_user(db, "anna"), get_user(db, "gf")
        a1, _ = create_session(db, anna, now=T0)
        a2, _ = create_session(db, anna, now=T0)
        a3, _ = create_session(db, anna, now=T0)
        g1, _ = create_session(db, gf, now=T0)
    with factory.begin() as db:
        assert end_session(db, a1) is True
        assert end_session(db, a1) is False
        assert end_all_sessions(db, get_user(db, "anna"), except_token=a3) == 1
    with factory.begin() as db:
        alive = {t for t in (a1, a2, a3, g1) if resolve_session(db, t, now=T0) is not None}
    assert alive == {a3, g1}
    with factory.begin() as db:  # removing a user ends their sessions
        remove_user(db, "anna")
    with factory() as db:
        assert db.scalars(select(LoginSession.user_id)).all() == [_user(factory, "gf").id]


# --- audit log ---------------------------------------------------------------------------------


def test_audit_record_and_entries(factory):
    with factory.begin() as db:
        audit.record(db, user_name="anna", role="controlling", action="login", now=T0)
        audit.record(
            db,
            user_name="anna",
            role="controlling",
            action="view",
            now=T0 + timedelta(minutes=1),
            list_name="K2 Zähler 2022-12 Jobcenter 12062",
            persons=318,
        )
        audit.record(
            db,
            user_name="anna",
            role="controlling",
            action="export_xlsx",
            now=T0 + timedelta(minutes=2),
            list_name="K2 Zähler 2022-12 Jobcenter 12062",
            persons=318,
        )
        audit.record(
            db,
            user_name="tl.nord",
            role="teamleitung",
            action="view",
            now=T0 + timedelta(minutes=2),
            list_name="K1 Bestand 2022-12 Team Nord",
            persons=41,
            detail="Team T-Nord",
        )
    with factory() as db:
        listed = audit.entries(db)
        assert [(e.user_name, e.action) for e in listed] == [
            ("tl.nord", "view"),
            ("anna", "export_xlsx"),
            ("anna", "view"),
            ("anna", "login"),
        ]  # newest first; same instant: later entry first
        assert listed[2].list_name == "K2 Zähler 2022-12 Jobcenter 12062" and listed[2].persons == 318
        assert listed[0].detail == "Team T-Nord"
        assert listed[3].at == T0 and listed[3].persons is None and listed[3].list_name is None
        assert [e.user_name for e in audit.entries(db, action="view")] == ["tl.nord", "anna"]
        assert [e.action for e in audit.entries(db, limit=2, offset=1)] == ["export_xlsx", "view"]
        assert audit.count(db) == 4
        assert audit.count(db, action="view") == 2
        assert audit.count(db, action="logout") == 0
    with factory.begin() as db, pytest.raises(ValueError):
        audit.record(db, user_name="anna", role="controlling", action="view", persons=-1)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET persons = 0",
        "UPDATE audit_log SET user_name = 'someone else' WHERE action = 'export_csv'",
        "DELETE FROM audit_log",
        "DELETE FROM audit_log WHERE action = 'export_csv'",
    ],
)
def test_audit_log_is_append_only(factory, statement):
    with factory.begin() as db:
        audit.record(
            db,
            user_name="anna",
            role="controlling",
            action="export_csv",
            list_name="K1 Bestand 2022-12",
            persons=7,
            now=T0,
        )
    with factory.begin() as db, pytest.raises(IntegrityError, match="append-only"):
        db.execute(text(statement))
    with factory() as db:
        [entry] = db.scalars(select(AuditEntry)).all()
        assert (entry.user_name, entry.persons) == ("anna", 7)
    with factory.begin() as db:  # appending still works
        audit.record(db, user_name="anna", role="controlling", action="logout", now=T0)
        assert audit.count(db) == 2


def test_audit_log_cannot_be_truncated_on_postgresql(pg_database):
    factory = open_state(url=pg_database)
    with factory.begin() as db:
        audit.record(db, user_name="anna", role="controlling", action="view", now=T0)
    with factory.begin() as db, pytest.raises(DatabaseError, match="append-only"):
        db.execute(text("TRUNCATE audit_log"))
    with factory() as db:
        assert audit.count(db) == 1
    factory.kw["bind"].dispose()


def test_public_api_resolves():
    import amip.state

    assert sorted(amip.state.__all__) == sorted({"audit", *amip.state._WHERE})
    for name in amip.state.__all__:
        assert getattr(amip.state, name) is not None


def test_purge_sessions(factory):
    from amip.state import purge_sessions

    _add(factory)
    with factory.begin() as db:
        anna = get_user(db, "anna")
        old, _ = create_session(db, anna, now=T0 - timedelta(hours=9))  # past its 8 hours
        idle, _ = create_session(db, anna, now=T0 - timedelta(minutes=61))  # idle too long
        fresh, _ = create_session(db, anna, now=T0 - timedelta(minutes=5))
    with factory.begin() as db:
        assert purge_sessions(db, now=T0) == 2
    with factory.begin() as db:
        assert resolve_session(db, fresh, now=T0) is not None
        assert len(db.scalars(select(LoginSession)).all()) == 1


def test_old_hash_parameters_are_upgraded_on_login(factory, monkeypatch):
    """Also the suite's own cheap hashes (tests/conftest.py): without the test switch, the next login
    replaces them with the production parameters (RFC 9106 low memory: t=3, 64 MiB, p=4)."""
    from argon2 import PasswordHasher

    from amip.state.users import TEST_HASH_ENV, password_hasher

    _add(factory)
    weak = password_hasher().hash(PASSWORD)  # made under the suite's switch
    assert "$m=8,t=1,p=1$" in weak
    monkeypatch.delenv(TEST_HASH_ENV)
    with factory.begin() as db:
        get_user(db, "anna").password_hash = weak
    assert _login(factory, PASSWORD, T0) == "ok"
    renewed = _user(factory).password_hash
    assert renewed != weak and renewed.startswith("$argon2id$")
    assert not PasswordHasher().check_needs_rehash(renewed) and "$m=65536,t=3,p=4$" in renewed
    assert _login(factory, PASSWORD, T0) == "ok"


def test_last_seen_is_written_at_most_once_a_minute(factory):
    _add(factory)
    with factory.begin() as db:
        token, _ = create_session(db, get_user(db, "anna"), now=T0)
    with factory.begin() as db:
        assert resolve_session(db, token, now=T0 + timedelta(seconds=30)).last_seen == T0
        assert resolve_session(db, token, now=T0 + timedelta(seconds=60)).last_seen == T0 + timedelta(seconds=60)
