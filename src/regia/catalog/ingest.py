"""Publishing into the catalogue once-only: read a course list, validate, recognise what is already held,
store the rest; rejected records go to the quarantine.

Counts are per record (one record = one course edition):

- ``read``: records found in the file;
- ``stored``: records that added a course, or a new edition of a course already held;
- ``duplicate``: records recognised as an edition already held (sent again, by the same source or by
  another one, with or without edits: edits are merged into the entry and kept in its history);
- ``rejected``: records that could not be read or failed validation (see ``regia.importing.quarantine``).

How a course is recognised is in ``matching``. What a second source changes: a *re-sent* record (same source,
same key) replaces the course's fields with the new ones; another source's record adds itself to the
course's sources, fills fields the entry lacks and adds targets, funding channels and skills, but does not
overwrite the title or description the course was first published with. Both are kept in the history
(``CourseVersion``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from regia.catalog import formats, matching
from regia.catalog.matching import CourseRef, EditionRef, Match, key_text
from regia.catalog.models import (
    ORIGIN_CLASSIFIER,
    ORIGIN_PROVIDER,
    Course,
    CourseFunding,
    CourseOccupation,
    CourseSkill,
    CourseSource,
    CourseTarget,
    CourseVersion,
    Edition,
    Provider,
    utcnow,
)
from regia.catalog.tagging import Tagger, collections
from regia.catalog.validation import CourseRecord, Funding, Invalid, Places, validate_record
from regia.importing.checkpoint import Batch, Checkpoint, NoCheckpoint
from regia.importing.csvfile import BadRow
from regia.importing.ledger import content_hash
from regia.importing.quarantine import Rejection, keep
from regia.taxonomy.models import Concept, Label

DOMAIN = "courses"
FLUSH_EVERY = 500
BATCH_SIZE = 500  # records per committed batch of a resumable import (the resume granularity)


@dataclass
class IngestReport:
    file: str
    source: str
    read: int = 0
    stored: int = 0
    duplicate: int = 0
    rejected: int = 0
    courses_new: int = 0
    courses_updated: int = 0
    editions_new: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    course_ids: list[int] = field(default_factory=list)  # courses touched, in order of first appearance

    def counts(self) -> dict[str, int]:
        return {"read": self.read, "stored": self.stored, "duplicate": self.duplicate, "rejected": self.rejected}

    def as_dict(self) -> dict[str, object]:
        out = asdict(self)
        out["rejections"] = [str(r) for r in self.rejections]
        out.pop("course_ids")
        return out


# ------------------------------------------------------------------------------------------- places
def load_places(session: Session) -> Places:
    """Comuni (ISTAT code -> name, NUTS3) from the taxonomy."""
    rows = session.execute(
        select(Concept.code, Concept.attrs, Label.text)
        .join(Label, Label.concept_id == Concept.id)
        .where(Concept.type == "territory", Concept.level == "comune", Label.kind == "preferred"))
    return Places({code: (name, (attrs or {}).get("nuts3") or "") for code, attrs, name in rows})


# ------------------------------------------------------------------------------------------- holdings
class Holdings:
    """What the catalogue already holds, loaded lazily per provider, updated as records are stored."""

    def __init__(self, session: Session, source: str) -> None:
        self.session = session
        self.source = source
        self.provider_by_vat: dict[str, Provider] = {}
        self.names: dict[str, list[int]] = {}
        for p in session.scalars(select(Provider)):
            self.provider_by_vat[p.vat or f"id:{p.id}"] = p
            self.names.setdefault(p.name_key, []).append(p.id)
        # source key -> (course id or the ref of a course created in this run, content hash)
        self.source_keys: dict[str, tuple[int | CourseRef, str]] = {
            key: (cid, digest) for key, cid, digest in session.execute(
                select(CourseSource.source_key, CourseSource.course_id, CourseSource.content_hash)
                .where(CourseSource.source == source))}
        # A source does not send one course under two keys: its other courses are not fuzzy candidates.
        self.source_course_ids: set[int] = {cid for cid, _ in self.source_keys.values() if isinstance(cid, int)}
        self.source_refs: set[CourseRef] = set()
        self._courses: dict[int, list[CourseRef]] = {}
        self._codes: dict[int, dict[str, CourseRef]] = {}
        self.refs: dict[int, CourseRef] = {}

    def courses_of(self, provider_id: int) -> list[CourseRef]:
        if provider_id not in self._courses:
            refs: dict[int, CourseRef] = {}
            for cid, code, title_key in self.session.execute(
                    select(Course.id, Course.course_code, Course.title_key).where(Course.provider_id == provider_id)):
                refs[cid] = CourseRef(cid, provider_id, code or "", title_key)
            if refs:
                for eid, cid, start, comune, nuts3 in self.session.execute(
                        select(Edition.id, Edition.course_id, Edition.start_date, Edition.comune, Edition.nuts3)
                        .join(Course, Course.id == Edition.course_id).where(Course.provider_id == provider_id)):
                    refs[cid].editions.append(EditionRef(eid, start, comune, nuts3))
            self._courses[provider_id] = list(refs.values())
            self._codes[provider_id] = {r.code: r for r in refs.values() if r.code}
            self.refs.update(refs)
        return self._courses[provider_id]

    def ref(self, held: int | CourseRef) -> CourseRef:
        if isinstance(held, CourseRef):
            return held
        if held not in self.refs:
            provider_id = self.session.scalar(select(Course.provider_id).where(Course.id == held))
            if provider_id is not None:
                self.courses_of(provider_id)
        return self.refs[held]

    def add(self, ref: CourseRef) -> None:
        self.courses_of(ref.provider_id).append(ref)
        if ref.code:
            self._codes[ref.provider_id].setdefault(ref.code, ref)

    def from_this_source(self, ref: CourseRef) -> bool:
        return ref in self.source_refs or (ref.course_id is not None and ref.course_id in self.source_course_ids)

    def match(self, source_key: str, rec: CourseRecord, rows: list[CourseRecord]) -> Match | None:
        known = self.source_keys.get(source_key)
        if known:
            return Match(self.ref(known[0]), "source_key", 1.0)
        provider = self.provider_by_vat.get(rec.provider_vat)
        if provider is not None and rec.course_code:
            self.courses_of(provider.id)
            ref = self._codes[provider.id].get(rec.course_code)
            if ref is not None:
                return Match(ref, "natural_key", 1.0)
        provider_ids = [provider.id] if provider is not None else []
        provider_ids += [pid for pid in matching.similar_names(key_text(rec.provider_name), self.names)
                         if pid not in provider_ids]
        candidates = [ref for pid in provider_ids for ref in self.courses_of(pid) if not self.from_this_source(ref)]
        return matching.best_fuzzy(candidates, key_text(rec.title), {r.comune for r in rows},
                                   {r.nuts3 for r in rows}, {r.start_date for r in rows if r.start_date})


# ------------------------------------------------------------------------------------------- ingest
def source_key(rec: CourseRecord) -> str:
    return f"{rec.provider_vat}|{rec.course_code}" if rec.course_code else f"{rec.provider_vat}|t:{key_text(rec.title)}"


Item = tuple[int, dict[str, object], str]  # (line, raw values, raw text)


# A check of a valid record before it is stored: None, or the (field, reason) of its rejection.
RecordCheck = Callable[[CourseRecord], tuple[str, str] | None]


class Ingest:
    def __init__(self, session: Session, *, source: str, file: str, places: Places, tagger: Tagger | None,
                 check: RecordCheck | None = None) -> None:
        self.session = session
        self.check = check
        self.source = source
        self.file = file
        self.places = places
        self.tagger = tagger
        self.holdings = Holdings(session, source)
        self.colls = collections(session)
        self.report = IngestReport(file=file, source=source)
        self._touched: dict[CourseRef, None] = {}
        self._new: list[NewCourse] = []
        self._pending: dict[CourseRef, NewCourse] = {}

    # -- reading and validation
    def run(self, items: Iterable[Item | BadRow], *, advance: Callable[[], None] | None = None) -> IngestReport:
        groups: dict[str, list[tuple[int, CourseRecord]]] = {}
        for item in items:
            self.report.read += 1
            if advance:
                advance()
            if isinstance(item, BadRow):
                self.reject(Rejection(self.file, item.line, item.reason, item.raw))
                continue
            line, values, raw = item
            try:
                rec = validate_record(values, self.places)
            except Invalid as exc:
                rid = f"{values.get('provider_vat', '')}|{values.get('course_code', '')}".strip("|") or None
                self.reject(Rejection(self.file, line, exc.reason, raw, exc.field, rid))
                continue
            refused = self.check(rec) if self.check is not None else None
            if refused is not None:
                self.reject(Rejection(self.file, line, refused[1], raw, refused[0],
                                      f"{rec.provider_vat}|{rec.course_code}".strip("|")))
                continue
            groups.setdefault(source_key(rec), []).append((line, rec))
        with self.session.no_autoflush:  # flushed in batches: autoflush before every lazy load costs more
            for n, (key, rows) in enumerate(groups.items(), start=1):
                self.store(key, [rec for _, rec in rows])
                if n % FLUSH_EVERY == 0:
                    self.session.flush()
            self.write_new()
        keep(self.session, domain=DOMAIN, source=self.source, rejections=self.report.rejections)
        self.session.flush()
        self.report.course_ids = [ref.id for ref in self._touched if ref.id is not None]
        return self.report

    def reject(self, rejection: Rejection) -> None:
        self.report.rejected += 1
        self.report.rejections.append(rejection)

    # -- storing one course (all its rows in this file)
    def store(self, key: str, rows: list[CourseRecord]) -> None:
        rec = rows[0]
        for other in rows[1:]:  # a course's rows may differ in funding and targets per edition
            rec.targets += [t for t in other.targets if t not in rec.targets]
        fundings = list(dict.fromkeys(r.funding for r in rows if r.funding))
        content = rec.course_content()
        content["funding"] = sorted(str(f) for f in fundings)
        digest = content_hash(content)
        match = self.holdings.match(key, rec, rows)
        if match is None:
            ref = self.create(rec, fundings, key, digest, content)
            self.holdings.add(ref)
            self.report.courses_new += 1
            for row in rows:
                self.new_edition(ref, row)
        else:
            ref = match.ref
            if ref.id is None:  # created earlier in this run, not yet written
                self.write_new()
            if ref.obj is None:
                ref.obj = self.session.get_one(Course, ref.id)
            course = ref.obj
            self.merge(course, key, rec, fundings, content, digest, match)
            for row in rows:
                self.edition(course, ref, row)
        self.holdings.source_keys[key] = (ref, digest)
        self.holdings.source_refs.add(ref)
        if ref not in self._touched:
            self._touched[ref] = None
        if len(self._new) >= FLUSH_EVERY:
            self.write_new()

    def provider(self, rec: CourseRecord) -> Provider:
        provider = self.holdings.provider_by_vat.get(rec.provider_vat)
        if provider is None:
            vat = rec.provider_vat
            provider = Provider(vat=vat, tax_code=vat if len(vat) == 11 else None, name=rec.provider_name,
                                name_key=key_text(rec.provider_name))
            self.session.add(provider)
            self.session.flush()
            self.holdings.provider_by_vat[vat] = provider
            self.holdings.names.setdefault(provider.name_key, []).append(provider.id)
        return provider

    def create(self, rec: CourseRecord, fundings: list[Funding], key: str, digest: str,
               content: dict[str, object]) -> CourseRef:
        """A new course, kept in memory until ``write_new`` inserts a batch of them (bulk inserts: the ORM's
        unit of work costs ~0.2 ms per row, and a course brings ~20 rows with its skills)."""
        provider = self.provider(rec)
        ref = CourseRef(None, provider.id, rec.course_code, key_text(rec.title))
        skills: dict[str, dict[str, object]] = {}
        for uri in rec.skills:
            skills[uri] = {"uri": uri, "origin": ORIGIN_PROVIDER, "score": 1.0, "confirmed": True}
        occupations: dict[str, dict[str, object]] = {
            uri: {"uri": uri, "origin": ORIGIN_PROVIDER, "score": 1.0} for uri in rec.occupations}
        if self.tagger is not None:
            tags = self.tagger.tags(rec.title, rec.description)
            for uri, score in tags.skills:
                skills.setdefault(uri, {"uri": uri, "origin": ORIGIN_CLASSIFIER, "score": round(score, 4),
                                        "confirmed": False})
            for uri, score in tags.occupations:
                occupations.setdefault(uri, {"uri": uri, "origin": ORIGIN_CLASSIFIER, "score": round(score, 4)})
        now = utcnow()
        row = {"provider_id": provider.id, "course_code": rec.course_code or None, "title": rec.title,
               "title_key": key_text(rec.title), "description": rec.description, "hours": rec.hours,
               "modality": rec.modality, "cost_eur": rec.cost_eur, "eqf_level": rec.eqf_level,
               "certification": rec.certification or None,
               "digital": bool(set(skills) & self.colls.get("digital", set())),
               "green": bool(set(skills) & self.colls.get("green", set())), "created_at": now, "updated_at": now}
        new = NewCourse(ref, row, list(rec.targets), [(f.channel, f.fund) for f in fundings], list(skills.values()),
                        list(occupations.values()),
                        {"source": self.source, "source_key": key, "content_hash": digest, "match": "new",
                         "first_seen": now, "last_seen": now},
                        {"source": self.source, "content_hash": digest, "data": _jsonable(content), "changes": [],
                         "created_at": now})
        self._new.append(new)
        self._pending[ref] = new
        return ref

    def new_edition(self, ref: CourseRef, rec: CourseRecord) -> None:
        new = self._pending[ref]
        for held in ref.editions:
            if matching.same_edition(held, rec.start_date, rec.comune):
                held.obj["seats"] = rec.seats
                held.obj["end_date"] = rec.end_date
                self.report.duplicate += 1
                return
        row = {"start_date": rec.start_date, "end_date": rec.end_date, "seats": rec.seats, "comune": rec.comune,
               "nuts3": rec.nuts3, "sources": [self.source]}
        ref.editions.append(EditionRef(None, rec.start_date, rec.comune, rec.nuts3, row))
        new.editions.append(ref.editions[-1])
        self.report.stored += 1
        self.report.editions_new += 1

    def write_new(self) -> None:
        """Insert the courses created since the last call, with everything that hangs on them."""
        if not self._new:
            return
        batch, self._new = self._new, []
        ids = self.session.scalars(insert(Course).returning(Course.id, sort_by_parameter_order=True),
                                   [n.row for n in batch]).all()
        children: dict[type, list[dict[str, object]]] = defaultdict(list)
        editions: list[tuple[EditionRef, dict[str, object]]] = []
        for new, cid in zip(batch, ids, strict=True):
            new.ref.course_id = cid
            self.holdings.refs[cid] = new.ref
            self._pending.pop(new.ref, None)
            children[CourseTarget] += [{"course_id": cid, "target": t} for t in new.targets]
            children[CourseFunding] += [{"course_id": cid, "channel": c, "fund": f} for c, f in new.fundings]
            children[CourseSkill] += [{**x, "course_id": cid} for x in new.skills]
            children[CourseOccupation] += [{**x, "course_id": cid} for x in new.occupations]
            children[CourseSource].append({**new.source, "course_id": cid})
            children[CourseVersion].append({**new.version, "course_id": cid})
            editions += [(e, {**e.obj, "course_id": cid}) for e in new.editions]
        for model, rows in children.items():
            if rows:
                self.session.execute(insert(model), rows)
        if editions:
            edition_ids = self.session.scalars(insert(Edition).returning(Edition.id, sort_by_parameter_order=True),
                                               [row for _, row in editions]).all()
            for (ref, _), eid in zip(editions, edition_ids, strict=True):
                ref.id, ref.obj = eid, None

    def tag(self, course: Course, rec: CourseRecord, *, new: bool, retag: bool = False) -> None:
        held = {s.uri: s for s in ([] if new else course.skills)}
        if retag:  # the text changed: the classifier's unconfirmed tags are redone
            for s in list(course.skills):
                if s.origin == ORIGIN_CLASSIFIER and not s.confirmed:
                    course.skills.remove(s)
                    held.pop(s.uri, None)
            for o in list(course.occupations):
                if o.origin == ORIGIN_CLASSIFIER:
                    course.occupations.remove(o)
        skills = list(course.skills) if not new else []
        for uri in rec.skills:
            if uri in held:
                held[uri].origin, held[uri].confirmed = ORIGIN_PROVIDER, True
            else:
                held[uri] = CourseSkill(uri=uri, origin=ORIGIN_PROVIDER, score=1.0, confirmed=True)
                skills.append(held[uri])
        occ_held = {o.uri for o in ([] if new else course.occupations)}
        occupations = list(course.occupations) if not new else []
        for uri in rec.occupations:
            if uri not in occ_held:
                occupations.append(CourseOccupation(uri=uri, origin=ORIGIN_PROVIDER, score=1.0))
                occ_held.add(uri)
        if self.tagger is not None and (new or retag):
            tags = self.tagger.tags(rec.title, rec.description)
            for uri, score in tags.skills:
                if uri not in held:
                    held[uri] = CourseSkill(uri=uri, origin=ORIGIN_CLASSIFIER, score=round(score, 4),
                                            confirmed=False)
                    skills.append(held[uri])
            for uri, score in tags.occupations:
                if uri not in occ_held:
                    occupations.append(CourseOccupation(uri=uri, origin=ORIGIN_CLASSIFIER, score=round(score, 4)))
                    occ_held.add(uri)
        course.skills = skills
        course.occupations = occupations
        uris = {s.uri for s in skills}
        course.digital = bool(uris & self.colls.get("digital", set()))
        course.green = bool(uris & self.colls.get("green", set()))

    def merge(self, course: Course, key: str, rec: CourseRecord, fundings: list[Funding], content: dict[str, object],
              digest: str, match: Match) -> None:
        src = next((x for x in course.sources if x.source == self.source and x.source_key == key), None)
        if src is not None and src.content_hash == digest:
            src.last_seen = utcnow()
            return
        changes = _changes(course, rec)
        if src is None:
            course.sources.append(CourseSource(source=self.source, source_key=key, content_hash=digest,
                                               match=match.how, match_score=match.score))
            # another source: fill what is missing, add targets, funding and skills
            course.description = course.description or rec.description
            course.course_code = course.course_code or rec.course_code or None
            course.eqf_level = course.eqf_level or rec.eqf_level
            course.certification = course.certification or rec.certification or None
            self.tag(course, rec, new=False)
        else:
            # the same source sent an edited record: its fields replace the entry's
            src.content_hash, src.last_seen = digest, utcnow()
            text_changed = (course.title, course.description) != (rec.title, rec.description)
            course.title, course.title_key = rec.title, key_text(rec.title)
            course.description, course.hours, course.modality = rec.description, rec.hours, rec.modality
            course.cost_eur, course.eqf_level = rec.cost_eur, rec.eqf_level
            course.certification = rec.certification or None
            course.course_code = rec.course_code or course.course_code
            match.ref.title_key = course.title_key
            self.tag(course, rec, new=False, retag=text_changed)
        have_targets = {t.target for t in course.targets}
        course.targets += [CourseTarget(target=t) for t in rec.targets if t not in have_targets]
        have_funding = {(f.channel, f.fund) for f in course.funding}
        course.funding += [CourseFunding(channel=f.channel, fund=f.fund) for f in fundings
                           if (f.channel, f.fund) not in have_funding]
        course.updated_at = utcnow()
        course.versions.append(CourseVersion(source=self.source, content_hash=digest, data=_jsonable(content),
                                             changes=changes))
        self.report.courses_updated += 1

    def edition(self, course: Course, ref: CourseRef, rec: CourseRecord) -> None:
        for held in ref.editions:
            if not matching.same_edition(held, rec.start_date, rec.comune):
                continue
            edition = held.obj if held.obj is not None else self.session.get_one(Edition, held.id)
            held.obj = edition
            if self.source not in edition.sources:
                edition.sources = [*edition.sources, self.source]
                edition.seats = edition.seats or rec.seats
                edition.end_date = edition.end_date or rec.end_date
            elif (edition.seats, edition.end_date, edition.start_date) != (rec.seats, rec.end_date, rec.start_date):
                edition.seats, edition.end_date, edition.start_date = rec.seats, rec.end_date, rec.start_date
                held.start = rec.start_date
            self.report.duplicate += 1
            return
        edition = Edition(course=course, start_date=rec.start_date, end_date=rec.end_date, seats=rec.seats,
                          comune=rec.comune, nuts3=rec.nuts3, sources=[self.source])
        self.session.add(edition)
        ref.editions.append(EditionRef(None, rec.start_date, rec.comune, rec.nuts3, edition))
        self.report.stored += 1
        self.report.editions_new += 1


@dataclass(eq=False)
class NewCourse:
    ref: CourseRef
    row: dict[str, object]
    targets: list[str]
    fundings: list[tuple[str, str]]
    skills: list[dict[str, object]]
    occupations: list[dict[str, object]]
    source: dict[str, object]
    version: dict[str, object]
    editions: list[EditionRef] = field(default_factory=list)


def _changes(course: Course, rec: CourseRecord) -> list[str]:
    fields = {"title": course.title, "description": course.description, "hours": course.hours,
              "modality": course.modality, "cost_eur": course.cost_eur, "eqf_level": course.eqf_level,
              "certification": course.certification or ""}
    return sorted(k for k, v in fields.items() if getattr(rec, k) != v)


def _jsonable(value: dict[str, object]) -> dict[str, object]:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in value.items()}


def ingest_items(session: Session, items: Iterable[Item | BadRow], *, source: str, file: str, places: Places,
                 tagger: Tagger | None, advance: Callable[[], None] | None = None,
                 check: RecordCheck | None = None) -> IngestReport:
    """Ingest records already read (from a file or an API request) in the session's transaction."""
    return Ingest(session, source=source, file=file, places=places, tagger=tagger, check=check).run(
        items, advance=advance)


