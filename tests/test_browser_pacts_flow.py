"""A pact from call to monitoring, end to end, in a real browser (Debian chromium + Playwright, the real app on a
loopback port, SQLite): the Region publishes a call through the API; a partnership drafts its manifestation of
interest, sees the validation issues, completes it and submits before the deadline; once the deadline has passed
another partnership's submission is refused; the Region admits the proposal and assigns two evaluators, who
declare no conflict of interest and score it; the Region closes the evaluation and publishes the ranking; the
selected partnership presents the detailed programme, the Region approves it, the partnership reports progress
and the monitoring page and the Cabina di regia show it.

The server runs in this process, so moving past the deadline is done by moving this process's clock
(time-machine) rather than by waiting or by editing the call.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from regia.auth import service as accounts
from regia.auth.models import AuditEntry, Role
from regia.auth.principal import cli_principal
from regia.db import make_engine, migrate, session_factory, session_scope
from regia.pacts import service as pacts
from regia.pacts.models import IN_PROGRESS, Proposal
from regia.web.app import create_app
from support.accounts import ORGS, PARTNERS, PASSWORD, PDF, World, build_world, complete_manifestation
from support.browser import launched, require_chromium, visitor_page
from support.pact_pages import fill_partner, login, save_draft, set_codes, shot
from support.servers import live_server

pytestmark = pytest.mark.browser

playwright_api = pytest.importorskip("playwright.sync_api")
time_machine = pytest.importorskip("time_machine")
expect = playwright_api.expect

LEAD = ("Patto A", ORGS["partnership_a"][2] or "", "partnership")
TITLE = "Saldatura e manutenzione nella bergamasca"
SECOND_EVALUATOR = "valutatrice.due@example.org"
GRID = [{"code": "C1", "label": "Qualità del partenariato", "weight": 1, "max_score": 10, "threshold": 4},
        {"code": "C2", "label": "Coerenza con i fabbisogni", "weight": 2, "max_score": 10, "threshold": 4}]
SCORES = ({"C1": "8", "C2": "7"}, {"C1": "6", "C2": "9"})  # averages 7 and 8: total 7 + 2 × 8 = 23


@pytest.fixture(scope="module")
def chromium() -> Path:
    return require_chromium()


@pytest.fixture(scope="module")
def world(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> World:
    engine: Engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('pact-flow') / 'flow.db'}")
    migrate(engine)
    world = build_world(engine)
    with session_scope(engine) as session:
        accounts.create_user(session, actor=cli_principal("test"), email=SECOND_EVALUATOR,
                             display_name="Valutatrice due", password=PASSWORD,
                             memberships=[(world.orgs["region"], Role.EVALUATOR)])
    return world


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


def _publish_call(server: str, page: Any, world: World, deadline: datetime) -> int:
    now = datetime.now(UTC)
    body = {"code": "PATTI-E2E", "title": "Patti territoriali 2027 (prova completa)",
            "opens_at": (now - timedelta(days=1)).isoformat(), "manifestation_deadline": deadline.isoformat(),
            "evaluation_deadline": (deadline + timedelta(days=20)).isoformat(),
            "programme_deadline": (deadline + timedelta(days=40)).isoformat(),
            "ends_on": (deadline + timedelta(days=700)).date().isoformat(),
            "territories": ["ITC46", "ITC4C"], "required_partner_types": ["cciaa", "education"], "min_partners": 3,
            "targets": ["unemployed", "suspended_workers", "students"], "grid": GRID, "min_total": "12",
            "aggregation": "average", "max_spread": "4", "min_evaluators": 2,
            "budget": {"regional": "200000", "fse_plus": "100000"}, "max_grant": "180000",
            "min_cofinancing_share": "0.2"}
    answer = page.request.post(f"{server}/api/pacts/calls", data=body, headers=world.bearer("region_admin"))
    assert answer.status == 201, answer.text()
    return int(answer.json()["id"])


def _draft_and_submit(server: str, page: Any, world: World, call_id: int) -> int:
    login(page, server, world.emails["partnership_editor"], f"/pacts/calls/{call_id}")
    expect(page.locator("#call-phase")).to_have_text("Aperto alle manifestazioni di interesse")
    page.get_by_label("Titolo della proposta").fill(TITLE)
    page.get_by_role("button", name="Crea la bozza").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    proposal_id = int(page.url.split("?")[0].rstrip("/").rsplit("/", 1)[-1])
    # an empty draft: every missing item, in Italian; Presenta is refused
    page.locator("#validate").click()
    expect(page.locator("#validation-issues")).to_contain_text("Da completare prima di presentare")
    issues = page.locator("#validation-issues li")
    expect(issues.filter(has_text="Indica il territorio di intervento.")).to_have_count(1)
    expect(issues.filter(has_text="Indica almeno un'azione prevista.")).to_have_count(1)
    shot(page, "flow-issues")
    page.locator("#submit-proposal").click()
    expect(page.locator("#proposal-error")).to_contain_text("non è completa")
    expect(page.locator("#proposal-status")).to_have_text("Bozza")
    # complete it
    fill_partner(page, "lead", LEAD, "Capofila")
    fill_partner(page, "partners-0", PARTNERS[0], "Analisi dei fabbisogni")
    save_draft(page)
    fill_partner(page, "partners-1", PARTNERS[1], "Formazione")
    save_draft(page)
    fill_partner(page, "partners-2", PARTNERS[2], "Coinvolgimento delle imprese")
    page.locator("label[for='territory-nuts3-ITC46']").click()
    set_codes(page, "sectors", "C")  # no taxonomy in this database: nothing to pick from
    page.get_by_label("Esigenze del contesto di intervento").fill(
        "Le officine della bergamasca non trovano saldatori né manutentori meccanici.")
    page.locator("#actions-0-code").fill("A1")
    page.locator("#actions-0-kind").select_option("training")
    page.locator("#actions-0-title").fill("Corso di saldatura a filo")
    page.locator("#actions-0-target_group").select_option("unemployed")
    page.locator("#actions-0-participants").fill("20")
    page.locator("label[for='actions-0-new_course']").click()
    set_codes(page, "actions-0-skills", "http://data.europa.eu/esco/skill/00000000-0000-0000-0000-000000000001")
    page.locator("#targets-0-group").select_option("unemployed")
    page.locator("#targets-0-number").fill("20")
    page.locator("#impacts-0-indicator").fill("Partecipanti occupati a sei mesi")
    page.locator("#impacts-0-unit").fill("%")
    page.locator("#impacts-0-baseline").fill("35")
    page.locator("#impacts-0-target").fill("60")
    page.locator("#requested-regional").fill("120000")
    save_draft(page)
    for _, code, _ in (LEAD, *PARTNERS):
        page.locator("#letter-partner").select_option(code)
        page.locator("#letter-file").set_input_files(files=[{"name": f"lettera {code}.pdf",
                                                            "mimeType": "application/pdf", "buffer": PDF}])
        page.locator("#upload-button").click()
        expect(page.locator("#saved")).to_be_visible()
    page.locator("#validate").click()
    expect(page.locator("#validation-issues")).to_contain_text("Nessun problema")
    page.locator("#submit-proposal").click()
    expect(page.locator("#proposal-status")).to_have_text("Presentata")
    expect(page.locator("#versions")).to_contain_text("Versione 1")
    shot(page, "flow-submitted")
    return proposal_id


def _late_draft(world: World, call_id: int) -> int:
    """Partnership B's complete draft, left unsubmitted until after the deadline."""
    with session_scope(world.engine) as session:
        actor = cli_principal("test")
        draft = pacts.create(session, actor=actor, title="Turismo e accoglienza in Valtellina",
                             organisation_id=world.orgs["partnership_b"], call_id=call_id)
        complete_manifestation(session, proposal_id=draft.id, nuts3="ITC4C",
                               lead=("Patto B", ORGS["partnership_b"][2] or "", "partnership"))
        return draft.id


