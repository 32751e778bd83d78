"""Validation of a data set against the contract, inside DuckDB.

Each input file is loaded as text into a temporary table (DuckDB streams the file; no Python
objects per row), then every rule of the contract is checked by one SQL query that returns the
offending rows. Rules are derived from the declarations in :mod:`amip.contract.schema`; nothing
table-specific is written here except the few cross-row rules the contract names.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from amip.contract.schema import SQL_TYPES, TABLES, Column, Table, instrument_codes

# The engine's calendar arithmetic holds between these days (see kennzahlen/calendar.py).
MIN_DATE, MAX_DATE = "1900-03-01", "2100-02-28"
MAX_PER_RULE = 100  # offending rows reported per rule and column; the total is always counted
# Largest input file read (bytes); AMIP_MAX_FILE_BYTES overrides (docs/security.md, "Imports and input files").
DEFAULT_MAX_FILE_BYTES = 64 * 2**30
CHUNK = 1 << 20  # the UTF-8 check streams the file in pieces of this size
HEADER_MAX = 1 << 20  # longest header line read
EXCEL_HINT = (
    'probably exported as Latin-1/Windows-1252 (e.g. German Excel\'s "CSV (Trennzeichen-getrennt)"): '
    'save it as "CSV UTF-8 (durch Trennzeichen getrennt)" and import again'
)


@dataclass(frozen=True)
class Violation:
    file: str
    row: int | None  # 1-based data row (header excluded); None for file-level problems
    column: str | None
    value: str | None
    rule: str
    line: int | None = None  # line in a CSV file (header is line 1)

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}" + (f" (line {self.line})" if self.line else ""))
        elif self.line is not None:
            where.append(f"line {self.line}")
        if self.column:
            where.append(f"column {self.column}")
        value = "" if self.value is None else f"value {self.value!r}: "
        return f"{', '.join(where)}: {value}{self.rule}"


class DataSetRejected(Exception):
    """The data set breaks the contract; nothing was written."""

    def __init__(self, violations: list[Violation], total: int):
        self.violations = violations
        self.total = total
        super().__init__(f"{total} violation(s) of the data contract")


@dataclass
class SourceFile:
    table: Table
    path: Path
    root: Path | None = None  # the data set directory the file must lie in (default: its parent)

    @property
    def is_csv(self) -> bool:
        return self.path.suffix == ".csv"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def discover(src: Path) -> tuple[list[SourceFile], list[Violation]]:
    """Find one file per contract table in ``src``."""
    found: list[SourceFile] = []
    problems: list[Violation] = []
    if not src.is_dir():
        raise FileNotFoundError(f"data set directory not found: {src}")
    for table in TABLES:
        # lexists: a dangling symbolic link is a file given (and refused when read), not a missing one
        candidates = [p for p in (src / f"{table.name}.csv", src / f"{table.name}.parquet") if os.path.lexists(p)]
        if len(candidates) > 1:
            problems.append(
                Violation(
                    f"{table.name}.csv/.parquet", None, None, None, "table given twice (CSV and Parquet); keep one"
                )
            )
        elif candidates:
            found.append(SourceFile(table, candidates[0], src))
        elif table.required:
            problems.append(Violation(f"{table.name}.csv", None, None, None, "required table is missing"))
    return found, problems


def raw_name(table: Table) -> str:
    return f"raw_{table.name}"


def max_file_bytes() -> int:
    """The size limit of one input file: ``AMIP_MAX_FILE_BYTES`` (bytes, or with K/M/G/T: binary
    multiples), else :data:`DEFAULT_MAX_FILE_BYTES`."""
    raw = os.environ.get("AMIP_MAX_FILE_BYTES", "").strip()
    if not raw:
        return DEFAULT_MAX_FILE_BYTES
    units = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
    text = raw.upper().removesuffix("B").removesuffix("I")
    factor = units.get(text[-1:], 1)
    number = text[:-1] if text[-1:] in units else text
    try:
        value = int(number.strip()) * factor
    except ValueError:
        value = 0
    if value <= 0:
        raise ValueError(f"AMIP_MAX_FILE_BYTES={raw!r} is not a positive size (e.g. 2000000000 or 2G)")
    return value


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


@contextmanager
def opened(source: SourceFile) -> Iterator[tuple[str | None, Violation | None]]:
    """Open ``source`` for reading when it is a regular file inside the data set directory and
    within the size limit: yields (the path DuckDB is to read, None), else (None, the violation).

    Nothing outside the directory is opened (a symbolic link is resolved and its target checked
    first), nothing but a regular file (no FIFO that would block, no device that never ends) and
    the file checked is the file read: on Linux DuckDB reads the open descriptor
    (``/proc/self/fd/N``), so a file swapped after the checks is not read instead."""
    name = source.path.name
    root = os.path.realpath(source.root or source.path.parent)
    real = os.path.realpath(source.path)
    if os.path.commonpath([root, real]) != root:
        yield (
            None,
            Violation(
                name,
                None,
                None,
                None,
                "is a symbolic link to a file outside the data set directory; refused "
                "(copy the file into the directory instead)",
            ),
        )
        return
    try:
        st = os.stat(real)
    except OSError as exc:
        yield None, Violation(name, None, None, None, f"cannot be read: {exc.strerror or exc}")
        return
    if not stat.S_ISREG(st.st_mode):
        yield None, Violation(name, None, None, None, f"is {_kind(st.st_mode)}, not a regular file; refused")
        return
    limit = max_file_bytes()
    if st.st_size > limit:
        yield (
            None,
            Violation(
                name,
                None,
                None,
                None,
                f"file is larger than the limit of {limit:,} bytes ({st.st_size:,} bytes); "
                "raise AMIP_MAX_FILE_BYTES to import it",
            ),
        )
        return
    try:
        fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        yield None, Violation(name, None, None, None, f"cannot be read: {exc.strerror or exc}")
        return
    try:
        now = os.fstat(fd)
        if not stat.S_ISREG(now.st_mode) or (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino):
            yield None, Violation(name, None, None, None, "changed while being opened; refused")
            return
        os.set_blocking(fd, True)
        by_fd = f"/proc/self/fd/{fd}"
        yield (by_fd if os.path.exists(by_fd) else real), None
    finally:
        os.close(fd)


def utf8_problem(path: str, name: str, limit: int | None = None) -> Violation | None:
    """The first place where the file is not valid UTF-8 (file, line, byte), streamed in chunks;
    or a size problem when the file holds more than ``limit`` bytes after all."""
    with open(path, "rb", buffering=0) as fh:
        return _utf8_scan(fh, name, max_file_bytes() if limit is None else limit)


def _utf8_scan(fh, name: str, limit: int) -> Violation | None:
    line, done, carry = 1, 0, b""
    while True:
        chunk = fh.read(CHUNK)
        done += len(chunk)
        if done > limit:
            return Violation(
                name,
                None,
                None,
                None,
                f"file is larger than the limit of {limit:,} bytes; raise AMIP_MAX_FILE_BYTES to import it",
            )
        data = carry + chunk
        try:
            _text, used = codecs.utf_8_decode(data, "strict", not chunk)
        except UnicodeDecodeError as exc:
            bad = line + data.count(b"\n", 0, exc.start)
            start = data.rfind(b"\n", 0, exc.start) + 1
            where = "header" if bad == 1 else "line"
            return Violation(
                name,
                None,
                None,
                None,
                f"not UTF-8 (byte 0x{data[exc.start]:02X} at position {exc.start - start + 1} "
                f"of the {where}); the file is {EXCEL_HINT}",
                line=bad,
            )
        line += data.count(b"\n", 0, used)
        carry = data[used:]
        if not chunk:
            return None


def load_raw(con: duckdb.DuckDBPyConnection, source: SourceFile) -> list[Violation]:
    """Load one file as text columns into a temporary table ``raw_<table>`` with a row number."""
    with opened(source) as (path, refused):
        if refused is not None:
            return [refused]
        assert path is not None  # opened() yields a path exactly when it refuses nothing
        return _load_raw(con, source, path)


def _load_raw(con: duckdb.DuckDBPyConnection, source: SourceFile, file: str) -> list[Violation]:
    name = raw_name(source.table)
    if source.is_csv:
        # The header is read there (one line, at most HEADER_MAX bytes), so the dialect is the
        # contract's, never a guess.
        problems = _load_raw_csv(con, source, file, name)
        if problems:
            return problems
    else:
        try:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM read_parquet({_lit(file)})")
        except duckdb.Error as exc:
            return [_unreadable(source, file, exc)]
    present = [r[0] for r in con.execute(f"DESCRIBE {name}").fetchall()]
    problems = [
        Violation(source.path.name, None, col.name, None, "required column is missing")
        for col in source.table.columns
        if not col.optional and col.name not in present
    ]
    if problems:
        return problems
    # Keep the contract's columns as text, plus the row number in file order.
    select = ", ".join(
        f"CAST({_q(c.name)} AS VARCHAR) AS {_q(c.name)}"
        if c.name in present
        else f"CAST(NULL AS VARCHAR) AS {_q(c.name)}"
        for c in source.table.columns
    )
    # The scan keeps file order (preserve_insertion_order), so no sort is needed.
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT CAST(rowid AS BIGINT) + 1 AS _row, {select} FROM {name}"
    )
    return []


# --- value rules -----------------------------------------------------------------------------------
# Declared once (kind and message per column, from the contract's declarations); each engine writes
# its own condition for a kind: DuckDB here, Spark in kennzahlen/spark_input.py.

TYPE_RULES = {
    "date": "not a valid date (YYYY-MM-DD)",
    "month": "not a valid month (YYYY-MM)",
    "bool": "not a boolean (true/false)",
    "decimal": "not a number ('.' as decimal separator)",
    "int": "not a whole number",
}
UNKNOWN_PERSON = "unknown person (not in persons)"


@dataclass(frozen=True)
class ValueRule:
    column: Column
    kind: str  # required, type, codes, instrument, date_range, non_negative
    rule: str  # the message


def value_rules(table: Table) -> list[ValueRule]:
    """The value rules of ``table``'s columns, in the order they are checked and reported."""
    rules: list[ValueRule] = []
    for col in table.columns:
        if not col.nullable:
            rules.append(ValueRule(col, "required", "value is required"))
        if col.type in TYPE_RULES:
            rules.append(ValueRule(col, "type", TYPE_RULES[col.type]))
        if col.codes:
            rules.append(ValueRule(col, "codes", f"unknown code (allowed: {', '.join(col.codes)})"))
        if table.instrument_ref == col.name:
            rules.append(ValueRule(col, "instrument", "unknown instrument (not in instruments.csv)"))
        if col.type == "date":
            rules.append(ValueRule(col, "date_range", f"date out of range ({MIN_DATE} to {MAX_DATE})"))
        if col.non_negative:
            rules.append(ValueRule(col, "non_negative", "negative amount"))
    return rules


