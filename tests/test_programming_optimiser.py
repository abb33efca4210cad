"""The allocation optimiser on scenarios whose optimum is worked out by hand, its duals, its options (whole
participants, minimum lots, carry-over), infeasible scenarios, and properties on random scenarios checked against
an independent LP written straight from the issue's formulas (scipy's linprog, dense floor rows)."""

from __future__ import annotations

import copy
import json
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog
from typer.testing import CliRunner

from regia.programming import optimiser
from regia.programming.scenario import ScenarioError, loads, parse

ISSUE = {"name": "Scenario A", "years": [2026, 2027],
         "sources": [{"id": "fse", "targets": ["disoccupati", "inattivi"]}, {"id": "fondo-x", "targets": ["occupati"]}],
         "budget": {"fse": {"2026": 100000, "2027": 80000}, "fondo-x": {"2026": 50000, "2027": 50000}},
         "cells": [{"province": "ITC4C", "target": "occupati", "area": "digital", "need": 120, "weight": 1.5,
                    "cost": 1200, "capacity": {"2026": 80, "2027": 80}},
                   {"province": "ITC47", "target": "disoccupati", "area": "green", "need": 200, "cost": 1000},
                   {"province": "ITC47", "target": "occupati", "area": "green", "need": 100, "cost": 800}],
         "floor": {"ITC4C": 0.1}, "minimum": {"ITC47": 30}}


def two_cells(**extra: Any) -> dict[str, Any]:
    """A: ITC41 employed, weight 2, 30 seats; B: ITC42 unemployed, weight 1; 10,000 € at 100 € each."""
    doc: dict[str, Any] = {
        "name": "two cells", "years": [2026], "sources": [{"id": "r", "targets": ["occupati", "disoccupati"]}],
        "budget": {"r": {"2026": 10000}},
        "cells": [{"province": "ITC41", "target": "occupati", "area": "digital", "need": 100, "weight": 2,
                   "cost": 100, "capacity": {"2026": 30}},
                  {"province": "ITC42", "target": "disoccupati", "area": "green", "need": 100, "cost": 100}]}
    doc.update(extra)
    return doc


def solve(doc: dict[str, Any], **kwargs: Any) -> optimiser.Result:
    return optimiser.solve(parse(doc), **kwargs)


def kinds(result: optimiser.Result) -> set[tuple[str, str]]:
    return {(b["constraint"], b.get("province") or b.get("source") or b["cell"]["province"]) for b in result.binding}


def test_issue_scenario_optimum_by_hand() -> None:
    # FSE+: 180,000 € → unemployed of ITC47 at 1,000 € (180 ≤ need 200); the Fund: 100,000 € at 0.00125
    # weighted participants per euro in either of its cells → 125. Optimum 305.
    result = solve(ISSUE)
    assert result.status == "optimal"
    assert result.objective == pytest.approx(305.0, rel=1e-9)
    assert result.duals == {"fse": {"2026": pytest.approx(0.001), "2027": pytest.approx(0.001)},
                            "fondo-x": {"2026": pytest.approx(0.00125), "2027": pytest.approx(0.00125)}}
    assert optimiser.violations(result.scenario, result.allocations) == []
    fse = [a for a in result.allocations if a.source == "fse"]
    assert {(a.year, round(a.participants, 6), round(a.euros, 2)) for a in fse} == {(2026, 100, 100000),
                                                                                    (2027, 80, 80000)}
    assert sum(a.euros for a in result.allocations) == pytest.approx(280000)
    body = result.to_json()
    assert set(body) >= {"status", "objective", "allocations", "duals", "binding"}
    assert set(body["allocations"][0]) == {"cell", "source", "year", "participants", "euros"}
    assert set(body["allocations"][0]["cell"]) == {"province", "target", "area"}
    json.dumps(body)  # JSON-ready


