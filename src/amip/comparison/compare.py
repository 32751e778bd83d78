"""A job center among the members of its Vergleichstyp (docs/comparison.md).

The job center's own value comes from its microdata (the figure cache, ``FigureStore``), the other
members' values from the published figures (the latest publication of each month). Where amip has
no own value (a month outside the data), the published value stands in, marked as published.

- **Rank** within the type: 1 = the most favourable value (direction per figure from the glossary:
  a falling LZB stock ranks high); equal values share the lower rank (1, 2, 2, 4). Job centers
  without a value are not ranked.
- **Terciles / quartiles**: of n ranked members, rank r is in group ``floor((r − 1) · g / n) + 1``
  (g = 3 or 4; group 1 the most favourable), so for five members the terciles hold 2, 2, 1 and the
  quartiles 2, 1, 1, 1 members (the same thirds as the multi-job-center ranking of the figure cache).
- **Median, spread**: median, first and third quartile (linear interpolation) and range of the
  members' values, the own value included; the Land's and Germany's median likewise over every
  published job center of the Land / of the file.
- **Gap**: own value minus the type median, in percentage points, for every month both exist.
- **Nearest neighbours**: the k job centers closest on framework conditions the published figures
  show (the ELB per inhabitant is not among them): ELB level (log10 of the ELB stock, K1E2's
  numerator), ELB trend (K1E2), LZB share (K3's numerator / ELB stock) and single-parent share
  (K2E4's denominator / K2's denominator), each standardised over all job centers of the month
  (z-scores), Euclidean distance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from amip.figures import glossary
from amip.figures.store import FigureStore
from amip.kennzahlen.calendar import parse_month
from amip.published.store import Published

OWN, PUBLISHED = "amip", "veröffentlicht"
TERCILES = {1: "oberes Drittel", 2: "mittleres Drittel", 3: "unteres Drittel"}
NEIGHBOUR_FEATURES = {
    "elb_level": "ELB-Bestand (log10)",
    "elb_trend": "Veränderung ELB (K1E2, %)",
    "lzb_share": "Anteil LZB an ELB (%)",
    "single_parent_share": "Anteil Alleinerziehende an ELB (%)",
}
NEIGHBOUR_CAVEAT = (
    "Nächste Nachbarn sind die Jobcenter, deren Rahmenbedingungen in den veröffentlichten Zahlen "
    "am ähnlichsten sind (ELB-Bestand, seine Veränderung, Anteil der LZB und der Alleinerziehenden). "
    "Die Vergleichstypen des IAB berücksichtigen mehr (u. a. Arbeitsmarktlage, ELB je Einwohner, "
    "Siedlungsstruktur); die Nachbarn sind eine Ergänzung, kein amtlicher Vergleichsring."
)


@dataclass(frozen=True)
class JobcenterInfo:
    jobcenter_id: str
    name: str
    land: str | None = None
    kind: str | None = None
    vergleichstyp: str | None = None


def jobcenter_info(published: Published | None, store: FigureStore | None = None) -> dict[str, JobcenterInfo]:
    """Names, Land, kind and Vergleichstyp by job center id: the published ``jobcenters`` table,
    else the warehouse's (microdata contract, when it has one), else the id alone. The one place
    that looks names up for this package."""
    out: dict[str, JobcenterInfo] = {}
    frames = []
    if store is not None and "jobcenters" in store.warehouse_tables:
        con = store.connect()
        try:
            frames.append(con.execute("SELECT * FROM jobcenters").df())
        finally:
            con.close()
    if published is not None:
        frames.append(published.jobcenters)  # last: it wins
    for frame in frames:
        for r in frame.to_dict("records"):
            out[str(r["jobcenter_id"])] = JobcenterInfo(
                str(r["jobcenter_id"]),
                str(r.get("name") or f"Jobcenter {r['jobcenter_id']}"),
                _text(r.get("land")),
                _text(r.get("kind")),
                _text(r.get("vergleichstyp")),
            )
    return out


def describe(info: dict[str, JobcenterInfo], jc: str) -> JobcenterInfo:
    return info.get(jc) or JobcenterInfo(jc, f"Jobcenter {jc}")


def _text(v) -> str | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) or str(v).strip() == "" else str(v)


def own_status(store: FigureStore, month: str) -> str:
    """``vorläufig`` when the data end before the BA's Wartezeit of three months after ``month``
    is over (late recordings may still come), else ``endgültig``."""
    last = store.meta.get("coverage", [None, store.latest])[1] or store.latest
    return "vorläufig" if last is None or parse_month(last) < parse_month(month) + 3 else "endgültig"


def values(store: FigureStore, published: Published, jc: str, figure: str, month: str, sex: str) -> pd.DataFrame:
    """jobcenter_id, numerator, denominator, value, source of every published job center and of
    ``jc``: ``jc``'s own value from the microdata where amip has one, the others published."""
    t = published.rows(figure, month, sex).drop(columns=["publication"])
    t = t.assign(source=PUBLISHED)
    own = store.value(jc, figure, month, sex) if jc in store.jobcenters else None
    # amip's row counts when it holds any number (a NULL value with numerator and denominator is
    # amip's result, e.g. a denominator of 0); an empty row (months not covered) does not
    if own is not None and any(own[k] is not None for k in ("numerator", "denominator", "value")):
        t = t[t["jobcenter_id"] != jc]
        mine = pd.DataFrame([{"jobcenter_id": jc, **own, "source": OWN}])
        t = pd.concat([t, mine], ignore_index=True) if len(t) else mine
    return t.reset_index(drop=True)


