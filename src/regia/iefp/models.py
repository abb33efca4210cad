"""Tables of the iefp domain: the repertory of IeFP figures (with versions), the accredited centres with their
seats and paths, the students (pseudonymised), the firms' places, the candidacies and rankings, the matching
rounds, and the placements and apprenticeship contracts with their training plans, progress and outcomes.

Versions: a figure (:class:`Figure`, by its repertory code) keeps every :class:`FigureVersion` an import gave it
(a new version when the content hash of the code's record changed); paths, places, placements and training
plans point at the version they were made against, never at "the figure".

Row-level rules are in :mod:`regia.auth.policy` (``__policy_resource__``); organisation ids are stored on the
rows the rules look at (``centre_id`` / ``firm_id``), so that the filters need no joins.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from regia.auth.models import utcnow
from regia.db import Base

QUALIFICA = "qualifica"  # three-year qualifica professionale (EQF 3)
DIPLOMA = "diploma"  # four-year diploma professionale (EQF 4)
FIGURE_KINDS = (QUALIFICA, DIPLOMA)
COMPETENCE_KINDS = ("base", "common", "specific")  # di base; tecnico-professionali comuni; specifiche

ALTERNANZA = "alternanza"  # alternanza rafforzata (sistema duale)
TIROCINIO = "tirocinio"  # tirocinio curricolare
APPRENDISTATO = "apprendistato"  # apprendistato di primo livello, art. 43 D.Lgs. 81/2015
PLACE_KINDS = (ALTERNANZA, TIROCINIO, APPRENDISTATO)

PLACE_STATUSES = ("draft", "published", "closed")
PLACEMENT_STATUSES = ("planned", "active", "completed", "withdrawn")
OUTCOMES = ("qualified", "not_qualified", "withdrawn")
HIRED_SOURCES = ("co", "declared")  # comunicazioni obbligatorie, or declared by the centre
MATCHING_MODES = ("deferred_acceptance", "fit_score")
PLAN_STATUSES = ("draft", "signed")


def _in(name: str, values: tuple[str, ...]) -> CheckConstraint:
    return CheckConstraint(f"{name} IN {values!r}", name=name)


class Figure(Base):
    """A figure of the national IeFP repertory, by its code; ``current_version`` is the latest import's."""

    __tablename__ = "iefp_figure"
    __policy_resource__ = "iefp_figure"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    title: Mapped[str] = mapped_column(String(300))  # of the current version
    kind: Mapped[str] = mapped_column(String(12))
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)  # written by the Regia team, not the repertory
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    versions: Mapped[list[FigureVersion]] = relationship(back_populates="figure", order_by="FigureVersion.number",
                                                         cascade="all, delete-orphan")


class FigureVersion(Base):
    """The content of a figure as one import gave it: frozen, never edited."""

    __tablename__ = "iefp_figure_version"
    __table_args__ = (UniqueConstraint("figure_id", "number"), _in("kind", FIGURE_KINDS))
    __policy_resource__ = "iefp_figure"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    figure_id: Mapped[int] = mapped_column(ForeignKey("iefp_figure.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of the canonical JSON of the record
    kind: Mapped[str] = mapped_column(String(12))
    title: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300), default="")
    eqf_level: Mapped[int] = mapped_column(Integer)
    years: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, default="")
    ateco: Mapped[list[str]] = mapped_column(JSON, default=list)  # ATECO 2007 sections / divisions / classes
    cp2011: Mapped[list[str]] = mapped_column(JSON, default=list)  # ISTAT CP2011 codes
    esco_occupations: Mapped[list[str]] = mapped_column(JSON, default=list)  # ESCO occupation URIs
    source: Mapped[str] = mapped_column(String(200))
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    figure: Mapped[Figure] = relationship(back_populates="versions")
    competences: Mapped[list[FigureCompetence]] = relationship(back_populates="version",
                                                               order_by="FigureCompetence.code",
                                                               cascade="all, delete-orphan")


