"""The access policy: the single place that decides who may read or write what.

Three things live here and nowhere else:

- :func:`can` — ``can(principal, action, resource, obj=None) -> bool``: the decision for a kind of
  resource (route level, ``obj=None``) or for one row (``obj`` given);
- :func:`visible` — the row-level filter of a query: lists never hold rows the principal may not read;
- :func:`require` / :func:`public` — FastAPI dependencies through which every route declares the action
  and resource it needs. The declaration is attached to the dependency, so :func:`declared_policy` finds it
  on any route of the app; a test enumerates ``app.routes`` and fails for a route that has none.

Rules per resource (roles: admin, editor, viewer, evaluator; "region" = a member of a Regione organisation):

============== ===================================================== ============================================
resource       read                                                  write
============== ===================================================== ============================================
public         anyone                                                anyone (login, token exchange)
taxonomy       anyone                                                nobody through the API (reference data)
account        the authenticated user (own profile, own tokens)      the same
organisation   region members all; others their own organisations   region admin adds; org admin edits own
user           region admin all; org admin the members of own org;  region admin; org admin within own org
               everyone themself
audit          region admin                                          nobody (appended by services only)
pact_call      anyone (calls are public)                             region admin/editor
pact_proposal  region admin/editor/viewer all; own org's members;    editor/admin of the owner partnership (what
               evaluators and Funds every one past the draft          they may change in which state: the service
                                                                      asks regia.pacts.states)
pact_decision  region admin/editor/viewer                            region admin/editor (admissibility,
                                                                      assignments, ranking, programme approval)
pact_evaluation region staff; evaluators                             evaluators (their own assignments' sheets)
pact_monitoring as pact_proposal, for proposals with a programme      the owner's editors (progress reports)
catalog        anyone (the catalogue is public)                      route: region admin/editor, provider and
                                                                      Fund editors/admins (Funds publish); row
                                                                      (``obj`` has ``organisation_ids``, the
                                                                      course's owner organisations): region
                                                                      admin/editor, or the editors/admins of an
                                                                      owner *provider* organisation — never a
                                                                      Fund's or another provider's; a record
                                                                      published (``obj`` has ``provider_ids``
                                                                      and ``funder_ids``): Region staff, the
                                                                      provider's editors, the editors of a Fund
                                                                      financing it
postings       region members (aggregates are read through needs)    region members: admins, editors and
                                                                      viewers (the analysts load feeds)
job            its uploader, the members of the organisation it     its uploader and the editors/admins of that
               was uploaded for, region admins                       organisation, region admins (cancel);
                                                                      route level: authenticated (each kind's
                                                                      upload also needs WRITE on its resource)
programming    region admin/editor/viewer all; a Fund's members the  route: region admin/editor, Fund editors/
               agreements of their Fund (``obj.fund_id``) and the     admins; row: region admin/editor, or the
               aggregate figures of the others                        Fund's editors on their own agreement (their
                                                                      side only: regia.programming.states)
programming_   region admin/editor/viewer (analysts run scenarios     region admin/editor (save, import, apply to
scenario       without saving them)                                   a plan)
outcomes       region admin/editor/viewer all figures; Fund          region admin/editor (ingest of monitoring
               members their own sources' figures (row level:        records)
               regia.monitoring.service.fund_names); person-level
               records are never served
impact         region admin/editor/viewer                            region admin/editor
ivc_standard   anyone (the QRSP standards are public)                region admin/editor (imports, ESCO alignment)
ivc_delegation region readers all; a Fund's members its own            region admin/editor (grant, revoke)
ivc_request    region readers all; members of the request's ente         row: the parties of regia.certification.states
               titolare (Region or delegated Fund) and of its ente     (the person, the provider's editors, the
               titolato (provider; not its assessors); the assessors   assessors on it, the ente titolare's
               assigned to it; the person (a citizen) their own only   editors) — each move names its party
ivc_assessment region readers; the provider's editors/viewers; the      the assessor of the assignment (declaration,
               assessor of the assignment                               evaluation, commission outcome)
ivc_credential region readers; the issuer's members; the person         the issuer's editors/admins (revocation)
               (verification of a credential is public: its own routes)
exchange       nobody (client systems authenticate with vouchers:   nobody (the same)
               regia.exchange.security)
personal_data  every signed-in person, their own data only          the same (consents)
iefp_figure    anyone (the IeFP repertory is public)                 region admin/editor (imports)
iefp_offer     anyone (centres, seats, paths are public)             region admin/editor; a centre's (provider's)
                                                                      editors/admins its own rows
iefp_student   region staff (pseudonyms only: the service never      the centre's editors/admins
               gives them names); the centre's admins, editors and
               viewers (an IVC assessor of the provider is not IeFP
               staff)
iefp_place     the firm's members its own (drafts too); region       the firm's editors/admins
               staff and centre staff the published ones
iefp_candidacy region staff; the student's centre staff; the firm's   ``obj.side`` says who writes: "centre" (the
               members once the centre proposed the candidate (never  student's ranking, the proposal) — the
               before: the firm does not know the student exists)     centre's editors; "firm" (the firm's ranking)
                                                                      — the firm's editors, proposed rows only
iefp_placement region staff; the centre staff; the firm's members    as iefp_candidacy: plan and outcome the
                                                                      centre ("centre"), progress both sides
iefp_system    region staff (the system view, matching runs)         region admin/editor (runs the matching)
============== ===================================================== ============================================
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any, Protocol, TypeVar

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Select, false, or_, select, true
from sqlalchemy.sql.elements import ColumnElement
from starlette.routing import BaseRoute, Mount

from regia.auth import errors, sessions
from regia.auth.models import OrgType, Role
from regia.auth.principal import ANONYMOUS, InvalidCredentials, Principal, resolve


class Action(enum.StrEnum):
    READ = "read"
    WRITE = "write"


class Resource(enum.StrEnum):
    PUBLIC = "public"
    TAXONOMY = "taxonomy"
    ACCOUNT = "account"
    ORGANISATION = "organisation"
    USER = "user"
    AUDIT = "audit"
    PACT_CALL = "pact_call"
    PACT_PROPOSAL = "pact_proposal"
    PACT_DECISION = "pact_decision"
    PACT_EVALUATION = "pact_evaluation"
    PACT_MONITORING = "pact_monitoring"
    CATALOG = "catalog"
    LINKAGE = "linkage"  # clerical review of record linkage: personal data of two sources (Region staff only)
    POSTINGS = "postings"
    JOB = "job"
    PROGRAMMING = "programming"
    PROGRAMMING_SCENARIO = "programming_scenario"
    OUTCOMES = "outcomes"
    IMPACT = "impact"
    IVC_STANDARD = "ivc_standard"
    IVC_DELEGATION = "ivc_delegation"
    IVC_REQUEST = "ivc_request"
    IVC_ASSESSMENT = "ivc_assessment"
    IVC_CREDENTIAL = "ivc_credential"
    EXCHANGE = "exchange"  # the machine-to-machine API: client systems with their own auth, no person
    PERSONAL_DATA = "personal_data"  # a person's own page: who read their data, their consents
    IEFP_FIGURE = "iefp_figure"
    IEFP_OFFER = "iefp_offer"
    IEFP_STUDENT = "iefp_student"
    IEFP_PLACE = "iefp_place"
    IEFP_CANDIDACY = "iefp_candidacy"
    IEFP_PLACEMENT = "iefp_placement"
    IEFP_SYSTEM = "iefp_system"


READ, WRITE = Action.READ, Action.WRITE
EDITING = (Role.ADMIN, Role.EDITOR)
REGION_READERS = (Role.ADMIN, Role.EDITOR, Role.VIEWER)  # not evaluators: they see submitted work only
REGION_STAFF = (Role.ADMIN, Role.EDITOR)
DRAFT = "draft"  # the one proposal state nobody but the owner (and the Region) reads
CENTRE_STAFF = (Role.ADMIN, Role.EDITOR, Role.VIEWER)  # of an IeFP centre: who reads its students


class Owned(Protocol):
    organisation_id: int


# --- decisions ---------------------------------------------------------------------------------------------

def _organisation(p: Principal, action: Action, obj: Any) -> bool:
    if not p.authenticated:
        return False
    if action is READ:
        return obj is None or p.has(types=(OrgType.REGION,)) or p.is_region_admin or obj.id in p.org_ids()
    if obj is None:  # may edit some organisation (the row decides)
        return p.is_region_admin or p.has(roles=(Role.ADMIN,))
    if obj.id is None:  # a new organisation
        return p.is_region_admin
    return p.is_region_admin or obj.id in p.org_ids(Role.ADMIN)


def _user(p: Principal, action: Action, obj: Any) -> bool:
    """``obj`` is a user (with ``id`` and ``organisation_ids``) or an organisation-scoped membership
    (with ``organisation_id``)."""
    if p.is_region_admin:
        return True
    admin_of = p.org_ids(Role.ADMIN)
    if obj is None:  # reading: everyone sees at least themself; writing: administrators only
        return p.user_id is not None if action is READ else bool(admin_of)
    if hasattr(obj, "organisation_id"):
        return obj.organisation_id in admin_of
    if action is READ and obj.id == p.user_id:
        return True
    return bool(admin_of & set(obj.organisation_ids))


def _pact_proposal(p: Principal, action: Action, obj: Any) -> bool:
    if not p.authenticated:
        return False
    if p.is_system:
        return True
    if action is READ:
        if obj is None:  # who may list proposals at all (the list itself is row-filtered)
            return (p.has(types=(OrgType.REGION, OrgType.FUND, OrgType.PARTNERSHIP))
                    or p.has(roles=(Role.EVALUATOR,)))
        if p.has(roles=REGION_READERS, types=(OrgType.REGION,)) or obj.organisation_id in p.org_ids():
            return True
        return obj.status != DRAFT and (p.has(roles=(Role.EVALUATOR,)) or p.has(types=(OrgType.FUND,)))
    if obj is None:  # create, or change one of the partnership's own proposals
        return p.has(roles=EDITING, types=(OrgType.PARTNERSHIP,))
    return obj.organisation_id in p.org_ids(*EDITING, types=(OrgType.PARTNERSHIP,))


def _region_staff(p: Principal, action: Action) -> bool:
    return p.is_system or p.has(roles=REGION_READERS if action is READ else REGION_STAFF, types=(OrgType.REGION,))


def _pact_evaluation(p: Principal, action: Action, obj: Any) -> bool:
    """``obj``: an assignment (with ``evaluator_id``) — evaluators act on their own only."""
    if not p.authenticated:
        return False
    if obj is None:
        return _region_staff(p, action) or p.has(roles=(Role.EVALUATOR,))
    if action is READ and _region_staff(p, READ):
        return True
    return obj.evaluator_id == p.user_id and p.has(roles=(Role.EVALUATOR,))


def _pact_monitoring(p: Principal, action: Action, obj: Any) -> bool:
    """``obj``: the proposal whose programme is monitored."""
    if not p.authenticated:
        return False
    if action is READ:
        if obj is None:
            return _region_staff(p, READ) or p.has(types=(OrgType.FUND, OrgType.PARTNERSHIP))
        return _pact_proposal(p, READ, obj)
    return p.is_system or (p.has(roles=EDITING, types=(OrgType.PARTNERSHIP,)) if obj is None
                           else obj.organisation_id in p.org_ids(*EDITING, types=(OrgType.PARTNERSHIP,)))


def _catalog(p: Principal, action: Action, obj: Any) -> bool:
    """``obj``: the course's owner (with ``organisation_ids``: the provider organisations whose partita IVA /
    codice fiscale the course carries)."""
    if action is READ:
        return True
    if not p.authenticated:
        return False
    if _region_staff(p, WRITE):
        return True
    if obj is None:  # publish (providers their own courses, Funds those they finance) or edit some course
        return p.has(roles=EDITING, types=(OrgType.PROVIDER, OrgType.FUND))
    if hasattr(obj, "funder_ids"):  # a record being published
        return bool(set(obj.provider_ids) & p.org_ids(*EDITING, types=(OrgType.PROVIDER,))
                    or set(obj.funder_ids) & p.org_ids(*EDITING, types=(OrgType.FUND,)))
    return bool(set(obj.organisation_ids) & p.org_ids(*EDITING, types=(OrgType.PROVIDER,)))


def _postings(p: Principal, action: Action, obj: Any) -> bool:
    return p.is_system or p.has(roles=REGION_READERS, types=(OrgType.REGION,))


def _job(p: Principal, action: Action, obj: Any) -> bool:
    """``obj``: a job (``user_id``: its uploader, ``organisation_id``: the organisation it was uploaded for)."""
    if not p.authenticated:
        return False
    if obj is None or p.is_region_admin:
        return True
    if p.user_id is not None and obj.user_id == p.user_id:
        return True
    members = p.org_ids() if action is READ else p.org_ids(*EDITING)
    return obj.organisation_id is not None and obj.organisation_id in members


def _programming(p: Principal, action: Action, obj: Any) -> bool:
    """``obj``: an agreement (with ``fund_id``), or anything carrying the ``fund_id`` of its agreement."""
    if not p.authenticated:
        return False
    if _region_staff(p, action):
        return True
    if obj is None:
        return p.has(roles=EDITING if action is WRITE else (), types=(OrgType.FUND,))
    return obj.fund_id in p.org_ids(*(EDITING if action is WRITE else ()), types=(OrgType.FUND,))


def _outcomes(p: Principal, action: Action, obj: Any) -> bool:
    """Aggregated outcome indicators: the Region's staff and analysts read all of them, a Fund's members the
    figures of their own Fund's participations (the service narrows the rows); writing is ingesting."""
    if not p.authenticated:
        return False
    if action is READ:
        return _region_staff(p, READ) or p.has(types=(OrgType.FUND,))
    return _region_staff(p, WRITE)


