"""Abgleich: amip's figures beside the published ones (amip.comparison.reconcile), per month: how
many rows agree within rounding, differ or are in one source only, and each row with both sides,
the differences and a first explanation. The tolerance is stated on the page. amip's own person
counts follow the viewer's small-number policy (access.disclosure); published numbers are shown."""

from __future__ import annotations

import threading
from collections import OrderedDict

import pandas as pd
from fastapi import APIRouter, Depends, HTTPException, Request

from amip import disclosure as dc
from amip import format as fmt
from amip.cockpit import access
from amip.cockpit.auth import Viewer, needs
from amip.cockpit.context import store
from amip.cockpit.render import render
from amip.cockpit.tables import Column, DataTable, download
from amip.comparison import reconcile as rc
from amip.comparison.compare import describe, jobcenter_info
from amip.figures import glossary
from amip.published.store import Published, load_published

router = APIRouter()
_cache: OrderedDict[tuple, pd.DataFrame] = OrderedDict()
_cache_lock = threading.Lock()
CACHE_SIZE = 8


def table_for(st, pub: Published, policy: dc.Policy) -> pd.DataFrame:
    """The whole reconciliation of this figure store and published file (computed once per pair
    and policy: the explanations query the warehouse)."""
    key = (id(st), st.generation, id(pub), policy.key)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    t = rc.reconcile(st, pub, info=jobcenter_info(pub, st), policy=policy)
    with _cache_lock:
        _cache[key] = t
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return t


def _pick_month(t: pd.DataFrame, month: str | None) -> str:
    months = sorted(t["month"].unique())
    if not months:
        raise HTTPException(404, "Keine Zeilen zum Abgleich.")
    if month is None or month == "":
        both = sorted(t[t["status"].isin(["equal", "different"])]["month"].unique())
        return (both or months)[-1]
    if month not in months:
        raise HTTPException(404, "Für diesen Monat gibt es keine Zeilen zum Abgleich.")
    return month


def month_summary(t: pd.DataFrame, jc: str) -> DataTable:
    t = t[t["jobcenter_id"] == jc]
    counts = t.groupby(["month", "status"]).size().unstack(fill_value=0)
    rows = []
    for month in sorted(counts.index, reverse=True):
        r = {"month": month, **{s: int(counts.loc[month].get(s, 0)) for s in rc.STATUSES}}
        rows.append(r)
    links = {(i, "month"): f"/abgleich?jc={jc}&month={r['month']}" for i, r in enumerate(rows)}
    return DataTable(
        "Abgleich je Monat",
        [
            Column("month", "Monat", "month"),
            *(Column(s, rc.STATUS_LABELS[s].capitalize(), "count") for s in rc.STATUSES),
        ],
        rows,
        f"abgleich_monate_{jc}",
        links,
        caption="Zeilen je Monat und Ergebnis (Kennzahl × Gruppe)",
    )


def rows_table(st, t: pd.DataFrame, jc: str, month: str, status: str | None, policy: dc.Policy) -> DataTable:
    t = t[(t["jobcenter_id"] == jc) & (t["month"] == month)]
    if status:
        t = t[t["status"] == status]
    rows = []
    for r in t.to_dict("records"):
        own = {k: r[k] for k in ("numerator", "denominator", "value")}
        if glossary.PERSON_BASED.get(r["figure"], True) and not all(fmt.is_missing(v) for v in own.values()):
            own = dc.suppress_value(own, policy) or own
        hidden = any(dc.is_suppressed(v) for v in own.values())
        rows.append(
            {
                "figure": r["figure"],
                "sex": glossary.SEXES[r["sex"]],
                **own,
                "published_numerator": r["published_numerator"],
                "published_denominator": r["published_denominator"],
                "published_value": r["published_value"],
                "diff_numerator": dc.SUPPRESSED if hidden else _diff(r["numerator"], r["published_numerator"]),
                "diff_value": dc.SUPPRESSED if hidden else _diff(r["value"], r["published_value"]),
                "status": rc.STATUS_LABELS[r["status"]],
                "explanation": r["explanation"] or "–",
            }
        )
    return DataTable(
        "Abgleich",
        [
            Column("figure", "Kennzahl"),
            Column("sex", "Gruppe"),
            Column("numerator", "Zähler amip", "count", 1),
            Column("denominator", "Nenner amip", "count", 1),
            Column("value", "Wert amip", "percent", 2),
            Column("published_numerator", "Zähler veröff.", "count", 1),
            Column("published_denominator", "Nenner veröff.", "count", 1),
            Column("published_value", "Wert veröff.", "percent", 1),
            Column("diff_numerator", "Δ Zähler", "count", 1),
            Column("diff_value", "Δ Wert (Pp.)", "amount", 2),
            Column("status", "Ergebnis"),
            Column("explanation", "Erste Erklärung"),
        ],
        rows,
        f"abgleich_{jc}_{month}",
        caption=f"amip und veröffentlichte Kennzahlen, {month[5:7]}/{month[:4]}",
    )


