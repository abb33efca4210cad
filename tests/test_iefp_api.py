"""The IeFP API and pages over HTTP on the route table's world: a training plan that breaks rules is refused with
422 naming every field and reason (API: `errors[]` with field/key/message/messaggio; page: the list of issues),
nothing stored; a valid one is stored and signing it starts the placement; the OpenAPI document describes every
IeFP API route of the route table; a matching run over the API answers with the assignment and its explanation."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from regia.auth import sessions
from support.accounts import World
from support.route_tables import iefp as table


@pytest.fixture(scope="module")
def world(databases: object) -> tuple[World, TestClient]:
    return table.http_world(databases.new("sqlite"))  # type: ignore[attr-defined]


def _plan(**change: Any) -> dict[str, Any]:
    return {**table.valid_plan().__dict__, **change}


def _api(world: World, client: TestClient, method: str, path: str, role: str = "provider_editor",
         **kwargs: Any) -> Any:
    client.cookies.clear()
    return client.request(method, f"/api/iefp{path}", headers=world.bearer(role), **kwargs)


def test_a_plan_breaking_rules_is_refused_with_every_field_and_reason(world: tuple[World, TestClient]) -> None:
    w, client = world
    pid = w.extra["iefp_placement"]
    bad = _plan(hours_centre=690, hours_work=300,  # 70 % at the centre in year 2 (at most 60 %)
                competences=[*table.valid_plan().competences, {"code": "TA.S1", "where": "work"}])  # not Q-MECC's
    answer = _api(w, client, "PUT", f"/placements/{pid}/plan", json=bad)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    errors = {e["field"]: e for e in answer.json()["errors"]}
    assert errors["hours_centre"]["key"] == "iefp.plan.centre_share"
    assert errors["competences[7].code"]["key"] == "iefp.plan.competence_unknown"
    assert errors["competences[7].code"]["loc"] == ["body", "competences", "7", "code"]
    for e in errors.values():  # each says why, in English and in Italian, not the bare key
        assert e["message"] and e["messaggio"] and e["message"] != e["key"] and e["messaggio"] != e["message"]
    assert "TA.S1" in errors["competences[7].code"]["message"]
    detail = _api(w, client, "GET", f"/placements/{pid}").json()
    assert detail["plan"] is None and detail["status"] != "active"  # nothing stored

    # the page shows the same rules against the form's fields, and keeps what was typed
    cookie, csrf = w.session_cookie("provider_editor")  # type: ignore[misc]
    client.cookies.clear()
    client.cookies.set(sessions.SESSION_COOKIE, cookie)
    form = {"csrf_token": csrf, "year_of_course": "2", "hours_work": "500", "hours_centre": "490",
            "weekly_hours_work": "44", "tutor_company": "Paolo Redaelli", "tutor_centre": "",
            **{f"where-{c['code']}": c["where"] for c in table.valid_plan().competences}}
    page = client.post(f"/iefp/placements/{pid}/plan", data=form)
    assert page.status_code == 422
    fields = re.findall(r'<li data-field="([^"]+)">', page.text)
    assert {"weekly_hours_work", "tutor_centre"} <= set(fields), fields
    assert 'value="44"' in page.text


def test_a_valid_plan_is_stored_and_signing_it_starts_the_placement(world: tuple[World, TestClient]) -> None:
    w, client = world
    pid = w.extra["iefp_placement"]
    assert _api(w, client, "PUT", f"/placements/{pid}/plan", json=_plan(), role="firm_editor").status_code == 403
    draft = _api(w, client, "PUT", f"/placements/{pid}/plan", json=_plan())
    assert draft.status_code == 200, draft.text
    plan = draft.json()["plan"]
    assert (plan["status"], plan["hours_work"], plan["hours_centre"]) == ("draft", 500, 490)
    stale = _api(w, client, "PUT", f"/placements/{pid}/plan", json=_plan(version=plan["version"] + 5, sign=True))
    assert stale.status_code == 409
    signed = _api(w, client, "PUT", f"/placements/{pid}/plan", json=_plan(version=plan["version"], sign=True))
    assert signed.status_code == 200, signed.text
    assert signed.json()["status"] == "active"


def test_openapi_describes_every_iefp_api_route(world: tuple[World, TestClient]) -> None:
    _, client = world
    doc = client.get("/openapi.json").json()
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops if p.startswith("/api/iefp")}
    expected = {(m, p) for m, p in table.EXPECTED if p.startswith("/api/iefp")}
    assert documented == expected
    plan = doc["paths"]["/api/iefp/placements/{placement_id}/plan"]["put"]
    assert "422" in plan["responses"] and plan["requestBody"]


def test_a_matching_run_over_the_api_explains_its_assignment(world: tuple[World, TestClient]) -> None:
    w, client = world
    assert _api(w, client, "POST", "/matching/runs", role="region_viewer",
                json={"school_year": table.YEAR}).status_code == 403
    run = _api(w, client, "POST", "/matching/runs", role="region_admin", json={"school_year": table.YEAR})
    assert run.status_code in (200, 201), run.text
    detail = _api(w, client, "GET", f"/matching/runs/{run.json()['id']}", role="region_viewer").json()
    text = str(detail)
    assert "Luca" not in text and "Bianchi" not in text  # the Region reads labels
    assignments = _api(w, client, "GET", "/assignments", role="firm_editor",
                       params={"school_year": table.YEAR}).json()
    mine = [a for a in assignments if a["place_id"] == w.extra["iefp_place"]]
    assert mine and "Luca" in str(mine)  # the firm sees its (proposed) student by name
