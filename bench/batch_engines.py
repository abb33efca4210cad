"""Batch classification on the local engine versus Spark ``local[2]`` on this machine, and a scaling estimate.

    .venv/bin/python bench/batch_engines.py --sizes 200000,1000000 [--engines local,spark] [--task classify]
                                             [--out /tmp/regia-batch-bench] [--partitions 64]

Needs the taxonomy imported in ``REGIA_DATABASE_URL`` (the snapshot is built from it). Synthetic postings are
made from the demo generator (``regia.postings.demo_data``): 20,000 distinct ads, cycled with new ids and dates
up to the size asked, written as one Parquet file in the batch input's columns.

For each size and engine: wall time, postings per second, start-up cost (from the start of the run to the
first completed partition, Spark session included), peak memory (resident set of the whole process tree -
driver, JVM, Python workers - sampled every half second), and the partitions' own timings. Then an
*estimate* for 100M postings on a cluster: the measured CPU cost of a posting in a Spark partition x 100M /
the cluster's cores, plus the start-up cost, for a few cluster sizes - an extrapolation, not a measurement
(it assumes the work stays CPU-bound in the classifier and the storage keeps up).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from regia.batch import service, snapshot
from regia.batch.job import Job
from regia.config import get_settings
from regia.db import get_engine, migrate

DISTINCT = 20_000


def _tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry), int(fields[1])
        children.setdefault(ppid, []).append(pid)
        rss[pid] = int(fields[21]) * page
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


class PeakMemory(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.wait(0.5):
            self.peak = max(self.peak, _tree_rss(os.getpid()))

    def stop(self) -> int:
        self._halt.set()
        self.join()
        return self.peak


def make_input(engine: Any, target: Path, size: int) -> Path:
    """``size`` synthetic postings in the batch input's columns (20,000 distinct ads, cycled)."""
    if target.is_file() and pq.ParquetFile(target).metadata.num_rows == size:
        return target
    from regia.postings import demo_data

    gen = demo_data.Generator(demo_data._Vocabulary(engine), seed=3)
    base = [gen.ad(i) for i in range(min(DISTINCT, size))]
    rows = []
    for i in range(size):
        ad = base[i % len(base)]
        shift = dt.timedelta(days=(i // len(base)) % 28)
        rows.append({"id": f"P{i:09d}", "title": ad.title, "text": ad.description, "comune": ad.comune,
                     "ateco_division": ad.division, "date_posted": ad.date_posted - shift})
        if len(rows) >= 200_000 or i == size - 1:
            table = pa.Table.from_pylist(rows)
            if i + 1 == len(rows):
                writer = pq.ParquetWriter(target.with_suffix(".tmp"), table.schema, compression="zstd")
            writer.write_table(table)
            rows = []
    writer.close()
    target.with_suffix(".tmp").replace(target)
    return target


def run_one(job: Job, engine: str, spark_master: str) -> dict[str, Any]:
    memory = PeakMemory()
    memory.start()
    started = time.perf_counter()
    wall_start = time.time()
    options: dict[str, Any] = {"workers": 2} if engine == "local" else {"master": spark_master}
    manifest = service.run(job, engine=engine, overwrite=True, **options)
    seconds = time.perf_counter() - started
    peak = memory.stop()
    markers = [json.loads(p.read_text()) for p in Path(job.output, "_parts").glob("part-*.json")]
    first = min(Path(job.output, "_parts", f"part-{m['part']:05d}.json").stat().st_mtime for m in markers)
    per_posting = [m["seconds"] / m["read"] for m in markers if m["read"]]
    return {"engine": engine, "postings": manifest["read"], "seconds": round(seconds, 1),
            "postings_per_s": round(manifest["read"] / seconds, 1), "startup_s": round(first - wall_start, 1),
            "peak_rss_mb": round(peak / 1e6), "partitions": len(markers),
            "partition_s_per_posting_median": statistics.median(per_posting) if per_posting else None,
            "workers": len(manifest["workers"])}


def estimate(results: list[dict[str, Any]], postings: int = 100_000_000) -> list[str]:
    spark = [r for r in results if r["engine"] == "spark"] or results
    r = max(spark, key=lambda x: x["postings"])
    cost = r["partition_s_per_posting_median"]  # seconds of one core per posting, inside a partition
    lines = [f"ESTIMATE (extrapolated, not measured) for {postings:,} postings from the {r['engine']} run of "
             f"{r['postings']:,}: {cost * 1000:.2f} ms of one core per posting, start-up {r['startup_s']} s"]
    for executors, cores in ((10, 4), (25, 4), (50, 8)):
        total = postings * cost / (executors * cores) + r["startup_s"]
        partitions = max(executors * cores * 4, postings // 100_000)
        lines.append(f"  {executors} executors x {cores} cores: ~{total / 3600:.1f} h "
                     f"({partitions:,} partitions of ~{postings // partitions:,} postings)")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="200000,1000000")
    parser.add_argument("--engines", default="local,spark")
    parser.add_argument("--task", default="classify", choices=("classify", "needs"))
    parser.add_argument("--partitions", type=int, default=64)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "regia-batch-bench")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    engine = get_engine(get_settings().database_url)
    migrate(engine)
    snap = snapshot.ensure(engine, args.out)
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        source = make_input(engine, args.out / f"postings-{size}.parquet", size)
        for name in args.engines.split(","):
            job = Job(task=args.task, input=str(source), output=str(args.out / f"{name}-{size}"), snapshot=snap,
                      partitions=args.partitions)
            result = run_one(job, name, args.master)
            results.append(result)
            print(json.dumps(result), flush=True)
    print("\n| engine | postings | seconds | postings/s | start-up s | peak RSS MB | partitions |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['engine']} | {r['postings']:,} | {r['seconds']} | {r['postings_per_s']} | {r['startup_s']} | "
              f"{r['peak_rss_mb']} | {r['partitions']} |")
    print()
    print("\n".join(estimate(results)))


if __name__ == "__main__":
    main()
