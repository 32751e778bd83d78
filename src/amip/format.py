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


# ---- data states (Datenstände): final or provisional, and the expected revision band ------------

FINAL, PROVISIONAL_PREFIX = "final", "provisional_"


def date_de(value: object) -> str:
    """A date (date, datetime, pandas Timestamp or ISO text) as '01.01.2023'; '–' when missing."""
    if value is None or is_missing(value):
        return "–"
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    y, m, d = text[:10].split("-")
    return f"{d}.{m}.{y}"


def signed(value: float | None, decimals: int = 1) -> str:
    """A difference with its sign, typographic minus: −1,1 / +0,1 / 0,0 (no sign when it rounds to
    zero, as :func:`points`); '–' when missing."""
    if value is None or is_missing(value):
        return "–"
    text = number(abs(value), decimals)
    if text == number(0, decimals):
        return text
    return ("−" if value < 0 else "+") + text


def is_provisional(data_state: str | None) -> bool:
    return bool(data_state) and str(data_state).startswith(PROVISIONAL_PREFIX)


def state_lag(data_state: str | None) -> int | None:
    """The lag k of ``provisional_k`` (None for a final value or no state)."""
    if not is_provisional(data_state):
        return None
    return int(str(data_state)[len(PROVISIONAL_PREFIX) :])


def state_label(data_state: str | None, as_of: object = None) -> str:
    """'endgültig' for a final (BA-comparable) value; 'vorläufig (Datenstand 01.01.2023)' for a
    provisional one; '' when the state is unknown."""
    if data_state == FINAL:
        return "endgültig"
    if is_provisional(data_state):
        return f"vorläufig (Datenstand {date_de(as_of)})" if as_of is not None else "vorläufig"
    return ""


def band_label(band: dict | None, unit: str = "Pp.", decimals: int = 1) -> str:
    """The expected revision of a provisional value, from the revision statistics of its lag:
    'erwartete Revision −1,1 bis +0,1 Pp. (90 %, 24 Monate)' (the 5 % and 95 % quantiles of the
    past revisions, over that many Bezugsmonate); '' without a band."""
    if not band or band.get("months") in (None, 0):
        return ""
    months = int(band["months"])
    return (
        f"erwartete Revision {signed(band.get('p05'), decimals)} bis {signed(band.get('p95'), decimals)} {unit} "
        f"(90\u00a0%, {number(months)} {'Monat' if months == 1 else 'Monate'})"  # no break in "90 %"
    )
