"""What every reader yields: raw postings in Regia's field names, with file and line, or read errors."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

# Regia's field names for a posting as read (before validation); every reader maps its format onto these.
FIELDS = (
    "id", "id_scope", "board", "employer", "title", "description", "date_posted", "valid_through",
    "comune_code", "comune", "province_code", "province", "region_code", "region", "postal_code", "location", "country",
    "contract", "employment_type", "education", "experience", "working_hours", "salary",
    "sector_code", "sector", "isco", "cp", "occupation", "occupation_label", "skills_text", "url",
)


@dataclass(frozen=True)
class SourceSkill:
    """A skill the source itself assigned (OJA skills file, or ESCO URIs in JSON-LD ``skills``)."""

    uri: str
    label: str = ""
    type: str = ""
    digital: bool | None = None
    green: bool | None = None


@dataclass
class RawPosting:
    file: str
    line: int
    ordinal: int  # 0-based position of the record in its input (what resume counts)
    fields: dict[str, Any]
    raw: str
    skills: list[SourceSkill] = field(default_factory=list)


@dataclass
class ReadError:
    file: str
    line: int | None
    ordinal: int | None  # set when the error stands for a posting record (it counts as read + rejected)
    reason: str
    raw: str = ""
    field: str | None = None
    record_id: str | None = None


@dataclass(frozen=True)
class Input:
    """One input of an ingest: a file, and for OJA feeds the skills file that goes with its postings."""

    path: Path
    format: str
    companion: Path | None = None

    @property
    def name(self) -> str:
        return self.path.name


class Reader(Protocol):
    name: str

    def read(self, source: Input) -> Iterator[RawPosting | ReadError]: ...

    def count(self, source: Input) -> int | None: ...
