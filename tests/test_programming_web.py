"""The programming API and pages on the real app: the optimiser's JSON contract, problem details with key and
Italian messaggio (a plan's issues with line and year), pages in Italian and in English, the exports."""

from __future__ import annotations

import copy
import io
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from regia.auth import sessions
from regia.programming.schemas import SCENARIO_EXAMPLE
from regia.web.app import create_app
from support.accounts import World
from support.programming_world import LINES, SMALL_SCENARIO, TRANCHES, SeededWorlds


@pytest.fixture(scope="module")
def world(databases: Any) -> World:
    return SeededWorlds(databases).new("sqlite")


@pytest.fixture
def client(world: World) -> TestClient:
    app = create_app(engine=world.engine)
    app.state.auth_settings = world.settings
    app.state.programming_needs = lambda provinces: {("ITC46", "digital"): 100, ("ITC4C", "green"): 50}
    return TestClient(app)


def page(client: TestClient, world: World, role: str) -> tuple[TestClient, str]:
    cookie = world.session_cookie(role)
    assert cookie is not None
    client.cookies.set(sessions.SESSION_COOKIE, cookie[0])
    return client, cookie[1]


def test_optimise_api_contract(client: TestClient, world: World) -> None:
    answer = client.post("/api/programming/optimise?status_quo=true", json=SCENARIO_EXAMPLE,
                         headers=world.bearer("region_viewer"))
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "optimal" and body["objective"] > 0
    assert set(body["allocations"][0]) == {"cell", "source", "year", "participants", "euros"}
    assert set(body["duals"]) == {"fse", "fondo-x"} and body["status_quo"]["method"] == "status_quo"
    bad = copy.deepcopy(SCENARIO_EXAMPLE)
    bad["cells"][0]["cost"] = -1
    problem = client.post("/api/programming/optimise", json=bad, headers=world.bearer("region_viewer")).json()
    assert problem["problems"] == [{"path": "cells[0].cost", "message": "must be more than 0"}]
    assert problem["messaggio"].startswith("Scenario non valido")


def test_plan_rule_broken_is_a_problem_with_line_and_year(client: TestClient, world: World) -> None:
    tranches = [*TRANCHES, {"line": "L2", "source": "fund-a-cf", "year": 2026, "planned": "100"}]
    answer = client.put(f"/api/programming/plans/{world.extra['plan_a']}", json={"lines": LINES,
                                                                                  "tranches": tranches},
                        headers=world.bearer("region_admin"))
    assert answer.status_code == 422
    body = answer.json()
    assert body["key"] == "programming.err.rules"
    kinds = {(i["key"], i["line"], i["year"]) for i in body["issues"]}
    assert ("programming.rule.target", "L2", 2026) in kinds
    assert any("Linea L2, 2026" in i["messaggio"] for i in body["issues"])


def test_pages_in_italian_and_english(client: TestClient, world: World) -> None:
    c, _ = page(client, world, "region_admin")
    it = c.get("/programming")
    assert it.status_code == 200 and "Accordi bilaterali" in it.text and "ACC-FONDIMPRESA" in it.text
    en = c.get("/programming?lang=en")
    assert "Bilateral agreements" in en.text
    plan = c.get(f"/programming/plans/{world.extra['plan_a']}?lang=it")  # the English choice was remembered
    assert "Linee di azione" in plan.text and "80.000,00" not in plan.text  # inputs hold plain amounts
    cab = c.get("/programming/cabina")
    assert "Cabina di regia della programmazione" in cab.text and "/pacts/cabina" in cab.text
    assert "/mismatch" in cab.text and "Programmato 300.000,00 €" in cab.text  # every planned tranche
    cab_en = c.get("/programming/cabina?lang=en")
    assert "Planned €300,000.00" in cab_en.text


