"""JSON endpoints (described in the OpenAPI document at /openapi.json): aggregated figures only.

Authentication is the cockpit's session cookie; person-level data is not offered here."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Security
from fastapi.security import APIKeyCookie
from pydantic import BaseModel

from amip.cockpit import access
from amip.cockpit.web import SESSION_COOKIE, Viewer, current_user, pick_figure, pick_jobcenter, pick_month, pick_sex, require, store

router = APIRouter(prefix="/api", tags=["Kennzahlen"])
session_cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, description="Sitzungs-Cookie nach Anmeldung über /login")


class ApiError(BaseModel):
    """What the API answers on 401, 404 and 422 (see the exception handlers in ``app``)."""

    detail: str
    errors: list[str] | None = None


ERRORS: dict[int | str, dict[str, Any]] = {401: {"model": ApiError, "description": "Nicht angemeldet"},
          404: {"model": ApiError, "description": "Unbekannte Kennzahl, unbekanntes Jobcenter, Monat oder Gruppe"},
          422: {"model": ApiError, "description": "Ungültige Anfrage"}}


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


class UnitRow(BaseModel):
    unit: str
    numerator: float | None
    denominator: float | None
    value: float | None


def _clean(v):
    return None if v is None or v != v else float(v)


def api_user(request: Request, _cookie: str | None = Security(session_cookie)) -> Viewer:
    viewer = current_user(request)
    require(viewer, access.FIGURES)
    return viewer


@router.get("/health", response_model=Health)
def health(request: Request) -> Health:
    """Liveness: the figure store is loaded (no login needed, no data shown)."""
    st = store(request)
    return Health(status="ok", jobcenters=len(st.jobcenters), first_month=st.months[0] if st.months else None,
                  last_month=st.latest)


@router.get("/jobcenters", response_model=list[str], responses=ERRORS)
def jobcenters(request: Request, _viewer: Viewer = Depends(api_user)) -> list[str]:
    return store(request).jobcenters


@router.get("/figures", response_model=list[FigureRow], responses=ERRORS)
def figures(request: Request, figure: str = Query(..., max_length=8), jc: str | None = Query(None, max_length=64),
            sex: str | None = Query(None, max_length=3),
            first: str | None = Query(None, alias="from", pattern=r"^\d{4}-\d{2}$"),
            last: str | None = Query(None, alias="to", pattern=r"^\d{4}-\d{2}$"),
            _viewer: Viewer = Depends(api_user)) -> list[FigureRow]:
    """One figure by month for a job center and sex, as in the data contract's output."""
    st = store(request)
    figure, jc, sex = pick_figure(st, figure), pick_jobcenter(st, jc), pick_sex(sex)
    if first and last and first > last:
        raise HTTPException(422, "from liegt nach to")
    hist = st.history(jc, figure, sex, last=last, months=10_000)
    if first:
        hist = hist[hist["month"] >= first]
    return [FigureRow(jobcenter_id=jc, month=m, figure=figure, sex=sex, numerator=_clean(n), denominator=_clean(d),
                      value=_clean(v)) for m, n, d, v in zip(hist["month"], hist["numerator"], hist["denominator"], hist["value"])]


@router.get("/figures/{figure}/units", response_model=list[UnitRow], responses=ERRORS)
def units(request: Request, figure: str, kind: str = Query("office", pattern="^(office|team)$"),
          jc: str | None = Query(None, max_length=64), month: str | None = Query(None, max_length=7),
          sex: str | None = Query(None, max_length=3), _viewer: Viewer = Depends(api_user)) -> list[UnitRow]:
    """A figure by office or team (persons assigned at the Stichtag); empty without caseload data."""
    st = store(request)
    figure, jc, month, sex = pick_figure(st, figure), pick_jobcenter(st, jc), pick_month(st, month), pick_sex(sex)
    t = st.by_unit(jc, figure, month, kind, sex)
    return [UnitRow(unit=u, numerator=_clean(n), denominator=_clean(d), value=_clean(v))
            for u, n, d, v in zip(t["unit"], t["numerator"], t["denominator"], t["value"])]
