"""Where a batch job reads and writes: a local folder or a URI that ``pyarrow.fs`` opens (``hdfs://``,
``s3://``, ``gs://`` ...), the same for the driver and for Spark's executors.

Every file is written under a hidden temporary name and moved into place, so that a reader (or a job resumed
after a kill) never sees half a file; a retried task writes the same names again. Temporary names start with
``.`` so that Spark, DuckDB's ``*.parquet`` globs and Hive-style readers skip them.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from pyarrow import fs as pafs


def is_uri(location: str) -> bool:
    return "://" in location and not location.startswith("file://")


class Store:
    """A folder (local path or URI) and the file operations batch jobs need, all relative to it."""

    def __init__(self, location: str | Path) -> None:
        text = str(location)
        if text.startswith("file://"):
            text = text.removeprefix("file://")
        if is_uri(text):
            self.fs, self.root = pafs.FileSystem.from_uri(text)
            self.location = text
        else:
            self.fs = pafs.LocalFileSystem()
            self.root = os.path.abspath(text)
            self.location = self.root
        self.root = self.root.rstrip("/")

    def __repr__(self) -> str:
        return f"Store({self.location!r})"

    def __reduce__(self) -> tuple[Any, ...]:  # pickled into Spark tasks by location, not by filesystem handle
        return (Store, (self.location,))

    @property
    def local(self) -> bool:
        return isinstance(self.fs, pafs.LocalFileSystem)

    def path(self, rel: str = "") -> str:
        return f"{self.root}/{rel}" if rel else self.root

    def uri(self, rel: str = "") -> str:
        """The location of ``rel`` as Spark and DuckDB name it (``file:///...`` for local folders)."""
        if self.local:
            return "file://" + self.path(rel)
        return self.location.rstrip("/") + (f"/{rel}" if rel else "")

    def child(self, rel: str) -> Store:
        return Store(self.path(rel) if self.local else self.uri(rel))

    # ------------------------------------------------------------------ reading
    def exists(self, rel: str = "") -> bool:
        return self.fs.get_file_info(self.path(rel)).type != pafs.FileType.NotFound

    def is_dir(self, rel: str = "") -> bool:
        return self.fs.get_file_info(self.path(rel)).type == pafs.FileType.Directory

    def files(self, rel: str = "", *, recursive: bool = True) -> list[str]:
        """Paths (relative to the store) of the visible files under ``rel``, sorted; hidden (``.``) and
        metadata (``_``) names are skipped."""
        base = self.path(rel)
        if not self.exists(rel):
            return []
        infos = self.fs.get_file_info(pafs.FileSelector(base, recursive=recursive))
        out = []
        for info in infos:
            if info.type != pafs.FileType.File:
                continue
            relpath = info.path[len(self.root) + 1:]
            if any(part.startswith((".", "_")) for part in relpath[len(rel):].split("/") if part):
                continue
            out.append(relpath)
        return sorted(out)

    def size_and_mtime(self, rel: str) -> tuple[int, float]:
        info = self.fs.get_file_info(self.path(rel))
        mtime = info.mtime.timestamp() if info.mtime is not None else 0.0
        return int(info.size or 0), mtime

    def read_bytes(self, rel: str) -> bytes:
        with self.fs.open_input_stream(self.path(rel)) as fh:
            return fh.read()

    def read_json(self, rel: str) -> Any:
        return json.loads(self.read_bytes(rel).decode("utf-8"))

    def hidden(self, rel: str) -> list[str]:
        """Temporary files left by killed writers under ``rel`` (recursively)."""
        if not self.exists(rel):
            return []
        infos = self.fs.get_file_info(pafs.FileSelector(self.path(rel), recursive=True))
        return [i.path[len(self.root) + 1:] for i in infos
                if i.type == pafs.FileType.File and i.base_name.startswith(".") and i.base_name.endswith(".tmp")]

    # ------------------------------------------------------------------ writing
    def _tmp(self, rel: str) -> str:
        head, _, name = rel.rpartition("/")
        return (f"{head}/" if head else "") + f".{name}.{uuid.uuid4().hex[:12]}.tmp"

    def makedirs(self, rel: str) -> None:
        self.fs.create_dir(self.path(rel), recursive=True)

    def _parent(self, rel: str) -> None:
        head = rel.rpartition("/")[0]
        if head:
            self.makedirs(head)
        elif self.local:
            Path(self.root).mkdir(parents=True, exist_ok=True)

    def write_bytes(self, rel: str, data: bytes) -> None:
        self._parent(rel)
        tmp = self._tmp(rel)
        with self.fs.open_output_stream(self.path(tmp)) as fh:
            fh.write(data)
        self.fs.move(self.path(tmp), self.path(rel))

    def write_json(self, rel: str, value: Any) -> None:
        self.write_bytes(rel, (json.dumps(value, ensure_ascii=False, indent=1, default=str) + "\n").encode())

    def write_table(self, rel: str, table: pa.Table) -> None:
        self._parent(rel)
        tmp = self._tmp(rel)
        pq.write_table(table, self.path(tmp), filesystem=self.fs, compression="zstd")
        self.fs.move(self.path(tmp), self.path(rel))

    def delete(self, rel: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.fs.delete_file(self.path(rel))

    def delete_dir(self, rel: str) -> None:
        if self.exists(rel):
            self.fs.delete_dir(self.path(rel))
