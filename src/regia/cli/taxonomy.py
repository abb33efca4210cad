"""`regia taxonomy ...`: import, download, search, show, stats of the shared vocabulary."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from regia.cli.common import console, engine, err, fail, print_json
from regia.config import get_settings
from regia.db import session_factory
from regia.importing import quarantine as quarantine_store
from regia.progress import RichProgress
from regia.taxonomy import service
from regia.taxonomy.importer import import_reference

app = typer.Typer(no_args_is_help=True, help="The taxonomy: ESCO, ISCO, CP2011, ATECO, territories.")


@app.command("import")
def import_(
    directory: Path = typer.Argument(None, help="Folder with the reference files (default REGIA_REFERENCE_DIR)"),
    exclude: list[str] = typer.Option([], "--exclude", help="File-name pattern to leave out (repeatable)"),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars"),
) -> None:
    """Import every known reference file found under DIRECTORY (idempotent)."""
    root = directory or get_settings().reference_dir
    if not root.is_dir():
        raise fail(f"reference directory not found: {root} (set REGIA_REFERENCE_DIR or run `regia taxonomy "
                   "download`)")
    with RichProgress(err, enabled=not quiet and not as_json) as progress:
        report = import_reference(engine(), root, progress=progress, exclude=exclude)
    if as_json:
        print_json(report.as_dict())
        return
    table = Table(title=f"Taxonomy import from {root}")
    for col in ("file", "read", "stored", "unchanged", "skipped", "rejected", "note"):
        table.add_column(col, justify="right" if col not in ("file", "note") else "left")
    for f in report.files:
        table.add_row(f.file, str(f.read), str(f.stored), str(f.unchanged), str(f.skipped),
                      f"[red]{f.rejected}[/red]" if f.rejected else "0", f.note)
    totals = report.totals
    table.add_row("[bold]total", *(str(totals[k]) for k in ("read", "stored", "unchanged", "skipped",
                                                            "rejected")), "")
    console.print(table)
    for title, items in (("Not found (optional)", report.missing), ("Not recognised", report.unknown),
                         ("Not imported", report.skipped)):
        for item in items:
            console.print(f"{title}: {item}")
    if totals["rejected"]:
        console.print(f"[yellow]{totals['rejected']} rows rejected: see `regia taxonomy quarantine`")


@app.command()
def quarantine(as_json: bool = typer.Option(False, "--json")) -> None:
    """Rows rejected by taxonomy imports, with file, line, field and reason."""
    with session_factory(engine())() as session:
        entries = quarantine_store.entries(session, domain="taxonomy")
        rows = [{"source": e.source, "file": e.file, "line": e.line, "field": e.field, "id": e.record_id,
                 "reason": e.reason} for e in entries]
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"Taxonomy quarantine ({len(rows)})")
    for col in ("file", "line", "field", "reason"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["file"], str(r["line"] or ""), r["field"] or "", r["reason"])
    console.print(table)


def _types(value: str | None) -> list[str] | None:
    return [t.strip() for t in value.split(",") if t.strip()] if value else None


@app.command()
def search(
    text: str = typer.Argument(..., help="Words to look for, in Italian or English"),
    lang: str = typer.Option("it", "--lang", help="Language of the labels shown: it or en"),
    type_: str = typer.Option(None, "--type", help="occupation, skill, skill_group, isco, cp, ateco, territory "
                              "(comma-separated for several)"),
    limit: int = typer.Option(10, "--limit", "-n", min=1, max=500),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Ranked concepts whose labels match TEXT."""
    eng = engine()
    with session_factory(eng)() as session:
        try:
            results = service.search(eng, session, text, lang=lang, types=_types(type_), limit=limit)
        except ValueError as exc:
            raise fail(str(exc), 2) from exc
    if as_json:
        print_json([r.model_dump() for r in results])
        return
    table = Table(title=f"{text!r}: {len(results)} results")
    for col in ("score", "type", "label", "id"):
        table.add_column(col)
    for r in results:
        table.add_row(f"{r.score:.3f}", r.type, r.label, r.id)
    console.print(table)


@app.command()
def show(
    concept_id: str = typer.Argument(..., help="ESCO URI, a code (ISCO 7212, CP 6.2.1.2.0, ATECO C, NUTS3 "
                                     "ITC4C, ISTAT 015146) or scheme:code"),
    lang: str = typer.Option("it", "--lang"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Everything held about one concept: labels, relations, codes, flags."""
    with session_factory(engine())() as session:
        try:
            detail = service.get_concept(session, concept_id, lang=lang)
        except service.ConceptNotFound as exc:
            raise fail(f"no concept with id {concept_id!r}") from exc
    if as_json:
        print_json(detail.model_dump())
        return
    console.print(f"[bold]{detail.label}[/bold]  ({detail.type}, {detail.scheme}) {detail.id}")
    for lng, labels in detail.labels.items():
        console.print(f"  \\[{lng}] preferred: {'; '.join(labels.preferred)}")
        if labels.alternative:
            console.print(f"  \\[{lng}] alternative: {'; '.join(labels.alternative[:15])}")
    for lng, texts in detail.texts.items():
        if "description" in texts:
            console.print(f"  \\[{lng}] {texts['description'][:400]}")
    for name in ("broader", "narrower", "isco", "cp2011", "esco_occupations", "skill_groups",
                 "essential_skills", "optional_skills", "related", "occupations"):
        refs = getattr(detail, name)
        if refs:
            console.print(f"[bold]{name.replace('_', ' ')}[/bold] ({len(refs)})")
            for ref in refs[:40]:
                console.print(f"  - {ref.label}  [dim]{ref.id}[/dim]")
    if detail.flags:
        console.print("flags: " + ", ".join(f"{k}={'yes' if v else 'no'}" for k, v in detail.flags.items()))
    if detail.type == "territory":
        console.print(f"NUTS3: {detail.attrs.get('nuts3', '-')}  parent: {detail.attrs.get('parent', '-')}")


@app.command()
def stats(as_json: bool = typer.Option(False, "--json")) -> None:
    """Counts of what the taxonomy holds."""
    with session_factory(engine())() as session:
        result = service.stats(session).model_dump()
    if as_json:
        print_json(result)
        return
    table = Table(title="Taxonomy")
    table.add_column("what")
    table.add_column("count", justify="right")
    for key, value in result.items():
        table.add_row(key, ", ".join(f"{k}: {v}" for k, v in value.items()) if isinstance(value, dict) else str(value))
    console.print(table)
