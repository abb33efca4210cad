"""Uploads as background jobs (regia.jobs), on SQLite and PostgreSQL: a catalogue file becomes a job whose
import runs in committed batches; the job's counts, position and rejected rows commit with each batch; a run
stopped anywhere resumes after its last committed batch and ends with the counts of an uninterrupted run;
cancel; the same content is imported once; type, size and emptiness are checked from the bytes; who may
upload and see what comes from the policy (a provider its own courses, a Fund those it finances, another
provider neither sees nor cancels the job). The browser test with a real worker process is
``test_browser_jobs.py``."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from regia.auth.errors import Conflict, Forbidden, InvalidInput, NotFound
from regia.auth.principal import Principal, load_principal
from regia.catalog.models import Edition
from regia.catalog.service import import_file as catalog_import
from regia.config import Settings
from regia.importing.checkpoint import Batch, Checkpoint
from regia.jobs import files, queue, service
from regia.jobs.kinds import KINDS, Kind
from regia.jobs.models import CANCELLED, DONE, QUEUED, RUNNING, Job
from support.accounts import ORGS, World, build_world
from test_catalog_ingest import add_mini_taxonomy

PROVIDER_VAT = ORGS["provider"][3] or ""
OTHER_VAT = ORGS["provider_b"][3] or ""
COMUNI = ("017029", "097042", "014061", "017001")
HEADER = ["provider_name", "provider_vat", "course_code", "title", "description", "hours", "modality", "comune",
          "start_date", "end_date", "seats", "cost_eur", "funding", "targets", "eqf_level", "certification"]


def catalogue_csv(courses: int, *, vat: str = PROVIDER_VAT, bad_every: int = 0, funding: str = "regione",
                  first: int = 0) -> bytes:
    """``courses`` courses (codes from ``first``) of two editions each; with ``bad_every``, every n-th row has an
    unreadable number of hours (a rejection with its row, field and reason)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    row = 0
    for i in range(first, first + courses):
        for edition in range(2):
            row += 1
            hours = "molte" if bad_every and row % bad_every == 0 else str(20 + i % 50)
            writer.writerow([ORGS["provider"][0] if vat == PROVIDER_VAT else "Secondo ente di prova", vat,
                             f"C-{i:05d}", f"Corso numero {i} di saldatura e disegno", "Un corso di prova.", hours,
                             "presenza", COMUNI[(i + edition) % len(COMUNI)], f"2027-{1 + edition * 5:02d}-10",
                             f"2027-{2 + edition * 5:02d}-20", "15", "0", funding, "occupati", "3", ""])
    return out.getvalue().encode()


async def _chunks(data: bytes, size: int = 7000) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i:i + size]


class Jobs:
    def __init__(self, engine: Engine, tmp: Path) -> None:
        self.world: World = build_world(engine)  # before the mini taxonomy: its call names other provinces
        add_mini_taxonomy(engine)
        self.engine = engine
        self.folder = tmp / "uploads"

    def principal(self, role: str) -> Principal:
        with Session(self.engine) as session:
            principal = load_principal(session, self.world.users[role])
        assert principal is not None
        return principal

    def submit(self, role: str, data: bytes, *, kind: str = "catalog", name: str = "corsi.csv",
               max_bytes: int = 10_000_000) -> Job:
        return asyncio.run(service.submit(self.engine, principal=self.principal(role), kind=kind, file_name=name,
                                          chunks=_chunks(data), folder=self.folder, max_bytes=max_bytes))

    def job(self, job_id: int) -> Job:
        with Session(self.engine) as session:
            job = session.get_one(Job, job_id)
            session.expunge(job)
            return job

    def editions(self) -> int:
        with Session(self.engine) as session:
            return session.scalar(select(func.count(Edition.id))) or 0


@pytest.fixture
def jobs(empty_engine: Engine, tmp_path: Path) -> Jobs:
    return Jobs(empty_engine, tmp_path)


def _counts(job: Job) -> tuple[int, int, int, int]:
    return job.read, job.stored, job.duplicate, job.rejected


