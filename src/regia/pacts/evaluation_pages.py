"""Pages of the pacts' evaluation (Italian first): the evaluator's assignments, the declaration of conflicts
of interest, the score sheet, the panel's consensus sheet; the Region's admissibility and assignment page of
a proposal; the ranking of a call with its publication. Decisions are taken by :mod:`regia.pacts.evaluation`."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from regia.auth.errors import Conflict, DomainError, InvalidInput, NotFound
from regia.auth.models import User
from regia.auth.policy import READ, WRITE, Resource, can, require
from regia.auth.principal import Principal
from regia.db import request_session
from regia.i18n import N_
from regia.pacts import evaluation, messages, page_kit, ranking
from regia.pacts.models import ADMISSIBLE, EVALUATED, SUBMITTED, Call, Proposal
from regia.pacts.page_kit import concept_names, org_names, render

SessionDep = Annotated[Session, Depends(request_session)]
RegionReader = Annotated[Principal, Depends(require(READ, Resource.PACT_DECISION))]
RegionWriter = Annotated[Principal, Depends(require(WRITE, Resource.PACT_DECISION))]
EvalReader = Annotated[Principal, Depends(require(READ, Resource.PACT_EVALUATION))]
EvalWriter = Annotated[Principal, Depends(require(WRITE, Resource.PACT_EVALUATION))]

router = APIRouter()


def _redirect(request: Request, name: str, done: str | None = None, **params: int) -> Response:
    return page_kit.redirect(request, name, f"done={done}" if done else "", **params)


def _error_key(exc: DomainError) -> str:
    return N_("eval.error.conflict") if isinstance(exc, Conflict) else N_("eval.error.invalid")


def _lang(request: Request) -> str:
    return "en" if getattr(request.state, "lang", "it") == "en" else "it"


def _message(request: Request, exc: DomainError) -> str | None:
    """The error's own message in the page's language (its key); without a key, its English detail on English
    pages and nothing on Italian ones (the general message of :func:`_error_key` says it in Italian)."""
    lang = _lang(request)
    if exc.key:
        return messages.text(exc.key, lang, exc.params)
    return exc.detail if lang == "en" else None


def _criterion_of(field: str | None) -> str | None:
    """``scores.C2`` → ``C2`` (the criterion an error is about)."""
    return field.split(".", 1)[1] if field and field.startswith("scores.") else None


def _form_scores(form: Any, codes: list[str], *, only_changed: bool = False) -> dict[str, dict[str, str]]:
    """``score-<code>`` / ``comment-<code>`` fields; with ``only_changed``, those differing from the
    ``base-<code>`` / ``basecomment-<code>`` values the page was rendered with."""
    scores: dict[str, dict[str, str]] = {}
    for code in codes:
        value = str(form.get(f"score-{code}") or "").strip().replace(",", ".")
        comment = str(form.get(f"comment-{code}") or "").strip()
        if only_changed and (value, comment) == (str(form.get(f"base-{code}") or ""),
                                                 str(form.get(f"basecomment-{code}") or "")):
            continue
        if value or comment:
            scores[code] = {"score": value, "comment": comment}
    return scores


# --- the evaluator's side -----------------------------------------------------------------------------------

@router.get("/evaluation", response_class=HTMLResponse, name="pact_eval_home")
def evaluation_home(request: Request, session: SessionDep, principal: EvalReader) -> Response:
    """Evaluators: their assignments. Region staff: proposals to check and evaluate, and the calls' rankings."""
    mine = evaluation.list_assignments(session, principal=principal, mine=True)
    proposals = {p.id: p for p in session.scalars(select(Proposal).where(
        Proposal.id.in_([a.proposal_id for a in mine])))} if mine else {}
    region = can(principal, READ, Resource.PACT_DECISION)
    queue: list[Proposal] = []
    calls: list[Call] = []
    if region:
        queue = list(session.scalars(select(Proposal).where(Proposal.status.in_(
            (SUBMITTED, ADMISSIBLE, EVALUATED))).order_by(Proposal.call_id, Proposal.id)))
        calls = list(session.scalars(select(Call).order_by(Call.manifestation_deadline.desc())))
    orgs = org_names(session, {p.organisation_id for p in (*proposals.values(), *queue)})
    return render(request, "evaluation_list.html", {"assignments": mine, "proposals": proposals, "region": region,
                                                     "queue": queue, "calls": calls, "orgs": orgs})


