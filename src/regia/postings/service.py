"""Ingest of job postings: read -> validate -> strip personal data -> dedupe -> classify -> store.

Resumable: records are processed in batches; each batch's Parquet facts are written, then one database
transaction stores its postings, quarantines its rejects and moves the file's ``position``. A run killed at
any point resumes (same inputs, re-run) after the last committed batch, with the counts it had, so that it
ends with the counts of an uninterrupted run. Re-running a finished input starts a new run, in which every
record is a duplicate of one already held (nothing is stored again).

Counts per record: ``read`` = ``stored`` (new demand units) + ``duplicate`` (exact duplicates, not stored
again; near-duplicates and revisions, stored in the group of the posting they repeat) + ``rejected``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.orm import Session

from regia.auth.errors import Forbidden
from regia.auth.policy import WRITE, Resource, can
from regia.auth.principal import Principal
from regia.db import session_factory
from regia.i18n import N_
from regia.importing import quarantine
from regia.importing.checkpoint import Batch, Checkpoint, NoCheckpoint
from regia.importing.models import QuarantineEntry
from regia.importing.quarantine import Rejection
from regia.postings import dedupe, facts, privacy, reference
from regia.postings.classification import Labeller, Labels
from regia.postings.formats import READERS, Input, RawPosting, ReadError, plan
from regia.postings.models import DONE, LEAD, NEAR, REVISION, RUNNING, IngestFile, IngestRun, Posting
from regia.postings.reference import Reference
from regia.postings.validate import PostingRecord, Problem, Validator
from regia.progress import NoProgress, Progress

DOMAIN = "postings"
BATCH_SIZE = 1000
SYNTHETIC_HOST = ".invalid"  # demo data's URLs (RFC 2606 reserved names) mark postings as synthetic


@dataclass
class Counts:
    read: int = 0
    stored: int = 0
    duplicate: int = 0
    rejected: int = 0

    def add(self, other: Counts) -> None:
        for k in ("read", "stored", "duplicate", "rejected"):
            setattr(self, k, getattr(self, k) + getattr(other, k))

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass
class FileResult:
    file: str
    format: str
    counts: Counts
    grouped: int = 0  # near-duplicates and revisions stored in an existing group
    resumed_at: int = 0


@dataclass
class IngestResult:
    run_id: int
    resumed: bool
    files: list[FileResult] = field(default_factory=list)

    @property
    def counts(self) -> Counts:
        total = Counts()
        for f in self.files:
            total.add(f.counts)
        return total


def file_hash(path: Path, companion: Path | None = None) -> str:
    digest = hashlib.sha256()
    for p in (path, companion):
        if p is None:
            continue
        with p.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        digest.update(b"\x00")
    return digest.hexdigest()


def is_synthetic_url(url: str | None) -> bool:
    if not url or "//" not in url:
        return False
    host = url.split("/")[2].split(":")[0].lower()
    return host.endswith(SYNTHETIC_HOST)


def natural_key(feed: str, scope: str, source_id: str | None, content: str) -> str:
    basis = f"id\x1f{feed}\x1f{scope}\x1f{source_id}" if source_id else f"content\x1f{content}"
    return hashlib.sha256(basis.encode()).hexdigest()


# --------------------------------------------------------------------------------------------- state
@dataclass
class _Prepared:
    """A batch after validation and dedupe, before classification and storage."""

    file_row: IngestFile
    last_ordinal: int
    counts: Counts = field(default_factory=Counts)
    grouped: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    accepted_ids: list[str] = field(default_factory=list)  # source ids stored or duplicate (quarantine fix)
    new: list[tuple[int, int, str, PostingRecord, dict[str, Any]]] = field(default_factory=list)
    seen: dict[int, dt.date] = field(default_factory=dict)  # held posting id -> last seen date
    seen_n: dict[int, int] = field(default_factory=dict)


class _Ingest:
    def __init__(self, engine: Engine, *, feed: str, labeller: Labeller | None, facts_dir: Path,
                 batch_size: int, progress: Progress, synthetic: bool | None,
                 checkpoint: Checkpoint | None = None) -> None:
        self.engine = engine
        self.checkpoint = checkpoint or NoCheckpoint()
        self.feed = feed
        self.labeller = labeller
        self.facts_dir = facts_dir
        self.batch_size = batch_size
        self.progress = progress
        self.synthetic = synthetic
        self.ref: Reference = reference.for_engine(engine)
        self.validator = Validator(self.ref)
        self.deduper = dedupe.Deduper()
        self.next_id = 1
        self.had_quarantine = False

    # ------------------------------------------------------------------ held state
    def load_held(self, session: Session) -> None:
        self.next_id = (session.scalar(select(func.max(Posting.id))) or 0) + 1
        rows = session.execute(select(Posting.id, Posting.group_id, Posting.content_hash, Posting.natural_key,
                                      Posting.employer_norm, Posting.title, Posting.nuts3, Posting.minhash))
        for pid, gid, chash, nkey, employer, title, nuts3, sig in rows:
            self.deduper.add(id=pid, group_id=gid, content_hash=chash, natural_key=nkey, employer=employer or "",
                             title=dedupe.norm_title(title), place=nuts3 or "",
                             signature=np.frombuffer(sig, dtype=np.uint32))

    # ------------------------------------------------------------------ one batch
    def prepare(self, file_row: IngestFile, items: list[RawPosting | ReadError], names: dict[str, str]) -> _Prepared:
        batch = _Prepared(file_row, file_row.position - 1)
        for item in items:
            if item.ordinal is not None:
                batch.last_ordinal = max(batch.last_ordinal, item.ordinal)
                batch.counts.read += 1
            if isinstance(item, ReadError):
                if item.ordinal is not None:
                    batch.counts.rejected += 1
                batch.rejections.append(Rejection(item.file, item.line, item.reason, privacy.strip(item.raw),
                                                  item.field, item.record_id))
                continue
            checked = self.validator.check(item, names)
            if not isinstance(checked, PostingRecord):
                batch.counts.rejected += 1
                rid = str(item.fields.get("id") or "") or None
                for problem in _merge(checked):
                    batch.rejections.append(Rejection(item.file, item.line, problem.reason,
                                                      privacy.strip(item.raw), problem.field, rid))
                continue
            self._dedupe(batch, checked)
        return batch

    def _dedupe(self, batch: _Prepared, rec: PostingRecord) -> None:
        employer = dedupe.norm_employer(rec.employer)
        title = dedupe.norm_title(rec.title)
        text = dedupe.norm_text(rec.description) or title
        place_exact = rec.location.comune or rec.location.nuts3 or dedupe.norm_text(rec.location_text)
        chash = dedupe.content_hash({"t": title, "d": text, "e": employer, "p": place_exact})
        nkey = natural_key(self.feed, rec.id_scope, rec.source_id, chash)
        sig = dedupe.minhash(f"{title} {text}")
        place = rec.location.nuts3 or ""
        verdict = self.deduper.judge(content_hash=chash, natural_key=nkey if rec.source_id else None,
                                     employer=employer, title=title, place=place, signature=sig)
        if rec.source_id:
            batch.accepted_ids.append(rec.source_id)
        if verdict.kind == "exact":
            batch.counts.duplicate += 1
            assert verdict.match_id is not None
            batch.seen_n[verdict.match_id] = batch.seen_n.get(verdict.match_id, 0) + 1
            prev = batch.seen.get(verdict.match_id)
            batch.seen[verdict.match_id] = max(prev, rec.date_posted) if prev else rec.date_posted
            return
        pid = self.next_id
        self.next_id += 1
        if verdict.kind == "new":
            group, role, sim = pid, LEAD, None
            batch.counts.stored += 1
        else:
            assert verdict.group_id is not None
            group, role, sim = verdict.group_id, NEAR if verdict.kind == "near" else REVISION, verdict.similarity
            batch.counts.duplicate += 1
            batch.grouped += 1
        self.deduper.add(id=pid, group_id=group, content_hash=chash, natural_key=nkey, employer=employer,
                         title=title, place=place, signature=sig)
        meta = {"employer_norm": employer or None, "content_hash": chash, "natural_key": nkey,
                "minhash": sig.astype(np.uint32).tobytes(), "dedup": role, "similarity": sim}
        batch.new.append((pid, group, role, rec, meta))

    def submit(self, batch: _Prepared) -> Any:
        if self.labeller is None:
            return None
        return self.labeller.submit([rec.classify_text() for _, _, _, rec, _ in batch.new])

    # ------------------------------------------------------------------ storage
    def store(self, batch: _Prepared, pending: Any) -> None:
        labels: list[Labels] = pending.get() if pending is not None else [Labels()] * len(batch.new)
        file_row = batch.file_row
        posting_rows: list[dict[str, Any]] = []
        fact_rows: list[dict[str, Any]] = []
        skill_rows: list[dict[str, Any]] = []
        for (pid, group, role, rec, meta), lab in zip(batch.new, labels, strict=True):
            p, f, s = self._rows(pid, group, role, rec, meta, lab, file_row)
            posting_rows.append(p)
            fact_rows.append(f)
            skill_rows.extend(s)
        batch_no = file_row.batches
        if fact_rows:
            facts.write_batch(self.facts_dir, facts.POSTINGS, file_row.id, batch_no, fact_rows)
            facts.write_batch(self.facts_dir, facts.SKILLS, file_row.id, batch_no, skill_rows)
        with session_factory(self.engine)() as session:
            if posting_rows:
                session.execute(insert(Posting), posting_rows)
            greatest = func.max if self.engine.dialect.name == "sqlite" else func.greatest
            for pid, n in batch.seen_n.items():
                last = batch.seen[pid]
                session.execute(update(Posting).where(Posting.id == pid).values(
                    times_seen=Posting.times_seen + n,
                    last_seen=greatest(func.coalesce(Posting.last_seen, last), last)))
            if batch.rejections:
                quarantine.keep(session, domain=DOMAIN, source=self.feed, rejections=batch.rejections)
            if batch.accepted_ids and self.had_quarantine:
                fixed = set(batch.accepted_ids) - {r.record_id for r in batch.rejections}
                ids = sorted(fixed)
                for i in range(0, len(ids), 500):
                    session.execute(delete(QuarantineEntry).where(
                        QuarantineEntry.domain == DOMAIN, QuarantineEntry.source == self.feed,
                        QuarantineEntry.file == file_row.name, QuarantineEntry.record_id.in_(ids[i:i + 500])))
            c = batch.counts
            session.execute(update(IngestFile).where(IngestFile.id == file_row.id).values(
                position=batch.last_ordinal + 1, batches=batch_no + (1 if fact_rows else 0),
                read=IngestFile.read + c.read, stored=IngestFile.stored + c.stored,
                duplicate=IngestFile.duplicate + c.duplicate, rejected=IngestFile.rejected + c.rejected))
            self.checkpoint.committed(session, Batch(position=batch.last_ordinal + 1, read=c.read, stored=c.stored,
                                                     duplicate=c.duplicate, rejected=c.rejected,
                                                     rejections=tuple(batch.rejections)))
            session.commit()
        file_row.position = batch.last_ordinal + 1
        file_row.batches = batch_no + (1 if fact_rows else 0)
        self.progress.advance(batch.counts.read)

    def _rows(self, pid: int, group: int, role: str, rec: PostingRecord, meta: dict[str, Any], lab: Labels,
              file_row: IngestFile) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
        ref = self.ref
        loc = rec.location
        ateco = rec.ateco
        occ_regia = lab.occupation
        codes = facts.occupation_codes(ref, isco_source=rec.isco_source, cp_source=rec.cp_source,
                                       occupation_source=rec.occupation_source, occupation_regia=occ_regia)
        occupation, isco, cp, isco_regia, cp_regia = codes
        synthetic = self.synthetic if self.synthetic is not None else is_synthetic_url(rec.url)
        month = rec.date_posted.strftime("%Y-%m")
        posting = {
            "id": pid, "group_id": group, "dedup": role, "similarity": meta["similarity"], "file_id": file_row.id,
            "line": rec.line, "feed": self.feed, "board": rec.board, "source_id": rec.source_id,
            "natural_key": meta["natural_key"], "content_hash": meta["content_hash"], "title": rec.title,
            "employer_norm": meta["employer_norm"], "employer_key": privacy.pseudonym(meta["employer_norm"]),
            "date_posted": rec.date_posted, "valid_through": rec.valid_through, "location_text": rec.location_text,
            "comune": loc.comune, "nuts3": loc.nuts3, "nuts2": loc.nuts2, "location_how": loc.how,
            "ateco_scheme": ateco[0] if ateco else None, "ateco_code": ateco[1] if ateco else None,
            "ateco_division": ateco[2] if ateco else None, "ateco_section": ateco[3] if ateco else None,
            "contract": rec.contract, "education": rec.education, "experience": rec.experience,
            "working_hours": rec.working_hours, "salary": rec.salary, "url": rec.url,
            "isco_source": rec.isco_source, "cp_source": rec.cp_source, "occupation_source": rec.occupation_source,
            "occupation_regia": occ_regia, "occupation_score": lab.occupation_score, "isco_regia": isco_regia,
            "cp_regia": cp_regia, "skills_source": len(rec.source_skills), "skills_regia": len(lab.skills),
            "minhash": meta["minhash"], "synthetic": synthetic, "times_seen": 1, "last_seen": rec.date_posted,
        }
        fact = {
            "posting_id": pid, "group_id": group, "dedup": role, "feed": self.feed, "board": rec.board,
            "synthetic": synthetic, "date_posted": rec.date_posted, "month": month,
            "valid_through": rec.valid_through, "comune": loc.comune, "nuts3": loc.nuts3, "nuts2": loc.nuts2,
            "ateco_section": posting["ateco_section"], "ateco_division": posting["ateco_division"],
            "ateco_code": posting["ateco_code"], "isco": isco, "isco_source": rec.isco_source,
            "isco_regia": isco_regia, "cp": cp, "cp_regia": cp_regia, "occupation": occupation,
            "occupation_source": rec.occupation_source, "occupation_regia": occ_regia, "contract": rec.contract,
            "education": rec.education, "experience": rec.experience, "working_hours": rec.working_hours,
            "employer_key": posting["employer_key"], "title": rec.title, "description": rec.description,
            "salary": rec.salary,
        }
        dims = {"synthetic": synthetic, "date_posted": rec.date_posted, "month": month, "nuts3": loc.nuts3,
                "nuts2": loc.nuts2, "ateco_section": fact["ateco_section"], "ateco_division": fact["ateco_division"],
                "isco": isco, "cp": cp, "occupation": occupation}
        skills = facts.skill_rows(ref, posting_id=pid, group_id=group, dims=dims, source=rec.source_skills,
                                  regia=lab.skills)
        return posting, fact, skills


def _merge(problems: list[Problem]) -> list[Problem]:
    """One rejection per field (several reasons on a field joined)."""
    by_field: dict[str | None, list[str]] = {}
    for p in problems:
        by_field.setdefault(p.field, []).append(p.reason)
    return [Problem(f, "; ".join(reasons)) for f, reasons in by_field.items()]


# --------------------------------------------------------------------------------------------- runs
def _run_key(feed: str | None, inputs: list[tuple[Input, str]]) -> str:
    basis = "\x1f".join([feed or "", *(f"{i.format}:{h}" for i, h in inputs)])
    return hashlib.sha256(basis.encode()).hexdigest()


def default_feed(source: Input) -> str:
    """The feed name of an input when ``--source`` is not given: ``oja`` for the OJA feed, else its format."""
    return "oja" if source.companion is not None else source.format


def _open_run(session: Session, feed: str | None, inputs: list[Input]) -> tuple[IngestRun, list[IngestFile], bool]:
    hashed = [(i, file_hash(i.path, i.companion)) for i in inputs]
    key = _run_key(feed, hashed)
    run = session.scalar(select(IngestRun).where(IngestRun.key == key, IngestRun.status == RUNNING)
                         .order_by(IngestRun.id.desc()))
    if run is not None:
        files = list(session.scalars(select(IngestFile).where(IngestFile.run_id == run.id)
                                     .order_by(IngestFile.ordinal)))
        return run, files, True
    run = IngestRun(key=key, source=feed, status=RUNNING)
    session.add(run)
    session.flush()
    files = [IngestFile(run_id=run.id, ordinal=k, path=str(i.path), name=i.path.name,
                        companion=str(i.companion) if i.companion else None, content_hash=h, format=i.format,
                        status=RUNNING, position=0, batches=0, read=0, stored=0, duplicate=0, rejected=0)
             for k, (i, h) in enumerate(hashed)]
    session.add_all(files)
    session.commit()
    return run, files, False


def _committed_batches(session: Session) -> dict[int, int]:
    return {fid: n for fid, n in session.execute(select(IngestFile.id, IngestFile.batches))}


def _field_names(source: Input) -> dict[str, str]:
    """Regia field -> the name the input uses for it, so that quarantine speaks the file's language."""
    from regia.postings.formats import table
    from regia.postings.formats.csvfile import header_of

    if source.format == "csv":
        return {v: k for k, v in table.column_map(header_of(source.path)).items()}
    if source.format == "xlsx":
        from openpyxl import load_workbook

        try:
            wb = load_workbook(source.path, read_only=True)
            header = [str(c or "") for c in next(wb.worksheets[0].iter_rows(values_only=True), ())]
            wb.close()
        except Exception:
            return {}
        return {v: k for k, v in table.column_map(header).items()}
    return {"title": "title", "date_posted": "datePosted", "valid_through": "validThrough", "id": "identifier",
            "comune": "jobLocation.address.addressLocality", "province": "jobLocation.address.addressRegion",
            "postal_code": "jobLocation.address.postalCode", "occupation": "occupationalCategory",
            "isco": "occupationalCategory", "cp": "occupationalCategory", "sector": "industry",
            "employer": "hiringOrganization", "description": "description"}


