"""Tables of the demand side: ingest runs (with their resume state), postings' metadata and dedup groups.

Large volumes (one row per posting and per posting–skill) live in Parquet facts (see ``facts.py``); the
operational database keeps what ingest needs to be idempotent and resumable: natural keys, content hashes,
MinHash signatures, the dedup grouping, the codes the source gave next to the codes Regia assigned.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from regia.db import Base

# dedup roles of a stored posting
LEAD = "lead"  # first posting of its group: one demand unit
NEAR = "near"  # near-identical text, same employer, title and place as a held posting
REVISION = "revision"  # same natural key (source + id) as a held posting, changed content

RUNNING = "running"
DONE = "done"


class IngestRun(Base):
    """One `regia ingest postings` invocation over a set of inputs; resumed when re-run unfinished."""

    __tablename__ = "posting_ingest_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), index=True)  # hash of the inputs' content, source, format
    source: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(12), default=RUNNING)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class IngestFile(Base):
    """One input of a run (a file, or an OJA postings file with its skills file) and how far it got."""

    __tablename__ = "posting_ingest_file"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("posting_ingest_run.id", ondelete="CASCADE"), index=True)
    ordinal: Mapped[int] = mapped_column(Integer)  # position of the input in the run
    path: Mapped[str] = mapped_column(String(1000))
    name: Mapped[str] = mapped_column(String(300))  # file name as shown in quarantine and reports
    companion: Mapped[str | None] = mapped_column(String(1000))  # the OJA skills file, if any
    content_hash: Mapped[str] = mapped_column(String(64))
    format: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(12), default=RUNNING)
    position: Mapped[int] = mapped_column(Integer, default=0)  # records fully processed and committed
    batches: Mapped[int] = mapped_column(Integer, default=0)  # fact batches committed
    read: Mapped[int] = mapped_column(Integer, default=0)
    stored: Mapped[int] = mapped_column(Integer, default=0)
    duplicate: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)


class Posting(Base):
    """A stored posting: metadata, natural key, content hash, dedup group, source and Regia codes.

    Exact duplicates (same content hash) are not stored again: the held posting's ``times_seen`` grows.
    Near-duplicates and revisions are stored with ``group_id`` pointing at the group's lead posting, so
    that demand (distinct groups) counts them once while the grouping stays inspectable."""

    __tablename__ = "posting"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    group_id: Mapped[int] = mapped_column(Integer, index=True)
    dedup: Mapped[str] = mapped_column(String(10), default=LEAD)
    similarity: Mapped[float | None] = mapped_column(Float)  # estimated Jaccard with the group's match
    file_id: Mapped[int | None] = mapped_column(ForeignKey("posting_ingest_file.id", ondelete="SET NULL"),
                                                index=True)
    line: Mapped[int | None] = mapped_column(Integer)
    feed: Mapped[str] = mapped_column(String(120))  # --source, or the format's default
    board: Mapped[str | None] = mapped_column(String(200))  # job board / agency the ad was collected from
    source_id: Mapped[str | None] = mapped_column(String(300))
    natural_key: Mapped[str] = mapped_column(String(64), index=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    employer_norm: Mapped[str | None] = mapped_column(String(300))
    employer_key: Mapped[str | None] = mapped_column(String(64))  # keyed hash, for analytics
    date_posted: Mapped[date] = mapped_column(Date, index=True)
    valid_through: Mapped[date | None] = mapped_column(Date)
    location_text: Mapped[str | None] = mapped_column(String(300))
    comune: Mapped[str | None] = mapped_column(String(6))
    nuts3: Mapped[str | None] = mapped_column(String(5), index=True)
    nuts2: Mapped[str | None] = mapped_column(String(4))
    location_how: Mapped[str | None] = mapped_column(String(12))
    ateco_scheme: Mapped[str | None] = mapped_column(String(12))
    ateco_code: Mapped[str | None] = mapped_column(String(12))
    ateco_division: Mapped[str | None] = mapped_column(String(2))
    ateco_section: Mapped[str | None] = mapped_column(String(1))
    contract: Mapped[str | None] = mapped_column(String(60))
    education: Mapped[str | None] = mapped_column(String(60))
    experience: Mapped[str | None] = mapped_column(String(60))
    working_hours: Mapped[str | None] = mapped_column(String(20))
    salary: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(Text)
    # occupation codes: as the source gave them, and as Regia's classifier assigned them
    isco_source: Mapped[str | None] = mapped_column(String(4))
    cp_source: Mapped[str | None] = mapped_column(String(12))
    occupation_source: Mapped[str | None] = mapped_column(String(200))
    occupation_regia: Mapped[str | None] = mapped_column(String(200))
    occupation_score: Mapped[float | None] = mapped_column(Float)
    isco_regia: Mapped[str | None] = mapped_column(String(4))
    cp_regia: Mapped[str | None] = mapped_column(String(12))
    skills_source: Mapped[int] = mapped_column(Integer, default=0)  # how many skills the source listed
    skills_regia: Mapped[int] = mapped_column(Integer, default=0)  # how many Regia selected
    minhash: Mapped[bytes] = mapped_column(LargeBinary)
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    times_seen: Mapped[int] = mapped_column(Integer, default=1)
    last_seen: Mapped[date | None] = mapped_column(Date)
