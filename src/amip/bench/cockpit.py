"""``amip bench-cockpit``: load on the web cockpit: N logged-in users in a loop, each pausing a
think time after every step (``--think``, default 0: a closed loop without pause), for T seconds,
on ``amip serve --workers W``. Two mixes:

- ``realistic`` (default): two of three users are Controlling, one Geschäftsführung; each walks
  through Übersicht, Kennzahl pages, Planung, Budget, Zielnachhaltung, a person list (Controlling;
  each view writes an audit row), a planning POST (Controlling: "Vorschlag übernehmen", a write of
  the plan draft) and, once a round, logs out and in again (a POST, a login form, an argon2 check).
  Failed logins are counted apart from other errors; p50/p95 per page kind.
- ``pages``: only the Übersicht and Kennzahl pages (the earlier benchmark, kept for comparison).

The cockpit runs as ``amip serve`` in a process of its own (as in production, and so that the
load generator's threads do not compete for the server's GIL) on the Elbe-Elster demo warehouse
(built with ``amip demo --no-serve`` when missing). The bench users live in a throw-away state
database (``AMIP_STATE_DB`` pointed at a temporary SQLite file), so the demo's users and audit
log are not touched. Every URL is requested once before measuring (chart rendering and the
figure cache warm up); then every request's latency and status is recorded. An error is a status
other than 200 or an exception (time-out, connection reset).

Note that the load generator runs on the same machine: on a small machine it takes CPU from the
server, which a real deployment (browsers elsewhere) would not.
"""

from __future__ import annotations

import math
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx

DEFAULT_DB = Path(".amip/demo/demo.duckdb")
BENCH_PREFIX = "bench"
PAGES = ["/", "/kennzahl/K1", "/kennzahl/K2", "/kennzahl/K3", "/kennzahl/K2?sex=w", "/kennzahl/K3E2"]
TIMEOUT = 60.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _percentile(sorted_values: list[float], p: float) -> float | None:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return None
    return sorted_values[max(1, math.ceil(p / 100 * len(sorted_values))) - 1]


def ensure_demo(db: Path, say: Callable[[str], None]) -> None:
    """Build the demo warehouse with ``amip demo --no-serve`` if ``db`` does not exist."""
    if db.exists():
        return
    if db.name != "demo.duckdb":
        raise FileNotFoundError(f"warehouse not found: {db} (the demo's is <dir>/demo.duckdb)")
    say(f"building the demo warehouse in {db.parent} (amip demo --no-serve)")
    subprocess.run(
        [sys.executable, "-m", "amip.cli", "demo", "--no-serve", "--dir", str(db.parent)],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def bench_role(i: int, mix: str) -> str:
    """The role of bench user ``i`` (0-based): in the realistic mix every third is Geschäftsführung."""
    return "geschaeftsfuehrung" if mix == "realistic" and i % 3 == 2 else "controlling"


def add_bench_users(state_url: str, n: int, mix: str = "pages") -> tuple[list[str], str]:
    """``n`` users in the state database (roles by :func:`bench_role`); returns names and password."""
    from amip.state.db import open_state
    from amip.state.users import add_user, hash_password

    password = secrets.token_urlsafe(18)
    password_hash = hash_password(password)  # one hash for all: the bench users share the password
    names = [f"{BENCH_PREFIX}{i:03d}" for i in range(1, n + 1)]
    factory = open_state(url=state_url)
    try:
        with factory.begin() as db:
            for i, name in enumerate(names):
                add_user(db, name, bench_role(i, mix), password, password_hash=password_hash)
    finally:
        factory.kw["bind"].dispose()
    return names, password


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def form_login(client: httpx.Client, name: str, password: str) -> int:
    """The login form as a browser sends it; returns the POST's status (303 = signed in)."""
    page = client.get("/login")
    found = CSRF.search(page.text)
    assert found is not None, "the login page has no form token"
    return client.post(
        "/login", data={"username": name, "password": password, "csrf_token": found.group(1)}
    ).status_code


def log_in(base: str, name: str, password: str) -> httpx.Client:
    """A client with a session: through the login form, CSRF token and cookie as a browser does."""
    client = httpx.Client(base_url=base, timeout=TIMEOUT, follow_redirects=False)
    page = client.get("/login")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    if found is None:
        raise RuntimeError(f"{base}/login shows no login form (status {page.status_code})")
    token = found.group(1)
    r = client.post("/login", data={"username": name, "password": password, "csrf_token": token})
    if r.status_code != 303 or "amip_session" not in client.cookies:
        raise RuntimeError(f"login of {name} failed: {r.status_code}")
    return client


class Server:
    """``amip serve`` as a child process on a free port."""

    def __init__(self, db: Path, env: dict[str, str], log: Path, workers: int = 1):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log.open("wb")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                *("-m", "amip.cli", "serve", "--db", str(db), "--port", str(self.port)),
                *("--workers", str(workers)),
            ],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait(self, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"amip serve exited with {self.proc.returncode} (log: {self.log.name})")
            try:
                r = httpx.get(f"{self.base}/api/health", timeout=2)
                if r.status_code == 200:
                    return r.json()
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        raise TimeoutError(f"amip serve did not answer within {timeout:.0f} s (log: {self.log.name})")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def _pause(think: float, stop_at: float) -> None:
    """The user's think time after a step (never past the end of the run)."""
    if think > 0:
        time.sleep(max(0.0, min(think, stop_at - time.perf_counter())))


