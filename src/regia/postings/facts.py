"""Parquet fact tables of the demand side, read through DuckDB.

Two tables, one Parquet file per committed ingest batch (``f<file id>-b<batch>.parquet``) under
``REGIA_DATA_DIR/facts/postings``:

- ``postings``: one row per stored posting (leads, near-duplicates and revisions), with its dedup group,
  territory, sector, occupation codes (source, Regia and the consolidated one), anonymised text;
- ``posting_skills``: one row per (posting, skill, origin) - origin ``source`` (the feed's own skills) or
  ``regia`` (the classifier's selected skills) - denormalised with the posting's dimensions, so that the
  demand cube is one scan.

Demand is counted in distinct ``group_id``: near-duplicates of a posting count once.
A batch file is written (atomically) before the database transaction that records the batch commits; files
of batches that never committed are removed by :func:`clean_uncommitted` at the start of every ingest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

if TYPE_CHECKING:
    from regia.postings.formats.base import SourceSkill
    from regia.postings.reference import Reference

POSTINGS = "postings"
SKILLS = "posting_skills"

POSTINGS_SCHEMA = pa.schema([
    ("posting_id", pa.int64()), ("group_id", pa.int64()), ("dedup", pa.string()), ("feed", pa.string()),
    ("board", pa.string()), ("synthetic", pa.bool_()), ("date_posted", pa.date32()), ("month", pa.string()),
    ("valid_through", pa.date32()), ("comune", pa.string()), ("nuts3", pa.string()), ("nuts2", pa.string()),
    ("ateco_section", pa.string()), ("ateco_division", pa.string()), ("ateco_code", pa.string()),
    ("isco", pa.string()), ("isco_source", pa.string()), ("isco_regia", pa.string()),
    ("cp", pa.string()), ("cp_regia", pa.string()),
    ("occupation", pa.string()), ("occupation_source", pa.string()), ("occupation_regia", pa.string()),
    ("contract", pa.string()), ("education", pa.string()), ("experience", pa.string()),
    ("working_hours", pa.string()), ("employer_key", pa.string()), ("title", pa.string()),
    ("description", pa.string()), ("salary", pa.string()),
])

SKILLS_SCHEMA = pa.schema([
    ("posting_id", pa.int64()), ("group_id", pa.int64()), ("skill_uri", pa.string()), ("origin", pa.string()),
    ("score", pa.float32()), ("digital", pa.bool_()), ("green", pa.bool_()), ("transversal", pa.bool_()),
    ("language", pa.bool_()), ("digital_source", pa.bool_()), ("green_source", pa.bool_()),
    ("synthetic", pa.bool_()), ("date_posted", pa.date32()), ("month", pa.string()), ("nuts3", pa.string()),
    ("nuts2", pa.string()), ("ateco_section", pa.string()), ("ateco_division", pa.string()),
    ("isco", pa.string()), ("cp", pa.string()), ("occupation", pa.string()),
])

SCHEMAS = {POSTINGS: POSTINGS_SCHEMA, SKILLS: SKILLS_SCHEMA}
_SQL_TYPES = {"int64": "BIGINT", "string": "VARCHAR", "bool": "BOOLEAN", "date32[day]": "DATE", "float": "FLOAT"}
_BATCH_FILE = re.compile(r"^f(\d+)-b(\d+)\.parquet$")


def occupation_codes(ref: Reference, *, isco_source: str | None, cp_source: str | None,
                     occupation_source: str | None, occupation_regia: str | None
                     ) -> tuple[str | None, str | None, str | None, str | None, str | None]:
    """The consolidated ``(occupation, isco, cp)`` of a posting - the source's codes first, then what they
    imply, then Regia's - and Regia's own ``(isco_regia, cp_regia)``."""
    isco_regia = ref.occupations.get(occupation_regia or "") or None
    cp_regia = ref.occupation_cp.get(occupation_regia or "")
    occupation = occupation_source or occupation_regia
    isco = isco_source or (ref.occupations.get(occupation_source or "") or None) or isco_regia
    cp = cp_source or ref.occupation_cp.get(occupation_source or "") or cp_regia
    return occupation, isco, cp, isco_regia, cp_regia


def skill_rows(ref: Reference, *, posting_id: int, group_id: int, dims: dict[str, Any],
               source: Iterable[SourceSkill], regia: Iterable[tuple[str, float]]) -> list[dict[str, Any]]:
    """``posting_skills`` rows of one posting: the source's skills (origin ``source``, flags from the taxonomy
    or the source) and the classifier's selected ones (origin ``regia``); ``dims`` are the posting's
    dimension columns (``synthetic``, ``date_posted``, ``month``, ``nuts3`` ... ``occupation``)."""
    rows = []
    for s in source:
        flags = ref.skill_flags(s.uri)
        rows.append({"posting_id": posting_id, "group_id": group_id, "skill_uri": s.uri, "origin": "source",
                     "score": None, "digital": "digital" in flags or bool(s.digital),
                     "green": "green" in flags or bool(s.green), "transversal": "transversal" in flags,
                     "language": "language" in flags, "digital_source": s.digital, "green_source": s.green,
                     **dims})
    for uri, score in regia:
        flags = ref.skill_flags(uri)
        rows.append({"posting_id": posting_id, "group_id": group_id, "skill_uri": uri, "origin": "regia",
                     "score": score, "digital": "digital" in flags, "green": "green" in flags,
                     "transversal": "transversal" in flags, "language": "language" in flags,
                     "digital_source": None, "green_source": None, **dims})
    return rows


def default_dir() -> Path:
    from regia.config import get_settings

    return get_settings().data_dir / "facts" / "postings"


def batch_name(file_id: int, batch: int) -> str:
    return f"f{file_id:07d}-b{batch:05d}.parquet"


def write_batch(root: Path, table: str, file_id: int, batch: int, rows: list[dict[str, Any]]) -> Path:
    """Write one batch of ``table`` rows (atomically: a temporary file renamed into place)."""
    folder = root / table
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / batch_name(file_id, batch)
    tmp = target.with_suffix(".parquet.tmp")
    arrow = pa.Table.from_pylist(rows, schema=SCHEMAS[table])
    pq.write_table(arrow, tmp, compression="zstd")
    tmp.replace(target)
    return target


def clean_uncommitted(root: Path, committed: dict[int, int]) -> int:
    """Remove batch files that no committed batch stands for (``committed``: file id -> batches committed).

    Returns how many files were removed."""
    removed = 0
    for table in SCHEMAS:
        folder = root / table
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            if path.name.endswith(".tmp"):
                path.unlink(missing_ok=True)
                removed += 1
                continue
            m = _BATCH_FILE.match(path.name)
            if m and int(m.group(2)) >= committed.get(int(m.group(1)), 0):
                path.unlink(missing_ok=True)
                removed += 1
    return removed


def files(root: Path, table: str) -> list[Path]:
    folder = root / table
    return sorted(folder.glob("*.parquet")) if folder.is_dir() else []


def _sql_list(paths: Iterable[Path]) -> str:
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


def connect(root: Path | None = None, *, threads: int | None = None) -> Any:
    """An in-memory DuckDB connection with the views ``postings`` and ``posting_skills`` over the facts
    (empty tables with the right columns when nothing has been ingested yet)."""
    import duckdb

    root = root or default_dir()
    con = duckdb.connect(":memory:")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    attach(con, root)
    return con


def attach(con: Any, root: Path) -> None:
    for table, schema in SCHEMAS.items():
        paths = files(root, table)
        if paths:
            con.execute(f"CREATE OR REPLACE VIEW {table} AS SELECT * FROM read_parquet({_sql_list(paths)}, "
                        "union_by_name = true)")
        else:  # no facts yet: an empty view with the right columns (a view of the catalogue, seen by cursors)
            cols = ", ".join(f"CAST(NULL AS {_SQL_TYPES[str(f.type)]}) AS {f.name}" for f in schema)
            con.execute(f"CREATE OR REPLACE VIEW {table} AS SELECT {cols} WHERE FALSE")
