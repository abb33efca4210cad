"""The certification pages under ``/certification`` (Italian; English with ``?lang=en``).

Public: the standards (search, one standard with its competences, the ESCO alignment and the courses that
prepare for it), the verification page (paste or upload a credential), shared credentials. Signed in: the
person's *fascicolo* (their requests, documents, credentials — JSON, QR-coded PDF, share links), the requests
a user may see, one request with the forms of the party whose move it is, the Region's delegations.

Stable element ids for the browser tests: ``#standards``, ``#request-form``, ``#verify-form``, ``#credential-text``,
``#credential-file``, ``#verdict`` (``data-status``), ``#dossier``, ``#request-status``, ``#request-error``,
``#act-<action>`` (the form of each action), ``#credentials``, ``#revoke-form``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.datastructures import UploadFile as FormFile

from regia.auth.errors import DomainError, InvalidInput, NotFound
from regia.auth.models import Membership, Organisation, OrgType, Role, User
from regia.auth.policy import READ, WRITE, Resource, can, public, require
from regia.auth.principal import Principal
from regia.certification import (
    credentials,
    delegations,
    documents,
    issuers,
    procedure,
    sharing,
    standards,
    states,
    verify,
)
from regia.certification.models import (
    ASSIGNMENT_ROLES,
    EXPERIENCE_KINDS,
    LEARNING,
    METHODS,
    STATUSES,
    Accreditation,
    AssessorProfile,
    CourseCompetence,
    Credential,
)
from regia.certification.models import (
    Request as IvcRequest,
)
from regia.clock import rome_today
from regia.db import request_session
from regia.i18n import DEFAULT, N_, gettext

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
NAV = [("certification", "certification_standards_page", N_("nav.certification"))]
SessionDep = Annotated[Session, Depends(request_session)]
Anyone = Annotated[Principal, Depends(public(READ, "the standards, verification and shared credentials are public"))]
AnyoneVerifies = Annotated[Principal, Depends(public(WRITE, "anyone verifies a credential"))]
Reader = Annotated[Principal, Depends(require(READ, Resource.IVC_REQUEST))]
Writer = Annotated[Principal, Depends(require(WRITE, Resource.IVC_REQUEST))]
CredentialReader = Annotated[Principal, Depends(require(READ, Resource.IVC_CREDENTIAL))]
CredentialWriter = Annotated[Principal, Depends(require(WRITE, Resource.IVC_CREDENTIAL))]
StandardWriter = Annotated[Principal, Depends(require(WRITE, Resource.IVC_STANDARD))]
DelegationReader = Annotated[Principal, Depends(require(READ, Resource.IVC_DELEGATION))]
DelegationWriter = Annotated[Principal, Depends(require(WRITE, Resource.IVC_DELEGATION))]
MAX_PASTE = 512 * 1024

router = APIRouter(prefix="/certification")

STATE_LABELS = [N_("certification.state.requested"), N_("certification.state.identification"),
                N_("certification.state.validation"), N_("certification.state.validated"),
                N_("certification.state.certification"), N_("certification.state.assessed"),
                N_("certification.state.certified"), N_("certification.state.closed"),
                N_("certification.state.withdrawn"), N_("certification.state.refused")]
ACTION_LABELS = [N_("certification.action.take_charge"), N_("certification.action.refuse"),
                 N_("certification.action.withdraw"), N_("certification.action.submit_dossier"),
                 N_("certification.action.close_validation"), N_("certification.action.open_certification"),
                 N_("certification.action.close"), N_("certification.action.record_outcome"),
                 N_("certification.action.issue_certificate"), N_("certification.action.close_not_certified")]
ALIGNMENT_LABELS = [N_("certification.alignment.suggested"), N_("certification.alignment.confirmed"),
                    N_("certification.alignment.rejected")]
ROLE_LABELS = [N_("certification.role.validation"), N_("certification.role.president"),
               N_("certification.role.evaluation_expert"), N_("certification.role.sector_expert")]
LEARNING_LABELS = [N_("certification.learning.formal"), N_("certification.learning.non_formal"),
                   N_("certification.learning.informal")]
KIND_LABELS = [N_("certification.kind.work"), N_("certification.kind.training"), N_("certification.kind.volunteering"),
               N_("certification.kind.other"), N_("certification.doc.transparency"), N_("certification.doc.validation"),
               N_("certification.doc.certificate"), N_("certification.method.test"),
               N_("certification.method.interview"), N_("certification.method.practical_trial"),
               N_("certification.origin.import"), N_("certification.origin.classifier"),
               N_("certification.origin.person"), N_("certification.channel.person"),
               N_("certification.channel.provider"), N_("certification.channel.fund")]


def _lang(request: Request) -> str:
    return getattr(request.state, "lang", DEFAULT)


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    return request.app.state.templates.TemplateResponse(request, f"certification/{name}",
                                                        {"nav": "certification", "instant": verify.instant,
                                                         **context},
                                                        status_code=status_code)


def _message(request: Request, exc: DomainError) -> str:
    """A service error in the page's language (its key), else its English detail."""
    if exc.key:
        try:
            return gettext(exc.key, _lang(request), **{k: str(v) for k, v in exc.params.items()})
        except (KeyError, ValueError):
            pass
    return exc.detail


