"""Which job centers a warehouse is *for* (its home job centers).

The engine reports every job center with ELB spells (docs/decisions.md, 6): the contract counts
the receipt of a person "at any job center" for the LZB duration, so a job center's own extract
also holds its customers' earlier spells at other job centers. Those other job centers have spells
but none of their benefit payments in the extract. Everything that works *for* a job center — the
cockpit's job-center choice, the programme, the plan, the forecasts — uses the home job centers:

- the job centers with ELB spells that have rows in ``benefits``, when ``benefits`` has any rows;
- otherwise (no payments at all, e.g. a test data set) every job center with ELB spells.
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
