"""Access rules in a real browser (Debian chromium via Playwright) against the real app on a loopback port:
a partnership editor logs in, cannot open another partnership's draft (403 page), and edits their own.

Needs /usr/bin/chromium (``apt-get install chromium``; never ``playwright install``): missing, it fails under
CI and skips elsewhere.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from regia.auth.demo import DEMO_PASSWORD, seed_demo_accounts
from regia.auth.models import AuditEntry, Organisation
from regia.db import make_engine, migrate, session_factory
from regia.pacts.demo_data import ensure_demo_pacts
from regia.pacts.models import DRAFT, Proposal
from regia.web.app import create_app
from support.accounts import make_settings
from support.browser import launched, require_chromium
from support.servers import live_server

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(os.environ.get("REGIA_SCREENSHOTS", "")) if os.environ.get("REGIA_SCREENSHOTS") else None

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect


@pytest.fixture(scope="module")
def chromium() -> Path:
    return require_chromium()


@pytest.fixture(scope="module")
def demo_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('browser') / 'demo.db'}")
    migrate(engine)
    seed_demo_accounts(engine)
    ensure_demo_pacts(engine)
    return engine


@pytest.fixture(scope="module")
def server(chromium: Path, demo_engine: Engine) -> Iterator[str]:
    app = create_app(engine=demo_engine)
    app.state.auth_settings = make_settings()
    with live_server(app) as url:
        yield url


@pytest.fixture
def page(chromium: Path) -> Iterator[Any]:
    with launched(chromium) as browser:
        context = browser.new_context(locale="it-IT")
        context.set_default_timeout(20_000)
        yield context.new_page()


def _drafts(engine: Engine) -> dict[str, int]:
    with session_factory(engine)() as session:
        rows = session.execute(select(Organisation.name, Proposal.id).join(
            Organisation, Organisation.id == Proposal.organisation_id).where(Proposal.status == DRAFT)).all()
    return {name: proposal_id for name, proposal_id in rows}


def _shot(page: Any, name: str) -> None:
    if SCREENSHOTS:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_partnership_editor_sees_own_draft_only(server: str, page: Any, demo_engine: Engine) -> None:
    drafts = _drafts(demo_engine)
    own = drafts["Patto Brianza Manifattura 4.0 (demo)"]
    other = drafts["Patto Valtellina Turismo (demo)"]

    # Not logged in: the other partnership's draft sends to the login page, which comes back after login.
    page.goto(f"{server}/pacts/proposals/{other}")
    expect(page).to_have_url(f"{server}/login?next=%2Fpacts%2Fproposals%2F{other}")
    expect(page.get_by_role("heading", name="Accedi")).to_be_visible()
    _shot(page, "login")
    page.get_by_label("Indirizzo e-mail").fill("brianza@patto.demo")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    with page.expect_response(lambda r: r.url.endswith(f"/pacts/proposals/{other}")) as answer:
        page.get_by_role("button", name="Accedi").click()
    assert answer.value.status == 403
    expect(page.get_by_role("heading", name="Accesso non consentito")).to_be_visible()
    expect(page.get_by_text("Bozza del Patto")).to_have_count(0)
    expect(page.get_by_text("Accoglienza e lingue")).to_have_count(0)  # nothing of the other draft shows
    _shot(page, "forbidden")

    # The list holds the own partnership's proposals only.
    page.goto(f"{server}/pacts/proposals")
    expect(page.get_by_role("link", name="Competenze digitali per la manifattura brianzola")).to_be_visible()
    expect(page.get_by_text("Accoglienza e lingue per il turismo in Valtellina")).to_have_count(0)

    # The own draft opens as a form and saves.
    response = page.goto(f"{server}/pacts/proposals/{own}")
    assert response is not None and response.status == 200
    page.get_by_label("Titolo").fill("Competenze digitali per la manifattura brianzola (rivista)")
    page.get_by_label("Sintesi della proposta").fill("Formazione su automazione e dati per 350 addetti.")
    page.get_by_role("button", name="Salva la bozza").click()
    expect(page.locator("#saved")).to_have_text("Bozza salvata.")
    expect(page.get_by_role("heading", name="Competenze digitali per la manifattura brianzola (rivista)")
           ).to_be_visible()
    summary = "Formazione su automazione e dati per 350 addetti."
    expect(page.get_by_label("Sintesi della proposta")).to_have_value(summary)
    _shot(page, "own-draft")

    with session_factory(demo_engine)() as session:
        proposal = session.get(Proposal, own)
        assert proposal is not None and proposal.version == 2 and proposal.body["summary"].startswith("Formazione")
        entry = session.scalars(select(AuditEntry).where(AuditEntry.resource_type == "pact_proposal",
                                                         AuditEntry.resource_id == str(own))
                                .order_by(AuditEntry.id.desc())).first()
        assert entry is not None and entry.action == "update" and entry.actor.startswith("user:")
        assert entry.before["title"] != entry.after["title"]
        untouched = session.get(Proposal, other)
        assert untouched is not None and untouched.version == 1


def test_region_admin_sees_the_audit_log(server: str, page: Any) -> None:
    page.goto(f"{server}/login?next=/admin/audit")
    page.get_by_label("Indirizzo e-mail").fill("admin@regione.demo")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    expect(page.get_by_role("heading", name="Registro delle modifiche")).to_be_visible()
    expect(page.locator("#chain-status")).to_contain_text("Catena verificata")
    _shot(page, "audit")
