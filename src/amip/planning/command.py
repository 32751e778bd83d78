"""`amip plan`: target plans (Zielplanung): show, set, agree, propose from the forecast.

Changes are written to the state database beside the warehouse (or ``$AMIP_STATE_DB``) and to the
audit log with the role ``cli`` and the name given with ``--user``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from amip import duck
from amip.clikit import DbOption, JcOption, transaction, warehouse
from amip.clikit import fail as _fail

plan_app = typer.Typer(
    help="Target plans (Zielplanung): show, set, agree, propose from the forecast.", no_args_is_help=True
)
_err = Console(stderr=True)
_out = Console()
CLI_ROLE = "cli"

YearOption = Annotated[int, typer.Option("--year", help="Plan year, e.g. 2022.")]
TeamOption = Annotated[
    str | None,
    typer.Option("--team", help="A team's bottom-up plan instead of the job center's target.", show_default=False),
]
UserOption = Annotated[str, typer.Option("--user", help="Your name for the version history and the audit log.")]


def _state(db: Path | None):
    """One state transaction for the command; plan errors become a one-line message."""
    from amip.planning.plans import PlanError, PlanNotFound

    return transaction(warehouse(db, must_exist=False), (PlanError, PlanNotFound))


def _jobcenter(db: Path | None, given: str | None) -> str:
    if given:
        return given

    wh = warehouse(db, must_exist=False)
    if not wh.exists():
        _fail(f"warehouse not found: {wh}; give --jobcenter or --db")
    from amip.warehouse.jobcenters import pick_home

    con = duck.connect(str(wh), read_only=True)
    try:
        return pick_home(con, None)
    except ValueError as exc:
        _fail(str(exc), 2)
    finally:
        con.close()


def _store(db: Path | None):
    import amip.forecast  # noqa: F401 (registers the forecast tables as a figure-cache extension)
    from amip.figures.store import FigureStore

    wh = warehouse(db, must_exist=False)
    try:
        return FigureStore.open(wh, progress=lambda m: _err.print(f"[dim]{m}[/]"))
    except FileNotFoundError as exc:
        _fail(str(exc))


def _num(v, d: int = 0) -> str:
    from amip import format as fmt

    return fmt.number(v, d)


def _values_table(title: str, values: dict) -> Table:
    from amip.planning.plans import SEX_LABELS

    t = Table(title=title)
    for c in ("", "Integrationen", "ELB (JDW)", "Quote", "LZB (JDW)"):
        t.add_column(c, justify="right" if c else "left")
    for s in ("all", "w", "m"):
        v = values[s]
        t.add_row(SEX_LABELS[s], _num(v["integrations"]), _num(v["elb_jdw"]), _num(v["quota"], 1), _num(v["lzb_jdw"]))
    return t


@plan_app.command("show")
def show(year: YearOption, db: DbOption = None, jobcenter: JcOption = None) -> None:
    """The job center's plan beside the actual values of the year before (changes from unrounded
    values), the sum of the team plans, and the version history."""
    from amip.planning import plans
    from amip.planning.plans import SEX_LABELS

    jc = _jobcenter(db, jobcenter)
    store = _store(db)
    with _state(db) as session:
        t = plans.programme_targets(session, year, jc, store)
        teams = plans.team_sum(session, year, jc)
        hist = plans.history(session, year, jc, all_units=True)
    state = {"agreed": "vereinbart", "draft": "Entwurf", None: "kein Plan"}[t["status"]]
    version = f", Version {t['version']}" if t["version"] else ""
    _out.print(_values_table(f"Plan {year}, {store.jobcenter_name(jc)} ({state}{version})", t["plan"]))
    _out.print(_values_table(f"Ist {year - 1}", t["actual_previous"]))
    ch = Table(title=f"Veränderung Plan {year} gegen Ist {year - 1} in %")
    for c in ("", "Integrationen", "ELB", "Quote", "LZB"):
        ch.add_column(c, justify="right" if c else "left")
    for s in ("all", "w", "m"):
        c = t["changes"][s]
        ch.add_row(
            SEX_LABELS[s],
            _num(c["integrations_pct"], 1),
            _num(c["elb_pct"], 1),
            _num(c["quota_pct"], 1),
            _num(c["lzb_pct"], 1),
        )
    _out.print(ch)
    if teams["teams"]:
        _out.print(_values_table(f"Summe der Teampläne ({len(teams['teams'])} Teams)", teams["sum"]))
    versions = Table(title="Versionen")
    for c in ("Einheit", "Version", "Status", "gespeichert von", "am", "vereinbart von", "Änderungen"):
        versions.add_column(c)
    for h in hist:
        changed = ", ".join(f"{c['sex']} {c['measure']}: {_num(c['old'])} → {_num(c['new'])}" for c in h["changed"])
        versions.add_row(
            h["unit"],
            str(h["version"]),
            "vereinbart" if h["status"] == "agreed" else "Entwurf",
            h["created_by"],
            h["created_at"].strftime("%d.%m.%Y %H:%M"),
            h["agreed_by"] or "–",
            changed or "–",
        )
    _out.print(versions)


@plan_app.command("set")
def set_values(
    year: YearOption,
    sex: Annotated[str, typer.Option("--sex", help="all, w or m.")] = "all",
    integrations: Annotated[
        float | None, typer.Option("--integrations", help="Planned integrations in the year.")
    ] = None,
    elb: Annotated[float | None, typer.Option("--elb", help="Planned ELB, annual average (JDW).")] = None,
    lzb: Annotated[
        float | None, typer.Option("--lzb", help="Planned LZB stock as an annual average (JDW, S6).")
    ] = None,
    team: TeamOption = None,
    jobcenter: JcOption = None,
    note: Annotated[str | None, typer.Option("--note", help="A note for this version.")] = None,
    db: DbOption = None,
    user: UserOption = "cli",
) -> None:
    """Save a new draft version with these values; values of other sexes and measures are carried
    over from the newest version."""
    from amip.planning import plans

    if sex not in ("all", "w", "m"):
        _fail(f"--sex must be all, w or m, not {sex!r}", 2)
    row = {k: v for k, v in (("integrations", integrations), ("elb_jdw", elb), ("lzb_jdw", lzb)) if v is not None}
    if not row:
        _fail("give at least one of --integrations, --elb, --lzb", 2)
    jc = _jobcenter(db, jobcenter)
    with _state(db) as session:
        plan = plans.save_plan(session, year, jc, team, {sex: row}, user, CLI_ROLE, note=note, merge=True)
        version = plan.version
    _out.print(f"Saved {year} {jc} {'team ' + team if team else 'job center'}: version {version} (draft).")


@plan_app.command("agree")
def agree_cmd(
    year: YearOption,
    team: TeamOption = None,
    jobcenter: JcOption = None,
    version: Annotated[int | None, typer.Option("--version", help="Check that this is the newest version.")] = None,
    db: DbOption = None,
    user: UserOption = "cli",
) -> None:
    """Mark the newest version as agreed (it is frozen from then on)."""
    from amip.planning import plans

    jc = _jobcenter(db, jobcenter)
    with _state(db) as session:
        plan = plans.latest(session, year, jc, team)
        if plan is None:
            _fail(f"no plan for {year} {jc}{' team ' + team if team else ''}; save one with 'amip plan set'")
        if version is not None and version != plan.version:
            _fail(f"the newest version is {plan.version}, not {version}")
        plans.agree(session, plan.id, user, CLI_ROLE)
        number = plan.version
    _out.print(f"Agreed {year} {jc} {'team ' + team if team else 'job center'}: version {number}.")


@plan_app.command("propose")
def propose_cmd(year: YearOption, jobcenter: JcOption = None, db: DbOption = None, user: UserOption = "cli") -> None:
    """Fill a new draft of the job center's plan from the actual months and the forecast."""
    from amip.planning import proposal, targets

    jc = _jobcenter(db, jobcenter)
    store = _store(db)
    with _state(db) as session:
        plan = proposal.fill_draft(session, store, year, jc, user, CLI_ROLE)
        values, number = targets.with_totals(plan.as_dict()), plan.version
    _out.print(_values_table(f"Vorschlag {year}, {store.jobcenter_name(jc)}: Version {number} (Entwurf)", values))
