"""``amip bench-cockpit``: load on the web cockpit: N logged-in users, each requesting the
Übersicht and Kennzahl pages in a loop with no think time, for T seconds.

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
from pathlib import Path
from collections.abc import Callable

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
    subprocess.run([sys.executable, "-m", "amip.cli", "demo", "--no-serve", "--dir", str(db.parent)],
                   check=True, stdout=subprocess.DEVNULL)


def add_bench_users(state_url: str, n: int) -> tuple[list[str], str]:
    """``n`` controlling users in the state database; returns their names and the password."""
    from amip.state.db import open_state
    from amip.state.users import add_user

    password = secrets.token_urlsafe(18)
    names = [f"{BENCH_PREFIX}{i:03d}" for i in range(1, n + 1)]
    factory = open_state(url=state_url)
    try:
        with factory.begin() as db:
            for name in names:
                add_user(db, name, "controlling", password)
    finally:
        factory.kw["bind"].dispose()
    return names, password


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

    def __init__(self, db: Path, env: dict[str, str], log: Path):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "amip.cli", "serve", "--db", str(db), "--port", str(self.port)],
            env=env, stdout=self.log, stderr=subprocess.STDOUT,
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


def _load(clients: list[httpx.Client], urls: list[str], seconds: float) -> tuple[list[tuple[str, int | str, float]], float]:
    """Every client in its own thread loops over ``urls`` (each starting elsewhere in the list)
    until ``seconds`` have passed; returns (url, status or the exception's name, seconds) per
    request and the wall time."""
    results: list[list[tuple[str, int | str, float]]] = [[] for _ in clients]
    start = threading.Barrier(len(clients) + 1)
    stop_at = [0.0]

    def user(i: int) -> None:
        client, out = clients[i], results[i]
        k = i % len(urls)
        start.wait()
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


def _cpu_seconds(pid: int) -> float | None:
    try:
        import psutil

        t = psutil.Process(pid).cpu_times()
        return t.user + t.system
    except Exception:  # pragma: no cover - psutil missing or process gone
        return None


def run(db: Path | None = None, users: int = 50, seconds: float = 120.0,
        progress: Callable[[str], None] | None = None, startup_timeout: float = 1800.0) -> dict:
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
        names, password = add_bench_users(state_url, users)
        env = {**os.environ, "AMIP_STATE_DB": state_url}
        say("starting amip serve (the first start on a new import builds the figure cache)")
        t0 = time.perf_counter()
        server = Server(db, env, workdir / "serve.log")
        health = server.wait(startup_timeout)
        startup = time.perf_counter() - t0
        month = health["last_month"]
        urls = [p + ("&" if "?" in p else "?") + f"month={month}" for p in PAGES]

        say(f"logging in {users} users")
        clients = [log_in(server.base, name, password) for name in names]
        say("warming up")
        for url in urls:
            r = clients[0].get(url)
            if r.status_code != 200:
                raise RuntimeError(f"warm-up: {url} answered {r.status_code}")

        say(f"{users} users for {seconds:.0f} s")
        cpu0 = _cpu_seconds(server.proc.pid)
        load0 = os.getloadavg()
        samples, wall = _load(clients, urls, seconds)
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

    per_url = {}
    for url in urls:
        lat = sorted(s for u, st, s in samples if u == url and st == 200)
        per_url[url] = {"requests": len(lat), "p50_ms": ms(_percentile(lat, 50)), "p95_ms": ms(_percentile(lat, 95))}
    return {
        "users": users,
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
        "errors": errors,
        "statuses": {str(k): v for k, v in sorted(statuses.items(), key=lambda kv: str(kv[0]))},
        "ok_p95_ms": ms(_percentile(ok, 95)),
        "per_url": per_url,
        "server_cpu_share": None if cpu0 is None or cpu1 is None else round((cpu1 - cpu0) / wall, 2),
        "loadavg_1min_before_after": [round(load0[0], 2), round(load1[0], 2)],
        "server_startup_seconds": round(startup, 1),
        "server_log": server_log,
        "machine": machine(),
    }
