"""A data set read and validated on Spark, where it lies: nothing passes through the driver.

``amip kpi --data DIR --engine spark`` reads the contract tables from ``DIR`` (any path the
executors see: a shared folder, ``hdfs://``, ``s3a://``; one CSV or Parquet file per table, or a
folder ``<table>.parquet/`` / ``<table>.csv/`` of part files) and checks them on the cluster with
the rules the DuckDB import checks (:mod:`amip.warehouse.validate`: the same declarations, the same
messages), then registers the typed tables as temporary views for the engine.

Checked here: required tables and columns, CSV the file cannot be read as, every value rule
(required, type, code list, instrument, date range, negative amount), intervals, keys, person
references, the dataset's one row and month order. Left to the DuckDB import (file-system checks on
the driver's side): the UTF-8 check with line and byte (Spark reads invalid bytes as U+FFFD), the
file size limit, symbolic links outside the folder, and line breaks inside quoted CSV values (the
files are split between executors line by line). Numbers are stricter than DuckDB's casts: plain
decimal notation for decimals and whole numbers for ints (DuckDB also takes ``0x10``, ``1_000``
and rounds ``1.5`` to an int); docs/spark.md.

Row numbers: a row's number is its place in the file (header excluded), counted on the executors
from the rows per input partition (``monotonically_increasing_id`` holds the partition in its upper
31 bits); only the reported rows (at most 100 per rule) are numbered. A table given as a folder of
part files is numbered in Spark's reading order of the parts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from amip.contract.schema import TABLES, Column, Table, instrument_codes, instruments
from amip.warehouse.validate import (
    MAX_DATE,
    MAX_PER_RULE,
    MIN_DATE,
    MONTH_ORDER,
    UNKNOWN_PERSON,
    DataSetRejected,
    ValueRule,
    Violation,
    interval_rule,
    key_rule,
    one_row_rule,
    value_rules,
)

Progress = Callable[[str], None]
_DATE = "'yyyy-MM-dd'"


def _q(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _lit(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _date(v: str) -> str:
    return f"to_date(try_to_timestamp({v}, {_DATE}))"


def _type_condition(col: Column) -> str:
    v = _q(col.name)
    if col.type == "date":
        return f"NOT {v} RLIKE '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$' OR try_to_timestamp({v}, {_DATE}) IS NULL"
    if col.type == "month":
        return f"NOT {v} RLIKE '^[0-9]{{4}}-(0[1-9]|1[0-2])$'"
    if col.type == "bool":
        return f"lower({v}) NOT IN ('true', 'false')"
    if col.type == "decimal":
        return (
            f"NOT trim({v}) RLIKE '^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$' "
            f"OR try_cast(trim({v}) AS DOUBLE) IS NULL"
        )
    assert col.type == "int"
    return f"NOT trim({v}) RLIKE '^[+-]?[0-9]+$' OR try_cast(trim({v}) AS BIGINT) IS NULL"


def condition(rule: ValueRule, instrument_list: tuple[str, ...]) -> str:
    """Spark SQL: the condition that flags a bad text value of ``rule``'s column (as
    ``warehouse.validate._condition`` does in DuckDB)."""
    col = rule.column
    v = _q(col.name)
    if rule.kind == "required":
        return f"{v} IS NULL OR trim({v}) = ''"
    if rule.kind == "type":
        return f"{v} IS NOT NULL AND ({_type_condition(col)})"
    if rule.kind in ("codes", "instrument"):
        allowed = ", ".join(_lit(c) for c in (col.codes if rule.kind == "codes" else instrument_list) or ())
        return f"{v} IS NOT NULL AND {v} NOT IN ({allowed})"
    if rule.kind == "date_range":
        return f"{_date(v)} NOT BETWEEN DATE '{MIN_DATE}' AND DATE '{MAX_DATE}'"
    assert rule.kind == "non_negative"
    return f"try_cast(trim({v}) AS DOUBLE) < 0"


def typed_select(table: Table, source: str) -> str:
    """The validated text table as the contract's typed table (as ``validate.typed_select``)."""
    parts = []
    for col in table.columns:
        v = _q(col.name)
        if col.type == "date":
            expr = _date(v)
        elif col.type == "bool":
            expr = f"CAST(lower({v}) AS BOOLEAN)"
        elif col.type == "decimal":
            expr = f"CAST(trim({v}) AS DOUBLE)"
        elif col.type == "int":
            expr = f"CAST(trim({v}) AS BIGINT)"
        else:
            expr = f"CAST({v} AS STRING)"
        parts.append(f"{expr} AS {v}")
    return f"SELECT {', '.join(parts)} FROM {source}"


@dataclass
class _Raw:
    table: Table
    name: str  # the file (or folder) name, as violations name it
    view: str  # temporary view: the contract's columns as text, plus _mid
    is_csv: bool
    offsets: dict[int, int] | None = None  # input partition -> rows before it (computed on demand)