def _evaluate(server: str, browser: Any, world: World, proposal_id: int) -> None:
    with visitor_page(browser) as region:
        login(region, server, world.emails["region_admin"], f"/pacts/evaluation/proposals/{proposal_id}")
        expect(region.locator("#admissibility-checks tr.table-danger")).to_have_count(0)
        region.locator("#decide-admissibility").click()
        expect(region.locator("#proposal-status")).to_have_text("Ammissibile")
        for email in (world.emails["evaluator"], SECOND_EVALUATOR):
            region.locator("#evaluator").select_option(label=next(
                o for o in region.locator("#evaluator option").all_inner_texts() if email in o))
            region.locator("#assign-evaluator").click()
            expect(region.locator("#done")).to_have_text("Valutatore assegnato.")
        expect(region.locator("#assignments-table tbody tr")).to_have_count(2)
    for email, scores in zip((world.emails["evaluator"], SECOND_EVALUATOR), SCORES, strict=True):
        with visitor_page(browser) as page:
            login(page, server, email, "/pacts/evaluation")
            page.get_by_role("link", name=TITLE).click()
            page.locator("label[for=coi-no]").click()
            page.locator("#coi-submit").click()
            expect(page.locator("#done")).to_have_text("Dichiarazione registrata.")
            for code, value in scores.items():
                page.locator(f"#score-{code}").fill(value)
                page.locator(f"#comment-{code}").fill(f"Motivazione del punteggio {value}")
            page.locator("#submit-scores").click()
            expect(page.locator("#done")).to_have_text("Valutazione inviata.")
            expect(page.locator("#sheet-readonly")).to_be_visible()
            shot(page, f"flow-sheet-{scores['C1']}")


