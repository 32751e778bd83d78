"""`amip published import`: validation with file, row and column (CSV, Parquet, XLSX), all or
nothing, several publications (the latest wins for a month, older ones stay in the history)."""

from __future__ import annotations

import duckdb
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from amip.published.store import load_published, published_path
from published_kit import FIGURE_HEADER, JOBCENTER_HEADER, import_published, write_csv

GOOD = [
    ["J1", "2022-12", "K2", "all", 10, 40, 25.0],
    ["J1", "2022-12", "K2", "w", 4, 20, 20.0],
    ["J1", "2022-12", "K1", "all", 1000, 1100, -9.1],
    ["J2", "2022-12", "K2", "all", None, None, None],  # published without figures: empty cells
]
JOBCENTERS = [
    ["J1", "Jobcenter Eins", "Brandenburg", "gE", "IIIb"],
    ["J2", "Jobcenter Zwei", "Sachsen", "zkT", ""],
]


def _db(tmp_path):
    return tmp_path / "amip.duckdb"  # no warehouse needed: the published file lies beside its name


def test_a_good_csv_is_kept_beside_the_warehouse_with_its_jobcenters(tmp_path):
    f = write_csv(tmp_path / "in" / "published.csv", FIGURE_HEADER, GOOD)
    j = write_csv(tmp_path / "in" / "jobcenters.csv", JOBCENTER_HEADER, JOBCENTERS)
    res = import_published(_db(tmp_path), f, j)
    assert res.exit_code == 0, res.output
    assert "Publication 12/2022: 4 rows" in res.output
    assert published_path(_db(tmp_path)) == tmp_path / "amip.published.duckdb"
    pub = load_published(_db(tmp_path))
    assert pub is not None
    k2 = pub.rows("K2", "2022-12", "all").set_index("jobcenter_id")
    assert k2.loc["J1", "value"] == 25.0 and k2.loc["J1", "numerator"] == 10.0
    assert pub.jobcenters.set_index("jobcenter_id").loc["J2", "kind"] == "zkT"
    assert pub.jobcenters.set_index("jobcenter_id")["vergleichstyp"].isna().tolist() == [False, True]
    assert not (tmp_path / "amip.duckdb").exists()  # the microdata warehouse is not touched


@pytest.mark.parametrize(
    ("row", "column", "value", "rule"),
    [
        (["J1", "2022-13", "K2", "all", 1, 2, 50.0], "month", "2022-13", "not a valid month (YYYY-MM)"),
        (["J1", "2022-12", "K9", "all", 1, 2, 50.0], "figure", "K9", "unknown code"),
        (["J1", "2022-12", "K2", "x", 1, 2, 50.0], "sex", "x", "unknown code"),
        (["J1", "2022-12", "K2", "all", "zehn", 2, 50.0], "numerator", "zehn", "not a number"),
        (["J1", "2022-12", "K1", "w", 1, 2, 50.0], "sex", "w", "not person based"),
        (["J1", "2022-12", "K2", "all", 1, 2, 50.0], "jobcenter_id, month, figure, sex", None, "duplicate key"),
    ],
)
def test_a_bad_row_is_rejected_with_file_row_and_column(tmp_path, row, column, value, rule):
    f = write_csv(tmp_path / "in" / "published.csv", FIGURE_HEADER, [*GOOD, row])
    res = import_published(_db(tmp_path), f)
    assert res.exit_code == 1
    text = " ".join(res.output.split())
    where = f"published.csv, row 5 (line 6), column {column}"
    assert where in text, text
    assert rule in text
    if value is not None:
        assert f"value '{value}'" in text
    assert "nothing was changed" in text
    assert not published_path(_db(tmp_path)).exists()


def test_a_rejected_file_leaves_the_earlier_publications_exactly_as_they_were(tmp_path):
    good = write_csv(tmp_path / "in" / "good.csv", FIGURE_HEADER, GOOD)
    assert import_published(_db(tmp_path), good).exit_code == 0
    before = published_path(_db(tmp_path)).read_bytes()
    bad = write_csv(tmp_path / "in" / "bad.csv", FIGURE_HEADER, [["J1", "12/2022", "K2", "all", 1, 2, 3]])
    res = import_published(_db(tmp_path), bad, None, "--publication", "2023-01")
    assert res.exit_code == 1
    assert "bad.csv, row 1 (line 2), column month" in " ".join(res.output.split())
    assert published_path(_db(tmp_path)).read_bytes() == before


def test_a_bad_jobcenters_file_is_rejected_with_file_row_and_column(tmp_path):
    f = write_csv(tmp_path / "in" / "published.csv", FIGURE_HEADER, GOOD)
    j = write_csv(
        tmp_path / "in" / "jobcenters.csv",
        JOBCENTER_HEADER,
        [*JOBCENTERS, ["J3", "Jobcenter Drei", "Berlin", "ARGE", "Ia"], ["J1", "Doppelt", "Berlin", "gE", "Ia"]],
    )
    res = import_published(_db(tmp_path), f, j)
    text = " ".join(res.output.split())
    assert res.exit_code == 1
    assert "jobcenters.csv, row 3 (line 4), column kind: value 'ARGE': unknown code (allowed: gE, zkT)" in text
    assert not published_path(_db(tmp_path)).exists()


