"""Budget (B1): the seeds' comparison tables recomputed to the printed digit, EGL plan shares,
the second labour market and the spending of measures placed in time (hand-made data, real import)."""

from __future__ import annotations

import pytest

from amip import format as fmt
from amip.planning import budget
from builder import DataSet, import_into


def budget_dataset() -> DataSet:
    ds = DataSet("2020-01", "2022-12")
    ds.person("p1", "w", "1990-05-01").spell("p1", "J1", "2020-01-01")
    ds.person("p2", "m", "1960-01-01").spell("p2", "J1", "2020-01-01")
    # The seeds' amounts: AMIP 2020 (allocation 2019 / estimate 2020) and AMIP 2022 (2021 / 2022).
    ds.budget("J1", 2019, "VK", "zuteilung", 9069867).budget("J1", 2019, "EGL", "zuteilung", 7129465)
    ds.budget("J1", 2020, "VK", "schaetzung", 8581009).budget("J1", 2020, "EGL", "schaetzung", 7053067)
    ds.budget("J1", 2021, "VK", "zuteilung", 8118736).budget("J1", 2021, "EGL", "zuteilung", 6531000)
    ds.budget("J1", 2022, "VK", "schaetzung", 7485249).budget("J1", 2022, "EGL", "schaetzung", 5694095)
    # EGL plan 2022 per instrument: sums to the estimate 5.694.095
    for inst, amount in (("FBW", 3000000), ("MAT", 1894095), ("AGH", 500000), ("TAM", 300000)):
        ds.budget("J1", 2022, "EGL", "plan", amount, inst)
    # Measures 2021 (cost spread evenly over the days of participation):
    #   FBW 2021-01-01..03-31 = 90 days, 9000 -> 100/day: Jan 3100, Feb 2800, Mar 3100
    #   AGH 2021-06-16..07-15 = 30 days, 3000 -> Jun 1500, Jul 1500
    #   MAT 2020-12-17..2021-01-15 = 30 days, 3000 -> Dec 2020 1500, Jan 2021 1500
    #   VB without end date, 2021-08-10, 200 -> all in Aug 2021
    ds.measure("p1", "J1", "FBW", "2021-01-01", "2021-03-31", 9000)
    ds.measure("p2", "J1", "AGH", "2021-06-16", "2021-07-15", 3000)
    ds.measure("p2", "J1", "MAT", "2020-12-17", "2021-01-15", 3000)
    ds.measure("p1", "J1", "VB", "2021-08-10", None, 200)
    return ds


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("budget")
    c = budget.attach_warehouse(import_into(budget_dataset(), tmp))
    yield c
    c.close()


def printed(row):
    return (fmt.number(row["base"]), fmt.number(row["new"]), fmt.number(row["delta"]), fmt.percent(row["delta_pct"]))


def test_seed_2022_comparison_exact_to_the_printed_digit(con):
    t = budget.comparison(con, 2022, "J1")
    rows = {r["title"]: r for r in t["rows"]}
    # AMIP 2022, Ressourcen: 8.118.736 -> 7.485.249: -633.487 = -7,80 %; 6.531.000 -> 5.694.095: -836.905 = -12,81 %;
    # 14.649.736 -> 13.179.344: -1.470.392 = -10,04 %
    assert printed(rows["VK"]) == ("8.118.736", "7.485.249", "-633.487", "-7,8")
    assert printed(rows["EGL"]) == ("6.531.000", "5.694.095", "-836.905", "-12,8")
    assert printed(rows["total"]) == ("14.649.736", "13.179.344", "-1.470.392", "-10,0")
    assert t["base_kind"] == {"VK": "zuteilung", "EGL": "zuteilung"}
    assert t["new_kind"] == {"VK": "schaetzung", "EGL": "schaetzung"}


def test_seed_2020_comparison_exact_to_the_printed_digit(con):
    rows = {r["title"]: r for r in budget.comparison(con, 2020, "J1")["rows"]}
    # AMIP 2020: -488.858 / 9.069.867 = -5,39 %; -76.398 / 7.129.465 = -1,07 %; -565.256 / 16.199.332 = -3,49 %
    assert printed(rows["VK"]) == ("9.069.867", "8.581.009", "-488.858", "-5,4")
    assert printed(rows["EGL"]) == ("7.129.465", "7.053.067", "-76.398", "-1,1")
    assert printed(rows["total"]) == ("16.199.332", "15.634.076", "-565.256", "-3,5")


def test_missing_year_gives_dashes_not_zeros(con):
    # 2021 has allocations but 2020 had only estimates: no "zuteilung" of 2020 -> no base
    rows = {r["title"]: r for r in budget.comparison(con, 2021, "J1")["rows"]}
    assert rows["VK"]["base"] is None and rows["VK"]["new"] == 8118736
    assert fmt.number(rows["VK"]["delta"]) == "–"
    with pytest.raises(budget.BudgetError):
        budget.comparison(con, 2030, "J1")


