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
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON lines"),
) -> None:
    """Score the classifier on DATASET: RP@5/RP@10/MRR (skills) or MRR/acc@1/acc@5 (MELO occupations)."""
    from regia.classify import Classifier, classifier_for, evaluation
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

    def for_url(url: str) -> Classifier:
        return classifier_for(make_engine(url))

    with RichProgress(err, enabled=not as_json) as progress:
        for name in names:
            try:
                data = evaluation.read_dataset(settings.bench_dir, name, split)
            except ValueError as exc:
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
                    clf = classifier("main", lambda: classifier_for(engine()))
                except LookupError as exc:
                    raise fail(str(exc)) from exc
            progress.start(f"{name} ({split})", len(data.queries))
            res = evaluation.run(clf, data, top_k=top_k, advance=progress.advance)
            res.notes.extend(notes)
            results.append(res)
    if as_json:
        for r in results:
            print(json.dumps({"dataset": r.dataset, "split": r.split, "queries": r.queries, **r.metrics,
                              "texts_per_second": r.texts_per_second, "peak_memory_mb": r.peak_memory_mb}))
        return
    table = Table(title="Regia classifier benchmark")
    for col in ("dataset", "split", "queries", "RP@5", "RP@10", "MRR", "acc@1", "acc@5", "texts/s", "peak MB"):
        table.add_column(col, justify="left" if col in ("dataset", "split") else "right")
    for r in results:
        m = r.metrics
        cell = {k: (f"{m[k]:.2f}" if k.startswith("RP") else f"{m[k]:.3f}") if k in m else "" for k in
                ("RP@5", "RP@10", "MRR", "acc@1", "acc@5")}
        table.add_row(r.dataset, r.split, str(r.queries), cell["RP@5"], cell["RP@10"], cell["MRR"], cell["acc@1"],
                      cell["acc@5"], f"{r.texts_per_second:,.0f}", f"{r.peak_memory_mb:,.0f}")
    wide = Console(width=max(console.width, 130))
    wide.print(table)
    wide.print("RP@K in %, R-precision at K (Decorte et al.); MRR over the top 100; texts/s = classification "
                  "only, one text at a time; peak MB = peak resident memory of the benchmark process (index "
                  "included). MELO runs on a taxonomy imported without the CP2011 crosswalk and titles.")
