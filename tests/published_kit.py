"""Hand-made published-figures and jobcenters files for the comparison and reconciliation tests."""

from __future__ import annotations

import csv
from pathlib import Path

from amip.cli import app
from builder import runner

FIGURE_HEADER = ["jobcenter_id", "month", "figure", "sex", "numerator", "denominator", "value"]
JOBCENTER_HEADER = ["jobcenter_id", "name", "land", "kind", "vergleichstyp"]


def write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows([["" if v is None else v for v in r] for r in rows])
    return path


def import_published(db: Path, figures: Path, jobcenters: Path | None = None, *extra: str):
    args = ["published", "import", str(figures), "--db", str(db), *extra]
    if jobcenters is not None:
        args += ["--jobcenters", str(jobcenters)]
    return runner.invoke(app, args)