def rank_members(t: pd.DataFrame, figure: str) -> pd.DataFrame:
    """``t`` with rank (1 = most favourable, ties share the lower rank), tercile and quartile of
    the members with a value (None for the others), sorted by rank."""
    higher = glossary.EXPLANATIONS[figure].higher_is_better
    t = t.copy()
    t["value"] = pd.to_numeric(t["value"], errors="coerce")
    ranks = t["value"].rank(method="min", ascending=not higher)
    n = int(t["value"].notna().sum())
    t["rank"] = [None if pd.isna(r) else int(r) for r in ranks]
    t["tercile"] = [group(r, n, 3) for r in t["rank"]]
    t["quartile"] = [group(r, n, 4) for r in t["rank"]]
    t["_order"] = [math.inf if r is None else r for r in t["rank"]]
    return t.sort_values(["_order", "jobcenter_id"]).drop(columns="_order").reset_index(drop=True)


def group(rank: int | None, n: int, groups: int) -> int | None:
    """Tercile (groups=3) or quartile (4) of ``rank`` among ``n`` ranked values, 1 = most favourable."""
    if rank is None or n == 0:
        return None
    return (rank - 1) * groups // n + 1


def spread(v: pd.Series) -> dict:
    v = pd.to_numeric(v, errors="coerce").dropna()
    if not len(v):
        return {"n": 0, "median": None, "q1": None, "q3": None, "min": None, "max": None}
    return {
        "n": len(v),
        "median": float(v.median()),
        "q1": float(v.quantile(0.25)),
        "q3": float(v.quantile(0.75)),
        "min": float(v.min()),
        "max": float(v.max()),
    }


@dataclass(frozen=True)
class Position:
    """Where ``jobcenter`` stands for one figure, month and sex."""

    jobcenter: str
    figure: str
    month: str
    sex: str
    vergleichstyp: str | None
    value: float | None
    numerator: float | None
    denominator: float | None
    source: str | None  # OWN, PUBLISHED, or None without any value
    rank: int | None
    of: int  # ranked members of the type
    tercile: int | None
    quartile: int | None
    type_stats: dict
    land: str | None
    land_stats: dict
    germany_stats: dict

    @property
    def gap(self) -> float | None:
        med = self.type_stats.get("median")
        return None if self.value is None or med is None else self.value - med


def members(info: dict[str, JobcenterInfo], jc: str) -> list[str]:
    """The job centers of ``jc``'s Vergleichstyp (``jc`` included), [] when its type is unknown."""
    vt = describe(info, jc).vergleichstyp
    if vt is None:
        return []
    return sorted(k for k, i in info.items() if i.vergleichstyp == vt) or [jc]


def position(
    store: FigureStore,
    published: Published,
    info: dict[str, JobcenterInfo],
    jc: str,
    figure: str,
    month: str,
    sex: str = "all",
) -> tuple[Position, pd.DataFrame]:
    """The position of ``jc`` and the ranked members of its type (jobcenter_id, name, numerator,
    denominator, value, source, rank, tercile, quartile). Computed once per import, published file
    and arguments (``store.memo``: the comparison page, its scoreboard and the gap series of every
    month ask for the same positions again); callers must not change the result."""
    key = ("comparison.position", published.token, frozenset(info.items()), jc, figure, month, sex)
    return store.memo(key, lambda: _position(store, published, info, jc, figure, month, sex))


def _position(
    store: FigureStore,
    published: Published,
    info: dict[str, JobcenterInfo],
    jc: str,
    figure: str,
    month: str,
    sex: str,
) -> tuple[Position, pd.DataFrame]:
    everyone = values(store, published, jc, figure, month, sex)
    me = describe(info, jc)
    type_ids = set(members(info, jc)) | {jc}
    in_type = everyone[everyone["jobcenter_id"].isin(type_ids)] if me.vergleichstyp else everyone.iloc[0:0]
    if me.vergleichstyp and jc not in set(in_type["jobcenter_id"]):
        missing = pd.DataFrame([{"jobcenter_id": jc, "numerator": None, "denominator": None, "value": None}])
        in_type = pd.concat([in_type, missing.assign(source=None)], ignore_index=True)
    ranked = rank_members(in_type, figure) if len(in_type) else in_type.assign(rank=[], tercile=[], quartile=[])
    ranked.insert(1, "name", [describe(info, j).name for j in ranked["jobcenter_id"]])
    land_ids = {k for k, i in info.items() if me.land is not None and i.land == me.land} | ({jc} if me.land else set())
    mine = everyone[everyone["jobcenter_id"] == jc]
    r = ranked[ranked["jobcenter_id"] == jc]
    row = mine.iloc[0] if len(mine) else None
    pos = Position(
        jobcenter=jc,
        figure=figure,
        month=month,
        sex=sex,
        vergleichstyp=me.vergleichstyp,
        value=_num(None if row is None else row["value"]),
        numerator=_num(None if row is None else row["numerator"]),
        denominator=_num(None if row is None else row["denominator"]),
        source=None if row is None else row["source"],
        rank=None if not len(r) else _int(r.iloc[0]["rank"]),
        of=int(pd.to_numeric(ranked["value"], errors="coerce").notna().sum()) if len(ranked) else 0,
        tercile=None if not len(r) else _int(r.iloc[0]["tercile"]),
        quartile=None if not len(r) else _int(r.iloc[0]["quartile"]),
        type_stats=spread(in_type["value"]),
        land=me.land,
        land_stats=spread(everyone[everyone["jobcenter_id"].isin(land_ids)]["value"]),
        germany_stats=spread(everyone["value"]),
    )
    return pos, ranked


