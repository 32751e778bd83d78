"""`amip published import|list`, `amip compare`, `amip reconcile` (docs/comparison.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from amip import format as fmt
from amip.clikit import DbOption, err, fail, month_value, warehouse

published_app = typer.Typer(
    help="Published § 48a figures (e.g. the BMAS's monthly tables) beside the warehouse.", no_args_is_help=True
)
out = Console()

OutOption = Annotated[
    Path | None,
    typer.Option("--out", help="Write the table to FILE (.csv, .parquet or .jsonl).", show_default=False),
]


def _report_rejection(exc) -> None:
    err.print(f"[bold red]Rejected:[/] {exc.total} violation(s); nothing was changed.", highlight=False)
    for v in exc.violations[:50]:
        err.print(f"  {v}", highlight=False, markup=False, soft_wrap=True)
    if exc.total > len(exc.violations[:50]):
        err.print(f"  … and {exc.total - len(exc.violations[:50])} more", highlight=False)
    raise typer.Exit(1)


@published_app.command("import")
def import_cmd(
    file: Annotated[
        Path, typer.Argument(help="Published figures: the contract's output columns (.csv, .parquet, .xlsx).")
    ],
    jobcenters: Annotated[
        Path | None,
        typer.Option(
            "--jobcenters",
            help="The jobcenters table (jobcenter_id, name, land, kind, vergleichstyp).",
            show_default=False,
        ),
    ] = None,
    publication: Annotated[
        str | None,
        typer.Option(
            "--publication",
            help="Publication month MM/YYYY or YYYY-MM (default: the latest month in the file). The latest "
            "publication wins for a month; importing a publication again replaces it.",
            show_default=False,
            callback=month_value,
        ),
    ] = None,
    db: DbOption = None,
    wait: Annotated[float, typer.Option("--wait", help="Seconds to wait for another import of the same file.")] = 0.0,
) -> None:
    """Validate a file of published figures (and the jobcenters table) and keep it beside the
    warehouse in <stem>.published.duckdb, never mixed with the microdata (all or nothing)."""
    import duckdb

    from amip.kennzahlen import FIGURES
    from amip.published.store import import_published, published_path
    from amip.warehouse.store import ImportLocked
    from amip.warehouse.validate import DataSetRejected

    wh = warehouse(db, must_exist=False)
    try:
        s = import_published(
            file,
            wh,
            [f.id for f in FIGURES],
            [f.id for f in FIGURES if not f.person_based],
            jobcenters,
            publication,
            wait,
        )
    except DataSetRejected as exc:
        _report_rejection(exc)
    except (ImportLocked, ValueError, OSError, duckdb.Error) as exc:
        fail(f"import of {file} failed, nothing was changed: {exc}")
    jc_text = "" if s.jobcenters is None else f", {s.jobcenters} job centers"
    out.print(
        f"Publication {fmt.month(s.publication)}: {s.rows} rows ({fmt.month(s.months[0])} to {fmt.month(s.months[1])}){jc_text} "
        f"-> {published_path(wh)} ({s.publications} publication(s) kept)",
        highlight=False,
        soft_wrap=True,
    )


@published_app.command("list")
def list_cmd(db: DbOption = None) -> None:
    """The publications kept beside the warehouse."""
    from amip.published.store import load_published, published_path

    wh = warehouse(db, must_exist=False)
    pub = load_published(wh)
    if pub is None:
        fail(f"no published figures: {published_path(wh)} (import them with 'amip published import FILE --db {wh}')")
    t = Table(title=f"Veröffentlichte Kennzahlen ({len(pub.jobcenters)} Jobcenter in der Tabelle jobcenters)")
    for c in ("Veröffentlichung", "importiert", "Datei", "Zeilen", "Monate"):
        t.add_column(c)
    for r in pub.publications.to_dict("records"):
        t.add_row(
            fmt.month(r["publication"]),
            fmt.time_de(r["imported_at"], short=True),  # stored in UTC, shown in Berlin time
            r["source"],
            str(r["rows"]),
            f"{fmt.month(r['first_month'])} – {fmt.month(r['last_month'])}",
        )
    out.print(t)


def _open(db: Path | None):
    import amip.forecast  # noqa: F401 (the cache's forecast extension, so the cache is not rebuilt)
    from amip.figures.store import FigureStore
    from amip.published.store import load_published, published_path

    wh = warehouse(db)
    pub = load_published(wh)
    if pub is None:
        fail(f"no published figures: {published_path(wh)} (import them with 'amip published import FILE --db {wh}')")
    try:
        with err.status("Kennzahlen werden berechnet …"):
            store = FigureStore.open(wh)
    except Exception as exc:  # noqa: BLE001 - one line instead of a traceback
        fail(f"cannot open {wh}: {exc}")
    return store, pub


def _write(frame, path: Path) -> None:
    import pyarrow as pa

    from amip.kennzahlen.output import write_figures

    try:
        write_figures(pa.Table.from_pandas(frame, preserve_index=False), path)
    except (ValueError, OSError) as exc:
        fail(str(exc))


def compare_command(
    jobcenter: Annotated[str | None, typer.Option("--jobcenter", help="Job center id (default: the only one).")] = None,
    month: Annotated[
        str | None,
        typer.Option("--month", help="Bezugsmonat MM/YYYY or YYYY-MM (default: the latest).", callback=month_value),
    ] = None,
    db: DbOption = None,
    out_file: OutOption = None,
    k: Annotated[int, typer.Option("--neighbours", help="Nearest neighbours to list.", min=1, max=50)] = 5,
) -> None:
    """The job center's own values among its Vergleichstyp (published figures): rank, terciles,
    quartiles, the type's median and spread, Land and Germany, each figure by sex; and its
    nearest neighbours on framework conditions."""
    from amip.comparison.compare import NEIGHBOUR_CAVEAT, describe, jobcenter_info, neighbours, own_status, position
    from amip.figures import glossary

    store, pub = _open(db)
    try:
        if jobcenter is None and len(store.jobcenters) != 1:
            fail(
                f"the data hold {len(store.jobcenters)} job centers ({', '.join(store.jobcenters[:10])}): choose one with --jobcenter"
            )
        jc = jobcenter or store.jobcenters[0]
        if jc not in store.jobcenters:
            fail(f"unknown job center {jc!r} (in the data: {', '.join(store.jobcenters[:10])})")
        month = month or (pub.months[-1] if pub.months and pub.months[-1] <= (store.latest or "") else store.latest)
        if month not in pub.months:
            shown = ", ".join(fmt.month(m) for m in pub.months[-6:]) or "none"
            fail(f"no published figures for {fmt.month(month)} (published: {shown})")
        info = jobcenter_info(pub, store)
        me = describe(info, jc)
        rows = []
        for fig in store.available_figures():
            for sex in ("all", "w", "m") if glossary.PERSON_BASED[fig] else ("all",):
                p, _ = position(store, pub, info, jc, fig, month, sex)
                rows.append(
                    {
                        "jobcenter_id": jc,
                        "month": month,
                        "figure": fig,
                        "sex": sex,
                        "vergleichstyp": p.vergleichstyp,
                        "value": p.value,
                        "source": p.source,
                        "rank": p.rank,
                        "of": p.of,
                        "tercile": p.tercile,
                        "quartile": p.quartile,
                        "type_median": p.type_stats["median"],
                        "type_q1": p.type_stats["q1"],
                        "type_q3": p.type_stats["q3"],
                        "type_min": p.type_stats["min"],
                        "type_max": p.type_stats["max"],
                        "gap": p.gap,
                        "land_median": p.land_stats["median"],
                        "germany_median": p.germany_stats["median"],
                    }
                )
        import pandas as pd

        frame = pd.DataFrame(rows)
        for c in ("rank", "of", "tercile", "quartile"):
            frame[c] = frame[c].astype("Int64")
        if out_file is not None:
            _write(frame, out_file)
        title = (
            f"{me.name} im Vergleichstyp {me.vergleichstyp or '(unbekannt)'}, {fmt.month(month)} "
            f"(eigene Werte aus amip, {own_status(store, month)}; übrige veröffentlicht)"
        )
        t = Table(title=title)
        for c in (
            "Kennzahl",
            "Gruppe",
            "Wert",
            "Rang",
            "Drittel",
            "Quartil",
            "Median Typ",
            "Abstand",
            "Land",
            "Deutschland",
        ):
            t.add_column(c, justify="left" if c in ("Kennzahl", "Gruppe") else "right")
        for r in rows:
            t.add_row(
                r["figure"],
                glossary.SEXES[r["sex"]],
                fmt.percent(r["value"], 1),
                "–" if r["rank"] is None else f"{r['rank']}/{r['of']}",
                "–" if r["tercile"] is None else str(r["tercile"]),
                "–" if r["quartile"] is None else str(r["quartile"]),
                fmt.percent(r["type_median"], 1),
                fmt.number(r["gap"], 1) if r["gap"] is not None else "–",
                fmt.percent(r["land_median"], 1),
                fmt.percent(r["germany_median"], 1),
            )
        out.print(t)
        nb = neighbours(store, pub, info, jc, month, k)
        if len(nb):
            n = Table(title=f"Nächste Nachbarn von {me.name}, {fmt.month(month)}", caption=NEIGHBOUR_CAVEAT)
            for c in ("Jobcenter", "Vergleichstyp", "Abstand (z)"):
                n.add_column(c)
            for r in nb.to_dict("records"):
                n.add_row(f"{r['name']} ({r['jobcenter_id']})", r["vergleichstyp"] or "–", fmt.number(r["distance"], 2))
            out.print(n)
    finally:
        store.close()


def reconcile_command(
    db: DbOption = None,
    month: Annotated[
        list[str] | None,
        typer.Option(
            "--month", help="Only this month, MM/YYYY or YYYY-MM (repeatable; default: all).", callback=month_value
        ),
    ] = None,
    out_file: OutOption = None,
) -> None:
    """amip's figures beside the published ones, per job center, month, figure and sex: numerator,
    denominator, value of both, status (equal within rounding, different, only_amip,
    only_published) and a first explanation from amip's own data."""
    from amip.comparison.compare import jobcenter_info
    from amip.comparison.reconcile import STATUS_LABELS, TOLERANCE_NOTE, reconcile, summary

    store, pub = _open(db)
    try:
        t = reconcile(store, pub, month or None, jobcenter_info(pub, store))
    finally:
        store.close()
    if out_file is not None:
        _write(t, out_file)
    counts = summary(t)
    table = Table(title="Abgleich amip – veröffentlichte Kennzahlen", caption=TOLERANCE_NOTE)
    table.add_column("Status")
    table.add_column("Zeilen", justify="right")
    for status, n in counts.items():
        table.add_row(f"{STATUS_LABELS[status]} ({status})", str(n))
    out.print(table)
    diff = t[t["status"] == "different"].head(20)
    if len(diff):
        d = Table(title="Abweichungen (die ersten 20)")
        for c in ("Jobcenter", "Monat", "Kennzahl", "Gruppe", "Wert amip", "veröffentlicht", "Erklärung"):
            d.add_column(c)
        for r in diff.to_dict("records"):
            d.add_row(
                r["jobcenter_id"],
                fmt.month(r["month"]),
                r["figure"],
                r["sex"],
                fmt.percent(r["value"], 2),
                fmt.percent(r["published_value"], 1),
                r["explanation"],
            )
        out.print(d)
