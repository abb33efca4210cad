"""Pages of a selected pact's programme, of its monitoring and of the Cabina di regia (Italian first).

- ``/pacts/proposals/{id}/programme`` — the owner's editor (actions with schedule and targets, budget lines
  per partner × source with totals and the co-financing share, indicators; "Verifica", "Presenta il
  programma"); the Region's approval panel when a programme is presented; read-only for other readers;
- ``/pacts/proposals/{id}/monitoring`` — progress per action against targets and budget, alerts, and the
  owner's progress-report form;
- ``/pacts/cabina`` — every pact with a programme, a map per province and the alerts.

The editor works without JavaScript: "add" buttons save and come back with an empty row.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from regia.auth.errors import Conflict, DomainError, Forbidden, InvalidInput
from regia.auth.policy import READ, WRITE, Resource, can, require
from regia.auth.principal import Principal
from regia.clock import rome_today
from regia.db import request_session
from regia.i18n import N_, format_money, format_number, gettext
from regia.pacts import messages, monitoring, programme, states
from regia.pacts.models import (
    ACTION_KINDS,
    FUNDING_SOURCES,
    PROGRAMME_SUBMITTED,
    TARGET_GROUPS,
)
from regia.pacts.page_kit import concept_names, redirect, render

SessionDep = Annotated[Session, Depends(request_session)]
Reader = Annotated[Principal, Depends(require(READ, Resource.PACT_PROPOSAL))]
Writer = Annotated[Principal, Depends(require(WRITE, Resource.PACT_PROPOSAL))]
Decider = Annotated[Principal, Depends(require(WRITE, Resource.PACT_DECISION))]
MonitorReader = Annotated[Principal, Depends(require(READ, Resource.PACT_MONITORING))]
Reporter = Annotated[Principal, Depends(require(WRITE, Resource.PACT_MONITORING))]

router = APIRouter()
ACTION_FIELDS = ("code", "kind", "title", "course_id", "skills", "target_group", "lead_partner_tax_code",
                 "start_date", "end_date", "target_enrolled", "target_completed", "target_certified",
                 "target_placed")
LINE_FIELDS = ("action", "partner_tax_code", "source", "amount", "description")
INDICATOR_FIELDS = ("indicator", "unit", "baseline", "target", "actions")
MAX_ROWS = 500


def _lang(request: Request) -> str:
    return "en" if getattr(request.state, "lang", "it") == "en" else "it"


def _error(request: Request, exc: DomainError) -> str:
    """A service error in the page's language: its message key when it has one; an error without a key (the
    state machine's refusals) by its kind in Italian, by its English detail in English."""
    lang = _lang(request)
    if exc.key or lang == "en":
        return messages.error_text(lang, exc)
    key = N_("prog.err.not_allowed") if isinstance(exc, Forbidden | Conflict) else N_("prog.err.invalid")
    return messages.text(key, lang)


# --- the programme editor ------------------------------------------------------------------------------------

def _rows_from_db(p: programme.Programme) -> tuple[list[dict[str, str]], list[dict[str, str]], list[dict[str, str]]]:
    actions, lines = [], []
    for a in p.actions:
        actions.append({"code": a.code, "kind": a.kind, "title": a.title,
                        "course_id": "" if a.course_id is None else str(a.course_id), "skills": " ".join(a.skills),
                        "target_group": a.target_group, "lead_partner_tax_code": a.lead_partner_tax_code or "",
                        "start_date": a.start_date.isoformat(), "end_date": a.end_date.isoformat(),
                        **{f"target_{n}": str(getattr(a, f"target_{n}")) for n in programme.TARGET_FIELDS}})
        for b in a.budget_lines:
            lines.append({"action": a.code, "partner_tax_code": b.partner_tax_code, "source": b.source,
                          "amount": f"{Decimal(b.amount):.2f}", "description": b.description})
    indicators = [{"indicator": str(i.get("indicator") or ""), "unit": str(i.get("unit") or ""),
                   "baseline": "" if i.get("baseline") is None else str(i.get("baseline")),
                   "target": "" if i.get("target") is None else str(i.get("target")),
                   "actions": ", ".join(i.get("actions") or [])} for i in p.indicators if isinstance(i, dict)]
    return actions, lines, indicators


