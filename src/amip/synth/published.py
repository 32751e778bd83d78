"""Synthetic "published figures": the § 48a figures of synthetic job centers as the BMAS publishes them.

``amip synth --published FILE`` computes every figure of every home job center of the data it has
just written (and of the data sets given with ``--include-data``) with amip's own engine (the
``compute`` that ``amip.api.key_figures`` runs; the synthetic layer may not import the entry
points), rounds them as published and writes them in the contract's output format
(``jobcenter_id, month, figure, sex, numerator, denominator, value``), with the ``jobcenters``
table of those job centers beside it. ``amip published import`` reads both files back.

Rounding (docs/decisions.md, 70): the BA's tables show a figure's value in percent with one
decimal place and its Zähler and Nenner as whole numbers (the Zähler of K1/K1E1 in whole euros);
so ``value`` is the unrounded value rounded to one decimal, ``numerator`` and ``denominator`` are
rounded to integers, half away from zero (kaufmännisch). A figure the engine cannot compute
(NULL value: the months it needs are not in the data) is not published: no row.

Only a data set's *home* job centers are published (amip.warehouse.jobcenters): the job centers
its moved-in customers come from have spells but none of their payments in the extract, and a
figure of them would not be theirs.

"One delivery later": the demo reconciles its Elbe-Elster against published figures computed from
a later state of its own data. A data set given with ``include`` is used as it is, so the hook is
the directory passed: today the final data (the same folder the demo imports); with deliveries
(``amip synth --deliveries``), the folder of the delivery after the one imported.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

FIGURE_COLUMNS = ("jobcenter_id", "month", "figure", "sex", "numerator", "denominator", "value")
WRITABLE = (".csv", ".parquet", ".xlsx")
ROUND_MODE = "half_towards_infinity"  # half away from zero (kaufmännisch)


def check_out(path: Path) -> None:
    """A ValueError when ``path`` has no writable ending (CSV, Parquet, XLSX)."""
    if Path(path).suffix.lower() not in WRITABLE:
        raise ValueError(f"{path}: unknown format {Path(path).suffix or '(none)'} (use {', '.join(WRITABLE)})")


def round_published(table: pa.Table) -> pa.Table:
    """The figures as published: rows with a value only, value to one decimal place, numerator
    and denominator as whole numbers (half away from zero), in the contract's column order."""
    table = table.filter(pc.is_valid(table.column("value")))
    out = {c: table.column(c) for c in ("jobcenter_id", "month", "figure", "sex")}
    for c in ("numerator", "denominator"):
        out[c] = pc.cast(pc.round(table.column(c), 0, round_mode=ROUND_MODE), pa.int64())
    out["value"] = pc.round(table.column("value"), 1, round_mode=ROUND_MODE)
    return pa.table(out).sort_by([(c, "ascending") for c in ("jobcenter_id", "month", "figure", "sex")])


def figures_of(data: Path, progress: Callable[[str], None] | None = None) -> tuple[pa.Table, pa.Table | None]:
    """The unrounded figures of the home job centers of the data set ``data`` over all its months,
    and its ``jobcenters`` table (None when it has none)."""
    from amip.kennzahlen.backends import ibis_backend, warehouse_connection
    from amip.kennzahlen.engine import compute
    from amip.warehouse.jobcenters import home_jobcenters
    from amip.warehouse.store import table_names

    with warehouse_connection(data=Path(data), progress=progress) as con, ibis_backend(con) as be:
        row = con.execute("SELECT first_month, last_month FROM dataset").fetchone()
        assert row is not None  # the contract's dataset table has exactly one row (validated)
        first, last = row
        result = compute(be, str(first), str(last), progress=progress)
        home = home_jobcenters(con)
        names = con.execute("SELECT * FROM jobcenters").to_arrow_table() if "jobcenters" in table_names(con) else None
    figures = result.table.filter(pc.is_in(result.table.column("jobcenter_id"), pa.array(home, pa.string())))
    if names is not None:
        names = names.filter(pc.is_in(names.column("jobcenter_id"), pa.array(home, pa.string())))
    return figures, names


