"""Datenqualität: finding rates per rule, team and month; the task list of findings.

``/datenqualitaet`` (aggregated, every role with STEERING): the rates of the latest ``amip dqm
run`` (findings of a rule whose defect arose in month m, per 100 ELB in stock at ST(m), by the
team responsible), a trend chart per rule and the table as CSV/XLSX.
``/aufgaben`` (TASKS): the tasks of the own scope (IFK: own caseload, Teamleitung: team,
Controlling: all) with pseudonymous person ids, audited like every person list; status changes by
POST with the CSRF token. Person ids never appear in a URL: forms carry the internal task id.
"""

from __future__ import annotations

from collections import defaultdict

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse
from markupsafe import Markup
from sqlalchemy import select

from amip import disclosure as dc
from amip import format as fmt
from amip.cockpit import access
from amip.cockpit.auth import Viewer, csrf_form, needs
from amip.cockpit.context import log_person_view, state
from amip.cockpit.params import MAX_PAGE, MAX_ROW_ID, pick_page, pick_sort, query_string
from amip.cockpit.render import month_label, render
from amip.cockpit.tables import Column, DataTable, download
from amip.dqm import notify, tasks
from amip.dqm.models import DONE, DONE_DATA, IN_PROGRESS, NO_ERROR, OPEN, DqmRate, DqmRun
from amip.dqm.rules import RESPONSIBLE, RULE_BY_ID, RULES, SEVERITIES
from amip.dqm.run import NO_TEAM
from amip.figures import charts
from amip.format import number as fmt_count

router = APIRouter()
TASK_STATUS_FILTERS = {"aktiv": "offen oder in Bearbeitung", **tasks.STATUS_LABELS, "alle": "alle Status"}
NO_ERROR_NEEDS_REASON = (
    "Nicht gespeichert: Der Status „kein Fehler“ braucht eine Begründung, warum der Befund kein "
    "Datenfehler ist. Bitte tragen Sie sie bei der Aufgabe im Feld „Begründung“ ein."
)


def _rate(findings: int, stock: int) -> float | None:
    return 100.0 * findings / stock if stock else None


RATE = {"rate": ("findings", "stock")}


def _shown_rate(findings: int, stock: int, policy: dc.Policy):
    """A job center's rate of one rule and month, suppressed when its findings or stock are 1 or 2."""
    return dc.suppress_value(
        {"findings": findings, "stock": stock, "rate": _rate(findings, stock)}, policy, ("findings", "stock"), RATE
    )["rate"]


def _load(request: Request):
    with state(request).begin() as db:
        run = db.scalar(select(DqmRun).order_by(DqmRun.id.desc()).limit(1))
        rows = [(r.rule_id, r.team_id, r.month, r.findings, r.stock) for r in db.scalars(select(DqmRate))]
    return run, rows


def _pick_rule(rule: str | None) -> str | None:
    if rule in (None, ""):
        return None
    if rule not in RULE_BY_ID:
        raise HTTPException(404, "Unbekannte Regel.")
    return rule


def _full_table(rows, rule: str | None, policy: dc.Policy = dc.SHOW_ALL) -> DataTable:
    out = [
        {
            "rule": r,
            "title": RULE_BY_ID[r].title if r in RULE_BY_ID else r,
            "team": _team(t),
            "month": m,
            "findings": n,
            "stock": s,
            "rate": _rate(n, s),
        }
        for r, t, m, n, s in sorted(rows, key=lambda x: (x[0], x[2], x[1]))
        if rule is None or r == rule
    ]
    # the teams of one rule and month add up to the job center: a breakdown (secondary rule)
    out = dc.suppress_rows(out, policy, ("findings", "stock"), RATE, unit="team", kind="team", within=("rule", "month"))
    cols = [
        Column("rule", "Regel"),
        Column("title", "Titel"),
        Column("team", "Team"),
        Column("month", "Monat", "month"),
        Column("findings", "Befunde", "count"),
        Column("stock", "ELB am Stichtag", "count"),
        Column("rate", "Befunde je 100 ELB", "percent", 2, unit=""),
    ]
    return DataTable(
        "Datenqualität",
        cols,
        out,
        f"datenqualitaet{'_' + rule if rule else ''}",
        caption="Befundquoten je Regel, Team und Monat",
    )


def _team(team_id: str) -> str:
    """A team as the tables name it; persons without a team (``NO_TEAM``) as 'ohne Team'."""
    return "ohne Team" if team_id == NO_TEAM else team_id


