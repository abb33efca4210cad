"""The programming API under ``/api/programming``: funding sources, agreements (status, amendments, documents),
plans and tranches, scenarios (save, import/export, build from Regia's data, optimise, compare, apply to a plan)
and the Cabina di regia (JSON, CSV, XLSX).

Errors are problem details with a stable ``key`` and ``params``, the English ``message`` and the Italian
``messaggio``; a plan's broken rules come as ``issues`` (each with its line and year), a bad scenario's as
``problems`` (each with its path in the document).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from http import HTTPStatus
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from regia.auth.errors import DomainError
from regia.auth.policy import READ, WRITE, Resource, require
from regia.auth.principal import Principal
from regia.db import request_session
from regia.i18n import gettext
from regia.programming import cabina, optimiser, scenarios, service
from regia.programming.scenario import ScenarioError, parse
from regia.programming.schemas import (
    SCENARIO_EXAMPLE,
    AgreementChanges,
    AgreementIn,
    AgreementOut,
    AmendmentIn,
    ApplyIn,
    BuildIn,
    PlanIn,
    PlanSave,
    SourceChanges,
    SourceIn,
    SpentIn,
    StatusIn,
    plan_json,
    scenario_json,
)


def problem_body(exc: DomainError) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "about:blank", "title": HTTPStatus(exc.status).phrase, "status": exc.status,
                            "detail": exc.detail, "field": exc.field, "key": exc.key, "params": exc.params}
    if exc.key:
        params = {k: v for k, v in exc.params.items()}
        body["message"] = _text(exc.key, "en", params, exc.detail)
        body["messaggio"] = _text(exc.key, "it", params, exc.detail)
    if isinstance(exc, service.PlanRulesBroken):
        body["issues"] = [i.as_dict("en") for i in exc.issues]
    if isinstance(exc, ScenarioError):
        body["problems"] = [{"path": p, "message": m} for p, m in exc.problems]
    return body


def _text(key: str, lang: str, params: dict[str, Any], fallback: str) -> str:
    try:
        return gettext(key, lang, **params)
    except (KeyError, ValueError, TypeError):
        return fallback


class DomainErrors(APIRoute):
    """Routes of this router answer a service's :class:`DomainError` with the problem details above."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except DomainError as exc:
                if exc.status in (401,):
                    raise
                return JSONResponse(problem_body(exc), status_code=exc.status,
                                    media_type="application/problem+json")

        return route


router = APIRouter(prefix="/api/programming", tags=["programming"], route_class=DomainErrors, responses={
    401: {"description": "Not authenticated (problem details)"},
    403: {"description": "Refused by the access policy (problem details)"},
    409: {"description": "Conflict: wrong status or a stale version (problem details with key)"},
})
SessionDep = Annotated[Session, Depends(request_session)]
Id = Annotated[int, Path(ge=1, le=2_147_483_647)]
Reader = Annotated[Principal, Depends(require(READ, Resource.PROGRAMMING))]
Writer = Annotated[Principal, Depends(require(WRITE, Resource.PROGRAMMING))]
Analyst = Annotated[Principal, Depends(require(READ, Resource.PROGRAMMING_SCENARIO))]
Planner = Annotated[Principal, Depends(require(WRITE, Resource.PROGRAMMING_SCENARIO))]


def _source(s: Any) -> dict[str, Any]:
    return {"id": s.id, "code": s.code, "name": s.name, "kind": s.kind, "priority": s.priority,
            "organisation_id": s.organisation_id, "targets": s.targets,
            "envelopes": {str(e.year): str(e.amount) for e in s.envelopes}}


# --- sources ---------------------------------------------------------------------------------------------------

@router.get("/sources", summary="Funding sources, their eligibility rules and annual envelopes")
def list_sources(session: SessionDep, principal: Reader) -> list[dict[str, Any]]:
    return [_source(s) for s in service.list_sources(session, principal=principal)]


@router.post("/sources", status_code=201, summary="Add a funding source (Region staff)")
def create_source(body: SourceIn, session: SessionDep, principal: Writer) -> dict[str, Any]:
    source = service.create_source(session, actor=principal, **body.model_dump())
    session.commit()
    return _source(source)


