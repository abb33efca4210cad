"""`regia ingest participations|employment|unemployed FILE...`, `regia impact estimate`, `regia demo-data outcomes`,
`regia outcomes indicators|opendata`: the monitoring domain from the command line."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy import Engine

from regia.cli.common import console, engine, err, fail, print_json

impact_app = typer.Typer(no_args_is_help=True, help="Counterfactual impact evaluation of participation.")
outcomes_app = typer.Typer(no_args_is_help=True, help="Outcome indicators and their open-data package.")

FILES = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                       help="CSV (comma or semicolon) or Excel (.xlsx); employment also UNILAV XML")


def _ingest(kind: str, files: list[Path], source: str | None, as_json: bool, quiet: bool, batch_size: int) -> None:
    from regia.monitoring.formats import FormatError
    from regia.monitoring.service import ingest_file
    from regia.progress import RichProgress

    eng = engine()
    results = []
    try:
        with RichProgress(err, enabled=not quiet and not as_json) as progress:
            for path in files:
                try:
                    results.append(ingest_file(eng, path, kind=kind, source=source, batch_size=batch_size,
                                               progress=progress))
                except FormatError as exc:
                    raise fail(f"{path}: {exc}") from None
    except KeyboardInterrupt:
        err.print("[yellow]interrupted:[/yellow] committed batches are kept; run the same command again to resume")
        raise typer.Exit(130) from None
    totals = {k: sum(r.counts()[k] for r in results) for k in ("read", "stored", "duplicate", "rejected")}
    if as_json:
        print_json(totals)
        return
    table = Table(title=f"Ingest of {kind}")
    for col in ("file", "read", "stored", "of which updated", "duplicate", "rejected"):
        table.add_column(col, justify="left" if col == "file" else "right")
    for r in results:
        table.add_row(escape(Path(r.file).name) + (" (resumed)" if r.resumed_at else ""), str(r.read), str(r.stored),
                      str(r.updated), str(r.duplicate), f"[red]{r.rejected}[/red]" if r.rejected else "0")
    console.print(table)
    rejections = [x for r in results for x in r.rejections]
    for rejection in rejections[:20]:
        err.print(f"[yellow]rejected[/yellow] {escape(str(rejection))}")
    if len(rejections) > 20:
        err.print(f"... and {len(rejections) - 20} more: `regia ingest quarantine --domain monitoring`")


def _options(kind: str):  # type: ignore[no-untyped-def]
    def command(
        files: list[Path] = FILES,
        source: str = typer.Option(None, "--source", "-s", help=f"Who sends the file (default: {kind})"),
        as_json: bool = typer.Option(False, "--json", help='Print {"read", "stored", "duplicate", "rejected"}'),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar"),
        batch_size: int = typer.Option(2000, "--batch-size", min=1, max=100_000,
                                       help="Records per committed batch (the resume granularity)"),
    ) -> None:
        _ingest(kind, files, source, as_json, quiet, batch_size)

    command.__doc__ = {
        "participations": "Ingest participations in courses (enrolment, end, status, certification, covariates).",
        "employment": "Ingest employment events of the Comunicazioni Obbligatorie (UNILAV: CSV, Excel or XML).",
        "unemployed": "Ingest registrations as unemployed (DID) with the people's covariates.",
    }[kind] + " Codici fiscali are validated and pseudonymised; rejected rows go to the quarantine; running " \
              "the same file again stores nothing new (an interrupted run resumes)."
    return command


participations = _options("participations")
employment = _options("employment")
unemployed = _options("unemployed")


@impact_app.command("estimate")
def estimate(
    outcome: str = typer.Option("employed_12m", "--outcome", "-o",
                                help="employed_6m, employed_12m, stable_12m or days_worked_12m"),
    method: str = typer.Option("psm", "--method", "-m", help="naive, psm, ipw, did or cs"),
    programme: str = typer.Option(None, "--programme", "-p", help="Only this programme (or plan line)"),
    bootstrap: int = typer.Option(199, "--bootstrap", min=19, max=5000, help="Bootstrap replicates (psm)"),
    as_json: bool = typer.Option(False, "--json", help='Print {"method", "outcome", "att", "ci", "n_treated", '
                                                        '"n_control", "balance", ...}'),
) -> None:
    """Estimate the effect of participation (ATT) on an outcome, against registered unemployed who never
    enrolled. See `src/regia/monitoring/README.md` for the outcomes, the methods and their assumptions."""
    from regia.monitoring import impact, service

    if outcome not in impact.OUTCOMES:
        raise fail(f"--outcome must be one of {', '.join(impact.OUTCOMES)}", 2)
    if method not in impact.METHODS:
        raise fail(f"--method must be one of {', '.join(impact.METHODS)}", 2)
    try:
        est = service.estimate(engine(), outcome=outcome, method=method, programme=programme, bootstrap=bootstrap,
                               cache_dir=service.data_dir())
    except impact.ImpactError as exc:
        from regia.i18n import gettext

        raise fail(gettext(exc.key, "en", **exc.params)) from None
    out = service.estimate_json(est)
    if as_json:
        print_json(out)
        return
    lo, hi = out["ci"]
    console.print(f"[bold]{est.label}[/bold] — {outcome}")
    console.print(f"ATT {out['att']}  95% CI [{lo}, {hi}]  treated {est.n_treated}, comparison {est.n_control}")
    if not est.causal:
        console.print("[yellow]The naive difference is not a causal estimate: participants are selected.[/yellow]")
    table = Table(title="Balance (standardised mean differences)")
    for col in ("covariate", "before", "after"):
        table.add_column(col, justify="left" if col == "covariate" else "right")
    for name, row in est.balance.items():
        table.add_row(name, str(row["before"]), "" if row["after"] is None else str(row["after"]))
    console.print(table)


@outcomes_app.command("indicators")
def indicators(
    by: str = typer.Option("programme", "--by", help="programme, plan_line, funding, fund, province, target_group "
                                                   "or course"),
    as_json: bool = typer.Option(False, "--json", help="Print the rows as JSON"),
    csv_out: Path = typer.Option(None, "--csv", help="Write the table as CSV to this file"),
) -> None:
    """Indicators per group (participants, completion and certification rates, employed at 6 and 12 months after
    the end, stable employment, days worked, costs), over everything held. Figures under 5 people are not
    suppressed here (this is the Region's own view); the open-data package is."""
    from regia.monitoring import indicators as ind
    from regia.monitoring import service

    if by not in ind.DIMENSIONS:
        raise fail(f"--by must be one of {', '.join(ind.DIMENSIONS)}", 2)
    eng = engine()
    table = ind.compute(eng, service.dataset(eng, cache_dir=service.data_dir()), by=by)
    if csv_out:
        csv_out.write_text(ind.to_csv(table, "en"), encoding="utf-8")
    if as_json:
        print_json(service.jsonable([row.as_dict() for row in table.rows]))
        return
    out = Table(title=f"Indicators by {by}")
    for col in ("group", "participants", "completion", "certification", "employed 6m", "employed 12m", "stable 12m",
                "days 12m", "cost / participant", "cost / employed"):
        out.add_column(col, justify="left" if col == "group" else "right")
    for row in table.rows:
        out.add_row(escape(row.label or row.key), *(ind.plain(v) for v in row.figures()))
    console.print(out)


@outcomes_app.command("opendata")
def opendata(
    out: Path = typer.Option(..., "--out", "-o", file_okay=False, help="Folder to write the data package into"),
    as_json: bool = typer.Option(False, "--json", help="Print the descriptor"),
) -> None:
    """Write the open-data package: aggregated indicators per dimension (CSV) with statistical disclosure control
    (counts under 5 people suppressed, and secondary suppression), and datapackage.json (Frictionless)."""
    from regia.monitoring import opendata as od
    from regia.monitoring import service

    eng = engine()
    descriptor = od.write_package(eng, service.dataset(eng, cache_dir=service.data_dir()), out)
    if as_json:
        print_json(descriptor)
        return
    console.print(f"Data package written to {out} ({len(descriptor['resources'])} tables)")


def demo_outcomes(
    seed: int = typer.Option(1, "--seed", help="Random seed: same seed, same data"),
    effect: float = typer.Option(0.08, "--effect", min=-0.5, max=0.5,
                                 help="True effect: change of the probability of a stable job each month after "
                                      "entry (0.08 = +8 points); the ATT on employed_6m/12m and stable_12m"),
    persons: int = typer.Option(3000, "--persons", "-n", min=100, max=200_000, help="Registered unemployed"),
    out: Path = typer.Option(None, "--out", help="Folder for the files (default REGIA_DATA_DIR/demo/outcomes)"),
    as_json: bool = typer.Option(False, "--json", help="Print the manifest (true effects, files, counts)"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar"),
) -> None:
    """Simulate participations in the demo's courses, registered unemployed and their CO events with a KNOWN
    effect and selection on observables (SYNTHETIC), replacing earlier simulated records, and ingest them."""
    from regia.monitoring import service
    from regia.progress import RichProgress

    eng = engine()
    try:
        with RichProgress(err, enabled=not quiet and not as_json) as progress:
            demo = service.load_demo(eng, seed=seed, effect=effect, persons=persons, out=out, progress=progress)
    except ValueError as exc:
        raise fail(str(exc)) from None
    manifest = {**demo.manifest, "ingest": [r.as_dict() for r in demo.ingests]}
    if as_json:
        print_json(manifest)
        return
    console.print(f"Synthetic outcomes: {manifest['persons']} registered unemployed, {manifest['participants']} "
                  f"of them enrolled, {manifest['employed_participants']} employed participants (seed {seed}).")
    console.print(f"True ATT: {manifest['true_att']}")
    console.print("Estimate with: regia impact estimate --outcome employed_12m --method psm")


def ensure_demo_outcomes(eng: Engine, *, persons: int = 1500, seed: int = 1, effect: float = 0.08) -> None:
    """The `regia demo` step: when no monitoring records are held, simulate and ingest the demo's outcomes
    (SYNTHETIC, with a known effect), so that the outcome and impact pages have data."""
    from regia.monitoring import service
    from regia.progress import RichProgress

    if any(service.held(eng).values()):
        return
    err.print(f"No outcomes data yet: simulating {persons:,} registered unemployed and their jobs (seed {seed}, "
              f"effect {effect}) ...")
    with RichProgress(err) as progress:
        demo = service.load_demo(eng, seed=seed, effect=effect, persons=persons, progress=progress)
    err.print(f"Demo outcomes: {demo.manifest['participants']} participants; true ATT {demo.manifest['true_att']}")
