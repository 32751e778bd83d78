"""The cockpit's figure cache on edge cases of the data."""

from __future__ import annotations

from amip.figures.store import FigureStore
from builder import DataSet, import_into


def test_unit_figures_when_nobody_is_long_term(tmp_path):
    # Two persons in receipt since 2021-06 (19 months at ST(2022-12), under 21 at every
    # Stichtag): nobody is LZB, so no person is behind the LZB count. Building the cache must not
    # fail, and the team figures exist: K1E2 for team T1 at 2022-12 is 2 / 2 (stock a year
    # before), change 0 %; the job center's LZB count at 2022-12 is 0.
    ds = DataSet("2021-01", "2022-12")
    ds.person("a", "w", "1980-01-01").spell("a", "J1", "2021-06-01").caseload("a", "c1", "T1", "Herzberg", "2021-06-01")
    ds.person("b", "m", "1980-01-01").spell("b", "J1", "2021-06-01").caseload("b", "c1", "T1", "Herzberg", "2021-06-01")
    store = FigureStore.open(import_into(ds, tmp_path))
    try:
        row = store.by_unit("J1", "K1E2", "2022-12", "team").to_dict("records")[0]
        assert (row["unit"], row["numerator"], row["denominator"], row["value"]) == ("T1", 2, 2, 0.0)
        assert store.count("J1", "lzb", "2022-12") == 0
    finally:
        store.close()


def test_the_cockpit_works_for_the_job_centers_whose_benefits_are_in_the_data(tmp_path):
    # J1's extract: its customers a and b, and b's earlier spell at J2 (b moved in), which counts
    # for b's duration but is not J2's data: J2's benefits are missing. The engine reports J1 and
    # J2 (every job center with spells); the cockpit, the programme and the plan only J1.
    import duckdb
    import pytest

    from amip.reports.programme import ProgrammeError, pick_jobcenter
    from amip.warehouse.jobcenters import home_jobcenters

    ds = DataSet("2021-01", "2022-12")
    ds.person("a", "w", "1980-01-01").spell("a", "J1", "2021-01-01").benefit("J1", "bg_a", "2022-12", "RB", 449)
    ds.person("b", "m", "1980-01-01").spell("b", "J2", "2021-01-01", "2021-06-30").spell("b", "J1", "2021-06-20")
    db = import_into(ds, tmp_path)
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert sorted(r[0] for r in con.execute("SELECT DISTINCT jobcenter_id FROM elb_spells").fetchall()) == [
            "J1",
            "J2",
        ]
        assert home_jobcenters(con) == ["J1"]
        assert pick_jobcenter(con, None) == "J1"
        with pytest.raises(ProgrammeError, match="unknown job center 'J2'"):
            pick_jobcenter(con, "J2")
    finally:
        con.close()
    store = FigureStore.open(db)
    try:
        assert store.jobcenters == ["J1"]
        assert set(store.figures["jobcenter_id"]) == {"J1"}
        assert set(store.forecasts["jobcenter_id"]) <= {"J1"}
    finally:
        store.close()


def test_without_any_benefits_every_job_center_with_spells_is_a_home_job_center(tmp_path):
    import duckdb

    from amip.warehouse.jobcenters import home_jobcenters

    ds = DataSet("2022-01", "2022-12")
    ds.person("a", "w", "1980-01-01").spell("a", "J1", "2022-01-01")
    ds.person("b", "m", "1980-01-01").spell("b", "J2", "2022-01-01")
    con = duckdb.connect(str(import_into(ds, tmp_path)), read_only=True)
    try:
        assert home_jobcenters(con) == ["J1", "J2"]
    finally:
        con.close()
