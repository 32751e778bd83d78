"""Report tables: one structure rendered to HTML (print) and to XLSX sheets with numeric cells."""

from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup, escape

from amip import format as fmt

DECIMALS = {"count": 0, "euro": 0, "pct": 1, "amount1": 1, "amount2": 2, "num": 0, "text": None}


@dataclass
class Col:
    key: str
    label: str
    kind: str = "count"  # text | count | euro | pct | amount1 | amount2 | num (a number already formatted as text)

    def display(self, v) -> str:
        if self.kind == "text":
            return "" if v is None else str(v)
        if fmt.is_missing(v):
            return "–"
        if isinstance(v, str):
            return v
        return fmt.number(v, DECIMALS[self.kind])


@dataclass
class ReportTable:
    name: str  # sheet / marker name, [a-z0-9_]
    title: str
    columns: list[Col]
    rows: list[dict]
    caption: str = ""  # shown under the table (Quelle / Stand)
    note: str = ""  # explanation shown above when the table is empty or incomplete
    header_groups: list[tuple[str, int]] = field(default_factory=list)  # (label, colspan) row above the header
    emphasis: set[int] = field(default_factory=set)  # row indexes printed bold
    row_kinds: dict[int, str] = field(default_factory=dict)  # row index -> kind of its numeric cells (e.g. "pct")

    def kind(self, i: int, c: Col) -> str:
        return self.row_kinds.get(i, c.kind) if c.kind != "text" else "text"

    def html(self) -> Markup:
        out = [
            f'<figure class="table" id="tab-{self.name}"><figcaption class="title">{escape(self.title)}</figcaption>'
        ]
        if self.note:
            out.append(f'<p class="note">{escape(self.note)}</p>')
        out.append("<table><thead>")
        if self.header_groups:
            out.append(
                "<tr>"
                + "".join(f'<th scope="colgroup" colspan="{n}">{escape(lbl)}</th>' for lbl, n in self.header_groups)
                + "</tr>"
            )
        out.append(
            "<tr>"
            + "".join(
                f'<th scope="col" class="{"num" if c.kind != "text" else "txt"}">{escape(c.label)}</th>'
                for c in self.columns
            )
            + "</tr>"
        )
        out.append("</thead><tbody>")
        for i, row in enumerate(self.rows):
            cls = ' class="strong"' if i in self.emphasis else ""
            out.append(
                f"<tr{cls}>"
                + "".join(
                    f'<td class="{"num" if c.kind != "text" else "txt"}">'
                    f"{escape(Col(c.key, c.label, self.kind(i, c)).display(row.get(c.key)))}</td>"
                    for c in self.columns
                )
                + "</tr>"
            )
        out.append("</tbody></table>")
        if self.caption:
            out.append(f'<p class="source">{escape(self.caption)}</p>')
        out.append("</figure>")
        return Markup("".join(out))


def write_xlsx(tables: list[ReportTable], path_or_buffer, title: str) -> None:
    """One sheet per table: a title line, the header, numeric cells with German-looking formats."""
    import xlsxwriter

    from amip.exports import XLSX_OPTIONS

    wb = xlsxwriter.Workbook(path_or_buffer, XLSX_OPTIONS)  # texts never become formulas or links
    bold = wb.add_format({"bold": True})
    head = wb.add_format({"bold": True, "bottom": 1, "text_wrap": True, "valign": "top"})
    formats = {
        "count": wb.add_format({"num_format": "#,##0"}),
        "euro": wb.add_format({"num_format": "#,##0"}),
        "pct": wb.add_format({"num_format": "0.0"}),
        "amount1": wb.add_format({"num_format": "#,##0.0"}),
        "amount2": wb.add_format({"num_format": "#,##0.00"}),
        "num": wb.add_format({"num_format": "#,##0.0"}),
    }
    used: set[str] = set()
    for t in tables:
        name = t.name[:31]
        while name in used:
            name = name[:29] + f"_{len(used)}"
        used.add(name)
        ws = wb.add_worksheet(name)
        ws.write_string(0, 0, f"{title} – {t.title}", bold)
        r = 2
        if t.note:
            ws.write_string(1, 0, t.note)
        # column widths from what the cells show (as on paper), header words wrapped at 30
        groups = [lbl for lbl, n in t.header_groups for _ in range(n)]  # a column's group label
        labels = [
            f"{groups[j]}: {c.label}" if j < len(groups) and groups[j] and groups[j] != c.label else c.label
            for j, c in enumerate(t.columns)
        ]
        widths = [min(max([8, *(len(w) for w in label.split())]), 30) for label in labels]
        for j, label in enumerate(labels):
            ws.write_string(r, j, label, head)
        for i, row in enumerate(t.rows):
            r += 1
            for j, c in enumerate(t.columns):
                v = row.get(c.key)
                kind = t.kind(i, c)
                if kind == "text" or isinstance(v, str):
                    ws.write_string(r, j, "" if v is None else str(v))
                elif fmt.is_missing(v):
                    ws.write_blank(r, j, None)
                else:
                    ws.write_number(r, j, float(v), formats[kind])
                shown = Col(c.key, c.label, kind).display(v)
                widths[j] = min(max(widths[j], len(shown) + 2), 60)
        for j, width in enumerate(widths):
            ws.set_column(j, j, width)
        ws.freeze_panes(3, 0)  # title line, blank/note, header
        if t.caption:
            ws.write_string(r + 2, 0, t.caption)
    wb.close()
