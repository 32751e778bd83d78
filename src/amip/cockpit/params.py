"""Request parameters shared by the pages, checked against the data (404 when unknown)."""

from __future__ import annotations

from typing import Annotated

from fastapi import HTTPException
from fastapi import Path as PathParam

from amip import format as fmt
from amip.figures import glossary

# A row id in a URL: SQLite's and PostgreSQL's integers end at 2**63-1; anything outside is not a
# row (the app answers 404 for a path that fails validation) instead of an overflow deep down.
MAX_ROW_ID = 2**63 - 1
RowId = Annotated[int, PathParam(ge=1, le=MAX_ROW_ID)]


def pick_jobcenter(store_, jc: str | None) -> str:
    if not store_.jobcenters:
        raise HTTPException(404, "Die Datenbasis enthält keine Jobcenter.")
    if jc is None or jc == "":
        return store_.jobcenters[0]
    if jc not in store_.jobcenters:
        raise HTTPException(404, "Unbekanntes Jobcenter.")
    return jc


def pick_month(store_, month: str | None) -> str:
    """The Bezugsmonat of a query parameter, ``12/2022`` or ``2022-12`` (amip.format.iso_month),
    as ``2022-12``; the latest month without one; 404 for a month without figures."""
    if month is None or month == "":
        if store_.latest is None:
            raise HTTPException(404, "Keine Monate mit Kennzahlen in der Datenbasis.")
        return store_.latest
    try:
        month = fmt.iso_month(month)
    except ValueError:
        raise HTTPException(404, "Kein Monat (MM/JJJJ, z. B. 12/2022).") from None
    if month not in store_.months:
        raise HTTPException(404, "Für diesen Monat liegen keine Kennzahlen vor.")
    return month


def pick_sex(sex: str | None) -> str:
    if sex is None or sex == "":
        return "all"
    if sex not in glossary.SEXES:
        raise HTTPException(404, "Unbekannte Gruppe (all, w, m).")
    return sex


def pick_figure(store_, figure: str) -> str:
    if figure not in store_.available_figures():
        raise HTTPException(
            404, "Diese Kennzahl gibt es nicht oder sie ist mit den vorhandenen Daten nicht berechenbar."
        )
    return figure
