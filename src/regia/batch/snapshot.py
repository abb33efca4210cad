"""The taxonomy snapshot: everything a batch worker needs from the database, in one file.

A worker (a process of the local pool, a Python worker of a Spark executor) has no database: it reads this
file once - the classifier's index and weights (``regia.classify``) and the code lists that turn postings
into facts (``regia.postings.reference``) - and keeps it for every partition it processes.

    regia batch snapshot -o taxonomy.snapshot       # from REGIA_DATABASE_URL's taxonomy

Layout: a first line ``REGIA-BATCH-SNAPSHOT <format>``, a JSON header line (fingerprint, payload SHA-256,
creation time, sizes), then the pickled payload. Pickle runs code when loaded: load only snapshots you
built (the header's digest catches truncated or altered copies, not forged ones).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import pickle
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from regia.batch.store import Store

MAGIC = b"REGIA-BATCH-SNAPSHOT"
FORMAT = 1


class SnapshotError(ValueError):
    pass


@dataclass
class Snapshot:
    header: dict[str, Any]
    index: Any  # regia.classify index
    params: Any  # regia.classify.Params
    reference: Any  # regia.postings.reference.Reference

    @property
    def digest(self) -> str:
        return str(self.header["sha256"])

    def classifier(self, params: dict[str, Any] | None = None) -> Any:
        """The classifier over the snapshot's index (built once per process and settings)."""
        key = tuple(sorted((params or {}).items()))
        cached = self.__dict__.setdefault("_classifiers", {})
        if key not in cached:
            from regia.classify import Classifier

            clf = Classifier(self.index, self.params)
            cached[key] = clf.with_params(**params) if params else clf
        return cached[key]


def build(engine: Engine, target: str, *, classifier: Any = None) -> dict[str, Any]:
    """Write the snapshot of ``engine``'s taxonomy to ``target`` (a path or URI); returns its header."""
    from regia.classify import classifier_for
    from regia.postings import reference

    clf = classifier or classifier_for(engine)
    ref = reference.for_engine(engine)
    payload = pickle.dumps({"index": clf.index, "params": clf.params, "reference": ref},
                           protocol=pickle.HIGHEST_PROTOCOL)
    header = {"format": FORMAT, "fingerprint": getattr(clf.index, "fingerprint", None),
              "sha256": hashlib.sha256(payload).hexdigest(), "bytes": len(payload),
              "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
              "concepts": len(getattr(clf.index, "uris", [])), "comuni": len(ref.comuni),
              "skills": len(ref.skills)}
    head, _, name = target.rstrip("/").rpartition("/")
    Store(head or ".").write_bytes(name, MAGIC + f" {FORMAT}\n".encode() + json.dumps(header).encode() + b"\n"
                                   + payload)
    return header


def ensure(engine: Engine, folder: Path) -> str:
    """The snapshot of ``engine``'s current taxonomy under ``folder`` (built when missing or outdated)."""
    from regia.classify import classifier_for

    clf = classifier_for(engine)
    path = folder / f"taxonomy-{getattr(clf.index, 'fingerprint', 'current')}.snapshot"
    if not path.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("taxonomy-*.snapshot"):
            old.unlink()
        build(engine, str(path), classifier=clf)
    return str(path)


def _parse(data: bytes, where: str) -> Snapshot:
    first, _, rest = data.partition(b"\n")
    if not first.startswith(MAGIC):
        raise SnapshotError(f"{where}: not a Regia batch snapshot (build one with `regia batch snapshot`)")
    if first != MAGIC + f" {FORMAT}".encode():
        raise SnapshotError(f"{where}: snapshot format {first[len(MAGIC):].decode().strip()!r}, this Regia "
                            f"reads {FORMAT}: build it again")
    line, _, payload = rest.partition(b"\n")
    header = json.loads(line)
    if len(payload) != header["bytes"] or hashlib.sha256(payload).hexdigest() != header["sha256"]:
        raise SnapshotError(f"{where}: the snapshot is truncated or altered (digest mismatch): copy it again")
    body = pickle.loads(payload)
    return Snapshot(header, body["index"], body["params"], body["reference"])


def read_header(location: str) -> dict[str, Any]:
    """The header of the snapshot at ``location`` (its digest, fingerprint, sizes) without loading it."""
    head, _, name = location.rstrip("/").rpartition("/")
    store = Store(head or ".")
    if not store.exists(name):
        raise SnapshotError(f"snapshot not found: {location}")
    with store.fs.open_input_stream(store.path(name)) as fh:
        start = fh.read(1 << 16)
    first, _, rest = start.partition(b"\n")
    if not first.startswith(MAGIC):
        raise SnapshotError(f"{location}: not a Regia batch snapshot (build one with `regia batch snapshot`)")
    return dict(json.loads(rest.partition(b"\n")[0]))


_LOCK = threading.Lock()
_LOADED: dict[tuple[str, int, float], Snapshot] = {}
LOADS = 0  # snapshots this process has read from storage (workers report it: one per process)


def load(location: str) -> Snapshot:
    """The snapshot at ``location``, read once per process (the same file again is served from memory)."""
    head, _, name = location.rstrip("/").rpartition("/")
    store = Store(head or ".")
    if not store.exists(name):
        raise SnapshotError(f"snapshot not found: {location}")
    key = (store.path(name), *store.size_and_mtime(name))
    global LOADS
    with _LOCK:
        snap = _LOADED.get(key)
        if snap is None:
            snap = _parse(store.read_bytes(name), location)
            LOADS += 1
            _LOADED.clear()  # one snapshot per process at a time: they are large
            _LOADED[key] = snap
        return snap
