"""Admissibility, evaluators, score sheets, aggregation and the ranking of a call (the Region's side).

- :func:`check_admissibility` computes the checks from the frozen, latest submitted version;
  :func:`decide_admissibility` stores them and moves the proposal to ``admissible`` / ``inadmissible``.
- :func:`assign` puts an evaluator on an admissible proposal (refused when they belong to the proposing
  partnership or one of its partners); the evaluator then :func:`declare` s a conflict of interest or not.
- Score sheets (:func:`save_sheet`, :func:`submit_sheet`): one per assignment, optimistic locking on the
  sheet's ``version``. The panel's consensus sheet (:func:`save_consensus`) is shared: saves merge per
  criterion, and two people changing the same criterion from the same version conflict.
- :func:`close_evaluation` aggregates (average, or the consensus sheet) into ``final_scores`` and
  ``total_score``; :func:`preview_ranking` / :func:`publish_ranking` rank a call (:mod:`regia.pacts.ranking`).

Every change is audited in the same transaction. Services take keyword-only arguments and raise
:mod:`regia.auth.errors` with the field at fault.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from regia.auth import audit
from regia.auth.errors import Conflict, Forbidden, InvalidInput, NotFound
from regia.auth.models import Membership, Organisation, Role, User
from regia.auth.policy import READ, WRITE, Resource, can
from regia.auth.principal import Principal
from regia.i18n import N_, format_datetime
from regia.pacts import ranking, states
from regia.pacts.models import (
    ADMISSIBLE,
    EVALUATED,
    INADMISSIBLE,
    NOT_SELECTED,
    SELECTED,
    SUBMITTED,
    Assignment,
    Call,
    Document,
    Proposal,
    ProposalVersion,
    ScoreSheet,
)

CENT = Decimal("0.01")
COMMITMENT_LETTER = "commitment_letter"
MAX_COMMENT = 4000
MERGE_RETRIES = 5


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


def _dec(value: Any, field: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise InvalidInput(f"{value!r} is not a number", field=field, key=N_("eval.err.not_number"),
                           params={"value": str(value)}) from exc
    if not number.is_finite():
        raise InvalidInput(f"{value!r} is not a number", field=field, key=N_("eval.err.not_number"),
                           params={"value": str(value)})
    return number


def _require_region(actor: Principal, action: Any = WRITE) -> None:
    if not can(actor, action, Resource.PACT_DECISION):
        raise Forbidden("only the Region's staff take this decision", key=N_("eval.err.region_only"))


def _proposal(session: Session, proposal_id: int) -> Proposal:
    proposal = session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound(f"no proposal {proposal_id}", field="proposal_id", key=N_("eval.err.no_proposal"),
                       params={"id": proposal_id})
    return proposal


def _call_of(session: Session, proposal: Proposal) -> Call:
    call = session.get(Call, proposal.call_id) if proposal.call_id is not None else None
    if call is None:
        raise Conflict("the proposal answers no call", field="call_id", key=N_("eval.err.no_call"))
    return call


def grid_of(call: Call) -> list[dict[str, Any]]:
    return [c for c in (call.grid or []) if isinstance(c, dict) and c.get("code")]


# --- admissibility ----------------------------------------------------------------------------------------

def latest_version(session: Session, proposal: Proposal) -> ProposalVersion | None:
    return session.scalars(select(ProposalVersion).where(ProposalVersion.proposal_id == proposal.id)
                           .order_by(ProposalVersion.number.desc()).limit(1)).first()


def _partners(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The partners of a manifestation, the lead partner first, read defensively: the manifestation's own
    shape (``lead`` and ``partners`` of ``{"name", "tax_code", "type", "role", "letter_document_id"}``, see
    :mod:`regia.pacts.manifestation`) and the older ``org_type`` / ``document_id`` / ``lead_partner`` names."""
    found: list[dict[str, Any]] = []
    lead = body.get("lead") or body.get("lead_partner")
    candidates = [lead, *(body.get("partners") or [])] if isinstance(lead, dict) else list(body.get("partners") or [])
    for raw in candidates:
        if not isinstance(raw, dict) or not (raw.get("name") or raw.get("tax_code")):
            continue
        partner = {"name": raw.get("name") or "", "tax_code": str(raw.get("tax_code") or "").strip().upper(),
                   "org_type": str(raw.get("type") or raw.get("org_type") or ""),
                   "document_id": raw.get("letter_document_id") or raw.get("document_id")}
        if not any(partner["tax_code"] and partner["tax_code"] == p["tax_code"] for p in found):
            found.append(partner)
    return found


# Lombardy's provinces: sigla and ISTAT province code (the first three digits of a comune's code) → NUTS3
PROVINCE_NUTS3 = {"VA": "ITC41", "CO": "ITC42", "LC": "ITC43", "SO": "ITC44", "MI": "ITC4C", "BG": "ITC46",
                  "BS": "ITC47", "PV": "ITC48", "LO": "ITC49", "CR": "ITC4A", "MN": "ITC4B", "MB": "ITC4D"}
