"""Many job centers: the brandenburg preset (18 job centers), in a reduced run of 12 months.

The job centers differ in the expected directions (the four kreisfreie Städte have higher ELB rates
and rents than the Landkreise; sizes follow the derived targets), every person and BG id belongs to
one job center, the data set passes the contract validation of ``amip import``, and the same seed
gives byte-identical files whatever the number of worker processes.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from amip.synth.generate import load_preset, synthesize
from amip.synth.regions import jobcenters
from amip.warehouse.store import import_dataset

pytestmark = pytest.mark.slow

SEED = 7
FIRST, LAST = "2015-01", "2015-09"  # 9 simulated months (simulate_from is 2015-01)
STICHTAG = dt.date(2015, 9, 30)


def _digests(path):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(path.iterdir())}


def test_brandenburg_job_centers(tmp_path, monkeypatch):
    a = tmp_path / "a"
    counts = synthesize("brandenburg", SEED, a, first=FIRST, last=LAST)
    assert counts["persons"] > 10_000 and counts["benefits"] > 0
    jcs = jobcenters(load_preset("brandenburg"), SEED)
    assert len(jcs) == 18 and len({j.jobcenter_id for j in jcs}) == 18
    assert sum(j.urban for j in jcs) == 4

    # ELB stock per job center on the Stichtag
    sp = pq.read_table(
        a / "elb_spells.parquet", columns=["person_id", "jobcenter_id", "start_date", "end_date"]
    ).to_pandas()
    on = sp[(sp.start_date <= STICHTAG) & (sp.end_date.isna() | (sp.end_date >= STICHTAG))]
    stock = on.groupby("jobcenter_id").person_id.nunique()
    assert set(stock.index) == {j.jobcenter_id for j in jcs}
    # sizes follow the targets derived from population x ELB rate
    target = np.array([j.elb for j in jcs])
    got = np.array([stock[j.jobcenter_id] for j in jcs])
    assert np.corrcoef(target, got)[0, 1] > 0.9
    # (the targets are stocks of 2021; the base model's stock of 2015 is about 1.7 times its 2021 stock)
    assert 1.2 < got.sum() / target.sum() < 2.4
    # east urban (kreisfreie Städte) vs rural (Landkreise): higher ELB rates
    rate = {j.jobcenter_id: stock[j.jobcenter_id] / j.population for j in jcs}
    urban = [rate[j.jobcenter_id] for j in jcs if j.urban]
    rural = [rate[j.jobcenter_id] for j in jcs if not j.urban]
    assert np.mean(urban) > 1.15 * np.mean(rural)
    # ... and higher rents (KdU per BG and month)
    ben = pq.read_table(a / "benefits.parquet").to_pandas()
    kdu = ben[ben.benefit_type == "KDU"].groupby("jobcenter_id").amount_eur.mean()
    urban_kdu = np.mean([kdu[j.jobcenter_id] for j in jcs if j.urban])
    rural_kdu = np.mean([kdu[j.jobcenter_id] for j in jcs if not j.urban])
    assert urban_kdu > rural_kdu

    # every id belongs to one job center: person ids carry its code and are unique
    persons = pq.read_table(a / "persons.parquet", columns=["person_id"]).column(0)
    assert pc.count_distinct(persons).as_py() == len(persons)
    spell_jc = sp.drop_duplicates("person_id")
    assert (spell_jc.person_id.str[:4] == spell_jc.jobcenter_id.str[3:].str.replace("-", "")).all()

    # the contract validation of `amip import`
    imported = import_dataset(a, tmp_path / "w.duckdb")
    assert imported["persons"] == counts["persons"]

    # byte-identical for the same seed (here with one worker process instead of two)
    monkeypatch.setenv("AMIP_SYNTH_WORKERS", "1")
    b = tmp_path / "b"
    synthesize("brandenburg", SEED, b, first=FIRST, last=LAST)
    assert _digests(a) == _digests(b)
