"""REST API of the iefp domain, under ``/api/iefp`` (OpenAPI at ``/docs``).

- ``/figures`` — the repertory (public), ``POST /figures/import`` (Region staff) imports a CSV or JSON file;
- ``/centres``, ``/paths`` (and ``/paths/{id}/position`` against local demand) — the offer (public; centres
  write their own);
- ``/students`` — the centre's students (names only for the centre), consent, the student's ranking of places;
- ``/places`` — the firms' places, ``/places/{id}/candidates`` and ``/places/{id}/ranking``;
- ``/matching/runs`` (Region staff) and ``/assignments`` (each party its own);
- ``/placements`` — placements and contracts, their training plan, progress and outcome;
- ``/system`` — the Region's view.

Refusals of the domain's rules are 422 problem details whose ``errors`` carry, for each, ``loc``, the field, a
stable ``key`` with its ``params``, and the text in English (``message``) and Italian (``messaggio``).
"""

from __future__ import annotations

import tempfile
from http import HTTPStatus
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi import Path as ApiPath
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from regia.auth.errors import Conflict, DomainError, InvalidInput, NotFound
from regia.auth.models import OrgType
from regia.auth.policy import EDITING, READ, WRITE, Resource, require
from regia.auth.principal import Principal
from regia.auth.schemas import document_problems
from regia.db import request_session
from regia.i18n import N_, gettext
from regia.iefp import service
from regia.iefp.commute import Commutes
from regia.iefp.models import MatchingRun, Placement, TrainingPath
from regia.iefp.rules import PlanInvalid
from regia.iefp.schemas import (
    AssignmentOut,
    CandidateOut,
    CentreOut,
    ConsentIn,
    FigureDetail,
    FigureOut,
    FigureVersionOut,
    ImportCounts,
    OutcomeIn,
    PathIn,
    PathOut,
    PathUpdate,
    PlaceIn,
    PlacementIn,
    PlacementOut,
    PlaceOut,
    PlanIn,
    PlanOut,
    PreferencesIn,
    ProgressIn,
    ProgressOut,
    RankingIn,
    RunDetail,
    RunIn,
    RunOut,
    SeatOut,
    StatusIn,
    StudentIn,
    StudentOut,
)

SessionDep = Annotated[Session, Depends(request_session)]
Id = Annotated[int, Query(ge=1, le=2**31 - 1)]
YearQuery = Annotated[str | None, Query(pattern=r"^\d{4}/\d{2}$", description="School year, e.g. 2026/27")]


def _dep(action: Any, resource: Resource) -> Any:
    return Annotated[Principal, Depends(require(action, resource))]


FigureReader, FigureWriter = _dep(READ, Resource.IEFP_FIGURE), _dep(WRITE, Resource.IEFP_FIGURE)
OfferReader, OfferWriter = _dep(READ, Resource.IEFP_OFFER), _dep(WRITE, Resource.IEFP_OFFER)
StudentReader, StudentWriter = _dep(READ, Resource.IEFP_STUDENT), _dep(WRITE, Resource.IEFP_STUDENT)
PlaceReader, PlaceWriter = _dep(READ, Resource.IEFP_PLACE), _dep(WRITE, Resource.IEFP_PLACE)
CandidacyReader = _dep(READ, Resource.IEFP_CANDIDACY)
PlacementReader, PlacementWriter = _dep(READ, Resource.IEFP_PLACEMENT), _dep(WRITE, Resource.IEFP_PLACEMENT)
SystemReader, SystemWriter = _dep(READ, Resource.IEFP_SYSTEM), _dep(WRITE, Resource.IEFP_SYSTEM)

PathId = Annotated[int, ApiPath(ge=1, le=2**31 - 1)]
router = APIRouter(prefix="/api/iefp", tags=["iefp"], responses={
    401: {"description": "Not authenticated (problem details)"},
    403: {"description": "Refused by the access policy (problem details)"},
    409: {"description": "Conflicts with the current state (problem details)"},
})


REFUSED = (InvalidInput, Conflict)  # answered here with their key; NotFound and Forbidden by the app's handler


