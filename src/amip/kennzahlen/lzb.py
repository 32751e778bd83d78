"""Long-term benefit recipients (LZB): the first day of each stretch of receipt from which a
person has 638 of the last 730 days in receipt.

``Dur(p, d)`` counts the days of ``[d - 729, d]`` covered by any ELB spell of p (any job center,
overlaps once). Instead of evaluating Dur at every Stichtag, the engine uses one property: inside a
stretch of continuous receipt (a merged interval I_k of the person), Dur never decreases, because
each new day is covered and at most one day leaves the window. So LZB status inside I_k switches
on once, at a day x*_k, and stays on; it is found in closed form:

Let the person's merged intervals be I_1 < ... < I_n, and U(y) the uncovered days in [s_1, y]
(negative before s_1: U(y) = y - s_1 + 1). With G_k = U(s_k - 1), the days missing before I_k,
  Dur(x) >= 638  <=>  at most 92 uncovered days in [x - 729, x]  <=>  U(x - 730) >= G_k - 92.
U only grows inside gaps, one per day, so the smallest y with U(y) >= T_k = G_k - 92 lies in the
gap after the interval I_i with G_i < T_k <= G_(i+1) (at y = e_i + T_k - G_i), or before s_1 when
T_k <= 0 (at y = s_1 - 1 + T_k). Then x*_k = max(s_k, y + 730), if that is still inside I_k.
The only join is among the few intervals of one person.
"""

from __future__ import annotations

import ibis

from amip.kennzahlen.calendar import LZB_THRESHOLD_DAYS, LZB_WINDOW_DAYS, int64


def lzb_onsets(intervals: ibis.Table) -> ibis.Table:
    """For merged person intervals (person_id, s, e): (person_id, s, e, onset), where ``onset`` is
    the first day of the interval on which the person has Dur >= 638, or NULL if none."""
    return duration_onsets(intervals, LZB_WINDOW_DAYS, LZB_THRESHOLD_DAYS)


def gap_ranges(t: ibis.Table, max_gap: int) -> tuple[ibis.Table, ibis.Table]:
    """For intervals with ``first_start``, ``covered_before`` and ``next_s`` (one window pass per
    person, ordered by ``s``): ``t`` with ``gap_before`` (G_k, the uncovered days between the first
    start and this interval's start) and ``target`` (G_k - ``max_gap``), and the gaps after each
    interval as U ranges (G_k, G_k + next_s - e - 1] (``g_person``, ``g_end``, ``g_lo``, ``g_hi``).
    Shared by the closed-form onset here and the one-pass stretches (``stock``)."""
    gap_before = t.s - t.first_start - t.covered_before.fill_null(0)
    t = t.mutate(gap_before=gap_before, target=gap_before - max_gap)
    gaps = t.filter(t.next_s.notnull())
    gaps = gaps.select(
        g_person=gaps.person_id,
        g_end=gaps.e,
        g_lo=gaps.gap_before,
        g_hi=gaps.gap_before + gaps.next_s - gaps.e - 1,
    ).view()
    return t, gaps


def duration_onsets(intervals: ibis.Table, window: int, threshold: int) -> ibis.Table:
    """The closed form for any window: ``onset`` is the first day of the interval on which at least
    ``threshold`` of the last ``window`` days are covered (730/638 for LZB, 1460/1277 for S5)."""
    max_gap = window - threshold  # uncovered days allowed in the window (92 for LZB)
    # One window pass (shared partition and order): first start, days covered before, next start.
    w = ibis.window(group_by=intervals.person_id, order_by=intervals.s)
    before = ibis.window(group_by=intervals.person_id, order_by=intervals.s, rows=(None, -1))
    t = intervals.mutate(
        first_start=intervals.s.min().over(w),
        covered_before=int64((intervals.e - intervals.s + 1).sum().over(before)),
        next_s=intervals.s.lead().over(w),
    )
    # G_k: uncovered days between the first start and this interval's start; the gap after this
    # interval spans U values (G_k, G_k + next_s - e - 1].
    t, gaps = gap_ranges(t, max_gap)
    late = t.filter(t.target > 0)
    hit = late.join(gaps, [late.person_id == gaps.g_person, gaps.g_lo < late.target, late.target <= gaps.g_hi])
    hit = hit.select(h_person=hit.person_id, h_s=hit.s, y=hit.g_end + hit.target - hit.g_lo)

    t = t.left_join(hit, [t.person_id == hit.h_person, t.s == hit.h_s])
    y = ibis.ifelse(t.target <= 0, t.first_start - 1 + t.target, t.y)
    onset = ibis.greatest(t.s, y + window)
    return t.select(t.person_id, t.s, t.e, onset=ibis.ifelse(onset <= t.e, onset, ibis.null("int64")))
