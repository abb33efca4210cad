"""Saved scenarios: named and versioned, imported and exported as JSON, built from Regia's own data, optimised,
compared with each other and with the status quo, and turned into a plan's annual tranches in one step.

Built from Regia's data (:func:`build`):

- needs: the needs provider (``regia.analytics.programming_needs`` hands it over: posting groups per province and
  skill area) split over the target groups by ``target_shares`` (default :data:`TARGET_SHARES`);
- costs and seats: the catalogue's editions per province, target, area and year
  (:func:`regia.catalog.service.edition_supply`); the catalogue's ``disoccupati`` editions also serve the
  inactive; a cell the catalogue offers nothing for is priced at :data:`STANDARD_COST` and has no seat limit
  (a Fund notice or a regional call commissions new editions);
- budgets: the planned tranches of the chosen plans per source and year, else the sources' envelopes;
- weights: 1.5 for digital and green areas, 1 otherwise (:data:`AREA_WEIGHTS`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from decimal import ROUND_DOWN, Decimal
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from regia.auth import audit
from regia.auth.errors import Conflict, Forbidden, InvalidInput, NotFound
from regia.auth.policy import READ, WRITE, Resource, can
from regia.auth.principal import Principal
from regia.i18n import N_
from regia.programming import optimiser, service
from regia.programming.models import AREAS, TARGETS, FundingSource, Plan, PlanLine, SavedScenario, Tranche
from regia.programming.scenario import Scenario, ScenarioError, parse

NeedsProvider = Callable[[Sequence[str] | None], dict[tuple[str, str], int]]
TARGET_SHARES = {"occupati": 0.45, "sospesi": 0.10, "disoccupati": 0.30, "inattivi": 0.15}
AREA_WEIGHTS = {"digital": 1.5, "green": 1.5, "transversal": 1.0, "sector": 1.0}
STANDARD_COST = 600.0  # € per participant where the catalogue has no edition (40 hours at 15 €)
CATALOGUE_TARGETS = {"occupati": ("occupati",), "sospesi": ("sospesi",), "disoccupati": ("disoccupati", "inattivi")}
CHANNEL_OF_KIND = {"regional": "regional_call", "fse_plus": "catalogue_voucher", "gol": "catalogue_voucher",
                   "fund_system": "fund_notice", "fund_training": "fund_notice"}


def _reader(principal: Principal) -> None:
    if not can(principal, READ, Resource.PROGRAMMING_SCENARIO):
        raise Forbidden("only Region staff and analysts read scenarios", key=N_("programming.err.region_only"))


def _writer(principal: Principal) -> None:
    if not can(principal, WRITE, Resource.PROGRAMMING_SCENARIO):
        raise Forbidden("only Region staff save scenarios", key=N_("programming.err.region_only"))


def save(session: Session, *, actor: Principal, document: dict[str, Any], plan_id: int | None = None,
         run: bool = True) -> SavedScenario:
    """Store a scenario (checked first); under a name already used it becomes the next version. With ``run``
    the optimisation and the status quo are stored with it."""
    _writer(actor)
    scenario = parse(document)
    last = session.scalar(select(func.max(SavedScenario.version)).where(SavedScenario.name == scenario.name)) or 0
    row = SavedScenario(name=scenario.name, version=last + 1, body=scenario.to_json(), plan_id=plan_id,
                        created_by=actor.label)
    if run:
        row.result = optimiser.solve(scenario).to_json()
        row.baseline = optimiser.status_quo(scenario).to_json()
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="save", resource_type="programming_scenario", resource_id=row.id,
                 after={"name": row.name, "version": row.version, "status": (row.result or {}).get("status")})
    return row


def get(session: Session, *, principal: Principal, id: int) -> SavedScenario:
    _reader(principal)
    row = session.get(SavedScenario, id) if 0 < id <= service.MAX_ID else None
    if row is None:
        raise NotFound(f"no scenario {id}", key=N_("programming.err.not_found"))
    return row


def list_scenarios(session: Session, *, principal: Principal) -> Sequence[SavedScenario]:
    _reader(principal)
    return session.scalars(select(SavedScenario).order_by(SavedScenario.name, SavedScenario.version.desc())).all()


def run(session: Session, *, actor: Principal, id: int, integer: bool = False) -> SavedScenario:
    """Optimise a saved scenario again (e.g. with whole participants) and keep the answer."""
    _writer(actor)
    row = get(session, principal=actor, id=id)
    scenario = parse(row.body)
    row.result = optimiser.solve(scenario, integer=integer or None).to_json()
    row.baseline = optimiser.status_quo(scenario).to_json()
    session.flush()
    return row


# --- from Regia's data ---------------------------------------------------------------------------------------

def _budget(session: Session, plan_ids: Sequence[int], years: Sequence[int]) -> dict[int, dict[int, Decimal]]:
    out: dict[int, dict[int, Decimal]] = defaultdict(dict)
    if plan_ids:
        for source_id, year, amount in session.execute(
                select(Tranche.source_id, Tranche.year, func.sum(Tranche.planned))
                .join(PlanLine, PlanLine.id == Tranche.line_id).where(PlanLine.plan_id.in_(plan_ids))
                .group_by(Tranche.source_id, Tranche.year)):
            if year in years:
                out[source_id][year] = Decimal(amount or 0)
    if not out:
        for source in session.scalars(select(FundingSource)):
            for e in source.envelopes:
                if e.year in years:
                    out[source.id][e.year] = Decimal(e.amount)
    return out


def build(session: Session, engine: Engine, *, principal: Principal, name: str, years: Sequence[int],
          needs: NeedsProvider, plan_ids: Sequence[int] = (), provinces: Sequence[str] | None = None,
          target_shares: dict[str, float] | None = None, weights: dict[str, float] | None = None,
          hourly_cost: float = 15.0) -> Scenario:
    """A scenario document from Regia's own data (see the module's documentation)."""
    from regia.catalog import service as catalog

    _reader(principal)
    for pid in plan_ids:
        service.get_plan(session, principal=principal, id=pid)
    shares = {**TARGET_SHARES, **(target_shares or {})}
    area_weight = {**AREA_WEIGHTS, **(weights or {})}
    years = sorted(set(years))
    demand = needs(list(provinces) if provinces else None)
    supply: dict[tuple[str, str, str], dict[int, tuple[float, float]]] = defaultdict(dict)
    for row in catalog.edition_supply(engine, years=years, hourly_cost=hourly_cost):
        for target in CATALOGUE_TARGETS.get(row["target"], ()):
            held = supply[(row["nuts3"], target, row["area"])].get(row["year"], (0.0, 0.0))
            supply[(row["nuts3"], target, row["area"])][row["year"]] = (held[0] + row["seats"],
                                                                        held[1] + row["seats"] * row["cost"])
    budget = _budget(session, plan_ids, years)
    sources = [s for s in session.scalars(select(FundingSource).order_by(FundingSource.code)) if s.id in budget]
    cells = []
    for (nuts3, area), n in sorted(demand.items()):
        if area not in AREAS:
            continue
        for target in TARGETS:
            need = round(n * shares.get(target, 0.0))
            if need <= 0:
                continue
            by_year = supply.get((nuts3, target, area), {})
            seats = sum(v[0] for v in by_year.values())
            cost = (sum(v[1] for v in by_year.values()) / seats) if seats else STANDARD_COST
            cell: dict[str, Any] = {"province": nuts3, "target": target, "area": area, "need": need,
                                    "weight": area_weight.get(area, 1.0), "cost": round(max(cost, 1.0), 2)}
            if by_year:
                cell["capacity"] = {str(y): v[0] for y, v in sorted(by_year.items())}
            cells.append(cell)
    if not cells:
        raise InvalidInput("no needs to programme: ingest postings first (the mismatch is empty)", field="needs",
                           key=N_("programming.err.no_needs"))
    if not sources:
        raise InvalidInput("no budget: the plans have no tranches and the sources no envelopes for these years",
                           field="plans", key=N_("programming.err.no_budget"))
    document = {"name": name, "years": years,
                "sources": [{"id": s.code, "name": s.name, "targets": list(s.targets)} for s in sources],
                "budget": {s.code: {str(y): float(v) for y, v in sorted(budget[s.id].items())} for s in sources},
                "cells": cells,
                "description": "Built from Regia's data: needs from the mismatch, costs and seats from the "
                               "catalogue's editions, budgets from the plans."}
    return parse(document)


# --- one step to a plan's tranches ------------------------------------------------------------------------------

def apply_to_plan(session: Session, *, actor: Principal, id: int, plan_id: int) -> Plan:
    """The optimised allocation of a saved scenario as the plan's tranches: for every (cell, source, year) the
    line of that territory, target and area (created when the plan has none), its planned euros (cents rounded
    down) and participants; the line's cost that year is raised to what its sources fund. The tranches of the
    scenario's sources in the scenario's years are replaced; every other tranche stays. The plan's rules are
    checked as on any save (:class:`regia.programming.service.PlanRulesBroken`)."""
    _writer(actor)
    row = get(session, principal=actor, id=id)
    result = row.result or {}
    if result.get("status") != optimiser.OPTIMAL:
        raise Conflict("only an optimal scenario becomes tranches", field="scenario",
                       key=N_("programming.err.not_optimal"))
    plan = service.get_plan(session, principal=actor, id=plan_id)
    codes = {s.code: s for s in session.scalars(select(FundingSource))}
    scenario = parse(row.body)
    unknown = sorted({s.id for s in scenario.sources} - set(codes))
    if unknown:
        raise InvalidInput(f"the scenario's sources {', '.join(unknown)} are not Regia's funding sources",
                           field="sources", key=N_("programming.err.unknown_sources"),
                           params={"sources": ", ".join(unknown)})
    lines = {(ln.territory, ln.target, ln.area): service.line_json(ln) for ln in plan.lines}
    tranches = [{"line": ln.code, "source": t.source.code, "year": t.year, "planned": str(t.planned),
                 "committed": str(t.committed)} for ln in plan.lines for t in ln.tranches
                if not (t.source.code in {s.id for s in scenario.sources} and t.year in scenario.years)]
    amounts: dict[tuple[tuple[str, str, str], str, int], list[Decimal]] = defaultdict(lambda: [Decimal(0),
                                                                                               Decimal(0)])
    for a in result.get("allocations", []):
        key = (a["cell"]["province"], a["cell"]["target"], a["cell"]["area"])
        euros = Decimal(str(a["euros"])).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
        if euros <= 0:
            continue
        held = amounts[(key, a["source"], int(a["year"]))]
        held[0] += euros
        held[1] += Decimal(str(a["participants"]))
    n = len(plan.lines)
    for (key, source, year), (euros, participants) in sorted(amounts.items()):
        line = lines.get(key)
        if line is None:
            n += 1
            province, target, area = key
            line = lines[key] = {"code": f"S{n}", "title": f"{area} · {target} · {province}", "area": area,
                                 "target": target, "territory": province,
                                 "channel": CHANNEL_OF_KIND[codes[source].kind], "indicators": [], "cost": {},
                                 "participants": {}}
        tranches.append({"line": line["code"], "source": source, "year": year, "planned": str(euros),
                         "committed": "0"})
        line["participants"][str(year)] = float(line["participants"].get(str(year), 0)) + float(participants)
    funded: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    for t in tranches:
        funded[(t["line"], int(t["year"]))] += Decimal(t["planned"])
    for line in lines.values():
        for (code, year), total in funded.items():
            if code == line["code"] and Decimal(str(line["cost"].get(str(year), 0))) < total:
                line["cost"][str(year)] = str(total)
    saved = service.save_plan(session, actor=actor, plan_id=plan.id, version=plan.version,
                              lines=list(lines.values()), tranches=tranches)
    audit.record(session, actor=actor, action="apply_scenario", resource_type="programming_plan",
                 resource_id=plan.id, after={"scenario_id": row.id, "name": row.name, "version": row.version})
    return saved


# --- comparison ---------------------------------------------------------------------------------------------------

def compare(session: Session, *, principal: Principal, ids: Sequence[int]) -> dict[str, Any]:
    """Scenarios side by side, each with its status quo: participants per target and province, coverage of
    need, euros per source; ``series`` are the long-form rows the charts read."""
    rows = [get(session, principal=principal, id=i) for i in ids]
    columns: list[dict[str, Any]] = []
    for row in rows:
        scenario = parse(row.body)
        for label, answer in ((f"{row.name} v{row.version}", row.result), (f"{row.name} v{row.version} · status quo",
                                                                          row.baseline)):
            if not answer or answer.get("status") != optimiser.OPTIMAL:
                columns.append({"id": row.id, "label": label, "status": (answer or {}).get("status", "not_run"),
                                "message": (answer or {}).get("message", "")})
                continue
            totals = answer.get("totals") or _totals(scenario, answer)
            columns.append({"id": row.id, "label": label, "status": answer["status"],
                            "objective": answer["objective"], "method": answer.get("method", "optimised"),
                            "totals": totals})
    series = []
    for col in columns:
        totals = col.get("totals")
        if not totals:
            continue
        for dim in ("target", "province"):
            for key, value in totals[f"by_{dim}"].items():
                series.append({"scenario": col["label"], "dimension": dim, "key": key, "participants": value})
        for key, value in totals["euros_by_source"].items():
            series.append({"scenario": col["label"], "dimension": "source", "key": key, "euros": value})
        for key, need in totals["need_by_province"].items():
            got = totals["by_province"].get(key, 0.0)
            series.append({"scenario": col["label"], "dimension": "coverage", "key": key,
                           "coverage": min(1.0, got / need) if need else 0.0})
    return {"columns": columns, "series": series}


def _totals(scenario: Scenario, answer: dict[str, Any]) -> dict[str, Any]:
    index = {c.key: i for i, c in enumerate(scenario.cells)}
    allocations = [optimiser.Allocation(cell=index[(a["cell"]["province"], a["cell"]["target"], a["cell"]["area"])],
                                        source=a["source"], year=a["year"], participants=a["participants"],
                                        euros=a["euros"]) for a in answer.get("allocations", [])]
    return optimiser.Result(scenario=scenario, status=answer["status"], allocations=allocations).totals()


def import_document(session: Session, *, actor: Principal, text: str | bytes) -> SavedScenario:
    """A shared scenario file (JSON) saved as the next version of its name."""
    import json

    try:
        document = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ScenarioError([("$", f"not JSON: {exc}")]) from None
    return save(session, actor=actor, document=document)
