"""The published figures' own file beside the warehouse: import (validated, all or nothing) and reading.

``<warehouse stem>.published.duckdb`` holds

- ``published_figures``: the rows of every publication imported, with its ``publication`` key (a
  month ``YYYY-MM``: the month the BMAS published, by default the latest Bezugsmonat in the file,
  docs/decisions.md 60). Importing a publication again replaces that publication's rows; for each
  (job center, month, figure, sex) the row of the latest publication wins, the older ones stay for
  the history (:attr:`Published.history`).
- ``publications``: one row per publication (when it was imported, from which file name, rows).
- ``jobcenters``: names, Land, kind (gE/zkT) and Vergleichstyp, replaced when a file is given.

The file is written like the warehouse: a new file replaces the old one atomically under its lock
(``amip.warehouse.store.replacing``), so a rejected file, a crash or a second import running at the
same time leave it exactly as it was. Nothing here touches the warehouse or its figure cache.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from amip import duck
from amip.contract.schema import Table
from amip.published.schema import FIGURE_COLUMNS, JOBCENTER_COLUMNS, figures_table, jobcenters_table
from amip.warehouse.store import quiet, replacing
from amip.warehouse.validate import (
    DataSetRejected,
    SourceFile,
    Violation,
    check_table,
    load_raw,
    opened,
    raw_name,
    typed_select,
)

FORMAT_VERSION = "1"
SUFFIX = ".published.duckdb"
READABLE = (".csv", ".parquet", ".xlsx")
MONTH_PATTERN = r"\d{4}-(0[1-9]|1[0-2])"


def published_path(warehouse: Path) -> Path:
    """``amip.published.duckdb`` for ``amip.duckdb``."""
    warehouse = Path(warehouse)
    return warehouse.with_name(warehouse.stem + SUFFIX)


@dataclass(frozen=True)
class ImportSummary:
    publication: str
    rows: int
    jobcenters: int | None  # rows of the jobcenters file, None when none was given
    months: tuple[str, str]  # first and last Bezugsmonat of the file
    publications: int  # publications kept after the import


# ---- reading one file into a validated raw table ----------------------------------------------------


def _xlsx_cell(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.datetime):
        # A month typed into Excel becomes the first day of it
        if v.day == 1 and v.time() == dt.time():
            return f"{v.year:04d}-{v.month:02d}"
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    text = str(v)
    return text if text.strip() else None


def _load_xlsx(con: duckdb.DuckDBPyConnection, source: SourceFile) -> list[Violation]:
    """The first sheet of an XLSX file as text columns in ``raw_<table>`` (header in row 1; ``row``
    in messages is the data row, so the sheet's row is ``row + 1``, as for CSV lines)."""
    import zipfile

    import openpyxl

    name = source.path.name
    with opened(source) as (path, refused):
        if refused is not None:
            return [refused]
        assert path is not None
        from openpyxl.utils.exceptions import InvalidFileException

        fh = open(path, "rb")  # noqa: SIM115 - closed below; the path may be /proc/self/fd/N (no suffix)
        try:
            wb = openpyxl.load_workbook(fh, read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, OSError, KeyError, ValueError) as exc:
            fh.close()
            return [Violation(name, None, None, None, f"file cannot be read as XLSX: {exc}")]
        try:
            sheet = wb.worksheets[0]
            rows = sheet.iter_rows(values_only=True)
            header_row = next(rows, None)
            if header_row is None:
                return [Violation(name, None, None, None, "file is empty (no header row)")]
            header = [None if h is None else str(h).strip() for h in header_row]
            data = [[_xlsx_cell(v) for v in r] for r in rows if any(v is not None for v in r)]
        finally:
            wb.close()
            fh.close()
    problems = [
        Violation(name, None, col.name, None, "required column is missing")
        for col in source.table.columns
        if not col.optional and col.name not in header
    ]
    if problems:
        return problems
    arrays = {"_row": pa.array(range(1, len(data) + 1), pa.int64())}
    for col in source.table.columns:
        i = header.index(col.name) if col.name in header else None
        arrays[col.name] = pa.array([None if i is None or i >= len(r) else r[i] for r in data], pa.string())
    con.register("_xlsx", pa.table(arrays))
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {raw_name(source.table)} AS SELECT * FROM _xlsx")
    finally:
        con.unregister("_xlsx")
    return []


class _Source(SourceFile):
    """A file named by the user: CSV or not by its suffix in any case (``X.CSV``)."""

    @property
    def is_csv(self) -> bool:
        return self.path.suffix.lower() == ".csv"


def _load(con: duckdb.DuckDBPyConnection, table: Table, path: Path) -> tuple[list[Violation], int]:
    """Load and check one file against ``table``: (violations reported, total count)."""
    path = Path(path)
    source = _Source(table, path, path.parent)
    suffix = path.suffix.lower()
    if suffix not in READABLE:
        return [Violation(path.name, None, None, None, "unknown file type (use .csv, .parquet or .xlsx)")], 1
    if not path.exists() and not path.is_symlink():
        return [Violation(path.name, None, None, None, f"file not found: {path}")], 1
    problems = _load_xlsx(con, source) if suffix == ".xlsx" else load_raw(con, source)
    if problems:
        return problems, len(problems)
    return check_table(con, source, None)


def _sex_rule(con, name: str, file: str, not_person_based: Sequence[str]) -> tuple[list[Violation], int]:
    """Figures that are not person based (K1, K1E1) exist only for ``sex = all``."""
    if not not_person_based:
        return [], 0
    codes = ", ".join("'" + c.replace("'", "''") + "'" for c in not_person_based)
    sql = f"SELECT _row, sex FROM {name} WHERE figure IN ({codes}) AND sex <> 'all'"
    total = con.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0]
    rows = con.execute(f"{sql} ORDER BY _row LIMIT 100").fetchall()
    rule = f"figure {'/'.join(not_person_based)} is not person based: only sex 'all'"
    return [
        Violation(file, r, "sex", v, rule, r + 1 if file.lower().endswith(".csv") else None) for r, v in rows
    ], total


