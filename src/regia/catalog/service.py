"""The catalogue's logic for the API, the pages and the CLI: search, one course, publishing, skill
confirmation. No HTTP here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from regia.auth import errors
from regia.auth.models import OrgType
from regia.auth.policy import EDITING, REGION_STAFF, WRITE, Resource, can
from regia.auth.principal import Principal
from regia.catalog import search as search_mod
from regia.catalog.ingest import IngestReport, ingest_items, load_places
from regia.catalog.models import ORIGIN_PROVIDER, Course, CourseSkill, CourseTarget, Edition, Provider, utcnow
from regia.catalog.search import Query, Results
from regia.catalog.tagging import Tagger, collections
from regia.catalog.validation import CourseRecord
from regia.db import session_scope
from regia.i18n import N_, gettext
from regia.importing.checkpoint import Checkpoint
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


@dataclass(frozen=True)
class Publication:
    """What the policy decides a published record on (``can(principal, WRITE, Resource.CATALOG, obj)``): the
    organisations that are its provider (by partita IVA / codice fiscale) and the Funds financing it (its
    ``fondo:NAME`` names a Fund organisation)."""

    provider_ids: tuple[int, ...]
    funder_ids: tuple[int, ...]


class Publishers:
    """Who publishes a course record: its provider's and its Fund's organisations (looked up once per
    import), and the policy's verdict for one principal."""

    def __init__(self, session: Session, principal: Principal) -> None:
        from regia.auth.models import Organisation, OrgType
        from regia.catalog.matching import key_text

        self.principal = principal
        self.by_code: dict[str, list[int]] = {}
        self.funds: list[tuple[str, int]] = []
        for org_id, org_type, vat, tax_code, name in session.execute(select(
                Organisation.id, Organisation.type, Organisation.vat_number, Organisation.tax_code,
                Organisation.name).where(Organisation.type.in_((OrgType.PROVIDER, OrgType.FUND)))):
            if org_type == OrgType.PROVIDER:
                for code in {c for c in (vat, tax_code) if c}:
                    self.by_code.setdefault(code.upper(), []).append(org_id)
            else:
                self.funds.append((key_text(name), org_id))
        self._key_text = key_text

    def of(self, rec: CourseRecord) -> Publication:
        fund = self._key_text(rec.funding.fund) if rec.funding is not None and rec.funding.channel == "fondo" else ""
        funders = tuple(org for key, org in self.funds if fund and (key == fund or key.startswith(fund + " ")))
        return Publication(tuple(self.by_code.get(rec.provider_vat.upper(), ())), funders)

    def check(self, rec: CourseRecord) -> tuple[str, str] | None:
        """None when the principal may publish the record; else its field and the reason."""
        if can(self.principal, WRITE, Resource.CATALOG, self.of(rec)):
            return None
        if self.principal.has(types=(OrgType.FUND,)):
            return "funding", (f"a Fund publishes the courses it finances (funding fondo:<its name>), not "
                               f"{rec.funding or 'no funding'}")
        return "provider_vat", f"provider_vat {rec.provider_vat} is not the publishing provider's"


def source_of(session: Session, principal: Principal) -> str:
    """The source name of what ``principal`` publishes: the Region's, else its provider's or Fund's name."""
    from regia.auth import service as accounts

    if principal.is_system or principal.has(roles=REGION_STAFF, types=(OrgType.REGION,)):
        return REGION_SOURCE
    for types in ((OrgType.PROVIDER,), (OrgType.FUND,)):
        for org_id in sorted(principal.org_ids(*EDITING, types=types)):
            return accounts.get_organisation(session, principal=principal, id=org_id).name
    raise errors.Forbidden("only providers, Funds and the Region publish courses")


def publish(engine: Engine, records: Iterable[dict[str, object]], *, principal: Principal,
            tagger: Tagger | None, source: str | None = None) -> IngestReport:
    """Publish records sent through the API, under the publisher's name (:func:`source_of`, unless ``source``
    names it); a record the principal may not publish (the policy: a provider its own courses, a Fund those it
    finances) is rejected with the reason, like an invalid one."""
    items = [(i, {str(k).lower(): v for k, v in values.items()}, repr(values)[:2000])
             for i, values in enumerate(records, start=1)]
    with session_scope(engine) as session:
        source = source or source_of(session, principal)
        publishers = Publishers(session, principal)
        report = ingest_items(session, items, source=source, file="api", places=load_places(session), tagger=tagger,
                              check=publishers.check)
    search_mod.invalidate(engine)
    return report


IMPORT_LABEL = N_("catalog.import.label")
IMPORT_HINT = N_("catalog.import.hint")
REGION_SOURCE = "regione-lombardia"  # the source name of what the Region's staff publish


