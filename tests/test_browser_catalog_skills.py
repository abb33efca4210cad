"""The provider confirms its course's skills in a real browser (Debian chromium + Playwright, the real app on a
loopback port, the full ESCO taxonomy): it logs in, opens its course, removes a classifier tag, confirms
another, adds a skill found by searching the taxonomy (htmx suggestions while typing) and saves; the page
shows "Competenze aggiornate." and each skill's new origin. Another provider sees the skills read-only."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from regia.auth import service as accounts
from regia.auth.models import OrgType, Role
from regia.auth.principal import cli_principal
from regia.catalog import service as catalog
from regia.catalog.models import ORIGIN_CLASSIFIER, Course, CourseSkill
from regia.db import make_engine, migrate, session_scope
from regia.web.app import create_app
from support.accounts import ORGS, PASSWORD, World, build_world, publish_course
from support.browser import launched, require_assets, require_chromium
from support.servers import live_server

pytestmark = pytest.mark.browser

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
SCREENSHOTS = Path(os.environ["REGIA_SCREENSHOTS"]) if os.environ.get("REGIA_SCREENSHOTS") else None
ADD_QUERY, ADD_LABEL = "spreadsheets", "utilizzare fogli di calcolo"  # its Italian display label
OTHER_PROVIDER = ("Accademia dei Mestieri di Lecco", "09000000068", "altro.ente@example.org")


@dataclass
class Scene:
    world: World
    course: int
    tagged: list[dict[str, Any]]  # the classifier's tags: [removed, confirmed, left as they are]
    added: dict[str, Any]  # a skill the provider adds, found by search


@pytest.fixture(scope="module")
def chromium() -> Path:
    return require_chromium()


@pytest.fixture(scope="module")
def scene(chromium: Path, sqlite_taxonomy: Engine, tmp_path_factory: pytest.TempPathFactory) -> Scene:
    """A copy of the full taxonomy with the test accounts, a second provider with an editor, and the first
    provider's course tagged by the classifier with three welding skills."""
    path = tmp_path_factory.mktemp("browser-catalog-skills") / "world.db"
    src, dst = sqlite3.connect(str(sqlite_taxonomy.url.database)), sqlite3.connect(str(path))
    src.backup(dst)
    src.close()
    dst.close()
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    world = build_world(engine)
    course = publish_course(engine, vat=ORGS["provider"][3] or "")
    with session_scope(engine) as session:
        name, vat, email = OTHER_PROVIDER
        org = accounts.create_organisation(session, actor=cli_principal("test"), name=name, type=OrgType.PROVIDER,
                                           vat_number=vat)
        accounts.create_user(session, actor=cli_principal("test"), email=email, display_name="Altro ente",
                             password=PASSWORD, memberships=[(org.id, Role.EDITOR)])
    tagged = catalog.suggest_skills(engine, "welding", limit=3)  # the ESCO files here hold English labels
    added = next(s for s in catalog.suggest_skills(engine, ADD_QUERY, limit=5) if s["label"] == ADD_LABEL)
    assert len(tagged) == 3
    with Session(engine) as session:
        row = session.get(Course, course)
        assert row is not None
        for skill, score in zip(tagged, (0.83, 0.71, 0.55), strict=True):
            row.skills.append(CourseSkill(uri=skill["uri"], origin=ORIGIN_CLASSIFIER, score=score))
        session.commit()
    return Scene(world, course, tagged, added)


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


def _login(page: Any, server: str, email: str, target: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{server}/login?next={target}")
    page.get_by_label("Indirizzo e-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Accedi").click()


def _shot(page: Any, name: str) -> None:
    if SCREENSHOTS:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"catalog-skills-{name}.png"), full_page=True)


def _stored(engine: Engine, course: int) -> dict[str, tuple[str, bool]]:
    with Session(engine) as session:
        return {s.uri: (s.origin, s.confirmed)
                for s in session.scalars(select(CourseSkill).where(CourseSkill.course_id == course))}


def test_the_provider_confirms_removes_and_adds_skills(server: str, scene: Scene, page: Any) -> None:
    require_assets("htmx/htmx.min.js", "bootstrap-italia/css/bootstrap-italia.min.css")
    removed, confirmed, left = scene.tagged
    target = f"/catalog/courses/{scene.course}"
    _login(page, server, scene.world.emails["provider_editor"], target)
    expect(page.get_by_role("heading", level=1)).to_have_text("Corso di prova online")
    form = page.locator("#skills-form")
    expect(form).to_be_visible()
    rows = page.locator("#skills-table tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first.locator(".skill-origin")).to_have_text("classificatore")
    expect(rows.first.locator(".skill-score")).to_have_text("0,83")

    page.locator(f'tr[data-uri="{removed["uri"]}"] label', has_text="Rimuovi").click()
    page.locator(f'tr[data-uri="{confirmed["uri"]}"] label', has_text="Conferma").click()
    page.evaluate("window.__samePage = true")
    page.get_by_label("Aggiungi una competenza").press_sequentially(ADD_QUERY, delay=30)
    suggestion = page.locator("#skill-suggestions label", has_text=scene.added["label"]).first
    expect(suggestion).to_be_visible()
    assert page.evaluate("window.__samePage === true"), "suggestions arrive without reloading the page"
    suggestion.click()
    expect(page.locator(f'#skill-suggestions input[value="{scene.added["uri"]}"]')).to_be_checked()
    _shot(page, "form")
    page.get_by_role("button", name="Salva le competenze").click()

    expect(page.locator("#skills-saved")).to_have_text("Competenze aggiornate.")
    expect(page).to_have_url(f"{server}{target}?saved=1")
    expect(page.locator(f'tr[data-uri="{removed["uri"]}"]')).to_have_count(0)
    expect(page.locator(f'tr[data-uri="{confirmed["uri"]}"] .skill-origin')).to_have_text("confermata")
    expect(page.locator(f'tr[data-uri="{left["uri"]}"] .skill-origin')).to_have_text("classificatore")
    expect(page.locator(f'tr[data-uri="{scene.added["uri"]}"] .skill-origin')).to_have_text("ente")
    assert _stored(scene.world.engine, scene.course) == {
        confirmed["uri"]: ("classifier", True), left["uri"]: ("classifier", False),
        scene.added["uri"]: ("provider", True)}
    _shot(page, "saved")
    assert page.problems == []  # type: ignore[attr-defined]

    # another provider reads the same skills, without the form
    _login(page, server, OTHER_PROVIDER[2], target)
    expect(page.get_by_role("heading", level=1)).to_have_text("Corso di prova online")
    expect(page.locator(".course-skills li")).to_have_count(3)
    expect(page.locator("#skills-form")).to_have_count(0)
    expect(page.get_by_label("Aggiungi una competenza")).to_have_count(0)
    _shot(page, "read-only")
