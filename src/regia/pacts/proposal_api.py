"""REST API of calls and pact proposals: calls (public read, Region staff write); proposals with their
validation, submission, reopening, frozen versions and documents (letters of commitment)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from sqlalchemy.orm import Session

from regia.auth.policy import READ, WRITE, Resource, require
from regia.auth.principal import Principal
from regia.auth.schemas import Page, document_problems
from regia.db import request_session
from regia.pacts import calls, documents, evidence, service
from regia.pacts.manifestation import Issue
from regia.pacts.models import Call
from regia.pacts.schemas import (
    CallIn,
    CallOut,
    CallUpdate,
    DocumentOut,
    IssueOut,
    ProposalIn,
    ProposalOut,
    ProposalUpdate,
    Status,
    ValidationOut,
    VersionOut,
    VersionSummary,
)

SessionDep = Annotated[Session, Depends(request_session)]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Reader = Annotated[Principal, Depends(require(READ, Resource.PACT_PROPOSAL))]
Writer = Annotated[Principal, Depends(require(WRITE, Resource.PACT_PROPOSAL))]
CallReader = Annotated[Principal, Depends(require(READ, Resource.PACT_CALL))]
CallWriter = Annotated[Principal, Depends(require(WRITE, Resource.PACT_CALL))]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such proposal"}}

router = APIRouter(responses={
    401: {"description": "Not authenticated (problem details)"},
    403: {"description": "Refused by the access policy (problem details)"},
})


def _call_out(call: Call) -> CallOut:
    out = CallOut.model_validate(call)
    out.phase = calls.phase(call)
    return out


def _issue_out(issue: Issue) -> IssueOut:
    return IssueOut(**issue.as_dict())


# --- calls ---------------------------------------------------------------------------------------------------

@router.get("/calls", response_model=Page[CallOut], summary="Calls for pacts (public)")
def list_calls(session: SessionDep, principal: CallReader,
               limit: Annotated[int, Query(ge=1, le=200)] = 50,
               offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> Page[CallOut]:
    rows, total = calls.list_calls(session, principal=principal, limit=limit, offset=offset)
    return Page(items=[_call_out(c) for c in rows], total=total, limit=limit, offset=offset)


@router.post("/calls", response_model=CallOut, status_code=201, summary="Create a call (Region staff)",
             responses={409: {"description": "A call with this code exists"}})
def create_call(body: CallIn, session: SessionDep, principal: CallWriter) -> CallOut:
    call = calls.create(session, actor=principal, **body.values())
    session.commit()
    return _call_out(call)


@router.get("/calls/{call_id}", response_model=CallOut, summary="One call (public)",
            responses={404: {"description": "No such call"}})
def get_call(call_id: Id, session: SessionDep, principal: CallReader) -> CallOut:
    return _call_out(calls.get(session, id=call_id))


@router.put("/calls/{call_id}", response_model=CallOut, summary="Change a call (Region staff)",
            responses={404: {"description": "No such call"},
                       409: {"description": "Changed since you read it (version), or the code is taken"}})
def update_call(call_id: Id, body: CallUpdate, session: SessionDep, principal: CallWriter) -> CallOut:
    values = body.values()
    version = values.pop("version")
    call = calls.update(session, actor=principal, id=call_id, version=version, **values)
    session.commit()
    return _call_out(call)


# --- proposals -----------------------------------------------------------------------------------------------

@router.get("/proposals", response_model=Page[ProposalOut], summary="Proposals you may read")
def list_proposals(session: SessionDep, principal: Reader,
                   limit: Annotated[int, Query(ge=1, le=200)] = 50,
                   offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
                   status: Status | None = None,
                   call_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None) -> Page[ProposalOut]:
    """Your partnerships' proposals; evaluators and Funds also see every submitted one; the Region all."""
    rows, total = service.list_visible(session, principal=principal, limit=limit, offset=offset, status=status,
                                       call_id=call_id)
    return Page(items=[ProposalOut.model_validate(p) for p in rows], total=total, limit=limit, offset=offset)


@router.post("/proposals", response_model=ProposalOut, status_code=201, summary="Start a draft proposal",
             responses={409: {"description": "The call is not open"}})
def create_proposal(body: ProposalIn, session: SessionDep, principal: Writer) -> ProposalOut:
    proposal = service.create(session, actor=principal, title=body.title, body=body.body.model_dump(mode="json"),
                              organisation_id=body.organisation_id, call_id=body.call_id)
    session.commit()
    return ProposalOut.model_validate(proposal)


@router.get("/proposals/{proposal_id}", response_model=ProposalOut, summary="One proposal", responses=NOT_FOUND)
def get_proposal(proposal_id: Id, session: SessionDep, principal: Reader) -> ProposalOut:
    return ProposalOut.model_validate(service.get(session, principal=principal, id=proposal_id))


@router.put("/proposals/{proposal_id}", response_model=ProposalOut, summary="Edit a draft proposal",
            responses={**NOT_FOUND,
                       409: {"description": "Submitted already, or changed since you read it (version)"}})
