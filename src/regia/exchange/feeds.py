"""Change feeds: an append-only log per resource, read with a cursor.

``GET …?since=CURSOR&limit=N`` answers the first ``N`` changes after the cursor, in order, with the next cursor:
a client that stores the cursor and applies each change (``upsert`` replaces its copy of the record, ``delete``
removes it) keeps a copy in sync without downloading everything again. The log is append-only and changes are
numbered in commit order (appends are serialised: PostgreSQL advisory lock, SQLite's single writer), so a page
read twice with the same cursor holds the same changes; at the end of the log a page may grow, never change.
A record whose representation did not change is not logged again (the hash of its canonical JSON is compared
with the last change of that record, kept in :class:`FeedHead`).

A resource's log starts with every record present the first time it is read (``initialise``); ``refresh``
compares every current record with the log and appends what differs, deletions included — what computed
resources (figures) do when read after ``figures_max_age``, and what the operator's ``regia exchange feeds
refresh`` does after writes that bypassed the ORM (raw SQL, database cascades).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.orm import Session

from regia.exchange.errors import bad_request
from regia.exchange.models import DELETE, UPSERT, Change, FeedHead, FeedState, utcnow
from regia.exchange.registry import FeedResource, LoadContext

_PG_LOCK_KEY = 0x6578_6368  # "exch": serialises appends to the change log on PostgreSQL
BATCH = 500


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


def jsonable(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(data, default=_default, ensure_ascii=False))
    return out


def content_hash(data: dict[str, Any]) -> str:
    canonical = json.dumps(data, default=_default, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def int_keys(keys: list[str] | None) -> list[int] | None:
    """The integer ids among record keys (None stays None: every record)."""
    return None if keys is None else [int(k) for k in keys if k.isdigit()]


def chunks(values: list[Any], size: int = BATCH) -> Iterator[list[Any]]:
    for i in range(0, len(values), size):
        yield values[i:i + size]


def only(rows: dict[str, dict[str, Any]], keys: list[str] | None) -> dict[str, dict[str, Any]]:
    """A computed resource's ``load`` answer for ``keys`` (all its rows when None)."""
    return rows if keys is None else {k: rows[k] for k in keys if k in rows}


# --- cursors -------------------------------------------------------------------------------------------------

def encode_cursor(resource: str, seq: int) -> str:
    return base64.urlsafe_b64encode(f"{resource}:{seq}".encode()).decode().rstrip("=")


def decode_cursor(resource: str, cursor: str | None) -> int:
    """The position after which to read (0: from the start). A cursor of another feed is refused."""
    if cursor in (None, "", "0"):
        return 0
    assert cursor is not None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        name, _, seq = raw.rpartition(":")
        position = int(seq)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise bad_request("invalid_cursor", "the cursor is not one this feed gave") from None
    if name != resource or position < 0:
        raise bad_request("invalid_cursor", f"the cursor belongs to another feed ({name or '?'})")
    return position


# --- appending -----------------------------------------------------------------------------------------------

def lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})


def _heads(session: Session, resource: str, keys: list[str]) -> dict[str, FeedHead]:
    found: dict[str, FeedHead] = {}
    for part in chunks(keys):
        for row in session.execute(select(FeedHead.key, FeedHead.seq, FeedHead.hash, FeedHead.deleted)
                                   .where(FeedHead.resource == resource, FeedHead.key.in_(part))):
            found[row.key] = FeedHead(resource=resource, key=row.key, seq=row.seq, hash=row.hash,
                                      deleted=row.deleted)
    return found