def validate(
    con: duckdb.DuckDBPyConnection,
    figures_file: Path,
    figure_codes: Sequence[str],
    not_person_based: Sequence[str] = (),
    jobcenters_file: Path | None = None,
) -> None:
    """Load both files into typed temporary tables ``published`` and ``jobcenters`` on ``con``;
    :class:`DataSetRejected` with every violation (file, row, column, value, rule) otherwise."""
    quiet(con)
    con.execute("SET preserve_insertion_order = true")
    ftable = figures_table(figure_codes)
    violations, total = _load(con, ftable, Path(figures_file))
    if not violations:
        got, n = _sex_rule(con, raw_name(ftable), Path(figures_file).name, not_person_based)
        violations += got
        total += n
    jtable = jobcenters_table()
    if jobcenters_file is not None:
        got, n = _load(con, jtable, Path(jobcenters_file))
        violations += got
        total += n
    if total:
        raise DataSetRejected(violations, total)
    con.execute(f"CREATE OR REPLACE TEMP TABLE published AS {typed_select(ftable, raw_name(ftable))}")
    if jobcenters_file is not None:
        con.execute(f"CREATE OR REPLACE TEMP TABLE jobcenters AS {typed_select(jtable, raw_name(jtable))}")


def import_published(
    figures_file: Path,
    warehouse: Path,
    figure_codes: Sequence[str],
    not_person_based: Sequence[str] = (),
    jobcenters_file: Path | None = None,
    publication: str | None = None,
    wait: float = 0.0,
) -> ImportSummary:
    """Validate ``figures_file`` (and ``jobcenters_file``) and add it as one publication to the
    published file beside ``warehouse`` (all or nothing; :class:`DataSetRejected` when a rule is
    broken, ``ImportLocked`` when another import holds the file longer than ``wait`` seconds).
    ``publication`` (``YYYY-MM``) defaults to the latest Bezugsmonat in the file."""
    import re

    if publication is not None and not re.fullmatch(MONTH_PATTERN, publication):
        raise ValueError(f"--publication {publication!r} is not a month (YYYY-MM)")
    target = published_path(warehouse)
    check = duck.connect()
    try:
        validate(check, figures_file, figure_codes, not_person_based, jobcenters_file)
        first, last, rows = check.execute("SELECT min(month), max(month), count(*) FROM published").fetchone()  # type: ignore[misc]
        if not rows:
            raise DataSetRejected([Violation(Path(figures_file).name, None, None, None, "file holds no rows")], 1)
        pub = publication or last
        figures = check.execute(f"SELECT {', '.join(FIGURE_COLUMNS)} FROM published").to_arrow_table()
        jcs = (
            check.execute(f"SELECT {', '.join(JOBCENTER_COLUMNS)} FROM jobcenters").to_arrow_table()
            if jobcenters_file is not None
            else None
        )
    finally:
        check.close()
    with replacing(target, wait=wait) as con:
        _create(con)
        if target.exists():
            con.execute(f"ATTACH '{target}' AS old (READ_ONLY)")
            con.execute(
                "INSERT INTO published_figures SELECT * FROM old.published_figures WHERE publication <> ?", [pub]
            )
            con.execute("INSERT INTO publications SELECT * FROM old.publications WHERE publication <> ?", [pub])
            if jcs is None:
                con.execute("INSERT INTO jobcenters SELECT * FROM old.jobcenters")
            con.execute("DETACH old")
        con.register("_new", figures)
        con.execute(f"INSERT INTO published_figures SELECT ?, {', '.join(FIGURE_COLUMNS)} FROM _new", [pub])
        con.unregister("_new")
        con.execute(
            "INSERT INTO publications VALUES (?, ?, ?, ?, ?, ?)",
            [pub, dt.datetime.now(dt.UTC).replace(tzinfo=None), Path(figures_file).name, rows, first, last],
        )
        if jcs is not None:
            con.register("_jcs", jcs)
            con.execute(f"INSERT INTO jobcenters SELECT {', '.join(JOBCENTER_COLUMNS)} FROM _jcs")
            con.unregister("_jcs")
        kept = con.execute("SELECT count(*) FROM publications").fetchone()[0]  # type: ignore[index]
    return ImportSummary(pub, int(rows), None if jcs is None else jcs.num_rows, (first, last), int(kept))


