"""The ``amip`` command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from amip.clikit import DbOption, fail, month_value
from amip.comparison.command import compare_command, published_app, reconcile_command
from amip.dqm.command import dqm_app
from amip.forecast.command import forecast_app
from amip.planning.command import plan_app
from amip.reports.command import report_app
from amip.state.command import users_app
from amip.synth.command import synth_command
from amip.warehouse.store import default_db

SparkMasterOption = Annotated[
    str | None,
    typer.Option(
        "--spark-master",
        help="Spark cluster for --engine spark: spark://HOST:PORT, yarn, k8s://… "
        "(default: $AMIP_SPARK_MASTER, else local[*]).",
        show_default=False,
    ),
]
SparkCheckpointOption = Annotated[
    str | None,
    typer.Option(
        "--spark-checkpoint-dir",
        help="Folder on storage every Spark executor sees, for the stage results of --engine spark "
        "(default: $AMIP_SPARK_CHECKPOINT_DIR, else <data>/_amip_spark on a cluster, a temporary folder locally).",
        show_default=False,
    ),
]


app = typer.Typer(
    help="amip: steering software for German job centers (SGB II): § 48a key figures from your own microdata.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(stderr=True)
out = Console()


def _report_rejection(exc) -> None:
    from amip.warehouse.validate import DataSetRejected

    assert isinstance(exc, DataSetRejected)
    console.print(
        f"[bold red]Data set rejected:[/] {exc.total} violation(s) of the data contract. Nothing was changed."
    )
    shown = exc.violations[:50]
    for v in shown:
        console.print(f"  • {v}", markup=False, highlight=False)
    if exc.total > len(shown):
        console.print(f"  … and {exc.total - len(shown)} more")
    raise typer.Exit(2)


class _Spinner:
    """A Rich status line showing the current stage of a long run."""

    def __init__(self, title: str):
        self.status = console.status(title)
        self.title = title

    def __enter__(self):
        self.status.__enter__()
        return self

    def __exit__(self, *exc):
        return self.status.__exit__(*exc)

    def __call__(self, stage: str) -> None:
        self.status.update(f"{self.title}: {stage}")


@app.command("import")
def import_cmd(
    data: Annotated[
        Path,
        typer.Argument(
            help="Data set directory (one CSV or Parquet file per contract table), or a directory of "
            "delivery-YYYY-MM-DD folders (imported in date order)."
        ),
    ],
    db: DbOption = None,
    replace: Annotated[
        bool,
        typer.Option("--replace", help="Start a new history: drop the warehouse's earlier deliveries."),
    ] = False,
    wait: Annotated[
        float,
        typer.Option(
            "--wait",
            help="Seconds to wait for another import into the same warehouse to finish (default: refuse at once).",
        ),
    ] = 0.0,
) -> None:
    """Validate a data set against the contract and add it to the warehouse as the delivery of its
    dataset.as_of, replacing a delivery with the same as_of (all or nothing; one import at a time
    per warehouse)."""
    import duckdb

    from amip.warehouse.store import ImportLocked, delivery_dirs, import_deliveries
    from amip.warehouse.validate import DataSetRejected

    db = db or default_db()
    try:
        with _Spinner(f"Importing {data}") as spin:
            added = import_deliveries(delivery_dirs(data), db, progress=spin, wait=wait, replace=replace)
    except DataSetRejected as exc:
        _report_rejection(exc)
    except ImportLocked as exc:
        fail(str(exc), code=3)
    except FileNotFoundError as exc:
        fail(str(exc))
    except (OSError, ValueError, duckdb.Error) as exc:
        # Disk full, no permission, a bad AMIP_* setting: a message, never a traceback.
        fail(f"import into {db} failed, nothing was changed: {exc}")
    for delivery, replaced in added:
        what = "replaced" if replaced else "added"
        out.print(f"Delivery of {delivery.as_of:%d.%m.%Y} (data up to {_month_de(delivery.last_month)}) {what}.")
    counts = added[-1][0].rows
    table = Table(title=f"Imported into {db}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, n in counts.items():
        table.add_row(name, f"{n:,}".replace(",", "."))
    out.print(table)


def _spark_settings(engine: str, master: str | None, checkpoint_dir: str | None) -> None:
    """Pass --spark-master / --spark-checkpoint-dir to the Spark backend (refused without --engine spark)."""
    if engine != "spark" and (master or checkpoint_dir):
        fail("--spark-master and --spark-checkpoint-dir need --engine spark")
    from amip.kennzahlen.backends import configure_spark

    configure_spark(master, checkpoint_dir)


def _month_de(month: str) -> str:
    from amip import format as fmt

    return fmt.month(month)


def _time_de(value) -> str:
    from amip import format as fmt

    return fmt.time_de(value, short=True)  # stored in UTC, shown in Berlin time


deliveries_app = typer.Typer(help="The deliveries (Datenstände) a warehouse holds.", no_args_is_help=True)


@deliveries_app.command("list")
def deliveries_list(
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
) -> None:
    """List the warehouse's deliveries, oldest first: as_of, months, rows, source."""
    from rich.markup import escape

    from amip.warehouse.store import list_deliveries

    db = db or default_db()
    try:
        history = list_deliveries(db)
    except FileNotFoundError as exc:
        fail(str(exc))
    if as_json:
        for d in history:
            row = {"as_of": d.as_of.isoformat(), "first_month": d.first_month, "last_month": d.last_month}
            line = json.dumps({**row, "imported_at": d.imported_at, "source": d.source, "rows": d.rows})
            out.print(line, soft_wrap=True, markup=False, highlight=False)
        return
    table = Table(title=f"Deliveries in {db}")
    for col in ("as of", "months", "rows", "imported", "source"):
        table.add_column(col, justify="right" if col == "rows" else "left")
    for d in history:
        rows = f"{sum(d.rows.values()):,}".replace(",", ".")
        months = f"{_month_de(d.first_month)}–{_month_de(d.last_month)}"
        # a folder name is data, not Rich markup
        table.add_row(f"{d.as_of:%d.%m.%Y}", months, rows, _time_de(d.imported_at), escape(d.source))
    out.print(table)