def _legend(rule) -> str:
    """A rule as the chart's legend names it: its id and title ('DQ01 Geburtsdatum fehlt'), short."""
    text = f"{rule.id} {rule.title}"
    return text if len(text) <= 48 else text[:47] + "…"


def _iso_month_or_404(month: str | None) -> str | None:
    """A month parameter as ``2022-12`` (``12/2022`` accepted, amip.format.iso_month)."""
    if month in (None, ""):
        return month
    try:
        return fmt.iso_month(month)
    except ValueError:
        raise HTTPException(404, "Kein Monat (MM/JJJJ, z. B. 12/2022).") from None


@router.get("/datenqualitaet", name="dqm")
def dqm_page(
    request: Request,
    month: str | None = None,
    rule: str | None = None,
    viewer: Viewer = Depends(needs(access.STEERING)),
):
    rule = _pick_rule(rule)
    policy = access.disclosure(viewer)
    run, rows = _load(request)
    months = sorted({m for _, _, m, _, _ in rows})
    month = _iso_month_or_404(month)
    if month not in (None, "") and month not in months:
        raise HTTPException(404, "Für diesen Monat liegen keine Ergebnisse der Datenqualitätsprüfung vor.")
    month = month or (run.data_month if run and run.data_month in months else (months[-1] if months else None))
    # per rule and month over all teams (findings / stock), for the trend and the summary
    total: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for r, _t, m, n, s in rows:
        total[(r, m)][0] += n
        total[(r, m)][1] += s
    shown_rules = [x for x in RULES if (rule is None or x.id == rule)]
    # the legend names each rule with its title (not its code alone)
    trend_key = tuple(
        (m, _legend(x), dc.api_value(_shown_rate(*total[(x.id, m)], policy)))
        for x in shown_rules
        for m in months
        if (x.id, m) in total and dc.api_value(_shown_rate(*total[(x.id, m)], policy)) is not None
    )
    chart = Markup(charts.dqm_trend("Befundquote je Regel", trend_key)) if trend_key else None
    recent = [m for m in months if m <= month][-12:] if month else []
    matrix = DataTable(
        "Verlauf",
        [
            Column("rule", "Regel"),
            Column("title", "Titel"),
            *[Column(m, month_label(m), "percent", 2, unit="") for m in recent],
        ],
        [
            {
                "rule": x.id,
                "title": x.title,
                **{m: _shown_rate(*total[(x.id, m)], policy) if (x.id, m) in total else None for m in recent},
            }
            for x in shown_rules
        ],
        "dqm_verlauf",
        caption="Befunde je 100 ELB, letzte 12 Monate bis zum gewählten Monat",
    )
    summary = DataTable(
        "Regeln",
        [
            Column("rule", "Regel"),
            Column("title", "Titel"),
            Column("findings", "Befunde", "count"),
            Column("stock", "ELB am Stichtag", "count"),
            Column("rate", "Befunde je 100 ELB", "percent", 2, unit=""),
        ],
        dc.suppress_rows(
            [
                {
                    "rule": x.id,
                    "title": x.title,
                    "findings": total[(x.id, month)][0],
                    "stock": total[(x.id, month)][1],
                    "rate": _rate(*total[(x.id, month)]),
                }
                for x in shown_rules
                if (x.id, month) in total
            ],
            policy,
            ("findings", "stock"),
            RATE,
            secondary=False,
        ),
        "dqm_regeln",
        caption=f"Befunde mit Entstehungsmonat {month_label(month)}" if month else None,
    )
    by_team = DataTable(
        "Teams",
        [
            Column("rule", "Regel"),
            Column("title", "Titel"),
            Column("team", "Team"),
            Column("findings", "Befunde", "count"),
            Column("stock", "ELB am Stichtag", "count"),
            Column("rate", "Befunde je 100 ELB", "percent", 2, unit=""),
        ],
        dc.suppress_rows(
            [
                {
                    "rule": r,
                    "title": RULE_BY_ID[r].title if r in RULE_BY_ID else "",
                    "team": _team(t),
                    "findings": n,
                    "stock": s,
                    "rate": _rate(n, s),
                }
                for r, t, m, n, s in sorted(rows)
                if m == month and (rule is None or r == rule) and (n or s)
            ],
            policy,
            ("findings", "stock"),
            RATE,
            unit="team",
            kind="team",
            within=("rule",),
        ),
        "dqm_teams",
        caption=f"Nach Team, {month_label(month)}" if month else None,
    )
    return render(
        request,
        "dqm.html",
        viewer,
        run=run,
        month=month,
        months=months,
        rule=rule,
        rules=RULES,
        chart=chart,
        matrix=matrix,
        summary=summary,
        by_team=by_team,
        severities=SEVERITIES,
        responsible=RESPONSIBLE,
    )


