"""The outcomes e-service: per-course outcomes (disclosure-controlled) for the aggregate purpose, the
participations themselves (pseudonymised) for the register's purpose only, each with its change feed — fed by
the monitoring ingest as it writes, re-imports changing nothing."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from regia.db import session_factory, session_scope
from regia.exchange import service
from regia.monitoring import ingest, opendata, simulation
from regia.monitoring import service as monitoring
from regia.monitoring.models import Participation
from support.accounts import ORGS, publish_course
from support.exchange_client import ExchangeClient
from support.exchange_world import ExchangeWorld, app_for, shared_template
from test_exchange_eservices import client

COURSES = "/exchange/v1/outcomes/courses/changes"
PARTICIPATIONS = "/exchange/v1/outcomes/participations/changes"
PARTICIPATION = "/exchange/v1/outcomes/participations/{id}"


@pytest.fixture
def world() -> Iterator[ExchangeWorld]:
    world = shared_template().new()
    yield world
    world.engine.dispose()


@pytest.fixture
def http(world: ExchangeWorld) -> TestClient:
    return TestClient(app_for(world), raise_server_exceptions=False)


def simulate(world: ExchangeWorld, folder: Path) -> tuple[int, simulation.Manifest]:
    course = publish_course(world.engine, vat=ORGS["provider"][3] or "")
    manifest = simulation.generate(folder, seed=3, effect=0.1, persons=300, course_ids=[course])
    for kind in ("participations", "unemployed", "employment"):
        for name in manifest.files[kind]:
            ingest.ingest_file(world.engine, Path(name), kind=kind, source=simulation.SOURCE, synthetic=True,
                               settings=world.world.settings)
    return course, manifest


def everything(system: ExchangeClient, path: str, purpose: str, since: str | None = None) -> tuple[list, str]:
    items, cursor = [], since
    while True:
        page = system.get(path, purpose, params={"since": cursor, "limit": 500} if cursor else {"limit": 500})
        assert page.status_code == 200, page.text
        body = page.json()
        items += body["items"]
        if body["next"] == cursor or not body["items"]:
            return items, body["next"]
        cursor = body["next"]


def tax_codes(manifest: simulation.Manifest) -> set[str]:
    codes: set[str] = set()
    for name in manifest.files["participations"]:
        with open(name, newline="", encoding="utf-8") as fh:
            codes |= {row["codice_fiscale"] for row in csv.DictReader(fh) if len(row["codice_fiscale"]) == 16}
    return codes


def test_the_register_reads_participations_pseudonymised_and_a_reimport_changes_nothing(
        world: ExchangeWorld, http: TestClient, tmp_path: Path) -> None:
    _, manifest = simulate(world, tmp_path)
    register = client(world, http, "Sistema informativo lavoro", "region", ["outcomes-register"])
    items, cursor = everything(register, PARTICIPATIONS, "outcomes-register")
    with session_factory(world.engine)() as session:
        held = {p.natural_key: p for p in session.scalars(select(Participation))}
    assert held and {i["id"] for i in items} == set(held) and {i["op"] for i in items} == {"upsert"}
    first = items[0]["data"]
    row = held[first["id"]]
    assert (first["person"], first["course_id"], first["status"], first["enrolled_on"]) == (
        row.person, row.course_id, row.status, row.enrolled_on.isoformat())
    text = json.dumps(items)
    codes = tax_codes(manifest)
    assert codes and not any(code in text for code in codes)  # pseudonyms only, never a codice fiscale

    one = register.get(PARTICIPATION.format(id=first["id"]), "outcomes-register")
    assert one.status_code == 200 and one.json()["data"] == first
    with session_factory(world.engine)() as session:
        readers = {(a.client_name, a.purpose) for a in service.accesses(session, row.person)}
    assert ("Sistema informativo lavoro", "outcomes-register") in readers

    for name in manifest.files["participations"]:  # the same file again: nothing new in the feed
        ingest.ingest_file(world.engine, Path(name), kind="participations", source=simulation.SOURCE,
                           synthetic=True, settings=world.world.settings)
    again, _ = everything(register, PARTICIPATIONS, "outcomes-register", since=cursor)
    assert again == []

    with session_scope(world.engine) as session:  # a record corrected by the writer: one change, that record
        session.get(Participation, row.id).status = "dropped"
    [change] = everything(register, PARTICIPATIONS, "outcomes-register", since=cursor)[0]
    assert change["id"] == row.natural_key and change["data"]["status"] == "dropped"


def test_a_fund_reads_per_course_outcomes_after_disclosure_control_and_no_person(
        world: ExchangeWorld, http: TestClient, tmp_path: Path) -> None:
    course, _ = simulate(world, tmp_path)
    fund = client(world, http, "Gestionale Fondo", "fund", ["outcomes-aggregate"])
    refused = fund.get(PARTICIPATIONS, "outcomes-aggregate")
    assert refused.status_code == 403 and refused.json()["reason"] == "purpose_not_allowed"
    denied = fund.request_token(fund.assertion("outcomes-register"))
    assert denied.status_code == 403 and denied.json()["reason"] == "purpose_not_granted"

    items, _ = everything(fund, COURSES, "outcomes-aggregate")
    [item] = [i for i in items if i["id"] == str(course)]
    record = item["data"]
    rows, _ = opendata.table(world.engine, monitoring.dataset(world.engine), "course")
    published = next(r for r in rows if r["category"] == str(course))
    for name in ("participants", "completed", "certified", "observed_12m", "employed_12m", "stable_12m"):
        expected = None if published[name] == opendata.CONFIDENTIAL else published[name]
        assert record[name] == expected, name
        assert (name in record["suppressed"]) == (expected is None)
    with session_factory(world.engine)() as session:
        count = len(session.scalars(select(Participation.id).where(Participation.course_id == course)).all())
    assert record["participants"] == count and record["synthetic"] is True
    assert record["employed_12m_rate"] == published["employed_12m_rate"] or record["employed_12m"] is None
    assert "person" not in json.dumps(items)
