"""State tables of the data-quality management (SQLAlchemy models on ``amip.state.models.Base``).

Registered through ``amip.state.migrations.registry``; the schema is created by migration 0004
(``amip/state/migrations/versions/0004_dqm.py``), which must stay identical to these models.

- ``dqm_runs``: one row per ``amip dqm run`` (when, which data month, counts).
- ``dqm_tasks``: one row per finding (rule + finding key), the task of the responsible IFK or
  team with its status. The finding key names the person and the day the defect refers to, so a
  finding produced again by a later run is the same task. This is the only state table holding
  pseudonymous person ids: the task list needs them.
- ``dqm_rates``: findings and persons in stock per rule, team and month of the latest run.
- ``notifications``: in-app messages to users (counts only, never person data).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from amip.state.models import Base, UTCDateTime, utcnow

# status of a task: the user-settable ones and the one only a run sets
OPEN, IN_PROGRESS, DONE, NO_ERROR, DONE_DATA = "offen", "in_bearbeitung", "erledigt", "kein_fehler", "erledigt_daten"
STATUSES = (OPEN, IN_PROGRESS, DONE, NO_ERROR, DONE_DATA)
ACTIVE = (OPEN, IN_PROGRESS)


class DqmRun(Base):
    __tablename__ = "dqm_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    data_month: Mapped[str] = mapped_column(String(7))  # last complete month of the data
    findings: Mapped[int] = mapped_column(Integer, default=0)
    new: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[int] = mapped_column(Integer, default=0)


class DqmTask(Base):
    __tablename__ = "dqm_tasks"
    __table_args__ = (
        UniqueConstraint("rule_id", "finding_key", name="uq_dqm_tasks_finding"),
        Index("ix_dqm_tasks_status", "status"),
        Index("ix_dqm_tasks_caseworker_id", "caseworker_id"),
        Index("ix_dqm_tasks_team_id", "team_id"),
        Index("ix_dqm_tasks_person_id", "person_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(8))
    finding_key: Mapped[str] = mapped_column(String(160))
    person_id: Mapped[str] = mapped_column(String(64))
    month: Mapped[str] = mapped_column(String(7))  # month the defect arose
    detail: Mapped[str | None] = mapped_column(Text)
    responsible: Mapped[str] = mapped_column(String(16))  # ifk | team | leistung
    caseworker_id: Mapped[str | None] = mapped_column(String(64))
    team_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=OPEN)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(64))
    first_run_id: Mapped[int] = mapped_column(Integer)
    last_run_id: Mapped[int] = mapped_column(Integer)  # last run that produced the finding


class DqmRate(Base):
    __tablename__ = "dqm_rates"
    __table_args__ = (UniqueConstraint("rule_id", "team_id", "month", name="uq_dqm_rates_cell"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(8))
    team_id: Mapped[str] = mapped_column(String(64))  # "-" for persons without a team
    month: Mapped[str] = mapped_column(String(7))
    findings: Mapped[int] = mapped_column(Integer)
    stock: Mapped[int] = mapped_column(Integer)  # persons in ELB stock at ST(month) in the team


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
