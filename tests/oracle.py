"""A brute-force reading of kennzahlen.md in plain Python, day by day, for small data sets.

Independent of the engine (no shared code but the builder's rows): it loops over days and persons
the way the rules are written, so a disagreement means one of the two misreads the contract.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from builder import DataSet

INTEGRATION = {"svb", "ausbildung", "selbst"}
ACTIVE = {"FBW", "MAT", "MAG", "REHA", "BAE", "ABH", "AGH", "FF", "TAM", "GBB"}  # instruments.csv
PUBLIC = {"AGH", "TAM"}
LLU, LUH = {"RB", "SG", "MB", "EL"}, {"KDU", "KDU_SONST"}
FIGS_ALL_ONLY = {"K1", "K1E1"}


def month_add(m: str, k: int) -> str:
    y, mo = int(m[:4]), int(m[5:])
    i = y * 12 + mo - 1 + k
    return f"{i // 12:04d}-{i % 12 + 1:02d}"


def st(m: str) -> dt.date:
    return dt.date.fromisoformat(month_add(m, 1) + "-01") - dt.timedelta(days=1)


def month_of(d: dt.date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def parse(s: str) -> dt.date | None:
    return dt.date.fromisoformat(s) if s else None


def covers(start, end, d) -> bool:
    return start <= d and (end is None or d <= end)


def birthday17(b: dt.date) -> dt.date:
    if b.month == 2 and b.day == 29:
        return dt.date(b.year + 17, 3, 1)
    return dt.date(b.year + 17, b.month, b.day)


class Oracle:
    def __init__(self, ds: DataSet):
        self.first, self.last = ds.first, ds.last
        self.sex = {r[0]: r[1] for r in ds.rows["persons"]}
        self.birth = {r[0]: parse(r[2]) for r in ds.rows["persons"]}
        self.spells = [(r[0], r[1], parse(r[3]), parse(r[4]), r[5] == "true") for r in ds.rows["elb_spells"]]
        self.jobs = [(r[0], r[1], parse(r[2]), parse(r[3])) for r in ds.rows["employment_spells"]]
        self.measures = [(r[0], r[2], parse(r[3]), parse(r[4])) for r in ds.rows["measures"]]
        self.benefits = [(r[0], r[2], r[3], float(r[4])) for r in ds.rows["benefits"]]
        self.jcs = sorted({s[1] for s in self.spells})
        self.first_day = dt.date.fromisoformat(self.first + "-01")

    # --- coverage ----------------------------------------------------------------------------
    def cov(self, m):
        return self.first <= m <= self.last

    def dur_ok(self, m):
        return self.cov(m) and st(m) - dt.timedelta(days=729) >= self.first_day

    # --- sets --------------------------------------------------------------------------------
    def elb(self, j, d):
        return {p for p, jj, s, e, _ in self.spells if jj == j and covers(s, e, d)}

    def sp(self, j, d):
        return {p for p, jj, s, e, spf in self.spells if jj == j and spf and covers(s, e, d)}

    def dur(self, p, d):
        mine = [(s, e) for pp, _, s, e, _ in self.spells if pp == p]
        return sum(1 for k in range(730) if any(covers(s, e, d - dt.timedelta(days=k)) for s, e in mine))

    def lzb(self, j, d):
        return {p for p in self.elb(j, d) if self.dur(p, d) >= 638 and birthday17(self.birth[p]) <= d}

    def lzb_any(self, d):
        """LZB_*(d): LZB at some job center (ELB anywhere at d, the same Dur and age test)."""
        elb_any = {p for p, _, s, e, _ in self.spells if covers(s, e, d)}
        return {p for p in elb_any if self.dur(p, d) >= 638 and birthday17(self.birth[p]) <= d}

    def entries(self, j, m):
        """The entries into j in m as status changes (person, day s): a row of p at j starts on s in m
        and no row of p at j covers s - 1; two rows starting on the same day are one pair."""
        out = set()
        for p, jj, s, e, _ in self.spells:
            if (
                jj == j
                and month_of(s) == m
                and not any(
                    covers(s2, e2, s - dt.timedelta(days=1)) for p2, j2, s2, e2, _ in self.spells if p2 == p and j2 == j
                )
            ):
                out.add((p, s))
        return out

    def exits(self, j, m):
        """The exits from j in m as status changes (person, day e + 1)."""
        out = set()
        for p, jj, s, e, _ in self.spells:
            if (
                jj == j
                and e is not None
                and month_of(e + dt.timedelta(days=1)) == m
                and not any(
                    covers(s2, e2, e + dt.timedelta(days=1)) for p2, j2, s2, e2, _ in self.spells if p2 == p and j2 == j
                )
            ):
                out.add((p, e + dt.timedelta(days=1)))
        return out

    def found(self, j, m, starts):
        """Persons found by the two-window search in m for events (person, day)."""
        before, before2 = self.elb(j, st(month_add(m, -1))), self.elb(j, st(month_add(m, -2)))
        out = set()
        for p, t in starts:
            if p in before and (month_of(t) == m or (month_of(t) == month_add(m, -1) and p not in before2)):
                out.add(p)
        return out

    def integrated(self, j, m, kinds=INTEGRATION):
        return self.found(j, m, [(p, s) for p, k, s, e in self.jobs if k in kinds])

    def svb_at(self, p, d):
        return any(pp == p and k == "svb" and covers(s, e, d) for pp, k, s, e in self.jobs)

    # --- figures -------------------------------------------------------------------------------
    def figures(self, months: list[str]) -> dict:
        out = {}
        for j in self.jcs:
            for M in months:
                for sex in ("all", "m", "w"):
                    keep = (lambda ps: ps) if sex == "all" else (lambda ps, s=sex: {p for p in ps if self.sex[p] == s})
                    for fig, row in self._one(j, M, keep).items():
                        if sex != "all" and fig in FIGS_ALL_ONLY:
                            continue
                        out[(j, M, fig, sex)] = row
        return out

    def _one(self, j, M, keep):
        win = [month_add(M, -k) for k in range(11, -1, -1)]
        r = {}

        def change(now, before, ok_now, ok_before):
            num = now if ok_now else None
            den = before if ok_before else None
            val = None if num is None or den is None or den == 0 else (num / den - 1) * 100
            return num, den, val

        def quota(num, den):
            val = None if num is None or den is None or den == 0 else num / den * 100
            return num, den, val

        def averaged(pairs, ok):
            """Stock-weighted: Σ flows / Σ stocks; a month with stock 0 adds 0 to both sums."""
            if not ok:
                return None, None, None
            num = sum(n for n, d in pairs if d > 0)
            den = sum(d for _, d in pairs)
            return num, den, None if den == 0 else num / den * 100

        def events(ev):  # status changes (person, day) of the persons ``keep`` selects
            return sum(1 for p, _ in ev if keep({p}))

        ben = defaultdict(float)
        for jj, month, kind, amount in self.benefits:
            if jj == j:
                ben[(month, "llu" if kind in LLU else "luh")] += amount
        prev = month_add(M, -12)
        r["K1"] = change(ben[(M, "llu")], ben[(prev, "llu")], self.cov(M), self.cov(prev))
        r["K1E1"] = change(ben[(M, "luh")], ben[(prev, "luh")], self.cov(M), self.cov(prev))
        stock = lambda m: len(keep(self.elb(j, st(m))))  # noqa: E731
        r["K1E2"] = change(stock(M), stock(prev), self.cov(M), self.cov(prev))
        flows_ok = all(self.cov(m) and self.cov(month_add(m, -1)) for m in win)
        r["K1E3"] = averaged([(events(self.entries(j, m)), stock(m)) for m in win], flows_ok)
        r["K1E4"] = averaged([(events(self.exits(j, m)), stock(month_add(m, -1))) for m in win], flows_ok)

        int_ok = all(self.cov(m) and self.cov(month_add(m, -1)) and self.cov(month_add(m, -2)) for m in win)
        mean_stock = sum(stock(m) for m in win) / 12 if all(self.cov(m) for m in win) else None
        ints = {m: keep(self.integrated(j, m)) for m in win}
        r["K2"] = quota(sum(len(v) for v in ints.values()) if int_ok else None, mean_stock)
        gb = sum(len(keep(self.integrated(j, m, {"gb"}))) for m in win)
        r["K2E1"] = quota(gb if int_ok else None, mean_stock)
        pub_starts = [(p, s) for p, ins, s, e in self.measures if ins in PUBLIC]
        pub = sum(len(keep(self.found(j, m, pub_starts))) for m in win)
        r["K2E2"] = quota(pub if int_ok else None, mean_stock)

        k2e3_months = [month_add(M, -k) for k in range(17, 5, -1)]
        k2e3_ok = self.cov(M) and all(
            self.cov(m) and self.cov(month_add(m, -1)) and self.cov(month_add(m, -2)) for m in k2e3_months
        )
        n_svb = n_cont = 0
        for m in k2e3_months:
            for p in keep(self.integrated(j, m, {"svb"})):
                n_svb += 1
                n_cont += all(self.svb_at(p, st(month_add(m, k))) for k in range(1, 7))
        r["K2E3"] = (n_cont, n_svb, None if n_svb == 0 else n_cont / n_svb * 100) if k2e3_ok else (None, None, None)

        sp_ints = sum(len({p for p in ints[m] if p in self.sp(j, st(month_add(m, -1)))}) for m in win)
        mean_sp = sum(len(keep(self.sp(j, st(m)))) for m in win) / 12 if all(self.cov(m) for m in win) else None
        r["K2E4"] = quota(sp_ints if int_ok else None, mean_sp)

        lzb = lambda m: keep(self.lzb(j, st(m)))  # noqa: E731
        r["K3"] = change(len(lzb(M)), len(lzb(prev)), self.dur_ok(M), self.dur_ok(prev))
        lzb_int_ok = int_ok and all(self.dur_ok(month_add(m, -1)) for m in win)
        lzb_ints = sum(len({p for p in ints[m] if p in self.lzb(j, st(month_add(m, -1)))}) for m in win)
        mean_lzb = sum(len(lzb(m)) for m in win) / 12 if all(self.dur_ok(m) for m in win) else None
        r["K3E1"] = quota(lzb_ints if lzb_int_ok else None, mean_lzb)
        if self.dur_ok(M):
            now = lzb(M)
            active = {
                p
                for p in now
                if any(pp == p and ins in ACTIVE and covers(s, e, st(M)) for pp, ins, s, e in self.measures)
            }
            r["K3E2"] = quota(len(active), len(now))
        else:
            r["K3E2"] = (None, None, None)
        lzb_flow_ok = all(self.dur_ok(m) and self.dur_ok(month_add(m, -1)) for m in win)
        # LZB flows: an entry at j needs p not LZB at ANY job center at ST(m-1), an exit p not LZB
        # anywhere at ST(m) (a move between job centers while LZB is no LZB flow).
        anyw = lambda m: keep(self.lzb_any(st(m)))  # noqa: E731
        r["K3E3"] = averaged([(len(lzb(m) - anyw(month_add(m, -1))), len(lzb(m))) for m in win], lzb_flow_ok)
        r["K3E4"] = averaged(
            [(len(lzb(month_add(m, -1)) - anyw(m)), len(lzb(month_add(m, -1)))) for m in win], lzb_flow_ok
        )
        return r