def test_a_catalogue_file_becomes_a_job_with_counts_and_its_rejected_rows(jobs: Jobs) -> None:
    data = catalogue_csv(700, bad_every=97)  # 1400 rows, 14 with unreadable hours; three batches of 500
    job = jobs.submit("provider_editor", data)
    assert (job.state, job.file_format, job.file_size) == (QUEUED, "csv", len(data))
    assert Path(job.stored_as).read_bytes() == data
    assert service.run(jobs.engine, job.id) == DONE
    done = jobs.job(job.id)
    assert _counts(done) == (1400, 1386, 0, 14) and done.position == done.total == 1400 and done.batches == 3
    assert jobs.editions() == 1386
    assert not Path(job.stored_as).exists()  # read: the upload is removed, its hash stays on the job
    with Session(jobs.engine) as session:
        rejected = service.rejections(session, done)
        assert [r.row for r in rejected] == [n + 1 for n in range(97, 1401, 97)]  # header = line 1
        assert {r.field for r in rejected} == {"hours"} and all("molte" in r.reason for r in rejected)
        table = list(csv.reader(io.StringIO(service.quarantine_csv(session, done, "it"))))
        assert table[0] == ["Riga", "Campo", "Motivo", "Record"] and len(table) == 15
        assert table[1][:2] == ["98", "hours"] and table[1][3].startswith(PROVIDER_VAT)
        english = list(csv.reader(io.StringIO(service.quarantine_csv(session, done, "en"))))
        assert english[0] == ["Row", "Field", "Reason", "Record"]
    progress = service.progress_of(done)
    assert progress.percent == 100.0 and not progress.stalled and progress.remaining is None


class _Crash(BaseException):
    """A worker killed in the middle of a batch (nothing of that batch commits)."""


@pytest.fixture
def crashing_kind() -> Iterator[str]:
    """A kind that runs the catalogue's import and dies in the third batch's transaction, once."""
    state = {"crashed": False}

    class Dying:
        def __init__(self, inner: Checkpoint) -> None:
            self.inner = inner

        @property
        def position(self) -> int:
            return self.inner.position

        def total(self, rows: int | None) -> None:
            self.inner.total(rows)

        def committed(self, session: Session, batch: Batch) -> None:
            self.inner.committed(session, batch)
            if batch.position > 1000 and not state["crashed"]:
                state["crashed"] = True
                raise _Crash

    def run(engine: Engine, path: Path, *, principal: Principal, file_name: str, checkpoint: Checkpoint) -> None:
        catalog_import(engine, path, principal=principal, file_name=file_name, checkpoint=Dying(checkpoint))

    KINDS["catalog_crashing"] = Kind("catalog_crashing", KINDS["catalog"].label, KINDS["catalog"].hint,
                                     ("csv",), KINDS["catalog"].resource, run)
    yield "catalog_crashing"
    del KINDS["catalog_crashing"]


def test_a_job_stopped_in_a_batch_resumes_after_the_last_committed_one(jobs: Jobs, crashing_kind: str) -> None:
    data = catalogue_csv(900, bad_every=101)  # 1800 rows, 17 rejected; batches end at 500, 1000, 1500, 1800
    job = jobs.submit("provider_editor", data, kind=crashing_kind)
    with pytest.raises(_Crash):
        service.run(jobs.engine, job.id)
    stopped = jobs.job(job.id)
    assert stopped.state == RUNNING and stopped.position == 1000 and stopped.batches == 2  # batch 3 rolled back
    assert _counts(stopped) == (1000, 1000 - 9, 0, 9) and jobs.editions() == 991
    # the worker's heartbeat is fresh: another worker does not take the job over yet
    assert service.run(jobs.engine, job.id, stale_after=3600) == "busy"
    assert service.run(jobs.engine, job.id, stale_after=0) == DONE  # the heartbeat is old: resumed
    done = jobs.job(job.id)
    assert _counts(done) == (1800, 1783, 0, 17) and done.position == 1800 and done.batches == 4
    assert jobs.editions() == 1783  # no row twice
    with Session(jobs.engine) as session:
        assert len(service.rejections(session, done)) == 17
    assert done.resumed_position == 1000


@pytest.fixture
def cancelled_after_first_batch() -> Iterator[str]:
    """A kind that runs the catalogue's import while its user presses "cancel" just after the first batch."""

    class Cancelling:
        def __init__(self, inner: Checkpoint) -> None:
            self.inner = inner

        @property
        def position(self) -> int:
            return self.inner.position

        def total(self, rows: int | None) -> None:
            self.inner.total(rows)

        def committed(self, session: Session, batch: Batch) -> None:
            self.inner.committed(session, batch)
            if batch.position == 500:  # the cancel lands as this batch commits
                session.execute(update(Job).where(Job.id == self.inner.job_id).values(cancel_requested=True))

    def run(engine: Engine, path: Path, *, principal: Principal, file_name: str, checkpoint: Checkpoint) -> None:
        catalog_import(engine, path, principal=principal, file_name=file_name, checkpoint=Cancelling(checkpoint))

    KINDS["catalog_cancelled"] = Kind("catalog_cancelled", KINDS["catalog"].label, KINDS["catalog"].hint,
                                      ("csv",), KINDS["catalog"].resource, run)
    yield "catalog_cancelled"
    del KINDS["catalog_cancelled"]


