"""Zielnachhaltung: each month, the actual values of the year so far against the plan, and a status.

For a year Y, a job center and a Bezugsmonat M (month number k = 1 … 12 of Y):

- **Integrations** (plan P): actual = Σ Int(m) for January … M (year to date, YTD). The seasonal
  plan profile says which share of a year's integrations usually falls into each month: for every
  complete calendar year before Y in the cached data, share(month) = Int(month) / Σ Int(year); the
  profile is the mean of these shares per month (equal shares 1/12 when there is no complete earlier
  year). Profile to date = P · Σ share(January … M). Attainment = YTD / profile to date · 100.
  Still needed per remaining month = max(0, P − YTD) / (12 − k) (none in December).
- **LZB (JDW)** (plan L, an annual average as the BA's target system plans and settles it; lower is
  better): actual = the year-to-date average of LZB(January … M). The expected JDW of the year
  completes it with the months still to come from the forecast: (Σ LZB(January … M) + the
  forecast's expected mean over M+1 … December × (12 − k)) / 12; without a forecast (teams, or a
  month other than the data's latest) the year-to-date average stands for the whole year, and in
  December the two are the same. Attainment = L / expected JDW · 100.
- **ELB (JDW)** and the **quota** are shown against the plan without a status: the planned ELB is
  the quota's denominator, not a target of its own; the quota shown is K2 in M (the last twelve
  months).
- **Probability** of reaching the plan: from the forecast distribution
  (``amip.forecast.probability.reach``): P(YTD + Σ forecast integrations of the remaining months ≥ P)
  and P(forecast mean LZB of the remaining months ≤ (12 · L − Σ LZB(January … M)) / (12 − k)), i.e.
  P(JDW ≤ L). It exists only for the data's latest month (the forecast
  starts there; earlier months would need forecasts made back then). A finished year has none:
  its outcome is known.
- **Status** (one rule for integrations and LZB, checked in this order):
  on track ("im Plan") when attainment ≥ 100 % or probability ≥ 0,7;
  at risk ("gefährdet") when attainment ≥ 90 % or probability ≥ 0,4;
  off track ("nicht im Plan") otherwise. Without a probability the attainment alone decides.
- **A finished year** (Bezugsmonat December and the data reach December of the year, the data's
  last month, never the machine clock): reached ("erreicht") when attainment ≥ 100 %, else missed
  ("nicht erreicht"); no probability. In December the integrations' target to date is the plan
  itself (not plan · Σ shares, which float arithmetic may put a hair off 1).
- **Forecast for the year end** (``year_end``): integrations YTD + the forecast's expected sum of
  the remaining months; LZB the expected JDW with the forecast of the remaining months; only where
  the forecast exists (the data's latest month, job center), and in a finished year the outcome.
- **Teams**: a team's plan is tracked the same way with the counts of the persons assigned to the
  team at the Stichtag each count uses (ST(m−1) for integrations, ST(m) for stocks), against the job
  center's seasonal profile; there is no team forecast, so no probability.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from amip.figures import states
from amip.planning import plans, proposal, targets

MEASURE_ORDER = ("integrations", "elb_jdw", "quota", "lzb_jdw")
SEX_ORDER = ("all", "w", "m")
ON_TRACK, AT_RISK, OFF_TRACK = "on_track", "at_risk", "off_track"
REACHED, MISSED = "reached", "missed"  # the statuses of a finished year
STATUS_LABELS = {
    ON_TRACK: "im Plan",
    AT_RISK: "gefährdet",
    OFF_TRACK: "nicht im Plan",
    REACHED: "erreicht",
    MISSED: "nicht erreicht",
}
ON_TRACK_ATTAINMENT, AT_RISK_ATTAINMENT = 100.0, 90.0
ON_TRACK_PROBABILITY, AT_RISK_PROBABILITY = 0.7, 0.4
RULE_TEXT = (
    "Status-Regel (für Integrationen und LZB, in dieser Reihenfolge geprüft): "
    "„im Plan“, wenn die Zielerreichung bis zum Berichtsmonat mindestens 100 % beträgt "
    "oder die Wahrscheinlichkeit, das Jahresziel zu erreichen, mindestens 70 %; "
    "„gefährdet“, wenn die Zielerreichung mindestens 90 % beträgt oder die Wahrscheinlichkeit mindestens 40 %; "
    "sonst „nicht im Plan“. Ohne Wahrscheinlichkeit entscheidet die Zielerreichung allein. "
    "Nach Ablauf des Jahres (Berichtsmonat Dezember, Daten bis Dezember): „erreicht“, wenn die "
    "Zielerreichung mindestens 100 % beträgt, sonst „nicht erreicht“. "
    "Zielerreichung Integrationen = Ist seit Jahresbeginn / Soll laut Saisonprofil · 100; "
    "Zielerreichung LZB = Plan (Jahresdurchschnitt) / erwarteter Jahresdurchschnitt · 100 (erwarteter "
    "Jahresdurchschnitt: Ist-Monate seit Jahresbeginn und, soweit vorhanden, die Prognose der übrigen Monate; "
    "ohne Prognose der Durchschnitt seit Jahresbeginn)."
)
PROFILE_TEXT = (
    "Saisonprofil: mittlerer Anteil jedes Monats an den Integrationen eines Jahres über alle vollständigen "
    "Vorjahre in den Daten (gleiche Anteile von 1/12, wenn es kein vollständiges Vorjahr gibt)."
)


def status(attainment: float | None, probability: float | None) -> str | None:
    """The status by the rule above; None when neither attainment nor probability is known."""
    if attainment is None and probability is None:
        return None
    if (attainment is not None and attainment >= ON_TRACK_ATTAINMENT) or (
        probability is not None and probability >= ON_TRACK_PROBABILITY
    ):
        return ON_TRACK
    if (attainment is not None and attainment >= AT_RISK_ATTAINMENT) or (
        probability is not None and probability >= AT_RISK_PROBABILITY
    ):
        return AT_RISK
    return OFF_TRACK


def final_status(attainment: float | None) -> str | None:
    """The status of a finished year: reached when attainment ≥ 100 %, else missed; None unknown."""
    if attainment is None:
        return None
    return REACHED if attainment >= ON_TRACK_ATTAINMENT else MISSED


def year_finished(store, year: int) -> bool:
    """True when the data's last month is December of ``year`` or later (not the machine clock)."""
    latest = store.latest
    return bool(latest) and latest >= f"{year}-12"


