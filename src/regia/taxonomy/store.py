"""Bulk writes of concepts, labels, texts, relations and collections, keyed by the standards' ids."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from regia.taxonomy.models import CollectionMember, Concept, ConceptText, Geometry, Label, Relation
from regia.taxonomy.normalize import norm

CHUNK = 900  # stays under SQLite's bound-parameter limit for IN (...) lists

RelationRow = tuple[int, int, str, Mapping[str, Any] | None]  # source id, target id, type, attributes


@dataclass
class ConceptRecord:
    """One concept as read from a file, with the labels and texts that file gives in ``lang``."""

    scheme: str
    code: str
    type: str
    lang: str | None = None
    uri: str | None = None
    level: str | None = None
    attrs: dict[str, Any] = field(default_factory=dict)
    labels: list[tuple[str, str]] = field(default_factory=list)  # (kind, text)
    texts: dict[str, str] = field(default_factory=dict)  # field -> text
    fallback_labels: bool = False  # labels only for a concept that has none in ``lang`` yet

    def content(self) -> dict[str, Any]:
        return {
            "type": self.type, "uri": self.uri, "level": self.level, "attrs": self.attrs,
            "labels": sorted(set(self.labels)), "texts": self.texts,
        }


def _chunks(items: list[Any], size: int = CHUNK) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class ConceptStore:
    """Resolves ids by (scheme, code) or URI and writes in bulk within one session."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.by_key: dict[tuple[str, str], int] = {}
        self.by_uri: dict[str, int] = {}
        self.attrs: dict[int, dict[str, Any]] = {}
        for cid, scheme, code, uri, attrs in session.execute(
            select(Concept.id, Concept.scheme, Concept.code, Concept.uri, Concept.attrs)
        ):
            self._remember(cid, scheme, code, uri, attrs or {})

    def _remember(self, cid: int, scheme: str, code: str, uri: str | None, attrs: dict[str, Any]) -> None:
        self.by_key[(scheme, code)] = cid
        if uri:
            self.by_uri[uri] = cid
        self.attrs[cid] = attrs

    def id_of(self, scheme: str, code: str) -> int | None:
        return self.by_key.get((scheme, code))

    def write(self, records: list[ConceptRecord]) -> None:
        """Insert new concepts, merge attributes of known ones, replace their labels/texts in ``lang``."""
        new = [r for r in records if (r.scheme, r.code) not in self.by_key]
        if new:
            unique = {(r.scheme, r.code): r for r in new}
            self.session.execute(
                insert(Concept),
                [
                    {"scheme": r.scheme, "code": r.code, "type": r.type, "uri": r.uri, "level": r.level,
                     "attrs": r.attrs}
                    for r in unique.values()
                ],
            )
            for chunk in _chunks(list(unique.values())):
                codes = [r.code for r in chunk]
                rows = self.session.execute(
                    select(Concept.id, Concept.scheme, Concept.code, Concept.uri, Concept.attrs).where(
                        Concept.code.in_(codes)
                    )
                )
                for cid, scheme, code, uri, attrs in rows:
                    self._remember(cid, scheme, code, uri, attrs or {})
        new_keys = {(r.scheme, r.code) for r in new}
        for r in records:
            if (r.scheme, r.code) in new_keys:
                continue
            cid = self.by_key[(r.scheme, r.code)]
            merged = {**self.attrs.get(cid, {}), **r.attrs}
            values: dict[str, Any] = {"attrs": merged, "type": r.type}
            if r.level:
                values["level"] = r.level
            if r.uri:
                values["uri"] = r.uri
            self.session.execute(update(Concept).where(Concept.id == cid).values(**values))
            self.attrs[cid] = merged
        self._replace_labels(records)
        self._replace_texts(records)

    def _replace_labels(self, records: list[ConceptRecord]) -> None:
        by_lang: dict[str, list[ConceptRecord]] = {}
        for r in records:
            if r.lang and r.labels:
                by_lang.setdefault(r.lang, []).append(r)
        for lang, recs in by_lang.items():
            fallback = {self.by_key[(r.scheme, r.code)] for r in recs if r.fallback_labels}
            labelled: set[int] = set()
            for chunk in _chunks(sorted(fallback)):
                labelled.update(self.session.scalars(
                    select(Label.concept_id).where(Label.concept_id.in_(chunk), Label.lang == lang)))
            recs = [r for r in recs if self.by_key[(r.scheme, r.code)] not in labelled]
            ids = [self.by_key[(r.scheme, r.code)] for r in recs]
            for chunk in _chunks(ids):
                self.session.execute(delete(Label).where(Label.concept_id.in_(chunk), Label.lang == lang))
            rows = []
            for r, cid in zip(recs, ids, strict=True):
                seen: set[tuple[str, str]] = set()
                for kind, text in r.labels:
                    text = " ".join(text.split())
                    if text and (kind, text) not in seen:
                        seen.add((kind, text))
                        rows.append({"concept_id": cid, "lang": lang, "kind": kind, "text": text,
                                     "norm": norm(text, lang)})
            if rows:
                self.session.execute(insert(Label), rows)

    def _replace_texts(self, records: list[ConceptRecord]) -> None:
        recs = [r for r in records if r.lang and r.texts]
        if not recs:
            return
        ids = [self.by_key[(r.scheme, r.code)] for r in recs]
        for lang in {r.lang for r in recs}:
            lang_ids = [i for i, r in zip(ids, recs, strict=True) if r.lang == lang]
            for chunk in _chunks(lang_ids):
                self.session.execute(
                    delete(ConceptText).where(ConceptText.concept_id.in_(chunk), ConceptText.lang == lang)
                )
        rows = [
            {"concept_id": cid, "lang": r.lang, "field": f, "text": t}
            for r, cid in zip(recs, ids, strict=True)
            for f, t in r.texts.items()
            if t and t.strip()
        ]
        if rows:
            self.session.execute(insert(ConceptText), rows)

    def existing_relations(self, types: Iterable[str]) -> set[tuple[int, int, str]]:
        rows = self.session.execute(
            select(Relation.source_id, Relation.target_id, Relation.type).where(Relation.type.in_(list(types)))
        )
        return set(rows)

    def add_relations(self, rows: Sequence[RelationRow]) -> None:
        if rows:
            self.session.execute(
                insert(Relation),
                [{"source_id": s, "target_id": t, "type": ty, "attrs": a} for s, t, ty, a in rows],
            )

    def existing_members(self) -> set[tuple[int, str]]:
        rows = self.session.execute(select(CollectionMember.concept_id, CollectionMember.collection))
        return set(rows)

    def add_members(self, rows: list[tuple[int, str]]) -> None:
        if rows:
            self.session.execute(
                insert(CollectionMember), [{"concept_id": c, "collection": n} for c, n in rows]
            )

    def set_geometry(self, concept_id: int, geojson: str) -> bool:
        """Store or replace a geometry; True if it changed."""
        old = self.session.get(Geometry, concept_id)
        if old is not None and old.geojson == geojson:
            return False
        if old is None:
            self.session.add(Geometry(concept_id=concept_id, geojson=geojson))
        else:
            old.geojson = geojson
        return True
