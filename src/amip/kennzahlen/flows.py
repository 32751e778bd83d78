"""Entries into and exits from the ELB stock of a job center (K1E3, K1E4), and LZB flows (K3E3, K3E4).

An entry of p into j in m is the start s (in m) of a spell with no spell of p at j covering s - 1;
an exit is an end e (e + 1 in m) with no spell of p at j covering e + 1. Merging the spells of each
(person, job center) into islands that also join back-to-back spells makes every island start an
entry and every closed island end an exit, and nothing else.

LZB status holds from ``m_lzb`` to the end of a stretch (see :mod:`stock`), so an LZB entry is the
month ``m_lzb`` and an LZB exit the month after the stretch ends, unless a neighbouring stretch
of the same person and job center carries the status across the Stichtag in between.
"""

from __future__ import annotations

import ibis

from amip.kennzahlen.calendar import OPEN_END, month_of_day

KEYS = ["person_id", "jobcenter_id", "midx", "sex"]


def elb_flows(per_jc: ibis.Table, persons: ibis.Table) -> tuple[ibis.Table, ibis.Table]:
    """Distinct (person_id, jobcenter_id, midx, sex) with at least one entry, and one exit, in midx.

    ``per_jc`` are the stretches of :func:`amip.kennzahlen.stock.jobcenter_islands`."""
    isl = per_jc.join(persons.select("person_id", "sex"), "person_id")
    entries = isl.select("person_id", "jobcenter_id", "sex", midx=month_of_day(isl.s)).distinct()
    closed = isl.filter(isl.e < OPEN_END)
    exits = closed.select("person_id", "jobcenter_id", "sex", midx=month_of_day(closed.e + 1)).distinct()
    return entries.select(*KEYS), exits.select(*KEYS)


def lzb_flows(stock: ibis.Table) -> tuple[ibis.Table, ibis.Table]:
    """(person_id, jobcenter_id, midx, sex) of LZB entries and LZB exits, from the stock islands."""
    w = ibis.window(group_by=[stock.person_id, stock.jobcenter_id], order_by=stock.s)
    t = stock.mutate(
        prev_lzb_at_end=stock.m_lzb.notnull().lag().over(w).fill_null(False),
        next_adjacent=(stock.m0.lead().over(w) == stock.m1 + 1).fill_null(False),
        next_lzb_at_start=(stock.m_lzb.lead().over(w) == stock.m0.lead().over(w)).fill_null(False),
    )
    lzb = t.filter(t.m_lzb.notnull())
    carried_in = (lzb.m_lzb == lzb.m0) & lzb.prev_adjacent & lzb.prev_lzb_at_end
    entries = lzb.filter(~carried_in).select("person_id", "jobcenter_id", "sex", midx=lzb.m_lzb)
    carried_out = lzb.next_adjacent & lzb.next_lzb_at_start
    exits = lzb.filter(~carried_out).select("person_id", "jobcenter_id", "sex", midx=lzb.m1 + 1)
    return entries.select(*KEYS), exits.select(*KEYS)
