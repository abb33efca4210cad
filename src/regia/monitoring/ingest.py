"""Ingest of participations, employment events and registered unemployed: read → validate → pseudonymise →
recognise what is held → store, in committed batches.

Counts per record: ``read`` = ``stored`` (new records, and records whose content changed: ``updated`` of them)
+ ``duplicate`` (already held with the same content) + ``rejected`` (quarantined with file, line, field and
reason; the row kept there has its codici fiscali masked).

- **Idempotent**: every record has a natural key and a content hash (``regia.importing.ledger``); importing a
  file again stores nothing new, a re-sent record with new content (a participation now completed) replaces
  the held one.
- **Duplicates in a file**: a record whose natural key already appeared earlier in the same file is rejected
  ("repeats line N"), whether identical or conflicting, so that the sender sees it.
- **Resumable**: each batch is one transaction that stores its records, quarantines its rejects and records
  the batch in the run's checkpoint (``regia.importing.checkpoint``): the command line's is ``IngestFile``
  (running the same file again while its ingest is unfinished resumes after the last committed batch, with the
  counts it had), an upload's is its job's (``regia.jobs``). An uninterrupted and a resumed run end with the
  same counts and the same data.
- **No codice fiscale in clear** in what is kept of a rejected record: its values and its reason are masked
  (``identity.mask``), in the quarantine as in a job's rejected rows.
- **Progress** goes to a ``regia.progress.Progress`` (Rich bars in the CLI).

``ingest_batches`` is the loop the CLI (``ingest_file``) and the upload jobs (``service.import_file``) share
(see ``README.md`` for the formats).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.orm import Session

from regia.auth.settings import AuthSettings
from regia.db import session_factory, session_scope
from regia.importing import quarantine
from regia.importing.checkpoint import Batch, Checkpoint
from regia.importing.csvfile import BadRow
from regia.importing.ledger import Ledger
from regia.importing.quarantine import Rejection
from regia.monitoring import formats, places
from regia.monitoring.identity import Identities, mask
from regia.monitoring.models import (
    DONE,
    RUNNING,
    EmploymentEvent,
    IngestFile,
    Participation,
    RegisteredUnemployed,
    utcnow,
)
from regia.monitoring.validation import (
    CODE_FIELDS,
    EMPLOYMENT,
    KINDS,
    PARTICIPATIONS,
    UNEMPLOYED,
    VALIDATORS,
    Checked,
    Context,
    Invalid,
    _get,
)
from regia.progress import NoProgress, Progress

DOMAIN = "monitoring"
BATCH_SIZE = 2000
MODELS: dict[str, Any] = {PARTICIPATIONS: Participation, EMPLOYMENT: EmploymentEvent, UNEMPLOYED: RegisteredUnemployed}


@dataclass
class IngestResult:
    kind: str
    file: str
    source: str
    read: int = 0
    stored: int = 0
    updated: int = 0
    duplicate: int = 0
    rejected: int = 0
    resumed_at: int = 0
    rejections: list[Rejection] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {"read": self.read, "stored": self.stored, "duplicate": self.duplicate, "rejected": self.rejected}

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "file": self.file, "source": self.source, **self.counts(),
                "updated": self.updated, "resumed_at": self.resumed_at}


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _context(engine: Engine, session: Session, settings: AuthSettings | None,
             identities: Identities | None) -> Context:
    from regia.catalog import service as catalog

    facts = catalog.course_facts(engine)
    editions = {eid: cid for cid, f in facts.items() for eid in f.edition_ids}
    return Context(identities or Identities(settings), places.load(session), set(facts), editions)


def _masked(values: dict[str, str], raw: str) -> str:
    """What the quarantine keeps of a rejected record: the file's values with the codes masked."""
    text = json.dumps(values, ensure_ascii=False) if values else raw
    return mask(text, _codes(values) if values else [])


