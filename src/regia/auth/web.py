"""Hooks of accounts and security into the web application, installed by ``regia.web.app.create_app``:

- the settings (``app.state.auth_settings``) and the OIDC client, made on first use;
- how domain errors answer: problem details on the API (through the app's own handlers, so every error
  has the same shape), and on pages a login redirect for 401 and the "forbidden" page for 403;
- a request body size limit (413), security headers, and CORS only when origins are configured.

This module uses only ``app.state`` and the app's registered handlers, never ``regia.web`` itself.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from regia.auth.errors import DomainError, InvalidInput, NotAuthenticated, RateLimited
from regia.auth.settings import AuthSettings, get_auth_settings

API_PREFIX = "/api/"
MACHINE_PREFIXES = (API_PREFIX, "/exchange/")  # regia.exchange: problem details, never pages


class _TooLarge(Exception):
    pass


class BodySizeLimit:
    """Refuses request bodies over ``max_bytes`` with 413, by Content-Length or while streaming."""

    def __init__(self, app: ASGIApp, max_bytes: int, larger: tuple[tuple[str, int], ...] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = larger  # (path prefix, its limit): routes that take uploads

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        limit = next((n for prefix, n in self.larger if path.startswith(prefix)), self.max_bytes)
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    too_big = int(value) > limit
                except ValueError:
                    too_big = False
                if too_big:
                    await self._refuse(scope, send)
                    return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge
            return message

        async def watch_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, watch_send)
        except _TooLarge:
            if not started:
                await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        body = json.dumps({"type": "about:blank", "title": "Content Too Large", "status": 413,
                           "detail": f"the request body exceeds {self.max_bytes} bytes",
                           "instance": scope.get("path", "")}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/problem+json"),
                                (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def add_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (name, value) for name, value in SECURITY_HEADERS if name not in present]
            await send(message)

        await self.app(scope, receive, add_headers)


def _is_api(request: Request) -> bool:
    path = request.url.path[len(str(request.scope.get("root_path", "")).rstrip("/")):]
    return path.startswith(MACHINE_PREFIXES)


def login_url(request: Request) -> str:
    root = str(request.scope.get("root_path", "")).rstrip("/")
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"{root}/login?next={quote(target, safe='')}"


async def _delegate(request: Request, exc: Exception) -> Response:
    """Answer through the app's own handler of ``exc``'s class (problem details / error page)."""
    for cls in type(exc).__mro__:
        handler = request.app.exception_handlers.get(cls)
        if handler is not None:
            return await handler(request, exc)  # type: ignore[no-any-return]
    raise exc


async def domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    headers: dict[str, str] = {}
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, NotAuthenticated):
        headers["WWW-Authenticate"] = 'Bearer realm="regia"'
    if isinstance(exc, InvalidInput) and exc.field and _is_api(request):
        return await _delegate(request, RequestValidationError(
            [{"loc": ("body", exc.field), "msg": exc.detail, "type": "value_error"}]))
    if not _is_api(request):
        if isinstance(exc, NotAuthenticated):
            return RedirectResponse(login_url(request), status_code=303)
        if exc.status == 403:
            return forbidden_page(request, exc.detail)
    return await _delegate(request, HTTPException(exc.status, detail=exc.detail, headers=headers or None))


def forbidden_page(request: Request, detail: str | None = None) -> Response:
    templates = getattr(request.app.state, "templates", None)
    if templates is None:
        return Response("Forbidden", status_code=403, media_type="text/plain")
    return templates.TemplateResponse(request, "auth/forbidden.html", {"detail": detail}, status_code=403)


def install(app: FastAPI, settings: AuthSettings | None = None,
            uploads: tuple[tuple[str, int], ...] = ()) -> None:
    settings = settings or get_auth_settings()
    app.state.auth_settings = settings
    app.state.oidc_client = None
    app.add_exception_handler(DomainError, domain_error)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes, larger=uploads)
    if settings.cors_origins:  # off by default: same-origin pages need none
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=False,
                           allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                           allow_headers=["Authorization", "Content-Type"])
    _document_security(app)


def _document_security(app: FastAPI) -> None:
    """State in the OpenAPI description how to authenticate and what the policy is."""
    extra = ("\n\n**Authentication.** Send `Authorization: Bearer <token>`; get a token with "
             "`POST /api/auth/tokens` (e-mail and password) or `regia users token`. Pages use a session "
             "cookie; cookie-authenticated unsafe requests need the `X-CSRF-Token` header. Errors are "
             "problem details (`application/problem+json`): 401 without or with bad credentials, 403 when "
             "the policy refuses, 413 for bodies over the limit, 429 after too many failed logins. Lists are "
             "paginated with `limit` and `offset` and hold only the rows the caller may read.")
    if extra not in (app.description or ""):
        app.description = (app.description or "") + extra
