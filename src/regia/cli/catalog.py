"""`regia catalog search|show|orient`, and the catalogue's `demo-data courses` and `report mismatch` commands
(registered on those sub-apps in ``regia.cli``)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from rich.table import Table
from sqlalchemy import Engine

from regia.cli.common import console, engine, err, fail, print_json

app = typer.Typer(no_args_is_help=True, help="The shared training catalogue: search, courses, orientation.")


def _date(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"{name} must be a date YYYY-MM-DD, not {value!r}", 2) from None


@app.command("search")
def search(
    text: str = typer.Argument("", help="Words to look for (Italian or English)"),
    province: list[str] = typer.Option([], "--province", "-p", help="Province: sigla (BS) or NUTS3 (ITC47)"),
    target: list[str] = typer.Option([], "--target", "-t",
                                     help="disoccupati, occupati, sospesi, studenti, apprendisti, stranieri"),
    modality: list[str] = typer.Option([], "--modality", "-m", help="presenza, online, blended"),
    funding: list[str] = typer.Option([], "--funding", "-f", help="regione, fse+, fondo, impresa"),
    skill: list[str] = typer.Option([], "--skill", help="ESCO skill URI the course teaches (repeatable)"),
    occupation: str | None = typer.Option(None, "--occupation", "-o",
                                          help="ESCO occupation URI (or its name): courses teaching its essential "
                                               "skills"),
    digital: bool | None = typer.Option(None, "--digital/--not-digital", help="Digital skills taught or not"),
    green: bool | None = typer.Option(None, "--green/--not-green", help="Green skills taught or not"),
    hours_min: float | None = typer.Option(None, "--hours-min", min=0),
    hours_max: float | None = typer.Option(None, "--hours-max", min=0),
    start_from: str | None = typer.Option(None, "--from", help="An edition starting on or after (YYYY-MM-DD)"),
    start_to: str | None = typer.Option(None, "--to", help="An edition starting on or before (YYYY-MM-DD)"),
    page: int = typer.Option(1, "--page", min=1),
    size: int = typer.Option(10, "--size", "-n", min=1, max=200),
    as_json: bool = typer.Option(False, "--json", help='Print {"total": n, "results": [...], "facets": {...}}'),
) -> None:
    """Search the catalogue: full text, facets, and by skill or occupation; best first."""
    from regia.catalog import service
    from regia.catalog.search import BadQuery, Query

    eng = engine()
    query = Query(text=text, provinces=province, targets=target, modalities=modality, funding=funding,
                  skills=skill, occupation=occupation, digital=digital, green=green, hours_min=hours_min,
                  hours_max=hours_max, start_from=_date(start_from, "--from"), start_to=_date(start_to, "--to"))
    try:
        results = service.search(eng, query, page=page, size=size)
    except (BadQuery, service.InvalidQuery) as exc:
        raise fail(str(exc), 2) from None
    if as_json:
        print_json(results.as_dict())
        return
    table = Table(title=f"{results.total} courses")
    for col in ("id", "score", "title", "provider", "hours", "modality", "provinces", "next start"):
        table.add_column(col)
    for h in results.hits:
        table.add_row(str(h.id), f"{h.score:.3f}", h.title, h.provider, f"{h.hours:g}", h.modality,
                      ", ".join(h.nuts3), h.next_start.isoformat() if h.next_start else "")
    console.print(table)


@app.command("show")
def show(course_id: int = typer.Argument(...), as_json: bool = typer.Option(False, "--json")) -> None:
    """One course with its editions, sources, history and skills."""
    from regia.catalog import service

    eng = engine()
    try:
        detail = service.course_detail(eng, course_id)
    except service.NotFound:
        raise fail(f"no course {course_id}", 1) from None
    if as_json:
        print_json(detail)
        return
    console.print_json(data=detail)


@app.command("orient")
def orient(
    target_occupation: str = typer.Argument(..., help="Occupation to reach: ESCO URI or name"),
    current: str | None = typer.Option(None, "--from", help="Current occupation: ESCO URI or name"),
    skill: list[str] = typer.Option([], "--skill", help="A skill already held (ESCO URI), repeatable"),
    near: str | None = typer.Option(None, "--near", help="Comune (name or ISTAT code) to measure distances from"),
    km: float = typer.Option(50.0, "--km", min=1, help="Radius around --near"),
    size: int = typer.Option(10, "--size", "-n", min=1, max=100),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Missing essential skills from a current occupation (or skills held) to a target one, and the courses
    near a comune that cover them, by coverage, hours and start date."""
    from regia.catalog import orientation, service

    eng = engine()
    try:
        plan = orientation.plan(eng, target=target_occupation, current=current, held_skills=skill, near=near,
                                km=km, size=size)
    except (service.InvalidQuery, service.NotFound) as exc:
        raise fail(str(exc), 2) from None
    if as_json:
        print_json(plan)
        return
    console.print(f"[bold]{plan['current']['label'] if plan['current'] else 'skills held'}[/bold] → "
                  f"[bold]{plan['target']['label']}[/bold]: {len(plan['missing'])} essential skills missing")
    for s in plan["missing"]:
        console.print(f"  • {s['label']}")
    table = Table(title="Courses")
    for col in ("id", "title", "covers", "hours", "start", "km", "comune"):
        table.add_column(col)
    for c in plan["courses"]:
        table.add_row(str(c["id"]), c["title"], str(c["covers"]), f"{c['hours']:g}", c["next_start"] or "",
                      "" if c["distance_km"] is None else f"{c['distance_km']:.0f}", c["comune"] or "online")
    console.print(table)


