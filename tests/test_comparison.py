"""The job center among its Vergleichstyp: its own value (microdata) for itself, published values
for the others; rank, terciles, quartiles, median and spread by hand; Land and Germany; the gap
over time; nearest neighbours on a hand-made table; `amip compare`.

Own values of J1 (tests/cockpit_fixture.py, worked out there by hand): K2(2022-12) = 1 integration
/ mean stock 41/12 = 29,268 %, and K2(2022-11) the same (integrations 2021-12..2022-11: p4 in
2022-11; stocks 3, 3×5, 4×5, 3 = 41); K3(2022-12) = 2 / 2 − 1 = 0 % (LZB p1, p2 against p1, p4);
K1E2(2022-12) = 3 / 3 − 1 = 0 %, ELB stock 3; K2E4: no single parents, denominator 0.
"""

from __future__ import annotations

import math

import pytest

from amip.comparison import compare as cmp
from amip.published.store import load_published
from builder import runner
from published_kit import FIGURE_HEADER, JOBCENTER_HEADER, import_published, write_csv

OWN_K2 = 100 / (41 / 12)  # 29.268 %

# Vergleichstyp IIIb: J1 (own data) and P2..P5; J6 in type Ia. Land: all Brandenburg but P5.
JOBCENTERS = [
    ["J1", "Jobcenter Eins", "Brandenburg", "gE", "IIIb"],
    ["P2", "Jobcenter Zwei", "Brandenburg", "gE", "IIIb"],
    ["P3", "Jobcenter Drei", "Brandenburg", "zkT", "IIIb"],
    ["P4", "Jobcenter Vier", "Brandenburg", "gE", "IIIb"],
    ["P5", "Jobcenter Fünf", "Sachsen", "gE", "IIIb"],
    ["J6", "Jobcenter Sechs", "Brandenburg", "gE", "Ia"],
]
K2 = {"J1": 10.0, "P2": 40.0, "P3": 35.0, "P4": 30.0, "P5": 20.0, "J6": 50.0}  # J1's published 10 is not used
K3 = {"J1": 99.0, "P2": -5.0, "P3": 5.0, "P4": 10.0, "P5": 0.0, "J6": 1.0}  # lower is better


def published_rows() -> list[list]:
    rows = []
    for jc, v in K2.items():
        rows.append([jc, "2022-12", "K2", "all", None, None, v])
        rows.append([jc, "2022-11", "K2", "all", None, None, v + 1])
    for jc, v in K3.items():
        rows.append([jc, "2022-12", "K3", "all", None, None, v])
    return rows


@pytest.fixture(scope="module")
def warehouse(warehouse_factory):
    db = warehouse_factory(name="comparison")
    figures = write_csv(db.parent / "pub" / "published.csv", FIGURE_HEADER, published_rows())
    jcs = write_csv(db.parent / "pub" / "jobcenters.csv", JOBCENTER_HEADER, JOBCENTERS)
    res = import_published(db, figures, jcs)
    assert res.exit_code == 0, res.output
    return db


@pytest.fixture(scope="module")
def store(store_factory, warehouse):
    return store_factory(warehouse)


@pytest.fixture(scope="module")
def pub(warehouse):
    return load_published(warehouse)


@pytest.fixture(scope="module")
def info(pub, store):
    return cmp.jobcenter_info(pub, store)


