"""``Idempotency-Key`` on POST (the IETF httpapi draft): a client that re-posts — after a timeout, a lost
answer — gets the first answer again and nothing is created twice.

The key is reserved in a transaction of its own before the work starts (a concurrent re-post meanwhile gets
409 ``idempotency_in_progress``); the answer is stored when the work is done and replayed, with
``Idempotent-Replayed: true``, to every re-post of the same request. The same key with another request
(method, path or body) is refused with 422 ``idempotency_key_reused``. Keys are kept ``idempotency_ttl``
seconds per client. A reservation left by a crash expires after ``STALE`` seconds; the work is then done
again, which the upserts by natural key make harmless.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.responses import JSONResponse, Response
from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError

from regia.db import session_scope
from regia.exchange.errors import ExchangeError, bad_request
from regia.exchange.models import IdempotencyKey, utcnow

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
STALE = 300
MAX_KEY = 200


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def request_hash(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b"\n" + path.encode() + b"\n" + body).hexdigest()


def run(engine: Engine, *, client_id: str, key: str | None, method: str, path: str, body: bytes, ttl: int,
        work: Callable[[], tuple[int, dict[str, Any]]]) -> Response:
    """Does ``work`` once per (client, key): its (status, JSON body) is stored and replayed to re-posts."""
    if key is None:
        status, payload = work()
        return JSONResponse(payload, status_code=status)
    key = key.strip()
    if not key or len(key) > MAX_KEY or not key.isprintable():
        raise bad_request("invalid_request", f"{HEADER} must be 1 to {MAX_KEY} printable characters")
    digest = request_hash(method, path, body)
    now = utcnow()
    try:
        with session_scope(engine) as session:
            session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at < now))
            row = session.scalar(select(IdempotencyKey).where(IdempotencyKey.client_id == client_id,
                                                              IdempotencyKey.key == key))
            if row is not None:
                if row.request_hash != digest:
                    raise ExchangeError(422, "idempotency_key_reused",
                                        f"{HEADER} {key!r} was used with another request")
                if row.status_code is not None:
                    return JSONResponse(json.loads(row.response or "null"), status_code=row.status_code,
                                        headers={REPLAYED: "true"})
                if now - _aware(row.created_at) < timedelta(seconds=STALE):
                    raise ExchangeError(409, "idempotency_in_progress", f"a request with {HEADER} {key!r} is running")
                row.created_at = now  # a stale reservation (the first attempt died): do the work again
            else:
                session.add(IdempotencyKey(client_id=client_id, key=key, method=method, path=path[:300],
                                           request_hash=digest, created_at=now,
                                           expires_at=now + timedelta(seconds=ttl)))
    except IntegrityError:  # two first posts of the same key at once
        raise ExchangeError(409, "idempotency_in_progress", f"a request with {HEADER} {key!r} is running") from None
    try:
        status, payload = work()
    except BaseException:
        with session_scope(engine) as session:  # let a retry do the work
            session.execute(delete(IdempotencyKey).where(IdempotencyKey.client_id == client_id,
                                                         IdempotencyKey.key == key,
                                                         IdempotencyKey.status_code.is_(None)))
        raise
    with session_scope(engine) as session:
        row = session.scalar(select(IdempotencyKey).where(IdempotencyKey.client_id == client_id,
                                                          IdempotencyKey.key == key))
        if row is not None:
            row.status_code, row.response = status, json.dumps(payload, ensure_ascii=False, default=str)
    return JSONResponse(payload, status_code=status)
