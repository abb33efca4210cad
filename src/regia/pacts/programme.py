"""The detailed programme (*programma di intervento*) of a selected pact, its checks and its approval.

A proposal in state ``selected`` gets a programme from its owner partnership: :class:`ProgrammeAction` rows
(code, kind, title, a catalogue course or a new one, target ESCO skills, target group, lead partner, schedule,
targets), :class:`BudgetLine` rows per action × partner × funding source, and the plan's indicators in
``Proposal.programme`` (``{"indicators": [{"indicator", "unit", "baseline", "target", "actions"}],
"notes": ""}``). The owner may save an incomplete programme; :func:`check_programme` lists what stops it from
being presented.

Rules checked before submission (every :class:`Issue` names the field path it is about):

1. the programme has at least one action and at least one indicator;
2. every action has a title, a known kind and target group (one the call admits, if it names them);
3. every action's dates lie in the call's window: start on or after the ranking's publication (the evaluation
   deadline while no ranking is published), start ≤ end, end on or before ``call.ends_on``;
4. every action's targets are whole numbers with ``enrolled > 0`` and ``completed ≤ enrolled``,
   ``certified ≤ completed``, ``placed ≤ enrolled``;
5. an action's lead partner, and the partner of every budget line, is a partner of the proposal (the lead
   partner and the partners of the manifestation, or the owner partnership itself);
6. every action has at least one budget line, and every line an amount greater than zero;
7. **co-financing**: per public source (``regional``, ``fse_plus``, ``fund``) the lines' total is at most the
   amount granted at selection (``Proposal.granted``); all public sources together at most ``call.max_grant``;
   the partners' own ``cofinancing`` is at least ``call.min_cofinancing_share`` of the total cost
   (public + cofinancing);
8. an indicator has a name, a numeric baseline and target, and links only actions of the programme.

State changes go through :func:`regia.pacts.states.move` (which audits them): :func:`submit_programme` (owner,
before ``call.programme_deadline``, no issues), :func:`return_programme` (Region, with a note),
:func:`approve_programme` (Region), :func:`start` and :func:`close`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from dataclasses import field as _field  # Issue has an attribute called field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from regia.auth import audit
from regia.auth import service as accounts
from regia.auth.errors import Conflict, Forbidden, InvalidInput, NotFound
from regia.auth.policy import READ, WRITE, Resource, can
from regia.auth.principal import Principal, cli_principal
from regia.clock import rome_today
from regia.i18n import N_
from regia.pacts import messages, states
from regia.pacts.models import (
    ACTION_KINDS,
    APPROVED,
    CLOSED,
    FUNDING_SOURCES,
    IN_PROGRESS,
    PROGRAMME_SUBMITTED,
    SELECTED,
    TARGET_GROUPS,
    BudgetLine,
    Call,
    ProgrammeAction,
    Proposal,
)

PUBLIC_SOURCES = ("regional", "fse_plus", "fund")
COFINANCING = "cofinancing"
TARGET_FIELDS = ("enrolled", "completed", "certified", "placed")
MAX_ACTIONS = 200
MAX_LINES = 2000
MAX_INDICATORS = 100
ZERO = Decimal(0)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Issue:
    """One thing that stops the programme from being presented: where (``field``, a path such as
    ``actions[0].end_date``), what (``key``, a message of the pacts' catalogue) and the values it shows."""

    field: str
    key: str
    params: dict[str, Any] = _field(default_factory=dict)

    def text(self, lang: str = "it") -> str:
        return messages.text(self.key, lang, self.params)

    @property
    def message(self) -> str:
        """The English text (what the API has always returned)."""
        return self.text("en")

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "key": self.key, "params": self.params, "message": self.text("en"),
                "messaggio": self.text("it")}


@dataclass
class Totals:
    """Money of a programme: per source, per partner × source, the total cost and the co-financing share."""

    by_source: dict[str, Decimal] = field(default_factory=dict)
    by_partner: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    public: Decimal = ZERO
    cofinancing: Decimal = ZERO
    total: Decimal = ZERO

    @property
    def cofinancing_share(self) -> Decimal:
        return (self.cofinancing / self.total).quantize(Decimal("0.0001")) if self.total else ZERO


