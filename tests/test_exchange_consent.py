"""Consent and purpose: a person's records are withheld from a purpose that needs consent until the person gives
it on their page (and again once withdrawn), reading one directly is refused (403) and audited; every read of
a person's records is listed on that person's page — client, purpose, when — and on nobody else's.

The person-level e-services of wave 2 (participations, certifications) register elsewhere; here a small
e-service of person records is registered for the test, through the same registry they use."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import select

from regia.auth import sessions
from regia.auth.models import AuditEntry, User
from regia.auth.principal import cli_principal
from regia.auth.pseudonym import pseudonymiser
from regia.db import session_factory, session_scope
from regia.exchange import api, service
from regia.exchange.models import AccessSubject
from regia.exchange.registry import EService, FeedResource, LoadContext, Purpose
from support.exchange_client import ClientSystem, ExchangeClient, new_key, public_jwks
from support.exchange_world import ExchangeWorld, Template, app_for, shared_template

FEED = "/exchange/v1/people/records/changes"
ONE = "/exchange/v1/people/records/{id}"
PEOPLE: dict[str, dict[str, Any]] = {}


class PersonRecord(BaseModel):
    id: str
    subject: str
    status: str


def load_people(ctx: LoadContext, keys: list[str] | None) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in PEOPLE.items() if keys is None or k in keys}


CONSENTED = Purpose("people-with-consent", "exchange.purpose.catalog-sync", "exchange.purpose.catalog-sync.text",
                    reads=frozenset({"people.records"}), person_level=True, consent=True)
BY_LAW = Purpose("people-by-law", "exchange.purpose.catalog-publish", "exchange.purpose.catalog-publish.text",
                 reads=frozenset({"people.records"}), person_level=True)
PEOPLE_ESERVICE = EService("people", "Person records (test)", "Records about persons, for the consent tests",
                           resources=(FeedResource("people.records", "/people/records", "Person records",
                                                   PersonRecord, load_people, subjects=lambda d: [d["subject"]]),),
                           purposes=(CONSENTED, BY_LAW))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Template]:
    api.add_eservice(PEOPLE_ESERVICE)
    yield shared_template()
    api.remove_eservice("people")


@pytest.fixture
def world(template: Template) -> Iterator[ExchangeWorld]:
    world = template.new()
    yield world
    world.engine.dispose()


def _subject(world: ExchangeWorld, code: str) -> str:
    return pseudonymiser(world.world.settings)("fiscal_code", code)


@pytest.fixture
def people(world: ExchangeWorld) -> dict[str, str]:
    """The citizen's identity (as a SPID login leaves it) and two person records, the citizen's and another's."""
    mine, theirs = _subject(world, "RSSMRA80A01F205X"), _subject(world, "VRDLGU75B12L219K")
    with session_scope(world.engine) as session:
        session.get_one(User, world.world.users["citizen"]).fiscal_code_pseudonym = mine
    PEOPLE.clear()
    PEOPLE.update({"p1": {"id": "p1", "subject": mine, "status": "certificato"},
                   "p2": {"id": "p2", "subject": theirs, "status": "iscritto"}})
    return {"mine": mine, "theirs": theirs}


def _client(world: ExchangeWorld, http: TestClient, purposes: list[str], name: str) -> ExchangeClient:
    key = new_key(f"{name}-1")
    with session_scope(world.engine) as session:
        row = service.register_client(session, actor=cli_principal("test"), name=name, jwks=public_jwks(key),
                                      purposes=purposes, organisation=world.world.orgs["fund"])
        system = ClientSystem(row.client_id, key, {g.purpose: g.purpose_id for g in row.grants})
    return ExchangeClient(http, system)


@pytest.fixture
def http(world: ExchangeWorld) -> TestClient:
    return TestClient(app_for(world, figures_max_age=0), raise_server_exceptions=False)


def _page(http: TestClient, world: ExchangeWorld, role: str = "citizen", lang: str = "it") -> tuple[str, str]:
    value, csrf = world.world.session_cookie(role) or ("", "")
    http.cookies.set(sessions.SESSION_COOKIE, value)
    response = http.get("/account/data", params={"lang": lang})
    assert response.status_code == 200, response.text
    return response.text, csrf


