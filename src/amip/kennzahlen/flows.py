"""Entries into and exits from the ELB stock of a job center (K1E3, K1E4), and LZB flows (K3E3, K3E4).

An entry of p into j in m is the start s (in m) of a spell with no spell of p at j covering s - 1;
an exit is an end e (e + 1 in m) with no spell of p at j covering e + 1. Merging the spells of each
(person, job center) into islands that also join back-to-back spells makes every island start an
entry and every closed island end an exit, and nothing else.
"""

from __future__ import annotations

import ibis

from amip.kennzahlen.calendar import OPEN_END
from amip.kennzahlen.stock import islands


def in_month(t: ibis.Table, day: ibis.Value, cal: ibis.Table) -> ibis.Table:
    """Attach the month (midx) of epoch day ``day`` by a range join with the calendar."""
    months = cal.select("midx", "st", "st_prev")
    return t.join(months, [day > months.st_prev, day <= months.st])


def elb_flows(spells: ibis.Table, persons: ibis.Table, cal: ibis.Table) -> tuple[ibis.Table, ibis.Table]:
    """Distinct (person_id, jobcenter_id, midx, sex) with at least one entry, and one exit, in midx."""
    isl = islands(spells.select("person_id", "jobcenter_id", "s", "e"), ["person_id", "jobcenter_id"])
    isl = isl.join(persons.select("person_id", "sex"), "person_id")
    starts = in_month(isl, isl.s, cal)
    entries = starts.select("person_id", "jobcenter_id", "midx", "sex").distinct()
    closed = isl.filter(isl.e < OPEN_END)
    ends = in_month(closed, closed.e + 1, cal)
    exits = ends.select("person_id", "jobcenter_id", "midx", "sex").distinct()
    return entries, exits


def lzb_flows(stock: ibis.Table) -> tuple[ibis.Table, ibis.Table]:
    """LZB entries in m: LZB at ST(m), not LZB at ST(m-1); exits in m: LZB at ST(m-1), not at ST(m)."""
    lzb = stock.filter(stock.lzb).select("person_id", "jobcenter_id", "midx", "sex")
    prev = lzb.mutate(midx=lzb.midx + 1)  # LZB at ST(m-1), keyed by m
    # .view(): both sides come from one table; Ibis needs distinct relations for a self-join.
    other = lambda t: t.rename(o_person="person_id", o_jc="jobcenter_id", o_midx="midx", o_sex="sex").view()  # noqa: E731
    now_o, prev_o = other(lzb), other(prev)
    entries = lzb.anti_join(
        prev_o, [lzb.person_id == prev_o.o_person, lzb.jobcenter_id == prev_o.o_jc, lzb.midx == prev_o.o_midx])
    exits = prev.anti_join(
        now_o, [prev.person_id == now_o.o_person, prev.jobcenter_id == now_o.o_jc, prev.midx == now_o.o_midx])
    return entries, exits
