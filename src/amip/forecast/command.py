"""`amip forecast`: Forecasts per job center and sex with 80 % / 95 % intervals; backtest against seasonal-naive."""

from __future__ import annotations

import typer

forecast_app = typer.Typer(help="Forecasts per job center and sex with 80 % / 95 % intervals; backtest against seasonal-naive.", no_args_is_help=True)
