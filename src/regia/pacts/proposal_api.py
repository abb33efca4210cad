"""REST API of pact proposals."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy.orm import Session

from regia.auth.policy import READ, WRITE, Resource, require
from regia.auth.principal import Principal
from regia.auth.schemas import Page, document_problems
from regia.db import request_session
from regia.pacts import service
from regia.pacts.schemas import ProposalIn, ProposalOut, ProposalUpdate

SessionDep = Annotated[Session, Depends(request_session)]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Reader = Annotated[Principal, Depends(require(READ, Resource.PACT_PROPOSAL))]
Writer = Annotated[Principal, Depends(require(WRITE, Resource.PACT_PROPOSAL))]

router = APIRouter(responses={
    401: {"description": "Not authenticated (problem details)"},
    403: {"description": "Refused by the access policy (problem details)"},
})


@router.get("/proposals", response_model=Page[ProposalOut], summary="Proposals you may read")
def list_proposals(session: SessionDep, principal: Reader,
                   limit: Annotated[int, Query(ge=1, le=200)] = 50,
                   offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
                   status: Literal["draft", "submitted"] | None = None) -> Page[ProposalOut]:
    """Your partnerships' proposals; evaluators and Funds also see every submitted one; the Region all."""
    rows, total = service.list_visible(session, principal=principal, limit=limit, offset=offset, status=status)
    return Page(items=[ProposalOut.model_validate(p) for p in rows], total=total, limit=limit, offset=offset)


@router.post("/proposals", response_model=ProposalOut, status_code=201, summary="Start a draft proposal")
def create_proposal(body: ProposalIn, session: SessionDep, principal: Writer) -> ProposalOut:
    proposal = service.create(session, actor=principal, title=body.title, body=body.body,
                              organisation_id=body.organisation_id)
    session.commit()
    return ProposalOut.model_validate(proposal)


@router.get("/proposals/{proposal_id}", response_model=ProposalOut, summary="One proposal",
            responses={404: {"description": "No such proposal"}})
def get_proposal(proposal_id: Id, session: SessionDep, principal: Reader) -> ProposalOut:
    return ProposalOut.model_validate(service.get(session, principal=principal, id=proposal_id))


@router.put("/proposals/{proposal_id}", response_model=ProposalOut, summary="Edit a draft proposal",
            responses={404: {"description": "No such proposal"},
                       409: {"description": "Submitted already, or changed since you read it (version)"}})
def update_proposal(proposal_id: Id, body: ProposalUpdate, session: SessionDep, principal: Writer) -> ProposalOut:
    proposal = service.update(session, actor=principal, id=proposal_id, title=body.title, body=body.body,
                              version=body.version)
    session.commit()
    return ProposalOut.model_validate(proposal)


@router.post("/proposals/{proposal_id}/submit", response_model=ProposalOut, summary="Submit a draft proposal",
             responses={404: {"description": "No such proposal"}, 409: {"description": "Already submitted"}})
def submit_proposal(proposal_id: Id, session: SessionDep, principal: Writer) -> ProposalOut:
    proposal = service.submit(session, actor=principal, id=proposal_id)
    session.commit()
    return ProposalOut.model_validate(proposal)


document_problems(router)