def refused(request: Request, exc: DomainError) -> JSONResponse:
    """A problem (RFC 9457) with the refusal's key and params, English and Italian text; for invalid input
    (422), ``errors`` with every broken rule (field, key, params, message, messaggio)."""
    body: dict[str, Any] = {"type": "about:blank", "title": HTTPStatus(exc.status).phrase, "status": exc.status,
                            "detail": exc.detail, "instance": request.url.path}
    if isinstance(exc, InvalidInput):
        issues = ([i.as_dict() for i in exc.issues] if isinstance(exc, PlanInvalid) else
                  [{"field": exc.field or "", "key": exc.key or "", "params": exc.params, "message": exc.detail,
                    "messaggio": gettext(exc.key, "it", **exc.params) if exc.key else exc.detail}])
        body["errors"] = [{"loc": ["body", *i["field"].replace("[", ".").replace("]", "").split(".")],
                           "msg": i["message"], "type": "value_error", **i} for i in issues]
    else:
        body.update(key=exc.key or "", params=exc.params, message=exc.detail,
                    messaggio=gettext(exc.key, "it", **exc.params) if exc.key else exc.detail)
    return JSONResponse(body, status_code=exc.status, media_type="application/problem+json")


def commutes(request: Request) -> Commutes:
    return Commutes(request.app.state.engine)


# --- figures -----------------------------------------------------------------------------------------------

@router.get("/figures", response_model=list[FigureOut], summary="The IeFP repertory: figures")
def figures_list(session: SessionDep, principal: FigureReader,
                 kind: Annotated[str | None, Query(pattern="^(qualifica|diploma)$")] = None,
                 q: Annotated[str, Query(max_length=100)] = "") -> Any:
    return service.list_figures(session, kind=kind, text=q)


@router.get("/figures/{code}", response_model=FigureDetail, summary="A figure with all its versions")
def figure_detail(code: str, session: SessionDep, principal: FigureReader) -> Any:
    try:
        figure = service.figure_by_code(session, code[:30], field="code")
    except InvalidInput:
        raise NotFound(f"no figure {code[:30]!r}") from None
    versions = [FigureVersionOut.model_validate(v) for v in figure.versions]
    return FigureDetail(code=figure.code, kind=figure.kind, title=figure.title,
                        current_version=figure.current_version, demo=figure.demo, versions=versions)


@router.post("/figures/import", response_model=ImportCounts, summary="Import a repertory file (CSV or JSON)")
def figures_import(request: Request, principal: FigureWriter,
                   file: Annotated[UploadFile, File(description="CSV or JSON, as the README documents")],
                   source: Annotated[str, Query(min_length=1, max_length=200)] = "repertorio-iefp") -> Any:
    """Idempotent (re-sending stores nothing), a new version for each figure whose content changed; rejected
    figures go to the quarantine with line, field and reason. Resumes an interrupted import of the same file."""
    name = FilePath(file.filename or "upload").name
    suffix = FilePath(name).suffix.lower()
    if suffix not in (".csv", ".json"):
        return refused(request, InvalidInput("file: a .csv or .json file", field="file", key=N_("iefp.err.file_kind"),
                                             params={"field": "file", "name": name}))
    with tempfile.TemporaryDirectory() as tmp:
        path = FilePath(tmp) / name
        path.write_bytes(file.file.read())
        try:
            counts = service.ingest_figures(request.app.state.engine, path, source=source, actor=principal,
                                            file_name=name)
        except service.FormatError as exc:
            return refused(request, InvalidInput(str(exc), field="file", key=N_("iefp.err.file_unreadable"),
                                                 params={"field": "file", "name": name}))
    return ImportCounts(**counts.as_dict())


# --- offer -------------------------------------------------------------------------------------------------

def _path_out(p: TrainingPath) -> PathOut:
    v = p.figure_version
    return PathOut(id=p.id, organisation_id=p.organisation_id, seat=SeatOut.model_validate(p.seat),
                   figure_code=v.figure.code, figure_version=v.number, figure_title=v.title,
                   school_year=p.school_year, year_of_course=p.year_of_course, section=p.section, places=p.places,
                   enrolled=p.enrolled)


@router.get("/centres", response_model=list[CentreOut], summary="Accredited IeFP centres and their seats")
def centres(session: SessionDep, principal: OfferReader) -> Any:
    return [CentreOut(id=c["centre"].id, organisation_id=c["centre"].organisation_id, name=c["name"],
                      accreditation_code=c["centre"].accreditation_code,
                      seats=[SeatOut.model_validate(s) for s in c["seats"]], paths=c["paths"])
            for c in service.list_centres(session)]


