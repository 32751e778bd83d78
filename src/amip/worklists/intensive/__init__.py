"""Intensive care (Intensivbetreuung): candidates, places, meetings, reminders, team status, cohorts.

The programme (AMIP 2022, "Operational programmes" in seed-facts.md): each integration specialist
(IFK) takes N customers threatened by long-term benefit receipt (LZB) into intensive care for six
months (N = 5 in 2022, 2 in 2020); monthly meetings whose agreed steps are reviewed at the next
contact; after an integration into insured employment, further support is checked.

One module per concern, lowest first (each imports only those before it):

- ``settings``: the programme's numbers, places per IFK and year, dates, ``Dur`` bands, ``IntensiveError``;
- ``warehouse``: the SQL helpers over the warehouse and T, "today" for the data;
- ``candidates``: who is a candidate (the closed-form LZB day, one SQL query), form tokens;
- ``places``: taking places, meetings, reminders, ending places, the team status (state database);
- ``outcomes``: finished cohorts against a matched comparison.

Callers import the package (``from amip.worklists import intensive as ic``); every public name is
re-exported here.
"""

from __future__ import annotations

from amip.worklists.intensive.candidates import candidates, profiles, token_of
from amip.worklists.intensive.outcomes import CAVEAT, cohort_outcomes
from amip.worklists.intensive.places import (
    Reminder,
    active_person_ids,
    all_person_ids,
    caseworkers,
    close_expired,
    data_integration,
    end_place,
    meetings_on_time,
    next_due,
    place_of,
    places_of,
    record_meeting,
    reminder,
    take,
    taken_in_year,
    team_status,
)
from amip.worklists.intensive.settings import (
    DEFAULT_PLACES,
    DEFAULT_PLACES_SPEC,
    DUR_BANDS,
    GRACE_DAYS,
    HORIZON_DAYS,
    INTEGRATION_KINDS,
    PLACE_MONTHS,
    SOON_DAYS,
    THRESHOLD_DAYS,
    WINDOW_DAYS,
    IntensiveError,
    add_months,
    band,
    places_for,
    places_per_year,
    today_of,
)
from amip.worklists.intensive.warehouse import data_today
from amip.worklists.models import IntensiveMeeting, IntensivePlace

__all__ = [
    # settings and dates
    "DEFAULT_PLACES",
    "DEFAULT_PLACES_SPEC",
    "DUR_BANDS",
    "GRACE_DAYS",
    "HORIZON_DAYS",
    "INTEGRATION_KINDS",
    "PLACE_MONTHS",
    "SOON_DAYS",
    "THRESHOLD_DAYS",
    "WINDOW_DAYS",
    "IntensiveError",
    "add_months",
    "band",
    "places_for",
    "places_per_year",
    "today_of",
    # warehouse
    "data_today",
    # candidates
    "candidates",
    "profiles",
    "token_of",
    # places, meetings, reminders, team status
    "Reminder",
    "active_person_ids",
    "all_person_ids",
    "caseworkers",
    "close_expired",
    "data_integration",
    "end_place",
    "meetings_on_time",
    "next_due",
    "place_of",
    "places_of",
    "record_meeting",
    "reminder",
    "take",
    "taken_in_year",
    "team_status",
    # outcomes
    "CAVEAT",
    "cohort_outcomes",
    # the state models the functions take and return (importable from here as before the split)
    "IntensiveMeeting",
    "IntensivePlace",
]
