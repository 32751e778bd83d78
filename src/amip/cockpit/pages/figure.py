"""Kennzahl: one figure over up to 60 months, with its definition, its supplementary figures, the
monthly numerator and denominator counts behind the month (linked to the persons, for roles that
may see them), and its breakdown by sex and, where ``caseload`` exists, by office and team."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from markupsafe import Markup

from amip import disclosure as dc
from amip import format as fmt
from amip.cockpit import access
from amip.cockpit.auth import Viewer, needs
from amip.cockpit.context import store
from amip.cockpit.params import pick_figure, pick_jobcenter, pick_month, pick_sex
from amip.cockpit.render import render, render_shared
from amip.cockpit.tables import Column, DataTable, download
from amip.figures import charts, glossary, states
from amip.figures.store import FIGURE_BY_ID
from amip.kennzahlen import FIGURES

router = APIRouter()
UNIT_KINDS = tuple(glossary.UNIT_KINDS)


def family(figure: str) -> list[str]:
    """The headline figure and its supplementary figures (K2 -> K2, K2E1 ... K2E4)."""
    head = figure.split("E")[0]
    return [f.id for f in FIGURES if f.id.split("E")[0] == head]


def _policy(figure: str, policy: dc.Policy) -> dc.Policy:
    """Counts of persons are suppressed; amounts (K1, K1E1) are not counts of persons."""
    return policy if glossary.PERSON_BASED[figure] else dc.SHOW_ALL


def suppressed_history(st, jc: str, figure: str, sex: str, policy: dc.Policy, **kw):
    """``st.history`` with the job center's small counts and the values derived from them
    suppressed (amip.disclosure)."""
    h = st.history(jc, figure, sex, **kw)
    rows = dc.suppress_rows(
        h.to_dict("records"),
        _policy(figure, policy),
        ("numerator", "denominator"),
        {"value": ("numerator", "denominator")},
        secondary=False,
    )
    return rows


def history_table(st, jc: str, figure: str, month: str, sex: str, policy: dc.Policy = dc.SHOW_ALL) -> DataTable:
    hist = {s: suppressed_history(st, jc, figure, s, policy, last=month) for s in ("all", "w", "m")}
    base = {k: [r[k] for r in hist[sex]] for k in ("month", "numerator", "denominator")}
    values = {s: {r["month"]: r["value"] for r in h} for s, h in hist.items()}
    rows = [
        {"month": m, "numerator": n, "denominator": d, **{s: values[s].get(m) for s in values}}
        for m, n, d in zip(base["month"], base["numerator"], base["denominator"])
    ]
    by_month = states.states_by_month(st, jc, figure, sex, last=month)
    for r in rows:
        state = by_month.get(r["month"])
        if state is not None and dc.is_suppressed(r.get(sex)):
            state = state.withhold()
        r["state"] = state.label if state else None
        r["band"] = (state.band_label or None) if state else None
    rows.reverse()  # newest first
    kind = "amount" if figure in ("K1", "K1E1") else "count"
    decimals = 2 if kind == "amount" else None
    cols = [
        Column("month", "Monat", "month"),
        Column("all", "Insgesamt", "percent"),
        Column("w", "Frauen", "percent"),
        Column("m", "Männer", "percent"),
        Column("numerator", f"Zähler ({glossary.SEXES[sex]})", kind, decimals, "EUR" if kind == "amount" else None),
        Column(
            "denominator",
            f"Nenner ({glossary.SEXES[sex]})",
            kind,
            decimals if decimals else 1,
            "EUR" if kind == "amount" else None,
        ),
        Column("state", "Datenstand"),
        Column("band", f"Erwartete Revision ({glossary.SEXES[sex]})"),
    ]
    if not glossary.PERSON_BASED[figure]:
        cols = [c for c in cols if c.key not in ("w", "m")]
    return DataTable(
        f"{figure} Zeitreihe",
        cols,
        rows,
        f"{figure}_zeitreihe_{jc}_{sex}",
        caption=f"{figure} von {fmt.month(rows[-1]['month']) if rows else ''} bis {fmt.month(month)}",
    )


def parts_table(st, jc: str, figure: str, month: str, sex: str, viewer: Viewer) -> DataTable:
    parts = dc.suppress_rows(
        st.monthly_parts(jc, figure, month, sex),
        _policy(figure, access.disclosure(viewer)),
        ("numerator", "denominator"),
        secondary=False,
    )
    shape = {side: p.column for side, p in FIGURE_BY_ID[figure].shape.parts().items()}
    money = figure in ("K1", "K1E1")
    cols = [
        Column("month", "Monat", "month"),
        Column(
            "numerator",
            f"Zähler: {glossary.COUNTS[shape['numerator']]}",
            "amount" if money else "count",
            2 if money else None,
        ),
        Column(
            "denominator",
            f"Nenner: {glossary.COUNTS[shape['denominator']]}",
            "amount" if money else "count",
            2 if money else None,
        ),
    ]
    links = {}
    if glossary.PERSON_BASED[figure] and access.may(viewer.role, access.PERSONS):
        for i, row in enumerate(parts):
            for side in ("numerator", "denominator"):
                if row.get(side) is not None and not dc.is_suppressed(row.get(side)):
                    links[(i, side)] = (
                        f"/personen?jc={jc}&count={shape[side]}&month={row['month']}&sex={sex}&figure={figure}"
                    )
    return DataTable(
        f"{figure} Zähler und Nenner",
        cols,
        parts,
        f"{figure}_bausteine_{jc}_{month}_{sex}",
        links,
        caption=f"Monatliche Werte, aus denen {figure} im Berichtsmonat {fmt.month(month)} gebildet wird",
    )


UNIT_SEXES = ("all", "w", "m", "d")
TOTAL = ("__jobcenter__",)  # the job center's row in the unit x sex grid (never a unit name)


def suppressed_units(st, jc: str, figure: str, month: str, sex: str, kind: str, policy: dc.Policy) -> list[dict]:
    """``st.by_unit`` rows with small counts, their secondary partners and the derived values
    suppressed for ``policy``. The counts form a unit x sex grid with two kinds of sums: the units
    of one sex add up to the job center's count of that sex, and a unit's women, men and diverse
    add up to its total; both are lines of :func:`amip.disclosure.suppress_cells`, so neither
    "job center minus the other teams" nor "team total minus men" reveals a hidden count, also
    across the tables of different sexes."""
    rows = st.by_unit(jc, figure, month, kind, sex).to_dict("records")
    policy = _policy(figure, policy)
    if not policy.suppress or not rows:
        return rows
    tables = {s: (rows if s == sex else st.by_unit(jc, figure, month, kind, s).to_dict("records")) for s in UNIT_SEXES}
    totals = {s: st.value(jc, figure, month, s) or {} for s in UNIT_SEXES}
    units = sorted({r["unit"] for t in tables.values() for r in t})
    exempt = {(u, s) for u in units if policy.sees(kind, u) for s in UNIT_SEXES}
    fixed = {(TOTAL, s) for s in UNIT_SEXES}
    lines = [[(u, s) for s in UNIT_SEXES] for u in [*units, TOTAL]] + [
        [(u, s) for u in [*units, TOTAL]] for s in UNIT_SEXES
    ]
    out = [dict(r) for r in rows]
    for col in ("numerator", "denominator"):
        cells = {(r["unit"], s): r[col] for s, t in tables.items() for r in t}
        cells.update({(TOTAL, s): totals[s].get(col) for s in UNIT_SEXES})
        hidden = dc.suppress_cells(cells, lines, policy, exempt=exempt, fixed=fixed)
        for r in out:
            if (r["unit"], sex) in hidden:
                r[col] = dc.SUPPRESSED
    for r in out:
        if dc.is_suppressed(r["numerator"]) or dc.is_suppressed(r["denominator"]):
            r["value"] = dc.SUPPRESSED
    return out


def unit_table(st, jc: str, figure: str, month: str, sex: str, kind: str, policy: dc.Policy = dc.SHOW_ALL) -> DataTable:
    rows = suppressed_units(st, jc, figure, month, sex, kind, policy)
    cols = [
        Column("unit", glossary.UNIT_KINDS[kind]),
        Column("numerator", "Zähler", "count", 1),
        Column("denominator", "Nenner", "count", 1),
        Column("value", "Wert", "percent"),
    ]
    return DataTable(
        f"{figure} nach {glossary.UNIT_KINDS[kind]}",
        cols,
        rows,
        f"{figure}_{kind}_{jc}_{month}_{sex}",
        caption=f"{figure} nach {glossary.UNIT_KINDS[kind]} (Zuordnung am Monatsende), {fmt.month(month)}",
    )


def _state(st, jc: str, figure: str, month: str, sex: str, policy: dc.Policy) -> states.State | None:
    """The value's data state; without its band when the value is suppressed for ``policy``."""
    state = states.of_value(st, jc, figure, month, sex)
    shown = dc.suppress_value(st.value(jc, figure, month, sex), _policy(figure, policy)) or {}
    return state.withhold() if state is not None and dc.is_suppressed(shown.get("value")) else state