def _decide(http: TestClient, world: ExchangeWorld, decision: str, purpose: str = CONSENTED.code) -> Any:
    _, csrf = _page(http, world)
    return http.post("/account/data/consents", data={"csrf_token": csrf, "purpose": purpose, "decision": decision},
                     follow_redirects=False)


def test_records_are_withheld_until_the_person_consents(http: TestClient, world: ExchangeWorld,
                                                        people: dict[str, str]) -> None:
    fund = _client(world, http, [CONSENTED.code], "Gestionale Fondo")
    items = fund.get(FEED, CONSENTED.code).json()["items"]
    assert [(i["id"], i["op"], i["data"]) for i in items] == [("p1", "withheld", None), ("p2", "withheld", None)]
    refused = fund.get(ONE.format(id="p1"), CONSENTED.code)
    assert refused.status_code == 403 and refused.json()["reason"] == "consent_required"
    with session_factory(world.engine)() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "exchange.refused")
                                .order_by(AuditEntry.id.desc())).first()
        assert entry is not None and entry.after["reason"] == "consent_required"
        assert session.scalar(select(AccessSubject.id)) is None  # nothing was read about anyone

    given = _decide(http, world, "give")
    assert given.status_code == 303 and given.headers["location"].endswith("?saved=give")
    items = fund.get(FEED, CONSENTED.code).json()["items"]
    assert [(i["id"], i["op"]) for i in items] == [("p1", "upsert"), ("p2", "withheld")]
    assert items[0]["data"] == PEOPLE["p1"]
    assert fund.get(ONE.format(id="p1"), CONSENTED.code).status_code == 200

    withdrawn = _decide(http, world, "withdraw")
    assert withdrawn.status_code == 303
    assert fund.get(FEED, CONSENTED.code).json()["items"][0]["op"] == "withheld"
    assert fund.get(ONE.format(id="p1"), CONSENTED.code).status_code == 403


def test_the_person_sees_who_read_their_data_and_for_which_purpose(http: TestClient, world: ExchangeWorld,
                                                                     people: dict[str, str]) -> None:
    region = _client(world, http, [BY_LAW.code], "Sistema informativo lavoro")
    assert region.get(FEED, BY_LAW.code).status_code == 200  # a purpose by law: read without consent
    assert region.get(ONE.format(id="p2"), BY_LAW.code).status_code == 200  # another person's record
    with session_factory(world.engine)() as session:
        mine = service.accesses(session, people["mine"])
        theirs = service.accesses(session, people["theirs"])
    assert [(a.client_name, a.purpose, a.records) for a in mine] == [("Sistema informativo lavoro", BY_LAW.code, 1)]
    assert len(theirs) == 2 and {a.operation for a in theirs} == {"people.records"}
    html, _ = _page(http, world)
    assert html.count('data-client="Sistema informativo lavoro"') == 1  # my access only, not the other's
    assert "Chi ha letto i miei dati" in html and "Pubblicazione nel catalogo condiviso" in html  # its label
    english, _ = _page(http, world, lang="en")
    assert "Who read my data" in english and "Publishing in the shared catalogue" in english
    assert 'data-purpose="people-with-consent" data-status="none"' in html


def test_a_person_without_a_linked_identity_is_told_so(http: TestClient, world: ExchangeWorld) -> None:
    html, _ = _page(http, world, role="fund_editor")
    assert 'id="no-identity"' in html and 'id="accesses"' not in html
    response = _decide(http, world, "give")  # nothing to consent for
    assert response.status_code == 303 and "saved" not in response.headers["location"]


def test_consent_needs_the_csrf_token_and_a_consent_purpose(http: TestClient, world: ExchangeWorld,
                                                            people: dict[str, str]) -> None:
    _page(http, world)
    forged = http.post("/account/data/consents", data={"purpose": CONSENTED.code, "decision": "give"},
                       follow_redirects=False)
    assert forged.status_code == 403
    with pytest.raises(Exception, match="does not ask for consent"), session_scope(world.engine) as session:
        service.set_consent(session, actor=cli_principal("test"), subject=people["mine"], purpose=BY_LAW.code,
                            given=True)
    not_consent = _decide(http, world, "give", purpose=BY_LAW.code)
    assert not_consent.status_code == 303 and "saved" not in not_consent.headers["location"]
    with session_factory(world.engine)() as session:
        assert service.consents(session, people["mine"]) == {}