@dataclass
class Loaded:
    """The data set's typed tables, registered as temporary views of the session."""

    views: list[str] = field(default_factory=list)


def _find(spark, root: str, table: Table) -> list[str]:
    from amip.kennzahlen.backends import _hadoop_fs

    found = []
    for ext in (".csv", ".parquet"):
        path = f"{root.rstrip('/')}/{table.name}{ext}"
        fs, p = _hadoop_fs(spark, path)
        if fs.exists(p):
            found.append(path)
    return found


def _first_line(exc: Exception, path: str, name: str) -> str:
    text = str(exc)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    keep = next((ln for ln in lines if "Malformed" in ln or "mismatch" in ln.lower()), lines[0] if lines else "")
    return keep.replace(path, name).split(" SQLSTATE")[0][:300]


def _read(spark, table: Table, path: str, run: str) -> tuple[_Raw | None, list[Violation]]:
    name = path.rstrip("/").rsplit("/", 1)[-1]
    is_csv = name.endswith(".csv")
    reader = spark.read
    try:
        if is_csv:
            df = reader.options(
                header=True,
                sep=",",
                quote='"',
                escape='"',
                mode="FAILFAST",
                multiLine=False,
                encoding="UTF-8",
                inferSchema=False,
            ).csv(path)
        else:
            df = reader.parquet(path)
        present = df.columns
    except Exception as exc:  # noqa: BLE001 - any read error is the file's problem, reported as such
        kind = "CSV" if is_csv else "Parquet"
        return None, [
            Violation(name, None, None, None, f"file cannot be read as {kind}: {_first_line(exc, path, name)}")
        ]
    if is_csv and not present:
        return None, [Violation(name, None, None, None, "file is empty (no header row)")]
    missing = [c.name for c in table.columns if not c.optional and c.name not in present]
    if missing:
        return None, [Violation(name, None, c, None, "required column is missing") for c in missing]
    from pyspark.sql import functions as F

    cols = [
        (F.col(_q(c.name)).cast("string") if c.name in present else F.lit(None).cast("string")).alias(c.name)
        for c in table.columns
    ]
    view = f"amip_raw_{run}_{table.name}"
    df.select(F.monotonically_increasing_id().alias("_mid"), *cols).createOrReplaceTempView(view)
    # The typed table is made from the text columns without the row ids: a nondeterministic column
    # under the engine's views keeps Spark's optimizer from pruning and pushing down through them
    # (and tripped its CTE rule on the steering queries).
    df.select(*cols).createOrReplaceTempView(view + "_text")
    return _Raw(table, name, view, is_csv), []


def _row_numbers(spark, raw: _Raw, mids: list[int]) -> list[int]:
    """1-based file rows of the given ``_mid`` values."""
    if raw.offsets is None:
        counts = spark.sql(f"SELECT shiftright(_mid, 33) AS p, count(*) AS n FROM {raw.view} GROUP BY 1").collect()
        offsets, before = {}, 0
        for r in sorted(counts, key=lambda r: r["p"]):
            offsets[int(r["p"])] = before
            before += int(r["n"])
        raw.offsets = offsets
    return [raw.offsets[m >> 33] + (m & ((1 << 33) - 1)) + 1 for m in mids]


