"""Customers who moved in from another job center: their earlier ELB spell there.

A job center's extract holds its customers' receipt at other job centers too, because the LZB
duration counts receipt "at any job center" (kennzahlen.md). For a ``moved_in_share`` of the
persons whose first spell in the written window starts inside it, an ELB spell at the job center
``from_jobcenter_id`` is added before that first spell: 60–540 days long, ending the day before
(a clean change of responsibility) or, for an ``overlap_share`` of them, 1–45 days after the new
spell started (the old job center closed the case late: a DQM finding DQ06). Those spells carry
the household and single-parent flag of the first spell; the other job center's benefits are not
in the extract, which is what makes it a "foreign" job center (amip.warehouse.jobcenters).

Chosen from stable per-person numbers (no draws from the seed's generator, so every other table of
a seed stays as it was).
"""

from __future__ import annotations

import numpy as np

MIN_DAYS, SPAN_DAYS = 60, 481  # length of the earlier spell: 60..540 days
MAX_OVERLAP = 45  # days the old spell runs on after the move (overlap cases)


def _unit(x: np.ndarray, a: float, b: float) -> np.ndarray:
    """A deterministic number in [0, 1) per element (golden-ratio style sequence)."""
    return (x * a + b) % 1.0


def earlier_spells(
    params: dict, s_person: np.ndarray, s_bg: np.ndarray, s_start: np.ndarray, s_sp: np.ndarray, lo: int
):
    """(person, bg, start, end, single_parent, jobcenter_id) of the added spells (epoch days; no
    open ends), or None when the preset has no moves."""
    cfg = params.get("moves") or {}
    share = float(cfg.get("moved_in_share", 0.0))
    if share <= 0 or s_person.size == 0:
        return None
    order = np.lexsort((s_start, s_person))
    p, start = s_person[order], s_start[order]
    first = np.ones(p.size, bool)
    first[1:] = p[1:] != p[:-1]
    idx = order[first]
    person, entry = s_person[idx], s_start[idx]
    pick = (entry > lo + MIN_DAYS) & (_unit(person, 0.754_877_666, 0.137) < share)
    person, entry, bg, sp = person[pick], entry[pick], s_bg[idx][pick], s_sp[idx][pick]
    length = MIN_DAYS + (_unit(person, 0.569_840_291, 0.291) * SPAN_DAYS).astype(np.int64)
    overlap = _unit(person, 0.381_966_011, 0.613) < float(cfg.get("overlap_share", 0.0))
    late = 1 + (_unit(person, 0.236_067_977, 0.457) * MAX_OVERLAP).astype(np.int64)
    start = np.maximum(entry - length, lo)
    end = np.where(overlap, entry + late - 1, entry - 1)
    return person, bg, start, end, sp, str(cfg["from_jobcenter_id"])
