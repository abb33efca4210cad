"""REST API of the certification domain under ``/api/certification`` (OpenAPI at ``/docs``), and the public
JSON documents a verifier dereferences: issuers' controller and ``did:web`` documents, status lists.

Public: the standards, verification of a credential, share links, issuers and status lists. Everything else
needs an account; what a user sees and does is decided row by row (:mod:`regia.auth.policy`,
:mod:`regia.certification.states`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from regia.auth.errors import Forbidden, InvalidInput, NotFound
from regia.auth.policy import READ, WRITE, Resource, can, public, require
from regia.auth.principal import Principal
from regia.auth.schemas import document_problems
from regia.certification import (
    credentials,
    delegations,
    documents,
    europass,
    issuers,
    procedure,
    service,
    sharing,
    standards,
    statuslist,
    verify,
)
from regia.certification.schemas import (
    AlignmentDecisionIn,
    AlignmentOut,
    AssignmentIn,
    AssignmentOut,
    ClaimIn,
    ClaimOut,
    CourseCompetencesIn,
    CredentialOut,
    DeclarationIn,
    DelegationIn,
    DelegationOut,
    DocumentOut,
    EvaluationIn,
    EvidenceOut,
    ExperienceIn,
    ExperienceOut,
    MoveIn,
    OutcomeIn,
    ProfileOut,
    RequestIn,
    RequestOut,
    RevokeIn,
    ShareIn,
    ShareOut,
    Status,
    VerdictOut,
)
from regia.db import request_session
from regia.i18n import gettext

SessionDep = Annotated[Session, Depends(request_session)]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Anyone = Annotated[Principal, Depends(public(READ, "the QRSP standards and the issuers' documents are public"))]
Verifier = Annotated[Principal, Depends(public(WRITE, "anyone verifies a credential"))]
Reader = Annotated[Principal, Depends(require(READ, Resource.IVC_REQUEST))]
Writer = Annotated[Principal, Depends(require(WRITE, Resource.IVC_REQUEST))]
Assessor = Annotated[Principal, Depends(require(WRITE, Resource.IVC_ASSESSMENT))]
AssessmentReader = Annotated[Principal, Depends(require(READ, Resource.IVC_ASSESSMENT))]
CredentialReader = Annotated[Principal, Depends(require(READ, Resource.IVC_CREDENTIAL))]
CredentialWriter = Annotated[Principal, Depends(require(WRITE, Resource.IVC_CREDENTIAL))]
DelegationReader = Annotated[Principal, Depends(require(READ, Resource.IVC_DELEGATION))]
DelegationWriter = Annotated[Principal, Depends(require(WRITE, Resource.IVC_DELEGATION))]
StandardWriter = Annotated[Principal, Depends(require(WRITE, Resource.IVC_STANDARD))]
CourseWriter = Annotated[Principal, Depends(require(WRITE, Resource.CATALOG))]
JSONLD = "application/ld+json"

router = APIRouter(prefix="/api/certification", tags=["certification"], responses={
    401: {"description": "Not authenticated (problem details)"},
    403: {"description": "Refused by the access policy or the delegation (problem details)"},
})
documents_router = APIRouter(prefix="/certification", tags=["certification"])


def verdict_out(verdict: verify.Verdict, lang: str = "it") -> VerdictOut:
    params = {k: str(v) for k, v in verdict.params.items()}
    return VerdictOut(**verdict.as_dict(), message=gettext(verdict.key, lang, **params))


# --- public: standards, verification, share links ----------------------------------------------------------

@router.get("/standards", response_model=list[ProfileOut], summary="QRSP standards (search in Italian)")
def list_standards(session: SessionDep, principal: Anyone, q: Annotated[str, Query(max_length=200)] = "",
                   sector: Annotated[str | None, Query(max_length=40)] = None,
                   all_versions: bool = False) -> list[ProfileOut]:
    return [ProfileOut.model_validate(p) for p in standards.search(session, text=q, sector=sector,
                                                                   all_versions=all_versions)]


@router.get("/standards/{code}", response_model=ProfileOut, summary="One standard (newest version, or ?version=)",
            responses={404: {"description": "No such standard"}})
def get_standard(code: Annotated[str, Path(max_length=40)], session: SessionDep, principal: Anyone,
                 version: Annotated[int | None, Query(ge=1, le=10_000)] = None) -> ProfileOut:
    return ProfileOut.model_validate(standards.get_profile(session, code=code, version=version))


@router.post("/standards/{code}/suggestions", summary="Ask the classifier for ESCO alignments (Region staff)",
             responses={409: {"description": "The ESCO skills are not loaded"}})
def suggest_alignments(code: Annotated[str, Path(max_length=40)], request: Request, session: SessionDep,
                       principal: StandardWriter) -> dict[str, int]:
    """Suggestions of the classifier for each competence of the standard's newest version; a person confirms
    them (the origin stays ``classifier``)."""
    profile = standards.get_profile(session, code=code)
    added = standards.suggest_alignments(request.app.state.engine, session, actor=principal, profile=profile)
    session.commit()
    return {"added": added}


@router.post("/alignments/{alignment_id}", response_model=AlignmentOut,
             summary="Confirm or reject an ESCO alignment (Region staff)")
def decide_alignment(alignment_id: Id, body: AlignmentDecisionIn, session: SessionDep,
                     principal: StandardWriter) -> AlignmentOut:
    row = standards.decide_alignment(session, actor=principal, alignment_id=alignment_id, confirm=body.confirm)
    session.commit()
    return AlignmentOut.model_validate(row)


@router.post("/verify", response_model=VerdictOut, summary="Verify a credential (JSON body, anyone)")
def verify_credential(body: dict[str, Any], session: SessionDep, principal: Verifier) -> VerdictOut:
    """valid / tampered / revoked / unknown_issuer / not_delegated / expired / malformed, with the reason."""
    return verdict_out(verify.verify(session, body))


@router.post("/verify/file", response_model=VerdictOut, summary="Verify an uploaded credential file (anyone)")
async def verify_file(session: SessionDep, principal: Verifier,
                      file: Annotated[UploadFile, File(description="The credential (JSON)")]) -> VerdictOut:
    data = await file.read(512 * 1024 + 1)
    if len(data) > 512 * 1024:
        raise InvalidInput("a credential file is at most 512 KB", field="file")
    return verdict_out(verify.verify(session, data))


@router.get("/share/{token}", summary="A shared credential and its live status (anyone with the link)",
            responses={404: {"description": "Unknown, expired or ended link"}})
def shared(token: Annotated[str, Path(min_length=10, max_length=100)], session: SessionDep,
           principal: Anyone) -> dict[str, Any]:
    link, credential = sharing.resolve(session, token)
    return {"credential": credential.body, "verdict": verdict_out(verify.verify(session, credential.body)).model_dump(),
            "expires_at": link.expires_at}


# --- requests ------------------------------------------------------------------------------------------------

@router.get("/requests", response_model=list[RequestOut], summary="IVC requests you may read")
def list_requests(session: SessionDep, principal: Reader, status: Status | None = None) -> list[RequestOut]:
    """The person their own; providers and enti titolari theirs; assessors those they are assigned to."""
    return [RequestOut.model_validate(r) for r in procedure.list_visible(session, principal=principal, status=status)]


@router.post("/requests", response_model=RequestOut, status_code=201, summary="Request an IVC procedure")
def create_request(body: RequestIn, session: SessionDep, principal: Writer) -> RequestOut:
    p = body.person
    request = procedure.create(session, actor=principal, profile_code=body.profile_code,
                               provider_org_id=body.provider_org_id, titolare_org_id=body.titolare_org_id,
                               person=procedure.Person(p.given_name, p.family_name, p.tax_code, p.birth_date,
                                                       p.birth_place),
                               person_email=body.person_email, note=body.note)
    session.commit()
    return RequestOut.model_validate(request)


@router.get("/requests/{request_id}", response_model=RequestOut, summary="One request",
            responses={404: {"description": "No such request (or not yours)"}})
def get_request(request_id: Id, session: SessionDep, principal: Reader) -> RequestOut:
    return RequestOut.model_validate(procedure.get(session, principal=principal, id=request_id))


@router.post("/requests/{request_id}/experiences", response_model=ExperienceOut, status_code=201,
             summary="Add an experience to the dossier")
def add_experience(request_id: Id, body: ExperienceIn, session: SessionDep, principal: Writer) -> ExperienceOut:
    row = procedure.add_experience(session, actor=principal, request_id=request_id, **body.model_dump())
    session.commit()
    return ExperienceOut.model_validate(row)


@router.post("/requests/{request_id}/claims", response_model=ClaimOut, status_code=201,
             summary="Claim a competence of the standard")
def add_claim(request_id: Id, body: ClaimIn, session: SessionDep, principal: Writer) -> ClaimOut:
    row = procedure.claim(session, actor=principal, request_id=request_id, **body.model_dump())
    session.commit()
    return ClaimOut.model_validate(row)


@router.post("/requests/{request_id}/evidence", response_model=EvidenceOut, status_code=201,
             summary="Upload a document of the dossier (PDF, PNG or JPEG, at most 5 MB)")
async def upload_evidence(request_id: Id, session: SessionDep, principal: Writer,
                          file: Annotated[UploadFile, File(description="The document")],
                          description: Annotated[str, Form(max_length=300)] = "") -> EvidenceOut:
    data = await file.read(procedure.MAX_BYTES + 1)
    row = procedure.upload_evidence(session, actor=principal, request_id=request_id,
                                    filename=file.filename or "documento", data=data, description=description)
    session.commit()
    return EvidenceOut.model_validate(row)


@router.get("/requests/{request_id}/evidence", response_model=list[EvidenceOut], summary="The dossier's documents")
def list_evidence(request_id: Id, session: SessionDep, principal: Reader) -> list[EvidenceOut]:
    return [EvidenceOut.model_validate(e) for e in procedure.evidence_of(session, principal=principal,
                                                                         request_id=request_id)]


@router.get("/requests/{request_id}/evidence/{evidence_id}", summary="Download a document of the dossier",
            responses={200: {"content": {"application/pdf": {}, "image/png": {}, "image/jpeg": {}}}})
def download_evidence(request_id: Id, evidence_id: Id, session: SessionDep, principal: Reader) -> Response:
    row = procedure.get_evidence(session, principal=principal, request_id=request_id, id=evidence_id)
    return Response(row.data, media_type=row.content_type, headers={
        "Content-Disposition": f'attachment; filename="{row.filename}"', "X-Content-Type-Options": "nosniff"})


@router.post("/requests/{request_id}/assignments", response_model=AssignmentOut, status_code=201,
             summary="Assign an assessor (validation) or a member of the commission (the provider)")
def assign(request_id: Id, body: AssignmentIn, session: SessionDep, principal: Writer) -> AssignmentOut:
    row = procedure.assign(session, actor=principal, request_id=request_id, user_id=body.user_id, role=body.role)
    session.commit()
    return AssignmentOut.model_validate(row)


@router.post("/requests/{request_id}/claims/{claim_id}/evaluation", response_model=ClaimOut,
             summary="The validation of one claimed competence (the validation assessor)")
def evaluate(request_id: Id, claim_id: Id, body: EvaluationIn, session: SessionDep,
             principal: Assessor) -> ClaimOut:
    row = procedure.evaluate(session, actor=principal, request_id=request_id, claim_id=claim_id,
                             validated=body.validated, reason=body.reason)
    session.commit()
    return ClaimOut.model_validate(row)


@router.post("/requests/{request_id}/outcome", response_model=RequestOut,
             summary="The commission's outcome per competence (its evaluation expert)")
def record_outcome(request_id: Id, body: OutcomeIn, session: SessionDep, principal: Assessor) -> RequestOut:
    request = procedure.record_outcome(session, actor=principal, request_id=request_id, method=body.method,
                                       assessed_on=body.assessed_on,
                                       outcomes={o.claim_id: (o.certified, o.reason) for o in body.outcomes})
    session.commit()
    return RequestOut.model_validate(request)


@router.post("/requests/{request_id}/moves", response_model=RequestOut, summary="Move the request to a state",
             responses={409: {"description": "Not a legal move, or a guard of the move is not met"}})
def move(request_id: Id, body: MoveIn, session: SessionDep, principal: Writer) -> RequestOut:
    request = procedure.advance(session, actor=principal, request_id=request_id, target=body.target,
                                note=body.note or None)
    session.commit()
    return RequestOut.model_validate(request)


@router.post("/requests/{request_id}/validation-credentials", response_model=list[CredentialOut],
             summary="The person asks for their validated competences as credentials too")
def validation_credentials(request_id: Id, session: SessionDep, principal: Writer) -> list[CredentialOut]:
    rows = procedure.issue_validation_credentials(session, actor=principal, request_id=request_id)
    session.commit()
    return [_credential_out(c) for c in rows]


@router.get("/requests/{request_id}/documents", response_model=list[DocumentOut], summary="The documents issued")
def list_documents(request_id: Id, session: SessionDep, principal: Reader) -> list[DocumentOut]:
    return [DocumentOut.model_validate(d) for d in procedure.documents_of(session, principal=principal,
                                                                          request_id=request_id)]


@router.get("/documents/{document_id}", response_model=DocumentOut, summary="A document as data")
def get_document(document_id: Id, session: SessionDep, principal: Reader) -> DocumentOut:
    return DocumentOut.model_validate(procedure.get_document(session, principal=principal, id=document_id))


@router.get("/documents/{document_id}/pdf", summary="A document as PDF (Italian)",
            responses={200: {"content": {"application/pdf": {}}}})
def document_pdf(document_id: Id, session: SessionDep, principal: Reader) -> Response:
    document = procedure.get_document(session, principal=principal, id=document_id)
    url = f"{issuers.public_url()}/certification/verify" if credentials.of_document(session, document.id) else None
    return Response(documents.pdf(document, verify_url=url), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{document.number}.pdf"'})


@router.get("/documents/{document_id}/fascicolo", summary="The document as Libretto formativo / Fascicolo records")
def document_fascicolo(document_id: Id, session: SessionDep, principal: Reader) -> list[dict[str, Any]]:
    return documents.fascicolo_record(procedure.get_document(session, principal=principal, id=document_id))


@router.get("/statistics", summary="Requests per phase: open, overdue, average days")
def statistics(session: SessionDep, principal: Reader) -> dict[str, Any]:
    return procedure.statistics(session, principal=principal)


# --- assessors -------------------------------------------------------------------------------------------------

@router.get("/assignments", response_model=list[AssignmentOut], summary="Your assignments (assessors)")
def my_assignments(session: SessionDep, principal: AssessmentReader) -> list[AssignmentOut]:
    return [AssignmentOut.model_validate(a) for a in procedure.assignments_of(session, principal=principal)]


@router.post("/assignments/{assignment_id}/declaration", response_model=AssignmentOut,
             summary="Declare (no) conflict of interest")
def declare(assignment_id: Id, body: DeclarationIn, session: SessionDep, principal: Assessor) -> AssignmentOut:
    row = procedure.declare(session, actor=principal, assignment_id=assignment_id, conflict=body.conflict,
                            note=body.note)
    session.commit()
    return AssignmentOut.model_validate(row)


# --- credentials -----------------------------------------------------------------------------------------------

def _credential_out(c: Any) -> CredentialOut:
    out = CredentialOut.model_validate(c)
    out.name = str(c.body.get("name", ""))
    return out


@router.get("/credentials", response_model=list[CredentialOut], summary="Credentials you may read")
def list_credentials(session: SessionDep, principal: CredentialReader) -> list[CredentialOut]:
    return [_credential_out(c) for c in credentials.list_visible(session, principal=principal)]


@router.get("/credentials/{credential_id}", summary="A credential as issued (signed JSON-LD)",
            responses={200: {"content": {JSONLD: {}}}, 404: {"description": "No such credential (or not yours)"}})
def get_credential(credential_id: Annotated[str, Path(max_length=60)], session: SessionDep,
                   principal: CredentialReader) -> Response:
    credential = credentials.get(session, principal=principal, id=credential_id)
    return JSONResponse(credential.body, media_type=JSONLD, headers={
        "Content-Disposition": f'attachment; filename="credenziale-{credential.id}.json"'})


@router.get("/credentials/{credential_id}/europass", summary="The same certificate as a Europass (ELM 3) credential",
            responses={200: {"content": {JSONLD: {}}}})
def get_europass(credential_id: Annotated[str, Path(max_length=60)], session: SessionDep,
                 principal: CredentialReader) -> Response:
    credential = credentials.get(session, principal=principal, id=credential_id)
    return JSONResponse(europass.export(session, credential), media_type=JSONLD)


@router.post("/credentials/{credential_id}/revoke", response_model=CredentialOut,
             summary="Revoke a credential (its issuer, with a reason)")
def revoke(credential_id: Annotated[str, Path(max_length=60)], body: RevokeIn, session: SessionDep,
           principal: CredentialWriter) -> CredentialOut:
    credential = credentials.revoke(session, actor=principal, id=credential_id, reason=body.reason)
    session.commit()
    return _credential_out(credential)


@router.post("/credentials/{credential_id}/share", response_model=ShareOut, status_code=201,
             summary="A link with expiry for a verifier (the person)")
def share(credential_id: Annotated[str, Path(max_length=60)], body: ShareIn, session: SessionDep,
          principal: CredentialReader) -> ShareOut:
    link, token = sharing.create(session, actor=principal, credential_id=credential_id, days=body.days)
    session.commit()
    return ShareOut(url=f"{issuers.public_url()}/certification/share/{token}", expires_at=link.expires_at)


# --- the catalogue's courses ---------------------------------------------------------------------------------------

@router.put("/courses/{course_id}/competences", response_model=list[str],
            summary="The QRSP competences a catalogue course prepares for (its provider, Region staff)")
def declare_course_competences(course_id: Id, body: CourseCompetencesIn, request: Request, session: SessionDep,
                               principal: CourseWriter) -> list[str]:
    from regia.catalog import service as catalog

    owner = catalog.course_owner(request.app.state.engine, course_id)
    if owner is None:
        raise NotFound(f"no course {course_id}")
    if not can(principal, WRITE, Resource.CATALOG, owner):
        raise Forbidden("only the course's provider declares what it prepares for")
    pairs = []
    for code in body.competences:
        profile, _, competence = code.partition("/")
        if not profile or not competence:
            raise InvalidInput(f"{code!r} is not PROFILE/COMPETENCE", field="competences")
        pairs.append((profile, competence))
    rows = service.declare_course_competences(session, actor=principal, course_id=course_id, competences=pairs)
    session.commit()
    return [f"{r.profile_code}/{r.competence_code}" for r in rows]


# --- delegations ------------------------------------------------------------------------------------------------

@router.get("/delegations", response_model=list[DelegationOut], summary="Delegations (the Region all; a Fund its own)")
def list_delegations(session: SessionDep, principal: DelegationReader) -> list[DelegationOut]:
    return [DelegationOut.model_validate(d) for d in delegations.list_visible(session, principal=principal)]


@router.post("/delegations", response_model=DelegationOut, status_code=201, summary="Delegate a Fund (the Region)")
def grant_delegation(body: DelegationIn, session: SessionDep, principal: DelegationWriter) -> DelegationOut:
    row = delegations.grant(session, actor=principal, **body.model_dump())
    session.commit()
    return DelegationOut.model_validate(row)


@router.post("/delegations/{delegation_id}/revoke", response_model=DelegationOut,
             summary="End a delegation (the Region, with a reason)")
def revoke_delegation(delegation_id: Id, body: RevokeIn, session: SessionDep,
                      principal: DelegationWriter) -> DelegationOut:
    row = delegations.revoke(session, actor=principal, id=delegation_id, reason=body.reason)
    session.commit()
    return DelegationOut.model_validate(row)


document_problems(router)


# --- what verifiers dereference (JSON, public) --------------------------------------------------------------

def _json(document: dict[str, Any], media_type: str = JSONLD) -> Response:
    return JSONResponse(document, media_type=media_type, headers={"Cache-Control": "no-cache",
                                                                  "Access-Control-Allow-Origin": "*"})


@documents_router.get("/issuers/{slug}", summary="An issuer's controller document (its Multikey keys)",
                      name="certification_issuer")
def issuer_document(slug: Annotated[str, Path(max_length=60)], session: SessionDep, principal: Anyone) -> Response:
    return _json(issuers.controller_document(issuers.get_by_slug(session, slug)))


@documents_router.get("/issuers/{slug}/did.json", summary="The issuer's did:web document",
                      name="certification_issuer_did")
def issuer_did(slug: Annotated[str, Path(max_length=60)], session: SessionDep, principal: Anyone) -> Response:
    return _json(issuers.did_document(issuers.get_by_slug(session, slug)), "application/did+ld+json")


@documents_router.get("/status/{list_id}", summary="A signed Bitstring Status List credential",
                      name="certification_status_list")
def status_list(list_id: Id, session: SessionDep, principal: Anyone) -> Response:
    row = session.get(statuslist.StatusList, list_id)
    if row is None or row.credential is None:
        raise NotFound(f"no status list {list_id}")
    return _json(row.credential, "application/vc+ld+json")
