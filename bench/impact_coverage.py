"""Coverage and bias of the impact estimators on simulations with a known effect (regia.monitoring.simulation).

For each effect size and seed: simulate, estimate every method, compare with the true ATT of the simulation
(``true_att`` of the manifest). Prints, per effect × outcome × method: mean bias, RMSE, the share of 95%
intervals that cover the truth, and the mean interval width.

    python bench/impact_coverage.py                                 # fast mode: 50 seeds, effects 0.08, 0, -0.05
    python bench/impact_coverage.py --mode full --runs 10           # through the commands, end to end
    python bench/impact_coverage.py --effects 0.1 --persons 1000 --outcomes employed_12m,days_worked_12m

``fast`` builds the analysis dataset in memory from the simulated monthly statuses (what the ingest of the CO
events reconstructs exactly: tests/test_monitoring_simulation.py) and the participations and registrations
read from the simulated files by the ingest's validators. ``full`` runs ``regia demo-data outcomes --seed N
--effect X --persons P --json`` and ``regia impact estimate --outcome O --method M --json`` in a throw-away
database, as an independent check would.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

METHODS = ("naive", "psm", "ipw", "did", "cs")


def fast_run(seed: int, effect: float, persons: int, outcomes: list[str], methods: list[str], bootstrap: int,
             tmp: Path) -> list[tuple[str, str, float, float, float, float]]:
    from pydantic import SecretStr

    from regia.auth.settings import AuthSettings
    from regia.monitoring import impact, simulation
    from regia.monitoring.identity import Identities

    ids = Identities(AuthSettings(pseudonym_key=SecretStr("bench-" + "k" * 32)))
    manifest = simulation.generate(tmp / f"s{seed}", seed=seed, effect=effect, persons=persons, events=False)
    ds = simulation.in_memory_dataset(manifest, ids)
    out = []
    for outcome in outcomes:
        for method in methods:
            est = impact.estimate(ds, outcome=outcome, method=method, bootstrap=bootstrap)
            out.append((outcome, method, manifest.true_att[outcome], est.att, est.ci[0], est.ci[1]))
    return out


def full_run(seed: int, effect: float, persons: int, outcomes: list[str], methods: list[str], bootstrap: int,
             tmp: Path) -> list[tuple[str, str, float, float, float, float]]:
    regia = str(Path(sys.executable).with_name("regia"))
    env = {**os.environ, "REGIA_DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}", "REGIA_DATA_DIR": str(tmp / "var")}
    manifest = json.loads(subprocess.run(
        [regia, "demo-data", "outcomes", "--seed", str(seed), "--effect", str(effect), "--persons", str(persons),
         "--json", "--quiet"], env=env, check=True, capture_output=True, text=True).stdout)
    out = []
    for outcome in outcomes:
        for method in methods:
            est = json.loads(subprocess.run(
                [regia, "impact", "estimate", "--outcome", outcome, "--method", method, "--bootstrap",
                 str(bootstrap), "--json"], env=env, check=True, capture_output=True, text=True).stdout)
            out.append((outcome, method, manifest["true_att"][outcome], est["att"], *est["ci"]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=("fast", "full"), default="fast")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--effects", default="0.08,0,-0.05")
    parser.add_argument("--persons", type=int, default=2000)
    parser.add_argument("--outcomes", default="employed_12m,days_worked_12m")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--bootstrap", type=int, default=199)
    args = parser.parse_args()
    outcomes, methods = args.outcomes.split(","), args.methods.split(",")
    run = fast_run if args.mode == "fast" else full_run
    started = time.time()
    print(f"mode {args.mode}, {args.runs} seeds from {args.first_seed}, {args.persons} persons, "
          f"bootstrap {args.bootstrap}")
    print(f"{'effect':>7} {'outcome':16} {'method':6} {'bias':>9} {'rmse':>8} {'cover':>6} {'width':>8}")
    for effect in (float(e) for e in args.effects.split(",")):
        results: dict[tuple[str, str], list[tuple[float, bool, float]]] = {}
        for seed in range(args.first_seed, args.first_seed + args.runs):
            with tempfile.TemporaryDirectory() as tmp:
                for outcome, method, truth, att, lo, hi in run(seed, effect, args.persons, outcomes, methods,
                                                               args.bootstrap, Path(tmp)):
                    results.setdefault((outcome, method), []).append((att - truth, lo <= truth <= hi, hi - lo))
            covered = ", ".join(f"{o}/{m} {sum(r[1] for r in rows)}/{len(rows)}" for (o, m), rows in results.items())
            print(f"  effect {effect:g}, seed {seed} done ({time.time() - started:.0f} s): covered {covered}",
                  file=sys.stderr, flush=True)
        for (outcome, method), rows in results.items():
            a = np.array(rows, dtype=float)
            print(f"{effect:7.3f} {outcome:16} {method:6} {a[:, 0].mean():+9.4f} {np.sqrt((a[:, 0] ** 2).mean()):8.4f}"
                  f" {a[:, 1].mean():6.2f} {a[:, 2].mean():8.4f}", flush=True)
    print(f"elapsed {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
