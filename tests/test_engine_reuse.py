"""One process computing the figures many times (cockpit, benchmarks, this suite): the engine
reuses the compiled SQL of equal expressions and the names of its run tables; every run still
counts its own data, months and job center, also when two runs overlap in time.

Data (stocks counted by hand, kennzahlen.md: in stock at the month's Stichtag, its last day):
  small: a (w) J1 2019-01-01 .. open; b (m) J1 2020-06-15 .. 2021-11-30; c (m) J2 2021-01-01 .. open
    stock J1 2021-06: a, b = 2 (w 1, m 1); 2021-12: a = 1; J2 2021-06: c = 1
  tiny: a (w) J1 2019-01-01 .. open (same tables and columns, other rows)
    stock J1 2021-06: 1; 2021-12: 1
"""

from __future__ import annotations

import threading

from amip.api import key_figure_result
from amip.kennzahlen.backends import run_slot
from builder import DataSet


def _small() -> DataSet:
    ds = DataSet("2019-01", "2021-12")
    ds.person("a", "w").person("b", "m").person("c", "m")
    ds.spell("a", "J1", "2019-01-01").spell("b", "J1", "2020-06-15", "2021-11-30").spell("c", "J2", "2021-01-01")
    return ds


def _tiny() -> DataSet:
    ds = DataSet("2019-01", "2021-12")
    ds.person("a", "w")
    ds.spell("a", "J1", "2019-01-01")
    return ds


def _stocks(data, first="2021-06", last="2021-12", jobcenter=None) -> dict:
    series = key_figure_result(first, last, data=data, jobcenter=jobcenter).series
    return {(r["jobcenter_id"], r["month"], r["sex"]): r["stock"] for r in series.to_pylist()}


def test_repeated_runs_count_their_own_data(tmp_path):
    small = _small().write(tmp_path / "small")
    tiny = _tiny().write(tmp_path / "tiny")
    for _ in range(2):  # the second round runs on compiled SQL from the first
        s = _stocks(small)
        assert (s[("J1", "2021-06", "all")], s[("J1", "2021-06", "w")], s[("J1", "2021-06", "m")]) == (2, 1, 1)
        assert s[("J1", "2021-12", "all")] == 1 and s[("J2", "2021-06", "all")] == 1
        t = _stocks(tiny)
        assert t[("J1", "2021-06", "all")] == 1 and t[("J1", "2021-12", "all")] == 1
        assert {k[0] for k in t} == {"J1"}


def test_other_months_and_one_job_center_are_not_answered_from_an_earlier_run(tmp_path):
    small = _small().write(tmp_path / "small")
    _stocks(small)
    later = _stocks(small, first="2021-12", last="2021-12")
    assert max(k[1] for k in later) == "2021-12" and min(k[1] for k in later) < "2021-06"
    one = _stocks(small, jobcenter="J2")
    assert {k[0] for k in one} == {"J2"} and one[("J2", "2021-06", "all")] == 1


def test_overlapping_runs_in_two_threads_keep_apart(tmp_path):
    small = _small().write(tmp_path / "small")
    tiny = _tiny().write(tmp_path / "tiny")
    got: dict[str, list] = {"small": [], "tiny": []}
    errors: list[BaseException] = []

    def work(name, data):
        try:
            for _ in range(3):
                got[name].append(_stocks(data)[("J1", "2021-06", "all")])
        except BaseException as e:  # reported below, in the test's thread
            errors.append(e)

    threads = [threading.Thread(target=work, args=a) for a in (("small", small), ("tiny", tiny))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert got == {"small": [2, 2, 2], "tiny": [1, 1, 1]}


def test_run_slots_are_distinct_while_held_and_reused_after():
    with run_slot() as a, run_slot() as b:
        assert a != b
    with run_slot() as c:
        assert c == a
