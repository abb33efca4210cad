"""E-service ``pacts`` v1: the public data of the Patti Territoriali — the Region's calls, and the funded pacts
(*projects*: selected in a published ranking, then programmed, approved, running, closed) with their
partnership, territory, money granted per source and programme actions with their budget lines. Drafts,
submissions under evaluation, score sheets and unfunded proposals are not public and never appear: a pact
enters the feed when it is selected and the ranking published, and leaves it (a ``delete``) if that ends.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from regia.auth.models import Organisation
from regia.exchange.feeds import chunks, int_keys
from regia.exchange.registry import REGISTRY, EService, FeedResource, LoadContext, Purpose, Tracked
from regia.i18n import N_
from regia.pacts.models import (
    APPROVED,
    CLOSED,
    IN_PROGRESS,
    PROGRAMME_SUBMITTED,
    SELECTED,
    BudgetLine,
    Call,
    ProgrammeAction,
    Proposal,
)

CALLS = "pacts.calls"
PROJECTS = "pacts.projects"
FUNDED = (SELECTED, PROGRAMME_SUBMITTED, APPROVED, IN_PROGRESS, CLOSED)


def project_code(call_code: str | None, proposal_id: int) -> str:
    """The project's local code (OpenCoesione's COD_LOCALE_PROGETTO): the call's code and the pact's number."""
    return f"{call_code or 'PATTO'}-{proposal_id:05d}"


def _money(value: Any) -> str | None:
    return None if value is None else format(Decimal(str(value)).quantize(Decimal("0.01")), "f")


def _columns(model: type[Any], *names: str) -> list[Any]:
    return [getattr(model, n) for n in names]


# Records are built from column selects, never ORM entities: an entity of the identity map holds the values
# the writer assigned (Decimal("400000")), a select the values stored ("400000.00"), and the same record must
# read the same in the writer's transaction and afterwards.
CALL_FIELDS = ("id", "code", "title", "description", "opens_at", "manifestation_deadline", "evaluation_deadline",
               "programme_deadline", "ends_on", "territories", "targets", "required_partner_types", "min_partners",
               "grid", "budget", "max_grant", "min_cofinancing_share", "ranking_published_at")


def load_calls(ctx: LoadContext, keys: list[str] | None) -> dict[str, dict[str, Any]]:
    ids = int_keys(keys)
    base = select(*_columns(Call, *CALL_FIELDS)).order_by(Call.id)
    parts = [base] if ids is None else [base.where(Call.id.in_(p)) for p in chunks(ids)]
    out = {}
    for query in parts:
        for row in ctx.session.execute(query):
            c = row._asdict()
            c["grid"] = [{k: g.get(k) for k in ("code", "label", "weight", "max_score", "threshold")}
                         for g in c["grid"] or []]
            c["budget"] = {k: _money(v) for k, v in sorted((c["budget"] or {}).items())}
            c["max_grant"] = _money(c["max_grant"])
            c["min_cofinancing_share"] = format(Decimal(str(c["min_cofinancing_share"])).quantize(Decimal("0.0001")),
                                                "f")
            out[str(c["id"])] = c
    return out


def load_projects(ctx: LoadContext, keys: list[str] | None) -> dict[str, dict[str, Any]]:
    s = ctx.session
    ids = int_keys(keys)
    base = (select(Proposal.id, Proposal.title, Proposal.status, Proposal.body, Proposal.granted, Proposal.rank,
                   Proposal.total_score, Proposal.approved_at, Call.code, Call.title.label("call_title"),
                   Organisation.name, Organisation.tax_code)
            .join(Call, Call.id == Proposal.call_id).join(Organisation, Organisation.id == Proposal.organisation_id)
            .where(Proposal.status.in_(FUNDED), Call.ranking_published_at.is_not(None)).order_by(Proposal.id))
    parts = [base] if ids is None else [base.where(Proposal.id.in_(p)) for p in chunks(ids)]
    out: dict[int, dict[str, Any]] = {}
    for query in parts:
        for p in s.execute(query):
            body = p.body or {}
            lead = body.get("lead") or {}
            territory = body.get("territory") or {}
            out[p.id] = {
                "id": p.id, "code": project_code(p.code, p.id), "call": p.code, "call_title": p.call_title,
                "title": p.title, "summary": body.get("summary", ""), "status": p.status,
                "partnership": {"name": p.name, "tax_code": p.tax_code},
                "lead": {k: lead.get(k, "") for k in ("name", "tax_code", "type")},
                "partners": [{k: q.get(k, "") for k in ("name", "tax_code", "type", "role")}
                             for q in body.get("partners") or [] if isinstance(q, dict)],
                "territory": {"provinces": list(territory.get("provinces") or []),
                              "comuni": list(territory.get("comuni") or [])},
                "sectors": list(body.get("sectors") or []),
                "granted": {k: _money(v) for k, v in sorted((p.granted or {}).items())},
                "rank": p.rank, "total_score": _money(p.total_score), "approved_at": p.approved_at, "actions": []}
    if not out:
        return {}
    actions: dict[int, dict[str, Any]] = {}
    action_fields = ("id", "proposal_id", "code", "kind", "title", "course_id", "target_group", "start_date",
                     "end_date", "target_enrolled", "target_completed", "target_certified", "target_placed")
    for part in chunks(sorted(out)):
        for a in s.execute(select(*_columns(ProgrammeAction, *action_fields))
                           .where(ProgrammeAction.proposal_id.in_(part))
                           .order_by(ProgrammeAction.proposal_id, ProgrammeAction.code)):
            actions[a.id] = {"code": a.code, "kind": a.kind, "title": a.title, "course_id": a.course_id,
                             "target_group": a.target_group, "start_date": a.start_date, "end_date": a.end_date,
                             "targets": {"enrolled": a.target_enrolled, "completed": a.target_completed,
                                         "certified": a.target_certified, "placed": a.target_placed},
                             "budget": []}
            out[a.proposal_id]["actions"].append(actions[a.id])
    for part in chunks(sorted(actions)):
        for b in s.execute(select(BudgetLine.action_id, BudgetLine.partner_tax_code, BudgetLine.source,
                                  BudgetLine.amount).where(BudgetLine.action_id.in_(part))
                           .order_by(BudgetLine.action_id, BudgetLine.source, BudgetLine.partner_tax_code,
                                     BudgetLine.id)):
            actions[b.action_id]["budget"].append({"partner_tax_code": b.partner_tax_code, "source": b.source,
                                                   "amount": _money(b.amount)})
    for record in out.values():
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for a in record["actions"]:
            for line in a["budget"]:
                totals[line["source"]] += Decimal(line["amount"])
        record["cost"] = {k: _money(v) for k, v in sorted(totals.items())}
    return {str(k): v for k, v in out.items()}


def _proposals_of_actions(session: Session, action_ids: set[Any]) -> set[str]:
    ids = sorted(int(v) for v in action_ids)
    return {str(pid) for part in chunks(ids) for pid in session.scalars(
        select(ProgrammeAction.proposal_id).where(ProgrammeAction.id.in_(part)))}


def _proposals_of_calls(session: Session, call_ids: set[Any]) -> set[str]:
    ids = sorted(int(v) for v in call_ids)
    return {str(pid) for part in chunks(ids) for pid in session.scalars(
        select(Proposal.id).where(Proposal.call_id.in_(part)))}


class CallRecord(BaseModel):
    """A call (*avviso*) of the Region: phases, eligible territories, grid and envelopes."""

    id: int
    code: str
    title: str
    description: str
    opens_at: datetime
    manifestation_deadline: datetime
    evaluation_deadline: datetime
    programme_deadline: datetime
    ends_on: date
    territories: list[str] = Field(description="Eligible NUTS3 codes (empty: all)")
    targets: list[str]
    required_partner_types: list[str]
    min_partners: int
    grid: list[dict[str, Any]]
    budget: dict[str, str] = Field(description="Envelope per funding source (decimal strings, euro)")
    max_grant: str | None
    min_cofinancing_share: str
    ranking_published_at: datetime | None


class ProjectRecord(BaseModel):
    """A funded pact: partnership, territory, money granted and the programme's actions and budget lines."""

    id: int
    code: str = Field(description="Local project code (call code and pact number)")
    call: str
    call_title: str
    title: str
    summary: str
    status: str
    partnership: dict[str, Any]
    lead: dict[str, Any]
    partners: list[dict[str, Any]]
    territory: dict[str, list[str]] = Field(description="provinces (sigle) and comuni (ISTAT codes)")
    sectors: list[str]
    granted: dict[str, str] = Field(description="Public money granted per source (regional, fse_plus, fund)")
    rank: int | None
    total_score: str | None
    approved_at: datetime | None
    actions: list[dict[str, Any]]
    cost: dict[str, str] = Field(description="Budget of the programme per source, cofinancing included")


