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

from amip.format import number

console = Console(stderr=True)
stdout = Console()


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
        str | None, typer.Option("--from", help="First month written, YYYY-MM (default: the preset's).")
    ] = None,
    last: Annotated[
        str | None, typer.Option("--to", help="Last month (data cut-off), YYYY-MM (default: the preset's).")
    ] = None,
    report: Annotated[
        bool, typer.Option("--report", help="Compute the calibration figures and compare them with the targets.")
    ] = False,
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
    """Simulate a synthetic job center (default: Jobcenter Elbe-Elster) and write a contract data set."""
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
    if published is not None:
        t1 = time.perf_counter()
        try:
            with console.status("Computing the published figures") as status:
                done = write_published(
                    [out, *extra],
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
        rows = calibration_report(out)
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
