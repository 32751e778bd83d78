"""Many job centers: a state or the whole country as a set of single-job-center simulations.

A regional preset (``presets/brandenburg.toml``, ``presets/germany.toml``) names a base preset
(the model parameters of one job center, ``meta.base``), lists the states with their number of
job centers per *kind* (east/west, metro/urban/rural) and their ELB stock, and gives per kind the
size (inhabitants 15-<65, ELB rate) and the regional factors (entry, exit, integration, share of
long-term receivers, rents). :func:`jobcenters` derives the job centers deterministically from the
seed; :func:`jobcenter_params` turns one of them into a parameter set of the single-job-center
model; :func:`synthesize_regions` runs the model once per job center (a loop over job centers,
never over persons), gives every job center its own id prefixes and streams its tables to one
file per table (Parquet row groups or CSV batches), so memory stays bounded by the largest job
center. The same preset and seed give byte-identical files, whatever the number of workers.
"""

from __future__ import annotations

import copy
import multiprocessing as mp
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from amip.synth.months import month_index
from amip.synth.tables import TABLE_ORDER

REQUIRED = ("dataset", "persons", "elb_spells", "benefits", "employment_spells", "measures")
PARQUET_OPTIONS = dict(
    compression="zstd",
    compression_level=3,
    use_dictionary=True,
    write_statistics=True,
    version="2.6",
    data_page_version="1.0",
    store_schema=False,
)
ROW_GROUP = 1_000_000


@dataclass(frozen=True)
class JobCenter:
    index: int
    jobcenter_id: str  # e.g. JC-BB-01
    code: str  # id prefix of its persons, BGs, proposals, caseworkers: e.g. BB01
    state: str
    east: bool
    kind: str  # e.g. east_urban
    population: int  # inhabitants aged 15-<65
    elb: float  # ELB in stock aimed at (population x rate)
    scale: float  # elb / ELB of the base preset
    entry: float
    exit: float
    integration: float
    long_term: float
    rent: float

    @property
    def urban(self) -> bool:
        return not self.kind.endswith("rural")

    @property
    def elb_rate(self) -> float:
        return self.elb / self.population


def is_regional(params: dict) -> bool:
    return "states" in params


def _seeds(seed: int, n: int) -> tuple[np.random.SeedSequence, list[np.random.SeedSequence]]:
    regions, jcs = np.random.SeedSequence(seed).spawn(2)
    return regions, jcs.spawn(n)


def jobcenters(params: dict, seed: int) -> list[JobCenter]:
    """The job centers of a regional preset, in a fixed order (states, then kinds as listed)."""
    kinds = params["kinds"]
    n = sum(sum(int(c) for c in st["kinds"].values()) for st in params["states"])
    rng = np.random.default_rng(_seeds(seed, n)[0])
    base_elb = float(params["base"]["elb"])
    out: list[JobCenter] = []
    for st in params["states"]:
        rows = []
        for kind, count in st["kinds"].items():
            k = kinds[kind]
            for _ in range(int(count)):
                pop = k["population"][0] * np.exp(rng.normal(0, k["population"][1]))
                rate = k["elb_rate"][0] * np.exp(rng.normal(0, k["elb_rate"][1]))
                rows.append((kind, pop, rate))
        total = sum(p * r for _, p, r in rows)
        adjust = float(st["elb"]) / total if st.get("elb") else 1.0  # meet the state's ELB stock
        width = 2 if len(rows) < 100 else 3
        for i, (kind, pop, rate) in enumerate(rows, start=1):
            k = kinds[kind]
            elb = pop * rate * adjust
            num = str(i).zfill(width)
            out.append(
                JobCenter(
                    index=len(out),
                    jobcenter_id=f"JC-{st['code']}-{num}",
                    code=f"{st['code']}{num}",
                    state=st["code"],
                    east=bool(st["east"]),
                    kind=kind,
                    population=int(round(pop)),
                    elb=elb,
                    scale=elb / base_elb,
                    entry=float(k["entry"]),
                    exit=float(k["exit"]),
                    integration=float(k["integration"]),
                    long_term=float(k["long_term"]),
                    rent=float(k["rent"]),
                )
            )
    return out


