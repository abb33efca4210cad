"""Pact proposals under a call: create a draft, read, list, edit it, validate it, submit it (deadline, complete
manifestation, frozen version with its evidence snapshot), reopen it before the deadline. Access decisions
come from :mod:`regia.auth.policy` (``pact_proposal``); state changes go through :mod:`regia.pacts.states`;
every change goes to the audit log."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from regia.auth import audit
from regia.auth.errors import Conflict, Forbidden, InvalidInput, NotFound
from regia.auth.models import OrgType
from regia.auth.policy import EDITING, READ, WRITE, Resource, can, visible
from regia.auth.principal import Principal
from regia.i18n import format_datetime
from regia.pacts import calls, documents, evidence, states
from regia.pacts.evidence import EvidenceProvider
from regia.pacts.manifestation import Issue, parse
from regia.pacts.manifestation import validate as validate_manifestation
from regia.pacts.models import DRAFT, SUBMITTED, Call, Proposal, ProposalVersion

MAX_BODY_BYTES = 200_000


def _check_body(body: dict[str, Any]) -> dict[str, Any]:
    size = len(json.dumps(body, ensure_ascii=False, default=str).encode())
    if size > MAX_BODY_BYTES:
        raise InvalidInput(f"the proposal body is over {MAX_BODY_BYTES} bytes", field="body")
    return audit.jsonable(body)  # type: ignore[no-any-return]


def get(session: Session, *, principal: Principal, id: int) -> Proposal:
    proposal = session.get(Proposal, id)
    if proposal is None:
        raise NotFound(f"no proposal {id}")
    if not can(principal, READ, Resource.PACT_PROPOSAL, proposal):
        raise Forbidden("this proposal belongs to another organisation")
    return proposal


class IncompleteManifestation(InvalidInput):
    """Submission refused: the manifestation has issues (all of them in ``issues``)."""

    def __init__(self, issues: list[Issue]) -> None:
        summary = "; ".join(i.text("en") for i in issues[:5]) + (" …" if len(issues) > 5 else "")
        super().__init__(f"the manifestation is not complete ({len(issues)} issues): {summary}", field="body")
        self.issues = issues


def _now(now: datetime | None) -> datetime:
    now = now or datetime.now(UTC)
    return now if now.tzinfo else now.replace(tzinfo=UTC)


def list_visible(session: Session, *, principal: Principal, limit: int = 50, offset: int = 0,
                 status: str | None = None, call_id: int | None = None) -> tuple[Sequence[Proposal], int]:
    stmt = visible(select(Proposal), principal, Proposal)
    if status is not None:
        stmt = stmt.where(Proposal.status == status)
    if call_id is not None:
        stmt = stmt.where(Proposal.call_id == call_id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Proposal.id).limit(limit).offset(offset)).all()
    return rows, total


def create(session: Session, *, actor: Principal, title: str, body: dict[str, Any] | None = None,
           organisation_id: int | None = None, call_id: int | None = None, now: datetime | None = None) -> Proposal:
    """A draft of a partnership, under ``call_id`` (the call must be open for manifestations)."""
    editable = actor.org_ids(*EDITING, types=(OrgType.PARTNERSHIP,))
    if organisation_id is None:
        if len(editable) != 1:
            raise InvalidInput("say for which partnership (organisation_id)", field="organisation_id")
        organisation_id = next(iter(editable))
    if not title.strip():
        raise InvalidInput("the title is empty", field="title")
    proposal = Proposal(organisation_id=organisation_id, title=title.strip(), status=DRAFT,
                        body=_check_body(body or {}), version=1)
    if not can(actor, WRITE, Resource.PACT_PROPOSAL, proposal):
        raise Forbidden("only editors of the partnership write its proposals")
    if call_id is not None:
        call = session.get(Call, call_id)
        if call is None:
            raise InvalidInput(f"no call {call_id}", field="call_id")
        if not calls.is_open(call, _now(now)):
            raise Conflict(f"call {call.code} is not open for manifestations of interest", field="call_id")
        proposal.call_id = call.id
    session.add(proposal)
    session.flush()
    audit.record(session, actor=actor, action="create", resource_type="pact_proposal", resource_id=proposal.id,
                 organisation_id=organisation_id, after=audit.snapshot(proposal))
    return proposal


def update(session: Session, *, actor: Principal, id: int, title: str, body: dict[str, Any],
           version: int) -> Proposal:
    proposal = get(session, principal=actor, id=id)
    if not can(actor, WRITE, Resource.PACT_PROPOSAL, proposal):
        raise Forbidden("only editors of the owner partnership edit this proposal")
    if proposal.status not in states.OWNER_EDITS_MANIFESTATION:
        raise Conflict("a submitted proposal can no longer be edited (reopen it before the deadline)",
                       field="status")
    if proposal.version != version:
        raise Conflict(f"the proposal changed since you read it (now version {proposal.version})",
                       field="version")
    if not title.strip():
        raise InvalidInput("the title is empty", field="title")
    before = audit.snapshot(proposal)
    proposal.title, proposal.body = title.strip(), _check_body(body)
    proposal.version += 1
    proposal.updated_at = datetime.now(UTC)
    session.flush()
    audit.record(session, actor=actor, action="update", resource_type="pact_proposal", resource_id=proposal.id,
                 organisation_id=proposal.organisation_id, before=before, after=audit.snapshot(proposal))
    return proposal


def course_checker(session: Session) -> Callable[[int], bool]:
    """Asks the catalogue (read-only, through its service) whether a course exists."""
    from regia.catalog import service as catalog

    engine = session.get_bind()
    cache: dict[int, bool] = {}

    def exists(course_id: int) -> bool:
        if course_id not in cache:
            try:
                catalog.course_detail(engine, course_id)  # type: ignore[arg-type]
                cache[course_id] = True
            except catalog.NotFound:
                cache[course_id] = False
        return cache[course_id]

    return exists


def call_of(session: Session, proposal: Proposal) -> Call | None:
    return session.get(Call, proposal.call_id) if proposal.call_id is not None else None


def validate(session: Session, *, principal: Principal, id: int) -> list[Issue]:
    """Every missing or inconsistent item of the proposal's manifestation (empty: ready to submit)."""
    proposal = get(session, principal=principal, id=id)
    docs = documents.list_documents(session, principal=principal, proposal_id=proposal.id)
    return validate_manifestation(call_of(session, proposal), proposal.title, proposal.body, docs,
                                  course_exists=course_checker(session))


