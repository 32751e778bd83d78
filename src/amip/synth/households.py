"""Who lives in the simulated job center: Bedarfsgemeinschaften (BG) and their members.

All BGs that will ever enter receipt are drawn up front (the initial stock and the first entries
of every month, Poisson), each with its members, so the monthly loop of :mod:`amip.synth.model`
only changes states. Members of a BG are stored contiguously (``bg_first``, ``bg_size``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from amip.synth.months import first_day, month_index

TYPES = ("single", "single_parent", "couple", "couple_kids", "parent_child")
HEAD, PARTNER, CHILD = 0, 1, 2
MAX_KIDS = 4
NO_DAY = -(10**6)


@dataclass
class Population:
    # BGs
    bg_type: np.ndarray  # index into TYPES
    bg_arrival: np.ndarray  # month index of the first entry (initial stock: simulate_from)
    bg_initial_months: np.ndarray  # months already in receipt (initial stock), else 0
    bg_first: np.ndarray  # index of the first member (the head)
    bg_size: np.ndarray  # number of ELB members
    bg_kid_birth: np.ndarray  # (B, MAX_KIDS) epoch days, NO_DAY where no child
    bg_rent_factor: np.ndarray
    bg_warm_water: np.ndarray
    bg_refugee: np.ndarray
    bg_office: np.ndarray
    # persons
    p_bg: np.ndarray
    p_role: np.ndarray
    p_sex: np.ndarray  # 0 m, 1 w, 2 d
    p_birth: np.ndarray  # epoch days
    p_disabled: np.ndarray
    p_refugee: np.ndarray
    p_qualified: np.ndarray

    @property
    def n_bg(self) -> int:
        return self.bg_type.size

    @property
    def n_persons(self) -> int:
        return self.p_bg.size


def _uniform_bins(rng, bins, weights, n) -> np.ndarray:
    """Ages drawn from piecewise-uniform bins (edges ``bins``, one weight per bin)."""
    w = np.asarray(weights, float)
    k = rng.choice(w.size, size=n, p=w / w.sum())
    lo, hi = np.asarray(bins[:-1], float)[k], np.asarray(bins[1:], float)[k]
    return lo + rng.random(n) * (hi - lo)


def _age_group(age: np.ndarray) -> np.ndarray:
    return np.where(age < 25, 0, np.where(age < 55, 1, 2))


def draw_population(rng: np.random.Generator, params: dict, last_month: int) -> Population:
    meta, pop, hh, pp = params["meta"], params["population"], params["households"], params["persons"]
    start = month_index(meta["simulate_from"])

    # -- arrival months -------------------------------------------------------------------------
    n0 = int(pop["initial_bgs"])
    arrival = [np.full(n0, start, np.int64)]
    refugee = [np.zeros(n0, bool)]
    season = np.asarray(pop["entry_season"], float)
    rates = pop["new_bgs_per_month"]
    for m in range(start, last_month + 1):
        year = str(m // 12)
        if year not in rates:
            raise ValueError(f"preset has no new_bgs_per_month for {year}")
        k = rng.poisson(rates[year] * season[m % 12])
        arrival.append(np.full(k, m, np.int64))
        refugee.append(np.zeros(k, bool))
    for wave in pop.get("refugee_waves", []):
        m0 = month_index(wave["month"])
        months = m0 + rng.integers(0, int(wave["spread_months"]), size=int(wave["bgs"]))
        months = months[(months >= start) & (months <= last_month)]
        arrival.append(np.sort(months))
        refugee.append(np.ones(months.size, bool))
    bg_arrival = np.concatenate(arrival)
    bg_refugee = np.concatenate(refugee)
    order = np.argsort(bg_arrival, kind="stable")
    bg_arrival, bg_refugee = bg_arrival[order], bg_refugee[order]
    B = bg_arrival.size
    initial = bg_arrival == start
    initial[n0:] = False  # only the first n0 (stable sort keeps them first)
    initial[:n0] = True

    # -- BG types, size and head age ------------------------------------------------------------
    shares = np.asarray(hh["shares"], float)
    rshares = np.asarray(hh["refugee_shares"], float)
    bg_type = rng.choice(len(TYPES), size=B, p=shares / shares.sum())
    rt = rng.choice(len(TYPES), size=B, p=rshares / rshares.sum())
    bg_type = np.where(bg_refugee, rt, bg_type)
    n_adults = np.where(np.isin(bg_type, [2, 3]), 2, 1) + (bg_type == 4)
    bg_size = n_adults.astype(np.int64)

    entry_day = first_day(bg_arrival) + rng.integers(0, 28, size=B)
    head_age = np.empty(B)
    for t, name in enumerate(TYPES):
        sel = bg_type == t
        head_age[sel] = _uniform_bins(rng, pp["age_bins"], pp["age_weights"][name], int(sel.sum()))
    init_age = _uniform_bins(rng, pp["age_bins"], pp["initial_age_weights"], B)
    # initial singles/couples follow the older profile of the long-term stock
    older = initial & np.isin(bg_type, [0, 2])
    head_age = np.where(older, init_age, head_age)
    init_months = np.zeros(B, np.int64)
    long = rng.random(B) < pop["initial_long_share"]
    lm, sm = pop["initial_long_months"], pop["initial_short_months"]
    init_months[initial] = np.where(
        long[initial], rng.integers(lm[0], lm[1] + 1, size=B)[initial], rng.integers(sm[0], sm[1] + 1, size=B)[initial]
    )
    # the head's age at the (earlier) entry of the initial stock: age now minus months in receipt
    # is not needed; ages refer to the arrival day (simulate_from for the initial stock).

    # -- children (Sozialgeld) ------------------------------------------------------------------
    kids = np.zeros(B, np.int64)
    ch = hh["children"]
    for t, key in ((1, "single_parent"), (3, "couple_kids")):
        sel = bg_type == t
        kids[sel] = rng.choice(ch["counts"], size=int(sel.sum()), p=np.asarray(ch[key]) / np.sum(ch[key]))
    youngest = rng.uniform(*hh["youngest_child_age"], size=B)
    # a parent is at least 18 older than the youngest child
    head_age = np.where(kids > 0, np.maximum(head_age, youngest + 18 + rng.random(B) * 4), head_age)
    kid_age = np.full((B, MAX_KIDS), np.nan)
    age = youngest.copy()
    for k in range(MAX_KIDS):
        kid_age[:, k] = np.where(k < kids, age, np.nan)
        age = age + rng.uniform(*hh["sibling_gap"], size=B)
    kid_age = np.where(kid_age > 17.5, np.nan, kid_age)  # older children are not in the BG
    kid_birth = np.where(np.isnan(kid_age), NO_DAY, entry_day[:, None] - np.nan_to_num(kid_age * 365.25)).astype(
        np.int64
    )

    # -- persons ----------------------------------------------------------------------------------
    P = int(bg_size.sum())
    bg_first = np.concatenate([[0], np.cumsum(bg_size)[:-1]]).astype(np.int64)
    p_bg = np.repeat(np.arange(B), bg_size)
    slot = np.arange(P) - bg_first[p_bg]
    p_type = bg_type[p_bg]
    p_role = np.where(slot == 0, HEAD, np.where(p_type == 4, CHILD, PARTNER))

    women = hh["women_share"]
    head_w = np.zeros(B, bool)
    for t, key in ((0, "single"), (1, "single_parent"), (4, "parent_child")):
        sel = bg_type == t
        head_w[sel] = rng.random(int(sel.sum())) < women[key]
    # couples: head is the man, partner the woman (a few the other way round)
    swap = rng.random(B) < 0.12
    head_w = np.where(np.isin(bg_type, [2, 3]), swap, head_w)
    p_w = np.where(p_role == HEAD, head_w[p_bg], np.where(p_role == PARTNER, ~head_w[p_bg], rng.random(P) < 0.5))
    p_sex = p_w.astype(np.int64)
    p_sex[rng.random(P) < pp["diverse_share"]] = 2

    gap = hh["partner_age_gap"]
    partner_age = np.clip(head_age[p_bg] + rng.normal(gap["mean"], gap["sd"], size=P), 18, 64)
    child_age = rng.uniform(hh["adult_child_age"][0], hh["adult_child_age"][1] + 1, size=P)
    p_age = np.where(p_role == HEAD, head_age[p_bg], np.where(p_role == PARTNER, partner_age, child_age))
    # the head of a parent_child BG is at least 18 years older than the ELB child
    child_of = np.where(p_role == CHILD, p_bg, -1)
    need = np.zeros(B)
    np.maximum.at(need, p_bg[p_role == CHILD], child_age[p_role == CHILD] + 18)
    p_age = np.where(p_role == HEAD, np.maximum(p_age, need[p_bg]), p_age)
    del child_of
    p_age = np.minimum(p_age, 64.5)
    p_birth = (entry_day[p_bg] - p_age * 365.25 - rng.integers(0, 30, size=P)).astype(np.int64)

    group = _age_group(p_age)
    p_disabled = rng.random(P) < np.asarray(pp["severely_disabled"])[group]
    p_refugee = bg_refugee[p_bg]
    q = np.where(p_refugee, pp["refugee_vocational_qualification"], np.asarray(pp["vocational_qualification"])[group])
    p_qualified = rng.random(P) < q

    ben = params["benefits"]
    rent_factor = np.exp(rng.normal(0, ben["rent_spread_sd"], size=B))
    warm_water = rng.random(B) < ben["warm_water_share"]
    offices = params["caseload"]["offices"]
    osh = np.asarray([o["share"] for o in offices], float)
    bg_office = rng.choice(len(offices), size=B, p=osh / osh.sum())

    return Population(
        bg_type=bg_type,
        bg_arrival=bg_arrival,
        bg_initial_months=init_months,
        bg_first=bg_first,
        bg_size=bg_size,
        bg_kid_birth=kid_birth,
        bg_rent_factor=rent_factor,
        bg_warm_water=warm_water,
        bg_refugee=bg_refugee,
        bg_office=bg_office,
        p_bg=p_bg,
        p_role=p_role,
        p_sex=p_sex,
        p_birth=p_birth,
        p_disabled=p_disabled,
        p_refugee=p_refugee,
        p_qualified=p_qualified,
    )
