"""Deliveries (Datenstände): the warehouse keeps every delivery, each row version once with the range
of deliveries it belongs to (``amip.warehouse.deliveries``). Hand-made deliveries: add, replace,
drop, out-of-order inserts, a rejected delivery among several, the CLI, a format-1 warehouse, and a
property test on random histories against importing each delivery alone into an empty warehouse."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amip.cli import app
from amip.contract.schema import TABLES
from amip.warehouse import deliveries as history
from amip.warehouse.store import drop_delivery as drop
from amip.warehouse.store import exclusive, import_dataset, import_deliveries, load_into
from builder import DataSet, runner

D1, D2, D3, D4 = (dt.date(2021, m, 1) for m in (2, 3, 4, 5))
CONTRACT = [t.name for t in TABLES]


def delivery(as_of: dt.date | None, persons: dict[str, str], spells: int = 1, **extra) -> DataSet:
    """A small valid data set: ``persons`` maps person_id -> sex; each person has ``spells``
    identical ELB spells (duplicates are rows of their own)."""
    ds = DataSet("2021-01", "2021-01", as_of=as_of)
    for pid, sex in persons.items():
        ds.person(pid, sex)
        for _ in range(spells):
            ds.spell(pid, "J1", "2020-01-01")
    for pid, cost in extra.get("measures", []):
        ds.measure(pid, "J1", "FBW", "2021-01-01", None, "" if cost is None else cost)
    for pid in extra.get("caseload", []):
        ds.caseload(pid, "cw1", "t1", "Herzberg", "2020-01-01")
    return ds


def add(tmp_path: Path, db: Path, ds: DataSet, name: str | None = None) -> None:
    name = name or f"src-{ds.as_of}-{len(list(tmp_path.iterdir()))}"
    import_dataset(ds.write(tmp_path / name), db)


def rows(con: duckdb.DuckDBPyConnection, name: str, order: bool = True) -> list[tuple]:
    got = con.execute(f'SELECT * FROM "{name}"').fetchall()
    return sorted(got, key=repr) if order else got


def contract_tables(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    """Every contract table a reader of ``con`` sees (as sorted rows: a multiset)."""
    names = {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database()"
        ).fetchall()
    }
    return {n: rows(con, n) for n in CONTRACT if n in names}


def at(db: Path, as_of: dt.date) -> dict[str, list[tuple]]:
    with history.delivery_connection(db, as_of) as con:
        return contract_tables(con)


def snapshot(db: Path, keep_order: bool = True) -> dict[str, list[tuple]]:
    """Every table and view of the warehouse file in stored order (``imported_at`` left out)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        names = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_catalog = current_database() ORDER BY ALL"
        ).fetchall()
        out = {}
        for schema, name in names:
            cols = "* EXCLUDE (imported_at)" if name == "deliveries" else "*"
            got = con.execute(f'SELECT {cols} FROM {schema}."{name}"').fetchall()
            out[f"{schema}.{name}"] = got if keep_order else sorted(got, key=repr)
        return out
    finally:
        con.close()


def versions(db: Path, table: str = "persons", *cols: str) -> list[tuple]:
    """(cols..., _n, _from, _to) of every stored version of ``table``, sorted."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        sel = ", ".join([*cols, "_n", "_from", "_to"])
        return sorted(con.execute(f"SELECT {sel} FROM {history.HISTORY}.{table}_versions").fetchall(), key=repr)
    finally:
        con.close()


def persons_at(db: Path, as_of: dt.date) -> list[tuple]:
    return [(p, s) for p, s, *_ in at(db, as_of)["persons"]]


def canonical(db: Path) -> None:
    """The stored ranges are maximal and well formed: every bound is a delivery (or an open end),
    ``_from < _to``, and the versions of one row neither overlap nor meet."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        days = {r[0] for r in con.execute(f"SELECT as_of FROM {history.HISTORY}.deliveries").fetchall()}
        for table in history.VERSIONED:
            got = con.execute(f"SELECT _hash, _n, _from, _to FROM {history.HISTORY}.{table.name}_versions").fetchall()
            by_row: dict[tuple, list[tuple]] = {}
            for h, n, lo, hi in got:
                assert lo in days and (hi is None or hi in days), (table.name, lo, hi)
                assert hi is None or lo < hi, (table.name, lo, hi)
                by_row.setdefault((h, n), []).append((lo, hi))
            for ranges in by_row.values():
                ranges.sort()
                for (_, hi), (lo, _) in zip(ranges, ranges[1:], strict=False):
                    assert hi is not None and hi < lo, (table.name, ranges)
    finally:
        con.close()


