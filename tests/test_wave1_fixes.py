"""Issue 19 (wave-1 fixes) without a browser: one time-zone rule for instants, the taxonomy pickers of the forms,
fragments opened directly, the page header after login."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from regia.auth import sessions
from regia.auth.principal import cli_principal
from regia.db import session_scope
from regia.pacts import calls
from regia.pacts.evaluation import check_admissibility
from regia.pacts.models import Call, Proposal
from regia.web.app import create_app
from support.accounts import World, WorldTemplates, call_values
from support.pact_pages import copy_of

ROME = ZoneInfo("Europe/Rome")
OFFSET = re.compile(r"(Z|[+-]\d\d:\d\d)$")
# 28 February 2027, 23:59 in Rome is 22:59 UTC (winter time, +01:00)
DEADLINE = datetime(2027, 2, 28, 23, 59, tzinfo=ROME)
WELDING = "http://data.europa.eu/esco/skill/"


@pytest.fixture(scope="module")
def worlds(databases: object) -> WorldTemplates:
    return WorldTemplates(databases)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, worlds: WorldTemplates) -> Iterator[World]:
    world = worlds.new(request.param)
    yield world
    worlds.drop(world)


def _rome_call(world: World) -> int:
    with session_scope(world.engine) as session:
        call = calls.create(session, actor=cli_principal("test"), **call_values(
            code="PATTI-ROMA", now=datetime(2027, 1, 29, tzinfo=UTC), manifestation_deadline=DEADLINE))
        return call.id


def test_instants_read_back_aware_in_utc_on_both_engines(world: World) -> None:
    call_id = _rome_call(world)
    with session_scope(world.engine) as session:
        stored = session.get(Call, call_id).manifestation_deadline
    assert stored.tzinfo is not None and stored.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert stored == DEADLINE and stored.hour == 22  # the UTC instant, not Rome's wall-clock stored as UTC


def test_api_datetimes_carry_an_offset_and_pages_show_rome(world: World) -> None:
    call_id = _rome_call(world)
    client = TestClient(create_app(engine=world.engine))
    body = client.get(f"/api/pacts/calls/{call_id}").json()
    for key in ("opens_at", "manifestation_deadline", "evaluation_deadline", "programme_deadline"):
        assert OFFSET.search(body[key]), (key, body[key])
    assert datetime.fromisoformat(body["manifestation_deadline"]) == DEADLINE
    page = client.get(f"/pacts/calls/{call_id}").text
    assert "28/02/2027 23:59" in page and "28/02/2027 22:59" not in page and "01/03/2027" not in page


def test_admissibility_note_gives_rome_times(world: World) -> None:
    with session_scope(world.engine) as session:
        proposal = session.get(Proposal, world.proposals["submitted_a"])
        deadline = calls.aware(session.get(Call, proposal.call_id).manifestation_deadline)
        checks = check_admissibility(session, proposal=proposal)
    note = next(c for c in checks if c["check"] == "deadline")["note"]
    rome = deadline.astimezone(ROME)
    assert f"scadenza {rome:%d/%m/%Y %H:%M}" in note
    if rome.utcoffset() != deadline.utcoffset():
        assert f"{deadline.astimezone(UTC):%d/%m/%Y %H:%M}" not in note


@pytest.fixture(scope="module")
def reference_client(taxonomy_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    if taxonomy_engine.dialect.name != "sqlite":
        pytest.skip("the pickers read the taxonomy; one engine is enough")
    engine = copy_of(taxonomy_engine, tmp_path_factory.mktemp("pickers"))
    return TestClient(create_app(engine=engine))


def test_skill_picker_offers_names_with_the_uri_to_store(reference_client: TestClient) -> None:
    r = reference_client.get("/taxonomy/picker/skill", params={"q": "saldatura"}, headers={"HX-Request": "true"})
    assert r.status_code == 200 and "<html" not in r.text and "HX-Request" in r.headers["vary"]
    values = re.findall(r'data-value="([^"]+)"', r.text)
    labels = re.findall(r'data-label="([^"]+)"', r.text)
    assert values and all(v.startswith(WELDING) for v in values)
    assert any("saldatura" in label.lower() for label in labels)


def test_province_pickers_store_nuts3_or_sigla(reference_client: TestClient) -> None:
    hx = {"HX-Request": "true"}
    nuts3 = reference_client.get("/taxonomy/picker/province", params={"q": "Bergamo"}, headers=hx).text
    assert 'data-value="ITC46"' in nuts3 and "Bergamo" in nuts3
    sigla = reference_client.get("/taxonomy/picker/sigla", params={"q": "Bergamo"}, headers=hx).text
    assert 'data-value="BG"' in sigla and 'data-value="016024"' not in sigla  # the province, not the comune
    ateco = reference_client.get("/taxonomy/picker/ateco", params={"q": "metallurgia"}, headers=hx).text
    assert re.search(r'data-value="[A-Z0-9.]+"', ateco)
    by_code = reference_client.get("/taxonomy/picker/ateco", params={"q": "25"}, headers=hx).text
    assert re.findall(r'data-value="([^"]+)"', by_code)[0] == "25"  # a code typed is offered first
    assert reference_client.get("/taxonomy/picker/nothing", params={"q": "x"}).status_code == 404


def test_a_fragment_opened_directly_is_a_full_page(reference_client: TestClient) -> None:
    page = reference_client.get("/taxonomy/picker/skill", params={"q": "saldatura"})
    assert page.status_code == 200 and "<html" in page.text and 'id="account-zone"' in page.text
    assert "<h1>Competenze ESCO</h1>" in page.text and 'data-value="' + WELDING in page.text


def test_header_names_the_account_and_offers_logout(world: World) -> None:
    app = create_app(engine=world.engine)
    app.state.auth_settings = world.settings
    client = TestClient(app)
    anonymous = client.get("/").text
    assert 'id="login-link"' in anonymous and 'id="logout-form"' not in anonymous
    cookie, csrf = world.session_cookie("partnership_editor") or ("", "")
    client.cookies.set(sessions.SESSION_COOKIE, cookie)
    signed_in = client.get("/").text
    assert 'id="login-link"' not in signed_in
    assert re.search(r'id="account-name">partnership_editor<', signed_in)
    assert re.search(r'id="account-org"> · Patto A', signed_in)
    assert f'name="csrf_token" value="{csrf}"' in signed_in


def test_a_page_for_accounts_says_so_on_the_login_page(world: World) -> None:
    app = create_app(engine=world.engine)
    app.state.auth_settings = world.settings
    client = TestClient(app)
    sent = client.get("/fabbisogni", follow_redirects=False)
    assert sent.status_code in (302, 303, 307) and sent.headers["location"].endswith("/login?next=%2Ffabbisogni")
    page = client.get(sent.headers["location"]).text
    assert "«Fabbisogni» è riservata agli account registrati" in page
    assert 'id="login-needed"' not in client.get("/login").text  # asked for directly: nothing to explain


def test_orientation_says_in_italian_what_it_could_not_find(reference_client: TestClient) -> None:
    params = {"current": "saldatore", "target": "abc xyzzy qwerty", "lang": "it"}
    page = reference_client.get("/catalog/orientation", params=params).text
    assert "named like" not in page and "Nessuna professione ESCO con un nome simile a" in page
    english = reference_client.get("/catalog/orientation", params={**params, "lang": "en"}).text
    assert "No ESCO occupation named like" in english


@pytest.fixture
def demo_pacts(empty_engine: Engine) -> Engine:
    from regia.auth.demo import seed_demo_accounts
    from regia.pacts.demo_data import ensure_demo_pacts

    seed_demo_accounts(empty_engine)
    ensure_demo_pacts(empty_engine)
    return empty_engine


def test_outcome_letters_are_dated_at_the_decision_and_name_the_short_source(demo_pacts: Engine) -> None:
    import io

    from pypdf import PdfReader
    from sqlalchemy import select

    from regia.pacts import letters
    from regia.pacts.models import INADMISSIBLE, NOT_SELECTED

    with session_scope(demo_pacts) as session:
        refused = session.scalars(select(Proposal).where(Proposal.status == NOT_SELECTED)).one()
        call = session.get(Call, refused.call_id)
        published = call.ranking_published_at.astimezone(ROME).date()
        assert published != datetime.now(ROME).date()  # the demo ranking was published days ago
        _, lines = letters.outcome_lines(session, refused, call, "it")
        short = [line for line in lines if "disponibili al suo turno in graduatoria" in line]
        assert short, lines  # which envelope had no room, with what was asked and what was left
        pdf = letters.letter_pdf(session, principal=cli_principal("test"), proposal_id=refused.id)
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
        assert f"{published:%d/%m/%Y}" in text
        inadmissible = session.scalars(select(Proposal).where(Proposal.status == INADMISSIBLE)).one()
        assert letters.decided_on(session, inadmissible, session.get(Call, inadmissible.call_id)) is not None


def test_fund_dashboard_and_my_fund_filter(world: World) -> None:
    app = create_app(engine=world.engine)
    app.state.auth_settings = world.settings
    client = TestClient(app)
    cookie, _ = world.session_cookie("fund_editor") or ("", "")
    client.cookies.set(sessions.SESSION_COOKIE, cookie)
    page = client.get("/fondo", params={"lang": "it"})
    assert page.status_code == 200 and "Il mio Fondo" in page.text
    assert "Nessuna proposta chiede risorse dei Fondi." in page.text  # the test proposals ask regional money only
    catalogue = client.get("/catalog").text
    assert 'id="my-fund"' in catalogue and 'name="fund"' in catalogue
    client.cookies.set(sessions.SESSION_COOKIE, (world.session_cookie("partnership_editor") or ("", ""))[0])
    other = client.get("/fondo")
    assert other.status_code == 403 and 'id="fund-none"' in other.text
    assert 'id="my-fund"' not in client.get("/catalog").text


INSTANT = re.compile(r'"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?)([^"]*)"')


def test_every_instant_the_api_returns_carries_an_offset(world: World) -> None:
    client = TestClient(create_app(engine=world.engine))
    submitted = world.proposals["submitted_a"]
    seen = 0
    for role, path in (("partnership_editor", "/api/pacts/calls"), ("partnership_editor", "/api/pacts/proposals"),
                       ("partnership_editor", f"/api/pacts/proposals/{submitted}"),
                       ("partnership_editor", "/api/auth/tokens"), ("region_admin", "/api/pacts/assignments")):
        answer = client.get(path, headers=world.bearer(role))
        assert answer.status_code == 200, (path, answer.status_code)
        for moment, rest in INSTANT.findall(answer.text):
            seen += 1
            assert OFFSET.search(rest or "x"), (path, moment + rest)
    assert seen >= 5


def test_partner_types_in_messages_are_named() -> None:
    from regia.i18n import gettext
    from regia.pacts import messages

    cciaa = gettext("pacts.orgtype.cciaa", "it")
    assert cciaa != "pacts.orgtype.cciaa"
    text = messages.text("pacts.issue.partner_type_required", "it", {"type": "cciaa"})
    assert cciaa in text and "«cciaa»" not in text
    both = messages.text("eval.chk.types_missing", "en", {"types": "cciaa, education"})
    assert gettext("pacts.orgtype.education", "en") in both and "cciaa" not in both
