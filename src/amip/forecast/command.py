"""`amip forecast`: Forecasts per job center and sex with 80 % / 95 % intervals; backtest against seasonal-naive."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

forecast_app = typer.Typer(
    help="Forecasts per job center and sex with 80 % / 95 % intervals; backtest against seasonal-naive.",
    no_args_is_help=True,
)
_err = Console(stderr=True)
_out = Console()

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help="Warehouse file (default: $AMIP_DB, else ./amip.duckdb). The forecasts are kept in its "
        "figure cache <stem>.cockpit.duckdb, built when missing or stale.",
        show_default=False,
    ),
]
MODEL_NAMES = {"seasonal_naive": "Saison-naiv", "ets": "ETS", "sarima": "SARIMA", "stock_flow": "Bestand-Strom"}


def _fail(message: str, code: int = 1) -> None:
    _err.print(f"[bold red]Error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def _open(db: Path | None):
    from amip.figures.store import FigureStore
    from amip.warehouse.store import default_db

    wh = Path(db) if db else default_db()
    if not wh.exists():
        _fail(f"warehouse not found: {wh} (create it with 'amip import DIR --db {wh}')")
    try:
        with _err.status("Kennzahlen und Prognosen werden berechnet …"):
            return FigureStore.open(wh, progress=lambda m: None)
    except Exception as exc:  # noqa: BLE001 - one line instead of a traceback
        _fail(f"cannot open {wh}: {exc}")


def summary(backtest) -> list[dict]:
    """One row per (job center, series, sex): chosen model, its MAPE, the seasonal-naive MAPE."""
    rows = []
    for (jc, series, sex), t in backtest.groupby(["jobcenter_id", "series", "sex"], sort=True):
        chosen = t[t["chosen"]]
        naive = t[t["model"] == "seasonal_naive"]
        rows.append(
            {
                "jobcenter_id": jc,
                "series": series,
                "sex": sex,
                "model": chosen["model"].iloc[0] if len(chosen) else "seasonal_naive",
                "mape": float(chosen["mape"].iloc[0]) if len(chosen) else float("nan"),
                "naive": float(naive["mape"].iloc[0]) if len(naive) else float("nan"),
                "models": dict(zip(t["model"], t["mape"])),
            }
        )
    return rows


def _pct(v: float) -> str:
    from amip import format as fmt

    return fmt.percent(v, 1)  # "–" for NaN


def _print_summary(backtest, all_models: bool = False) -> None:
    table = Table(title="Backtest (rollierender Ursprung, letzte 24 Monate): MAPE")
    for c in ("Jobcenter", "Reihe", "Geschlecht", "gewähltes Modell", "MAPE gewählt", "MAPE Saison-naiv"):
        table.add_column(c, justify="right" if "MAPE" in c else "left")
    models = sorted(backtest["model"].unique()) if all_models else []
    for m in models:
        table.add_column(MODEL_NAMES.get(m, m), justify="right")
    for r in summary(backtest):
        table.add_row(
            r["jobcenter_id"],
            r["series"],
            r["sex"],
            MODEL_NAMES.get(r["model"], r["model"]),
            _pct(r["mape"]),
            _pct(r["naive"]),
            *[_pct(r["models"].get(m, float("nan"))) for m in models],
        )
    _out.print(table)


def _print_coverage(coverage) -> None:
    table = Table(title="Abdeckung der Prognoseintervalle im Backtest (1 bis 18 Monate voraus)")
    for c in (
        "Jobcenter",
        "Reihe",
        "Geschlecht",
        "Paare",
        "80 % Modell",
        "80 % kalibriert (Soll 75–85)",
        "95 % Modell",
        "95 % kalibriert (Soll 90–98)",
        "80 % / 95 % ältere → neuere",
    ):
        table.add_column(c, justify="left" if c in ("Jobcenter", "Reihe", "Geschlecht") else "right")
    for r in coverage.sort_values(["jobcenter_id", "series", "sex"]).itertuples():
        table.add_row(
            r.jobcenter_id,
            r.series,
            r.sex,
            str(r.pairs),
            _pct(r.coverage80_model),
            _pct(r.coverage80),
            _pct(r.coverage95_model),
            _pct(r.coverage95),
            f"{_pct(r.coverage80_split)} / {_pct(r.coverage95_split)}",
        )
    _out.print(table)


@forecast_app.command("run")
def run_cmd(
    db: DbOption = None,
    jobcenter: Annotated[
        str | None, typer.Option("--jobcenter", help="Only this job center.", show_default=False)
    ] = None,
    horizon: Annotated[int, typer.Option("--horizon", min=1, max=36, help="Months ahead.")] = 18,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the forecasts to FILE.csv or FILE.parquet.", show_default=False)
    ] = None,
) -> None:
    """Backtest, choose a model per series and forecast ELB, LZB, integrations, LLU and LUH with
    80 % and 95 % intervals; prints the backtest's MAPE of the chosen model against seasonal-naive."""
    from amip.forecast.pipeline import HORIZON, run

    if out is not None and out.suffix.lower() not in (".csv", ".parquet"):
        _fail(f"--out must end in .csv or .parquet: {out}", 2)
    st = _open(db)
    try:
        if jobcenter is not None and jobcenter not in st.jobcenters:
            _fail(f"job center {jobcenter!r} is not in the data (known: {', '.join(st.jobcenters[:10])})", 2)
        if horizon == HORIZON and st.forecasts is not None:
            forecasts, backtest = st.forecasts, st.forecast_backtest
            if jobcenter is not None:
                forecasts = forecasts[forecasts.jobcenter_id == jobcenter]
                backtest = st.backtest(jobcenter)
        else:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            with Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=_err
            ) as bar:
                task = bar.add_task("Prognosen", total=None)

                def step(done: int, total: int, what: str) -> None:
                    bar.update(task, completed=done, total=total, description=what)

                result = run(st.series, horizon, [jobcenter] if jobcenter else st.jobcenters, progress=step)
            forecasts, backtest = result.forecasts, result.backtest
    finally:
        st.close()
    _print_summary(backtest)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".tmp")
        if out.suffix.lower() == ".csv":
            forecasts.to_csv(tmp, index=False)
        else:
            forecasts.to_parquet(tmp, index=False)
        tmp.replace(out)
        _err.print(f"{len(forecasts)} Prognosezeilen nach {out} geschrieben.")


@forecast_app.command("backtest")
def backtest_cmd(db: DbOption = None) -> None:
    """The rolling-origin backtest: MAPE per series, sex and model (chosen model vs seasonal-naive) and
    the coverage of the 80 % / 95 % intervals, the model's own and calibrated."""
    st = _open(db)
    try:
        if st.forecast_backtest is None:
            _fail("the figure cache holds no forecasts")
        backtest = st.forecast_backtest
        coverage = st.forecast_coverage
    finally:
        st.close()
    _print_summary(backtest, all_models=True)
    if coverage is not None and len(coverage):
        _print_coverage(coverage)
