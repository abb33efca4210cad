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
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from regia.auth.errors import Conflict, InvalidInput
from regia.auth.models import OrgType
from regia.auth.policy import EDITING, READ, WRITE, Resource, can, require
from regia.auth.principal import Principal
from regia.db import request_session
from regia.pacts import calls, documents, evidence, letters, monitoring, service, states
from regia.pacts.manifestation import MESSAGES as ISSUE_MESSAGES
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
from regia.pacts.page_kit import org_names, redirect, render

SessionDep = Annotated[Session, Depends(request_session)]
Reader = Annotated[Principal, Depends(require(READ, Resource.PACT_PROPOSAL))]
Writer = Annotated[Principal, Depends(require(WRITE, Resource.PACT_PROPOSAL))]
CallReader = Annotated[Principal, Depends(require(READ, Resource.PACT_CALL))]
CallWriter = Annotated[Principal, Depends(require(WRITE, Resource.PACT_CALL))]

router = APIRouter()
MAX_ROWS = 100


# --- the call form (Region staff) ----------------------------------------------------------------------------

ROME = ZoneInfo("Europe/Rome")
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
        "partnerships": org_names(session, principal, partnerships), "proposals": mine, "rome": rome,
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
            "partnerships": org_names(session, principal, principal.org_ids(types=(OrgType.PARTNERSHIP,)))},
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
        "orgs": org_names(session, principal, {p.organisation_id for p in rows}),
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
    return render(request, "proposal.html", {
        "proposal": proposal, "call": call, "m": manifestation, "docs": docs,
        "editable": writer and proposal.status in states.OWNER_EDITS_MANIFESTATION,
        "can_submit": writer and proposal.status == DRAFT,
        "can_reopen": writer and proposal.status == SUBMITTED and open_now,
        "csrf_token": principal.csrf or "", "error": error, "saved": saved, "submitted": submitted,
        "issues": issues, "versions": list(proposal.versions),
        "latest": proposal.versions[-1] if proposal.versions else None,
        "org_name": org_names(session, principal, {proposal.organisation_id})[proposal.organisation_id],
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
            raise InvalidInput("pacts.error.title", field="title")
        service.update(session, actor=principal, id=proposal_id, title=title, body=body, version=version)
    except (Conflict, InvalidInput) as exc:
        session.rollback()
        key = "pacts.error.title" if isinstance(exc, InvalidInput) and exc.field == "title" else (
            "pacts.error.body" if isinstance(exc, InvalidInput) else "pacts.error.conflict")
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
                              error="pacts.error.incomplete", status_code=422)
    except Conflict as exc:
        session.rollback()
        proposal = service.get(session, principal=principal, id=proposal_id)
        key = "pacts.error.deadline" if exc.field == "deadline" else "pacts.error.state"
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
        key = "pacts.error.deadline_reopen" if exc.field == "deadline" else "pacts.error.state"
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
        key = "pacts.error.upload_state" if isinstance(exc, Conflict) else "pacts.error.upload"
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
    return render(request, "proposal_version.html", {
        "proposal": proposal, "version": version, "m": manifestation,
        "org_name": org_names(session, principal, {proposal.organisation_id})[proposal.organisation_id]})


_STATUS_IT = {"draft": "Bozza", "submitted": "Presentata", "admissible": "Ammissibile",
              "inadmissible": "Non ammissibile", "evaluated": "Valutata", "selected": "Selezionata",
              "not_selected": "Non selezionata", "programme_submitted": "Programma presentato",
              "approved": "Approvato", "in_progress": "In corso", "closed": "Chiuso"}
_STATUS_EN = {"draft": "Draft", "submitted": "Submitted", "admissible": "Admissible",
              "inadmissible": "Inadmissible", "evaluated": "Evaluated", "selected": "Selected",
              "not_selected": "Not selected", "programme_submitted": "Programme submitted",
              "approved": "Approved", "in_progress": "In progress", "closed": "Closed"}
_KIND = {"it": {"training": "Formazione", "guidance": "Orientamento", "certification": "Certificazione delle "
                "competenze", "apprenticeship": "Apprendistato", "placement": "Inserimento lavorativo"},
         "en": {"training": "Training", "guidance": "Guidance", "certification": "Certification of skills",
                "apprenticeship": "Apprenticeship", "placement": "Job placement"}}
_TARGET = {"it": {"students": "Studenti", "unemployed": "Disoccupati", "suspended_workers": "Lavoratori sospesi",
                  "employed": "Occupati", "apprentices": "Apprendisti", "foreign_workers": "Lavoratori stranieri"},
           "en": {"students": "Students", "unemployed": "Unemployed", "suspended_workers": "Suspended workers",
                  "employed": "Employed", "apprentices": "Apprentices", "foreign_workers": "Foreign workers"}}
_SOURCE = {"it": {"regional": "Risorse regionali", "fse_plus": "FSE+ 2021–2027", "fund": "Fondi interprofessionali",
                  "cofinancing": "Cofinanziamento dei partner"},
           "en": {"regional": "Regional funds", "fse_plus": "ESF+ 2021–2027", "fund": "Interprofessional funds",
                  "cofinancing": "Partners' co-financing"}}
_ORGTYPE = {"it": {"region": "Regione", "fund": "Fondo interprofessionale", "provider": "Ente accreditato",
                   "partnership": "Partenariato", "cciaa": "Camera di Commercio", "employers_association":
                   "Associazione datoriale", "education": "Scuola, ITS o università", "bank_foundation":
                   "Fondazione bancaria", "professional_order": "Ordine o associazione professionale",
                   "business_network": "Rete di imprese", "certifier": "Ente titolato (IVC)", "citizen": "Cittadino"},
            "en": {"region": "Region", "fund": "Interprofessional fund", "provider": "Accredited provider",
                   "partnership": "Partnership", "cciaa": "Chamber of commerce", "employers_association":
                   "Employers' association", "education": "School, ITS or university", "bank_foundation":
                   "Banking foundation", "professional_order": "Professional order or association",
                   "business_network": "Business network", "certifier": "Certifying body (IVC)",
                   "citizen": "Citizen"}}
_PHASE = {"it": {"not_open": "Non ancora aperto", "manifestation": "Aperto alle manifestazioni di interesse",
                 "evaluation": "In valutazione", "programme": "Programmi di dettaglio", "implementation":
                 "In attuazione", "closed": "Concluso"},
          "en": {"not_open": "Not open yet", "manifestation": "Open for manifestations of interest",
                 "evaluation": "Under evaluation", "programme": "Detailed programmes", "implementation":
                 "Implementation", "closed": "Closed"}}


def _values(lang: str) -> dict[str, str]:
    out = {}
    for prefix, table in (("pacts.kind.", _KIND), ("pacts.target.", _TARGET), ("pacts.source.", _SOURCE),
                          ("pacts.orgtype.", _ORGTYPE), ("pacts.phase.", _PHASE)):
        out.update({prefix + k: v for k, v in table[lang].items()})
    out.update({"pacts.status." + k: v for k, v in (_STATUS_IT if lang == "it" else _STATUS_EN).items()})
    return out


MESSAGES: dict[str, dict[str, str]] = {
    "it": {
        **ISSUE_MESSAGES["it"], **_values("it"),
        "pacts.list.title": "Proposte di Patto territoriale",
        "pacts.list.empty": "Nessuna proposta visibile con il tuo profilo.",
        "pacts.list.count": "{total} proposte",
        "pacts.calls.title": "Avvisi per i Patti territoriali",
        "pacts.calls.empty": "Nessun avviso pubblicato.",
        "pacts.call.code": "Codice",
        "pacts.call.phase": "Fase",
        "pacts.call.opens": "Apertura",
        "pacts.call.deadline": "Scadenza delle manifestazioni di interesse",
        "pacts.call.evaluation": "Fine della valutazione",
        "pacts.call.programme": "Scadenza dei programmi di dettaglio",
        "pacts.call.ends": "Fine delle attività",
        "pacts.call.territories": "Territori ammessi (NUTS3)",
        "pacts.call.all_territories": "Tutta la Lombardia",
        "pacts.call.partners": "Partenariato minimo",
        "pacts.call.partners_n": "almeno {n} partner, capofila compreso",
        "pacts.call.partner_types": "Tipologie di partner richieste",
        "pacts.call.targets": "Destinatari ammessi",
        "pacts.call.grid": "Griglia di valutazione",
        "pacts.call.criterion": "Criterio",
        "pacts.call.weight": "Peso",
        "pacts.call.max_score": "Punteggio massimo",
        "pacts.call.threshold": "Soglia",
        "pacts.call.min_total": "Punteggio minimo complessivo: {n}",
        "pacts.call.budget": "Dotazione finanziaria",
        "pacts.call.max_grant": "Contributo massimo per proposta",
        "pacts.call.cofinancing": "Cofinanziamento minimo",
        "pacts.call.new": "Avvia una manifestazione di interesse",
        "pacts.call.new_title": "Titolo della proposta",
        "pacts.call.new_button": "Crea la bozza",
        "pacts.call.your_proposals": "Proposte su questo avviso",
        "pacts.calls.link": "Avvisi",
        "pacts.field.title": "Titolo",
        "pacts.field.call": "Avviso",
        "pacts.field.summary": "Sintesi della proposta",
        "pacts.field.organisation": "Partenariato",
        "pacts.field.status": "Stato",
        "pacts.field.version": "Versione",
        "pacts.section.partners": "Partenariato",
        "pacts.section.partners_help": "Il capofila e i partner, ciascuno con la sua lettera di impegno.",
        "pacts.partner.lead": "Capofila",
        "pacts.partner.n": "Partner {n}",
        "pacts.partner.name": "Denominazione",
        "pacts.partner.tax_code": "Codice fiscale",
        "pacts.partner.type": "Tipologia",
        "pacts.partner.role": "Ruolo nel patto",
        "pacts.partner.letter": "Lettera di impegno",
        "pacts.partner.no_letter": "— nessuna —",
        "pacts.section.territory": "Territorio e filiera",
        "pacts.territory.nuts3": "Province (NUTS3)",
        "pacts.territory.nuts3_other": "Altri codici NUTS3",
        "pacts.territory.provinces": "Sigle di provincia",
        "pacts.territory.comuni": "Comuni (codici ISTAT, separati da spazi)",
        "pacts.sectors": "Settori della filiera (codici ATECO, separati da spazi)",
        "pacts.section.needs": "Esigenze del contesto di intervento",
        "pacts.section.actions": "Azioni previste",
        "pacts.action.code": "Codice",
        "pacts.action.kind": "Tipo",
        "pacts.action.title": "Nome dell'azione",
        "pacts.action.course": "Corso del catalogo (numero)",
        "pacts.action.new_course": "Nuovo corso",
        "pacts.action.skills": "Competenze ESCO (URI)",
        "pacts.action.target": "Destinatari",
        "pacts.action.participants": "Partecipanti",
        "pacts.section.targets": "Destinatari",
        "pacts.target.group": "Gruppo",
        "pacts.target.number": "Numero",
        "pacts.section.impacts": "Ricadute attese",
        "pacts.impact.indicator": "Indicatore",
        "pacts.impact.unit": "Unità",
        "pacts.impact.baseline": "Valore di partenza",
        "pacts.impact.target": "Obiettivo",
        "pacts.impact.direction": "Migliora se",
        "pacts.impact.increase": "aumenta",
        "pacts.impact.decrease": "diminuisce",
        "pacts.section.requested": "Contributo richiesto (euro)",
        "pacts.choose": "— scegli —",
        "pacts.row": "Riga {n}",
        "pacts.save": "Salva la bozza",
        "pacts.validate": "Verifica",
        "pacts.submit": "Presenta la manifestazione di interesse",
        "pacts.reopen": "Riapri per modificare",
        "pacts.saved": "Bozza salvata.",
        "pacts.submitted": "Manifestazione di interesse presentata: la versione è stata congelata.",
        "pacts.issues.title": "Da completare prima di presentare",
        "pacts.issues.none": "Nessun problema: la manifestazione di interesse può essere presentata.",
        "pacts.readonly": "Puoi leggere questa proposta ma non modificarla.",
        "pacts.documents": "Lettere di impegno e documenti",
        "pacts.documents.none": "Nessun documento caricato.",
        "pacts.documents.file": "File (PDF, PNG o JPEG, massimo 5 MB)",
        "pacts.documents.partner": "Partner (codice fiscale)",
        "pacts.documents.upload": "Carica",
        "pacts.documents.name": "File",
        "pacts.documents.size": "Dimensione",
        "pacts.versions": "Versioni presentate",
        "pacts.versions.none": "Nessuna versione presentata.",
        "pacts.version.n": "Versione {n}",
        "pacts.version.submitted": "Presentata il {date} da {who}",
        "pacts.version.hash": "Impronta SHA-256",
        "pacts.evidence": "Evidenze del territorio (istantanea alla presentazione)",
        "pacts.evidence.taken": "Calcolata il {date}",
        "pacts.evidence.sources": "Fonti",
        "pacts.evidence.none": "Nessun dato disponibile per il territorio e i settori scelti.",
        "pacts.evidence.block": "{territory} · settore {sector}",
        "pacts.evidence.all_sectors": "tutti",
        "pacts.evidence.counts": "{postings} annunci · {seats} posti in formazione",
        "pacts.evidence.demand": "Competenze più richieste",
        "pacts.evidence.gaps": "Divari tra domanda e offerta formativa",
        "pacts.evidence.skill": "Competenza",
        "pacts.evidence.postings": "Annunci",
        "pacts.evidence.share": "Quota",
        "pacts.evidence.seats": "Posti",
        "pacts.evidence.gap": "Divario",
        "pacts.evidence.confidence": "Affidabilità",
        "pacts.error.title": "Il titolo è obbligatorio.",
        "pacts.error.body": "Alcuni dati non sono leggibili: controlla i campi.",
        "pacts.error.conflict": "La proposta è stata modificata da qualcun altro nel frattempo, oppure è già "
                                "stata presentata: ricarica la pagina.",
        "pacts.error.incomplete": "La manifestazione di interesse non è completa: vedi l'elenco qui sotto.",
        "pacts.error.deadline": "La scadenza dell'avviso è passata: la manifestazione di interesse non può più "
                                "essere presentata.",
        "pacts.error.deadline_reopen": "La scadenza dell'avviso è passata: la proposta non può più essere "
                                       "riaperta.",
        "pacts.error.state": "Operazione non possibile nello stato attuale della proposta.",
        "pacts.error.upload": "File non accettato: solo PDF, PNG o JPEG fino a 5 MB.",
        "pacts.error.upload_state": "I documenti si caricano solo finché la proposta è in bozza.",
        "pacts.back": "Tutte le proposte",
        "pacts.back_to_proposal": "Torna alla proposta",
        "pacts.callform.new_title": "Nuovo avviso",
        "pacts.callform.edit_title": "Modifica dell'avviso {code}",
        "pacts.callform.new_button": "Nuovo avviso",
        "pacts.callform.edit_button": "Modifica avviso",
        "pacts.callform.save": "Salva l'avviso",
        "pacts.callform.cancel": "Annulla",
        "pacts.callform.saved": "Avviso salvato.",
        "pacts.callform.error": "Controlla il campo «{label}»: {hint}",
        "pacts.callform.hint.code": "il codice è obbligatorio (al massimo 40 caratteri) e non deve essere già usato da "
                                    "un altro avviso.",
        "pacts.callform.hint.title": "il titolo è obbligatorio.",
        "pacts.callform.hint.description": "il testo non è accettato.",
        "pacts.callform.hint.opens_at": "indica data e ora di apertura.",
        "pacts.callform.hint.manifestation_deadline": "indica data e ora, successive all'apertura.",
        "pacts.callform.hint.evaluation_deadline": "indica data e ora, successive alla scadenza delle "
                                                   "manifestazioni di interesse.",
        "pacts.callform.hint.programme_deadline": "indica data e ora, successive alla fine della valutazione.",
        "pacts.callform.hint.ends_on": "indica una data successiva alla scadenza dei programmi di dettaglio.",
        "pacts.callform.hint.territories": "scegli tra le province lombarde (codici NUTS3).",
        "pacts.callform.hint.required_partner_types": "tipologia di partner non ammessa.",
        "pacts.callform.hint.min_partners": "un numero intero, almeno 1.",
        "pacts.callform.hint.targets": "destinatario non ammesso.",
        "pacts.callform.hint.grid": "almeno un criterio; ogni criterio ha codice (non ripetuto) e nome, peso e "
                                    "punteggio massimo positivi, soglia tra 0 e il punteggio massimo.",
        "pacts.callform.hint.min_total": "un numero tra 0 e il punteggio più alto ottenibile con la griglia (pesi per "
                                         "punteggi massimi).",
        "pacts.callform.hint.aggregation": "scegli la media o la scheda di consenso.",
        "pacts.callform.hint.max_spread": "un numero non negativo.",
        "pacts.callform.hint.min_evaluators": "un numero intero, almeno 1.",
        "pacts.callform.hint.budget": "importi in euro, non negativi (per esempio 1500000 o 1500000,50).",
        "pacts.callform.hint.max_grant": "un importo positivo in euro, oppure vuoto.",
        "pacts.callform.hint.min_cofinancing_share": "una percentuale da 0 a meno di 100.",
        "pacts.callform.hint.version": "l'avviso è cambiato nel frattempo.",
        "pacts.callform.conflict": "L'avviso è stato modificato da qualcun altro nel frattempo: i tuoi dati sono "
                                   "ancora nel modulo, salvando li sovrascrivi.",
        "pacts.callform.general": "Dati generali",
        "pacts.callform.phases": "Fasi e scadenze",
        "pacts.callform.phases_help": "Date e ore italiane (Europe/Rome).",
        "pacts.callform.eligibility": "Ammissibilità",
        "pacts.callform.grid_help": "Criteri, pesi, punteggi massimi e soglie. A ogni salvataggio si aggiunge una "
                                    "riga vuota per un nuovo criterio; le righe vuote sono ignorate.",
        "pacts.callform.rules": "Regole di valutazione",
        "pacts.callform.budget_help": "Dotazione per fonte di finanziamento, in euro; vuoto se la fonte non "
                                      "finanzia l'avviso.",
        "pacts.callform.code": "Codice dell'avviso",
        "pacts.callform.title": "Titolo",
        "pacts.callform.description": "Descrizione",
        "pacts.callform.opens_at": "Apertura",
        "pacts.callform.manifestation_deadline": "Scadenza delle manifestazioni di interesse",
        "pacts.callform.evaluation_deadline": "Fine della valutazione",
        "pacts.callform.programme_deadline": "Scadenza dei programmi di dettaglio",
        "pacts.callform.ends_on": "Fine delle attività",
        "pacts.callform.territories": "Territori ammessi (nessuno: tutta la Lombardia)",
        "pacts.callform.required_partner_types": "Tipologie di partner richieste",
        "pacts.callform.min_partners": "Numero minimo di partner (capofila compreso)",
        "pacts.callform.targets": "Destinatari ammessi",
        "pacts.callform.grid": "Griglia di valutazione",
        "pacts.callform.criterion_code": "Codice",
        "pacts.callform.criterion_label": "Criterio",
        "pacts.callform.min_total": "Punteggio minimo complessivo",
        "pacts.callform.aggregation": "Sintesi dei punteggi",
        "pacts.callform.aggregation.average": "Media dei valutatori",
        "pacts.callform.aggregation.consensus": "Scheda di consenso del panel",
        "pacts.callform.max_spread": "Scarto massimo tra valutatori prima del consenso (0: nessun limite)",
        "pacts.callform.min_evaluators": "Numero minimo di valutatori",
        "pacts.callform.budget": "Dotazione finanziaria",
        "pacts.callform.max_grant": "Contributo massimo per proposta (euro, vuoto: nessun limite)",
        "pacts.callform.min_cofinancing_share": "Cofinanziamento minimo dei partner (%)",
        "pacts.callform.version": "Versione",
        "pacts.links.title": "Altre pagine",
        "pacts.links.evaluation": "Ammissibilità e valutazione",
        "pacts.links.letter": "Lettera di esito (PDF)",
        "pacts.links.programme": "Programma di dettaglio",
        "pacts.links.monitoring": "Monitoraggio",
        "pacts.links.ranking": "Graduatoria",
        "pacts.links.my_evaluations": "Le mie valutazioni",
        "pacts.links.cabina": "Cabina di regia",
    },
    "en": {
        **ISSUE_MESSAGES["en"], **_values("en"),
        "pacts.list.title": "Territorial pact proposals",
        "pacts.list.empty": "No proposals are visible with your profile.",
        "pacts.list.count": "{total} proposals",
        "pacts.calls.title": "Calls for territorial pacts",
        "pacts.calls.empty": "No calls published.",
        "pacts.call.code": "Code",
        "pacts.call.phase": "Phase",
        "pacts.call.opens": "Opens",
        "pacts.call.deadline": "Deadline for manifestations of interest",
        "pacts.call.evaluation": "End of evaluation",
        "pacts.call.programme": "Deadline for detailed programmes",
        "pacts.call.ends": "End of activities",
        "pacts.call.territories": "Eligible territories (NUTS3)",
        "pacts.call.all_territories": "All of Lombardy",
        "pacts.call.partners": "Minimum partnership",
        "pacts.call.partners_n": "at least {n} partners, lead included",
        "pacts.call.partner_types": "Required partner types",
        "pacts.call.targets": "Admitted target groups",
        "pacts.call.grid": "Evaluation grid",
        "pacts.call.criterion": "Criterion",
        "pacts.call.weight": "Weight",
        "pacts.call.max_score": "Maximum score",
        "pacts.call.threshold": "Threshold",
        "pacts.call.min_total": "Minimum total score: {n}",
        "pacts.call.budget": "Budget envelope",
        "pacts.call.max_grant": "Maximum grant per proposal",
        "pacts.call.cofinancing": "Minimum co-financing",
        "pacts.call.new": "Start a manifestation of interest",
        "pacts.call.new_title": "Title of the proposal",
        "pacts.call.new_button": "Create the draft",
        "pacts.call.your_proposals": "Proposals under this call",
        "pacts.calls.link": "Calls",
        "pacts.field.title": "Title",
        "pacts.field.call": "Call",
        "pacts.field.summary": "Summary of the proposal",
        "pacts.field.organisation": "Partnership",
        "pacts.field.status": "Status",
        "pacts.field.version": "Version",
        "pacts.section.partners": "Partnership",
        "pacts.section.partners_help": "The lead partner and the partners, each with its letter of commitment.",
        "pacts.partner.lead": "Lead partner",
        "pacts.partner.n": "Partner {n}",
        "pacts.partner.name": "Name",
        "pacts.partner.tax_code": "Codice fiscale",
        "pacts.partner.type": "Type",
        "pacts.partner.role": "Role in the pact",
        "pacts.partner.letter": "Letter of commitment",
        "pacts.partner.no_letter": "— none —",
        "pacts.section.territory": "Territory and supply chain",
        "pacts.territory.nuts3": "Provinces (NUTS3)",
        "pacts.territory.nuts3_other": "Other NUTS3 codes",
        "pacts.territory.provinces": "Province sigle",
        "pacts.territory.comuni": "Comuni (ISTAT codes, space-separated)",
        "pacts.sectors": "Sectors (ATECO codes, space-separated)",
        "pacts.section.needs": "Needs of the context",
        "pacts.section.actions": "Planned actions",
        "pacts.action.code": "Code",
        "pacts.action.kind": "Kind",
        "pacts.action.title": "Action name",
        "pacts.action.course": "Catalogue course (number)",
        "pacts.action.new_course": "New course",
        "pacts.action.skills": "ESCO skills (URIs)",
        "pacts.action.target": "Target group",
        "pacts.action.participants": "Participants",
        "pacts.section.targets": "Target groups",
        "pacts.target.group": "Group",
        "pacts.target.number": "Number",
        "pacts.section.impacts": "Expected impacts",
        "pacts.impact.indicator": "Indicator",
        "pacts.impact.unit": "Unit",
        "pacts.impact.baseline": "Baseline",
        "pacts.impact.target": "Target",
        "pacts.impact.direction": "Better when it",
        "pacts.impact.increase": "increases",
        "pacts.impact.decrease": "decreases",
        "pacts.section.requested": "Funding requested (euro)",
        "pacts.choose": "— choose —",
        "pacts.row": "Row {n}",
        "pacts.save": "Save the draft",
        "pacts.validate": "Check",
        "pacts.submit": "Submit the manifestation of interest",
        "pacts.reopen": "Reopen to edit",
        "pacts.saved": "Draft saved.",
        "pacts.submitted": "Manifestation of interest submitted: the version has been frozen.",
        "pacts.issues.title": "To complete before submitting",
        "pacts.issues.none": "No issues: the manifestation of interest may be submitted.",
        "pacts.readonly": "You may read this proposal but not edit it.",
        "pacts.documents": "Letters of commitment and documents",
        "pacts.documents.none": "No documents uploaded.",
        "pacts.documents.file": "File (PDF, PNG or JPEG, at most 5 MB)",
        "pacts.documents.partner": "Partner (codice fiscale)",
        "pacts.documents.upload": "Upload",
        "pacts.documents.name": "File",
        "pacts.documents.size": "Size",
        "pacts.versions": "Submitted versions",
        "pacts.versions.none": "No version submitted.",
        "pacts.version.n": "Version {n}",
        "pacts.version.submitted": "Submitted on {date} by {who}",
        "pacts.version.hash": "SHA-256 fingerprint",
        "pacts.evidence": "Evidence of the territory (snapshot at submission)",
        "pacts.evidence.taken": "Computed on {date}",
        "pacts.evidence.sources": "Sources",
        "pacts.evidence.none": "No figures available for the chosen territory and sectors.",
        "pacts.evidence.block": "{territory} · sector {sector}",
        "pacts.evidence.all_sectors": "all",
        "pacts.evidence.counts": "{postings} postings · {seats} training seats",
        "pacts.evidence.demand": "Most demanded skills",
        "pacts.evidence.gaps": "Gaps between demand and training supply",
        "pacts.evidence.skill": "Skill",
        "pacts.evidence.postings": "Postings",
        "pacts.evidence.share": "Share",
        "pacts.evidence.seats": "Seats",
        "pacts.evidence.gap": "Gap",
        "pacts.evidence.confidence": "Confidence",
        "pacts.error.title": "The title is required.",
        "pacts.error.body": "Some values cannot be read: check the fields.",
        "pacts.error.conflict": "Somebody else changed the proposal in the meantime, or it has been submitted: "
                                "reload the page.",
        "pacts.error.incomplete": "The manifestation of interest is not complete: see the list below.",
        "pacts.error.deadline": "The call's deadline has passed: the manifestation of interest can no longer be "
                                "submitted.",
        "pacts.error.deadline_reopen": "The call's deadline has passed: the proposal can no longer be reopened.",
        "pacts.error.state": "Not possible in the proposal's current state.",
        "pacts.error.upload": "File refused: only PDF, PNG or JPEG up to 5 MB.",
        "pacts.error.upload_state": "Documents are uploaded only while the proposal is a draft.",
        "pacts.back": "All proposals",
        "pacts.back_to_proposal": "Back to the proposal",
        "pacts.callform.new_title": "New call",
        "pacts.callform.edit_title": "Editing the call {code}",
        "pacts.callform.new_button": "New call",
        "pacts.callform.edit_button": "Edit call",
        "pacts.callform.save": "Save the call",
        "pacts.callform.cancel": "Cancel",
        "pacts.callform.saved": "Call saved.",
        "pacts.callform.error": "Check the field “{label}”: {hint}",
        "pacts.callform.hint.code": "the code is required (at most 40 characters) and must not be used by another "
                                    "call.",
        "pacts.callform.hint.title": "the title is required.",
        "pacts.callform.hint.description": "the text is not accepted.",
        "pacts.callform.hint.opens_at": "give the opening date and time.",
        "pacts.callform.hint.manifestation_deadline": "give a date and time after the opening.",
        "pacts.callform.hint.evaluation_deadline": "give a date and time after the deadline for manifestations of "
                                                   "interest.",
        "pacts.callform.hint.programme_deadline": "give a date and time after the end of evaluation.",
        "pacts.callform.hint.ends_on": "give a date after the deadline for detailed programmes.",
        "pacts.callform.hint.territories": "choose among Lombardy's provinces (NUTS3 codes).",
        "pacts.callform.hint.required_partner_types": "partner type not admitted.",
        "pacts.callform.hint.min_partners": "a whole number, at least 1.",
        "pacts.callform.hint.targets": "target group not admitted.",
        "pacts.callform.hint.grid": "at least one criterion; each has a code (not repeated) and a name, a positive "
                                    "weight and maximum score, a threshold between 0 and the maximum score.",
        "pacts.callform.hint.min_total": "a number between 0 and the best total the grid allows (weights times maximum "
                                         "scores).",
        "pacts.callform.hint.aggregation": "choose the average or the consensus sheet.",
        "pacts.callform.hint.max_spread": "a number, not negative.",
        "pacts.callform.hint.min_evaluators": "a whole number, at least 1.",
        "pacts.callform.hint.budget": "amounts in euro, not negative (e.g. 1500000 or 1500000.50).",
        "pacts.callform.hint.max_grant": "a positive amount in euro, or empty.",
        "pacts.callform.hint.min_cofinancing_share": "a percentage from 0 to less than 100.",
        "pacts.callform.hint.version": "the call changed in the meantime.",
        "pacts.callform.conflict": "Somebody else changed the call in the meantime: your values are still in the "
                                   "form, saving overwrites theirs.",
        "pacts.callform.general": "General",
        "pacts.callform.phases": "Phases and deadlines",
        "pacts.callform.phases_help": "Italian dates and times (Europe/Rome).",
        "pacts.callform.eligibility": "Eligibility",
        "pacts.callform.grid_help": "Criteria, weights, maximum scores and thresholds. Each save adds an empty row "
                                    "for a new criterion; empty rows are ignored.",
        "pacts.callform.rules": "Evaluation rules",
        "pacts.callform.budget_help": "Envelope per funding source, in euro; empty if the source does not fund "
                                      "the call.",
        "pacts.callform.code": "Code of the call",
        "pacts.callform.title": "Title",
        "pacts.callform.description": "Description",
        "pacts.callform.opens_at": "Opens",
        "pacts.callform.manifestation_deadline": "Deadline for manifestations of interest",
        "pacts.callform.evaluation_deadline": "End of evaluation",
        "pacts.callform.programme_deadline": "Deadline for detailed programmes",
        "pacts.callform.ends_on": "End of activities",
        "pacts.callform.territories": "Eligible territories (none: all of Lombardy)",
        "pacts.callform.required_partner_types": "Required partner types",
        "pacts.callform.min_partners": "Minimum number of partners (lead included)",
        "pacts.callform.targets": "Admitted target groups",
        "pacts.callform.grid": "Evaluation grid",
        "pacts.callform.criterion_code": "Code",
        "pacts.callform.criterion_label": "Criterion",
        "pacts.callform.min_total": "Minimum total score",
        "pacts.callform.aggregation": "Combining the scores",
        "pacts.callform.aggregation.average": "Average of the evaluators",
        "pacts.callform.aggregation.consensus": "The panel's consensus sheet",
        "pacts.callform.max_spread": "Largest spread between evaluators before consensus (0: no limit)",
        "pacts.callform.min_evaluators": "Minimum number of evaluators",
        "pacts.callform.budget": "Budget envelope",
        "pacts.callform.max_grant": "Maximum grant per proposal (euro, empty: no limit)",
        "pacts.callform.min_cofinancing_share": "Partners' minimum co-financing (%)",
        "pacts.callform.version": "Version",
        "pacts.links.title": "Other pages",
        "pacts.links.evaluation": "Admissibility and evaluation",
        "pacts.links.letter": "Outcome letter (PDF)",
        "pacts.links.programme": "Detailed programme",
        "pacts.links.monitoring": "Monitoring",
        "pacts.links.ranking": "Ranking",
        "pacts.links.my_evaluations": "My evaluations",
        "pacts.links.cabina": "Cabina di regia",
    },
}