def _create(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("""
        CREATE TABLE published_figures (
            publication VARCHAR NOT NULL, jobcenter_id VARCHAR NOT NULL, month VARCHAR NOT NULL,
            figure VARCHAR NOT NULL, sex VARCHAR NOT NULL,
            numerator DOUBLE, denominator DOUBLE, value DOUBLE,
            PRIMARY KEY (publication, jobcenter_id, month, figure, sex))
    """)
    con.execute("""
        CREATE TABLE publications (
            publication VARCHAR PRIMARY KEY, imported_at TIMESTAMP NOT NULL, source VARCHAR NOT NULL,
            rows BIGINT NOT NULL, first_month VARCHAR NOT NULL, last_month VARCHAR NOT NULL)
    """)
    con.execute("""
        CREATE TABLE jobcenters (
            jobcenter_id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, land VARCHAR NOT NULL,
            kind VARCHAR NOT NULL, vergleichstyp VARCHAR)
    """)
    con.execute("CREATE TABLE meta (key VARCHAR, value VARCHAR)")
    con.execute("INSERT INTO meta VALUES ('format_version', ?)", [FORMAT_VERSION])


# ---- reading ----------------------------------------------------------------------------------------


_loaded = itertools.count(1)


class Published:
    """The published file in memory: ``figures`` (the latest publication's row for every job
    center, month, figure and sex, with its ``publication``), ``history`` (every row of every
    publication), ``publications`` and ``jobcenters`` (pandas)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.token = next(_loaded)  # this reading of the file, for memo keys (FigureStore.memo)
        con = duck.connect()
        try:
            quiet(con)
            con.execute(f"ATTACH '{self.path}' AS p (READ_ONLY)")
            self.history = con.execute(
                "SELECT * FROM p.published_figures ORDER BY jobcenter_id, figure, sex, month, publication"
            ).df()
            self.publications = con.execute("SELECT * FROM p.publications ORDER BY publication").df()
            self.jobcenters = con.execute("SELECT * FROM p.jobcenters ORDER BY jobcenter_id").df()
        finally:
            con.close()
        latest = self.history.sort_values("publication").drop_duplicates(
            ["jobcenter_id", "month", "figure", "sex"], keep="last"
        )
        self.figures = latest.sort_values(["jobcenter_id", "figure", "sex", "month"]).reset_index(drop=True)
        self.months = sorted(self.figures["month"].unique().tolist())
        self._index = self.figures.set_index(["figure", "sex", "month"]).sort_index()

    def rows(self, figure: str, month: str, sex: str = "all") -> pd.DataFrame:
        """jobcenter_id, numerator, denominator, value, publication of every published job center."""
        try:
            t = self._index.loc[[(figure, sex, month)]]
        except KeyError:
            return pd.DataFrame(columns=["jobcenter_id", "numerator", "denominator", "value", "publication"])
        return t[["jobcenter_id", "numerator", "denominator", "value", "publication"]].reset_index(drop=True)


_cache: dict[Path, tuple[tuple, Published]] = {}
_cache_lock = threading.Lock()


def load_published(warehouse: Path) -> Published | None:
    """The published file beside ``warehouse`` (None when there is none), read once per version of
    the file: an import replaces it by a rename, which changes its identity (size, time, inode)."""
    path = published_path(warehouse).resolve()
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    ident = (st.st_size, st.st_mtime_ns, st.st_ino)
    with _cache_lock:
        hit = _cache.get(path)
        if hit is not None and hit[0] == ident:
            return hit[1]
        pub = Published(path)
        _cache[path] = (ident, pub)
        return pub