def _batches(items: Iterator[RawPosting | ReadError], start: int, size: int
             ) -> Iterator[list[RawPosting | ReadError]]:
    batch: list[RawPosting | ReadError] = []
    n = 0
    for item in items:
        if item.ordinal is not None and item.ordinal < start:
            continue
        batch.append(item)
        if item.ordinal is not None:
            n += 1
        if n >= size:
            yield batch
            batch, n = [], 0
    if batch:
        yield batch


def ingest(
    engine: Engine,
    paths: list[Path],
    *,
    source: str | None = None,
    fmt: str = "auto",
    labeller: Labeller | None = None,
    facts_dir: Path | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
    synthetic: bool | None = None,
    checkpoint: Checkpoint | None = None,
) -> IngestResult:
    """Ingest postings files (see the module's docstring). ``labeller`` classifies with Regia's classifier;
    without one, postings are stored with the source's codes only."""
    inputs = plan(list(paths), fmt)
    facts_dir = facts_dir or facts.default_dir()
    progress = progress or NoProgress()
    with session_factory(engine)() as session:
        run, files, resumed = _open_run(session, source, inputs)
        facts.clean_uncommitted(facts_dir, _committed_batches(session))
    job = _Ingest(engine, feed=source or "", labeller=labeller, facts_dir=facts_dir, batch_size=batch_size,
                  progress=progress, synthetic=synthetic, checkpoint=checkpoint)
    with session_factory(engine)() as session:
        job.load_held(session)
        job.had_quarantine = bool(session.scalar(
            select(func.count(QuarantineEntry.id)).where(QuarantineEntry.domain == DOMAIN)))
    result = IngestResult(run.id, resumed)
    for source_input, file_row in zip(inputs, files, strict=True):
        resumed_at = file_row.position
        job.feed = source or default_feed(source_input)
        if file_row.status != DONE:
            reader = READERS[source_input.format]
            rows = reader.count(source_input)
            progress.start(f"{source_input.name}", rows or 0)
            job.checkpoint.total(rows)
            progress.advance(file_row.position)
            names = _field_names(source_input)
            pending: tuple[_Prepared, Any] | None = None
            grouped = 0
            for items in _batches(reader.read(source_input), file_row.position, batch_size):
                batch = job.prepare(file_row, items, names)
                labels = job.submit(batch)
                if pending is not None:
                    job.store(*pending)
                    grouped += pending[0].grouped
                pending = (batch, labels)
            if pending is not None:
                job.store(*pending)
                grouped += pending[0].grouped
            with session_factory(engine)() as session:
                session.execute(update(IngestFile).where(IngestFile.id == file_row.id).values(status=DONE))
                session.commit()
        with session_factory(engine)() as session:
            row = session.get(IngestFile, file_row.id)
            assert row is not None
            grouped_total = session.scalar(select(func.count(Posting.id)).where(
                Posting.file_id == row.id, Posting.dedup != LEAD)) or 0
            result.files.append(FileResult(row.name, row.format, Counts(row.read, row.stored, row.duplicate,
                                                                        row.rejected), grouped_total, resumed_at))
    with session_factory(engine)() as session:
        session.execute(update(IngestRun).where(IngestRun.id == run.id).values(
            status=DONE, finished_at=dt.datetime.now(dt.UTC)))
        session.commit()
    return result


