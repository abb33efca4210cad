"""API shapes of calls and pact proposals (the manifestation itself: :mod:`regia.pacts.manifestation`)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from regia.pacts.manifestation import Manifestation
from regia.pacts.models import STATUSES

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Status = Literal[STATUSES]  # type: ignore[valid-type]
Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]


class Criterion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=20)
    label: str = Field(min_length=1, max_length=300)
    weight: Decimal = Field(gt=0, le=1000, description="Multiplies the criterion's score in the total")
    max_score: Decimal = Field(gt=0, le=1000)
    threshold: Decimal = Field(default=Decimal(0), ge=0, le=1000, description="Minimum score to be fundable")


class CallIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=40, description="The call's code, unique (e.g. PATTI-2027)")
    title: Title
    description: str = Field(default="", max_length=20_000)
    opens_at: datetime
    manifestation_deadline: datetime = Field(description="Manifestations of interest are refused after it")
    evaluation_deadline: datetime
    programme_deadline: datetime
    ends_on: date = Field(description="End of the programmes' implementation")
    territories: list[str] = Field(default_factory=list, max_length=20, description="Eligible NUTS3 codes "
                                   "(empty: every province)")
    required_partner_types: list[str] = Field(default_factory=list, max_length=12,
                                              description="Organisation types the partnership must include")
    min_partners: int = Field(default=3, ge=1, le=100, description="Lead partner included")
    targets: list[str] = Field(default_factory=list, max_length=10, description="Admitted target groups")
    grid: list[Criterion] = Field(min_length=1, max_length=30)
    min_total: Decimal = Field(default=Decimal(0), ge=0)
    aggregation: Literal["average", "consensus"] = "average"
    max_spread: Decimal = Field(default=Decimal(0), ge=0)
    min_evaluators: int = Field(default=2, ge=1, le=20)
    budget: dict[str, Money] = Field(default_factory=dict, description="Envelope per funding source "
                                     "(regional, fse_plus, fund)")
    max_grant: Money | None = Field(default=None, description="Most a proposal may ask, all sources together")
    min_cofinancing_share: Decimal = Field(default=Decimal(0), ge=0, lt=1)

    def values(self) -> dict[str, Any]:
        values = self.model_dump()
        values["grid"] = [c.model_dump() for c in self.grid]
        return values


class CallUpdate(CallIn):
    version: int = Field(ge=1, le=2**31 - 1, description="The version you read; 409 if it changed since")


class CallOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    title: str
    description: str
    opens_at: datetime
    manifestation_deadline: datetime
    evaluation_deadline: datetime
    programme_deadline: datetime
    ends_on: date
    territories: list[str]
    required_partner_types: list[str]
    min_partners: int
    targets: list[str]
    grid: list[dict[str, Any]]
    min_total: Decimal
    aggregation: str
    max_spread: Decimal
    min_evaluators: int
    budget: dict[str, str]
    max_grant: Decimal | None
    min_cofinancing_share: Decimal
    ranking_published_at: datetime | None
    version: int
    phase: str = Field(default="", description="not_open, manifestation, evaluation, programme, "
                                               "implementation or closed")


class ProposalOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    call_id: int | None
    organisation_id: int
    title: str
    status: Status
    body: dict[str, Any] = Field(description="The manifestation of interest (see ProposalIn.body)")
    evidence: dict[str, Any] | None = Field(description="Evidence snapshot of the last submission")
    requested: dict[str, str]
    version: int
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None


class ProposalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    call_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="The call (must be open)")
    organisation_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="The owner partnership; "
                                        "may be omitted when you edit for one partnership only")
    title: Title
    body: Manifestation = Field(default_factory=Manifestation)


class ProposalUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    body: Manifestation = Field(default_factory=Manifestation)
    version: int = Field(ge=1, le=2**31 - 1, description="The version you read; 409 if it changed since")


class IssueOut(BaseModel):
    path: str = Field(description="Where: partners[1].letter_document_id, actions[0].course_id, …")
    key: str = Field(description="Message key (pacts.issue.*)")
    params: dict[str, Any]
    message: str = Field(description="In English")
    messaggio: str = Field(description="In Italian")


class ValidationOut(BaseModel):
    ready: bool = Field(description="True when nothing is missing (the deadline is checked at submission)")
    issues: list[IssueOut]


class VersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: int
    title: str
    body: dict[str, Any]
    evidence: dict[str, Any]
    content_hash: str
    submitted_at: datetime
    submitted_by: str


class VersionSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: int
    title: str
    content_hash: str
    submitted_at: datetime


class DocumentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    proposal_id: int
    kind: str
    partner_tax_code: str | None
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime
