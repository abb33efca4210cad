"""Message-level patterns of the ModI guidelines on requests that reach an e-service.

**INTEGRITY_REST_01** (requests that change data): a ``Digest: SHA-256=<base64 of the SHA-256 of the body>``
header (RFC 3230) and an ``Agid-JWT-Signature`` JWS signed with a key of the client's JWKS, claims ``iss`` =
``sub`` = the client, ``aud`` = the e-services' base URL, ``iat``, ``nbf``, ``exp``, ``jti`` (never reused)
and ``signed_headers = [{"digest": "SHA-256=…"}, {"content-type": "…"}]``, which must equal the request's own
headers. The server recomputes the digest of the body it received: a body changed after signing fails.

**AUDIT_REST_02**: an ``AgID-JWT-TrackingEvidence`` JWS (claims ``iss`` = the client, ``aud``, ``purposeId``,
``iat``, ``exp``, ``jti``, ``userID``, ``userLocation``, optionally ``LoA``), signed by the client, whose
SHA-256 (hex, of the compact JWS) is the ``digest`` bound into the client assertion and so into the voucher:
the evidence cannot be swapped for another one. Its audit data go into the call's audit entry.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from regia.exchange import jwts, keys
from regia.exchange import service as exchange
from regia.exchange.errors import bad_request, unauthorized
from regia.exchange.settings import ExchangeSettings

DIGEST_HEADER = "Digest"
SIGNATURE_HEADER = "Agid-JWT-Signature"
TRACKING_HEADER = "AgID-JWT-TrackingEvidence"
TRACKING_CLAIMS = ("userID", "userLocation", "LoA")


def body_digest(body: bytes) -> str:
    """The ``Digest`` header value of ``body``: ``SHA-256=<base64>``."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


def evidence_digest(evidence: str) -> str:
    """The hex SHA-256 of a tracking evidence JWS, as bound into the assertion's ``digest`` claim."""
    return hashlib.sha256(evidence.encode("ascii")).hexdigest()


def _sha256_value(header: str) -> str | None:
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name.strip().upper() == "SHA-256" and value:
            return value.strip()
    return None


def check_integrity(engine: Engine, settings: ExchangeSettings, grant: exchange.ActiveGrant,
                    headers: Any, body: bytes) -> dict[str, Any]:
    """The verified claims of the request's Agid-JWT-Signature, after checking the body against the Digest."""
    digest = headers.get(DIGEST_HEADER)
    if not digest:
        raise bad_request("missing_digest", f"a {DIGEST_HEADER}: SHA-256=... header of the body is required")
    given = _sha256_value(digest)
    expected = body_digest(body)
    if given is None:
        raise bad_request("missing_digest", f"{DIGEST_HEADER} has no SHA-256 value")
    if not hmac.compare_digest(given, expected.removeprefix("SHA-256=")):
        raise bad_request("digest_mismatch", "the body's SHA-256 differs from its Digest header")
    signature = headers.get(SIGNATURE_HEADER)
    if not signature:
        raise unauthorized("missing_signature", f"an {SIGNATURE_HEADER} JWS (INTEGRITY_REST_01) is required")
    token = jwts.verify(signature, keys.client_keyset(grant.jwks), algorithms=keys.CLIENT_ALGS,
                        audience=settings.audience, issuer=grant.client_id, subject=grant.client_id,
                        required=("iat", "nbf", "exp", "jti", "signed_headers"), max_ttl=settings.assertion_max_ttl,
                        leeway=settings.leeway, what=SIGNATURE_HEADER)
    signed: dict[str, str] = {}
    entries = token.claims.get("signed_headers")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise bad_request("invalid_claim", "signed_headers must be a list of {header: value} objects")
    for entry in entries:
        for name, value in entry.items():
            signed[str(name).lower()] = str(value)
    content_type = headers.get("content-type", "")
    if signed.get("digest") != digest:
        raise bad_request("signed_headers_mismatch", "the signed digest differs from the request's Digest header "
                                                     "(the body was changed after signing)")
    if signed.get("content-type") != content_type:
        raise bad_request("signed_headers_mismatch", "the signed content-type differs from the request's")
    if not exchange.remember_jti(engine, client_id=grant.client_id, kind="signature", jti=str(token.claims["jti"]),
                                 expires_at=datetime.fromtimestamp(token.claims["exp"] + settings.leeway, UTC)):
        raise unauthorized("replayed_jti", f"the {SIGNATURE_HEADER}'s jti was already used")
    return token.claims


def check_tracking(settings: ExchangeSettings, grant: exchange.ActiveGrant, voucher: dict[str, Any],
                   evidence: str | None) -> dict[str, Any] | None:
    """The audit data of the request's tracking evidence, checked against the digest of its voucher."""
    bound = voucher.get("digest")
    if bound is None:
        if evidence:
            raise bad_request("tracking_mismatch", f"{TRACKING_HEADER} sent, but no digest of it was bound into "
                                                   "the client assertion")
        return None
    if not evidence:
        raise unauthorized("tracking_missing", f"the token binds a {TRACKING_HEADER}; send it")
    if not hmac.compare_digest(evidence_digest(evidence), str(bound.get("value", ""))):
        raise unauthorized("tracking_mismatch", f"the {TRACKING_HEADER}'s SHA-256 differs from the digest bound "
                                                "into the token")
    token = jwts.verify(evidence, keys.client_keyset(grant.jwks), algorithms=keys.CLIENT_ALGS,
                        audience=settings.audience, issuer=grant.client_id,
                        required=("iat", "exp", "jti", "purposeId", "userID", "userLocation"), max_ttl=None,
                        leeway=settings.leeway, what=TRACKING_HEADER)
    if token.claims.get("purposeId") != voucher.get("purposeId"):
        raise unauthorized("tracking_mismatch", f"the {TRACKING_HEADER} is for another purpose")
    return {k: token.claims[k] for k in TRACKING_CLAIMS if k in token.claims}
