"""Multibase and multicodec encodings of Data Integrity: base58btc (``z…``) for proof values and Ed25519
Multikeys, base64url (``u…``) for Bitstring Status Lists."""

from __future__ import annotations

import base64

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {c: i for i, c in enumerate(ALPHABET)}
ED25519_PUB = b"\xed\x01"  # multicodec ed25519-pub
ED25519_PRIV = b"\x80\x26"  # multicodec ed25519-priv


def b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = []
    while number:
        number, rem = divmod(number, 58)
        out.append(ALPHABET[rem])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(out))


def b58decode(text: str) -> bytes:
    number = 0
    for char in text:
        if char not in _INDEX:
            raise ValueError(f"{char!r} is not a base58btc character")
        number = number * 58 + _INDEX[char]
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def encode_base58btc(data: bytes) -> str:
    return "z" + b58encode(data)


def decode_base58btc(value: str) -> bytes:
    if not isinstance(value, str) or not value.startswith("z"):
        raise ValueError("not a multibase base58btc value (it must start with 'z')")
    return b58decode(value[1:])


def encode_base64url(data: bytes) -> str:
    return "u" + base64.urlsafe_b64encode(data).decode().rstrip("=")


def decode_base64url(value: str) -> bytes:
    if not isinstance(value, str) or not value.startswith("u"):
        raise ValueError("not a multibase base64url value (it must start with 'u')")
    body = value[1:]
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))


def ed25519_public_multikey(public_key: bytes) -> str:
    """``publicKeyMultibase`` of an Ed25519 key: base58btc of 0xed01 + the 32 bytes (``z6Mk…``)."""
    if len(public_key) != 32:
        raise ValueError("an Ed25519 public key has 32 bytes")
    return encode_base58btc(ED25519_PUB + public_key)


def ed25519_public_from_multikey(value: str) -> bytes:
    data = decode_base58btc(value)
    if not data.startswith(ED25519_PUB) or len(data) != 34:
        raise ValueError("not an Ed25519 Multikey (multicodec 0xed01 and 32 bytes)")
    return data[2:]


def ed25519_secret_multikey(seed: bytes) -> str:
    """``secretKeyMultibase`` of an Ed25519 key: base58btc of 0x8026 + the 32-byte seed."""
    if len(seed) != 32:
        raise ValueError("an Ed25519 private key seed has 32 bytes")
    return encode_base58btc(ED25519_PRIV + seed)
