"""Target-group worklists (Zielgruppen) and the local targets L1 and L2.

Groups (AMIP "Target groups" and U25): U25 (younger than 25 at the Stichtag), Alleinerziehende (a
covering ``elb_spells`` row at the job center has ``single_parent`` at the Stichtag),
schwerbehindert (``severely_disabled``), Geflüchtete (``refugee``), ohne Berufsabschluss
(``vocational_qualification = false``).

Figures per group, for the job center and per team, in Bezugsmonat M:
  - stock: ELB of the group at ST(M);
  - integration quota: integrations of group members in M−11 … M / mean stock of the group over
    M−11 … M · 100 (like K2; an integration takes the person's attributes at ST(m − 1) as the
    engine does, a stock at ST(m));
  - share in measures: stock members covered at ST(M) by a ``measures`` row, / stock · 100.
The persons behind the counts come from the cockpit cache's ``members`` (the engine's own
persons per count), their attributes from the warehouse: one SQL query per table, no loops.

L1 (2022): share of ELB at ST(M) with a documented, concrete integration goal (target ≥ 90 %); the
gap list is the ELB without one. L2: share of successful placement proposals (``eingestellt`` /
all proposals dated in M−11 … M of persons who were ELB of the job center at the Stichtag of the
proposal's month; target 5,0 %); the gap list is the ELB at ST(M) with open (``offen``) proposals.
"""

from __future__ import annotations

import datetime as dt
import importlib

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from amip.figures.store import AGE_GROUPS, Scope
from amip.kennzahlen.calendar import parse_month, stichtag
from amip.worklists.intensive.warehouse import _query, _tables
from amip.worklists.models import IntensiveMeeting, IntensivePlace

# code -> (label, SQL condition on the person-month rows of ``_base``)
GROUPS: dict[str, tuple[str, str]] = {
    "u25": ("U25", "age < 25"),
    "alleinerziehend": ("Alleinerziehende", "single_parent"),
    "schwerbehindert": ("Schwerbehinderte und Gleichgestellte", "coalesce(severely_disabled, false)"),
    "gefluechtet": ("Geflüchtete", "coalesce(refugee, false)"),
    "ohne_abschluss": ("ohne Berufsabschluss", "vocational_qualification = false"),
}
GAP_LISTS = {
    "l1": "L1: ohne dokumentiertes Integrationsziel",
    "l2": "L2: mit offenen Vermittlungsvorschlägen",
}
TARGETS = {"l1": 90.0, "l2": 5.0}
UNASSIGNED = "ohne Zuordnung"


def _st_of(expr: str) -> str:
    return f"last_day(make_date(({expr} // 12)::INTEGER, ({expr} % 12 + 1)::INTEGER, 1))"


