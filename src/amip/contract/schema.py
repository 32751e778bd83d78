"""The data contract (``shared/spec/data-contract.md``) as data.

Every table, column, type, code list, key and reference of the contract is declared here once.
The importer derives its validation rules from these declarations, the engine reads the typed
tables they describe, and the synthetic generator writes them. Changing a name here is a breaking
change of the contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import pyarrow as pa
import pyarrow.csv as pacsv

# Column types of the contract and the DuckDB type each becomes in the warehouse.
SQL_TYPES = {
    "string": "VARCHAR",
    "date": "DATE",
    "month": "VARCHAR",  # stored as 'YYYY-MM', validated
    "bool": "BOOLEAN",
    "decimal": "DOUBLE",
    "int": "BIGINT",
}

SEX_CODES = ("m", "w", "d")
EMPLOYMENT_KINDS = ("svb", "ausbildung", "selbst", "gb")
INTEGRATION_KINDS = ("svb", "ausbildung", "selbst")
BENEFIT_TYPES = ("RB", "SG", "MB", "EL", "KDU", "KDU_SONST")
LLU_TYPES = ("RB", "SG", "MB", "EL")
LUH_TYPES = ("KDU", "KDU_SONST")
PROGNOSIS_CODES = ("marktnah", "nicht_marktnah", "integriert", "nicht_erforderlich", "fehlt")
PROPOSAL_OUTCOMES = ("eingestellt", "abgelehnt", "offen")
BUDGET_TITLES = ("VK", "EGL")
BUDGET_KINDS = ("zuteilung", "schaetzung", "plan")
CASE_EVENT_TYPES = ("aenderung", "unterbrechung", "abschluss", "integration")
JOBCENTER_KINDS = ("gE", "zkT")  # gemeinsame Einrichtung, zugelassener kommunaler Träger


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool = False
    optional: bool = False  # the column may be absent from the file
    codes: tuple[str, ...] | None = None
    non_negative: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    required: bool = False
    needed_for: str = ""
    key: tuple[str, ...] = ()
    person_ref: bool = False  # person_id must exist in persons
    intervals: tuple[tuple[str, str], ...] = ()  # (start, end) pairs with end >= start
    instrument_ref: str | None = None  # column whose codes come from instruments.csv
    description: str = ""
    extra_checks: tuple[str, ...] = field(default=())

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _c(name: str, type_: str, **kw) -> Column:
    return Column(name, type_, **kw)


TABLES: tuple[Table, ...] = (
    Table(
        "dataset",
        (
            _c("first_month", "month"),
            _c("last_month", "month"),
            _c("as_of", "date", nullable=True, optional=True),  # the Datenstand; default ST(last_month) + 1
        ),
        required=True,
        description="the months this data set is complete for",
        extra_checks=("one_row", "month_order"),
    ),
    Table(
        "persons",
        (
            _c("person_id", "string"),
            _c("sex", "string", codes=SEX_CODES),
            _c("birth_date", "date"),
            _c("severely_disabled", "bool", nullable=True, optional=True),
            _c("refugee", "bool", nullable=True, optional=True),
            _c("vocational_qualification", "bool", nullable=True, optional=True),
        ),
        required=True,
        key=("person_id",),
    ),
    Table(
        "elb_spells",
        (
            _c("person_id", "string"),
            _c("jobcenter_id", "string"),
            _c("bg_id", "string"),
            _c("start_date", "date"),
            _c("end_date", "date", nullable=True),
            _c("single_parent", "bool"),
        ),
        required=True,
        person_ref=True,
        intervals=(("start_date", "end_date"),),
    ),
    Table(
        "benefits",
        (
            _c("jobcenter_id", "string"),
            _c("bg_id", "string"),
            _c("month", "month"),
            _c("benefit_type", "string", codes=BENEFIT_TYPES),
            _c("amount_eur", "decimal", non_negative=True),
        ),
        needed_for="K1, K1E1",
        key=("jobcenter_id", "bg_id", "month", "benefit_type"),
    ),
    Table(
        "employment_spells",
        (
            _c("person_id", "string"),
            _c("kind", "string", codes=EMPLOYMENT_KINDS),
            _c("start_date", "date"),
            _c("end_date", "date", nullable=True),
            _c("accompanied", "bool"),
            _c("gross_eur", "decimal", nullable=True, optional=True, non_negative=True),
        ),
        needed_for="K2, K2E1, K2E3, K2E4, K3E1",
        person_ref=True,
        intervals=(("start_date", "end_date"),),
    ),
    Table(
        "measures",
        (
            _c("person_id", "string"),
            _c("jobcenter_id", "string"),
            _c("instrument", "string"),
            _c("start_date", "date"),
            _c("end_date", "date", nullable=True),
            _c("cost_eur", "decimal", nullable=True, non_negative=True),
        ),
        needed_for="K2E2, K3E2",
        person_ref=True,
        intervals=(("start_date", "end_date"),),
        instrument_ref="instrument",
    ),
    Table(
        "caseload",
        (
            _c("person_id", "string"),
            _c("caseworker_id", "string"),
            _c("team_id", "string"),
            _c("office", "string"),
            _c("start_date", "date"),
            _c("end_date", "date", nullable=True),
        ),
        person_ref=True,
        intervals=(("start_date", "end_date"),),
    ),
    Table(
        "prognosis",
        (
            _c("person_id", "string"),
            _c("valid_from", "date"),
            _c("code", "string", codes=PROGNOSIS_CODES),
            _c("integration_goal", "bool"),
        ),
        person_ref=True,
        key=("person_id", "valid_from"),
    ),
    Table(
        "proposals",
        (
            _c("proposal_id", "string"),
            _c("person_id", "string"),
            _c("date", "date"),
            _c("employer_size", "int", nullable=True, non_negative=True),
            _c("staffing_agency", "bool"),
            _c("outcome", "string", codes=PROPOSAL_OUTCOMES),
        ),
        person_ref=True,
        key=("proposal_id",),
    ),
    Table(
        "budget",
        (
            _c("jobcenter_id", "string"),
            _c("year", "int"),
            _c("title", "string", codes=BUDGET_TITLES),
            _c("kind", "string", codes=BUDGET_KINDS),
            _c("instrument", "string", nullable=True),
            _c("amount_eur", "decimal", non_negative=True),
        ),
        key=("jobcenter_id", "year", "title", "kind", "instrument"),
        instrument_ref="instrument",
    ),
    Table(
        "case_events",
        (
            _c("person_id", "string"),
            _c("event_type", "string", codes=CASE_EVENT_TYPES),
            _c("event_date", "date"),
            _c("recorded_date", "date"),
        ),
        person_ref=True,
    ),
    Table(
        "jobcenters",
        (
            _c("jobcenter_id", "string"),
            _c("name", "string"),
            _c("land", "string"),
            _c("kind", "string", codes=JOBCENTER_KINDS),
            _c("vergleichstyp", "string", nullable=True),
        ),
        key=("jobcenter_id",),
        description="names and comparison groups (Vergleichstyp) of the job centers",
    ),
    Table(
        "indicators",
        (
            _c("jobcenter_id", "string"),
            _c("month", "month"),
            _c("indicator", "string"),
            _c("value", "decimal"),
        ),
        key=("jobcenter_id", "month", "indicator"),
    ),
)

TABLES_BY_NAME = {t.name: t for t in TABLES}


# The law each flag column of ``instruments.csv`` follows (the CSV itself is the shared contract
# file, kept byte-identical to ../shared/spec/instruments.csv, so the statement lives here; the
# instrument's own law is its ``legal_basis`` column). Instruments created after the regulation's
# lists (Bürgergeldbonus § 16j, Ganzheitliche Betreuung § 16k, both since 2023) are in none of them:
# all flags false (the BA corrected K3E2 in February 2024 after counting them as active measures).
INSTRUMENT_FLAG_LAW = {
    "active_measure": "§ 2 Abs. 2 Nr. 1 der Verordnung nach § 48a SGB II (Maßnahmen der aktiven "
    "Arbeitsförderung: §§ 16, 16d, 16e a. F., 16f, 16i SGB II; ohne Vermittlungsbudget "
    "und ohne Beschäftigung begleitende Leistungen)",
    "accompanying": "§ 2 Abs. 2 Nr. 2 der Verordnung nach § 48a SGB II (Beschäftigung begleitende "
    "Leistungen: § 16 Abs. 1 S. 2 Nr. 5 SGB II i.V.m. §§ 88-90 SGB III, §§ 16b, 16e SGB II)",
    "public_employment": "§ 2 Abs. 2 Nr. 3 der Verordnung nach § 48a SGB II (öffentlich geförderte "
    "Beschäftigung: §§ 16d, 16e a. F., 16i SGB II)",
    "second_labour_market": "Arbeitsmarkt- und Integrationsprogramm (zweiter Arbeitsmarkt: "
    "Arbeitsgelegenheiten § 16d und Teilhabe am Arbeitsmarkt § 16i SGB II)",
}


@cache
def instruments() -> pa.Table:
    """The instrument catalogue shipped with the package (``instruments.csv``)."""
    with resources.files("amip.contract").joinpath("instruments.csv").open("rb") as fh:
        table = pacsv.read_csv(fh)
    return table


def instrument_codes() -> tuple[str, ...]:
    return tuple(instruments().column("instrument").to_pylist())
