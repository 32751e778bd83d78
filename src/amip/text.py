"""Checks for free texts that users type (plan notes, chapter texts, meeting notes, reasons).

One helper for every form and command that stores a text: :func:`clean_text` normalises line
ends, rejects control characters (newline and tab are allowed in multi-line texts only) and
Unicode direction overrides, and enforces a length limit. Errors are :class:`TextInputError`
with a German message naming the field (and line/column of a bad character), meant to be shown
at the form. User names are checked separately (``state/users.py``).
"""

from __future__ import annotations

import unicodedata

# Direction overrides/isolates can make a text display differently from what it contains.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

# Length limits (characters) of the texts the application stores.
NOTE_MAX = 2000  # plan notes, DQM task reasons, reasons for ending a place
MEETING_MAX = 5000  # each field of an intensive-care meeting record
CHAPTER_MAX = 100_000  # one chapter text of the programme


class TextInputError(ValueError):
    """A typed text is not acceptable; ``str(exc)`` is the German message for the form."""

    def __init__(self, field: str, message: str):
        super().__init__(f"„{field}“: {message}")
        self.field = field


def _n(count: int) -> str:
    return f"{count:,}".replace(",", ".")  # 100.000 (de-DE)


def _where(text: str, index: int) -> str:
    line = text.count("\n", 0, index) + 1
    col = index - (text.rfind("\n", 0, index) + 1) + 1
    return f"Zeile {line}, Spalte {col}" if "\n" in text else f"Stelle {col}"


def clean_text(
    value: object, field: str, *, max_len: int, multiline: bool = True, required: bool = False, strip: bool = True
) -> str:
    """The text as it is stored: CRLF/CR become LF, surrounding blanks removed (``strip``).

    Raises :class:`TextInputError` for a control character (other than LF and tab in a
    multi-line text; in a one-line text no line break or tab at all), a direction override,
    a lone surrogate, more than ``max_len`` characters, or an empty text when ``required``.
    """
    text = "" if value is None else str(value)
    text = text.replace("\r\n", "\n").replace("\r", "\n") if multiline else text
    if strip:
        text = text.strip()
    if required and not text:
        raise TextInputError(field, "bitte ausfüllen.")
    if len(text) > max_len:
        raise TextInputError(field, f"zu lang ({_n(len(text))} Zeichen, höchstens {_n(max_len)}).")
    allowed = ("\n", "\t") if multiline else ()
    for i, ch in enumerate(text):
        if ch in allowed:
            continue
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cs", "Zl", "Zp") or ch in _BIDI:
            what = "Zeilenumbruch" if ch in "\n\r\u2028\u2029" else "Tabulator" if ch == "\t" else "Steuerzeichen"
            raise TextInputError(field, f"enthält ein nicht erlaubtes {what} (U+{ord(ch):04X}) an {_where(text, i)}.")
    return text
