"""`regia taxonomy ...`: import, download, search, show, stats of the shared vocabulary."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from regia.cli.common import console, engine, err, fail, print_json
from regia.config import get_settings
from regia.db import session_factory
from regia.importing import quarantine as quarantine_store
from regia.progress import RichProgress
from regia.taxonomy import service
from regia.taxonomy.download import (
    DEFAULT_ESCO_VERSION,
    DownloadError,
    DownloadReport,
    download_reference,
    install_esco_zip,
    install_provinces,
    manual_steps,
)
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
    from regia.cli.classify import ensure_encoder_index

    ensure_encoder_index(engine(), quiet=quiet or as_json)  # the classifier's label embeddings (REGIA_CLASSIFY_ENCODER)
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


@app.command("download")
def download(
    esco_version: str = typer.Option(None, "--esco-version", show_default=False,
                                     help=f"ESCO version (default {DEFAULT_ESCO_VERSION}; with --from-file, "
                                          "the one in the zip's name)"),
    lang: str = typer.Option("it,en", "--lang", help="Languages of the ESCO packages, comma-separated"),
    dest: Path = typer.Option(None, "--dest", help="Destination folder (default REGIA_REFERENCE_DIR)"),
    force: bool = typer.Option(False, "--force", help="Download and replace what is present and verified"),
    from_file: Path = typer.Option(None, "--from-file", dir_okay=False,
                                   help="Install an ESCO zip downloaded by hand (no network)"),
    geo_from_file: Path = typer.Option(None, "--geo-from-file", dir_okay=False,
                                       help="Install limits_IT_provinces.geojson downloaded by hand"),
    sha256: str = typer.Option(None, "--sha256", help="SHA-256 of the zip (one --lang or --from-file)"),
    geo: bool = typer.Option(True, "--geo/--no-geo", help="Also fetch the province boundaries"),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars"),
) -> None:
    """Fetch the official ESCO CSV packages and the province boundaries, verified, into REGIA_REFERENCE_DIR.

    ESCO: {REGIA_ESCO_DOWNLOAD_URL}/<quoted "ESCO dataset - v<version> - classification - <lang> - csv.zip">

    Provinces: {REGIA_GEO_DOWNLOAD_URL}/limits_IT_provinces.geojson

    Offline, or where the ESCO portal only offers its form: download the zip in a browser, then --from-file.
    """
    settings = get_settings()
    root = dest or settings.reference_dir
    langs = [x.strip().lower() for x in lang.split(",") if x.strip()]
    version = esco_version or DEFAULT_ESCO_VERSION
    local = from_file is not None or geo_from_file is not None
    if sha256 and not from_file and len(langs) != 1:
        raise fail("--sha256 needs one package: a single --lang, or --from-file", 2)
    if not local and not langs and not geo:
        raise fail("nothing to download: give --lang, or leave out --no-geo", 2)
    try:
        if local:
            report = DownloadReport(root)
            root.mkdir(parents=True, exist_ok=True)
            if from_file is not None:
                report.items.append(install_esco_zip(from_file, root, version=esco_version, sha256=sha256,
                                                     force=force))
            if geo_from_file is not None:
                report.items.append(install_provinces(geo_from_file, root))
        else:
            with RichProgress(err, enabled=not quiet and not as_json, unit="bytes") as progress:
                report = download_reference(settings, dest=root, esco_version=version, langs=langs,
                                            force=force, progress=progress, geo=geo, sha256=sha256)
    except DownloadError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
        steps = exc.manual or manual_steps(settings, esco_version=version, langs=langs or ["it"], dest=dest)
        err.print(escape(steps), soft_wrap=True, highlight=False)
        raise typer.Exit(1) from exc
    if as_json:
        print_json(report.as_dict())
        return
    table = Table(title=f"Reference data in {root}")
    for col in ("what", "status", "where", "checksum", "files", "note"):
        table.add_column(col, no_wrap=col in ("what", "status"))
    for item in report.items:
        where = item.path.relative_to(root) if item.path.is_relative_to(root) else item.path
        table.add_row(item.name, item.status, str(where), item.checksum or "-", str(len(item.files)),
                      item.note)
    console.print(table)
    console.print(f"Next: regia taxonomy import {root}", soft_wrap=True)


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
        table.add_row(str(r["file"]), str(r["line"] or ""), str(r["field"] or ""), str(r["reason"]))
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
