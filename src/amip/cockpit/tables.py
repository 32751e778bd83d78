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

    def display(self, v) -> str:
        if dc.is_suppressed(v):
            return dc.MARK
        if self.kind == "text" or self.kind == "month":
            return "–" if fmt.is_missing(v) else str(v)
        if self.kind == "percent":
            return fmt.percent(v, 1 if self.decimals is None else self.decimals)
        if self.kind == "amount":
            return fmt.number(v, 0 if self.decimals is None else self.decimals)
        return fmt.number(v, 0 if self.decimals is None else self.decimals)


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
    """CSV as German spreadsheet programs read it: ';' between fields, decimal comma, UTF-8 with BOM.
    Numbers keep their full precision (only the HTML view rounds). Text cells that a spreadsheet
    would read as a formula are neutralised (``amip.exports.safe_cell``); numbers stay numbers."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow([safe_text(c.label) for c in table.columns])
    for row in table.rows:
        out = []
        for c in table.columns:
            v = row.get(c.key)
            if fmt.is_missing(v):
                out.append("")
            elif c.kind in ("count", "amount", "percent") and isinstance(v, (int, float)):
                out.append(_plain_number(v))
            else:
                out.append(str(safe_cell(v)))
        w.writerow(out)
    data = "\ufeff" + buf.getvalue()
    return Response(
        data.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{table.filename}.csv"'},
    )


def _plain_number(v: float) -> str:
    if float(v).is_integer():
        return str(int(v))
    return repr(float(v)).replace(".", ",")


def xlsx_response(table: DataTable) -> Response:
    """XLSX with numeric cells (German display formats applied by the spreadsheet); texts are
    written as text cells, never as formulas or links."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {**XLSX_OPTIONS, "nan_inf_to_errors": True})
    if table.caption:  # names the job center, month and group (the sheet keeps header + rows only)
        wb.set_properties({"title": table.caption})
    ws = wb.add_worksheet(table.title[:31].replace("/", "-").replace(":", " "))
    bold = wb.add_format({"bold": True})
    formats = {
        "count": wb.add_format({"num_format": "#,##0"}),
        "amount": wb.add_format({"num_format": "#,##0.00"}),
        "percent": wb.add_format({"num_format": "0.0"}),
    }
    for k, c in enumerate(table.columns):
        ws.write_string(0, k, c.label, bold)
    for r, row in enumerate(table.rows, start=1):
        for k, c in enumerate(table.columns):
            v = row.get(c.key)
            if fmt.is_missing(v):
                ws.write_blank(r, k, None)
            elif c.kind in formats and isinstance(v, (int, float)):
                ws.write_number(r, k, float(v), formats[c.kind])
            else:
                ws.write_string(r, k, str(v))
    ws.set_column(0, len(table.columns) - 1, 18)
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
