"""Intensive care: outcomes of finished cohorts against a matched comparison.

Descriptive only (``CAVEAT``): the comparison are candidates of the same reference day who were
never taken and match in age group, sex, prognosis and ``Dur`` band.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from amip.figures.store import Scope
from amip.kennzahlen.calendar import month_str, parse_month, stichtag
from amip.worklists.intensive.candidates import candidates, profiles
from amip.worklists.intensive.places import all_person_ids
from amip.worklists.intensive.settings import INTEGRATION_KINDS, PLACE_MONTHS, add_months, band
from amip.worklists.intensive.warehouse import _query, _tables, data_today
from amip.worklists.models import IntensivePlace

CAVEAT = (
    "Keine kausale Wirkungsmessung: Die Vergleichsgruppe sind Kundinnen und Kunden, die zum selben "
    "Stichtag ebenfalls Kandidaten waren und in Altersgruppe, Geschlecht, Integrationsprognose und "
    "Bezugsdauer-Band übereinstimmen, aber nicht aufgenommen wurden. Die Auswahl durch die "
    "Integrationsfachkraft folgt Merkmalen, die die Daten nicht kennen; Unterschiede können daher "
    "auch aus der Auswahl stammen."
)


def _outcomes(src, person_ids: list[str], start: dt.date, end: dt.date) -> pd.DataFrame:
    """person_id, integrated (an employment spell of kind svb/ausbildung/selbst starting in
    [start, end]), lzb_avoided (not LZB at ``end``)."""
    if not person_ids:
        return pd.DataFrame(columns=["person_id", "integrated", "lzb_avoided"])
    has = _tables(src)
    if "employment_spells" in has:
        kinds = ", ".join(f"'{k}'" for k in INTEGRATION_KINDS)
        ints = _query(
            src,
            f"""
            SELECT DISTINCT person_id FROM w.employment_spells
            WHERE kind IN ({kinds}) AND start_date BETWEEN $a AND $b AND list_contains($ids, person_id)
        """,
            {"a": start, "b": end, "ids": person_ids},
        )
        integrated = set(ints["person_id"])
    else:
        integrated = set()
    at_end = profiles(src, Scope("all"), end, person_ids=person_ids)
    lzb_at_end = set(at_end.loc[at_end["lzb"], "person_id"])
    return pd.DataFrame(
        {
            "person_id": person_ids,
            "integrated": [p in integrated for p in person_ids],
            "lzb_avoided": [p not in lzb_at_end for p in person_ids],
        }
    )


def cohort_outcomes(src, db: Session, *, team: str | None = None, jobcenter: str | None = None) -> list[dict]:
    """The outcome of every finished cohort (places starting in the same month, the six months
    covered by the data) against a matched comparison.

    Cohort of month c: reference day R = ST(c − 1), outcome window [first day of c, + 6 months − 1].
    Taken persons and comparison persons are described at R (age group, sex, prognosis, band of
    ``Dur``); the comparison pool is every candidate at R of the same job center who was never taken
    into intensive care. Exact matching: a taken person with no comparison person in the same cell
    is left out; each matched person is compared with the mean of its cell (so the comparison is
    weighted like the taken group). Integrated: an integration-kind employment starting in the
    window; LZB avoided: not LZB at the window's end."""
    T = data_today(src)
    q = select(IntensivePlace)
    if team is not None:
        q = q.where(IntensivePlace.team_id == team)
    if jobcenter is not None:
        q = q.where(IntensivePlace.jobcenter_id == jobcenter)
    places = list(db.scalars(q))
    ever = all_person_ids(db)
    cohorts: dict[tuple[str, str], list[IntensivePlace]] = {}
    for p in places:
        cohorts.setdefault((p.jobcenter_id, month_str(p.start_date.year * 12 + p.start_date.month - 1)), []).append(p)
    out = []
    keys = ["age_group", "sex", "prognosis", "band"]
    for (jc, month), ps in sorted(cohorts.items()):
        c = parse_month(month)
        ref = stichtag(c - 1)
        start = dt.date(c // 12, c % 12 + 1, 1)
        end = add_months(start, PLACE_MONTHS) - dt.timedelta(days=1)
        row = {"jobcenter": jc, "cohort": month, "places": len(ps), "window_end": end, "evaluable": end <= T}
        if not row["evaluable"]:
            out.append(row)
            continue
        taken_ids = sorted({p.person_id for p in ps})
        taken = profiles(src, Scope("all"), ref, jobcenter=jc, person_ids=taken_ids)
        pool = candidates(src, Scope("all"), at=ref, jobcenter=jc, exclude=ever)
        for t in (taken, pool):
            t["band"] = [band(d) for d in t["dur"]]
            t["prognosis"] = t["prognosis"].fillna("(keine)")
        res_t = taken.merge(_outcomes(src, taken["person_id"].tolist(), start, end), on="person_id")
        res_c = pool.merge(_outcomes(src, pool["person_id"].tolist(), start, end), on="person_id")
        cells = (
            res_c.groupby(keys)
            .agg(c_int=("integrated", "mean"), c_lzb=("lzb_avoided", "mean"), c_n=("person_id", "count"))
            .reset_index()
        )
        matched = res_t.merge(cells, on=keys, how="inner")
        row.update(
            {
                "taken": len(taken_ids),
                "matched": len(matched),
                "comparison": int(cells.merge(matched[keys].drop_duplicates(), on=keys)["c_n"].sum())
                if len(matched)
                else 0,
                "integrated_taken": _pct(res_t["integrated"].mean()) if len(res_t) else None,
                "lzb_avoided_taken": _pct(res_t["lzb_avoided"].mean()) if len(res_t) else None,
                "integrated_matched": _pct(matched["integrated"].mean()) if len(matched) else None,
                "integrated_comparison": _pct(matched["c_int"].mean()) if len(matched) else None,
                "lzb_avoided_matched": _pct(matched["lzb_avoided"].mean()) if len(matched) else None,
                "lzb_avoided_comparison": _pct(matched["c_lzb"].mean()) if len(matched) else None,
            }
        )
        out.append(row)
    return out


def _pct(v) -> float | None:
    return None if v is None or pd.isna(v) else float(v) * 100
