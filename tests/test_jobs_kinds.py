"""The import kinds of monitoring (participations, employment records, registered unemployed) and certification
(QRSP standards) as uploads run by the jobs machinery (regia.jobs): a real file submitted and run gives the
counts read/stored/duplicate/rejected and the rejected rows (row, field, reason); no codice fiscale in clear
in a job's rejections, their CSV, the quarantine or the logs; the same content is refused a second time and the
same records in another file are recognised, not stored again; a batch cancelled rolls back and the import
resumes after the last committed one; only the Region's staff may upload them; the upload page of each kind
renders in Italian and English. The browser flow of an upload is ``test_browser_jobs.py``'s."""

from __future__ import annotations

import csv
import io
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from regia.auth.errors import Conflict, Forbidden
from regia.certification.models import Profile
from regia.i18n import gettext
from regia.importing.checkpoint import Batch, Cancelled
from regia.importing.models import QuarantineEntry
from regia.jobs import files, service
from regia.jobs.kinds import KINDS
from regia.jobs.models import DONE, Job, JobRejection
from regia.monitoring import ingest
from regia.monitoring.models import EmploymentEvent, Participation, RegisteredUnemployed
from test_certification_standards import DEMO, _csv_rows
from test_jobs import Jobs
from test_monitoring_ingest import ANNA, BAD, EMPLOYER, PAOLO, UNILAV, event
from test_monitoring_ingest import participation as _participation

NEW_KINDS = ("participations", "employment", "unemployed", "standards")
NOT_REGION_STAFF = ("provider_editor", "fund_editor", "region_viewer", "partnership_editor", "firm_editor")
CODES = (ANNA, PAOLO, BAD)


@pytest.fixture
def jobs(empty_engine: Engine, tmp_path: Path) -> Jobs:
    return Jobs(empty_engine, tmp_path)


def participation(**over: str) -> dict[str, str]:
    return _participation(**{"comune": "017029", **over})  # a comune of the jobs' world (its mini taxonomy)


