"""State tables of this package (SQLAlchemy models on ``amip.state.models.Base``).

Registered through ``amip.state.migrations.registry``; the schema is created by migration 0005
(``amip/state/migrations/versions/0005_report_texts.py``), which must stay identical to these models.

``report_texts`` holds the job center's own editorial Markdown of one chapter of the
Arbeitsmarkt- und Integrationsprogramm for one year (the package's default text applies where no
row exists). Every change is also written to the audit log by the caller.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from amip.state.models import Base, UTCDateTime, utcnow


class ReportText(Base):
    """The edited Markdown of one chapter for (year, job center)."""

    __tablename__ = "report_texts"
    __table_args__ = (UniqueConstraint("year", "jobcenter_id", "chapter", name="uq_report_texts_chapter"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    jobcenter_id: Mapped[str] = mapped_column(String(64))
    chapter: Mapped[str] = mapped_column(String(64))
    markdown: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
