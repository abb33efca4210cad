"""The IVC procedure as services: requests and their dossier (experiences, evidence, claimed competences),
assessors and the commission, validation and certification outcomes, the moves of :mod:`states` with their
guards, the documents each phase ends with, and the credentials of the certificate.

Who may do what is decided by :func:`states.parties_of` (the person, the provider's editors, the assessors
on the request, the ente titolare's editors) and, for reading, by :func:`regia.auth.policy.can`. A request
another user may not read is answered as not found.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from stdnum.it import codicefiscale

from regia.auth import audit
from regia.auth.errors import Conflict, Forbidden, InvalidInput, NotFound
from regia.auth.models import Membership, Organisation, OrgType, Role, User
from regia.auth.policy import EDITING, READ, Resource, can, visible
from regia.auth.principal import Principal
from regia.certification import credentials, delegations, documents, standards, states
from regia.certification.models import (
    ASSESSED,
    CERTIFICATION,
    CERTIFIED,
    CLOSED,
    COMMISSION_ROLES,
    EXPERIENCE_KINDS,
    IDENTIFICATION,
    LEARNING,
    METHODS,
    REFUSED,
    REQUESTED,
    VALIDATED,
    VALIDATION,
    WITHDRAWN,
    Accreditation,
    AssessorAssignment,
    AssessorProfile,
    Claim,
    Credential,
    Evidence,
    Experience,
    IssuedDocument,
    Move,
    Request,
)
from regia.clock import rome_today
from regia.i18n import N_
from regia.pacts.documents import safe_filename, sniff  # the same upload rules as the pacts' letters

MAX_BYTES = 5 * 1024 * 1024
MAX_EVIDENCE = 20


@dataclass(frozen=True)
class Person:
    given_name: str
    family_name: str
    tax_code: str
    birth_date: date
    birth_place: str = ""


def _clean_person(person: Person) -> Person:
    code = codicefiscale.compact(person.tax_code or "")
    try:
        codicefiscale.validate(code)
    except Exception:
        raise InvalidInput("the codice fiscale is not valid", field="tax_code",
                           key=N_("certification.err.tax_code")) from None
    if not person.given_name.strip() or not person.family_name.strip():
        raise InvalidInput("name and surname are required", field="family_name", key=N_("certification.err.name"))
    today = rome_today()
    if not date(1900, 1, 1) <= person.birth_date <= today - timedelta(days=365 * 14):
        raise InvalidInput("the birth date is not plausible", field="birth_date",
                           key=N_("certification.err.birth_date"))
    return Person(person.given_name.strip()[:100], person.family_name.strip()[:100], code, person.birth_date,
                  person.birth_place.strip()[:100])


def region(session: Session) -> Organisation:
    found = session.scalar(select(Organisation).where(Organisation.type == OrgType.REGION).order_by(Organisation.id))
    if found is None:
        raise Conflict("no Region organisation is registered")
    return found


def create(session: Session, *, actor: Principal, profile_code: str, provider_org_id: int, person: Person,
           titolare_org_id: int | None = None, person_email: str | None = None, note: str = "") -> Request:
    """A new request: by the person themself (a citizen account), or by a provider or a Fund for a person
    (linked to their account when ``person_email`` names one). A Fund is the *ente titolare* of the requests it
    makes, and only for the standards its delegation covers today (403 otherwise)."""
    if not actor.authenticated:
        raise Forbidden("sign in to make a request")
    profile = standards.get_profile(session, code=profile_code)
    provider = session.get(Organisation, provider_org_id)
    if provider is None or provider.type != OrgType.PROVIDER:
        raise InvalidInput("the ente titolato must be an accredited provider", field="provider_org_id",
                           key=N_("certification.err.not_a_provider"))
    person = _clean_person(person)
    person_user_id = None
    if actor.is_citizen:
        channel, person_user_id = "person", actor.user_id
        titolare = region(session)
    elif provider.id in actor.org_ids(*EDITING, types=(OrgType.PROVIDER,)) or actor.is_system:
        channel = "provider"
        titolare = session.get(Organisation, titolare_org_id) if titolare_org_id else region(session)
    elif actor.has(roles=EDITING, types=(OrgType.FUND,)):
        channel = "fund"
        funds = actor.org_ids(*EDITING, types=(OrgType.FUND,))
        titolare = session.get(Organisation, titolare_org_id if titolare_org_id in funds else min(funds))
    else:
        raise Forbidden("requests are made by the person, an accredited provider or a delegated Fund",
                        key=N_("certification.err.who_requests"))
    if titolare is None:
        raise InvalidInput("no such ente titolare", field="titolare_org_id")
    delegations.require_titolare(session, organisation=titolare, profile=profile)
    if person_email and person_user_id is None:
        person_user_id = session.scalar(select(User.id).where(User.email == person_email.strip().lower()))
    now = datetime.now(UTC)
    request = Request(number="pending", person_user_id=person_user_id, given_name=person.given_name,
                      family_name=person.family_name, tax_code=person.tax_code, birth_date=person.birth_date,
                      birth_place=person.birth_place, channel=channel, titolare_org_id=titolare.id,
                      provider_org_id=provider.id, profile_id=profile.id, note=note[:2000], created_by=actor.label,
                      phase_started_at=now, phase_due_at=now + timedelta(days=states.PHASE_DAYS[REQUESTED]))
    session.add(request)
    session.flush()
    request.number = f"IVC-{now.year}-{request.id:06d}"
    session.add(Move(request_id=request.id, source="", target=REQUESTED, action="request", actor=actor.label, at=now))
    session.flush()
    audit.record(session, actor=actor, action="create", resource_type="ivc_request", resource_id=request.id,
                 organisation_id=titolare.id,
                 after={"number": request.number, "channel": channel, "standard": f"{profile.code}@{profile.version}",
                        "provider": provider.id, "titolare": titolare.id,
                        # never the codice fiscale itself in the audit log: a hash of it
                        "person": hashlib.sha256(person.tax_code.encode()).hexdigest()[:16]})
    return request


def get(session: Session, *, principal: Principal, id: int) -> Request:
    request = session.get(Request, id)
    if request is None or not can(principal, READ, Resource.IVC_REQUEST, request):
        raise NotFound(f"no request {id}", key=N_("certification.err.no_request"))
    return request


def list_visible(session: Session, *, principal: Principal, status: str | None = None,
                 limit: int = 200) -> Sequence[Request]:
    query = visible(select(Request), principal, Request)
    if status:
        query = query.where(Request.status == status)
    return session.scalars(query.order_by(Request.id.desc()).limit(limit)).all()


def _parties(actor: Principal, request: Request) -> set[states.Party]:
    return states.parties_of(actor, request)


def _may_edit_dossier(actor: Principal, request: Request) -> None:
    """The person (until the provider closes the identification) or the provider (during it) edits the
    dossier; anyone else is refused (403) before the phase is looked at."""
    parties = _parties(actor, request)
    if not parties & {states.Party.PERSON, states.Party.PROVIDER}:
        raise Forbidden("only the person or the provider edits the dossier",
                        key=N_("certification.err.not_your_dossier"))
    if states.Party.PERSON in parties and request.status in states.PERSON_EDITS_DOSSIER:
        return
    if states.Party.PROVIDER in parties and request.status in states.PROVIDER_EDITS_DOSSIER:
        return
    if request.status in states.PERSON_EDITS_DOSSIER:  # the provider before taking charge
        raise Forbidden("the provider edits the dossier once it took charge of the request",
                        key=N_("certification.err.not_your_dossier"))
    raise Conflict("the dossier is closed in this phase", field="status", key=N_("certification.err.dossier_closed"))


def add_experience(session: Session, *, actor: Principal, request_id: int, kind: str, title: str,
                   organisation: str = "", description: str = "", started_on: date | None = None,
                   ended_on: date | None = None) -> Experience:
    request = get(session, principal=actor, id=request_id)
    _may_edit_dossier(actor, request)
    if kind not in EXPERIENCE_KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(EXPERIENCE_KINDS)}", field="kind")
    if not title.strip():
        raise InvalidInput("the experience needs a title", field="title", key=N_("certification.err.title"))
    if started_on and ended_on and ended_on < started_on:
        raise InvalidInput("the experience ends before it starts", field="ended_on",
                           key=N_("certification.err.bad_period"))
    experience = Experience(request_id=request.id, kind=kind, title=title.strip()[:300],
                            organisation=organisation.strip()[:300], description=description.strip()[:4000],
                            started_on=started_on, ended_on=ended_on)
    request.experiences.append(experience)
    session.flush()
    audit.record(session, actor=actor, action="add_experience", resource_type="ivc_request", resource_id=request.id,
                 organisation_id=request.titolare_org_id, after={"experience": experience.id, "kind": kind})
    return experience


def claim(session: Session, *, actor: Principal, request_id: int, competence_code: str, learning: str,
          context: str = "", course_id: int | None = None) -> Claim:
    """Claim a competence of the request's standard (its version), saying how it was learned."""
    request = get(session, principal=actor, id=request_id)
    _may_edit_dossier(actor, request)
    competence = next((c for c in request.profile.competences if c.code == competence_code), None)
    if competence is None:
        raise InvalidInput(f"{competence_code} is not a competence of {request.profile.code}",
                           field="competence_code", key=N_("certification.err.not_in_standard"))
    if learning not in LEARNING:
        raise InvalidInput(f"learning must be one of {', '.join(LEARNING)}", field="learning")
    if learning == "formal" and not (context.strip() or course_id):
        raise InvalidInput("formal learning names its course", field="context", key=N_("certification.err.course"))
    if any(c.competence_id == competence.id for c in request.claims):
        raise Conflict("this competence is already claimed", field="competence_code",
                       key=N_("certification.err.already_claimed"))
    row = Claim(request_id=request.id, competence_id=competence.id, learning=learning,
                context=context.strip()[:2000], course_id=course_id)
    request.claims.append(row)
    session.flush()
    audit.record(session, actor=actor, action="claim", resource_type="ivc_request", resource_id=request.id,
                 organisation_id=request.titolare_org_id, after={"competence": competence.code, "learning": learning})
    return row


