"""Tables of the certification domain: the regional standards (QRSP), the Region's delegations to the Funds,
the IVC procedure (requests, dossier, evidence, assessors, claims and outcomes, documents) and the verifiable
credentials (issuers and their keys, status lists, credentials, share links), plus the catalogue link
(courses preparing for competences).

Standards are versioned: a profile is ``(code, version)`` with its competences; a claim, a document and a
credential point at the competence row of the version they were made against, so a new version of a standard
never changes what was certified. Private keys are never stored here: :class:`IssuerKey` holds the public key
and the name of the key file (see :mod:`regia.certification.keys`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from regia.auth.models import utcnow
from regia.db import Base

# IVC request states (regia.certification.states holds the transitions)
REQUESTED = "requested"
IDENTIFICATION = "identification"
VALIDATION = "validation"
VALIDATED = "validated"
CERTIFICATION = "certification"
ASSESSED = "assessed"
CERTIFIED = "certified"
CLOSED = "closed"
WITHDRAWN = "withdrawn"
REFUSED = "refused"
STATUSES = (REQUESTED, IDENTIFICATION, VALIDATION, VALIDATED, CERTIFICATION, ASSESSED, CERTIFIED, CLOSED,
            WITHDRAWN, REFUSED)
CHANNELS = ("person", "provider", "fund")
LEARNING = ("formal", "non_formal", "informal")
EXPERIENCE_KINDS = ("work", "training", "volunteering", "other")
METHODS = ("test", "interview", "practical_trial")
ASSIGNMENT_ROLES = ("validation", "president", "evaluation_expert", "sector_expert")
COMMISSION_ROLES = ("president", "evaluation_expert", "sector_expert")
DOCUMENT_KINDS = ("transparency", "validation", "certificate")
CREDENTIAL_KINDS = ("certificate", "validation")
ALIGNMENT_ORIGINS = ("import", "classifier", "person")
ALIGNMENT_STATUSES = ("suggested", "confirmed", "rejected")


def _in(column: str, values: tuple[str, ...], name: str) -> CheckConstraint:
    return CheckConstraint(f"{column} IN {values!r}", name=name)


# --- standards (QRSP) ---------------------------------------------------------------------------------------

class Profile(Base):
    """A professional profile of the regional standards, in one version, with its competences."""

    __tablename__ = "qrsp_profile"
    __table_args__ = (UniqueConstraint("code", "version"),)
    __policy_resource__ = "ivc_standard"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[int] = mapped_column(Integer)
    sector_code: Mapped[str] = mapped_column(String(40), index=True)
    sector_name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    qualification: Mapped[str] = mapped_column(String(300))  # the qualification the competences refer to
    repertory: Mapped[str] = mapped_column(String(200))  # e.g. "QRSP – Regione Lombardia"
    eqf_level: Mapped[int] = mapped_column(Integer)
    ateco: Mapped[list[str]] = mapped_column(JSON, default=list)
    cp2011: Mapped[list[str]] = mapped_column(JSON, default=list)
    valid_from: Mapped[date] = mapped_column(Date)
    validity_months: Mapped[int | None] = mapped_column(Integer)  # certificates expire after (None: never)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    competences: Mapped[list[Competence]] = relationship(back_populates="profile", order_by="Competence.position",
                                                         cascade="all, delete-orphan")


class Competence(Base):
    """A competence of a profile version: abilities and knowledge, EQF level, its ESCO alignment."""

    __tablename__ = "qrsp_competence"
    __table_args__ = (UniqueConstraint("profile_id", "code"),)
    __policy_resource__ = "ivc_standard"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("qrsp_profile.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    eqf_level: Mapped[int] = mapped_column(Integer)
    abilities: Mapped[list[str]] = mapped_column(JSON, default=list)
    knowledge: Mapped[list[str]] = mapped_column(JSON, default=list)

    profile: Mapped[Profile] = relationship(back_populates="competences")
    alignments: Mapped[list[SkillAlignment]] = relationship(back_populates="competence",
                                                            order_by="SkillAlignment.id",
                                                            cascade="all, delete-orphan")


class SkillAlignment(Base):
    """An ESCO skill a competence is aligned to: from the import file, suggested by the classifier, or added
    by a person; suggestions count only once a person confirms them (``decided_by``)."""

    __tablename__ = "qrsp_skill_alignment"
    __table_args__ = (UniqueConstraint("competence_id", "esco_uri"),
                      _in("origin", ALIGNMENT_ORIGINS, "origin"), _in("status", ALIGNMENT_STATUSES, "status"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    competence_id: Mapped[int] = mapped_column(ForeignKey("qrsp_competence.id", ondelete="CASCADE"), index=True)
    esco_uri: Mapped[str] = mapped_column(String(300), index=True)
    label: Mapped[str] = mapped_column(String(300), default="")
    origin: Mapped[str] = mapped_column(String(12))
    score: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(12), default="suggested")
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    competence: Mapped[Competence] = relationship(back_populates="alignments")


# --- delegations ----------------------------------------------------------------------------------------------

class Delegation(Base):
    """The Region's delegation of a Fund as *ente titolare* for a period and a scope of standards (profile
    codes and/or sector codes; empty lists: nothing)."""

    __tablename__ = "ivc_delegation"
    __policy_resource__ = "ivc_delegation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    profiles: Mapped[list[str]] = mapped_column(JSON, default=list)
    sectors: Mapped[list[str]] = mapped_column(JSON, default=list)
    legal_reference: Mapped[str] = mapped_column(String(300))
    granted_by: Mapped[str] = mapped_column(String(200))
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by: Mapped[str | None] = mapped_column(String(200))
    revoke_reason: Mapped[str | None] = mapped_column(Text)


class Accreditation(Base):
    """The legal reference of an organisation's role in the IVC system, printed on every document: a
    provider's accreditation as *ente titolato*, the Region's or a Fund's title as *ente titolare*."""

    __tablename__ = "ivc_accreditation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), unique=True)
    reference: Mapped[str] = mapped_column(String(300))
    valid_from: Mapped[date | None] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# --- the IVC procedure ---------------------------------------------------------------------------------------

