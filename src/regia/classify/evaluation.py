"""Benchmarks of the classifier: dataset readers, metrics and a timed runner.

Datasets live under ``REGIA_BENCH_DIR`` (layout and metric definitions in its README):

* ``tech``, ``house``, ``techwolf``: English job-ad sentences -> ESCO skills (Decorte et al.). A query is a
  sentence with at least one ESCO label; metrics RP@5, RP@10 (R-precision at K) and MRR.
* ``it-sentences``, ``it-titles``, ``it-ads``, ``it-ads-long``, ``it-ads-check``, ``it-courses``: Regia's own Italian
  validation set (``bench/italian`` in the repository, written and labelled by the team, see its README): job-ad
  sentences and course descriptions -> skills (RP@5), titles -> occupations (acc@1/acc@5, ISCO-4 acc@1), short
  and full-length whole ads -> selected skills (precision, recall, F1) and occupation (acc@1); ``it-ads-check``
  is kept out of tuning. Never the hidden evaluation sets.
* ``melo-it``, ``melo-it-en``: Italian CP2011 titles -> ESCO occupations or ISCO groups (MELO). Metrics MRR,
  acc@1, acc@5 over concepts. Every surface form of the gold concept is relevant in MELO, so ranking each
  concept by its best surface form gives the same MRR as MELO's element-level trec_eval run. The gold comes
  from the CP2011 <-> ESCO crosswalk, so these run on a taxonomy imported *without* the crosswalk and the
  CP2011 title files (``MELO_WITHHELD``).
"""

from __future__ import annotations

import csv
import fnmatch
import hashlib
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from regia.classify.classifier import Classifier, Result

SKILL_SETS = {"tech": "tech", "house": "house", "techwolf": "techwolf"}
MELO_SETS = {"melo-it": "ita_q_it_c_it", "melo-it-en": "ita_q_it_c_en"}
ITALIAN_SETS = {"it-sentences": "sentences", "it-titles": "titles", "it-ads": "ads", "it-ads-long": "ads_long",
                "it-ads-check": "ads_check", "it-courses": "courses"}
ITALIAN_DIR = Path(__file__).resolve().parents[3] / "bench" / "italian"  # in a source checkout
PEER_FIGURES = ITALIAN_DIR.parent / "peer_figures.json"  # the peer's stored figures (bench/README.md)
DATASETS = (*SKILL_SETS, *MELO_SETS, *ITALIAN_SETS)
SPLITS = ("test", "validation")
MELO_WITHHELD = ("esco_cp2011_mapping*", "cp2011_titles*", "cp2011_to_isco08*")
MELO_DEPTH = 100  # MELO keeps the top 100 elements per query


@dataclass(frozen=True)
class Query:
    id: str
    text: str
    gold: frozenset[str]
    occupations: frozenset[str] = frozenset()  # whole ads: the occupation they are for (``gold`` = skills)


@dataclass(frozen=True)
class Dataset:
    name: str
    split: str
    task: str  # "skills", "occupations" or "ads" (selected skills and the occupation)
    queries: tuple[Query, ...]
    candidates: frozenset[str] | None = None  # occupations: the benchmark's concept set


@dataclass
class BenchResult:
    dataset: str
    split: str
    queries: int
    metrics: dict[str, float]
    seconds: float
    texts_per_second: float
    peak_memory_mb: float
    notes: list[str] = field(default_factory=list)
    cpu_seconds: float = 0.0  # CPU time of this process (all threads) while classifying
    mode: str = "default"  # where the encoder ran (``classifier.MODES``)


def read_skill_set(bench_dir: Path, name: str, split: str = "test") -> Dataset:
    if name not in SKILL_SETS:
        raise ValueError(f"unknown skill dataset {name!r}")
    if name == "techwolf" and split != "test":
        raise ValueError("techwolf has a test split only")
    path = bench_dir / "skill-extraction" / f"{SKILL_SETS[name]}_{split}_annotations_uri.csv"
    gold: dict[str, set[str]] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            uri = (row.get("label_uri") or "").strip()
            if uri:
                gold.setdefault(row["sentence"], set()).add(uri)
    queries = tuple(Query(f"{name}-{i}", sentence, frozenset(uris)) for i, (sentence, uris) in enumerate(gold.items()))
    return Dataset(name, split, "skills", queries)


def _tsv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8") as fh:
        return [line.rstrip("\n").split("\t") for line in fh if line.strip()]


