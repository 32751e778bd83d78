"""``amip bench``: generate N persons, compute all figures for 12 months, report time and memory.

Generation and import run in a child process, so the peak memory reported is that of the engine
(the process that computes), not of the generator.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import platform
import resource
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
    queue.put({"generate": t1 - t0, "import": t2 - t1,
               "elb_spells": tables["elb_spells"].num_rows, "benefit_rows": tables["benefits"].num_rows})


def machine() -> str:
    try:
        import psutil
        mem = f"{psutil.virtual_memory().total / 2**30:.0f} GiB"
    except ImportError:  # pragma: no cover
        mem = "?"
    return f"{platform.machine()}, {os.cpu_count()} cores, {mem}, {platform.python_implementation()} {platform.python_version()}, duckdb {duckdb.__version__}"


def run(persons: int, seed: int = 1, engine: str = "duckdb", progress=None) -> dict:
    from amip.kennzahlen.backends import ibis_backend, warehouse_connection
    from amip.kennzahlen.engine import compute

    with tempfile.TemporaryDirectory(prefix="amip-bench-") as workdir:
        if progress:
            progress("generating and importing")
        ctx = mp.get_context("spawn")
        queue = ctx.Queue()
        child = ctx.Process(target=_prepare, args=(persons, seed, workdir, queue))
        child.start()
        prep = queue.get()
        child.join()
        if child.exitcode:
            raise RuntimeError("data generation failed")
        t0 = time.perf_counter()
        with warehouse_connection(db=Path(workdir) / "bench.duckdb") as con, ibis_backend(con, engine) as be:
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
    return out
