"""Demo content for intensive care: a finished cohort, so that the team and controlling views show
places, meetings and a cohort outcome on the demo data. ``amip demo`` calls it for the demo team
lead's team (``amip.demo.seed_cohort``) when intensive care has no places yet.

The cohort is taken as an IFK would have taken it: at the start of ``month`` each IFK of ``team``
takes the first ``per_ifk`` candidates of the own caseload (ranked by days left at the Stichtag
before), with one meeting a month (texts marked "Demo"). Audit entries name the user ``demo``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session, sessionmaker

from amip.figures.store import Scope
from amip.kennzahlen.calendar import parse_month, stichtag
from amip.worklists import intensive as ic


def seed_demo_cohort(
    src,
    sessions: sessionmaker[Session],
    *,
    team: str,
    month: str = "2022-06",
    per_ifk: int = 5,
    today: dt.date | None = None,
) -> int:
    """Create the demo cohort of ``team`` starting in ``month``; returns the number of places.
    ``src`` is the FigureStore (or a DuckDB connection with the warehouse attached as ``w``)."""
    m = parse_month(month)
    start = dt.date(m // 12, m % 12 + 1, 1)
    cands = ic.candidates(src, Scope("team", team), at=stichtag(m - 1))
    cands = cands[cands["caseworker"].notna()]
    chosen = cands.groupby("caseworker", sort=True).head(per_ifk)
    n = 0
    with sessions.begin() as db:
        taken = ic.all_person_ids(db)
        for row in chosen.to_dict("records"):
            if row["person_id"] in taken:
                continue
            place = ic.take(
                db,
                candidate=row,
                caseworker_id=row["caseworker"],
                user_name="demo",
                role="admin",
                today=start,
                places_spec=str(per_ifk),
            )
            for k in range(ic.PLACE_MONTHS):
                day = ic.add_months(start, k) + dt.timedelta(days=3)
                ic.record_meeting(
                    db,
                    place,
                    date=day,
                    situation="Demo: Lage besprochen",
                    agreed_steps=f"Demo: Schritte {k + 1}",
                    review_of_previous=None if k == 0 else "Demo: Schritte ausgewertet",
                    user_name="demo",
                    role="admin",
                )
            n += 1
        ic.close_expired(db, today or ic.today_of())
    return n
