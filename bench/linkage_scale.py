"""Record linkage at scale: 1M x 1M synthetic Italian persons linked on this machine (DuckDB).

    .venv/bin/python bench/linkage_scale.py [--n 1000000] [--out /tmp/regia-linkage-scale]

The two sources come from ``regia.linkage.demo_data`` (the development set's generator: the same error kinds,
70% of B's persons also in A). Printed: generation, reading and training/scoring times, the comparisons the
blocking rules generate (and their ratio to the records: the target is at most 100x), links, precision, recall
and F1 against the generator's truth, and the peak resident memory of the process.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from regia.linkage import demo_data, records
from regia.linkage.linker import link


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "regia-linkage-scale")
    args = parser.parse_args()
    t = time.perf_counter()
    a, b, truth_path = demo_data.generate(args.out, n_a=args.n, n_b=args.n, seed=21)
    generated = time.perf_counter() - t
    t = time.perf_counter()
    src_a, src_b = records.read(a, "persons"), records.read(b, "persons")
    read = time.perf_counter() - t
    t = time.perf_counter()
    result = link("persons", src_a, src_b)
    linked = time.perf_counter() - t
    truth = demo_data.truth(truth_path)
    found = {(x, y) for x, y, _ in result.pairs}
    tp = len(found & truth)
    p, r = tp / max(1, len(found)), tp / max(1, len(truth))
    c = result.counts
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    records_total = c["records_a"] + c["records_b"]
    print(f"{c['records_a']:,} x {c['records_b']:,} persons; generated in {generated:.0f}s, read and normalised in "
          f"{read:.0f}s, linked in {linked:.0f}s (training {c['train_seconds']:.0f}s)")
    print(f"comparisons after blocking: {c['comparisons']:,} = {c['comparisons'] / records_total:.2f} x the records "
          "(target <= 100 x)")
    print(f"links {c['links']:,}; precision {p:.4f}, recall {r:.4f}, F1 {2 * p * r / max(1e-9, p + r):.4f}; "
          f"uncertain band for review: {c['review']:,}")
    print(f"peak resident memory {peak:,.0f} MB")


if __name__ == "__main__":
    main()
