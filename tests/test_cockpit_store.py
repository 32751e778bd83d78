"""The cockpit's figure cache on edge cases of the data."""

from __future__ import annotations

from builder import DataSet, import_into

from amip.cockpit.store import FigureStore


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
