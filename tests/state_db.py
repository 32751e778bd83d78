"""Test databases for ``amip.state``: SQLite files and a real PostgreSQL 15 server.

``postgres_server`` (session scope, so once per pytest-xdist worker) runs ``initdb`` and
``pg_ctl`` from the PostgreSQL binaries into a temporary directory and serves on 127.0.0.1 at a
free port with trust authentication (a throw-away test cluster only), fsync off for speed.
PostgreSQL refuses to run as root; as root the cluster is made and run as the ``postgres`` system
user (or a system user ``amip-pg`` created for it), via ``subprocess``'s ``user=``/``group=``.
Missing binaries fail the tests: CI has them, and a skipped PostgreSQL run would hide breakage.

``state_url`` gives every test a fresh empty database, once on SQLite and once on PostgreSQL (a
new database on the shared server, dropped afterwards).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PG_VERSION = "15"
PG_SUPERUSER = "amip"
RUN_AS_CANDIDATES = ("postgres", "amip-pg")


def _pg_bindir() -> Path:
    candidates = []
    if os.environ.get("AMIP_PG_BINDIR"):
        candidates.append(Path(os.environ["AMIP_PG_BINDIR"]))
    candidates.append(Path(f"/usr/lib/postgresql/{PG_VERSION}/bin"))
    if shutil.which("pg_config"):
        try:
            out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True)
            candidates.append(Path(out.stdout.strip()))
        except (OSError, subprocess.CalledProcessError):
            pass
    for bindir in candidates:
        if all((bindir / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return bindir
    pytest.fail(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in "
        f"{', '.join(map(str, candidates))}; install postgresql-{PG_VERSION} "
        "(e.g. apt-get install postgresql-15) or set AMIP_PG_BINDIR",
        pytrace=False,
    )


@dataclass(frozen=True)
class _RunAs:
    """Whom to run the server as: ``None`` means the current (non-root) user."""

    uid: int | None = None
    gid: int | None = None
    name: str | None = None

    def kwargs(self) -> dict:
        if self.uid is None:
            return {}
        return {"user": self.uid, "group": self.gid, "extra_groups": []}


def _run_as() -> _RunAs:
    if os.geteuid() != 0:
        return _RunAs()
    for name in RUN_AS_CANDIDATES:
        try:
            entry = pwd.getpwnam(name)
            return _RunAs(entry.pw_uid, entry.pw_gid, name)
        except KeyError:
            continue
    name = RUN_AS_CANDIDATES[-1]
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    result = subprocess.run(
        [useradd, "--system", "--no-create-home", "--user-group", "--shell", "/usr/sbin/nologin", name],
        capture_output=True,
        text=True,
    )
    try:  # another xdist worker may have created it a moment earlier
        entry = pwd.getpwnam(name)
    except KeyError:
        pytest.fail(
            f"running as root and could not create a user for PostgreSQL: {result.stderr.strip() or result.returncode}",
            pytrace=False,
        )
    return _RunAs(entry.pw_uid, entry.pw_gid, name)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Cluster:
    def __init__(self) -> None:
        self.bindir = _pg_bindir()
        self.run_as = _run_as()
        # Short path under /tmp: the unix socket path must stay below ~100 characters.
        self.root = Path(tempfile.mkdtemp(prefix="amip-pg-", dir="/tmp" if Path("/tmp").is_dir() else None))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = 0
        if self.run_as.uid is not None:
            os.chown(self.root, self.run_as.uid, self.run_as.gid)
        self.env = {
            "PATH": f"{self.bindir}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "LC_ALL": "C",
            "LANG": "C",
            "HOME": str(self.root),
        }

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [str(self.bindir / args[0]), *args[1:]],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
            **self.run_as.kwargs(),
        )
        if check and result.returncode != 0:
            pytest.fail(
                f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}\n{self._log_tail()}",
                pytrace=False,
            )
        return result

    def _log_tail(self) -> str:
        try:
            return "server log:\n" + "\n".join(self.log.read_text().splitlines()[-30:])
        except OSError:
            return ""

    def start(self) -> None:
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            PG_SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
        )
        for attempt in range(5):  # the free port may be taken by another worker before we bind it
            self.port = _free_port()
            with open(self.data / "postgresql.conf", "a") as conf:  # later lines win
                conf.write(
                    f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\n"
                    f"unix_socket_directories = '{self.root}'\n"
                    "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                    "max_connections = 50\nshared_buffers = 32MB\n"
                )
            result = self._run(
                "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "120", "start", check=False
            )
            if result.returncode == 0:
                return
            if "already in use" not in self.log.read_text(errors="replace") or attempt == 4:
                pytest.fail(
                    f"PostgreSQL did not start:\n{result.stdout}\n{result.stderr}\n{self._log_tail()}", pytrace=False
                )
            time.sleep(0.2)

    def stop(self) -> None:
        if self.port and (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{PG_SUPERUSER}@127.0.0.1:{self.port}/{database}"


def _admin_execute(server_url: str, *statements: str) -> None:
    """Run statements on the server's ``postgres`` database outside a transaction."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(server_url)
    with psycopg.connect(
        host=url.host, port=url.port, user=url.username, dbname="postgres", autocommit=True, connect_timeout=30
    ) as conn:
        for statement in statements:
            conn.execute(statement)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A running PostgreSQL 15 server; yields the URL of its (empty) database ``amip``."""
    cluster = _Cluster()
    try:
        cluster.start()
        url = cluster.url("amip")
        _admin_execute(url, "CREATE DATABASE amip")
        yield url
    finally:
        cluster.stop()


@pytest.fixture
def pg_database(postgres_server: str) -> Iterator[str]:
    """A fresh, empty database on the test server for one test; dropped afterwards."""
    from sqlalchemy.engine import make_url

    name = f"t_{uuid.uuid4().hex[:16]}"
    _admin_execute(postgres_server, f"CREATE DATABASE {name}")
    try:
        yield make_url(postgres_server).set(database=name).render_as_string(hide_password=False)
    finally:
        _admin_execute(postgres_server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgresql"])
def state_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of a fresh, empty state database: once SQLite, once PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'state.sqlite'}"
    else:
        yield request.getfixturevalue("pg_database")


@pytest.fixture
def factory(state_url: str):
    """A migrated state database (SQLite, then PostgreSQL): its session factory."""
    from amip.state.db import open_state

    f = open_state(url=state_url)
    yield f
    f.kw["bind"].dispose()
