"""Import and validation: every kind of bad input is named (file, row, column, rule), the data
set is rejected as a whole with a non-zero exit, and the warehouse stays exactly as it was."""

import hashlib

import duckdb
import pytest
from typer.testing import CliRunner

from amip.cli import app
from builder import DataSet, runner


def good() -> DataSet:
    ds = DataSet("2020-01", "2021-12")
    ds.person("p1", "w", "1980-01-01").person("p2", "m", "1975-06-30")
    ds.spell("p1", "J1", "2020-01-01", "2021-03-31").spell("p2", "J1", "2020-05-01")
    ds.job("p1", "svb", "2021-04-01")
    ds.measure("p2", "J1", "FBW", "2021-01-01", "2021-06-30", "1200.50")
    ds.benefit("J1", "bg_p1", "2021-01", "RB", "446")
    return ds


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def warehouse(tmp_path):
    db = tmp_path / "wh.duckdb"
    res = runner.invoke(app, ["import", str(good().write(tmp_path / "good")), "--db", str(db)])
    assert res.exit_code == 0, res.output
    return db


def _import(tmp_path, db, ds: DataSet, edit=None):
    folder = ds.write(tmp_path / "bad")
    if edit:
        edit(folder)
    return CliRunner().invoke(app, ["import", str(folder), "--db", str(db)])


def _replace(folder, table, old, new):
    f = folder / f"{table}.csv"
    text = f.read_text()
    assert old in text
    f.write_text(text.replace(old, new, 1))


# (description, edit of the good data set's files, expected fragments of the message)
BAD = [
    ("missing table", lambda f: (f / "persons.csv").unlink(), ["persons.csv", "required table is missing"]),
    (
        "missing column",
        lambda f: _replace(f, "elb_spells", "single_parent", "sp"),
        ["elb_spells.csv", "column single_parent", "required column is missing"],
    ),
    (
        "bad date",
        lambda f: _replace(f, "elb_spells", "2020-05-01", "2020-02-30"),
        ["elb_spells.csv", "row 2 (line 3)", "column start_date", "'2020-02-30'", "not a valid date"],
    ),
    (
        "bad number",
        lambda f: _replace(f, "benefits", "446", '"4,46"'),
        ["benefits.csv", "row 1 (line 2)", "column amount_eur", "'4,46'", "not a number"],
    ),
    (
        "unknown sex",
        lambda f: _replace(f, "persons", "p2,m", "p2,x"),
        ["persons.csv", "row 2", "column sex", "'x'", "unknown code"],
    ),
    (
        "unknown kind",
        lambda f: _replace(f, "employment_spells", "svb", "minijob"),
        ["employment_spells.csv", "row 1", "column kind", "'minijob'", "unknown code"],
    ),
    (
        "unknown benefit type",
        lambda f: _replace(f, "benefits", "RB", "XX"),
        ["benefits.csv", "column benefit_type", "'XX'", "unknown code"],
    ),
    (
        "unknown instrument",
        lambda f: _replace(f, "measures", "FBW", "ZZZ"),
        ["measures.csv", "row 1", "column instrument", "'ZZZ'", "unknown instrument"],
    ),
    (
        "end before start",
        lambda f: _replace(f, "elb_spells", "2021-03-31", "2019-03-31"),
        ["elb_spells.csv", "row 1", "column end_date", "end_date is before start_date"],
    ),
    (
        "negative amount",
        lambda f: _replace(f, "measures", "1200.50", "-5"),
        ["measures.csv", "row 1", "column cost_eur", "'-5'", "negative amount"],
    ),
    (
        "duplicate key",
        lambda f: _replace(f, "persons", "p2,m", "p1,m"),
        ["persons.csv", "row 2", "column person_id", "duplicate key"],
    ),
    (
        "unknown person",
        lambda f: _replace(f, "employment_spells", "p1,svb", "p9,svb"),
        ["employment_spells.csv", "row 1", "column person_id", "'p9'", "unknown person"],
    ),
    (
        "months out of order",
        lambda f: _replace(f, "dataset", "2020-01,2021-12", "2021-12,2020-01"),
        ["dataset.csv", "row 1", "months out of order"],
    ),
    (
        "bad month",
        lambda f: _replace(f, "benefits", "2021-01", "2021-13"),
        ["benefits.csv", "column month", "'2021-13'", "not a valid month"],
    ),
    (
        "date out of range",
        lambda f: _replace(f, "persons", "1975-06-30", "1875-06-30"),
        ["persons.csv", "row 2", "column birth_date", "'1875-06-30'", "date out of range"],
    ),
    (
        "ragged csv row",
        lambda f: _replace(f, "benefits", "446", "446,extra"),
        ["benefits.csv", "cannot be read as CSV", "Line: 2", "Expected Number of Columns: 5 Found: 6"],
    ),
    (
        "missing value",
        lambda f: _replace(f, "elb_spells", "p2,J1", "p2,"),
        ["elb_spells.csv", "row 2", "column jobcenter_id", "value is required"],
    ),
]


