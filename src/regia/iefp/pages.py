"""The pages of the iefp domain under ``/iefp`` (Italian first, English with ``?lang=en``):

- ``/iefp`` — the IeFP offer (public): the repertory, the centres and their paths of the school year;
  ``/iefp/figures/{code}`` a figure's versions and competences; ``/iefp/paths/{id}`` a path against local demand;
- ``/iefp/centre`` — a centre's paths, students (with the family's consent) and placements; the student's page
  ``/iefp/centre/students/{id}`` records the places the student would accept, in order, and proposes them;
- ``/iefp/firm`` — a firm publishes places, ranks the candidates the centre proposed, sees the students assigned;
- ``/iefp/region`` — the Region's view: places offered against demand by province and sector (with a map),
  contracts started, outcomes, and the matching runs (with the button that runs one);
- ``/iefp/placements/{id}`` — a placement: the training plan, progress, the outcome.

Forms work without JavaScript (POST, then a redirect back: Post/Redirect/Get).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi import Path as ApiPath
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from regia.auth.errors import Conflict, DomainError, InvalidInput, NotFound
from regia.auth.models import Organisation, OrgType
from regia.auth.policy import (
    CENTRE_STAFF,
    EDITING,
    READ,
    WRITE,
    Resource,
    can,
    may_see_candidate_name,
    public,
    require,
)
from regia.auth.principal import Principal
from regia.clock import rome_today
from regia.db import request_session
from regia.i18n import N_, gettext
from regia.iefp import service
from regia.iefp import students as students_mod
from regia.iefp.api import hiring
from regia.iefp.commute import Commutes
from regia.iefp.fit import WEIGHTS
from regia.iefp.kit import comune_names
from regia.iefp.models import PLACE_KINDS, Centre
from regia.iefp.placements import Side
from regia.iefp.rounds import Unproposed
from regia.iefp.rules import PlanInvalid, bounds
from regia.taxonomy.service import province_features

TEMPLATES_DIR = FilePath(__file__).resolve().parent / "templates"
NAV = [("iefp", "iefp_home_page", N_("nav.iefp"))]
KIND_LABELS = {"alternanza": N_("iefp.kind.alternanza"), "tirocinio": N_("iefp.kind.tirocinio"),
               "apprendistato": N_("iefp.kind.apprendistato")}
STATUS_LABELS = [N_("iefp.status.draft"), N_("iefp.status.published"), N_("iefp.status.closed"),
                 N_("iefp.status.planned"), N_("iefp.status.active"), N_("iefp.status.completed"),
                 N_("iefp.status.withdrawn"), N_("iefp.outcome.qualified"), N_("iefp.outcome.not_qualified"),
                 N_("iefp.outcome.withdrawn"), N_("iefp.figure_kind.qualifica"), N_("iefp.figure_kind.diploma"),
                 N_("iefp.where.work"), N_("iefp.where.centre"), N_("iefp.reason.same_figure"),
                 N_("iefp.reason.shared_skills"), N_("iefp.reason.same_sector"), N_("iefp.reason.none"),
                 N_("iefp.why.empty_list"), N_("iefp.why.not_ranked_by_any"), N_("iefp.why.no_acceptable_place"),
                 N_("iefp.why.outranked"), N_("iefp.why.no_eligible_place"), N_("iefp.why.places_taken"),
                 N_("iefp.refusal.not_ranked_by_place"), N_("iefp.refusal.no_seats"),
                 N_("iefp.refusal.filled_by_preferred"), N_("iefp.mode.deferred_acceptance"),
                 N_("iefp.mode.fit_score"), N_("iefp.consent.parent"), N_("iefp.consent.guardian"),
                 N_("iefp.consent.student")]

# the confirmations a page shows after a redirect (``?done=``)
DONE = {"path": N_("iefp.done.path"), "preferences": N_("iefp.done.preferences"), "consent": N_("iefp.done.consent"),
        "place": N_("iefp.done.place"), "status": N_("iefp.done.status"), "ranking": N_("iefp.done.ranking"),
        "run": N_("iefp.done.run"), "plan": N_("iefp.done.plan"), "progress": N_("iefp.done.progress"),
        "outcome": N_("iefp.done.outcome"), "hiring": N_("iefp.done.hiring")}
MORE_LABELS = [N_("iefp.competence_kind.base"), N_("iefp.competence_kind.common"),
               N_("iefp.competence_kind.specific"), N_("iefp.not_party.centre"), N_("iefp.not_party.firm"),
               N_("iefp.plan.status.draft"), N_("iefp.plan.status.signed"), N_("iefp.hired_source.co"),
               N_("iefp.hired_source.declared")]

SessionDep = Annotated[Session, Depends(request_session)]
Anyone = Annotated[Principal, Depends(public(READ, "the IeFP offer and repertory are public"))]
StudentReader = Annotated[Principal, Depends(require(READ, Resource.IEFP_STUDENT))]
StudentWriter = Annotated[Principal, Depends(require(WRITE, Resource.IEFP_STUDENT))]
OfferWriter = Annotated[Principal, Depends(require(WRITE, Resource.IEFP_OFFER))]
PlaceReader = Annotated[Principal, Depends(require(READ, Resource.IEFP_PLACE))]
PlaceWriter = Annotated[Principal, Depends(require(WRITE, Resource.IEFP_PLACE))]
PlacementReader = Annotated[Principal, Depends(require(READ, Resource.IEFP_PLACEMENT))]
PlacementWriter = Annotated[Principal, Depends(require(WRITE, Resource.IEFP_PLACEMENT))]
SystemReader = Annotated[Principal, Depends(require(READ, Resource.IEFP_SYSTEM))]
SystemWriter = Annotated[Principal, Depends(require(WRITE, Resource.IEFP_SYSTEM))]

PathId = Annotated[int, ApiPath(ge=1, le=2**31 - 1)]
router = APIRouter(prefix="/iefp")


def school_year(today: date | None = None) -> str:
    """The school year of a day: from September."""
    d = today or rome_today()
    start = d.year if d.month >= 9 else d.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


def _year(value: str | None) -> str:
    return value if value and len(value) == 7 and value[4] == "/" else school_year()


def _lang(request: Request) -> str:
    return "en" if getattr(request.state, "lang", "it") == "en" else "it"


def _error(request: Request, exc: DomainError) -> str:
    lang = _lang(request)
    if isinstance(exc, PlanInvalid):
        return "; ".join(i.text(lang) for i in exc.issues)
    if exc.key:
        try:
            return gettext(exc.key, lang, **exc.params)
        except (KeyError, ValueError, TypeError):
            pass
    return gettext(N_("iefp.err.generic"), lang, detail=exc.detail)


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    base = {"kind_labels": KIND_LABELS, "lang": _lang(request)}
    return request.app.state.templates.TemplateResponse(request, f"iefp/{name}", {**base, **context},
                                                        status_code=status_code)


def redirect(request: Request, name: str, query: str = "", **params: Any) -> RedirectResponse:
    target = str(request.app.url_path_for(name, **{k: str(v) for k, v in params.items()}))
    return RedirectResponse(f"{target}?{query}" if query else target, status_code=303)


def _org_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {org_id: name for org_id, name in session.execute(
        select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids)))}


def _own(principal: Principal, org_type: OrgType, roles: tuple[Any, ...] = ()) -> list[int]:
    return sorted(principal.org_ids(*roles, types=(org_type,)))


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: str(v).strip() for k, v in form.items() if isinstance(v, str)}


def _int(value: str, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


REFUSED = (InvalidInput, Conflict, NotFound)


def _apply(request: Request, session: Session, work: Callable[[], Any], *,
           again: Callable[[str, int], Response], then: Callable[[Any], Response]) -> Response:
    """A form's service call: commit and go on (``then`` its result: a redirect), or roll back and show the page
    ``again`` with the refusal in the page's language and its status."""
    try:
        result = work()
    except REFUSED as exc:
        session.rollback()
        return again(_error(request, exc), exc.status)
    session.commit()
    return then(result)


