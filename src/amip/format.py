"""The one formatting layer (de-DE) for pages, downloads, reports and the CLI: numbers 4.554; 22,5;
−6,9; months 12/2022 (input also 2022-12: ``iso_month``); dates 31.12.2022; times in Europe/Berlin
('01.12.2026 um 15:54 Uhr'); counts without decimals; rates with one decimal; euro amounts;
download cells rounded as shown (``plain``) with units in the header (``with_unit``); "today" of
data pages = the Datenstand (``data_day``, ``today``). Values are rounded only here. Also the
value helpers the displays share: ``is_missing`` (None or NaN), ``as_number`` and ``pct_change``.
docs/formats.md lists every rule."""

from __future__ import annotations

import calendar as _calendar
import datetime as _dt
import functools
import math
import re
from zoneinfo import ZoneInfo

from babel import Locale
from babel.numbers import NumberPattern, format_decimal, parse_pattern

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


@functools.cache
def _pattern(decimals: int) -> NumberPattern:
    return parse_pattern("#,##0" + ("." + "0" * decimals if decimals else ""))


_LOCALE = Locale.parse(LOCALE)


def number(value: float | int | None, decimals: int = 0) -> str:
    """What ``babel.numbers.format_decimal(value, pattern, "de_DE")`` gives, with the locale and the
    pattern parsed once (a page formats hundreds of numbers; parsing them each time, under Babel's
    global lock, cost about half of it)."""
    if value is None or is_missing(value):  # the None test narrows the type for mypy
        return "–"
    return _pattern(decimals).apply(value, _LOCALE, decimal_quantization=True, group_separator=True)


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


# ---- one formatting layer (issue 15): months, times, counts, money, download cells, "today" -----

ZONE = "Europe/Berlin"  # every time a person reads is Berlin time (the state stores UTC)
_MONTH_ISO = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
_MONTH_DE = re.compile(r"^\s*(\d{1,2})/(\d{4})\s*$")


def iso_month(text: object) -> str:
    """A month a person typed, ``12/2022`` (as every page shows it) or ``2022-12`` (the contract's
    form), as ``2022-12``; ValueError naming both forms otherwise. The one month parser of the CLI
    options and the cockpit's query parameters."""
    s = "" if text is None else str(text)
    m = _MONTH_ISO.match(s)
    year, mon = (m.group(1), m.group(2)) if m else (None, None)
    if m is None and (d := _MONTH_DE.match(s)):
        year, mon = d.group(2), d.group(1)
    if year is None or mon is None or not 1 <= int(mon) <= 12:
        raise ValueError(f"{s!r} is not a month (use MM/YYYY or YYYY-MM, e.g. 12/2022)")
    return f"{year}-{int(mon):02d}"


def month(value: object) -> str:
    """A month as people read it: ``2022-12`` (or ``12/2022``, a date or a month's first day) ->
    ``12/2022``; '–' when missing. Machine outputs keep ``YYYY-MM``."""
    if value is None or is_missing(value):
        return "–"
    if hasattr(value, "year") and hasattr(value, "month"):
        return f"{int(value.month):02d}/{int(value.year):04d}"
    try:
        iso = iso_month(str(value)[:7] if re.match(r"^\d{4}-\d{2}-\d{2}", str(value)) else value)
    except ValueError:
        return str(value)  # not a month: shown as it is rather than hidden
    return f"{iso[5:7]}/{iso[:4]}"


def _berlin(value: object) -> _dt.datetime | None:
    """``value`` (a datetime, pandas Timestamp or ISO text; naive means UTC) in Berlin time."""
    if value is None or is_missing(value):
        return None
    if isinstance(value, str):
        try:
            value = _dt.datetime.fromisoformat(value.strip().replace(" UTC", "").replace("Z", "+00:00"))
        except ValueError:
            return None  # not a point in time: shown as missing rather than failing the page
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if not isinstance(value, _dt.datetime):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.UTC)
    return value.astimezone(ZoneInfo(ZONE))


def time_de(value: object, seconds: bool = False, short: bool = False) -> str:
    """A point in time as '01.12.2026 um 15:54 Uhr' in Europe/Berlin (summer time included);
    ``short`` for table cells: '01.12.2026 15:54'. Naive datetimes are UTC, as the state database
    stores them; '–' when missing."""
    t = _berlin(value)
    if t is None:
        return "–"
    clock = "%H:%M:%S" if seconds else "%H:%M"
    return t.strftime(f"%d.%m.%Y {clock}" if short else f"%d.%m.%Y um {clock} Uhr")


