"""API shapes of the iefp domain (requests validated here; the rules of the domain in the services)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from regia.iefp.models import MATCHING_MODES, OUTCOMES, PLACE_KINDS

Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
Hours = Annotated[int, Field(ge=0, le=10_000)]
SchoolYear = Annotated[str, Field(pattern=r"^\d{4}/\d{2}$", examples=["2026/27"], description="e.g. 2026/27")]
Comune = Annotated[str, Field(pattern=r"^\d{6}$", description="ISTAT code of the comune")]
PlaceKind = Literal[PLACE_KINDS]  # type: ignore[valid-type]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CompetenceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    title: str
    kind: str
    esco_skills: list[str]


class FigureVersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: int
    content_hash: str
    kind: str
    title: str
    title_en: str
    eqf_level: int
    years: int
    description: str
    ateco: list[str]
    cp2011: list[str]
    esco_occupations: list[str]
    source: str
    imported_at: datetime
    competences: list[CompetenceOut]


class FigureOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    kind: str
    title: str
    current_version: int
    demo: bool


class FigureDetail(FigureOut):
    versions: list[FigureVersionOut]


class ImportCounts(BaseModel):
    file: str
    read: int
    stored: int
    duplicate: int = Field(description="Records already held with the same content")
    rejected: int = Field(description="In the quarantine (domain iefp-figures) with line, field and reason")
    figures_new: int
    versions_new: int
    resumed_from: int
    run_id: int | None
    rejections: list[str]


class SeatOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    comune: str
    nuts3: str


class CentreOut(BaseModel):
    id: int
    organisation_id: int
    name: str
    accreditation_code: str
    seats: list[SeatOut]
    paths: int


class PathIn(Strict):
    seat_id: Id
    figure_code: str = Field(min_length=2, max_length=30)
    school_year: SchoolYear
    year_of_course: int = Field(ge=1, le=4)
    places: int = Field(ge=0, le=1000)
    enrolled: int = Field(default=0, ge=0, le=1000)
    section: str = Field(default="A", max_length=10)


class PathUpdate(Strict):
    places: int = Field(ge=0, le=1000)
    enrolled: int = Field(ge=0, le=1000)


class PathOut(BaseModel):
    id: int
    organisation_id: int
    seat: SeatOut
    figure_code: str
    figure_version: int
    figure_title: str
    school_year: str
    year_of_course: int
    section: str
    places: int
    enrolled: int


class StudentIn(Strict):
    path_id: Id
    tax_code: str = Field(min_length=16, max_length=16, description="Codice fiscale: kept only as its keyed hash")
    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    birth_date: date
    comune: Comune


class ConsentIn(Strict):
    given_by: Literal["parent", "guardian", "student"]


class StudentOut(BaseModel):
    id: int
    label: str = Field(description="How everyone but the centre knows the student")
    organisation_id: int
    path_id: int
    figure_code: str
    figure_title: str
    year_of_course: int
    school_year: str
    comune: str
    consent: bool
    name: str | None = Field(description="Only for the centre's staff")
    birth_date: date | None = Field(description="Only for the centre's staff")
    minor: bool | None


class PreferencesIn(Strict):
    place_ids: list[Id] = Field(max_length=50, description="The places the student would accept, best first")
    propose: bool = Field(default=True, description="Propose the student to each of these places' firms")


class PlaceIn(Strict):
    organisation_id: Id | None = Field(default=None, description="The firm (default: your firm)")
    kind: PlaceKind = Field(description=f"One of {', '.join(PLACE_KINDS)}")
    figure_code: str = Field(min_length=2, max_length=30)
    title: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=4000)
    seats: int = Field(ge=1, le=100)
    comune: Comune
    ateco: str = Field(min_length=1, max_length=8)
    school_year: SchoolYear
    start_date: date
    end_date: date
    hours_per_year: Hours
    weekly_hours: int = Field(ge=1, le=48)
    company_tutor: str = Field(min_length=1, max_length=200)
    publish: bool = False


class StatusIn(Strict):
    status: Literal["published", "closed"]


class PlaceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    organisation_id: int
    kind: str
    title: str
    description: str
    seats: int
    comune: str
    nuts3: str
    ateco: str
    school_year: str
    start_date: date
    end_date: date
    hours_per_year: int
    weekly_hours: int
    company_tutor: str
    status: str


class RankingIn(Strict):
    student_ids: list[Id] = Field(max_length=200, description="Proposed candidates, best first; left out: not "
                                  "acceptable")


class CandidateOut(BaseModel):
    candidacy_id: int
    place_id: int
    student_id: int
    label: str
    name: str | None = Field(description="Once the centre proposed the student")
    figure_code: str
    figure_title: str
    year_of_course: int
    firm_rank: int | None
    student_rank: int | None = Field(description="Only for the centre and the Region")
    commute_min: int | None = Field(description="Estimated minutes from the student's comune (see README)")
    fit: dict[str, Any]
    proposed: bool


class RunIn(Strict):
    school_year: SchoolYear
    nuts3: str | None = Field(default=None, pattern=r"^IT[A-Z0-9]{3}$")
    mode: Literal[MATCHING_MODES] = "deferred_acceptance"  # type: ignore[valid-type]
    tie_break: Literal["id", "lottery"] = "id"
    seed: str = Field(default="", max_length=64)


class RunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    school_year: str
    nuts3: str | None
    mode: str
    input_hash: str
    run_by: str
    run_at: datetime
    result: dict[str, Any]


class RunDetail(RunOut):
    instance: dict[str, Any] = Field(description="The input, in the format of `regia iefp match`")


class AssignmentOut(BaseModel):
    id: int
    run_id: int
    place_id: int
    place_title: str
    student_id: int
    label: str
    name: str | None
    explanation: dict[str, Any]


class PlacementIn(Strict):
    assignment_id: Id
    start_date: date | None = None
    end_date: date | None = None


class CompetenceChoice(Strict):
    code: str = Field(min_length=1, max_length=40)
    where: Literal["work", "centre"]


class PlanIn(Strict):
    year_of_course: int = Field(ge=1, le=4)
    hours_work: Hours = Field(description="At the firm (formazione interna)")
    hours_centre: Hours = Field(description="At the centre (formazione esterna)")
    weekly_hours_work: int = Field(ge=0, le=60)
    competences: list[CompetenceChoice] = Field(max_length=200)
    tutor_company: str = Field(default="", max_length=200)
    tutor_centre: str = Field(default="", max_length=200)
    version: int | None = Field(default=None, ge=1, description="The plan version you read (409 if it changed)")
    sign: bool = Field(default=False, description="The plan is agreed: the placement (contract) starts")


class PlanOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    figure_version_id: int
    school_year: str
    year_of_course: int
    hours_work: int
    hours_centre: int
    weekly_hours_work: int
    competences: list[dict[str, str]]
    tutor_company: str
    tutor_centre: str
    status: str
    version: int


class ProgressIn(Strict):
    period: date
    hours_work_done: Hours
    hours_centre_done: Hours
    competences_acquired: list[Annotated[str, Field(max_length=40)]] = Field(default_factory=list, max_length=200)
    note: str = Field(default="", max_length=4000)


class ProgressOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    period: date
    hours_work_done: int
    hours_centre_done: int
    competences_acquired: list[str]
    note: str


class OutcomeIn(Strict):
    outcome: Literal[OUTCOMES]  # type: ignore[valid-type]
    outcome_at: date
    hired_after: bool | None = None
    hired_on: date | None = None


class PlacementOut(BaseModel):
    id: int
    place_id: int
    student_label: str
    kind: str
    nuts3: str
    status: str
    start_date: date
    end_date: date
    contract_started_at: date | None
    figure_version_id: int
    outcome: str | None
    outcome_at: date | None
    hired_after: bool | None
    hired_on: date | None
    hired_source: str | None = Field(description="`declared` by the centre, or `co` (the mandatory communications)")
    plan: PlanOut | None
    progress: list[ProgressOut]


class IssueOut(BaseModel):
    field: str
    key: str
    params: dict[str, Any]
    message: str
    messaggio: str