def interval_rule(start: str, end: str) -> str:
    return f"{end} is before {start}"


def key_rule(key: tuple[str, ...]) -> str:
    return f"duplicate key ({', '.join(key)}) already given in an earlier row"


def one_row_rule(n: int) -> str:
    return f"must hold exactly one row, holds {n}"


MONTH_ORDER = "months out of order: first_month is after last_month"


def _type_condition(col: Column, v: str | None = None) -> str:
    v = v or _q(col.name)
    if col.type == "date":
        return f"try_strptime({v}, '%Y-%m-%d') IS NULL OR NOT regexp_full_match({v}, '\\d{{4}}-\\d{{2}}-\\d{{2}}')"
    if col.type == "month":
        return f"NOT regexp_full_match({v}, '\\d{{4}}-(0[1-9]|1[0-2])')"
    if col.type == "bool":
        return f"lower({v}) NOT IN ('true', 'false')"
    if col.type == "decimal":
        return f"try_cast({v} AS DOUBLE) IS NULL OR NOT isfinite(try_cast({v} AS DOUBLE))"
    assert col.type == "int"
    return f"try_cast({v} AS BIGINT) IS NULL"


def _condition(rule: ValueRule, instruments: tuple[str, ...], v: str | None = None) -> str:
    """DuckDB: the condition that flags a bad text value of ``rule``'s column (``v``: the SQL of
    that text value; default the column itself)."""
    col = rule.column
    v = v or _q(col.name)
    if rule.kind == "required":
        return f"{v} IS NULL OR trim({v}) = ''"
    if rule.kind == "type":
        return f"{v} IS NOT NULL AND ({_type_condition(col, v)})"
    if rule.kind in ("codes", "instrument"):
        allowed = ", ".join(_lit(c) for c in (col.codes if rule.kind == "codes" else instruments) or ())
        return f"{v} IS NOT NULL AND {v} NOT IN ({allowed})"
    if rule.kind == "date_range":
        return f"try_strptime({v}, '%Y-%m-%d') NOT BETWEEN DATE '{MIN_DATE}' AND DATE '{MAX_DATE}'"
    assert rule.kind == "non_negative"
    return f"try_cast({v} AS DOUBLE) < 0"