@router.get("/datenqualitaet.{fmt}", name="dqm_download")
def dqm_download(request: Request, fmt: str, rule: str | None = None, viewer: Viewer = Depends(needs(access.STEERING))):
    if fmt not in ("csv", "xlsx"):
        raise HTTPException(404, "Unbekanntes Format (csv oder xlsx)")
    _run, rows = _load(request)
    return download(_full_table(rows, _pick_rule(rule), access.disclosure(viewer)), fmt)


def _scope(viewer: Viewer):
    return tasks.task_scope(viewer.role, viewer.team_id, viewer.caseworker_id)


# sortable columns of the task list: sort key -> header
TASK_COLUMNS = {
    "id": "Nr.",
    "rule": "Regel",
    "month": "Monat",
    "person": "Pseudonym",
    "team": "Team / IFK",
    "status": "Status",
}
TASK_DEFAULT_SORT = "-month"


def _data_month(db) -> str | None:
    return db.scalar(select(DqmRun.data_month).order_by(DqmRun.id.desc()).limit(1))


def _task_filter(db, scope, rule, status, team, age) -> tasks.TaskFilter:
    """The list's filters from the query, each checked (404 for an unknown code, as elsewhere)."""
    rule = _pick_rule(rule)
    if status not in (None, "") and status not in TASK_STATUS_FILTERS:
        raise HTTPException(404, "Unbekannter Status.")
    if team not in (None, "") and team != tasks.NO_TEAM and team not in tasks.teams(db, scope):
        raise HTTPException(404, "Unbekanntes Team.")
    if age not in (None, "") and age not in tasks.AGES:
        raise HTTPException(404, "Unbekannte Altersgruppe.")
    status = status or "aktiv"
    return tasks.TaskFilter(
        rule=rule,
        status=None if status == "alle" else status,
        team=team or None,
        age=age or None,
        data_month=_data_month(db),
    )


def _filter_query(f: tasks.TaskFilter) -> dict[str, str | None]:
    return {"rule": f.rule, "status": f.status or "alle", "team": f.team, "age": f.age}


def _list_name(f: tasks.TaskFilter, page: str | None = None) -> str:
    """The audit log's name of the list: the filters (and page), never a person id."""
    parts = [f.rule or "alle Regeln", TASK_STATUS_FILTERS[f.status or "alle"]]
    if f.team:
        parts.append("ohne Team" if f.team == tasks.NO_TEAM else f"Team {f.team}")
    if f.age:
        parts.append(tasks.AGES[f.age][0])
    if page:
        parts.append(page)
    return f"DQM-Aufgaben ({', '.join(parts)})"


def _task_row(t) -> dict:
    return {
        "id": t.id,
        "rule": t.rule_id,
        "title": RULE_BY_ID[t.rule_id].title if t.rule_id in RULE_BY_ID else "",
        "month": t.month,
        "person_id": t.person_id,
        "detail": t.detail or "",
        "team": t.team_id or "–",
        "caseworker": t.caseworker_id or "–",
        "status": t.status,
        "status_label": tasks.STATUS_LABELS[t.status],
        "reason": t.reason or "",
        "next": [(s, tasks.STATUS_LABELS[s]) for s in tasks.TRANSITIONS[t.status]],
    }


