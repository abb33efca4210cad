"""Pages of outcomes and impact (Italian first, ``?lang=en``): indicators per dimension (``/esiti``), one course's
indicators (``/esiti/corsi/{id}``), the Cabina di regia view of outcomes beside the pacts' (``/esiti/cabina``),
the impact evaluation (``/esiti/impatto``) and its report (HTML and PDF). Aggregates only: no page shows a
person-level record. Access: ``outcomes`` (Region staff and analysts; Funds their own figures) and ``impact``
(Region staff and analysts)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from regia.auth.errors import NotFound
from regia.auth.policy import READ, Resource, require
from regia.auth.principal import Principal
from regia.certification import service as certification
from regia.db import request_session
from regia.i18n import N_, gettext
from regia.monitoring import codes, impact, indicators, report, service

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
NAV = [("outcomes", "monitoring_indicators_page", N_("nav.outcomes"))]

router = APIRouter(prefix="/esiti")
OutcomesReader = Annotated[Principal, Depends(require(READ, Resource.OUTCOMES))]
ImpactReader = Annotated[Principal, Depends(require(READ, Resource.IMPACT))]
SessionDep = Annotated[Session, Depends(request_session)]
PAGE_METHODS = ("psm", "ipw", "did", "cs")


def _lang(request: Request) -> str:
    return getattr(request.state, "lang", "it")


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    return request.app.state.templates.TemplateResponse(
        request, f"monitoring/{name}", {"nav": "outcomes", **context}, status_code=status_code)


def _rows(table: indicators.Table, lang: str) -> list[dict[str, Any]]:
    return [{"key": r.key, "label": r.label, "figures": indicators.formatted(r, lang), "row": r} for r in table.rows]


@router.get("", response_class=HTMLResponse, name="monitoring_indicators_page")
def indicators_page(request: Request, session: SessionDep, principal: OutcomesReader,
                    by: str = Query("programme", pattern="^(" + "|".join(indicators.DIMENSIONS) + ")$")) -> Response:
    engine = request.app.state.engine
    lang = _lang(request)
    funds = service.fund_names(session, principal)
    table = indicators.compute(engine, service.dataset(engine), by=by, funds=funds, lang=lang)
    return render(request, "indicators.html", {
        "by": by, "dimensions": [(d, indicators.DIMENSION_LABELS[d]) for d in indicators.DIMENSIONS],
        "table": table, "rows": _rows(table, lang), "total": indicators.formatted(table.total, lang),
        "columns": [indicators.HEADER_KEYS[c] for c in indicators.COLUMNS], "limited": funds is not None,
        "sees_impact": service.may_see_impact(principal)})


@router.get("/corsi/{course_id}", response_class=HTMLResponse, name="monitoring_course_page")
def course_page(request: Request, session: SessionDep, principal: OutcomesReader, course_id: int) -> Response:
    from regia.catalog import service as catalog

    engine = request.app.state.engine
    lang = _lang(request)
    facts = catalog.course_facts(engine, [course_id]).get(course_id)
    if facts is None:
        raise NotFound(f"no course {course_id}")
    funds = service.fund_names(session, principal)
    ds = service.dataset(engine)
    overall = indicators.compute(engine, ds, by="funding", funds=funds, course_id=course_id, lang=lang)
    by_target = indicators.compute(engine, ds, by="target_group", funds=funds, course_id=course_id, lang=lang)
    certified = [row for row in certification.certifications_per_course_and_fund(engine, course_id=course_id)
                 if funds is None or row["issuer"] in funds]  # a Fund sees its own certifications only
    return render(request, "course.html", {
        "certified": certified,
        "course": facts, "table": overall, "total": indicators.formatted(overall.total, lang),
        "rows": _rows(by_target, lang), "columns": [indicators.HEADER_KEYS[c] for c in indicators.COLUMNS],
        "sees_impact": service.may_see_impact(principal)})


@router.get("/cabina", response_class=HTMLResponse, name="monitoring_cabina_page")
def cabina_page(request: Request, session: SessionDep, principal: OutcomesReader) -> Response:
    engine = request.app.state.engine
    lang = _lang(request)
    funds = service.fund_names(session, principal)
    ds = service.dataset(engine)
    provinces = indicators.compute(engine, ds, by="province", funds=funds, lang=lang)
    programmes = indicators.compute(engine, ds, by="programme", funds=funds, lang=lang)
    shares = {r.key: {"rate": r.employed_12m_rate, "n": r.participants, "label": r.label} for r in provinces.rows}
    return render(request, "cabina.html", {
        "provinces": _rows(provinces, lang), "programmes": _rows(programmes, lang), "table": programmes,
        "total": indicators.formatted(programmes.total, lang), "shares": service.jsonable(shares),
        "columns": [indicators.HEADER_KEYS[c] for c in indicators.COLUMNS],
        "geojson_url": str(request.app.url_path_for("provinces_geojson")) + "?region=ITC4"})


def _estimates(request: Request, outcome: str, methods: list[str], programme: str | None
               ) -> tuple[list[impact.Estimate], str | None]:
    engine = request.app.state.engine
    chosen = ["naive", *[m for m in PAGE_METHODS if m in methods]]
    try:
        return [service.estimate(engine, outcome=outcome, method=m, programme=programme) for m in chosen], None
    except impact.ImpactError as exc:
        return [], gettext(exc.key, _lang(request), **exc.params)


def _query(outcome: str, methods: list[str], programme: str | None) -> str:
    from urllib.parse import urlencode

    return urlencode([("outcome", outcome), *[("method", m) for m in methods], ("programme", programme or "")])


OutcomeQuery = Query("employed_12m", pattern="^(" + "|".join(impact.OUTCOMES) + ")$")
MethodQuery = Query([], description="psm, ipw, did, cs (the naive difference is always shown, labelled)")
ProgrammeQuery = Query(None, max_length=120)


@router.get("/impatto", response_class=HTMLResponse, name="monitoring_impact_page")
def impact_page(request: Request, principal: ImpactReader, outcome: str = OutcomeQuery,
                method: list[str] = MethodQuery, programme: str | None = ProgrammeQuery) -> Response:
    engine = request.app.state.engine
    lang = _lang(request)
    methods = [m for m in method if m in PAGE_METHODS]
    programme = programme or None
    estimates, error = _estimates(request, outcome, methods, programme) if methods else ([], None)
    rep = report.build(estimates, service.dataset(engine), lang=lang, programme=programme) if estimates else None
    return render(request, "impact.html", {
        "outcome": outcome, "methods": methods, "programme": programme or "",
        "outcomes": [(k, impact.OUTCOME_LABELS[k]) for k in impact.OUTCOMES],
        "all_methods": [(m, impact.METHOD_LABELS[m]) for m in PAGE_METHODS],
        "programmes": service.programmes(engine), "estimates": estimates, "error": error, "report": rep,
        "value": lambda v: report.value(v, outcome, lang),
        "spec": report.chart_spec(rep.study, lang=lang, outcome=outcome) if rep else None,
        "query": _query(outcome, methods, programme), "labels": {**codes.TARGET_LABELS, **codes.SEX_LABELS,
                                                                 **codes.CITIZENSHIP_LABELS, **codes.AGE_BAND_LABELS},
        "covariates": impact.COVARIATE_LABELS})


@router.get("/impatto/rapporto", response_class=HTMLResponse, name="monitoring_report_page")
def report_page(request: Request, principal: ImpactReader, outcome: str = OutcomeQuery,
                method: list[str] = MethodQuery, programme: str | None = ProgrammeQuery) -> Response:
    lang = _lang(request)
    methods = [m for m in method if m in PAGE_METHODS] or ["psm", "did"]
    estimates, error = _estimates(request, outcome, methods, programme or None)
    rep = report.build(estimates, service.dataset(request.app.state.engine), lang=lang,
                       programme=programme or None) if estimates else None
    return render(request, "report.html", {
        "report": rep, "error": error, "query": _query(outcome, methods, programme),
        "spec": report.chart_spec(rep.study, lang=lang, outcome=outcome) if rep else None},
        status_code=200 if rep else 422)


@router.get("/impatto/rapporto.pdf", name="monitoring_report_pdf", response_class=Response)
def report_pdf(request: Request, principal: ImpactReader, outcome: str = OutcomeQuery,
               method: list[str] = MethodQuery, programme: str | None = ProgrammeQuery) -> Response:
    lang = _lang(request)
    methods = [m for m in method if m in PAGE_METHODS] or ["psm", "did"]
    estimates, error = _estimates(request, outcome, methods, programme or None)
    if not estimates:
        return Response(error or "", status_code=422, media_type="text/plain; charset=utf-8")
    rep = report.build(estimates, service.dataset(request.app.state.engine), lang=lang, programme=programme or None)
    return Response(report.pdf(rep, lang=lang), media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="rapporto-impatto-{outcome}.pdf"'})