def _rank(server: str, browser: Any, world: World, proposal_id: int, call_id: int) -> None:
    with visitor_page(browser) as region:
        login(region, server, world.emails["region_admin"], f"/pacts/evaluation/proposals/{proposal_id}")
        expect(region.locator("#submitted-sheets")).to_have_text("2")
        region.locator("#close-evaluation").click()
        expect(region.locator("#proposal-status")).to_have_text("Valutata")
        expect(region.locator("#total-score")).to_have_text("23,00")
        region.goto(f"{server}/pacts/calls/{call_id}/ranking")
        region.locator("#publish-ranking").click()
        expect(region.locator("#done")).to_have_text("Graduatoria pubblicata.")
        row = region.locator(f"#rank-row-{proposal_id}")
        expect(row.locator(".rank")).to_have_text("1")
        expect(row.locator(".outcome")).to_have_text("Finanziata")
        expect(row.locator(".granted")).to_contain_text("120.000,00 €")
        shot(region, "flow-ranking")


def _line(page: Any, n: int, action: str, partner: str, source: str, amount: str) -> None:
    page.locator(f"#lines-{n}-action").fill(action)
    page.locator(f"#lines-{n}-partner_tax_code").select_option(partner)
    page.locator(f"#lines-{n}-source").select_option(source)
    page.locator(f"#lines-{n}-amount").fill(amount)


def _programme(server: str, browser: Any, world: World, proposal_id: int) -> None:
    path = f"/pacts/proposals/{proposal_id}/programme"
    lead_code = LEAD[1]
    with visitor_page(browser) as page:
        login(page, server, world.emails["partnership_editor"], path)
        expect(page.locator("#programme-status")).to_have_text("Selezionata")
        page.locator("#prefill-programme").click()
        expect(page.locator("#actions-0-code")).to_have_value("A1")
        page.locator("#actions-0-lead_partner_tax_code").select_option(lead_code)
        _line(page, 0, "A1", lead_code, "regional", "100000")
        page.locator("#add-line").click()
        _line(page, 1, "A1", PARTNERS[1][1], "cofinancing", "30000")
        page.locator("#check-programme").click()
        expect(page.locator("#programme-ok")).to_be_visible()
        page.locator("#submit-programme").click()
        expect(page.locator("#programme-status")).to_have_text("Programma presentato")
        shot(page, "flow-programme")
    with visitor_page(browser) as page:
        login(page, server, world.emails["region_admin"], path)
        page.locator("#approve-programme").click()
        expect(page.locator("#programme-status")).to_have_text("Approvato")


def _monitoring(server: str, browser: Any, world: World, proposal_id: int) -> None:
    with visitor_page(browser) as page:
        login(page, server, world.emails["partnership_editor"], f"/pacts/proposals/{proposal_id}/monitoring")
        form = page.locator("#progress-form")
        form.get_by_label("Azione").select_option("A1")
        form.get_by_label("Periodo").fill(datetime.now(UTC).date().isoformat())
        form.get_by_label("Iscritti").fill("12")
        form.get_by_label("Conclusi").fill("3")
        form.get_by_label("Speso finora (€)").fill("25000")
        page.locator("#send-progress").click()
        expect(page.locator("#progress-saved")).to_be_visible()
        expect(page.locator("#monitoring-status")).to_have_text("In corso")
        expect(page.locator("#monitoring-table tr[data-action=A1]")).to_contain_text("12 su 20")
        shot(page, "flow-monitoring")
    with visitor_page(browser) as page:
        login(page, server, world.emails["region_admin"], "/pacts/cabina")
        row = page.locator(f"#cabina-table tr[data-proposal='{proposal_id}']")
        expect(row).to_contain_text(TITLE)
        expect(row).to_contain_text("In corso")


def test_a_pact_from_call_to_monitoring(server: str, browser: Any, world: World) -> None:
    deadline = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    with visitor_page(browser) as page:
        call_id = _publish_call(server, page, world, deadline)
        proposal_id = _draft_and_submit(server, page, world, call_id)
    late = _late_draft(world, call_id)

    with time_machine.travel(deadline + timedelta(minutes=5), tick=True):
        with visitor_page(browser) as page:  # after the deadline: partnership B's submission is refused
            login(page, server, world.emails["other_partnership_editor"], f"/pacts/proposals/{late}")
            page.locator("#submit-proposal").click()
            expect(page.locator("#proposal-error")).to_contain_text("scadenza")
            expect(page.locator("#proposal-status")).to_have_text("Bozza")
            shot(page, "flow-late")
        _evaluate(server, browser, world, proposal_id)
        _rank(server, browser, world, proposal_id, call_id)
        _programme(server, browser, world, proposal_id)
        _monitoring(server, browser, world, proposal_id)

    with session_factory(world.engine)() as session:
        proposal = session.get(Proposal, proposal_id)
        assert proposal is not None and proposal.status == IN_PROGRESS and proposal.rank == 1
        assert session.get(Proposal, late).status == "draft"  # type: ignore[union-attr]
        moves = session.scalars(select(AuditEntry.action).where(
            AuditEntry.resource_type == "pact_proposal", AuditEntry.resource_id == str(proposal_id),
            AuditEntry.action.in_(("submit", "admit", "close_evaluation", "select", "submit_programme",
                                   "approve_programme", "start"))).order_by(AuditEntry.id)).all()
        assert moves == ["submit", "admit", "close_evaluation", "select", "submit_programme", "approve_programme",
                         "start"]
