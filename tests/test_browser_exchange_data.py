"""The person's page of the exchange in a real browser (Debian chromium via Playwright): a citizen signed in
sees which system read their record and for which purpose, gives consent to a purpose that needs it — after
which the client's feed delivers the record — and reads the page in English with ?lang=en.

Needs /usr/bin/chromium: missing, it fails under CI and skips elsewhere."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from regia.exchange import api
from support.accounts import PASSWORD
from support.browser import launched, require_chromium
from support.exchange_world import ExchangeWorld, app_for, shared_template
from support.servers import free_port, live_server
from test_exchange_consent import BY_LAW, CONSENTED, FEED, PEOPLE_ESERVICE, _client, people  # noqa: F401

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect


@pytest.fixture(scope="module")
def chromium() -> Path:
    return require_chromium()


@pytest.fixture(scope="module")
def registered() -> Iterator[None]:
    api.add_eservice(PEOPLE_ESERVICE)
    yield
    api.remove_eservice("people")


@pytest.fixture
def world(registered: None) -> Iterator[ExchangeWorld]:
    world = shared_template().new()
    yield world
    world.engine.dispose()


def test_a_citizen_sees_who_read_their_data_and_gives_consent(chromium: Path, world: ExchangeWorld,
                                                              people: dict[str, str]) -> None:  # noqa: F811
    port = free_port()
    app = app_for(world, base_url=f"http://127.0.0.1:{port}", figures_max_age=0)
    app.state.auth_settings = world.world.settings
    http = TestClient(app, raise_server_exceptions=False)
    region = _client(world, http, [BY_LAW.code, CONSENTED.code], "Sistema informativo lavoro")
    assert region.get(FEED, BY_LAW.code).status_code == 200  # reads the citizen's record (by law)
    assert region.get(FEED, CONSENTED.code).json()["items"][0]["op"] == "withheld"
    with live_server(app, port=port) as url, launched(chromium) as browser:
        page: Any = browser.new_context(locale="it-IT").new_page()
        page.set_default_timeout(20_000)
        page.goto(f"{url}/login?next=/account/data")
        page.fill("input[name=email]", world.world.emails["citizen"])
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        expect(page).to_have_url(f"{url}/account/data")
        expect(page.locator("h1")).to_have_text("I miei dati")
        row = page.locator('#accesses tr[data-client="Sistema informativo lavoro"]')
        expect(row).to_have_count(1)
        expect(row).to_contain_text("Pubblicazione nel catalogo condiviso")  # the purpose's label
        consent = page.locator(f'#consents tr[data-purpose="{CONSENTED.code}"]')
        expect(consent).to_contain_text("Consenso non dato")
        consent.get_by_role("button", name="Do il consenso").click()
        expect(page.locator("#consent-saved")).to_have_text("Consenso registrato.")
        expect(consent).to_contain_text("Consenso dato")
        items = region.get(FEED, CONSENTED.code).json()["items"]
        assert [i["op"] for i in items if i["id"] == "p1"] == ["upsert"]
        page.goto(f"{url}/account/data?lang=en")
        expect(page.locator("h1")).to_have_text("My data")
        expect(consent).to_contain_text("Consent given")
        consent.get_by_role("button", name="Withdraw consent").click()
        expect(page.locator("#consent-saved")).to_contain_text("Consent withdrawn")
    assert region.get(FEED, CONSENTED.code).json()["items"][0]["op"] == "withheld"
