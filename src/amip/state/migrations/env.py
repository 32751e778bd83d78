"""Alembic environment for the state database.

Used two ways: by ``amip.state.db.migrate``, which passes an open connection in
``config.attributes["connection"]`` (and owns its transaction), and by the ``alembic`` command for
developers (``alembic -c src/amip/state/alembic.ini ...``), which connects to ``sqlalchemy.url`` or,
when that is empty, to ``$AMIP_STATE_DB``.
"""

from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection

from amip.state.db import STATE_ENV, make_engine, normalise_url
from amip.state.migrations.registry import Base

config = context.config
if config.config_file_name is not None and "connection" not in config.attributes:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
target_metadata = Base.metadata

# Any constant will do; it only has to be the same for every process migrating this database.
_PG_MIGRATION_LOCK = 4_841_265_002


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url") or os.environ.get(STATE_ENV)
    if not url:
        raise RuntimeError(f"no state database: set sqlalchemy.url or ${STATE_ENV}")
    return normalise_url(url)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite can change tables only by copying them; autogenerate must emit batch operations.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Serialise concurrent migrations (several cockpit processes starting at once).
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
        context.run_migrations()


def run_offline() -> None:
    """``alembic upgrade --sql``: write the SQL instead of running it."""
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    try:
        with engine.begin() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
