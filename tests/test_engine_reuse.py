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


def test_equal_self_joins_share_their_sql_and_count_their_own_rows():
    # Ibis numbers each self-reference (t.view()) from a process-wide counter; the compiled-SQL
    # cache keys them by position, so the same self-join built again is compiled once. Pairs (x, y)
    # with x < y among n rows: n (n - 1) / 2, i.e. 3 for n = 3 and 6 for n = 4; with x <= y: n (n + 1) / 2.
    import ibis
    import pyarrow as pa

    from amip.kennzahlen import backends

    con = ibis.duckdb.connect()

    def pairs(n: int, strict: bool = True):
        con.create_table("amip_selfjoin", pa.table({"x": list(range(n))}), overwrite=True)
        t = con.table("amip_selfjoin")
        u = t.view()
        j = t.join(u, t.x < u.x if strict else t.x <= u.x)
        return j.aggregate(n=j.count())

    first, second = pairs(3), pairs(4)
    assert first.op() != second.op()  # other self-reference numbers: not equal to Ibis
    before = len(backends._SQL)
    assert backends.to_arrow(con, pairs(3)).column("n").to_pylist() == [3]
    assert len(backends._SQL) == before + 1
    assert backends.to_arrow(con, pairs(4)).column("n").to_pylist() == [6]
    assert len(backends._SQL) == before + 1  # the same SQL, run on the new rows
    assert backends.to_arrow(con, pairs(3, strict=False)).column("n").to_pylist() == [6]
    assert len(backends._SQL) == before + 2  # another condition: compiled of its own


def test_steering_runs_reuse_run_table_names(tmp_path):
    # the steering figures keep their stages in run slots too (amip_st_r0_...), so repeated runs
    # compile nothing new; each still counts its own data (S2 denominator: the stock, see above)
    from amip.api import key_figures
    from amip.kennzahlen import backends

    small = _small().write(tmp_path / "small")
    tiny = _tiny().write(tmp_path / "tiny")

    def s2_denominator(data):
        rows = key_figures("2021-06", "2021-06", data=data, steering=True).to_pylist()
        return {r["jobcenter_id"]: r["denominator"] for r in rows if r["figure"] == "S2" and r["sex"] == "all"}

    assert s2_denominator(small) == {"J1": 2, "J2": 1}
    size = len(backends._SQL)
    assert s2_denominator(tiny) == {"J1": 1}
    assert s2_denominator(small) == {"J1": 2, "J2": 1}
    assert len(backends._SQL) == size


def _other() -> DataSet:
    # The same tables, columns and number of rows as _small, other values (sexes, job centers, ends):
    #   a (m) J1 2019-01-01 .. 2021-03-31; b (w) J2 2020-06-15 .. open; c (m) J2 2021-01-01 .. 2021-08-31
    #   stock J1 2021-06: 0 (a left on 2021-03-31); J2 2021-06: b, c = 2 (w 1, m 1); J2 2021-12: b = 1 (w 1, m 0)
    ds = DataSet("2019-01", "2021-12")
    ds.person("a", "m").person("b", "w").person("c", "m")
    ds.spell("a", "J1", "2019-01-01", "2021-03-31").spell("b", "J2", "2020-06-15").spell(
        "c", "J2", "2021-01-01", "2021-08-31"
    )
    return ds


def test_same_shape_other_values_reuses_every_built_expression_and_counts_its_own_rows(tmp_path):
    from amip.kennzahlen import memo

    small = _small().write(tmp_path / "small")
    other = _other().write(tmp_path / "other")
    memo.clear()
    s = _stocks(small)
    hits, misses = memo.counts()
    o = _stocks(other)
    hits2, misses2 = memo.counts()
    assert misses2 == misses and hits2 > hits  # nothing built again: every builder answered from the memo
    assert s[("J1", "2021-06", "all")] == 2 and s[("J2", "2021-06", "all")] == 1
    assert o[("J1", "2021-06", "all")] == 0
    assert (o[("J2", "2021-06", "all")], o[("J2", "2021-06", "w")], o[("J2", "2021-06", "m")]) == (2, 1, 1)
    assert (o[("J2", "2021-12", "all")], o[("J2", "2021-12", "w")], o[("J2", "2021-12", "m")]) == (1, 1, 0)
    assert _stocks(small) == s  # and back: the first data set's own counts again


def test_other_months_or_job_center_build_their_own_expressions(tmp_path):
    from amip.kennzahlen import memo

    small = _small().write(tmp_path / "small")
    memo.clear()
    _stocks(small)
    _, misses = memo.counts()
    later = _stocks(small, first="2021-12", last="2021-12")  # other grid months: lo, hi literals differ
    _, misses2 = memo.counts()
    assert misses2 > misses
    assert min(k[1] for k in later) == "2020-05" and later[("J1", "2021-12", "all")] == 1  # 19 months before
    one = _stocks(small, jobcenter="J2")  # another job center: another filter literal
    _, misses3 = memo.counts()
    assert misses3 > misses2
    assert {k[0] for k in one} == {"J2"} and one[("J2", "2021-06", "all")] == 1 and one[("J2", "2021-12", "all")] == 1


def test_memo_keys_tell_types_apart_and_refuse_unknown_arguments():
    import ibis
    import pytest

    from amip.kennzahlen.memo import key_of

    assert len({key_of(1), key_of(1.0), key_of(True), key_of("1")}) == 4  # equal in Python, not here
    t = ibis.table({"x": "int64"}, name="t")
    assert key_of(t.x + 1) == key_of(t.x + 1) and key_of(t.x + 1) != key_of(t.x + 2)  # by op, not elementwise ==
    assert key_of([t, 3]) == key_of([t, 3]) != key_of((t, 3))
    with pytest.raises(TypeError, match="dict"):
        key_of({"a": 1})
