"""The programme and monitoring pages in a real browser (Debian chromium + Playwright, the real app on a
loopback port): the selected partnership pre-fills its programme from the manifestation, adds budget lines,
sees the co-financing issue, fixes it and presents the programme; the Region approves it; the partnership
reports progress; the monitoring page and the Cabina di regia (table and map) show it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from regia.clock import rome_today
from regia.db import session_scope
from regia.pacts.models import APPROVED, IN_PROGRESS, PROGRAMME_SUBMITTED, Proposal
from regia.web.app import create_app
from support.accounts import World, build_world
from support.browser import axe_violations, launched, require_assets, require_chromium, visitor_page
from support.pact_pages import copy_of, login
from support.route_tables.pacts_programme import LEAD, SCHOOL, new_call, selected_pact
from support.servers import live_server

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect


@pytest.fixture(scope="module")
def chromium() -> Path:
    return require_chromium()


@pytest.fixture(scope="module")
def world(chromium: Path, sqlite_taxonomy: Engine, tmp_path_factory: pytest.TempPathFactory) -> tuple[World, int]:
    """A copy of the imported reference data (for the province map), the test accounts, a selected pact."""
    engine = copy_of(sqlite_taxonomy, tmp_path_factory.mktemp("browser-programme"))
    world = build_world(engine)
    with session_scope(engine) as session:
        call = new_call(session, now=datetime.now(UTC), code="PATTI-BROWSER")
        pid = selected_pact(session, organisation_id=world.orgs["partnership_a"], call=call,
                            title="Patto della meccatronica bergamasca", nuts3="ITC46").id
    return world, pid


@pytest.fixture(scope="module")
def server(world: tuple[World, int]) -> Iterator[str]:
    app = create_app(engine=world[0].engine)
    app.state.auth_settings = world[0].settings
    with live_server(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Any]:
    with launched(chromium) as b:
        yield b


def _status(world: World, pid: int) -> str:
    with session_scope(world.engine) as session:
        proposal = session.get(Proposal, pid)
        assert proposal is not None
        return proposal.status


def _line(page: Any, n: int, action: str, partner: str, source: str, amount: str) -> None:
    page.locator(f"#lines-{n}-action").fill(action)
    page.locator(f"#lines-{n}-partner_tax_code").select_option(partner)
    page.locator(f"#lines-{n}-source").select_option(source)
    page.locator(f"#lines-{n}-amount").fill(amount)


def test_programme_approval_and_monitoring(server: str, browser: Any, world: tuple[World, int]) -> None:
    require_assets("bootstrap-italia/css/bootstrap-italia.min.css")
    w, pid = world
    programme_path = f"/pacts/proposals/{pid}/programme"
    monitoring_path = f"/pacts/proposals/{pid}/monitoring"

    # the partnership: pre-fill, budget, check, fix, present
    with visitor_page(browser) as page:
        login(page, server, w.emails["partnership_editor"], programme_path)
        expect(page.get_by_role("heading", level=1)).to_contain_text("Programma di intervento")
        expect(page.locator("#programme-status")).to_have_text("Selezionata")
        page.locator("#prefill-programme").click()
        expect(page.locator("#programme-saved")).to_be_visible()
        expect(page.locator("#actions-0-code")).to_have_value("A1")
        expect(page.locator("#actions-1-code")).to_have_value("A2")
        expect(page.locator("#actions-0-target_enrolled")).to_have_value("20")
        expect(page.locator("#indicators-0-indicator")).to_have_value("Occupati a 6 mesi")
        assert axe_violations(page, "#programme-form") == []  # every field labelled, readable (issue 19)
        page.locator("#actions-0-lead_partner_tax_code").select_option(LEAD["tax_code"])
        page.locator("#actions-0-target_completed").fill("16")
        _line(page, 0, "A1", LEAD["tax_code"], "regional", "40000")
        page.locator("#add-line").click()
        _line(page, 1, "A2", SCHOOL["tax_code"], "fse_plus", "20000")
        page.locator("#check-programme").click()
        issue = page.locator("#programme-issues li[data-field='budget.cofinancing']")
        expect(issue).to_contain_text("cofinanziamento di 0,00 €, pari al 0,00% del costo totale di 60.000,00 €: "
                                      "sotto il minimo del")  # the Italian text, amounts the Italian way
        expect(page.locator("#programme-issues")).not_to_contain_text("co-financing")
        expect(page.locator("#programme-issues li[data-field='budget.cofinancing']")).to_have_count(1)
        expect(page.locator("#budget-total")).to_have_text("60.000,00")
        page.locator("#add-line").click()
        _line(page, 2, "A1", LEAD["tax_code"], "cofinancing", "20000")
        page.locator("#check-programme").click()
        expect(page.locator("#programme-ok")).to_be_visible()
        expect(page.locator("#budget-total")).to_have_text("80.000,00")
        expect(page.locator("#cofinancing-share")).to_contain_text("25,0%")
        page.locator("#submit-programme").click()
        expect(page.locator("#programme-done")).to_have_text("Programma presentato alla Regione.")
        expect(page.locator("#programme-status")).to_have_text("Programma presentato")
        expect(page.locator("#programme-form")).to_have_count(0)  # frozen once presented
        assert _status(w, pid) == PROGRAMME_SUBMITTED
        assert page.problems == []  # type: ignore[attr-defined]

    # the Region approves
    with visitor_page(browser) as page:
        login(page, server, w.emails["region_admin"], programme_path)
        expect(page.locator("#programme-actions-table tbody tr")).to_have_count(2)
        page.locator("#approve-programme").click()
        expect(page.locator("#programme-done")).to_have_text("Programma approvato.")
        expect(page.locator("#programme-status")).to_have_text("Approvato")
        assert _status(w, pid) == APPROVED

    # the partnership reports progress
    with visitor_page(browser) as page:
        login(page, server, w.emails["partnership_editor"], monitoring_path)
        expect(page.locator("#monitoring-table tbody tr")).to_have_count(2)
        form = page.locator("#progress-form")
        assert axe_violations(page, "#progress-form") == []
        form.get_by_label("Azione").select_option("A1")
        form.get_by_label("Periodo").fill(rome_today().isoformat())
        form.get_by_label("Iscritti").fill("8")
        form.get_by_label("Conclusi").fill("9")  # more completed than enrolled: refused
        form.get_by_label("Speso finora (€)").fill("3000")
        page.locator("#send-progress").click()
        expect(page.locator("#progress-error")).to_have_text("i conclusi (9) non possono superare gli iscritti (8)")
        page.problems.clear()  # type: ignore[attr-defined]  # the refused report's 422 answer, expected
        page.locator("#progress-form").get_by_label("Conclusi").fill("2")
        page.locator("#send-progress").click()
        expect(page.locator("#progress-saved")).to_be_visible()
        expect(page.locator("#monitoring-status")).to_have_text("In corso")
        row = page.locator("#monitoring-table tr[data-action=A1]")
        expect(row).to_contain_text("8 su 20")
        expect(row).to_contain_text("3.000,00 € su 60.000,00 €")
        expect(page.locator("#bar-A1-enrolled")).to_have_attribute("aria-valuenow", "40")
        expect(page.locator("#progress-history tbody tr")).to_have_count(1)
        assert _status(w, pid) == IN_PROGRESS
        assert page.problems == []  # type: ignore[attr-defined]

    # the Cabina di regia shows it, with the map
    with visitor_page(browser) as page:
        login(page, server, w.emails["region_admin"], "/pacts/cabina")
        row = page.locator(f"#cabina-table tr[data-proposal='{pid}']")
        expect(row).to_contain_text("Patto della meccatronica bergamasca")
        expect(row).to_contain_text("In corso")
        expect(row).to_contain_text("8 / 35")
        expect(row).to_contain_text("80.000,00 €")
        if (Path(__file__).parents[1] / "src/regia/web/static/vendor/leaflet/leaflet.js").is_file():
            expect(page.locator("#cabina-map[data-ready=true]")).to_have_count(1)
            assert page.locator("#cabina-map path.leaflet-interactive").count() >= 12  # Lombardy's provinces
        assert page.problems == []  # type: ignore[attr-defined]