def _org_names(session: Session, ids: set[int]) -> dict[int, str]:
    return {o.id: o.name for o in session.scalars(select(Organisation).where(Organisation.id.in_(ids)))} if ids else {}


# --- standards (public) --------------------------------------------------------------------------------------

@router.get("", response_class=HTMLResponse, name="certification_standards_page")
def standards_page(request: Request, session: SessionDep, principal: Anyone, q: str = "",
                   sector: str = "") -> Response:
    """The QRSP standards with Italian search, their competences and the ESCO alignment."""
    found = standards.search(session, text=q[:200], sector=sector or None)
    return render(request, "standards.html", {"profiles": found, "q": q, "sector": sector,
                                              "sectors": standards.sectors(session)})


@router.get("/standards/{code}/{version}", response_class=HTMLResponse, name="certification_standard_page")
def standard_page(request: Request, code: str, version: int, session: SessionDep, principal: Anyone,
                  error: str = "", status_code: int = 200) -> Response:
    """One version of a standard: competences, abilities, knowledge, the ESCO alignment with its origin, the
    courses that prepare for it, and (for a signed-in person) the request form."""
    profile = standards.get_profile(session, code=code[:40], version=version)
    courses = {c.code: [r.course_id for r in session.scalars(select(CourseCompetence).where(
        CourseCompetence.profile_code == profile.code, CourseCompetence.competence_code == c.code))]
        for c in profile.competences}
    providers = session.scalars(select(Organisation).join(Accreditation, Accreditation.organisation_id ==
                                                          Organisation.id).where(Organisation.type == OrgType.PROVIDER)
                                .order_by(Organisation.name)).all()
    return render(request, "standard.html", {
        "p": profile, "versions": standards.versions(session, profile.code), "courses": courses,
        "providers": providers, "may_request": principal.authenticated and principal.is_citizen,
        "may_align": can(principal, WRITE, Resource.IVC_STANDARD) and principal.authenticated,
        "csrf_token": principal.csrf or "", "error": error}, status_code=status_code)


@router.post("/standards/{code}/{version}/alignments", response_class=HTMLResponse,
             name="certification_standard_alignments")
async def standard_alignments(request: Request, code: str, version: int, session: SessionDep,
                              principal: StandardWriter) -> Response:
    """Region staff: ask the classifier for ESCO alignments, confirm or reject a suggestion (origin kept)."""
    form = await request.form()
    try:
        if _text(form, "action", 20) == "suggest":
            profile = standards.get_profile(session, code=code[:40], version=version)
            standards.suggest_alignments(request.app.state.engine, session, actor=principal, profile=profile)
        else:
            standards.decide_alignment(session, actor=principal, alignment_id=_int(form, "alignment_id"),
                                       confirm=_text(form, "action", 20) == "confirm")
        session.commit()
    except DomainError as exc:
        session.rollback()
        if isinstance(exc, NotFound):
            raise
        return standard_page(request, code, version, session, principal, error=_message(request, exc),
                             status_code=exc.status)
    return RedirectResponse(str(request.url_for("certification_standard_page", code=code, version=version)),
                            status_code=303)


