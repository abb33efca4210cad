"""REST API of the taxonomy: search, concept details, statistics, province boundaries (GeoJSON)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from regia.db import request_session
from regia.taxonomy import service
from regia.taxonomy.schemas import ConceptDetail, SearchResult, TaxonomyStats

Lang = Literal["it", "en"]
ConceptType = Literal["occupation", "skill", "skill_group", "isco", "cp", "ateco", "territory"]
SessionDep = Annotated[Session, Depends(request_session)]
LangQuery = Annotated[Lang | None, Query(description="Language of the labels: it or en (default: the server's, "
                                                     "Italian)")]

router = APIRouter(prefix="/api/taxonomy", tags=["taxonomy"])

# Some proxies merge the two slashes of "http://" in a path; put them back.
_MERGED_SCHEME = re.compile(r"^(https?):/(?!/)")


def normalise_concept_id(concept_id: str) -> str:
    return _MERGED_SCHEME.sub(r"\1://", concept_id.strip())


def lang_or_default(request: Request, lang: str | None) -> str:
    if lang:
        return lang
    default = getattr(request.app.state, "settings", None)
    return default.default_lang if default is not None and default.default_lang in ("it", "en") else "it"


@router.get("/search", response_model=list[SearchResult], summary="Search concepts by label")
def search(
    request: Request,
    session: SessionDep,
    q: Annotated[str, Query(min_length=1, max_length=200, description="Words to look for, Italian or English")],
    lang: LangQuery = None,
    types: Annotated[list[ConceptType] | None, Query(
        alias="type", description="Only concepts of this type (repeat the parameter for several)")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> list[SearchResult]:
    """Concepts whose labels match `q`, best first, with a score in [0, 1] (the same ranking as
    `regia taxonomy search --json`)."""
    return service.search(request.app.state.engine, session, q, lang=lang_or_default(request, lang),
                          types=types, limit=limit)


@router.get("/concepts/{concept_id:path}", response_model=ConceptDetail, summary="One concept, in full")
def concept(
    request: Request,
    session: SessionDep,
    concept_id: Annotated[str, Path(
        description="ESCO URI (`http://data.europa.eu/esco/occupation/...`), a code (ISCO `7212`, CP2011 "
                    "`6.2.1.2.0`, NUTS3 `ITC4C`, ISTAT comune `015146`) or `scheme:code` (`ateco2025:C`)")],
    lang: LangQuery = None,
) -> ConceptDetail:
    """Labels per language, descriptions, broader and narrower concepts; for an occupation its essential and
    optional skills, ISCO and CP2011 codes; for a skill its groups, collections and the occupations that
    need it; for a territory its codes and parent."""
    try:
        return service.get_concept(session, normalise_concept_id(concept_id), lang=lang_or_default(request, lang))
    except service.ConceptNotFound:
        raise HTTPException(404, detail=f"No concept with id {concept_id!r}") from None


@router.get("/stats", response_model=TaxonomyStats, summary="Counts of what the taxonomy holds")
def stats(session: SessionDep) -> TaxonomyStats:
    return service.stats(session)


class ProvinceProperties(BaseModel):
    nuts3: str = Field(description="NUTS 3 code of the province, e.g. ITC4C")
    name: str
    sigla: str | None = Field(description="Two-letter abbreviation, e.g. MI")
    region: str | None = Field(description="NUTS 2 code of the region, e.g. ITC4")


class GeoJSONGeometry(BaseModel):
    type: Literal["Polygon", "MultiPolygon"]
    coordinates: list[Any]


class ProvinceFeature(BaseModel):
    type: Literal["Feature"]
    geometry: GeoJSONGeometry
    properties: ProvinceProperties


class ProvinceCollection(BaseModel):
    type: Literal["FeatureCollection"]
    features: list[ProvinceFeature]


class GeoJSONResponse(JSONResponse):
    media_type = "application/geo+json"


@router.get("/provinces.geojson", response_model=ProvinceCollection, response_class=GeoJSONResponse,
            summary="Province boundaries as GeoJSON (WGS84)")
def provinces_geojson(
    session: SessionDep,
    region: Annotated[str | None, Query(pattern=r"^IT[A-Z0-9]{1,3}$", description="NUTS 2 code of a region, "
                                        "e.g. ITC4 for Lombardy; all of Italy when absent")] = None,
) -> Response:
    """Provinces with their NUTS 3 code, name, abbreviation and region. Fonte: ISTAT (boundaries via openpolis,
    CC BY 4.0)."""
    collection = service.province_features(session, region=region)
    if region and not collection["features"]:
        raise HTTPException(404, detail=f"No provinces for region {region!r}")
    return GeoJSONResponse(collection, headers={"Cache-Control": "public, max-age=3600"})