def _args(request: Request, figure: str, jc, month, sex):
    st = store(request)
    return st, pick_figure(st, figure), pick_jobcenter(st, jc), pick_month(st, month), pick_sex(sex)


@router.get("/kennzahl/{figure}", name="figure")
def figure_page(
    request: Request,
    figure: str,
    jc: str | None = None,
    month: str | None = None,
    sex: str | None = None,
    viewer: Viewer = Depends(needs(access.FIGURES)),
):
    st, figure, jc, month, sex = _args(request, figure, jc, month, sex)
    if not glossary.PERSON_BASED[figure]:
        sex = "all"
    policy = access.disclosure(viewer)

    def context() -> dict:
        sexes = ("all", "w", "m") if glossary.PERSON_BASED[figure] else ("all",)
        provisional = {m for m, x in states.states_by_month(st, jc, figure, "all", last=month).items() if x.provisional}
        hist_key = tuple(
            (s, tuple((r["month"], dc.api_value(r["value"]), r["month"] in provisional) for r in h))
            for s in sexes
            for h in [suppressed_history(st, jc, figure, s, policy, last=month)]
        )
        chart = Markup(charts.history(id(st), jc, figure, month, hist_key))
        fam = [
            {
                "figure": f,
                "title": glossary.TITLES[f],
                "value": (dc.suppress_value(st.value(jc, f, month, "all"), _policy(f, policy)) or {}).get("value"),
            }
            for f in family(figure)
            if f in st.available_figures()
        ]
        units = st.has_caseload and glossary.PERSON_BASED[figure]
        return dict(
            jc=jc,
            month=month,
            sex=sex,
            figure=figure,
            chart=chart,
            explanation=glossary.EXPLANATIONS[figure],
            family=fam,
            current={s: dc.suppress_value(st.value(jc, figure, month, s), _policy(figure, policy)) for s in sexes},
            current_state={s: _state(st, jc, figure, month, s, policy) for s in sexes},
            month_state=states.of_month(st, jc, month),
            provisional_months=len(provisional),
            history=history_table(st, jc, figure, month, sex, policy),
            parts=parts_table(st, jc, figure, month, sex, viewer),
            units=units,
            unit_kind="office",
            unit_table=unit_table(st, jc, figure, month, sex, "office", policy) if units else None,
        )

    # the same page for every user of a role and suppression policy (person links depend on the
    # role only; a team lead's own team is not suppressed, so the policy is part of the key)
    return render_shared(request, "figure.html", viewer, (figure, jc, month, sex, policy.key), context)


