"""The data state of a figure's value, as every page and report shows it.

A value in the figure cache comes from one delivery (``as_of``) and is ``final`` (BA-comparable:
that delivery is the earliest on or after ST(M + 3)) or ``provisional_k`` (the latest delivery
before ST(M + k + 1), k = 0, 1, 2; data-contract.md, "Deliveries (Datenstände) and the
Wartezeit"). Next to a provisional value goes the expected revision of its lag: the 5 % and 95 %
quantiles of the revisions the same figure had at that lag in the past (``FigureStore.band``).

This module only reads the cache (``FigureStore.value``/``history`` rows carry ``as_of`` and
``data_state``; ``FigureStore.band``) and words it (``amip.format``); the cockpit and the reports
share it, so both say the same.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from amip import format as fmt
from amip.figures import glossary

FINAL = fmt.FINAL
STATE_NOTE = (
    "„endgültig“: BA-vergleichbarer Wert, berechnet aus der ersten Datenlieferung nach Ablauf der "
    "Wartezeit von drei Monaten nach dem Berichtsmonat. „vorläufig“: berechnet aus der letzten Lieferung "
    "davor (Datenstand in Klammern); der Wert kann sich mit späteren Lieferungen noch ändern. Die "
    "erwartete Revision ist der Bereich, in dem 90 % der bisherigen Revisionen dieser Kennzahl beim "
    "selben Abstand zum Berichtsmonat lagen (vorläufiger minus endgültiger Wert)."
)


def as_date(value: Any) -> dt.date | None:
    """A cache value (date, datetime, pandas Timestamp, ISO text, None/NaT) as a date."""
    if value is None or fmt.is_missing(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        return value.to_pydatetime().date()
    return dt.date.fromisoformat(str(value)[:10])


def unit(figure: str) -> tuple[str, int]:
    """The unit of a revision of ``figure`` and its decimals: percentage points for quotas, rates and
    shares; plain numbers (no decimals) for counts such as S6."""
    ex = glossary.EXPLANATIONS.get(figure)
    if ex is not None and ex.kind == "Anzahl":
        return "", 0
    return "Pp.", 1


@dataclass(frozen=True)
class State:
    """The data state of one value: ``data_state`` (``final``, ``provisional_0`` … ``provisional_2``),
    the delivery it was computed from, and for a provisional value the expected revision band
    ({"mean", "p05", "p95", "months"}; None when there are no past revisions yet)."""

    data_state: str | None
    as_of: dt.date | None
    band: dict | None = None
    figure: str = ""
    withheld: bool = False  # the band is not shown: the value beside it is a suppressed small number

    def withhold(self) -> State:
        """The same state without its band (for a suppressed value: its revisions would tell it)."""
        return replace(self, band=None, withheld=True)

    @property
    def final(self) -> bool:
        return self.data_state == FINAL

    @property
    def provisional(self) -> bool:
        return fmt.is_provisional(self.data_state)

    @property
    def lag(self) -> int | None:
        return fmt.state_lag(self.data_state)

    @property
    def label(self) -> str:
        """'endgültig' / 'vorläufig (Datenstand 01.01.2023)'."""
        return fmt.state_label(self.data_state, self.as_of)

    @property
    def short(self) -> str:
        """'endgültig' / 'vorläufig' (for table cells and chart legends)."""
        return "endgültig" if self.final else ("vorläufig" if self.provisional else "")

    @property
    def band_label(self) -> str:
        """'erwartete Revision −1,1 bis +0,1 Pp. (90 %, 24 Monate)' for a provisional value with a
        band; '' otherwise."""
        if not self.provisional or self.withheld:
            return ""
        u, decimals = unit(self.figure)
        return fmt.band_label(self.band, u, decimals)

    @property
    def title(self) -> str:
        """The long explanation (the tooltip of the label)."""
        if self.final:
            return f"Endgültiger, BA-vergleichbarer Wert (Datenstand {fmt.date_de(self.as_of)})"
        if self.provisional:
            k = self.lag
            after = (
                "direkt nach dem Berichtsmonat"
                if k == 0
                else f"{k} Monat{'e' if k != 1 else ''} nach dem Berichtsmonat"
            )
            return (
                f"Vorläufiger Wert aus der Lieferung vom {fmt.date_de(self.as_of)} ({after}); "
                "er kann sich mit späteren Lieferungen noch ändern"
            )
        return ""


def of_row(store, jobcenter: str, figure: str, sex: str, row: dict | None) -> State | None:
    """The state of a ``FigureStore.value``/``history`` row (None without a row or a state)."""
    if not row or row.get("data_state") is None or fmt.is_missing(row.get("data_state")):
        return None
    data_state = str(row["data_state"])
    band = None
    lag = fmt.state_lag(data_state)
    if lag is not None:
        band = store.band(jobcenter, figure, sex, lag)
    return State(data_state, as_date(row.get("as_of")), band, figure)


def of_value(store, jobcenter: str, figure: str, month: str, sex: str = "all") -> State | None:
    """The state of ``figure`` in ``month`` (None when the cache has no such value)."""
    return of_row(store, jobcenter, figure, sex, store.value(jobcenter, figure, month, sex))


def of_month(store, jobcenter: str, month: str) -> State | None:
    """The state of the month's values without a band (every figure of a Bezugsmonat comes from the
    same delivery): for pages that show many figures of one month."""
    for figure in store.available_figures():
        row = store.value(jobcenter, figure, month, "all")
        if row and row.get("data_state") is not None and not fmt.is_missing(row.get("data_state")):
            return State(str(row["data_state"]), as_date(row.get("as_of")), None, figure)
    return None


def states_by_month(store, jobcenter: str, figure: str, sex: str = "all", **kw) -> dict[str, State]:
    """{month: State} over ``store.history`` (same arguments), bands included."""
    hist = store.history(jobcenter, figure, sex, **kw)
    out: dict[str, State] = {}
    for row in hist.to_dict("records"):
        s = of_row(store, jobcenter, figure, sex, row)
        if s is not None:
            out[str(row["month"])] = s
    return out


__all__ = ["FINAL", "STATE_NOTE", "State", "as_date", "of_month", "of_row", "of_value", "states_by_month", "unit"]
