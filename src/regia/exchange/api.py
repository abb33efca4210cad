"""The exchange API under ``/exchange/v1``: the token endpoint, the server's keys, the catalogue of e-services
and purposes, the change feed and one-record read of every registered resource, and the e-services' own
operations. Its OpenAPI document is ``/exchange/v1/openapi.json`` (apart from the people's ``/openapi.json``:
another audience, another security scheme).

:func:`install` is what the web app calls: state (settings, rate limiter), the gate (rate limits and audit),
the problem answers of :class:`ExchangeError`, the capture of changes, and the routes.
"""

# No "from __future__ import annotations": the feed routes are made in a loop, and FastAPI must see their
# parameters' annotations (closures over the resource) as objects, not as names to look up.
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Form, Path, Query, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, create_model
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from regia.auth.policy import READ, public
from regia.db import session_factory, session_scope
from regia.exchange import capture, eservices, feeds, jwts, keys, tokens
from regia.exchange import service as exchange
from regia.exchange.errors import REASONS, ExchangeError, forbidden, problem_response
from regia.exchange.gate import ExchangeGate, RateLimiter
from regia.exchange.registry import REGISTRY, EService, FeedResource, LoadContext
from regia.exchange.security import ClientCall, call_state, client_call, exchange_settings
from regia.exchange.settings import API_PREFIX, get_exchange_settings

Op = Literal["upsert", "delete", "withheld"]
TITLE = "Regia — exchange API (ModI / PDND)"
Public = Depends(public(READ, "metadata of the exchange API: no data, needed to call it"))
PROBLEM = {"description": "Problem details (RFC 9457) with `reason`",
           "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/ExchangeProblem"}}}}
RATE_HEADERS = {name: {"description": text, "schema": {"type": "integer"}} for name, text in (
    ("X-RateLimit-Limit", "Requests allowed in the window"),
    ("X-RateLimit-Remaining", "Requests left in the window"),
    ("X-RateLimit-Reset", "Seconds until the window resets"))}
ERRORS: dict[int | str, dict[str, Any]] = {
    400: PROBLEM, 401: PROBLEM, 403: PROBLEM, 404: PROBLEM, 422: PROBLEM,
    429: {**PROBLEM, "headers": {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}}}

router = APIRouter(prefix=API_PREFIX)
_documents: dict[str, dict[str, Any]] = {}  # the OpenAPI document per configured base URL


class ExchangeProblem(BaseModel):
    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    reason: str | None = Field(default=None, description="Stable code of the refusal (see /exchange/v1/problems)")
    error: str | None = Field(default=None, description="OAuth 2.0 error code (token endpoint)")
    error_description: str | None = None
    errors: list[dict[str, Any]] | None = None


class VoucherOut(BaseModel):
    access_token: str = Field(description="The voucher (JWT, typ at+jwt) to send as Authorization: Bearer")
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int


# --- metadata ----------------------------------------------------------------------------------------------

@router.post("/token", response_model=VoucherOut, tags=["auth"], summary="Get a voucher (client assertion)",
             responses={400: PROBLEM, 401: PROBLEM, 403: PROBLEM, 429: ERRORS[429]})
def token(request: Request, _: Annotated[Any, Public],
          grant_type: Annotated[str | None, Form(max_length=100)] = None,
          client_assertion_type: Annotated[str | None, Form(max_length=200)] = None,
          client_assertion: Annotated[str | None, Form(max_length=20_000)] = None,
          client_id: Annotated[str | None, Form(max_length=200)] = None) -> Response:
    """OAuth 2.0 client credentials with `private_key_jwt` (RFC 7523), the PDND voucher flow: the client signs
    an assertion (`iss` = `sub` = its client_id, `aud` = this endpoint's URL, `jti`, `iat`, `exp` at most 10
    minutes later, `purposeId` of a granted purpose, optionally `digest` of its AgID-JWT-TrackingEvidence) with
    a key of its registered JWKS. A `jti` is accepted once."""
    state = call_state(request)
    state.operation = "token"
    settings = exchange_settings(request)
    try:
        voucher = tokens.issue(request.app.state.engine, settings, grant_type=grant_type,
                               assertion_type=client_assertion_type, assertion=client_assertion, client_id=client_id)
    except ExchangeError:
        if client_assertion:
            state.client_id = _claimed_client(client_assertion)
        raise
    g = voucher.grant
    state.client_id, state.client_name, state.organisation_id = g.client_id, g.client_name, g.organisation_id
    state.purpose, state.purpose_id, state.verified = g.purpose.code, g.purpose_id, True
    return JSONResponse(VoucherOut(access_token=voucher.token, expires_in=voucher.expires_in).model_dump(),
                        headers={"Cache-Control": "no-store"})