def test_parquet_and_xlsx_are_read_like_csv(tmp_path):
    cols = list(zip(*GOOD))
    table = pa.table(
        {
            "jobcenter_id": list(cols[0]),
            "month": list(cols[1]),
            "figure": list(cols[2]),
            "sex": list(cols[3]),
            "numerator": pa.array(cols[4], pa.float64()),
            "denominator": pa.array(cols[5], pa.float64()),
            "value": pa.array(cols[6], pa.float64()),
        }
    )
    pq.write_table(table, tmp_path / "published.parquet")
    res = import_published(_db(tmp_path), tmp_path / "published.parquet")
    assert res.exit_code == 0, res.output
    assert load_published(_db(tmp_path)).rows("K2", "2022-12", "w")["value"].tolist() == [20.0]

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(FIGURE_HEADER)
    for r in GOOD:
        ws.append(r)
    ws.append(["J1", "2022-12", "K3", "m", 3, "drei", 1.0])  # sheet row 6 = data row 5
    wb.save(tmp_path / "published.xlsx")
    res = import_published(_db(tmp_path), tmp_path / "published.xlsx", None, "--publication", "2023-01")
    text = " ".join(res.output.split())
    assert res.exit_code == 1
    assert "published.xlsx, row 5, column denominator: value 'drei': not a number" in text

    ws.delete_rows(6)
    wb.save(tmp_path / "published.xlsx")
    res = import_published(_db(tmp_path), tmp_path / "published.xlsx", None, "--publication", "2023-01")
    assert res.exit_code == 0, res.output
    pub = load_published(_db(tmp_path))
    assert pub.publications["publication"].tolist() == ["2022-12", "2023-01"]
    assert pub.rows("K1", "2022-12", "all")["value"].tolist() == [-9.1]


def test_the_latest_publication_wins_for_a_month_and_the_older_ones_stay(tmp_path):
    db = _db(tmp_path)
    first = write_csv(tmp_path / "in" / "nov.csv", FIGURE_HEADER, [["J1", "2022-11", "K2", "all", 9, 40, 22.5]])
    second = write_csv(
        tmp_path / "in" / "dec.csv",
        FIGURE_HEADER,
        [["J1", "2022-11", "K2", "all", 10, 40, 25.0], ["J1", "2022-12", "K2", "all", 11, 40, 27.5]],
    )
    assert import_published(db, first).exit_code == 0  # publication 2022-11 (its latest month)
    assert import_published(db, second).exit_code == 0  # publication 2022-12
    pub = load_published(db)
    assert pub.rows("K2", "2022-11")[["value", "publication"]].values.tolist() == [[25.0, "2022-12"]]
    hist = pub.history[(pub.history.month == "2022-11")]
    assert sorted(zip(hist.publication, hist.value)) == [("2022-11", 22.5), ("2022-12", 25.0)]
    # importing a publication again replaces it (here: the December one, now without 2022-11)
    again = write_csv(tmp_path / "in" / "dec2.csv", FIGURE_HEADER, [["J1", "2022-12", "K2", "all", 12, 40, 30.0]])
    assert import_published(db, again, None, "--publication", "2022-12").exit_code == 0
    pub = load_published(db)
    assert pub.rows("K2", "2022-11")[["value", "publication"]].values.tolist() == [[22.5, "2022-11"]]
    assert pub.rows("K2", "2022-12")["value"].tolist() == [30.0]
    con = duckdb.connect(str(published_path(db)), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM published_figures").fetchone()[0] == 2
    finally:
        con.close()


def test_a_jobcenters_table_stays_when_a_later_publication_comes_without_one(tmp_path):
    db = _db(tmp_path)
    f = write_csv(tmp_path / "in" / "published.csv", FIGURE_HEADER, GOOD)
    j = write_csv(tmp_path / "in" / "jobcenters.csv", JOBCENTER_HEADER, JOBCENTERS)
    assert import_published(db, f, j).exit_code == 0
    assert import_published(db, f, None, "--publication", "2023-01").exit_code == 0
    assert load_published(db).jobcenters["name"].tolist() == ["Jobcenter Eins", "Jobcenter Zwei"]


def test_a_bad_publication_month_is_refused(tmp_path):
    f = write_csv(tmp_path / "in" / "published.csv", FIGURE_HEADER, GOOD)
    res = import_published(_db(tmp_path), f, None, "--publication", "Dezember")
    assert res.exit_code == 1
    assert "is not a month" in res.output
    assert "Traceback" not in res.output