def _assignment_page(request: Request, session: Session, principal: Principal, assignment_id: int, *,
                     error: str | None = None, detail: str | None = None, form: dict[str, Any] | None = None,
                     unsaved: dict[str, dict[str, str]] | None = None, message: str | None = None,
                     status_code: int = 200) -> Response:
    assignment = evaluation.get_assignment(session, principal=principal, assignment_id=assignment_id)
    proposal = session.get(Proposal, assignment.proposal_id)
    assert proposal is not None
    call = session.get(Call, proposal.call_id) if proposal.call_id is not None else None
    version = evaluation.latest_version(session, proposal)
    own = assignment.evaluator_id == principal.user_id
    sheet = assignment.sheet
    # the panel's consensus sheet: always for calls that ask for consensus, otherwise once the spread shows
    needs_consensus = bool(call and sheet and assignment.conflict is False and (
        call.aggregation == "consensus" or (sheet.submitted_at and
                                             evaluation.aggregate(session, proposal=proposal).needs_consensus)))
    return render(request, "evaluation_sheet.html", {
        "assignment": assignment, "proposal": proposal, "call": call, "grid": evaluation.grid_of(call) if call else [],
        "body": version.body if version is not None else proposal.body, "evidence": version.evidence if version else {},
        "labels": concept_names(session, getattr(request.state, "lang", "it"), codes=(
            (version.body if version is not None else proposal.body) or {}).get("territory", {}).get("nuts3", [])),
        "sheet": sheet, "own": own, "editable": own and sheet is not None and sheet.submitted_at is None
        and proposal.status == ADMISSIBLE, "csrf_token": principal.csrf or "", "error": error, "detail": detail,
        "form": form or {}, "done": request.query_params.get("done"), "needs_consensus": needs_consensus,
        "unsaved": unsaved or {}, "error_code": _criterion_of(detail), "message": message,
        "org_name": org_names(session, {proposal.organisation_id}).get(proposal.organisation_id, ""),
    }, status_code)


@router.get("/evaluation/assignments/{assignment_id}", response_class=HTMLResponse, name="pact_eval_assignment")
def assignment_page(request: Request, assignment_id: int, session: SessionDep, principal: EvalReader) -> Response:
    return _assignment_page(request, session, principal, assignment_id)


@router.post("/evaluation/assignments/{assignment_id}/declaration", response_class=HTMLResponse,
             name="pact_eval_declare")
def declare(request: Request, assignment_id: int, session: SessionDep, principal: EvalWriter,
            conflict: Annotated[str, Form(max_length=3)] = "",
            note: Annotated[str, Form(max_length=4000)] = "") -> Response:
    try:
        if conflict not in ("yes", "no"):
            raise InvalidInput("choose yes or no", field="conflict", key=N_("eval.error.choose"))
        evaluation.declare(session, actor=principal, assignment_id=assignment_id, conflict=conflict == "yes",
                           note=note)
    except (Conflict, InvalidInput) as exc:
        session.rollback()
        return _assignment_page(request, session, principal, assignment_id, error=_error_key(exc),
                                detail=exc.field, message=_message(request, exc), status_code=exc.status)
    session.commit()
    return _redirect(request, "pact_eval_assignment", "declared", assignment_id=assignment_id)