def _ivc_delegation(p: Principal, action: Action, obj: Any) -> bool:
    """``obj``: a delegation (``organisation_id``: the delegated Fund)."""
    if not p.authenticated:
        return False
    if _region_staff(p, action):
        return True
    if action is WRITE:
        return False
    return p.has(types=(OrgType.FUND,)) if obj is None else obj.organisation_id in p.org_ids()


def _ivc_request(p: Principal, action: Action, obj: Any) -> bool:
    """``obj``: a request (``person_user_id``, ``titolare_org_id``, ``provider_org_id``, ``assignments``)."""
    if not p.authenticated:
        return False
    if p.is_system:
        return True
    if obj is None:  # anyone signed in has (or may start) a request of their own; lists are row-filtered
        return True
    if p.user_id is not None and obj.person_user_id == p.user_id:
        return True
    if any(a.user_id == p.user_id for a in obj.assignments) and p.has(roles=(Role.ASSESSOR,)):
        return True
    if action is READ:
        return (p.has(roles=REGION_READERS, types=(OrgType.REGION,))
                or obj.titolare_org_id in p.org_ids(*REGION_READERS)
                or obj.provider_org_id in p.org_ids(*REGION_READERS))
    return obj.titolare_org_id in p.org_ids(*EDITING) or obj.provider_org_id in p.org_ids(*EDITING)


