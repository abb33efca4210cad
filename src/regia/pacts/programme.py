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
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from regia.auth import audit
from regia.auth import service as accounts
from regia.auth.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from regia.auth.policy import READ, WRITE, Resource, can
from regia.auth.principal import Principal, cli_principal
from regia.pacts import states
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
ROME = ZoneInfo("Europe/Rome")  # Italian messages show instants in Rome time


# --- messages (Italian and English) --------------------------------------------------------------------------

# In-sentence names of codes that messages show: a parameter called ``source``, ``kind``, ``group`` or
# ``figure`` is replaced by its name in the page's language (an unknown code is shown as it is).
LABELS: dict[str, dict[str, dict[str, str]]] = {
    "it": {
        "source": {"regional": "Regione", "fse_plus": "FSE+ 2021–2027", "fund": "Fondo",
                   "cofinancing": "cofinanziamento"},
        "kind": {"training": "formazione", "guidance": "orientamento", "certification": "certificazione",
                 "apprenticeship": "apprendistato", "placement": "inserimento lavorativo"},
        "group": {"students": "studenti", "unemployed": "disoccupati", "suspended_workers": "occupati sospesi",
                  "employed": "occupati", "apprentices": "apprendisti", "foreign_workers": "lavoratori stranieri"},
        "figure": {"enrolled": "iscritti", "completed": "conclusi", "certified": "certificati",
                   "placed": "occupati", "spent": "speso"},
    },
    "en": {
        "source": {"regional": "regional funds", "fse_plus": "ESF+ 2021–2027", "fund": "Fund",
                   "cofinancing": "co-financing"},
        "kind": {k: k for k in ACTION_KINDS},
        "group": {"students": "students", "unemployed": "unemployed", "suspended_workers": "suspended workers",
                  "employed": "employed", "apprentices": "apprentices", "foreign_workers": "foreign workers"},
        "figure": {"enrolled": "enrolled", "completed": "completed", "certified": "certified", "placed": "placed",
                   "spent": "spent"},
    },
}
MONEY_PARAMS = frozenset({"spent", "allowed", "public", "maximum", "cofinancing", "total", "budget"})
SHARE_PARAMS = frozenset({"share", "minimum"})  # fractions (0.25), shown as percentages
DATE_PARAMS = frozenset({"first", "last", "start", "end", "since", "today", "deadline", "submitted"})  # ISO


def _number(value: Decimal, lang: str) -> str:
    text = f"{value:,.2f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".") if lang == "it" else text


def _shown(lang: str, name: str, value: Any) -> Any:
    """A parameter as the message shows it in ``lang``: codes by name, amounts, shares and dates localised."""
    labels = LABELS.get(lang, LABELS["en"])
    if name in labels and isinstance(value, str):
        return labels[name].get(value, value)
    if name in MONEY_PARAMS or name in SHARE_PARAMS:
        number = _decimal_or_none(value)
        if number is None:
            return value
        if name in SHARE_PARAMS:
            return _number(number * 100, lang) + " %" if lang == "it" else _number(number * 100, lang) + "%"
        return f"{_number(number, lang)} €" if lang == "it" else f"€{_number(number, lang)}"
    if name in DATE_PARAMS and isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if len(value) == 10:  # a day
            return f"{moment:%d/%m/%Y}" if lang == "it" else value
        return f"{_utc(moment).astimezone(ROME):{'%d/%m/%Y %H:%M' if lang == 'it' else '%Y-%m-%d %H:%M'}}"
    return value


def localise(messages: Mapping[str, Mapping[str, str]], lang: str, key: str,
             params: Mapping[str, Any] | None = None) -> str:
    """The message ``key`` of ``messages`` (``{"it": {...}, "en": {...}}``) in ``lang`` (English when missing),
    with ``params`` shown as :func:`_shown` says. An unknown key is returned as it is."""
    template = messages.get(lang, {}).get(key) or messages.get("en", {}).get(key) or key
    try:
        return template.format(**{name: _shown(lang, name, v) for name, v in (params or {}).items()})
    except (KeyError, IndexError, ValueError):
        return template


