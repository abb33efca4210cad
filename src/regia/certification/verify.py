"""Verification of a credential, for anyone: one verdict with its reason.

=================  ============================================================================================
``valid``          signature by a key of a known issuer, delegated (a Fund) on the issuance date, not revoked,
                   within its validity period
``tampered``       the signature does not match the content: something signed was changed
``revoked``        its issuer revoked it (the status list bit is set; the reason is given)
``unknown_issuer`` the verification method is not a key of an issuer this Regia knows (or not the issuer's)
``not_delegated``  a Fund that was not delegated for the standard on the issuance date
``expired``        past ``validUntil`` (or before ``validFrom``)
``malformed``      not JSON, not a credential, no usable proof, a context not held offline, undefined terms
=================  ============================================================================================

``trust_key`` (a ``publicKeyMultibase``) trusts that key for the credential's verification method instead of
the registry of issuers: how a credential of another issuer (e.g. the 1EdTech test vector) is checked offline.
Its status list, when not one of ours, is then not checked (said in ``notes``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from regia.auth.models import Organisation, OrgType
from regia.certification import contexts, dataintegrity, delegations, issuers, statuslist
from regia.certification.models import Credential, Profile
from regia.certification.multibase import ed25519_public_from_multikey
from regia.i18n import N_

VALID, TAMPERED, REVOKED, UNKNOWN_ISSUER, NOT_DELEGATED, EXPIRED, MALFORMED = (
    "valid", "tampered", "revoked", "unknown_issuer", "not_delegated", "expired", "malformed")
OUTCOMES = (VALID, TAMPERED, REVOKED, UNKNOWN_ISSUER, NOT_DELEGATED, EXPIRED, MALFORMED)
LABELS = {VALID: N_("certification.verdict.valid"), TAMPERED: N_("certification.verdict.tampered"),
          REVOKED: N_("certification.verdict.revoked"), UNKNOWN_ISSUER: N_("certification.verdict.unknown_issuer"),
          NOT_DELEGATED: N_("certification.verdict.not_delegated"), EXPIRED: N_("certification.verdict.expired"),
          MALFORMED: N_("certification.verdict.malformed")}


@dataclass
class Verdict:
    status: str
    key: str  # message key of the reason (certification.why.*)
    reason: str  # the reason in English (API clients, logs, the CLI)
    params: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)  # what the credential says, for display
    notes: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return self.status == VALID

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "valid": self.valid, "key": self.key, "reason": self.reason,
                "params": self.params, "summary": self.summary, "notes": self.notes}


def _parse(data: bytes | str | dict[str, Any]) -> dict[str, Any] | Verdict:
    if isinstance(data, dict):
        return data
    try:
        parsed = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError, TypeError) as exc:
        return Verdict(MALFORMED, N_("certification.why.not_json"), f"not JSON: {exc}")
    if not isinstance(parsed, dict):
        return Verdict(MALFORMED, N_("certification.why.not_credential"), "not a credential (a JSON object)")
    return parsed


def _id(value: Any) -> str | None:
    value = value.get("id") if isinstance(value, dict) else value
    return value if isinstance(value, str) else None


def summary(credential: dict[str, Any]) -> dict[str, Any]:
    subject = credential.get("credentialSubject") if isinstance(credential.get("credentialSubject"), dict) else {}
    achievement = subject.get("achievement") if isinstance(subject.get("achievement"), dict) else {}
    issuer = credential.get("issuer")
    names = [i.get("identityHash") for i in subject.get("identifier") or []
             if isinstance(i, dict) and i.get("identityType") == "name" and not i.get("hashed")]
    qrsp = [a for a in achievement.get("alignment") or [] if isinstance(a, dict) and a.get("targetType") == "ext:QRSP"]
    return {"id": credential.get("id"), "name": credential.get("name"), "person": names[0] if names else None,
            "issuer": issuer.get("name") if isinstance(issuer, dict) else issuer, "issuer_id": _id(issuer),
            "competence": achievement.get("name"), "standard": qrsp[0].get("targetName") if qrsp else None,
            "standard_code": qrsp[0].get("targetCode") if qrsp else None,
            "valid_from": credential.get("validFrom") or credential.get("issuanceDate"),
            "valid_until": credential.get("validUntil") or credential.get("expirationDate")}


def instant(value: Any) -> datetime | None:
    """An XML Schema dateTime string as an aware instant (None when it is not one)."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def verify(session: Session | None, data: bytes | str | dict[str, Any], *, trust_key: str | None = None,
           now: datetime | None = None, loader: contexts.Loader | None = None) -> Verdict:
    """The verdict on one credential (see the module's table)."""
    parsed = _parse(data)
    if isinstance(parsed, Verdict):
        return parsed
    credential = parsed
    now = now or datetime.now(UTC)
    info = summary(credential)
    types = credential.get("type")
    types = [types] if isinstance(types, str) else types if isinstance(types, list) else []
    if "VerifiableCredential" not in types or not isinstance(credential.get("@context"), list):
        return Verdict(MALFORMED, N_("certification.why.not_credential"), "not a verifiable credential",
                       summary=info)
    issuer_id = info["issuer_id"]
    try:
        proof = dataintegrity.the_proof(credential)
    except dataintegrity.ProofError as exc:
        return Verdict(MALFORMED, N_("certification.why.bad_proof"), str(exc), {"detail": str(exc)}, summary=info)
    method = proof["verificationMethod"]
    if not issuer_id:
        return Verdict(MALFORMED, N_("certification.why.no_issuer"), "the credential names no issuer", summary=info)

    known = None
    if trust_key is not None:
        try:
            public = ed25519_public_from_multikey(trust_key)
        except ValueError as exc:
            return Verdict(MALFORMED, N_("certification.why.bad_trust_key"), f"--trust-key: {exc}", summary=info)
        if method.partition("#")[0] != issuer_id:
            return Verdict(UNKNOWN_ISSUER, N_("certification.why.method_not_issuer"),
                           "the verification method is not the issuer's", {"method": method}, summary=info)
    else:
        known = issuers.key_for_method(session, method) if session is not None else None
        if known is None or issuer_id not in (issuers.issuer_url(known[0]), issuers.did_web(known[0])):
            return Verdict(UNKNOWN_ISSUER, N_("certification.why.unknown_issuer"),
                           f"{method} is not a key of an issuer known here", {"method": method}, summary=info)
        public = ed25519_public_from_multikey(known[1].public_key_multibase)
    try:
        if not dataintegrity.verify_proof(credential, public, loader=loader):
            return Verdict(TAMPERED, N_("certification.why.signature"),
                           "the signature does not match the content: the credential was changed after signing",
                           summary=info)
    except dataintegrity.ProofError as exc:
        return Verdict(MALFORMED, N_("certification.why.bad_proof"), str(exc), {"detail": str(exc)}, summary=info)

    notes: list[str] = []
    issued = instant(info["valid_from"])
    if known is not None and session is not None:
        organisation = session.get(Organisation, known[0].organisation_id)
        if organisation is not None and organisation.type == OrgType.FUND:
            code = (info["standard_code"] or "").split("/")[0]
            profile = session.scalar(select(Profile).where(Profile.code == code).limit(1))
            if profile is None or issued is None or delegations.covering(
                    session, organisation_id=organisation.id, profile_code=profile.code,
                    sector_code=profile.sector_code, at=issued) is None:
                return Verdict(NOT_DELEGATED, N_("certification.why.not_delegated"),
                               f"{organisation.name} was not delegated for {code or 'this standard'} on the "
                               "issuance date", {"fund": organisation.name, "standard": code}, summary=info)
    status = credential.get("credentialStatus")
    if isinstance(status, dict) and status.get("statusListCredential"):
        status_list = statuslist.by_url(session, str(status["statusListCredential"])) if session else None
        if status_list is None:
            if trust_key is None:
                return Verdict(MALFORMED, N_("certification.why.unknown_status_list"),
                               "the status list is not one of this Regia's", summary=info)
            notes.append("status list not checked (not one of this Regia's)")
        else:
            try:
                index = int(status.get("statusListIndex", ""))
            except ValueError:
                return Verdict(MALFORMED, N_("certification.why.bad_status"), "statusListIndex is not a number",
                               summary=info)
            if not 0 <= index < status_list.size:
                return Verdict(MALFORMED, N_("certification.why.bad_status"), "statusListIndex out of the list",
                               summary=info)
            if statuslist.bit(status_list.bits, index):
                row = session.scalar(select(Credential).where(Credential.status_list_id == status_list.id,
                                                              Credential.status_index == index)) if session else None
                reason = row.revocation_reason if row is not None else ""
                when = row.revoked_at.date().isoformat() if row is not None and row.revoked_at else ""
                return Verdict(REVOKED, N_("certification.why.revoked"), f"revoked by its issuer: {reason}",
                               {"reason": reason or "", "date": when}, summary=info)
    elif trust_key is None:
        notes.append("no credentialStatus: revocation cannot be checked")
    until = instant(info["valid_until"])
    if until is not None and until < now:
        return Verdict(EXPIRED, N_("certification.why.expired"), f"expired on {info['valid_until']}",
                       {"date": info["valid_until"]}, summary=info)
    if issued is not None and issued > now:
        return Verdict(EXPIRED, N_("certification.why.not_yet_valid"), f"not valid before {info['valid_from']}",
                       {"date": info["valid_from"]}, summary=info)
    return Verdict(VALID, N_("certification.why.valid"),
                   "signed by its issuer, not revoked, within its validity period", summary=info, notes=notes)
