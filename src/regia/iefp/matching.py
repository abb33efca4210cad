"""Matching students to places: student-proposing deferred acceptance, and a fit-score assignment with HiGHS.

This module is pure (ids in, ids out): :mod:`regia.iefp.rounds` builds the instance from the database and adds
commute times and figure fit to the explanations.

**Instance.** ``students: [{id, prefs: [place ids…]}]`` (most preferred first; only the places the student
would accept), ``places: [{id, capacity, prefs: [student ids…]}]`` (the candidates the firm accepts, best
first). An item of a ``prefs`` list may itself be a list: a *tie* (equally preferred). A pair is *acceptable*
when each side lists the other; unacceptable pairs are never matched, so incomplete lists are the normal case.

**Ties** are broken before the algorithm runs, the same way for every list: within a tie, by the ``tie_break``
order of the other side's ids — ``"id"`` (ascending id, the default) or a seeded lottery (``seed``: ids ordered
by SHA-256 of ``"<seed>:<id>"``, one lottery for the whole instance, so that a student is ranked the same way
against the others by every place that ties them). The result is stable for the broken (strict) preferences, hence
weakly stable for the original ones; with ties a student-optimal matching is not unique, and the lottery is what
picks one, reproducibly.

**Deferred acceptance** (Gale and Shapley, 1962; with capacities, Roth 1984): every free student proposes to the
best place on their list that has not rejected them yet; a place keeps the best ``capacity`` students among
those proposing so far (by its list) and rejects the rest, who propose again. The result is stable (no student
and place both prefer each other to what they got), respects capacities, and is the best stable matching for
every student (student-optimal); it does not depend on the order of proposals, and this implementation always
proposes in the same order, so it is deterministic.

**Fit-score mode** (:func:`assign_by_score`): when preferences are not collected, maximise the total fit
score of the assigned pairs, each student at most once, each place at most its capacity (a mixed-integer
programme solved by HiGHS; the constraint matrix is a bipartite incidence matrix, so the linear relaxation is
already integral). The scores come from :mod:`regia.iefp.rounds` (weights in its documentation).
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

TIE_BREAKS = ("id", "lottery")


class InstanceError(ValueError):
    """An instance that cannot be matched: every problem with its path (``students[2].prefs[0]``)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{where}: {what}" for where, what in problems))
        self.problems = problems


@dataclass(frozen=True)
class Instance:
    """Strict preferences (ties already broken): ``students[s]`` and ``places[p]`` are ordered id tuples."""

    students: dict[str, tuple[str, ...]]
    places: dict[str, tuple[str, ...]]
    capacities: dict[str, int]
    tie_break: str = "id"
    seed: str = ""
    ties: int = 0  # how many ties were broken


def _order_key(tie_break: str, seed: str) -> Any:
    if tie_break == "lottery":
        return lambda i: (hashlib.sha256(f"{seed}:{i}".encode()).hexdigest(), i)
    return lambda i: i


def _prefs(raw: Any, where: str, known: Mapping[str, Any], kind: str, problems: list[tuple[str, str]],
           key: Any) -> tuple[tuple[str, ...], int]:
    """A list of ids or ties, flattened with ties broken by ``key``; (ids, number of ties)."""
    if not isinstance(raw, list):
        problems.append((where, "must be a list of ids"))
        return (), 0
    out: list[str] = []
    seen: set[str] = set()
    ties = 0
    for n, item in enumerate(raw):
        group = item if isinstance(item, list) else [item]
        if isinstance(item, list):
            if not item:
                problems.append((f"{where}[{n}]", "an empty tie"))
                continue
            ties += len(item) > 1
        ok = []
        for m, value in enumerate(group):
            at = f"{where}[{n}][{m}]" if isinstance(item, list) else f"{where}[{n}]"
            if not isinstance(value, str | int) or isinstance(value, bool) or str(value) == "":
                problems.append((at, "must be an id (a string)"))
            elif str(value) not in known:
                problems.append((at, f"unknown {kind} {value!r}"))
            elif str(value) in seen:
                problems.append((at, f"{kind} {value!r} listed twice"))
            else:
                seen.add(str(value))
                ok.append(str(value))
        out += sorted(ok, key=key)
    return tuple(out), ties


