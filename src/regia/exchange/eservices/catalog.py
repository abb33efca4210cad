"""E-service ``catalog`` v1: the shared course catalogue — courses (with their skills, occupations, targets and
funding channels) and editions, each with a change feed; publishing courses once (through
``regia.catalog.service.publish``: a course already held is recognised by its natural key, provider's partita
IVA + course code, and merged, never duplicated).

Records are read in the writer's transaction (the capture snapshots what it has just written), so they are
built here from the catalogue's tables with plain selects rather than through ``catalog.service`` (which opens
sessions of its own).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from regia.auth import service as accounts
from regia.auth.models import OrgType
from regia.auth.policy import WRITE
from regia.auth.principal import SYSTEM, Principal, client_principal
from regia.catalog import service as catalog
from regia.catalog.models import (
    Course,
    CourseFunding,
    CourseOccupation,
    CourseSkill,
    CourseTarget,
    Edition,
    Provider,
)
from regia.db import session_factory
from regia.exchange import idempotency
from regia.exchange.errors import forbidden
from regia.exchange.feeds import chunks, int_keys
from regia.exchange.registry import REGISTRY, EService, FeedResource, LoadContext, Purpose, Tracked
from regia.exchange.security import ClientCall, client_call, exchange_settings
from regia.i18n import N_

COURSES = "catalog.courses"
EDITIONS = "catalog.editions"


class SkillTag(BaseModel):
    uri: str = Field(description="ESCO skill URI")
    origin: str = Field(description="provider (declared or confirmed) or classifier")
    confirmed: bool
    score: float


class OccupationTag(BaseModel):
    uri: str = Field(description="ESCO occupation URI")
    origin: str


class ProviderRef(BaseModel):
    vat: str | None = Field(description="Partita IVA (or codice fiscale) of the provider")
    name: str


class CourseRecord(BaseModel):
    """A course of the shared catalogue; its natural key is ``provider.vat`` + ``course_code``."""

    id: int = Field(description="Regia's identifier of the course (the feed's record key)")
    provider: ProviderRef
    course_code: str | None
    title: str
    description: str
    hours: float
    modality: str = Field(description="presenza, online or blended")
    cost_eur: float
    eqf_level: int | None
    certification: str | None
    digital: bool
    green: bool
    targets: list[str]
    funding: list[str] = Field(description="regione, fse+, impresa or fondo:<Fund's name>")
    skills: list[SkillTag]
    occupations: list[OccupationTag]


class EditionRecord(BaseModel):
    """One run of a course: dates, seats and place (ISTAT comune code and NUTS3; none when online)."""

    id: int
    course_id: int
    start_date: date | None
    end_date: date | None
    seats: int
    comune: str | None
    nuts3: str | None


COURSE_EXAMPLE = {
    "id": 42, "provider": {"vat": "09000000019", "name": "Ente di formazione di prova"}, "course_code": "SALD-01",
    "title": "Saldatura a filo", "description": "Tecniche di saldatura MIG/MAG", "hours": 120.0,
    "modality": "presenza", "cost_eur": 0.0, "eqf_level": 3, "certification": None, "digital": False,
    "green": False, "targets": ["disoccupati"], "funding": ["fondo:Fondimpresa", "regione"],
    "skills": [{"uri": "http://data.europa.eu/esco/skill/5b4b2b6e-1b7c-4b3e-9b44-6c8f3f6b7a0e",
                "origin": "provider", "confirmed": True, "score": 1.0}],
    "occupations": []}
EDITION_EXAMPLE = {"id": 7, "course_id": 42, "start_date": "2027-03-01", "end_date": "2027-05-31", "seats": 15,
                   "comune": "015146", "nuts3": "ITC4C"}


def load_courses(ctx: LoadContext, keys: list[str] | None) -> dict[str, dict[str, Any]]:
    s = ctx.session
    ids = int_keys(keys)
    base = select(Course.id, Course.course_code, Course.title, Course.description, Course.hours, Course.modality,
                  Course.cost_eur, Course.eqf_level, Course.certification, Course.digital, Course.green,
                  Provider.vat, Provider.name).join(Provider, Provider.id == Course.provider_id).order_by(Course.id)
    parts = [base] if ids is None else [base.where(Course.id.in_(p)) for p in chunks(ids)]
    out: dict[int, dict[str, Any]] = {}
    for query in parts:
        for r in s.execute(query):
            out[r.id] = {"id": r.id, "provider": {"vat": r.vat, "name": r.name}, "course_code": r.course_code,
                         "title": r.title, "description": r.description, "hours": r.hours, "modality": r.modality,
                         "cost_eur": r.cost_eur, "eqf_level": r.eqf_level, "certification": r.certification,
                         "digital": r.digital, "green": r.green, "targets": [], "funding": [], "skills": [],
                         "occupations": []}
    if not out:
        return {}
    found = sorted(out)
    children: dict[str, Any] = {
        "targets": select(CourseTarget.course_id, CourseTarget.target),
        "funding": select(CourseFunding.course_id, CourseFunding.channel, CourseFunding.fund),
        "skills": select(CourseSkill.course_id, CourseSkill.uri, CourseSkill.origin, CourseSkill.confirmed,
                         CourseSkill.score),
        "occupations": select(CourseOccupation.course_id, CourseOccupation.uri, CourseOccupation.origin),
    }
    model: dict[str, Any] = {"targets": CourseTarget, "funding": CourseFunding, "skills": CourseSkill,
                             "occupations": CourseOccupation}
    for name, query in children.items():
        table = model[name]
        for part in ([None] if ids is None else list(chunks(found))):
            q = query if part is None else query.where(table.course_id.in_(part))
            for r in s.execute(q):
                record = out.get(r.course_id)
                if record is None:
                    continue
                if name == "targets":
                    record["targets"].append(r.target)
                elif name == "funding":
                    record["funding"].append(f"fondo:{r.fund}" if r.channel == "fondo" else r.channel)
                elif name == "skills":
                    record["skills"].append({"uri": r.uri, "origin": r.origin, "confirmed": bool(r.confirmed),
                                             "score": round(float(r.score), 4)})
                else:
                    record["occupations"].append({"uri": r.uri, "origin": r.origin})
    for record in out.values():
        record["targets"].sort()
        record["funding"].sort()
        record["skills"].sort(key=lambda x: x["uri"])
        record["occupations"].sort(key=lambda x: x["uri"])
    return {str(k): v for k, v in out.items()}


def load_editions(ctx: LoadContext, keys: list[str] | None) -> dict[str, dict[str, Any]]:
    ids = int_keys(keys)
    base = select(Edition.id, Edition.course_id, Edition.start_date, Edition.end_date, Edition.seats,
                  Edition.comune, Edition.nuts3).order_by(Edition.id)
    parts = [base] if ids is None else [base.where(Edition.id.in_(p)) for p in chunks(ids)]
    return {str(r.id): {"id": r.id, "course_id": r.course_id, "start_date": r.start_date, "end_date": r.end_date,
                        "seats": r.seats, "comune": r.comune, "nuts3": r.nuts3}
            for query in parts for r in ctx.session.execute(query)}


# --- publishing ------------------------------------------------------------------------------------------------

class CourseIn(BaseModel):
    """One course edition to publish, with the columns of the catalogue's CSV format."""

    provider_name: str = Field(max_length=300)
    provider_vat: str = Field(max_length=32, description="Partita IVA or codice fiscale of the provider")
    course_code: str | None = Field(default=None, max_length=120)
    title: str = Field(max_length=500)
    description: str | None = Field(default=None, max_length=20000)
    hours: float | str
    modality: str = Field(max_length=40, description="presenza, online or blended (and usual aliases)")
    comune: str | None = Field(default=None, max_length=120, description="ISTAT code or name; none when online")
    start_date: str | None = Field(default=None, max_length=40)
    end_date: str | None = Field(default=None, max_length=40)
    seats: int | str | None = None
    cost_eur: float | str | None = None
    funding: str | None = Field(default=None, max_length=300, description="regione, fse+, impresa, fondo:<name>")
    targets: str | None = Field(default=None, max_length=300, description="';'-separated target groups")
    eqf_level: int | str | None = None
    certification: str | None = Field(default=None, max_length=500)
    skills: str | None = Field(default=None, max_length=20000, description="';'-separated ESCO skill URIs")
    occupations: str | None = Field(default=None, max_length=20000, description="';'-separated ESCO occupation URIs")


