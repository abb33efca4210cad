"""Pages of calls and pact proposals (Italian first): the calls and one call (start a draft under it); the
proposals a user may see; one proposal — the manifestation form for its editors (partners, territory,
sectors, needs, actions, targets, impacts, requested funding), letters of commitment, "Verifica" (every
issue, in the page's language), "Presenta", "Riapri" — and the frozen versions with their evidence snapshot.

Stable element ids used by the browser tests: ``#manifestation-form``, ``#save-proposal``, ``#validate``,
``#validation-issues``, ``#submit-proposal``, ``#reopen-proposal``, ``#upload-letter`` (form),
``#letter-file``, ``#letter-partner``, ``#documents``, ``#versions``, ``#evidence``, ``#proposal-status``,
``#proposal-error``, ``#new-proposal`` (form on the call page)."""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from regia.auth.errors import Conflict, InvalidInput
from regia.auth.models import OrgType
from regia.auth.policy import EDITING, READ, WRITE, Resource, can, require
from regia.auth.principal import Principal
from regia.clock import ROME
from regia.db import request_session
from regia.i18n import N_
from regia.pacts import calls, documents, evidence, letters, monitoring, service, states
from regia.pacts.manifestation import (
    PARTNER_TYPES,
    PUBLIC_SOURCES,
    Impact,
    Issue,
    Partner,
    PlannedAction,
    TargetCount,
    parse,
)
from regia.pacts.models import (
    ACTION_KINDS,
    AGGREGATIONS,
    APPROVED,
    CLOSED,
    DRAFT,
    IN_PROGRESS,
    PROGRAMME_SUBMITTED,
    SELECTED,
    SUBMITTED,
    TARGET_GROUPS,
    Call,
    Proposal,
)
from regia.pacts.page_kit import manifestation_view, org_names, redirect, render

SessionDep = Annotated[Session, Depends(request_session)]
Reader = Annotated[Principal, Depends(require(READ, Resource.PACT_PROPOSAL))]
Writer = Annotated[Principal, Depends(require(WRITE, Resource.PACT_PROPOSAL))]
CallReader = Annotated[Principal, Depends(require(READ, Resource.PACT_CALL))]
CallWriter = Annotated[Principal, Depends(require(WRITE, Resource.PACT_CALL))]

router = APIRouter()
MAX_ROWS = 100


# --- the call form (Region staff) ----------------------------------------------------------------------------

LOMBARDY_NUTS3 = {"ITC41": "Varese", "ITC42": "Como", "ITC43": "Lecco", "ITC44": "Sondrio", "ITC46": "Bergamo",
                  "ITC47": "Brescia", "ITC48": "Pavia", "ITC49": "Lodi", "ITC4A": "Cremona", "ITC4B": "Mantova",
                  "ITC4C": "Milano", "ITC4D": "Monza e della Brianza"}
STAMPS = ("opens_at", "manifestation_deadline", "evaluation_deadline", "programme_deadline")
GRID_FIELDS = ("code", "label", "weight", "max_score", "threshold")
_GRID_FIELD = re.compile(r"^grid\[(\d+)\](?:\.(\w+))?$")


def blank_call_form() -> dict[str, Any]:
    """The form of a new call: two evaluators, a partnership of three, the average of the scores."""
    return {"version": "", "code": "", "title": "", "description": "", **dict.fromkeys(STAMPS, ""), "ends_on": "",
            "territories": [], "required_partner_types": [], "min_partners": "3", "targets": [], "grid": [],
            "min_total": "0", "aggregation": "average", "max_spread": "0", "min_evaluators": "2",
            "budget": dict.fromkeys(PUBLIC_SOURCES, ""), "max_grant": "", "min_cofinancing_pct": "0"}


