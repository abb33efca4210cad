"""E-service ``needs`` v1: skill needs (demand from job postings) and demand/supply mismatch figures, the same
figures as ``regia.analytics`` gives the pages and reports.

Two kinds of operations: queries for a selection (``GET /needs/skills``, ``GET /needs/mismatch`` with territory,
sector and period) and feeds of the figures per province and skill (``needs.skills``, ``needs.mismatch``),
computed resources whose log is refreshed when read after ``figures_max_age`` seconds (or by ``regia exchange
feeds refresh``): a client keeps the figures in sync, receiving only the rows that changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from regia.analytics import mismatch as mismatch_analytics
from regia.analytics.needs import FilterError, Filters, Needs
from regia.auth.policy import READ
from regia.exchange.errors import ExchangeError
from regia.exchange.feeds import only
from regia.exchange.registry import REGISTRY, EService, FeedResource, LoadContext, Purpose
from regia.exchange.security import ClientCall, client_call
from regia.i18n import N_

SKILLS = "needs.skills"
MISMATCH = "needs.mismatch"


@dataclass
class Figures:
    """The analytics the needs e-service reads: postings facts in DuckDB (``facts_dir``) and the catalogue."""

    engine: Engine
    facts_dir: Path | None = None
    _needs: Needs | None = None

    @property
    def needs(self) -> Needs:
        if self._needs is None:
            self._needs = Needs(self.engine, self.facts_dir)
        return self._needs

    @classmethod
    def for_app(cls, app: Any) -> Figures:
        """The app's figures (one per app, like the needs pages' analytics)."""
        figures = getattr(app.state, "exchange_figures", None)
        if figures is None or figures.engine is not app.state.engine:
            settings = getattr(app.state, "settings", None)
            facts_dir = settings.data_dir / "facts" / "postings" if settings is not None else None
            figures = app.state.exchange_figures = cls(app.state.engine, facts_dir)
        return figures  # type: ignore[no-any-return]

    def provinces(self) -> dict[str, int]:
        """Postings (distinct groups) per province with any."""
        return {r["province"]: int(r["postings"]) for r in self.needs.cube(Filters(), ["province"]) if r["province"]}


def _figures(ctx: LoadContext) -> Figures:
    if ctx.figures is None:
        raise RuntimeError("the needs e-service needs the analytics figures (LoadContext.figures)")
    return ctx.figures  # type: ignore[no-any-return]


def load_skill_needs(ctx: LoadContext, keys: list[str] | None) -> dict[str, dict[str, Any]]:
    figures = _figures(ctx)
    totals = figures.provinces()
    rows: dict[str, dict[str, Any]] = {}
    for r in figures.needs.cube(Filters(), ["province", "skill"]):
        if not r["province"] or not r["skill"]:
            continue
        total = totals.get(r["province"], 0)
        rows[f"{r['province']}|{r['skill']}"] = {
            "territory": r["province"], "skill": r["skill"], "postings": int(r["postings"]),
            "share": round(int(r["postings"]) / total, 6) if total else 0.0}
    return only(rows, keys)


def load_mismatch(ctx: LoadContext, keys: list[str] | None) -> dict[str, dict[str, Any]]:
    figures = _figures(ctx)
    rows: dict[str, dict[str, Any]] = {}
    for nuts3 in sorted(figures.provinces()):
        table = mismatch_analytics.mismatch(figures.engine, territory=nuts3, limit=100_000,
                                            facts_dir=figures.facts_dir)
        for r in table.rows:
            rows[f"{nuts3}|{r.skill}"] = {"territory": nuts3, "skill": r.skill, "demand": r.demand,
                                          "demand_share": r.demand_share, "supply": r.supply,
                                          "supply_share": r.supply_share, "courses": r.courses, "gap": r.gap,
                                          "confidence": r.confidence}
    return only(rows, keys)


class SkillNeedRecord(BaseModel):
    """Postings asking for a skill in a province (whole period), and their share of the province's postings."""

    territory: str = Field(description="NUTS3 code of the province")
    skill: str = Field(description="ESCO skill URI")
    postings: int = Field(description="Distinct postings (near-duplicates counted once)")
    share: float


class MismatchRecord(BaseModel):
    """Demand and supply of a skill in a province and their gap (log2 of the demand share over the supply
    share, smoothed; see regia.analytics.mismatch)."""

    territory: str
    skill: str
    demand: int
    demand_share: float
    supply: int = Field(description="Seats of course editions in the province teaching the skill")
    supply_share: float
    courses: int
    gap: float
    confidence: str = Field(description="low, medium or high")


SKILL_EXAMPLE = {"territory": "ITC4C", "skill": "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d",
                 "postings": 120, "share": 0.083}
