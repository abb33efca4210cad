"""The person's share links: a random token (only its SHA-256 kept) that shows a verifier the credential and
its live status until it expires (at most :data:`MAX_DAYS`); the person may end it earlier."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from regia.auth import audit
from regia.auth.errors import Forbidden, InvalidInput, NotFound
from regia.auth.principal import Principal
from regia.certification import credentials
from regia.certification.models import Credential, ShareLink
from regia.i18n import N_

MAX_DAYS = 365


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(session: Session, *, actor: Principal, credential_id: str, days: int = 30) -> tuple[ShareLink, str]:
    """A link to one of the person's own credentials; returns the row and the token (shown once)."""
    credential = credentials.get(session, principal=actor, id=credential_id)
    if not (actor.is_system or credential.request.person_user_id == actor.user_id):
        raise Forbidden("only the person shares their credentials", key=N_("certification.err.person_only"))
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"a link lasts 1 to {MAX_DAYS} days", field="days", key=N_("certification.err.share_days"))
    token = secrets.token_urlsafe(24)
    link = ShareLink(credential_id=credential.id, token_hash=_hash(token),
                     expires_at=datetime.now(UTC) + timedelta(days=days))
    session.add(link)
    session.flush()
    audit.record(session, actor=actor, action="share_credential", resource_type="ivc_credential",
                 resource_id=credential.id, after={"link": link.id, "expires_at": link.expires_at})
    return link, token


def resolve(session: Session, token: str, *, now: datetime | None = None) -> tuple[ShareLink, Credential]:
    """The credential behind a live link; NotFound for an unknown, expired or ended one."""
    link = session.query(ShareLink).filter(ShareLink.token_hash == _hash(token)).one_or_none()
    now = now or datetime.now(UTC)
    if link is None or link.revoked_at is not None:
        raise NotFound("no such link", key=N_("certification.err.no_link"))
    expires = link.expires_at if link.expires_at.tzinfo else link.expires_at.replace(tzinfo=UTC)
    if expires <= now:
        raise NotFound("this link has expired", key=N_("certification.err.link_expired"))
    credential = session.get(Credential, link.credential_id)
    assert credential is not None
    return link, credential


def end(session: Session, *, actor: Principal, link_id: int) -> ShareLink:
    link = session.get(ShareLink, link_id)
    if link is None:
        raise NotFound(f"no link {link_id}")
    credential = credentials.get(session, principal=actor, id=link.credential_id)
    if not (actor.is_system or credential.request.person_user_id == actor.user_id):
        raise Forbidden("only the person ends their links", key=N_("certification.err.person_only"))
    link.revoked_at = datetime.now(UTC)
    session.flush()
    return link