def _plain(number: Any) -> str:
    """A decimal as typed by a person: 20 rather than 20.00 or 2E+1."""
    value = Decimal(str(number))
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def call_form_of(call: Call) -> dict[str, Any]:
    """The form holding a stored call (times in Europe/Rome, the co-financing share as a percentage)."""
    stamps = {name: rome(getattr(call, name)).strftime("%Y-%m-%dT%H:%M") for name in STAMPS}  # type: ignore[union-attr]
    return {"version": str(call.version), "code": call.code, "title": call.title, "description": call.description,
            **stamps, "ends_on": call.ends_on.isoformat(), "territories": list(call.territories or []),
            "required_partner_types": list(call.required_partner_types or []),
            "min_partners": str(call.min_partners), "targets": list(call.targets or []),
            "grid": [{f: _plain(c[f]) if f in ("weight", "max_score", "threshold") else str(c.get(f, ""))
                      for f in GRID_FIELDS} for c in call.grid or []],
            "min_total": _plain(call.min_total), "aggregation": call.aggregation,
            "max_spread": _plain(call.max_spread), "min_evaluators": str(call.min_evaluators),
            "budget": {s: _plain(call.budget[s]) if s in (call.budget or {}) else "" for s in PUBLIC_SOURCES},
            "max_grant": _plain(call.max_grant) if call.max_grant is not None else "",
            "min_cofinancing_pct": _plain(Decimal(call.min_cofinancing_share) * 100)}


def call_form_values(form: FormData) -> dict[str, Any]:
    """What the user typed in the call form, as strings (kept to show the form again on an error)."""
    def many(name: str) -> list[str]:
        return [v for v in form.getlist(name) if isinstance(v, str) and v]

    grid = []
    for i in range(min(_int(_text(form, "grid-count")) or 0, MAX_ROWS)):
        row = {f: _text(form, f"grid-{i}-{f}") for f in GRID_FIELDS}
        if any(row.values()):
            grid.append(row)
    return {"version": _text(form, "version"), "code": _text(form, "code"), "title": _text(form, "title"),
            "description": _text(form, "description"), **{name: _text(form, name) for name in STAMPS},
            "ends_on": _text(form, "ends_on"), "territories": many("territories"),
            "required_partner_types": many("required_partner_types"), "min_partners": _text(form, "min_partners"),
            "targets": many("targets"), "grid": grid, "min_total": _text(form, "min_total"),
            "aggregation": _text(form, "aggregation"), "max_spread": _text(form, "max_spread"),
            "min_evaluators": _text(form, "min_evaluators"),
            "budget": {s: _text(form, f"budget-{s}") for s in PUBLIC_SOURCES},
            "max_grant": _text(form, "max_grant"), "min_cofinancing_pct": _text(form, "min_cofinancing_pct")}


def _number(value: str, field: str) -> str:
    number = _decimal(value)
    if number is None:
        raise InvalidInput(f"{field} is not a number", field=field)
    return number


def _whole(value: str, field: str) -> int:
    number = _int(value.strip())
    if number is None:
        raise InvalidInput(f"{field} is not a whole number", field=field)
    return number