def test_capacity_binds_and_budget_dual() -> None:
    # A fills its 30 seats (3,000 €), the other 7,000 € buy 70 of B: 2·30 + 70 = 130; one more euro buys 0.01 of B
    result = solve(two_cells())
    assert result.objective == pytest.approx(130.0)
    assert result.duals["r"]["2026"] == pytest.approx(0.01)
    assert {("capacity", "ITC41"), ("budget", "r")} <= kinds(result)
    cap = next(b for b in result.binding if b["constraint"] == "capacity")
    assert cap["dual"] == pytest.approx(2 - 1)  # a seat more moves 100 € from B (1) to A (2)
    assert result.unspent == []


@pytest.mark.parametrize("eps", [0.5, 10.0, 250.0])
def test_more_budget_grows_the_objective_by_dual_times_eps(eps: float) -> None:
    for doc, source, year in ((ISSUE, "fse", "2026"), (ISSUE, "fondo-x", "2027"), (two_cells(), "r", "2026")):
        base = solve(doc)
        more = copy.deepcopy(doc)
        more["budget"][source][year] += eps
        grown = solve(more)
        assert grown.objective - base.objective == pytest.approx(base.duals[source][year] * eps, rel=1e-6)


def test_floor_binds_and_leaves_money_unspent() -> None:
    # ITC41 must hold half the participants: B ≤ A ≤ 30 → 60 participants, 6,000 €, objective 90
    result = solve(two_cells(floor={"ITC41": 0.5}))
    assert result.objective == pytest.approx(90.0)
    assert {("capacity", "ITC41"), ("floor", "ITC41")} <= kinds(result)
    assert result.duals["r"]["2026"] == pytest.approx(0.0)
    [left] = result.unspent
    assert left["euros"] == pytest.approx(4000.0) and "floor" in left["reasons"]
    assert optimiser.violations(result.scenario, result.allocations) == []


def test_infeasible_names_the_constraints_in_conflict() -> None:
    result = solve(two_cells(floor={"ITC41": 0.5}, minimum={"ITC42": 50}))
    assert result.status == "infeasible"
    named = {(c["constraint"], c.get("province") or c.get("cell", {}).get("province")) for c in result.conflicts}
    assert named == {("floor", "ITC41"), ("capacity", "ITC41"), ("minimum", "ITC42")}
    assert result.shortfalls == [{"province": "ITC42", "minimum": 50.0, "reachable": pytest.approx(30.0),
                                  "shortfall": pytest.approx(20.0)}]
    assert "minimum of ITC42" in result.message and "floor of ITC41" in result.message


def test_carry_over_moves_unspent_money_to_the_next_year() -> None:
    doc = {"name": "carry", "years": [2026, 2027], "sources": [{"id": "f", "targets": ["occupati"]}],
           "budget": {"f": {"2026": 10000, "2027": 0}},
           "cells": [{"province": "ITC4C", "target": "occupati", "area": "digital", "need": 200, "cost": 100,
                      "capacity": {"2026": 50, "2027": 100}}]}
    assert solve(doc).objective == pytest.approx(50.0)  # the standard model: 2027 has no money
    doc["sources"][0]["carry_over"] = 1.0
    full = solve(doc)
    assert full.objective == pytest.approx(100.0)
    assert full.carried == [{"source": "f", "from_year": 2026, "to_year": 2027, "euros": pytest.approx(5000.0)}]
    assert full.unspent == []  # 2026's 5,000 € left over were carried and spent in 2027
    doc["cells"][0]["capacity"]["2027"] = 20  # now 2027 spends 2,000 € of the 5,000 carried: 3,000 € left
    capped = solve(doc)  # (whether the 3,000 € stay in 2026 or are carried and left in 2027 is the solver's)
    assert sum(u["euros"] for u in capped.unspent) == pytest.approx(3000.0)
    assert {r for u in capped.unspent for r in u["reasons"]} == {"capacity_full"}
    doc["cells"][0]["capacity"]["2027"] = 100
    doc["sources"][0]["carry_over"] = 0.5  # half of what is carried survives
    half = solve(doc)
    assert half.objective == pytest.approx(75.0)
    assert optimiser.violations(half.scenario, half.allocations) == []


