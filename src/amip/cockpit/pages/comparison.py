"""Vergleich: when the warehouse holds several job centers, a ranking of each figure with the
selected job center's position, and a scoreboard marking the top, middle and bottom third
(favourable direction per figure from the glossary: a falling LZB stock ranks high)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from amip.cockpit import access
from amip.cockpit.auth import Viewer, needs
from amip.cockpit.context import store
from amip.cockpit.params import pick_figure, pick_jobcenter, pick_month, pick_sex
from amip.cockpit.render import render
from amip.cockpit.tables import Column, DataTable, download
from amip.figures import glossary

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
        caption=f"Rangliste {figure}, {month}, {glossary.SEXES[sex]}",
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
        caption=f"Position von {st.jobcenter_name(jc)} je Kennzahl, {month}, {glossary.SEXES[sex]}",
    )


@router.get("/vergleich", name="comparison")
def comparison(
    request: Request,
    jc: str | None = None,
    month: str | None = None,
    sex: str | None = None,
    figure: str = "K2",
    viewer: Viewer = Depends(needs(access.FIGURES)),
):
    st = store(request)
    jc, month, sex, figure = pick_jobcenter(st, jc), pick_month(st, month), pick_sex(sex), pick_figure(st, figure)
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


@router.get("/vergleich/{table}.{fmt}", name="comparison_download")
def comparison_download(
    request: Request,
    table: str,
    fmt: str,
    jc: str | None = None,
    month: str | None = None,
    sex: str | None = None,
    figure: str = "K2",
    viewer: Viewer = Depends(needs(access.FIGURES)),
):
    st = store(request)
    jc, month, sex, figure = pick_jobcenter(st, jc), pick_month(st, month), pick_sex(sex), pick_figure(st, figure)
    if table == "rangliste":
        return download(ranking_table(st, figure, month, sex), fmt)
    if table == "scoreboard":
        return download(scoreboard_table(st, jc, month, sex), fmt)
    from fastapi import HTTPException

    raise HTTPException(404, "Unbekannte Tabelle.")