@router.patch("/sources/{source_id}", summary="Change a source's eligibility rule, name or envelopes (Region)")
def update_source(source_id: Id, body: SourceChanges, session: SessionDep, principal: Writer) -> dict[str, Any]:
    source = service.update_source(session, actor=principal, id=source_id, **body.model_dump())
    session.commit()
    return _source(source)


# --- agreements ------------------------------------------------------------------------------------------------

@router.get("/agreements", response_model=list[AgreementOut], summary="Agreements the caller may read")
def list_agreements(session: SessionDep, principal: Reader) -> list[AgreementOut]:
    return [AgreementOut.of(a) for a in service.list_agreements(session, principal=principal)]


@router.post("/agreements", status_code=201, response_model=AgreementOut, summary="Create an agreement (Region)")
def create_agreement(body: AgreementIn, session: SessionDep, principal: Writer) -> AgreementOut:
    values = body.model_dump(mode="python")
    values["signatories"] = [s.model_dump(mode="json") for s in body.signatories]
    agreement = service.create_agreement(session, actor=principal, **values)
    session.commit()
    return AgreementOut.of(agreement)


@router.get("/agreements/{agreement_id}", response_model=AgreementOut, summary="One agreement")
def get_agreement(agreement_id: Id, session: SessionDep, principal: Reader) -> AgreementOut:
    return AgreementOut.of(service.get_agreement(session, principal=principal, id=agreement_id))


@router.patch("/agreements/{agreement_id}", response_model=AgreementOut,
              summary="Edit a draft (the Region all of it, the Fund its commitments)")
def update_agreement(agreement_id: Id, body: AgreementChanges, session: SessionDep,
                     principal: Writer) -> AgreementOut:
    agreement = service.update_agreement(session, actor=principal, id=agreement_id, version=body.version,
                                         changes=body.changes)
    session.commit()
    return AgreementOut.of(agreement)


@router.post("/agreements/{agreement_id}/amendments", status_code=201, summary="Amend a signed agreement")
def amend(agreement_id: Id, body: AmendmentIn, session: SessionDep, principal: Writer) -> dict[str, Any]:
    amendment = service.amend(session, actor=principal, id=agreement_id, version=body.version,
                              summary=body.summary, changes=body.changes)
    session.commit()
    return {"number": amendment.number, "summary": amendment.summary, "before": amendment.before,
            "after": amendment.after}


@router.post("/agreements/{agreement_id}/status", response_model=AgreementOut,
             summary="Sign, bring into force or close an agreement (Region)")
def move(agreement_id: Id, body: StatusIn, session: SessionDep, principal: Writer) -> AgreementOut:
    agreement = service.move_agreement(session, actor=principal, id=agreement_id, target=body.target,
                                       note=body.note)
    session.commit()
    return AgreementOut.of(agreement)


@router.get("/agreements/{agreement_id}/documents", summary="Documents of an agreement")
def list_documents(agreement_id: Id, session: SessionDep, principal: Reader) -> list[dict[str, Any]]:
    return [{"id": d.id, "kind": d.kind, "filename": d.filename, "content_type": d.content_type, "size": d.size,
             "sha256": d.sha256, "uploaded_at": d.uploaded_at.isoformat()}
            for d in service.list_documents(session, principal=principal, agreement_id=agreement_id)]


@router.post("/agreements/{agreement_id}/documents", status_code=201,
             summary="Upload a PDF, PNG or JPEG (at most 5 MB) to an agreement")
async def upload_document(agreement_id: Id, session: SessionDep, principal: Writer,
                          file: Annotated[UploadFile, File()],
                          kind: Annotated[str, Form(max_length=20)] = "agreement") -> dict[str, Any]:
    data = await file.read(service.MAX_DOCUMENT_BYTES + 1)
    document = service.upload_document(session, actor=principal, agreement_id=agreement_id,
                                       filename=file.filename or "documento", data=data, kind=kind)
    session.commit()
    return {"id": document.id, "filename": document.filename, "sha256": document.sha256, "size": document.size}


@router.get("/agreements/{agreement_id}/documents/{document_id}", summary="Download a document",
            response_class=Response)
