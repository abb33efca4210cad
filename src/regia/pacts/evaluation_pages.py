"""Pages of the pacts' evaluation (Italian first): the evaluator's assignments, the declaration of conflicts
of interest, the score sheet, the panel's consensus sheet; the Region's admissibility and assignment page of
a proposal; the ranking of a call with its publication. Decisions are taken by :mod:`regia.pacts.evaluation`."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from regia.auth.errors import Conflict, DomainError, InvalidInput, NotFound
from regia.auth.models import Organisation, User
from regia.auth.policy import READ, WRITE, Resource, can, require
from regia.auth.principal import Principal
from regia.db import request_session
from regia.pacts import evaluation, letters, page_kit, programme, ranking
from regia.pacts.models import ADMISSIBLE, EVALUATED, STATUSES, SUBMITTED, Call, Proposal
from regia.pacts.page_kit import render

SessionDep = Annotated[Session, Depends(request_session)]
RegionReader = Annotated[Principal, Depends(require(READ, Resource.PACT_DECISION))]
RegionWriter = Annotated[Principal, Depends(require(WRITE, Resource.PACT_DECISION))]
EvalReader = Annotated[Principal, Depends(require(READ, Resource.PACT_EVALUATION))]
EvalWriter = Annotated[Principal, Depends(require(WRITE, Resource.PACT_EVALUATION))]

router = APIRouter()


def _redirect(request: Request, name: str, done: str | None = None, **params: int) -> Response:
    return page_kit.redirect(request, name, f"done={done}" if done else "", **params)


def _error_key(exc: DomainError) -> str:
    return "eval.error.conflict" if isinstance(exc, Conflict) else "eval.error.invalid"


def _lang(request: Request) -> str:
    return "en" if getattr(request.state, "lang", "it") == "en" else "it"


def _message(request: Request, exc: DomainError) -> str | None:
    """The error's own message in the page's language (its key); without a key, its English detail on English
    pages and nothing on Italian ones (the general message of :func:`_error_key` says it in Italian)."""
    lang = _lang(request)
    if exc.key:
        return programme.localise(MESSAGES, lang, exc.key, exc.params)
    return exc.detail if lang == "en" else None


def _org_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))).all())


def _criterion_of(field: str | None) -> str | None:
    """``scores.C2`` → ``C2`` (the criterion an error is about)."""
    return field.split(".", 1)[1] if field and field.startswith("scores.") else None


def _form_scores(form: Any, codes: list[str], *, only_changed: bool = False) -> dict[str, dict[str, str]]:
    """``score-<code>`` / ``comment-<code>`` fields; with ``only_changed``, those differing from the
    ``base-<code>`` / ``basecomment-<code>`` values the page was rendered with."""
    scores: dict[str, dict[str, str]] = {}
    for code in codes:
        value = str(form.get(f"score-{code}") or "").strip().replace(",", ".")
        comment = str(form.get(f"comment-{code}") or "").strip()
        if only_changed and (value, comment) == (str(form.get(f"base-{code}") or ""),
                                                 str(form.get(f"basecomment-{code}") or "")):
            continue
        if value or comment:
            scores[code] = {"score": value, "comment": comment}
    return scores


# --- the evaluator's side -----------------------------------------------------------------------------------

@router.get("/evaluation", response_class=HTMLResponse, name="pact_eval_home")
def evaluation_home(request: Request, session: SessionDep, principal: EvalReader) -> Response:
    """Evaluators: their assignments. Region staff: proposals to check and evaluate, and the calls' rankings."""
    mine = evaluation.list_assignments(session, principal=principal, mine=True)
    proposals = {p.id: p for p in session.scalars(select(Proposal).where(
        Proposal.id.in_([a.proposal_id for a in mine])))} if mine else {}
    region = can(principal, READ, Resource.PACT_DECISION)
    queue: list[Proposal] = []
    calls: list[Call] = []
    if region:
        queue = list(session.scalars(select(Proposal).where(Proposal.status.in_(
            (SUBMITTED, ADMISSIBLE, EVALUATED))).order_by(Proposal.call_id, Proposal.id)))
        calls = list(session.scalars(select(Call).order_by(Call.manifestation_deadline.desc())))
    orgs = _org_names(session, {p.organisation_id for p in (*proposals.values(), *queue)})
    return render(request, "evaluation_list.html", {"assignments": mine, "proposals": proposals, "region": region,
                                                     "queue": queue, "calls": calls, "orgs": orgs})


