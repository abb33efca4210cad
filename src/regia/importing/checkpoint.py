"""What a resumable import tells whoever runs it — the command line, or a background job (:mod:`regia.jobs`).

An import reads its input in batches; each batch is one database transaction. Just before committing a
batch, the import calls :meth:`Checkpoint.committed` *in that transaction* with what the batch did: so the
runner's own record of the work (a job's position and counts) commits together with the data, or not at all.
A run that stops anywhere — killed, crashed, cancelled — restarts from :attr:`Checkpoint.position`, the
rows already committed, and ends with the counts of an uninterrupted run: no row is stored twice.

``committed`` may raise :class:`Cancelled` (the job was cancelled): the import lets it propagate, the batch
is rolled back, and what earlier batches committed stays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.orm import Session

from regia.importing.quarantine import Rejection


class Cancelled(Exception):
    """The run was cancelled: the batch in hand is rolled back, the committed ones stay."""


@dataclass(frozen=True)
class Batch:
    """What one batch of an import did. ``position``: the input's rows read up to the end of this batch (the
    next run starts after them); counts per record, as the import defines them."""

    position: int
    read: int = 0
    stored: int = 0
    duplicate: int = 0
    rejected: int = 0
    rejections: Sequence[Rejection] = field(default_factory=tuple)


class Checkpoint(Protocol):
    @property
    def position(self) -> int:
        """Rows of the input already committed by earlier runs of the same work: start after them."""
        ...

    def total(self, rows: int | None) -> None:
        """How many rows the input has (when the import knows: the progress bar's end)."""
        ...

    def committed(self, session: Session, batch: Batch) -> None:
        """Called in the batch's transaction just before it commits; may raise :class:`Cancelled`."""
        ...


class NoCheckpoint:
    """A run from the first row that reports to nobody (the command line's one-shot imports, tests)."""

    position = 0

    def total(self, rows: int | None) -> None:
        pass

    def committed(self, session: Session, batch: Batch) -> None:
        pass