ISTAT_PROVINCE_NUTS3 = {"012": "ITC41", "013": "ITC42", "097": "ITC43", "014": "ITC44", "015": "ITC4C",
                        "016": "ITC46", "017": "ITC47", "018": "ITC48", "098": "ITC49", "019": "ITC4A",
                        "020": "ITC4B", "108": "ITC4D"}


def _territory(body: Mapping[str, Any]) -> list[str]:
    """The NUTS3 codes of the manifestation's territory: its ``nuts3`` list, and the provinces of its
    ``provinces`` (sigle) and ``comuni`` (ISTAT codes); a code that maps to nothing is kept as given."""
    territory = body.get("territory") or {}
    if not isinstance(territory, dict):
        return []
    codes: list[str] = []

    def add(code: str) -> None:
        if code and code not in codes:
            codes.append(code)

    for code in territory.get("nuts3") or []:
        add(str(code).strip().upper())
    for sigla in territory.get("provinces") or []:
        add(PROVINCE_NUTS3.get(str(sigla).strip().upper(), str(sigla).strip().upper()))
    for comune in territory.get("comuni") or []:
        text = str(comune).strip()
        add(ISTAT_PROVINCE_NUTS3.get(text.zfill(6)[:3], text))
    return codes


def check_admissibility(session: Session, *, proposal: Proposal) -> list[dict[str, Any]]:
    """The admissibility checks, ``[{"check", "passed", "note", "key", "params"}]``, computed from the latest submitted
    version
    (what the evaluators read): the deadline, the number and types of partners, a letter of commitment per
    partner, the territory."""
    call = _call_of(session, proposal)
    version = latest_version(session, proposal)
    body = version.body if version is not None else (proposal.body or {})
    submitted = _aware(version.submitted_at if version is not None else proposal.submitted_at)
    deadline = _aware(call.manifestation_deadline)
    checks: list[dict[str, Any]] = []

    def add(check: str, passed: bool, note: str, key: str, **params: Any) -> None:
        # ``note``: Italian, as stored and printed in the letters; ``key`` / ``params``: the same in any language
        checks.append({"check": check, "passed": bool(passed), "note": note, "key": key,
                       "params": params})

    if submitted is None:
        add("deadline", False, "la proposta non risulta presentata", N_("eval.chk.not_submitted"))
    else:
        add("deadline", submitted <= deadline,  # type: ignore[operator]
            f"presentata il {format_datetime(submitted, 'it')}, scadenza {format_datetime(deadline, 'it')}",
            N_("eval.chk.deadline"),
            submitted=submitted.isoformat(), deadline=deadline.isoformat())  # type: ignore[union-attr]
    partners = _partners(body)
    add("min_partners", len(partners) >= call.min_partners,
        f"{len(partners)} partner, almeno {call.min_partners} richiesti", N_("eval.chk.min_partners"),
        count=len(partners), min=call.min_partners)
    present = {p["org_type"] for p in partners}
    missing_types = [t for t in (call.required_partner_types or []) if t not in present]
    if missing_types:
        add("partner_types", False, "mancano: " + ", ".join(missing_types), N_("eval.chk.types_missing"),
            types=", ".join(missing_types))
    else:
        add("partner_types", True, "tutte le tipologie richieste presenti", N_("eval.chk.types_ok"))
    letters = session.scalars(select(Document).where(Document.proposal_id == proposal.id,
                                                     Document.kind == COMMITMENT_LETTER)).all()
    by_tax_code = {d.partner_tax_code for d in letters if d.partner_tax_code}
    by_id = {d.id for d in letters}
    without = [str(p["name"] or p["tax_code"] or "?") for p in partners
               if not ((p["tax_code"] and p["tax_code"] in by_tax_code) or p["document_id"] in by_id)]
    if without:
        add("commitment_letters", False, "senza lettera di impegno: " + ", ".join(without),
            N_("eval.chk.letters_missing"), names=", ".join(without))
    elif not partners:
        add("commitment_letters", False, "nessun partner", N_("eval.chk.no_partners"))
    else:
        add("commitment_letters", True, "una lettera di impegno per ogni partner", N_("eval.chk.letters_ok"))
    territory = _territory(body)
    outside = [c for c in territory if call.territories and c not in call.territories]
    if not territory:
        add("territory", False, "territorio non indicato", N_("eval.chk.no_territory"))
    elif outside:
        add("territory", False, "fuori dai territori dell'avviso: " + ", ".join(outside), N_("eval.chk.outside"),
            codes=", ".join(outside))
    else:
        add("territory", True, ", ".join(territory), N_("eval.chk.territory"), codes=", ".join(territory))
    return checks


def admissibility_of(session: Session, *, principal: Principal, proposal_id: int) -> tuple[Proposal,
                                                                                      list[dict[str, Any]]]:
    """The proposal and its admissibility checks as they stand (the Region's readers)."""
    _require_region(principal, READ)
    proposal = _proposal(session, proposal_id)
    return proposal, check_admissibility(session, proposal=proposal)