def _day(form: dict[str, str], name: str) -> date:
    value = _date(form.get(name, ""))
    if value is None:
        raise InvalidInput(f"{name}: not a date", field=name, key=N_("iefp.err.date"), params={"field": name})
    return value


def _ranks(form: dict[str, str]) -> list[int]:
    """The ids of the ``rank-<id>`` fields given a number > 0, in the order of their numbers."""
    ranked = sorted((_int(v), _int(k.removeprefix("rank-"))) for k, v in form.items()
                    if k.startswith("rank-") and _int(v) > 0)
    return [i for _, i in ranked]


# --- the public offer --------------------------------------------------------------------------------------

@router.get("", response_class=HTMLResponse, name="iefp_home_page")
def home(request: Request, session: SessionDep, principal: Anyone, year: str = "") -> Response:
    sy = _year(year)
    paths = service.list_paths(session, school_year=sy)
    centres = service.list_centres(session)
    names = {c["centre"].organisation_id: c["name"] for c in centres}
    return render(request, "home.html", {
        "nav": "iefp", "school_year": sy, "figures": service.list_figures(session), "centres": centres,
        "paths": paths, "centre_names": names, "comuni": comune_names(session, {p.seat.comune for p in paths}),
        "is_centre": bool(_own(principal, OrgType.PROVIDER, CENTRE_STAFF)) and can(principal, READ,
                                                                                   Resource.IEFP_STUDENT),
        "is_firm": bool(_own(principal, OrgType.FIRM)), "is_region": can(principal, READ, Resource.IEFP_SYSTEM)})