def _base(src, blocks: tuple[str, ...]) -> str:
    """CTE text ``pm``: one row per (person, block, month) of the job center's members in
    [$m0, $m1], with the attributes at the Stichtag the count uses (ST(m), or ST(m − 1) for
    integrations): team, sex, age, single_parent and the persons' flags."""
    has = _tables(src)
    block_list = ", ".join(f"'{b}'" for b in blocks)
    caseload = (
        """LEFT JOIN (SELECT x.person_id, x.st, arg_max(c.team_id, c.start_date) AS team
                      FROM (SELECT DISTINCT person_id, st FROM a) x
                      JOIN w.caseload c ON c.person_id = x.person_id AND c.start_date <= x.st
                                       AND (c.end_date IS NULL OR c.end_date >= x.st)
                      GROUP BY ALL) cl ON cl.person_id = a.person_id AND cl.st = a.st"""
        if "caseload" in has
        else ""
    )
    team = "cl.team" if "caseload" in has else "NULL::VARCHAR"
    cols = {
        r
        for r in _query(
            src,
            "SELECT column_name FROM information_schema.columns WHERE table_catalog = 'w' AND table_name = 'persons'",
            {},
        )["column_name"]
    }
    flag = {
        c: (f"p.{c}" if c in cols else "NULL::BOOLEAN")
        for c in ("severely_disabled", "refugee", "vocational_qualification")
    }
    return f"""
        mm AS (
            SELECT m.person_id, m.block, k.midx
            FROM members m JOIN (SELECT unnest(range($m0, $m1 + 1)) AS midx) k ON k.midx BETWEEN m.m0 AND m.m1
            WHERE m.jobcenter_id = $jc AND m.block IN ({block_list})
        ),
        a AS (
            SELECT person_id, block, midx,
                   {_st_of("(midx - CASE WHEN block = 'int' THEN 1 ELSE 0 END)")} AS st
            FROM mm
        ),
        spx AS (
            SELECT DISTINCT x.person_id, x.st
            FROM (SELECT DISTINCT person_id, st FROM a) x
            JOIN w.elb_spells s ON s.person_id = x.person_id AND s.jobcenter_id = $jc AND s.single_parent
                               AND s.start_date <= x.st AND (s.end_date IS NULL OR s.end_date >= x.st)
        ),
        pm AS (
            SELECT a.person_id, a.block, a.midx, a.st, coalesce({team}, '{UNASSIGNED}') AS team, p.sex, p.birth_date,
                   date_diff('year', p.birth_date, a.st) AS age, (spx.person_id IS NOT NULL) AS single_parent,
                   {flag["severely_disabled"]} AS severely_disabled, {flag["refugee"]} AS refugee,
                   {flag["vocational_qualification"]} AS vocational_qualification
            FROM a JOIN w.persons p USING (person_id)
            LEFT JOIN spx ON spx.person_id = a.person_id AND spx.st = a.st
            {caseload}
        )
    """


def _window(src, month: str) -> tuple[int, int, bool]:
    """(M − 11, M, whether all twelve months are in the cache)."""
    m = parse_month(month)
    lo = _query(src, "SELECT min(m0) AS lo FROM members", {}).iloc[0, 0]
    first_cached = parse_month(src.meta["first_month"]) if hasattr(src, "meta") else lo
    return m - 11, m, (m - 11) >= first_cached


def figures(src, jobcenter: str, month: str, *, by_team: bool = False, by_sex: bool = False) -> pd.DataFrame:
    """unit (``Jobcenter``, the team, or with ``by_sex`` the sex ``w``/``m`` at the Stichtag),
    group, label, stock, integrations, mean_stock, quota, in_measures, measure_share — one row per
    unit and group (plus ``alle`` = every ELB)."""
    if by_team and by_sex:
        raise ValueError("by_team and by_sex exclude each other")
    m0, m1, full = _window(src, month)
    has = _tables(src)
    params = {"jc": jobcenter, "m0": m0, "m1": m1, "st": stichtag(m1)}
    measure = (
        "EXISTS (SELECT 1 FROM w.measures x WHERE x.person_id = pm.person_id AND x.start_date <= $st "
        "AND (x.end_date IS NULL OR x.end_date >= $st))"
        if "measures" in has
        else "false"
    )
    groups = {"alle": ("alle ELB", "true"), **GROUPS}
    unit = "team" if by_team else ("sex" if by_sex else "'Jobcenter'")
    selects = []
    for code, (_label, cond) in groups.items():
        selects.append(f"""
            SELECT {unit} AS unit, '{code}' AS "group",
                   count(*) FILTER (WHERE block = 'stock' AND midx = $m1) AS stock,
                   count(*) FILTER (WHERE block = 'int') AS integrations,
                   count(*) FILTER (WHERE block = 'stock') / 12.0 AS mean_stock,
                   count(*) FILTER (WHERE block = 'stock' AND midx = $m1 AND in_measure) AS in_measures
            FROM pmx WHERE coalesce({cond}, false) GROUP BY ALL""")
    sql = f"""
        WITH {_base(src, ("stock", "int"))},
        pmx AS (SELECT pm.*, CASE WHEN block = 'stock' AND midx = $m1 THEN {measure} ELSE false END AS in_measure FROM pm)
        {" UNION ALL ".join(selects)}
    """
    t = _query(src, sql, params)
    units = sorted(set(t["unit"])) if by_team else (["w", "m"] if by_sex else ["Jobcenter"])
    grid = pd.DataFrame([(u, g) for u in units for g in groups], columns=["unit", "group"])
    t = grid.merge(t, on=["unit", "group"], how="left").fillna(
        {"stock": 0, "integrations": 0, "mean_stock": 0, "in_measures": 0}
    )
    t["label"] = [groups[g][0] for g in t["group"]]
    t["quota"] = [(i / s * 100 if s else None) if full else None for i, s in zip(t["integrations"], t["mean_stock"])]
    t["measure_share"] = [(i / s * 100 if s else None) for i, s in zip(t["in_measures"], t["stock"])]
    if not full:
        t["integrations"] = None
        t["mean_stock"] = None
    return t[["unit", "group", "label", "stock", "integrations", "mean_stock", "quota", "in_measures", "measure_share"]]