def decide_admissibility(session: Session, *, actor: Principal, proposal_id: int, admissible: bool,
                         note: str = "") -> Proposal:
    """Record the checks and the decision; a proposal failing a check cannot be declared admissible, and
    declaring inadmissible a proposal that passes them all needs a reason (``note``)."""
    _require_region(actor)
    proposal = _proposal(session, proposal_id)
    if proposal.status != SUBMITTED:
        raise Conflict(f"admissibility is decided on submitted proposals (this one is {proposal.status})",
                       field="status", key=N_("eval.err.admissibility_status"), params={"status": proposal.status})
    checks = check_admissibility(session, proposal=proposal)
    failed = [c["check"] for c in checks if not c["passed"]]
    note = (note or "").strip()[:MAX_COMMENT]
    if admissible and failed:
        raise InvalidInput("checks not passed: " + ", ".join(failed), field="admissible",
                           key=N_("eval.err.checks_failed"),
                           params={"checks": ", ".join(failed)})
    if not admissible and not failed and not note:
        raise InvalidInput("say why a proposal that passes every check is inadmissible", field="note",
                           key=N_("eval.err.inadmissible_reason"))
    proposal.admissibility = [*checks, {"check": "decision", "passed": admissible, "note": note}]
    audit.record(session, actor=actor, action="record_admissibility", resource_type="pact_proposal",
                 resource_id=proposal.id, organisation_id=proposal.organisation_id,
                 after={"admissibility": proposal.admissibility})
    return states.move(session, actor=actor, proposal=proposal, target=ADMISSIBLE if admissible else INADMISSIBLE,
                       note=note or None)


# --- assignments and conflict of interest -------------------------------------------------------------------

def evaluators(session: Session) -> list[User]:
    """Users who hold the evaluator role somewhere (candidates for an assignment)."""
    return list(session.scalars(select(User).join(Membership).where(Membership.role == Role.EVALUATOR,
                                                                    User.is_active.is_(True))
                                .distinct().order_by(User.display_name, User.id)))


def _partner_org_ids(session: Session, proposal: Proposal) -> set[int]:
    """The proposing partnership and the registered organisations among its partners (by codice fiscale)."""
    version = latest_version(session, proposal)
    body = version.body if version is not None else (proposal.body or {})
    codes = {p["tax_code"] for p in _partners(body) if p["tax_code"]}
    ids = {proposal.organisation_id}
    if codes:
        ids |= set(session.scalars(select(Organisation.id).where(Organisation.tax_code.in_(codes))))
    return ids


def assign(session: Session, *, actor: Principal, proposal_id: int, evaluator_id: int) -> Assignment:
    """Put an evaluator on an admissible proposal. Refused (automatic conflict of interest) when the evaluator
    belongs to the proposing partnership or to one of its partner organisations."""
    _require_region(actor)
    proposal = _proposal(session, proposal_id)
    if proposal.status != ADMISSIBLE:
        raise Conflict(f"evaluators are assigned to admissible proposals (this one is {proposal.status})",
                       field="status", key=N_("eval.err.assign_status"), params={"status": proposal.status})
    user = session.get(User, evaluator_id)
    if user is None or not user.is_active:
        raise NotFound(f"no user {evaluator_id}", field="evaluator_id", key=N_("eval.err.no_user"),
                       params={"id": evaluator_id})
    if not any(m.role == Role.EVALUATOR for m in user.memberships):
        raise InvalidInput("this user is not an evaluator", field="evaluator_id", key=N_("eval.err.not_evaluator"))
    if {m.organisation_id for m in user.memberships} & _partner_org_ids(session, proposal):
        raise Conflict("conflict of interest: the evaluator belongs to an organisation of the partnership",
                       field="evaluator_id", key=N_("eval.err.assign_conflict"))
    if session.scalar(select(Assignment.id).where(Assignment.proposal_id == proposal.id,
                                                  Assignment.evaluator_id == evaluator_id)) is not None:
        raise Conflict("this evaluator is already assigned to the proposal", field="evaluator_id",
                       key=N_("eval.err.already_assigned"))
    assignment = Assignment(proposal_id=proposal.id, evaluator_id=evaluator_id, assigned_by=actor.label)
    session.add(assignment)
    if consensus_sheet(session, proposal.id) is None:  # the panel's shared sheet, made once, with the first
        session.add(ScoreSheet(proposal_id=proposal.id, assignment_id=None, scores={}))
    session.flush()
    audit.record(session, actor=actor, action="assign_evaluator", resource_type="pact_assignment",
                 resource_id=assignment.id, organisation_id=proposal.organisation_id,
                 after={"proposal_id": proposal.id, "evaluator_id": evaluator_id})
    return assignment


