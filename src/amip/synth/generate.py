"""Generate the synthetic data set of a preset: simulate, build the contract tables, write them.

``synthesize`` is deterministic for a seed: the same preset and seed give byte-identical files
(fixed Parquet settings, rows sorted, no timestamps in the files).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from amip.synth.calibration import calibration_report
from amip.synth.model import simulate
from amip.synth.months import month_index, month_text
from amip.synth.tables import TABLE_ORDER, build_tables

FORMATS = ("parquet", "csv")

__all__ = ["synthesize", "history", "calibration_report", "load_preset", "write"]


def load_preset(preset: str) -> dict:
    """A preset by name (``presets/<name>.toml`` in this package) or a path to a TOML file."""
    path = Path(preset)
    if path.suffix == ".toml" and path.exists():
        return tomllib.loads(path.read_text(encoding="utf-8"))
    res = resources.files("amip.synth").joinpath("presets", f"{preset}.toml")
    if not res.is_file():
        names = sorted(
            p.name[:-5] for p in resources.files("amip.synth").joinpath("presets").iterdir() if p.name.endswith(".toml")
        )
        raise ValueError(f"unknown preset {preset!r} (available: {', '.join(names)})")
    return tomllib.loads(res.read_text(encoding="utf-8"))


def write(tables: dict[str, pa.Table], out: Path, fmt: str = "parquet") -> None:
    """One file per table, with fixed settings so equal tables give equal bytes."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (choose: {', '.join(FORMATS)})")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        for stale in (out / f"{name}.csv", out / f"{name}.parquet"):
            if stale.exists():
                stale.unlink()  # a table must not be given twice
        if fmt == "parquet":
            pq.write_table(
                table,
                out / f"{name}.parquet",
                compression="zstd",
                compression_level=3,
                use_dictionary=True,
                write_statistics=True,
                row_group_size=1_000_000,
                version="2.6",
                data_page_version="1.0",
                store_schema=False,
            )
        else:
            pacsv.write_csv(
                table,
                out / f"{name}.csv",
                write_options=pacsv.WriteOptions(include_header=True, delimiter=",", quoting_style="needed"),
            )


def synthesize(
    preset: str = "elbe-elster",
    seed: int = 1,
    out: Path = Path("synth-data"),
    fmt: str = "parquet",
    first: str | None = None,
    last: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Simulate the preset and write every contract table to ``out``; returns the row counts."""
    say = progress or (lambda _s: None)
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (choose: {', '.join(FORMATS)})")
    params = load_preset(preset)
    if "states" in params:  # a regional preset: many job centers (amip.synth.regions)
        from amip.synth.regions import synthesize_regions

        return synthesize_regions(params, seed, Path(out), fmt, first, last, progress=say)
    tables = history(params, seed, first, last, say)
    say("writing files")
    write(tables, Path(out), fmt)
    return {name: t.num_rows for name, t in tables.items()}


def _window(params: dict, first: str | None, last: str | None) -> tuple[int, int]:
    meta = params["meta"]
    lo = month_index(first or meta["first_month"])
    hi = month_index(last or meta["last_month"])
    start = month_index(meta["simulate_from"])
    if lo > hi:
        raise ValueError(f"first month {first} is after last month {last}")
    if lo < start:
        raise ValueError(f"first month must not precede the simulation start {meta['simulate_from']}")
    return lo, hi


def history(
    params: dict,
    seed: int,
    first: str | None = None,
    last: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, pa.Table]:
    """The contract tables of a single-job-center preset's simulation for ``first``..``last``
    (default: the preset's months), in ``TABLE_ORDER``: what ``synthesize`` writes."""
    say = progress or (lambda _s: None)
    lo, hi = _window(params, first, last)
    # independent streams: the model, and the table writers (ids, delays, outcomes); the recording
    # delays of the deliveries draw from a third (amip.synth.deliveries)
    model_rng, table_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    sim = simulate(params, model_rng, hi, progress=say)
    say("building tables")
    tables = build_tables(sim, lo, hi, table_rng)
    return {name: tables[name] for name in TABLE_ORDER}


def synthesize_deliveries(
    preset: str | dict = "elbe-elster",
    seed: int = 1,
    out: Path = Path("synth-data"),
    fmt: str = "parquet",
    months: str = "",
    first: str | None = None,
    progress: Callable[[str], None] | None = None,
    step: Callable[[int, int, str], None] | None = None,
) -> list[tuple[str, dict[str, int]]]:
    """Simulate once and write one delivery per month of ``months`` (``YYYY-MM..YYYY-MM`` or
    ``MM/YYYY..MM/YYYY``) to ``out/delivery-YYYY-MM-DD/`` (``as_of`` = the first day of the
    following month). The history runs from ``first`` (default: the preset's first month) to the
    last month of the range; its last delivery holds exactly the tables ``synthesize`` writes for
    that period, plus ``dataset.as_of``. ``step(done, total, name)`` reports each delivery written.
    Returns (folder name, row counts) per delivery."""
    from amip.synth.deliveries import as_of_days, check_config, delivery, draw_recording, folder_name, parse_months

    say = progress or (lambda _s: None)
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (choose: {', '.join(FORMATS)})")
    params = load_preset(preset) if isinstance(preset, str) else preset
    if "states" in params:
        raise ValueError("deliveries are only written for a single job center's preset (not a regional one)")
    if "deliveries" not in params:
        raise ValueError("the preset has no [deliveries] section (the recording delays)")
    check_config(params["deliveries"])
    lo_d, hi_d = parse_months(months)
    lo, hi = _window(params, first, month_text(hi_d))
    if lo_d < lo:
        raise ValueError(
            f"the deliveries start at {month_text(lo_d)}, before the history's first month {month_text(lo)}"
        )
    truth = history(params, seed, month_text(lo), month_text(hi), say)
    say("drawing the recording delays")
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2,)))  # the third stream
    days = as_of_days(lo_d, hi_d)
    rec = draw_recording(truth, params["deliveries"], str(params["meta"]["jobcenter_id"]), rng, days[-1])
    written = []
    for i, as_of in enumerate(days):
        name = folder_name(as_of)
        tables = delivery(truth, rec, as_of)
        write(tables, Path(out) / name, fmt)
        written.append((name, {t: tab.num_rows for t, tab in tables.items()}))
        if step:
            step(i + 1, len(days), name)
    return written
