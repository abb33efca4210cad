"""Verifying the JWS/JWT the exchange receives, with joserfc, each failure named by its reason.

The order of the checks is that of RFC 8725 and the ModI processing rules: an accepted algorithm, a key the
signer registered (``kid``), the signature, then the claims (required ones present, audience, issuer,
subject, times — joserfc's :class:`JWTClaimsRegistry` — and the lifetime ``exp - iat``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Collection
from dataclasses import dataclass
from functools import partial
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet

from regia.exchange.errors import unauthorized


@dataclass(frozen=True)
class Token:
    header: dict[str, Any]
    claims: dict[str, Any]


def peek(value: str, *, what: str = "token", oauth: bool = False) -> Token:
    """Header and claims of a compact JWS, unverified (to find out who claims to have signed it)."""
    try:
        obj = jws.extract_compact(value.encode("ascii"))
        claims = json.loads(obj.payload)
    except (JoseError, ValueError, UnicodeError) as exc:
        raise unauthorized("invalid_token", f"the {what} is not a compact JWS ({type(exc).__name__})",
                           oauth=oauth) from None
    if not isinstance(claims, dict):
        raise unauthorized("invalid_token", f"the {what}'s payload is not a JSON object", oauth=oauth)
    return Token(dict(obj.headers()), claims)


def verify(value: str, keys: KeySet, *, algorithms: Collection[str], audience: str | None,
           required: Collection[str], max_ttl: int | None, leeway: int, what: str = "token",
           issuer: str | None = None, subject: str | None = None, typ: Collection[str] | None = None,
           now: int | None = None, oauth: bool = False) -> Token:
    """The verified header and claims of ``value`` signed by one of ``keys``; refusals are 401s with their
    reason (the ``what`` names the token in the detail)."""
    deny = partial(unauthorized, oauth=oauth)
    peeked = peek(value, what=what, oauth=oauth)
    header = peeked.header
    alg = str(header.get("alg"))
    if alg not in algorithms:
        raise deny("bad_algorithm", f"the {what}'s alg {alg!r} is not accepted ({', '.join(algorithms)})")
    if typ is not None and header.get("typ") not in typ:
        raise deny("invalid_token", f"the {what}'s typ {header.get('typ')!r} is not {' or '.join(typ)}")
    kid = header.get("kid")
    if not isinstance(kid, str) or not any(k.kid == kid for k in keys):
        raise deny("unknown_key", f"the {what} is signed with a key (kid {kid!r}) that is not registered "
                                          f"for its signer")
    try:
        token = jwt.decode(value, keys, algorithms=[alg])
    except BadSignatureError:
        raise deny("bad_signature", f"the {what}'s signature does not verify with key {kid!r}") from None
    except JoseError as exc:
        raise deny("invalid_token", f"the {what} cannot be read: {exc.error}") from None
    claims = token.claims
    options: dict[str, Any] = {name: {"essential": True} for name in required}
    if audience is not None:
        options["aud"] = {"essential": True, "value": audience}
    if issuer is not None:
        options["iss"] = {"essential": True, "value": issuer}
    if subject is not None:
        options["sub"] = {"essential": True, "value": subject}
    registry = jwt.JWTClaimsRegistry(now=now or int(time.time()), leeway=leeway, **options)
    try:
        registry.validate(claims)
    except MissingClaimError as exc:
        raise deny("missing_claim", f"the {what} lacks the claim(s) {exc.claim}") from None
    except ExpiredTokenError:
        raise deny("expired", f"the {what} has expired (exp)") from None
    except InvalidClaimError as exc:
        name = exc.claim
        reason = {"aud": "wrong_audience", "iss": "wrong_issuer", "nbf": "not_yet_valid",
                  "iat": "not_yet_valid"}.get(name, "invalid_claim")
        detail = {"aud": f"the {what}'s aud {claims.get('aud')!r} is not {audience!r}",
                  "iss": f"the {what}'s iss is not {issuer!r}", "sub": f"the {what}'s sub is not {subject!r}",
                  "nbf": f"the {what} is not valid yet (nbf)", "iat": f"the {what} was issued in the future (iat)",
                  }.get(name, f"the {what}'s claim {name!r} is invalid")
        raise deny(reason, detail) from None
    if max_ttl is not None:
        iat, exp = claims.get("iat"), claims.get("exp")
        if isinstance(iat, int | float) and isinstance(exp, int | float) and exp - iat > max_ttl:
            raise deny("lifetime_too_long", f"the {what} lives {int(exp - iat)} s, more than {max_ttl} s")
    return Token(dict(token.header), claims)
