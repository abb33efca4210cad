"""`regia taxonomy import`: find the publishers' files under a folder and load them in dependency order."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from sqlalchemy import Engine

from regia.db import migrate, session_factory
from regia.importing import quarantine
from regia.importing.report import ImportReport
from regia.progress import NoProgress, Progress
from regia.taxonomy.loaders import ateco, esco, occupations_it, regia_labels, territories
from regia.taxonomy.loaders.context import Context

DATA_SUFFIXES = (".csv", ".gz", ".geojson", ".json", ".zip", ".tsv", ".xlsx")
# Convenience extracts that the ISTAT list of comuni already covers.
SUPERSEDED = {
    "it_provinces_uts_nuts3.csv": "provinces come from the ISTAT list of comuni",
    "lombardy_municipalities.csv": "comuni come from the ISTAT list of comuni",
    "lombardy_provinces_simplified.geojson": "subset of it_provinces_simplified.geojson",
}


@dataclass(frozen=True)
class Step:
    order: tuple[int, str]
    path: Path | None
    run: Callable[[Context], object]


def plan(root: Path, report: ImportReport, exclude: Sequence[str] = ()) -> list[Step]:
    """Recognise the files under ``root`` and order their loading; note unknown and missing ones."""
    steps: list[Step] = []
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.name.endswith(DATA_SUFFIXES))
    excluded = [p for p in files if any(fnmatch.fnmatch(p.name, pat) for pat in exclude)]
    files = [p for p in files if p not in excluded]
    report.skipped += [f"{p.relative_to(root)}: withheld (--exclude)" for p in excluded]
    names = {p.name for p in files}
    esco_langs = {m.group(2) for p in files if (m := esco.CONCEPT_FILE.match(p.name)) and m.group(1) == "occupations"}

    def add(order: int, path: Path | None, run: Callable[[Context], object]) -> None:
        steps.append(Step((order, str(path or "")), path, run))

    for p in files:
        rel = str(p.relative_to(root))
        if m := esco.CONCEPT_FILE.match(p.name):
            name, lang = m.group(1), m.group(2)
            if name in esco.SPECS:
                add(esco.ORDER[name], p, partial(esco.load_concepts, path=p, name=name, lang=lang))
            elif name == "skillsHierarchy":
                add(esco.ORDER[name], p, partial(esco.load_hierarchy, path=p, lang=lang))
            elif name in esco.COLLECTIONS:
                add(7, p, partial(esco.load_collection, path=p, name=name))
            else:
                report.skipped.append(f"{rel}: not needed")
        elif m := esco.RELATION_FILE.match(p.name):
            add(6, p, partial(esco.load_relations, path=p, name=m.group(1)))
        elif m := occupations_it.LABELS_FILE.match(p.name):
            if m.group(1) in esco_langs:
                report.skipped.append(f"{rel}: superseded by ESCO occupations_{m.group(1)}")
            else:
                add(5, p, partial(occupations_it.load_labels, path=p, lang=m.group(1)))
        elif occupations_it.CP_TITLES_FILE.match(p.name):
            add(8, p, partial(occupations_it.load_cp_titles, path=p))
        elif occupations_it.CROSSWALK_FILE.match(p.name):
            add(9, p, partial(occupations_it.load_crosswalk, path=p))
        elif occupations_it.CP_ISCO_FILE.match(p.name):
            add(10, p, partial(occupations_it.load_cp_isco, path=p))
        elif territories.COMUNI_FILE.match(p.name):
            add(12, p, partial(territories.load_comuni, path=p))
        elif p.name in SUPERSEDED:
            report.skipped.append(f"{rel}: {SUPERSEDED[p.name]}")
        elif territories.GEOJSON_FILE.match(p.name):
            add(13 if "provinces" in p.name else 14, p, partial(territories.load_geojson, path=p))
        else:
            report.unknown.append(rel)

    if any(m.group(1) == "skills" for p in files if (m := esco.CONCEPT_FILE.match(p.name))):
        # Italian display labels of the most used skills, where ESCO's skills_it.csv gives none
        add(7, Path("~regia-skill-labels"), regia_labels.load_skill_labels)
    for edition in ateco.EDITIONS:
        add(11, None, partial(ateco.load_edition, edition=edition))
    add(11, Path("~correspondence"), ateco.load_correspondence)
    if not any(territories.COMUNI_FILE.match(n) for n in names):
        add(12, None, partial(territories.load_comuni, path=territories.packaged_comuni()))

    expected = {
        "ESCO skills_<lang>.csv": lambda n: n.startswith("skills_"),
        "ESCO occupations_<lang>.csv": lambda n: n.startswith("occupations_"),
        "ESCO ISCOGroups_<lang>.csv": lambda n: n.startswith("ISCOGroups_"),
        "ESCO skillGroups_<lang>.csv": lambda n: n.startswith("skillGroups_"),
        "ESCO occupationSkillRelations.csv": lambda n: n.startswith("occupationSkillRelations"),
        "ESCO broaderRelations*.csv": lambda n: n.startswith("broaderRelations"),
        "Italian occupation labels (occupations_it or occupation_labels_it)": lambda n: n.startswith(
            ("occupations_it", "occupation_labels_it")),
        "CP2011-ESCO crosswalk (esco_cp2011_mapping*.csv)": lambda n: n.startswith("esco_cp2011_mapping"),
        "Province boundaries (it_provinces*.geojson)": lambda n: n.startswith("it_provinces")
        and n.endswith(".geojson"),
    }
    report.missing += [what for what, found in expected.items() if not any(found(n) for n in names)]
    return sorted(steps, key=lambda s: s.order)


def import_reference(
    engine: Engine, root: Path, *, progress: Progress | None = None, exclude: Sequence[str] = ()
) -> ImportReport:
    """Import every recognised file under ``root``; idempotent, one transaction per file."""
    if not root.is_dir():
        raise FileNotFoundError(f"reference directory not found: {root}")
    migrate(engine)
    report = ImportReport()
    steps = plan(root, report, exclude)
    with session_factory(engine)() as session:
        ctx = Context(session=session, root=root, report=report, progress=progress or NoProgress())
        for step in steps:
            try:
                step.run(ctx)
                for source, rejection in ctx.rejections:
                    quarantine.keep(session, domain="taxonomy", source=source, rejections=[rejection])
                ctx.rejections.clear()
                session.commit()
            except Exception:
                session.rollback()
                raise
    return report
