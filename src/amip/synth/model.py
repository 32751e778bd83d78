"""The microsimulation: Bedarfsgemeinschaften enter and leave SGB II receipt month by month.

One loop over months; within a month every step is a vectorised numpy operation over persons or
BGs. The steps of a month m (with ``ST(m)`` its last day):

1. members who pass the Regelaltersgrenze leave the ELB stock (pension);
2. ELB in stock at ST(m-1) may take up employment (an integration: svb, ausbildung, selbst) with a
   probability that depends on their Integrationsprognose, sex, age, duration in receipt,
   qualification, disability, single parenthood, season, year and current or past measures;
   some integrations are accompanied (EGZ, ESG, ELA, ABH), some followed a placement proposal;
3. an integration ends the receipt of the BG with a probability (else the BG stays as Aufstocker);
   other BGs leave for other reasons with a duration-dependent hazard;
4. jobs end; Minijobs (gb) start among ELB;
5. measures end and start (and change the integration probability while running and afterwards);
6. new BGs arrive and former BGs return (more often when the job that ended receipt ended);
7. the Integrationsprognose of every ELB is updated (a prognosis row when it changes);
8. benefits of every BG with receipt in m are computed from the Regelbedarf of the year, rents,
   Mehrbedarfe and earnings.

The model never looks at calibration targets; it only uses the preset's parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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
    spells: dict[str, np.ndarray]        # person, bg, start, end (NO_DAY = open), single_parent
    jobs: dict[str, np.ndarray]          # person, kind, start, end, accompanied, gross
    measures: dict[str, np.ndarray]      # person, instrument, start, end, cost
    prognosis: dict[str, np.ndarray]     # person, day, code, goal
    benefits: dict[str, np.ndarray]      # bg, month, type, amount
    exits: dict[str, np.ndarray]         # person, day (last day in receipt)
    integrations: dict[str, np.ndarray]  # person, day (job start), kind
    aenderungen: dict[str, np.ndarray]   # person, day
    proposals: dict[str, np.ndarray]     # person, day, hired
    kom_starts: dict[int, int]           # month -> number of § 16a starts
    instruments: tuple[str, ...]
    stock: dict[int, int]                # month -> ELB stock at ST(m) (diagnostics)


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


def simulate(params: dict, rng: np.random.Generator, last: int,
             progress: Callable[[str], None] | None = None) -> Simulation:
    say = progress or (lambda _s: None)
    meta = params["meta"]
    S = month_index(meta["simulate_from"])
    pop = draw_population(rng, params, last)
    B, P = pop.n_bg, pop.n_persons
    pi, pe, pr, pm = params["integration"], params["exits"], params["returns"], params["prognosis"]
    mj, eae = params["minijobs"], params["employment_at_entry"]
    meas_cfg = params["measures"]
    instruments = tuple(k for k in meas_cfg if isinstance(meas_cfg[k], dict) and "start" in meas_cfg[k])
    acc_cfg = params["accompanying"]
    all_codes = instruments + tuple(acc_cfg)
    code_of = {c: i for i, c in enumerate(all_codes)}

    # ---- state --------------------------------------------------------------------------------
    bg_in = np.zeros(B, bool)
    bg_months = np.zeros(B, np.int64)          # Stichtage in the current spell
    bg_start = np.full(B, NO_DAY, np.int64)
    bg_exit_month = np.full(B, -1, np.int64)
    bg_exit_kind = np.zeros(B, np.int64)
    bg_job_lost = np.zeros(B, bool)
    bg_kids = (pop.bg_kid_birth != NO_DAY)

    p_in = np.zeros(P, bool)
    p_active = np.ones(P, bool)
    p_spell_start = np.full(P, NO_DAY, np.int64)
    p_sp = np.zeros(P, bool)
    p_job = np.zeros(P, np.int64)
    p_job_rec = np.full(P, -1, np.int64)
    p_job_start = np.full(P, NO_DAY, np.int64)
    p_job_plan_end = np.full(P, NO_DAY, np.int64)
    p_meas = np.full(P, -1, np.int64)
    p_meas_rec = np.full(P, -1, np.int64)
    p_meas_end = np.full(P, NO_DAY, np.int64)
    p_after_until = np.full(P, -1, np.int64)
    p_after_factor = np.ones(P)
    p_prog = np.full(P, -1, np.int64)
    p_z = np.zeros(P, bool)
    p_mn = np.zeros(P, bool)
    p_x_until = np.full(P, -1, np.int64)
    p_iflag = np.zeros(P, bool)
    # (unused draw, formerly p_fm: kept so the seeded random stream and the synthetic data stay the same)
    rng.random(P)
    p_limit = pension_month(pop.p_birth)
    p_women = pop.p_sex == 1
    p_men = pop.p_sex == 0
    p_bgtype = pop.bg_type[pop.p_bg]
    sp_role = p_bgtype == 1
    head_of = pop.bg_first

    spells = Ledger(person=np.int64, bg=np.int64, start=np.int64, end=np.int64, single_parent=bool)
    p_spell_rec = np.full(P, -1, np.int64)
    jobs = Ledger(person=np.int64, kind=np.int64, start=np.int64, end=np.int64, accompanied=bool, gross=np.float64)
    meas = Ledger(person=np.int64, instrument=np.int64, start=np.int64, end=np.int64, cost=np.float64)
    prog = Chunks("person", "day", "code", "goal")
    bens = Chunks("bg", "month", "type", "amount")
    exits = Chunks("person", "day")
    ints = Chunks("person", "day", "kind")
    aend = Chunks("person", "day")
    props = Chunks("person", "day", "hired")
    kom: dict[int, int] = {}
    stock: dict[int, int] = {}

    goal_p = np.array([pm["integration_goal"][c] for c in PROGNOSIS])
    base_int = np.array([pi["prognosis"][c] for c in PROGNOSIS])
    prop_p = np.array([params["proposals"]["probability"][c] for c in PROGNOSIS])

    def open_spells(persons: np.ndarray, days: np.ndarray) -> None:
        if persons.size == 0:
            return
        p_in[persons] = True
        p_spell_start[persons] = days
        bg = pop.p_bg[persons]
        # single parent of this BG: head of a single-parent BG with a child under 18, or head of a
        # parent_child BG whose ELB child is under 18
        kid18 = ((pop.bg_kid_birth[bg] != NO_DAY) & (days[:, None] - pop.bg_kid_birth[bg] < 18 * 365.25)).any(1)
        sp = (pop.p_role[persons] == HEAD) & ((sp_role[persons] & kid18) | (
            (p_bgtype[persons] == 4) & _minor_child(pop, bg, days)))
        p_sp[persons] = sp
        p_spell_rec[persons] = spells.add(person=persons, bg=bg, start=days, end=np.full(persons.size, NO_DAY),
                                          single_parent=sp)

    def close_spells(persons: np.ndarray, days: np.ndarray) -> None:
        if persons.size == 0:
            return
        p_in[persons] = False
        spells.set("end", p_spell_rec[persons], days)
        exits.add(person=persons, day=days)
        # running (non-accompanying) measures end with the receipt
        mm = persons[p_meas[persons] >= 0]
        if mm.size:
            d = days[p_meas[persons] >= 0]
            rec = p_meas_rec[mm]
            st = meas["start"][rec]
            end = np.maximum(st, np.minimum(p_meas_end[mm], d))
            meas.set("end", rec, end)
            months = np.maximum(1, np.round((end - st + 1) / 30.44))
            meas.set("cost", rec, _costs(meas["instrument"][rec], months))
            p_meas[mm] = -1

    cost_month = np.array([float(meas_cfg[c]["cost"]) for c in instruments] + [float(acc_cfg[c]["cost"]) for c in acc_cfg])

    def _costs(instr: np.ndarray, months: np.ndarray) -> np.ndarray:
        return np.round(cost_month[instr] * months, 2)

    def start_job(persons: np.ndarray, kind: np.ndarray, days: np.ndarray, gross: np.ndarray,
                  accompanied: np.ndarray) -> None:
        if persons.size == 0:
            return
        old = persons[p_job[persons] != NONE]
        if old.size:
            d_old = days[p_job[persons] != NONE]
            rec = p_job_rec[old]
            jobs.set("end", rec, np.maximum(jobs["start"][rec], d_old - 1))
        p_job[persons] = kind
        p_job_start[persons] = days
        p_job_rec[persons] = jobs.add(person=persons, kind=kind, start=days, end=np.full(persons.size, NO_DAY),
                                      accompanied=accompanied, gross=np.round(gross, 2))
        plan = np.full(persons.size, NO_DAY)
        a = kind == AUSB
        if a.any():
            plan[a] = days[a] + (rng.integers(pi["ausbildung_months"][0], pi["ausbildung_months"][1] + 1, a.sum()) * 30.44).astype(np.int64)
        p_job_plan_end[persons] = plan

    def add_measure(persons, instr_code: str, days, months) -> np.ndarray:
        code = code_of[instr_code]
        end = days + np.round(months * 30.44).astype(np.int64) - 1
        return meas.add(person=persons, instrument=np.full(persons.size, code), start=days, end=end,
                        cost=_costs(np.full(persons.size, code), months))

    # ---- the initial stock: in receipt at ST(S-1) ---------------------------------------------
    init = np.arange(int(params["population"]["initial_bgs"]))
    init_start = first_day(S - pop.bg_initial_months[init]) + rng.integers(0, 28, init.size) - 31
    bg_in[init] = True
    bg_months[init] = pop.bg_initial_months[init] + 1
    bg_start[init] = init_start
    members = np.flatnonzero(np.isin(pop.p_bg, init))
    open_spells(members, bg_start[pop.p_bg[members]])
    _set_prognosis_latents(rng, pop, params, members, bg_months, S - 1, p_z, p_mn, p_x_until, p_iflag, bg_kids)
    p_x_until[members] = -1
    initial_flag = np.zeros(B, bool)
    initial_flag[init] = True

    instr_elig_names = {c: meas_cfg[c]["eligible"] for c in instruments}

    for m in range(S, last + 1):
        if (m - S) % 12 == 0:
            say(f"simulating {m // 12}")
        d0, d1 = first_day(m), last_day(m)
        nd = d1 - d0 + 1
        year, moy = m // 12, m % 12

        # 1. pension ----------------------------------------------------------------------------
        ret = np.flatnonzero(p_in & (p_limit < m))
        if ret.size:
            p_active[ret] = False
            close_spells(ret, np.full(ret.size, d0 - 1))
            left = np.unique(pop.p_bg[ret])
            still = np.zeros(B, bool)
            still[pop.p_bg[p_in]] = True
            gone = left[~still[left]]
            bg_in[gone] = False
            bg_exit_month[gone] = m
            bg_exit_kind[gone] = EXIT_GONE
        p_active[p_limit < m] = False

        idx = np.flatnonzero(p_in)
        bgx = pop.p_bg[idx]
        age = _age_years(pop.p_birth[idx], d0)
        grp = _group(age)
        dur = bg_months[bgx]

        # 2. integrations -------------------------------------------------------------------------
        code = np.clip(p_prog[idx], 0, 4)
        h = base_int[code]
        h = h * np.where(p_men[idx], pi["men_factor"], np.where(p_women[idx], pi["women_factor"], 1.0))
        h *= np.asarray(pi["age_factor"])[grp]
        h *= _lookup(dur, pi["duration_bins"], pi["duration_factor"])
        h *= np.where(pop.p_qualified[idx], 1.0, pi["no_qualification_factor"])
        h *= np.where(pop.p_disabled[idx], pi["severely_disabled_factor"], 1.0)
        h *= np.where(pop.p_refugee[idx], pi["refugee_factor"], 1.0)
        h *= np.where(p_sp[idx], pi["single_parent_factor"], 1.0)
        h *= pi["season"][moy] * _year(pi["year_factor"], year)
        cur = p_meas[idx]
        during = np.array([meas_cfg[c]["during"] for c in instruments])
        h *= np.where(cur >= 0, during[np.clip(cur, 0, None)], np.where(p_after_until[idx] >= m, p_after_factor[idx], 1.0))
        h *= np.where(age >= 15, 1.0, 0.0)
        hit = rng.random(idx.size) < h
        ip = idx[hit]
        ig = grp[hit]
        shares = np.where((ig == 0)[:, None], np.asarray(pi["kind_shares_u25"]), np.asarray(pi["kind_shares_25"]))
        u = rng.random(ip.size)
        kind = np.where(u < shares[:, 0], SVB, np.where(u < shares[:, 0] + shares[:, 1], AUSB, SELBST))
        t = d0 + rng.integers(0, nd, ip.size)
        gsv, gau, gse = pi["gross"]["svb"], pi["gross"]["ausbildung"], pi["gross"]["selbst"]
        med = np.select([kind == SVB, kind == AUSB], [gsv[0], gau[0]], gse[0])
        sig = np.select([kind == SVB, kind == AUSB], [gsv[1], gau[1]], gse[1])
        gross = med * np.exp(rng.normal(0, 1, ip.size) * sig)
        acc = pi["accompanied"]
        pacc = np.select([kind == SVB, kind == AUSB], [acc["svb"], acc["ausbildung"]], acc["selbst"])
        accompanied = rng.random(ip.size) < pacc
        long_term = bg_months[pop.p_bg[ip]] >= 24
        ela = (kind == SVB) & ~accompanied & long_term & (rng.random(ip.size) < acc["ela_long_term"])
        accompanied |= ela
        start_job(ip, kind, t, gross, accompanied)
        ints.add(person=ip, day=t, kind=kind)
        for code_name, sel in (("EGZ", accompanied & (kind == SVB) & ~ela), ("ESG", accompanied & (kind == SELBST)),
                               ("ABH", accompanied & (kind == AUSB)), ("ELA", ela), ("GBB", ela)):
            if sel.any():
                lo, hi = acc_cfg[code_name]["months"]
                add_measure(ip[sel], code_name, t[sel], rng.integers(lo, hi + 1, sel.sum()))
        via = (kind == SVB) & (rng.random(ip.size) < params["proposals"]["integration_via_proposal"])
        if via.any():
            db = params["proposals"]["days_before"]
            props.add(person=ip[via], day=t[via] - rng.integers(db[0], db[1] + 1, via.sum()),
                      hired=np.ones(via.sum(), bool))

        # 3. exits --------------------------------------------------------------------------------
        er = pi["ends_receipt"]
        q = np.select([kind == SVB, kind == AUSB], [er["svb"], er["ausbildung"]], er["selbst"])
        has_kids = bg_kids[pop.p_bg[ip]].any(1) | (pop.bg_size[pop.p_bg[ip]] > 1)
        q = q * np.where(has_kids, pi["ends_receipt_children_factor"], 1.0)
        ends = rng.random(ip.size) < q
        job_exit_day = np.full(B, NO_DAY, np.int64)
        eb = pop.p_bg[ip[ends]]
        te = t[ends]
        job_exit_day[eb] = te - 1 + (rng.random(te.size) * (d1 - te + 1)).astype(np.int64)  # in [t-1, d1-1]
        job_exit = job_exit_day != NO_DAY

        cand = np.flatnonzero(bg_in & ~job_exit)
        head = head_of[cand]
        hage = _age_years(pop.p_birth[head], d0)
        hx = pe["base"] * _lookup(bg_months[cand], pe["duration_bins"], pe["duration_factor"])
        hx *= np.asarray(pe["age_factor"])[_group(hage)] * np.where(hage >= 60, pe["age_60_factor"], 1.0)
        tf = np.array([pe["type_factor"][n] for n in ("single", "single_parent", "couple", "couple_kids", "parent_child")])
        hx *= tf[pop.bg_type[cand]]
        hx *= np.where(p_women[head], pe["women_factor"], 1.0)
        hx *= np.where(pop.p_disabled[head], pe["severely_disabled_factor"], 1.0)
        hx *= np.where(pop.bg_refugee[cand], pe["refugee_factor"], 1.0)
        svb_bg = np.zeros(B, bool)
        emp_in = idx[(p_job[idx] == SVB) | (p_job[idx] == SELBST)]
        svb_bg[pop.p_bg[emp_in]] = True
        hx *= np.where(svb_bg[cand], pe["employed_svb_factor"], 1.0)
        hx *= pe["season"][moy] * _year(pe["year_factor"], year)
        leave = cand[rng.random(cand.size) < hx]
        moved = rng.random(leave.size) < pe["moved_share"]
        other_day = d0 - 1 + rng.integers(0, nd, leave.size)

        out_bg = np.concatenate([np.flatnonzero(job_exit), leave])
        out_day = np.concatenate([job_exit_day[job_exit], other_day])
        out_kind = np.concatenate([np.full(job_exit.sum(), EXIT_JOB), np.where(moved, EXIT_MOVED, EXIT_OTHER)])
        bg_day = np.full(B, NO_DAY, np.int64)
        bg_day[out_bg] = out_day
        leaving = idx[bg_day[bgx] != NO_DAY]
        close_spells(leaving, bg_day[pop.p_bg[leaving]])
        bg_in[out_bg] = False
        bg_exit_month[out_bg] = m
        bg_exit_kind[out_bg] = out_kind
        bg_job_lost[out_bg] = False

        # 4. jobs end, Minijobs start ----------------------------------------------------------------
        holders = np.flatnonzero((p_job != NONE) & (p_job_start < d0))
        k = p_job[holders]
        ep = params["integration"]["end_probability"]
        early = (d0 - p_job_start[holders]) < 183
        pend = np.select([k == SVB, k == SELBST, k == AUSB, k == GB],
                         [np.where(early, ep["svb_early"], ep["svb"]), ep["selbst"], ep["ausbildung_dropout"], mj["end"]])
        stop = rng.random(holders.size) < pend
        fin = (k == AUSB) & (p_job_plan_end[holders] <= d1)
        stop |= fin
        sh = holders[stop]
        send = np.where(fin[stop], np.clip(p_job_plan_end[sh], d0, d1), d0 + rng.integers(0, nd, sh.size))
        send = np.maximum(send, p_job_start[sh])
        jobs.set("end", p_job_rec[sh], send)
        was_ausb_done = sh[fin[stop]]
        p_job[sh] = NONE
        p_job_rec[sh] = -1
        lost = sh[~p_in[sh]]
        bg_job_lost[pop.p_bg[lost][bg_exit_kind[pop.p_bg[lost]] == EXIT_JOB]] = True
        # after vocational training: many go on in insured employment
        follow = was_ausb_done[rng.random(was_ausb_done.size) < pi["after_ausbildung_svb"]]
        if follow.size:
            fd = np.clip(p_job_plan_end[follow], d0, d1) + 1
            start_job(follow, np.full(follow.size, SVB), fd, gsv[0] * np.exp(rng.normal(0, gsv[1], follow.size)),
                      np.zeros(follow.size, bool))

        idx = np.flatnonzero(p_in)
        free = idx[p_job[idx] == NONE]
        fa = _age_years(pop.p_birth[free], d0)
        hg = mj["start"] * np.asarray(mj["age_factor"])[_group(fa)] * np.where(p_women[free], mj["women_factor"], 1.0)
        gbp = free[rng.random(free.size) < hg]
        glim = mj["gross_from_2022_10"] if m >= month_index("2022-10") else mj["gross"]
        start_job(gbp, np.full(gbp.size, GB), d0 + rng.integers(0, nd, gbp.size),
                  rng.uniform(glim[0], glim[1], gbp.size), np.zeros(gbp.size, bool))

        # 5. measures -------------------------------------------------------------------------------
        run = np.flatnonzero((p_meas >= 0) & (p_meas_end <= d1))
        if run.size:
            ins = p_meas[run]
            p_after_until[run] = m + np.array([meas_cfg[c]["after_months"] for c in instruments])[ins]
            p_after_factor[run] = np.array([meas_cfg[c]["after"] for c in instruments])[ins]
            p_meas[run] = -1
        idx = np.flatnonzero(p_in)
        age = _age_years(pop.p_birth[idx], d0)
        dur = bg_months[pop.p_bg[idx]]
        yf = _year(meas_cfg.get("year_factor", {}), year)
        for j, c in enumerate(instruments):
            cfg = meas_cfg[c]
            freep = p_meas[idx] < 0
            el = _eligible(instr_elig_names[c], age, dur, p_prog[idx], pop.p_disabled[idx], pop.p_qualified[idx])
            go = idx[freep & el & (rng.random(idx.size) < cfg["start"] * yf)]
            if not go.size:
                continue
            months = rng.integers(cfg["months"][0], cfg["months"][1] + 1, go.size)
            days = d0 + rng.integers(0, nd, go.size)
            rec = add_measure(go, c, days, months)
            if c == "KOM":
                meas.set("cost", rec, np.nan)
                kom[m] = kom.get(m, 0) + int(go.size)
            if c == "TAM":
                add_measure(go, "GBB", days, rng.integers(acc_cfg["GBB"]["months"][0], acc_cfg["GBB"]["months"][1] + 1, go.size))
            p_meas[go] = j
            p_meas_rec[go] = rec
            p_meas_end[go] = meas["end"][rec]

        # 6. arrivals and returns -------------------------------------------------------------------
        new = np.flatnonzero((pop.bg_arrival == m) & ~initial_flag)
        back_c = np.flatnonzero(~bg_in & (bg_exit_month >= 0) & (bg_exit_month < m)
                                & np.isin(bg_exit_kind, [EXIT_JOB, EXIT_OTHER]))
        r = _lookup(m - bg_exit_month[back_c], pr["since_exit_bins"], pr["probability"])
        r = r * np.where(bg_job_lost[back_c], pr["job_lost_factor"], 1.0) * _year(pr.get("year_factor", {}), year)
        back = back_c[rng.random(back_c.size) < r]
        entering = np.concatenate([new, back])
        eday = d0 + rng.integers(0, nd, entering.size)
        bg_in[entering] = True
        bg_months[entering] = 0
        bg_start[entering] = eday
        bday = np.full(B, NO_DAY, np.int64)
        bday[entering] = eday
        ent_p = np.flatnonzero((bday[pop.p_bg] != NO_DAY) & p_active & (p_limit >= m))
        open_spells(ent_p, bday[pop.p_bg[ent_p]])
        nobody = np.ones(B, bool)
        nobody[pop.p_bg[ent_p]] = False
        empty = entering[nobody[entering]]
        bg_in[empty] = False  # everybody has reached pension age
        bg_exit_kind[empty] = EXIT_GONE
        # employment already held at entry (low wages: top-up)
        cand = ent_p[p_job[ent_p] == NONE]
        u = rng.random(cand.size)
        kk = np.where(u < eae["svb"], SVB, np.where(u < eae["svb"] + eae["gb"], GB,
                      np.where(u < eae["svb"] + eae["gb"] + eae["selbst"], SELBST, NONE)))
        sel = kk != NONE
        cp, kk = cand[sel], kk[sel]
        ed = bday[pop.p_bg[cp]]
        sdays = ed - rng.integers(eae["started_days_before"][0], eae["started_days_before"][1] + 1, cp.size)
        prev_exit = bg_exit_month[pop.p_bg[cp]]
        lb = np.where(prev_exit >= 0, first_day(np.maximum(prev_exit, 0) + 1), -(10**7))
        sdays = np.maximum(sdays, lb)
        ok = sdays < d0
        cp, kk, sdays = cp[ok], kk[ok], sdays[ok]
        g = np.select([kk == SVB, kk == GB], [eae["svb_gross"][0] * np.exp(rng.normal(0, eae["svb_gross"][1], cp.size)),
                                             rng.uniform(glim[0], glim[1], cp.size)], gse[0] * np.exp(rng.normal(0, gse[1], cp.size)))
        start_job(cp, kk, sdays, g, np.zeros(cp.size, bool))
        _set_prognosis_latents(rng, pop, params, ent_p, bg_months, m, p_z, p_mn, p_x_until, p_iflag, bg_kids)

        # 7. Stichtag: durations, prognosis -------------------------------------------------------
        bg_months[bg_in] += 1
        idx = np.flatnonzero(p_in)
        entered = np.zeros(P, bool)
        entered[ent_p] = True
        re = idx[~entered[idx] & (rng.random(idx.size) < pm["reassess"])]
        p_mn[re] = rng.random(re.size) < _lookup(bg_months[pop.p_bg[re]], pm["marktnah_bins"], pm["marktnah"])
        jobk = p_job[idx]
        newcode = np.where(p_x_until[idx] >= m, X,
                           np.where(((jobk == SVB) | (jobk == AUSB) | (jobk == SELBST)) & p_iflag[idx], INT,
                                    np.where(p_z[idx], Z, np.where(p_mn[idx], MN, NM))))
        changed = entered[idx] | (newcode != p_prog[idx])
        cp = idx[changed]
        cc = newcode[changed]
        vday = np.where(entered[cp], p_spell_start[cp], d0 + rng.integers(0, nd, cp.size))
        prog.add(person=cp, day=vday, code=cc, goal=rng.random(cp.size) < goal_p[cc])
        p_prog[idx] = newcode
        stock[m] = int(idx.size)

        # proposals, changes in circumstances
        pp = idx[rng.random(idx.size) < prop_p[newcode] * _year(pi["year_factor"], year)]
        props.add(person=pp, day=d0 + rng.integers(0, nd, pp.size), hired=np.zeros(pp.size, bool))
        ae = idx[rng.random(idx.size) < params["case_events"]["aenderung"]]
        aend.add(person=ae, day=d0 + rng.integers(0, nd, ae.size))

        # 8. benefits -------------------------------------------------------------------------------
        gross_now = np.where(p_job_rec >= 0, jobs.cols["gross"][np.clip(p_job_rec, 0, None)], 0.0)
        reha = p_meas == (instruments.index("REHA") if "REHA" in instruments else -99)
        b_bg, b_type, b_amt = month_benefits(rng, params, pop, m, d0, d1, bg_start, bg_day, p_in, leaving,
                                             gross_now, reha)
        bens.add(bg=b_bg, month=np.full(b_bg.size, m), type=b_type, amount=b_amt)

    return Simulation(
        pop=pop, params=params, start=S, last=last, spells=spells.frame(), jobs=jobs.frame(),
        measures=meas.frame(), prognosis=prog.frame(), benefits=bens.frame(), exits=exits.frame(),
        integrations=ints.frame(), aenderungen=aend.frame(), proposals=props.frame(), kom_starts=kom,
        instruments=all_codes, stock=stock,
    )


def _minor_child(pop: Population, bg: np.ndarray, days: np.ndarray) -> np.ndarray:
    """For parent_child BGs: is the ELB child (the second member) under 18 on ``days``?"""
    child = pop.bg_first[bg] + 1
    ok = (pop.bg_size[bg] > 1)
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


def _set_prognosis_latents(rng, pop: Population, params: dict, persons: np.ndarray, bg_months, m: int,
                           p_z, p_mn, p_x_until, p_iflag, bg_kids) -> None:
    """Draw the (re-)entry profile of ``persons``: not required (Z), marktnah, missing (X), I-flag."""
    if persons.size == 0:
        return
    pm = params["prognosis"]
    d = first_day(m)
    age = _age_years(pop.p_birth[persons], d)
    z = np.asarray(pm["not_required"])[_group(age)]
    z = np.where(age < 18, pm["not_required_pupil"], z)
    bg = pop.p_bg[persons]
    kb = pop.bg_kid_birth[bg]
    young = ((kb != NO_DAY) & (d - kb < 3 * 365.25)).any(1)
    carer = young & ((pop.p_role[persons] == HEAD) & (pop.bg_type[bg] == 1) | ((pop.p_sex[persons] == 1) & (pop.p_role[persons] == PARTNER)))
    z = np.where(carer, pm["not_required_young_child"], z)
    z = np.where(age >= 63, pm["not_required_age_63"], z)
    p_z[persons] = rng.random(persons.size) < z
    p_mn[persons] = rng.random(persons.size) < _lookup(bg_months[bg], pm["marktnah_bins"], pm["marktnah"])
    miss = rng.random(persons.size) < pm["missing_at_entry"]
    lo, hi = pm["missing_months"]
    p_x_until[persons] = np.where(miss, m + rng.integers(lo, hi + 1, persons.size) - 1, -1)
    p_iflag[persons] = rng.random(persons.size) < pm["integrated_share"]