def local_targets(store, jobcenter: str, month: str) -> dict[str, dict]:
    """L1 and L2 of the job center in ``month``: numerator, denominator, value, target.

    The figures themselves are the engine's steering figures (``amip.kennzahlen.steering``, kept in
    the cockpit cache); this only adds the programme's targets."""
    out = {}
    for fid, key in (("L1", "l1"), ("L2", "l2")):
        row = store.value(jobcenter, fid, month)
        if row is not None and row["denominator"] is not None:
            out[key] = {**row, "target": TARGETS[key]}
    return out


def _persons_query(src, scope: Scope, jobcenter: str, month: str, group: str) -> tuple[str, dict]:
    """The SQL (without order) of :func:`persons` and its parameters."""
    if group not in GROUPS and group not in GAP_LISTS:
        raise KeyError(group)
    has = _tables(src)
    m = parse_month(month)
    params = {"jc": jobcenter, "m0": m, "m1": m, "st": stichtag(m)}
    where = {"all": "", "team": "AND team = $unit", "caseload": "AND caseworker = $unit"}.get(scope.kind)
    if where is None:
        raise PermissionError("no person-level access")
    if scope.kind != "all":
        params["unit"] = scope.value
    caseworker = (
        "(SELECT arg_max(c.caseworker_id, c.start_date) FROM w.caseload c WHERE c.person_id = pm.person_id "
        "AND c.start_date <= $st AND (c.end_date IS NULL OR c.end_date >= $st))"
        if "caseload" in has
        else "NULL::VARCHAR"
    )
    prognosis = (
        "SELECT person_id, arg_max(code, valid_from) AS code, arg_max(integration_goal, valid_from) AS goal "
        "FROM w.prognosis WHERE valid_from <= $st GROUP BY person_id"
        if "prognosis" in has
        else "SELECT NULL::VARCHAR AS person_id, NULL::VARCHAR AS code, NULL::BOOLEAN AS goal WHERE false"
    )
    proposals = (
        "SELECT person_id, count(*) AS n FROM w.proposals WHERE outcome = 'offen' AND date <= $st GROUP BY person_id"
        if "proposals" in has
        else "SELECT NULL::VARCHAR AS person_id, 0 AS n WHERE false"
    )
    if group in GROUPS:
        cond = f"coalesce({GROUPS[group][1]}, false)"
    elif group == "l1":
        cond = "NOT coalesce(pr.goal, false)"
    else:
        cond = "coalesce(op.n, 0) > 0"
    sql = f"""
        WITH {_base(src, ("stock",))},
        s AS (SELECT pm.*, {caseworker} AS caseworker FROM pm),
        pr AS ({prognosis}), op AS ({proposals})
        SELECT s.person_id,
               CASE WHEN s.age < 25 THEN '{AGE_GROUPS[0]}' WHEN s.age < 55 THEN '{AGE_GROUPS[1]}'
                    ELSE '{AGE_GROUPS[2]}' END AS age_group,
               s.sex, s.team, pr.code AS prognosis, coalesce(pr.goal, false) AS integration_goal,
               coalesce(op.n, 0)::INTEGER AS open_proposals
        FROM s LEFT JOIN pr USING (person_id) LEFT JOIN op USING (person_id)
        WHERE {cond} {where}
    """
    return sql, params


