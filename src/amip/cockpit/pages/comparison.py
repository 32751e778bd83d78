"""Vergleich.

With published figures beside the warehouse (``amip published import``): the job center's own
values (from its microdata) among the members of its Vergleichstyp (published): a scoreboard of
every figure (rank, tercile, quartile, the type's median and spread, Land, Germany), the members of
the type for one figure, the figure by sex, the gap to the type median over time (chart with a
table as its text alternative) and the nearest neighbours with their caveat (amip.comparison).

Without them, when the warehouse holds several job centers: a ranking of each figure with the
selected job center's position, and a scoreboard marking the top, middle and bottom third
(favourable direction per figure from the glossary: a falling LZB stock ranks high)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from markupsafe import Markup

from amip import disclosure as dc
from amip import format as fmt
from amip.cockpit import access
from amip.cockpit.auth import Viewer, needs
from amip.cockpit.context import store
from amip.cockpit.params import pick_figure, pick_jobcenter, pick_month, pick_sex
from amip.cockpit.render import render
from amip.cockpit.tables import Column, DataTable, download
from amip.comparison import compare as cmp
from amip.figures import charts, glossary
from amip.published.store import Published, load_published

router = APIRouter()
THIRDS: dict[str | None, str] = {"oben": "oberes Drittel", "mitte": "mittleres Drittel", "unten": "unteres Drittel"}


def ranking_table(st, figure: str, month: str, sex: str) -> DataTable:
    t = st.ranking(figure, month, sex, higher_is_better=glossary.EXPLANATIONS[figure].higher_is_better)
    rows = t.to_dict("records")
    for r in rows:
        r["third_label"] = THIRDS.get(r["third"], "–")
        r["name"] = st.jobcenter_name(r["jobcenter_id"])
    cols = [
        Column("rank", "Rang", "count"),
        Column("name", "Jobcenter"),
        Column("jobcenter_id", "Kennung"),
        Column("value", "Wert", "percent"),
        Column("numerator", "Zähler", "count", 1),
        Column("denominator", "Nenner", "count", 1),
        Column("third_label", "Drittel"),
    ]
    return DataTable(
        f"Rangliste {figure}",
        cols,
        rows,
        f"rangliste_{figure}_{month}_{sex}",
        caption=f"Rangliste {figure}, {fmt.month(month)}, {glossary.SEXES[sex]}",
    )


def scoreboard_table(st, jc: str, month: str, sex: str) -> DataTable:
    rows = []
    for fig in st.available_figures():
        if sex != "all" and not glossary.PERSON_BASED[fig]:
            continue
        t = st.ranking(fig, month, sex, higher_is_better=glossary.EXPLANATIONS[fig].higher_is_better)
        mine = t[t["jobcenter_id"] == jc]
        known = int(t["value"].notna().sum())
        r = mine.iloc[0] if len(mine) else None
        rows.append(
            {
                "figure": fig,
                "title": glossary.TITLES[fig],
                "value": None if r is None else r["value"],
                "rank": None if r is None else r["rank"],
                "of": known,
                "third": None if r is None else r["third"],
                "third_label": THIRDS.get(None if r is None else r["third"], "–"),
            }
        )
    cols = [
        Column("figure", "Kennzahl"),
        Column("title", "Bezeichnung"),
        Column("value", "Wert", "percent"),
        Column("rank", "Rang", "count"),
        Column("of", "von", "count"),
        Column("third_label", "Drittel"),
    ]
    links = {
        (i, "figure"): f"/vergleich?jc={jc}&month={month}&sex={sex}&figure={r['figure']}" for i, r in enumerate(rows)
    }
    return DataTable(
        f"Scoreboard {jc}",
        cols,
        rows,
        f"scoreboard_{jc}_{month}_{sex}",
        links,
        caption=f"Position von {st.jobcenter_name(jc)} je Kennzahl, {fmt.month(month)}, {glossary.SEXES[sex]}",
    )


# ---- against the published figures -----------------------------------------------------------------

QUARTILES = {1: "1. Viertel", 2: "2. Viertel", 3: "3. Viertel", 4: "4. Viertel"}
SOURCE_LABELS = {cmp.OWN: "eigene Daten (amip)", cmp.PUBLISHED: "veröffentlicht"}


def published_months(st, pub: Published) -> list[str]:
    """The months the page offers: those with published figures."""
    return list(pub.months)


def pick_published_month(st, pub: Published, month: str | None) -> str:
    months = published_months(st, pub)
    if not months:
        raise HTTPException(404, "Die veröffentlichten Kennzahlen enthalten keine Monate.")
    if month is None or month == "":
        within = [m for m in months if st.latest is None or m <= st.latest]
        return (within or months)[-1]
    if month not in months:
        raise HTTPException(404, "Für diesen Monat liegen keine veröffentlichten Kennzahlen vor.")
    return month


def _own_policy(figure: str, policy: dc.Policy) -> dc.Policy:
    """Small-number suppression applies to amip's own person-based counts only (published figures
    of other job centers are published)."""
    return policy if glossary.PERSON_BASED[figure] else dc.SHOW_ALL


def _suppressed(p: cmp.Position, policy: dc.Policy) -> bool:
    """The own value may not be shown to this viewer (and so neither its rank nor its gap)."""
    if p.source != cmp.OWN:
        return False
    v = dc.suppress_value(
        {"numerator": p.numerator, "denominator": p.denominator, "value": p.value}, _own_policy(p.figure, policy)
    )
    return v is not None and dc.is_suppressed(v["value"])


def _position_row(p: cmp.Position, policy: dc.Policy) -> dict:
    hidden = _suppressed(p, policy)
    star = dc.SUPPRESSED
    return {
        "figure": p.figure,
        "title": glossary.TITLES[p.figure],
        "sex": glossary.SEXES[p.sex],
        "value": star if hidden else p.value,
        "source": SOURCE_LABELS.get(p.source or "", "–"),
        "rank": star if hidden else p.rank,
        "of": p.of,
        "tercile": star if hidden else THIRDS_BY_GROUP.get(p.tercile or 0, "–"),
        "quartile": star if hidden else QUARTILES.get(p.quartile or 0, "–"),
        "median": p.type_stats["median"],
        "q1": p.type_stats["q1"],
        "q3": p.type_stats["q3"],
        "gap": star if hidden else p.gap,
        "land": p.land_stats["median"],
        "germany": p.germany_stats["median"],
    }


THIRDS_BY_GROUP = {1: "oberes Drittel", 2: "mittleres Drittel", 3: "unteres Drittel"}
POSITION_COLUMNS = [
    Column("value", "Wert", "percent"),
    Column("source", "Quelle"),
    Column("rank", "Rang", "count"),
    Column("of", "von", "count"),
    Column("tercile", "Drittel"),
    Column("quartile", "Quartil"),
    Column("median", "Median Typ", "percent"),
    Column("q1", "1. Quartil Typ", "percent"),
    Column("q3", "3. Quartil Typ", "percent"),
    Column("gap", "Abstand zum Median (Pp.)", "amount", 1),
    Column("land", "Median Land", "percent"),
    Column("germany", "Median Deutschland", "percent"),
]


def published_scoreboard(st, pub, info, jc, month, sex, policy) -> DataTable:
    rows = []
    for fig in st.available_figures():
        if sex != "all" and not glossary.PERSON_BASED[fig]:
            continue
        p, _ = cmp.position(st, pub, info, jc, fig, month, sex)
        rows.append(_position_row(p, policy))
    name = cmp.describe(info, jc).name
    links = {
        (i, "figure"): f"/vergleich?jc={jc}&month={month}&sex={sex}&figure={r['figure']}#typ-h"
        for i, r in enumerate(rows)
    }
    return DataTable(
        f"Vergleichstyp {name}",
        [Column("figure", "Kennzahl"), Column("title", "Bezeichnung"), *POSITION_COLUMNS],
        rows,
        f"vergleichstyp_{jc}_{month}_{sex}",
        links,
        caption=f"{name} im Vergleichstyp {cmp.describe(info, jc).vergleichstyp or '–'}, {month_label(month)}, "
        f"{glossary.SEXES[sex]}",
    )


def by_sex_table(st, pub, info, jc, figure, month, policy) -> DataTable:
    sexes = ("all", "w", "m") if glossary.PERSON_BASED[figure] else ("all",)
    rows = [_position_row(cmp.position(st, pub, info, jc, figure, month, s)[0], policy) for s in sexes]
    return DataTable(
        f"{figure} nach Geschlecht",
        [Column("sex", "Gruppe"), *POSITION_COLUMNS],
        rows,
        f"vergleichstyp_{figure}_{jc}_{month}_geschlecht",
        caption=f"{figure} nach Geschlecht, {month_label(month)}",
    )


def members_table(st, pub, info, jc, figure, month, sex, policy) -> DataTable:
    _p, ranked = cmp.position(st, pub, info, jc, figure, month, sex)
    rows = ranked.to_dict("records")
    own_policy = _own_policy(figure, policy)
    for r in rows:
        r["tercile_label"] = THIRDS_BY_GROUP.get(_group(r["tercile"]), "–")
        r["quartile_label"] = QUARTILES.get(_group(r["quartile"]), "–")
        r["source_label"] = SOURCE_LABELS.get(r["source"] or "", "–")
        if r["source"] == cmp.OWN:
            shown = dc.suppress_value(r, own_policy) or r
            if dc.is_suppressed(shown["value"]):
                for k in ("numerator", "denominator", "value", "rank", "tercile_label", "quartile_label"):
                    r[k] = dc.SUPPRESSED
            else:
                r.update({k: shown[k] for k in ("numerator", "denominator")})
    return DataTable(
        f"{figure} im Vergleichstyp",
        [
            Column("rank", "Rang", "count"),
            Column("name", "Jobcenter"),
            Column("value", "Wert", "percent"),
            Column("source_label", "Quelle"),
            Column("numerator", "Zähler", "count", 1),
            Column("denominator", "Nenner", "count", 1),
            Column("tercile_label", "Drittel"),
            Column("quartile_label", "Quartil"),
        ],
        rows,
        f"vergleichstyp_{figure}_{jc}_{month}_{sex}",
        caption=f"{figure} im Vergleichstyp {cmp.describe(info, jc).vergleichstyp or '–'}, {month_label(month)}, "
        f"{glossary.SEXES[sex]}; Rang 1 = günstigster Wert",
    )


def _group(v) -> int:
    try:
        return int(v)
    except (TypeError, ValueError):
        return 0


def gap_table(st, pub, info, jc, figure, month, sex, policy) -> DataTable:
    t = cmp.gap_series(st, pub, info, jc, figure, sex, last=month)
    rows = []
    own_policy = _own_policy(figure, policy)
    for r in t.to_dict("records"):
        row = {
            "month": r["month"],
            "value": r["value"],
            "source": SOURCE_LABELS.get(r["source"] or "", "–"),
            "median": r["median"],
            "gap": r["gap"],
        }
        if r["source"] == cmp.OWN and own_policy.suppress:
            own = st.value(jc, figure, r["month"], sex)
            shown = dc.suppress_value(own, own_policy) if own else None
            if shown is not None and dc.is_suppressed(shown["value"]):
                row["value"] = row["gap"] = dc.SUPPRESSED
        rows.append(row)
    return DataTable(
        f"{figure} Abstand zum Median",
        [
            Column("month", "Monat", "month"),
            Column("value", "Wert Jobcenter", "percent"),
            Column("source", "Quelle"),
            Column("median", "Median Vergleichstyp", "percent"),
            Column("gap", "Abstand (Pp.)", "amount", 1),
        ],
        rows,
        f"abstand_{figure}_{jc}_{sex}",
        caption=f"{figure}: Abstand zum Median des Vergleichstyps bis {month_label(month)}, {glossary.SEXES[sex]}",
    )


def neighbours_table(st, pub, info, jc, month) -> DataTable:
    nb = cmp.neighbours(st, pub, info, jc, month)
    rows = nb.to_dict("records")
    for r in rows:
        r["same"] = "ja" if r["same_type"] else "nein"
    return DataTable(
        "Nächste Nachbarn",
        [
            Column("name", "Jobcenter"),
            Column("vergleichstyp", "Vergleichstyp"),
            Column("same", "gleicher Typ"),
            Column("distance", "Abstand (z-Werte)", "amount", 2),
            Column("elb_level", cmp.NEIGHBOUR_FEATURES["elb_level"], "amount", 2),
            Column("elb_trend", cmp.NEIGHBOUR_FEATURES["elb_trend"], "percent"),
            Column("lzb_share", cmp.NEIGHBOUR_FEATURES["lzb_share"], "percent"),
            Column("single_parent_share", cmp.NEIGHBOUR_FEATURES["single_parent_share"], "percent"),
        ],
        rows,
        f"nachbarn_{jc}_{month}",
        caption=f"Die {len(rows)} nächsten Nachbarn von {cmp.describe(info, jc).name}, {month_label(month)}",
    )


def month_label(month: str) -> str:
    return fmt.month(month)


def _published_context(st, pub, jc, month, sex, figure, policy) -> dict:
    info = cmp.jobcenter_info(pub, st)
    me = cmp.describe(info, jc)
    gaps = gap_table(st, pub, info, jc, figure, month, sex, policy)
    key = tuple(
        (r["month"], float(r["gap"]))
        for r in gaps.rows
        if r["gap"] is not None and not dc.is_suppressed(r["gap"]) and r["gap"] == r["gap"]
    )
    chart = (
        Markup(
            charts.gap(
                f"{figure}: Abstand zum Median des Vergleichstyps ({glossary.SEXES[sex]})",
                glossary.EXPLANATIONS[figure].higher_is_better,
                key,
            )
        )
        if key
        else None
    )
    return {
        "me": me,
        "type_members": len(cmp.members(info, jc)),
        "own_status": cmp.own_status(st, month),
        "publications": pub.publications.to_dict("records"),
        "scoreboard": published_scoreboard(st, pub, info, jc, month, sex, policy),
        "by_sex": by_sex_table(st, pub, info, jc, figure, month, policy),
        "members": members_table(st, pub, info, jc, figure, month, sex, policy),
        "gaps": gaps,
        "chart": chart,
        "neighbours": neighbours_table(st, pub, info, jc, month),
        "caveat": cmp.NEIGHBOUR_CAVEAT,
        "months": published_months(st, pub),
    }


@router.get("/vergleich", name="comparison")
def comparison(
    request: Request,
    jc: str | None = None,
    month: str | None = None,
    sex: str | None = None,
    figure: str = "K2",
    viewer: Viewer = Depends(needs(access.STEERING)),
):
    st = store(request)
    pub = load_published(st.warehouse)
    jc, sex, figure = pick_jobcenter(st, jc), pick_sex(sex), pick_figure(st, figure)
    if pub is not None and len(pub.figures):
        month = pick_published_month(st, pub, month)
        policy = access.disclosure(viewer)
        return render(
            request,
            "comparison_published.html",
            viewer,
            jc=jc,
            month=month,
            sex=sex,
            figure=figure,
            **_published_context(st, pub, jc, month, sex, figure, policy),
        )
    month = pick_month(st, month)
    several = len(st.jobcenters) > 1
    return render(
        request,
        "comparison.html",
        viewer,
        jc=jc,
        month=month,
        sex=sex,
        figure=figure,
        several=several,
        scoreboard=scoreboard_table(st, jc, month, sex) if several else None,
        ranking=ranking_table(st, figure, month, sex) if several else None,
    )


PUBLISHED_TABLES = ("vergleichstyp", "mitglieder", "geschlecht", "abstand", "nachbarn")


@router.get("/vergleich/{table}.{fmt}", name="comparison_download")
def comparison_download(
    request: Request,
    table: str,
    fmt: str,
    jc: str | None = None,
    month: str | None = None,
    sex: str | None = None,
    figure: str = "K2",
    viewer: Viewer = Depends(needs(access.STEERING)),
):
    st = store(request)
    jc, sex, figure = pick_jobcenter(st, jc), pick_sex(sex), pick_figure(st, figure)
    pub = load_published(st.warehouse)
    if table in PUBLISHED_TABLES:
        if pub is None or not len(pub.figures):
            raise HTTPException(404, "Es sind keine veröffentlichten Kennzahlen importiert.")
        month = pick_published_month(st, pub, month)
        info = cmp.jobcenter_info(pub, st)
        policy = access.disclosure(viewer)
        builders = {
            "vergleichstyp": lambda: published_scoreboard(st, pub, info, jc, month, sex, policy),
            "mitglieder": lambda: members_table(st, pub, info, jc, figure, month, sex, policy),
            "geschlecht": lambda: by_sex_table(st, pub, info, jc, figure, month, policy),
            "abstand": lambda: gap_table(st, pub, info, jc, figure, month, sex, policy),
            "nachbarn": lambda: neighbours_table(st, pub, info, jc, month),
        }
        return download(builders[table](), fmt)
    month = pick_month(st, month)
    if table == "rangliste":
        return download(ranking_table(st, figure, month, sex), fmt)
    if table == "scoreboard":
        return download(scoreboard_table(st, jc, month, sex), fmt)
    raise HTTPException(404, "Unbekannte Tabelle.")