def read_melo(bench_dir: Path, name: str) -> Dataset:
    if name not in MELO_SETS:
        raise ValueError(f"unknown MELO dataset {name!r}")
    folder = bench_dir / "melo-ita" / MELO_SETS[name]
    concept_of = {row[0]: row[1] for row in _tsv(folder / "concept_mapping.tsv")}
    gold: dict[str, set[str]] = {}
    for row in _tsv(folder / "annotations.tsv"):
        if row[3] != "0":
            gold.setdefault(row[0], set()).add(concept_of[row[2]])
    queries = tuple(Query(qid, title, frozenset(gold[qid])) for qid, title in _tsv(folder / "queries.tsv")
                    if qid in gold)
    return Dataset(name, "test", "occupations", queries, frozenset(concept_of.values()))


def read_italian(name: str, folder: Path = ITALIAN_DIR) -> Dataset:
    """Regia's Italian validation set (``bench/italian/*.jsonl``)."""
    if name not in ITALIAN_SETS:
        raise ValueError(f"unknown Italian dataset {name!r}")
    path = folder / f"{ITALIAN_SETS[name]}.jsonl"
    if not path.is_file():
        raise ValueError(f"{path} not found (the Italian validation set is in the repository's bench/italian)")
    queries = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                r = json.loads(line)
                skills = frozenset(s["uri"] for s in r.get("skills", []))
                occupation = frozenset([r["occupation"]["uri"]]) if r.get("occupation") else frozenset()
                queries.append(Query(r["id"], r["text"], skills or occupation, occupation))
    task = "occupations" if name == "it-titles" else "ads" if name.startswith("it-ads") else "skills"
    return Dataset(name, "validation", task, tuple(queries))


def peer_figures(path: Path = PEER_FIGURES) -> dict[str, dict[str, float]]:
    """The peer's figures per dataset (numbers only), or {} outside a source checkout."""
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {k: {m: v for m, v in d.items() if isinstance(v, int | float)} for k, d in data.items()
            if isinstance(d, dict)}


def read_dataset(bench_dir: Path, name: str, split: str = "test") -> Dataset:
    if name in ITALIAN_SETS:
        return read_italian(name)
    if name in MELO_SETS:
        if split != "test":
            raise ValueError("MELO has no tuning split: it is a single test set")
        return read_melo(bench_dir, name)
    return read_skill_set(bench_dir, name, split)


# ---------------------------------------------------------------------- metrics
def rp_at_k(ranked: Sequence[str], gold: frozenset[str], k: int) -> float:
    """R-precision at K: gold items in the top K over min(K, |gold|) (Decorte et al.)."""
    if not gold:
        return 0.0
    return sum(1 for uri in ranked[:k] if uri in gold) / min(k, len(gold))


def reciprocal_rank(ranked: Sequence[str], gold: frozenset[str], depth: int | None = None) -> float:
    for i, uri in enumerate(ranked[:depth] if depth else ranked, 1):
        if uri in gold:
            return 1.0 / i
    return 0.0


def hit_at_k(ranked: Sequence[str], gold: frozenset[str], k: int) -> float:
    return 1.0 if any(uri in gold for uri in ranked[:k]) else 0.0


def skill_metrics(rankings: Sequence[Sequence[str]], golds: Sequence[frozenset[str]]) -> dict[str, float]:
    n = max(len(golds), 1)
    return {
        "RP@5": 100 * sum(rp_at_k(r, g, 5) for r, g in zip(rankings, golds, strict=True)) / n,
        "RP@10": 100 * sum(rp_at_k(r, g, 10) for r, g in zip(rankings, golds, strict=True)) / n,
        "MRR": sum(reciprocal_rank(r, g) for r, g in zip(rankings, golds, strict=True)) / n,
    }


def occupation_metrics(rankings: Sequence[Sequence[str]], golds: Sequence[frozenset[str]]) -> dict[str, float]:
    n = max(len(golds), 1)
    return {
        "MRR": sum(reciprocal_rank(r, g, MELO_DEPTH) for r, g in zip(rankings, golds, strict=True)) / n,
        "acc@1": sum(hit_at_k(r, g, 1) for r, g in zip(rankings, golds, strict=True)) / n,
        "acc@5": sum(hit_at_k(r, g, 5) for r, g in zip(rankings, golds, strict=True)) / n,
    }


