"""API shapes of the certification domain (Pydantic)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from regia.certification.models import ASSIGNMENT_ROLES, EXPERIENCE_KINDS, LEARNING, METHODS, STATUSES

Status = Literal[STATUSES]  # type: ignore[valid-type]


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class AlignmentOut(_Out):
    id: int
    esco_uri: str
    label: str
    origin: Literal["import", "classifier", "person"]
    status: Literal["suggested", "confirmed", "rejected"]
    score: float | None = None
    decided_by: str | None = None


class CompetenceOut(_Out):
    id: int
    code: str
    title: str
    description: str
    eqf_level: int
    abilities: list[str]
    knowledge: list[str]
    alignments: list[AlignmentOut]


class ProfileOut(_Out):
    id: int
    code: str
    version: int
    sector_code: str
    sector_name: str
    title: str
    description: str
    qualification: str
    repertory: str
    eqf_level: int
    ateco: list[str]
    cp2011: list[str]
    valid_from: date
    validity_months: int | None
    is_demo: bool
    competences: list[CompetenceOut]


class PersonIn(BaseModel):
    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    tax_code: str = Field(min_length=11, max_length=20, description="Codice fiscale")
    birth_date: date
    birth_place: str = Field(default="", max_length=100)


class RequestIn(BaseModel):
    profile_code: str = Field(min_length=1, max_length=40)
    provider_org_id: int = Field(ge=1, le=2**31 - 1)
    titolare_org_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    person: PersonIn
    person_email: str | None = Field(default=None, max_length=254)
    note: str = Field(default="", max_length=2000)


class ClaimOut(_Out):
    id: int
    competence_id: int
    learning: str
    context: str
    course_id: int | None
    validated: bool | None
    validation_reason: str
    certified: bool | None
    method: str | None
    certification_reason: str
    assessed_on: date | None


class ExperienceOut(_Out):
    id: int
    kind: str
    title: str
    organisation: str
    description: str
    started_on: date | None
    ended_on: date | None


class AssignmentOut(_Out):
    id: int
    request_id: int
    user_id: int
    role: str
    conflict: bool | None
    declared_at: datetime | None


class RequestOut(_Out):
    id: int
    number: str
    status: str
    channel: str
    given_name: str
    family_name: str
    birth_date: date
    titolare_org_id: int
    provider_org_id: int
    profile_id: int
    person_user_id: int | None
    phase_started_at: datetime
    phase_due_at: datetime | None
    version: int
    created_at: datetime
    claims: list[ClaimOut]
    experiences: list[ExperienceOut]
    assignments: list[AssignmentOut]


class ExperienceIn(BaseModel):
    kind: Literal[EXPERIENCE_KINDS]  # type: ignore[valid-type]
    title: str = Field(min_length=1, max_length=300)
    organisation: str = Field(default="", max_length=300)
    description: str = Field(default="", max_length=4000)
    started_on: date | None = None
    ended_on: date | None = None


class ClaimIn(BaseModel):
    competence_code: str = Field(min_length=1, max_length=40)
    learning: Literal[LEARNING]  # type: ignore[valid-type]
    context: str = Field(default="", max_length=2000)
    course_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class AssignmentIn(BaseModel):
    user_id: int = Field(ge=1, le=2**31 - 1)
    role: Literal[ASSIGNMENT_ROLES]  # type: ignore[valid-type]


class DeclarationIn(BaseModel):
    conflict: bool
    note: str = Field(default="", max_length=2000)


class EvaluationIn(BaseModel):
    validated: bool
    reason: str = Field(min_length=1, max_length=2000)


class OutcomeItem(BaseModel):
    claim_id: int = Field(ge=1, le=2**31 - 1)
    certified: bool
    reason: str = Field(min_length=1, max_length=2000)


class OutcomeIn(BaseModel):
    method: Literal[METHODS]  # type: ignore[valid-type]
    assessed_on: date
    outcomes: list[OutcomeItem] = Field(max_length=200)


class MoveIn(BaseModel):
    target: Status
    note: str = Field(default="", max_length=2000)


class EvidenceOut(_Out):
    id: int
    filename: str
    description: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime


class DocumentOut(_Out):
    id: int
    request_id: int
    kind: str
    number: str
    issued_at: datetime
    content: dict[str, Any]
    content_hash: str


class CredentialOut(_Out):
    id: str
    request_id: int
    document_id: int
    kind: str
    issued_at: datetime
    valid_until: datetime | None
    revoked_at: datetime | None
    revocation_reason: str | None
    name: str = ""


class RevokeIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class ShareIn(BaseModel):
    days: int = Field(default=30, ge=1, le=365)


class ShareOut(BaseModel):
    url: str
    expires_at: datetime


class DelegationIn(BaseModel):
    organisation_id: int = Field(ge=1, le=2**31 - 1)
    valid_from: date
    valid_to: date
    profiles: list[str] = Field(default_factory=list, max_length=500)
    sectors: list[str] = Field(default_factory=list, max_length=100)
    legal_reference: str = Field(min_length=1, max_length=300)


class DelegationOut(_Out):
    id: int
    organisation_id: int
    valid_from: date
    valid_to: date
    profiles: list[str]
    sectors: list[str]
    legal_reference: str
    granted_by: str
    revoked_at: datetime | None
    revoke_reason: str | None


class VerdictOut(BaseModel):
    status: Literal["valid", "tampered", "revoked", "unknown_issuer", "not_delegated", "expired", "malformed"]
    valid: bool
    key: str
    reason: str
    message: str = Field(description="The reason in Italian")
    params: dict[str, Any]
    summary: dict[str, Any]
    notes: list[str]


class CourseCompetencesIn(BaseModel):
    competences: list[str] = Field(max_length=200, description="PROFILE/COMPETENCE codes, e.g. DEMO-LOG-001/LOG-001-C2")


class AlignmentDecisionIn(BaseModel):
    confirm: bool = Field(description="true: the competence is aligned to this ESCO skill; false: rejected")
