"""REST API of the catalogue: search (public), one course (public), publishing and skill confirmation
(providers for their own courses, Funds publishing, the Region), orientation (public).

Writing routes are declared with ``require(WRITE, Resource.ACCOUNT)`` (any signed-in account) because the
policy module has no course resource yet; who may write *which* course is decided here, row by row:
a provider organisation's editors and administrators publish and edit only courses under their own partita
IVA / codice fiscale; a Fund's publish (under its name as the source); a Region administrator does both.
"""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from regia.auth.models import OrgType, Role
from regia.auth.policy import READ, WRITE, Resource, public, require
from regia.auth.principal import Principal
from regia.catalog import orientation, service
from regia.catalog.schemas import CourseOut, PublishIn, PublishOut, SearchOut, SkillsIn
from regia.catalog.search import BadQuery
from regia.catalog.search import Query as SearchQuery
from regia.catalog.search import index_for as search_index_for
from regia.db import request_session

SessionDep = Annotated[Session, Depends(request_session)]
Reader = Annotated[Principal, Depends(public(READ, "the catalogue is public"))]
Writer = Annotated[Principal, Depends(require(WRITE, Resource.ACCOUNT))]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Target = Literal["disoccupati", "occupati", "sospesi", "studenti", "apprendisti", "stranieri"]
Modality = Literal["presenza", "online", "blended"]
Channel = Literal["regione", "fse+", "fondo", "impresa"]
EDITORS = (Role.ADMIN, Role.EDITOR)

router = APIRouter(prefix="/api/catalog", tags=["catalog"])


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


@router.get("/courses", response_model=SearchOut, summary="Search the catalogue",
            responses={200: {"model": SearchOut}})
def search_courses(
    request: Request,
    _: Reader,
    q: Annotated[str, Query(max_length=200, description="Words, Italian or English")] = "",
    province: Annotated[list[str] | None, Query(description="Sigla (BS) or NUTS3 (ITC47), repeatable")] = None,
    target: Annotated[list[Target] | None, Query()] = None,
    modality: Annotated[list[Modality] | None, Query()] = None,
    funding: Annotated[list[Channel] | None, Query()] = None,
    fund: Annotated[list[str] | None, Query(description="A Fund's name (funding fondo:NAME)")] = None,
    digital: bool | None = None,
    green: bool | None = None,
    hours_min: Annotated[float | None, Query(ge=0)] = None,
    hours_max: Annotated[float | None, Query(ge=0)] = None,
    start_from: date | None = None,
    start_to: date | None = None,
    skill: Annotated[list[str] | None, Query(description="ESCO skill URI taught, repeatable")] = None,
    occupation: Annotated[str | None, Query(max_length=300, description="ESCO occupation URI or name: courses "
                                            "teaching its essential skills")] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
    facets: bool = True,
) -> Response:
    """Full text (Italian stemming, accents, ESCO label synonyms), facets and search by skill or occupation,
    best first; `facets` counts the matching courses per value."""
    engine = request.app.state.engine
    key = (search_index_for(engine).serial, "&".join(sorted(request.url.query.split("&"))))
    if (body := _cached(key)) is not None:
        return Response(body, media_type="application/json")
    query = SearchQuery(text=q, provinces=province or [], targets=list(target or []),
                        modalities=list(modality or []), funding=list(funding or []), funds=fund or [],
                        digital=digital, green=green, hours_min=hours_min, hours_max=hours_max,
                        start_from=start_from, start_to=start_to, skills=skill or [], occupation=occupation)
    try:
        results = service.search(engine, query, page=page, size=size, facets=facets)
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


def _publisher(session: Session, principal: Principal) -> tuple[str, str | None]:
    """(source name, the only provider VAT allowed or None for any) of a principal who may publish."""
    from regia.auth import service as auth

    if principal.is_region_admin:
        return "regione-lombardia", None
    for types, restrict in (((OrgType.PROVIDER,), True), ((OrgType.FUND,), False)):
        for org_id in sorted(principal.org_ids(*EDITORS, types=types)):
            org = auth.get_organisation(session, principal=principal, id=org_id)
            vat = org.vat_number or org.tax_code
            if restrict and not vat:
                continue
            return org.name, (vat if restrict else None)
    raise HTTPException(403, detail="only providers, Funds and the Region publish courses")


@router.post("/courses", response_model=PublishOut, summary="Publish courses (once-only)")
def publish(request: Request, body: PublishIn, session: SessionDep, principal: Writer) -> PublishOut:
    """Course editions as in the CSV format; a course already held (sent again, or by another source) is
    recognised and merged, not duplicated. A provider may publish only its own courses."""
    source, vat = _publisher(session, principal)
    tagger = getattr(request.app.state, "catalog_tagger", None)
    report = service.publish(request.app.state.engine, body.courses, source=source, tagger=tagger,
                             provider_vat=vat)
    return PublishOut(**report.counts(), rejections=[str(r) for r in report.rejections],
                      course_ids=report.course_ids)


@router.put("/courses/{course_id}/skills", response_model=CourseOut, summary="Confirm or remove skills taught")
def confirm_skills(request: Request, course_id: Id, body: SkillsIn, session: SessionDep,
                   principal: Writer) -> Response:
    """The course's provider confirms the classifier's skill tags, adds skills or removes wrong ones."""
    engine = request.app.state.engine
    owner = service.provider_of(engine, course_id)
    if owner is None:
        raise HTTPException(404, detail=f"No course {course_id}")
    if not principal.is_region_admin:
        _, vat = _publisher(session, principal)
        if vat != owner:
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
