"""Read delimited files robustly: each record with its line number, bad records reported, never fatal.

A truncated line or an unbalanced quote must not swallow the valid records that follow it: when a
record has the wrong number of fields and spans several physical lines, the reader looks for the next
line that starts a record (``record_start``) and resumes there.
"""

from __future__ import annotations

import csv
import gzip
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

csv.field_size_limit(10_000_000)


@dataclass(frozen=True)
class Row:
    line: int  # 1-based physical line where the record starts (the header is line 1)
    values: dict[str, str]
    raw: str


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str
    raw: str


def read_text(path: Path, encoding: str = "auto") -> str:
    """The file's text, gunzipped when it ends in .gz, without a byte-order mark.

    ``auto`` reads UTF-8 and falls back to Latin-1 (as ISTAT publishes) when the bytes are not UTF-8."""
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    if encoding == "auto":
        try:
            return data.decode("utf-8").lstrip("\ufeff")
        except UnicodeDecodeError:
            encoding = "latin-1"
    return data.decode(encoding, errors="replace").lstrip("\ufeff")


class _Lines:
    """Iterator over physical lines that knows how many it has handed out."""

    def __init__(self, lines: list[str], pos: int = 0) -> None:
        self.lines = lines
        self.pos = pos

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self.pos >= len(self.lines):
            raise StopIteration
        self.pos += 1
        return self.lines[self.pos - 1]


def split_lines(text: str) -> list[str]:
    lines = [line + "\n" for line in text.split("\n")]
    if lines and lines[-1] == "\n":
        lines.pop()
    return lines


def read_rows(
    path: Path,
    *,
    delimiter: str = ",",
    encoding: str = "auto",
    record_start: re.Pattern[str] | None = None,
    pad_short: bool = False,
) -> tuple[list[str], Iterator[Row | BadRow]]:
    """The header's field names and an iterator over the records (``Row``) and bad records (``BadRow``).

    ``pad_short`` accepts one-line records with trailing empty fields left out (as in ESCO's
    skillsHierarchy file); otherwise a record with too few fields is a bad record."""
    lines = split_lines(read_text(path, encoding))
    feed = _Lines(lines)
    try:
        # A header may itself span lines (quoted names with newlines, as in ISTAT files).
        header = [" ".join(h.split()) for h in next(csv.reader(feed, delimiter=delimiter, strict=True))]
    except (StopIteration, csv.Error):
        return [], iter(())
    return header, _records(lines, feed.pos, header, delimiter, record_start, pad_short)


def _records(
    lines: list[str], start: int, header: list[str], delimiter: str, record_start: re.Pattern[str] | None,
    pad_short: bool = False,
) -> Iterator[Row | BadRow]:
    width = len(header)
    feed = _Lines(lines, start)
    reader = csv.reader(feed, delimiter=delimiter, strict=True)
    while True:
        begin = feed.pos
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            resume = _resync(lines, begin + 1, max(feed.pos, begin + 1), record_start)
            reason = f"unreadable record ({exc}): truncated line or unbalanced quote?"
            yield BadRow(begin + 1, reason, "".join(lines[begin:resume])[:2000])
            feed.pos = resume
            reader = csv.reader(feed, delimiter=delimiter, strict=True)
            continue
        end = feed.pos
        if not any(cell.strip() for cell in row):
            continue
        if pad_short and len(row) < width:
            row += [""] * (width - len(row))
        if len(row) == width:
            yield Row(begin + 1, dict(zip(header, row, strict=True)), "".join(lines[begin:end]))
            continue
        resume = _resync(lines, begin + 1, end, record_start) if end - begin > 1 else end
        reason = f"expected {width} fields, found {len(row)} (truncated line or unbalanced quote?)"
        yield BadRow(begin + 1, reason, "".join(lines[begin:resume])[:2000])
        if resume != end:
            feed.pos = resume
            reader = csv.reader(feed, delimiter=delimiter, strict=True)


def _resync(lines: list[str], first: int, end: int, record_start: re.Pattern[str] | None) -> int:
    """Index of the first line in [first, end) that starts a record; ``end`` if none does."""
    if record_start is None:
        return first
    for k in range(first, end):
        if record_start.match(lines[k]):
            return k
    return end