def table(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def workbook(rows: list[dict[str, str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(list(rows[0]))
    for row in rows:
        sheet.append(list(row.values()))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def run(jobs: Jobs, kind: str, data: bytes, name: str, role: str = "region_admin") -> Job:
    job = jobs.submit(role, data, kind=kind, name=name)
    assert service.run(jobs.engine, job.id) == DONE, jobs.job(job.id).error_detail
    return jobs.job(job.id)


def counts(job: Job) -> tuple[int, int, int, int]:
    return job.read, job.stored, job.duplicate, job.rejected


def rejected(jobs: Jobs, job: Job) -> list[JobRejection]:
    with Session(jobs.engine) as session:
        return list(service.rejections(session, job))


def count(engine: Engine, model: Any) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count(model.id))) or 0


def test_participations_upload_with_its_rejections_and_no_clear_codice_fiscale(
        jobs: Jobs, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    data = table([
        participation(),  # line 2
        participation(codice_fiscale=BAD),  # an invalid check character
        participation(codice_fiscale=PAOLO, sex="M", birth_year="1990", ended_on=ANNA),  # a code in a date column
        participation(),  # line 2 again
        participation(codice_fiscale=PAOLO, sex="M", birth_year="1990"),
    ])
    job = run(jobs, "participations", data, "partecipazioni.csv")
    assert counts(job) == (5, 2, 0, 3) and job.position == job.total == 5 and job.batches == 1
    assert count(jobs.engine, Participation) == 2
    rows = {(r.row, r.field): r.reason for r in rejected(jobs, job)}
    assert set(rows) == {(3, "codice_fiscale"), (4, "ended_on"), (5, None)}
    assert rows[(3, "codice_fiscale")].startswith("invalid codice fiscale")
    assert rows[(4, "ended_on")] == "ended_on is not a date (YYYY-MM-DD or DD/MM/YYYY): '[codice fiscale]'"
    assert rows[(5, None)] == "duplicate: repeats the record of line 2"
    # never a clear codice fiscale: the job's rejected rows, their CSV, the quarantine, the job, the logs
    with Session(jobs.engine) as session:
        kept = [" ".join(str(v) for v in (q.reason, q.raw, q.field, q.record_id, q.file))
                for q in session.scalars(select(QuarantineEntry))]
        shown = [service.quarantine_csv(session, job, lang) for lang in ("it", "en")]
        stored = session.get_one(Job, job.id)
        texts = [*kept, *shown, *(f"{r.reason} {r.field} {r.record_id}" for r in rejected(jobs, job)),
                 f"{stored.error_detail} {stored.file_name}", caplog.text]
    assert len(kept) == 3 and "[codice fiscale]" in " ".join(kept)
    assert next(csv.reader(io.StringIO(shown[0]))) == ["Riga", "Campo", "Motivo", "Record"]
    for text in texts:
        assert not any(code in text for code in CODES), text
    # the same file again is refused; the same records in another file are recognised, not stored again
    with pytest.raises(Conflict) as twice:
        jobs.submit("region_admin", data, kind="participations", name="copia.csv")
    assert twice.value.params == {"job": job.id}
    paolo = participation(codice_fiscale=PAOLO, sex="M", birth_year="1990")
    anna_dropped = participation(status="ritirato", ended_on="2024-03-01", certified="no")
    again = run(jobs, "participations", table([paolo, anna_dropped]), "di-nuovo.csv")
    assert counts(again) == (2, 1, 1, 0)  # Paolo's held as it is; Anna's with a new content replaces hers
    with Session(jobs.engine) as session:
        assert sorted(session.scalars(select(Participation.status))) == ["completed", "dropped"]


def test_employment_records_upload_as_unilav_xml_and_csv(jobs: Jobs) -> None:
    xml = UNILAV.format(employer=EMPLOYER, person=PAOLO, bad=BAD).encode()
    job = run(jobs, "employment", xml, "unilav.xml")
    assert job.file_format == "xml" and counts(job) == (3, 2, 0, 1)
    (bad,) = rejected(jobs, job)
    assert (bad.row, bad.field) == (3, "codice_fiscale") and BAD not in bad.reason
    with Session(jobs.engine) as session:
        assert {e.event for e in session.scalars(select(EmploymentEvent))} == {"ASS", "CES"}
    later = {"start_date": "2024-09-02", "event_date": "2024-09-02", "end_date": "2025-02-28"}
    feed = run(jobs, "employment", table([
        event(**later),
        event(**later, contract="Z.99.99"),  # not a UNILAV contract
        event(**{**later, "event": "CES", "event_date": "2024-09-01"}),  # a termination before the start
    ]), "co.csv")
    assert counts(feed) == (3, 1, 0, 2)
    assert {(r.row, r.field) for r in rejected(jobs, feed)} == {(3, "contract"), (4, "event_date")}
    assert count(jobs.engine, EmploymentEvent) == 3


def test_registered_unemployed_upload_as_excel(jobs: Jobs) -> None:
    rows = [{"codice_fiscale": PAOLO, "registered_on": "2023-09-01", "citizenship": "IT", "unemployed_since": ""},
            {"codice_fiscale": ANNA, "registered_on": "", "citizenship": "IT", "unemployed_since": ""},
            {"codice_fiscale": ANNA, "registered_on": "2023-02-01", "citizenship": "IT",
             "unemployed_since": "2023-03-01"}]
    job = run(jobs, "unemployed", workbook(rows), "did.xlsx")
    assert job.file_format == "xlsx" and counts(job) == (3, 1, 0, 2)
    assert {(r.row, r.field, r.reason) for r in rejected(jobs, job)} == {
        (3, "registered_on", "registered_on missing"),
        (4, "unemployed_since", "dates out of order: unemployed since 2023-03-01, after the registration on "
                                "2023-02-01")}
    assert count(jobs.engine, RegisteredUnemployed) == 1


def test_qrsp_standards_upload_as_csv_and_json(jobs: Jobs) -> None:
    good = _csv_rows(DEMO["profiles"][0])
    bad = _csv_rows(DEMO["profiles"][1])
    bad[1]["competence_eqf"] = "9"
    job = run(jobs, "standards", table(good + bad), "standard.csv")
    assert counts(job) == (2, 1, 0, 1)
    (row,) = rejected(jobs, job)
    assert (row.row, row.field, row.record_id) == (len(good) + 3, "competences[1].eqf_level",
                                                    f"{DEMO['profiles'][1]['code']}@1")
    assert row.reason.startswith("competences[1].eqf_level: an EQF level")
    document = json.dumps({"source": "Regione Lombardia (test)", "profiles": DEMO["profiles"][:3]}).encode()
    again = run(jobs, "standards", document, "standard.json")
    assert again.file_format == "json" and counts(again) == (3, 2, 1, 0)  # the first one is held already
    with Session(jobs.engine) as session:
        assert session.scalar(select(func.count(Profile.id))) == 3
    with pytest.raises(Conflict):
        jobs.submit("region_admin", document, kind="standards", name="ancora.json")


def test_only_the_region_staff_upload_monitoring_records_and_standards(jobs: Jobs) -> None:
    files = {"participations": table([participation()]), "employment": table([event()]),
             "unemployed": table([{"codice_fiscale": PAOLO, "registered_on": "2023-09-01", "citizenship": "IT"}]),
             "standards": table(_csv_rows(DEMO["profiles"][0]))}
    for kind, data in files.items():
        assert KINDS[kind].resource.value in ("outcomes", "ivc_standard")
        for role in NOT_REGION_STAFF:
            with pytest.raises(Forbidden):
                jobs.submit(role, data, kind=kind, name=f"{kind}.csv")
        assert counts(run(jobs, kind, data, f"{kind}.csv", role="region_admin"))[1] == 1
    assert not list(jobs.folder.iterdir())  # refused uploads are not kept; read ones are removed


def test_a_cancelled_batch_rolls_back_and_the_ingest_resumes_after_the_committed_ones(jobs: Jobs) -> None:
    rows = [event(start_date=f"2024-{m:02d}-01", event_date=f"2024-{m:02d}-01", end_date=f"2024-{m:02d}-20")
            for m in range(1, 13)]
    rows.insert(4, event(codice_fiscale=BAD))
    path = jobs.folder.parent / "co.csv"
    path.write_bytes(table(rows))
    items = ingest.read_items(path, "employment")

    class Recording:
        def __init__(self, position: int = 0, cancel_at: int | None = None) -> None:
            self.position, self.cancel_at, self.batches = position, cancel_at, []  # type: list[Batch]

        def total(self, rows: int | None) -> None:
            self.rows = rows

        def committed(self, session: Session, batch: Batch) -> None:
            if batch.position == self.cancel_at:
                raise Cancelled("cancelled")
            self.batches.append(batch)
            self.position = batch.position

    first = Recording(cancel_at=10)
    with pytest.raises(Cancelled):
        ingest.ingest_batches(jobs.engine, items, kind="employment", file_name="co.csv", source="test",
                              checkpoint=first, batch_size=5)
    assert first.rows == 13 and [b.position for b in first.batches] == [5] and count(jobs.engine, EmploymentEvent) == 4
    second = Recording(position=first.position)
    ingest.ingest_batches(jobs.engine, items, kind="employment", file_name="co.csv", source="test",
                          checkpoint=second, batch_size=5)
    done = [*first.batches, *second.batches]
    assert [b.position for b in done] == [5, 10, 13]
    assert [sum(getattr(b, c) for b in done) for c in ("read", "stored", "duplicate", "rejected")] == [13, 12, 0, 1]
    assert [r.line for b in done for r in b.rejections] == [6]
    assert count(jobs.engine, EmploymentEvent) == 12


@pytest.mark.parametrize("empty_engine", ["sqlite"], indirect=True)
def test_the_upload_page_of_each_kind_in_italian_and_english(jobs: Jobs) -> None:
    from regia.web.app import create_app

    app = create_app(engine=jobs.engine)
    app.state.auth_settings = jobs.world.settings
    client = TestClient(app, follow_redirects=False)
    expected = {"participations": ("Partecipazioni ai corsi", "Course participations", ".csv,.xlsx"),
                "employment": ("Comunicazioni obbligatorie (UNILAV)", "Mandatory communications (UNILAV)",
                               ".csv,.xlsx,.xml"),
                "unemployed": ("Disoccupati registrati (DID)", "Registered unemployed (DID)", ".csv,.xlsx"),
                "standards": ("Standard professionali QRSP", "QRSP professional standards", ".csv,.json")}
    assert set(expected) == set(NEW_KINDS)
    for kind, (italian, english, accept) in expected.items():
        page = client.get(f"/jobs/upload/{kind}", params={"lang": "it"}, headers=jobs.world.bearer("region_admin"))
        assert page.status_code == 200 and f"<h1>Carica: {italian}</h1>" in page.text
        assert f'accept="{accept}"' in page.text and 'lang="it"' in page.text
        assert gettext(KINDS[kind].hint, "it") in page.text  # what the file must hold
        page = client.get(f"/jobs/upload/{kind}", params={"lang": "en"}, headers=jobs.world.bearer("region_admin"))
        assert page.status_code == 200 and f"<h1>Upload: {english}</h1>" in page.text and 'lang="en"' in page.text
        assert gettext(KINDS[kind].hint, "en") in page.text != gettext(KINDS[kind].hint, "it")
        for role in ("provider_editor", "fund_editor", "region_viewer"):
            assert client.get(f"/jobs/upload/{kind}", headers=jobs.world.bearer(role)).status_code == 403
    listing = client.get("/jobs", headers=jobs.world.bearer("region_admin")).text
    assert all(f"/jobs/upload/{kind}" in listing for kind in NEW_KINDS)



def test_xml_and_one_line_json_are_told_from_the_first_bytes() -> None:
    assert files.sniff(UNILAV.format(employer=EMPLOYER, person=PAOLO, bad=BAD).encode()) == "xml"
    assert files.sniff(b"<UniLav><DatoreLavoro codiceFiscale=") == "xml"  # the start of a long document
    assert files.sniff(b"<html><body>corsi</body></html>") is None
    assert files.sniff(b"<!DOCTYPE html><html><body></body></html>") is None
    bomb = b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><UniLav>&b;</UniLav>'
    assert files.sniff(bomb) is None  # no document type, no entities: defusedxml refuses them
    assert files.sniff(b"<UniLav><a></b></UniLav>") is None  # not well-formed
    assert files.sniff(b'{"source": "x", "profiles": [{"code": "A"}]}') == "json"  # a minified document
    assert files.sniff(b'{"title": "x"}\n{"title": "y"}\n') == "jsonl"
