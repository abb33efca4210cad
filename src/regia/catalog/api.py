"""REST API of the catalogue: search (public), one course (public), publishing and skill confirmation
(providers for their own courses, Funds publishing, the Region), orientation (public).

Writing routes are declared with ``require(WRITE, Resource.CATALOG)``; the policy module decides who may
write which course (``can(principal, WRITE, Resource.CATALOG, owner)`` with the owner from
``service.course_owner``): a provider organisation's editors and administrators edit only courses under
their own partita IVA / codice fiscale, Region administrators and editors any. Publishing is open to those
the policy lets through at route level; :func:`_publisher` chooses the source name and, for a provider,
restricts the records to its own partita IVA (a Fund publishes any provider's course under its name).
"""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from datetime import date
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from regia.auth.models import Role
from regia.auth.policy import POLICY_ATTR, READ, WRITE, Resource, can, public, require
from regia.auth.principal import ANONYMOUS, Principal
from regia.auth.sessions import SESSION_COOKIE
from regia.catalog import orientation, service
from regia.catalog.schemas import CourseOut, PublishIn, PublishOut, SearchOut, SkillsIn
from regia.catalog.search import BadQuery
from regia.catalog.search import Query as SearchQuery
from regia.catalog.search import current as search_current
from regia.catalog.search import index_for as search_index_for
from regia.db import request_session

SessionDep = Annotated[Session, Depends(request_session)]
Reader = Annotated[Principal, Depends(public(READ, "the catalogue is public"))]
Writer = Annotated[Principal, Depends(require(WRITE, Resource.CATALOG))]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
EDITORS = (Role.ADMIN, Role.EDITOR)

router = APIRouter(prefix="/api/catalog", tags=["catalog"])
SEARCH_PATH = "/api/catalog/courses"
_SESSION_COOKIE = SESSION_COOKIE.encode()


def _json(value: Any, status: int = 200) -> Response:
    return Response(json.dumps(value, ensure_ascii=False, default=str), status_code=status,
                    media_type="application/json")


# Answers to recent searches, per index (a rebuilt index starts afresh): popular searches and facet clicks
# repeat. REGIA_CATALOG_SEARCH_CACHE sets the number of answers kept (0: none).
CACHE_SIZE = int(os.environ.get("REGIA_CATALOG_SEARCH_CACHE", "4096"))
_answers: OrderedDict[tuple[int, str], bytes] = OrderedDict()
_answers_lock = threading.Lock()


def _cached(key: tuple[int, str]) -> bytes | None:
    with _answers_lock:
        body = _answers.get(key)
        if body is not None:
            _answers.move_to_end(key)
        return body


def _remember(key: tuple[int, str], body: bytes) -> None:
    if CACHE_SIZE <= 0:
        return
    with _answers_lock:
        _answers[key] = body
        while len(_answers) > CACHE_SIZE:
            _answers.popitem(last=False)


def _query_key(scope: Scope) -> str:
    """The query string with its parameters in a canonical order (the same search, whatever their order)."""
    return "&".join(sorted(scope["query_string"].decode("latin-1").split("&")))