class FigureCompetence(Base):
    __tablename__ = "iefp_figure_competence"
    __table_args__ = (UniqueConstraint("version_id", "code"), _in("kind", COMPETENCE_KINDS))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("iefp_figure_version.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(400))
    kind: Mapped[str] = mapped_column(String(10))
    esco_skills: Mapped[list[str]] = mapped_column(JSON, default=list)

    version: Mapped[FigureVersion] = relationship(back_populates="competences")


class ImportRun(Base):
    """One import of a repertory file: where it stopped (``position``, records done) so that it resumes."""

    __tablename__ = "iefp_import_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(200))
    file: Mapped[str] = mapped_column(String(500))
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    total: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[int] = mapped_column(Integer, default=0)
    read: Mapped[int] = mapped_column(Integer, default=0)
    stored: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(10), default="running")  # running, done
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Centre(Base):
    """An accredited IeFP centre (CFP): an organisation of type provider."""

    __tablename__ = "iefp_centre"
    __policy_resource__ = "iefp_offer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), unique=True)
    accreditation_code: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    seats: Mapped[list[CentreSeat]] = relationship(back_populates="centre", order_by="CentreSeat.name")


class CentreSeat(Base):
    """A seat (*sede*) of a centre, in a comune."""

    __tablename__ = "iefp_seat"
    __table_args__ = (UniqueConstraint("centre_id", "name"),)
    __policy_resource__ = "iefp_offer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("iefp_centre.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(200))
    comune: Mapped[str] = mapped_column(String(6))  # ISTAT code
    nuts3: Mapped[str] = mapped_column(String(5), index=True)

    centre: Mapped[Centre] = relationship(back_populates="seats")


class TrainingPath(Base):
    """A path (*percorso*) a centre runs in a school year: a class of one year of a figure, with its places."""

    __tablename__ = "iefp_path"
    __table_args__ = (UniqueConstraint("seat_id", "figure_id", "school_year", "year_of_course", "section"),
                      CheckConstraint("year_of_course BETWEEN 1 AND 4", name="year_of_course"),
                      CheckConstraint("places >= 0 AND enrolled >= 0", name="counts"))
    __policy_resource__ = "iefp_offer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    seat_id: Mapped[int] = mapped_column(ForeignKey("iefp_seat.id", ondelete="RESTRICT"), index=True)
    figure_id: Mapped[int] = mapped_column(ForeignKey("iefp_figure.id", ondelete="RESTRICT"), index=True)
    figure_version_id: Mapped[int] = mapped_column(ForeignKey("iefp_figure_version.id", ondelete="RESTRICT"))
    school_year: Mapped[str] = mapped_column(String(7), index=True)  # "2026/27"
    year_of_course: Mapped[int] = mapped_column(Integer)
    section: Mapped[str] = mapped_column(String(10), default="A")
    places: Mapped[int] = mapped_column(Integer)
    enrolled: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    seat: Mapped[CentreSeat] = relationship()
    figure_version: Mapped[FigureVersion] = relationship()


class Student(Base):
    """A student of a centre's path. Names and the birth date are read by the centre only; everyone else knows
    the student by ``label`` (derived from the pseudonym). The codice fiscale is never stored: ``pseudonym`` is
    its keyed hash (:mod:`regia.auth.pseudonym`), the key the CO records of the outcomes are matched on."""

    __tablename__ = "iefp_student"
    __policy_resource__ = "iefp_student"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    path_id: Mapped[int] = mapped_column(ForeignKey("iefp_path.id", ondelete="RESTRICT"), index=True)
    pseudonym: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(12), unique=True)  # "S-3F9A2C7D"
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date] = mapped_column(Date)
    comune: Mapped[str] = mapped_column(String(6))  # of residence (commute estimates)
    consent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    consent_by: Mapped[str] = mapped_column(String(20), default="")  # "parent", "guardian", "student" (adult)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    path: Mapped[TrainingPath] = relationship()