def _stagger(i: int, users: int, think: float, stop_at: float) -> None:
    """With think time, user ``i`` starts ``i / users`` of a think time late, so that the users do
    not all send their first request in the same instant (and stay in step afterwards)."""
    if think > 0:
        _pause(think * i / users, stop_at)


def _load(
    clients: list[httpx.Client], urls: list[str], seconds: float, think: float = 0.0
) -> tuple[list[tuple[str, int | str, float]], float]:
    """Every client in its own thread loops over ``urls`` (each starting elsewhere in the list)
    until ``seconds`` have passed, pausing ``think`` seconds after each request; returns (url,
    status or the exception's name, seconds) per request and the wall time."""
    results: list[list[tuple[str, int | str, float]]] = [[] for _ in clients]
    start = threading.Barrier(len(clients) + 1)
    stop_at = [0.0]

    def user(i: int) -> None:
        client, out = clients[i], results[i]
        k = i % len(urls)
        start.wait()
        _stagger(i, len(clients), think, stop_at[0])
        while time.perf_counter() < stop_at[0]:
            url = urls[k]
            k = (k + 1) % len(urls)
            t0 = time.perf_counter()
            status: int | str
            try:
                status = client.get(url).status_code
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            out.append((url, status, time.perf_counter() - t0))
            _pause(think, stop_at[0])

    threads = [threading.Thread(target=user, args=(i,), daemon=True) for i in range(len(clients))]
    for t in threads:
        t.start()
    t0 = time.perf_counter()
    stop_at[0] = t0 + seconds
    start.wait()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return [r for rs in results for r in rs], wall


def realistic_round(role: str, month: str, jc: str) -> list[tuple[str, str, str]]:
    """One round of a user of ``role``: (page kind, method, URL); ``LOGIN`` means log out and in."""
    year = month[:4]
    person_list = f"/personen?count=lzb&month={month}&jc={jc}"
    steps = [
        ("Übersicht", "GET", f"/?month={month}"),
        ("Kennzahl", "GET", f"/kennzahl/K2?month={month}"),
        ("Planung", "GET", f"/planung?jc={jc}&year={year}"),
        ("Kennzahl", "GET", f"/kennzahl/K1?month={month}"),
        ("Budget", "GET", f"/budget?jc={jc}&year={year}"),
        ("Zielnachhaltung", "GET", f"/zielnachhaltung?jc={jc}&year={year}"),
        ("Personenliste", "GET", person_list)
        if role == "controlling"
        else ("Kennzahl", "GET", f"/kennzahl/K3?month={month}"),
        ("Übersicht", "GET", f"/?month={month}&sex=w"),
        ("Kennzahl", "GET", f"/kennzahl/K3E2?month={month}&sex=w"),
        ("Planung POST", "POST", f"/planung/vorschlag|jc={jc}&year={year}")
        if role == "controlling"
        else ("Planung", "GET", f"/planung?jc={jc}&year={int(year) + 1}"),
        ("Personenliste", "GET", person_list.replace("count=lzb", "count=stock"))
        if role == "controlling"
        else ("Kennzahl", "GET", f"/kennzahl/K1E1?month={month}"),
        ("Anmeldung", "LOGIN", "/login"),
    ]
    return steps


OK_STATUS = {"GET": 200, "POST": 303, "LOGOUT": 303}


