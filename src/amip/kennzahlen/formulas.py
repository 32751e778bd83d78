"""The four shapes every figure of § 48a takes, as Ibis expressions over the monthly series.

A figure is declared once (``k1.py``, ``k2.py``, ``k3.py``) as one of these shapes with the series
columns it uses; here each shape becomes numerator, denominator and value expressions with the
coverage and zero-denominator rules of ``kennzahlen.md``. All windows run per (job center, sex)
over the dense monthly grid, ordered by month.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis

NULL = ibis.null("float64")


@dataclass(frozen=True)
class Figure:
    id: str
    title: str  # German name as in the regulation
    shape: Shape
    person_based: bool = True


class Frame:
    """Window helpers over the series table ``t`` (one row per job center, month, sex)."""

    def __init__(self, t: ibis.Table):
        self.t = t

    def window(self, first: int = 0, last: int = 0):
        """Rows from ``first`` months before to ``last`` months before the current one."""
        return ibis.window(group_by=[self.t.jobcenter_id, self.t.sex], order_by=self.t.midx, rows=(-first, -last))

    def col(self, name: str) -> ibis.Value:
        return self.t[name].cast("float64")

    def lag(self, name: str, months: int) -> ibis.Value:
        return (
            self.t[name]
            .cast("float64")
            .lag(months)
            .over(ibis.window(group_by=[self.t.jobcenter_id, self.t.sex], order_by=self.t.midx))
        )

    def flag_lag(self, flag: str, months: int) -> ibis.Value:
        return (
            self.t[flag].lag(months).over(ibis.window(group_by=[self.t.jobcenter_id, self.t.sex], order_by=self.t.midx))
            == 1
        )

    def total(self, name: str, first: int = 11, last: int = 0) -> ibis.Value:
        return self.t[name].cast("float64").sum().over(self.window(first, last))

    def all_ok(self, flag: str, first: int = 11, last: int = 0) -> ibis.Value:
        """True when ``flag`` holds in every month of the window (and the window is complete)."""
        w = self.window(first, last)
        return (self.t[flag].sum().over(w) == first - last + 1) & (self.t[flag].count().over(w) == first - last + 1)


def _when(cond: ibis.Value, value: ibis.Value) -> ibis.Value:
    return ibis.ifelse(cond, value, NULL)


def _percent(num: ibis.Value, den: ibis.Value) -> ibis.Value:
    return _when(den != 0, num / den * 100)


@dataclass(frozen=True)
class Part:
    """The monthly counts one side of a figure is made of: series column ``column`` in the months
    M - back for each ``back`` in ``months`` (for the drill-down: who is behind a number)."""

    column: str
    months: tuple[int, ...]


def _back(first: int, last: int) -> tuple[int, ...]:
    return tuple(range(first, last - 1, -1))


class Shape:
    def build(self, f: Frame) -> tuple[ibis.Value, ibis.Value, ibis.Value]:
        raise NotImplementedError

    def columns(self) -> set[str]:
        raise NotImplementedError

    def parts(self) -> dict[str, Part]:
        """``{"numerator": Part, "denominator": Part}``: which monthly counts make up each side."""
        raise NotImplementedError


@dataclass(frozen=True)
class ChangeRate(Shape):
    """(X(M) / X(M-12) - 1) * 100; numerator X(M), denominator X(M-12)."""

    col: str
    ok: str = "cov"

    def build(self, f):
        num = _when(f.t[self.ok] == 1, f.col(self.col))
        den = _when(f.flag_lag(self.ok, 12), f.lag(self.col, 12))
        return num, den, _when(den != 0, (num / den - 1) * 100)

    def columns(self):
        return {self.col}

    def parts(self):
        return {"numerator": Part(self.col, (0,)), "denominator": Part(self.col, (12,))}


@dataclass(frozen=True)
class Quota(Shape):
    """Sum of ``num`` over the months [M-first, M-last] / mean of ``den`` over M-11..M (or, with
    ``den_is_sum``, the sum of ``den`` over the numerator's months), times 100."""

    num: str
    den: str
    num_ok: str
    den_ok: str = "cov"
    first: int = 11
    last: int = 0
    den_is_sum: bool = False
    also_ok_now: str | None = None  # a flag that must also hold in M itself

    def build(self, f):
        num_ok = f.all_ok(self.num_ok, self.first, self.last)
        if self.also_ok_now:
            num_ok = num_ok & (f.t[self.also_ok_now] == 1)
        num = _when(num_ok, f.total(self.num, self.first, self.last))
        if self.den_is_sum:
            den = _when(num_ok, f.total(self.den, self.first, self.last))
        else:
            den = _when(f.all_ok(self.den_ok), f.total(self.den) / 12)
        return num, den, _percent(num, den)

    def columns(self):
        return {self.num, self.den}

    def parts(self):
        den_months = _back(self.first, self.last) if self.den_is_sum else _back(11, 0)
        return {"numerator": Part(self.num, _back(self.first, self.last)), "denominator": Part(self.den, den_months)}


@dataclass(frozen=True)
class Share(Shape):
    """X(M) / Y(M) * 100 at the Stichtag of M."""

    num: str
    den: str
    ok: str

    def build(self, f):
        ok = f.t[self.ok] == 1
        num, den = _when(ok, f.col(self.num)), _when(ok, f.col(self.den))
        return num, den, _percent(num, den)

    def columns(self):
        return {self.num, self.den}

    def parts(self):
        return {"numerator": Part(self.num, (0,)), "denominator": Part(self.den, (0,))}


@dataclass(frozen=True)
class AveragedRate(Shape):
    """The stock-weighted twelve-month rate (rules version 2): Σ num(m) / Σ den(m - den_lag) over
    m = M-11..M, times 100. A month whose stock den(m - den_lag) is 0 contributes 0 to both sums
    (kennzahlen.md, "Averages over twelve months"); NULL when a month of the window is not covered
    (flag ``ok``) or the summed denominator is 0. ``den_lag = 1`` uses the series column
    ``<den>_prev`` (the previous month's stock, see ``engine.with_lags``)."""

    num: str
    den: str
    ok: str
    den_lag: int = 0

    def build(self, f):
        den_m = (f.t[f"{self.den}_prev"] if self.den_lag else f.t[self.den]).cast("float64")
        num_m = ibis.ifelse(den_m > 0, f.col(self.num), 0.0)
        ok = f.all_ok(self.ok)
        w = f.window(11, 0)
        num = _when(ok, num_m.sum().over(w))
        den = _when(ok, den_m.sum().over(w))
        return num, den, _percent(num, den)

    def columns(self):
        return {self.num, self.den}

    def parts(self):
        lag = self.den_lag
        return {"numerator": Part(self.num, _back(11, 0)), "denominator": Part(self.den, _back(11 + lag, lag))}
