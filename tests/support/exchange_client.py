"""A client system of the exchange API, written against its OpenAPI document with httpx and joserfc — what a
Fund's management system does: sign a client assertion for a purpose, trade it for a voucher, read change
feeds until they are exhausted (keeping a copy in sync), and post with INTEGRITY_REST_01 headers.

Everything it needs is read from ``/exchange/v1/openapi.json``: the token endpoint (the security scheme's
``tokenUrl``), the audiences (``x-audiences``), and the paths it calls are checked against the document's.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from joserfc import jwt
from joserfc.jwk import ECKey, Key, RSAKey

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def new_key(kid: str, kind: str = "EC") -> Key:
    if kind == "RSA":
        return RSAKey.generate_key(2048, parameters={"kid": kid}, private=True)
    return ECKey.generate_key("P-256", parameters={"kid": kid}, private=True)


def alg_of(key: Key) -> str:
    return "RS256" if isinstance(key, RSAKey) else "ES256"


def public_jwks(*keys: Key) -> dict[str, Any]:
    return {"keys": [k.as_dict(private=False) for k in keys]}


@dataclass
class ClientSystem:
    """What the operator registered: the client id, the purposes' ids, and the private key kept here."""

    client_id: str
    key: Key
    purposes: dict[str, str] = field(default_factory=dict)  # purpose code -> purposeId


def digest_header(body: bytes) -> str:
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


class ExchangeClient:
    def __init__(self, http: httpx.Client, system: ClientSystem) -> None:
        self.http = http
        self.system = system
        self.doc = http.get("/exchange/v1/openapi.json").json()
        flows = self.doc["components"]["securitySchemes"]["pdndVoucher"]["flows"]["clientCredentials"]
        self.token_path: str = flows["tokenUrl"]
        self.audiences: dict[str, str] = self.doc["x-audiences"]
        self._vouchers: dict[tuple[str, str | None], tuple[str, float]] = {}

    # -- documented paths
    def path(self, template: str, method: str = "get", **params: str) -> str:
        assert method in self.doc["paths"].get(template, {}), f"{method.upper()} {template} not in the OpenAPI"
        for name, value in params.items():
            template = template.replace("{" + name + "}", value)
        return template

    # -- tokens
    def sign(self, claims: dict[str, Any], *, key: Key | None = None, header: dict[str, Any] | None = None) -> str:
        key = key or self.system.key
        return jwt.encode({"alg": alg_of(key), "kid": key.kid, "typ": "JWT", **(header or {})}, claims, key)

    def assertion(self, purpose: str, *, digest: str | None = None, **overrides: Any) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {"iss": self.system.client_id, "sub": self.system.client_id,
                                  "aud": self.audiences["token"], "jti": str(uuid.uuid4()), "iat": now,
                                  "exp": now + 300, "purposeId": self.system.purposes.get(purpose, purpose)}
        if digest is not None:
            claims["digest"] = {"alg": "SHA256", "value": digest}
        key = overrides.pop("key", None)
        claims.update(overrides)
        return self.sign({k: v for k, v in claims.items() if v is not None}, key=key)

    def request_token(self, assertion: str, **form: str) -> httpx.Response:
        data = {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": assertion, **form}
        return self.http.post(self.path(self.token_path, "post"), data=data)

    def voucher(self, purpose: str, *, tracking: str | None = None) -> str:
        cached = self._vouchers.get((purpose, tracking))
        if cached and cached[1] > time.time() + 30:
            return cached[0]
        digest = hashlib.sha256(tracking.encode()).hexdigest() if tracking else None
        response = self.request_token(self.assertion(purpose, digest=digest))
        assert response.status_code == 200, response.text
        body = response.json()
        self._vouchers[(purpose, tracking)] = (body["access_token"], time.time() + body["expires_in"])
        return str(body["access_token"])

    def tracking_evidence(self, purpose: str, *, user: str, location: str, loa: str = "LoA3") -> str:
        now = int(time.time())
        return self.sign({"iss": self.system.client_id, "aud": self.audiences["api"], "jti": str(uuid.uuid4()),
                          "iat": now, "exp": now + 300, "purposeId": self.system.purposes[purpose],
                          "userID": user, "userLocation": location, "LoA": loa})

    # -- calls
    def headers(self, purpose: str, *, tracking: str | None = None) -> dict[str, str]:
        out = {"Authorization": f"Bearer {self.voucher(purpose, tracking=tracking)}"}
        if tracking:
            out["AgID-JWT-TrackingEvidence"] = tracking
        return out

    def get(self, path: str, purpose: str, *, params: dict[str, Any] | None = None,
            tracking: str | None = None) -> httpx.Response:
        return self.http.get(path, params=params, headers=self.headers(purpose, tracking=tracking))

    def integrity(self, body: bytes, *, content_type: str = "application/json", **overrides: Any) -> dict[str, str]:
        """Digest and Agid-JWT-Signature of a body (INTEGRITY_REST_01)."""
        digest = digest_header(body)
        now = int(time.time())
        claims = {"iss": self.system.client_id, "sub": self.system.client_id, "aud": self.audiences["api"],
                  "iat": now, "nbf": now, "exp": now + 300, "jti": str(uuid.uuid4()),
                  "signed_headers": [{"digest": digest}, {"content-type": content_type}]}
        key = overrides.pop("key", None)
        claims.update(overrides)
        return {"Digest": digest, "Agid-JWT-Signature": self.sign(claims, key=key), "Content-Type": content_type}

    def post(self, path: str, purpose: str, payload: Any, *, idempotency_key: str | None = None,
             body: bytes | None = None, headers: dict[str, str] | None = None) -> httpx.Response:
        raw = json.dumps(payload).encode()
        sent = {**self.headers(purpose), **self.integrity(raw), **(headers or {})}
        if idempotency_key:
            sent["Idempotency-Key"] = idempotency_key
        return self.http.post(path, content=raw if body is None else body, headers=sent)

    def sync(self, feed_path: str, purpose: str, copy: dict[str, Any], *, cursor: str | None = None,
             limit: int = 100) -> tuple[str | None, int]:
        """Applies the feed's changes after ``cursor`` to ``copy`` (id -> record); (next cursor, changes)."""
        seen = 0
        while True:
            params: dict[str, Any] = {"limit": limit}
            if cursor:
                params["since"] = cursor
            response = self.get(feed_path, purpose, params=params)
            assert response.status_code == 200, response.text
            page = response.json()
            for item in page["items"]:
                seen += 1
                if item["op"] == "upsert":
                    copy[item["id"]] = item["data"]
                else:
                    copy.pop(item["id"], None)
            cursor = page["next"]
            if not page["more"]:
                return cursor, seen
