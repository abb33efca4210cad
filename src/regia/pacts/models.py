"""Tables of the Patti Territoriali workflow.

A :class:`Call` (*avviso*) of the Region sets the phases, the eligible territories, the partnership rules, the
evaluation grid and the budget envelopes. A partnership's :class:`Proposal` goes through the states of
:mod:`regia.pacts.states`: its *manifestazione di interesse* is a validated JSON document
(:class:`regia.pacts.schemas.Manifestation`) frozen in a :class:`ProposalVersion` at each submission, with the
evidence snapshot of the territory's skill needs and mismatch. Evaluators get an :class:`Assignment` (with their
conflict-of-interest declaration) and fill one :class:`ScoreSheet` each (optimistic locking on ``version``).
Selected proposals present a programme: :class:`ProgrammeAction` rows with their :class:`BudgetLine` rows;
monitoring adds :class:`ProgressReport` rows per action and period. Uploaded files (letters of commitment) are
:class:`Document` rows.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from regia.auth.models import utcnow
from regia.db import Base

# Proposal states (see regia.pacts.states for the transitions between them)
DRAFT = "draft"
SUBMITTED = "submitted"
ADMISSIBLE = "admissible"
INADMISSIBLE = "inadmissible"
EVALUATED = "evaluated"
SELECTED = "selected"
NOT_SELECTED = "not_selected"
PROGRAMME_SUBMITTED = "programme_submitted"
APPROVED = "approved"
IN_PROGRESS = "in_progress"
CLOSED = "closed"
STATUSES = (DRAFT, SUBMITTED, ADMISSIBLE, INADMISSIBLE, EVALUATED, SELECTED, NOT_SELECTED, PROGRAMME_SUBMITTED,
            APPROVED, IN_PROGRESS, CLOSED)

# Funding sources of a call's envelopes and of programme budget lines ("cofinancing" is the partners' own share)
FUNDING_SOURCES = ("regional", "fse_plus", "fund", "cofinancing")
ACTION_KINDS = ("training", "guidance", "certification", "apprenticeship", "placement")
TARGET_GROUPS = ("students", "unemployed", "suspended_workers", "employed", "apprentices", "foreign_workers")
AGGREGATIONS = ("average", "consensus")
MONEY = Numeric(14, 2)


class Call(Base):
    """An *avviso*: what the Region asks for, until when, how it scores and how much it funds.

    ``grid``: ``[{"code", "label", "weight", "max_score", "threshold"}]`` — a proposal's total is
    ``sum(weight * score)``; a criterion under its threshold, or a total under ``min_total``, is not fundable.
    ``budget``: ``{source: amount}`` per funding source (``regional``, ``fse_plus``, ``fund``).
    ``aggregation``: ``average`` of the evaluators' sheets, or ``consensus`` (the Region records agreed scores
    when evaluators differ by more than ``max_spread`` points on a criterion)."""

    __tablename__ = "pact_call"
    __table_args__ = (CheckConstraint(f"aggregation IN {AGGREGATIONS!r}", name="aggregation"),)
    __policy_resource__ = "pact_call"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    opens_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    manifestation_deadline: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    evaluation_deadline: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    programme_deadline: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_on: Mapped[date] = mapped_column(Date)  # end of the programmes' implementation
    territories: Mapped[list[str]] = mapped_column(JSON, default=list)  # eligible NUTS3 codes (empty: all)
    required_partner_types: Mapped[list[str]] = mapped_column(JSON, default=list)  # OrgType values
    min_partners: Mapped[int] = mapped_column(Integer, default=3)  # lead partner included
    targets: Mapped[list[str]] = mapped_column(JSON, default=list)  # TARGET_GROUPS the call admits
    grid: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    min_total: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal(0))
    aggregation: Mapped[str] = mapped_column(String(12), default="average")
    max_spread: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal(0))
    min_evaluators: Mapped[int] = mapped_column(Integer, default=2)
    budget: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # {source: "amount"} (decimal strings)
    max_grant: Mapped[Decimal | None] = mapped_column(MONEY)  # per proposal, all public sources together
    min_cofinancing_share: Mapped[Decimal] = mapped_column(Numeric(5, 4), default=Decimal(0))  # of the total cost
    ranking_published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}


class Proposal(Base):
    """A partnership's pact: the manifestation of interest, then (if selected) its programme."""

    __tablename__ = "pact_proposal"
    __table_args__ = (CheckConstraint(f"status IN {STATUSES!r}", name="status"),)
    __policy_resource__ = "pact_proposal"  # read and write rules: regia.auth.policy

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("pact_call.id", ondelete="RESTRICT"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default=DRAFT, index=True)
    body: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the manifestation (schemas.Manifestation)
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # snapshot taken at submission
    version: Mapped[int] = mapped_column(Integer, default=1)  # optimistic concurrency: PUT sends it back
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # admissibility: [{"check", "passed", "note"}] by the Region
    admissibility: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    # evaluation outcome: final scores per criterion, total, rank (ties share the reason in rank_note)
    final_scores: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    total_score: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    rank: Mapped[int | None] = mapped_column(Integer)
    rank_note: Mapped[str | None] = mapped_column(String(300))
    requested: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # {source: "amount"} asked for
    granted: Mapped[dict[str, str] | None] = mapped_column(JSON)  # {source: "amount"} at selection
    programme: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # indicators and notes of the programme
    programme_submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    versions: Mapped[list[ProposalVersion]] = relationship(back_populates="proposal", order_by="ProposalVersion.number",
                                                           cascade="all, delete-orphan")


