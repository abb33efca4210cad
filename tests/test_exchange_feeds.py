"""Change feeds and idempotent writes of the exchange: changes are captured in the writer's transaction
(unit of work and the catalogue's bulk inserts alike), a feed read twice with the same cursor gives the same
page, deletions are in the feed, unchanged records are not logged again, a rolled-back write leaves nothing,
re-posting with the same Idempotency-Key creates nothing; the pacts' feed holds funded pacts only. The capture
and the feed order are also checked on PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.orm import Session

from regia.auth.principal import SYSTEM
from regia.catalog import service as catalog
from regia.catalog.ingest import ingest_file
from regia.catalog.models import Course, CourseSkill, Edition
from regia.db import migrate, session_factory, session_scope
from regia.exchange import capture, feeds
from regia.exchange.eservices import catalog as catalog_eservice
from regia.exchange.models import Change, FeedHead
from regia.exchange.registry import REGISTRY, LoadContext
from regia.pacts.models import Call, Proposal
from support.exchange_client import ExchangeClient
from support.exchange_world import PROVIDER_VAT, ExchangeWorld, Template, app_for, shared_template
from test_catalog_ingest import SAMPLE, SKILLS, add_mini_taxonomy

COURSES = "/exchange/v1/catalog/courses/changes"
EDITIONS = "/exchange/v1/catalog/editions/changes"
PUBLISH = "/exchange/v1/catalog/courses"


def course(code: str, title: str = "Corso", **extra: str) -> dict[str, str]:
    return {"provider_name": "Ente di formazione di prova", "provider_vat": PROVIDER_VAT, "course_code": code,
            "title": title, "description": f"Descrizione di {title}", "hours": "16", "modality": "presenza",
            "comune": "017029", "start_date": "2027-03-01", "end_date": "2027-03-31", "seats": "12",
            "funding": "fondo:Fondimpresa", "targets": "occupati", **extra}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    capture.install()
    return shared_template()


@pytest.fixture
def world(template: Template) -> Iterator[ExchangeWorld]:
    world = template.new()
    yield world
    world.engine.dispose()


@pytest.fixture
def fund(world: ExchangeWorld) -> ExchangeClient:
    return ExchangeClient(TestClient(app_for(world), raise_server_exceptions=False), world.clients["fund"])


def changes(engine: Engine, resource: str) -> list[Change]:
    with session_factory(engine)() as session:
        return list(session.scalars(select(Change).where(Change.resource == resource).order_by(Change.seq)))


def page(c: ExchangeClient, path: str, since: str | None = None, limit: int = 100) -> dict[str, object]:
    params: dict[str, object] = {"limit": limit}
    if since:
        params["since"] = since
    response = c.get(path, "catalog-sync", params=params)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_bulk_ingest_is_captured_in_its_transaction(world: ExchangeWorld) -> None:
    """The catalogue's ingest inserts new courses, skills and editions with bulk INSERTs (no unit of work):
    each course and edition is in the feed, as it was committed."""
    report = ingest_file(world.engine, SAMPLE, source="fondo-test")
    assert report.courses_new >= 2
    logged = {c.key: c for c in changes(world.engine, "catalog.courses")}
    assert set(logged) == {str(i) for i in report.course_ids}
    with session_factory(world.engine)() as session:
        for cid in report.course_ids:
            row = session.get_one(Course, cid)
            data = logged[str(cid)].data
            assert data is not None and data["title"] == row.title and data["hours"] == row.hours
            assert {s["uri"] for s in data["skills"]} == {s.uri for s in row.skills}
        editions = set(session.scalars(select(Edition.id)))
    assert {c.key for c in changes(world.engine, "catalog.editions")} == {str(e) for e in editions}


def test_unchanged_records_are_not_logged_again_and_changes_are(world: ExchangeWorld) -> None:
    first = catalog.publish(world.engine, [course("UNO", "Saldatura")], source="s1", tagger=None, principal=SYSTEM)
    before = len(changes(world.engine, "catalog.courses"))
    catalog.publish(world.engine, [course("UNO", "Saldatura")],
                    source="s1", tagger=None, principal=SYSTEM)  # the same again
    assert len(changes(world.engine, "catalog.courses")) == before
    catalog.confirm_skills(world.engine, first.course_ids[0], confirm=[SKILLS["weld"][0]], remove=[])
    after = changes(world.engine, "catalog.courses")
    assert len(after) == before + 1
    assert [s["uri"] for s in after[-1].data["skills"]] == [SKILLS["weld"][0]]  # type: ignore[index]


def test_deletions_are_in_the_feed(world: ExchangeWorld, fund: ExchangeClient) -> None:
    report = catalog.publish(world.engine, [course("DUE"), course("TRE", "Contabilità")],
                             source="s1", tagger=None, principal=SYSTEM)
    copy: dict[str, object] = {}
    cursor, _ = fund.sync(COURSES, "catalog-sync", copy)
    editions: dict[str, object] = {}
    edition_cursor, _ = fund.sync(EDITIONS, "catalog-sync", editions)
    assert set(copy) == {str(i) for i in report.course_ids} and len(editions) == 2
    gone = report.course_ids[0]
    with session_scope(world.engine) as session:  # the unit of work: the course, its editions by cascade
        session.delete(session.get_one(Course, gone))
    _, seen = fund.sync(COURSES, "catalog-sync", copy, cursor=cursor)
    assert seen == 1 and set(copy) == {str(report.course_ids[1])}
    fund.sync(EDITIONS, "catalog-sync", editions, cursor=edition_cursor)
    assert len(editions) == 1
    with session_scope(world.engine) as session:  # a bulk DELETE statement
        session.execute(CourseSkill.__table__.delete().where(CourseSkill.course_id == report.course_ids[1]))
        session.execute(update(Course).where(Course.id == report.course_ids[1]).values(hours=99.0))
    last = changes(world.engine, "catalog.courses")[-1]
    assert last.op == "upsert" and last.data["hours"] == 99.0  # type: ignore[index]


def test_a_feed_read_twice_with_the_same_cursor_gives_the_same_page(world: ExchangeWorld,
                                                                   fund: ExchangeClient) -> None:
    catalog.publish(world.engine, [course(f"C{i:02d}", f"Corso {i}") for i in range(7)],
                    source="s1", tagger=None, principal=SYSTEM)
    first = page(fund, COURSES, limit=3)
    second_page = page(fund, COURSES, since=str(first["next"]), limit=3)
    catalog.publish(world.engine, [course("C00", "Corso 0 rinnovato"), course("NEW", "Nuovo")], source="s1",
                    tagger=None, principal=SYSTEM)  # new changes in between
    again = page(fund, COURSES, since=str(first["next"]), limit=3)
    assert again["items"] == second_page["items"] and again["next"] == second_page["next"]
    assert page(fund, COURSES, limit=3) == first
    # the whole feed, page by page: every change once, in order, deletions and updates included
    seqs, cursor = [], None
    while True:
        p = page(fund, COURSES, since=cursor, limit=4)
        seqs += [i["seq"] for i in p["items"]]  # type: ignore[index]
        cursor = str(p["next"])
        if not p["more"]:
            break
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs)) == 9
    assert page(fund, COURSES, since=cursor)["items"] == []
    assert page(fund, COURSES, since=cursor)["next"] == cursor  # nothing new: the cursor stays


def test_a_cursor_of_another_feed_is_refused(world: ExchangeWorld, fund: ExchangeClient) -> None:
    catalog.publish(world.engine, [course("X1")], source="s1", tagger=None, principal=SYSTEM)
    cursor = page(fund, COURSES)["next"]
    response = fund.get(EDITIONS, "catalog-sync", params={"since": cursor})
    assert response.status_code == 400 and response.json()["reason"] == "invalid_cursor"
    assert fund.get(COURSES, "catalog-sync", params={"since": "%%%"}).json()["reason"] == "invalid_cursor"


def test_a_rolled_back_write_leaves_no_change(world: ExchangeWorld) -> None:
    before = len(changes(world.engine, "catalog.courses"))
    from regia.catalog.ingest import ingest_items, load_places

    with pytest.raises(RuntimeError), session_scope(world.engine) as session:
        ingest_items(session, [(1, course("ROLL"), "raw")], source="s1", file="x", places=load_places(session),
                     tagger=None)
        session.flush()
        raise RuntimeError("the writer fails after its flush")
    assert len(changes(world.engine, "catalog.courses")) == before


def test_one_record_and_its_absence(world: ExchangeWorld, fund: ExchangeClient) -> None:
    report = catalog.publish(world.engine, [course("ONE", "Uno")], source="s1", tagger=None, principal=SYSTEM)
    cid = report.course_ids[0]
    response = fund.get(f"/exchange/v1/catalog/courses/{cid}", "catalog-sync")
    assert response.status_code == 200, response.text
    assert response.json()["data"]["course_code"] == "ONE"
    missing = fund.get("/exchange/v1/catalog/courses/999999", "catalog-sync")
    assert missing.status_code == 404 and missing.json()["reason"] == "not_found"


def test_records_written_before_the_feed_existed_start_it(world: ExchangeWorld, fund: ExchangeClient) -> None:
    """Writes that bypassed the capture (raw SQL) are caught by a refresh; the first read of a feed logs every
    record present."""
    catalog.publish(world.engine, [course("RAW")], source="s1", tagger=None, principal=SYSTEM)
    with world.engine.begin() as conn:  # no session: no events
        conn.execute(text("UPDATE catalog_course SET title = 'Titolo cambiato a mano'"))
        conn.execute(text("DELETE FROM exchange_change"))
        conn.execute(text("DELETE FROM exchange_feed_head"))
    items = page(fund, COURSES)["items"]
    assert [i["data"]["title"] for i in items] == ["Titolo cambiato a mano"]  # type: ignore[index]
    with world.engine.begin() as conn:
        conn.execute(text("UPDATE catalog_course SET hours = 77"))
    with session_scope(world.engine) as session:
        resource = REGISTRY.resource("catalog.courses")
        assert feeds.refresh(session, resource, LoadContext(session=session)) == 1
        assert feeds.refresh(session, resource, LoadContext(session=session)) == 0
    assert page(fund, COURSES)["items"][-1]["data"]["hours"] == 77  # type: ignore[index]


# --- idempotency -----------------------------------------------------------------------------------------------

def _counts(engine: Engine) -> tuple[int, int, int]:
    with session_factory(engine)() as session:
        return (session.scalar(select(func.count(Course.id))) or 0, session.scalar(select(func.count(Edition.id)))
                or 0, session.scalar(select(func.count(Change.seq))) or 0)


def test_reposting_with_the_same_idempotency_key_creates_nothing(world: ExchangeWorld,
                                                                 fund: ExchangeClient) -> None:
    payload = {"courses": [course("IDEM", "Idempotente")]}
    first = fund.post(PUBLISH, "catalog-publish", payload, idempotency_key="pub-0001")
    assert first.status_code == 200 and first.json()["stored"] == 1
    counts = _counts(world.engine)
    again = fund.post(PUBLISH, "catalog-publish", payload, idempotency_key="pub-0001")
    assert again.status_code == 200 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _counts(world.engine) == counts
    other = fund.post(PUBLISH, "catalog-publish", {"courses": [course("ALTRO")]}, idempotency_key="pub-0001")
    assert other.status_code == 422 and other.json()["reason"] == "idempotency_key_reused"
    assert _counts(world.engine) == counts
    # without the key, the natural key still keeps the course once (an edition already held: a duplicate)
    plain = fund.post(PUBLISH, "catalog-publish", payload)
    assert plain.status_code == 200 and plain.json()["duplicate"] == 1 and plain.json()["stored"] == 0
    assert _counts(world.engine)[:2] == counts[:2]


def test_a_provider_system_publishes_only_its_own_courses(world: ExchangeWorld) -> None:
    provider = ExchangeClient(TestClient(app_for(world), raise_server_exceptions=False), world.clients["provider"])
    own = provider.post(PUBLISH, "catalog-publish", {"courses": [course("OWN")]})
    assert own.status_code == 200 and own.json()["stored"] == 1
    foreign = dict(course("FOREIGN"), provider_vat="01234567897", provider_name="Altro ente")
    theirs = provider.post(PUBLISH, "catalog-publish", {"courses": [foreign]})
    assert theirs.status_code == 200 and theirs.json()["rejected"] == 1
    assert "not the publishing provider's" in theirs.json()["rejections"][0]


# --- pacts ------------------------------------------------------------------------------------------------------

def test_only_funded_pacts_are_public(world: ExchangeWorld) -> None:
    region = ExchangeClient(TestClient(app_for(world), raise_server_exceptions=False), world.clients["region"])
    projects = "/exchange/v1/pacts/projects/changes"
    assert region.get(projects, "pacts-transparency").json()["items"] == []  # drafts and a submission only
    calls = region.get("/exchange/v1/pacts/calls/changes", "pacts-transparency").json()["items"]
    assert [c["data"]["code"] for c in calls] == ["PATTI-2027"]
    pid = world.world.proposals["submitted_a"]
    with session_scope(world.engine) as session:
        proposal = session.get_one(Proposal, pid)
        proposal.status, proposal.granted, proposal.rank = "selected", {"regional": "250000.00"}, 1
    assert region.get(projects, "pacts-transparency").json()["items"] == []  # the ranking is not published yet
    with session_scope(world.engine) as session:
        call = session.get_one(Call, proposal.call_id)
        call.ranking_published_at = datetime.now(UTC)
    [item] = region.get(projects, "pacts-transparency").json()["items"]
    assert item["op"] == "upsert" and item["data"]["granted"] == {"regional": "250000.00"}
    assert item["data"]["code"] == f"PATTI-2027-{pid:05d}" and item["data"]["partnership"]["name"] == "Patto A"
    with session_scope(world.engine) as session:
        session.get_one(Proposal, pid).status = "not_selected"
    items = region.get(projects, "pacts-transparency").json()["items"]
    assert [i["op"] for i in items] == ["upsert", "delete"]


# --- PostgreSQL ---------------------------------------------------------------------------------------------------

def test_capture_and_feed_on_both_engines(empty_engine: Engine) -> None:
    capture.install()
    migrate(empty_engine)
    add_mini_taxonomy(empty_engine)
    first = catalog.publish(empty_engine, [course("PG1", "Uno"), course("PG2", "Due")],
                            source="s1", tagger=None, principal=SYSTEM)
    catalog.publish(empty_engine, [course("PG1", "Uno modificato")], source="s1", tagger=None, principal=SYSTEM)
    logged = changes(empty_engine, "catalog.courses")
    assert [c.key for c in logged] == [str(first.course_ids[0]), str(first.course_ids[1]), str(first.course_ids[0])]
    assert logged[-1].data["title"] == "Uno modificato"  # type: ignore[index]
    with Session(empty_engine) as session:
        heads = {h.key: h.seq for h in session.scalars(select(FeedHead).where(FeedHead.resource == "catalog.courses"))}
    assert heads[str(first.course_ids[0])] == logged[-1].seq
    resource = REGISTRY.resource("catalog.courses")
    with session_factory(empty_engine)() as session:
        items = feeds.read(session, resource, after=logged[0].seq, limit=10)
    assert [i.seq for i in items] == [c.seq for c in logged[1:]]
    assert json.dumps(items[-1].data, sort_keys=True) == json.dumps(logged[-1].data, sort_keys=True)
    assert resource.name == catalog_eservice.COURSES


def test_a_record_the_feed_cannot_represent_does_not_fail_the_write(world: ExchangeWorld, fund: ExchangeClient,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The domain's write commits; the feed is marked for a refresh, which its next read does."""
    page(fund, COURSES)  # the feed exists
    eservice = REGISTRY.eservices["catalog"]

    def broken(ctx: LoadContext, keys: list[str] | None) -> dict[str, object]:
        raise KeyError("a field the resource does not know")

    monkeypatch.setattr(eservice, "resources", (replace(eservice.resources[0], load=broken),
                                                *eservice.resources[1:]))
    report = catalog.publish(world.engine, [course("BROKEN", "Scritto comunque")],
                             source="s1", tagger=None, principal=SYSTEM)
    assert report.stored == 1
    monkeypatch.undo()
    items = page(fund, COURSES)["items"]
    assert [i["data"]["course_code"] for i in items] == ["BROKEN"]  # type: ignore[index]
