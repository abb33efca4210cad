"""What ingest and analytics need from the taxonomy, loaded once in bulk and read-only.

``taxonomy.service`` answers one concept at a time (``resolve``, ``get_concept``); ingesting 200,000
postings needs whole tables at once (every comune with its province, every ATECO code with its section,
every skill with its collections). This module reads them in a handful of queries. It only *reads* the
taxonomy's tables; it is the single place to move into ``taxonomy.service`` (as a bulk "gazetteer" /
"code lists" function) once that module offers one.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, aliased

from regia.db import session_factory
from regia.taxonomy.models import CollectionMember, Concept, Label, Relation

# preference among CP2011 <-> ESCO crosswalk relations when an occupation maps to several CP units
_CROSSWALK_RANK = {"skos:exactMatch": 0, "skos:closeMatch": 1, "skos:narrowMatch": 2, "skos:broadMatch": 3}
ATECO_SCHEMES = ("ateco2007", "ateco2022", "ateco2025")


@dataclass(frozen=True)
class Comune:
    code: str
    name: str
    nuts3: str
    sigla: str
    cadastral: str


@dataclass(frozen=True)
class Province:
    nuts3: str
    name: str
    sigla: str
    nuts2: str


@dataclass
class Reference:
    comuni: dict[str, Comune] = field(default_factory=dict)  # ISTAT code -> comune
    provinces: dict[str, Province] = field(default_factory=dict)  # NUTS3 -> province
    regions: dict[str, str] = field(default_factory=dict)  # NUTS2 -> name
    # scheme -> code -> (level, parent)
    ateco: dict[str, dict[str, tuple[str, str | None]]] = field(default_factory=dict)
    ateco_labels: dict[str, str] = field(default_factory=dict)  # ateco2007 code -> Italian title
    isco: dict[str, str] = field(default_factory=dict)  # ISCO-08 code -> label (it, else en)
    cp: dict[str, str] = field(default_factory=dict)  # CP2011 code -> Italian title
    occupations: dict[str, str] = field(default_factory=dict)  # ESCO occupation URI -> ISCO unit group
    occupation_cp: dict[str, str] = field(default_factory=dict)  # ESCO occupation URI -> best CP2011 unit
    skills: set[str] = field(default_factory=set)  # ESCO skill URIs
    collections: dict[str, frozenset[str]] = field(default_factory=dict)  # skill URI -> collections

    # ------------------------------------------------------------------ ATECO
    def ateco_path(self, code: str, scheme: str = "ateco2007") -> tuple[str, str | None, str | None] | None:
        """``(code, division, section)`` of an ATECO code in ``scheme`` (None if unknown)."""
        codes = self.ateco.get(scheme, {})
        code = code.strip().upper() if code.strip().isalpha() else code.strip()
        if code not in codes:
            return None
        division = section = None
        cur: str | None = code
        while cur is not None and cur in codes:
            level, parent = codes[cur]
            if level == "division":
                division = cur
            elif level == "section":
                section = cur
            cur = parent
        return code, division, section

    def skill_flags(self, uri: str) -> frozenset[str]:
        return self.collections.get(uri, frozenset())


def _labels(session: Session, types: tuple[str, ...], schemes: tuple[str, ...] | None = None
            ) -> dict[tuple[str, str], dict[str, str]]:
    """(scheme, code) -> lang -> preferred label."""
    query = select(Concept.scheme, Concept.code, Label.lang, Label.text).join(
        Label, Label.concept_id == Concept.id).where(Concept.type.in_(types), Label.kind == "preferred")
    if schemes:
        query = query.where(Concept.scheme.in_(schemes))
    out: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    for scheme, code, lang, text in session.execute(query):
        out[(scheme, code)].setdefault(lang, text)
    return out


def load(session: Session) -> Reference:
    ref = Reference()
    terr = _labels(session, ("territory",))
    for code, level, attrs in session.execute(
            select(Concept.code, Concept.level, Concept.attrs).where(Concept.type == "territory")):
        attrs = attrs or {}
        name = terr.get(("territory", code), {}).get("it", code)
        if level == "comune":
            ref.comuni[code] = Comune(code, name, attrs.get("nuts3", ""), attrs.get("sigla", ""),
                                      attrs.get("cadastral_code", ""))
        elif level == "province":
            ref.provinces[code] = Province(code, name, attrs.get("sigla", ""), attrs.get("nuts2", ""))
        elif level == "region":
            ref.regions[code] = name
    for scheme, code, level, attrs in session.execute(
            select(Concept.scheme, Concept.code, Concept.level, Concept.attrs).where(Concept.type == "ateco")):
        ref.ateco.setdefault(scheme, {})[code] = (level or "", (attrs or {}).get("parent"))
    for (_, code), by_lang in _labels(session, ("ateco",), ("ateco2007",)).items():
        ref.ateco_labels[code] = by_lang.get("it") or next(iter(by_lang.values()))
    for (_, code), by_lang in _labels(session, ("isco",)).items():
        ref.isco[code] = by_lang.get("it") or by_lang.get("en") or code
    for (_, code), by_lang in _labels(session, ("cp",)).items():
        ref.cp[code] = by_lang.get("it") or code
    for uri, attrs in session.execute(select(Concept.code, Concept.attrs).where(Concept.type == "occupation")):
        ref.occupations[uri] = (attrs or {}).get("isco_group", "")
    cp, occ = aliased(Concept), aliased(Concept)
    best: dict[str, tuple[int, str]] = {}
    for cp_code, occ_uri, rel in session.execute(
            select(cp.code, occ.code, Relation.type).join(cp, cp.id == Relation.source_id)
            .join(occ, occ.id == Relation.target_id).where(Relation.type.like("skos:%"), cp.level == "5")):
        rank = (_CROSSWALK_RANK.get(rel, 9), cp_code)
        if occ_uri not in best or rank < best[occ_uri]:
            best[occ_uri] = rank
    ref.occupation_cp = {uri: code for uri, (_, code) in best.items()}
    ref.skills = set(session.scalars(select(Concept.code).where(Concept.type == "skill")))
    flags: dict[str, set[str]] = defaultdict(set)
    for uri, collection in session.execute(
            select(Concept.code, CollectionMember.collection).join(
                CollectionMember, CollectionMember.concept_id == Concept.id)):
        flags[uri].add(collection)
    ref.collections = {uri: frozenset(c) for uri, c in flags.items()}
    return ref


def skill_labels(session: Session, uris: list[str], lang: str = "it") -> dict[str, str]:
    """Preferred labels of skills (or occupations) by URI, in ``lang`` or else the other language."""
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for i in range(0, len(uris), 900):
        for code, lng, text in session.execute(
                select(Concept.code, Label.lang, Label.text).join(Label, Label.concept_id == Concept.id)
                .where(Concept.code.in_(uris[i:i + 900]), Label.kind == "preferred")):
            out[code].setdefault(lng, text)
    other = "en" if lang == "it" else "it"
    return {u: d.get(lang) or d.get(other) or next(iter(d.values())) for u, d in out.items()}


_cache: dict[str, Reference] = {}
_lock = threading.Lock()


def for_engine(engine: Engine) -> Reference:
    """The reference of ``engine``'s taxonomy, loaded once per process."""
    key = engine.url.render_as_string(hide_password=False)
    with _lock:
        if key not in _cache:
            with session_factory(engine)() as session:
                _cache[key] = load(session)
        return _cache[key]