class FileCheckpoint:
    """The command line's checkpoint (:class:`regia.importing.checkpoint.Checkpoint`): one ``IngestFile`` per
    kind, source and content, so that running the same file again while its ingest is unfinished resumes after
    the last committed batch, with the counts it had. A background job brings its own checkpoint instead."""

    def __init__(self, engine: Engine, *, kind: str, source: str, name: str, content_hash: str) -> None:
        self.engine = engine
        with session_scope(engine) as session:
            state = session.scalar(select(IngestFile).where(
                IngestFile.kind == kind, IngestFile.source == source, IngestFile.content_hash == content_hash,
                IngestFile.status == RUNNING).order_by(IngestFile.id.desc()))
            self.resumed = state is not None
            if state is None:
                state = IngestFile(kind=kind, source=source, name=name[:300], content_hash=content_hash,
                                   status=RUNNING, position=0)
                session.add(state)
                session.flush()
            self.state_id, self.position = state.id, state.position
            self.earlier = IngestResult(kind=kind, file=name, source=source, read=state.read, stored=state.stored,
                                        updated=state.updated, duplicate=state.duplicate, rejected=state.rejected,
                                        resumed_at=state.position if self.resumed else 0)

    def total(self, rows: int | None) -> None:
        pass

    def committed(self, session: Session, batch: Batch) -> None:
        session.execute(update(IngestFile).where(IngestFile.id == self.state_id).values(
            position=batch.position, read=IngestFile.read + batch.read, stored=IngestFile.stored + batch.stored,
            updated=IngestFile.updated + getattr(batch, "updated", 0),
            duplicate=IngestFile.duplicate + batch.duplicate, rejected=IngestFile.rejected + batch.rejected))
        self.position = batch.position

    def finish(self) -> None:
        with session_scope(self.engine) as session:
            session.execute(update(IngestFile).where(IngestFile.id == self.state_id).values(
                status=DONE, finished_at=utcnow()))


@dataclass(frozen=True)
class RecordsBatch(Batch):
    """A batch's counts, with how many of the stored records replaced held ones (content changed)."""

    updated: int = 0


class _Batch:
    def __init__(self) -> None:
        self.new: list[dict[str, Any]] = []
        self.changed: list[dict[str, Any]] = []
        self.rejections: list[Rejection] = []
        self.read = self.duplicate = 0


