"""Security of the exchange API (ModI / PDND patterns): every way a client system's request can be wrong is
refused with its own reason, as problem details, and audited — at the token endpoint (client assertion) and
on the e-services (voucher, purpose, INTEGRITY_REST_01, AUDIT_REST_02); people's credentials never pass; every
answer carries the rate-limit headers and excess answers 429 with Retry-After."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from sqlalchemy import select

from regia.auth import sessions
from regia.auth.models import AuditEntry
from regia.auth.principal import cli_principal
from regia.db import session_factory, session_scope
from regia.exchange import service as exchange
from regia.exchange.gate import RateLimiter
from support.exchange_client import ExchangeClient, new_key
from support.exchange_world import KEYS, PROVIDER_VAT, SERVER_KEY, ExchangeWorld, Template, app_for, shared_template

FEED = "/exchange/v1/catalog/courses/changes"
PUBLISH = "/exchange/v1/catalog/courses"
COURSE = {"provider_name": "Ente di formazione di prova", "provider_vat": PROVIDER_VAT, "course_code": "SEC-1",
          "title": "Sicurezza sul lavoro", "description": "Corso base", "hours": "8", "modality": "online",
          "funding": "fondo:Fondimpresa", "targets": "occupati"}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return shared_template()


@pytest.fixture
def world(template: Template) -> Iterator[ExchangeWorld]:
    world = template.new()
    yield world
    world.engine.dispose()


@pytest.fixture
def http(world: ExchangeWorld) -> TestClient:
    return TestClient(app_for(world), raise_server_exceptions=False)


def client(http: TestClient, world: ExchangeWorld, name: str = "fund") -> ExchangeClient:
    return ExchangeClient(http, world.clients[name])


def audited(world: ExchangeWorld, *, after_id: int = 0) -> list[AuditEntry]:
    with session_factory(world.engine)() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.resource_type == "exchange",
                                                             AuditEntry.id > after_id).order_by(AuditEntry.id)))


def last_audit_id(world: ExchangeWorld) -> int:
    entries = audited(world)
    return entries[-1].id if entries else 0


def refused(response: Any, status: int, reason: str, world: ExchangeWorld, since: int) -> dict[str, Any]:
    """The answer is the refusal expected, as problem details, and the refusal is in the audit log."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["reason"] == reason, body
    assert body["status"] == status and body["detail"]
    entries = [e for e in audited(world, after_id=since) if e.action == "exchange.refused"]
    assert entries, "the refusal was not audited"
    assert entries[-1].after["reason"] == reason
    assert entries[-1].after["status"] == status
    assert entries[-1].note == body["detail"]
    return body


# --- the token endpoint -------------------------------------------------------------------------------------

