"""API shapes of pact proposals."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Body = Annotated[dict[str, Any], Field(description="The proposal's content (sections by name); free-form "
                                                   "until the Patti schema exists", max_length=100)]


class ProposalOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    organisation_id: int
    title: str
    status: Literal["draft", "submitted"]
    body: dict[str, Any]
    version: int
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None


class ProposalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organisation_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="The owner partnership; "
                                        "may be omitted when you edit for one partnership only")
    title: Title
    body: Body = {}


class ProposalUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    body: Body = {}
    version: int = Field(ge=1, le=2**31 - 1, description="The version you read; 409 if it changed since")
