"""Import of QRSP standards from CSV or JSON files: validated, idempotent, quarantined, versioned, resumable.

**JSON**: ``{"source": "...", "demo": false, "profiles": [<profile record>, ...]}`` (a bare list of profile
records is read too); a profile record is described in :mod:`regia.certification.standards`.

**CSV** (UTF-8, comma-separated, header row): one row per competence; the profile's columns repeat on each of
its rows and must agree (a row that disagrees is rejected, not merged). Lists inside a cell are separated by
``;`` (codes, ESCO URIs) or ``|`` (abilities, knowledge)::

    profile_code, profile_version, valid_from, sector_code, sector_name, profile_title, profile_description,
    qualification, repertory, profile_eqf, ateco, cp2011, validity_months,
    competence_code, competence_title, competence_description, competence_eqf, abilities, knowledge, esco_skills

Every profile is checked whole (:func:`regia.certification.standards.check`); a profile with a problem is
rejected into the quarantine (file, line, field, reason) and the others are stored. A ``(code, version)``
already held with the same content is *unchanged*; with other content it is rejected (a changed standard
needs a new version). Profiles are committed in batches of :data:`BATCH` (:func:`ingest_batches`, the loop
the command line's :func:`import_standards` and the upload jobs' ``service.import_file`` share); the command
line's ``start_at`` resumes after the last committed batch (the report's ``checkpoint``), a job resumes from
its own checkpoint, and since stored profiles are recognised by their hash, a plain re-run is safe too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from regia.auth import audit
from regia.auth.errors import Conflict
from regia.auth.policy import WRITE, Resource, can
from regia.auth.principal import Principal
from regia.certification import standards
from regia.db import session_scope
from regia.importing.checkpoint import Batch, Checkpoint, NoCheckpoint
from regia.importing.csvfile import BadRow, read_rows
from regia.importing.ledger import Ledger
from regia.importing.quarantine import Rejection, keep
from regia.progress import NoProgress, Progress

DOMAIN = "qrsp"
BATCH = 50
PROFILE_COLUMNS = ("profile_code", "profile_version", "valid_from", "sector_code", "sector_name", "profile_title",
                   "profile_description", "qualification", "repertory", "profile_eqf", "ateco", "cp2011",
                   "validity_months")
COMPETENCE_COLUMNS = ("competence_code", "competence_title", "competence_description", "competence_eqf",
                      "abilities", "knowledge", "esco_skills")
CSV_COLUMNS = PROFILE_COLUMNS + COMPETENCE_COLUMNS


@dataclass
class StandardsReport:
    file: str
    source: str
    read: int = 0  # profiles found
    stored: int = 0  # new profile versions
    unchanged: int = 0  # versions already held with the same content
    rejected: int = 0
    competences: int = 0  # competences of the stored profiles
    checkpoint: int = 0  # profiles committed so far (resume with start_at=checkpoint)
    rejections: list[Rejection] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["rejections"] = [{"file": r.file, "line": r.line, "field": r.field, "record": r.record_id,
                              "reason": r.reason} for r in self.rejections]
        return out


@dataclass(frozen=True)
class Item:
    """A profile record read from a file, where it starts, or why it could not be read."""

    line: int | None
    record: dict[str, Any] | None
    problems: tuple[standards.Problem, ...] = ()
    raw: str = ""
    lines: tuple[int, ...] = ()  # CSV: the line of each competence's row


def _split(value: str, sep: str) -> list[str]:
    return [v.strip() for v in value.split(sep) if v.strip()]


def read_csv(path: Path) -> Iterator[Item]:
    header, rows = read_rows(path)
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        yield Item(1, None, (standards.Problem("header", f"missing columns: {', '.join(missing)}"),),
                   ",".join(header))
        return
    groups: dict[tuple[str, str], _Group] = {}
    for row in rows:
        if isinstance(row, BadRow):
            yield Item(row.line, None, (standards.Problem("row", row.reason),), row.raw)
            continue
        v = row.values
        head = {c: v[c].strip() for c in PROFILE_COLUMNS}
        group = groups.setdefault((head["profile_code"], head["profile_version"]), _Group(row.line, head))
        differs = [c for c in PROFILE_COLUMNS if head[c] != group.head[c]]
        if differs and group.problem is None:  # the whole profile is rejected: its rows do not agree
            group.problem = (row.line, standards.Problem(
                differs[0], f"differs from line {group.line}, the profile's first row: {head[differs[0]]!r} ≠ "
                            f"{group.head[differs[0]]!r}"))
        group.competences.append({"code": v["competence_code"], "title": v["competence_title"],
                                  "description": v["competence_description"], "eqf_level": v["competence_eqf"],
                                  "abilities": _split(v["abilities"], "|"), "knowledge": _split(v["knowledge"], "|"),
                                  "esco": _split(v["esco_skills"], ";")})
        group.lines.append(row.line)
        group.raws.append(row.raw)
    for group in groups.values():
        h = group.head
        record = {"code": h["profile_code"], "version": h["profile_version"], "valid_from": h["valid_from"],
                  "sector": {"code": h["sector_code"], "name": h["sector_name"]}, "title": h["profile_title"],
                  "description": h["profile_description"], "qualification": h["qualification"],
                  "repertory": h["repertory"], "eqf_level": h["profile_eqf"], "ateco": _split(h["ateco"], ";"),
                  "cp2011": _split(h["cp2011"], ";"), "validity_months": h["validity_months"] or None,
                  "competences": group.competences}
        if group.problem is not None:
            yield Item(group.problem[0], record, (group.problem[1],), "".join(group.raws))
        else:
            yield Item(group.line, record, raw="".join(group.raws), lines=tuple(group.lines))


@dataclass
class _Group:
    """The rows of one profile in a CSV file."""

    line: int
    head: dict[str, str]
    competences: list[dict[str, Any]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    raws: list[str] = field(default_factory=list)
    problem: tuple[int, standards.Problem] | None = None


def read_json(path: Path) -> tuple[dict[str, Any], Iterator[Item]]:
    """The file's header (``source``, ``demo``) and its profile records."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        problem = standards.Problem("file", f"not JSON: {exc}")
        return {}, iter([Item(getattr(exc, "lineno", None), None, (problem,))])
    header = data if isinstance(data, dict) else {}
    profiles = data.get("profiles") if isinstance(data, dict) else data
    if not isinstance(profiles, list):
        return header, iter([Item(None, None, (standards.Problem("profiles", "a list of profiles is expected"),))])

    def items() -> Iterator[Item]:
        for i, record in enumerate(profiles):
            if not isinstance(record, dict):
                yield Item(None, None, (standards.Problem(f"profiles[{i}]", "not an object"),), json.dumps(record))
            else:
                yield Item(None, {**record, "_index": i}, raw=json.dumps(record, ensure_ascii=False)[:4000])
    return header, items()


