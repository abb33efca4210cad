"""CSV postings: the OJA feed layout (postings file + skills file) or any table with known column names."""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from regia.importing.csvfile import BadRow, read_rows, read_text
from regia.postings.formats import table
from regia.postings.formats.base import Input, RawPosting, ReadError, SourceSkill
from regia.taxonomy.codes import ESCO_SKILL_URI

_YN = {"y": True, "yes": True, "s": True, "si": True, "1": True, "true": True,
       "n": False, "no": False, "0": False, "false": False, "": None}


def sniff_delimiter(path: Path) -> str:
    head = read_text(path)[:4096].split("\n", 1)[0]
    counts = {d: head.count(d) for d in (",", ";", "\t", "|")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def header_of(path: Path) -> list[str]:
    first = read_text(path)[:65536]
    try:
        return next(csv.reader(io.StringIO(first), delimiter=sniff_delimiter(path)))
    except (StopIteration, csv.Error):
        return []


def _record_start(delimiter: str) -> re.Pattern[str]:
    """A line that starts a record: the OJA id (digits) or any unquoted first cell followed by the delimiter."""
    return re.compile(rf"^[^\"\n{re.escape(delimiter)}]{{1,80}}{re.escape(delimiter)}")


class CsvReader:
    name = "csv"

    def count(self, source: Input) -> int | None:
        text = read_text(source.path)
        try:
            return max(0, sum(1 for _ in csv.reader(io.StringIO(text), delimiter=sniff_delimiter(source.path))) - 1)
        except csv.Error:
            return max(0, text.count("\n") - 1)

    def read(self, source: Input) -> Iterator[RawPosting | ReadError]:
        skills: dict[str, list[SourceSkill]] = {}
        skill_lines: dict[str, list[int]] = defaultdict(list)
        if source.companion is not None:
            yield from self._skills(source.companion, skills, skill_lines)
        delimiter = sniff_delimiter(source.path)
        header, records = read_rows(source.path, delimiter=delimiter, record_start=_record_start(delimiter))
        name = source.path.name
        cmap = table.column_map(header)
        if "title" not in cmap.values():
            yield ReadError(name, 1, None, f"no title column among {', '.join(header)[:300]}", ",".join(header),
                            "header")
            return
        seen_ids: set[str] = set()
        for ordinal, rec in enumerate(records):
            if isinstance(rec, BadRow):
                rid = rec.raw.split(delimiter, 1)[0].strip().strip('"')[:100] or None
                if rid:
                    seen_ids.add(rid)
                yield ReadError(name, rec.line, ordinal, rec.reason, rec.raw, None, rid)
                continue
            fields = table.fields(rec.values, cmap)
            rid = str(fields.get("id") or "") or None
            own = skills.get(rid or "", []) if rid else []
            if rid:
                seen_ids.add(rid)
            own = own + [s for s in table.skills_from_text(str(fields.get("skills_text", ""))) if s not in own]
            yield RawPosting(name, rec.line, ordinal, fields, rec.raw, own)
        if source.companion is not None:
            for rid, lines in skill_lines.items():
                if rid not in seen_ids:
                    for line in lines:
                        yield ReadError(source.companion.name, line, None,
                                        f"skill of unknown posting id {rid!r} (not in {name})", "",
                                        "general_id", rid)

    def _skills(self, path: Path, out: dict[str, list[SourceSkill]], lines: dict[str, list[int]]
                ) -> Iterator[ReadError]:
        delimiter = sniff_delimiter(path)
        header, records = read_rows(path, delimiter=delimiter, record_start=_record_start(delimiter))
        if not table.is_oja_skills(header):
            yield ReadError(path.name, 1, None, "not an OJA skills file (needs general_id, esco_skill_uri)",
                            ",".join(header), "header")
            return
        for rec in records:
            if isinstance(rec, BadRow):
                yield ReadError(path.name, rec.line, None, rec.reason, rec.raw)
                continue
            v = {k.strip().lower(): (x or "").strip() for k, x in rec.values.items()}
            rid, uri = v.get("general_id", ""), v.get("esco_skill_uri", "")
            problem = field = None
            if not rid:
                problem, field = "empty posting id", "general_id"
            elif not ESCO_SKILL_URI.match(uri):
                problem, field = f"not an ESCO skill URI: {uri[:120]!r}", "esco_skill_uri"
            else:
                for flag in ("digital", "green"):
                    if v.get(flag, "").lower() not in _YN:
                        problem, field = f"{flag} must be Y or N, not {v.get(flag)!r}", flag
            if problem:
                yield ReadError(path.name, rec.line, None, problem, rec.raw, field, rid or None)
                continue
            skill = SourceSkill(uri, v.get("esco_skill_label", ""), v.get("skill_type", ""),
                                _YN[v.get("digital", "").lower()], _YN[v.get("green", "").lower()])
            if skill not in out.setdefault(rid, []):
                out[rid].append(skill)
            lines[rid].append(rec.line)
