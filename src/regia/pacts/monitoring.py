"""Monitoring of approved pacts: progress reports, progress against targets, alerts, the Cabina di regia.

**Progress reports** (:func:`report_progress`) give an action's *cumulative* figures at the end of a period
(enrolled, completed, certified, placed, spent). Only the owner partnership's editors report, while the
programme is ``approved`` or ``in_progress``; the first report of an approved programme moves it to
``in_progress``. Re-sending a period replaces its figures (idempotent). Figures must be consistent:
``completed ≤ enrolled``, ``certified ≤ completed``, ``placed ≤ enrolled``, none negative, and — being
cumulative — never lower than an earlier period's nor higher than a later period's.

**Alerts** (:func:`alerts_for`, with an injectable ``today``), for programmes ``approved`` or ``in_progress``:

- ``late``: the action's end date has passed and it has not completed its target of completions; or its
  start date has passed and nobody is enrolled yet;
- ``underperforming``: once at least :data:`MIN_ELAPSED_SHARE` of the action's duration has elapsed, its
  enrolment ratio (enrolled / target) is below :data:`UNDERPERFORMANCE_RATIO` × the elapsed share of its
  duration (e.g. half-way through, fewer than 30% of the planned participants);
- ``overspending``: spent more than the action's budget (the sum of its budget lines);
- ``no_report``: the action has started and its latest report (or, without one, its start or the approval,
  whichever is later) is more than :data:`REPORT_MAX_AGE_DAYS` days old.

**Cabina di regia** (:func:`cabina`): every pact with a programme that the principal may read (Region staff
and the Funds), with its status, budget, spending, participants against targets and alerts, and aggregates
per province (NUTS 3) for the map. A pact's figures are split evenly among the provinces of its territory
(``body["territory"]``: NUTS 3 codes, read defensively), so that the provinces add up to the pacts.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from regia.auth import audit
from regia.auth.errors import Conflict, Forbidden, InvalidInput, NotFound
from regia.auth.models import OrgType
from regia.auth.policy import READ, REGION_READERS, WRITE, Resource, can, visible
from regia.auth.principal import Principal
from regia.clock import rome_today
from regia.i18n import N_
from regia.pacts import messages, programme, states
from regia.pacts.models import (
    APPROVED,
    CLOSED,
    IN_PROGRESS,
    PROGRAMME_SUBMITTED,
    SELECTED,
    ProgrammeAction,
    ProgressReport,
    Proposal,
)

FIGURES = ("enrolled", "completed", "certified", "placed")
MIN_ELAPSED_SHARE = 0.25
UNDERPERFORMANCE_RATIO = 0.6
REPORT_MAX_AGE_DAYS = 90
MONITORED = frozenset({APPROVED, IN_PROGRESS})
WITH_PROGRAMME = (SELECTED, PROGRAMME_SUBMITTED, APPROVED, IN_PROGRESS, CLOSED)
ZERO = Decimal(0)
NUTS3 = re.compile(r"^IT[A-Z0-9]{3}$")


ALERT_KINDS = ("late", "underperforming", "overspending", "no_report")


@dataclass(frozen=True)
class Alert:
    kind: str  # one of ALERT_KINDS
    action_code: str
    key: str  # its message in the pacts' catalogue (Italian and English)
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, lang: str = "it") -> str:
        return messages.text(self.key, lang, self.params)

    @property
    def message(self) -> str:
        """The English text (what the API has always returned)."""
        return self.text("en")

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "action_code": self.action_code, "key": self.key, "params": self.params,
                "message": self.text("en"), "messaggio": self.text("it")}


@dataclass
class ActionProgress:
    action: ProgrammeAction
    latest: ProgressReport | None
    figures: dict[str, int]  # latest cumulative figures
    targets: dict[str, int]
    budget: Decimal
    spent: Decimal
    elapsed_share: float
    alerts: list[Alert]

    def ratio(self, name: str) -> float | None:
        target = self.targets[name]
        return self.figures[name] / target if target else None

    def percent(self, name: str) -> int:
        r = self.ratio(name)
        return 0 if r is None else min(100, round(100 * r))

    @property
    def spent_percent(self) -> int:
        return min(100, round(100 * self.spent / self.budget)) if self.budget else 0


@dataclass
class Monitoring:
    proposal: Proposal
    actions: list[ActionProgress]
    today: date
    figures: dict[str, int] = field(default_factory=dict)
    targets: dict[str, int] = field(default_factory=dict)
    budget: Decimal = ZERO
    spent: Decimal = ZERO

    @property
    def alerts(self) -> list[Alert]:
        return [alert for a in self.actions for alert in a.alerts]


# --- reports -------------------------------------------------------------------------------------------------

def _get(session: Session, principal: Principal, proposal_id: int) -> Proposal:
    proposal = session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound(f"no proposal {proposal_id}", field="proposal_id", key=N_("mon.err.no_proposal"),
                       params={"id": proposal_id})
    if not can(principal, READ, Resource.PACT_MONITORING, proposal):
        raise Forbidden("this pact belongs to another organisation", key=N_("mon.err.other_organisation"))
    return proposal


def _action(session: Session, proposal: Proposal, action_code: str) -> ProgrammeAction:
    action = session.scalar(select(ProgrammeAction).where(ProgrammeAction.proposal_id == proposal.id,
                                                          ProgrammeAction.code == action_code))
    if action is None:
        raise InvalidInput(f"the programme has no action {action_code!r}", field="action_code",
                           key=N_("mon.err.no_action"),
                           params={"action": action_code})
    return action


def _report_view(r: ProgressReport) -> dict[str, Any]:
    return {"period": r.period.isoformat(), **{n: getattr(r, n) for n in FIGURES}, "spent": str(r.spent),
            "note": r.note}


def report_progress(session: Session, *, actor: Principal, proposal_id: int, action_code: str, period: date,
                    enrolled: int, completed: int, certified: int, placed: int, spent: Decimal | str | int,
                    note: str = "", today: date | None = None) -> ProgressReport:
    """Record (or replace) an action's cumulative figures at ``period``; see the module docstring."""
    proposal = _get(session, actor, proposal_id)
    if not can(actor, WRITE, Resource.PACT_MONITORING, proposal):
        raise Forbidden("only editors of the owner partnership report progress", key=N_("mon.err.owner_reports"))
    if proposal.status not in states.OWNER_REPORTS_PROGRESS:
        raise Conflict(f"progress is reported while the programme is approved or in progress, not "
                       f"{proposal.status}", field="status", key=N_("mon.err.not_reporting"),
                       params={"status": proposal.status})
    action = _action(session, proposal, action_code)
    today = today or rome_today()
    if period > today:
        raise InvalidInput("a report cannot be for a future period", field="period", key=N_("mon.err.future_period"),
                           params={"today": today.isoformat()})
    if period < action.start_date:
        raise InvalidInput(f"action {action.code} starts on {action.start_date.isoformat()}: no report before",
                           field="period", key=N_("mon.err.before_start"),
                           params={"action": action.code, "start": action.start_date.isoformat()})
    values = {"enrolled": enrolled, "completed": completed, "certified": certified, "placed": placed}
    for name, value in values.items():
        if not 0 <= value < 10**8:
            raise InvalidInput(f"{name} must be a whole number from 0", field=name, key=N_("mon.err.figure_range"),
                               params={"figure": name})
    try:
        amount = Decimal(str(spent)).quantize(programme.CENT)
    except ArithmeticError:
        raise InvalidInput("spent: not an amount", field="spent", key=N_("mon.err.spent_not_amount")) from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
        raise InvalidInput("spent must be an amount from 0", field="spent", key=N_("mon.err.spent_range"))
    if completed > enrolled:
        raise InvalidInput("more completed than enrolled", field="completed", key=N_("mon.err.completed_over_enrolled"),
                           params={"completed": completed, "enrolled": enrolled})
    if certified > completed:
        raise InvalidInput("more certified than completed", field="certified",
                           key=N_("mon.err.certified_over_completed"),
                           params={"certified": certified, "completed": completed})
    if placed > enrolled:
        raise InvalidInput("more placed than enrolled", field="placed", key=N_("mon.err.placed_over_enrolled"),
                           params={"placed": placed, "enrolled": enrolled})
    note = (note or "").strip()
    if len(note) > 5000:
        raise InvalidInput("the note is too long", field="note", key=N_("mon.err.note_too_long"), params={"max": 5000})
    reports = {r.period: r for r in action.reports}
    earlier = [r for p, r in reports.items() if p < period]
    later = [r for p, r in reports.items() if p > period]
    current = {**values, "spent": amount}
    for name, figure in current.items():
        if earlier and figure < max(getattr(r, name) for r in earlier):
            raise InvalidInput(f"{name} is cumulative: lower than in an earlier period", field=name,
                               key=N_("mon.err.cumulative_lower"), params={"figure": name})
        if later and figure > min(getattr(r, name) for r in later):
            raise InvalidInput(f"{name} is cumulative: higher than in a later period", field=name,
                               key=N_("mon.err.cumulative_higher"), params={"figure": name})
    row = reports.get(period)
    before = _report_view(row) if row is not None else None
    if row is None:
        row = ProgressReport(action=action, period=period, reported_by=actor.label)
        session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    row.spent, row.note, row.reported_by, row.reported_at = amount, note, actor.label, datetime.now(UTC)
    session.flush()
    audit.record(session, actor=actor, action="report_progress", resource_type="pact_progress_report",
                 resource_id=row.id, organisation_id=proposal.organisation_id, before=before,
                 after={"proposal_id": proposal.id, "action": action.code, **_report_view(row)})
    if proposal.status == APPROVED:
        states.move(session, actor=actor, proposal=proposal, target=IN_PROGRESS, note="first progress report")
    return row


