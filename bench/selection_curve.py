"""Precision/recall of the classifier's `selected` skills on whole Italian ads, per decision threshold.

    python bench/selection_curve.py [--dataset it-ads --dataset it-ads-long] [--mode default]
                                    # REGIA_DATABASE_URL: imported taxonomy

Sweeps the lexical threshold of Italian skills (``Params.select_skill_it``: raw score of labels, lexicon terms,
the occupation prior) and, where the encoder runs, its own threshold (``select_encoder``: rescaled similarity),
and prints micro precision, recall and F1 against the gold of Regia's Italian validation set (bench/italian),
pooled over the datasets given (default: the short and the full-length ads). The defaults of ``Params`` are the
best-F1 points of this curve.
"""

from __future__ import annotations

import argparse

from regia.classify import classifier_for, evaluation
from regia.classify.classifier import mode_params
from regia.config import get_settings
from regia.db import make_engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", action="append", help="it-ads, it-ads-long (repeatable; default both)")
    parser.add_argument("--mode", default="default")
    args = parser.parse_args()
    clf = classifier_for(make_engine(get_settings().database_url), params=mode_params(args.mode))
    names = args.dataset or ["it-ads", "it-ads-long"]
    queries = [q for name in names for q in evaluation.read_italian(name).queries]
    print(f"{' + '.join(names)}, {args.mode} mode: {len(queries)} texts")
    print("| select_skill_it | select_encoder | selected | P | R | F1 |")
    print("|---|---|---|---|---|---|")
    for enc in (0.5, 0.6, 0.7, 0.8, 10.0):
        for thr in (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 1.0, 1.1, 1.2, 1.4):
            runner = clf.with_params(select_skill_it=thr, select_encoder=enc)
            results = [runner.classify(q.text, top_k=20) for q in queries]
            m = evaluation.selection_metrics(results, [q.gold for q in queries])
            n = sum(1 for r in results for s in r.skills if s.selected)
            print(f"| {thr:.2f} | {enc:.1f} | {n} | {m['P']:.3f} | {m['R']:.3f} | {m['F1']:.3f} |")
        if args.mode == "fast":
            break


if __name__ == "__main__":
    main()
