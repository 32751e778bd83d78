"""The ELB stock as stretches (islands) of receipt per person and job center.

Every figure is built from these islands instead of person-month rows:
- ``islands`` merges day intervals per key into disjoint, non-adjacent stretches;
- ``stock_islands`` gives each (person, job center) stretch the months whose Stichtag it covers
  (``m0`` .. ``m1``), whether the person was already in the job center's stock at ST(m0 - 1)
  (``prev_adjacent``), and the first month with LZB status (``m_lzb``, see :mod:`lzb`);
- ``stretches`` (the engine's) gives the same stretches with their LZB flows in one pass,
  sorting only the spells of persons with more than one spell (see the section below);
- ``month_ranges`` turns any set of day intervals (single-parent spells, measures, svb jobs)
  into Stichtag month ranges.
Counting a stock is then summing +1 at the first and -1 after the last month of each island.
"""

from __future__ import annotations

import ibis

from amip.kennzahlen.calendar import LZB_THRESHOLD_DAYS, LZB_WINDOW_DAYS, int64, month_of_day
from amip.kennzahlen.lzb import gap_ranges, lzb_onsets
from amip.kennzahlen.memo import memoised


def islands(t: ibis.Table, keys: list[str]) -> ibis.Table:
    """Merge the [s, e] day intervals of ``t`` per ``keys`` into disjoint, non-adjacent islands.

    Rows are ordered by start; a row opens a new island when it starts more than one day after
    the latest end seen so far in its group. One window pass (the latest end before the row and the
    next start) finds the rows that are an island of their own (most rows: a spell that neither
    overlaps nor adjoins another); only the other rows are numbered by island in a second pass and
    merged.
    """
    by = [t[k] for k in keys]
    w = ibis.window(group_by=by, order_by=[t.s, t.e])
    before = ibis.window(group_by=by, order_by=[t.s, t.e], rows=(None, -1))
    f = t.mutate(prev_end=t.e.max().over(before), next_s=t.s.lead().over(w))
    reach = ibis.ifelse(f.prev_end.isnull(), f.e, ibis.greatest(f.prev_end, f.e))  # latest end up to the row
    f = f.mutate(new=f.prev_end.isnull() | (f.s > f.prev_end + 1))
    f = f.mutate(solo=f.new & (f.next_s.isnull() | (f.next_s > reach + 1)))
    solo = f.filter(f.solo).select(*keys, "s", "e")
    rest = f.filter(~f.solo)
    upto = ibis.window(group_by=[rest[k] for k in keys], order_by=[rest.s, rest.e], rows=(None, 0))
    numbered = rest.mutate(island=int64(ibis.ifelse(rest.new, 1, 0).sum().over(upto)))
    merged = numbered.group_by([*keys, "island"]).aggregate(s=numbered.s.min(), e=numbered.e.max()).drop("island")
    return ibis.union(solo, merged)


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


# ---- one pass: stretches, LZB onset and LZB flows (issue 17) ------------------------------------
#
# ``stretches`` gives every stretch per person and job center (covering a Stichtag or not) with its
# month range, ``prev_adjacent``, ``m_lzb`` and whether its LZB status begins (``lzb_in``) or ends
# (``lzb_out``) with an LZB flow of rules version 2. It replaces ``jobcenter_islands`` over all
# spells + ``person_onsets`` + ``stock_islands`` + the LZB-at-any-job-center ranges + the anti-joins
# of the LZB flows that the engine used before, and gives the same rows (docs/benchmarks.md,
# "National figures"). Three kinds of persons:
#
# (A) one spell: the spell is the stretch at its job center and the person's only stretch; no
#     window at all (onset s + 637, no previous or next stretch);
# (B) several spells, one job center: the stretches per job center are the person's stretches, so
#     one merge and one window pass give the onset and prev_adjacent;
# (C) spells at several job centers (a few per cent): the per-job-center stretches, merged again
#     over all job centers for the durations, as before.
#
# LZB flows from the person's stretches PS (merged over all job centers; l0 = first LZB month of
# PS): a per-job-center stretch C inside PS is LZB from m_lzb = max(l0, m0_C). Its LZB entry in
# m_lzb counts unless p is LZB at some job center at ST(m_lzb - 1): that is the case when m_lzb >
# l0 (PS covers m_lzb - 1 with LZB), or when PS starts LZB (l0 = m0_PS) and the previous stretch of
# the person ends LZB on ST(m0_PS - 1) (``cont_in``). Its exit in m1_C + 1 counts unless PS goes on
# with LZB (m1_C < m1_PS), or the next stretch of the person starts LZB on ST(m1_PS + 1)
# (``cont_out``). Stretches of a person are disjoint, so no other stretch can cover those Stichtage.