def _ivc_assessment(p: Principal, action: Action, obj: Any) -> bool:
    """``obj``: an assignment (``user_id`` and its ``request``): the assigned person acts on their own
    (assessors; a commission's president may be the ente titolare's staff)."""
    if not p.authenticated:
        return False
    if p.is_system:
        return True
    if obj is None:  # assessors and presidents their assignments; readers: Region staff, the providers' staff
        readers = _region_staff(p, READ) or p.has(roles=REGION_READERS, types=(OrgType.PROVIDER,))
        presidents = p.has(roles=EDITING, types=(OrgType.REGION, OrgType.FUND))
        return p.has(roles=(Role.ASSESSOR,)) or presidents or (action is READ and readers)
    if obj.user_id == p.user_id:
        return True
    return action is READ and (_region_staff(p, READ)
                               or obj.request.provider_org_id in p.org_ids(*REGION_READERS))


def _ivc_credential(p: Principal, action: Action, obj: Any) -> bool:
    """``obj``: a credential (``issuer.organisation_id`` and ``request.person_user_id``)."""
    if not p.authenticated:
        return False
    if p.is_system:
        return True
    if obj is None:
        return True if action is READ else p.has(roles=EDITING, types=(OrgType.REGION, OrgType.FUND))
    if action is READ:
        return (p.has(roles=REGION_READERS, types=(OrgType.REGION,))
                or obj.issuer.organisation_id in p.org_ids(*REGION_READERS)
                or (p.user_id is not None and obj.request.person_user_id == p.user_id))
    return obj.issuer.organisation_id in p.org_ids(*EDITING)