class Request(Base):
    """A person's request of identification, validation and certification of competences of one profile."""

    __tablename__ = "ivc_request"
    __table_args__ = (_in("status", STATUSES, "status"), _in("channel", CHANNELS, "channel"))
    __policy_resource__ = "ivc_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    person_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"), index=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    tax_code: Mapped[str] = mapped_column(String(16))  # codice fiscale: operational data, never in analytics
    birth_date: Mapped[date] = mapped_column(Date)
    birth_place: Mapped[str] = mapped_column(String(100), default="")
    channel: Mapped[str] = mapped_column(String(12))
    titolare_org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    provider_org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("qrsp_profile.id", ondelete="RESTRICT"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=REQUESTED, index=True)
    phase_started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    phase_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    profile: Mapped[Profile] = relationship()
    claims: Mapped[list[Claim]] = relationship(back_populates="request", order_by="Claim.id",
                                               cascade="all, delete-orphan")
    experiences: Mapped[list[Experience]] = relationship(order_by="Experience.id", cascade="all, delete-orphan")
    assignments: Mapped[list[AssessorAssignment]] = relationship(
        back_populates="request", order_by="AssessorAssignment.id", cascade="all, delete-orphan")


class Claim(Base):
    """A competence the person claims, how it was learned, and its outcomes: validation, then certification."""

    __tablename__ = "ivc_claim"
    __table_args__ = (UniqueConstraint("request_id", "competence_id"), _in("learning", LEARNING, "learning"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("ivc_request.id", ondelete="CASCADE"), index=True)
    competence_id: Mapped[int] = mapped_column(ForeignKey("qrsp_competence.id", ondelete="RESTRICT"))
    learning: Mapped[str] = mapped_column(String(12))
    course_id: Mapped[int | None] = mapped_column(Integer)  # a catalogue course, for formal learning
    context: Mapped[str] = mapped_column(Text, default="")  # the course or the experience, as described
    validated: Mapped[bool | None] = mapped_column(Boolean)
    validation_reason: Mapped[str] = mapped_column(Text, default="")
    validated_by: Mapped[str | None] = mapped_column(String(200))
    validated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    certified: Mapped[bool | None] = mapped_column(Boolean)
    method: Mapped[str | None] = mapped_column(String(20))
    certification_reason: Mapped[str] = mapped_column(Text, default="")
    assessed_on: Mapped[date | None] = mapped_column(Date)
    assessed_by: Mapped[str | None] = mapped_column(String(200))

    request: Mapped[Request] = relationship(back_populates="claims")
    competence: Mapped[Competence] = relationship()


class Experience(Base):
    """An experience of the dossier (work, training, volunteering...), the ground of the claims."""

    __tablename__ = "ivc_experience"
    __table_args__ = (_in("kind", EXPERIENCE_KINDS, "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("ivc_request.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(300))
    organisation: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    started_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)


class Evidence(Base):
    """A document of the dossier (PDF, PNG or JPEG recognised by its bytes, at most 5 MB)."""

    __tablename__ = "ivc_evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("ivc_request.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(300), default="")
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(200))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AssessorProfile(Base):
    """An assessor's qualifications (the register of the *esperti*)."""

    __tablename__ = "ivc_assessor"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), unique=True)
    qualifications: Mapped[str] = mapped_column(Text)
    register_number: Mapped[str] = mapped_column(String(60), default="")
    sectors: Mapped[list[str]] = mapped_column(JSON, default=list)