def _claimed_client(assertion: str) -> str | None:
    """The client an assertion claims to come from (for the audit of a refusal)."""
    try:
        iss = jwts.peek(assertion).claims.get("iss")
    except ExchangeError:
        return None
    return str(iss)[:64] if iss else None


@router.get("/.well-known/jwks.json", tags=["auth"], summary="The server's public keys")
def jwks(request: Request, _: Annotated[Any, Public]) -> dict[str, Any]:
    """Keys verifying what this server signs: vouchers and export manifests."""
    return keys.server_jwks(exchange_settings(request))


@router.get("/eservices", tags=["auth"], summary="E-services, their resources and purposes")
def catalogue(_: Annotated[Any, Public]) -> dict[str, Any]:
    return {"eservices": [{"name": e.name, "title": e.title, "description": e.description,
                           "resources": [{"name": r.name, "feed": f"{API_PREFIX}{r.path}/changes",
                                          "computed": r.computed} for r in e.resources]}
                          for e in REGISTRY.eservices.values()],
            "purposes": [{"code": p.code, "reads": sorted(p.reads), "writes": sorted(p.writes),
                          "person_level": p.person_level, "consent": p.consent} for p in REGISTRY.purposes()]}


@router.get("/problems", tags=["auth"], summary="The reasons a request can be refused for")
def problems(_: Annotated[Any, Public]) -> dict[str, str]:
    return dict(REASONS)


@router.get("/openapi.json", include_in_schema=False)
def openapi_document(request: Request, _: Annotated[Any, Public]) -> JSONResponse:
    return JSONResponse(openapi(request.app))


# --- feeds ---------------------------------------------------------------------------------------------------

def _context(request: Request, session: Any) -> LoadContext:
    from regia.exchange.eservices.needs import Figures

    return LoadContext(session=session, engine=request.app.state.engine, figures=Figures.for_app(request.app))


def _prepare(request: Request, resource: FeedResource) -> datetime | None:
    """Starts the resource's log on first use; refreshes a computed one whose figures are old."""
    engine = request.app.state.engine
    settings = exchange_settings(request)
    try:
        with session_scope(engine) as session:
            ctx = _context(request, session)
            if not feeds.initialise(session, resource, ctx) and resource.computed and \
                    feeds.stale(session, resource, settings.figures_max_age):
                feeds.refresh(session, resource, ctx)
    except IntegrityError:  # another request initialised it meanwhile
        pass
    with session_factory(engine)() as session:
        return feeds.refreshed_at(session, resource)


def _withheld(request: Request, call: ClientCall, items: list[feeds.Item]) -> set[str]:
    """Subjects (pseudonyms) of these items who have not consented to the call's purpose, when it needs it."""
    purpose = call.grant.purpose
    subjects = {s for item in items for s in item.subjects}
    if not purpose.consent or not subjects:
        return set()
    with session_factory(request.app.state.engine)() as session:
        return subjects - exchange.has_consent(session, subjects, purpose.code)


def read_feed(request: Request, call: ClientCall, resource: FeedResource, since: str | None,
              limit: int) -> dict[str, Any]:
    after = feeds.decode_cursor(resource.name, since)
    refreshed = _prepare(request, resource)
    with session_factory(request.app.state.engine)() as session:
        items = feeds.read(session, resource, after=after, limit=limit + 1)
    more = len(items) > limit
    items = items[:limit]
    refused = _withheld(request, call, items)
    out = []
    for item in items:
        op, data = item.op, item.data
        if refused and set(item.subjects) & refused:
            op, data = "withheld", None
        elif data is not None:
            call.state.read_about(item.subjects)
        out.append({"seq": item.seq, "op": op, "id": item.key, "at": item.at, "data": data})
    call.state.touched(resource.name, [i.key for i in items])
    position = items[-1].seq if items else after
    return {"resource": resource.name, "items": out, "next": feeds.encode_cursor(resource.name, position),
            "more": more, "refreshed_at": refreshed}