@router.get("/kennzahl/{figure}/einheiten", name="figure_units")
def figure_units(
    request: Request,
    figure: str,
    kind: str = "office",
    jc: str | None = None,
    month: str | None = None,
    sex: str | None = None,
    viewer: Viewer = Depends(needs(access.FIGURES)),
):
    """The office/team breakdown as an HTML fragment (HTMX swaps it into the Kennzahl page)."""
    st, figure, jc, month, sex = _args(request, figure, jc, month, sex)
    if kind not in UNIT_KINDS:
        raise HTTPException(404, "Unbekannte Aufschlüsselung (office oder team).")
    return render(
        request,
        "_units.html",
        viewer,
        jc=jc,
        month=month,
        sex=sex,
        figure=figure,
        unit_kind=kind,
        unit_table=unit_table(st, jc, figure, month, sex, kind, access.disclosure(viewer)),
        fragment=True,  # with the toggle buttons out of band: aria-pressed follows the choice
        q=f"jc={jc}&month={month}&sex={sex}",
    )


@router.get("/kennzahl/{figure}/{table}.{fmt}", name="figure_download")
def figure_download(
    request: Request,
    figure: str,
    table: str,
    fmt: str,
    jc: str | None = None,
    month: str | None = None,
    sex: str | None = None,
    kind: str = "office",
    viewer: Viewer = Depends(needs(access.FIGURES)),
):
    st, figure, jc, month, sex = _args(request, figure, jc, month, sex)
    if table == "zeitreihe":
        return download(history_table(st, jc, figure, month, sex, access.disclosure(viewer)), fmt)
    if table == "bausteine":
        return download(parts_table(st, jc, figure, month, sex, viewer), fmt)
    if table == "einheiten" and kind in UNIT_KINDS and st.has_caseload:
        return download(unit_table(st, jc, figure, month, sex, kind, access.disclosure(viewer)), fmt)
    raise HTTPException(404, "Unbekannte Tabelle.")
