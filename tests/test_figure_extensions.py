"""Cache extensions: the tables a higher package keeps in the figure cache (amip.forecast's
forecasts) without the figures package importing it (docs/architecture.md, "Figure cache")."""

from __future__ import annotations

import duckdb

from amip.figures import store as figure_store
from amip.figures.store import FigureStore, cache_path
from builder import DataSet, import_into


def _warehouse(tmp_path):
    # J1 with benefits (its home job center) and J2, where b was before moving in: only J1's data.
    ds = DataSet("2021-01", "2022-12")
    ds.person("a", "w", "1980-01-01").spell("a", "J1", "2021-01-01").benefit("J1", "bg_a", "2022-12", "RB", 449)
    ds.person("b", "m", "1980-01-01").spell("b", "J2", "2021-01-01", "2021-06-30").spell("b", "J1", "2021-06-20")
    return import_into(ds, tmp_path)


def _probe(con, progress, jobcenters):
    """An extension like amip.forecast's: a table computed from the cache's series."""
    progress("probe")
    con.execute(
        "CREATE TABLE probe AS SELECT jobcenter_id, count(*) AS months FROM series "
        "WHERE sex = 'all' GROUP BY jobcenter_id"
    )
    con.execute("CREATE TABLE probe_jobcenters (jobcenter_id VARCHAR)")
    con.executemany("INSERT INTO probe_jobcenters VALUES (?)", [[j] for j in jobcenters])


def _tables(cache):
    con = duckdb.connect(str(cache), read_only=True)
    try:
        return {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    finally:
        con.close()


def test_the_forecasts_are_a_registered_extension():
    # tests/conftest.py composes the suite like the cockpit: importing amip.forecast registers it.
    assert "forecast" in figure_store.EXTENSIONS


def test_a_registered_extension_writes_its_tables_into_the_cache(tmp_path, monkeypatch):
    monkeypatch.delitem(figure_store.EXTENSIONS, "forecast")  # only the probe: a quicker build
    monkeypatch.setitem(figure_store.EXTENSIONS, "probe", _probe)
    said: list[str] = []
    store = FigureStore.open(_warehouse(tmp_path), progress=said.append)
    try:
        assert store.meta["extensions"] == ["probe"]
        assert "probe" in said
        con = store.connect()
        try:
            # The extension ran on the finished cache (its series) and was told the home job centers.
            months = int(((store.series.jobcenter_id == "J1") & (store.series.sex == "all")).sum())
            assert months >= 24  # at least the covered months 2021-01..2022-12
            assert con.execute("SELECT jobcenter_id, months FROM c.probe WHERE jobcenter_id = 'J1'").fetchall() == [
                ("J1", months)
            ]
            assert con.execute("SELECT jobcenter_id FROM c.probe_jobcenters").fetchall() == [("J1",)]
        finally:
            con.close()
        assert store.forecasts is None  # no forecast extension in this process: no forecast tables
        assert store.forecast("J1", "elb").empty
    finally:
        store.close()


def test_a_cache_without_a_registered_extension_is_built_again(tmp_path, monkeypatch):
    db = _warehouse(tmp_path)
    monkeypatch.delitem(figure_store.EXTENSIONS, "forecast")
    FigureStore.open(db).close()  # built without any extension
    assert "probe" not in _tables(cache_path(db))

    monkeypatch.setitem(figure_store.EXTENSIONS, "probe", _probe)
    store = FigureStore.open(db)
    try:
        assert store.meta["extensions"] == ["probe"]
        assert "probe" in _tables(cache_path(db))
        built = store.meta["built_at"], cache_path(db).stat().st_ino
    finally:
        store.close()

    # A process that does not register the probe still takes that cache as it is: it has every
    # extension that process registered (none), so it is not built again.
    monkeypatch.delitem(figure_store.EXTENSIONS, "probe")
    store = FigureStore.open(db)
    try:
        assert (store.meta["built_at"], cache_path(db).stat().st_ino) == built
    finally:
        store.close()
