"""Budget (B1): allocation of year Y−1 against the estimate of year Y, the EGL plan per instrument,
and the spending recorded on measures.

Sources (data contract): the optional ``budget`` table (jobcenter_id, year, title VK/EGL, kind
zuteilung/schaetzung/plan, instrument, amount_eur) and ``measures.cost_eur``. Budget plans are not
edited in the cockpit: they come from the data's ``budget`` table.

Rules (documented in docs/reports.md):

- **Comparison** (the seeds' table "Vergleich Zuteilungsbeträge Y−1 und Schätzwerte des Bundes Y"):
  for each title (VK, EGL) the base is the ``zuteilung`` of Y−1 and the new value the
  ``schaetzung`` of Y; where Y has no ``schaetzung``, its ``zuteilung``, else the sum of its
  ``plan`` rows. Gesamtbudget = VK + EGL (only when both exist). Δ absolute = new − base;
  Δ % = Δ / base · 100, unrounded (rounded only when printed: 8.118.736 → 7.485.249 is
  −633.487 and −7,8).
- **EGL plan per instrument**: ``plan`` rows of title EGL with an instrument; share = amount /
  sum of the plan rows · 100.
- **Second labour market**: instruments with ``second_labour_market = true`` in the instrument
  catalogue (instruments.csv: AGH § 16d and TAM § 16i). Planned share = their plan / EGL plan.
- **Spending**: a measure's ``cost_eur`` is spread evenly over the days it covers (start_date …
  end_date, both inclusive) and each calendar month gets the part of its days; a measure without
  end_date or with end before start is placed on its start day. Measures without cost count 0.
  Share in the first half-year = spending January–June of Y / spending of Y · 100.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from amip import duck
from amip.format import pct_change

TITLES = {"VK": "Verwaltungskosten (VK)", "EGL": "Eingliederungsleistungen (EGL)", "total": "Gesamtbudget"}


class BudgetError(ValueError):
    """No budget data for the requested year / job center."""


def attach_warehouse(path: str | Path) -> duckdb.DuckDBPyConnection:
    """A private in-memory connection with the warehouse attached read-only (tables by plain name),
    unlike :func:`amip.warehouse.store.open_warehouse`, which connects to the file itself."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"warehouse not found: {path}")
    con = duck.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute(f"ATTACH '{path}' AS w (READ_ONLY)")
    con.execute("USE w")
    return con


def has_table(con, name: str) -> bool:
    return bool(
        con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchone()[0]
    )


def jobcenters(con) -> list[str]:
    """Job centers with budget rows (empty without a budget table)."""
    if not has_table(con, "budget"):
        return []
    return [r[0] for r in con.execute("SELECT DISTINCT jobcenter_id FROM budget ORDER BY 1").fetchall()]


def instrument_catalogue(con=None) -> pd.DataFrame:
    """instrument, name, second_labour_market (the warehouse's copy when present, else the package's)."""
    if con is not None and has_table(con, "instruments"):
        cols = {
            r[0]
            for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'instruments'"
            ).fetchall()
        }
        if {"instrument", "name", "second_labour_market"} <= cols:
            return con.execute(
                "SELECT instrument, name, coalesce(second_labour_market, false) AS second_labour_market "
                "FROM instruments"
            ).df()
    from amip.contract.schema import instruments

    t = instruments().to_pandas()
    t["second_labour_market"] = t["second_labour_market"].astype(str).str.lower().isin(["true", "1"])
    return t[["instrument", "name", "second_labour_market"]]


def _amounts(con, jobcenter: str, year: int, title: str) -> dict[str, float]:
    rows = con.execute(
        "SELECT kind, sum(amount_eur) FROM budget WHERE jobcenter_id = ? AND year = ? AND title = ? GROUP BY kind",
        [jobcenter, year, title],
    ).fetchall()
    return {k: float(v) for k, v in rows if v is not None}


