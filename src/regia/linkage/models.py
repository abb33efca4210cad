"""Tables of the linkage domain: runs, the clerical-review queue with its decisions, linked identities.

A decision is keyed by the *content* of the two records (``pair_key``: a hash of each record as read), not by
a run: the next run over sources that hold the same two records finds it and applies it, whatever their ids or
file names. Identities (``LinkageEntity``) are stable keys: a later run maps each cluster to the identity most
of its records already had, so that the key of a person does not change when a source is linked again.

The review queue holds the two records as read (names, codice fiscale ...): the reviewer must see them. Only
Region staff reach it (``Resource.LINKAGE``); nothing of it is logged.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from regia.db import Base

PENDING, MATCH, NON_MATCH = "pending", "match", "non_match"
STATUSES = (PENDING, MATCH, NON_MATCH)


class LinkageRun(Base):
    """One run of ``regia linkage persons|firms`` (or of the service) over two sources."""

    __tablename__ = "linkage_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # persons / firms
    source_a: Mapped[str] = mapped_column(String(300))
    source_b: Mapped[str] = mapped_column(String(300))
    engine: Mapped[str] = mapped_column(String(10))
    threshold: Mapped[float] = mapped_column(Float)
    review_low: Mapped[float] = mapped_column(Float)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LinkageReview(Base):
    """A pair in the uncertain band, waiting for (or carrying) a reviewer's decision."""

    __tablename__ = "linkage_review"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), index=True)
    pair_key: Mapped[str] = mapped_column(String(64), unique=True)  # kind + the two records' content hashes
    source_a: Mapped[str] = mapped_column(String(300))
    id_a: Mapped[str] = mapped_column(String(300))
    source_b: Mapped[str] = mapped_column(String(300))
    id_b: Mapped[str] = mapped_column(String(300))
    record_a: Mapped[dict[str, Any]] = mapped_column(JSON)
    record_b: Mapped[dict[str, Any]] = mapped_column(JSON)
    probability: Mapped[float] = mapped_column(Float)
    match_weight: Mapped[float | None] = mapped_column(Float)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("linkage_run.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(12), default=PENDING, index=True)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LinkageEntity(Base):
    """A linked identity: a person or a firm, with its stable key."""

    __tablename__ = "linkage_entity"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(36), unique=True)
    kind: Mapped[str] = mapped_column(String(10), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LinkageMember(Base):
    """A source record of an identity (by source and id; its content hash and its tax code's pseudonym find it
    again when it comes without them)."""

    __tablename__ = "linkage_member"
    __table_args__ = (UniqueConstraint("kind", "source", "record_id", name="uq_linkage_member_record"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("linkage_entity.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    source: Mapped[str] = mapped_column(String(300))
    record_id: Mapped[str] = mapped_column(String(300))
    record_hash: Mapped[str] = mapped_column(String(64), index=True)
    tax_key: Mapped[str | None] = mapped_column(String(64), index=True)  # pseudonym of a valid CF / P.IVA
    run_id: Mapped[int | None] = mapped_column(ForeignKey("linkage_run.id", ondelete="SET NULL"))
