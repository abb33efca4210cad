"""The voucher flow (PDND): a client trades a signed client assertion for a short access token.

**Client assertion** (OAuth 2.0 client credentials with ``private_key_jwt``, RFC 7521/7523), sent to
``POST /exchange/v1/token`` as ``client_assertion`` with ``client_assertion_type =
urn:ietf:params:oauth:client-assertion-type:jwt-bearer`` and ``grant_type = client_credentials``:
header ``alg`` (RS*/PS*/ES*), ``kid`` (a key of the client's JWKS), ``typ: JWT``; claims ``iss = sub =
client_id``, ``aud`` = the token endpoint's URL, ``jti`` (never reused: kept until ``exp``), ``iat``, ``exp``
(at most ``assertion_max_ttl`` after ``iat``), ``purposeId`` (a purpose granted to the client) and, for
AUDIT_REST_02, ``digest = {"alg": "SHA256", "value": hex SHA-256 of the AgID-JWT-TrackingEvidence JWS}``.

**Voucher** (RFC 9068 ``at+jwt``) signed by the server (ES256, its JWKS at
``/exchange/v1/.well-known/jwks.json``): ``iss`` = the server, ``aud`` = the e-services' base URL, ``sub`` =
``client_id`` = the client, ``purposeId``, ``purpose`` (its code), ``jti``, ``iat``, ``nbf``, ``exp`` (after
``voucher_ttl``) and the assertion's ``digest`` when there was one.
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from joserfc import jwt
from sqlalchemy import Engine

from regia.db import session_factory
from regia.exchange import jwts, keys
from regia.exchange import service as exchange
from regia.exchange.errors import bad_request, forbidden, unauthorized
from regia.exchange.models import ACTIVE, Client
from regia.exchange.settings import ExchangeSettings

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
GRANT_TYPE = "client_credentials"
VOUCHER_TYP = "at+jwt"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Voucher:
    token: str
    expires_in: int
    claims: dict[str, Any]
    grant: exchange.ActiveGrant


def _client(engine: Engine, client_id: str, *, oauth: bool) -> Client:
    with session_factory(engine)() as session:
        client = exchange.active_client(session, client_id)
        if client is None:
            raise unauthorized("unknown_client", f"no client {client_id!r} is registered", oauth=oauth)
        if client.status != ACTIVE:
            raise unauthorized("client_revoked", f"client {client.name!r} was revoked", oauth=oauth)
        session.expunge(client)
        return client


def _digest_claim(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    if (not isinstance(value, dict) or value.get("alg") != "SHA256" or not isinstance(value.get("value"), str)
            or not _HEX64.match(value["value"].lower())):
        raise bad_request("invalid_claim", 'digest must be {"alg": "SHA256", "value": <64 hex digits>}', oauth=True)
    return {"alg": "SHA256", "value": value["value"].lower()}


def issue(engine: Engine, settings: ExchangeSettings, *, grant_type: str | None, assertion_type: str | None,
          assertion: str | None, client_id: str | None) -> Voucher:
    """Verifies a client assertion and issues a voucher (every refusal raises with its reason)."""
    if grant_type != GRANT_TYPE:
        raise bad_request("unsupported_grant_type", f"grant_type must be {GRANT_TYPE}", oauth=True)
    if assertion_type != ASSERTION_TYPE or not assertion:
        raise bad_request("invalid_request", f"client_assertion and client_assertion_type={ASSERTION_TYPE} are "
                                             "required", oauth=True)
    claimed = jwts.peek(assertion, what="client assertion", oauth=True).claims
    iss = claimed.get("iss")
    if not isinstance(iss, str) or not iss:
        raise unauthorized("missing_claim", "the client assertion lacks iss (the client_id)", oauth=True)
    if client_id is not None and client_id != iss:
        raise unauthorized("invalid_claim", "client_id differs from the assertion's iss", oauth=True)
    client = _client(engine, iss, oauth=True)
    token = _verified(assertion, client, settings)
    claims = token.claims
    grant = exchange.active_grant(client, str(claims.get("purposeId")))
    if grant is None:
        raise forbidden("purpose_not_granted", f"purposeId {claims.get('purposeId')!r} is not an active purpose of "
                                               f"client {client.name!r}", oauth=True)
    digest = _digest_claim(claims.get("digest"))
    if not exchange.remember_jti(engine, client_id=client.client_id, kind="assertion", jti=str(claims["jti"]),
                                 expires_at=datetime.fromtimestamp(claims["exp"] + settings.leeway, UTC)):
        raise unauthorized("replayed_jti", f"the client assertion's jti {claims['jti']!r} was already used",
                           oauth=True)
    now = int(time.time())
    voucher: dict[str, Any] = {
        "iss": settings.issuer, "aud": settings.audience, "sub": client.client_id, "client_id": client.client_id,
        "purposeId": grant.purpose_id, "purpose": grant.purpose.code, "jti": str(uuid.uuid4()),
        "iat": now, "nbf": now, "exp": now + settings.voucher_ttl}
    if digest is not None:
        voucher["digest"] = digest
    key = keys.server_key(settings)
    value = jwt.encode({"alg": keys.SERVER_ALG, "kid": key.kid, "typ": VOUCHER_TYP}, voucher, key,
                       algorithms=[keys.SERVER_ALG])
    return Voucher(value, settings.voucher_ttl, voucher, grant)


def _verified(assertion: str, client: Client, settings: ExchangeSettings) -> jwts.Token:
    return jwts.verify(assertion, keys.client_keyset(client.jwks), algorithms=keys.CLIENT_ALGS,
                       audience=settings.token_endpoint, issuer=client.client_id, subject=client.client_id,
                       required=("jti", "iat", "exp", "purposeId"), max_ttl=settings.assertion_max_ttl,
                       leeway=settings.leeway, what="client assertion", oauth=True)


def verify_voucher(value: str, settings: ExchangeSettings) -> jwts.Token:
    """The claims of a voucher this server issued for its own audience (signature, typ, iss, aud, times)."""
    return jwts.verify(value, keys.server_keyset(settings), algorithms=(keys.SERVER_ALG,), audience=settings.audience,
                       issuer=settings.issuer, required=("sub", "purposeId", "jti", "iat", "exp"), max_ttl=None,
                       leeway=settings.leeway, typ=(VOUCHER_TYP,), what="access token")
