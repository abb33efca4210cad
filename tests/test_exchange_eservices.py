"""The e-services of wave 2's domains on the exchange: the credentials' status (certification; person-level, the
Fund's purpose needs the holder's consent, the Region's register does not) and the plans of signed Region–Fund
agreements (programming), each with its change feed — captured in the writer's transaction like the catalogue's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from regia.auth.principal import cli_principal
from regia.auth.pseudonym import pseudonymiser
from regia.certification import credentials, procedure
from regia.certification.models import Credential
from regia.config import get_settings
from regia.db import session_factory, session_scope
from regia.exchange import service
from support.exchange_client import ClientSystem, ExchangeClient, new_key, public_jwks
from support.exchange_world import ExchangeWorld, app_for, shared_template
from support.ivc import PERSON, principal, seed_ivc, take_to

CREDENTIALS = "/exchange/v1/certification/credentials/changes"
CREDENTIAL = "/exchange/v1/certification/credentials/{id}"
PLANS = "/exchange/v1/programming/plans/changes"


@pytest.fixture(autouse=True)
def _keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("REGIA_CREDENTIAL_KEYS_DIR", str(tmp_path / "keys"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def world() -> Iterator[ExchangeWorld]:
    world = shared_template().new()
    yield world
    world.engine.dispose()


@pytest.fixture
def http(world: ExchangeWorld) -> TestClient:
    return TestClient(app_for(world), raise_server_exceptions=False)


def client(world: ExchangeWorld, http: TestClient, name: str, org: str, purposes: list[str]) -> ExchangeClient:
    key = new_key(f"{name}-1")
    with session_scope(world.engine) as session:
        row = service.register_client(session, actor=cli_principal("test"), name=name, jwks=public_jwks(key),
                                      purposes=purposes, organisation=world.world.orgs[org])
        system = ClientSystem(row.client_id, key, {g.purpose: g.purpose_id for g in row.grants})
    return ExchangeClient(http, system)  # type: ignore[arg-type]


def certify(world: ExchangeWorld) -> list[str]:
    """A person's request taken to the certificate by its real parties: the ids of its credentials."""
    seed_ivc(world.engine, world.world)
    with session_scope(world.engine) as session:
        request = procedure.create(session, actor=principal(session, world.world, "citizen"),
                                   profile_code="DEMO-LOG-001", provider_org_id=world.world.orgs["provider"],
                                   person=PERSON)
        take_to(session, world.world, request.id, "certified")
        return sorted(c.id for c in session.query(Credential).filter_by(request_id=request.id))