def read_one(request: Request, call: ClientCall, resource: FeedResource, key: str) -> dict[str, Any]:
    _prepare(request, resource)
    with session_factory(request.app.state.engine)() as session:
        item = feeds.latest(session, resource, key)
    if item is None or item.op != "upsert" or item.data is None:
        raise ExchangeError(404, "not_found", f"no record {key!r} in {resource.name}")
    if _withheld(request, call, [item]):
        raise forbidden("consent_required", "the person has not given consent to this purpose")
    call.state.touched(resource.name, [key])
    call.state.read_about(item.subjects)
    return {"resource": resource.name, "seq": item.seq, "id": item.key, "at": item.at, "data": item.data}


def _page_model(resource: FeedResource) -> type[BaseModel]:
    name = "".join(part.capitalize() for part in resource.name.replace("-", ".").split("."))
    item = create_model(f"{name}Change", seq=(int, ...), op=(Op, ...), id=(str, ...), at=(datetime, ...),
                        data=(resource.schema | None, ...))  # type: ignore[arg-type]
    return create_model(f"{name}Page", resource=(str, ...), items=(list[item], ...),  # type: ignore[valid-type]
                        next=(str, Field(description="The cursor to read the following changes with")),
                        more=(bool, Field(description="More changes follow (read again with next)")),
                        refreshed_at=(datetime | None, None))


def _add_feed_routes(resource: FeedResource) -> None:
    page = _page_model(resource)
    operation = resource.name
    since_q = Annotated[str | None, Query(max_length=200, description="Cursor of the last page read (`next`); "
                                                                      "omit to read from the start")]
    limit_q = Annotated[int, Query(ge=1, le=1000, description="Changes per page")]
    example = {"resource": resource.name, "items": [
        {"seq": 101, "op": "upsert", "id": str(resource.example.get("id", "ITC4C|skill")),
         "at": "2026-12-01T10:00:00+00:00", "data": resource.example},
        {"seq": 102, "op": "delete", "id": "17", "at": "2026-12-01T10:05:00+00:00", "data": None}],
        "next": feeds.encode_cursor(resource.name, 102), "more": False, "refreshed_at": None}

    async def changes(request: Request, call: Annotated[ClientCall, Depends(client_call(READ, operation))],
                      since: since_q = None, limit: limit_q = 100) -> dict[str, Any]:
        return await run_in_threadpool(read_feed, request, call, resource, since,
                                       min(limit, exchange_settings(request).page_max))

    changes.__doc__ = (f"Changes of {resource.title.lower()} in order, from the cursor `since`: `upsert` (the "
                       "record as it is now), `delete`, or `withheld` (a person's record whose consent this "
                       "purpose lacks). Read again with `next` until `more` is false; the same cursor gives the "
                       "same changes.")
    router.add_api_route(f"{resource.path}/changes", changes, methods=["GET"], response_model=page,
                         summary=f"Change feed: {resource.title}", name=f"exchange_feed_{operation}",
                         tags=[operation.split(".")[0]],
                         responses={**ERRORS, 200: {"content": {"application/json": {"example": example}},
                                                    "headers": RATE_HEADERS}})
    one = create_model(f"{page.__name__}One", resource=(str, ...), seq=(int, ...), id=(str, ...),
                       at=(datetime, ...), data=(resource.schema, ...))

    async def record(request: Request, call: Annotated[ClientCall, Depends(client_call(READ, operation))],
                     key: Annotated[str, Path(alias="id", max_length=200, description="The record's id (a "
                                                                                        "figure's: territory|skill)")]
                     ) -> dict[str, Any]:
        return await run_in_threadpool(read_one, request, call, resource, key)

    record.__doc__ = f"One record of {resource.title.lower()}, as its last change gives it."
    router.add_api_route(f"{resource.path}/{{id:path}}", record, methods=["GET"], response_model=one,
                         summary=f"One record: {resource.title}", name=f"exchange_record_{operation}",
                         tags=[operation.split(".")[0]], responses=ERRORS)


def _mount(eservice: EService) -> None:
    for resource in eservice.resources:
        _add_feed_routes(resource)
    if eservice.router is not None:
        router.include_router(eservice.router, responses=ERRORS)


def add_eservice(eservice: EService) -> EService:
    """Registers an e-service after this module was loaded (apps created afterwards serve it)."""
    REGISTRY.add(eservice)
    _mount(eservice)
    _documents.clear()
    return eservice