def ingest_batches(engine: Engine, path: Path, *, source: str, file: str | None = None, tagger: Tagger | None = None,
                   check: RecordCheck | None = None, checkpoint: Checkpoint | None = None,
                   batch_size: int = BATCH_SIZE) -> IngestReport:
    """Ingest one course file in batches of ``batch_size`` records, each its own transaction, resumable
    (:mod:`regia.importing.checkpoint`): starts after ``checkpoint.position`` records and hands the
    checkpoint each batch's counts and rejections before committing it. A course whose records fall in two
    batches is recognised in the second by its source key, like a record sent again; the counts are those of
    one run (an edition is stored once). ``formats.FormatError`` when the file as a whole is unreadable."""
    from regia.db import session_scope

    checkpoint = checkpoint or NoCheckpoint()
    items = list(read_items(path))
    checkpoint.total(len(items))
    name = file or path.name
    total = IngestReport(file=name, source=source)
    with session_scope(engine) as session:
        places = load_places(session)
    for start in range(checkpoint.position, len(items), batch_size):
        chunk = items[start:start + batch_size]
        with session_scope(engine) as session:
            part = ingest_items(session, chunk, source=source, file=name, places=places, tagger=tagger, check=check)
            checkpoint.committed(session, Batch(position=start + len(chunk), read=part.read, stored=part.stored,
                                                duplicate=part.duplicate, rejected=part.rejected,
                                                rejections=tuple(part.rejections)))
        for counter in ("read", "stored", "duplicate", "rejected", "courses_new", "courses_updated",
                        "editions_new"):
            setattr(total, counter, getattr(total, counter) + getattr(part, counter))
        total.rejections += part.rejections
        total.course_ids = list(dict.fromkeys(total.course_ids + part.course_ids))
    return total


def read_items(path: Path) -> Iterable[Item | BadRow]:
    _, records = formats.read(path)
    for rec in records:
        yield rec if isinstance(rec, BadRow) else (rec.line, rec.values, rec.raw)


def ingest_file(engine: Engine, path: Path, *, source: str, tagger: Tagger | None = None,
                advance: Callable[[], None] | None = None) -> IngestReport:
    """Ingest one course file (CSV, Excel or JSON) from ``source`` in one transaction.

    ``formats.FormatError`` when the file as a whole is unreadable (nothing is stored then)."""
    from regia.db import session_scope

    items = list(read_items(path))
    with session_scope(engine) as session:
        places = load_places(session)
        return ingest_items(session, items, source=source, file=str(path), places=places, tagger=tagger,
                            advance=advance)
