"""`regia ingest postings FILE...` and `regia ingest quarantine`: job postings in, rejected rows listed."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from regia.cli.common import console, engine, err, fail, print_json

app = typer.Typer(no_args_is_help=True, help="Ingest data: job postings (and the quarantine of rejected rows).")

FORMATS = ("auto", "csv", "jsonl", "jsonld", "xlsx")


def default_workers() -> int:
    return max(1, min(2, os.cpu_count() or 1))


@app.command("postings")
def postings(
    files: list[Path] = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                                       help="Postings files: OJA feed CSV (with its skills CSV), JSON-LD "
                                            "JobPosting (.json, .jsonld, .html), JSON Lines, Excel, CSV"),
    source: str | None = typer.Option(None, "--source", "-s",
                                      help="Name of the feed (part of the natural key); default: the format"),
    fmt: str = typer.Option("auto", "--format", "-f", help="auto, csv, jsonl, jsonld or xlsx"),
    as_json: bool = typer.Option(False, "--json", help='Print {"read", "stored", "duplicate", "rejected"}'),
    classify: bool = typer.Option(True, "--classify/--no-classify",
                                  help="Run Regia's classifier (occupations, skills) on new postings"),
    workers: int = typer.Option(default_workers(), "--workers", min=0, max=64,
                                help="Classifier processes (0: in this process)"),
    batch_size: int = typer.Option(1000, "--batch-size", min=1, max=100_000,
                                   help="Postings per committed batch (the resume granularity)"),
    synthetic: bool | None = typer.Option(None, "--synthetic/--real",
                                          help="Mark the postings as synthetic (default: demo URLs *.invalid)"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar"),
) -> None:
    """Ingest job postings: validate, strip personal data, de-duplicate, classify, store.

    Rejected records go to the quarantine (`regia ingest quarantine`). An interrupted run resumes where it
    stopped when re-run with the same files; re-running a finished file stores nothing new."""
    from regia.postings import service
    from regia.postings.classification import Labeller
    from regia.postings.formats import UnknownFormat, plan
    from regia.progress import RichProgress

    if fmt not in FORMATS:
        raise fail(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}", 2)
    try:
        plan(list(files), fmt)
    except UnknownFormat as exc:
        raise fail(str(exc), 2) from None
    eng = engine()
    labeller = None
    if classify:
        from regia.classify import classifier_for

        if not quiet and not as_json:
            err.print("Loading Regia's classifier ...")
        try:
            labeller = Labeller(classifier_for(eng), workers=workers)
        except LookupError as exc:
            raise fail(f"{exc} (or use --no-classify)") from None
        labeller.start()
    try:
        with RichProgress(err, enabled=not quiet and not as_json) as progress:
            result = service.ingest(eng, list(files), source=source, fmt=fmt, labeller=labeller,
                                    batch_size=batch_size, progress=progress, synthetic=synthetic)
    except KeyboardInterrupt:
        err.print("[yellow]interrupted:[/yellow] committed batches are kept; run the same command again to "
                  "resume")
        raise typer.Exit(130) from None
    finally:
        if labeller is not None:
            labeller.close()
    counts = result.counts
    if as_json:
        print_json(counts.as_dict())
        return
    table = Table(title="Postings ingest" + (" (resumed)" if result.resumed else ""))
    for col in ("file", "format", "read", "stored", "duplicate", "of which grouped", "rejected"):
        table.add_column(col, justify="left" if col in ("file", "format") else "right")
    for f in result.files:
        c = f.counts
        table.add_row(escape(f.file), f.format, str(c.read), str(c.stored), str(c.duplicate), str(f.grouped),
                      f"[red]{c.rejected}[/red]" if c.rejected else "0")
    table.add_row("[bold]total", "", str(counts.read), str(counts.stored), str(counts.duplicate),
                  str(sum(f.grouped for f in result.files)), str(counts.rejected))
    console.print(table)
    console.print("stored: new postings (demand units); duplicate: already held (exact duplicates are not stored "
                  "again, near-duplicates are stored in the group of the posting they repeat)")
    if counts.rejected:
        err.print(f"{counts.rejected} rejected: see `regia ingest quarantine`")


@app.command("quarantine")
def quarantine(
    domain: list[str] = typer.Option([], "--domain", "-d",
                                     help="Only this domain (postings, courses ...); default: all but taxonomy"),
    as_json: bool = typer.Option(False, "--json", help="Print the entries as JSON"),
    limit: int = typer.Option(0, "--limit", min=0, help="Show at most this many (0: all)"),
) -> None:
    """Rows rejected by ingests, with source, file, line, id and reason: fix them and ingest the file again."""
    from regia.db import session_factory
    from regia.importing import quarantine as store

    with session_factory(engine())() as session:
        entries = [e for e in store.entries(session)
                   if (e.domain in domain if domain else e.domain != "taxonomy")]
    if limit:
        entries = entries[:limit]
    rows = [{"domain": e.domain, "source": e.source, "file": e.file, "line": e.line, "id": e.record_id,
             "field": e.field, "reason": e.reason} for e in entries]
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("The quarantine is empty.")
        return
    table = Table(title=f"Quarantine ({len(rows)})")
    for col in ("domain", "source", "file", "line", "id", "field", "reason"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(*(escape(str(r[k] if r[k] is not None else "")) for k in
                        ("domain", "source", "file", "line", "id", "field", "reason")))
    console.print(table)
