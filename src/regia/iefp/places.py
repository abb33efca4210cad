"""The firms' places (placements and first-level apprenticeship positions) and the candidacies: the students'
rankings of the places (recorded by the centre), the centre's proposals to the firms, the firms' rankings.

A firm learns that a student exists only when the centre proposes them for one of its places (the policy's
``iefp_candidacy`` rule: no proposal, no row); from then on it sees the candidate's name (the family consented to
it), never their birth date, nor the other places they ranked, nor their rank of the firm's place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from regia.auth import audit
from regia.auth.errors import Conflict
from regia.auth.models import Organisation
from regia.auth.policy import READ, WRITE, Resource, can, may_see_candidate_name, visible
from regia.auth.principal import Principal
from regia.i18n import N_
from regia.iefp import students as students_mod
from regia.iefp.commute import Commutes
from regia.iefp.fit import figure_fit
from regia.iefp.kit import Owner, allow, check_school_year, comune, get, invalid, section_of
from regia.iefp.models import APPRENDISTATO, PLACE_KINDS, Candidacy, FigureVersion, Place, Student, TrainingPath
from regia.iefp.offer import figure_by_code
from regia.iefp.rules import bounds, months_between, weeks_between

PUBLISHED = "published"


@dataclass(frozen=True)
class PlaceInput:
    kind: str
    figure_code: str
    title: str
    seats: int
    comune: str
    ateco: str
    school_year: str
    start_date: date
    end_date: date
    hours_per_year: int
    weekly_hours: int
    company_tutor: str
    description: str = ""


def _check_place(session: Session, data: PlaceInput) -> tuple[FigureVersion, str]:
    if data.kind not in PLACE_KINDS:
        raise invalid("kind", N_("iefp.err.kind"), "not a kind of place", value=data.kind)
    figure = figure_by_code(session, data.figure_code)
    from regia.iefp.figures import current

    version = current(session, figure)
    if not data.title.strip() or len(data.title) > 300:
        raise invalid("title", N_("iefp.err.required"), "missing or too long")
    if not 1 <= data.seats <= 100:
        raise invalid("seats", N_("iefp.err.range"), "between 1 and 100", low=1, high=100)
    _, nuts3 = comune(session, data.comune)
    if section_of(data.ateco) is None:
        raise invalid("ateco", N_("iefp.err.ateco"), "not an ATECO code", value=data.ateco)
    check_school_year(data.school_year)
    if data.end_date <= data.start_date:
        raise invalid("end_date", N_("iefp.err.dates"), "the end is not after the start")
    weekly_max = int(bounds()["weekly_hours_max"]["minor"])
    if not 1 <= data.weekly_hours <= weekly_max:
        raise invalid("weekly_hours", N_("iefp.plan.weekly_max"), "above the weekly maximum", hours=data.weekly_hours,
                      max=weekly_max)
    weeks = weeks_between(data.start_date, data.end_date)
    if not 1 <= data.hours_per_year <= data.weekly_hours * weeks:
        raise invalid("hours_per_year", N_("iefp.plan.period_too_short"), "more hours than the period holds",
                      hours=data.hours_per_year, weekly=data.weekly_hours, weeks=weeks,
                      max=data.weekly_hours * weeks)
    if data.kind == APPRENDISTATO:
        rules = bounds()["kinds"][APPRENDISTATO]
        months = months_between(data.start_date, data.end_date)
        if months < rules["min_months"]:
            raise invalid("end_date", N_("iefp.plan.duration_min"), "shorter than the minimum", months=months,
                          min=rules["min_months"])
    if not data.company_tutor.strip():
        raise invalid("company_tutor", N_("iefp.plan.tutor_company_missing"), "missing")
    return version, nuts3


def create_place(session: Session, *, actor: Principal, organisation_id: int, data: PlaceInput,
                 publish: bool = False) -> Place:
    """A firm's place (a draft, or published at once)."""
    allow(actor, WRITE, Resource.IEFP_PLACE, Owner(organisation_id))
    get(session, Organisation, organisation_id, "organisation")
    version, nuts3 = _check_place(session, data)
    place = Place(organisation_id=organisation_id, kind=data.kind, figure_id=version.figure_id,
                  figure_version_id=version.id, title=data.title.strip(), description=data.description.strip(),
                  seats=data.seats, comune=data.comune.strip(), nuts3=nuts3, ateco=data.ateco.strip().upper(),
                  school_year=data.school_year, start_date=data.start_date, end_date=data.end_date,
                  hours_per_year=data.hours_per_year, weekly_hours=data.weekly_hours,
                  company_tutor=data.company_tutor.strip(), status=PUBLISHED if publish else "draft")
    session.add(place)
    session.flush()
    audit.record(session, actor=actor, action="create", resource_type="iefp_place", resource_id=place.id,
                 organisation_id=organisation_id, after=audit.snapshot(place))
    return place