class Place(Base):
    """A firm's offer: placements (*alternanza rafforzata*, *tirocinio curricolare*) or first-level
    apprenticeship positions, for one figure, with seats, place, period, hours and the company tutor."""

    __tablename__ = "iefp_place"
    __table_args__ = (_in("kind", PLACE_KINDS), _in("status", PLACE_STATUSES),
                      CheckConstraint("seats >= 0", name="seats"))
    __policy_resource__ = "iefp_place"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(15))
    figure_id: Mapped[int] = mapped_column(ForeignKey("iefp_figure.id", ondelete="RESTRICT"), index=True)
    figure_version_id: Mapped[int] = mapped_column(ForeignKey("iefp_figure_version.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    seats: Mapped[int] = mapped_column(Integer)
    comune: Mapped[str] = mapped_column(String(6))
    nuts3: Mapped[str] = mapped_column(String(5), index=True)
    ateco: Mapped[str] = mapped_column(String(8))  # the firm's activity
    school_year: Mapped[str] = mapped_column(String(7), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    hours_per_year: Mapped[int] = mapped_column(Integer)  # at the firm
    weekly_hours: Mapped[int] = mapped_column(Integer)
    company_tutor: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="draft", index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    figure_version: Mapped[FigureVersion] = relationship()


class Candidacy(Base):
    """A student for a place: the student's rank of the place (set by the centre, with the student), the centre's
    proposal to the firm (``proposed_at``: from then on the firm sees the candidate), the firm's rank."""

    __tablename__ = "iefp_candidacy"
    __table_args__ = (UniqueConstraint("place_id", "student_id"),
                      CheckConstraint("student_rank IS NULL OR student_rank >= 1", name="student_rank"),
                      CheckConstraint("firm_rank IS NULL OR firm_rank >= 1", name="firm_rank"))
    __policy_resource__ = "iefp_candidacy"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("iefp_place.id", ondelete="CASCADE"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("iefp_student.id", ondelete="CASCADE"), index=True)
    centre_id: Mapped[int] = mapped_column(Integer, index=True)  # the student's centre (organisation id)
    firm_id: Mapped[int] = mapped_column(Integer, index=True)  # the place's firm (organisation id)
    student_rank: Mapped[int | None] = mapped_column(Integer)
    proposed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    proposed_by: Mapped[str] = mapped_column(String(60), default="")
    firm_rank: Mapped[int | None] = mapped_column(Integer)
    ranked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    place: Mapped[Place] = relationship()
    student: Mapped[Student] = relationship()


class MatchingRun(Base):
    """One run of the matching over the places of a school year (and province): its input, its result."""

    __tablename__ = "iefp_matching_run"
    __table_args__ = (_in("mode", MATCHING_MODES),)
    __policy_resource__ = "iefp_system"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    school_year: Mapped[str] = mapped_column(String(7), index=True)
    nuts3: Mapped[str | None] = mapped_column(String(5))
    mode: Mapped[str] = mapped_column(String(20))
    input_hash: Mapped[str] = mapped_column(String(64))
    instance: Mapped[dict[str, Any]] = mapped_column(JSON)  # the instance as `regia iefp match` reads it
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    run_by: Mapped[str] = mapped_column(String(60))
    run_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    assignments: Mapped[list[MatchAssignment]] = relationship(back_populates="run", cascade="all, delete-orphan")


class MatchAssignment(Base):
    """A student assigned to a place by a run, with the explanation shown to the parties."""

    __tablename__ = "iefp_assignment"
    __table_args__ = (UniqueConstraint("run_id", "student_id"),)
    __policy_resource__ = "iefp_candidacy"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("iefp_matching_run.id", ondelete="CASCADE"), index=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("iefp_place.id", ondelete="CASCADE"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("iefp_student.id", ondelete="CASCADE"), index=True)
    centre_id: Mapped[int] = mapped_column(Integer, index=True)
    firm_id: Mapped[int] = mapped_column(Integer, index=True)
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    run: Mapped[MatchingRun] = relationship(back_populates="assignments")
    place: Mapped[Place] = relationship()
    student: Mapped[Student] = relationship()


class Placement(Base):
    """A placement or an apprenticeship contract: a student at a firm's place, against one figure version."""

    __tablename__ = "iefp_placement"
    __table_args__ = (UniqueConstraint("place_id", "student_id"), _in("kind", PLACE_KINDS),
                      _in("status", PLACEMENT_STATUSES),
                      CheckConstraint(f"outcome IS NULL OR outcome IN {OUTCOMES!r}", name="outcome"),
                      CheckConstraint(f"hired_source IS NULL OR hired_source IN {HIRED_SOURCES!r}",
                                      name="hired_source"))
    __policy_resource__ = "iefp_placement"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("iefp_place.id", ondelete="RESTRICT"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("iefp_student.id", ondelete="RESTRICT"), index=True)
    centre_id: Mapped[int] = mapped_column(Integer, index=True)
    firm_id: Mapped[int] = mapped_column(Integer, index=True)
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("iefp_assignment.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(15))
    figure_version_id: Mapped[int] = mapped_column(ForeignKey("iefp_figure_version.id", ondelete="RESTRICT"))
    nuts3: Mapped[str] = mapped_column(String(5), index=True)  # of the place
    status: Mapped[str] = mapped_column(String(10), default="planned")
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    contract_started_at: Mapped[date | None] = mapped_column(Date)  # apprenticeship: the contract's start
    outcome: Mapped[str | None] = mapped_column(String(15))
    outcome_at: Mapped[date | None] = mapped_column(Date)
    hired_after: Mapped[bool | None] = mapped_column(Boolean)
    hired_source: Mapped[str | None] = mapped_column(String(10))
    hired_on: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    place: Mapped[Place] = relationship()
    student: Mapped[Student] = relationship()
    figure_version: Mapped[FigureVersion] = relationship()
    plan: Mapped[TrainingPlan | None] = relationship(back_populates="placement", uselist=False,
                                                     cascade="all, delete-orphan")
    progress: Mapped[list[PlacementProgress]] = relationship(
        back_populates="placement", order_by="PlacementProgress.period", cascade="all, delete-orphan")

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}


class TrainingPlan(Base):
    """The individual training plan (*piano formativo individuale*) of a placement or contract, for one school
    year: hours at the firm (*formazione interna*) and at the centre (*formazione esterna*), weekly hours at the
    firm, the figure's competences to be acquired at work and at the centre, and both tutors."""

    __tablename__ = "iefp_training_plan"
    __table_args__ = (_in("status", PLAN_STATUSES),)
    __policy_resource__ = "iefp_placement"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("iefp_placement.id", ondelete="CASCADE"), unique=True)
    figure_version_id: Mapped[int] = mapped_column(ForeignKey("iefp_figure_version.id", ondelete="RESTRICT"))
    school_year: Mapped[str] = mapped_column(String(7))
    year_of_course: Mapped[int] = mapped_column(Integer)
    hours_work: Mapped[int] = mapped_column(Integer)
    hours_centre: Mapped[int] = mapped_column(Integer)
    weekly_hours_work: Mapped[int] = mapped_column(Integer)
    competences: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)  # [{"code", "where"}]
    tutor_company: Mapped[str] = mapped_column(String(200))
    tutor_centre: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="draft")
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[str] = mapped_column(String(60), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    placement: Mapped[Placement] = relationship(back_populates="plan")
    figure_version: Mapped[FigureVersion] = relationship()

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}


class PlacementProgress(Base):
    """Cumulative progress of a placement at a date: hours done at the firm and at the centre, competences
    acquired so far (re-sending a date replaces it)."""

    __tablename__ = "iefp_progress"
    __table_args__ = (UniqueConstraint("placement_id", "period"),)
    __policy_resource__ = "iefp_placement"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("iefp_placement.id", ondelete="CASCADE"), index=True)
    period: Mapped[date] = mapped_column(Date)
    hours_work_done: Mapped[int] = mapped_column(Integer, default=0)
    hours_centre_done: Mapped[int] = mapped_column(Integer, default=0)
    competences_acquired: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    reported_by: Mapped[str] = mapped_column(String(60))
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    placement: Mapped[Placement] = relationship(back_populates="progress")
