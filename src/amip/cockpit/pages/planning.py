"""Zielplanung: plans per year, job center, team and sex; bottom-up team plans, versions.

- Every role with STEERING reads the page: the job center's target beside the actual values of the
  previous year (changes from unrounded values, shown with one decimal), the sum of the team plans
  against the target, the forecast proposal and the previous year, the team plans, every version.
- PLAN_JOBCENTER (Controlling) saves the job center's plan, fills a draft from the forecast and may
  also save any team's plan; PLAN_TEAM (Teamleitung) saves only the own team's plan: the team comes
  from the logged-in user; a form naming another team is refused (403).
- PLAN_AGREE (Geschäftsführung, Controlling) marks the newest version of a plan as agreed.
- Beside every field of a plan form: the unit's Ist of the previous year, the forecast, the share of
  the job center's target, and below the team form the sum of all teams against the target,
  updated as one types (HTMX ``POST /planung/teamsumme`` returns the sum fragment and the hints;
  without JavaScript the button "Summe prüfen" re-renders the page with the typed values, unsaved).
- A form with bad values is shown again with everything typed, each bad field marked
  (``aria-invalid``) with its German message beside it (``aria-describedby``); the typed text is
  escaped by the template like all data.
All changes are POSTs with the CSRF token, audited in ``amip.planning.plans``. Only aggregates; the
team hints are shown only to whom may see the team's numbers (its team lead, Controlling).
"""

from __future__ import annotations

from collections.abc import Collection

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
from amip.planning import hints, plans, proposal, targets
from amip.planning.models import MEASURES, SEXES
from amip.state.db import reading

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
    with reading(state(request)) as db:  # reads only: no write lock
        planned = plans.years(db, jc)
    if planned:
        return planned[-1]
    return int(st.latest[:4]) if st.latest else 2022


def _year_options(request: Request, jc: str, year: int) -> list[int]:
    st = store(request)
    with reading(state(request)) as db:  # reads only: no write lock
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


def target_table(t: dict, year: int, jc: str, name: str | None = None) -> DataTable:
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
        caption=f"Ziel {year} – {name or f'Jobcenter {jc}'} ({status}) – gegen das Ist {year - 1}",
    )


def comparison_table(t: dict, team: dict, forecast: dict, year: int, jc: str) -> DataTable:
    """Per figure and sex: sum of the team plans, the job center's target, difference, forecast, Ist Y−1."""
    fc = targets.with_totals(proposal.plan_values(forecast)) if forecast else targets.empty()
    # Whole persons, women + men = all (proposal.whole_parts; decision 112), as "Vorschlag" saves it.
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
    with reading(state(request)) as db:  # reads only: no write lock
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
    return {
        "t": t,
        "team": team,
        "hist": hist,
        "newest": newest_info,
        "forecast": forecast,
        "name": st.jobcenter_name(jc),
    }


def _tables(ctx: dict, year: int, jc: str) -> dict[str, DataTable]:
    return {
        "ziel": target_table(ctx["t"], year, jc, ctx.get("name")),
        "vergleich": comparison_table(ctx["t"], ctx["team"], ctx["forecast"], year, jc),
        "teams": teams_table(ctx["team"], year, jc),
        "versionen": versions_table(ctx["hist"], year, jc),
    }


# ---- the plan forms: values, field messages, hints -------------------------------------------------

FORMS = ("jc", "team", "teamco")  # the job center's plan, the own team's (Teamleitung), any team's (Controlling)
UNNAMED_TEAM = "\x00"  # the team of the Controlling form before a team is named (no team id can be it)
HINT_NOTE = (
    "Neben jedem Feld: das Ist des Teams im Vorjahr, die Prognose für das Team (Vorschlag des Jobcenters aus "
    "Ist und Prognose × Anteil des Teams am Ist des Jobcenters im Vorjahr, in ganzen Personen) und der Anteil "
    "der Eingabe am Ziel des Jobcenters. Darunter die Summe aller Teampläne mit dieser Eingabe gegen das Ziel."
)


def _num(v) -> str:
    return _fmt_value(v)


def field_id(prefix: str, measure: str, sex: str) -> str:
    return f"{prefix}-{measure}-{sex}"


def form_state(
    prefix: str,
    typed: dict[str, dict[str, str]],
    errors: dict[tuple[str, str], str] | None = None,
    *,
    note: str = "",
    team: str = "",
    checked: bool = False,
) -> dict:
    """What a form shows when it is rendered from a request (after an error or "Summe prüfen"): the
    typed texts, the German message per bad field (key ``measure_sex``), the note and team typed."""
    return {
        "prefix": prefix,
        "values": typed,
        "errors": {f"{m}_{s}": msg for (s, m), msg in (errors or {}).items()},
        "note": note,
        "team": team,
        "checked": checked,
    }