def test_cancel(jobs: Jobs, cancelled_after_first_batch: str) -> None:
    queued = jobs.submit("provider_editor", catalogue_csv(5))
    cancelled = service.cancel(jobs.engine, principal=jobs.principal("provider_editor"), job_id=queued.id)
    assert cancelled.state == CANCELLED  # a queued job at once
    assert service.run(jobs.engine, queued.id) == "finished" and jobs.editions() == 0
    with pytest.raises(Conflict):
        service.cancel(jobs.engine, principal=jobs.principal("provider_editor"), job_id=queued.id)
    # a running job stops at the end of its batch: what earlier batches stored stays
    running = jobs.submit("provider_editor", catalogue_csv(800), kind=cancelled_after_first_batch)
    assert service.run(jobs.engine, running.id) == CANCELLED
    stopped = jobs.job(running.id)
    assert (stopped.position, stopped.stored, stopped.batches) == (500, 500, 1) and jobs.editions() == 500
    assert stopped.finished_at is not None


def test_the_same_file_is_imported_once(jobs: Jobs) -> None:
    data = catalogue_csv(3)
    first = jobs.submit("provider_editor", data)
    with pytest.raises(Conflict) as twice:  # queued already
        jobs.submit("provider_editor", data, name="copia.csv")
    assert twice.value.params == {"job": first.id} and twice.value.key == "jobs.err.already_imported"
    service.run(jobs.engine, first.id)
    with pytest.raises(Conflict):  # imported
        jobs.submit("provider_editor", data)
    assert list(jobs.folder.iterdir()) == []  # the refused copies were not kept
    assert jobs.submit("provider_editor", catalogue_csv(4)).state == QUEUED  # another content is another file


