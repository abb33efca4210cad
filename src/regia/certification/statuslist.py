"""W3C Bitstring Status List v1.0 (revocation): each issuer's list, its signed status list credential, the
entries the credentials carry, and the bit a revocation flips.

The list is :data:`SIZE` bits (16 KiB, the minimum the specification asks for herd privacy), index 0 being the
left-most bit of the first byte. ``encodedList`` is the multibase base64url (``u…``, no padding) of the
GZIP-compressed bits. The status list credential (``BitstringStatusListCredential``) is re-signed by the
issuer's active key each time a bit changes and served at ``{REGIA_PUBLIC_URL}/certification/status/{id}``.
Indexes are handed out in a random order (not the issuance order), so an index says nothing of when or to
whom a credential was issued.
"""

from __future__ import annotations

import gzip
import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from regia.certification import dataintegrity, issuers
from regia.certification.contexts import CREDENTIALS_V2
from regia.certification.models import Credential, Issuer, StatusList
from regia.certification.multibase import decode_base64url, encode_base64url

SIZE = 131_072
PURPOSE = "revocation"


def url(status_list: StatusList) -> str:
    return f"{issuers.public_url()}/certification/status/{status_list.id}"


def encode(bits: bytes) -> str:
    return encode_base64url(gzip.compress(bits, mtime=0))


def decode(encoded: str) -> bytes:
    return gzip.decompress(decode_base64url(encoded))


def bit(bits: bytes, index: int) -> bool:
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def with_bit(bits: bytes, index: int, value: bool = True) -> bytes:
    out = bytearray(bits)
    if value:
        out[index // 8] |= 0x80 >> (index % 8)
    else:
        out[index // 8] &= ~(0x80 >> (index % 8)) & 0xFF
    return bytes(out)


def _sign(session: Session, status_list: StatusList, issuer: Issuer) -> None:
    key, private = issuers.signing_key(issuer)
    now = datetime.now(UTC).replace(microsecond=0)
    document = {
        "@context": [CREDENTIALS_V2],
        "id": url(status_list),
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuers.issuer_url(issuer),
        "validFrom": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "credentialSubject": {"id": f"{url(status_list)}#list", "type": "BitstringStatusList",
                              "statusPurpose": status_list.purpose, "encodedList": encode(status_list.bits)},
    }
    status_list.credential = dataintegrity.add_proof(document, private,
                                                     verification_method=issuers.verification_method(issuer, key))
    status_list.updated_at = now


def _open_list(session: Session, issuer: Issuer) -> StatusList:
    """The issuer's list with room left (a new one when the last is full)."""
    lists = session.scalars(select(StatusList).where(StatusList.issuer_id == issuer.id,
                                                     StatusList.purpose == PURPOSE).order_by(StatusList.id)).all()
    for status_list in lists:
        taken = session.scalar(select(Credential.id).where(Credential.status_list_id == status_list.id)
                               .limit(1).offset(status_list.size - 1))
        if taken is None:
            return status_list
    status_list = StatusList(issuer_id=issuer.id, purpose=PURPOSE, size=SIZE, bits=bytes(SIZE // 8))
    session.add(status_list)
    session.flush()
    _sign(session, status_list, issuer)
    session.flush()
    return status_list


def allocate(session: Session, issuer: Issuer) -> tuple[StatusList, int]:
    """A free index of the issuer's open list, chosen at random."""
    status_list = _open_list(session, issuer)
    taken = set(session.scalars(select(Credential.status_index).where(Credential.status_list_id == status_list.id)))
    while True:
        index = secrets.randbelow(status_list.size)
        if index not in taken:
            return status_list, index


def entry(status_list: StatusList, index: int) -> dict[str, Any]:
    """The ``credentialStatus`` of a credential at ``index``."""
    return {"id": f"{url(status_list)}#{index}", "type": "BitstringStatusListEntry", "statusPurpose": PURPOSE,
            "statusListIndex": str(index), "statusListCredential": url(status_list)}


def set_revoked(session: Session, status_list: StatusList, index: int) -> None:
    """Flip the credential's bit and re-sign the list."""
    issuer = session.get(Issuer, status_list.issuer_id)
    assert issuer is not None
    status_list.bits = with_bit(status_list.bits, index)
    _sign(session, status_list, issuer)
    session.flush()


def by_url(session: Session, list_url: str) -> StatusList | None:
    prefix = f"{issuers.public_url()}/certification/status/"
    if not list_url.startswith(prefix) or not list_url[len(prefix):].isdigit():
        return None
    return session.get(StatusList, int(list_url[len(prefix):]))
