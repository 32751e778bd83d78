"""The two-window integration search (K2 family, K3E1).

Person p is integrated at j in month m when an event (start of an integration-kind employment)
happens on day t and
  (a) p in ELB_j(ST(m-1)) and t in m, or
  (b) p in ELB_j(ST(m-1)), p not in ELB_j(ST(m-2)), and t in m-1.
Each person counts once per job center and month; attributes (sex, single parent, LZB) are those
at ST(m-1). The same search with other events gives the entries into marginal employment (``gb``,
K2E1) and into publicly subsidised employment (measures, K2E2).
"""

from __future__ import annotations

import ibis

from amip.contract.schema import INTEGRATION_KINDS
from amip.kennzahlen.flows import in_month

# Event flags carried through the search; one row per (person, job center, month) results.
EVENT_FLAGS = ("f_int", "f_svb", "f_gb", "f_pub")


def events(employment: ibis.Table | None, measures: ibis.Table | None) -> ibis.Table | None:
    """(person_id, t, f_int, f_svb, f_gb, f_pub): every start that the search looks for."""
    parts = []
    if employment is not None:
        e = employment
        parts.append(e.select(
            e.person_id, t=e.s,
            f_int=e.kind.isin(INTEGRATION_KINDS), f_svb=e.kind == "svb", f_gb=e.kind == "gb",
            f_pub=ibis.literal(False),
        ))
    if measures is not None:
        m = measures.filter(measures.public)
        parts.append(m.select(
            m.person_id, t=m.s, f_int=ibis.literal(False), f_svb=ibis.literal(False),
            f_gb=ibis.literal(False), f_pub=ibis.literal(True),
        ))
    if not parts:
        return None
    return ibis.union(*parts) if len(parts) > 1 else parts[0]


def search(ev: ibis.Table, stock: ibis.Table, cal: ibis.Table) -> ibis.Table:
    """(person_id, jobcenter_id, midx, sex, sp, lzb, f_*) for every person found in a month."""
    ev = in_month(ev, ev.t, cal).select("person_id", "midx", *EVENT_FLAGS).rename(mt="midx")
    s1 = stock.select("person_id", "jobcenter_id", "midx", "sex", "sp", "lzb", "was_in")
    cols = ["person_id", "jobcenter_id", "sex", "sp", "lzb", *EVENT_FLAGS]

    # (a): in stock at ST(m-1), event in m.
    a = ev.join(s1, [ev.person_id == s1.person_id, s1.midx == ev.mt - 1])
    a = a.select(*cols, midx=a.mt)

    # (b): in stock at ST(m-1), not at ST(m-2), event in m-1.
    # ``was_in`` of the stock row at m-1 says whether p was in ELB_j(ST(m-2)).
    b = ev.join(s1, [ev.person_id == s1.person_id, s1.midx == ev.mt, ~s1.was_in])
    b = b.select(*cols, midx=b.mt + 1)

    found = ibis.union(a, b)
    return found.group_by(["person_id", "jobcenter_id", "midx", "sex"]).aggregate(
        sp=found.sp.max(), lzb=found.lzb.max(),
        **{f: found[f].max() for f in EVENT_FLAGS},
    )


def svb_continuity(found: ibis.Table, employment: ibis.Table, cal: ibis.Table) -> ibis.Table:
    """Mark each svb integration continuous when an svb spell covers ST(m+k) for k = 1..6."""
    svb = employment.filter(employment.kind == "svb")
    months = cal.select("midx", "st")
    cov = svb.join(months, [svb.s <= months.st, svb.e >= months.st]).select("person_id", "midx").distinct()
    cov = cov.rename(cmidx="midx", cperson="person_id")
    ints = found.filter(found.f_svb).select("person_id", "jobcenter_id", "midx", "sex")
    j = ints.join(cov, [ints.person_id == cov.cperson, cov.cmidx > ints.midx, cov.cmidx <= ints.midx + 6])
    n = j.group_by(["person_id", "jobcenter_id", "midx", "sex"]).aggregate(k=j.cmidx.count())
    return n.filter(n.k == 6).drop("k")
