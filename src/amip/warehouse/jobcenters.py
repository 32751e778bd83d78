"""Which job centers a warehouse is *for* (its home job centers).

The engine reports every job center with ELB spells (docs/decisions.md, 6): the contract counts
the receipt of a person "at any job center" for the LZB duration, so a job center's own extract
also holds its customers' earlier spells at other job centers. Those other job centers have spells
but none of their benefit payments in the extract. Everything that works *for* a job center — the
cockpit's job-center choice, the programme, the plan, the forecasts — uses the home job centers:

- the job centers with ELB spells that have rows in ``benefits``, when ``benefits`` has any rows;
- otherwise (no payments at all, e.g. a test data set) every job center with ELB spells.

It also names them: the optional contract table ``jobcenters`` (jobcenter_id, name, land, kind,
vergleichstyp) gives each job center its name; :func:`names` reads it and :func:`describe` falls
back to "Jobcenter <id>" when the table or the job center's row is absent (docs/decisions.md, 67).
"""

from __future__ import annotations


def home_jobcenters(con, schema: str = "") -> list[str]:
    """The home job centers of the warehouse on ``con`` (DuckDB; ``schema`` e.g. ``"w."`` when the
    warehouse is attached), sorted."""
    p = schema
    rows = con.execute(f"""
        SELECT DISTINCT jobcenter_id FROM {p}elb_spells
        WHERE NOT EXISTS (SELECT 1 FROM {p}benefits)
           OR jobcenter_id IN (SELECT jobcenter_id FROM {p}benefits)
        ORDER BY 1
    """).fetchall()
    return [r[0] for r in rows]


def pick_home(con, jobcenter: str | None, schema: str = "") -> str:
    """``jobcenter`` if it is a home job center, else the only home job center; ValueError with a
    message for the user otherwise."""
    known = home_jobcenters(con, schema)
    if jobcenter is None:
        if len(known) != 1:
            raise ValueError(
                f"the data holds {len(known)} job centers ({', '.join(known[:10]) or 'none'}): "
                "choose one with --jobcenter"
            )
        return known[0]
    if jobcenter not in known:
        raise ValueError(f"unknown job center {jobcenter!r} (in the data: {', '.join(known[:10]) or 'none'})")
    return jobcenter


PREFIX = "Jobcenter "


def fallback_name(jobcenter: str) -> str:
    """The name of a job center the ``jobcenters`` table does not name: ``Jobcenter <id>``."""
    return f"{PREFIX}{jobcenter}"


def names(con, schema: str = "") -> dict[str, str]:
    """jobcenter_id -> name from the warehouse's ``jobcenters`` table on ``con`` (empty when the
    warehouse has no such table; ``schema`` e.g. ``"w."`` when the warehouse is attached)."""
    catalog = f"'{schema.rstrip('.')}'" if schema else "current_database()"
    found = con.execute(
        f"SELECT count(*) FROM information_schema.tables WHERE table_catalog = {catalog} AND table_name = 'jobcenters'"
    ).fetchone()[0]
    if not found:
        return {}
    return {r[0]: r[1] for r in con.execute(f"SELECT jobcenter_id, name FROM {schema}jobcenters").fetchall()}


def describe(con, jobcenter: str, schema: str = "") -> str:
    """The name of ``jobcenter`` (e.g. ``Jobcenter Elbe-Elster``), else ``Jobcenter <id>``."""
    return names(con, schema).get(jobcenter) or fallback_name(jobcenter)


def short_name(name: str) -> str:
    """A name without its leading "Jobcenter ", for texts that say "das Jobcenter …" themselves
    (``Jobcenter Elbe-Elster`` -> ``Elbe-Elster``; ``Jobcenter 12062`` -> ``12062``); a name that
    does not start with it (e.g. ``Kommunales Jobcenter Landkreis X``) is kept whole."""
    return name[len(PREFIX) :] if name.startswith(PREFIX) and len(name) > len(PREFIX) else name