# --- adding, replacing, dropping ------------------------------------------------------------------


def test_each_row_version_is_stored_once_with_its_range(tmp_path):
    db = tmp_path / "w.duckdb"
    add(tmp_path, db, delivery(D1, {"a": "m", "b": "m"}))
    add(tmp_path, db, delivery(D2, {"a": "m", "b": "w", "c": "w"}))  # b's sex corrected, c new
    add(tmp_path, db, delivery(D3, {"a": "m", "c": "w"}))  # b gone
    # a: in all three; b as m in D1 only, as w in D2 only; c from D2 on
    assert versions(db, "persons", "person_id", "sex") == [
        ("a", "m", 1, D1, None),
        ("b", "m", 1, D1, D2),
        ("b", "w", 1, D2, D3),
        ("c", "w", 1, D2, None),
    ]
    assert persons_at(db, D1) == [("a", "m"), ("b", "m")]
    assert persons_at(db, D2) == [("a", "m"), ("b", "w"), ("c", "w")]
    assert persons_at(db, D3) == [("a", "m"), ("c", "w")]
    con = duckdb.connect(str(db), read_only=True)
    assert [(p, s) for p, s, *_ in rows(con, "persons")] == [("a", "m"), ("c", "w")]  # main = latest
    assert rows(con, "dataset") == [("2021-01", "2021-01", D3)]
    con.close()
    canonical(db)


def test_identical_duplicate_rows_are_kept_by_their_ordinal(tmp_path):
    db = tmp_path / "w.duckdb"
    add(tmp_path, db, delivery(D1, {"a": "m"}, spells=2))
    add(tmp_path, db, delivery(D2, {"a": "m"}, spells=3))
    add(tmp_path, db, delivery(D3, {"a": "m"}, spells=1))
    # the first copy is in all three, the second in D1 and D2, the third in D2 only
    assert versions(db, "elb_spells", "person_id") == [("a", 1, D1, None), ("a", 2, D1, D3), ("a", 3, D2, D3)]
    assert [len(at(db, d)["elb_spells"]) for d in (D1, D2, D3)] == [2, 3, 1]


def test_null_and_a_value_are_different_versions(tmp_path):
    db = tmp_path / "w.duckdb"
    # every nullable column NULL in D1 (end_date, cost_eur, the person flags); cost 0 in D2
    ds = delivery(D1, {"a": "m"}, measures=[("a", None)])
    add(tmp_path, db, ds)
    add(tmp_path, db, delivery(D2, {"a": "m"}, measures=[("a", "0")]))
    add(tmp_path, db, delivery(D3, {"a": "m"}, measures=[("a", None)]))
    assert versions(db, "measures", "cost_eur", "end_date") == [
        (0.0, None, 1, D2, D3),
        (None, None, 1, D1, D2),
        (None, None, 1, D3, None),
    ]
    assert [at(db, d)["measures"][0][5] for d in (D1, D2, D3)] == [None, 0.0, None]
    # a person with all three flags NULL and one with them false: distinct rows, distinct hashes
    ds = delivery(D4, {"a": "m"})
    ds.person("b", "w", severely_disabled=False, refugee=False, vocational_qualification=False)
    ds.spell("b", "J1", "2020-01-01")
    add(tmp_path, db, ds)
    assert sorted((r[3:] for r in at(db, D4)["persons"]), key=repr) == [(False, False, False), (None, None, None)]
    canonical(db)


