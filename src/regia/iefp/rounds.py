"""Matching rounds: the Region runs the matching of a school year (optionally one province) over the published
places and the candidacies, and each party reads the assignments that concern it, with their explanation.

The instance is written in the format of ``regia iefp match`` (students by their label, places as ``P<id>``)
and kept with the run, so that any run can be checked again outside Regia; it holds no names.

Modes:

- ``deferred_acceptance`` (preferences collected): a student's list is the places the centre recorded as the
  student's ranking (``student_rank``) among those the student was proposed for; a place's list is the firm's
  ranking of its proposed candidates (``firm_rank``). Unranked is unacceptable. See :mod:`regia.iefp.matching`.
- ``fit_score`` (preferences not collected): every student of the year's paths with the family's consent and
  in a year of course the kind of place admits, against every published place, scored by
  :mod:`regia.iefp.fit` and assigned by HiGHS. A firm sees the name of a student assigned this way only once the
  centre proposes them (confirms the assignment).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from regia.auth import audit
from regia.auth.errors import InvalidInput
from regia.auth.policy import READ, WRITE, Resource, can, may_see_candidate_name, visible
from regia.auth.principal import Principal
from regia.i18n import N_
from regia.iefp import matching
from regia.iefp.commute import Commutes
from regia.iefp.fit import figure_fit, fit_score
from regia.iefp.kit import allow, check_school_year, get
from regia.iefp.models import (
    MATCHING_MODES,
    Candidacy,
    FigureVersion,
    MatchAssignment,
    MatchingRun,
    Place,
    Student,
    TrainingPath,
)
from regia.iefp.rules import bounds
from regia.importing.ledger import content_hash

PUBLISHED = "published"


def place_key(place_id: int) -> str:
    return f"P{place_id}"


@dataclass
class Scope:
    places: dict[str, Place]
    students: dict[str, Student]
    candidacies: list[Candidacy]


def _scope(session: Session, school_year: str, nuts3: str | None) -> Scope:
    query = select(Place).where(Place.school_year == school_year, Place.status == PUBLISHED).options(
        selectinload(Place.figure_version).selectinload(FigureVersion.competences)).order_by(Place.id)
    if nuts3:
        query = query.where(Place.nuts3 == nuts3)
    places = {place_key(p.id): p for p in session.scalars(query)}
    ids = [p.id for p in places.values()]
    candidacies = list(session.scalars(select(Candidacy).where(Candidacy.place_id.in_(ids),
                                                               Candidacy.proposed_at.is_not(None))
                                       .options(_student_options(Candidacy.student)))) if ids else []
    students = {c.student.label: c.student for c in candidacies}
    return Scope(places, students, candidacies)


def _student_options(attr: Any) -> Any:
    return selectinload(attr).selectinload(Student.path).selectinload(TrainingPath.figure_version).selectinload(
        FigureVersion.competences)


def build_instance(session: Session, *, school_year: str, nuts3: str | None = None) -> tuple[dict[str, Any], Scope]:
    """The instance of the school year (and province) in the format of ``regia iefp match``."""
    scope = _scope(session, school_year, nuts3)
    by_student: dict[str, list[Candidacy]] = {}
    by_place: dict[str, list[Candidacy]] = {}
    for c in scope.candidacies:
        by_student.setdefault(c.student.label, []).append(c)
        by_place.setdefault(place_key(c.place_id), []).append(c)
    students = [{"id": label, "prefs": [place_key(c.place_id) for c in sorted(
        (c for c in by_student[label] if c.student_rank), key=lambda c: (c.student_rank, c.place_id))]}
        for label in sorted(by_student)]
    places = [{"id": key, "capacity": p.seats, "prefs": [c.student.label for c in sorted(
        (c for c in by_place.get(key, []) if c.firm_rank), key=lambda c: (c.firm_rank, c.student.label))]}
        for key, p in scope.places.items()]
    return {"students": students, "places": places}, scope


def _eligible_students(session: Session, school_year: str) -> dict[str, Student]:
    rows = session.scalars(select(Student).join(TrainingPath, TrainingPath.id == Student.path_id).where(
        TrainingPath.school_year == school_year, Student.consent_at.is_not(None)).options(
            selectinload(Student.path).selectinload(TrainingPath.figure_version).selectinload(FigureVersion.competences))
        .order_by(Student.label))
    return {s.label: s for s in rows}


def run_matching(session: Session, *, actor: Principal, school_year: str, nuts3: str | None = None,
                 mode: str = "deferred_acceptance", commutes: Commutes | None = None, tie_break: str = "id",
                 seed: str = "") -> MatchingRun:
    """Run the matching and store the run with its assignments (an earlier run of the same year and province
    is kept: the latest one is the one the parties read)."""
    allow(actor, WRITE, Resource.IEFP_SYSTEM)
    check_school_year(school_year)
    if mode not in MATCHING_MODES:
        raise InvalidInput(f"mode must be one of {', '.join(MATCHING_MODES)}", field="mode",
                           key=N_("iefp.err.mode"), params={"value": mode})
    instance, scope = build_instance(session, school_year=school_year, nuts3=nuts3)

    def minutes(student: Student, place: Place) -> int | None:
        return commutes.minutes(student.comune, place.comune) if commutes else None

    if mode == "deferred_acceptance":
        parsed = matching.parse_instance(instance, tie_break=tie_break, seed=seed)
        result = matching.deferred_acceptance(parsed)
        extra: dict[str, dict[str, Any]] = {}
    else:
        result, extra, instance = _fit_assignment(session, scope, school_year, instance, minutes)
    for label, p in result.matching.items():
        if p is None:
            continue
        student, place = scope.students[label], scope.places[p]
        result.explanations.setdefault(label, {"place": p})
        for q in result.explanations[label].get("preferred", []):
            q["title"] = scope.places[q["place"]].title
        result.explanations[label].update({
            "commute_min": minutes(student, place), "figure_fit": figure_fit(student.path.figure_version,
                                                                              place.figure_version),
            **extra.get(label, {})})
    stats = {"students": len(result.matching), "places": len(scope.places),
             "seats": sum(p.seats for p in scope.places.values()),
             "matched": sum(p is not None for p in result.matching.values()), "unmatched": len(result.unmatched)}
    run = MatchingRun(school_year=school_year, nuts3=nuts3, mode=mode, input_hash=content_hash(instance),
                      instance=instance, result={**result.as_dict(), "stats": stats, "tie_break": tie_break},
                      run_by=actor.label)
    session.add(run)
    session.flush()
    for label, p in result.matching.items():
        if p is None:
            continue
        student, place = scope.students[label], scope.places[p]
        session.add(MatchAssignment(run_id=run.id, place_id=place.id, student_id=student.id,
                               centre_id=student.organisation_id, firm_id=place.organisation_id,
                               explanation=result.explanations[label]))
    session.flush()
    audit.record(session, actor=actor, action="match", resource_type="iefp_matching_run", resource_id=run.id,
                 after={"school_year": school_year, "nuts3": nuts3, "mode": mode, **stats})
    return run


def _fit_assignment(session: Session, scope: Scope, school_year: str, instance: dict[str, Any],
                    minutes: Any) -> tuple[matching.Result, dict[str, dict[str, Any]], dict[str, Any]]:
    students = _eligible_students(session, school_year)
    scope.students.update(students)
    listed = {row["id"]: row["prefs"] for row in instance["students"]}
    kinds = bounds()["kinds"]
    scores: dict[tuple[str, str], float] = {}
    parts: dict[tuple[str, str], dict[str, Any]] = {}
    for label, s in students.items():
        prefs = listed.get(label, [])
        for key, place in scope.places.items():
            if s.path.year_of_course < kinds[place.kind]["min_year_of_course"]:
                continue
            f = figure_fit(s.path.figure_version, place.figure_version)["score"]
            rank = prefs.index(key) + 1 if key in prefs else None
            part = fit_score(f, minutes(s, place), rank, len(prefs))
            if part["score"] > 0:
                scores[(label, key)], parts[(label, key)] = part["score"], part
    capacities = {k: p.seats for k, p in scope.places.items()}
    assigned = matching.assign_by_score(scores, capacities, sorted(students))
    result = matching.Result(matching=assigned, unmatched=[s for s, p in assigned.items() if p is None])
    taken: dict[str, int] = {}
    for p in assigned.values():
        if p:
            taken[p] = taken.get(p, 0) + 1
    result.vacancies = {k: capacities[k] - taken.get(k, 0) for k in sorted(capacities)}
    for label, p in assigned.items():
        if p is None:
            eligible = [k for (s, k) in scores if s == label]
            result.why[label] = {"reason": "no_eligible_place" if not eligible else "places_taken",
                                 "places": eligible}
    extra = {label: {"score": parts[(label, p)]} for label, p in assigned.items() if p}
    instance = {**instance, "mode": "fit_score", "scores": [{"student": s, "place": p, **parts[(s, p)]}
                                                            for (s, p) in sorted(scores)]}
    return result, extra, instance


# --- reading the results -----------------------------------------------------------------------------------

def get_run(session: Session, *, principal: Principal, run_id: int) -> MatchingRun:
    allow(principal, READ, Resource.IEFP_SYSTEM)
    return get(session, MatchingRun, run_id, "matching run")  # type: ignore[no-any-return]


def list_runs(session: Session, *, principal: Principal, school_year: str | None = None) -> list[MatchingRun]:
    allow(principal, READ, Resource.IEFP_SYSTEM)
    query = select(MatchingRun).order_by(MatchingRun.run_at.desc(), MatchingRun.id.desc())
    if school_year:
        query = query.where(MatchingRun.school_year == school_year)
    return list(session.scalars(query))


def latest_runs(session: Session, school_year: str) -> dict[str | None, int]:
    """The latest run of each scope (province, or None for the whole region) of the school year."""
    out: dict[str | None, int] = {}
    for run_id, nuts3 in session.execute(select(MatchingRun.id, MatchingRun.nuts3)
                                         .where(MatchingRun.school_year == school_year)
                                         .order_by(MatchingRun.run_at, MatchingRun.id)):
        out[nuts3] = run_id
    return out


@dataclass(frozen=True)
class AssignmentView:
    id: int
    run_id: int
    place_id: int
    place_title: str
    student_id: int
    label: str
    name: str | None
    explanation: dict[str, Any]


def current_assignments(session: Session, *, principal: Principal, school_year: str) -> list[AssignmentView]:
    """The assignments of the latest runs of the year the principal may read (a place in a province answers
    to the latest of its province's run and the region-wide run)."""
    allow(principal, READ, Resource.IEFP_CANDIDACY)
    latest = latest_runs(session, school_year)
    if not latest:
        return []
    rows = list(session.scalars(visible(select(MatchAssignment), principal, MatchAssignment)
                                .where(MatchAssignment.run_id.in_(list(latest.values())))
                                .options(selectinload(MatchAssignment.place), selectinload(MatchAssignment.student))))
    region_run = latest.get(None)
    region = can(principal, READ, Resource.IEFP_SYSTEM)

    def centre_or_region(a: MatchAssignment) -> bool:
        return region or a.centre_id in principal.org_ids()

    proposed = {(c.place_id, c.student_id): c for c in session.scalars(select(Candidacy).where(
        Candidacy.place_id.in_({a.place_id for a in rows}), Candidacy.proposed_at.is_not(None)))} if rows else {}
    out = []
    for a in rows:
        own = latest.get(a.place.nuts3)
        winner = max(x for x in (own, region_run) if x is not None)
        if a.run_id != winner:
            continue
        # the firm reads the name once the centre proposed the student for the place (always so in the
        # deferred-acceptance mode; in the fit-score mode, when the centre confirms the assignment)
        ref = proposed.get((a.place_id, a.student_id)) or Unproposed(a.centre_id, a.firm_id)
        s = a.student
        # the other places the student preferred are the centre's and the Region's to know, not the firm's
        shown = a.explanation if centre_or_region(a) else {k: v for k, v in a.explanation.items()
                                                           if k != "preferred"}
        out.append(AssignmentView(a.id, a.run_id, a.place_id, a.place.title, a.student_id, s.label,
                                  f"{s.given_name} {s.family_name}" if may_see_candidate_name(principal, ref)
                                  else None, shown))
    return sorted(out, key=lambda v: (v.place_id, v.label))


@dataclass(frozen=True)
class Unproposed:
    """A candidacy as the policy reads it where there is no candidacy row (an assignment of the fit-score
    mode before the centre confirms it: not proposed)."""

    centre_id: int
    firm_id: int
    proposed_at: Any = None
