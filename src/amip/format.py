"""German display formats (de-DE): 4.554; 22,5; -6,9. Values are rounded only here. Also the two
value helpers the displays share: ``is_missing`` (None or NaN) and ``pct_change``."""

from __future__ import annotations

import math

from babel.numbers import format_decimal

LOCALE = "de_DE"
MONTHS_DE = (
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
)  # month names for texts and the charts' time locale


def is_missing(v: object) -> bool:
    """True for None and NaN (a float, numpy or Decimal NaN is the one value unequal to itself)."""
    return v is None or v != v


def as_number(v: object) -> float | None:
    """``v`` as a float for arithmetic; None for None, NaN, text, bool and anything else that is
    not a number."""
    if v is None or isinstance(v, (str, bytes, bool)):
        return None
    try:
        f = float(v)  # type: ignore[arg-type]  # numbers, numpy scalars, Decimal; the rest fails below
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def pct_change(new: float | None, old: float | None) -> float | None:
    """Relative change in percent, (new − old) / old · 100; None when either is None or old is 0."""
    if new is None or old is None or old == 0:
        return None
    return (new - old) / old * 100


def number(value: float | int | None, decimals: int = 0) -> str:
    if value is None or is_missing(value):  # the None test narrows the type for mypy
        return "–"
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=LOCALE)


def percent(value: float | None, decimals: int = 1) -> str:
    """A figure already in percent, e.g. 22.5 -> '22,5'."""
    return number(value, decimals)


def points(value: float | None, decimals: int = 1, signed: bool = True) -> str:
    """A difference of percentages in percentage points, e.g. -0.6 -> '−0,6 Pp.' (a true minus
    sign; '+' for a rise unless ``signed=False``; '0,0 Pp.' without a sign)."""
    if value is None or is_missing(value):
        return "–"
    text = number(abs(value), decimals)
    sign = "" if text.strip("0,") == "" else ("−" if value < 0 else ("+" if signed else ""))
    return f"{sign}{text} Pp."
