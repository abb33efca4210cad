"""Ingest + classify throughput on the synthetic demo postings.

    .venv/bin/python bench/postings_ingest.py [--n 20000] [--workers 2] [--taxonomy-db regia.db]

Generates ``--n`` demo records (every format, with the planted duplicates and bad rows), then ingests them
into fresh copies of a database holding the imported taxonomy: once with Regia's classifier in ``--workers``
processes, once without it. Prints, for each: wall time, CPU time (this process and its workers), records
per second (read: every record, duplicates and rejects included) and postings classified per second, plus
the CPU-bound estimate on two idle cores (records / (CPU seconds / 2)) - the machine may be shared.

Without ``--taxonomy-db`` the reference data is imported from ``REGIA_REFERENCE_DIR`` first (~20 s).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from regia.classify import classifier_for
from regia.config import get_settings
from regia.db import make_engine, migrate
from regia.postings import demo_data, service
from regia.postings.classification import Labeller


def _cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _copy(src: Path, dst: Path) -> None:
    a, b = sqlite3.connect(str(src)), sqlite3.connect(str(dst))
    a.backup(b)
    a.close()
    b.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--taxonomy-db", type=Path, default=None, help="SQLite file with the taxonomy imported")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--skip-plain", action="store_true", help="Only the run with the classifier")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="regia-ingest-bench-"))
    out.mkdir(parents=True, exist_ok=True)
    taxonomy = args.taxonomy_db
    if taxonomy is None:
        from regia.taxonomy.importer import import_reference

        taxonomy = out / "taxonomy.db"
        engine = make_engine(f"sqlite:///{taxonomy}")
        t = time.perf_counter()
        import_reference(engine, get_settings().reference_dir)
        engine.dispose()
        print(f"taxonomy imported in {time.perf_counter() - t:.1f}s")

    base = make_engine(f"sqlite:///{taxonomy}")
    migrate(base)
    t = time.perf_counter()
    manifest = demo_data.generate(base, out / "demo", n=args.n, seed=args.seed)
    print(f"demo data: {manifest.records:,} records in {time.perf_counter() - t:.1f}s "
          f"({len(manifest.bad_rows)} bad rows, {len(manifest.duplicates)} duplicates planted)")
    files = demo_data.input_files(out / "demo")

    t = time.perf_counter()
    classifier = classifier_for(base)
    print(f"classifier loaded in {time.perf_counter() - t:.1f}s (index cached under REGIA_DATA_DIR/classify)")
    runs = [("ingest + classify", args.workers)] + ([] if args.skip_plain else [("ingest only", None)])
    for title, workers in runs:
        db = out / f"run-{workers}.db"
        db.unlink(missing_ok=True)
        _copy(taxonomy, db)
        engine = make_engine(f"sqlite:///{db}")
        migrate(engine)
        facts_dir = out / f"facts-{workers}"
        shutil.rmtree(facts_dir, ignore_errors=True)
        labeller = Labeller(classifier, workers=workers).start() if workers is not None else None
        cpu0, t0 = _cpu(), time.perf_counter()
        result = service.ingest(engine, files, labeller=labeller, facts_dir=facts_dir, batch_size=args.batch_size)
        if labeller is not None:
            labeller.close()
        wall, cpu = time.perf_counter() - t0, _cpu() - cpu0
        c = result.counts
        classified = c.stored + sum(f.grouped for f in result.files)
        print(f"{title} (workers={workers}): read {c.read:,} stored {c.stored:,} duplicate {c.duplicate:,} "
              f"rejected {c.rejected:,} | wall {wall:.1f}s, CPU {cpu:.1f}s | {c.read / wall:.0f} records/s, "
              f"{classified / wall:.0f} postings classified/s | CPU-bound on 2 idle cores: "
              f"{c.read / (cpu / 2):.0f} records/s")
        engine.dispose()
    print(f"load average now: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