def list_reports(session: Session, *, principal: Principal, proposal_id: int) -> list[tuple[str, ProgressReport]]:
    """(action code, report) of a pact, by action then period."""
    proposal = _get(session, principal, proposal_id)
    rows = session.execute(select(ProgrammeAction.code, ProgressReport).join(ProgressReport.action)
                           .where(ProgrammeAction.proposal_id == proposal.id)
                           .order_by(ProgrammeAction.code, ProgressReport.period)).all()
    return [(code, report) for code, report in rows]


# --- progress and alerts -------------------------------------------------------------------------------------

def _elapsed(action: ProgrammeAction, today: date) -> float:
    days = (action.end_date - action.start_date).days
    if today < action.start_date:
        return 0.0
    if days <= 0 or today >= action.end_date:
        return 1.0
    return (today - action.start_date).days / days


def latest_report(action: ProgrammeAction) -> ProgressReport | None:
    return max(action.reports, key=lambda r: r.period) if action.reports else None


def alerts_for(action: ProgrammeAction, *, today: date, status: str,
               approved_at: datetime | None = None) -> list[Alert]:
    """The alerts of one action on ``today`` (none unless the programme is approved or in progress)."""
    if status not in MONITORED:
        return []
    latest = latest_report(action)
    got = {n: getattr(latest, n) if latest else 0 for n in FIGURES}
    spent = Decimal(latest.spent) if latest else ZERO
    out: list[Alert] = []
    code = action.code
    if today > action.end_date and got["completed"] < action.target_completed:
        out.append(Alert("late", code, N_("mon.alert.late_end"), {
            "action": code, "end": action.end_date.isoformat(), "completed": got["completed"],
            "target": action.target_completed}))
    elif today > action.start_date and got["enrolled"] == 0:
        out.append(Alert("late", code, N_("mon.alert.late_start"), {"action": code,
                                                                "start": action.start_date.isoformat()}))
    share = _elapsed(action, today)
    if (share >= MIN_ELAPSED_SHARE and action.target_enrolled > 0 and got["enrolled"] > 0
            and got["enrolled"] / action.target_enrolled < UNDERPERFORMANCE_RATIO * share):
        out.append(Alert("underperforming", code, N_("mon.alert.underperforming"), {
            "action": code, "enrolled": got["enrolled"], "target": action.target_enrolled,
            "percent": round(share * 100)}))
    budget = programme.action_budget(action)
    if spent > budget:
        out.append(Alert("overspending", code, N_("mon.alert.overspending"),
                         {"action": code, "spent": str(spent), "budget": str(budget)}))
    if today > action.start_date:
        since = latest.period if latest else max(action.start_date,
                                                 approved_at.date() if approved_at else action.start_date)
        if (today - since).days > REPORT_MAX_AGE_DAYS:
            out.append(Alert("no_report", code, N_("mon.alert.no_report"),
                             {"action": code, "since": since.isoformat()}))
    return out


