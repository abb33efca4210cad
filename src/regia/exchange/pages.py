"""The person's page of the exchange: who read my data, for which purpose, and my consents.

``/account/data`` lists the calls of client systems that read records about the signed-in person (by the
pseudonym of the codice fiscale their SPID/CIE login gave: never the code itself) and, for each purpose that
needs consent, lets them give or withdraw it (``POST /account/data/consents``, with the session's CSRF
token). A consent withdrawn takes effect at the next read: the person's records are withheld from that
purpose's clients. Declared with the policy resource ``personal_data`` (each signed-in person, their own
data only).

Stable element ids for tests: ``#no-identity``, ``#accesses`` (rows ``tr[data-client]``), ``#no-accesses``,
``#consents`` (rows ``tr[data-purpose]``), ``#consent-saved``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from regia.auth import service as accounts
from regia.auth.errors import DomainError
from regia.auth.policy import READ, WRITE, Resource, require
from regia.auth.principal import Principal
from regia.db import request_session
from regia.exchange import service as exchange
from regia.exchange.models import GRANTED
from regia.exchange.registry import REGISTRY
from regia.i18n import N_

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
router = APIRouter(prefix="/account/data")
SessionDep = Annotated[Session, Depends(request_session)]
Reader = Annotated[Principal, Depends(require(READ, Resource.PERSONAL_DATA))]
Writer = Annotated[Principal, Depends(require(WRITE, Resource.PERSONAL_DATA))]
STATUS = {"granted": N_("exchange.consent.granted"), "withdrawn": N_("exchange.consent.withdrawn"),
          "none": N_("exchange.consent.none")}
SAVED = (N_("exchange.consent.saved.give"), N_("exchange.consent.saved.withdraw"))  # shown after a decision


def _subject(session: Session, principal: Principal) -> str | None:
    user = accounts.load_user(session, principal.user_id or 0)
    return user.fiscal_code_pseudonym if user is not None else None


def _purpose_label(code: str) -> str:
    purpose = REGISTRY.purpose(code)
    return purpose.label if purpose is not None else code


@router.get("", response_class=HTMLResponse, name="exchange_my_data_page")
def my_data(request: Request, session: SessionDep, principal: Reader, saved: str | None = None) -> Response:
    subject = _subject(session, principal)
    accesses = exchange.accesses(session, subject) if subject else []
    held = exchange.consents(session, subject) if subject else {}
    consents = [{"purpose": p, "status": held[p.code].status if p.code in held else "none",
                 "updated_at": held[p.code].updated_at if p.code in held else None}
                for p in exchange.consent_purposes()]
    return request.app.state.templates.TemplateResponse(request, "exchange/my_data.html", {
        "nav": "", "subject": subject, "accesses": accesses, "consents": consents, "status_keys": STATUS,
        "purpose_label": _purpose_label, "csrf_token": principal.csrf or "", "saved": saved, "granted": GRANTED})


@router.post("/consents", name="exchange_consent_submit")
def set_consent(request: Request, session: SessionDep, principal: Writer,
                purpose: Annotated[str, Form(max_length=60)] = "",
                decision: Annotated[str, Form(max_length=10)] = "") -> Response:
    subject = _subject(session, principal)
    if subject is None or decision not in ("give", "withdraw"):
        return RedirectResponse(request.app.url_path_for("exchange_my_data_page"), status_code=303)
    try:
        exchange.set_consent(session, actor=principal, subject=subject, purpose=purpose, given=decision == "give")
    except DomainError:
        session.rollback()
        return RedirectResponse(request.app.url_path_for("exchange_my_data_page"), status_code=303)
    session.commit()
    target = request.app.url_path_for("exchange_my_data_page")
    return RedirectResponse(f"{target}?saved={decision}", status_code=303)