def selection_metrics(results: Sequence[Result], golds: Sequence[frozenset[str]]) -> dict[str, float]:
    """Micro precision, recall and F1 of the ``selected`` skills against the gold skills."""
    tp = fp = fn = 0
    for r, g in zip(results, golds, strict=True):
        chosen = {m.uri for m in r.skills if m.selected}
        tp += len(chosen & g)
        fp += len(chosen - g)
        fn += len(g - chosen)
    p = tp / (tp + fp) if tp + fp else 0.0
    r_ = tp / (tp + fn) if tp + fn else 0.0
    return {"P": p, "R": r_, "F1": 2 * p * r_ / (p + r_) if p + r_ else 0.0}


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------------- runner
def rankings_for(dataset: Dataset, results: Sequence[Result]) -> list[list[str]]:
    if dataset.task == "skills":
        return [[m.uri for m in r.skills] for r in results]
    allowed = dataset.candidates
    return [[m.uri for m in r.occupations if allowed is None or m.uri in allowed] for r in results]


def run(
    classifier: Classifier, dataset: Dataset, *, top_k: int = 100, lang: str | None = None,
    advance: Callable[[], None] | None = None,
) -> BenchResult:
    """Classify every query of ``dataset`` (timed) and score the rankings."""
    italian = dataset.name in ITALIAN_SETS
    if lang is None:
        lang = "auto" if italian else "en" if dataset.task == "skills" else "it"
    include_isco = dataset.task == "occupations" and not italian
    want = ("occupations", "skills") if dataset.task == "ads" else (dataset.task,)
    results: list[Result] = []
    cpu = time.process_time()
    start = time.perf_counter()
    for q in dataset.queries:
        results.append(classifier.classify(q.text, top_k=top_k, lang=lang, include_isco=include_isco, want=want))
        if advance:
            advance()
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    golds = [q.gold for q in dataset.queries]
    if dataset.task == "ads":
        metrics = selection_metrics(results, golds)
        metrics["RP@5"] = skill_metrics([[m.uri for m in r.skills] for r in results], golds)["RP@5"]
        metrics["acc@1"] = occupation_metrics([[m.uri for m in r.occupations] for r in results],
                                              [q.occupations for q in dataset.queries])["acc@1"]
    elif dataset.task == "skills":
        metrics = skill_metrics(rankings_for(dataset, results), golds)
    else:
        metrics = occupation_metrics(rankings_for(dataset, results), golds)
        if italian:
            metrics["isco@1"] = isco_accuracy(classifier, results, golds)
    return BenchResult(dataset.name, dataset.split, len(dataset.queries), metrics, seconds,
                       len(dataset.queries) / seconds if seconds else 0.0, peak_memory_mb(), cpu_seconds=cpu)


def isco_accuracy(classifier: Classifier, results: Sequence[Result], golds: Sequence[frozenset[str]]) -> float:
    """Share of texts whose best occupation falls in an ISCO-08 unit group of a gold occupation."""
    group = classifier.index.isco_group
    hits = sum(1 for r, g in zip(results, golds, strict=True)
               if r.occupations and group(r.occupations[0].uri) is not None
               and group(r.occupations[0].uri) in {group(u) for u in g})
    return hits / max(len(golds), 1)


def withheld_taxonomy(reference_dir: Path, work_dir: Path) -> tuple[str, list[str]]:
    """A SQLite taxonomy imported from ``reference_dir`` without the MELO gold's sources.

    Returns the database URL and the reference files left out. The database is kept in ``work_dir`` and
    reused while the reference files (names and sizes) stay the same.
    """
    files = sorted(p for p in reference_dir.rglob("*") if p.is_file())
    withheld = [str(p.relative_to(reference_dir)) for p in files
                if any(fnmatch.fnmatch(p.name, pat) for pat in MELO_WITHHELD)]
    stamp = hashlib.sha256(repr([(str(p.relative_to(reference_dir)), p.stat().st_size) for p in files]).encode())
    stamp.update(repr(MELO_WITHHELD).encode())
    db = work_dir / f"taxonomy-melo-{stamp.hexdigest()[:12]}.db"
    url = f"sqlite:///{db}"
    done = db.with_suffix(".done")
    if not done.is_file():
        work_dir.mkdir(parents=True, exist_ok=True)
        db.unlink(missing_ok=True)
        # In a child process, so that the import's memory does not count in the benchmark's peak memory.
        code = ("import sys; from pathlib import Path; from regia.db import make_engine; "
                "from regia.taxonomy.importer import import_reference; "
                "import_reference(make_engine(sys.argv[1]), Path(sys.argv[2]), exclude=sys.argv[3:])")
        subprocess.run([sys.executable, "-c", code, url, str(reference_dir), *MELO_WITHHELD], check=True)
        done.write_text("\n".join(withheld) + "\n", encoding="utf-8")
    return url, withheld