def upload_evidence(session: Session, *, actor: Principal, request_id: int, filename: str, data: bytes,
                    description: str = "") -> Evidence:
    """A document of the dossier: PDF, PNG or JPEG (recognised by its bytes), at most 5 MB."""
    request = get(session, principal=actor, id=request_id)
    _may_edit_dossier(actor, request)
    if not data:
        raise InvalidInput("the file is empty", field="file", key=N_("certification.err.empty_file"))
    if len(data) > MAX_BYTES:
        raise InvalidInput("the file is over 5 MB", field="file", key=N_("certification.err.file_too_big"))
    found = sniff(data)
    if found is None:
        raise InvalidInput("only PDF, PNG or JPEG files are accepted", field="file",
                           key=N_("certification.err.file_type"))
    count = session.scalar(select(func.count(Evidence.id)).where(Evidence.request_id == request.id)) or 0
    if count >= MAX_EVIDENCE:
        raise Conflict(f"at most {MAX_EVIDENCE} documents per request", field="file")
    content_type, ext = found
    evidence = Evidence(request_id=request.id, filename=safe_filename(filename, ext), description=description[:300],
                        content_type=content_type, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                        data=data, uploaded_by=actor.label)
    session.add(evidence)
    session.flush()
    audit.record(session, actor=actor, action="upload_evidence", resource_type="ivc_request",
                 resource_id=request.id, organisation_id=request.titolare_org_id,
                 after={"evidence": evidence.id, "filename": evidence.filename, "size": evidence.size,
                        "sha256": evidence.sha256})
    return evidence


