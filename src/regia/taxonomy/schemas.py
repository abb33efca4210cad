"""API shapes of the taxonomy."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class SearchResult(BaseModel):
    id: str = Field(description="ESCO URI, or the standard's code (ISCO, CP2011, ATECO, NUTS3/ISTAT)")
    type: str
    label: str = Field(description="Preferred label in the asked language, else in another one")
    score: float


class ConceptRef(BaseModel):
    id: str
    type: str
    label: str
    scheme: str
    level: str | None = None


class LabelSet(BaseModel):
    preferred: list[str] = []
    alternative: list[str] = []
    hidden: list[str] = []


class ConceptDetail(BaseModel):
    id: str
    type: str
    scheme: str
    uri: str | None
    level: str | None
    label: str
    labels: dict[str, LabelSet] = Field(description="Labels per language")
    texts: dict[str, dict[str, str]] = Field(description="Description, definition, scope note per language")
    attrs: dict[str, Any]
    broader: list[ConceptRef] = []
    narrower: list[ConceptRef] = []
    essential_skills: list[ConceptRef] = []
    optional_skills: list[ConceptRef] = []
    occupations: list[ConceptRef] = Field(default=[], description="Occupations that require the skill")
    isco: list[ConceptRef] = []
    cp2011: list[ConceptRef] = []
    esco_occupations: list[ConceptRef] = Field(default=[], description="ESCO occupations mapped to a CP code")
    skill_groups: list[ConceptRef] = []
    collections: list[str] = []
    flags: dict[str, bool] = {}
    related: list[ConceptRef] = []


class TaxonomyStats(BaseModel):
    skills: int
    occupations: int
    skill_groups: int
    occupation_skill_relations: int
    occupations_with_label: dict[str, int]
    skills_with_label: dict[str, int]
    isco_groups: int
    isco_groups_with_label: dict[str, int]
    cp2011_units: int
    cp2011_codes: int
    ateco: dict[str, int]
    regions: int
    provinces: int
    comuni: int
    provinces_with_geometry: int