def _progress(action: ProgrammeAction, today: date, status: str, approved_at: datetime | None) -> ActionProgress:
    latest = latest_report(action)
    return ActionProgress(
        action=action, latest=latest, figures={n: getattr(latest, n) if latest else 0 for n in FIGURES},
        targets={n: getattr(action, f"target_{n}") for n in FIGURES}, budget=programme.action_budget(action),
        spent=Decimal(latest.spent) if latest else ZERO, elapsed_share=_elapsed(action, today),
        alerts=alerts_for(action, today=today, status=status, approved_at=approved_at))


def _monitor(session: Session, proposal: Proposal, today: date) -> Monitoring:
    rows = [_progress(a, today, proposal.status, proposal.approved_at)
            for a in programme.actions_of(session, proposal.id)]
    return Monitoring(proposal=proposal, actions=rows, today=today,
                      figures={n: sum(r.figures[n] for r in rows) for n in FIGURES},
                      targets={n: sum(r.targets[n] for r in rows) for n in FIGURES},
                      budget=sum((r.budget for r in rows), ZERO), spent=sum((r.spent for r in rows), ZERO))


def monitor(session: Session, *, principal: Principal, proposal_id: int, today: date | None = None) -> Monitoring:
    """A pact's progress per action against its targets and budget, with its alerts."""
    proposal = _get(session, principal, proposal_id)
    return _monitor(session, proposal, today or rome_today())


