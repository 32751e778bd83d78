"""Steering figures beyond § 48a (kennzahlen.md, "Steering figures beyond § 48a"): S1 - S6, L1,
L2, L3, P1/P1J, E1 and B1, in the engine's output schema.

Data flow (person-level work in Ibis on the backend, like the engine; see docs/steering.md):
  inputs -> stretches of receipt per person and job center (stock.py; with the LZB month)
  -> month ranges intersected with the prognosis timeline (L1, P1 by age group), with the
     employment segments (E1), and proposals dated inside a stretch (L2, L3)
  -> the integration search of the engine (integrations.py) and its follow-ups (extended.py:
     S3 sustained, S4 need-covering, S5 four-year LZB)
  -> +1/-1 deltas and event counts per (job center, sex, key, month)  [small, aggregated]
  -> dense monthly counts (running sums) and the figures (numpy over the small count table)
No row per person and month is ever created.

Figure ids (a contract with the report writer):
  S1, S2, S3, S4, S5, S6, L1, L2, L3, P1.<code>.<age>, P1J.<code>.<age>, E1.<kind>.<class>, B1.VK, B1.EGL, B1.total.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack, contextmanager

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from amip.kennzahlen import extended
from amip.kennzahlen.backends import drop_small_table, materialize, run_slot, to_arrow
from amip.kennzahlen.calendar import (
    OPEN_END,
    Coverage,
    first_duration_month,
    month_of_day,
    month_str,
    parse_month,
)
from amip.kennzahlen.engine import OUTPUT_SCHEMA, SEX_ORDER, Result
from amip.kennzahlen.inputs import load_inputs
from amip.kennzahlen.integrations import events as integration_events
from amip.kennzahlen.integrations import search
from amip.kennzahlen.memo import memoised
from amip.kennzahlen.stock import jobcenter_islands, month_ranges, single_parent_ranges, stock_islands

PROGNOSIS = ("marktnah", "nicht_marktnah", "integriert", "nicht_erforderlich", "fehlt")
P1_CODES = ("all", *PROGNOSIS)
AGES = ("u25", "25-54", "55plus")
P1_AGES = ("all", *AGES)
DEPENDENT = ("svb", "gb", "ausbildung")
INCOME_CLASSES = ("bis450", "450-850", "850-1300", "ueber1300", "unbekannt")
E1_IDS = (
    "E1.erwerbstaetig.all",
    "E1.abhaengig.all",
    *(f"E1.abhaengig.{c}" for c in INCOME_CLASSES),
    "E1.selbstaendig.all",
)
P1_IDS = tuple(f"P1.{c}.{a}" for c in P1_CODES for a in P1_AGES)
P1J_IDS = tuple(f"P1J.{c}.{a}" for c in P1_CODES for a in P1_AGES)
B1_IDS = ("B1.VK", "B1.EGL", "B1.total")
EXTENDED_IDS = ("S3", "S4", "S5", "S6")
STEERING_IDS = ("S1", "S2", *EXTENDED_IDS, "L1", "L2", "L3", *P1_IDS, *P1J_IDS, *E1_IDS, *B1_IDS)
STAGES = ("loading", "stocks", "prognosis", "employment", "integrations", "proposals", "assembling")
SMALL_EMPLOYER = 250  # employer_size < 250: small and medium employers (L3)
FAR_PAST, FAR_FUTURE = -1, 10**7  # month indices standing in for "always before" / "always after"


def compute(
    con: ibis.BaseBackend,
    first: str,
    last: str,
    jobcenter: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> pa.Table:
    """The steering figures for Bezugsmonate ``first``..``last`` (engine.OUTPUT_SCHEMA, same sort)."""
    return compute_result(con, first, last, jobcenter, progress).table


# The persons behind S3 - S5 (``members=True``), blocks of ``Result.members`` as the engine's:
# by integration month, the integrations (S3's and S4's denominator), the sustained (S3), the
# need-covering (S4) and the four-year-LZB ones (S5's numerator); by month, the four-year LZB at
# ST(m) (S5's denominator is their mean over M-11..M).
MEMBER_BLOCKS = ("ext_int", "s3", "s4", "s5", "lzb48")


def compute_result(
    con: ibis.BaseBackend,
    first: str,
    last: str,
    jobcenter: str | None = None,
    progress: Callable[[str], None] | None = None,
    members: bool = False,
) -> Result:
    """Like :func:`compute`, with the figures not produced (``skipped``: family -> why) and stage times.

    ``members=True`` also returns the persons behind S3 - S5 (blocks :data:`MEMBER_BLOCKS`, as the
    engine's ``Result.members``: jobcenter_id, person_id, sex, block, m0, m1), taken from the very
    relations the counts are made of."""
    lo_out, hi_out = parse_month(first), parse_month(last)
    if lo_out > hi_out:
        raise ValueError(f"--from {first} is after --to {last}")
    # JDW figures need January..December of M's year; L2/L3 the twelve months M-11..M; S3 the
    # integration months M-23..M-12 with their rule-(b) look at ST(m-2).
    lo = min(lo_out - 25, lo_out - lo_out % 12)
    hi = hi_out - hi_out % 12 + 11
    seconds = {s: 0.0 for s in STAGES}

    @contextmanager
    def stage(name):
        if progress:
            progress(name)
        t0 = time.perf_counter()
        yield
        seconds[name] += time.perf_counter() - t0

    # Run tables named by a slot that later runs reuse (as the engine's), so that their queries
    # compare equal to earlier ones and their SQL is compiled once per process (backends.compiled).
    slot = ExitStack()
    run = slot.enter_context(run_slot())
    kept: list[str] = []

    def keep(t: ibis.Table) -> ibis.Table:
        name = f"amip_st_{run}_{len(kept)}"
        kept.append(name)
        return materialize(con, t, name)

    skipped: dict[str, str] = {}
    ranges: list[ibis.Table] = []  # (jobcenter_id, sex, key, a, b): month ranges counted as stocks
    events: list[ibis.Table] = []  # (jobcenter_id, sex, key, midx): events counted per month
    who: list[ibis.Table] = []  # (jobcenter_id, person_id, sex, block, m0, m1) with members=True
    try:
        with stage("loading"):
            inp = load_inputs(con, jobcenter)
            names = set(con.list_tables())
            persons = keep(inp.persons)
            ages = keep(_age_months(con.table("persons")))
        with stage("stocks"):
            all_jc = keep(jobcenter_islands(inp.spells))
            per_jc = all_jc.filter(all_jc.jobcenter_id == jobcenter) if jobcenter else all_jc
            stock = keep(stock_islands(per_jc, all_jc, persons, first_duration_month(inp.coverage)))
            ranges.append(stock.select("jobcenter_id", "sex", key=ibis.literal("stock"), a=stock.m0, b=stock.m1))
            lz = stock.filter(stock.m_lzb.notnull())
            ranges.append(lz.select("jobcenter_id", "sex", key=ibis.literal("lzb"), a=lz.m_lzb, b=lz.m1))
        with stage("prognosis"):
            if "prognosis" in names:
                ranges += _prognosis_ranges(keep, con.table("prognosis"), stock, ages, persons)
            else:
                for fam in ("L1", "P1", "P1J"):
                    skipped[fam] = "table prognosis is missing"
        with stage("employment"):
            if "employment_spells" not in names:
                skipped["E1"] = "table employment_spells is missing"
            elif not _has_values(con, con.table("employment_spells"), "gross_eur"):
                # An optional column absent from the file is stored as all-NULL in the warehouse.
                skipped["E1"] = "column employment_spells.gross_eur is missing (no value)"
            else:
                ranges.append(_employment_ranges(keep, con.table("employment_spells"), stock))
        with stage("integrations"):
            if inp.employment is None:
                for fam in ("S3", "S4", "S5"):
                    skipped[fam] = "table employment_spells is missing"
            else:
                found = keep(search(integration_events(inp.employment, None), stock, single_parent_ranges(inp.spells)))
                ints = keep(extended.integrations(found))
                four = keep(extended.four_year_lzb(stock, all_jc, extended.first_dur48_month(inp.coverage)))
                ranges.append(four.select("jobcenter_id", "sex", key=ibis.literal("lzb48"), a=four.a, b=four.b))
                for key, t in (
                    ("int", ints),
                    ("s3", extended.sustained(ints, inp.employment)),
                    ("s4", extended.need_covering(ints, all_jc)),
                    ("s5", extended.four_year_integrations(ints, four)),
                ):
                    events.append(t.select("jobcenter_id", "sex", key=ibis.literal(key), midx=t.midx))
                    who.append(
                        t.select(
                            "jobcenter_id",
                            "person_id",
                            "sex",
                            block=ibis.literal("ext_int" if key == "int" else key),
                            m0=t.midx.cast("int64"),
                            m1=t.midx.cast("int64"),
                        )
                    )
                who.append(
                    four.select(
                        "jobcenter_id",
                        "person_id",
                        "sex",
                        block=ibis.literal("lzb48"),
                        m0=four.a.cast("int64"),
                        m1=four.b.cast("int64"),
                    )
                )
        with stage("proposals"):
            if "proposals" in names:
                events.append(_proposal_events(con.table("proposals"), per_jc, persons))
            else:
                skipped["L2"] = skipped["L3"] = "table proposals is missing"
        with stage("assembling"):
            deltas = to_arrow(con, _deltas(tuple(ranges), lo, hi)).to_pandas()
            counted = None
            if events:
                counted = to_arrow(con, _event_counts(tuple(events), lo, hi)).to_pandas()
            budget = None
            if "budget" in names:
                b = con.table("budget")
                if jobcenter:
                    b = b.filter(b.jobcenter_id == jobcenter)
                budget = to_arrow(
                    con,
                    b.group_by(["jobcenter_id", "year", "title", "kind"]).aggregate(
                        amount=(b.amount_eur.cast("float64") * 100).round().cast("int64").sum(),
                    ),
                ).to_pandas()
            else:
                skipped["B1"] = "table budget is missing"
            table = _assemble(inp.jobcenters, inp.coverage, lo, hi, lo_out, hi_out, deltas, counted, budget, skipped)
            people = _members(con, who, lo, hi) if members else None
    finally:
        try:
            for name in kept:
                drop_small_table(con, name)
        finally:
            slot.close()
    return Result(table, skipped, seconds, members=people)


def _members(con: ibis.BaseBackend, who: list[ibis.Table], lo: int, hi: int) -> pa.Table:
    """The persons behind S3 - S5, clipped to the months lo..hi (empty without employment data)."""
    schema = pa.schema(
        [
            ("jobcenter_id", pa.string()),
            ("person_id", pa.string()),
            ("sex", pa.string()),
            ("block", pa.string()),
            ("m0", pa.int64()),
            ("m1", pa.int64()),
        ]
    )
    if not who:
        return schema.empty_table()
    t = ibis.union(*who)
    t = t.filter(t.m0.notnull() & (t.m0 <= t.m1) & (t.m0 <= hi) & (t.m1 >= lo))
    t = t.mutate(m0=ibis.greatest(t.m0, lo), m1=ibis.least(t.m1, hi))
    return to_arrow(con, t.order_by(["jobcenter_id", "block", "person_id", "m0"])).select(schema.names).cast(schema)


# ---- person-level stages (Ibis) -------------------------------------------------------------------


def _has_values(con: ibis.BaseBackend, t: ibis.Table, column: str) -> bool:
    if column not in t.columns:
        return False
    return to_arrow(con, t.filter(t[column].notnull()).select(column).limit(1)).num_rows > 0


@memoised
def _age_months(p: ibis.Table) -> ibis.Table:
    """(person_id, g25, g55): the first month at whose Stichtag the person is 25 (55) or older.
    A birth date of 29 February has its birthday on 1 March (as for the 17th birthday of LZB;
    25 and 55 years later is never a leap year)."""
    b = p.birth_date
    leap_day = ((b.month() == 2) & (b.day() == 29)).cast("int64")
    base = b.year().cast("int64") * 12 + b.month().cast("int64") - 1 + leap_day
    return p.select(p.person_id, g25=base + 25 * 12, g55=base + 55 * 12)


def _prognosis_ranges(
    keep, pg: ibis.Table, stock: ibis.Table, ages: ibis.Table, persons: ibis.Table
) -> list[ibis.Table]:
    """L1's ``goal`` ranges and P1's ``P1.<code>.<age>`` ranges (leaves; totals are summed later).

    A prognosis row is valid from ``valid_from`` until the day before the person's next row; at a
    Stichtag without a valid row (before the first row, or no row at all) the code is ``fehlt``."""
    x = keep(_prognosis_rows(pg, stock, ages, persons))
    return list(_prognosis_pieces(x))


@memoised
def _prognosis_rows(pg: ibis.Table, stock: ibis.Table, ages: ibis.Table, persons: ibis.Table) -> ibis.Table:
    """(jobcenter_id, sex, code, goal, a, b, g25, g55): the prognosis timeline on the stock islands
    (pure; memoised, see :mod:`amip.kennzahlen.memo`)."""
    p = pg.select(
        pg.person_id,
        s=pg.valid_from.epoch_days().cast("int64"),
        code=pg.code,
        goal=pg.integration_goal.fill_null(False),
    )
    w = ibis.window(group_by=p.person_id, order_by=p.s)
    p = p.mutate(e=(p.s.lead().over(w) - 1).fill_null(OPEN_END))
    p = month_ranges(p)
    rows = p.filter(p.m0 <= p.m1).select("person_id", "code", "goal", t0=p.m0, t1=p.m1)
    firsts = p.group_by("person_id").aggregate(first_s=p.s.min())
    pe = persons.select("person_id")
    lead_in = pe.left_join(firsts, pe.person_id == firsts.person_id)
    lead_in = lead_in.select(
        person_id=lead_in.person_id,
        code=ibis.literal("fehlt"),
        goal=ibis.literal(False),
        t0=ibis.literal(FAR_PAST).cast("int64"),
        t1=ibis.ifelse(lead_in.first_s.isnull(), FAR_FUTURE, month_of_day(lead_in.first_s) - 1).cast("int64"),
    )
    timeline = ibis.union(rows, lead_in)
    timeline = timeline.select(
        q_person=timeline.person_id, code=timeline.code, goal=timeline.goal, t0=timeline.t0, t1=timeline.t1
    )
    st = stock.select("person_id", "jobcenter_id", "sex", "m0", "m1")
    x = st.join(timeline, [st.person_id == timeline.q_person, timeline.t0 <= st.m1, st.m0 <= timeline.t1])
    x = x.select(
        "person_id", "jobcenter_id", "sex", "code", "goal", a=ibis.greatest(x.m0, x.t0), b=ibis.least(x.m1, x.t1)
    )
    x = x.join(ages, "person_id")
    return x.select("jobcenter_id", "sex", "code", "goal", "a", "b", "g25", "g55")


@memoised
def _prognosis_pieces(x: ibis.Table) -> tuple[ibis.Table, ...]:
    """L1's ``goal`` ranges and P1's ranges by age group from the :func:`_prognosis_rows` (pure;
    memoised, see :mod:`amip.kennzahlen.memo`)."""
    goal = x.filter(x.goal)
    out = [goal.select("jobcenter_id", "sex", key=ibis.literal("goal"), a=goal.a, b=goal.b)]
    pieces = {
        "u25": (x.a, ibis.least(x.b, x.g25 - 1)),
        "25-54": (ibis.greatest(x.a, x.g25), ibis.least(x.b, x.g55 - 1)),
        "55plus": (ibis.greatest(x.a, x.g55), x.b),
    }
    for age, (a, b) in pieces.items():
        out.append(
            x.select("jobcenter_id", "sex", key=ibis.literal("P1.").concat(x.code, ibis.literal(f".{age}")), a=a, b=b)
        )
    return tuple(out)


def _employment_ranges(keep, em: ibis.Table, stock: ibis.Table) -> ibis.Table:
    """E1's leaves ``E1.abhaengig.<class>`` and ``E1.selbstaendig.all`` as month ranges.

    A person's employment spells (any job center) are cut into segments between the months where
    the set of spells covering the Stichtag changes; in each segment the person is ``abhaengig`` if a
    dependent spell (svb, gb, ausbildung) covers the Stichtag, else ``selbstaendig`` if a ``selbst``
    spell does; the income class is that of the highest known gross_eur of the covering dependent
    spells (``unbekannt`` when none of them has one)."""
    e = keep(_employment_months(em))
    segs = keep(_employment_segments(e))
    return _employment_pieces(stock, segs)


@memoised
def _employment_months(em: ibis.Table) -> ibis.Table:
    """(person_id, dep, selb, gross, m0, m1) of the employment spells covering a Stichtag (pure;
    memoised, see :mod:`amip.kennzahlen.memo`)."""
    e = em.select(
        em.person_id,
        dep=em.kind.isin(DEPENDENT),
        selb=em.kind == "selbst",
        gross=em.gross_eur.cast("float64"),
        s=em.start_date.epoch_days().cast("int64"),
        e=em.end_date.epoch_days().cast("int64").fill_null(OPEN_END),
    )
    e = month_ranges(e)
    return e.filter(e.m0 <= e.m1).select("person_id", "dep", "selb", "gross", "m0", "m1")


@memoised
def _employment_segments(e: ibis.Table) -> ibis.Table:
    """(s_person, g0, g1, key): a person's months cut where the covering spells change, with the
    E1 leaf of each segment (pure; memoised, see :mod:`amip.kennzahlen.memo`)."""
    bounds = ibis.union(e.select("person_id", g=e.m0), e.select("person_id", g=e.m1 + 1), distinct=True)
    w = ibis.window(group_by=bounds.person_id, order_by=bounds.g)
    seg = bounds.mutate(nxt=bounds.g.lead().over(w))
    seg = seg.filter(seg.nxt.notnull()).select(s_person=seg.person_id, g0=seg.g, g1=seg.nxt - 1)
    j = seg.join(e, [seg.s_person == e.person_id, e.m0 <= seg.g0, seg.g0 <= e.m1])
    agg = j.group_by(["s_person", "g0", "g1"]).aggregate(
        dep=ibis.ifelse(j.dep, 1, 0).max(),
        selb=ibis.ifelse(j.selb, 1, 0).max(),
        gmax=ibis.ifelse(j.dep, j.gross, ibis.null("float64")).max(),
    )
    g = agg.gmax
    cls = ibis.cases(
        (g.isnull(), "unbekannt"),
        (g <= 450, "bis450"),
        (g <= 850, "450-850"),
        (g <= 1300, "850-1300"),
        else_="ueber1300",
    )
    key = ibis.ifelse(agg.dep == 1, ibis.literal("E1.abhaengig.").concat(cls), ibis.literal("E1.selbstaendig.all"))
    return agg.select("s_person", "g0", "g1", key=key)


@memoised
def _employment_pieces(stock: ibis.Table, segs: ibis.Table) -> ibis.Table:
    """The segments of :func:`_employment_segments` on the stock islands, as E1 month ranges (pure;
    memoised, see :mod:`amip.kennzahlen.memo`)."""
    st = stock.select("person_id", "jobcenter_id", "sex", "m0", "m1")
    x = st.join(segs, [st.person_id == segs.s_person, segs.g0 <= st.m1, st.m0 <= segs.g1])
    return x.select("jobcenter_id", "sex", key=x.key, a=ibis.greatest(x.m0, x.g0), b=ibis.least(x.m1, x.g1))


@memoised
def _proposal_events(pr: ibis.Table, per_jc: ibis.Table, persons: ibis.Table) -> ibis.Table:
    """Proposals of persons in the stock of job center j on the proposal date, by month:
    ``prop`` (all), ``hired`` (outcome eingestellt), ``sme`` (hired, employer_size < 250, not a
    staffing agency)."""
    p = pr.select(
        q_person=pr.person_id,
        day=pr.date.epoch_days().cast("int64"),
        outcome=pr.outcome,
        size=pr.employer_size,
        agency=pr.staffing_agency.fill_null(False),
    )
    isl = per_jc.select("person_id", "jobcenter_id", "s", "e")
    j = p.join(isl, [p.q_person == isl.person_id, isl.s <= p.day, p.day <= isl.e])
    sx = persons.select(x_person=persons.person_id, sex=persons.sex)
    j = j.join(sx, j.q_person == sx.x_person)
    j = j.select("jobcenter_id", "sex", "outcome", "size", "agency", midx=month_of_day(j.day))
    hired = j.filter(j.outcome == "eingestellt")
    sme = hired.filter(hired.size.notnull() & (hired.size < SMALL_EMPLOYER) & ~hired.agency)
    return ibis.union(
        *[
            t.select("jobcenter_id", "sex", key=ibis.literal(k), midx=t.midx)
            for t, k in ((j, "prop"), (hired, "hired"), (sme, "sme"))
        ]
    )


@memoised
def _event_counts(events: tuple[ibis.Table, ...], lo: int, hi: int) -> ibis.Table:
    """The events (jobcenter_id, sex, key, midx) counted per month inside lo..hi (pure; memoised,
    see :mod:`amip.kennzahlen.memo`)."""
    ev = ibis.union(*events)
    ev = ev.filter((ev.midx >= lo) & (ev.midx <= hi))
    return ev.group_by(["jobcenter_id", "sex", "key", "midx"]).aggregate(n=ev.count())


@memoised
def _deltas(ranges: tuple[ibis.Table, ...], lo: int, hi: int) -> ibis.Table:
    """+1 at the first and -1 after the last month of each range, clipped to lo..hi, summed per
    (jobcenter_id, sex, key, midx) (pure; memoised, see :mod:`amip.kennzahlen.memo`)."""
    r = ibis.union(*ranges)
    r = r.filter((r.a <= r.b) & (r.a <= hi) & (r.b >= lo))
    up = r.select(
        "jobcenter_id", "sex", "key", midx=ibis.greatest(r.a, lo).cast("int64"), d=ibis.literal(1).cast("int64")
    )
    down = r.filter(r.b + 1 <= hi).select(
        "jobcenter_id", "sex", "key", midx=(r.b + 1).cast("int64"), d=ibis.literal(-1).cast("int64")
    )
    both = ibis.union(up, down)
    return both.group_by(["jobcenter_id", "sex", "key", "midx"]).aggregate(d=both.d.sum())


# ---- figures over the small count table (numpy) ---------------------------------------------------


class _Counts:
    """Dense monthly counts per (job center, sex in all/m/w) x month lo..hi, by key."""

    def __init__(self, jcs: list[str], lo: int, hi: int, deltas: pd.DataFrame, events: pd.DataFrame | None):
        self.jcs, self.lo, self.T = jcs, lo, hi - lo + 1
        self.rows = {(j, s): i for i, (j, s) in enumerate((j, s) for j in jcs for s in SEX_ORDER)}
        self.cache: dict[str, np.ndarray] = {}
        self.stocks = self._arrays(deltas, "d", cumulative=True)
        self.events = self._arrays(events, "n", cumulative=False) if events is not None else {}

    def _arrays(self, df: pd.DataFrame, col: str, cumulative: bool) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        if df is None or df.empty:
            return out
        jc_pos = {j: i for i, j in enumerate(self.jcs)}
        sex_pos = {"m": 0, "w": 1, "d": 2}
        df = df[df["jobcenter_id"].isin(jc_pos) & df["sex"].isin(sex_pos)]
        for key, g in df.groupby("key", sort=False):
            a = np.zeros((len(self.jcs), 3, self.T))
            np.add.at(
                a,
                (
                    g["jobcenter_id"].map(jc_pos).to_numpy(),
                    g["sex"].map(sex_pos).to_numpy(),
                    g["midx"].to_numpy(dtype=np.int64) - self.lo,
                ),
                g[col].to_numpy(dtype=float),
            )
            if cumulative:
                a = np.cumsum(a, axis=2)
            # rows: (jc, all), (jc, m), (jc, w)
            full = np.stack([a.sum(axis=1), a[:, 0], a[:, 1]], axis=1).reshape(len(self.jcs) * 3, self.T)
            out[key] = full
        return out

    def get(self, key: str) -> np.ndarray:
        if key in self.stocks:
            return self.stocks[key]
        if key in self.events:
            return self.events[key]
        return np.zeros((len(self.jcs) * 3, self.T))

    def total(self, keys: list[str]) -> np.ndarray:
        return sum((self.get(k) for k in keys), np.zeros((len(self.jcs) * 3, self.T)))


def _share(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.isnan(num) | np.isnan(den) | (den == 0), np.nan, num / den * 100)


def _window(a: np.ndarray, ok: np.ndarray, first: np.ndarray, last: np.ndarray, mean: bool) -> np.ndarray:
    """Sum (or mean) of ``a`` over the month positions first[t]..last[t] per output month t; NaN when a
    month of the window is not ``ok`` (or outside the grid)."""
    cs = np.concatenate([np.zeros((a.shape[0], 1)), np.cumsum(a, axis=1)], axis=1)
    okc = np.concatenate([[0], np.cumsum(ok.astype(int))])
    n = last - first + 1
    good = (first >= 0) & (okc[last + 1] - okc[first] == n)
    s = cs[:, last + 1] - cs[:, first]
    if mean:
        s = s / n
    return np.where(good[None, :], s, np.nan)


def _assemble(jcs, cov: Coverage, lo, hi, lo_out, hi_out, deltas, events, budget, skipped) -> pa.Table:
    c = _Counts(jcs, lo, hi, deltas, events)
    months = np.arange(lo, hi + 1)
    covered = np.array([cov.covered(m) for m in months])
    lzb_ok = np.array([cov.duration_ok(m) for m in months])
    out_pos = np.arange(lo_out, hi_out + 1) - lo
    year_first = (np.arange(lo_out, hi_out + 1) // 12) * 12 - lo
    year_last = year_first + 11
    ok_now = covered[out_pos][None, :]
    nan = np.full((len(c.rows), len(out_pos)), np.nan)

    def now(a, ok=None):
        return np.where(ok_now if ok is None else ok[out_pos][None, :], a[:, out_pos], np.nan)

    figs: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    stock = c.get("stock")
    s1 = _window(stock, covered, year_first, year_last, mean=True)
    figs["S1"] = (s1, nan, s1)
    s2n, s2d = now(c.get("lzb"), lzb_ok), now(stock, lzb_ok)
    figs["S2"] = (s2n, s2d, _share(s2n, s2d))
    figs.update(_extended(c, cov, months, covered, lzb_ok, out_pos, year_first, year_last, nan, skipped))
    den_now = now(stock)
    if "L1" not in skipped:
        n = now(c.get("goal"))
        figs["L1"] = (n, den_now, _share(n, den_now))
    if "L2" not in skipped:
        n = _window(c.get("hired"), covered, out_pos - 11, out_pos, mean=False)
        d = _window(c.get("prop"), covered, out_pos - 11, out_pos, mean=False)
        figs["L2"] = (n, d, _share(n, d))
        sme = _window(c.get("sme"), covered, out_pos - 11, out_pos, mean=False)
        figs["L3"] = (sme, nan, sme)
    if "P1" not in skipped:
        for code in P1_CODES:
            for age in P1_AGES:
                keys = [
                    f"P1.{cc}.{aa}"
                    for cc in (PROGNOSIS if code == "all" else (code,))
                    for aa in (AGES if age == "all" else (age,))
                ]
                monthly = c.total(keys)
                n = now(monthly)
                figs[f"P1.{code}.{age}"] = (n, den_now, _share(n, den_now))
                nj = _window(monthly, covered, year_first, year_last, mean=True)
                figs[f"P1J.{code}.{age}"] = (nj, s1, _share(nj, s1))
    if "E1" not in skipped:
        dep = [f"E1.abhaengig.{k}" for k in INCOME_CLASSES]
        counts = {f"E1.abhaengig.{k}": now(c.get(f"E1.abhaengig.{k}")) for k in INCOME_CLASSES}
        counts["E1.abhaengig.all"] = now(c.total(dep))
        counts["E1.selbstaendig.all"] = now(c.get("E1.selbstaendig.all"))
        counts["E1.erwerbstaetig.all"] = counts["E1.abhaengig.all"] + counts["E1.selbstaendig.all"]
        den = counts["E1.erwerbstaetig.all"]
        for fid in E1_IDS:
            figs[fid] = (counts[fid], den, _share(counts[fid], den))

    order = {f: i for i, f in enumerate(STEERING_IDS)}
    groups = list(c.rows)
    G, M = len(groups), len(out_pos)
    cols: dict[str, list] = {
        k: []
        for k in (
            "jobcenter_id",
            "midx",
            "figure",
            "sex",
            "numerator",
            "denominator",
            "value",
            "fig_order",
            "sex_order",
        )
    }
    gj = np.repeat(np.array([g[0] for g in groups], dtype=object), M)
    gs = np.repeat(np.array([g[1] for g in groups], dtype=object), M)
    gso = np.repeat(np.array([SEX_ORDER.index(g[1]) for g in groups]), M)
    gm = np.tile(np.arange(lo_out, hi_out + 1), G)
    for fid, (n, d, v) in figs.items():
        cols["jobcenter_id"].append(gj)
        cols["sex"].append(gs)
        cols["sex_order"].append(gso)
        cols["midx"].append(gm)
        cols["figure"].append(np.full(G * M, fid, dtype=object))
        cols["fig_order"].append(np.full(G * M, order[fid]))
        for k, a in (("numerator", n), ("denominator", d), ("value", v)):
            cols[k].append(np.asarray(a, dtype=float).reshape(-1))
    if budget is not None:
        for k, a in _budget_rows(budget, jcs, lo_out, hi_out).items():
            cols[k].append(a)
    if not cols["figure"]:
        return OUTPUT_SCHEMA.empty_table()
    flat = {k: np.concatenate(v) for k, v in cols.items()}
    t = pa.table(
        {
            "jobcenter_id": pa.array(flat["jobcenter_id"].tolist(), pa.string()),
            "midx": pa.array(flat["midx"], pa.int64()),
            "fig_order": pa.array(flat["fig_order"], pa.int64()),
            "sex_order": pa.array(flat["sex_order"], pa.int64()),
            "figure": pa.array(flat["figure"].tolist(), pa.string()),
            "sex": pa.array(flat["sex"].tolist(), pa.string()),
            **{k: pa.array(flat[k], pa.float64(), from_pandas=True) for k in ("numerator", "denominator", "value")},
        }
    ).sort_by(
        [("jobcenter_id", "ascending"), ("midx", "ascending"), ("fig_order", "ascending"), ("sex_order", "ascending")]
    )
    month = pa.array([month_str(m) for m in t.column("midx").to_pylist()], pa.string())
    return pa.table(
        {
            "jobcenter_id": t.column("jobcenter_id"),
            "month": month,
            "figure": t.column("figure"),
            "sex": t.column("sex"),
            "numerator": t.column("numerator"),
            "denominator": t.column("denominator"),
            "value": t.column("value"),
        },
        schema=OUTPUT_SCHEMA,
    )


def _extended(
    c: _Counts, cov: Coverage, months, covered, lzb_ok, out_pos, year_first, year_last, nan, skipped
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """S3 - S6 from the monthly counts ``int``, ``s3``, ``s4``, ``s5`` (events by integration month)
    and ``lzb``, ``lzb48`` (stocks); NULL where a month needed is not covered."""
    figs = {}
    s6 = _window(c.get("lzb"), lzb_ok, year_first, year_last, mean=True)
    figs["S6"] = (s6, nan, s6)
    if "S3" in skipped:
        return figs

    def ratio(key, first, last, need_first):
        """Σ key / Σ int over integration months M-first..M-last; every month M-need_first..M covered."""
        good = _window(np.zeros((1, len(months))), covered, out_pos - need_first, out_pos, mean=False)
        ok = ~np.isnan(good)
        n = np.where(
            ok, _window(c.get(key), np.ones(len(months), bool), out_pos - first, out_pos - last, False), np.nan
        )
        d = np.where(
            ok, _window(c.get("int"), np.ones(len(months), bool), out_pos - first, out_pos - last, False), np.nan
        )
        return n, d, _share(n, d)

    # S3: integration months M-23..M-12 (with m-2), follow-up up to ST(M).
    figs["S3"] = ratio("s3", 23, 12, 25)
    # S4: integration months M-14..M-3 (with m-2), follow-up up to ST(M).
    figs["S4"] = ratio("s4", 14, 3, 16)
    # S5: integrations in M-11..M (with m-2) of persons in the set at ST(m-1) / mean of the set at
    # ST(m) over M-11..M; Dur48 needs its 1460-day window at every Stichtag M-12..M.
    d48 = np.array([extended.dur48_ok(cov, m) for m in months])
    ok5 = ~np.isnan(_window(np.zeros((1, len(months))), covered, out_pos - 13, out_pos, mean=False)) & ~np.isnan(
        _window(np.zeros((1, len(months))), d48, out_pos - 12, out_pos, mean=False)
    )
    n5 = np.where(ok5, _window(c.get("s5"), np.ones(len(months), bool), out_pos - 11, out_pos, False), np.nan)
    d5 = np.where(ok5, _window(c.get("lzb48"), np.ones(len(months), bool), out_pos - 11, out_pos, True), np.nan)
    figs["S5"] = (n5, d5, _share(n5, d5))
    return figs


def _budget_rows(budget: pd.DataFrame, jcs: list[str], lo_out: int, hi_out: int) -> dict[str, np.ndarray]:
    """B1 per job center and year Y (month Y-12 inside the run): plan of Y (else the federal
    estimate), summed over instruments, against the allocation of Y-1; amounts in whole cents."""
    amounts = {(r.jobcenter_id, int(r.year), r.title, r.kind): int(r.amount) for r in budget.itertuples()}
    rows: dict[str, list] = {
        k: []
        for k in (
            "jobcenter_id",
            "midx",
            "figure",
            "sex",
            "numerator",
            "denominator",
            "value",
            "fig_order",
            "sex_order",
        )
    }
    years = sorted({k[1] for k in amounts})
    for jc in jcs:
        for y in years:
            midx = y * 12 + 11
            if not lo_out <= midx <= hi_out:
                continue
            per_title = {}
            for title in ("VK", "EGL"):
                num = amounts.get((jc, y, title, "plan"), amounts.get((jc, y, title, "schaetzung")))
                den = amounts.get((jc, y - 1, title, "zuteilung"))
                if num is not None and den is not None:
                    per_title[title] = (num, den)
            if len(per_title) == 2:
                per_title["total"] = (
                    per_title["VK"][0] + per_title["EGL"][0],
                    per_title["VK"][1] + per_title["EGL"][1],
                )
            for title in ("VK", "EGL", "total"):
                if title not in per_title:
                    continue
                num, den = per_title[title]
                fid = f"B1.{title}"
                rows["jobcenter_id"].append(jc)
                rows["midx"].append(midx)
                rows["figure"].append(fid)
                rows["sex"].append("all")
                rows["numerator"].append(num / 100)
                rows["denominator"].append(den / 100)
                rows["value"].append((num - den) / den * 100 if den else np.nan)
                rows["fig_order"].append(STEERING_IDS.index(fid))
                rows["sex_order"].append(0)
    return {
        k: np.array(
            v,
            dtype=object
            if k in ("jobcenter_id", "figure", "sex")
            else float
            if k in ("numerator", "denominator", "value")
            else np.int64,
        )
        for k, v in rows.items()
    }


def combine(engine_table: pa.Table, steering_table: pa.Table) -> pa.Table:
    """The § 48a rows and the steering rows in one table: per job center and month, the § 48a
    figures first (in their order), then the steering figures (in theirs), sexes all/m/w."""
    from amip.kennzahlen import FIGURE_IDS

    both = pa.concat_tables([engine_table, steering_table])
    ids = pa.array([*FIGURE_IDS, *STEERING_IDS])
    keyed = both.append_column("_f", pc.index_in(both.column("figure"), ids)).append_column(
        "_s", pc.index_in(both.column("sex"), pa.array(SEX_ORDER))
    )
    keyed = keyed.sort_by(
        [("jobcenter_id", "ascending"), ("month", "ascending"), ("_f", "ascending"), ("_s", "ascending")]
    )
    return keyed.drop_columns(["_f", "_s"])


__all__ = ["MEMBER_BLOCKS", "STEERING_IDS", "combine", "compute", "compute_result"]