def test_egl_plan_shares_and_second_labour_market(con):
    plan = budget.egl_plan(con, 2022, "J1")
    assert plan["instrument"].tolist() == ["FBW", "MAT", "AGH", "TAM"]  # largest first
    shares = dict(zip(plan["instrument"], plan["share"]))
    # 3.000.000 / 5.694.095 = 52,686 %
    assert fmt.percent(shares["FBW"]) == "52,7"
    assert dict(zip(plan["instrument"], plan["second_labour_market"])) == {
        "FBW": False,
        "MAT": False,
        "AGH": True,
        "TAM": True,
    }
    # AGH + TAM = 800.000 / 5.694.095 = 14,0497 %
    assert fmt.percent(budget.second_labour_market_share(plan)) == "14,0"


def test_spending_spread_over_the_days_of_participation(con):
    s = budget.spending(con, 2021, "J1")
    got = {(r.month, r.instrument): round(r.amount, 6) for r in s.itertuples()}
    assert got == {
        ("2021-01", "FBW"): 3100,
        ("2021-02", "FBW"): 2800,
        ("2021-03", "FBW"): 3100,
        ("2021-06", "AGH"): 1500,
        ("2021-07", "AGH"): 1500,
        ("2021-01", "MAT"): 1500,
        ("2021-08", "VB"): 200,
    }
    summary = budget.spending_summary(con, 2021, "J1")
    # total 9000 + 3000 + 1500 + 200 = 13.700; first half 9000 + 1500 (AGH Jun) + 1500 (MAT Jan) = 12.000
    assert summary["total"] == pytest.approx(13700)
    assert fmt.percent(summary["first_half_share"]) == "87,6"  # 12000 / 13700 = 87,59 %
    # second labour market: AGH 3000 / 13700 = 21,90 %
    assert fmt.percent(summary["second_labour_market_share"]) == "21,9"
    assert summary["by_month"]["amount"].tolist()[:3] == pytest.approx([4600, 2800, 3100])
    # the previous December gets MAT's first half only
    dec = budget.spending(con, 2020, "J1")
    assert dec["amount"].sum() == pytest.approx(1500)


def test_no_budget_table(tmp_path):
    ds = DataSet("2021-01", "2021-12")
    ds.person("p1", "w", "1990-05-01").spell("p1", "J1", "2021-01-01")
    c = budget.attach_warehouse(import_into(ds, tmp_path, skip=("budget", "measures")))
    try:
        with pytest.raises(budget.BudgetError, match="no budget"):
            budget.comparison(c, 2021, "J1")
        assert budget.egl_plan(c, 2021, "J1").empty
        assert budget.spending_summary(c, 2021, "J1")["total"] == 0
    finally:
        c.close()


def test_budget_page_shows_the_tables_and_downloads(tmp_path):
    from fastapi.testclient import TestClient

    from amip.cockpit.app import create_app
    from amip.cockpit.settings import Settings
    from cockpit_fixture import add_users, login

    db = import_into(budget_dataset(), tmp_path)
    add_users(db)
    with TestClient(create_app(Settings.from_env(db))) as c:
        assert login(c, "tl").status_code == 303
        page = c.get("/budget?year=2022")
        assert page.status_code == 200
        for text in ("8.118.736", "7.485.249", "-633.487", "-7,8", "<svg", "Geplanter Anteil 2. Arbeitsmarkt: 14,0 %"):
            assert text in page.text, text
        csv = c.get("/budget/vergleich.csv?year=2022")
        assert csv.status_code == 200 and "8118736" in csv.content.decode("utf-8-sig")
        spent = c.get("/budget?year=2021")
        # 2021: total 13.700, first half 87,6 %, second labour market 21,9 %
        assert "13.700" in spent.text and "87,6" in spent.text and "21,9" in spent.text
        # spending by instrument (rows) and month (columns), from the spreading worked out above
        got = c.get("/budget/monate.csv?year=2021")
        assert got.status_code == 200
        lines = [line.split(";") for line in got.content.decode("utf-8-sig").splitlines()]
        assert lines[0] == ["Instrument", *[f"{k:02d}/2021 (EUR)" for k in range(1, 13)], "Summe (EUR)"]
        rows = {r[0]: [float(v.replace(",", ".")) for v in r[1:]] for r in lines[1:]}
        assert rows["FBW"] == [3100, 2800, 3100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9000]
        assert rows["AGH"] == [0, 0, 0, 0, 0, 1500, 1500, 0, 0, 0, 0, 0, 3000]
        assert rows["MAT"] == [1500, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1500]
        assert rows["VB"] == [0, 0, 0, 0, 0, 0, 0, 200, 0, 0, 0, 0, 200]
        assert rows["Summe"] == [4600, 2800, 3100, 0, 0, 1500, 1500, 200, 0, 0, 0, 0, 13700]
        assert list(rows) == ["FBW", "AGH", "MAT", "VB", "Summe"]  # largest sum first