@pytest.mark.parametrize("what, edit, expected", BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_named_and_changes_nothing(tmp_path, warehouse, what, edit, expected):
    before = digest(warehouse)
    res = _import(tmp_path, warehouse, good(), edit)
    assert res.exit_code == 2, res.output
    text = " ".join(res.output.split())
    for fragment in expected:
        assert fragment in text, f"{fragment!r} not in: {text}"
    assert "Nothing was changed" in text
    assert digest(warehouse) == before
    assert not [p for p in warehouse.parent.iterdir() if p.name.startswith(".wh.duckdb")]  # no leftovers


def test_rejected_import_creates_no_warehouse(tmp_path):
    db = tmp_path / "new.duckdb"
    res = _import(tmp_path, db, good(), lambda f: _replace(f, "persons", "p2,m", "p2,x"))
    assert res.exit_code == 2 and not db.exists()


def test_import_twice_gives_the_same_warehouse(tmp_path, warehouse):
    def dump(db):
        con = duckdb.connect(str(db), read_only=True)
        names = sorted(r[0] for r in con.execute("SHOW TABLES").fetchall())
        data = {n: con.execute(f"SELECT * FROM {n}").fetchall() for n in names}
        con.close()
        return data

    first = dump(warehouse)
    res = runner.invoke(app, ["import", str(tmp_path / "good"), "--db", str(warehouse)])
    assert res.exit_code == 0
    assert dump(warehouse) == first
    assert first["persons"] == [
        ("p1", "w", __import__("datetime").date(1980, 1, 1), None, None, None),
        ("p2", "m", __import__("datetime").date(1975, 6, 30), None, None, None),
    ]


def test_parquet_is_accepted_like_csv(tmp_path):
    csv_dir = good().write(tmp_path / "csv")
    pq_dir = tmp_path / "pq"
    pq_dir.mkdir()
    con = duckdb.connect()
    for f in csv_dir.iterdir():
        con.execute(
            f"COPY (SELECT * FROM read_csv('{f}', header=true)) TO '{pq_dir / (f.stem + '.parquet')}' (FORMAT parquet)"
        )
    outs = []
    for src in (csv_dir, pq_dir):
        out = tmp_path / f"{src.name}.csv"
        res = runner.invoke(app, ["kpi", "--data", str(src), "--from", "2021-12", "--to", "2021-12", "--out", str(out)])
        assert res.exit_code == 0, res.output
        outs.append(out.read_text())
    assert outs[0] == outs[1]


def test_optional_table_missing_is_said(tmp_path):
    folder = good().write(tmp_path / "nobenefits", skip=("benefits",))
    out = tmp_path / "f.csv"
    res = CliRunner().invoke(
        app, ["kpi", "--data", str(folder), "--from", "2021-12", "--to", "2021-12", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert "K1 (table benefits is missing)" in " ".join(res.output.split())
    assert ",K1," not in out.read_text() and ",K1E2," in out.read_text()


def test_output_formats(tmp_path):
    folder = good().write(tmp_path / "d")
    import json

    import pyarrow.parquet as pq

    for ext in ("csv", "parquet", "jsonl"):
        out = tmp_path / f"f.{ext}"
        res = runner.invoke(
            app, ["kpi", "--data", str(folder), "--from", "2021-12", "--to", "2021-12", "--out", str(out)]
        )
        assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in (tmp_path / "f.jsonl").read_text().splitlines()]
    assert list(rows[0]) == [
        "jobcenter_id", "month", "figure", "sex", "numerator", "denominator", "value", "as_of", "data_state"
    ]  # fmt: skip
    # one delivery of the default as_of, the day after ST(last_month) = 2021-12: 12/2021 at lag 0
    assert (rows[0]["as_of"], rows[0]["data_state"]) == ("2022-01-01", "provisional_0")
    assert pq.read_table(tmp_path / "f.parquet").num_rows == len(rows)
    k1e2 = next(r for r in rows if r["figure"] == "K1E2" and r["sex"] == "all")
    # stock ST(2021-12): p2 only (p1 left 2021-03-31); ST(2020-12): p1, p2
    assert (k1e2["numerator"], k1e2["denominator"], k1e2["value"]) == (1.0, 2.0, -50.0)


def test_python_api_returns_the_same_table_as_the_cli(tmp_path, warehouse):
    from amip.api import key_figures

    table = key_figures("2021-12", "2021-12", db=warehouse)
    out = tmp_path / "cli.csv"
    res = runner.invoke(app, ["kpi", "--db", str(warehouse), "--from", "2021-12", "--to", "2021-12", "--out", str(out)])
    assert res.exit_code == 0, res.output
    import pyarrow.csv as pacsv

    cli = pacsv.read_csv(out, convert_options=pacsv.ConvertOptions(column_types=table.schema))
    assert cli.equals(table)
    assert table.column_names == [
        "jobcenter_id", "month", "figure", "sex", "numerator", "denominator", "value", "as_of", "data_state"
    ]  # fmt: skip


def test_every_command_has_help():
    for cmd in ([], ["import"], ["kpi"], ["bench"], ["demo"]):
        res = runner.invoke(app, [*cmd, "--help"])
        assert res.exit_code == 0 and "Usage" in res.output, cmd


def test_bad_month_and_unknown_jobcenter_are_clear_errors(tmp_path):
    folder = good().write(tmp_path / "d")
    out = tmp_path / "f.csv"
    res = runner.invoke(app, ["kpi", "--data", str(folder), "--from", "2021-13", "--to", "2021-12", "--out", str(out)])
    assert res.exit_code == 1 and "--from '2021-13' is not a month (use MM/YYYY or YYYY-MM" in res.output
    res = runner.invoke(
        app,
        ["kpi", "--data", str(folder), "--from", "2021-12", "--to", "2021-12", "--out", str(out), "--jobcenter", "J9"],
    )
    assert res.exit_code == 1 and "job center 'J9'" in res.output
    assert not out.exists()


def test_months_are_accepted_as_the_pages_write_them(tmp_path):
    """``12/2021`` (as every page shows a month) passes the month options; the run then stops at
    the next check (the output format), before any computing. The value's normalisation to
    ``2021-12``: tests/test_format.py."""
    res = runner.invoke(app, ["kpi", "--data", str(tmp_path), "--from", "12/2021", "--to", "2021-12", "--out", "k.txt"])
    assert res.exit_code == 1 and "unknown output format '.txt'" in res.output and "not a month" not in res.output
    res = runner.invoke(app, ["report", "monthly", "--month", "13/2022", "--out", str(tmp_path / "b.pdf")])
    assert res.exit_code == 1 and "--month '13/2022' is not a month (use MM/YYYY or YYYY-MM" in res.output
    assert "Traceback" not in res.output


def test_jobcenter_option_gives_that_job_centers_rows(tmp_path):
    ds = good()
    ds.person("p3", "w", "1990-01-01").spell("p3", "J2", "2019-01-01")
    folder = ds.write(tmp_path / "d")
    outs = {}
    for opt in ([], ["--jobcenter", "J2"]):
        out = tmp_path / f"f{len(opt)}.csv"
        res = runner.invoke(
            app, ["kpi", "--data", str(folder), "--from", "2021-12", "--to", "2021-12", "--out", str(out), *opt]
        )
        assert res.exit_code == 0, res.output
        outs[len(opt)] = out.read_text().splitlines()
    only_j2 = outs[2]
    assert {line.split(",")[0] for line in only_j2[1:]} == {"J2"}
    assert only_j2[1:] == [line for line in outs[0][1:] if line.startswith("J2,")]


def test_warehouse_defaults_to_amip_db(tmp_path, warehouse, monkeypatch):
    monkeypatch.setenv("AMIP_DB", str(warehouse))
    out = tmp_path / "f.csv"
    res = runner.invoke(app, ["kpi", "--from", "2021-12", "--to", "2021-12", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert out.read_text().count("\n") > 1
    monkeypatch.setenv("AMIP_DB", str(tmp_path / "missing.duckdb"))
    res = runner.invoke(app, ["kpi", "--from", "2021-12", "--to", "2021-12", "--out", str(out)])
    assert res.exit_code == 1 and "warehouse not found" in res.output


def _typed_parquet(folder, table: str, select: str) -> None:
    """Replace ``table``'s CSV in ``folder`` by a Parquet file of ``select`` over it (typed columns)."""
    csv_file = folder / f"{table}.csv"
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT {select} FROM read_csv('{csv_file}', header=true, all_varchar=true)) "
        f"TO '{folder / (table + '.parquet')}' (FORMAT parquet)"
    )
    con.close()
    csv_file.unlink()


def _rejected(folder) -> list[str]:
    from amip.warehouse.store import stage
    from amip.warehouse.validate import DataSetRejected

    con = duckdb.connect()
    with pytest.raises(DataSetRejected) as exc:
        stage(con, folder, hashed=True)
    left = con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()
    con.close()
    assert left == []  # a rejected data set leaves no table behind
    return [str(v) for v in exc.value.violations]


def test_typed_parquet_values_are_checked_like_their_text(tmp_path):
    # Parquet columns already of the contract's type skip the text checks only for values that
    # cannot break them; each bad value below must still be reported as its text would be.
    ds = good()
    ds.person("p3", "w", "1875-06-30")  # row 3: date out of range
    ds.spell("p3", "J1", "2021-02-01", "2021-01-31")  # row 3: end before start (a row rule)
    ds.measure("p1", "J1", "FBW", "2021-01-01", "2021-02-28", "-inf")  # row 2: not a number and negative
    ds.measure("p1", "J1", "FBW", "2021-03-01", "2021-03-31", "-5")  # row 3: negative
    ds.benefit("J1", "bg_p1", "2021-02", "RB", "nan")  # row 2: not a number
    folder = ds.write(tmp_path / "pq")
    _typed_parquet(folder, "persons", "person_id, sex, CAST(birth_date AS DATE) AS birth_date")
    _typed_parquet(
        folder,
        "elb_spells",
        "person_id, jobcenter_id, bg_id, CAST(start_date AS DATE) AS start_date, "
        "CAST(end_date AS DATE) AS end_date, CAST(single_parent AS BOOLEAN) AS single_parent",
    )
    _typed_parquet(
        folder,
        "measures",
        "person_id, jobcenter_id, instrument, CAST(start_date AS DATE) AS start_date, "
        "CAST(end_date AS DATE) AS end_date, CAST(cost_eur AS DOUBLE) AS cost_eur",
    )
    _typed_parquet(
        folder, "benefits", "jobcenter_id, bg_id, month, benefit_type, CAST(amount_eur AS DOUBLE) AS amount_eur"
    )
    assert _rejected(folder) == [
        "persons.parquet, row 3, column birth_date: value '1875-06-30': date out of range (1900-03-01 to 2100-02-28)",
        # elb_spells' values are all valid, so its row rule runs (on its typed table)
        "elb_spells.parquet, row 3, column end_date: value '2021-01-31': end_date is before start_date",
        "benefits.parquet, row 2, column amount_eur: value 'nan': not a number ('.' as decimal separator)",
        "measures.parquet, row 2, column cost_eur: value '-inf': not a number ('.' as decimal separator)",
        "measures.parquet, row 2, column cost_eur: value '-inf': negative amount",
        "measures.parquet, row 3, column cost_eur: value '-5.0': negative amount",
    ]


def test_a_dataset_file_with_two_rows_is_rejected(tmp_path):
    folder = good().write(tmp_path / "two")
    with (folder / "dataset.csv").open("a") as fh:
        fh.write("2020-01,2021-12\r\n")  # the builder writes CSV with CRLF
    assert _rejected(folder) == ["dataset.csv: must hold exactly one row, holds 2"]
