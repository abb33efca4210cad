"""The IeFP offer: accredited centres (providers), their seats, the paths they run per school year, and where
each path sits against local demand."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from regia.auth import audit
from regia.auth.errors import Conflict
from regia.auth.models import Organisation, OrgType
from regia.auth.policy import READ, WRITE, Resource
from regia.auth.principal import Principal
from regia.i18n import N_
from regia.iefp import figures
from regia.iefp.kit import Owner, allow, check_school_year, comune, division_of, get, invalid, section_of
from regia.iefp.models import Centre, CentreSeat, Figure, FigureVersion, Student, TrainingPath
from regia.iefp.seams import DemandProvider


def register_centre(session: Session, *, actor: Principal, organisation_id: int,
                    accreditation_code: str = "") -> Centre:
    """Make a provider organisation an IeFP centre (idempotent)."""
    org = get(session, Organisation, organisation_id, "organisation")
    if org.type != OrgType.PROVIDER:
        raise invalid("organisation_id", N_("iefp.err.not_provider"), "an IeFP centre is an accredited provider",
                      name=org.name)
    allow(actor, WRITE, Resource.IEFP_OFFER, Owner(organisation_id))
    centre = session.scalar(select(Centre).where(Centre.organisation_id == organisation_id))
    if centre is None:
        centre = Centre(organisation_id=organisation_id, accreditation_code=accreditation_code.strip())
        session.add(centre)
        session.flush()
        audit.record(session, actor=actor, action="create", resource_type="iefp_centre", resource_id=centre.id,
                     organisation_id=organisation_id, after=audit.snapshot(centre))
    return centre


def centre_of(session: Session, organisation_id: int) -> Centre | None:
    return session.scalar(select(Centre).where(Centre.organisation_id == organisation_id)
                          .options(selectinload(Centre.seats)))


def add_seat(session: Session, *, actor: Principal, centre_id: int, name: str, comune_code: str) -> CentreSeat:
    centre = get(session, Centre, centre_id, "centre")
    allow(actor, WRITE, Resource.IEFP_OFFER, centre)
    if not name.strip():
        raise invalid("name", N_("iefp.err.required"), "missing")
    code, nuts3 = comune(session, comune_code)
    seat = session.scalar(select(CentreSeat).where(CentreSeat.centre_id == centre_id, CentreSeat.name == name.strip()))
    if seat is None:
        seat = CentreSeat(centre_id=centre_id, organisation_id=centre.organisation_id, name=name.strip(), comune=code,
                    nuts3=nuts3)
        session.add(seat)
        session.flush()
        audit.record(session, actor=actor, action="create", resource_type="iefp_seat", resource_id=seat.id,
                     organisation_id=centre.organisation_id, after=audit.snapshot(seat))
    return seat


def figure_by_code(session: Session, code: str, field: str = "figure_code") -> Figure:
    figure = session.scalar(select(Figure).where(Figure.code == code.strip().upper()))
    if figure is None:
        raise invalid(field, N_("iefp.err.figure"), f"no figure {code!r} in the repertory", code=code)
    return figure


def create_path(session: Session, *, actor: Principal, seat_id: int, figure_code: str, school_year: str,
                year_of_course: int, places: int, enrolled: int = 0, section: str = "A") -> TrainingPath:
    """A path of the seat's centre for the current version of the figure."""
    seat = get(session, CentreSeat, seat_id, "seat")
    allow(actor, WRITE, Resource.IEFP_OFFER, seat)
    figure = figure_by_code(session, figure_code)
    version = figures.current(session, figure)
    check_school_year(school_year)
    if not 1 <= year_of_course <= version.years:
        raise invalid("year_of_course", N_("iefp.err.year_of_course"), "outside the figure's years",
                      year=year_of_course, years=version.years)
    _counts(places, enrolled)
    path = TrainingPath(organisation_id=seat.organisation_id, seat_id=seat.id, figure_id=figure.id,
                figure_version_id=version.id, school_year=school_year, year_of_course=year_of_course,
                section=section.strip() or "A", places=places, enrolled=enrolled)
    session.add(path)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:  # the unique constraint: the same class twice
        raise Conflict("this path already exists", key=N_("iefp.err.path_exists")) from exc
    audit.record(session, actor=actor, action="create", resource_type="iefp_path", resource_id=path.id,
                 organisation_id=seat.organisation_id, after=audit.snapshot(path))
    return path


def _counts(places: int, enrolled: int) -> None:
    if places < 0 or places > 1000:
        raise invalid("places", N_("iefp.err.range"), "between 0 and 1000", low=0, high=1000)
    if enrolled < 0 or enrolled > places:
        raise invalid("enrolled", N_("iefp.err.enrolled"), "between 0 and the places", places=places)


