"""Zielnachhaltung: actual against plan each month, year-to-date progress, status.

For the Bezugsmonat M (default: the data's latest month) and the job center's plan of M's year
(agreed, else the newest draft, flagged): per planned figure and sex the plan, the actual value to
date, the target to date (seasonal profile for integrations; for the LZB annual average the expected JDW: months to date
plus the forecast of the rest), attainment,
integrations still needed per remaining month, the probability from the forecast and the status,
with the rule printed on the page (``amip.planning.tracking``); for a finished year (December)
"erreicht" / "nicht erreicht" and no probability column. Only aggregates; capability STEERING.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from markupsafe import Markup

from amip import disclosure as dc
from amip import format as fmt
from amip.cockpit import access
from amip.cockpit.auth import Viewer, needs
from amip.cockpit.context import state, store
from amip.cockpit.params import pick_jobcenter, pick_month
from amip.cockpit.render import render_shared
from amip.cockpit.tables import Column, DataTable, download
from amip.figures import charts
from amip.planning import plans, targets, tracking
from amip.planning.plans import SEX_LABELS
from amip.state.db import reading

router = APIRouter()
FIGURES = {
    "integrations": "Integrationen seit Januar",
    "elb_jdw": "ELB, Ø seit Januar",
    "quota": "Quote (K2, 12 Monate)",
    "lzb_jdw": "LZB (Jahresdurchschnitt bis zum Monat)",
}
ORDER = {"integrations": 0, "elb_jdw": 1, "quota": 2, "lzb_jdw": 3}
SEX_ORDER = {"all": 0, "w": 1, "m": 2}
DECIMALS = {"integrations": 0, "lzb_jdw": 1, "elb_jdw": 1, "quota": 1}


class TrackingTable(DataTable):
    """Whole persons for integrations and LZB, one decimal for ELB averages and quotas (per row);
    the downloads keep the unrounded numbers."""

    def cell(self, i: int, col: Column) -> Markup:
        row = self.rows[i]
        if dc.is_suppressed(row.get(col.key)):
            return Markup(dc.MARK)
        if col.key == "status" and row.get("status_key"):
            return (
                Markup(f'<span class="status status-{row["status_key"]}">')
                + Markup.escape(row["status"])
                + Markup("</span>")
            )
        if col.kind == "count" and col.decimals is None:
            return Markup.escape(fmt.number(row.get(col.key), DECIMALS.get(row.get("kind") or "", 0)))
        return super().cell(i, col)


def _teams(request: Request, jc: str, year: int) -> list[str]:
    with state(request).begin() as db:
        planned = plans.team_ids(db, year, jc)
    return sorted(set(targets.teams(store(request), jc)) | set(planned))


def _pick_team(request: Request, jc: str, month: str, team: str | None) -> str | None:
    if team is None or team == "":
        return None
    if team not in _teams(request, jc, int(month[:4])):
        raise HTTPException(404, "Unbekanntes Team.")
    return team


def _result(request: Request, jc: str, month: str, team: str | None = None) -> dict:
    with state(request).begin() as db:
        return tracking.track(db, store(request), int(month[:4]), jc, month, team)


ACTUAL_DERIVED = {"attainment": ("actual",), "deviation": ("actual",), "needed": ("actual",)}


def suppress_actuals(rows: list[dict], policy: dc.Policy, team: str | None) -> list[dict]:
    """The Ist of integrations, ELB and LZB counts persons: 1 or 2 (and what is computed from it)
    is suppressed for viewers who may not see those persons (a team lead sees the own team); a
    quota row goes with its integrations and ELB rows of the same sex. The plan and the Soll are
    targets, not persons. Rows are measures, not parts of a total: no secondary rule."""
    if policy.sees("team", team) if team else not policy.suppress:
        return rows
    counts = [r for r in rows if r["kind"] != "quota"]
    out = {
        id(r): s for r, s in zip(counts, dc.suppress_rows(counts, policy, ("actual",), ACTUAL_DERIVED, secondary=False))
    }
    hidden = {
        r["sex"] for r in counts if dc.is_suppressed(out[id(r)]["actual"]) and r["kind"] in ("integrations", "elb_jdw")
    }
    result = []
    for r in rows:
        if id(r) in out:
            result.append(out[id(r)])
        elif r["sex"] in hidden:
            result.append({**r, **{k: dc.SUPPRESSED for k in ("actual", *ACTUAL_DERIVED)}})
        else:
            result.append(r)
    return result


def tracking_table(res: dict, jc: str, policy: dc.Policy = dc.SHOW_ALL, jc_name: str | None = None) -> DataTable:
    """``jc_name``: the job center's name for the caption (default ``Jobcenter <id>``)."""
    rows = []
    for r in sorted(res["rows"], key=lambda r: (ORDER[r["measure"]], SEX_ORDER[r["sex"]])):
        rows.append(
            {
                "figure": FIGURES[r["measure"]],
                "sex": SEX_LABELS[r["sex"]],
                "kind": r["measure"],
                "plan": r["plan"],
                "actual": r["actual"],
                "expected": r["expected"],
                "attainment": r["attainment"],
                "deviation": r.get("deviation_pct"),
                "needed": r["needed_per_month"],
                "probability": None if r["probability"] is None else r["probability"] * 100,
                "status": tracking.STATUS_LABELS.get(r["status"], "–") if r["status"] else "–",
                "status_key": r["status"],
                "state": r["state"].label if r.get("state") else None,
                "band": (r["state"].band_label or None) if r.get("state") else None,
            }
        )
    rows = suppress_actuals(rows, policy, res.get("team"))
    cols = [
        Column("figure", "Kennzahl"),
        Column("sex", "Gruppe"),
        Column("plan", "Plan", "count"),
        Column("actual", "Ist", "count"),
        Column("expected", "Soll bis Monat (LZB: erwarteter JDW)", "count"),
        Column("attainment", "Zielerreichung %", "percent"),
        Column("deviation", "Abweichung vom Plan %", "percent"),
        Column("needed", "noch nötig je Monat", "count", 1),
        *([] if res.get("finished") else [Column("probability", "Wahrscheinlichkeit %", "percent", 0)]),
        Column("status", "Status"),
        Column("state", "Datenstand"),
        Column("band", "Erwartete Revision"),
    ]
    state_ = {"agreed": "vereinbart", "draft": "Entwurf, noch nicht vereinbart", None: "kein Plan"}[res["plan_status"]]
    unit = f"Team {res['team']}" if res.get("team") else (jc_name or f"Jobcenter {jc}")
    name = (
        f"zielnachhaltung_{jc}_{res['team']}_{res['month']}"
        if res.get("team")
        else f"zielnachhaltung_{jc}_{res['month']}"
    )
    return TrackingTable(
        "Zielnachhaltung",
        cols,
        rows,
        name,
        caption=f"{unit}: Plan {res['year']} ({state_}) gegen Ist bis {res['month'][5:]}/{res['year']}",
    )


