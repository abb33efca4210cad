"""Pseudonyms of personal identifiers: keyed HMAC-SHA256 with ``REGIA_PSEUDONYM_KEY``.

Every path that takes personal identifiers (codice fiscale, e-mail) towards analytics tables, rate-limit
stores or logs goes through :func:`pseudonymise`: the same person gets the same pseudonym, so records still
link, but the identifier cannot be read back or recomputed without the key. The kind of identifier is part
of the message, so that an e-mail and a fiscal code never collide.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

from regia.auth.settings import AuthSettings, get_auth_settings

_SPACES = re.compile(r"[\s\-.]+")
KINDS = ("fiscal_code", "email", "vat_number", "login")


def normalise(kind: str, value: str) -> str:
    value = unicodedata.normalize("NFKC", value).strip()
    if kind == "email" or kind == "login":
        return value.lower()
    if kind == "fiscal_code":
        # SPID gives the fiscal number as "TINIT-<code>"; the prefix is not part of the code.
        return _SPACES.sub("", value).upper().removeprefix("TINIT")
    if kind == "vat_number":
        return _SPACES.sub("", value).upper().removeprefix("IT")
    return value


class Pseudonymiser:
    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the pseudonym key must have at least 16 bytes")
        self._key = key

    def __call__(self, kind: str, value: str) -> str:
        if kind not in KINDS:
            raise ValueError(f"unknown kind of identifier: {kind!r}")
        message = f"{kind}\x1f{normalise(kind, value)}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def __repr__(self) -> str:  # never show the key
        return "Pseudonymiser(<key hidden>)"


def pseudonymiser(settings: AuthSettings | None = None) -> Pseudonymiser:
    return Pseudonymiser((settings or get_auth_settings()).pseudonym_secret())


def pseudonymise(kind: str, value: str, settings: AuthSettings | None = None) -> str:
    return pseudonymiser(settings)(kind, value)
