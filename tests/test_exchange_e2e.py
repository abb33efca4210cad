"""End to end, over the network: a Fund's management system — a real client written against the exchange's
OpenAPI document with httpx and joserfc (``tests/support/exchange_client.py``) — talks to Regia served by
uvicorn: it syncs the catalogue through the change feed, publishes a course once (a retry with the same
Idempotency-Key changes nothing), finds its course in the feed exactly once, as the catalogue holds it, and
reads the status of a worker's certification credentials for its purpose (``certification-status``: withheld
until the worker consents, then active, then revoked once the issuer revokes one)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from regia.auth.principal import SYSTEM, cli_principal
from regia.auth.pseudonym import pseudonymiser
from regia.catalog import service as catalog
from regia.certification import credentials
from regia.config import get_settings
from regia.db import session_scope
from regia.exchange import service as exchange
from support.exchange_client import ExchangeClient
from support.exchange_world import PROVIDER_VAT, ExchangeWorld, app_for, shared_template
from support.ivc import PERSON, principal
from support.servers import free_port, live_server
from test_exchange_eservices import certify

FEED = "/exchange/v1/catalog/courses/changes"
EDITIONS = "/exchange/v1/catalog/editions/changes"
PUBLISH = "/exchange/v1/catalog/courses"
CREDENTIALS = "/exchange/v1/certification/credentials/changes"


def row(code: str, title: str, comune: str = "017029") -> dict[str, str]:
    return {"provider_name": "Ente di formazione di prova", "provider_vat": PROVIDER_VAT, "course_code": code,
            "title": title, "description": f"{title}: corso del catalogo", "hours": "32", "modality": "presenza",
            "comune": comune, "start_date": "2027-05-03", "end_date": "2027-06-30", "seats": "14",
            "funding": "fondo:Fondimpresa", "targets": "occupati"}


@pytest.fixture(autouse=True)
def _keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("REGIA_CREDENTIAL_KEYS_DIR", str(tmp_path / "keys"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def world() -> Iterator[ExchangeWorld]:
    world = shared_template().new()
    catalog.publish(world.engine, [row("E1", "Manutenzione industriale"), row("E2", "Logistica di magazzino")],
                    source="regione-lombardia", tagger=None, principal=SYSTEM)
    yield world
    world.engine.dispose()


def test_a_fund_system_syncs_the_catalogue_and_publishes_a_course_once(world: ExchangeWorld) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = app_for(world, base_url=base)
    with live_server(app, port=port), httpx.Client(base_url=base, timeout=30) as http:
        fund = ExchangeClient(http, world.clients["fund"])
        assert fund.audiences["token"] == f"{base}/exchange/v1/token"
        fund.path(FEED)  # every path it calls is in the OpenAPI document
        fund.path(PUBLISH, "post")

        copy: dict[str, dict[str, object]] = {}
        cursor, seen = fund.sync(FEED, "catalog-sync", copy, limit=1)  # one change per page: paging is exercised
        assert seen == 2 and {c["course_code"] for c in copy.values()} == {"E1", "E2"}  # type: ignore[union-attr]
        editions: dict[str, dict[str, object]] = {}
        fund.sync(EDITIONS, "catalog-sync", editions)
        assert len(editions) == 2

        mine = row("FONDO-7", "Competenze digitali per la manifattura", comune="097042")
        first = fund.post(PUBLISH, "catalog-publish", {"courses": [mine]}, idempotency_key="fondo-7-2027")
        assert first.status_code == 200, first.text
        assert first.headers["X-RateLimit-Remaining"].isdigit()
        retry = fund.post(PUBLISH, "catalog-publish", {"courses": [mine]}, idempotency_key="fondo-7-2027")
        assert retry.json() == first.json() and retry.headers["Idempotent-Replayed"] == "true"
        [course_id] = first.json()["course_ids"]

        cursor, seen = fund.sync(FEED, "catalog-sync", copy, cursor=cursor)
        assert seen == 1  # the course, once: the retry created nothing
        held = catalog.course_detail(world.engine, course_id)
        synced = copy[str(course_id)]
        assert synced["title"] == held["title"] and synced["course_code"] == "FONDO-7"
        assert synced["funding"] == held["funding"] == ["fondo:Fondimpresa"]
        assert synced["provider"] == {"vat": PROVIDER_VAT, "name": held["provider"]["name"]}
        _, seen = fund.sync(FEED, "catalog-sync", copy, cursor=cursor)
        assert seen == 0
        fund.sync(EDITIONS, "catalog-sync", editions)
        assert {e["comune"] for e in editions.values()} == {"017029", "097042"}


def test_a_fund_system_reads_certification_statuses_for_its_purpose(world: ExchangeWorld) -> None:
    ids = certify(world)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = app_for(world, base_url=base)
    with live_server(app, port=port), httpx.Client(base_url=base, timeout=30) as http:
        fund = ExchangeClient(http, world.clients["fund"])
        fund.path(CREDENTIALS)
        statuses: dict[str, dict[str, object]] = {}
        cursor, seen = fund.sync(CREDENTIALS, "certification-status", statuses)
        assert seen == 2 and statuses == {}  # withheld: the worker has not consented

        with session_scope(world.engine) as session:
            exchange.set_consent(session, actor=cli_principal("test"), purpose="certification-status", given=True,
                                 subject=pseudonymiser()("fiscal_code", PERSON.tax_code))
        cursor, _ = fund.sync(CREDENTIALS, "certification-status", statuses)
        assert sorted(statuses) == ids and {s["status"] for s in statuses.values()} == {"active"}

        with session_scope(world.engine) as session:
            credentials.revoke(session, actor=principal(session, world.world, "region_admin"), id=ids[1],
                               reason="Revocata per errore materiale")
        _, seen = fund.sync(CREDENTIALS, "certification-status", statuses, cursor=cursor)
        assert seen == 1 and statuses[ids[1]]["status"] == "revoked" and statuses[ids[0]]["status"] == "active"