def set_status(session: Session, *, actor: Principal, place_id: int, status: str) -> Place:
    place = get(session, Place, place_id, "place")
    allow(actor, WRITE, Resource.IEFP_PLACE, place)
    moves = {("draft", PUBLISHED), (PUBLISHED, "closed"), ("closed", PUBLISHED)}
    if (place.status, status) not in moves:
        raise Conflict(f"a {place.status} place cannot become {status}", key=N_("iefp.err.place_status"),
                       params={"from": place.status, "to": status})
    before = place.status
    place.status = status
    session.flush()
    audit.record(session, actor=actor, action=status, resource_type="iefp_place", resource_id=place.id,
                 organisation_id=place.organisation_id, before={"status": before}, after={"status": status})
    return place


def get_place(session: Session, *, principal: Principal, place_id: int) -> Place:
    place = get(session, Place, place_id, "place")
    allow(principal, READ, Resource.IEFP_PLACE, place)
    return place


def list_places(session: Session, *, principal: Principal, organisation_id: int | None = None,
                school_year: str | None = None, status: str | None = None) -> list[Place]:
    allow(principal, READ, Resource.IEFP_PLACE)
    query = visible(select(Place), principal, Place).options(selectinload(Place.figure_version)).order_by(
        Place.start_date, Place.id)
    if organisation_id is not None:
        query = query.where(Place.organisation_id == organisation_id)
    if school_year:
        query = query.where(Place.school_year == school_year)
    if status:
        query = query.where(Place.status == status)
    return list(session.scalars(query))


# --- candidacies -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Side:
    """A candidacy as the policy reads it for a write by one side."""

    centre_id: int
    firm_id: int
    proposed_at: datetime | None
    side: str


def set_preferences(session: Session, *, actor: Principal, student_id: int, place_ids: list[int],
                    propose: bool = True) -> list[Candidacy]:
    """The student's ranking of the places they would accept (best first), recorded by the centre; with
    ``propose`` the student becomes a candidate for each of them (the firm sees them from then on). Places
    left out lose the student's rank (a proposal already made stays: the firm was told)."""
    student = students_mod.load(session, student_id)
    allow(actor, WRITE, Resource.IEFP_STUDENT, student)
    if len(set(place_ids)) != len(place_ids):
        raise invalid("place_ids", N_("iefp.err.place_twice"), "a place is listed twice")
    if propose and place_ids and student.consent_at is None:
        raise invalid("consent", N_("iefp.err.no_consent"), "the family's consent is not recorded",
                      student=student.label)
    held = {c.place_id: c for c in session.scalars(select(Candidacy).where(Candidacy.student_id == student.id))}
    out = []
    now = datetime.now(UTC)
    for rank, place_id in enumerate(place_ids, start=1):
        place = session.get(Place, place_id)
        if place is None or place.status != PUBLISHED:
            raise invalid(f"place_ids[{rank - 1}]", N_("iefp.err.place_unavailable"), "not a published place",
                          place=place_id)
        if place.school_year != student.path.school_year:
            raise invalid(f"place_ids[{rank - 1}]", N_("iefp.err.place_year"), "another school year",
                          place=place_id, year=place.school_year)
        c = held.pop(place_id, None)
        if c is None:
            c = Candidacy(place_id=place_id, student_id=student.id, centre_id=student.organisation_id,
                          firm_id=place.organisation_id)
            session.add(c)
        c.student_rank = rank
        if propose and c.proposed_at is None:
            c.proposed_at, c.proposed_by = now, actor.label
        out.append(c)
    for c in held.values():
        c.student_rank = None
    session.flush()
    audit.record(session, actor=actor, action="preferences", resource_type="iefp_student", resource_id=student.id,
                 organisation_id=student.organisation_id, after={"places": place_ids, "propose": propose})
    return out


