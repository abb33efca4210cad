"""Italian occupation data: ESCO Italian labels (MELO file), CP2011 titles, CP2011<->ESCO crosswalk, CP->ISCO."""

from __future__ import annotations

import re
from pathlib import Path

from regia.importing.quarantine import Rejection
from regia.importing.report import FileReport
from regia.taxonomy import models as m
from regia.taxonomy.loaders.context import Context
from regia.taxonomy.loaders.esco import _bad_uri
from regia.taxonomy.store import ConceptRecord, RelationRow

CP_CODE = re.compile(r"^\d(?:\.\d{1,2}){0,4}$")
ISCO_CODE = re.compile(r"^\d{1,4}$")
LINE_START = re.compile(r'^"?(?:https?://|\d)')

LABELS_FILE = re.compile(r"^occupation_labels_([a-z]{2})[^/]*\.csv(?:\.gz)?$")
CROSSWALK_FILE = re.compile(r"^esco_cp2011_mapping[^/]*\.csv(?:\.gz)?$")
CP_TITLES_FILE = re.compile(r"^cp2011_titles[^/]*\.csv(?:\.gz)?$")
CP_ISCO_FILE = re.compile(r"^cp2011_to_isco08[^/]*\.csv(?:\.gz)?$")
SKOS = {"skos:broadMatch", "skos:narrowMatch", "skos:closeMatch", "skos:exactMatch"}


def load_labels(ctx: Context, path: Path, lang: str) -> FileReport:
    """Preferred/alternative labels of ESCO occupations and ISCO groups in one language."""
    source = f"esco-labels:{lang}"
    report = ctx.file_report(path, f"ESCO occupation labels ({lang})")
    grouped: dict[str, ConceptRecord] = {}
    absent: set[str] = set()
    skipped = 0
    for row in ctx.rows(path, report, source, required=["conceptUri", "label_type", "label"],
                        record_start=LINE_START):
        v = row.values
        uri, kind, text = v["conceptUri"].strip(), v["label_type"].strip(), v["label"].strip()
        problem, field = _bad_uri(uri, ("occupation", "isco")), "conceptUri"
        if not problem and kind not in ("preferred", "alternative", "hidden"):
            problem, field = f"unknown label type {kind!r}", "label_type"
        if not problem and not text:
            problem, field = "empty label", "label"
        if problem:
            ctx.reject(report, source, Rejection(ctx.rel(path), row.line, problem, row.raw, field, uri or None))
            continue
        cid = ctx.store.by_uri.get(uri)
        if cid is None:
            absent.add(uri)
            skipped += 1
            continue
        if uri not in grouped:
            scheme, code, ctype = ("isco08", uri.rsplit("/C", 1)[-1], m.ISCO) if "/isco/" in uri else (
                "esco", uri, m.OCCUPATION)
            grouped[uri] = ConceptRecord(scheme, code, ctype, lang, uri)
        grouped[uri].labels.append((kind, text))
    if absent:
        report.skipped += skipped
        report.note = f"{len(absent)} concepts absent from the imported ESCO version were skipped"
    ctx.write_concepts(report, source, list(grouped.values()), rows_per_record=None)
    return report


def _cp_record(code: str, title: str, level: str | None = None) -> ConceptRecord:
    lvl = level or str(len(code.split(".")))
    return ConceptRecord("cp2011", code, m.CP, "it", None, lvl, {}, [("preferred", title)])


def load_cp_titles(ctx: Context, path: Path) -> FileReport:
    source = "istat:cp2011-titles"
    report = ctx.file_report(path, "ISTAT CP2011 titles")
    records = []
    for row in ctx.rows(path, report, source, required=["cp2011_code", "cp2011_label_it"], record_start=None):
        code, title = row.values["cp2011_code"].strip(), row.values["cp2011_label_it"].strip()
        if not CP_CODE.match(code) or not title:
            reason = f"not a CP2011 code: {code!r}" if not CP_CODE.match(code) else "empty title"
            field = "cp2011_code" if not CP_CODE.match(code) else "cp2011_label_it"
            ctx.reject(report, source, Rejection(ctx.rel(path), row.line, reason, row.raw, field, code))
            continue
        records.append(_cp_record(code, title, row.values.get("level") or None))
    ctx.write_concepts(report, source, records)
    _link_cp_parents(ctx)
    return report


