"""The calibration report: the figures of a generated data set against the targets of its preset.

The targets are the facts of the programme documents (shared/spec/seed-facts.md). They are used
only here, to report how close a generated data set comes; the model never reads them.
Key figures (ELB stock, integrations, LZB as annual average) are computed by the engine; the other figures by SQL on
the validated contract tables of the same connection.
"""

from __future__ import annotations

from pathlib import Path

# target id -> (label, value, band low, band high)
ELBE_ELSTER_TARGETS: list[tuple[str, float, float, float]] = [
    ("ELB JDW 2021", 4554, 4554 * 0.95, 4554 * 1.05),
    ("ELB JDW 2021 Frauen", 2178, 2178 * 0.93, 2178 * 1.07),
    ("ELB JDW 2021 Männer", 2376, 2376 * 0.93, 2376 * 1.07),
    ("ELB JDW 2019", 5400, 5400 * 0.95, 5400 * 1.05),
    ("Integrationen 2021", 1024, 1024 * 0.90, 1024 * 1.10),
    ("Integrationen 2021 Frauen", 399, 399 * 0.88, 399 * 1.12),
    ("Integrationen 2021 Männer", 625, 625 * 0.88, 625 * 1.12),
    # The LZB target is an annual average (S6): the programme's "LZB Ist 2021 3.256" is the JDW.
    ("LZB JDW 2021", 3256, 3256 * 0.93, 3256 * 1.07),
    ("LZB-Anteil an ELB JDW 2021 %", 72.0, 68.0, 76.0),
    ("Alleinerziehende ELB 08/2021", 572, 572 * 0.90, 572 * 1.10),
    ("Frauenanteil Alleinerziehende 08/2021 %", 90.0, 85.0, 95.0),
    ("Prognose marktnah 2021 %", 2.1, 0.1, 4.1),
    ("Prognose nicht marktnah 2021 %", 73.6, 71.6, 75.6),
    ("Prognose integriert (I) 2021 %", 7.9, 5.9, 9.9),
    ("Prognose nicht erforderlich (Z) 2021 %", 15.3, 13.3, 17.3),
    ("Prognose fehlt (X) 2021 %", 1.1, 0.0, 3.1),
    ("Erwerbstätige ELB 05/2021 %", 25.0, 22.0, 28.0),
    ("Schwerbehinderte ELB 09/2021", 260, 234, 286),
]
BUDGET_TARGETS = [
    (2019, "VK", "zuteilung", 9_069_867),
    (2019, "EGL", "zuteilung", 7_129_465),
    (2020, "VK", "schaetzung", 8_581_009),
    (2020, "EGL", "schaetzung", 7_053_067),
    (2021, "VK", "zuteilung", 8_118_736),
    (2021, "EGL", "zuteilung", 6_531_000),
    (2022, "VK", "schaetzung", 7_485_249),
    (2022, "EGL", "schaetzung", 5_694_095),
]