def _rows_from_form(form: Any, prefix: str, fields: tuple[str, ...]) -> list[dict[str, str]]:
    rows = []
    for n in range(MAX_ROWS):
        if f"{prefix}-{n}-{fields[0]}" not in form and f"{prefix}-{n}-{fields[1]}" not in form:
            break
        row = {f: str(form.get(f"{prefix}-{n}-{f}") or "").strip() for f in fields}
        if any(row.values()) and not (prefix == "lines" and not row["amount"] and not row["partner_tax_code"]):
            rows.append(row)
    return rows


def _programme_input(actions: list[dict[str, str]], lines: list[dict[str, str]],
                     indicators: list[dict[str, str]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    by_code: dict[str, dict[str, Any]] = {}
    out = []
    for row in actions:
        item: dict[str, Any] = {**row, "budget": []}
        out.append(item)
        by_code.setdefault(row["code"], item)
    for k, line in enumerate(lines):
        target = by_code.get(line["action"])
        if target is None:
            raise InvalidInput(f"lines[{k}].action: the budget line names no action of the programme",
                               field=f"lines[{k}].action", key=N_("prog.err.line_action"),
                               params={"field": f"lines[{k}].action", "action": line["action"]})
        target["budget"].append({key: line[key] for key in LINE_FIELDS if key != "action"})
    return out, [{**i, "actions": [c.strip() for c in i["actions"].split(",") if c.strip()]} for i in indicators]


def _programme_page(request: Request, session: Session, principal: Principal, proposal_id: int, *,
                    rows: tuple[list[dict[str, str]], list[dict[str, str]], list[dict[str, str]]] | None = None,
                    error: str | None = None, issues: list[programme.Issue] | None = None, add: str = "",
                    saved: bool = False, message: str = "", status_code: int = 200) -> Response:
    p = programme.get_programme(session, principal=principal, proposal_id=proposal_id)
    proposal = p.proposal
    editable = (can(principal, WRITE, Resource.PACT_PROPOSAL, proposal)
                and proposal.status in states.OWNER_EDITS_PROGRAMME)
    actions, lines, indicators = rows or _rows_from_db(p)
    if editable:
        blank_action = dict.fromkeys(ACTION_FIELDS, "")
        if add == "action" or not actions:
            actions = [*actions, blank_action]
        if add == "line" or not lines:
            lines = [*lines, dict.fromkeys(LINE_FIELDS, "")]
        if add == "indicator" or not indicators:
            indicators = [*indicators, dict.fromkeys(INDICATOR_FIELDS, "")]
    decides = (can(principal, WRITE, Resource.PACT_DECISION, proposal) and proposal.status == PROGRAMME_SUBMITTED)
    # Partners by name (a code saved earlier that is no longer a partner stays choosable, shown as it is).
    partners = {**{r[k]: r[k] for r in (*actions, *lines) for k in ("lead_partner_tax_code", "partner_tax_code")
                   if r.get(k)}, **{code: f"{name} ({code})" for code, name in p.partners.items()}}
    skills = [s for a in actions for s in str(a.get("skills") or "").split()]
    return render(request, "programme.html", {
        "partner_options": list(partners.items()),
        "labels": concept_names(session, _lang(request), codes=skills),
        "p": p, "proposal": proposal, "editable": editable, "decides": decides,
        "actions": actions, "lines": lines, "indicators": indicators, "issues": issues, "error": error,
        "saved": saved, "message": message, "csrf_token": principal.csrf or "",
        "kinds": ACTION_KINDS, "groups": TARGET_GROUPS, "sources": FUNDING_SOURCES,
        "public_sources": programme.PUBLIC_SOURCES, "partner_rows": programme.by_partner_rows(p),
        "can_prefill": editable and not p.actions and bool((proposal.body or {}).get("actions")),
        "min_share": p.call.min_cofinancing_share if p.call is not None else Decimal(0),
        "deadline": p.call.programme_deadline if p.call is not None else None,
    }, status_code)


@router.get("/proposals/{proposal_id}/programme", response_class=HTMLResponse, name="pact_programme_page")
def programme_page(request: Request, proposal_id: int, session: SessionDep, principal: Reader,
                   saved: bool = False, check: bool = False, add: str = "", done: str = "") -> Response:
    issues = programme.check_programme(session, principal=principal, proposal_id=proposal_id) if check else None
    return _programme_page(request, session, principal, proposal_id, issues=issues, add=add, saved=saved,
                           message=done if done in ("submitted", "approved", "returned") else "")


@router.post("/proposals/{proposal_id}/programme", response_class=HTMLResponse, name="pact_programme_save")
async def programme_save(request: Request, proposal_id: int, session: SessionDep, principal: Writer) -> Response:
    form = await request.form()
    op = str(form.get("op") or "save")
    rows: tuple[list[dict[str, str]], list[dict[str, str]], list[dict[str, str]]] | None = None
    try:
        if op == "prefill":
            programme.prefill(session, actor=principal, proposal_id=proposal_id)
            session.commit()
            return redirect(request, "pact_programme_page", "saved=true", proposal_id=proposal_id)
        try:
            version = int(str(form.get("version") or "0"))
        except ValueError:
            version = 0
        rows = (_rows_from_form(form, "actions", ACTION_FIELDS), _rows_from_form(form, "lines", LINE_FIELDS),
                _rows_from_form(form, "indicators", INDICATOR_FIELDS))
        actions, indicators = _programme_input(*rows)
        programme.save_programme(session, actor=principal, proposal_id=proposal_id, actions=actions,
                                 indicators=indicators, notes=str(form.get("notes") or ""), version=version)
    except (InvalidInput, Conflict) as exc:
        session.rollback()
        return _programme_page(request, session, principal, proposal_id,
                               rows=None if isinstance(exc, Conflict) else rows, error=_error(request, exc),
                               status_code=exc.status)
    session.commit()
    query = {"check": "check=true", "add_action": "add=action", "add_line": "add=line",
             "add_indicator": "add=indicator"}.get(op, "saved=true")
    return redirect(request, "pact_programme_page", query, proposal_id=proposal_id)


@router.post("/proposals/{proposal_id}/programme/submit", response_class=HTMLResponse,
             name="pact_programme_submit")
def programme_submit(request: Request, proposal_id: int, session: SessionDep, principal: Writer,
                     csrf_token: Annotated[str, Form(max_length=200)] = "") -> Response:
    try:
        programme.submit_programme(session, actor=principal, proposal_id=proposal_id)
    except (InvalidInput, Conflict) as exc:
        session.rollback()
        issues = programme.check_programme(session, principal=principal, proposal_id=proposal_id)
        return _programme_page(request, session, principal, proposal_id, issues=issues,
                               error=_error(request, exc), status_code=exc.status)
    session.commit()
    return redirect(request, "pact_programme_page", "done=submitted", proposal_id=proposal_id)


@router.post("/proposals/{proposal_id}/programme/decision", response_class=HTMLResponse,
             name="pact_programme_decision")
def programme_decision(request: Request, proposal_id: int, session: SessionDep, principal: Decider,
                       op: Annotated[str, Form(max_length=20)] = "",
                       note: Annotated[str, Form(max_length=2000)] = "") -> Response:
    try:
        if op == "approve":
            programme.approve_programme(session, actor=principal, proposal_id=proposal_id, note=note or None)
        elif op == "return":
            programme.return_programme(session, actor=principal, proposal_id=proposal_id, note=note)
        else:
            raise InvalidInput("approve or return", field="op", key=N_("prog.err.choose_decision"))
    except (InvalidInput, Conflict, Forbidden) as exc:
        session.rollback()
        return _programme_page(request, session, principal, proposal_id, error=_error(request, exc),
                               status_code=exc.status)
    session.commit()
    return redirect(request, "pact_programme_page", "done=approved" if op == "approve" else "done=returned",
                     proposal_id=proposal_id)


# --- monitoring ----------------------------------------------------------------------------------------------

def _monitoring_page(request: Request, session: Session, principal: Principal, proposal_id: int, *,
                     error: str | None = None, saved: bool = False, form: dict[str, str] | None = None,
                     status_code: int = 200) -> Response:
    m = monitoring.monitor(session, principal=principal, proposal_id=proposal_id)
    reports = monitoring.list_reports(session, principal=principal, proposal_id=proposal_id)
    reports_allowed = (can(principal, WRITE, Resource.PACT_MONITORING, m.proposal)
                       and m.proposal.status in states.OWNER_REPORTS_PROGRESS and bool(m.actions))
    return render(request, "monitoring.html", {
        "m": m, "proposal": m.proposal, "reports": reports, "reports_allowed": reports_allowed,
        "error": error, "saved": saved, "form": form or {"period": rome_today().isoformat()},
        "csrf_token": principal.csrf or "", "figures": monitoring.FIGURES,
    }, status_code)


@router.get("/proposals/{proposal_id}/monitoring", response_class=HTMLResponse, name="pact_monitoring_page")
def monitoring_page(request: Request, proposal_id: int, session: SessionDep, principal: MonitorReader,
                    saved: bool = False) -> Response:
    return _monitoring_page(request, session, principal, proposal_id, saved=saved)


@router.post("/proposals/{proposal_id}/monitoring", response_class=HTMLResponse, name="pact_monitoring_report")
async def monitoring_report(request: Request, proposal_id: int, session: SessionDep,
                            principal: Reporter) -> Response:
    form = {k: str(v).strip() for k, v in (await request.form()).items() if k != "csrf_token"}
    try:
        try:
            period = date.fromisoformat(form.get("period", ""))
        except ValueError:
            raise InvalidInput("period: not a date (YYYY-MM-DD)", field="period",
                               key=N_("mon.err.period_not_date")) from None
        counts = {}
        for name in monitoring.FIGURES:
            try:
                counts[name] = int(form.get(name) or 0)
            except ValueError:
                raise InvalidInput(f"{name}: not a whole number", field=name, key=N_("mon.err.figure_range"),
                                   params={"figure": name}) from None
        try:
            spent = programme._money(form.get("spent") or "0", "spent")
        except InvalidInput as exc:
            raise InvalidInput(exc.detail, field="spent", key=N_("mon.err.spent_not_amount")) from None
        monitoring.report_progress(session, actor=principal, proposal_id=proposal_id,
                                   action_code=form.get("action_code", ""), period=period, spent=spent,
                                   note=form.get("note", ""), enrolled=counts["enrolled"],
                                   completed=counts["completed"], certified=counts["certified"],
                                   placed=counts["placed"])
    except DomainError as exc:
        session.rollback()
        return _monitoring_page(request, session, principal, proposal_id, form=form, error=_error(request, exc),
                                status_code=exc.status)
    session.commit()
    return redirect(request, "pact_monitoring_page", "saved=true", proposal_id=proposal_id)


# --- Cabina di regia -----------------------------------------------------------------------------------------

@router.get("/cabina", response_class=HTMLResponse, name="pact_cabina_page")
def cabina_page(request: Request, session: SessionDep, principal: MonitorReader) -> Response:
    overview = monitoring.cabina(session, principal=principal)
    lang = _lang(request)
    provinces = {code: {"pacts": round(f.pacts, 2), "budget": float(f.budget), "spent": float(f.spent),
                        "enrolled": round(f.enrolled, 1), "target_enrolled": round(f.target_enrolled, 1),
                        "alerts": f.alerts,
                        "tooltip": gettext("cab.map.tooltip", lang, budget=format_money(f.budget, lang),
                                           enrolled=format_number(round(f.enrolled), lang),
                                           target=format_number(round(f.target_enrolled), lang))}
                 for code, f in overview.provinces.items()}
    return render(request, "cabina.html", {
        "c": overview, "provinces": provinces, "territory": monitoring.territory_of,
        "geojson_url": str(request.app.url_path_for("provinces_geojson")) + "?region=ITC4",
        "now": datetime.now(UTC),
    })
