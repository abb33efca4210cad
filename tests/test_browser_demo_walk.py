"""The demo as a new user meets it (issue 19), in a real browser (Debian chromium + Playwright, the real app on a
loopback port): the imported reference data, the demo accounts, the demo catalogue and the demo pacts, seeded
as `regia demo` seeds them.

- Walk: as the accounts that see most, open the pages the demo links to and fail on an ESCO URI, an internal
  number ("#5", "user:2", "Lettera di impegno 5") or a bare territory code as the main text of a page.
- Walk-through: every demo account logs in, the header names them, and each does its role's main action
  (``MAIN_ACTIONS``; the wave-2 roles whose domain has not landed yet are marked for the lead).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from regia.auth.demo import DEMO_PASSWORD, DEMO_USERS, seed_demo_accounts
from regia.certification.demo_data import ensure_demo_certification
from regia.iefp.demo_data import ensure_demo_iefp
from regia.pacts.demo_data import ensure_demo_pacts
from regia.web.app import create_app
from support.browser import launched, raw_identifiers, require_chromium, visitor_page
from support.pact_pages import copy_of, login
from support.servers import live_server

pytestmark = pytest.mark.browser

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

PENDING = "Da dichiarare"  # an evaluator's assignment still without the conflict-of-interest declaration


@pytest.fixture(scope="module")
def chromium() -> Path:
    return require_chromium()


@pytest.fixture(scope="module")
def demo(chromium: Path, sqlite_taxonomy: Engine, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    from regia.catalog.demo_data import generate
    from regia.catalog.ingest import ingest_file

    root = tmp_path_factory.mktemp("demo-walk")
    engine = copy_of(sqlite_taxonomy, root)
    seed_demo_accounts(engine)
    for path, source in generate(engine, root / "courses", courses=150):
        ingest_file(engine, path, source=source, tagger=None)
    ensure_demo_pacts(engine)
    ensure_demo_certification(engine)
    ensure_demo_iefp(engine)
    return engine


@pytest.fixture(scope="module")
def server(demo: Engine) -> Iterator[str]:
    with live_server(create_app(engine=demo)) as url:
        yield url


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Any]:
    with launched(chromium) as b:
        yield b


def _links(page: Any, prefix: str, limit: int) -> list[str]:
    hrefs = page.evaluate("(p) => [...document.querySelectorAll('main a[href]')].map(a => a.getAttribute('href'))"
                          ".filter(h => h.startsWith(p))", prefix)
    seen: list[str] = []
    for h in hrefs:
        h = h.split("#")[0]
        if h not in seen and not h.endswith((".pdf", ".csv")) and "/documents/" not in h:
            seen.append(h)
    return seen[:limit]


@pytest.mark.parametrize(("email", "start"), [
    ("admin@regione.demo", "/pacts/calls"),
    ("admin@regione.demo", "/pacts/evaluation"),
    ("brianza@patto.demo", "/pacts/proposals"),
    ("valutatore@regione.demo", "/pacts/evaluation"),
    ("admin@regione.demo", "/admin/audit"),
    ("ente@formazione.demo", "/catalog"),
])
def test_demo_pages_show_names_not_identifiers(server: str, browser: Any, email: str, start: str) -> None:
    found: dict[str, list[str]] = {}
    with visitor_page(browser, failed_requests=False) as page:
        login(page, server, email, start, password=DEMO_PASSWORD)
        queue, done = [start], set()
        while queue and len(done) < 14:
            path = queue.pop(0)
            if path in done:
                continue
            done.add(path)
            page.goto(server + path)
            if raw := raw_identifiers(page):
                found[path] = raw
            queue += [h for h in _links(page, start.rsplit("/", 1)[0] + "/" if start.count("/") > 1 else start, 12)
                      if h not in done]
    assert found == {}


def _course_of(engine: Engine, vat: str) -> int:
    from regia.catalog.models import Course, Provider
    from regia.db import session_factory

    with session_factory(engine)() as session:
        course_id = session.scalar(select(Course.id).join(Provider, Provider.id == Course.provider_id)
                                   .where(Provider.vat == vat).order_by(Course.id).limit(1))
    assert course_id is not None, f"the demo provider {vat} owns no course"
    return course_id


def _own_course(page: Any, server: str, engine: Engine, vat: str) -> None:
    """A provider's main action: its own course opens with the skills it may confirm, and saving works."""
    page.goto(f"{server}/catalog/courses/{_course_of(engine, vat)}")
    page.locator("#save-skills").click()
    expect(page.locator("#skills-saved")).to_be_visible()