@router.get("/figures/{code}", response_class=HTMLResponse, name="iefp_figure_page")
def figure_page(request: Request, code: str, session: SessionDep, principal: Anyone) -> Response:
    try:
        figure = service.figure_by_code(session, code[:30])
    except InvalidInput:
        raise NotFound(f"no figure {code[:30]!r}") from None
    return render(request, "figure.html", {"nav": "iefp", "figure": figure,
                                           "versions": list(reversed(figure.versions))})


@router.get("/paths/{path_id}", response_class=HTMLResponse, name="iefp_path_page")
def path_page(request: Request, path_id: PathId, session: SessionDep, principal: Anyone) -> Response:
    position = service.path_position(session, path_id=path_id, principal=principal,
                                     demand=getattr(request.app.state, "iefp_demand", None))
    path = service.get_path(session, path_id)
    return render(request, "path.html", {"nav": "iefp", "path": path, "position": position,
                                         "comuni": comune_names(session, {path.seat.comune})})


# --- the centre --------------------------------------------------------------------------------------------

def _centre(session: Session, principal: Principal, requested: int | None = None) -> Centre | None:
    own = _own(principal, OrgType.PROVIDER, CENTRE_STAFF)
    for org_id in ([requested] if requested in own else []) + own:
        centre = service.centre_of(session, org_id)
        if centre is not None:
            return centre
    return None


def _centre_page(request: Request, session: Session, principal: Principal, *, year: str, error: str = "",
                 done: str = "", status_code: int = 200) -> Response:
    centre = _centre(session, principal)
    if centre is None:
        return render(request, "not_party.html", {"nav": "iefp", "party": "centre"}, status_code)
    sy = _year(year)
    paths = service.list_paths(session, organisation_id=centre.organisation_id, school_year=sy)
    students = service.list_students(session, principal=principal, organisation_id=centre.organisation_id,
                                     school_year=sy)
    placements = [p for p in service.list_placements(session, principal=principal, school_year=sy)
                  if p.centre_id == centre.organisation_id]
    assignments = [a for a in service.current_assignments(session, principal=principal, school_year=sy)
                   if a.student_id in {s.id for s in students}]
    started = {(p.place_id, p.student_id) for p in placements}
    return render(request, "centre.html", {
        "nav": "iefp", "centre": centre, "centre_name": _org_names(session, {centre.organisation_id})
        .get(centre.organisation_id, ""), "school_year": sy, "paths": paths, "students": students,
        "placements": placements, "assignments": assignments, "started": started,
        "figures": service.list_figures(session), "writes": can(principal, WRITE, Resource.IEFP_STUDENT, centre),
        "csrf_token": principal.csrf or "", "error": error, "done": done,
        "firm_names": _org_names(session, {p.firm_id for p in placements})}, status_code)


@router.get("/centre", response_class=HTMLResponse, name="iefp_centre_page")
def centre_page(request: Request, session: SessionDep, principal: StudentReader, year: str = "",
                done: str = "") -> Response:
    return _centre_page(request, session, principal, year=year, done=done if done in DONE else "")


