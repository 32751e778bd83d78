"""The synthetic Jobcenter Elbe-Elster (amip.synth): calibration, determinism, contract.

The targets below are written out from shared/spec/seed-facts.md (programme documents of
Jobcenter Elbe-Elster); they are deliberately not imported from the package. Key figures are
computed by the engine on the generated files; the others by SQL on the validated tables.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pyarrow.compute as pc
import pytest

from amip.kennzahlen.backends import ibis_backend, warehouse_connection
from amip.kennzahlen.engine import compute
from amip.synth.generate import synthesize

pytestmark = pytest.mark.slow
JC = "12062"  # Jobcenter Elbe-Elster (Kreisschlüssel)


def _pct(target: float, rel: float) -> tuple[float, float]:
    return target * (1 - rel), target * (1 + rel)


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "seed1"
    counts = synthesize("elbe-elster", seed=1, out=out)
    assert counts["persons"] > 10_000
    return out


@pytest.fixture(scope="module")
def figures(data: Path) -> dict[str, float]:
    got: dict[str, float] = {}
    with warehouse_connection(data=data) as con, ibis_backend(con) as be:
        # the job center itself; its customers' earlier spells at 12066 only count for durations
        res = compute(be, "2019-01", "2021-12", jobcenter=JC).table

        def num(month: str, figure: str, sex: str = "all") -> float:
            t = res.filter(
                pc.and_(
                    pc.and_(pc.equal(res["month"], month), pc.equal(res["figure"], figure)), pc.equal(res["sex"], sex)
                )
            )
            (v,) = t.column("numerator").to_pylist()
            return float(v)

        for sex in ("all", "w", "m"):
            got[f"jdw2021_{sex}"] = sum(num(f"2021-{k:02d}", "K1E2", sex) for k in range(1, 13)) / 12
            got[f"int2021_{sex}"] = num("2021-12", "K2", sex)
        got["jdw2019"] = sum(num(f"2019-{k:02d}", "K1E2") for k in range(1, 13)) / 12
        # K2 denominator for December is the JDW of the year
        with_den = res.filter(
            pc.and_(
                pc.and_(pc.equal(res["month"], "2021-12"), pc.equal(res["figure"], "K2")), pc.equal(res["sex"], "all")
            )
        )
        got["k2_den"] = with_den.column("denominator").to_pylist()[0]
        # LZB as an annual average (S6), the basis of the LZB target: mean of the 12 monthly K3 numerators
        got["lzb_jdw"] = sum(num(f"2021-{k:02d}", "K3") for k in range(1, 13)) / 12
        got["lzb_share"] = 100 * got["lzb_jdw"] / got["jdw2021_all"]

        def stichtag_persons(day: str, where: str = "TRUE") -> str:
            return (
                f"SELECT DISTINCT s.person_id FROM elb_spells s JOIN persons p USING (person_id) "
                f"WHERE s.jobcenter_id = '{JC}' AND s.start_date <= DATE '{day}' AND coalesce(s.end_date, DATE '9999-12-31') >= DATE '{day}' "
                f"AND {where}"
            )

        got["sp"] = con.execute(
            f"SELECT count(*) FROM ({stichtag_persons('2021-08-31', 's.single_parent')})"
        ).fetchone()[0]
        sp_w = stichtag_persons("2021-08-31", "s.single_parent AND p.sex = 'w'")
        got["sp_w"] = con.execute(f"SELECT count(*) FROM ({sp_w})").fetchone()[0]
        got["disabled"] = con.execute(
            f"SELECT count(*) FROM ({stichtag_persons('2021-09-30', 'p.severely_disabled')})"
        ).fetchone()[0]
        n, emp = con.execute(f"""
            WITH elb AS ({stichtag_persons("2021-05-31")})
            SELECT count(*), count(*) FILTER (WHERE EXISTS (SELECT 1 FROM employment_spells e
                WHERE e.person_id = elb.person_id AND e.start_date <= DATE '2021-05-31'
                  AND coalesce(e.end_date, DATE '9999-12-31') >= DATE '2021-05-31'))
            FROM elb""").fetchone()
        got["employed_share"] = 100 * emp / n
        rows = con.execute("""
            WITH st AS (SELECT last_day(make_date(2021, k, 1)) AS d FROM range(1, 13) r(k)),
            elb AS (SELECT DISTINCT st.d, s.person_id FROM st JOIN elb_spells s
                    ON s.jobcenter_id = '12062' AND s.start_date <= st.d AND coalesce(s.end_date, DATE '9999-12-31') >= st.d),
            valid AS (SELECT e.d, e.person_id, arg_max(p.code, p.valid_from) AS code
                      FROM elb e LEFT JOIN prognosis p ON p.person_id = e.person_id AND p.valid_from <= e.d
                      GROUP BY e.d, e.person_id)
            SELECT coalesce(code, 'fehlt'), count(*) * 100.0 / (SELECT count(*) FROM elb) FROM valid GROUP BY 1
        """).fetchall()
        got.update({f"prog_{code}": share for code, share in rows})
        got["budget"] = {
            tuple(r[:3]): r[3]
            for r in con.execute("SELECT year, title, kind, amount_eur FROM budget WHERE instrument IS NULL").fetchall()
        }
        got["plan_sums"] = dict(
            con.execute("SELECT year, sum(amount_eur) FROM budget WHERE kind = 'plan' GROUP BY year").fetchall()
        )
        got["late_events"] = con.execute(
            "SELECT count(*) FROM case_events WHERE recorded_date - event_date > 90"
        ).fetchone()[0]
        got["offices"] = {r[0] for r in con.execute("SELECT DISTINCT office FROM caseload").fetchall()}
        got["goal_rows"] = con.execute("SELECT count(*) FILTER (WHERE integration_goal) FROM prognosis").fetchone()[0]
    return got


BANDS = {
    "jdw2021_all": _pct(4554, 0.05),
    "jdw2021_w": _pct(2178, 0.07),
    "jdw2021_m": _pct(2376, 0.07),
    "jdw2019": _pct(5400, 0.05),
    "int2021_all": _pct(1024, 0.10),
    "int2021_w": _pct(399, 0.12),
    "int2021_m": _pct(625, 0.12),
    "lzb_jdw": _pct(3256, 0.07),  # the programme's "LZB Ist 2021 3.256" is a JDW
    "lzb_share": (72 - 4, 72 + 4),
    "sp": _pct(572, 0.10),
    "prog_marktnah": (2.1 - 2, 2.1 + 2),
    "prog_nicht_marktnah": (73.6 - 2, 73.6 + 2),
    "prog_integriert": (7.9 - 2, 7.9 + 2),
    "prog_nicht_erforderlich": (15.3 - 2, 15.3 + 2),
    "prog_fehlt": (0.0, 1.1 + 2),
    "employed_share": (25 - 3, 25 + 3),
    "disabled": _pct(260, 0.10),
}


@pytest.mark.parametrize("name", sorted(BANDS))
def test_calibration_band(figures, name):
    low, high = BANDS[name]
    assert low <= figures[name] <= high, f"{name} = {figures[name]:.1f}, band {low:.1f} .. {high:.1f}"


def test_single_parents_mostly_women(figures):
    assert 0.85 <= figures["sp_w"] / figures["sp"] <= 0.95


def test_k2_denominator_is_the_annual_average(figures):
    assert figures["k2_den"] == pytest.approx(figures["jdw2021_all"])


def test_budget_rows_exact(figures):
    expected = {
        (2019, "VK", "zuteilung"): 9_069_867,
        (2019, "EGL", "zuteilung"): 7_129_465,
        (2020, "VK", "schaetzung"): 8_581_009,
        (2020, "EGL", "schaetzung"): 7_053_067,
        (2021, "VK", "zuteilung"): 8_118_736,
        (2021, "EGL", "zuteilung"): 6_531_000,
        (2022, "VK", "schaetzung"): 7_485_249,
        (2022, "EGL", "schaetzung"): 5_694_095,
    }
    assert figures["budget"] == expected
    # the EGL plan per instrument adds up to the year's EGL amount
    for year, total in figures["plan_sums"].items():
        assert total == expected[(year, "EGL", "zuteilung" if year % 2 else "schaetzung")]


def test_administrative_tables_are_plausible(figures):
    assert figures["offices"] == {"Herzberg", "Finsterwalde", "Elsterwerda"}
    assert figures["late_events"] > 0  # some changes are recorded later than 3 months
    assert figures["goal_rows"] > 0


def test_contract_validation_passes(data):
    with warehouse_connection(data=data) as con:
        n = con.execute("SELECT count(*) FROM persons").fetchone()[0]
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert n > 10_000
    assert {"caseload", "prognosis", "proposals", "budget", "case_events", "indicators"} <= tables


def _hashes(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


def test_same_seed_same_bytes(data, tmp_path):
    again = tmp_path / "again"
    synthesize("elbe-elster", seed=1, out=again)
    first = _hashes(data)
    assert len(first) == 13 and "jobcenters.parquet" in first  # the 12 tables and the names (issue 16)
    assert first == _hashes(again)


def test_other_seed_differs(data, tmp_path):
    other = tmp_path / "other"
    synthesize("elbe-elster", seed=2, out=other, first="2019-01", last="2021-12")
    assert _hashes(other)["persons.parquet"] != _hashes(data)["persons.parquet"]


def test_customers_who_moved_in_bring_their_earlier_spell_at_the_neighbouring_job_center(data):
    """Preset [moves]: 4 % of the persons entering inside the window have an earlier spell at 12066,
    60-540 days long, ending the day before their first spell at 12062 or (a quarter of them)
    1-45 days after it started; no benefits of 12066 are in the extract."""
    with warehouse_connection(data=data) as con:
        entrants = con.execute(f"""
            SELECT count(*) FROM (SELECT person_id, min(start_date) AS entry FROM elb_spells
                                  WHERE jobcenter_id = '{JC}' GROUP BY 1)
            WHERE entry > DATE '2016-01-01' + 60""").fetchone()[0]
        rows = con.execute(f"""
            WITH first AS (SELECT person_id, min(start_date) AS entry FROM elb_spells
                           WHERE jobcenter_id = '{JC}' GROUP BY 1)
            SELECT f.entry, o.start_date, o.end_date FROM elb_spells o JOIN first f USING (person_id)
            WHERE o.jobcenter_id = '12066'""").fetchall()
        benefits_12066 = con.execute("SELECT count(*) FROM benefits WHERE jobcenter_id = '12066'").fetchone()[0]
    assert 0.03 < len(rows) / entrants < 0.05
    assert benefits_12066 == 0
    gaps = [(end - entry).days for entry, _start, end in rows]
    assert all(g == -1 or 0 <= g <= 44 for g in gaps)  # adjacent, or 1..45 days of overlap
    overlapping = sum(g >= 0 for g in gaps) / len(rows)
    assert 0.15 < overlapping < 0.35
    lengths = [(entry - start).days for entry, start, _end in rows if start > dt.date(2016, 1, 1)]
    assert all(60 <= n <= 540 for n in lengths)


def test_the_calibration_report_counts_the_job_center_itself_not_the_neighbours_spells(data, figures):
    from amip.synth.calibration import achieved_figures

    got = achieved_figures(data)
    assert got["ELB JDW 2021"] == pytest.approx(figures["jdw2021_all"])
    assert got["LZB JDW 2021"] == pytest.approx(figures["lzb_jdw"])