@memoised
def spell_counts(spells: ibis.Table) -> ibis.Table:
    """(person_id, n, s, e, jlo, jhi): each person's number of spells, first start, last end and
    lowest and highest job center (one hash aggregation; no sort).

    Pure (an expression from the arguments and module constants only): memoised, see :mod:`amip.kennzahlen.memo`."""
    return spells.group_by("person_id").aggregate(
        n=spells.count(),
        s=spells.s.min(),
        e=spells.e.max(),
        jlo=spells.jobcenter_id.min(),
        jhi=spells.jobcenter_id.max(),
    )


@memoised
def multi_spell_islands(spells: ibis.Table, counts: ibis.Table) -> ibis.Table:
    """(person_id, jobcenter_id, multi, s, e): the stretches per person and job center of the persons
    with more than one spell (``multi``: spells at more than one job center).

    Pure (an expression from the arguments and module constants only): memoised, see :mod:`amip.kennzahlen.memo`."""
    c = counts.filter(counts.n > 1)
    c = c.select(c_person=c.person_id, multi=c.jlo != c.jhi)
    sp = spells.join(c, spells.person_id == c.c_person).select("person_id", "jobcenter_id", "multi", "s", "e")
    return islands(sp, ["person_id", "jobcenter_id", "multi"])


@memoised
def with_b17_month(persons: ibis.Table) -> ibis.Table:
    """``persons`` (person_id, sex, b17) with ``b17m``, the month of the 17th birthday (computed
    once per person instead of once per stretch).

    Pure (an expression from the arguments and module constants only): memoised, see :mod:`amip.kennzahlen.memo`."""
    return persons.mutate(b17m=month_of_day(persons.b17))


def _b17_months(persons: ibis.Table) -> ibis.Table:
    """``persons`` of :func:`with_b17_month` with the column names of the joins below."""
    return persons.select(b_person=persons.person_id, b_sex=persons.sex, b17m=persons.b17m)


def _lzb_month(onset: ibis.Value, b17m: ibis.Value, first_lzb_month: int, m0: ibis.Value, m1: ibis.Value) -> ibis.Value:
    """The first month of [m0, m1] with LZB status for a stretch with this onset day (NULL: none)."""
    m = ibis.greatest(month_of_day(onset), b17m, ibis.literal(first_lzb_month), m0)
    return ibis.ifelse(onset.notnull() & (m <= m1), m, ibis.null("int64"))