# --- IeFP (regia.iefp) ---------------------------------------------------------------------------------------

def _centre_ids(p: Principal, *roles: Role) -> set[int]:
    return p.org_ids(*(roles or CENTRE_STAFF), types=(OrgType.PROVIDER,))


def _firm_ids(p: Principal, *roles: Role) -> set[int]:
    return p.org_ids(*roles, types=(OrgType.FIRM,))


def _iefp_offer(p: Principal, action: Action, obj: Any) -> bool:
    """``obj``: a centre, seat or path (``organisation_id``: the centre's organisation)."""
    if action is READ:
        return True
    if not p.authenticated:
        return False
    if _region_staff(p, WRITE):
        return True
    if obj is None:
        return bool(_centre_ids(p, *EDITING))
    return obj.organisation_id in _centre_ids(p, *EDITING)


def _iefp_student(p: Principal, action: Action, obj: Any) -> bool:
    """``obj``: a student (``organisation_id``: the centre's)."""
    if not p.authenticated:
        return False
    if p.is_system:
        return True
    if action is READ:
        return _region_staff(p, READ) or (bool(_centre_ids(p)) if obj is None
                                          else obj.organisation_id in _centre_ids(p))
    return bool(_centre_ids(p, *EDITING)) if obj is None else obj.organisation_id in _centre_ids(p, *EDITING)


