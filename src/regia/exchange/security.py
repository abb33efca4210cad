"""Who is calling an e-service: a registered client system, with a voucher for one of its purposes.

Every e-service route declares ``client_call(action, operation)``: the dependency verifies the voucher
(signature of this server, ``aud``, ``iss``, times), that the client and its purpose are still active (a
revocation takes effect at once), that the purpose covers the operation (else 403), the tracking evidence
bound into the voucher (AUDIT_REST_02) and, for requests that change data, the body's integrity
(INTEGRITY_REST_01). People's sessions and API tokens never pass: the policy resource ``exchange`` allows no
person (see ``regia.auth.policy``); the declaration is attached so that the route table finds it.

What the call did — client, purpose, records touched, persons whose data were read, the reason of a refusal —
is kept in :class:`CallState` (``request.state.exchange``) and audited by :mod:`regia.exchange.gate` when the
answer has gone, whatever the outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlows
from fastapi.security import OAuth2
from starlette.concurrency import run_in_threadpool

from regia.auth.policy import POLICY_ATTR, Action, Resource, RoutePolicy
from regia.auth.principal import bearer_of
from regia.db import session_factory
from regia.exchange import integrity, tokens
from regia.exchange import service as exchange
from regia.exchange.errors import ExchangeError, forbidden, unauthorized
from regia.exchange.models import ACTIVE
from regia.exchange.settings import API_PREFIX, ExchangeSettings, get_exchange_settings

voucher_scheme = OAuth2(
    flows=OAuthFlows(clientCredentials=OAuthFlowClientCredentials(tokenUrl=f"{API_PREFIX}/token", scopes={})),
    scheme_name="pdndVoucher", auto_error=False,
    description="PDND-style voucher: `POST /exchange/v1/token` with a client assertion signed by the client's "
                "key (`private_key_jwt`, RFC 7523) and its `purposeId`; send `Authorization: Bearer <voucher>`.")


@dataclass
class CallState:
    """What an exchange request did, for its audit entry."""

    operation: str | None = None
    client_id: str | None = None  # the client as claimed (before verification) or verified
    client_name: str | None = None
    organisation_id: int | None = None
    purpose: str | None = None
    purpose_id: str | None = None
    verified: bool = False
    tracking: dict[str, Any] | None = None
    records: dict[str, list[str]] = field(default_factory=dict)
    subjects: dict[str, int] = field(default_factory=dict)  # pseudonym -> records read about the person
    reason: str | None = None
    detail: str | None = None
    audit: bool = True  # metadata (OpenAPI document, JWKS) is not audited

    def touched(self, resource: str, keys: Iterable[str]) -> None:
        self.records.setdefault(resource, []).extend(str(k) for k in keys)

    def read_about(self, subjects: Iterable[str]) -> None:
        for s in subjects:
            self.subjects[s] = self.subjects.get(s, 0) + 1


def call_state(request: Request) -> CallState:
    state = getattr(request.state, "exchange", None)
    if not isinstance(state, CallState):
        state = CallState()
        request.state.exchange = state
    return state


def exchange_settings(request: Request) -> ExchangeSettings:
    settings = getattr(request.app.state, "exchange_settings", None)
    return settings if isinstance(settings, ExchangeSettings) else get_exchange_settings()


@dataclass(frozen=True)
class ClientCall:
    """A verified call: the client's grant, the voucher's claims and the call's state (for the audit)."""

    grant: exchange.ActiveGrant
    voucher: dict[str, Any]
    state: CallState
    signature: dict[str, Any] | None = None


def _authorise(request: Request, raw: str | None, operation: str, write: bool) -> tuple[exchange.ActiveGrant,
                                                                                        dict[str, Any]]:
    settings = exchange_settings(request)
    state = call_state(request)
    if not raw:
        raise unauthorized("missing_token", "an access token is required: Authorization: Bearer <voucher>")
    claims = tokens.verify_voucher(raw, settings).claims
    state.client_id = str(claims.get("sub"))
    with session_factory(request.app.state.engine)() as session:
        client = exchange.active_client(session, state.client_id)
        if client is None:
            raise unauthorized("unknown_client", "the token's client is not registered")
        state.client_name, state.organisation_id = client.name, client.organisation_id
        if client.status != ACTIVE:
            raise unauthorized("client_revoked", f"client {client.name!r} was revoked")
        grant = exchange.active_grant(client, str(claims.get("purposeId")))
    if grant is None:
        raise forbidden("purpose_not_granted", "the token's purpose is no longer granted to this client")
    state.purpose, state.purpose_id = grant.purpose.code, grant.purpose_id
    if not grant.purpose.allows(operation, write):
        raise forbidden("purpose_not_allowed", f"purpose {grant.purpose.code!r} does not cover "
                                               f"{'writing' if write else 'reading'} {operation}")
    state.tracking = integrity.check_tracking(settings, grant, claims, request.headers.get(integrity.TRACKING_HEADER))
    return grant, claims


def client_call(action: Action, operation: str) -> Callable[..., Any]:
    """Dependency of an e-service route: the verified :class:`ClientCall` for ``action`` on ``operation``."""
    write = action is Action.WRITE

    async def dependency(request: Request,
                         _voucher: Annotated[str | None, Depends(voucher_scheme)] = None) -> ClientCall:
        state = call_state(request)
        state.operation = operation
        raw = bearer_of(request)
        try:
            grant, claims = await run_in_threadpool(_authorise, request, raw, operation, write)
            signature = None
            if write:
                body = await request.body()
                signature = await run_in_threadpool(integrity.check_integrity, request.app.state.engine,
                                                    exchange_settings(request), grant, request.headers, body)
        except ExchangeError as exc:
            state.reason, state.detail = exc.reason, exc.detail
            raise
        state.verified = True
        return ClientCall(grant=grant, voucher=claims, state=state, signature=signature)

    setattr(dependency, POLICY_ATTR, RoutePolicy(action, Resource.EXCHANGE,
                                                 f"client systems with a voucher for a purpose covering {operation}"))
    dependency.__name__ = f"client_call_{action}_{operation.replace('.', '_')}"
    return dependency