class PublishIn(BaseModel):
    courses: list[CourseIn] = Field(min_length=1, max_length=2000)


class PublishOut(BaseModel):
    read: int
    stored: int = Field(description="Records that added a course or an edition")
    duplicate: int = Field(description="Records recognised as editions already held (merged)")
    rejected: int
    rejections: list[str] = Field(description="Line (1 = first record), field and reason of each rejection")
    course_ids: list[int]


PUBLISH_EXAMPLE = {"courses": [{
    "provider_name": "Ente di formazione di prova", "provider_vat": "09000000019", "course_code": "SALD-01",
    "title": "Saldatura a filo", "description": "Tecniche di saldatura MIG/MAG", "hours": 120,
    "modality": "presenza", "comune": "015146", "start_date": "2027-03-01", "end_date": "2027-05-31",
    "seats": 15, "funding": "fondo:Fondimpresa", "targets": "disoccupati"}]}

router = APIRouter(tags=["catalog"])


def _publisher(request: Request, call: ClientCall) -> Principal:
    """The client's organisation as the publisher: its system publishes what the organisation's editors may (the
    catalogue's policy: a provider its own courses, a Fund those it finances, the Region any), under the name
    the catalogue gives that organisation's publications (:func:`regia.catalog.service.source_of`)."""
    organisation_id = call.grant.organisation_id
    if organisation_id is not None:
        with session_factory(request.app.state.engine)() as session:
            org = accounts.get_organisation(session, principal=SYSTEM, id=organisation_id)
            if org.type in (OrgType.REGION, OrgType.FUND, OrgType.PROVIDER):
                return client_principal(org.id, org.type, label=f"client:{call.grant.client_id}")
    raise forbidden("purpose_not_allowed", "only the systems of a provider, a Fund or the Region publish courses")