def test_credentials_status_feed_consent_revocation_and_the_register(world: ExchangeWorld,
                                                                   http: TestClient) -> None:
    ids = certify(world)
    assert len(ids) == 2
    holder = pseudonymiser()("fiscal_code", PERSON.tax_code)
    fund = client(world, http, "Gestionale Fondo", "fund", ["certification-status"])
    region = client(world, http, "Sistema informativo lavoro", "region", ["certification-register"])

    page = fund.get(CREDENTIALS, "certification-status").json()
    assert [(i["id"], i["op"], i["data"]) for i in page["items"]] == [(k, "withheld", None) for k in ids]
    refused = fund.get(CREDENTIAL.format(id=ids[0]), "certification-status")
    assert refused.status_code == 403 and refused.json()["reason"] == "consent_required"

    with session_scope(world.engine) as session:
        service.set_consent(session, actor=cli_principal("test"), subject=holder, purpose="certification-status",
                            given=True)
    page = fund.get(CREDENTIALS, "certification-status").json()
    assert [(i["id"], i["op"]) for i in page["items"]] == [(k, "upsert") for k in ids]
    record = page["items"][0]["data"]
    assert record["status"] == "active" and record["revoked_at"] is None and record["holder"] == holder
    assert record["credential"] == f"urn:uuid:{ids[0]}" and record["standard"]["code"] == "DEMO-LOG-001"
    assert record["status_list"]["purpose"] == "revocation" and record["status_list"]["index"] is not None
    text = json.dumps(page)
    assert PERSON.tax_code not in text and PERSON.family_name not in text and PERSON.given_name not in text

    with session_scope(world.engine) as session:
        credentials.revoke(session, actor=principal(session, world.world, "region_admin"), id=ids[0],
                           reason="Rilasciato per errore")
    changed = fund.get(CREDENTIALS, "certification-status", params={"since": page["next"]}).json()
    [item] = changed["items"]
    assert item["id"] == ids[0] and item["op"] == "upsert"
    assert item["data"]["status"] == "revoked" and item["data"]["revoked_at"] is not None
    one = fund.get(CREDENTIAL.format(id=ids[0]), "certification-status").json()
    assert one["data"]["status"] == "revoked"

    with session_scope(world.engine) as session:  # withdrawn: withheld again from the Fund...
        service.set_consent(session, actor=cli_principal("test"), subject=holder, purpose="certification-status",
                            given=False)
    assert {i["op"] for i in fund.get(CREDENTIALS, "certification-status").json()["items"]} == {"withheld"}
    register = region.get(CREDENTIALS, "certification-register").json()  # ... not from the register by law
    assert [(i["id"], i["op"]) for i in register["items"]] == [(ids[0], "upsert"), (ids[1], "upsert"),
                                                              (ids[0], "upsert")]
    with session_factory(world.engine)() as session:
        readers = {(a.client_name, a.purpose) for a in service.accesses(session, holder)}
    assert readers == {("Gestionale Fondo", "certification-status"),
                       ("Sistema informativo lavoro", "certification-register")}
    denied = fund.request_token(fund.assertion("certification-register"))  # not a purpose of the Fund
    assert denied.status_code == 403 and denied.json()["reason"] == "purpose_not_granted"
    other = fund.get(PLANS, "certification-status")
    assert other.status_code == 403 and other.json()["reason"] == "purpose_not_allowed"


def test_plans_of_signed_agreements_and_their_changes(world: ExchangeWorld, http: TestClient) -> None:
    from regia.programming import service as programming
    from support import programming_world

    programming_world.seed(world.engine, world.world)
    extra: dict[str, Any] = world.world.extra
    region = client(world, http, "Osservatorio", "region", ["programming-transparency"])
    assert region.get(PLANS, "programming-transparency").json()["items"] == []  # drafts are not public

    with session_scope(world.engine) as session:
        programming.move_agreement(session, actor=principal(session, world.world, "region_admin"),
                                   id=extra["agreement_a"], target="signed")
    page = region.get(PLANS, "programming-transparency").json()
    [item] = page["items"]
    assert item["id"] == str(extra["plan_a"]) and item["op"] == "upsert"  # not the draft agreement's plan
    plan = item["data"]
    assert plan["agreement"]["code"] == "ACC-FONDIMPRESA" and plan["agreement"]["status"] == "signed"
    lines = {ln["code"]: ln for ln in plan["lines"]}
    assert set(lines) == {"L1", "L2"} and lines["L1"]["territory"] == "ITC46"
    assert {(t["source"], t["year"], t["planned"], t["committed"]) for t in lines["L1"]["tranches"]} == {
        ("fund-a-cf", 2026, "50000.00", "20000.00"), ("regional", 2026, "30000.00", "0.00"),
        ("fund-a-cf", 2027, "80000.00", "0.00")}

    with session_scope(world.engine) as session:
        programming.record_spent(session, actor=principal(session, world.world, "region_admin"),
                                 plan_id=extra["plan_a"], line="L1", source="fund-a-cf", year=2026, spent="5000")
    [change] = region.get(PLANS, "programming-transparency", params={"since": page["next"]}).json()["items"]
    spent = {(t["source"], t["year"]): t["spent"] for t in
             next(ln for ln in change["data"]["lines"] if ln["code"] == "L1")["tranches"]}
    assert spent[("fund-a-cf", 2026)] == "5000.00"