@dataclass
class Programme:
    proposal: Proposal
    call: Call | None
    actions: list[ProgrammeAction]
    indicators: list[dict[str, Any]]
    notes: str
    partners: dict[str, str]  # tax code -> name
    totals: Totals
    granted: dict[str, Decimal]


# --- reading -------------------------------------------------------------------------------------------------

def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _money(value: Any, field_name: str) -> Decimal:
    try:
        amount = Decimal(str(value).strip().replace(",", ".")) if value not in (None, "") else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        raise InvalidInput(f"{field_name}: not an amount", field=field_name, key=N_("prog.err.not_amount"),
                           params={"field": field_name})
    if abs(amount) >= Decimal("1e12"):
        raise InvalidInput(f"{field_name}: amount too large", field=field_name, key=N_("prog.err.amount_too_large"),
                           params={"field": field_name})
    return amount.quantize(CENT)


def _decimal_or_none(value: Any) -> Decimal | None:
    try:
        amount = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() else None


def granted_amounts(proposal: Proposal) -> dict[str, Decimal]:
    out = {}
    for source, value in (proposal.granted or {}).items():
        amount = _decimal_or_none(value)
        if amount is not None:
            out[str(source)] = amount
    return out


def _tax_code(entry: Any) -> str | None:
    if isinstance(entry, Mapping):
        for key in ("tax_code", "codice_fiscale", "cf", "vat_number", "vat"):
            if entry.get(key):
                return str(entry[key]).strip().upper()
    return None


def _name(entry: Mapping[str, Any], fallback: str) -> str:
    return str(entry.get("name") or entry.get("organisation") or fallback)


def partners_of(session: Session, proposal: Proposal) -> dict[str, str]:
    """The proposal's partners (tax code -> name): the manifestation's lead partner and partners (read
    defensively), and the owner partnership itself."""
    body = proposal.body or {}
    out: dict[str, str] = {}
    entries: list[Any] = []
    for key in ("lead", "lead_partner"):
        if isinstance(body.get(key), Mapping):
            entries.append(body[key])
    partners = body.get("partners")
    if isinstance(partners, list):
        entries.extend(partners)
    for entry in entries:
        code = _tax_code(entry)
        if code and isinstance(entry, Mapping):
            out.setdefault(code, _name(entry, code))
    try:
        owner = accounts.get_organisation(session, principal=cli_principal("programme"), id=proposal.organisation_id)
    except NotFound:  # an owner organisation that is gone: only the listed partners
        owner = None
    if owner is not None:
        for code in (owner.tax_code, owner.vat_number):
            if code:
                out.setdefault(code.upper(), owner.name)
    return out


def _get(session: Session, principal: Principal, proposal_id: int) -> Proposal:
    proposal = session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound(f"no proposal {proposal_id}", field="proposal_id", key=N_("prog.err.no_proposal"),
                       params={"id": proposal_id})
    if not can(principal, READ, Resource.PACT_PROPOSAL, proposal):
        raise Forbidden("this proposal belongs to another organisation", key=N_("prog.err.other_organisation"))
    return proposal


def actions_of(session: Session, proposal_id: int) -> list[ProgrammeAction]:
    return list(session.scalars(select(ProgrammeAction).where(ProgrammeAction.proposal_id == proposal_id)
                                .order_by(ProgrammeAction.code, ProgrammeAction.id)))


def totals(actions: Iterable[ProgrammeAction]) -> Totals:
    result = Totals(by_source={s: ZERO for s in FUNDING_SOURCES})
    for action in actions:
        for line in action.budget_lines:
            amount = Decimal(line.amount)
            result.by_source[line.source] = result.by_source.get(line.source, ZERO) + amount
            per = result.by_partner.setdefault(line.partner_tax_code, {s: ZERO for s in FUNDING_SOURCES})
            per[line.source] = per.get(line.source, ZERO) + amount
    result.public = sum((result.by_source.get(s, ZERO) for s in PUBLIC_SOURCES), ZERO)
    result.cofinancing = result.by_source.get(COFINANCING, ZERO)
    result.total = result.public + result.cofinancing
    return result