def propose(session: Session, *, actor: Principal, student_id: int, place_id: int) -> Candidacy:
    """Propose a student to a firm for a place (without touching the student's ranking)."""
    student = students_mod.load(session, student_id)
    allow(actor, WRITE, Resource.IEFP_STUDENT, student)
    if student.consent_at is None:
        raise invalid("consent", N_("iefp.err.no_consent"), "the family's consent is not recorded",
                      student=student.label)
    place = session.get(Place, place_id)
    if place is None or place.status != PUBLISHED:
        raise invalid("place_id", N_("iefp.err.place_unavailable"), "not a published place", place=place_id)
    c = session.scalar(select(Candidacy).where(Candidacy.place_id == place_id, Candidacy.student_id == student_id))
    if c is None:
        c = Candidacy(place_id=place_id, student_id=student.id, centre_id=student.organisation_id,
                      firm_id=place.organisation_id)
        session.add(c)
    if c.proposed_at is None:
        c.proposed_at, c.proposed_by = datetime.now(UTC), actor.label
    session.flush()
    audit.record(session, actor=actor, action="propose", resource_type="iefp_candidacy", resource_id=c.id,
                 organisation_id=student.organisation_id, after={"place_id": place_id, "student": student.label})
    return c


def rank_candidates(session: Session, *, actor: Principal, place_id: int, student_ids: list[int]) -> list[Candidacy]:
    """The firm's ranking of the candidates proposed for its place (best first); a proposed candidate left
    out is not acceptable to the firm (never matched to this place)."""
    place = get(session, Place, place_id, "place")
    allow(actor, WRITE, Resource.IEFP_PLACE, place)
    if len(set(student_ids)) != len(student_ids):
        raise invalid("student_ids", N_("iefp.err.student_twice"), "a candidate is listed twice")
    proposed = {c.student_id: c for c in session.scalars(select(Candidacy).where(
        Candidacy.place_id == place_id, Candidacy.proposed_at.is_not(None)))}
    now = datetime.now(UTC)
    for n, sid in enumerate(student_ids):
        c = proposed.get(sid)
        if c is None:
            raise invalid(f"student_ids[{n}]", N_("iefp.err.not_candidate"), "not a candidate proposed for this place",
                          student=sid)
        allow(actor, WRITE, Resource.IEFP_CANDIDACY, Side(c.centre_id, c.firm_id, c.proposed_at, "firm"))
    ranked = set(student_ids)
    for sid, c in proposed.items():
        c.firm_rank = student_ids.index(sid) + 1 if sid in ranked else None
        c.ranked_at = now
    session.flush()
    audit.record(session, actor=actor, action="rank", resource_type="iefp_place", resource_id=place.id,
                 organisation_id=place.organisation_id, after={"ranking": student_ids})
    return [proposed[s] for s in student_ids]


@dataclass(frozen=True)
class CandidateView:
    candidacy_id: int
    place_id: int
    student_id: int
    label: str
    name: str | None
    figure_code: str
    figure_title: str
    year_of_course: int
    firm_rank: int | None
    student_rank: int | None  # only for the centre and the Region
    commute_min: int | None
    fit: dict[str, Any]
    proposed: bool


def candidates(session: Session, *, principal: Principal, place_id: int | None = None,
               student_id: int | None = None, commutes: Commutes | None = None) -> list[CandidateView]:
    """Candidacies the principal may read (the firm: proposed ones only), with the commute estimate from the
    student's comune to the place and the figure fit."""
    allow(principal, READ, Resource.IEFP_CANDIDACY)
    query = visible(select(Candidacy), principal, Candidacy).options(
        selectinload(Candidacy.place).selectinload(Place.figure_version).selectinload(FigureVersion.competences),
        selectinload(Candidacy.student).selectinload(Student.path).selectinload(TrainingPath.figure_version)
        .selectinload(FigureVersion.competences))
    if place_id is not None:
        query = query.where(Candidacy.place_id == place_id)
    if student_id is not None:
        query = query.where(Candidacy.student_id == student_id)
    rows = list(session.scalars(query))
    region = can(principal, READ, Resource.IEFP_SYSTEM)  # the Region reads ranks, never names
    rows.sort(key=lambda c: (c.place_id, c.firm_rank is None, c.firm_rank or 0, c.student.label))
    out = []
    for c in rows:
        s, p = c.student, c.place
        centre_side = region or c.centre_id in principal.org_ids()
        fit = figure_fit(s.path.figure_version, p.figure_version)
        out.append(CandidateView(
            candidacy_id=c.id, place_id=p.id, student_id=s.id, label=s.label,
            name=f"{s.given_name} {s.family_name}" if may_see_candidate_name(principal, c) else None,
            figure_code=s.path.figure_version.figure.code, figure_title=s.path.figure_version.title,
            year_of_course=s.path.year_of_course, firm_rank=c.firm_rank,
            student_rank=c.student_rank if centre_side else None,
            commute_min=commutes.minutes(s.comune, p.comune) if commutes else None, fit=fit,
            proposed=c.proposed_at is not None))
    return out