def call_values(typed: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of :func:`calls.create` / :func:`calls.update` from the typed form; the times are
    Europe/Rome wall-clock times. Raises InvalidInput for what cannot be read (``calls.check`` judges the rest)."""
    values: dict[str, Any] = {k: typed[k] for k in ("code", "title", "description", "territories",
                                                    "required_partner_types", "targets", "aggregation")}
    for name in STAMPS:
        try:
            # Rome's wall-clock time, stored as the same instant in UTC (SQLite keeps no offset)
            values[name] = (datetime.fromisoformat(typed[name]).replace(tzinfo=ROME).astimezone(UTC)
                            if typed[name] else None)
        except ValueError:
            raise InvalidInput(f"{name} is not a date and time", field=name) from None
    try:
        values["ends_on"] = date.fromisoformat(typed["ends_on"]) if typed["ends_on"] else None
    except ValueError:
        raise InvalidInput("ends_on is not a date", field="ends_on") from None
    values["min_partners"] = _whole(typed["min_partners"] or "3", "min_partners")
    values["min_evaluators"] = _whole(typed["min_evaluators"] or "2", "min_evaluators")
    values["grid"] = [{f: row[f] if f in ("code", "label") else _number(row[f], f"grid[{i}].{f}")
                       for f in GRID_FIELDS if row[f] or f in ("code", "label", "max_score")}
                      for i, row in enumerate(typed["grid"])]
    values["min_total"] = _number(typed["min_total"] or "0", "min_total")
    values["max_spread"] = _number(typed["max_spread"] or "0", "max_spread")
    values["budget"] = {s: _number(a, f"budget.{s}") for s, a in typed["budget"].items() if a}
    values["max_grant"] = _number(typed["max_grant"], "max_grant") if typed["max_grant"] else None
    pct = Decimal(_number(typed["min_cofinancing_pct"] or "0", "min_cofinancing_share"))
    if not 0 <= pct < 100:
        raise InvalidInput("the minimum co-financing is a percentage from 0 to 100 (excluded)",
                           field="min_cofinancing_share")
    values["min_cofinancing_share"] = pct / 100
    return values


# --- calls ---------------------------------------------------------------------------------------------------

def rome(value: datetime | None) -> datetime | None:
    """A stored instant as the Region's wall-clock time (Europe/Rome); naive values are UTC."""
    return calls.aware(value).astimezone(ROME) if value is not None else None


def _navigation(principal: Principal) -> dict[str, bool]:
    """Which of the other parts' pages the user may open from the calls (never a link that would 403)."""
    return {"writes_calls": can(principal, WRITE, Resource.PACT_CALL),
            "sees_ranking": can(principal, READ, Resource.PACT_DECISION),
            "sees_evaluations": can(principal, READ, Resource.PACT_EVALUATION),
            "sees_cabina": can(principal, READ, Resource.PACT_MONITORING) and monitoring.may_see_cabina(principal)}


@router.get("/calls", response_class=HTMLResponse, name="pact_calls_page")
def calls_page(request: Request, session: SessionDep, principal: CallReader) -> Response:
    rows, total = calls.list_calls(session, principal=principal, limit=200)
    return render(request, "calls.html", {"calls": rows, "total": total, "rome": rome,
                                           "phases": {c.id: calls.phase(c) for c in rows}, **_navigation(principal)})


def _call_form_page(request: Request, principal: Principal, *, call: Call | None, form: dict[str, Any],
                    error: InvalidInput | Conflict | None = None, status_code: int = 200) -> Response:
    field = error.field if error is not None else None
    grid_row, grid_field = None, None
    if field and (match := _GRID_FIELD.match(field)):
        grid_row, grid_field = int(match.group(1)), match.group(2)
    return render(request, "call_form.html", {
        "call": call, "f": form, "csrf_token": principal.csrf or "", "error": error,
        "error_field": field, "error_base": (field or "").split(".")[0].split("[")[0],
        "grid_row": grid_row, "grid_field": grid_field, "provinces": LOMBARDY_NUTS3,
        "partner_types": PARTNER_TYPES, "target_groups": TARGET_GROUPS, "sources": PUBLIC_SOURCES,
        "aggregations": AGGREGATIONS}, status_code)


@router.get("/calls/new", response_class=HTMLResponse, name="pact_call_new")
def call_new(request: Request, principal: CallWriter) -> Response:
    return _call_form_page(request, principal, call=None, form=blank_call_form())


@router.post("/calls", response_class=HTMLResponse, name="pact_call_create")
async def call_create(request: Request, session: SessionDep, principal: CallWriter) -> Response:
    form = await request.form()
    typed = call_form_values(form)
    try:
        call = calls.create(session, actor=principal, **call_values(typed))
    except (Conflict, InvalidInput) as exc:
        session.rollback()
        return _call_form_page(request, principal, call=None, form=typed, error=exc, status_code=exc.status)
    session.commit()
    return redirect(request, "pact_call_page", "saved=true", call_id=call.id)


@router.get("/calls/{call_id}/edit", response_class=HTMLResponse, name="pact_call_edit")
def call_edit(request: Request, call_id: int, session: SessionDep, principal: CallWriter) -> Response:
    call = calls.get(session, id=call_id)
    return _call_form_page(request, principal, call=call, form=call_form_of(call))


@router.post("/calls/{call_id}/edit", response_class=HTMLResponse, name="pact_call_update")
async def call_update(request: Request, call_id: int, session: SessionDep, principal: CallWriter) -> Response:
    form = await request.form()
    call = calls.get(session, id=call_id)
    typed = call_form_values(form)
    try:
        calls.update(session, actor=principal, id=call_id, version=_int(typed["version"]) or 0, **call_values(typed))
    except (Conflict, InvalidInput) as exc:
        session.rollback()
        call = calls.get(session, id=call_id)
        if isinstance(exc, Conflict) and exc.field == "version":
            typed["version"] = str(call.version)  # keep what was typed; saving again overwrites the other change
        return _call_form_page(request, principal, call=call, form=typed, error=exc, status_code=exc.status)
    session.commit()
    return redirect(request, "pact_call_page", "saved=true", call_id=call_id)


@router.get("/calls/{call_id}", response_class=HTMLResponse, name="pact_call_page")
def call_page(request: Request, call_id: int, session: SessionDep, principal: CallReader,
              saved: bool = False) -> Response:
    call = calls.get(session, id=call_id)
    creates = can(principal, WRITE, Resource.PACT_PROPOSAL) and calls.is_open(call)
    partnerships = principal.org_ids(*EDITING, types=(OrgType.PARTNERSHIP,)) if creates else set()
    mine: Sequence[Proposal] = []
    if can(principal, READ, Resource.PACT_PROPOSAL):
        mine, _ = service.list_visible(session, principal=principal, limit=200, call_id=call.id)
    return render(request, "call.html", {
        "call": call, "phase": calls.phase(call), "creates": creates, "csrf_token": principal.csrf or "", "error": None,
        "partnerships": org_names(session, partnerships), "proposals": mine, "rome": rome,
        "saved": saved, **_navigation(principal)})


@router.post("/calls/{call_id}/proposals", response_class=HTMLResponse, name="pact_proposal_create")
def proposal_create(request: Request, call_id: int, session: SessionDep, principal: Writer,
                    title: Annotated[str, Form(max_length=300)] = "",
                    organisation_id: Annotated[int | None, Form(ge=1, le=2**31 - 1)] = None) -> Response:
    try:
        proposal = service.create(session, actor=principal, title=title, organisation_id=organisation_id,
                                  call_id=call_id)
    except (Conflict, InvalidInput) as exc:
        session.rollback()
        call = calls.get(session, id=call_id)
        return render(request, "call.html", {
            "call": call, "phase": calls.phase(call), "creates": calls.is_open(call), "error": exc.detail,
            "csrf_token": principal.csrf or "", "proposals": [], "rome": rome, "saved": False,
            **_navigation(principal),
            "partnerships": org_names(session, principal.org_ids(types=(OrgType.PARTNERSHIP,)))},
            status_code=exc.status)
    session.commit()
    return redirect(request, "pact_proposal_page", proposal_id=proposal.id)


# --- proposals -----------------------------------------------------------------------------------------------

@router.get("/proposals", response_class=HTMLResponse, name="pact_proposals_page")
def proposals_page(request: Request, session: SessionDep, principal: Reader) -> Response:
    rows, total = service.list_visible(session, principal=principal, limit=200)
    call_ids = {p.call_id for p in rows if p.call_id is not None}
    return render(request, "list.html", {
        "proposals": rows, "total": total,
        "orgs": org_names(session, {p.organisation_id for p in rows}),
        "calls": {c: session.get(Call, c) for c in call_ids}})


PROGRAMME_STATES = frozenset({SELECTED, PROGRAMME_SUBMITTED, APPROVED, IN_PROGRESS, CLOSED})
MONITORED_STATES = frozenset({APPROVED, IN_PROGRESS, CLOSED})


def proposal_links(principal: Principal, proposal: Proposal) -> dict[str, bool]:
    """Which pages of the later phases the user may open from a proposal, by its state and their role: the
    evaluation page (Region staff, once submitted), the outcome letter (the partnership and the Region, once
    decided), the detailed programme (from ``selected`` on), monitoring (from ``approved`` on)."""
    region = can(principal, READ, Resource.PACT_DECISION)
    owner = proposal.organisation_id in principal.org_ids()
    return {
        "link_evaluation": region and proposal.status != DRAFT,
        "link_letter": proposal.status in letters.OUTCOME_STATES and (owner or region),
        "link_programme": proposal.status in PROGRAMME_STATES,
        "link_monitoring": (proposal.status in MONITORED_STATES and can(principal, READ, Resource.PACT_MONITORING)
                            and can(principal, READ, Resource.PACT_MONITORING, proposal)),
    }


def _proposal_page(request: Request, session: Session, principal: Principal, proposal: Proposal, *,
                   error: str | None = None, saved: bool = False, issues: list[Issue] | None = None,
                   submitted: bool = False, status_code: int = 200) -> Response:
    call = service.call_of(session, proposal)
    writer = can(principal, WRITE, Resource.PACT_PROPOSAL, proposal)
    manifestation, _ = parse(proposal.body)
    docs = documents.list_documents(session, principal=principal, proposal_id=proposal.id)
    open_now = call is not None and calls.is_open(call)
    lang = getattr(request.state, "lang", "it")
    partners = {p.tax_code: p.name for p in manifestation.all_partners() if p.tax_code}
    return render(request, "proposal.html", {
        "proposal": proposal, "call": call, "m": manifestation, "docs": docs,
        **manifestation_view(session, manifestation, lang, docs, codes=call.territories if call else []),
        "letter_options": [(d.id, d.filename) for d in docs],
        "partner_options": [(code, f"{name} ({code})") for code, name in partners.items()],
        "partner_names": partners,
        "editable": writer and proposal.status in states.OWNER_EDITS_MANIFESTATION,
        "can_submit": writer and proposal.status == DRAFT,
        "can_reopen": writer and proposal.status == SUBMITTED and open_now,
        "csrf_token": principal.csrf or "", "error": error, "saved": saved, "submitted": submitted,
        "issues": issues, "versions": list(proposal.versions),
        "latest": proposal.versions[-1] if proposal.versions else None,
        "org_name": org_names(session, {proposal.organisation_id})[proposal.organisation_id],
        "action_kinds": ACTION_KINDS, "target_groups": (call.targets if call and call.targets else TARGET_GROUPS),
        "partner_types": PARTNER_TYPES, "sources": PUBLIC_SOURCES,
        "territories": call.territories if call else [],
        "blank_partner": Partner(), "blank_action": PlannedAction(), "blank_target": TargetCount(),
        "blank_impact": Impact(), "rome": rome, **proposal_links(principal, proposal),
    }, status_code)


@router.get("/proposals/{proposal_id}", response_class=HTMLResponse, name="pact_proposal_page")
def proposal_page(request: Request, proposal_id: int, session: SessionDep, principal: Reader,
                  saved: bool = False, verifica: bool = False, submitted: bool = False) -> Response:
    proposal = service.get(session, principal=principal, id=proposal_id)
    issues = service.validate(session, principal=principal, id=proposal_id) if verifica else None
    return _proposal_page(request, session, principal, proposal, saved=saved, issues=issues, submitted=submitted)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _int(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None


def _decimal(value: str) -> str | None:
    try:
        number = Decimal(value.replace(",", ".").replace(" ", "")) if value else None
    except InvalidOperation:
        return None
    return str(number) if number is not None and number.is_finite() else None


def _codes(value: str) -> list[str]:
    return [c for c in value.replace(",", " ").replace(";", " ").split() if c]


def _rows(form: FormData, prefix: str, fields: tuple[str, ...]) -> list[dict[str, str]]:
    """The rows ``prefix-i-field`` of a form section, empty rows dropped."""
    count = min(_int(_text(form, f"{prefix}-count")) or 0, MAX_ROWS)
    rows = []
    for i in range(count):
        row = {f: _text(form, f"{prefix}-{i}-{f}") for f in fields}
        if any(v for k, v in row.items() if k not in ("direction", "kind", "type", "target_group", "group")):
            rows.append(row)
    return rows


def _partner(row: dict[str, str]) -> dict[str, Any]:
    return {"name": row["name"], "tax_code": row["tax_code"].upper().replace(" ", ""), "type": row["type"],
            "role": row["role"], "letter_document_id": _int(row["letter"])}


def body_from_form(form: FormData, previous: dict[str, Any]) -> dict[str, Any]:
    """The manifestation written in the page's form (whatever it holds: the validator judges it)."""
    lead = {f: _text(form, f"lead-{f}") for f in ("name", "tax_code", "type", "role", "letter")}
    actions = []
    for row in _rows(form, "actions", ("code", "kind", "title", "course_id", "new_course", "skills",
                                       "target_group", "participants")):
        actions.append({"code": row["code"].upper(), "kind": row["kind"], "title": row["title"],
                        "course_id": _int(row["course_id"]), "new_course": row["new_course"] == "on",
                        "skills": _codes(row["skills"]), "target_group": row["target_group"],
                        "participants": max(_int(row["participants"]) or 0, 0)})
    impacts = []
    for row in _rows(form, "impacts", ("indicator", "unit", "baseline", "target", "direction")):
        impacts.append({"indicator": row["indicator"], "unit": row["unit"], "baseline": _decimal(row["baseline"]),
                        "target": _decimal(row["target"]),
                        "direction": row["direction"] if row["direction"] == "decrease" else "increase"})
    requested = {}
    for source in PUBLIC_SOURCES:
        amount = _decimal(_text(form, f"requested-{source}"))
        if amount is not None:
            requested[source] = amount
    nuts3 = [v for v in form.getlist("territory-nuts3") if isinstance(v, str) and v]
    return {
        "summary": _text(form, "summary") if "summary" in form else str(previous.get("summary", "")),
        "lead": _partner(lead),
        "partners": [_partner(r) for r in _rows(form, "partners", ("name", "tax_code", "type", "role", "letter"))],
        "territory": {"nuts3": sorted(set(nuts3 + [c.upper() for c in _codes(_text(form, "territory-nuts3-other"))])),
                      "provinces": [c.upper() for c in _codes(_text(form, "territory-provinces"))],
                      "comuni": _codes(_text(form, "territory-comuni"))},
        "sectors": [c.upper() for c in _codes(_text(form, "sectors"))],
        "needs": _text(form, "needs"),
        "actions": actions,
        "targets": [{"group": r["group"], "number": max(_int(r["number"]) or 0, 0)}
                    for r in _rows(form, "targets", ("group", "number"))],
        "impacts": impacts,
        "requested": requested,
    }


@router.post("/proposals/{proposal_id}", response_class=HTMLResponse, name="pact_proposal_save")
async def proposal_save(request: Request, proposal_id: int, session: SessionDep, principal: Writer) -> Response:
    """Save the manifestation form (``action=validate`` then shows the issues). A form without the
    manifestation sections (``form`` field absent) changes only the title and the summary."""
    form = await request.form()
    proposal = service.get(session, principal=principal, id=proposal_id)
    title = _text(form, "title")
    version = _int(_text(form, "version")) or 0
    if form.get("form") == "manifestation":
        body = body_from_form(form, proposal.body)
    else:
        body = {**proposal.body, "summary": _text(form, "summary")}
    try:
        if not title:
            raise InvalidInput(N_("pacts.error.title"), field="title")
        service.update(session, actor=principal, id=proposal_id, title=title, body=body, version=version)
    except (Conflict, InvalidInput) as exc:
        session.rollback()
        key = N_("pacts.error.title") if isinstance(exc, InvalidInput) and exc.field == "title" else (
            N_("pacts.error.body") if isinstance(exc, InvalidInput) else N_("pacts.error.conflict"))
        proposal = service.get(session, principal=principal, id=proposal_id)
        return _proposal_page(request, session, principal, proposal, error=key,
                              status_code=422 if isinstance(exc, InvalidInput) else 409)
    session.commit()
    query = "verifica=true" if form.get("action") == "validate" else "saved=true"
    return redirect(request, "pact_proposal_page", query, proposal_id=proposal_id)


@router.post("/proposals/{proposal_id}/submit", response_class=HTMLResponse, name="pact_proposal_submit_page")
def proposal_submit(request: Request, proposal_id: int, session: SessionDep, principal: Writer) -> Response:
    provider = evidence.provider_for(request.app.state, session.get_bind())
    try:
        service.submit(session, actor=principal, id=proposal_id, evidence_provider=provider)
    except service.IncompleteManifestation as exc:
        session.rollback()
        proposal = service.get(session, principal=principal, id=proposal_id)
        return _proposal_page(request, session, principal, proposal, issues=exc.issues,
                              error=N_("pacts.error.incomplete"), status_code=422)
    except Conflict as exc:
        session.rollback()
        proposal = service.get(session, principal=principal, id=proposal_id)
        key = N_("pacts.error.deadline") if exc.field == "deadline" else N_("pacts.error.state")
        return _proposal_page(request, session, principal, proposal, error=key, status_code=409)
    session.commit()
    return redirect(request, "pact_proposal_page", "submitted=true", proposal_id=proposal_id)


@router.post("/proposals/{proposal_id}/reopen", response_class=HTMLResponse, name="pact_proposal_reopen_page")
def proposal_reopen(request: Request, proposal_id: int, session: SessionDep, principal: Writer) -> Response:
    try:
        service.reopen(session, actor=principal, id=proposal_id)
    except Conflict as exc:
        session.rollback()
        proposal = service.get(session, principal=principal, id=proposal_id)
        key = N_("pacts.error.deadline_reopen") if exc.field == "deadline" else N_("pacts.error.state")
        return _proposal_page(request, session, principal, proposal, error=key, status_code=409)
    session.commit()
    return redirect(request, "pact_proposal_page", proposal_id=proposal_id)


@router.post("/proposals/{proposal_id}/documents", response_class=HTMLResponse, name="pact_document_upload_page")
async def document_upload(request: Request, proposal_id: int, session: SessionDep, principal: Writer,
                          file: Annotated[UploadFile | None, File()] = None,
                          partner_tax_code: Annotated[str, Form(max_length=16)] = "") -> Response:
    """Upload a letter; when it names a partner of the manifestation without a letter, link it there."""
    try:
        if file is None:
            raise InvalidInput("no file", field="file")
        data = await file.read(documents.MAX_BYTES + 1)
        document = documents.upload(session, actor=principal, proposal_id=proposal_id,
                                    filename=file.filename or "documento", data=data,
                                    partner_tax_code=partner_tax_code or None)
        proposal = service.get(session, principal=principal, id=proposal_id)
        body = copy.deepcopy(proposal.body)  # a new object: SQLAlchemy sees the change of a JSON column
        linked = False
        for key in ("lead", "partners"):
            items = body.get(key)
            for partner in (items if isinstance(items, list) else [items] if isinstance(items, dict) else []):
                if (document.partner_tax_code and not linked and not partner.get("letter_document_id")
                        and str(partner.get("tax_code", "")).upper() == document.partner_tax_code):
                    partner["letter_document_id"] = document.id
                    linked = True
        if linked:
            service.update(session, actor=principal, id=proposal_id, title=proposal.title, body=body,
                           version=proposal.version)
    except (Conflict, InvalidInput) as exc:
        session.rollback()
        proposal = service.get(session, principal=principal, id=proposal_id)
        key = N_("pacts.error.upload_state") if isinstance(exc, Conflict) else N_("pacts.error.upload")
        return _proposal_page(request, session, principal, proposal, error=key,
                              status_code=409 if isinstance(exc, Conflict) else 422)
    session.commit()
    return redirect(request, "pact_proposal_page", "saved=true", proposal_id=proposal_id)


@router.get("/proposals/{proposal_id}/documents/{document_id}", name="pact_document_page")
def document_download(proposal_id: int, document_id: int, session: SessionDep, principal: Reader) -> Response:
    document = documents.get(session, principal=principal, proposal_id=proposal_id, id=document_id)
    return Response(document.data, media_type=document.content_type, headers={
        "Content-Disposition": f'attachment; filename="{document.filename}"', "X-Content-Type-Options": "nosniff"})


@router.get("/proposals/{proposal_id}/versions/{number}", response_class=HTMLResponse, name="pact_version_page")
def version_page(request: Request, proposal_id: int, number: int, session: SessionDep,
                 principal: Reader) -> Response:
    proposal = service.get(session, principal=principal, id=proposal_id)
    version = service.get_version(session, principal=principal, id=proposal_id, number=number)
    manifestation, _ = parse(version.body)
    docs = documents.list_documents(session, principal=principal, proposal_id=proposal.id)
    return render(request, "proposal_version.html", {
        "proposal": proposal, "version": version, "m": manifestation,
        **manifestation_view(session, manifestation, getattr(request.state, "lang", "it"), docs),
        "org_name": org_names(session, {proposal.organisation_id})[proposal.organisation_id]})
