"""Reconciliation: amip's figures beside the published ones (docs/comparison.md).

One row per job center, month, figure and sex found in either source, for the warehouse's home
job centers (the published file may hold all 405; only those amip computes are reconciled):

- ``equal``: numerator and denominator differ by at most :data:`COUNT_TOLERANCE` (0,5: published
  counts are whole numbers, a mean stock or a euro sum rounded to one) and the value by at most
  :data:`VALUE_TOLERANCE` (0,05 percentage points: published values have one decimal); a side
  empty in both sources is equal, a side empty in one only is a difference;
- ``different``: otherwise;
- ``only_amip`` / ``only_published``: the row (with any non-empty number) is in one source only.

amip's rows are the § 48a figures of the figure cache with a number in them (a month the data do
not cover gives amip's engine an empty row, which counts as absent); likewise a published row with
all three cells empty is nothing published. The ``explanation`` is a first
reading from amip's own data where one is found (German, for the page and the file): months not
covered, a value still provisional (the BA's Wartezeit), case events recorded after the Wartezeit,
persons who moved in from other job centers, values the BA imputes.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from amip import disclosure as dc
from amip import format as fmt
from amip.comparison.compare import JobcenterInfo, describe
from amip.figures.store import FigureStore
from amip.kennzahlen import FIGURE_IDS
from amip.kennzahlen.calendar import parse_month, stichtag
from amip.published.store import Published

COLUMNS = [
    "jobcenter_id",
    "month",
    "figure",
    "sex",
    "numerator",
    "denominator",
    "value",
    "published_numerator",
    "published_denominator",
    "published_value",
    "status",
    "explanation",
]
STATUSES = ("equal", "different", "only_amip", "only_published")
STATUS_LABELS = {
    "equal": "gleich",
    "different": "abweichend",
    "only_amip": "nur amip",
    "only_published": "nur veröffentlicht",
}
COUNT_TOLERANCE = 0.5
VALUE_TOLERANCE = 0.05
EPSILON = 1e-9  # floating-point slack on the tolerances
TOLERANCE_NOTE = (
    "Gleich heißt: Zähler und Nenner weichen um höchstens 0,5 ab (veröffentlichte Zahlen sind "
    "ganzzahlig gerundet) und der Wert um höchstens 0,05 Prozentpunkte (veröffentlicht mit einer "
    "Nachkommastelle)."
)
KEYS = ["jobcenter_id", "month", "figure", "sex"]
# Figures whose persons' durations or entries depend on spells at other job centers.
MOVE_SENSITIVE = ("K1E3", "K3", "K3E1", "K3E2", "K3E3", "K3E4")
WARTEZEIT = 3


def _close(a, b, tol: float) -> bool:
    a_missing, b_missing = fmt.is_missing(a), fmt.is_missing(b)
    if a_missing or b_missing:
        return a_missing and b_missing
    return abs(float(a) - float(b)) <= tol + EPSILON


def compare_row(r: dict) -> tuple[str, list[str]]:
    """Status of one merged row and the sides that differ (Zähler, Nenner, Wert)."""
    mine = any(not fmt.is_missing(r.get(k)) for k in ("numerator", "denominator", "value"))
    theirs = r.get("_published", False)
    if not theirs:
        return "only_amip", []
    if not mine:
        return "only_published", []
    off = [
        label
        for label, a, b, tol in (
            ("Zähler", r["numerator"], r["published_numerator"], COUNT_TOLERANCE),
            ("Nenner", r["denominator"], r["published_denominator"], COUNT_TOLERANCE),
            ("Wert", r["value"], r["published_value"], VALUE_TOLERANCE),
        )
        if not _close(a, b, tol)
    ]
    return ("different" if off else "equal"), off


def reconcile(
    store: FigureStore,
    published: Published,
    months: Iterable[str] | None = None,
    info: dict[str, JobcenterInfo] | None = None,
    policy: dc.Policy = dc.SHOW_ALL,
) -> pd.DataFrame:
    """The reconciliation table (:data:`COLUMNS`), sorted by job center, month, figure, sex.
    ``policy`` hides small person counts inside the explanations (the cockpit's viewers)."""
    wanted = None if months is None else set(months)
    ours = store.figures[
        store.figures["figure"].isin(FIGURE_IDS) & store.figures["jobcenter_id"].isin(store.jobcenters)
    ]
    ours = ours[ours[["numerator", "denominator", "value"]].notna().any(axis=1)][
        [*KEYS, "numerator", "denominator", "value"]
    ]
    theirs = published.figures[published.figures["jobcenter_id"].isin(store.jobcenters)]
    theirs = theirs[theirs[["numerator", "denominator", "value"]].notna().any(axis=1)]
    theirs = theirs[[*KEYS, "numerator", "denominator", "value"]].rename(
        columns={c: f"published_{c}" for c in ("numerator", "denominator", "value")}
    )
    if wanted is not None:
        ours = ours[ours["month"].isin(wanted)]
        theirs = theirs[theirs["month"].isin(wanted)]
    theirs = theirs.assign(_published=True)
    t = ours.merge(theirs, on=KEYS, how="outer")
    t["_published"] = t["_published"].eq(True)
    explain = Explainer(store, published, info or {}, policy)
    statuses, texts = [], []
    for r in t.to_dict("records"):
        status, off = compare_row(r)
        statuses.append(status)
        texts.append(explain(r, status, off))
    t["status"] = statuses
    t["explanation"] = texts
    t = t.sort_values(KEYS).reset_index(drop=True)
    for c in ("numerator", "denominator", "value", "published_numerator", "published_denominator", "published_value"):
        t[c] = pd.to_numeric(t[c], errors="coerce").astype("float64")
    return t[COLUMNS]


def summary(t: pd.DataFrame) -> dict[str, int]:
    """Rows per status (every status present, 0 where none)."""
    counts = t["status"].value_counts().to_dict()
    return {s: int(counts.get(s, 0)) for s in STATUSES}


class Explainer:
    """First explanations of a difference, from amip's own data (cached per job center and month)."""

    def __init__(self, store: FigureStore, published: Published, info: dict[str, JobcenterInfo], policy: dc.Policy):
        self.store = store
        self.published = published
        self.info = info
        self.policy = policy
        cov = store.meta.get("coverage") or [store.months[0] if store.months else None, store.latest]
        self.first, self.last = cov[0], cov[1]
        self.pub_months = {jc: set(t["month"]) for jc, t in published.figures.groupby("jobcenter_id")}
        self._moved: dict[tuple[str, str], int] = {}
        self._late: dict[tuple[str, str], int] = {}

    def __call__(self, r: dict, status: str, off: list[str]) -> str:
        jc, month, figure = r["jobcenter_id"], r["month"], r["figure"]
        if status == "equal":
            return ""
        if status == "only_published":
            skipped = self.store.skipped().get(figure)
            if skipped:
                return f"amip berechnet {figure} nicht: {skipped}"
            return (
                f"amip hat keinen Wert: die Kennzahl braucht Monate außerhalb der Datenabdeckung "
                f"({_m(self.first)} bis {_m(self.last)})"
            )
        if status == "only_amip":
            if month in self.pub_months.get(jc, set()):
                return "in der Veröffentlichung für diesen Monat fehlt diese Zeile"
            return "Monat nicht veröffentlicht (keine veröffentlichten Zahlen des Jobcenters für diesen Monat)"
        reasons = [" und ".join(off) + " weich" + ("t" if len(off) == 1 else "en") + " ab"]
        if self.last is not None and parse_month(self.last) < parse_month(month) + WARTEZEIT:
            reasons.append(
                f"amips Wert ist vorläufig: die Daten reichen bis {_m(self.last)}, vor dem Ende der "
                f"Wartezeit von drei Monaten; später erfasste Daten fehlen noch"
            )
        late = self.late_recordings(jc, month)
        if late:
            reasons.append(
                f"{self._count(late)} Fallereignisse der zwölf Monate bis {_m(month)} wurden erst nach der "
                "Wartezeit erfasst; die BA zählt sie nicht"
            )
        if figure in MOVE_SENSITIVE:
            moved = self.moved_in(jc, month)
            if moved:
                reasons.append(
                    f"{self._count(moved)} Personen im ELB-Bestand {_m(month)} waren vorher bei einem anderen "
                    "Jobcenter (Zuzüge): ihre frühere Bezugsdauer kennt amip nur, soweit der Extrakt sie enthält"
                )
        if fmt.is_missing(r.get("published_numerator")) and fmt.is_missing(r.get("published_denominator")):
            reasons.append("veröffentlicht ohne Zähler und Nenner: der Wert ist vermutlich von der BA geschätzt")
        elif describe(self.info, jc).kind == "zkT":
            reasons.append(
                "zugelassener kommunaler Träger: die BA schätzt (imputiert) fehlende oder unplausible Meldungen"
            )
        return "; ".join(reasons)

    def _count(self, n: int) -> str:
        if self.policy.suppress and dc.small(n):
            return "weniger als 3"
        return fmt.number(n, 0)

    def moved_in(self, jc: str, month: str) -> int:
        """Persons in ``jc``'s ELB stock at ST(month) with an earlier ELB spell at another job center."""
        key = (jc, month)
        if key not in self._moved:
            st = stichtag(parse_month(month)).isoformat()
            con = self.store.connect()
            try:
                row = con.execute(
                    """
                    SELECT count(DISTINCT s.person_id) FROM elb_spells s
                    WHERE s.jobcenter_id = $jc AND s.start_date <= $st::DATE
                      AND (s.end_date IS NULL OR s.end_date >= $st::DATE)
                      AND EXISTS (SELECT 1 FROM elb_spells o WHERE o.person_id = s.person_id
                                  AND o.jobcenter_id <> $jc AND o.start_date <= $st::DATE)
                    """,
                    {"jc": jc, "st": st},
                ).fetchone()
            finally:
                con.close()
            self._moved[key] = int(row[0]) if row else 0
        return self._moved[key]

    def late_recordings(self, jc: str, month: str) -> int:
        """Case events of ``jc``'s persons in the twelve months up to ``month`` recorded after the
        Wartezeit (later than ST(month + 3)); 0 without ``case_events``."""
        if "case_events" not in self.store.warehouse_tables:
            return 0
        key = (jc, month)
        if key not in self._late:
            m = parse_month(month)
            first_day = stichtag(m - 12).isoformat()  # the day before the window's first month
            last_day = stichtag(m).isoformat()
            deadline = stichtag(m + WARTEZEIT).isoformat()
            con = self.store.connect()
            try:
                row = con.execute(
                    """
                    SELECT count(*) FROM case_events e
                    WHERE e.event_date > $first::DATE AND e.event_date <= $last::DATE
                      AND e.recorded_date > $deadline::DATE
                      AND EXISTS (SELECT 1 FROM elb_spells s WHERE s.person_id = e.person_id AND s.jobcenter_id = $jc
                                  AND s.start_date <= e.event_date
                                  AND (s.end_date IS NULL OR s.end_date >= e.event_date))
                    """,
                    {"jc": jc, "first": first_day, "last": last_day, "deadline": deadline},
                ).fetchone()
            finally:
                con.close()
            self._late[key] = int(row[0]) if row else 0
        return self._late[key]


def _m(month: str | None) -> str:
    if not month:
        return "–"
    return fmt.month(month)  # 12/2022, as the BA's tables write it