def get_assignment(session: Session, *, principal: Principal, assignment_id: int) -> Assignment:
    assignment = session.get(Assignment, assignment_id)
    if assignment is None:
        raise NotFound(f"no assignment {assignment_id}", field="assignment_id", key=N_("eval.err.no_assignment"),
                       params={"id": assignment_id})
    if not can(principal, READ, Resource.PACT_EVALUATION, assignment):
        raise Forbidden("this assignment belongs to another evaluator", key=N_("eval.err.other_evaluator"))
    return assignment


def list_assignments(session: Session, *, principal: Principal, proposal_id: int | None = None,
                     mine: bool = False) -> Sequence[Assignment]:
    """The principal's own assignments (evaluators; ``mine``), or all of a proposal / all (Region readers)."""
    stmt = select(Assignment).order_by(Assignment.proposal_id, Assignment.id)
    if proposal_id is not None:
        stmt = stmt.where(Assignment.proposal_id == proposal_id)
    if mine or not can(principal, READ, Resource.PACT_DECISION):
        if principal.user_id is None:
            return []
        stmt = stmt.where(Assignment.evaluator_id == principal.user_id)
    return session.scalars(stmt).all()


def declare(session: Session, *, actor: Principal, assignment_id: int, conflict: bool, note: str = "") -> Assignment:
    """The evaluator's declaration of conflict of interest (once). With a conflict they cannot score: the
    Region assigns somebody else. Without, their score sheet is opened."""
    assignment = get_assignment(session, principal=actor, assignment_id=assignment_id)
    if not (can(actor, WRITE, Resource.PACT_EVALUATION, assignment) and assignment.evaluator_id == actor.user_id):
        raise Forbidden("only the assigned evaluator declares", key=N_("eval.err.declare_own"))
    if assignment.conflict is not None:
        raise Conflict("the declaration has been made already", field="conflict", key=N_("eval.err.declared_already"))
    note = (note or "").strip()[:MAX_COMMENT]
    if conflict and not note:
        raise InvalidInput("describe the conflict of interest", field="note", key=N_("eval.err.describe_conflict"))
    assignment.conflict, assignment.conflict_note, assignment.declared_at = bool(conflict), note, _now()
    if not conflict and assignment.sheet is None:
        assignment.sheet = ScoreSheet(proposal_id=assignment.proposal_id, scores={})
    session.flush()
    proposal = _proposal(session, assignment.proposal_id)
    audit.record(session, actor=actor, action="declare_conflict" if conflict else "declare_no_conflict",
                 resource_type="pact_assignment", resource_id=assignment.id,
                 organisation_id=proposal.organisation_id, after={"conflict": bool(conflict), "note": note})
    return assignment


# --- score sheets -------------------------------------------------------------------------------------------

def consensus_sheet(session: Session, proposal_id: int) -> ScoreSheet | None:
    return session.scalars(select(ScoreSheet).where(ScoreSheet.proposal_id == proposal_id,
                                                    ScoreSheet.assignment_id.is_(None))
                           .order_by(ScoreSheet.id).limit(1)).first()


def _validate_entry(criterion: Mapping[str, Any], value: Any, *, field: str) -> dict[str, Any]:
    """One criterion's ``{"score", "comment"}``: 0 ≤ score ≤ max_score; a comment below the threshold."""
    if not isinstance(value, Mapping):
        raise InvalidInput("give a score and a comment", field=field, key=N_("eval.err.score_shape"))
    if value.get("score") in (None, ""):
        raise InvalidInput(f"criterion {criterion['code']}: the score is missing", field=field,
                           key=N_("eval.err.score_missing"), params={"code": criterion["code"]})
    score = _dec(value["score"], field)
    top = _dec(criterion.get("max_score", 10), field)
    if score < 0 or score > top:
        raise InvalidInput(f"criterion {criterion['code']}: the score must be between 0 and {top}", field=field,
                           key=N_("eval.err.score_range"), params={"code": criterion["code"], "max": str(top)})
    comment = str(value.get("comment") or "").strip()
    if len(comment) > MAX_COMMENT:
        raise InvalidInput(f"comments are at most {MAX_COMMENT} characters", field=field,
                           key=N_("eval.err.comment_long"),
                           params={"max": MAX_COMMENT})
    threshold = criterion.get("threshold")
    if threshold not in (None, "") and score < _dec(threshold, field) and not comment:
        raise InvalidInput(f"criterion {criterion['code']}: a score under the threshold ({threshold}) needs a "
                           "comment", field=field, key=N_("eval.err.comment_required"),
                           params={"code": criterion["code"], "threshold": str(threshold)})
    return {"score": str(score.normalize() if score == score.to_integral() else score), "comment": comment}