class ProposalVersion(Base):
    """A submitted manifestation, frozen: what the evaluators read, with its evidence snapshot."""

    __tablename__ = "pact_proposal_version"
    __table_args__ = (UniqueConstraint("proposal_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("pact_proposal.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of the canonical JSON of title/body/evidence
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    submitted_by: Mapped[str] = mapped_column(String(60))  # principal label ("user:12")

    proposal: Mapped[Proposal] = relationship(back_populates="versions")


class Document(Base):
    """An uploaded file of a proposal (a partner's letter of commitment), kept in the database."""

    __tablename__ = "pact_document"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("pact_proposal.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40), default="commitment_letter")
    partner_tax_code: Mapped[str | None] = mapped_column(String(16))  # the partner it belongs to
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(60))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Assignment(Base):
    """An evaluator on a proposal. ``conflict`` is None until the evaluator declares; True excludes them."""

    __tablename__ = "pact_assignment"
    __table_args__ = (UniqueConstraint("proposal_id", "evaluator_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("pact_proposal.id", ondelete="CASCADE"), index=True)
    evaluator_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="RESTRICT"), index=True)
    assigned_by: Mapped[str] = mapped_column(String(60))
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    conflict: Mapped[bool | None] = mapped_column(Boolean)
    conflict_note: Mapped[str] = mapped_column(Text, default="")
    declared_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    sheet: Mapped[ScoreSheet | None] = relationship(back_populates="assignment", uselist=False,
                                                    cascade="all, delete-orphan")


class ScoreSheet(Base):
    """Scores of a proposal: ``scores`` = ``{criterion code: {"score": n, "comment": "..."}}``. An
    evaluator's own sheet has its ``assignment_id``; the panel's shared consensus sheet has none (one per
    proposal, edited by several evaluators).

    ``version`` is SQLAlchemy's version counter: a save based on a stale read fails instead of overwriting."""

    __tablename__ = "pact_score_sheet"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("pact_proposal.id", ondelete="CASCADE"), index=True)
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("pact_assignment.id", ondelete="CASCADE"),
                                                      unique=True)
    scores: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    assignment: Mapped[Assignment | None] = relationship(back_populates="sheet")

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}


class ProgrammeAction(Base):
    """An action of a selected pact's detailed programme, with its schedule and targets."""

    __tablename__ = "pact_programme_action"
    __table_args__ = (UniqueConstraint("proposal_id", "code"),
                      CheckConstraint(f"kind IN {ACTION_KINDS!r}", name="kind"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("pact_proposal.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(20))  # "A1", "A2", … as in the manifestation
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    course_id: Mapped[int | None] = mapped_column(Integer)  # a catalogue course, when it uses one
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)  # ESCO skill URIs it targets
    target_group: Mapped[str] = mapped_column(String(30))
    lead_partner_tax_code: Mapped[str | None] = mapped_column(String(16))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    target_enrolled: Mapped[int] = mapped_column(Integer, default=0)
    target_completed: Mapped[int] = mapped_column(Integer, default=0)
    target_certified: Mapped[int] = mapped_column(Integer, default=0)
    target_placed: Mapped[int] = mapped_column(Integer, default=0)

    budget_lines: Mapped[list[BudgetLine]] = relationship(back_populates="action", cascade="all, delete-orphan")
    reports: Mapped[list[ProgressReport]] = relationship(back_populates="action", cascade="all, delete-orphan",
                                                         order_by="ProgressReport.period")


class BudgetLine(Base):
    """Money of an action, by partner and funding source."""

    __tablename__ = "pact_budget_line"
    __table_args__ = (CheckConstraint(f"source IN {FUNDING_SOURCES!r}", name="source"),
                      CheckConstraint("amount >= 0", name="amount"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("pact_programme_action.id", ondelete="CASCADE"), index=True)
    partner_tax_code: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    description: Mapped[str] = mapped_column(String(300), default="")

    action: Mapped[ProgrammeAction] = relationship(back_populates="budget_lines")


class ProgressReport(Base):
    """Cumulative figures of an action at the end of a period (re-sending a period replaces it)."""

    __tablename__ = "pact_progress_report"
    __table_args__ = (UniqueConstraint("action_id", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("pact_programme_action.id", ondelete="CASCADE"), index=True)
    period: Mapped[date] = mapped_column(Date)  # the reporting date (end of month/quarter)
    enrolled: Mapped[int] = mapped_column(Integer, default=0)
    completed: Mapped[int] = mapped_column(Integer, default=0)
    certified: Mapped[int] = mapped_column(Integer, default=0)
    placed: Mapped[int] = mapped_column(Integer, default=0)
    spent: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    note: Mapped[str] = mapped_column(Text, default="")
    reported_by: Mapped[str] = mapped_column(String(60))
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    action: Mapped[ProgrammeAction] = relationship(back_populates="reports")
