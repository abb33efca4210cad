"""Routes of the joint programming (regia.programming.api / pages) × every test role.

Rows run on Fondimpresa's agreement (``fund`` in the test world) and its plan: its members read it, its editors
edit their side; the second Fund's editor (``fund_b_editor``) is not told it exists (404, counted as a denial);
analysts (``region_viewer``) read and run scenarios; only Region staff create, sign, plan and apply scenarios."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine

from support import programming_world
from support.programming_world import LINES, SMALL_SCENARIO, TRANCHES

READERS = frozenset({"region_admin", "region_viewer", "fund_viewer", "fund_editor", "fund_b_editor"})
A_READERS = READERS - {"fund_b_editor"}
A_EDITORS = frozenset({"region_admin", "fund_editor"})
REGION = frozenset({"region_admin"})
ANALYSTS = frozenset({"region_admin", "region_viewer"})

API = "/api/programming"
AG = f"{API}/agreements/{{agreement_id}}"
PL = f"{API}/plans/{{plan_id}}"
SC = f"{API}/scenarios/{{scenario_id}}"
PAGE = "/programming"
EXPECTED: dict[tuple[str, str], frozenset[str]] = {
    ("GET", f"{API}/sources"): READERS,
    ("POST", f"{API}/sources"): REGION,
    ("PATCH", f"{API}/sources/{{source_id}}"): REGION,
    ("GET", f"{API}/agreements"): READERS,
    ("POST", f"{API}/agreements"): REGION,
    ("GET", AG): A_READERS,
    ("PATCH", AG): A_EDITORS,
    ("POST", f"{AG}/amendments"): A_EDITORS,  # 409 on a draft: the policy let them through
    ("POST", f"{AG}/status"): REGION,
    ("GET", f"{AG}/documents"): A_READERS,
    ("POST", f"{AG}/documents"): A_EDITORS,
    ("GET", f"{AG}/documents/{{document_id}}"): A_READERS,
    ("POST", f"{AG}/plans"): REGION,
    ("GET", PL): A_READERS,
    ("PUT", PL): A_EDITORS,
    ("GET", f"{PL}/check"): A_READERS,
    ("POST", f"{PL}/spent"): A_EDITORS,
    ("POST", f"{API}/optimise"): ANALYSTS,
    ("GET", f"{API}/scenarios"): ANALYSTS,
    ("POST", f"{API}/scenarios"): REGION,
    ("POST", f"{API}/scenarios/build"): REGION,
    ("GET", f"{API}/scenarios/compare"): ANALYSTS,
    ("GET", SC): ANALYSTS,
    ("GET", f"{SC}/export"): ANALYSTS,
    ("POST", f"{SC}/run"): REGION,
    ("POST", f"{SC}/apply"): REGION,
    ("GET", f"{API}/cabina"): READERS,
    ("GET", f"{API}/cabina.csv"): READERS,
    ("GET", f"{API}/cabina.xlsx"): READERS,
    ("GET", PAGE): READERS,
    ("POST", f"{PAGE}/sources/{{source_id}}"): REGION,
    ("GET", f"{PAGE}/agreements/new"): REGION,
    ("POST", f"{PAGE}/agreements/new"): REGION,
    ("GET", f"{PAGE}/agreements/{{agreement_id}}"): A_READERS,
    ("POST", f"{PAGE}/agreements/{{agreement_id}}"): A_EDITORS,
    ("GET", f"{PAGE}/plans/{{plan_id}}"): A_READERS,
    ("POST", f"{PAGE}/plans/{{plan_id}}"): A_EDITORS,
    ("GET", f"{PAGE}/scenarios"): ANALYSTS,
    ("POST", f"{PAGE}/scenarios"): REGION,
    ("GET", f"{PAGE}/scenarios/{{scenario_id}}"): ANALYSTS,
    ("POST", f"{PAGE}/scenarios/{{scenario_id}}"): REGION,
    ("GET", f"{PAGE}/compare"): ANALYSTS,
    ("GET", f"{PAGE}/cabina"): READERS,
}
# another Fund's agreement and plan are not acknowledged: 404 is a denial there
HIDDEN_404 = {key for key in EXPECTED if "{agreement_id}" in key[1] or "{plan_id}" in key[1]}
VARIANTS: list[tuple[str, str, str, frozenset[str]]] = []


def seed(engine: Engine, world: Any) -> None:
    programming_world.seed(engine, world)


def params(world: Any) -> dict[str, str]:
    e = world.extra
    return {"agreement_id": str(e["agreement_a"]), "plan_id": str(e["plan_a"]),
            "source_id": str(e["source_gol"]), "document_id": str(e["document_a"]), "scenario_id": str(e["scenario"])}


def _plan_form(csrf: str | None) -> dict[str, str]:
    data = {"csrf_token": csrf or "", "op": "save"}
    for n, line in enumerate(LINES):
        for key in ("code", "title", "area", "target", "territory", "channel"):
            data[f"lines-{n}-{key}"] = str(line[key])
        for year in (2026, 2027, 2028):
            data[f"lines-{n}-cost-{year}"] = line["cost"].get(str(year), "")
            data[f"lines-{n}-participants-{year}"] = str(line["participants"].get(str(year), ""))
        if line["indicators"]:
            data[f"lines-{n}-indicator"] = line["indicators"][0]["indicator"]
            data[f"lines-{n}-indicator_target"] = str(line["indicators"][0]["target"])
    for n, t in enumerate(TRANCHES):
        for key in ("line", "source", "year", "planned", "committed"):
            data[f"tranches-{n}-{key}"] = str(t[key])
    return data


def request_kwargs(method: str, path: str, world: Any, role: str, csrf: str | None) -> dict[str, Any] | None:
    if not path.startswith((API, PAGE)):
        return None
    e = world.extra
    if method == "GET":
        if path.endswith("/scenarios/compare") or path.endswith("/compare"):
            return {"params": {"ids": str(e["scenario"])}}
        return {}
    if path.startswith(API):
        if path.endswith("/sources") and method == "POST":
            return {"json": {"code": "nuova", "name": "Nuova fonte", "kind": "regional", "targets": ["occupati"],
                             "envelopes": {"2026": "1000"}}}
        if "/sources/" in path:
            return {"json": {"targets": ["disoccupati", "inattivi", "sospesi"]}}
        if path.endswith("/agreements"):
            return {"json": {"code": "ACC-NUOVO", "title": "Nuovo accordo", "fund_id": world.orgs["fund"],
                             "starts_on": "2026-01-01", "ends_on": "2028-12-31"}}
        commitments = {"region": "Bandi regionali complementari", "fund": "Avvisi aggiornati"}
        if path.endswith("/amendments"):
            return {"json": {"summary": "Impegni", "changes": {"commitments": commitments}}}
        if path.endswith("/status"):
            return {"json": {"target": "signed"}}
        if path.endswith("/documents"):
            return {"files": {"file": ("accordo.pdf", b"%PDF-1.4 firmato", "application/pdf")}}
        if path.endswith("/plans"):
            return {"json": {"title": "Nuovo piano", "first_year": 2027, "last_year": 2028}}
        if path.endswith("/spent"):
            return {"json": {"line": "L1", "source": "fund-a-cf", "year": 2026, "spent": "1000"}}
        if method == "PATCH":
            return {"json": {"changes": {"commitments": commitments}}}
        if method == "PUT":
            return {"json": {"lines": LINES, "tranches": TRANCHES}}
        if path.endswith(("/optimise", "/scenarios")):
            return {"json": SMALL_SCENARIO}
        if path.endswith("/build"):
            return {"json": {"name": "Dai dati", "years": [2026], "plan_ids": [e["plan_a"]]}}
        if path.endswith("/apply"):
            return {"json": {"plan_id": e["plan_a"]}}
        return {}
    data: dict[str, Any] = {"csrf_token": csrf or ""}
    if path.endswith("/agreements/new"):
        data.update({"code": "ACC-PAGINA", "fund_id": str(world.orgs["fund"]), "title": "Accordo dalla pagina",
                     "starts_on": "2026-01-01", "ends_on": "2028-12-31"})
    elif "/sources/" in path:
        data.update({"targets": ["disoccupati", "inattivi"], "envelope-2026": "250000"})
    elif "/agreements/" in path:
        data.update({"op": "save", "title": "Accordo Fondimpresa", "starts_on": "2026-01-01",
                     "ends_on": "2028-12-31", "commitment_region": "Bandi regionali complementari",
                     "commitment_fund": "Avvisi aggiornati dalla pagina"})
    elif "/plans/" in path:
        data = _plan_form(csrf)
    elif path.endswith("/scenarios"):
        data.update({"op": "import", "document": json.dumps(SMALL_SCENARIO)})
    else:
        data.update({"op": "run"})
    return {"data": data}