def _declare_no_conflict(page: Any, server: str, engine: Engine) -> None:
    """An evaluator's main action: open the assigned proposal and declare no conflict of interest."""
    page.goto(f"{server}/pacts/evaluation")
    pending = page.locator("#assignments-table tbody tr").filter(has_text=PENDING)
    pending.first.locator("a").click()
    page.locator("label[for='coi-no']").click()
    page.locator("#coi-submit").click()
    expect(page.locator("#coi-form")).to_have_count(0)
    expect(page.locator("#score-form")).to_be_visible()  # now the score sheet


def _save_draft(page: Any, server: str, engine: Engine) -> None:
    """A partnership's main action: open its draft under the open call and save it."""
    page.goto(f"{server}/pacts/proposals")
    page.locator("main a[href^='/pacts/proposals/']").first.click()
    if page.locator("#save-proposal").count():
        page.locator("#save-proposal").click()
        expect(page.locator("#saved")).to_have_text("Bozza salvata.")
    else:  # presented proposals: read their status
        expect(page.locator("#proposal-status")).not_to_be_empty()


def _cabina(page: Any, server: str, engine: Engine) -> None:
    """The Region's main view: the Cabina di regia with the running pact."""
    page.goto(f"{server}/pacts/cabina")
    expect(page.locator("main table tbody tr").first).to_be_visible()


def _needs(page: Any, server: str, engine: Engine) -> None:
    """The analyst: Fabbisogni opens (no redirect to the login page)."""
    page.goto(f"{server}/fabbisogni")
    expect(page).to_have_url(f"{server}/fabbisogni")
    expect(page.get_by_role("heading", level=1)).to_have_text("Fabbisogni professionali")


def _fund_dashboard(page: Any, server: str, engine: Engine) -> None:
    """A Fund: its dashboard (its courses, the pacts asking Fund resources), then the catalogue on its courses."""
    page.goto(f"{server}/fondo")
    expect(page.locator("#fund-pacts-table tbody tr").first).to_be_visible()  # the demo proposals ask the Funds
    page.locator("#fund-catalogue-link").first.click()
    expect(page.locator("#my-fund input[name=fund]").first).to_be_checked()


def _orientation(page: Any, server: str, engine: Engine) -> None:
    """A citizen: from their occupation to a target one, the courses to get there."""
    page.goto(f"{server}/catalog/orientation?current=saldatore&target=tecnico+meccatronico")
    expect(page.locator("main h2").first).to_contain_text("→")


def _assessor(page: Any, server: str, engine: Engine) -> None:
    """An IVC assessor: the requests assigned to them, one opened."""
    page.goto(f"{server}/certification/requests")
    page.locator("#assignments li a").first.click()
    expect(page).to_have_url(re.compile(r"/certification/requests/\d+$"))
    expect(page.get_by_role("heading", level=1)).not_to_be_empty()


def _centre(page: Any, server: str, engine: Engine) -> None:
    """An IeFP centre: its paths and its students (names shown to the centre only)."""
    page.goto(f"{server}/iefp/centre")
    expect(page.locator("#centre-paths tbody tr").first).to_be_visible()
    expect(page.locator("#centre-students tbody tr").first).to_be_visible()


def _firm(page: Any, server: str, engine: Engine) -> None:
    """A firm: its published places and the students the matching assigned to it."""
    page.goto(f"{server}/iefp/firm")
    expect(page.locator("#place-form")).to_be_visible()
    expect(page.locator("ul#firm-assignments li").first).to_be_visible()


def _provider(vat: str) -> Any:
    return lambda page, server, engine: _own_course(page, server, engine, vat)


# Each demo account's main action.
MAIN_ACTIONS: dict[str, Any] = {
    "admin@regione.demo": _cabina,
    "valutatore@regione.demo": _declare_no_conflict,
    "valutatrice@regione.demo": _declare_no_conflict,
    "analista@regione.demo": _needs,
    "fondo@fondimpresa.demo": _fund_dashboard,
    "fondo@terziario.demo": _fund_dashboard,
    "ente@formazione.demo": _provider("09000000019"),
    "valutatore@formazione.demo": _assessor,
    "esperto@cfp.demo": _assessor,
    "cfp@cfp.demo": _centre,
    "impresa@officine.demo": _firm,
    "brianza@patto.demo": _save_draft,
    "valtellina@patto.demo": _save_draft,
    "bergamo@patto.demo": _save_draft,
    "mantova@patto.demo": _save_draft,
    "milano@patto.demo": _save_draft,
    "cittadino@demo.demo": _orientation,
}