def _link_cp_parents(ctx: Context) -> None:
    existing = ctx.store.existing_relations({m.BROADER})
    new: list[RelationRow] = []
    for (scheme, code), cid in ctx.store.by_key.items():
        if scheme != "cp2011" or "." not in code:
            continue
        parent = ctx.store.id_of("cp2011", code.rsplit(".", 1)[0])
        if parent and (cid, parent, m.BROADER) not in existing:
            new.append((cid, parent, m.BROADER, None))
    ctx.store.add_relations(new)


def load_crosswalk(ctx: Context, path: Path) -> FileReport:
    """CP2011 <-> ESCO occupations (national mapping table): relations cp -> occupation by SKOS type."""
    source = "istat:cp2011-esco"
    report = ctx.file_report(path, "CP2011-ESCO crosswalk")
    required = ["cp2011_code", "cp2011_label_it", "mapping_relation", "esco_occupation_uri"]
    titles: dict[str, ConceptRecord] = {}
    pairs: list[tuple[str, str, str, int]] = []
    for row in ctx.rows(path, report, source, required=required, record_start=None):
        v = row.values
        code, uri, rel = v["cp2011_code"].strip(), v["esco_occupation_uri"].strip(), v["mapping_relation"].strip()
        problem, field = (None, None)
        if not CP_CODE.match(code):
            problem, field = f"not a CP2011 code: {code!r}", "cp2011_code"
        elif rel not in SKOS:
            problem, field = f"unknown mapping relation {rel!r}", "mapping_relation"
        else:
            problem, field = _bad_uri(uri, ("occupation", "isco")), "esco_occupation_uri"
        if problem:
            ctx.reject(report, source, Rejection(ctx.rel(path), row.line, problem, row.raw, field, code))
            continue
        if code not in titles and v["cp2011_label_it"].strip():
            titles[code] = _cp_record(code, v["cp2011_label_it"].strip())
        pairs.append((code, uri, rel, row.line))
    # Titles only for CP codes no titles file described.
    missing = [r for c, r in titles.items() if ctx.store.id_of("cp2011", c) is None]
    ctx.store.write(missing)
    existing = ctx.store.existing_relations(SKOS)
    new: list[RelationRow] = []
    for code, uri, rel, _line in pairs:
        target = ctx.store.by_uri.get(uri)
        if target is None:
            report.skipped += 1
            continue
        key = (ctx.store.by_key[("cp2011", code)], target, rel)
        if key in existing:
            report.unchanged += 1
        else:
            existing.add(key)
            new.append((*key, None))
            report.stored += 1
    ctx.store.add_relations(new)
    _link_cp_parents(ctx)
    if report.skipped:
        report.note = "rows naming ESCO occupations absent from the imported version were skipped"
    return report


def load_cp_isco(ctx: Context, path: Path) -> FileReport:
    source = "derived:cp2011-isco08"
    report = ctx.file_report(path, "CP2011 -> ISCO-08 (derived)")
    existing = ctx.store.existing_relations({m.ISCO_DERIVED})
    new: list[RelationRow] = []
    for row in ctx.rows(path, report, source, required=["cp2011_code", "isco08_code"], record_start=None):
        v = row.values
        code, isco = v["cp2011_code"].strip(), v["isco08_code"].strip()
        cp_id, isco_id = ctx.store.id_of("cp2011", code), ctx.store.id_of("isco08", isco)
        problem, field = None, None
        if not ISCO_CODE.match(isco) or isco_id is None:
            problem, field = f"unknown ISCO-08 group {isco!r}", "isco08_code"
        elif cp_id is None:
            problem, field = f"unknown CP2011 code {code!r}", "cp2011_code"
        if problem or cp_id is None or isco_id is None:
            ctx.reject(report, source, Rejection(ctx.rel(path), row.line, problem or "", row.raw, field, code))
            continue
        key = (cp_id, isco_id, m.ISCO_DERIVED)
        if key in existing:
            report.unchanged += 1
            continue
        existing.add(key)
        share = v.get("share_of_cp_mappings", "").strip()
        new.append((*key, {"share": float(share)} if share else None))
        report.stored += 1
    ctx.store.add_relations(new)
    return report
