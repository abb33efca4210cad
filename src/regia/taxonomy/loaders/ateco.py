"""ATECO 2007, 2007-2022 and 2025 with the 2025<->2022 correspondence, from the `ateco` package (ISTAT data)."""

from __future__ import annotations

import json
from importlib.metadata import version
from importlib.resources import files

from regia.importing.report import FileReport
from regia.taxonomy import models as m
from regia.taxonomy.loaders.context import Context
from regia.taxonomy.store import ConceptRecord

EDITIONS = ("2007", "2022", "2025")


def _data(*parts: str) -> object:
    return json.loads(files("ateco").joinpath("data", *parts).read_text(encoding="utf-8"))


def _notes(notes: dict[str, str]) -> str:
    main = notes.get("centrale") or notes.get("text") or ""
    extra = [f"{k}: {v}" for k, v in notes.items() if k not in ("centrale", "text") and v]
    return "\n\n".join([main, *extra]).strip()


def load_edition(ctx: Context, edition: str) -> FileReport:
    scheme = f"ateco{edition}"
    report = ctx.file_report(f"ateco {version('ateco')}: {edition}/nodes.json", f"ATECO {edition}")
    nodes = _data(edition, "nodes.json")["nodes"]  # type: ignore[index]
    ctx.progress.start(report.file, len(nodes))
    records = []
    for node in nodes:
        ctx.progress.advance()
        report.read += 1
        texts = {"description": _notes(node.get("notes") or {})}
        attrs = {"parent": node["parent"]} if node.get("parent") else {}
        records.append(ConceptRecord(scheme, node["code"], m.ATECO, "it", None, node["level"], attrs,
                                     [("preferred", node["title"])], texts))
    ctx.write_concepts(report, f"istat:{scheme}", records)
    existing = ctx.store.existing_relations({m.BROADER})
    links = []
    for rec in records:
        parent = rec.attrs.get("parent")
        if parent:
            key = (ctx.store.by_key[(scheme, rec.code)], ctx.store.by_key[(scheme, parent)], m.BROADER)
            if key not in existing:
                links.append((*key, None))
    ctx.store.add_relations(links)
    return report


def load_correspondence(ctx: Context) -> FileReport:
    report = ctx.file_report(f"ateco {version('ateco')}: correspondence/2025_2022.json",
                             "ATECO 2025-2022 correspondence")
    table = _data("correspondence", "2025_2022.json")["mappings"]  # type: ignore[index]
    existing = ctx.store.existing_relations({m.ATECO_CORRESPONDS})
    new = []
    for row in table:
        report.read += 1
        a = ctx.store.id_of("ateco2025", row["code_2025"])
        b = ctx.store.id_of("ateco2022", row["code_2022"])
        if a is None or b is None:
            report.skipped += 1
            report.note = "codes without a node in their edition were skipped"
            continue
        key = (a, b, m.ATECO_CORRESPONDS)
        if key in existing:
            report.unchanged += 1
            continue
        existing.add(key)
        new.append((*key, {"coverage_2025": row.get("coverage_2025"), "coverage_2022": row.get("coverage_2022")}))
        report.stored += 1
    ctx.store.add_relations(new)
    return report
