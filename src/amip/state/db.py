"""Where the cockpit's application state lives and how its schema is brought up to date.

The state (users, login sessions, audit log) is kept apart from the warehouse: the warehouse file
is replaced wholesale by every import, the state must survive imports. By default it is an SQLite
file beside the warehouse; a job center running several cockpit processes points
``AMIP_STATE_DB`` at a PostgreSQL database instead.

The schema is owned by Alembic (``amip/state/migrations``); ``migrate`` runs it programmatically
so that neither an ``alembic.ini`` nor the ``alembic`` command is needed in production.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import cast

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

ROLES = ("geschaeftsfuehrung", "controlling", "teamleitung", "ifk", "admin")

STATE_ENV = "AMIP_STATE_DB"
BUSY_TIMEOUT_MS = 10_000  # SQLite waits this long for the write lock before reporting SQLITE_BUSY
BEGIN_RETRIES = 5  # then BEGIN IMMEDIATE is retried this often, with growing random back-off
MIGRATIONS = "amip.state:migrations"  # package resource, found wherever amip is installed


def normalise_url(url: str) -> str:
    """Give a plain ``postgresql://`` (or ``postgres://``) URL the psycopg 3 driver we ship."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def state_url(warehouse: Path) -> str:
    """The state database's URL: ``$AMIP_STATE_DB``, else ``<warehouse stem>.state.sqlite`` beside it.

    The path is made absolute so that the URL means the same file whatever the working directory.
    """
    configured = os.environ.get(STATE_ENV)
    if configured:
        return normalise_url(configured)
    path = Path(warehouse).expanduser().absolute()
    return f"sqlite:///{path.with_name(path.stem + '.state.sqlite')}"


def make_engine(url: str) -> Engine:
    """An engine for ``url``; on SQLite with foreign keys enforced and real transactions.

    Bound parameters never appear in exception messages (``hide_parameters``): a failed statement
    of the login would otherwise put a session-token hash or CSRF token into the server log.

    Python's sqlite3 module neither enforces foreign keys (needed for ON DELETE CASCADE) nor
    opens a transaction before DDL, so a failed migration could leave half a schema behind. We
    switch its own transaction handling off and emit BEGIN ourselves (the recipe from the
    SQLAlchemy SQLite documentation), which makes migrations all-or-nothing as on PostgreSQL.

    Concurrency on SQLite (docs/security.md, "State database concurrency"): WAL journal, so
    readers never wait; a transaction opened with ``factory.begin()`` (the way to write) starts with
    ``BEGIN IMMEDIATE``: it takes the write lock up front, waiting up to the busy timeout, then
    retried with back-off, so that a transaction that reads and then writes can never fail half-way
    with "database is locked" (a deferred transaction cannot wait for the lock upgrade). Sessions
    used without ``begin()`` (``with factory() as db``, :func:`reading`) start a plain deferred
    ``BEGIN``, which takes no lock at all in WAL mode.
    """
    url = normalise_url(url)
    if make_url(url).get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, hide_parameters=True)

    engine = create_engine(url, connect_args={"check_same_thread": False}, hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        # Readers do not block the writer nor the writer the readers (file databases only).
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get(WRITE):
            # an "sqlite" URL uses the default pysqlite driver: the driver connection is an sqlite3.Connection
            begin_immediate(cast(sqlite3.Connection, conn.connection.driver_connection))
        else:
            conn.exec_driver_sql("BEGIN")

    return engine


WRITE = "amip_write"


class StateSession(Session):
    """A session whose explicit ``begin()`` asks SQLite for the write lock at once (see
    :func:`make_engine`); autobegun transactions (reads) stay deferred."""

    def begin(self, nested: bool = False):
        bind = self.bind
        if (
            not nested
            and not self.in_transaction()
            and isinstance(bind, Engine)
            and bind.dialect.name == "sqlite"
            and not bind.get_execution_options().get(WRITE)
        ):
            self.bind = bind.execution_options(**{WRITE: True})
        return super().begin(nested=nested)


def begin_immediate(dbapi_connection: sqlite3.Connection, retries: int = BEGIN_RETRIES) -> None:
    """``BEGIN IMMEDIATE`` on a raw sqlite3 connection, retried on SQLITE_BUSY.

    The busy timeout already makes SQLite wait for the write lock; when even that runs out (a
    burst of writers), the attempt is repeated ``retries`` times after a random back-off of
    50 ms, 100 ms, 200 ms, ... (times 0.5 to 1.5, so that waiting writers do not retry in step).
    This is the one place where the state database retries."""
    for attempt in range(retries + 1):
        try:
            dbapi_connection.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            busy = "locked" in str(exc) or "busy" in str(exc)
            if not busy or attempt == retries:
                raise
            time.sleep(0.05 * 2**attempt * random.uniform(0.5, 1.5))


@contextmanager
def reading(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A transaction that only reads: ``with reading(factory) as db: ...``.

    On SQLite it starts a deferred ``BEGIN`` (no lock in WAL mode, never waits for a writer).
    Nothing is committed: writing inside it is a mistake (it is rolled back). Closing (not rolling
    back) the session keeps what was loaded readable afterwards."""
    with factory() as db:
        yield db


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration built in code; ``connection`` is handed through to ``env.py``."""
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def migrate(url_or_engine: str | Engine, revision: str = "head") -> None:
    """Bring the state database up to ``revision`` (a no-op when it is there already).

    The whole upgrade runs in one transaction; on PostgreSQL ``env.py`` also takes an advisory lock
    so that cockpit processes starting at the same time do not migrate twice.
    """
    owned = isinstance(url_or_engine, str)
    engine = make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), revision)
    finally:
        if owned:
            engine.dispose()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for the state functions; ``expire_on_commit=False`` keeps loaded users readable
    after the ``with factory.begin()`` block that loaded them has committed."""
    return sessionmaker(bind=engine, class_=StateSession, expire_on_commit=False)


def open_state(warehouse: Path | None = None, url: str | None = None) -> sessionmaker[Session]:
    """Resolve the URL (``url``, else from ``warehouse``, else from the default warehouse),
    migrate, and return a session factory. The engine is ``factory.kw["bind"]``."""
    if url is None:
        if warehouse is None:
            from amip.warehouse.store import default_db

            warehouse = default_db()
        url = state_url(warehouse)
    engine = make_engine(url)
    migrate(engine)
    return session_factory(engine)
