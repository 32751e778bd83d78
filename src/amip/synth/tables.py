"""From a finished simulation to the tables of the data contract (pyarrow, sorted, typed).

Only what lies in the written window is kept: ELB spells ending before ``first_month`` are dropped
and earlier starts are cut to its first day; persons appear when they have an ELB spell in the
window. Jobs and spells still running at the cut-off get a NULL end. Ids are pseudonymous numbers
in a random order (no names, no relation to the order of simulation).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from amip.synth.benefits import BENEFIT_TYPES
from amip.synth.households import NO_DAY
from amip.synth.model import KINDS, PROGNOSIS, Simulation
from amip.synth.months import first_day, last_day, month_text
from amip.synth.moves import earlier_spells

OPEN = NO_DAY


# The contract tables a synthetic data set has, in the order they are written.
TABLE_ORDER = (
    "dataset",
    "persons",
    "elb_spells",
    "benefits",
    "employment_spells",
    "measures",
    "caseload",
    "prognosis",
    "proposals",
    "budget",
    "case_events",
    "indicators",
)


def _dates(days: np.ndarray) -> pa.Array:
    days = np.asarray(days, dtype=np.int64)
    mask = days == OPEN
    arr = pa.array(np.where(mask, 0, days).astype(np.int32), pa.int32()).cast(pa.date32())
    if mask.any():
        arr = pa.array(arr.to_pylist(), pa.date32(), mask=mask)
    return arr


def _sorted(table: pa.Table, keys: list[str]) -> pa.Table:
    return table.sort_by([(k, "ascending") for k in keys])


def clip_spells(sim: Simulation, lo: int, hi: int):
    """The ELB spells inside the output window [lo, hi] (epoch days), clipped to it (an end after
    hi is open), and which persons have any: (person, bg, start, end, single_parent, known)."""
    sp = sim.spells
    end = sp["end"]
    keep = ((end == OPEN) | (end >= lo)) & (sp["start"] <= hi)
    s_start = np.maximum(sp["start"][keep], lo)
    s_end = np.where((end[keep] == OPEN) | (end[keep] > hi), OPEN, end[keep])
    known = np.zeros(sim.pop.n_persons, bool)
    known[np.unique(sp["person"][keep])] = True
    return sp["person"][keep], sp["bg"][keep], s_start, s_end, sp["single_parent"][keep], known


def draw_ids(
    rng: np.random.Generator,
    n_persons: int,
    n_bg: int,
    prefixes: tuple[str, str] = ("EE", "BG"),
    first: tuple[int, int] = (1_000_001, 100_001),
    width: int = 0,
):
    """Pseudonymous person and BG ids in a random order: the numbers ``first, first + 1, ...``
    permuted (persons, then BGs: the order of the draws is part of the output) and written as
    prefix + digits, zero-padded to ``width``. Returns (person numbers, BG numbers, person ids,
    BG ids), indexed by the simulation's person and BG index."""
    pid_num = rng.permutation(n_persons) + first[0]
    bid_num = rng.permutation(n_bg) + first[1]
    return pid_num, bid_num, _id_text(prefixes[0], pid_num, width), _id_text(prefixes[1], bid_num, width)


def _id_text(prefix: str, num: np.ndarray, width: int) -> np.ndarray:
    digits = num.astype(str)
    return np.char.add(prefix, np.char.zfill(digits, width) if width else digits)


