"""Request parameters shared by the pages, checked against the data (404 when unknown)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

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


# ---- paging and sorting of long lists (tasks, person lists) -------------------------------------

PAGE_SIZE = 50
MAX_PAGE = 10**9  # beyond any list; a larger number is not a page (400)


@dataclass(frozen=True)
class Page:
    """One page of a list of ``total`` rows: ``number`` counts from 1, ``offset``/``size`` are the
    SQL ``OFFSET``/``LIMIT``; ``first``/``last`` the 1-based rows shown (0, 0 for an empty list)."""

    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def first(self) -> int:
        return self.offset + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.offset + self.size, self.total)

    def links(self, around: int = 2) -> list[int | None]:
        """The page numbers a pager offers: the first, the last and ``around`` either side of the
        current one; ``None`` where numbers are left out."""
        keep = {1, self.pages, *range(self.number - around, self.number + around + 1)}
        out: list[int | None] = []
        for n in range(1, self.pages + 1):
            if n in keep:
                out.append(n)
            elif out and out[-1] is not None:
                out.append(None)
        return out


def paged_name(what: str, page: Page) -> str:
    """A list's name for the audit log, with the page when the list has more than one."""
    return f"{what}, Seite {page.number} von {page.pages}" if page.pages > 1 else what


def page_number(page: str | None) -> int:
    """The ``page`` parameter: empty = 1; anything but a whole number from 1 is a bad request (400)."""
    if page is None or page == "":
        return 1
    if not page.isascii() or not page.isdigit() or not 1 <= int(page) <= MAX_PAGE:
        raise HTTPException(400, "Ungültige Seitenzahl: erwartet wird eine ganze Zahl ab 1.")
    return int(page)


def pick_page(page: str | None, total: int, size: int = PAGE_SIZE) -> Page:
    """The page to show of ``total`` rows; a number past the end shows the last page."""
    return Page(min(page_number(page), max(1, -(-total // size))), size, total)


@dataclass(frozen=True)
class Sort:
    """A list's sort column and direction, from the ``sort`` parameter (``month`` ascending,
    ``-month`` descending)."""

    key: str
    descending: bool

    @property
    def param(self) -> str:
        return ("-" if self.descending else "") + self.key

    def toggle(self, key: str) -> str:
        """The ``sort`` value of a column header's link: the other direction if it is the current
        column, else ascending."""
        if key == self.key and not self.descending:
            return "-" + key
        return key

    def aria(self, key: str) -> str | None:
        """``aria-sort`` of a column header (only the sorted column carries it)."""
        if key != self.key:
            return None
        return "descending" if self.descending else "ascending"


def pick_sort(sort: str | None, keys: Iterable[str], default: str) -> Sort:
    """``sort`` checked against the sortable ``keys`` (404 when unknown, like other codes)."""
    value = default if sort is None or sort == "" else sort
    key = value.removeprefix("-")
    if key not in set(keys):
        raise HTTPException(404, "Unbekannte Sortierung.")
    return Sort(key, value.startswith("-"))


def query_string(params: dict[str, object]) -> str:
    """A URL query of codes (filters, sort, page), leaving out empty values."""
    return urlencode({k: str(v) for k, v in params.items() if v not in (None, "")})
