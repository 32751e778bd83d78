"""Run every data-quality rule on the warehouse and turn the findings into tasks.

All rules run in DuckDB first (one query each, no loops over persons); only when every rule has
run are the results written to the state database, in one transaction: a failing rule leaves
the state as it was. Writing is idempotent: a finding that is already known keeps its task and
status; a task whose finding the data no longer produce is closed as ``erledigt_daten``; a
finding that comes back after such a close is opened again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from amip import duck
from amip.dqm import notify
from amip.dqm.models import ACTIVE, DONE_DATA, OPEN, DqmRate, DqmRun, DqmTask
from amip.dqm.rules import RULES, Rule
from amip.state import audit
from amip.state.models import aware

log = logging.getLogger(__name__)
SYSTEM_USER = "dqm"
NO_TEAM = "-"
_CHUNK = 500


class DqmError(RuntimeError):
    """A failure of the run itself (warehouse unreadable, a rule's SQL failed)."""


@dataclass
class RuleResult:
    rule: Rule
    findings: int = 0
    new: int = 0
    closed: int = 0
    skipped: str | None = None  # why the rule could not run (missing tables)


@dataclass
class RunResult:
    run_id: int
    data_month: str
    results: list[RuleResult]
    notifications: int = 0
    mails: list[notify.Mail] = field(default_factory=list)
    mails_sent: int = 0

    @property
    def findings(self) -> int:
        return sum(r.findings for r in self.results)


@dataclass
class Evaluation:
    """What the rules found in the warehouse, before anything is written."""

    data_month: str
    findings: list[tuple]  # (rule_id, person_id, anchor date, month, detail, caseworker_id, team_id)
    rates: list[tuple]  # (rule_id, team_id, month, findings, stock)
    ran: list[str]
    skipped: dict[str, str]


def _shift(month: str, by: int) -> str:
    """'2022-12' shifted by ``by`` months."""
    y, m = map(int, month.split("-"))
    k = y * 12 + m - 1 + by
    return f"{k // 12:04d}-{k % 12 + 1:02d}"


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def prepare(con: duckdb.DuckDBPyConnection, tables: set[str]) -> None:
    """The helper views the rules use (see ``amip.dqm.rules``)."""
    con.execute("""
        CREATE OR REPLACE TEMP VIEW dq_spells AS
        SELECT person_id, jobcenter_id, start_date AS s, coalesce(end_date, DATE '9999-12-31') AS e FROM elb_spells
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE dq_stretches AS
        WITH o AS (
            SELECT person_id, s, e, max(e) OVER (PARTITION BY person_id ORDER BY s, e
                                                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_e
            FROM dq_spells
        ), g AS (
            SELECT *, sum(CASE WHEN prev_e IS NULL OR s > prev_e + 1 THEN 1 ELSE 0 END)
                      OVER (PARTITION BY person_id ORDER BY s, e ROWS UNBOUNDED PRECEDING) AS grp
            FROM o
        )
        SELECT person_id, min(s) AS s, max(e) AS e FROM g GROUP BY person_id, grp
    """)
    if "caseload" in tables:
        con.execute("""
            CREATE OR REPLACE TEMP VIEW dq_assign AS
            SELECT person_id, start_date AS s, coalesce(end_date, DATE '9999-12-31') AS e, caseworker_id, team_id
            FROM caseload
        """)
    else:
        con.execute("""
            CREATE OR REPLACE TEMP VIEW dq_assign AS
            SELECT NULL::VARCHAR AS person_id, NULL::DATE AS s, NULL::DATE AS e,
                   NULL::VARCHAR AS caseworker_id, NULL::VARCHAR AS team_id WHERE false
        """)


def evaluate(warehouse: Path, rules: tuple[Rule, ...] = RULES) -> Evaluation:
    """Run ``rules`` on the warehouse file (read-only). Raises :class:`DqmError`."""
    warehouse = Path(warehouse)
    if not warehouse.exists():
        raise DqmError(f"warehouse not found: {warehouse}")
    try:
        con = duck.connect(str(warehouse), read_only=True)
    except duckdb.Error as exc:
        raise DqmError(f"cannot open warehouse {warehouse}: {exc}") from exc
    try:
        con.execute("SET enable_progress_bar = false")
        tables = _tables(con)
        for needed in ("dataset", "elb_spells"):
            if needed not in tables:
                raise DqmError(f"warehouse {warehouse} has no table {needed}: import a data set first")
        first, last = con.execute("SELECT first_month, last_month FROM dataset").fetchone()
        cutoff = con.execute(
            "SELECT (strptime($m, '%Y-%m') + INTERVAL 1 MONTH - INTERVAL 1 DAY)::DATE", {"m": last}
        ).fetchone()[0]
        prepare(con, tables)
        con.execute("CREATE TEMP TABLE dq_found (rule_id VARCHAR, person_id VARCHAR, anchor DATE, detail VARCHAR)")
        ran, skipped = [], {}
        by_id = {r.id: r for r in rules}
        for rule in rules:
            missing = [t for t in rule.needs if t not in tables]
            if missing:
                skipped[rule.id] = "fehlende Tabelle " + ", ".join(missing)
                continue
            try:
                con.execute(
                    f"""
                    INSERT INTO dq_found
                    SELECT '{rule.id}', person_id, anchor::DATE, string_agg(DISTINCT detail, '; ')
                    FROM ({rule.sql}) GROUP BY person_id, anchor::DATE
                """,
                    {"cutoff": cutoff} if "$cutoff" in rule.sql else None,
                )
            except duckdb.Error as exc:
                raise DqmError(f"rule {rule.id} failed: {exc}") from exc
            ran.append(rule.id)
        # the responsible IFK and team: the person's CURRENT caseload, i.e. the caseload row
        # covering the data's last covered day (the latest-starting one if several do); a person
        # in no caseload on that day gets no IFK (no IFK sees it) and the team of the last caseload
        # row that began by then (the team lead still sees it; controlling sees every task).
        # docs/dqm.md, "Who owns a task".
        findings = con.execute(
            """
            WITH cur AS (
                SELECT person_id, arg_max(caseworker_id, s) AS caseworker_id, arg_max(team_id, s) AS team_id
                FROM dq_assign WHERE s <= $cutoff AND e >= $cutoff GROUP BY person_id
            ), past AS (
                SELECT person_id, arg_max(team_id, s) AS team_id FROM dq_assign WHERE s <= $cutoff GROUP BY person_id
            )
            SELECT f.rule_id, f.person_id, f.anchor, strftime(f.anchor, '%Y-%m') AS month, f.detail,
                   a.caseworker_id, coalesce(a.team_id, p.team_id) AS team_id
            FROM dq_found f LEFT JOIN cur a ON f.person_id = a.person_id LEFT JOIN past p ON f.person_id = p.person_id
            ORDER BY f.rule_id, f.person_id, f.anchor
        """,
            {"cutoff": cutoff},
        ).fetchall()
        con.execute(
            "CREATE TEMP TABLE dq_found_team AS SELECT rule_id, month, coalesce(team_id, $nt) AS team_id "
            "FROM (SELECT f.rule_id, strftime(f.anchor, '%Y-%m') AS month, a.team_id FROM dq_found f "
            "ASOF LEFT JOIN dq_assign a ON f.person_id = a.person_id AND f.anchor >= a.s)",
            {"nt": NO_TEAM},
        )
        rates = con.execute(
            """
            WITH months AS (
                SELECT strftime(d, '%Y-%m') AS month, (d + INTERVAL 1 MONTH - INTERVAL 1 DAY)::DATE AS st
                FROM generate_series(strptime($first, '%Y-%m'), strptime($last, '%Y-%m'), INTERVAL 1 MONTH) g(d)
            ), inst AS (
                SELECT DISTINCT m.month, m.st, s.person_id FROM months m JOIN dq_spells s ON s.s <= m.st AND s.e >= m.st
            ), teamed AS (
                SELECT i.month, i.person_id, coalesce(arg_max(a.team_id, a.s), $nt) AS team_id
                FROM inst i LEFT JOIN dq_assign a ON a.person_id = i.person_id AND a.s <= i.st AND a.e >= i.st
                GROUP BY i.month, i.person_id
            ), stock AS (
                SELECT month, team_id, count(*) AS stock FROM teamed GROUP BY month, team_id
            ), windows AS (
                SELECT unnest($ran) AS rule_id, unnest($lo) AS lo, unnest($hi) AS hi
            ), found AS (
                SELECT f.rule_id, f.team_id, f.month, count(*) AS n FROM dq_found_team f
                JOIN windows w ON w.rule_id = f.rule_id AND f.month BETWEEN w.lo AND w.hi GROUP BY ALL
            ), cells AS (
                SELECT w.rule_id, s.team_id, s.month FROM stock s JOIN windows w ON s.month BETWEEN w.lo AND w.hi
                UNION SELECT rule_id, team_id, month FROM found
            )
            SELECT c.rule_id, c.team_id, c.month, coalesce(f.n, 0), coalesce(s.stock, 0)
            FROM cells c LEFT JOIN found f USING (rule_id, team_id, month) LEFT JOIN stock s USING (team_id, month)
            ORDER BY 1, 2, 3
        """,
            {
                "first": first,
                "last": last,
                "nt": NO_TEAM,
                "ran": ran,
                "lo": [last if by_id[r].last_month_only else first for r in ran],
                "hi": [_shift(last, -by_id[r].settle) for r in ran],
            },
        ).fetchall()
    except duckdb.Error as exc:
        raise DqmError(f"data-quality run failed: {exc}") from exc
    finally:
        con.close()
    return Evaluation(last, findings, rates, ran, skipped)


def _chunks(items: list, size: int = _CHUNK):
    for i in range(0, len(items), size):
        yield items[i : i + size]


def write(
    db: Session,
    ev: Evaluation,
    rules: tuple[Rule, ...] = RULES,
    now: datetime | None = None,
    user_name: str = SYSTEM_USER,
) -> RunResult:
    """Store the evaluation as tasks, rates and notifications (flush only; the caller commits)."""
    now = aware(now)
    run = DqmRun(started_at=now, finished_at=now, data_month=ev.data_month, findings=len(ev.findings), new=0, closed=0)
    db.add(run)
    db.flush()
    by_id = {r.id: r for r in rules}
    results = {r.id: RuleResult(r, skipped=ev.skipped.get(r.id)) for r in rules}

    known = (
        {
            (rule_id, key): (tid, status)
            for tid, rule_id, key, status in db.execute(
                select(DqmTask.id, DqmTask.rule_id, DqmTask.finding_key, DqmTask.status).where(
                    DqmTask.rule_id.in_(ev.ran)
                )
            )
        }
        if ev.ran
        else {}
    )
    produced: set[tuple[str, str]] = set()
    new_rows, seen_rows, reopened = [], [], []
    for rule_id, person_id, anchor, month, detail, caseworker, team in ev.findings:
        key = f"{person_id}|{anchor.isoformat()}"
        produced.add((rule_id, key))
        results[rule_id].findings += 1
        hit = known.get((rule_id, key))
        if hit is None:
            results[rule_id].new += 1
            new_rows.append(
                {
                    "rule_id": rule_id,
                    "finding_key": key,
                    "person_id": person_id,
                    "month": month,
                    "detail": detail,
                    "responsible": by_id[rule_id].responsible,
                    "caseworker_id": caseworker,
                    "team_id": team,
                    "status": OPEN,
                    "reason": None,
                    "created_at": now,
                    "updated_at": now,
                    "updated_by": user_name,
                    "first_run_id": run.id,
                    "last_run_id": run.id,
                }
            )
        else:
            tid, status = hit
            row = {"id": tid, "last_run_id": run.id, "detail": detail, "caseworker_id": caseworker, "team_id": team}
            if status == DONE_DATA:  # the defect is back: open the task again
                row.update(status=OPEN, reason=None, updated_at=now, updated_by=user_name)
                reopened.append(tid)
                results[rule_id].new += 1
            seen_rows.append(row)
    for chunk in _chunks(new_rows):
        db.execute(insert(DqmTask), chunk)
    # bulk UPDATE by primary key: every dictionary of one call has the same keys
    for group in ([r for r in seen_rows if "status" not in r], [r for r in seen_rows if "status" in r]):
        for chunk in _chunks(group):
            db.execute(update(DqmTask), chunk)
    gone = [
        (tid, rule_id)
        for (rule_id, key), (tid, status) in known.items()
        if (rule_id, key) not in produced and status in ACTIVE
    ]
    for rule_id in {r for _, r in gone}:
        results[rule_id].closed = sum(1 for _, r in gone if r == rule_id)
    for chunk in _chunks([tid for tid, _ in gone]):
        db.execute(
            update(DqmTask)
            .where(DqmTask.id.in_(chunk))
            .values(status=DONE_DATA, updated_at=now, updated_by=user_name, last_run_id=run.id),
            execution_options={"synchronize_session": False},
        )

    db.execute(delete(DqmRate))
    rate_rows = [
        {"rule_id": r, "team_id": t, "month": m, "findings": int(n), "stock": int(s)} for r, t, m, n, s in ev.rates
    ]
    for chunk in _chunks(rate_rows, 2000):
        db.execute(insert(DqmRate), chunk)

    run.new = sum(r.new for r in results.values())
    run.closed = sum(r.closed for r in results.values())
    fresh = [(row["responsible"], row["caseworker_id"], row["team_id"]) for row in new_rows]
    if reopened:
        fresh += [
            tuple(x)
            for x in db.execute(
                select(DqmTask.responsible, DqmTask.caseworker_id, DqmTask.team_id).where(DqmTask.id.in_(reopened))
            ).all()
        ]
    mails, count = notify.notify_new_tasks(db, fresh, data_month=ev.data_month, now=now)
    audit.record(
        db,
        user_name=user_name,
        role="system",
        action="dqm_run",
        now=now,
        detail=f"Datenstand {ev.data_month}: {len(ev.findings)} Befunde, {run.new} neu, {run.closed} geschlossen",
    )
    db.flush()
    return RunResult(run.id, ev.data_month, [results[r.id] for r in rules], count, mails)


def run_all(warehouse: Path, factory, now: datetime | None = None, send_mail: bool = True) -> RunResult:
    """Evaluate the rules on ``warehouse`` and write the result in one state transaction; then send
    the e-mails (when SMTP is configured). Raises :class:`DqmError` (nothing written)."""
    ev = evaluate(warehouse)
    with factory.begin() as db:
        result = write(db, ev, now=now)
    if send_mail and result.mails:
        result.mails_sent = notify.send_mails(result.mails)
    return result
