"""Speed of the IeFP matching on Lombardy-sized instances (and beyond), with the result checked.

    .venv/bin/python bench/iefp_matching.py [--students 60000] [--places 6000] [--list 8] [--seed 7]

Deferred acceptance: students rank `--list` places drawn with a bias to "near" ones, firms rank every student
who listed them (random order), capacities 1-6. Reports the time to parse and to match, the proposals, the
matched share, and checks there is no blocking pair (`matching.blocking_pairs`). Fit score (HiGHS): a smaller
dense instance (`--fit-students` × `--fit-places`, a score for each of `--fit-list` places per student).
Times are CPU seconds of this process (the machine is shared: wall clock says more about the neighbours)."""

from __future__ import annotations

import argparse
import random
import time

from regia.iefp.matching import assign_by_score, blocking_pairs, deferred_acceptance, parse_instance


def instance(n_students: int, n_places: int, length: int, seed: int) -> dict[str, object]:
    rnd = random.Random(seed)
    pids = [f"P{j}" for j in range(n_places)]
    students = []
    listed: dict[str, list[str]] = {p: [] for p in pids}
    for i in range(n_students):
        home = rnd.randrange(n_places)
        near = [pids[(home + d) % n_places] for d in range(-20, 21)]
        prefs = list(dict.fromkeys(rnd.sample(near, min(length, len(near)))))
        students.append({"id": f"S{i}", "prefs": prefs})
        for p in prefs:
            listed[p].append(f"S{i}")
    places = []
    for p in pids:
        cands = listed[p][:]
        rnd.shuffle(cands)
        places.append({"id": p, "capacity": rnd.randint(1, 6), "prefs": cands[: max(1, int(len(cands) * 0.8))]})
    return {"students": students, "places": places}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--students", type=int, default=60_000)
    ap.add_argument("--places", type=int, default=6_000)
    ap.add_argument("--list", type=int, default=8)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--fit-students", type=int, default=3_000)
    ap.add_argument("--fit-places", type=int, default=600)
    ap.add_argument("--fit-list", type=int, default=30)
    a = ap.parse_args()

    doc = instance(a.students, a.places, a.list, a.seed)
    t0 = time.process_time()
    inst = parse_instance(doc)
    t1 = time.process_time()
    result = deferred_acceptance(inst)
    t2 = time.process_time()
    blocking = blocking_pairs(inst, result.matching)
    t3 = time.process_time()
    matched = sum(p is not None for p in result.matching.values())
    seats = sum(inst.capacities.values())
    print(f"deferred acceptance: {a.students} students x {a.places} places (lists of {a.list}): "
          f"parse {t1 - t0:.2f} CPU-s, match {t2 - t1:.2f} CPU-s ({result.proposals} proposals), "
          f"matched {matched} ({100 * matched / a.students:.1f} %) of {seats} seats, blocking pairs {len(blocking)} "
          f"(checked in {t3 - t2:.2f} CPU-s)")

    rnd = random.Random(a.seed)
    students = [f"S{i}" for i in range(a.fit_students)]
    capacities = {f"P{j}": rnd.randint(1, 4) for j in range(a.fit_places)}
    places = list(capacities)
    scores = {(s, p): round(rnd.random(), 4) for s in students for p in rnd.sample(places, a.fit_list)}
    t4 = time.process_time()
    m = assign_by_score(scores, capacities, students)
    t5 = time.process_time()
    total = sum(scores[(s, p)] for s, p in m.items() if p)
    print(f"fit score (HiGHS): {a.fit_students} students x {a.fit_places} places "
          f"({sum(capacities.values())} seats), {len(scores)} pairs: {t5 - t4:.2f} CPU-s, "
          f"assigned {sum(p is not None for p in m.values())}, total score {total:.2f}")


if __name__ == "__main__":
    main()