def hint_texts(h: dict | None, year: int, *, team_form: bool, invalid: Collection[str] = ()) -> dict[str, str]:
    """{measure_sex: the text beside the field}: Ist of the previous year, the forecast, for team
    forms the share of the job center's target (or why it is missing)."""
    if h is None:
        return {}
    out = {}
    for s in SEXES:
        for m in MEASURES:
            key = f"{m}_{s}"
            parts = [f"Ist {year - 1}: {_num(h['ist'][s][m])}", f"Prognose {year}: {_num(h['forecast'][s][m])}"]
            if team_form:
                if key in invalid:
                    parts.append("Eingabe ungültig, nicht mitgezählt")
                elif h["target"][s][m] is None:
                    parts.append("kein Ziel des Jobcenters")
                else:
                    parts.append(f"Anteil am Ziel: {fmt.percent(h['share'][s][m], 1)} %".replace("– %", "–"))
            else:
                n = h["teams"]["planned_by"][s][m]
                parts.append(f"Teampläne: {_num(h['teams']['sum'][s][m])}" + (f" ({_count_teams(n)})" if n else ""))
            out[key] = " · ".join(parts)
    return out


def sum_view(h: dict) -> list[dict]:
    """The rows of the sum fragment, formatted (quotas are not planned, so not shown here)."""
    rows = []
    for r in hints.sum_rows(h):
        if r["sum"] is None and r["target"] is None:
            continue
        label = FIGURE_LABELS[r["measure"]] + ("" if r["sex"] == "all" else f" – {SEX_LABELS[r['sex']]}")
        diff = r["difference"]
        rows.append(
            {
                "label": label,
                "sum": _num(r["sum"]),
                "target": _num(r["target"]),
                "difference": "–" if diff is None else ("+" if diff > 0 else "") + _num(diff),
                "share": "–" if r["share"] is None else f"{fmt.percent(r['share'], 1)} %",
            }
        )
    return rows


def _team_hints(request: Request, jc: str, year: int, team: str, entered: dict | None) -> dict:
    st = store(request)
    with reading(state(request)) as db:  # reads only: no write lock
        # no team named yet: only the sum and the shares
        return hints.field_hints(db, st, year, jc, team, entered, unit_values=team != UNNAMED_TEAM)


def _jc_hints(request: Request, jc: str, year: int) -> dict:
    with reading(state(request)) as db:  # reads only: no write lock
        return hints.field_hints(db, store(request), year, jc, None)


def _form_view(
    request: Request, jc: str, year: int, prefix: str, stored: dict, team: str | None, state_: dict | None
) -> dict:
    """The data of one plan form: the values shown, messages, hints and (team forms) the sum."""
    typed = state_["values"] if state_ else stored
    errors = state_["errors"] if state_ else {}
    if prefix == "jc":
        h = _jc_hints(request, jc, year)
    else:
        entered = plans.parse_values(typed) if state_ else plans.parse_values(stored)
        h = _team_hints(request, jc, year, team or UNNAMED_TEAM, entered)
    view = {
        "prefix": prefix,
        "values": typed,
        "errors": errors,
        "hints": hint_texts(h, year, team_form=prefix != "jc", invalid=set(errors)),
        "note": state_["note"] if state_ else "",
        "team": (state_ or {}).get("team", ""),
        "checked": bool(state_ and state_["checked"]),
    }
    if prefix != "jc":
        view["sum"] = sum_view(h)
        view["has_target"] = h["has_target"]
    return view


def _page(
    request: Request,
    viewer: Viewer,
    jc: str,
    year: int,
    error: str | None = None,
    message: str | None = None,
    status: int = 200,
    form: dict | None = None,
):
    """The page; ``form`` is the state of the form that was sent (``form_state``), shown again."""
    st = store(request)
    ctx = _context(request, jc, year)
    sent = form["prefix"] if form else None
    own_team = None
    if access.may(viewer.role, access.PLAN_TEAM) and viewer.team_id:
        own = next((r for r in ctx["team"]["teams"] if r["team_id"] == viewer.team_id), None)
        own_team = {
            "team_id": viewer.team_id,
            "version": own["version"] if own else None,
            "status": own["status"] if own else None,
            "form": _form_view(
                request,
                jc,
                year,
                "team",
                input_values(own["stored"]) if own else {},
                viewer.team_id,
                form if sent == "team" else None,
            ),
        }
    jc_form = team_form = None
    if access.may(viewer.role, access.PLAN_JOBCENTER):
        stored = input_values(ctx["newest"]["values"]) if ctx["newest"] else {}
        jc_form = _form_view(request, jc, year, "jc", stored, None, form if sent == "jc" else None)
        named = (form or {}).get("team", "") if sent == "teamco" else ""
        team_form = _form_view(request, jc, year, "teamco", {}, named or None, form if sent == "teamco" else None)
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
        jc_form=jc_form,
        team_form=team_form,
        own_team=own_team,
        known_teams=known_teams,
        sexes=("all", "w", "m"),
        measures=MEASURES,
        sex_labels=SEX_LABELS,
        figure_labels=FIGURE_LABELS,
        status_labels=STATUS_LABELS,
        hint_note=HINT_NOTE,
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
    viewer: Viewer = Depends(needs(access.STEERING)),
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
    viewer: Viewer = Depends(needs(access.STEERING)),
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