# --- verification (public) -----------------------------------------------------------------------------------

@router.get("/verify", response_class=HTMLResponse, name="certification_verify_page")
def verify_page(request: Request, principal: Anyone) -> Response:
    return render(request, "verify.html", {"verdict": None, "text": ""})


@router.post("/verify", response_class=HTMLResponse, name="certification_verify_submit")
async def verify_submit(request: Request, session: SessionDep, principal: AnyoneVerifies,
                        credential: Annotated[str, Form(max_length=MAX_PASTE)] = "",
                        file: Annotated[UploadFile | None, File()] = None) -> Response:
    """Paste or upload a credential: its verdict with the reason, in Italian."""
    data: bytes | str = credential
    if file is not None and file.filename:
        data = await file.read(MAX_PASTE + 1)
        if len(data) > MAX_PASTE:
            data = b""
    verdict = verify.verify(session, data) if data else verify.Verdict(
        verify.MALFORMED, N_("certification.why.empty"), "nothing to verify")
    return render(request, "verify.html", {"verdict": verdict, "text": credential[:MAX_PASTE]})


@router.get("/share/{token}", response_class=HTMLResponse, name="certification_share_page")
def share_page(request: Request, token: str, session: SessionDep, principal: Anyone) -> Response:
    """What a verifier sees through the person's link: the credential and its live status."""
    try:
        link, credential = sharing.resolve(session, token[:100])
    except NotFound as exc:
        return render(request, "share.html", {"error": _message(request, exc), "verdict": None}, status_code=404)
    return render(request, "share.html", {"error": None, "verdict": verify.verify(session, credential.body),
                                          "link": link, "credential": credential})


# --- the person's dossier ------------------------------------------------------------------------------------

@router.get("/dossier", response_class=HTMLResponse, name="certification_dossier_page")
def dossier_page(request: Request, session: SessionDep, principal: Reader, shared: str = "") -> Response:
    """The person's *fascicolo*: only their own requests, documents and credentials."""
    mine = session.scalars(select(IvcRequest).where(IvcRequest.person_user_id == principal.user_id)
                           .order_by(IvcRequest.id.desc())).all()
    ids = [r.id for r in mine]
    creds = session.scalars(select(Credential).where(Credential.request_id.in_(ids))
                            .order_by(Credential.issued_at.desc())).all() if ids else []
    docs = {r.id: procedure.documents_of(session, principal=principal, request_id=r.id) for r in mine}
    verdicts = {c.id: verify.verify(session, c.body) for c in creds}
    return render(request, "dossier.html", {
        "requests": mine, "documents": docs, "credentials": creds, "verdicts": verdicts,
        "orgs": _org_names(session, {r.provider_org_id for r in mine} | {r.titolare_org_id for r in mine}),
        "csrf_token": principal.csrf or "", "shared": shared})


@router.post("/requests", response_class=HTMLResponse, name="certification_request_create")
def create_request(request: Request, session: SessionDep, principal: Writer,
                   profile_code: Annotated[str, Form(max_length=40)],
                   provider_org_id: Annotated[int, Form(ge=1, le=2**31 - 1)],
                   given_name: Annotated[str, Form(max_length=100)], family_name: Annotated[str, Form(max_length=100)],
                   tax_code: Annotated[str, Form(max_length=20)], birth_date: Annotated[str, Form(max_length=10)],
                   birth_place: Annotated[str, Form(max_length=100)] = "",
                   version: Annotated[int, Form(ge=1, le=10_000)] = 1) -> Response:
    """A person requests the certification of a standard's competences through a provider."""
    try:
        try:
            born = date.fromisoformat(birth_date)
        except ValueError:
            raise InvalidInput("birth date", field="birth_date", key=N_("certification.err.birth_date")) from None
        row = procedure.create(session, actor=principal, profile_code=profile_code, provider_org_id=provider_org_id,
                               person=procedure.Person(given_name, family_name, tax_code, born, birth_place))
        session.commit()
    except DomainError as exc:
        session.rollback()
        return standard_page(request, profile_code, version, session, principal, error=_message(request, exc),
                             status_code=exc.status)
    return RedirectResponse(str(request.url_for("certification_request_page", request_id=row.id)), status_code=303)