CALL_EXAMPLE = {"id": 1, "code": "PATTI-2027", "title": "Patti territoriali per le competenze 2027",
                "description": "", "opens_at": "2026-11-01T00:00:00+00:00",
                "manifestation_deadline": "2027-02-28T23:59:00+00:00",
                "evaluation_deadline": "2027-04-30T00:00:00+00:00",
                "programme_deadline": "2027-06-30T00:00:00+00:00", "ends_on": "2029-06-30",
                "territories": ["ITC46"], "targets": ["unemployed"], "required_partner_types": ["cciaa"],
                "min_partners": 3, "grid": [], "budget": {"regional": "2000000.00"}, "max_grant": "500000.00",
                "min_cofinancing_share": "0.1000", "ranking_published_at": None}
PROJECT_EXAMPLE = {"id": 3, "code": "PATTI-2026-00003", "call": "PATTI-2026", "call_title": "Patti 2026",
                   "title": "Patto per la meccatronica della Brianza", "summary": "", "status": "in_progress",
                   "partnership": {"name": "Patto Brianza", "tax_code": "09000000027"},
                   "lead": {"name": "Patto Brianza", "tax_code": "09000000027", "type": "partnership"},
                   "partners": [], "territory": {"provinces": ["MB"], "comuni": []}, "sectors": ["C"],
                   "granted": {"regional": "300000.00"}, "rank": 1, "total_score": "85.00",
                   "approved_at": "2026-06-01T10:00:00+00:00", "actions": [], "cost": {"regional": "300000.00"}}

TRANSPARENCY = Purpose("pacts-transparency", N_("exchange.purpose.pacts-transparency"),
                       N_("exchange.purpose.pacts-transparency.text"), reads=frozenset({CALLS, PROJECTS}))

ESERVICE = REGISTRY.add(EService(
    name="pacts", title="Patti Territoriali: public data",
    description="The Region's calls and the funded pacts with partnership, territory, money and actions.",
    resources=(
        FeedResource(CALLS, "/pacts/calls", "Calls", CallRecord, load_calls, tracked=(Tracked(Call, "id"),),
                     example=CALL_EXAMPLE),
        FeedResource(PROJECTS, "/pacts/projects", "Funded pacts (projects)", ProjectRecord, load_projects,
                     tracked=(Tracked(Proposal, "id"), Tracked(ProgrammeAction, "proposal_id"),
                              Tracked(BudgetLine, "action_id", _proposals_of_actions),
                              Tracked(Call, "id", _proposals_of_calls)),
                     example=PROJECT_EXAMPLE),
    ),
    purposes=(TRANSPARENCY,),
))
