"""Small-number suppression: the one place that decides which aggregate cells are not shown.

The rule (docs/security.md, "Small numbers and DQM tasks"), after the Statistik der BA, which publishes no count below 3
and no value from which one can be derived:

- **primary**: a count with 0 < n < 3 (1 or 2 persons; also a mean stock such as 1,5) is not shown;
  0 is shown (an empty group identifies nobody, the BA shows it too);
- **derived**: a value computed from a suppressed count (a rate, a quota, a share) is not shown;
- **secondary**: in a breakdown whose parts add up to a shown total (teams of a job center, offices),
  if exactly one part of a count column is suppressed, the next-smallest part is suppressed too, so
  the hidden one cannot be got as total minus the others. With two or more suppressed parts only
  their sum can be derived, which is at least 2 persons spread over two units; that is accepted.

Who is subject to it is decided by the caller (``amip.cockpit.access.disclosure``): a
:class:`Policy` that either shows everything (the viewer may see the persons) or suppresses, with
the units whose persons the viewer may see exempt. A suppressed cell holds :data:`SUPPRESSED`, a
``str`` subclass whose text is ``*``: CSV and XLSX writers put it out as the text ``*``, the
display helpers (:func:`display`) show ``*``, and :func:`api_value` gives ``None`` for JSON.

It imports only amip.format (the base layer, as is this module): every layer may use it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from amip.format import as_number

THRESHOLD = 3
MARK = "*"
NOTE = "Werte unter 3 werden aus Datenschutzgründen nicht ausgewiesen."


class Suppressed(str):
    """The value of a suppressed cell (text ``*``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "SUPPRESSED"


SUPPRESSED = Suppressed(MARK)


def is_suppressed(v) -> bool:
    return isinstance(v, Suppressed)


def small(v) -> bool:
    """True for a count that must not be shown: more than 0 and less than :data:`THRESHOLD`."""
    f = as_number(v)
    return f is not None and 0 < abs(f) < THRESHOLD


@dataclass(frozen=True)
class Policy:
    """``suppress=False``: the viewer sees every number. Otherwise small counts are suppressed,
    except in the rows of units listed in ``visible`` (unit kind -> unit names)."""

    suppress: bool = True
    visible: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @property
    def key(self) -> tuple:
        """What distinguishes two policies (for caches of rendered pages)."""
        return (self.suppress, tuple(sorted((k, tuple(sorted(v))) for k, v in self.visible.items())))

    def sees(self, kind: str | None, unit) -> bool:
        """May the viewer see the unsuppressed numbers of ``unit`` (of kind ``kind``)?"""
        return not self.suppress or (kind is not None and unit in self.visible.get(kind, frozenset()))

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other) -> bool:
        return isinstance(other, Policy) and self.key == other.key


SHOW_ALL = Policy(suppress=False)
SUPPRESS = Policy(suppress=True)


def suppress_rows(
    rows: Sequence[dict],
    policy: Policy,
    counts: Sequence[str],
    derived: Mapping[str, Sequence[str]] | None = None,
    *,
    unit: str | None = None,
    kind: str | None = None,
    within: Sequence[str] = (),
    secondary: bool = True,
    counts_of: Callable[[dict], Mapping[str, float | None]] | None = None,
) -> list[dict]:
    """Copies of ``rows`` with suppressed cells set to :data:`SUPPRESSED`.

    ``counts``: the count columns (primary and secondary rule); ``derived``: column -> the count
    columns it is computed from. ``unit``/``kind``: the column naming the unit of a row and its
    kind, for the policy's exemptions; ``secondary``: the rows are parts of a total (a breakdown),
    taken separately per combination of the columns in ``within`` (e.g. one breakdown per target
    group). ``counts_of``: hidden counts behind a row that are not columns of it (name -> value),
    e.g. the number of integrated persons behind a share; a small one suppresses the derived
    columns that name it."""
    out = [dict(r) for r in rows]
    if not policy.suppress:
        return out
    exempt = [unit is not None and policy.sees(kind, r.get(unit)) for r in out]
    hidden_extra = [counts_of(r) if counts_of else {} for r in rows]
    groups: dict[tuple, list[int]] = {}
    for i, r in enumerate(out):
        groups.setdefault(tuple(r.get(c) for c in within), []).append(i)
    for col in counts:
        marked: set[int] = set()
        for members in groups.values():
            primary = [i for i in members if not exempt[i] and small(out[i].get(col))]
            marked.update(primary)
            if secondary and len(primary) == 1:
                marked.update(_next_smallest(out, members, col, primary, exempt))
        for i in marked:
            out[i][col] = SUPPRESSED
    for target, sources in (derived or {}).items():
        for i, r in enumerate(out):
            if exempt[i]:
                continue
            if any(is_suppressed(r.get(s)) or small(hidden_extra[i].get(s)) for s in sources):
                r[target] = SUPPRESSED
    return out


