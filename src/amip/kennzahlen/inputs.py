"""The typed contract tables as Ibis expressions, with dates turned into epoch days.

Works on any Ibis backend holding the warehouse tables (DuckDB, PySpark). Optional tables that are
absent are ``None``; the figures needing them are then skipped with a stated reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import ibis

from amip.kennzahlen.backends import to_arrow
from amip.kennzahlen.calendar import OPEN_END, Coverage, parse_month


def _days(col: ibis.Value) -> ibis.Value:
    return col.epoch_days().cast("int64")


def _end_days(col: ibis.Value) -> ibis.Value:
    return col.epoch_days().cast("int64").fill_null(OPEN_END)


def seventeenth_birthday(birth: ibis.Value) -> ibis.Value:
    """Epoch day of the 17th birthday; 29 February has its birthday on 1 March (17 years later
    is never a leap year)."""
    leap_day = (birth.month() == 2) & (birth.day() == 29)
    return (
        ibis.date(
            birth.year() + 17,
            ibis.ifelse(leap_day, 3, birth.month()),
            ibis.ifelse(leap_day, 1, birth.day()),
        )
        .epoch_days()
        .cast("int64")
    )


@dataclass
class Inputs:
    coverage: Coverage
    jobcenters: list[str]
    persons: ibis.Table  # person_id, sex, b17
    spells: ibis.Table  # person_id, jobcenter_id, s, e, single_parent
    employment: ibis.Table | None  # person_id, kind, s, e
    measures: ibis.Table | None  # person_id, s, e, active, public
    benefits: ibis.Table | None  # jobcenter_id, month, benefit_type, amount_eur
    missing: dict[str, str] = field(default_factory=dict)  # table -> figures not produced


def load_inputs(con: ibis.BaseBackend, jobcenter: str | None = None) -> Inputs:
    names = set(con.list_tables())
    ds = to_arrow(con, con.table("dataset")).to_pylist()
    if len(ds) != 1:
        raise ValueError("the dataset table must hold exactly one row")
    coverage = Coverage(parse_month(ds[0]["first_month"]), parse_month(ds[0]["last_month"]))

    p = con.table("persons")
    persons = p.select(p.person_id, p.sex, b17=seventeenth_birthday(p.birth_date))

    sp = con.table("elb_spells")
    spells = sp.select(
        sp.person_id,
        sp.jobcenter_id,
        s=_days(sp.start_date),
        e=_end_days(sp.end_date),
        single_parent=sp.single_parent.fill_null(False),
    )
    jcs = sorted(r for r in to_arrow(con, sp.select("jobcenter_id").distinct()).column(0).to_pylist())
    if jobcenter is not None:
        if jobcenter not in jcs:
            raise ValueError(f"job center {jobcenter!r} has no ELB spells in the data (known: {', '.join(jcs[:10])})")
        jcs = [jobcenter]

    missing: dict[str, str] = {}
    employment = None
    if "employment_spells" in names:
        em = con.table("employment_spells")
        employment = em.select(em.person_id, em.kind, s=_days(em.start_date), e=_end_days(em.end_date))
    else:
        missing["employment_spells"] = "K2, K2E1, K2E3, K2E4, K3E1"

    measures = None
    if "measures" in names:
        me = con.table("measures")
        ins = con.table("instruments")
        measures = me.join(ins, me.instrument == ins.instrument).select(
            me.person_id,
            s=_days(me.start_date),
            e=_end_days(me.end_date),
            active=ins.active_measure,
            public=ins.public_employment,
        )
    else:
        missing["measures"] = "K2E2, K3E2"

    benefits = None
    if "benefits" in names:
        benefits = con.table("benefits")
    else:
        missing["benefits"] = "K1, K1E1"

    return Inputs(coverage, jcs, persons, spells, employment, measures, benefits, missing)


__all__ = ["Inputs", "load_inputs"]
