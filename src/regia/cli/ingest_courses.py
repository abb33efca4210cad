"""`regia ingest courses FILE --source NAME [--json]`: publish a course list into the shared catalogue."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from regia.cli.common import console, engine, err, fail, print_json
from regia.config import get_settings


def courses(
    files: list[Path] = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                                       help="Course lists: CSV (as shared/samples/courses), Excel (.xlsx) or JSON"),
    source: str = typer.Option(..., "--source", "-s", help="Who sends the list: a provider's or a Fund's name"),
    as_json: bool = typer.Option(False, "--json", help='Print {"read", "stored", "duplicate", "rejected"}'),
    classify: bool = typer.Option(True, "--classify/--no-classify",
                                  help="Tag new courses with ESCO skills by the classifier"),
) -> None:
    """Ingest course lists once-only: a course already held (sent again, or by another source) is recognised
    and merged, not duplicated; rejected records go to the quarantine with their reason."""
    from regia.catalog import formats
    from regia.catalog.ingest import ingest_file
    from regia.catalog.tagging import make_tagger

    source = source.strip()
    if not source:
        raise fail("--source must not be empty")
    eng = engine()
    tagger = make_tagger(eng, get_settings().data_dir / "classify") if classify else None
    totals = {"read": 0, "stored": 0, "duplicate": 0, "rejected": 0}
    reports = []
    for path in files:
        try:
            report = ingest_file(eng, path, source=source, tagger=tagger)
        except formats.FormatError as exc:
            raise fail(f"{path}: {exc}") from None
        reports.append(report)
        for k, v in report.counts().items():
            totals[k] += v
    if as_json:
        print_json(totals)
        return
    table = Table(title=f"Courses from {source}")
    for col in ("file", "read", "stored", "duplicate", "rejected", "new courses", "updated courses"):
        table.add_column(col, justify="left" if col == "file" else "right")
    for r in reports:
        table.add_row(Path(r.file).name, str(r.read), str(r.stored), str(r.duplicate), str(r.rejected),
                      str(r.courses_new), str(r.courses_updated))
    console.print(table)
    rejections = [x for r in reports for x in r.rejections]
    for rejection in rejections[:20]:
        err.print(f"[yellow]rejected[/yellow] {rejection}")
    if len(rejections) > 20:
        err.print(f"... and {len(rejections) - 20} more (table quarantine, domain 'courses')")