def evidence_of(session: Session, *, principal: Principal, request_id: int) -> Sequence[Evidence]:
    request = get(session, principal=principal, id=request_id)
    return session.scalars(select(Evidence).where(Evidence.request_id == request.id).order_by(Evidence.id)).all()


def get_evidence(session: Session, *, principal: Principal, request_id: int, id: int) -> Evidence:
    request = get(session, principal=principal, id=request_id)
    evidence = session.get(Evidence, id)
    if evidence is None or evidence.request_id != request.id:
        raise NotFound(f"no document {id} in request {request_id}")
    return evidence


# --- assessors -------------------------------------------------------------------------------------------------

def record_accreditation(session: Session, *, actor: Principal, organisation_id: int, reference: str,
                         valid_from: date | None = None) -> Accreditation:
    """The legal reference of a provider's accreditation (or of an ente titolare's title), Region staff only."""
    from regia.auth.policy import WRITE

    if not can(actor, WRITE, Resource.IVC_DELEGATION):
        raise Forbidden("only the Region records accreditations", key=N_("certification.err.region_only"))
    if not reference.strip():
        raise InvalidInput("the legal reference is required", field="reference",
                           key=N_("certification.err.legal_reference"))
    row = session.scalar(select(Accreditation).where(Accreditation.organisation_id == organisation_id))
    if row is None:
        row = Accreditation(organisation_id=organisation_id, reference="", recorded_by=actor.label)
        session.add(row)
    row.reference, row.valid_from, row.recorded_by = reference.strip()[:300], valid_from, actor.label
    session.flush()
    audit.record(session, actor=actor, action="record_accreditation", resource_type="ivc_accreditation",
                 resource_id=row.id, organisation_id=organisation_id, after={"reference": row.reference})
    return row