@router.post("/centre/paths", response_class=HTMLResponse, name="iefp_centre_add_path")
async def centre_add_path(request: Request, session: SessionDep, principal: OfferWriter) -> Response:
    f = await _form(request)
    year = f.get("school_year", "")
    return _apply(request, session, lambda: service.create_path(
        session, actor=principal, seat_id=_int(f.get("seat_id", "")), figure_code=f.get("figure_code", ""),
        school_year=year, year_of_course=_int(f.get("year_of_course", "")), places=_int(f.get("places", "")),
        enrolled=_int(f.get("enrolled", "0")), section=f.get("section", "A")),
        again=lambda error, status: _centre_page(request, session, principal, year=year, error=error,
                                                 status_code=status),
        then=lambda _: redirect(request, "iefp_centre_page", f"year={year}&done=path"))


@router.post("/centre/students", response_class=HTMLResponse, name="iefp_centre_enrol")
async def centre_enrol(request: Request, session: SessionDep, principal: StudentWriter) -> Response:
    f = await _form(request)

    def work() -> int:
        student = service.enrol(session, actor=principal, path_id=_int(f.get("path_id", "")),
                                tax_code=f.get("tax_code", ""), given_name=f.get("given_name", ""),
                                family_name=f.get("family_name", ""), birth_date=_day(f, "birth_date"),
                                comune_code=f.get("comune", ""))
        if f.get("consent_by"):
            service.record_consent(session, actor=principal, student_id=student.id, given_by=f["consent_by"])
        return student.id

    return _apply(request, session, work,
                  again=lambda error, status: _centre_page(request, session, principal, year=f.get("year", ""),
                                                           error=error, status_code=status),
                  then=lambda sid: redirect(request, "iefp_student_page", student_id=sid))


def _student_page(request: Request, session: Session, principal: Principal, student_id: int, *,
                  error: str = "", done: str = "", status_code: int = 200) -> Response:
    student = service.get_student(session, principal=principal, student_id=student_id)
    commutes = Commutes(request.app.state.engine)
    candidacies = {c.place_id: c for c in service.candidates(session, principal=principal, student_id=student_id,
                                                             commutes=commutes)}
    offered = service.list_places(session, principal=principal, school_year=student.school_year,
                                  status="published")
    row = students_mod.load(session, student_id)
    minutes = {p.id: commutes.minutes(row.comune, p.comune) for p in offered}
    assignments = [a for a in service.current_assignments(session, principal=principal,
                                                          school_year=student.school_year)
                   if a.student_id == student_id]
    return render(request, "student.html", {
        "nav": "iefp", "s": student, "places": offered, "candidacies": candidacies, "minutes": minutes,
        "assignments": assignments, "firm_names": _org_names(session, {p.organisation_id for p in offered}),
        "comuni": comune_names(session, {p.comune for p in offered} | {student.comune}),
        "writes": can(principal, WRITE, Resource.IEFP_STUDENT, row), "csrf_token": principal.csrf or "",
        "error": error, "done": done}, status_code)


@router.get("/centre/students/{student_id}", response_class=HTMLResponse, name="iefp_student_page")
def student_page(request: Request, student_id: PathId, session: SessionDep, principal: StudentReader,
                 done: str = "") -> Response:
    return _student_page(request, session, principal, student_id, done=done if done in DONE else "")


@router.post("/centre/students/{student_id}/preferences", response_class=HTMLResponse,
             name="iefp_student_preferences")
async def student_preferences(request: Request, student_id: PathId, session: SessionDep,
                              principal: StudentWriter) -> Response:
    f = await _form(request)
    return _apply(request, session, lambda: service.set_preferences(
        session, actor=principal, student_id=student_id, place_ids=_ranks(f), propose=True),
        again=lambda error, status: _student_page(request, session, principal, student_id, error=error,
                                                  status_code=status),
        then=lambda _: redirect(request, "iefp_student_page", "done=preferences", student_id=student_id))


@router.post("/centre/students/{student_id}/consent", response_class=HTMLResponse, name="iefp_student_consent")
async def student_consent(request: Request, student_id: PathId, session: SessionDep,
                          principal: StudentWriter) -> Response:
    f = await _form(request)
    return _apply(request, session, lambda: service.record_consent(
        session, actor=principal, student_id=student_id, given_by=f.get("consent_by", "")),
        again=lambda error, status: _student_page(request, session, principal, student_id, error=error,
                                                  status_code=status),
        then=lambda _: redirect(request, "iefp_student_page", "done=consent", student_id=student_id))