@router.get("/paths", response_model=list[PathOut], summary="Paths per school year, with places and enrolled")
def paths(session: SessionDep, principal: OfferReader, school_year: YearQuery = None,
          organisation_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
          nuts3: Annotated[str | None, Query(pattern=r"^IT[A-Z0-9]{3}$")] = None) -> Any:
    return [_path_out(p) for p in service.list_paths(session, organisation_id=organisation_id,
                                                     school_year=school_year, nuts3=nuts3)]


@router.post("/paths", response_model=PathOut, status_code=201, summary="Add a path to a seat of your centre")
def path_create(request: Request, body: PathIn, session: SessionDep, principal: OfferWriter) -> Any:
    try:
        path = service.create_path(session, actor=principal, **body.model_dump())
    except REFUSED as exc:
        return refused(request, exc)
    session.commit()
    return _path_out(path)


@router.patch("/paths/{path_id}", response_model=PathOut, summary="Change a path's places and enrolled")
def path_update(request: Request, path_id: PathId, body: PathUpdate, session: SessionDep,
                principal: OfferWriter) -> Any:
    try:
        path = service.update_path(session, actor=principal, path_id=path_id, **body.model_dump())
    except REFUSED as exc:
        return refused(request, exc)
    session.commit()
    return _path_out(path)


@router.get("/paths/{path_id}/position", summary="Where a path sits against local demand")
def path_position(request: Request, path_id: PathId, session: SessionDep, principal: OfferReader) -> Any:
    """In the seat's province: postings of the figure's sectors and occupations, pacts' needs, the gap of the
    figure's skills (`available: false` when the server has no demand figures)."""
    return service.path_position(session, path_id=path_id, principal=principal,
                                 demand=getattr(request.app.state, "iefp_demand", None))


# --- students ----------------------------------------------------------------------------------------------

@router.get("/students", response_model=list[StudentOut], summary="Students (names only for their centre)")
def students(session: SessionDep, principal: StudentReader, school_year: YearQuery = None) -> Any:
    return [s.__dict__ for s in service.list_students(session, principal=principal, school_year=school_year)]


@router.post("/students", response_model=StudentOut, status_code=201, summary="Enrol a student in a path")
def student_create(request: Request, body: StudentIn, session: SessionDep, principal: StudentWriter) -> Any:
    try:
        student = service.enrol(session, actor=principal, path_id=body.path_id, tax_code=body.tax_code,
                                given_name=body.given_name, family_name=body.family_name,
                                birth_date=body.birth_date, comune_code=body.comune)
    except REFUSED as exc:
        return refused(request, exc)
    session.commit()
    return service.get_student(session, principal=principal, student_id=student.id).__dict__


@router.post("/students/{student_id}/consent", response_model=StudentOut, summary="Record the family's consent")
def student_consent(request: Request, student_id: PathId, body: ConsentIn, session: SessionDep,
                    principal: StudentWriter) -> Any:
    try:
        service.record_consent(session, actor=principal, student_id=student_id, given_by=body.given_by)
    except REFUSED as exc:
        return refused(request, exc)
    session.commit()
    return service.get_student(session, principal=principal, student_id=student_id).__dict__


@router.put("/students/{student_id}/preferences", response_model=list[CandidateOut],
            summary="The student's ranking of the places they would accept (and the proposals)")
def student_preferences(request: Request, student_id: PathId, body: PreferencesIn, session: SessionDep,
                        principal: StudentWriter) -> Any:
    try:
        service.set_preferences(session, actor=principal, student_id=student_id, place_ids=body.place_ids,
                                propose=body.propose)
    except REFUSED as exc:
        return refused(request, exc)
    session.commit()
    return [c.__dict__ for c in service.candidates(session, principal=principal, student_id=student_id,
                                                   commutes=commutes(request))]


# --- places ------------------------------------------------------------------------------------------------

@router.get("/places", response_model=list[PlaceOut], summary="Places (firms see their own; others the published)")
def places(session: SessionDep, principal: PlaceReader, school_year: YearQuery = None,
           status: Annotated[str | None, Query(pattern="^(draft|published|closed)$")] = None) -> Any:
    return service.list_places(session, principal=principal, school_year=school_year, status=status)


