"""`regia demo-data postings`: synthetic Lombardy job postings in every supported format."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer
from sqlalchemy import Engine

from regia.cli.common import console, engine, err, fail, print_json
from regia.cli.ingest import default_workers

app = typer.Typer(no_args_is_help=True, help="Synthetic demo data (clearly marked as such).")


@app.command("postings")
def postings(
    out: Path = typer.Option(None, "--out", "-o", help="Folder to write into (default REGIA_DATA_DIR/demo/postings)"),
    n: int = typer.Option(200_000, "--n", min=50, max=20_000_000, help="Posting records to write (incl. planted "
                                                                        "duplicates and bad rows)"),
    seed: int = typer.Option(7, "--seed", help="Random seed: same seed, same files"),
    end: str = typer.Option(None, "--end", help="Last month covered, YYYY-MM (default 2026-10); 24 months"),
    as_json: bool = typer.Option(False, "--json", help="Print the manifest summary as JSON"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar"),
) -> None:
    """Write synthetic postings (OJA feed CSV + skills, JSON-LD, JSON Lines, Excel) with planted duplicates,
    bad rows and personal data, and a manifest.json listing them. Then: `regia ingest postings FILES`."""
    from regia.config import get_settings
    from regia.postings import demo_data
    from regia.progress import RichProgress

    target = out or get_settings().data_dir / "demo" / "postings"
    last = demo_data.DEMO_END
    if end:
        try:
            first = dt.date.fromisoformat(end + "-01")
        except ValueError:
            raise fail(f"--end must be YYYY-MM, not {end!r}", 2) from None
        last = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    try:
        with RichProgress(err, enabled=not quiet and not as_json) as progress:
            manifest = demo_data.generate(engine(), target, n=n, seed=seed, end=last, progress=progress)
    except ValueError as exc:
        raise fail(str(exc)) from None
    files = [str(p) for p in demo_data.input_files(target)]
    summary = {"out": str(target), "records": manifest.records, "files": files,
               "planted_bad_rows": len(manifest.bad_rows), "planted_bad_skill_rows": len(manifest.bad_skill_rows),
               "planted_duplicates": len(manifest.duplicates), "with_personal_data": manifest.with_personal_data}
    if as_json:
        print_json(summary)
        return
    console.print(f"{manifest.records} synthetic posting records written to {target} "
                  f"({len(manifest.bad_rows)} bad rows, {len(manifest.duplicates)} duplicates planted; see "
                  "manifest.json)")
    console.print("Ingest them with:\n  regia ingest postings " + " ".join(files))


DEMO_POSTINGS = 3_000


def ensure_demo_postings(eng: Engine, *, n: int = DEMO_POSTINGS, seed: int = 7) -> None:
    """The `regia demo` step: when no postings are held, write a synthetic sample and ingest it (with Regia's
    classifier), so that the first pages have data. Clearly synthetic: the pages say so."""
    from regia.classify import classifier_for
    from regia.config import get_settings
    from regia.db import session_factory
    from regia.postings import demo_data, service
    from regia.postings.classification import Labeller
    from regia.progress import RichProgress

    with session_factory(eng)() as session:
        if service.held(session):
            return
    target = get_settings().data_dir / "demo" / "postings"
    err.print(f"No job postings yet: generating {n:,} synthetic postings (seed {seed}) and ingesting them ...")
    with RichProgress(err) as progress:
        demo_data.generate(eng, target, n=n, seed=seed, progress=progress)
    try:
        labeller: Labeller | None = Labeller(classifier_for(eng), workers=default_workers()).start()
    except LookupError as exc:  # no taxonomy index: postings keep the feed's own codes
        err.print(f"[yellow]classifier unavailable ({exc}): ingesting without it[/yellow]")
        labeller = None
    try:
        with RichProgress(err) as progress:
            result = service.ingest(eng, demo_data.input_files(target), labeller=labeller, progress=progress)
    finally:
        if labeller is not None:
            labeller.close()
    c = result.counts
    err.print(f"Demo postings: read {c.read}, stored {c.stored}, duplicate {c.duplicate}, rejected {c.rejected} "
              "(see `regia ingest quarantine`)")


@app.command("pacts")
def pacts() -> None:
    """Demo calls and pact proposals in every state (DEMO ONLY; needs the demo accounts: `regia users demo`)."""
    ensure_demo_pacts(engine())


def ensure_demo_pacts(eng: Engine) -> None:
    """The past call (evaluated, ranked, programmes approved and running) and the open one, with evidence from
    the postings facts held (DEMO ONLY)."""
    from regia.analytics.pact_evidence import make_provider
    from regia.pacts.demo_data import ensure_demo_pacts as seed

    total = seed(eng, evidence_provider=make_provider(eng))
    console.print(f"Demo pacts: {total} proposals under the calls PATTI-2026 (closed) and PATTI-2027 (open)")
