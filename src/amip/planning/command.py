"""`amip plan`: Target plans (Zielplanung) and budget plans: show, import, export, propose from the forecast."""

from __future__ import annotations

import typer

plan_app = typer.Typer(help="Target plans (Zielplanung) and budget plans: show, import, export, propose from the forecast.", no_args_is_help=True)
