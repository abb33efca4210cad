"""API shapes of the programming domain (with examples for the OpenAPI documentation)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from regia.programming.models import Agreement, Plan, SavedScenario

RowId = Annotated[int, Field(ge=1, le=2_147_483_647)]
Year = Annotated[int, Field(ge=2000, le=2100)]

SCENARIO_EXAMPLE: dict[str, Any] = {
    "name": "Scenario A", "years": [2026, 2027],
    "sources": [{"id": "fse", "targets": ["disoccupati", "inattivi"]}, {"id": "fondo-x", "targets": ["occupati"]}],
    "budget": {"fse": {"2026": 100000, "2027": 80000}, "fondo-x": {"2026": 50000, "2027": 50000}},
    "cells": [{"province": "ITC4C", "target": "occupati", "area": "digital", "need": 120, "weight": 1.5,
               "cost": 1200, "capacity": {"2026": 80, "2027": 80}},
              {"province": "ITC47", "target": "disoccupati", "area": "green", "need": 200, "cost": 1000}],
    "floor": {"ITC4C": 0.1}, "minimum": {"ITC47": 30}}


class Signatory(BaseModel):
    name: str = Field(max_length=200)
    role: str = Field(default="", max_length=200)
    party: str = Field(pattern="^(region|fund)$")
    signed_on: date | None = None


class AgreementIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "code": "ACC-FONDIMPRESA-2026", "title": "Accordo Regione Lombardia – Fondimpresa 2026-2028",
        "fund_id": 2, "starts_on": "2026-01-01", "ends_on": "2028-12-31",
        "priorities": {"areas": ["digital", "green"], "targets": ["occupati"], "territories": ["ITC4C"]},
        "commitments": {"region": "Bandi complementari", "fund": "Avvisi del Conto di Sistema"},
        "signatories": [{"name": "Assessore", "role": "Assessore al lavoro", "party": "region"}]}]})

    code: str = Field(min_length=1, max_length=40)
    title: str = Field(min_length=1, max_length=300)
    fund_id: RowId
    starts_on: date
    ends_on: date
    priorities: dict[str, list[str]] = Field(default_factory=dict)
    commitments: dict[str, str] = Field(default_factory=dict)
    signatories: list[Signatory] = Field(default_factory=list)


class AgreementChanges(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "version": 1, "changes": {"commitments": {"region": "Bandi complementari", "fund": "Più avvisi"}}}]})

    version: int | None = Field(default=None, ge=1, le=2_147_483_647,
                                description="The version read (a stale one is refused: 409)")
    changes: dict[str, Any] = Field(description="title, starts_on, ends_on, priorities, commitments, signatories")


class AmendmentIn(AgreementChanges):
    summary: str = Field(min_length=1, max_length=2000)


class StatusIn(BaseModel):
    target: str = Field(pattern="^(signed|in_force|closed)$", examples=["signed"])
    note: str | None = Field(default=None, max_length=2000)


class AgreementOut(BaseModel):
    id: int
    code: str
    title: str
    fund_id: int
    starts_on: date
    ends_on: date
    priorities: dict[str, Any]
    commitments: dict[str, str]
    signatories: list[dict[str, Any]]
    status: str
    amendment: int
    version: int
    plans: list[dict[str, Any]] = Field(default_factory=list)
    amendments: list[dict[str, Any]] = Field(default_factory=list)

    @classmethod
    def of(cls, a: Agreement) -> AgreementOut:
        return cls(id=a.id, code=a.code, title=a.title, fund_id=a.fund_id, starts_on=a.starts_on, ends_on=a.ends_on,
                   priorities=a.priorities, commitments=a.commitments, signatories=a.signatories, status=a.status,
                   amendment=a.amendment, version=a.version,
                   plans=[{"id": p.id, "title": p.title, "first_year": p.first_year, "last_year": p.last_year}
                          for p in a.plans],
                   amendments=[{"number": m.number, "summary": m.summary, "before": m.before, "after": m.after,
                                "made_by": m.made_by, "made_at": m.made_at.isoformat()} for m in a.amendments])


class PlanIn(BaseModel):
    title: str = Field(min_length=1, max_length=300, examples=["Piano attuativo 2026-2028"])
    first_year: int = Field(ge=2000, le=2100, examples=[2026])
    last_year: int = Field(ge=2000, le=2100, examples=[2028])


class PlanSave(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "version": 1,
        "lines": [{"code": "L1", "title": "Competenze digitali nelle PMI", "area": "digital", "target": "occupati",
                   "territory": "ITC46", "channel": "fund_notice", "cost": {"2026": "80000"},
                   "participants": {"2026": 60}, "indicators": [{"indicator": "Formati", "unit": "n", "target": 60}]}],
        "tranches": [{"line": "L1", "source": "fondimpresa-cf", "year": 2026, "planned": "50000",
                      "committed": "20000"}]}]})

    version: int | None = Field(default=None, ge=1, le=2_147_483_647)
    lines: list[dict[str, Any]] = Field(max_length=2000)
    tranches: list[dict[str, Any]] = Field(max_length=20000)


class SpentIn(BaseModel):
    line: str = Field(max_length=20, examples=["L1"])
    source: str = Field(max_length=40, examples=["fondimpresa-cf"])
    year: int = Field(ge=2000, le=2100, examples=[2026])
    spent: str = Field(max_length=20, examples=["15000.00"], description="Cumulative spending so far (€)")


class SourceIn(BaseModel):
    code: str = Field(max_length=40, examples=["fse-p1"])
    name: str = Field(max_length=200, examples=["FSE+ 2021-2027 Priorità 1"])
    kind: str = Field(examples=["fse_plus"])
    targets: list[str] = Field(examples=[["disoccupati", "inattivi"]])
    priority: str = Field(default="", max_length=120)
    organisation_id: RowId | None = None
    envelopes: dict[Year, str] = Field(default_factory=dict, examples=[{2026: "300000"}])


class SourceChanges(BaseModel):
    targets: list[str] | None = Field(default=None, examples=[["disoccupati", "inattivi", "sospesi"]])
    envelopes: dict[Year, str] | None = None
    name: str | None = Field(default=None, max_length=200)


def plan_json(plan: Plan) -> dict[str, Any]:
    return {"id": plan.id, "agreement_id": plan.agreement_id, "title": plan.title, "first_year": plan.first_year,
            "last_year": plan.last_year, "version": plan.version,
            "lines": [{"code": ln.code, "title": ln.title, "area": ln.area, "target": ln.target,
                       "territory": ln.territory, "channel": ln.channel, "indicators": ln.indicators, "cost": ln.cost,
                       "participants": ln.participants,
                       "tranches": [{"source": t.source.code, "year": t.year, "planned": str(t.planned),
                                     "committed": str(t.committed), "spent": str(t.spent)} for t in ln.tranches]}
                      for ln in plan.lines]}


class BuildIn(BaseModel):
    name: str = Field(min_length=1, max_length=200, examples=["Dai dati di Regia"])
    years: list[Year] = Field(min_length=1, max_length=10, examples=[[2026, 2027, 2028]])
    plan_ids: list[RowId] = Field(default_factory=list, max_length=50,
                                  description="Plans whose tranches are the budgets")
    target_shares: dict[str, float] | None = None
    weights: dict[str, float] | None = None
    save: bool = True


class ApplyIn(BaseModel):
    plan_id: RowId


def scenario_json(row: SavedScenario, *, body: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"id": row.id, "name": row.name, "version": row.version, "plan_id": row.plan_id,
                           "created_by": row.created_by, "created_at": row.created_at.isoformat(),
                           "status": (row.result or {}).get("status"),
                           "objective": (row.result or {}).get("objective"),
                           "status_quo_objective": (row.baseline or {}).get("objective")}
    if body:
        out.update({"scenario": row.body, "result": row.result, "status_quo": row.baseline})
    return out
