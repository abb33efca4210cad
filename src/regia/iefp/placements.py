"""Placements and apprenticeship contracts: started by the centre from an assignment (or a proposal the firm
ranked), each with its individual training plan (checked by :mod:`regia.iefp.rules`), progress reports from
both sides, and the final outcome — qualification obtained, hired afterwards (from the CO records when a
:class:`regia.iefp.seams.HiringLookup` is given, else as the centre declares it).

A placement points at the figure version of the student's path (the qualification they study for); its plan
points at the same version, whatever versions the repertory gains later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from regia.auth import audit
from regia.auth.errors import Conflict
from regia.auth.policy import READ, WRITE, Resource, visible
from regia.auth.principal import Principal
from regia.i18n import N_
from regia.iefp.kit import allow, get, invalid
from regia.iefp.models import (
    APPRENDISTATO,
    OUTCOMES,
    Candidacy,
    FigureVersion,
    MatchAssignment,
    Placement,
    PlacementProgress,
    Student,
    TrainingPath,
    TrainingPlan,
)
from regia.iefp.rules import Context, PlanInput, PlanInvalid, bounds, check_plan
from regia.iefp.seams import HiringLookup


@dataclass(frozen=True)
class Side:
    centre_id: int
    firm_id: int
    side: str


def _side(p: Placement, side: str) -> Side:
    return Side(p.centre_id, p.firm_id, side)


def load(session: Session, placement_id: int) -> Placement:
    placement = session.scalar(select(Placement).where(Placement.id == placement_id).options(
        selectinload(Placement.place), selectinload(Placement.plan), selectinload(Placement.progress),
        selectinload(Placement.student).selectinload(Student.path),
        selectinload(Placement.figure_version).selectinload(FigureVersion.competences)))
    if placement is None:
        get(session, Placement, placement_id, "placement")  # NotFound
    assert placement is not None
    return placement


def start(session: Session, *, actor: Principal, assignment_id: int, start_date: date | None = None,
          end_date: date | None = None) -> Placement:
    """The centre turns an assignment of the matching into a placement (or contract), on the place's dates
    unless others are given."""
    a = get(session, MatchAssignment, assignment_id, "assignment")
    allow(actor, WRITE, Resource.IEFP_PLACEMENT, Side(a.centre_id, a.firm_id, "centre"))
    place, student = a.place, a.student
    held = session.scalar(select(Placement).where(Placement.place_id == place.id,
                                                  Placement.student_id == student.id))
    if held is not None:
        return held
    taken = session.scalar(select(func.count(Placement.id)).where(Placement.place_id == place.id,
                                                                  Placement.status != "withdrawn")) or 0
    if taken >= place.seats:
        raise Conflict("every seat of this place is taken", key=N_("iefp.err.place_full"),
                       params={"seats": place.seats})
    start_on, end_on = start_date or place.start_date, end_date or place.end_date
    if end_on <= start_on:
        raise invalid("end_date", N_("iefp.err.dates"), "the end is not after the start")
    path = session.get_one(TrainingPath, student.path_id)
    placement = Placement(place_id=place.id, student_id=student.id, centre_id=a.centre_id, firm_id=a.firm_id,
                          assignment_id=a.id, kind=place.kind, figure_version_id=path.figure_version_id,
                          nuts3=place.nuts3, start_date=start_on, end_date=end_on)
    session.add(placement)
    candidacy = session.scalar(select(Candidacy).where(Candidacy.place_id == place.id,
                                                       Candidacy.student_id == student.id))
    if candidacy is not None and candidacy.proposed_at is None:  # the fit-score mode: confirming proposes
        candidacy.proposed_at, candidacy.proposed_by = datetime.now(UTC), actor.label
    elif candidacy is None:
        session.add(Candidacy(place_id=place.id, student_id=student.id, centre_id=a.centre_id, firm_id=a.firm_id,
                              proposed_at=datetime.now(UTC), proposed_by=actor.label))
    session.flush()
    audit.record(session, actor=actor, action="create", resource_type="iefp_placement", resource_id=placement.id,
                 organisation_id=a.centre_id, after={"place_id": place.id, "student": student.label,
                                                     "kind": place.kind})
    return placement


def context(placement: Placement) -> Context:
    version = placement.figure_version
    return Context(kind=placement.kind, figure_code=version.figure.code, figure_kind=version.kind,
                   figure_years=version.years, competences={c.code: c.kind for c in version.competences},
                   birth_date=placement.student.birth_date, start_date=placement.start_date,
                   end_date=placement.end_date)


def save_plan(session: Session, *, actor: Principal, placement_id: int, plan: PlanInput,
              version: int | None = None, sign: bool = False) -> TrainingPlan:
    """Write (or replace) the placement's training plan; refused with every broken rule (:class:`PlanInvalid`).
    ``version``: the plan version read (409 if it changed since). ``sign``: the plan is agreed — the placement
    becomes active (for an apprenticeship, the contract starts on the placement's first day)."""
    placement = load(session, placement_id)
    allow(actor, WRITE, Resource.IEFP_PLACEMENT, _side(placement, "centre"))
    if placement.status in ("completed", "withdrawn"):
        raise Conflict("the placement is over", key=N_("iefp.err.placement_over"))
    issues = check_plan(plan, context(placement))
    if issues:
        raise PlanInvalid(issues)
    row = placement.plan
    if row is not None and version is not None and row.version != version:
        raise Conflict("the plan changed since you read it", key=N_("iefp.err.stale"),
                       params={"version": row.version})
    before = audit.snapshot(row) if row is not None else None
    if row is None:
        row = TrainingPlan(placement_id=placement.id, school_year=placement.place.school_year)
        placement.plan = row
    row.figure_version_id = placement.figure_version_id
    row.year_of_course, row.hours_work, row.hours_centre = plan.year_of_course, plan.hours_work, plan.hours_centre
    row.weekly_hours_work = plan.weekly_hours_work
    row.competences = [{"code": str(c["code"]).strip(), "where": str(c["where"]).strip()} for c in plan.competences]
    row.tutor_company, row.tutor_centre = plan.tutor_company.strip(), plan.tutor_centre.strip()
    row.updated_by = actor.label
    if sign:
        row.status = "signed"
        if placement.status == "planned":
            placement.status = "active"
            if placement.kind == APPRENDISTATO:
                placement.contract_started_at = placement.start_date
    session.flush()
    audit.record(session, actor=actor, action="sign" if sign else "update", resource_type="iefp_training_plan",
                 resource_id=row.id, organisation_id=placement.centre_id, before=before, after=audit.snapshot(row))
    return row


def report_progress(session: Session, *, actor: Principal, placement_id: int, period: date, hours_work_done: int,
                    hours_centre_done: int, competences_acquired: list[str], note: str = "",
                    side: str = "centre") -> PlacementProgress:
    """Cumulative progress at ``period`` (re-sending a date replaces it), from the centre or the firm."""
    placement = load(session, placement_id)
    allow(actor, WRITE, Resource.IEFP_PLACEMENT, _side(placement, side))
    plan = placement.plan
    if plan is None or plan.status != "signed":
        raise Conflict("the training plan is not signed yet", key=N_("iefp.err.no_plan"))
    if not placement.start_date <= period <= placement.end_date:
        raise invalid("period", N_("iefp.err.period"), "outside the placement", start=placement.start_date.isoformat(),
                      end=placement.end_date.isoformat())
    for name, value, most in (("hours_work_done", hours_work_done, plan.hours_work),
                              ("hours_centre_done", hours_centre_done, plan.hours_centre)):
        if not 0 <= value <= most:
            raise invalid(name, N_("iefp.err.hours_done"), "more than the plan", hours=value, max=most)
    planned = {c["code"] for c in plan.competences}
    for n, code in enumerate(competences_acquired):
        if code not in planned:
            raise invalid(f"competences_acquired[{n}]", N_("iefp.err.competence_not_in_plan"), "not in the plan",
                          code=code)
    earlier = [r for r in placement.progress if r.period < period]
    if earlier and (hours_work_done < earlier[-1].hours_work_done
                    or hours_centre_done < earlier[-1].hours_centre_done):
        raise invalid("hours_work_done", N_("iefp.err.decreasing"), "lower than an earlier report",
                      period=earlier[-1].period.isoformat())
    row = next((r for r in placement.progress if r.period == period), None)
    if row is None:
        row = PlacementProgress(placement_id=placement.id, period=period, reported_by=actor.label)
        placement.progress.append(row)
    row.hours_work_done, row.hours_centre_done = hours_work_done, hours_centre_done
    row.competences_acquired = sorted(set(competences_acquired))
    row.note, row.reported_by = note.strip(), actor.label
    session.flush()
    audit.record(session, actor=actor, action="progress", resource_type="iefp_placement", resource_id=placement.id,
                 organisation_id=placement.centre_id, after={"period": period.isoformat(),
                                                             "hours_work_done": hours_work_done})
    return row


def record_outcome(session: Session, *, actor: Principal, placement_id: int, outcome: str, outcome_at: date,
                   hired_after: bool | None = None, hired_on: date | None = None) -> Placement:
    """The final outcome (the centre): ``qualified``, ``not_qualified`` or ``withdrawn``; and whether the young
    person was hired afterwards, as the centre knows it (``declared``; the CO records override it)."""
    placement = load(session, placement_id)
    allow(actor, WRITE, Resource.IEFP_PLACEMENT, _side(placement, "centre"))
    if outcome not in OUTCOMES:
        raise invalid("outcome", N_("iefp.err.outcome"), "not an outcome", value=outcome)
    if outcome_at < placement.start_date:
        raise invalid("outcome_at", N_("iefp.err.outcome_date"), "before the placement started")
    if hired_on is not None and hired_on < placement.start_date:
        raise invalid("hired_on", N_("iefp.err.outcome_date"), "before the placement started")
    before = audit.snapshot(placement)
    placement.outcome, placement.outcome_at = outcome, outcome_at
    placement.status = "withdrawn" if outcome == "withdrawn" else "completed"
    if hired_after is not None and placement.hired_source != "co":
        placement.hired_after, placement.hired_on = hired_after, hired_on if hired_after else None
        placement.hired_source = "declared"
    session.flush()
    audit.record(session, actor=actor, action="outcome", resource_type="iefp_placement", resource_id=placement.id,
                 organisation_id=placement.centre_id, before=before, after=audit.snapshot(placement))
    return placement


def refresh_hiring(session: Session, *, actor: Principal, lookup: HiringLookup | None) -> int:
    """Ask the CO records whether the young people of finished placements were hired afterwards; returns how
    many placements it updated. Found: hired (source ``co``). Not found: left as it was (the records may be
    late), never marked "not hired". No ``lookup`` (the server holds no CO records): :class:`Conflict`."""
    allow(actor, WRITE, Resource.IEFP_SYSTEM)
    if lookup is None:
        raise Conflict("no CO records on this server", key=N_("iefp.err.no_co_records"))
    rows = list(session.scalars(select(Placement).where(Placement.status == "completed")
                                .options(selectinload(Placement.student))))
    changed = 0
    earliest = min((p.start_date for p in rows), default=None)
    if earliest is None:
        return 0
    hires = lookup([p.student.pseudonym for p in rows], after=earliest)
    for p in rows:
        hire = hires.get(p.student.pseudonym)
        if hire is None or hire.start_date < p.start_date:
            continue
        if (p.hired_after, p.hired_on, p.hired_source) != (True, hire.start_date, "co"):
            p.hired_after, p.hired_on, p.hired_source = True, hire.start_date, "co"
            changed += 1
    session.flush()
    if changed:
        audit.record(session, actor=actor, action="hiring", resource_type="iefp_placement",
                     after={"updated": changed})
    return changed


def get_placement(session: Session, *, principal: Principal, placement_id: int) -> Placement:
    placement = load(session, placement_id)
    allow(principal, READ, Resource.IEFP_PLACEMENT, placement)
    return placement


def list_placements(session: Session, *, principal: Principal, school_year: str | None = None) -> list[Placement]:
    allow(principal, READ, Resource.IEFP_PLACEMENT)
    query = visible(select(Placement), principal, Placement).options(
        selectinload(Placement.place), selectinload(Placement.student), selectinload(Placement.plan)
    ).order_by(Placement.start_date, Placement.id)
    rows = list(session.scalars(query))
    return [p for p in rows if not school_year or p.place.school_year == school_year]


def plan_form(placement: Placement) -> dict[str, Any]:
    """The plan as a form shows it (an empty plan proposes the place's hours and every competence at work)."""
    plan, place = placement.plan, placement.place
    if plan is not None:
        return {"year_of_course": plan.year_of_course, "hours_work": plan.hours_work,
                "hours_centre": plan.hours_centre, "weekly_hours_work": plan.weekly_hours_work,
                "competences": {c["code"]: c["where"] for c in plan.competences},
                "tutor_company": plan.tutor_company, "tutor_centre": plan.tutor_centre, "version": plan.version,
                "status": plan.status}
    total = int(bounds()["ordinamental_hours_per_year"]["value"])
    work = min(place.hours_per_year, total)
    return {"year_of_course": placement.student.path.year_of_course, "hours_work": work,
            "hours_centre": total - work, "weekly_hours_work": place.weekly_hours,
            "competences": {c.code: "work" for c in placement.figure_version.competences if c.kind == "specific"},
            "tutor_company": place.company_tutor, "tutor_centre": "", "version": None, "status": "draft"}