IMPORT_LABEL = N_("postings.import.label")
IMPORT_HINT = N_("postings.import.hint")


def import_file(engine: Engine, path: Path, *, principal: Principal, file_name: str, checkpoint: Checkpoint) -> None:
    """Import an uploaded postings feed (the ``postings`` kind of ``regia.jobs``; Region analysts and staff):
    :func:`ingest` of the one file, reporting to ``checkpoint``, classified by Regia's classifier when its
    model is there. A re-run of the same file resumes after its last committed batch (the ingest's own
    state, which commits with the checkpoint's)."""
    if not can(principal, WRITE, Resource.POSTINGS):
        raise Forbidden("postings feeds are loaded by the Region's analysts and staff")
    from regia.postings.classification import Labeller

    labeller = None
    try:
        from regia.classify import classifier_for

        labeller = Labeller(classifier_for(engine), workers=0)
        labeller.start()
    except LookupError:  # no classifier model: postings keep the source's codes
        labeller = None
    try:
        ingest(engine, [path], labeller=labeller, checkpoint=checkpoint)
    finally:
        if labeller is not None:
            labeller.close()


# --------------------------------------------------------------------------------------------- queries
def held(session: Session) -> int:
    """How many postings are held (stored rows, leads and grouped ones)."""
    return session.scalar(select(func.count(Posting.id))) or 0