def build_tables(sim: Simulation, first: int, last: int, rng: np.random.Generator) -> dict[str, pa.Table]:
    params, pop = sim.params, sim.pop
    jc = str(params["meta"]["jobcenter_id"])
    lo, hi = first_day(first), last_day(last)

    # ---- ELB spells ------------------------------------------------------------------------------
    s_person, s_bg, s_start, s_end, s_sp, known = clip_spells(sim, lo, hi)
    persons = np.flatnonzero(known)
    pid_num, bid_num, pid, bid = draw_ids(rng, pop.n_persons, pop.n_bg)

    tables: dict[str, pa.Table] = {}
    tables["dataset"] = pa.table({"first_month": [month_text(first)], "last_month": [month_text(last)]})
    sex = np.array(["m", "w", "d"])[pop.p_sex[persons]]
    tables["persons"] = _sorted(
        pa.table(
            {
                "person_id": pid[persons],
                "sex": sex,
                "birth_date": _dates(pop.p_birth[persons]),
                "severely_disabled": pop.p_disabled[persons],
                "refugee": pop.p_refugee[persons],
                "vocational_qualification": pop.p_qualified[persons],
            }
        ),
        ["person_id"],
    )
    cols = [s_person, s_bg, s_start, s_end, s_sp, np.full(s_person.size, jc)]
    moved = earlier_spells(params, s_person, s_bg, s_start, s_sp, lo)
    if moved is not None:  # customers' earlier spells at the job center they came from (synth/moves.py)
        cols = [np.concatenate([c, m]) for c, m in zip(cols, (*moved[:5], np.full(moved[0].size, moved[5])))]
    e_person, e_bg, e_start, e_end, e_sp, e_jc = cols
    tables["elb_spells"] = _sorted(
        pa.table(
            {
                "person_id": pid[e_person],
                "jobcenter_id": e_jc,
                "bg_id": bid[e_bg],
                "start_date": _dates(e_start),
                "end_date": _dates(e_end),
                "single_parent": e_sp,
            }
        ),
        ["person_id", "start_date"],
    )

    # ---- benefits -------------------------------------------------------------------------------
    b = sim.benefits
    bk = (b["month"] >= first) & (b["month"] <= last)
    months = np.array([month_text(m) for m in range(first, last + 1)])
    tables["benefits"] = _sorted(
        pa.table(
            {
                "jobcenter_id": np.full(int(bk.sum()), jc),
                "bg_id": bid[b["bg"][bk].astype(np.int64)],
                "month": months[b["month"][bk].astype(np.int64) - first],
                "benefit_type": np.array(BENEFIT_TYPES)[b["type"][bk].astype(np.int64)],
                "amount_eur": b["amount"][bk].astype(np.float64),
            }
        ),
        ["bg_id", "month", "benefit_type"],
    )

    # ---- employment -------------------------------------------------------------------------------
    j = sim.jobs
    jend = j["end"]
    jk = known[j["person"]] & ((jend == OPEN) | (jend >= lo)) & (j["start"] <= hi)
    tables["employment_spells"] = _sorted(
        pa.table(
            {
                "person_id": pid[j["person"][jk]],
                "kind": np.array(KINDS)[j["kind"][jk]],
                "start_date": _dates(j["start"][jk]),
                "end_date": _dates(np.where((jend[jk] == OPEN) | (jend[jk] > hi), OPEN, jend[jk])),
                "accompanied": j["accompanied"][jk],
                "gross_eur": j["gross"][jk],
            }
        ),
        ["person_id", "start_date", "kind"],
    )

    # ---- measures ---------------------------------------------------------------------------------
    me = sim.measures
    mk = known[me["person"]] & (me["end"] >= lo) & (me["start"] <= hi)
    cost = me["cost"][mk]
    tables["measures"] = _sorted(
        pa.table(
            {
                "person_id": pid[me["person"][mk]],
                "jobcenter_id": np.full(int(mk.sum()), jc),
                "instrument": np.array(sim.instruments)[me["instrument"][mk]],
                "start_date": _dates(me["start"][mk]),
                "end_date": _dates(me["end"][mk]),
                "cost_eur": pa.array(cost, pa.float64(), mask=np.isnan(cost)),
            }
        ),
        ["person_id", "start_date", "instrument"],
    )

    # ---- prognosis --------------------------------------------------------------------------------
    pr = sim.prognosis
    pk = known[pr["person"]] & (pr["day"] <= hi)
    pday = np.maximum(pr["day"][pk], lo)
    pt = pa.table(
        {
            "person_id": pid[pr["person"][pk]],
            "valid_from": _dates(pday),
            "code": np.array(PROGNOSIS)[pr["code"][pk]],
            "integration_goal": pr["goal"][pk],
            "_seq": np.arange(int(pk.sum())),
        }
    )
    pt = _sorted(pt, ["person_id", "valid_from", "_seq"])
    # one row per person and day: the latest assessment of a day wins (rows cut to the first day)
    pidc = pt.column("person_id").to_numpy(zero_copy_only=False)
    vf = pt.column("valid_from").cast(pa.int32()).to_numpy()
    last_of_day = np.ones(pt.num_rows, bool)
    last_of_day[:-1] = (pidc[:-1] != pidc[1:]) | (vf[:-1] != vf[1:])
    tables["prognosis"] = pt.filter(pa.array(last_of_day)).drop_columns(["_seq"])

    from amip.synth.casework import budget, case_events, caseload, indicators, proposals

    tables["caseload"] = caseload(sim, rng, pid, s_person, s_start, s_end, hi)
    tables["proposals"] = proposals(sim, rng, pid, known, lo, hi)
    tables["budget"] = budget(params)
    tables["case_events"] = case_events(sim, rng, pid, known, s_person, s_start, lo, hi)
    tables["indicators"] = indicators(sim, rng, first, last)
    return tables
