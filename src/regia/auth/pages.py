"""Pages of accounts: login (local and SPID/CIE through OpenID Connect), logout, the account page, the audit
log for administrators. The 403 page (``auth/forbidden.html``) is rendered by :mod:`regia.auth.web`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from regia.auth import audit, service, sessions
from regia.auth.errors import NotAuthenticated, RateLimited
from regia.auth.models import ORG_TYPE_LABELS, ROLE_LABELS, AuditEntry, User
from regia.auth.oidc import OIDCClient, OIDCError
from regia.auth.policy import READ, WRITE, Resource, public, require, visible
from regia.auth.principal import Principal, auth_settings
from regia.auth.pseudonym import pseudonymiser
from regia.auth.settings import AuthSettings
from regia.db import request_session
from regia.i18n import N_

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
SessionDep = Annotated[Session, Depends(request_session)]
AUDIT_PAGE_SIZE = 50
# The audit log's verbs and resource types in the page language (the stored value stays as secondary text).
AUDIT_ACTIONS = {
    "create": N_("auth.audit.act.create"),
    "update": N_("auth.audit.act.update"),
    "upload": N_("auth.audit.act.upload"),
    "delete": N_("auth.audit.act.delete"),
    "revoke": N_("auth.audit.act.revoke"),
    "set_password": N_("auth.audit.act.set_password"),
    "link_oidc": N_("auth.audit.act.link_oidc"),
    "update_programme": N_("auth.audit.act.update_programme"),
    "submit_scores": N_("auth.audit.act.submit_scores"),
    "save_scores": N_("auth.audit.act.save_scores"),
    "save_consensus": N_("auth.audit.act.save_consensus"),
    "report_progress": N_("auth.audit.act.report_progress"),
    "record_admissibility": N_("auth.audit.act.record_admissibility"),
    "publish_ranking": N_("auth.audit.act.publish_ranking"),
    "freeze_version": N_("auth.audit.act.freeze_version"),
    "declare_conflict": N_("auth.audit.act.declare_conflict"),
    "assign_evaluator": N_("auth.audit.act.assign_evaluator"),
    "aggregate_scores": N_("auth.audit.act.aggregate_scores"),
    "admit": N_("auth.audit.act.admit"),
    "approve_programme": N_("auth.audit.act.approve_programme"),
    "close": N_("auth.audit.act.close"),
    "close_evaluation": N_("auth.audit.act.close_evaluation"),
    "declare_inadmissible": N_("auth.audit.act.declare_inadmissible"),
    "not_select": N_("auth.audit.act.not_select"),
    "reopen": N_("auth.audit.act.reopen"),
    "return_programme": N_("auth.audit.act.return_programme"),
    "select": N_("auth.audit.act.select"),
    "start": N_("auth.audit.act.start"),
    "submit": N_("auth.audit.act.submit"),
    "submit_programme": N_("auth.audit.act.submit_programme"),
}
AUDIT_RESOURCES = {
    "api_token": N_("auth.audit.res.api_token"),
    "membership": N_("auth.audit.res.membership"),
    "organisation": N_("auth.audit.res.organisation"),
    "pact_assignment": N_("auth.audit.res.pact_assignment"),
    "pact_call": N_("auth.audit.res.pact_call"),
    "pact_document": N_("auth.audit.res.pact_document"),
    "pact_progress_report": N_("auth.audit.res.pact_progress_report"),
    "pact_proposal": N_("auth.audit.res.pact_proposal"),
    "pact_proposal_version": N_("auth.audit.res.pact_proposal_version"),
    "pact_score_sheet": N_("auth.audit.res.pact_score_sheet"),
    "user": N_("auth.audit.res.user"),
}

router = APIRouter()


def _render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    return request.app.state.templates.TemplateResponse(request, f"auth/{name}", context, status_code=status_code)


def safe_next(value: str | None) -> str:
    """Only local paths: never an open redirect."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value or "\n" in value:
        return "/"
    return value


def _login_csrf(request: Request) -> tuple[str, bool]:
    current = request.cookies.get(sessions.LOGIN_CSRF_COOKIE)
    if current and 20 <= len(current) <= 64:
        return current, False
    return sessions.new_csrf(), True


