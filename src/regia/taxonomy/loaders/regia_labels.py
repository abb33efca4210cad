"""Italian display labels of ESCO skills written by the Regia team (``taxonomy/data/skill_labels_it.csv``).

ESCO's Italian skills file is not in the reference data here, so Italian pages would show English skill
names. This file gives the 2,000 skills most used in Regia's demand and supply data (and ESCO's transversal
collection) an Italian preferred label. A skill whose Italian labels came from ESCO's ``skills_it.csv`` (its
import ledger knows the skill) keeps them, whenever that file was imported: before ours, ours are skipped; after
ours, ESCO's labels of a language replace every label of that language of the concept. Provenance: the folder's
README.md.
"""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

from regia.importing.ledger import Ledger
from regia.importing.quarantine import Rejection
from regia.importing.report import FileReport
from regia.taxonomy import models as m
from regia.taxonomy.loaders.context import Context
from regia.taxonomy.loaders.esco import ESCO_URI
from regia.taxonomy.store import ConceptRecord

SKILL_LABELS_IT = Path(str(resources.files("regia.taxonomy") / "data" / "skill_labels_it.csv"))
SOURCE = "regia:skill_labels:it"
ESCO_SKILLS_IT = "esco:skills:it"  # the ledger source of ESCO's skills_it.csv (``esco.load_concepts``)


def read(path: Path = SKILL_LABELS_IT) -> list[tuple[int, dict[str, str]]]:
    """``(line, row)`` of every data row (comment lines skipped, line numbers as in the file)."""
    with path.open(encoding="utf-8", newline="") as fh:
        lines = [(no, line) for no, line in enumerate(fh, 1) if line.strip() and not line.startswith("#")]
    header = next(csv.reader([lines[0][1]]))
    out = []
    for no, line in lines[1:]:
        values = next(csv.reader([line]))
        out.append((no, dict(zip(header, values, strict=False))))
    return out


def load_skill_labels(ctx: Context, path: Path = SKILL_LABELS_IT) -> FileReport:
    report = ctx.file_report(f"regia: {path.name}", "Italian skill labels (Regia)")
    rows = read(path)
    esco_it = Ledger(ctx.session, ESCO_SKILLS_IT)
    ctx.progress.start(report.file, len(rows))
    records = []
    for no, row in rows:
        ctx.progress.advance()
        report.read += 1
        uri, label = (row.get("uri") or "").strip(), " ".join((row.get("label") or "").split())
        problem, field = None, None
        match = ESCO_URI.match(uri)
        if not match or "/skill/" not in uri:
            problem, field = f"not an ESCO skill URI: {uri[:120]!r}", "uri"
        elif not label:
            problem, field = "empty label", "label"
        if problem:
            ctx.reject(report, SOURCE, Rejection(str(path), no, problem, ",".join(row.values()), field, uri or None))
            continue
        if uri not in ctx.store.by_uri or f"esco|{uri}" in esco_it.known:
            report.skipped += 1  # a skill of another ESCO version (or a partial taxonomy), or ESCO's own label
            continue
        records.append(ConceptRecord("esco", uri, m.SKILL, "it", uri, labels=[("preferred", label)]))
    ctx.write_concepts(report, SOURCE, records)
    return report