def test_whole_participants() -> None:
    doc = {"name": "int", "years": [2026], "sources": [{"id": "s", "targets": ["occupati"]}],
           "budget": {"s": {"2026": 1000}},
           "cells": [{"province": "ITC4C", "target": "occupati", "area": "green", "need": 10, "cost": 300}]}
    assert solve(doc).objective == pytest.approx(1000 / 300)
    whole = solve(doc, integer=True)
    assert whole.objective == pytest.approx(3.0) and whole.integer and whole.duals_from == "lp_relaxation"
    assert [a.participants for a in whole.allocations] == [pytest.approx(3.0)]
    doc["options"] = {"integer": True}
    assert solve(doc).objective == pytest.approx(3.0)


def test_minimum_lot_funds_a_cell_for_the_lot_or_not_at_all() -> None:
    doc = {"name": "lots", "years": [2026], "sources": [{"id": "s", "targets": ["occupati"]}],
           "budget": {"s": {"2026": 1000}},
           "cells": [{"province": "ITC41", "target": "occupati", "area": "a", "need": 4, "weight": 2, "cost": 100},
                     {"province": "ITC42", "target": "occupati", "area": "a", "need": 20, "cost": 100}]}
    assert solve(doc).objective == pytest.approx(2 * 4 + 6)
    doc["options"] = {"min_lot": 5}  # A's need (4) is under the lot: never funded; B takes everything
    lots = solve(doc)
    assert lots.objective == pytest.approx(10.0)
    assert {a.cell: a.participants for a in lots.allocations} == {1: pytest.approx(10.0)}
    doc["options"] = {"min_lot": 12}
    doc["cells"][1]["min_lot"] = 3  # a cell's own lot wins over the scenario's
    assert solve(doc).objective == pytest.approx(10.0)
    doc["budget"]["s"]["2026"] = 250  # 2.5 participants: under the lot of 3, so nothing
    assert solve(doc).objective == pytest.approx(0.0)


def test_ineligible_sources_fund_nothing() -> None:
    doc = two_cells()
    doc["sources"] = [{"id": "fund", "targets": ["occupati"]}]
    doc["budget"] = {"fund": {"2026": 10000}}
    result = solve(doc)
    assert {result.scenario.cells[a.cell].target for a in result.allocations} == {"occupati"}
    [left] = result.unspent
    assert left["euros"] == pytest.approx(7000.0) and left["reasons"] == ["capacity_full"]


def test_status_quo_spreads_each_budget_by_need() -> None:
    doc = two_cells()
    doc["cells"][0].pop("capacity")
    doc["cells"][1]["need"] = 300  # needs 100 : 300 → 2,500 € and 7,500 €
    base = optimiser.status_quo(parse(doc))
    split = {base.scenario.cells[a.cell].province: a.euros for a in base.allocations}
    assert split == {"ITC41": pytest.approx(2500.0), "ITC42": pytest.approx(7500.0)}
    assert base.objective == pytest.approx(2 * 25 + 75)
    assert solve(doc).objective >= base.objective


# --- scenario documents --------------------------------------------------------------------------------------

def test_problems_are_named_by_their_path() -> None:
    bad = copy.deepcopy(ISSUE)
    bad["cells"][1]["cost"] = 0
    bad["budget"]["fse"]["2031"] = 5
    bad["budget"]["nobody"] = {}
    bad["floor"]["ITC4C"] = 1.5
    with pytest.raises(ScenarioError) as caught:
        parse(bad)
    paths = {path for path, _ in caught.value.problems}
    assert paths == {"cells[1].cost", "budget.fse.2031", "budget.nobody", "floor.ITC4C"}
    with pytest.raises(ScenarioError, match="not JSON"):
        loads(b"{")


def test_round_trip() -> None:
    scenario = parse(ISSUE)
    again = loads(json.dumps(scenario.to_json()))
    assert again == scenario


# --- an independent LP from the formulas, and properties ----------------------------------------------------