def quarantined(session: Session) -> list[QuarantineEntry]:
    return quarantine.entries(session, domain=DOMAIN)


def runs(session: Session, limit: int = 20) -> list[dict[str, Any]]:
    out = []
    for run in session.scalars(select(IngestRun).order_by(IngestRun.id.desc()).limit(limit)):
        files = list(session.scalars(select(IngestFile).where(IngestFile.run_id == run.id)))
        out.append({"id": run.id, "source": run.source, "status": run.status, "started_at": run.started_at,
                    "finished_at": run.finished_at,
                    "files": [{"file": f.name, "format": f.format, "status": f.status, "position": f.position,
                               "read": f.read, "stored": f.stored, "duplicate": f.duplicate,
                               "rejected": f.rejected} for f in files]})
    return out


def group_of(session: Session, posting_id: int) -> list[Posting]:
    """The postings of the dedup group of ``posting_id`` (lead first)."""
    gid = session.scalar(select(Posting.group_id).where(Posting.id == posting_id))
    if gid is None:
        return []
    return list(session.scalars(select(Posting).where(Posting.group_id == gid).order_by(Posting.id)))


def source_codes(session: Session) -> Iterator[tuple[int, str | None, str | None, str | None]]:
    """``(posting id, isco_source, cp_source, occupation_source)`` of every stored posting: the occupation codes
    the sources gave (the facts keep the consolidated codes)."""
    for row in session.execute(select(Posting.id, Posting.isco_source, Posting.cp_source, Posting.occupation_source)
                               .order_by(Posting.id)):
        yield row[0], row[1], row[2], row[3]
