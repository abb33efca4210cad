"""The jobs API under ``/api/jobs``: upload a file of an import kind (202 and the job), follow the job (state,
counts, progress), cancel it, read its rejected rows (JSON, or CSV).

Every route declares ``Resource.JOB``; uploading a kind needs ``WRITE`` on that kind's resource too (the
service asks the policy), and each row of the file is checked by the kind's import (a provider's rows must be
its own courses, a Fund's the courses it finances). A job is visible to its uploader and the members of the
organisation it was uploaded for (and the Region's administrators) — to nobody else, not even as a 403: 404.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, File, Path, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from regia.auth.policy import READ, WRITE, Resource, require
from regia.auth.principal import Principal
from regia.db import request_session
from regia.i18n import gettext
from regia.jobs import service
from regia.jobs.models import Job

SessionDep = Annotated[Session, Depends(request_session)]
Reader = Annotated[Principal, Depends(require(READ, Resource.JOB))]
Writer = Annotated[Principal, Depends(require(WRITE, Resource.JOB))]
JobId = Annotated[int, Path(ge=1, le=2**31 - 1)]
KindName = Annotated[str, Path(max_length=40, pattern=r"^[a-z_]+$", description="An import kind: catalog, postings…")]
CHUNK = 256 * 1024

router = APIRouter(prefix="/api/jobs", tags=["jobs"])


class KindOut(BaseModel):
    name: str
    label: str = Field(description="Its name in Italian")
    formats: list[str]


class JobOut(BaseModel):
    id: int
    kind: str
    state: str = Field(description="queued, running, done, failed or cancelled")
    file_name: str
    file_format: str
    file_size: int
    content_hash: str = Field(description="SHA-256 of the file: the same content is imported once")
    total: int | None = Field(description="Rows of the file, once the import has read it")
    position: int = Field(description="Rows committed so far (a restart resumes after them)")
    read: int
    stored: int
    duplicate: int
    rejected: int
    percent: float | None
    elapsed_seconds: float
    remaining_seconds: float | None
    cancel_requested: bool
    error: str | None = Field(description="Message key of why it failed")
    messaggio: str | None = Field(description="Why it failed, in Italian")
    error_detail: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class RejectionOut(BaseModel):
    row: int | None
    field: str | None
    reason: str
    record_id: str | None


def job_out(job: Job, stale_after: float) -> JobOut:
    p = service.progress_of(job, stale_after=stale_after)
    return JobOut(
        id=job.id, kind=job.kind, state=job.state, file_name=job.file_name, file_format=job.file_format,
        file_size=job.file_size, content_hash=job.content_hash, total=job.total, position=job.position,
        read=job.read, stored=job.stored, duplicate=job.duplicate, rejected=job.rejected, percent=p.percent,
        elapsed_seconds=p.elapsed.total_seconds(),
        remaining_seconds=p.remaining.total_seconds() if p.remaining is not None else None,
        cancel_requested=job.cancel_requested, error=job.error,
        messaggio=gettext(job.error, "it") if job.error else None, error_detail=job.error_detail,
        created_at=job.created_at, started_at=job.started_at, finished_at=job.finished_at)


async def chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(CHUNK):
        yield chunk


@router.get("/kinds", response_model=list[KindOut], summary="The import kinds you may upload")
def kinds(principal: Reader) -> list[KindOut]:
    return [KindOut(name=k.name, label=gettext(k.label, "it"), formats=list(k.formats))
            for k in service.kinds_for(principal)]


@router.post("/{kind}", response_model=JobOut, status_code=202, summary="Upload a file: its import becomes a job",
             responses={409: {"description": "The same file was already imported (the earlier job's number in "
                                             "params.job)"}, 422: {"description": "Too large, empty or not a "
                                                                                   "format of this kind"}})
async def upload(request: Request, kind: KindName, principal: Writer,
                 file: Annotated[UploadFile, File(description="The file (CSV, Excel, JSON... per kind)")]) -> Response:
    settings = request.app.state.settings
    job = await service.submit(request.app.state.engine, principal=principal, kind=kind,
                               file_name=file.filename or "upload", chunks=chunks(file), folder=settings.jobs_dir,
                               max_bytes=settings.jobs_max_upload_bytes)
    request.app.state.job_queue(job.id)
    body = job_out(job, settings.jobs_stale_seconds).model_dump(mode="json")
    return JSONResponse(body, status_code=202, headers={"Location": f"/api/jobs/{job.id}"})


@router.get("", response_model=list[JobOut], summary="Your jobs and your organisation's, newest first")
def list_jobs(request: Request, session: SessionDep, principal: Reader) -> list[JobOut]:
    stale = request.app.state.settings.jobs_stale_seconds
    return [job_out(j, stale) for j in service.listing(session, principal=principal)]


@router.get("/{job_id}", response_model=JobOut, summary="A job: its state, counts and progress")
def get_job(request: Request, job_id: JobId, session: SessionDep, principal: Reader) -> JobOut:
    return job_out(service.get(session, principal=principal, job_id=job_id),
                   request.app.state.settings.jobs_stale_seconds)


@router.post("/{job_id}/cancel", response_model=JobOut, summary="Cancel a job (a running one stops after its "
                                                                "current batch; what was stored stays)")
def cancel(request: Request, job_id: JobId, principal: Writer) -> JobOut:
    job = service.cancel(request.app.state.engine, principal=principal, job_id=job_id)
    return job_out(job, request.app.state.settings.jobs_stale_seconds)


@router.get("/{job_id}/rejections", response_model=list[RejectionOut], summary="The rows the job's import "
                                                                                  "rejected, with the reasons")
def rejections(job_id: JobId, session: SessionDep, principal: Reader) -> list[RejectionOut]:
    job = service.get(session, principal=principal, job_id=job_id)
    return [RejectionOut(row=r.row, field=r.field, reason=r.reason, record_id=r.record_id)
            for r in service.rejections(session, job)]