@deliveries_app.command("drop")
def deliveries_drop(
    as_of: Annotated[str, typer.Argument(help="The delivery's as_of, YYYY-MM-DD or DD.MM.YYYY.")],
    db: DbOption = None,
) -> None:
    """Remove one delivery; the others stay exactly as they were (all or nothing)."""
    import duckdb

    from amip.warehouse.store import ImportLocked, drop_delivery

    db = db or default_db()
    day = _parse_day(as_of)
    if not Path(db).exists():
        fail(f"warehouse not found: {db}")
    try:
        dropped = drop_delivery(db, day)
    except ImportLocked as exc:
        fail(str(exc), code=3)
    except (OSError, duckdb.Error) as exc:
        fail(f"dropping the delivery failed, nothing was changed: {exc}")
    if not dropped:
        fail(f"no delivery of {day:%d.%m.%Y} in {db} (see 'amip deliveries list')")
    out.print(f"Delivery of {day:%d.%m.%Y} dropped from {db}.")


def _parse_day(text: str):
    import datetime as dt

    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            pass
    fail(f"not a date: {text!r} (use YYYY-MM-DD or DD.MM.YYYY)")


@app.command()
def kpi(
    first: Annotated[str, typer.Option("--from", help="First Bezugsmonat, MM/YYYY or YYYY-MM.", callback=month_value)],
    last: Annotated[str, typer.Option("--to", help="Last Bezugsmonat, MM/YYYY or YYYY-MM.", callback=month_value)],
    out_file: Annotated[Path, typer.Option("--out", help="Output file: .csv, .parquet or .jsonl.")],
    data: Annotated[
        str | None,
        typer.Option(
            "--data",
            help="Read a data set directory instead of the warehouse (with --engine spark also a URL "
            "the executors read, e.g. hdfs://…).",
        ),
    ] = None,
    db: DbOption = None,
    jobcenter: Annotated[str | None, typer.Option("--jobcenter", help="Only this job center.")] = None,
    engine: Annotated[str, typer.Option("--engine", help="duckdb (embedded) or spark (--spark-master).")] = "duckdb",
    spark_master: SparkMasterOption = None,
    spark_checkpoint_dir: SparkCheckpointOption = None,
    steering: Annotated[
        bool, typer.Option("--steering", help="Also the steering figures S1–S6, L1–L3, P1, E1, B1 (docs/steering.md).")
    ] = False,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="As of the latest delivery on or before this day (YYYY-MM-DD or DD.MM.YYYY; default: the latest).",
        ),
    ] = None,
    ba: Annotated[
        bool,
        typer.Option(
            "--ba",
            help="Every Bezugsmonat from its BA-comparable delivery (Wartezeit of three months passed); "
            "months without one from the latest delivery, marked provisional.",
        ),
    ] = False,
) -> None:
    """Compute all § 48a key figures (K1 … K3E4) per job center, month and sex, with the delivery
    used (as_of) and its data state (final, provisional_0 … provisional_2)."""
    import duckdb

    from amip.api import key_figure_result
    from amip.kennzahlen.backends import ENGINES
    from amip.kennzahlen.output import FORMATS, write_figures
    from amip.kennzahlen.revisions import parse_day
    from amip.warehouse.validate import DataSetRejected

    if engine not in ENGINES:
        fail(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if out_file.suffix.lower() not in FORMATS:
        fail(f"unknown output format {out_file.suffix!r}; use {', '.join(FORMATS)}")
    if data is not None and db is not None:
        fail("give either --data or --db, not both")
    if as_of is not None and ba:
        fail("give either --as-of or --ba, not both")
    day = None
    if as_of is not None:
        try:
            day = parse_day(as_of)
        except ValueError as exc:
            fail(str(exc))
    if data is None:
        db = db or default_db()
    _spark_settings(engine, spark_master, spark_checkpoint_dir)
    try:
        with _Spinner("Computing key figures") as spin:
            result = key_figure_result(
                first,
                last,
                db=db,
                data=data,
                jobcenter=jobcenter,
                engine=engine,
                steering=steering,
                as_of=day,
                ba=ba,
                progress=spin,
            )
            write_figures(result.table, out_file)
    except DataSetRejected as exc:
        _report_rejection(exc)
    except (OSError, ValueError, duckdb.Error) as exc:  # a missing file, no permission, a bad AMIP_* setting
        fail(str(exc))
    for fig, why in result.skipped.items():
        console.print(f"[yellow]Not produced:[/] {fig} ({why})")
    console.print(f"Wrote {result.table.num_rows} rows to {out_file}")


@app.command()
def revisions(
    db: DbOption = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Output file: .csv, .parquet or .jsonl (default: a table).")
    ] = None,
    detail: Annotated[
        bool, typer.Option("--detail", help="One row per Bezugsmonat and lag instead of the summary.")
    ] = False,
    jobcenter: Annotated[str | None, typer.Option("--jobcenter", help="Only this job center.")] = None,
    figure: Annotated[
        list[str] | None, typer.Option("--figure", help="Only these figures (repeat, or K2,K1E2).")
    ] = None,
    engine: Annotated[str, typer.Option("--engine", help="duckdb (embedded) or spark (local Spark).")] = "duckdb",
) -> None:
    """How much the provisional figures (lag 0, 1, 2 months after the Bezugsmonat) differ from the
    BA-comparable ones: per job center, § 48a figure, sex and lag the mean, mean absolute and 90 %
    interval of the revision (percentage points) and how often the direction against the previous
    year flips (docs/datastates.md)."""
    import duckdb
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from amip.kennzahlen.backends import ENGINES
    from amip.kennzahlen.output import FORMATS, write_figures
    from amip.kennzahlen.revisions import compute_revisions, figure_list, open_source

    if engine not in ENGINES:
        fail(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if out_file is not None and out_file.suffix.lower() not in FORMATS:
        fail(f"unknown output format {out_file.suffix!r}; use {', '.join(FORMATS)}")
    try:
        figures = figure_list(figure)
    except ValueError as exc:
        fail(str(exc))
    db = db or default_db()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with open_source(db=db) as source, Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task("Revisions", total=None)

            def step(done: int, total: int, day) -> None:
                bar.update(task, total=total, completed=done, description=f"Revisions: delivery of {day:%d.%m.%Y}")

            result = compute_revisions(source, jobcenter=jobcenter, figures=figures, engine=engine, step=step)
        table = result.detail if detail else result.summary
        if out_file is not None:
            write_figures(table, out_file)
    except (OSError, ValueError, duckdb.Error) as exc:
        fail(str(exc))
    if len(source.history) < 2:
        console.print("[yellow]The warehouse holds one delivery: no revisions (import later deliveries).[/]")
    if out_file is not None:
        console.print(
            f"Wrote {table.num_rows} rows to {out_file} ({result.deliveries} deliveries, {result.seconds:.0f} s)"
        )
        return
    out.print(_revision_table(table, detail))


def _revision_table(table, detail: bool) -> Table:
    """The revisions as a Rich table in German formats (−0,6 Pp.; 22,5 %; 12/2022)."""
    from amip import format as fmt

    t = Table(title="Revisionen vorläufiger Werte gegenüber BA-vergleichbaren Werten")
    rows = table.to_pylist()
    if detail:
        heads = (
            "Jobcenter",
            "Monat",
            "Kennzahl",
            "Geschlecht",
            "Lag",
            "Stand",
            "vorläufig",
            "Stand BA",
            "BA",
            "Revision",
        )
        for h in heads:
            t.add_column(h, justify="right" if h in ("vorläufig", "BA", "Revision", "Lag") else "left")
        for r in rows:
            t.add_row(
                r["jobcenter_id"],
                _month_de(r["month"]),
                r["figure"],
                r["sex"],
                str(r["lag"]),
                f"{r['as_of']:%d.%m.%Y}",
                fmt.percent(r["value"]),
                f"{r['final_as_of']:%d.%m.%Y}",
                fmt.percent(r["final_value"]),
                fmt.points(r["revision"]),
            )
        return t
    heads = (
        "Jobcenter",
        "Kennzahl",
        "Geschlecht",
        "Lag",
        "Monate",
        "Mittel",
        "Mittel |·|",
        "5 %",
        "95 %",
        "Richtungswechsel",
    )
    for h in heads:
        t.add_column(h, justify="left" if h in ("Jobcenter", "Kennzahl", "Geschlecht") else "right")
    for r in rows:
        t.add_row(
            r["jobcenter_id"],
            r["figure"],
            r["sex"],
            str(r["lag"]),
            fmt.number(r["months"]),
            fmt.points(r["mean"]),
            fmt.points(r["mean_abs"], signed=False),
            fmt.points(r["p05"]),
            fmt.points(r["p95"]),
            "–" if r["flips"] is None else f"{fmt.percent(r['flips'] * 100, 0)} %",
        )
    return t


@app.command()
def bench(
    persons: Annotated[int, typer.Option("--persons", help="Number of persons to generate.")] = 100_000,
    seed: Annotated[int, typer.Option("--seed")] = 1,
    engine: Annotated[str, typer.Option("--engine", help="duckdb or spark (--spark-master).")] = "duckdb",
    spark_master: SparkMasterOption = None,
    spark_checkpoint_dir: SparkCheckpointOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    preset: Annotated[
        str | None,
        typer.Option("--preset", help="Benchmark a synth preset instead (e.g. brandenburg, germany): all job centers."),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Cache of the preset's data set (default .amip/bench/<preset>-seed<seed>)."),
    ] = None,
    deliveries: Annotated[
        str | None,
        typer.Option(
            "--deliveries",
            help="Benchmark the delivery history instead: import the monthly deliveries FROM..TO "
            "(YYYY-MM..YYYY-MM) of --preset [elbe-elster] one by one; file size and import time per delivery.",
        ),
    ] = None,
) -> None:
    """Benchmark: all figures for 12 months on N generated persons, or on a synth preset's data set
    (time, memory, stages); with --deliveries the storage and import time of a delivery history."""
    from amip.bench.run import run, run_preset

    if deliveries:
        _bench_deliveries(preset or "elbe-elster", deliveries, seed, data_dir, as_json)
        return
    _spark_settings(engine, spark_master, spark_checkpoint_dir)
    label = f"preset {preset}" if preset else f"{persons:,} persons"
    try:
        with _Spinner(f"Benchmark, {label}") as spin:
            result = (
                run_preset(preset, seed, data_dir, engine, progress=spin)
                if preset
                else run(persons, seed, engine, progress=spin)
            )
    except ValueError as exc:  # e.g. SparkUnavailable: PySpark or Java missing, the master unreachable
        fail(str(exc))
    if as_json:
        out.print_json(json.dumps(result))
        return
    _print_measures(f"amip bench — {label}, 12 months ({engine})", result)


def _print_measures(title: str, result: dict, details: str = "") -> None:
    """A benchmark's result as a table of measures (``details``: the key of its detail rows, printed
    by the caller)."""
    table = Table(title=title)
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key, value in result.items():
        if key != details:
            table.add_row(key, str(value))
    out.print(table)


def _bench_deliveries(preset: str, months: str, seed: int, data_dir: Path | None, as_json: bool) -> None:
    from amip.bench.deliveries import run_deliveries

    with _Spinner(f"Delivery history, preset {preset}, {months}") as spin:
        try:
            result = run_deliveries(preset, months, seed, data_dir, progress=spin)
        except (OSError, ValueError) as exc:
            fail(str(exc))
    if as_json:
        out.print_json(json.dumps(result))
        return
    _print_measures(f"amip bench --deliveries — {preset}, {result['deliveries']} deliveries", result, "per_delivery")
    per = Table(title="per delivery")
    for col in ("delivery", "import s", "file MB", "rows"):
        per.add_column(col, justify="left" if col == "delivery" else "right")
    for d in result["per_delivery"]:
        per.add_row(d["delivery"], f"{d['seconds']:.2f}", f"{d['file_mb']:.1f}", str(d["rows"]))
    out.print(per)


@app.command("bench-cockpit")
def bench_cockpit(
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            help="Warehouse (default: the demo's, .amip/demo/demo.duckdb; built when missing).",
            show_default=False,
        ),
    ] = None,
    users: Annotated[int, typer.Option("--users", help="Concurrent logged-in users.")] = 50,
    seconds: Annotated[float, typer.Option("--seconds", help="Measuring time.")] = 120.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    mix: Annotated[
        str,
        typer.Option(
            "--mix", help="realistic (pages, person lists, POSTs, logins) or pages (Übersicht and Kennzahl only)."
        ),
    ] = "realistic",
    think: Annotated[
        float,
        typer.Option("--think", help="Think time in seconds after every step of a user (0: no pause, a closed loop)."),
    ] = 0.0,
    workers: Annotated[int, typer.Option("--workers", help="Server processes (amip serve --workers).")] = 1,
) -> None:
    """Load benchmark of the web cockpit: `amip serve` in its own process(es), N users on a
    realistic page mix (or only Übersicht and Kennzahl), with or without think time; percentiles,
    throughput, errors, failed logins."""
    from amip.bench.cockpit import run as run_cockpit

    with _Spinner(f"Cockpit load, {users} users") as spin:
        try:
            result = run_cockpit(db, users, seconds, progress=spin, mix=mix, think=think, workers=workers)
        except (FileNotFoundError, RuntimeError, TimeoutError, ValueError) as exc:
            fail(str(exc))
    if as_json:
        out.print_json(json.dumps(result))
        return
    _print_measures(f"amip bench-cockpit — {users} users, {seconds:.0f} s", result, "per_url")
    pages = Table(title="per page" if mix == "realistic" else "per URL")
    for col in ("page", "requests", "p50 ms", "p95 ms"):
        pages.add_column(col, justify="left" if col == "page" else "right")
    for page, row in result["per_url"].items():
        pages.add_row(page, str(row["requests"]), str(row["p50_ms"]), str(row["p95_ms"]))
    out.print(pages)


