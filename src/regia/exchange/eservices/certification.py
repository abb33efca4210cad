"""E-service ``certification`` v1: the status of the credentials Regia issued (IVC certificates of competence,
W3C verifiable credentials): whether each is active or revoked, until when it is valid, who issued it, for which
QRSP standard and competence, and its entry in the issuer's BitstringStatusList.

A credential is about a person: records carry no name and no codice fiscale, only the holder's pseudonym (the
keyed hash of the codice fiscale, :mod:`regia.auth.pseudonym`), so that the person's page lists who read them.
Two purposes: ``certification-status`` (a Fund's or a provider's system checking the credentials a worker
presents: **needs the holder's consent**, records of a holder without it are withheld) and
``certification-register`` (the Region's labour information system, which keeps the register of certified
competences by law: no consent asked, every read still listed on the person's page).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select

from regia.auth.pseudonym import pseudonymiser
from regia.certification.models import Claim, Competence, Credential, IssuedDocument, Issuer, Profile, Request
from regia.exchange.feeds import chunks
from regia.exchange.registry import REGISTRY, EService, FeedResource, LoadContext, Purpose, Tracked
from regia.i18n import N_

CREDENTIALS = "certification.credential-status"
ACTIVE, REVOKED = "active", "revoked"


def load_credentials(ctx: LoadContext, keys: list[str] | None) -> dict[str, dict[str, Any]]:
    base = (select(Credential.id, Credential.kind, Credential.issued_at, Credential.valid_until,
                   Credential.revoked_at, Credential.body, Issuer.slug, Issuer.name, IssuedDocument.number,
                   Profile.code, Profile.version, Profile.title, Profile.qualification, Profile.eqf_level,
                   Competence.code.label("competence_code"), Competence.title.label("competence_title"),
                   Request.tax_code)
            .join(Issuer, Issuer.id == Credential.issuer_id)
            .join(IssuedDocument, IssuedDocument.id == Credential.document_id)
            .join(Request, Request.id == Credential.request_id)
            .join(Profile, Profile.id == Request.profile_id)
            .join(Claim, Claim.id == Credential.claim_id)
            .join(Competence, Competence.id == Claim.competence_id)
            .order_by(Credential.id))
    parts = [base] if keys is None else [base.where(Credential.id.in_(p)) for p in chunks(sorted(keys))]
    pseudonym = pseudonymiser()
    out: dict[str, dict[str, Any]] = {}
    for query in parts:
        for r in ctx.session.execute(query):
            entry = (r.body or {}).get("credentialStatus") or {}
            out[r.id] = {
                "id": r.id, "credential": f"urn:uuid:{r.id}", "kind": r.kind,
                "status": REVOKED if r.revoked_at is not None else ACTIVE,
                "issued_at": r.issued_at, "valid_until": r.valid_until, "revoked_at": r.revoked_at,
                "issuer": {"slug": r.slug, "name": r.name}, "document": r.number,
                "standard": {"code": r.code, "version": r.version, "title": r.title,
                             "qualification": r.qualification, "eqf_level": r.eqf_level},
                "competence": {"code": r.competence_code, "title": r.competence_title},
                "status_list": {"credential": entry.get("statusListCredential"),
                                "index": entry.get("statusListIndex"), "purpose": entry.get("statusPurpose")},
                "holder": pseudonym("fiscal_code", r.tax_code)}
    return out


class IssuerRef(BaseModel):
    slug: str
    name: str


class StandardRef(BaseModel):
    code: str = Field(description="QRSP profile code")
    version: int
    title: str
    qualification: str
    eqf_level: int


class CompetenceRef(BaseModel):
    code: str
    title: str


class StatusListRef(BaseModel):
    credential: str | None = Field(description="URL of the issuer's BitstringStatusListCredential")
    index: str | None = Field(description="statusListIndex of this credential in it")
    purpose: str | None = Field(description="statusPurpose (revocation)")


class CredentialStatusRecord(BaseModel):
    """The status of one credential Regia issued (no name, no codice fiscale: the holder's pseudonym)."""

    id: str = Field(description="The credential's UUID (the feed's record key)")
    credential: str = Field(description="The credential's id in the VC (urn:uuid:…)")
    kind: str
    status: str = Field(description="active or revoked (an active credential past valid_until has expired)")
    issued_at: datetime
    valid_until: datetime | None
    revoked_at: datetime | None
    issuer: IssuerRef
    document: str = Field(description="Number of the certificate the credential comes with")
    standard: StandardRef
    competence: CompetenceRef
    status_list: StatusListRef
    holder: str = Field(description="The holder's pseudonym (keyed hash of the codice fiscale)")


EXAMPLE = {"id": "0b7e6c1e-3f0a-4a53-9d55-5c7f3f1c2a10",
           "credential": "urn:uuid:0b7e6c1e-3f0a-4a53-9d55-5c7f3f1c2a10", "kind": "certificate", "status": "active",
           "issued_at": "2027-04-02T09:30:00+00:00",
           "valid_until": None, "revoked_at": None, "issuer": {"slug": "regione-lombardia", "name": "Regione"},
           "document": "CERT-2027-000012",
           "standard": {"code": "DEMO-LOG-001", "version": 1, "title": "Operatore logistico",
                        "qualification": "Operatore di magazzino", "eqf_level": 3},
           "competence": {"code": "C1", "title": "Gestire il magazzino"},
           "status_list": {"credential": "https://regia.example/credentials/status/1", "index": "12",
                           "purpose": "revocation"},
           "holder": "5f1d…"}

STATUS = Purpose("certification-status", N_("exchange.purpose.certification-status"),
                 N_("exchange.purpose.certification-status.text"), reads=frozenset({CREDENTIALS}),
                 person_level=True, consent=True)
REGISTER = Purpose("certification-register", N_("exchange.purpose.certification-register"),
                   N_("exchange.purpose.certification-register.text"), reads=frozenset({CREDENTIALS}),
                   person_level=True)

ESERVICE = REGISTRY.add(EService(
    name="certification", title="Certifications: credentials' status",
    description="Status (active, revoked, validity) of the IVC credentials Regia issued, per credential.",
    resources=(
        FeedResource(CREDENTIALS, "/certification/credentials", "Credentials' status", CredentialStatusRecord,
                     load_credentials, tracked=(Tracked(Credential, "id"),), subjects=lambda d: [d["holder"]],
                     example=EXAMPLE),
    ),
    purposes=(STATUS, REGISTER),
))
