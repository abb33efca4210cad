"""Content hashes of imported records, per source: decides new / changed / unchanged on re-import."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from regia.importing.models import LedgerEntry


def content_hash(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class Ledger:
    """The ledger of one source, loaded once; ``save`` writes what ``see`` found new or changed."""

    def __init__(self, session: Session, source: str) -> None:
        self.session = session
        self.source = source
        rows = session.execute(select(LedgerEntry.key, LedgerEntry.hash).where(LedgerEntry.source == source))
        self.known: dict[str, str] = {k: h for k, h in rows}
        self._new: dict[str, str] = {}
        self._changed: dict[str, str] = {}

    def see(self, key: str, value: Any) -> str:
        """'new', 'changed' or 'unchanged' for this record; remembered until ``save``."""
        digest = content_hash(value)
        old = self.known.get(key)
        if old == digest:
            return "unchanged"
        target = self._new if old is None else self._changed
        target[key] = digest
        self.known[key] = digest
        return "new" if old is None else "changed"

    def save(self) -> None:
        if self._new:
            self.session.execute(
                insert(LedgerEntry),
                [{"source": self.source, "key": k, "hash": h} for k, h in self._new.items()],
            )
        for key, digest in self._changed.items():
            self.session.execute(
                update(LedgerEntry)
                .where(LedgerEntry.source == self.source, LedgerEntry.key == key)
                .values(hash=digest)
            )
        self._new.clear()
        self._changed.clear()