def test_plan_page_shows_the_issue_next_to_its_line(client: TestClient, world: World) -> None:
    c, csrf = page(client, world, "region_admin")
    from support.route_tables.programming import _plan_form

    data = _plan_form(csrf)
    data["tranches-1-planned"] = "30000.01"  # L1 2026 now over its 80,000 € cost
    answer = c.post(f"/programming/plans/{world.extra['plan_a']}", data=data, follow_redirects=False)
    assert answer.status_code == 422, answer.headers.get("location")
    assert 'id="issues-L1"' in answer.text
    cell = answer.text.split('id="issues-L1"')[1].split("</td>")[0]
    assert "Linea L1, 2026" in cell and "doppio finanziamento" in cell
    assert "Linea" not in answer.text.split('id="issues-L2"')[1].split("</td>")[0]


def test_fund_b_sees_its_own_and_aggregates(client: TestClient, world: World) -> None:
    c, _ = page(client, world, "fund_b_editor")
    index = c.get("/programming").text
    assert "ACC-FONDO-B" in index and "ACC-FONDIMPRESA" not in index
    assert c.get(f"/programming/agreements/{world.extra['agreement_a']}").status_code == 404
    cab = c.get("/programming/cabina").text
    assert "Altri accordi (in aggregato)" in cab and "ACC-FONDIMPRESA" not in cab
    csv_text = client.get("/api/programming/cabina.csv", headers=world.bearer("fund_b_editor")).text
    assert "ACC-FONDO-B" in csv_text and "ACC-FONDIMPRESA" not in csv_text
    xlsx = client.get("/api/programming/cabina.xlsx", headers=world.bearer("region_viewer"))
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("agreement", "fund", "status") and len(rows) == 1 + 5


def test_scenarios_import_export_compare(client: TestClient, world: World) -> None:
    c, csrf = page(client, world, "region_admin")
    bad = c.post("/programming/scenarios", data={"csrf_token": csrf, "op": "import",
                                                 "document": json.dumps({**SMALL_SCENARIO, "years": []})})
    assert bad.status_code == 422 and "<code>years</code>" in bad.text
    made = c.post("/programming/scenarios", data={"csrf_token": csrf, "op": "import",
                                                  "document": json.dumps(SMALL_SCENARIO)}, follow_redirects=False)
    assert made.status_code == 303
    sid = int(made.headers["location"].rsplit("/", 1)[1])
    shown = c.get(f"/programming/scenarios/{sid}").text
    assert "v2" in shown and "Prezzi ombra" in shown  # the seeded one is version 1
    exported = client.get(f"/api/programming/scenarios/{sid}/export", headers=world.bearer("region_viewer"))
    assert exported.json()["cells"][0]["province"] == "ITC46"
    cmp = c.get(f"/programming/compare?ids={world.extra['scenario']},{sid}")
    assert cmp.status_code == 200 and 'id="chart-target"' in cmp.text and "status quo" in cmp.text
    spec = json.loads(cmp.text.split('<script type="application/json" id="charts">')[1].split("</script>")[0])
    assert spec["target"]["mark"] == "bar" and spec["target"]["data"]["values"]
    built = c.post("/programming/scenarios", data={"csrf_token": csrf, "op": "build", "name": "Dai dati",
                                                   "years": ["2026"], "plan_ids": [str(world.extra["plan_a"])]},
                   follow_redirects=False)
    assert built.status_code == 303


def test_the_region_edits_an_eligibility_rule(client: TestClient, world: World) -> None:
    c, csrf = page(client, world, "region_admin")
    sid = world.extra["source_fse-p1"]
    done = c.post(f"/programming/sources/{sid}", data={"csrf_token": csrf, "targets": ["disoccupati"],
                                                       "envelope-2026": "350000"}, follow_redirects=False)
    assert done.status_code == 303
    source = next(s for s in client.get("/api/programming/sources", headers=world.bearer("region_viewer")).json()
                  if s["id"] == sid)
    assert source["targets"] == ["disoccupati"] and source["envelopes"]["2026"] == "350000.00"
    check = client.get(f"/api/programming/plans/{world.extra['plan_a']}/check", headers=world.bearer("region_admin"))
    assert check.json()["ok"]  # L2 funds the unemployed: still eligible
    f, fcsrf = page(TestClient(client.app), world, "fund_editor")
    refused = f.post(f"/programming/sources/{sid}", data={"csrf_token": fcsrf, "targets": ["occupati"]})
    assert refused.status_code == 403