def _assignment_page(request: Request, session: Session, principal: Principal, assignment_id: int, *,
                     error: str | None = None, detail: str | None = None, form: dict[str, Any] | None = None,
                     unsaved: dict[str, dict[str, str]] | None = None, message: str | None = None,
                     status_code: int = 200) -> Response:
    assignment = evaluation.get_assignment(session, principal=principal, assignment_id=assignment_id)
    proposal = session.get(Proposal, assignment.proposal_id)
    assert proposal is not None
    call = session.get(Call, proposal.call_id) if proposal.call_id is not None else None
    version = evaluation.latest_version(session, proposal)
    own = assignment.evaluator_id == principal.user_id
    sheet = assignment.sheet
    # the panel's consensus sheet: always for calls that ask for consensus, otherwise once the spread shows
    needs_consensus = bool(call and sheet and assignment.conflict is False and (
        call.aggregation == "consensus" or (sheet.submitted_at and
                                             evaluation.aggregate(session, proposal=proposal).needs_consensus)))
    return render(request, "evaluation_sheet.html", {
        "assignment": assignment, "proposal": proposal, "call": call, "grid": evaluation.grid_of(call) if call else [],
        "body": version.body if version is not None else proposal.body, "evidence": version.evidence if version else {},
        "sheet": sheet, "own": own, "editable": own and sheet is not None and sheet.submitted_at is None
        and proposal.status == ADMISSIBLE, "csrf_token": principal.csrf or "", "error": error, "detail": detail,
        "form": form or {}, "done": request.query_params.get("done"), "needs_consensus": needs_consensus,
        "unsaved": unsaved or {}, "error_code": _criterion_of(detail), "message": message,
        "org_name": _org_names(session, {proposal.organisation_id}).get(proposal.organisation_id, ""),
    }, status_code)


@router.get("/evaluation/assignments/{assignment_id}", response_class=HTMLResponse, name="pact_eval_assignment")
def assignment_page(request: Request, assignment_id: int, session: SessionDep, principal: EvalReader) -> Response:
    return _assignment_page(request, session, principal, assignment_id)


@router.post("/evaluation/assignments/{assignment_id}/declaration", response_class=HTMLResponse,
             name="pact_eval_declare")
def declare(request: Request, assignment_id: int, session: SessionDep, principal: EvalWriter,
            conflict: Annotated[str, Form(max_length=3)] = "",
            note: Annotated[str, Form(max_length=4000)] = "") -> Response:
    try:
        if conflict not in ("yes", "no"):
            raise InvalidInput("choose yes or no", field="conflict", key="eval.error.choose")
        evaluation.declare(session, actor=principal, assignment_id=assignment_id, conflict=conflict == "yes",
                           note=note)
    except (Conflict, InvalidInput) as exc:
        session.rollback()
        return _assignment_page(request, session, principal, assignment_id, error=_error_key(exc),
                                detail=exc.field, message=_message(request, exc), status_code=exc.status)
    session.commit()
    return _redirect(request, "pact_eval_assignment", "declared", assignment_id=assignment_id)


@router.post("/evaluation/assignments/{assignment_id}/sheet", response_class=HTMLResponse, name="pact_eval_sheet")
async def save_sheet(request: Request, assignment_id: int, session: SessionDep, principal: EvalWriter) -> Response:
    form = await request.form()
    assignment = evaluation.get_assignment(session, principal=principal, assignment_id=assignment_id)
    proposal = session.get(Proposal, assignment.proposal_id)
    call = session.get(Call, proposal.call_id) if proposal and proposal.call_id else None
    codes = [c["code"] for c in evaluation.grid_of(call)] if call else []
    scores = _form_scores(form, codes)
    try:
        version = int(str(form.get("version") or "0"))
        if str(form.get("action")) == "submit":
            evaluation.submit_sheet(session, actor=principal, assignment_id=assignment_id, version=version,
                                    scores=scores)
            done = "submitted"
        else:
            evaluation.save_sheet(session, actor=principal, assignment_id=assignment_id, scores=scores,
                                  version=version)
            done = "saved"
    except Conflict as exc:
        # somebody else's save (or the sheet's state) wins: show the sheet as it is now, and what was typed
        session.rollback()
        return _assignment_page(request, session, principal, assignment_id, error=_error_key(exc),
                                unsaved=scores, message=_message(request, exc), status_code=exc.status)
    except (InvalidInput, ValueError) as exc:
        session.rollback()
        problem = exc if isinstance(exc, InvalidInput) else InvalidInput(
            "the version is not a number", field="version", key="eval.err.version_number")
        return _assignment_page(request, session, principal, assignment_id, error=_error_key(problem),
                                detail=problem.field, form=dict(form), message=_message(request, problem),
                                status_code=problem.status)
    session.commit()
    return _redirect(request, "pact_eval_assignment", done, assignment_id=assignment_id)


