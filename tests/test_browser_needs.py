"""The Fabbisogni pages in a real browser (Debian's chromium driven by Playwright) against the real app served
by uvicorn, on synthetic postings ingested into a copy of the imported taxonomy: sign in, open Fabbisogni,
pick Bergamo, see the map and the top skills change - and the page show the API's numbers."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from regia.auth import service as auth_service
from regia.auth.models import OrgType, Role
from regia.auth.principal import cli_principal
from regia.catalog import demo_data as catalog_demo
from regia.catalog import ingest as catalog_ingest
from regia.config import Settings
from regia.db import make_engine, migrate, session_scope
from regia.postings import demo_data, privacy, service
from regia.web.app import create_app
from support.browser import launched, raw_identifiers, require_assets, require_chromium, visitor_page
from support.servers import live_server

pytestmark = pytest.mark.browser

EMAIL, PASSWORD = "analista@fondo.example.org", "needs-test-password-1234"

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect


@pytest.fixture(scope="module")
def chromium() -> Path:
    path = require_chromium()
    require_assets("htmx/htmx.min.js", "leaflet/leaflet.js", "vega-embed/vega-embed.min.js")
    return path


@pytest.fixture(scope="module")
def site(chromium: Path, sqlite_taxonomy: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app over ~1,500 synthetic postings, the demo's catalogue (150 courses) and one signed-up analyst of a
    Fund."""
    root = tmp_path_factory.mktemp("needs-site")
    src, dst = sqlite3.connect(str(sqlite_taxonomy.url.database)), sqlite3.connect(str(root / "regia.db"))
    src.backup(dst)
    src.close()
    dst.close()
    engine = make_engine(f"sqlite:///{root / 'regia.db'}")
    migrate(engine)
    demo_data.generate(sqlite_taxonomy, root / "demo", n=1500, seed=3)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("REGIA_PSEUDONYM_KEY", "test-key-for-browser-needs-0123456789")
        privacy._key.cache_clear()
        service.ingest(engine, demo_data.input_files(root / "demo"), facts_dir=root / "data" / "facts" / "postings")
        privacy._key.cache_clear()
    for path, source in catalog_demo.generate(engine, root / "courses", courses=150):  # courses to link to
        catalog_ingest.ingest_file(engine, path, source=source, tagger=None)
    actor = cli_principal("test")
    with session_scope(engine) as session:
        fund = auth_service.create_organisation(session, actor=actor, name="Fondo di prova", type=OrgType.FUND,
                                                tax_code="97278470584")
        auth_service.create_user(session, actor=actor, email=EMAIL, display_name="Analista", password=PASSWORD,
                                 memberships=[(fund.id, Role.VIEWER)])
    settings = Settings(database_url=engine.url.render_as_string(hide_password=False), data_dir=root / "data")
    with live_server(create_app(settings=settings, engine=engine)) as url:
        yield url


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[playwright_api.Browser]:
    with launched(chromium) as browser:
        yield browser


@pytest.fixture
def page(browser: playwright_api.Browser) -> Iterator[playwright_api.Page]:
    with visitor_page(browser, height=1000, failed_requests=False) as page:
        yield page


def _sign_in(page: playwright_api.Page, site: str) -> None:
    page.goto(f"{site}/fabbisogni")
    expect(page).to_have_url(f"{site}/login?next=%2Ffabbisogni")  # aggregates: signed-in accounts only
    expect(page.locator("#login-needed")).to_contain_text("«Fabbisogni» è riservata agli account registrati")
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(f"{site}/fabbisogni")


def _top_skills(page: playwright_api.Page) -> list[tuple[str, str]]:
    items = page.locator("#needs-top-skills li")
    return list(zip(items.locator(".skill-label").all_inner_texts(), items.locator(".skill-share").all_inner_texts(),
                    strict=True))


def _api(page: playwright_api.Page, site: str, path: str) -> dict:
    response = page.request.get(f"{site}{path}")
    assert response.ok, response.status
    return response.json()


