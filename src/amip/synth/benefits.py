"""Leistungsanspruch per Bedarfsgemeinschaft and month (table ``benefits``).

Regelbedarf (RB) of the ELB by Regelbedarfsstufe, Sozialgeld (SG) of the children, Mehrbedarfe
(MB: single parents, decentral warm water, disabled persons in a REHA measure), occasional
Einmalleistungen (EL), rent and heating (KDU) by BG size and other § 22 benefits (KDU_SONST).
Earnings of members are deducted after the allowances of § 11b (first from RB, SG, MB, then KDU).
Partial months are paid pro rata.
"""

from __future__ import annotations

import numpy as np

from amip.synth.households import CHILD, NO_DAY, Population

BENEFIT_TYPES = ("RB", "SG", "MB", "EL", "KDU", "KDU_SONST")


def regelbedarf(params: dict, year: int) -> float:
    table = params["regelbedarf"]["rbs1"]
    if str(year) not in table:
        raise ValueError(f"preset has no Regelbedarf for {year}")
    return float(table[str(year)])


def month_benefits(
    rng,
    params: dict,
    pop: Population,
    m: int,
    d0: int,
    d1: int,
    bg_start: np.ndarray,
    bg_exit_day: np.ndarray,
    p_in: np.ndarray,
    leaving: np.ndarray,
    gross: np.ndarray,
    reha: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rb_cfg, ben = params["regelbedarf"], params["benefits"]
    year = m // 12
    rb1 = regelbedarf(params, year)
    nd = d1 - d0 + 1
    persons = np.concatenate([np.flatnonzero(p_in), leaving]).astype(np.int64)
    bgs = np.unique(pop.p_bg[persons])
    start = np.maximum(bg_start[bgs], d0)
    end = np.where(bg_exit_day[bgs] != NO_DAY, bg_exit_day[bgs], d1)
    end = np.minimum(end, d1)
    days = end - start + 1
    keep = days > 0
    bgs, days = bgs[keep], days[keep]
    n = bgs.size
    pos = np.full(pop.n_bg, -1, np.int64)
    pos[bgs] = np.arange(n)
    persons = persons[pos[pop.p_bg[persons]] >= 0]
    slot = pos[pop.p_bg[persons]]
    frac = days / nd

    # Regelbedarf of the ELB members
    btype = pop.bg_type[pop.p_bg[persons]]
    role = pop.p_role[persons]
    age = (d0 - pop.p_birth[persons]) / 365.25
    ratio = np.where(
        role == CHILD,
        np.where(age < 18, rb_cfg["youth_ratio"], np.where(age < 25, rb_cfg["adult_child_ratio"], 1.0)),
        np.where(np.isin(btype, [2, 3]), rb_cfg["partner_ratio"], 1.0),
    )
    rb = np.bincount(slot, ratio, n) * rb1
    members = np.bincount(slot, None, n)

    # Sozialgeld of the children
    kb = pop.bg_kid_birth[bgs]
    kage = np.where(kb != NO_DAY, (d0 - kb) / 365.25, np.nan)
    valid = kage < 18
    kr = np.where(
        kage < 6, rb_cfg["child_ratio_0_5"], np.where(kage < 14, rb_cfg["child_ratio_6_13"], rb_cfg["child_ratio_14"])
    )
    sg = np.where(valid, kr, 0.0).sum(1) * rb1
    nk = valid.sum(1)

    # Mehrbedarfe
    k7 = (valid & (kage < 7)).sum(1)
    k16 = (valid & (kage < 16)).sum(1)
    sp = (pop.bg_type[bgs] == 1) & (nk > 0)
    high = (k7 >= 1) | ((k16 >= 2) & (k16 <= 3))
    mb = (
        np.where(
            sp,
            np.where(high, ben["single_parent_mb_high"], np.minimum(ben["single_parent_mb_per_child"] * nk, 0.6)),
            0.0,
        )
        * rb1
    )
    mb += np.where(pop.bg_warm_water[bgs], ben["warm_water_ratio"] * (rb + sg), 0.0)
    dis = reha[persons] & pop.p_disabled[persons]
    mb += np.bincount(slot, dis.astype(float), n) * ben["disabled_in_measure_ratio"] * rb1

    el = np.where(rng.random(n) < ben["el_probability"], rng.uniform(*ben["el_amount"], n), 0.0)
    size = np.clip(members + nk, 1, 6)
    rent = np.asarray(ben["rent_2019"], float)[size - 1] * (1 + ben["rent_growth_per_year"]) ** (year - 2019)
    kdu = rent * pop.bg_rent_factor[bgs]
    kdu_s = np.where(rng.random(n) < ben["kdu_sonst_probability"], rng.uniform(*ben["kdu_sonst_amount"], n), 0.0)

    # earnings (§ 11b allowances)
    g = gross[persons]
    cap2 = np.where(nk[slot] > 0, 1500.0, 1200.0)
    allow = (
        np.where(g > 0, ben["basic_allowance"], 0.0)
        + ben["allowance_rate_1"] * np.clip(np.minimum(g, 1000) - 100, 0, None)
        + ben["allowance_rate_2"] * np.clip(np.minimum(g, cap2) - 1000, 0, None)
    )
    net = np.where(g <= 450, g, g * ben["net_share"])
    income = np.bincount(slot, np.clip(net - allow, 0, None), n)
    parts = []
    for amount in (rb, sg, mb, kdu):
        take = np.minimum(amount, income)
        parts.append(amount - take)
        income = income - take
    rb, sg, mb, kdu = parts

    amounts = np.stack([rb, sg, mb, el, kdu, kdu_s]) * frac
    amounts = np.round(amounts, 2)
    t_idx, b_idx = np.nonzero(amounts > 0)
    return bgs[b_idx], t_idx, amounts[t_idx, b_idx]
