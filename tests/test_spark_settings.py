"""The Spark engine's settings and its errors when a piece is missing (no JVM is started here)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from amip.cli import app
from builder import DataSet, runner


def _data(tmp_path: Path) -> Path:
    ds = DataSet("2021-01", "2021-12").person("p1", "m").spell("p1", "J1", "2021-01-01")
    return ds.write(tmp_path / "data")


def test_engine_without_java_is_a_clear_error_not_a_traceback(tmp_path):
    data = _data(tmp_path)
    env = {**os.environ, "PATH": str(tmp_path / "no-bin"), "JAVA_HOME": str(tmp_path / "no-java")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    out = tmp_path / "k.csv"
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "amip.cli",
            "kpi",
            "--data",
            str(data),
            "--from",
            "2021-12",
            "--to",
            "2021-12",
            "--out",
            str(out),
            "--engine",
            "spark",
        ],  # fmt: skip
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    text = " ".join((res.stdout + res.stderr).split())
    assert res.returncode == 1, text
    assert "Error: Java not found (JAVA_HOME=" in text and "has no bin/java)" in text, text
    assert "PySpark needs a Java runtime 17 or newer" in text
    assert "Traceback" not in text
    assert not out.exists()


def test_spark_options_need_the_spark_engine(tmp_path):
    data = _data(tmp_path)
    res = runner.invoke(
        app,
        [
            "kpi",
            "--data",
            str(data),
            "--from",
            "2021-12",
            "--to",
            "2021-12",
            "--out",
            str(tmp_path / "k.csv"),
            "--spark-master",
            "spark://127.0.0.1:7077",
        ],  # fmt: skip
    )
    assert res.exit_code == 1
    assert "--spark-master and --spark-checkpoint-dir need --engine spark" in " ".join(res.output.split())
