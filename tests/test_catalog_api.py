"""The catalogue's REST API with the access policy: search and courses are public; a provider publishes and
edits only its own courses, a Fund publishes under its name, others may not write (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from regia.web.app import create_app
from support.accounts import World, build_world
from test_catalog_ingest import SAMPLE, SKILLS, add_mini_taxonomy

PROVIDER_VAT = "09000000019"  # the provider organisation of the test world


@pytest.fixture
def world(empty_engine: Engine) -> World:
    world = build_world(empty_engine)  # before the mini taxonomy: its call's provinces are not all in it
    add_mini_taxonomy(empty_engine)
    return world


@pytest.fixture
def client(world: World) -> TestClient:
    app = create_app(engine=world.engine)
    app.state.auth_settings = world.settings
    return TestClient(app, raise_server_exceptions=False)


def sample(vat: str) -> list[dict[str, str]]:
    """The sample courses as published by the provider with this VAT (another VAT: another provider, with
    another name; a provider of the same name and course is recognised as the same one)."""
    with SAMPLE.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        row["provider_vat"] = vat
        if vat != PROVIDER_VAT:
            row["provider_name"] = "Accademia dei Mestieri di Lecco"
    return rows


def test_search_and_course_are_public(client: TestClient, world: World) -> None:
    published = client.post("/api/catalog/courses", json={"courses": sample(PROVIDER_VAT)},
                            headers=world.bearer("provider_editor"))
    assert published.status_code == 200, published.text
    assert {k: published.json()[k] for k in ("read", "stored", "duplicate", "rejected")} == \
        {"read": 2, "stored": 2, "duplicate": 0, "rejected": 0}
    found = client.get("/api/catalog/courses", params={"q": "haccp ristorazione", "province": "SO"})
    assert found.status_code == 200
    body = found.json()
    assert body["total"] == 1 and body["results"][0]["title"] == "HACCP per addetti alla ristorazione"
    assert body["facets"]["province"] == {"ITC44": 1}
    course = client.get(f"/api/catalog/courses/{body['results'][0]['id']}").json()
    assert course["sources"][0]["source"] == "Ente di formazione di prova"
    assert client.get("/api/catalog/courses/999999").status_code == 404
    assert client.get("/api/catalog/courses", params={"province": "ZZ"}).status_code == 422


def test_who_may_publish(client: TestClient, world: World) -> None:
    payload = {"courses": sample(PROVIDER_VAT)}
    assert client.post("/api/catalog/courses", json=payload).status_code == 401
    assert client.post("/api/catalog/courses", json=payload,
                       headers=world.bearer("partnership_editor")).status_code == 403
    assert client.post("/api/catalog/courses", json=payload, headers=world.bearer("fund_viewer")).status_code == 403
    # a provider may not publish another provider's courses
    other = client.post("/api/catalog/courses", json={"courses": sample("01234567897")},
                        headers=world.bearer("provider_editor")).json()
    assert (other["stored"], other["rejected"]) == (0, 2)
    # a Fund publishes any provider's course, under its own name; the provider's own copy is then recognised
    fund = client.post("/api/catalog/courses", json={"courses": sample("01234567897")},
                       headers=world.bearer("fund_editor")).json()
    assert (fund["stored"], fund["rejected"]) == (2, 0)
    again = client.post("/api/catalog/courses", json={"courses": sample("01234567897")},
                        headers=world.bearer("region_admin")).json()
    assert (again["stored"], again["duplicate"]) == (0, 2)


def test_only_the_provider_confirms_its_courses_skills(client: TestClient, world: World) -> None:
    own = client.post("/api/catalog/courses", json={"courses": sample(PROVIDER_VAT)},
                      headers=world.bearer("provider_editor")).json()["course_ids"][0]
    other = client.post("/api/catalog/courses", json={"courses": sample("01234567897")},
                        headers=world.bearer("fund_editor")).json()["course_ids"][0]
    body = {"confirm": [SKILLS["excel"][0]], "remove": []}
    ok = client.put(f"/api/catalog/courses/{own}/skills", json=body, headers=world.bearer("provider_editor"))
    assert ok.status_code == 200, ok.text
    assert ok.json()["skills"] == [{"uri": SKILLS["excel"][0], "label": "use spreadsheets software",
                                    "origin": "provider", "score": 1.0, "confirmed": True}]
    assert ok.json()["digital"] is True
    assert client.put(f"/api/catalog/courses/{other}/skills", json=body,
                      headers=world.bearer("provider_editor")).status_code == 403
    assert client.put(f"/api/catalog/courses/{own}/skills", json=body,
                      headers=world.bearer("fund_editor")).status_code == 403
    assert client.put(f"/api/catalog/courses/{own}/skills", json=body).status_code == 401
    bad = client.put(f"/api/catalog/courses/{own}/skills", json={"confirm": ["http://example.org/x"]},
                     headers=world.bearer("provider_editor"))
    assert bad.status_code == 422

