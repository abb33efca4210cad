"""The matching of students to places, checked independently of the implementation.

- On random instances (hypothesis): the result is stable (no acceptable student–place pair that both prefer
  each other to what they got), respects capacities, never matches an unacceptable pair, equals the result of
  the textbook algorithm written here (round-based Gale–Shapley, not Regia's code), and is deterministic (the
  same answer twice, and for the same instance written in another order).
- On small instances, student-optimality is checked by brute force: among *all* stable matchings, every
  student gets the best place they get in any of them.
- Ties are broken as documented (ascending id, or the seeded lottery) and the result is weakly stable.
- The fit-score mode (HiGHS) reaches the same optimum as SciPy's assignment solver on the instance expanded
  seat by seat.
"""

from __future__ import annotations

import hashlib
import itertools
import random
import re
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from regia.iefp.matching import (
    InstanceError,
    assign_by_score,
    blocking_pairs,
    deferred_acceptance,
    parse_instance,
)

# --- the textbook algorithm, written for the test -----------------------------------------------------------


def textbook(students: dict[str, list[str]], places: dict[str, tuple[int, list[str]]]) -> dict[str, str | None]:
    """Gale and Shapley's deferred acceptance, student-proposing, by rounds: in each round every student who is
    not held proposes to the next place on their list; every place looks at the students it holds and the new
    proposers together and keeps the best ``capacity`` of those it finds acceptable."""
    pointer = dict.fromkeys(students, 0)
    holding: dict[str, list[str]] = {p: [] for p in places}
    while True:
        held = {s for ss in holding.values() for s in ss}
        proposals: dict[str, list[str]] = {p: [] for p in places}
        anyone = False
        for s, prefs in students.items():
            if s in held or pointer[s] >= len(prefs):
                continue
            proposals[prefs[pointer[s]]].append(s)
            pointer[s] += 1
            anyone = True
        if not anyone:
            break
        for p, (capacity, ranking) in places.items():
            pool = [s for s in holding[p] + proposals[p] if s in ranking]
            pool.sort(key=ranking.index)
            holding[p] = pool[:capacity]
    out: dict[str, str | None] = dict.fromkeys(students)
    for p, ss in holding.items():
        for s in ss:
            out[s] = p
    return out


def stable(students: dict[str, list[str]], places: dict[str, tuple[int, list[str]]],
           m: dict[str, str | None]) -> bool:
    for s, prefs in students.items():
        mine = m[s]
        better = prefs[:prefs.index(mine)] if mine is not None else prefs
        for p in better:
            capacity, ranking = places[p]
            if s not in ranking:
                continue
            held = [x for x, q in m.items() if q == p]
            if len(held) < capacity or any(ranking.index(x) > ranking.index(s) for x in held):
                return False
    return True


def acceptable(students: dict[str, list[str]], places: dict[str, tuple[int, list[str]]], s: str, p: str) -> bool:
    return p in students[s] and s in places[p][1]


def document(students: dict[str, list[str]], places: dict[str, tuple[int, list[str]]]) -> dict[str, Any]:
    return {"students": [{"id": s, "prefs": prefs} for s, prefs in students.items()],
            "places": [{"id": p, "capacity": c, "prefs": r} for p, (c, r) in places.items()]}


@st.composite
def instances(draw: Any, max_students: int = 12, max_places: int = 6,
              max_capacity: int = 3) -> tuple[dict[str, list[str]], dict[str, tuple[int, list[str]]]]:
    ns = draw(st.integers(0, max_students))
    np_ = draw(st.integers(0, max_places))
    sids = [f"s{i}" for i in range(ns)]
    pids = [f"p{j}" for j in range(np_)]
    students = {s: draw(st.permutations(pids).flatmap(lambda perm: st.integers(0, len(perm)).map(
        lambda k, perm=perm: list(perm[:k])))) for s in sids}
    places = {p: (draw(st.integers(0, max_capacity)),
                  draw(st.permutations(sids).flatmap(lambda perm: st.integers(0, len(perm)).map(
                      lambda k, perm=perm: list(perm[:k]))))) for p in pids}
    return students, places