@router.post("/catalog/courses", response_model=PublishOut, summary="Publish courses (once-only)",
             openapi_extra={"requestBody": {"content": {"application/json": {"example": PUBLISH_EXAMPLE}}}},
             responses={200: {"content": {"application/json": {"example": {
                 "read": 1, "stored": 1, "duplicate": 0, "rejected": 0, "rejections": [], "course_ids": [42]}}}}})
async def publish(request: Request, body: PublishIn,
                  call: Annotated[ClientCall, Depends(client_call(WRITE, COURSES))],
                  idempotency_key: Annotated[str | None, Header(alias=idempotency.HEADER, max_length=200)] = None,
                  ) -> Any:
    """Course editions as in the catalogue's CSV format. A course already held — sent again, or by another
    source — is recognised by its natural key and merged, not duplicated; re-posting with the same
    `Idempotency-Key` answers the first answer again (`Idempotent-Replayed: true`). A provider's system
    publishes only its own courses. Needs INTEGRITY_REST_01 (`Digest` and `Agid-JWT-Signature`)."""
    raw = await request.body()
    settings = exchange_settings(request)

    def work() -> tuple[int, dict[str, Any]]:
        publisher = _publisher(request, call)
        records = [c.model_dump(exclude_none=True) for c in body.courses]
        tagger = getattr(request.app.state, "catalog_tagger", None)
        report = catalog.publish(request.app.state.engine, records, principal=publisher, tagger=tagger)
        call.state.touched(COURSES, [str(i) for i in report.course_ids])
        return 200, PublishOut(**report.counts(), rejections=[str(r) for r in report.rejections],
                               course_ids=report.course_ids).model_dump()

    return await run_in_threadpool(idempotency.run, request.app.state.engine, client_id=call.grant.client_id,
                                   key=idempotency_key, method=request.method, path=request.url.path, body=raw,
                                   ttl=settings.idempotency_ttl, work=work)