@router.post("/evaluation/assignments/{assignment_id}/sheet", response_class=HTMLResponse, name="pact_eval_sheet")
async def save_sheet(request: Request, assignment_id: int, session: SessionDep, principal: EvalWriter) -> Response:
    form = await request.form()
    assignment = evaluation.get_assignment(session, principal=principal, assignment_id=assignment_id)
    proposal = session.get(Proposal, assignment.proposal_id)
    call = session.get(Call, proposal.call_id) if proposal and proposal.call_id else None
    codes = [c["code"] for c in evaluation.grid_of(call)] if call else []
    scores = _form_scores(form, codes)
    try:
        version = int(str(form.get("version") or "0"))
        if str(form.get("action")) == "submit":
            evaluation.submit_sheet(session, actor=principal, assignment_id=assignment_id, version=version,
                                    scores=scores)
            done = "submitted"
        else:
            evaluation.save_sheet(session, actor=principal, assignment_id=assignment_id, scores=scores,
                                  version=version)
            done = "saved"
    except Conflict as exc:
        # somebody else's save (or the sheet's state) wins: show the sheet as it is now, and what was typed
        session.rollback()
        return _assignment_page(request, session, principal, assignment_id, error=_error_key(exc),
                                unsaved=scores, message=_message(request, exc), status_code=exc.status)
    except (InvalidInput, ValueError) as exc:
        session.rollback()
        problem = exc if isinstance(exc, InvalidInput) else InvalidInput(
            "the version is not a number", field="version", key=N_("eval.err.version_number"))
        return _assignment_page(request, session, principal, assignment_id, error=_error_key(problem),
                                detail=problem.field, form=dict(form), message=_message(request, problem),
                                status_code=problem.status)
    session.commit()
    return _redirect(request, "pact_eval_assignment", done, assignment_id=assignment_id)


def _consensus_page(request: Request, session: Session, principal: Principal, proposal_id: int, *,
                    error: str | None = None, detail: str | None = None, status_code: int = 200) -> Response:
    sheet = evaluation.get_consensus(session, principal=principal, proposal_id=proposal_id)
    proposal = session.get(Proposal, proposal_id)
    assert proposal is not None
    call = session.get(Call, proposal.call_id) if proposal.call_id is not None else None
    panel = evaluation.list_assignments(session, principal=principal, proposal_id=proposal_id) \
        if can(principal, READ, Resource.PACT_DECISION) else []
    return render(request, "evaluation_consensus.html", {
        "proposal": proposal, "call": call, "grid": evaluation.grid_of(call) if call else [], "sheet": sheet,
        "editable": proposal.status == ADMISSIBLE and not can(principal, READ, Resource.PACT_DECISION),
        "sheets": evaluation.submitted_sheets(session, proposal_id), "panel": panel,
        "csrf_token": principal.csrf or "", "error": error, "detail": detail,
        "done": request.query_params.get("done")}, status_code)


@router.get("/evaluation/proposals/{proposal_id}/consensus", response_class=HTMLResponse, name="pact_eval_consensus")
def consensus_page(request: Request, proposal_id: int, session: SessionDep, principal: EvalReader) -> Response:
    return _consensus_page(request, session, principal, proposal_id)


@router.post("/evaluation/proposals/{proposal_id}/consensus", response_class=HTMLResponse,
             name="pact_eval_consensus_save")
async def consensus_save(request: Request, proposal_id: int, session: SessionDep,
                         principal: EvalWriter) -> Response:
    form = await request.form()
    row = session.get(Proposal, proposal_id)
    if row is None:
        raise NotFound(f"no proposal {proposal_id}", field="proposal_id")
    call = session.get(Call, row.call_id) if row and row.call_id else None
    codes = [c["code"] for c in evaluation.grid_of(call)] if call else []
    try:
        version = int(str(form.get("version") or "0"))
        evaluation.save_consensus(session, actor=principal, proposal_id=proposal_id, version=version,
                                  changes=_form_scores(form, codes, only_changed=True))
    except (Conflict, InvalidInput, ValueError) as exc:
        session.rollback()
        if isinstance(exc, ValueError):
            exc = InvalidInput("the version is not a number", field="version", key=N_("eval.err.version_number"))
        return _consensus_page(request, session, principal, proposal_id, error=_error_key(exc),
                               detail=_message(request, exc), status_code=exc.status)
    session.commit()
    return _redirect(request, "pact_eval_consensus", "saved", proposal_id=proposal_id)