def test_every_demo_account_is_named_in_the_header_and_does_its_main_action(
        server: str, browser: Any, demo: Engine) -> None:
    assert set(MAIN_ACTIONS) == {email for email, *_ in DEMO_USERS}  # a new demo account needs an entry
    failures: dict[str, str] = {}
    for email, name, _org, _role in DEMO_USERS:
        with visitor_page(browser, failed_requests=False) as page:
            try:
                login(page, server, email, "/account", password=DEMO_PASSWORD)
                expect(page.locator("#account-name")).to_have_text(name)
                expect(page.locator("#logout-button")).to_be_visible()
                MAIN_ACTIONS[email](page, server, demo)
            except (AssertionError, playwright_api.Error) as exc:
                failures[email] = str(exc).splitlines()[0]
    assert failures == {}


@pytest.mark.parametrize("status", ["not_selected", "inadmissible"])
def test_the_outcome_letter_a_partnership_downloads_gives_the_real_reason(
        server: str, browser: Any, demo: Engine, status: str) -> None:
    """Not selected: dated at the ranking's publication, naming the envelope that had no room at its turn (with
    what was asked and what was left); inadmissible: the failed checks and the Region's stated reason."""
    import io

    from pypdf import PdfReader

    from regia.auth.models import Membership, Organisation, User
    from regia.clock import to_rome
    from regia.db import session_factory
    from regia.pacts.models import Call, Proposal

    with session_factory(demo)() as session:
        proposal = session.scalars(select(Proposal).where(Proposal.status == status)).one()
        email = session.scalar(select(User.email).join(Membership, Membership.user_id == User.id)
                               .join(Organisation, Organisation.id == Membership.organisation_id)
                               .where(Organisation.id == proposal.organisation_id).limit(1))
        call = session.get(Call, proposal.call_id)
        published = to_rome(call.ranking_published_at).date() if call.ranking_published_at else None
        reason = next((c.get("note") for c in proposal.admissibility or []
                       if c.get("check") == "decision" and c.get("note")), None)
    with visitor_page(browser, failed_requests=False) as page:
        login(page, server, email, f"/pacts/proposals/{proposal.id}", password=DEMO_PASSWORD)
        href = page.locator("#link-letter").get_attribute("href")
        response = page.request.get(server + (href or ""))  # with the partnership's session
        assert response.ok and response.headers["content-type"].startswith("application/pdf")
        pdf = response.body()
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    text = re.sub(r"\s+", " ", text)
    if status == "not_selected":
        assert published is not None and f"{published:%d/%m/%Y}" in text
        assert "disponibili al suo turno in graduatoria" in text, text
        assert "€" in text or "EUR" in text
    else:
        assert reason and f"Motivazione: {reason}"[:60] in text, text


@pytest.mark.parametrize(("email", "path", "form"), [
    ("cfp@cfp.demo", "/iefp/centre", "#path-form"),
    ("cfp@cfp.demo", "/iefp/centre", "#enrol-form"),
    ("impresa@officine.demo", "/iefp/firm", "#place-form"),
    ("admin@regione.demo", "/certification/delegations", "#delegation-form"),
    ("cittadino@demo.demo", "/certification/standards/DEMO-LOG-001/1", "#request-form"),
    (None, "/certification/verify", "#verify-form"),
])
def test_wave2_forms_pass_axe(server: str, browser: Any, email: str | None, path: str, form: str) -> None:
    """The forms of the IeFP and certification pages: every field visible, typed and labelled (axe-core)."""
    from support.browser import axe_violations, require_assets

    require_assets("bootstrap-italia/css/bootstrap-italia.min.css")
    with visitor_page(browser, failed_requests=False) as page:
        if email:
            login(page, server, email, path, password=DEMO_PASSWORD)
        else:
            page.goto(server + path)
        folded = page.locator(f"details:has({form}) > summary")
        if folded.count():  # forms that open from a summary line
            folded.first.click()
        expect(page.locator(form)).to_be_visible()
        expect(page.locator(f"{form} input:not([type])")).to_have_count(0)
        assert axe_violations(page, form) == []


def test_orientation_counts_the_citizens_certified_competences_as_held(server: str, browser: Any) -> None:
    """The demo citizen holds a certificate of the warehouse standard: towards *magazziniere* its ESCO skills are
    listed as already certified and are not among the missing ones; a visitor who is not signed in sees none."""
    path = "/catalog/orientation?current=saldatore&target=magazziniere"
    with visitor_page(browser, failed_requests=False) as page:
        page.goto(server + path)
        expect(page.locator("ul.missing-skills")).to_be_visible()
        assert page.locator("ul.certified-skills").count() == 0
        missing_anonymous = set(page.locator("ul.missing-skills li").all_inner_texts())
    with visitor_page(browser, failed_requests=False) as page:
        login(page, server, "cittadino@demo.demo", path, password=DEMO_PASSWORD)
        certified = set(page.locator("ul.certified-skills li").all_inner_texts())
        missing = set(page.locator("ul.missing-skills li").all_inner_texts())
    assert certified and certified <= missing_anonymous and not certified & missing
    assert missing == missing_anonymous - certified
