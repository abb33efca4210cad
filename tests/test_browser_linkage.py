"""The clerical review of record linkage in a real browser (Debian chromium + Playwright, the real app on a
loopback port): a linkage run leaves uncertain pairs; a Region administrator opens the queue, compares a pair
field by field and decides "Stessa identità"; the decision is kept (the decided list shows it) and the next
run of the same sources links the pair whatever its probability. The page speaks English with ?lang=en."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from regia.db import make_engine, migrate, session_factory
from regia.linkage import demo_data, service
from regia.linkage.model import Options
from regia.web.app import create_app
from support.accounts import PASSWORD, World, build_world
from support.browser import launched, require_assets, require_chromium
from support.servers import live_server

pytestmark = pytest.mark.browser

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
SCREENSHOTS = Path(os.environ["REGIA_SCREENSHOTS"]) if os.environ.get("REGIA_SCREENSHOTS") else None
OPTIONS = Options(threshold=0.99999, review_low=0.2, max_pairs_u=3e5, em_max_pairs=3e5)  # a wide band


@dataclass
class Scene:
    world: World
    files: tuple[Path, Path]
    truth: set[tuple[str, str]]


@pytest.fixture(scope="module")
def chromium() -> Path:
    return require_chromium()


@pytest.fixture(scope="module")
def scene(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Scene:
    tmp = tmp_path_factory.mktemp("browser-linkage")
    engine = make_engine(f"sqlite:///{tmp / 'world.db'}")
    migrate(engine)
    world = build_world(engine)
    a, b, truth = demo_data.generate(tmp / "sources", n_a=500, n_b=500, seed=17)
    outcome = service.link_files("persons", a, b, engine=engine, options=OPTIONS)
    assert outcome.queued > 0
    return Scene(world, (a, b), demo_data.truth(truth))


@pytest.fixture(scope="module")
def server(scene: Scene) -> Iterator[str]:
    app = create_app(engine=scene.world.engine)
    app.state.auth_settings = scene.world.settings
    with live_server(app) as url:
        yield url


@pytest.fixture
def page(chromium: Path) -> Iterator[Any]:
    with launched(chromium) as browser:
        context = browser.new_context(locale="it-IT", viewport={"width": 1280, "height": 1000})
        context.set_default_timeout(20_000)
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.problems = problems
        yield page


def _shot(page: Any, name: str) -> None:
    if SCREENSHOTS:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"linkage-{name}.png"), full_page=True)


def test_a_review_decision_is_kept_and_reused(server: str, scene: Scene, page: Any) -> None:
    require_assets("bootstrap-italia/css/bootstrap-italia.min.css")
    with session_factory(scene.world.engine)() as session:
        pending, _ = service.queue(session, kind="persons", limit=500)
        pair = next(r for r in pending if (r.id_a, r.id_b) in scene.truth)
        chosen = (pair.id, pair.id_a, pair.id_b, pair.probability)
    review_id, id_a, id_b, probability = chosen

    page.goto(f"{server}/login?next=/linkage/review")
    page.get_by_label("Indirizzo e-mail").fill(scene.world.emails["region_admin"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Revisione dei collegamenti")
    row = page.locator(f'#review-table tr[data-review="{review_id}"]')
    expect(row).to_be_visible()
    _shot(page, "queue")
    row.get_by_role("link", name="Apri").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Coppia {review_id}")
    expect(page.locator('#pair-table tr[data-field="id"] td').nth(0)).to_have_text(id_a)
    expect(page.locator('#pair-table tr[data-field="id"] td').nth(1)).to_have_text(id_b)
    expect(page.locator("#pair-table tbody tr")).to_have_count(10)
    _shot(page, "pair")
    page.get_by_label("Nota (facoltativa)").fill("stessa persona: CF e data coincidono")
    page.locator("#decide-match").click()

    expect(page.locator("#decision-saved")).to_have_text("Decisione registrata.")
    expect(page.locator(f'#review-table tr[data-review="{review_id}"]')).to_have_count(0)  # out of the queue
    page.get_by_label("Stato").select_option("match")
    page.get_by_role("button", name="Mostra").click()
    decided = page.locator(f'#decided-table tr[data-review="{review_id}"]')
    expect(decided).to_contain_text("Stessa identità")
    decided.get_by_role("link", name="Apri").click()
    expect(page.locator("#pair-decided")).to_contain_text("Decisione: Stessa identità")
    expect(page.locator("#pair-decided")).to_contain_text("stessa persona: CF e data coincidono")

    # in English
    page.goto(f"{server}/linkage/review/{review_id}?lang=en")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Pair {review_id}")
    expect(page.locator("#pair-decided")).to_contain_text("Decision: Same identity")
    assert page.problems == []  # type: ignore[attr-defined]

    # the next run of the same sources applies the decision: linked although under the threshold
    assert probability < OPTIONS.threshold
    again = service.link_files("persons", *scene.files, engine=scene.world.engine, options=OPTIONS)
    assert (id_a, id_b) in {(x, y) for x, y, _ in again.result.pairs}
    assert again.decisions >= 1 and again.queued == 0
