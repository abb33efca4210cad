"""Pact proposals: create, read, list, edit a draft, submit. Access decisions come from
:mod:`regia.auth.policy` (``pact_proposal``); every change goes to the audit log."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from regia.auth import audit
from regia.auth.errors import Conflict, Forbidden, InvalidInput, NotFound
from regia.auth.models import OrgType
from regia.auth.policy import EDITING, READ, WRITE, Resource, can, visible
from regia.auth.principal import Principal
from regia.pacts import states
from regia.pacts.models import DRAFT, SUBMITTED, Proposal

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


def list_visible(session: Session, *, principal: Principal, limit: int = 50, offset: int = 0,
                 status: str | None = None) -> tuple[Sequence[Proposal], int]:
    stmt = visible(select(Proposal), principal, Proposal)
    if status is not None:
        stmt = stmt.where(Proposal.status == status)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Proposal.id).limit(limit).offset(offset)).all()
    return rows, total


def create(session: Session, *, actor: Principal, title: str, body: dict[str, Any] | None = None,
           organisation_id: int | None = None) -> Proposal:
    editable = actor.org_ids(*EDITING, types=(OrgType.PARTNERSHIP,))
    if organisation_id is None:
        if len(editable) != 1:
            raise InvalidInput("say for which partnership (organisation_id)", field="organisation_id")
        organisation_id = next(iter(editable))
    proposal = Proposal(organisation_id=organisation_id, title=title.strip(), status=DRAFT,
                        body=_check_body(body or {}), version=1)
    if not can(actor, WRITE, Resource.PACT_PROPOSAL, proposal):
        raise Forbidden("only editors of the partnership write its proposals")
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
        raise Conflict("a submitted proposal can no longer be edited")
    if proposal.version != version:
        raise Conflict(f"the proposal changed since you read it (now version {proposal.version})",
                       field="version")
    before = audit.snapshot(proposal)
    proposal.title, proposal.body = title.strip(), _check_body(body)
    proposal.version += 1
    proposal.updated_at = datetime.now(UTC)
    session.flush()
    audit.record(session, actor=actor, action="update", resource_type="pact_proposal", resource_id=proposal.id,
                 organisation_id=proposal.organisation_id, before=before, after=audit.snapshot(proposal))
    return proposal


def submit(session: Session, *, actor: Principal, id: int) -> Proposal:
    proposal = get(session, principal=actor, id=id)
    if not can(actor, WRITE, Resource.PACT_PROPOSAL, proposal):
        raise Forbidden("only editors of the owner partnership submit this proposal")
    proposal.submitted_at = datetime.now(UTC)
    return states.move(session, actor=actor, proposal=proposal, target=SUBMITTED)
