"""The microsimulation: Bedarfsgemeinschaften enter and leave SGB II receipt month by month.

One loop over months (``simulate``); within a month every step is a vectorised numpy operation over
persons or BGs, and one function over a read-only ``Setup`` (population, parameters, lookup tables)
and the changing ``State`` (one array per property of a BG or person, and the records). The steps
of a month m (with ``ST(m)`` its last day), and their functions:

1. members who pass the Regelaltersgrenze leave the ELB stock (pension; ``_pension``);
2. ELB in stock at ST(m-1) may take up employment (an integration: svb, ausbildung, selbst) with a
   probability that depends on their Integrationsprognose, sex, age, duration in receipt,
   qualification, disability, single parenthood, season, year and current or past measures;
   some integrations are accompanied (EGZ, ESG, ELA, ABH), some followed a placement proposal
   (``_integrations``);
3. an integration ends the receipt of the BG with a probability (else the BG stays as Aufstocker);
   other BGs leave for other reasons with a duration-dependent hazard (``_exits``);
4. jobs end; Minijobs (gb) start among ELB (``_jobs_end``);
5. measures end and start (and change the integration probability while running and afterwards;
   ``_measures``);
6. new BGs arrive and former BGs return (more often when the job that ended receipt ended;
   ``_arrivals``);
7. the Integrationsprognose of every ELB is updated (a prognosis row when it changes; ``_stichtag``);
8. benefits of every BG with receipt in m are computed from the Regelbedarf of the year, rents,
   Mehrbedarfe and earnings (``_benefits``).

The phases draw from one random stream in a fixed order; see the note above ``Setup``.

The model never looks at calibration targets; it only uses the preset's parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from amip.synth.benefits import month_benefits
from amip.synth.households import CHILD, HEAD, NO_DAY, PARTNER, Population, draw_population
from amip.synth.ledger import Chunks, Ledger
from amip.synth.months import first_day, last_day, month_index

PROGNOSIS = ("marktnah", "nicht_marktnah", "integriert", "nicht_erforderlich", "fehlt")
MN, NM, INT, Z, X = range(5)
NONE, SVB, AUSB, SELBST, GB = 0, 1, 2, 3, 4
KINDS = ("", "svb", "ausbildung", "selbst", "gb")
EXIT_JOB, EXIT_OTHER, EXIT_MOVED, EXIT_GONE = 1, 2, 3, 4


@dataclass
class Simulation:
    """Everything the table writers need: the population and the records of the run."""

    pop: Population
    params: dict
    start: int
    last: int
    spells: dict[str, np.ndarray]  # person, bg, start, end (NO_DAY = open), single_parent
    jobs: dict[str, np.ndarray]  # person, kind, start, end, accompanied, gross
    measures: dict[str, np.ndarray]  # person, instrument, start, end, cost
    prognosis: dict[str, np.ndarray]  # person, day, code, goal
    benefits: dict[str, np.ndarray]  # bg, month, type, amount
    exits: dict[str, np.ndarray]  # person, day (last day in receipt)
    integrations: dict[str, np.ndarray]  # person, day (job start), kind
    aenderungen: dict[str, np.ndarray]  # person, day
    proposals: dict[str, np.ndarray]  # person, day, hired
    kom_starts: dict[int, int]  # month -> number of § 16a starts
    instruments: tuple[str, ...]
    stock: dict[int, int]  # month -> ELB stock at ST(m) (diagnostics)


def _lookup(values: np.ndarray, bins, factors) -> np.ndarray:
    i = np.searchsorted(np.asarray(bins), values, side="right") - 1
    return np.asarray(factors, float)[np.clip(i, 0, len(factors) - 1)]


def _year(table: dict, year: int, default: float = 1.0) -> float:
    return float(table.get(str(year), default))


def _age_years(birth: np.ndarray, day: int) -> np.ndarray:
    return (day - birth) / 365.25


def _group(age: np.ndarray) -> np.ndarray:
    return np.where(age < 25, 0, np.where(age < 55, 1, 2))


def pension_month(birth: np.ndarray) -> np.ndarray:
    """The month in which the Regelaltersgrenze is reached (65 years + the transition months)."""
    bd = birth.astype("datetime64[D]")
    bm = bd.astype("datetime64[M]").astype(np.int64) + 1970 * 12
    by = bm // 12
    extra = np.where(by <= 1946, 0, np.where(by <= 1958, by - 1946, np.minimum(12 + 2 * (by - 1958), 24)))
    return bm + 65 * 12 + extra


# ---- the state of a run ---------------------------------------------------------------------------
# Every random draw of the model comes from ``Setup.rng``, in a fixed order: the phases below are
# called in the order of the module docstring, and each phase draws in the order it is written.
# Moving a draw (or drawing a different number of values) changes every synthetic data set of every
# seed; tests/test_synth_identity.py pins the output of a fixed seed.


@dataclass
class Setup:
    """What a run reads but never changes: the population, the parameters and tables derived from them."""

    pop: Population
    params: dict
    rng: np.random.Generator
    start: int  # first simulated month (month index)
    instruments: tuple[str, ...]  # measures that start on their own (index = instrument number)
    codes: tuple[str, ...]  # instruments + accompanying measures (index = measure code)
    code_of: dict[str, int]  # measure name -> code
    cost_month: np.ndarray  # monthly cost by measure code
    during: np.ndarray  # integration factor while an instrument runs, by instrument
    goal_share: np.ndarray  # by prognosis code: probability of an integration goal
    base_integration: np.ndarray  # by prognosis code: monthly integration probability
    proposal_probability: np.ndarray  # by prognosis code: monthly probability of a proposal
    pension_month: np.ndarray  # by person: month of the Regelaltersgrenze
    women: np.ndarray  # by person
    men: np.ndarray  # by person
    person_bg_type: np.ndarray  # by person: type of the person's BG
    in_single_parent_bg: np.ndarray  # by person: the BG is of type single_parent
    bg_has_kid: np.ndarray  # (B, MAX_KIDS): True where the BG has a child
    initial_bg: np.ndarray  # by BG: part of the initial stock

    @classmethod
    def create(cls, params: dict, rng: np.random.Generator, pop: Population) -> Setup:
        meas_cfg, acc_cfg, pi = params["measures"], params["accompanying"], params["integration"]
        instruments = tuple(k for k in meas_cfg if isinstance(meas_cfg[k], dict) and "start" in meas_cfg[k])
        codes = instruments + tuple(acc_cfg)
        person_bg_type = pop.bg_type[pop.p_bg]
        initial_bg = np.zeros(pop.n_bg, bool)
        initial_bg[: int(params["population"]["initial_bgs"])] = True
        return cls(
            pop=pop,
            params=params,
            rng=rng,
            start=month_index(params["meta"]["simulate_from"]),
            instruments=instruments,
            codes=codes,
            code_of={c: i for i, c in enumerate(codes)},
            cost_month=np.array(
                [float(meas_cfg[c]["cost"]) for c in instruments] + [float(acc_cfg[c]["cost"]) for c in acc_cfg]
            ),
            during=np.array([meas_cfg[c]["during"] for c in instruments]),
            goal_share=np.array([params["prognosis"]["integration_goal"][c] for c in PROGNOSIS]),
            base_integration=np.array([pi["prognosis"][c] for c in PROGNOSIS]),
            proposal_probability=np.array([params["proposals"]["probability"][c] for c in PROGNOSIS]),
            pension_month=pension_month(pop.p_birth),
            women=pop.p_sex == 1,
            men=pop.p_sex == 0,
            person_bg_type=person_bg_type,
            in_single_parent_bg=person_bg_type == 1,
            bg_has_kid=pop.bg_kid_birth != NO_DAY,
            initial_bg=initial_bg,
        )

    def costs(self, code: np.ndarray, months: np.ndarray) -> np.ndarray:
        """The cost of measures of ``code`` over ``months`` months."""
        return np.round(self.cost_month[code] * months, 2)


def _ledgers() -> dict[str, Ledger]:
    return {
        "spells": Ledger(person=np.int64, bg=np.int64, start=np.int64, end=np.int64, single_parent=bool),
        "jobs": Ledger(
            person=np.int64, kind=np.int64, start=np.int64, end=np.int64, accompanied=bool, gross=np.float64
        ),
        "measures": Ledger(person=np.int64, instrument=np.int64, start=np.int64, end=np.int64, cost=np.float64),
    }


@dataclass
class State:
    """The changing state of a run: one array per property of a BG or a person, and the records.

    Arrays named ``bg_*`` have one entry per BG, all others one per person.
    """

    # BGs
    bg_in: np.ndarray  # in receipt
    bg_months: np.ndarray  # Stichtage in the current spell
    bg_start: np.ndarray  # first day of the current spell
    bg_exit_month: np.ndarray  # month of the last exit, -1 = never left
    bg_exit_kind: np.ndarray  # EXIT_* of the last exit
    bg_job_lost: np.ndarray  # the job that ended the receipt has ended since
    # persons
    in_receipt: np.ndarray  # in the ELB stock
    active: np.ndarray  # below the Regelaltersgrenze
    spell_start: np.ndarray  # first day of the current ELB spell
    spell_rec: np.ndarray  # row of the current spell in ``spells``
    single_parent: np.ndarray  # single parent in the current spell
    job_kind: np.ndarray  # NONE, SVB, AUSB, SELBST or GB
    job_rec: np.ndarray  # row of the current job in ``jobs``, -1 = none
    job_start: np.ndarray  # first day of the current job
    job_plan_end: np.ndarray  # planned last day (vocational training), else NO_DAY
    measure: np.ndarray  # running instrument (index into Setup.instruments), -1 = none
    measure_rec: np.ndarray  # row of the running measure in ``measures``
    measure_end: np.ndarray  # planned last day of the running measure
    after_until: np.ndarray  # last month of the after-effect of the last measure
    after_factor: np.ndarray  # integration factor of that after-effect
    prognosis: np.ndarray  # current Integrationsprognose (index into PROGNOSIS), -1 = none yet
    not_required: np.ndarray  # latent profile: integration not required (Z)
    marktnah: np.ndarray  # latent profile: marktnah (MN), else nicht marktnah
    missing_until: np.ndarray  # the prognosis is missing (X) up to this month
    integrated_flag: np.ndarray  # latent profile: counted as integriert (INT) while employed
    # records
    spells: Ledger
    jobs: Ledger
    measures: Ledger
    prognosis_rows: Chunks = field(default_factory=lambda: Chunks("person", "day", "code", "goal"))
    benefits: Chunks = field(default_factory=lambda: Chunks("bg", "month", "type", "amount"))
    exits: Chunks = field(default_factory=lambda: Chunks("person", "day"))
    integrations: Chunks = field(default_factory=lambda: Chunks("person", "day", "kind"))
    aenderungen: Chunks = field(default_factory=lambda: Chunks("person", "day"))
    proposals: Chunks = field(default_factory=lambda: Chunks("person", "day", "hired"))
    kom_starts: dict[int, int] = field(default_factory=dict)
    stock: dict[int, int] = field(default_factory=dict)

    @classmethod
    def empty(cls, n_bg: int, n_persons: int) -> State:
        B, P = n_bg, n_persons
        return cls(
            bg_in=np.zeros(B, bool),
            bg_months=np.zeros(B, np.int64),
            bg_start=np.full(B, NO_DAY, np.int64),
            bg_exit_month=np.full(B, -1, np.int64),
            bg_exit_kind=np.zeros(B, np.int64),
            bg_job_lost=np.zeros(B, bool),
            in_receipt=np.zeros(P, bool),
            active=np.ones(P, bool),
            spell_start=np.full(P, NO_DAY, np.int64),
            spell_rec=np.full(P, -1, np.int64),
            single_parent=np.zeros(P, bool),
            job_kind=np.zeros(P, np.int64),
            job_rec=np.full(P, -1, np.int64),
            job_start=np.full(P, NO_DAY, np.int64),
            job_plan_end=np.full(P, NO_DAY, np.int64),
            measure=np.full(P, -1, np.int64),
            measure_rec=np.full(P, -1, np.int64),
            measure_end=np.full(P, NO_DAY, np.int64),
            after_until=np.full(P, -1, np.int64),
            after_factor=np.ones(P),
            prognosis=np.full(P, -1, np.int64),
            not_required=np.zeros(P, bool),
            marktnah=np.zeros(P, bool),
            missing_until=np.full(P, -1, np.int64),
            integrated_flag=np.zeros(P, bool),
            **_ledgers(),
        )


@dataclass(frozen=True)
class Month:
    """The month being simulated."""

    index: int  # month index (year * 12 + month - 1)
    first: int  # first day (epoch days)
    last: int  # last day = the Stichtag ST(m)
    days: int  # number of days
    year: int
    of_year: int  # 0 = January

    @classmethod
    def of(cls, m: int) -> Month:
        d0, d1 = first_day(m), last_day(m)
        return cls(index=m, first=d0, last=d1, days=d1 - d0 + 1, year=m // 12, of_year=m % 12)


@dataclass
class Hires:
    """The integrations of a month (phase 2), read by the exits (phase 3)."""

    stock: np.ndarray  # persons in the ELB stock at the start of the month
    stock_bg: np.ndarray  # their BGs
    persons: np.ndarray  # persons who took up employment
    kind: np.ndarray  # SVB, AUSB or SELBST
    day: np.ndarray  # first day of the job


@dataclass
class Exits:
    """The exits of a month (phase 3), read by the benefits (phase 8)."""

    bg_day: np.ndarray  # by BG: last day in receipt (NO_DAY = no exit this month)
    persons: np.ndarray  # persons whose spell ended


# ---- records: spells, jobs, measures ------------------------------------------------------------


def _open_spells(s: Setup, st: State, persons: np.ndarray, days: np.ndarray) -> None:
    if persons.size == 0:
        return
    pop = s.pop
    st.in_receipt[persons] = True
    st.spell_start[persons] = days
    bg = pop.p_bg[persons]
    # single parent of this BG: head of a single-parent BG with a child under 18, or head of a
    # parent_child BG whose ELB child is under 18
    kid18 = ((pop.bg_kid_birth[bg] != NO_DAY) & (days[:, None] - pop.bg_kid_birth[bg] < 18 * 365.25)).any(1)
    sp = (pop.p_role[persons] == HEAD) & (
        (s.in_single_parent_bg[persons] & kid18) | ((s.person_bg_type[persons] == 4) & _minor_child(pop, bg, days))
    )
    st.single_parent[persons] = sp
    st.spell_rec[persons] = st.spells.add(
        person=persons, bg=bg, start=days, end=np.full(persons.size, NO_DAY), single_parent=sp
    )


def _close_spells(s: Setup, st: State, persons: np.ndarray, days: np.ndarray) -> None:
    if persons.size == 0:
        return
    st.in_receipt[persons] = False
    st.spells.set("end", st.spell_rec[persons], days)
    st.exits.add(person=persons, day=days)
    # running (non-accompanying) measures end with the receipt
    mm = persons[st.measure[persons] >= 0]
    if mm.size:
        d = days[st.measure[persons] >= 0]
        rec = st.measure_rec[mm]
        begin = st.measures["start"][rec]
        end = np.maximum(begin, np.minimum(st.measure_end[mm], d))
        st.measures.set("end", rec, end)
        months = np.maximum(1, np.round((end - begin + 1) / 30.44))
        st.measures.set("cost", rec, s.costs(st.measures["instrument"][rec], months))
        st.measure[mm] = -1


def _start_job(
    s: Setup,
    st: State,
    persons: np.ndarray,
    kind: np.ndarray,
    days: np.ndarray,
    gross: np.ndarray,
    accompanied: np.ndarray,
) -> None:
    """Start jobs; a job the person still holds ends the day before."""
    if persons.size == 0:
        return
    old = persons[st.job_kind[persons] != NONE]
    if old.size:
        d_old = days[st.job_kind[persons] != NONE]
        rec = st.job_rec[old]
        st.jobs.set("end", rec, np.maximum(st.jobs["start"][rec], d_old - 1))
    st.job_kind[persons] = kind
    st.job_start[persons] = days
    st.job_rec[persons] = st.jobs.add(
        person=persons,
        kind=kind,
        start=days,
        end=np.full(persons.size, NO_DAY),
        accompanied=accompanied,
        gross=np.round(gross, 2),
    )
    plan = np.full(persons.size, NO_DAY)
    a = kind == AUSB
    if a.any():
        lo, hi = s.params["integration"]["ausbildung_months"]
        plan[a] = days[a] + (s.rng.integers(lo, hi + 1, a.sum()) * 30.44).astype(np.int64)
    st.job_plan_end[persons] = plan


def _add_measure(
    s: Setup, st: State, persons: np.ndarray, name: str, days: np.ndarray, months: np.ndarray
) -> np.ndarray:
    code = s.code_of[name]
    end = days + np.round(months * 30.44).astype(np.int64) - 1
    return st.measures.add(
        person=persons,
        instrument=np.full(persons.size, code),
        start=days,
        end=end,
        cost=s.costs(np.full(persons.size, code), months),
    )


def _minijob_gross(params: dict, m: int) -> list[float]:
    """The range of Minijob earnings in month ``m`` (the limit rose in October 2022)."""
    mj = params["minijobs"]
    return mj["gross_from_2022_10"] if m >= month_index("2022-10") else mj["gross"]


# ---- the initial stock and the phases of a month ------------------------------------------------


def _initial_stock(s: Setup, st: State) -> None:
    """The BGs in receipt at ST(S-1), with their prognosis profiles."""
    pop, rng, S = s.pop, s.rng, s.start
    init = np.arange(int(s.params["population"]["initial_bgs"]))
    init_start = first_day(S - pop.bg_initial_months[init]) + rng.integers(0, 28, init.size) - 31
    st.bg_in[init] = True
    st.bg_months[init] = pop.bg_initial_months[init] + 1
    st.bg_start[init] = init_start
    members = np.flatnonzero(np.isin(pop.p_bg, init))
    _open_spells(s, st, members, st.bg_start[pop.p_bg[members]])
    _draw_prognosis_profile(s, st, members, S - 1)
    st.missing_until[members] = -1


def _pension(s: Setup, st: State, mo: Month) -> None:
    """1. Members who passed the Regelaltersgrenze leave the stock (and BGs left without members)."""
    pop, m = s.pop, mo.index
    ret = np.flatnonzero(st.in_receipt & (s.pension_month < m))
    if ret.size:
        st.active[ret] = False
        _close_spells(s, st, ret, np.full(ret.size, mo.first - 1))
        left = np.unique(pop.p_bg[ret])
        still = np.zeros(pop.n_bg, bool)
        still[pop.p_bg[st.in_receipt]] = True
        gone = left[~still[left]]
        st.bg_in[gone] = False
        st.bg_exit_month[gone] = m
        st.bg_exit_kind[gone] = EXIT_GONE
    st.active[s.pension_month < m] = False


def _integrations(s: Setup, st: State, mo: Month) -> Hires:
    """2. ELB in stock take up employment; accompanying measures and placement proposals."""
    pop, rng, m = s.pop, s.rng, mo.index
    pi, acc_cfg, prop_cfg = s.params["integration"], s.params["accompanying"], s.params["proposals"]
    idx = np.flatnonzero(st.in_receipt)
    bgx = pop.p_bg[idx]
    age = _age_years(pop.p_birth[idx], mo.first)
    grp = _group(age)
    dur = st.bg_months[bgx]

    code = np.clip(st.prognosis[idx], 0, 4)
    h = s.base_integration[code]
    h = h * np.where(s.men[idx], pi["men_factor"], np.where(s.women[idx], pi["women_factor"], 1.0))
    h *= np.asarray(pi["age_factor"])[grp]
    h *= _lookup(dur, pi["duration_bins"], pi["duration_factor"])
    h *= np.where(pop.p_qualified[idx], 1.0, pi["no_qualification_factor"])
    h *= np.where(pop.p_disabled[idx], pi["severely_disabled_factor"], 1.0)
    h *= np.where(pop.p_refugee[idx], pi["refugee_factor"], 1.0)
    h *= np.where(st.single_parent[idx], pi["single_parent_factor"], 1.0)
    h *= pi["season"][mo.of_year] * _year(pi["year_factor"], mo.year)
    cur = st.measure[idx]
    h *= np.where(
        cur >= 0, s.during[np.clip(cur, 0, None)], np.where(st.after_until[idx] >= m, st.after_factor[idx], 1.0)
    )
    h *= np.where(age >= 15, 1.0, 0.0)
    hit = rng.random(idx.size) < h
    ip = idx[hit]
    ig = grp[hit]
    shares = np.where((ig == 0)[:, None], np.asarray(pi["kind_shares_u25"]), np.asarray(pi["kind_shares_25"]))
    u = rng.random(ip.size)
    kind = np.where(u < shares[:, 0], SVB, np.where(u < shares[:, 0] + shares[:, 1], AUSB, SELBST))
    t = mo.first + rng.integers(0, mo.days, ip.size)
    gsv, gau, gse = pi["gross"]["svb"], pi["gross"]["ausbildung"], pi["gross"]["selbst"]
    med = np.select([kind == SVB, kind == AUSB], [gsv[0], gau[0]], gse[0])
    sig = np.select([kind == SVB, kind == AUSB], [gsv[1], gau[1]], gse[1])
    gross = med * np.exp(rng.normal(0, 1, ip.size) * sig)
    acc = pi["accompanied"]
    pacc = np.select([kind == SVB, kind == AUSB], [acc["svb"], acc["ausbildung"]], acc["selbst"])
    accompanied = rng.random(ip.size) < pacc
    long_term = st.bg_months[pop.p_bg[ip]] >= 24
    ela = (kind == SVB) & ~accompanied & long_term & (rng.random(ip.size) < acc["ela_long_term"])
    accompanied |= ela
    _start_job(s, st, ip, kind, t, gross, accompanied)
    st.integrations.add(person=ip, day=t, kind=kind)
    for name, sel in (
        ("EGZ", accompanied & (kind == SVB) & ~ela),
        ("ESG", accompanied & (kind == SELBST)),
        ("ABH", accompanied & (kind == AUSB)),
        ("ELA", ela),
        ("GBB", ela),
    ):
        if sel.any():
            lo, hi = acc_cfg[name]["months"]
            _add_measure(s, st, ip[sel], name, t[sel], rng.integers(lo, hi + 1, sel.sum()))
    via = (kind == SVB) & (rng.random(ip.size) < prop_cfg["integration_via_proposal"])
    if via.any():
        db = prop_cfg["days_before"]
        st.proposals.add(
            person=ip[via], day=t[via] - rng.integers(db[0], db[1] + 1, via.sum()), hired=np.ones(via.sum(), bool)
        )
    return Hires(stock=idx, stock_bg=bgx, persons=ip, kind=kind, day=t)


def _exits(s: Setup, st: State, mo: Month, hires: Hires) -> Exits:
    """3. An integration ends the receipt of its BG (or not: Aufstocker); other BGs leave with a hazard."""
    pop, rng, m = s.pop, s.rng, mo.index
    pi, pe = s.params["integration"], s.params["exits"]
    ip, kind, t = hires.persons, hires.kind, hires.day
    er = pi["ends_receipt"]
    q = np.select([kind == SVB, kind == AUSB], [er["svb"], er["ausbildung"]], er["selbst"])
    has_kids = s.bg_has_kid[pop.p_bg[ip]].any(1) | (pop.bg_size[pop.p_bg[ip]] > 1)
    q = q * np.where(has_kids, pi["ends_receipt_children_factor"], 1.0)
    ends = rng.random(ip.size) < q
    job_exit_day = np.full(pop.n_bg, NO_DAY, np.int64)
    eb = pop.p_bg[ip[ends]]
    te = t[ends]
    job_exit_day[eb] = te - 1 + (rng.random(te.size) * (mo.last - te + 1)).astype(np.int64)  # in [t-1, d1-1]
    job_exit = job_exit_day != NO_DAY

    cand = np.flatnonzero(st.bg_in & ~job_exit)
    head = pop.bg_first[cand]
    hage = _age_years(pop.p_birth[head], mo.first)
    hx = pe["base"] * _lookup(st.bg_months[cand], pe["duration_bins"], pe["duration_factor"])
    hx *= np.asarray(pe["age_factor"])[_group(hage)] * np.where(hage >= 60, pe["age_60_factor"], 1.0)
    tf = np.array([pe["type_factor"][n] for n in ("single", "single_parent", "couple", "couple_kids", "parent_child")])
    hx *= tf[pop.bg_type[cand]]
    hx *= np.where(s.women[head], pe["women_factor"], 1.0)
    hx *= np.where(pop.p_disabled[head], pe["severely_disabled_factor"], 1.0)
    hx *= np.where(pop.bg_refugee[cand], pe["refugee_factor"], 1.0)
    employed_bg = np.zeros(pop.n_bg, bool)
    stock = hires.stock
    emp_in = stock[(st.job_kind[stock] == SVB) | (st.job_kind[stock] == SELBST)]
    employed_bg[pop.p_bg[emp_in]] = True
    hx *= np.where(employed_bg[cand], pe["employed_svb_factor"], 1.0)
    hx *= pe["season"][mo.of_year] * _year(pe["year_factor"], mo.year)
    leave = cand[rng.random(cand.size) < hx]
    moved = rng.random(leave.size) < pe["moved_share"]
    other_day = mo.first - 1 + rng.integers(0, mo.days, leave.size)

    out_bg = np.concatenate([np.flatnonzero(job_exit), leave])
    out_day = np.concatenate([job_exit_day[job_exit], other_day])
    out_kind = np.concatenate([np.full(job_exit.sum(), EXIT_JOB), np.where(moved, EXIT_MOVED, EXIT_OTHER)])
    bg_day = np.full(pop.n_bg, NO_DAY, np.int64)
    bg_day[out_bg] = out_day
    leaving = stock[bg_day[hires.stock_bg] != NO_DAY]
    _close_spells(s, st, leaving, bg_day[pop.p_bg[leaving]])
    st.bg_in[out_bg] = False
    st.bg_exit_month[out_bg] = m
    st.bg_exit_kind[out_bg] = out_kind
    st.bg_job_lost[out_bg] = False
    return Exits(bg_day=bg_day, persons=leaving)


def _jobs_end(s: Setup, st: State, mo: Month) -> None:
    """4. Jobs end (vocational training often followed by insured employment); Minijobs start."""
    pop, rng, d0, d1 = s.pop, s.rng, mo.first, mo.last
    pi, mj = s.params["integration"], s.params["minijobs"]
    gsv = pi["gross"]["svb"]
    holders = np.flatnonzero((st.job_kind != NONE) & (st.job_start < d0))
    k = st.job_kind[holders]
    ep = pi["end_probability"]
    early = (d0 - st.job_start[holders]) < 183
    pend = np.select(
        [k == SVB, k == SELBST, k == AUSB, k == GB],
        [np.where(early, ep["svb_early"], ep["svb"]), ep["selbst"], ep["ausbildung_dropout"], mj["end"]],
    )
    stop = rng.random(holders.size) < pend
    fin = (k == AUSB) & (st.job_plan_end[holders] <= d1)
    stop |= fin
    sh = holders[stop]
    send = np.where(fin[stop], np.clip(st.job_plan_end[sh], d0, d1), d0 + rng.integers(0, mo.days, sh.size))
    send = np.maximum(send, st.job_start[sh])
    st.jobs.set("end", st.job_rec[sh], send)
    was_ausb_done = sh[fin[stop]]
    st.job_kind[sh] = NONE
    st.job_rec[sh] = -1
    lost = sh[~st.in_receipt[sh]]
    st.bg_job_lost[pop.p_bg[lost][st.bg_exit_kind[pop.p_bg[lost]] == EXIT_JOB]] = True
    # after vocational training: many go on in insured employment
    follow = was_ausb_done[rng.random(was_ausb_done.size) < pi["after_ausbildung_svb"]]
    if follow.size:
        fd = np.clip(st.job_plan_end[follow], d0, d1) + 1
        _start_job(
            s,
            st,
            follow,
            np.full(follow.size, SVB),
            fd,
            gsv[0] * np.exp(rng.normal(0, gsv[1], follow.size)),
            np.zeros(follow.size, bool),
        )

    idx = np.flatnonzero(st.in_receipt)
    free = idx[st.job_kind[idx] == NONE]
    fa = _age_years(pop.p_birth[free], d0)
    hg = mj["start"] * np.asarray(mj["age_factor"])[_group(fa)] * np.where(s.women[free], mj["women_factor"], 1.0)
    gbp = free[rng.random(free.size) < hg]
    glim = _minijob_gross(s.params, mo.index)
    _start_job(
        s,
        st,
        gbp,
        np.full(gbp.size, GB),
        d0 + rng.integers(0, mo.days, gbp.size),
        rng.uniform(glim[0], glim[1], gbp.size),
        np.zeros(gbp.size, bool),
    )


def _measures(s: Setup, st: State, mo: Month) -> None:
    """5. Measures end (their after-effect starts) and start, instrument by instrument."""
    pop, rng, m, d0 = s.pop, s.rng, mo.index, mo.first
    meas_cfg, acc_cfg, instruments = s.params["measures"], s.params["accompanying"], s.instruments
    run = np.flatnonzero((st.measure >= 0) & (st.measure_end <= mo.last))
    if run.size:
        ins = st.measure[run]
        st.after_until[run] = m + np.array([meas_cfg[c]["after_months"] for c in instruments])[ins]
        st.after_factor[run] = np.array([meas_cfg[c]["after"] for c in instruments])[ins]
        st.measure[run] = -1
    idx = np.flatnonzero(st.in_receipt)
    age = _age_years(pop.p_birth[idx], d0)
    dur = st.bg_months[pop.p_bg[idx]]
    yf = _year(meas_cfg.get("year_factor", {}), mo.year)
    for j, c in enumerate(instruments):
        cfg = meas_cfg[c]
        free = st.measure[idx] < 0
        el = _eligible(cfg["eligible"], age, dur, st.prognosis[idx], pop.p_disabled[idx], pop.p_qualified[idx])
        go = idx[free & el & (rng.random(idx.size) < cfg["start"] * yf)]
        if not go.size:
            continue
        months = rng.integers(cfg["months"][0], cfg["months"][1] + 1, go.size)
        days = d0 + rng.integers(0, mo.days, go.size)
        rec = _add_measure(s, st, go, c, days, months)
        if c == "KOM":
            st.measures.set("cost", rec, np.nan)
            st.kom_starts[m] = st.kom_starts.get(m, 0) + int(go.size)
        if c == "TAM":
            lo, hi = acc_cfg["GBB"]["months"]
            _add_measure(s, st, go, "GBB", days, rng.integers(lo, hi + 1, go.size))
        st.measure[go] = j
        st.measure_rec[go] = rec
        st.measure_end[go] = st.measures["end"][rec]


def _arrivals(s: Setup, st: State, mo: Month) -> np.ndarray:
    """6. New BGs arrive and former BGs return, some with a job; returns the persons who entered."""
    pop, rng, m, d0 = s.pop, s.rng, mo.index, mo.first
    pr, eae = s.params["returns"], s.params["employment_at_entry"]
    gse = s.params["integration"]["gross"]["selbst"]
    new = np.flatnonzero((pop.bg_arrival == m) & ~s.initial_bg)
    back_c = np.flatnonzero(
        ~st.bg_in & (st.bg_exit_month >= 0) & (st.bg_exit_month < m) & np.isin(st.bg_exit_kind, [EXIT_JOB, EXIT_OTHER])
    )
    r = _lookup(m - st.bg_exit_month[back_c], pr["since_exit_bins"], pr["probability"])
    r = r * np.where(st.bg_job_lost[back_c], pr["job_lost_factor"], 1.0) * _year(pr.get("year_factor", {}), mo.year)
    back = back_c[rng.random(back_c.size) < r]
    entering = np.concatenate([new, back])
    eday = d0 + rng.integers(0, mo.days, entering.size)
    st.bg_in[entering] = True
    st.bg_months[entering] = 0
    st.bg_start[entering] = eday
    bday = np.full(pop.n_bg, NO_DAY, np.int64)
    bday[entering] = eday
    ent_p = np.flatnonzero((bday[pop.p_bg] != NO_DAY) & st.active & (s.pension_month >= m))
    _open_spells(s, st, ent_p, bday[pop.p_bg[ent_p]])
    nobody = np.ones(pop.n_bg, bool)
    nobody[pop.p_bg[ent_p]] = False
    empty = entering[nobody[entering]]
    st.bg_in[empty] = False  # everybody has reached pension age
    st.bg_exit_kind[empty] = EXIT_GONE
    # employment already held at entry (low wages: top-up)
    cand = ent_p[st.job_kind[ent_p] == NONE]
    u = rng.random(cand.size)
    kk = np.where(
        u < eae["svb"],
        SVB,
        np.where(u < eae["svb"] + eae["gb"], GB, np.where(u < eae["svb"] + eae["gb"] + eae["selbst"], SELBST, NONE)),
    )
    sel = kk != NONE
    cp, kk = cand[sel], kk[sel]
    ed = bday[pop.p_bg[cp]]
    sdays = ed - rng.integers(eae["started_days_before"][0], eae["started_days_before"][1] + 1, cp.size)
    prev_exit = st.bg_exit_month[pop.p_bg[cp]]
    lb = np.where(prev_exit >= 0, first_day(np.maximum(prev_exit, 0) + 1), -(10**7))
    sdays = np.maximum(sdays, lb)
    ok = sdays < d0
    cp, kk, sdays = cp[ok], kk[ok], sdays[ok]
    glim = _minijob_gross(s.params, m)
    g = np.select(
        [kk == SVB, kk == GB],
        [
            eae["svb_gross"][0] * np.exp(rng.normal(0, eae["svb_gross"][1], cp.size)),
            rng.uniform(glim[0], glim[1], cp.size),
        ],
        gse[0] * np.exp(rng.normal(0, gse[1], cp.size)),
    )
    _start_job(s, st, cp, kk, sdays, g, np.zeros(cp.size, bool))
    _draw_prognosis_profile(s, st, ent_p, m)
    return ent_p


def _stichtag(s: Setup, st: State, mo: Month, entered_persons: np.ndarray) -> None:
    """7. Stichtag: durations grow, prognoses are updated; proposals and changes in circumstances."""
    pop, rng, m, d0 = s.pop, s.rng, mo.index, mo.first
    pm = s.params["prognosis"]
    st.bg_months[st.bg_in] += 1
    idx = np.flatnonzero(st.in_receipt)
    entered = np.zeros(pop.n_persons, bool)
    entered[entered_persons] = True
    re = idx[~entered[idx] & (rng.random(idx.size) < pm["reassess"])]
    st.marktnah[re] = rng.random(re.size) < _lookup(st.bg_months[pop.p_bg[re]], pm["marktnah_bins"], pm["marktnah"])
    jobk = st.job_kind[idx]
    newcode = np.where(
        st.missing_until[idx] >= m,
        X,
        np.where(
            ((jobk == SVB) | (jobk == AUSB) | (jobk == SELBST)) & st.integrated_flag[idx],
            INT,
            np.where(st.not_required[idx], Z, np.where(st.marktnah[idx], MN, NM)),
        ),
    )
    changed = entered[idx] | (newcode != st.prognosis[idx])
    cp = idx[changed]
    cc = newcode[changed]
    vday = np.where(entered[cp], st.spell_start[cp], d0 + rng.integers(0, mo.days, cp.size))
    st.prognosis_rows.add(person=cp, day=vday, code=cc, goal=rng.random(cp.size) < s.goal_share[cc])
    st.prognosis[idx] = newcode
    st.stock[m] = int(idx.size)

    # proposals, changes in circumstances
    year_factor = _year(s.params["integration"]["year_factor"], mo.year)
    pp = idx[rng.random(idx.size) < s.proposal_probability[newcode] * year_factor]
    st.proposals.add(person=pp, day=d0 + rng.integers(0, mo.days, pp.size), hired=np.zeros(pp.size, bool))
    ae = idx[rng.random(idx.size) < s.params["case_events"]["aenderung"]]
    st.aenderungen.add(person=ae, day=d0 + rng.integers(0, mo.days, ae.size))


def _benefits(s: Setup, st: State, mo: Month, exits: Exits) -> None:
    """8. Benefits of every BG with receipt in the month."""
    gross_now = np.where(st.job_rec >= 0, st.jobs.cols["gross"][np.clip(st.job_rec, 0, None)], 0.0)
    reha = st.measure == (s.instruments.index("REHA") if "REHA" in s.instruments else -99)
    b_bg, b_type, b_amt = month_benefits(
        s.rng,
        s.params,
        s.pop,
        mo.index,
        mo.first,
        mo.last,
        st.bg_start,
        exits.bg_day,
        st.in_receipt,
        exits.persons,
        gross_now,
        reha,
    )
    st.benefits.add(bg=b_bg, month=np.full(b_bg.size, mo.index), type=b_type, amount=b_amt)


def simulate(
    params: dict, rng: np.random.Generator, last: int, progress: Callable[[str], None] | None = None
) -> Simulation:
    """Simulate from the preset's ``simulate_from`` up to month ``last`` (a month index)."""
    say = progress or (lambda _s: None)
    pop = draw_population(rng, params, last)
    # (unused draw, formerly the latent p_fm: kept so the seeded random stream and the synthetic data stay the same)
    rng.random(pop.n_persons)
    s = Setup.create(params, rng, pop)
    st = State.empty(pop.n_bg, pop.n_persons)
    _initial_stock(s, st)
    for m in range(s.start, last + 1):
        if (m - s.start) % 12 == 0:
            say(f"simulating {m // 12}")
        mo = Month.of(m)
        _pension(s, st, mo)
        hires = _integrations(s, st, mo)
        exits = _exits(s, st, mo, hires)
        _jobs_end(s, st, mo)
        _measures(s, st, mo)
        entered = _arrivals(s, st, mo)
        _stichtag(s, st, mo, entered)
        _benefits(s, st, mo, exits)

    return Simulation(
        pop=pop,
        params=params,
        start=s.start,
        last=last,
        spells=st.spells.frame(),
        jobs=st.jobs.frame(),
        measures=st.measures.frame(),
        prognosis=st.prognosis_rows.frame(),
        benefits=st.benefits.frame(),
        exits=st.exits.frame(),
        integrations=st.integrations.frame(),
        aenderungen=st.aenderungen.frame(),
        proposals=st.proposals.frame(),
        kom_starts=st.kom_starts,
        instruments=s.codes,
        stock=st.stock,
    )