def seasonal_profile(store, jobcenter_id: str, sex: str, year: int) -> tuple[list[float], list[int]]:
    """(12 monthly shares summing to 1, the years they come from) — see the module text; once per
    figure store (``targets.memo``)."""
    shares, used = targets.memo(
        store, ("seasonal_profile", jobcenter_id, sex, year), lambda: _seasonal_profile(store, jobcenter_id, sex, year)
    )
    return list(shares), list(used)


def _seasonal_profile(store, jobcenter_id: str, sex: str, year: int) -> tuple[list[float], list[int]]:
    first = int(store.months[0][:4]) if store.months else year
    shares_by_year, used = [], []
    for y in range(first, year):
        counts = proposal.observed(store, jobcenter_id, "int", proposal.year_months(y), sex)
        if counts is None or sum(counts) <= 0:
            continue
        total = sum(counts)
        shares_by_year.append([c / total for c in counts])
        used.append(y)
    if not shares_by_year:
        return [1 / 12] * 12, []
    return [sum(s[i] for s in shares_by_year) / len(shares_by_year) for i in range(12)], used


def needed_per_month(plan: float, ytd: float, months_left: int) -> float | None:
    """max(0, plan − ytd) / months_left; None when no month is left."""
    if months_left <= 0:
        return None
    return max(0.0, plan - ytd) / months_left


