"""Counts of an import, per file: read / stored / unchanged (or duplicate) / rejected."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class FileReport:
    file: str
    kind: str
    read: int = 0
    stored: int = 0
    unchanged: int = 0
    rejected: int = 0
    skipped: int = 0  # valid rows not applicable here (e.g. naming a concept of another version)
    note: str = ""

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class ImportReport:
    files: list[FileReport] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # optional inputs not found
    unknown: list[str] = field(default_factory=list)  # files present but not recognised
    skipped: list[str] = field(default_factory=list)  # recognised but superseded or not needed

    def add(self, report: FileReport) -> FileReport:
        self.files.append(report)
        return report

    @property
    def totals(self) -> dict[str, int]:
        keys = ("read", "stored", "unchanged", "skipped", "rejected")
        return {k: sum(getattr(f, k) for f in self.files) for k in keys}

    def as_dict(self) -> dict[str, object]:
        return {
            "files": [f.as_dict() for f in self.files],
            "totals": self.totals,
            "missing": self.missing,
            "unknown": self.unknown,
            "skipped": self.skipped,
        }