def jobcenter_params(base: dict, params: dict, jc: JobCenter, size: float = 1.0) -> dict:
    """The parameters of the single-job-center model for ``jc``: the base preset, scaled to the
    job center's size (times ``size``: e.g. 0.1 for a tenth of every job center, a fast demo) and
    changed by its regional factors."""
    p = copy.deepcopy(base)
    p.pop("moves", None)  # moves between job centers are not simulated in regional data
    s = jc.scale * size
    meta = p["meta"]
    meta["name"] = jc.jobcenter_id
    meta["jobcenter_id"] = jc.jobcenter_id
    for key in ("first_month", "last_month", "simulate_from"):
        if key in params["meta"]:
            meta[key] = params["meta"][key]
    pop = p["population"]
    pop["initial_bgs"] = max(1, int(round(pop["initial_bgs"] * s)))
    pop["initial_long_share"] = float(np.clip(pop["initial_long_share"] + jc.long_term, 0.05, 0.95))
    pop["new_bgs_per_month"] = {y: v * s * jc.entry for y, v in pop["new_bgs_per_month"].items()}
    pop["refugee_waves"] = [dict(w, bgs=int(round(w["bgs"] * s))) for w in pop.get("refugee_waves", [])]
    p["exits"]["base"] = p["exits"]["base"] * jc.exit
    p["integration"]["prognosis"] = {c: v * jc.integration for c, v in p["integration"]["prognosis"].items()}
    p["benefits"]["rent_2019"] = [round(r * jc.rent) for r in p["benefits"]["rent_2019"]]
    for office in p["caseload"]["offices"]:
        office["teams"] = [dict(t, ifk=max(1, int(round(t["ifk"] * s)))) for t in office["teams"]]
    for row in p.get("budget", {}).get("rows", []):
        for title in ("VK", "EGL"):
            if title in row:
                row[title] = int(round(row[title] * s))
    return p


# ---- one job center ------------------------------------------------------------------------------


def _prefix(table: pa.Table, column: str, old: int, new: str) -> pa.Table:
    """Replace the first ``old`` characters of a string column by ``new``."""
    if column not in table.column_names:
        return table
    i = table.column_names.index(column)
    return table.set_column(i, column, pc.utf8_replace_slice(table.column(i), 0, old, new))


CASEWORK = ("caseload", "proposals", "case_events")


def _dates(days: np.ndarray) -> pa.Array:
    from amip.synth.tables import OPEN

    days = np.asarray(days, dtype=np.int64)
    mask = days == OPEN
    return pa.array(np.where(mask, 0, days).astype(np.int32), pa.int32(), mask=mask if mask.any() else None).cast(
        pa.date32()
    )