def update_path(session: Session, *, actor: Principal, path_id: int, places: int, enrolled: int) -> TrainingPath:
    path = get(session, TrainingPath, path_id, "path")
    allow(actor, WRITE, Resource.IEFP_OFFER, path)
    _counts(places, enrolled)
    before = audit.snapshot(path)
    path.places, path.enrolled = places, enrolled
    session.flush()
    audit.record(session, actor=actor, action="update", resource_type="iefp_path", resource_id=path.id,
                 organisation_id=path.organisation_id, before=before, after=audit.snapshot(path))
    return path


def get_path(session: Session, path_id: int) -> TrainingPath:
    """A path with its seat and figure version (public)."""
    path = session.scalar(select(TrainingPath).where(TrainingPath.id == path_id).options(
        selectinload(TrainingPath.seat), selectinload(TrainingPath.figure_version)))
    if path is None:
        get(session, TrainingPath, path_id, "path")  # NotFound
    assert path is not None
    return path


def list_paths(session: Session, *, organisation_id: int | None = None, school_year: str | None = None,
               nuts3: str | None = None) -> list[TrainingPath]:
    query = (select(TrainingPath).join(CentreSeat, CentreSeat.id == TrainingPath.seat_id)
             .options(selectinload(TrainingPath.seat), selectinload(TrainingPath.figure_version))
             .order_by(TrainingPath.school_year.desc(), CentreSeat.name, TrainingPath.year_of_course, TrainingPath.id))
    if organisation_id is not None:
        query = query.where(TrainingPath.organisation_id == organisation_id)
    if school_year:
        query = query.where(TrainingPath.school_year == school_year)
    if nuts3:
        query = query.where(CentreSeat.nuts3 == nuts3)
    return list(session.scalars(query))


def list_centres(session: Session) -> list[dict[str, Any]]:
    """Every centre with its organisation's name, seats and number of paths (public)."""
    rows = session.execute(select(Centre, Organisation.name).join(Organisation, Organisation.id ==
                                                                  Centre.organisation_id)
                           .options(selectinload(Centre.seats)).order_by(Organisation.name)).all()
    counts = {org_id: n for org_id, n in session.execute(
        select(TrainingPath.organisation_id, func.count(TrainingPath.id)).group_by(TrainingPath.organisation_id))}
    return [{"centre": c, "name": name, "seats": list(c.seats), "paths": counts.get(c.organisation_id, 0)}
            for c, name in rows]


def enrolled_students(session: Session, path_id: int) -> int:
    return session.scalar(select(func.count(Student.id)).where(Student.path_id == path_id)) or 0


def figure_sectors(version: FigureVersion) -> list[str]:
    """The sectors a figure serves, as the demand tables take them: two-digit divisions, else sections."""
    out: list[str] = []
    for code in version.ateco:
        sector = division_of(code) or section_of(code)
        if sector and sector not in out:
            out.append(sector)
    return out


def figure_skills(version: FigureVersion) -> list[str]:
    return sorted({uri for c in version.competences for uri in c.esco_skills})


def path_position(session: Session, *, path_id: int, demand: DemandProvider | None,
                  principal: Principal) -> dict[str, Any]:
    """Where a path sits against local demand: in its seat's province, the postings of the figure's sectors
    and occupations, the pacts' needs in those sectors, and the demand/supply gap of the figure's skills."""
    path = get(session, TrainingPath, path_id, "path")
    allow(principal, READ, Resource.IEFP_OFFER, path)
    version = session.scalars(select(FigureVersion).where(FigureVersion.id == path.figure_version_id)
                              .options(selectinload(FigureVersion.competences))).one()
    seat = path.seat
    out: dict[str, Any] = {"path_id": path.id, "nuts3": seat.nuts3, "sectors": figure_sectors(version),
                           "places": path.places, "available": demand is not None}
    if demand is None:
        return out
    figures_ = demand([seat.nuts3], out["sectors"], occupations=[*version.cp2011, *version.esco_occupations],
                      skills=figure_skills(version))
    cells = [c for c in figures_.get("cells", []) if c.get("territory") == seat.nuts3]
    postings = sum(int(c.get("postings") or 0) for c in cells)
    occupation_postings = int((figures_.get("occupations") or {}).get(seat.nuts3, 0))
    out.update({
        "sources": figures_.get("sources", []), "cells": cells, "sector_postings": postings,
        "occupation_postings": occupation_postings,
        "pact_needs": sum(int(c.get("pact_needs") or 0) for c in cells),
        "places_per_100_postings": round(100 * path.places / occupation_postings, 1) if occupation_postings
        else None,
        "skills": (figures_.get("skills") or {}).get(seat.nuts3, []),
    })
    return out
