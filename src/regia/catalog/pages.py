"""Pages of the catalogue: search with facets, one course, orientation; on the course page, the form with
which the course's provider (and Region staff) confirm, remove and add the skills taught. (The mismatch
pages are served by ``regia.analytics.mismatch`` with templates kept here, beside the catalogue's.)

Access: reading is public; the skills form is shown, and its post accepted, to whom the policy allows
``can(principal, WRITE, Resource.CATALOG, owner)`` (``regia.auth.policy``). Stable element ids used by the
browser tests: ``#skills-form``, ``#skills-table`` (rows ``tr[data-uri]``), ``#skill-query``,
``#skill-suggestions``, ``#save-skills``, ``#skills-saved``, ``#skills-error``."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from regia.auth.models import OrgType
from regia.auth.policy import READ, WRITE, Resource, can, public, require
from regia.auth.principal import Principal
from regia.catalog import orientation, service
from regia.catalog.models import MODALITIES, TARGETS
from regia.catalog.search import BadQuery, Query
from regia.i18n import N_, gettext

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
NAV = [("catalog", "catalog_search_page", N_("nav.catalog")), ("mismatch", "mismatch_page", N_("nav.mismatch"))]
PAGE_SIZE = 20
# How a course was recognised among its sources (course.html shows _("catalog.match." ~ how)).
MATCH_LABELS = (N_("catalog.match.new"), N_("catalog.match.source_key"), N_("catalog.match.natural_key"),
                N_("catalog.match.fuzzy"))
FACET_ORDER = ("province", "target", "modality", "funding", "hours", "digital", "green")

router = APIRouter(prefix="/catalog")
Reader = Annotated[Principal, Depends(public(READ, "the catalogue is public"))]
Writer = Annotated[Principal, Depends(require(WRITE, Resource.CATALOG))]
MAX_SKILLS = 200  # skill URIs per form field


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    return request.app.state.templates.TemplateResponse(request, f"catalog/{name}", context,
                                                        status_code=status_code)


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@router.get("", response_class=HTMLResponse, name="catalog_search_page")
def search_page(request: Request, principal: Reader) -> Response:
    """Search box, facets (checkboxes with counts) and results; bad parameters are ignored, not refused."""
    params = request.query_params
    q = params.get("q", "").strip()[:200]
    page = max(1, min(int(params.get("page", "1") or 1) if params.get("page", "1").isdigit() else 1, 500))
    query = Query(text=q, provinces=params.getlist("province"),
                  targets=[t for t in params.getlist("target") if t in TARGETS],
                  modalities=[m for m in params.getlist("modality") if m in MODALITIES],
                  funding=[f for f in params.getlist("funding") if f in ("regione", "fse+", "fondo", "impresa")],
                  digital=True if params.get("digital") == "true" else None,
                  green=True if params.get("green") == "true" else None,
                  start_from=_date(params.get("from", "")), start_to=_date(params.get("to", "")),
                  occupation=params.get("occupation") or None, funds=params.getlist("fund")[:5])
    error = None
    try:
        results = service.search(request.app.state.engine, query, page=page, size=PAGE_SIZE)
    except (BadQuery, service.InvalidQuery) as exc:
        error = service.query_message(exc, _lang(request)) if isinstance(exc, service.InvalidQuery) else str(exc)
        query.provinces, query.occupation = [], None
        results = service.search(request.app.state.engine, query, page=1, size=PAGE_SIZE)
    selected = {"province": set(params.getlist("province")), "target": set(query.targets),
                "modality": set(query.modalities), "funding": set(query.funding),
                "digital": {"true"} if query.digital else set(), "green": {"true"} if query.green else set()}
    base = [(k, v) for k, v in params.multi_items() if k not in ("page", "lang")]
    pages = (results.total + PAGE_SIZE - 1) // PAGE_SIZE
    return render(request, "search.html", {
        "nav": "catalog", "q": q, "results": results, "selected": selected, "error": error,
        "facet_order": [f for f in FACET_ORDER if f in results.facets], "page": page, "pages": pages,
        "page_url": lambda n: f"{request.url.path}?{urlencode([*base, ('page', str(n))])}",
        "province_names": _province_names(request), "occupation": params.get("occupation", ""),
        "start_from": params.get("from", ""), "start_to": params.get("to", ""),
        # a Fund's staff: "only my Fund's courses" (the fund facet), and their dashboard
        "my_funds": sorted({g.organisation_name for g in principal.grants
                            if g.organisation_type == OrgType.FUND and g.organisation_name}),
        "funds_selected": set(params.getlist("fund")),
    })


def _province_names(request: Request) -> dict[str, str]:
    from regia.catalog.search import index_for

    return index_for(request.app.state.engine).province_names


def _lang(request: Request) -> str:
    return getattr(request.state, "lang", "it")


def _not_found(request: Request, course_id: int) -> HTTPException:
    return HTTPException(404, detail=gettext("catalog.not_found", _lang(request), id=course_id))


def _may_edit(request: Request, principal: Principal, course_id: int) -> bool:
    """May ``principal`` change this course's skills? (The owner is looked up only for those who may edit some
    course at all.)"""
    if not can(principal, WRITE, Resource.CATALOG):
        return False
    owner = service.course_owner(request.app.state.engine, course_id)
    return owner is not None and can(principal, WRITE, Resource.CATALOG, owner)


def _course_page(request: Request, principal: Principal, course_id: int, *, saved: bool = False,
                 error: str | None = None, status_code: int = 200) -> Response:
    try:
        course = service.course_detail(request.app.state.engine, course_id, lang=_lang(request))
    except service.NotFound:
        raise _not_found(request, course_id) from None
    # QRSP competences the course prepares for: a hook the web app sets (regia.certification.service), so that
    # the catalogue does not import the certification domain
    certifies = getattr(request.app.state, "course_competences", None)
    return render(request, "course.html", {
        "nav": "catalog", "c": course, "editable": _may_edit(request, principal, course_id),
        "certifies": certifies(course_id) if certifies else [],
        "csrf_token": principal.csrf or "", "saved": saved, "error": error}, status_code)


@router.get("/courses/{course_id}", response_class=HTMLResponse, name="catalog_course_page")
def course_page(request: Request, course_id: int, principal: Reader, saved: bool = False) -> Response:
    """One course; its provider's editors (and Region staff) also get the form to confirm its skills."""
    return _course_page(request, principal, course_id, saved=saved)


