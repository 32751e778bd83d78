"""The published files as contract declarations (``shared/spec/data-contract.md``).

A published-figures file has the contract's *output* columns (``jobcenter_id, month, figure, sex,
numerator, denominator, value``); the figure codes are the engine's, which sit in a layer above
this package, so the caller passes them in (:func:`figures_table`). The ``jobcenters`` table is the
contract's optional table; when the microdata contract declares it (``contract.schema.TABLES``),
that declaration is used, so both imports check the same rules.
"""

from __future__ import annotations

from collections.abc import Sequence

from amip.contract.schema import TABLES_BY_NAME, Column, Table

SEX_CODES = ("all", "m", "w")
KIND_CODES = ("gE", "zkT")
FIGURE_COLUMNS = ("jobcenter_id", "month", "figure", "sex", "numerator", "denominator", "value")
JOBCENTER_COLUMNS = ("jobcenter_id", "name", "land", "kind", "vergleichstyp")

# Used only while the microdata contract has no ``jobcenters`` table of its own.
_JOBCENTERS = Table(
    "jobcenters",
    (
        Column("jobcenter_id", "string"),
        Column("name", "string"),
        Column("land", "string"),
        Column("kind", "string", codes=KIND_CODES),
        Column("vergleichstyp", "string", nullable=True),
    ),
    key=("jobcenter_id",),
    description="names and comparison groups",
)


def jobcenters_table() -> Table:
    """The ``jobcenters`` declaration: the microdata contract's when it has one, else ours."""
    return TABLES_BY_NAME.get("jobcenters", _JOBCENTERS)


def figures_table(figure_codes: Sequence[str]) -> Table:
    """The published-figures declaration with the engine's ``figure_codes`` as the allowed codes.
    One row per (jobcenter_id, month, figure, sex); numerator, denominator and value may be
    empty (the BMAS leaves a cell empty where it publishes nothing)."""
    return Table(
        "published",
        (
            Column("jobcenter_id", "string"),
            Column("month", "month"),
            Column("figure", "string", codes=tuple(figure_codes)),
            Column("sex", "string", codes=SEX_CODES),
            Column("numerator", "decimal", nullable=True),
            Column("denominator", "decimal", nullable=True),
            Column("value", "decimal", nullable=True),
        ),
        key=("jobcenter_id", "month", "figure", "sex"),
        description="the § 48a figures as published",
    )
