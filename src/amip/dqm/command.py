"""`amip dqm`: Data-quality checks: run the declared rules on the latest import and turn findings into tasks."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from amip.clikit import DbOption, state, warehouse

dqm_app = typer.Typer(
    help="Data-quality checks: run the declared rules on the latest import and turn findings into tasks.",
    no_args_is_help=True,
)
_out = Console()


@dqm_app.command("run")
def run_cmd(
    db: DbOption = None,
    no_mail: Annotated[
        bool, typer.Option("--no-mail", help="Do not send e-mails even when AMIP_SMTP_HOST is set.")
    ] = False,
) -> None:
    """Run every rule on the warehouse, write the findings as tasks (idempotent) and print counts per rule.

    Exits 0 whenever the run itself succeeded, also with findings; 1 on its own failure (nothing is written)."""
    from amip import format as fmt
    from amip.dqm.run import DqmError, run_all

    wh = warehouse(db)
    with state(wh, (DqmError,)) as factory:
        result = run_all(wh, factory, send_mail=not no_mail)
    y, m = result.data_month.split("-")
    table = Table("Regel", "Titel", "Befunde", "neu", "geschlossen", title=f"Datenqualität, Datenstand {m}/{y}")
    for r in result.results:
        if r.skipped:
            table.add_row(r.rule.id, r.rule.title, "–", "–", "–", end_section=False)
            continue
        table.add_row(r.rule.id, r.rule.title, fmt.number(r.findings), fmt.number(r.new), fmt.number(r.closed))
    table.add_row(
        "",
        "Summe",
        fmt.number(result.findings),
        fmt.number(sum(r.new for r in result.results)),
        fmt.number(sum(r.closed for r in result.results)),
        style="bold",
    )
    _out.print(table)
    for r in result.results:
        if r.skipped:
            _out.print(f"{r.rule.id} nicht geprüft: {r.skipped}", highlight=False)
    _out.print(
        f"Lauf {result.run_id}: {result.notifications} Benachrichtigung(en), "
        f"{result.mails_sent} von {len(result.mails)} E-Mail(s) zugestellt.",
        highlight=False,
    )


@dqm_app.command("rules")
def rules_cmd() -> None:
    """List the declared rules: id, title, severity, responsible, source."""
    from amip.dqm.rules import RESPONSIBLE, RULES, SEVERITIES

    table = Table("Regel", "Titel", "Schwere", "zuständig", "Quelle")
    for r in RULES:
        table.add_row(r.id, r.title, SEVERITIES[r.severity], RESPONSIBLE[r.responsible], r.source)
    _out.print(table)
