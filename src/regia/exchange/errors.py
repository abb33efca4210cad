"""Refusals of the exchange: a stable ``reason`` code, an HTTP status and an English detail, answered as
problem details (RFC 9457) with the reason as an extension member (and, at the token endpoint, the OAuth 2.0
``error`` code of RFC 6749 §5.2). Every refusal is audited with its reason (:mod:`regia.exchange.gate`)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

PROBLEM_MEDIA_TYPE = "application/problem+json"

# reason -> what it means (served at /exchange/v1/problems and in the OpenAPI description)
REASONS: dict[str, str] = {
    "invalid_request": "The request is malformed (a missing or unreadable parameter or header).",
    "unsupported_grant_type": "Only grant_type=client_credentials is supported.",
    "unknown_client": "No registered client has this client_id (iss/sub of the assertion).",
    "client_revoked": "The client system was revoked by the operator.",
    "unknown_key": "The kid of the JWS is not among the client's registered keys.",
    "bad_signature": "The signature does not verify with the key named by kid.",
    "bad_algorithm": "The JWS algorithm is not accepted.",
    "wrong_audience": "The token's aud is not this server's (another audience).",
    "wrong_issuer": "The token's iss is not what it must be.",
    "expired": "The token has expired (exp).",
    "not_yet_valid": "The token is not valid yet (nbf or iat in the future).",
    "lifetime_too_long": "exp - iat exceeds the accepted lifetime.",
    "missing_claim": "A required claim is missing.",
    "invalid_claim": "A claim has a wrong type or value.",
    "replayed_jti": "This jti was already used (replay).",
    "purpose_not_granted": "The purposeId is not a purpose granted to this client, or it was revoked.",
    "purpose_not_allowed": "The token's purpose does not cover this operation.",
    "missing_token": "An access token (Authorization: Bearer) is required.",
    "invalid_token": "The access token is not one this server issued, or it is unreadable.",
    "missing_digest": "Requests that change data carry Digest: SHA-256=... of the body.",
    "digest_mismatch": "The body does not match its Digest (changed after signing?).",
    "missing_signature": "Requests that change data carry an Agid-JWT-Signature (INTEGRITY_REST_01).",
    "signed_headers_mismatch": "signed_headers of the Agid-JWT-Signature do not match the request's headers.",
    "tracking_missing": "The token binds AgID-JWT-TrackingEvidence (digest) but the header is missing.",
    "tracking_mismatch": "The AgID-JWT-TrackingEvidence does not match the digest bound into the token.",
    "consent_required": "The person has not given consent to this purpose.",
    "rate_limited": "Too many requests in this window: retry after Retry-After seconds.",
    "idempotency_key_reused": "This Idempotency-Key was used with another request.",
    "idempotency_in_progress": "A request with this Idempotency-Key is still being processed.",
    "not_found": "No such record.",
    "invalid_cursor": "The cursor is not one this feed gave.",
}
OAUTH_ERRORS = {  # reason -> RFC 6749 §5.2 error code, at the token endpoint
    "invalid_request": "invalid_request", "unsupported_grant_type": "unsupported_grant_type",
    "purpose_not_granted": "unauthorized_client",
}


class ExchangeError(Exception):
    def __init__(self, status: int, reason: str, detail: str, *, headers: dict[str, str] | None = None,
                 oauth: bool = False) -> None:
        super().__init__(detail)
        assert reason in REASONS, reason
        self.status = status
        self.reason = reason
        self.detail = detail
        self.headers = headers or {}
        self.oauth = oauth  # answer with the OAuth error code too (token endpoint)

    def body(self, instance: str) -> dict[str, Any]:
        out: dict[str, Any] = {"type": f"urn:regia:exchange:problem:{self.reason}",
                               "title": HTTPStatus(self.status).phrase, "status": self.status,
                               "detail": self.detail, "instance": instance, "reason": self.reason}
        if self.oauth:
            out["error"] = OAUTH_ERRORS.get(self.reason, "invalid_client")
            out["error_description"] = self.detail
        return out


def unauthorized(reason: str, detail: str, *, oauth: bool = False) -> ExchangeError:
    return ExchangeError(401, reason, detail, headers={"WWW-Authenticate": 'Bearer realm="regia-exchange"'},
                         oauth=oauth)


def forbidden(reason: str, detail: str, *, oauth: bool = False) -> ExchangeError:
    return ExchangeError(403, reason, detail, oauth=oauth)


def bad_request(reason: str, detail: str, *, oauth: bool = False) -> ExchangeError:
    return ExchangeError(400, reason, detail, oauth=oauth)


def problem_response(request: Request, exc: ExchangeError) -> Response:
    return JSONResponse(exc.body(request.url.path), status_code=exc.status, headers=exc.headers,
                        media_type=PROBLEM_MEDIA_TYPE)