@dataclass
class ComparisonRow:
    title: str  # VK, EGL, total
    label: str
    base: float | None  # allocation Y−1
    new: float | None  # estimate (or plan) Y
    delta: float | None
    delta_pct: float | None

    def as_dict(self) -> dict:
        return {
            "title": self.title,
            "label": self.label,
            "base": self.base,
            "new": self.new,
            "delta": self.delta,
            "delta_pct": self.delta_pct,
        }


def comparison(con, year: int, jobcenter: str) -> dict:
    """The B1 table: {"year", "base_year", "base_kind", "new_kind", "rows": [ComparisonRow.as_dict()]}.

    ``base_kind``/``new_kind`` say which kind was used per title ({"VK": "zuteilung", ...}) so the
    report can label the columns truthfully. Raises BudgetError without any budget rows."""
    if not has_table(con, "budget"):
        raise BudgetError("the data set has no budget table")
    n = con.execute(
        "SELECT count(*) FROM budget WHERE jobcenter_id = ? AND year IN (?, ?)", [jobcenter, year - 1, year]
    ).fetchone()[0]
    if not n:
        raise BudgetError(f"no budget rows for job center {jobcenter} in {year - 1} or {year}")
    rows, base_kind, new_kind = [], {}, {}
    for title in ("VK", "EGL"):
        prev, cur = _amounts(con, jobcenter, year - 1, title), _amounts(con, jobcenter, year, title)
        base = prev.get("zuteilung")
        base_kind[title] = "zuteilung" if base is not None else None
        for kind in ("schaetzung", "zuteilung", "plan"):
            if kind in cur:
                new, new_kind[title] = cur[kind], kind
                break
        else:
            new, new_kind[title] = None, None
        delta = new - base if new is not None and base is not None else None
        rows.append(ComparisonRow(title, TITLES[title], base, new, delta, pct_change(new, base)))
    vk, egl = rows
    tb = vk.base + egl.base if vk.base is not None and egl.base is not None else None
    tn = vk.new + egl.new if vk.new is not None and egl.new is not None else None
    rows.append(
        ComparisonRow(
            "total", TITLES["total"], tb, tn, tn - tb if tn is not None and tb is not None else None, pct_change(tn, tb)
        )
    )
    return {
        "year": year,
        "base_year": year - 1,
        "base_kind": base_kind,
        "new_kind": new_kind,
        "rows": [r.as_dict() for r in rows],
    }


def egl_plan(con, year: int, jobcenter: str) -> pd.DataFrame:
    """instrument, name, amount, share (% of the EGL plan), second_labour_market; largest first."""
    cols = ["instrument", "name", "amount", "share", "second_labour_market"]
    if not has_table(con, "budget"):
        return pd.DataFrame(columns=cols)
    plan = con.execute(
        "SELECT instrument, sum(amount_eur) AS amount FROM budget WHERE jobcenter_id = ? AND year = ? "
        "AND title = 'EGL' AND kind = 'plan' AND instrument IS NOT NULL GROUP BY instrument",
        [jobcenter, year],
    ).df()
    if plan.empty:
        return pd.DataFrame(columns=cols)
    cat = instrument_catalogue(con)
    plan = plan.merge(cat, on="instrument", how="left")
    plan["name"] = plan["name"].fillna(plan["instrument"])
    plan["second_labour_market"] = plan["second_labour_market"].fillna(False).astype(bool)
    total = plan["amount"].sum()
    plan["share"] = plan["amount"] / total * 100 if total else None
    return plan.sort_values(["amount", "instrument"], ascending=[False, True])[cols].reset_index(drop=True)


def second_labour_market_share(plan: pd.DataFrame) -> float | None:
    """Share (%) of the planned EGL on instruments of the second labour market."""
    if plan.empty or not plan["amount"].sum():
        return None
    return float(plan.loc[plan["second_labour_market"], "amount"].sum() / plan["amount"].sum() * 100)


