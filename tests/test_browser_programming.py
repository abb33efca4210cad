"""The programming pages in a real browser (Debian chromium + Playwright, the real app on a loopback port): the
Region's staff create an agreement with a Fund and a plan with a tranche that breaks a rule (shown next to its
line), fix it, import two scenarios, compare them (charts and map drawn), turn one into the plan's tranches; the
Fund's user sees their agreement and not the other Fund's, and the other Fund's user the reverse."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from regia.web.app import create_app
from support.accounts import World, build_world
from support.browser import launched, require_assets, require_chromium, visitor_page
from support.pact_pages import copy_of, login, shot
from support.programming_world import SMALL_SCENARIO, seed
from support.servers import live_server

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect


@pytest.fixture(scope="module")
def chromium() -> Path:
    return require_chromium()


@pytest.fixture(scope="module")
def world(chromium: Path, sqlite_taxonomy: Engine, tmp_path_factory: pytest.TempPathFactory) -> World:
    """A copy of the imported reference data (for the province map), the test accounts, the funding sources and
    an agreement with each test Fund."""
    engine = copy_of(sqlite_taxonomy, tmp_path_factory.mktemp("browser-programming"))
    w = build_world(engine)
    seed(engine, w)
    return w


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


def _import(page: Any, server: str, document: dict[str, Any]) -> str:
    page.goto(f"{server}/programming/scenarios")
    page.locator("#document").fill(json.dumps(document))
    page.locator("#import").click()
    expect(page.locator("#result-status")).to_contain_text("Ottimo")
    return page.url.rsplit("/", 1)[1]


def test_agreement_plan_scenarios_and_fund_views(server: str, browser: Any, world: World) -> None:
    require_assets("bootstrap-italia/css/bootstrap-italia.min.css", "leaflet/leaflet.js",
                   "vega-embed/vega-embed.min.js")
    with visitor_page(browser) as page:
        login(page, server, world.emails["region_admin"], "/programming")
        page.locator("#new-agreement").click()
        page.locator("#code").fill("ACC-BROWSER")
        page.locator("#fund_id").select_option(label="Fondimpresa")
        page.locator("#title").fill("Accordo di prova dal browser")
        page.get_by_label("Competenze digitali").check()
        page.locator("#commitment_region").fill("Voucher a catalogo complementari")
        page.locator("#sig-0-name").fill("Assessora")
        page.locator("#sig-0-party").select_option("region")
        page.locator("#sig-1-name").fill("Presidente del Fondo")
        page.locator("#sig-1-party").select_option("fund")
        page.locator("#create-agreement").click()
        expect(page.locator("#done")).to_have_text("Salvato.")
        expect(page.locator("#agreement-status")).to_have_text("Bozza")
        page.locator("#to-signed").click()
        expect(page.locator("#agreement-status")).to_have_text("Sottoscritto")

        page.locator("#create-plan").click()
        expect(page.locator("h1")).to_have_text("Piano attuativo pluriennale")
        page.locator("#lines-0-code").fill("L1")
        page.locator("#lines-0-title").fill("Digitale nelle PMI milanesi")
        page.locator("#lines-0-area").select_option("digital")
        page.locator("#lines-0-target").select_option("occupati")
        page.locator("#lines-0-territory").fill("ITC4C")
        page.locator("#lines-0-channel").select_option("fund_notice")
        page.locator("#lines-0-cost-2026").fill("50000")
        page.locator("#tranches-0-line").fill("L1")
        page.locator("#tranches-0-source").select_option("fse-p1")  # FSE+ may not fund the employed
        page.locator("#tranches-0-year").fill("2026")
        page.locator("#tranches-0-planned").fill("40000")
        page.locator("#save-plan").click()
        issue = page.locator("#issues-L1")
        expect(issue).to_contain_text("Linea L1, 2026")
        expect(issue).to_contain_text("non può finanziare il target «occupati»")
        expect(page.locator("#line-L1")).to_have_class("table-danger")
        shot(page, "programming-plan-issue")
        page.problems.clear()  # the refused save answered 422, on purpose
        page.locator("#tranches-0-source").select_option("fund-a-cf")
        page.locator("#save-plan").click()
        expect(page.locator("#saved")).to_have_text("Piano salvato.")
        expect(page.locator("#issues-L1")).to_have_text("")
        plan_url = page.url.split("?")[0]

        first = _import(page, server, {**SMALL_SCENARIO, "name": "Scenario A"})
        other = copy.deepcopy(SMALL_SCENARIO)
        other.update(name="Scenario B", floor={"ITC4C": 0.4})
        second = _import(page, server, other)
        page.goto(f"{server}/programming/compare?ids={first},{second}")
        expect(page.locator("#compare-table thead th")).to_have_count(5)
        for chart in ("target", "source", "province"):
            expect(page.locator(f"#chart-{chart}")).to_have_attribute("data-ready", "true")
            expect(page.locator(f"#chart-{chart} svg, #chart-{chart} canvas").first).to_be_visible()
        expect(page.locator("#compare-map")).to_have_attribute("data-ready", "true")
        expect(page.locator("#compare-map path.leaflet-interactive").first).to_be_visible()
        shot(page, "programming-compare")

        page.goto(f"{server}/programming/scenarios/{first}")
        page.locator("#plan_id").select_option(label="ACC-BROWSER · Piano attuativo pluriennale")
        page.locator("#apply").click()
        expect(page.locator("#saved")).to_have_text("Piano salvato.")
        assert page.url.split("?")[0] == plan_url
        sources = page.locator("#tranches select[id$='-source']")
        chosen = {sources.nth(i).input_value() for i in range(sources.count())}
        assert {"fund-a-cf", "regional"} <= chosen
        expect(page.locator("#lines tbody tr")).to_have_count(3)  # L1 and the two cells of the scenario
        assert page.problems == [], page.problems

    with visitor_page(browser) as page:
        login(page, server, world.emails["fund_editor"], "/programming")
        codes = page.locator("#agreements tbody tr").evaluate_all("rows => rows.map(r => r.dataset.code)")
        assert set(codes) == {"ACC-BROWSER", "ACC-FONDIMPRESA"}
        page.goto(f"{server}/programming/cabina")
        expect(page.locator("#cabina-sources tr.others")).to_have_count(1)  # the other Fund: one aggregate year
        expect(page.locator("#cabina-agreements")).not_to_contain_text("ACC-FONDO-B")

    with visitor_page(browser) as page:
        login(page, server, world.emails["fund_b_editor"], "/programming")
        codes = page.locator("#agreements tbody tr").evaluate_all("rows => rows.map(r => r.dataset.code)")
        assert codes == ["ACC-FONDO-B"]
