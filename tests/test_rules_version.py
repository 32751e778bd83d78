"""Rules version 2 of kennzahlen.md is recorded where outputs keep metadata: a cockpit cache built
under version 1 is stale and rebuilt; a Parquet export states the version."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pyarrow.parquet as pq

from amip.cli import app
from amip.figures.store import FigureStore, cache_path
from builder import DataSet, import_into, runner


def _data() -> DataSet:
    ds = DataSet("2019-01", "2021-12").person("a", "w").person("b", "m")
    ds.spell("a", "J1", "2019-01-01").spell("b", "J1", "2020-03-01", "2021-05-31")
    ds.benefit("J1", "bg_a", "2021-12", "RB", 500)
    return ds


def test_parquet_export_states_the_rules_version(tmp_path):
    data = _data().write(tmp_path / "data")
    out = tmp_path / "figures.parquet"
    res = runner.invoke(app, ["kpi", "--data", str(data), "--from", "2021-12", "--to", "2021-12", "--out", str(out)])
    assert res.exit_code == 0, res.output
    meta = pq.read_schema(out).metadata
    assert meta[b"amip_rules_version"] == b"2"
    # no extra column: the contract's output columns and the data state (docs/datastates.md)
    assert pq.read_schema(out).names == [
        "jobcenter_id", "month", "figure", "sex", "numerator", "denominator", "value", "as_of", "data_state"
    ]  # fmt: skip


def test_a_cockpit_cache_of_rules_version_1_is_rebuilt(tmp_path):
    db = import_into(_data(), tmp_path)
    st = FigureStore.open(db)
    assert st.meta["rules_version"] == 2
    st.close()
    # Make the cache look like one built before version 2 (fingerprint without the rules version,
    # as version-1 builds wrote it) and put a marker value into its figures.
    cache = cache_path(db)
    con = duckdb.connect(str(cache))
    meta = json.loads(con.execute("SELECT value FROM meta").fetchone()[0])
    v, _rules, identity = meta["fingerprint"].split(":", 2)
    meta["fingerprint"] = f"{v}:{identity}"
    meta.pop("rules_version")
    con.execute("UPDATE meta SET value = ?", [json.dumps(meta)])
    con.execute("UPDATE figures SET value = -1 WHERE figure = 'K1E3'")
    con.close()

    st = FigureStore.open(db)
    try:
        assert st.meta["rules_version"] == 2
        k1e3 = st.value("J1", "K1E3", "2021-12")
        # J1: a all year, b until 2021-05-31: Σ Stock 2021 = 12 + 5 = 17, no entry in 2021
        assert k1e3 == {
            "numerator": 0.0,
            "denominator": 17.0,
            "value": 0.0,
            "as_of": dt.date(2022, 1, 1),  # one delivery, the default as_of: the day after ST(2021-12)
            "data_state": "provisional_0",
        }
    finally:
        st.close()
