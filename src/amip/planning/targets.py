"""Plan arithmetic, always from unrounded values, and the actual values a plan is compared with.

Rules (spec kennzahlen.md, "Plans (Zielplanung)"):
- planned quota = planned integrations / planned ELB (JDW) · 100;
- a change = (new / old − 1) · 100, from unrounded values: the 2022 programme's 940 / 4 230
  against 1 024 / 4 554 gives a quota change of −1,2 % (the rounded quotas 22,2 and 22,5 would give
  −1,3 %); LZB 3 031 against 3 256 gives −6,9 % (both annual averages, JDW).
- sex totals: when ``all`` is not planned but ``m`` and ``w`` are, ``all`` = m + w. Persons of sex
  ``d`` are counted in the actual totals (``all``) only; a plan has no ``d`` part, so a total
  derived from m + w leaves them out (documented in docs/planning.md).

Actual values of a year (from the cockpit's figure store; the figures of December of the year):
- integrations = Σ Int_j(m) over January–December = the numerator of K2 in December;
- ELB (JDW) = the mean of Stock_j(m) over January–December = the denominator of K2 in December
  (S1 in the spec);
- LZB (JDW) = the mean of LZB_j(m) over January–December (S6 in the spec; the BA's target system
  plans and settles the LZB stock as an annual average, not the December stock).
For a team the same figures come from the store's ``unit_figures`` (persons grouped by the team
they are assigned to at the Stichtag the count uses).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import TypeVar

from amip.format import as_number
from amip.planning.models import MEASURES, SEXES

ValueMap = dict[str, dict[str, float | None]]
T = TypeVar("T")


def _ok(v) -> bool:
    return v is not None and not (isinstance(v, float) and math.isnan(v))


def quota(integrations: float | None, elb: float | None) -> float | None:
    """integrations / elb · 100; None when either is missing or elb is 0."""
    if not _ok(integrations) or not _ok(elb) or elb == 0:
        return None
    return integrations / elb * 100


def change_pct(new: float | None, old: float | None) -> float | None:
    """(new / old − 1) · 100; None when either is missing or old is 0."""
    if not _ok(new) or not _ok(old) or old == 0:
        return None
    return (new / old - 1) * 100


def with_totals(values: Mapping[str, Mapping[str, float | None]]) -> ValueMap:
    """Every sex with every measure (None where not planned) plus the quota; ``all`` filled from
    m + w per measure where it is missing and both parts are given."""
    out: ValueMap = {s: {m: (values.get(s) or {}).get(m) for m in MEASURES} for s in SEXES}
    for m in MEASURES:
        if not _ok(out["all"][m]) and _ok(out["m"][m]) and _ok(out["w"][m]):
            out["all"][m] = out["m"][m] + out["w"][m]
    for s in SEXES:
        out[s]["quota"] = quota(out[s]["integrations"], out[s]["elb_jdw"])
    return out


def changes(plan: ValueMap, previous: ValueMap) -> dict[str, dict[str, float | None]]:
    """Per sex: integrations_pct, elb_pct, quota_pct, lzb_pct of ``plan`` against ``previous``
    (both as returned by :func:`with_totals`), from unrounded values."""
    out = {}
    for s in SEXES:
        p, a = plan.get(s) or {}, previous.get(s) or {}
        out[s] = {
            "integrations_pct": change_pct(p.get("integrations"), a.get("integrations")),
            "elb_pct": change_pct(p.get("elb_jdw"), a.get("elb_jdw")),
            "quota_pct": change_pct(p.get("quota"), a.get("quota")),
            "lzb_pct": change_pct(p.get("lzb_jdw"), a.get("lzb_jdw")),
        }
    return out


def empty() -> ValueMap:
    return {s: {**{m: None for m in MEASURES}, "quota": None} for s in SEXES}


# ---- actual values from the figure store -------------------------------------------------------


def memo(store, key: tuple, compute: Callable[[], T]) -> T:
    """``compute()`` once per figure store (one import) and ``key``: ``FigureStore.memo``, for what
    depends only on the store's figures and the arguments, never on plans (state database) or the
    user; a store without a memo computes every time. Callers copy what they may change."""
    store_memo = getattr(store, "memo", None)
    return compute() if store_memo is None else store_memo(key, compute)


def copied(values: ValueMap) -> ValueMap:
    return {s: dict(row) for s, row in values.items()}


def actual_year(store, jobcenter: str, year: int, team: str | None = None) -> ValueMap:
    """The actual values of ``year`` (December's K2 numerator and denominator; the LZB JDW, the
    mean of the twelve monthly LZB counts) per sex, for the job center or one team; None where the
    store does not have them (e.g. the year is not complete or outside the cached months). Computed
    once per store (:func:`memo`)."""
    return copied(
        memo(store, ("actual_year", jobcenter, year, team), lambda: _actual_year(store, jobcenter, year, team))
    )


def _actual_year(store, jobcenter: str, year: int, team: str | None) -> ValueMap:
    month = f"{year}-12"
    out = empty()
    months = [f"{year}-{m:02d}" for m in range(1, 13)]
    counts = Counts(store, jobcenter, team, months[0], months[-1]) if hasattr(store, "count") else None
    for s in SEXES:
        if team is None:
            k2 = store.value(jobcenter, "K2", month, s) or {}
            integrations, elb = k2.get("numerator"), k2.get("denominator")
        else:
            integrations = elb = None
            k2 = unit_row(store, jobcenter, "K2", month, team, s)
            if k2 is not None:
                integrations, elb = k2.get("numerator"), k2.get("denominator")
        lzb = lzb_jdw(counts, months, s) if counts is not None else None
        out[s].update(integrations=as_number(integrations), elb_jdw=as_number(elb), lzb_jdw=as_number(lzb))
        out[s]["quota"] = quota(out[s]["integrations"], out[s]["elb_jdw"])
    return out


def lzb_jdw(counts: Counts, months: list[str], sex: str) -> float | None:
    """The mean of the monthly LZB counts over ``months`` (S6 when they are a calendar year);
    None when a month is unknown."""
    values = counts.counts("lzb", months, sex)
    if not values:
        return None
    return sum(values) / len(values)


def unit_row(store, jobcenter: str, figure: str, month: str, team: str, sex: str) -> dict | None:
    if not getattr(store, "has_caseload", False):
        return None
    t = store.by_unit(jobcenter, figure, month, "team", sex)
    t = t[t["unit"] == team]
    if t.empty:
        return None
    row = t.iloc[0]
    return {"numerator": as_number(row["numerator"]), "denominator": as_number(row["denominator"])}


def teams(store, jobcenter: str) -> list[str]:
    """The teams of ``jobcenter`` known to the store (persons assigned at some Stichtag)."""
    from amip.figures.store import UNASSIGNED

    u = getattr(store, "unit_figures", None)
    if u is None:
        return []

    def known() -> list[str]:
        names = u[(u.jobcenter_id == jobcenter) & (u.kind == "team")]["unit"].unique().tolist()
        return sorted(n for n in names if n != UNASSIGNED)

    return list(memo(store, ("teams", jobcenter), known))


# ---- monthly counts of one team (for the Zielnachhaltung of team plans) --------------------------

TEAM_COLUMNS = ("int", "stock", "lzb")


def team_monthly(store, jobcenter: str, team: str, first: str, last: str) -> dict[tuple[str, str, str], float]:
    """{(column, month, sex): count} of ``int``, ``stock`` and ``lzb`` for the persons assigned to
    ``team`` at the Stichtag each count uses (ST(m−1) for integrations, ST(m) for stocks: the same
    rule as the store's ``unit_figures``), months ``first`` … ``last``; sex m, w, d and all.
    Counts only, no persons leave this function. Empty without ``caseload``. Computed once per
    store (:func:`memo`); callers must not change the result."""
    return memo(
        store,
        ("team_monthly", jobcenter, team, first, last),
        lambda: _team_monthly(store, jobcenter, team, first, last),
    )


def _team_monthly(store, jobcenter: str, team: str, first: str, last: str) -> dict[tuple[str, str, str], float]:
    from amip.figures.store import ATTRIBUTES_AT_PREVIOUS_STICHTAG
    from amip.kennzahlen.calendar import month_str, parse_month

    if not getattr(store, "has_caseload", False):
        return {}
    lo, hi = parse_month(first), parse_month(last)
    lagged = ", ".join(f"'{b}'" for b in ATTRIBUTES_AT_PREVIOUS_STICHTAG)
    blocks = ", ".join(f"'{b}'" for b in TEAM_COLUMNS)
    sql = f"""
        WITH mm AS (
            SELECT block, person_id, sex, unnest(range(greatest(m0, $lo), least(m1, $hi) + 1)) AS midx
            FROM members
            WHERE jobcenter_id = $jc AND block IN ({blocks}) AND m1 >= $lo AND m0 <= $hi
        ), st AS (
            SELECT *, last_day(make_date(CAST((midx - CASE WHEN block IN ({lagged}) THEN 1 ELSE 0 END) // 12 AS INTEGER),
                                         CAST((midx - CASE WHEN block IN ({lagged}) THEN 1 ELSE 0 END) % 12 + 1 AS INTEGER),
                                         1)) AS day
            FROM mm
        ), assigned AS (
            SELECT st.block, st.midx, st.sex, st.person_id, arg_max(c.team_id, c.start_date) AS team
            FROM st JOIN w.caseload c
              ON c.person_id = st.person_id AND c.start_date <= st.day AND (c.end_date IS NULL OR c.end_date >= st.day)
            GROUP BY ALL
        )
        SELECT block, midx, sex, count(*) AS n FROM assigned WHERE team = $team GROUP BY ALL
    """
    with store._lock:  # the store's own DuckDB connection (cache and warehouse attached)
        rows = store._con.execute(sql, {"jc": jobcenter, "team": team, "lo": lo, "hi": hi}).fetchall()
    out: dict[tuple[str, str, str], float] = {}
    for block, midx, sex, n in rows:
        month = month_str(int(midx))
        out[(block, month, sex)] = float(n)
        out[(block, month, "all")] = out.get((block, month, "all"), 0.0) + float(n)
    return out


# A count is known only where its coverage flag in the store's series allows it (kennzahlen.md,
# "Coverage"): the LZB stock needs the 730-day window of ST(m) inside the data (``lzb_ok``); before
# that the series holds 0, which must not be averaged as if nobody were LZB.
COVERAGE_FLAG = {"lzb": "lzb_ok"}


def known_count(store, jobcenter: str, column: str, month: str, sex: str) -> float | None:
    """``store.count`` of ``column``, None where the month is not usable for it."""
    flag = COVERAGE_FLAG.get(column)
    if flag is not None and store.count(jobcenter, flag, month, "all") != 1:
        return None
    return store.count(jobcenter, column, month, sex)


class Counts:
    """Monthly counts for the job center (``team`` None: the store's series) or for one team
    (:func:`team_monthly`); a month the job center's series does not cover is None for both."""

    def __init__(
        self, store, jobcenter: str, team: str | None = None, first: str | None = None, last: str | None = None
    ):
        self.store, self.jobcenter, self.team = store, jobcenter, team
        self._team = team_monthly(store, jobcenter, team, first, last) if team and first and last else {}

    def count(self, column: str, month: str, sex: str) -> float | None:
        base = known_count(self.store, self.jobcenter, column, month, sex)
        if self.team is None or base is None:
            return base
        return self._team.get((column, month, sex), 0.0)

    def counts(self, column: str, months: list[str], sex: str) -> list[float] | None:
        out = []
        for m in months:
            v = self.count(column, m, sex)
            if v is None:
                return None
            out.append(v)
        return out