def test_reimporting_a_delivery_changes_nothing(tmp_path):
    db = tmp_path / "w.duckdb"
    sets = [
        delivery(D1, {"a": "m", "b": "m"}),
        delivery(D2, {"a": "m", "b": "w", "c": "w"}),
        delivery(D3, {"a": "m", "c": "w"}),
    ]
    for ds in sets:
        add(tmp_path, db, ds, name=f"src-{ds.as_of}")
    before = snapshot(db)
    for ds in sets:  # the oldest, a middle one, the latest (from the same folder: the same source)
        add(tmp_path, db, ds, name=f"src-{ds.as_of}")
        assert snapshot(db) == before  # the same rows in the same order, views included


def test_replacing_a_delivery_changes_only_that_delivery(tmp_path):
    db = tmp_path / "w.duckdb"
    add(tmp_path, db, delivery(D1, {"a": "m", "b": "m"}))
    add(tmp_path, db, delivery(D2, {"a": "m", "c": "w"}))
    add(tmp_path, db, delivery(D3, {"a": "m", "b": "m", "c": "w"}))
    add(tmp_path, db, delivery(D2, {"a": "w", "b": "m"}))  # the middle one again, corrected
    assert persons_at(db, D1) == [("a", "m"), ("b", "m")]
    assert persons_at(db, D2) == [("a", "w"), ("b", "m")]
    assert persons_at(db, D3) == [("a", "m"), ("b", "m"), ("c", "w")]
    # b is in all three again: one version; a as m has a gap at D2; c only from D3
    assert versions(db, "persons", "person_id", "sex") == [
        ("a", "m", 1, D1, D2),
        ("a", "m", 1, D3, None),
        ("a", "w", 1, D2, D3),
        ("b", "m", 1, D1, None),
        ("c", "w", 1, D3, None),
    ]
    assert [d.as_of for d in history.deliveries(duckdb.connect(str(db), read_only=True))] == [D1, D2, D3]
    canonical(db)


@pytest.mark.parametrize("new", [dt.date(2021, 1, 15), dt.date(2021, 3, 15), dt.date(2021, 6, 1)])
def test_dropping_a_delivery_restores_the_state_before_it_was_added(tmp_path, new):
    db = tmp_path / "w.duckdb"
    add(tmp_path, db, delivery(D1, {"a": "m", "b": "m"}))
    add(tmp_path, db, delivery(D2, {"b": "m", "c": "w"}))
    add(tmp_path, db, delivery(D3, {"a": "m", "b": "w", "c": "w"}))
    before = snapshot(db)
    # the new delivery (before the oldest, in the middle, after the latest) has a row of each kind:
    # one of its neighbours' (a, c), a changed one (b), a new one (d), and lacks none of them
    add(tmp_path, db, delivery(new, {"a": "m", "b": "w", "c": "w", "d": "m"}, spells=2))
    canonical(db)
    assert drop(db, new)
    assert snapshot(db) == before  # every table, the row order of the views included


def test_dropping_the_oldest_middle_or_latest_keeps_the_others(tmp_path):
    sets = {
        D1: delivery(D1, {"a": "m", "b": "m"}),
        D2: delivery(D2, {"b": "m", "c": "w"}, caseload=["b"]),
        D3: delivery(D3, {"a": "m", "b": "w", "c": "w"}),
    }
    full = tmp_path / "w.duckdb"
    for ds in sets.values():
        add(tmp_path, full, ds)
    alone = {}
    for day, ds in sets.items():  # each delivery alone, read the plain way (no history involved)
        con = duckdb.connect()
        load_into(con, ds.write(tmp_path / f"alone-{day}"))
        alone[day] = contract_tables(con)
        con.close()
    for gone in sets:
        db = tmp_path / f"w-{gone}.duckdb"
        shutil.copyfile(full, db)
        assert drop(db, gone)
        canonical(db)
        left = [d for d in sets if d != gone]
        assert [d.as_of for d in history.deliveries(duckdb.connect(str(db), read_only=True))] == left
        for day in left:
            assert at(db, day) == alone[day], (gone, day)
        con = duckdb.connect(str(db), read_only=True)
        assert contract_tables(con) == alone[left[-1]]  # the main schema shows the latest left
        con.close()