def _login_form(request: Request, *, next: str, error: str | None = None, status_code: int = 200,
                email: str = "") -> Response:
    settings = auth_settings(request)
    token, fresh = _login_csrf(request)
    response = _render(request, "login.html", {"next": next, "error": error, "csrf_token": token, "email": email,
                                               "oidc_enabled": settings.oidc_enabled,
                                               "oidc_label": settings.oidc_label}, status_code)
    if fresh:
        sessions.set_cookie(response, sessions.LOGIN_CSRF_COOKIE, token, settings, max_age=3600)
    response.headers["Cache-Control"] = "no-store"
    return response


def start_session(response: Response, *, user_id: int, epoch: int, settings: AuthSettings) -> None:
    value, _ = sessions.make_session(user_id, epoch, settings)
    sessions.set_cookie(response, sessions.SESSION_COOKIE, value, settings, max_age=settings.session_max_age)
    sessions.clear_cookie(response, sessions.LOGIN_CSRF_COOKIE, settings)


@router.get("/login", response_class=HTMLResponse, name="login_page")
def login_page(request: Request, principal: Annotated[Principal, Depends(public(READ, "login form"))],
               next: Annotated[str | None, Query(max_length=2000)] = None) -> Response:
    if principal.user_id is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_form(request, next=safe_next(next))


@router.post("/login", response_class=HTMLResponse, name="login_submit")
def login_submit(request: Request, session: SessionDep,
                 _: Annotated[Principal, Depends(public(WRITE, "log in"))],
                 email: Annotated[str, Form(max_length=254)] = "",
                 password: Annotated[str, Form(max_length=256)] = "",
                 csrf_token: Annotated[str, Form(max_length=100)] = "",
                 next: Annotated[str, Form(max_length=2000)] = "/") -> Response:
    settings = auth_settings(request)
    target = safe_next(next)
    if not sessions.tokens_match(request.cookies.get(sessions.LOGIN_CSRF_COOKIE), csrf_token):
        return _login_form(request, next=target, error=N_("auth.error.csrf"), status_code=403, email=email)
    try:
        user = service.authenticate(session, email=email, password=password, client=request.client.host
                                    if request.client else None, pseudonymiser=pseudonymiser(settings),
                                    limits=service.LoginLimits(settings.login_max_failures,
                                                               settings.login_window_seconds))
    except RateLimited as exc:
        response = _login_form(request, next=target, error=N_("auth.error.rate_limited"), status_code=429,
                               email=email)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except NotAuthenticated:
        return _login_form(request, next=target, error=N_("auth.error.credentials"), status_code=401, email=email)
    session.commit()
    response = RedirectResponse(target, status_code=303)
    start_session(response, user_id=user.id, epoch=user.session_epoch, settings=settings)
    return response


@router.post("/logout", name="logout")
def logout(request: Request, session: SessionDep,
           principal: Annotated[Principal, Depends(require(WRITE, Resource.ACCOUNT))]) -> Response:
    """Ends every session of the user (the session epoch moves on), then clears the cookie."""
    if principal.user_id is not None:
        service.end_sessions(session, user_id=principal.user_id)
        session.commit()
    response = RedirectResponse("/", status_code=303)
    sessions.clear_cookie(response, sessions.SESSION_COOKIE, auth_settings(request))
    return response


@router.get("/account", response_class=HTMLResponse, name="account_page")
def account_page(request: Request, session: SessionDep,
                 principal: Annotated[Principal, Depends(require(READ, Resource.ACCOUNT))]) -> Response:
    user = service.load_user(session, principal.user_id or 0)
    return _render(request, "account.html", {"user": user, "principal": principal, "org_types": ORG_TYPE_LABELS,
                                             "roles": ROLE_LABELS, "csrf_token": principal.csrf or ""})


# --- OpenID Connect (SPID / CIE) ------------------------------------------------------------------------------

def oidc_client(request: Request) -> OIDCClient:
    client = getattr(request.app.state, "oidc_client", None)
    settings = auth_settings(request)
    if client is None or client.issuer != (settings.oidc_issuer or "").rstrip("/"):
        if not settings.oidc_enabled:
            raise NotAuthenticated("OpenID Connect login is not configured")
        client = OIDCClient(issuer=settings.oidc_issuer or "", client_id=settings.oidc_client_id or "",
                            client_secret=settings.oidc_client_secret.get_secret_value()
                            if settings.oidc_client_secret else None, scopes=settings.oidc_scopes)
        request.app.state.oidc_client = client
    return client


