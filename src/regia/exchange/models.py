"""Tables of the exchange domain: client systems and their purposes, seen token identifiers, the change log
of every e-service resource, idempotency keys, consents and the index of persons whose data a call read.

- :class:`Client` — a registered client system (a Fund's management system, the Region's labour information
  system), with its public keys (JWKS) and the organisation it acts for;
- :class:`Grant` — a purpose (*finalità*) a client may use; its ``purpose_id`` is what the client puts in
  its assertion (PDND's ``purposeId``);
- :class:`SeenJti` — ``jti`` of assertions, integrity signatures and tracking evidence already used, kept until
  they expire (replay protection);
- :class:`Change` — the append-only change log behind every feed (``seq`` is the cursor); :class:`FeedHead`
  the last change of each record (for dedupe, deletes and one-record reads); :class:`FeedState` when a
  resource's log was initialised or refreshed;
- :class:`IdempotencyKey` — the answer to a POST with an ``Idempotency-Key``, replayed on a re-post;
- :class:`Consent` — a person's consent to a purpose that needs it (by pseudonym, never the fiscal code);
- :class:`AccessSubject` — which persons' records an audited call read (by pseudonym), for the person's page.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from regia.db import Base

ACTIVE = "active"
REVOKED = "revoked"
UPSERT = "upsert"
DELETE = "delete"
GRANTED = "granted"
WITHDRAWN = "withdrawn"


def utcnow() -> datetime:
    return datetime.now(UTC)


class Client(Base):
    """A client system registered by the operator (``regia exchange clients add``)."""

    __tablename__ = "exchange_client"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)  # a UUID: iss and sub of its assertions
    name: Mapped[str] = mapped_column(String(200), unique=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"),
                                                        index=True)
    jwks: Mapped[dict[str, Any]] = mapped_column(JSON)  # public keys only ({"keys": [...]}, each with a kid)
    rate_limit: Mapped[int | None] = mapped_column(Integer)  # requests per window; None: the default
    status: Mapped[str] = mapped_column(String(12), default=ACTIVE)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    grants: Mapped[list[Grant]] = relationship(back_populates="client", cascade="all, delete-orphan",
                                               order_by="Grant.id")


class Grant(Base):
    """A purpose the client may use (the PDND *finalità* of a client on an e-service)."""

    __tablename__ = "exchange_grant"
    __table_args__ = (UniqueConstraint("client_id", "purpose"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purpose_id: Mapped[str] = mapped_column(String(64), unique=True)  # a UUID: purposeId of the assertion
    client_id: Mapped[int] = mapped_column(ForeignKey("exchange_client.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(60))  # a code of regia.exchange.registry.PURPOSES
    status: Mapped[str] = mapped_column(String(12), default=ACTIVE)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    client: Mapped[Client] = relationship(back_populates="grants")


class SeenJti(Base):
    """A token identifier already used, kept until the token it came with expires."""

    __tablename__ = "exchange_seen_jti"
    __table_args__ = (UniqueConstraint("client_id", "kind", "jti"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))  # assertion | signature | tracking
    jti: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class Change(Base):
    """One change of one record of a resource: its representation after the change (``data``; none for a
    deletion). Append-only; ``seq`` orders the feed and is its cursor."""

    __tablename__ = "exchange_change"
    __table_args__ = (Index("ix_exchange_change_resource_seq", "resource", "seq"),)

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    resource: Mapped[str] = mapped_column(String(60))  # "catalog.courses"
    key: Mapped[str] = mapped_column(String(200))  # the record's identifier within the resource
    op: Mapped[str] = mapped_column(String(8))  # upsert | delete
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    hash: Mapped[str | None] = mapped_column(String(64))  # SHA-256 of the canonical JSON of data
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    subjects: Mapped[list[str] | None] = mapped_column(JSON)  # pseudonyms of the persons the record is about


class FeedHead(Base):
    """The latest change of each record: what a one-record read answers and what a new change is compared
    with (an unchanged representation is not logged again)."""

    __tablename__ = "exchange_feed_head"

    resource: Mapped[str] = mapped_column(String(60), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    hash: Mapped[str | None] = mapped_column(String(64))
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)


class FeedState(Base):
    """When a resource's change log was initialised (every record present logged once) and last refreshed."""

    __tablename__ = "exchange_feed_state"

    resource: Mapped[str] = mapped_column(String(60), primary_key=True)
    initialised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    refreshed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class IdempotencyKey(Base):
    """A POST's ``Idempotency-Key``: the request's hash and the answer given, replayed to a re-post."""

    __tablename__ = "exchange_idempotency"
    __table_args__ = (UniqueConstraint("client_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(300))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)  # None while the first request is running
    response: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class Consent(Base):
    """A person's consent to a purpose that needs one; withdrawing keeps the row (status ``withdrawn``)."""

    __tablename__ = "exchange_consent"
    __table_args__ = (UniqueConstraint("subject", "purpose"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject: Mapped[str] = mapped_column(String(64))  # pseudonym of the person's codice fiscale
    purpose: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(12))  # granted | withdrawn
    user_id: Mapped[int | None] = mapped_column(Integer)  # the account that decided (no FK: accounts may go)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AccessSubject(Base):
    """A person whose data an exchange call read (the call itself is the audit entry ``audit_id``)."""

    __tablename__ = "exchange_access_subject"
    __table_args__ = (Index("ix_exchange_access_subject_subject_at", "subject", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    audit_id: Mapped[int] = mapped_column(Integer)  # regia.auth AuditEntry.id (append-only, never deleted)
    subject: Mapped[str] = mapped_column(String(64))
    client_name: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(String(60))
    operation: Mapped[str] = mapped_column(String(120))
    records: Mapped[int] = mapped_column(Integer, default=1)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
