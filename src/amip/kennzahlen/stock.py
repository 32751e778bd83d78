"""The ELB stock at each Stichtag, single parents, and long-term recipients (LZB).

Algorithm (the dominant cost of the engine):
1. ``membership``: each ELB spell is range-joined with the Stichtage it covers; one row per
   (person, job center, month) in stock, with the single-parent flag of any covering spell.
2. ``merged_spells``: each person's spells (all job centers) are merged once into disjoint
   intervals (gaps and islands), so overlapping days count once.
3. ``durations``: for every person in stock at a Stichtag d that needs an LZB status, the days of
   the merged intervals inside ``[d - 729, d]`` are summed (interval clipping; no day expansion).
"""

from __future__ import annotations

import ibis

from amip.kennzahlen.calendar import LZB_THRESHOLD_DAYS, LZB_WINDOW_DAYS


def islands(t: ibis.Table, keys: list[str]) -> ibis.Table:
    """Merge the [s, e] day intervals of ``t`` per ``keys`` into disjoint, non-adjacent islands.

    Rows are ordered by start; a row opens a new island when it starts more than one day after
    the latest end seen so far in its group.
    """
    before = ibis.window(group_by=[t[k] for k in keys], order_by=[t.s, t.e], rows=(None, -1))
    flagged = t.mutate(prev_end=t.e.max().over(before))
    flagged = flagged.mutate(
        new=ibis.ifelse(flagged.prev_end.isnull() | (flagged.s > flagged.prev_end + 1), 1, 0)
    )
    upto = ibis.window(group_by=[flagged[k] for k in keys], order_by=[flagged.s, flagged.e], rows=(None, 0))
    numbered = flagged.mutate(island=flagged.new.sum().over(upto))
    return numbered.group_by([*keys, "island"]).aggregate(s=numbered.s.min(), e=numbered.e.max()).drop("island")


def membership(spells: ibis.Table, cal: ibis.Table) -> ibis.Table:
    """(person_id, jobcenter_id, midx, st, sp) for every person in ELB_j(ST(m)), covered months only."""
    months = cal.filter(cal.cov == 1).select("midx", "st")
    joined = spells.join(months, [spells.s <= months.st, spells.e >= months.st])
    return joined.group_by(["person_id", "jobcenter_id", "midx", "st"]).aggregate(
        sp=joined.single_parent.max()
    )


def durations(member: ibis.Table, spells: ibis.Table, cal: ibis.Table) -> ibis.Table:
    """Dur(p, ST(m)) for the persons in stock in months whose 730-day window is covered."""
    ok = cal.filter(cal.lzb_ok == 1).select("midx")
    need = member.semi_join(ok, "midx").select("person_id", "midx", "st").distinct()
    merged = islands(spells.select("person_id", "s", "e"), ["person_id"])
    lo = need.st - (LZB_WINDOW_DAYS - 1)
    j = need.join(merged, [need.person_id == merged.person_id, merged.e >= lo, merged.s <= need.st])
    days = ibis.least(j.e, j.st) - ibis.greatest(j.s, j.st - (LZB_WINDOW_DAYS - 1)) + 1
    return j.group_by(["person_id", "midx"]).aggregate(dur=days.sum())


def stock_table(member: ibis.Table, dur: ibis.Table, persons: ibis.Table) -> ibis.Table:
    """(person_id, jobcenter_id, midx, sex, sp, lzb, was_in): the person-level stock the figures use.

    ``was_in`` tells whether the person was also in the job center's stock at ST(m-1).

    ``lzb`` is true when Dur >= 638 and the 17th birthday is on or before the Stichtag; it is
    false where the duration is not covered (the figures using it are then NULL by coverage).
    """
    dur = dur.rename(dp="person_id", dm="midx").view()  # derived from ``member``: a self-join
    m = member.left_join(dur, [member.person_id == dur.dp, member.midx == dur.dm])
    m = m.join(persons, m.person_id == persons.person_id)
    m = m.select(
        m.person_id, m.jobcenter_id, m.midx, m.sex, m.sp,
        lzb=(m.dur.fill_null(0) >= LZB_THRESHOLD_DAYS) & (m.b17 <= m.st),
    )
    previous = ibis.window(group_by=[m.person_id, m.jobcenter_id], order_by=m.midx)
    return m.mutate(was_in=(m.midx.lag().over(previous) == m.midx - 1).fill_null(False))