def test_out_of_order_imports_store_the_same_history(tmp_path):
    sets = [
        delivery(D1, {"a": "m", "b": "m"}, spells=2),
        delivery(D2, {"a": "m", "c": "w"}),
        delivery(D3, {"a": "w", "b": "m", "c": "w"}, spells=3),
        delivery(D4, {"a": "m", "b": "m"}, spells=2),
    ]
    cols = ("person_id", "sex")
    stored = []
    for order in ([3, 1, 0, 2], [2, 0, 3, 1]):  # the expected ranges below: the order of the as_of
        db = tmp_path / f"w-{''.join(map(str, order))}.duckdb"
        for i in order:
            add(tmp_path, db, sets[i])
        canonical(db)
        stored.append((versions(db, "persons", *cols), versions(db, "elb_spells", "person_id")))
    assert stored[0] == stored[1]
    assert stored[0][0] == [
        ("a", "m", 1, D1, D3),
        ("a", "m", 1, D4, None),
        ("a", "w", 1, D3, D4),
        ("b", "m", 1, D1, D2),
        ("b", "m", 1, D3, None),
        ("c", "w", 1, D2, D4),
    ]


def test_a_delivery_lacking_an_optional_table(tmp_path):
    db = tmp_path / "w.duckdb"
    add(tmp_path, db, delivery(D1, {"a": "m"}, caseload=["a"]))
    add(tmp_path, db, delivery(D2, {"a": "m"}))  # no caseload file
    assert "caseload" in at(db, D1) and "caseload" not in at(db, D2)
    con = duckdb.connect(str(db), read_only=True)
    names = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert "caseload" not in names and "persons" in names  # as if the latest had no caseload file
    con.close()
    add(tmp_path, db, delivery(D3, {"a": "m"}, caseload=["a"]))
    assert at(db, D3)["caseload"] == at(db, D1)["caseload"]
    assert versions(db, "caseload", "person_id") == [("a", 1, D1, D2), ("a", 1, D3, None)]


def test_a_data_set_without_as_of_is_the_delivery_of_the_day_after_its_last_month(tmp_path):
    db = tmp_path / "w.duckdb"
    ds = delivery(None, {"a": "m"})
    ds.last = "2021-12"
    add(tmp_path, db, ds)
    assert [d.as_of for d in history.deliveries(duckdb.connect(str(db), read_only=True))] == [dt.date(2022, 1, 1)]


# --- several deliveries in one import, the CLI --------------------------------------------------


def test_a_rejected_delivery_among_several_changes_nothing(tmp_path):
    db = tmp_path / "w.duckdb"
    add(tmp_path, db, delivery(D1, {"a": "m"}))
    before = db.read_bytes()
    src = tmp_path / "many"
    delivery(D2, {"a": "m"}).write(src / "delivery-2021-03-01")
    bad = delivery(D3, {"a": "m"}).write(src / "delivery-2021-04-01")
    (bad / "persons.csv").write_text("person_id,sex,birth_date\na,x,1980-01-01\n")
    delivery(D4, {"a": "m"}).write(src / "delivery-2021-05-01")
    res = runner.invoke(app, ["import", str(src), "--db", str(db)])
    assert res.exit_code == 2  # a rejected data set
    assert "delivery-2021-04-01/persons.csv" in res.output and "unknown code" in res.output
    assert "delivery-2021-03-01/" not in res.output  # only the rejected delivery is named
    assert db.read_bytes() == before


