"""A pact proposal of a partnership (manifestazione di interesse / programma di intervento, later)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from regia.auth.models import utcnow
from regia.db import Base

DRAFT = "draft"
SUBMITTED = "submitted"
STATUSES = (DRAFT, SUBMITTED)


class Proposal(Base):
    __tablename__ = "pact_proposal"
    __table_args__ = (CheckConstraint(f"status IN {STATUSES!r}", name="status"),)
    __policy_resource__ = "pact_proposal"  # read and write rules: regia.auth.policy

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default=DRAFT, index=True)
    body: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)  # optimistic concurrency: PUT sends it back
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