def may_see_student_names(p: Principal, student: Any) -> bool:
    """Names and birth dates of a student: the centre's staff only (firms see a candidate's name through
    :func:`may_see_candidate_name`; the Region never: it reads pseudonyms)."""
    return p.is_system or (p.authenticated and student.organisation_id in _centre_ids(p))


def may_see_candidate_name(p: Principal, candidacy: Any) -> bool:
    """The candidate's name on a candidacy: the centre's staff, and the firm's members once the centre
    proposed the student for one of the firm's places."""
    return p.is_system or (p.authenticated and (
        candidacy.centre_id in _centre_ids(p)
        or (candidacy.proposed_at is not None and candidacy.firm_id in _firm_ids(p))))


def _iefp_place(p: Principal, action: Action, obj: Any) -> bool:
    """``obj``: a place (``organisation_id``: the firm's; ``status``)."""
    if not p.authenticated:
        return False
    if p.is_system:
        return True
    if action is READ:
        if obj is None:
            return _region_staff(p, READ) or bool(_centre_ids(p)) or bool(_firm_ids(p))
        if obj.organisation_id in _firm_ids(p):
            return True
        return obj.status != DRAFT and (_region_staff(p, READ) or bool(_centre_ids(p)))
    return bool(_firm_ids(p, *EDITING)) if obj is None else obj.organisation_id in _firm_ids(p, *EDITING)


def _iefp_two_sided(p: Principal, action: Action, obj: Any) -> bool:
    """Candidacies, assignments and placements: ``obj`` has ``centre_id``, ``firm_id`` and, on candidacies,
    ``proposed_at`` (a firm knows a candidacy once proposed); writes say their ``side`` ("centre" or "firm")."""
    if not p.authenticated:
        return False
    if p.is_system:
        return True
    proposed = obj is None or getattr(obj, "proposed_at", True) is not None
    if action is READ:
        if obj is None:
            return _region_staff(p, READ) or bool(_centre_ids(p)) or bool(_firm_ids(p))
        return (_region_staff(p, READ) or obj.centre_id in _centre_ids(p)
                or (proposed and obj.firm_id in _firm_ids(p)))
    if obj is None:
        return bool(_centre_ids(p, *EDITING)) or bool(_firm_ids(p, *EDITING))
    if getattr(obj, "side", "centre") == "firm":
        return proposed and obj.firm_id in _firm_ids(p, *EDITING)
    return obj.centre_id in _centre_ids(p, *EDITING)


_RULES: dict[Resource, Callable[[Principal, Action, Any], bool]] = {
    Resource.PUBLIC: lambda p, a, o: True,
    Resource.TAXONOMY: lambda p, a, o: a is READ,
    Resource.ACCOUNT: lambda p, a, o: p.user_id is not None and (o is None or o.user_id == p.user_id),
    Resource.ORGANISATION: _organisation,
    Resource.USER: _user,
    Resource.AUDIT: lambda p, a, o: a is READ and p.is_region_admin,
    Resource.PACT_CALL: lambda p, a, o: a is READ or (p.authenticated and _region_staff(p, WRITE)),
    Resource.PACT_PROPOSAL: _pact_proposal,
    Resource.PACT_DECISION: lambda p, a, o: p.authenticated and _region_staff(p, a),
    Resource.PACT_EVALUATION: _pact_evaluation,
    Resource.PACT_MONITORING: _pact_monitoring,
    Resource.CATALOG: _catalog,
    # reading the pairs shows names and tax codes: staff who may decide, not analysts (viewers)
    Resource.LINKAGE: lambda p, a, o: p.is_system or (p.authenticated and _region_staff(p, WRITE)),
    Resource.POSTINGS: _postings,
    Resource.JOB: _job,
    Resource.PROGRAMMING: _programming,
    Resource.PROGRAMMING_SCENARIO: lambda p, a, o: p.authenticated and _region_staff(p, a),
    Resource.OUTCOMES: _outcomes,
    Resource.IMPACT: lambda p, a, o: p.authenticated and _region_staff(p, a),
    Resource.IVC_STANDARD: lambda p, a, o: a is READ or (p.authenticated and _region_staff(p, WRITE)),
    Resource.IVC_DELEGATION: _ivc_delegation,
    Resource.IVC_REQUEST: _ivc_request,
    Resource.IVC_ASSESSMENT: _ivc_assessment,
    Resource.IVC_CREDENTIAL: _ivc_credential,
    # regia.exchange authenticates client systems itself (vouchers, regia.exchange.security): no person,
    # whatever the role, passes through a route declared with this resource
    Resource.EXCHANGE: lambda p, a, o: False,
    # ``obj``: whose data (with ``user_id``); every signed-in person, for their own data only
    Resource.PERSONAL_DATA: lambda p, a, o: p.user_id is not None and (o is None or o.user_id == p.user_id),
    Resource.IEFP_FIGURE: lambda p, a, o: a is READ or (p.authenticated and _region_staff(p, WRITE)),
    Resource.IEFP_OFFER: _iefp_offer,
    Resource.IEFP_STUDENT: _iefp_student,
    Resource.IEFP_PLACE: _iefp_place,
    Resource.IEFP_CANDIDACY: _iefp_two_sided,
    Resource.IEFP_PLACEMENT: _iefp_two_sided,
    Resource.IEFP_SYSTEM: lambda p, a, o: p.authenticated and _region_staff(p, a),
}