def register_assessor(session: Session, *, actor: Principal, user_id: int, qualifications: str,
                      register_number: str = "", sectors: list[str] | None = None) -> AssessorProfile:
    """An assessor's qualifications (by their provider's editors, the Region, or the assessor themself)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    assessor_orgs = {m.organisation_id for m in user.memberships if m.role == Role.ASSESSOR}
    if not assessor_orgs:
        raise InvalidInput("the user is not an assessor of any organisation", field="user_id",
                           key=N_("certification.err.not_assessor"))
    if not (actor.is_system or actor.user_id == user_id or assessor_orgs & actor.org_ids(*EDITING)
            or actor.has(roles=EDITING, types=(OrgType.REGION,))):
        raise Forbidden("only the assessor's organisation registers their qualifications")
    if not qualifications.strip():
        raise InvalidInput("the qualifications are required", field="qualifications",
                           key=N_("certification.err.qualifications"))
    row = session.scalar(select(AssessorProfile).where(AssessorProfile.user_id == user_id))
    if row is None:
        row = AssessorProfile(user_id=user_id, qualifications="")
        session.add(row)
    row.qualifications, row.register_number = qualifications.strip()[:4000], register_number.strip()[:60]
    row.sectors = sorted(set(sectors or []))
    session.flush()
    audit.record(session, actor=actor, action="register_assessor", resource_type="ivc_assessor", resource_id=row.id,
                 after={"user_id": user_id, "register_number": row.register_number, "sectors": row.sectors})
    return row


ROLE_PHASES = {"validation": (IDENTIFICATION, VALIDATION), "president": (VALIDATED,),
               "evaluation_expert": (VALIDATED,), "sector_expert": (VALIDATED,)}


def assign(session: Session, *, actor: Principal, request_id: int, user_id: int, role: str) -> AssessorAssignment:
    """The provider assigns an assessor to the validation, or to a seat of the commission (the president
    may also be an editor of the ente titolare). Never the person themself; one person per seat."""
    request = get(session, principal=actor, id=request_id)
    if states.Party.PROVIDER not in _parties(actor, request):
        raise Forbidden("the provider running the services assigns the assessors",
                        key=N_("certification.err.provider_only"))
    if role not in ROLE_PHASES:
        raise InvalidInput(f"role must be one of {', '.join(ROLE_PHASES)}", field="role")
    if request.status not in ROLE_PHASES[role]:
        raise Conflict(f"the {role} is assigned in phase {' or '.join(ROLE_PHASES[role])}", field="status",
                       key=N_("certification.err.assign_phase"))
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise InvalidInput("no such user", field="user_id")
    memberships = session.scalars(select(Membership).where(Membership.user_id == user_id)).all()
    is_assessor = any(m.role == Role.ASSESSOR for m in memberships)
    titolare_staff = any(m.organisation_id == request.titolare_org_id and m.role in EDITING for m in memberships)
    if not (is_assessor or (role == "president" and titolare_staff)):
        raise InvalidInput("only assessors (or, as president, the ente titolare's staff) are assigned",
                           field="user_id", key=N_("certification.err.not_assessor"))
    if user_id == request.person_user_id:
        raise Conflict("the person cannot assess themself", field="user_id", key=N_("certification.err.self"))
    seats = {a.role: a for a in request.assignments}
    if role in COMMISSION_ROLES and any(a.user_id == user_id for r, a in seats.items()
                                        if r in COMMISSION_ROLES and r != role):
        raise Conflict("one person per seat of the commission", field="user_id", key=N_("certification.err.one_seat"))
    if (old := seats.get(role)) is not None:
        if old.conflict is False and old.user_id == user_id:
            return old
        session.delete(old)
        session.flush()
    assignment = AssessorAssignment(request_id=request.id, user_id=user_id, role=role, assigned_by=actor.label)
    session.add(assignment)
    session.flush()
    session.refresh(request)
    audit.record(session, actor=actor, action="assign", resource_type="ivc_assignment", resource_id=assignment.id,
                 organisation_id=request.titolare_org_id, after={"request": request.number, "user_id": user_id,
                                                                 "role": role})
    return assignment


def declare(session: Session, *, actor: Principal, assignment_id: int, conflict: bool,
            note: str = "") -> AssessorAssignment:
    """The assessor's declaration of (no) conflict of interest, before acting."""
    assignment = session.get(AssessorAssignment, assignment_id)
    if assignment is None or not can(actor, READ, Resource.IVC_ASSESSMENT, assignment):
        raise NotFound(f"no assignment {assignment_id}")
    if assignment.user_id != actor.user_id and not actor.is_system:
        raise Forbidden("only the assigned assessor declares", key=N_("certification.err.not_your_assignment"))
    if assignment.conflict is not None:
        raise Conflict("already declared", key=N_("certification.err.already_declared"))
    if conflict and not note.strip():
        raise InvalidInput("say what the conflict is", field="note", key=N_("certification.err.conflict_note"))
    assignment.conflict, assignment.declaration_note = conflict, note.strip()[:2000]
    assignment.declared_at = datetime.now(UTC)
    session.flush()
    audit.record(session, actor=actor, action="declare", resource_type="ivc_assignment", resource_id=assignment.id,
                 after={"conflict": conflict}, note=note or None)
    return assignment


