"""The allocation optimiser: a scenario's standard model (and its options) solved with HiGHS.

Standard model (formulas and options: README of this package). Cells ``c`` = (province, target, area),
sources ``s``, years ``y``; ``x[c,s,y] ≥ 0`` participants funded, only where ``s`` may fund the target of ``c``
and has a budget that year::

    maximise   Σ weight[c]·x[c,s,y]
    subject to Σ_{s,y} x[c,s,y]              ≤ need[c]                          (need)
               Σ_c cost[c]·x[c,s,y]          ≤ budget[s][y]                     (budget)
               Σ_s x[c,s,y]                  ≤ capacity[c][y]                   (capacity)
               Σ_{c∈p} Σ_{s,y} x             ≥ floor[p] · Σ_c Σ_{s,y} x         (floor)
               Σ_{c∈p} Σ_{s,y} x             ≥ minimum[p]                       (minimum)

The floor rows are written against one extra column ``T = Σ x`` (a row of its own), so that each floor row
holds its province's columns only instead of every column (the same polytope; 107 floors over 1.5M columns
would otherwise be 160M non-zeros).

Options: *carry-over* adds ``u[s,y] ≥ 0``, euros of year ``y`` kept for ``y+1``: the budget row becomes
``Σ_c cost·x[c,s,y] + u[s,y] ≤ budget[s][y] + carry_over[s]·u[s,y-1]``; *integer* makes ``x`` whole;
*minimum lot* makes ``x[c,s,y]`` semi-continuous (0 or at least the lot).

Shadow prices (``duals``) are the weighted participants one more euro of a source's budget in a year would buy
(∂objective/∂budget[s][y]), from the LP; for an integer or lot model they are those of its LP relaxation (said
in ``duals_from``). An infeasible scenario is explained by HiGHS' irreducible infeasible subsystem (IIS) and
by an elastic solve that says by how much each minimum falls short.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np
from scipy import sparse

from regia.programming.scenario import Scenario

INF = highspy.kHighsInf
TOL = 1e-7  # participants / euros below this are zero; slack below TOL·max(1,|rhs|) binds
OPTIMAL, INFEASIBLE, UNBOUNDED = "optimal", "infeasible", "unbounded"


@dataclass
class Row:
    """The meaning of one row of the model (for duals, binding lists and infeasibility reports)."""

    kind: str  # need | budget | capacity | total | floor | minimum
    rhs: float
    source: str | None = None
    year: int | None = None
    cell: int | None = None
    province: str | None = None

    def describe(self, scenario: Scenario) -> dict[str, Any]:
        out: dict[str, Any] = {"constraint": self.kind}
        if self.cell is not None:
            out["cell"] = scenario.cells[self.cell].as_key_dict()
        for name in ("source", "year", "province"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        out["rhs"] = self.rhs
        return out

    def label(self, scenario: Scenario) -> str:
        if self.kind == "need":
            c = scenario.cells[self.cell or 0]
            return f"need of {c.province}/{c.target}/{c.area} (≤ {self.rhs:g})"
        if self.kind == "budget":
            return f"budget of {self.source} in {self.year} (≤ {self.rhs:,.2f} €)"
        if self.kind == "capacity":
            c = scenario.cells[self.cell or 0]
            return f"capacity of {c.province}/{c.target}/{c.area} in {self.year} (≤ {self.rhs:g} seats)"
        if self.kind == "floor":
            return f"floor of {self.province} (≥ {self.rhs:.1%} of all participants)"
        if self.kind == "minimum":
            return f"minimum of {self.province} (≥ {self.rhs:g} participants)"
        return "total participants"


@dataclass
class Model:
    """The LP of a scenario as arrays: columns ``x`` (cell, source, year), then carry-over columns, then T."""

    scenario: Scenario
    var_cell: np.ndarray
    var_source: np.ndarray  # index into scenario.sources
    var_year: np.ndarray  # index into scenario.years
    rows: list[Row]
    budget_row: dict[tuple[int, int], int]
    capacity_row: dict[tuple[int, int], int]
    lp: Any
    n_carry: int
    carry_cols: list[tuple[int, int]]  # (source index, year index) of each carry-over column
    integer: bool
    lots: np.ndarray | None

    @property
    def n_x(self) -> int:
        return int(self.var_cell.size)


def _eligible_cells(scenario: Scenario, target_idx: np.ndarray, targets: list[str]) -> list[np.ndarray]:
    out = []
    for s in scenario.sources:
        allowed = np.array([t in s.targets for t in targets], dtype=bool)
        out.append(np.flatnonzero(allowed[target_idx]) if allowed.any() else np.zeros(0, dtype=np.int64))
    return out


def build(scenario: Scenario, *, integer: bool | None = None) -> Model:
    """The model of ``scenario`` (``integer`` overrides ``options.integer``)."""
    cells = scenario.cells
    years = scenario.years
    n_cells, n_years = len(cells), len(years)
    targets = sorted({c.target for c in cells})
    t_index = {t: i for i, t in enumerate(targets)}
    target_idx = np.fromiter((t_index[c.target] for c in cells), dtype=np.int64, count=n_cells)
    need = np.fromiter((c.need for c in cells), dtype=float, count=n_cells)
    cost = np.fromiter((c.cost for c in cells), dtype=float, count=n_cells)
    weight = np.fromiter((c.weight for c in cells), dtype=float, count=n_cells)
    provinces = sorted({c.province for c in cells} | set(scenario.floor) | set(scenario.minimum))
    p_index = {p: i for i, p in enumerate(provinces)}
    prov_idx = np.fromiter((p_index[c.province] for c in cells), dtype=np.int64, count=n_cells)
    eligible = _eligible_cells(scenario, target_idx, targets)

    # columns x: per source and year with money available (its own budget, or carried from earlier years)
    blocks_c, blocks_s, blocks_y = [], [], []
    rows: list[Row] = [Row("need", float(c.need), cell=i) for i, c in enumerate(cells)]
    budget_row: dict[tuple[int, int], int] = {}
    carry_cols: list[tuple[int, int]] = []
    for si, s in enumerate(scenario.sources):
        amounts = scenario.budget.get(s.id, {})
        reachable = 0.0
        for yi, y in enumerate(years):
            own = amounts.get(y, 0.0)
            reachable = own + (s.carry_over * reachable if s.carry_over else 0.0)
            if y not in amounts and reachable <= 0:
                continue  # no budget row: the source has nothing that year (its columns would all be 0)
            budget_row[(si, yi)] = len(rows)
            rows.append(Row("budget", float(own), source=s.id, year=y))
            if eligible[si].size:  # columns also under a zero budget, so that its shadow price is right
                blocks_c.append(eligible[si])
                blocks_s.append(np.full(eligible[si].size, si, dtype=np.int64))
                blocks_y.append(np.full(eligible[si].size, yi, dtype=np.int64))
            if s.carry_over > 0 and yi + 1 < n_years and reachable > 0:
                carry_cols.append((si, yi))
    var_cell = np.concatenate(blocks_c) if blocks_c else np.zeros(0, dtype=np.int64)
    var_source = np.concatenate(blocks_s) if blocks_s else np.zeros(0, dtype=np.int64)
    var_year = np.concatenate(blocks_y) if blocks_y else np.zeros(0, dtype=np.int64)
    n_x = var_cell.size

    capacity_row: dict[tuple[int, int], int] = {}
    cap_lookup = np.full((n_cells, n_years), -1, dtype=np.int64)
    year_pos = {y: i for i, y in enumerate(years)}
    for ci, c in enumerate(cells):
        for y, seats in (c.capacity or {}).items():
            capacity_row[(ci, year_pos[y])] = cap_lookup[ci, year_pos[y]] = len(rows)
            rows.append(Row("capacity", float(seats), cell=ci, year=y))

    has_floor = bool(scenario.floor)
    total_row = -1
    if has_floor:
        total_row = len(rows)
        rows.append(Row("total", 0.0))
    floor_row = np.full(len(provinces), -1, dtype=np.int64)
    for p, share in scenario.floor.items():
        floor_row[p_index[p]] = len(rows)
        rows.append(Row("floor", float(share), province=p))
    minimum_row = np.full(len(provinces), -1, dtype=np.int64)
    for p, m in scenario.minimum.items():
        minimum_row[p_index[p]] = len(rows)
        rows.append(Row("minimum", float(m), province=p))

    # non-zeros of the x columns
    cols = np.arange(n_x, dtype=np.int64)
    b_lookup = np.full((len(scenario.sources), n_years), -1, dtype=np.int64)
    for (si, yi), r in budget_row.items():
        b_lookup[si, yi] = r
    parts_r, parts_c, parts_v = [var_cell, b_lookup[var_source, var_year]], [cols, cols], \
        [np.ones(n_x), cost[var_cell]]
    cap_r = cap_lookup[var_cell, var_year]
    keep = cap_r >= 0
    parts_r.append(cap_r[keep])
    parts_c.append(cols[keep])
    parts_v.append(np.ones(int(keep.sum())))
    if has_floor:
        parts_r.append(np.full(n_x, total_row, dtype=np.int64))
        parts_c.append(cols)
        parts_v.append(np.ones(n_x))
    for lookup in (floor_row, minimum_row):
        r = lookup[prov_idx[var_cell]]
        keep = r >= 0
        parts_r.append(r[keep])
        parts_c.append(cols[keep])
        parts_v.append(np.ones(int(keep.sum())))
    # carry-over columns u[s,y]: +1 in the row of (s,y), -share in the row of (s,y+1)
    n_carry = len(carry_cols)
    for k, (si, yi) in enumerate(carry_cols):
        col = n_x + k
        parts_r.append(np.array([budget_row[(si, yi)], budget_row[(si, yi + 1)]], dtype=np.int64))
        parts_c.append(np.array([col, col], dtype=np.int64))
        parts_v.append(np.array([1.0, -scenario.sources[si].carry_over]))
    n_cols = n_x + n_carry + (1 if has_floor else 0)
    if has_floor:
        t_col = n_cols - 1
        floors = [(r, scenario.floor[p]) for p, r in zip(provinces, floor_row, strict=True) if r >= 0]
        parts_r.append(np.array([total_row] + [r for r, _ in floors], dtype=np.int64))
        parts_c.append(np.full(1 + len(floors), t_col, dtype=np.int64))
        parts_v.append(np.array([-1.0] + [-share for _, share in floors]))
    matrix = sparse.coo_matrix((np.concatenate(parts_v), (np.concatenate(parts_r), np.concatenate(parts_c))),
                               shape=(len(rows), n_cols)).tocsc()

    row_lower = np.full(len(rows), -INF)
    row_upper = np.full(len(rows), INF)
    for i, row in enumerate(rows):
        if row.kind in ("need", "budget", "capacity"):
            row_upper[i] = row.rhs
        elif row.kind == "total":
            row_lower[i] = row_upper[i] = 0.0
        elif row.kind == "floor":
            row_lower[i] = 0.0
        else:
            row_lower[i] = row.rhs
    col_cost = np.zeros(n_cols)
    col_cost[:n_x] = weight[var_cell]
    col_lower = np.zeros(n_cols)
    col_upper = np.full(n_cols, INF)
    col_upper[:n_x] = need[var_cell]  # implied by the need rows; HiGHS presolve likes finite bounds
    integer = scenario.options.integer if integer is None else integer
    lots = np.fromiter(((c.min_lot if c.min_lot is not None else scenario.options.min_lot) for c in cells),
                       dtype=float, count=n_cells)[var_cell]
    has_lots = bool((lots > 0).any())

    lp = highspy.HighsLp()
    lp.num_col_ = n_cols
    lp.num_row_ = len(rows)
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.col_cost_ = col_cost
    lp.col_lower_ = col_lower
    lp.col_upper_ = col_upper
    lp.row_lower_ = row_lower
    lp.row_upper_ = row_upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = matrix.data
    if integer or has_lots:
        kinds = np.full(n_cols, int(highspy.HighsVarType.kContinuous), dtype=np.uint8)
        if has_lots:
            with_lot = lots > 0
            caps = np.full(n_x, np.inf)
            cap_val = np.array([(cells[ci].capacity or {}).get(years[yi], np.inf)
                                for ci, yi in zip(var_cell[with_lot], var_year[with_lot], strict=True)])
            caps[with_lot] = cap_val
            upper = np.minimum(need[var_cell], caps)
            feasible_lot = with_lot & (upper >= lots)
            col_lower[:n_x][feasible_lot] = lots[feasible_lot]
            col_upper[:n_x][with_lot & ~feasible_lot] = 0.0  # the lot does not fit: never funded
            kinds[:n_x][feasible_lot] = int(highspy.HighsVarType.kSemiInteger if integer
                                            else highspy.HighsVarType.kSemiContinuous)
            kinds[:n_x][~feasible_lot] = int(highspy.HighsVarType.kInteger if integer
                                             else highspy.HighsVarType.kContinuous)
            lp.col_lower_ = col_lower
            lp.col_upper_ = col_upper
        else:
            kinds[:n_x] = int(highspy.HighsVarType.kInteger)
        lp.integrality_ = [highspy.HighsVarType(int(k)) for k in kinds]
    return Model(scenario=scenario, var_cell=var_cell, var_source=var_source, var_year=var_year, rows=rows,
                 budget_row=budget_row, capacity_row=capacity_row, lp=lp, n_carry=n_carry, carry_cols=carry_cols,
                 integer=integer, lots=lots if has_lots else None)


# --- results ---------------------------------------------------------------------------------------------------

@dataclass
class Allocation:
    cell: int
    source: str
    year: int
    participants: float
    euros: float


@dataclass
class Result:
    """What the optimiser answers (``to_json`` is the documented JSON contract)."""

    scenario: Scenario
    status: str
    objective: float | None = None
    allocations: list[Allocation] = field(default_factory=list)
    duals: dict[str, dict[str, float]] = field(default_factory=dict)
    binding: list[dict[str, Any]] = field(default_factory=list)
    unspent: list[dict[str, Any]] = field(default_factory=list)
    carried: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    shortfalls: list[dict[str, Any]] = field(default_factory=list)
    message: str = ""
    duals_from: str = "lp"
    integer: bool = False
    seconds: float = 0.0
    variables: int = 0
    constraints: int = 0
    method: str = "optimised"  # or "status_quo"
    violations: list[dict[str, Any]] = field(default_factory=list)  # status quo: constraints it breaks

    @property
    def optimal(self) -> bool:
        return self.status == OPTIMAL

    def totals(self) -> dict[str, Any]:
        """Participants and euros per target, province, area, source and year; weighted need covered."""
        cells = self.scenario.cells
        out: dict[str, dict[str, float]] = {k: defaultdict(float) for k in
                                            ("target", "province", "area", "source", "year", "euros_source")}
        per_cell: dict[int, float] = defaultdict(float)
        for a in self.allocations:
            c = cells[a.cell]
            out["target"][c.target] += a.participants
            out["province"][c.province] += a.participants
            out["area"][c.area] += a.participants
            out["source"][a.source] += a.participants
            out["year"][str(a.year)] += a.participants
            out["euros_source"][a.source] += a.euros
            per_cell[a.cell] += a.participants
        weighted_need = sum(c.weight * c.need for c in cells)
        covered = sum(cells[i].weight * min(v, cells[i].need) for i, v in per_cell.items())
        need_by: dict[str, dict[str, float]] = {"province": defaultdict(float), "target": defaultdict(float),
                                                "area": defaultdict(float)}
        for c in cells:
            need_by["province"][c.province] += c.need
            need_by["target"][c.target] += c.need
            need_by["area"][c.area] += c.need
        return {
            "participants": sum(a.participants for a in self.allocations),
            "euros": sum(a.euros for a in self.allocations),
            "weighted_need": weighted_need,
            "weighted_covered": covered,
            "coverage": covered / weighted_need if weighted_need else 0.0,
            **{f"by_{k}": dict(v) for k, v in out.items() if k != "euros_source"},
            "euros_by_source": dict(out["euros_source"]),
            "need_by_province": dict(need_by["province"]), "need_by_target": dict(need_by["target"]),
            "need_by_area": dict(need_by["area"]),
        }

    def to_json(self, *, with_totals: bool = True) -> dict[str, Any]:
        cells = self.scenario.cells
        out: dict[str, Any] = {
            "status": self.status,
            "objective": self.objective,
            "allocations": [{"cell": cells[a.cell].as_key_dict(), "source": a.source, "year": a.year,
                             "participants": a.participants, "euros": a.euros} for a in self.allocations],
            "duals": self.duals,
            "binding": self.binding,
            "unspent": self.unspent,
            "carried": self.carried,
            "scenario": self.scenario.name,
            "method": self.method,
            "integer": self.integer,
            "duals_from": self.duals_from,
            "variables": self.variables,
            "constraints": self.constraints,
            "seconds": round(self.seconds, 4),
        }
        if self.message:
            out["message"] = self.message
        if self.conflicts:
            out["conflicts"] = self.conflicts
        if self.shortfalls:
            out["shortfalls"] = self.shortfalls
        if self.violations:
            out["violations"] = self.violations
        if with_totals and self.status == OPTIMAL:
            out["totals"] = self.totals()
        return out


def _highs(threads: int | None = None) -> highspy.Highs:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    if threads:
        h.setOptionValue("threads", threads)
    return h


def _slack(row: Row, activity: float) -> float:
    if row.kind in ("need", "budget", "capacity"):
        return row.rhs - activity
    if row.kind == "minimum":
        return activity - row.rhs
    return activity  # floor rows: Σ_p x − floor·T ≥ 0; total row: = 0


def _binds(row: Row, slack: float) -> bool:
    return row.kind != "total" and abs(slack) <= TOL * max(1.0, abs(row.rhs))


def _lp_duals(model: Model) -> np.ndarray:
    """Row duals of the LP relaxation (an integer / lot model's shadow prices)."""
    lp = highspy.HighsLp()
    for name in ("num_col_", "num_row_", "sense_", "col_cost_", "row_lower_", "row_upper_", "a_matrix_"):
        setattr(lp, name, getattr(model.lp, name))
    upper = np.array(model.lp.col_upper_, dtype=float)
    lp.col_lower_ = np.zeros(model.lp.num_col_)
    lp.col_upper_ = upper
    h = _highs()
    h.passModel(lp)
    h.run()
    return np.array(h.getSolution().row_dual)


def solve(scenario: Scenario, *, integer: bool | None = None, time_limit: float | None = None,
          threads: int | None = None, explain: bool = True, highs_options: dict[str, Any] | None = None) -> Result:
    """Optimise ``scenario``: the allocation, the objective, duals, what binds, unspent money and why; for an
    infeasible scenario the constraints in conflict (never an exception for a model HiGHS can read)."""
    started = time.perf_counter()
    model = build(scenario, integer=integer)
    h = _highs(threads)
    if time_limit:
        h.setOptionValue("time_limit", float(time_limit))
    for name, value in (highs_options or {}).items():  # e.g. {"solver": "ipm"} (bench/programming_optimise.py)
        h.setOptionValue(name, value)
    h.passModel(model.lp)
    h.run()
    status = h.getModelStatus()
    result = Result(scenario=scenario, status=OPTIMAL, integer=model.integer, variables=model.n_x,
                    constraints=len(model.rows))
    if status == highspy.HighsModelStatus.kModelEmpty:  # no source may fund any cell, or no row at all
        short = [r for r in model.rows if r.kind == "minimum" and r.rhs > TOL]
        if short:
            result.status = INFEASIBLE
            result.conflicts = [{**r.describe(scenario), "label": r.label(scenario)} for r in short]
            result.shortfalls = [{"province": r.province, "minimum": r.rhs, "reachable": 0.0, "shortfall": r.rhs}
                                 for r in short]
            result.message = ("the scenario is infeasible: no source may fund any of its cells, so these cannot "
                              "hold: " + "; ".join(c["label"] for c in result.conflicts))
        else:
            result.objective = 0.0
            _fill_empty(result, model)
    elif status == highspy.HighsModelStatus.kOptimal:
        _fill(result, model, h)
    elif status in (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible):
        result.status = INFEASIBLE
        if explain:
            _explain_infeasible(result, model)
    elif status == highspy.HighsModelStatus.kUnbounded:
        result.status = UNBOUNDED
        result.message = ("the scenario is unbounded: some cell can take unlimited participants (a need is "
                          "missing or infinite)")
    else:
        result.status = h.modelStatusToString(status).lower().replace(" ", "_")
        result.message = f"HiGHS stopped without an optimal allocation: {h.modelStatusToString(status)}"
    result.seconds = time.perf_counter() - started
    return result


def _fill(result: Result, model: Model, h: highspy.Highs) -> None:
    scenario = model.scenario
    solution = h.getSolution()
    values = np.asarray(solution.col_value)
    activity = np.asarray(solution.row_value)
    result.objective = float(h.getInfo().objective_function_value)
    mip = model.integer or model.lots is not None
    duals = _lp_duals(model) if mip else np.asarray(solution.row_dual)
    result.duals_from = "lp_relaxation" if mip else "lp"
    # HiGHS reports the dual of a maximisation with the sign of ∂objective/∂rhs already; budget rows are ≤
    x = values[:model.n_x]
    nz = np.flatnonzero(x > TOL)
    cost = np.fromiter((c.cost for c in scenario.cells), dtype=float, count=len(scenario.cells))
    source_ids = [s.id for s in scenario.sources]
    result.allocations = [
        Allocation(cell=int(model.var_cell[k]), source=source_ids[int(model.var_source[k])],
                   year=scenario.years[int(model.var_year[k])], participants=float(x[k]),
                   euros=float(x[k] * cost[model.var_cell[k]])) for k in nz]
    for (si, yi), r in model.budget_row.items():
        result.duals.setdefault(source_ids[si], {})[str(scenario.years[yi])] = float(duals[r])
    for i, row in enumerate(model.rows):
        slack = _slack(row, float(activity[i]))
        if _binds(row, slack):
            entry = row.describe(scenario)
            entry["dual"] = float(duals[i])
            result.binding.append(entry)
    for k, (si, yi) in enumerate(model.carry_cols):
        amount = float(values[model.n_x + k])
        if amount > TOL:
            result.carried.append({"source": source_ids[si], "from_year": scenario.years[yi],
                                   "to_year": scenario.years[yi + 1], "euros": amount})
    _unspent(result, model, values, activity)


def _fill_empty(result: Result, model: Model) -> None:
    scenario = model.scenario
    for (si, yi), r in model.budget_row.items():
        result.duals.setdefault(scenario.sources[si].id, {})[str(scenario.years[yi])] = 0.0
        if model.rows[r].rhs > TOL:
            result.unspent.append({"source": scenario.sources[si].id, "year": scenario.years[yi],
                                   "euros": model.rows[r].rhs, "reasons": ["no_eligible_cell"], "eligible_cells": 0,
                                   "floors_binding": []})


def _unspent(result: Result, model: Model, values: np.ndarray, activity: np.ndarray) -> None:
    """Budget left over per source and year, and why: what stops each cell the source may fund."""
    scenario = model.scenario
    need_binds = {i for i, row in enumerate(model.rows[:len(scenario.cells)])
                  if _binds(row, _slack(row, float(activity[i])))}
    floor_binds = [r.province for i, r in enumerate(model.rows)
                   if r.kind == "floor" and _binds(r, _slack(r, float(activity[i])))]
    carried_out = {(c["source"], c["from_year"]): c["euros"] for c in result.carried}
    euros: dict[tuple[str, int], float] = defaultdict(float)
    for a in result.allocations:
        euros[(a.source, a.year)] += a.euros
    for (si, yi), r in model.budget_row.items():
        row = model.rows[r]
        s, y = scenario.sources[si], scenario.years[yi]
        spent = euros.get((s.id, y), 0.0)
        carried_in = 0.0
        if yi > 0:
            carried_in = s.carry_over * carried_out.get((s.id, scenario.years[yi - 1]), 0.0)
        left = row.rhs + carried_in - spent - carried_out.get((s.id, y), 0.0)
        if left <= TOL * max(1.0, row.rhs):
            continue
        cells = [i for i, c in enumerate(scenario.cells) if c.target in s.targets]
        reasons: list[str] = []
        if not cells:
            reasons.append("no_eligible_cell")
        else:
            blocked_need = sum(1 for i in cells if i in need_binds)
            blocked_cap = 0
            for i in cells:
                cr = model.capacity_row.get((i, yi))
                if i not in need_binds and cr is not None and _binds(model.rows[cr],
                                                                     _slack(model.rows[cr], float(activity[cr]))):
                    blocked_cap += 1
            if blocked_need:
                reasons.append("need_met")
            if blocked_cap:
                reasons.append("capacity_full")
            if blocked_need + blocked_cap < len(cells):
                if floor_binds:
                    reasons.append("floor")
                if model.lots is not None:
                    reasons.append("minimum_lot")
                if model.integer:
                    reasons.append("whole_participants")
        result.unspent.append({"source": s.id, "year": y, "euros": left, "reasons": reasons or ["other"],
                               "eligible_cells": len(cells),
                               "floors_binding": floor_binds})


def _explain_infeasible(result: Result, model: Model) -> None:
    scenario = model.scenario
    conflicts: list[dict[str, Any]] = []
    h = _highs()
    lp = highspy.HighsLp()
    for name in ("num_col_", "num_row_", "sense_", "col_cost_", "col_lower_", "col_upper_", "row_lower_",
                 "row_upper_", "a_matrix_"):
        setattr(lp, name, getattr(model.lp, name))  # the LP relaxation: IIS is for LPs
    lp.col_lower_ = np.zeros(model.lp.num_col_)
    # without the (redundant) need bounds on the columns, so that the IIS names the need rows instead
    lp.col_upper_ = np.where(np.asarray(model.lp.col_upper_) == 0.0, 0.0, INF)
    h.passModel(lp)
    h.setOptionValue("iis_strategy", int(highspy.IisStrategy.kIisStrategyFromLp)
                     | int(highspy.IisStrategy.kIisStrategyIrreducible))
    h.run()
    status, iis = h.getIis()
    if status == highspy.HighsStatus.kOk and iis.valid_:
        for r in iis.row_index_:
            row = model.rows[int(r)]
            if row.kind == "total":
                continue
            conflicts.append({**row.describe(scenario), "label": row.label(scenario)})
    result.conflicts = conflicts
    result.shortfalls = _elastic(model)
    parts = [c["label"] for c in conflicts]
    if not parts and (model.integer or model.lots is not None):
        parts = ["whole participants or minimum lots (the LP without them is feasible)"]
    short = "; ".join(f"minimum of {s['province']}: {s['minimum']:g} asked, at most {s['reachable']:g} reachable"
                      for s in result.shortfalls)
    result.message = ("the scenario is infeasible: these constraints cannot all hold together: "
                      + ("; ".join(parts) if parts else "(HiGHS found no smaller subsystem)")
                      + (f". {short}" if short else ""))


def _elastic(model: Model) -> list[dict[str, Any]]:
    """Minimum rows are the only ones that x = 0 does not satisfy: relax each by a shortfall variable, minimise
    the total shortfall, and report per province what is asked and what can be reached."""
    lp = model.lp
    mins = [i for i, row in enumerate(model.rows) if row.kind == "minimum"]
    if not mins:
        return []
    n = lp.num_col_
    a = sparse.csc_matrix((np.asarray(lp.a_matrix_.value_), np.asarray(lp.a_matrix_.index_),
                           np.asarray(lp.a_matrix_.start_)), shape=(lp.num_row_, n))
    extra = sparse.csc_matrix((np.ones(len(mins)), (np.array(mins), np.arange(len(mins)))),
                              shape=(lp.num_row_, len(mins)))
    full = sparse.hstack([a, extra]).tocsc()
    relaxed = highspy.HighsLp()
    relaxed.num_col_ = n + len(mins)
    relaxed.num_row_ = lp.num_row_
    relaxed.sense_ = highspy.ObjSense.kMinimize
    relaxed.col_cost_ = np.concatenate([np.zeros(n), np.ones(len(mins))])
    relaxed.col_lower_ = np.zeros(n + len(mins))
    relaxed.col_upper_ = np.concatenate([np.asarray(lp.col_upper_), np.full(len(mins), INF)])
    relaxed.row_lower_ = np.asarray(lp.row_lower_)
    relaxed.row_upper_ = np.asarray(lp.row_upper_)
    relaxed.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    relaxed.a_matrix_.start_ = full.indptr.astype(np.int32)
    relaxed.a_matrix_.index_ = full.indices.astype(np.int32)
    relaxed.a_matrix_.value_ = full.data
    h = _highs()
    h.passModel(relaxed)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return []
    values = np.asarray(h.getSolution().col_value)
    out = []
    for k, r in enumerate(mins):
        gap = float(values[n + k])
        if gap > TOL:
            row = model.rows[r]
            out.append({"province": row.province, "minimum": row.rhs, "reachable": max(0.0, row.rhs - gap),
                        "shortfall": gap})
    return out


# --- the status quo --------------------------------------------------------------------------------------------

def status_quo(scenario: Scenario) -> Result:
    """The baseline: each source's budget of a year spread over the cells it may fund in proportion to their
    need (euros), turned into participants at each cell's cost; participants beyond a cell's capacity in a year
    or beyond its need are not counted (scaled down; their money stays unspent). The constraints the split
    still breaks (floors, minimums) are listed in ``violations``."""
    started = time.perf_counter()
    cells = scenario.cells
    n_cells = len(cells)
    need = np.fromiter((c.need for c in cells), dtype=float, count=n_cells)
    cost = np.fromiter((c.cost for c in cells), dtype=float, count=n_cells)
    year_pos = {y: i for i, y in enumerate(scenario.years)}
    x = np.zeros((len(scenario.sources), len(scenario.years), n_cells))
    for si, s in enumerate(scenario.sources):
        mask = np.fromiter((c.target in s.targets for c in cells), dtype=bool, count=n_cells)
        total_need = float(need[mask].sum())
        if not total_need:
            continue
        for y, amount in scenario.budget.get(s.id, {}).items():
            euros = amount * need * mask / total_need
            x[si, year_pos[y]] = euros / cost
    for ci, c in enumerate(cells):
        for y, seats in (c.capacity or {}).items():
            held = x[:, year_pos[y], ci].sum()
            if held > seats:
                x[:, year_pos[y], ci] *= seats / held
    held = x.sum(axis=(0, 1))
    over = held > need
    x[:, :, over] *= need[over] / held[over]
    weight = np.fromiter((c.weight for c in cells), dtype=float, count=n_cells)
    result = Result(scenario=scenario, status=OPTIMAL, method="status_quo", duals_from="none",
                    objective=float((x.sum(axis=(0, 1)) * weight).sum()))
    for si, s in enumerate(scenario.sources):
        for yi, y in enumerate(scenario.years):
            for ci in np.flatnonzero(x[si, yi] > TOL):
                result.allocations.append(Allocation(cell=int(ci), source=s.id, year=y,
                                                     participants=float(x[si, yi, ci]),
                                                     euros=float(x[si, yi, ci] * cost[ci])))
            if y in scenario.budget.get(s.id, {}):
                left = scenario.budget[s.id][y] - float((x[si, yi] * cost).sum())
                if left > TOL * max(1.0, scenario.budget[s.id][y]):
                    result.unspent.append({"source": s.id, "year": y, "euros": left, "reasons": ["status_quo"]})
    result.violations = violations(scenario, result.allocations)
    result.seconds = time.perf_counter() - started
    return result


def violations(scenario: Scenario, allocations: list[Allocation], *, tol: float = 1e-6) -> list[dict[str, Any]]:
    """Every constraint of the standard model that ``allocations`` break (an independent check of a result)."""
    out: list[dict[str, Any]] = []
    cells = scenario.cells
    by_cell: dict[int, float] = defaultdict(float)
    by_cell_year: dict[tuple[int, int], float] = defaultdict(float)
    spent: dict[tuple[str, int], float] = defaultdict(float)
    by_province: dict[str, float] = defaultdict(float)
    total = 0.0
    for a in allocations:
        c = cells[a.cell]
        if a.participants < -tol:
            out.append({"constraint": "sign", "cell": c.as_key_dict(), "source": a.source, "year": a.year})
        if c.target not in scenario.source(a.source).targets:
            out.append({"constraint": "eligibility", "cell": c.as_key_dict(), "source": a.source})
        by_cell[a.cell] += a.participants
        by_cell_year[(a.cell, a.year)] += a.participants
        spent[(a.source, a.year)] += a.participants * c.cost
        by_province[c.province] += a.participants
        total += a.participants

    def over(value: float, limit: float) -> bool:
        return value > limit + tol * max(1.0, abs(limit))

    for i, v in by_cell.items():
        if over(v, cells[i].need):
            out.append({"constraint": "need", "cell": cells[i].as_key_dict(), "value": v, "limit": cells[i].need})
    for (i, y), v in by_cell_year.items():
        cap = (cells[i].capacity or {}).get(y)
        if cap is not None and over(v, cap):
            out.append({"constraint": "capacity", "cell": cells[i].as_key_dict(), "year": y, "value": v,
                        "limit": cap})
    carry = {s.id: s.carry_over for s in scenario.sources}
    for s in scenario.sources:
        available = 0.0
        for y in scenario.years:
            available = scenario.budget.get(s.id, {}).get(y, 0.0) + carry[s.id] * available
            used = spent.get((s.id, y), 0.0)
            if over(used, available):
                out.append({"constraint": "budget", "source": s.id, "year": y, "value": used, "limit": available})
            available = max(0.0, available - used) if carry[s.id] else 0.0
    for p, share in scenario.floor.items():
        if by_province.get(p, 0.0) < share * total - tol * max(1.0, total):
            out.append({"constraint": "floor", "province": p, "value": by_province.get(p, 0.0),
                        "limit": share * total})
    for p, m in scenario.minimum.items():
        if by_province.get(p, 0.0) < m - tol * max(1.0, m):
            out.append({"constraint": "minimum", "province": p, "value": by_province.get(p, 0.0), "limit": m})
    return out