class _Checker:
    def __init__(self, spark):
        self.spark = spark
        self.found: list[Violation] = []
        self.total = 0

    def add(self, raw: _Raw, sql: str, column: str | None, rule: str, counted: int | None = None) -> None:
        """Report the rows of ``sql`` (selecting _mid and value) as violations of ``rule``."""
        spark = self.spark
        total = counted if counted is not None else spark.sql(f"SELECT count(*) FROM ({sql})").collect()[0][0]
        if not total:
            return
        rows = spark.sql(f"SELECT * FROM ({sql}) ORDER BY _mid LIMIT {MAX_PER_RULE}").collect()
        numbers = _row_numbers(spark, raw, [int(r[0]) for r in rows])
        for number, r in zip(numbers, rows):
            value = None if r[1] is None else str(r[1])
            line = number + 1 if raw.is_csv else None
            self.found.append(Violation(raw.name, number, column, value, rule, line))
        self.total += total

    def table(self, raw: _Raw, persons: str | None) -> None:
        spark, table, view = self.spark, raw.table, raw.view
        rules = value_rules(table)
        codes = instrument_codes()
        conds = [condition(r, codes) for r in rules]
        start = len(self.found)
        # One scan counts the offenders of every value rule, and those of the row rules that need
        # no join (intervals, the dataset's row count and month order); only a rule with offenders
        # is read again for its rows.
        intervals = [(s, e, f"{_q(e)} IS NOT NULL AND {_date(_q(e))} < {_date(_q(s))}") for s, e in table.intervals]
        month_order = "first_month > last_month" if "month_order" in table.extra_checks else "false"
        sums = [f"count_if(({c}) IS TRUE)" for c in conds]
        sums += [f"count_if(({c}) IS TRUE)" for _s, _e, c in intervals]
        sums += ["count(*)", f"count_if(({month_order}) IS TRUE)"]
        counts = list(spark.sql(f"SELECT {', '.join(sums)} FROM {view}").collect()[0])
        for rule, cond, n in zip(rules, conds, counts):
            if n:
                col = _q(rule.column.name)
                self.add(raw, f"SELECT _mid, {col} FROM {view} WHERE {cond}", rule.column.name, rule.rule, n)
        if len(self.found) > start:
            return  # row-level rules assume parsable values (as the DuckDB import)
        rest = counts[len(rules) :]
        for (s, e, cond), n in zip(intervals, rest):
            self.add(raw, f"SELECT _mid, {_q(e)} FROM {view} WHERE {cond}", e, interval_rule(s, e), n)
        rows, out_of_order = rest[len(intervals)], rest[len(intervals) + 1]
        if table.key:
            keys = ", ".join(_q(k) for k in table.key)
            self.add(
                raw,
                f"SELECT _mid, concat_ws(' | ', {keys}) FROM "
                f"(SELECT _mid, {keys}, row_number() OVER (PARTITION BY {keys} ORDER BY _mid) AS _n FROM {view}) "
                "WHERE _n > 1",
                ", ".join(table.key),
                key_rule(table.key),
            )
        if table.person_ref and persons:
            self.add(
                raw,
                f"SELECT r._mid, r.person_id FROM {view} r LEFT ANTI JOIN {persons} p ON p.person_id = r.person_id",
                "person_id",
                UNKNOWN_PERSON,
            )
        if "one_row" in table.extra_checks and rows != 1:
            self.found.append(Violation(raw.name, None, None, None, one_row_rule(rows)))
            self.total += 1
        if "month_order" in table.extra_checks:
            self.add(
                raw,
                f"SELECT _mid, first_month || ' > ' || last_month FROM {view} WHERE first_month > last_month",
                "first_month",
                MONTH_ORDER,
                out_of_order,
            )


def load_dataset(spark, root: str, run: str, progress: Progress | None = None) -> Loaded:
    """Validate the data set at ``root`` on Spark and register its typed tables (and the instrument
    catalogue) as temporary views under the contract's names. Raises :class:`DataSetRejected` with
    the violations found, registering nothing."""
    from amip.kennzahlen.backends import _hadoop_fs, spark_frame

    say = progress or (lambda _msg: None)
    fs, p = _hadoop_fs(spark, root)
    if not fs.exists(p) or not fs.getFileStatus(p).isDirectory():
        raise FileNotFoundError(f"data set directory not found: {root}")
    violations: list[Violation] = []
    raws: list[_Raw] = []
    for table in TABLES:
        paths = _find(spark, root, table)
        if len(paths) > 1:
            violations.append(
                Violation(
                    f"{table.name}.csv/.parquet", None, None, None, "table given twice (CSV and Parquet); keep one"
                )
            )
        elif paths:
            say(f"reading {paths[0].rsplit('/', 1)[-1]}")
            raw, problems = _read(spark, table, paths[0], run)
            violations += problems
            if raw is not None:
                raws.append(raw)
        elif table.required:
            violations.append(Violation(f"{table.name}.csv", None, None, None, "required table is missing"))
    checker = _Checker(spark)
    checker.found, checker.total = violations, len(violations)
    persons = next((r.view for r in raws if r.table.name == "persons"), None)
    for raw in raws:
        say(f"checking {raw.name}")
        try:
            checker.table(raw, persons)
        except Exception as exc:  # noqa: BLE001 - FAILFAST: a row the CSV reader cannot split
            if "Py4JJavaError" not in type(exc).__name__ and "Malformed" not in str(exc) and "FAILFAST" not in str(exc):
                raise
            kind = "CSV" if raw.is_csv else "Parquet"
            checker.found.append(
                Violation(
                    raw.name, None, None, None, f"file cannot be read as {kind}: {_first_line(exc, root, raw.name)}"
                )
            )
            checker.total += 1
    try:
        if checker.total:
            raise DataSetRejected(checker.found, checker.total)
        loaded = Loaded()
        for raw in raws:
            say(f"registering {raw.table.name}")
            spark.sql(typed_select(raw.table, raw.view + "_text")).createOrReplaceTempView(raw.table.name)
            loaded.views.append(raw.table.name)
        spark_frame(spark, instruments()).createOrReplaceTempView("instruments")
        loaded.views.append("instruments")
        return loaded
    finally:
        for raw in raws:
            spark.catalog.dropTempView(raw.view)
            spark.catalog.dropTempView(raw.view + "_text")


__all__ = ["Loaded", "condition", "load_dataset", "typed_select"]
