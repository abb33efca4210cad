"""Accounts end to end through the real app: identifiers validated, passwords hashed with Argon2id, tokens
stored as hashes, login rate limit, session cookies with CSRF, row-level filtering of lists, pseudonyms,
and the API's hygiene (problem details, size limit, CORS off, documented auth, pagination)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from conftest import Databases
from regia.auth import passwords, sessions, tokens
from regia.auth.models import ApiToken, LoginAttempt, User
from regia.auth.pseudonym import Pseudonymiser
from regia.db import session_factory
from regia.web.app import create_app
from support.accounts import PASSWORD, World, WorldTemplates, make_settings

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def worlds(databases: Databases) -> WorldTemplates:
    return WorldTemplates(databases)


@pytest.fixture
def world(request: pytest.FixtureRequest, worlds: WorldTemplates) -> Iterator[World]:
    """A fresh copy of the world on SQLite; tests marked ``both_engines`` also on PostgreSQL (the rest is
    engine-independent)."""
    world = worlds.new(getattr(request, "param", "sqlite"))
    yield world
    worlds.drop(world)


@pytest.fixture
def client(world: World) -> TestClient:
    app = create_app(engine=world.engine)
    app.state.auth_settings = world.settings
    return TestClient(app, follow_redirects=False)


both_engines = pytest.mark.parametrize(
    "world", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)


def login_page_session(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Log in through the page; returns the session's CSRF token (from a page form)."""
    form = client.get("/login")
    csrf = client.cookies.get(sessions.LOGIN_CSRF_COOKIE)
    assert form.status_code == 200 and csrf and f'value="{csrf}"' in form.text
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": csrf,
                                           "next": "/account"})
    assert response.status_code == 303, response.text
    account = client.get("/account")
    assert account.status_code == 200
    return account.text.split('name="csrf_token" value="')[1].split('"')[0]


# --- identifiers ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "field"), [
    ({"name": "X", "type": "fund", "tax_code": "12345678901"}, "tax_code"),  # bad check digit
    ({"name": "X", "type": "fund", "vat_number": "0900000001"}, "vat_number"),  # too short
    ({"name": "X", "type": "fund", "tax_code": "RSSMRA85T10A562S"}, "tax_code"),  # a person's code for a Fund
])
def test_invalid_identifiers_are_refused(client: TestClient, world: World, body: dict[str, str], field: str) -> None:
    response = client.post("/api/orgs", json=body, headers=world.bearer("region_admin"))
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM
    assert response.json()["errors"][0]["loc"] == ["body", field]


@both_engines
def test_identifiers_are_compacted_and_unique(client: TestClient, world: World) -> None:
    created = client.post("/api/orgs", headers=world.bearer("region_admin"),
                          json={"name": "CCIAA di prova", "type": "cciaa", "vat_number": "IT 09000000043"})
    assert created.status_code == 201 and created.json()["vat_number"] == "09000000043"
    again = client.post("/api/orgs", headers=world.bearer("region_admin"),
                        json={"name": "Altro nome", "type": "cciaa", "vat_number": "09000000043"})
    assert again.status_code == 409 and again.headers["content-type"] == PROBLEM


def test_a_citizen_organisation_may_carry_a_personal_fiscal_code(client: TestClient, world: World) -> None:
    response = client.post("/api/orgs", headers=world.bearer("region_admin"),
                           json={"name": "Mario Rossi", "type": "citizen", "tax_code": "rssmra85t10a562s"})
    assert response.status_code == 201 and response.json()["tax_code"] == "RSSMRA85T10A562S"


# --- passwords and tokens ------------------------------------------------------------------------------------

def test_passwords_are_argon2id_hashes(world: World) -> None:
    with session_factory(world.engine)() as session:
        user = session.get(User, world.users["citizen"])
        assert user is not None and user.password_hash and user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash
        assert passwords.verify_password(user.password_hash, PASSWORD)
        assert not passwords.verify_password(user.password_hash, PASSWORD + "x")
        assert not passwords.verify_password(None, PASSWORD)
    with pytest.raises(passwords.WeakPassword):
        passwords.hash_password("short")