@settings(max_examples=300, deadline=None)
@given(instances())
def test_random_instances_are_stable_within_capacity_and_equal_the_textbook(
        case: tuple[dict[str, list[str]], dict[str, tuple[int, list[str]]]]) -> None:
    students, places = case
    result = deferred_acceptance(parse_instance(document(students, places)))
    m = result.matching
    assert set(m) == set(students)
    assert stable(students, places, m)
    for p, (capacity, _) in places.items():
        assert sum(q == p for q in m.values()) <= capacity
    for s, p in m.items():
        assert p is None or acceptable(students, places, s, p), (s, p)
    assert m == textbook(students, places)
    assert sorted(result.unmatched) == sorted(s for s, p in m.items() if p is None)
    assert blocking_pairs(parse_instance(document(students, places)), m) == []


@settings(max_examples=150, deadline=None)
@given(instances(), st.randoms(use_true_random=False))
def test_deterministic_whatever_the_order_of_the_input(
        case: tuple[dict[str, list[str]], dict[str, tuple[int, list[str]]]], rnd: random.Random) -> None:
    students, places = case
    first = deferred_acceptance(parse_instance(document(students, places))).as_dict()
    again = deferred_acceptance(parse_instance(document(students, places))).as_dict()
    s_items, p_items = list(students.items()), list(places.items())
    rnd.shuffle(s_items)
    rnd.shuffle(p_items)
    shuffled = deferred_acceptance(parse_instance(document(dict(s_items), dict(p_items)))).as_dict()
    assert first == again
    assert first["matching"] == shuffled["matching"]
    assert first["why"] == shuffled["why"]


def _all_stable(students: dict[str, list[str]], places: dict[str, tuple[int, list[str]]]
                ) -> list[dict[str, str | None]]:
    sids = list(students)
    options = [[None, *[p for p in students[s] if s in places[p][1]]] for s in sids]
    out = []
    for choice in itertools.product(*options):
        m = dict(zip(sids, choice, strict=True))
        if all(sum(q == p for q in choice) <= c for p, (c, _) in places.items()) and stable(students, places, m):
            out.append(m)
    return out


@settings(max_examples=120, deadline=None)
@given(instances(max_students=5, max_places=3, max_capacity=2))
def test_student_optimal_among_all_stable_matchings(
        case: tuple[dict[str, list[str]], dict[str, tuple[int, list[str]]]]) -> None:
    students, places = case
    m = deferred_acceptance(parse_instance(document(students, places))).matching
    every = _all_stable(students, places)
    assert m in every

    def rank(s: str, p: str | None) -> int:
        return students[s].index(p) if p is not None else len(students[s])

    for other in every:
        for s in students:
            assert rank(s, m[s]) <= rank(s, other[s]), (s, m, other)


# --- incomplete lists, reasons, explanations ---------------------------------------------------------------

def test_unmatched_students_are_told_why() -> None:
    doc = {"students": [{"id": "ada", "prefs": ["firm1"]}, {"id": "bea", "prefs": ["firm1", "firm2"]},
                        {"id": "carlo", "prefs": []}, {"id": "dino", "prefs": ["firm2"]},
                        {"id": "eva", "prefs": ["firm3"]}],
           "places": [{"id": "firm1", "capacity": 1, "prefs": ["ada", "bea"]},
                      {"id": "firm2", "capacity": 1, "prefs": ["bea"]},
                      {"id": "firm3", "capacity": 0, "prefs": ["eva"]}]}
    r = deferred_acceptance(parse_instance(doc))
    assert r.matching == {"ada": "firm1", "bea": "firm2", "carlo": None, "dino": None, "eva": None}
    assert r.unmatched == ["carlo", "dino", "eva"]
    assert r.why["carlo"] == {"reason": "empty_list", "places": []}
    assert r.why["dino"]["reason"] == "not_ranked_by_any"
    assert r.why["eva"] == {"reason": "no_acceptable_place", "places": [{"place": "firm3", "reason": "no_seats"}]}
    # bea got her second choice: firm1 is full with ada, whom firm1 ranks first
    assert r.explanations["bea"]["student_rank"] == 2
    assert r.explanations["bea"]["preferred"] == [{"place": "firm1", "reason": "filled_by_preferred",
                                                   "capacity": 1, "student_rank_at_place": 2,
                                                   "last_admitted_rank": 1}]
    assert r.vacancies == {"firm1": 0, "firm2": 0, "firm3": 0}


