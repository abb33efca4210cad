"""Pages of the imports under ``/jobs`` (Italian first): the kinds you may upload and your jobs; the upload form
of a kind; a job's page with its live progress (htmx polls ``/jobs/{id}/progress`` every second: rows read,
stored, duplicate, rejected, a progress bar, elapsed and remaining time), its final counts, its rejected rows
(row, field, reason) and their CSV; cancel.

Stable element ids used by the browser tests: ``#upload-form``, ``#upload-file``, ``#upload-submit``,
``#upload-error``, ``#job-progress`` (``data-state``), ``#job-bar`` (``aria-valuenow``), ``#count-read``,
``#count-stored``, ``#count-duplicate``, ``#count-rejected``, ``#job-elapsed``, ``#job-remaining``,
``#cancel-job``, ``#quarantine-table``, ``#quarantine-csv``, ``#jobs-table``.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from regia.auth.errors import DomainError, Forbidden
from regia.auth.policy import READ, WRITE, Resource, can, require
from regia.auth.principal import Principal
from regia.db import request_session
from regia.i18n import N_, gettext
from regia.jobs import service
from regia.jobs.api import JobId, KindName, chunks
from regia.jobs.kinds import KINDS
from regia.jobs.models import Job

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
NAV = [("jobs", "jobs_page", N_("nav.jobs"))]
QUARANTINE_SHOWN = 200  # rows on the page; the CSV has them all

SessionDep = Annotated[Session, Depends(request_session)]
Reader = Annotated[Principal, Depends(require(READ, Resource.JOB))]
Writer = Annotated[Principal, Depends(require(WRITE, Resource.JOB))]

router = APIRouter(prefix="/jobs")


def _render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    return request.app.state.templates.TemplateResponse(request, f"jobs/{name}", {"nav": "jobs", **context},
                                                        status_code=status_code)


def _lang(request: Request) -> str:
    return getattr(request.state, "lang", "it")


def duration(value: timedelta | None) -> str:
    """``1:02:05`` / ``2:05`` (hours, minutes, seconds), the same in every language."""
    if value is None:
        return "–"
    seconds = max(0, round(value.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def _job_context(request: Request, session: Session, principal: Principal, job: Job) -> dict[str, Any]:
    settings = request.app.state.settings
    kind = KINDS.get(job.kind)
    return {"job": job, "kind": kind, "progress": service.progress_of(job, stale_after=settings.jobs_stale_seconds),
            "duration": duration, "may_cancel": not job.finished and can(principal, WRITE, Resource.JOB, job),
            "rejections": service.rejections(session, job)[:QUARANTINE_SHOWN] if job.rejected else [],
            "csrf_token": principal.csrf or ""}


@router.get("", response_class=HTMLResponse, name="jobs_page")
def jobs_page(request: Request, session: SessionDep, principal: Reader) -> Response:
    return _render(request, "list.html", {"kinds": service.kinds_for(principal),
                                          "jobs": service.listing(session, principal=principal),
                                          "labels": {k.name: k.label for k in KINDS.values()}})


def _upload_form(request: Request, principal: Principal, kind: str, *, error: str | None = None,
                 status_code: int = 200) -> Response:
    spec = service.kind_of(kind)
    return _render(request, "upload.html", {
        "kind": spec, "csrf_token": principal.csrf or "", "error": error,
        "max_mb": request.app.state.settings.jobs_max_upload_mb,
        "accept": ",".join(f".{f}" for f in spec.formats)}, status_code)


@router.get("/upload/{kind}", response_class=HTMLResponse, name="jobs_upload_page")
def upload_page(request: Request, kind: KindName, principal: Writer) -> Response:
    spec = service.kind_of(kind)
    if not can(principal, WRITE, spec.resource):
        raise Forbidden(f"you may not upload {kind} files", key=N_("jobs.err.not_allowed"))
    return _upload_form(request, principal, kind)


@router.post("/upload/{kind}", response_class=HTMLResponse, name="jobs_upload")
async def upload(request: Request, kind: KindName, principal: Writer,
                 file: Annotated[UploadFile | None, File()] = None) -> Response:
    settings = request.app.state.settings
    if not can(principal, WRITE, service.kind_of(kind).resource):
        raise Forbidden(f"you may not upload {kind} files", key=N_("jobs.err.not_allowed"))
    if file is None or not file.filename:
        return _upload_form(request, principal, kind, error=gettext("jobs.err.no_file", _lang(request)),
                            status_code=422)
    try:
        job = await service.submit(request.app.state.engine, principal=principal, kind=kind,
                                   file_name=file.filename, chunks=chunks(file), folder=settings.jobs_dir,
                                   max_bytes=settings.jobs_max_upload_bytes)
    except DomainError as exc:
        if exc.status == 403:
            raise
        return _upload_form(request, principal, kind, error=_error_text(exc, _lang(request)),
                            status_code=exc.status)
    request.app.state.job_queue(job.id)
    return RedirectResponse(str(request.app.url_path_for("jobs_job_page", job_id=str(job.id))), status_code=303)


def _error_text(exc: DomainError, lang: str) -> str:
    return gettext(exc.key, lang, **exc.params) if exc.key else exc.detail


@router.get("/{job_id}", response_class=HTMLResponse, name="jobs_job_page")
def job_page(request: Request, job_id: JobId, session: SessionDep, principal: Reader) -> Response:
    job = service.get(session, principal=principal, job_id=job_id)
    return _render(request, "job.html", _job_context(request, session, principal, job))


@router.get("/{job_id}/progress", response_class=HTMLResponse, name="jobs_progress")
def progress(request: Request, job_id: JobId, session: SessionDep, principal: Reader) -> Response:
    """The progress panel alone, for htmx to swap in (it stops polling when the job has finished)."""
    job = service.get(session, principal=principal, job_id=job_id)
    return _render(request, "_progress.html", _job_context(request, session, principal, job))


@router.post("/{job_id}/cancel", response_class=HTMLResponse, name="jobs_cancel")
def cancel(request: Request, job_id: JobId, principal: Writer) -> Response:
    service.cancel(request.app.state.engine, principal=principal, job_id=job_id)
    return RedirectResponse(str(request.app.url_path_for("jobs_job_page", job_id=str(job_id))), status_code=303)


@router.get("/{job_id}/quarantine.csv", name="jobs_quarantine_csv")
def quarantine_csv(request: Request, job_id: JobId, session: SessionDep, principal: Reader) -> Response:
    job = service.get(session, principal=principal, job_id=job_id)
    return Response(service.quarantine_csv(session, job, _lang(request)), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="job-{job.id}-rejected.csv"'})