# --- requests ------------------------------------------------------------------------------------------------

@router.get("/requests", response_class=HTMLResponse, name="certification_requests_page")
def requests_page(request: Request, session: SessionDep, principal: Reader, status: str = "") -> Response:
    """The requests a user may see (the person theirs, providers and enti titolari theirs, assessors their
    assignments'), with the statistics per phase."""
    rows = procedure.list_visible(session, principal=principal, status=status if status in STATUSES else None)
    return render(request, "requests.html", {
        "requests": rows, "status": status, "statuses": STATUSES,
        "stats": procedure.statistics(session, principal=principal),
        "orgs": _org_names(session, {r.provider_org_id for r in rows} | {r.titolare_org_id for r in rows}),
        "assignments": procedure.assignments_of(session, principal=principal)})


def _request_context(session: Session, principal: Principal, row: IvcRequest) -> dict[str, Any]:
    parties = states.parties_of(principal, row)
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_({a.user_id for a in row.assignments})))}
    assessors = session.scalars(select(User).join(Membership, Membership.user_id == User.id)
                                .where(Membership.role == Role.ASSESSOR).order_by(User.display_name)).all() \
        if states.Party.PROVIDER in parties else []
    presidents = session.scalars(select(User).join(Membership, Membership.user_id == User.id)
                                 .where(Membership.organisation_id == row.titolare_org_id,
                                        Membership.role.in_((Role.ADMIN, Role.EDITOR)))).all() \
        if states.Party.PROVIDER in parties else []
    qualifications = {a.user_id: a for a in session.scalars(select(AssessorProfile))}
    creds = session.scalars(select(Credential).where(Credential.request_id == row.id)).all()
    moves = [(t.target, t.action) for (source, _), t in states.TRANSITIONS.items()
             if source == row.status and t.parties & parties and t.target != "assessed"]
    return {
        "r": row, "parties": {p.value for p in parties}, "moves": moves,
        "documents": procedure.documents_of(session, principal=principal, request_id=row.id),
        "evidence": procedure.evidence_of(session, principal=principal, request_id=row.id),
        "orgs": _org_names(session, {row.provider_org_id, row.titolare_org_id}), "users": users,
        "assessors": assessors, "presidents": presidents, "qualifications": qualifications,
        "credentials": creds, "may_revoke": {c.id: can(principal, WRITE, Resource.IVC_CREDENTIAL, c) for c in creds},
        "my_assignments": [a for a in row.assignments if a.user_id == principal.user_id],
        "person_edits": row.status in states.PERSON_EDITS_DOSSIER,
        "provider_edits": row.status in states.PROVIDER_EDITS_DOSSIER,
        "csrf_token": principal.csrf or "", "kinds": EXPERIENCE_KINDS, "learning": LEARNING, "methods": METHODS,
        "roles": ASSIGNMENT_ROLES, "today": rome_today().isoformat()}


@router.get("/requests/{request_id}", response_class=HTMLResponse, name="certification_request_page")
def request_page(request: Request, request_id: int, session: SessionDep, principal: Reader, done: str = "",
                 error: str = "", status_code: int = 200) -> Response:
    row = procedure.get(session, principal=principal, id=request_id)
    return render(request, "request.html", {**_request_context(session, principal, row), "done": done,
                                            "error": error}, status_code=status_code)


def _text(form: FormData, name: str, limit: int = 2000) -> str:
    value = form.get(name)
    return value[:limit].strip() if isinstance(value, str) else ""


def _date_of(form: FormData, name: str) -> date | None:
    value = _text(form, name, 10)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{name} is not a date", field=name, key=N_("certification.err.date")) from None


def _int(form: FormData, name: str) -> int:
    value = _text(form, name, 12)
    if not value.isdigit():
        raise InvalidInput(f"{name} is not a number", field=name, key=N_("certification.err.number"))
    return int(value)