def remove_eservice(name: str) -> None:
    """The reverse of :func:`add_eservice` (tests)."""
    eservice = REGISTRY.eservices.pop(name)
    names = {f"exchange_{kind}_{r.name}" for r in eservice.resources for kind in ("feed", "record")}
    endpoints = {getattr(r, "endpoint", None) for r in (eservice.router.routes if eservice.router else [])}
    router.routes[:] = [r for r in router.routes if getattr(r, "name", None) not in names
                        and getattr(r, "endpoint", None) not in endpoints]
    _documents.clear()


eservices.load()
for _eservice in REGISTRY.eservices.values():
    _mount(_eservice)


def openapi(app: FastAPI) -> dict[str, Any]:
    """The exchange API's own OpenAPI 3 document (one per configured base URL: the routes are the same)."""
    settings = exchange_settings_of(app)
    cached = _documents.get(settings.issuer)
    if cached is not None:
        return cached
    doc = get_openapi(title=TITLE, version="1.0.0", routes=router.routes, servers=[{"url": settings.issuer}],
                      summary="Machine-to-machine exchange with the Funds' and the Region's systems",
                      description=DESCRIPTION, tags=[{"name": e.name, "description": e.description}
                                                     for e in REGISTRY.eservices.values()])
    doc.setdefault("components", {}).setdefault("schemas", {})["ExchangeProblem"] = \
        ExchangeProblem.model_json_schema(ref_template="#/components/schemas/{model}")
    # What a client must put in aud: its assertions (the token endpoint) and its integrity signatures and
    # tracking evidence (the e-services' base URL), as configured (REGIA_EXCHANGE_BASE_URL)
    doc["x-audiences"] = {"token": settings.token_endpoint, "api": settings.audience}
    _documents[settings.issuer] = doc
    return doc


def exchange_settings_of(app: FastAPI) -> Any:
    return getattr(app.state, "exchange_settings", None) or get_exchange_settings()


DESCRIPTION = """Interoperable exchange following the AgID guidelines on technical interoperability (ModI) and
the PDND voucher flow.

1. **Registration.** The operator registers the client system with its public keys (JWKS) and the purposes
   (*finalità*) it may use (`regia exchange clients add`); each grant has a `purposeId`.
2. **Voucher.** `POST /exchange/v1/token` with a client assertion (`private_key_jwt`, RFC 7523) gives a short
   access token bound to this API's audience and to one purpose (ID_AUTH_CHANNEL + ID_AUTH_REST_02).
3. **Calls.** `Authorization: Bearer <voucher>`. Requests that change data carry `Digest: SHA-256=…` and an
   `Agid-JWT-Signature` (INTEGRITY_REST_01); audit data may come as `AgID-JWT-TrackingEvidence` whose SHA-256
   is bound into the assertion's `digest` claim (AUDIT_REST_02). An operation outside the voucher's purpose is
   refused (403). Every call is audited with client, purpose and the records touched.
4. **Feeds.** Every resource has `…/changes?since=CURSOR`: changes in order (upserts and deletes) with the next
   cursor; the same cursor gives the same changes. `POST` accepts `Idempotency-Key`.
5. **Limits.** Every answer carries `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset`;
   over the limit, 429 with `Retry-After` (RAC_ROBUSTEZZA_001). Errors are problem details (RFC 9457) with a
   stable `reason` (`GET /exchange/v1/problems`).
"""


def bind_engine(app: FastAPI) -> None:
    """Engine-bound state of the exchange on the app (``regia.web.app.bind_engine``): the analytics of the
    needs e-service and the rate-limit counts start afresh with the database."""
    settings = getattr(app.state, "exchange_settings", None) or get_exchange_settings()
    app.state.exchange_settings = settings
    app.state.exchange_limiter = RateLimiter(settings.rate_window)
    app.state.exchange_figures = None


def install(app: FastAPI) -> None:
    """Adds the exchange to the web app (called by ``regia.web.app.create_app``)."""
    capture.install()
    bind_engine(app)

    async def exchange_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ExchangeError)
        state = call_state(request)
        state.reason, state.detail = state.reason or exc.reason, state.detail or exc.detail
        return problem_response(request, exc)

    app.add_exception_handler(ExchangeError, exchange_error)
    app.add_middleware(ExchangeGate)
    app.include_router(router, include_in_schema=False)
