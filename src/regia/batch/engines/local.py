"""The local engine: DuckDB and a pool of worker processes on this machine.

1. *Staging*: DuckDB reads the input (Parquet natively; JSON Lines as raw lines with their line numbers, read
   in Python so that a broken line is reported, not dropped) and writes it split by partition under
   ``OUTPUT/_staging/_part=N/`` - once: a resumed run reuses it.
2. *Partitions*: a pool of ``workers`` processes (spawned: no thread of the parent is inherited) runs
   ``parts.process`` on each pending partition; every worker loads the snapshot once, in its initializer.
3. *Cube* (needs): DuckDB runs the analytics layer's cube SQL over ``OUTPUT/facts``.
"""

from __future__ import annotations

import gzip
import multiprocessing as mp
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from regia.batch import parts, snapshot
from regia.batch.inputs import JSONL, Source
from regia.batch.job import Job, JobError
from regia.batch.store import Store
from regia.postings import facts
from regia.progress import Progress

STAGING = "_staging"
_RAW_SCHEMA = pa.schema([(parts.FILE, pa.string()), (parts.ROW, pa.int64()), (parts.JSON, pa.string())])


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _jsonl_batches(source: Source, size: int = 5000) -> Iterator[pa.RecordBatch]:
    for rel in source.files:
        path = source.store.path(rel)
        opener: Any = gzip.open if rel.endswith(".gz") else open
        files: list[str] = []
        rows: list[int] = []
        lines: list[str] = []
        with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
            for no, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                files.append(rel)
                rows.append(no)
                lines.append(line)
                if len(lines) >= size:
                    yield pa.record_batch([files, rows, lines], schema=_RAW_SCHEMA)
                    files, rows, lines = [], [], []
        if lines:
            yield pa.record_batch([files, rows, lines], schema=_RAW_SCHEMA)


def stage(job: Job, source: Source, out: Store, *, threads: int = 2) -> dict[int, list[str]]:
    """Split the input by partition under ``OUTPUT/_staging`` (unless a previous run did); part -> files."""
    import duckdb

    root = Path(out.path(STAGING))
    if not (root / "_DONE").is_file():
        shutil.rmtree(root, ignore_errors=True)
        tmp = Path(out.path(STAGING + ".tmp"))
        shutil.rmtree(tmp, ignore_errors=True)
        con = duckdb.connect(":memory:")
        try:
            con.execute(f"SET threads = {int(threads)}")
            con.execute("SET preserve_insertion_order = false")
            if source.format == JSONL:
                raw = pa.RecordBatchReader.from_batches(_RAW_SCHEMA, _jsonl_batches(source))
                con.register("raw_lines", raw)
                key = (f"coalesce(CASE WHEN json_valid({parts.JSON}) THEN json_extract_string({parts.JSON}, '$.id') "
                       f"END, {parts.FILE} || ':' || CAST({parts.ROW} AS VARCHAR))")
                select = f"SELECT *, {parts.part_sql(key, job.partitions, 'duckdb')} AS {parts.PART} FROM raw_lines"
            else:
                files = "[" + ", ".join(_sql_string(p) for p in source.paths()) + "]"
                key = "coalesce(CAST(id AS VARCHAR), filename || ':' || CAST(file_row_number + 1 AS VARCHAR))"
                select = (f"SELECT * EXCLUDE (filename, file_row_number), filename AS {parts.FILE}, "
                          f"CAST(file_row_number AS BIGINT) + 1 AS {parts.ROW}, "
                          f"{parts.part_sql(key, job.partitions, 'duckdb')} AS {parts.PART} FROM read_parquet({files}, "
                          "filename = true, file_row_number = true, union_by_name = true, hive_partitioning = false)")
            con.execute(f"COPY ({select}) TO {_sql_string(str(tmp))} (FORMAT parquet, PARTITION_BY ({parts.PART}), "
                        "COMPRESSION zstd)")
        finally:
            con.close()
        tmp.mkdir(parents=True, exist_ok=True)
        (tmp / "_DONE").write_text("staged\n")
        tmp.rename(root)
    out_files: dict[int, list[str]] = {}
    for folder in root.glob(f"{parts.PART}=*"):
        out_files[int(folder.name.split("=", 1)[1])] = sorted(str(p) for p in folder.glob("*.parquet"))
    return out_files


def _init(snapshot_path: str) -> None:
    snapshot.load(snapshot_path)  # once per worker process, before its first partition


def _run(task: tuple[dict[str, Any], int, list[str], str, str, str]) -> dict[str, Any]:
    job_dict, part, files, out_location, snapshot_path, input_root = task
    job = Job.from_dict(job_dict)
    table = pa.concat_tables([pq.read_table(f) for f in files]) if files else _empty(job)
    result = parts.process(job, part, table, store=Store(out_location), snapshot_path=snapshot_path,
                           input_root=input_root)
    return result.summary()


def _empty(job: Job) -> pa.Table:
    return _RAW_SCHEMA.empty_table()


class LocalEngine:
    name = "local"

    def __init__(self, workers: int | None = None, threads: int = 2) -> None:
        self.workers = max(0, workers if workers is not None else min(4, os.cpu_count() or 1))
        self.threads = threads

    def process(self, job: Job, source: Source, out: Store, pending: list[int], progress: Progress
                ) -> list[dict[str, Any]]:
        if not out.local:
            raise JobError("output", f"the local engine writes to a local folder, not {out.location} "
                                     "(use --engine spark for cluster storage)")
        progress.start("staging", None)
        staged = stage(job, source, out, threads=self.threads)
        sizes = {p: sum(pq.ParquetFile(f).metadata.num_rows for f in staged.get(p, [])) for p in pending}
        progress.start(f"{job.task}: {len(pending)} partitions", sum(sizes.values()))
        tasks = [(job.as_dict(), p, staged.get(p, []), out.location, job.snapshot, source.root)
                 for p in sorted(pending, key=lambda p: -sizes[p])]
        results: list[dict[str, Any]] = []
        if self.workers == 0:
            for task in tasks:
                results.append(_run(task))
                progress.advance(sizes[task[1]])
            return results
        ctx = mp.get_context("spawn")
        with ctx.Pool(min(self.workers, len(tasks)) or 1, initializer=_init, initargs=(job.snapshot,)) as pool:
            for summary in pool.imap_unordered(_run, tasks):
                results.append(summary)
                progress.advance(sizes[summary["part"]])
        return results

    def cube(self, job: Job, out: Store, sql: str, params: list[Any]) -> int:
        import duckdb

        tmp = Path(out.path("_cube.tmp"))
        shutil.rmtree(tmp, ignore_errors=True)
        con = facts.connect(Path(out.path("facts")), threads=self.threads)
        try:
            if "month" in job.dims:
                target, options = str(tmp), "FORMAT parquet, PARTITION_BY (month), COMPRESSION zstd"
            else:
                tmp.mkdir(parents=True)
                target, options = str(tmp / "part-00000.parquet"), "FORMAT parquet, COMPRESSION zstd"
            con.execute(f"COPY ({sql}) TO {_sql_string(target)} ({options})", params)
        finally:
            con.close()
        tmp.mkdir(parents=True, exist_ok=True)
        final = Path(out.path("cube"))
        shutil.rmtree(final, ignore_errors=True)
        tmp.rename(final)
        if not any(final.rglob("*.parquet")):
            return 0
        with duckdb.connect() as con:
            cells = con.execute(f"SELECT count(*) FROM read_parquet({_sql_string(str(final / '**' / '*.parquet'))})"
                                ).fetchone()
        return int(cells[0]) if cells else 0

    def close(self) -> None:
        pass