def _light_tables(sim, first: int, last: int, rng: np.random.Generator, code: str) -> dict[str, pa.Table]:
    """The tables of :func:`amip.synth.tables.build_tables` without the casework tables (caseload,
    proposals, case_events), sorted on numbers instead of strings: the cheap path of big presets.
    Ids are ``<code>P<7 digits>`` (persons) and ``<code>B<7 digits>`` (BGs), so the numeric order is
    the string order."""
    from amip.synth.benefits import BENEFIT_TYPES
    from amip.synth.casework import budget, indicators
    from amip.synth.model import KINDS, PROGNOSIS
    from amip.synth.months import first_day, last_day, month_text
    from amip.synth.tables import OPEN, clip_spells, draw_ids

    params, pop = sim.params, sim.pop
    jc = str(params["meta"]["jobcenter_id"])
    lo, hi = first_day(first), last_day(last)
    s_person, s_bg, s_start, s_end, s_sp, known = clip_spells(sim, lo, hi)
    persons = np.flatnonzero(known)
    pid_num, bid_num, pid, bid = draw_ids(rng, pop.n_persons, pop.n_bg, (f"{code}P", f"{code}B"), (1, 1), 7)

    t: dict[str, pa.Table] = {}
    t["dataset"] = pa.table({"first_month": [month_text(first)], "last_month": [month_text(last)]})
    o = persons[np.argsort(pid_num[persons], kind="stable")]
    t["persons"] = pa.table(
        {
            "person_id": pid[o],
            "sex": np.array(["m", "w", "d"])[pop.p_sex[o]],
            "birth_date": _dates(pop.p_birth[o]),
            "severely_disabled": pop.p_disabled[o],
            "refugee": pop.p_refugee[o],
            "vocational_qualification": pop.p_qualified[o],
        }
    )
    o = np.lexsort((s_start, pid_num[s_person]))
    t["elb_spells"] = pa.table(
        {
            "person_id": pid[s_person[o]],
            "jobcenter_id": np.full(o.size, jc),
            "bg_id": bid[s_bg[o]],
            "start_date": _dates(s_start[o]),
            "end_date": _dates(s_end[o]),
            "single_parent": s_sp[o],
        }
    )
    b = sim.benefits
    bk = np.flatnonzero((b["month"] >= first) & (b["month"] <= last))
    bg, bm, bt = b["bg"][bk].astype(np.int64), b["month"][bk].astype(np.int64), b["type"][bk].astype(np.int64)
    o = np.lexsort((bt, bm, bid_num[bg]))
    months = np.array([month_text(m) for m in range(first, last + 1)])
    t["benefits"] = pa.table(
        {
            "jobcenter_id": np.full(o.size, jc),
            "bg_id": bid[bg[o]],
            "month": months[bm[o] - first],
            "benefit_type": np.array(BENEFIT_TYPES)[bt[o]],
            "amount_eur": b["amount"][bk][o].astype(np.float64),
        }
    )
    j = sim.jobs
    jend = j["end"]
    jk = np.flatnonzero(known[j["person"]] & ((jend == OPEN) | (jend >= lo)) & (j["start"] <= hi))
    o = jk[np.lexsort((j["kind"][jk], j["start"][jk], pid_num[j["person"][jk]]))]
    t["employment_spells"] = pa.table(
        {
            "person_id": pid[j["person"][o]],
            "kind": np.array(KINDS)[j["kind"][o]],
            "start_date": _dates(j["start"][o]),
            "end_date": _dates(np.where((jend[o] == OPEN) | (jend[o] > hi), OPEN, jend[o])),
            "accompanied": j["accompanied"][o],
            "gross_eur": j["gross"][o],
        }
    )
    me = sim.measures
    mk = np.flatnonzero(known[me["person"]] & (me["end"] >= lo) & (me["start"] <= hi))
    o = mk[np.lexsort((me["instrument"][mk], me["start"][mk], pid_num[me["person"][mk]]))]
    cost = me["cost"][o]
    t["measures"] = pa.table(
        {
            "person_id": pid[me["person"][o]],
            "jobcenter_id": np.full(o.size, jc),
            "instrument": np.array(sim.instruments)[me["instrument"][o]],
            "start_date": _dates(me["start"][o]),
            "end_date": _dates(me["end"][o]),
            "cost_eur": pa.array(cost, pa.float64(), mask=np.isnan(cost)),
        }
    )
    pr = sim.prognosis
    pk = np.flatnonzero(known[pr["person"]] & (pr["day"] <= hi))
    pday = np.maximum(pr["day"][pk], lo)
    pnum = pid_num[pr["person"][pk]]
    o = np.lexsort((np.arange(pk.size), pday, pnum))  # the latest assessment of a day wins
    last_of_day = np.ones(o.size, bool)
    last_of_day[:-1] = (pnum[o][:-1] != pnum[o][1:]) | (pday[o][:-1] != pday[o][1:])
    o = o[last_of_day]
    t["prognosis"] = pa.table(
        {
            "person_id": pid[pr["person"][pk][o]],
            "valid_from": _dates(pday[o]),
            "code": np.array(PROGNOSIS)[pr["code"][pk][o]],
            "integration_goal": pr["goal"][pk][o],
        }
    )
    t["budget"] = budget(params)
    t["indicators"] = indicators(sim, rng, first, last)
    return t


def _one(task: tuple) -> dict[str, pa.Table]:
    """Simulate one job center and build its tables with its own id prefixes."""
    from amip.synth.model import simulate
    from amip.synth.tables import build_tables

    params, ss, lo, hi, benefits_from, names, code = task
    model_rng, table_rng = (np.random.default_rng(s) for s in ss.spawn(2))
    sim = simulate(params, model_rng, hi)
    if benefits_from is not None:
        keep = sim.benefits["month"] >= benefits_from
        sim.benefits = {k: v[keep] for k, v in sim.benefits.items()}
    if not set(names) & set(CASEWORK):
        tables = _light_tables(sim, lo, hi, table_rng, code)
        return {name: tables[name] for name in names}
    tables = build_tables(sim, lo, hi, table_rng)
    out = {}
    for name in names:
        t = tables[name]
        t = _prefix(t, "person_id", 2, f"{code}P")  # EE1000001 -> BB01P1000001
        t = _prefix(t, "bg_id", 2, f"{code}B")  # BG100001  -> BB01B100001
        t = _prefix(t, "proposal_id", 2, f"{code}V")  # VV0000001 -> BB01V0000001
        t = _prefix(t, "caseworker_id", 0, f"{code}-")
        t = _prefix(t, "team_id", 0, f"{code}-")
        out[name] = t
    return out


# ---- streaming writer ------------------------------------------------------------------------------


