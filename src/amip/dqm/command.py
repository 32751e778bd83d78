"""`amip dqm`: Data-quality checks: run the declared rules on the latest import and turn findings into tasks."""

from __future__ import annotations

import typer

dqm_app = typer.Typer(help="Data-quality checks: run the declared rules on the latest import and turn findings into tasks.", no_args_is_help=True)