def parse_instance(data: Any, *, tie_break: str = "id", seed: str = "") -> Instance:
    """An :class:`Instance` from the JSON document (see the module's documentation); every problem is listed
    in one :class:`InstanceError`."""
    problems: list[tuple[str, str]] = []
    if tie_break not in TIE_BREAKS:
        raise InstanceError([("tie_break", f"must be one of {', '.join(TIE_BREAKS)}")])
    if not isinstance(data, dict):
        raise InstanceError([("", "the instance must be an object with students and places")])
    raw_students, raw_places = data.get("students"), data.get("places")
    for name, value in (("students", raw_students), ("places", raw_places)):
        if not isinstance(value, list):
            problems.append((name, "must be a list"))
    if problems:
        raise InstanceError(problems)
    assert isinstance(raw_students, list) and isinstance(raw_places, list)

    def ids(rows: list[Any], name: str) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for n, row in enumerate(rows):
            if not isinstance(row, dict):
                problems.append((f"{name}[{n}]", "must be an object"))
                continue
            value = row.get("id")
            if not isinstance(value, str | int) or isinstance(value, bool) or str(value) == "":
                problems.append((f"{name}[{n}].id", "missing or not an id"))
            elif str(value) in found:
                problems.append((f"{name}[{n}].id", f"{value!r} appears twice"))
            else:
                found[str(value)] = (n, row)
        return found

    students, places = ids(raw_students, "students"), ids(raw_places, "places")
    key = _order_key(tie_break, seed)
    s_prefs: dict[str, tuple[str, ...]] = {}
    p_prefs: dict[str, tuple[str, ...]] = {}
    capacities: dict[str, int] = {}
    ties = 0
    for sid, (n, row) in students.items():
        s_prefs[sid], t = _prefs(row.get("prefs", []), f"students[{n}].prefs", places, "place", problems, key)
        ties += t
    for pid, (n, row) in places.items():
        cap = row.get("capacity")
        if not isinstance(cap, int) or isinstance(cap, bool) or cap < 0:
            problems.append((f"places[{n}].capacity", "must be a whole number ≥ 0"))
            cap = 0
        capacities[pid] = cap
        p_prefs[pid], t = _prefs(row.get("prefs", []), f"places[{n}].prefs", students, "student", problems, key)
        ties += t
    if problems:
        raise InstanceError(problems)
    return Instance(s_prefs, p_prefs, capacities, tie_break, seed, ties)


@dataclass
class Result:
    matching: dict[str, str | None]
    unmatched: list[str]
    why: dict[str, dict[str, Any]] = field(default_factory=dict)  # unmatched student -> reason and details
    explanations: dict[str, dict[str, Any]] = field(default_factory=dict)  # matched student -> why this place
    vacancies: dict[str, int] = field(default_factory=dict)  # place -> seats left
    proposals: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"matching": dict(self.matching), "unmatched": list(self.unmatched), "why": self.why,
                "explanations": self.explanations, "vacancies": self.vacancies}


def _ranks(prefs: Mapping[str, Sequence[str]]) -> dict[str, dict[str, int]]:
    return {k: {x: r for r, x in enumerate(v)} for k, v in prefs.items()}


def deferred_acceptance(instance: Instance) -> Result:
    """Student-proposing deferred acceptance with capacities (see the module's documentation)."""
    place_rank = _ranks(instance.places)
    nxt = dict.fromkeys(instance.students, 0)
    held: dict[str, list[tuple[int, str]]] = {p: [] for p in instance.places}  # max-heap by rank: (-rank, s)
    free = sorted(instance.students, reverse=True)  # a stack: the smallest id proposes first
    proposals = 0
    while free:
        s = free.pop()
        prefs = instance.students[s]
        while nxt[s] < len(prefs):
            p = prefs[nxt[s]]
            nxt[s] += 1
            r = place_rank[p].get(s)
            if r is None or instance.capacities[p] == 0:
                continue  # unacceptable to the place, or no seats: a rejection without holding
            proposals += 1
            heap = held[p]
            if len(heap) < instance.capacities[p]:
                heapq.heappush(heap, (-r, s))
                break
            if -heap[0][0] > r:  # the place prefers s to the worst student it holds
                _, out = heapq.heapreplace(heap, (-r, s))
                free.append(out)
                break
        # a student who ran out of list stays unmatched
    matching: dict[str, str | None] = dict.fromkeys(sorted(instance.students))
    for p, heap in held.items():
        for _, s in heap:
            matching[s] = p
    result = Result(matching=matching, unmatched=[s for s, p in matching.items() if p is None],
                    vacancies={p: instance.capacities[p] - len(held[p]) for p in sorted(instance.places)},
                    proposals=proposals)
    explain(instance, result)
    return result


def _refusal(instance: Instance, place_rank: dict[str, dict[str, int]], cutoff: dict[str, int], s: str,
             p: str) -> dict[str, Any]:
    """Why student ``s`` does not hold place ``p`` (which they listed): read off the final matching
    (``cutoff``: the place's rank of the last student it admitted)."""
    r = place_rank[p].get(s)
    if r is None:
        return {"place": p, "reason": "not_ranked_by_place"}
    if instance.capacities[p] == 0:
        return {"place": p, "reason": "no_seats"}
    last = cutoff.get(p)
    return {"place": p, "reason": "filled_by_preferred", "capacity": instance.capacities[p],
            "student_rank_at_place": r + 1, "last_admitted_rank": None if last is None else last + 1}


