"""Tables shared by every import: the quarantine of rejected rows and the ledger of imported records."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from regia.db import Base


class QuarantineEntry(Base):
    """A row that an import rejected, kept with the reason so that it can be fixed and re-imported."""

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    domain: Mapped[str] = mapped_column(String(40), index=True)  # taxonomy, postings, courses ...
    source: Mapped[str] = mapped_column(String(200))  # publisher or feed name
    file: Mapped[str] = mapped_column(String(500))
    line: Mapped[int | None] = mapped_column(Integer)
    field: Mapped[str | None] = mapped_column(String(200))
    record_id: Mapped[str | None] = mapped_column(String(500))
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[str | None] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LedgerEntry(Base):
    """Content hash of the last imported version of a record: what makes re-imports idempotent."""

    __tablename__ = "import_ledger"
    __table_args__ = (UniqueConstraint("source", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(120))
    key: Mapped[str] = mapped_column(String(500))
    hash: Mapped[str] = mapped_column(String(64))