def _publish_rows(course: dict[str, Any], editions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A course record (and its editions) as rows of the catalogue's format: one per edition, and one more per
    further funding channel (a row carries one)."""
    funding = course.get("funding") or [""]
    base = {"provider_name": course["provider"]["name"], "provider_vat": course["provider"]["vat"] or "",
            "course_code": course.get("course_code") or "", "title": course["title"],
            "description": course.get("description") or "", "hours": course["hours"],
            "modality": course["modality"], "cost_eur": course.get("cost_eur") or 0,
            "eqf_level": course.get("eqf_level"), "certification": course.get("certification") or "",
            "targets": ";".join(course.get("targets") or []), "funding": funding[0],
            "skills": ";".join(s["uri"] for s in course.get("skills") or [] if s.get("origin") == "provider"
                               or s.get("confirmed")),
            "occupations": ";".join(o["uri"] for o in course.get("occupations") or []
                                    if o.get("origin") == "provider")}
    rows = []
    choices: list[dict[str, Any] | None] = [*editions] or [None]
    for edition in choices:
        row = dict(base)
        if edition is not None:
            row.update(comune=edition.get("comune") or "", start_date=edition.get("start_date") or "",
                       end_date=edition.get("end_date") or "", seats=edition.get("seats") or 0)
        rows.append(row)
    rows += [dict(rows[0], funding=f) for f in funding[1:]]
    return [{k: v for k, v in r.items() if v is not None} for r in rows]


def import_records(engine: Any, records: dict[str, Any], *, source: str, tagger: Any = None) -> dict[str, Any]:
    """Courses of a bulk package (with their editions when the package has them) published once-only, by the
    operator who imports the package (its signature is verified first: regia.exchange.bulk)."""
    editions: dict[int, list[dict[str, Any]]] = {}
    for _, edition in records.get(EDITIONS, ()):
        editions.setdefault(int(edition["course_id"]), []).append(edition)
    rows = [row for _, course in records.get(COURSES, ()) for row in _publish_rows(course, editions.get(
        int(course["id"]), []))]
    totals = {"read": 0, "stored": 0, "duplicate": 0, "rejected": 0}
    rejections: list[str] = []
    for part in chunks(rows, 2000):
        report = catalog.publish(engine, part, principal=SYSTEM, source=source, tagger=tagger)
        for k, v in report.counts().items():
            totals[k] += v
        rejections += [str(r) for r in report.rejections]
    return {**totals, "rejections": rejections[:100]}


SYNC = Purpose("catalog-sync", N_("exchange.purpose.catalog-sync"), N_("exchange.purpose.catalog-sync.text"),
               reads=frozenset({COURSES, EDITIONS}))
PUBLISH = Purpose("catalog-publish", N_("exchange.purpose.catalog-publish"),
                  N_("exchange.purpose.catalog-publish.text"), reads=frozenset({COURSES, EDITIONS}),
                  writes=frozenset({COURSES}))


def _courses_of_providers(session: Session, provider_ids: set[Any]) -> set[str]:
    """A provider's name appears in each of its courses."""
    ids = sorted(int(v) for v in provider_ids)
    return {str(cid) for part in chunks(ids)
            for cid in session.scalars(select(Course.id).where(Course.provider_id.in_(part)))}


ESERVICE = REGISTRY.add(EService(
    name="catalog", title="Shared course catalogue",
    description="Courses, editions and the skills they teach, published once and read by every Fund and the "
                "Region.",
    resources=(
        FeedResource(COURSES, "/catalog/courses", "Courses", CourseRecord, load_courses,
                     tracked=(Tracked(Course, "id"), Tracked(Provider, "id", _courses_of_providers),
                              Tracked(CourseTarget, "course_id"),
                              Tracked(CourseFunding, "course_id"), Tracked(CourseSkill, "course_id"),
                              Tracked(CourseOccupation, "course_id")),
                     example=COURSE_EXAMPLE),
        FeedResource(EDITIONS, "/catalog/editions", "Course editions", EditionRecord, load_editions,
                     tracked=(Tracked(Edition, "id"),), example=EDITION_EXAMPLE),
    ),
    purposes=(SYNC, PUBLISH),
    router=router,
    importer=import_records,
))
