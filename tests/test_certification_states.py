"""The IVC state machine: every legal move works for its party only and is audited (with a Move row and the
next phase's deadline); every other pair of states is refused, whoever asks."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from regia.auth.errors import Conflict, Forbidden
from regia.auth.models import OrgType, Role
from regia.auth.principal import Grant, Principal, cli_principal
from regia.certification import states
from regia.certification.models import STATUSES, AssessorAssignment, Request

ALL_PAIRS = [(s, t) for s, t in itertools.product(STATUSES, STATUSES) if s != t]
ILLEGAL = [pair for pair in ALL_PAIRS if pair not in states.TRANSITIONS]
PERSON, PROVIDER, TITOLARE, OTHER_PROVIDER, FUND = 100, 1, 2, 3, 4
PEOPLE = {
    states.Party.PERSON: Principal(user_id=10, label="user:10"),
    states.Party.PROVIDER: Principal(user_id=11, grants=(Grant(PROVIDER, OrgType.PROVIDER, Role.EDITOR),),
                                     label="user:11"),
    states.Party.VALIDATOR: Principal(user_id=12, grants=(Grant(PROVIDER, OrgType.PROVIDER, Role.ASSESSOR),),
                                      label="user:12"),
    states.Party.EXAMINER: Principal(user_id=13, grants=(Grant(PROVIDER, OrgType.PROVIDER, Role.ASSESSOR),),
                                     label="user:13"),
    states.Party.TITOLARE: Principal(user_id=14, grants=(Grant(TITOLARE, OrgType.REGION, Role.EDITOR),),
                                     label="user:14"),
}
OUTSIDERS = {
    "other provider": Principal(user_id=20, grants=(Grant(OTHER_PROVIDER, OrgType.PROVIDER, Role.EDITOR),)),
    "provider viewer": Principal(user_id=21, grants=(Grant(PROVIDER, OrgType.PROVIDER, Role.VIEWER),)),
    "unassigned assessor": Principal(user_id=22, grants=(Grant(PROVIDER, OrgType.PROVIDER, Role.ASSESSOR),)),
    "fund": Principal(user_id=23, grants=(Grant(FUND, OrgType.FUND, Role.EDITOR),)),
    "another citizen": Principal(user_id=24),
}


def _request(status: str, *, conflict: bool | None = False) -> Request:
    request = Request(id=1, number="IVC-TEST", person_user_id=10, given_name="A", family_name="B",
                      tax_code="RSSMRA85T10A562S", birth_date=date(1985, 12, 10), channel="person",
                      titolare_org_id=TITOLARE, provider_org_id=PROVIDER, profile_id=1, status=status, version=1)
    request.assignments = [AssessorAssignment(user_id=12, role="validation", conflict=conflict),
                           AssessorAssignment(user_id=13, role="evaluation_expert", conflict=conflict)]
    return request


@pytest.mark.parametrize(("source", "target"), ILLEGAL)
def test_every_illegal_move_is_refused_whoever_asks(source: str, target: str) -> None:
    for who in [cli_principal("test"), *PEOPLE.values()]:
        with pytest.raises(Conflict) as refused:
            states.check(who, _request(source), target)
        assert refused.value.key == "certification.err.illegal_move"


@pytest.mark.parametrize(("source", "target"), list(states.TRANSITIONS))
def test_each_legal_move_is_made_by_its_parties_only(source: str, target: str) -> None:
    transition = states.TRANSITIONS[(source, target)]
    for party, who in PEOPLE.items():
        if party in transition.parties:
            assert states.check(who, _request(source), target) is transition
        else:
            with pytest.raises(Forbidden):
                states.check(who, _request(source), target)
    for name, who in OUTSIDERS.items():
        with pytest.raises(Forbidden):
            states.check(who, _request(source), target)
        assert name


@pytest.mark.parametrize("target", ["validated", "assessed"])
def test_an_assessor_with_an_undeclared_or_declared_conflict_cannot_act(target: str) -> None:
    source = {"validated": "validation", "assessed": "certification"}[target]
    party = PEOPLE[states.Party.VALIDATOR if target == "validated" else states.Party.EXAMINER]
    for conflict in (None, True):
        with pytest.raises(Forbidden):
            states.check(party, _request(source, conflict=conflict), target)


def test_moves_are_audited_recorded_and_set_the_deadline(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from regia.auth.models import AuditEntry
    from regia.certification import procedure
    from regia.certification.models import Move
    from regia.db import make_engine, migrate, session_scope
    from support.accounts import build_world
    from support.ivc import PERSON, principal, seed_ivc

    engine = make_engine(f"sqlite:///{tmp_path / 'states.db'}")
    migrate(engine)
    world = build_world(engine)
    seed_ivc(engine, world)
    with session_scope(engine) as session:
        citizen = principal(session, world, "citizen")
        request = procedure.create(session, actor=citizen, profile_code="DEMO-LOG-001",
                                   provider_org_id=world.orgs["provider"], person=PERSON)
        version = request.version
        states.move(session, actor=principal(session, world, "provider_editor"), request=request,
                    target="identification")
        assert request.version == version + 1 and request.status == "identification"
        assert request.phase_due_at is not None
        assert (request.phase_due_at - request.phase_started_at).days == states.PHASE_DAYS["identification"]
        moves = session.scalars(select(Move).where(Move.request_id == request.id).order_by(Move.id)).all()
        assert [(m.source, m.target, m.action) for m in moves] == [("", "requested", "request"),
                                                                   ("requested", "identification", "take_charge")]
        entry = session.scalars(select(AuditEntry).where(AuditEntry.resource_type == "ivc_request")
                                .order_by(AuditEntry.id.desc())).first()
        assert entry.action == "take_charge" and entry.before["status"] == "requested"
        assert "RSSMRA85T10A562S" not in str(session.scalars(select(AuditEntry.after)).all())  # never logged
        states.move(session, actor=citizen, request=request, target="withdrawn")
        assert request.phase_due_at is None  # a final state has no deadline
