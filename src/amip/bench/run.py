"""``amip bench``: generate N persons (or a preset's data set), compute all figures for 12 months,
report time and memory.

Generation and import run in a child process, so the peak memory reported is that of the engine
(the process that computes), not of the generator. ``run_preset`` keeps the generated data set in a
cache directory and reports the generation's own time and peak memory (when it generated it).
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import platform
import resource
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

BENCH_FROM, BENCH_TO = "2022-01", "2022-12"


def _prepare(persons: int, seed: int, workdir: str, queue) -> None:
    from amip.bench.generate import generate, write
    from amip.warehouse.store import import_dataset

    t0 = time.perf_counter()
    tables = generate(persons, seed)
    data = Path(workdir) / "data"
    write(tables, data)
    t1 = time.perf_counter()
    import_dataset(data, Path(workdir) / "bench.duckdb")
    t2 = time.perf_counter()
    queue.put(
        {
            "generate": t1 - t0,
            "import": t2 - t1,
            "elb_spells": tables["elb_spells"].num_rows,
            "benefit_rows": tables["benefits"].num_rows,
        }
    )


def _in_child(target, *args) -> dict:
    """Run a generation/import step in a fresh process (so its memory is not the engine's) and
    return what it reports."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(target=target, args=(*args, queue))
    child.start()
    prep = queue.get()
    child.join()
    if child.exitcode:
        raise RuntimeError("data generation failed")
    return prep


def machine() -> str:
    try:
        import psutil

        mem = f"{psutil.virtual_memory().total / 2**30:.0f} GiB"
    except ImportError:  # pragma: no cover
        mem = "?"
    return f"{platform.machine()}, {os.cpu_count()} cores, {mem}, {platform.python_implementation()} {platform.python_version()}, duckdb {duckdb.__version__}"


def run(persons: int, seed: int = 1, engine: str = "duckdb", progress=None) -> dict:
    from amip.kennzahlen.backends import ibis_backend, spark_jobs, warehouse_connection
    from amip.kennzahlen.engine import compute

    with tempfile.TemporaryDirectory(prefix="amip-bench-") as workdir:
        if progress:
            progress("generating and importing")
        prep = _in_child(_prepare, persons, seed, workdir)
        t0 = time.perf_counter()
        jobs0 = spark_jobs()
        with (
            warehouse_connection(db=Path(workdir) / "bench.duckdb") as con,
            ibis_backend(con, engine, staging=workdir) as be,
        ):
            result = compute(be, BENCH_FROM, BENCH_TO, progress=progress)
        seconds = time.perf_counter() - t0
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    person_months = persons * 12
    out = {
        "persons": persons,
        "engine": engine,
        "months": 12,
        "seconds": round(seconds, 3),
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "person_months_per_second": round(person_months / seconds),
        "output_rows": result.table.num_rows,
        "elb_spells": prep["elb_spells"],
        "benefit_rows": prep["benefit_rows"],
        "generate_seconds": round(prep["generate"], 3),
        "import_seconds": round(prep["import"], 3),
        "machine": machine(),
    }
    out.update({f"stage_{k}": round(v, 3) for k, v in result.seconds.items()})
    out.update(_spark_info(engine, jobs0))
    return out


def _spark_info(engine: str, jobs_before: int) -> dict:
    """The Spark master and the number of Spark jobs a run started (``--engine spark``)."""
    if engine != "spark":
        return {}
    from amip.kennzahlen.backends import spark_jobs, spark_master

    return {"spark_master": spark_master() or "spark-submit", "spark_jobs": spark_jobs() - jobs_before}


# ---- presets (amip.synth): one or many job centers ------------------------------------------------


def default_data_dir(preset: str, seed: int) -> Path:
    return Path(".amip/bench") / f"{Path(preset).stem}-seed{seed}"


def _rss_mb(who) -> float:
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)


