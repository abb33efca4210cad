"""The national repertory of IeFP figures: reading, validating and importing it, with versions.

Formats (documented in the package README):

- **JSON**: ``{"repertory": "...", "figures": [{code, kind, title, title_en, eqf_level, years, description,
  ateco: [...], cp2011: [...], esco_occupations: [...], competences: [{code, title, kind, esco_skills: [...]}]}]}``
  (or the list of figures alone). The "line" of a JSON record is its position in the list (1-based).
- **CSV** (UTF-8, comma-separated, header row): one row per competence, the figure's columns repeated on each
  of its rows — ``code, kind, title, title_en, eqf_level, years, description, ateco, cp2011, esco_occupations,
  competence_code, competence_title, competence_kind, esco_skills``; lists inside a cell are separated by ``|``.

The unit of import is the figure: a figure with one bad row is rejected whole (every one of its rows goes to the
quarantine, each with the reason), because a version must hold all the figure's competences; the other figures
are imported. Versions: the content of a code's record is hashed (canonical JSON); the ledger
(:mod:`regia.importing.ledger`, source ``iefp-figures``) says whether it is new, changed or unchanged. New: a
figure with version 1. Changed: version *n + 1* (the older ones stay, and whatever was made against them keeps
pointing at them). Unchanged: nothing is written. Re-importing a file therefore stores nothing.

Imports run in committed batches and record their position in :class:`regia.iefp.models.ImportRun`: an
interrupted import of the same file (same SHA-256) resumes after the last committed batch.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, selectinload

from regia.auth import audit
from regia.auth.policy import WRITE, Resource, can
from regia.auth.principal import Principal, cli_principal
from regia.db import session_scope
from regia.i18n import N_
from regia.iefp.models import (
    COMPETENCE_KINDS,
    DIPLOMA,
    FIGURE_KINDS,
    QUALIFICA,
    Figure,
    FigureCompetence,
    FigureVersion,
    ImportRun,
    utcnow,
)
from regia.importing.checkpoint import Batch, Checkpoint
from regia.importing.csvfile import BadRow, read_rows
from regia.importing.ledger import Ledger, content_hash
from regia.importing.quarantine import Rejection, keep
from regia.progress import NoProgress, Progress
from regia.taxonomy.codes import CP2011_CODE, ESCO_OCCUPATION_URI, ESCO_SKILL_URI
from regia.taxonomy.models import Concept

DOMAIN = "iefp-figures"
LEDGER_SOURCE = "iefp-figures"
BATCH = 25
CODE = re.compile(r"^[A-Z0-9][A-Z0-9._-]{1,29}$")
COMPETENCE_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
ATECO_CODE = re.compile(r"^(?:[A-U]|\d{2}(?:\.\d{1,2}){0,2})$")
EQF = {QUALIFICA: 3, DIPLOMA: 4}  # Accordo Stato-Regioni 1 agosto 2019: qualifica EQF 3, diploma EQF 4
YEARS = {QUALIFICA: 3, DIPLOMA: 4}
FIGURE_FIELDS = ("code", "kind", "title", "title_en", "eqf_level", "years", "description", "ateco", "cp2011",
                 "esco_occupations")
CSV_COLUMNS = (*FIGURE_FIELDS, "competence_code", "competence_title", "competence_kind", "esco_skills")


class Invalid(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class CompetenceRecord:
    code: str
    title: str
    kind: str
    esco_skills: tuple[str, ...]


@dataclass(frozen=True)
class FigureRecord:
    code: str
    kind: str
    title: str
    title_en: str
    eqf_level: int
    years: int
    description: str
    ateco: tuple[str, ...]
    cp2011: tuple[str, ...]
    esco_occupations: tuple[str, ...]
    competences: tuple[CompetenceRecord, ...]

    def content(self) -> dict[str, Any]:
        """The canonical content, hashed for versions (lists sorted: their order carries no meaning)."""
        data = asdict(self)
        for key in ("ateco", "cp2011", "esco_occupations"):
            data[key] = sorted(data[key])
        data["competences"] = sorted(({**c, "esco_skills": sorted(c["esco_skills"])} for c in data["competences"]),
                                     key=lambda c: c["code"])
        return data


@dataclass
class References:
    """Codes the taxonomy holds, to check links against; a classification the taxonomy does not hold at all
    is checked by the shape of its codes only."""

    ateco: set[str] = field(default_factory=set)
    cp2011: set[str] = field(default_factory=set)
    occupations: set[str] = field(default_factory=set)
    skills: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, session: Session) -> References:
        refs = cls()
        for scheme, ctype, code, uri in session.execute(select(Concept.scheme, Concept.type, Concept.code,
                                                               Concept.uri).where(
                Concept.scheme.in_(("ateco2007", "cp2011", "esco")))):
            if scheme == "ateco2007":
                refs.ateco.add(code)
            elif scheme == "cp2011":
                refs.cp2011.add(code)
            elif ctype == "occupation":
                refs.occupations.add(uri or code)
            elif ctype == "skill":
                refs.skills.add(uri or code)
        return refs


# --- validation --------------------------------------------------------------------------------------------

def _text(raw: dict[str, Any], name: str, *, required: bool = True, limit: int = 300) -> str:
    value = raw.get(name)
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise Invalid(name, "missing")
    if len(text) > limit:
        raise Invalid(name, f"longer than {limit} characters")
    return text


def _list(raw: dict[str, Any], name: str) -> list[str]:
    value = raw.get(name)
    if value is None or value == "":
        return []
    items = value.split("|") if isinstance(value, str) else value
    if not isinstance(items, list):
        raise Invalid(name, "must be a list")
    return [str(x).strip() for x in items if str(x).strip()]


def _int(raw: dict[str, Any], name: str, default: int) -> int:
    value = raw.get(name)
    if value is None or value == "":
        return default
    try:
        return int(str(value).strip())
    except ValueError:
        raise Invalid(name, f"not a whole number: {value!r}") from None


def _links(values: list[str], name: str, shape: re.Pattern[str], known: set[str], what: str) -> tuple[str, ...]:
    out: list[str] = []
    for v in values:
        v = v.replace("https://", "http://") if v.startswith("https://data.europa.eu") else v
        if not shape.match(v):
            raise Invalid(name, f"{v!r} is not a valid {what}")
        if known and v not in known:
            raise Invalid(name, f"{v!r}: no such {what} in the taxonomy")
        if v not in out:
            out.append(v)
    return tuple(out)


def validate_competence(raw: dict[str, Any], refs: References, prefix: str = "") -> CompetenceRecord:
    code = _text(raw, f"{prefix}code", limit=40)
    if not COMPETENCE_CODE.match(code):
        raise Invalid(f"{prefix}code", f"{code!r} is not a competence code (letters, digits, . _ -)")
    kind = _text(raw, f"{prefix}kind", required=False) or "specific"
    if kind not in COMPETENCE_KINDS:
        raise Invalid(f"{prefix}kind", f"{kind!r} is not one of {', '.join(COMPETENCE_KINDS)}")
    return CompetenceRecord(code, _text(raw, f"{prefix}title", limit=400), kind,
                            _links(_list(raw, f"{prefix}esco_skills"), f"{prefix}esco_skills", ESCO_SKILL_URI,
                                   refs.skills, "ESCO skill"))


def validate_figure(raw: dict[str, Any], competences: Iterable[CompetenceRecord], refs: References) -> FigureRecord:
    code = _text(raw, "code", limit=30).upper()
    if not CODE.match(code):
        raise Invalid("code", f"{code!r} is not a figure code (capital letters, digits, . _ -; 2 to 30)")
    kind = _text(raw, "kind").lower()
    if kind not in FIGURE_KINDS:
        raise Invalid("kind", f"{kind!r} is not one of {', '.join(FIGURE_KINDS)}")
    eqf, years = _int(raw, "eqf_level", EQF[kind]), _int(raw, "years", YEARS[kind])
    if eqf != EQF[kind]:
        raise Invalid("eqf_level", f"a {kind} is at EQF level {EQF[kind]}, not {eqf}")
    if years != YEARS[kind]:
        raise Invalid("years", f"a {kind} lasts {YEARS[kind]} years, not {years}")
    comps = tuple(competences)
    if not comps:
        raise Invalid("competences", "a figure needs at least one competence")
    seen: set[str] = set()
    for c in comps:
        if c.code in seen:
            raise Invalid("competence_code", f"competence {c.code!r} appears twice")
        seen.add(c.code)
    ateco = _links([x.upper() for x in _list(raw, "ateco")], "ateco", ATECO_CODE, refs.ateco, "ATECO 2007 code")
    if not ateco:
        raise Invalid("ateco", "a figure needs at least one ATECO code (the sectors it serves)")
    return FigureRecord(
        code=code, kind=kind, title=_text(raw, "title"), title_en=_text(raw, "title_en", required=False),
        eqf_level=eqf, years=years, description=_text(raw, "description", required=False, limit=4000),
        ateco=ateco, cp2011=_links(_list(raw, "cp2011"), "cp2011", CP2011_CODE, refs.cp2011, "CP2011 code"),
        esco_occupations=_links(_list(raw, "esco_occupations"), "esco_occupations", ESCO_OCCUPATION_URI,
                                refs.occupations, "ESCO occupation"),
        competences=comps)


# --- reading -----------------------------------------------------------------------------------------------

@dataclass
class Item:
    """One figure as the file gives it: the lines it spans, and the record or the reason it was refused."""

    lines: list[int]
    raw: list[str]
    key: str | None = None
    record: FigureRecord | None = None
    rejections: list[Rejection] = field(default_factory=list)


class FormatError(ValueError):
    """The file as a whole cannot be read (nothing is imported)."""


def read_items(path: Path, refs: References, file_name: str | None = None) -> list[Item]:
    """The figures of a file; ``file_name`` (default: the path) names it in rejections and errors."""
    label = file_name or str(path)
    name = (file_name or path.name).lower().removesuffix(".gz")
    if name.endswith(".json"):
        return _json_items(path, refs, label)
    if name.endswith(".csv"):
        return _csv_items(path, refs, label)
    raise FormatError(f"{label}: not a .csv or .json file")


def _json_items(path: Path, refs: References, label: str) -> list[Item]:
    from regia.importing.csvfile import read_text

    try:
        data = json.loads(read_text(path))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FormatError(f"{label}: not valid JSON ({exc})") from None
    figures = data.get("figures") if isinstance(data, dict) else data
    if not isinstance(figures, list):
        raise FormatError(f"{label}: expected a list of figures, or an object with 'figures'")
    items = []
    for n, raw in enumerate(figures, start=1):
        text = json.dumps(raw, ensure_ascii=False)[:4000]
        item = Item([n], [text])
        items.append(item)
        if not isinstance(raw, dict):
            item.rejections.append(Rejection(label, n, "a figure must be an object", text))
            continue
        item.key = str(raw.get("code") or "").strip().upper() or None
        try:
            comps = raw.get("competences")
            if comps is not None and not isinstance(comps, list):
                raise Invalid("competences", "must be a list")
            records = []
            for k, c in enumerate(comps or []):
                if not isinstance(c, dict):
                    raise Invalid(f"competences[{k}]", "must be an object")
                try:
                    records.append(validate_competence(c, refs))
                except Invalid as exc:
                    raise Invalid(f"competences[{k}].{exc.field}", exc.reason) from None
            item.record = validate_figure(raw, records, refs)
        except Invalid as exc:
            item.rejections.append(Rejection(label, n, exc.reason, text, exc.field, item.key))
    return items


def _csv_items(path: Path, refs: References, label: str) -> list[Item]:
    header, rows = read_rows(path)
    missing = [c for c in ("code", "kind", "title", "ateco", "competence_code", "competence_title") if c not in header]
    if missing:
        raise FormatError(f"{label}: missing columns {', '.join(missing)} (expected {', '.join(CSV_COLUMNS)})")
    groups: dict[str, Item] = {}
    firsts: dict[str, dict[str, str]] = {}
    comps: dict[str, list[CompetenceRecord]] = {}
    loose: list[Item] = []
    for row in rows:
        if isinstance(row, BadRow):
            loose.append(Item([row.line], [row.raw], rejections=[Rejection(label, row.line, row.reason, row.raw)]))
            continue
        key = row.values.get("code", "").strip().upper()
        if not key:
            loose.append(Item([row.line], [row.raw], rejections=[
                Rejection(label, row.line, "missing", row.raw, "code")]))
            continue
        item = groups.setdefault(key, Item([], [], key))
        item.lines.append(row.line)
        item.raw.append(row.raw)
        first = firsts.setdefault(key, row.values)
        try:
            differs = [f for f in FIGURE_FIELDS if row.values.get(f, "").strip() != first.get(f, "").strip()]
            if differs:
                raise Invalid(differs[0], f"differs from line {item.lines[0]} of the same figure")
            comps.setdefault(key, []).append(validate_competence(row.values, refs, "competence_"))
        except Invalid as exc:
            item.rejections.append(Rejection(label, row.line, exc.reason, row.raw, exc.field, key))
    for key, item in groups.items():
        if not item.rejections:
            try:
                item.record = validate_figure(firsts[key], comps.get(key, []), refs)
            except Invalid as exc:
                item.rejections.append(Rejection(label, item.lines[0], exc.reason, item.raw[0], exc.field, key))
        if item.rejections:  # the figure is refused whole: its other rows go to the quarantine too
            bad = {r.line for r in item.rejections}
            first = item.rejections[0]
            item.rejections += [Rejection(label, line, f"figure {key} refused: line {first.line}, "
                                          f"{first.field}: {first.reason}", raw, first.field, key)
                                for line, raw in zip(item.lines, item.raw, strict=True) if line not in bad]
    return sorted([*groups.values(), *loose], key=lambda i: i.lines[0])


# --- storing -----------------------------------------------------------------------------------------------

@dataclass
class Counts:
    file: str
    read: int = 0  # figure records found
    stored: int = 0  # new figures and new versions
    duplicate: int = 0  # unchanged: already held with the same content
    rejected: int = 0
    figures_new: int = 0
    versions_new: int = 0
    resumed_from: int = 0
    run_id: int | None = None
    rejections: list[str] = field(default_factory=list)

    def add(self, other: Counts) -> None:
        for name in ("read", "stored", "duplicate", "rejected", "figures_new", "versions_new"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.rejections += other.rejections

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def store(session: Session, record: FigureRecord, *, ledger: Ledger, source: str, demo: bool,
          actor: Principal) -> str:
    """Write one validated record: ``new`` (figure and version 1), ``changed`` (a new version) or
    ``unchanged``."""
    content = record.content()
    seen = ledger.see(record.code, content)
    if seen == "unchanged":
        return seen
    figure = session.scalar(select(Figure).where(Figure.code == record.code))
    if figure is None:
        figure = Figure(code=record.code, title=record.title, kind=record.kind, current_version=0, demo=demo)
        session.add(figure)
        session.flush()
    number = figure.current_version + 1
    version = FigureVersion(
        figure_id=figure.id, number=number, content_hash=content_hash(content), kind=record.kind,
        title=record.title, title_en=record.title_en, eqf_level=record.eqf_level, years=record.years,
        description=record.description, ateco=list(record.ateco), cp2011=list(record.cp2011),
        esco_occupations=list(record.esco_occupations), source=source,
        competences=[FigureCompetence(code=c.code, title=c.title, kind=c.kind, esco_skills=list(c.esco_skills))
                     for c in record.competences])
    session.add(version)
    figure.current_version, figure.title, figure.kind, figure.updated_at = number, record.title, record.kind, utcnow()
    figure.demo = figure.demo and demo
    session.flush()
    audit.record(session, actor=actor, action="create" if number == 1 else "version", resource_type="iefp_figure",
                 resource_id=record.code, after={"version": number, "content_hash": version.content_hash,
                                                 "source": source})
    return "new" if number == 1 else "changed"


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fp:
        for chunk in iter(lambda: fp.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class RunCheckpoint:
    """The command line's checkpoint (:class:`regia.importing.checkpoint.Checkpoint`): one
    :class:`~regia.iefp.models.ImportRun` per file (by its SHA-256), so that an interrupted import of the same
    file resumes after its last committed batch. A background job brings its own checkpoint instead."""

    def __init__(self, engine: Engine, path: Path, *, source: str, resume: bool = True) -> None:
        self.engine = engine
        digest = file_digest(path)
        with session_scope(engine) as session:
            run = session.scalar(select(ImportRun).where(
                ImportRun.file_sha256 == digest, ImportRun.source == source, ImportRun.status == "running")
                .order_by(ImportRun.id.desc())) if resume else None
            if run is None:
                run = ImportRun(source=source, file=str(path), file_sha256=digest)
                session.add(run)
                session.flush()
            self.run_id, self.position = run.id, run.position

    def total(self, rows: int | None) -> None:
        with session_scope(self.engine) as session:
            session.get_one(ImportRun, self.run_id).total = rows or 0

    def committed(self, session: Session, batch: Batch) -> None:
        run = session.get_one(ImportRun, self.run_id)
        run.position = batch.position
        run.read += batch.read
        run.stored += batch.stored
        run.unchanged += batch.duplicate
        run.rejected += batch.rejected

    def finish(self) -> None:
        with session_scope(self.engine) as session:
            run = session.get_one(ImportRun, self.run_id)
            run.status, run.finished_at = "done", utcnow()


def ingest_batches(engine: Engine, path: Path, *, principal: Principal, file_name: str, checkpoint: Checkpoint,
                   source: str, demo: bool = False, batch_size: int = BATCH,
                   progress: Progress | None = None) -> Counts:
    """The import itself: the file's figures in batches of ``batch_size``, each batch one transaction that also
    records the batch in ``checkpoint`` (just before it commits), starting after ``checkpoint.position``.
    A figure the principal may not write is rejected like an invalid one (the policy decides: Region staff)."""
    progress = progress or NoProgress()
    with session_scope(engine) as session:
        items = read_items(path, References.load(session), file_name)
    checkpoint.total(len(items))
    start = min(checkpoint.position, len(items))
    counts = Counts(file=file_name, resumed_from=start)
    progress.start(f"IeFP figures {file_name}", len(items))
    if start:
        progress.advance(start)
    allowed = can(principal, WRITE, Resource.IEFP_FIGURE)
    for first in range(start, len(items), batch_size):
        batch = items[first:first + batch_size]
        done = Counts(file=file_name)
        rejections: list[Rejection] = []
        with session_scope(engine) as session:
            ledger = Ledger(session, LEDGER_SOURCE)
            for item in batch:
                done.read += 1
                if item.record is not None and not allowed:
                    item.rejections.append(Rejection(file_name, item.lines[0], "not allowed to import figures",
                                                     item.raw[0], "code", item.key))
                    item.record = None
                if item.record is None:
                    done.rejected += 1
                    rejections += item.rejections
                    done.rejections += [str(r) for r in item.rejections[:1]]
                    continue
                outcome = store(session, item.record, ledger=ledger, source=source, demo=demo, actor=principal)
                if outcome == "unchanged":
                    done.duplicate += 1
                    continue
                done.stored += 1
                done.figures_new += outcome == "new"
                done.versions_new += 1
            ledger.save()
            keep(session, domain=DOMAIN, source=source, rejections=rejections)
            checkpoint.committed(session, Batch(position=first + len(batch), read=done.read, stored=done.stored,
                                                duplicate=done.duplicate, rejected=done.rejected,
                                                rejections=tuple(rejections)))
        counts.add(done)
        progress.advance(len(batch))
    return counts


def ingest_figures(engine: Engine, path: Path, *, source: str = "repertorio-iefp", demo: bool = False,
                   progress: Progress | None = None, batch_size: int = BATCH, actor: Principal | None = None,
                   resume: bool = True, file_name: str | None = None) -> Counts:
    """Import a repertory file (CSV or JSON) from the command line or the API: committed batches, resuming an
    interrupted import of the same file (:class:`RunCheckpoint`); returns the counts (read / stored / duplicate /
    rejected).

    Raises :class:`FormatError` (nothing imported) when the file cannot be read as a whole."""
    checkpoint = RunCheckpoint(engine, path, source=source, resume=resume)
    counts = ingest_batches(engine, path, principal=actor or cli_principal("iefp-figures"),
                            file_name=file_name or str(path), checkpoint=checkpoint, source=source, demo=demo,
                            batch_size=batch_size, progress=progress)
    checkpoint.finish()
    counts.run_id = checkpoint.run_id
    return counts


IMPORT_LABEL = N_("iefp.import.label")
IMPORT_HINT = N_("iefp.import.hint")


def import_file(engine: Engine, path: Path, *, principal: Principal, file_name: str,
                checkpoint: Checkpoint) -> None:
    """The upload kind of the jobs machinery (``regia.jobs``): the same import under the job's checkpoint."""
    ingest_batches(engine, path, principal=principal, file_name=file_name, checkpoint=checkpoint,
                   source=f"upload:{principal.label}")


# --- reading the repertory back ----------------------------------------------------------------------------

def list_figures(session: Session, *, kind: str | None = None, text: str = "") -> list[Figure]:
    query = select(Figure).order_by(Figure.code)
    if kind:
        query = query.where(Figure.kind == kind)
    rows = list(session.scalars(query))
    if text:
        needle = text.strip().lower()
        rows = [f for f in rows if needle in f.title.lower() or needle in f.code.lower()]
    return rows


def current(session: Session, figure: Figure) -> FigureVersion:
    return session.scalars(select(FigureVersion).where(FigureVersion.figure_id == figure.id,
                                                       FigureVersion.number == figure.current_version)
                           .options(selectinload(FigureVersion.competences))).one()
