"""Tables of the monitoring domain: participations, employment events (UNILAV), registered unemployed, and the
state of each ingest (for resuming).

People are held only as pseudonyms (``person``, 64 hex characters; see ``identity``), never by codice fiscale
or name. Each record has a natural key (a hash of its identifying fields, pseudonyms included) and a content
hash, which make re-imports idempotent (``regia.importing.ledger``). ``synthetic`` marks the demo's simulated
records (``regia demo-data outcomes``), which never mix with real ones.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Boolean, Date, DateTime, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from regia.db import Base

RUNNING, DONE = "running", "done"


def utcnow() -> datetime:
    return datetime.now(UTC)


class _Record:
    """Columns every monitoring record has."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person: Mapped[str] = mapped_column(String(64), index=True)  # pseudonym of the codice fiscale
    natural_key: Mapped[str] = mapped_column(String(64), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(120))
    file: Mapped[str] = mapped_column(String(300))
    line: Mapped[int] = mapped_column(Integer)
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class _Person:
    """What participations and registrations say about the person (at the time of the record)."""

    birth_year: Mapped[int] = mapped_column(Integer)
    sex: Mapped[str] = mapped_column(String(1))
    citizenship: Mapped[str] = mapped_column(String(6))
    education: Mapped[int | None] = mapped_column(Integer)  # ISCED 2011 level
    comune: Mapped[str | None] = mapped_column(String(6))  # ISTAT code of the comune of residence
    nuts3: Mapped[str | None] = mapped_column(String(5), index=True)
    unemployed_since: Mapped[date | None] = mapped_column(Date)


class Participation(_Record, _Person, Base):
    """A person's enrolment in a course (or an action of a programme), with how it ended."""

    __tablename__ = "monitoring_participation"

    course_id: Mapped[int | None] = mapped_column(Integer, index=True)  # regia.catalog course
    edition_id: Mapped[int | None] = mapped_column(Integer)
    funding: Mapped[str] = mapped_column(String(12), index=True)  # codes.FUNDING
    fund: Mapped[str | None] = mapped_column(String(120), index=True)  # the Fund's name when funding == fondo
    programme: Mapped[str | None] = mapped_column(String(120), index=True)
    plan_line: Mapped[str | None] = mapped_column(String(120), index=True)
    enrolled_on: Mapped[date] = mapped_column(Date, index=True)
    ended_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))  # codes.STATUSES
    certified: Mapped[bool] = mapped_column(Boolean, default=False)
    certificate_id: Mapped[str | None] = mapped_column(String(120))
    labour_status: Mapped[str] = mapped_column(String(12))  # at entry: codes.LABOUR_STATUSES
    target_group: Mapped[str] = mapped_column(String(24), index=True)  # codes.TARGET_GROUPS
    cost_eur: Mapped[float | None] = mapped_column(Float)  # paid for this participation, when the file says


class EmploymentEvent(_Record, Base):
    """One Comunicazione Obbligatoria (UNILAV): a hire, extension, transformation, transfer or termination of
    an employment relationship, which is identified by (person, employer, start date)."""

    __tablename__ = "monitoring_employment_event"

    employer: Mapped[str] = mapped_column(String(64))  # pseudonym of the employer's partita IVA / codice fiscale
    event: Mapped[str] = mapped_column(String(3))  # codes.EVENTS
    event_date: Mapped[date] = mapped_column(Date, index=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    contract: Mapped[str] = mapped_column(String(16))  # codes.CONTRACTS
    contract_code: Mapped[str | None] = mapped_column(String(10))  # the UNILAV code, when given
    working_time: Mapped[str | None] = mapped_column(String(1))  # F / P / V / M
    ateco: Mapped[str | None] = mapped_column(String(12))
    cp2011: Mapped[str | None] = mapped_column(String(16))  # qualificaProfessionale (ISTAT CP code)
    comune: Mapped[str | None] = mapped_column(String(6))  # of the workplace
    nuts3: Mapped[str | None] = mapped_column(String(5))
    communicated_on: Mapped[date | None] = mapped_column(Date)


class RegisteredUnemployed(_Record, _Person, Base):
    """A registration as unemployed (DID, dichiarazione di immediata disponibilità) at an employment centre."""

    __tablename__ = "monitoring_unemployed"

    registered_on: Mapped[date] = mapped_column(Date, index=True)


class IngestFile(Base):
    """An ingest of one file and how far it got: re-running the same file (same content) while it is
    ``running`` resumes after the last committed batch."""

    __tablename__ = "monitoring_ingest_file"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # participations | employment | unemployed
    source: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(300))
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(10), default=RUNNING)
    position: Mapped[int] = mapped_column(Integer, default=0)  # records committed
    read: Mapped[int] = mapped_column(Integer, default=0)
    stored: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    duplicate: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
