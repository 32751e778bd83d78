"""Entries into and exits from the ELB stock of a job center (K1E3, K1E4), and LZB flows (K3E3, K3E4).

ELB flows (rules version 2) count status changes. An entry of p into j in m is a start s (in m) of
a spell with no spell of p at j covering s - 1; an exit is an end e (e + 1 in m) with no spell of p
at j covering e + 1. Merging the spells of each (person, job center) into islands that also join
back-to-back spells makes every island start an entry and every closed island end an exit, and
nothing else: two rows starting on the same day lie in one island (one entry), and two separate
stretches starting in one month are two entries (each counted, no ``distinct``). A move between
job centers is an exit at the old and an entry at the new one (islands are per job center).

LZB flows: LZB status at j holds from ``m_lzb`` to the end of a stretch (see :mod:`stock`), so the
only month in which a stretch can bring an LZB entry is ``m_lzb``, and the only month it can bring
an LZB exit is ``m1 + 1``. Version 2 asks about LZB at *any* job center at the other Stichtag:
an entry at ``m_lzb`` counts unless p is in ``LZB_*(ST(m_lzb - 1))``, an exit in ``m1 + 1`` unless
p is in ``LZB_*(ST(m1 + 1))``. Both tests are decided in the pass that builds the stretches, from
the person's stretches merged over all job centers and their neighbours (``lzb_in``/``lzb_out`` of
:func:`amip.kennzahlen.stock.stretches`): no anti-join, no person x month expansion. The stretches
of one (person, job center) cover disjoint months, so there is at most one LZB entry (exit) per
person, job center and month.
"""

from __future__ import annotations

import ibis

from amip.kennzahlen.calendar import OPEN_END
from amip.kennzahlen.memo import memoised

KEYS = ["person_id", "jobcenter_id", "midx", "sex"]


@memoised
def elb_flows(per_jc: ibis.Table) -> tuple[ibis.Table, ibis.Table]:
    """(person_id, jobcenter_id, midx, sex): one row per entry, and one per exit, in month midx
    (a person entering twice in a month has two rows).

    ``per_jc`` are the :func:`amip.kennzahlen.stock.stretches` (every stretch, with its months:
    the entry is in month_of_day(s) = m0, the exit in month_of_day(e + 1) = m1 + 1).

    Pure (an expression from the arguments and module constants only): memoised, see :mod:`amip.kennzahlen.memo`."""
    entries = per_jc.select("person_id", "jobcenter_id", "sex", midx=per_jc.m0)
    closed = per_jc.filter(per_jc.e < OPEN_END)
    exits = closed.select("person_id", "jobcenter_id", "sex", midx=closed.m1 + 1)
    return entries.select(*KEYS), exits.select(*KEYS)


@memoised
def lzb_flows(per_jc: ibis.Table) -> tuple[ibis.Table, ibis.Table]:
    """(person_id, jobcenter_id, midx, sex) of LZB entries (in m_lzb) and LZB exits (in m1 + 1),
    from the flags ``lzb_in``/``lzb_out`` of :func:`amip.kennzahlen.stock.stretches`.

    Pure (an expression from the arguments and module constants only): memoised, see :mod:`amip.kennzahlen.memo`."""
    entries = per_jc.filter(per_jc.lzb_in)
    entries = entries.select("person_id", "jobcenter_id", "sex", midx=entries.m_lzb)
    exits = per_jc.filter(per_jc.lzb_out)
    exits = exits.select("person_id", "jobcenter_id", "sex", midx=exits.m1 + 1)
    return entries.select(*KEYS), exits.select(*KEYS)
