"""The exchange's logic for the CLI, the API and the pages: client systems and their purposes, seen token
identifiers, consents and the record of who read a person's data. No HTTP here.

Every change is audited (``regia.auth.audit``) in the same transaction, with the operator or person as actor.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from regia.auth import audit
from regia.auth.errors import Conflict, InvalidInput, NotFound
from regia.auth.models import Organisation
from regia.auth.principal import Principal
from regia.db import session_scope
from regia.exchange import keys
from regia.exchange.models import (
    ACTIVE,
    GRANTED,
    REVOKED,
    WITHDRAWN,
    AccessSubject,
    Client,
    Consent,
    Grant,
    SeenJti,
    utcnow,
)
from regia.exchange.registry import REGISTRY, Purpose

RESOURCE = "exchange_client"


# --- client systems ------------------------------------------------------------------------------------

def _purpose(code: str) -> Purpose:
    purpose = REGISTRY.purpose(code)
    if purpose is None:
        known = ", ".join(sorted(p.code for p in REGISTRY.purposes()))
        raise InvalidInput(f"unknown purpose {code!r} (known: {known})", field="purpose")
    return purpose


def _organisation(session: Session, value: str | int | None) -> Organisation | None:
    if value is None or value == "":
        return None
    if isinstance(value, int) or str(value).isdigit():
        org = session.get(Organisation, int(value))
    else:
        org = session.scalar(select(Organisation).where(
            (Organisation.name == value) | (Organisation.tax_code == value) | (Organisation.vat_number == value)))
    if org is None:
        raise NotFound(f"no organisation {value!r}", field="organisation")
    return org


def register_client(session: Session, *, actor: Principal, name: str, jwks: Any, purposes: list[str],
                    organisation: str | int | None = None, rate_limit: int | None = None,
                    client_id: str | None = None) -> Client:
    """A new client system with its public keys and the purposes it may use (one grant each)."""
    name = name.strip()
    if not name:
        raise InvalidInput("a client needs a name", field="name")
    try:
        key_set = keys.validate_client_jwks(jwks)
    except keys.InvalidKeySet as exc:
        raise InvalidInput(str(exc), field="jwks") from None
    if rate_limit is not None and rate_limit < 1:
        raise InvalidInput("rate limit must be at least 1 request per window", field="rate_limit")
    for code in purposes:
        _purpose(code)
    org = _organisation(session, organisation)
    if session.scalar(select(Client.id).where(Client.name == name)) is not None:
        raise Conflict(f"a client named {name!r} exists already", field="name")
    client = Client(client_id=client_id or str(uuid.uuid4()), name=name, organisation_id=org.id if org else None,
                    jwks=key_set, rate_limit=rate_limit, status=ACTIVE)
    session.add(client)
    session.flush()
    for code in dict.fromkeys(purposes):
        client.grants.append(Grant(purpose_id=str(uuid.uuid4()), purpose=code, status=ACTIVE))
    session.flush()
    audit.record(session, actor=actor, action="create", resource_type=RESOURCE, resource_id=client.client_id,
                 organisation_id=client.organisation_id, after=describe(client))
    return client


def describe(client: Client) -> dict[str, Any]:
    return {"client_id": client.client_id, "name": client.name, "organisation_id": client.organisation_id,
            "status": client.status, "rate_limit": client.rate_limit,
            "kids": [k.get("kid") for k in client.jwks.get("keys", [])],
            "grants": [{"purpose": g.purpose, "purpose_id": g.purpose_id, "status": g.status}
                       for g in client.grants]}


def get_client(session: Session, client_id: str) -> Client:
    client = session.scalar(select(Client).where((Client.client_id == client_id) | (Client.name == client_id))
                            .options(selectinload(Client.grants)))
    if client is None:
        raise NotFound(f"no client {client_id!r}", field="client")
    return client


def list_clients(session: Session) -> list[Client]:
    return list(session.scalars(select(Client).options(selectinload(Client.grants)).order_by(Client.name)))


def revoke_client(session: Session, *, actor: Principal, client_id: str) -> Client:
    """Revokes the client: its tokens stop working at once (every call checks the client's status)."""
    client = get_client(session, client_id)
    before = describe(client)
    client.status, client.revoked_at = REVOKED, utcnow()
    session.flush()
    audit.record(session, actor=actor, action="revoke", resource_type=RESOURCE, resource_id=client.client_id,
                 organisation_id=client.organisation_id, before=before, after=describe(client))
    return client


def set_keys(session: Session, *, actor: Principal, client_id: str, jwks: Any) -> Client:
    """Replaces the client's public keys (key rotation: register the new set with both keys first)."""
    client = get_client(session, client_id)
    try:
        key_set = keys.validate_client_jwks(jwks)
    except keys.InvalidKeySet as exc:
        raise InvalidInput(str(exc), field="jwks") from None
    before = describe(client)
    client.jwks = key_set
    session.flush()
    audit.record(session, actor=actor, action="update", resource_type=RESOURCE, resource_id=client.client_id,
                 organisation_id=client.organisation_id, before=before, after=describe(client), note="keys")
    return client


def grant(session: Session, *, actor: Principal, client_id: str, purpose: str) -> Grant:
    """Grants a purpose to the client (or re-activates a revoked grant, with a new purpose id)."""
    _purpose(purpose)
    client = get_client(session, client_id)
    before = describe(client)
    row = next((g for g in client.grants if g.purpose == purpose), None)
    if row is None:
        row = Grant(purpose_id=str(uuid.uuid4()), purpose=purpose, status=ACTIVE)
        client.grants.append(row)
    elif row.status != ACTIVE:
        row.purpose_id, row.status, row.revoked_at = str(uuid.uuid4()), ACTIVE, None
    session.flush()
    audit.record(session, actor=actor, action="grant", resource_type=RESOURCE, resource_id=client.client_id,
                 organisation_id=client.organisation_id, before=before, after=describe(client), note=purpose)
    return row


def revoke_grant(session: Session, *, actor: Principal, client_id: str, purpose: str) -> Grant:
    client = get_client(session, client_id)
    row = next((g for g in client.grants if g.purpose == purpose), None)
    if row is None:
        raise NotFound(f"client {client.name!r} has no purpose {purpose!r}", field="purpose")
    before = describe(client)
    row.status, row.revoked_at = REVOKED, utcnow()
    session.flush()
    audit.record(session, actor=actor, action="revoke", resource_type=RESOURCE, resource_id=client.client_id,
                 organisation_id=client.organisation_id, before=before, after=describe(client), note=purpose)
    return row


@dataclass(frozen=True)
class ActiveGrant:
    """A client and one of its active purposes, as a plain value (for the request's lifetime)."""

    client_id: str
    client_name: str
    organisation_id: int | None
    jwks: dict[str, Any]
    rate_limit: int | None
    purpose_id: str
    purpose: Purpose


def active_client(session: Session, client_id: str) -> Client | None:
    return session.scalar(select(Client).where(Client.client_id == client_id).options(selectinload(Client.grants)))


def active_grant(client: Client, purpose_id: str) -> ActiveGrant | None:
    row = next((g for g in client.grants if g.purpose_id == purpose_id and g.status == ACTIVE), None)
    purpose = REGISTRY.purpose(row.purpose) if row is not None else None
    if row is None or purpose is None:
        return None
    return ActiveGrant(client.client_id, client.name, client.organisation_id, client.jwks, client.rate_limit,
                       row.purpose_id, purpose)


# --- replay protection ---------------------------------------------------------------------------------------

def remember_jti(engine: Engine, *, client_id: str, kind: str, jti: str, expires_at: datetime) -> bool:
    """Records a token identifier until the token expires, in a transaction of its own (a replay is refused
    even when the first request later fails); False when it was seen already. Expired identifiers are purged
    on the way: their tokens are refused as expired, so they can no longer be replayed."""
    try:
        with session_scope(engine) as session:
            session.execute(delete(SeenJti).where(SeenJti.expires_at < utcnow() - timedelta(minutes=5)))
            session.add(SeenJti(client_id=client_id, kind=kind, jti=jti[:200], expires_at=expires_at))
    except IntegrityError:
        return False
    return True


# --- consents and accesses -------------------------------------------------------------------------------

def consent_purposes() -> list[Purpose]:
    return [p for p in REGISTRY.purposes() if p.consent]


def consents(session: Session, subject: str) -> dict[str, Consent]:
    return {c.purpose: c for c in session.scalars(select(Consent).where(Consent.subject == subject))}


def has_consent(session: Session, subjects: set[str], purpose: str) -> set[str]:
    """Those of ``subjects`` who gave (and did not withdraw) consent to ``purpose``."""
    if not subjects:
        return set()
    return set(session.scalars(select(Consent.subject).where(
        Consent.subject.in_(subjects), Consent.purpose == purpose, Consent.status == GRANTED)))


def set_consent(session: Session, *, actor: Principal, subject: str, purpose: str, given: bool) -> Consent:
    """A person gives or withdraws consent to a purpose that asks for it."""
    p = _purpose(purpose)
    if not p.consent:
        raise InvalidInput(f"purpose {purpose!r} does not ask for consent", field="purpose")
    row = session.scalar(select(Consent).where(Consent.subject == subject, Consent.purpose == purpose))
    before = {"purpose": purpose, "status": row.status} if row is not None else None
    if row is None:
        row = Consent(subject=subject, purpose=purpose, status=GRANTED if given else WITHDRAWN,
                      user_id=actor.user_id)
        session.add(row)
    else:
        row.status, row.user_id, row.updated_at = GRANTED if given else WITHDRAWN, actor.user_id, utcnow()
    session.flush()
    audit.record(session, actor=actor, action="consent" if given else "withdraw", resource_type="exchange_consent",
                 resource_id=purpose, before=before, after={"purpose": purpose, "status": row.status})
    return row


def accesses(session: Session, subject: str, *, limit: int = 200) -> list[AccessSubject]:
    """Who read this person's data, for which purpose, newest first."""
    return list(session.scalars(select(AccessSubject).where(AccessSubject.subject == subject)
                                .order_by(AccessSubject.at.desc(), AccessSubject.id.desc()).limit(limit)))
