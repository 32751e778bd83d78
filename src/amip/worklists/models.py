"""State tables of this package (SQLAlchemy models on ``amip.state.models.Base``).

Registered through ``amip.state.migrations.registry``; the schema is created by migration 0003
(``amip/state/migrations/versions/0003_intensive_care.py``), which must stay identical to these
models.

An ``IntensivePlace`` is one customer taken into intensive care (Intensivbetreuung) by one
integration specialist (IFK) for six months; ``IntensiveMeeting`` the monthly meeting records of a
place. ``person_id`` is the pseudonymous id of the warehouse, needed to link the place to the data
(prognosis, integrations); it never appears in a URL, a log line or the audit log.
"""

from __future__ import annotations

import datetime as dt
from datetime import datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from amip.state.models import Base, UTCDateTime, utcnow

STATUSES = ("active", "finished", "ended_early")


class IntensivePlace(Base):
    """One customer in intensive care with one IFK, from ``start_date`` for six months."""

    __tablename__ = "intensive_places"
    __table_args__ = (
        Index("ix_intensive_places_caseworker", "jobcenter_id", "caseworker_id", "start_date"),
        Index("ix_intensive_places_person", "jobcenter_id", "person_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    jobcenter_id: Mapped[str] = mapped_column(String(64))
    caseworker_id: Mapped[str] = mapped_column(String(64))
    team_id: Mapped[str | None] = mapped_column(String(64))
    person_id: Mapped[str] = mapped_column(String(64))
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    taken_by: Mapped[str] = mapped_column(String(64))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="active")
    # Outcome as the IFK records it (the data-side outcome is computed from the warehouse).
    integrated_on: Mapped[dt.date | None] = mapped_column(Date)
    further_support_needed: Mapped[bool | None] = mapped_column(Boolean)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(Text)

    meetings: Mapped[list[IntensiveMeeting]] = relationship(
        back_populates="place",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="(IntensiveMeeting.date, IntensiveMeeting.id)",
    )

    def __repr__(self) -> str:  # no person id in a repr: it could end up in a log
        return f"IntensivePlace(id={self.id}, {self.caseworker_id}, {self.start_date}, {self.status})"


class IntensiveMeeting(Base):
    """One monthly meeting of a place: situation, agreed steps, review of the steps agreed last time."""

    __tablename__ = "intensive_meetings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("intensive_places.id", ondelete="CASCADE"), index=True)
    date: Mapped[dt.date] = mapped_column(Date)
    situation: Mapped[str] = mapped_column(Text)
    agreed_steps: Mapped[str] = mapped_column(Text)
    review_of_previous: Mapped[str | None] = mapped_column(Text)
    integrated: Mapped[bool] = mapped_column(Boolean, default=False)
    further_support_needed: Mapped[bool | None] = mapped_column(Boolean)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    place: Mapped[IntensivePlace] = relationship(back_populates="meetings")

    def __repr__(self) -> str:
        return f"IntensiveMeeting(place={self.place_id}, {self.date})"
