"""The gate in front of the exchange API (an ASGI middleware on ``/exchange/``): rate limits and the audit.

**Rate limits (RAC_ROBUSTEZZA_001).** Every answer carries ``X-RateLimit-Limit`` (requests allowed in the
window), ``X-RateLimit-Remaining`` and ``X-RateLimit-Reset`` (seconds until the window resets); a request
over the limit answers 429 with ``Retry-After``. The budget is the client's (a valid voucher names it: its own
``rate_limit`` or the default) or, without a valid voucher (the token endpoint, bad tokens), the calling
address's. Fixed windows counted in this process's memory: behind several workers, each counts its own share
(put the limit in the API gateway too in production).

**Audit.** When the answer has gone, every call to an operation is written to the audit log
(``regia.auth.audit``): client, purpose, operation, status, the records touched, the audit data of the
tracking evidence and, for a refusal, its reason. The persons whose records were read are indexed
(:class:`regia.exchange.models.AccessSubject`) for their own page. Requests refused by the rate limit are
audited once per window and client (the first refusal), so that a flood does not flood the log.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from regia.auth import audit
from regia.auth.principal import Principal
from regia.db import session_factory, session_scope
from regia.exchange import tokens
from regia.exchange.errors import PROBLEM_MEDIA_TYPE, ExchangeError
from regia.exchange.models import AccessSubject
from regia.exchange.security import CallState
from regia.exchange.settings import API_PREFIX, ExchangeSettings

log = logging.getLogger(__name__)
UNAUDITED = (f"{API_PREFIX}/openapi.json", f"{API_PREFIX}/.well-known/jwks.json", f"{API_PREFIX}/eservices",
             f"{API_PREFIX}/problems")


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset: int  # seconds until the window resets
    first_refusal: bool = False

    def headers(self) -> list[tuple[bytes, bytes]]:
        out = [(b"x-ratelimit-limit", str(self.limit).encode()),
               (b"x-ratelimit-remaining", str(self.remaining).encode()),
               (b"x-ratelimit-reset", str(self.reset).encode())]
        if not self.allowed:
            out.append((b"retry-after", str(self.reset).encode()))
        return out


class RateLimiter:
    """Fixed windows of ``window`` seconds per key, in memory."""

    def __init__(self, window: int) -> None:
        self.window = window
        self._counts: dict[str, tuple[int, int]] = {}  # key -> (window number, requests)
        self._lock = threading.Lock()
        self._limits: dict[str, tuple[float, int | None]] = {}  # client -> (looked up at, own limit)

    def hit(self, key: str, limit: int, now: float | None = None) -> Decision:
        now = time.time() if now is None else now
        number = int(now // self.window)
        reset = max(1, math.ceil((number + 1) * self.window - now))
        with self._lock:
            held, count = self._counts.get(key, (number, 0))
            if held != number:
                count = 0
            count += 1
            self._counts[key] = (number, count)
            if len(self._counts) > 10_000:  # forget finished windows
                self._counts = {k: v for k, v in self._counts.items() if v[0] == number}
        if count > limit:
            return Decision(False, limit, 0, reset, first_refusal=count == limit + 1)
        return Decision(True, limit, limit - count, reset)

    def client_limit(self, engine: Engine, client_id: str, default: int) -> int:
        """The client's own limit (looked up at most once a minute), else the default."""
        now = time.time()
        cached = self._limits.get(client_id)
        if cached is None or now - cached[0] > 60:
            from regia.exchange import service as exchange

            with session_factory(engine)() as session:
                client = exchange.active_client(session, client_id)
                cached = (now, client.rate_limit if client is not None else None)
            self._limits[client_id] = cached
        return cached[1] or default


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def _bearer(scope: Scope) -> str | None:
    value = _header(scope, b"authorization")
    if not value:
        return None
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


class ExchangeGate:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root):]
        if scope["type"] != "http" or not path.startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        state_app = scope["app"].state
        settings: ExchangeSettings = state_app.exchange_settings
        limiter: RateLimiter = state_app.exchange_limiter
        engine: Engine = state_app.engine
        call = CallState(audit=not path.startswith(UNAUDITED))
        scope.setdefault("state", {})["exchange"] = call
        key, limit = await run_in_threadpool(self._budget, scope, settings, limiter, engine)
        decision = limiter.hit(key, limit)
        status = 500
        if not decision.allowed:
            exc = ExchangeError(429, "rate_limited", f"more than {limit} requests in {settings.rate_window} s")
            call.reason, call.detail = exc.reason, exc.detail
            body = json.dumps(exc.body(path)).encode()
            await send({"type": "http.response.start", "status": 429,
                        "headers": [(b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                                    (b"content-length", str(len(body)).encode()), *decision.headers()]})
            await send({"type": "http.response.body", "body": body})
            if decision.first_refusal and call.audit:
                await run_in_threadpool(record_call, engine, call, 429, scope["method"], path)
            return

        async def send_with_limits(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), *decision.headers()]
            await send(message)

        try:
            await self.app(scope, receive, send_with_limits)
        finally:
            if call.audit:
                try:
                    await run_in_threadpool(record_call, engine, call, status, scope["method"], path)
                except Exception:  # the answer has gone; the failure is logged, never shown
                    log.exception("exchange audit entry not written")

    @staticmethod
    def _budget(scope: Scope, settings: ExchangeSettings, limiter: RateLimiter, engine: Engine) -> tuple[str, int]:
        raw = _bearer(scope)
        if raw:
            try:
                client_id = str(tokens.verify_voucher(raw, settings).claims["sub"])
            except ExchangeError:
                pass
            else:
                return f"client:{client_id}", limiter.client_limit(engine, client_id, settings.rate_limit)
        client = scope.get("client")
        return f"addr:{client[0] if client else '?'}", settings.anonymous_rate_limit


def record_call(engine: Engine, call: CallState, status: int, method: str, path: str) -> None:
    """The audit entry of one exchange call (and the index of the persons whose data it read)."""
    refused = status >= 400
    label = f"exchange:{call.client_name or call.client_id or 'unknown'}"[:200]
    after: dict[str, Any] = {"client_id": call.client_id, "client": call.client_name, "verified": call.verified,
                             "purpose": call.purpose, "purpose_id": call.purpose_id, "operation": call.operation,
                             "method": method, "path": path, "status": status,
                             "records": {k: v for k, v in call.records.items()},
                             "record_count": sum(len(v) for v in call.records.values()),
                             "persons": len(call.subjects)}
    if call.tracking:
        after["tracking"] = call.tracking
    if call.reason:
        after["reason"] = call.reason
    with session_scope(engine) as session:
        entry = audit.record(session, actor=Principal(label=label), action="exchange.refused" if refused
                             else "exchange.call", resource_type="exchange",
                             resource_id=f"{method} {path}"[:100], organisation_id=call.organisation_id,
                             after=after, note=call.detail if refused else None)
        if not refused:
            for subject, records in call.subjects.items():
                session.add(AccessSubject(audit_id=entry.id, subject=subject,
                                          client_name=(call.client_name or call.client_id or "?")[:200],
                                          purpose=call.purpose or "?", operation=(call.operation or path)[:120],
                                          records=records, at=entry.at))
