"""Uploads as background jobs: accept a file (:func:`submit`), run its import in the worker (:func:`run`),
follow it (:func:`progress_of`), cancel it (:func:`cancel`), hand out what it rejected (:func:`quarantine_csv`).

Who may do what is the policy's (``Resource.JOB`` for jobs, each kind's resource for uploading it); what a
kind's import does with the rows is its domain's (:mod:`regia.jobs.kinds`).

Exactly once. A job's counts and ``position`` (rows committed) are written by :class:`JobCheckpoint` inside
the transaction of each batch of the import, so they commit with the data or not at all. A worker that
dies leaves the job ``running`` with a heartbeat that stops moving; the next worker to look at it (when it
starts, or when the job's task comes round again, see :mod:`regia.jobs.queue`) claims it once the heartbeat is
older than ``settings.jobs_stale_seconds`` and resumes it after its last committed batch. Restarting the
web process changes nothing: it only reads the job's row.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import socket
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, or_, select, update
from sqlalchemy.orm import Session

from regia.auth import audit
from regia.auth.errors import Conflict, DomainError, Forbidden, NotFound
from regia.auth.models import Role
from regia.auth.policy import EDITING, READ, WRITE, Resource, can, visible
from regia.auth.principal import Principal, load_principal
from regia.db import session_scope
from regia.i18n import N_, gettext
from regia.importing.checkpoint import Batch, Cancelled
from regia.jobs import files
from regia.jobs.kinds import KINDS, Kind
from regia.jobs.models import CANCELLED, DONE, FAILED, FINISHED, QUEUED, RUNNING, Job, JobRejection

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    """Instants are stored in UTC; SQLite hands them back without their offset."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def kind_of(name: str) -> Kind:
    kind = KINDS.get(name)
    if kind is None:
        raise NotFound(f"no import kind {name!r}", field="kind", key=N_("jobs.err.no_kind"), params={"kind": name})
    return kind


def kinds_for(principal: Principal) -> list[Kind]:
    """The kinds ``principal`` may upload."""
    return [k for k in KINDS.values() if can(principal, WRITE, k.resource)]


def acting_organisation(principal: Principal) -> int | None:
    """The organisation an upload is made for: the one where the uploader edits (else any of theirs)."""
    editing = sorted(principal.org_ids(*EDITING)) or sorted(principal.org_ids(Role.VIEWER)) or \
        sorted(principal.org_ids())
    return editing[0] if editing else None


# --- accepting an upload -------------------------------------------------------------------------------------

async def submit(engine: Engine, *, principal: Principal, kind: str, file_name: str, chunks: AsyncIterator[bytes],
                 folder: Path, max_bytes: int) -> Job:
    """Store an upload and queue its job (the caller enqueues it: :func:`regia.jobs.queue.enqueue`).

    Refused: a kind the principal may not upload (Forbidden), a file too large, empty or of a format the kind
    does not read (InvalidInput, field ``file``), the same content already imported — or being imported — for
    the same organisation (Conflict, with the earlier job's number)."""
    spec = kind_of(kind)
    if not can(principal, WRITE, spec.resource):
        raise Forbidden(f"you may not upload {kind} files", key=N_("jobs.err.not_allowed"))
    stored = await files.store(chunks, folder=folder, max_bytes=max_bytes, accepted=spec.formats)
    organisation = acting_organisation(principal)
    with session_scope(engine) as session:
        earlier = session.scalar(select(Job).where(
            Job.kind == kind, Job.content_hash == stored.content_hash, Job.state.in_((QUEUED, RUNNING, DONE)),
            Job.organisation_id.is_(None) if organisation is None else Job.organisation_id == organisation)
            .order_by(Job.id.desc()))
        if earlier is not None:
            stored.path.unlink(missing_ok=True)
            raise Conflict(f"this file was already imported (job {earlier.id})", field="file",
                           key=N_("jobs.err.already_imported"), params={"job": earlier.id})
        job = Job(kind=kind, state=QUEUED, user_id=principal.user_id, organisation_id=organisation,
                  file_name=Path(file_name).name[:255] or "upload", file_format=stored.file_format,
                  file_size=stored.size, content_hash=stored.content_hash, stored_as=str(stored.path),
                  created_at=utcnow())
        session.add(job)
        session.flush()
        audit.record(session, actor=principal, action="upload", resource_type="job", resource_id=job.id,
                     organisation_id=organisation, after={"kind": kind, "file": job.file_name,
                                                          "size": job.file_size, "sha256": job.content_hash})
        session.expunge(job)
    return job


