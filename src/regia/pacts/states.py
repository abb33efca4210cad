"""The life of a pact proposal: which state may follow which, who moves it, and the audit of every move.

::

    draft ──submit──▶ submitted ──▶ admissible ──▶ evaluated ──▶ selected ──▶ programme_submitted ──▶ approved
      ▲                  │  └──────▶ inadmissible        └──────▶ not_selected      │   ▲                │
      └──reopen (before──┘                                                          └───┘ returned     in_progress
          the deadline)                                                                                  │
                                                                                                       closed

:func:`move` is the only code that changes ``Proposal.status``: any pair not in :data:`TRANSITIONS` is refused
(409), whoever asks. The *guards* of a move (the deadline, a complete manifestation, all score sheets in,
the co-financing rules) are checked by the service that calls :func:`move`, before it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from regia.auth import audit
from regia.auth.errors import Conflict, Forbidden
from regia.auth.models import OrgType, Role
from regia.auth.policy import EDITING
from regia.auth.principal import Principal
from regia.pacts.models import (
    ADMISSIBLE,
    APPROVED,
    CLOSED,
    DRAFT,
    EVALUATED,
    IN_PROGRESS,
    INADMISSIBLE,
    NOT_SELECTED,
    PROGRAMME_SUBMITTED,
    SELECTED,
    SUBMITTED,
    Proposal,
)


class Party(enum.StrEnum):
    OWNER = "owner"  # editors/admins of the partnership that owns the proposal
    REGION = "region"  # editors/admins of a Regione organisation


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    action: str  # the verb recorded in the audit log
    parties: frozenset[Party]


def _t(source: str, target: str, action: str, *parties: Party) -> tuple[tuple[str, str], Transition]:
    return (source, target), Transition(source, target, action, frozenset(parties))


TRANSITIONS: dict[tuple[str, str], Transition] = dict([
    _t(DRAFT, SUBMITTED, "submit", Party.OWNER),
    _t(SUBMITTED, DRAFT, "reopen", Party.OWNER),  # only before the deadline (guard in the service)
    _t(SUBMITTED, ADMISSIBLE, "admit", Party.REGION),
    _t(SUBMITTED, INADMISSIBLE, "declare_inadmissible", Party.REGION),
    _t(ADMISSIBLE, EVALUATED, "close_evaluation", Party.REGION),
    _t(EVALUATED, SELECTED, "select", Party.REGION),
    _t(EVALUATED, NOT_SELECTED, "not_select", Party.REGION),
    _t(SELECTED, PROGRAMME_SUBMITTED, "submit_programme", Party.OWNER),
    _t(PROGRAMME_SUBMITTED, SELECTED, "return_programme", Party.REGION),
    _t(PROGRAMME_SUBMITTED, APPROVED, "approve_programme", Party.REGION),
    _t(APPROVED, IN_PROGRESS, "start", Party.OWNER, Party.REGION),
    _t(IN_PROGRESS, CLOSED, "close", Party.REGION),
])

# Proposal states in which the owner edits something: the manifestation, then the programme, then progress.
OWNER_EDITS_MANIFESTATION = frozenset({DRAFT})
OWNER_EDITS_PROGRAMME = frozenset({SELECTED})
OWNER_REPORTS_PROGRESS = frozenset({APPROVED, IN_PROGRESS})


def next_states(status: str) -> list[str]:
    return [t.target for (source, _), t in TRANSITIONS.items() if source == status]


def parties_of(principal: Principal, proposal: Proposal) -> set[Party]:
    parties = set()
    if principal.is_system or proposal.organisation_id in principal.org_ids(*EDITING,
                                                                            types=(OrgType.PARTNERSHIP,)):
        parties.add(Party.OWNER)
    if principal.is_system or principal.has(roles=(Role.ADMIN, Role.EDITOR), types=(OrgType.REGION,)):
        parties.add(Party.REGION)
    return parties


def check(principal: Principal, proposal: Proposal, target: str) -> Transition:
    """The transition from the proposal's state to ``target``, if it exists and ``principal`` may make it."""
    transition = TRANSITIONS.get((proposal.status, target))
    if transition is None:
        raise Conflict(f"a proposal cannot go from {proposal.status!r} to {target!r}", field="status")
    if not transition.parties & parties_of(principal, proposal):
        who = " or ".join(sorted(transition.parties))
        raise Forbidden(f"only the {who} may {transition.action.replace('_', ' ')} this proposal")
    return transition


def move(session: Session, *, actor: Principal, proposal: Proposal, target: str, note: str | None = None) -> Proposal:
    """Change the proposal's state to ``target`` (legal transitions only), bump its version, audit it."""
    transition = check(actor, proposal, target)
    before = {"status": proposal.status, "version": proposal.version}
    proposal.status = target
    proposal.version += 1
    proposal.updated_at = datetime.now(UTC)
    session.flush()
    audit.record(session, actor=actor, action=transition.action, resource_type="pact_proposal",
                 resource_id=proposal.id, organisation_id=proposal.organisation_id, before=before,
                 after={"status": proposal.status, "version": proposal.version}, note=note)
    return proposal
