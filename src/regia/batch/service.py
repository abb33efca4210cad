"""Running a batch job: check the input and the output, run the pending partitions on the chosen engine,
compute the cube (needs), write the manifest.

Output folder (``Job.output``):

- ``_job.json``: the job and its key (input files, snapshot digest, settings). A run over an output that holds
  another job is refused (``overwrite`` clears it first); a run of the same job resumes: the partitions with a
  marker under ``_parts/`` are kept, the others are processed again from the start, writing the same file
  names (so a killed run never leaves doubled rows);
- the results (see ``regia.batch.parts``), ``cube/`` for needs;
- ``_manifest.json`` (counts, partitions, timings) and ``_SUCCESS``, written last.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from regia.analytics.needs import Filters, cube_sql
from regia.batch import engines, parts, snapshot
from regia.batch.inputs import open_source
from regia.batch.job import NEEDS, Job, JobError
from regia.batch.store import Store
from regia.progress import NoProgress, Progress

JOB_FILE, MANIFEST, SUCCESS = "_job.json", "_manifest.json", "_SUCCESS"
COUNTS = ("read", "written", "rejected", "rows")


def prepare_output(job: Job, key: str, *, overwrite: bool) -> tuple[Store, bool]:
    """The output folder, ready for ``job``: (store, resumed). Refuses an output that holds another job or
    other files, unless ``overwrite``."""
    out = Store(job.output)
    if out.exists() and not out.is_dir():
        raise JobError("output", f"{job.output} is a file: the output is a folder")
    resumed = False
    if out.exists(JOB_FILE):
        held = out.read_json(JOB_FILE)
        if held.get("key") == key:
            resumed = True
        elif not overwrite:
            raise JobError("output", f"{job.output} holds the results of another job (task {held['job']['task']}, "
                                     "other input, snapshot or settings): choose another output or overwrite it")
    elif out.exists() and (out.files() or out.exists(parts.PARTS_DIR)) and not overwrite:
        raise JobError("output", f"{job.output} is not empty and holds no batch job: choose another output or "
                                 "overwrite it")
    if overwrite and not resumed and out.exists():
        out.fs.delete_dir_contents(out.path())
    for tmp in out.hidden(""):
        out.delete(tmp)
    out.delete(SUCCESS)
    return out, resumed


def run(job: Job, *, engine: str = "local", overwrite: bool = False, progress: Progress | None = None,
        **engine_options: Any) -> dict[str, Any]:
    """Run ``job`` on ``engine`` (``local`` or ``spark``; options go to the engine); returns the manifest."""
    started = time.perf_counter()
    progress = progress or NoProgress()
    source = open_source(job.input)
    header = snapshot.read_header(job.snapshot)
    key = job.key(source.fingerprint(), header["sha256"])
    out, resumed = prepare_output(job, key, overwrite=overwrite)
    out.write_json(JOB_FILE, {"key": key, "job": job.as_dict(), "input": {"format": source.format,
                                                                          "files": list(source.files)},
                              "snapshot": header})
    markers = parts.done(out)
    pending = [p for p in range(job.partitions) if p not in markers]
    runner = engines.get(engine, **engine_options)
    try:
        if pending:
            runner.process(job, source, out, pending, progress)
        markers = parts.done(out)
        missing = [p for p in range(job.partitions) if p not in markers]
        if missing:
            raise RuntimeError(f"partitions {missing[:10]} were not completed: run the same command again")
        cells = None
        if job.task == NEEDS:
            progress.start("cube", None)
            sql, params = cube_sql(Filters(), job.dims, flags=True)
            cells = runner.cube(job, out, sql, params) if out.exists("facts") else 0
    finally:
        runner.close()
    totals = {k: sum(int(m[k]) for m in markers.values()) for k in COUNTS}
    manifest = {
        "task": job.task, "key": key, "engine": engine, "input": job.input, "output": job.output,
        "snapshot": {k: header.get(k) for k in ("sha256", "fingerprint", "created")},
        "partitions": job.partitions, "resumed": resumed, "partitions_run": len(pending),
        "partitions_resumed": job.partitions - len(pending), **totals, "cube_cells": cells,
        "seconds": round(time.perf_counter() - started, 2),
        "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "workers": sorted({(m["host"], m["pid"]) for m in markers.values() if m["pid"]}),
        "snapshot_loads": {f"{m['host']}:{m['pid']}": m["snapshot_loads"] for m in markers.values() if m["pid"]},
    }
    if job.task == NEEDS:
        manifest["dims"] = list(job.dims)
    out.delete_dir("_staging")
    out.write_json(MANIFEST, manifest)
    out.write_bytes(SUCCESS, b"")
    return manifest


def rejected(output: str) -> list[dict[str, Any]]:
    """The rejected rows of a job's output (file, row, id, field, reason), in file and row order."""
    import json

    out = Store(output)
    rows: list[dict[str, Any]] = []
    for rel in out.files(parts.REJECTED_DIR, recursive=False):
        rows.extend(json.loads(line) for line in out.read_bytes(rel).decode("utf-8").splitlines() if line)
    return sorted(rows, key=lambda r: (r["file"], r["row"]))