def get_programme(session: Session, *, principal: Principal, proposal_id: int) -> Programme:
    proposal = _get(session, principal, proposal_id)
    actions = actions_of(session, proposal.id)
    data = proposal.programme or {}
    indicators = data.get("indicators") if isinstance(data.get("indicators"), list) else []
    return Programme(proposal=proposal, call=session.get(Call, proposal.call_id) if proposal.call_id else None,
                     actions=actions, indicators=list(indicators or []), notes=str(data.get("notes") or ""),
                     partners=partners_of(session, proposal), totals=totals(actions),
                     granted=granted_amounts(proposal))


# --- the rules -----------------------------------------------------------------------------------------------

def window(call: Call) -> tuple[date, date]:
    """First and last day an action may run: from the ranking (or the evaluation deadline) to ``ends_on``."""
    opened = call.ranking_published_at or call.evaluation_deadline
    return _utc(opened).date(), call.ends_on


def programme_issues(*, call: Call | None, actions: Sequence[ProgrammeAction], indicators: Sequence[Any],
                     partners: Iterable[str], granted: Mapping[str, Decimal] | None) -> list[Issue]:
    """The rules of the module docstring, on rows in memory (no database)."""
    issues: list[Issue] = []

    def add(where: str, key: str, **params: Any) -> None:
        issues.append(Issue(where, key, params))

    partner_codes = {p.upper() for p in partners}
    if not actions:
        add("actions", N_("prog.issue.no_actions"))
    first, last = window(call) if call is not None else (None, None)
    if call is None:
        add("call", N_("prog.issue.no_call"))
    codes = [a.code for a in actions]
    for i, action in enumerate(actions):
        where, code = f"actions[{i}]", action.code
        if not (action.title or "").strip():
            add(f"{where}.title", N_("prog.issue.title_missing"), action=code)
        if action.kind not in ACTION_KINDS:
            add(f"{where}.kind", N_("prog.issue.unknown_kind"), action=code, kind=action.kind)
        if action.target_group not in TARGET_GROUPS:
            add(f"{where}.target_group", N_("prog.issue.unknown_group"), action=code, group=action.target_group)
        elif call is not None and call.targets and action.target_group not in call.targets:
            add(f"{where}.target_group", N_("prog.issue.group_not_admitted"), action=code, group=action.target_group)
        if action.lead_partner_tax_code and action.lead_partner_tax_code.upper() not in partner_codes:
            add(f"{where}.lead_partner_tax_code", N_("prog.issue.not_partner"), action=code,
                tax_code=action.lead_partner_tax_code)
        if action.start_date > action.end_date:
            add(f"{where}.end_date", N_("prog.issue.ends_before_start"), action=code)
        if first is not None and action.start_date < first:
            add(f"{where}.start_date", N_("prog.issue.starts_too_early"), action=code, first=first.isoformat())
        if last is not None and action.end_date > last:
            add(f"{where}.end_date", N_("prog.issue.ends_too_late"), action=code, last=last.isoformat())
        t = {name: getattr(action, f"target_{name}") for name in TARGET_FIELDS}
        for name, value in t.items():
            if value < 0:
                add(f"{where}.target_{name}", N_("prog.issue.negative_target"), action=code, figure=name)
        if t["enrolled"] <= 0:
            add(f"{where}.target_enrolled", N_("prog.issue.nobody_enrolled"), action=code)
        if t["completed"] > t["enrolled"]:
            add(f"{where}.target_completed", N_("prog.issue.completed_over_enrolled"), action=code)
        if t["certified"] > t["completed"]:
            add(f"{where}.target_certified", N_("prog.issue.certified_over_completed"), action=code)
        if t["placed"] > t["enrolled"]:
            add(f"{where}.target_placed", N_("prog.issue.placed_over_enrolled"), action=code)
        if not action.budget_lines:
            add(f"{where}.budget", N_("prog.issue.no_budget"), action=code)
        for j, line in enumerate(action.budget_lines):
            lwhere = f"{where}.budget[{j}]"
            if line.source not in FUNDING_SOURCES:
                add(f"{lwhere}.source", N_("prog.issue.unknown_source"), action=code, source=line.source)
            if Decimal(line.amount) <= 0:
                add(f"{lwhere}.amount", N_("prog.issue.line_not_positive"), action=code)
            if line.partner_tax_code.upper() not in partner_codes:
                add(f"{lwhere}.partner_tax_code", N_("prog.issue.not_partner"), action=code,
                    tax_code=line.partner_tax_code)
    money = totals(actions)
    granted = granted or {}
    if not granted:
        add("granted", N_("prog.issue.no_grant"))
    for source in PUBLIC_SOURCES:
        spent = money.by_source.get(source, ZERO)
        allowed = granted.get(source, ZERO)
        if spent > allowed:
            add(f"budget.{source}", N_("prog.issue.over_granted"), source=source, spent=str(spent),
                allowed=str(allowed))
    if call is not None and call.max_grant is not None and money.public > Decimal(call.max_grant):
        add("budget.public", N_("prog.issue.over_max_grant"), public=str(money.public), maximum=str(call.max_grant))
    minimum = Decimal(call.min_cofinancing_share) if call is not None else ZERO
    if money.total > 0 and money.cofinancing < minimum * money.total:
        add("budget.cofinancing", N_("prog.issue.cofinancing_short"), cofinancing=str(money.cofinancing),
            share=str(money.cofinancing_share), total=str(money.total), minimum=str(minimum))
    if not indicators:
        add("indicators", N_("prog.issue.no_indicators"))
    for k, ind in enumerate(indicators):
        where = f"indicators[{k}]"
        if not isinstance(ind, Mapping):
            add(where, N_("prog.issue.not_indicator"))
            continue
        if not str(ind.get("indicator") or "").strip():
            add(f"{where}.indicator", N_("prog.issue.indicator_unnamed"))
        for key, issue in (("baseline", N_("prog.issue.indicator_baseline_not_number")),
                           ("target", N_("prog.issue.indicator_target_not_number"))):
            if _decimal_or_none(ind.get(key)) is None:
                add(f"{where}.{key}", issue)
        for linked in ind.get("actions") or []:
            if linked not in codes:
                add(f"{where}.actions", N_("prog.issue.indicator_unknown_action"), action=str(linked))
    return issues


