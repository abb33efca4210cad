"""Taxonomy lookups: search, concept details and statistics. No HTTP here."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, aliased

from regia.taxonomy import models as m
from regia.taxonomy.models import CollectionMember, Concept, ConceptText, Geometry, Label, Relation
from regia.taxonomy.schemas import ConceptDetail, ConceptRef, LabelSet, SearchResult, TaxonomyStats
from regia.taxonomy.search import index_for

LANGS = ("it", "en")
# When a bare code exists in several schemes, the most used one first.
SCHEME_PRECEDENCE = ("esco", "isco08", "cp2011", "ateco2025", "ateco2022", "ateco2007", "territory")
ATECO_EDITIONS = ("ateco2025", "ateco2022", "ateco2007")  # newest first
FLAG_COLLECTIONS = ("digital", "green", "transversal", "language")


class ConceptNotFound(LookupError):
    pass


def preferred_labels(session: Session, ids: Iterable[int], lang: str) -> dict[int, str]:
    """Preferred label of each concept in ``lang``, falling back to the other language, then any."""
    ids = list(set(ids))
    found: dict[int, dict[str, str]] = defaultdict(dict)
    for i in range(0, len(ids), 900):
        rows = session.execute(
            select(Label.concept_id, Label.lang, Label.text).where(
                Label.concept_id.in_(ids[i : i + 900]), Label.kind == "preferred"
            )
        )
        for cid, lng, text in rows:
            found[cid].setdefault(lng, text)
    order = [lang, *[x for x in LANGS if x != lang]]
    out = {}
    for cid, by_lang in found.items():
        out[cid] = next((by_lang[x] for x in order if x in by_lang), next(iter(by_lang.values())))
    return out


def search(
    engine: Engine, session: Session, text: str, *, lang: str = "it", types: Iterable[str] | None = None,
    limit: int = 20,
) -> list[SearchResult]:
    wanted = set(types) if types else None
    if wanted and (unknown := wanted - set(m.CONCEPT_TYPES)):
        raise ValueError(f"unknown concept type(s): {', '.join(sorted(unknown))}")
    hits = index_for(engine, session).search(text, lang=lang, types=wanted, limit=limit)
    labels = preferred_labels(session, (h.concept_id for h in hits), lang)
    return [SearchResult(id=h.code, type=h.type, label=labels.get(h.concept_id, h.matched), score=h.score)
            for h in hits]


def resolve(session: Session, concept_id: str) -> Concept:
    """A concept by ESCO URI, by code (``2512``, ``ITC4C``, ``25.11``) or by ``scheme:code``."""
    concept_id = concept_id.strip()
    concept = session.scalar(select(Concept).where(Concept.uri == concept_id))
    if concept is not None:
        return concept
    scheme, _, code = concept_id.partition(":")
    if code and scheme in SCHEME_PRECEDENCE:
        concept = session.scalar(select(Concept).where(Concept.scheme == scheme, Concept.code == code))
    else:
        candidates = {c.scheme: c for c in session.scalars(select(Concept).where(Concept.code == concept_id))}
        concept = next((candidates[s] for s in SCHEME_PRECEDENCE if s in candidates), None)
    if concept is None:
        raise ConceptNotFound(concept_id)
    return concept


def _refs(session: Session, concepts: list[Concept], lang: str) -> list[ConceptRef]:
    labels = preferred_labels(session, (c.id for c in concepts), lang)
    refs = [ConceptRef(id=c.code, type=c.type, label=labels.get(c.id, c.code), scheme=c.scheme, level=c.level)
            for c in concepts]
    return sorted(refs, key=lambda r: (r.label.lower(), r.id))


def _related(session: Session, concept: Concept, types: Iterable[str], *, incoming: bool = False) -> list[Concept]:
    rel_col, other_col = (Relation.target_id, Relation.source_id) if incoming else (
        Relation.source_id, Relation.target_id)
    query = select(Concept).join(Relation, other_col == Concept.id).where(
        rel_col == concept.id, Relation.type.in_(list(types)))
    return list(session.scalars(query))


def get_concept(session: Session, concept_id: str, *, lang: str = "it") -> ConceptDetail:
    c = resolve(session, concept_id)
    labels: dict[str, LabelSet] = {}
    for lng, kind, text in session.execute(
        select(Label.lang, Label.kind, Label.text).where(Label.concept_id == c.id).order_by(Label.id)
    ):
        getattr(labels.setdefault(lng, LabelSet()), kind).append(text)
    texts: dict[str, dict[str, str]] = defaultdict(dict)
    for lng, field, text in session.execute(
        select(ConceptText.lang, ConceptText.field, ConceptText.text).where(ConceptText.concept_id == c.id)
    ):
        texts[lng][field] = text
    collections = sorted(set(session.scalars(
        select(CollectionMember.collection).where(CollectionMember.concept_id == c.id))))
    broader = _related(session, c, [m.BROADER])
    narrower = _related(session, c, [m.BROADER], incoming=True)
    detail = ConceptDetail(
        id=c.code, type=c.type, scheme=c.scheme, uri=c.uri, level=c.level,
        label=preferred_labels(session, [c.id], lang).get(c.id, c.code), labels=labels, texts=dict(texts),
        attrs=c.attrs or {}, collections=collections,
        broader=_refs(session, [b for b in broader if b.type != m.ISCO or c.type == m.ISCO], lang),
        narrower=_refs(session, narrower, lang),
    )
    if c.type == m.OCCUPATION:
        detail.essential_skills = _refs(session, _related(session, c, [m.ESSENTIAL_SKILL]), lang)
        detail.optional_skills = _refs(session, _related(session, c, [m.OPTIONAL_SKILL]), lang)
        detail.isco = _refs(session, [b for b in broader if b.type == m.ISCO], lang)
        crosswalk = [t for t in session.execute(select(Relation.type).distinct()).scalars()
                     if t.startswith(m.CROSSWALK_PREFIX)]
        detail.cp2011 = _refs(session, _related(session, c, crosswalk, incoming=True), lang)
    elif c.type == m.SKILL:
        detail.skill_groups = _refs(session, [b for b in broader if b.type == m.SKILL_GROUP], lang)
        detail.occupations = _refs(
            session, _related(session, c, [m.ESSENTIAL_SKILL], incoming=True), lang)[:200]
        detail.related = _refs(session, _related(session, c, [m.SKILL_ESSENTIAL_FOR, m.SKILL_OPTIONAL_FOR]), lang)
        detail.flags = {name: name in collections for name in FLAG_COLLECTIONS}
    elif c.type == m.CP:
        crosswalk = [t for t in session.execute(select(Relation.type).distinct()).scalars()
                     if t.startswith(m.CROSSWALK_PREFIX)]
        detail.esco_occupations = _refs(session, _related(session, c, crosswalk), lang)
        detail.isco = _refs(session, _related(session, c, [m.ISCO_DERIVED]), lang)
    elif c.type == m.ISCO:
        detail.esco_occupations = _refs(
            session, [n for n in narrower if n.type == m.OCCUPATION], lang)
        detail.narrower = [r for r in detail.narrower if r.type == m.ISCO]
    return detail


def _label_counts(session: Session, ctype: str) -> dict[str, int]:
    rows = session.execute(
        select(Label.lang, func.count(func.distinct(Label.concept_id)))
        .join(Concept, Concept.id == Label.concept_id)
        .where(Concept.type == ctype, Label.kind == "preferred")
        .group_by(Label.lang)
    )
    return {lang: n for lang, n in sorted(rows)}


def stats(session: Session) -> TaxonomyStats:
    def count(*where) -> int:  # type: ignore[no-untyped-def]
        return session.scalar(select(func.count(Concept.id)).where(*where)) or 0

    occ, skill = aliased(Concept), aliased(Concept)
    relations = session.scalar(
        select(func.count(Relation.id))
        .join(occ, occ.id == Relation.source_id)
        .join(skill, skill.id == Relation.target_id)
        .where(Relation.type.in_([m.ESSENTIAL_SKILL, m.OPTIONAL_SKILL]))
    ) or 0
    return TaxonomyStats(
        skills=count(Concept.type == m.SKILL),
        occupations=count(Concept.type == m.OCCUPATION),
        skill_groups=count(Concept.type == m.SKILL_GROUP),
        occupation_skill_relations=relations,
        occupations_with_label=_label_counts(session, m.OCCUPATION),
        skills_with_label=_label_counts(session, m.SKILL),
        isco_groups=count(Concept.type == m.ISCO),
        isco_groups_with_label=_label_counts(session, m.ISCO),
        cp2011_units=count(Concept.scheme == "cp2011", Concept.level == "5"),
        cp2011_codes=count(Concept.scheme == "cp2011"),
        ateco={ed: count(Concept.scheme == f"ateco{ed}") for ed in ("2007", "2022", "2025")},
        regions=count(Concept.type == m.TERRITORY, Concept.level == "region"),
        provinces=count(Concept.type == m.TERRITORY, Concept.level == "province"),
        comuni=count(Concept.type == m.TERRITORY, Concept.level == "comune"),
        provinces_with_geometry=session.scalar(
            select(func.count(Geometry.concept_id)).join(Concept, Concept.id == Geometry.concept_id)
            .where(Concept.level == "province")) or 0,
    )


def names(session: Session, codes: Iterable[str], lang: str, *, schemes: Sequence[str] = SCHEME_PRECEDENCE
          ) -> dict[str, str]:
    """The name to show for each public id the pages hold: ESCO URIs, codes (NUTS3 ``ITC4D``, ISTAT comune
    ``015146``, ATECO ``C`` / ``25.62``, ISCO, CP2011) and province sigle (``BG``). A bare code is looked up in
    ``schemes``, the first holding it wins (``25`` is an ISCO group and an ATECO division: a sectors field
    passes the ATECO editions); ids the taxonomy does not hold are left out."""
    wanted = {c.strip() for c in codes if c and c.strip()}
    if not wanted:
        return {}
    uris = sorted(c for c in wanted if c.startswith("http"))
    bare = sorted(wanted - set(uris))
    found: dict[str, Concept] = {}
    for i in range(0, len(uris), 900):
        for c in session.scalars(select(Concept).where(Concept.uri.in_(uris[i:i + 900]))):
            found[c.uri or c.code] = c
    rank = {s: i for i, s in enumerate(schemes)}
    for i in range(0, len(bare), 900):
        for c in session.scalars(select(Concept).where(Concept.code.in_(bare[i:i + 900]),
                                                       Concept.scheme.in_(list(schemes)))):
            held = found.get(c.code)
            if held is None or rank[c.scheme] < rank[held.scheme]:
                found[c.code] = c
    if "territory" in rank and (sigle := {c for c in bare if len(c) == 2 and c.isalpha() and c not in found}):
        for c in session.scalars(select(Concept).where(Concept.type == m.TERRITORY, Concept.level == "province")):
            sigla = (c.attrs or {}).get("sigla")
            if sigla in sigle:
                found[sigla] = c
    labels = preferred_labels(session, (c.id for c in found.values()), lang)
    return {code: labels[c.id] for code, c in found.items() if c.id in labels}


def territory_names(session: Session, lang: str) -> dict[str, str]:
    """Every region's and province's name by its codes (NUTS ``ITC4``, ``ITC46``, and the province's sigla
    ``BG``), in ``lang``: for pages that name a territory instead of showing its code."""
    rows = session.scalars(select(Concept).where(Concept.type == m.TERRITORY,
                                                 Concept.level.in_(("region", "province")))).all()
    labels = preferred_labels(session, (c.id for c in rows), lang)
    names = {c.code: labels[c.id] for c in rows if c.id in labels}
    names |= {c.attrs["sigla"]: labels[c.id] for c in rows if c.id in labels and (c.attrs or {}).get("sigla")}
    return names


def province_features(session: Session, *, region: str | None = None) -> dict[str, object]:
    """Provinces as a GeoJSON FeatureCollection (properties: nuts3, name, sigla, region)."""
    import json

    query = select(Concept, Geometry.geojson).join(Geometry, Geometry.concept_id == Concept.id).where(
        Concept.level == "province")
    rows = session.execute(query).all()
    names = preferred_labels(session, (c.id for c, _ in rows), "it")
    features = []
    for c, geometry in rows:
        attrs = c.attrs or {}
        if region and attrs.get("nuts2") != region:
            continue
        features.append({
            "type": "Feature",
            "geometry": json.loads(geometry),
            "properties": {"nuts3": c.code, "name": names.get(c.id, c.code), "sigla": attrs.get("sigla"),
                           "region": attrs.get("nuts2")},
        })
    return {"type": "FeatureCollection", "features": features}


__all__ = ["ConceptNotFound", "get_concept", "names", "province_features", "resolve", "search", "stats",
           "territory_names"]
