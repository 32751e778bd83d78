"""A real Spark standalone cluster for the tests: one master and two workers, started with
pyspark's own launcher (``spark-class``), each worker with its own work directory, one core and
1 GB; session-scoped (started once per test process, stopped at the end).

    def test_x(spark_cluster):      # the master URL, spark://127.0.0.1:PORT
        ...

The cluster's executors read the data from the test's folders by path (the same machine: a
shared file system), and stage results go to a checkpoint folder in the data set's folder."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

WORKERS = 2
START_TIMEOUT = 180  # seconds until both workers are registered (a busy 2-core machine is slow)
# The daemons and executors are small JVMs; the quick compiler and serial collector as for the driver.
JVM = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _alive(ui: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{ui}/json/", timeout=5) as r:
            return int(json.load(r).get("aliveworkers", 0))
    except (OSError, ValueError):
        return 0


def _stop(procs: list[subprocess.Popen]) -> None:
    for p in reversed(procs):  # workers (and their executors) first, then the master
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    for p in procs:
        try:
            p.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


@pytest.fixture(scope="session")
def spark_cluster(tmp_path_factory) -> Iterator[str]:
    """The master URL of a running standalone cluster with two registered workers."""
    import pyspark

    home = Path(pyspark.__file__).parent
    root = tmp_path_factory.mktemp("spark-cluster")
    env = {
        **os.environ,
        "SPARK_HOME": str(home),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "SPARK_DAEMON_JAVA_OPTS": JVM,
        "SPARK_DAEMON_MEMORY": "256m",
        "SPARK_LOG_DIR": str(root),
    }
    port, ui = _free_port(), _free_port()
    launcher = str(home / "bin" / "spark-class")
    procs: list[subprocess.Popen] = []

    def start(name: str, *args: str) -> None:
        log = open(root / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process's end
        procs.append(
            subprocess.Popen([launcher, *args], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        )

    master = f"spark://127.0.0.1:{port}"
    try:
        start("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port),
              "--webui-port", str(ui))  # fmt: skip
        for i in range(WORKERS):
            work = root / f"worker{i}"
            work.mkdir()
            start(f"worker{i}", "org.apache.spark.deploy.worker.Worker", master, "--host", "127.0.0.1",
                  "--cores", "1", "--memory", "1g", "--work-dir", str(work), "--port", "0", "--webui-port", "0")  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT
        while _alive(ui) < WORKERS:
            dead = [p for p in procs if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                logs = "\n".join(
                    (root / f).read_text(errors="replace")[-2000:] for f in os.listdir(root) if f.endswith(".log")
                )
                pytest.fail(f"the Spark standalone cluster did not start ({_alive(ui)} of {WORKERS} workers):\n{logs}")
            time.sleep(0.5)
        yield master
    finally:
        _stop(procs)


@pytest.fixture(scope="module")
def on_cluster(spark_cluster) -> Iterator[str]:
    """``--engine spark`` runs on the cluster in this module (AMIP_SPARK_MASTER), with executors of
    512 MB, one core each; the local session is used again afterwards."""
    saved = {k: os.environ.get(k) for k in ("AMIP_SPARK_MASTER", "PYSPARK_SUBMIT_ARGS", "SPARK_LOCAL_IP")}
    os.environ["AMIP_SPARK_MASTER"] = spark_cluster
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    os.environ["PYSPARK_SUBMIT_ARGS"] = (
        f'--conf spark.executor.memory=512m --conf spark.executor.cores=1 --conf "spark.executor.extraJavaOptions={JVM}" '
        "pyspark-shell"
    )
    try:
        yield spark_cluster
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