# --- the Region's side --------------------------------------------------------------------------------------

def _check_note(request: Request, check: dict[str, Any], places: dict[str, str] | None = None) -> str:
    """An admissibility check's note in the page's language (territories by their names, partner types by
    :func:`regia.pacts.messages.shown`);
    a stored check without a key keeps its Italian note."""
    if not check.get("key"):
        return str(check.get("note") or "")
    lang = _lang(request)
    params = dict(check.get("params") or {})
    if places and params.get("codes"):
        params["codes"] = ", ".join(places.get(c.strip(), c.strip()) for c in str(params["codes"]).split(","))
    return messages.text(check["key"], lang, params)


def _proposal_page(request: Request, session: Session, principal: Principal, proposal_id: int, *,
                   error: str | None = None, detail: str | None = None, status_code: int = 200) -> Response:
    proposal, checks = evaluation.admissibility_of(session, principal=principal, proposal_id=proposal_id)
    assignments = evaluation.list_assignments(session, principal=principal, proposal_id=proposal_id)
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_([a.evaluator_id for a in assignments])))}
    assigned = {a.evaluator_id for a in assignments}
    result = evaluation.aggregate(session, proposal=proposal) if proposal.status == ADMISSIBLE else None
    places = concept_names(session, _lang(request), codes=[
        c.strip() for check in checks for c in str((check.get("params") or {}).get("codes") or "").split(",")])
    return render(request, "evaluation_proposal.html", {
        "proposal": proposal, "checks": checks, "all_passed": all(c["passed"] for c in checks),
        "assignments": assignments, "users": users,
        "candidates": [u for u in evaluation.evaluators(session) if u.id not in assigned],
        "aggregate": result, "call": session.get(Call, proposal.call_id) if proposal.call_id else None,
        "check_note": lambda c: _check_note(request, c, places),
        "writer": can(principal, WRITE, Resource.PACT_DECISION), "csrf_token": principal.csrf or "",
        "error": error, "detail": detail, "done": request.query_params.get("done"),
        "org_name": org_names(session, {proposal.organisation_id}).get(proposal.organisation_id, ""),
    }, status_code)


@router.get("/evaluation/proposals/{proposal_id}", response_class=HTMLResponse, name="pact_eval_proposal")
def proposal_page(request: Request, proposal_id: int, session: SessionDep, principal: RegionReader) -> Response:
    return _proposal_page(request, session, principal, proposal_id)


def _region_action(request: Request, session: Session, principal: Principal, proposal_id: int, done: str,
                   action: Any) -> Response:
    try:
        action()
    except (Conflict, InvalidInput) as exc:
        session.rollback()
        return _proposal_page(request, session, principal, proposal_id, error=_error_key(exc),
                              detail=_message(request, exc), status_code=exc.status)
    session.commit()
    return _redirect(request, "pact_eval_proposal", done, proposal_id=proposal_id)


@router.post("/evaluation/proposals/{proposal_id}/admissibility", response_class=HTMLResponse,
             name="pact_eval_admissibility")
def decide(request: Request, proposal_id: int, session: SessionDep, principal: RegionWriter,
           decision: Annotated[str, Form(max_length=20)] = "",
           note: Annotated[str, Form(max_length=4000)] = "") -> Response:
    def act() -> None:
        if decision not in ("admissible", "inadmissible"):
            raise InvalidInput("choose admissible or inadmissible", field="decision", key=N_("eval.error.choose"))
        evaluation.decide_admissibility(session, actor=principal, proposal_id=proposal_id,
                                        admissible=decision == "admissible", note=note)
    return _region_action(request, session, principal, proposal_id, "decided", act)


