"""The manifestation of interest in a real browser (Debian chromium + Playwright, the real app on a loopback
port, real evidence from postings facts and the catalogue): a partnership editor starts a draft under the open
call, sees every validation issue in Italian, completes the form, uploads the letters of commitment and
submits; an evaluator then reads the frozen version with its evidence snapshot."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from regia.db import session_factory
from regia.pacts.models import SUBMITTED, Proposal
from regia.postings import facts
from regia.web.app import create_app
from support.accounts import ORGS, PARTNERS, PDF, World, build_world, publish_course
from support.browser import launched, require_chromium
from support.pact_pages import fill_partner, login, pick, save_draft, shot
from support.servers import live_server
from test_mismatch_analytics import build_world as mismatch_world

pytestmark = pytest.mark.browser

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
LEAD = ("Patto A", ORGS["partnership_a"][2] or "", "partnership")


@pytest.fixture(scope="module")
def chromium() -> Path:
    return require_chromium()


@pytest.fixture(scope="module")
def world(chromium: Path, sqlite_taxonomy: Engine, tmp_path_factory: pytest.TempPathFactory
          ) -> tuple[World, Path, int]:
    engine, root, _ = mismatch_world(sqlite_taxonomy, tmp_path_factory.mktemp("browser-pacts"), courses=200)
    world = build_world(engine)
    return world, root, publish_course(engine, vat=ORGS["provider"][3] or "")


@pytest.fixture(scope="module")
def server(world: tuple[World, Path, int]) -> Iterator[str]:
    w, root, _ = world
    app = create_app(engine=w.engine)
    app.state.auth_settings = w.settings
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(facts, "default_dir", lambda: root)  # the evidence comes from these postings facts
        with live_server(app) as url:
            yield url


@pytest.fixture
def page(chromium: Path) -> Iterator[Any]:
    with launched(chromium) as browser:
        context = browser.new_context(locale="it-IT", viewport={"width": 1280, "height": 1000})
        context.set_default_timeout(20_000)
        yield context.new_page()


def test_draft_validate_complete_upload_submit_then_evaluator_reads(
        server: str, page: Any, world: tuple[World, Path, int]) -> None:
    w, _, course_id = world
    login(page, server, w.emails["partnership_editor"], "/pacts/calls")
    expect(page.get_by_role("heading", level=1)).to_have_text("Avvisi per i Patti territoriali")
    page.get_by_role("link", name="Patti territoriali per le competenze e l'occupazione 2027").click()
    expect(page.locator("#call-phase")).to_have_text("Aperto alle manifestazioni di interesse")
    page.get_by_label("Titolo della proposta").fill("Meccatronica e saldatura nella bergamasca")
    page.get_by_role("button", name="Crea la bozza").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Meccatronica e saldatura nella bergamasca")
    expect(page.locator("#proposal-status")).to_have_text("Bozza")
    proposal_id = int(page.url.rstrip("/").rsplit("/", 1)[-1].split("?")[0])

    # An empty draft: "Verifica" lists every missing item, in Italian.
    page.locator("#validate").click()
    issues = page.locator("#validation-issues li")
    expect(page.locator("#validation-issues")).to_contain_text("Da completare prima di presentare")
    expect(issues.filter(has_text="l'avviso ne chiede almeno 3")).to_have_count(1)
    expect(issues.filter(has_text="Indica il territorio di intervento.")).to_have_count(1)
    expect(issues.filter(has_text="Indica almeno un'azione prevista.")).to_have_count(1)
    expect(issues.filter(has_text="L'avviso chiede un partner di tipo «Camera di Commercio»")).to_have_count(1)  # named
    assert issues.count() >= 12
    shot(page, "pacts-issues")

    # Presenta with issues is refused and shows them.
    page.locator("#submit-proposal").click()
    expect(page.locator("#proposal-error")).to_contain_text("non è completa")
    expect(page.locator("#proposal-status")).to_have_text("Bozza")

    # Complete the form: partners one row at a time (saving adds an empty row), then the other sections.
    fill_partner(page, "lead", LEAD, "Capofila")
    fill_partner(page, "partners-0", PARTNERS[0], "Analisi dei fabbisogni")
    save_draft(page)
    fill_partner(page, "partners-1", PARTNERS[1], "Formazione")
    save_draft(page)
    fill_partner(page, "partners-2", PARTNERS[2], "Coinvolgimento delle imprese")
    page.locator("label[for='territory-nuts3-ITC46']").click()  # Bootstrap Italia draws the box on the label
    expect(page.get_by_label("ITC46")).to_be_checked()
    pick(page, "sectors", "attività manifatturiere", "C")  # the pickers search the taxonomy by name
    pick(page, "sectors", "25", "25")
    expect(page.locator("#sectors")).to_have_value("C 25")
    page.get_by_label("Esigenze del contesto di intervento").fill(
        "Le imprese meccaniche della bergamasca non trovano saldatori e manutentori.")
    page.locator("#actions-0-code").fill("A1")
    page.locator("#actions-0-kind").select_option("training")
    page.locator("#actions-0-title").fill("Corso di saldatura")
    page.locator("#actions-0-target_group").select_option("unemployed")
    page.locator("#actions-0-participants").fill("30")
    page.locator("#actions-0-course_id").fill(str(course_id))
    page.locator("#targets-0-group").select_option("unemployed")
    page.locator("#targets-0-number").fill("30")
    page.locator("#impacts-0-indicator").fill("Partecipanti occupati a sei mesi")
    page.locator("#impacts-0-unit").fill("%")
    page.locator("#impacts-0-baseline").fill("35")
    page.locator("#impacts-0-target").fill("60")
    page.locator("#requested-regional").fill("150000")
    save_draft(page)

    page.locator("#validate").click()
    remaining = page.locator("#validation-issues li")
    expect(remaining).to_have_count(4)  # a letter of commitment for each of the four partners
    expect(remaining.filter(has_text="Manca la lettera di impegno")).to_have_count(4)

    # Letters of commitment: each upload is linked to its partner.
    for _, code, _ in (LEAD, *PARTNERS):
        page.locator("#letter-partner").select_option(code)
        page.locator("#letter-file").set_input_files(files=[{"name": f"lettera {code}.pdf",
                                                            "mimeType": "application/pdf", "buffer": PDF}])
        page.locator("#upload-button").click()
        expect(page.locator("#saved")).to_be_visible()
    expect(page.locator("#documents tr[data-document]")).to_have_count(4)
    # a file that is not a PDF/PNG/JPEG is refused, whatever its name
    page.locator("#letter-file").set_input_files(files=[{"name": "lettera.pdf", "mimeType": "application/pdf",
                                                        "buffer": b"MZ\x90\x00 an executable"}])
    page.locator("#upload-button").click()
    expect(page.locator("#proposal-error")).to_contain_text("solo PDF, PNG o JPEG")

    page.locator("#validate").click()
    expect(page.locator("#validation-issues")).to_contain_text("Nessun problema")
    shot(page, "pacts-complete")
    page.locator("#submit-proposal").click()
    expect(page.locator("#submitted")).to_be_visible()
    expect(page.locator("#proposal-status")).to_have_text("Presentata")
    expect(page.locator("#manifestation-form")).to_have_count(0)  # frozen
    expect(page.locator("#versions")).to_contain_text("Versione 1")
    expect(page.locator("#evidence .evidence-block")).to_have_count(2)  # ITC46 × sectors C and 25
    expect(page.locator("#reopen-proposal")).to_be_visible()
    shot(page, "pacts-submitted")

    with session_factory(w.engine)() as session:
        proposal = session.get(Proposal, proposal_id)
        assert proposal is not None and proposal.status == SUBMITTED and len(proposal.versions) == 1
        frozen = proposal.versions[0]
        assert frozen.body["actions"][0]["course_id"] == course_id
        assert frozen.body["territory"]["nuts3"] == ["ITC46"] and frozen.body["sectors"] == ["C", "25"]
        assert all(p["letter_document_id"] for p in [frozen.body["lead"], *frozen.body["partners"]])
        top = frozen.evidence["blocks"][0]["top_demand"][0]["label"]

    # An evaluator reads the frozen version with the territory's figures.
    login(page, server, w.emails["evaluator"], "/pacts/proposals")
    page.get_by_role("link", name="Meccatronica e saldatura nella bergamasca").click()
    expect(page.locator("#manifestation-form")).to_have_count(0)
    expect(page.locator("#submit-proposal")).to_have_count(0)
    page.get_by_role("link", name="Versione 1").click()
    expect(page.locator("#version-number")).to_contain_text("Versione 1")
    expect(page.locator("#ro-needs")).to_have_text(
        "Le imprese meccaniche della bergamasca non trovano saldatori e manutentori.")
    evidence = page.locator("#evidence")
    expect(evidence).to_contain_text("Competenze più richieste")
    expect(evidence.locator(".evidence-block").first).to_contain_text("100 annunci")
    expect(evidence.locator(".evidence-demand tbody tr").first).to_contain_text(top)
    expect(evidence.locator(".evidence-gaps tbody tr").first).to_be_visible()
    shot(page, "pacts-evaluator-version")
