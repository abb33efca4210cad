"""Between the analytics store and a cluster: export the stored postings as a batch input, and load the facts
and cube of a needs job run elsewhere back into the store, so that a cluster run feeds the same pages.

``export``: one Parquet file, one row per stored posting (near-duplicates included, with their ``group_id``),
in the batch input's columns (``regia.batch.records``): the facts' text and codes, the sources' occupation
codes from the database, the sources' skills with their digital/green flags.

``load``: the output folder of ``regia batch needs`` (finished: ``_SUCCESS``) is checked - its cube must be the
cube of its facts, recomputed here with the analytics layer's SQL - and its facts are copied into the facts
folder (``REGIA_DATA_DIR/facts/postings``) as the dataset ``NAME`` (files ``batch-NAME-part-NNNNN.parquet``),
which the needs pages, API and reports read with the ingested facts. Loading the same output again changes
nothing; loading another output under the same name replaces that dataset. Postings already in the store
(the same ids: an export loaded back) are refused: two copies of a posting would count its ads twice.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy import Engine

from regia.analytics.needs import Filters, arrow_table, cube_sql
from regia.batch.service import MANIFEST, SUCCESS
from regia.batch.store import Store
from regia.db import session_factory
from regia.postings import facts
from regia.postings import service as postings

DATASET = re.compile(r"^[A-Za-z0-9_.-]{1,60}$")
LEDGER = "_batch"


class LoadError(ValueError):
    pass


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def export(engine: Engine, target: Path, *, facts_dir: Path | None = None) -> dict[str, Any]:
    """Write the stored postings to ``target`` (Parquet) as a batch input; returns counts."""
    facts_dir = facts_dir or facts.default_dir()
    with session_factory(engine)() as session:
        codes = list(postings.source_codes(session))
    db = pa.table({"id": pa.array([c[0] for c in codes], pa.int64()),
                   "isco_src": pa.array([c[1] for c in codes], pa.string()),
                   "cp_src": pa.array([c[2] for c in codes], pa.string()),
                   "occ_src": pa.array([c[3] for c in codes], pa.string())})
    con = facts.connect(facts_dir)
    try:
        con.register("db_codes", db)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        con.execute(f"""COPY (
            SELECT CAST(p.posting_id AS VARCHAR) AS id, p.group_id, p.dedup, p.feed, p.board, p.synthetic,
                   p.date_posted, p.valid_through, p.comune, p.nuts3, p.nuts2, p.ateco_code, p.ateco_division,
                   p.ateco_section, coalesce(d.isco_src, p.isco_source) AS isco_source, d.cp_src AS cp_source,
                   coalesce(d.occ_src, p.occupation_source) AS occupation_source, p.contract, p.education,
                   p.experience, p.working_hours, p.employer_key, p.salary, p.title, p.description AS text,
                   s.source_skills
            FROM postings p LEFT JOIN db_codes d ON d.id = p.posting_id
            LEFT JOIN (SELECT posting_id, list({{'uri': skill_uri, 'digital': digital_source, 'green': green_source}}
                              ORDER BY skill_uri) AS source_skills
                       FROM posting_skills WHERE origin = 'source' GROUP BY posting_id) s USING (posting_id)
            ORDER BY p.posting_id) TO {_quote(str(tmp))} (FORMAT parquet, COMPRESSION zstd)""")
        rows = con.execute(f"SELECT count(*), count(DISTINCT group_id) FROM read_parquet({_quote(str(tmp))})"
                           ).fetchone()
    finally:
        con.close()
    tmp.replace(target)
    assert rows is not None
    return {"postings": int(rows[0]), "groups": int(rows[1]), "file": str(target)}


def _cube_rows(con: Any, dims: list[str]) -> list[tuple[Any, ...]]:
    sql, params = cube_sql(Filters(), dims, flags=True)
    table = arrow_table(con.sql(sql, params=params))
    return sorted(tuple(r.values()) for r in table.to_pylist())


def _dataset_files(folder: Path, name: str) -> list[Path]:
    return sorted(folder.glob(f"batch-{name}-*.parquet")) if folder.is_dir() else []


def load(output: str, *, facts_dir: Path | None = None, name: str | None = None) -> dict[str, Any]:
    """Load a finished needs output into the facts folder as dataset ``name`` (default: the output folder's
    name); returns what was done (``loaded`` / ``unchanged``) with counts."""
    import duckdb

    out = Store(output)
    if not out.exists(MANIFEST) or not out.exists(SUCCESS):
        raise LoadError(f"{output}: not a finished batch output (no {MANIFEST} / {SUCCESS}): run it to the end first")
    manifest = out.read_json(MANIFEST)
    if manifest.get("task") != "needs":
        raise LoadError(f"{output}: a {manifest.get('task')} output; only needs outputs (facts and cube) load")
    name = name or out.path().rstrip("/").rsplit("/", 1)[-1]
    if not DATASET.match(name):
        raise LoadError(f"dataset name {name!r}: use letters, digits, '.', '_' or '-' (at most 60)")
    facts_dir = facts_dir or facts.default_dir()
    ledger = facts_dir / LEDGER / f"{name}.json"
    if ledger.is_file() and json.loads(ledger.read_text(encoding="utf-8")).get("key") == manifest["key"]:
        return {"dataset": name, "status": "unchanged", "postings": manifest["written"]}

    # Bring the facts here (a cluster's storage may be remote), then check them.
    staging = facts_dir / LEDGER / f".{name}.incoming"
    shutil.rmtree(staging, ignore_errors=True)
    for table in facts.SCHEMAS:
        for rel in out.files(f"facts/{table}"):
            dest = staging / table / rel.rsplit("/", 1)[-1]
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(out.read_bytes(rel))
    con = facts.connect(staging)
    try:
        dims = manifest["dims"]
        shipped = duckdb.connect()
        cube_files = [out.path(f) for f in out.files("cube")] if out.local else []
        if not out.local:
            for rel in out.files("cube"):
                dest = staging / "cube" / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(out.read_bytes(rel))
            cube_files = [str(p) for p in sorted((staging / "cube").rglob("*.parquet"))]
        columns = [*dims, "postings", "ads", *(["digital", "green"] if "skill" in dims else [])]
        expected = sorted(tuple(r) for r in shipped.execute(
            f"SELECT {', '.join(columns)} FROM read_parquet("
            f"[{', '.join(_quote(f) for f in cube_files)}], hive_partitioning = true)").fetchall()) if cube_files \
            else []
        shipped.close()
        if _cube_rows(con, dims) != expected:
            raise LoadError(f"{output}: its cube is not the cube of its facts (altered or incomplete copy)")
        ids = con.execute("SELECT posting_id FROM postings").fetchnumpy()["posting_id"]
    finally:
        con.close()
    # Postings already held (other datasets than this one, ingested facts): refused.
    store = facts.connect(facts_dir)
    try:
        mine = {str(p) for t in facts.SCHEMAS for p in _dataset_files(facts_dir / t, name)}
        held = [str(p) for p in facts.files(facts_dir, facts.POSTINGS) if str(p) not in mine]
        if held and len(ids):
            store.register("incoming", pa.table({"posting_id": ids}))
            clash = store.execute(
                f"SELECT DISTINCT i.posting_id FROM incoming i JOIN read_parquet([{', '.join(_quote(h) for h in held)}]"
                ") p USING (posting_id) ORDER BY 1 LIMIT 6").fetchall()
            if clash:
                shutil.rmtree(staging, ignore_errors=True)
                raise LoadError(f"{output}: postings already in the analytics store (posting ids "
                                f"{', '.join(str(c[0]) for c in clash[:5])}{' ...' if len(clash) > 5 else ''}): "
                                "an export loaded back would count them twice")
    finally:
        store.close()
    # Swap the dataset's files: new ones in, old ones of the same name out.
    for table in facts.SCHEMAS:
        folder = facts_dir / table
        folder.mkdir(parents=True, exist_ok=True)
        old = set(_dataset_files(folder, name))
        for src in sorted((staging / table).glob("*.parquet")) if (staging / table).is_dir() else []:
            dest = folder / f"batch-{name}-{src.name}"
            tmp = folder / f".{dest.name}.tmp"
            shutil.copyfile(src, tmp)
            tmp.replace(dest)
            old.discard(dest)
        for stale in old:
            stale.unlink()
    shutil.rmtree(staging, ignore_errors=True)
    ledger.parent.mkdir(parents=True, exist_ok=True)
    ledger.write_text(json.dumps({"key": manifest["key"], "output": output, "postings": manifest["written"],
                                  "cube_cells": manifest.get("cube_cells")}, indent=1) + "\n", encoding="utf-8")
    return {"dataset": name, "status": "loaded", "postings": manifest["written"],
            "cube_cells": manifest.get("cube_cells")}
