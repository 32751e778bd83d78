"""Zielplanung: plans per year, job center, team and sex; bottom-up team plans, versions.

- Everyone with FIGURES reads the page: the job center's target beside the actual values of the
  previous year (changes from unrounded values, shown with one decimal), the sum of the team plans
  against the target, the forecast proposal and the previous year, the team plans, every version.
- PLAN_JOBCENTER (Controlling) saves the job center's plan, fills a draft from the forecast and may
  also save any team's plan; PLAN_TEAM (Teamleitung) saves only the own team's plan: the team comes
  from the logged-in user; a form naming another team is refused (403).
- PLAN_AGREE (Geschäftsführung, Controlling) marks the newest version of a plan as agreed.
All changes are POSTs with the CSRF token, audited in ``amip.planning.plans``. Only aggregates.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError

from amip import format as fmt
from amip.cockpit import access
from amip.cockpit.auth import Viewer, csrf_form, needs
from amip.cockpit.context import state, store
from amip.cockpit.params import pick_jobcenter
from amip.cockpit.render import render
from amip.cockpit.tables import Column, DataTable, download
from amip.planning import plans, proposal, targets
from amip.planning.models import MEASURES, SEXES

router = APIRouter()
SEX_LABELS = plans.SEX_LABELS
FIGURE_LABELS = {
    "integrations": "Integrationen",
    "elb_jdw": "ELB (JDW)",
    "quota": "Integrationsquote",
    "lzb_jdw": "LZB (JDW)",
}
STATUS_LABELS = {"agreed": "vereinbart", "draft": "Entwurf", None: "kein Plan"}
TABLES = ("ziel", "vergleich", "teams", "versionen")
MESSAGES = {
    "gespeichert": "Der Plan wurde als neue Entwurfsversion gespeichert.",
    "vorschlag": "Ein Entwurf aus Ist-Werten und Prognose wurde als neue Version gespeichert.",
    "vereinbart": "Die Planversion ist jetzt vereinbart und kann nicht mehr geändert werden.",
}


def _pick_year(request: Request, jc: str, year: int | None) -> int:
    st = store(request)
    if year is not None:
        if not 2000 <= year <= 2100:
            raise HTTPException(404, "Unbekanntes Planjahr.")
        return year
    with state(request).begin() as db:
        planned = plans.years(db, jc)
    if planned:
        return planned[-1]
    return int(st.latest[:4]) if st.latest else 2022


def _year_options(request: Request, jc: str, year: int) -> list[int]:
    st = store(request)
    with state(request).begin() as db:
        planned = set(plans.years(db, jc))
    data_years = {int(m[:4]) for m in st.months}
    last = max(data_years) if data_years else year
    return sorted(planned | data_years | {year, last + 1}, reverse=True)


class PlanTable(DataTable):
    """Counts without decimals, but quota rows (``kind`` "quota") with one decimal in every column;
    the downloads keep the unrounded numbers."""

    def cell(self, i: int, col: Column) -> Markup:
        if self.rows[i].get("kind") == "quota" and col.kind in ("count", "amount"):
            return Markup.escape(fmt.percent(self.rows[i].get(col.key), 1))
        return super().cell(i, col)


def target_table(t: dict, year: int, jc: str) -> DataTable:
    """The programme's table: per figure and sex, actual previous year, plan, change in %."""
    rows = []
    for fig, pct in (
        ("integrations", "integrations_pct"),
        ("elb_jdw", "elb_pct"),
        ("quota", "quota_pct"),
        ("lzb_jdw", "lzb_pct"),
    ):
        for s in ("all", "w", "m"):
            label = FIGURE_LABELS[fig] if s == "all" else f"– {SEX_LABELS[s]}"
            rows.append(
                {
                    "figure": label,
                    "kind": fig,
                    "actual": t["actual_previous"][s][fig],
                    "plan": t["plan"][s][fig],
                    "change": t["changes"][s][pct],
                }
            )
    cols = [
        Column("figure", "Kennzahl"),
        Column("actual", f"Ist {year - 1}", "count"),
        Column("plan", f"Plan {year}", "count"),
        Column("change", "Veränderung in %", "percent"),
    ]
    status = STATUS_LABELS[t["status"]] + (f", Version {t['version']}" if t["version"] else "")
    return PlanTable(
        "Ziel Jobcenter",
        cols,
        rows,
        f"zielplanung_{jc}_{year}",
        caption=f"Ziel des Jobcenters {jc} für {year} ({status}) gegen das Ist {year - 1}",
    )