def assignments_of(session: Session, *, principal: Principal) -> Sequence[AssessorAssignment]:
    """The principal's own assignments (an assessor sees only theirs)."""
    return session.scalars(select(AssessorAssignment).where(AssessorAssignment.user_id == principal.user_id)
                           .order_by(AssessorAssignment.id.desc())).all()


# --- outcomes --------------------------------------------------------------------------------------------------

def evaluate(session: Session, *, actor: Principal, request_id: int, claim_id: int, validated: bool,
             reason: str) -> Claim:
    """The validation assessor's evaluation of the evidence of one claimed competence, with its reason."""
    request = get(session, principal=actor, id=request_id)
    if states.Party.VALIDATOR not in _parties(actor, request):
        raise Forbidden("only the validation assessor (no conflict declared) evaluates",
                        key=N_("certification.err.validator_only"))
    if request.status != VALIDATION:
        raise Conflict("claims are evaluated in the validation phase", field="status",
                       key=N_("certification.err.not_validation"))
    row = next((c for c in request.claims if c.id == claim_id), None)
    if row is None:
        raise NotFound(f"no claim {claim_id} in request {request_id}")
    if not reason.strip():
        raise InvalidInput("an evaluation gives its reasons", field="reason",
                           key=N_("certification.err.reason_required"))
    row.validated, row.validation_reason = validated, reason.strip()[:2000]
    row.validated_by, row.validated_at = actor.label, datetime.now(UTC)
    session.flush()
    audit.record(session, actor=actor, action="evaluate", resource_type="ivc_request", resource_id=request.id,
                 organisation_id=request.titolare_org_id,
                 after={"claim": row.id, "competence": row.competence.code, "validated": validated})
    return row