def can(principal: Principal, action: Action | str, resource: Resource | str, obj: Any = None) -> bool:
    """May ``principal`` do ``action`` on ``resource`` (a kind of thing, or the row ``obj``)? Unknown
    resources are denied."""
    try:
        rule, act = _RULES[Resource(resource)], Action(action)
    except (ValueError, KeyError):
        return False
    return bool(rule(principal, act, obj))


# --- row-level filters ---------------------------------------------------------------------------------------

def _visible_condition(principal: Principal, resource: Resource, model: Any) -> ColumnElement[bool]:
    p = principal
    if resource in (Resource.PUBLIC, Resource.TAXONOMY, Resource.PACT_CALL, Resource.CATALOG,
                    Resource.IVC_STANDARD, Resource.IEFP_FIGURE, Resource.IEFP_OFFER):  # read by anyone
        return true()
    if not p.authenticated:
        return false()
    if p.is_system:
        return true()
    if resource is Resource.ORGANISATION:
        if p.has(types=(OrgType.REGION,)):
            return true()
        return model.id.in_(p.org_ids()) if p.org_ids() else false()
    if resource is Resource.USER:
        if p.is_region_admin:
            return true()
        from regia.auth.models import Membership  # the filter needs the membership table

        admin_of = p.org_ids(Role.ADMIN)
        conditions: list[ColumnElement[bool]] = [model.id == p.user_id]
        if admin_of:
            conditions.append(model.id.in_(select(Membership.user_id).where(
                Membership.organisation_id.in_(admin_of))))
        return or_(*conditions)
    if resource is Resource.AUDIT:
        return true() if p.is_region_admin else false()
    if resource is Resource.JOB:
        if p.is_region_admin:
            return true()
        own: list[ColumnElement[bool]] = [model.user_id == p.user_id] if p.user_id is not None else []
        if members := p.org_ids():
            own.append(model.organisation_id.in_(members))
        return or_(*own) if own else false()
    if resource is Resource.PACT_PROPOSAL:
        if p.has(roles=REGION_READERS, types=(OrgType.REGION,)):
            return true()
        conditions = []
        if own := p.org_ids():
            conditions.append(model.organisation_id.in_(own))
        if p.has(roles=(Role.EVALUATOR,)) or p.has(types=(OrgType.FUND,)):
            conditions.append(model.status != DRAFT)
        return or_(*conditions) if conditions else false()
    if resource is Resource.PROGRAMMING:
        if p.has(roles=REGION_READERS, types=(OrgType.REGION,)):
            return true()
        funds = p.org_ids(types=(OrgType.FUND,))
        return model.fund_id.in_(funds) if funds else false()
    if resource in (Resource.IVC_REQUEST, Resource.IVC_CREDENTIAL, Resource.IVC_DELEGATION):
        return _ivc_visible(p, resource, model)
    if resource.value.startswith("iefp_"):
        return _iefp_visible(p, resource, model)
    if resource in (Resource.PUBLIC, Resource.TAXONOMY, Resource.PACT_CALL):
        return true()
    return false()