def _next_smallest(rows, members, col, primary, exempt) -> list[int]:
    """The part to suppress beside a single suppressed one: the smallest positive shown count of a
    non-exempt row (else the smallest shown one, e.g. a 0), none if there is no such row."""
    cand = [
        (v, i)
        for i in members
        if i not in primary and not exempt[i]
        for v in [as_number(rows[i].get(col))]
        if v is not None
    ]
    positive = [c for c in cand if c[0] > 0]
    pick = min(positive or cand, default=None)
    return [] if pick is None else [pick[1]]


def suppress_cells(
    cells: Mapping[tuple, float | None],
    lines: Iterable[Sequence[tuple]],
    policy: Policy,
    *,
    exempt: Iterable[tuple] = (),
    fixed: Iterable[tuple] = (),
) -> set[tuple]:
    """The cells of a table with several additive relations to hide (primary and secondary rule).

    ``cells``: key -> count; ``lines``: groups of keys bound by one sum (e.g. the teams and the
    job center's total of one sex; a team's women, men, diverse and all), so that one hidden cell
    of a line could be computed from the others. Secondary cells are added until no line has
    exactly one hidden cell (or no cell is left to add). ``exempt``: cells the viewer may see
    (never hidden); ``fixed``: cells never chosen as secondary (the job center's totals). A cell
    without a value counts as known to the viewer (conservative)."""
    if not policy.suppress:
        return set()
    exempt, fixed = set(exempt), set(fixed)
    hidden = {k for k, v in cells.items() if k not in exempt and small(v)}
    lines = [list(line) for line in lines]
    changed = True
    while changed:
        changed = False
        for line in lines:
            inside = [k for k in line if k in hidden]
            if len(inside) != 1:
                continue
            cand = [
                (v, k)
                for k in line
                if k not in hidden and k not in exempt and k not in fixed
                for v in [as_number(cells.get(k))]
                if v is not None
            ]
            positive = [c for c in cand if c[0] > 0]
            pick = min(positive or cand, default=None, key=lambda c: (c[0], str(c[1])))
            if pick is not None:
                hidden.add(pick[1])
                changed = True
    return hidden


def suppress_value(
    v: Mapping | None,
    policy: Policy,
    counts: Iterable[str] = ("numerator", "denominator"),
    derived: Mapping[str, Sequence[str]] | None = None,
) -> dict | None:
    """One total (a dict such as ``{numerator, denominator, value}``) under the primary and derived
    rule (a total has no siblings to derive it from, so no secondary rule)."""
    if v is None:
        return None
    derived = {"value": ("numerator", "denominator")} if derived is None else derived
    return suppress_rows([dict(v)], policy, list(counts), derived, secondary=False)[0]


def any_suppressed(rows: Iterable[Mapping]) -> bool:
    return any(is_suppressed(x) for r in rows for x in r.values())


def api_value(v) -> float | None:
    """A cell for JSON: ``None`` for a suppressed cell, NaN and missing values."""
    if is_suppressed(v):
        return None
    return as_number(v)


def display(v: Any, formatter: Callable[[Any], str]) -> str:
    """``*`` for a suppressed value, else ``formatter(v)`` (for templates and table cells; ``v`` is
    passed on as it is, so ``formatter`` takes whatever the caller's cells hold)."""
    return MARK if is_suppressed(v) else formatter(v)