def independent_lp(doc: dict[str, Any]) -> float | None:
    """The standard model written out densely with scipy's linprog (floor rows over every variable, as in the
    issue); None when infeasible."""
    years = [str(y) for y in doc["years"]]
    cells = doc["cells"]
    variables = [(i, s["id"], y) for i, c in enumerate(cells) for s in doc["sources"] for y in years
                 if c["target"] in s["targets"]]
    if not variables:  # nothing can be funded: feasible only without a positive minimum
        return None if any(m > 0 for m in doc.get("minimum", {}).values()) else 0.0
    n = len(variables)
    c_obj = np.array([-cells[i].get("weight", 1) for i, _, _ in variables], dtype=float)
    a_ub, b_ub = [], []
    for i, c in enumerate(cells):
        a_ub.append([1.0 if v[0] == i else 0.0 for v in variables])
        b_ub.append(c["need"])
        for y, seats in (c.get("capacity") or {}).items():
            a_ub.append([1.0 if v[0] == i and v[2] == y else 0.0 for v in variables])
            b_ub.append(seats)
    for s in doc["sources"]:
        for y in years:
            a_ub.append([cells[v[0]]["cost"] if v[1] == s["id"] and v[2] == y else 0.0 for v in variables])
            b_ub.append(doc["budget"].get(s["id"], {}).get(y, 0.0))
    for p, share in doc.get("floor", {}).items():
        a_ub.append([share - (1.0 if cells[v[0]]["province"] == p else 0.0) for v in variables])
        b_ub.append(0.0)
    for p, m in doc.get("minimum", {}).items():
        a_ub.append([-1.0 if cells[v[0]]["province"] == p else 0.0 for v in variables])
        b_ub.append(-m)
    answer = linprog(c_obj, A_ub=np.array(a_ub), b_ub=np.array(b_ub), bounds=[(0, None)] * n, method="highs-ds")
    return None if answer.status == 2 else -float(answer.fun)


PROVINCES = ("ITC41", "ITC42", "ITC43", "ITC44")
TARGETS = ("occupati", "disoccupati", "inattivi")
AREAS = ("digital", "green", "sector")


@st.composite
def scenarios(draw: st.DrawFn, *, constrained: bool = True) -> dict[str, Any]:
    years = draw(st.sampled_from([[2026], [2026, 2027], [2026, 2027, 2028]]))
    sources = []
    for k in range(draw(st.integers(1, 3))):
        targets = draw(st.lists(st.sampled_from(TARGETS), min_size=1, max_size=3, unique=True))
        sources.append({"id": f"s{k}", "targets": targets})
    budget = {s["id"]: {str(y): draw(st.integers(0, 50_000)) for y in years} for s in sources}
    keys = draw(st.lists(st.tuples(st.sampled_from(PROVINCES), st.sampled_from(TARGETS), st.sampled_from(AREAS)),
                         min_size=1, max_size=8, unique=True))
    cells = []
    for province, target, area in keys:
        cell: dict[str, Any] = {"province": province, "target": target, "area": area,
                                "need": draw(st.integers(0, 300)), "cost": draw(st.integers(50, 3000)),
                                "weight": draw(st.sampled_from([1, 1.5, 2, 0.5]))}
        if draw(st.booleans()):
            cell["capacity"] = {str(y): draw(st.integers(0, 150)) for y in years}
        cells.append(cell)
    doc: dict[str, Any] = {"name": "random", "years": years, "sources": sources, "budget": budget, "cells": cells}
    if constrained:
        used = sorted({c["province"] for c in cells})
        doc["floor"] = {p: draw(st.sampled_from([0.0, 0.05, 0.1, 0.2])) for p in draw(
            st.lists(st.sampled_from(used), max_size=2, unique=True))}
        doc["minimum"] = {p: draw(st.integers(0, 40)) for p in draw(
            st.lists(st.sampled_from(used), max_size=1, unique=True))}
    return doc


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_random_scenarios_respect_every_constraint_and_match_an_independent_lp(doc: dict[str, Any]) -> None:
    result = solve(doc)
    reference = independent_lp(doc)
    if reference is None:
        assert result.status == "infeasible" and result.message and (result.conflicts or result.shortfalls)
        return
    assert result.status == "optimal"
    assert result.objective == pytest.approx(reference, rel=1e-6, abs=1e-6)
    assert optimiser.violations(result.scenario, result.allocations) == []
    cells = result.scenario.cells
    assert sum(cells[a.cell].weight * a.participants for a in result.allocations) == pytest.approx(
        result.objective, rel=1e-6, abs=1e-6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_optimised_objective_is_at_least_the_status_quo(doc: dict[str, Any]) -> None:
    """Whenever the status quo split is a feasible allocation of the scenario (always without floors and
    minimums), the optimum is at least as good; the status quo itself never breaks need, capacity or budget."""
    scenario = parse(doc)
    base = optimiser.status_quo(scenario)
    assert {v["constraint"] for v in base.violations} <= {"floor", "minimum"}
    result = optimiser.solve(scenario)
    if not base.violations:
        assert result.status == "optimal"
        assert result.objective >= base.objective - 1e-6 * max(1.0, base.objective)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(constrained=False), st.data())