async def _act(session: Session, principal: Principal, request_id: int, action: str, form: FormData) -> None:
    """One action of a request's page, by whoever the service allows."""
    if action == "move":
        procedure.advance(session, actor=principal, request_id=request_id, target=_text(form, "target", 20),
                          note=_text(form, "note") or None)
    elif action == "experience":
        procedure.add_experience(session, actor=principal, request_id=request_id, kind=_text(form, "kind", 20),
                                 title=_text(form, "title", 300), organisation=_text(form, "organisation", 300),
                                 description=_text(form, "description", 4000),
                                 started_on=_date_of(form, "started_on"), ended_on=_date_of(form, "ended_on"))
    elif action == "claim":
        course = _text(form, "course_id", 12)
        procedure.claim(session, actor=principal, request_id=request_id, competence_code=_text(form, "competence", 40),
                        learning=_text(form, "learning", 20), context=_text(form, "context"),
                        course_id=int(course) if course.isdigit() else None)
    elif action == "evidence":
        upload = form.get("file")
        if not isinstance(upload, FormFile) or not upload.filename:
            raise InvalidInput("choose a file", field="file", key=N_("certification.err.empty_file"))
        procedure.upload_evidence(session, actor=principal, request_id=request_id, filename=upload.filename,
                                  data=await upload.read(procedure.MAX_BYTES + 1),
                                  description=_text(form, "description", 300))
    elif action == "assign":
        procedure.assign(session, actor=principal, request_id=request_id, user_id=_int(form, "user_id"),
                         role=_text(form, "role", 20))
    elif action == "declare":
        procedure.declare(session, actor=principal, assignment_id=_int(form, "assignment_id"),
                          conflict=_text(form, "conflict", 5) == "yes", note=_text(form, "note"))
    elif action == "evaluate":
        row = procedure.get(session, principal=principal, id=request_id)
        for claim in row.claims:
            verdict = _text(form, f"claim-{claim.id}", 5)
            if verdict in ("yes", "no"):
                procedure.evaluate(session, actor=principal, request_id=request_id, claim_id=claim.id,
                                   validated=verdict == "yes", reason=_text(form, f"reason-{claim.id}"))
    elif action == "outcome":
        row = procedure.get(session, principal=principal, id=request_id)
        outcomes = {c.id: (_text(form, f"claim-{c.id}", 5) == "yes", _text(form, f"reason-{c.id}"))
                    for c in row.claims if c.validated}
        procedure.record_outcome(session, actor=principal, request_id=request_id, method=_text(form, "method", 20),
                                 assessed_on=_date_of(form, "assessed_on") or rome_today(), outcomes=outcomes)
    elif action == "validation_credentials":
        procedure.issue_validation_credentials(session, actor=principal, request_id=request_id)
    else:
        raise InvalidInput(f"unknown action {action!r}", field="action")


@router.post("/requests/{request_id}", response_class=HTMLResponse, name="certification_request_act")
async def request_act(request: Request, request_id: int, session: SessionDep, principal: Writer) -> Response:
    """The request page's forms (``action``: move, experience, claim, evidence, assign, declare, evaluate,
    outcome, validation_credentials): back to the page with the outcome, or the error (with its status)."""
    form = await request.form()
    action = _text(form, "action", 40)
    try:
        await _act(session, principal, request_id, action, form)
        session.commit()
    except DomainError as exc:
        session.rollback()
        if isinstance(exc, NotFound):
            raise
        return request_page(request, request_id, session, principal, error=_message(request, exc),
                            status_code=exc.status)
    url = request.url_for("certification_request_page", request_id=request_id)
    return RedirectResponse(f"{url}?done={action}", status_code=303)


# --- documents and credentials ----------------------------------------------------------------------------------

