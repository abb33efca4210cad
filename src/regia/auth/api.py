"""REST API of accounts: tokens, the caller's profile, organisations, users and memberships, the audit log.

Every route declares its policy through :func:`regia.auth.policy.require` or :func:`~regia.auth.policy.public`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from regia.auth import audit, service
from regia.auth.models import AuditEntry, OrgType, User
from regia.auth.policy import READ, WRITE, Resource, public, require, visible
from regia.auth.principal import Principal, auth_settings
from regia.auth.pseudonym import pseudonymiser
from regia.auth.schemas import (
    AuditEntryOut,
    AuditVerification,
    Me,
    MembershipIn,
    MembershipOut,
    OrganisationIn,
    OrganisationOut,
    OrganisationPatch,
    Page,
    TokenCreated,
    TokenOut,
    TokenRequest,
    UserIn,
    UserOut,
    UserPatch,
    document_problems,
)
from regia.db import request_session

SessionDep = Annotated[Session, Depends(request_session)]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Limit = Annotated[int, Query(ge=1, le=200, description="Items per page")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip")]

AUTH_RESPONSES: dict[int | str, dict[str, str]] = {
    401: {"description": "Not authenticated (problem details)"},
    403: {"description": "Refused by the access policy (problem details)"},
}

router = APIRouter(prefix="/api", responses=AUTH_RESPONSES)  # type: ignore[arg-type]


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def membership_out(m: object) -> MembershipOut:
    org = m.organisation  # type: ignore[attr-defined]
    return MembershipOut(id=m.id, organisation_id=org.id, organisation_name=org.name,  # type: ignore[attr-defined]
                         organisation_type=org.type, role=m.role)  # type: ignore[attr-defined]


def user_out(user: User) -> UserOut:
    return UserOut(id=user.id, email=user.email, display_name=user.display_name, is_active=user.is_active,
                   memberships=[membership_out(m) for m in user.memberships])


# --- tokens and profile ------------------------------------------------------------------------------------

@router.post("/auth/tokens", response_model=TokenCreated, status_code=201, tags=["auth"],
             summary="Exchange e-mail and password for an API token",
             responses={429: {"description": "Too many failed logins (problem details, Retry-After)"}})
def create_token(request: Request, body: TokenRequest, session: SessionDep,
                 _: Annotated[Principal, Depends(public(WRITE, "log in"))]) -> TokenCreated:
    """Failed attempts are rate-limited per account and per client address. The token is shown only in this
    response; only its hash is stored."""
    settings = auth_settings(request)
    user = service.authenticate(session, email=body.email, password=body.password,
                                client=client_address(request), pseudonymiser=pseudonymiser(settings),
                                limits=service.LoginLimits(settings.login_max_failures,
                                                           settings.login_window_seconds))
    row, raw = service.issue_token(session, user=user, name=body.name, days=settings.token_max_age_days)
    session.commit()
    return TokenCreated(id=row.id, token=raw, expires_at=row.expires_at)


@router.get("/auth/tokens", response_model=list[TokenOut], tags=["auth"], summary="Your API tokens")
def my_tokens(session: SessionDep, principal: Annotated[Principal, Depends(require(READ, Resource.ACCOUNT))]) \
        -> list[TokenOut]:
    return [TokenOut.model_validate(t) for t in service.list_tokens(session, principal=principal)]


@router.delete("/auth/tokens/{token_id}", status_code=204, tags=["auth"], summary="Revoke one of your tokens",
               responses={404: {"description": "No such token of yours"}})
def revoke_token(token_id: Id, session: SessionDep,
                 principal: Annotated[Principal, Depends(require(WRITE, Resource.ACCOUNT))]) -> Response:
    service.revoke_token(session, principal=principal, token_id=token_id)
    session.commit()
    return Response(status_code=204)


@router.get("/auth/me", response_model=Me, tags=["auth"], summary="Who you are and your roles")
def me(session: SessionDep, principal: Annotated[Principal, Depends(require(READ, Resource.ACCOUNT))]) -> Me:
    user = service.load_user(session, principal.user_id or 0)
    assert user is not None
    return Me(id=user.id, email=user.email, display_name=user.display_name,
              memberships=[membership_out(m) for m in user.memberships],
              region_admin=principal.is_region_admin, via=principal.via)


# --- organisations -----------------------------------------------------------------------------------------

@router.get("/orgs", response_model=Page[OrganisationOut], tags=["organisations"],
            summary="Organisations you may see")
def list_orgs(session: SessionDep, principal: Annotated[Principal, Depends(require(READ, Resource.ORGANISATION))],
              limit: Limit = 50, offset: Offset = 0, type: OrgType | None = None) -> Page[OrganisationOut]:
    rows, total = service.list_organisations(session, principal=principal, limit=limit, offset=offset, type=type)
    return Page(items=[OrganisationOut.model_validate(o) for o in rows], total=total, limit=limit, offset=offset)


@router.post("/orgs", response_model=OrganisationOut, status_code=201, tags=["organisations"],
             summary="Add an organisation (Region administrators)",
             responses={409: {"description": "Name, codice fiscale or partita IVA already registered"}})
def add_org(body: OrganisationIn, session: SessionDep,
            principal: Annotated[Principal, Depends(require(WRITE, Resource.ORGANISATION))]) -> OrganisationOut:
    org = service.create_organisation(session, actor=principal, name=body.name, type=body.type,
                                      tax_code=body.tax_code, vat_number=body.vat_number)
    session.commit()
    return OrganisationOut.model_validate(org)


@router.get("/orgs/{org_id}", response_model=OrganisationOut, tags=["organisations"], summary="One organisation",
            responses={404: {"description": "No such organisation"}})
def get_org(org_id: Id, session: SessionDep,
            principal: Annotated[Principal, Depends(require(READ, Resource.ORGANISATION))]) -> OrganisationOut:
    return OrganisationOut.model_validate(service.get_organisation(session, principal=principal, id=org_id))


@router.patch("/orgs/{org_id}", response_model=OrganisationOut, tags=["organisations"],
              summary="Edit an organisation (its administrators)",
              responses={404: {"description": "No such organisation"}, 409: {"description": "Duplicate"}})
def edit_org(org_id: Id, body: OrganisationPatch, session: SessionDep,
             principal: Annotated[Principal, Depends(require(WRITE, Resource.ORGANISATION))]) -> OrganisationOut:
    org = service.update_organisation(session, actor=principal, id=org_id, name=body.name,
                                      tax_code=body.tax_code, vat_number=body.vat_number)
    session.commit()
    return OrganisationOut.model_validate(org)


# --- users ---------------------------------------------------------------------------------------------------

@router.get("/users", response_model=Page[UserOut], tags=["users"],
            summary="Users you administer (yourself included)")
def list_users(session: SessionDep, principal: Annotated[Principal, Depends(require(READ, Resource.USER))],
               limit: Limit = 50, offset: Offset = 0,
               organisation_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None) -> Page[UserOut]:
    rows, total = service.list_users(session, principal=principal, limit=limit, offset=offset,
                                     organisation_id=organisation_id)
    return Page(items=[user_out(u) for u in rows], total=total, limit=limit, offset=offset)


@router.post("/users", response_model=UserOut, status_code=201, tags=["users"],
             summary="Add a user (Region administrators; organisation administrators within their own)",
             responses={409: {"description": "E-mail already registered"}})
def add_user(body: UserIn, session: SessionDep,
             principal: Annotated[Principal, Depends(require(WRITE, Resource.USER))]) -> UserOut:
    user = service.create_user(session, actor=principal, email=body.email, display_name=body.display_name,
                               password=body.password,
                               memberships=[(m.organisation_id, m.role) for m in body.memberships])
    session.commit()
    return user_out(user)


@router.get("/users/{user_id}", response_model=UserOut, tags=["users"], summary="One user",
            responses={404: {"description": "No such user"}})
def get_user(user_id: Id, session: SessionDep,
             principal: Annotated[Principal, Depends(require(READ, Resource.USER))]) -> UserOut:
    return user_out(service.get_user(session, principal=principal, id=user_id))


@router.patch("/users/{user_id}", response_model=UserOut, tags=["users"],
              summary="Rename, disable or re-enable a user (their administrators)",
              responses={404: {"description": "No such user"},
                         409: {"description": "Disabling yourself or the last Region administrator"}})
def edit_user(user_id: Id, body: UserPatch, session: SessionDep,
              principal: Annotated[Principal, Depends(require(WRITE, Resource.USER))]) -> UserOut:
    user = service.update_user(session, actor=principal, id=user_id, display_name=body.display_name,
                               is_active=body.is_active)
    session.commit()
    return user_out(user)


@router.put("/users/{user_id}/memberships/{organisation_id}", response_model=MembershipOut, tags=["users"],
            summary="Give a user a role in an organisation (or change it)",
            responses={404: {"description": "No such user"}})
def set_membership(user_id: Id, organisation_id: Id, body: MembershipIn, session: SessionDep,
                   principal: Annotated[Principal, Depends(require(WRITE, Resource.USER))]) -> MembershipOut:
    if body.organisation_id != organisation_id:
        from regia.auth.errors import InvalidInput

        raise InvalidInput("organisation_id differs from the path", field="organisation_id")
    membership = service.add_membership(session, actor=principal, user_id=user_id,
                                        organisation_id=organisation_id, role=body.role)
    session.commit()
    session.refresh(membership)
    return membership_out(membership)


@router.delete("/users/{user_id}/memberships/{membership_id}", status_code=204, tags=["users"],
               summary="Remove a user from an organisation", responses={404: {"description": "No such membership"}})
def delete_membership(user_id: Id, membership_id: Id, session: SessionDep,
                      principal: Annotated[Principal, Depends(require(WRITE, Resource.USER))]) -> Response:
    service.remove_membership(session, actor=principal, user_id=user_id, membership_id=membership_id)
    session.commit()
    return Response(status_code=204)


# --- audit ---------------------------------------------------------------------------------------------------

@router.get("/audit", response_model=Page[AuditEntryOut], tags=["audit"],
            summary="The audit log, newest first (Region administrators)")
def audit_log(session: SessionDep, principal: Annotated[Principal, Depends(require(READ, Resource.AUDIT))],
              limit: Limit = 50, offset: Offset = 0,
              resource_type: Annotated[str | None, Query(max_length=40)] = None) -> Page[AuditEntryOut]:
    stmt = visible(select(AuditEntry), principal, AuditEntry)
    if resource_type:
        stmt = stmt.where(AuditEntry.resource_type == resource_type)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(AuditEntry.id.desc()).limit(limit).offset(offset)).all()
    return Page(items=[AuditEntryOut.model_validate(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get("/audit/verify", response_model=AuditVerification, tags=["audit"],
            summary="Recompute the hash chain of the audit log")
def audit_verify(session: SessionDep,
                 _: Annotated[Principal, Depends(require(READ, Resource.AUDIT))]) -> AuditVerification:
    result = audit.verify(session)
    return AuditVerification(ok=result.ok, checked=result.checked, head=result.head,
                             first_bad_id=result.first_bad_id, problem=result.problem)


@router.get("/audit/export", tags=["audit"], summary="Export the whole audit log (CSV or JSON lines)",
            response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}, "application/x-ndjson": {}},
                             "description": "Every entry, oldest first, with its hashes"}})
def audit_export(request: Request, _: Annotated[Principal, Depends(require(READ, Resource.AUDIT))],
                 format: Literal["csv", "jsonl"] = "csv") -> StreamingResponse:
    engine = request.app.state.engine

    def rows() -> Iterator[str]:
        with Session(engine) as session:
            yield from (audit.export_csv(session) if format == "csv" else audit.export_json_lines(session))

    media = "text/csv; charset=utf-8" if format == "csv" else "application/x-ndjson"
    return StreamingResponse(rows(), media_type=media, headers={
        "Content-Disposition": f'attachment; filename="regia-audit.{format}"'})


document_problems(router)