@router.post("/assignments/{assignment_id}/start", response_class=HTMLResponse, name="iefp_assignment_start")
def assignment_start(request: Request, assignment_id: PathId, session: SessionDep,
                     principal: PlacementWriter) -> Response:
    return _apply(request, session, lambda: service.start_placement(session, actor=principal,
                                                                    assignment_id=assignment_id),
                  again=lambda error, status: _centre_page(request, session, principal, year="", error=error,
                                                           status_code=status),
                  then=lambda p: redirect(request, "iefp_placement_page", placement_id=p.id))


# --- the firm ----------------------------------------------------------------------------------------------

def _firm_page(request: Request, session: Session, principal: Principal, *, year: str, error: str = "",
               done: str = "", form: dict[str, str] | None = None, status_code: int = 200) -> Response:
    own = _own(principal, OrgType.FIRM)
    if not own:
        return render(request, "not_party.html", {"nav": "iefp", "party": "firm"}, status_code)
    sy = _year(year)
    firm_id = own[0]
    mine = service.list_places(session, principal=principal, organisation_id=firm_id, school_year=sy)
    commutes = Commutes(request.app.state.engine)
    candidates = {p.id: service.candidates(session, principal=principal, place_id=p.id, commutes=commutes)
                  for p in mine}
    assignments = [a for a in service.current_assignments(session, principal=principal, school_year=sy)
                   if a.place_id in {p.id for p in mine}]
    return render(request, "firm.html", {
        "nav": "iefp", "firm_id": firm_id, "firm_name": _org_names(session, {firm_id}).get(firm_id, ""),
        "school_year": sy, "places": mine, "candidates": candidates, "assignments": assignments,
        "figures": service.list_figures(session), "kinds": PLACE_KINDS,
        "writes": bool(_own(principal, OrgType.FIRM, EDITING)), "csrf_token": principal.csrf or "",
        "comuni": comune_names(session, {p.comune for p in mine}), "error": error, "done": done,
        "form": form or {}}, status_code)


@router.get("/firm", response_class=HTMLResponse, name="iefp_firm_page")
def firm_page(request: Request, session: SessionDep, principal: PlaceReader, year: str = "",
              done: str = "") -> Response:
    return _firm_page(request, session, principal, year=year, done=done if done in DONE else "")


@router.post("/firm/places", response_class=HTMLResponse, name="iefp_firm_add_place")
async def firm_add_place(request: Request, session: SessionDep, principal: PlaceWriter) -> Response:
    f = await _form(request)
    own = _own(principal, OrgType.FIRM, EDITING)
    year = f.get("school_year", "")

    def work() -> Any:
        data = service.PlaceInput(
            kind=f.get("kind", ""), figure_code=f.get("figure_code", ""), title=f.get("title", ""),
            seats=_int(f.get("seats", "")), comune=f.get("comune", ""), ateco=f.get("ateco", ""), school_year=year,
            start_date=_day(f, "start_date"), end_date=_day(f, "end_date"),
            hours_per_year=_int(f.get("hours_per_year", "")), weekly_hours=_int(f.get("weekly_hours", "")),
            company_tutor=f.get("company_tutor", ""), description=f.get("description", ""))
        if not own:
            raise InvalidInput("organisation_id: no firm", field="organisation_id", key=N_("iefp.err.which_firm"),
                               params={"field": "organisation_id"})
        return service.create_place(session, actor=principal, organisation_id=own[0], data=data,
                                    publish=f.get("publish") == "1")

    return _apply(request, session, work,
                  again=lambda error, status: _firm_page(request, session, principal, year=year, error=error,
                                                         form=f, status_code=status),
                  then=lambda _: redirect(request, "iefp_firm_page", f"year={year}&done=place"))


@router.post("/firm/places/{place_id}/status", response_class=HTMLResponse, name="iefp_firm_place_status")
async def firm_place_status(request: Request, place_id: PathId, session: SessionDep,
                            principal: PlaceWriter) -> Response:
    f = await _form(request)
    return _apply(request, session, lambda: service.set_status(session, actor=principal, place_id=place_id,
                                                               status=f.get("status", "")),
                  again=lambda error, status: _firm_page(request, session, principal, year="", error=error,
                                                         status_code=status),
                  then=lambda p: redirect(request, "iefp_firm_page", f"year={p.school_year}&done=status"))


