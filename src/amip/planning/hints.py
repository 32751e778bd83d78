"""What the planning forms show beside each field (issue 15, "Planning that helps plan").

For a team's plan of year Y, per sex (all, w, m) and measure (integrations, ELB JDW, LZB JDW):

- **Ist Y−1**: the team's actual value of the previous year (``targets.actual_year`` with the team:
  persons assigned to the team at the Stichtag each count uses);
- **Prognose**: the job center's proposal for Y (``proposal.propose``: observed months + forecast)
  × the team's share of the job center's Ist Y−1 of the same sex and measure (decision 111), in
  whole persons with women + men = all (``proposal.whole_parts``); none when the team or the job
  center has no Ist Y−1 (or it is 0) or the job center has no proposal;
- **Anteil am Ziel**: the entered value / the job center's target of the same sex and measure · 100
  (the target as ``plans.programme_targets`` reads it: newest agreed, else newest draft; ``all``
  = w + m where only the parts are planned);
- **the sum of all teams** against the job center's target: the newest version of every other
  team's plan plus the values being entered for this team (``plans.team_sum`` with ``entry``).

For the job center's own plan the fields show its Ist Y−1, the proposal (whole persons, adding up)
and the sum of the team plans saved so far. Nothing here is saved; all values unrounded except the
proposals (whole persons), rounded only on display.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from amip.planning import plans, proposal, targets
from amip.planning.models import MEASURES, SEXES

Values = Mapping[str, Mapping[str, float]]


def share_pct(value: float | None, target: float | None) -> float | None:
    """value / target · 100; None when either is missing or the target is 0."""
    if value is None or target is None or target == 0:
        return None
    return value / target * 100


def team_forecast(store, jobcenter_id: str, year: int, team_ist: targets.ValueMap) -> dict[str, dict]:
    """{sex: {measure: whole persons or None}}: the job center's proposal × the team's share of the
    job center's Ist of the year before (see the module text)."""
    jc_ist = targets.actual_year(store, jobcenter_id, year - 1)
    raw = proposal.propose(store, jobcenter_id, year)
    scaled: dict[str, dict[str, float | None]] = {s: {} for s in SEXES}
    for s in SEXES:
        for m in MEASURES:
            p, part, whole = (raw.get(s) or {}).get(m), team_ist[s][m], jc_ist[s][m]
            ok = p is not None and part is not None and whole
            scaled[s][m] = p * part / whole if ok else None  # type: ignore[operator]
    return proposal.plan_values(scaled)


def field_hints(
    db: Session,
    store,
    year: int,
    jobcenter_id: str,
    team: str | None,
    entered: Values | None = None,
    *,
    unit_values: bool = True,
) -> dict:
    """Everything the form of one plan shows beside its fields.

    ``team`` None is the job center's own plan. ``entered`` are the (cleaned) values being typed,
    None when the form shows the stored values. Returns {"ist": ValueMap of Y−1, "forecast":
    {sex: {measure}}, "target": the job center's target (with totals), "share": {sex: {measure:
    entered / target · 100}} (teams only), "teams": ``plans.team_sum`` (with the entry for a
    team), "has_target": bool}. ``unit_values=False`` leaves out the team's Ist and forecast (a team
    form before a team is named: only the shares and the sum).
    """
    t = plans.programme_targets(db, year, jobcenter_id, store)
    entered = entered or {}
    forecast: dict[str, dict]
    if team is None:
        ist = t["actual_previous"]
        forecast = proposal.plan_values(proposal.propose(store, jobcenter_id, year))
        teams = plans.team_sum(db, year, jobcenter_id)
        share: dict[str, dict[str, float | None]] = {s: {m: None for m in MEASURES} for s in SEXES}
    else:
        if unit_values:
            ist = targets.actual_year(store, jobcenter_id, year - 1, team=team)
            forecast = team_forecast(store, jobcenter_id, year, ist)
        else:
            ist, forecast = targets.empty(), targets.empty()
        teams = plans.team_sum(db, year, jobcenter_id, entry=(team, entered))
        share = {s: {m: share_pct((entered.get(s) or {}).get(m), t["plan"][s][m]) for m in MEASURES} for s in SEXES}
    has_target = any(t["plan"][s][m] is not None for s in SEXES for m in MEASURES)
    return {
        "ist": ist,
        "forecast": forecast,
        "target": t["plan"],
        "share": share,
        "teams": teams,
        "has_target": has_target,
    }


def sum_rows(hints: dict) -> list[dict]:
    """Per measure and sex: the sum of all teams (with the entry), the job center's target, the
    difference and the sum's share of the target; the rows the sum fragment shows."""
    rows = []
    total = hints["teams"]["sum"]
    for m in MEASURES:
        for s in ("all", "w", "m"):
            summed, target = total[s][m], hints["target"][s][m]
            rows.append(
                {
                    "sex": s,
                    "measure": m,
                    "sum": summed,
                    "target": target,
                    "difference": None if summed is None or target is None else summed - target,
                    "share": share_pct(summed, target),
                    "teams": hints["teams"]["planned_by"][s][m],
                }
            )
    return rows