def ingest_batches(engine: Engine, items: Sequence[formats.Item | BadRow], *, kind: str, file_name: str,
                   source: str, checkpoint: Checkpoint, batch_size: int = BATCH_SIZE, progress: Progress | None = None,
                   synthetic: bool = False, settings: AuthSettings | None = None, identities: Identities | None = None,
                   on_batch: Callable[[int], None] | None = None) -> IngestResult:
    """The ingest itself (see the module's docstring), shared by the command line and the upload jobs: the
    records in batches of ``batch_size``, each batch one transaction that hands ``checkpoint`` its counts and
    rejections just before committing, starting after ``checkpoint.position`` (the records before it are read
    again only to recognise a later repeat). ``Cancelled`` from the checkpoint propagates (the batch rolls
    back). ``on_batch`` is called with the position after each committed batch. Returns this run's counts."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}: one of {', '.join(KINDS)}")
    progress = progress or NoProgress()
    model = MODELS[kind]
    validate = VALIDATORS[kind]
    checkpoint.total(len(items))
    position = min(checkpoint.position, len(items))
    with session_factory(engine)() as session:
        ctx = _context(engine, session, settings, identities)
        ledger = Ledger(session, f"{DOMAIN}.{kind}")
    name = Path(file_name).name
    result = IngestResult(kind=kind, file=file_name, source=source)
    progress.start(f"{kind}: {name}", len(items))
    seen: dict[str, int] = {}
    for item in items[:position]:  # resuming: what the committed batches held, for the repeat check
        if isinstance(item, formats.Item):
            with contextlib.suppress(Invalid):
                seen.setdefault(validate(item.values, ctx).key, item.line)
    progress.advance(position)
    for first in range(position, len(items), batch_size):
        batch = _Batch()
        for item in items[first:first + batch_size]:
            batch.read += 1
            if isinstance(item, BadRow):
                batch.rejections.append(Rejection(name, item.line, mask(item.reason), mask(item.raw)))
                continue
            codes = _codes(item.values)
            try:
                checked: Checked = validate(item.values, ctx)
            except Invalid as exc:
                batch.rejections.append(Rejection(name, item.line, mask(exc.reason, codes),
                                                  _masked(item.values, item.raw), exc.field))
                continue
            earlier = seen.get(checked.key)
            if earlier is not None:
                batch.rejections.append(Rejection(name, item.line, f"duplicate: repeats the record of line "
                                                                   f"{earlier}", _masked(item.values, item.raw)))
                continue
            seen[checked.key] = item.line
            verdict = ledger.see(checked.key, checked.content)
            row = {**checked.row, "natural_key": checked.key, "content_hash": ledger.known[checked.key],
                   "source": source, "file": name[:300], "line": item.line, "synthetic": synthetic}
            if verdict == "new":
                batch.new.append(row)
            elif verdict == "changed":
                batch.changed.append(row)
            else:
                batch.duplicate += 1
        end = first + batch.read
        _commit(engine, model, ledger, batch, end, result, source, checkpoint)
        progress.advance(batch.read)
        if on_batch:
            on_batch(end)
    return result


def _codes(values: dict[str, str]) -> list[str]:
    """The values of the record's code fields, to mask wherever the record is kept (a value too short to be
    a code, such as ``1``, would only garble the text)."""
    return [value for name in CODE_FIELDS if len(value := _get(values, name)[1]) >= 6]


def _commit(engine: Engine, model: Any, ledger: Ledger, batch: _Batch, position: int, result: IngestResult,
            source: str, checkpoint: Checkpoint) -> None:
    with session_factory(engine)() as session:
        if batch.new:  # Core executemany: the ORM's bulk insert splits batches on rows' None patterns
            session.execute(insert(model.__table__), batch.new)
        now = utcnow()
        for row in batch.changed:
            values = {k: v for k, v in row.items() if k != "natural_key"}
            session.execute(update(model).where(model.natural_key == row["natural_key"]).values(**values,
                                                                                                updated_at=now))
        ledger.session = session
        ledger.save()
        if batch.rejections:
            quarantine.keep(session, domain=DOMAIN, source=source, rejections=batch.rejections)
        stored = len(batch.new) + len(batch.changed)
        checkpoint.committed(session, RecordsBatch(
            position=position, read=batch.read, stored=stored, duplicate=batch.duplicate,
            rejected=len(batch.rejections), rejections=tuple(batch.rejections), updated=len(batch.changed)))
        session.commit()
    result.read += batch.read
    result.stored += stored
    result.updated += len(batch.changed)
    result.duplicate += batch.duplicate
    result.rejected += len(batch.rejections)
    result.rejections.extend(batch.rejections)


def read_items(path: Path, kind: str) -> list[formats.Item | BadRow]:
    """The records of one file of ``kind`` (CSV, Excel; UNILAV XML for employment); ``formats.FormatError``
    when the file as a whole cannot be read."""
    if kind != EMPLOYMENT and formats.detect(path) == "unilav":
        raise formats.FormatError("UNILAV XML carries employment events only")
    return list(formats.read(path))


def ingest_file(engine: Engine, path: Path, *, kind: str, source: str | None = None,
                batch_size: int = BATCH_SIZE, progress: Progress | None = None, synthetic: bool = False,
                settings: AuthSettings | None = None, identities: Identities | None = None,
                on_batch: Callable[[int], None] | None = None) -> IngestResult:
    """Ingest one file of ``kind`` from the command line (or the demo), resuming an unfinished ingest of the
    same content (:class:`FileCheckpoint`); the counts include what the earlier run committed.
    ``formats.FormatError`` when the file as a whole cannot be read (nothing is stored then)."""
    items = read_items(path, kind)
    source = source or kind
    checkpoint = FileCheckpoint(engine, kind=kind, source=source, name=path.name, content_hash=file_hash(path))
    run = ingest_batches(engine, items, kind=kind, file_name=str(path), source=source, checkpoint=checkpoint,
                         batch_size=batch_size, progress=progress, synthetic=synthetic, settings=settings,
                         identities=identities, on_batch=on_batch)
    checkpoint.finish()
    total = checkpoint.earlier
    total.file = run.file
    for counter in ("read", "stored", "updated", "duplicate", "rejected"):
        setattr(total, counter, getattr(total, counter) + getattr(run, counter))
    total.rejections = run.rejections
    return total
