"""Pages of pact proposals: the list a user may see, one proposal (an edit form for its editors)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from regia.auth import service as accounts
from regia.auth.errors import Conflict, InvalidInput
from regia.auth.policy import READ, WRITE, Resource, can, require
from regia.auth.principal import Principal
from regia.db import request_session
from regia.pacts import service
from regia.pacts.models import Proposal

SessionDep = Annotated[Session, Depends(request_session)]
Reader = Annotated[Principal, Depends(require(READ, Resource.PACT_PROPOSAL))]
Writer = Annotated[Principal, Depends(require(WRITE, Resource.PACT_PROPOSAL))]

router = APIRouter()


def _render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    return request.app.state.templates.TemplateResponse(request, f"pacts/{name}", context, status_code=status_code)


def _org_names(session: Session, principal: Principal, ids: set[int]) -> dict[int, str]:
    names = {}
    for org_id in ids:
        try:
            names[org_id] = accounts.get_organisation(session, principal=principal, id=org_id).name
        except Exception:  # an organisation the user may not read: show its number only
            names[org_id] = f"#{org_id}"
    return names


@router.get("/proposals", response_class=HTMLResponse, name="pact_proposals_page")
def proposals_page(request: Request, session: SessionDep, principal: Reader) -> Response:
    rows, total = service.list_visible(session, principal=principal, limit=200)
    return _render(request, "list.html", {"proposals": rows, "total": total,
                                          "orgs": _org_names(session, principal, {p.organisation_id for p in rows})})


def _proposal_page(request: Request, session: SessionDep, principal: Principal, proposal: Proposal, *,
                   error: str | None = None, saved: bool = False, status_code: int = 200) -> Response:
    return _render(request, "proposal.html", {
        "proposal": proposal, "editable": can(principal, WRITE, Resource.PACT_PROPOSAL, proposal),
        "csrf_token": principal.csrf or "", "error": error, "saved": saved,
        "org_name": _org_names(session, principal, {proposal.organisation_id})[proposal.organisation_id],
    }, status_code)


@router.get("/proposals/{proposal_id}", response_class=HTMLResponse, name="pact_proposal_page")
def proposal_page(request: Request, proposal_id: int, session: SessionDep, principal: Reader,
                  saved: bool = False) -> Response:
    proposal = service.get(session, principal=principal, id=proposal_id)
    return _proposal_page(request, session, principal, proposal, saved=saved)


@router.post("/proposals/{proposal_id}", response_class=HTMLResponse, name="pact_proposal_save")
def proposal_save(request: Request, proposal_id: int, session: SessionDep, principal: Writer,
                  title: Annotated[str, Form(max_length=300)] = "",
                  summary: Annotated[str, Form(max_length=20_000)] = "",
                  version: Annotated[int, Form(ge=1)] = 1) -> Response:
    proposal = service.get(session, principal=principal, id=proposal_id)
    try:
        if not title.strip():
            raise InvalidInput("pacts.error.title", field="title")
        service.update(session, actor=principal, id=proposal_id, title=title,
                       body={**proposal.body, "summary": summary}, version=version)
    except (Conflict, InvalidInput) as exc:
        session.rollback()
        key = "pacts.error.title" if isinstance(exc, InvalidInput) else "pacts.error.conflict"
        proposal = service.get(session, principal=principal, id=proposal_id)
        return _proposal_page(request, session, principal, proposal, error=key,
                              status_code=422 if isinstance(exc, InvalidInput) else 409)
    session.commit()
    target = str(request.app.url_path_for("pact_proposal_page", proposal_id=proposal_id))
    return RedirectResponse(f"{target}?saved=true", status_code=303)


MESSAGES: dict[str, dict[str, str]] = {
    "it": {
        "pacts.list.title": "Proposte di Patto territoriale",
        "pacts.list.empty": "Nessuna proposta visibile con il tuo profilo.",
        "pacts.list.count": "{total} proposte",
        "pacts.field.title": "Titolo",
        "pacts.field.summary": "Sintesi della proposta",
        "pacts.field.organisation": "Partenariato",
        "pacts.field.status": "Stato",
        "pacts.field.version": "Versione",
        "pacts.status.draft": "Bozza",
        "pacts.status.submitted": "Presentata",
        "pacts.save": "Salva la bozza",
        "pacts.saved": "Bozza salvata.",
        "pacts.readonly": "Puoi leggere questa proposta ma non modificarla.",
        "pacts.error.title": "Il titolo è obbligatorio.",
        "pacts.error.conflict": "La proposta è stata modificata da qualcun altro nel frattempo, oppure è già "
                                "stata presentata: ricarica la pagina.",
        "pacts.back": "Tutte le proposte",
    },
    "en": {
        "pacts.list.title": "Territorial pact proposals",
        "pacts.list.empty": "No proposals are visible with your profile.",
        "pacts.list.count": "{total} proposals",
        "pacts.field.title": "Title",
        "pacts.field.summary": "Summary of the proposal",
        "pacts.field.organisation": "Partnership",
        "pacts.field.status": "Status",
        "pacts.field.version": "Version",
        "pacts.status.draft": "Draft",
        "pacts.status.submitted": "Submitted",
        "pacts.save": "Save the draft",
        "pacts.saved": "Draft saved.",
        "pacts.readonly": "You may read this proposal but not edit it.",
        "pacts.error.title": "The title is required.",
        "pacts.error.conflict": "Somebody else changed the proposal in the meantime, or it has been submitted: "
                                "reload the page.",
        "pacts.back": "All proposals",
    },
}
