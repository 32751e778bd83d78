"""Planning: the LZB target is an annual average (JDW, steering figure S6), not the December stock.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

The measure ``lzb_dec`` of ``plan_values`` becomes ``lzb_jdw``. Stored values are kept as they are:
the planned LZB figures of the programmes were always annual averages (the 2022 programme's
"Plan 2022 3.031" against "Ist 2021 3.256", an annual average), so only the name was wrong.
The check constraint on ``measure`` is recreated with the new list (batch mode, for SQLite).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD = ("integrations", "elb_jdw", "lzb_dec")
_NEW = ("integrations", "elb_jdw", "lzb_jdw")


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _switch(before: Sequence[str], after: Sequence[str], old: str, new: str) -> None:
    with op.batch_alter_table("plan_values") as batch:
        batch.drop_constraint("ck_plan_values_measure", type_="check")
    op.execute(sa.text("UPDATE plan_values SET measure = :new WHERE measure = :old").bindparams(new=new, old=old))
    with op.batch_alter_table("plan_values") as batch:
        batch.create_check_constraint("ck_plan_values_measure", _in("measure", after))


def upgrade() -> None:
    _switch(_OLD, _NEW, "lzb_dec", "lzb_jdw")


def downgrade() -> None:
    _switch(_NEW, _OLD, "lzb_jdw", "lzb_dec")
