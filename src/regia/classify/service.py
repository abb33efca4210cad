"""File-level classification: JSONL in, JSONL out, with a progress bar and bad lines reported, not fatal."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from regia.classify.classifier import Classifier
from regia.progress import RichProgress


@dataclass
class RunReport:
    read: int = 0
    written: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)


def parse_line(line: str) -> tuple[str, str]:
    """``(id, text)`` of one input line; ``ValueError`` with a readable reason when it is not usable."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg} at column {exc.colno}") from exc
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    text = record.get("text")
    if not isinstance(text, str):
        raise ValueError("missing or non-string field 'text'")
    rid = record.get("id")
    if rid is None:
        raise ValueError("missing field 'id'")
    if not isinstance(rid, str | int):
        raise ValueError("field 'id' must be a string or a number")
    return str(rid), text


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open(encoding="utf-8", errors="replace") as fh:
        for no, line in enumerate(fh, 1):
            if line.strip():
                yield no, line


def count_lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for line in fh if line.strip())


def classify_lines(
    classifier: Classifier, lines: Iterable[tuple[int, str]], out: IO[str], *, top_k: int = 20,
    lang: str = "auto", on_error: Callable[[int, str], None] | None = None,
    advance: Callable[[], None] | None = None,
) -> RunReport:
    report = RunReport()
    for no, line in lines:
        report.read += 1
        try:
            rid, text = parse_line(line)
            result: dict[str, Any] = classifier.classify(text, top_k=top_k, lang=lang).as_dict(rid)
        except ValueError as exc:
            report.errors.append((no, str(exc)))
            if on_error:
                on_error(no, str(exc))
        except Exception as exc:  # one bad record never stops a batch
            reason = f"{type(exc).__name__}: {exc}"
            report.errors.append((no, reason))
            if on_error:
                on_error(no, reason)
        else:
            out.write(json.dumps(result, ensure_ascii=False) + "\n")
            report.written += 1
        if advance:
            advance()
    return report


def classify_file(
    classifier: Classifier, source: Path, target: Path, *, top_k: int = 20, lang: str = "auto",
    progress: RichProgress | None = None, on_error: Callable[[int, str], None] | None = None,
) -> RunReport:
    """Classify every line of ``source`` into ``target`` (written atomically at the end)."""
    total = count_lines(source)
    if progress is not None:
        progress.start(f"classify {source.name}", total)
    tmp = target.with_name(target.name + ".part")
    with tmp.open("w", encoding="utf-8") as out:
        report = classify_lines(classifier, _lines(source), out, top_k=top_k, lang=lang, on_error=on_error,
                                advance=progress.advance if progress is not None else None)
    tmp.replace(target)
    return report