# --- Cabina di regia -----------------------------------------------------------------------------------------

@dataclass
class ProvinceFigures:
    nuts3: str
    pacts: float = 0.0  # pacts split among their provinces
    budget: Decimal = ZERO
    spent: Decimal = ZERO
    enrolled: float = 0.0
    target_enrolled: float = 0.0
    alerts: int = 0


@dataclass
class Cabina:
    today: date
    pacts: list[Monitoring]
    provinces: dict[str, ProvinceFigures]
    budget: Decimal = ZERO
    spent: Decimal = ZERO
    figures: dict[str, int] = field(default_factory=dict)
    targets: dict[str, int] = field(default_factory=dict)

    @property
    def alerts(self) -> list[tuple[Proposal, Alert]]:
        return [(m.proposal, a) for m in self.pacts for a in m.alerts]


def territory_of(proposal: Proposal) -> list[str]:
    """NUTS 3 codes of the pact's territory (``body["territory"]`` as a list, or a mapping with ``nuts3`` /
    ``provinces``), in order, without repeats."""
    body = proposal.body or {}
    raw: Any = body.get("territory")
    values: list[Any] = []
    if isinstance(raw, Mapping):
        for key in ("nuts3", "provinces", "province"):
            item = raw.get(key)
            values.extend(item if isinstance(item, list) else [item])
    elif isinstance(raw, list):
        values = raw
    elif isinstance(raw, str):
        values = [raw]
    out: list[str] = []
    for v in values:
        code = (v.get("nuts3") or v.get("code")) if isinstance(v, Mapping) else v
        if isinstance(code, str) and NUTS3.match(code.strip().upper()) and code.strip().upper() not in out:
            out.append(code.strip().upper())
    return out


def may_see_cabina(principal: Principal) -> bool:
    return principal.is_system or principal.has(roles=REGION_READERS, types=(OrgType.REGION,)) or principal.has(
        types=(OrgType.FUND,))


def cabina(session: Session, *, principal: Principal, today: date | None = None,
           statuses: Sequence[str] = WITH_PROGRAMME) -> Cabina:
    """Every pact with a programme the principal may read, with aggregates per province (see above)."""
    if not may_see_cabina(principal):
        raise Forbidden("the Cabina di regia is for the Region's staff and the Funds", key=N_("mon.err.cabina_readers"))
    today = today or rome_today()
    rows = session.scalars(visible(select(Proposal), principal, Proposal)
                           .where(Proposal.status.in_(list(statuses))).order_by(Proposal.id)).all()
    pacts = [_monitor(session, p, today) for p in rows]
    provinces: dict[str, ProvinceFigures] = {}
    for m in pacts:
        codes = territory_of(m.proposal)
        for code in codes:
            share = Decimal(1) / len(codes)
            f = provinces.setdefault(code, ProvinceFigures(code))
            f.pacts += 1 / len(codes)
            f.budget += m.budget * share
            f.spent += m.spent * share
            f.enrolled += m.figures["enrolled"] / len(codes)
            f.target_enrolled += m.targets["enrolled"] / len(codes)
            f.alerts += len(m.alerts)
    for f in provinces.values():
        f.budget, f.spent = f.budget.quantize(programme.CENT), f.spent.quantize(programme.CENT)
    return Cabina(today=today, pacts=pacts, provinces=provinces,
                  budget=sum((m.budget for m in pacts), ZERO), spent=sum((m.spent for m in pacts), ZERO),
                  figures={n: sum(m.figures[n] for m in pacts) for n in FIGURES},
                  targets={n: sum(m.targets[n] for m in pacts) for n in FIGURES})


CSV_COLUMNS = ("proposal_id", "title", "status", "territory", "budget", "spent", *FIGURES,
               *(f"target_{n}" for n in FIGURES), "alerts")


def cabina_csv(overview: Cabina) -> str:
    """One row per pact (UTF-8, comma-separated, header first)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for m in overview.pacts:
        p = m.proposal
        title = "'" + p.title if p.title and p.title[0] in "=+-@" else p.title  # no formulas in spreadsheets
        writer.writerow([p.id, title, p.status, " ".join(territory_of(p)), m.budget, m.spent,
                         *(m.figures[n] for n in FIGURES), *(m.targets[n] for n in FIGURES), len(m.alerts)])
    return out.getvalue()