@pytest.mark.parametrize(("data", "name", "key"), [
    (b"", "vuoto.csv", "jobs.err.empty"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "corsi.csv", "jobs.err.format"),  # the name does not make it CSV
    (b"%PDF-1.7\n" + b"x" * 300, "corsi.xlsx", "jobs.err.format"),
    (b"MZ\x90\x00" + b"\x00" * 300, "corsi.json", "jobs.err.format"),
    (b"<html><body>corsi</body></html>", "corsi.csv", "jobs.err.format"),
    (b"a,b\n" + b"1,2\n" * 400_000, "grande.csv", "jobs.err.too_large"),
])
def test_files_are_checked_by_their_bytes_and_size(jobs: Jobs, data: bytes, name: str, key: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        jobs.submit("provider_editor", data, name=name, max_bytes=1_000_000)
    assert refused.value.key == key and refused.value.field == "file"
    assert not jobs.folder.exists() or not list(jobs.folder.iterdir())  # nothing left behind


def test_formats_are_told_from_the_first_bytes() -> None:
    workbook = Workbook()
    workbook.active.append(HEADER)
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert files.sniff(buffer.getvalue()[:files.HEAD]) == "xlsx"
    assert files.sniff(b"\xef\xbb\xbfprovider_name;provider_vat\n") == "csv"
    assert files.sniff("titolo,città\nÀ,è\n".encode("cp1252")) == "csv"
    assert files.sniff(b'  [{"title": "x"}]') == "json"
    assert files.sniff(b'{"title": "x"}\n{"title": "y"}\n') == "jsonl"
    assert files.sniff(b'{\n  "@type": "JobPosting"\n}') == "json"
    assert files.sniff(b"PK\x03\x04" + b"\x00" * 100) is None  # a ZIP that is no workbook
    assert files.sniff(b"\x1f\x8b\x08\x00" + b"\x00" * 50) is None


def test_an_excel_catalogue_is_imported(jobs: Jobs) -> None:
    workbook = Workbook()
    rows = list(csv.reader(io.StringIO(catalogue_csv(4, bad_every=3).decode())))
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    job = jobs.submit("provider_editor", buffer.getvalue(), name="corsi.xlsx")
    assert job.file_format == "xlsx" and service.run(jobs.engine, job.id) == DONE
    assert _counts(jobs.job(job.id)) == (8, 6, 0, 2)


def test_who_may_upload_what(jobs: Jobs) -> None:
    # a provider: its own courses stored, another provider's rejected row by row with the reason
    mixed = catalogue_csv(3) + catalogue_csv(2, vat=OTHER_VAT).split(b"\n", 1)[1]
    job = jobs.submit("provider_editor", mixed)
    service.run(jobs.engine, job.id)
    done = jobs.job(job.id)
    assert _counts(done) == (10, 6, 0, 4)
    with Session(jobs.engine) as session:
        assert {(r.field, r.reason) for r in service.rejections(session, done)} == {
            ("provider_vat", f"provider_vat {OTHER_VAT} is not the publishing provider's")}
    # a Fund: the courses it finances (fondo:Fondimpresa is the test Fund), not the others
    financed = catalogue_csv(2, vat=OTHER_VAT, funding="fondo:Fondimpresa")
    by_fund = jobs.submit("fund_editor", financed)
    service.run(jobs.engine, by_fund.id)
    assert _counts(jobs.job(by_fund.id)) == (4, 4, 0, 0)
    by_other_fund = jobs.submit("fund_b_editor", financed)
    service.run(jobs.engine, by_other_fund.id)
    assert _counts(jobs.job(by_other_fund.id)) == (4, 0, 0, 4)
    # the Region publishes any course; the Fund's are recognised, not stored again
    by_region = jobs.submit("region_admin", financed + catalogue_csv(1, vat=OTHER_VAT, first=50).split(b"\n", 1)[1])
    service.run(jobs.engine, by_region.id)
    assert _counts(jobs.job(by_region.id)) == (6, 2, 4, 0)
    # route level: who has no catalogue rights uploads nothing; postings feeds are the Region's
    for role in ("partnership_editor", "fund_viewer", "citizen", "firm_editor"):
        with pytest.raises(Forbidden):
            jobs.submit(role, catalogue_csv(1), name=f"{role}.csv")
    for role in ("provider_editor", "fund_editor"):
        with pytest.raises(Forbidden):
            jobs.submit(role, b"title,date_posted\nSaldatore,2026-01-10\n", kind="postings", name="feed.csv")
    assert [k.name for k in service.kinds_for(jobs.principal("region_viewer"))] == ["postings"]
    region_kinds = [k.name for k in service.kinds_for(jobs.principal("region_admin"))]
    assert region_kinds == ["catalog", "postings", "iefp-figures", "participations", "employment", "unemployed",
                            "standards"]
    assert [k.name for k in service.kinds_for(jobs.principal("provider_editor"))] == ["catalog"]


def test_another_organisation_neither_sees_nor_cancels_a_job(jobs: Jobs) -> None:
    job = jobs.submit("provider_editor", catalogue_csv(2))
    with Session(jobs.engine) as session:
        for role in ("other_provider_editor", "fund_editor", "region_viewer", "partnership_admin"):
            with pytest.raises(NotFound):
                service.get(session, principal=jobs.principal(role), job_id=job.id)
            assert service.listing(session, principal=jobs.principal(role)) == []
        for role in ("provider_editor", "assessor", "region_admin"):  # its organisation's members; Region admins
            assert service.get(session, principal=jobs.principal(role), job_id=job.id).id == job.id
            assert [j.id for j in service.listing(session, principal=jobs.principal(role))] == [job.id]
    with pytest.raises(NotFound):
        service.cancel(jobs.engine, principal=jobs.principal("other_provider_editor"), job_id=job.id)
    with pytest.raises(Forbidden):  # a member who does not edit reads the job but does not cancel it
        service.cancel(jobs.engine, principal=jobs.principal("assessor"), job_id=job.id)
    assert jobs.job(job.id).state == QUEUED


def test_the_queue_carries_run_job_messages(jobs: Jobs, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var", database_url=jobs.engine.url.render_as_string(hide_password=False))
    huey, _ = queue.queue_for(settings)
    assert queue.queue_url(settings) == f"sqlite:///{(tmp_path / 'var' / 'jobs-queue.sqlite3').resolve()}"
    first = jobs.submit("provider_editor", catalogue_csv(1))
    second = jobs.submit("provider_editor", catalogue_csv(2))
    queue.enqueue(first.id, settings)
    assert huey.pending_count() == 1
    service.run(jobs.engine, first.id)
    # a worker starting enqueues every unfinished job again (the messages of a dead one may be lost)
    assert queue.recover(settings) == [second.id]
    assert sorted(t.args[0] for t in huey.pending()) == [first.id, second.id]
    huey.flush()