@router.post("/firm/places/{place_id}/ranking", response_class=HTMLResponse, name="iefp_firm_ranking")
async def firm_ranking(request: Request, place_id: PathId, session: SessionDep, principal: PlaceWriter) -> Response:
    f = await _form(request)

    def work() -> Any:
        place = service.get_place(session, principal=principal, place_id=place_id)
        service.rank_candidates(session, actor=principal, place_id=place_id, student_ids=_ranks(f))
        return place

    return _apply(request, session, work,
                  again=lambda error, status: _firm_page(request, session, principal, year="", error=error,
                                                         status_code=status),
                  then=lambda p: redirect(request, "iefp_firm_page", f"year={p.school_year}&done=ranking"))


# --- the Region --------------------------------------------------------------------------------------------

def _region_page(request: Request, session: Session, principal: Principal, *, year: str, done: str = "",
                 error: str = "", status_code: int = 200) -> Response:
    sy = _year(year)
    view = service.overview(session, principal=principal, school_year=sy,
                            demand=getattr(request.app.state, "iefp_demand", None))
    runs = service.list_runs(session, principal=principal, school_year=sy)
    features = province_features(session, region="ITC4")
    names = {f["properties"]["nuts3"]: f["properties"]["name"] for f in features["features"]}
    return render(request, "region.html", {
        "nav": "iefp", "school_year": sy, "view": view, "runs": runs, "province_names": names,
        "has_map": bool(features["features"]),
        "geojson_url": str(request.url_for("provinces_geojson").path) + "?region=ITC4",
        "writes": can(principal, WRITE, Resource.IEFP_SYSTEM), "csrf_token": principal.csrf or "",
        "done": done if done in DONE else "", "weights": WEIGHTS, "error": error,
        "co_records": hiring(request) is not None}, status_code)


@router.get("/region", response_class=HTMLResponse, name="iefp_region_page")
def region_page(request: Request, session: SessionDep, principal: SystemReader, year: str = "",
                done: str = "") -> Response:
    return _region_page(request, session, principal, year=year, done=done)


@router.post("/region/matching", response_class=HTMLResponse, name="iefp_region_run")
async def region_run(request: Request, session: SessionDep, principal: SystemWriter) -> Response:
    f = await _form(request)
    year = _year(f.get("school_year"))
    return _apply(request, session, lambda: service.run_matching(
        session, actor=principal, school_year=year, nuts3=f.get("nuts3") or None,
        mode=f.get("mode") or "deferred_acceptance", commutes=Commutes(request.app.state.engine)),
        again=lambda error, status: _region_page(request, session, principal, year=year, error=error,
                                                 status_code=status),
        then=lambda _: redirect(request, "iefp_region_page", f"year={year}&done=run"))


@router.post("/region/hiring", response_class=HTMLResponse, name="iefp_region_hiring")
async def region_hiring(request: Request, session: SessionDep, principal: SystemWriter) -> Response:
    f = await _form(request)
    year = _year(f.get("school_year"))
    return _apply(request, session, lambda: service.refresh_hiring(session, actor=principal,
                                                                   lookup=hiring(request)),
                  again=lambda error, status: _region_page(request, session, principal, year=year, error=error,
                                                           status_code=status),
                  then=lambda _: redirect(request, "iefp_region_page", f"year={year}&done=hiring"))


# --- a placement -------------------------------------------------------------------------------------------

def _placement_page(request: Request, session: Session, principal: Principal, placement_id: int, *,
                    error: str = "", done: str = "", plan: dict[str, Any] | None = None,
                    issues: list[Any] | None = None, status_code: int = 200) -> Response:
    p = service.get_placement(session, principal=principal, placement_id=placement_id)
    centre_side = can(principal, WRITE, Resource.IEFP_PLACEMENT, Side(p.centre_id, p.firm_id, "centre"))
    firm_side = can(principal, WRITE, Resource.IEFP_PLACEMENT, Side(p.centre_id, p.firm_id, "firm"))
    # a placement exists once the centre proposed the student: the firm reads the name too
    named = may_see_candidate_name(principal, Unproposed(p.centre_id, p.firm_id, proposed_at=p.created_at))
    return render(request, "placement.html", {
        "nav": "iefp", "p": p, "plan": plan or service.plan_form(p), "issues": issues or [],
        "competences": p.figure_version.competences, "centre_side": centre_side, "firm_side": firm_side,
        "student_name": f"{p.student.given_name} {p.student.family_name}" if named else None,
        "names": _org_names(session, {p.centre_id, p.firm_id}), "bounds": bounds(),
        "csrf_token": principal.csrf or "", "error": error, "done": done}, status_code)