@router.get("/aufgaben", name="tasks")
def tasks_page(
    request: Request,
    rule: str | None = None,
    status: str | None = None,
    team: str | None = None,
    age: str | None = None,
    sort: str | None = None,
    page: str | None = None,
    changed: str | None = None,
    skipped: str | None = None,
    viewer: Viewer = Depends(needs(access.TASKS)),
):
    scope = _scope(viewer)
    order = pick_sort(sort, TASK_COLUMNS, TASK_DEFAULT_SORT)
    with state(request).begin() as db:
        f = _task_filter(db, scope, rule, status, team, age)
        shown = pick_page(page, tasks.count_tasks(db, scope, f))
        found, _ = tasks.list_tasks(
            db, scope, filter=f, sort=order.key, descending=order.descending, limit=shown.size, offset=shown.offset
        )
        items = [_task_row(t) for t in found]
        team_ids = tasks.teams(db, scope)
        messages = [{"text": n.text, "at": n.created_at} for n in notify.unread(db, viewer.name)]
    what = _list_name(f, f"Seite {shown.number} von {shown.pages}" if shown.pages > 1 else None)
    log_person_view(request, viewer, "view", what, len(items))
    filters = _filter_query(f)
    bulk_done = None
    if changed is not None and changed.isdigit() and (skipped or "0").isdigit():
        bulk_done = (int(changed), int(skipped or "0"))
    return render(
        request,
        "tasks.html",
        viewer,
        items=items,
        total=shown.total,
        page=shown,
        order=order,
        columns=TASK_COLUMNS,
        filters=filters,
        list_query=query_string({**filters, "sort": order.param}),
        sort_query=query_string(filters),
        page_query=query_string({**filters, "sort": order.param}),
        rule=f.rule,
        status=filters["status"],
        team=f.team,
        age=f.age,
        rules=RULES,
        statuses=TASK_STATUS_FILTERS,
        teams=team_ids,
        no_team=tasks.NO_TEAM,
        ages={k: v[0] for k, v in tasks.AGES.items()},
        bulk_statuses={k: tasks.STATUS_LABELS[k] for k in (IN_PROGRESS, DONE, NO_ERROR, OPEN)},
        bulk_done=bulk_done,
        messages=messages,
        scope=access.scope_label(scope),
    )


def _task_table(found) -> DataTable:
    rows = [_task_row(t) for t in found]
    cols = [
        Column("id", "Nr."),
        Column("rule", "Regel"),
        Column("title", "Regel (Titel)"),
        Column("month", "Monat", "month"),
        Column("person_id", "Pseudonym"),
        Column("detail", "Befund"),
        Column("team", "Team"),
        Column("caseworker", "IFK"),
        Column("status_label", "Status"),
        Column("reason", "Begründung"),
    ]
    for r in rows:
        r["month"] = month_label(r["month"])
    return DataTable("Aufgaben", cols, rows, "aufgaben", caption="Aufgaben aus der Datenqualitätsprüfung")


@router.get("/aufgaben.{fmt}", name="tasks_download")
def tasks_download(
    request: Request,
    fmt: str,
    rule: str | None = None,
    status: str | None = None,
    team: str | None = None,
    age: str | None = None,
    sort: str | None = None,
    viewer: Viewer = Depends(needs(access.TASKS)),
):
    """The whole filtered list in the page's order (every page), audited as an export."""
    if fmt not in ("csv", "xlsx"):
        raise HTTPException(404, "Unbekanntes Format (csv oder xlsx)")
    scope = _scope(viewer)
    order = pick_sort(sort, TASK_COLUMNS, TASK_DEFAULT_SORT)
    with state(request).begin() as db:
        f = _task_filter(db, scope, rule, status, team, age)
        found, _total = tasks.list_tasks(db, scope, filter=f, sort=order.key, descending=order.descending, limit=None)
        table = _task_table(found)
    log_person_view(request, viewer, f"export_{fmt}", _list_name(f), len(table.rows))
    return download(table, fmt)


def _back(form: dict, **extra: object) -> str:
    """The list a form came from (its filters, sort and page, each checked), for the redirect."""
    params: dict[str, object] = {}
    if str(form.get("rule", "")) in RULE_BY_ID:
        params["rule"] = form["rule"]
    if str(form.get("filter_status", "")) in {"alle", *TASK_STATUS_FILTERS}:
        params["status"] = form["filter_status"]
    team = str(form.get("team", ""))
    if team and len(team) <= 64 and team.isprintable():
        params["team"] = team
    if str(form.get("age", "")) in tasks.AGES:
        params["age"] = form["age"]
    sort = str(form.get("sort", ""))
    if sort.removeprefix("-") in TASK_COLUMNS:
        params["sort"] = sort
    page = str(form.get("page", ""))
    if page.isascii() and page.isdigit() and 1 <= int(page) <= MAX_PAGE:
        params["page"] = page
    query = query_string({**params, **extra})
    return "/aufgaben" + ("?" + query if query else "")


