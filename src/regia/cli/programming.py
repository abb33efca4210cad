"""`regia programming optimise SCENARIO.json` and `regia demo-data programming`."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from regia.cli.common import console, engine, err, fail, print_json

app = typer.Typer(no_args_is_help=True, help="Joint programming of the Region and the Funds: the optimiser.")
EXIT_INFEASIBLE = 2


@app.command("optimise")
def optimise(
    scenario_file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                                         help="Scenario JSON (format: src/regia/programming/README.md)"),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON (the documented contract)"),
    integer: bool = typer.Option(False, "--integer", help="Whole participants (a MIP instead of the LP)"),
    status_quo: bool = typer.Option(False, "--status-quo", help="Also compute the status-quo split (baseline)"),
    limit: int = typer.Option(30, "--limit", min=1, help="Allocation rows shown in the summary"),
) -> None:
    """Optimise a scenario with HiGHS. Exit code 0: optimal; 2: infeasible (the constraints in conflict are
    named); 1: the file is not a valid scenario."""
    from regia.programming import optimiser
    from regia.programming.scenario import ScenarioError, loads

    try:
        scenario = loads(scenario_file.read_bytes())
    except ScenarioError as exc:
        if as_json:
            print_json({"status": "invalid", "problems": [{"path": p, "message": m} for p, m in exc.problems]})
        raise fail(f"{scenario_file}: {exc.detail}") from None
    result = optimiser.solve(scenario, integer=integer or None)
    baseline = optimiser.status_quo(scenario) if status_quo else None
    if as_json:
        out = result.to_json()
        if baseline is not None:
            out["status_quo"] = baseline.to_json()
        print_json(out)
    else:
        _summary(result, baseline, limit)
    if result.status != optimiser.OPTIMAL:
        err.print(f"[red]{result.status}:[/red] {result.message}")
        raise typer.Exit(EXIT_INFEASIBLE)


def _summary(result, baseline, limit: int) -> None:  # type: ignore[no-untyped-def]
    scenario = result.scenario
    console.print(f"[bold]{scenario.name}[/bold]: {result.status}"
                  + (f", objective {result.objective:,.4f} weighted participants" if result.optimal else ""))
    if not result.optimal:
        for c in result.conflicts:
            console.print(f"  in conflict: {c['label']}")
        for s in result.shortfalls:
            console.print(f"  minimum of {s['province']}: {s['minimum']:g} asked, at most {s['reachable']:g} "
                          "reachable")
        return
    totals = result.totals()
    console.print(f"{totals['participants']:,.1f} participants, {totals['euros']:,.2f} € allocated; weighted need "
                  f"covered {totals['coverage']:.2%} ({result.variables} variables, {result.constraints} "
                  f"constraints, {result.seconds:.3f} s)")
    if baseline is not None:
        base = baseline.totals()
        ratio = totals["coverage"] / base["coverage"] if base["coverage"] else float("inf")
        console.print(f"status quo: objective {baseline.objective:,.4f}, weighted need covered "
                      f"{base['coverage']:.2%}; optimised / status quo = {ratio:.3f}")
    table = Table(title="Allocation (largest first)")
    for name in ("province", "target", "area", "source", "year", "participants", "euros"):
        table.add_column(name, justify="right" if name in ("participants", "euros") else "left")
    for a in sorted(result.allocations, key=lambda a: -a.euros)[:limit]:
        c = scenario.cells[a.cell]
        table.add_row(c.province, c.target, c.area, a.source, str(a.year), f"{a.participants:,.2f}",
                      f"{a.euros:,.2f}")
    console.print(table)
    duals = Table(title="Shadow prices: weighted participants per extra euro (" + result.duals_from + ")")
    duals.add_column("source")
    duals.add_column("year")
    duals.add_column("dual", justify="right")
    for source, years in result.duals.items():
        for year, value in years.items():
            duals.add_row(source, year, f"{value:.6g}")
    console.print(duals)
    kinds: dict[str, int] = {}
    for b in result.binding:
        kinds[b["constraint"]] = kinds.get(b["constraint"], 0) + 1
    console.print("binding: " + (", ".join(f"{k} {n}" for k, n in sorted(kinds.items())) or "none"))
    for b in result.binding:
        if b["constraint"] in ("floor", "minimum"):
            console.print(f"  {b['constraint']} of {b['province']} binds (dual {b['dual']:.6g})")
    for u in result.unspent:
        console.print(f"unspent: {u['source']} {u['year']}: {u['euros']:,.2f} € ({', '.join(u['reasons'])})")


def demo() -> None:
    """Demo agreements of the Region with two Funds, their plans and two scenarios (DEMO ONLY; needs the demo
    accounts: `regia users demo`)."""
    from regia.analytics.programming_needs import make_provider
    from regia.programming.demo_data import ensure_demo_programming

    eng = engine()
    summary = ensure_demo_programming(eng, needs=make_provider(eng))
    console.print("Demo programming: " + json.dumps(summary, ensure_ascii=False))
