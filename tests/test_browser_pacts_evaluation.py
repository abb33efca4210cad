"""The evaluation in a real browser (Debian chromium via Playwright, the real app on a loopback port): the
Region declares two proposals admissible and assigns two evaluators; each evaluator declares no conflict of
interest and scores (one of them meets the stale-save conflict message in a second window); the Region closes
the evaluations and publishes the ranking, which shows the granted amounts, the remaining envelope and the
outcome letters.

Needs /usr/bin/chromium: missing, it fails under CI and skips elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from regia.db import make_engine, migrate, session_scope
from regia.web.app import create_app
from support.accounts import PASSWORD, make_settings
from support.browser import launched, require_chromium
from support.pact_pages import login, shot
from support.servers import live_server
from test_pacts_evaluation import Panel, build_panel, make_call, submitted_proposal

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

SCORES = {0: {"C1": "9", "C2": "8", "C3": "8"}, 1: {"C1": "8", "C2": "7", "C3": "7"}}
SECOND = {0: {"C1": "7", "C2": "6", "C3": "6"}, 1: {"C1": "7", "C2": "7", "C3": "6"}}


@pytest.fixture(scope="module")
def chromium() -> Path:
    return require_chromium()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Engine, Panel, dict[str, int]]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('browser-eval') / 'eval.db'}")
    migrate(engine)
    panel = build_panel(engine, password=PASSWORD)
    with session_scope(engine) as session:
        call = make_call(session, budget={"regional": "150000", "fse_plus": "50000"})
        first = submitted_proposal(session, call=call, organisation_id=panel.partnerships[0],
                                   title="Manifattura 4.0 in Brianza", requested={"regional": "100000"})
        second = submitted_proposal(session, call=call, organisation_id=panel.partnerships[1],
                                    title="Turismo in Valtellina", requested={"regional": "80000"})
        ids = {"call": call.id, "first": first.id, "second": second.id}
    return engine, panel, ids


@pytest.fixture(scope="module")
def server(chromium: Path, world: tuple[Engine, Panel, dict[str, int]]) -> Iterator[str]:
    app = create_app(engine=world[0])
    app.state.auth_settings = make_settings()
    with live_server(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Any]:
    with launched(chromium) as b:
        yield b


def _login(browser: Any, server: str, email: str) -> Any:
    """A new browser context signed in as ``email``, on the evaluation home (closed by the caller)."""
    context = browser.new_context(locale="it-IT")
    context.set_default_timeout(20_000)
    page = context.new_page()
    login(page, server, email, "/pacts/evaluation")
    expect(page.get_by_role("heading", level=1)).to_have_text("Valutazione dei Patti territoriali")
    return page


def _fill(page: Any, scores: dict[str, str]) -> None:
    for code, value in scores.items():
        page.locator(f"#score-{code}").fill(value)


def test_two_evaluators_score_and_the_region_publishes(server: str, browser: Any,
                                                       world: tuple[Engine, Panel, dict[str, int]]) -> None:
    ids = world[2]
    region = _login(browser, server, "funzionario@example.org")

    # admissibility and assignments, for both proposals
    for key in ("first", "second"):
        region.goto(f"{server}/pacts/evaluation/proposals/{ids[key]}")
        checks = region.locator("#admissibility-checks tbody tr")
        expect(checks).to_have_count(5)
        expect(region.locator("#admissibility-checks tr.table-danger")).to_have_count(0)
        shot(region, "evaluation-admissibility")
        region.locator("#decide-admissibility").click()
        expect(region.locator("#done")).to_have_text("Decisione sull'ammissibilità registrata.")
        expect(region.locator("#proposal-status")).to_have_text("Ammissibile")
        for name in ("valutatore1", "valutatore2"):
            region.locator("#evaluator").select_option(label=f"{name} ({name}@example.org)")
            region.locator("#assign-evaluator").click()
            expect(region.locator("#done")).to_have_text("Valutatore assegnato.")
        expect(region.locator("#assignments-table tbody tr")).to_have_count(2)

    # each evaluator declares and scores
    for who, email in ((0, "valutatore1@example.org"), (1, "valutatore2@example.org")):
        page = _login(browser, server, email)
        expect(page.locator("#assignments-table tbody tr")).to_have_count(2)
        for key, scores in (("first", SCORES[who]), ("second", SECOND[who])):
            page.goto(f"{server}/pacts/evaluation")
            page.get_by_role("link", name="Manifattura 4.0 in Brianza" if key == "first"
                             else "Turismo in Valtellina").click()
            page.locator("label[for=coi-no]").click()  # Bootstrap Italia draws the radio on the label
            expect(page.locator("#coi-no")).to_be_checked()
            page.locator("#coi-submit").click()
            expect(page.locator("#done")).to_have_text("Dichiarazione registrata.")
            expect(page.locator("#score-form")).to_be_visible()
            if who == 1 and key == "first":
                # a second window on the same sheet: the older one's save is refused, nothing overwritten
                other = page.context.new_page()
                other.goto(page.url)
                _fill(page, {"C1": "6"})
                page.locator("#save-scores").click()
                expect(page.locator("#done")).to_have_text("Salvataggio eseguito.")
                _fill(other, {"C1": "2"})
                other.locator("#comment-C1").fill("scarso")
                with other.expect_response(lambda r: r.request.method == "POST") as answer:
                    other.locator("#save-scores").click()
                assert answer.value.status == 409
                expect(other.locator("#sheet-conflict")).to_contain_text("modificati da qualcun altro")
                expect(other.locator("#unsaved")).to_contain_text("C1 = 2 (scarso)")  # what was typed
                expect(other.locator("#score-C1")).to_have_value("6")  # the sheet as saved meanwhile
                shot(other, "evaluation-stale-save")
                other.close()
                page.reload()
                expect(page.locator("#score-C1")).to_have_value("6")
            # under the threshold without a comment: refused with the reason
            _fill(page, {"C1": "3"})
            page.locator("#submit-scores").click()
            expect(page.locator("#sheet-error")).to_contain_text("Criterio C1")
            expect(page.locator("#score-C1")).to_have_value("3")  # what was typed stays in the form
            _fill(page, scores)
            page.locator("#submit-scores").click()
            expect(page.locator("#done")).to_have_text("Valutazione inviata.")
            expect(page.locator("#sheet-readonly")).to_be_visible()
            expect(page.locator("#score-C1")).to_be_disabled()
            shot(page, f"evaluation-sheet-{who}-{key}")
        page.context.close()

    # the Region closes the evaluations and publishes the ranking
    for key in ("first", "second"):
        region.goto(f"{server}/pacts/evaluation/proposals/{ids[key]}")
        expect(region.locator("#submitted-sheets")).to_have_text("2")
        region.locator("#close-evaluation").click()
        expect(region.locator("#proposal-status")).to_have_text("Valutata")
    region.goto(f"{server}/pacts/evaluation/proposals/{ids['first']}")
    expect(region.locator("#total-score")).to_have_text("32,00")  # averages 8.5, 7.5, 7.5 with weights 2, 1, 1
    region.locator("#ranking-link").click()
    expect(region.locator("#ranking-state")).to_have_attribute("data-published", "false")
    rows = region.locator("#ranking-table tbody tr")
    expect(rows).to_have_count(2)
    region.locator("#publish-ranking").click()
    expect(region.locator("#done")).to_have_text("Graduatoria pubblicata.")
    expect(region.locator("#ranking-state")).to_have_attribute("data-published", "true")
    first = region.locator(f"#rank-row-{ids['first']}")
    expect(first.locator(".rank")).to_have_text("1")
    expect(first.locator(".outcome")).to_have_text("Finanziata")
    expect(first.locator(".granted")).to_contain_text("100.000,00 €")
    expect(region.locator(f"#rank-row-{ids['second']} .outcome")).to_have_text("Idonea non finanziata")
    expect(region.locator("#remaining-table tr[data-source=regional] .remaining")).to_have_text("50.000,00 €")
    expect(region.locator("#publish-ranking")).to_have_count(0)
    shot(region, "evaluation-ranking")
    letter = region.request.get(server + region.locator(f"#letter-{ids['first']}").get_attribute("href"))
    assert letter.status == 200 and letter.body().startswith(b"%PDF")
    region.context.close()