def test_a_folder_of_deliveries_is_imported_in_date_order(tmp_path):
    db = tmp_path / "w.duckdb"
    src = tmp_path / "many"
    delivery(D2, {"a": "m", "b": "w"}).write(src / "delivery-2021-03-01")
    delivery(D1, {"a": "m"}).write(src / "delivery-2021-02-01")
    res = runner.invoke(app, ["import", str(src), "--db", str(db)])
    assert res.exit_code == 0, res.output
    assert "Delivery of 01.02.2021 (data up to 01/2021) added." in res.output
    assert res.output.index("01.02.2021") < res.output.index("01.03.2021")
    assert persons_at(db, D1) == [("a", "m")] and persons_at(db, D2) == [("a", "m"), ("b", "w")]
    again = runner.invoke(app, ["import", str(src / "delivery-2021-02-01"), "--db", str(db)])
    assert "Delivery of 01.02.2021 (data up to 01/2021) replaced." in again.output


def test_cli_lists_and_drops_deliveries(tmp_path):
    db = tmp_path / "w.duckdb"
    add(tmp_path, db, delivery(D1, {"a": "m"}))
    add(tmp_path, db, delivery(D2, {"a": "m", "b": "w"}, spells=2))
    res = runner.invoke(app, ["deliveries", "list", "--db", str(db), "--json"])
    assert res.exit_code == 0, res.output
    got = [json.loads(line) for line in res.output.splitlines()]
    assert [(g["as_of"], g["first_month"], g["last_month"]) for g in got] == [
        ("2021-02-01", "2021-01", "2021-01"),
        ("2021-03-01", "2021-01", "2021-01"),
    ]
    assert got[1]["rows"] == {"benefits": 0, "elb_spells": 4, "employment_spells": 0, "measures": 0, "persons": 2}
    assert got[1]["source"].startswith("src-2021-03-01")
    table = runner.invoke(app, ["deliveries", "list", "--db", str(db)])
    assert table.exit_code == 0
    assert "01.02.2021" in table.output and "01/2021–01/2021" in table.output
    line = next(li for li in table.output.splitlines() if "01.03.2021" in li)
    assert " 6 " in line  # 2 persons + 4 spells

    unknown = runner.invoke(app, ["deliveries", "drop", "2021-07-01", "--db", str(db)])
    assert unknown.exit_code == 1
    assert "no delivery of 01.07.2021" in unknown.output and "Traceback" not in unknown.output
    bad = runner.invoke(app, ["deliveries", "drop", "1.7.21x", "--db", str(db)])
    assert bad.exit_code == 1 and "not a date" in bad.output
    with exclusive(db):  # another import holds the lock: refused, nothing changed
        before = db.read_bytes()
        locked = runner.invoke(app, ["deliveries", "drop", "01.03.2021", "--db", str(db)])
        assert locked.exit_code == 3 and "another import" in locked.output
        assert db.read_bytes() == before
    ok = runner.invoke(app, ["deliveries", "drop", "01.03.2021", "--db", str(db)])
    assert ok.exit_code == 0 and "Delivery of 01.03.2021 dropped" in ok.output
    res = runner.invoke(app, ["deliveries", "list", "--db", str(db), "--json"])
    assert [json.loads(line)["as_of"] for line in res.output.splitlines()] == ["2021-02-01"]
    missing = runner.invoke(app, ["deliveries", "list", "--db", str(tmp_path / "none.duckdb")])
    assert missing.exit_code == 1 and "warehouse not found" in missing.output


# --- a warehouse of the previous amip version -----------------------------------------------------


