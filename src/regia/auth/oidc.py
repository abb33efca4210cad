"""OpenID Connect login (Authorization Code flow with PKCE), for the regional identity provider (SPID/CIE
through an OIDC gateway) or any standard OpenID provider.

Everything is done for real: discovery (``/.well-known/openid-configuration``), the provider's keys from its
``jwks_uri``, the code exchange at its token endpoint over HTTP, and the ID token's validation — signature
against the provider's keys (asymmetric algorithms only), ``iss``, ``aud`` (and ``azp``), ``exp``/``iat``
with a small leeway, and the ``nonce`` of this login.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

ALLOWED_ALGORITHMS = ("RS256", "PS256", "ES256", "EdDSA")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


class OIDCError(Exception):
    """The login could not be completed; the message is safe to show (no tokens, no personal data)."""


def _check_url(url: str, what: str) -> str:
    parts = urlsplit(url)
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS):
        return url
    raise OIDCError(f"{what} must use https: {parts.scheme}://{parts.hostname}")


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None = None
    signing_algorithms: tuple[str, ...] = ("RS256",)
    token_auth_methods: tuple[str, ...] = ("client_secret_basic",)


@dataclass(frozen=True)
class AuthRequest:
    url: str
    state: str
    nonce: str
    code_verifier: str


@dataclass(frozen=True)
class Identity:
    issuer: str
    subject: str
    email: str | None
    email_verified: bool
    name: str | None
    fiscal_code: str | None = field(repr=False)  # personal: never logged


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


class OIDCClient:
    def __init__(self, *, issuer: str, client_id: str, client_secret: str | None = None,
                 scopes: str = "openid profile email", http: httpx.Client | None = None, leeway: int = 60,
                 cache_seconds: int = 3600) -> None:
        self.issuer = _check_url(issuer.rstrip("/"), "the issuer")
        self.client_id = client_id
        self._secret = client_secret
        self.scopes = scopes if "openid" in scopes.split() else f"openid {scopes}"
        self._http = http or httpx.Client(timeout=10.0, follow_redirects=False)
        self.leeway = leeway
        self.cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._metadata: tuple[float, ProviderMetadata] | None = None
        self._keys: tuple[float, KeySet] | None = None

    def __repr__(self) -> str:
        return f"OIDCClient(issuer={self.issuer!r}, client_id={self.client_id!r})"

    # -- discovery and keys -----------------------------------------------------------------------------------
    def _get_json(self, url: str, what: str) -> dict[str, Any]:
        try:
            response = self._http.get(url, headers={"Accept": "application/json"})
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise OIDCError(f"cannot read the provider's {what} ({type(exc).__name__})") from None
        if not isinstance(data, dict):
            raise OIDCError(f"the provider's {what} is not a JSON object")
        return data

    def metadata(self) -> ProviderMetadata:
        with self._lock:
            if self._metadata and time.monotonic() - self._metadata[0] < self.cache_seconds:
                return self._metadata[1]
        doc = self._get_json(f"{self.issuer}/.well-known/openid-configuration", "discovery document")
        if str(doc.get("issuer", "")).rstrip("/") != self.issuer:
            raise OIDCError("the discovery document names another issuer")
        try:
            meta = ProviderMetadata(
                issuer=str(doc["issuer"]),
                authorization_endpoint=_check_url(str(doc["authorization_endpoint"]), "authorization_endpoint"),
                token_endpoint=_check_url(str(doc["token_endpoint"]), "token_endpoint"),
                jwks_uri=_check_url(str(doc["jwks_uri"]), "jwks_uri"),
                userinfo_endpoint=doc.get("userinfo_endpoint"),
                signing_algorithms=tuple(doc.get("id_token_signing_alg_values_supported") or ("RS256",)),
                token_auth_methods=tuple(doc.get("token_endpoint_auth_methods_supported")
                                         or ("client_secret_basic",)),
            )
        except KeyError as exc:
            raise OIDCError(f"the discovery document lacks {exc.args[0]}") from None
        if "S256" not in (doc.get("code_challenge_methods_supported") or ["S256"]):
            raise OIDCError("the provider does not support PKCE with S256")
        with self._lock:
            self._metadata = (time.monotonic(), meta)
        return meta

    def keys(self, *, refresh: bool = False) -> KeySet:
        with self._lock:
            if not refresh and self._keys and time.monotonic() - self._keys[0] < self.cache_seconds:
                return self._keys[1]
        doc = self._get_json(self.metadata().jwks_uri, "key set")
        try:
            keyset = KeySet.import_key_set(doc)  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise OIDCError(f"the provider's key set is unusable ({type(exc).__name__})") from None
        if any(key.key_type == "oct" for key in keyset.keys):
            raise OIDCError("the provider's key set holds a symmetric key")
        with self._lock:
            self._keys = (time.monotonic(), keyset)
        return keyset

    # -- the flow ---------------------------------------------------------------------------------------------
    def begin(self, redirect_uri: str, *, extra: dict[str, str] | None = None) -> AuthRequest:
        meta = self.metadata()
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        verifier, challenge = pkce_pair()
        params = {"response_type": "code", "client_id": self.client_id, "redirect_uri": redirect_uri,
                  "scope": self.scopes, "state": state, "nonce": nonce, "code_challenge": challenge,
                  "code_challenge_method": "S256", **(extra or {})}
        separator = "&" if "?" in meta.authorization_endpoint else "?"
        return AuthRequest(f"{meta.authorization_endpoint}{separator}{urlencode(params)}", state, nonce, verifier)

    def exchange(self, *, code: str, redirect_uri: str, code_verifier: str) -> dict[str, Any]:
        meta = self.metadata()
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
                "code_verifier": code_verifier}
        auth: httpx.BasicAuth | None = None
        if self._secret and "client_secret_basic" in meta.token_auth_methods:
            auth = httpx.BasicAuth(self.client_id, self._secret)
        elif self._secret:
            form |= {"client_id": self.client_id, "client_secret": self._secret}
        else:
            form["client_id"] = self.client_id
        try:
            response = self._http.post(meta.token_endpoint, data=form, auth=auth or httpx.USE_CLIENT_DEFAULT,
                                       headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise OIDCError(f"the token endpoint did not answer ({type(exc).__name__})") from None
        if response.status_code != 200:
            error = ""
            with contextlib.suppress(ValueError):
                error = str(response.json().get("error", ""))[:60]
            raise OIDCError(f"the provider refused the code (HTTP {response.status_code} {error})".strip())
        try:
            tokens = response.json()
        except ValueError:
            raise OIDCError("the token response is not JSON") from None
        if not isinstance(tokens, dict) or not isinstance(tokens.get("id_token"), str):
            raise OIDCError("the token response has no ID token")
        if str(tokens.get("token_type", "bearer")).lower() != "bearer":
            raise OIDCError("unexpected token type")
        return tokens

    def validate_id_token(self, id_token: str, *, nonce: str) -> dict[str, Any]:
        meta = self.metadata()
        algorithms = [alg for alg in ALLOWED_ALGORITHMS if alg in meta.signing_algorithms] or ["RS256"]
        try:
            token = jwt.decode(id_token, self.keys(), algorithms=algorithms)
        except (JoseError, ValueError) as first:
            # The provider may have rotated its keys: fetch them again once.
            try:
                token = jwt.decode(id_token, self.keys(refresh=True), algorithms=algorithms)
            except (JoseError, ValueError):
                raise OIDCError(f"the ID token's signature is not valid ({type(first).__name__})") from None
        claims = dict(token.claims)
        registry = jwt.JWTClaimsRegistry(leeway=self.leeway, exp={"essential": True}, iat={"essential": True},
                                         sub={"essential": True})
        try:
            registry.validate(claims)
        except JoseError as exc:
            raise OIDCError(f"the ID token is not acceptable ({exc.error})") from None
        if claims.get("iss") != meta.issuer:
            raise OIDCError("the ID token comes from another issuer")
        audience = claims.get("aud")
        audiences = [audience] if isinstance(audience, str) else audience if isinstance(audience, list) else []
        if self.client_id not in audiences:
            raise OIDCError("the ID token is meant for another client")
        if len(audiences) > 1 and claims.get("azp") != self.client_id:
            raise OIDCError("the ID token's authorised party is another client")
        if not isinstance(claims.get("iat"), int | float) or claims["iat"] > time.time() + self.leeway:
            raise OIDCError("the ID token is issued in the future")
        if not secrets.compare_digest(str(claims.get("nonce", "")), nonce):
            raise OIDCError("the ID token's nonce does not match this login")
        return claims

    def finish(self, *, code: str, redirect_uri: str, code_verifier: str, nonce: str) -> Identity:
        tokens = self.exchange(code=code, redirect_uri=redirect_uri, code_verifier=code_verifier)
        claims = self.validate_id_token(tokens["id_token"], nonce=nonce)
        fiscal = claims.get("fiscal_number") or claims.get("fiscalNumber") or claims.get(
            "https://attributes.eid.gov.it/fiscal_number")
        return Identity(
            issuer=str(claims["iss"]), subject=str(claims["sub"]),
            email=claims.get("email") if isinstance(claims.get("email"), str) else None,
            email_verified=claims.get("email_verified") is True,
            name=claims.get("name") if isinstance(claims.get("name"), str) else None,
            fiscal_code=fiscal if isinstance(fiscal, str) else None)
