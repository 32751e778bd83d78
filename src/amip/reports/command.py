"""`amip report`: Write the Arbeitsmarkt- und Integrationsprogramm or the monthly controlling report (PDF, HTML, XLSX)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from amip.clikit import DbOption, JcOption, month_value, transaction, warehouse
from amip.clikit import fail as _fail

report_app = typer.Typer(
    help="Write the Arbeitsmarkt- und Integrationsprogramm or the monthly controlling report (PDF, HTML, XLSX).",
    no_args_is_help=True,
)
texts_app = typer.Typer(
    help="Export or import the editable chapter texts (Markdown) of the programme.", no_args_is_help=True
)
report_app.add_typer(texts_app, name="texts")
_err = Console(stderr=True)
CLI_ROLE = "cli"

OutOption = Annotated[
    Path, typer.Option("--out", help="Output file; the ending chooses the format: .pdf, .html or .xlsx.")
]


def _check_out(out: Path) -> str:
    from amip.reports.render import check_out

    try:
        return check_out(out)
    except ValueError as exc:
        _fail(str(exc), 2)


@report_app.command("programme")
def programme(
    year: Annotated[
        int, typer.Option("--year", help="Programme year Y, e.g. 2022 (needs the complete year Y−1 in the data).")
    ],
    out: OutOption,
    jobcenter: JcOption = None,
    db: DbOption = None,
) -> None:
    """Write the Arbeitsmarkt- und Integrationsprogramm for a year (chapters as in the job center's programme)."""
    suffix = _check_out(out)
    wh = warehouse(db)
    from amip.planning.budget import BudgetError
    from amip.reports import programme as prog
    from amip.reports import render, texts

    try:
        with _err.status("Programm wird erstellt …") as status, transaction(wh) as session:

            def say(msg: str) -> None:
                status.update(f"Programm {year}: {msg} …")

            p = prog.collect(wh, year, jobcenter, db=session, progress=say)
            say("Texte und Dokument")
            data = render.programme_bytes(p, texts.texts_for(session, year, p.jobcenter), suffix)
    except (prog.ProgrammeError, texts.TextError, BudgetError, FileNotFoundError) as exc:
        _fail(str(exc))
    render.write_atomic(out, data)
    for note in p.notes:
        _err.print(f"[yellow]Hinweis:[/] {note}", highlight=False)
    _err.print(f"[green]written[/] {out} ({len(data):,} bytes)")


@report_app.command("monthly")
def monthly(
    month: Annotated[str, typer.Option("--month", help="Bezugsmonat, MM/YYYY or YYYY-MM.", callback=month_value)],
    out: OutOption,
    jobcenter: JcOption = None,
    db: DbOption = None,
) -> None:
    """Write the monthly controlling report (figures, Zielnachhaltung, outlook, spending)."""
    suffix = _check_out(out)
    wh = warehouse(db)
    from amip.reports import monthly as mon
    from amip.reports import render
    from amip.reports.programme import ProgrammeError

    try:
        with _err.status("Bericht wird erstellt …") as status, transaction(wh) as session:
            m = mon.collect(wh, month, jobcenter, db=session, progress=lambda msg: status.update(f"{month}: {msg} …"))
            data = render.monthly_bytes(m, suffix)
    except (ProgrammeError, FileNotFoundError) as exc:
        _fail(str(exc))
    render.write_atomic(out, data)
    _err.print(f"[green]written[/] {out} ({len(data):,} bytes)")


def _texts_jobcenter(wh: Path, jobcenter: str | None) -> str:
    from amip.planning.budget import attach_warehouse
    from amip.reports.programme import ProgrammeError, pick_jobcenter

    con = attach_warehouse(wh)
    try:
        return pick_jobcenter(con, jobcenter)
    except ProgrammeError as exc:
        _fail(str(exc))
    finally:
        con.close()


@texts_app.command("export")
def texts_export(
    folder: Annotated[Path, typer.Argument(help="Folder to write <chapter>.md files into.")],
    year: Annotated[int, typer.Option("--year", help="Programme year.")],
    jobcenter: JcOption = None,
    db: DbOption = None,
) -> None:
    """Write the current chapter texts (edited, else default) as Markdown files."""
    wh = warehouse(db)
    jc = _texts_jobcenter(wh, jobcenter)
    from amip.reports import texts

    with transaction(wh) as session:
        paths = texts.export_dir(session, year, jc, folder)
    _err.print(f"[green]exported[/] {len(paths)} chapters to {folder}")


@texts_app.command("import")
def texts_import(
    folder: Annotated[Path, typer.Argument(help="Folder with <chapter>.md files.")],
    year: Annotated[int, typer.Option("--year", help="Programme year.")],
    user: Annotated[str, typer.Option("--user", help="Your name for the audit log.")],
    jobcenter: JcOption = None,
    db: DbOption = None,
) -> None:
    """Store chapter texts from Markdown files (each is checked first; nothing is stored on an error)."""
    wh = warehouse(db)
    jc = _texts_jobcenter(wh, jobcenter)
    from amip.reports import texts
    from amip.state import audit

    try:
        found = texts.read_dir(folder)
        found = {chapter: texts.check_syntax(chapter, md) for chapter, md in found.items()}
    except (KeyError, FileNotFoundError, texts.TextError) as exc:
        _fail(str(exc).strip("'\""))
    with transaction(wh) as session:
        for chapter, md in found.items():
            texts.save_text(session, year, jc, chapter, md, user)
            audit.record(
                session,
                user_name=user,
                role=CLI_ROLE,
                action="report_text_edit",
                detail=f"{year} {jc} {chapter} (import)",
            )
    _err.print(f"[green]imported[/] {len(found)} chapters for {year}, job center {jc}")