def _value_rules(table: Table) -> list[tuple[Column, str, str]]:
    instruments = instrument_codes()
    return [(r.column, _condition(r, instruments), r.rule) for r in value_rules(table)]


def _collect(con, source: SourceFile, sql: str, column: str | None, rule: str) -> tuple[list[Violation], int]:
    """Run ``sql`` (selecting _row and value) and turn the offending rows into violations."""
    total = con.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0]
    if not total:
        return [], 0
    rows = con.execute(f"SELECT * FROM ({sql}) ORDER BY _row LIMIT {MAX_PER_RULE}").fetchall()
    out = []
    for row, value in rows:
        line = row + 1 if source.is_csv and row is not None else None
        out.append(Violation(source.path.name, row, column, None if value is None else str(value), rule, line))
    return out, total


def check_table(con, source: SourceFile, person_table: str | None) -> tuple[list[Violation], int]:
    """All rules of one table; returns the reported violations and their total count."""
    table, name = source.table, raw_name(source.table)
    found: list[Violation] = []
    total = 0

    def add(sql: str, column: str | None, rule: str) -> None:
        nonlocal total
        got, n = _collect(con, source, sql, column, rule)
        found.extend(got)
        total += n

    rules = _value_rules(table)
    # One scan counts the offenders of every value rule; only a rule that has some is read again
    # for its rows (a clean 272 M-row table is scanned once, not once per rule).
    counts = (
        con.execute(
            "SELECT " + ", ".join(f"count_if(({cond}) IS TRUE)" for _col, cond, _rule in rules) + f" FROM {name}"
        ).fetchone()
        if rules
        else ()
    )
    for (col, cond, rule), n in zip(rules, counts):
        if n:
            add(f"SELECT _row, {_q(col.name)} FROM {name} WHERE {cond}", col.name, rule)
    if found:
        # Row-level rules below assume parsable values; report the value errors first.
        return found, total

    for start, end in table.intervals:
        add(
            f"SELECT _row, {_q(end)} FROM {name} WHERE {_q(end)} IS NOT NULL "
            f"AND CAST({_q(end)} AS DATE) < CAST({_q(start)} AS DATE)",
            end,
            interval_rule(start, end),
        )
    if table.key:
        keys = ", ".join(_q(k) for k in table.key)
        add(
            f"SELECT _row, concat_ws(' | ', {keys}) FROM "
            f"(SELECT _row, {keys}, row_number() OVER (PARTITION BY {keys} ORDER BY _row) AS _n FROM {name}) "
            "WHERE _n > 1",
            ", ".join(table.key),
            key_rule(table.key),
        )
    if table.person_ref and person_table:
        add(
            f"SELECT _row, person_id FROM {name} r WHERE NOT EXISTS "
            f"(SELECT 1 FROM {person_table} p WHERE p.person_id = r.person_id)",
            "person_id",
            UNKNOWN_PERSON,
        )
    if "one_row" in table.extra_checks:
        n = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
        if n != 1:
            found.append(Violation(source.path.name, None, None, None, one_row_rule(n)))
            total += 1
    if "month_order" in table.extra_checks:
        add(
            f"SELECT _row, first_month || ' > ' || last_month FROM {name} WHERE first_month > last_month",
            "first_month",
            MONTH_ORDER,
        )
    return found, total


