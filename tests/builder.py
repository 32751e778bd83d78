"""Hand-made data sets for the tests: build the contract tables in Python, write them as CSV,
run ``amip kpi`` through the real CLI and read the figures back."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from typer.testing import CliRunner

from amip.cli import app

COLUMNS = {
    "dataset": ["first_month", "last_month"],
    "persons": ["person_id", "sex", "birth_date"],
    "elb_spells": ["person_id", "jobcenter_id", "bg_id", "start_date", "end_date", "single_parent"],
    "employment_spells": ["person_id", "kind", "start_date", "end_date", "accompanied"],
    "measures": ["person_id", "jobcenter_id", "instrument", "start_date", "end_date", "cost_eur"],
    "benefits": ["jobcenter_id", "bg_id", "month", "benefit_type", "amount_eur"],
    "caseload": ["person_id", "caseworker_id", "team_id", "office", "start_date", "end_date"],
    "prognosis": ["person_id", "valid_from", "code", "integration_goal"],
    "proposals": ["proposal_id", "person_id", "date", "employer_size", "staffing_agency", "outcome"],
    "budget": ["jobcenter_id", "year", "title", "kind", "instrument", "amount_eur"],
    "case_events": ["person_id", "event_type", "event_date", "recorded_date"],
    "indicators": ["jobcenter_id", "month", "indicator", "value"],
    "jobcenters": ["jobcenter_id", "name", "land", "kind", "vergleichstyp"],
}
# Written only when the data set has rows for them.
OPTIONAL = ("caseload", "prognosis", "proposals", "budget", "case_events", "indicators", "jobcenters")
PERSON_FLAGS = ("severely_disabled", "refugee", "vocational_qualification")


def _flag(v: bool | None) -> str:
    return "" if v is None else str(v).lower()


def d(text: str | dt.date | None) -> str:
    return "" if text is None else str(text)


@dataclass
class DataSet:
    first: str
    last: str
    rows: dict[str, list[list[str]]] = field(default_factory=lambda: {k: [] for k in COLUMNS})
    flags: dict[str, list[str]] = field(default_factory=dict)  # person_id -> the three person flags
    as_of: str | dt.date | None = None  # dataset.as_of (the delivery's Datenstand); None: no as_of column

    def person(
        self,
        pid: str,
        sex: str,
        birth: str | dt.date = "1980-01-01",
        severely_disabled: bool | None = None,
        refugee: bool | None = None,
        vocational_qualification: bool | None = None,
    ) -> DataSet:
        """A person; the optional flag columns are written only when some person has a flag set."""
        self.rows["persons"].append([pid, sex, d(birth)])
        if (severely_disabled, refugee, vocational_qualification) != (None, None, None):
            self.flags[pid] = [_flag(severely_disabled), _flag(refugee), _flag(vocational_qualification)]
        return self

    def spell(self, pid, jc, start, end=None, single_parent=False, bg=None) -> DataSet:
        self.rows["elb_spells"].append([pid, jc, bg or f"bg_{pid}", d(start), d(end), str(single_parent).lower()])
        return self

    def job(self, pid, kind, start, end=None, accompanied=False, gross=None) -> DataSet:
        """An employment spell; ``gross_eur`` is written only when some spell has it."""
        self.rows["employment_spells"].append(
            [pid, kind, d(start), d(end), str(accompanied).lower(), "" if gross is None else str(gross)]
        )
        return self

    def measure(self, pid, jc, instrument, start, end=None, cost="") -> DataSet:
        self.rows["measures"].append([pid, jc, instrument, d(start), d(end), str(cost)])
        return self

    def benefit(self, jc, bg, month, kind, amount) -> DataSet:
        self.rows["benefits"].append([jc, bg, month, kind, str(amount)])
        return self

    def caseload(self, pid, caseworker, team, office, start, end=None) -> DataSet:
        self.rows["caseload"].append([pid, caseworker, team, office, d(start), d(end)])
        return self

    def prognosis(self, pid, valid_from, code, goal=False) -> DataSet:
        self.rows["prognosis"].append([pid, d(valid_from), code, str(goal).lower()])
        return self

    def proposal(self, proposal_id, pid, date, outcome, employer_size=None, staffing_agency=False) -> DataSet:
        self.rows["proposals"].append(
            [
                proposal_id,
                pid,
                d(date),
                "" if employer_size is None else str(employer_size),
                str(staffing_agency).lower(),
                outcome,
            ]
        )
        return self

    def budget(self, jc, year, title, kind, amount, instrument=None) -> DataSet:
        self.rows["budget"].append([jc, str(year), title, kind, instrument or "", str(amount)])
        return self

    def case_event(self, pid, event_type, event_date, recorded_date) -> DataSet:
        self.rows["case_events"].append([pid, event_type, d(event_date), d(recorded_date)])
        return self

    def indicator(self, jc, month, indicator, value) -> DataSet:
        self.rows["indicators"].append([jc, month, indicator, str(value)])
        return self

    def jobcenter(self, jc, name, land="Brandenburg", kind="gE", vergleichstyp=None) -> DataSet:
        self.rows["jobcenters"].append([jc, name, land, kind, vergleichstyp or ""])
        return self

    def write(self, folder: Path, skip: tuple[str, ...] = ()) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        self.rows["dataset"] = [[self.first, self.last]]
        for name, cols in COLUMNS.items():
            if name in skip or (name in OPTIONAL and not self.rows[name]):
                continue
            rows = self.rows[name]
            if name == "dataset" and self.as_of is not None:
                cols, rows = [*cols, "as_of"], [[self.first, self.last, d(self.as_of)]]
            if name == "employment_spells":
                if any(r[5] for r in rows):
                    cols = [*cols, "gross_eur"]
                else:
                    rows = [r[:5] for r in rows]
            if name == "persons" and self.flags:
                cols = [*cols, *PERSON_FLAGS]
                rows = [[*r, *self.flags.get(r[0], ["", "", ""])] for r in rows]
            with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as fh:
                w = csv.writer(fh)
                w.writerow(cols)
                w.writerows(rows)
        return folder


def import_into(ds: DataSet, folder: Path, skip: tuple[str, ...] = ()) -> Path:
    """Write ``ds`` to ``folder/data`` (without the tables in ``skip``) and import it with the real
    CLI into ``folder/amip.duckdb``."""
    data = ds.write(folder / "data", skip=skip)
    db = folder / "amip.duckdb"
    res = runner.invoke(app, ["import", str(data), "--db", str(db)])
    assert res.exit_code == 0, res.output
    return db


class Figures:
    """The rows of a key-figure CSV, addressable by (job center, month, figure, sex)."""

    def __init__(self, path: Path):
        with open(path, newline="", encoding="utf-8") as fh:
            self.rows = list(csv.DictReader(fh))
        self.by = {(r["jobcenter_id"], r["month"], r["figure"], r["sex"]): r for r in self.rows}

    def get(self, jc, month, figure, sex="all") -> tuple[float | None, float | None, float | None]:
        r = self.by[(jc, month, figure, sex)]
        conv = lambda v: None if v == "" else float(v)  # noqa: E731
        return conv(r["numerator"]), conv(r["denominator"]), conv(r["value"])

    def value(self, jc, month, figure, sex="all") -> float | None:
        return self.get(jc, month, figure, sex)[2]

    def has(self, jc, month, figure, sex="all") -> bool:
        return (jc, month, figure, sex) in self.by


runner = CliRunner()


def run_kpi(ds: DataSet, tmp: Path, first: str, last: str, engine: str = "duckdb", skip=()) -> Figures:
    data = ds.write(tmp / "data", skip=skip)
    out = tmp / "figures.csv"
    res = runner.invoke(
        app, ["kpi", "--data", str(data), "--from", first, "--to", last, "--out", str(out), "--engine", engine]
    )
    assert res.exit_code == 0, res.output
    return Figures(out)


def days_before(day: str, n: int) -> dt.date:
    return dt.date.fromisoformat(day) - dt.timedelta(days=n)
