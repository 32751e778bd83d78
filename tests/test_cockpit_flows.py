"""The cockpit on rules version 2: the averaged rates K1E3/K1E4 have a numerator and a denominator
in the store, the "Zähler und Nenner" table and the office breakdown, and the drill-down lists a
person who entered twice in a month once, counted twice. Values worked out by hand.

Coverage 2020-01 .. 2022-12, M = 2022-12, job center J1 (no benefits: every job center with spells
is a home job center):
  p1 (w) 2020-01-01 ..                                   caseload c1, T1, Herzberg from 2020-01-01
  q  (m) 2022-03-01 .. 2022-03-10, 2022-03-20 .. 2022-05-31  caseload c1, T1, Herzberg from 2022-03-01
q enters twice in March 2022 (1st, 20th) and exits on 2022-03-11 (March) and 2022-06-01 (June).
Stock J1 2022: p1 every month + q at ST(Mar), ST(Apr), ST(May): Σ = 12 + 3 = 15; 2021-12 .. 2022-11 also 15.
K1E3 = 2 / 15 · 100; K1E4 = 2 / 15 · 100 (Stock(Feb) = 1 and Stock(May) = 2, both months count).
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from amip.cockpit.app import create_app
from amip.cockpit.settings import Settings
from amip.figures.store import Scope
from builder import DataSet
from cockpit_fixture import add_users, login

M = "2022-12"


@pytest.fixture(scope="module")
def warehouse(warehouse_factory):
    ds = DataSet("2020-01", "2022-12")
    ds.person("p1", "w", "1990-05-01").spell("p1", "J1", "2020-01-01")
    ds.caseload("p1", "c1", "T1", "Herzberg", "2020-01-01")
    ds.person("q", "m", "1985-01-01").spell("q", "J1", "2022-03-01", "2022-03-10").spell(
        "q", "J1", "2022-03-20", "2022-05-31"
    )
    ds.caseload("q", "c1", "T1", "Herzberg", "2022-03-01")
    return warehouse_factory(ds, "flows")


@pytest.fixture(scope="module")
def store(store_factory, warehouse):
    return store_factory(warehouse)


def test_averaged_rates_have_numerator_and_denominator(store):
    row = store.value("J1", "K1E3", M)
    assert {k: row[k] for k in ("numerator", "denominator", "value")} == pytest.approx(
        {"numerator": 2, "denominator": 15, "value": 200 / 15}
    )
    row = store.value("J1", "K1E4", M)
    assert {k: row[k] for k in ("numerator", "denominator", "value")} == pytest.approx(
        {"numerator": 2, "denominator": 15, "value": 200 / 15}
    )


def test_monthly_parts_show_both_entries_of_march(store):
    parts = {r["month"]: r for r in store.monthly_parts("J1", "K1E3", M)}
    assert sorted(parts) == [f"2022-{k:02d}" for k in range(1, 13)]
    assert (parts["2022-03"]["numerator"], parts["2022-03"]["denominator"]) == (2, 2)
    assert (parts["2022-06"]["numerator"], parts["2022-06"]["denominator"]) == (0, 1)
    # K1E4 divides by the previous month's stock: the denominator months run 2021-12 .. 2022-11
    exits = {r["month"]: r for r in store.monthly_parts("J1", "K1E4", M)}
    assert exits["2021-12"]["denominator"] == 1 and exits["2021-12"]["numerator"] is None
    assert exits["2022-06"]["numerator"] == 1 and exits["2022-03"]["numerator"] == 1


def test_the_person_behind_two_entries_is_listed_once_counted_twice(store):
    people = store.persons("J1", "entries", "2022-03", Scope("all"))
    assert people["person_id"].tolist() == ["q"] and people["times"].tolist() == [2]
    stock = store.persons("J1", "stock", "2022-03", Scope("all"))
    assert stock["person_id"].tolist() == ["p1", "q"] and stock["times"].tolist() == [1, 1]


def test_office_breakdown_counts_every_status_change(store):
    # Entries take the office at ST(m): both March entries of q are Herzberg's (caseload from 2022-03-01)
    t = store.by_unit("J1", "K1E3", M, "office")
    row = t[t.unit == "Herzberg"].iloc[0]
    assert (row.numerator, row.denominator) == (2, 15)
    # Exits take it at ST(m-1): q's June exit is Herzberg's (ST(May)); the March exit has no office at ST(Feb)
    t = store.by_unit("J1", "K1E4", M, "office")
    row = t[t.unit == "Herzberg"].iloc[0]
    assert (row.numerator, row.denominator) == (1, 15)


@pytest.fixture
def client(warehouse, tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'state.sqlite'}"
    monkeypatch.setenv("AMIP_STATE_DB", url)
    add_users(warehouse, env={"AMIP_STATE_DB": url})
    with TestClient(create_app(Settings.from_env(warehouse))) as c:
        yield c


def test_figure_page_and_drill_down(client):
    assert login(client, "co").status_code == 303
    html = client.get(f"/kennzahl/K1E3?jc=J1&month={M}").text
    assert "Regelversion 2" in html  # the glossary says why values differ from version-1 exports
    assert "13,3&nbsp;%" in html  # 2 / 15 = 13,33 %
    assert (
        "/personen?jc=J1&amp;count=entries&amp;month=2022-03" in html
        or "/personen?jc=J1&count=entries&month=2022-03" in html
    )
    page = client.get("/personen?jc=J1&count=entries&month=2022-03&sex=all").text
    assert "<strong>1</strong> Person mit zusammen <strong>2</strong> Statuswechseln" in page


def test_api_gives_numerator_and_denominator_of_the_averaged_rates(client):
    login(client, "co")
    rows = client.get("/api/figures?figure=K1E3&jc=J1&sex=all").json()
    dec = next(r for r in rows if r["month"] == M)
    assert (dec["numerator"], dec["denominator"]) == (2, 15)
    assert dec["value"] == pytest.approx(200 / 15)