def append(session: Session, resource: FeedResource, current: dict[str, dict[str, Any]],
           keys: Iterable[str]) -> int:
    """Logs the changes of ``keys`` given their current representation (a key missing from ``current`` was
    deleted, or is no longer public). Call with the log locked (:func:`lock`). Returns the changes appended."""
    keys = sorted(set(keys))
    if not keys:
        return 0
    heads = _heads(session, resource.name, keys)
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for key in keys:
        data = current.get(key)
        head = heads.get(key)
        if data is None:
            if head is not None and not head.deleted:
                rows.append({"resource": resource.name, "key": key, "op": DELETE, "at": now, "hash": None,
                             "data": None, "subjects": None})
            continue
        data = jsonable(data)
        digest = content_hash(data)
        if head is not None and not head.deleted and head.hash == digest:
            continue
        subjects = sorted(set(resource.subjects(data))) if resource.subjects else None
        rows.append({"resource": resource.name, "key": key, "op": UPSERT, "at": now, "hash": digest, "data": data,
                     "subjects": subjects or None})
    if not rows:
        return 0
    for part in chunks(rows):
        seqs = session.scalars(insert(Change).returning(Change.seq, sort_by_parameter_order=True), part).all()
        new_heads: list[dict[str, Any]] = []
        moved: list[dict[str, Any]] = []
        for row, seq in zip(part, seqs, strict=True):
            values = {"resource": resource.name, "key": row["key"], "seq": seq, "hash": row["hash"],
                      "deleted": row["op"] == DELETE}
            (moved if row["key"] in heads else new_heads).append(values)
        if new_heads:
            session.execute(insert(FeedHead), new_heads)
        if moved:
            session.execute(update(FeedHead), moved)
    return len(rows)


def _state(session: Session, name: str) -> FeedState | None:
    return session.get(FeedState, name)


def initialise(session: Session, resource: FeedResource, ctx: LoadContext) -> bool:
    """Starts the resource's log (or restarts a log marked for refresh, :func:`forget`): every current record
    compared with what is logged. True when it was done now."""
    if _state(session, resource.name) is not None:
        return False
    lock(session)
    if _state(session, resource.name) is not None:  # another process did it meanwhile
        return False
    refresh(session, resource, ctx)
    return True


def forget(session: Session, resource: FeedResource) -> None:
    """Marks the resource's log for a full refresh at its next read."""
    session.execute(delete(FeedState).where(FeedState.resource == resource.name))


def refresh(session: Session, resource: FeedResource, ctx: LoadContext) -> int:
    """Compares every current record with the log and appends what differs (deletions included)."""
    lock(session)
    current = resource.load(ctx, None)
    logged = set(session.scalars(select(FeedHead.key).where(FeedHead.resource == resource.name,
                                                           FeedHead.deleted.is_(False))))
    appended = append(session, resource, current, set(current) | logged)
    state = _state(session, resource.name)
    if state is None:
        session.add(FeedState(resource=resource.name))
    else:
        state.refreshed_at = utcnow()
    session.flush()
    return appended


def stale(session: Session, resource: FeedResource, max_age: int) -> bool:
    """A computed resource whose figures are older than ``max_age`` seconds (or never computed)."""
    state = _state(session, resource.name)
    if state is None:
        return True
    at = state.refreshed_at if state.refreshed_at.tzinfo else state.refreshed_at.replace(tzinfo=UTC)
    return resource.computed and utcnow() - at > timedelta(seconds=max_age)


def refreshed_at(session: Session, resource: FeedResource) -> datetime | None:
    state = _state(session, resource.name)
    return state.refreshed_at if state is not None else None


# --- reading -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Item:
    seq: int
    key: str
    op: str
    at: datetime
    data: dict[str, Any] | None
    subjects: tuple[str, ...]


def read(session: Session, resource: FeedResource, *, after: int, limit: int) -> list[Item]:
    """The first ``limit`` changes of the resource after position ``after``."""
    rows = session.execute(select(Change.seq, Change.key, Change.op, Change.at, Change.data, Change.subjects)
                           .where(Change.resource == resource.name, Change.seq > after)
                           .order_by(Change.seq).limit(limit))
    return [Item(r.seq, r.key, r.op, r.at, r.data, tuple(r.subjects or ())) for r in rows]


def latest(session: Session, resource: FeedResource, key: str) -> Item | None:
    """The last change of one record (None: never logged)."""
    row = session.execute(select(Change.seq, Change.key, Change.op, Change.at, Change.data, Change.subjects)
                          .join(FeedHead, (FeedHead.resource == Change.resource) & (FeedHead.seq == Change.seq))
                          .where(FeedHead.resource == resource.name, FeedHead.key == key)).first()
    return Item(row.seq, row.key, row.op, row.at, row.data, tuple(row.subjects or ())) if row else None
