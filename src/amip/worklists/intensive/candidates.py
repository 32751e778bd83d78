"""Intensive care: who is a candidate (one SQL query over the warehouse).

Rules (kennzahlen.md): ``Dur(p, d)`` is the number of days of ``[d − 729, d]`` covered by any
``elb_spells`` row of p (overlaps once); p is LZB at d when p is ELB at d, ``Dur(p, d) >= 638`` and
p's 17th birthday is on or before d. "Today" for the data is ``T = ST(dataset.last_month)``.

Candidates: ELB at T in the viewer's scope (caseload at T), not LZB at T, who would become LZB
within ``HORIZON_DAYS`` = 183 days after T if receipt continued every day from T + 1 on. With
continued receipt, ``Dur(p, T + k) = Dur(p, T) + k − (covered days among the first k days of the
window)``, i.e. Dur grows by the number of *uncovered* days that leave the window. So the day p
becomes LZB is found in closed form from the gaps inside the window: with ``need = 638 − Dur(p,
T)``, ``k`` is the position (1 = the window's first day ``T − 729``) of the need-th uncovered day;
``days_left = max(k, days until the 17th birthday)``. Everything is one SQL query over the
warehouse (DuckDB), proportional to the number of spells.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Iterable

import pandas as pd

from amip.figures.store import AGE_GROUPS, Scope
from amip.worklists.intensive.settings import HORIZON_DAYS, WINDOW_DAYS, band
from amip.worklists.intensive.warehouse import _query, _tables, data_today

_SECRET = secrets.token_bytes(32)  # per process: candidate tokens are valid until the server restarts


def _scope_where(scope: Scope, params: dict) -> str:
    if scope.kind == "all":
        return ""
    if scope.kind == "team":
        params["unit"] = scope.value
        return "AND c.team = $unit"
    if scope.kind == "caseload":
        params["unit"] = scope.value
        return "AND c.caseworker = $unit"
    raise PermissionError("no person-level access")


def profiles(
    src, scope: Scope, at: dt.date, *, jobcenter: str | None = None, person_ids: Iterable[str] | None = None
) -> pd.DataFrame:
    """Every ELB at ``at`` in ``scope`` (caseload at ``at``): person_id, jobcenter_id, office,
    team, caseworker, sex, age_group, prognosis, integration_goal, dur (``Dur(p, at)``), lzb
    (LZB at ``at``), days_left (days after ``at`` until LZB if receipt continues; 0 when LZB)."""
    has = _tables(src)
    params: dict = {"t": at, "w0": at - dt.timedelta(days=WINDOW_DAYS - 1)}
    where = _scope_where(scope, params)
    caseload = (
        "SELECT person_id, arg_max(office, start_date) AS office, arg_max(team_id, start_date) AS team, "
        "arg_max(caseworker_id, start_date) AS caseworker FROM w.caseload "
        "WHERE start_date <= $t AND (end_date IS NULL OR end_date >= $t) GROUP BY person_id"
        if "caseload" in has
        else "SELECT NULL::VARCHAR AS person_id, NULL::VARCHAR AS office, NULL::VARCHAR AS team, NULL::VARCHAR AS caseworker WHERE false"
    )
    prognosis = (
        "SELECT person_id, arg_max(code, valid_from) AS code, arg_max(integration_goal, valid_from) AS goal "
        "FROM w.prognosis WHERE valid_from <= $t GROUP BY person_id"
        if "prognosis" in has
        else "SELECT NULL::VARCHAR AS person_id, NULL::VARCHAR AS code, NULL::BOOLEAN AS goal WHERE false"
    )
    join = "JOIN c ON c.person_id = e.person_id" if scope.kind != "all" else "LEFT JOIN c ON c.person_id = e.person_id"
    extra = ""
    if jobcenter is not None:
        params["jc"] = jobcenter
        extra += " AND e.jobcenter_id = $jc"
    if person_ids is not None:
        params["ids"] = list(person_ids)
        extra += " AND list_contains($ids, e.person_id)"
    sql = f"""
        WITH c AS ({caseload}), pr AS ({prognosis}),
        e AS (
            SELECT person_id, arg_max(jobcenter_id, start_date) AS jobcenter_id
            FROM w.elb_spells WHERE start_date <= $t AND (end_date IS NULL OR end_date >= $t)
            GROUP BY person_id
        ),
        scoped AS (
            SELECT e.person_id, e.jobcenter_id, c.office, c.team, c.caseworker
            FROM e {join} WHERE true {where} {extra}
        ),
        sp AS (   -- the scoped persons' spells, clipped to the window [t - 729, t]
            SELECT s.person_id, greatest(s.start_date, $w0::DATE) AS a, least(coalesce(s.end_date, $t::DATE), $t::DATE) AS b
            FROM w.elb_spells s JOIN scoped USING (person_id)
            WHERE s.start_date <= $t AND coalesce(s.end_date, $t::DATE) >= $w0
        ),
        o AS (
            SELECT *, max(b) OVER (PARTITION BY person_id ORDER BY a, b
                                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_b
            FROM sp
        ),
        g AS (
            SELECT *, sum(CASE WHEN prev_b IS NULL OR a > prev_b + 1 THEN 1 ELSE 0 END)
                      OVER (PARTITION BY person_id ORDER BY a, b ROWS UNBOUNDED PRECEDING) AS island
            FROM o
        ),
        isl AS (SELECT person_id, island, min(a) AS a, max(b) AS b FROM g GROUP BY ALL),
        dur AS (SELECT person_id, sum(b - a + 1) AS dur FROM isl GROUP BY person_id),
        gaps AS (  -- the uncovered runs inside the window (none after t: everyone is ELB at t)
            SELECT person_id, coalesce(lag(b) OVER (PARTITION BY person_id ORDER BY a) + 1, $w0::DATE) AS g0, a - 1 AS g1
            FROM isl
        ),
        gc AS (
            SELECT person_id, g0, g1 - g0 + 1 AS n,
                   sum(g1 - g0 + 1) OVER (PARTITION BY person_id ORDER BY g0 ROWS UNBOUNDED PRECEDING)::BIGINT AS cum
            FROM gaps WHERE g1 >= g0
        ),
        base AS (
            SELECT s.*, p.sex, p.birth_date,
                   CASE WHEN month(p.birth_date) = 2 AND day(p.birth_date) = 29
                        THEN make_date(year(p.birth_date) + 17, 3, 1)
                        ELSE CAST(p.birth_date + INTERVAL 17 YEAR AS DATE) END AS b17,
                   d.dur::BIGINT AS dur, (638 - d.dur)::BIGINT AS need
            FROM scoped s JOIN w.persons p USING (person_id) JOIN dur d USING (person_id)
        ),
        k AS (   -- position of the need-th uncovered day of the window
            SELECT b.person_id, min((gc.g0 - $w0::DATE) + (b.need - (gc.cum - gc.n))::BIGINT) AS k
            FROM base b JOIN gc ON gc.person_id = b.person_id AND b.need > 0
             AND gc.cum >= b.need AND gc.cum - gc.n < b.need
            GROUP BY b.person_id
        )
        SELECT base.person_id, base.jobcenter_id, base.office, base.team, base.caseworker, base.sex,
               date_diff('year', base.birth_date, $t::DATE) AS age,
               CASE WHEN date_diff('year', base.birth_date, $t::DATE) < 25 THEN '{AGE_GROUPS[0]}'
                    WHEN date_diff('year', base.birth_date, $t::DATE) < 55 THEN '{AGE_GROUPS[1]}'
                    ELSE '{AGE_GROUPS[2]}' END AS age_group,
               pr.code AS prognosis, coalesce(pr.goal, false) AS integration_goal,
               base.dur::INTEGER AS dur,
               (base.dur >= 638 AND base.b17 <= $t) AS lzb,
               greatest(coalesce(k.k, 0), base.b17 - $t::DATE, 0)::INTEGER AS days_left
        FROM base LEFT JOIN k USING (person_id) LEFT JOIN pr USING (person_id)
        ORDER BY days_left, dur DESC, person_id
    """
    out = _query(src, sql, params)
    out["lzb_date"] = [at + dt.timedelta(days=int(d)) for d in out["days_left"]]
    return out


def candidates(
    src,
    scope: Scope,
    *,
    at: dt.date | None = None,
    jobcenter: str | None = None,
    exclude: Iterable[str] = (),
    horizon: int = HORIZON_DAYS,
) -> pd.DataFrame:
    """The candidates for intensive care at ``at`` (default T = ST(last month)): ELB in ``scope``,
    not LZB at ``at``, LZB within ``horizon`` days if receipt continues; ranked by days left.
    Persons in ``exclude`` (already in intensive care) are left out. Adds ``token``: an opaque,
    per-process key for forms (never the person id)."""
    at = at or data_today(src)
    p = profiles(src, scope, at, jobcenter=jobcenter)
    p = p[(~p["lzb"]) & (p["days_left"] >= 1) & (p["days_left"] <= horizon)]
    if exclude:
        p = p[~p["person_id"].isin(set(exclude))]
    p = p.reset_index(drop=True)
    p["token"] = [token_of(j, pid) for j, pid in zip(p["jobcenter_id"], p["person_id"])]
    p["band"] = [band(d) for d in p["dur"]]
    return p


def token_of(jobcenter_id: str, person_id: str) -> str:
    return hmac.new(_SECRET, f"{jobcenter_id}\x1f{person_id}".encode(), hashlib.sha256).hexdigest()[:24]