def _mixed_load(
    clients: list[httpx.Client],
    names: list[str],
    password: str,
    rounds: list[list[tuple[str, str, str]]],
    seconds: float,
    think: float = 0.0,
):
    """Like :func:`_load`, user ``i`` looping over ``rounds[i]`` and pausing ``think`` seconds after
    each step (the re-login, logout + login form + login, is one step: the user types the
    password on the login form); returns (kind, status, seconds) per request (a re-login is two
    entries, "Abmeldung" and "Anmeldung"), the failed logins and the wall time."""
    results: list[list[tuple[str, int | str, float]]] = [[] for _ in clients]
    failed_logins = [0] * len(clients)
    start = threading.Barrier(len(clients) + 1)
    stop_at = [0.0]

    def user(i: int) -> None:
        client, out, steps = clients[i], results[i], rounds[i]
        k = (i * 5) % len(steps)
        found = CSRF.search(client.get("/konto").text)  # a form token for a round starting with a POST
        token = found.group(1) if found else None
        start.wait()
        _stagger(i, len(clients), think, stop_at[0])
        while time.perf_counter() < stop_at[0]:
            kind, method, url = steps[k]
            k = (k + 1) % len(steps)
            t0 = time.perf_counter()
            status: int | str  # the HTTP status, or what went wrong
            try:
                if method == "GET":
                    r = client.get(url)
                    status = r.status_code
                    found = CSRF.search(r.text)
                    token = found.group(1) if found else token
                elif method == "POST":
                    path, _, query = url.partition("|")
                    data = dict(part.split("=", 1) for part in query.split("&"))
                    status = client.post(path, data={**data, "csrf_token": token or ""}).status_code
                else:  # log out (POST) and in again (login form)
                    status = client.post("/logout", data={"csrf_token": token or ""}).status_code
                    out.append(("Abmeldung", 200 if status == 303 else status, time.perf_counter() - t0))
                    t0 = time.perf_counter()
                    status = form_login(client, names[i], password)
                    if status != 303:
                        failed_logins[i] += 1
                    token = None
                    status = 303 if status == 303 else f"login {status}"
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            ok = OK_STATUS.get(method, 303)
            out.append((kind, 200 if status == ok else status, time.perf_counter() - t0))
            _pause(think, stop_at[0])

    threads = [threading.Thread(target=user, args=(i,), daemon=True) for i in range(len(clients))]
    for t in threads:
        t.start()
    t0 = time.perf_counter()
    stop_at[0] = t0 + seconds
    start.wait()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return [r for rs in results for r in rs], sum(failed_logins), wall


def _cpu_seconds(pid: int) -> float | None:
    """CPU seconds (user + system) of the server process and its worker processes."""
    try:
        import psutil

        root = psutil.Process(pid)
        total = 0.0
        for p in (root, *root.children(recursive=True)):
            try:
                t = p.cpu_times()
            except psutil.Error:  # a child that just ended
                continue
            total += t.user + t.system
        return total
    except Exception:  # pragma: no cover - psutil missing or process gone
        return None