@memoised
def person_stretches(multi_isl: ibis.Table, persons: ibis.Table, first_lzb_month: int) -> ibis.Table:
    """(person_id, jobcenter_id, sex, s, e, m0, m1, prev_adjacent, l0, cont_in, cont_out): the
    stretches of the persons with several spells merged over all job centers (``jobcenter_id`` is
    NULL for persons with several job centers), with the first LZB month ``l0`` and whether LZB
    status goes on from the previous stretch (``cont_in``) or into the next (``cont_out``).

    The onset is the closed form of :mod:`lzb` (one window pass shared with the month of the
    previous stretch covering a Stichtag, then the join with the person's gaps); a second window
    pass gives ``cont_in``/``cont_out``.

    Pure (an expression from the arguments and module constants only): memoised, see :mod:`amip.kennzahlen.memo`."""
    single = multi_isl.filter(~multi_isl.multi).select("person_id", "jobcenter_id", "s", "e")
    several = islands(multi_isl.filter(multi_isl.multi).select("person_id", "s", "e"), ["person_id"])
    ps = ibis.union(single, several.select("person_id", ibis.null("string").name("jobcenter_id"), "s", "e"))
    ps = month_ranges(ps)

    max_gap = LZB_WINDOW_DAYS - LZB_THRESHOLD_DAYS
    w = ibis.window(group_by=ps.person_id, order_by=ps.s)
    before = ibis.window(group_by=ps.person_id, order_by=ps.s, rows=(None, -1))
    t = ps.mutate(
        first_start=ps.s.min().over(w),
        covered_before=int64((ps.e - ps.s + 1).sum().over(before)),
        next_s=ps.s.lead().over(w),
        prev_m1=ibis.ifelse(ps.m0 <= ps.m1, ps.m1, ibis.null("int64")).max().over(before),
    )
    t, gaps = gap_ranges(t, max_gap)
    cols = ["person_id", "jobcenter_id", "s", "e", "m0", "m1", "prev_m1"]
    # A stretch with target > 0 has exactly one gap before it where U reaches the target (the gaps
    # of merged stretches partition (0, G_k]), so an inner join keeps every such stretch.
    early = t.filter(t.target <= 0)
    early = early.select(*cols, y=early.first_start - 1 + early.target)
    late = t.filter(t.target > 0)
    hit = late.join(gaps, [late.person_id == gaps.g_person, gaps.g_lo < late.target, late.target <= gaps.g_hi])
    hit = hit.select(*cols, y=hit.g_end + hit.target - hit.g_lo)
    t = ibis.union(early, hit)
    onset = ibis.greatest(t.s, t.y + LZB_WINDOW_DAYS)
    t = t.mutate(onset=ibis.ifelse(onset <= t.e, onset, ibis.null("int64")))
    b = _b17_months(persons)
    t = t.join(b, t.person_id == b.b_person)
    t = t.select(*cols, sex=t.b_sex, l0=_lzb_month(t.onset, t.b17m, first_lzb_month, t.m0, t.m1))

    before = ibis.window(group_by=t.person_id, order_by=t.s, rows=(None, -1))
    after = ibis.window(group_by=t.person_id, order_by=t.s, rows=(1, None))
    t = t.mutate(
        lzb_prev_m1=ibis.ifelse(t.l0.notnull(), t.m1, ibis.null("int64")).max().over(before),
        lzb_next_m0=ibis.ifelse(t.l0 == t.m0, t.m0, ibis.null("int64")).min().over(after),
    )
    return t.select(
        "person_id",
        "jobcenter_id",
        "sex",
        "s",
        "e",
        "m0",
        "m1",
        prev_adjacent=(t.prev_m1 == t.m0 - 1).fill_null(False),
        l0=t.l0,
        cont_in=((t.l0 == t.m0) & (t.lzb_prev_m1 == t.m0 - 1)).fill_null(False),
        cont_out=(t.lzb_next_m0 == t.m1 + 1).fill_null(False),
    )


STRETCH_COLUMNS = ("person_id", "jobcenter_id", "sex", "s", "e", "m0", "m1", "prev_adjacent", "m_lzb")


