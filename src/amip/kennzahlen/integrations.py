"""The two-window integration search (K2 family, K3E1).

Person p is integrated at j in month m when an event (start of an integration-kind employment)
happens on day t and
  (a) p in ELB_j(ST(m-1)) and t in m, or
  (b) p in ELB_j(ST(m-1)), p not in ELB_j(ST(m-2)), and t in m-1.
Each person counts once per job center and month; attributes (sex, single parent, LZB) are those
at ST(m-1). The same search with other events gives the entries into marginal employment (``gb``,
K2E1) and into publicly subsidised employment (measures, K2E2).

Membership at a Stichtag is read from the stock islands (``m0 <= month <= m1``); "not at ST(m-2)"
in rule (b) means the island starts at m-1 and no earlier island of p at j covers ST(m-2).
"""

from __future__ import annotations

import ibis

from amip.contract.schema import INTEGRATION_KINDS
from amip.kennzahlen.calendar import month_of_day
from amip.kennzahlen.memo import memoised
from amip.kennzahlen.stock import person_month_ranges

EVENT_FLAGS = ("f_int", "f_svb", "f_gb", "f_pub")
CONTINUOUS_MONTHS = 6


@memoised
def events(employment: ibis.Table | None, measures: ibis.Table | None) -> ibis.Table | None:
    """(person_id, mt, f_int, f_svb, f_gb, f_pub): every start the search looks for, by month.

    Pure (an expression from the arguments and module constants only): memoised, see :mod:`amip.kennzahlen.memo`."""
    parts = []
    if employment is not None:
        e = employment
        parts.append(
            e.select(
                e.person_id,
                t=e.s,
                f_int=e.kind.isin(INTEGRATION_KINDS),
                f_svb=e.kind == "svb",
                f_gb=e.kind == "gb",
                f_pub=ibis.literal(False),
            )
        )
    if measures is not None:
        m = measures.filter(measures.public)
        parts.append(
            m.select(
                m.person_id,
                t=m.s,
                f_int=ibis.literal(False),
                f_svb=ibis.literal(False),
                f_gb=ibis.literal(False),
                f_pub=ibis.literal(True),
            )
        )
    if not parts:
        return None
    ev = ibis.union(*parts) if len(parts) > 1 else parts[0]
    return ev.select("person_id", *EVENT_FLAGS, mt=month_of_day(ev.t))


@memoised
def search(ev: ibis.Table, stock: ibis.Table, single_parent: ibis.Table) -> ibis.Table:
    """(person_id, jobcenter_id, midx, sex, sp, lzb, f_*) for every person found in a month.

    Pure (an expression from the arguments and module constants only): memoised, see :mod:`amip.kennzahlen.memo`."""
    isl = stock.select(
        i_person=stock.person_id,
        jobcenter_id=stock.jobcenter_id,
        sex=stock.sex,
        m0=stock.m0,
        m1=stock.m1,
        prev_adjacent=stock.prev_adjacent,
        m_lzb=stock.m_lzb,
    )
    # One join for both rules (a pair of event and stretch meets at most one: (a) needs m0 < mt,
    # (b) m0 = mt):
    # (a): in stock at ST(m-1), event in m;
    # (b): the stretch starts at ST(m-1) = ST(t's month) and p was not in stock at ST(m-2).
    rule_a = (isl.m0 <= ev.mt - 1) & (ev.mt - 1 <= isl.m1)
    rule_b = (isl.m0 == ev.mt) & ~isl.prev_adjacent
    j = ev.join(isl, [ev.person_id == isl.i_person, rule_a | rule_b])
    found = j.select(
        "person_id", "jobcenter_id", "sex", "m_lzb", *EVENT_FLAGS, midx=ibis.ifelse(j.m0 == j.mt, j.mt + 1, j.mt)
    )
    found = found.group_by(["person_id", "jobcenter_id", "midx", "sex"]).aggregate(
        lzb=(found.m_lzb.notnull() & (found.m_lzb <= found.midx - 1)).max(),
        **{f: found[f].max() for f in EVENT_FLAGS},
    )
    sp = single_parent.select(
        s_person=single_parent.person_id,
        s_jc=single_parent.jobcenter_id,
        s_m0=single_parent.m0,
        s_m1=single_parent.m1,
    )
    j = found.left_join(
        sp,
        [
            found.person_id == sp.s_person,
            found.jobcenter_id == sp.s_jc,
            sp.s_m0 <= found.midx - 1,
            found.midx - 1 <= sp.s_m1,
        ],
    )
    return j.select(*found.columns, sp=j.s_person.notnull())


def integration_blocks(found: ibis.Table) -> dict[str, ibis.Value]:
    """Which found persons each count takes: integrations (all, of single parents, of LZB),
    entries into gb and into public employment, svb integrations."""
    f = found
    return {
        "int": f.f_int,
        "int_sp": f.f_int & f.sp,
        "int_lzb": f.f_int & f.lzb,
        "gb": f.f_gb,
        "pub": f.f_pub,
        "svb_int": f.f_svb,
    }


@memoised
def integration_counts(found: ibis.Table, lo: int, hi: int) -> ibis.Table:
    """Per (job center, month, sex): the counts of :func:`integration_blocks`.

    Pure (an expression from the arguments and module constants only): memoised, see :mod:`amip.kennzahlen.memo`."""
    f = found.filter((found.midx >= lo) & (found.midx <= hi))
    return f.group_by(["jobcenter_id", "midx", "sex"]).aggregate(
        **{name: ibis.ifelse(cond, 1, 0).sum() for name, cond in integration_blocks(f).items()}
    )


@memoised
def svb_continuity(found: ibis.Table, employment: ibis.Table) -> ibis.Table:
    """svb integrations (person_id, jobcenter_id, midx, sex) that are followed by svb employment at
    every Stichtag ST(m+1) .. ST(m+6).

    Pure (an expression from the arguments and module constants only): memoised, see :mod:`amip.kennzahlen.memo`."""
    svb = person_month_ranges(employment.filter(employment.kind == "svb"))
    svb = svb.select(v_person=svb.person_id, v0=svb.m0, v1=svb.m1)
    ints = found.filter(found.f_svb).select("person_id", "jobcenter_id", "midx", "sex")
    j = ints.join(svb, [ints.person_id == svb.v_person, svb.v1 > ints.midx, svb.v0 <= ints.midx + CONTINUOUS_MONTHS])
    covered = ibis.least(j.v1, j.midx + CONTINUOUS_MONTHS) - ibis.greatest(j.v0, j.midx + 1) + 1
    n = j.group_by(["person_id", "jobcenter_id", "midx", "sex"]).aggregate(k=covered.sum())
    return n.filter(n.k == CONTINUOUS_MONTHS).drop("k")