def _consensus_page(request: Request, session: Session, principal: Principal, proposal_id: int, *,
                    error: str | None = None, detail: str | None = None, status_code: int = 200) -> Response:
    sheet = evaluation.get_consensus(session, principal=principal, proposal_id=proposal_id)
    proposal = session.get(Proposal, proposal_id)
    assert proposal is not None
    call = session.get(Call, proposal.call_id) if proposal.call_id is not None else None
    panel = evaluation.list_assignments(session, principal=principal, proposal_id=proposal_id) \
        if can(principal, READ, Resource.PACT_DECISION) else []
    return render(request, "evaluation_consensus.html", {
        "proposal": proposal, "call": call, "grid": evaluation.grid_of(call) if call else [], "sheet": sheet,
        "editable": proposal.status == ADMISSIBLE and not can(principal, READ, Resource.PACT_DECISION),
        "sheets": evaluation.submitted_sheets(session, proposal_id), "panel": panel,
        "csrf_token": principal.csrf or "", "error": error, "detail": detail,
        "done": request.query_params.get("done")}, status_code)


@router.get("/evaluation/proposals/{proposal_id}/consensus", response_class=HTMLResponse, name="pact_eval_consensus")
def consensus_page(request: Request, proposal_id: int, session: SessionDep, principal: EvalReader) -> Response:
    return _consensus_page(request, session, principal, proposal_id)


@router.post("/evaluation/proposals/{proposal_id}/consensus", response_class=HTMLResponse,
             name="pact_eval_consensus_save")
async def consensus_save(request: Request, proposal_id: int, session: SessionDep,
                         principal: EvalWriter) -> Response:
    form = await request.form()
    row = session.get(Proposal, proposal_id)
    if row is None:
        raise NotFound(f"no proposal {proposal_id}", field="proposal_id")
    call = session.get(Call, row.call_id) if row and row.call_id else None
    codes = [c["code"] for c in evaluation.grid_of(call)] if call else []
    try:
        version = int(str(form.get("version") or "0"))
        evaluation.save_consensus(session, actor=principal, proposal_id=proposal_id, version=version,
                                  changes=_form_scores(form, codes, only_changed=True))
    except (Conflict, InvalidInput, ValueError) as exc:
        session.rollback()
        if isinstance(exc, ValueError):
            exc = InvalidInput("the version is not a number", field="version", key="eval.err.version_number")
        return _consensus_page(request, session, principal, proposal_id, error=_error_key(exc),
                               detail=_message(request, exc), status_code=exc.status)
    session.commit()
    return _redirect(request, "pact_eval_consensus", "saved", proposal_id=proposal_id)


# --- the Region's side --------------------------------------------------------------------------------------

def _check_note(request: Request, check: dict[str, Any]) -> str:
    """An admissibility check's note in the page's language (partner types by their names); a stored check
    without a key keeps its Italian note."""
    if not check.get("key"):
        return str(check.get("note") or "")
    lang = _lang(request)
    params = dict(check.get("params") or {})
    catalog = getattr(request.app.state, "catalog", None)
    if check["key"] == "eval.chk.types_missing" and catalog is not None:
        names = []
        for code in str(params.get("types") or "").split(","):
            key = f"pacts.orgtype.{code.strip()}"
            name = catalog.gettext(lang, key)
            names.append(code.strip() if name == key else name)
        params["types"] = ", ".join(names)
    return programme.localise(MESSAGES, lang, check["key"], params)


