"""The Region's call pages and the links between the pacts' pages, in a real browser (Debian chromium +
Playwright, the real app on a loopback port): the Region's administrator creates a call through the form —
first with the deadlines out of order (the error names the field and what was typed stays), then fixed —
edits it (a stale edit is refused, nothing typed is lost); the call is listed and a partnership editor starts
a draft under it; the links to the later phases appear by role and state on a selected and an approved pact,
and each one shown opens (never a link that would be refused)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select

from regia.auth.principal import cli_principal
from regia.db import session_scope
from regia.pacts import calls
from regia.pacts.models import APPROVED, DRAFT, TARGET_GROUPS, Call, Proposal
from regia.web.app import create_app
from support.accounts import World, build_world
from support.browser import launched, require_chromium, visitor_page
from support.pact_pages import copy_of, login, shot
from support.route_tables.pacts_programme import new_call, pact_in, selected_pact
from support.servers import live_server

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
ROME = ZoneInfo("Europe/Rome")


@pytest.fixture(scope="module")
def chromium() -> Path:
    return require_chromium()


@pytest.fixture(scope="module")
def world(chromium: Path, sqlite_taxonomy: Engine, tmp_path_factory: pytest.TempPathFactory
          ) -> tuple[World, int, int]:
    """The reference data (the provinces a call may name), the test accounts, a selected and an approved pact
    of partnership A."""
    engine = copy_of(sqlite_taxonomy, tmp_path_factory.mktemp("browser-calls"))
    world = build_world(engine)
    with session_scope(engine) as session:
        call = new_call(session, now=datetime.now(UTC), code="PATTI-LINKS")
        selected = selected_pact(session, organisation_id=world.orgs["partnership_a"], call=call,
                                 title="Patto selezionato della meccatronica").id
        approved = pact_in(session, organisation_id=world.orgs["partnership_a"], call=call, status=APPROVED,
                           title="Patto approvato della logistica").id
    return world, selected, approved


@pytest.fixture(scope="module")
def server(world: tuple[World, int, int]) -> Iterator[str]:
    app = create_app(engine=world[0].engine)
    app.state.auth_settings = world[0].settings
    with live_server(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Any]:
    with launched(chromium) as b:
        yield b


def _stamp(moment: datetime) -> str:
    return moment.astimezone(ROME).strftime("%Y-%m-%dT%H:%M")


def _check(page: Any, input_id: str) -> None:
    page.locator(f"label[for='{input_id}']").click()  # Bootstrap Italia draws the box on the label
    expect(page.locator(f"#{input_id}")).to_be_checked()


def _call(world: World, code: str) -> Call:
    with session_scope(world.engine) as session:
        call = session.scalar(select(Call).where(Call.code == code))
        assert call is not None
        session.expunge(call)
        return call


def test_region_creates_and_edits_a_call_then_a_partnership_starts_a_draft(
        server: str, browser: Any, world: tuple[World, int, int]) -> None:
    w = world[0]
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    opens, deadline = now - timedelta(days=1), now + timedelta(days=30)
    with visitor_page(browser) as page:
        login(page, server, w.emails["region_admin"], "/pacts/calls")
        expect(page.locator("#link-cabina")).to_be_visible()
        expect(page.locator("#link-evaluations")).to_be_visible()
        page.locator("#new-call").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Nuovo avviso")
        page.get_by_label("Codice dell'avviso").fill("PATTI-2028")
        page.get_by_label("Titolo", exact=True).fill("Patti territoriali 2028")
        page.get_by_label("Descrizione").fill("Secondo avviso per le filiere della Lombardia orientale.")
        page.get_by_label("Apertura").fill(_stamp(opens))
        page.get_by_label("Scadenza delle manifestazioni di interesse").fill(_stamp(opens - timedelta(days=2)))
        page.get_by_label("Fine della valutazione").fill(_stamp(now + timedelta(days=60)))
        page.get_by_label("Scadenza dei programmi di dettaglio").fill(_stamp(now + timedelta(days=90)))
        page.get_by_label("Fine delle attività").fill((now + timedelta(days=500)).date().isoformat())
        expect(page.get_by_label("Bergamo ITC46")).to_have_count(1)  # the name, its code beside it
        _check(page, "territories-ITC46")
        _check(page, "territories-ITC47")
        _check(page, "required_partner_types-cciaa")
        _check(page, "required_partner_types-education")
        _check(page, "targets-unemployed")
        _check(page, "targets-students")
        page.get_by_label("Numero minimo di partner").fill("4")
        page.locator("#grid-0-code").fill("C1")
        page.locator("#grid-0-label").fill("Qualità del partenariato")
        page.locator("#grid-0-weight").fill("2")
        page.locator("#grid-0-max_score").fill("10")
        page.locator("#grid-0-threshold").fill("6")
        page.locator("#aggregation").select_option("consensus")
        page.get_by_label("Risorse regionali").fill("1500000")
        page.get_by_label("FSE+ 2021–2027").fill("2000000,50")
        page.get_by_label("Contributo massimo per proposta").fill("250000")
        page.get_by_label("Cofinanziamento minimo dei partner (%)").fill("20")
        page.locator("#save-call").click()

        # refused: the deadline comes before the opening; the error names the field, the values stay
        error = page.locator("#call-error")
        expect(error).to_contain_text("Controlla il campo «Scadenza delle manifestazioni di interesse»: "
                                      "indica data e ora, successive all'apertura.")
        expect(error).to_have_attribute("data-field", "manifestation_deadline")
        expect(page.locator("#manifestation_deadline")).to_have_class(re.compile(r"\bis-invalid\b"))
        expect(page.locator("#manifestation_deadline")).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#code")).to_have_value("PATTI-2028")
        expect(page.locator("#opens_at")).to_have_value(_stamp(opens))
        expect(page.locator("#territories-ITC46")).to_be_checked()
        expect(page.locator("#territories-ITC41")).not_to_be_checked()
        expect(page.locator("#required_partner_types-education")).to_be_checked()
        expect(page.locator("#targets-students")).to_be_checked()
        expect(page.locator("#grid-0-label")).to_have_value("Qualità del partenariato")
        expect(page.locator("#aggregation")).to_have_value("consensus")
        expect(page.locator("#budget-fse_plus")).to_have_value("2000000,50")
        expect(page.locator("#min_cofinancing_pct")).to_have_value("20")
        expect(page.locator("#grid-rows tbody tr")).to_have_count(2)  # the row typed and a new empty one
        shot(page, "calls-form-error")
        with session_scope(w.engine) as session:
            assert session.scalar(select(Call).where(Call.code == "PATTI-2028")) is None
        page.problems.clear()  # type: ignore[attr-defined]  # the refused form's 422 answer, expected

        # fixed, with a second criterion in the new row
        page.get_by_label("Scadenza delle manifestazioni di interesse").fill(_stamp(deadline))
        page.locator("#grid-1-code").fill("C2")
        page.locator("#grid-1-label").fill("Coerenza con i fabbisogni")
        page.locator("#grid-1-max_score").fill("20")
        page.locator("#save-call").click()
        expect(page.locator("#call-saved")).to_have_text("Avviso salvato.")
        expect(page.get_by_role("heading", level=1)).to_have_text("Patti territoriali 2028")
        expect(page.locator("#call-phase")).to_have_text("Aperto alle manifestazioni di interesse")
        expect(page.locator("#call-deadline")).to_have_text(deadline.astimezone(ROME).strftime("%d/%m/%Y %H:%M"))
        expect(page.locator("#call-grid tbody tr")).to_have_count(2)
        expect(page.locator("#edit-call")).to_be_visible()
        expect(page.locator("#link-ranking")).to_be_visible()
        shot(page, "calls-call")
        assert page.problems == []  # type: ignore[attr-defined]

        stored = _call(w, "PATTI-2028")
        assert calls.aware(stored.manifestation_deadline) == deadline
        assert calls.aware(stored.opens_at) == opens
        assert stored.territories == ["ITC46", "ITC47"]
        assert stored.required_partner_types == ["cciaa", "education"]
        assert stored.targets == [g for g in TARGET_GROUPS if g in ("students", "unemployed")]
        assert stored.min_partners == 4 and stored.aggregation == "consensus"
        assert [(c["code"], Decimal(c["weight"]), Decimal(c["max_score"]), Decimal(c["threshold"]))
                for c in stored.grid] == [("C1", 2, 10, 6), ("C2", 1, 20, 0)]
        assert stored.budget == {"regional": "1500000.00", "fse_plus": "2000000.50"}
        assert stored.max_grant == Decimal("250000") and stored.min_cofinancing_share == Decimal("0.2")
        assert stored.version == 1

        # edit: the form holds the stored values; a stale edit is refused, then saved over
        page.locator("#edit-call").click()
        expect(page.locator("#code")).to_have_value("PATTI-2028")
        expect(page.locator("#manifestation_deadline")).to_have_value(_stamp(deadline))
        expect(page.locator("#min_cofinancing_pct")).to_have_value("20")
        expect(page.locator("#budget-fse_plus")).to_have_value("2000000.5")
        expect(page.locator("#grid-1-max_score")).to_have_value("20")
        expect(page.locator("#grid-rows tbody tr")).to_have_count(3)
        page.get_by_label("Titolo", exact=True).fill("Patti territoriali 2028 (rettificato)")
        with session_scope(w.engine) as session:  # somebody else saves the call meanwhile
            values = {name: getattr(stored, name) for name in calls.FIELDS}
            calls.update(session, actor=cli_principal("test"), id=stored.id, version=1,
                         **{**values, "description": "Cambiata da un collega."})
        page.locator("#save-call").click()
        expect(page.locator("#call-error")).to_have_attribute("data-field", "version")
        expect(page.locator("#title")).to_have_value("Patti territoriali 2028 (rettificato)")
        page.problems.clear()  # type: ignore[attr-defined]  # the 409 answer, expected
        page.locator("#save-call").click()
        expect(page.locator("#call-saved")).to_be_visible()
        expect(page.get_by_role("heading", level=1)).to_have_text("Patti territoriali 2028 (rettificato)")
        assert _call(w, "PATTI-2028").version == 3

    # a partnership editor: no call buttons; the new call is listed and open; a draft is started under it
    with visitor_page(browser) as page:
        login(page, server, w.emails["partnership_editor"], "/pacts/calls")
        expect(page.locator("#new-call")).to_have_count(0)
        expect(page.locator("#link-cabina")).to_have_count(0)
        expect(page.locator("#link-evaluations")).to_have_count(0)
        expect(page.locator("#calls a[id^=calls-ranking]")).to_have_count(0)
        page.get_by_role("link", name="Patti territoriali 2028 (rettificato)").click()
        expect(page.locator("#call-phase")).to_have_text("Aperto alle manifestazioni di interesse")
        expect(page.locator("#edit-call")).to_have_count(0)
        expect(page.locator("#link-ranking")).to_have_count(0)
        page.get_by_label("Titolo della proposta").fill("Filiera agroalimentare bresciana")
        page.get_by_role("button", name="Crea la bozza").click()
        expect(page.locator("#proposal-status")).to_have_text("Bozza")
        expect(page.locator("#proposal-links")).to_have_count(0)  # a draft has no later phases yet
        expect(page.locator("#territory-nuts3-ITC47")).to_have_count(1)  # the call's provinces to choose from
        assert page.problems == []  # type: ignore[attr-defined]
        with session_scope(w.engine) as session:
            draft = session.scalar(select(Proposal).where(Proposal.title == "Filiera agroalimentare bresciana"))
            assert draft is not None and draft.status == DRAFT and draft.call_id == stored.id

        # the form's pages are the Region's only
        for path in ("/pacts/calls/new", f"/pacts/calls/{stored.id}/edit"):
            response = page.goto(f"{server}{path}")
            assert response is not None and response.status == 403


LINKS = ("link-evaluation", "link-letter", "link-programme", "link-monitoring")


@pytest.mark.parametrize(("role", "on_selected", "on_approved", "on_calls"), [
    ("region_admin", {"link-evaluation", "link-letter", "link-programme"}, set(LINKS),
     {"new-call", "link-evaluations", "link-cabina", "ranking"}),
    ("partnership_editor", {"link-letter", "link-programme"}, {"link-letter", "link-programme", "link-monitoring"},
     set()),
    ("evaluator", {"link-programme"}, {"link-programme"}, {"link-evaluations"}),
    ("fund_viewer", {"link-programme"}, {"link-programme", "link-monitoring"}, {"link-cabina"}),
])
def test_links_by_role_and_state_open(server: str, browser: Any, world: tuple[World, int, int], role: str,
                                      on_selected: set[str], on_approved: set[str], on_calls: set[str]) -> None:
    w, selected, approved = world
    with visitor_page(browser) as page:
        login(page, server, w.emails[role], "/pacts/calls")
        shown = {i for i in ("new-call", "link-evaluations", "link-cabina") if page.locator(f"#{i}").count()}
        if page.locator("#calls a[id^=calls-ranking]").count():
            shown.add("ranking")
        assert shown == on_calls
        for link in page.locator("#calls-actions a, #calls a[id^=calls-ranking]").all():  # each one opens
            href = link.get_attribute("href")
            assert page.request.get(f"{server}{href}").status == 200, href
        for pid, expected in ((selected, on_selected), (approved, on_approved)):
            page.goto(f"{server}/pacts/proposals/{pid}")
            expect(page.locator("#proposal-status")).to_be_visible()
            assert {i for i in LINKS if page.locator(f"#{i}").count()} == expected, pid
            shot(page, f"calls-links-{role}-{pid}")
            for link in sorted(expected):  # every link shown opens
                href = page.locator(f"#{link}").get_attribute("href")
                response = page.request.get(f"{server}{href}")
                assert response.status == 200, (link, href, response.status)
                if link == "link-letter":
                    assert response.headers["content-type"] == "application/pdf"
                    assert response.body().startswith(b"%PDF")
        page.goto(f"{server}/pacts/proposals/{approved}")
        if "link-monitoring" in on_approved:  # and back from monitoring to the proposal
            page.locator("#link-monitoring").click()
            expect(page.locator("#monitoring-status")).to_be_visible()
            page.locator("#to-proposal").click()
            expect(page.locator("#proposal-status")).to_be_visible()
        assert page.problems == []  # type: ignore[attr-defined]