def validate_scores(call: Call, scores: Mapping[str, Any], *, complete: bool) -> dict[str, dict[str, Any]]:
    """``{code: {"score", "comment"}}`` checked against the call's grid (unknown criteria, range, comment under
    the threshold; with ``complete``, every criterion present); returns the cleaned scores."""
    grid = {c["code"]: c for c in grid_of(call)}
    unknown = [code for code in scores if code not in grid]
    if unknown:
        raise InvalidInput("unknown criteria: " + ", ".join(map(str, unknown)), field=f"scores.{unknown[0]}",
                           key=N_("eval.err.unknown_criteria"), params={"codes": ", ".join(map(str, unknown))})
    cleaned = {code: _validate_entry(grid[code], value, field=f"scores.{code}") for code, value in scores.items()}
    if complete:
        missing = [code for code in grid if code not in cleaned]
        if missing:
            raise InvalidInput("criteria without a score: " + ", ".join(missing), field=f"scores.{missing[0]}",
                               key=N_("eval.err.criteria_missing"), params={"codes": ", ".join(missing)})
    return cleaned


def _scoring_assignment(session: Session, actor: Principal, assignment_id: int) -> tuple[Assignment, Proposal]:
    assignment = get_assignment(session, principal=actor, assignment_id=assignment_id)
    if not (assignment.evaluator_id == actor.user_id and can(actor, WRITE, Resource.PACT_EVALUATION, assignment)):
        raise Forbidden("only the assigned evaluator scores", key=N_("eval.err.score_own"))
    if assignment.conflict is None:
        raise Conflict("declare first whether you have a conflict of interest", field="conflict",
                       key=N_("eval.err.declare_first"))
    if assignment.conflict:
        raise Forbidden("you declared a conflict of interest on this proposal", key=N_("eval.err.conflict_declared"))
    proposal = _proposal(session, assignment.proposal_id)
    if proposal.status != ADMISSIBLE:
        raise Conflict(f"the evaluation of this proposal is closed ({proposal.status})", field="status",
                       key=N_("eval.err.evaluation_closed"), params={"status": proposal.status})
    return assignment, proposal


def get_sheet(session: Session, *, principal: Principal, assignment_id: int) -> ScoreSheet:
    assignment = get_assignment(session, principal=principal, assignment_id=assignment_id)
    if assignment.sheet is None:
        raise NotFound("no score sheet yet: the evaluator declares on conflicts of interest first",
                       field="assignment_id", key=N_("eval.err.no_sheet"))
    return assignment.sheet


def _flush_versioned(session: Session, what: str) -> None:
    try:
        session.flush()
    except StaleDataError as exc:
        raise Conflict(f"the {what} was saved by somebody else in the meantime: reload it", field="version",
                       key=N_("eval.err.saved_meanwhile")) from exc


def save_sheet(session: Session, *, actor: Principal, assignment_id: int, scores: Mapping[str, Any],
               version: int) -> ScoreSheet:
    """Save the evaluator's draft scores (any subset of the criteria; they replace the draft). ``version`` is
    the sheet's version the evaluator read: a stale one is a Conflict, never a silent overwrite."""
    assignment, proposal = _scoring_assignment(session, actor, assignment_id)
    sheet = assignment.sheet
    assert sheet is not None  # made at the declaration
    if sheet.submitted_at is not None:
        raise Conflict("the score sheet has been submitted already", field="submitted_at",
                       key=N_("eval.err.sheet_submitted"))
    if sheet.version != version:
        raise Conflict(f"the score sheet changed since you read it (now version {sheet.version})", field="version",
                       key=N_("eval.err.sheet_stale"), params={"version": sheet.version})
    call = _call_of(session, proposal)
    before = {"scores": sheet.scores, "version": sheet.version}
    sheet.scores = validate_scores(call, scores, complete=False)
    _flush_versioned(session, "score sheet")
    audit.record(session, actor=actor, action="save_scores", resource_type="pact_score_sheet", resource_id=sheet.id,
                 organisation_id=proposal.organisation_id, before=before,
                 after={"scores": sheet.scores, "version": sheet.version})
    return sheet


def submit_sheet(session: Session, *, actor: Principal, assignment_id: int, version: int,
                 scores: Mapping[str, Any] | None = None) -> ScoreSheet:
    """Submit the sheet (all criteria scored and valid); with ``scores`` it saves them first."""
    if scores is not None:
        save_sheet(session, actor=actor, assignment_id=assignment_id, scores=scores, version=version)
        version = session.get(Assignment, assignment_id).sheet.version  # type: ignore[union-attr]
    assignment, proposal = _scoring_assignment(session, actor, assignment_id)
    sheet = assignment.sheet
    assert sheet is not None
    if sheet.submitted_at is not None:
        raise Conflict("the score sheet has been submitted already", field="submitted_at",
                       key=N_("eval.err.sheet_submitted"))
    if sheet.version != version:
        raise Conflict(f"the score sheet changed since you read it (now version {sheet.version})", field="version",
                       key=N_("eval.err.sheet_stale"), params={"version": sheet.version})
    validate_scores(_call_of(session, proposal), sheet.scores, complete=True)
    sheet.submitted_at = _now()
    _flush_versioned(session, "score sheet")
    audit.record(session, actor=actor, action="submit_scores", resource_type="pact_score_sheet",
                 resource_id=sheet.id, organisation_id=proposal.organisation_id,
                 after={"scores": sheet.scores, "version": sheet.version})
    return sheet