def comparison_table(t: dict, team: dict, forecast: dict, year: int, jc: str) -> DataTable:
    """Per figure and sex: sum of the team plans, the job center's target, difference, forecast, Ist Y−1."""
    fc = targets.with_totals({s: forecast.get(s) or {} for s in SEXES}) if forecast else targets.empty()
    # The forecast's ``all`` is its own series (with_totals keeps it); only missing ones come from m + w.
    rows = []
    for fig in ("integrations", "elb_jdw", "quota", "lzb_jdw"):
        for s in ("all", "w", "m"):
            summed, target = team["sum"][s][fig], t["plan"][s][fig]
            rows.append(
                {
                    "figure": FIGURE_LABELS[fig] if s == "all" else f"– {SEX_LABELS[s]}",
                    "kind": fig,
                    "teams": summed,
                    "target": target,
                    "difference": None if summed is None or target is None else summed - target,
                    "forecast": fc[s][fig],
                    "actual": t["actual_previous"][s][fig],
                }
            )
    cols = [
        Column("figure", "Kennzahl"),
        Column("teams", "Summe Teampläne", "count"),
        Column("target", "Ziel Jobcenter", "count"),
        Column("difference", "Differenz", "count"),
        Column("forecast", "Vorschlag (Ist + Prognose)", "count"),
        Column("actual", f"Ist {year - 1}", "count"),
    ]
    return PlanTable(
        "Teamsumme gegen Ziel",
        cols,
        rows,
        f"teamsumme_{jc}_{year}",
        caption=(
            f"Summe der Teampläne ({_count_teams(len(team['teams']))}) gegen das Ziel, die Prognose "
            f"und das Ist {year - 1} (Quoten in %)"
        ),
    )


def _count_teams(n: int) -> str:
    return "noch kein Team" if n == 0 else ("1 Team" if n == 1 else f"{n} Teams")


def teams_table(team: dict, year: int, jc: str) -> DataTable:
    rows = []
    for r in team["teams"]:
        v = r["values"]
        rows.append(
            {
                "team": r["team_id"],
                "version": r["version"],
                "status": STATUS_LABELS[r["status"]],
                "by": r["created_by"],
                "at": fmt.time_de(r["created_at"], short=True),
                **{f"{m}_{s}": v[s][m] for m in ("integrations", "elb_jdw", "lzb_jdw") for s in SEXES},
                "quota_all": v["all"]["quota"],
                "plan_id": r["plan_id"],
                "raw_status": r["status"],
            }
        )
    cols = [
        Column("team", "Team"),
        Column("version", "Version", "count"),
        Column("status", "Status"),
        Column("by", "gespeichert von"),
        Column("at", "am"),
    ]
    for m in ("integrations", "elb_jdw", "lzb_jdw"):
        for s in ("all", "w", "m"):
            cols.append(Column(f"{m}_{s}", f"{FIGURE_LABELS[m]} {SEX_LABELS[s]}", "count"))
    cols.append(Column("quota_all", "Quote Insgesamt in %", "percent"))
    return DataTable(
        "Teampläne", cols, rows, f"teamplaene_{jc}_{year}", caption=f"Neueste Version jedes Teamplans {year}"
    )


def _fmt_value(v) -> str:
    return "–" if v is None else fmt.number(v, 0 if float(v).is_integer() else 1)


def versions_table(hist: list[dict], year: int, jc: str) -> DataTable:
    rows = []
    for h in hist:
        changed = "; ".join(
            f"{SEX_LABELS[c['sex']]} {FIGURE_LABELS[c['measure']]}: {_fmt_value(c['old'])} → {_fmt_value(c['new'])}"
            for c in h["changed"]
        )
        rows.append(
            {
                "unit": h["unit"],
                "version": h["version"],
                "status": STATUS_LABELS[h["status"]],
                "source": "Prognose" if h["source"] == "proposal" else "Eingabe",
                "by": h["created_by"],
                "at": fmt.time_de(h["created_at"], short=True),
                "agreed_by": h["agreed_by"],
                "agreed_at": fmt.time_de(h["agreed_at"], short=True) if h["agreed_at"] else None,
                "changed": changed or "keine Änderung",
                "note": h["note"],
            }
        )
    cols = [
        Column("unit", "Einheit"),
        Column("version", "Version", "count"),
        Column("status", "Status"),
        Column("source", "Quelle"),
        Column("by", "gespeichert von"),
        Column("at", "am"),
        Column("agreed_by", "vereinbart von"),
        Column("agreed_at", "vereinbart am"),
        Column("changed", "Änderungen gegen die Version davor"),
        Column("note", "Notiz"),
    ]
    return DataTable(
        "Versionen",
        cols,
        rows,
        f"planversionen_{jc}_{year}",
        caption=f"Alle Versionen der Pläne {year} (neueste zuerst): wer hat wann was geändert",
    )


