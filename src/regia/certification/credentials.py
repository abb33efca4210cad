"""Open Badges 3.0 ``OpenBadgeCredential`` (W3C VC Data Model 2.0): built from a certified (or validated)
competence, signed by the *ente titolare* with ``eddsa-rdfc-2022``, revocable through its Bitstring Status
List entry.

One credential per competence: its ``achievement`` is the QRSP competence (name, description, criteria with
abilities and knowledge, ``alignment`` to the standard, to its EQF level and to the confirmed ESCO skills);
``evidence`` summarises how it was learned and assessed. The person is named and identified by a *hashed*
``IdentityObject`` of the codice fiscale (``sha256$`` of the code + a per-credential salt, as Open Badges 3.0
allows): a verifier who is shown the code can check it, the credential never exposes it. The credential's
``validUntil`` follows the standard's ``validity_months`` (none: no expiry).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from calendar import monthrange
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from regia.auth import audit
from regia.auth.errors import Conflict, Forbidden, InvalidInput, NotFound
from regia.auth.models import Organisation
from regia.auth.policy import READ, WRITE, Resource, can
from regia.auth.principal import Principal
from regia.certification import dataintegrity, issuers, standards, statuslist
from regia.certification.contexts import CREDENTIALS_V2, OB_EXTENSIONS, OB_V3
from regia.certification.documents import LEARNING_IT, METHOD_IT
from regia.certification.models import Claim, Credential, IssuedDocument, Request
from regia.i18n import N_

OB_SCHEMA = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
OB_SCHEMA_VALIDATOR = "1EdTechJsonSchemaValidator2019"
EQF_URI = "http://data.europa.eu/snb/eqf/{level}"


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def add_months(moment: datetime, months: int) -> datetime:
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, monthrange(year, month)[1]))


def identity_hash(tax_code: str, salt: str) -> str:
    """Open Badges 3.0 ``identityHash``: ``sha256$`` + hex SHA-256 of the identifier followed by the salt."""
    return "sha256$" + hashlib.sha256((tax_code.strip().upper() + salt).encode()).hexdigest()


def achievement_url(profile_code: str, version: int, competence_code: str) -> str:
    return f"{issuers.public_url()}/certification/standards/{profile_code}/{version}#{competence_code}"


def standard_url(profile_code: str, version: int) -> str:
    return f"{issuers.public_url()}/certification/standards/{profile_code}/{version}"


def build(*, credential_id: str, request: Request, claim: Claim, issuer_profile: dict[str, Any], kind: str,
          issued_at: datetime, valid_until: datetime | None, status: dict[str, Any], salt: str) -> dict[str, Any]:
    """The unsigned credential of one competence of ``request``."""
    competence = claim.competence
    profile = competence.profile
    alignment = [
        {"type": ["Alignment"], "targetName": f"{profile.title} – {competence.title}",
         "targetUrl": standard_url(profile.code, profile.version), "targetCode": f"{profile.code}/{competence.code}",
         "targetFramework": profile.repertory, "targetDescription": f"{profile.qualification}, versione "
                                                                   f"{profile.version}", "targetType": "ext:QRSP"},
        {"type": ["Alignment"], "targetName": f"EQF livello {competence.eqf_level}",
         "targetUrl": EQF_URI.format(level=competence.eqf_level), "targetCode": str(competence.eqf_level),
         "targetFramework": "European Qualifications Framework", "targetType": "ext:EQF"},
        *({"type": ["Alignment"], "targetName": a.label or a.esco_uri, "targetUrl": a.esco_uri,
           "targetFramework": "ESCO", "targetType": "ceasn:Competency"}
          for a in standards.confirmed_skills(competence)),
    ]
    criteria = (f"Competenza del {profile.repertory} «{profile.title}» (versione {profile.version}). "
                f"Abilità: {'; '.join(competence.abilities)}. Conoscenze: {'; '.join(competence.knowledge)}.")
    learned = LEARNING_IT[claim.learning].lower() + (f": {claim.context}" if claim.context else "")
    if kind == "certificate":
        assessed = (f"{METHOD_IT.get(claim.method or '', claim.method or '')} del "
                    f"{claim.assessed_on.strftime('%d/%m/%Y') if claim.assessed_on else ''}, commissione di "
                    f"certificazione: {claim.certification_reason}")
    else:
        assessed = f"Validazione delle evidenze: {claim.validation_reason}"
    name = f"{request.given_name} {request.family_name}"
    title = ("Certificazione" if kind == "certificate" else "Validazione") + f": {competence.title}"
    body: dict[str, Any] = {
        "@context": [CREDENTIALS_V2, OB_V3, OB_EXTENSIONS],
        "id": f"urn:uuid:{credential_id}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": issuer_profile,
        "validFrom": _stamp(issued_at),
        "awardedDate": _stamp(issued_at),
        "name": title,
        "description": f"{title}, rilasciata ai sensi del D.Lgs. 13/2013 a {name}.",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {"type": "IdentityObject", "identityType": "nationalIdentityNumber", "hashed": True,
                 "identityHash": identity_hash(request.tax_code, salt), "salt": salt},
                {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": name},
            ],
            "achievement": {
                "id": achievement_url(profile.code, profile.version, competence.code),
                "type": ["Achievement"],
                "achievementType": "Competency",
                "name": competence.title,
                "description": competence.description or competence.title,
                "criteria": {"narrative": criteria},
                "humanCode": competence.code,
                "inLanguage": "it",
                "alignment": alignment,
            },
        },
        "evidence": [{"type": ["Evidence"], "name": "Sintesi delle evidenze",
                      "description": f"Come è stata acquisita: {learned}. Come è stata valutata: {assessed}."}],
        # OB 3.0 (CredentialSchema): one entry MUST be 1EdTech's schema with type 1EdTechJsonSchemaValidator2019,
        # a term the OB extensions context defines (VC 2.0's final context has no @vocab to catch it)
        "credentialSchema": [{"id": OB_SCHEMA, "type": OB_SCHEMA_VALIDATOR}],
        "credentialStatus": status,
    }
    if valid_until is not None:
        body["validUntil"] = _stamp(valid_until)
    return body


def issue(session: Session, *, actor: Principal, request: Request, document: IssuedDocument,
          kind: str = "certificate", when: datetime | None = None) -> list[Credential]:
    """Sign one credential per certified (``kind="certificate"``) or validated competence of the request
    that has none yet, in the name of the request's *ente titolare*."""
    organisation = session.get(Organisation, request.titolare_org_id)
    assert organisation is not None
    issuer = issuers.ensure(session, actor=actor, organisation=organisation)
    key, private = issuers.signing_key(issuer)
    held = set(session.scalars(select(Credential.claim_id).where(Credential.request_id == request.id,
                                                               Credential.kind == kind)))
    claims = [c for c in request.claims if (c.certified if kind == "certificate" else c.validated)
              and c.id not in held]
    issued_at = (when or datetime.now(UTC)).replace(microsecond=0)
    out = []
    for claim in claims:
        status_list, index = statuslist.allocate(session, issuer)
        credential_id = str(uuid.uuid4())
        months = claim.competence.profile.validity_months
        valid_until = add_months(issued_at, months) if months else None
        body = build(credential_id=credential_id, request=request, claim=claim,
                     issuer_profile=issuers.profile(issuer, organisation), kind=kind, issued_at=issued_at,
                     valid_until=valid_until, status=statuslist.entry(status_list, index),
                     salt=secrets.token_hex(16))
        signed = dataintegrity.add_proof(body, private, verification_method=issuers.verification_method(issuer, key),
                                         created=issued_at)
        credential = Credential(id=credential_id, request_id=request.id, document_id=document.id, claim_id=claim.id,
                                kind=kind, issuer_id=issuer.id, key_id=key.id, status_list_id=status_list.id,
                                status_index=index, issued_at=issued_at, valid_until=valid_until, body=signed)
        session.add(credential)
        session.flush()
        audit.record(session, actor=actor, action="issue_credential", resource_type="ivc_credential",
                     resource_id=credential.id, organisation_id=organisation.id,
                     after={"request": request.number, "document": document.number, "kind": kind,
                            "competence": f"{claim.competence.profile.code}/{claim.competence.code}",
                            "status_list": status_list.id, "status_index": index})
        out.append(credential)
    return out


