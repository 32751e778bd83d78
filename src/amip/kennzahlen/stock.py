"""The ELB stock as stretches (islands) of receipt per person and job center.

Every figure is built from these islands instead of person-month rows:
- ``islands`` merges day intervals per key into disjoint, non-adjacent stretches;
- ``stock_islands`` gives each (person, job center) stretch the months whose Stichtag it covers
  (``m0`` .. ``m1``), whether the person was already in the job center's stock at ST(m0 - 1)
  (``prev_adjacent``), and the first month with LZB status (``m_lzb``, see :mod:`lzb`);
- ``month_ranges`` turns any set of day intervals (single-parent spells, measures, svb jobs)
  into Stichtag month ranges.
Counting a stock is then summing +1 at the first and -1 after the last month of each island.
"""

from __future__ import annotations

import ibis

from amip.kennzahlen.calendar import month_of_day
from amip.kennzahlen.lzb import lzb_onsets
from amip.kennzahlen.memo import memoised


def islands(t: ibis.Table, keys: list[str]) -> ibis.Table:
    """Merge the [s, e] day intervals of ``t`` per ``keys`` into disjoint, non-adjacent islands.

    Rows are ordered by start; a row opens a new island when it starts more than one day after
    the latest end seen so far in its group.
    """
    before = ibis.window(group_by=[t[k] for k in keys], order_by=[t.s, t.e], rows=(None, -1))
    flagged = t.mutate(prev_end=t.e.max().over(before))
    flagged = flagged.mutate(new=ibis.ifelse(flagged.prev_end.isnull() | (flagged.s > flagged.prev_end + 1), 1, 0))
    upto = ibis.window(group_by=[flagged[k] for k in keys], order_by=[flagged.s, flagged.e], rows=(None, 0))
    numbered = flagged.mutate(island=flagged.new.sum().over(upto))
    return numbered.group_by([*keys, "island"]).aggregate(s=numbered.s.min(), e=numbered.e.max()).drop("island")


def month_ranges(t: ibis.Table) -> ibis.Table:
    """Add m0, m1: the first and last month whose Stichtag lies in [s, e] (m0 > m1: none)."""
    return t.mutate(m0=month_of_day(t.s), m1=month_of_day(t.e + 1) - 1)


@memoised
def jobcenter_islands(spells: ibis.Table) -> ibis.Table:
    """(person_id, jobcenter_id, s, e): stretches of receipt per person and job center (back-to-back
    and overlapping spells merged). Every start is an entry, every closed end an exit.

    Pure (an expression from the arguments and module constants only): memoised, see :mod:`amip.kennzahlen.memo`."""
    return islands(spells.select("person_id", "jobcenter_id", "s", "e"), ["person_id", "jobcenter_id"])


@memoised
def stock_islands(
    per_jc: ibis.Table, all_jc: ibis.Table, persons: ibis.Table, first_lzb_month: int, onsets: ibis.Table | None = None
) -> ibis.Table:
    """(person_id, jobcenter_id, sex, s, e, m0, m1, prev_adjacent, m_lzb) per stretch at a job center.

    ``per_jc`` are the :func:`jobcenter_islands` to report; ``all_jc`` those of every job center
    (durations count spells anywhere).
    Only stretches covering at least one Stichtag are kept. ``m_lzb`` is the first month of the
    stretch whose Stichtag has LZB status (Dur >= 638, 17th birthday reached, 730-day window inside
    the coverage), NULL if none; from there on the person stays LZB until the stretch ends.
    ``onsets`` are :func:`person_onsets` of ``all_jc`` when the caller has them already.

    Pure (an expression from the arguments and module constants only): memoised, see :mod:`amip.kennzahlen.memo`."""
    per_jc = month_ranges(per_jc)
    per_jc = per_jc.filter(per_jc.m0 <= per_jc.m1)
    w = ibis.window(group_by=[per_jc.person_id, per_jc.jobcenter_id], order_by=per_jc.s)
    per_jc = per_jc.mutate(prev_adjacent=(per_jc.m1.lag().over(w) == per_jc.m0 - 1).fill_null(False))

    if onsets is None:
        onsets = person_onsets(all_jc)
    onsets = onsets.select(o_person=onsets.person_id, o_s=onsets.s, o_e=onsets.e, onset=onsets.onset)
    t = per_jc.join(onsets, [per_jc.person_id == onsets.o_person, onsets.o_s <= per_jc.s, per_jc.e <= onsets.o_e])
    t = t.join(persons, t.person_id == persons.person_id)
    m_lzb = ibis.greatest(month_of_day(t.onset), month_of_day(t.b17), ibis.literal(first_lzb_month), t.m0)
    m_lzb = ibis.ifelse(t.onset.notnull() & (m_lzb <= t.m1), m_lzb, ibis.null("int64"))
    return t.select(
        t.person_id,
        t.jobcenter_id,
        t.sex,
        t.s,
        t.e,
        t.m0,
        t.m1,
        t.prev_adjacent,
        m_lzb=m_lzb,
    )


