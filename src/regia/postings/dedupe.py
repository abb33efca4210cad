"""Counting demand once: exact duplicates by natural key and content hash, near-duplicates by MinHash/LSH.

- **exact**: the same content (normalised employer, title, text, place, contract), whichever board or feed
  it came from and whenever it was scraped, has one content hash; it is stored once.
- **revision**: the same natural key (feed + the source's id) with changed content: the same posting,
  edited; stored, and grouped with the held one.
- **near**: same employer, same title and the same province, and word 3-shingle Jaccard similarity of the
  texts >= ``threshold`` (estimated from 64 MinHash permutations, candidates found by LSH banding):
  stored, and grouped with the held one.

A group's id is the id of its first posting (the *lead*); demand = distinct groups.
"""

from __future__ import annotations

import hashlib
import json
import re
import zlib
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz

from regia.taxonomy.normalize import fold

NUM_PERM = 64
BANDS = 16  # 16 bands of 4 rows: candidate probability 50% at Jaccard 0.5, 99.9% at 0.8
ROWS = NUM_PERM // BANDS
_PRIME = np.uint64((1 << 61) - 1)
_MAX = np.uint64((1 << 32) - 1)
_rng = np.random.RandomState(1)
_A = _rng.randint(1, (1 << 32) - 1, size=NUM_PERM, dtype=np.uint64)
_B = _rng.randint(0, (1 << 32) - 1, size=NUM_PERM, dtype=np.uint64)

_LEGAL_FORM = re.compile(
    r"\b(?:s\s*r\s*l\s*s?|s\s*p\s*a|s\s*n\s*c|s\s*a\s*s|s\s*c\s*a\s*r\s*l|s\s*c\s*r\s*l|soc(?:ieta)?\s*coop(?:erativa)?"
    r"(?:\s*sociale)?|societa\s+(?:a\s+responsabilita\s+limitata|per\s+azioni|cooperativa)|unipersonale|"
    r"in\s+liquidazione|gmbh|ltd|inc|spa|srl|onlus|impresa\s+sociale|& c|e c)\b")
_GENDER_TAG = re.compile(r"\(\s*(?:m\s*/\s*f|f\s*/\s*m|m\s*/\s*f\s*/\s*x|m\s*/\s*w|uomo\s*/\s*donna|h\s*/\s*f)\s*\)"
                         r"|\b(?:m\s*/\s*f|f\s*/\s*m)\b|\b[a-z]+\s*/\s*(?:a|e|i|essa|trice|ice)\b")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_SLASH_GENDER = re.compile(r"\b([a-z]{3,})/(?:a|e|i|o|essa|ssa|ice|trice)\b")


def norm_employer(name: str | None) -> str:
    if not name:
        return ""
    text = _NON_WORD.sub(" ", fold(name).replace(".", ""))
    text = _LEGAL_FORM.sub(" ", text)
    return " ".join(text.split())


def norm_title(title: str | None) -> str:
    if not title:
        return ""
    text = fold(title)
    text = _SLASH_GENDER.sub(r"\1", text)
    text = _GENDER_TAG.sub(" ", text)
    return " ".join(_NON_WORD.sub(" ", text).split())


def norm_text(text: str | None) -> str:
    return " ".join(_NON_WORD.sub(" ", fold(text or "")).split())


def content_hash(fields: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def shingles(text: str, k: int = 3) -> list[str]:
    words = text.split()
    if len(words) < k:
        return [" ".join(words)] if words else []
    return [" ".join(words[i:i + k]) for i in range(len(words) - k + 1)]


def minhash(text: str) -> np.ndarray:
    """64 MinHash values (uint32) of the word 3-shingles of a normalised text."""
    items = shingles(text)
    if not items:
        return np.full(NUM_PERM, int(_MAX), dtype=np.uint32)
    hv = np.fromiter((zlib.crc32(s.encode()) for s in set(items)), dtype=np.uint64)
    perm = (np.outer(hv, _A) + _B) % _PRIME & _MAX
    return perm.min(axis=0).astype(np.uint32)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures."""
    return float(np.count_nonzero(a == b)) / NUM_PERM


def band_keys(sig: np.ndarray) -> list[bytes]:
    raw = sig.tobytes()
    step = ROWS * 4
    return [bytes([b]) + raw[b * step:(b + 1) * step] for b in range(BANDS)]


@dataclass
class Held:
    id: int
    group_id: int
    employer: str
    title: str
    place: str
    signature: np.ndarray


@dataclass(frozen=True)
class Verdict:
    kind: str  # new, exact, revision, near
    match_id: int | None = None
    group_id: int | None = None
    similarity: float | None = None


class Deduper:
    """What is held (hashes, natural keys, signatures), updated as postings are accepted."""

    def __init__(self, threshold: float = 0.8, title_ratio: float = 85.0, employer_ratio: float = 90.0) -> None:
        self.threshold = threshold
        self.title_ratio = title_ratio
        self.employer_ratio = employer_ratio
        self.hashes: dict[str, int] = {}  # content hash -> posting id
        self.keys: dict[str, int] = {}  # natural key -> group id
        self.held: dict[int, Held] = {}
        self.bands: dict[bytes, list[int]] = defaultdict(list)

    def add(self, *, id: int, group_id: int, content_hash: str, natural_key: str, employer: str, title: str,
            place: str, signature: np.ndarray) -> None:
        self.hashes[content_hash] = id
        self.keys.setdefault(natural_key, group_id)
        self.held[id] = Held(id, group_id, employer, title, place, signature)
        for key in band_keys(signature):
            self.bands[key].append(id)

    def judge(self, *, content_hash: str, natural_key: str | None, employer: str, title: str, place: str,
              signature: np.ndarray) -> Verdict:
        if (pid := self.hashes.get(content_hash)) is not None:
            return Verdict("exact", pid, self.held[pid].group_id if pid in self.held else pid, 1.0)
        if natural_key is not None and (gid := self.keys.get(natural_key)) is not None:
            return Verdict("revision", gid, gid, None)
        candidates: set[int] = set()
        for key in band_keys(signature):
            candidates.update(self.bands.get(key, ()))
        best: tuple[float, int] | None = None
        for cid in candidates:
            h = self.held[cid]
            if h.place != place:
                continue
            if h.employer != employer and (not h.employer or not employer or fuzz.ratio(h.employer, employer)
                                           < self.employer_ratio):
                continue
            if h.title != title and fuzz.token_set_ratio(h.title, title) < self.title_ratio:
                continue
            sim = similarity(h.signature, signature)
            if sim >= self.threshold and (best is None or (sim, -h.group_id) > (best[0], -self.held[best[1]].group_id)):
                best = (sim, cid)
        if best is not None:
            return Verdict("near", best[1], self.held[best[1]].group_id, best[0])
        return Verdict("new")