@router.post("/places", response_model=PlaceOut, status_code=201, summary="Offer a placement or apprenticeship")
def place_create(request: Request, body: PlaceIn, session: SessionDep, principal: PlaceWriter) -> Any:
    data = body.model_dump(exclude={"organisation_id", "publish"})
    org = body.organisation_id
    if org is None:
        own = sorted(principal.org_ids(*EDITING, types=(OrgType.FIRM,)))
        if len(own) != 1:
            return refused(request, InvalidInput("organisation_id: say which firm", field="organisation_id",
                                                 key=N_("iefp.err.which_firm"), params={"field": "organisation_id"}))
        org = own[0]
    try:
        place = service.create_place(session, actor=principal, organisation_id=org, publish=body.publish,
                                     data=service.PlaceInput(**data))
    except REFUSED as exc:
        return refused(request, exc)
    session.commit()
    return place


@router.post("/places/{place_id}/status", response_model=PlaceOut, summary="Publish or close a place")
def place_status(place_id: PathId, body: StatusIn, session: SessionDep, principal: PlaceWriter) -> Any:
    place = service.set_status(session, actor=principal, place_id=place_id, status=body.status)
    session.commit()
    return place


@router.get("/places/{place_id}/candidates", response_model=list[CandidateOut],
            summary="Candidates proposed for a place (the firm never sees the others)")
def place_candidates(request: Request, place_id: PathId, session: SessionDep, principal: CandidacyReader) -> Any:
    service.get_place(session, principal=principal, place_id=place_id)
    return [c.__dict__ for c in service.candidates(session, principal=principal, place_id=place_id,
                                                   commutes=commutes(request))]


@router.put("/places/{place_id}/ranking", response_model=list[CandidateOut], summary="The firm's ranking")
def place_ranking(request: Request, place_id: PathId, body: RankingIn, session: SessionDep,
                  principal: PlaceWriter) -> Any:
    try:
        service.rank_candidates(session, actor=principal, place_id=place_id, student_ids=body.student_ids)
    except REFUSED as exc:
        return refused(request, exc)
    session.commit()
    return [c.__dict__ for c in service.candidates(session, principal=principal, place_id=place_id,
                                                   commutes=commutes(request))]


# --- matching ----------------------------------------------------------------------------------------------

@router.post("/matching/runs", response_model=RunDetail, status_code=201, summary="Run the matching")
def run_create(request: Request, body: RunIn, session: SessionDep, principal: SystemWriter) -> Any:
    """Student-proposing deferred acceptance (or the fit-score assignment) over the school year's published
    places; the run keeps its input and its result with the explanations."""
    try:
        run = service.run_matching(session, actor=principal, commutes=commutes(request), **body.model_dump())
    except REFUSED as exc:
        return refused(request, exc)
    session.commit()
    return run


@router.get("/matching/runs", response_model=list[RunOut], summary="Matching runs")
def runs(session: SessionDep, principal: SystemReader, school_year: YearQuery = None) -> list[MatchingRun]:
    return service.list_runs(session, principal=principal, school_year=school_year)


@router.get("/matching/runs/{run_id}", response_model=RunDetail, summary="A run with its input")
def run_detail(run_id: PathId, session: SessionDep, principal: SystemReader) -> Any:
    return service.get_run(session, principal=principal, run_id=run_id)


@router.get("/assignments", response_model=list[AssignmentOut], summary="Your assignments of the latest runs")
def assignments(session: SessionDep, principal: CandidacyReader,
                school_year: Annotated[str, Query(pattern=r"^\d{4}/\d{2}$")]) -> Any:
    return [a.__dict__ for a in service.current_assignments(session, principal=principal, school_year=school_year)]


# --- placements --------------------------------------------------------------------------------------------

def placement_out(p: Placement) -> PlacementOut:
    return PlacementOut(
        id=p.id, place_id=p.place_id, student_label=p.student.label, kind=p.kind, nuts3=p.nuts3, status=p.status,
        start_date=p.start_date, end_date=p.end_date, contract_started_at=p.contract_started_at,
        figure_version_id=p.figure_version_id, outcome=p.outcome, outcome_at=p.outcome_at,
        hired_after=p.hired_after, hired_on=p.hired_on, hired_source=p.hired_source,
        plan=PlanOut.model_validate(p.plan) if p.plan else None,
        progress=[ProgressOut.model_validate(r) for r in p.progress])