def published(sources: Sequence[Path], progress: Callable[[str], None] | None = None) -> tuple[pa.Table, pa.Table]:
    """The published figures of every home job center of the data sets ``sources`` and their
    ``jobcenters`` rows (a job center without a row gets none: the import names it by its id).
    A job center in two sources is an error (its figures would be mixed)."""
    say = progress or (lambda _m: None)
    figures: list[pa.Table] = []
    names: list[pa.Table] = []
    seen: dict[str, Path] = {}
    for src in sources:
        say(f"figures of {Path(src).name}")
        f, n = figures_of(Path(src), progress=say)
        for jc in pc.unique(f.column("jobcenter_id")).to_pylist():
            if jc in seen:
                raise ValueError(f"job center {jc} is in two data sets ({seen[jc]} and {src}); give it once")
            seen[jc] = Path(src)
        figures.append(round_published(f.select(list(FIGURE_COLUMNS))))
        if n is not None:
            names.append(n.select(["jobcenter_id", "name", "land", "kind", "vergleichstyp"]))
    table = pa.concat_tables(figures).sort_by([(c, "ascending") for c in ("jobcenter_id", "month", "figure", "sex")])
    jobcenters = (
        pa.concat_tables(names).sort_by("jobcenter_id")
        if names
        else pa.table({c: pa.array([], pa.string()) for c in ("jobcenter_id", "name", "land", "kind", "vergleichstyp")})
    )
    return table, jobcenters


def write_table(table: pa.Table, path: Path, sheet: str = "Tabelle") -> None:
    """``table`` as CSV (header, ',' separated, '.' decimals), Parquet or XLSX (one sheet, header in
    row 1, numbers as numbers) by the file's ending; written atomically."""
    path = Path(path)
    check_out(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        import pyarrow.csv as pacsv

        pacsv.write_csv(table, tmp, write_options=pacsv.WriteOptions(include_header=True, quoting_style="needed"))
    elif suffix == ".parquet":
        import pyarrow.parquet as pq

        pq.write_table(table, tmp, compression="zstd", store_schema=False)
    else:
        _write_xlsx(table, tmp, sheet)
    tmp.replace(path)


def _write_xlsx(table: pa.Table, path: Path, sheet: str) -> None:
    import xlsxwriter

    from amip.exports import XLSX_OPTIONS

    options = {**XLSX_OPTIONS, "in_memory": False, "constant_memory": True}
    wb = xlsxwriter.Workbook(str(path), options)
    ws = wb.add_worksheet(sheet)
    for j, name in enumerate(table.column_names):
        ws.write_string(0, j, name)
    columns = [table.column(c).to_pylist() for c in table.column_names]
    for i in range(table.num_rows):
        for j, col in enumerate(columns):
            v = col[i]
            if v is None:
                continue
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                ws.write_number(i + 1, j, v)
            else:
                ws.write_string(i + 1, j, str(v))
    wb.close()


def default_jobcenters_out(published_out: Path) -> Path:
    """Where the ``jobcenters`` table goes when no file is given: ``<name>-jobcenters.<ending>``
    beside the published figures."""
    p = Path(published_out)
    return p.with_name(f"{p.stem}-jobcenters{p.suffix}")


def write_published(
    sources: Sequence[Path],
    out: Path,
    jobcenters_out: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int | str]:
    """Compute, round and write the published figures of ``sources`` to ``out`` and their
    ``jobcenters`` table to ``jobcenters_out`` (default :func:`default_jobcenters_out`)."""
    check_out(out)
    names_out = Path(jobcenters_out) if jobcenters_out is not None else default_jobcenters_out(out)
    check_out(names_out)
    table, names = published(sources, progress)
    write_table(table, out, "Kennzahlen")
    write_table(names, names_out, "Jobcenter")
    return {
        "rows": table.num_rows,
        "jobcenters": len(pc.unique(table.column("jobcenter_id"))),
        "named": names.num_rows,
        "jobcenters_file": str(names_out),
    }