def _proposal_page(request: Request, session: Session, principal: Principal, proposal_id: int, *,
                   error: str | None = None, detail: str | None = None, status_code: int = 200) -> Response:
    proposal, checks = evaluation.admissibility_of(session, principal=principal, proposal_id=proposal_id)
    assignments = evaluation.list_assignments(session, principal=principal, proposal_id=proposal_id)
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_([a.evaluator_id for a in assignments])))}
    assigned = {a.evaluator_id for a in assignments}
    result = evaluation.aggregate(session, proposal=proposal) if proposal.status == ADMISSIBLE else None
    return render(request, "evaluation_proposal.html", {
        "proposal": proposal, "checks": checks, "all_passed": all(c["passed"] for c in checks),
        "assignments": assignments, "users": users,
        "candidates": [u for u in evaluation.evaluators(session) if u.id not in assigned],
        "aggregate": result, "call": session.get(Call, proposal.call_id) if proposal.call_id else None,
        "check_note": lambda c: _check_note(request, c),
        "writer": can(principal, WRITE, Resource.PACT_DECISION), "csrf_token": principal.csrf or "",
        "error": error, "detail": detail, "done": request.query_params.get("done"),
        "org_name": _org_names(session, {proposal.organisation_id}).get(proposal.organisation_id, ""),
    }, status_code)


@router.get("/evaluation/proposals/{proposal_id}", response_class=HTMLResponse, name="pact_eval_proposal")
def proposal_page(request: Request, proposal_id: int, session: SessionDep, principal: RegionReader) -> Response:
    return _proposal_page(request, session, principal, proposal_id)


def _region_action(request: Request, session: Session, principal: Principal, proposal_id: int, done: str,
                   action: Any) -> Response:
    try:
        action()
    except (Conflict, InvalidInput) as exc:
        session.rollback()
        return _proposal_page(request, session, principal, proposal_id, error=_error_key(exc),
                              detail=_message(request, exc), status_code=exc.status)
    session.commit()
    return _redirect(request, "pact_eval_proposal", done, proposal_id=proposal_id)


@router.post("/evaluation/proposals/{proposal_id}/admissibility", response_class=HTMLResponse,
             name="pact_eval_admissibility")
def decide(request: Request, proposal_id: int, session: SessionDep, principal: RegionWriter,
           decision: Annotated[str, Form(max_length=20)] = "",
           note: Annotated[str, Form(max_length=4000)] = "") -> Response:
    def act() -> None:
        if decision not in ("admissible", "inadmissible"):
            raise InvalidInput("choose admissible or inadmissible", field="decision", key="eval.error.choose")
        evaluation.decide_admissibility(session, actor=principal, proposal_id=proposal_id,
                                        admissible=decision == "admissible", note=note)
    return _region_action(request, session, principal, proposal_id, "decided", act)


@router.post("/evaluation/proposals/{proposal_id}/assignments", response_class=HTMLResponse,
             name="pact_eval_assign")
def assign(request: Request, proposal_id: int, session: SessionDep, principal: RegionWriter,
           evaluator_id: Annotated[int, Form(ge=0, le=2**31 - 1)] = 0) -> Response:
    def act() -> None:
        evaluation.assign(session, actor=principal, proposal_id=proposal_id, evaluator_id=evaluator_id)
    return _region_action(request, session, principal, proposal_id, "assigned", act)


@router.post("/evaluation/proposals/{proposal_id}/close", response_class=HTMLResponse, name="pact_eval_close")
def close(request: Request, proposal_id: int, session: SessionDep, principal: RegionWriter) -> Response:
    def act() -> None:
        evaluation.close_evaluation(session, actor=principal, proposal_id=proposal_id)
    return _region_action(request, session, principal, proposal_id, "closed", act)


def _rank_note(request: Request, note: str) -> str:
    """The rule that decided a place (stored in Italian, as in the graduatoria) in the page's language."""
    lang = _lang(request)
    if lang == "it" or not note:
        return note
    criterion = re.fullmatch(re.escape(ranking.rule_criterion("@")).replace("@", "(.+)"), note)
    if criterion:
        return programme.localise(MESSAGES, lang, "eval.rank.criterion", {"code": criterion.group(1)})
    key = {ranking.RULE_TOTAL: "eval.rank.total", ranking.RULE_TIED: "eval.rank.tied",
           ranking.RULE_SUBMISSION: "eval.rank.submission"}.get(note)
    return programme.localise(MESSAGES, lang, key) if key else note