def _prepare_preset(preset: str, seed: int, data_dir: str, workdir: str, queue) -> None:
    import pyarrow.parquet as pq

    from amip.synth.generate import synthesize
    from amip.warehouse.store import import_dataset

    data = Path(data_dir)
    info_file = data.with_name(data.name + ".generation.json")
    gen: dict = {"generated": False}
    if not (data / "dataset.parquet").exists():
        tmp = data.with_name(data.name + ".tmp")
        if tmp.exists():
            shutil.rmtree(tmp)
        t0 = time.perf_counter()
        synthesize(preset=preset, seed=seed, out=tmp, fmt="parquet")
        gen = {
            "generated": True,
            "generate_seconds": round(time.perf_counter() - t0, 3),
            # the generator process (it writes the files) and the largest of its workers
            "generate_peak_rss_mb": _rss_mb(resource.RUSAGE_SELF),
            "generate_worker_peak_rss_mb": _rss_mb(resource.RUSAGE_CHILDREN),
        }
        if data.exists():
            shutil.rmtree(data)
        tmp.rename(data)
        info_file.write_text(json.dumps(gen))
    elif info_file.exists():
        gen = {**json.loads(info_file.read_text()), "generated": False}
    counts = {
        name: pq.ParquetFile(data / f"{name}.parquet").metadata.num_rows
        for name in ("persons", "elb_spells", "benefits")
    }
    t1 = time.perf_counter()
    import_dataset(data, Path(workdir) / "bench.duckdb")
    queue.put(
        {**gen, "import": time.perf_counter() - t1, "import_peak_rss_mb": _rss_mb(resource.RUSAGE_SELF), **counts}
    )


def run_preset(preset: str, seed: int = 1, data_dir: Path | None = None, engine: str = "duckdb", progress=None) -> dict:
    """Generate (or reuse) the data set of a synth preset, import it, compute all figures for the 12
    months of 2022 for every job center x 3 sexes; time, memory and stages. On Spark the data set's
    Parquet files are read and validated by Spark itself (``--data``)."""
    from amip.kennzahlen.backends import ibis_backend, spark_jobs, warehouse_connection
    from amip.kennzahlen.engine import compute

    data = Path(data_dir) if data_dir else default_data_dir(preset, seed)
    data.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="amip-bench-", dir=data.parent) as workdir:
        if progress:
            progress("generating and importing" if not (data / "dataset.parquet").exists() else "importing")
        prep = _in_child(_prepare_preset, preset, seed, str(data), workdir)
        with warehouse_connection(db=Path(workdir) / "bench.duckdb") as con:
            row = con.execute("SELECT count(DISTINCT jobcenter_id) FROM elb_spells").fetchone()
            jobcenters = row[0] if row else 0  # an aggregate without GROUP BY always has its one row
        t0 = time.perf_counter()
        jobs0 = spark_jobs()
        if engine == "spark":
            # Spark reads and validates the data set's files itself, where they lie (as on a
            # cluster); the time includes that validation.
            from amip.kennzahlen.revisions import open_source

            with (
                open_source(data=str(data.resolve()), engine="spark", progress=progress) as source,
                source.backend(source.latest.as_of, "spark") as be,
            ):
                result = compute(be, BENCH_FROM, BENCH_TO, progress=progress)
        else:
            with warehouse_connection(db=Path(workdir) / "bench.duckdb") as con, ibis_backend(con, engine) as be:
                result = compute(be, BENCH_FROM, BENCH_TO, progress=progress)
        seconds = time.perf_counter() - t0
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out = {
        "preset": preset,
        "seed": seed,
        "engine": engine,
        "months": 12,
        "jobcenters": jobcenters,
        "seconds": round(seconds, 3),
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "persons": prep["persons"],
        "person_months_per_second": round(prep["persons"] * 12 / seconds),
        "output_rows": result.table.num_rows,
        "elb_spells": prep["elb_spells"],
        "benefit_rows": prep["benefits"],
        "data_dir": str(data),
        "generated_now": prep["generated"],
        "generate_seconds": prep.get("generate_seconds"),
        "generate_peak_rss_mb": prep.get("generate_peak_rss_mb"),
        "generate_worker_peak_rss_mb": prep.get("generate_worker_peak_rss_mb"),
        "import_seconds": round(prep["import"], 3),
        "import_peak_rss_mb": prep["import_peak_rss_mb"],
        "machine": machine(),
    }
    out.update({f"stage_{k}": round(v, 3) for k, v in result.seconds.items()})
    out.update(_spark_info(engine, jobs0))
    return out