def achieved_figures(data_dir: Path) -> dict[str, float]:
    """Every reported figure of the data set in ``data_dir`` (validated on load)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from amip.kennzahlen.backends import ibis_backend, warehouse_connection
    from amip.kennzahlen.engine import compute
    from amip.warehouse.jobcenters import home_jobcenters

    out: dict[str, float] = {}
    with warehouse_connection(data=Path(data_dir)) as con, ibis_backend(con) as be:
        # The data set's own job centers only (amip.warehouse.jobcenters): not the earlier spells of
        # customers who moved in from a neighbouring job center.
        home = home_jobcenters(con)
        result = compute(be, "2019-01", "2021-12")
        assert result.series is not None  # compute() always returns the monthly series
        series = result.series.filter(
            pc.and_(
                pc.is_in(result.series["jobcenter_id"], value_set=pa.array(home, pa.string())),
                pc.equal(result.series["sex"], "all"),
            )
        )
        res = result.table
        res = res.filter(pc.is_in(res["jobcenter_id"], value_set=pa.array(home, pa.string())))
        ids = ", ".join("'" + j.replace("'", "''") + "'" for j in home) or "NULL"
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW home_spells AS SELECT * FROM elb_spells WHERE jobcenter_id IN ({ids})"
        )

        def fig(month: str, figure: str, sex: str = "all", col: str = "numerator") -> float:
            t = res.filter(
                pc.and_(
                    pc.and_(pc.equal(res["month"], month), pc.equal(res["figure"], figure)), pc.equal(res["sex"], sex)
                )
            )
            values = t.column(col).to_pylist()
            return float(sum(v for v in values if v is not None))

        for sex, label in (("all", ""), ("w", " Frauen"), ("m", " Männer")):
            if label:
                out[f"ELB JDW 2021{label}"] = sum(fig(f"2021-{k:02d}", "K1E2", sex) for k in range(1, 13)) / 12
            else:
                out["ELB JDW 2021"] = sum(fig(f"2021-{k:02d}", "K1E2") for k in range(1, 13)) / 12
                out["ELB JDW 2019"] = sum(fig(f"2019-{k:02d}", "K1E2") for k in range(1, 13)) / 12
            out[f"Integrationen 2021{label}"] = fig("2021-12", "K2", sex)
        # LZB JDW 2021 (S6): the mean of the twelve monthly LZB stocks (NaN if a month is not usable)
        y2021 = series.filter(pc.starts_with(series["month"], "2021-")).to_pylist()
        by_month: dict[str, float] = {}
        for r in y2021:
            usable = r["lzb_ok"] == 1
            by_month[r["month"]] = by_month.get(r["month"], 0.0) + (float(r["lzb"]) if usable else float("nan"))
        out["LZB JDW 2021"] = sum(by_month.values()) / 12 if len(by_month) == 12 else float("nan")
        out["LZB-Anteil an ELB JDW 2021 %"] = 100 * out["LZB JDW 2021"] / out["ELB JDW 2021"]

        def q(sql: str):
            return con.execute(sql).fetchone()

        n_sp, n_sp_w = q("""
            SELECT count(DISTINCT s.person_id), count(DISTINCT s.person_id) FILTER (WHERE p.sex = 'w')
            FROM home_spells s JOIN persons p USING (person_id)
            WHERE s.single_parent AND s.start_date <= DATE '2021-08-31'
              AND coalesce(s.end_date, DATE '9999-12-31') >= DATE '2021-08-31'""")
        out["Alleinerziehende ELB 08/2021"] = n_sp
        out["Frauenanteil Alleinerziehende 08/2021 %"] = 100 * n_sp_w / n_sp if n_sp else 0.0
        codes = con.execute("""
            WITH st AS (SELECT last_day(make_date(2021, k, 1)) AS d FROM range(1, 13) r(k)),
            elb AS (SELECT DISTINCT st.d, s.person_id FROM st JOIN home_spells s
                    ON s.start_date <= st.d AND coalesce(s.end_date, DATE '9999-12-31') >= st.d),
            pr AS (SELECT e.d, e.person_id, arg_max(p.code, p.valid_from) AS code
                   FROM elb e LEFT JOIN prognosis p ON p.person_id = e.person_id AND p.valid_from <= e.d
                   GROUP BY e.d, e.person_id)
            SELECT coalesce(code, 'fehlt') AS code, count(*) * 100.0 / (SELECT count(*) FROM elb) FROM pr GROUP BY 1
        """).fetchall()
        shares = dict(codes)
        for code, label in (
            ("marktnah", "marktnah"),
            ("nicht_marktnah", "nicht marktnah"),
            ("integriert", "integriert (I)"),
            ("nicht_erforderlich", "nicht erforderlich (Z)"),
            ("fehlt", "fehlt (X)"),
        ):
            out[f"Prognose {label} 2021 %"] = float(shares.get(code, 0.0))
        n, emp = q("""
            WITH elb AS (SELECT DISTINCT person_id FROM home_spells
                         WHERE start_date <= DATE '2021-05-31' AND coalesce(end_date, DATE '9999-12-31') >= DATE '2021-05-31')
            SELECT count(*), count(*) FILTER (WHERE EXISTS (
                SELECT 1 FROM employment_spells e WHERE e.person_id = elb.person_id
                AND e.start_date <= DATE '2021-05-31' AND coalesce(e.end_date, DATE '9999-12-31') >= DATE '2021-05-31'))
            FROM elb""")
        out["Erwerbstätige ELB 05/2021 %"] = 100 * emp / n if n else 0.0
        out["Schwerbehinderte ELB 09/2021"] = q("""
            SELECT count(DISTINCT s.person_id) FROM home_spells s JOIN persons p USING (person_id)
            WHERE p.severely_disabled AND s.start_date <= DATE '2021-09-30'
              AND coalesce(s.end_date, DATE '9999-12-31') >= DATE '2021-09-30'""")[0]
        for year, title, kind, _ in BUDGET_TARGETS:
            row = q(
                f"SELECT sum(amount_eur) FROM budget WHERE year = {year} AND title = '{title}' "
                f"AND kind = '{kind}' AND instrument IS NULL"
            )
            out[f"Budget {year} {title} {kind}"] = float(row[0]) if row and row[0] is not None else float("nan")
    return out


def calibration_report(data_dir: Path) -> list[dict]:
    got = achieved_figures(data_dir)
    rows = []
    for name, target, low, high in ELBE_ELSTER_TARGETS:
        v = got[name]
        rows.append(
            {
                "target": name,
                "value": target,
                "achieved": v,
                "band_low": low,
                "band_high": high,
                "inside": bool(low <= v <= high),
            }
        )
    for year, title, kind, amount in BUDGET_TARGETS:
        name = f"Budget {year} {title} {kind}"
        v = got[name]
        rows.append(
            {
                "target": name,
                "value": amount,
                "achieved": v,
                "band_low": amount,
                "band_high": amount,
                "inside": bool(v == amount),
            }
        )
    return rows