def _ivc_visible(p: Principal, resource: Resource, model: Any) -> ColumnElement[bool]:
    """Rows of IVC requests, credentials and delegations that ``p`` reads (see the rules above)."""
    if p.has(roles=REGION_READERS, types=(OrgType.REGION,)):
        return true()
    if resource is Resource.IVC_DELEGATION:
        return model.organisation_id.in_(p.org_ids()) if p.org_ids() else false()
    if resource is Resource.IVC_CREDENTIAL:
        issuer = model.issuer.property.mapper.class_
        conditions: list[ColumnElement[bool]] = [model.request.has(person_user_id=p.user_id)]
        if readers := p.org_ids(*REGION_READERS):
            conditions.append(model.issuer.has(issuer.organisation_id.in_(readers)))
        return or_(*conditions)
    conditions = [model.person_user_id == p.user_id]
    if readers := p.org_ids(*REGION_READERS):
        conditions += [model.titolare_org_id.in_(readers), model.provider_org_id.in_(readers)]
    if p.has(roles=(Role.ASSESSOR,)):
        conditions.append(model.assignments.any(user_id=p.user_id))
    return or_(*conditions)


def _iefp_visible(p: Principal, resource: Resource, model: Any) -> ColumnElement[bool]:
    region = _region_staff(p, READ)
    centres, firms = _centre_ids(p), _firm_ids(p)
    if resource is Resource.IEFP_STUDENT:
        return true() if region else model.organisation_id.in_(centres) if centres else false()
    if resource is Resource.IEFP_PLACE:
        conditions: list[ColumnElement[bool]] = [model.organisation_id.in_(firms)] if firms else []
        if region or centres:
            conditions.append(model.status != DRAFT)
        return or_(*conditions) if conditions else false()
    if resource in (Resource.IEFP_CANDIDACY, Resource.IEFP_PLACEMENT):
        if region:
            return true()
        conditions = [model.centre_id.in_(centres)] if centres else []
        if firms:
            firm_rows = model.firm_id.in_(firms)
            conditions.append(firm_rows & model.proposed_at.is_not(None) if hasattr(model, "proposed_at")
                              else firm_rows)
        return or_(*conditions) if conditions else false()
    if resource is Resource.IEFP_SYSTEM:
        return true() if region else false()
    return false()


S = TypeVar("S", bound=Select[Any])


def visible(query: S, principal: Principal, model: Any) -> S:
    """``query`` restricted to the rows of ``model`` that ``principal`` may read. The model names its
    resource in ``__policy_resource__``; a model without one is refused (no silent full access)."""
    resource = getattr(model, "__policy_resource__", None)
    if resource is None:
        raise TypeError(f"{model!r} declares no __policy_resource__")
    return query.where(_visible_condition(principal, Resource(resource), model))


# --- route declarations ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class RoutePolicy:
    action: Action
    resource: Resource
    reason: str = ""


POLICY_ATTR = "__regia_policy__"

# Security schemes, so that OpenAPI documents how to authenticate (the principal itself is resolved by
# regia.auth.principal.resolve, which reads the same header and cookie).
bearer_scheme = HTTPBearer(auto_error=False, scheme_name="bearerToken",
                           description="API token from `POST /api/auth/tokens` or `regia users token`.")
cookie_scheme = APIKeyCookie(name=sessions.SESSION_COOKIE, auto_error=False, scheme_name="sessionCookie",
                             description="Page session from the login page; unsafe methods also need the "
                                         "`X-CSRF-Token` header.")


