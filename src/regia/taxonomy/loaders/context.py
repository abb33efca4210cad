"""What every loader works with: the session, the concept store, counts, quarantine and progress."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from regia.importing.csvfile import BadRow, Row, read_rows
from regia.importing.ledger import Ledger
from regia.importing.quarantine import Rejection
from regia.importing.report import FileReport, ImportReport
from regia.progress import NoProgress, Progress
from regia.taxonomy.store import ConceptRecord, ConceptStore


@dataclass
class Context:
    session: Session
    root: Path
    report: ImportReport
    progress: Progress = field(default_factory=NoProgress)
    rejections: list[tuple[str, Rejection]] = field(default_factory=list)  # (source, rejection)
    _store: ConceptStore | None = None

    @property
    def store(self) -> ConceptStore:
        if self._store is None:
            self._store = ConceptStore(self.session)
        return self._store

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)

    def file_report(self, path: Path | str, kind: str) -> FileReport:
        name = self.rel(path) if isinstance(path, Path) else path
        return self.report.add(FileReport(file=name, kind=kind))

    def reject(self, report: FileReport, source: str, rejection: Rejection) -> None:
        report.rejected += 1
        self.rejections.append((source, rejection))

    def rows(
        self, path: Path, report: FileReport, source: str, *, required: Iterable[str],
        record_start: re.Pattern[str] | None = None, delimiter: str = ",", encoding: str = "auto",
        pad_short: bool = False,
    ) -> Iterator[Row]:
        """Valid-shaped rows of a file; bad ones are counted and quarantined. Missing columns are fatal
        for the file only (reported as one rejection)."""
        header, records = read_rows(
            path, delimiter=delimiter, encoding=encoding, record_start=record_start, pad_short=pad_short
        )
        missing = [c for c in required if c not in header]
        if missing:
            self.reject(report, source, Rejection(self.rel(path), 1, f"missing columns: {', '.join(missing)}",
                                                  ",".join(header), field="header"))
            return
        all_records = list(records)
        self.progress.start(self.rel(path), len(all_records))
        for rec in all_records:
            self.progress.advance()
            report.read += 1
            if isinstance(rec, BadRow):
                self.reject(report, source, Rejection(self.rel(path), rec.line, rec.reason, rec.raw))
            else:
                yield rec

    def write_concepts(
        self, report: FileReport, source: str, records: list[ConceptRecord], rows_per_record: int | None = 1
    ) -> None:
        """Write the records whose content changed since the last import of ``source``.

        Counts go to ``report`` per record, or per label when a file has one row per label
        (``rows_per_record=None``)."""
        ledger = Ledger(self.session, source)
        changed = []
        for rec in records:
            weight = rows_per_record or len(rec.labels)
            if ledger.see(f"{rec.scheme}|{rec.code}", rec.content()) == "unchanged":
                report.unchanged += weight
            else:
                changed.append(rec)
                report.stored += weight
        self.store.write(changed)
        ledger.save()