def test_rank_terciles_quartiles_and_median_within_a_type_of_five(store, pub, info):
    p, ranked = cmp.position(store, pub, info, "J1", "K2", "2022-12")
    # own 29,268 among 40, 35, 30, 20 (higher is better): rank 4 of 5
    assert ranked["jobcenter_id"].tolist() == ["P2", "P3", "P4", "J1", "P5"]
    assert ranked["rank"].tolist() == [1, 2, 3, 4, 5]
    # group = floor((rank - 1) * g / 5) + 1: terciles 1,1,2,2,3; quartiles 1,1,2,3,4
    assert ranked["tercile"].tolist() == [1, 1, 2, 2, 3]
    assert ranked["quartile"].tolist() == [1, 1, 2, 3, 4]
    assert (p.rank, p.of, p.tercile, p.quartile) == (4, 5, 2, 3)
    assert p.source == cmp.OWN and p.value == pytest.approx(OWN_K2)
    assert p.vergleichstyp == "IIIb"
    # sorted 20, 29,268, 30, 35, 40: median 30, quartiles (linear) 29,268 and 35
    assert p.type_stats["median"] == 30.0
    assert p.type_stats["q1"] == pytest.approx(OWN_K2) and p.type_stats["q3"] == 35.0
    assert (p.type_stats["min"], p.type_stats["max"], p.type_stats["n"]) == (20.0, 40.0, 5)
    assert p.gap == pytest.approx(OWN_K2 - 30.0)
    # Land Brandenburg: J1, P2, P3, P4, J6 -> 29,268, 40, 35, 30, 50: median 35
    assert p.land == "Brandenburg" and p.land_stats["median"] == 35.0 and p.land_stats["n"] == 5
    # Germany: all six published job centers, J1 with its own value: (30 + 35) / 2
    assert p.germany_stats["median"] == 32.5 and p.germany_stats["n"] == 6


def test_the_own_value_is_used_for_the_job_center_itself_and_published_for_the_others(store, pub, info):
    _p, ranked = cmp.position(store, pub, info, "J1", "K2", "2022-12")
    by_id = ranked.set_index("jobcenter_id")
    assert by_id.loc["J1", "value"] == pytest.approx(OWN_K2)  # not the published 10,0
    assert by_id.loc["J1", "source"] == cmp.OWN
    assert by_id.loc["J1", "numerator"] == 1.0
    assert set(by_id.drop("J1")["source"]) == {cmp.PUBLISHED}
    assert by_id.loc["P3", "value"] == 35.0
    assert by_id.loc["J1", "name"] == "Jobcenter Eins"


def test_a_lower_is_better_figure_ranks_ascending_and_ties_share_a_rank(store, pub, info):
    p, ranked = cmp.position(store, pub, info, "J1", "K3", "2022-12")
    # K3: own 0 (not the published 99); P2 -5, P5 0, P3 5, P4 10: ranks 1, 2, 2, 4, 5
    assert dict(zip(ranked["jobcenter_id"], ranked["rank"])) == {"P2": 1, "J1": 2, "P5": 2, "P3": 4, "P4": 5}
    assert (p.rank, p.tercile, p.quartile) == (2, 1, 1)  # (2-1)*3//5+1 = 1, (2-1)*4//5+1 = 1
    assert p.value == 0.0 and p.type_stats["median"] == 0.0


def test_the_gap_to_the_type_median_over_time(store, pub, info):
    t = cmp.gap_series(store, pub, info, "J1", "K2")
    assert t["month"].tolist() == ["2022-11", "2022-12"]
    # 2022-11: members 41, 36, 31, 21 and own 29,268: median 31
    assert t["median"].tolist() == [31.0, 30.0]
    assert t["gap"].tolist() == pytest.approx([OWN_K2 - 31.0, OWN_K2 - 30.0])
    assert t["source"].tolist() == [cmp.OWN, cmp.OWN]


def test_a_job_center_without_a_type_has_no_rank_but_land_and_germany(store, pub):
    info = cmp.jobcenter_info(pub, store)
    info["J1"] = cmp.JobcenterInfo("J1", "Jobcenter Eins", "Brandenburg", "gE", None)
    p, ranked = cmp.position(store, pub, info, "J1", "K2", "2022-12")
    assert p.rank is None and p.of == 0 and len(ranked) == 0
    assert p.type_stats["median"] is None and p.gap is None
    assert p.land_stats["median"] == 35.0