def record_outcome(session: Session, *, actor: Principal, request_id: int, method: str, assessed_on: date,
                   outcomes: dict[int, tuple[bool, str]]) -> Request:
    """The commission's outcome per validated competence (certified or not, with reasons) after the test,
    interview or practical trial; recorded by its evaluation expert, then the request is *assessed*."""
    request = get(session, principal=actor, id=request_id)
    if states.Party.EXAMINER not in _parties(actor, request):
        raise Forbidden("only the commission's evaluation expert records the outcome",
                        key=N_("certification.err.not_your_move"), params={"action": "record_outcome"})
    if request.status != CERTIFICATION:
        raise Conflict("the outcome is recorded in the certification phase", field="status",
                       key=N_("certification.err.not_certification"))
    states.check(actor, request, ASSESSED)
    if method not in METHODS:
        raise InvalidInput(f"method must be one of {', '.join(METHODS)}", field="method")
    if assessed_on > rome_today():
        raise InvalidInput("the assessment date is in the future", field="assessed_on",
                           key=N_("certification.err.future"))
    candidates = {c.id: c for c in request.claims if c.validated}
    if set(outcomes) != set(candidates):
        raise InvalidInput("give an outcome for every validated competence, and only those", field="outcomes",
                           key=N_("certification.err.outcomes"))
    for claim_id, (certified, reason) in outcomes.items():
        if not reason.strip():
            raise InvalidInput("every outcome gives its reasons", field=f"outcomes.{claim_id}",
                               key=N_("certification.err.reason_required"))
        row = candidates[claim_id]
        row.certified, row.certification_reason, row.method = certified, reason.strip()[:2000], method
        row.assessed_on, row.assessed_by = assessed_on, actor.label
    session.flush()
    return states.move(session, actor=actor, request=request, target=ASSESSED)


def _commission_ready(request: Request) -> None:
    seats = {a.role: a for a in request.assignments}
    missing = [r for r in COMMISSION_ROLES if r not in seats]
    if missing:
        raise Conflict(f"the commission lacks: {', '.join(missing)}", field="commission",
                       key=N_("certification.err.commission_incomplete"), params={"roles": ", ".join(missing)})
    if any(seats[r].conflict is not False for r in COMMISSION_ROLES):
        raise Conflict("every member of the commission declares no conflict of interest first", field="commission",
                       key=N_("certification.err.commission_declarations"))


def advance(session: Session, *, actor: Principal, request_id: int, target: str, note: str | None = None) -> Request:
    """Move the request to ``target`` after the guards of that move; issue the phase's document (and the
    certificate's credentials)."""
    request = get(session, principal=actor, id=request_id)
    if target == ASSESSED:
        raise Conflict("the commission's outcome moves the request: record_outcome", field="status",
                       key=N_("certification.err.use_outcome"))
    states.check(actor, request, target)  # illegal pairs and wrong parties first, then the guards
    if target == IDENTIFICATION:
        accredited = session.scalar(select(Accreditation.id).where(Accreditation.organisation_id ==
                                                                   request.provider_org_id))
        if accredited is None:
            raise Conflict("the provider's accreditation is not registered", key=N_("certification.err.not_accredited"))
    elif target == VALIDATION:
        if not request.claims:
            raise Conflict("claim at least one competence", key=N_("certification.err.no_claims"))
        has_evidence = session.scalar(select(Evidence.id).where(Evidence.request_id == request.id).limit(1))
        if not request.experiences and has_evidence is None:
            raise Conflict("the dossier needs an experience or a document", key=N_("certification.err.empty_dossier"))
    elif target == VALIDATED:
        if any(c.validated is None for c in request.claims):
            raise Conflict("evaluate every claimed competence first", key=N_("certification.err.unevaluated"))
    elif target == CERTIFICATION:
        if not any(c.validated for c in request.claims):
            raise Conflict("no competence was validated", key=N_("certification.err.none_validated"))
        _commission_ready(request)
    elif target == CERTIFIED:
        if not any(c.certified for c in request.claims):
            raise Conflict("no competence was certified", key=N_("certification.err.none_certified"))
        titolare = session.get(Organisation, request.titolare_org_id)
        assert titolare is not None
        delegations.require_titolare(session, organisation=titolare, profile=request.profile)
    elif target == CLOSED and request.status == ASSESSED and any(c.certified for c in request.claims):
        raise Conflict("competences were certified: issue the certificate", key=N_("certification.err.issue_instead"))
    elif target == REFUSED and not (note or "").strip():
        raise InvalidInput("a refusal gives its reasons", field="note", key=N_("certification.err.reason_required"))
    states.move(session, actor=actor, request=request, target=target, note=note)
    kind = {VALIDATION: "transparency", VALIDATED: "validation", CERTIFIED: "certificate"}.get(target)
    if kind is not None:
        document = documents.issue(session, actor=actor, request=request, kind=kind)
        if kind == "certificate":
            credentials.issue(session, actor=actor, request=request, document=document)
    return request