def check_programme(session: Session, *, principal: Principal, proposal_id: int) -> list[Issue]:
    """Every problem that stops the programme from being presented (empty list: it may be)."""
    p = get_programme(session, principal=principal, proposal_id=proposal_id)
    return programme_issues(call=p.call, actions=p.actions, indicators=p.indicators, partners=p.partners,
                            granted=p.granted if p.proposal.granted is not None else None)


# --- editing -------------------------------------------------------------------------------------------------

def _owner_editing(session: Session, actor: Principal, proposal_id: int) -> Proposal:
    proposal = _get(session, actor, proposal_id)
    if not can(actor, WRITE, Resource.PACT_PROPOSAL, proposal):
        raise Forbidden("only editors of the owner partnership edit its programme", key=N_("prog.err.owner_edits"))
    if proposal.status not in states.OWNER_EDITS_PROGRAMME:
        raise Conflict(f"the programme cannot be edited while the proposal is {proposal.status}", field="status",
                       key=N_("prog.err.not_editable"), params={"status": proposal.status})
    return proposal


def _text(value: Any, field_name: str, *, max_length: int, required: bool = False) -> str:
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise InvalidInput(f"{field_name} is required", field=field_name, key=N_("prog.err.required"),
                           params={"field": field_name})
    if len(text) > max_length:
        raise InvalidInput(f"{field_name}: at most {max_length} characters", field=field_name,
                           key=N_("prog.err.too_long"),
                           params={"field": field_name, "max": max_length})
    return text


