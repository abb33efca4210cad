"""The Region's delegations of the Funds as *enti titolari* (DM 115/2024 art. 4): a period and a scope of
standards (profile codes and/or sector codes). A Fund acts as *ente titolare* only for a standard its
delegation covers on the day it acts; what it issued while delegated stays valid after the delegation ends
(verification checks the delegation on the issuance date)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from regia.auth import audit
from regia.auth.errors import Conflict, Forbidden, InvalidInput, NotFound
from regia.auth.models import Organisation, OrgType
from regia.auth.policy import READ, WRITE, Resource, can, visible
from regia.auth.principal import Principal
from regia.certification.models import Delegation, Profile
from regia.clock import to_rome
from regia.i18n import N_


def grant(session: Session, *, actor: Principal, organisation_id: int, valid_from: date, valid_to: date,
          profiles: list[str], sectors: list[str], legal_reference: str) -> Delegation:
    if not can(actor, WRITE, Resource.IVC_DELEGATION):
        raise Forbidden("only the Region grants delegations", key=N_("certification.err.region_only"))
    fund = session.get(Organisation, organisation_id)
    if fund is None or fund.type != OrgType.FUND:
        raise InvalidInput("a delegation is granted to a Fund", field="organisation_id",
                           key=N_("certification.err.not_a_fund"))
    if valid_to < valid_from:
        raise InvalidInput("the delegation ends before it starts", field="valid_to",
                           key=N_("certification.err.bad_period"))
    profiles = sorted({p.strip() for p in profiles if p.strip()})
    sectors = sorted({s.strip() for s in sectors if s.strip()})
    if not profiles and not sectors:
        raise InvalidInput("a delegation covers at least one standard or sector", field="profiles",
                           key=N_("certification.err.empty_scope"))
    if not legal_reference.strip():
        raise InvalidInput("the act of delegation is required", field="legal_reference",
                           key=N_("certification.err.legal_reference"))
    delegation = Delegation(organisation_id=fund.id, valid_from=valid_from, valid_to=valid_to, profiles=profiles,
                            sectors=sectors, legal_reference=legal_reference.strip(), granted_by=actor.label)
    session.add(delegation)
    session.flush()
    audit.record(session, actor=actor, action="grant_delegation", resource_type="ivc_delegation",
                 resource_id=delegation.id, organisation_id=fund.id,
                 after={"fund": fund.name, "valid_from": valid_from.isoformat(), "valid_to": valid_to.isoformat(),
                        "profiles": profiles, "sectors": sectors, "legal_reference": delegation.legal_reference})
    return delegation


def revoke(session: Session, *, actor: Principal, id: int, reason: str) -> Delegation:
    if not can(actor, WRITE, Resource.IVC_DELEGATION):
        raise Forbidden("only the Region revokes delegations", key=N_("certification.err.region_only"))
    delegation = session.get(Delegation, id)
    if delegation is None:
        raise NotFound(f"no delegation {id}")
    if delegation.revoked_at is not None:
        raise Conflict("the delegation is already revoked")
    if not reason.strip():
        raise InvalidInput("a revocation needs a reason", field="reason", key=N_("certification.err.reason_required"))
    delegation.revoked_at, delegation.revoked_by = datetime.now(UTC), actor.label
    delegation.revoke_reason = reason.strip()
    session.flush()
    audit.record(session, actor=actor, action="revoke_delegation", resource_type="ivc_delegation",
                 resource_id=delegation.id, organisation_id=delegation.organisation_id,
                 before={"revoked": False}, after={"revoked": True}, note=delegation.revoke_reason)
    return delegation


def active_at(delegation: Delegation, moment: datetime) -> bool:
    """In force at ``moment``: inside its period (dates in Rome) and not yet revoked."""
    if not delegation.valid_from <= to_rome(moment).date() <= delegation.valid_to:
        return False
    if delegation.revoked_at is not None:
        revoked = delegation.revoked_at if delegation.revoked_at.tzinfo else delegation.revoked_at.replace(tzinfo=UTC)
        return moment < revoked
    return True


def covering(session: Session, *, organisation_id: int, profile_code: str, sector_code: str,
             at: datetime) -> Delegation | None:
    """The Fund's delegation covering this standard at ``at``, if any."""
    for delegation in session.scalars(select(Delegation).where(Delegation.organisation_id == organisation_id)
                                      .order_by(Delegation.id)):
        if (profile_code in delegation.profiles or sector_code in delegation.sectors) and active_at(delegation, at):
            return delegation
    return None


def require_titolare(session: Session, *, organisation: Organisation, profile: Profile,
                     at: datetime | None = None) -> None:
    """Refuse (403) a Fund acting as *ente titolare* outside its delegation; the Region always is one."""
    if organisation.type == OrgType.REGION:
        return
    if organisation.type != OrgType.FUND:
        raise Forbidden("only the Region or a delegated Fund is an ente titolare",
                        key=N_("certification.err.not_titolare"))
    at = at or datetime.now(UTC)
    if covering(session, organisation_id=organisation.id, profile_code=profile.code, sector_code=profile.sector_code,
                at=at) is None:
        day = to_rome(at).date().isoformat()
        raise Forbidden(f"{organisation.name} is not delegated for {profile.code} on {day}",
                        key=N_("certification.err.not_delegated"),
                        params={"fund": organisation.name, "standard": profile.code, "day": day})


def list_visible(session: Session, *, principal: Principal) -> list[Delegation]:
    if not can(principal, READ, Resource.IVC_DELEGATION):
        raise Forbidden("not allowed to read delegations")
    return list(session.scalars(visible(select(Delegation), principal, Delegation).order_by(Delegation.id)))
