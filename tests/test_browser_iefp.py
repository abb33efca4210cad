"""The IeFP pages in a real browser (Debian chromium + Playwright, the real app on a loopback port): a firm
publishes two apprenticeship places, the centre ranks them with its students (which proposes the students),
the firm ranks the candidates, the Region runs the matching and the firm sees the students assigned to it; the
Region's page shows the province's places against demand (postings facts and a map). A student the centre
never proposed never appears on the firm's pages. Then the centre starts one placement and writes its training
plan: a plan over the weekly bound is refused naming the field, the corrected one is signed and the contract
starts; the firm reads the signed plan."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from regia.analytics.iefp_demand import make_provider
from regia.auth.principal import cli_principal
from regia.db import session_scope
from regia.iefp import offer, students
from regia.iefp.demo_data import DEMO_FIGURES
from regia.iefp.figures import ingest_figures
from regia.postings import facts
from regia.web.app import create_app
from support.accounts import World, build_world
from support.browser import launched, require_assets, require_chromium, visitor_page
from support.pact_pages import copy_of, login, shot
from support.servers import live_server

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

YEAR = "2026/27"
SYSTEM = cli_principal("test")
KIDS = (("Luca", "Bianchi", "BNCLCU10C14F704"), ("Sara", "Colombo", "CLMSRA10L42E617"),
        ("Matteo", "Ferrari", "FRRMTT09S23D286"), ("Chiara", "Sala", "SLACHR09T52B212"))


@dataclass
class Scene:
    world: World
    students: dict[str, int]
    facts: Path


@pytest.fixture(scope="module")
def chromium() -> Path:
    return require_chromium()


@pytest.fixture(scope="module")
def scene(chromium: Path, sqlite_taxonomy: Engine, tmp_path_factory: pytest.TempPathFactory) -> Scene:
    """The test accounts on a copy of the reference data; the test provider as an IeFP centre in Monza with a
    second-year path of Operatore meccanico and four students (families' consent recorded); postings facts."""
    from stdnum.it import codicefiscale

    root = tmp_path_factory.mktemp("browser-iefp")
    engine = copy_of(sqlite_taxonomy, root)
    world = build_world(engine)
    ingest_figures(engine, DEMO_FIGURES, source="demo", demo=True, actor=SYSTEM)
    ids = {}
    with session_scope(engine) as s:
        centre = offer.register_centre(s, actor=SYSTEM, organisation_id=world.orgs["provider"])
        seat = offer.add_seat(s, actor=SYSTEM, centre_id=centre.id, name="Sede di Monza", comune_code="108033")
        path = offer.create_path(s, actor=SYSTEM, seat_id=seat.id, figure_code="Q-MECC", school_year=YEAR,
                                 year_of_course=2, places=20, enrolled=4)
        for given, family, stem in KIDS:
            sid = students.enrol(s, actor=SYSTEM, path_id=path.id, tax_code=stem + codicefiscale.calc_check_digit(stem),
                                 given_name=given, family_name=family, birth_date=date(2010, 3, 14),
                                 comune_code="108033").id
            students.record_consent(s, actor=SYSTEM, student_id=sid, given_by="parent")
            ids[given] = sid
    base = {k: None for k in facts.POSTINGS_SCHEMA.names}
    facts.write_batch(root / "facts", facts.POSTINGS, 1, 0, [
        {**base, "posting_id": n, "group_id": n, "synthetic": True, "month": "2026-10", "nuts3": "ITC4D",
         "nuts2": "ITC4", "ateco_section": "C", "ateco_division": "25"} for n in range(1, 41)])
    return Scene(world, ids, root / "facts")


@pytest.fixture(scope="module")
def server(scene: Scene) -> Iterator[str]:
    app = create_app(engine=scene.world.engine)
    app.state.auth_settings = scene.world.settings
    app.state.iefp_demand = make_provider(scene.world.engine, scene.facts)
    with live_server(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Any]:
    with launched(chromium) as b:
        yield b


def _publish(page: Any, title: str) -> None:
    page.locator("#place-kind").select_option("apprendistato")
    page.locator("#place-figure").select_option("Q-MECC")
    page.locator("#place-title").fill(title)
    page.locator("#place-seats").fill("1")
    page.locator("#place-comune").fill("108028")  # Lissone
    page.locator("#place-ateco").fill("25.62")
    page.locator("#place-start").fill("2026-10-01")
    page.locator("#place-end").fill("2027-06-30")
    page.locator("#place-hours").fill("500")
    page.locator("#place-weekly").fill("24")
    page.locator("#place-tutor").fill("Paolo Redaelli")
    page.locator("#add-place").click()
    expect(page.locator("#firm-done")).to_have_text("Posto salvato.")


def _rank_places(page: Any, server: str, student: int, ranks: dict[str, str]) -> None:
    page.goto(f"{server}/iefp/centre/students/{student}")
    for title, rank in ranks.items():
        page.locator("#student-places tr", has_text=title).locator("input").fill(rank)
    page.locator("#save-preferences").click()
    expect(page.locator("#student-done")).to_have_text("Preferenze salvate e proposte inviate.")


def _rank_candidates(page: Any, title: str, ranks: dict[str, str]) -> None:
    card = page.locator("section.place", has_text=title)
    for name, rank in ranks.items():
        card.locator("tr", has_text=name).locator("input").fill(rank)
    card.get_by_role("button", name="Salva la graduatoria").click()
    expect(page.locator("#firm-done")).to_have_text("Graduatoria salvata.")


def test_places_ranked_matched_and_seen_by_the_firm(server: str, browser: Any, scene: Scene) -> None:
    require_assets("bootstrap-italia/css/bootstrap-italia.min.css", "leaflet/leaflet.js")
    w = scene.world
    firm_page = f"/iefp/firm?year={YEAR}"

    # the firm publishes two apprenticeship places; nobody is a candidate yet
    with visitor_page(browser) as page:
        login(page, server, w.emails["firm_editor"], "/iefp/firm")
        expect(page.get_by_role("heading", level=1)).to_have_text("Officine di prova S.r.l.")
        _publish(page, "Apprendista CNC")
        _publish(page, "Apprendista montaggio")
        expect(page.locator("section.place")).to_have_count(2)
        expect(page.locator(".no-candidates")).to_have_count(2)
        assert "Bianchi" not in page.content()
        assert page.problems == []  # type: ignore[attr-defined]

    # the centre records each student's places in order: that proposes them (Chiara is never proposed)
    with visitor_page(browser) as page:
        login(page, server, w.emails["provider_editor"], "/iefp/centre")
        expect(page.locator("#centre-students tbody tr")).to_have_count(4)
        _rank_places(page, server, scene.students["Luca"], {"Apprendista CNC": "1", "Apprendista montaggio": "2"})
        _rank_places(page, server, scene.students["Sara"], {"Apprendista CNC": "1"})
        _rank_places(page, server, scene.students["Matteo"], {"Apprendista montaggio": "1", "Apprendista CNC": "2"})
        expect(page.locator("#student-places tr", has_text="Apprendista CNC")).to_contain_text("proposto")
        shot(page, "iefp-student")

    # the firm sees the proposed candidates, with their names and commute, and ranks them
    with visitor_page(browser) as page:
        login(page, server, w.emails["firm_editor"], "/iefp/firm")
        cnc = page.locator("section.place", has_text="Apprendista CNC")
        expect(cnc.locator(".candidate-name")).to_have_count(3)
        expect(cnc).to_contain_text("Luca Bianchi")
        expect(cnc.locator("tr", has_text="Sara Colombo")).to_contain_text("min")  # Monza -> Lissone
        assert "Chiara" not in page.content() and "Sala" not in page.content()
        _rank_candidates(page, "Apprendista CNC", {"Sara Colombo": "1", "Luca Bianchi": "2"})  # Matteo: no
        _rank_candidates(page, "Apprendista montaggio", {"Luca Bianchi": "1", "Matteo Ferrari": "2"})
        expect(page.locator("#firm-assignments")).to_contain_text("Nessuno studente assegnato")

    # the Region runs the matching; its page shows the province's places against demand
    with visitor_page(browser) as page:
        login(page, server, w.emails["region_admin"], "/iefp/region")
        page.locator("#run-matching").click()
        expect(page.locator("#region-done")).to_have_text("Abbinamento eseguito.")
        run = page.locator("#region-runs tbody tr").first
        expect(run.locator(".matched")).to_have_text("2")
        expect(run.locator(".unmatched")).to_have_text("1")
        expect(run).to_contain_text("i posti scelti sono andati a candidati preferiti dalle imprese")  # Matteo
        mb = page.locator("#region-provinces tr[data-nuts3='ITC4D']")
        expect(mb.locator("th")).to_have_text("Monza e della Brianza")
        expect(mb.locator(".path-places")).to_have_text("20")
        expect(mb.locator(".firm-seats")).to_have_text("2")
        expect(mb.locator(".postings")).to_have_text("40")
        expect(mb.locator(".ratio")).to_have_text("55,0")  # (20 + 2) places per 100 of the 40 postings
        expect(page.locator("#iefp-map")).to_have_attribute("data-ready", "true")
        assert page.locator("#iefp-map .leaflet-interactive").count() >= 12
        assert "Bianchi" not in page.content()  # the Region reads pseudonyms
        shot(page, "iefp-region")
        page.goto(f"{server}/iefp/region?lang=en")
        expect(page.get_by_role("heading", level=1)).to_have_text("IeFP: the system")
        assert page.problems == []  # type: ignore[attr-defined]

    # the firm sees its assigned students and why
    with visitor_page(browser) as page:
        login(page, server, w.emails["firm_editor"], "/iefp/firm")
        page.goto(f"{server}{firm_page}")
        assigned = page.locator("#firm-assignments > li")
        expect(assigned).to_have_count(2)
        expect(page.locator("#firm-assignments > li", has_text="Apprendista CNC")).to_contain_text("Sara Colombo")
        expect(page.locator("#firm-assignments > li", has_text="Apprendista montaggio")).to_contain_text("Luca Bianchi")
        expect(page.locator("#firm-assignments > li", has_text="Luca Bianchi")).to_contain_text("2ª scelta")
        assert "Chiara" not in page.content()
        shot(page, "iefp-firm")
        assert page.problems == []  # type: ignore[attr-defined]

    # the centre starts Sara's apprenticeship and writes its training plan: 44 hours a week are refused
    with visitor_page(browser) as page:
        login(page, server, w.emails["provider_editor"], f"/iefp/centre?year={YEAR}")
        page.locator("#centre-assignments > li", has_text="Sara Colombo").get_by_role(
            "button", name="Avvia il tirocinio o il contratto").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Apprendista CNC")
        expect(page.locator("#plan-weekly")).to_have_value("24")  # proposed from the place
        expect(page.locator("#plan-centre")).to_have_value("490")  # 990 - the place's 500 hours at the firm
        page.locator("#plan-weekly").fill("44")
        page.locator("#plan-tutor-centre").fill("Marta Sironi")
        for code in ("OM.B1", "OM.B2", "OM.T1"):
            page.locator(f"[id='where-{code}']").select_option("centre")
        page.locator("#sign-plan").click()
        issue = page.locator("#plan-issues li[data-field='weekly_hours_work']")
        expect(issue).to_contain_text("44 ore settimanali: al massimo 40")
        expect(page.locator("#plan-weekly")).to_have_value("44")  # what was typed is kept
        expect(page.locator("[id='where-OM.B1']")).to_have_value("centre")
        assert [x for x in page.problems if "422" not in x] == []  # type: ignore[attr-defined]
        page.problems.clear()  # type: ignore[attr-defined]  # the refused form's 422 answer, expected
        page.locator("#plan-weekly").fill("24")
        page.locator("#sign-plan").click()
        expect(page.locator("#placement-done")).to_have_text("Piano formativo salvato.")
        expect(page.locator("#plan-status")).to_have_text("sottoscritto")
        expect(page.locator("#placement-status")).to_have_text("in corso")
        placement = page.url
        assert page.problems == []  # type: ignore[attr-defined]

    with visitor_page(browser) as page:
        login(page, server, w.emails["firm_editor"], "/iefp/firm")
        page.goto(placement)
        expect(page.locator("#plan-status")).to_have_text("sottoscritto")
        expect(page.locator("#plan-weekly")).to_be_disabled()  # the plan is the centre's
        expect(page.locator("#sign-plan")).to_have_count(0)
        expect(page.locator("#progress-form")).to_be_visible()  # the firm reports progress
        assert "Chiara" not in page.content()