@router.get("/placements", response_model=list[PlacementOut], summary="Placements and apprenticeship contracts")
def placements(session: SessionDep, principal: PlacementReader, school_year: YearQuery = None) -> Any:
    return [placement_out(p) for p in service.list_placements(session, principal=principal,
                                                              school_year=school_year)]


@router.post("/placements", response_model=PlacementOut, status_code=201, summary="Start a placement")
def placement_create(request: Request, body: PlacementIn, session: SessionDep, principal: PlacementWriter) -> Any:
    try:
        p = service.start_placement(session, actor=principal, **body.model_dump())
    except REFUSED as exc:
        return refused(request, exc)
    session.commit()
    return placement_out(service.get_placement(session, principal=principal, placement_id=p.id))


@router.post("/placements/hiring", summary="Read who was hired after a finished placement from the CO records")
def placements_hiring(request: Request, session: SessionDep, principal: SystemWriter) -> dict[str, int]:
    """Asks the *comunicazioni obbligatorie* (the outcomes work's records, by pseudonym) whether the young people
    of finished placements were hired afterwards: `{"updated": n}`. 409 when this server holds no CO records."""
    try:
        updated = service.refresh_hiring(session, actor=principal, lookup=hiring(request))
    except REFUSED as exc:
        return refused(request, exc)
    session.commit()
    return {"updated": updated}


def hiring(request: Request) -> service.HiringLookup | None:
    """The CO records' lookup the app was given (``app.state.iefp_hiring``, see ``regia.iefp.seams``)."""
    return getattr(request.app.state, "iefp_hiring", None)


@router.get("/placements/{placement_id}", response_model=PlacementOut, summary="A placement")
def placement_detail(placement_id: PathId, session: SessionDep, principal: PlacementReader) -> Any:
    return placement_out(service.get_placement(session, principal=principal, placement_id=placement_id))


@router.put("/placements/{placement_id}/plan", response_model=PlacementOut,
            responses={422: {"description": "The plan breaks rules: each with field, key and reason"}},
            summary="Write the individual training plan (piano formativo individuale)")
def placement_plan(request: Request, placement_id: PathId, body: PlanIn, session: SessionDep,
                   principal: PlacementWriter) -> Any:
    data = body.model_dump(exclude={"version", "sign"})
    try:
        service.save_plan(session, actor=principal, placement_id=placement_id, version=body.version,
                          sign=body.sign, plan=service.PlanInput(**data))
    except REFUSED as exc:
        return refused(request, exc)
    session.commit()
    return placement_out(service.get_placement(session, principal=principal, placement_id=placement_id))


@router.post("/placements/{placement_id}/progress", response_model=PlacementOut, summary="Report progress")
def placement_progress(request: Request, placement_id: PathId, body: ProgressIn, session: SessionDep,
                       principal: PlacementWriter) -> Any:
    side = "firm" if principal.org_ids(types=(OrgType.FIRM,)) and not principal.org_ids(
        types=(OrgType.PROVIDER,)) else "centre"
    try:
        service.report_progress(session, actor=principal, placement_id=placement_id, side=side,
                                **body.model_dump())
    except REFUSED as exc:
        return refused(request, exc)
    session.commit()
    return placement_out(service.get_placement(session, principal=principal, placement_id=placement_id))


@router.put("/placements/{placement_id}/outcome", response_model=PlacementOut, summary="Record the outcome")
def placement_outcome(request: Request, placement_id: PathId, body: OutcomeIn, session: SessionDep,
                      principal: PlacementWriter) -> Any:
    try:
        service.record_outcome(session, actor=principal, placement_id=placement_id, **body.model_dump())
    except REFUSED as exc:
        return refused(request, exc)
    session.commit()
    return placement_out(service.get_placement(session, principal=principal, placement_id=placement_id))


# --- the Region's view -------------------------------------------------------------------------------------

@router.get("/system", summary="Places offered against demand per province and sector; contracts; outcomes")
def system(request: Request, session: SessionDep, principal: SystemReader,
           school_year: Annotated[str, Query(pattern=r"^\d{4}/\d{2}$")]) -> Response:
    return JSONResponse(service.overview(session, principal=principal, school_year=school_year,
                                         demand=getattr(request.app.state, "iefp_demand", None)))


document_problems(router)