def _minor_child(pop: Population, bg: np.ndarray, days: np.ndarray) -> np.ndarray:
    """For parent_child BGs: is the ELB child (the second member) under 18 on ``days``?"""
    child = pop.bg_first[bg] + 1
    ok = pop.bg_size[bg] > 1
    child = np.where(ok, child, pop.bg_first[bg])
    return ok & (pop.p_role[child] == CHILD) & ((days - pop.p_birth[child]) < 18 * 365.25)


def _eligible(rule: str, age, dur, prog, disabled, qualified) -> np.ndarray:
    if rule == "all":
        return np.ones(age.size, bool)
    if rule == "under_55":
        return (age >= 18) & (age < 55) & (prog != Z)
    if rule == "not_z":
        return prog != Z
    if rule == "long_term":
        return (dur >= 12) & (prog == NM) & (age >= 25)
    if rule == "very_long_term":
        return (dur >= 48) & (prog == NM) & (age >= 25)
    if rule == "severely_disabled":
        return disabled & (prog != Z)
    if rule == "u25_no_qualification":
        return (age < 25) & ~qualified & (prog != Z)
    if rule == "u25":
        return age < 25
    raise ValueError(f"unknown eligibility rule {rule!r}")


def _draw_prognosis_profile(s: Setup, st: State, persons: np.ndarray, m: int) -> None:
    """Draw the (re-)entry profile of ``persons``: not required (Z), marktnah, missing (X), I-flag."""
    if persons.size == 0:
        return
    pop, rng = s.pop, s.rng
    pm = s.params["prognosis"]
    d = first_day(m)
    age = _age_years(pop.p_birth[persons], d)
    z = np.asarray(pm["not_required"])[_group(age)]
    z = np.where(age < 18, pm["not_required_pupil"], z)
    bg = pop.p_bg[persons]
    kb = pop.bg_kid_birth[bg]
    young = ((kb != NO_DAY) & (d - kb < 3 * 365.25)).any(1)
    carer = young & (
        (pop.p_role[persons] == HEAD) & (pop.bg_type[bg] == 1)
        | ((pop.p_sex[persons] == 1) & (pop.p_role[persons] == PARTNER))
    )
    z = np.where(carer, pm["not_required_young_child"], z)
    z = np.where(age >= 63, pm["not_required_age_63"], z)
    st.not_required[persons] = rng.random(persons.size) < z
    st.marktnah[persons] = rng.random(persons.size) < _lookup(st.bg_months[bg], pm["marktnah_bins"], pm["marktnah"])
    miss = rng.random(persons.size) < pm["missing_at_entry"]
    lo, hi = pm["missing_months"]
    st.missing_until[persons] = np.where(miss, m + rng.integers(lo, hi + 1, persons.size) - 1, -1)
    st.integrated_flag[persons] = rng.random(persons.size) < pm["integrated_share"]
