"""Outcomes and impact in a real browser (Debian's chromium through Playwright) against the app served by
uvicorn on simulated outcomes: a Region analyst opens a course's indicators, runs the impact evaluation with PSM
and DiD (the naive difference shown beside them, labelled), sees the event-study chart drawn, and reads the
report."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from regia.web.app import create_app
from support import outcomes_world
from support.accounts import World
from support.browser import launched, require_assets, require_chromium, visitor_page
from support.pact_pages import login, shot
from support.servers import live_server

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, World, Path]]:
    chromium = require_chromium()
    require_assets("vega-embed/vega-embed.min.js", "vega-lite/vega-lite.min.js", "vega/vega.min.js")
    world, _ = outcomes_world.build(tmp_path_factory.mktemp("outcomes-browser"), persons=500)
    app = create_app(engine=world.engine)
    app.state.auth_settings = world.settings
    with live_server(app) as server:
        yield server, world, chromium


def test_an_analyst_reads_a_course_runs_psm_and_did_and_reads_the_report(site: tuple) -> None:
    server, world, chromium = site
    course = world.courses["provider"]
    with launched(chromium) as browser, visitor_page(browser, failed_requests=False) as page:
        login(page, server, world.emails["region_viewer"], f"/esiti/corsi/{course}")
        expect(page.locator("h1")).to_have_text("Esiti del corso")
        expect(page.locator("#course-title")).to_contain_text("Corso di prova online")
        expect(page.locator("#course-summary")).to_contain_text("Occupati a 12 mesi")
        expect(page.locator("#synthetic-note")).to_be_visible()
        shot(page, "monitoring-course")
        page.locator("#impact-link").click()
        expect(page.locator("h1")).to_have_text("Valutazione d'impatto")
        page.get_by_label("Esito").select_option("employed_12m")
        page.locator("label[for='method-psm']").click()  # Bootstrap Italia draws the box on the label
        page.locator("label[for='method-did']").click()
        expect(page.locator("#method-psm")).to_be_checked()
        page.set_default_timeout(240_000)  # the estimates run on the server (bootstrap included)
        page.locator("#impact-run").click()
        expect(page).to_have_url(re.compile(r"/esiti/impatto\?.*method=psm.*method=did"))
        page.set_default_timeout(20_000)
        results = page.locator("#impact-results")
        expect(results.locator("tr[data-method='psm']")).to_contain_text("punti percentuali")
        expect(results.locator("tr[data-method='did']")).to_be_visible()
        expect(results.locator("tr[data-method='naive']")).to_contain_text("non causale")
        expect(page.locator("#event-study")).to_have_attribute("data-ready", "true")
        expect(page.locator("#event-study svg")).to_be_visible()
        shot(page, "monitoring-impact")
        page.locator("#report-link").click()
        report = page.locator("#impact-report")
        expect(report.locator("h1")).to_contain_text("Valutazione d'impatto: Occupato a 12 mesi dall'ingresso")
        for heading in ("In breve", "Il metodo", "Le ipotesi", "I controlli", "Avvertenze"):
            expect(report.get_by_role("heading", name=heading)).to_be_visible()
        expect(report).to_contain_text("andamenti paralleli")
        expect(report).to_contain_text("non va letta come effetto")
        shot(page, "monitoring-report")
        pdf = page.request.get(server + (page.locator("#report-pdf").get_attribute("href") or ""))
        assert pdf.ok and pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")
        assert not [p for p in page.problems if "favicon" not in p], page.problems
