"""Proposals under a call: drafts, validation, submission before/after the deadline, frozen versions,
reopening, letters of commitment; through the service (SQLite and PostgreSQL) and through the API."""

from __future__ import annotations

import hashlib
import html
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from regia.auth.audit import verify
from regia.auth.errors import Conflict, Forbidden, InvalidInput
from regia.auth.models import AuditEntry
from regia.auth.principal import cli_principal
from regia.db import session_scope
from regia.pacts import calls, documents, service
from regia.pacts.models import DRAFT, SUBMITTED, Proposal, ProposalVersion
from regia.web.app import create_app
from support.accounts import ORGS, PARTNERS, PDF, World, WorldTemplates, complete_manifestation

SYSTEM = cli_principal("test")
LEAD = ("Patto A", ORGS["partnership_a"][2] or "", "partnership")


@pytest.fixture(scope="module")
def worlds(databases: Any) -> WorldTemplates:
    return WorldTemplates(databases)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, worlds: WorldTemplates) -> Iterator[World]:
    world = worlds.new(request.param)
    yield world
    worlds.drop(world)


def _principal(world: World, role: str) -> Any:
    from regia.auth.principal import principal_for
    from regia.auth.service import get_user

    with session_scope(world.engine) as session:
        return principal_for(get_user(session, principal=SYSTEM, id=world.users[role]), via="token")


def _new_draft(world: World, editor: Any) -> int:
    with session_scope(world.engine) as session:
        return service.create(session, actor=editor, title="Patto per la meccatronica",
                              call_id=world.calls["open"]).id


def _deadline(world: World) -> datetime:
    with session_scope(world.engine) as session:
        return calls.aware(calls.get(session, id=world.calls["open"]).manifestation_deadline)


def test_a_draft_lists_what_is_missing_then_submits_and_freezes(world: World) -> None:
    editor = _principal(world, "partnership_editor")
    pid = _new_draft(world, editor)
    with session_scope(world.engine) as session:
        issues = service.validate(session, principal=editor, id=pid)
        keys = {i.key for i in issues}
        assert {"pacts.issue.partner_name", "pacts.issue.letter_missing", "pacts.issue.min_partners",
                "pacts.issue.territory_missing", "pacts.issue.actions_missing", "pacts.issue.impacts_missing",
                "pacts.issue.requested_missing", "pacts.issue.needs_missing"} <= keys
        with pytest.raises(service.IncompleteManifestation) as refused:
            service.submit(session, actor=editor, id=pid)
        assert {i.key for i in refused.value.issues} == keys
    with session_scope(world.engine) as session:
        assert session.get(Proposal, pid).status == DRAFT
        body = complete_manifestation(session, proposal_id=pid, lead=LEAD, actor=editor)
        assert service.validate(session, principal=editor, id=pid) == []

    def provider(territories: Any, sectors: Any) -> dict[str, Any]:
        return {"sources": ["test"], "blocks": [{"territory": t, "sector": s, "postings": 7} for t in territories
                                                for s in sectors]}

    with session_scope(world.engine) as session:
        proposal = service.submit(session, actor=editor, id=pid, evidence_provider=provider)
        assert proposal.status == SUBMITTED
        version = proposal.versions[0]
        assert version.number == 1 and version.body == body
        assert version.evidence["blocks"] == [{"territory": "ITC46", "sector": "C", "postings": 7}]
        assert version.evidence["taken_at"] and version.evidence["sources"] == ["test"]
        assert proposal.evidence == version.evidence
        assert proposal.requested == {"regional": "100000.00"}
        assert len(version.content_hash) == 64
    with session_scope(world.engine) as session:
        with pytest.raises(Conflict):  # frozen: no more edits
            service.update(session, actor=editor, id=pid, title="x", body={}, version=proposal.version)
        with pytest.raises(Conflict):  # documents neither
            documents.upload(session, actor=editor, proposal_id=pid, filename="a.pdf", data=PDF)
        actions = [e.action for e in session.scalars(select(AuditEntry).where(
            AuditEntry.resource_type.in_(("pact_proposal", "pact_proposal_version", "pact_document"))))]
        assert "freeze_version" in actions and "submit" in actions and actions.count("upload") >= 4
        assert verify(session).ok


def test_submission_after_the_deadline_is_refused(world: World) -> None:
    editor = _principal(world, "partnership_editor")
    pid = _new_draft(world, editor)
    deadline = _deadline(world)
    with session_scope(world.engine) as session:
        complete_manifestation(session, proposal_id=pid, lead=LEAD, actor=editor)
    with session_scope(world.engine) as session:
        with pytest.raises(Conflict, match="deadline") as refused:
            service.submit(session, actor=editor, id=pid, now=deadline + timedelta(seconds=1))
        assert refused.value.field == "deadline"
    with session_scope(world.engine) as session:
        assert session.get(Proposal, pid).status == DRAFT
        assert session.scalars(select(ProposalVersion).where(ProposalVersion.proposal_id == pid)).all() == []
        service.submit(session, actor=editor, id=pid, now=deadline)  # the deadline itself is still in time
        assert session.get(Proposal, pid).status == SUBMITTED