def import_file(engine: Engine, path: Path, *, principal: Principal, file_name: str, checkpoint: Checkpoint,
                tagger: Tagger | None = None) -> None:
    """Import an uploaded course file (the ``catalog`` kind of ``regia.jobs``): resumable batches, the rows the
    uploader may not publish rejected with their reason (:func:`publish`'s rule), new courses tagged by the
    classifier when the taxonomy is loaded."""
    from regia.catalog.ingest import ingest_batches

    with session_scope(engine) as session:
        source = source_of(session, principal)
        publishers = Publishers(session, principal)
    try:
        ingest_batches(engine, path, source=source, file=file_name, tagger=tagger or _tagger(engine),
                       check=publishers.check, checkpoint=checkpoint)
    finally:
        search_mod.invalidate(engine)


_taggers: dict[int, Tagger | None] = {}


def _tagger(engine: Engine) -> Tagger | None:
    """The classifier's tagger of this engine's taxonomy, made once per process (it loads the index)."""
    if id(engine) not in _taggers:
        from regia.catalog.tagging import make_tagger
        from regia.config import get_settings

        _taggers[id(engine)] = make_tagger(engine, get_settings().data_dir / "classify")
    return _taggers[id(engine)]


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


def edition_supply(engine: Engine, *, years: Iterable[int], hourly_cost: float = 15.0) -> list[dict[str, Any]]:
    """Seats and cost per participant of the catalogue's editions held in a province, per (NUTS3, catalogue
    target, skill area, year of the start date): the supply a programming scenario starts from.

    The area of a course: ``digital`` or ``green`` (its ESCO collection flags), else ``transversal`` when it
    teaches a skill of ESCO's transversal collection, else ``sector``. The cost per participant is the course's
    own ``cost_eur`` when it has one, else its hours at ``hourly_cost`` € (a standard unit cost per
    hour and participant); the row's ``cost`` is the seat-weighted mean."""
    from collections import defaultdict

    wanted = set(years)
    with Session(engine) as session:
        transversal = collections(session, ("transversal",))["transversal"]
        teaches = defaultdict(set)
        if transversal:
            for cid, uri in session.execute(select(CourseSkill.course_id, CourseSkill.uri)):
                if uri in transversal:
                    teaches[cid].add(uri)
        rows = session.execute(
            select(Edition.nuts3, Edition.start_date, Edition.seats, Course.id, Course.hours, Course.cost_eur,
                   Course.digital, Course.green)
            .join(Course, Course.id == Edition.course_id).where(Edition.nuts3.is_not(None))).all()
        targets = defaultdict(list)
        for cid, target in session.execute(select(CourseTarget.course_id, CourseTarget.target)):
            targets[cid].append(target)
    seats: dict[tuple[str, str, str, int], float] = defaultdict(float)
    euros: dict[tuple[str, str, str, int], float] = defaultdict(float)
    for nuts3, start, n, cid, hours, cost_eur, digital, green in rows:
        if start is None or start.year not in wanted or not n:
            continue
        area = "digital" if digital else "green" if green else "transversal" if teaches.get(cid) else "sector"
        unit = cost_eur if cost_eur and cost_eur > 0 else (hours or 0) * hourly_cost
        for target in targets.get(cid, ()):
            key = (nuts3, target, area, start.year)
            seats[key] += n
            euros[key] += n * unit
    return [{"nuts3": k[0], "target": k[1], "area": k[2], "year": k[3], "seats": seats[k],
             "cost": euros[k] / seats[k] if seats[k] else 0.0} for k in sorted(seats)]


@dataclass(frozen=True)
class CourseFacts:
    """What other domains need to know of a course: its title, provider, cost per participant and editions."""

    id: int
    title: str
    provider: str
    cost_eur: float
    edition_ids: tuple[int, ...]


def course_facts(engine: Engine, course_ids: Iterable[int] | None = None) -> dict[int, CourseFacts]:
    """Facts of the given courses (all when None), by id; unknown ids are left out."""
    from regia.catalog.models import Edition

    with Session(engine) as session:
        query = select(Course.id, Course.title, Provider.name, Course.cost_eur).join(
            Provider, Provider.id == Course.provider_id)
        editions = select(Edition.id, Edition.course_id)
        if course_ids is not None:
            ids = sorted(set(course_ids))
            query, editions = query.where(Course.id.in_(ids)), editions.where(Edition.course_id.in_(ids))
        by_course: dict[int, list[int]] = {}
        for eid, cid in session.execute(editions):
            by_course.setdefault(cid, []).append(eid)
        return {cid: CourseFacts(cid, title, provider, float(cost or 0.0), tuple(sorted(by_course.get(cid, ()))))
                for cid, title, provider, cost in session.execute(query)}


def territory_centroids(engine: Engine) -> dict[str, tuple[float, float]]:
    """(lat, lon) of every comune (ISTAT code) and province (NUTS3) with a boundary in the taxonomy (a comune
    without one gets its province's): what other domains use to estimate distances (``regia.catalog.geo``)."""
    from regia.catalog import geo

    return geo.centroids(engine)


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (lat, lon) points."""
    from regia.catalog import geo

    return geo.distance_km(a, b)


def course_titles(engine: Engine, ids: Iterable[int]) -> dict[int, str]:
    """The titles of these courses (those that exist), for pages that name a course by its number."""
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    with Session(engine) as session:
        return dict(session.execute(select(Course.id, Course.title).where(Course.id.in_(wanted))).all())