def issue_validation_credentials(session: Session, *, actor: Principal, request_id: int) -> list[Credential]:
    """At the person's request, the validated competences as credentials too (from the validation document)."""
    request = get(session, principal=actor, id=request_id)
    if states.Party.PERSON not in _parties(actor, request):
        raise Forbidden("the person asks for their validation credentials", key=N_("certification.err.person_only"))
    document = session.scalar(select(IssuedDocument).where(IssuedDocument.request_id == request.id,
                                                           IssuedDocument.kind == "validation"))
    if document is None:
        raise Conflict("no validation document yet", key=N_("certification.err.no_validation_document"))
    titolare = session.get(Organisation, request.titolare_org_id)
    assert titolare is not None
    delegations.require_titolare(session, organisation=titolare, profile=request.profile)
    return credentials.issue(session, actor=actor, request=request, document=document, kind="validation")


def documents_of(session: Session, *, principal: Principal, request_id: int) -> Sequence[IssuedDocument]:
    request = get(session, principal=principal, id=request_id)
    return session.scalars(select(IssuedDocument).where(IssuedDocument.request_id == request.id)
                           .order_by(IssuedDocument.id)).all()


def get_document(session: Session, *, principal: Principal, id: int) -> IssuedDocument:
    document = session.get(IssuedDocument, id)
    if document is None:
        raise NotFound(f"no document {id}")
    get(session, principal=principal, id=document.request_id)
    return document


def document_by_number_or_id(session: Session, *, principal: Principal, ref: str) -> IssuedDocument:
    if ref.isdigit():
        return get_document(session, principal=principal, id=int(ref))
    document = session.scalar(select(IssuedDocument).where(IssuedDocument.number == ref))
    if document is None:
        raise NotFound(f"no document {ref}")
    return get_document(session, principal=principal, id=document.id)


# --- deadlines and statistics ------------------------------------------------------------------------------------

def statistics(session: Session, *, principal: Principal, now: datetime | None = None) -> dict[str, object]:
    """Per phase: requests in it, overdue ones, and the average days the phase took (from the moves), over
    the requests the principal may read."""
    now = now or datetime.now(UTC)
    requests = list_visible(session, principal=principal, limit=100_000)
    ids = [r.id for r in requests]
    per_state: dict[str, dict[str, float]] = {}
    for r in requests:
        row = per_state.setdefault(r.status, {"open": 0, "overdue": 0})
        row["open"] += 1
        due = r.phase_due_at
        if due is not None and (due if due.tzinfo else due.replace(tzinfo=UTC)) < now:
            row["overdue"] += 1
    durations: dict[str, list[float]] = {}
    moves = session.scalars(select(Move).where(Move.request_id.in_(ids)).order_by(Move.request_id, Move.at,
                                                                                   Move.id)).all() if ids else []
    previous: dict[int, Move] = {}
    for m in moves:
        if (p := previous.get(m.request_id)) is not None:
            start = p.at if p.at.tzinfo else p.at.replace(tzinfo=UTC)
            end = m.at if m.at.tzinfo else m.at.replace(tzinfo=UTC)
            durations.setdefault(p.target, []).append((end - start).total_seconds() / 86400)
        previous[m.request_id] = m
    phases = []
    for status in (REQUESTED, IDENTIFICATION, VALIDATION, VALIDATED, CERTIFICATION, ASSESSED, CERTIFIED, CLOSED,
                   WITHDRAWN, REFUSED):
        done = durations.get(status, [])
        phases.append({"status": status, "open": int(per_state.get(status, {}).get("open", 0)),
                       "overdue": int(per_state.get(status, {}).get("overdue", 0)),
                       "completed": len(done), "average_days": round(sum(done) / len(done), 1) if done else None,
                       "deadline_days": states.PHASE_DAYS.get(status)})
    return {"total": len(requests), "phases": phases}
