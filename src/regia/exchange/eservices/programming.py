"""E-service ``programming`` v1: the public data of the joint programming of the Region and the Funds — the
multi-year plans of signed agreements (signed, in force or closed: drafts are not public and never appear; a
plan leaves the feed with a ``delete`` if its agreement is no longer public), each with its agreement, lines of
action (skill area × target × territory × channel, indicators, cost and participants per year) and annual
tranches per funding source, planned → committed → spent.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from regia.auth.models import Organisation
from regia.exchange.feeds import chunks, int_keys
from regia.exchange.registry import REGISTRY, EService, FeedResource, LoadContext, Purpose, Tracked
from regia.i18n import N_
from regia.programming.models import CLOSED, IN_FORCE, SIGNED, Agreement, FundingSource, Plan, PlanLine, Tranche

PLANS = "programming.public-plans"
PUBLIC = (SIGNED, IN_FORCE, CLOSED)


def _money(value: Any) -> str:
    return format(Decimal(str(value or 0)).quantize(Decimal("0.01")), "f")


def load_plans(ctx: LoadContext, keys: list[str] | None) -> dict[str, dict[str, Any]]:
    s = ctx.session
    ids = int_keys(keys)
    base = (select(Plan.id, Plan.title, Plan.first_year, Plan.last_year, Agreement.code,
                   Agreement.title.label("a_title"), Agreement.status, Agreement.starts_on, Agreement.ends_on,
                   Agreement.amendment, Organisation.name)
            .join(Agreement, Agreement.id == Plan.agreement_id)
            .join(Organisation, Organisation.id == Agreement.fund_id)
            .where(Agreement.status.in_(PUBLIC)).order_by(Plan.id))
    parts = [base] if ids is None else [base.where(Plan.id.in_(p)) for p in chunks(ids)]
    out: dict[int, dict[str, Any]] = {}
    for query in parts:
        for p in s.execute(query):
            out[p.id] = {"id": p.id, "title": p.title, "years": [p.first_year, p.last_year],
                         "agreement": {"code": p.code, "title": p.a_title, "fund": p.name, "status": p.status,
                                       "starts_on": p.starts_on, "ends_on": p.ends_on, "amendment": p.amendment},
                         "lines": []}
    if not out:
        return {}
    lines: dict[int, dict[str, Any]] = {}
    for part in chunks(sorted(out)):
        for ln in s.execute(select(PlanLine.id, PlanLine.plan_id, PlanLine.code, PlanLine.title, PlanLine.area,
                                   PlanLine.target, PlanLine.territory, PlanLine.channel, PlanLine.indicators,
                                   PlanLine.cost, PlanLine.participants)
                            .where(PlanLine.plan_id.in_(part)).order_by(PlanLine.plan_id, PlanLine.code)):
            lines[ln.id] = {"code": ln.code, "title": ln.title, "area": ln.area, "target": ln.target,
                            "territory": ln.territory, "channel": ln.channel, "indicators": list(ln.indicators or []),
                            "cost": {str(y): _money(v) for y, v in sorted((ln.cost or {}).items())},
                            "participants": {str(y): v for y, v in sorted((ln.participants or {}).items())},
                            "tranches": []}
            out[ln.plan_id]["lines"].append(lines[ln.id])
    for part in chunks(sorted(lines)):
        for t in s.execute(select(Tranche.line_id, Tranche.year, Tranche.planned, Tranche.committed, Tranche.spent,
                                  FundingSource.code).join(FundingSource, FundingSource.id == Tranche.source_id)
                           .where(Tranche.line_id.in_(part))
                           .order_by(Tranche.line_id, Tranche.year, FundingSource.code)):
            lines[t.line_id]["tranches"].append({"source": t.code, "year": t.year, "planned": _money(t.planned),
                                                 "committed": _money(t.committed), "spent": _money(t.spent)})
    return {str(k): v for k, v in out.items()}


def _plans_of_lines(session: Session, line_ids: set[Any]) -> set[str]:
    ids = sorted(int(v) for v in line_ids)
    return {str(pid) for part in chunks(ids) for pid in session.scalars(
        select(PlanLine.plan_id).where(PlanLine.id.in_(part)))}


def _plans_of_agreements(session: Session, agreement_ids: set[Any]) -> set[str]:
    ids = sorted(int(v) for v in agreement_ids)
    return {str(pid) for part in chunks(ids) for pid in session.scalars(
        select(Plan.id).where(Plan.agreement_id.in_(part)))}


class AgreementRef(BaseModel):
    code: str
    title: str
    fund: str = Field(description="The Fund party to the agreement with the Region")
    status: str = Field(description="signed, in_force or closed")
    starts_on: date
    ends_on: date
    amendment: int = Field(description="Number of the last amendment in force (0: none)")


class TrancheRef(BaseModel):
    source: str = Field(description="Funding source code")
    year: int
    planned: str = Field(description="euro, decimal string")
    committed: str
    spent: str


class LineRef(BaseModel):
    code: str
    title: str
    area: str = Field(description="digital, green, transversal or sector")
    target: str = Field(description="occupati, sospesi, disoccupati or inattivi")
    territory: str = Field(description="NUTS3 (ITC4 for the whole region)")
    channel: str
    indicators: list[dict[str, Any]]
    cost: dict[str, str] = Field(description="Cost per year (euro)")
    participants: dict[str, float] = Field(description="Planned participants per year")
    tranches: list[TrancheRef]


class PlanRecord(BaseModel):
    """A multi-year plan of a signed agreement between the Region and a Fund."""

    id: int
    title: str
    years: list[int] = Field(description="first and last year")
    agreement: AgreementRef
    lines: list[LineRef]


EXAMPLE = {"id": 1, "title": "Piano attuativo 2026-2028", "years": [2026, 2028],
           "agreement": {"code": "ACC-FONDIMPRESA", "title": "Accordo Regione - Fondimpresa", "fund": "Fondimpresa",
                         "status": "in_force", "starts_on": "2026-01-01", "ends_on": "2028-12-31", "amendment": 0},
           "lines": [{"code": "L1", "title": "Competenze digitali", "area": "digital", "target": "occupati",
                      "territory": "ITC4C", "channel": "fund_notice", "indicators": [], "cost": {"2026": "120000.00"},
                      "participants": {"2026": 100},
                      "tranches": [{"source": "fondimpresa-cs", "year": 2026, "planned": "120000.00",
                                    "committed": "0.00", "spent": "0.00"}]}]}

TRANSPARENCY = Purpose("programming-transparency", N_("exchange.purpose.programming-transparency"),
                       N_("exchange.purpose.programming-transparency.text"), reads=frozenset({PLANS}))

ESERVICE = REGISTRY.add(EService(
    name="programming", title="Joint programming: public data",
    description="Plans of the signed Region-Fund agreements: lines of action and annual tranches per source.",
    resources=(
        FeedResource(PLANS, "/programming/plans", "Plans of signed agreements", PlanRecord, load_plans,
                     tracked=(Tracked(Plan, "id"), Tracked(PlanLine, "plan_id"),
                              Tracked(Tranche, "line_id", _plans_of_lines),
                              Tracked(Agreement, "id", _plans_of_agreements)),
                     example=EXAMPLE),
    ),
    purposes=(TRANSPARENCY,),
))