@router.get("/placements/{placement_id}", response_class=HTMLResponse, name="iefp_placement_page")
def placement_page(request: Request, placement_id: PathId, session: SessionDep, principal: PlacementReader,
                   done: str = "") -> Response:
    return _placement_page(request, session, principal, placement_id, done=done if done in DONE else "")


@router.post("/placements/{placement_id}/plan", response_class=HTMLResponse, name="iefp_placement_plan")
async def placement_plan(request: Request, placement_id: PathId, session: SessionDep,
                         principal: PlacementWriter) -> Response:
    form = await _form(request)
    comps = [{"code": k.removeprefix("where-"), "where": v} for k, v in form.items()
             if k.startswith("where-") and v in ("work", "centre")]
    data = {"year_of_course": _int(form.get("year_of_course", "")), "hours_work": _int(form.get("hours_work", ""), -1),
            "hours_centre": _int(form.get("hours_centre", ""), -1),
            "weekly_hours_work": _int(form.get("weekly_hours_work", ""), -1), "competences": comps,
            "tutor_company": form.get("tutor_company", ""), "tutor_centre": form.get("tutor_centre", "")}
    version = _int(form.get("version", ""), 0) or None
    try:
        service.save_plan(session, actor=principal, placement_id=placement_id, plan=service.PlanInput(**data),
                          version=version, sign=form.get("op") == "sign")
    except (InvalidInput, Conflict) as exc:
        session.rollback()
        shown = {**data, "competences": {c["code"]: c["where"] for c in comps}, "version": version,
                 "status": "draft"}
        issues = exc.issues if isinstance(exc, PlanInvalid) else []
        return _placement_page(request, session, principal, placement_id, error=_error(request, exc),
                               plan=shown, issues=issues, status_code=exc.status)
    session.commit()
    return redirect(request, "iefp_placement_page", "done=plan", placement_id=placement_id)


@router.post("/placements/{placement_id}/progress", response_class=HTMLResponse, name="iefp_placement_progress")
async def placement_progress(request: Request, placement_id: PathId, session: SessionDep,
                             principal: PlacementWriter) -> Response:
    f = await _form(request)
    p = service.get_placement(session, principal=principal, placement_id=placement_id)
    side = "centre" if can(principal, WRITE, Resource.IEFP_PLACEMENT, Side(p.centre_id, p.firm_id, "centre")) \
        else "firm"
    return _apply(request, session, lambda: service.report_progress(
        session, actor=principal, placement_id=placement_id, period=_day(f, "period"), side=side,
        hours_work_done=_int(f.get("hours_work_done", ""), -1),
        hours_centre_done=_int(f.get("hours_centre_done", ""), -1),
        competences_acquired=[k.removeprefix("got-") for k in f if k.startswith("got-")], note=f.get("note", "")),
        again=lambda error, status: _placement_page(request, session, principal, placement_id, error=error,
                                                    status_code=status),
        then=lambda _: redirect(request, "iefp_placement_page", "done=progress", placement_id=placement_id))


@router.post("/placements/{placement_id}/outcome", response_class=HTMLResponse, name="iefp_placement_outcome")
async def placement_outcome(request: Request, placement_id: PathId, session: SessionDep,
                            principal: PlacementWriter) -> Response:
    f = await _form(request)
    return _apply(request, session, lambda: service.record_outcome(
        session, actor=principal, placement_id=placement_id, outcome=f.get("outcome", ""),
        outcome_at=_day(f, "outcome_at"), hired_after={"yes": True, "no": False}.get(f.get("hired_after", "")),
        hired_on=_date(f.get("hired_on", ""))),
        again=lambda error, status: _placement_page(request, session, principal, placement_id, error=error,
                                                    status_code=status),
        then=lambda _: redirect(request, "iefp_placement_page", "done=outcome", placement_id=placement_id))
