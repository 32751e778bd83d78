"""The administrative side of the simulated job center: caseload (offices, teams, integration
specialists), placement proposals, case events with their recording delays, monthly indicators
and the budget rows."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from amip.synth.households import NO_DAY
from amip.synth.months import add_years, month_text

OPEN = NO_DAY


def _dates(days: np.ndarray) -> pa.Array:
    from amip.synth.tables import _dates as d

    return d(days)


def _sorted(table: pa.Table, keys: list[str]) -> pa.Table:
    return table.sort_by([(k, "ascending") for k in keys])


def caseload(sim, rng, pid, s_person, s_start, s_end, hi) -> pa.Table:
    """One row per ELB spell and responsible IFK; a new row when a person turns 25 (U25 team to
    a 25+ team) and when the IFK changes within the team."""
    params, pop = sim.params, sim.pop
    cfg = params["caseload"]
    offices = cfg["offices"]
    office = pop.bg_office[pop.p_bg[s_person]]
    fm = rng.random(pop.n_persons) < cfg["fm_share"]
    pick = rng.random(pop.n_persons)  # which 25+ team / which IFK (stable per person)

    # rows: (person, office, start, end, u25)
    person, start, end = s_person.copy(), s_start.copy(), s_end.copy()
    b25 = add_years(pop.p_birth[person], 25)
    endv = np.where(end == OPEN, 10**8, end)
    cut = (b25 > start) & (b25 <= endv)
    person = np.concatenate([person, person[cut]])
    office = np.concatenate([office, office[cut]])
    new_start = np.concatenate([start, b25[cut]])
    new_end = np.concatenate([np.where(cut, b25 - 1, end), end[cut]])
    # IFK change within the team: one extra cut for a share of long rows
    e2 = np.where(new_end == OPEN, hi, new_end)
    months = (e2 - new_start) / 30.44
    change = rng.random(person.size) < 1 - (1 - cfg["caseworker_change"]) ** np.maximum(months, 0)
    change &= (e2 - new_start) > 2
    day = new_start + 1 + (rng.random(person.size) * np.maximum(e2 - new_start - 1, 1)).astype(np.int64)
    serial = np.concatenate([np.zeros(person.size, np.int64), np.ones(int(change.sum()), np.int64)])
    person2 = np.concatenate([person, person[change]])
    office2 = np.concatenate([office, office[change]])
    start2 = np.concatenate([new_start, day[change]])
    end2 = np.concatenate([np.where(change, day - 1, new_end), new_end[change]])

    u25 = (start2 - pop.p_birth[person2]) < (add_years(pop.p_birth[person2], 25) - pop.p_birth[person2])
    team_id = np.empty(person2.size, dtype=object)
    worker = np.empty(person2.size, dtype=object)
    for o, off in enumerate(offices):
        teams = off["teams"]
        by_kind = {k: [t for t in teams if t["kind"] == k] for k in ("u25", "ue25", "fm")}
        at = office2 == o
        kind = np.where(u25, "u25", np.where(fm[person2], "fm", "ue25"))
        for k, ts in by_kind.items():
            if not ts:
                continue
            sel = at & (kind == k)
            ti = np.minimum((pick[person2[sel]] * len(ts)).astype(int), len(ts) - 1)
            sizes = np.array([t["ifk"] for t in ts])
            w = np.floor((pick[person2[sel]] * 7919 + serial[sel] * 0.37) % 1 * sizes[ti]).astype(int)
            for i, t in enumerate(ts):
                tsel = np.flatnonzero(sel)[ti == i]
                if not tsel.size:  # a team without customers (a very small job center, --scale)
                    continue
                team_id[tsel] = f"{off['code']}-{t['id']}"
                worker[tsel] = np.char.add(
                    f"IFK-{off['code']}-{t['id']}-", np.char.zfill((w[ti == i] + 1).astype(str), 2)
                )
    end2 = _late_closures(person2, start2, end2, pick, cfg.get("late_closure_share", 0.0), hi)
    names = np.array([o["name"] for o in offices])
    return _sorted(
        pa.table(
            {
                "person_id": pid[person2],
                "caseworker_id": pa.array(worker.astype(str)),
                "team_id": pa.array(team_id.astype(str)),
                "office": names[office2],
                "start_date": _dates(start2),
                "end_date": _dates(end2),
            }
        ),
        ["person_id", "start_date"],
    )


def _late_closures(person, start, end, pick, share: float, hi: int) -> np.ndarray:
    """Cases closed late: for a ``share`` of closed rows the caseload stays open 31–120 days after
    the ELB spell ended (or is still open at the data cut-off), as long as the person's next row
    starts later. Chosen from the stable per-person draw ``pick`` (no new random numbers, so the
    other tables of a seed stay as they were)."""
    if share <= 0:
        return end
    order = np.lexsort((start, person))
    p, s, e = person[order], start[order], end[order]
    next_start = np.full(p.size, 10**8, np.int64)
    same = p[1:] == p[:-1]
    next_start[:-1] = np.where(same, s[1:], 10**8)
    u = (pick[p] * 104_729 + s * 0.618_034) % 1.0
    late = (e != OPEN) & (u < share)
    extra = 31 + ((pick[p] * 7_919 + s * 0.414_214) % 1.0 * 90).astype(np.int64)
    new_end = e + extra
    late &= new_end < next_start
    e = np.where(late, np.where(new_end > hi, OPEN, new_end), e)
    out = np.empty_like(end)
    out[order] = e
    return out


def proposals(sim, rng, pid, known, lo, hi) -> pa.Table:
    cfg = sim.params["proposals"]
    p = sim.proposals
    k = known[p["person"]] & (p["day"] >= lo) & (p["day"] <= hi)
    person, day, hired = p["person"][k], p["day"][k], p["hired"][k].astype(bool)
    sh = cfg["outcome_shares"]
    u = rng.random(person.size)
    outcome = np.where(
        u < sh["eingestellt"], "eingestellt", np.where(u < sh["eingestellt"] + sh["abgelehnt"], "abgelehnt", "offen")
    )
    # recent proposals are more often still open
    recent = (hi - day) < 45
    outcome = np.where(recent & (rng.random(person.size) < 0.6), "offen", outcome)
    outcome = np.where(hired, "eingestellt", outcome)
    size = (
        np.round(np.exp(rng.normal(cfg["employer_size"][0], cfg["employer_size"][1], person.size))).astype(np.int64) + 1
    )
    agency = rng.random(person.size) < cfg["staffing_agency"]
    size = np.where(agency, np.maximum(size, 20), size)
    unknown = rng.random(person.size) < 0.03
    t = pa.table(
        {
            "person_id": pid[person],
            "date": _dates(day),
            "employer_size": pa.array(size, pa.int64(), mask=unknown),
            "staffing_agency": agency,
            "outcome": outcome,
        }
    )
    t = _sorted(t, ["date", "person_id", "outcome"])
    ids = np.char.add("VV", np.char.zfill(np.arange(1, t.num_rows + 1).astype(str), 7))
    return t.add_column(0, "proposal_id", pa.array(ids))


def _delays(rng, n: int, mean: float, late_share: float, late_days) -> np.ndarray:
    d = np.round(rng.exponential(mean, n)).astype(np.int64)
    late = rng.random(n) < late_share
    return np.where(late, rng.integers(late_days[0], late_days[1] + 1, n), d)


def case_events(sim, rng, pid, known, s_person, s_start, lo, hi) -> pa.Table:
    cfg = sim.params["case_events"]
    parts = []
    # exits: an interruption when the person returns within a few months, else a closure
    ex = sim.exits
    person, day = ex["person"], ex["day"] + 1
    order = np.lexsort((s_start, s_person))
    sp_p, sp_s = s_person[order], s_start[order]
    i = np.searchsorted(sp_p * 10**7 + (sp_s + 10**6), person * 10**7 + (day + 10**6))
    i = np.minimum(i, sp_p.size - 1)
    back = (sp_p[i] == person) & (sp_s[i] >= day) & (sp_s[i] - day <= cfg["unterbrechung_within_months"] * 30.44)
    kind = np.where(back, "unterbrechung", "abschluss")
    parts.append((person, day, kind))
    parts.append(
        (sim.integrations["person"], sim.integrations["day"], np.full(sim.integrations["person"].size, "integration"))
    )
    parts.append(
        (sim.aenderungen["person"], sim.aenderungen["day"], np.full(sim.aenderungen["person"].size, "aenderung"))
    )
    person = np.concatenate([p[0] for p in parts]).astype(np.int64)
    day = np.concatenate([p[1] for p in parts]).astype(np.int64)
    kind = np.concatenate([p[2] for p in parts]).astype(str)
    delay = np.zeros(person.size, np.int64)
    for k in ("aenderung", "unterbrechung", "abschluss", "integration"):
        sel = kind == k
        delay[sel] = _delays(rng, int(sel.sum()), cfg["delay_mean"][k], cfg["late_share"][k], cfg["late_days"])
    rec = day + delay
    keep = known[person] & (day >= lo) & (rec <= hi)
    return _sorted(
        pa.table(
            {
                "person_id": pid[person[keep]],
                "event_type": kind[keep],
                "event_date": _dates(day[keep]),
                "recorded_date": _dates(rec[keep]),
            }
        ),
        ["person_id", "event_date", "event_type", "recorded_date"],
    )


def indicators(sim, rng, first: int, last: int) -> pa.Table:
    cfg = sim.params["indicators"]
    jc = str(sim.params["meta"]["jobcenter_id"])
    rows = {"jobcenter_id": [], "month": [], "indicator": [], "value": []}
    for m in range(first, last + 1):
        for name in ("fehlerquote_kdu", "fehlerquote_but", "kundenzufriedenheit", "prozessqualitaet"):
            mean, sd = cfg[name]
            value = max(0.0, float(rng.normal(mean, sd)))
            rows["jobcenter_id"].append(jc)
            rows["month"].append(month_text(m))
            rows["indicator"].append(name)
            rows["value"].append(round(value, 1 if name != "kundenzufriedenheit" else 2))
        rows["jobcenter_id"].append(jc)
        rows["month"].append(month_text(m))
        rows["indicator"].append("einschaltungen_16a")
        rows["value"].append(float(sim.kom_starts.get(m, 0)))
    t = pa.table(
        rows,
        schema=pa.schema(
            [("jobcenter_id", pa.string()), ("month", pa.string()), ("indicator", pa.string()), ("value", pa.float64())]
        ),
    )
    return _sorted(t, ["month", "indicator"])


def budget(params: dict) -> pa.Table:
    """The allocations/estimates of the preset exactly, and the EGL plan per instrument (whole
    euros that add up to the year's EGL amount)."""
    jc = str(params["meta"]["jobcenter_id"])
    cfg = params["budget"]
    rows = {"jobcenter_id": [], "year": [], "title": [], "kind": [], "instrument": [], "amount_eur": []}

    def add(year, title, kind, instrument, amount):
        rows["jobcenter_id"].append(jc)
        rows["year"].append(int(year))
        rows["title"].append(title)
        rows["kind"].append(kind)
        rows["instrument"].append(instrument)
        rows["amount_eur"].append(float(amount))

    plan = cfg.get("plan", {})
    codes = plan.get("instruments", [])
    for r in cfg["rows"]:
        add(r["year"], "VK", r["kind"], None, r["VK"])
        add(r["year"], "EGL", r["kind"], None, r["EGL"])
        shares = plan.get(str(r["year"]))
        if shares:
            sh = np.asarray(shares, float) / np.sum(shares)
            amounts = np.floor(sh * r["EGL"]).astype(np.int64)
            amounts[np.argmax(sh)] += int(r["EGL"]) - int(amounts.sum())
            for code, a in zip(codes, amounts):
                add(r["year"], "EGL", "plan", code, int(a))
    t = pa.table(
        rows,
        schema=pa.schema(
            [
                ("jobcenter_id", pa.string()),
                ("year", pa.int64()),
                ("title", pa.string()),
                ("kind", pa.string()),
                ("instrument", pa.string()),
                ("amount_eur", pa.float64()),
            ]
        ),
    )
    return t
