"""The audit log: an append-only, hash-chained record of who changed what, when, with before and after.

Each entry's ``hash`` is SHA-256 over the previous entry's hash and a canonical JSON of the entry (sorted
keys, no spaces, UTC timestamps with microseconds). :func:`verify` recomputes the chain: an edited row
fails its own hash, a removed or reordered row breaks the link of the next. The database refuses UPDATE and
DELETE on the table (triggers), so tampering needs someone who can drop them; keep the last hash
(:func:`head`) somewhere else too — e.g. in the daily export — to detect the removal of the newest rows.

Entries are written in the same transaction as the change they describe: both land, or neither.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from regia.auth.models import GENESIS_HASH, AuditEntry
from regia.auth.principal import Principal

# Never copied into an entry: secrets are not history.
SECRET_FIELDS = frozenset({"password_hash", "token_hash", "password", "token", "secret"})
_PG_LOCK_KEY = 0x7265_6769  # "regi": serialises appends on PostgreSQL


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def jsonable(value: Any) -> Any:
    """A JSON-ready copy (what is stored is what is hashed)."""
    return json.loads(json.dumps(value, default=_default, ensure_ascii=False)) if value is not None else None


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return _utc(value).isoformat(timespec="microseconds")
    if hasattr(value, "value"):  # enums
        return value.value
    return str(value)


def snapshot(obj: Any, fields: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The columns of an ORM row as JSON values, without secrets."""
    names = fields or tuple(c.key for c in obj.__table__.columns)
    return jsonable({name: getattr(obj, name) for name in names if name not in SECRET_FIELDS})


def canonical(entry: AuditEntry) -> bytes:
    body = {
        "at": _utc(entry.at).isoformat(timespec="microseconds"),
        "actor_user_id": entry.actor_user_id,
        "actor": entry.actor,
        "action": entry.action,
        "resource_type": entry.resource_type,
        "resource_id": entry.resource_id,
        "organisation_id": entry.organisation_id,
        "before": entry.before,
        "after": entry.after,
        "note": entry.note,
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def compute_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(entry.prev_hash.encode() + b"\n" + canonical(entry)).hexdigest()


def head(session: Session) -> str:
    return session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)) or GENESIS_HASH


def record(session: Session, *, actor: Principal, action: str, resource_type: str,
           resource_id: object = None, organisation_id: int | None = None,
           before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
           note: str | None = None) -> AuditEntry:
    """Append an entry (flushed, not committed: it commits with the caller's change)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    now = datetime.now(UTC)
    entry = AuditEntry(
        at=now, actor_user_id=actor.user_id, actor=actor.label, action=action, resource_type=resource_type,
        resource_id=None if resource_id is None else str(resource_id), organisation_id=organisation_id,
        before=jsonable(before), after=jsonable(after), note=note, prev_hash=head(session))
    entry.hash = compute_hash(entry)
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    head: str
    first_bad_id: int | None = None
    problem: str | None = None


def verify(session: Session, *, batch: int = 1000) -> Verification:
    """Recompute the whole chain, oldest first."""
    expected_prev = GENESIS_HASH
    checked = 0
    last_id = 0
    while True:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.id > last_id)
                               .order_by(AuditEntry.id).limit(batch)).all()
        if not rows:
            return Verification(ok=True, checked=checked, head=expected_prev)
        for entry in rows:
            if entry.prev_hash != expected_prev:
                return Verification(False, checked, expected_prev, entry.id,
                                    "broken link: an entry before this one was removed, added or reordered")
            if compute_hash(entry) != entry.hash:
                return Verification(False, checked, expected_prev, entry.id,
                                    "hash mismatch: this entry was edited after it was written")
            expected_prev = entry.hash
            checked += 1
            last_id = entry.id


EXPORT_FIELDS = ("id", "at", "actor_user_id", "actor", "action", "resource_type", "resource_id",
                 "organisation_id", "before", "after", "note", "prev_hash", "hash")


def _row(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id, "at": _utc(entry.at).isoformat(timespec="microseconds"),
        "actor_user_id": entry.actor_user_id, "actor": entry.actor, "action": entry.action,
        "resource_type": entry.resource_type, "resource_id": entry.resource_id,
        "organisation_id": entry.organisation_id, "before": entry.before, "after": entry.after,
        "note": entry.note, "prev_hash": entry.prev_hash, "hash": entry.hash,
    }


def _entries(session: Session, batch: int = 1000) -> Iterator[AuditEntry]:
    last_id = 0
    while rows := session.scalars(select(AuditEntry).where(AuditEntry.id > last_id)
                                  .order_by(AuditEntry.id).limit(batch)).all():
        yield from rows
        last_id = rows[-1].id


def export_json_lines(session: Session) -> Iterator[str]:
    """One JSON object per line (the chain can be re-verified from the export alone)."""
    for entry in _entries(session):
        yield json.dumps(_row(entry), ensure_ascii=False, sort_keys=True) + "\n"


def export_csv(session: Session) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_FIELDS)
    writer.writeheader()
    for entry in _entries(session):
        row = _row(entry)
        for key in ("before", "after"):
            row[key] = "" if row[key] is None else json.dumps(row[key], ensure_ascii=False, sort_keys=True)
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def verify_export(lines: Iterator[str]) -> Verification:
    """Verify a JSON-lines export without the database."""
    expected_prev = GENESIS_HASH
    checked = 0
    for line in lines:
        row = json.loads(line)
        entry = AuditEntry(**{k: row[k] for k in EXPORT_FIELDS if k not in ("id", "at")},
                           at=datetime.fromisoformat(row["at"]))
        if entry.prev_hash != expected_prev:
            return Verification(False, checked, expected_prev, row["id"], "broken link")
        if compute_hash(entry) != entry.hash:
            return Verification(False, checked, expected_prev, row["id"], "hash mismatch")
        expected_prev = entry.hash
        checked += 1
    return Verification(True, checked, expected_prev)


def count(session: Session) -> int:
    return session.scalar(select(func.count(AuditEntry.id))) or 0
