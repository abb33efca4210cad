"""Accounts and organisations: the logic, without HTTP. Every change is written to the audit log in the
same transaction; every read goes through the policy (:mod:`regia.auth.policy`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.it import codicefiscale, iva

from regia.auth import audit, passwords, tokens
from regia.auth.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound, RateLimited
from regia.auth.models import ApiToken, LoginAttempt, Membership, Organisation, OrgType, Role, User
from regia.auth.policy import READ, WRITE, Resource, can, visible
from regia.auth.principal import Principal
from regia.auth.pseudonym import Pseudonymiser

# --- identifiers ---------------------------------------------------------------------------------------------


def valid_tax_code(value: str, *, org_type: OrgType | None = None) -> str:
    """A codice fiscale, compacted and checked: 11 digits for a body, 16 characters for a person (citizens,
    sole traders)."""
    try:
        code = codicefiscale.validate(value)
    except StdnumError as exc:
        raise InvalidInput(f"invalid codice fiscale: {exc}", field="tax_code") from None
    if len(code) == 16 and org_type not in (None, OrgType.CITIZEN, OrgType.PROVIDER, OrgType.BUSINESS_NETWORK):
        raise InvalidInput("an organisation of this type has an 11-digit codice fiscale", field="tax_code")
    return code


def valid_vat_number(value: str) -> str:
    try:
        return iva.validate(value)
    except StdnumError as exc:
        raise InvalidInput(f"invalid partita IVA: {exc}", field="vat_number") from None


def normal_email(value: str) -> str:
    email = value.strip().lower()
    local, at, domain = email.partition("@")
    if not at or not local or "." not in domain or any(c.isspace() for c in email) or len(email) > 254:
        raise InvalidInput("invalid e-mail address", field="email")
    return email


# --- organisations -------------------------------------------------------------------------------------------

def _flush(session: Session, what: str, field: str | None = None) -> None:
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"{what} already exists", field=field) from None


def _unique(session: Session, column: Any, value: object, what: str, field: str, exclude_id: int | None = None) \
        -> None:
    stmt = select(column.class_.id).where(column == value)
    if exclude_id is not None:
        stmt = stmt.where(column.class_.id != exclude_id)
    if session.scalar(stmt.limit(1)) is not None:
        raise Conflict(f"{what} already exists", field=field)


def create_organisation(session: Session, *, actor: Principal, name: str, type: OrgType | str,
                        tax_code: str | None = None, vat_number: str | None = None) -> Organisation:
    org_type = OrgType(type)
    if not can(actor, WRITE, Resource.ORGANISATION, Organisation(name=name, type=org_type)):
        raise Forbidden("only a Region administrator adds organisations")
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("the name is empty", field="name")
    org = Organisation(name=name, type=org_type,
                       tax_code=valid_tax_code(tax_code, org_type=org_type) if tax_code else None,
                       vat_number=valid_vat_number(vat_number) if vat_number else None)
    _unique(session, Organisation.name, org.name, "an organisation with this name", "name")
    if org.tax_code:
        _unique(session, Organisation.tax_code, org.tax_code, "an organisation with this codice fiscale",
                "tax_code")
    if org.vat_number:
        _unique(session, Organisation.vat_number, org.vat_number, "an organisation with this partita IVA",
                "vat_number")
    session.add(org)
    _flush(session, "the organisation")
    audit.record(session, actor=actor, action="create", resource_type="organisation", resource_id=org.id,
                 organisation_id=org.id, after=audit.snapshot(org))
    return org


def get_organisation(session: Session, *, principal: Principal, id: int) -> Organisation:
    org = session.get(Organisation, id)
    if org is None:
        raise NotFound(f"no organisation {id}")
    if not can(principal, READ, Resource.ORGANISATION, org):
        raise Forbidden("not one of your organisations")
    return org


def update_organisation(session: Session, *, actor: Principal, id: int, name: str | None = None,
                        tax_code: str | None = None, vat_number: str | None = None) -> Organisation:
    org = get_organisation(session, principal=actor, id=id)
    if not can(actor, WRITE, Resource.ORGANISATION, org):
        raise Forbidden("only the organisation's administrators edit it")
    before = audit.snapshot(org)
    if name is not None:
        name = " ".join(name.split())
        _unique(session, Organisation.name, name, "an organisation with this name", "name", exclude_id=org.id)
        org.name = name
    if tax_code is not None:
        org.tax_code = valid_tax_code(tax_code, org_type=org.type) if tax_code else None
        if org.tax_code:
            _unique(session, Organisation.tax_code, org.tax_code, "an organisation with this codice fiscale",
                    "tax_code", exclude_id=org.id)
    if vat_number is not None:
        org.vat_number = valid_vat_number(vat_number) if vat_number else None
        if org.vat_number:
            _unique(session, Organisation.vat_number, org.vat_number, "an organisation with this partita IVA",
                    "vat_number", exclude_id=org.id)
    _flush(session, "the organisation")
    after = audit.snapshot(org)
    if after != before:
        audit.record(session, actor=actor, action="update", resource_type="organisation", resource_id=org.id,
                     organisation_id=org.id, before=before, after=after)
    return org


def list_organisations(session: Session, *, principal: Principal, limit: int = 50, offset: int = 0,
                       type: OrgType | None = None) -> tuple[Sequence[Organisation], int]:
    stmt = visible(select(Organisation), principal, Organisation)
    if type is not None:
        stmt = stmt.where(Organisation.type == type)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Organisation.id).limit(limit).offset(offset)).all()
    return rows, total


def find_organisation(session: Session, ref: str) -> Organisation | None:
    """By id, name, codice fiscale or partita IVA (for the command line)."""
    if ref.isdigit() and len(ref) < 11:
        return session.get(Organisation, int(ref))
    return session.scalar(select(Organisation).where(
        (Organisation.name == ref) | (Organisation.tax_code == ref.upper()) | (Organisation.vat_number == ref)))


# --- users and memberships -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class UserView:
    """What the policy needs to know about a user."""

    id: int
    organisation_ids: tuple[int, ...]


def _view(user: User) -> UserView:
    return UserView(user.id, tuple(m.organisation_id for m in user.memberships))


def _user_query() -> Any:
    return select(User).options(selectinload(User.memberships).selectinload(Membership.organisation))


def user_snapshot(user: User) -> dict[str, Any]:
    return audit.snapshot(user, ("id", "email", "display_name", "is_active", "oidc_issuer", "oidc_subject"))


def create_user(session: Session, *, actor: Principal, email: str, display_name: str,
                password: str | None = None, memberships: Iterable[tuple[int, Role | str]] = ()) -> User:
    wanted = [(int(org_id), Role(role)) for org_id, role in memberships]
    if not can(actor, WRITE, Resource.USER):
        raise Forbidden("only administrators add users")
    for org_id, _ in wanted:
        if not can(actor, WRITE, Resource.USER, _OrgScope(org_id)):
            raise Forbidden(f"you do not administer organisation {org_id}")
        if session.get(Organisation, org_id) is None:
            raise InvalidInput(f"no organisation {org_id}", field="memberships")
    if not wanted and not actor.is_region_admin:
        raise InvalidInput("an organisation administrator adds users to an organisation", field="memberships")
    email = normal_email(email)
    _unique(session, User.email, email, "a user with this e-mail", "email")
    try:
        password_hash = passwords.hash_password(password) if password else None
    except passwords.WeakPassword as exc:
        raise InvalidInput(str(exc), field="password") from None
    user = User(email=email, display_name=" ".join(display_name.split()) or email, password_hash=password_hash)
    session.add(user)
    _flush(session, "a user with this e-mail", "email")
    audit.record(session, actor=actor, action="create", resource_type="user", resource_id=user.id,
                 after=user_snapshot(user))
    for org_id, role in dict(wanted).items():
        add_membership(session, actor=actor, user_id=user.id, organisation_id=org_id, role=role)
    session.refresh(user)
    return user


@dataclass(frozen=True)
class _OrgScope:
    organisation_id: int


def get_user(session: Session, *, principal: Principal, id: int) -> User:
    user = session.scalar(_user_query().where(User.id == id))
    if user is None:
        raise NotFound(f"no user {id}")
    if not can(principal, READ, Resource.USER, _view(user)):
        raise Forbidden("not a member of an organisation you administer")
    return user


def list_users(session: Session, *, principal: Principal, limit: int = 50, offset: int = 0,
               organisation_id: int | None = None) -> tuple[Sequence[User], int]:
    stmt = visible(select(User), principal, User)
    if organisation_id is not None:
        stmt = stmt.where(User.id.in_(select(Membership.user_id).where(
            Membership.organisation_id == organisation_id)))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    ids = session.scalars(stmt.with_only_columns(User.id).order_by(User.id).limit(limit).offset(offset)).all()
    users = session.scalars(_user_query().where(User.id.in_(ids)).order_by(User.id)).all() if ids else []
    return users, total


def _guard_last_region_admin(session: Session, membership: Membership, new_role: Role | None) -> None:
    """Refuse to remove or demote the last Region administrator: nobody could administer the platform."""
    if membership.role != Role.ADMIN or new_role == Role.ADMIN:
        return
    org = session.get(Organisation, membership.organisation_id)
    if org is None or org.type != OrgType.REGION:
        return
    others = session.scalar(select(func.count(Membership.id)).join(Organisation).join(User).where(
        Organisation.type == OrgType.REGION, Membership.role == Role.ADMIN, Membership.id != membership.id,
        User.is_active.is_(True))) or 0
    if not others:
        raise Conflict("the last Region administrator cannot be removed or demoted")


def add_membership(session: Session, *, actor: Principal, user_id: int, organisation_id: int,
                   role: Role | str) -> Membership:
    if not can(actor, WRITE, Resource.USER, _OrgScope(organisation_id)):
        raise Forbidden(f"you do not administer organisation {organisation_id}")
    if session.get(User, user_id) is None:
        raise NotFound(f"no user {user_id}")
    if session.get(Organisation, organisation_id) is None:
        raise InvalidInput(f"no organisation {organisation_id}", field="organisation_id")
    role = Role(role)
    membership = session.scalar(select(Membership).where(Membership.user_id == user_id,
                                                         Membership.organisation_id == organisation_id))
    before = audit.snapshot(membership) if membership else None
    if membership is None:
        membership = Membership(user_id=user_id, organisation_id=organisation_id, role=role)
        session.add(membership)
    else:
        _guard_last_region_admin(session, membership, role)
        membership.role = role
    _flush(session, "the membership")
    after = audit.snapshot(membership)
    if after != before:
        audit.record(session, actor=actor, action="create" if before is None else "update",
                     resource_type="membership", resource_id=membership.id, organisation_id=organisation_id,
                     before=before, after=after)
    return membership


def remove_membership(session: Session, *, actor: Principal, user_id: int, membership_id: int) -> None:
    membership = session.get(Membership, membership_id)
    if membership is None or membership.user_id != user_id:
        raise NotFound(f"no membership {membership_id} for user {user_id}")
    if not can(actor, WRITE, Resource.USER, membership):
        raise Forbidden("you do not administer this organisation")
    _guard_last_region_admin(session, membership, None)
    before = audit.snapshot(membership)
    session.delete(membership)
    session.flush()
    audit.record(session, actor=actor, action="delete", resource_type="membership", resource_id=membership_id,
                 organisation_id=before["organisation_id"], before=before)


def update_user(session: Session, *, actor: Principal, id: int, display_name: str | None = None,
                is_active: bool | None = None) -> User:
    """Rename, disable or re-enable an account. Disabling ends its sessions and stops its tokens; nobody
    disables themself, nor the last active Region administrator."""
    user = get_user(session, principal=actor, id=id)
    if not can(actor, WRITE, Resource.USER, _view(user)):
        raise Forbidden("not a member of an organisation you administer")
    before = user_snapshot(user)
    if display_name is not None:
        user.display_name = " ".join(display_name.split()) or user.display_name
    if is_active is not None and is_active != user.is_active:
        if not is_active:
            if actor.user_id == user.id:
                raise Conflict("you cannot disable your own account", field="is_active")
            for membership in user.memberships:
                _guard_last_region_admin(session, membership, None)
            user.session_epoch += 1
        user.is_active = is_active
    session.flush()
    after = user_snapshot(user)
    if after != before:
        audit.record(session, actor=actor, action="update", resource_type="user", resource_id=user.id,
                     before=before, after=after)
    return user


def set_password(session: Session, *, actor: Principal, user: User, password: str) -> None:
    try:
        user.password_hash = passwords.hash_password(password)
    except passwords.WeakPassword as exc:
        raise InvalidInput(str(exc), field="password") from None
    user.session_epoch += 1  # every open session ends
    session.flush()
    audit.record(session, actor=actor, action="set_password", resource_type="user", resource_id=user.id)


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(_user_query().where(User.email == email.strip().lower()))


def load_user(session: Session, user_id: int) -> User | None:
    return session.scalar(_user_query().where(User.id == user_id))


# --- authentication ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LoginLimits:
    max_failures: int
    window_seconds: int


def _attempt_keys(pseudonymiser: Pseudonymiser, email: str, client: str | None, limits: LoginLimits) \
        -> list[tuple[str, int]]:
    keys = [(pseudonymiser("login", "account:" + email.strip().lower()), limits.max_failures)]
    if client:  # a wider limit per client address, against spraying many accounts
        keys.append((pseudonymiser("login", "client:" + client), limits.max_failures * 10))
    return keys


def authenticate(session: Session, *, email: str, password: str, client: str | None,
                 pseudonymiser: Pseudonymiser, limits: LoginLimits) -> User:
    """The active user with this e-mail and password. Failures are counted per account and per client
    address (keyed by pseudonyms); past the limit every attempt is refused until the window passes, right
    password or not. Errors never say whether the account exists."""
    now = datetime.now(UTC)
    since = now - timedelta(seconds=limits.window_seconds)
    keys = _attempt_keys(pseudonymiser, email, client, limits)
    for key, allowed in keys:
        failures = session.scalar(select(func.count(LoginAttempt.id)).where(
            LoginAttempt.key == key, LoginAttempt.at >= since)) or 0
        if failures >= allowed:
            raise RateLimited("too many failed logins; try again later", retry_after=limits.window_seconds)
    user = find_user(session, email) if len(email) <= 254 else None
    ok = passwords.verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        for key, _ in keys:
            session.add(LoginAttempt(key=key, at=now))
        session.execute(delete(LoginAttempt).where(LoginAttempt.at < since - timedelta(days=1)))
        session.commit()
        raise NotAuthenticated("wrong e-mail or password")
    session.execute(delete(LoginAttempt).where(LoginAttempt.key == keys[0][0]))
    if user.password_hash and passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    session.flush()
    return user


def issue_token(session: Session, *, user: User, name: str, days: int, actor: Principal | None = None) \
        -> tuple[ApiToken, str]:
    raw = tokens.new_token()
    now = datetime.now(UTC)
    row = ApiToken(user_id=user.id, name=name[:100] or "api", token_hash=tokens.token_hash(raw),
                   prefix=tokens.display_prefix(raw), created_at=now, expires_at=now + timedelta(days=days))
    session.add(row)
    session.flush()
    audit.record(session, actor=actor or Principal(user_id=user.id, label=f"user:{user.id}"), action="create",
                 resource_type="api_token", resource_id=row.id, after=audit.snapshot(row))
    return row, raw


def list_tokens(session: Session, *, principal: Principal) -> Sequence[ApiToken]:
    return session.scalars(select(ApiToken).where(ApiToken.user_id == principal.user_id)
                           .order_by(ApiToken.id)).all()


def revoke_token(session: Session, *, principal: Principal, token_id: int) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None or not can(principal, WRITE, Resource.ACCOUNT, row):
        raise NotFound(f"no token {token_id}")  # someone else's token: not even its existence
    if row.revoked_at is None:
        before = audit.snapshot(row)
        row.revoked_at = datetime.now(UTC)
        session.flush()
        audit.record(session, actor=principal, action="revoke", resource_type="api_token", resource_id=row.id,
                     before=before, after=audit.snapshot(row))
    return row


def end_sessions(session: Session, *, user_id: int) -> None:
    user = session.get(User, user_id)
    if user is not None:
        user.session_epoch += 1
        session.flush()


# --- OpenID Connect accounts ---------------------------------------------------------------------------------

def user_from_oidc(session: Session, *, issuer: str, subject: str, email: str | None, email_verified: bool,
                   name: str | None, fiscal_code: str | None, pseudonymiser: Pseudonymiser) -> User:
    """The account of an identity at the provider: found by (issuer, subject); else an existing local
    account with the same, provider-verified e-mail gets linked; else a new account (a citizen: no
    organisation until an administrator adds one). The fiscal code is kept only as a pseudonym."""
    user = session.scalar(_user_query().where(User.oidc_issuer == issuer, User.oidc_subject == subject))
    fiscal = pseudonymiser("fiscal_code", fiscal_code) if fiscal_code else None
    system = Principal(via="system", label="oidc")
    if user is None and email and email_verified:
        user = find_user(session, email)
        if user is not None and user.oidc_subject is None:
            before = user_snapshot(user)
            user.oidc_issuer, user.oidc_subject = issuer, subject
            session.flush()
            audit.record(session, actor=system, action="link_oidc", resource_type="user", resource_id=user.id,
                         before=before, after=user_snapshot(user))
        elif user is not None:
            user = None  # that e-mail belongs to another identity: do not merge
    if user is None:
        local_email = normal_email(email) if email else f"{subject}@oidc.invalid"
        if session.scalar(select(User.id).where(User.email == local_email)) is not None:
            local_email = f"{pseudonymiser('email', issuer + ' ' + subject)[:24]}@oidc.invalid"
        user = User(email=local_email, display_name=(name or "").strip()[:200] or "Utente SPID/CIE",
                    oidc_issuer=issuer, oidc_subject=subject, fiscal_code_pseudonym=fiscal)
        session.add(user)
        session.flush()
        audit.record(session, actor=system, action="create", resource_type="user", resource_id=user.id,
                     after=user_snapshot(user), note="first login through OpenID Connect")
        session.refresh(user)
    elif fiscal and user.fiscal_code_pseudonym != fiscal:
        user.fiscal_code_pseudonym = fiscal
        session.flush()
    if not user.is_active:
        raise Forbidden("this account is disabled")
    return user