def input_values(values: dict) -> dict[str, dict[str, str]]:
    """Stored values as the form shows them: German decimal comma, no thousands separator."""
    out: dict[str, dict[str, str]] = {}
    for s, row in values.items():
        for m, v in row.items():
            if v is not None and m in MEASURES:
                text = str(int(v)) if float(v).is_integer() else repr(float(v)).replace(".", ",")
                out.setdefault(s, {})[m] = text
    return out


def _context(request: Request, jc: str, year: int) -> dict:
    st = store(request)
    with state(request).begin() as db:
        t = plans.programme_targets(db, year, jc, st)
        team = plans.team_sum(db, year, jc)
        hist = plans.history(db, year, jc, all_units=True)
        newest = plans.latest(db, year, jc, None)
        newest_info = (
            None
            if newest is None
            else {"id": newest.id, "version": newest.version, "status": newest.status, "values": newest.as_dict()}
        )
    forecast = proposal.propose(st, jc, year)
    return {"t": t, "team": team, "hist": hist, "newest": newest_info, "forecast": forecast}


def _tables(ctx: dict, year: int, jc: str) -> dict[str, DataTable]:
    return {
        "ziel": target_table(ctx["t"], year, jc),
        "vergleich": comparison_table(ctx["t"], ctx["team"], ctx["forecast"], year, jc),
        "teams": teams_table(ctx["team"], year, jc),
        "versionen": versions_table(ctx["hist"], year, jc),
    }


def _page(
    request: Request,
    viewer: Viewer,
    jc: str,
    year: int,
    error: str | None = None,
    message: str | None = None,
    status: int = 200,
):
    st = store(request)
    ctx = _context(request, jc, year)
    own_team = None
    if access.may(viewer.role, access.PLAN_TEAM) and viewer.team_id:
        own = next((r for r in ctx["team"]["teams"] if r["team_id"] == viewer.team_id), None)
        own_team = {
            "team_id": viewer.team_id,
            "values": input_values(own["stored"]) if own else {},
            "version": own["version"] if own else None,
            "status": own["status"] if own else None,
        }
    jc_values = input_values(ctx["newest"]["values"]) if ctx["newest"] else {}
    known_teams = sorted(set(targets.teams(st, jc)) | {r["team_id"] for r in ctx["team"]["teams"]})
    response = render(
        request,
        "planning.html",
        viewer,
        jc=jc,
        year=year,
        years=_year_options(request, jc, year),
        tables=_tables(ctx, year, jc),
        t=ctx["t"],
        team=ctx["team"],
        newest=ctx["newest"],
        jc_values=jc_values,
        own_team=own_team,
        known_teams=known_teams,
        sexes=("all", "w", "m"),
        measures=MEASURES,
        sex_labels=SEX_LABELS,
        figure_labels=FIGURE_LABELS,
        status_labels=STATUS_LABELS,
        error=error,
        message=message,
        query=f"jc={jc}&year={year}",
    )
    response.status_code = status
    return response


@router.get("/planung", name="planning")
def planning_page(
    request: Request,
    jc: str | None = None,
    year: int | None = None,
    ok: str | None = None,
    viewer: Viewer = Depends(needs(access.FIGURES)),
):
    jc = pick_jobcenter(store(request), jc)
    return _page(request, viewer, jc, _pick_year(request, jc, year), message=MESSAGES.get(ok or ""))


@router.get("/planung/{table}.{fmt}", name="planning_download")
def planning_download(
    request: Request,
    table: str,
    fmt: str,
    jc: str | None = None,
    year: int | None = None,
    viewer: Viewer = Depends(needs(access.FIGURES)),
):
    if table not in TABLES:
        raise HTTPException(404, "Unbekannte Tabelle.")
    jc = pick_jobcenter(store(request), jc)
    year = _pick_year(request, jc, year)
    return download(_tables(_context(request, jc, year), year, jc)[table], fmt)


