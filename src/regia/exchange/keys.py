"""Keys: the server's own signing key (vouchers, export manifests) and the clients' public key sets.

The server key is an EC P-256 key (ES256) given as a JWK in ``REGIA_EXCHANGE_SIGNING_KEY`` or created once in
``<data_dir>/secrets/exchange_signing_key.json`` (mode 0600). Its public half is served as a JWKS, so that
clients verify what Regia signs. Client key sets are validated on registration: public keys only, each with a
``kid``, of a type and size the accepted algorithms can use.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from joserfc.errors import JoseError
from joserfc.jwk import ECKey, Key, KeySet, OKPKey, RSAKey

from regia.exchange.settings import ExchangeSettings

SERVER_ALG = "ES256"
# What clients may sign with (RFC 8725: an explicit list, never "none" nor an HMAC with a public key).
CLIENT_ALGS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
MIN_RSA_BITS = 2048


class InvalidKeySet(ValueError):
    """A key set that cannot be registered (the message says which key and why)."""


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


def _load_server_key(raw: str) -> Key:
    key = ECKey.import_key(json.loads(raw))
    if not key.is_private:
        raise InvalidKeySet("REGIA_EXCHANGE_SIGNING_KEY must be a private key")
    key.ensure_kid()
    return key


@lru_cache(maxsize=8)
def _server_key_from(raw: str) -> Key:
    return _load_server_key(raw)


def server_key(settings: ExchangeSettings) -> Key:
    """The server's private signing key (created on first use when not configured)."""
    if settings.signing_key is not None:
        return _server_key_from(settings.signing_key.get_secret_value())
    path = settings.secrets_dir() / "exchange_signing_key.json"
    if not path.is_file():
        key = ECKey.generate_key("P-256", private=True, auto_kid=True)
        _write_private(path, json.dumps(key.as_dict(private=True)))
    return _server_key_from(path.read_text(encoding="utf-8"))


def server_jwks(settings: ExchangeSettings) -> dict[str, Any]:
    """The public JWKS of the server (what ``/exchange/v1/.well-known/jwks.json`` serves)."""
    key = server_key(settings)
    return {"keys": [key.as_dict(private=False, use="sig", alg=SERVER_ALG)]}


def server_keyset(settings: ExchangeSettings) -> KeySet:
    return KeySet([server_key(settings)])


def validate_client_jwks(value: Any) -> dict[str, Any]:
    """A client's JWKS checked and normalised: ``{"keys": [public JWK with kid, ...]}``."""
    if not isinstance(value, dict) or not isinstance(value.get("keys"), list) or not value["keys"]:
        raise InvalidKeySet('a JWKS is a JSON object {"keys": [...]} with at least one key')
    out, kids = [], set()
    for n, raw in enumerate(value["keys"], start=1):
        if not isinstance(raw, dict):
            raise InvalidKeySet(f"key {n}: not a JSON object")
        kid = raw.get("kid")
        if not isinstance(kid, str) or not kid.strip():
            raise InvalidKeySet(f"key {n}: a kid is required (assertions name their key by kid)")
        if kid in kids:
            raise InvalidKeySet(f"key {n}: kid {kid!r} appears twice")
        if any(p in raw for p in ("d", "p", "q", "dp", "dq", "qi", "k")):
            raise InvalidKeySet(f"key {kid!r}: private key material; register the public key only")
        kty = raw.get("kty")
        try:
            if kty == "RSA":
                key: Key = RSAKey.import_key(raw)
                if key.raw_value.key_size < MIN_RSA_BITS:  # type: ignore[union-attr]
                    raise InvalidKeySet(f"key {kid!r}: RSA keys need at least {MIN_RSA_BITS} bits")
            elif kty == "EC":
                key = ECKey.import_key(raw)
            elif kty == "OKP":
                key = OKPKey.import_key(raw)
                raise InvalidKeySet(f"key {kid!r}: OKP (EdDSA) keys are not among the accepted algorithms")
            else:
                raise InvalidKeySet(f"key {kid!r}: unsupported key type {kty!r} (RSA or EC)")
        except JoseError as exc:
            raise InvalidKeySet(f"key {kid!r}: {exc.description or exc.error}") from None
        except (ValueError, TypeError) as exc:
            raise InvalidKeySet(f"key {kid!r}: {exc}") from None
        alg = raw.get("alg")
        if alg is not None and alg not in CLIENT_ALGS:
            raise InvalidKeySet(f"key {kid!r}: algorithm {alg!r} not accepted ({', '.join(CLIENT_ALGS)})")
        if raw.get("use") not in (None, "sig"):
            raise InvalidKeySet(f"key {kid!r}: use must be 'sig'")
        public = key.as_dict(private=False)
        public["kid"] = kid
        for extra in ("alg", "use"):
            if extra in raw:
                public[extra] = raw[extra]
        kids.add(kid)
        out.append(public)
    return {"keys": out}


def client_keyset(jwks: dict[str, Any]) -> KeySet:
    return KeySet.import_key_set(jwks)  # type: ignore[arg-type]