class AssessorAssignment(Base):
    """An assessor on a request: the validation of the evidence, or a seat of the certification commission;
    acts only after declaring no conflict of interest."""

    __tablename__ = "ivc_assignment"
    __table_args__ = (UniqueConstraint("request_id", "role"), _in("role", ASSIGNMENT_ROLES, "role"))
    __policy_resource__ = "ivc_assessment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("ivc_request.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="RESTRICT"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    conflict: Mapped[bool | None] = mapped_column(Boolean)  # None: not declared yet
    declaration_note: Mapped[str] = mapped_column(Text, default="")
    declared_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    assigned_by: Mapped[str] = mapped_column(String(200))
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    request: Mapped[Request] = relationship(back_populates="assignments")


class Move(Base):
    """One state change of a request (besides the audit log): the phases' durations and statistics."""

    __tablename__ = "ivc_move"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("ivc_request.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(20))
    target: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class IssuedDocument(Base):
    """A document the procedure issued: *documento di trasparenza*, *di validazione*, *certificato*, with its
    minimum content (D.Lgs. 13/2013 art. 6) as data; the PDF is rendered from ``content``."""

    __tablename__ = "ivc_document"
    __table_args__ = (UniqueConstraint("request_id", "kind"), _in("kind", DOCUMENT_KINDS, "kind"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("ivc_request.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    number: Mapped[str] = mapped_column(String(40), unique=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    issued_by: Mapped[str] = mapped_column(String(200))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))


# --- verifiable credentials -----------------------------------------------------------------------------------

class Issuer(Base):
    """An *ente titolare* that signs credentials: the Region, or a delegated Fund (its URL is
    ``{REGIA_PUBLIC_URL}/certification/issuers/{slug}``)."""

    __tablename__ = "ivc_issuer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), unique=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    legal_reference: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    keys: Mapped[list[IssuerKey]] = relationship(order_by="IssuerKey.id")


class IssuerKey(Base):
    """An issuer's Ed25519 key: the public key (Multikey) and the key file's name; the private key lives only
    in that file. A retired key signs nothing new but stays in the controller document."""

    __tablename__ = "ivc_issuer_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("ivc_issuer.id", ondelete="RESTRICT"), index=True)
    public_key_multibase: Mapped[str] = mapped_column(String(80), unique=True)
    file_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StatusList(Base):
    """A Bitstring Status List (revocation) of one issuer: the bits, the next free index and the signed
    status list credential served at ``/certification/status/{id}``."""

    __tablename__ = "ivc_status_list"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("ivc_issuer.id", ondelete="RESTRICT"), index=True)
    purpose: Mapped[str] = mapped_column(String(20), default="revocation")
    size: Mapped[int] = mapped_column(Integer)  # bits
    bits: Mapped[bytes] = mapped_column(LargeBinary)
    next_index: Mapped[int] = mapped_column(Integer, default=0)
    credential: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the signed BitstringStatusListCredential
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}


class Credential(Base):
    """An issued OpenBadgeCredential (the signed JSON as issued) and its revocation."""

    __tablename__ = "ivc_credential"
    __table_args__ = (UniqueConstraint("status_list_id", "status_index"),
                      _in("kind", CREDENTIAL_KINDS, "kind"))
    __policy_resource__ = "ivc_credential"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # UUID; the credential id is urn:uuid:<id>
    request_id: Mapped[int] = mapped_column(ForeignKey("ivc_request.id", ondelete="RESTRICT"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("ivc_document.id", ondelete="RESTRICT"), index=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("ivc_claim.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(12))
    issuer_id: Mapped[int] = mapped_column(ForeignKey("ivc_issuer.id", ondelete="RESTRICT"), index=True)
    key_id: Mapped[int] = mapped_column(ForeignKey("ivc_issuer_key.id", ondelete="RESTRICT"))
    status_list_id: Mapped[int] = mapped_column(ForeignKey("ivc_status_list.id", ondelete="RESTRICT"))
    status_index: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    valid_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by: Mapped[str | None] = mapped_column(String(200))
    revocation_reason: Mapped[str | None] = mapped_column(Text)

    request: Mapped[Request] = relationship()
    issuer: Mapped[Issuer] = relationship()


class ShareLink(Base):
    """A link the person gives a verifier: shows the credential and its live status until it expires. Only
    the token's SHA-256 is stored."""

    __tablename__ = "ivc_share_link"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    credential_id: Mapped[str] = mapped_column(ForeignKey("ivc_credential.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# --- link with the catalogue ----------------------------------------------------------------------------------

class CourseCompetence(Base):
    """A catalogue course declares a QRSP competence it prepares for (by codes: any version of the standard)."""

    __tablename__ = "ivc_course_competence"
    __table_args__ = (UniqueConstraint("course_id", "profile_code", "competence_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("catalog_course.id", ondelete="CASCADE"), index=True)
    profile_code: Mapped[str] = mapped_column(String(40))
    competence_code: Mapped[str] = mapped_column(String(40))
    declared_by: Mapped[str] = mapped_column(String(200))
    declared_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
