"""The evaluation API end to end with bearer tokens: admissibility, assignment, declaration, score sheets
(409 on a stale version), consensus merge, closing, ranking preview and publication, the letter PDF."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from regia.auth import service as accounts
from regia.auth import sessions
from regia.auth.models import User
from regia.db import make_engine, migrate, session_scope
from regia.web.app import create_app
from support.accounts import make_settings
from test_pacts_evaluation import Panel, admitted, build_panel, make_call, open_sheet, submitted_proposal


def _tokens(panel: Panel) -> dict[str, dict[str, str]]:
    out = {}
    with session_scope(panel.engine) as session:
        for key, principal in (("staff", panel.staff), ("owner", panel.owner), ("e0", panel.evaluators[0]),
                               ("e1", panel.evaluators[1]), ("e2", panel.evaluators[2])):
            user = session.get(User, principal.user_id)
            assert user is not None
            _, raw = accounts.issue_token(session, user=user, name="t", days=1)
            out[key] = {"Authorization": f"Bearer {raw}"}
    return out


def test_evaluation_api_flow(empty_engine: Engine) -> None:
    pypdf = pytest.importorskip("pypdf")
    panel = build_panel(empty_engine)
    with session_scope(empty_engine) as session:
        call = make_call(session, budget={"regional": "150000"})
        first = submitted_proposal(session, call=call, organisation_id=panel.partnerships[0], title="Primo patto",
                                   requested={"regional": "100000"})
        second = submitted_proposal(session, call=call, organisation_id=panel.partnerships[1],
                                    title="Secondo patto", requested={"regional": "80000"})
        call_id, p1, p2 = call.id, first.id, second.id
    h = _tokens(panel)
    app = create_app(engine=empty_engine)
    app.state.auth_settings = make_settings()
    api = TestClient(app)

    checks = api.get(f"/api/pacts/proposals/{p1}/admissibility", headers=h["staff"])
    assert checks.status_code == 200 and checks.json()["all_passed"] is True
    assert api.get(f"/api/pacts/proposals/{p1}/admissibility", headers=h["e0"]).status_code == 403
    for pid in (p1, p2):
        r = api.post(f"/api/pacts/proposals/{pid}/admissibility", json={"admissible": True}, headers=h["staff"])
        assert r.status_code == 200 and r.json()["status"] == "admissible"
    again = api.post(f"/api/pacts/proposals/{p1}/admissibility", json={"admissible": True}, headers=h["staff"])
    assert again.status_code == 409 and again.headers["content-type"].startswith("application/problem+json")

    sheets: dict[tuple[int, str], int] = {}
    for pid in (p1, p2):
        for who in ("e0", "e1"):
            evaluator_id = panel.evaluators[int(who[1])].user_id
            r = api.post(f"/api/pacts/proposals/{pid}/assignments", json={"evaluator_id": evaluator_id},
                         headers=h["staff"])
            assert r.status_code == 201, r.text
            sheets[(pid, who)] = r.json()["id"]
    assert api.post(f"/api/pacts/proposals/{p1}/assignments", json={"evaluator_id": panel.evaluators[0].user_id},
                    headers=h["staff"]).status_code == 409
    mine = api.get("/api/pacts/assignments", headers=h["e0"]).json()
    assert {a["id"] for a in mine} == {sheets[(p1, "e0")], sheets[(p2, "e0")]}
    assert api.get("/api/pacts/assignments", headers=h["e2"]).json() == []
    aid = sheets[(p1, "e0")]
    assert api.post(f"/api/pacts/assignments/{aid}/declaration", json={"conflict": False},
                    headers=h["e1"]).status_code == 403
    assert api.get(f"/api/pacts/assignments/{aid}/sheet", headers=h["e1"]).status_code == 403

    values = {(p1, "e0"): (9, 8, 8), (p1, "e1"): (8, 8, 7), (p2, "e0"): (7, 6, 6), (p2, "e1"): (7, 7, 6)}
    for (pid, who), aid in sheets.items():
        r = api.post(f"/api/pacts/assignments/{aid}/declaration", json={"conflict": False}, headers=h[who])
        assert r.status_code == 200 and r.json()["conflict"] is False
        sheet = api.get(f"/api/pacts/assignments/{aid}/sheet", headers=h[who]).json()
        scores = {c: {"score": v, "comment": ""} for c, v in zip(("C1", "C2", "C3"), values[(pid, who)],
                                                                   strict=True)}
        saved = api.put(f"/api/pacts/assignments/{aid}/sheet", json={"version": sheet["version"], "scores": scores},
                        headers=h[who])
        assert saved.status_code == 200 and saved.json()["version"] == sheet["version"] + 1
        stale = api.put(f"/api/pacts/assignments/{aid}/sheet", json={"version": sheet["version"], "scores": {}},
                        headers=h[who])
        assert stale.status_code == 409 and "changed since you read it" in stale.json()["detail"]
        bad = api.put(f"/api/pacts/assignments/{aid}/sheet",
                      json={"version": saved.json()["version"], "scores": {"C2": {"score": 1}}}, headers=h[who])
        # under the threshold without a comment
        assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["body", "scores.C2"]
        r = api.post(f"/api/pacts/assignments/{aid}/sheet/submit", json={"version": saved.json()["version"]},
                     headers=h[who])
        assert r.status_code == 200 and r.json()["submitted_at"]

    consensus = api.get(f"/api/pacts/proposals/{p1}/consensus", headers=h["e0"]).json()
    v = consensus["version"]
    assert api.put(f"/api/pacts/proposals/{p1}/consensus", json={"version": v, "changes": {"C1": {"score": 9}}},
                   headers=h["e0"]).status_code == 200
    merged = api.put(f"/api/pacts/proposals/{p1}/consensus", json={"version": v, "changes": {"C2": {"score": 8}}},
                     headers=h["e1"])
    assert merged.status_code == 200 and set(merged.json()["scores"]) == {"C1", "C2"}
    clash = api.put(f"/api/pacts/proposals/{p1}/consensus", json={"version": v, "changes": {"C1": {"score": 6}}},
                    headers=h["e1"])
    assert clash.status_code == 409 and "C1" in clash.json()["detail"]
    assert api.put(f"/api/pacts/proposals/{p1}/consensus", json={"version": v, "changes": {"C1": {"score": 6}}},
                   headers=h["e2"]).status_code == 403

    for pid in (p1, p2):
        r = api.post(f"/api/pacts/proposals/{pid}/evaluation/close", headers=h["staff"])
        assert r.status_code == 200 and r.json()["status"] == "evaluated", r.text
    preview = api.get(f"/api/pacts/calls/{call_id}/ranking", headers=h["staff"]).json()
    assert not preview["published"] and [row["proposal_id"] for row in preview["rows"]] == [p1, p2]
    assert api.post(f"/api/pacts/calls/{call_id}/ranking/publish", headers=h["e0"]).status_code == 403
    published = api.post(f"/api/pacts/calls/{call_id}/ranking/publish", headers=h["staff"])
    assert published.status_code == 200
    body = published.json()
    assert [(r["proposal_id"], r["status"]) for r in body["rows"]] == [(p1, "selected"), (p2, "not_funded")]
    assert body["remaining"] == {"regional": "50000"}
    assert api.post(f"/api/pacts/calls/{call_id}/ranking/publish", headers=h["staff"]).status_code == 409

    letter = api.get(f"/api/pacts/proposals/{p1}/letter.pdf", headers=h["owner"])
    assert letter.status_code == 200 and letter.headers["content-type"] == "application/pdf"
    text = pypdf.PdfReader(io.BytesIO(letter.content)).pages[0].extract_text()
    assert "SELEZIONATA" in text and "100.000,00" in text
    assert api.get(f"/api/pacts/proposals/{p2}/letter.pdf", headers=h["owner"]).status_code == 403
    assert api.get(f"/api/pacts/proposals/{p2}/letter.pdf", headers=h["staff"]).status_code == 200


def test_consensus_page_merges_only_what_each_evaluator_changed(tmp_path: Path) -> None:
    """Two evaluators render the consensus page at the same version; each posts the whole form with only one
    criterion changed: both changes survive (the page sends the base values, the service merges). A third
    post that changes a criterion changed meanwhile gets 409 and the conflict message."""
    engine = make_engine(f"sqlite:///{tmp_path / 'pages.db'}")
    migrate(engine)
    panel = build_panel(engine)
    with session_scope(engine) as session:
        call = make_call(session, aggregation="consensus")
        proposal = submitted_proposal(session, call=call, organisation_id=panel.partnerships[0])
        admitted(session, proposal)
        for who in (0, 1):
            open_sheet(session, panel, proposal.id, who)
        pid = proposal.id
    settings = make_settings()
    app = create_app(engine=engine)
    app.state.auth_settings = settings

    def browser_of(who: int) -> tuple[TestClient, str]:
        client = TestClient(app, follow_redirects=False)
        value, data = sessions.make_session(panel.evaluators[who].user_id or 0, 0, settings)
        client.cookies.set(sessions.SESSION_COOKIE, value)
        return client, data.csrf

    def form_of(html: str) -> dict[str, str]:
        fields = dict(re.findall(r'name="((?:base|basecomment)-C\d|version)" value="([^"]*)"', html))
        for code in ("C1", "C2", "C3"):
            fields[f"score-{code}"] = fields[f"base-{code}"]
            fields[f"comment-{code}"] = fields[f"basecomment-{code}"]
        return fields

    (a, csrf_a), (b, csrf_b) = browser_of(0), browser_of(1)
    url = f"/pacts/evaluation/proposals/{pid}/consensus"
    page_a, page_b = form_of(a.get(url).text), form_of(b.get(url).text)
    assert page_a["version"] == page_b["version"]
    assert a.post(url, data={**page_a, "score-C1": "7", "csrf_token": csrf_a}).status_code == 303
    assert b.post(url, data={**page_b, "score-C2": "6", "csrf_token": csrf_b}).status_code == 303
    clash = b.post(url, data={**page_b, "score-C1": "3", "comment-C1": "debole", "csrf_token": csrf_b})
    assert clash.status_code == 409 and 'id="consensus-conflict"' in clash.text
    now = form_of(a.get(url).text)
    assert (now["base-C1"], now["base-C2"]) == ("7", "6")
