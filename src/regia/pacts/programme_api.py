"""REST API of a selected pact's programme and of monitoring (under ``/api/pacts``).

- ``GET/PUT /proposals/{id}/programme`` — actions with budget lines, indicators (PUT sends ``version``);
  ``POST …/programme/prefill`` starts it from the manifestation; ``GET …/programme/check`` lists issues;
- ``POST …/programme/submit`` (owner), ``…/programme/return`` and ``…/programme/approve`` (Region),
  ``POST …/start`` and ``…/close`` (Region);
- ``GET/POST …/progress`` — progress reports; ``GET …/monitoring`` — progress, spending and alerts;
- ``GET /cabina`` and ``/cabina.csv`` — the Cabina di regia overview of every pact.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from regia.auth.policy import READ, WRITE, Resource, require
from regia.auth.principal import Principal
from regia.auth.schemas import document_problems
from regia.db import request_session
from regia.pacts import monitoring, programme
from regia.pacts.models import ACTION_KINDS, FUNDING_SOURCES, Proposal

SessionDep = Annotated[Session, Depends(request_session)]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Reader = Annotated[Principal, Depends(require(READ, Resource.PACT_PROPOSAL))]
Writer = Annotated[Principal, Depends(require(WRITE, Resource.PACT_PROPOSAL))]
Decider = Annotated[Principal, Depends(require(WRITE, Resource.PACT_DECISION))]
MonitorReader = Annotated[Principal, Depends(require(READ, Resource.PACT_MONITORING))]
Reporter = Annotated[Principal, Depends(require(WRITE, Resource.PACT_MONITORING))]
Amount = Annotated[Decimal, Field(ge=0, lt=Decimal("1e12"), decimal_places=2)]
Count = Annotated[int, Field(ge=0, le=10_000_000)]

router = APIRouter(responses={
    401: {"description": "Not authenticated (problem details)"},
    403: {"description": "Refused by the access policy (problem details)"},
    404: {"description": "No such proposal"},
})


class BudgetLineIO(BaseModel):
    model_config = ConfigDict(extra="forbid")

    partner_tax_code: str = Field(min_length=1, max_length=16)
    source: Literal["regional", "fse_plus", "fund", "cofinancing"] = Field(
        description=f"One of {', '.join(FUNDING_SOURCES)}")
    amount: Amount
    description: str = Field(default="", max_length=300)


class ActionIO(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=20, description="A1, A2, …")
    kind: Literal["training", "guidance", "certification", "apprenticeship", "placement"] = Field(
        description=f"One of {', '.join(ACTION_KINDS)}")
    title: str = Field(default="", max_length=300)
    course_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="A catalogue course, or none")
    skills: list[Annotated[str, Field(max_length=300)]] = Field(default_factory=list, max_length=100)
    target_group: str = Field(max_length=30)
    lead_partner_tax_code: str | None = Field(default=None, max_length=16)
    start_date: date
    end_date: date
    target_enrolled: Count = 0
    target_completed: Count = 0
    target_certified: Count = 0
    target_placed: Count = 0
    budget: list[BudgetLineIO] = Field(default_factory=list, max_length=200)


class IndicatorIO(BaseModel):
    model_config = ConfigDict(extra="forbid")

    indicator: str = Field(default="", max_length=300)
    unit: str = Field(default="", max_length=60)
    baseline: Decimal | None = Field(default=None, allow_inf_nan=False, max_digits=18)
    target: Decimal | None = Field(default=None, allow_inf_nan=False, max_digits=18)
    actions: list[Annotated[str, Field(max_length=20)]] = Field(default_factory=list, max_length=200)


class ProgrammeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, le=2**31 - 1, description="The proposal version you read; 409 if it changed")
    actions: list[ActionIO] = Field(default_factory=list, max_length=200)
    indicators: list[IndicatorIO] = Field(default_factory=list, max_length=100)
    notes: str = Field(default="", max_length=20_000)


class TotalsOut(BaseModel):
    by_source: dict[str, Decimal]
    by_partner: dict[str, dict[str, Decimal]]
    public: Decimal
    cofinancing: Decimal
    total: Decimal
    cofinancing_share: Decimal


class ProgrammeOut(BaseModel):
    proposal_id: int
    status: str
    version: int
    actions: list[ActionIO]
    indicators: list[IndicatorIO]
    notes: str
    partners: dict[str, str]
    granted: dict[str, Decimal]
    totals: TotalsOut
    programme_submitted_at: datetime | None
    approved_at: datetime | None


class IssueOut(BaseModel):
    field: str
    key: str = Field(description="The message key (its Italian and English texts are in regia.pacts.programme)")
    params: dict[str, Any] = Field(default_factory=dict, description="The values the message shows")
    message: str = Field(description="In English")
    messaggio: str = Field(description="In Italian")


class CheckOut(BaseModel):
    ok: bool
    issues: list[IssueOut]


class StatusOut(BaseModel):
    id: int
    status: str
    version: int
    programme_submitted_at: datetime | None
    approved_at: datetime | None


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(default="", max_length=2000)


class ReturnIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(min_length=1, max_length=2000, description="What the partnership must change")


class ProgressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action_code: str = Field(min_length=1, max_length=20)
    period: date = Field(description="End of the period the cumulative figures refer to")
    enrolled: Count = 0
    completed: Count = 0
    certified: Count = 0
    placed: Count = 0
    spent: Amount = Decimal(0)
    note: str = Field(default="", max_length=5000)


class ProgressOut(BaseModel):
    action_code: str
    period: date
    enrolled: int
    completed: int
    certified: int
    placed: int
    spent: Decimal
    note: str
    reported_by: str
    reported_at: datetime


class AlertOut(BaseModel):
    kind: str
    action_code: str
    key: str = Field(description="The message key (its Italian and English texts are in regia.pacts.monitoring)")
    params: dict[str, Any] = Field(default_factory=dict, description="The values the message shows")
    message: str = Field(description="In English")
    messaggio: str = Field(description="In Italian")


class ActionProgressOut(BaseModel):
    code: str
    title: str
    kind: str
    start_date: date
    end_date: date
    figures: dict[str, int]
    targets: dict[str, int]
    budget: Decimal
    spent: Decimal
    elapsed_share: float
    last_period: date | None
    alerts: list[AlertOut]


class MonitoringOut(BaseModel):
    proposal_id: int
    title: str
    status: str
    today: date
    figures: dict[str, int]
    targets: dict[str, int]
    budget: Decimal
    spent: Decimal
    territory: list[str]
    actions: list[ActionProgressOut]
    alerts: list[AlertOut]


class ProvinceOut(BaseModel):
    nuts3: str
    pacts: float
    budget: Decimal
    spent: Decimal
    enrolled: float
    target_enrolled: float
    alerts: int


class CabinaOut(BaseModel):
    today: date
    budget: Decimal
    spent: Decimal
    figures: dict[str, int]
    targets: dict[str, int]
    pacts: list[MonitoringOut]
    provinces: list[ProvinceOut]


def programme_out(p: programme.Programme) -> ProgrammeOut:
    actions = [ActionIO.model_validate({**programme._action_view(a)}) for a in p.actions]
    t = p.totals
    return ProgrammeOut(
        proposal_id=p.proposal.id, status=p.proposal.status, version=p.proposal.version, actions=actions,
        indicators=[IndicatorIO.model_validate({k: i.get(k) for k in IndicatorIO.model_fields if k in i})
                    for i in p.indicators if isinstance(i, dict)],
        notes=p.notes, partners=p.partners, granted=p.granted,
        totals=TotalsOut(by_source=t.by_source, by_partner=t.by_partner, public=t.public, cofinancing=t.cofinancing,
                         total=t.total, cofinancing_share=t.cofinancing_share),
        programme_submitted_at=p.proposal.programme_submitted_at, approved_at=p.proposal.approved_at)


def status_out(p: Proposal) -> StatusOut:
    return StatusOut(id=p.id, status=p.status, version=p.version, programme_submitted_at=p.programme_submitted_at,
                     approved_at=p.approved_at)


def monitoring_out(m: monitoring.Monitoring) -> MonitoringOut:
    def alert(a: monitoring.Alert) -> AlertOut:
        return AlertOut(**a.as_dict())

    return MonitoringOut(
        proposal_id=m.proposal.id, title=m.proposal.title, status=m.proposal.status, today=m.today,
        figures=m.figures, targets=m.targets, budget=m.budget, spent=m.spent,
        territory=monitoring.territory_of(m.proposal),
        actions=[ActionProgressOut(code=r.action.code, title=r.action.title, kind=r.action.kind,
                                   start_date=r.action.start_date, end_date=r.action.end_date, figures=r.figures,
                                   targets=r.targets, budget=r.budget, spent=r.spent, elapsed_share=r.elapsed_share,
                                   last_period=r.latest.period if r.latest else None,
                                   alerts=[alert(a) for a in r.alerts]) for r in m.actions],
        alerts=[alert(a) for a in m.alerts])


@router.get("/proposals/{proposal_id}/programme", response_model=ProgrammeOut, summary="A pact's programme")
def get_programme(proposal_id: Id, session: SessionDep, principal: Reader) -> ProgrammeOut:
    return programme_out(programme.get_programme(session, principal=principal, proposal_id=proposal_id))


@router.put("/proposals/{proposal_id}/programme", response_model=ProgrammeOut,
            summary="Replace the programme of a selected pact",
            responses={409: {"description": "Not selected, or changed since you read it (version)"}})
def put_programme(proposal_id: Id, body: ProgrammeIn, session: SessionDep, principal: Writer) -> ProgrammeOut:
    p = programme.save_programme(session, actor=principal, proposal_id=proposal_id,
                                 actions=[a.model_dump() for a in body.actions],
                                 indicators=[i.model_dump() for i in body.indicators], notes=body.notes,
                                 version=body.version)
    session.commit()
    return programme_out(p)


@router.post("/proposals/{proposal_id}/programme/prefill", response_model=ProgrammeOut,
             summary="Start the programme from the manifestation's planned actions",
             responses={409: {"description": "Not selected, or the programme has actions already"}})
def prefill_programme(proposal_id: Id, session: SessionDep, principal: Writer) -> ProgrammeOut:
    p = programme.prefill(session, actor=principal, proposal_id=proposal_id)
    session.commit()
    return programme_out(p)


@router.get("/proposals/{proposal_id}/programme/check", response_model=CheckOut,
            summary="What stops the programme from being presented (co-financing rules and more)")
def check_programme(proposal_id: Id, session: SessionDep, principal: Reader) -> CheckOut:
    issues = programme.check_programme(session, principal=principal, proposal_id=proposal_id)
    return CheckOut(ok=not issues, issues=[IssueOut(**i.as_dict()) for i in issues])


@router.post("/proposals/{proposal_id}/programme/submit", response_model=StatusOut,
             summary="Present the programme (owner, before the programme deadline)",
             responses={409: {"description": "Not selected, or past the deadline"},
                        422: {"description": "The programme has issues (see the check)"}})
def submit_programme(proposal_id: Id, session: SessionDep, principal: Writer) -> StatusOut:
    proposal = programme.submit_programme(session, actor=principal, proposal_id=proposal_id)
    session.commit()
    return status_out(proposal)


@router.post("/proposals/{proposal_id}/programme/return", response_model=StatusOut,
             summary="Send the programme back to the partnership (Region)",
             responses={409: {"description": "No programme presented"}})
def return_programme(proposal_id: Id, body: ReturnIn, session: SessionDep, principal: Decider) -> StatusOut:
    proposal = programme.return_programme(session, actor=principal, proposal_id=proposal_id, note=body.note)
    session.commit()
    return status_out(proposal)


@router.post("/proposals/{proposal_id}/programme/approve", response_model=StatusOut,
             summary="Approve the presented programme (Region)",
             responses={409: {"description": "No programme presented"}})
def approve_programme(proposal_id: Id, session: SessionDep, principal: Decider,
                      body: NoteIn | None = None) -> StatusOut:
    proposal = programme.approve_programme(session, actor=principal, proposal_id=proposal_id,
                                           note=(body.note or None) if body else None)
    session.commit()
    return status_out(proposal)


@router.post("/proposals/{proposal_id}/start", response_model=StatusOut,
             summary="Start an approved programme (Region; the first progress report also starts it)",
             responses={409: {"description": "Not approved"}})
def start(proposal_id: Id, session: SessionDep, principal: Decider) -> StatusOut:
    proposal = programme.start(session, actor=principal, proposal_id=proposal_id)
    session.commit()
    return status_out(proposal)


@router.post("/proposals/{proposal_id}/close", response_model=StatusOut, summary="Close a pact in progress (Region)",
             responses={409: {"description": "Not in progress"}})
def close(proposal_id: Id, session: SessionDep, principal: Decider, body: NoteIn | None = None) -> StatusOut:
    proposal = programme.close(session, actor=principal, proposal_id=proposal_id,
                               note=(body.note or None) if body else None)
    session.commit()
    return status_out(proposal)


def _progress_out(code: str, r: Any) -> ProgressOut:
    return ProgressOut(action_code=code, period=r.period, enrolled=r.enrolled, completed=r.completed,
                       certified=r.certified, placed=r.placed, spent=r.spent, note=r.note,
                       reported_by=r.reported_by, reported_at=r.reported_at)


@router.get("/proposals/{proposal_id}/progress", response_model=list[ProgressOut],
            summary="Progress reports of a pact, by action and period")
def list_progress(proposal_id: Id, session: SessionDep, principal: MonitorReader) -> list[ProgressOut]:
    return [_progress_out(code, r) for code, r in monitoring.list_reports(session, principal=principal,
                                                                           proposal_id=proposal_id)]


@router.post("/proposals/{proposal_id}/progress", response_model=ProgressOut,
             summary="Report an action's cumulative figures for a period (re-sending a period replaces it)",
             responses={409: {"description": "The programme is not approved or in progress"},
                        422: {"description": "Inconsistent figures"}})
def post_progress(proposal_id: Id, body: ProgressIn, session: SessionDep, principal: Reporter) -> ProgressOut:
    row = monitoring.report_progress(session, actor=principal, proposal_id=proposal_id, action_code=body.action_code,
                                     period=body.period, enrolled=body.enrolled, completed=body.completed,
                                     certified=body.certified, placed=body.placed, spent=body.spent, note=body.note)
    session.commit()
    return _progress_out(body.action_code, row)


@router.get("/proposals/{proposal_id}/monitoring", response_model=MonitoringOut,
            summary="Progress per action against targets and budget, with alerts")
def get_monitoring(proposal_id: Id, session: SessionDep, principal: MonitorReader) -> MonitoringOut:
    return monitoring_out(monitoring.monitor(session, principal=principal, proposal_id=proposal_id))


@router.get("/cabina", response_model=CabinaOut, summary="Cabina di regia: every pact, per province aggregates")
def cabina(session: SessionDep, principal: MonitorReader) -> CabinaOut:
    overview = monitoring.cabina(session, principal=principal)
    return CabinaOut(today=overview.today, budget=overview.budget, spent=overview.spent, figures=overview.figures,
                     targets=overview.targets, pacts=[monitoring_out(m) for m in overview.pacts],
                     provinces=[ProvinceOut(**vars(f)) for f in overview.provinces.values()])


@router.get("/cabina.csv", name="pact_cabina_csv", summary="Cabina di regia as CSV (one row per pact)",
            responses={200: {"content": {"text/csv": {}}}})
def cabina_csv(session: SessionDep, principal: MonitorReader) -> Response:
    overview = monitoring.cabina(session, principal=principal)
    return Response(monitoring.cabina_csv(overview), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="cabina-di-regia.csv"'})


document_problems(router)