def error_text(messages: Mapping[str, Mapping[str, str]], lang: str, exc: DomainError) -> str:
    """What a page shows for a service error: its key's message in ``lang``, or (an error without a key) the
    English detail, after the field it is about."""
    if exc.key:
        return localise(messages, lang, exc.key, exc.params)
    return f"{exc.field}: {exc.detail}" if exc.field and exc.field not in exc.detail else exc.detail


@dataclass(frozen=True)
class Issue:
    """One thing that stops the programme from being presented: where (``field``, a path such as
    ``actions[0].end_date``), what (``key``, a message of :data:`MESSAGES`) and the values it shows."""

    field: str
    key: str
    params: dict[str, Any] = _field(default_factory=dict)

    def text(self, lang: str = "it") -> str:
        return localise(MESSAGES, lang, self.key, self.params)

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
        raise InvalidInput(f"{field_name}: not an amount", field=field_name, key="prog.err.not_amount",
                           params={"field": field_name})
    if abs(amount) >= Decimal("1e12"):
        raise InvalidInput(f"{field_name}: amount too large", field=field_name, key="prog.err.amount_too_large",
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
        raise NotFound(f"no proposal {proposal_id}", field="proposal_id", key="prog.err.no_proposal",
                       params={"id": proposal_id})
    if not can(principal, READ, Resource.PACT_PROPOSAL, proposal):
        raise Forbidden("this proposal belongs to another organisation", key="prog.err.other_organisation")
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

    def add(where: str, code: str, **params: Any) -> None:
        issues.append(Issue(where, f"prog.issue.{code}", params))

    partner_codes = {p.upper() for p in partners}
    if not actions:
        add("actions", "no_actions")
    first, last = window(call) if call is not None else (None, None)
    if call is None:
        add("call", "no_call")
    codes = [a.code for a in actions]
    for i, action in enumerate(actions):
        where, code = f"actions[{i}]", action.code
        if not (action.title or "").strip():
            add(f"{where}.title", "title_missing", action=code)
        if action.kind not in ACTION_KINDS:
            add(f"{where}.kind", "unknown_kind", action=code, kind=action.kind)
        if action.target_group not in TARGET_GROUPS:
            add(f"{where}.target_group", "unknown_group", action=code, group=action.target_group)
        elif call is not None and call.targets and action.target_group not in call.targets:
            add(f"{where}.target_group", "group_not_admitted", action=code, group=action.target_group)
        if action.lead_partner_tax_code and action.lead_partner_tax_code.upper() not in partner_codes:
            add(f"{where}.lead_partner_tax_code", "not_partner", action=code, tax_code=action.lead_partner_tax_code)
        if action.start_date > action.end_date:
            add(f"{where}.end_date", "ends_before_start", action=code)
        if first is not None and action.start_date < first:
            add(f"{where}.start_date", "starts_too_early", action=code, first=first.isoformat())
        if last is not None and action.end_date > last:
            add(f"{where}.end_date", "ends_too_late", action=code, last=last.isoformat())
        t = {name: getattr(action, f"target_{name}") for name in TARGET_FIELDS}
        for name, value in t.items():
            if value < 0:
                add(f"{where}.target_{name}", "negative_target", action=code, figure=name)
        if t["enrolled"] <= 0:
            add(f"{where}.target_enrolled", "nobody_enrolled", action=code)
        if t["completed"] > t["enrolled"]:
            add(f"{where}.target_completed", "completed_over_enrolled", action=code)
        if t["certified"] > t["completed"]:
            add(f"{where}.target_certified", "certified_over_completed", action=code)
        if t["placed"] > t["enrolled"]:
            add(f"{where}.target_placed", "placed_over_enrolled", action=code)
        if not action.budget_lines:
            add(f"{where}.budget", "no_budget", action=code)
        for j, line in enumerate(action.budget_lines):
            lwhere = f"{where}.budget[{j}]"
            if line.source not in FUNDING_SOURCES:
                add(f"{lwhere}.source", "unknown_source", action=code, source=line.source)
            if Decimal(line.amount) <= 0:
                add(f"{lwhere}.amount", "line_not_positive", action=code)
            if line.partner_tax_code.upper() not in partner_codes:
                add(f"{lwhere}.partner_tax_code", "not_partner", action=code, tax_code=line.partner_tax_code)
    money = totals(actions)
    granted = granted or {}
    if not granted:
        add("granted", "no_grant")
    for source in PUBLIC_SOURCES:
        spent = money.by_source.get(source, ZERO)
        allowed = granted.get(source, ZERO)
        if spent > allowed:
            add(f"budget.{source}", "over_granted", source=source, spent=str(spent), allowed=str(allowed))
    if call is not None and call.max_grant is not None and money.public > Decimal(call.max_grant):
        add("budget.public", "over_max_grant", public=str(money.public), maximum=str(call.max_grant))
    minimum = Decimal(call.min_cofinancing_share) if call is not None else ZERO
    if money.total > 0 and money.cofinancing < minimum * money.total:
        add("budget.cofinancing", "cofinancing_short", cofinancing=str(money.cofinancing),
            share=str(money.cofinancing_share), total=str(money.total), minimum=str(minimum))
    if not indicators:
        add("indicators", "no_indicators")
    for k, ind in enumerate(indicators):
        where = f"indicators[{k}]"
        if not isinstance(ind, Mapping):
            add(where, "not_indicator")
            continue
        if not str(ind.get("indicator") or "").strip():
            add(f"{where}.indicator", "indicator_unnamed")
        for key in ("baseline", "target"):
            if _decimal_or_none(ind.get(key)) is None:
                add(f"{where}.{key}", f"indicator_{key}_not_number")
        for linked in ind.get("actions") or []:
            if linked not in codes:
                add(f"{where}.actions", "indicator_unknown_action", action=str(linked))
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
        raise Forbidden("only editors of the owner partnership edit its programme", key="prog.err.owner_edits")
    if proposal.status not in states.OWNER_EDITS_PROGRAMME:
        raise Conflict(f"the programme cannot be edited while the proposal is {proposal.status}", field="status",
                       key="prog.err.not_editable", params={"status": proposal.status})
    return proposal


def _text(value: Any, field_name: str, *, max_length: int, required: bool = False) -> str:
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise InvalidInput(f"{field_name} is required", field=field_name, key="prog.err.required",
                           params={"field": field_name})
    if len(text) > max_length:
        raise InvalidInput(f"{field_name}: at most {max_length} characters", field=field_name, key="prog.err.too_long",
                           params={"field": field_name, "max": max_length})
    return text


def _date(value: Any, field_name: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidInput(f"{field_name}: not a date (YYYY-MM-DD)", field=field_name, key="prog.err.not_date",
                           params={"field": field_name}) from None


def _count(value: Any, field_name: str) -> int:
    try:
        number = int(str(value).strip() or 0) if value is not None else 0
    except ValueError:
        raise InvalidInput(f"{field_name}: not a whole number", field=field_name, key="prog.err.not_whole",
                           params={"field": field_name}) from None
    if not -10**9 < number < 10**9:
        raise InvalidInput(f"{field_name}: out of range", field=field_name, key="prog.err.out_of_range",
                           params={"field": field_name})
    return number


def _parse_action(raw: Mapping[str, Any], i: int) -> dict[str, Any]:
    where = f"actions[{i}]"
    kind = _text(raw.get("kind"), f"{where}.kind", max_length=20, required=True)
    if kind not in ACTION_KINDS:
        raise InvalidInput(f"{where}.kind: one of {', '.join(ACTION_KINDS)}", field=f"{where}.kind",
                           key="prog.err.kind_choice", params={"field": f"{where}.kind", "kind": kind})
    group = _text(raw.get("target_group"), f"{where}.target_group", max_length=30, required=True)
    course = raw.get("course_id")
    course_id = None if course in (None, "") else _count(course, f"{where}.course_id")
    skills = raw.get("skills") or []
    if isinstance(skills, str):
        skills = [s for s in (part.strip() for part in skills.replace("\n", " ").split(" ")) if s]
    if not isinstance(skills, list) or len(skills) > 100:
        raise InvalidInput(f"{where}.skills: a list of ESCO skill URIs (at most 100)", field=f"{where}.skills",
                           key="prog.err.skills_list", params={"field": f"{where}.skills"})
    lines = raw.get("budget") or []
    if not isinstance(lines, list):
        raise InvalidInput(f"{where}.budget: a list of budget lines", field=f"{where}.budget",
                           key="prog.err.budget_list", params={"field": f"{where}.budget"})
    parsed_lines = []
    for j, line in enumerate(lines):
        lwhere = f"{where}.budget[{j}]"
        if not isinstance(line, Mapping):
            raise InvalidInput(f"{lwhere}: not a budget line", field=lwhere, key="prog.err.not_line",
                               params={"field": lwhere})
        source = _text(line.get("source"), f"{lwhere}.source", max_length=20, required=True)
        if source not in FUNDING_SOURCES:
            raise InvalidInput(f"{lwhere}.source: one of {', '.join(FUNDING_SOURCES)}", field=f"{lwhere}.source",
                               key="prog.err.source_choice", params={"field": f"{lwhere}.source", "source": source})
        amount = _money(line.get("amount"), f"{lwhere}.amount")
        if amount < 0:
            raise InvalidInput(f"{lwhere}.amount: negative", field=f"{lwhere}.amount", key="prog.err.negative_amount",
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
        raise InvalidInput(f"{where}: not an indicator", field=where, key="prog.err.not_indicator",
                           params={"field": where})
    linked = raw.get("actions") or []
    if isinstance(linked, str):
        linked = [c.strip() for c in linked.split(",") if c.strip()]
    if not isinstance(linked, list):
        raise InvalidInput(f"{where}.actions: a list of action codes", field=f"{where}.actions",
                           key="prog.err.codes_list", params={"field": f"{where}.actions"})
    out: dict[str, Any] = {"indicator": _text(raw.get("indicator"), f"{where}.indicator", max_length=300),
                           "unit": _text(raw.get("unit"), f"{where}.unit", max_length=60),
                           "actions": [_text(c, f"{where}.actions", max_length=20) for c in linked]}
    for key in ("baseline", "target"):
        value = raw.get(key)
        number = _decimal_or_none(value) if value not in (None, "") else None
        if value not in (None, "") and number is None:
            raise InvalidInput(f"{where}.{key}: not a number", field=f"{where}.{key}", key="prog.err.not_number",
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
                       key="prog.err.stale", params={"version": proposal.version})
    if len(actions) > MAX_ACTIONS or len(indicators) > MAX_INDICATORS:
        raise InvalidInput("too many actions or indicators", field="actions", key="prog.err.too_many",
                           params={"actions": MAX_ACTIONS, "indicators": MAX_INDICATORS})
    parsed = [_parse_action(raw, i) for i, raw in enumerate(actions)]
    if sum(len(p["budget"]) for p in parsed) > MAX_LINES:
        raise InvalidInput(f"at most {MAX_LINES} budget lines", field="actions", key="prog.err.too_many_lines",
                           params={"max": MAX_LINES})
    seen: set[str] = set()
    for i, p in enumerate(parsed):
        if p["code"] in seen:
            raise InvalidInput(f"action code {p['code']} is repeated", field=f"actions[{i}].code",
                               key="prog.err.code_repeated", params={"action": p["code"]})
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
        raise Conflict("the proposal changed since you read it", field="version", key="prog.err.stale_now")
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
        raise Conflict("the programme already has actions", field="actions", key="prog.err.has_actions")
    call = session.get(Call, proposal.call_id) if proposal.call_id else None
    first, last = window(call) if call is not None else (datetime.now(UTC).date(), datetime.now(UTC).date())
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
        raise Forbidden("only editors of the owner partnership present its programme", key="prog.err.owner_presents")
    states.check(actor, proposal, PROGRAMME_SUBMITTED)
    now = _utc(now or datetime.now(UTC))
    call = session.get(Call, proposal.call_id) if proposal.call_id else None
    if call is not None and now > _utc(call.programme_deadline):
        raise Conflict(f"the programme deadline ({_utc(call.programme_deadline).isoformat()}) has passed",
                       field="programme_deadline", key="prog.err.deadline_passed",
                       params={"deadline": _utc(call.programme_deadline).isoformat()})
    issues = check_programme(session, principal=actor, proposal_id=proposal.id)
    if issues:
        raise InvalidInput(f"the programme has {len(issues)} problem(s): "
                           + "; ".join(f"{i.field}: {i.message}" for i in issues[:20]), field=issues[0].field,
                           key="prog.err.has_issues", params={"count": len(issues)})
    proposal.programme_submitted_at = now
    return states.move(session, actor=actor, proposal=proposal, target=PROGRAMME_SUBMITTED)


def _region(session: Session, actor: Principal, proposal_id: int) -> Proposal:
    proposal = _get(session, actor, proposal_id)
    if not can(actor, WRITE, Resource.PACT_DECISION, proposal):
        raise Forbidden("only the Region's staff decide on programmes", key="prog.err.region_decides")
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


# --- the texts of issues and errors --------------------------------------------------------------------------

_STATUS_NAMES = {
    "it": {"draft": "bozza", "submitted": "presentata", "admissible": "ammissibile", "inadmissible": "inammissibile",
           "evaluated": "valutata", "selected": "selezionata", "not_selected": "non selezionata",
           "programme_submitted": "programma presentato", "approved": "approvata", "in_progress": "in corso",
           "closed": "chiusa"},
    "en": {"draft": "draft", "submitted": "submitted", "admissible": "admissible", "inadmissible": "inadmissible",
           "evaluated": "evaluated", "selected": "selected", "not_selected": "not selected",
           "programme_submitted": "programme submitted", "approved": "approved", "in_progress": "in progress",
           "closed": "closed"},
}
for _lang, _names in _STATUS_NAMES.items():
    LABELS[_lang]["status"] = _names

MESSAGES: dict[str, dict[str, str]] = {
    "it": {
        "prog.issue.no_actions": "il programma non ha azioni",
        "prog.issue.no_call": "la proposta non risponde ad alcun avviso",
        "prog.issue.title_missing": "azione {action}: manca il titolo",
        "prog.issue.unknown_kind": "azione {action}: tipo di azione sconosciuto ({kind})",
        "prog.issue.unknown_group": "azione {action}: gruppo di destinatari sconosciuto ({group})",
        "prog.issue.group_not_admitted": "azione {action}: l'avviso non ammette i destinatari «{group}»",
        "prog.issue.not_partner": "azione {action}: {tax_code} non è un partner del patto",
        "prog.issue.ends_before_start": "azione {action}: finisce prima di iniziare",
        "prog.issue.starts_too_early": "azione {action}: inizia prima del {first} (pubblicazione della graduatoria)",
        "prog.issue.ends_too_late": "azione {action}: finisce dopo il {last} (fine dell'avviso)",
        "prog.issue.negative_target": "azione {action}: obiettivo negativo ({figure})",
        "prog.issue.nobody_enrolled": "azione {action}: non è previsto alcun iscritto",
        "prog.issue.completed_over_enrolled": "azione {action}: più conclusi previsti che iscritti",
        "prog.issue.certified_over_completed": "azione {action}: più certificati previsti che conclusi",
        "prog.issue.placed_over_enrolled": "azione {action}: più occupati previsti che iscritti",
        "prog.issue.no_budget": "azione {action}: nessuna voce di budget",
        "prog.issue.unknown_source": "azione {action}: fonte di finanziamento sconosciuta ({source})",
        "prog.issue.line_not_positive": "azione {action}: una voce di budget pari a zero o negativa",
        "prog.issue.no_grant": "alla selezione non è stato registrato alcun contributo concesso",
        "prog.issue.over_granted": "{source}: a budget {spent}, più dei {allowed} concessi",
        "prog.issue.over_max_grant": "fondi pubblici per {public}, oltre il massimo dell'avviso di {maximum}",
        "prog.issue.cofinancing_short": "cofinanziamento di {cofinancing}, pari al {share} del costo totale di "
                                        "{total}: sotto il minimo del {minimum}",
        "prog.issue.no_indicators": "il programma non ha indicatori",
        "prog.issue.not_indicator": "non è un indicatore",
        "prog.issue.indicator_unnamed": "l'indicatore non ha un nome",
        "prog.issue.indicator_baseline_not_number": "il valore di partenza dell'indicatore non è un numero",
        "prog.issue.indicator_target_not_number": "il valore obiettivo dell'indicatore non è un numero",
        "prog.issue.indicator_unknown_action": "l'indicatore collega un'azione che non esiste ({action})",
        "prog.err.not_amount": "{field}: non è un importo",
        "prog.err.amount_too_large": "{field}: importo troppo grande",
        "prog.err.no_proposal": "la proposta {id} non esiste",
        "prog.err.other_organisation": "la proposta appartiene a un'altra organizzazione",
        "prog.err.owner_edits": "il programma è modificato solo dal partenariato titolare",
        "prog.err.not_editable": "il programma non è modificabile mentre la proposta è nello stato «{status}»",
        "prog.err.required": "{field}: campo obbligatorio",
        "prog.err.too_long": "{field}: al massimo {max} caratteri",
        "prog.err.not_date": "{field}: non è una data (AAAA-MM-GG)",
        "prog.err.not_whole": "{field}: non è un numero intero",
        "prog.err.out_of_range": "{field}: valore fuori dall'intervallo ammesso",
        "prog.err.kind_choice": "{field}: tipo di azione sconosciuto ({kind})",
        "prog.err.skills_list": "{field}: un elenco di competenze ESCO (al massimo 100)",
        "prog.err.budget_list": "{field}: un elenco di voci di budget",
        "prog.err.not_line": "{field}: non è una voce di budget",
        "prog.err.source_choice": "{field}: fonte di finanziamento sconosciuta ({source})",
        "prog.err.negative_amount": "{field}: l'importo è negativo",
        "prog.err.not_indicator": "{field}: non è un indicatore",
        "prog.err.codes_list": "{field}: un elenco di codici di azione",
        "prog.err.not_number": "{field}: non è un numero",
        "prog.err.stale": "la proposta è stata modificata da qualcun altro dopo che l'hai aperta (ora è alla "
                          "versione {version}): ricarica la pagina",
        "prog.err.stale_now": "la proposta è stata modificata da qualcun altro dopo che l'hai aperta: ricarica la "
                              "pagina",
        "prog.err.too_many": "troppe azioni o indicatori (al massimo {actions} azioni e {indicators} indicatori)",
        "prog.err.too_many_lines": "al massimo {max} voci di budget",
        "prog.err.code_repeated": "il codice di azione {action} è ripetuto",
        "prog.err.has_actions": "il programma ha già delle azioni",
        "prog.err.owner_presents": "il programma è presentato solo dal partenariato titolare",
        "prog.err.deadline_passed": "la scadenza per presentare il programma ({deadline}) è passata",
        "prog.err.has_issues": "il programma ha {count} problemi da correggere prima di essere presentato",
        "prog.err.region_decides": "sui programmi decide solo il personale della Regione",
    },
    "en": {
        "prog.issue.no_actions": "the programme has no actions",
        "prog.issue.no_call": "the proposal belongs to no call",
        "prog.issue.title_missing": "action {action}: the title is missing",
        "prog.issue.unknown_kind": "action {action}: unknown kind ({kind})",
        "prog.issue.unknown_group": "action {action}: unknown target group ({group})",
        "prog.issue.group_not_admitted": "action {action}: the call does not admit the target {group}",
        "prog.issue.not_partner": "action {action}: {tax_code} is not a partner",
        "prog.issue.ends_before_start": "action {action}: it ends before it starts",
        "prog.issue.starts_too_early": "action {action}: it starts before {first} (the ranking)",
        "prog.issue.ends_too_late": "action {action}: it ends after {last} (end of the call)",
        "prog.issue.negative_target": "action {action}: negative {figure} target",
        "prog.issue.nobody_enrolled": "action {action}: nobody is to be enrolled",
        "prog.issue.completed_over_enrolled": "action {action}: more to complete than enrolled",
        "prog.issue.certified_over_completed": "action {action}: more to certify than complete",
        "prog.issue.placed_over_enrolled": "action {action}: more to place than enrolled",
        "prog.issue.no_budget": "action {action}: no budget line",
        "prog.issue.unknown_source": "action {action}: unknown funding source ({source})",
        "prog.issue.line_not_positive": "action {action}: a budget line of zero or less",
        "prog.issue.no_grant": "no grant was recorded at selection",
        "prog.issue.over_granted": "{source}: {spent} budgeted, more than the {allowed} granted",
        "prog.issue.over_max_grant": "public funds {public} over the call's maximum {maximum}",
        "prog.issue.cofinancing_short": "co-financing {cofinancing} is {share} of the total {total}, under the "
                                        "minimum {minimum}",
        "prog.issue.no_indicators": "the programme has no indicators",
        "prog.issue.not_indicator": "not an indicator",
        "prog.issue.indicator_unnamed": "the indicator has no name",
        "prog.issue.indicator_baseline_not_number": "the indicator's baseline is not a number",
        "prog.issue.indicator_target_not_number": "the indicator's target is not a number",
        "prog.issue.indicator_unknown_action": "the indicator links an unknown action ({action})",
        "prog.err.not_amount": "{field}: not an amount",
        "prog.err.amount_too_large": "{field}: amount too large",
        "prog.err.no_proposal": "no proposal {id}",
        "prog.err.other_organisation": "this proposal belongs to another organisation",
        "prog.err.owner_edits": "only editors of the owner partnership edit its programme",
        "prog.err.not_editable": "the programme cannot be edited while the proposal is {status}",
        "prog.err.required": "{field} is required",
        "prog.err.too_long": "{field}: at most {max} characters",
        "prog.err.not_date": "{field}: not a date (YYYY-MM-DD)",
        "prog.err.not_whole": "{field}: not a whole number",
        "prog.err.out_of_range": "{field}: out of range",
        "prog.err.kind_choice": "{field}: unknown kind of action ({kind})",
        "prog.err.skills_list": "{field}: a list of ESCO skill URIs (at most 100)",
        "prog.err.budget_list": "{field}: a list of budget lines",
        "prog.err.not_line": "{field}: not a budget line",
        "prog.err.source_choice": "{field}: unknown funding source ({source})",
        "prog.err.negative_amount": "{field}: negative amount",
        "prog.err.not_indicator": "{field}: not an indicator",
        "prog.err.codes_list": "{field}: a list of action codes",
        "prog.err.not_number": "{field}: not a number",
        "prog.err.stale": "the proposal changed since you read it (now version {version}): reload the page",
        "prog.err.stale_now": "the proposal changed since you read it: reload the page",
        "prog.err.too_many": "too many actions or indicators (at most {actions} actions and {indicators} "
                             "indicators)",
        "prog.err.too_many_lines": "at most {max} budget lines",
        "prog.err.code_repeated": "action code {action} is repeated",
        "prog.err.has_actions": "the programme already has actions",
        "prog.err.owner_presents": "only editors of the owner partnership present its programme",
        "prog.err.deadline_passed": "the programme deadline ({deadline}) has passed",
        "prog.err.has_issues": "the programme has {count} problem(s) to fix before it is presented",
        "prog.err.region_decides": "only the Region's staff decide on programmes",
    },
}
assert set(MESSAGES["it"]) == set(MESSAGES["en"])
