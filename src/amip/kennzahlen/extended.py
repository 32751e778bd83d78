"""Person-level building blocks of the extended monitoring (steering figures S3, S4, S5;
kennzahlen.md, "Steering figures beyond § 48a"), as Ibis expressions on any backend.

- S3 sustainable integrations: integrations (rule a/b, any integration kind) followed by an
  integration-kind employment covering ST(m+1) .. ST(m+12).
- S4 need-covering integrations: integrations after which p is in no job center's stock at
  ST(m+1), ST(m+2), ST(m+3).
- S5 integrations of LZB in receipt for at least four years: ``Dur48(p, d)`` counts the days of
  ``[d - 1459, d]`` covered by any ``elb_spells`` row; the threshold is 1277 days.

``Dur48`` is found like ``Dur`` (see :mod:`lzb`): inside a stretch of continuous receipt it never
decreases, so the status switches on once; :func:`lzb.duration_onsets` is the closed form of
:func:`lzb.lzb_onsets` with the window and the threshold as parameters.
"""

from __future__ import annotations

import ibis

from amip.contract.schema import INTEGRATION_KINDS
from amip.kennzahlen.calendar import (
    Coverage,
    epoch_day,
    first_day,
    month_of_day,
    stichtag,
)
from amip.kennzahlen.lzb import duration_onsets
from amip.kennzahlen.memo import memoised
from amip.kennzahlen.stock import islands, person_month_ranges

SUSTAINED_MONTHS = 12  # S3: ST(m+1) .. ST(m+12)
NEED_COVERING_MONTHS = 3  # S4: ST(m+1) .. ST(m+3)
DUR48_WINDOW_DAYS = 1460  # Dur48(p, d) looks at [d - 1459, d]
DUR48_THRESHOLD_DAYS = 1277  # 1460 / 24 * 21, rounded down


def dur48_ok(cov: Coverage, idx: int) -> bool:
    """Dur48(p, ST(m)) needs ST(m) - 1459 on or after the first day of first_month."""
    return cov.covered(idx) and (epoch_day(stichtag(idx)) - (DUR48_WINDOW_DAYS - 1) >= epoch_day(first_day(cov.first)))


def first_dur48_month(cov: Coverage) -> int:
    """The first month whose Stichtag has its whole 1460-day window inside the coverage."""
    m = cov.first
    while not dur48_ok(cov, m) and m <= cov.last + 1:
        m += 1
    return m


@memoised
def four_year_lzb(stock: ibis.Table, all_jc: ibis.Table, first_month: int) -> ibis.Table:
    """(person_id, jobcenter_id, sex, a, b): the months whose Stichtag finds p in ``LZB_j`` with
    ``Dur48 >= 1277`` (S5's persons), per stock island. ``first_month``: the first month whose
    1460-day window is covered.

    Pure (an expression from the arguments and module constants only): memoised, see :mod:`amip.kennzahlen.memo`."""
    merged = islands(all_jc.select("person_id", "s", "e"), ["person_id"])
    on = duration_onsets(merged, DUR48_WINDOW_DAYS, DUR48_THRESHOLD_DAYS)
    on = on.filter(on.onset.notnull()).select(o_person=on.person_id, o_s=on.s, o_e=on.e, onset=on.onset)
    lz = stock.filter(stock.m_lzb.notnull())
    t = lz.join(on, [lz.person_id == on.o_person, on.o_s <= lz.s, lz.e <= on.o_e])
    a = ibis.greatest(t.m_lzb, month_of_day(t.onset), ibis.literal(first_month))
    return t.select("person_id", "jobcenter_id", "sex", a=a.cast("int64"), b=t.m1)


@memoised
def integrations(found: ibis.Table) -> ibis.Table:
    """(person_id, jobcenter_id, midx, sex): the integrations (any integration kind) of a
    :func:`amip.kennzahlen.integrations.search` result.

    Pure (an expression from the arguments and module constants only): memoised, see :mod:`amip.kennzahlen.memo`."""
    return found.filter(found.f_int).select("person_id", "jobcenter_id", "midx", "sex")


@memoised
def sustained(ints: ibis.Table, employment: ibis.Table) -> ibis.Table:
    """The integrations followed by integration-kind employment at every ST(m+1) .. ST(m+12)
    (S3's numerator; any spells of an integration kind, back-to-back ones joined).

    Pure (an expression from the arguments and module constants only): memoised, see :mod:`amip.kennzahlen.memo`."""
    k = SUSTAINED_MONTHS
    emp = person_month_ranges(employment.filter(employment.kind.isin(INTEGRATION_KINDS)))
    emp = emp.select(v_person=emp.person_id, v0=emp.m0, v1=emp.m1)
    j = ints.join(emp, [ints.person_id == emp.v_person, emp.v1 > ints.midx, emp.v0 <= ints.midx + k])
    covered = ibis.least(j.v1, j.midx + k) - ibis.greatest(j.v0, j.midx + 1) + 1
    n = j.group_by(["person_id", "jobcenter_id", "midx", "sex"]).aggregate(n=covered.sum())
    return n.filter(n.n == k).drop("n")


@memoised
def need_covering(ints: ibis.Table, all_jc: ibis.Table) -> ibis.Table:
    """The integrations after which p is in no job center's stock at ST(m+1), ST(m+2), ST(m+3)
    (S4's numerator).

    Pure (an expression from the arguments and module constants only): memoised, see :mod:`amip.kennzahlen.memo`."""
    k = NEED_COVERING_MONTHS
    elb = person_month_ranges(all_jc.select("person_id", "s", "e"))
    elb = elb.select(r_person=elb.person_id, r0=elb.m0, r1=elb.m1)
    hit = ints.join(elb, [ints.person_id == elb.r_person, elb.r0 <= ints.midx + k, elb.r1 >= ints.midx + 1])
    hit = hit.select(h_person=hit.person_id, h_jc=hit.jobcenter_id, h_m=hit.midx).distinct()
    out = ints.left_join(hit, [ints.person_id == hit.h_person, ints.jobcenter_id == hit.h_jc, ints.midx == hit.h_m])
    return out.filter(out.h_person.isnull()).select("person_id", "jobcenter_id", "midx", "sex")


@memoised
def four_year_integrations(ints: ibis.Table, s5: ibis.Table) -> ibis.Table:
    """The integrations of persons who were in S5's set at j at ST(m-1).

    Pure (an expression from the arguments and module constants only): memoised, see :mod:`amip.kennzahlen.memo`."""
    r = s5.select(q_person=s5.person_id, q_jc=s5.jobcenter_id, q_a=s5.a, q_b=s5.b)
    j = ints.join(
        r, [ints.person_id == r.q_person, ints.jobcenter_id == r.q_jc, r.q_a <= ints.midx - 1, ints.midx - 1 <= r.q_b]
    )
    return j.select("person_id", "jobcenter_id", "midx", "sex")


__all__ = [
    "DUR48_THRESHOLD_DAYS",
    "DUR48_WINDOW_DAYS",
    "dur48_ok",
    "first_dur48_month",
    "four_year_integrations",
    "four_year_lzb",
    "integrations",
    "need_covering",
    "sustained",
]
