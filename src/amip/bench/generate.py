"""A simple, fast generator of contract data sets for benchmarks and the example data set.

Not a model of a job center (the calibrated microsimulation is ``amip synth``): persons get one to
three ELB spells at a home job center (a few move to another), some employment spells and measures,
and benefits for every Bedarfsgemeinschaft in stock. Vectorised with numpy; deterministic per seed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)
import pyarrow.parquet as pq

from amip import duck
from amip.contract.schema import instrument_codes
from amip.warehouse.store import quiet

FIRST_MONTH, LAST_MONTH = "2017-01", "2022-12"
SPELL_FROM, SPELL_TO = dt.date(2015, 1, 1), dt.date(2022, 12, 31)
PERSONS_PER_JOBCENTER = 100_000


NO_DATE = -(10**6)  # marks a NULL date in the epoch-day arrays below


def _dates(days: np.ndarray) -> pa.Array:
    """Epoch days (NO_DATE for NULL) to an Arrow date32 array."""
    arr = pa.array(days.astype(np.int32), pa.int32())
    mask = pa.array(days == NO_DATE)
    return pa.compute.if_else(mask, pa.scalar(None, pa.date32()), arr.cast(pa.date32()))


def generate(persons: int, seed: int = 1) -> dict[str, pa.Table]:
    rng = np.random.default_rng(seed)
    n = int(persons)
    n_jc = max(1, n // PERSONS_PER_JOBCENTER)
    pid = np.char.add("P", np.char.zfill(np.arange(n).astype(str), 8))
    sex = rng.choice(np.array(["w", "m", "d"]), size=n, p=[0.49, 0.50, 0.01])
    epoch = dt.date(1970, 1, 1)
    b_lo, b_hi = (dt.date(1957, 1, 1) - epoch).days, (dt.date(2006, 12, 31) - epoch).days
    birth = rng.integers(b_lo, b_hi, size=n)
    home = rng.integers(0, n_jc, size=n)
    jc_names = np.array([f"JC{i:03d}" for i in range(n_jc)])

    # ELB spells: 1-3 per person, some overlapping, ~20 % open.
    k = rng.choice([1, 2, 3], size=n, p=[0.55, 0.3, 0.15])
    owner = np.repeat(np.arange(n), k)
    m = owner.size
    lo, hi = (SPELL_FROM - epoch).days, (SPELL_TO - epoch).days
    start = rng.integers(lo, hi, size=m)
    length = rng.exponential(500, size=m).astype(np.int64)
    end = start + length
    open_ = (rng.random(m) < 0.2) | (end > hi)
    end = np.where(open_, NO_DATE, end)
    moved = rng.random(m) < 0.05
    jc = np.where(moved, (home[owner] + 1) % n_jc, home[owner])
    bg = np.char.add("B", (owner // 2 * 2).astype(str))
    spells = pa.table(
        {
            "person_id": pid[owner],
            "jobcenter_id": jc_names[jc],
            "bg_id": bg,
            "start_date": _dates(start),
            "end_date": _dates(end),
            "single_parent": rng.random(m) < 0.08,
        }
    )

    # Employment: ~45 % of persons, one spell each.
    emp_owner = np.flatnonzero(rng.random(n) < 0.45)
    e = emp_owner.size
    e_start = rng.integers(lo, hi, size=e)
    e_end = e_start + rng.exponential(350, size=e).astype(np.int64)
    e_end = np.where((rng.random(e) < 0.3) | (e_end > hi), NO_DATE, e_end)
    employment = pa.table(
        {
            "person_id": pid[emp_owner],
            "kind": rng.choice(np.array(["svb", "gb", "ausbildung", "selbst"]), size=e, p=[0.5, 0.3, 0.1, 0.1]),
            "start_date": _dates(e_start),
            "end_date": _dates(e_end),
            "accompanied": rng.random(e) < 0.1,
            "gross_eur": np.round(rng.uniform(200, 3000, size=e), 2),
        }
    )

    # Measures: ~30 % of persons, one each.
    me_owner = np.flatnonzero(rng.random(n) < 0.3)
    q = me_owner.size
    q_start = rng.integers(lo, hi, size=q)
    q_end = q_start + rng.integers(30, 365, size=q)
    measures = pa.table(
        {
            "person_id": pid[me_owner],
            "jobcenter_id": jc_names[home[me_owner]],
            "instrument": rng.choice(np.array(instrument_codes()), size=q),
            "start_date": _dates(q_start),
            "end_date": _dates(q_end),
            "cost_eur": np.round(rng.uniform(50, 8000, size=q), 2),
        }
    )

    persons_t = pa.table({"person_id": pid, "sex": sex, "birth_date": _dates(birth)})
    dataset = pa.table({"first_month": [FIRST_MONTH], "last_month": [LAST_MONTH]})
    tables = {
        "dataset": dataset,
        "persons": persons_t,
        "elb_spells": spells,
        "employment_spells": employment,
        "measures": measures,
    }
    tables["benefits"] = _benefits(spells)
    return tables


def _benefits(spells: pa.Table) -> pa.Table:
    """RB and KDU per BG and month for 2021-2022, for each BG with a spell in stock at the Stichtag."""
    con = duck.connect()
    quiet(con)
    con.register("spells", spells)
    return con.execute("""
        WITH months AS (
            SELECT strftime(d, '%Y-%m') AS month, (d + INTERVAL 1 MONTH - INTERVAL 1 DAY)::DATE AS st
            FROM range(DATE '2021-01-01', DATE '2023-01-01', INTERVAL 1 MONTH) r(d)
        ), bgm AS (
            SELECT DISTINCT s.jobcenter_id, s.bg_id, m.month
            FROM spells s JOIN months m ON s.start_date <= m.st AND coalesce(s.end_date, DATE '9999-12-31') >= m.st
        )
        SELECT jobcenter_id, bg_id, month, t.benefit_type,
               round(CASE t.benefit_type WHEN 'RB' THEN 449 ELSE 380 END
                     * (0.8 + (hash(bg_id || month || t.benefit_type) % 400) / 1000.0), 2) AS amount_eur
        FROM bgm, (VALUES ('RB'), ('KDU')) t(benefit_type)
        ORDER BY jobcenter_id, bg_id, month, benefit_type
    """).to_arrow_table()


def write(tables: dict[str, pa.Table], out: Path, fmt: str = "parquet") -> None:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        if fmt == "parquet":
            pq.write_table(table, out / f"{name}.parquet")
        else:
            con = duck.connect()
            quiet(con)
            con.register("t", table)
            con.execute(f"COPY t TO '{out / (name + '.csv')}' (HEADER, DELIMITER ',')")
            con.close()