def _panel_member(session: Session, actor: Principal, proposal: Proposal) -> Assignment:
    assignment = session.scalars(select(Assignment).where(Assignment.proposal_id == proposal.id,
                                                          Assignment.evaluator_id == actor.user_id)).first()
    if assignment is None or not can(actor, WRITE, Resource.PACT_EVALUATION, assignment):
        raise Forbidden("only the proposal's evaluators edit the consensus sheet", key=N_("eval.err.panel_only"))
    if assignment.conflict is not False:
        raise Forbidden("declare no conflict of interest before scoring", key=N_("eval.err.declare_no_conflict_first"))
    return assignment


def get_consensus(session: Session, *, principal: Principal, proposal_id: int) -> ScoreSheet:
    proposal = _proposal(session, proposal_id)
    if not can(principal, READ, Resource.PACT_DECISION):
        _panel_member(session, principal, proposal)  # the panel reads its own sheet
    sheet = consensus_sheet(session, proposal.id)
    if sheet is None:
        raise NotFound("no panel yet: assign evaluators first", field="proposal_id", key=N_("eval.err.no_panel"))
    return sheet


def save_consensus(session: Session, *, actor: Principal, proposal_id: int, changes: Mapping[str, Any],
                   version: int) -> ScoreSheet:
    """Change some criteria of the panel's consensus sheet. ``version`` is the sheet's version the evaluator
    read; ``changes`` holds only the criteria they changed. Changes of others to *other* criteria since then
    are kept (per-criterion merge); a criterion somebody else changed since ``version`` is a Conflict.
    Concurrent saves re-read and retry, so no update is lost."""
    proposal = _proposal(session, proposal_id)
    _panel_member(session, actor, proposal)
    if proposal.status != ADMISSIBLE:
        raise Conflict(f"the evaluation of this proposal is closed ({proposal.status})", field="status",
                       key=N_("eval.err.evaluation_closed"), params={"status": proposal.status})
    cleaned = validate_scores(_call_of(session, proposal), changes, complete=False)
    if not cleaned:
        raise InvalidInput("no criterion changed", field="scores", key=N_("eval.err.nothing_changed"))
    for _attempt in range(MERGE_RETRIES):
        sheet = consensus_sheet(session, proposal.id)
        if sheet is None:
            raise NotFound("no panel yet: assign evaluators first", field="proposal_id", key=N_("eval.err.no_panel"))
        session.refresh(sheet)  # the latest committed state (a retry must not merge onto a stale copy)
        if version > sheet.version:
            raise InvalidInput(f"version {version} does not exist yet (now {sheet.version})", field="version",
                               key=N_("eval.err.version_future"), params={"version": version, "now": sheet.version})
        clashes = [code for code in cleaned
                   if int((sheet.scores.get(code) or {}).get("changed_in", 0)) > version]
        if clashes:
            raise Conflict("changed by another evaluator since you read it: " + ", ".join(clashes),
                           field=f"scores.{clashes[0]}", key=N_("eval.err.consensus_clash"),
                           params={"codes": ", ".join(clashes)})
        before = {"scores": sheet.scores, "version": sheet.version}
        merged = dict(sheet.scores)
        for code, value in cleaned.items():
            merged[code] = {**value, "changed_in": sheet.version + 1, "by": actor.label}
        try:
            with session.begin_nested():
                sheet.scores = merged
                session.flush()
        except StaleDataError:
            continue  # somebody saved in between: re-read, re-check, merge again
        audit.record(session, actor=actor, action="save_consensus", resource_type="pact_score_sheet",
                     resource_id=sheet.id, organisation_id=proposal.organisation_id, before=before,
                     after={"scores": sheet.scores, "version": sheet.version})
        return sheet
    raise Conflict("the consensus sheet is being changed by many at once: try again", field="version",
                   key=N_("eval.err.consensus_busy"))


# --- aggregation --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Aggregate:
    method: str  # "average" or "consensus"
    scores: dict[str, Decimal]
    sheets: int  # submitted individual sheets counted
    spread: dict[str, Decimal]  # max - min per criterion among the individual sheets
    needs_consensus: bool


def submitted_sheets(session: Session, proposal_id: int) -> list[ScoreSheet]:
    return list(session.scalars(select(ScoreSheet).join(Assignment).where(
        ScoreSheet.proposal_id == proposal_id, Assignment.conflict.is_(False), ScoreSheet.submitted_at.is_not(None))
        .order_by(ScoreSheet.id)))