def get(session: Session, *, principal: Principal, id: str) -> Credential:
    credential = session.get(Credential, id.removeprefix("urn:uuid:"))
    if credential is None:
        raise NotFound(f"no credential {id}", key=N_("certification.err.no_credential"))
    if not can(principal, READ, Resource.IVC_CREDENTIAL, credential):
        raise NotFound(f"no credential {id}", key=N_("certification.err.no_credential"))  # not even acknowledged
    return credential


def revoke(session: Session, *, actor: Principal, id: str, reason: str) -> Credential:
    """Revoke a credential (its issuer only, with a reason): the status list bit is set and the list
    re-signed; audited."""
    credential = get(session, principal=actor, id=id)
    if not can(actor, WRITE, Resource.IVC_CREDENTIAL, credential):
        raise Forbidden("only the issuer revokes its credentials", key=N_("certification.err.not_issuer"))
    if not reason or not reason.strip():
        raise InvalidInput("a revocation needs a reason", field="reason", key=N_("certification.err.reason_required"))
    if credential.revoked_at is not None:
        raise Conflict("this credential is already revoked", key=N_("certification.err.already_revoked"))
    status_list = session.get(statuslist.StatusList, credential.status_list_id)
    assert status_list is not None
    statuslist.set_revoked(session, status_list, credential.status_index)
    credential.revoked_at = datetime.now(UTC)
    credential.revoked_by = actor.label
    credential.revocation_reason = reason.strip()[:2000]
    session.flush()
    audit.record(session, actor=actor, action="revoke_credential", resource_type="ivc_credential",
                 resource_id=credential.id, organisation_id=credential.issuer.organisation_id,
                 before={"revoked": False}, after={"revoked": True, "status_index": credential.status_index},
                 note=credential.revocation_reason)
    return credential


def list_visible(session: Session, *, principal: Principal, limit: int = 200) -> list[Credential]:
    from regia.auth.policy import visible

    return list(session.scalars(visible(select(Credential), principal, Credential)
                                .order_by(Credential.issued_at.desc()).limit(limit)))


def of_document(session: Session, document_id: int) -> list[Credential]:
    return list(session.scalars(select(Credential).where(Credential.document_id == document_id)
                                .order_by(Credential.issued_at, Credential.id)))
