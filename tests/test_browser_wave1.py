"""Issue 19 in a real browser (Debian chromium + Playwright, the real app on a loopback port, the imported
reference data): deadlines stored in UTC shown in Rome, the page header after login and logout, the
manifestation form with every field visible and labelled (axe-core) and its taxonomy pickers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from regia.auth.principal import cli_principal
from regia.db import session_scope
from regia.pacts import calls
from regia.web.app import create_app
from support.accounts import World, build_world, call_values
from support.browser import axe_violations, launched, require_assets, require_chromium, visitor_page
from support.pact_pages import copy_of, login, pick, save_draft
from support.servers import live_server

pytestmark = pytest.mark.browser

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

ROME = ZoneInfo("Europe/Rome")
DEADLINE = datetime(2027, 2, 28, 23, 59, tzinfo=ROME)  # 22:59 UTC (winter)
PROGRAMME = datetime(2027, 6, 30, 23, 59, tzinfo=ROME)  # 21:59 UTC (summer)


@pytest.fixture(scope="module")
def chromium() -> Path:
    return require_chromium()


@pytest.fixture(scope="module")
def world(chromium: Path, sqlite_taxonomy: Engine, tmp_path_factory: pytest.TempPathFactory) -> World:
    world = build_world(copy_of(sqlite_taxonomy, tmp_path_factory.mktemp("browser-wave1")))
    with session_scope(world.engine) as session:
        world.calls["rome"] = calls.create(session, actor=cli_principal("test"), **call_values(
            code="PATTI-ROMA", now=datetime(2027, 1, 29, tzinfo=UTC), manifestation_deadline=DEADLINE,
            programme_deadline=PROGRAMME)).id
    return world


@pytest.fixture(scope="module")
def server(world: World) -> Iterator[str]:
    app = create_app(engine=world.engine)
    app.state.auth_settings = world.settings
    with live_server(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Any]:
    with launched(chromium) as b:
        yield b


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    with visitor_page(browser, failed_requests=False) as p:
        yield p


def test_a_deadline_stored_in_utc_shows_in_rome(server: str, page: Any, world: World) -> None:
    page.goto(f"{server}/pacts/calls/{world.calls['rome']}")
    expect(page.locator("#call-deadline")).to_have_text("28/02/2027 23:59")
    expect(page.locator("main")).to_contain_text("30/06/2027 23:59")  # summer time: 21:59 UTC
    expect(page.locator("main")).not_to_contain_text("01/03/2027")
    answer = page.request.get(f"{server}/api/pacts/calls/{world.calls['rome']}").json()
    assert answer["manifestation_deadline"].endswith(("Z", "+00:00"))
    assert datetime.fromisoformat(answer["manifestation_deadline"]) == DEADLINE


def test_the_header_shows_the_account_and_logs_out(server: str, page: Any, world: World) -> None:
    page.goto(f"{server}/pacts/calls")
    expect(page.locator("#login-link")).to_have_text("Accedi")
    page.locator("#login-link").click()
    page.get_by_label("Indirizzo e-mail").fill(world.emails["partnership_editor"])
    page.get_by_label("Password").fill("test-password-1234")
    page.get_by_role("button", name="Accedi").click()
    expect(page).to_have_url(re.compile(re.escape(f"{server}/pacts/calls") + r"$"))  # back where one was
    expect(page.locator("#account-name")).to_have_text("partnership_editor")
    expect(page.locator("#account-org")).to_contain_text("Patto A")
    expect(page.locator("#login-link")).to_have_count(0)
    page.locator("#logout-button").click()
    expect(page.locator("#login-link")).to_be_visible()
    expect(page.locator("#account-name")).to_have_count(0)


def test_every_field_of_the_manifestation_is_visible_labelled_and_picks_names(
        server: str, page: Any, world: World) -> None:
    require_assets("bootstrap-italia/css/bootstrap-italia.min.css")
    draft = world.proposals["draft_a"]
    login(page, server, world.emails["partnership_editor"], f"/pacts/proposals/{draft}")
    form = page.locator("#manifestation-form")
    # Bootstrap Italia draws fields by type: none without one, every visible field with a label of its own.
    untyped = form.locator("input:not([type])")
    expect(untyped).to_have_count(0)
    unlabelled = page.evaluate("""() => [...document.querySelectorAll(
        '#manifestation-form input:not([type=hidden]), #manifestation-form select, #manifestation-form textarea')]
        .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(e => e.id || e.name)""")
    assert unlabelled == []
    heights = page.evaluate("""() => [...document.querySelectorAll('#manifestation-form .form-control')]
        .filter(e => e.type !== 'hidden' && e.getBoundingClientRect().height < 20).map(e => e.id)""")
    assert heights == []  # drawn as a field, not as a line of text
    assert axe_violations(page, "#manifestation-form") == []
    # Pickers: names found in the taxonomy, codes stored.
    pick(page, "territory-provinces", "Bergamo", "BG")
    pick(page, "actions-0-skills", "saldatura")
    chip = page.locator("#section-actions .picker-chip").first
    expect(chip).to_be_visible()
    assert "http" not in chip.inner_text()
    assert page.locator("#actions-0-skills").input_value().startswith("http://data.europa.eu/esco/skill/")
    assert axe_violations(page, "#manifestation-form") == []  # the open picker and its chips too
    save_draft(page)
    expect(page.locator("#territory-provinces")).to_have_value("BG")
    expect(page.locator("#section-territory .picker-chip").filter(has_text="Bergamo")).to_have_count(1)
    skills = page.locator("#section-actions .picker-chip")
    expect(skills).to_have_count(1)
    assert "data.europa.eu" not in skills.first.inner_text()  # the skill's name, not its URI


def test_no_dead_ends_fragments_pages_and_real_reasons(server: str, page: Any, world: World) -> None:
    # a fragment's address opened directly (a link, a new tab): the full page, with header and title
    page.goto(f"{server}/taxonomy/picker/skill?q=saldatura")
    expect(page.get_by_role("heading", level=1)).to_have_text("Competenze ESCO")
    expect(page.locator("#account-zone")).to_be_visible()
    expect(page.locator("#picker-results [role=option]").first).to_be_visible()
    # orientation: what it could not find, in Italian
    page.goto(f"{server}/catalog/orientation?current=saldatore&target=abc+xyzzy+qwerty")
    expect(page.locator("main .alert")).to_contain_text("Nessuna professione ESCO con un nome simile a")
    # the ranking of an open call: no "publish" button, the reason instead
    login(page, server, world.emails["region_admin"], f"/pacts/calls/{world.calls['open']}/ranking")
    expect(page.locator("#publish-ranking")).to_have_count(0)
    expect(page.locator("#ranking-not-yet")).to_contain_text("La graduatoria non si può ancora pubblicare: la scadenza")


@pytest.mark.parametrize(("who", "path", "form"), [
    (None, "/login", "main form"),
    (None, "/catalog/orientation", "main form"),
    (None, "/mismatch", "main form"),
    ("region_admin", "/pacts/calls/new", "#call-form"),
    ("fund_editor", "/catalog", "#catalog-search"),  # with the "my Fund" filter
    ("partnership_editor", "/fabbisogni/confronto", "#compare-form"),
])
def test_forms_pass_axe(server: str, page: Any, world: World, who: str | None, path: str, form: str) -> None:
    """Every form's fields visible and labelled, readable (axe-core: labels, names, contrast)."""
    require_assets("bootstrap-italia/css/bootstrap-italia.min.css")
    if who:
        login(page, server, world.emails[who], path)
    else:
        page.goto(server + path)
    expect(page.locator(form).first).to_be_visible()
    untyped = page.locator(f"{form} input:not([type])")
    expect(untyped).to_have_count(0)
    assert axe_violations(page, form) == []