def typed_select(table: Table, source: str) -> str:
    """SQL turning the validated text table into the contract's typed table (file order kept)."""
    parts = []
    for col in table.columns:
        v = _q(col.name)
        if col.type == "date":
            expr = f"CAST(strptime({v}, '%Y-%m-%d') AS DATE)"
        elif col.type == "bool":
            expr = f"CAST(lower({v}) AS BOOLEAN)"
        elif col.type == "decimal":
            expr = f"CAST({v} AS DOUBLE)"
        elif col.type == "int":
            expr = f"CAST({v} AS BIGINT)"
        else:
            expr = f"CAST({v} AS VARCHAR)"
        parts.append(f"{expr} AS {v}")
    return f"SELECT {', '.join(parts)} FROM {source}"  # file order: the scan keeps insertion order


# --- the warehouse import at scan speed (issue 17) -------------------------------------------------
# A table is read from its file as few times as the rules allow: a CSV file once into a text table, a
# Parquet file where it lies (no copy). One aggregate counts the offenders of every value rule; only a
# rule with offenders is read again for its rows (with row numbers, from a numbered text copy made
# only then). A clean table is then written once as the contract's typed table (with the row hash of
# the history when asked), and the row rules (intervals, keys, references, the one-row and month
# rules) run on that typed table, whose row ids are the file's rows. Messages, totals and the order of
# the reported violations are those of ``load_raw``/``check_table`` above (the published figures'
# import still uses those).

