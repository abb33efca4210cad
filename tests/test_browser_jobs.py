"""Uploads as background jobs, end to end: headless Chromium against a real web server process and a real
worker process (``regia worker``), on one SQLite database.

A provider uploads a catalogue file of a few thousand rows with some bad ones: the page shows the progress
moving (htmx), then the counts, and the rejected rows with their row, field and reason (and the CSV). During
a second, larger upload the web server is restarted — and the worker killed and started again —: the job
completes with exact counts, no row stored twice. Another provider neither sees nor cancels the job.
"""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from regia.catalog.models import Edition
from regia.db import make_engine, migrate
from regia.jobs.models import Job
from support.accounts import PASSWORD, build_world, make_settings
from support.browser import launched, require_assets, require_chromium, visitor_page
from support.pact_pages import login
from support.servers import free_port
from test_catalog_ingest import add_mini_taxonomy
from test_jobs import catalogue_csv

pytestmark = pytest.mark.browser
SECRET = "browser-jobs-signing-key-" + "z" * 32
# Collects every value the progress bar takes (htmx swaps the panel; the observer sees each new bar).
WATCH_BAR = """() => { window.seenBar = []; const note = () => { const bar = document.getElementById('job-bar');
  if (bar) window.seenBar.push(parseFloat(bar.getAttribute('aria-valuenow'))); };
  note(); new MutationObserver(note).observe(document.body, {childList: true, subtree: true}); }"""


class Platform:
    """The web server and the worker as separate processes over one database and one job queue."""

    def __init__(self, root: Path) -> None:
        self.db = root / "regia.db"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "REGIA_DATABASE_URL": f"sqlite:///{self.db}", "REGIA_DATA_DIR": str(root / "var"),
                    "REGIA_SECRET_KEY": SECRET, "REGIA_PSEUDONYM_KEY": "browser-jobs-pseudonym-" + "p" * 32,
                    "REGIA_JOBS_STALE_SECONDS": "2"}
        self.server: subprocess.Popen[bytes] | None = None
        self.worker: subprocess.Popen[bytes] | None = None

    def start_server(self) -> None:
        self.server = subprocess.Popen([sys.executable, "-m", "uvicorn", "regia.web.app:create_app", "--factory",
                                        "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"],
                                       env=self.env)
        deadline = time.monotonic() + 240  # a loaded machine imports slowly
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=5) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            if self.server.poll() is not None or time.monotonic() > deadline:
                self._kill(self.server)
                raise RuntimeError("the web server did not start")
            time.sleep(0.3)

    def start_worker(self) -> None:
        self.worker = subprocess.Popen([sys.executable, "-m", "regia", "worker"], env=self.env)

    @staticmethod
    def _kill(process: subprocess.Popen[bytes] | None, sig: int = signal.SIGKILL) -> None:
        if process is not None and process.poll() is None:
            process.send_signal(sig)
            process.wait(timeout=30)

    def kill_server(self) -> None:
        self._kill(self.server)

    def kill_worker(self) -> None:
        self._kill(self.worker)

    def stop(self) -> None:
        self._kill(self.worker, signal.SIGTERM)
        self._kill(self.server, signal.SIGTERM)


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[tuple[Platform, Any]]:
    chromium = require_chromium()
    require_assets("htmx/htmx.min.js")
    p = Platform(tmp_path)
    engine = make_engine(f"sqlite:///{p.db}")
    migrate(engine)
    world = build_world(engine, make_settings())  # before the mini taxonomy: its call names other provinces
    add_mini_taxonomy(engine)
    engine.dispose()
    try:
        p.start_server()
        p.start_worker()
        with launched(chromium) as browser:
            yield p, world, browser
    finally:
        p.stop()


def _upload(page: Any, p: Platform, name: str, data: bytes) -> int:
    page.goto(f"{p.url}/jobs")
    page.locator("#upload-catalog").click()
    page.locator("#upload-file").set_input_files({"name": name, "mimeType": "text/csv", "buffer": data})
    page.locator("#upload-submit").click()
    page.wait_for_url(f"{p.url}/jobs/*")
    return int(page.url.rstrip("/").rsplit("/", 1)[1])


def _count(page: Any, what: str) -> int:
    return int(page.locator(f"#count-{what}").inner_text().replace(".", ""))


def _job(p: Platform, job_id: int) -> Job:
    engine = make_engine(f"sqlite:///{p.db}")
    try:
        with Session(engine) as session:
            job = session.get_one(Job, job_id)
            session.expunge(job)
            return job
    finally:
        engine.dispose()


