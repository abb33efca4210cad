"""The IeFP API and pages over HTTP on the route table's world: a training plan that breaks rules is refused with
422 naming every field and reason (API: `errors[]` with field/key/message/messaggio; page: the list of issues),
nothing stored; a valid one is stored and signing it starts the placement; the OpenAPI document describes every
IeFP API route of the route table; a matching run over the API answers with the assignment and its explanation;
hirings are read from the CO records (the outcomes work's lookup, by pseudonym) when the server holds them."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from regia.auth import sessions
from regia.db import session_scope
from regia.iefp.models import Placement
from regia.iefp.seams import Hire
from regia.monitoring import service as monitoring_service
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
    problem = stale.json()  # a refusal keeps its key and says why in both languages
    assert problem["key"].startswith("iefp.err.") and problem["messaggio"] not in ("", problem["key"])
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


def test_hirings_are_read_from_the_co_records_when_the_server_holds_them(world: tuple[World, TestClient]) -> None:
    w, client = world
    pid = w.extra["iefp_placement"]
    app = client.app
    bound = app.state.iefp_hiring  # type: ignore[attr-defined]
    assert bound.func is monitoring_service.first_hires  # the app reads the CO records monitoring holds
    app.state.iefp_hiring = None  # type: ignore[attr-defined]  # a server without them
    refused = _api(w, client, "POST", "/placements/hiring", role="region_admin")
    assert (refused.status_code, refused.json()["key"]) == (409, "iefp.err.no_co_records")
    with session_scope(w.engine) as s:
        placement = s.get_one(Placement, pid)
        pseudonym, start = placement.student.pseudonym, placement.start_date
    records = {pseudonym: Hire(start_date=date(2027, 9, 15), contract="apprendistato")}
    asked: list[tuple[list[str], date]] = []

    def co_records(pseudonyms: Sequence[str], *, after: date) -> Mapping[str, Hire]:
        asked.append((list(pseudonyms), after))
        return {p: records[p] for p in pseudonyms if p in records}

    app.state.iefp_hiring = co_records  # type: ignore[attr-defined]
    try:
        assert _api(w, client, "POST", "/placements/hiring", role="region_admin").json() == {"updated": 0}
        assert asked == []  # no placement has finished yet: nobody is asked about
        signed = _api(w, client, "GET", f"/placements/{pid}").json()
        if signed["status"] != "active":
            plan = _api(w, client, "PUT", f"/placements/{pid}/plan", json=_plan(sign=True))
            assert plan.status_code == 200, plan.text
        done = _api(w, client, "PUT", f"/placements/{pid}/outcome",
                    json={"outcome": "qualified", "outcome_at": "2027-07-01", "hired_after": False})
        assert done.status_code == 200, done.text
        assert _api(w, client, "POST", "/placements/hiring", role="region_viewer").status_code == 403
        assert _api(w, client, "POST", "/placements/hiring", role="region_admin").json() == {"updated": 1}
        assert asked == [([pseudonym], start)]  # by pseudonym, never by codice fiscale or name
        out = _api(w, client, "GET", f"/placements/{pid}").json()
        assert (out["hired_after"], out["hired_on"], out["hired_source"]) == (True, "2027-09-15", "co")
        # the Region's page offers the same, once there are records
        cookie, csrf = w.session_cookie("region_admin")  # type: ignore[misc]
        client.cookies.clear()
        client.cookies.set(sessions.SESSION_COOKIE, cookie)
        assert 'id="refresh-hiring"' in client.get("/iefp/region", params={"year": table.YEAR}).text
        page = client.post("/iefp/region/hiring", data={"csrf_token": csrf, "school_year": table.YEAR})
        assert page.status_code == 303 and "done=hiring" in page.headers["location"]
        app.state.iefp_hiring = None  # type: ignore[attr-defined]
        client.cookies.clear()
        assert 'id="refresh-hiring"' not in client.get("/iefp/region", params={"year": table.YEAR},
                                                        headers=w.bearer("region_admin")).text
    finally:
        app.state.iefp_hiring = bound  # type: ignore[attr-defined]
