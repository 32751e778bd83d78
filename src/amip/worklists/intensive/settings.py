"""Intensive care: the programme's settings and date rules.

The numbers of the programme (AMIP 2022, docs/worklists.md) and of the LZB rule (kennzahlen.md),
the places per IFK and year from ``AMIP_INTENSIVE_PLACES``, "today" for reminders, calendar-month
arithmetic and the ``Dur`` bands the matched comparison uses. Imports only amip.format.
"""

from __future__ import annotations

import datetime as dt
from calendar import monthrange

import pandas as pd

from amip import format as fmt

WINDOW_DAYS = 730
THRESHOLD_DAYS = 638
HORIZON_DAYS = 183  # "within the next six months"
PLACE_MONTHS = 6
GRACE_DAYS = 7  # a meeting is overdue this many days after its due date
SOON_DAYS = 7  # "bald fällig" this many days before
DEFAULT_PLACES = 5
DEFAULT_PLACES_SPEC = "2020:2,2022:5"
INTEGRATION_KINDS = ("svb", "ausbildung", "selbst")
DUR_BANDS = (
    (0, 549, "bis 549 Tage"),
    (550, 599, "550–599 Tage"),
    (600, 637, "600–637 Tage"),
    (638, 730, "ab 638 Tage"),
)


class IntensiveError(ValueError):
    """A refused take or meeting; the message is German and shown to the user."""


def places_per_year(spec: str | None) -> dict[int, int]:
    """``"5"`` -> {0: 5} (every year); ``"2020:2,2022:5"`` -> {2020: 2, 2022: 5}."""
    spec = (spec or DEFAULT_PLACES_SPEC).strip()
    out: dict[int, int] = {}
    try:
        if ":" not in spec:
            out[0] = int(spec)
        else:
            for part in spec.split(","):
                year, n = part.split(":")
                out[int(year)] = int(n)
    except ValueError:
        raise ValueError(f"AMIP_INTENSIVE_PLACES: expected '5' or '2020:2,2022:5', not {spec!r}") from None
    if any(n < 0 for n in out.values()):
        raise ValueError("AMIP_INTENSIVE_PLACES: the number of places must not be negative")
    return out


def places_for(year: int, spec: str | None = None) -> int:
    """N for ``year``: the value of the latest listed year on or before it, else 5."""
    table = places_per_year(spec)
    years = [y for y in table if y <= year]
    return table[max(years)] if years else DEFAULT_PLACES


def today_of(fixed: str | None = None, data: dt.date | None = None) -> dt.date:
    """The date for reminders and the places of the current year (amip.format.today, the one
    "today" of the package): ``fixed`` (AMIP_TODAY: a date; ``data`` = the data's Datenstand
    ``data``) or the real date in Berlin."""
    return fmt.today(fixed, data)


def add_months(d: dt.date, n: int) -> dt.date:
    """The same day ``n`` months later (the month's last day where it is shorter)."""
    idx = d.year * 12 + d.month - 1 + n
    y, m = idx // 12, idx % 12 + 1
    return dt.date(y, m, min(d.day, monthrange(y, m)[1]))


def band(dur: int | None) -> str | None:
    if dur is None or pd.isna(dur):
        return None
    for lo, hi, label in DUR_BANDS:
        if lo <= dur <= hi:
            return label
    return None