def gap_series(
    store: FigureStore,
    published: Published,
    info: dict[str, JobcenterInfo],
    jc: str,
    figure: str,
    sex: str = "all",
    last: str | None = None,
) -> pd.DataFrame:
    """month, value (the job center's), source, median (of the type), gap (value − median, in
    percentage points) for every month up to ``last`` with published figures."""
    rows = []
    for month in published.months:
        if last is not None and month > last:
            continue
        pos, _ = position(store, published, info, jc, figure, month, sex)
        med = pos.type_stats.get("median")
        rows.append({"month": month, "value": pos.value, "source": pos.source, "median": med, "gap": pos.gap})
    return pd.DataFrame(rows, columns=["month", "value", "source", "median", "gap"])


def _num(v) -> float | None:
    return None if v is None or pd.isna(v) else float(v)


def _int(v) -> int | None:
    return None if v is None or pd.isna(v) else int(v)


# ---- nearest neighbours -----------------------------------------------------------------------------


def features(store: FigureStore, published: Published, jc: str, month: str) -> pd.DataFrame:
    """The framework conditions per job center in ``month`` (index jobcenter_id, columns
    NEIGHBOUR_FEATURES; NaN where a figure is missing), ``jc``'s own from its microdata."""
    parts: dict[str, pd.Series] = {}
    for fig in ("K1E2", "K3", "K2", "K2E4"):
        t = values(store, published, jc, fig, month, "all").set_index("jobcenter_id")
        parts[fig + ".num"] = pd.to_numeric(t["numerator"], errors="coerce")
        parts[fig + ".den"] = pd.to_numeric(t["denominator"], errors="coerce")
        parts[fig + ".val"] = pd.to_numeric(t["value"], errors="coerce")
    f = pd.DataFrame(parts)
    elb = f["K1E2.num"].where(f["K1E2.num"] > 0)
    out = pd.DataFrame(index=f.index)
    out["elb_level"] = elb.map(lambda x: math.log10(x) if pd.notna(x) else float("nan"))
    out["elb_trend"] = f["K1E2.val"]
    out["lzb_share"] = f["K3.num"] / elb * 100
    sp_den = f["K2.den"].where(f["K2.den"] > 0)
    out["single_parent_share"] = f["K2E4.den"] / sp_den * 100
    out.index.name = "jobcenter_id"
    return out


def neighbours(
    store: FigureStore,
    published: Published,
    info: dict[str, JobcenterInfo],
    jc: str,
    month: str,
    k: int = 5,
) -> pd.DataFrame:
    """The ``k`` job centers nearest to ``jc`` in ``month`` (jobcenter_id, name, vergleichstyp,
    same_type, distance, the features), nearest first; empty when ``jc`` has no features.
    A feature nobody has is left out; a job center lacking one of the others is not compared."""
    f = features(store, published, jc, month)
    f = f.dropna(axis=1, how="all").dropna(axis=0, how="any")
    cols = ["jobcenter_id", "name", "vergleichstyp", "same_type", "distance", *NEIGHBOUR_FEATURES]
    if jc not in f.index or len(f) < 2 or not len(f.columns):
        return pd.DataFrame(columns=cols)
    sd = f.std(ddof=0).replace(0, 1.0)
    z = (f - f.mean()) / sd
    dist = ((z - z.loc[jc]) ** 2).sum(axis=1) ** 0.5
    dist = dist.drop(jc)
    order = sorted(dist.index, key=lambda j: (round(float(dist[j]), 9), j))[:k]  # equal to 9 places: by id
    my_type = describe(info, jc).vergleichstyp
    rows = []
    for j in order:
        i = describe(info, j)
        rows.append(
            {
                "jobcenter_id": j,
                "name": i.name,
                "vergleichstyp": i.vergleichstyp,
                "same_type": my_type is not None and i.vergleichstyp == my_type,
                "distance": float(dist[j]),
                **{c: (float(f.loc[j, c]) if c in f.columns else None) for c in NEIGHBOUR_FEATURES},
            }
        )
    return pd.DataFrame(rows, columns=cols)