@router.post("/evaluation/proposals/{proposal_id}/assignments", response_class=HTMLResponse,
             name="pact_eval_assign")
def assign(request: Request, proposal_id: int, session: SessionDep, principal: RegionWriter,
           evaluator_id: Annotated[int, Form(ge=0, le=2**31 - 1)] = 0) -> Response:
    def act() -> None:
        evaluation.assign(session, actor=principal, proposal_id=proposal_id, evaluator_id=evaluator_id)
    return _region_action(request, session, principal, proposal_id, "assigned", act)


@router.post("/evaluation/proposals/{proposal_id}/close", response_class=HTMLResponse, name="pact_eval_close")
def close(request: Request, proposal_id: int, session: SessionDep, principal: RegionWriter) -> Response:
    def act() -> None:
        evaluation.close_evaluation(session, actor=principal, proposal_id=proposal_id)
    return _region_action(request, session, principal, proposal_id, "closed", act)


def _rank_note(request: Request, note: str) -> str:
    """The rule that decided a place (stored in Italian, as in the graduatoria) in the page's language; a note
    that is none of the rules is shown as stored."""
    lang = _lang(request)
    if not note:
        return note
    criterion = re.fullmatch(re.escape(ranking.rule_criterion("@")).replace("@", "(.+)"), note)
    if criterion:
        return messages.text(N_("eval.rank.criterion"), lang, {"code": criterion.group(1)})
    key = {ranking.RULE_TOTAL: N_("eval.rank.total"), ranking.RULE_TIED: N_("eval.rank.tied"),
           ranking.RULE_SUBMISSION: N_("eval.rank.submission")}.get(note)
    return messages.text(key, lang) if key else note


def _ranking_page(request: Request, session: Session, principal: Principal, call_id: int, *,
                  error: str | None = None, detail: str | None = None, status_code: int = 200) -> Response:
    view = evaluation.preview_ranking(session, principal=principal, call_id=call_id)
    orgs = org_names(session, {p.organisation_id for p in view.proposals.values()})
    writer = can(principal, WRITE, Resource.PACT_DECISION)
    blocker = evaluation.ranking_blocker(session, actor=principal, call_id=call_id) if writer else None
    return render(request, "ranking.html", {
        "not_yet": _message(request, blocker) if blocker is not None and not view.published else None,
        "view": view, "call": view.call, "orgs": orgs, "budget": evaluation.budget_of(view.call),
        "writer": writer, "csrf_token": principal.csrf or "",
        "error": error, "detail": detail, "done": request.query_params.get("done"), "ranking": ranking,
        "rank_note": lambda note: _rank_note(request, note),
        "total_granted": sum((a for o in view.selection.outcomes for a in o.granted.values()), Decimal(0)),
    }, status_code)


@router.get("/calls/{call_id}/ranking", response_class=HTMLResponse, name="pact_ranking_page")
def ranking_page(request: Request, call_id: int, session: SessionDep, principal: RegionReader) -> Response:
    return _ranking_page(request, session, principal, call_id)


@router.post("/calls/{call_id}/ranking", response_class=HTMLResponse, name="pact_ranking_publish")
def publish(request: Request, call_id: int, session: SessionDep, principal: RegionWriter) -> Response:
    try:
        evaluation.publish_ranking(session, actor=principal, call_id=call_id)
    except (Conflict, InvalidInput) as exc:
        session.rollback()
        return _ranking_page(request, session, principal, call_id, error=_error_key(exc),
                             detail=_message(request, exc), status_code=exc.status)
    session.commit()
    return _redirect(request, "pact_ranking_page", "published", call_id=call_id)
