"""Browser: a person's request goes through the provider and the assessor to a certificate; the person
downloads the credential from their dossier and verifies it on the public page; the Region revokes it and
the page says revoked. Real server, real Chromium, real keys and signatures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from regia.auth.models import User
from regia.auth.principal import principal_for
from regia.certification import procedure
from regia.certification.models import AssessorAssignment
from regia.config import get_settings
from regia.db import session_scope
from regia.web.app import create_app
from support.browser import launched, require_assets, require_chromium, visitor_page
from support.ivc import PDF, IvcWorlds
from support.pact_pages import login, shot
from support.servers import free_port, live_server

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect


@pytest.fixture(scope="module")
def setup(databases: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    chromium = require_chromium()
    require_assets("bootstrap-italia/css/bootstrap-italia.min.css")
    port = free_port()
    patch = pytest.MonkeyPatch()
    patch.setenv("REGIA_PUBLIC_URL", f"http://127.0.0.1:{port}")
    patch.setenv("REGIA_CREDENTIAL_KEYS_DIR", str(tmp_path_factory.mktemp("keys")))
    get_settings.cache_clear()
    world = IvcWorlds(databases).new()
    app = create_app(engine=world.engine)
    app.state.auth_settings = world.settings
    try:
        with live_server(app, port=port) as url, launched(chromium) as browser:
            yield url, (world, browser)
    finally:
        patch.undo()
        get_settings.cache_clear()


def _act(page: Any, form: str) -> None:
    page.locator(f"#{form} button[type=submit]").click()
    expect(page.locator("#request-error")).to_have_count(0)


def test_request_to_certificate_then_verify_and_revoke(setup: tuple[str, Any], tmp_path: Path) -> None:
    server, (world, browser) = setup
    with visitor_page(browser) as page:
        # the person asks, from the standard's page, and fills in the dossier
        login(page, server, world.emails["citizen"], "/certification/standards/DEMO-LOG-001/1")
        expect(page.locator(".esco-alignment").first).to_contain_text("warehouse operations")
        page.locator("#given_name").fill("Mario")
        page.locator("#family_name").fill("Rossi")
        page.locator("#tax_code").fill("RSSMRA85T10A562S")
        page.locator("#birth_date").fill("1985-12-10")
        page.locator("#request-submit").click()
        expect(page.locator("#request-status")).to_have_attribute("data-status", "requested")
        request_url = page.url.split("?")[0]
        page.locator("#exp-title").fill("Magazziniere")
        page.locator("#exp-org").fill("Logistica Srl")
        _act(page, "act-experience")
        for code in ("LOG-001-C1", "LOG-001-C2"):
            page.locator("#claim-competence").select_option(code)
            page.locator("#claim-learning").select_option("informal")
            page.locator("#claim-context").fill("Cinque anni in magazzino")
            _act(page, "act-claim")
        evidence = tmp_path / "contratto.pdf"
        evidence.write_bytes(PDF)
        page.locator("#evidence-file").set_input_files(str(evidence))
        _act(page, "act-evidence")
        expect(page.locator("#evidence")).to_contain_text("contratto.pdf")
        shot(page, "ivc-01-request")

        # the provider takes charge, closes the identification, assigns the validator
        login(page, server, world.emails["provider_editor"], request_url.removeprefix(server))
        _act(page, "act-take_charge")
        _act(page, "act-submit_dossier")
        expect(page.locator("#request-status")).to_have_attribute("data-status", "validation")
        page.locator("#assign-role").select_option("validation")
        page.locator("#assign-user").select_option(str(world.users["assessor"]))
        _act(page, "act-assign")

        # the assessor declares no conflict, validates each competence, closes the validation
        login(page, server, world.emails["assessor"], request_url.removeprefix(server))
        page.locator(".act-declare button[type=submit]").first.click()
        with session_scope(world.engine) as session:
            claims = procedure.get(session, principal=principal_for(session.get(User, world.users["assessor"]),
                                                                    via="token"),
                                   id=int(request_url.rsplit("/", 1)[1])).claims
            claim_ids = [c.id for c in claims]
        for claim_id in claim_ids:
            page.locator(f"label[for=val-yes-{claim_id}]").click()
            page.locator(f"#val-reason-{claim_id}").fill("Evidenze coerenti con la competenza")
        _act(page, "act-evaluate")
        _act(page, "act-close_validation")
        expect(page.locator("#request-status")).to_have_attribute("data-status", "validated")

        # the provider composes the commission (the president and the sector expert declare on their side)
        login(page, server, world.emails["provider_editor"], request_url.removeprefix(server))
        for role, user in (("president", world.users["region_admin"]), ("evaluation_expert", world.users["assessor"]),
                           ("sector_expert", world.extra["sector_expert"])):
            page.locator("#assign-role").select_option(role)
            page.locator("#assign-user").select_option(str(user))
            _act(page, "act-assign")
        with session_scope(world.engine) as session:
            for seat in session.query(AssessorAssignment).filter(AssessorAssignment.role.in_(
                    ("president", "sector_expert"))):
                procedure.declare(session, actor=principal_for(session.get(User, seat.user_id), via="token"),
                                  assignment_id=seat.id, conflict=False)
        login(page, server, world.emails["assessor"], request_url.removeprefix(server))
        page.locator(".act-declare button[type=submit]").first.click()
        login(page, server, world.emails["provider_editor"], request_url.removeprefix(server))
        _act(page, "act-open_certification")
        expect(page.locator("#request-status")).to_have_attribute("data-status", "certification")

        # the assessor (the commission's evaluation expert) records the practical trial's outcome
        login(page, server, world.emails["assessor"], request_url.removeprefix(server))
        page.locator("#outcome-method").select_option("practical_trial")
        for claim_id in claim_ids:
            page.locator(f"label[for=cert-yes-{claim_id}]").click()
            page.locator(f"#cert-reason-{claim_id}").fill("Prova pratica superata")
        _act(page, "act-outcome")
        expect(page.locator("#request-status")).to_have_attribute("data-status", "assessed")

        # the Region, ente titolare, issues the certificate
        login(page, server, world.emails["region_admin"], request_url.removeprefix(server))
        _act(page, "act-issue_certificate")
        expect(page.locator("#request-status")).to_have_attribute("data-status", "certified")
        expect(page.locator("#documents")).to_contain_text("Certificato")
        shot(page, "ivc-02-certified")

        # the person downloads the credential from the dossier and verifies it on the public page
        login(page, server, world.emails["citizen"], "/certification/dossier")
        expect(page.locator("#credentials tbody tr")).to_have_count(2)
        downloaded = page.locator("#credentials tbody tr").first.get_attribute("data-credential")
        with page.expect_download() as download:
            page.locator(".credential-json").first.click()
        credential_file = tmp_path / "credenziale.json"
        download.value.save_as(credential_file)
        page.goto(f"{server}/certification/verify")
        page.locator("#credential-file").set_input_files(str(credential_file))
        page.locator("#verify-submit").click()
        expect(page.locator("#verdict")).to_have_attribute("data-status", "valid")
        expect(page.locator("#verdict-label")).to_have_text("Valida")
        shot(page, "ivc-03-valid")

        # the Region revokes it; the page now says revoked, with the reason
        login(page, server, world.emails["region_admin"], request_url.removeprefix(server))
        row = page.locator(f'#credentials tr[data-credential="{downloaded}"]')
        row.locator("input[name=reason]").fill("Errore materiale nel certificato")
        row.locator("button[type=submit]").click()
        expect(page.locator(f'#credentials tr[data-credential="{downloaded}"] .credential-state')).to_contain_text(
            "Errore materiale nel certificato")
        page.context.clear_cookies()
        page.goto(f"{server}/certification/verify")
        page.locator("#credential-file").set_input_files(str(credential_file))
        page.locator("#verify-submit").click()
        expect(page.locator("#verdict")).to_have_attribute("data-status", "revoked")
        expect(page.locator("#verdict-label")).to_have_text("Revocata")
        expect(page.locator("#verdict-reason")).to_contain_text("Errore materiale nel certificato")
        shot(page, "ivc-04-revoked")
        assert not page.problems, page.problems
