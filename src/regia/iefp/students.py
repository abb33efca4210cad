"""Students of the centres' paths: pseudonymised, mostly minors, with the family's consent recorded.

The codice fiscale is checked (python-stdnum) and kept only as its keyed hash (``pseudonym``); everyone but the
centre's staff knows a student by ``label`` (``S-`` and eight characters of the pseudonym). Names and the birth
date leave the service only for principals :func:`regia.auth.policy.may_see_student_names` allows (and, on a
candidacy, :func:`regia.auth.policy.may_see_candidate_name`). No student is proposed to a firm before the
consent is recorded: a parent's or guardian's for a minor, the student's own once of age.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from stdnum.exceptions import ValidationError
from stdnum.it import codicefiscale

from regia.auth import audit
from regia.auth.errors import Conflict
from regia.auth.policy import READ, WRITE, Resource, may_see_student_names, visible
from regia.auth.principal import Principal
from regia.auth.pseudonym import pseudonymise
from regia.clock import rome_today
from regia.i18n import N_
from regia.iefp.kit import Owner, allow, comune, get, invalid
from regia.iefp.models import Student, TrainingPath
from regia.iefp.rules import age_on

CONSENT_BY = ("parent", "guardian", "student")


@dataclass(frozen=True)
class StudentView:
    """A student as one principal may see them."""

    id: int
    label: str
    organisation_id: int
    path_id: int
    figure_code: str
    figure_title: str
    year_of_course: int
    school_year: str
    comune: str
    consent: bool
    name: str | None = None  # only for the centre's staff
    birth_date: date | None = None
    minor: bool | None = None


def view(principal: Principal, student: Student, today: date | None = None) -> StudentView:
    path = student.path
    named = may_see_student_names(principal, student)
    return StudentView(
        id=student.id, label=student.label, organisation_id=student.organisation_id, path_id=student.path_id,
        figure_code=path.figure_version.figure.code, figure_title=path.figure_version.title,
        year_of_course=path.year_of_course, school_year=path.school_year, comune=student.comune,
        consent=student.consent_at is not None,
        name=f"{student.given_name} {student.family_name}" if named else None,
        birth_date=student.birth_date if named else None,
        minor=age_on(student.birth_date, today or rome_today()) < 18 if named else None)


def enrol(session: Session, *, actor: Principal, path_id: int, tax_code: str, given_name: str, family_name: str,
          birth_date: date, comune_code: str) -> Student:
    path = get(session, TrainingPath, path_id, "path")
    allow(actor, WRITE, Resource.IEFP_STUDENT, Owner(path.organisation_id))
    try:
        code = codicefiscale.validate(tax_code)
    except ValidationError:
        raise invalid("tax_code", N_("iefp.err.tax_code"), "not a valid codice fiscale") from None
    if len(code) != 16:
        raise invalid("tax_code", N_("iefp.err.tax_code"), "a person's codice fiscale has 16 characters")
    for name, value in (("given_name", given_name), ("family_name", family_name)):
        if not value.strip() or len(value.strip()) > 100:
            raise invalid(name, N_("iefp.err.required"), "missing or too long")
    age = age_on(birth_date, rome_today())
    if not 13 <= age <= 30:
        raise invalid("birth_date", N_("iefp.err.birth_date"), "an IeFP student is 13 to 30 years old", age=age)
    place, _ = comune(session, comune_code)
    pseudonym = pseudonymise("fiscal_code", code)
    if session.scalar(select(Student.id).where(Student.pseudonym == pseudonym)) is not None:
        raise Conflict("this student is already enrolled", key=N_("iefp.err.student_exists"))
    student = Student(organisation_id=path.organisation_id, path_id=path.id, pseudonym=pseudonym,
                      label="S-" + pseudonym[:8].upper(), given_name=given_name.strip(),
                      family_name=family_name.strip(), birth_date=birth_date, comune=place)
    session.add(student)
    session.flush()
    audit.record(session, actor=actor, action="create", resource_type="iefp_student", resource_id=student.id,
                 organisation_id=student.organisation_id, after={"label": student.label, "path_id": path.id})
    return student


def record_consent(session: Session, *, actor: Principal, student_id: int, given_by: str,
                   at: datetime | None = None) -> Student:
    """The consent to the placement and to sharing the student's name with the firms the centre proposes them
    to: a parent's or guardian's for a minor; the student's own when of age."""
    student = get(session, Student, student_id, "student")
    allow(actor, WRITE, Resource.IEFP_STUDENT, student)
    if given_by not in CONSENT_BY:
        raise invalid("consent_by", N_("iefp.err.consent_by"), "parent, guardian or student", value=given_by)
    minor = age_on(student.birth_date, rome_today()) < 18
    if minor and given_by == "student":
        raise invalid("consent_by", N_("iefp.err.consent_minor"), "a minor's consent is given by a parent or guardian")
    student.consent_at, student.consent_by = at or datetime.now(UTC), given_by
    session.flush()
    audit.record(session, actor=actor, action="consent", resource_type="iefp_student", resource_id=student.id,
                 organisation_id=student.organisation_id, after={"consent_by": given_by})
    return student


def load(session: Session, student_id: int) -> Student:
    student = session.scalar(select(Student).where(Student.id == student_id).options(
        selectinload(Student.path).selectinload(TrainingPath.figure_version)))
    if student is None:
        get(session, Student, student_id, "student")  # raises NotFound
    assert student is not None
    return student


def get_student(session: Session, *, principal: Principal, student_id: int) -> StudentView:
    student = load(session, student_id)
    allow(principal, READ, Resource.IEFP_STUDENT, student)
    return view(principal, student)


def list_students(session: Session, *, principal: Principal, organisation_id: int | None = None,
                  school_year: str | None = None) -> list[StudentView]:
    allow(principal, READ, Resource.IEFP_STUDENT)
    query = visible(select(Student), principal, Student).join(TrainingPath, TrainingPath.id == Student.path_id).options(
        selectinload(Student.path).selectinload(TrainingPath.figure_version)).order_by(Student.label)
    if organisation_id is not None:
        query = query.where(Student.organisation_id == organisation_id)
    if school_year:
        query = query.where(TrainingPath.school_year == school_year)
    return [view(principal, s) for s in session.scalars(query)]