def _diff(a, b) -> float | None:
    if fmt.is_missing(a) or fmt.is_missing(b):
        return None
    return float(a) - float(b)


def _jc(st, jc: str | None) -> str:
    if not st.jobcenters:
        raise HTTPException(404, "Die Datenbasis enthält keine Jobcenter.")
    if jc in (None, ""):
        return st.jobcenters[0]
    if jc not in st.jobcenters:
        raise HTTPException(404, "Unbekanntes Jobcenter.")
    return jc


def _status(status: str | None) -> str | None:
    if status in (None, ""):
        return None
    if status not in rc.STATUSES:
        raise HTTPException(404, "Unbekanntes Ergebnis (equal, different, only_amip, only_published).")
    return status


@router.get("/abgleich", name="reconciliation")
def reconciliation(
    request: Request,
    jc: str | None = None,
    month: str | None = None,
    status: str | None = None,
    viewer: Viewer = Depends(needs(access.STEERING)),
):
    st = store(request)
    pub = load_published(st.warehouse)
    jc = _jc(st, jc)
    status = _status(status)
    if pub is None or not len(pub.figures):
        return render(request, "reconciliation.html", viewer, jc=jc, empty=True)
    policy = access.disclosure(viewer)
    t = table_for(st, pub, policy)
    mine = t[t["jobcenter_id"] == jc]
    if not len(mine):
        return render(request, "reconciliation.html", viewer, jc=jc, empty=True)
    month = _pick_month(mine, month)
    info = jobcenter_info(pub, st)
    return render(
        request,
        "reconciliation.html",
        viewer,
        empty=False,
        jc=jc,
        me=describe(info, jc),
        month=month,
        status=status,
        totals=rc.summary(mine),
        month_totals=rc.summary(mine[mine["month"] == month]),
        labels=rc.STATUS_LABELS,
        tolerance=rc.TOLERANCE_NOTE,
        months=month_summary(t, jc),
        rows=rows_table(st, t, jc, month, status, policy),
        all_months=sorted(mine["month"].unique(), reverse=True),
    )


@router.get("/abgleich/{table}.{fmt}", name="reconciliation_download")
def reconciliation_download(
    request: Request,
    table: str,
    fmt: str,
    jc: str | None = None,
    month: str | None = None,
    status: str | None = None,
    viewer: Viewer = Depends(needs(access.STEERING)),
):
    st = store(request)
    pub = load_published(st.warehouse)
    if pub is None or not len(pub.figures):
        raise HTTPException(404, "Es sind keine veröffentlichten Kennzahlen importiert.")
    jc = _jc(st, jc)
    policy = access.disclosure(viewer)
    t = table_for(st, pub, policy)
    mine = t[t["jobcenter_id"] == jc]
    if not len(mine):
        raise HTTPException(404, "Keine Zeilen zum Abgleich.")
    if table == "monate":
        return download(month_summary(t, jc), fmt)
    if table == "zeilen":
        return download(rows_table(st, t, jc, _pick_month(mine, month), _status(status), policy), fmt)
    raise HTTPException(404, "Unbekannte Tabelle.")
