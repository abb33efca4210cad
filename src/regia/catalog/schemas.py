"""API shapes of the catalogue."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field


class CourseHit(BaseModel):
    id: int
    title: str
    provider: str
    course_code: str
    score: float = Field(description="Relevance in [0, 1] (0 when nothing ranks: ordered by next start date)")
    hours: float
    modality: str
    digital: bool
    green: bool
    next_start: date | None
    provinces: list[str] = Field(description="NUTS3 codes of the editions' places")
    comuni: list[str]
    targets: list[str]
    funding: list[str]
    seats: int
    skills_matched: int = Field(description="Skills asked (skill= or the occupation's essential ones) it teaches")


class SearchOut(BaseModel):
    total: int
    page: int
    size: int
    results: list[CourseHit]
    facets: dict[str, dict[str, int]] = Field(
        description="Per facet (province, target, modality, funding, fund, hours, start_month, digital, green): "
                    "value -> number of matching courses")


class PublishIn(BaseModel):
    courses: list[dict[str, Any]] = Field(
        description="Course editions with the columns of the CSV format (provider_name, provider_vat, "
                    "course_code, title, description, hours, modality, comune, start_date, end_date, seats, "
                    "cost_eur, funding, targets, eqf_level, certification; optional skills, occupations)",
        max_length=5000)


class PublishOut(BaseModel):
    read: int
    stored: int
    duplicate: int
    rejected: int
    rejections: list[str]
    course_ids: list[int]


class SkillsIn(BaseModel):
    confirm: list[str] = Field(default_factory=list, description="ESCO skill URIs taught (confirmed or added)",
                               max_length=200)
    remove: list[str] = Field(default_factory=list, description="ESCO skill URIs not taught", max_length=200)


class CourseSkillOut(BaseModel):
    uri: str
    label: str
    origin: str
    score: float
    confirmed: bool


class EditionOut(BaseModel):
    id: int
    start_date: date | None
    end_date: date | None
    seats: int
    comune: str | None
    comune_name: str | None
    nuts3: str | None
    sources: list[str]


class SourceOut(BaseModel):
    source: str
    key: str
    match: str
    match_score: float | None
    first_seen: datetime
    last_seen: datetime


class VersionOut(BaseModel):
    source: str
    created_at: datetime
    changes: list[str]


class CourseOut(BaseModel):
    id: int
    title: str
    description: str
    provider: dict[str, Any]
    course_code: str | None
    hours: float
    modality: str
    cost_eur: float
    eqf_level: int | None
    certification: str | None
    digital: bool
    green: bool
    targets: list[str]
    funding: list[str]
    editions: list[EditionOut]
    skills: list[CourseSkillOut]
    occupations: list[dict[str, Any]]
    sources: list[SourceOut]
    history: list[VersionOut]