SPENDING_SQL = """
WITH m AS (
    SELECT instrument, coalesce(cost_eur, 0) AS cost, start_date AS a,
           CASE WHEN end_date IS NULL OR end_date < start_date THEN start_date ELSE end_date END AS b
    FROM measures WHERE jobcenter_id = ?
), months AS (
    SELECT instrument, cost, a, b, unnest(generate_series(date_trunc('month', a), date_trunc('month', b),
           INTERVAL 1 MONTH)) AS ms
    FROM m
), parts AS (
    SELECT instrument, strftime(ms, '%Y-%m') AS month,
           cost * (date_diff('day', greatest(a, ms::DATE), least(b, (ms + INTERVAL 1 MONTH - INTERVAL 1 DAY)::DATE)) + 1)
                / (date_diff('day', a, b) + 1) AS amount
    FROM months
)
SELECT month, instrument, sum(amount) AS amount FROM parts
WHERE month BETWEEN ? AND ? GROUP BY ALL ORDER BY month, instrument
"""


def spending(con, year: int, jobcenter: str) -> pd.DataFrame:
    """month (YYYY-MM), instrument, amount: the cost of measures placed in the months of ``year``."""
    if not has_table(con, "measures"):
        return pd.DataFrame(columns=["month", "instrument", "amount"])
    return con.execute(SPENDING_SQL, [jobcenter, f"{year}-01", f"{year}-12"]).df()


def spending_summary(con, year: int, jobcenter: str) -> dict:
    """{"total", "first_half", "first_half_share", "second_labour_market", "second_labour_market_share",
    "by_instrument": DataFrame(instrument, name, amount, share, plan, second_labour_market),
    "by_month": DataFrame(month, amount)}; shares in % (None without spending)."""
    s = spending(con, year, jobcenter)
    cat = instrument_catalogue(con)
    total = float(s["amount"].sum()) if not s.empty else 0.0
    first = float(s.loc[s["month"] <= f"{year}-06", "amount"].sum()) if not s.empty else 0.0
    by_inst = (
        s.groupby("instrument", as_index=False)["amount"].sum()
        if not s.empty
        else pd.DataFrame(columns=["instrument", "amount"])
    )
    by_inst = by_inst.merge(cat, on="instrument", how="left")
    by_inst["second_labour_market"] = by_inst["second_labour_market"].fillna(False).astype(bool)
    by_inst["name"] = by_inst["name"].fillna(by_inst["instrument"])
    by_inst["share"] = by_inst["amount"] / total * 100 if total else None
    plan = egl_plan(con, year, jobcenter)[["instrument", "amount"]].rename(columns={"amount": "plan"})
    by_inst = by_inst.merge(plan, on="instrument", how="outer")
    by_inst["amount"] = by_inst["amount"].fillna(0.0)
    by_inst["name"] = by_inst["name"].fillna(by_inst["instrument"].map(dict(zip(cat["instrument"], cat["name"]))))
    by_inst["second_labour_market"] = (
        by_inst["instrument"].map(dict(zip(cat["instrument"], cat["second_labour_market"]))).fillna(False).astype(bool)
    )
    by_inst = by_inst.sort_values(["amount", "instrument"], ascending=[False, True]).reset_index(drop=True)
    slm = float(by_inst.loc[by_inst["second_labour_market"], "amount"].sum())
    months = [f"{year}-{m:02d}" for m in range(1, 13)]
    by_month = (
        s.groupby("month")["amount"].sum().reindex(months, fill_value=0.0).rename_axis("month").reset_index()
        if not s.empty
        else pd.DataFrame({"month": months, "amount": [0.0] * 12})
    )
    return {
        "total": total,
        "first_half": first,
        "first_half_share": first / total * 100 if total else None,
        "second_labour_market": slm,
        "second_labour_market_share": slm / total * 100 if total else None,
        "by_instrument": by_inst[["instrument", "name", "amount", "share", "plan", "second_labour_market"]],
        "by_month": by_month,
    }


def budget_years(con, jobcenter: str) -> list[int]:
    if not has_table(con, "budget"):
        return []
    return [
        int(r[0])
        for r in con.execute(
            "SELECT DISTINCT year FROM budget WHERE jobcenter_id = ? ORDER BY 1", [jobcenter]
        ).fetchall()
    ]