@memoised
def person_onsets(all_jc: ibis.Table) -> ibis.Table:
    """(person_id, s, e, onset): a person's stretches of receipt merged over all job centers, with
    the first day of LZB duration (see :mod:`lzb`). ``all_jc`` are :func:`jobcenter_islands` of every
    job center (merged per job center already, so fewer rows).

    Pure (an expression from the arguments and module constants only): memoised, see :mod:`amip.kennzahlen.memo`."""
    return lzb_onsets(islands(all_jc.select("person_id", "s", "e"), ["person_id"]))


@memoised
def lzb_any_ranges(onsets: ibis.Table, persons: ibis.Table, first_lzb_month: int) -> ibis.Table:
    """(person_id, l0, l1): the months m with p in ``LZB_*(ST(m))``, LZB at any job center.

    On a Stichtag covered by a merged stretch the person is ELB at some job center, so LZB at any
    job center is the stretch's LZB status: from the month of the onset (with the 17th birthday
    and the coverage of the 730-day window) to the stretch's last Stichtag; NULL onsets drop out.

    Pure (an expression from the arguments and module constants only): memoised, see :mod:`amip.kennzahlen.memo`."""
    r = month_ranges(onsets.filter(onsets.onset.notnull()))
    b = persons.select(b_person=persons.person_id, b17=persons.b17)
    r = r.join(b, r.person_id == b.b_person)
    l0 = ibis.greatest(month_of_day(r.onset), month_of_day(r.b17), ibis.literal(first_lzb_month), r.m0)
    r = r.select(r.person_id, l0=l0, l1=r.m1)
    return r.filter(r.l0 <= r.l1)


def person_month_ranges(t: ibis.Table) -> ibis.Table:
    """Merge a person's day intervals (any source) and give their Stichtag month ranges."""
    r = month_ranges(islands(t.select("person_id", "s", "e"), ["person_id"]))
    return r.filter(r.m0 <= r.m1)


@memoised
def single_parent_ranges(spells: ibis.Table) -> ibis.Table:
    """(person_id, jobcenter_id, m0, m1): months whose Stichtag a single-parent spell covers.

    Pure (an expression from the arguments and module constants only): memoised, see :mod:`amip.kennzahlen.memo`."""
    sp = spells.filter(spells.single_parent).select("person_id", "jobcenter_id", "s", "e")
    r = month_ranges(islands(sp, ["person_id", "jobcenter_id"]))
    return r.filter(r.m0 <= r.m1).select("person_id", "jobcenter_id", "m0", "m1")


@memoised
def lzb_in_active_measures(stock: ibis.Table, measures: ibis.Table) -> ibis.Table:
    """(person_id, jobcenter_id, sex, a0, a1): month ranges in which a person is LZB at a job center and in a
    measure with ``active_measure = true`` at the Stichtag (K3E2), any job center's measure.

    Pure (an expression from the arguments and module constants only): memoised, see :mod:`amip.kennzahlen.memo`."""
    act = person_month_ranges(measures.filter(measures.active))
    act = act.select(a_person=act.person_id, a_m0=act.m0, a_m1=act.m1)
    lz = stock.filter(stock.m_lzb.notnull())
    j = lz.join(act, [lz.person_id == act.a_person, act.a_m0 <= lz.m1, lz.m_lzb <= act.a_m1])
    return j.select("person_id", "jobcenter_id", "sex", a0=ibis.greatest(j.m_lzb, j.a_m0), a1=ibis.least(j.m1, j.a_m1))