def submit(session: Session, *, actor: Principal, id: int, evidence_provider: EvidenceProvider | None = None,
           now: datetime | None = None) -> Proposal:
    """Submit a draft: refused after the call's deadline (Conflict) or with issues (IncompleteManifestation,
    422, listing them all). Freezes version n+1 with the evidence snapshot, then moves to ``submitted``."""
    now = _now(now)
    proposal = get(session, principal=actor, id=id)
    if not can(actor, WRITE, Resource.PACT_PROPOSAL, proposal):
        raise Forbidden("only editors of the owner partnership submit this proposal")
    states.check(actor, proposal, SUBMITTED)
    call = call_of(session, proposal)
    if call is not None:
        deadline = calls.aware(call.manifestation_deadline)
        if now > deadline:
            raise Conflict(f"the deadline of call {call.code} for manifestations of interest "
                           f"({format_datetime(deadline, 'en')}, Rome) has passed: submission refused",
                           field="deadline")
        if now < calls.aware(call.opens_at):
            raise Conflict(f"call {call.code} is not open yet", field="deadline")
    issues = validate(session, principal=actor, id=id)
    if issues:
        raise IncompleteManifestation(issues)
    manifestation, _ = parse(proposal.body)
    territory = manifestation.territory
    snap = evidence.snapshot(evidence_provider or evidence.no_evidence,
                             territories=territory.nuts3 + territory.provinces, sectors=manifestation.sectors,
                             now=now)
    number = len(proposal.versions) + 1
    version = ProposalVersion(proposal_id=proposal.id, number=number, title=proposal.title,
                              body=audit.jsonable(proposal.body), evidence=snap, submitted_at=now,
                              submitted_by=actor.label,
                              content_hash=evidence.content_hash(proposal.title, proposal.body, snap))
    proposal.versions.append(version)
    proposal.evidence = snap
    proposal.requested = {k: f"{v:.2f}" for k, v in manifestation.requested.items()}
    proposal.submitted_at = now
    session.flush()
    audit.record(session, actor=actor, action="freeze_version", resource_type="pact_proposal_version",
                 resource_id=version.id, organisation_id=proposal.organisation_id,
                 after={"proposal_id": proposal.id, "number": number, "content_hash": version.content_hash})
    return states.move(session, actor=actor, proposal=proposal, target=SUBMITTED, note=f"version {number}")


def reopen(session: Session, *, actor: Principal, id: int, now: datetime | None = None) -> Proposal:
    """Back to draft, only before the call's deadline; the frozen versions stay (the next submission
    freezes version n+1)."""
    now = _now(now)
    proposal = get(session, principal=actor, id=id)
    if not can(actor, WRITE, Resource.PACT_PROPOSAL, proposal):
        raise Forbidden("only editors of the owner partnership reopen this proposal")
    states.check(actor, proposal, DRAFT)
    call = call_of(session, proposal)
    if call is not None and now > calls.aware(call.manifestation_deadline):
        raise Conflict(f"the deadline of call {call.code} has passed: the proposal can no longer be reopened",
                       field="deadline")
    return states.move(session, actor=actor, proposal=proposal, target=DRAFT)


def versions(session: Session, *, principal: Principal, id: int) -> list[ProposalVersion]:
    return list(get(session, principal=principal, id=id).versions)


def get_version(session: Session, *, principal: Principal, id: int, number: int) -> ProposalVersion:
    for version in get(session, principal=principal, id=id).versions:
        if version.number == number:
            return version
    raise NotFound(f"proposal {id} has no version {number}")
