"""The Italian bridge to ESCO skills: Italian terms written by the Regia team, each pointing to a skill URI.

ESCO's Italian skills file is not in the reference data here (see the data's SOURCES.md), so Italian text
would reach English-only skills through occupations alone. ``data/lexicon_it.csv`` (provenance in
``data/README.md``) gives Italian names to the skills most asked in Lombardy's postings. Its entries are
indexed as Italian labels of kind ``lexicon``; ESCO's own Italian labels, once imported, sit beside them.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

DATA = Path(str(resources.files("regia.classify") / "data"))
LEXICON_FILES = ("lexicon_it.csv",)
OCCUPATION_FILE = "lexicon_occupations.csv"  # job titles of postings that ESCO lacks ("Python developer")


@dataclass(frozen=True)
class Entry:
    term: str
    lang: str
    uri: str
    esco_label: str


def _paths() -> list[Path]:
    return [DATA / name for name in LEXICON_FILES if (DATA / name).is_file()]


@lru_cache
def entries() -> tuple[Entry, ...]:
    out: list[Entry] = []
    for path in _paths():
        with path.open(encoding="utf-8", newline="") as fh:
            rows = (line for line in fh if not line.startswith("#"))
            for row in csv.DictReader(rows):
                term, uri = (row.get("term") or "").strip(), (row.get("uri") or "").strip()
                if term and uri:
                    out.append(Entry(term, (row.get("lang") or "it").strip(), uri,
                                     (row.get("esco_label") or "").strip()))
    return tuple(out)


def digest() -> str:
    h = hashlib.sha256()
    for path in [*_paths(), DATA / OCCUPATION_FILE]:
        if path.is_file():
            h.update(path.read_bytes())
    return h.hexdigest()


@lru_cache
def occupation_entries() -> tuple[Entry, ...]:
    """Job titles (``data/lexicon_occupations.csv``) pointing at ESCO occupations, indexed like the skill lexicon."""
    path = DATA / OCCUPATION_FILE
    out: list[Entry] = []
    if path.is_file():
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(line for line in fh if not line.startswith("#")):
                term, uri = (row.get("term") or "").strip(), (row.get("uri") or "").strip()
                if term and uri:
                    out.append(Entry(term, (row.get("lang") or "it").strip(), uri,
                                     (row.get("esco_label") or "").strip()))
    return tuple(out)


GLOSSARY_FILE = "glossary_it_en.csv"


@lru_cache
def glossary() -> dict[str, tuple[str, ...]]:
    """Italian stem -> English words (best first): the word-by-word bridge of ``data/glossary_it_en.csv``."""
    from regia.taxonomy.normalize import fold, stem

    path = DATA / GLOSSARY_FILE
    out: dict[str, tuple[str, ...]] = {}
    if path.is_file():
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(line for line in fh if not line.startswith("#")):
                word, english = fold((row.get("it") or "").strip()), (row.get("en") or "").split()
                if word and english:
                    out.setdefault(stem(word, "it"), tuple(english))
    return out
