"""API shapes of accounts, organisations, tokens and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from regia.auth.models import OrgType, Role

T = TypeVar("T")

Email = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=254,
                                         pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Password = Annotated[str, StringConstraints(min_length=1, max_length=256)]


class Page(BaseModel, Generic[T]):
    """One page of a list: ``items`` from ``offset``, at most ``limit``, of ``total``."""

    items: list[T]
    total: int = Field(ge=0)
    limit: int = Field(ge=1)
    offset: int = Field(ge=0)


class OrganisationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    type: OrgType
    tax_code: str | None = Field(description="Codice fiscale")
    vat_number: str | None = Field(description="Partita IVA")
    created_at: datetime


class OrganisationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    type: OrgType
    tax_code: Annotated[str | None, Field(max_length=40, description="Codice fiscale (11 digits, or 16 "
                                                                       "characters for a person)")] = None
    vat_number: Annotated[str | None, Field(max_length=40, description="Partita IVA (11 digits)")] = None


class OrganisationPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    tax_code: Annotated[str | None, Field(max_length=40)] = None
    vat_number: Annotated[str | None, Field(max_length=40)] = None


class MembershipOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    organisation_id: int
    organisation_name: str
    organisation_type: OrgType
    role: Role


class MembershipIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organisation_id: int = Field(ge=1, le=2**31 - 1)
    role: Role


class UserOut(BaseModel):
    id: int
    email: str
    display_name: str
    is_active: bool
    memberships: list[MembershipOut]


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    display_name: Name
    password: Annotated[str | None, Field(min_length=10, max_length=256, description="At least 10 "
                                          "characters; omit for an account that logs in through OIDC only")] = None
    memberships: Annotated[list[MembershipIn], Field(max_length=50)] = []


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    display_name: Name | None = None
    is_active: bool | None = Field(default=None, description="false disables the account: its sessions end "
                                                             "and its tokens stop working")


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    password: Password
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] = "api"


class TokenCreated(BaseModel):
    id: int
    token: str = Field(description="The bearer token; shown only now, store it safely")
    token_type: str = "bearer"
    expires_at: datetime


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class Me(BaseModel):
    id: int
    email: str
    display_name: str
    memberships: list[MembershipOut]
    region_admin: bool
    via: str = Field(description="How this request was authenticated: session or token")


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor_user_id: int | None
    actor: str
    action: str
    resource_type: str
    resource_id: str | None
    organisation_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    note: str | None
    prev_hash: str
    hash: str


class AuditVerification(BaseModel):
    ok: bool
    checked: int
    head: str = Field(description="Hash of the newest entry: keep it elsewhere to detect truncation")
    first_bad_id: int | None = None
    problem: str | None = None


PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem", "type": "object", "description": "Problem details (RFC 9457)",
    "required": ["title", "status"],
    "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                   "detail": {"type": "string"}, "instance": {"type": "string"},
                   "errors": {"type": "array", "items": {"type": "object"}}},
}


def document_problems(router: Any) -> None:
    """Give every documented error response of ``router``'s routes the problem-details body, so that the
    OpenAPI description says what clients get (call once, after the routes are defined)."""
    for route in router.routes:
        responses = getattr(route, "responses", None)
        if not isinstance(responses, dict):
            continue
        for status, spec in list(responses.items()):
            if str(status).isdigit() and int(status) >= 400 and "content" not in spec:
                responses[status] = {**spec, "content": {"application/problem+json": {"schema": PROBLEM_SCHEMA}}}
