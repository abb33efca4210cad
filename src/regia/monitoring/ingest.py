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
- **Resumable**: after each batch, one transaction stores its records, quarantines its rejects and moves the
  file's ``position`` (``IngestFile``). Running the same file again while its ingest is unfinished resumes after
  the last committed batch, with the counts it had; an uninterrupted and a resumed run end with the same counts
  and the same data.
- **Progress** goes to a ``regia.progress.Progress`` (Rich bars in the CLI; a job runner can pass its own).

``ingest_file`` is the service the CLI and the upload jobs call (see ``README.md`` for the formats).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.orm import Session

from regia.auth.settings import AuthSettings
from regia.db import session_factory
from regia.importing import quarantine
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


def _open(session: Session, kind: str, source: str, path: Path, digest: str) -> tuple[IngestFile, bool]:
    held = session.scalar(select(IngestFile).where(
        IngestFile.kind == kind, IngestFile.source == source, IngestFile.content_hash == digest,
        IngestFile.status == RUNNING).order_by(IngestFile.id.desc()))
    if held is not None:
        return held, True
    row = IngestFile(kind=kind, source=source, name=path.name, content_hash=digest, status=RUNNING, position=0)
    session.add(row)
    session.commit()
    return row, False


def _context(engine: Engine, session: Session, settings: AuthSettings | None,
             identities: Identities | None) -> Context:
    from regia.catalog import service as catalog

    facts = catalog.course_facts(engine)
    editions = {eid: cid for cid, f in facts.items() for eid in f.edition_ids}
    return Context(identities or Identities(settings), places.load(session), set(facts), editions)


def _masked(values: dict[str, str], raw: str) -> str:
    """What the quarantine keeps of a rejected record: the file's values with the codes masked."""
    text = json.dumps(values, ensure_ascii=False) if values else raw
    return mask(text, [_get(values, name)[1] for name in CODE_FIELDS] if values else [])


class _Batch:
    def __init__(self) -> None:
        self.new: list[dict[str, Any]] = []
        self.changed: list[dict[str, Any]] = []
        self.rejections: list[Rejection] = []
        self.read = self.duplicate = 0


def ingest_items(engine: Engine, items: Iterable[formats.Item | BadRow], *, kind: str, file: str, source: str,
                 content_hash: str, batch_size: int = BATCH_SIZE, progress: Progress | None = None,
                 total: int | None = None, synthetic: bool = False, settings: AuthSettings | None = None,
                 identities: Identities | None = None, on_batch: Callable[[int], None] | None = None
                 ) -> IngestResult:
    """Ingest records already read (see the module's docstring). ``content_hash`` identifies the input for
    resuming; ``on_batch`` is called with the position after each committed batch."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}: one of {', '.join(KINDS)}")
    progress = progress or NoProgress()
    model = MODELS[kind]
    validate = VALIDATORS[kind]
    with session_factory(engine)() as session:
        state, resumed = _open(session, kind, source, Path(file), content_hash)
        ctx = _context(engine, session, settings, identities)
        ledger = Ledger(session, f"{DOMAIN}.{kind}")
        state_id, position = state.id, state.position
        result = IngestResult(kind=kind, file=file, source=source, read=state.read, stored=state.stored,
                              updated=state.updated, duplicate=state.duplicate, rejected=state.rejected,
                              resumed_at=position if resumed else 0)
    name = Path(file).name
    progress.start(f"{kind}: {name}", total)
    seen: dict[str, int] = {}
    iterator: Iterator[formats.Item | BadRow] = iter(items)
    ordinal = 0
    for item in iterator:  # resuming: what the committed batches held, for the duplicate check
        if ordinal >= position:
            iterator = _chain(item, iterator)
            break
        ordinal += 1
        if isinstance(item, formats.Item):
            with contextlib.suppress(Invalid):
                seen.setdefault(validate(item.values, ctx).key, item.line)
    progress.advance(position)
    batch = _Batch()
    for item in iterator:
        ordinal += 1
        batch.read += 1
        if isinstance(item, BadRow):
            batch.rejections.append(Rejection(name, item.line, item.reason, mask(item.raw)))
        else:
            try:
                checked: Checked = validate(item.values, ctx)
            except Invalid as exc:
                batch.rejections.append(Rejection(name, item.line, exc.reason, _masked(item.values, item.raw),
                                                  exc.field))
            else:
                first = seen.get(checked.key)
                if first is not None:
                    batch.rejections.append(Rejection(name, item.line, f"duplicate: repeats the record of line "
                                                                       f"{first}", _masked(item.values, item.raw)))
                else:
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
        if batch.read >= batch_size:
            _commit(engine, model, ledger, batch, state_id, ordinal, result, source)
            progress.advance(batch.read)
            if on_batch:
                on_batch(ordinal)
            batch = _Batch()
    _commit(engine, model, ledger, batch, state_id, ordinal, result, source, done=True)
    progress.advance(batch.read)
    return result


def _chain(first: formats.Item | BadRow, rest: Iterator[formats.Item | BadRow]) -> Iterator[formats.Item | BadRow]:
    yield first
    yield from rest


def _commit(engine: Engine, model: Any, ledger: Ledger, batch: _Batch, state_id: int, position: int,
            result: IngestResult, source: str, done: bool = False) -> None:
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
        result.read += batch.read
        result.stored += stored
        result.updated += len(batch.changed)
        result.duplicate += batch.duplicate
        result.rejected += len(batch.rejections)
        result.rejections.extend(batch.rejections)
        session.execute(update(IngestFile).where(IngestFile.id == state_id).values(
            position=position, read=result.read, stored=result.stored, updated=result.updated,
            duplicate=result.duplicate, rejected=result.rejected,
            **({"status": DONE, "finished_at": now} if done else {})))
        session.commit()


def ingest_file(engine: Engine, path: Path, *, kind: str, source: str | None = None,
                batch_size: int = BATCH_SIZE, progress: Progress | None = None, synthetic: bool = False,
                settings: AuthSettings | None = None, identities: Identities | None = None,
                on_batch: Callable[[int], None] | None = None) -> IngestResult:
    """Ingest one file of ``kind`` (CSV, Excel; UNILAV XML for employment). ``formats.FormatError`` when the
    file as a whole cannot be read (nothing is stored then)."""
    if kind != EMPLOYMENT and formats.detect(path) == "unilav":
        raise formats.FormatError("UNILAV XML carries employment events only")
    items = list(formats.read(path))
    return ingest_items(engine, items, kind=kind, file=str(path), source=source or kind,
                        content_hash=file_hash(path), batch_size=batch_size, progress=progress, total=len(items),
                        synthetic=synthetic, settings=settings, identities=identities, on_batch=on_batch)