MISMATCH_EXAMPLE = {"territory": "ITC4C", "skill": SKILL_EXAMPLE["skill"], "demand": 120, "demand_share": 0.083,
                    "supply": 30, "supply_share": 0.02, "courses": 2, "gap": 2.05, "confidence": "high"}

router = APIRouter(tags=["needs"])
Territory = Annotated[str | None, Query(max_length=80, description="NUTS2/NUTS3 code, province name or sigla")]
Sector = Annotated[str | None, Query(max_length=4, description="ATECO 2007 section (C) or division (25)")]


def _invalid(field: str, message: str) -> ExchangeError:
    return ExchangeError(422, "invalid_request", f"{field}: {message}")


@router.get("/needs/skills", summary="Skills most asked by job postings in a selection",
            responses={200: {"content": {"application/json": {"example": {
                "selection": {"territory": "ITC4C", "sector": None, "from": None, "to": None}, "postings": 1450,
                "skills": [{"skill": SKILL_EXAMPLE["skill"], "label": "comunicare", "postings": 120,
                            "share": 0.083, "digital": False, "green": False, "transversal": True}]}}}}})
async def skill_needs(request: Request, call: Annotated[ClientCall, Depends(client_call(READ, SKILLS))],
                      territory: Territory = None, sector: Sector = None,
                      start: Annotated[str | None, Query(alias="from", max_length=7, pattern=r"^\d{4}-\d{2}$",
                                                         description="First month, YYYY-MM")] = None,
                      end: Annotated[str | None, Query(alias="to", max_length=7, pattern=r"^\d{4}-\d{2}$",
                                                       description="Last month, YYYY-MM")] = None,
                      limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
    """Distinct postings asking each skill (and their share of the selection's postings), most asked first."""
    figures = Figures.for_app(request.app)

    def run() -> dict[str, Any]:
        try:
            f = figures.needs.filters(territory=territory, sector=sector, start=start, end=end)
        except FilterError as exc:
            raise _invalid(exc.field, str(exc)) from None
        rows = figures.needs.top_skills(f, n=limit)
        return {"selection": {"territory": f.territory, "sector": f.sector, "from": f.start, "to": f.end},
                "postings": figures.needs.summary_count(f), "skills": rows}

    out = await run_in_threadpool(run)
    call.state.touched(SKILLS, [r["skill"] for r in out["skills"]])
    return out


@router.get("/needs/mismatch", summary="Demand, supply and gap per skill in a province",
            responses={200: {"content": {"application/json": {"example": {
                "territory": "ITC4C", "territory_label": "Milano", "sector": None, "postings": 1450,
                "seats": 900, "rows": [MISMATCH_EXAMPLE]}}}}})
async def mismatch(request: Request, call: Annotated[ClientCall, Depends(client_call(READ, MISMATCH))],
                   territory: Annotated[str | None, Query(max_length=10, description="NUTS3 or sigla")] = None,
                   sector: Annotated[str | None, Query(max_length=2, description="ATECO section or division")] = None,
                   limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> dict[str, Any]:
    """Rows sorted by gap (largest first), as ``GET /api/mismatch`` of the public API."""
    figures = Figures.for_app(request.app)

    def run() -> dict[str, Any]:
        try:
            table = mismatch_analytics.mismatch(figures.engine, territory=territory, sector=sector, limit=limit,
                                                facts_dir=figures.facts_dir)
        except ValueError as exc:
            raise _invalid("territory" if "province" in str(exc) else "sector", str(exc)) from None
        data = table.as_dict()
        data.pop("no_demand", None)
        for row in data["rows"]:
            row.pop("by_target", None)
            row.pop("by_funding", None)
        return data

    out = await run_in_threadpool(run)
    call.state.touched(MISMATCH, [r["skill"] for r in out["rows"]])
    return out


ANALYSIS = Purpose("needs-analysis", N_("exchange.purpose.needs-analysis"), N_("exchange.purpose.needs-analysis.text"),
                   reads=frozenset({SKILLS, MISMATCH}))

ESERVICE = REGISTRY.add(EService(
    name="needs", title="Skill needs and mismatch",
    description="Skills asked by job postings per territory, and the gap between demand and training supply.",
    resources=(
        FeedResource(SKILLS, "/needs/skills", "Skill needs per province", SkillNeedRecord, load_skill_needs,
                     example=SKILL_EXAMPLE),
        FeedResource(MISMATCH, "/needs/mismatch", "Mismatch per province and skill", MismatchRecord,
                     load_mismatch, example=MISMATCH_EXAMPLE),
    ),
    purposes=(ANALYSIS,),
    router=router,
))
