"""`amip report`: Write the Arbeitsmarkt- und Integrationsprogramm or the monthly controlling report (PDF, HTML, XLSX)."""

from __future__ import annotations

import typer

report_app = typer.Typer(help="Write the Arbeitsmarkt- und Integrationsprogramm or the monthly controlling report (PDF, HTML, XLSX).", no_args_is_help=True)
