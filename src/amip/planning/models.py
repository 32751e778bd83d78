"""State tables of this package (SQLAlchemy models on ``amip.state.models.Base``).

Registered through ``amip.state.migrations.registry``; the schema is created by migration 0002
(``amip/state/migrations/versions/0002_planning.py``; 0007 renamed the measure ``lzb_dec`` to
``lzb_jdw``), which must stay identical to these models.

A target plan (Zielplanung) belongs to a year, a job center and either the job center itself
(``team_id`` NULL: the job center's target) or one team (bottom-up plans). Every save makes a new
``version`` (1, 2, ...) of that plan, so the list of versions is the history of who changed what
and when. A version is ``draft`` until someone with the right marks it ``agreed``; an agreed
version is never changed again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from amip.state.models import Base, UTCDateTime, utcnow

SEXES = ("all", "m", "w")
MEASURES = ("integrations", "elb_jdw", "lzb_jdw")  # LZB: annual average (S6; migration 0007)
STATUSES = ("draft", "agreed")


class Plan(Base):
    """One version of the target plan of a job center (``team_id`` NULL) or of one of its teams."""

    __tablename__ = "plans"
    __table_args__ = (
        UniqueConstraint("year", "jobcenter_id", "team_id", "version", name="uq_plans_version"),
        # NULLs are distinct in a unique constraint: the job center's own plan needs a partial index.
        Index(
            "uq_plans_jobcenter_version",
            "year",
            "jobcenter_id",
            "version",
            unique=True,
            sqlite_where=text("team_id IS NULL"),
            postgresql_where=text("team_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    jobcenter_id: Mapped[str] = mapped_column(String(64))
    team_id: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))  # "manual" | "proposal" (filled from the forecast)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    agreed_by: Mapped[str | None] = mapped_column(String(64))
    agreed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str | None] = mapped_column(Text)

    values: Mapped[list[PlanValue]] = relationship(
        back_populates="plan",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="PlanValue.id",
    )

    def as_dict(self) -> dict[str, dict[str, float]]:
        """{sex: {measure: value}} of the values stored in this version."""
        out: dict[str, dict[str, float]] = {}
        for v in self.values:
            out.setdefault(v.sex, {})[v.measure] = v.value
        return out

    def __repr__(self) -> str:
        unit = self.team_id or "Jobcenter"
        return f"Plan({self.year}, {self.jobcenter_id}, {unit}, v{self.version}, {self.status})"


class PlanValue(Base):
    """One planned figure of a plan version: sex (all, m, w) x measure."""

    __tablename__ = "plan_values"
    __table_args__ = (UniqueConstraint("plan_id", "sex", "measure", name="uq_plan_values_entry"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    sex: Mapped[str] = mapped_column(String(3))
    measure: Mapped[str] = mapped_column(String(16))
    value: Mapped[float] = mapped_column(Float)

    plan: Mapped[Plan] = relationship(back_populates="values")
