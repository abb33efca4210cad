"""The certification API and pages on the test world: a Fund outside its delegation is refused (API 403, the
page's message in Italian) and what it issued before stays valid; the person sees only their own dossier; an
assessor only the requests they are assigned to; the public verification endpoint; the course path."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from regia.auth import service as accounts
from regia.auth import sessions
from regia.certification import delegations, procedure, service, standards
from regia.certification.models import Claim, Credential, Delegation
from regia.clock import rome_today
from regia.config import get_settings
from regia.db import session_scope
from regia.web.app import create_app
from support.accounts import PASSWORD
from support.ivc import PERSON, SYSTEM, IvcWorlds, principal, take_to


@pytest.fixture(scope="module")
def worlds(databases: Any) -> IvcWorlds:
    return IvcWorlds(databases)


@pytest.fixture
def world(worlds: IvcWorlds, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("REGIA_CREDENTIAL_KEYS_DIR", str(tmp_path / "keys"))
    get_settings.cache_clear()
    yield worlds.new()
    get_settings.cache_clear()


def _client(world: Any) -> TestClient:
    app = create_app(engine=world.engine)
    app.state.auth_settings = world.settings
    return TestClient(app, raise_server_exceptions=False, follow_redirects=False)


def _page_as(client: TestClient, world: Any, role: str) -> str:
    value, csrf = world.session_cookie(role)
    client.cookies.set(sessions.SESSION_COOKIE, value)
    return csrf


PERSON_B = procedure.Person("Giulia", "Bianchi", "BNCGLI90A41F205H", date(1990, 1, 1), "Milano")
BODY = {"profile_code": "DEMO-LOG-001", "person": {"given_name": "Mario", "family_name": "Rossi",
                                                   "tax_code": PERSON.tax_code, "birth_date": "1985-12-10"}}


def test_a_fund_outside_its_delegation_is_refused_and_its_credentials_stay_valid(world: Any) -> None:
    client = _client(world)
    body = {**BODY, "provider_org_id": world.orgs["provider"]}
    refused = client.post("/api/certification/requests", json=body, headers=world.bearer("fund_b_editor"))
    assert refused.status_code == 403 and "not delegated" in refused.json()["detail"]
    made = client.post("/api/certification/requests", json=body, headers=world.bearer("fund_editor"))
    assert made.status_code == 201, made.text
    request_id = made.json()["id"]
    with session_scope(world.engine) as session:
        take_to(session, world, request_id, "assessed")
        delegation = session.get(Delegation, world.extra["delegation"])
        delegation.valid_to = rome_today() - timedelta(days=1)  # the delegation has ended
    answer = client.post(f"/api/certification/requests/{request_id}/moves", json={"target": "certified"},
                         headers=world.bearer("fund_editor"))
    assert answer.status_code == 403 and "not delegated" in answer.json()["detail"]
    csrf = _page_as(client, world, "fund_editor")
    page = client.post(f"/certification/requests/{request_id}", data={"action": "move", "target": "certified",
                                                                      "csrf_token": csrf})
    assert page.status_code == 403 and 'id="request-error"' in page.text
    assert "non è delegato per lo standard DEMO-LOG-001" in page.text
    with session_scope(world.engine) as session:  # the delegation is back: the Fund issues
        session.get(Delegation, world.extra["delegation"]).valid_to = rome_today() + timedelta(days=30)
    assert client.post(f"/api/certification/requests/{request_id}/moves", json={"target": "certified"},
                       headers=world.bearer("fund_editor")).status_code == 200
    with session_scope(world.engine) as session:
        credential = session.scalars(select(Credential).where(Credential.request_id == request_id)).first()
        body_issued = credential.body
        delegations.revoke(session, actor=SYSTEM, id=world.extra["delegation"], reason="Fine della delega")
    verdict = client.post("/api/certification/verify", json=body_issued).json()
    assert verdict["status"] == "valid" and verdict["message"].startswith("Firmata dall'ente")
    assert client.post("/api/certification/requests", json=body, headers=world.bearer("fund_editor")).status_code == 403


def test_the_person_sees_only_their_own_dossier_and_assessors_their_assignments(world: Any) -> None:
    with session_scope(world.engine) as session:
        mine = procedure.create(session, actor=principal(session, world, "citizen"), profile_code="DEMO-LOG-001",
                                provider_org_id=world.orgs["provider"], person=PERSON).id
        other_user = accounts.create_user(session, actor=SYSTEM, email="altra.persona@example.org",
                                          display_name="Altra persona", password=PASSWORD)
        from regia.auth.principal import principal_for

        theirs = procedure.create(session, actor=principal_for(other_user, via="token"),
                                  profile_code="DEMO-MEC-001", provider_org_id=world.orgs["provider"],
                                  person=procedure.Person("Giuseppe", "Verdi", "VRDGPP80A01F205X",
                                                          date(1980, 1, 1))).id
        take_to(session, world, mine, "validation")  # the world's assessor is assigned to mine only
    client = _client(world)
    listed = client.get("/api/certification/requests", headers=world.bearer("citizen")).json()
    assert [r["id"] for r in listed] == [mine]
    assert client.get(f"/api/certification/requests/{theirs}", headers=world.bearer("citizen")).status_code == 404
    _page_as(client, world, "citizen")
    dossier = client.get("/certification/dossier").text
    assert "IVC-" in dossier and "DEMO-MEC-001" not in dossier and "Giuseppe" not in dossier
    assessor = client.get("/api/certification/requests", headers=world.bearer("assessor")).json()
    assert [r["id"] for r in assessor] == [mine]
    assert client.get(f"/api/certification/requests/{theirs}", headers=world.bearer("assessor")).status_code == 404
    assignments = client.get("/api/certification/assignments", headers=world.bearer("assessor")).json()
    assert {a["request_id"] for a in assignments} == {mine}
    provider = client.get("/api/certification/requests", headers=world.bearer("provider_editor")).json()
    assert {r["id"] for r in provider} == {mine, theirs}
    assert client.get("/api/certification/requests", headers=world.bearer("other_provider_editor")).json() == []


def test_public_documents_and_the_course_path(world: Any) -> None:
    with session_scope(world.engine) as session:
        request_id = procedure.create(session, actor=principal(session, world, "citizen"),
                                      profile_code="DEMO-LOG-001", provider_org_id=world.orgs["provider"],
                                      person=PERSON).id
        take_to(session, world, request_id, "certified")
        credential = session.scalars(select(Credential).where(Credential.request_id == request_id)).first()
        slug, list_url = credential.issuer.slug, credential.body["credentialStatus"]["statusListCredential"]
    client = _client(world)
    controller = client.get(f"/certification/issuers/{slug}").json()
    assert controller["verificationMethod"][0]["type"] == "Multikey"
    assert credential.body["proof"]["verificationMethod"] in controller["assertionMethod"]
    assert client.get(f"/certification/issuers/{slug}/did.json").json()["id"].startswith("did:web:")
    status = client.get(list_url.removeprefix(get_settings().public_url))
    assert status.status_code == 200 and status.json()["type"][1] == "BitstringStatusListCredential"
    csrf = _page_as(client, world, "citizen")  # the person makes a share link from the dossier
    made = client.post(f"/certification/credentials/{credential.id}/share", data={"days": "7", "csrf_token": csrf})
    assert made.status_code == 303 and "shared=" in made.headers["location"]
    link = made.headers["location"].split("shared=", 1)[1].removeprefix(get_settings().public_url)
    client.cookies.clear()
    shared = client.get(link.removeprefix("http://testserver"))
    assert shared.status_code == 200 and 'data-status="valid"' in shared.text
    assert client.get("/certification/share/" + "x" * 32).status_code == 404
    course = world.courses.get("provider")
    if course is None:
        from support.accounts import ORGS, publish_course

        course = publish_course(world.engine, vat=ORGS["provider"][3] or "")
    put = client.put(f"/api/certification/courses/{course}/competences",
                     json={"competences": ["DEMO-LOG-001/LOG-001-C2"]}, headers=world.bearer("provider_editor"))
    assert put.status_code == 200, put.text
    assert client.put(f"/api/certification/courses/{course}/competences", json={"competences": ["X/Y"]},
                      headers=world.bearer("provider_editor")).status_code == 422
    page = client.get(f"/catalog/courses/{course}").text
    assert "Frequenta questo corso → certifica queste competenze" in page and "LOG-001-C2" in page
    with session_scope(world.engine) as session:
        claim = session.get(Claim, credential.claim_id)
        aligned = {a.esco_uri for a in standards.confirmed_skills(claim.competence)}
    counts = service.certified_skill_counts(world.engine)  # certified supply, by ESCO skill
    assert aligned and all(counts[uri] >= 1 for uri in aligned)


def test_monitoring_counts_certifications_per_course_and_issuer(world: Any) -> None:
    course = world.courses.get("provider")
    if course is None:
        from support.accounts import ORGS, publish_course

        course = publish_course(world.engine, vat=ORGS["provider"][3] or "")
    with session_scope(world.engine) as session:
        learned = procedure.create(session, actor=principal(session, world, "citizen"), profile_code="DEMO-LOG-001",
                                   provider_org_id=world.orgs["provider"], person=PERSON).id
        take_to(session, world, learned, "certified", course_id=course)  # two competences learned in the course
        at_work = procedure.create(session, actor=principal(session, world, "provider_editor"),
                                   profile_code="DEMO-LOG-001", provider_org_id=world.orgs["provider"],
                                   person=PERSON_B).id
        take_to(session, world, at_work, "certified")  # learned at work: not the course's
        first = session.scalars(select(Credential).where(Credential.request_id == learned)
                                .order_by(Credential.id)).first()
        region = first.issuer.name
    assert service.certifications_per_course_and_fund(world.engine, course_id=course) == [
        {"course_id": course, "issuer": region, "issuer_type": "region", "certifications": 2, "persons": 1}]
    client = _client(world)
    _page_as(client, world, "region_viewer")
    page = client.get(f"/esiti/corsi/{course}")
    assert page.status_code == 200, page.text
    assert 'data-issuer="' + region + '"' in page.text and '<td class="text-end" data-figure="certifications">2</td>' \
        in page.text
    _page_as(client, world, "fund_editor")  # a Fund sees only what it issued itself
    assert 'id="course-certified-none"' in client.get(f"/esiti/corsi/{course}").text
    with session_scope(world.engine) as session:
        from regia.certification import credentials

        credentials.revoke(session, actor=principal(session, world, "region_admin"), id=first.id, reason="Prova")
    assert service.certifications_per_course_and_fund(world.engine, course_id=course)[0]["certifications"] == 1


def test_the_mismatch_counts_certified_competences_beside_the_seats(world: Any, tmp_path: Path) -> None:
    from regia.analytics import mismatch as mm
    from regia.certification import credentials
    from regia.postings import facts

    with session_scope(world.engine) as session:
        request_id = procedure.create(session, actor=principal(session, world, "citizen"), profile_code="DEMO-LOG-001",
                                      provider_org_id=world.orgs["provider"], person=PERSON).id
        take_to(session, world, request_id, "certified")
        issued = session.scalars(select(Credential).where(Credential.request_id == request_id)
                                 .order_by(Credential.id)).all()
        skills = {c.id: [a.esco_uri for a in standards.confirmed_skills(session.get(Claim, c.claim_id).competence)]
                  for c in issued}
    uri = skills[issued[0].id][0]
    expected = sum(uris.count(uri) for uris in skills.values())
    posting = {"posting_id": 1, "group_id": 1, "nuts3": "ITC4C", "nuts2": "ITC4", "ateco_section": "H",
               "ateco_division": "52", "occupation": None, "synthetic": True, "dedup": "lead", "month": "2026-05"}
    root = tmp_path / "facts"
    facts.write_batch(root, facts.POSTINGS, 1, 1, [posting])
    facts.write_batch(root, facts.SKILLS, 1, 1, [{**posting, "skill_uri": uri, "origin": "regia", "score": 1.0}])
    row = next(r for r in mm.mismatch(world.engine, facts_dir=root).rows if r.skill == uri)
    assert (row.demand, row.supply, row.certified) == (1, 0, expected)  # certified people are not seats
    assert mm.certified_supply(world.engine, {uri: "group"}) == {"group": expected}
    with session_scope(world.engine) as session:
        credentials.revoke(session, actor=principal(session, world, "region_admin"), id=issued[0].id, reason="Prova")
    row = next(r for r in mm.mismatch(world.engine, facts_dir=root).rows if r.skill == uri)
    assert row.certified == expected - 1  # only credentials in force count