def demo_courses(
    courses: int = typer.Option(2000, "--courses", "-n", min=1, max=1_000_000, help="How many courses"),
    seed: int = typer.Option(7, "--seed"),
    out: Path | None = typer.Option(None, "--out", help="Folder for the CSV files (default: REGIA_DATA_DIR/demo)"),
    ingest: bool = typer.Option(True, "--ingest/--no-ingest", help="Ingest the files into the catalogue"),
    classify: bool = typer.Option(True, "--classify/--no-classify", help="Tag courses with the classifier"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Generate a realistic demo catalogue (providers across the 12 Lombard provinces, a Fund re-publishing
    part of it) and ingest it."""
    from regia.catalog.demo_data import generate
    from regia.catalog.ingest import ingest_file
    from regia.catalog.tagging import make_tagger
    from regia.config import get_settings

    eng = engine()
    folder = out or get_settings().data_dir / "demo" / "courses"
    try:
        paths = generate(eng, folder, courses=courses, seed=seed)
    except RuntimeError as exc:
        raise fail(str(exc)) from None
    summary: dict[str, object] = {"files": [str(p) for p, _ in paths]}
    if ingest:
        tagger = make_tagger(eng, get_settings().data_dir / "classify") if classify else None
        for path, source in paths:
            report = ingest_file(eng, path, source=source, tagger=tagger)
            summary[source] = report.counts()
    if as_json:
        print_json(summary)
        return
    for key, value in summary.items():
        err.print(f"{key}: {value}")


def report_mismatch(
    territory: str | None = typer.Option(None, "--territory", help="Province: NUTS3 (ITC46) or sigla (BG)"),
    sector: str | None = typer.Option(None, "--sector", help="ATECO section (C) or division (25)"),
    group: bool = typer.Option(False, "--group", help="By ESCO skill group instead of skill"),
    limit: int = typer.Option(50, "--limit", "-n", min=1, max=10_000),
    sort: str = typer.Option("gap", "--sort", help="gap, -gap, demand, supply"),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write the HTML report (charts and map) here"),
    as_json: bool = typer.Option(False, "--json", help='Print {"rows": [{"skill", "label", "demand", "supply", '
                                                       '"gap", ...}]}'),
) -> None:
    """Skill demand (postings) against training supply (catalogue) per territory and sector, with the gap."""
    from regia.analytics import mismatch

    eng = engine()
    try:
        table = mismatch.mismatch(eng, territory=territory, sector=sector, by_group=group, sort=sort, limit=limit)
    except ValueError as exc:
        raise fail(str(exc), 2) from None
    if out is not None:
        out.write_text(mismatch.html_report(eng, table), encoding="utf-8")
        err.print(f"report written to {out}")
    if as_json:
        print_json(table.as_dict())
        return
    if out is None:
        t = Table(title=f"Mismatch {table.territory_label} {table.sector or ''}".strip())
        for col in ("skill", "demand", "supply seats", "courses", "gap", "confidence"):
            t.add_column(col)
        for r in table.rows:
            t.add_row(r.label, str(r.demand), str(r.supply), str(r.courses), f"{r.gap:+.2f}", r.confidence)
        console.print(t)


DEMO_COURSES = 1500


def ensure_demo_catalogue(eng: Engine) -> None:
    """The `regia demo` step: a demo catalogue generated and ingested when the catalogue is empty (~20 s)."""
    from regia.catalog import service
    from regia.catalog.demo_data import generate
    from regia.catalog.ingest import ingest_file
    from regia.catalog.tagging import make_tagger
    from regia.config import get_settings

    if service.count(eng):
        return
    settings = get_settings()
    err.print(f"Generating and ingesting a demo catalogue of {DEMO_COURSES} courses ...")
    tagger = make_tagger(eng, settings.data_dir / "classify")
    for path, source in generate(eng, settings.data_dir / "demo" / "courses", courses=DEMO_COURSES):
        report = ingest_file(eng, path, source=source, tagger=tagger)
        err.print(f"  {source}: {report.counts()}")
