"""Who is asking: the principal of a request, from a bearer token (API) or a session cookie (pages).

A :class:`Principal` is a plain value (user id and grants), so that :mod:`regia.auth.policy` decides
without touching the database or the request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from regia.auth import sessions, tokens
from regia.auth.models import ApiToken, Membership, OrgType, Role, User
from regia.auth.settings import AuthSettings, get_auth_settings
from regia.db import session_factory

Via = Literal["anonymous", "session", "token", "system", "client"]


@dataclass(frozen=True)
class Grant:
    organisation_id: int
    organisation_type: OrgType
    role: Role
    organisation_name: str = field(default="", compare=False)  # for display (the page header), never decisions


@dataclass(frozen=True)
class Principal:
    user_id: int | None = None
    grants: tuple[Grant, ...] = ()
    via: Via = "anonymous"
    csrf: str | None = field(default=None, repr=False)
    label: str = "anonymous"  # for the audit log: "user:12", "cli"
    display_name: str = field(default="", compare=False)  # for display (the page header), never decisions

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None or self.via in ("system", "client")

    @property
    def is_system(self) -> bool:
        return self.via == "system"

    def org_ids(self, *roles: Role, types: tuple[OrgType, ...] = ()) -> set[int]:
        return {g.organisation_id for g in self.grants
                if (not roles or g.role in roles) and (not types or g.organisation_type in types)}

    def has(self, *, roles: tuple[Role, ...] = (), types: tuple[OrgType, ...] = ()) -> bool:
        return bool(self.org_ids(*roles, types=types))

    @property
    def is_region_admin(self) -> bool:
        return self.is_system or self.has(roles=(Role.ADMIN,), types=(OrgType.REGION,))

    @property
    def is_citizen(self) -> bool:
        """An authenticated person acting for themselves: no organisation, or citizen ones only."""
        return self.user_id is not None and all(g.organisation_type == OrgType.CITIZEN for g in self.grants)


ANONYMOUS = Principal()
SYSTEM = Principal(via="system", label="system")


def cli_principal(label: str = "cli") -> Principal:
    """The operator at the command line: acts with full rights and is recorded as such in the audit log."""
    return Principal(via="system", label=label)


def client_principal(organisation_id: int, organisation_type: OrgType, *, label: str) -> Principal:
    """A client system of the exchange (``regia.exchange``) acting for its organisation: authorised by its
    voucher and purpose, it may do what the organisation's editors may (no person: no user id)."""
    return Principal(grants=(Grant(organisation_id, organisation_type, Role.EDITOR),), via="client", label=label)


def principal_for(user: User, *, via: Via, csrf: str | None = None) -> Principal:
    grants = tuple(sorted((Grant(m.organisation_id, m.organisation.type, m.role, m.organisation.name)
                           for m in user.memberships), key=lambda g: (g.organisation_id, g.role)))
    return Principal(user_id=user.id, grants=grants, via=via, csrf=csrf, label=f"user:{user.id}",
                     display_name=user.display_name)


def _load_user(session: Session, user_id: int) -> User | None:
    stmt = (select(User).where(User.id == user_id)
            .options(selectinload(User.memberships).selectinload(Membership.organisation)))
    return session.scalar(stmt)


def load_principal(session: Session, user_id: int) -> Principal | None:
    """The principal of a user as they are now (their current memberships): a background job acts as the
    user who queued it. None when the account is gone or disabled."""
    user = _load_user(session, user_id)
    if user is None or not user.is_active:
        return None
    return principal_for(user, via="session")


class InvalidCredentials(Exception):
    """A bearer token was sent but is unknown, revoked or expired."""


def from_bearer(session: Session, raw: str) -> Principal:
    if not tokens.looks_like_token(raw):
        raise InvalidCredentials
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == tokens.token_hash(raw)))
    now = datetime.now(UTC)
    if row is None or row.revoked_at is not None or _aware(row.expires_at) <= now:
        raise InvalidCredentials
    user = _load_user(session, row.user_id)
    if user is None or not user.is_active:
        raise InvalidCredentials
    return principal_for(user, via="token")


def from_session_cookie(session: Session, cookie: str, settings: AuthSettings) -> Principal:
    data = sessions.read_session(cookie, settings)
    if data is None:
        return ANONYMOUS
    user = _load_user(session, data.user_id)
    if user is None or not user.is_active or user.session_epoch != data.epoch:
        return ANONYMOUS
    return principal_for(user, via="session", csrf=data.csrf)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def auth_settings(request: Request) -> AuthSettings:
    return getattr(request.app.state, "auth_settings", None) or get_auth_settings()


def bearer_of(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def resolve(request: Request) -> Principal:
    """The request's principal, computed once per request. Raises :class:`InvalidCredentials` for a bad
    bearer token (a client that sends credentials wants to be told they are wrong, not served as anonymous)."""
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    settings = auth_settings(request)
    with session_factory(request.app.state.engine)() as session:
        raw = bearer_of(request)
        if raw is not None:
            principal = from_bearer(session, raw)
        elif cookie := request.cookies.get(sessions.SESSION_COOKIE):
            principal = from_session_cookie(session, cookie, settings)
        else:
            principal = ANONYMOUS
    request.state.principal = principal
    return principal


def peek(request: Request) -> Principal:
    """The request's principal for display (e.g. a "log in" / account link in the page header): never raises,
    a bad token counts as anonymous. Access decisions use the route's declared policy, not this."""
    try:
        return resolve(request)
    except InvalidCredentials:
        return ANONYMOUS