def test_a_format_1_warehouse_becomes_the_first_delivery_on_the_next_import(tmp_path):
    old = delivery(None, {"a": "m", "b": "w"}, spells=2, caseload=["a"])
    old.last = "2021-02"
    db = tmp_path / "w.duckdb"
    con = duckdb.connect(str(db))  # the way the previous version wrote a warehouse: plain tables
    load_into(con, old.write(tmp_path / "old"))
    con.execute("ALTER TABLE dataset DROP COLUMN as_of")  # the previous version had no as_of
    expected = contract_tables(con)
    con.close()
    assert [d.as_of for d in history.deliveries(duckdb.connect(str(db), read_only=True))] == [D2]
    assert at(db, D2) == expected  # a format-1 file is read as its one delivery

    import_dataset(delivery(D3, {"a": "m"}).write(tmp_path / "new"), db)
    con = duckdb.connect(str(db), read_only=True)
    assert history.format_version(con) == "2"
    listed = history.deliveries(con)
    assert [(d.as_of, d.first_month, d.last_month, d.source) for d in listed] == [
        (D2, "2021-01", "2021-02", "format 1 warehouse"),
        (D3, "2021-01", "2021-01", "new"),
    ]
    # the builder always writes benefits, employment_spells and measures (here empty)
    empty = {"benefits": 0, "employment_spells": 0, "measures": 0}
    assert listed[0].rows == {**empty, "caseload": 1, "elb_spells": 4, "persons": 2}
    con.close()
    assert at(db, D2) == {**expected, "dataset": [("2021-01", "2021-02", D2)]}
    assert persons_at(db, D3) == [("a", "m")]
    canonical(db)


# --- property: random histories -------------------------------------------------------------------

DAYS = [dt.date(2021, 2, 1) + dt.timedelta(days=17 * i) for i in range(8)]
PEOPLE = ("p1", "p2", "p3")


@st.composite
def data_sets(draw, as_of: dt.date) -> DataSet:
    """A small random data set: each person kept or dropped, sex and flags changed, 0-2 identical
    copies of each candidate spell and measure (NULL or a value), benefits and an optional table."""
    ds = DataSet("2021-01", "2021-01", as_of=as_of)
    for pid in PEOPLE:
        if not draw(st.booleans()) and pid != "p1":
            continue
        flag = draw(st.sampled_from([None, True, False]))
        ds.person(pid, draw(st.sampled_from("mw")), draw(st.sampled_from(["1980-01-01", "1990-05-05"])), refugee=flag)
        for start in ("2020-01-01", "2020-07-01"):
            for _ in range(draw(st.integers(0, 2))):
                ds.spell(pid, "J1", start, draw(st.sampled_from([None, "2021-06-30"])))
        for _ in range(draw(st.integers(0, 2))):
            ds.measure(pid, "J1", "FBW", "2021-01-01", None, draw(st.sampled_from(["", "0", "12.5"])))
    for bg in ("bg_p1", "bg_p2"):
        if draw(st.booleans()):
            ds.benefit("J1", bg, "2021-01", "RB", draw(st.sampled_from(["446", "449.5"])))
    if draw(st.booleans()):
        ds.caseload("p1", "cw1", "t1", draw(st.sampled_from(["Herzberg", "Finsterwalde"])), "2020-01-01")
    return ds


@st.composite
def histories(draw):
    days = draw(st.lists(st.sampled_from(DAYS), min_size=2, max_size=6, unique=True))  # import order
    steps: list[tuple[str, object]] = [("add", draw(data_sets(day))) for day in days]
    for _ in range(draw(st.integers(0, 2))):  # re-import a delivery, changed or not
        steps.insert(draw(st.integers(1, len(steps))), ("add", draw(data_sets(draw(st.sampled_from(days))))))
    for _ in range(draw(st.integers(0, 2))):  # drop a delivery (then perhaps add it again)
        steps.insert(draw(st.integers(1, len(steps))), ("drop", draw(st.sampled_from(days))))
    return steps