def test_pick_bergamo_the_map_and_the_top_skills_change(site: str, page: playwright_api.Page) -> None:
    _sign_in(page, site)
    expect(page.get_by_role("heading", level=1)).to_have_text("Fabbisogni professionali")
    expect(page.locator("#needs-synthetic")).to_contain_text("Dati sintetici")
    expect(page.locator("#needs-map")).to_have_attribute("data-shapes", "12")
    expect(page.locator("#needs-map path.leaflet-interactive")).to_have_count(12)
    expect(page.locator("#needs-map path.selected")).to_have_count(0)
    assert page.locator(".leaflet-tile").count() == 0  # no tile server
    lombardy = _api(page, site, "/api/needs/summary")
    expect(page.locator("#kpi-postings")).to_have_text(f"{lombardy['postings']:,}".replace(",", "."))
    before = _top_skills(page)
    assert len(before) == 15
    page.evaluate("window.__samePage = true")

    page.get_by_label("Territorio").select_option(label="Bergamo")
    expect(page.locator("#needs-summary")).to_have_attribute("data-territory", "ITC46")
    assert page.evaluate("window.__samePage === true"), "results should arrive without reloading the page"
    expect(page.locator("#needs-map path.leaflet-interactive")).to_have_count(12)
    expect(page.locator("#needs-map path.selected")).to_have_count(1)  # the map marks Bergamo
    bergamo = _api(page, site, "/api/needs/summary?territory=ITC46")
    assert 0 < bergamo["postings"] < lombardy["postings"]
    expect(page.locator("#kpi-postings")).to_have_text(f"{bergamo['postings']:,}".replace(",", "."))
    after = _top_skills(page)
    assert after != before
    top = _api(page, site, "/api/needs/skills/top?territory=ITC46&n=15")["rows"]
    assert [label for label, _ in after] == [r["label"] for r in top]
    assert "territory=ITC46" in page.url  # the address can be shared
    expect(page.locator("#needs-provinces tr.table-primary")).to_contain_text("Bergamo")

    page.locator("#needs-top-skills li a").first.click()  # drill-down to anonymised examples
    expect(page.locator("#needs-examples h2")).to_contain_text(after[0][0])
    expect(page.locator("#needs-examples article").first).to_be_visible()
    assert "@" not in page.locator("#needs-examples").inner_text()
    examples = page.locator("#needs-top-skills li a").first.get_attribute("href")
    page.goto(site + examples)  # "Vedi esempi" opened directly (a new tab): a full page, not a bare fragment
    expect(page.get_by_role("heading", level=1)).to_have_text("Fabbisogni professionali")
    expect(page.locator("#account-name")).to_be_visible()
    expect(page.locator("main article.needs-example").first).to_be_visible()
    page.goto(f"{site}/fabbisogni?territory=ITC46")
    # the most demanded occupations, each a link to its own demand; a province's courses in the catalogue
    occupations = page.locator("#needs-top-occupations li[data-isco]")
    expect(occupations.first).to_be_visible()
    isco = occupations.first.get_attribute("data-isco")
    assert page.locator("#needs-provinces a[href^='/catalog?province=ITC']").count() >= 1
    # each also to the catalogue's courses for the ESCO occupation its postings name most
    links = page.locator("#needs-top-occupations a.occupation-courses")
    assert links.count() >= 1  # shown only where the catalogue has courses for the occupation
    courses = links.first.get_attribute("href") or ""
    assert courses.startswith("/catalog?occupation=http")
    shown = int(re.sub(r"\D", "", links.first.inner_text()))
    occupations.first.locator("a.skill-label").click()
    expect(page).to_have_url(re.compile(rf"occupation={isco}"))
    narrowed = _api(page, site, f"/api/needs/summary?territory=ITC46&occupation={isco}")
    assert 0 < narrowed["postings"] <= bergamo["postings"]
    expect(page.locator("#kpi-postings")).to_have_text(f"{narrowed['postings']:,}".replace(",", "."))
    page.goto(site + courses)
    ranked = _api(page, site, "/api/catalog/courses?" + courses.split("?", 1)[1])
    assert ranked["total"] == shown > 0
    expect(page.locator("li.course-hit").first).to_have_attribute("data-course-id", str(ranked["results"][0]["id"]))
    # the comparison and co-occurrence pages over the API's figures
    page.goto(f"{site}/fabbisogni/confronto?territory=ITC46&vs_territory=ITC4C")
    both = _api(page, site, "/api/needs/compare?territory=ITC46&vs_territory=ITC4C")
    expect(page.locator("#compare-a-postings")).to_have_text(f"{both['a']['postings']:,}".replace(",", "."))
    expect(page.locator("#compare-table tbody tr")).to_have_count(len(both["skills"]) + 1)
    page.goto(f"{site}/fabbisogni/cooccorrenze?territory=ITC46")
    pairs = _api(page, site, "/api/needs/skills/cooccurrence?territory=ITC46")["rows"]
    expect(page.locator("#cooc-table tbody tr")).to_have_count(len(pairs))
    expect(page.locator("#cooc-table tbody tr").first).to_contain_text(pairs[0]["a_label"])
    assert page.problems == []  # type: ignore[attr-defined]


def test_a_province_clicked_on_the_map_becomes_the_filter(site: str, page: playwright_api.Page) -> None:
    _sign_in(page, site)
    expect(page.locator("#needs-map path.leaflet-interactive")).to_have_count(12)
    page.locator("#needs-map path.leaflet-interactive").nth(3).dispatch_event("click")
    expect(page.locator("#needs-map path.selected")).to_have_count(1)
    territory = page.locator("#needs-summary").get_attribute("data-territory")
    assert territory and territory.startswith("ITC4") and len(territory) == 5
    assert page.get_by_label("Territorio").input_value() == territory


def test_demand_and_mismatch_pages_show_names_not_identifiers(site: str, page: playwright_api.Page) -> None:
    """The walk of issue 19 over the pages with postings behind them: Fabbisogni (Lombardy, a province, an
    occupation, the comparison, the co-occurrences) and the mismatch (Lombardy, a province): no ESCO URI, bare
    territory code or internal number as the text people read."""
    _sign_in(page, site)
    found = {}
    for path in ("/fabbisogni", "/fabbisogni?territory=ITC46", "/fabbisogni?territory=ITC46&occupation=7",
                 "/fabbisogni/confronto?territory=ITC46&vs_territory=ITC4C", "/fabbisogni/cooccorrenze",
                 "/mismatch", "/mismatch?territory=ITC46"):
        page.goto(site + path)
        expect(page.get_by_role("heading", level=1)).not_to_be_empty()
        if raw := raw_identifiers(page):
            found[path] = raw
    assert found == {}
