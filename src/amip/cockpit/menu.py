"""The main navigation: which pages a role is offered, in which order, and the way back from an error.

A menu entry appears exactly when the role has the entry's capability (``access.POLICY`` stays the
single source) and the page has content for this warehouse (``offered``): Vergleich needs
published figures or several job centers, Abgleich published figures, Datenstände at least two
deliveries (revision statistics compare two; with one delivery the footer already names it). A
page that is not offered still answers when opened by its address and says why it is empty.

A role with a start page of its own work (``access.start_page``: IFK, team lead, admin) gets the
entries of that work first, in the order of ``ENTRIES``; the others (Geschäftsführung,
Controlling) get the job center's pages in the order of ``ENTRIES``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from amip.cockpit import access
from amip.published.store import published_path


def has_published(st) -> bool:
    """Published figures lie beside the warehouse (``amip published import``)."""
    return st is not None and published_path(st.warehouse).exists()


def has_comparison(st) -> bool:
    """The Vergleich has content: published figures, or several job centers in the warehouse."""
    return st is not None and (has_published(st) or len(st.jobcenters) > 1)


def has_revisions(st) -> bool:
    """The Datenstände page has content: at least two deliveries (revisions compare two)."""
    return st is not None and len(st.deliveries()) > 1


@dataclass(frozen=True)
class Entry:
    label: str
    path: str
    capabilities: tuple[str, ...]  # any of them; () = every logged-in user (Konto)
    work: tuple[str, ...] = ()  # the entry is own work for a role with any of these
    offered: Callable[[object], bool] | None = None  # the page has content for this store

    def allowed(self, role: str) -> bool:
        return not self.capabilities or any(access.may(role, c) for c in self.capabilities)

    def own_work(self, role: str) -> bool:
        return any(access.may(role, c) for c in self.work)


ENTRIES: tuple[Entry, ...] = (
    Entry("Meine Arbeit", "/meine-arbeit", (access.MY_WORK,), work=(access.MY_WORK,)),
    Entry("Mein Team", "/mein-team", (access.MY_TEAM,), work=(access.MY_TEAM,)),
    Entry("Übersicht", "/uebersicht", (access.FIGURES,)),
    Entry("K1", "/kennzahl/K1", (access.FIGURES,)),
    Entry("K2", "/kennzahl/K2", (access.FIGURES,)),
    Entry("K3", "/kennzahl/K3", (access.FIGURES,)),
    Entry("Vergleich", "/vergleich", (access.STEERING,), offered=has_comparison),
    Entry("Abgleich", "/abgleich", (access.STEERING,), offered=has_published),
    Entry("Prognose", "/prognose", (access.STEERING,)),
    Entry("Planung", "/planung", (access.STEERING,), work=(access.PLAN_TEAM,)),
    Entry("Zielnachhaltung", "/zielnachhaltung", (access.STEERING,)),
    Entry("Budget", "/budget", (access.STEERING,)),
    Entry("Zielgruppen", "/zielgruppen", (access.FIGURES,)),
    Entry("Datenqualität", "/datenqualitaet", (access.STEERING,)),
    Entry("Berichte", "/berichte", (access.STEERING,)),
    Entry("Datenstände", "/datenstaende", (access.DELIVERIES,), offered=has_revisions),
    Entry(
        "Intensivbetreuung",
        "/intensivbetreuung",
        (access.INTENSIVE_CARE, access.INTENSIVE_OVERVIEW),
        work=(access.INTENSIVE_CARE, access.MY_TEAM),
    ),
    Entry("Aufgaben", "/aufgaben", (access.TASKS,), work=(access.MY_WORK, access.MY_TEAM)),
    Entry("Benutzer", "/admin/benutzer", (access.USERS,), work=(access.USERS,)),
    Entry("Protokoll", "/admin/protokoll", (access.AUDIT,), work=(access.AUDIT,)),
    Entry("Konto", "/konto", ()),
)


def entries(role: str, st) -> list[Entry]:
    """The menu of ``role`` for the store ``st``: allowed and offered entries, own work first for a
    role whose start page is its own work."""
    shown = [e for e in ENTRIES if e.allowed(role) and (e.offered is None or e.offered(st))]
    if access.start_page(role) != "/":
        shown.sort(key=lambda e: not e.own_work(role))  # stable: ENTRIES order within each group
    return shown


def start_label(role: str) -> str:
    """The name of the role's start page ("Meine Arbeit", "Übersicht", ...)."""
    start = access.start_page(role)
    return "Übersicht" if start == "/" else next(e.label for e in ENTRIES if e.path == start)


def back_entry(path: str, role: str | None, st) -> Entry | None:
    """The page to go back to from an error at ``path``: the menu entry of the section the path
    lies in (``/aufgaben/status`` -> Aufgaben, ``/intensivbetreuung/platz/7`` -> Intensivbetreuung),
    if the role is offered it and it is not the start page; else None (the start page link is
    always there)."""
    if role is None:
        return None
    start = access.start_page(role)
    for e in entries(role, st):
        if e.path != start and (path == e.path or path.startswith(e.path + "/")):
            return e
    return None
