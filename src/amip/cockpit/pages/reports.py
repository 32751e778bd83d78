"""Berichte: download the Arbeitsmarkt- und Integrationsprogramm (PDF, HTML, XLSX) for a year and
the monthly controlling report for a month; edit the programme's chapter texts (Markdown with
placeholders) with capability REPORT_TEXTS, with a preview filled with the year's figures. Every
text change is audited. Downloads hold aggregates only (capability STEERING).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from amip import format as fmt
from amip.cockpit import access
from amip.cockpit.auth import Viewer, csrf_form, needs
from amip.cockpit.context import state, store
from amip.cockpit.params import pick_jobcenter, pick_month
from amip.cockpit.render import render
from amip.reports import texts as tx
from amip.state import audit

router = APIRouter()
MEDIA = {
    "pdf": "application/pdf",
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def programme_years(st) -> list[int]:
    """Years Y whose previous year is completely in the figures (the programme's Ist)."""
    months = set(st.months)
    years = sorted({int(m[:4]) for m in st.months})
    return [y + 1 for y in years if all(f"{y}-{k:02d}" in months for k in range(1, 13))]


def _pick_year(st, year: str | None) -> int:
    years = programme_years(st)
    if not years:
        raise HTTPException(404, "Die Daten enthalten kein vollständiges Jahr.")
    if year is None or year == "":
        return years[-1]
    if not str(year).isdigit() or int(year) not in years:
        raise HTTPException(404, "Für dieses Jahr kann kein Programm erstellt werden.")
    return int(year)


def _pick_chapter(chapter: str | None) -> str:
    if chapter not in tx.CHAPTER_KEYS:
        raise HTTPException(404, "Unbekanntes Kapitel.")
    return chapter


def _collect(request: Request, year: int, jc: str):
    from amip.reports import programme

    st = store(request)
    with state(request).begin() as db:
        try:
            p = programme.collect(st.warehouse, year, jc, store=st, db=db)
        except programme.ProgrammeError as exc:
            raise HTTPException(404, str(exc)) from None
        chapter_texts = tx.texts_for(db, year, jc)
    return p, chapter_texts


@router.get("/berichte", name="reports")
def reports_page(
    request: Request,
    jc: str | None = None,
    year: str | None = None,
    month: str | None = None,
    viewer: Viewer = Depends(needs(access.STEERING)),
):
    st = store(request)
    jc, y, m = pick_jobcenter(st, jc), _pick_year(st, year), pick_month(st, month)
    with state(request).begin() as db:
        stored = tx.stored_texts(db, y, jc)
        chapters = [
            {
                "key": k,
                "title": t.format(jobcenter=st.jobcenter_short_name(jc)),
                "edited": k in stored,
                "by": stored[k].updated_by if k in stored else None,
                "at": fmt.time_de(stored[k].updated_at, short=True) if k in stored else None,
            }
            for k, t in tx.CHAPTERS
        ]
    return render(
        request,
        "reports.html",
        viewer,
        jc=jc,
        year=y,
        years=programme_years(st),
        month=m,
        months=list(reversed(st.months)),
        chapters=chapters,
        may_edit=access.may(viewer.role, access.REPORT_TEXTS),
    )


@router.get("/berichte/programm.{fmt}", name="reports_programme")
def programme_download(
    request: Request,
    fmt: str,
    jc: str | None = None,
    year: str | None = None,
    viewer: Viewer = Depends(needs(access.STEERING)),
):
    if fmt not in MEDIA:
        raise HTTPException(404, "Unbekanntes Format (pdf, html, xlsx).")
    from amip.reports import render as rr

    st = store(request)
    jc, y = pick_jobcenter(st, jc), _pick_year(st, year)
    p, chapter_texts = _collect(request, y, jc)
    try:  # a problem in a stored chapter text is a visible note in the document, never an error page
        data = rr.programme_bytes(p, chapter_texts, f".{fmt}", strict=False)
    except tx.TextError as exc:
        raise HTTPException(400, str(exc)) from None
    name = f"AMIP_{y}_{jc}.{fmt}"
    return Response(data, media_type=MEDIA[fmt], headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/berichte/monatsbericht.{fmt}", name="reports_monthly")
def monthly_download(
    request: Request,
    fmt: str,
    jc: str | None = None,
    month: str | None = None,
    viewer: Viewer = Depends(needs(access.STEERING)),
):
    if fmt not in MEDIA:
        raise HTTPException(404, "Unbekanntes Format (pdf, html, xlsx).")
    from amip.reports import monthly
    from amip.reports import render as rr
    from amip.reports.programme import ProgrammeError

    st = store(request)
    jc, m = pick_jobcenter(st, jc), pick_month(st, month)
    with state(request).begin() as db:
        try:
            rep = monthly.collect(st.warehouse, m, jc, store=st, db=db)
        except ProgrammeError as exc:
            raise HTTPException(404, str(exc)) from None
    data = rr.monthly_bytes(rep, f".{fmt}")
    name = f"Controllingbericht_{m}_{jc}.{fmt}"
    return Response(data, media_type=MEDIA[fmt], headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/berichte/text", name="reports_text")
def text_page(
    request: Request,
    chapter: str | None = None,
    jc: str | None = None,
    year: str | None = None,
    viewer: Viewer = Depends(needs(access.REPORT_TEXTS)),
):
    st = store(request)
    jc, y, chapter = pick_jobcenter(st, jc), _pick_year(st, year), _pick_chapter(chapter)
    return _text_view(request, viewer, jc, y, chapter)


def _text_view(
    request: Request,
    viewer: Viewer,
    jc: str,
    y: int,
    chapter: str,
    draft: str | None = None,
    error: str | None = None,
    status_code: int = 200,
):
    from amip.reports import render as rr

    p, chapter_texts = _collect(request, y, jc)
    markdown = draft if draft is not None else chapter_texts[chapter]
    preview = None
    if error is None:  # a stored text with problems (an old text): named above, notes in the preview
        found = tx.problems(chapter, markdown)
        if found:
            error = (
                f"Kapitel „{chapter}“: Der gespeicherte Text hat Fehler: "
                + "; ".join(found[:5])
                + ". Bitte korrigieren oder auf den Standardtext zurücksetzen."
            )
        tables = {n: str(t.html()) for n, t in p.tables.items()}
        charts_ = {n: str(rr.chart_html(s, p.chart_titles.get(n, n))) for n, s in p.charts.items()}
        try:
            preview = Markup(tx.render_markdown(chapter, markdown, p.context, tables, charts_, strict=False))
        except tx.TextError as exc:
            error = str(exc)
    title = dict(tx.CHAPTERS)[chapter].format(jobcenter=p.jobcenter_name)
    resp = render(
        request,
        "reports_text.html",
        viewer,
        jc=jc,
        year=y,
        chapter=chapter,
        title=title,
        markdown=markdown,
        preview=preview,
        error=error,
        placeholders=sorted(tx.PLACEHOLDERS),
        tables=sorted(tx.TABLES),
        charts=sorted(tx.CHARTS),
        max_text=tx.MAX_TEXT,
    )
    resp.status_code = status_code
    return resp


@router.post("/berichte/text", name="reports_text_save")
def text_save(request: Request, viewer: Viewer = Depends(needs(access.REPORT_TEXTS)), form: dict = Depends(csrf_form)):
    st = store(request)
    jc = pick_jobcenter(st, str(form.get("jc", "")) or None)
    y = _pick_year(st, str(form.get("year", "")))
    chapter = _pick_chapter(str(form.get("chapter", "")))
    action = str(form.get("action", "save"))
    if action == "reset":
        with state(request).begin() as db:
            if tx.reset_text(db, y, jc, chapter):
                audit.record(
                    db,
                    user_name=viewer.name,
                    role=viewer.role,
                    action="report_text_reset",
                    detail=f"{y} {jc} {chapter}",
                )
        return RedirectResponse(f"/berichte/text?jc={jc}&year={y}&chapter={chapter}", status_code=303)
    markdown = str(form.get("markdown", "")).replace("\r\n", "\n")
    try:  # names, conditions, control characters, length (tx.MAX_TEXT)
        markdown = tx.check_syntax(chapter, markdown)
    except tx.TextError as exc:
        return _text_view(
            request, viewer, jc, y, chapter, draft=markdown[: tx.MAX_TEXT + 1000], error=str(exc), status_code=400
        )
    with state(request).begin() as db:
        tx.save_text(db, y, jc, chapter, markdown, viewer.name)
        audit.record(
            db, user_name=viewer.name, role=viewer.role, action="report_text_edit", detail=f"{y} {jc} {chapter}"
        )
    return RedirectResponse(f"/berichte/text?jc={jc}&year={y}&chapter={chapter}", status_code=303)