# --- reading jobs --------------------------------------------------------------------------------------------

def get(session: Session, *, principal: Principal, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None or not can(principal, READ, Resource.JOB, job):
        raise NotFound(f"no job {job_id}", field="job_id", key=N_("jobs.err.not_found"), params={"job": job_id})
    return job


def listing(session: Session, *, principal: Principal, limit: int = 50) -> list[Job]:
    return list(session.scalars(visible(select(Job), principal, Job).order_by(Job.id.desc()).limit(limit)))


@dataclass(frozen=True)
class Progress:
    percent: float | None  # of the rows, when the total is known
    elapsed: timedelta  # since the job started (or was queued, before it starts)
    remaining: timedelta | None  # at the pace of the current run, when it can be told
    stalled: bool  # running, but its worker has stopped reporting


def progress_of(job: Job, *, now: datetime | None = None, stale_after: float = 60.0) -> Progress:
    now = now or utcnow()
    started, resumed, beat = _aware(job.started_at), _aware(job.resumed_at), _aware(job.heartbeat_at)
    end = _aware(job.finished_at) or now
    elapsed = end - (started or _aware(job.created_at) or now)
    percent = 100.0 if job.state == DONE else (
        min(100.0, 100.0 * job.position / job.total) if job.total else None)
    remaining = None
    if job.state == RUNNING and job.total and job.position and job.batches:
        since = resumed or started
        done_here = job.position - (job.resumed_position or 0)
        if since is not None and done_here > 0:
            pace = (now - since) / done_here
            remaining = pace * max(0, job.total - job.position)
    stalled = job.state == RUNNING and beat is not None and (now - beat).total_seconds() > stale_after
    return Progress(percent, max(elapsed, timedelta(0)), remaining, stalled)


def rejections(session: Session, job: Job) -> Sequence[JobRejection]:
    return session.scalars(select(JobRejection).where(JobRejection.job_id == job.id)
                           .order_by(JobRejection.row, JobRejection.id)).all()


def quarantine_csv(session: Session, job: Job, lang: str) -> str:
    """The job's rejected rows as CSV for people: headers in ``lang``, one row per reason."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([gettext(k, lang) for k in (N_("jobs.csv.row"), N_("jobs.csv.field"), N_("jobs.csv.reason"),
                                                  N_("jobs.csv.record"))])
    for r in rejections(session, job):
        writer.writerow(["" if r.row is None else r.row, r.field or "", _no_formula(r.reason),
                         _no_formula(r.record_id or "")])
    return out.getvalue()


def _no_formula(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


# --- cancelling ----------------------------------------------------------------------------------------------

def cancel(engine: Engine, *, principal: Principal, job_id: int) -> Job:
    """A queued job is cancelled at once; a running one stops at the end of its current batch (what earlier
    batches stored stays)."""
    with session_scope(engine) as session:
        job = get(session, principal=principal, job_id=job_id)
        if not can(principal, WRITE, Resource.JOB, job):
            raise Forbidden("you may not cancel this job", key=N_("jobs.err.not_allowed"))
        if job.finished:
            raise Conflict(f"the job is {job.state} already", field="state", key=N_("jobs.err.finished"))
        job.cancel_requested = True
        if job.state == QUEUED:  # not started: it never will, and its upload is not needed
            job.state, job.finished_at = CANCELLED, utcnow()
            Path(job.stored_as).unlink(missing_ok=True)
        audit.record(session, actor=principal, action="cancel", resource_type="job", resource_id=job.id,
                     organisation_id=job.organisation_id)
        session.flush()
        session.expunge(job)
    return job


# --- running (in the worker) ---------------------------------------------------------------------------------

def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class JobCheckpoint:
    """The :class:`regia.importing.checkpoint.Checkpoint` of one job."""

    def __init__(self, engine: Engine, job: Job) -> None:
        self.engine = engine
        self.job_id = job.id
        self._position = job.position

    @property
    def position(self) -> int:
        return self._position

    def total(self, rows: int | None) -> None:
        with session_scope(self.engine) as session:
            session.execute(update(Job).where(Job.id == self.job_id).values(total=rows, heartbeat_at=utcnow()))

    def committed(self, session: Session, batch: Batch) -> None:
        if session.scalar(select(Job.cancel_requested).where(Job.id == self.job_id)):
            raise Cancelled(f"job {self.job_id} cancelled")
        session.execute(update(Job).where(Job.id == self.job_id).values(
            position=batch.position, batches=Job.batches + 1, read=Job.read + batch.read,
            stored=Job.stored + batch.stored, duplicate=Job.duplicate + batch.duplicate,
            rejected=Job.rejected + batch.rejected, heartbeat_at=utcnow()))
        if batch.rejections:
            session.add_all([JobRejection(job_id=self.job_id, row=r.line, field=(r.field or None) and r.field[:200],
                                          reason=r.reason, record_id=(r.record_id or None) and r.record_id[:500])
                             for r in batch.rejections])
        self._position = batch.position


def claim(engine: Engine, job_id: int, *, worker: str, stale_after: float) -> str:
    """Take the job for this worker: ``claimed``; ``busy`` (another worker's heartbeat is fresh);
    ``finished`` (nothing to do)."""
    now = utcnow()
    with session_scope(engine) as session:
        job = session.get(Job, job_id)
        if job is None or job.finished:
            return "finished"
        if job.cancel_requested and job.state == QUEUED:
            job.state, job.finished_at = CANCELLED, now
            return "finished"
        claimed = session.execute(update(Job).where(
            Job.id == job_id, Job.state.in_((QUEUED, RUNNING)),
            or_(Job.state == QUEUED, Job.heartbeat_at.is_(None),
                Job.heartbeat_at < now - timedelta(seconds=stale_after))).values(
            state=RUNNING, worker=worker, heartbeat_at=now, started_at=job.started_at or now,
            resumed_at=now, resumed_position=job.position).execution_options(synchronize_session=False))
        return "claimed" if claimed.rowcount else "busy"


def run(engine: Engine, job_id: int, *, stale_after: float = 60.0, worker: str | None = None) -> str:
    """Run (or resume) a job's import to its end; returns its state, or ``busy`` when another live worker
    has it."""
    worker = worker or worker_name()
    outcome = claim(engine, job_id, worker=worker, stale_after=stale_after)
    if outcome != "claimed":
        return outcome
    with session_scope(engine) as session:
        job = session.get_one(Job, job_id)
        session.expunge(job)
        principal = load_principal(session, job.user_id) if job.user_id is not None else None
    state, error, detail = DONE, None, None
    try:
        if principal is None:
            raise Forbidden("the uploader's account no longer exists", key=N_("jobs.err.uploader_gone"))
        kind = kind_of(job.kind)
        if not can(principal, WRITE, kind.resource):  # rights are checked again when the job runs
            raise Forbidden(f"the uploader may no longer upload {job.kind} files", key=N_("jobs.err.not_allowed"))
        kind.run(engine, Path(job.stored_as), principal=principal, file_name=job.file_name,
                 checkpoint=JobCheckpoint(engine, job))
    except Cancelled:
        state = CANCELLED
    except DomainError as exc:
        state, error, detail = FAILED, exc.key or N_("jobs.err.unreadable"), exc.detail
    except (ValueError, OSError) as exc:  # the file as a whole cannot be read
        state, error, detail = FAILED, N_("jobs.err.unreadable"), str(exc)
    except Exception as exc:
        log.exception("job %s failed", job_id)
        state, error, detail = FAILED, N_("jobs.err.internal"), type(exc).__name__
    with session_scope(engine) as session:
        session.execute(update(Job).where(Job.id == job_id).values(
            state=state, error=error, error_detail=(detail or "")[:2000] or None, finished_at=utcnow(),
            heartbeat_at=utcnow()))
    Path(job.stored_as).unlink(missing_ok=True)  # read, or never to be: the hash stays on the job
    return state


def unfinished(engine: Engine) -> list[int]:
    """Jobs a worker should look at when it starts: queued ones, and running ones (perhaps left by a worker
    that stopped)."""
    with session_scope(engine) as session:
        return list(session.scalars(select(Job.id).where(Job.state.in_((QUEUED, RUNNING))).order_by(Job.id)))


__all__ = ["FINISHED", "JobCheckpoint", "Progress", "cancel", "claim", "get", "kinds_for", "listing",
           "progress_of", "quarantine_csv", "rejections", "run", "submit", "unfinished"]