def test_outranked_student_sees_the_cutoffs() -> None:
    doc = {"students": [{"id": "a", "prefs": ["x"]}, {"id": "b", "prefs": ["x"]}, {"id": "c", "prefs": ["x"]}],
           "places": [{"id": "x", "capacity": 2, "prefs": ["c", "a", "b"]}]}
    r = deferred_acceptance(parse_instance(doc))
    assert r.matching == {"a": "x", "b": None, "c": "x"}
    assert r.why["b"] == {"reason": "outranked", "places": [
        {"place": "x", "reason": "filled_by_preferred", "capacity": 2, "student_rank_at_place": 3,
         "last_admitted_rank": 2}]}


# --- ties ----------------------------------------------------------------------------------------------------

@st.composite
def tied_instances(draw: Any) -> dict[str, Any]:
    students, places = draw(instances(max_students=8, max_places=4))

    def group(items: list[str]) -> list[Any]:
        out: list[Any] = []
        i = 0
        while i < len(items):
            k = draw(st.integers(1, 3))
            chunk = items[i:i + k]
            out.append(chunk if len(chunk) > 1 else chunk[0])
            i += k
        return out

    return {"students": [{"id": s, "prefs": group(p)} for s, p in students.items()],
            "places": [{"id": p, "capacity": c, "prefs": group(r)} for p, (c, r) in places.items()]}


def _broken(doc: dict[str, Any], key: Any) -> tuple[dict[str, list[str]], dict[str, tuple[int, list[str]]]]:
    def flat(prefs: list[Any]) -> list[str]:
        return [x for item in prefs for x in (sorted(item, key=key) if isinstance(item, list) else [item])]

    return ({row["id"]: flat(row["prefs"]) for row in doc["students"]},
            {row["id"]: (row["capacity"], flat(row["prefs"])) for row in doc["places"]})


def _weakly_stable(doc: dict[str, Any], m: dict[str, str | None]) -> bool:
    """No pair that strictly prefers each other, with ties counting as equal."""
    def level(prefs: list[Any]) -> dict[str, int]:
        return {x: n for n, item in enumerate(prefs) for x in (item if isinstance(item, list) else [item])}

    s_level = {row["id"]: level(row["prefs"]) for row in doc["students"]}
    p_level = {row["id"]: (row["capacity"], level(row["prefs"])) for row in doc["places"]}
    for s, levels in s_level.items():
        mine = levels.get(m[s], len(levels) + 1) if m[s] is not None else len(levels) + 1
        for p, lv in levels.items():
            if lv >= mine:
                continue
            capacity, pl = p_level[p]
            if s not in pl:
                continue
            held = [x for x, q in m.items() if q == p]
            if len(held) < capacity or any(pl[x] > pl[s] for x in held):
                return False
    return True


@settings(max_examples=200, deadline=None)
@given(tied_instances())
def test_ties_broken_by_id_give_the_textbook_result_on_the_broken_lists(doc: dict[str, Any]) -> None:
    students, places = _broken(doc, key=lambda i: i)
    m = deferred_acceptance(parse_instance(doc)).matching
    assert m == textbook(students, places)
    assert _weakly_stable(doc, m)