def count(value: float | int | None, decimals: int = 1) -> str:
    """A count: whole numbers without decimals ('253', not '253,0'); a count that is an average
    (a Jahresdurchschnitt, an averaged denominator) with ``decimals``; '–' when missing."""
    if value is None or is_missing(value):
        return "–"
    return number(value, 0 if float(value).is_integer() else decimals)


def rate(value: float | None, decimals: int = 1) -> str:
    """A rate or share in percent for display, with its unit: 22.456 -> '22,5 %' (no break)."""
    if value is None or is_missing(value):
        return "–"
    return f"{percent(value, decimals)}\u00a0%"


def money(value: float | None, decimals: int = 0) -> str:
    """An amount in euro: 1234567.8 -> '1.234.568 €' (no break before the sign); '–' when missing."""
    if value is None or is_missing(value):
        return "–"
    return f"{number(value, decimals)}\u00a0€"


def plain(value: float | int | None, decimals: int = 0) -> str:
    """A number for a download cell people open in a spreadsheet: rounded exactly as the page
    shows it (the same rounding as :func:`number`), decimal comma, no thousands separator, no
    float noise: 939.9999999999999 -> '940,0' (1 decimal); '' when missing."""
    if value is None or is_missing(value):
        return ""
    return format_decimal(value, format="0" + ("." + "0" * decimals if decimals else ""), locale=LOCALE)


_UNIT_FORMS = {"%": ("in %", "%"), "EUR": ("in Euro", "in EUR", "Euro", "EUR", "€")}


def with_unit(label: str, unit: str | None) -> str:
    """A column header with its unit in parentheses: ('Anteil', '%') -> 'Anteil (%)'; a unit the
    label already names is moved there ('Anteil %', 'Anteil in %' -> 'Anteil (%)', 'Plan in Euro'
    -> 'Plan (EUR)'), a parenthesis at the end takes it ('Zähler (Insgesamt)' -> 'Zähler (Insgesamt,
    EUR)'); a label with the unit already in parentheses stays as it is."""
    if not unit or f"({unit}" in label or f"{unit})" in label:
        return label
    for form in _UNIT_FORMS.get(unit, (unit,)):
        if label.endswith(" " + form):
            return f"{label[: -len(form) - 1]} ({unit})"
    if label.endswith(")") and "(" in label:  # 'Zähler (Insgesamt)' -> 'Zähler (Insgesamt, EUR)'
        return f"{label[:-1]}, {unit})"
    return f"{label} ({unit})"


def data_day(as_of: object = None, last_month: str | None = None) -> _dt.date | None:
    """ "Today" for pages and reports about data: the data's Datenstand, never the machine clock
    (a 2022 data set says 2022). The day of the latest delivery (``as_of``) when known, else the
    Stichtag (last day) of the last covered month, else None."""
    if as_of is not None and not is_missing(as_of):
        text = as_of.isoformat() if hasattr(as_of, "isoformat") else str(as_of)
        return _dt.date.fromisoformat(text[:10])
    if last_month:
        iso = iso_month(last_month)
        y, m = int(iso[:4]), int(iso[5:7])
        return _dt.date(y, m, _calendar.monthrange(y, m)[1])
    return None


TODAY_DATA = "data"


def today(setting: str | None, data: _dt.date | None = None) -> _dt.date:
    """The one "today" for what depends on the real date (meeting reminders, the places of the
    current year), from the setting ``AMIP_TODAY``: a date (``YYYY-MM-DD`` or ``DD.MM.YYYY``) fixes
    it; ``data`` makes it the data's Datenstand (``data``, see :func:`data_day`; demos on old
    data); unset, the real date in Berlin."""
    s = (setting or "").strip()
    if s == TODAY_DATA and data is not None:
        return data
    if s and s != TODAY_DATA:
        if re.match(r"^\d{1,2}\.\d{1,2}\.\d{4}$", s):
            d, m, y = s.split(".")
            return _dt.date(int(y), int(m), int(d))
        return _dt.date.fromisoformat(s)
    return _dt.datetime.now(ZoneInfo(ZONE)).date()