def download_document(agreement_id: Id, document_id: Id, session: SessionDep, principal: Reader) -> Response:
    d = service.get_document(session, principal=principal, agreement_id=agreement_id, id=document_id)
    return Response(d.data, media_type=d.content_type,
                    headers={"Content-Disposition": f'attachment; filename="{d.filename}"'})


# --- plans -----------------------------------------------------------------------------------------------------

@router.post("/agreements/{agreement_id}/plans", status_code=201, summary="Create a multi-year plan (Region)")
def create_plan(agreement_id: Id, body: PlanIn, session: SessionDep, principal: Writer) -> dict[str, Any]:
    plan = service.create_plan(session, actor=principal, agreement_id=agreement_id, **body.model_dump())
    session.commit()
    return plan_json(plan)


@router.get("/plans/{plan_id}", summary="A plan: lines with indicators, costs and tranches per source and year")
def get_plan(plan_id: Id, session: SessionDep, principal: Reader) -> dict[str, Any]:
    return plan_json(service.get_plan(session, principal=principal, id=plan_id))


@router.put("/plans/{plan_id}", summary="Save a plan's lines and tranches (rules checked: 422 with issues)")
def save_plan(plan_id: Id, body: PlanSave, session: SessionDep, principal: Writer) -> dict[str, Any]:
    plan = service.save_plan(session, actor=principal, plan_id=plan_id, version=body.version, lines=body.lines,
                             tranches=body.tranches)
    session.commit()
    return plan_json(service.get_plan(session, principal=principal, id=plan.id))


@router.get("/plans/{plan_id}/check", summary="The plan's broken rules, each with its line and year")
def check_plan(plan_id: Id, session: SessionDep, principal: Reader) -> dict[str, Any]:
    issues = service.check_plan(session, principal=principal, plan_id=plan_id)
    return {"ok": not issues, "issues": [i.as_dict("en") for i in issues]}


@router.post("/plans/{plan_id}/spent", summary="Record a tranche's spending so far (monitoring)")
def record_spent(plan_id: Id, body: SpentIn, session: SessionDep, principal: Writer) -> dict[str, Any]:
    t = service.record_spent(session, actor=principal, plan_id=plan_id, **body.model_dump())
    session.commit()
    return {"line": body.line, "source": body.source, "year": t.year, "planned": str(t.planned),
            "committed": str(t.committed), "spent": str(t.spent)}


# --- scenarios and the optimiser -----------------------------------------------------------------------------

ScenarioBody = Annotated[dict[str, Any], Body(examples=[SCENARIO_EXAMPLE],
                                              description="A scenario (format: regia.programming README)")]


@router.post("/optimise", summary="Optimise a scenario without saving it (the JSON contract of the CLI)")
def optimise(body: ScenarioBody, principal: Analyst, integer: bool = False,
             status_quo: bool = False) -> JSONResponse:
    """Answers `{"status", "objective", "allocations": [{"cell", "source", "year", "participants", "euros"}],
    "duals", "binding", "unspent", ...}`; an infeasible scenario answers 200 with `status` "infeasible",
    `conflicts` and `message`."""
    scenario = parse(body)
    out = optimiser.solve(scenario, integer=integer or None).to_json()
    if status_quo:
        out["status_quo"] = optimiser.status_quo(scenario).to_json()
    return JSONResponse(out)


@router.get("/scenarios", summary="Saved scenarios, newest version first")
def list_scenarios(session: SessionDep, principal: Analyst) -> list[dict[str, Any]]:
    return [scenario_json(r) for r in scenarios.list_scenarios(session, principal=principal)]


@router.post("/scenarios", status_code=201, summary="Save (import) a scenario: a taken name gets a new version")
def save_scenario(body: ScenarioBody, session: SessionDep, principal: Planner) -> dict[str, Any]:
    row = scenarios.save(session, actor=principal, document=body)
    session.commit()
    return scenario_json(row, body=True)


@router.post("/scenarios/build", status_code=201, summary="Build a scenario from Regia's data (and save it)")
def build_scenario(request: Request, body: BuildIn, session: SessionDep, principal: Planner) -> dict[str, Any]:
    needs = getattr(request.app.state, "programming_needs", None) or (lambda provinces: {})
    scenario = scenarios.build(session, request.app.state.engine, principal=principal, name=body.name,
                               years=body.years, needs=needs, plan_ids=body.plan_ids,
                               target_shares=body.target_shares, weights=body.weights)
    if not body.save:
        return {"scenario": scenario.to_json()}
    row = scenarios.save(session, actor=principal, document=scenario.to_json())
    session.commit()
    return scenario_json(row, body=True)