def test_reopen_before_the_deadline_keeps_the_frozen_version_and_adds_the_next(world: World) -> None:
    editor = _principal(world, "partnership_editor")
    pid = _new_draft(world, editor)
    deadline = _deadline(world)
    with session_scope(world.engine) as session:
        complete_manifestation(session, proposal_id=pid, lead=LEAD, actor=editor)
        first = service.submit(session, actor=editor, id=pid).versions[0]
        first_body, first_hash = dict(first.body), first.content_hash
    with session_scope(world.engine) as session:
        with pytest.raises(Conflict, match="deadline"):
            service.reopen(session, actor=editor, id=pid, now=deadline + timedelta(minutes=1))
        proposal = service.reopen(session, actor=editor, id=pid)
        assert proposal.status == DRAFT
    with session_scope(world.engine) as session:
        proposal = session.get(Proposal, pid)
        service.update(session, actor=editor, id=pid, title="Patto per la meccatronica (rivisto)",
                       body={**proposal.body, "needs": "Esigenze riscritte dopo il confronto."},
                       version=proposal.version)
        proposal = service.submit(session, actor=editor, id=pid)
        assert [v.number for v in proposal.versions] == [1, 2]
        assert proposal.versions[0].body == first_body and proposal.versions[0].content_hash == first_hash
        assert proposal.versions[1].body["needs"] == "Esigenze riscritte dopo il confronto."
        assert proposal.versions[1].content_hash != first_hash
        assert service.get_version(session, principal=editor, id=pid, number=1).title == "Patto per la meccatronica"


def test_drafts_only_under_open_calls_and_only_by_the_partnership(world: World) -> None:
    editor = _principal(world, "partnership_editor")
    deadline = _deadline(world)
    with session_scope(world.engine) as session:
        with pytest.raises(Conflict, match="not open"):
            service.create(session, actor=editor, title="Tardiva", call_id=world.calls["open"],
                           now=deadline + timedelta(days=1))
        with pytest.raises(InvalidInput):
            service.create(session, actor=editor, title="Senza avviso", call_id=999_999)
        with pytest.raises(Forbidden):
            service.create(session, actor=editor, title="Per altri", organisation_id=world.orgs["partnership_b"],
                           call_id=world.calls["open"])
    other = _principal(world, "other_partnership_editor")
    pid = _new_draft(world, editor)
    with session_scope(world.engine) as session:
        with pytest.raises(Forbidden):
            service.validate(session, principal=other, id=pid)
        with pytest.raises(Forbidden):
            documents.upload(session, actor=other, proposal_id=pid, filename="x.pdf", data=PDF)
        with pytest.raises(Forbidden):  # the Region reads drafts but does not submit them for the partnership
            service.submit(session, actor=_principal(world, "region_admin"), id=pid)


def test_stale_edits_are_refused(world: World) -> None:
    editor = _principal(world, "partnership_editor")
    pid = _new_draft(world, editor)
    with session_scope(world.engine) as session:
        service.update(session, actor=editor, id=pid, title="Prima", body={"needs": "a"}, version=1)
    with session_scope(world.engine) as session:
        with pytest.raises(Conflict) as stale:
            service.update(session, actor=editor, id=pid, title="Seconda", body={"needs": "b"}, version=1)
        assert stale.value.field == "version"
        assert session.get(Proposal, pid).body == {"needs": "a"}


@pytest.mark.parametrize(("data", "accepted"), [
    (PDF, "application/pdf"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 20, "image/png"),
    (b"\xff\xd8\xff\xe0" + b"\0" * 20, "image/jpeg"),
    (b"MZ\x90\x00 not a letter", None),
    (b"<html><script>alert(1)</script>", None),
    (b"", None),
    (b"%PDF-" + b"x" * documents.MAX_BYTES, None),  # over 5 MB
])
def test_documents_are_checked_by_content(world: World, data: bytes, accepted: str | None) -> None:
    editor = _principal(world, "partnership_editor")
    pid = world.proposals["draft_a"]
    with session_scope(world.engine) as session:
        if accepted is None:
            with pytest.raises(InvalidInput) as refused:
                documents.upload(session, actor=editor, proposal_id=pid, filename="lettera.pdf", data=data)
            assert refused.value.field == "file"
            return
        doc = documents.upload(session, actor=editor, proposal_id=pid, filename="../../etc/pass wd<x>.exe",
                               data=data, partner_tax_code="09100000018")
        assert doc.content_type == accepted
        assert "/" not in doc.filename and "<" not in doc.filename and not doc.filename.endswith(".exe")
        assert doc.sha256 == hashlib.sha256(data).hexdigest() and doc.size == len(data)
    with session_scope(world.engine) as session:
        listed = documents.list_documents(session, principal=_principal(world, "region_admin"), proposal_id=pid)
        assert [d.id for d in listed] == [doc.id]
        with pytest.raises(Forbidden):  # an evaluator does not read a draft, nor its files
            documents.get(session, principal=_principal(world, "evaluator"), proposal_id=pid, id=doc.id)