def _form_key(form: dict, request: Request) -> tuple[str, int]:
    jc = pick_jobcenter(store(request), str(form.get("jc", "")) or None)
    try:
        year = int(str(form.get("year", "")))
    except ValueError:
        raise HTTPException(400, "Ungültiges Planjahr.") from None
    if not 2000 <= year <= 2100:
        raise HTTPException(400, "Ungültiges Planjahr.")
    return jc, year


def _form_values(form: dict) -> dict[str, dict[str, str]]:
    return {s: {m: str(form.get(f"{m}_{s}", "")) for m in MEASURES} for s in SEXES}


def _done(jc: str, year: int, what: str) -> RedirectResponse:
    return RedirectResponse(f"/planung?jc={jc}&year={year}&ok={what}", status_code=303)


def _save(request: Request, viewer: Viewer, jc: str, year: int, team: str | None, form: dict):
    try:
        with state(request).begin() as db:
            plans.save_plan(
                db, year, jc, team, _form_values(form), viewer.name, viewer.role, note=str(form.get("note", "")) or None
            )
    except plans.PlanError as exc:
        return _page(request, viewer, jc, year, error=f"Der Plan wurde nicht gespeichert: {exc}", status=400)
    except IntegrityError:  # someone saved the same plan in the same instant
        return _page(
            request,
            viewer,
            jc,
            year,
            status=409,
            error="Gleichzeitig wurde eine andere Version gespeichert. Bitte prüfen und erneut speichern.",
        )
    return _done(jc, year, "gespeichert")


@router.post("/planung/jobcenter", name="planning_save_jobcenter")
def save_jobcenter(
    request: Request, viewer: Viewer = Depends(needs(access.PLAN_JOBCENTER)), form: dict = Depends(csrf_form)
):
    jc, year = _form_key(form, request)
    return _save(request, viewer, jc, year, None, form)


@router.post("/planung/team", name="planning_save_team")
def save_team(
    request: Request,
    viewer: Viewer = Depends(needs(access.PLAN_TEAM, access.PLAN_JOBCENTER)),
    form: dict = Depends(csrf_form),
):
    """A team plan. Teamleitung: always the own team (``viewer.team_id``); a form naming another
    team is refused. Controlling (PLAN_JOBCENTER): the team named in the form."""
    if access.may(viewer.role, access.PLAN_TEAM):
        named = str(form.get("team", "")).strip()
        if not viewer.team_id or (named and named != viewer.team_id):
            raise HTTPException(403, "Sie können nur den Plan Ihres eigenen Teams bearbeiten.")
        team = viewer.team_id
    else:  # PLAN_JOBCENTER (needs() lets no other role in)
        team = str(form.get("team", "")).strip()
        if not team:
            jc, year = _form_key(form, request)
            return _page(request, viewer, jc, year, error="Bitte ein Team angeben.", status=400)
    jc, year = _form_key(form, request)
    return _save(request, viewer, jc, year, team, form)


@router.post("/planung/vorschlag", name="planning_propose")
def propose(request: Request, viewer: Viewer = Depends(needs(access.PLAN_JOBCENTER)), form: dict = Depends(csrf_form)):
    jc, year = _form_key(form, request)
    try:
        with state(request).begin() as db:
            proposal.fill_draft(db, store(request), year, jc, viewer.name, viewer.role)
    except plans.PlanError:
        return _page(
            request,
            viewer,
            jc,
            year,
            status=400,
            error="Für dieses Jahr gibt es weder Ist-Werte noch eine Prognose; kein Vorschlag möglich.",
        )
    return _done(jc, year, "vorschlag")


@router.post("/planung/vereinbaren", name="planning_agree")
def agree(request: Request, viewer: Viewer = Depends(needs(access.PLAN_AGREE)), form: dict = Depends(csrf_form)):
    jc, year = _form_key(form, request)
    try:
        plan_id = int(str(form.get("plan_id", "")))
    except ValueError:
        return _page(request, viewer, jc, year, error="Keine Planversion angegeben.", status=400)
    try:
        with state(request).begin() as db:
            plan = plans.get(db, plan_id)
            if plan.jobcenter_id != jc or plan.year != year:
                raise plans.PlanNotFound(plan_id)
            plans.agree(db, plan_id, viewer.name, viewer.role)
    except plans.PlanNotFound:
        return _page(request, viewer, jc, year, error="Diese Planversion gibt es nicht.", status=400)
    except plans.PlanFrozen as exc:
        return _page(request, viewer, jc, year, error=f"Nicht vereinbart: {exc}", status=400)
    return _done(jc, year, "vereinbart")