def _ranking_page(request: Request, session: Session, principal: Principal, call_id: int, *,
                  error: str | None = None, detail: str | None = None, status_code: int = 200) -> Response:
    view = evaluation.preview_ranking(session, principal=principal, call_id=call_id)
    orgs = _org_names(session, {p.organisation_id for p in view.proposals.values()})
    return render(request, "ranking.html", {
        "view": view, "call": view.call, "orgs": orgs, "budget": evaluation.budget_of(view.call),
        "writer": can(principal, WRITE, Resource.PACT_DECISION), "csrf_token": principal.csrf or "",
        "error": error, "detail": detail, "done": request.query_params.get("done"), "ranking": ranking,
        "euro": letters.euro, "rank_note": lambda note: _rank_note(request, note),
        "total_granted": sum((a for o in view.selection.outcomes for a in o.granted.values()), Decimal(0)),
    }, status_code)


@router.get("/calls/{call_id}/ranking", response_class=HTMLResponse, name="pact_ranking_page")
def ranking_page(request: Request, call_id: int, session: SessionDep, principal: RegionReader) -> Response:
    return _ranking_page(request, session, principal, call_id)


@router.post("/calls/{call_id}/ranking", response_class=HTMLResponse, name="pact_ranking_publish")
def publish(request: Request, call_id: int, session: SessionDep, principal: RegionWriter) -> Response:
    try:
        evaluation.publish_ranking(session, actor=principal, call_id=call_id)
    except (Conflict, InvalidInput) as exc:
        session.rollback()
        return _ranking_page(request, session, principal, call_id, error=_error_key(exc),
                             detail=_message(request, exc), status_code=exc.status)
    session.commit()
    return _redirect(request, "pact_ranking_page", "published", call_id=call_id)


_STATES_IT = {"draft": "Bozza", "submitted": "Presentata", "admissible": "Ammissibile",
              "inadmissible": "Non ammissibile", "evaluated": "Valutata", "selected": "Selezionata",
              "not_selected": "Non selezionata", "programme_submitted": "Programma presentato",
              "approved": "Approvata", "in_progress": "In corso", "closed": "Chiusa"}
_STATES_EN = {"draft": "Draft", "submitted": "Submitted", "admissible": "Admissible", "inadmissible": "Inadmissible",
              "evaluated": "Evaluated", "selected": "Selected", "not_selected": "Not selected",
              "programme_submitted": "Programme submitted", "approved": "Approved", "in_progress": "In progress",
              "closed": "Closed"}
assert set(_STATES_IT) == set(_STATES_EN) == set(STATUSES)

