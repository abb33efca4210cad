"""Tables of the joint programming of the Region and the Funds.

A :class:`FundingSource` (regional resources, FSE+ 2021–2027 by priority, GOL, a Fund's *Conto di Sistema* or its
member firms' *Conto Formazione*) says which target groups it may fund (data the Region edits) and has an
annual :class:`Envelope`. An :class:`Agreement` (*accordo bilaterale*) of the Region with one Fund has its
priorities, each party's commitments, signatories, a status (:mod:`regia.programming.states`), versioned
:class:`Amendment` rows and :class:`AgreementDocument` files. A :class:`Plan` (*piano attuativo pluriennale*)
under an agreement holds :class:`PlanLine` rows (skill area × target × territory × channel, with indicators and
a cost per year), each with annual :class:`Tranche` rows per source: planned → committed → spent. A
:class:`SavedScenario` is a named, versioned allocation scenario (the JSON of :mod:`regia.programming.scenario`)
with its last optimisation.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
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
from regia.i18n import N_

DRAFT, SIGNED, IN_FORCE, CLOSED = "draft", "signed", "in_force", "closed"
STATUSES = (DRAFT, SIGNED, IN_FORCE, CLOSED)
# target groups of the programming (the catalogue's "disoccupati" editions also serve the inactive)
TARGETS = ("occupati", "sospesi", "disoccupati", "inattivi")
AREAS = ("digital", "green", "transversal", "sector")
CHANNELS = ("fund_notice", "regional_call", "catalogue_voucher", "ivc_service")
SOURCE_KINDS = ("regional", "fse_plus", "gol", "fund_system", "fund_training")
MONEY = Numeric(14, 2)

LABELS = (  # message keys built at run time, kept for the extractor
    N_("programming.status.draft"), N_("programming.status.signed"), N_("programming.status.in_force"),
    N_("programming.status.closed"),
    N_("programming.target.occupati"), N_("programming.target.sospesi"), N_("programming.target.disoccupati"),
    N_("programming.target.inattivi"),
    N_("programming.area.digital"), N_("programming.area.green"), N_("programming.area.transversal"),
    N_("programming.area.sector"),
    N_("programming.channel.fund_notice"), N_("programming.channel.regional_call"),
    N_("programming.channel.catalogue_voucher"), N_("programming.channel.ivc_service"),
    N_("programming.kind.regional"), N_("programming.kind.fse_plus"), N_("programming.kind.gol"),
    N_("programming.kind.fund_system"), N_("programming.kind.fund_training"),
    N_("programming.move.signed"), N_("programming.move.in_force"), N_("programming.move.closed"),
    N_("programming.done.saved"), N_("programming.done.signed"), N_("programming.done.in_force"),
    N_("programming.done.closed"), N_("programming.done.amended"), N_("programming.done.uploaded"),
    N_("programming.result.optimal"), N_("programming.result.infeasible"), N_("programming.result.unbounded"),
    N_("programming.result.not_run"),
    N_("programming.constraint.budget"), N_("programming.constraint.capacity"), N_("programming.constraint.floor"),
    N_("programming.constraint.minimum"), N_("programming.constraint.need"),
    N_("programming.reason.need_met"), N_("programming.reason.capacity_full"), N_("programming.reason.floor"),
    N_("programming.reason.minimum_lot"), N_("programming.reason.whole_participants"),
    N_("programming.reason.no_eligible_cell"), N_("programming.reason.status_quo"), N_("programming.reason.other"),
)


class FundingSource(Base):
    """Who pays: ``targets`` are the target groups it may fund (the eligibility rule, edited by the Region);
    a Fund's sources name the Fund in ``organisation_id``."""

    __tablename__ = "programming_source"
    __table_args__ = (CheckConstraint(f"kind IN {SOURCE_KINDS!r}", name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(120), default="")  # FSE+: the programme's priority
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"),
                                                        index=True)
    targets: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    envelopes: Mapped[list[Envelope]] = relationship(back_populates="source", cascade="all, delete-orphan",
                                                     order_by="Envelope.year")