# A Parquet column already of the contract's type holds no value a text rule can flag when it passes
# this test on the typed value: its text (CAST AS VARCHAR) is then well formed and in range, so the
# exact text condition runs only on the rows that fail it (CASE evaluates a branch only for its rows).
_CLEAN = {
    "date": f"{{v}} BETWEEN DATE '{MIN_DATE}' AND DATE '{MAX_DATE}'",
    "bool": "{v} IS NOT NULL",
    "decimal": "isfinite({v}) AND {v} >= 0",
    "int": "{v} >= 0",
}
_FAST_KINDS = ("required", "type", "date_range", "non_negative")  # never "codes"/"instrument"


@dataclass
class Loaded:
    """A contract table's file, opened and read far enough to know its columns."""

    source: SourceFile
    reader: str  # the relation to read the file's rows from: its text table (CSV) or read_parquet(...)
    types: dict[str, str]  # column of the file -> DuckDB type
    raw: str | None = None  # a table of the file's rows in file order (CSV: the reader; Parquet: on demand)
    counts: tuple[int, ...] = ()  # offenders per value rule (order of ``value_rules``)

    @property
    def table(self) -> Table:
        return self.source.table

    def present(self, col: Column) -> bool:
        return col.name in self.types

    def text(self, col: Column) -> str:
        """SQL of the column's value as text (what the rules of ``_condition`` check)."""
        if not self.present(col):
            return "CAST(NULL AS VARCHAR)"
        v = _q(col.name)
        return v if self.types[col.name] == "VARCHAR" else f"CAST({v} AS VARCHAR)"

    def typed_already(self, col: Column) -> bool:
        """The file's column has the contract's type (a typed Parquet column): no cast needed."""
        return self.present(col) and col.type in _CLEAN and self.types[col.name] == SQL_TYPES[col.type]


def load(con: duckdb.DuckDBPyConnection, source: SourceFile, path: str) -> tuple[Loaded | None, list[Violation]]:
    """Read ``source`` (opened at ``path``) far enough to report what ``load_raw`` reports: a CSV
    file into its text table ``raw_<table>``, a Parquet file's schema; then count the offenders of
    every value rule in one scan (a file that cannot be read is reported here, as by ``load_raw``)."""
    name = raw_name(source.table)
    if source.is_csv:
        problems = _load_raw_csv(con, source, path, name)
        if problems:
            return None, problems
        loaded = Loaded(source, name, _types(con, f"SELECT * FROM {name}"), raw=name)
    else:
        reader = f"read_parquet({_lit(path)})"
        try:
            loaded = Loaded(source, reader, _types(con, f"SELECT * FROM {reader}"))
        except duckdb.Error as exc:
            return None, [_unreadable(source, path, exc)]
    problems = [
        Violation(source.path.name, None, col.name, None, "required column is missing")
        for col in source.table.columns
        if not col.optional and not loaded.present(col)
    ]
    if problems:
        return None, problems
    rules = _fast_value_rules(loaded)
    if rules:
        try:
            row = con.execute(
                "SELECT " + ", ".join(f"count_if(({cond}) IS TRUE)" for cond in rules) + f" FROM {loaded.reader}"
            ).fetchone()
        except duckdb.Error as exc:  # a Parquet file whose data (not its footer) is broken
            return None, [_unreadable(source, path, exc)]
        assert row is not None
        loaded.counts = tuple(row)
    return loaded, []


def _types(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, str]:
    return {r[0]: r[1] for r in con.execute(f"DESCRIBE {sql}").fetchall()}


