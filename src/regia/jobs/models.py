"""Tables of the jobs domain: one row per upload run as a background job, and the rows its import rejected."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from regia.db import Base
from regia.i18n import N_

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
STATES = (QUEUED, RUNNING, DONE, FAILED, CANCELLED)
FINISHED = (DONE, FAILED, CANCELLED)
STATE_LABELS = {QUEUED: N_("jobs.state.queued"), RUNNING: N_("jobs.state.running"), DONE: N_("jobs.state.done"),
                FAILED: N_("jobs.state.failed"), CANCELLED: N_("jobs.state.cancelled")}


class Job(Base):
    """An uploaded file and the import that reads it: who sent it (user, and the organisation it acts for),
    what it is (kind, name, detected format, size, SHA-256 of the content), where the work stands (state,
    rows committed: ``position``; counts) and when. The counts and the position move only in the
    transaction of each committed batch (``regia.importing.checkpoint``)."""

    __tablename__ = "job"
    __policy_resource__ = "job"
    __table_args__ = (Index("ix_job_kind_hash", "kind", "content_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(20), default=QUEUED, index=True)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="SET NULL"),
                                                        index=True)
    file_name: Mapped[str] = mapped_column(String(255))
    file_format: Mapped[str] = mapped_column(String(20))
    file_size: Mapped[int] = mapped_column(BigInteger)
    content_hash: Mapped[str] = mapped_column(String(64))
    stored_as: Mapped[str] = mapped_column(String(500))  # path of the upload under settings.jobs_dir
    total: Mapped[int | None] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)
    batches: Mapped[int] = mapped_column(Integer, default=0)
    read: Mapped[int] = mapped_column(Integer, default=0)
    stored: Mapped[int] = mapped_column(Integer, default=0)
    duplicate: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)  # why it failed (message key of the jobs catalogue)
    error_detail: Mapped[str | None] = mapped_column(Text)  # the import's own words (English)
    worker: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resumed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # this run's start
    resumed_position: Mapped[int] = mapped_column(Integer, default=0)  # rows committed when this run started
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    rejections: Mapped[list[JobRejection]] = relationship(back_populates="job", cascade="all, delete-orphan",
                                                         passive_deletes=True, order_by="JobRejection.id")

    @property
    def finished(self) -> bool:
        return self.state in FINISHED


class JobRejection(Base):
    """A row of the job's file that its import rejected: where (row number in the file, field) and why."""

    __tablename__ = "job_rejection"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"), index=True)
    row: Mapped[int | None] = mapped_column(Integer)
    field: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    record_id: Mapped[str | None] = mapped_column(String(500))

    job: Mapped[Job] = relationship(back_populates="rejections")