@memoised
def stretches(
    counts: ibis.Table, multi_isl: ibis.Table, ps: ibis.Table, persons: ibis.Table, first_lzb_month: int
) -> ibis.Table:
    """(person_id, jobcenter_id, sex, s, e, m0, m1, prev_adjacent, m_lzb, lzb_in, lzb_out): every
    stretch per person and job center (also those covering no Stichtag: m0 > m1), from
    :func:`spell_counts`, :func:`multi_spell_islands` and :func:`person_stretches`. The stretches
    with m0 <= m1 are :func:`stock_islands`; ``lzb_in``: the stretch has an LZB entry in m_lzb;
    ``lzb_out``: an LZB exit in m1 + 1 (rules version 2, see above).

    Pure (an expression from the arguments and module constants only): memoised, see :mod:`amip.kennzahlen.memo`."""
    out = [*STRETCH_COLUMNS, "lzb_in", "lzb_out"]
    # (A) one spell.
    one = counts.filter(counts.n == 1)
    b = _b17_months(persons)
    a = month_ranges(one.join(b, one.person_id == b.b_person))
    onset = a.s + (LZB_THRESHOLD_DAYS - 1)  # the closed form with nothing uncovered before s
    a = a.mutate(
        m_lzb=_lzb_month(ibis.ifelse(onset <= a.e, onset, ibis.null("int64")), a.b17m, first_lzb_month, a.m0, a.m1)
    )
    a = a.select(
        "person_id",
        jobcenter_id=a.jlo,
        sex=a.b_sex,
        s=a.s,
        e=a.e,
        m0=a.m0,
        m1=a.m1,
        prev_adjacent=ibis.literal(False),
        m_lzb=a.m_lzb,
        lzb_in=a.m_lzb.notnull(),
        lzb_out=a.m_lzb.notnull(),
    )
    # (B) several spells at one job center: the person's stretches are the job center's.
    bb = ps.filter(ps.jobcenter_id.notnull())
    bb = bb.select(
        *STRETCH_COLUMNS[:-1],
        m_lzb=bb.l0,
        lzb_in=bb.l0.notnull() & ~bb.cont_in,
        lzb_out=bb.l0.notnull() & ~bb.cont_out,
    )
    # (C) several job centers: each stretch at a job center lies in one stretch of the person.
    c = month_ranges(multi_isl.filter(multi_isl.multi).select("person_id", "jobcenter_id", "s", "e"))
    before = ibis.window(group_by=[c.person_id, c.jobcenter_id], order_by=c.s, rows=(None, -1))
    c = c.mutate(prev_m1=ibis.ifelse(c.m0 <= c.m1, c.m1, ibis.null("int64")).max().over(before))
    p = ps.filter(ps.jobcenter_id.isnull())
    p = p.select(
        p_person=p.person_id, p_sex=p.sex, p_s=p.s, p_e=p.e, p_m1=p.m1, l0=p.l0, cont_in=p.cont_in, cont_out=p.cont_out
    )
    c = c.join(p, [c.person_id == p.p_person, p.p_s <= c.s, c.e <= p.p_e])
    m = ibis.greatest(c.l0, c.m0)
    m_lzb = ibis.ifelse(c.l0.notnull() & (m <= c.m1), m, ibis.null("int64"))
    c = c.select(
        "person_id",
        "jobcenter_id",
        sex=c.p_sex,
        s=c.s,
        e=c.e,
        m0=c.m0,
        m1=c.m1,
        prev_adjacent=(c.prev_m1 == c.m0 - 1).fill_null(False),
        m_lzb=m_lzb,
        lzb_in=m_lzb.notnull() & (m_lzb == c.l0) & ~c.cont_in,
        lzb_out=m_lzb.notnull() & (c.m1 == c.p_m1) & ~c.cont_out,
    )
    return ibis.union(a.select(*out), bb.select(*out), c.select(*out))


@memoised
def stock_of(st: ibis.Table) -> ibis.Table:
    """The :func:`stretches` covering a Stichtag, with the columns of :func:`stock_islands`.

    Pure (an expression from the arguments and module constants only): memoised, see :mod:`amip.kennzahlen.memo`."""
    return st.filter(st.m0 <= st.m1).select(*STRETCH_COLUMNS)