def _load_raw_csv(con: duckdb.DuckDBPyConnection, source: SourceFile, file: str, name: str) -> list[Violation]:
    """The CSV file's rows as text in the temporary table ``name`` (file order; ``load_raw``'s reading)."""
    with open(file, "rb") as fh:
        head = fh.read(HEADER_MAX + 1)
    end = head.find(b"\n")
    if end < 0 and len(head) > HEADER_MAX:
        return [
            Violation(
                source.path.name,
                None,
                None,
                None,
                f"header line is longer than {HEADER_MAX:,} bytes (no line break)",
                line=1,
            )
        ]
    first = head if end < 0 else head[: end + 1]
    bad = _utf8_scan(io.BytesIO(first), source.path.name, HEADER_MAX + 1)
    if bad is not None:
        return [bad]
    try:
        header = next(csv.reader(io.StringIO(first.decode("utf-8-sig"), newline="")), [])
    except csv.Error as exc:
        return [Violation(source.path.name, None, None, None, f"header cannot be read as CSV: {exc}", line=1)]
    if not header:
        return [Violation(source.path.name, None, None, None, "file is empty (no header row)")]
    columns = "{" + ", ".join(f"{_lit(c)}: 'VARCHAR'" for c in header) + "}"
    reader = (
        f"read_csv({_lit(file)}, header=true, delim=',', quote='\"', escape='\"', auto_detect=false, "
        f"columns={columns}, strict_mode=true, null_padding=false)"
    )
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {reader}")
    except duckdb.Error as exc:
        text = str(exc).lower()
        if "unicode" in text or "utf-8" in text or "utf8" in text:
            bad = utf8_problem(file, source.path.name)
            if bad is not None:
                return [bad]
        return [_unreadable(source, file, exc)]
    return []


def _unreadable(source: SourceFile, file: str, exc: duckdb.Error) -> Violation:
    """``load_raw``'s message for a file DuckDB cannot read (its echo of our SQL dropped)."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip() and not ln.startswith("LINE ")]
    detail = "; ".join(ln for ln in lines if ln.startswith(("Invalid Input Error", "Original Line", "Expected")))
    message = (detail or lines[0]).split(" (LINE ")[0].replace(file, source.path.name)
    kind = "CSV" if source.is_csv else "Parquet"
    return Violation(source.path.name, None, None, None, f"file cannot be read as {kind}: {message}")


def _fast_value_rules(loaded: Loaded) -> list[str]:
    """The condition of each value rule over the file's columns (``value_rules`` order): the exact
    text condition, skipped for a typed value that passes ``_CLEAN``."""
    instruments = instrument_codes()
    out = []
    for rule in value_rules(loaded.table):
        col = rule.column
        exact = _condition(rule, instruments, loaded.text(col))
        if loaded.typed_already(col) and rule.kind in _FAST_KINDS:
            clean = _CLEAN[col.type].format(v=_q(col.name))
            exact = f"CASE WHEN {clean} THEN false ELSE ({exact}) END"
        out.append(exact)
    return out


def text_rows(con: duckdb.DuckDBPyConnection, loaded: Loaded) -> str:
    """A relation of the file's rows as ``load_raw`` makes them: ``_row`` (1-based, file order) and
    the contract's columns as text. A Parquet file is copied for it (only a table with violations
    or a key of other types needs it)."""
    if loaded.raw is None:
        loaded.raw = raw_name(loaded.table)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {loaded.raw} AS SELECT * FROM {loaded.reader}")
        loaded.reader = loaded.raw
    cols = ", ".join(f"{loaded.text(c)} AS {_q(c.name)}" for c in loaded.table.columns)
    return f"(SELECT CAST(rowid AS BIGINT) + 1 AS _row, {cols} FROM {loaded.raw})"


def typed_expr(loaded: Loaded, col: Column) -> str:
    """SQL of the column's typed value (``typed_select``'s cast of its text; the value itself when
    the file has it in the contract's type already: the same value, checked by the rules)."""
    if loaded.typed_already(col):
        return _q(col.name)
    v = loaded.text(col)
    if col.type == "date":
        return f"CAST(strptime({v}, '%Y-%m-%d') AS DATE)"
    if col.type == "bool":
        return f"CAST(lower({v}) AS BOOLEAN)"
    if col.type == "decimal":
        return f"CAST({v} AS DOUBLE)"
    if col.type == "int":
        return f"CAST({v} AS BIGINT)"
    return v  # text already