@settings(max_examples=100, deadline=None)
@given(tied_instances(), st.text(min_size=1, max_size=8))
def test_ties_broken_by_a_seeded_lottery_reproducibly(doc: dict[str, Any], seed: str) -> None:
    def key(i: str) -> tuple[str, str]:
        return hashlib.sha256(f"{seed}:{i}".encode()).hexdigest(), i

    students, places = _broken(doc, key=key)
    m = deferred_acceptance(parse_instance(doc, tie_break="lottery", seed=seed)).matching
    assert m == textbook(students, places)
    assert m == deferred_acceptance(parse_instance(doc, tie_break="lottery", seed=seed)).matching
    assert _weakly_stable(doc, m)


def test_the_tie_break_decides_between_equals() -> None:
    doc = {"students": [{"id": "b", "prefs": ["x"]}, {"id": "a", "prefs": ["x"]}],
           "places": [{"id": "x", "capacity": 1, "prefs": [["b", "a"]]}]}
    assert deferred_acceptance(parse_instance(doc)).matching == {"a": "x", "b": None}  # ascending id
    assert parse_instance(doc).ties == 1


# --- bad instances -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("doc", "where"), [
    ({"students": [{"id": "a", "prefs": ["nowhere"]}], "places": []}, "students[0].prefs[0]"),
    ({"students": [{"id": "a", "prefs": ["x", "x"]}], "places": [{"id": "x", "capacity": 1}]},
     "students[0].prefs[1]"),
    ({"students": [{"id": "a"}, {"id": "a"}], "places": []}, "students[1].id"),
    ({"students": [], "places": [{"id": "x", "capacity": -1}]}, "places[0].capacity"),
    ({"students": [], "places": [{"id": "x", "capacity": "2"}]}, "places[0].capacity"),
    ({"students": [], "places": [{"id": "x", "capacity": 1, "prefs": ["ghost"]}]}, "places[0].prefs[0]"),
    ({"students": [{"id": "a", "prefs": [[]]}], "places": []}, "students[0].prefs[0]"),
    ({"places": []}, "students"),
])
def test_bad_instances_name_where_the_problem_is(doc: dict[str, Any], where: str) -> None:
    with pytest.raises(InstanceError) as info:
        parse_instance(doc)
    assert where in [w for w, _ in info.value.problems]


JSON = st.recursive(st.none() | st.booleans() | st.integers(-3, 5) | st.sampled_from(["a", "b", "x", "", "1"]),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                        st.sampled_from(["id", "prefs", "capacity", "students", "places", "other"]), inner,
                        max_size=4), max_leaves=25)
ROW = st.fixed_dictionaries({}, optional={"id": JSON, "prefs": JSON, "capacity": JSON})


@settings(max_examples=300, deadline=None)
@given(st.one_of(JSON, st.fixed_dictionaries({"students": st.lists(ROW, max_size=4) | JSON,
                                               "places": st.lists(ROW, max_size=4) | JSON})))
def test_any_document_is_an_instance_or_problems_named_by_their_path(doc: Any) -> None:
    """Whatever the JSON, the parser answers an instance that the matching runs on, or an InstanceError whose
    every problem points at a place in the document (never another exception)."""
    try:
        instance = parse_instance(doc)
    except InstanceError as exc:
        assert exc.problems
        for where, reason in exc.problems:
            assert reason
            assert where == "" or re.fullmatch(r"(students|places)(\[\d+\](\.(id|prefs|capacity)(\[\d+\])*)?)?",
                                               where), where
        return
    result = deferred_acceptance(instance)
    assert set(result.matching) == set(instance.students)
    assert blocking_pairs(instance, result.matching) == []


