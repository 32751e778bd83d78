"""German display formats (de-DE): 4.554; 22,5; -6,9. Values are rounded only here."""

from __future__ import annotations

from babel.numbers import format_decimal

LOCALE = "de_DE"


def number(value: float | int | None, decimals: int = 0) -> str:
    if value is None or value != value:  # None or NaN
        return "–"
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=LOCALE)


def percent(value: float | None, decimals: int = 1) -> str:
    """A figure already in percent, e.g. 22.5 -> '22,5'."""
    return number(value, decimals)
