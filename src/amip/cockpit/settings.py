"""Cockpit settings, from ``AMIP_*`` environment variables (defaults in brackets).

- ``AMIP_DB``: the warehouse file [./amip.duckdb]; ``amip serve --db`` overrides it.
- ``AMIP_STATE_DB``: SQLAlchemy URL of the state database (users, sessions, audit log)
  [SQLite beside the warehouse: ``<warehouse stem>.state.sqlite``]. PostgreSQL in production.
- ``AMIP_SECURE_COOKIES``: ``1`` to mark cookies Secure and send HSTS (behind TLS) [Secure also when
  the request is HTTPS].
- ``AMIP_SESSION_HOURS``: absolute session lifetime [8]; ``AMIP_IDLE_MINUTES``: idle timeout [60].
- ``AMIP_LOCKOUT_ATTEMPTS`` / ``AMIP_LOCKOUT_MINUTES``: wrong old passwords on the password-change
  form, see :mod:`amip.state.users`; failed logins are throttled per name and source address
  (:mod:`amip.state.login`).
- ``AMIP_THREADS``: requests handled at once by the thread pool [32] (per worker process).
- ``AMIP_WORKER_HEADER``: ``1`` to name the answering worker process in a response header
  (``X-Amip-Worker``; tests and diagnosis of ``amip serve --workers N``) [off].
- ``AMIP_SMTP_HOST`` [unset: no e-mail], ``AMIP_SMTP_PORT`` [25], ``AMIP_SMTP_USER``, ``AMIP_SMTP_PASSWORD``,
  ``AMIP_SMTP_FROM``, ``AMIP_SMTP_STARTTLS``, ``AMIP_BASE_URL``: e-mail for data-quality notices, read by
  :class:`amip.dqm.notify.SmtpSettings` when ``amip dqm run`` sends them.
- ``AMIP_INTENSIVE_PLACES``: intensive-care places per IFK and year, ``5`` or ``2020:2,2022:5``
  [``2020:2,2022:5``; a year takes the value of the latest listed year before it, else 5].
- ``AMIP_TODAY``: "today" for meeting reminders and the places of the year: a fixed date (YYYY-MM-DD),
  or ``data`` for the data's Datenstand (``amip demo`` sets it) [the real date in Berlin]; data
  pages always use the Datenstand (amip.format.today, docs/formats.md).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from amip.state.db import state_url
from amip.warehouse.store import default_db


@dataclass(frozen=True)
class Settings:
    warehouse: Path
    state_url: str
    secure_cookies: bool = False
    session_hours: float = 8.0
    idle_minutes: float = 60.0
    intensive_places: str = "2020:2,2022:5"  # parsed by amip.worklists.intensive.places_per_year
    today: str | None = None  # AMIP_TODAY: fixed date or 'data' for reminders, else the real clock

    @classmethod
    def from_env(cls, warehouse: Path | None = None) -> Settings:
        wh = Path(warehouse) if warehouse else default_db()
        return cls(
            warehouse=wh,
            state_url=state_url(wh),
            secure_cookies=os.environ.get("AMIP_SECURE_COOKIES", "") in ("1", "true", "yes"),
            session_hours=float(os.environ.get("AMIP_SESSION_HOURS", "8")),
            idle_minutes=float(os.environ.get("AMIP_IDLE_MINUTES", "60")),
            intensive_places=os.environ.get("AMIP_INTENSIVE_PLACES", "2020:2,2022:5"),
            today=os.environ.get("AMIP_TODAY") or None,
        )