def aggregate(session: Session, *, proposal: Proposal) -> Aggregate:
    """What closing the evaluation would record now. The consensus sheet decides when the call asks for
    consensus, or when evaluators differ by more than ``max_spread`` points on a criterion (``max_spread`` 0:
    no such rule for calls that average)."""
    call = _call_of(session, proposal)
    codes = [c["code"] for c in grid_of(call)]
    sheets = submitted_sheets(session, proposal.id)
    values = {code: [Decimal(s.scores[code]["score"]) for s in sheets if code in s.scores] for code in codes}
    spread = {code: (max(v) - min(v)) if v else Decimal(0) for code, v in values.items()}
    max_spread = Decimal(call.max_spread or 0)
    needs = call.aggregation == "consensus" or (max_spread > 0 and any(s > max_spread for s in spread.values()))
    if needs:
        sheet = consensus_sheet(session, proposal.id)
        agreed = (sheet.scores if sheet is not None else {})
        scores = {code: Decimal(agreed[code]["score"]) for code in codes if code in agreed}
        return Aggregate("consensus", scores, len(sheets), spread, True)
    scores = {code: (sum(v, Decimal(0)) / len(v)).quantize(CENT, ROUND_HALF_UP) for code, v in values.items() if v}
    return Aggregate("average", scores, len(sheets), spread, False)


def total_of(call: Call, scores: Mapping[str, Decimal]) -> Decimal:
    return sum((_dec(c.get("weight", 1), "weight") * scores.get(c["code"], Decimal(0)) for c in grid_of(call)),
               Decimal(0)).quantize(CENT, ROUND_HALF_UP)


def eligible(call: Call, scores: Mapping[str, Any], total: Decimal) -> bool:
    """Fundable at all: every criterion at or above its threshold and the total at or above ``min_total``."""
    for criterion in grid_of(call):
        threshold = criterion.get("threshold")
        if threshold not in (None, "") and Decimal(str(scores.get(criterion["code"], 0))) < Decimal(str(threshold)):
            return False
    return total >= Decimal(call.min_total or 0)


def close_evaluation(session: Session, *, actor: Principal, proposal_id: int) -> Proposal:
    """Aggregate the scores into ``final_scores`` and ``total_score`` and move the proposal to evaluated.
    Needs ``call.min_evaluators`` submitted sheets without conflict, or a complete consensus sheet."""
    _require_region(actor)
    proposal = _proposal(session, proposal_id)
    if proposal.status != ADMISSIBLE:
        raise Conflict(f"only admissible proposals are evaluated (this one is {proposal.status})", field="status",
                       key=N_("eval.err.close_status"), params={"status": proposal.status})
    call = _call_of(session, proposal)
    codes = [c["code"] for c in grid_of(call)]
    if not codes:
        raise Conflict("the call has no evaluation grid", field="grid", key=N_("eval.err.no_grid"))
    result = aggregate(session, proposal=proposal)
    if result.needs_consensus:
        missing = [code for code in codes if code not in result.scores]
        if missing:
            raise Conflict("the panel's consensus sheet lacks: " + ", ".join(missing), field="consensus",
                           key=N_("eval.err.consensus_missing"), params={"codes": ", ".join(missing)})
    elif result.sheets < call.min_evaluators:
        raise Conflict(f"{result.sheets} score sheets submitted, {call.min_evaluators} needed", field="sheets",
                       key=N_("eval.err.sheets_missing"), params={"got": result.sheets, "needed": call.min_evaluators})
    proposal.final_scores = {code: str(result.scores[code]) for code in codes}
    proposal.total_score = total_of(call, result.scores)
    audit.record(session, actor=actor, action="aggregate_scores", resource_type="pact_proposal",
                 resource_id=proposal.id, organisation_id=proposal.organisation_id,
                 after={"method": result.method, "final_scores": proposal.final_scores,
                        "total_score": proposal.total_score, "sheets": result.sheets})
    return states.move(session, actor=actor, proposal=proposal, target=EVALUATED, note=result.method)


# --- ranking ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RankingView:
    call: Call
    selection: ranking.Selection
    proposals: dict[int, Proposal]
    published: bool
    pending: list[Proposal]  # still submitted or admissible: the ranking cannot be published yet


def _requested(proposal: Proposal) -> dict[str, Decimal]:
    raw = proposal.requested or (proposal.body or {}).get("requested") or {}
    out = {}
    for source, amount in raw.items() if isinstance(raw, dict) else []:
        try:
            out[str(source)] = Decimal(str(amount))
        except InvalidOperation:
            continue
    return out


def _entry(call: Call, proposal: Proposal) -> ranking.Entry:
    codes = tuple(c["code"] for c in grid_of(call))
    scores = proposal.final_scores or {}
    total = Decimal(proposal.total_score or 0)
    return ranking.Entry(key=proposal.id, total=total, codes=codes,
                         scores=tuple(Decimal(str(scores.get(code, 0))) for code in codes),
                         submitted_at=_aware(proposal.submitted_at), requested=_requested(proposal),
                         eligible=eligible(call, scores, total))


def _get_call(session: Session, call_id: int) -> Call:
    call = session.get(Call, call_id)
    if call is None:
        raise NotFound(f"no call {call_id}", field="call_id", key=N_("eval.err.no_call_id"), params={"id": call_id})
    return call


