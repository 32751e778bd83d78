"""Tables as the pages show them (``DataTable``, ``Column``) and their downloads as CSV and XLSX."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import xlsxwriter
from fastapi import HTTPException
from fastapi.responses import Response
from markupsafe import Markup

from amip import disclosure as dc
from amip import format as fmt
from amip.exports import XLSX_OPTIONS, safe_cell, safe_text


@dataclass
class Column:
    key: str
    label: str
    kind: str = "text"  # text | count | amount | percent | month
    decimals: int | None = None
    unit: str | None = None  # of the downloads' header; default "%" for percent columns ("" for none)

    @property
    def places(self) -> int:
        """Decimals shown: the column's, else one for percent and none for the rest."""
        return (1 if self.kind == "percent" else 0) if self.decimals is None else self.decimals

    @property
    def header(self) -> str:
        """The downloads' header: the label with its unit, 'Anteil (%)', 'Plan (EUR)'."""
        unit = self.unit if self.unit is not None else ("%" if self.kind == "percent" else "")
        return fmt.with_unit(self.label, unit)

    def display(self, v) -> str:
        if dc.is_suppressed(v):
            return dc.MARK
        if self.kind == "month":
            return fmt.month(v)
        if self.kind == "text":
            return "–" if fmt.is_missing(v) else str(v)
        if self.kind == "count":  # whole counts without decimals ("253", not "253,0")
            return fmt.count(v, self.places)
        return fmt.number(v, self.places)

    def cell(self, v) -> str:
        """The value in a CSV for people: rounded as shown, decimal comma, no float noise."""
        if fmt.is_missing(v):
            return ""
        if dc.is_suppressed(v):
            return dc.MARK
        if self.kind == "month":
            return fmt.month(v)
        if self.kind in NUMERIC and isinstance(v, (int, float)):
            whole = self.kind == "count" and float(v).is_integer()
            return fmt.plain(v, 0 if whole else self.places)
        return str(safe_cell(v))


NUMERIC = ("count", "amount", "percent")


@dataclass
class DataTable:
    """A table as the pages show it; ``links`` maps (row index, column key) to a URL."""

    title: str
    columns: list[Column]
    rows: list[dict]
    filename: str
    links: dict[tuple[int, str], str] = field(default_factory=dict)
    caption: str | None = None

    @property
    def suppressed(self) -> bool:
        """Some cell holds a suppressed small number (amip.disclosure); the page explains the ``*``."""
        return dc.any_suppressed(self.rows)

    def cell(self, i: int, col: Column) -> Markup:
        text = Markup.escape(col.display(self.rows[i].get(col.key)))
        url = self.links.get((i, col.key))
        return Markup(f'<a href="{Markup.escape(url)}">{text}</a>') if url else text


def csv_response(table: DataTable) -> Response:
    """CSV for people, as German spreadsheet programs read it: ';' between fields, decimal comma,
    UTF-8 with BOM; numbers rounded as the page shows them (``Column.cell``; the JSON API keeps
    full precision), months as 12/2022, units in the header ("Anteil (%)"). Text cells that a
    spreadsheet would read as a formula are neutralised (``amip.exports.safe_cell``)."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow([safe_text(c.header) for c in table.columns])
    for row in table.rows:
        w.writerow([c.cell(row.get(c.key)) for c in table.columns])
    data = "\ufeff" + buf.getvalue()
    return Response(
        data.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{table.filename}.csv"'},
    )


def _num_format(c: Column) -> str:
    """The spreadsheet's display format of a numeric column: grouped, with the page's decimals."""
    return "#,##0" + ("." + "0" * c.places if c.places else "")


def xlsx_response(table: DataTable) -> Response:
    """XLSX with numeric cells (German display formats applied by the spreadsheet); texts are
    written as text cells, never as formulas or links."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {**XLSX_OPTIONS, "nan_inf_to_errors": True})
    if table.caption:  # names the job center, month and group (the sheet keeps header + rows only)
        wb.set_properties({"title": table.caption})
    ws = wb.add_worksheet(table.title[:31].replace("/", "-").replace(":", " "))
    bold = wb.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    formats = {k: wb.add_format({"num_format": _num_format(c)}) for k, c in enumerate(table.columns)}
    whole = wb.add_format({"num_format": "#,##0"})  # a whole count, as the page shows it ("253")
    widths = [min(max(len(c.header), 8), 40) for c in table.columns]  # header up to 40, then wrapped
    for k, c in enumerate(table.columns):
        ws.write_string(0, k, c.header, bold)
    for r, row in enumerate(table.rows, start=1):
        for k, c in enumerate(table.columns):
            v = row.get(c.key)
            if fmt.is_missing(v):
                ws.write_blank(r, k, None)
                continue
            if c.kind in NUMERIC and isinstance(v, (int, float)) and not dc.is_suppressed(v):
                is_whole = c.kind == "count" and float(v).is_integer()
                ws.write_number(r, k, float(v), whole if is_whole else formats[k])  # full value, page's decimals
                shown = c.display(v)
            else:
                shown = c.display(v) if c.kind == "month" or dc.is_suppressed(v) else str(v)
                ws.write_string(r, k, shown)
            widths[k] = min(max(widths[k], len(shown) + 2), 60)
    for k, width in enumerate(widths):
        ws.set_column(k, k, width)
    ws.freeze_panes(1, 0)
    wb.close()
    return Response(
        buf.getvalue(),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{table.filename}.xlsx"'},
    )


def download(table: DataTable, fmt_: str) -> Response:
    if fmt_ == "csv":
        return csv_response(table)
    if fmt_ == "xlsx":
        return xlsx_response(table)
    raise HTTPException(404, "Unbekanntes Format (csv oder xlsx)")