@router.get("/scenarios/compare", summary="Scenarios side by side, each with its status quo")
def compare(session: SessionDep, principal: Analyst,
            ids: Annotated[list[Annotated[int, Query(ge=1, le=2_147_483_647)]], Query(min_length=1, max_length=6)]
            ) -> dict[str, Any]:
    return scenarios.compare(session, principal=principal, ids=ids)


@router.get("/scenarios/{scenario_id}", summary="A saved scenario with its optimisation and status quo")
def get_scenario(scenario_id: Id, session: SessionDep, principal: Analyst) -> dict[str, Any]:
    return scenario_json(scenarios.get(session, principal=principal, id=scenario_id), body=True)


@router.get("/scenarios/{scenario_id}/export", summary="The scenario document, to share (JSON file)")
def export_scenario(scenario_id: Id, session: SessionDep, principal: Analyst) -> JSONResponse:
    row = scenarios.get(session, principal=principal, id=scenario_id)
    name = "".join(c if c.isalnum() else "-" for c in row.name)[:60] or "scenario"
    return JSONResponse(row.body, headers={"Content-Disposition": f'attachment; filename="{name}-v{row.version}.json"'})


@router.post("/scenarios/{scenario_id}/run", summary="Optimise a saved scenario again")
def run_scenario(scenario_id: Id, session: SessionDep, principal: Planner, integer: bool = False
                 ) -> dict[str, Any]:
    row = scenarios.run(session, actor=principal, id=scenario_id, integer=integer)
    session.commit()
    return scenario_json(row, body=True)


@router.post("/scenarios/{scenario_id}/apply", summary="Turn the optimised allocation into a plan's tranches")
def apply_scenario(scenario_id: Id, body: ApplyIn, session: SessionDep, principal: Planner) -> dict[str, Any]:
    plan = scenarios.apply_to_plan(session, actor=principal, id=scenario_id, plan_id=body.plan_id)
    session.commit()
    return plan_json(service.get_plan(session, principal=principal, id=plan.id))


# --- the Cabina di regia -----------------------------------------------------------------------------------------

def _overview(request: Request, session: Session, principal: Principal) -> cabina.Overview:
    return cabina.overview(session, principal=principal, needs=getattr(request.app.state, "programming_needs", None))


@router.get("/cabina", summary="Agreements, tranches per source and year, coverage of needs")
def cabina_json(request: Request, session: SessionDep, principal: Reader) -> dict[str, Any]:
    view = _overview(request, session, principal)
    return {"agreements": [{"id": a.id, "code": a.code, "title": a.title, "status": a.status,
                            "fund": view.fund_names.get(a.fund_id)} for a in view.agreements],
            "tranches": [{k: (str(v) if k in ("planned", "committed", "spent") else v) for k, v in r.items()}
                         for r in view.rows],
            "by_source_year": [{"source": s, "year": y, "planned": str(f.planned), "committed": str(f.committed),
                                "spent": str(f.spent)} for (s, y), f in sorted(view.by_source_year.items())],
            "others": [{"year": y, "planned": str(f.planned), "committed": str(f.committed), "spent": str(f.spent)}
                       for y, f in sorted(view.others.items())],
            "coverage": view.coverage}


@router.get("/cabina.csv", summary="The Cabina's tranches as CSV", response_class=Response)
def cabina_csv(request: Request, session: SessionDep, principal: Reader) -> Response:
    return Response(cabina.to_csv(_overview(request, session, principal)), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="cabina-programmazione.csv"'})


@router.get("/cabina.xlsx", summary="The Cabina's tranches as an Excel workbook", response_class=Response)
def cabina_xlsx(request: Request, session: SessionDep, principal: Reader) -> Response:
    return Response(cabina.to_xlsx(_overview(request, session, principal)),
                    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": 'attachment; filename="cabina-programmazione.xlsx"'})