@pytest.mark.slow
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=histories())
def test_every_delivery_of_a_random_history_equals_it_imported_alone(tmp_path_factory, steps):
    tmp = tmp_path_factory.mktemp("history")
    db = tmp / "w.duckdb"
    current: dict[dt.date, DataSet] = {}
    for i, (kind, arg) in enumerate(steps):
        if kind == "add":
            assert isinstance(arg, DataSet)
            import_deliveries([arg.write(tmp / f"src{i}")], db)
            current[arg.as_of] = arg  # type: ignore[index]
        else:
            assert isinstance(arg, dt.date)
            assert drop(db, arg) == (arg in current)
            current.pop(arg, None)
    canonical(db)
    con = duckdb.connect(str(db), read_only=True)
    assert [d.as_of for d in history.deliveries(con)] == sorted(current)
    main = contract_tables(con)
    con.close()
    for day, ds in current.items():
        alone = tmp / f"alone-{day}.duckdb"
        import_dataset(ds.write(tmp / f"alone-{day}"), alone)
        expected = at(alone, day)
        plain = duckdb.connect()
        load_into(plain, tmp / f"alone-{day}")
        assert {k: v for k, v in contract_tables(plain).items() if k != "dataset"} == {
            k: v for k, v in expected.items() if k != "dataset"
        }
        plain.close()
        assert at(db, day) == expected, day
        if day == max(current):
            assert main == expected


def test_a_warehouse_may_be_named_history(tmp_path):
    # DuckDB names a file's catalog after its stem: history.duckdb once clashed with the schema
    db = tmp_path / "history.duckdb"
    add(tmp_path, db, delivery(D1, {"a": "m"}))
    add(tmp_path, db, delivery(D2, {"a": "w"}))
    assert persons_at(db, D1) == [("a", "m")]
    res = runner.invoke(app, ["deliveries", "list", "--db", str(db), "--json"])
    assert res.exit_code == 0 and len(res.output.splitlines()) == 2
    refused = runner.invoke(
        app, ["import", str(tmp_path / "src-2021-02-01-0"), "--db", str(tmp_path / "amip_history.duckdb")]
    )
    assert refused.exit_code == 1 and "may not be named amip_history.duckdb" in refused.output


def test_deliveries_cut_from_one_data_set_for_the_benchmark(tmp_path):
    from amip.bench.deliveries import cut_deliveries

    ds = DataSet("2020-01", "2021-12")
    ds.person("a", "m").spell("a", "J1", "2020-01-01", "2021-06-30").job("a", "svb", "2021-07-01")
    ds.person("b", "w").spell("b", "J1", "2021-05-01")
    ds.benefit("J1", "bg_a", "2021-03", "RB", "446").benefit("J1", "bg_a", "2021-04", "RB", "446")
    csv = ds.write(tmp_path / "csv")
    full = tmp_path / "full"
    full.mkdir()
    con = duckdb.connect()
    load_into(con, csv)  # typed tables, as the generator writes them
    for name in contract_tables(con):
        con.execute(f"COPY {name} TO '{full / (name + '.parquet')}'")
    con.close()
    cut_deliveries(full, [dt.date(2021, 4, 1)], tmp_path / "out")
    con = duckdb.connect()
    got = tmp_path / "out" / "delivery-2021-04-01"
    read = lambda name: con.execute(f"SELECT * FROM '{got / (name + '.parquet')}'").fetchall()  # noqa: E731
    assert read("dataset") == [("2020-01", "2021-03", dt.date(2021, 4, 1))]
    assert [r[0] for r in read("persons")] == ["a"]  # b's first spell begins after the cut
    assert [(r[0], r[4]) for r in read("elb_spells")] == [("a", None)]  # its end is not known yet
    assert read("employment_spells") == []
    assert [r[2] for r in read("benefits")] == ["2021-03"]
    con.close()
    import_dataset(got, tmp_path / "w.duckdb")  # a valid data set
