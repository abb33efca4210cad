"""What a batch job reads: a Parquet file, a JSON Lines file (``.jsonl``, ``.ndjson``, gzipped or not), or a
folder of either (read recursively; hidden and ``_`` names skipped), checked before any work starts."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import pyarrow.parquet as pq

from regia.batch.records import REQUIRED
from regia.batch.store import Store

PARQUET, JSONL = "parquet", "jsonl"
_SUFFIXES = {".parquet": PARQUET, ".pq": PARQUET, ".jsonl": JSONL, ".ndjson": JSONL, ".json": JSONL}


class InputError(ValueError):
    """An input a job cannot read; the message names the file and what is wrong."""


def format_of(name: str) -> str | None:
    base = name.lower().removesuffix(".gz")
    for suffix, kind in _SUFFIXES.items():
        if base.endswith(suffix):
            return kind
    return None


@dataclass(frozen=True)
class Source:
    """The input of a job: its folder (``store``), its files relative to it, their format."""

    location: str
    store: Store
    files: tuple[str, ...]
    format: str
    root: str  # the input as engines name it (a file or a folder): file names are reported relative to it

    def uris(self) -> list[str]:
        return [self.store.uri(f) for f in self.files]

    def paths(self) -> list[str]:
        return [self.store.path(f) for f in self.files]

    def fingerprint(self) -> str:
        """The files' names, sizes and modification times: a changed input is another job."""
        listing = [(f, *self.store.size_and_mtime(f)) for f in self.files]
        return hashlib.sha256(json.dumps([self.format, listing]).encode()).hexdigest()[:24]


def open_source(location: str) -> Source:
    """The job's input, checked: it exists, holds files of one format, and Parquet files have the required
    columns (JSON Lines rows are checked one by one while the job runs)."""
    whole = Store(location)
    if not whole.exists():
        raise InputError(f"input not found: {location}")
    if whole.is_dir():
        store, root = whole, whole.path()
        files = [f for f in whole.files() if format_of(f)]
        if not files:
            raise InputError(f"{location}: no Parquet or JSON Lines files in this folder")
    else:
        head, _, name = whole.path().rpartition("/")
        store = Store(head if whole.local else whole.location.rpartition("/")[0])
        root, files = whole.path(), [name]
        if format_of(name) is None:
            raise InputError(f"{location}: not a Parquet (.parquet) or JSON Lines (.jsonl, .ndjson) file")
    kinds = {format_of(f) for f in files}
    if len(kinds) > 1:
        raise InputError(f"{location}: mixes Parquet and JSON Lines files; give one format per job")
    kind = kinds.pop()
    assert kind is not None
    if kind == PARQUET:
        for f in files:
            try:
                schema = pq.read_schema(store.path(f), filesystem=store.fs)
            except Exception as exc:  # a damaged file: say which
                raise InputError(f"{f}: not a readable Parquet file ({exc})") from None
            missing = [c for c in REQUIRED if c not in schema.names]
            if missing:
                raise InputError(f"{f}: no column {', '.join(repr(m) for m in missing)} (postings need "
                                 f"{', '.join(REQUIRED)})")
    return Source(location, store, tuple(files), kind, root)