class Envelope(Base):
    """A source's money for one year (what all the tranches of that source and year together may not pass)."""

    __tablename__ = "programming_envelope"
    __table_args__ = (UniqueConstraint("source_id", "year"), CheckConstraint("amount >= 0", name="amount"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("programming_source.id", ondelete="CASCADE"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(MONEY)

    source: Mapped[FundingSource] = relationship(back_populates="envelopes")


class Agreement(Base):
    """An *accordo bilaterale* between the Region and one Fund.

    ``priorities``: ``{"areas": [...], "targets": [...], "territories": [NUTS3...]}``; ``commitments``:
    ``{"region": text, "fund": text}`` (each party edits its own); ``signatories``:
    ``[{"name", "role", "party": "region"|"fund", "signed_on": "YYYY-MM-DD"}]``."""

    __tablename__ = "programming_agreement"
    __table_args__ = (CheckConstraint(f"status IN {STATUSES!r}", name="status"),)
    __policy_resource__ = "programming"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    fund_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    priorities: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    commitments: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    signatories: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(12), default=DRAFT, index=True)
    amendment: Mapped[int] = mapped_column(Integer, default=0)  # number of the last amendment in force
    version: Mapped[int] = mapped_column(Integer, default=1)  # optimistic concurrency: edits send it back
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    plans: Mapped[list[Plan]] = relationship(back_populates="agreement", order_by="Plan.id")
    amendments: Mapped[list[Amendment]] = relationship(back_populates="agreement", order_by="Amendment.number",
                                                       cascade="all, delete-orphan")

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}


class Amendment(Base):
    """A change of a signed (or in force) agreement: what it changed, before and after."""

    __tablename__ = "programming_amendment"
    __table_args__ = (UniqueConstraint("agreement_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("programming_agreement.id", ondelete="CASCADE"),
                                              index=True)
    number: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text)
    before: Mapped[dict[str, Any]] = mapped_column(JSON)
    after: Mapped[dict[str, Any]] = mapped_column(JSON)
    made_by: Mapped[str] = mapped_column(String(60))
    made_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    agreement: Mapped[Agreement] = relationship(back_populates="amendments")


class AgreementDocument(Base):
    """A file of an agreement (the signed text, an annex), kept in the database."""

    __tablename__ = "programming_document"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("programming_agreement.id", ondelete="CASCADE"),
                                              index=True)
    kind: Mapped[str] = mapped_column(String(40), default="agreement")
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(60))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Plan(Base):
    """A multi-year plan under an agreement (``first_year`` … ``last_year``)."""

    __tablename__ = "programming_plan"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("programming_agreement.id", ondelete="RESTRICT"),
                                              index=True)
    title: Mapped[str] = mapped_column(String(300))
    first_year: Mapped[int] = mapped_column(Integer)
    last_year: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    agreement: Mapped[Agreement] = relationship(back_populates="plans")
    lines: Mapped[list[PlanLine]] = relationship(back_populates="plan", cascade="all, delete-orphan",
                                                 order_by="PlanLine.code")


class PlanLine(Base):
    """A line of action: skill area × target × territory × channel, with indicators and a cost per year
    (``cost``: ``{"2026": "120000.00"}``; ``participants``: ``{"2026": 80}``)."""

    __tablename__ = "programming_line"
    __table_args__ = (UniqueConstraint("plan_id", "code"),
                      CheckConstraint(f"area IN {AREAS!r}", name="area"),
                      CheckConstraint(f"target IN {TARGETS!r}", name="target"),
                      CheckConstraint(f"channel IN {CHANNELS!r}", name="channel"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("programming_plan.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    area: Mapped[str] = mapped_column(String(20))
    target: Mapped[str] = mapped_column(String(20))
    territory: Mapped[str] = mapped_column(String(10))  # NUTS3, or ITC4 for the whole region
    channel: Mapped[str] = mapped_column(String(20))
    indicators: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    cost: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    participants: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)

    plan: Mapped[Plan] = relationship(back_populates="lines")
    tranches: Mapped[list[Tranche]] = relationship(back_populates="line", cascade="all, delete-orphan",
                                                   order_by="(Tranche.year, Tranche.source_id)")


class Tranche(Base):
    """The money of one source for one line and year: planned, then committed, then spent (spent is recorded
    by the monitoring through :func:`regia.programming.service.record_spent`)."""

    __tablename__ = "programming_tranche"
    __table_args__ = (UniqueConstraint("line_id", "source_id", "year"),
                      CheckConstraint("planned >= 0 AND committed >= 0 AND spent >= 0", name="amounts"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("programming_line.id", ondelete="CASCADE"), index=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("programming_source.id", ondelete="RESTRICT"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    planned: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    committed: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    spent: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))

    line: Mapped[PlanLine] = relationship(back_populates="tranches")
    source: Mapped[FundingSource] = relationship()


class SavedScenario(Base):
    """A named allocation scenario; saving one under a taken name makes its next version."""

    __tablename__ = "programming_scenario"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the last optimisation (its JSON contract)
    baseline: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the status quo of the same data
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("programming_plan.id", ondelete="SET NULL"))
    created_by: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