def _uris(values: list[str] | None) -> list[str]:
    return [v.strip() for v in (values or [])[:MAX_SKILLS] if v.strip()]


@router.post("/courses/{course_id}/skills", response_class=HTMLResponse, name="catalog_course_skills")
def course_skills(
    request: Request, course_id: int, principal: Writer,
    confirm: Annotated[list[str] | None, Form(description="skills taught: the classifier's tags confirmed")] = None,
    remove: Annotated[list[str] | None, Form(description="skills not taught")] = None,
    add: Annotated[list[str] | None, Form(description="skills added, chosen among the suggestions")] = None,
    add_query: Annotated[str, Form(max_length=200, description="a skill's name, when none was chosen")] = "",
) -> Response:
    """Confirm, remove and add the course's skills (its provider's editors, Region staff); back to the course
    page with "Competenze aggiornate." — or the page again with the error (422)."""
    engine = request.app.state.engine
    owner = service.course_owner(engine, course_id)
    if owner is None:
        raise _not_found(request, course_id)
    if not can(principal, WRITE, Resource.CATALOG, owner):
        raise HTTPException(403, detail=gettext("catalog.not_owner", _lang(request)))
    dropped = set(_uris(remove))
    taught = [u for u in _uris(confirm) + _uris(add) if u not in dropped]
    try:
        if add_query.strip() and not _uris(add):  # typed, no suggestion chosen: the best match by name
            taught.append(service.resolve_skill(engine, add_query))
        service.confirm_skills(engine, course_id, confirm=taught, remove=sorted(dropped))
    except service.InvalidQuery as exc:
        return _course_page(request, principal, course_id, error=service.query_message(exc, _lang(request)),
                            status_code=422)
    url = request.scope.get("root_path", "") + request.app.url_path_for("catalog_course_page",
                                                                         course_id=str(course_id))
    return RedirectResponse(f"{url}?saved=1", status_code=303)


@router.get("/skills/suggest", response_class=HTMLResponse, name="catalog_skill_suggestions")
def skill_suggestions(request: Request, _: Reader, course: int | None = None) -> Response:
    """Skills of the taxonomy named like ``q`` (or ``add_query``: the field of the skills form, as htmx sends
    it), as checkboxes for the skills form; the course's own skills are left out."""
    q = (request.query_params.get("q") or request.query_params.get("add_query") or "").strip()[:200]
    found = service.suggest_skills(request.app.state.engine, q, lang=_lang(request), exclude_course=course)
    return render(request, "_skill_suggestions.html", {"q": q, "suggestions": found})


@router.get("/orientation", response_class=HTMLResponse, name="catalog_orientation_page")
def orientation_page(request: Request, principal: Reader, current: str = "", target: str = "", near: str = "",
                     km: float = 50) -> Response:
    plan, error = None, None
    if target.strip() and current.strip():
        try:
            certified = getattr(request.app.state, "certified_skills_of", None)  # the certification domain's hook
            plan = orientation.plan(request.app.state.engine, target=target[:300], current=current[:300],
                                    certified_skills=certified(principal.user_id) if certified else None,
                                    near=near[:100] or None, km=max(1.0, min(km, 500.0)), size=15,
                                    lang=getattr(request.state, "lang", "it"))
        except service.InvalidQuery as exc:
            error = service.query_message(exc, _lang(request))
    return render(request, "orientation.html", {"nav": "catalog", "current": current, "target": target,
                                                "near": near, "km": km, "plan": plan, "error": error})