def count_persons(src, scope: Scope, jobcenter: str, month: str, group: str) -> int:
    """How many persons :func:`persons` lists (one COUNT in SQL, for the pages of a long list)."""
    sql, params = _persons_query(src, scope, jobcenter, month, group)
    return int(_query(src, f"SELECT count(*) AS n FROM ({sql})", params)["n"].iloc[0])


def persons(
    src,
    db: Session | None,
    scope: Scope,
    jobcenter: str,
    month: str,
    group: str,
    *,
    limit: int | None = None,
    offset: int = 0,
) -> pd.DataFrame:
    """The ELB at ST(month) of ``group`` (a code of GROUPS, or ``l1``/``l2`` for the gap lists)
    within ``scope`` (team / caseload at ST(month)): person_id, age_group, sex, team, prognosis,
    integration_goal, open_proposals, last_meeting (intensive care), open_tasks (DQM; None when
    the DQM package offers no counts); by person id, the ``limit`` rows from ``offset`` (SQL
    ``LIMIT``/``OFFSET``; ``None``: all). The state lookups run for the rows returned only."""
    sql, params = _persons_query(src, scope, jobcenter, month, group)
    page = ""
    if limit is not None:
        page, params = "LIMIT $limit OFFSET $offset", {**params, "limit": int(limit), "offset": int(offset)}
    out = _query(src, f"SELECT * FROM ({sql}) ORDER BY person_id {page}", params)
    ids = out["person_id"].tolist()
    out["last_meeting"] = [None] * len(out)
    out["open_tasks"] = [None] * len(out)
    if db is not None and ids:
        last = last_meetings(db, ids)
        out["last_meeting"] = [last.get(p) for p in ids]
        counts = open_task_counts(db, ids)
        if counts is not None:
            out["open_tasks"] = [int(counts.get(p, 0)) for p in ids]
    return out


def last_meetings(db: Session, person_ids: list[str]) -> dict[str, dt.date]:
    """The date of the last intensive-care meeting per person (persons with one only)."""
    rows = db.execute(
        select(IntensivePlace.person_id, func.max(IntensiveMeeting.date))
        .join(IntensiveMeeting, IntensiveMeeting.place_id == IntensivePlace.id)
        .where(IntensivePlace.person_id.in_(person_ids))
        .group_by(IntensivePlace.person_id)
    ).all()
    return {p: d for p, d in rows}


def open_task_counts(db: Session, person_ids: list[str]) -> dict[str, int] | None:
    """Open data-quality tasks per person from ``amip.dqm.tasks.open_counts`` when that exists,
    else None (the page shows "–")."""
    try:
        tasks = importlib.import_module("amip.dqm.tasks")
    except ImportError:
        return None
    fn = getattr(tasks, "open_counts", None)
    if fn is None:
        return None
    return fn(db, person_ids)


# the column of the warehouse each group needs beside the ELB spells (r3-reports)
GROUP_SOURCES = {
    "schwerbehindert": ("persons", "severely_disabled"),
    "gefluechtet": ("persons", "refugee"),
    "ohne_abschluss": ("persons", "vocational_qualification"),
}


def available_groups(src) -> set[str]:
    """The group codes of :data:`GROUPS` the warehouse can tell (``u25`` and
    ``alleinerziehend`` always; the three person flags only where their optional column exists:
    without it every person would count as outside the group)."""
    cols = set(
        _query(
            src,
            "SELECT column_name FROM information_schema.columns WHERE table_catalog = 'w' AND table_name = 'persons'",
            {},
        )["column_name"]
    )
    return {g for g in GROUPS if g not in GROUP_SOURCES or GROUP_SOURCES[g][1] in cols}
