"""`regia worker`: the process that runs uploads as background jobs (Huey's consumer, see regia.jobs.queue)."""

from __future__ import annotations

import logging

import typer

from regia.cli.common import engine, err
from regia.config import get_settings


def worker(
    workers: int = typer.Option(0, "--workers", "-w", min=0, max=32,
                                help="Jobs run at once (threads); 0: the setting REGIA_JOBS_WORKERS"),
) -> None:
    """Run the import jobs that uploads queue (the web server only queues them). Unfinished jobs — queued, or
    left running by a worker that stopped — are taken up again, each from its last committed batch."""
    from regia.jobs import queue

    settings = get_settings()
    engine()  # the schema is up to date before any job runs
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    again = queue.recover(settings)
    err.print(f"Regia worker: queue {queue.queue_url(settings)}"
              + (f"; taking up jobs {', '.join(map(str, again))}" if again else ""))
    queue.consumer(settings, workers=workers or settings.jobs_workers).run()
