"""The catalogue and mismatch pages in a real browser (Debian chromium + Playwright, the real app on a
loopback port): search with facets, and the mismatch page with its close-a-gap view. Fixtures for the
browser come from the taxonomy's browser tests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from regia.postings import facts
from regia.web.app import create_app
from support.servers import live_server
from test_browser_taxonomy import (  # noqa: F401  (fixtures: chromium, browser, page)
    _require_assets,
    browser,
    chromium,
    expect,
    page,
    playwright_api,
)
from test_mismatch_analytics import build_world

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def world(chromium: Path, sqlite_taxonomy: Engine,  # noqa: F811
          tmp_path_factory: pytest.TempPathFactory) -> tuple[Engine, Path, list[str]]:
    return build_world(sqlite_taxonomy, tmp_path_factory.mktemp("browser-catalog"))


@pytest.fixture(scope="module")
def server(world: tuple[Engine, Path, list[str]]) -> Iterator[str]:
    engine, root, _ = world
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(facts, "default_dir", lambda: root)
        with live_server(create_app(engine=engine)) as url:
            yield url


def test_search_with_facets(server: str, page: playwright_api.Page) -> None:  # noqa: F811
    _require_assets("bootstrap-italia/css/bootstrap-italia.min.css")
    page.goto(f"{server}/catalog")
    expect(page.get_by_role("heading", level=1)).to_have_text("Catalogo unico dei servizi formativi")
    page.get_by_label("Cerca corsi").fill("saldatura")
    page.get_by_role("button", name="Cerca", exact=True).click()
    expect(page).to_have_url(re.compile(r"q=saldatura"))
    expect(page.locator(".course-hit h3").first).to_contain_text(re.compile("[Ss]aldat"))

    province = page.locator("fieldset[data-facet=province] label", has_text="Brescia")
    count = int(province.locator(".facet-count").inner_text().replace(".", ""))
    province.click()
    page.locator("fieldset[data-facet=target] label", has_text="Disoccupati").click()
    page.get_by_role("button", name="Applica i filtri").click()
    expect(page).to_have_url(re.compile(r"province=ITC47"))
    expect(page.locator("fieldset[data-facet=province] input[value=ITC47]")).to_be_checked()
    total = int(re.sub(r"\D", "", page.locator("#result-total").inner_text()))
    assert 0 < total <= count
    # the counts shown are the API's (themselves checked against SQL in test_catalog_search)
    api = page.request.get(f"{server}/api/catalog/courses?q=saldatura&province=ITC47&target=disoccupati").json()
    assert api["total"] == total
    shown = {el.get_attribute("data-value"): int(el.locator("xpath=..").locator(".facet-count").inner_text()
                                                 .replace(".", ""))
             for el in page.locator("fieldset[data-facet=modality] .facet-value").all()}
    assert shown == api["facets"]["modality"]
    expect(page.locator(".course-hit h3").first).to_contain_text(re.compile("[Ss]aldat"))
    page.locator(".course-hit h3 a").first.click()
    expect(page.locator("h2", has_text="Competenze insegnate")).to_be_visible()
    assert page.problems == []  # type: ignore[attr-defined]


def test_mismatch_page_and_closing_a_gap(server: str, page: playwright_api.Page) -> None:  # noqa: F811
    _require_assets("bootstrap-italia/css/bootstrap-italia.min.css")
    page.goto(f"{server}/mismatch")
    page.get_by_label("Provincia", exact=True).select_option("ITC46")
    page.get_by_label("Settore (ATECO)").select_option("C")
    page.get_by_role("button", name="Mostra").click()
    expect(page).to_have_url(re.compile(r"territory=ITC46.*sector=C"))
    expect(page.locator("#map path.leaflet-interactive")).to_have_count(12)  # the provinces, coloured by coverage
    answer = page.request.get(f"{server}/api/mismatch?territory=ITC46&sector=C&limit=80").json()
    ranked = [r for r in answer["rows"] if not r["untaggable"]][:40]  # transversal and language skills apart
    api = {"rows": ranked}
    rows = page.locator("#gap-table tbody tr")
    expect(rows).to_have_count(len(ranked))
    apart = [r for r in answer["rows"] if r["untaggable"]]
    expect(page.locator("#transversal-table tbody tr")).to_have_count(min(20, len(apart)))
    expect(page.locator("#map-legend li")).to_have_count(6)  # the map's colour scale, explained
    assert page.locator("#sector option[value=C]").inner_text() == "C – Attività manifatturiere"  # not upper-case
    csv = page.request.get(f"{server}{page.locator('#mismatch-export').get_attribute('href')}")
    assert csv.ok and csv.text().splitlines()[0].startswith("skill,label,demand")
    future = page.request.get(f"{server}/api/mismatch?territory=ITC46&start=2099-01").json()
    assert future["postings"] == 0 < answer["postings"]  # the period filter reaches the demand side
    for i, row in enumerate(api["rows"][:5]):
        cells = rows.nth(i)
        expect(cells.locator(".demand")).to_have_text(str(row["demand"]))
        expect(cells.locator(".supply")).to_have_text(str(row["supply"]))
    with_supply = next(i for i, r in enumerate(api["rows"]) if r["supply"] > 0)
    rows.nth(with_supply).get_by_role("link", name="Colmare").click()
    expect(page.locator("#gap-courses tbody tr").first).to_be_visible()
    expect(page.locator("#gap-courses .distance", has_text="km").first).to_be_visible()
    assert page.problems == []  # type: ignore[attr-defined]