def update_proposal(proposal_id: Id, body: ProposalUpdate, session: SessionDep, principal: Writer) -> ProposalOut:
    proposal = service.update(session, actor=principal, id=proposal_id, title=body.title,
                              body=body.body.model_dump(mode="json"), version=body.version)
    session.commit()
    return ProposalOut.model_validate(proposal)


@router.get("/proposals/{proposal_id}/validation", response_model=ValidationOut, responses=NOT_FOUND,
            summary="What is missing or inconsistent before submission")
def validate_proposal(proposal_id: Id, session: SessionDep, principal: Reader) -> ValidationOut:
    issues = service.validate(session, principal=principal, id=proposal_id)
    return ValidationOut(ready=not issues, issues=[_issue_out(i) for i in issues])


@router.post("/proposals/{proposal_id}/submit", response_model=ProposalOut, summary="Submit a draft proposal",
             responses={**NOT_FOUND, 409: {"description": "Not a draft, or the call's deadline has passed"},
                        422: {"description": "The manifestation is incomplete: `errors` lists every issue"}})
def submit_proposal(proposal_id: Id, request: Request, session: SessionDep, principal: Writer) -> ProposalOut:
    """Freezes the manifestation as a new version with the evidence snapshot of its territory and sectors."""
    provider = evidence.provider_for(request.app.state, session.get_bind())
    try:
        proposal = service.submit(session, actor=principal, id=proposal_id, evidence_provider=provider)
    except service.IncompleteManifestation as exc:
        session.rollback()
        raise RequestValidationError([{"loc": ("body", *i.path.split(".")), "msg": i.text("en"), "type": i.key}
                                      for i in exc.issues]) from None
    session.commit()
    return ProposalOut.model_validate(proposal)


@router.post("/proposals/{proposal_id}/reopen", response_model=ProposalOut, summary="Back to draft",
             responses={**NOT_FOUND, 409: {"description": "Not submitted, or the call's deadline has passed"}})
def reopen_proposal(proposal_id: Id, session: SessionDep, principal: Writer) -> ProposalOut:
    """Only before the deadline; the frozen versions stay and the next submission adds one."""
    proposal = service.reopen(session, actor=principal, id=proposal_id)
    session.commit()
    return ProposalOut.model_validate(proposal)


@router.get("/proposals/{proposal_id}/versions", response_model=list[VersionSummary], responses=NOT_FOUND,
            summary="The submitted (frozen) versions")
def list_versions(proposal_id: Id, session: SessionDep, principal: Reader) -> list[VersionSummary]:
    return [VersionSummary.model_validate(v) for v in service.versions(session, principal=principal,
                                                                       id=proposal_id)]


@router.get("/proposals/{proposal_id}/versions/{number}", response_model=VersionOut, responses=NOT_FOUND,
            summary="One frozen version with its evidence snapshot")
def get_version(proposal_id: Id, number: Annotated[int, Path(ge=1, le=10_000)], session: SessionDep,
                principal: Reader) -> VersionOut:
    return VersionOut.model_validate(service.get_version(session, principal=principal, id=proposal_id,
                                                         number=number))


# --- documents -----------------------------------------------------------------------------------------------

@router.post("/proposals/{proposal_id}/documents", response_model=DocumentOut, status_code=201,
             summary="Upload a letter of commitment (PDF, PNG or JPEG, at most 5 MB)",
             responses={**NOT_FOUND, 409: {"description": "The proposal is not a draft"}})
async def upload_document(proposal_id: Id, session: SessionDep, principal: Writer,
                          file: Annotated[UploadFile, File(description="The file")],
                          partner_tax_code: Annotated[str, Form(max_length=16)] = "",
                          kind: Annotated[str, Form(max_length=40)] = "commitment_letter") -> DocumentOut:
    data = await file.read(documents.MAX_BYTES + 1)
    document = documents.upload(session, actor=principal, proposal_id=proposal_id,
                                filename=file.filename or "documento", data=data, kind=kind,
                                partner_tax_code=partner_tax_code or None)
    session.commit()
    return DocumentOut.model_validate(document)


@router.get("/proposals/{proposal_id}/documents", response_model=list[DocumentOut], responses=NOT_FOUND,
            summary="The proposal's documents")
def list_documents(proposal_id: Id, session: SessionDep, principal: Reader) -> list[DocumentOut]:
    return [DocumentOut.model_validate(d)
            for d in documents.list_documents(session, principal=principal, proposal_id=proposal_id)]


@router.get("/proposals/{proposal_id}/documents/{document_id}", summary="Download a document",
            responses={**NOT_FOUND, 200: {"description": "The file", "content": {
                "application/pdf": {}, "image/png": {}, "image/jpeg": {}}}})
def download_document(proposal_id: Id, document_id: Id, session: SessionDep, principal: Reader) -> Response:
    document = documents.get(session, principal=principal, proposal_id=proposal_id, id=document_id)
    return Response(document.data, media_type=document.content_type, headers={
        "Content-Disposition": f'attachment; filename="{document.filename}"',
        "X-Content-Type-Options": "nosniff", "ETag": f'"{document.sha256}"'})


document_problems(router)