def _items(path: Path) -> tuple[dict[str, Any], list[Item]]:
    if path.suffix.lower() == ".json":
        header, items = read_json(path)
        return header, list(items)
    return {}, list(read_csv(path))


def ingest_batches(engine: Engine, path: Path, *, principal: Principal, file_name: str, checkpoint: Checkpoint,
                   source: str | None = None, demo: bool | None = None, progress: Progress | None = None,
                   batch_size: int | None = None) -> StandardsReport:
    """The import itself, shared by the command line and the upload jobs: the file's profiles in batches of
    ``batch_size``, each batch one transaction that also records the batch in ``checkpoint`` (just before it
    commits), starting after ``checkpoint.position`` profiles; ``Cancelled`` from the checkpoint propagates.
    Importing standards is the Region staff's (``WRITE`` on ``ivc_standard``): for anyone else each profile is
    rejected with the reason, like an invalid one. Counts per profile (``read`` = the file's profiles)."""
    progress = progress or NoProgress()
    batch_size = batch_size or BATCH
    header, items = _items(path)
    checkpoint.total(len(items))
    start = min(checkpoint.position, len(items))
    source = source or str(header.get("source") or file_name)
    is_demo = bool(header.get("demo")) if demo is None else demo
    report = StandardsReport(file=file_name, source=source, read=len(items), checkpoint=start)
    progress.start(f"standard QRSP {file_name}", len(items))
    progress.advance(start)
    allowed = can(principal, WRITE, Resource.IVC_STANDARD)
    for first in range(start, len(items), batch_size):
        batch = items[first:first + batch_size]
        before = (report.stored, report.unchanged)
        rejections: list[Rejection] = []
        with session_scope(engine) as session:
            ledger = Ledger(session, standards.LEDGER_SOURCE)
            for item in batch:
                if not allowed:
                    item = replace(item, problems=(standards.Problem(
                        "code", "only the Region's staff import standards"), *item.problems))
                rejection = _one(session, ledger, item, file=file_name, source=source, is_demo=is_demo,
                                 report=report)
                if rejection is not None:
                    rejections.append(rejection)
            ledger.save()
            keep(session, domain=DOMAIN, source=source, rejections=rejections)
            report.rejections += rejections
            report.checkpoint = first + len(batch)
            audit.record(session, actor=principal, action="import", resource_type="qrsp_standards",
                         resource_id=file_name, after={"source": source, "checkpoint": report.checkpoint,
                                                       "stored": report.stored, "rejected": report.rejected})
            checkpoint.committed(session, Batch(
                position=report.checkpoint, read=len(batch), stored=report.stored - before[0],
                duplicate=report.unchanged - before[1], rejected=len(rejections), rejections=tuple(rejections)))
        progress.advance(len(batch))
    return report