app.command("synth")(synth_command)
app.add_typer(users_app, name="users")
app.add_typer(deliveries_app, name="deliveries")
app.add_typer(forecast_app, name="forecast")
app.add_typer(plan_app, name="plan")
app.add_typer(report_app, name="report")
app.add_typer(dqm_app, name="dqm")
app.add_typer(published_app, name="published")
app.command("compare")(compare_command)
app.command("reconcile")(reconcile_command)


@app.command()
def demo(
    workdir: Annotated[Path, typer.Option("--dir", help="Where the demo data set and warehouse are kept.")] = Path(
        ".amip/demo"
    ),
    seed: Annotated[int, typer.Option("--seed", help="Seed of the synthetic Jobcenter Elbe-Elster.")] = 1,
    serve_cockpit: Annotated[bool, typer.Option("--serve/--no-serve", help="Start the cockpit afterwards.")] = True,
    host: Annotated[str, typer.Option(help="Cockpit interface.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Cockpit port.")] = 8000,
) -> None:
    """Generate (or reuse) the synthetic Jobcenter Elbe-Elster as monthly deliveries, import the 24 of
    01/2021 … 12/2022 and the "published" figures of its comparison group (synthetic Brandenburg,
    Elbe-Elster itself one delivery later), compute every figure, show K1–K3 for the last month by sex beside the
    2022 plan, then start the cockpit with one demo user per role (passwords printed)."""
    from amip import format as fmt
    from amip.demo import (
        DEMO_DELIVERIES,
        DEMO_FROM,
        DEMO_SIMULATED_TO,
        DEMO_TO,
        holds_deliveries,
        prepare_cycle,
        prepare_published,
        summary,
    )
    from amip.kennzahlen.backends import ibis_backend, warehouse_connection
    from amip.kennzahlen.engine import compute
    from amip.kennzahlen.output import write_figures
    from amip.synth.generate import synthesize_deliveries
    from amip.warehouse.jobcenters import home_jobcenters
    from amip.warehouse.store import delivery_dirs, import_deliveries

    data, db = workdir / f"elbe-elster-seed{seed}-deliveries", workdir / "demo.duckdb"
    with _Spinner("amip demo") as spin:
        if len(delivery_dirs(data)) != DEMO_DELIVERIES + 1:
            spin(f"simulating Jobcenter Elbe-Elster as {DEMO_DELIVERIES + 1} monthly deliveries")
            synthesize_deliveries(preset="elbe-elster", seed=seed, out=data, months=f"{DEMO_FROM}..{DEMO_SIMULATED_TO}")
        found = delivery_dirs(data)
        imported, later = found[:DEMO_DELIVERIES], found[DEMO_DELIVERIES]
        # a fresh history of the demo's deliveries, unless an earlier demo run imported exactly these
        if not holds_deliveries(db, imported):
            import_deliveries(imported, db, progress=spin, replace=True)
        published = prepare_published(workdir, seed, later, db, spin)
        with warehouse_connection(db=db) as con, ibis_backend(con) as be:
            result = compute(be, DEMO_FROM, DEMO_TO, progress=spin)
            home = home_jobcenters(con)
        write_figures(result.table, workdir / "kennzahlen.csv")
        cycle = prepare_cycle(db, workdir, spin)
    out.print(summary(result.table, home, result.series))
    out.print(f"All figures {DEMO_FROM} … {DEMO_TO}: {workdir / 'kennzahlen.csv'}  ·  warehouse: {db}")
    out.print(
        f"Deliveries: {cycle['deliveries']} (as of {cycle['first_as_of']} … {cycle['last_as_of']}); "
        f"provisional months in the cockpit: {cycle['provisional']} (page /datenstaende)"
    )
    dqm = cycle["dqm"]
    out.print(
        f"Plan 2022: {'entered and agreed' if cycle['plan'] else 'already agreed'} (amip plan show --year 2022 --db {db})"
    )
    if cycle.get("cohort"):
        out.print(
            f"Intensive care: a finished demo cohort 06/2022 with {cycle['cohort']} places "
            "(team view: /intensivbetreuung)"
        )
    with_findings = sum(1 for r in dqm.results if r.findings)
    out.print(
        f"Data-quality checks: {fmt.number(dqm.findings)} findings, {with_findings} of {len(dqm.results)} rules "
        f"with findings (amip dqm run --db {db})"
    )
    out.print(f"Programme 2022: {cycle['programme']}  ·  monthly report: {cycle['monthly']}")
    out.print(
        f"Published figures (synthetic Brandenburg and Elbe-Elster one delivery later): {published['published']} "
        "(pages /vergleich and /abgleich; amip reconcile --db "
        f"{db})"
    )
    if serve_cockpit:
        _serve(db, host, port, demo=True)


