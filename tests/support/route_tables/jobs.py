"""Route × role rows of the imports (regia.jobs): the pages under ``/jobs`` and the API under ``/api/jobs``.

Every route is declared ``Resource.JOB`` (authenticated); uploading the ``catalog`` kind also needs ``WRITE``
on the catalogue (Region staff, provider and Fund editors); a job is read by its uploader, the members of the
organisation it was uploaded for and the Region's administrators, and cancelled by its uploader, that
organisation's editors and the Region's administrators — to anyone else it does not exist (404).

The seeded job is the test provider's (uploaded by ``provider_editor``); the uploads send an empty file, which
the policy lets through to the file's own check (422) or refuses (403)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine

from regia.db import session_scope
from regia.jobs.models import QUEUED, Job
from support.accounts import ALL_ROLES, World

AUTHENTICATED = frozenset(ALL_ROLES) - {"anonymous"}
CATALOG_UPLOADERS = frozenset({"region_admin", "provider_editor", "other_provider_editor", "fund_editor",
                               "fund_b_editor"})
JOB_READERS = frozenset({"region_admin", "provider_editor", "assessor"})  # the assessor: a member of the provider
JOB_CANCELLERS = frozenset({"region_admin", "provider_editor"})

EXPECTED: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/api/jobs/kinds"): AUTHENTICATED,
    ("POST", "/api/jobs/{kind}"): CATALOG_UPLOADERS,
    ("GET", "/api/jobs"): AUTHENTICATED,
    ("GET", "/api/jobs/{job_id}"): JOB_READERS,
    ("POST", "/api/jobs/{job_id}/cancel"): JOB_CANCELLERS,
    ("GET", "/api/jobs/{job_id}/rejections"): JOB_READERS,
    ("GET", "/jobs"): AUTHENTICATED,
    ("GET", "/jobs/upload/{kind}"): CATALOG_UPLOADERS,
    ("POST", "/jobs/upload/{kind}"): CATALOG_UPLOADERS,
    ("GET", "/jobs/{job_id}"): JOB_READERS,
    ("GET", "/jobs/{job_id}/progress"): JOB_READERS,
    ("POST", "/jobs/{job_id}/cancel"): JOB_CANCELLERS,
    ("GET", "/jobs/{job_id}/quarantine.csv"): JOB_READERS,
}
# others' jobs are not even acknowledged
HIDDEN_404 = {(m, p) for (m, p) in EXPECTED if "{job_id}" in p}


def seed(engine: Engine, world: World) -> None:
    with session_scope(engine) as session:
        job = Job(kind="catalog", state=QUEUED, user_id=world.users["provider_editor"],
                  organisation_id=world.orgs["provider"], file_name="corsi.csv", file_format="csv", file_size=10,
                  content_hash="0" * 64, stored_as="/nonexistent/corsi.csv", created_at=datetime.now(UTC))
        session.add(job)
        session.flush()
        world.extra["job"] = job.id


def params(world: World) -> dict[str, str]:
    return {"job_id": str(world.extra["job"]), "kind": "catalog"}


def request_kwargs(method: str, path: str, world: World, role: str, csrf: str | None) -> dict[str, object] | None:
    if method == "POST" and path == "/api/jobs/catalog":
        return {"files": {"file": ("vuoto.csv", b"", "text/csv")}}
    if method == "POST" and path == "/jobs/upload/catalog":
        return {"data": {"csrf_token": csrf or ""}, "files": {"file": ("vuoto.csv", b"", "text/csv")}}
    if method == "POST" and path.startswith("/jobs/") and path.endswith("/cancel"):
        return {"data": {"csrf_token": csrf or ""}}
    return None