@dataclass(frozen=True)
class StartAt(NoCheckpoint):
    """The command line's checkpoint: ``--start-at`` profiles already committed (the report's ``checkpoint``)."""

    position: int = 0


def import_standards(engine: Engine, path: Path, *, actor: Principal, source: str | None = None,
                     demo: bool | None = None, start_at: int = 0, progress: Progress | None = None
                     ) -> StandardsReport:
    """Import the standards of one file (``.json`` or ``.csv``) from the command line; see the module's
    description."""
    return ingest_batches(engine, path, principal=actor, file_name=path.name, checkpoint=StartAt(start_at),
                          source=source, demo=demo, progress=progress)


def _one(session: Any, ledger: Ledger, item: Item, *, file: str, source: str, is_demo: bool,
         report: StandardsReport) -> Rejection | None:
    where = f"profiles[{item.record.pop('_index')}]." if item.record and "_index" in item.record else ""
    record_id = None
    problems = list(item.problems)
    if item.record is not None:
        record, found = standards.check(item.record)
        record_id = f"{record['code']}@{record['version']}"
        problems += found
    if problems:
        report.rejected += 1
        reason = "; ".join(f"{where}{p.field}: {p.reason}" for p in problems)
        line = item.line
        if item.lines and (m := re.match(r"competences\[(\d+)\]", problems[0].field)):
            line = item.lines[int(m.group(1))]
        return Rejection(file=file, line=line, field=f"{where}{problems[0].field}", reason=reason,
                         raw=item.raw, record_id=record_id)
    try:
        with session.begin_nested():
            outcome, profile = standards.store(session, record, source=source, is_demo=is_demo)
    except Conflict as exc:
        report.rejected += 1
        return Rejection(file=file, line=item.line, field=f"{where}version", reason=exc.detail,
                         raw=item.raw, record_id=record_id)
    ledger.see(record_id, profile.content_hash)
    if outcome == "stored":
        report.stored += 1
        report.competences += len(record["competences"])
    else:
        report.unchanged += 1
    return None


DEMO_FILE = Path(__file__).resolve().parent / "data" / "demo_standards.json"


def import_demo(engine: Engine, *, actor: Principal, progress: Progress | None = None) -> StandardsReport:
    """The team's DEMO standards (``data/demo_standards.json``: not the official QRSP)."""
    return import_standards(engine, DEMO_FILE, actor=actor, demo=True, progress=progress)