async def _csrf_ok(request: Request, principal: Principal) -> bool:
    """Cookie-authenticated unsafe requests carry the session's CSRF token (header or form field)."""
    if principal.via != "session" or request.method in sessions.SAFE_METHODS:
        return True
    given = request.headers.get(sessions.CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(sessions.CSRF_FIELD)
        given = value if isinstance(value, str) else None
    return sessions.tokens_match(principal.csrf, given)


def require(action: Action, resource: Resource) -> Callable[..., Any]:
    """Dependency of a route that needs ``action`` on ``resource``; returns the :class:`Principal`.

    Anonymous callers get 401, authenticated ones without the right 403. Row-level decisions (this
    proposal, that organisation) are made by the service with :func:`can` and :func:`visible`."""
    if resource is Resource.PUBLIC:
        raise ValueError("use public() for public routes")

    async def dependency(
        request: Request,
        _bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
        _cookie: Annotated[str | None, Depends(cookie_scheme)],
    ) -> Principal:
        try:
            principal = resolve(request)
        except InvalidCredentials:
            raise errors.NotAuthenticated("invalid or expired token") from None
        if not can(principal, action, resource):
            if not principal.authenticated:
                raise errors.NotAuthenticated("authentication required")
            raise errors.Forbidden(f"not allowed to {action} {resource}")
        if not await _csrf_ok(request, principal):
            raise errors.Forbidden("missing or wrong CSRF token")
        return principal

    setattr(dependency, POLICY_ATTR, RoutePolicy(action, resource))
    dependency.__name__ = f"require_{action}_{resource}"
    return dependency


def public(action: Action = READ, reason: str = "") -> Callable[..., Any]:
    """Dependency of a route open to anyone; returns the principal (anonymous when not logged in, and also
    when a bad token is sent: a public route does not fail on credentials it does not need)."""

    def dependency(request: Request) -> Principal:
        try:
            return resolve(request)
        except InvalidCredentials:
            return ANONYMOUS

    setattr(dependency, POLICY_ATTR, RoutePolicy(action, Resource.PUBLIC, reason))
    dependency.__name__ = f"public_{action}"
    return dependency


PrincipalDep = Annotated[Principal, Depends(public())]


@dataclass(frozen=True)
class PublicPrefix:
    """Routes of other packages declared public here, read-only (GET/HEAD) only: adding a route with
    another method under the prefix needs a declaration of its own."""

    prefix: str
    resource: Resource
    reason: str

    def matches(self, path: str) -> bool:
        return path == self.prefix.rstrip("/") or path.startswith(self.prefix)


PUBLIC_READ_ROUTES: tuple[PublicPrefix, ...] = (
    PublicPrefix("/api/taxonomy/", Resource.TAXONOMY, "reference data, open to everyone"),
    PublicPrefix("/taxonomy", Resource.TAXONOMY, "taxonomy pages: reference data"),
)
PUBLIC_EXACT: dict[str, str] = {
    "/": "home page",
    "/health": "liveness probe, no data",
    "/openapi.json": "API description",
    "/docs": "API documentation",
    "/docs/oauth2-redirect": "API documentation",
}
PUBLIC_MOUNTS: dict[str, str] = {"/static": "static assets (CSS, JS, fonts)"}
READ_METHODS = frozenset({"GET", "HEAD"})


@dataclass(frozen=True)
class RouteInfo:
    """A route as the app serves it (with the prefixes and dependencies of the routers it came through)."""

    path: str
    methods: frozenset[str]
    kind: str  # "api" (FastAPI route), "mount" or "route" (plain Starlette route)
    name: str | None
    dependant: Any = field(default=None, repr=False, compare=False)


def iter_routes(routes: Iterable[BaseRoute]) -> Iterator[RouteInfo]:
    """Every route of an app, included routers flattened."""
    try:  # FastAPI >= 0.160 includes routers lazily; this walks them
        from fastapi.routing import iter_route_contexts
    except ImportError:  # pragma: no cover - older FastAPI: app.routes is already flat
        contexts: Iterable[Any] = routes
    else:
        contexts = iter_route_contexts(list(routes))
    for ctx in contexts:
        original = getattr(ctx, "original_route", ctx)
        kind = "mount" if isinstance(original, Mount) else "api" if isinstance(original, APIRoute) else "route"
        yield RouteInfo(path=str(ctx.path), methods=frozenset(getattr(ctx, "methods", None) or ()), kind=kind,
                        name=getattr(ctx, "name", None),
                        dependant=getattr(ctx, "dependant", None) if kind == "api" else None)


def _dependency_policies(dependant: Any) -> list[RoutePolicy]:
    found: list[RoutePolicy] = []
    stack = [dependant] if dependant is not None else []
    while stack:
        dep = stack.pop()
        if (policy := getattr(dep.call, POLICY_ATTR, None)) is not None:
            found.append(policy)
        stack.extend(dep.dependencies)
    return found


def declared_policy(route: RouteInfo) -> RoutePolicy | None:
    """The policy a route declares, or None (which the route table test reports as an error)."""
    if route.kind == "mount":
        return RoutePolicy(READ, Resource.PUBLIC, PUBLIC_MOUNTS[route.path]) if route.path in PUBLIC_MOUNTS else None
    if route.kind == "api":
        policies = set(_dependency_policies(route.dependant))
        if len(policies) == 1:
            return policies.pop()
        if len(policies) > 1:
            return None  # ambiguous: one declaration per route
    if not route.methods or not route.methods <= READ_METHODS:
        return None
    if route.path in PUBLIC_EXACT:
        return RoutePolicy(READ, Resource.PUBLIC, PUBLIC_EXACT[route.path])
    for rule in PUBLIC_READ_ROUTES:
        if rule.matches(route.path):
            return RoutePolicy(READ, rule.resource, rule.reason)
    return None


def undeclared_routes(routes: Iterable[BaseRoute]) -> list[str]:
    return [f"{','.join(sorted(r.methods))} {r.path}" for r in iter_routes(routes) if declared_policy(r) is None]