def lzb_expected_jdw(to_date: list[float], rest_mean: float | None) -> float | None:
    """(Σ to_date + rest_mean · (12 − len(to_date))) / 12; the year-to-date mean when there is no
    forecast of the remaining months (``rest_mean`` None)."""
    if not to_date:
        return None
    left = 12 - len(to_date)
    if left == 0 or rest_mean is None:
        return sum(to_date) / len(to_date)
    return (sum(to_date) + rest_mean * left) / 12


def _reach(store, jobcenter_id, series, sex, months, target, how, direction) -> float | None:
    api = proposal.forecast_api()
    if api is None:
        return None
    try:
        return api.reach(store, jobcenter_id, series, sex, months, target, how, direction)
    except (KeyError, ValueError, LookupError):
        return None


def track(db: Session, store, year: int, jobcenter_id: str, month: str, team: str | None = None) -> dict:
    """The Zielnachhaltung of the job center's plan (or of ``team``'s plan) for ``year`` in
    Bezugsmonat ``month`` (``YYYY-MM`` within ``year``). A team's actual values count the persons
    assigned to the team at the Stichtag each count uses; its seasonal profile is the job center's
    (a team's own history is too small and changes with reorganisations); teams have no forecast,
    so their status rests on the attainment alone.

    Returns {"plan_status": "agreed"|"draft"|None, "version", "month", "rows": [per sex and figure:
    {"sex", "measure", "plan", "actual", "expected", "attainment", "needed_per_month",
    "probability", "status", "state" (``amip.figures.states.State`` or None)}], "data_state" (the
    Bezugsmonat's state), "cumulative": {sex: [{"month", "actual", "profile"}]},
    "profile": {sex: [12 shares]}, "profile_years": {sex: [years]}, "probability_available": bool,
    "rule": RULE_TEXT}.
    """
    if month[:4] != str(year):
        raise ValueError(f"month {month} is not in {year}")
    k = int(month[5:7])
    plan = plans.current(db, year, jobcenter_id, team, "agreed") or plans.latest(db, year, jobcenter_id, team)
    planned = targets.with_totals(plan.as_dict()) if plan is not None else targets.empty()
    latest = store.latest
    live = month == latest and team is None  # the forecast starts after the data's latest month
    finished = k == 12 and year_finished(store, year)
    counts = targets.Counts(store, jobcenter_id, team, f"{year - 1}-12", month)
    months_to_date = proposal.year_months(year)[:k]
    rest = proposal.year_months(year)[k:]
    rows, cumulative, profiles, profile_years = [], {}, {}, {}
    for sex in SEX_ORDER:
        p = planned[sex]
        ints = counts.counts("int", months_to_date, sex)
        shares, used = seasonal_profile(store, jobcenter_id, sex, year)
        profiles[sex], profile_years[sex] = shares, used
        ytd = sum(ints) if ints is not None else None
        if p["integrations"] is not None:
            target = p["integrations"]
            expected_to_date = target if k == 12 else target * sum(shares[:k])
            attainment = ytd / expected_to_date * 100 if ytd is not None and expected_to_date > 0 else None
            probability = year_end = None
            if finished:
                year_end = ytd
            elif ytd is not None and live:
                if target - ytd <= 0:
                    probability = 1.0
                else:
                    probability = _reach(
                        store, jobcenter_id, "integrations", sex, rest, target - ytd, "sum", "at_least"
                    )
                more = proposal.expected(store, jobcenter_id, "integrations", sex, rest, "sum")
                year_end = None if more is None else ytd + more
            rows.append(
                {
                    "sex": sex,
                    "measure": "integrations",
                    "plan": target,
                    "actual": ytd,
                    "expected": expected_to_date,
                    "attainment": attainment,
                    "needed_per_month": needed_per_month(target, ytd, 12 - k) if ytd is not None else None,
                    "probability": probability,
                    "status": final_status(attainment) if finished else status(attainment, probability),
                    "year_end": year_end,
                }
            )
            running, cum = 0.0, []
            for i, m in enumerate(proposal.year_months(year)):
                actual = None
                if ints is not None and i < k:
                    running += ints[i]
                    actual = running
                cum.append({"month": m, "actual": actual, "profile": target * sum(shares[: i + 1])})
            cumulative[sex] = cum
        if p["elb_jdw"] is not None:
            stock = counts.counts("stock", months_to_date, sex)
            mean = sum(stock) / len(stock) if stock else None
            rows.append(
                {
                    "sex": sex,
                    "measure": "elb_jdw",
                    "plan": p["elb_jdw"],
                    "actual": mean,
                    "expected": p["elb_jdw"],
                    "attainment": None,
                    "needed_per_month": None,
                    "probability": None,
                    "status": None,
                    "deviation_pct": targets.change_pct(mean, p["elb_jdw"]),
                }
            )
        if p["quota"] is not None:
            if team is None:
                k2 = store.value(jobcenter_id, "K2", month, sex) or {}
            else:
                unit = targets.unit_row(store, jobcenter_id, "K2", month, team, sex) or {}
                k2 = {"value": targets.quota(unit.get("numerator"), unit.get("denominator"))}
            rows.append(
                {
                    "sex": sex,
                    "measure": "quota",
                    "plan": p["quota"],
                    "actual": k2.get("value"),
                    "expected": p["quota"],
                    "attainment": None,
                    "needed_per_month": None,
                    "probability": None,
                    "status": None,
                    "deviation_pct": targets.change_pct(k2.get("value"), p["quota"]),
                }
            )
        if p["lzb_jdw"] is not None:
            target = p["lzb_jdw"]
            lzb = counts.counts("lzb", months_to_date, sex)
            actual = sum(lzb) / len(lzb) if lzb else None
            rest_mean = proposal.expected(store, jobcenter_id, "lzb", sex, rest, "mean") if live and rest else None
            jdw = lzb_expected_jdw(lzb, rest_mean) if lzb else None
            attainment = target / jdw * 100 if jdw else None
            probability = None
            if finished:
                year_end = jdw
            elif lzb and live:
                # JDW <= L  <=>  mean of the remaining months <= (12 L - Σ to date) / (12 - k)
                probability = _reach(
                    store, jobcenter_id, "lzb", sex, rest, (12 * target - sum(lzb)) / (12 - k), "mean", "at_most"
                )
                year_end = jdw if rest_mean is not None else None
            else:
                year_end = None
            rows.append(
                {
                    "sex": sex,
                    "measure": "lzb_jdw",
                    "plan": target,
                    "actual": actual,
                    "expected": jdw,
                    "attainment": attainment,
                    "needed_per_month": None,
                    "probability": probability,
                    "status": final_status(attainment) if finished else status(attainment, probability),
                    "deviation_pct": targets.change_pct(jdw, target),
                    "year_end": year_end,
                }
            )
    # The data state of the Bezugsmonat: the months of the current year are mostly provisional. The
    # quota (K2) carries its own state and expected revision band; the year-to-date counts have no
    # revision statistics of their own, so they carry the month's state alone (decision 84).
    month_state = states.of_month(store, jobcenter_id, month)
    for r in rows:
        if r["measure"] == "quota" and team is None:
            r["state"] = states.of_value(store, jobcenter_id, "K2", month, str(r["sex"]))
        else:
            r["state"] = month_state
    rows.sort(key=lambda r: (MEASURE_ORDER.index(r["measure"]), SEX_ORDER.index(r["sex"])))
    return {
        "data_state": month_state,
        "plan_status": plan.status if plan else None,
        "version": plan.version if plan else None,
        "month": month,
        "year": year,
        "team": team,
        "rows": rows,
        "cumulative": cumulative,
        "profile": profiles,
        "profile_years": profile_years,
        "probability_available": live and not finished and proposal.forecast_api() is not None,
        "finished": finished,
        "rule": RULE_TEXT,
        "profile_text": PROFILE_TEXT,
    }