MESSAGES: dict[str, dict[str, str]] = {
    "it": {
        **{f"eval.state.{k}": v for k, v in _STATES_IT.items()},
        **evaluation.MESSAGES["it"],
        "eval.err.version_number": "la versione della scheda non è un numero: ricarica la pagina",
        "eval.rank.total": ranking.RULE_TOTAL,
        "eval.rank.tied": ranking.RULE_TIED,
        "eval.rank.criterion": ranking.rule_criterion("{code}"),
        "eval.rank.submission": ranking.RULE_SUBMISSION,
        "eval.home.title": "Valutazione dei Patti territoriali",
        "eval.home.mine": "Le mie assegnazioni",
        "eval.home.none": "Nessuna proposta assegnata.",
        "eval.home.queue": "Proposte da verificare e valutare",
        "eval.home.calls": "Avvisi e graduatorie",
        "eval.open": "Apri",
        "eval.proposal": "Proposta",
        "eval.partnership": "Partenariato",
        "eval.status": "Stato",
        "eval.declaration": "Dichiarazione",
        "eval.sheet": "Scheda di valutazione",
        "eval.coi.pending": "Da dichiarare",
        "eval.coi.none": "Nessun conflitto",
        "eval.coi.conflict": "Conflitto di interessi",
        "eval.coi.title": "Dichiarazione sul conflitto di interessi",
        "eval.coi.intro": "Prima di valutare dichiara se hai un conflitto di interessi con il partenariato o "
                          "con uno dei suoi partner.",
        "eval.coi.no": "Dichiaro di non avere conflitti di interessi",
        "eval.coi.yes": "Dichiaro di avere un conflitto di interessi",
        "eval.coi.note": "Descrizione (obbligatoria in caso di conflitto)",
        "eval.coi.submit": "Invia la dichiarazione",
        "eval.coi.declared_conflict": "Hai dichiarato un conflitto di interessi: non puoi valutare questa proposta. "
                                      "La Regione assegnerà un altro valutatore.",
        "eval.sheet.draft": "Bozza",
        "eval.sheet.submitted": "Inviata",
        "eval.sheet.criterion": "Criterio",
        "eval.sheet.weight": "Peso",
        "eval.sheet.max": "Massimo",
        "eval.sheet.threshold": "Soglia",
        "eval.sheet.score": "Punteggio",
        "eval.sheet.comment": "Commento (obbligatorio sotto soglia)",
        "eval.sheet.save": "Salva la bozza",
        "eval.sheet.submit": "Invia la valutazione",
        "eval.sheet.readonly": "Scheda inviata: non è più modificabile.",
        "eval.sheet.version": "Versione della scheda",
        "eval.done.declared": "Dichiarazione registrata.",
        "eval.done.saved": "Salvataggio eseguito.",
        "eval.done.submitted": "Valutazione inviata.",
        "eval.done.decided": "Decisione sull'ammissibilità registrata.",
        "eval.done.assigned": "Valutatore assegnato.",
        "eval.done.closed": "Valutazione chiusa.",
        "eval.done.published": "Graduatoria pubblicata.",
        "eval.error.conflict": "Operazione non possibile: i dati sono stati modificati da qualcun altro nel "
                               "frattempo oppure la proposta non è nello stato richiesto. Ricarica la pagina.",
        "eval.error.invalid": "Dati non validi: correggi e riprova.",
        "eval.error.choose": "Scegli una delle opzioni.",
        "eval.error.criterion": "Criterio {code}: il punteggio va da 0 al massimo del criterio; sotto la soglia "
                                "il commento è obbligatorio; per inviare servono tutti i criteri.",
        "eval.error.unsaved": "Valori non salvati che avevi inserito:",
        "eval.manifestation": "Manifestazione di interesse",
        "eval.partners": "Partner",
        "eval.territory": "Territorio",
        "eval.evidence": "Evidenze sui fabbisogni (istantanea alla presentazione)",
        "eval.consensus.title": "Scheda di consenso del panel",
        "eval.consensus.intro": "I valutatori concordano qui i punteggi. Ogni salvataggio modifica solo i criteri "
                                "che hai cambiato; se un altro valutatore ha cambiato lo stesso criterio nel "
                                "frattempo, il salvataggio è rifiutato.",
        "eval.consensus.needed": "Le valutazioni differiscono oltre lo scarto ammesso (o l'avviso prevede il "
                                 "consenso): serve la scheda di consenso.",
        "eval.consensus.open": "Apri la scheda di consenso",
        "eval.consensus.save": "Salva le modifiche",
        "eval.consensus.sheets": "Schede individuali inviate",
        "eval.admissibility.title": "Verifica di ammissibilità",
        "eval.admissibility.check": "Verifica",
        "eval.admissibility.outcome": "Esito",
        "eval.admissibility.note": "Dettaglio",
        "eval.admissibility.passed": "Superata",
        "eval.admissibility.failed": "Non superata",
        "eval.admissibility.admissible": "Ammissibile",
        "eval.admissibility.inadmissible": "Non ammissibile",
        "eval.admissibility.reason": "Motivazione",
        "eval.admissibility.decide": "Registra la decisione",
        "eval.check.deadline": "Presentazione entro la scadenza",
        "eval.check.min_partners": "Numero minimo di partner",
        "eval.check.partner_types": "Tipologie di partner richieste",
        "eval.check.commitment_letters": "Lettere di impegno",
        "eval.check.territory": "Territorio ammissibile",
        "eval.check.decision": "Decisione",
        "eval.assign.title": "Valutatori",
        "eval.assign.evaluator": "Valutatore",
        "eval.assign.submit": "Assegna",
        "eval.assign.none": "Nessun valutatore assegnato.",
        "eval.close.title": "Chiusura della valutazione",
        "eval.close.method": "Metodo",
        "eval.close.sheets": "Schede inviate",
        "eval.close.submit": "Chiudi la valutazione",
        "eval.method.average": "Media delle schede",
        "eval.method.consensus": "Scheda di consenso",
        "eval.final": "Punteggi finali",
        "eval.total": "Punteggio totale",
        "eval.letter": "Lettera di esito (PDF)",
        "eval.ranking.title": "Graduatoria",
        "eval.ranking.preview": "Anteprima: la graduatoria non è ancora pubblicata.",
        "eval.ranking.published": "Graduatoria pubblicata il {when}.",
        "eval.ranking.rank": "Posizione",
        "eval.ranking.note": "Criterio di posizionamento",
        "eval.ranking.requested": "Richiesto",
        "eval.ranking.granted": "Concesso",
        "eval.ranking.outcome": "Esito",
        "eval.ranking.publish": "Pubblica graduatoria",
        "eval.ranking.pending": "Proposte ancora da verificare o valutare:",
        "eval.ranking.empty": "Nessuna proposta valutata.",
        "eval.ranking.budget": "Dotazione per fonte di finanziamento",
        "eval.ranking.source": "Fonte",
        "eval.ranking.envelope": "Dotazione",
        "eval.ranking.remaining": "Residuo",
        "eval.ranking.link": "Graduatoria",
        "eval.outcome.selected": "Finanziata",
        "eval.outcome.not_funded": "Idonea non finanziata",
        "eval.outcome.below_threshold": "Non idonea (sotto soglia)",
        "eval.outcome.over_max_grant": "Richiesta oltre il massimo concedibile",
        "eval.back": "Torna alla valutazione",
    },
    "en": {
        **{f"eval.state.{k}": v for k, v in _STATES_EN.items()},
        **evaluation.MESSAGES["en"],
        "eval.err.version_number": "the sheet's version is not a number: reload the page",
        "eval.rank.total": "total score",
        "eval.rank.tied": "full tie: the same rank",
        "eval.rank.criterion": "equal totals: criterion {code} decides",
        "eval.rank.submission": "equal scores: the earlier submission decides",
        "eval.home.title": "Evaluation of territorial pacts",
        "eval.home.mine": "My assignments",
        "eval.home.none": "No proposals assigned.",
        "eval.home.queue": "Proposals to check and evaluate",
        "eval.home.calls": "Calls and rankings",
        "eval.open": "Open",
        "eval.proposal": "Proposal",
        "eval.partnership": "Partnership",
        "eval.status": "Status",
        "eval.declaration": "Declaration",
        "eval.sheet": "Score sheet",
        "eval.coi.pending": "To declare",
        "eval.coi.none": "No conflict",
        "eval.coi.conflict": "Conflict of interest",
        "eval.coi.title": "Conflict of interest declaration",
        "eval.coi.intro": "Before scoring, declare whether you have a conflict of interest with the partnership "
                          "or one of its partners.",
        "eval.coi.no": "I declare I have no conflict of interest",
        "eval.coi.yes": "I declare a conflict of interest",
        "eval.coi.note": "Description (required with a conflict)",
        "eval.coi.submit": "Send the declaration",
        "eval.coi.declared_conflict": "You declared a conflict of interest: you cannot score this proposal. The "
                                      "Region will assign another evaluator.",
        "eval.sheet.draft": "Draft",
        "eval.sheet.submitted": "Submitted",
        "eval.sheet.criterion": "Criterion",
        "eval.sheet.weight": "Weight",
        "eval.sheet.max": "Maximum",
        "eval.sheet.threshold": "Threshold",
        "eval.sheet.score": "Score",
        "eval.sheet.comment": "Comment (required below the threshold)",
        "eval.sheet.save": "Save the draft",
        "eval.sheet.submit": "Submit the evaluation",
        "eval.sheet.readonly": "Sheet submitted: it can no longer be changed.",
        "eval.sheet.version": "Sheet version",
        "eval.done.declared": "Declaration recorded.",
        "eval.done.saved": "Saved.",
        "eval.done.submitted": "Evaluation submitted.",
        "eval.done.decided": "Admissibility decision recorded.",
        "eval.done.assigned": "Evaluator assigned.",
        "eval.done.closed": "Evaluation closed.",
        "eval.done.published": "Ranking published.",
        "eval.error.conflict": "Not possible: somebody else changed the data in the meantime, or the proposal is "
                               "not in the required state. Reload the page.",
        "eval.error.invalid": "Invalid data: correct it and try again.",
        "eval.error.choose": "Choose one of the options.",
        "eval.error.criterion": "Criterion {code}: the score goes from 0 to the criterion's maximum; below the "
                                "threshold a comment is required; submitting needs every criterion.",
        "eval.error.unsaved": "Unsaved values you had typed:",
        "eval.manifestation": "Manifestation of interest",
        "eval.partners": "Partners",
        "eval.territory": "Territory",
        "eval.evidence": "Evidence of the needs (snapshot at submission)",
        "eval.consensus.title": "The panel's consensus sheet",
        "eval.consensus.intro": "Evaluators agree on the scores here. Each save changes only the criteria you "
                                "changed; if another evaluator changed the same criterion meanwhile, the save is "
                                "refused.",
        "eval.consensus.needed": "The scores differ beyond the allowed spread (or the call asks for consensus): the "
                                 "consensus sheet is needed.",
        "eval.consensus.open": "Open the consensus sheet",
        "eval.consensus.save": "Save the changes",
        "eval.consensus.sheets": "Submitted individual sheets",
        "eval.admissibility.title": "Admissibility check",
        "eval.admissibility.check": "Check",
        "eval.admissibility.outcome": "Outcome",
        "eval.admissibility.note": "Detail",
        "eval.admissibility.passed": "Passed",
        "eval.admissibility.failed": "Failed",
        "eval.admissibility.admissible": "Admissible",
        "eval.admissibility.inadmissible": "Inadmissible",
        "eval.admissibility.reason": "Reason",
        "eval.admissibility.decide": "Record the decision",
        "eval.check.deadline": "Submitted by the deadline",
        "eval.check.min_partners": "Minimum number of partners",
        "eval.check.partner_types": "Required partner types",
        "eval.check.commitment_letters": "Letters of commitment",
        "eval.check.territory": "Eligible territory",
        "eval.check.decision": "Decision",
        "eval.assign.title": "Evaluators",
        "eval.assign.evaluator": "Evaluator",
        "eval.assign.submit": "Assign",
        "eval.assign.none": "No evaluator assigned.",
        "eval.close.title": "Closing the evaluation",
        "eval.close.method": "Method",
        "eval.close.sheets": "Submitted sheets",
        "eval.close.submit": "Close the evaluation",
        "eval.method.average": "Average of the sheets",
        "eval.method.consensus": "Consensus sheet",
        "eval.final": "Final scores",
        "eval.total": "Total score",
        "eval.letter": "Outcome letter (PDF)",
        "eval.ranking.title": "Ranking",
        "eval.ranking.preview": "Preview: the ranking is not published yet.",
        "eval.ranking.published": "Ranking published on {when}.",
        "eval.ranking.rank": "Rank",
        "eval.ranking.note": "Deciding rule",
        "eval.ranking.requested": "Requested",
        "eval.ranking.granted": "Granted",
        "eval.ranking.outcome": "Outcome",
        "eval.ranking.publish": "Publish the ranking",
        "eval.ranking.pending": "Proposals still to be checked or evaluated:",
        "eval.ranking.empty": "No evaluated proposals.",
        "eval.ranking.budget": "Envelope per funding source",
        "eval.ranking.source": "Source",
        "eval.ranking.envelope": "Envelope",
        "eval.ranking.remaining": "Remaining",
        "eval.ranking.link": "Ranking",
        "eval.outcome.selected": "Funded",
        "eval.outcome.not_funded": "Eligible, not funded",
        "eval.outcome.below_threshold": "Not eligible (below threshold)",
        "eval.outcome.over_max_grant": "Request over the maximum grant",
        "eval.back": "Back to the evaluation",
    },
}
