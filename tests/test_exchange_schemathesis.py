"""Property-based fuzzing of the exchange API from its own OpenAPI document (schemathesis), in-process, as a
registered client system with a voucher for the purpose of each e-service and, on writes, the INTEGRITY_REST_01
headers over the very body sent: no generated request may make the server fail (5xx); every error is a
problem-details body; every answer carries the rate-limit headers."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core import NotSet

from regia.auth.principal import cli_principal
from regia.db import session_scope
from regia.exchange import service
from support.exchange_client import ClientSystem, ExchangeClient, new_key, public_jwks
from support.exchange_world import app_for, shared_template

CASES_PER_OPERATION = (12, 5)  # positive, negative
MIN_CASES = 250
PURPOSES = {"/exchange/v1/catalog/": "catalog-publish", "/exchange/v1/needs/": "needs-analysis",
            "/exchange/v1/pacts/": "pacts-transparency", "/exchange/v1/certification/": "certification-register",
            "/exchange/v1/programming/": "programming-transparency", "/exchange/v1/outcomes/": "outcomes-register"}
CASES: Counter[str] = Counter()
STATE: dict[str, Any] = {}


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder: Path = tmp_path_factory.mktemp("exchange-fuzz")
    world = shared_template().new()
    key = new_key("fuzz-1")
    with session_scope(world.engine) as session:
        row = service.register_client(session, actor=cli_principal("test"), name="Fuzz", jwks=public_jwks(key),
                                      purposes=sorted(set(PURPOSES.values())), organisation=world.world.orgs["fund"])
        system = ClientSystem(row.client_id, key, {g.purpose: g.purpose_id for g in row.grants})
    app = app_for(world, data_dir=folder / "var", rate_limit=10**6, anonymous_rate_limit=10**6)
    http = TestClient(app, raise_server_exceptions=False)
    STATE["client"] = ExchangeClient(http, system)
    STATE["http"] = http
    return schemathesis.openapi.from_asgi("/exchange/v1/openapi.json", app)


def _purpose(path: str) -> str | None:
    return next((p for prefix, p in PURPOSES.items() if path.startswith(prefix)), None)


def _send(case: Any) -> Any:
    """The generated request, sent as the client system sends it (voucher; Digest and Agid-JWT-Signature of the
    exact body on writes)."""
    client: ExchangeClient = STATE["client"]
    http: TestClient = STATE["http"]
    headers = {k: str(v) for k, v in (case.headers or {}).items()}
    purpose = _purpose(case.path)
    if purpose:
        headers.update(client.headers(purpose))
    query = case.query or None
    if case.method == "GET":
        return http.get(case.formatted_path, params=query, headers=headers)
    if case.path.endswith("/token"):
        body = case.body if isinstance(case.body, dict) else {}
        return http.post(case.formatted_path, data={k: str(v) for k, v in body.items()}, headers=headers)
    body = case.body
    raw = body if isinstance(body, bytes) else b"" if isinstance(body, NotSet) else json.dumps(body).encode()
    headers.update(client.integrity(raw, content_type=case.media_type or "application/json"))
    return http.request(case.method, case.formatted_path, params=query, content=raw, headers=headers)


def _check(case: Any) -> None:
    response = _send(case)
    CASES[case.method] += 1
    assert response.status_code < 500, f"{case.method} {case.formatted_path} -> {response.status_code}"
    assert "x-ratelimit-limit" in response.headers
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json"), (case.method, case.path)


def test_exchange_api_never_fails(api_schema: Any) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:
        for mode, examples in ((GenerationMode.POSITIVE, CASES_PER_OPERATION[0]),
                               (GenerationMode.NEGATIVE, CASES_PER_OPERATION[1])):
            @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case: Any) -> None:
                _check(case)

            try:
                run()
            except Unsatisfiable:  # nothing to make invalid (an operation without parameters)
                assert mode is GenerationMode.NEGATIVE
    total = sum(CASES.values())
    print(f"\nexchange schemathesis: {total} generated cases ({dict(CASES)})")
    assert total >= MIN_CASES
