"""The quarantine: rejected rows kept with file, line, field and reason, never duplicated on re-import."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from regia.importing.models import QuarantineEntry


@dataclass(frozen=True)
class Rejection:
    file: str
    line: int | None
    reason: str
    raw: str | None = None
    field: str | None = None
    record_id: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        field = f" [{self.field}]" if self.field else ""
        return f"{where}{field}: {self.reason}"


def fingerprint(domain: str, source: str, r: Rejection) -> str:
    key = "\x1f".join([domain, source, r.file, str(r.line), r.field or "", r.reason, r.raw or ""])
    return hashlib.sha256(key.encode()).hexdigest()


def keep(session: Session, *, domain: str, source: str, rejections: Iterable[Rejection]) -> int:
    """Store rejections not yet in quarantine; returns how many were new."""
    rows = {fingerprint(domain, source, r): r for r in rejections}
    if not rows:
        return 0
    known: set[str] = set()
    keys = list(rows)
    for i in range(0, len(keys), 500):
        chunk = keys[i : i + 500]
        known.update(session.scalars(select(QuarantineEntry.fingerprint).where(
            QuarantineEntry.fingerprint.in_(chunk))))
    new = [
        QuarantineEntry(
            domain=domain, source=source, file=r.file, line=r.line, field=r.field,
            record_id=r.record_id, reason=r.reason, raw=(r.raw or "")[:4000], fingerprint=fp,
        )
        for fp, r in rows.items()
        if fp not in known
    ]
    session.add_all(new)
    session.flush()
    return len(new)


def entries(session: Session, *, domain: str | None = None) -> list[QuarantineEntry]:
    query = select(QuarantineEntry).order_by(QuarantineEntry.file, QuarantineEntry.line)
    if domain:
        query = query.where(QuarantineEntry.domain == domain)
    return list(session.scalars(query))