class CachedSearchAnswers:
    """ASGI middleware installed in front of the router (inside the security headers and size limit): a
    search already answered by :func:`search_courses` for the current index build is sent again from the
    answer cache without routing and dependency resolution (~100 us per request). Only anonymous GETs (no
    ``Authorization``, no session cookie) — what the route's ``public(READ)`` policy serves to anyone; every
    other request, and every miss, goes to the route, which validates the query and fills the cache."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = self._answer(scope) if scope["type"] == "http" and scope["method"] == "GET" else None
        if body is None:
            await self.app(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    def _answer(scope: Scope) -> bytes | None:
        path, root = scope["path"], scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root):]
        if path != SEARCH_PATH:
            return None
        for name, value in scope["headers"]:
            if name == b"authorization" or (name == b"cookie" and _SESSION_COOKIE in value):
                return None
        app = scope.get("app")
        engine = getattr(getattr(app, "state", None), "engine", None)
        index = search_current(engine) if engine is not None else None
        return _cached((index.serial, _query_key(scope))) if index is not None else None


TARGETS = ("disoccupati", "occupati", "sospesi", "studenti", "apprendisti", "stranieri")
MODALITIES = ("presenza", "online", "blended")
CHANNELS = ("regione", "fse+", "fondo", "impresa")


def _param(name: str, schema: dict[str, Any], description: str = "", *, many: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": {"type": "array", "items": schema} if many else schema}


SEARCH_PARAMETERS = [
    _param("q", {"type": "string", "maxLength": 200}, "Words, Italian or English"),
    _param("province", {"type": "string"}, "Sigla (BS) or NUTS3 (ITC47), repeatable", many=True),
    _param("target", {"type": "string", "enum": list(TARGETS)}, "", many=True),
    _param("modality", {"type": "string", "enum": list(MODALITIES)}, "", many=True),
    _param("funding", {"type": "string", "enum": list(CHANNELS)}, "", many=True),
    _param("fund", {"type": "string"}, "A Fund's name (funding fondo:NAME)", many=True),
    _param("digital", {"type": "boolean"}), _param("green", {"type": "boolean"}),
    _param("hours_min", {"type": "number", "minimum": 0}), _param("hours_max", {"type": "number", "minimum": 0}),
    _param("start_from", {"type": "string", "format": "date"}, "An edition starting on or after"),
    _param("start_to", {"type": "string", "format": "date"}, "An edition starting on or before"),
    _param("skill", {"type": "string"}, "ESCO skill URI taught, repeatable", many=True),
    _param("occupation", {"type": "string", "maxLength": 300},
           "ESCO occupation URI or name: courses teaching its essential skills"),
    _param("page", {"type": "integer", "minimum": 1, "maximum": 10_000, "default": 1}),
    _param("size", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}),
    _param("facets", {"type": "boolean", "default": True}),
]
_BOOLS = {"true": True, "1": True, "yes": True, "on": True, "false": False, "0": False, "no": False, "off": False}


class _Invalid(ValueError):
    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


def _parse_search(params: Any) -> tuple[SearchQuery, int, int, bool]:
    """The search's query parameters, validated here rather than by FastAPI: this route is the hot path, and
    declaring 17 parameters costs more than the search itself when the answer is cached."""
    known = {p["name"] for p in SEARCH_PARAMETERS}
    for name in params:
        if name not in known and name != "lang":
            raise _Invalid(name, f"unknown parameter {name!r}")

    def one(name: str) -> str | None:
        values = params.getlist(name)
        if len(values) > 1:
            raise _Invalid(name, "give this parameter once")
        return values[0] if values else None

    def number(name: str, kind: type, lo: float, hi: float | None = None) -> Any:
        raw = one(name)
        if raw is None:
            return None
        try:
            value = kind(raw)
        except ValueError:
            raise _Invalid(name, f"not a {kind.__name__}: {raw!r}") from None
        if value < lo or (hi is not None and value > hi) or value != value:
            raise _Invalid(name, f"out of range: {raw!r}")
        return value

    def boolean(name: str) -> bool | None:
        raw = one(name)
        if raw is None:
            return None
        if raw.lower() not in _BOOLS:
            raise _Invalid(name, f"not a boolean: {raw!r}")
        return _BOOLS[raw.lower()]

    def day(name: str) -> date | None:
        raw = one(name)
        try:
            return date.fromisoformat(raw) if raw else None
        except ValueError:
            raise _Invalid(name, f"not a date YYYY-MM-DD: {raw!r}") from None

    def choices(name: str, allowed: tuple[str, ...]) -> list[str]:
        values = params.getlist(name)
        for v in values:
            if v not in allowed:
                raise _Invalid(name, f"{v!r} is not one of {', '.join(allowed)}")
        return values

    q = one("q") or ""
    occupation = one("occupation")
    if len(q) > 200 or (occupation and len(occupation) > 300):
        raise _Invalid("q" if len(q) > 200 else "occupation", "too long")
    query = SearchQuery(text=q, provinces=params.getlist("province"), targets=choices("target", TARGETS),
                        modalities=choices("modality", MODALITIES), funding=choices("funding", CHANNELS),
                        funds=params.getlist("fund"), digital=boolean("digital"), green=boolean("green"),
                        hours_min=number("hours_min", float, 0), hours_max=number("hours_max", float, 0),
                        start_from=day("start_from"), start_to=day("start_to"), skills=params.getlist("skill"),
                        occupation=occupation or None)
    page = number("page", int, 1, 10_000) or 1
    size = number("size", int, 1, 100) or 20
    facets = boolean("facets")
    return query, page, size, True if facets is None else facets


def _public_async() -> Any:
    """``public(READ)`` as a coroutine: the same declaration and principal, without a trip to the thread pool
    on the hot path (resolving an anonymous principal does no I/O)."""
    sync = public(READ, "the catalogue is public")

    async def dependency(request: Request) -> Principal:
        headers = request.headers
        if "authorization" not in headers and SESSION_COOKIE not in headers.get("cookie", ""):
            return ANONYMOUS  # what resolve() answers without credentials, without opening a DB session
        return sync(request)  # type: ignore[no-any-return]

    setattr(dependency, POLICY_ATTR, getattr(sync, POLICY_ATTR))
    dependency.__name__ = "public_read_catalogue"
    return dependency


@router.get("/courses", response_model=SearchOut, summary="Search the catalogue",
            responses={200: {"model": SearchOut}}, openapi_extra={"parameters": SEARCH_PARAMETERS})
async def search_courses(request: Request, _: Annotated[Principal, Depends(_public_async())]) -> Response:
    """Full text (Italian stemming, accents, ESCO label synonyms), facets and search by skill or occupation,
    best first; `facets` counts the matching courses per value. Answers of recent searches are kept per index
    build (`REGIA_CATALOG_SEARCH_CACHE`)."""
    engine = request.app.state.engine
    index = search_current(engine) or await run_in_threadpool(search_index_for, engine)
    key = (index.serial, _query_key(request.scope))
    if (body := _cached(key)) is not None:
        return Response(body, media_type="application/json")
    try:
        query, page, size, facets = _parse_search(request.query_params)
    except _Invalid as exc:
        raise HTTPException(422, detail=f"{exc.name}: {exc}") from None
    run = partial(service.search, engine, query, page=page, size=size, facets=facets)
    try:  # in the thread pool: numpy lets go of the interpreter lock, so cached answers go on meanwhile
        results = await run_in_threadpool(run)
    except (BadQuery, service.InvalidQuery) as exc:
        raise HTTPException(422, detail=str(exc)) from None
    body = json.dumps(results.as_dict(), ensure_ascii=False, default=str).encode()
    _remember(key, body)
    return Response(body, media_type="application/json")


@router.get("/courses/{course_id}", response_model=CourseOut, summary="One course with its editions, sources, "
            "history and skills")
def get_course(request: Request, _: Reader, course_id: Id) -> Response:
    try:
        return _json(service.course_detail(request.app.state.engine, course_id))
    except service.NotFound:
        raise HTTPException(404, detail=f"No course {course_id}") from None


@router.post("/courses", response_model=PublishOut, summary="Publish courses (once-only)")
def publish(request: Request, body: PublishIn, session: SessionDep, principal: Writer) -> PublishOut:
    """Course editions as in the CSV format; a course already held (sent again, or by another source) is
    recognised and merged, not duplicated. A provider may publish only its own courses."""
    tagger = getattr(request.app.state, "catalog_tagger", None)
    report = service.publish(request.app.state.engine, body.courses, principal=principal, tagger=tagger)
    return PublishOut(**report.counts(), rejections=[str(r) for r in report.rejections],
                      course_ids=report.course_ids)


@router.put("/courses/{course_id}/skills", response_model=CourseOut, summary="Confirm or remove skills taught")
def confirm_skills(request: Request, course_id: Id, body: SkillsIn, principal: Writer) -> Response:
    """The course's provider confirms the classifier's skill tags, adds skills or removes wrong ones."""
    engine = request.app.state.engine
    owner = service.course_owner(engine, course_id)
    if owner is None:
        raise HTTPException(404, detail=f"No course {course_id}")
    if not can(principal, WRITE, Resource.CATALOG, owner):
        raise HTTPException(403, detail="a provider edits only its own courses")
    try:
        return _json(service.confirm_skills(engine, course_id, confirm=body.confirm, remove=body.remove))
    except service.InvalidQuery as exc:
        raise HTTPException(422, detail=str(exc)) from None


@router.get("/orientation", summary="Missing skills towards an occupation, and courses nearby")
def orient(
    request: Request,
    _: Reader,
    target: Annotated[str, Query(min_length=2, max_length=300, description="Occupation to reach: URI or name")],
    current: Annotated[str | None, Query(max_length=300, description="Current occupation: URI or name")] = None,
    skill: Annotated[list[str] | None, Query(description="Skills held (ESCO URIs)")] = None,
    near: Annotated[str | None, Query(max_length=100, description="Comune: name or ISTAT code")] = None,
    km: Annotated[float, Query(ge=1, le=500)] = 50,
    size: Annotated[int, Query(ge=1, le=100)] = 10,
) -> Response:
    """The target's essential skills not held, and the catalogue's courses that teach them (near a comune),
    by coverage, hours and start date."""
    try:
        return _json(orientation.plan(request.app.state.engine, target=target, current=current,
                                      held_skills=skill or [], near=near, km=km, size=size))
    except service.InvalidQuery as exc:
        raise HTTPException(422, detail=str(exc)) from None