@router.get("/zielnachhaltung", name="tracking")
def tracking_page(
    request: Request,
    jc: str | None = None,
    month: str | None = None,
    team: str | None = None,
    viewer: Viewer = Depends(needs(access.STEERING)),
):
    """Rendered once per (parameters, role, disclosure, plan version and status, teams) and figure
    store (``render_shared``, as the Übersicht): a saved or agreed plan changes the key, so the
    next view shows it. The key and the page are read in one transaction of the state database."""
    st = store(request)
    jc, month = pick_jobcenter(st, jc), pick_month(st, month)
    year = int(month[:4])
    policy = access.disclosure(viewer)
    with reading(state(request)) as db:
        teams = sorted(set(targets.teams(st, jc)) | set(plans.team_ids(db, year, jc)))
        if team == "":
            team = None
        if team is not None and team not in teams:
            raise HTTPException(404, "Unbekanntes Team.")
        plan = plans.current(db, year, jc, team, "agreed") or plans.latest(db, year, jc, team)
        plan_key = None if plan is None else (plan.id, plan.version, plan.status)

        def context() -> dict:
            res = tracking.track(db, st, year, jc, month, team)
            chart = None
            cum = res["cumulative"].get("all")
            if cum:
                hide = not (policy.sees("team", team) if team else not policy.suppress)
                key = tuple(
                    (c["month"], None if hide and dc.small(c["actual"]) else c["actual"], c["profile"]) for c in cum
                )
                chart = Markup(
                    charts.target_progress(
                        f"Integrationen {res['year']}: Ist kumuliert und Soll nach Saisonprofil", key
                    )
                )
            return dict(
                jc=jc,
                month=month,
                month_state=res["data_state"],
                res=res,
                table=tracking_table(res, jc, policy, st.jobcenter_name(jc)),
                chart=chart,
                profile_years=sorted(set(res["profile_years"].get("all", []))),
                team=team,
                teams=teams,
                query=f"jc={jc}&month={month}" + (f"&team={team}" if team else ""),
                status_labels=tracking.STATUS_LABELS,
            )

        key = (jc, month, team, policy.key, plan_key, tuple(teams))
        return render_shared(request, "tracking.html", viewer, key, context)


@router.get("/zielnachhaltung.{fmt}", name="tracking_download")
def tracking_download(
    request: Request,
    fmt: str,
    jc: str | None = None,
    month: str | None = None,
    team: str | None = None,
    viewer: Viewer = Depends(needs(access.STEERING)),
):
    if fmt not in ("csv", "xlsx"):
        raise HTTPException(404, "Unbekanntes Format (csv oder xlsx)")
    st = store(request)
    jc, month = pick_jobcenter(st, jc), pick_month(st, month)
    team = _pick_team(request, jc, month, team)
    res = _result(request, jc, month, team)
    return download(tracking_table(res, jc, access.disclosure(viewer), st.jobcenter_name(jc)), fmt)
