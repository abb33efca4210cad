"""`regia iefp …`, `regia ingest iefp-figures FILE` and `regia demo-data iefp`: the IeFP domain at the command line.

- ``regia iefp match INSTANCE.json [--json]`` matches an instance file (the format is in
  ``src/regia/iefp/README.md``) by student-proposing deferred acceptance — or, with ``--mode score``, by the
  fit scores the file gives — and prints the matching, who is unmatched and why;
- ``regia iefp run --school-year 2026/27 [--province ITC4D]`` runs the matching on the database (as the Region);
- ``regia ingest iefp-figures FILE`` imports the IeFP repertory (CSV or JSON), resumable and idempotent.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from regia.cli.common import console, engine, err, fail, print_json

app = typer.Typer(no_args_is_help=True, help="IeFP paths, placements, apprenticeship and matching.")


def _read_instance(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise fail(f"{path}: not a readable JSON file ({exc})", 2) from None


def _score_result(data: object) -> dict[str, object]:
    """The fit-score mode on an instance file whose students carry ``scores: {place id: score}``."""
    from regia.iefp.matching import InstanceError, Result, assign_by_score, parse_instance

    instance = parse_instance(data)  # the same checks of ids and capacities
    assert isinstance(data, dict)
    scores: dict[tuple[str, str], float] = {}
    problems: list[tuple[str, str]] = []
    for n, row in enumerate(data["students"]):
        for place, value in (row.get("scores") or {}).items():
            if str(place) not in instance.places:
                problems.append((f"students[{n}].scores.{place}", "unknown place"))
            elif not isinstance(value, int | float) or isinstance(value, bool):
                problems.append((f"students[{n}].scores.{place}", "must be a number"))
            else:
                scores[(str(row["id"]), str(place))] = float(value)
    if problems:
        raise InstanceError(problems)
    matching = assign_by_score(scores, instance.capacities, sorted(instance.students))
    unmatched = [s for s, p in matching.items() if p is None]
    why = {s: {"reason": "no_eligible_place" if not any(k[0] == s for k in scores) else "places_taken"}
           for s in unmatched}
    explanations = {s: {"place": p, "score": scores[(s, p)]} for s, p in matching.items() if p is not None}
    return Result(matching=matching, unmatched=unmatched, why=why, explanations=explanations).as_dict()


@app.command("match")
def match(
    instance: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                                    help="Instance JSON: students [{id, prefs}], places [{id, capacity, prefs}]"),
    as_json: bool = typer.Option(False, "--json", help='Print {"matching": {student: place|null}, "unmatched": '
                                                       '[...], "why", "explanations", "vacancies"}'),
    mode: str = typer.Option("da", "--mode", help="da: deferred acceptance; score: maximise the students' "
                                                  "'scores' (HiGHS)"),
    tie_break: str = typer.Option("id", "--tie-break", help="id (ascending id) or lottery (seeded by --seed)"),
    seed: str = typer.Option("", "--seed", help="Seed of the tie-breaking lottery"),
) -> None:
    """Match students to places: student-proposing deferred acceptance (stable, student-optimal, capacities
    respected, deterministic); unacceptable pairs are never matched. Exit code 2 for a bad instance."""
    from regia.iefp.matching import InstanceError, deferred_acceptance, parse_instance

    data = _read_instance(instance)
    if mode not in ("da", "score"):
        raise fail("--mode must be da or score", 2)
    try:
        result = (_score_result(data) if mode == "score" else
                  deferred_acceptance(parse_instance(data, tie_break=tie_break, seed=seed)).as_dict())
    except InstanceError as exc:
        for where, what in exc.problems:
            err.print(f"[red]{instance}[/red] {where}: {what}")
        raise typer.Exit(2) from None
    if as_json:
        print_json(result)
        return
    table = Table(title=f"Matching of {instance.name}")
    for col in ("student", "place", "student's rank", "place's rank"):
        table.add_column(col)
    matching = result["matching"]
    assert isinstance(matching, dict)
    explanations = result["explanations"]
    assert isinstance(explanations, dict)
    for s, p in matching.items():
        e = explanations.get(s, {})
        table.add_row(s, p or "–", str(e.get("student_rank", "")), str(e.get("place_rank", "")))
    console.print(table)
    why = result["why"]
    assert isinstance(why, dict)
    for s, w in why.items():
        console.print(f"[yellow]unmatched[/yellow] {s}: {w['reason']}")


@app.command("run")
def run(
    school_year: str = typer.Option(..., "--school-year", help="e.g. 2026/27"),
    province: str = typer.Option(None, "--province", help="NUTS3 code (default: all of Lombardy)"),
    mode: str = typer.Option("deferred_acceptance", "--mode", help="deferred_acceptance or fit_score"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Run the matching of a school year on the database (as the Region; the run is stored and audited)."""
    from regia.auth.errors import DomainError
    from regia.auth.principal import cli_principal
    from regia.db import session_scope
    from regia.iefp import service
    from regia.iefp.commute import Commutes

    eng = engine()
    try:
        with session_scope(eng) as session:
            r = service.run_matching(session, actor=cli_principal("iefp-run"), school_year=school_year,
                                     nuts3=province, mode=mode, commutes=Commutes(eng))
            result, run_id = r.result, r.id
    except DomainError as exc:
        raise fail(exc.detail, 2) from None
    if as_json:
        print_json({"run_id": run_id, **result})
        return
    console.print(f"Run {run_id}: {result['stats']}")


def ingest_figures(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                                help="The IeFP repertory: CSV or JSON (format in src/regia/iefp/README.md)"),
    source: str = typer.Option("repertorio-iefp", "--source", "-s", help="Who publishes the file"),
    demo: bool = typer.Option(False, "--demo", help="Mark the figures as demo data"),
    as_json: bool = typer.Option(False, "--json", help='Print {"read", "stored", "duplicate", "rejected", ...}'),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar"),
) -> None:
    """Import the IeFP repertory: a new version of each figure whose content changed (older versions stay),
    nothing for unchanged ones; rejected figures go to the quarantine (domain iefp-figures) with line, field and
    reason; an interrupted import of the same file resumes where it stopped."""
    from regia.iefp.figures import FormatError
    from regia.iefp.figures import ingest_figures as ingest
    from regia.progress import RichProgress

    with RichProgress(err, enabled=not quiet and not as_json) as progress:
        try:
            counts = ingest(engine(), file, source=source.strip() or "repertorio-iefp", demo=demo,
                            progress=progress)
        except FormatError as exc:
            raise fail(str(exc), 2) from None
    if as_json:
        print_json(counts.as_dict())
        return
    console.print(f"{file.name}: read {counts.read}, stored {counts.stored} ({counts.figures_new} new figures, "
                  f"{counts.versions_new} new versions), duplicate {counts.duplicate}, rejected {counts.rejected}"
                  + (f" (resumed after {counts.resumed_from})" if counts.resumed_from else ""))
    for line in counts.rejections[:20]:
        err.print(f"[yellow]rejected[/yellow] {line}")


def demo_iefp() -> None:
    """The demo IeFP system (DEMO ONLY; needs the demo accounts, `regia users demo`, and the taxonomy)."""
    ensure_demo_iefp(engine())


def ensure_demo_iefp(eng: object) -> None:
    from regia.iefp.demo_data import ensure_demo_iefp as seed

    held = seed(eng)  # type: ignore[arg-type]
    console.print(f"Demo IeFP: {held['paths']} paths, {held['candidacies']} candidacies, "
                  f"{held['placements']} placements (CFP Monza e Brianza, Officine Meccaniche Brianza; DEMO)")