def run(
    db: Path | None = None,
    users: int = 50,
    seconds: float = 120.0,
    progress: Callable[[str], None] | None = None,
    startup_timeout: float = 1800.0,
    mix: str = "realistic",
    think: float = 0.0,
    workers: int = 1,
) -> dict:
    if mix not in ("realistic", "pages"):
        raise ValueError(f"unknown mix {mix!r} (realistic or pages)")
    if think < 0:
        raise ValueError(f"think time must not be negative (got {think})")
    if workers < 1:
        raise ValueError(f"workers must be at least 1 (got {workers})")
    from amip.bench.run import machine

    say = progress or (lambda _m: None)
    db = Path(db or DEFAULT_DB)
    ensure_demo(db, say)
    workdir = Path(tempfile.mkdtemp(prefix="amip-bench-cockpit-"))
    server = None
    clients: list[httpx.Client] = []
    samples: list[tuple[str, int | str, float]] = []
    server_log = None
    try:
        state_url = f"sqlite:///{workdir / 'state.sqlite'}"
        say(f"adding {users} bench users")
        names, password = add_bench_users(state_url, users, mix)
        env = {**os.environ, "AMIP_STATE_DB": state_url}
        say("starting amip serve (the first start on a new import builds the figure cache)")
        t0 = time.perf_counter()
        server = Server(db, env, workdir / "serve.log", workers)
        health = server.wait(startup_timeout)
        startup = time.perf_counter() - t0
        month = health["last_month"]
        urls = [p + ("&" if "?" in p else "?") + f"month={month}" for p in PAGES]

        say(f"logging in {users} users")
        clients = [log_in(server.base, name, password) for name in names]
        say("warming up")
        failed_logins = 0
        if mix == "pages":
            for client in clients if workers > 1 else clients[:1]:
                for url in urls:
                    r = client.get(url)
                    if r.status_code != 200:
                        raise RuntimeError(f"warm-up: {url} answered {r.status_code}")
        else:
            jc = clients[0].get("/api/jobcenters").json()[0]
            rounds = [realistic_round(bench_role(i, mix), month, jc) for i in range(users)]
            # Each role's pages once (GETs only: caches, charts); with several workers every user's
            # (each client's connection is served by one worker, so every worker warms up).
            for i in range(users if workers > 1 else min(users, 3)):
                for _kind, method, url in rounds[i]:
                    if method == "GET":
                        r = clients[i].get(url)
                        if r.status_code != 200:
                            raise RuntimeError(f"warm-up: {url} answered {r.status_code}")
            urls = sorted({kind for r in rounds for kind, _m, _u in r} | {"Abmeldung"})

        say(f"{users} users for {seconds:.0f} s ({mix} mix)")
        cpu0 = _cpu_seconds(server.proc.pid)
        load0 = os.getloadavg()
        if mix == "pages":
            samples, wall = _load(clients, urls, seconds, think)
        else:
            samples, failed_logins, wall = _mixed_load(clients, names, password, rounds, seconds, think)
        cpu1 = _cpu_seconds(server.proc.pid)
        load1 = os.getloadavg()
    finally:
        for c in clients:
            c.close()
        if server is not None:
            server.stop()
        failed = not samples or any(st != 200 for _u, st, _s in samples)
        if failed and (workdir / "serve.log").exists():  # keep the server's tracebacks
            kept = Path(tempfile.gettempdir()) / f"amip-bench-cockpit-serve-{int(time.time())}.log"
            shutil.copy(workdir / "serve.log", kept)
            server_log = str(kept)
        shutil.rmtree(workdir, ignore_errors=True)

    ok = sorted(s for _u, st, s in samples if st == 200)
    every = sorted(s for _u, _st, s in samples)
    statuses = Counter(st for _u, st, _s in samples)
    errors = sum(n for st, n in statuses.items() if st != 200)

    def ms(v):
        return None if v is None else round(v * 1000, 1)

    per_url = {}  # per URL (pages mix) or per page kind (realistic mix)
    for url in urls:
        lat = sorted(s for u, st, s in samples if u == url and st == 200)
        per_url[url] = {"requests": len(lat), "p50_ms": ms(_percentile(lat, 50)), "p95_ms": ms(_percentile(lat, 95))}
    return {
        "mix": mix,
        "users": users,
        "think_seconds": think,
        "workers": workers,
        "seconds": round(wall, 1),
        "warehouse": str(db),
        "month": month,
        "requests": len(samples),
        "throughput_rps": round(len(samples) / wall, 1),
        "p50_ms": ms(_percentile(every, 50)),
        "p95_ms": ms(_percentile(every, 95)),
        "p99_ms": ms(_percentile(every, 99)),
        "max_ms": ms(every[-1] if every else None),
        "mean_ms": ms(sum(every) / len(every) if every else None),
        "errors": errors - failed_logins,
        "failed_logins": failed_logins,
        "statuses": {str(k): v for k, v in sorted(statuses.items(), key=lambda kv: str(kv[0]))},
        "ok_p95_ms": ms(_percentile(ok, 95)),
        "per_url": per_url,
        "server_cpu_share": None if cpu0 is None or cpu1 is None else round((cpu1 - cpu0) / wall, 2),
        # server CPU (all its processes) per request of the run, argon2 of the logins included
        "server_cpu_ms_per_request": None
        if cpu0 is None or cpu1 is None or not samples
        else round((cpu1 - cpu0) * 1000 / len(samples), 1),
        "loadavg_1min_before_after": [round(load0[0], 2), round(load1[0], 2)],
        "server_startup_seconds": round(startup, 1),
        "server_log": server_log,
        "machine": machine(),
    }