def _sent_form(form: dict, prefix: str, errors: dict | None = None, *, checked: bool = False) -> dict:
    """The sent form as it is shown again: every text printable (``plans.printable``), escaped by
    the template."""
    values = {s: {m: plans.printable(v) for m, v in row.items()} for s, row in _form_values(form).items()}
    return form_state(
        prefix,
        values,
        errors,
        note=plans.printable(form.get("note", "")),
        team=plans.printable(str(form.get("team", "")).strip()) if prefix == "teamco" else "",
        checked=checked,
    )


def _save(request: Request, viewer: Viewer, jc: str, year: int, team: str | None, form: dict, prefix: str):
    values = _form_values(form)
    if form.get("pruefen"):  # "Summe prüfen": show the hints and the sum for the typed values, save nothing
        try:
            plans.clean_values(values)
            errors = None
        except plans.PlanValueError as exc:
            errors = exc.messages()
        return _page(request, viewer, jc, year, form=_sent_form(form, prefix, errors, checked=True))
    try:
        with state(request).begin() as db:
            plans.save_plan(
                db, year, jc, team, values, viewer.name, viewer.role, note=str(form.get("note", "")) or None
            )
    except plans.PlanValueError as exc:
        n = len(exc.problems)
        return _page(
            request,
            viewer,
            jc,
            year,
            status=400,
            form=_sent_form(form, prefix, exc.messages()),
            error=f"Der Plan wurde nicht gespeichert: {'eine Eingabe ist' if n == 1 else f'{n} Eingaben sind'} "
            "ungültig (beim Feld beschrieben).",
        )
    except plans.PlanEmpty:
        return _page(
            request,
            viewer,
            jc,
            year,
            status=400,
            form=_sent_form(form, prefix),
            error="Der Plan wurde nicht gespeichert: Bitte mindestens einen Wert eingeben.",
        )
    except plans.PlanError as exc:  # the note or the team name (German messages of amip.text)
        return _page(
            request,
            viewer,
            jc,
            year,
            status=400,
            form=_sent_form(form, prefix),
            error=f"Der Plan wurde nicht gespeichert: {exc}",
        )
    except IntegrityError:  # someone saved the same plan in the same instant
        return _page(
            request,
            viewer,
            jc,
            year,
            status=409,
            form=_sent_form(form, prefix),
            error="Gleichzeitig wurde eine andere Version gespeichert. Bitte prüfen und erneut speichern.",
        )
    return _done(jc, year, "gespeichert")


@router.post("/planung/jobcenter", name="planning_save_jobcenter")
def save_jobcenter(
    request: Request, viewer: Viewer = Depends(needs(access.PLAN_JOBCENTER)), form: dict = Depends(csrf_form)
):
    jc, year = _form_key(form, request)
    return _save(request, viewer, jc, year, None, form, "jc")


def _team_of(viewer: Viewer, form: dict) -> str:
    """The team a team form is for. Teamleitung: always the own team (``viewer.team_id``); a form
    naming another team is refused. Controlling (PLAN_JOBCENTER): the team named in the form ("" if none)."""
    if access.may(viewer.role, access.PLAN_TEAM):
        named = str(form.get("team", "")).strip()
        if not viewer.team_id or (named and named != viewer.team_id):
            raise HTTPException(403, "Sie können nur den Plan Ihres eigenen Teams bearbeiten.")
        return viewer.team_id
    return str(form.get("team", "")).strip()  # PLAN_JOBCENTER (needs() lets no other role in)


@router.post("/planung/team", name="planning_save_team")
def save_team(
    request: Request,
    viewer: Viewer = Depends(needs(access.PLAN_TEAM, access.PLAN_JOBCENTER)),
    form: dict = Depends(csrf_form),
):
    """A team plan (the team: :func:`_team_of`)."""
    team = _team_of(viewer, form)
    jc, year = _form_key(form, request)
    prefix = "team" if access.may(viewer.role, access.PLAN_TEAM) else "teamco"
    if not team and not form.get("pruefen"):
        return _page(
            request, viewer, jc, year, error="Bitte ein Team angeben.", status=400, form=_sent_form(form, prefix)
        )
    return _save(request, viewer, jc, year, team, form, prefix)


@router.post("/planung/teamsumme", name="planning_team_sum")
def team_sum_fragment(
    request: Request,
    viewer: Viewer = Depends(needs(access.PLAN_TEAM, access.PLAN_JOBCENTER)),
    form: dict = Depends(csrf_form),
):
    """The sum of all teams with the values being typed, against the job center's target, and the
    hints beside the fields (out-of-band swaps): HTMX calls it as one types. Saves nothing; bad
    values are left out of the sum and marked in their hint."""
    team = _team_of(viewer, form)
    jc, year = _form_key(form, request)
    prefix = "team" if access.may(viewer.role, access.PLAN_TEAM) else "teamco"
    try:
        plans.clean_values(_form_values(form))
        errors = None
    except plans.PlanValueError as exc:
        errors = exc.messages()
    view = _form_view(request, jc, year, prefix, {}, team or None, _sent_form(form, prefix, errors))
    return render(
        request,
        "_planning_sum.html",
        viewer,
        f=view,
        oob=True,
        sexes=("all", "w", "m"),
        measures=MEASURES,
        year=year,
    )


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
