"""File-level classification: JSONL in, JSONL out, with a progress bar and bad lines reported, not fatal.

Large files are classified by a pool of worker processes (one per core), forked from the process that loaded
the classifier, so the index is loaded once and shared copy-on-write; output keeps the input order.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import IO, Any

from regia.classify import encoder as e5
from regia.classify.classifier import Classifier
from regia.progress import RichProgress

CHUNK = 8  # lines per task sent to a worker
POOL_MIN_LINES = 4 * CHUNK  # fewer lines than this are classified in the calling process


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


def classify_line(classifier: Classifier, no: int, line: str, *, top_k: int, lang: str) -> tuple[int, str | None, str]:
    """``(line number, output JSON line or None, error reason)`` of one input line; never raises."""
    try:
        rid, text = parse_line(line)
        result: dict[str, Any] = classifier.classify(text, top_k=top_k, lang=lang).as_dict(rid)
    except ValueError as exc:
        return no, None, str(exc)
    except Exception as exc:  # one bad record never stops a batch
        return no, None, f"{type(exc).__name__}: {exc}"
    return no, json.dumps(result, ensure_ascii=False) + "\n", ""


def classify_lines(
    classifier: Classifier, lines: Iterable[tuple[int, str]], out: IO[str], *, top_k: int = 20,
    lang: str = "auto", on_error: Callable[[int, str], None] | None = None,
    advance: Callable[[], None] | None = None, workers: int = 1,
) -> RunReport:
    """Classify ``lines`` into ``out`` in input order, with ``workers`` processes (1: in this process)."""
    report = RunReport()
    results: Iterable[list[tuple[int, str | None, str]]]
    if workers > 1:
        pool = _pool(classifier, workers, top_k=top_k, lang=lang)
        results = pool.imap(_classify_chunk, _chunks(lines, CHUNK))
    else:
        pool = None
        results = ([classify_line(classifier, no, line, top_k=top_k, lang=lang)] for no, line in lines)
    try:
        for chunk in results:
            for no, output, error in chunk:
                report.read += 1
                if output is None:
                    report.errors.append((no, error))
                    if on_error:
                        on_error(no, error)
                else:
                    out.write(output)
                    report.written += 1
                if advance:
                    advance()
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    return report


def default_workers(lines: int) -> int:
    """One worker per core available to this process for files of at least ``POOL_MIN_LINES`` lines."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return cores if lines >= POOL_MIN_LINES and cores > 1 else 1


# ---------------------------------------------------------------------- worker processes
_worker: tuple[Classifier, int, str] | None = None  # the classifier of a worker and its options


def _chunks(lines: Iterable[tuple[int, str]], size: int) -> Iterator[list[tuple[int, str]]]:
    it = iter(lines)
    while chunk := list(islice(it, size)):
        yield chunk


def _init_worker(state: tuple[Classifier, int, str] | None) -> None:
    global _worker
    e5.single_thread()  # the workers share the cores: one encoder thread each
    if state is not None:  # spawned: the state was pickled (forked workers inherit it)
        _worker = state


def _classify_chunk(chunk: list[tuple[int, str]]) -> list[tuple[int, str | None, str]]:
    assert _worker is not None
    classifier, top_k, lang = _worker
    return [classify_line(classifier, no, line, top_k=top_k, lang=lang) for no, line in chunk]


def _pool(classifier: Classifier, workers: int, *, top_k: int, lang: str) -> Any:
    """Forked workers inherit the loaded classifier; after the encoder ran in this process (OpenMP threads do
    not survive a fork) they are spawned and receive it pickled instead."""
    global _worker
    _worker = (classifier, top_k, lang)
    if e5.used_in_process() or "fork" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn").Pool(workers, _init_worker, (_worker,))
    return multiprocessing.get_context("fork").Pool(workers, _init_worker, (None,))


def classify_file(
    classifier: Classifier, source: Path, target: Path, *, top_k: int = 20, lang: str = "auto",
    progress: RichProgress | None = None, on_error: Callable[[int, str], None] | None = None,
    workers: int | None = None,
) -> RunReport:
    """Classify every line of ``source`` into ``target`` (written atomically at the end); ``workers``: processes
    (default: one per core for large files)."""
    total = count_lines(source)
    if workers is None:
        workers = default_workers(total)
    if progress is not None:
        progress.start(f"classify {source.name}", total)
    tmp = target.with_name(target.name + ".part")
    with tmp.open("w", encoding="utf-8") as out:
        report = classify_lines(classifier, _lines(source), out, top_k=top_k, lang=lang, on_error=on_error,
                                advance=progress.advance if progress is not None else None, workers=workers)
    tmp.replace(target)
    return report