def forget(engine: Engine) -> None:
    with _lock:
        _cache.pop(engine.url.render_as_string(hide_password=False), None)


@dataclass(frozen=True)
class OccupationText:
    """What demo postings are composed from: an ESCO occupation's Italian labels and its skills."""

    uri: str
    isco: str
    labels_it: tuple[str, ...]
    essential: tuple[str, ...]
    optional: tuple[str, ...]


def occupation_texts(session: Session) -> list[OccupationText]:
    """ESCO occupations having an Italian label and an ISCO group, with essential and optional skills."""
    occ, skill = aliased(Concept), aliased(Concept)
    labels: dict[str, list[str]] = defaultdict(list)
    for uri, _kind, text in session.execute(
            select(Concept.code, Label.kind, Label.text).join(Label, Label.concept_id == Concept.id)
            .where(Concept.type == "occupation", Label.lang == "it", Label.kind.in_(("preferred", "alternative")))
            .order_by(Concept.code, Label.kind.desc(), Label.id)):
        labels[uri].append(text)
    skills: dict[str, dict[str, list[str]]] = defaultdict(lambda: {"essential_skill": [], "optional_skill": []})
    for occ_uri, skill_uri, rel in session.execute(
            select(occ.code, skill.code, Relation.type).join(occ, occ.id == Relation.source_id)
            .join(skill, skill.id == Relation.target_id)
            .where(Relation.type.in_(("essential_skill", "optional_skill")), skill.type == "skill")
            .order_by(occ.code, skill.code)):
        skills[occ_uri][rel].append(skill_uri)
    out = []
    for uri, attrs in session.execute(select(Concept.code, Concept.attrs).where(Concept.type == "occupation")
                                      .order_by(Concept.code)):
        isco = (attrs or {}).get("isco_group", "")
        if uri in labels and isco and skills[uri]["essential_skill"]:
            out.append(OccupationText(uri, isco, tuple(labels[uri]), tuple(skills[uri]["essential_skill"]),
                                      tuple(skills[uri]["optional_skill"])))
    return out


def labels_by_uri(session: Session, concept_type: str, lang: str) -> dict[str, str]:
    """Preferred labels of all concepts of a type in one language (URI/code -> label)."""
    return dict(session.execute(
        select(Concept.code, Label.text).join(Label, Label.concept_id == Concept.id)
        .where(Concept.type == concept_type, Label.lang == lang, Label.kind == "preferred")).all())
