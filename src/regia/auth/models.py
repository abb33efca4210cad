"""Organisations, users and their roles, API tokens, login attempts and the audit log."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from regia.db import Base
from regia.i18n import N_


def utcnow() -> datetime:
    return datetime.now(UTC)


class OrgType(enum.StrEnum):
    """The kinds of party of the Region–Funds protocol (GLOSSARY.md: Actors)."""

    REGION = "region"  # Regione Lombardia
    FUND = "fund"  # Fondo paritetico interprofessionale (or bilaterale)
    PROVIDER = "provider"  # ente accreditato (formazione / servizi al lavoro)
    PARTNERSHIP = "partnership"  # partenariato / Patto territoriale
    CCIAA = "cciaa"  # Camera di Commercio
    EMPLOYERS_ASSOCIATION = "employers_association"  # associazione datoriale
    EDUCATION = "education"  # scuola, università, ITS Academy
    BANK_FOUNDATION = "bank_foundation"  # fondazione bancaria
    PROFESSIONAL_ORDER = "professional_order"  # ordine / albo / associazione professionale
    BUSINESS_NETWORK = "business_network"  # rete di imprese
    CERTIFIER = "certifier"  # ente titolato alla certificazione (IVC)
    CITIZEN = "citizen"  # cittadino (a person acting for themselves)
    FIRM = "firm"  # impresa (an employer: placements, apprenticeships, its own needs)


# The message key of each type's name (auth catalogue, Italian and English).
ORG_TYPE_LABELS: dict[OrgType, str] = {
    OrgType.REGION: N_("auth.orgtype.region"),
    OrgType.FUND: N_("auth.orgtype.fund"),
    OrgType.PROVIDER: N_("auth.orgtype.provider"),
    OrgType.PARTNERSHIP: N_("auth.orgtype.partnership"),
    OrgType.CCIAA: N_("auth.orgtype.cciaa"),
    OrgType.EMPLOYERS_ASSOCIATION: N_("auth.orgtype.employers_association"),
    OrgType.EDUCATION: N_("auth.orgtype.education"),
    OrgType.BANK_FOUNDATION: N_("auth.orgtype.bank_foundation"),
    OrgType.PROFESSIONAL_ORDER: N_("auth.orgtype.professional_order"),
    OrgType.BUSINESS_NETWORK: N_("auth.orgtype.business_network"),
    OrgType.CERTIFIER: N_("auth.orgtype.certifier"),
    OrgType.CITIZEN: N_("auth.orgtype.citizen"),
    OrgType.FIRM: N_("auth.orgtype.firm"),
}


class Role(enum.StrEnum):
    ADMIN = "admin"  # manages the organisation's users; writes like an editor
    EDITOR = "editor"  # writes the organisation's own resources
    VIEWER = "viewer"  # reads the organisation's own resources
    EVALUATOR = "evaluator"  # reads submitted proposals to evaluate them
    ASSESSOR = "assessor"  # assesses evidence and trials in competence certification (IVC)


# The message key of each role's name (auth catalogue).
ROLE_LABELS: dict[Role, str] = {
    Role.ADMIN: N_("auth.role.admin"),
    Role.EDITOR: N_("auth.role.editor"),
    Role.VIEWER: N_("auth.role.viewer"),
    Role.EVALUATOR: N_("auth.role.evaluator"),
    Role.ASSESSOR: N_("auth.role.assessor"),
}


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    # Stored as plain strings with a CHECK constraint: portable across SQLite and PostgreSQL.
    return Enum(cls, name=name, native_enum=False, create_constraint=True, length=32,
                values_callable=lambda e: [m.value for m in e])


class Organisation(Base):
    __tablename__ = "organisation"
    __policy_resource__ = "organisation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    type: Mapped[OrgType] = mapped_column(_enum(OrgType, "org_type"), index=True)
    tax_code: Mapped[str | None] = mapped_column(String(16), unique=True)  # codice fiscale
    vat_number: Mapped[str | None] = mapped_column(String(11), unique=True)  # partita IVA
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(back_populates="organisation")


class User(Base):
    __tablename__ = "app_user"  # "user" is reserved in PostgreSQL
    __policy_resource__ = "user"
    __table_args__ = (UniqueConstraint("oidc_issuer", "oidc_subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200))  # argon2id; None: OIDC-only account
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)  # bump to end every session of the user
    oidc_issuer: Mapped[str | None] = mapped_column(String(300))
    oidc_subject: Mapped[str | None] = mapped_column(String(300))
    # Keyed hash of the person's codice fiscale when an identity provider gave it (never the code itself).
    fiscal_code_pseudonym: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(back_populates="user", cascade="all, delete-orphan")


class Membership(Base):
    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(_enum(Role, "member_role"))

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship(back_populates="memberships")


class ApiToken(Base):
    """A bearer token for the API. Only its SHA-256 is stored; the token is shown once, when made."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))  # first characters, to recognise a token in a list
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginAttempt(Base):
    """Failed logins, for the rate limit. Keyed by a pseudonym of the account name, never the name."""

    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


GENESIS_HASH = "0" * 64


class AuditEntry(Base):
    """One change: who, when, what (before/after). ``hash`` = SHA-256 over the previous entry's hash and a
    canonical JSON of this entry, so editing, removing or reordering a row breaks the chain. The database
    also refuses UPDATE and DELETE on this table (triggers in migration 0002)."""

    __tablename__ = "audit_entry"
    __policy_resource__ = "audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor_user_id: Mapped[int | None] = mapped_column(Integer, index=True)  # no FK: users may be deleted
    actor: Mapped[str] = mapped_column(String(200))  # "user:12", "cli", "system"
    action: Mapped[str] = mapped_column(String(40))  # create, update, delete, login, ...
    resource_type: Mapped[str] = mapped_column(String(40), index=True)
    resource_id: Mapped[str | None] = mapped_column(String(100))
    organisation_id: Mapped[int | None] = mapped_column(Integer, index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)  # unique: the chain cannot fork
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    note: Mapped[str | None] = mapped_column(Text)
