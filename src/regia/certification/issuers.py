"""Issuers of credentials (the Region, each delegated Fund): their URLs, keys, controller and ``did:web``
documents.

An issuer's id is ``{REGIA_PUBLIC_URL}/certification/issuers/{slug}``; GET on it answers the **controller
document** (``assertionMethod`` and ``verificationMethod`` list every key as a ``Multikey``), so any Data
Integrity verifier that dereferences the proof's ``verificationMethod`` (``{issuer url}#{publicKeyMultibase}``)
finds the key. Rotation (:func:`rotate_key`) makes a new key the one that signs and keeps the old ones in the
document (retired, with their ``revoked``-free entries), so everything signed before still verifies. The same
keys are published as a ``did:web`` document at ``{issuer url}/did.json``
(``did:web:{host%3Aport}:certification:issuers:{slug}``).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from regia.auth import audit
from regia.auth.errors import Conflict, NotFound
from regia.auth.models import Organisation, OrgType
from regia.auth.principal import Principal
from regia.certification import keys
from regia.certification.contexts import DID_V1, MULTIKEY_V1
from regia.certification.models import Issuer, IssuerKey
from regia.config import get_settings


def public_url() -> str:
    return get_settings().public_url.rstrip("/")


def issuer_url(issuer: Issuer) -> str:
    return f"{public_url()}/certification/issuers/{issuer.slug}"


def verification_method(issuer: Issuer, key: IssuerKey) -> str:
    return f"{issuer_url(issuer)}#{key.public_key_multibase}"


def did_web(issuer: Issuer) -> str:
    """``did:web`` of the issuer (the port's colon percent-encoded, the path's slashes as colons)."""
    parts = urlsplit(issuer_url(issuer))
    return "did:web:" + ":".join([quote(parts.netloc, safe=""), *parts.path.strip("/").split("/")])


def _slug(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:50] or "issuer"


def get_by_slug(session: Session, slug: str) -> Issuer:
    issuer = session.scalar(select(Issuer).where(Issuer.slug == slug))
    if issuer is None:
        raise NotFound(f"no issuer {slug!r}")
    return issuer


def for_organisation(session: Session, organisation_id: int) -> Issuer | None:
    return session.scalar(select(Issuer).where(Issuer.organisation_id == organisation_id))


def ensure(session: Session, *, actor: Principal, organisation: Organisation, legal_reference: str = "") -> Issuer:
    """The issuer of the Region or of a Fund, created with its first key on first use."""
    if organisation.type not in (OrgType.REGION, OrgType.FUND):
        raise Conflict("only the Region and the delegated Funds issue credentials", field="organisation_id")
    issuer = for_organisation(session, organisation.id)
    if issuer is not None:
        return issuer
    slug = base = _slug(organisation.name)
    n = 1
    while session.scalar(select(Issuer.id).where(Issuer.slug == slug)) is not None:
        n += 1
        slug = f"{base}-{n}"
    issuer = Issuer(organisation_id=organisation.id, slug=slug, name=organisation.name,
                    legal_reference=legal_reference)
    session.add(issuer)
    session.flush()
    audit.record(session, actor=actor, action="create_issuer", resource_type="ivc_issuer", resource_id=issuer.id,
                 organisation_id=organisation.id, after={"slug": slug, "url": issuer_url(issuer)})
    rotate_key(session, actor=actor, issuer=issuer)
    return issuer


def active_key(issuer: Issuer) -> IssuerKey:
    current = [k for k in issuer.keys if k.retired_at is None]
    if not current:
        raise Conflict(f"issuer {issuer.slug} has no active key")
    return current[-1]


def signing_key(issuer: Issuer) -> tuple[IssuerKey, Ed25519PrivateKey]:
    key = active_key(issuer)
    return key, keys.load(key.file_name)


def rotate_key(session: Session, *, actor: Principal, issuer: Issuer) -> IssuerKey:
    """A new signing key; the previous ones are retired (they sign nothing new and stay published)."""
    name, multikey = keys.generate(issuer.slug)
    now = datetime.now(UTC)
    for old in issuer.keys:
        if old.retired_at is None:
            old.retired_at = now
    key = IssuerKey(issuer_id=issuer.id, public_key_multibase=multikey, file_name=name)
    issuer.keys.append(key)
    session.flush()
    audit.record(session, actor=actor, action="rotate_key", resource_type="ivc_issuer", resource_id=issuer.id,
                 organisation_id=issuer.organisation_id, after={"public_key_multibase": multikey})
    return key


def key_for_method(session: Session, method: str) -> tuple[Issuer, IssuerKey] | None:
    """The issuer and key a ``verificationMethod`` names (HTTPS issuer URL or did:web form), if ours."""
    base, _, fragment = method.partition("#")
    key = session.scalar(select(IssuerKey).where(IssuerKey.public_key_multibase == fragment))
    if key is None:
        return None
    issuer = session.get(Issuer, key.issuer_id)
    assert issuer is not None
    return (issuer, key) if base in (issuer_url(issuer), did_web(issuer)) else None


def _methods(controller: str, issuer: Issuer) -> list[dict[str, Any]]:
    return [{"id": f"{controller}#{k.public_key_multibase}", "type": "Multikey", "controller": controller,
             "publicKeyMultibase": k.public_key_multibase} for k in issuer.keys]


def controller_document(issuer: Issuer) -> dict[str, Any]:
    """The issuer's controller document (every key, the active one first)."""
    url = issuer_url(issuer)
    methods = sorted(_methods(url, issuer), key=lambda m: m["publicKeyMultibase"] != active_key(issuer)
                     .public_key_multibase)
    return {"@context": [DID_V1, MULTIKEY_V1], "id": url, "name": issuer.name,
            "alsoKnownAs": [did_web(issuer)], "verificationMethod": methods,
            "assertionMethod": [m["id"] for m in methods]}


def did_document(issuer: Issuer) -> dict[str, Any]:
    did = did_web(issuer)
    methods = _methods(did, issuer)
    return {"@context": [DID_V1, MULTIKEY_V1], "id": did, "alsoKnownAs": [issuer_url(issuer)],
            "verificationMethod": methods, "assertionMethod": [m["id"] for m in methods]}


def profile(issuer: Issuer, organisation: Organisation | None = None) -> dict[str, Any]:
    """The issuer as an Open Badges ``Profile`` inside a credential."""
    out: dict[str, Any] = {"id": issuer_url(issuer), "type": ["Profile"], "name": issuer.name}
    if organisation is not None and organisation.tax_code:
        out["otherIdentifier"] = [{"type": "IdentifierEntry", "identifier": organisation.tax_code,
                                   "identifierType": "identifier"}]
    if issuer.legal_reference:
        out["description"] = issuer.legal_reference
    return out