class _Stream:
    """One file per table; every job center appends its rows (Parquet row groups / CSV batches)."""

    def __init__(self, out: Path, fmt: str):
        self.out, self.fmt = Path(out), fmt
        self.out.mkdir(parents=True, exist_ok=True)
        self.writers: dict[str, object] = {}
        self.schemas: dict[str, pa.Schema] = {}
        self.rows: dict[str, int] = {}

    def write(self, name: str, table: pa.Table) -> None:
        if name not in self.writers:
            for stale in (self.out / f"{name}.csv", self.out / f"{name}.parquet"):
                if stale.exists():
                    stale.unlink()  # a table must not be given twice
            self.schemas[name] = table.schema
            path = self.out / f"{name}.{self.fmt}"
            if self.fmt == "parquet":
                self.writers[name] = pq.ParquetWriter(path, table.schema, **PARQUET_OPTIONS)
            else:
                self.writers[name] = pacsv.CSVWriter(
                    path,
                    table.schema,
                    write_options=pacsv.WriteOptions(include_header=True, delimiter=",", quoting_style="needed"),
                )
            self.rows[name] = 0
        elif table.schema != self.schemas[name]:
            table = table.cast(self.schemas[name])
        if self.fmt == "parquet":
            self.writers[name].write_table(table, row_group_size=ROW_GROUP)
        else:
            self.writers[name].write_table(table)
        self.rows[name] += table.num_rows

    def close(self) -> None:
        for w in self.writers.values():
            w.close()


def synthesize_regions(
    params: dict,
    seed: int,
    out: Path,
    fmt: str = "parquet",
    first: str | None = None,
    last: str | None = None,
    progress: Callable[[str], None] | None = None,
    workers: int | None = None,
    size: float = 1.0,
) -> dict[str, int]:
    """Simulate every job center of a regional preset and stream its tables to ``out`` (``size``:
    every job center at that fraction of its size; 1.0 gives the preset's data)."""
    if not 0 < size <= 1:
        raise ValueError(f"size {size} must be above 0 and at most 1")
    from amip.synth.generate import load_preset

    say = progress or (lambda _s: None)
    meta = params["meta"]
    base = load_preset(meta["base"])
    start = month_index(meta.get("simulate_from", base["meta"]["simulate_from"]))
    lo = month_index(first or meta.get("first_month") or base["meta"]["first_month"])
    hi = month_index(last or meta.get("last_month") or base["meta"]["last_month"])
    if lo > hi:
        raise ValueError(f"first month {first} is after last month {last}")
    if lo < start:
        raise ValueError(f"first month must not precede the simulation start {meta.get('simulate_from')}")
    # benefits only for the last `benefits_months` months written (the costly table of big presets)
    bfrom = max(lo, hi - int(meta["benefits_months"]) + 1) if meta.get("benefits_months") else None
    wanted = set(meta.get("tables", TABLE_ORDER)) | set(REQUIRED)
    names = [t for t in TABLE_ORDER if t in wanted]
    jcs = jobcenters(params, seed)
    seeds = _seeds(seed, len(jcs))[1]
    tasks = [(jobcenter_params(base, params, jc, size), seeds[jc.index], lo, hi, bfrom, names, jc.code) for jc in jcs]
    workers = workers if workers is not None else int(os.environ.get("AMIP_SYNTH_WORKERS", min(2, os.cpu_count() or 1)))
    stream = _Stream(Path(out), fmt)
    pool = mp.get_context("spawn").Pool(workers) if workers > 1 else None
    try:
        # pool.imap yields in task order: the files do not depend on the timing of the workers
        results = pool.imap(_one, tasks, chunksize=1) if pool is not None else map(_one, tasks)
        for jc, tables in zip(jcs, results):
            say(f"job center {jc.index + 1}/{len(jcs)} {jc.jobcenter_id}")
            for name in names:
                if name == "dataset" and jc.index > 0:
                    continue
                stream.write(name, tables[name])
            del tables
        if pool is not None:
            pool.close()
            pool.join()
    finally:
        if pool is not None:
            pool.terminate()
        stream.close()
    from amip.synth.generate import write
    from amip.synth.jobcenter_table import regional

    names_table = regional(jcs)  # names, Länder, kinds, Vergleichstypen (no draws)
    write({"jobcenters": names_table}, Path(out), fmt)
    return {**stream.rows, "jobcenters": names_table.num_rows}


__all__ = ["JobCenter", "is_regional", "jobcenters", "jobcenter_params", "synthesize_regions"]
