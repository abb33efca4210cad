"""A minimal but real OpenID Provider for tests: discovery, JWKS, an authorization endpoint that logs in a
configured test person at once, and a token endpoint that checks the client, the redirect URI, the code and
PKCE, and returns ID tokens signed with RS256 (joserfc). It runs over HTTP on a loopback port
(:func:`support.servers.live_server`), so the product's OIDC client does real discovery and token exchange.

Knobs to misbehave (``issuer.faults``) let tests check that the client refuses bad ID tokens.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route


@dataclass
class Faults:
    wrong_audience: bool = False
    wrong_nonce: bool = False
    expired: bool = False
    wrong_issuer: bool = False
    foreign_key: bool = False  # signed with a key that is not in the JWKS
    alg_none: bool = False


@dataclass
class LocalIssuer:
    client_id: str = "regia-test"
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    redirect_uris: set[str] = field(default_factory=set)
    person: dict[str, Any] = field(default_factory=lambda: {
        "sub": "spid-0001", "name": "Maria Rossi", "email": "maria.rossi@example.org", "email_verified": True,
        "fiscal_number": "TINIT-RSSMRA85T50F205X"})
    faults: Faults = field(default_factory=Faults)
    url: str = ""  # set when served
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "test-1",
                                                                                     "use": "sig"}))
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    token_requests: int = 0

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/.well-known/openid-configuration", self.discovery),
            Route("/jwks", self.jwks),
            Route("/authorize", self.authorize),
            Route("/token", self.token, methods=["POST"]),
        ])

    async def discovery(self, request: Request) -> Response:
        return JSONResponse({
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "jwks_uri": f"{self.url}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["openid", "profile", "email"],
        })

    async def jwks(self, request: Request) -> Response:
        return JSONResponse(KeySet([self.key]).as_dict(private=False))

    async def authorize(self, request: Request) -> Response:
        q = request.query_params
        if q.get("client_id") != self.client_id or q.get("redirect_uri") not in self.redirect_uris:
            return JSONResponse({"error": "invalid_client"}, status_code=400)
        if q.get("response_type") != "code" or "openid" not in (q.get("scope") or "").split():
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        if q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
            return JSONResponse({"error": "invalid_request", "error_description": "PKCE required"}, status_code=400)
        code = secrets.token_urlsafe(24)
        self.codes[code] = {"redirect_uri": q["redirect_uri"], "nonce": q.get("nonce"),
                            "challenge": q["code_challenge"], "at": time.time(), "person": dict(self.person)}
        return RedirectResponse(f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q.get('state', '')})}",
                                status_code=302)

    def _client_ok(self, request: Request, form: dict[str, str]) -> bool:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        return client_id == self.client_id and secrets.compare_digest(secret, self.client_secret)

    async def token(self, request: Request) -> Response:
        self.token_requests += 1
        form = {k: str(v) for k, v in (await request.form()).items()}
        if not self._client_ok(request, form):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        grant = self.codes.pop(form.get("code", ""), None)  # a code is good once
        if form.get("grant_type") != "authorization_code" or grant is None:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        if form.get("redirect_uri") != grant["redirect_uri"] or time.time() - grant["at"] > 60:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if not secrets.compare_digest(challenge, grant["challenge"]):
            return JSONResponse({"error": "invalid_grant", "error_description": "PKCE"}, status_code=400)
        return JSONResponse({"access_token": secrets.token_urlsafe(24), "token_type": "Bearer", "expires_in": 300,
                             "id_token": self.id_token(grant)})

    def id_token(self, grant: dict[str, Any]) -> str:
        now = int(time.time())
        f = self.faults
        claims = {**grant["person"], "iss": "https://elsewhere.example" if f.wrong_issuer else self.url,
                  "aud": "someone-else" if f.wrong_audience else self.client_id,
                  "iat": now - (7200 if f.expired else 0), "exp": now + (-3600 if f.expired else 300),
                  "nonce": "not-the-nonce" if f.wrong_nonce else grant["nonce"], "auth_time": now}
        if f.alg_none:
            header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
            import json

            body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
            return f"{header}.{body}."
        key = RSAKey.generate_key(2048, parameters={"kid": "test-1"}) if f.foreign_key else self.key
        return jwt.encode({"alg": "RS256", "kid": "test-1", "typ": "JWT"}, claims, key)
