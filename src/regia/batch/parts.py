"""One partition of a batch job, start to finish: the same function runs in the local engine's worker processes
and inside Spark's ``mapInArrow``, which is why both engines give the same rows.

A partition holds the input rows whose id hashes to it (:func:`part_of`, computed the same way in DuckDB and
Spark SQL). Its rows are sorted by file and row, decoded and checked (``records.decode``), de-duplicated by
id (a repeated id is rejected, naming the first occurrence), classified with the snapshot's classifier and
written:

- ``classify``: one row per posting x concept (``id, kind, uri, score, selected, rank``) under
  ``month=YYYY-MM/part-NNNNN.parquet`` (``month=__HIVE_DEFAULT_PARTITION__`` for postings without a date);
- ``needs``: the postings facts, ``facts/postings/part-NNNNN.parquet`` and ``facts/posting_skills/...``, in the
  schemas of ``regia.postings.facts`` (the cube is computed from them once every partition is done);
- rejected rows: ``_rejected/part-NNNNN.jsonl`` (file, row, id, field, reason).

Last, the partition's marker ``_parts/part-NNNNN.json`` (counts and files) is written: a partition with a
marker is complete and a resumed run skips it; one without is done again from the start, writing the same
file names, so that nothing is ever counted twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.compute as pc

from regia.batch import records, snapshot
from regia.batch.job import CLASSIFY, Job
from regia.batch.store import Store
from regia.postings import facts
from regia.postings.classification import labels_of

FILE, ROW, PART, JSON = "_file", "_row", "_part", "_json"
NO_MONTH = "__HIVE_DEFAULT_PARTITION__"
PARTS_DIR, REJECTED_DIR = "_parts", "_rejected"
KINDS = ("occupation", "skill")

CLASSIFY_SCHEMA = pa.schema([("id", pa.string()), ("kind", pa.string()), ("uri", pa.string()),
                             ("score", pa.float64()), ("selected", pa.bool_()), ("rank", pa.int32())])
# What a partition reports back to the driver (Spark collects these rows).
SUMMARY_SCHEMA = pa.schema([("part", pa.int32()), ("read", pa.int64()), ("written", pa.int64()),
                            ("rejected", pa.int64()), ("rows", pa.int64()), ("seconds", pa.float64()),
                            ("pid", pa.int64()), ("host", pa.string()), ("snapshot_loads", pa.int32())])


def part_of(key: str, partitions: int) -> int:
    """The partition of an id: the first 32 bits of the MD5 of the id without surrounding spaces, modulo
    ``partitions`` (what :func:`part_sql` computes in SQL)."""
    return int(hashlib.md5(key.strip(" ").encode()).hexdigest()[:8], 16) % partitions


def part_sql(key: str, partitions: int, dialect: str) -> str:
    """:func:`part_of` in SQL: ``dialect`` is ``duckdb`` or ``spark``. Only spaces are trimmed, as in Python
    (DuckDB's one-argument ``trim`` also takes other Unicode white space, such as a no-break space)."""
    if dialect == "duckdb":
        return f"CAST(('0x' || substr(md5(trim({key}, ' ')), 1, 8)) AS UBIGINT) % {int(partitions)}"
    return f"pmod(CAST(conv(substr(md5(trim(BOTH ' ' FROM {key})), 1, 8), 16, 10) AS BIGINT), {int(partitions)})"


def part_name(part: int) -> str:
    return f"part-{part:05d}"


def relative(path: str, root: str) -> str:
    """A file's name relative to the job's input (engines name files differently: ``file:/...``, ``/...``)."""
    text = unquote(path) if path.startswith("file:") else path
    text = text.removeprefix("file://").removeprefix("file:")
    root = root.removeprefix("file://").removeprefix("file:").rstrip("/")
    if text == root:
        return text.rsplit("/", 1)[-1]
    return text[len(root) + 1:] if text.startswith(root + "/") else text


@dataclass
class Rejected:
    file: str
    row: int
    id: str | None
    field: str | None
    reason: str


@dataclass
class PartResult:
    part: int
    read: int = 0
    written: int = 0  # postings processed
    rejected: int = 0
    rows: int = 0  # output rows (concept rows, or posting-skill facts)
    seconds: float = 0.0
    pid: int = 0
    host: str = ""
    snapshot_loads: int = 0
    files: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("files")
        return out


def _raw_rows(table: pa.Table) -> Iterator[tuple[str, int, dict[str, Any] | str]]:
    """(file, row, the row as a dict - or why it is not one) in file and row order."""
    order = pc.sort_indices(table, sort_keys=[(FILE, "ascending"), (ROW, "ascending")])
    table = table.take(order)
    data = [c for c in table.column_names if not c.startswith("_")]
    files, rows = table.column(FILE).to_pylist(), table.column(ROW).to_pylist()
    if JSON in table.column_names:
        for f, r, line in zip(files, rows, table.column(JSON).to_pylist(), strict=True):
            try:
                obj = json.loads(line)
            except (json.JSONDecodeError, TypeError) as exc:
                msg = exc.msg if isinstance(exc, json.JSONDecodeError) else "empty"
                yield f, r, f"not JSON: {msg}"
                continue
            yield f, r, obj if isinstance(obj, dict) else f"not a JSON object: {type(obj).__name__}"
    else:
        for f, r, obj in zip(files, rows, table.select(data).to_pylist(), strict=True):
            yield f, r, obj


def _write_table(store: Store, rel: str, rows: list[dict[str, Any]], schema: pa.Schema, out: PartResult) -> None:
    store.write_table(rel, pa.Table.from_pylist(rows, schema=schema))
    out.files.append(rel)


def process(job: Job, part: int, table: pa.Table, *, store: Store, snapshot_path: str, input_root: str) -> PartResult:
    """Process and commit one partition (see the module's docstring); returns its counts."""
    started = time.perf_counter()
    snap = snapshot.load(snapshot_path)
    ref = snap.reference
    clf = snap.classifier(job.classifier.params)
    settings = job.classifier
    out = PartResult(part, pid=os.getpid(), host=os.uname().nodename)
    name = part_name(part)
    rejected: list[Rejected] = []
    seen: dict[str, tuple[str, int]] = {}
    by_month: dict[str, list[dict[str, Any]]] = defaultdict(list)
    fact_rows: list[dict[str, Any]] = []
    skill_rows: list[dict[str, Any]] = []
    need_date = job.task != CLASSIFY
    for file, row, raw in _raw_rows(table):
        file = relative(file, input_root)
        out.read += 1
        if isinstance(raw, str):
            rejected.append(Rejected(file, row, None, None, raw))
            continue
        checked = records.decode(raw, ref, need_date=need_date)
        rid = str(raw.get("id")) if isinstance(raw.get("id"), str | int) else None
        if not isinstance(checked, records.BatchPosting):
            rejected.extend(Rejected(file, row, rid, p.field, p.reason) for p in checked)
            continue
        first = seen.get(checked.id)
        if first is not None:
            rejected.append(Rejected(file, row, checked.id, "id",
                                     f"duplicate id: first at {first[0]} row {first[1]}"))
            continue
        seen[checked.id] = (file, row)
        out.written += 1
        text = checked.classify_text()
        if job.task == CLASSIFY:
            result = clf.classify(text, top_k=settings.top_k, lang=settings.lang)
            month = checked.month or NO_MONTH
            for kind, matches in (("occupation", result.occupations), ("skill", result.skills)):
                for rank, m in enumerate(matches, 1):
                    by_month[month].append({"id": checked.id, "kind": kind, "uri": m.uri, "score": float(m.score),
                                            "selected": bool(m.selected), "rank": rank})
        else:
            fact, skills = fact_rows_of(checked, labels_of(clf, text, settings.top_k), ref)
            fact_rows.append(fact)
            skill_rows.extend(skills)
    if job.task == CLASSIFY:
        for month in sorted(by_month):
            _write_table(store, f"month={month}/{name}.parquet", by_month[month], CLASSIFY_SCHEMA, out)
            out.rows += len(by_month[month])
    elif fact_rows:
        _write_table(store, f"facts/{facts.POSTINGS}/{name}.parquet", fact_rows, facts.POSTINGS_SCHEMA, out)
        _write_table(store, f"facts/{facts.SKILLS}/{name}.parquet", skill_rows, facts.SKILLS_SCHEMA, out)
        out.rows = len(skill_rows)
    out.rejected = len(rejected)
    if rejected:
        rel = f"{REJECTED_DIR}/{name}.jsonl"
        store.write_bytes(rel, "".join(json.dumps(asdict(r), ensure_ascii=False) + "\n" for r in rejected).encode())
        out.files.append(rel)
    out.seconds = round(time.perf_counter() - started, 3)
    out.snapshot_loads = snapshot.LOADS
    store.write_json(f"{PARTS_DIR}/{name}.json", asdict(out))
    return out


def fact_rows_of(p: records.BatchPosting, lab: Any, ref: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The ``postings`` fact and the ``posting_skills`` facts of one posting, as ingest writes them."""
    c, x = p.codes, p.extra
    occupation, isco, cp, isco_regia, cp_regia = facts.occupation_codes(
        ref, isco_source=c["isco_source"], cp_source=c["cp_source"], occupation_source=c["occupation_source"],
        occupation_regia=lab.occupation)
    dedup = x.get("dedup") or ("lead" if p.group_id == p.posting_id else "near")
    fact = {"posting_id": p.posting_id, "group_id": p.group_id, "dedup": dedup, "feed": x["feed"],
            "board": x["board"], "synthetic": x["synthetic"], "date_posted": p.date_posted, "month": p.month,
            "valid_through": p.valid_through, "comune": c["comune"], "nuts3": c["nuts3"], "nuts2": c["nuts2"],
            "ateco_section": c["ateco_section"], "ateco_division": c["ateco_division"], "ateco_code": c["ateco_code"],
            "isco": isco, "isco_source": c["isco_source"], "isco_regia": isco_regia, "cp": cp, "cp_regia": cp_regia,
            "occupation": occupation, "occupation_source": c["occupation_source"],
            "occupation_regia": lab.occupation, "contract": x["contract"], "education": x["education"],
            "experience": x["experience"], "working_hours": x["working_hours"], "employer_key": x["employer_key"],
            "title": p.title, "description": p.text, "salary": x["salary"]}
    dims = {k: fact[k] for k in ("synthetic", "date_posted", "month", "nuts3", "nuts2", "ateco_section",
                                 "ateco_division", "isco", "cp", "occupation")}
    skills = facts.skill_rows(ref, posting_id=p.posting_id, group_id=p.group_id, dims=dims, source=p.source_skills,
                              regia=lab.skills)
    return fact, skills


def mark_empty(store: Store, part: int) -> None:
    """The marker of a partition that no input row hashes to (an engine that never schedules it)."""
    store.write_json(f"{PARTS_DIR}/{part_name(part)}.json", asdict(PartResult(part, host="-")))


def done(store: Store) -> dict[int, dict[str, Any]]:
    """The markers of the completed partitions: part -> its counts and files."""
    out = {}
    for rel in store.files(PARTS_DIR, recursive=False):
        name = rel.rsplit("/", 1)[-1]
        if name.startswith("part-") and name.endswith(".json"):
            marker = store.read_json(rel)
            out[int(marker["part"])] = marker
    return out
