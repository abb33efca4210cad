"""The official ESCO CSV download: concept files per language, collections and relation files."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from regia.importing.quarantine import Rejection
from regia.importing.report import FileReport
from regia.taxonomy import models as m
from regia.taxonomy.loaders.context import Context
from regia.taxonomy.store import ConceptRecord, RelationRow

ESCO_URI = re.compile(r"^http://data\.europa\.eu/esco/(skill|occupation|isco|isced-f)/[A-Za-z0-9-]+$")
CONCEPT_ROW = re.compile(r'^"?[A-Za-z]+"?,"?https?://')
URI_ROW = re.compile(r'^"?https?://')

CONCEPT_FILE = re.compile(
    r"^(skills|occupations|ISCOGroups|skillGroups|skillsHierarchy|conceptSchemes"
    r"|(?:digital|green|transversal|language|digComp|research)SkillsCollection|researchOccupationsCollection)"
    r"_([a-z]{2})\.csv(?:\.gz)?$"
)
RELATION_FILE = re.compile(
    r"^(occupationSkillRelations|broaderRelationsSkillPillar|broaderRelationsOccPillar|skillSkillRelations)"
    r"(?:_[a-z]{2})?\.csv(?:\.gz)?$"
)
COLLECTIONS = {
    "digitalSkillsCollection": "digital",
    "greenSkillsCollection": "green",
    "transversalSkillsCollection": "transversal",
    "languageSkillsCollection": "language",
    "digCompSkillsCollection": "digcomp",
    "researchSkillsCollection": "research",
    "researchOccupationsCollection": "research",
}


@dataclass(frozen=True)
class ConceptSpec:
    type: str
    uri_kinds: tuple[str, ...]
    label_columns: tuple[tuple[str, str], ...]
    text_columns: tuple[tuple[str, str], ...]
    attr_columns: tuple[tuple[str, str], ...]


SPECS = {
    "skills": ConceptSpec(
        m.SKILL, ("skill",),
        (("preferred", "preferredLabel"), ("alternative", "altLabels"), ("hidden", "hiddenLabels")),
        (("description", "description"), ("definition", "definition"), ("scope_note", "scopeNote")),
        (("skill_type", "skillType"), ("reuse_level", "reuseLevel"), ("status", "status")),
    ),
    "occupations": ConceptSpec(
        m.OCCUPATION, ("occupation",),
        (("preferred", "preferredLabel"), ("alternative", "altLabels"), ("hidden", "hiddenLabels")),
        (("description", "description"), ("definition", "definition"), ("scope_note", "scopeNote")),
        (("isco_group", "iscoGroup"), ("esco_code", "code"), ("status", "status")),
    ),
    "skillGroups": ConceptSpec(
        m.SKILL_GROUP, ("skill", "isced-f"),
        (("preferred", "preferredLabel"), ("alternative", "altLabels"), ("hidden", "hiddenLabels")),
        (("description", "description"), ("scope_note", "scopeNote")),
        (("group_code", "code"), ("status", "status")),
    ),
    "ISCOGroups": ConceptSpec(
        m.ISCO, ("isco",),
        (("preferred", "preferredLabel"), ("alternative", "altLabels")),
        (("description", "description"),),
        (("status", "status"),),
    ),
}
# Loading order: concepts before the files that refer to them.
ORDER = {"ISCOGroups": 0, "skillGroups": 1, "skills": 2, "occupations": 3, "skillsHierarchy": 4}


def split_multi(value: str) -> list[str]:
    """ESCO multi-valued cells: newline-separated in the main files, ' | ' in the collections."""
    parts = re.split(r"\n| \| ", value or "")
    return [p.strip() for p in parts if p.strip()]


def _bad_uri(uri: str, kinds: tuple[str, ...]) -> str | None:
    match = ESCO_URI.match(uri or "")
    if not match:
        return f"not an ESCO concept URI: {uri[:120]!r}"
    if match.group(1) not in kinds:
        return f"URI of a {match.group(1)}, expected {' or '.join(kinds)}"
    return None


def load_concepts(ctx: Context, path: Path, name: str, lang: str) -> FileReport:
    spec = SPECS[name]
    source = f"esco:{name}:{lang}"
    report = ctx.file_report(path, f"ESCO {name} ({lang})")
    required = ["conceptUri", "preferredLabel"] + (["code"] if spec.type == m.ISCO else [])
    records: list[ConceptRecord] = []
    for row in ctx.rows(path, report, source, required=required, record_start=CONCEPT_ROW):
        v = row.values
        uri = v["conceptUri"].strip()
        problem = _bad_uri(uri, spec.uri_kinds)
        field = "conceptUri"
        if not problem and not v["preferredLabel"].strip():
            problem, field = "empty preferred label", "preferredLabel"
        if spec.type == m.ISCO and not problem:
            code = v["code"].strip()
            if not code.isdigit() or not uri.endswith(f"/C{code}"):
                problem, field = f"ISCO code {code!r} does not match the URI", "code"
        if problem:
            ctx.reject(report, source, Rejection(ctx.rel(path), row.line, problem, row.raw, field, uri or None))
            continue
        labels = [("preferred", v["preferredLabel"].strip())]
        for kind, col in spec.label_columns[1:]:
            labels += [(kind, text) for text in split_multi(v.get(col, ""))]
        attrs = {key: v[col].strip() for key, col in spec.attr_columns if v.get(col, "").strip()}
        texts = {key: v[col].strip() for key, col in spec.text_columns if v.get(col, "").strip()}
        if spec.type == m.ISCO:
            code = v["code"].strip()
            rec = ConceptRecord("isco08", code, m.ISCO, lang, uri, str(len(code)), attrs, labels, texts)
        else:
            rec = ConceptRecord("esco", uri, spec.type, lang, uri, None, attrs, labels, texts)
        records.append(rec)
    ctx.write_concepts(report, source, records)
    return report


def load_hierarchy(ctx: Context, path: Path, lang: str) -> FileReport:
    """skillsHierarchy: levels and codes of the skill groups, and their broader links."""
    source = f"esco:skillsHierarchy:{lang}"
    report = ctx.file_report(path, f"ESCO skills hierarchy ({lang})")
    required = [f"Level {i} URI" for i in range(4)]
    records: dict[str, ConceptRecord] = {}
    links: set[tuple[str, str]] = set()
    for row in ctx.rows(path, report, source, required=required, record_start=URI_ROW, pad_short=True):
        v = row.values
        chain = [(i, v[f"Level {i} URI"].strip()) for i in range(4) if v.get(f"Level {i} URI", "").strip()]
        bad = next((u for _, u in chain if _bad_uri(u, ("skill", "isced-f"))), None)
        if not chain or bad is not None:
            reason = "no level URI" if not chain else f"not an ESCO concept URI: {bad!r}"
            ctx.reject(report, source, Rejection(ctx.rel(path), row.line, reason, row.raw, "Level URI"))
            continue
        for level, uri in chain:
            label = v.get(f"Level {level} preferred term", "").strip()
            attrs = {"hierarchy_level": level, "group_code": v.get(f"Level {level} code", "").strip()}
            labels = [("preferred", label)] if label else []
            records.setdefault(uri, ConceptRecord("esco", uri, m.SKILL_GROUP, lang, uri, None, attrs, labels,
                                                  fallback_labels=True))
        links.update(zip([u for _, u in chain[1:]], [u for _, u in chain[:-1]], strict=True))
    ctx.write_concepts(report, source, list(records.values()))
    _add_links(ctx, [(a, b, m.BROADER) for a, b in links])
    return report


def _add_links(ctx: Context, links: list[tuple[str, str, str]]) -> int:
    existing = ctx.store.existing_relations({t for _, _, t in links})
    new = []
    for a, b, t in links:
        key = (ctx.store.by_uri[a], ctx.store.by_uri[b], t)
        if key not in existing:
            existing.add(key)
            new.append((*key, None))
    ctx.store.add_relations(new)
    return len(new)


def load_collection(ctx: Context, path: Path, name: str) -> FileReport:
    collection = COLLECTIONS[name]
    source = f"esco:{name}"
    report = ctx.file_report(path, f"ESCO collection {collection}")
    existing = ctx.store.existing_members()
    new: list[tuple[int, str]] = []
    for row in ctx.rows(path, report, source, required=["conceptUri"], record_start=CONCEPT_ROW):
        uri = row.values["conceptUri"].strip()
        kinds = ("occupation",) if "Occupations" in name else ("skill",)
        problem = _bad_uri(uri, kinds)
        if not problem and uri not in ctx.store.by_uri:
            problem = "unknown concept (not in the imported skills/occupations)"
        if problem:
            ctx.reject(report, source, Rejection(ctx.rel(path), row.line, problem, row.raw, "conceptUri", uri))
            continue
        key = (ctx.store.by_uri[uri], collection)
        if key in existing:
            report.unchanged += 1
        else:
            existing.add(key)
            new.append(key)
            report.stored += 1
    ctx.store.add_members(new)
    return report


RELATION_COLUMNS = {
    "occupationSkillRelations": ("occupationUri", "skillUri", "relationType", ("occupation",), ("skill",)),
    "broaderRelationsOccPillar": ("conceptUri", "broaderUri", None, ("occupation", "isco"),
                                  ("occupation", "isco")),
    "broaderRelationsSkillPillar": ("conceptUri", "broaderUri", None, ("skill", "isced-f"), ("skill", "isced-f")),
    "skillSkillRelations": ("originalSkillUri", "relatedSkillUri", "relationType", ("skill",), ("skill",)),
}


def _relation_type(name: str, value: str | None) -> str | None:
    if name == "occupationSkillRelations":
        return {"essential": m.ESSENTIAL_SKILL, "optional": m.OPTIONAL_SKILL}.get(value or "")
    if name == "skillSkillRelations":
        return {"essential": m.SKILL_ESSENTIAL_FOR, "optional": m.SKILL_OPTIONAL_FOR}.get(value or "")
    return m.BROADER


def load_relations(ctx: Context, path: Path, name: str) -> FileReport:
    src_col, dst_col, type_col, src_kinds, dst_kinds = RELATION_COLUMNS[name]
    source = f"esco:{name}"
    report = ctx.file_report(path, f"ESCO relations {name}")
    required = [src_col, dst_col] + ([type_col] if type_col else [])
    start = URI_ROW if name in ("occupationSkillRelations", "skillSkillRelations") else CONCEPT_ROW
    existing = ctx.store.existing_relations(
        {m.ESSENTIAL_SKILL, m.OPTIONAL_SKILL} if name == "occupationSkillRelations"
        else {m.SKILL_ESSENTIAL_FOR, m.SKILL_OPTIONAL_FOR} if name == "skillSkillRelations" else {m.BROADER}
    )
    new: list[RelationRow] = []
    for row in ctx.rows(path, report, source, required=required, record_start=start):
        v = row.values
        a, b = v[src_col].strip(), v[dst_col].strip()
        rtype = _relation_type(name, v[type_col].strip() if type_col else None)
        problem, field = _bad_uri(a, src_kinds), src_col
        if not problem:
            problem, field = _bad_uri(b, dst_kinds), dst_col
        if not problem and rtype is None:
            problem, field = f"unknown relation type {v.get(type_col or '')!r}", type_col or src_col
        if problem or rtype is None:
            ctx.reject(report, source, Rejection(ctx.rel(path), row.line, problem or "", row.raw, field, a or None))
            continue
        if a not in ctx.store.by_uri or b not in ctx.store.by_uri:
            report.skipped += 1  # a concept this version's concept files do not hold
            report.note = "rows naming concepts absent from the imported concept files were skipped"
            continue
        key = (ctx.store.by_uri[a], ctx.store.by_uri[b], rtype)
        if key in existing:
            report.unchanged += 1
            continue
        existing.add(key)
        new.append((*key, None))
        report.stored += 1
    ctx.store.add_relations(new)
    return report
