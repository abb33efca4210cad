"""Tables of the catalogue: one row per course however many sources sent it, with its editions, sources,
history and the ESCO skills and occupations it is tagged with."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from regia.db import Base

MODALITIES = ("presenza", "online", "blended")
TARGETS = ("disoccupati", "occupati", "sospesi", "studenti", "apprendisti", "stranieri")
FUNDING_CHANNELS = ("regione", "fse+", "fondo", "impresa")
ORIGIN_CLASSIFIER = "classifier"
ORIGIN_PROVIDER = "provider"


def utcnow() -> datetime:
    return datetime.now(UTC)


class Provider(Base):
    """An accredited training body (or a Fund publishing courses), identified by its partita IVA or
    codice fiscale, both validated on the way in."""

    __tablename__ = "catalog_provider"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vat: Mapped[str | None] = mapped_column(String(16), unique=True)  # partita IVA (or CF when no VAT)
    tax_code: Mapped[str | None] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(300))
    name_key: Mapped[str] = mapped_column(String(300), index=True)  # folded name, for fuzzy recognition
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    courses: Mapped[list[Course]] = relationship(back_populates="provider")


class Course(Base):
    __tablename__ = "catalog_course"
    __table_args__ = (Index("ix_catalog_course_provider_code", "provider_id", "course_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("catalog_provider.id", ondelete="CASCADE"), index=True)
    course_code: Mapped[str | None] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(500))
    title_key: Mapped[str] = mapped_column(String(500))  # folded title, for fuzzy recognition
    description: Mapped[str] = mapped_column(Text, default="")
    hours: Mapped[float] = mapped_column(Float)
    modality: Mapped[str] = mapped_column(String(12), index=True)
    cost_eur: Mapped[float] = mapped_column(Float, default=0.0)
    eqf_level: Mapped[int | None] = mapped_column(Integer)
    certification: Mapped[str | None] = mapped_column(String(500))
    digital: Mapped[bool] = mapped_column(Boolean, default=False)
    green: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)

    provider: Mapped[Provider] = relationship(back_populates="courses")
    editions: Mapped[list[Edition]] = relationship(back_populates="course", cascade="all, delete-orphan",
                                                   order_by="Edition.start_date")
    targets: Mapped[list[CourseTarget]] = relationship(cascade="all, delete-orphan")
    funding: Mapped[list[CourseFunding]] = relationship(cascade="all, delete-orphan")
    skills: Mapped[list[CourseSkill]] = relationship(cascade="all, delete-orphan")
    occupations: Mapped[list[CourseOccupation]] = relationship(cascade="all, delete-orphan")
    sources: Mapped[list[CourseSource]] = relationship(cascade="all, delete-orphan")
    versions: Mapped[list[CourseVersion]] = relationship(cascade="all, delete-orphan",
                                                         order_by="CourseVersion.id")


class Edition(Base):
    """One run of a course: dates, seats and where (comune, province, NUTS3; none when online)."""

    __tablename__ = "catalog_edition"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("catalog_course.id", ondelete="CASCADE"), index=True)
    start_date: Mapped[date | None] = mapped_column(Date, index=True)
    end_date: Mapped[date | None] = mapped_column(Date)
    seats: Mapped[int] = mapped_column(Integer, default=0)
    comune: Mapped[str | None] = mapped_column(String(6))  # ISTAT comune code
    nuts3: Mapped[str | None] = mapped_column(String(5), index=True)
    sources: Mapped[list[str]] = mapped_column(JSON, default=list)

    course: Mapped[Course] = relationship(back_populates="editions")


class CourseTarget(Base):
    __tablename__ = "catalog_course_target"
    __table_args__ = (UniqueConstraint("course_id", "target"), Index("ix_catalog_course_target_target", "target"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("catalog_course.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(String(20))


class CourseFunding(Base):
    """A funding channel of the course: regione, fse+, fondo (with the Fund's name) or impresa."""

    __tablename__ = "catalog_course_funding"
    __table_args__ = (UniqueConstraint("course_id", "channel", "fund"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("catalog_course.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(12), index=True)
    fund: Mapped[str] = mapped_column(String(120), default="")  # the Fund's name when channel == fondo


class CourseSkill(Base):
    """An ESCO skill the course teaches: tagged by the classifier or declared by the provider; a provider
    confirms (or removes) the classifier's tags."""

    __tablename__ = "catalog_course_skill"
    __table_args__ = (UniqueConstraint("course_id", "uri"), Index("ix_catalog_course_skill_uri", "uri"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("catalog_course.id", ondelete="CASCADE"))
    uri: Mapped[str] = mapped_column(String(200))
    origin: Mapped[str] = mapped_column(String(12))  # classifier | provider
    score: Mapped[float] = mapped_column(Float, default=1.0)
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)


class CourseOccupation(Base):
    """An ESCO occupation the course prepares for (the classifier's selected occupations, or declared)."""

    __tablename__ = "catalog_course_occupation"
    __table_args__ = (UniqueConstraint("course_id", "uri"), Index("ix_catalog_course_occupation_uri", "uri"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("catalog_course.id", ondelete="CASCADE"))
    uri: Mapped[str] = mapped_column(String(200))
    origin: Mapped[str] = mapped_column(String(12))
    score: Mapped[float] = mapped_column(Float, default=1.0)


class CourseSource(Base):
    """Who sent the course: the source's name, its own key for the record and the hash of what it sent last."""

    __tablename__ = "catalog_course_source"
    __table_args__ = (UniqueConstraint("source", "source_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("catalog_course.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(120))
    source_key: Mapped[str] = mapped_column(String(300))
    content_hash: Mapped[str] = mapped_column(String(64))
    match: Mapped[str] = mapped_column(String(20))  # new | natural_key | fuzzy | source_key (how recognised)
    match_score: Mapped[float | None] = mapped_column(Float)
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CourseVersion(Base):
    """History: every distinct content a source sent for the course, in order."""

    __tablename__ = "catalog_course_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("catalog_course.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(120))
    content_hash: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    changes: Mapped[list[str]] = mapped_column(JSON, default=list)  # fields that differ from the entry
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
