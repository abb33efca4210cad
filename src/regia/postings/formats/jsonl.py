"""JSON Lines: one JobPosting-shaped object per line (schema.org names, or the OJA feed's flat names)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator

from regia.postings.formats.base import Input, RawPosting, ReadError
from regia.postings.formats.jsonld import map_jobposting


class JsonlReader:
    name = "jsonl"

    def _lines(self, source: Input) -> Iterator[str]:
        opener = gzip.open if source.path.suffix == ".gz" else open
        with opener(source.path, "rt", encoding="utf-8", errors="replace") as fh:
            yield from fh

    def count(self, source: Input) -> int | None:
        return sum(1 for line in self._lines(source) if line.strip())

    def read(self, source: Input) -> Iterator[RawPosting | ReadError]:
        name = source.path.name
        ordinal = 0
        for no, line in enumerate(self._lines(source), 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield ReadError(name, no, ordinal, f"not JSON: {exc.msg} (column {exc.colno})", line[:2000])
            else:
                if not isinstance(obj, dict):
                    yield ReadError(name, no, ordinal, f"not a JSON object: {type(obj).__name__}", line[:2000])
                else:
                    fields, skills = map_jobposting(obj)
                    yield RawPosting(name, no, ordinal, fields, line[:2000], skills)
            ordinal += 1
