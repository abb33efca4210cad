"""The life of an IVC request (DM 5 January 2021, Annex A: identification, evaluation, attestation), which
state may follow which, who moves it, and the audit of every move.

::

    requested ──take_charge──▶ identification ──submit_dossier──▶ validation ──close_validation──▶ validated
       │ refuse                    (documento di trasparenza)         (documento di validazione)  │    │
       ▼                                                                                         │    │ close
    refused          withdraw (the person, before the certification): ──▶ withdrawn              │    ▼
                                                                                                  │  closed
    validated ──open_certification──▶ certification ──record_outcome──▶ assessed ──issue_certificate──▶ certified
                                                                           └──close_not_certified──▶ closed
                                                                              (certificato + credentials)

:func:`move` is the only code that changes ``Request.status``: a pair not in :data:`TRANSITIONS` is refused (409)
whoever asks; each transition names the parties that may make it (403 otherwise). The guards (a complete
dossier, every claim evaluated, a complete commission without conflicts, the delegation of a Fund) are
checked by the service before it calls :func:`move`. Each move bumps the request's version, records a
:class:`~regia.certification.models.Move` (for the phases' durations) and an audit entry, and sets the new
phase's deadline (:data:`PHASE_DAYS`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from regia.auth import audit
from regia.auth.errors import Conflict, Forbidden
from regia.auth.models import OrgType, Role
from regia.auth.policy import EDITING
from regia.auth.principal import Principal
from regia.certification.models import (
    ASSESSED,
    CERTIFICATION,
    CERTIFIED,
    CLOSED,
    IDENTIFICATION,
    REFUSED,
    REQUESTED,
    VALIDATED,
    VALIDATION,
    WITHDRAWN,
    Move,
    Request,
)
from regia.i18n import N_


class Party(enum.StrEnum):
    PERSON = "person"  # the person the request is about (their own account)
    PROVIDER = "provider"  # editors/admins of the ente titolato running the services
    VALIDATOR = "validator"  # the assessor assigned to the validation
    EXAMINER = "examiner"  # the commission's evaluation expert (records the outcome)
    TITOLARE = "titolare"  # editors/admins of the ente titolare (the Region, or the delegated Fund)


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    action: str
    parties: frozenset[Party]


def _t(source: str, target: str, action: str, *parties: Party) -> tuple[tuple[str, str], Transition]:
    return (source, target), Transition(source, target, action, frozenset(parties))


TRANSITIONS: dict[tuple[str, str], Transition] = dict([
    _t(REQUESTED, IDENTIFICATION, "take_charge", Party.PROVIDER),
    _t(REQUESTED, REFUSED, "refuse", Party.PROVIDER, Party.TITOLARE),
    _t(REQUESTED, WITHDRAWN, "withdraw", Party.PERSON),
    _t(IDENTIFICATION, VALIDATION, "submit_dossier", Party.PROVIDER),
    _t(IDENTIFICATION, WITHDRAWN, "withdraw", Party.PERSON),
    _t(VALIDATION, VALIDATED, "close_validation", Party.VALIDATOR),
    _t(VALIDATION, WITHDRAWN, "withdraw", Party.PERSON),
    _t(VALIDATED, CERTIFICATION, "open_certification", Party.PROVIDER),
    _t(VALIDATED, CLOSED, "close", Party.PERSON, Party.PROVIDER),
    _t(VALIDATED, WITHDRAWN, "withdraw", Party.PERSON),
    _t(CERTIFICATION, ASSESSED, "record_outcome", Party.EXAMINER),
    _t(ASSESSED, CERTIFIED, "issue_certificate", Party.TITOLARE),
    _t(ASSESSED, CLOSED, "close_not_certified", Party.TITOLARE),
])

# Days each phase may take (the deadline shown and counted as overdue); none for the final states.
PHASE_DAYS = {REQUESTED: 15, IDENTIFICATION: 60, VALIDATION: 30, VALIDATED: 30, CERTIFICATION: 60, ASSESSED: 15}
FINAL = frozenset({CERTIFIED, CLOSED, WITHDRAWN, REFUSED})
PERSON_EDITS_DOSSIER = frozenset({REQUESTED, IDENTIFICATION})
PROVIDER_EDITS_DOSSIER = frozenset({IDENTIFICATION})


def next_states(status: str) -> list[str]:
    return [t.target for (source, _), t in TRANSITIONS.items() if source == status]


def _assigned(principal: Principal, request: Request, role: str) -> bool:
    return principal.has(roles=(Role.ASSESSOR,)) and any(
        a.user_id == principal.user_id and a.role == role and a.conflict is False for a in request.assignments)


def parties_of(principal: Principal, request: Request) -> set[Party]:
    if principal.is_system:
        return set(Party)
    parties = set()
    if principal.user_id is not None and request.person_user_id == principal.user_id:
        parties.add(Party.PERSON)
    if request.provider_org_id in principal.org_ids(*EDITING, types=(OrgType.PROVIDER,)):
        parties.add(Party.PROVIDER)
    if request.titolare_org_id in principal.org_ids(*EDITING, types=(OrgType.REGION, OrgType.FUND)):
        parties.add(Party.TITOLARE)
    if _assigned(principal, request, "validation"):
        parties.add(Party.VALIDATOR)
    if _assigned(principal, request, "evaluation_expert"):
        parties.add(Party.EXAMINER)
    return parties


def check(principal: Principal, request: Request, target: str) -> Transition:
    """The transition from the request's state to ``target``, if it exists and ``principal`` may make it."""
    transition = TRANSITIONS.get((request.status, target))
    if transition is None:
        raise Conflict(f"a request cannot go from {request.status!r} to {target!r}", field="status",
                       key=N_("certification.err.illegal_move"), params={"source": request.status, "target": target})
    if not transition.parties & parties_of(principal, request):
        who = " or ".join(sorted(transition.parties))
        raise Forbidden(f"only the {who} may {transition.action.replace('_', ' ')} this request",
                        key=N_("certification.err.not_your_move"), params={"action": transition.action})
    return transition


def move(session: Session, *, actor: Principal, request: Request, target: str, note: str | None = None) -> Request:
    """Change the request's state to ``target`` (legal transitions only), bump its version, audit it."""
    transition = check(actor, request, target)
    now = datetime.now(UTC)
    before = {"status": request.status, "version": request.version}
    session.add(Move(request_id=request.id, source=request.status, target=target, action=transition.action,
                     actor=actor.label, at=now))
    request.status = target
    request.version += 1
    request.phase_started_at = now
    days = PHASE_DAYS.get(target)
    request.phase_due_at = now + timedelta(days=days) if days else None
    request.updated_at = now
    session.flush()
    audit.record(session, actor=actor, action=transition.action, resource_type="ivc_request",
                 resource_id=request.id, organisation_id=request.titolare_org_id, before=before,
                 after={"status": request.status, "version": request.version}, note=note)
    return request