@settings(max_examples=200, deadline=None)
@given(instances(), st.data())
def test_one_bad_value_in_a_good_instance_is_named_exactly(
        case: tuple[dict[str, list[str]], dict[str, tuple[int, list[str]]]], data: st.DataObject) -> None:
    doc = document(*case)
    targets = ([("prefs", "students", i, k) for i, row in enumerate(doc["students"]) for k in range(len(row["prefs"]))]
               + [("prefs", "places", j, k) for j, row in enumerate(doc["places"]) for k in range(len(row["prefs"]))]
               + [("capacity", "places", j, None) for j in range(len(doc["places"]))]
               + [("id", side, n, None) for side in ("students", "places") for n in range(1, len(doc[side]))])
    if not targets:
        return
    what, side, n, k = data.draw(st.sampled_from(targets))
    row = doc[side][n]
    if what == "prefs":
        row["prefs"][k] = data.draw(st.sampled_from(["ghost", None, 3.5, {"id": "x"}]) | st.just(row["prefs"][0]))
        where = f"{side}[{n}].prefs[{k}]"
        if k == 0:  # the first item cannot repeat an earlier one
            row["prefs"][0] = "ghost"
    elif what == "capacity":
        row["capacity"] = data.draw(st.sampled_from([-1, "2", 1.5, None, True]))
        where = f"{side}[{n}].capacity"
    else:
        row["id"] = doc[side][0]["id"]  # a repeated id
        where = f"{side}[{n}].id"
    with pytest.raises(InstanceError) as info:
        parse_instance(doc)
    assert where in [w for w, _ in info.value.problems], (where, info.value.problems)


# --- the fit-score mode --------------------------------------------------------------------------------------

def _reference_optimum(scores: dict[tuple[str, str], float], capacities: dict[str, int],
                       students: list[str]) -> float:
    """SciPy's Hungarian-type solver on the seat-by-seat expansion, with a zero-score 'unassigned' column per
    student: the best total any assignment reaches."""
    seats = [p for p in sorted(capacities) for _ in range(capacities[p])]
    cost = np.zeros((len(students), len(seats) + len(students)))
    for i, s in enumerate(students):
        for j, p in enumerate(seats):
            v = scores.get((s, p), 0.0)
            cost[i, j] = -v if v > 0 else 1e6  # ineligible pairs are never worth taking
    rows, cols = linear_sum_assignment(cost)
    return float(-sum(min(cost[r, c], 0.0) for r, c in zip(rows, cols, strict=True)))


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 9), st.integers(1, 5), st.integers(0, 10_000))
def test_fit_score_assignment_is_optimal_and_within_capacity(ns: int, np_: int, seed: int) -> None:
    rnd = random.Random(seed)
    students = [f"s{i}" for i in range(ns)]
    capacities = {f"p{j}": rnd.randint(0, 3) for j in range(np_)}
    scores = {(s, p): round(rnd.choice([0.0, rnd.random()]), 4) for s in students for p in capacities}
    m = assign_by_score(scores, capacities, students)
    assert set(m) == set(students)
    for p, c in capacities.items():
        assert sum(q == p for q in m.values()) <= c
    for s, p in m.items():
        assert p is None or scores[(s, p)] > 0
    total = sum(scores[(s, p)] for s, p in m.items() if p is not None)
    assert total == pytest.approx(_reference_optimum(scores, capacities, students), abs=1e-6)
    assert m == assign_by_score(scores, capacities, students)  # deterministic


def test_fit_score_assignment_after_another_highs_solve_in_the_same_process() -> None:
    """HiGHS keeps one thread scheduler per process: an assignment solved after another model (the
    programming optimiser's, say) must not ask for a different thread count, or HiGHS refuses to run."""
    import highspy

    other = highspy.Highs()
    other.setOptionValue("output_flag", False)
    other.addVar(0.0, 1.0)
    other.run()
    scores = {("a", "p"): 1.0, ("b", "p"): 2.0, ("a", "q"): 0.5}
    assert assign_by_score(scores, {"p": 1, "q": 1}, ["a", "b"]) == {"a": "q", "b": "p"}