def _editions(p: Platform) -> int:
    engine = make_engine(f"sqlite:///{p.db}")
    try:
        with Session(engine) as session:
            return session.scalar(select(func.count(Edition.id))) or 0
    finally:
        engine.dispose()


def test_uploads_run_as_jobs_that_survive_restarts(platform: tuple[Platform, Any, Any]) -> None:
    from playwright.sync_api import expect

    p, world, browser = platform
    first = catalogue_csv(1500, bad_every=97)  # 3000 rows, 30 with unreadable hours
    second = catalogue_csv(3000, bad_every=89, first=10_000)  # 6000 rows, 67 bad
    with visitor_page(browser) as page:
        login(page, p.url, world.emails["provider_editor"], "/jobs", password=PASSWORD)
        expect(page.locator("#upload-catalog")).to_be_visible()
        expect(page.locator("#upload-postings")).to_have_count(0)  # postings feeds are the Region's

        # 1. a few thousand rows: the progress moves, then the counts and the rejected rows
        job_id = _upload(page, p, "corsi-2027.csv", first)
        page.evaluate(WATCH_BAR)
        expect(page.locator("#job-progress")).to_have_attribute("data-state", "done", timeout=180_000)
        seen = page.evaluate("window.seenBar")
        assert seen[-1] == 100 and len(set(seen)) >= 2 and any(v < 100 for v in seen), seen
        assert [_count(page, k) for k in ("read", "stored", "duplicate", "rejected")] == [3000, 2970, 0, 30]
        expect(page.locator("#job-done")).to_contain_text("3.000 righe lette, 2.970 registrate")
        rows = page.locator("#quarantine-table tbody tr")
        expect(rows).to_have_count(30)
        expect(rows.first).to_contain_text("98")  # the 97th record, on line 98 of the file
        expect(rows.first).to_contain_text("hours")
        expect(rows.first).to_contain_text("molte")
        with page.expect_download() as download:
            page.locator("#quarantine-csv").click()
        table = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
        assert table[0] == ["Riga", "Campo", "Motivo", "Record"] and len(table) == 31
        assert page.problems == []  # type: ignore[attr-defined]

        # the same file again: recognised, not imported twice
        page.goto(f"{p.url}/jobs/upload/catalog")
        page.locator("#upload-file").set_input_files({"name": "copia.csv", "mimeType": "text/csv", "buffer": first})
        page.locator("#upload-submit").click()
        expect(page.locator("#upload-error")).to_contain_text(f"già stato importato: importazione n. {job_id}")

        # 2. a larger file: meanwhile the worker is killed, the web server restarted, a worker started again
        big = _upload(page, p, "corsi-2028.csv", second)
        page.wait_for_function("() => { const b = document.getElementById('job-bar');"
                               " return b && parseFloat(b.getAttribute('aria-valuenow')) > 0; }", timeout=120_000)
        p.kill_worker()  # SIGKILL mid-job: the batch in hand is lost, the committed ones stay
        stopped = _job(p, big)
        assert stopped.state == "running" and 0 < stopped.position < 6000, (stopped.state, stopped.position)
        p.kill_server()
        p.start_server()
        page.reload()
        expect(page.locator("#job-stalled")).to_be_visible(timeout=30_000)  # nobody reports: the page says so
        p.start_worker()  # takes the job over (its heartbeat is older than 2 s), after the last committed batch
        expect(page.locator("#job-progress")).to_have_attribute("data-state", "done", timeout=300_000)
        assert [_count(page, k) for k in ("read", "stored", "duplicate", "rejected")] == [6000, 5933, 0, 67]
        done = _job(p, big)
        assert done.resumed_position == stopped.position  # resumed there, not started again
        assert _editions(p) == 2970 + 5933  # no row twice

    # 3. another provider neither sees the job nor cancels it
    with visitor_page(browser, failed_requests=False) as other:
        login(other, p.url, world.emails["other_provider_editor"], "/jobs", password=PASSWORD)
        expect(other.locator("#jobs-empty")).to_be_visible()
        answer = other.goto(f"{p.url}/jobs/{big}")
        assert answer is not None and answer.status == 404
        other.goto(f"{p.url}/jobs/upload/catalog")
        csrf = other.locator("#logout-form input[name=csrf_token]").get_attribute("value")
        refused = other.request.post(f"{p.url}/jobs/{big}/cancel", form={"csrf_token": csrf or ""},
                                     max_redirects=0)
        assert refused.status == 404
        assert other.request.get(f"{p.url}/jobs/{big}/quarantine.csv").status == 404
        assert other.request.get(f"{p.url}/api/jobs/{big}").status in (401, 404)
    assert _job(p, big).state == "done" and not _job(p, big).cancel_requested
