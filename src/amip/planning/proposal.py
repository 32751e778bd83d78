"""The "Vorschlag aus Prognose": a draft plan filled from the actual months and the forecast.

For a year Y, per sex (all, w, m; each from its own forecast, so ``all`` need not equal m + w):
- integrations = Σ Int(m) over the months of Y already observed + the forecast's expected sum over
  the remaining months of Y;
- ELB (JDW) = (Σ Stock(m) over the observed months + the forecast's expected mean over the remaining
  months × their number) / 12;
- LZB (JDW) = (Σ LZB(m) over the observed months + the forecast's expected mean over the remaining
  months × their number) / 12: the forecast's LZB path averaged over the plan year (the LZB target
  is an annual average, S6).
A value is None when a month of Y is neither observed nor forecast (e.g. a year before the cached
months or beyond the forecast horizon). Only the job center has a forecast; team plans are entered
by the team leads.

The forecast comes from ``amip.forecast.probability.expected`` (see docs/forecast.md); when that
module is not installed, every value that needs it is None.
"""

from __future__ import annotations

import math

from sqlalchemy.orm import Session

from amip.planning import plans, targets
from amip.planning.models import SEXES

SERIES_COLUMN = {"integrations": "int", "elb": "stock", "lzb": "lzb"}


def forecast_api():
    """``amip.forecast.probability`` or None when the forecast package does not provide it."""
    try:
        from amip.forecast import probability
    except ImportError:
        return None
    return probability


def year_months(year: int) -> list[str]:
    return [f"{year}-{m:02d}" for m in range(1, 13)]


def split_months(store, year: int) -> tuple[list[str], list[str]]:
    """(months of ``year`` up to the data's latest month, the months after it)."""
    latest = store.latest or ""
    months = year_months(year)
    return [m for m in months if m <= latest], [m for m in months if m > latest]


def observed(store, jobcenter_id: str, column: str, months: list[str], sex: str) -> list[float] | None:
    """The monthly counts of ``column`` for ``months``; None when any of them is unknown (outside
    the store, or before the coverage allows it, see :func:`targets.known_count`)."""
    out = []
    for m in months:
        v = targets.known_count(store, jobcenter_id, column, m, sex)
        if v is None:
            return None
        out.append(v)
    return out


def expected(store, jobcenter_id: str, series: str, sex: str, months: list[str], how: str) -> float | None:
    api = forecast_api()
    if api is None or not months:
        return None
    try:
        return api.expected(store, jobcenter_id, series, sex, months, how)
    except (KeyError, ValueError, LookupError):
        return None


def propose(store, jobcenter_id: str, year: int) -> dict[str, dict[str, float | None]]:
    """{sex: {"integrations", "elb_jdw", "lzb_jdw"}} expected for ``year`` (see the module text);
    it depends only on the figure store, so it is computed once per store (``targets.memo``)."""
    found = targets.memo(store, ("propose", jobcenter_id, year), lambda: _propose(store, jobcenter_id, year))
    return targets.copied(found)


def _propose(store, jobcenter_id: str, year: int) -> dict[str, dict[str, float | None]]:
    seen, rest = split_months(store, year)
    out: dict[str, dict[str, float | None]] = {}
    for sex in SEXES:
        ints = observed(store, jobcenter_id, "int", seen, sex)
        integrations = None
        if ints is not None:
            more = expected(store, jobcenter_id, "integrations", sex, rest, "sum") if rest else 0.0
            integrations = None if more is None else sum(ints) + more
        elb = annual_mean(store, jobcenter_id, "stock", "elb", sex, seen, rest)
        lzb = annual_mean(store, jobcenter_id, "lzb", "lzb", sex, seen, rest)
        out[sex] = {"integrations": integrations, "elb_jdw": elb, "lzb_jdw": lzb}
    return out


def annual_mean(
    store, jobcenter_id: str, column: str, series: str, sex: str, seen: list[str], rest: list[str]
) -> float | None:
    """(Σ observed counts of ``column`` + the forecast's expected mean of ``series`` over ``rest`` ×
    len(rest)) / 12: a JDW from the observed months and the forecast; None when a month is missing."""
    counts = observed(store, jobcenter_id, column, seen, sex)
    if counts is None:
        return None
    mean_rest = expected(store, jobcenter_id, series, sex, rest, "mean") if rest else 0.0
    return None if mean_rest is None else (sum(counts) + mean_rest * len(rest)) / 12


def half_up(v: float) -> int:
    return math.floor(v + 0.5)


def whole_parts(total: float | None, women: float | None, men: float | None) -> tuple[int | None, ...]:
    """(all, w, m) in whole persons such that w + m = all (decision 112).

    The total keeps its own forecast, rounded half up (it is what the job center is steered and
    tracked on); women and men share it in the ratio of their own forecasts, and the rounding is
    distributed by largest remainder: each part gets the integer part of its share, the one person
    left over (if any) goes to the part with the larger fractional remainder (a tie to the larger
    part, then to women). Without a total the parts are rounded on their own and the total is their
    sum; without one of the parts nothing can add up and each value is rounded on its own."""
    if total is None:
        w, m = (None if v is None else half_up(v) for v in (women, men))
        return (None if w is None or m is None else w + m), w, m
    whole = half_up(total)
    if women is None or men is None:
        return whole, (None if women is None else half_up(women)), (None if men is None else half_up(men))
    parts = women + men
    shares = [whole * women / parts, whole * men / parts] if parts > 0 else [whole / 2, whole / 2]
    floors = [math.floor(x) for x in shares]
    if whole - sum(floors) > 0:  # two parts: at most one person is left over
        rest = [x - f for x, f in zip(shares, floors, strict=True)]
        pick = max((0, 1), key=lambda i: (rest[i], shares[i], -i))
        floors[pick] += 1
    return whole, floors[0], floors[1]


def plan_values(raw: dict[str, dict[str, float | None]]) -> dict[str, dict[str, int | None]]:
    """A proposal (:func:`propose`) in whole persons, its parts adding up per measure
    (:func:`whole_parts`)."""
    out: dict[str, dict[str, int | None]] = {s: {} for s in SEXES}
    for measure in ("integrations", "elb_jdw", "lzb_jdw"):
        total, w, m = whole_parts(*((raw.get(s) or {}).get(measure) for s in ("all", "w", "m")))
        out["all"][measure], out["w"][measure], out["m"][measure] = total, w, m
    return out


def fill_draft(db: Session, store, year: int, jobcenter_id: str, user: str, role: str = "controlling"):
    """Save the proposal as a new draft version of the job center's plan (source "proposal").
    Values are whole persons (a plan counts persons) and women + men = all (:func:`plan_values`).
    Raises ``plans.PlanError`` when nothing could be proposed."""
    proposal = plan_values(propose(store, jobcenter_id, year))
    values = {s: {k: v for k, v in row.items() if v is not None} for s, row in proposal.items()}
    values = {s: row for s, row in values.items() if row}
    if not values:
        raise plans.PlanError(f"no forecast or actual values for {jobcenter_id} in {year}: nothing to propose")
    return plans.save_plan(
        db,
        year,
        jobcenter_id,
        None,
        values,
        user,
        role,
        source="proposal",
        note="Vorschlag aus Ist-Werten und Prognose",
    )
