"""The batch tests' world, built once per test session and shared by the local and Spark test modules: a
writable copy of the imported taxonomy, 2,000 synthetic demo postings ingested (without classification) and
exported as a batch input, a taxonomy snapshot, and the local engine's reference outputs (run on demand)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pytest
from sqlalchemy import Engine

from regia.batch import service, snapshot
from regia.batch.exchange import export
from regia.batch.job import Job
from regia.classify import Classifier
from regia.db import make_engine, migrate
from regia.postings import demo_data
from regia.postings import service as postings

DEMO_POSTINGS = 2000
PARTITIONS = 12


@dataclass
class BatchWorld:
    tmp: Path
    engine: Engine
    facts_dir: Path  # the ingested postings' facts (the "analytics store")
    export: Path  # the stored postings as a batch input (Parquet)
    snapshot: str
    classifier: Classifier
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def job(self, task: str, output: Path, *, source: Path | None = None, partitions: int = PARTITIONS) -> Job:
        return Job(task=task, input=str(source or self.export), output=str(output), snapshot=self.snapshot,
                   partitions=partitions)

    def local(self, task: str) -> Path:
        """The local engine's output of ``task`` over the export (run once)."""
        if task not in self.outputs:
            out = self.tmp / f"local-{task}"
            manifest = service.run(self.job(task, out), engine="local", workers=2)
            self.outputs[task] = {"out": out, "manifest": manifest}
        return Path(self.outputs[task]["out"])

    def manifest(self, task: str) -> dict[str, Any]:
        self.local(task)
        return dict(self.outputs[task]["manifest"])


_WORLD: dict[str, BatchWorld] = {}


def batch_world(sqlite_taxonomy: Engine, tmp_path_factory: pytest.TempPathFactory) -> BatchWorld:
    if "world" not in _WORLD:
        tmp = tmp_path_factory.mktemp("batch-world")
        src = sqlite3.connect(str(sqlite_taxonomy.url.database))
        dst = sqlite3.connect(str(tmp / "regia.db"))
        src.backup(dst)
        src.close()
        dst.close()
        engine = make_engine(f"sqlite:///{tmp / 'regia.db'}")
        migrate(engine)
        demo_data.generate(engine, tmp / "demo", n=DEMO_POSTINGS, seed=5)
        facts_dir = tmp / "facts"
        postings.ingest(engine, demo_data.input_files(tmp / "demo"), facts_dir=facts_dir)
        target = tmp / "postings.parquet"
        export(engine, target, facts_dir=facts_dir)
        clf = Classifier.from_engine(engine, cache_dir=tmp / "classify-cache")
        snap = tmp / "taxonomy.snapshot"
        snapshot.build(engine, str(snap), classifier=clf)
        _WORLD["world"] = BatchWorld(tmp, engine, facts_dir, target, str(snap), clf)
    return _WORLD["world"]


def query(sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    """All rows of a query on a connection of its own (never DuckDB's shared default one, whose unfinished
    results would make the next query fail)."""
    with duckdb.connect() as connection:
        return connection.execute(sql, params).fetchall()


def rows(output: Path, task: str) -> list[tuple[Any, ...]]:
    """Every result row of an output, sorted: classification rows with their month, or the facts."""
    if task == "classify":
        sql = (f"SELECT month, id, kind, uri, score, selected, rank FROM read_parquet('{output}/month=*/*.parquet', "
               "hive_partitioning = true) ORDER BY ALL")
    else:
        sql = f"SELECT * FROM read_parquet('{output}/facts/posting_skills/*.parquet') ORDER BY ALL"
    return query(sql)


def cube(output: Path) -> list[tuple[Any, ...]]:
    return query(f"SELECT * FROM read_parquet('{output}/cube/**/*.parquet', hive_partitioning = true) ORDER BY ALL")


def kill_mid_run(args: list[str], output: Path, *, after_parts: int, env: dict[str, str] | None = None,
                 timeout: float = 240) -> int:
    """Start ``regia batch ...`` in a subprocess (its own process group), SIGKILL the whole group once
    ``after_parts`` partition markers exist; returns how many partitions were complete at the kill."""
    environ = {**os.environ, **(env or {})}
    log = output.with_name(output.name + ".stderr")
    with log.open("wb") as stderr:
        proc = subprocess.Popen([sys.executable, "-c", "from regia.cli import app; app()", "batch", *args],
                                env=environ, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            markers = list((output / "_parts").glob("part-*.json")) if (output / "_parts").is_dir() else []
            if len(markers) >= after_parts:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
                return len(list((output / "_parts").glob("part-*.json")))
            if proc.poll() is not None:
                tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
                raise AssertionError(f"the job ended (exit {proc.returncode}) before {after_parts} partitions:\n{tail}")
            time.sleep(0.05)
        raise AssertionError("the job did not complete a partition in time")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


def json_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