def test_api_flow(world: World) -> None:
    app = create_app(engine=world.engine)
    app.state.auth_settings = world.settings
    app.state.pact_evidence = lambda territories, sectors: {"sources": ["api-test"], "blocks": []}
    client = TestClient(app)
    editor = world.bearer("partnership_editor")
    created = client.post("/api/pacts/proposals", headers=editor,
                          json={"title": "Via API", "call_id": world.calls["open"]})
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    check = client.get(f"/api/pacts/proposals/{pid}/validation", headers=editor).json()
    assert check["ready"] is False and any(i["key"] == "pacts.issue.min_partners" for i in check["issues"])
    assert all(i["messaggio"] and i["message"] for i in check["issues"])
    refused = client.post(f"/api/pacts/proposals/{pid}/submit", headers=editor)
    assert refused.status_code == 422 and refused.headers["content-type"].startswith("application/problem+json")
    assert len(refused.json()["errors"]) == len(check["issues"])

    letters = {}
    for _, code, _ in (LEAD, *PARTNERS):
        up = client.post(f"/api/pacts/proposals/{pid}/documents", headers=editor,
                         files={"file": (f"{code}.pdf", PDF, "application/pdf")}, data={"partner_tax_code": code})
        assert up.status_code == 201, up.text
        letters[code] = up.json()["id"]
    from regia.pacts.manifestation import sample

    body = sample(lead=LEAD, partners=PARTNERS, letters=letters, nuts3="ITC47")
    put = client.put(f"/api/pacts/proposals/{pid}", headers=editor,
                     json={"title": "Via API", "body": body, "version": created.json()["version"]})
    assert put.status_code == 200, put.text
    assert client.get(f"/api/pacts/proposals/{pid}/validation", headers=editor).json() == {"ready": True,
                                                                                           "issues": []}
    submitted = client.post(f"/api/pacts/proposals/{pid}/submit", headers=editor)
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    again = client.post(f"/api/pacts/proposals/{pid}/submit", headers=editor)
    assert again.status_code == 409

    evaluator = world.bearer("evaluator")
    assert [v["number"] for v in client.get(f"/api/pacts/proposals/{pid}/versions", headers=evaluator).json()] == [1]
    frozen = client.get(f"/api/pacts/proposals/{pid}/versions/1", headers=evaluator).json()
    assert frozen["evidence"]["sources"] == ["api-test"] and frozen["body"]["territory"]["nuts3"] == ["ITC47"]
    download = client.get(f"/api/pacts/proposals/{pid}/documents/{letters[LEAD[1]]}", headers=evaluator)
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    other = client.get(f"/api/pacts/proposals/{pid}/documents/{letters[LEAD[1]]}",
                       headers=world.bearer("citizen"))
    assert other.status_code == 403


def test_the_page_refuses_a_submission_after_the_deadline(world: World) -> None:
    from regia.auth import sessions
    from support.accounts import call_values

    editor = _principal(world, "partnership_editor")
    pid = _new_draft(world, editor)
    with session_scope(world.engine) as session:
        complete_manifestation(session, proposal_id=pid, lead=LEAD, actor=editor)
        call = calls.get(session, id=world.calls["open"])
        past = datetime.now(call.opens_at.tzinfo) - timedelta(days=40)  # the Region moved the calendar back
        calls.update(session, actor=SYSTEM, id=call.id, version=call.version, **call_values(now=past))
    app = create_app(engine=world.engine)
    app.state.auth_settings = world.settings
    client = TestClient(app, follow_redirects=False)
    cookie, csrf = world.session_cookie("partnership_editor") or ("", "")
    client.cookies.set(sessions.SESSION_COOKIE, cookie)
    refused = client.post(f"/pacts/proposals/{pid}/submit", data={"csrf_token": csrf})
    assert refused.status_code == 409
    assert "La scadenza dell'avviso è passata" in html.unescape(refused.text)
    api = TestClient(app).post(f"/api/pacts/proposals/{pid}/submit", headers=world.bearer("partnership_editor"))
    assert api.status_code == 409 and "deadline" in api.json()["detail"]
    with session_scope(world.engine) as session:
        assert session.get(Proposal, pid).status == DRAFT and session.get(Proposal, pid).versions == []
