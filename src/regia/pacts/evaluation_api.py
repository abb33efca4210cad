"""REST API of admissibility, evaluation, ranking and outcome letters (under ``/api/pacts``).

Region actions need ``pact_decision``; evaluators act on their own assignments (``pact_evaluation``). Score
sheets carry their ``version``: a save based on a stale read gets 409, never a silent overwrite.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from regia.auth.policy import READ, WRITE, Resource, require
from regia.auth.principal import Principal
from regia.auth.schemas import document_problems
from regia.db import request_session
from regia.pacts import evaluation, letters, messages

SessionDep = Annotated[Session, Depends(request_session)]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
RegionReader = Annotated[Principal, Depends(require(READ, Resource.PACT_DECISION))]
RegionWriter = Annotated[Principal, Depends(require(WRITE, Resource.PACT_DECISION))]
EvalReader = Annotated[Principal, Depends(require(READ, Resource.PACT_EVALUATION))]
EvalWriter = Annotated[Principal, Depends(require(WRITE, Resource.PACT_EVALUATION))]
ProposalReader = Annotated[Principal, Depends(require(READ, Resource.PACT_PROPOSAL))]

router = APIRouter()
Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: {"description": "No such row"}}
CONFLICT: Responses = {409: {"description": "Not in this state, or changed since you read it (version)"}}
INVALID: Responses = {422: {"description": "Invalid input (the field is named)"}}


class Check(BaseModel):
    check: str
    passed: bool
    note: str = Field("", description="In Italian (as in the outcome letters)")
    key: str | None = Field(None, description="The note's message key (texts in regia.pacts.evaluation)")
    params: dict[str, Any] = Field(default_factory=dict, description="The values the note shows")
    message: str | None = Field(None, description="The note in English")


class AdmissibilityOut(BaseModel):
    proposal_id: int
    status: str
    checks: list[Check]
    all_passed: bool


class AdmissibilityIn(BaseModel):
    admissible: bool
    note: str = Field("", max_length=4000)


class ProposalOutcome(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    status: str
    version: int
    admissibility: list[dict[str, Any]] | None = None
    final_scores: dict[str, Any] | None = None
    total_score: Decimal | None = None
    rank: int | None = None
    rank_note: str | None = None
    granted: dict[str, str] | None = None


class AssignmentIn(BaseModel):
    evaluator_id: int = Field(ge=1, le=2**31 - 1)


class AssignmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    proposal_id: int
    evaluator_id: int
    assigned_by: str
    assigned_at: datetime
    conflict: bool | None
    conflict_note: str
    declared_at: datetime | None


class DeclarationIn(BaseModel):
    conflict: bool
    note: str = Field("", max_length=4000)


class CriterionScore(BaseModel):
    score: Decimal = Field(ge=0, le=1000)
    comment: str = Field("", max_length=4000)


Scores = dict[Annotated[str, Field(max_length=40)], CriterionScore]


class SheetIn(BaseModel):
    version: int = Field(ge=1, le=2**31 - 1)
    scores: Scores = Field(default_factory=dict, max_length=100)


class SubmitIn(BaseModel):
    version: int = Field(ge=1, le=2**31 - 1)


class ConsensusIn(BaseModel):
    version: int = Field(ge=1, le=2**31 - 1)
    changes: Scores = Field(max_length=100, description="only the criteria you changed")


class SheetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    proposal_id: int
    assignment_id: int | None
    scores: dict[str, Any]
    submitted_at: datetime | None
    version: int


class RankingRow(BaseModel):
    proposal_id: int
    title: str
    rank: int
    rank_note: str
    total_score: Decimal
    status: str
    requested: dict[str, Decimal]
    granted: dict[str, Decimal]


class RankingOut(BaseModel):
    call_id: int
    published: bool
    published_at: datetime | None
    pending: list[int]
    rows: list[RankingRow]
    budget: dict[str, Decimal]
    remaining: dict[str, Decimal]


def _scores(scores: Scores) -> dict[str, Any]:
    return {code: {"score": str(v.score), "comment": v.comment} for code, v in scores.items()}


def ranking_out(view: evaluation.RankingView) -> RankingOut:
    rows = [RankingRow(proposal_id=o.entry.key, title=view.proposals[o.entry.key].title, rank=o.rank,
                       rank_note=o.note, total_score=o.entry.total, status=o.status,
                       requested=dict(o.entry.requested), granted=o.granted) for o in view.selection.outcomes]
    return RankingOut(call_id=view.call.id, published=view.published, published_at=view.call.ranking_published_at,
                      pending=[p.id for p in view.pending], rows=rows, budget=evaluation.budget_of(view.call),
                      remaining=view.selection.remaining)


def _check(c: dict[str, Any]) -> Check:
    key = c.get("key")
    return Check(check=c["check"], passed=c["passed"], note=c.get("note") or "", key=key,
                 params=c.get("params") or {},
                 message=messages.text(key, "en", c.get("params")) if key else None)


@router.get("/proposals/{proposal_id}/admissibility", response_model=AdmissibilityOut,
            summary="Admissibility checks of a proposal", responses={**NOT_FOUND, **CONFLICT})
def get_admissibility(proposal_id: Id, session: SessionDep, principal: RegionReader) -> AdmissibilityOut:
    proposal, checks = evaluation.admissibility_of(session, principal=principal, proposal_id=proposal_id)
    return AdmissibilityOut(proposal_id=proposal.id, status=proposal.status, checks=[_check(c) for c in checks],
                            all_passed=all(c["passed"] for c in checks))


@router.post("/proposals/{proposal_id}/admissibility", response_model=ProposalOutcome,
             summary="Declare a proposal admissible or not", responses={**NOT_FOUND, **CONFLICT, **INVALID})
def decide_admissibility(proposal_id: Id, body: AdmissibilityIn, session: SessionDep,
                         principal: RegionWriter) -> ProposalOutcome:
    proposal = evaluation.decide_admissibility(session, actor=principal, proposal_id=proposal_id,
                                               admissible=body.admissible, note=body.note)
    session.commit()
    return ProposalOutcome.model_validate(proposal)


@router.get("/proposals/{proposal_id}/assignments", response_model=list[AssignmentOut],
            summary="Evaluators of a proposal")
def proposal_assignments(proposal_id: Id, session: SessionDep, principal: RegionReader) -> list[AssignmentOut]:
    rows = evaluation.list_assignments(session, principal=principal, proposal_id=proposal_id)
    return [AssignmentOut.model_validate(a) for a in rows]


@router.post("/proposals/{proposal_id}/assignments", response_model=AssignmentOut, status_code=201,
             summary="Assign an evaluator", responses={**NOT_FOUND, **CONFLICT, **INVALID})
def create_assignment(proposal_id: Id, body: AssignmentIn, session: SessionDep,
                      principal: RegionWriter) -> AssignmentOut:
    assignment = evaluation.assign(session, actor=principal, proposal_id=proposal_id,
                                   evaluator_id=body.evaluator_id)
    session.commit()
    return AssignmentOut.model_validate(assignment)


@router.get("/assignments", response_model=list[AssignmentOut], summary="My assignments (evaluators)")
def my_assignments(session: SessionDep, principal: EvalReader) -> list[AssignmentOut]:
    return [AssignmentOut.model_validate(a)
            for a in evaluation.list_assignments(session, principal=principal, mine=True)]


@router.post("/assignments/{assignment_id}/declaration", response_model=AssignmentOut,
             summary="Declare a conflict of interest, or none", responses={**NOT_FOUND, **CONFLICT, **INVALID})
def declare(assignment_id: Id, body: DeclarationIn, session: SessionDep, principal: EvalWriter) -> AssignmentOut:
    assignment = evaluation.declare(session, actor=principal, assignment_id=assignment_id, conflict=body.conflict,
                                    note=body.note)
    session.commit()
    return AssignmentOut.model_validate(assignment)


@router.get("/assignments/{assignment_id}/sheet", response_model=SheetOut, summary="My score sheet",
            responses=NOT_FOUND)
def get_sheet(assignment_id: Id, session: SessionDep, principal: EvalReader) -> SheetOut:
    return SheetOut.model_validate(evaluation.get_sheet(session, principal=principal, assignment_id=assignment_id))


@router.put("/assignments/{assignment_id}/sheet", response_model=SheetOut, summary="Save draft scores",
            responses={**NOT_FOUND, **CONFLICT, **INVALID})
def save_sheet(assignment_id: Id, body: SheetIn, session: SessionDep, principal: EvalWriter) -> SheetOut:
    sheet = evaluation.save_sheet(session, actor=principal, assignment_id=assignment_id,
                                  scores=_scores(body.scores), version=body.version)
    session.commit()
    return SheetOut.model_validate(sheet)


@router.post("/assignments/{assignment_id}/sheet/submit", response_model=SheetOut, summary="Submit my scores",
             responses={**NOT_FOUND, **CONFLICT, **INVALID})
def submit_sheet(assignment_id: Id, body: SubmitIn, session: SessionDep, principal: EvalWriter) -> SheetOut:
    sheet = evaluation.submit_sheet(session, actor=principal, assignment_id=assignment_id, version=body.version)
    session.commit()
    return SheetOut.model_validate(sheet)


@router.get("/proposals/{proposal_id}/consensus", response_model=SheetOut,
            summary="The panel's consensus sheet", responses=NOT_FOUND)
def get_consensus(proposal_id: Id, session: SessionDep, principal: EvalReader) -> SheetOut:
    return SheetOut.model_validate(evaluation.get_consensus(session, principal=principal, proposal_id=proposal_id))


@router.put("/proposals/{proposal_id}/consensus", response_model=SheetOut,
            summary="Change criteria of the consensus sheet (merged per criterion)",
            responses={**NOT_FOUND, **CONFLICT, **INVALID})
def save_consensus(proposal_id: Id, body: ConsensusIn, session: SessionDep, principal: EvalWriter) -> SheetOut:
    sheet = evaluation.save_consensus(session, actor=principal, proposal_id=proposal_id,
                                      changes=_scores(body.changes), version=body.version)
    session.commit()
    return SheetOut.model_validate(sheet)


@router.post("/proposals/{proposal_id}/evaluation/close", response_model=ProposalOutcome,
             summary="Aggregate the scores and close the evaluation", responses={**NOT_FOUND, **CONFLICT})
def close_evaluation(proposal_id: Id, session: SessionDep, principal: RegionWriter) -> ProposalOutcome:
    proposal = evaluation.close_evaluation(session, actor=principal, proposal_id=proposal_id)
    session.commit()
    return ProposalOutcome.model_validate(proposal)


@router.get("/calls/{call_id}/ranking", response_model=RankingOut,
            summary="The call's ranking: a preview, or the published one", responses=NOT_FOUND)
def get_ranking(call_id: Id, session: SessionDep, principal: RegionReader) -> RankingOut:
    return ranking_out(evaluation.preview_ranking(session, principal=principal, call_id=call_id))


@router.post("/calls/{call_id}/ranking/publish", response_model=RankingOut, summary="Publish the ranking",
             responses={**NOT_FOUND, **CONFLICT})
def publish_ranking(call_id: Id, session: SessionDep, principal: RegionWriter) -> RankingOut:
    view = evaluation.publish_ranking(session, actor=principal, call_id=call_id)
    session.commit()
    return ranking_out(view)


@router.get("/proposals/{proposal_id}/letter.pdf", summary="The outcome letter (PDF)",
            response_class=Response, responses={200: {"content": {"application/pdf": {}}}, **NOT_FOUND, **CONFLICT})
def letter(proposal_id: Id, session: SessionDep, principal: ProposalReader) -> Response:
    pdf = letters.letter_pdf(session, principal=principal, proposal_id=proposal_id)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="esito-proposta-{proposal_id}.pdf"'})


document_problems(router)