def preview_ranking(session: Session, *, principal: Principal, call_id: int) -> RankingView:
    """The ranking of the call's evaluated proposals as it would be published now (or as published)."""
    _require_region(principal, READ)
    call = _get_call(session, call_id)
    rows = session.scalars(select(Proposal).where(Proposal.call_id == call.id)).all()
    pending = [p for p in rows if p.status in (SUBMITTED, ADMISSIBLE)]
    if call.ranking_published_at is not None:
        ranked = [p for p in rows if p.rank is not None]
        outcomes = [ranking.Outcome(_entry(call, p), p.rank or 0, p.rank_note or "",
                                    _published_status(call, p), {s: Decimal(a) for s, a in (p.granted or {}).items()})
                    for p in sorted(ranked, key=lambda p: (p.rank or 0, p.id))]
        remaining = budget_of(call)
        for outcome in outcomes:
            for source, amount in outcome.granted.items():
                remaining[source] = remaining.get(source, Decimal(0)) - amount
        return RankingView(call, ranking.Selection(outcomes, remaining), {p.id: p for p in rows}, True, pending)
    evaluated = [p for p in rows if p.status == EVALUATED]
    selection = ranking.select(ranking.rank(_entry(call, p) for p in evaluated), budget_of(call),
                               Decimal(call.max_grant) if call.max_grant is not None else None)
    return RankingView(call, selection, {p.id: p for p in rows}, False, pending)


def _published_status(call: Call, proposal: Proposal) -> str:
    if proposal.granted:
        return ranking.SELECTED
    entry = _entry(call, proposal)
    if not entry.eligible:
        return ranking.BELOW_THRESHOLD
    if call.max_grant is not None and sum(entry.requested.values(), Decimal(0)) > call.max_grant:
        return ranking.OVER_MAX_GRANT
    return ranking.NOT_FUNDED


def budget_of(call: Call) -> dict[str, Decimal]:
    return {str(source): Decimal(str(amount)) for source, amount in (call.budget or {}).items()}


def ranking_blocker(session: Session, *, actor: Principal, call_id: int, now: datetime | None = None
                    ) -> Conflict | None:
    """Why the call's ranking cannot be published now (the refusal :func:`publish_ranking` would raise), or
    None: pages offer "publish" only when this is None and otherwise say why."""
    call = _get_call(session, call_id)
    now = _aware(now) or _now()
    if call.ranking_published_at is not None:
        return Conflict("the ranking of this call has been published already", field="ranking_published_at",
                        key=N_("eval.err.ranking_published"))
    deadline = _aware(call.manifestation_deadline)
    if now < deadline:  # type: ignore[operator]
        return Conflict(f"the manifestations' deadline ({format_datetime(deadline, 'en')}, Rome) has not passed yet",
                        field="manifestation_deadline", key=N_("eval.err.ranking_early"),
                        params={"deadline": deadline.isoformat()})  # type: ignore[union-attr]
    view = preview_ranking(session, principal=actor, call_id=call_id)
    if view.pending:
        described = ", ".join(f"#{p.id} ({p.status})" for p in view.pending)
        return Conflict(f"proposals still to be checked or evaluated: {described}", field="status",
                        key=N_("eval.err.ranking_pending"),
                        params={"pending": ", ".join(f"#{p.id}" for p in view.pending)})
    if not view.selection.outcomes:
        return Conflict("no evaluated proposals to rank", field="call_id", key=N_("eval.err.ranking_empty"))
    return None


def publish_ranking(session: Session, *, actor: Principal, call_id: int, now: datetime | None = None) -> RankingView:
    """Rank the call's evaluated proposals, grant what fits the envelope, move each to selected /
    not_selected and mark the ranking published. Refused before the manifestation deadline, while proposals
    are still being checked or evaluated, and a second time."""
    _require_region(actor)
    call = _get_call(session, call_id)
    now = _aware(now) or _now()
    blocker = ranking_blocker(session, actor=actor, call_id=call_id, now=now)
    if blocker is not None:
        raise blocker
    view = preview_ranking(session, principal=actor, call_id=call_id)
    for outcome in view.selection.outcomes:
        proposal = view.proposals[outcome.entry.key]
        proposal.rank, proposal.rank_note = outcome.rank, outcome.note[:300]
        selected = outcome.status == ranking.SELECTED
        proposal.granted = {s: str(a) for s, a in outcome.granted.items()} if selected else None
        states.move(session, actor=actor, proposal=proposal, target=SELECTED if selected else NOT_SELECTED,
                    note=f"rank {outcome.rank}: {outcome.status}")
    call.ranking_published_at = now
    session.flush()
    audit.record(session, actor=actor, action="publish_ranking", resource_type="pact_call", resource_id=call.id,
                 after={"ranking": [{"proposal_id": o.entry.key, "rank": o.rank, "status": o.status,
                                     "granted": {s: str(a) for s, a in o.granted.items()}}
                                    for o in view.selection.outcomes],
                        "remaining": {s: str(a) for s, a in view.selection.remaining.items()}})
    return RankingView(call, view.selection, view.proposals, True, [])
