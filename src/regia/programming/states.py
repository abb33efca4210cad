"""The life of an agreement: which status may follow which, who moves it, and the audit of every move.

::

    draft ──sign──▶ signed ──enter_into_force──▶ in_force ──close──▶ closed

:func:`move` is the only code that changes ``Agreement.status``: a pair not in :data:`TRANSITIONS` is refused
(409) whoever asks; every transition is the Region's (its admins and editors); each bumps the agreement's version
and writes the audit entry. The guard of signing (a signatory of each party) is checked here too, because no
other path leads to ``signed``. While a draft, the parties edit the agreement directly (the Region all of it, the
Fund its own commitments); once signed, only through amendments (:func:`regia.programming.service.amend`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy.orm import Session

from regia.auth import audit
from regia.auth.errors import Conflict, Forbidden, InvalidInput
from regia.auth.models import OrgType
from regia.auth.policy import EDITING, REGION_STAFF
from regia.auth.principal import Principal
from regia.i18n import N_
from regia.programming.models import CLOSED, DRAFT, IN_FORCE, SIGNED, Agreement


class Party(enum.StrEnum):
    REGION = "region"  # editors/admins of a Regione organisation
    FUND = "fund"  # editors/admins of the agreement's Fund


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    action: str
    parties: frozenset[Party]


TRANSITIONS: dict[tuple[str, str], Transition] = {
    (DRAFT, SIGNED): Transition(DRAFT, SIGNED, "sign", frozenset({Party.REGION})),
    (SIGNED, IN_FORCE): Transition(SIGNED, IN_FORCE, "enter_into_force", frozenset({Party.REGION})),
    (IN_FORCE, CLOSED): Transition(IN_FORCE, CLOSED, "close", frozenset({Party.REGION})),
}
EDITED_DIRECTLY = frozenset({DRAFT})
AMENDED = frozenset({SIGNED, IN_FORCE})
PLANNED = frozenset({DRAFT, SIGNED, IN_FORCE})  # plans and tranches change while the agreement is not closed


def next_states(status: str) -> list[str]:
    return [t.target for (source, _), t in TRANSITIONS.items() if source == status]


def parties_of(principal: Principal, agreement: Agreement) -> set[Party]:
    parties = set()
    if principal.is_system or principal.has(roles=REGION_STAFF, types=(OrgType.REGION,)):
        parties.add(Party.REGION)
    if principal.is_system or agreement.fund_id in principal.org_ids(*EDITING, types=(OrgType.FUND,)):
        parties.add(Party.FUND)
    return parties


def check(principal: Principal, agreement: Agreement, target: str) -> Transition:
    transition = TRANSITIONS.get((agreement.status, target))
    if transition is None:
        raise Conflict(f"an agreement cannot go from {agreement.status!r} to {target!r}", field="status",
                       key=N_("programming.err.transition"), params={"source": agreement.status, "target": target})
    if not transition.parties & parties_of(principal, agreement):
        raise Forbidden(f"only the Region may {transition.action.replace('_', ' ')} an agreement",
                        key=N_("programming.err.region_only"))
    if target == SIGNED:
        signed_by = {str(s.get("party")) for s in agreement.signatories or [] if s.get("name")}
        missing = sorted({"region", "fund"} - signed_by)
        if missing:
            raise InvalidInput(f"a signatory of each party is needed (missing: {', '.join(missing)})",
                               field="signatories", key=N_("programming.err.signatories"),
                               params={"missing": ", ".join(missing)})
    return transition


def move(session: Session, *, actor: Principal, agreement: Agreement, target: str, note: str | None = None
         ) -> Agreement:
    transition = check(actor, agreement, target)
    before = {"status": agreement.status, "version": agreement.version}
    agreement.status = target
    session.flush()  # the version counter moves with the flush
    audit.record(session, actor=actor, action=transition.action, resource_type="programming_agreement",
                 resource_id=agreement.id, organisation_id=agreement.fund_id, before=before,
                 after={"status": agreement.status, "version": agreement.version}, note=note)
    return agreement
