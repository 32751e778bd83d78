"""What the command-line sub-apps share: the ``--db`` and ``--jobcenter`` options, one-line
errors, and the state database opened for one command (errors become a message, never a
traceback). Heavy imports stay inside the functions so that ``amip --help`` is fast."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

err = Console(stderr=True)

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help="Warehouse file; the state database lies beside it (default: $AMIP_DB, else ./amip.duckdb; "
        "$AMIP_STATE_DB overrides).",
        show_default=False,
    ),
]
JcOption = Annotated[
    str | None,
    typer.Option(
        "--jobcenter", help="Job center id (default: the only job center in the warehouse).", show_default=False
    ),
]


def fail(message: str, code: int = 1) -> NoReturn:
    from rich.markup import escape

    err.print(f"[bold red]Error:[/] {escape(message)}", highlight=False, soft_wrap=True)  # paths stay whole
    raise typer.Exit(code)


def month_value(ctx: typer.Context, param: typer.CallbackParam, value):
    """The callback of every month option (``--from``, ``--to``, ``--month``, ``--publication``):
    ``12/2022`` (as the pages show it) or ``2022-12``, returned as ``2022-12``
    (amip.format.iso_month); anything else is a one-line error naming the option."""
    from amip import format as fmt

    if value is None or ctx.resilient_parsing:
        return value
    try:
        if isinstance(value, (list, tuple)):
            return [fmt.iso_month(v) for v in value]
        return fmt.iso_month(value)
    except ValueError as exc:
        fail(f"{(param.opts or [param.name])[0]} {exc}")


MONTH_FORMS = "MM/YYYY or YYYY-MM"


def warehouse(db: Path | None, must_exist: bool = True) -> Path:
    """The warehouse file of ``--db`` (default ``$AMIP_DB``, else ``./amip.duckdb``)."""
    from amip.warehouse.store import default_db

    wh = Path(db) if db else default_db()
    if must_exist and not wh.exists():
        fail(f"warehouse not found: {wh} (create it with 'amip import DIR --db {wh}')")
    return wh


@contextmanager
def state(wh: Path, errors: tuple[type[Exception], ...] = ()) -> Iterator[sessionmaker[Session]]:
    """Open (and migrate) the state database beside ``wh`` for one command; database errors and
    the given domain ``errors`` become a one-line message (exit code 1)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from amip.state.db import open_state, state_url

    url = state_url(wh)
    factory = None
    try:
        factory = open_state(url=url)
        yield factory
    except SQLAlchemyError as exc:
        shown = make_url(url).render_as_string(hide_password=True)
        fail(f"state database {shown}: {getattr(exc, 'orig', None) or exc}")
    except errors as exc:
        fail(str(exc))
    finally:
        if factory is not None:
            factory.kw["bind"].dispose()


@contextmanager
def transaction(wh: Path, errors: tuple[type[Exception], ...] = ()) -> Iterator[Session]:
    """``state`` with one transaction around the command (committed when it succeeds)."""
    with state(wh, errors) as factory, factory.begin() as session:
        yield session