def test_a_valid_assertion_gets_a_short_voucher_bound_to_audience_and_purpose(http: TestClient,
                                                                              world: ExchangeWorld) -> None:
    c = client(http, world)
    since = last_audit_id(world)
    response = c.request_token(c.assertion("catalog-sync"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 600
    assert response.headers["cache-control"] == "no-store"
    voucher = jwt.decode(body["access_token"], SERVER_KEY)
    claims = voucher.claims
    assert voucher.header["typ"] == "at+jwt" and voucher.header["alg"] == "ES256"
    assert claims["aud"] == "http://testserver/exchange/v1" and claims["iss"] == "http://testserver"
    assert claims["sub"] == claims["client_id"] == world.clients["fund"].client_id
    assert claims["purposeId"] == world.clients["fund"].purposes["catalog-sync"]
    assert claims["purpose"] == "catalog-sync" and claims["exp"] - claims["iat"] == 600
    [entry] = audited(world, after_id=since)
    assert entry.action == "exchange.call" and entry.after["purpose"] == "catalog-sync"
    assert entry.after["client"] == "Sistema fund" and entry.actor == "exchange:Sistema fund"


@pytest.mark.parametrize(("case", "status", "reason"), [
    ("another audience", 401, "wrong_audience"),
    ("expired", 401, "expired"),
    ("issued in the future", 401, "not_yet_valid"),
    ("lives too long", 401, "lifetime_too_long"),
    ("no jti", 401, "missing_claim"),
    ("no purposeId", 401, "missing_claim"),
    ("another client's purpose", 403, "purpose_not_granted"),
    ("unknown purpose", 403, "purpose_not_granted"),
    ("another client's key", 401, "unknown_key"),
    ("own kid, another client's private key", 401, "bad_signature"),
    ("unknown client", 401, "unknown_client"),
    ("sub differs from iss", 401, "invalid_claim"),
    ("HS256 with a guessed secret", 401, "bad_algorithm"),
    ("not a JWS", 401, "invalid_token"),
])
def test_bad_assertions_are_refused_with_their_reason_and_audited(http: TestClient, world: ExchangeWorld,
                                                                  case: str, status: int, reason: str) -> None:
    c = client(http, world)
    now = int(time.time())
    other = world.clients["other"]
    if case == "another audience":
        assertion = c.assertion("catalog-sync", aud="https://altro-ente.example/exchange/v1/token")
    elif case == "expired":
        assertion = c.assertion("catalog-sync", iat=now - 900, exp=now - 600)
    elif case == "issued in the future":
        assertion = c.assertion("catalog-sync", iat=now + 600, exp=now + 800)
    elif case == "lives too long":
        assertion = c.assertion("catalog-sync", exp=now + 3600)
    elif case == "no jti":
        assertion = c.assertion("catalog-sync", jti=None)
    elif case == "no purposeId":
        assertion = c.assertion("catalog-sync", purposeId=None)
    elif case == "another client's purpose":
        assertion = c.assertion("catalog-sync", purposeId=other.purposes["catalog-sync"])
    elif case == "unknown purpose":
        assertion = c.assertion("catalog-sync", purposeId=str(uuid.uuid4()))
    elif case == "another client's key":
        assertion = c.assertion("catalog-sync", key=KEYS["other"])
    elif case == "own kid, another client's private key":
        thief = new_key(KEYS["fund"].kid or "")  # same kid, a key the fund never registered
        assertion = c.assertion("catalog-sync", key=thief)
    elif case == "unknown client":
        assertion = c.assertion("catalog-sync", iss="no-such-client", sub="no-such-client")
    elif case == "sub differs from iss":
        assertion = c.assertion("catalog-sync", sub=other.client_id)
    elif case == "HS256 with a guessed secret":
        from joserfc.jwk import OctKey

        claims = jwt.decode(c.assertion("catalog-sync"), KEYS["fund"]).claims
        assertion = jwt.encode({"alg": "HS256", "kid": KEYS["fund"].kid}, claims, OctKey.import_key(b"x" * 32))
    else:
        assertion = "not.a.jws"
    since = last_audit_id(world)
    body = refused(c.request_token(assertion), status, reason, world, since)
    assert body["error"] in ("invalid_client", "unauthorized_client", "invalid_request")


def test_an_assertion_is_accepted_once(http: TestClient, world: ExchangeWorld) -> None:
    c = client(http, world)
    assertion = c.assertion("catalog-sync")
    assert c.request_token(assertion).status_code == 200
    since = last_audit_id(world)
    refused(c.request_token(assertion), 401, "replayed_jti", world, since)


def test_revoked_clients_and_purposes_stop_at_once(http: TestClient, world: ExchangeWorld) -> None:
    c = client(http, world)
    voucher_headers = c.headers("catalog-sync")
    assert http.get(FEED, headers=voucher_headers).status_code == 200
    with session_scope(world.engine) as session:
        exchange.revoke_grant(session, actor=cli_principal("test"), client_id=world.clients["fund"].client_id,
                              purpose="catalog-sync")
    since = last_audit_id(world)
    refused(http.get(FEED, headers=voucher_headers), 403, "purpose_not_granted", world, since)
    since = last_audit_id(world)
    refused(c.request_token(c.assertion("catalog-sync")), 403, "purpose_not_granted", world, since)
    publish_voucher = c.headers("catalog-publish")
    with session_scope(world.engine) as session:
        exchange.revoke_client(session, actor=cli_principal("test"), client_id=world.clients["fund"].client_id)
    since = last_audit_id(world)
    refused(http.get(FEED, headers=publish_voucher), 401, "client_revoked", world, since)
    since = last_audit_id(world)
    refused(c.request_token(c.assertion("catalog-publish")), 401, "client_revoked", world, since)


def test_form_errors_of_the_token_endpoint(http: TestClient, world: ExchangeWorld) -> None:
    since = last_audit_id(world)
    body = refused(http.post("/exchange/v1/token", data={"grant_type": "password"}), 400, "unsupported_grant_type",
                   world, since)
    assert body["error"] == "unsupported_grant_type"
    since = last_audit_id(world)
    refused(http.post("/exchange/v1/token", data={"grant_type": "client_credentials"}), 400, "invalid_request",
            world, since)


# --- vouchers on the e-services ------------------------------------------------------------------------------

def _server_voucher(world: ExchangeWorld, **claims: Any) -> str:
    now = int(time.time())
    values = {"iss": "http://testserver", "aud": "http://testserver/exchange/v1",
              "sub": world.clients["fund"].client_id, "client_id": world.clients["fund"].client_id,
              "purposeId": world.clients["fund"].purposes["catalog-sync"], "purpose": "catalog-sync",
              "jti": str(uuid.uuid4()), "iat": now, "nbf": now, "exp": now + 600}
    values.update(claims)
    return jwt.encode({"alg": "ES256", "kid": SERVER_KEY.kid, "typ": "at+jwt"}, values, SERVER_KEY)


@pytest.mark.parametrize(("case", "status", "reason"), [
    ("no token", 401, "missing_token"),
    ("another audience", 401, "wrong_audience"),
    ("another issuer", 401, "wrong_issuer"),
    ("expired", 401, "expired"),
    ("signed by the client, not the server", 401, "unknown_key"),
    ("a person's API token", 401, "invalid_token"),
    ("purpose not covering the operation", 403, "purpose_not_allowed"),
])
def test_bad_vouchers_are_refused_with_their_reason_and_audited(http: TestClient, world: ExchangeWorld,
                                                                case: str, status: int, reason: str) -> None:
    headers: dict[str, str] = {}
    path = FEED
    now = int(time.time())
    if case == "another audience":
        headers["Authorization"] = f"Bearer {_server_voucher(world, aud='https://altro-ente.example/exchange/v1')}"
    elif case == "another issuer":
        headers["Authorization"] = f"Bearer {_server_voucher(world, iss='https://altro-ente.example')}"
    elif case == "expired":
        headers["Authorization"] = f"Bearer {_server_voucher(world, iat=now - 1200, nbf=now - 1200, exp=now - 600)}"
    elif case == "signed by the client, not the server":
        forged = jwt.decode(_server_voucher(world), SERVER_KEY).claims
        key = KEYS["fund"]
        headers["Authorization"] = "Bearer " + jwt.encode({"alg": "ES256", "kid": key.kid, "typ": "at+jwt"}, forged,
                                                          key)
    elif case == "a person's API token":
        headers.update(world.world.bearer("fund_editor"))
    elif case == "purpose not covering the operation":
        headers.update(client(http, world).headers("catalog-sync"))
        path = "/exchange/v1/pacts/projects/changes"
    since = last_audit_id(world)
    refused(http.get(path, headers=headers), status, reason, world, since)


def test_people_sessions_never_reach_the_machine_api(http: TestClient, world: ExchangeWorld) -> None:
    cookie, _csrf = world.world.session_cookie("region_admin") or ("", "")
    http.cookies.set(sessions.SESSION_COOKIE, cookie)
    response = http.get(FEED)
    assert response.status_code == 401 and response.json()["reason"] == "missing_token"


# --- INTEGRITY_REST_01 and AUDIT_REST_02 ------------------------------------------------------------------------

def _post(http: TestClient, c: ExchangeClient, *, body: bytes | None = None, headers: dict[str, str] | None = None,
          payload: Any = None) -> Any:
    return c.post(PUBLISH, "catalog-publish", payload or {"courses": [COURSE]}, body=body, headers=headers)


def test_a_signed_request_publishes(http: TestClient, world: ExchangeWorld) -> None:
    c = client(http, world)
    since = last_audit_id(world)
    response = _post(http, c)
    assert response.status_code == 200, response.text
    assert response.json()["stored"] == 1
    [entry] = [e for e in audited(world, after_id=since) if e.resource_id == f"POST {PUBLISH}"]
    assert entry.action == "exchange.call"
    assert entry.after["records"] == {"catalog.courses": [str(i) for i in response.json()["course_ids"]]}
    assert entry.after["operation"] == "catalog.courses" and entry.after["purpose"] == "catalog-publish"


@pytest.mark.parametrize(("case", "status", "reason"), [
    ("body changed after signing", 400, "digest_mismatch"),
    ("body and digest changed after signing", 400, "signed_headers_mismatch"),
    ("content type not the signed one", 400, "signed_headers_mismatch"),
    ("no digest", 400, "missing_digest"),
    ("no signature", 401, "missing_signature"),
    ("signature for another audience", 401, "wrong_audience"),
    ("signature expired", 401, "expired"),
    ("signature by another client's key", 401, "unknown_key"),
    ("signature without signed_headers", 401, "missing_claim"),
])
def test_integrity_failures_are_refused_with_their_reason_and_audited(http: TestClient, world: ExchangeWorld,
                                                                      case: str, status: int, reason: str) -> None:
    c = client(http, world)
    signed = json.dumps({"courses": [COURSE]}).encode()
    tampered = signed.replace(b"Sicurezza", b"Insicurezza")
    now = int(time.time())
    body, headers = None, None
    if case == "body changed after signing":
        body = tampered
    elif case == "body and digest changed after signing":
        from support.exchange_client import digest_header

        body, headers = tampered, {"Digest": digest_header(tampered)}
    elif case == "content type not the signed one":
        headers = {"Content-Type": "application/json; charset=latin-1"}
    elif case == "no digest":
        headers = {"Digest": ""}
    elif case == "no signature":
        headers = {"Agid-JWT-Signature": ""}
    elif case == "signature for another audience":
        headers = {"Agid-JWT-Signature": c.integrity(signed, aud="https://altro-ente.example/exchange/v1")[
            "Agid-JWT-Signature"]}
    elif case == "signature expired":
        headers = {"Agid-JWT-Signature": c.integrity(signed, iat=now - 900, nbf=now - 900, exp=now - 600)[
            "Agid-JWT-Signature"]}
    elif case == "signature by another client's key":
        headers = {"Agid-JWT-Signature": c.integrity(signed, key=KEYS["other"])["Agid-JWT-Signature"]}
    else:
        headers = {"Agid-JWT-Signature": c.integrity(signed, signed_headers=None)["Agid-JWT-Signature"]}
    since = last_audit_id(world)
    refused(_post(http, c, body=body, headers=headers), status, reason, world, since)
    with session_factory(world.engine)() as session:  # nothing was published
        from regia.catalog.models import Course

        assert session.scalar(select(Course.id).where(Course.course_code == "SEC-1")) is None


def test_an_integrity_signature_is_accepted_once(http: TestClient, world: ExchangeWorld) -> None:
    c = client(http, world)
    raw = json.dumps({"courses": [COURSE]}).encode()
    headers = {**c.headers("catalog-publish"), **c.integrity(raw)}
    assert http.post(PUBLISH, content=raw, headers=headers).status_code == 200
    since = last_audit_id(world)
    refused(http.post(PUBLISH, content=raw, headers=headers), 401, "replayed_jti", world, since)


def test_tracking_evidence_is_bound_to_the_voucher_and_audited(http: TestClient, world: ExchangeWorld) -> None:
    c = client(http, world)
    evidence = c.tracking_evidence("catalog-sync", user="operatore-17", location="sportello-BG-3")
    since = last_audit_id(world)
    response = c.get(FEED, "catalog-sync", tracking=evidence)
    assert response.status_code == 200, response.text
    entry = [e for e in audited(world, after_id=since) if e.resource_id and "changes" in e.resource_id][-1]
    assert entry.after["tracking"] == {"userID": "operatore-17", "userLocation": "sportello-BG-3", "LoA": "LoA3"}
    bound = c.voucher("catalog-sync", tracking=evidence)
    assert jwt.decode(bound, SERVER_KEY).claims["digest"] == {"alg": "SHA256",
                                                              "value": hashlib.sha256(evidence.encode()).hexdigest()}
    since = last_audit_id(world)
    refused(http.get(FEED, headers={"Authorization": f"Bearer {bound}"}), 401, "tracking_missing", world, since)
    other = c.tracking_evidence("catalog-sync", user="qualcun-altro", location="altrove")
    since = last_audit_id(world)
    refused(http.get(FEED, headers={"Authorization": f"Bearer {bound}", "AgID-JWT-TrackingEvidence": other}), 401,
            "tracking_mismatch", world, since)
    unbound = c.voucher("catalog-sync")
    since = last_audit_id(world)
    refused(http.get(FEED, headers={"Authorization": f"Bearer {unbound}", "AgID-JWT-TrackingEvidence": evidence}),
            400, "tracking_mismatch", world, since)


def test_a_malformed_digest_claim_is_refused(http: TestClient, world: ExchangeWorld) -> None:
    c = client(http, world)
    assertion = c.assertion("catalog-sync", digest={"alg": "MD5", "value": "x"})  # type: ignore[arg-type]
    since = last_audit_id(world)
    refused(c.request_token(assertion), 400, "invalid_claim", world, since)


# --- rate limits and error shapes -------------------------------------------------------------------------------

def test_every_answer_carries_the_rate_limit_headers(http: TestClient, world: ExchangeWorld) -> None:
    c = client(http, world)
    answers = [c.get(FEED, "catalog-sync"), http.get(FEED), http.get("/exchange/v1/catalog/courses/999999",
                                                                      headers=c.headers("catalog-sync")),
               http.get("/exchange/v1/catalog/courses/changes", params={"limit": 0}, headers=c.headers("catalog-sync")),
               http.get("/exchange/v1/openapi.json")]
    assert [a.status_code for a in answers] == [200, 401, 404, 422, 200]
    for answer in answers:
        assert int(answer.headers["X-RateLimit-Limit"]) >= 1
        assert 0 <= int(answer.headers["X-RateLimit-Remaining"]) < int(answer.headers["X-RateLimit-Limit"])
        assert 1 <= int(answer.headers["X-RateLimit-Reset"]) <= 60
    assert answers[3].headers["content-type"].startswith("application/problem+json")  # validation errors too
    assert answers[0].headers["X-RateLimit-Limit"] == "600"  # the client's budget, not the address's


def test_excess_answers_429_with_retry_after(world: ExchangeWorld) -> None:
    app = app_for(world, rate_limit=3, anonymous_rate_limit=3)
    app.state.exchange_limiter = RateLimiter(60)
    http = TestClient(app, raise_server_exceptions=False)
    c = client(http, world)
    voucher = c.headers("catalog-sync")  # the OpenAPI document and the token: 2 requests of the address's 3
    statuses = [http.get(FEED, headers=voucher).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    since = 0
    over = http.get(FEED, headers=voucher)
    assert over.status_code == 429 and over.json()["reason"] == "rate_limited"
    assert over.headers["content-type"].startswith("application/problem+json")
    assert 1 <= int(over.headers["Retry-After"]) <= 60 and over.headers["X-RateLimit-Remaining"] == "0"
    refusals = [e for e in audited(world, after_id=since) if e.after.get("reason") == "rate_limited"]
    assert len(refusals) == 1  # the first refusal of the window, not each
    assert http.post("/exchange/v1/token", data={}).status_code == 400  # the address's 3rd request
    assert http.post("/exchange/v1/token", data={}).status_code == 429  # ... and over


def test_a_client_registered_with_its_own_limit(world: ExchangeWorld) -> None:
    with session_scope(world.engine) as session:
        row = exchange.get_client(session, world.clients["fund"].client_id)
        row.rate_limit = 2
    app = app_for(world)
    http = TestClient(app, raise_server_exceptions=False)
    c = client(http, world)
    headers = c.headers("catalog-sync")
    assert [http.get(FEED, headers=headers).status_code for _ in range(3)] == [200, 200, 429]


def test_rate_limiter_windows() -> None:
    limiter = RateLimiter(60)
    assert [limiter.hit("k", 2, now=120.0).allowed for _ in range(3)] == [True, True, False]
    again = limiter.hit("k", 2, now=180.5)  # the next window
    assert again.allowed and again.remaining == 1 and again.reset == 60
    assert limiter.hit("k", 2, now=239.2).reset == 1


def test_the_openapi_document_describes_the_security(http: TestClient, world: ExchangeWorld, tmp_path: Path) -> None:
    doc = http.get("/exchange/v1/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    scheme = doc["components"]["securitySchemes"]["pdndVoucher"]
    assert scheme["flows"]["clientCredentials"]["tokenUrl"] == "/exchange/v1/token"
    assert doc["x-audiences"] == {"token": "http://testserver/exchange/v1/token", "api": "http://testserver/exchange/v1"}
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            if path.endswith(("/token", "jwks.json", "/eservices", "/problems")):
                continue
            assert op["security"] == [{"pdndVoucher": []}], (method, path)
            assert "429" in op["responses"], (method, path)
    publish = doc["paths"]["/exchange/v1/catalog/courses"]["post"]
    assert publish["requestBody"]["content"]["application/json"]["example"]["courses"]
    assert "example" in doc["paths"][FEED]["get"]["responses"]["200"]["content"]["application/json"]
    assert not [p for p in http.get("/openapi.json").json()["paths"] if p.startswith("/exchange")]