def _date(value: Any, field_name: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidInput(f"{field_name}: not a date (YYYY-MM-DD)", field=field_name, key=N_("prog.err.not_date"),
                           params={"field": field_name}) from None


def _count(value: Any, field_name: str) -> int:
    try:
        number = int(str(value).strip() or 0) if value is not None else 0
    except ValueError:
        raise InvalidInput(f"{field_name}: not a whole number", field=field_name, key=N_("prog.err.not_whole"),
                           params={"field": field_name}) from None
    if not -10**9 < number < 10**9:
        raise InvalidInput(f"{field_name}: out of range", field=field_name, key=N_("prog.err.out_of_range"),
                           params={"field": field_name})
    return number


def _parse_action(raw: Mapping[str, Any], i: int) -> dict[str, Any]:
    where = f"actions[{i}]"
    kind = _text(raw.get("kind"), f"{where}.kind", max_length=20, required=True)
    if kind not in ACTION_KINDS:
        raise InvalidInput(f"{where}.kind: one of {', '.join(ACTION_KINDS)}", field=f"{where}.kind",
                           key=N_("prog.err.kind_choice"), params={"field": f"{where}.kind", "kind": kind})
    group = _text(raw.get("target_group"), f"{where}.target_group", max_length=30, required=True)
    course = raw.get("course_id")
    course_id = None if course in (None, "") else _count(course, f"{where}.course_id")
    skills = raw.get("skills") or []
    if isinstance(skills, str):
        skills = [s for s in (part.strip() for part in skills.replace("\n", " ").split(" ")) if s]
    if not isinstance(skills, list) or len(skills) > 100:
        raise InvalidInput(f"{where}.skills: a list of ESCO skill URIs (at most 100)", field=f"{where}.skills",
                           key=N_("prog.err.skills_list"), params={"field": f"{where}.skills"})
    lines = raw.get("budget") or []
    if not isinstance(lines, list):
        raise InvalidInput(f"{where}.budget: a list of budget lines", field=f"{where}.budget",
                           key=N_("prog.err.budget_list"), params={"field": f"{where}.budget"})
    parsed_lines = []
    for j, line in enumerate(lines):
        lwhere = f"{where}.budget[{j}]"
        if not isinstance(line, Mapping):
            raise InvalidInput(f"{lwhere}: not a budget line", field=lwhere, key=N_("prog.err.not_line"),
                               params={"field": lwhere})
        source = _text(line.get("source"), f"{lwhere}.source", max_length=20, required=True)
        if source not in FUNDING_SOURCES:
            raise InvalidInput(f"{lwhere}.source: one of {', '.join(FUNDING_SOURCES)}", field=f"{lwhere}.source",
                               key=N_("prog.err.source_choice"), params={"field": f"{lwhere}.source", "source": source})
        amount = _money(line.get("amount"), f"{lwhere}.amount")
        if amount < 0:
            raise InvalidInput(f"{lwhere}.amount: negative", field=f"{lwhere}.amount",
                               key=N_("prog.err.negative_amount"),
                               params={"field": f"{lwhere}.amount"})
        parsed_lines.append({
            "partner_tax_code": _text(line.get("partner_tax_code"), f"{lwhere}.partner_tax_code", max_length=16,
                                      required=True).upper(),
            "source": source, "amount": amount,
            "description": _text(line.get("description"), f"{lwhere}.description", max_length=300)})
    lead = _text(raw.get("lead_partner_tax_code"), f"{where}.lead_partner_tax_code", max_length=16).upper()
    return {
        "code": _text(raw.get("code"), f"{where}.code", max_length=20, required=True),
        "kind": kind, "title": _text(raw.get("title"), f"{where}.title", max_length=300),
        "course_id": course_id, "skills": [_text(s, f"{where}.skills", max_length=300) for s in skills],
        "target_group": group, "lead_partner_tax_code": lead or None,
        "start_date": _date(raw.get("start_date"), f"{where}.start_date"),
        "end_date": _date(raw.get("end_date"), f"{where}.end_date"),
        **{f"target_{n}": _count(raw.get(f"target_{n}"), f"{where}.target_{n}") for n in TARGET_FIELDS},
        "budget": parsed_lines,
    }


def _parse_indicator(raw: Any, k: int) -> dict[str, Any]:
    where = f"indicators[{k}]"
    if not isinstance(raw, Mapping):
        raise InvalidInput(f"{where}: not an indicator", field=where, key=N_("prog.err.not_indicator"),
                           params={"field": where})
    linked = raw.get("actions") or []
    if isinstance(linked, str):
        linked = [c.strip() for c in linked.split(",") if c.strip()]
    if not isinstance(linked, list):
        raise InvalidInput(f"{where}.actions: a list of action codes", field=f"{where}.actions",
                           key=N_("prog.err.codes_list"), params={"field": f"{where}.actions"})
    out: dict[str, Any] = {"indicator": _text(raw.get("indicator"), f"{where}.indicator", max_length=300),
                           "unit": _text(raw.get("unit"), f"{where}.unit", max_length=60),
                           "actions": [_text(c, f"{where}.actions", max_length=20) for c in linked]}
    for key in ("baseline", "target"):
        value = raw.get(key)
        number = _decimal_or_none(value) if value not in (None, "") else None
        if value not in (None, "") and number is None:
            raise InvalidInput(f"{where}.{key}: not a number", field=f"{where}.{key}", key=N_("prog.err.not_number"),
                               params={"field": f"{where}.{key}"})
        out[key] = None if number is None else str(number)
    return out


def _action_view(action: ProgrammeAction) -> dict[str, Any]:
    return {"code": action.code, "kind": action.kind, "title": action.title, "course_id": action.course_id,
            "skills": list(action.skills or []), "target_group": action.target_group,
            "lead_partner_tax_code": action.lead_partner_tax_code, "start_date": action.start_date,
            "end_date": action.end_date, **{f"target_{n}": getattr(action, f"target_{n}") for n in TARGET_FIELDS},
            "budget": [{"partner_tax_code": b.partner_tax_code, "source": b.source, "amount": b.amount,
                        "description": b.description} for b in action.budget_lines]}


def save_programme(session: Session, *, actor: Principal, proposal_id: int, actions: Sequence[Mapping[str, Any]],
                   indicators: Sequence[Any] = (), notes: str = "", version: int) -> Programme:
    """Replace the programme (actions with their budget lines, indicators, notes) of a selected proposal.

    Actions are matched by ``code`` (kept rows keep their id); ``version`` is the proposal's version the
    editor read: a stale one is refused (409). The programme may still be incomplete: see
    :func:`check_programme`."""
    proposal = _owner_editing(session, actor, proposal_id)
    if proposal.version != version:
        raise Conflict(f"the proposal changed since you read it (now version {proposal.version})", field="version",
                       key=N_("prog.err.stale"), params={"version": proposal.version})
    if len(actions) > MAX_ACTIONS or len(indicators) > MAX_INDICATORS:
        raise InvalidInput("too many actions or indicators", field="actions", key=N_("prog.err.too_many"),
                           params={"actions": MAX_ACTIONS, "indicators": MAX_INDICATORS})
    parsed = [_parse_action(raw, i) for i, raw in enumerate(actions)]
    if sum(len(p["budget"]) for p in parsed) > MAX_LINES:
        raise InvalidInput(f"at most {MAX_LINES} budget lines", field="actions", key=N_("prog.err.too_many_lines"),
                           params={"max": MAX_LINES})
    seen: set[str] = set()
    for i, p in enumerate(parsed):
        if p["code"] in seen:
            raise InvalidInput(f"action code {p['code']} is repeated", field=f"actions[{i}].code",
                               key=N_("prog.err.code_repeated"), params={"action": p["code"]})
        seen.add(p["code"])
    parsed_indicators = [_parse_indicator(raw, k) for k, raw in enumerate(indicators)]
    notes = _text(notes, "notes", max_length=20_000)

    existing = {a.code: a for a in actions_of(session, proposal.id)}
    before = {"actions": [_action_view(a) for a in existing.values()], "programme": proposal.programme,
              "version": proposal.version}
    # Claim the version in one statement: of two editors saving the same version at once, one gets 409 (the
    # second UPDATE waits for the first on PostgreSQL, then matches no row).
    claimed = session.execute(
        update(Proposal).where(Proposal.id == proposal.id, Proposal.version == version,
                               Proposal.status.in_(sorted(states.OWNER_EDITS_PROGRAMME)))
        .values(version=version + 1, updated_at=datetime.now(UTC)).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("the proposal changed since you read it", field="version", key=N_("prog.err.stale_now"))
    session.refresh(proposal)
    for code, action in existing.items():
        if code not in seen:
            session.delete(action)
    session.flush()
    for p in parsed:
        lines = p.pop("budget")
        row = existing.get(p["code"])
        if row is None:
            row = ProgrammeAction(proposal_id=proposal.id, **p)
            session.add(row)
        else:
            for key, value in p.items():
                setattr(row, key, value)
            row.budget_lines.clear()
        session.flush()
        row.budget_lines.extend(BudgetLine(**line) for line in lines)
    proposal.programme = audit.jsonable({"indicators": parsed_indicators, "notes": notes})
    session.flush()
    after_actions = actions_of(session, proposal.id)
    for a in after_actions:
        session.refresh(a)
    audit.record(session, actor=actor, action="update_programme", resource_type="pact_proposal",
                 resource_id=proposal.id, organisation_id=proposal.organisation_id, before=before,
                 after={"actions": [_action_view(a) for a in after_actions], "programme": proposal.programme,
                        "version": proposal.version})
    return get_programme(session, principal=actor, proposal_id=proposal.id)


def prefill(session: Session, *, actor: Principal, proposal_id: int) -> Programme:
    """Start the programme from the manifestation's planned actions (only while it has no actions).

    Reads ``body["actions"]`` defensively (``code``, ``kind``, ``title``, ``course_id``, ``skills``,
    ``target_group``, ``participants``); dates default to the call's window, budgets start empty."""
    proposal = _owner_editing(session, actor, proposal_id)
    if actions_of(session, proposal.id):
        raise Conflict("the programme already has actions", field="actions", key=N_("prog.err.has_actions"))
    call = session.get(Call, proposal.call_id) if proposal.call_id else None
    first, last = window(call) if call is not None else (rome_today(), rome_today())
    planned = (proposal.body or {}).get("actions")
    rows = []
    for i, item in enumerate(planned if isinstance(planned, list) else []):
        if not isinstance(item, Mapping):
            continue
        kind = item.get("kind") if item.get("kind") in ACTION_KINDS else "training"
        group = item.get("target_group") if item.get("target_group") in TARGET_GROUPS else TARGET_GROUPS[0]
        participants = _decimal_or_none(item.get("participants"))
        raw_skills = item.get("skills")
        skills = [s.get("uri") or s.get("id") if isinstance(s, Mapping) else s
                  for s in (raw_skills if isinstance(raw_skills, list) else [])[:100]]
        course = item.get("course_id")
        rows.append({"code": str(item.get("code") or f"A{i + 1}")[:20], "kind": kind,
                     "title": str(item.get("title") or "")[:300],
                     "course_id": course if isinstance(course, int) and not isinstance(course, bool) else None,
                     "skills": [str(s)[:300] for s in skills if isinstance(s, str) and s],
                     "target_group": group, "start_date": first, "end_date": last,
                     "target_enrolled": max(int(participants), 0) if participants is not None else 0,
                     "budget": []})
    data = proposal.programme or {}
    indicators = data.get("indicators") or []
    impacts = (proposal.body or {}).get("impacts")
    if not indicators and isinstance(impacts, list):  # the manifestation's expected impacts, linked to all
        indicators = [{"indicator": str(i.get("indicator") or "")[:300], "unit": str(i.get("unit") or "")[:60],
                       "baseline": i.get("baseline"), "target": i.get("target"),
                       "actions": [r["code"] for r in rows]} for i in impacts[:MAX_INDICATORS]
                      if isinstance(i, Mapping) and _decimal_or_none(i.get("baseline") or 0) is not None
                      and _decimal_or_none(i.get("target") or 0) is not None]
    return save_programme(session, actor=actor, proposal_id=proposal.id, actions=rows,
                          indicators=indicators, notes=data.get("notes") or "",
                          version=proposal.version)


# --- state changes -------------------------------------------------------------------------------------------

def submit_programme(session: Session, *, actor: Principal, proposal_id: int, now: datetime | None = None) -> Proposal:
    """Present the programme: the owner, before the call's programme deadline, with no issues left."""
    proposal = _get(session, actor, proposal_id)
    if not can(actor, WRITE, Resource.PACT_PROPOSAL, proposal):
        raise Forbidden("only editors of the owner partnership present its programme",
                        key=N_("prog.err.owner_presents"))
    states.check(actor, proposal, PROGRAMME_SUBMITTED)
    now = _utc(now or datetime.now(UTC))
    call = session.get(Call, proposal.call_id) if proposal.call_id else None
    if call is not None and now > _utc(call.programme_deadline):
        raise Conflict(f"the programme deadline ({_utc(call.programme_deadline).isoformat()}) has passed",
                       field="programme_deadline", key=N_("prog.err.deadline_passed"),
                       params={"deadline": _utc(call.programme_deadline).isoformat()})
    issues = check_programme(session, principal=actor, proposal_id=proposal.id)
    if issues:
        raise InvalidInput(f"the programme has {len(issues)} problem(s): "
                           + "; ".join(f"{i.field}: {i.message}" for i in issues[:20]), field=issues[0].field,
                           key=N_("prog.err.has_issues"), params={"count": len(issues)})
    proposal.programme_submitted_at = now
    return states.move(session, actor=actor, proposal=proposal, target=PROGRAMME_SUBMITTED)


def _region(session: Session, actor: Principal, proposal_id: int) -> Proposal:
    proposal = _get(session, actor, proposal_id)
    if not can(actor, WRITE, Resource.PACT_DECISION, proposal):
        raise Forbidden("only the Region's staff decide on programmes", key=N_("prog.err.region_decides"))
    return proposal


def return_programme(session: Session, *, actor: Principal, proposal_id: int, note: str) -> Proposal:
    """Send the programme back to the partnership (state ``selected``) with what to change."""
    proposal = _region(session, actor, proposal_id)
    note = _text(note, "note", max_length=2000, required=True)
    return states.move(session, actor=actor, proposal=proposal, target=SELECTED, note=note)


def approve_programme(session: Session, *, actor: Principal, proposal_id: int, now: datetime | None = None,
                      note: str | None = None) -> Proposal:
    proposal = _region(session, actor, proposal_id)
    states.check(actor, proposal, APPROVED)
    proposal.approved_at = _utc(now or datetime.now(UTC))
    return states.move(session, actor=actor, proposal=proposal, target=APPROVED, note=note)


def start(session: Session, *, actor: Principal, proposal_id: int) -> Proposal:
    """The approved programme starts (the Region; the owner's first progress report starts it too)."""
    proposal = _get(session, actor, proposal_id)
    return states.move(session, actor=actor, proposal=proposal, target=IN_PROGRESS)


def close(session: Session, *, actor: Principal, proposal_id: int, note: str | None = None) -> Proposal:
    proposal = _region(session, actor, proposal_id)
    return states.move(session, actor=actor, proposal=proposal, target=CLOSED, note=note)


def by_partner_rows(programme: Programme) -> list[tuple[str, str, dict[str, Decimal], Decimal]]:
    """(tax code, name, amounts per source, total) per partner with budget lines, for the budget table."""
    rows = []
    for code, amounts in sorted(programme.totals.by_partner.items()):
        rows.append((code, programme.partners.get(code, code), amounts, sum(amounts.values(), ZERO)))
    return rows


def action_budget(action: ProgrammeAction) -> Decimal:
    return sum((Decimal(b.amount) for b in action.budget_lines), ZERO)


def budget_by_action(actions: Iterable[ProgrammeAction]) -> dict[int, Decimal]:
    out: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for a in actions:
        out[a.id] = action_budget(a)
    return dict(out)
