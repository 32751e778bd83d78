"""The instrument catalogue (contract/instruments.csv): the package copy equals the shared contract
file, every flag states the law it follows, and the instruments since 2023 (§ 16j, § 16k) are
neither active measures nor publicly subsidised employment, so K3E2 and K2E2 do not count them."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from amip.contract.schema import INSTRUMENT_FLAG_LAW, instruments
from builder import DataSet, run_kpi

SHARED = Path("/work/shared/spec/instruments.csv")
FLAGS = ("active_measure", "accompanying", "public_employment", "second_labour_market")


@pytest.mark.skipif(not SHARED.exists(), reason="the shared specification folder is not on this machine")
def test_package_copy_equals_the_shared_contract_file():
    package = resources.files("amip.contract").joinpath("instruments.csv").read_bytes()
    assert package == SHARED.read_bytes()


def test_every_flag_names_its_law():
    cols = instruments().column_names
    assert set(FLAGS) <= set(cols)
    assert set(INSTRUMENT_FLAG_LAW) == set(FLAGS)
    assert all(INSTRUMENT_FLAG_LAW[f] for f in FLAGS)
    assert all(instruments().column("legal_basis").to_pylist())


def test_buergergeldbonus_and_ganzheitliche_betreuung_carry_no_flag():
    rows = {r["instrument"]: r for r in instruments().to_pylist()}
    assert rows["BGB"]["legal_basis"] == "§ 16j SGB II" and rows["BGB"]["name"] == "Bürgergeldbonus"
    assert rows["GB16K"]["legal_basis"] == "§ 16k SGB II" and rows["GB16K"]["name"] == "Ganzheitliche Betreuung"
    for code in ("BGB", "GB16K"):
        assert [rows[code][f] for f in FLAGS] == [False] * 4


def test_k3e2_and_k2e2_do_not_count_the_instruments_since_2023(tmp_path):
    # Four LZB at J1 (in receipt since 2019-01-01, coverage 2019-01..2021-12): at ST(2021-12)
    # P1 in a Bürgergeldbonus, P2 in a Ganzheitliche Betreuung, P3 in an FBW (active), P4 in a TAM
    # (active and public employment), all started 2021-12-01 -> K3E2 = P3, P4 = 2 of 4.
    # K2E2 (entries into public employment in 2021): only P4's TAM = 1 over mean stock 4 -> 25 %.
    ds = DataSet("2019-01", "2021-12")
    for pid, code in (("P1", "BGB"), ("P2", "GB16K"), ("P3", "FBW"), ("P4", "TAM")):
        ds.person(pid, "w", "1980-01-01").spell(pid, "J1", "2019-01-01")
        ds.measure(pid, "J1", code, "2021-12-01")
    figs = run_kpi(ds, tmp_path, "2021-12", "2021-12")
    assert figs.get("J1", "2021-12", "K3E2") == (2, 4, 50.0)
    assert figs.get("J1", "2021-12", "K2E2") == (1, 4, 25.0)