def test_nearest_neighbours_on_a_hand_made_table(tmp_path, store):
    # ELB stock 3 and no single parents everywhere (those features do not separate anybody: z = 0);
    # ELB trend (K1E2) and LZB share (K3 numerator / 3) vary:
    #   J1 (own): 0 %, 66,67 %;  N1: 0, 66,67;  N2: 10, 66,67;  N3: 0, 33,33;  N4: -10, 100
    # trend: mean 0, sd sqrt(200/5) = sqrt(40): z(N2) = 10/sqrt(40) = sqrt(2,5), z(N4) = -sqrt(2,5)
    # LZB share: mean 66,67, sd sqrt(2 * 33,33² / 5): z(N3) = -sqrt(2,5), z(N4) = +sqrt(2,5)
    # distances to J1 (z = 0, 0): N1 0, N2 sqrt(2,5), N3 sqrt(2,5) (tie: by id), N4 sqrt(5)
    rows = []
    for jc, trend, lzb in (("N1", 0, 2), ("N2", 10, 2), ("N3", 0, 1), ("N4", -10, 3)):
        rows += [
            [jc, "2022-12", "K1E2", "all", 3, 3 / (1 + trend / 100), trend],
            [jc, "2022-12", "K3", "all", lzb, 2, lzb / 2 * 100 - 100],
            [jc, "2022-12", "K2", "all", 1, 3, 33.3],
            [jc, "2022-12", "K2E4", "all", 0, 0, None],
        ]
    rows.append(["N5", "2022-12", "K1E2", "all", 3, 3, 0.0])  # lacks the other figures: not compared
    db = tmp_path / "amip.duckdb"
    assert import_published(db, write_csv(tmp_path / "n.csv", FIGURE_HEADER, rows)).exit_code == 0
    pub = load_published(db)
    info = cmp.jobcenter_info(pub, store)
    nb = cmp.neighbours(store, pub, info, "J1", "2022-12", k=3)
    assert nb["jobcenter_id"].tolist() == ["N1", "N2", "N3"]
    assert nb["distance"].tolist() == pytest.approx([0.0, math.sqrt(2.5), math.sqrt(2.5)])
    assert nb["lzb_share"].tolist() == pytest.approx([200 / 3, 200 / 3, 100 / 3])
    f = cmp.features(store, pub, "J1", "2022-12")
    assert f.loc["J1", "elb_level"] == pytest.approx(math.log10(3))
    assert f.loc["J1", "lzb_share"] == pytest.approx(200 / 3)  # own data: LZB 2 of ELB 3
    assert f.loc["J1", "single_parent_share"] == 0.0
    all4 = cmp.neighbours(store, pub, info, "J1", "2022-12", k=10)
    assert all4["jobcenter_id"].tolist() == ["N1", "N2", "N3", "N4"]
    assert all4["distance"].iloc[-1] == pytest.approx(math.sqrt(5))


def test_amip_compare_prints_the_type_and_writes_one_row_per_figure_and_sex(warehouse, tmp_path):
    from amip.cli import app

    out = tmp_path / "vergleich.csv"
    res = runner.invoke(
        app, ["compare", "--jobcenter", "J1", "--month", "2022-12", "--db", str(warehouse), "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert "Jobcenter Eins im Vergleichstyp IIIb" in " ".join(res.output.split())
    import csv

    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    k2 = next(r for r in rows if r["figure"] == "K2" and r["sex"] == "all")
    assert (k2["rank"], k2["of"], k2["tercile"], k2["quartile"]) == ("4", "5", "2", "3")
    assert float(k2["type_median"]) == 30.0 and k2["source"] == cmp.OWN
    assert {r["sex"] for r in rows if r["figure"] == "K1E2"} == {"all", "w", "m"}


def test_amip_compare_without_published_figures_says_how_to_import_them(warehouse_factory):
    from amip.cli import app

    db = warehouse_factory(name="nopub")
    res = runner.invoke(app, ["compare", "--jobcenter", "J1", "--db", str(db)])
    assert res.exit_code == 1
    assert "amip published import" in res.output and "Traceback" not in res.output
