"""Target-group worklists and the local targets L1/L2, figures worked out by hand.

Coverage 2020-01 .. 2022-12 (the cache needs LZB coverage), Bezugsmonat M = 2022-12, job center J1:

  person sex born        flags                         ELB                       caseload   prognosis (goal)
  u1     m   2000-01-01  -                             2022-01-01 ..             c1, T1     marktnah (goal)
                         svb job from 2022-06-01 (stays in receipt): integrated in 2022-06 (rule a)
  s1     w   1985-01-01  severely disabled, no voc.    2022-01-01 .., single par. c2, T1    none
                         measure FBW 2022-11-01 .. 2023-03-31; proposals: 2022-03-01 eingestellt, 2022-11-01 offen
  r1     m   1990-01-01  refugee                       2022-07-01 ..             c3, T2     marktnah (no goal)
  x1     w   1970-01-01  has a vocational qualif.      2022-01-01 .. 2022-06-30  none       none
  j2     m   1970-01-01  -                             J2 (not J1): 2020-01-01 .. (LZB)

Stock at ST(2022-12): u1, s1, r1 = 3. Stock-months over 2022-01..12: u1 12, s1 12, r1 6 (Jul-Dec),
x1 6 (ST(2022-06) = 06-30 covered) = 36 -> mean 3. Integrations: u1 (2022-06) = 1 -> quota 1/3 =
33,3 %. In a measure at ST(2022-12): s1 -> 1/3 = 33,3 %.
  U25 (u1, 22): stock 1, mean 12/12 = 1, 1 integration -> 100 %, measures 0 %.
  Alleinerziehende (s1): stock 1, mean 1, 0 integrations -> 0 %, measures 1/1 = 100 %.
  Schwerbehinderte (s1): the same. Geflüchtete (r1): stock 1, mean 6/12 = 0,5, 0 %.
  ohne Berufsabschluss: only s1 (flag false; u1 and r1 unknown, x1 true): stock 1, mean 1.
  Per team at ST(2022-12): T1 = u1, s1 (stock 2), T2 = r1 (stock 1); x1 (no caseload) is
  "ohne Zuordnung" with mean 6/12 = 0,5 and stock 0.
L1: 1 of 3 ELB with a goal (u1) = 33,3 %; gap list s1, r1.
L2: proposals 2022-01..12 of ELB of J1 at their month's Stichtag: s1's two, 1 eingestellt = 50 %;
gap list (open proposals): s1.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from amip.figures.store import Scope
from amip.state import audit
from amip.worklists import target_groups as tg
from builder import DataSet
from cockpit_fixture import login


def dataset() -> DataSet:
    ds = DataSet("2020-01", "2022-12")
    ds.person("u1", "m", "2000-01-01").spell("u1", "J1", "2022-01-01")
    ds.caseload("u1", "c1", "T1", "Herzberg", "2022-01-01").prognosis("u1", "2022-01-01", "marktnah", True)
    ds.job("u1", "svb", "2022-06-01")
    ds.person("s1", "w", "1985-01-01", severely_disabled=True, vocational_qualification=False)
    ds.spell("s1", "J1", "2022-01-01", single_parent=True).caseload("s1", "c2", "T1", "Herzberg", "2022-01-01")
    ds.measure("s1", "J1", "FBW", "2022-11-01", "2023-03-31", "1000")
    ds.proposal("v1", "s1", "2022-03-01", "eingestellt").proposal("v2", "s1", "2022-11-01", "offen")
    ds.person("r1", "m", "1990-01-01", refugee=True).spell("r1", "J1", "2022-07-01")
    ds.caseload("r1", "c3", "T2", "Finsterwalde", "2022-07-01").prognosis("r1", "2022-07-01", "marktnah", False)
    ds.person("x1", "w", "1970-01-01", vocational_qualification=True).spell("x1", "J1", "2022-01-01", "2022-06-30")
    # An LZB person in another job center: the cockpit cache's unit figures need an LZB count
    # (store._unit_figures fails without one, e.g. on one year of coverage); J1 does not change.
    ds.person("j2", "m", "1970-01-01").spell("j2", "J2", "2020-01-01")
    return ds


@pytest.fixture(scope="module")
def warehouse(warehouse_factory):
    return warehouse_factory(dataset(), "targetgroups")


@pytest.fixture(scope="module")
def store(store_factory, warehouse):
    return store_factory(warehouse)


def _row(t, group, unit="Jobcenter"):
    return t[(t["group"] == group) & (t["unit"] == unit)].iloc[0]


def test_figures_per_group_by_hand(store):
    t = tg.figures(store, "J1", "2022-12")
    expected = {  # group: stock, integrations, mean stock, quota, in measures, share
        "alle": (3, 1, 3.0, 100 / 3, 1, 100 / 3),
        "u25": (1, 1, 1.0, 100.0, 0, 0.0),
        "alleinerziehend": (1, 0, 1.0, 0.0, 1, 100.0),
        "schwerbehindert": (1, 0, 1.0, 0.0, 1, 100.0),
        "gefluechtet": (1, 0, 0.5, 0.0, 0, 0.0),
        "ohne_abschluss": (1, 0, 1.0, 0.0, 1, 100.0),
    }
    for group, (stock, ints, mean, quota, inm, share) in expected.items():
        r = _row(t, group)
        assert (r["stock"], r["integrations"], r["in_measures"]) == (stock, ints, inm), group
        assert r["mean_stock"] == pytest.approx(mean), group
        assert r["quota"] == pytest.approx(quota), group
        assert r["measure_share"] == pytest.approx(share), group


def test_figures_per_team(store):
    t = tg.figures(store, "J1", "2022-12", by_team=True)
    assert set(t["unit"]) == {"T1", "T2", "ohne Zuordnung"}
    assert _row(t, "alle", "T1")["stock"] == 2 and _row(t, "alle", "T2")["stock"] == 1
    assert _row(t, "alle", "T1")["mean_stock"] == pytest.approx(2.0)  # u1, s1 all year
    assert _row(t, "alle", "T2")["mean_stock"] == pytest.approx(0.5)  # r1 Jul-Dec
    assert _row(t, "alle", "ohne Zuordnung")["mean_stock"] == pytest.approx(0.5)  # x1 Jan-Jun
    assert _row(t, "u25", "T1")["integrations"] == 1
    assert _row(t, "gefluechtet", "T2")["stock"] == 1


def test_local_targets_by_hand(store):
    lt = tg.local_targets(store, "J1", "2022-12")
    assert (lt["l1"]["numerator"], lt["l1"]["denominator"]) == (1, 3)
    assert lt["l1"]["value"] == pytest.approx(100 / 3)
    assert (lt["l2"]["numerator"], lt["l2"]["denominator"]) == (1, 2)
    assert lt["l2"]["value"] == pytest.approx(50.0)


def test_person_lists_follow_the_scope(store):
    ids = lambda scope, group: tg.persons(store, None, scope, "J1", "2022-12", group)["person_id"].tolist()  # noqa: E731
    assert ids(Scope("all"), "l1") == ["r1", "s1"]
    assert ids(Scope("team", "T1"), "l1") == ["s1"]
    assert ids(Scope("caseload", "c1"), "l1") == []
    assert ids(Scope("caseload", "c1"), "u25") == ["u1"]
    assert ids(Scope("caseload", "c2"), "l2") == ["s1"]
    assert ids(Scope("team", "T2"), "gefluechtet") == ["r1"]
    assert ids(Scope("team", "T1"), "gefluechtet") == []
    with pytest.raises(PermissionError):
        ids(Scope("none"), "u25")

    # one page in SQL (LIMIT/OFFSET by person id) and the count of the whole list
    def page(limit, offset):
        return tg.persons(store, None, Scope("all"), "J1", "2022-12", "l1", limit=limit, offset=offset)

    assert page(1, 0)["person_id"].tolist() == ["r1"] and page(1, 1)["person_id"].tolist() == ["s1"]
    assert page(5, 2).empty and tg.count_persons(store, Scope("all"), "J1", "2022-12", "l1") == 2
    assert tg.count_persons(store, Scope("team", "T1"), "J1", "2022-12", "l1") == 1
    p = tg.persons(store, None, Scope("all"), "J1", "2022-12", "alleinerziehend").iloc[0]
    assert (p["person_id"], p["age_group"], p["team"], p["open_proposals"], p["integration_goal"]) == (
        "s1",
        "25 bis unter 55",
        "T1",
        1,
        False,
    )


@pytest.fixture(scope="module")
def cockpit(cockpit_factory, warehouse, store):
    return cockpit_factory(warehouse)


def _client(app, name):
    c = TestClient(app)
    assert login(c, name).status_code == 303
    return c


def _csv_ids(client, query):
    r = client.get(f"/zielgruppen/personen.csv?{query}")
    assert r.status_code == 200
    return [ln.split(";")[0] for ln in r.content.decode("utf-8-sig").splitlines()[1:]]


def test_pages_per_role(cockpit):
    gf = _client(cockpit, "gf")
    page = gf.get("/zielgruppen").text
    assert "Alleinerziehende" in page and "/zielgruppen/personen" not in page
    # the hand-made groups are small: the Geschäftsführung sees '*', controlling the numbers
    assert "Werte unter 3 werden aus Datenschutzgründen nicht ausgewiesen" in page
    assert "33,3" in _client(cockpit, "co").get("/zielgruppen").text
    assert gf.get("/zielgruppen/personen?group=u25").status_code == 403
    assert _csv_ids(_client(cockpit, "co"), "group=l1") == ["r1", "s1"]
    assert _csv_ids(_client(cockpit, "tl"), "group=l1") == ["s1"]
    assert _csv_ids(_client(cockpit, "ifk"), "group=u25") == ["u1"]
    assert _csv_ids(_client(cockpit, "ifk"), "group=u25&caseworker=c2&team=T2&scope=all") == ["u1"]
    co = _client(cockpit, "co")
    assert co.get("/zielgruppen/personen?group=nope").status_code == 404
    beyond = co.get("/zielgruppen/personen?group=l1&page=7").text  # past the end: the last (only) page
    assert "Personen 1–2 von 2" in beyond and 'class="pager"' not in beyond
    assert co.get("/zielgruppen/personen?group=l1&page=eins").status_code == 400
    with cockpit.state.sessions.begin() as db:
        seen = [
            (e.user_name, e.action, e.persons)
            for e in audit.entries(db, limit=50)
            if e.list_name and e.list_name.startswith("Zielgruppe")
        ]
        for e in audit.entries(db, limit=500):
            assert not any(p in f"{e.list_name} {e.detail}" for p in ("u1", "s1", "r1", "x1"))
    assert ("ifk", "export_csv", 1) in seen and ("tl", "export_csv", 1) in seen and ("co", "export_csv", 2) in seen
