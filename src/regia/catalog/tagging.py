"""ESCO skills and occupations of a course's text, from the classifier; digital/green flags from ESCO's
collections.

A course description is short and names what is taught, so more of the classifier's ranked skills are kept
than it *selects* for a job ad: every selected skill, then the best ones scoring at least ``SKILL_MIN`` up to
``SKILL_MAX`` in all. They are stored with ``origin="classifier"`` and ``confirmed=False`` until the provider
confirms them; skills the provider declares (``skills`` column) are ``origin="provider"``, confirmed.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from regia.taxonomy.models import CollectionMember, Concept

log = logging.getLogger(__name__)

SKILL_MIN = 0.2
SKILL_MAX = 8
OCCUPATION_MAX = 3


@dataclass(frozen=True)
class Tags:
    skills: list[tuple[str, float]]
    occupations: list[tuple[str, float]]


class Tagger:
    """Classifies course texts once each (identical texts share the result)."""

    def __init__(self, engine: Engine, cache_dir: Path | None = None) -> None:
        from regia.classify.classifier import Classifier

        self.classifier = Classifier.from_engine(engine, cache_dir=cache_dir)
        self._cache: dict[str, Tags] = {}

    def tags(self, title: str, description: str) -> Tags:
        text = f"{title}.\n{description}".strip()
        key = hashlib.sha1(text.encode()).hexdigest()
        if key not in self._cache:
            result = self.classifier.classify(text, top_k=20, lang="auto")
            skills = [(m.uri, m.score) for m in result.skills if m.selected or m.score >= SKILL_MIN][:SKILL_MAX]
            occupations = [(m.uri, m.score) for m in result.occupations if m.selected][:OCCUPATION_MAX]
            self._cache[key] = Tags(skills, occupations)
        return self._cache[key]


def make_tagger(engine: Engine, cache_dir: Path | None) -> Tagger | None:
    """A tagger, or None when the taxonomy is not loaded (then courses keep only declared skills)."""
    with Session(engine) as session:
        if session.scalar(select(Concept.id).where(Concept.type == "skill").limit(1)) is None:
            log.warning("no ESCO skills in the database: courses are not tagged by the classifier")
            return None
    return Tagger(engine, cache_dir)


def collections(session: Session, names: tuple[str, ...] = ("digital", "green")) -> dict[str, set[str]]:
    """Skill URIs of each ESCO collection."""
    out: dict[str, set[str]] = {name: set() for name in names}
    rows = session.execute(select(CollectionMember.collection, Concept.uri)
                           .join(Concept, Concept.id == CollectionMember.concept_id)
                           .where(CollectionMember.collection.in_(names)))
    for name, uri in rows:
        if uri:
            out[name].add(uri)
    return out
