"""The catalogue's logic for the API, the pages and the CLI: search, one course, publishing, skill
confirmation. No HTTP here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from regia.catalog import search as search_mod
from regia.catalog.ingest import IngestReport, ingest_items, load_places
from regia.catalog.models import ORIGIN_PROVIDER, Course, CourseSkill, Provider, utcnow
from regia.catalog.search import Query, Results
from regia.catalog.tagging import Tagger, collections
from regia.db import session_scope
from regia.i18n import N_, gettext
from regia.taxonomy.models import OCCUPATION, SKILL, Concept, Label
from regia.taxonomy.normalize import fold

ESCO_PREFIX = "http://data.europa.eu/esco/"


class InvalidQuery(ValueError):
    """A query the catalogue cannot answer: an English message (logs, API ``detail``), and the ``key`` /
    ``params`` of the same message in the page language (:func:`query_message`)."""

    def __init__(self, message: str, *, key: str | None = None, **params: str) -> None:
        super().__init__(message)
        self.key, self.params = key, params


def query_message(exc: InvalidQuery, lang: str) -> str:
    """What a page shows for ``exc``: its message in ``lang`` (the English text when it has no key)."""
    if exc.key:
        return gettext(exc.key, lang, **exc.params)
    return str(exc) if lang == "en" else gettext("catalog.err.query", lang)


class NotFound(LookupError):
    pass


class Forbidden(PermissionError):
    pass


UNKNOWN_KEYS = {OCCUPATION: N_("catalog.err.unknown_occupation"), SKILL: N_("catalog.err.unknown_skill")}
UNNAMED_KEYS = {OCCUPATION: N_("catalog.err.no_occupation_named"), SKILL: N_("catalog.err.no_skill_named")}


def resolve_concept(session: Session, value: str, ctype: str) -> str:
    """An ESCO URI of type ``ctype`` from a URI or a name (the best label match in the taxonomy)."""
    value = value.strip()
    if value.startswith(("http://", "https://")):
        uri = value.replace("https://", "http://")
        if session.scalar(select(Concept.id).where(Concept.uri == uri, Concept.type == ctype)) is None:
            raise InvalidQuery(f"unknown ESCO {ctype} {value!r}", key=UNKNOWN_KEYS[ctype], value=value)
        return uri
    from regia.taxonomy import service as taxonomy

    names = _names(session, ctype)
    if (exact := names.get(_name_key(value))) is not None:
        return exact
    hits = taxonomy.search(session.get_bind(), session, value, types=[ctype], limit=1)  # type: ignore[arg-type]
    if not hits:
        raise InvalidQuery(f"no ESCO {ctype} named like {value!r}", key=UNNAMED_KEYS[ctype], value=value)
    return hits[0].id


def _name_key(text: str) -> str:
    return " ".join(fold(text).split())


_name_cache: dict[tuple[str, str], dict[str, str]] = {}


def _names(session: Session, ctype: str) -> dict[str, str]:
    """Folded names (each gender form of ESCO's "saldatore/saldatrice") -> URI, preferred labels first;
    loaded once per database and concept type."""
    key = (session.get_bind().url.render_as_string(hide_password=False), ctype)
    if key not in _name_cache:
        ranked: dict[str, tuple[bool, str]] = {}
        for uri, kind, text in session.execute(
                select(Concept.uri, Label.kind, Label.text).join(Label, Label.concept_id == Concept.id)
                .where(Concept.type == ctype, Label.kind.in_(["preferred", "alternative"]))):
            if not uri:
                continue
            for part in text.split("/"):
                name, rank = _name_key(part), (kind != "preferred", uri)
                if name and (name not in ranked or rank < ranked[name]):
                    ranked[name] = rank
        _name_cache[key] = {name: uri for name, (_, uri) in ranked.items()}
    return _name_cache[key]


def resolve_skill(engine: Engine, value: str) -> str:
    """An ESCO skill URI from a URI or a name (the best match), for the skills form."""
    with Session(engine) as session:
        return resolve_concept(session, value, SKILL)


def suggest_skills(engine: Engine, text: str, *, lang: str = "it", exclude_course: int | None = None,
                   limit: int = 8) -> list[dict[str, Any]]:
    """Skills of the taxonomy named like ``text``, best first (``uri``, ``label``, ``score``), without those
    the course ``exclude_course`` already has."""
    from regia.taxonomy import service as taxonomy

    if len(text.strip()) < 2:
        return []
    with Session(engine) as session:
        held = set(session.scalars(select(CourseSkill.uri).where(CourseSkill.course_id == exclude_course))) \
            if exclude_course else set()
        hits = taxonomy.search(engine, session, text, lang=lang, types=[SKILL], limit=limit + len(held))
    return [{"uri": h.id, "label": h.label, "score": h.score} for h in hits if h.id not in held][:limit]


def search(engine: Engine, query: Query, *, page: int = 1, size: int = 20, facets: bool = True) -> Results:
    index = search_mod.current(engine)
    if index is not None and not query.occupation and not query.skills:  # served by the index alone
        return index.search(query, page=page, size=size, facets=facets)
    with Session(engine) as session:
        if query.occupation:
            query.occupation = resolve_concept(session, query.occupation, OCCUPATION)
        query.skills = [resolve_concept(session, s, SKILL) for s in query.skills]
        index = search_mod.current(engine) or search_mod.index_for(engine, session)
        return index.search(query, page=page, size=size, session=session, facets=facets)


def course_detail(engine: Engine, course_id: int, *, lang: str = "it") -> dict[str, Any]:
    from regia.taxonomy.service import preferred_labels

    with Session(engine) as session:
        course = session.get(Course, course_id)
        if course is None:
            raise NotFound(f"no course {course_id}")
        uris = [s.uri for s in course.skills] + [o.uri for o in course.occupations]
        ids = {u: i for u, i in session.execute(select(Concept.uri, Concept.id).where(Concept.uri.in_(uris)))}
        labels = preferred_labels(session, ids.values(), lang)
        places = load_places(session) if course.editions else None

        def label(uri: str) -> str:
            return labels.get(ids.get(uri, -1), uri)

        return {
            "id": course.id, "title": course.title, "description": course.description,
            "provider": {"id": course.provider.id, "name": course.provider.name, "vat": course.provider.vat},
            "course_code": course.course_code, "hours": course.hours, "modality": course.modality,
            "cost_eur": course.cost_eur, "eqf_level": course.eqf_level, "certification": course.certification,
            "digital": course.digital, "green": course.green,
            "targets": [t.target for t in course.targets],
            "funding": [f"fondo:{f.fund}" if f.channel == "fondo" else f.channel for f in course.funding],
            "editions": [{"id": e.id, "start_date": e.start_date, "end_date": e.end_date, "seats": e.seats,
                          "comune": e.comune, "comune_name": places.by_code.get(e.comune, ("", ""))[0]
                          if places and e.comune else None, "nuts3": e.nuts3, "sources": e.sources}
                         for e in course.editions],
            "skills": sorted(({"uri": s.uri, "label": label(s.uri), "origin": s.origin, "score": s.score,
                               "confirmed": s.confirmed} for s in course.skills),
                             key=lambda x: (not x["confirmed"], -float(x["score"]), x["label"])),
            "occupations": [{"uri": o.uri, "label": label(o.uri), "origin": o.origin, "score": o.score}
                            for o in course.occupations],
            "sources": [{"source": s.source, "key": s.source_key, "match": s.match, "match_score": s.match_score,
                         "first_seen": s.first_seen, "last_seen": s.last_seen} for s in course.sources],
            "history": [{"source": v.source, "created_at": v.created_at, "changes": v.changes}
                        for v in course.versions],
        }


def publish(engine: Engine, records: Iterable[dict[str, object]], *, source: str, tagger: Tagger | None,
            provider_vat: str | None = None) -> IngestReport:
    """Publish records sent through the API. ``provider_vat``: when given (a provider's account), every
    record must be that provider's; the others are rejected (a provider publishes only its own courses)."""
    from regia.catalog.validation import Invalid, validate_tax_id

    items: list[Any] = []
    for i, values in enumerate(records, start=1):
        raw = repr(values)[:2000]
        if provider_vat is not None:
            try:
                vat = validate_tax_id(str(values.get("provider_vat") or ""))
            except Invalid:
                vat = ""
            if vat and vat != provider_vat:
                from regia.importing.csvfile import BadRow

                items.append(BadRow(i, f"provider_vat {vat} is not the publishing provider's ({provider_vat})", raw))
                continue
        items.append((i, {str(k).lower(): v for k, v in values.items()}, raw))
    with session_scope(engine) as session:
        report = ingest_items(session, items, source=source, file="api", places=load_places(session), tagger=tagger)
    search_mod.invalidate(engine)
    return report


def confirm_skills(engine: Engine, course_id: int, *, confirm: list[str], remove: list[str],
                   provider_vat: str | None = None) -> dict[str, Any]:
    """The provider confirms classifier tags (or adds skills) and removes wrong ones."""
    with session_scope(engine) as session:
        course = session.get(Course, course_id)
        if course is None:
            raise NotFound(f"no course {course_id}")
        if provider_vat is not None and course.provider.vat != provider_vat:
            raise Forbidden("a provider edits only its own courses")
        held = {s.uri: s for s in course.skills}
        for uri in remove:
            if uri in held:
                course.skills.remove(held.pop(uri))
        for uri in confirm:
            uri = uri.replace("https://", "http://")
            if uri in held:
                held[uri].confirmed = True
                continue
            if session.scalar(select(Concept.id).where(Concept.uri == uri, Concept.type == SKILL)) is None:
                raise InvalidQuery(f"unknown ESCO skill {uri!r}")
            held[uri] = CourseSkill(uri=uri, origin=ORIGIN_PROVIDER, score=1.0, confirmed=True)
            course.skills.append(held[uri])
        colls = collections(session)
        course.digital = bool(set(held) & colls["digital"])
        course.green = bool(set(held) & colls["green"])
        course.updated_at = utcnow()
    search_mod.invalidate(engine)
    return course_detail(engine, course_id)


@dataclass(frozen=True)
class CourseOwner:
    """Who owns a course, for the access policy (``can(p, WRITE, Resource.CATALOG, owner)``): the course, its
    provider's partita IVA / codice fiscale, and the organisations (accounts) that carry one of them."""

    course_id: int
    provider_vat: str | None
    organisation_ids: tuple[int, ...]


def course_owner(engine: Engine, course_id: int) -> CourseOwner | None:
    """The owner of a course (None: no such course). Courses name their provider by partita IVA or codice
    fiscale; the organisations whose ``vat_number`` or ``tax_code`` equals one of them own it."""
    from regia.auth import service as accounts

    with Session(engine) as session:
        row = session.execute(select(Provider.vat, Provider.tax_code).join(Course, Course.provider_id == Provider.id)
                              .where(Course.id == course_id)).first()
        if row is None:
            return None
        ids = set()
        for code in {c for c in row if c}:
            org = accounts.find_organisation(session, code)
            if org is not None and code in (org.vat_number, org.tax_code):
                ids.add(org.id)
        return CourseOwner(course_id=course_id, provider_vat=row.vat, organisation_ids=tuple(sorted(ids)))


def count(engine: Engine) -> int:
    from sqlalchemy import func

    with Session(engine) as session:
        return session.scalar(select(func.count(Course.id))) or 0


def course_titles(engine: Engine, ids: Iterable[int]) -> dict[int, str]:
    """The titles of these courses (those that exist), for pages that name a course by its number."""
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    with Session(engine) as session:
        return dict(session.execute(select(Course.id, Course.title).where(Course.id.in_(wanted))).all())
