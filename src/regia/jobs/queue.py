"""The job queue: Huey, a maintained task queue, with its SQLite storage by default and Redis in production.

Why Huey. Regia runs embedded on one SQLite file by default and on PostgreSQL in production; the queue must
work on both without a home-made table poller or a thread in the web process. Huey's ``SqliteHuey`` keeps
the queue in a SQLite file beside the data (``settings.data_dir``), so ``regia demo`` needs no extra
service, and ``RedisHuey`` (``REGIA_JOBS_QUEUE_URL=redis://…``, the ``redis`` extra) serves several web and
worker processes in production. Procrastinate was the other candidate: it is PostgreSQL-only, so the embedded
default could not use it. Dramatiq, RQ and arq need a Redis or RabbitMQ broker even for the demo.

Huey only carries "run job N" messages; the state of a job (position, counts, heartbeat) is the job's row in
Regia's database (:mod:`regia.jobs.service`), committed with each batch. So a message lost with a dying worker
costs nothing: :func:`recover` (when a worker starts) enqueues every unfinished job again, and a task that
finds its job held by a worker still beating looks again later (``schedule``) instead of running it twice.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from huey import Huey, SqliteHuey
from huey.api import TaskWrapper

from regia.config import Settings, get_settings

log = logging.getLogger(__name__)
QUEUE_NAME = "regia-jobs"
_queues: dict[str, tuple[Huey, TaskWrapper]] = {}


def queue_url(settings: Settings) -> str:
    if settings.jobs_queue_url:
        return settings.jobs_queue_url
    return f"sqlite:///{(settings.data_dir / 'jobs-queue.sqlite3').resolve()}"


def _run_job(job_id: int) -> str:
    from regia.db import get_engine
    from regia.jobs import service

    settings = get_settings()
    state = service.run(get_engine(settings.database_url), job_id, stale_after=settings.jobs_stale_seconds)
    if state == "busy":  # another worker holds it; look again when its heartbeat could have stopped
        task_for(settings).schedule((job_id,), delay=settings.jobs_stale_seconds)
    log.info("job %s: %s", job_id, state)
    return state


def _make(url: str) -> Huey:
    if url.startswith(("redis://", "rediss://", "unix://")):
        from huey import RedisHuey  # the "redis" extra

        return RedisHuey(QUEUE_NAME, url=url, results=False)
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(QUEUE_NAME, filename=str(path), results=False)
    raise ValueError(f"unsupported job queue URL {url!r}: use sqlite:///PATH or redis://HOST")


def queue_for(settings: Settings | None = None) -> tuple[Huey, TaskWrapper]:
    """The queue of these settings and its one task, ``run job N`` (made once per process)."""
    url = queue_url(settings or get_settings())
    if url not in _queues:
        huey = _make(url)
        _queues[url] = (huey, huey.task(name="regia.jobs.run", retries=0)(_run_job))
    return _queues[url]


def task_for(settings: Settings | None = None) -> TaskWrapper:
    return queue_for(settings)[1]


def enqueue(job_id: int, settings: Settings | None = None) -> None:
    task_for(settings)(job_id)


def recover(settings: Settings | None = None) -> list[int]:
    """Enqueue every unfinished job again (a worker starting: the messages of a dead one may be lost)."""
    from regia.db import get_engine
    from regia.jobs import service

    settings = settings or get_settings()
    ids = service.unfinished(get_engine(settings.database_url))
    for job_id in ids:
        enqueue(job_id, settings)
    return ids


def consumer(settings: Settings | None = None, *, workers: int = 1) -> Any:
    """Huey's consumer for ``regia worker`` (threads: the imports wait on the database as much as they
    compute; several worker processes may run side by side)."""
    huey, _ = queue_for(settings)
    return huey.create_consumer(workers=workers, worker_type="thread", periodic=False, max_delay=1.0,
                                scheduler_interval=1)
