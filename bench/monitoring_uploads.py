"""Throughput of the monitoring imports: the command line's ingest and the same files uploaded as jobs.

    .venv/bin/python bench/monitoring_uploads.py [--persons 20000] [--seed 1]

Simulates the demo's outcomes (``regia.monitoring.simulation``: participations, registered unemployed, CO events
as CSV, Excel and UNILAV XML, with their planted bad rows) for ``--persons`` registered unemployed, then ingests
every file into a fresh SQLite database twice: with ``ingest.ingest_file`` (the CLI's path, its own checkpoint)
and as jobs of the kinds ``participations``, ``unemployed``, ``employment`` (``regia.jobs.service.submit`` +
``run``, the job's checkpoint, its rejected rows kept), uploaded by the demo Region admin. Prints per path the
records read, wall time and records per second, and checks both paths end with the same counts.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from regia.auth.demo import seed_demo_accounts
from regia.auth.models import User
from regia.auth.principal import load_principal
from regia.db import make_engine, migrate
from regia.jobs import service as jobs
from regia.jobs.models import Job
from regia.monitoring import ingest, simulation

ORDER = ("participations", "unemployed", "employment")


def _fresh(folder: Path, name: str) -> Engine:
    engine = make_engine(f"sqlite:///{folder / name}")
    migrate(engine)
    seed_demo_accounts(engine)
    return engine


async def _chunks(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            yield block


def _cli(engine: Engine, files: dict[str, list[str]]) -> list[int]:
    totals = [0, 0, 0, 0]
    for kind in ORDER:
        for name in files[kind]:
            counts = ingest.ingest_file(engine, Path(name), kind=kind, source="bench").counts()
            totals = [t + counts[k] for t, k in zip(totals, ("read", "stored", "duplicate", "rejected"), strict=True)]
    return totals


def _jobs(engine: Engine, files: dict[str, list[str]], uploads: Path) -> list[int]:
    with Session(engine) as session:
        user = session.scalars(select(User).where(User.email == "admin@regione.demo")).one()
        principal = load_principal(session, user.id)
    assert principal is not None
    totals = [0, 0, 0, 0]
    for kind in ORDER:
        for name in files[kind]:
            job = asyncio.run(jobs.submit(engine, principal=principal, kind=kind, file_name=Path(name).name,
                                          chunks=_chunks(Path(name)), folder=uploads, max_bytes=1 << 31))
            state = jobs.run(engine, job.id)
            with Session(engine) as session:
                done = session.get_one(Job, job.id)
                assert state == "done", (name, done.error, done.error_detail)
                totals = [t + n for t, n in zip(totals, (done.read, done.stored, done.duplicate, done.rejected),
                                                strict=True)]
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="regia-monitoring-bench-"))
    out.mkdir(parents=True, exist_ok=True)
    manifest = simulation.generate(out / "files", seed=args.seed, effect=0.08, persons=args.persons, course_ids=[])
    results = {}
    for label, run in (("cli", lambda e: _cli(e, manifest.files)),
                       ("jobs", lambda e: _jobs(e, manifest.files, out / "uploads"))):
        engine = _fresh(out, f"{label}.db")
        started = time.perf_counter()
        totals = run(engine)
        wall = time.perf_counter() - started
        results[label] = totals
        print(f"{label:5} read {totals[0]:>8,} stored {totals[1]:>8,} duplicate {totals[2]:>6,} "
              f"rejected {totals[3]:>5,}  {wall:7.1f} s  {totals[0] / wall:>8,.0f} records/s")
    assert results["cli"] == results["jobs"], results


if __name__ == "__main__":
    main()
