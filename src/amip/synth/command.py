"""``amip synth``: write the synthetic data set of a preset (and, on request, its calibration report).

Register with ``app.command("synth")(synth_command)``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from amip.format import iso_month, number

console = Console(stderr=True)
stdout = Console()


def month_value(ctx: typer.Context, param: typer.CallbackParam, value: str | None) -> str | None:
    """``--from``/``--to``: ``12/2022`` or ``2022-12`` as ``2022-12`` (amip.format.iso_month; the
    same rule as amip.clikit.month_value, which this layer may not import)."""
    if value is None or ctx.resilient_parsing:
        return value
    try:
        return iso_month(value)
    except ValueError as exc:
        from rich.markup import escape

        console.print(f"[bold red]Error:[/] {escape(f'{(param.opts or [param.name])[0]} {exc}')}", highlight=False)
        raise typer.Exit(1) from None


def _fmt(value: float, target: float) -> str:
    decimals = 0 if float(target).is_integer() and abs(target) >= 100 else 1
    return number(value, decimals)


def synth_command(
    preset: Annotated[
        str, typer.Option("--preset", help="Preset name (presets/<name>.toml) or a TOML file.")
    ] = "elbe-elster",
    seed: Annotated[int, typer.Option("--seed", help="Random seed; the same seed gives byte-identical files.")] = 1,
    out: Annotated[Path, typer.Option("--out", help="Output directory (one file per contract table).")] = Path(
        "synth-data"
    ),
    fmt: Annotated[str, typer.Option("--format", help="parquet or csv.")] = "parquet",
    first: Annotated[
        str | None,
        typer.Option(
            "--from", help="First month written, MM/YYYY or YYYY-MM (default: the preset's).", callback=month_value
        ),
    ] = None,
    last: Annotated[
        str | None,
        typer.Option(
            "--to", help="Last month (data cut-off), MM/YYYY or YYYY-MM (default: the preset's).", callback=month_value
        ),
    ] = None,
    report: Annotated[
        bool, typer.Option("--report", help="Compute the calibration figures and compare them with the targets.")
    ] = False,
    deliveries: Annotated[
        str | None,
        typer.Option(
            "--deliveries",
            help="Write one delivery per month FROM..TO (YYYY-MM..YYYY-MM or MM/YYYY..MM/YYYY) to "
            "OUT/delivery-YYYY-MM-DD/, with the recording delays of the preset; the history ends at TO.",
            show_default=False,
        ),
    ] = None,
    scale: Annotated[
        float,
        typer.Option("--scale", help="Regional presets: every job center at this fraction of its size (e.g. 0.1)."),
    ] = 1.0,
    published: Annotated[
        Path | None,
        typer.Option(
            "--published",
            help="Also write the § 48a figures of every job center as published (rounded; .csv/.parquet/.xlsx).",
        ),
    ] = None,
    jobcenters_out: Annotated[
        Path | None,
        typer.Option("--jobcenters-out", help="With --published: the jobcenters table [<published>-jobcenters.*]."),
    ] = None,
    include_data: Annotated[
        list[Path] | None,
        typer.Option(
            "--include-data",
            help="With --published: a data set directory whose job centers are published too (repeatable).",
        ),
    ] = None,
) -> None:
    """Simulate a synthetic job center (default: Jobcenter Elbe-Elster) and write a contract data set
    (or, with --deliveries, one data set per monthly delivery)."""
    from amip.synth.generate import calibration_report, synthesize
    from amip.synth.published import check_out, default_jobcenters_out, write_published
    from amip.warehouse.validate import DataSetRejected

    extra = list(include_data or [])
    try:
        if published is None and (jobcenters_out is not None or extra):
            raise ValueError("--jobcenters-out and --include-data need --published FILE")
        if published is not None:
            check_out(published)
            check_out(jobcenters_out or default_jobcenters_out(published))
            missing = [str(d) for d in extra if not d.is_dir()]
            if missing:
                raise ValueError(f"data set directory not found: {', '.join(missing)}")
    except ValueError as exc:
        console.print(f"[bold red]Error:[/] {exc}")
        raise typer.Exit(1) from None
    t0 = time.perf_counter()
    if deliveries is not None:
        if scale != 1.0:
            console.print("[bold red]Error:[/] --scale works for regional presets only, not with --deliveries")
            raise typer.Exit(1)
        data = _deliveries(preset, seed, out, fmt, first, last, deliveries)
    else:
        try:
            with console.status(f"Simulating {preset}") as status:
                counts = synthesize(
                    preset=preset,
                    seed=seed,
                    out=out,
                    fmt=fmt,
                    first=first,
                    last=last,
                    progress=lambda s: status.update(f"Simulating {preset}: {s}"),
                    size=scale,
                )
        except ValueError as exc:
            console.print(f"[bold red]Error:[/] {exc}")
            raise typer.Exit(1) from None
        table = Table(title=f"Wrote {out} ({preset}, seed {seed}, {time.perf_counter() - t0:.1f} s)")
        table.add_column("table")
        table.add_column("rows", justify="right")
        for name, n in counts.items():
            table.add_row(name, number(n))
        stdout.print(table)
        data = out
    if published is not None:
        t1 = time.perf_counter()
        try:
            with console.status("Computing the published figures") as status:
                done = write_published(
                    [data, *extra],
                    published,
                    jobcenters_out,
                    progress=lambda s: status.update(f"Computing the published figures: {s}"),
                )
        except DataSetRejected as exc:  # an --include-data directory that breaks the contract
            console.print(f"[bold red]Error:[/] published figures not written: a data set is rejected ({exc}):")
            for v in exc.violations[:20]:
                console.print(f"  • {v}", markup=False, highlight=False)
            raise typer.Exit(2) from None
        except (OSError, ValueError) as exc:
            console.print(f"[bold red]Error:[/] published figures not written: {exc}")
            raise typer.Exit(1) from None
        stdout.print(
            f"Wrote {published}: {number(int(done['rows']))} published figures of {done['jobcenters']} job centers "
            f"and {done['jobcenters_file']} ({done['named']} named) in {time.perf_counter() - t1:.1f} s"
        )
    if not report:
        return
    with console.status("Computing the calibration figures"):
        rows = calibration_report(data)
    rep = Table(title="Calibration against the programme documents")
    rep.add_column("target")
    rep.add_column("target value", justify="right")
    rep.add_column("achieved", justify="right")
    rep.add_column("band", justify="right")
    rep.add_column("inside", justify="center")
    for r in rows:
        band = (
            _fmt(r["band_low"], r["value"])
            if r["band_low"] == r["band_high"]
            else f"{_fmt(r['band_low'], r['value'])} – {_fmt(r['band_high'], r['value'])}"
        )
        rep.add_row(
            r["target"],
            _fmt(r["value"], r["value"]),
            _fmt(r["achieved"], r["value"]),
            band,
            "[green]ja[/]" if r["inside"] else "[bold red]nein[/]",
        )
    stdout.print(rep)
    missed = [r["target"] for r in rows if not r["inside"]]
    if missed:
        console.print(f"[yellow]{len(missed)} figure(s) outside their band:[/] {', '.join(missed)}")


def _deliveries(preset: str, seed: int, out: Path, fmt: str, first: str | None, last: str | None, months: str) -> Path:
    """``amip synth --deliveries``: simulate once, write every delivery (a progress bar over them),
    print a table of them; returns the last delivery's folder (the history as finally recorded)."""
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from amip.synth.deliveries import parse_months
    from amip.synth.generate import synthesize_deliveries
    from amip.synth.months import month_text

    t0 = time.perf_counter()
    try:
        _lo, hi = parse_months(months)
        if last is not None and last != month_text(hi):
            raise ValueError(
                f"--to {last} differs from the last month of --deliveries ({month_text(hi)}): leave --to out"
            )
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
        ) as bar:
            task = bar.add_task(f"Simulating {escape(preset)}", total=None)

            def step(done: int, total: int, name: str) -> None:
                bar.update(task, completed=done, total=total, description=f"Deliveries: {name}")

            written = synthesize_deliveries(
                preset=preset,
                seed=seed,
                out=out,
                fmt=fmt,
                months=months,
                first=first,
                progress=lambda s: bar.update(task, description=f"Simulating {escape(preset)}: {escape(s)}"),
                step=step,
            )
    except ValueError as exc:
        console.print(f"[bold red]Error:[/] {escape(str(exc))}")
        raise typer.Exit(1) from None
    table = Table(
        title=f"Wrote {len(written)} deliveries to {out} ({preset}, seed {seed}, {time.perf_counter() - t0:.1f} s)"
    )
    table.add_column("delivery", no_wrap=True)
    for col in ("persons", "elb_spells", "employment_spells", "benefits"):
        table.add_column(col, justify="right")
    for name, counts in written:
        table.add_row(name, *(number(counts[c]) for c in ("persons", "elb_spells", "employment_spells", "benefits")))
    stdout.print(table)
    names = {name for name, _ in written}
    stale = sorted(p.name for p in Path(out).glob("delivery-*") if p.is_dir() and p.name not in names)
    if stale:
        console.print(
            f"[yellow]{len(stale)} other delivery folder(s) in {escape(str(out))} (not from this run):[/] "
            f"{escape(', '.join(stale))}"
        )
    return Path(out) / written[-1][0]