def explain(instance: Instance, result: Result) -> None:
    """Fill ``result.why`` (unmatched students) and ``result.explanations`` (assigned ones) from the final
    matching: the rank each side gave the other, and for every place a student preferred, why it is not theirs."""
    place_rank = _ranks(instance.places)
    cutoff: dict[str, int] = {}
    for s, p in result.matching.items():
        if p is not None:
            cutoff[p] = max(cutoff.get(p, -1), place_rank[p][s])
    for s in sorted(instance.students):
        prefs = instance.students[s]
        p = result.matching.get(s)
        if p is None:
            if not prefs:
                result.why[s] = {"reason": "empty_list", "places": []}
                continue
            refusals = [_refusal(instance, place_rank, cutoff, s, q) for q in prefs]
            reasons = {x["reason"] for x in refusals}
            reason = ("not_ranked_by_any" if reasons == {"not_ranked_by_place"}
                      else "outranked" if "filled_by_preferred" in reasons else "no_acceptable_place")
            result.why[s] = {"reason": reason, "places": refusals}
            continue
        k = prefs.index(p)
        result.explanations[s] = {
            "place": p, "student_rank": k + 1, "listed": len(prefs), "place_rank": place_rank[p][s] + 1,
            "preferred": [_refusal(instance, place_rank, cutoff, s, q) for q in prefs[:k]]}


def blocking_pairs(instance: Instance, matching: Mapping[str, str | None]) -> list[tuple[str, str]]:
    """Acceptable pairs (s, p) that would both rather be together: s prefers p to its place (or has none) and
    p has a free seat or holds someone it ranks below s. Empty for a stable matching."""
    s_rank, p_rank = _ranks(instance.students), _ranks(instance.places)
    holders: dict[str, list[str]] = {}
    for s, p in matching.items():
        if p is not None:
            holders.setdefault(p, []).append(s)
    out = []
    for s, prefs in instance.students.items():
        current = matching.get(s)
        limit = s_rank[s][current] if current is not None else len(prefs)
        for p in prefs[:limit]:
            r = p_rank[p].get(s)
            if r is None or instance.capacities[p] == 0:
                continue
            held = holders.get(p, [])
            if len(held) < instance.capacities[p] or any(p_rank[p][x] > r for x in held):
                out.append((s, p))
    return out


# --- fit-score mode ----------------------------------------------------------------------------------------

def _solver() -> Any:
    """A HiGHS instance. The bare pybind11 class when present: ``highspy.Highs`` enables its callbacks on
    creation, which prints HiGHS's banner on standard output before any option can turn it off (and would
    spoil ``regia iefp match --json``)."""
    try:
        from highspy._core import _Highs

        return _Highs()
    except ImportError:  # pragma: no cover - another highspy layout
        import highspy

        return highspy.Highs()


def assign_by_score(scores: Mapping[tuple[str, str], float], capacities: Mapping[str, int],
                    students: Sequence[str]) -> dict[str, str | None]:
    """The assignment that maximises the sum of ``scores[(student, place)]`` over assigned pairs (only pairs
    with a positive score may be assigned), each student at most once, each place at most its capacity.

    Solved with HiGHS (``highspy``) as a mixed-integer programme; columns are the eligible pairs in sorted
    order, so the same input gives the same answer."""
    import highspy
    import numpy as np

    pairs = sorted((s, p) for (s, p), v in scores.items() if v > 0 and capacities.get(p, 0) > 0)
    matching: dict[str, str | None] = dict.fromkeys(sorted(students))
    if not pairs:
        return matching
    h = _solver()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    n = len(pairs)
    h.addVars(n, np.zeros(n), np.ones(n))
    cols = np.arange(n, dtype=np.int32)
    h.changeColsCost(n, cols, np.array([-float(scores[pair]) for pair in pairs]))  # HiGHS minimises
    h.changeColsIntegrality(n, cols, np.array([highspy.HighsVarType.kInteger] * n))
    by_student: dict[str, list[int]] = {}
    by_place: dict[str, list[int]] = {}
    for k, (s, p) in enumerate(pairs):
        by_student.setdefault(s, []).append(k)
        by_place.setdefault(p, []).append(k)
    inf = highspy.kHighsInf
    for groups, bound in ((by_student, lambda _: 1.0), (by_place, lambda p: float(capacities[p]))):
        for key in sorted(groups):
            idx = np.array(groups[key], dtype=np.int32)
            h.addRow(-inf, bound(key), len(idx), idx, np.ones(len(idx)))
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        raise RuntimeError(f"HiGHS did not find the optimum: {h.modelStatusToString(h.getModelStatus())}")
    values = h.getSolution().col_value
    for k, (s, p) in enumerate(pairs):
        if values[k] > 0.5:
            matching[s] = p
    return matching
