"""Benchmark of the allocation optimiser (regia.programming.optimiser) at Lombardy and Italy scale.

    .venv/bin/python bench/programming_optimise.py --scale lombardy     # 12 × 4 × 40 cells, 6 sources, 3 years
    .venv/bin/python bench/programming_optimise.py --scale italy        # 107 × 4 × 100 cells, 12 sources, 3 years
    .venv/bin/python bench/programming_optimise.py --scale italy --dense  # every source funds every target

Each scale runs in a process of its own (peak memory is that process's maximum resident set). Synthetic data,
seeded: needs log-normal per cell, costs 300–3,000 € per participant, digital and green areas weighted 1.5,
seats for 70% of the cells, budgets about 45% of what covering every need would cost, a floor per province at
half its share of the need. Printed: variables, constraints, time to build the model, to solve it (HiGHS; wall
clock and the process's CPU time, which a shared machine does not inflate), the status quo split, peak memory,
the weighted need covered by each and their ratio.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np

SCALES = {"lombardy": (12, 4, 40, 6), "italy": (107, 4, 100, 12)}
TARGETS = ("occupati", "sospesi", "disoccupati", "inattivi")
YEARS = (2026, 2027, 2028)


def sources(n: int, dense: bool) -> list[dict]:
    public = [("regional", list(TARGETS)), ("fse-p1", ["disoccupati", "inattivi"]),
              ("gol", ["disoccupati", "inattivi"])]
    if n > 6:
        public.append(("fse-p2", ["disoccupati", "inattivi", "sospesi"]))
    funds = [(f"fund-{k + 1}", ["occupati", "sospesi"] if k % 2 == 0 else ["occupati"]) for k in range(n - len(public))]
    return [{"id": sid, "targets": list(TARGETS) if dense else targets} for sid, targets in public + funds]


def document(scale: str, dense: bool, seed: int = 7) -> dict:
    provinces, targets, areas, n_sources = SCALES[scale]
    rng = np.random.default_rng(seed)
    cells = []
    for p in range(provinces):
        for t in TARGETS[:targets]:
            for a in range(areas):
                cell = {"province": f"P{p:03d}", "target": t, "area": f"area{a:03d}",
                        "need": float(np.round(rng.lognormal(3.0, 1.0))), "cost": float(rng.integers(300, 3000)),
                        "weight": 1.5 if a < areas // 5 else 1.0}
                if rng.random() < 0.7:
                    cell["capacity"] = {str(y): float(rng.integers(0, 60)) for y in YEARS}
                cells.append(cell)
    srcs = sources(n_sources, dense)
    cost_of_need = sum(c["need"] * c["cost"] for c in cells)
    share = rng.dirichlet(np.ones(len(srcs)))
    budget = {s["id"]: {str(y): float(round(0.45 * cost_of_need * share[i] / len(YEARS), 2)) for y in YEARS}
              for i, s in enumerate(srcs)}
    need_by_p: dict[str, float] = {}
    for c in cells:
        need_by_p[c["province"]] = need_by_p.get(c["province"], 0.0) + c["need"]
    total = sum(need_by_p.values())
    floor = {p: round(0.5 * v / total, 6) for p, v in need_by_p.items()}
    return {"name": f"bench-{scale}{'-dense' if dense else ''}", "years": list(YEARS), "sources": srcs,
            "budget": budget, "cells": cells, "floor": floor}


def run(scale: str, dense: bool, solver: str, solve: bool = True, extra: dict | None = None) -> dict:
    from regia.programming import optimiser
    from regia.programming.scenario import parse

    doc = document(scale, dense)
    t0 = time.perf_counter()
    scenario = parse(doc)
    t1 = time.perf_counter()
    model = optimiser.build(scenario)
    t2 = time.perf_counter()
    size = {"variables": model.n_x, "constraints": len(model.rows), "nonzeros": len(model.lp.a_matrix_.value_)}
    del model
    if not solve:  # model size, build time and the status quo only
        base = optimiser.status_quo(scenario)
        return {"scale": scale, "dense": dense, "cells": len(scenario.cells), **size,
                "parse_s": round(t1 - t0, 2), "build_s": round(t2 - t1, 2),
                "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                "coverage_status_quo": round(base.totals()["coverage"], 4)}
    cpu = time.process_time()
    options = {**({"solver": solver} if solver != "choose" else {}), **(extra or {})}
    result = optimiser.solve(scenario, highs_options=options or None)
    t3 = time.perf_counter()
    solve_cpu = time.process_time() - cpu
    base = optimiser.status_quo(scenario)
    t4 = time.perf_counter()
    opt_cov, base_cov = result.totals()["coverage"], base.totals()["coverage"]
    return {"scale": scale, "dense": dense, "solver": solver, "highs": extra or {}, "cells": len(scenario.cells),
            **size,
            "candidate_triples": len(scenario.cells) * len(scenario.sources) * len(scenario.years),
            "status": result.status,
            "objective": result.objective, "parse_s": round(t1 - t0, 2), "build_s": round(t2 - t1, 2),
            "solve_s": round(t3 - t2, 2), "solve_cpu_s": round(solve_cpu, 2), "status_quo_s": round(t4 - t3, 2),
            "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "coverage_optimised": round(opt_cov, 4), "coverage_status_quo": round(base_cov, 4),
            "ratio": round(opt_cov / base_cov, 3) if base_cov else None,
            "status_quo_violations": len(base.violations)}


def _option(value: str) -> bool | int | float | str:
    """A HiGHS option's value from the command line: a number when it reads as one, else the text."""
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=[*SCALES, "all"], default="all")
    parser.add_argument("--dense", action="store_true", help="every source funds every target (≈1.5M variables)")
    parser.add_argument("--solver", default="choose", help="HiGHS solver: choose, simplex, ipm, pdlp")
    parser.add_argument("--highs", action="append", default=[], metavar="OPTION=VALUE",
                        help="a HiGHS option, e.g. run_crossover=off (repeatable)")
    parser.add_argument("--no-solve", action="store_true", help="model size, build time and status quo only")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        extra = {}
        for item in args.highs:
            name, _, value = item.partition("=")
            extra[name] = _option(value)
        print(json.dumps(run(args.scale, args.dense, args.solver, solve=not args.no_solve, extra=extra)))
        return
    for scale in (SCALES if args.scale == "all" else [args.scale]):
        cmd = [sys.executable, __file__, "--scale", scale, "--solver", args.solver, "--child"]
        cmd += ["--dense"] if args.dense else []
        cmd += ["--no-solve"] if args.no_solve else []
        cmd += [f"--highs={item}" for item in args.highs]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        print(out.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
