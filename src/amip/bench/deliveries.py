"""``amip bench --deliveries FROM..TO``: the delivery history's storage and import time.

Monthly deliveries are imported one after the other into a fresh warehouse (each with
``import_dataset``, as ``amip import`` does: validation, the file copy, the history update, the
checkpoint and the atomic replace). Reported per delivery: the import's wall time and the file size
after it; in sum the ratios the issue sets targets for (file after the last / after the first
delivery < 3; import of the last / of the first < 2), and the last delivery imported alone into an
empty warehouse (the space and time of one delivery of that size).

The deliveries come from ``amip synth --deliveries`` for a single job center's preset (recording
delays and corrections, :mod:`amip.synth.deliveries`). A regional preset (e.g. ``brandenburg``) has
no delivery generator, so its deliveries are *cut* from its one data set (:func:`cut_deliveries`):
the delivery of month M holds what had started by ST(M), with the ends after ST(M) still open.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from amip import duck
from amip.bench.run import default_data_dir, machine

Progress = Callable[[str], None]


def _months(text: str) -> list[tuple[int, int]]:
    from amip.synth.deliveries import parse_months

    lo, hi = parse_months(text)
    return [(m // 12, m % 12 + 1) for m in range(lo, hi + 1)]


def _as_of(year: int, month: int) -> dt.date:
    return dt.date(year + month // 12, month % 12 + 1, 1)


def synth_deliveries(preset: str, seed: int, months: str, out: Path, progress: Progress | None = None) -> list[Path]:
    """The deliveries of ``months`` for ``preset`` in ``out`` (kept as a cache: generated only when
    ``out`` lacks the last one). A single job center's preset: ``amip synth --deliveries``; a
    regional one: cut from its data set (generated into ``out/full`` when missing)."""
    from amip.synth.generate import load_preset, synthesize, synthesize_deliveries

    wanted = [out / f"delivery-{_as_of(y, m).isoformat()}" for y, m in _months(months)]
    if all((d / "dataset.parquet").exists() for d in wanted):
        return wanted
    params = load_preset(preset)
    if "states" not in params:
        synthesize_deliveries(preset, seed, out, "parquet", months, progress=progress)
        return wanted
    full = out / "full"
    if not (full / "dataset.parquet").exists():
        synthesize(preset=preset, seed=seed, out=full, fmt="parquet", progress=progress)
    cut_deliveries(full, [_as_of(y, m) for y, m in _months(months)], out, progress)
    return wanted


# what a cut delivery of as_of A keeps of each table: rows known before A (``{a}``: DATE 'A')
_KEEP = {
    "elb_spells": "start_date < {a}",
    "employment_spells": "start_date < {a}",
    "measures": "start_date < {a}",
    "caseload": "start_date < {a}",
    "benefits": "month < '{m}'",
    "prognosis": "valid_from < {a}",
    "proposals": "date < {a}",
    "case_events": "recorded_date < {a}",
    "indicators": "month < '{m}'",
}
_OPEN_END = ("elb_spells", "employment_spells", "measures", "caseload")


def cut_deliveries(full: Path, days: list[dt.date], out: Path, progress: Progress | None = None) -> None:
    """Cut one delivery per ``as_of`` in ``days`` from the data set in ``full`` (Parquet) into
    ``out/delivery-YYYY-MM-DD``: the rows that had begun before ``as_of`` (persons: those with an
    ELB spell by then), ends on or after ``as_of`` still open (NULL); the other tables whole. No
    recording delays: a simpler history than ``amip synth --deliveries``, of the same size."""
    con = duck.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        names = [p.stem for p in sorted(full.glob("*.parquet"))]
        for day in days:
            folder = out / f"delivery-{day.isoformat()}"
            if (folder / "dataset.parquet").exists():
                continue
            if progress:
                progress(f"cutting {folder.name}")
            tmp = out / f".{folder.name}.tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            a, m = f"DATE '{day.isoformat()}'", f"{day.year:04d}-{day.month:02d}"
            last = (day - dt.timedelta(days=1)).strftime("%Y-%m")
            src = {n: f"read_parquet('{full / (n + '.parquet')}')" for n in names}
            known = f"(SELECT DISTINCT person_id FROM {src['elb_spells']} WHERE start_date < {a})"
            for name in names:
                if name == "dataset":
                    sql = f"SELECT first_month, '{last}' AS last_month, {a} AS as_of FROM {src[name]}"
                else:
                    cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {src[name]}").fetchall()]
                    if name in _OPEN_END:
                        sel = ", ".join(
                            f"CASE WHEN end_date >= {a} THEN NULL ELSE end_date END AS end_date"
                            if c == "end_date"
                            else c
                            for c in cols
                        )
                    else:
                        sel = ", ".join(cols)
                    where = [_KEEP[name].format(a=a, m=m)] if name in _KEEP else []
                    if "person_id" in cols:
                        where.append(f"person_id IN {known}")
                    sql = f"SELECT {sel} FROM {src[name]}" + (f" WHERE {' AND '.join(where)}" if where else "")
                con.execute(f"COPY ({sql}) TO '{tmp / (name + '.parquet')}' (FORMAT parquet)")
            for extra in full.iterdir():  # e.g. the instruments catalogue beside the tables
                if extra.is_file() and extra.suffix != ".parquet":
                    shutil.copyfile(extra, tmp / extra.name)
            tmp.rename(folder)
    finally:
        con.close()


def _version_rows(db: Path) -> tuple[int, int]:
    """(stored row versions, rows of all deliveries together) of the warehouse ``db``."""
    from amip.warehouse.deliveries import HISTORY, VERSIONED

    con = duck.connect(str(db), read_only=True)
    try:
        stored = 0
        for t in VERSIONED:
            row = con.execute(f"SELECT count(*) FROM {HISTORY}.{t.name}_versions").fetchone()
            stored += int(row[0]) if row else 0
        per = [json.loads(r[0]) for r in con.execute(f"SELECT rows FROM {HISTORY}.deliveries").fetchall()]
        return stored, sum(sum(p.values()) for p in per)
    finally:
        con.close()


def run_deliveries(
    preset: str = "elbe-elster",
    months: str = "2021-01..2022-12",
    seed: int = 1,
    data_dir: Path | None = None,
    progress: Progress | None = None,
) -> dict:
    """Import the monthly deliveries of ``months`` one by one into a fresh warehouse; time and
    file size per delivery, the ratios, and the last delivery alone."""
    from amip.warehouse.store import import_dataset

    say = progress or (lambda _m: None)
    data = (
        Path(data_dir)
        if data_dir
        else default_data_dir(preset, seed).with_name(f"{Path(preset).stem}-seed{seed}-deliveries")
    )
    data.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    dirs = synth_deliveries(preset, seed, months, data, say)
    generated = time.perf_counter() - t0
    per: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="amip-bench-", dir=data) as workdir:
        db = Path(workdir) / "history.duckdb"
        for i, folder in enumerate(dirs):
            say(f"importing {folder.name} ({i + 1}/{len(dirs)})")
            t = time.perf_counter()
            counts = import_dataset(folder, db)
            per.append(
                {
                    "delivery": folder.name.removeprefix("delivery-"),
                    "seconds": round(time.perf_counter() - t, 3),
                    "file_mb": round(db.stat().st_size / 2**20, 2),
                    "rows": sum(counts.values()),
                }
            )
        stored, total = _version_rows(db)
        say("importing the last delivery alone")
        alone = Path(workdir) / "alone.duckdb"
        t = time.perf_counter()
        import_dataset(dirs[-1], alone)
        alone_seconds = time.perf_counter() - t
        alone_mb = alone.stat().st_size / 2**20
    first, last = per[0], per[-1]
    return {
        "preset": preset,
        "seed": seed,
        "deliveries": len(per),
        "months": months,
        "rows_first": first["rows"],
        "rows_last": last["rows"],
        "file_mb_first": first["file_mb"],
        "file_mb_last": last["file_mb"],
        "file_ratio": round(last["file_mb"] / first["file_mb"], 2),
        "last_alone_file_mb": round(alone_mb, 2),
        "file_ratio_to_last_alone": round(last["file_mb"] / alone_mb, 2),
        "import_seconds_first": first["seconds"],
        "import_seconds_last": last["seconds"],
        "import_ratio": round(last["seconds"] / first["seconds"], 2),
        "last_alone_import_seconds": round(alone_seconds, 3),
        "import_ratio_to_last_alone": round(last["seconds"] / alone_seconds, 2),
        "stored_row_versions": stored,
        "rows_of_all_deliveries": total,
        "generate_seconds": round(generated, 1),
        "data_dir": str(data),
        "per_delivery": per,
        "machine": machine(),
    }


__all__ = ["cut_deliveries", "run_deliveries", "synth_deliveries"]
