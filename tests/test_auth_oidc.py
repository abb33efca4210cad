"""OpenID Connect login against a real OpenID provider served on a loopback port (tests/support/oidc_issuer):
discovery, JWKS and code exchange go over HTTP; the ID token is checked for signature, issuer, audience,
expiry and nonce."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine, select

from regia.auth import sessions
from regia.auth.models import User
from regia.auth.oidc import OIDCClient, OIDCError
from regia.auth.pseudonym import pseudonymise
from regia.db import session_factory
from regia.web.app import create_app
from support.accounts import make_settings
from support.oidc_issuer import Faults, LocalIssuer
from support.servers import live_server

CALLBACK = "http://testserver/auth/oidc/callback"


@pytest.fixture(scope="module")
def issuer() -> Iterator[LocalIssuer]:
    provider = LocalIssuer(redirect_uris={CALLBACK})
    with live_server(provider.app()) as url:
        provider.url = url
        yield provider


@pytest.fixture
def faults(issuer: LocalIssuer) -> Iterator[Faults]:
    issuer.faults = Faults()
    yield issuer.faults
    issuer.faults = Faults()


@pytest.fixture
def client(empty_engine: Engine, issuer: LocalIssuer) -> TestClient:
    app = create_app(engine=empty_engine)
    app.state.auth_settings = make_settings(oidc_issuer=issuer.url, oidc_client_id=issuer.client_id,
                                            oidc_client_secret=SecretStr(issuer.client_secret))
    return TestClient(app, follow_redirects=False)


def _login(client: TestClient, next_path: str = "/account") -> httpx.Response:
    """Start at Regia, go to the provider over real HTTP, come back with its redirect."""
    start = client.get("/auth/oidc/login", params={"next": next_path})
    assert start.status_code == 303
    at_provider = httpx.get(start.headers["location"], follow_redirects=False)
    assert at_provider.status_code == 302, at_provider.text
    back = urlsplit(at_provider.headers["location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == CALLBACK
    return client.get(f"{back.path}?{back.query}")


def test_authorization_request_uses_pkce_state_and_nonce(client: TestClient, issuer: LocalIssuer) -> None:
    response = client.get("/auth/oidc/login")
    url = urlsplit(response.headers["location"])
    params = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{issuer.url}/authorize"
    assert params["response_type"] == "code" and params["client_id"] == issuer.client_id
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert len(params["state"]) >= 20 and len(params["nonce"]) >= 20
    assert "openid" in params["scope"].split()
    assert sessions.OIDC_COOKIE in response.cookies  # state, nonce and verifier, signed


def test_login_creates_a_citizen_account_with_a_pseudonymous_fiscal_code(
        client: TestClient, issuer: LocalIssuer, empty_engine: Engine, faults: Faults) -> None:
    token_requests = issuer.token_requests
    response = _login(client)
    assert response.status_code == 303 and response.headers["location"] == "/account"
    assert issuer.token_requests == token_requests + 1  # the code was exchanged over HTTP
    me = client.get("/api/auth/me")
    assert me.status_code == 200
    assert me.json()["email"] == "maria.rossi@example.org" and me.json()["memberships"] == []
    with session_factory(empty_engine)() as session:
        user = session.scalars(select(User).where(User.oidc_subject == "spid-0001")).one()
        assert user.oidc_issuer == issuer.url
        settings = client.app.state.auth_settings  # type: ignore[attr-defined]
        assert user.fiscal_code_pseudonym == pseudonymise("fiscal_code", "RSSMRA85T50F205X", settings)
        assert "RSSMRA" not in repr(user.__dict__)
    # a second login finds the same account
    client.cookies.clear()
    assert _login(client).status_code == 303
    with session_factory(empty_engine)() as session:
        assert len(session.scalars(select(User).where(User.oidc_subject == "spid-0001")).all()) == 1


@pytest.mark.parametrize("fault", ["wrong_audience", "wrong_nonce", "expired", "wrong_issuer", "foreign_key",
                                   "alg_none"])
def test_bad_id_tokens_are_refused(client: TestClient, faults: Faults, fault: str) -> None:
    setattr(faults, fault, True)
    response = _login(client)
    assert response.status_code == 401
    assert sessions.SESSION_COOKIE not in response.cookies
    assert client.get("/api/auth/me").status_code == 401


def test_state_must_match(client: TestClient, issuer: LocalIssuer, faults: Faults) -> None:
    start = client.get("/auth/oidc/login")
    at_provider = httpx.get(start.headers["location"], follow_redirects=False)
    query = parse_qs(urlsplit(at_provider.headers["location"]).query)
    response = client.get("/auth/oidc/callback", params={"code": query["code"][0], "state": "forged-state"})
    assert response.status_code == 400
    assert sessions.SESSION_COOKIE not in response.cookies


def test_code_is_good_once_and_only_with_the_verifier(issuer: LocalIssuer, faults: Faults) -> None:
    client = OIDCClient(issuer=issuer.url, client_id=issuer.client_id, client_secret=issuer.client_secret)
    begun = client.begin(CALLBACK)
    code = parse_qs(urlsplit(httpx.get(begun.url).headers["location"]).query)["code"][0]
    with pytest.raises(OIDCError, match="refused the code"):
        client.finish(code=code, redirect_uri=CALLBACK, code_verifier="x" * 50, nonce=begun.nonce)
    begun = client.begin(CALLBACK)
    code = parse_qs(urlsplit(httpx.get(begun.url).headers["location"]).query)["code"][0]
    identity = client.finish(code=code, redirect_uri=CALLBACK, code_verifier=begun.code_verifier, nonce=begun.nonce)
    assert identity.subject == "spid-0001" and identity.fiscal_code == "TINIT-RSSMRA85T50F205X"
    assert "RSSMRA" not in repr(identity)
    with pytest.raises(OIDCError):
        client.finish(code=code, redirect_uri=CALLBACK, code_verifier=begun.code_verifier, nonce=begun.nonce)


def test_wrong_client_secret_is_refused(issuer: LocalIssuer) -> None:
    client = OIDCClient(issuer=issuer.url, client_id=issuer.client_id, client_secret="wrong")
    begun = client.begin(CALLBACK)
    code = parse_qs(urlsplit(httpx.get(begun.url).headers["location"]).query)["code"][0]
    with pytest.raises(OIDCError, match="HTTP 401"):
        client.finish(code=code, redirect_uri=CALLBACK, code_verifier=begun.code_verifier, nonce=begun.nonce)


def test_issuer_must_be_https_except_loopback() -> None:
    with pytest.raises(OIDCError, match="https"):
        OIDCClient(issuer="http://idp.example.org", client_id="x")


def test_login_is_off_without_configuration(empty_engine: Engine) -> None:
    app = create_app(engine=empty_engine)
    app.state.auth_settings = make_settings()
    client = TestClient(app, follow_redirects=False)
    assert client.get("/auth/oidc/login").status_code == 404
    assert "oidc-login" not in client.get("/login").text
