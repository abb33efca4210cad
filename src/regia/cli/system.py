"""`regia db`, `regia serve`, `regia demo`."""

from __future__ import annotations

import typer
from sqlalchemy import func, select

from regia.cli.common import console, engine, err
from regia.config import get_settings
from regia.db import session_factory

db_app = typer.Typer(no_args_is_help=True, help="Database schema.")


@db_app.command("upgrade")
def upgrade() -> None:
    """Apply the database migrations."""
    engine()
    console.print(f"database at the latest revision: {get_settings().database_url}")


def serve(
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    reload: bool = typer.Option(False, "--reload", help="Restart on code changes (development)"),
) -> None:
    """Serve the web application and the API."""
    import uvicorn

    engine()
    uvicorn.run("regia.web.app:create_app", factory=True, host=host, port=port, reload=reload)


def demo(
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
) -> None:
    """Prepare the demo platform (reference data imported once) and serve it."""
    from regia.progress import RichProgress
    from regia.taxonomy.importer import import_reference
    from regia.taxonomy.models import Concept

    settings = get_settings()
    eng = engine()
    with session_factory(eng)() as session:
        held = session.scalar(select(func.count(Concept.id)).where(Concept.type == "skill")) or 0
    if not held:
        root = settings.reference_dir
        if not any(root.rglob("skills_*.csv*")) if root.is_dir() else True:
            from regia.taxonomy.download import DownloadError, download_reference

            err.print(f"No ESCO files in {root}: downloading them (see `regia taxonomy download`).")
            try:
                download_reference(settings, dest=root)
            except DownloadError as exc:
                err.print(exc.explain())
                raise typer.Exit(1) from exc
        err.print(f"Importing reference data from {root} ...")
        with RichProgress(err) as progress:
            import_reference(eng, root, progress=progress)
    from regia.cli.classify import ensure_encoder_index

    ensure_encoder_index(eng)  # the classifier's label embeddings: once per taxonomy, 10-15 minutes on 2 cores
    from regia.cli.demo_data import ensure_demo_postings

    ensure_demo_postings(eng)  # synthetic job postings when none are held
    from regia.cli.catalog import ensure_demo_catalogue

    ensure_demo_catalogue(eng)
    from regia.cli.users import ensure_demo_accounts

    ensure_demo_accounts(eng)  # demo organisations and logins (DEMO ONLY), printed
    from regia.cli.demo_data import ensure_demo_pacts

    ensure_demo_pacts(eng)  # demo calls and pact proposals in every state
    from regia.cli.iefp import ensure_demo_iefp

    ensure_demo_iefp(eng)  # demo IeFP centre, firms, places, matching and placements
    from regia.certification.demo_data import ensure_demo_certification

    ensure_demo_certification(eng)  # DEMO standards, IVC requests in every phase, credentials (keys: DATA_DIR/keys)
    from regia.cli.outcomes import ensure_demo_outcomes

    ensure_demo_outcomes(eng)  # simulated participations, unemployed and CO events (known effect)
    from regia.analytics.programming_needs import make_provider
    from regia.programming.demo_data import ensure_demo_programming

    ensure_demo_programming(eng, needs=make_provider(eng))  # agreements with two Funds, plans, two scenarios
    from regia.cli.exchange import ensure_demo_exchange

    ensure_demo_exchange(eng)  # a Fund's and the Region's client systems, keys under DATA_DIR/demo/exchange
    console.print(f"Regia demo on http://{host}:{port}  (database {settings.database_url}), with a worker "
                  "for the uploads")
    import subprocess
    import sys

    worker = subprocess.Popen([sys.executable, "-m", "regia", "worker"])  # the uploads' background jobs
    try:
        serve(host=host, port=port, reload=False)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