def _redirect_uri(request: Request, settings: AuthSettings) -> str:
    return settings.oidc_redirect_uri or str(request.url_for("oidc_callback"))


@router.get("/auth/oidc/login", name="oidc_login")
def oidc_login(request: Request, _: Annotated[Principal, Depends(public(READ, "start an OIDC login"))],
               next: Annotated[str | None, Query(max_length=2000)] = None) -> Response:
    settings = auth_settings(request)
    if not settings.oidc_enabled:
        return _login_form(request, next=safe_next(next), error=N_("auth.error.oidc_off"), status_code=404)
    try:
        begun = oidc_client(request).begin(_redirect_uri(request, settings))
    except OIDCError:
        return _login_form(request, next=safe_next(next), error=N_("auth.error.oidc"), status_code=502)
    response = RedirectResponse(begun.url, status_code=303)
    state = sessions.sign({"s": begun.state, "n": begun.nonce, "v": begun.code_verifier, "next": safe_next(next)},
                          settings, "regia.oidc")
    sessions.set_cookie(response, sessions.OIDC_COOKIE, state, settings, max_age=600)
    return response


@router.get("/auth/oidc/callback", name="oidc_callback")
def oidc_callback(request: Request, session: SessionDep,
                  _: Annotated[Principal, Depends(public(READ, "finish an OIDC login"))],
                  code: Annotated[str | None, Query(max_length=2000)] = None,
                  state: Annotated[str | None, Query(max_length=200)] = None,
                  error: Annotated[str | None, Query(max_length=200)] = None) -> Response:
    settings = auth_settings(request)
    saved = sessions.unsign(request.cookies.get(sessions.OIDC_COOKIE, ""), settings, "regia.oidc", max_age=600)
    target = safe_next(saved.get("next") if saved else None)

    def fail(key: str, status: int) -> Response:
        response = _login_form(request, next=target, error=key, status_code=status)
        sessions.clear_cookie(response, sessions.OIDC_COOKIE, settings)
        return response

    if not settings.oidc_enabled:
        return fail(N_("auth.error.oidc_off"), 404)
    if saved is None or not state or not sessions.tokens_match(str(saved.get("s", "")), state):
        return fail(N_("auth.error.oidc_state"), 400)
    if error or not code:
        return fail(N_("auth.error.oidc_denied"), 401)
    try:
        identity = oidc_client(request).finish(code=code, redirect_uri=_redirect_uri(request, settings),
                                               code_verifier=str(saved["v"]), nonce=str(saved["n"]))
    except OIDCError:
        return fail(N_("auth.error.oidc"), 401)
    user = service.user_from_oidc(session, issuer=identity.issuer, subject=identity.subject, email=identity.email,
                                  email_verified=identity.email_verified, name=identity.name,
                                  fiscal_code=identity.fiscal_code, pseudonymiser=pseudonymiser(settings))
    session.commit()
    response = RedirectResponse(target, status_code=303)
    start_session(response, user_id=user.id, epoch=user.session_epoch, settings=settings)
    sessions.clear_cookie(response, sessions.OIDC_COOKIE, settings)
    return response


# --- audit ---------------------------------------------------------------------------------------------------

@router.get("/admin/audit", response_class=HTMLResponse, name="audit_page")
def audit_page(request: Request, session: SessionDep,
               principal: Annotated[Principal, Depends(require(READ, Resource.AUDIT))],
               page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> Response:
    stmt = visible(select(AuditEntry), principal, AuditEntry)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(AuditEntry.id.desc()).limit(AUDIT_PAGE_SIZE)
                           .offset((page - 1) * AUDIT_PAGE_SIZE)).all()
    ids = {e.actor_user_id for e in rows if e.actor_user_id is not None}
    people = dict(session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all()) if ids else {}
    return _render(request, "audit.html", {"entries": rows, "total": total, "page": page, "people": people,
                                           "actions": AUDIT_ACTIONS, "resources": AUDIT_RESOURCES,
                                           "pages": max(1, -(-total // AUDIT_PAGE_SIZE)),
                                           "verification": audit.verify(session)})
