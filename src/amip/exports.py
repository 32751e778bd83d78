"""Safe cells for spreadsheet downloads (CSV and XLSX): no formula injection.

A spreadsheet program treats a CSV cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return as a formula (``=HYPERLINK(…)`` in a user name or a plan note would become a
link or a command). Following OWASP's rule, :func:`safe_cell` prefixes such *text* cells with a
single quote; numbers (also negative ones) are not texts and stay numbers. Every CSV writer
of amip goes through :func:`safe_cell`; XLSX writers use :data:`XLSX_OPTIONS` and write texts
with ``write_string`` so no text ever becomes a formula or a link.
"""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# xlsxwriter.Workbook options for every XLSX download: ws.write() never turns a text into a
# formula or a hyperlink (texts are still written with write_string where the code knows them).
XLSX_OPTIONS = {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}


def safe_text(text: str) -> str:
    """``text`` with a leading ``'`` when a spreadsheet would read it as a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


def safe_cell(value):
    """A CSV/XLSX cell value: strings neutralised by :func:`safe_text`, everything else unchanged."""
    return safe_text(value) if isinstance(value, str) else value