def test_duals_bracket_the_change_of_the_objective(doc: dict[str, Any], data: st.DataObject) -> None:
    """The objective is concave in each budget: one more ε euro gains at most dual·ε, one fewer loses at least
    dual·ε (equal where the basis does not change, as in the hand-made cases above)."""
    result = solve(doc)
    source = data.draw(st.sampled_from(sorted(result.duals)))
    year = data.draw(st.sampled_from(sorted(result.duals[source])))
    dual = result.duals[source][year]
    eps = 1e-3
    up, down = copy.deepcopy(doc), copy.deepcopy(doc)
    up["budget"][source][year] += eps
    assert (solve(up).objective - result.objective) <= dual * eps + 1e-7
    if doc["budget"][source][year] >= eps:
        down["budget"][source][year] -= eps
        assert (result.objective - solve(down).objective) >= dual * eps - 1e-7


# --- the command line -------------------------------------------------------------------------------------------

def run_cli(*args: str) -> Any:
    from regia.cli import app

    return CliRunner().invoke(app, ["programming", "optimise", *args])


def test_cli_optimal_json_exit_0(tmp_path: Any) -> None:
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(ISSUE))
    answer = run_cli(str(path), "--json", "--status-quo")
    assert answer.exit_code == 0, answer.output
    body = json.loads(answer.stdout)
    assert body["status"] == "optimal" and body["objective"] == pytest.approx(305.0)
    assert body["duals"]["fondo-x"]["2026"] == pytest.approx(0.00125)
    assert body["status_quo"]["method"] == "status_quo"
    summary = run_cli(str(path))
    assert summary.exit_code == 0 and "305" in summary.stdout and "Shadow prices" in summary.stdout


def test_cli_integer_and_infeasible_exit_2(tmp_path: Any) -> None:
    path = tmp_path / "int.json"
    doc = {"name": "int", "years": [2026], "sources": [{"id": "s", "targets": ["occupati"]}],
           "budget": {"s": {"2026": 1000}},
           "cells": [{"province": "ITC4C", "target": "occupati", "area": "green", "need": 10, "cost": 300}]}
    path.write_text(json.dumps(doc))
    assert json.loads(run_cli(str(path), "--json", "--integer").stdout)["objective"] == pytest.approx(3.0)
    path.write_text(json.dumps(two_cells(floor={"ITC41": 0.5}, minimum={"ITC42": 50})))
    answer = run_cli(str(path), "--json")
    assert answer.exit_code == 2
    body = json.loads(answer.stdout)
    assert body["status"] == "infeasible"
    assert {c["constraint"] for c in body["conflicts"]} == {"floor", "capacity", "minimum"}
    text = run_cli(str(path))
    assert text.exit_code == 2 and "minimum of ITC42" in text.stdout and "Traceback" not in text.output


def test_cli_invalid_file_exit_1(tmp_path: Any) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({**ISSUE, "cells": [{"province": "ITC4C"}]}))
    answer = run_cli(str(path))
    assert answer.exit_code == 1 and "cells[0].target" in answer.output and "Traceback" not in answer.output
