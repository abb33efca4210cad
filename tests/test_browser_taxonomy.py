"""The taxonomy pages in a real browser: Debian's chromium driven by Playwright, against the real app served
by uvicorn on a free loopback port, on the imported reference data.

Needs /usr/bin/chromium (``apt-get install chromium``; never ``playwright install``) and, for live search, the
map and the accessibility check, the front-end assets and axe-core (``scripts/install-assets.sh``). Missing
either fails under CI, skips elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from regia.web.app import create_app
from support.browser import launched, missing, require_assets, require_chromium, visitor_page
from support.servers import live_server as serve

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"  # npm devDependency
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WELDER = "http://data.europa.eu/esco/occupation/7aedaa07-3884-4c5b-88f9-80997b2aa54b"

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect


_missing = missing
_require_assets = require_assets


@pytest.fixture(scope="session")  # session scope: checked before the (session) taxonomy import
def chromium() -> Path:
    return require_chromium()


@pytest.fixture(scope="module")
def live_server(chromium: Path, sqlite_taxonomy: Engine) -> Iterator[str]:
    """The real application served by uvicorn on a free loopback port (checked after chromium: no browser, no
    need to import the reference data)."""
    with serve(create_app(engine=sqlite_taxonomy)) as url:
        yield url


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[playwright_api.Browser]:
    with launched(chromium) as browser:
        yield browser


@pytest.fixture
def page(browser: playwright_api.Browser) -> Iterator[playwright_api.Page]:
    """An Italian-speaking visitor; console errors and failed requests are collected in ``page.problems``."""
    with visitor_page(browser) as page:
        yield page


def test_search_while_typing_then_open_the_welder(live_server: str, page: playwright_api.Page) -> None:
    _require_assets("htmx/htmx.min.js", "bootstrap-italia/css/bootstrap-italia.min.css")
    page.goto(f"{live_server}/taxonomy")
    expect(page.locator("html")).to_have_attribute("lang", "it")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tassonomia")

    page.evaluate("window.__samePage = true")  # gone if the browser loads a new page
    page.get_by_label("Tipo di concetto").select_option("occupation")
    page.get_by_label("Cerca nella tassonomia").press_sequentially("saldatore", delay=40)
    first = page.locator("#results .result-label").first
    expect(first).to_have_text("saldatore/saldatrice")
    expect(page.locator("#result-count")).to_contain_text("risultati per «saldatore»")
    assert page.evaluate("window.__samePage === true"), "results should arrive without reloading the page"
    assert "q=saldatore" in page.url  # htmx pushed the search into the address bar

    first.click()
    page.wait_for_url(re.compile(r"/taxonomy/concepts/http://data\.europa\.eu/esco/occupation/7aedaa07"))
    expect(page.get_by_role("heading", level=1)).to_have_text("saldatore/saldatrice")
    essential = page.locator("#essential-skills")
    expect(essential.get_by_role("heading")).to_contain_text("Competenze essenziali")
    expect(essential.get_by_role("link", name="utilizzare attrezzature per la saldatura", exact=True)).to_be_visible()
    assert essential.get_by_role("listitem").count() >= 20
    expect(page.get_by_role("link", name=re.compile("7212"))).to_be_visible()
    expect(page.locator("footer")).to_contain_text(
        "Questo servizio utilizza la classificazione ESCO della Commissione europea.")
    assert page.problems == []  # type: ignore[attr-defined]


def test_search_works_without_javascript(live_server: str, browser: playwright_api.Browser) -> None:
    context = browser.new_context(locale="it-IT", java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{live_server}/taxonomy")
        page.get_by_label("Cerca nella tassonomia").fill("saldatore")
        page.get_by_label("Tipo di concetto").select_option("occupation")
        page.get_by_role("button", name="Cerca").click()
        page.wait_for_url(re.compile(r"/taxonomy\?q=saldatore&type=occupation"))
        first = page.locator("#results .result-label").first
        expect(first).to_have_text("saldatore/saldatrice")
        assert first.get_attribute("href") == f"/taxonomy/concepts/{WELDER}"
    finally:
        context.close()


def test_english_switch(live_server: str, page: playwright_api.Page) -> None:
    page.goto(f"{live_server}/taxonomy/concepts/{WELDER}")
    page.get_by_role("navigation", name="Lingua").get_by_role("link", name=re.compile("EN")).click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("welder")
    expect(page.locator("#essential-skills h2")).to_contain_text("Essential skills")
    nav = page.get_by_role("navigation", name="Main navigation")
    expect(nav.get_by_role("link", name="Taxonomy")).to_have_attribute("aria-current", "true")
    nav.get_by_role("link", name="Taxonomy").click()  # the choice sticks (cookie)
    expect(nav.get_by_role("link", name="Taxonomy")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("heading", level=1)).to_have_text("Taxonomy")


def test_map_draws_the_twelve_provinces_of_lombardy(live_server: str, page: playwright_api.Page) -> None:
    _require_assets("leaflet/leaflet.js", "leaflet/leaflet.css")
    page.goto(f"{live_server}/taxonomy/map")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mappa delle province")
    expect(page.locator("#province-map")).to_have_attribute("data-shapes", "12")
    shapes = page.locator("#province-map path.leaflet-interactive")
    expect(shapes).to_have_count(12)
    labels = page.locator("#province-map .leaflet-tooltip.province-label")
    expect(labels).to_have_count(12)
    assert {"Milano", "Bergamo", "Monza e della Brianza"} <= set(labels.all_inner_texts())
    assert page.locator(".leaflet-tile").count() == 0  # no tile server
    box = page.locator("#province-map").bounding_box()
    assert box and box["height"] > 300
    assert page.problems == []  # type: ignore[attr-defined]

    shapes.first.dispatch_event("click")  # a province opens its page
    page.wait_for_url(re.compile(r"/taxonomy/concepts/ITC4[0-9A-D]$"))
    expect(page.locator("main")).to_contain_text("NUTS 3")


def test_map_of_italy(live_server: str, page: playwright_api.Page) -> None:
    _require_assets("leaflet/leaflet.js")
    page.goto(f"{live_server}/taxonomy/map")
    page.get_by_label("Area").select_option("IT")
    page.get_by_role("button", name="Mostra").click()
    expect(page.locator("#province-map")).to_have_attribute("data-shapes", "107")
    expect(page.locator("#province-map path.leaflet-interactive")).to_have_count(107)


@pytest.mark.parametrize("path", [
    "/",
    "/taxonomy?q=saldatore",
    f"/taxonomy/concepts/{WELDER}",
    "/taxonomy/concepts/http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d",
    "/taxonomy/concepts/ITC4C",
    "/taxonomy/map",
    "/taxonomy/concepts/nowhere",
    "/taxonomy?q=welder&lang=en",
])
def test_pages_pass_axe_wcag_21_aa(live_server: str, page: playwright_api.Page, path: str) -> None:
    """No WCAG 2.1 A/AA violation that axe-core can detect (contrast, labels, landmarks, lang, names ...)."""
    _require_assets("bootstrap-italia/css/bootstrap-italia.min.css", "leaflet/leaflet.js")
    if not AXE.is_file():
        _missing(f"axe-core missing at {AXE}: run scripts/install-assets.sh (npm ci)")
    page.goto(f"{live_server}{path}", wait_until="networkidle")
    if path == "/taxonomy/map":
        expect(page.locator("#province-map")).to_have_attribute("data-shapes", "12")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
    violations = [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
                  for v in result["violations"]]
    assert violations == []