@router.post("/aufgaben/status", name="tasks_status")
def tasks_status(request: Request, viewer: Viewer = Depends(needs(access.TASKS)), form: dict = Depends(csrf_form)):
    try:
        task_id = int(str(form.get("task_id", "")))
    except ValueError:
        raise HTTPException(400, "Ungültige Aufgabe.") from None
    new = str(form.get("status", ""))
    reason = str(form.get("reason", ""))
    try:
        with state(request).begin() as db:
            tasks.change_status(
                db,
                task_id,
                new,
                user_name=viewer.name,
                role=viewer.role,
                team_id=viewer.team_id,
                caseworker_id=viewer.caseworker_id,
                reason=reason,
            )
    except tasks.OutOfScope:
        raise HTTPException(403, "Diese Aufgabe gehört nicht zu Ihrem Bereich.") from None
    except tasks.UnknownTask:
        raise HTTPException(404, "Diese Aufgabe gibt es nicht.") from None
    except tasks.ReasonRequired:
        raise HTTPException(400, NO_ERROR_NEEDS_REASON) from None
    except tasks.BadReason as exc:
        raise HTTPException(400, f"Nicht gespeichert: {exc}") from None
    except tasks.TaskError:
        raise HTTPException(400, "Dieser Statuswechsel ist nicht möglich.") from None
    return RedirectResponse(_back(form), status_code=303)


async def _selected(request: Request) -> list[str]:
    """The ticked task ids of a bulk form (a field given many times; the CSRF check reads the same
    parsed form)."""
    return [str(v) for v in (await request.form()).getlist("ids")]


@router.post("/aufgaben/sammelstatus", name="tasks_bulk_status")
def tasks_bulk_status(
    request: Request,
    viewer: Viewer = Depends(needs(access.TASKS)),
    form: dict = Depends(csrf_form),
    selected: list[str] = Depends(_selected),
):
    """One status for the ticked tasks (``which=auswahl``) or for every task of the filtered list
    (``which=alle``, with the count the user saw as ``expected``); a reason is required. All or
    nothing; tasks that cannot take the status are skipped and counted."""
    new = str(form.get("status", ""))
    if new not in tasks.STATUS_LABELS or new == DONE_DATA:
        raise HTTPException(400, "Unbekannter Status für die Sammeländerung.")
    scope = _scope(viewer)
    try:
        with state(request).begin() as db:
            if form.get("which") == "alle":
                f = _task_filter(
                    db, scope, form.get("rule"), form.get("filter_status"), form.get("team"), form.get("age")
                )
                ids = tasks.filtered_ids(db, scope, f)
                if str(len(ids)) != str(form.get("expected", "")):
                    raise HTTPException(
                        409,
                        f"Die gefilterte Liste hat sich seit dem Laden geändert (jetzt {fmt_count(len(ids))} "
                        "Aufgaben). Nichts wurde geändert; bitte laden Sie die Liste neu.",
                    )
            else:
                if not selected:
                    raise HTTPException(400, "Keine Aufgabe ausgewählt. Nichts wurde geändert.")
                if not all(v.isascii() and v.isdigit() and 1 <= int(v) <= MAX_ROW_ID for v in selected):
                    raise HTTPException(400, "Ungültige Aufgabe.")
                ids = [int(v) for v in selected]
            result = tasks.change_many(
                db,
                ids,
                new,
                user_name=viewer.name,
                role=viewer.role,
                team_id=viewer.team_id,
                caseworker_id=viewer.caseworker_id,
                reason=str(form.get("reason", "")),
            )
    except tasks.OutOfScope:
        raise HTTPException(
            403, "Mindestens eine Aufgabe gehört nicht zu Ihrem Bereich. Nichts wurde geändert."
        ) from None
    except tasks.UnknownTask:
        raise HTTPException(404, "Mindestens eine dieser Aufgaben gibt es nicht. Nichts wurde geändert.") from None
    except tasks.ReasonRequired:
        raise HTTPException(400, "Eine Sammeländerung braucht eine Begründung. Nichts wurde geändert.") from None
    except tasks.BadReason as exc:
        raise HTTPException(400, f"Nicht gespeichert: {exc}") from None
    except tasks.TaskError:
        raise HTTPException(400, "Keine Aufgabe ausgewählt. Nichts wurde geändert.") from None
    return RedirectResponse(_back(form, changed=result.changed, skipped=result.skipped), status_code=303)


@router.post("/aufgaben/gelesen", name="tasks_read")
def tasks_read(request: Request, viewer: Viewer = Depends(needs(access.TASKS)), form: dict = Depends(csrf_form)):
    with state(request).begin() as db:
        notify.mark_read(db, viewer.name)
    return RedirectResponse("/aufgaben", status_code=303)