def row_hash(table: Table) -> str:
    """The content hash of a typed row of ``table`` (the history's ``_hash``; never change it: the
    stored versions are matched by it)."""
    cols = [c.name for c in table.columns]
    return "md5_number(to_json(struct_pack(" + ", ".join(f"{_q(c)} := {_q(c)}" for c in cols) + ")))"


def write_typed(con: duckdb.DuckDBPyConnection, loaded: Loaded, target: str, hashed: bool) -> None:
    """Write the (clean) table once as its typed temporary table ``target`` in file order, with
    ``_hash`` (``row_hash``) when ``hashed``."""
    cols = ", ".join(f"{typed_expr(loaded, c)} AS {_q(c.name)}" for c in loaded.table.columns)
    select = f"SELECT {cols} FROM {loaded.reader}"
    if hashed:
        select = f"SELECT *, {row_hash(loaded.table)} AS _hash FROM ({select})"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {target} AS {select}")


def check_loaded(
    con: duckdb.DuckDBPyConnection, loaded: Loaded, typed: str, persons: str | None, hashed: bool = False
) -> tuple[list[Violation], int, bool]:
    """All rules of one loaded table, as ``check_table``: the value rules' rows when the counts of
    ``load`` found offenders; else the table is written as ``typed`` and its row rules checked on it
    (``persons``: the relation of the persons' ids). Returns the violations reported, their total
    and whether ``typed`` was written."""
    source, table = loaded.source, loaded.table
    found: list[Violation] = []
    total = 0

    def add(sql: str, column: str | None, rule: str) -> None:
        nonlocal total
        got, n = _collect(con, source, sql, column, rule)
        found.extend(got)
        total += n

    rules = value_rules(table)
    if any(loaded.counts):
        text = text_rows(con, loaded)
        instruments = instrument_codes()
        for rule, n in zip(rules, loaded.counts):
            if n:
                col = rule.column
                add(
                    f"SELECT _row, {_q(col.name)} FROM {text} WHERE {_condition(rule, instruments)}",
                    col.name,
                    rule.rule,
                )
        return found, total, False  # row rules assume parsable values: the value errors first

    write_typed(con, loaded, typed, hashed)
    rows = f"(SELECT CAST(rowid AS BIGINT) + 1 AS _row, * FROM {typed})"
    for start, end in table.intervals:
        e, s = _q(end), _q(start)
        n = _count(con, f"SELECT count(*) FROM {typed} WHERE {e} < {s}")  # NULL end: not counted
        if n:
            add(
                f"SELECT _row, CAST({e} AS VARCHAR) FROM {rows} WHERE {e} IS NOT NULL AND {e} < {s}",
                end,
                interval_rule(start, end),
            )
    if table.key:
        # A key of text, month or date columns compares the same as text and typed (the text of a
        # valid date is its canonical form); other types (budget's year) are compared as text.
        on_typed = all(table.column(k).type in ("string", "month", "date") for k in table.key)
        keyed = rows if on_typed else text_rows(con, loaded)
        keys = ", ".join(_q(k) for k in table.key)
        dups = _count(
            con,
            f"SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM {keyed} GROUP BY {keys} HAVING count(*) > 1)",
        )
        if dups:
            add(
                f"SELECT _row, concat_ws(' | ', {keys}) FROM "
                f"(SELECT _row, {keys}, row_number() OVER (PARTITION BY {keys} ORDER BY _row) AS _n FROM {keyed}) "
                "WHERE _n > 1",
                ", ".join(table.key),
                key_rule(table.key),
            )
    if table.person_ref and persons:
        add(
            f"SELECT _row, person_id FROM {rows} r WHERE NOT EXISTS "
            f"(SELECT 1 FROM {persons} p WHERE p.person_id = r.person_id)",
            "person_id",
            UNKNOWN_PERSON,
        )
    if "one_row" in table.extra_checks:
        n = _count(con, f"SELECT count(*) FROM {typed}")
        if n != 1:
            found.append(Violation(source.path.name, None, None, None, one_row_rule(n)))
            total += 1
    if "month_order" in table.extra_checks:
        add(
            f"SELECT _row, first_month || ' > ' || last_month FROM {rows} WHERE first_month > last_month",
            "first_month",
            MONTH_ORDER,
        )
    return found, total, True


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    """The one number ``sql`` (an aggregate) returns."""
    row = con.execute(sql).fetchone()
    assert row is not None, sql
    return int(row[0])