@both_engines
def test_tokens_are_stored_as_hashes_and_can_be_revoked(client: TestClient, world: World) -> None:
    issued = client.post("/api/auth/tokens", json={"email": world.emails["fund_viewer"], "password": PASSWORD})
    assert issued.status_code == 201
    raw = issued.json()["token"]
    with session_factory(world.engine)() as session:
        row = session.get(ApiToken, issued.json()["id"])
        assert row is not None and row.token_hash == tokens.token_hash(raw) and raw not in row.token_hash
    bearer = {"Authorization": f"Bearer {raw}"}
    assert client.get("/api/auth/me", headers=bearer).json()["email"] == world.emails["fund_viewer"]
    listed = client.get("/api/auth/tokens", headers=bearer).json()
    assert all("token" not in t and "token_hash" not in t for t in listed)
    assert client.delete(f"/api/auth/tokens/{issued.json()['id']}", headers=bearer).status_code == 204
    refused = client.get("/api/auth/me", headers=bearer)
    assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Bearer")


def test_expired_and_unknown_tokens_are_refused(client: TestClient, world: World) -> None:
    with session_factory(world.engine)() as session:
        session.execute(update(ApiToken).where(ApiToken.id == world.token_ids["evaluator"])
                        .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        session.commit()
    assert client.get("/api/auth/me", headers=world.bearer("evaluator")).status_code == 401
    assert client.get("/api/auth/me", headers={"Authorization": "Bearer rga_" + "x" * 43}).status_code == 401
    # a public route does not fail on a bad token
    assert client.get("/health", headers={"Authorization": "Bearer nonsense"}).status_code in (200, 503)


def test_wrong_password_is_a_401_and_never_logged(client: TestClient, world: World,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    secret = "definitely-not-the-password"
    with caplog.at_level(logging.DEBUG):
        response = client.post("/api/auth/tokens", json={"email": world.emails["citizen"], "password": secret})
    assert response.status_code == 401 and response.headers["content-type"] == PROBLEM
    assert secret not in caplog.text and world.emails["citizen"] not in caplog.text
    unknown = client.post("/api/auth/tokens", json={"email": "nobody@example.org", "password": secret})
    assert unknown.status_code == 401 and unknown.json()["detail"] == response.json()["detail"]


@both_engines
def test_login_rate_limit(client: TestClient, world: World) -> None:
    email = world.emails["provider_editor"]
    for _ in range(world.settings.login_max_failures):
        assert client.post("/api/auth/tokens", json={"email": email, "password": "wrong-password"}).status_code == 401
    blocked = client.post("/api/auth/tokens", json={"email": email, "password": PASSWORD})  # right, but too late
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    # another account is not blocked by this one's failures
    assert client.post("/api/auth/tokens", json={"email": world.emails["citizen"], "password": PASSWORD}
                       ).status_code == 201
    with session_factory(world.engine)() as session:  # the store holds pseudonyms, not e-mails
        keys = session.scalars(select(LoginAttempt.key)).all()
        assert keys and all(email not in key and len(key) == 64 for key in keys)


# --- pages: session cookie and CSRF ---------------------------------------------------------------------------

@both_engines
def test_page_login_session_and_logout(client: TestClient, world: World) -> None:
    csrf = login_page_session(client, world.emails["partnership_editor"])
    cookie = client.cookies.get(sessions.SESSION_COOKIE)
    assert cookie and world.emails["partnership_editor"] not in cookie
    assert client.get("/api/auth/me").json()["via"] == "session"
    assert client.post("/logout", data={"csrf_token": "wrong"}).status_code == 403
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 303
    # the old cookie no longer works, even if replayed
    client.cookies.set(sessions.SESSION_COOKIE, cookie)
    assert client.get("/api/auth/me").status_code == 401
    assert client.get("/account").headers["location"].startswith("/login?next=")


def test_login_form_needs_its_csrf_token(client: TestClient, world: World) -> None:
    client.get("/login")
    response = client.post("/login", data={"email": world.emails["citizen"], "password": PASSWORD,
                                           "csrf_token": "forged"})
    assert response.status_code == 403 and sessions.SESSION_COOKIE not in response.cookies


def test_login_page_refuses_wrong_password_and_open_redirects(client: TestClient, world: World) -> None:
    page = client.get("/login", params={"lang": "en"})
    assert "Log in" in page.text
    csrf = client.cookies.get(sessions.LOGIN_CSRF_COOKIE)
    wrong = client.post("/login", data={"email": world.emails["citizen"], "password": "nope-nope-nope",
                                         "csrf_token": csrf})
    assert wrong.status_code == 401 and "login-error" in wrong.text
    ok = client.post("/login", data={"email": world.emails["citizen"], "password": PASSWORD, "csrf_token": csrf,
                                      "next": "https://evil.example/"})
    assert ok.status_code == 303 and ok.headers["location"] == "/"


def test_cookie_authenticated_api_writes_need_the_csrf_header(client: TestClient, world: World) -> None:
    csrf = login_page_session(client, world.emails["partnership_editor"])
    body = {"title": "Nuova", "body": {}}
    assert client.post("/api/pacts/proposals", json=body).status_code == 403
    assert client.post("/api/pacts/proposals", json=body, headers={sessions.CSRF_HEADER: csrf}).status_code == 201


def test_tampered_session_cookie_is_anonymous(client: TestClient, world: World) -> None:
    value, _ = sessions.make_session(world.users["region_admin"], 0, make_settings(secret_key="another-key" * 4))
    client.cookies.set(sessions.SESSION_COOKIE, value)
    assert client.get("/api/auth/me").status_code == 401


# --- row-level filtering -----------------------------------------------------------------------------------

@both_engines
@pytest.mark.parametrize(("role", "visible"), [
    ("partnership_editor", {"draft_a", "submitted_a"}),
    ("other_partnership_editor", {"draft_b"}),
    ("evaluator", {"submitted_a"}),
    ("fund_viewer", {"submitted_a"}),
    ("region_admin", {"draft_a", "draft_b", "submitted_a"}),
])
def test_proposal_lists_hold_only_visible_rows(client: TestClient, world: World, role: str,
                                               visible: set[str]) -> None:
    page = client.get("/api/pacts/proposals", headers=world.bearer(role)).json()
    ids = {p["id"] for p in page["items"]}
    assert ids == {world.proposals[name] for name in visible} and page["total"] == len(visible)


@both_engines
def test_organisation_and_user_lists_are_filtered(client: TestClient, world: World) -> None:
    mine = client.get("/api/orgs", headers=world.bearer("partnership_editor")).json()
    assert [o["id"] for o in mine["items"]] == [world.orgs["partnership_a"]]
    assert client.get("/api/orgs", headers=world.bearer("region_admin")).json()["total"] == len(world.orgs)
    users = client.get("/api/users", headers=world.bearer("partnership_admin")).json()
    assert {u["id"] for u in users["items"]} == {world.users["partnership_editor"], world.users["partnership_admin"]}
    alone = client.get("/api/users", headers=world.bearer("citizen")).json()
    assert [u["id"] for u in alone["items"]] == [world.users["citizen"]]


def test_org_admin_cannot_grant_roles_elsewhere(client: TestClient, world: World) -> None:
    response = client.put(f"/api/users/{world.users['partnership_editor']}/memberships/{world.orgs['region']}",
                          json={"organisation_id": world.orgs["region"], "role": "admin"},
                          headers=world.bearer("partnership_admin"))
    assert response.status_code == 403
    assert client.get("/api/auth/me", headers=world.bearer("partnership_editor")).json()["region_admin"] is False


@both_engines
def test_disabling_a_user_stops_their_tokens_and_sessions(client: TestClient, world: World) -> None:
    editor = world.users["partnership_editor"]
    assert client.get("/api/auth/me", headers=world.bearer("partnership_editor")).status_code == 200
    refused = client.patch(f"/api/users/{editor}", json={"is_active": False}, headers=world.bearer("fund_editor"))
    assert refused.status_code == 403
    done = client.patch(f"/api/users/{editor}", json={"is_active": False}, headers=world.bearer("partnership_admin"))
    assert done.status_code == 200 and done.json()["is_active"] is False
    assert client.get("/api/auth/me", headers=world.bearer("partnership_editor")).status_code == 401
    assert client.post("/api/auth/tokens", json={"email": world.emails["partnership_editor"],
                                                 "password": PASSWORD}).status_code == 401
    own = client.patch(f"/api/users/{world.users['region_admin']}", json={"is_active": False},
                       headers=world.bearer("region_admin"))
    assert own.status_code == 409  # nobody disables themself (nor the last Region administrator)
    assert client.patch(f"/api/users/{editor}", json={"is_active": True},
                        headers=world.bearer("region_admin")).json()["is_active"] is True
    assert client.get("/api/auth/me", headers=world.bearer("partnership_editor")).status_code == 200


@both_engines
def test_edit_conflicts_and_submitted_proposals_are_frozen(client: TestClient, world: World) -> None:
    url = f"/api/pacts/proposals/{world.proposals['draft_a']}"
    editor = world.bearer("partnership_editor")
    ok = client.put(url, json={"title": "Nuovo titolo", "body": {"summary": "1"}, "version": 1}, headers=editor)
    assert ok.status_code == 200 and ok.json()["version"] == 2
    stale = client.put(url, json={"title": "Altro", "body": {}, "version": 1}, headers=editor)
    assert stale.status_code == 409
    assert client.post(f"{url}/submit", headers=editor).status_code == 422  # an incomplete manifestation
    from regia.db import session_scope
    from support.accounts import ORGS, complete_manifestation

    with session_scope(world.engine) as session:
        complete_manifestation(session, proposal_id=world.proposals["draft_a"],
                               lead=("Patto A", ORGS["partnership_a"][2] or "", "partnership"))
    assert client.post(f"{url}/submit", headers=editor).json()["status"] == "submitted"
    frozen = client.put(url, json={"title": "Tardi", "body": {}, "version": 3}, headers=editor)
    assert frozen.status_code == 409
    assert client.get(url, headers=world.bearer("evaluator")).status_code == 200  # now visible to evaluators


@both_engines
def test_audit_api_for_region_admins(client: TestClient, world: World) -> None:
    page = client.get("/api/audit", params={"limit": 5}, headers=world.bearer("region_admin")).json()
    assert len(page["items"]) == 5 and page["total"] > 5 and page["items"][0]["id"] > page["items"][1]["id"]
    assert client.get("/api/audit/verify", headers=world.bearer("region_admin")).json()["ok"] is True
    csv_export = client.get("/api/audit/export", headers=world.bearer("region_admin"))
    assert csv_export.headers["content-type"].startswith("text/csv") and csv_export.text.startswith("id,at,")
    jsonl = client.get("/api/audit/export", params={"format": "jsonl"}, headers=world.bearer("region_admin"))
    assert len(jsonl.text.splitlines()) == page["total"]
    assert client.get("/admin/audit", headers=world.bearer("region_admin")).status_code == 200


# --- API hygiene -------------------------------------------------------------------------------------------

def test_errors_are_problem_details(client: TestClient, world: World) -> None:
    for response, status in [
        (client.get("/api/pacts/proposals"), 401),
        (client.get("/api/audit", headers=world.bearer("citizen")), 403),
        (client.get("/api/pacts/proposals/999999", headers=world.bearer("region_admin")), 404),
        (client.get("/api/orgs", params={"limit": 0}, headers=world.bearer("region_admin")), 422),
    ]:
        assert response.status_code == status
        assert response.headers["content-type"] == PROBLEM
        body = response.json()
        assert body["status"] == status and body["title"] and body["instance"].startswith("/api/")


def test_forbidden_page_for_people(client: TestClient, world: World) -> None:
    login_page_session(client, world.emails["partnership_editor"])
    page = client.get(f"/pacts/proposals/{world.proposals['draft_b']}")
    assert page.status_code == 403 and "text/html" in page.headers["content-type"]
    assert "Accesso non consentito" in page.text


def test_request_size_limit(client: TestClient, world: World) -> None:
    big = {"title": "x", "body": {"text": "x" * (world.settings.max_request_bytes + 10)}}
    response = client.post("/api/pacts/proposals", json=big, headers=world.bearer("partnership_editor"))
    assert response.status_code == 413 and response.headers["content-type"] == PROBLEM


def test_cors_is_off_by_default_and_on_when_configured(world: World) -> None:
    app = create_app(engine=world.engine)
    preflight = {"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "GET"}
    response = TestClient(app).options("/api/taxonomy/stats", headers=preflight)
    assert "access-control-allow-origin" not in response.headers
    assert "access-control-allow-origin" not in TestClient(app).get(
        "/health", headers={"Origin": "https://elsewhere.example"}).headers
    from regia.auth import web as auth_web
    from regia.web import app as web_app

    configured = make_settings(cors_origins=["https://portale.regione.lombardia.it"])
    original = auth_web.get_auth_settings
    auth_web.get_auth_settings = lambda: configured  # type: ignore[assignment]
    try:
        app = web_app.create_app(engine=world.engine)
    finally:
        auth_web.get_auth_settings = original  # type: ignore[assignment]
    allowed = TestClient(app).get("/health", headers={"Origin": "https://portale.regione.lombardia.it"})
    assert allowed.headers["access-control-allow-origin"] == "https://portale.regione.lombardia.it"


def test_openapi_documents_auth_and_pagination(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["bearerToken"]["scheme"] == "bearer" and schemes["sessionCookie"]["in"] == "cookie"
    assert {"bearerToken": []} in spec["paths"]["/api/pacts/proposals"]["get"]["security"]
    assert "security" not in spec["paths"]["/api/auth/tokens"]["post"]
    params = {p["name"]: p for p in spec["paths"]["/api/orgs"]["get"]["parameters"]}
    assert params["limit"]["schema"]["maximum"] == 200 and params["offset"]["schema"]["minimum"] == 0
    assert "Authentication" in spec["info"]["description"]
    assert "401" in spec["paths"]["/api/orgs"]["get"]["responses"]


# --- pseudonyms ----------------------------------------------------------------------------------------------

def test_pseudonyms_are_keyed_stable_and_kind_separated() -> None:
    p = Pseudonymiser(b"k" * 32)
    assert p("fiscal_code", "rssmra85t10a562s") == p("fiscal_code", " RSSMRA85T10A562S ")
    assert p("fiscal_code", "TINIT-RSSMRA85T10A562S") == p("fiscal_code", "RSSMRA85T10A562S")
    assert p("fiscal_code", "RSSMRA85T10A562S") != Pseudonymiser(b"q" * 32)("fiscal_code", "RSSMRA85T10A562S")
    assert p("email", "a@b.it") != p("login", "a@b.it")
    assert len(p("email", "A@B.it")) == 64 and p("email", "A@B.it") == p("email", "a@b.it")
    assert "k" * 32 not in repr(p)
    with pytest.raises(ValueError):
        Pseudonymiser(b"short")


def test_generated_secrets_are_kept_private(tmp_path: object) -> None:
    from pathlib import Path

    from regia.auth.settings import AuthSettings

    settings = AuthSettings(data_dir=Path(str(tmp_path)))
    key = settings.pseudonym_secret()
    assert key == AuthSettings(data_dir=Path(str(tmp_path))).pseudonym_secret()  # stable across restarts
    assert (Path(str(tmp_path)) / "secrets" / "pseudonym_key").stat().st_mode & 0o077 == 0