@router.get("/documents/{document_id}.pdf", name="certification_document_pdf")
def document_pdf(document_id: int, session: SessionDep, principal: Reader) -> Response:
    document = procedure.get_document(session, principal=principal, id=document_id)
    verify_url = f"{issuers.public_url()}/certification/verify" \
        if credentials.of_document(session, document.id) else None
    return Response(documents.pdf(document, verify_url=verify_url), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{document.number}.pdf"'})


@router.get("/credentials/{credential_id}.json", name="certification_credential_json")
def credential_json(credential_id: str, session: SessionDep, principal: CredentialReader) -> Response:
    credential = credentials.get(session, principal=principal, id=credential_id[:60])
    return JSONResponse(credential.body, media_type="application/ld+json", headers={
        "Content-Disposition": f'attachment; filename="credenziale-{credential.id}.json"'})


@router.get("/credentials/{credential_id}.pdf", name="certification_credential_pdf")
def credential_pdf(credential_id: str, session: SessionDep, principal: CredentialReader) -> Response:
    """The certificate of the credential as PDF, with a QR code of the verification page."""
    credential = credentials.get(session, principal=principal, id=credential_id[:60])
    document = procedure.get_document(session, principal=principal, id=credential.document_id)
    return Response(documents.pdf(document, verify_url=f"{issuers.public_url()}/certification/verify"),
                    media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{document.number}.pdf"'})


@router.post("/credentials/{credential_id}/share", response_class=HTMLResponse, name="certification_credential_share")
def credential_share(request: Request, credential_id: str, session: SessionDep, principal: CredentialReader,
                     days: Annotated[int, Form(ge=1, le=365)] = 30) -> Response:
    _, token = sharing.create(session, actor=principal, credential_id=credential_id[:60], days=days)
    session.commit()
    url = request.url_for("certification_share_page", token=token)
    return RedirectResponse(f"{request.url_for('certification_dossier_page')}?shared={url}", status_code=303)


@router.post("/credentials/{credential_id}/revoke", response_class=HTMLResponse,
             name="certification_credential_revoke")
def credential_revoke(request: Request, credential_id: str, session: SessionDep, principal: CredentialWriter,
                      reason: Annotated[str, Form(max_length=2000)] = "") -> Response:
    """The issuer revokes a credential with a reason (audited; its status list bit is set)."""
    credential = credentials.get(session, principal=principal, id=credential_id[:60])
    try:
        credentials.revoke(session, actor=principal, id=credential.id, reason=reason)
        session.commit()
    except DomainError as exc:
        session.rollback()
        return request_page(request, credential.request_id, session, principal, error=_message(request, exc),
                            status_code=exc.status)
    url = request.url_for("certification_request_page", request_id=credential.request_id)
    return RedirectResponse(f"{url}?done=revoke", status_code=303)


# --- delegations (the Region; a Fund reads its own) ----------------------------------------------------------------

@router.get("/delegations", response_class=HTMLResponse, name="certification_delegations_page")
def delegations_page(request: Request, session: SessionDep, principal: DelegationReader, error: str = "",
                     status_code: int = 200) -> Response:
    rows = delegations.list_visible(session, principal=principal)
    funds = session.scalars(select(Organisation).where(Organisation.type == OrgType.FUND)
                            .order_by(Organisation.name)).all()
    return render(request, "delegations.html", {
        "delegations": rows, "funds": funds, "orgs": {f.id: f.name for f in funds},
        "writer": can(principal, WRITE, Resource.IVC_DELEGATION), "csrf_token": principal.csrf or "",
        "active": {d.id: delegations.active_at(d, _now()) for d in rows}, "error": error,
        "sectors": standards.sectors(session)}, status_code=status_code)


def _now() -> datetime:
    return datetime.now(UTC)


@router.post("/delegations", response_class=HTMLResponse, name="certification_delegations_act")
async def delegations_act(request: Request, session: SessionDep, principal: DelegationWriter) -> Response:
    form = await request.form()
    try:
        if _text(form, "action", 20) == "revoke":
            delegations.revoke(session, actor=principal, id=_int(form, "delegation_id"), reason=_text(form, "reason"))
        else:
            delegations.grant(session, actor=principal, organisation_id=_int(form, "organisation_id"),
                              valid_from=_date_of(form, "valid_from") or rome_today(),
                              valid_to=_date_of(form, "valid_to") or rome_today(),
                              profiles=_text(form, "profiles", 2000).replace(";", ",").split(","),
                              sectors=[v for v in form.getlist("sectors") if isinstance(v, str)],
                              legal_reference=_text(form, "legal_reference", 300))
        session.commit()
    except DomainError as exc:
        session.rollback()
        return delegations_page(request, session, principal, error=_message(request, exc), status_code=exc.status)
    return RedirectResponse(str(request.url_for("certification_delegations_page")), status_code=303)

