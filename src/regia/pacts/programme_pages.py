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

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from regia.auth.errors import Conflict, DomainError, Forbidden, InvalidInput
from regia.auth.policy import READ, WRITE, Resource, can, require
from regia.auth.principal import Principal
from regia.db import request_session
from regia.pacts import monitoring, programme, states
from regia.pacts.models import (
    ACTION_KINDS,
    FUNDING_SOURCES,
    PROGRAMME_SUBMITTED,
    TARGET_GROUPS,
)
from regia.pacts.page_kit import redirect, render

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
        return programme.error_text(MESSAGES, lang, exc)
    return programme.localise(MESSAGES, lang, "prog.err.not_allowed" if isinstance(exc, Forbidden | Conflict)
                              else "prog.err.invalid")


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
                               field=f"lines[{k}].action", key="prog.err.line_action",
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
    return render(request, "programme.html", {
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
            raise InvalidInput("approve or return", field="op", key="prog.err.choose_decision")
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
        "error": error, "saved": saved, "form": form or {"period": date.today().isoformat()},
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
                               key="mon.err.period_not_date") from None
        counts = {}
        for name in monitoring.FIGURES:
            try:
                counts[name] = int(form.get(name) or 0)
            except ValueError:
                raise InvalidInput(f"{name}: not a whole number", field=name, key="mon.err.figure_range",
                                   params={"figure": name}) from None
        try:
            spent = programme._money(form.get("spent") or "0", "spent")
        except InvalidInput as exc:
            raise InvalidInput(exc.detail, field="spent", key="mon.err.spent_not_amount") from None
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
    provinces = {code: {"pacts": round(f.pacts, 2), "budget": float(f.budget), "spent": float(f.spent),
                        "enrolled": round(f.enrolled, 1), "target_enrolled": round(f.target_enrolled, 1),
                        "alerts": f.alerts} for code, f in overview.provinces.items()}
    return render(request, "cabina.html", {
        "c": overview, "provinces_json": json.dumps(provinces), "territory": monitoring.territory_of,
        "geojson_url": str(request.app.url_path_for("provinces_geojson")) + "?region=ITC4",
        "now": datetime.now(UTC),
    })


_IT_LABELS = {
    "fig.enrolled": "Iscritti", "fig.completed": "Conclusi", "fig.certified": "Certificati", "fig.placed": "Occupati",
    "alert.late": "In ritardo", "alert.underperforming": "Sotto obiettivo", "alert.overspending": "Spesa oltre budget",
    "alert.no_report": "Senza rendiconto",
}
_EN_LABELS = {
    "fig.enrolled": "Enrolled", "fig.completed": "Completed", "fig.certified": "Certified", "fig.placed": "Placed",
    "alert.late": "Late", "alert.underperforming": "Under target", "alert.overspending": "Over budget",
    "alert.no_report": "No report",
}

MESSAGES: dict[str, dict[str, str]] = {
    "it": {
        **{f"prog.{k}": v for k, v in _IT_LABELS.items()},
        **programme.MESSAGES["it"], **monitoring.MESSAGES["it"],
        "prog.err.line_action": "{field}: la voce di budget indica un'azione che non è nel programma ({action})",
        "prog.err.choose_decision": "scegli se approvare o restituire il programma",
        "prog.err.not_allowed": "Operazione non consentita nello stato attuale della proposta o per il tuo ruolo.",
        "prog.err.invalid": "Dati non validi: correggi e riprova.",
        "mon.err.period_not_date": "periodo: non è una data (AAAA-MM-GG)",
        "prog.title": "Programma di intervento",
        "prog.lead": "Il programma dettagliato del patto selezionato: azioni con calendario e obiettivi, budget per "
                     "partner e fonte di finanziamento, indicatori.",
        "prog.status": "Stato",
        "prog.deadline": "Scadenza per presentare il programma",
        "prog.back": "Torna alla proposta",
        "prog.to_monitoring": "Monitoraggio del patto",
        "prog.actions": "Azioni",
        "prog.action.code": "Codice",
        "prog.action.kind": "Tipo",
        "prog.action.title": "Titolo",
        "prog.action.course_id": "Corso del catalogo (n.)",
        "prog.action.skills": "Competenze ESCO (URI separati da spazi)",
        "prog.action.target_group": "Destinatari",
        "prog.action.lead_partner": "Partner responsabile (codice fiscale)",
        "prog.action.start_date": "Inizio",
        "prog.action.end_date": "Fine",
        "prog.action.targets": "Obiettivi",
        "prog.add_action": "Aggiungi un'azione",
        "prog.budget": "Budget per azione, partner e fonte",
        "prog.line.action": "Azione",
        "prog.line.partner": "Partner (codice fiscale)",
        "prog.line.source": "Fonte",
        "prog.line.amount": "Importo (€)",
        "prog.line.description": "Descrizione",
        "prog.add_line": "Aggiungi una voce di budget",
        "prog.summary": "Riepilogo per partner e fonte",
        "prog.partner": "Partner",
        "prog.total": "Totale",
        "prog.granted": "Concesso",
        "prog.cofinancing_share": "Quota di cofinanziamento: {share} (minimo richiesto dall'avviso: {min})",
        "prog.indicators": "Indicatori del programma",
        "prog.ind.indicator": "Indicatore",
        "prog.ind.unit": "Unità",
        "prog.ind.baseline": "Valore di partenza",
        "prog.ind.target": "Obiettivo",
        "prog.ind.actions": "Azioni collegate (codici separati da virgole)",
        "prog.add_indicator": "Aggiungi un indicatore",
        "prog.notes": "Note",
        "prog.save": "Salva il programma",
        "prog.check": "Verifica",
        "prog.prefill": "Precompila dalla manifestazione di interesse",
        "prog.submit": "Presenta il programma",
        "prog.saved": "Programma salvato.",
        "prog.issues": "Il programma non può ancora essere presentato:",
        "prog.no_issues": "Verifica superata: il programma può essere presentato.",
        "prog.done.submitted": "Programma presentato alla Regione.",
        "prog.done.approved": "Programma approvato.",
        "prog.done.returned": "Programma restituito al partenariato.",
        "prog.readonly": "Puoi leggere questo programma ma non modificarlo.",
        "prog.empty": "Il programma non ha ancora azioni.",
        "prog.decision": "Decisione della Regione",
        "prog.decision.note": "Nota (obbligatoria per restituire il programma)",
        "prog.approve": "Approva il programma",
        "prog.return": "Restituisci al partenariato",
        "prog.error": "Errore",
        "mon.title": "Monitoraggio del patto",
        "mon.lead": "Avanzamento di ogni azione rispetto agli obiettivi, spesa rispetto al budget, segnalazioni.",
        "mon.to_programme": "Programma di intervento",
        "mon.action": "Azione",
        "mon.period": "Periodo",
        "mon.dates": "Calendario",
        "mon.progress": "Avanzamento",
        "mon.spending": "Spesa",
        "mon.of": "{value} su {target}",
        "mon.spent_of": "{spent} € su {budget} €",
        "mon.alerts": "Segnalazioni",
        "mon.no_alerts": "Nessuna segnalazione.",
        "mon.no_actions": "Il patto non ha ancora azioni di programma.",
        "mon.report": "Invia un rendiconto di avanzamento",
        "mon.report_help": "Dati cumulativi alla fine del periodo; inviare di nuovo lo stesso periodo lo sostituisce.",
        "mon.spent": "Speso finora (€)",
        "mon.note": "Nota",
        "mon.send": "Invia il rendiconto",
        "mon.saved": "Rendiconto registrato.",
        "mon.history": "Rendiconti inviati",
        "mon.total": "Totale del patto",
        "cab.title": "Cabina di regia",
        "cab.lead": "Tutti i patti con un programma: stato, budget, spesa, partecipanti rispetto agli obiettivi, "
                    "segnalazioni; la mappa riporta il budget per provincia.",
        "cab.map": "Budget dei patti per provincia",
        "cab.needs_js": "La mappa richiede JavaScript; i dati sono nella tabella.",
        "cab.pact": "Patto",
        "cab.territory": "Territorio",
        "cab.budget": "Budget (€)",
        "cab.spent": "Speso (€)",
        "cab.participants": "Iscritti / obiettivo",
        "cab.alerts": "Segnalazioni",
        "cab.csv": "Scarica in CSV",
        "cab.empty": "Nessun patto con un programma.",
        "cab.totals": "{n} patti · budget {budget} € · speso {spent} € · iscritti {enrolled} su {target}",
    },
    "en": {
        **{f"prog.{k}": v for k, v in _EN_LABELS.items()},
        **programme.MESSAGES["en"], **monitoring.MESSAGES["en"],
        "prog.err.line_action": "{field}: the budget line names no action of the programme ({action})",
        "prog.err.choose_decision": "approve or return the programme",
        "prog.err.not_allowed": "Not allowed in the proposal's current state or for your role.",
        "prog.err.invalid": "Invalid data: correct it and try again.",
        "mon.err.period_not_date": "period: not a date (YYYY-MM-DD)",
        "prog.title": "Detailed programme",
        "prog.lead": "The detailed programme of the selected pact: actions with schedule and targets, budget per "
                     "partner and funding source, indicators.",
        "prog.status": "Status",
        "prog.deadline": "Deadline to present the programme",
        "prog.back": "Back to the proposal",
        "prog.to_monitoring": "Monitoring of the pact",
        "prog.actions": "Actions",
        "prog.action.code": "Code",
        "prog.action.kind": "Kind",
        "prog.action.title": "Title",
        "prog.action.course_id": "Catalogue course (no.)",
        "prog.action.skills": "ESCO skills (URIs separated by spaces)",
        "prog.action.target_group": "Target group",
        "prog.action.lead_partner": "Lead partner (tax code)",
        "prog.action.start_date": "Start",
        "prog.action.end_date": "End",
        "prog.action.targets": "Targets",
        "prog.add_action": "Add an action",
        "prog.budget": "Budget per action, partner and source",
        "prog.line.action": "Action",
        "prog.line.partner": "Partner (tax code)",
        "prog.line.source": "Source",
        "prog.line.amount": "Amount (€)",
        "prog.line.description": "Description",
        "prog.add_line": "Add a budget line",
        "prog.summary": "Summary per partner and source",
        "prog.partner": "Partner",
        "prog.total": "Total",
        "prog.granted": "Granted",
        "prog.cofinancing_share": "Co-financing share: {share} (the call's minimum: {min})",
        "prog.indicators": "Indicators of the programme",
        "prog.ind.indicator": "Indicator",
        "prog.ind.unit": "Unit",
        "prog.ind.baseline": "Baseline",
        "prog.ind.target": "Target",
        "prog.ind.actions": "Linked actions (codes separated by commas)",
        "prog.add_indicator": "Add an indicator",
        "prog.notes": "Notes",
        "prog.save": "Save the programme",
        "prog.check": "Check",
        "prog.prefill": "Pre-fill from the manifestation of interest",
        "prog.submit": "Present the programme",
        "prog.saved": "Programme saved.",
        "prog.issues": "The programme cannot be presented yet:",
        "prog.no_issues": "Check passed: the programme may be presented.",
        "prog.done.submitted": "Programme presented to the Region.",
        "prog.done.approved": "Programme approved.",
        "prog.done.returned": "Programme returned to the partnership.",
        "prog.readonly": "You may read this programme but not edit it.",
        "prog.empty": "The programme has no actions yet.",
        "prog.decision": "The Region's decision",
        "prog.decision.note": "Note (required to return the programme)",
        "prog.approve": "Approve the programme",
        "prog.return": "Return to the partnership",
        "prog.error": "Error",
        "mon.title": "Monitoring of the pact",
        "mon.lead": "Progress of every action against its targets, spending against budget, alerts.",
        "mon.to_programme": "Detailed programme",
        "mon.action": "Action",
        "mon.period": "Period",
        "mon.dates": "Schedule",
        "mon.progress": "Progress",
        "mon.spending": "Spending",
        "mon.of": "{value} of {target}",
        "mon.spent_of": "€{spent} of €{budget}",
        "mon.alerts": "Alerts",
        "mon.no_alerts": "No alerts.",
        "mon.no_actions": "The pact has no programme actions yet.",
        "mon.report": "Send a progress report",
        "mon.report_help": "Cumulative figures at the end of the period; sending the same period again replaces it.",
        "mon.spent": "Spent so far (€)",
        "mon.note": "Note",
        "mon.send": "Send the report",
        "mon.saved": "Report recorded.",
        "mon.history": "Reports sent",
        "mon.total": "Whole pact",
        "cab.title": "Steering committee (Cabina di regia)",
        "cab.lead": "Every pact with a programme: status, budget, spending, participants against targets, alerts; "
                    "the map shows the budget per province.",
        "cab.map": "Budget of the pacts per province",
        "cab.needs_js": "The map needs JavaScript; the figures are in the table.",
        "cab.pact": "Pact",
        "cab.territory": "Territory",
        "cab.budget": "Budget (€)",
        "cab.spent": "Spent (€)",
        "cab.participants": "Enrolled / target",
        "cab.alerts": "Alerts",
        "cab.csv": "Download as CSV",
        "cab.empty": "No pact has a programme.",
        "cab.totals": "{n} pacts · budget €{budget} · spent €{spent} · enrolled {enrolled} of {target}",
    },
}
