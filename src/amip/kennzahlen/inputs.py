"""The typed contract tables as Ibis expressions, with dates turned into epoch days.

Works on any Ibis backend holding the warehouse tables (DuckDB, PySpark). Optional tables that are
absent are ``None``; the figures needing them are then skipped with a stated reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import ibis

from amip.kennzahlen.backends import to_arrow
from amip.kennzahlen.calendar import OPEN_END, Coverage, parse_month
from amip.kennzahlen.memo import memoised


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

    persons = _persons(con.table("persons"))
    sp = con.table("elb_spells")
    spells = _spells(sp)
    jcs = sorted(r for r in to_arrow(con, _jobcenters(sp)).column(0).to_pylist())
    if jobcenter is not None:
        if jobcenter not in jcs:
            raise ValueError(f"job center {jobcenter!r} has no ELB spells in the data (known: {', '.join(jcs[:10])})")
        jcs = [jobcenter]

    missing: dict[str, str] = {}
    employment = None
    if "employment_spells" in names:
        employment = _employment(con.table("employment_spells"))
    else:
        missing["employment_spells"] = "K2, K2E1, K2E3, K2E4, K3E1"

    measures = None
    if "measures" in names:
        measures = _measures(con.table("measures"), con.table("instruments"))
    else:
        missing["measures"] = "K2E2, K3E2"

    benefits = None
    if "benefits" in names:
        benefits = con.table("benefits")
    else:
        missing["benefits"] = "K1, K1E1"

    return Inputs(coverage, jcs, persons, spells, employment, measures, benefits, missing)


# The typed tables from the warehouse tables: pure (expressions over their argument tables only;
# memoised, see amip.kennzahlen.memo). ``load_inputs`` reads the data and the list of tables.


@memoised
def _persons(p: ibis.Table) -> ibis.Table:
    return p.select(p.person_id, p.sex, b17=seventeenth_birthday(p.birth_date))


@memoised
def _spells(sp: ibis.Table) -> ibis.Table:
    return sp.select(
        sp.person_id,
        sp.jobcenter_id,
        s=_days(sp.start_date),
        e=_end_days(sp.end_date),
        single_parent=sp.single_parent.fill_null(False),
    )


@memoised
def _jobcenters(sp: ibis.Table) -> ibis.Table:
    return sp.select("jobcenter_id").distinct()


@memoised
def _employment(em: ibis.Table) -> ibis.Table:
    return em.select(em.person_id, em.kind, s=_days(em.start_date), e=_end_days(em.end_date))


@memoised
def _measures(me: ibis.Table, ins: ibis.Table) -> ibis.Table:
    return me.join(ins, me.instrument == ins.instrument).select(
        me.person_id,
        s=_days(me.start_date),
        e=_end_days(me.end_date),
        active=ins.active_measure,
        public=ins.public_employment,
    )


__all__ = ["Inputs", "load_inputs"]
