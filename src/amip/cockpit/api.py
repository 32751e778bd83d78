"""JSON endpoints (described in the OpenAPI document at /openapi.json): aggregated figures only.

Authentication is the cockpit's session cookie; person-level data is not offered here. Small
numbers are suppressed as on the pages (``amip.disclosure``, docs/security.md, "Small numbers and DQM tasks"): a
suppressed numerator, denominator or value is ``null`` and the row has ``suppressed: true``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Security
from fastapi.security import APIKeyCookie
from pydantic import BaseModel, Field

from amip import disclosure as dc
from amip import format as fmt
from amip.cockpit import access
from amip.cockpit.auth import SESSION_COOKIE, Viewer, needs
from amip.cockpit.context import store
from amip.cockpit.pages.figure import suppressed_units
from amip.cockpit.params import pick_figure, pick_jobcenter, pick_month, pick_sex
from amip.figures import glossary, states

router = APIRouter(prefix="/api", tags=["Kennzahlen"])
session_cookie = APIKeyCookie(
    name=SESSION_COOKIE, auto_error=False, description="Sitzungs-Cookie nach Anmeldung über /login"
)


class ApiError(BaseModel):
    """What the API answers on 401, 404 and 422 (see the exception handlers in ``app``)."""

    detail: str
    errors: list[str] | None = None


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ApiError, "description": "Nicht angemeldet"},
    404: {"model": ApiError, "description": "Unbekannte Kennzahl, unbekanntes Jobcenter, Monat oder Gruppe"},
    422: {"model": ApiError, "description": "Ungültige Anfrage"},
}


class Health(BaseModel):
    status: str
    jobcenters: int
    first_month: str | None
    last_month: str | None


class FigureRow(BaseModel):
    jobcenter_id: str
    month: str
    figure: str
    sex: str
    numerator: float | None
    denominator: float | None
    value: float | None
    suppressed: bool = Field(
        False,
        description="Ein Wert unter 3 (oder ein daraus abgeleiteter) wird aus "
        "Datenschutzgründen nicht ausgewiesen; die betroffenen Felder sind null.",
    )
    as_of: dt.date | None = Field(None, description="Datenstand: die Lieferung, aus der der Wert berechnet ist.")
    data_state: str | None = Field(
        None,
        description="final (endgültig, BA-vergleichbar) oder provisional_0, provisional_1, provisional_2 "
        "(vorläufig, 0, 1 oder 2 Monate nach dem Berichtsmonat).",
    )


class UnitRow(BaseModel):
    unit: str
    numerator: float | None
    denominator: float | None
    value: float | None
    suppressed: bool = Field(
        False,
        description="Ein Wert unter 3 (oder ein daraus abgeleiteter) wird aus "
        "Datenschutzgründen nicht ausgewiesen; die betroffenen Felder sind null.",
    )


def _clean(v):
    return dc.api_value(v)


def _flag(row: dict) -> bool:
    return any(dc.is_suppressed(row.get(k)) for k in ("numerator", "denominator", "value"))


def _policy(viewer: Viewer, figure: str) -> dc.Policy:
    return access.disclosure(viewer) if glossary.PERSON_BASED[figure] else dc.SHOW_ALL


def api_user(_cookie: str | None = Security(session_cookie), viewer: Viewer = Depends(needs(access.FIGURES))) -> Viewer:
    """The API's user: a figures viewer (the cookie parameter documents the login in the OpenAPI)."""
    return viewer


@router.get("/health", response_model=Health)
def health(request: Request) -> Health:
    """Liveness: the figure store is loaded (no login needed, no data shown)."""
    st = store(request)
    return Health(
        status="ok",
        jobcenters=len(st.jobcenters),
        first_month=st.months[0] if st.months else None,
        last_month=st.latest,
    )


@router.get("/jobcenters", response_model=list[str], responses=ERRORS)
def jobcenters(request: Request, _viewer: Viewer = Depends(api_user)) -> list[str]:
    return store(request).jobcenters


@router.get("/figures", response_model=list[FigureRow], responses=ERRORS)
def figures(
    request: Request,
    figure: str = Query(..., max_length=8),
    jc: str | None = Query(None, max_length=64),
    sex: str | None = Query(None, max_length=3),
    first: str | None = Query(None, alias="from", pattern=r"^\d{4}-\d{2}$"),
    last: str | None = Query(None, alias="to", pattern=r"^\d{4}-\d{2}$"),
    _viewer: Viewer = Depends(api_user),
) -> list[FigureRow]:
    """One figure by month for a job center and sex, as in the data contract's output (small numbers
    suppressed for roles that may not see the persons: ``null`` and ``suppressed: true``)."""
    st = store(request)
    figure, jc, sex = pick_figure(st, figure), pick_jobcenter(st, jc), pick_sex(sex)
    if first and last and first > last:
        raise HTTPException(422, "from liegt nach to")
    hist = st.history(jc, figure, sex, last=last, months=10_000)
    if first:
        hist = hist[hist["month"] >= first]
    rows = dc.suppress_rows(
        hist.to_dict("records"),
        _policy(_viewer, figure),
        ("numerator", "denominator"),
        {"value": ("numerator", "denominator")},
        secondary=False,
    )
    return [
        FigureRow(
            jobcenter_id=jc,
            month=r["month"],
            figure=figure,
            sex=sex,
            numerator=_clean(r["numerator"]),
            denominator=_clean(r["denominator"]),
            value=_clean(r["value"]),
            suppressed=_flag(r),
            as_of=states.as_date(r.get("as_of")),
            data_state=None if fmt.is_missing(r.get("data_state")) else r.get("data_state"),
        )
        for r in rows
    ]


@router.get("/figures/{figure}/units", response_model=list[UnitRow], responses=ERRORS)
def units(
    request: Request,
    figure: str,
    kind: str = Query("office", pattern="^(office|team)$"),
    jc: str | None = Query(None, max_length=64),
    month: str | None = Query(None, max_length=7),
    sex: str | None = Query(None, max_length=3),
    _viewer: Viewer = Depends(api_user),
) -> list[UnitRow]:
    """A figure by office or team (persons assigned at the Stichtag); empty without caseload data.
    Small numbers, their secondary partner and values derived from them are ``null`` with
    ``suppressed: true`` for roles that may not see those persons."""
    st = store(request)
    figure, jc, month, sex = pick_figure(st, figure), pick_jobcenter(st, jc), pick_month(st, month), pick_sex(sex)
    rows = suppressed_units(st, jc, figure, month, sex, kind, access.disclosure(_viewer))
    return [
        UnitRow(
            unit=r["unit"],
            numerator=_clean(r["numerator"]),
            denominator=_clean(r["denominator"]),
            value=_clean(r["value"]),
            suppressed=_flag(r),
        )
        for r in rows
    ]