def _serve(db: Path, host: str, port: int, demo: bool = False, workers: int = 1) -> None:
    import dataclasses
    import os

    import uvicorn

    import amip.forecast  # noqa: F401 (its cache tables are built with the figures, as the workers expect)
    from amip.cockpit.settings import Settings
    from amip.figures.store import FigureStore
    from amip.state.db import open_state

    if workers < 1:
        fail(f"--workers must be at least 1 (got {workers})")
    settings = Settings.from_env(db)
    if demo and not settings.today:  # the demo's data end in 2022: reminders and places as of then
        settings = dataclasses.replace(settings, today="data")
    application = None
    try:
        with _Spinner("preparing the cockpit") as spin:
            # Built here, once, before any worker starts (the workers only open it).
            store = FigureStore.open(settings.warehouse, progress=spin)
            if workers == 1:
                from amip.cockpit.app import create_app  # the workers import it themselves

                application = create_app(settings, store)
                sessions = application.state.sessions
            else:
                store.close()
                sessions = open_state(url=settings.state_url)  # migrated here, not by N workers at once
    except FileNotFoundError as exc:
        fail(str(exc))
    if demo:
        from amip.demo import demo_users

        table = Table(title="Demo users of the cockpit (new passwords on every start)")
        for col in ("user", "role", "sees persons of", "password"):
            table.add_column(col)
        for name, role, scope, password in demo_users(settings.warehouse, sessions):
            table.add_row(name, role, scope or ("all (pseudonymous)" if role == "controlling" else "–"), password)
        out.print(table)
    processes = "" if workers == 1 else f"; {workers} worker processes"
    out.print(
        f"Cockpit: [bold]http://{host}:{port}/[/]  (state: {settings.state_url.split('://')[0]}{processes}; "
        "Ctrl+C stops)"
    )
    if application is not None:
        uvicorn.run(application, host=host, port=port, log_level="warning")
        return
    sessions.kw["bind"].dispose()
    # The workers read their settings from the environment (amip.cockpit.app.worker_app).
    os.environ["AMIP_DB"] = str(Path(settings.warehouse).absolute())
    os.environ["AMIP_STATE_DB"] = settings.state_url
    if settings.today:
        os.environ["AMIP_TODAY"] = settings.today
    uvicorn.run("amip.cockpit.app:worker_app", factory=True, workers=workers, host=host, port=port, log_level="warning")


@app.command()
def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            help="Server processes (uvicorn workers; they share only the warehouse, its figure cache and "
            "the state database). One per core is the most that helps.",
        ),
    ] = 1,
) -> None:
    """Start the web cockpit on a warehouse (figures are computed once per import and cached
    beside it; users with 'amip users add')."""
    _serve(db or default_db(), host, port, workers=workers)


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
