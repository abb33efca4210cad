"""The pact state machine: every legal move works for its party and is audited; every other move is refused."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import Engine, select

from regia.auth import service as accounts
from regia.auth.errors import Conflict, Forbidden
from regia.auth.models import AuditEntry, OrgType, Role
from regia.auth.principal import Principal, cli_principal, principal_for
from regia.db import migrate, session_scope
from regia.pacts import states
from regia.pacts.models import DRAFT, STATUSES, SUBMITTED, Proposal

ALL_PAIRS = [(s, t) for s, t in itertools.product(STATUSES, STATUSES) if s != t]
FORBIDDEN = [pair for pair in ALL_PAIRS if pair not in states.TRANSITIONS]
SYSTEM = cli_principal("test")


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    from regia.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('states') / 'states.db'}")
    migrate(engine)
    return engine


@pytest.fixture(scope="module")
def people(engine: Engine) -> dict[str, Principal]:
    """An editor of the owner partnership, an editor of another one, a Region editor, a Region viewer."""
    made: dict[str, Principal] = {}
    with session_scope(engine) as session:
        owner = accounts.create_organisation(session, actor=SYSTEM, name="Patto", type=OrgType.PARTNERSHIP,
                                             tax_code="09000000027")
        other = accounts.create_organisation(session, actor=SYSTEM, name="Altro patto",
                                             type=OrgType.PARTNERSHIP, tax_code="09000000035")
        region = accounts.create_organisation(session, actor=SYSTEM, name="Regione", type=OrgType.REGION,
                                              tax_code="80050050154")
        for key, org, role in (("owner", owner, Role.EDITOR), ("stranger", other, Role.EDITOR),
                               ("region", region, Role.EDITOR), ("region_viewer", region, Role.VIEWER)):
            user = accounts.create_user(session, actor=SYSTEM, email=f"{key}@example.org", display_name=key,
                                        password="a-long-password-1", memberships=[(org.id, role)])
            made[key] = principal_for(user, via="token")
        session.add(Proposal(organisation_id=owner.id, title="P", status=DRAFT, body={}, version=1))
    return made


def _proposal(engine: Engine, status: str) -> int:
    with session_scope(engine) as session:
        owner_org = session.scalars(select(Proposal.organisation_id)).first()
        proposal = Proposal(organisation_id=owner_org, title=f"in {status}", status=status, body={}, version=1)
        session.add(proposal)
        session.flush()
        return proposal.id


@pytest.mark.parametrize(("source", "target"), FORBIDDEN)
def test_every_forbidden_transition_is_refused_even_to_the_system(engine: Engine, people: dict[str, Principal],
                                                                  source: str, target: str) -> None:
    pid = _proposal(engine, source)
    with session_scope(engine) as session:
        proposal = session.get(Proposal, pid)
        assert proposal is not None
        with pytest.raises(Conflict):
            states.move(session, actor=SYSTEM, proposal=proposal, target=target)
        session.rollback()
    with session_scope(engine) as session:
        assert session.get(Proposal, pid).status == source  # type: ignore[union-attr]


@pytest.mark.parametrize("pair", list(states.TRANSITIONS))
def test_every_legal_transition_moves_for_its_party_only_and_is_audited(engine: Engine,
                                                                        people: dict[str, Principal],
                                                                        pair: tuple[str, str]) -> None:
    transition = states.TRANSITIONS[pair]
    allowed = {states.Party.OWNER: "owner", states.Party.REGION: "region"}
    for key in ("owner", "region", "stranger", "region_viewer"):
        pid = _proposal(engine, pair[0])
        with session_scope(engine) as session:
            proposal = session.get(Proposal, pid)
            assert proposal is not None
            may = any(allowed[party] == key for party in transition.parties)
            if not may:
                with pytest.raises(Forbidden):
                    states.move(session, actor=people[key], proposal=proposal, target=pair[1])
                continue
            states.move(session, actor=people[key], proposal=proposal, target=pair[1], note="test")
        with session_scope(engine) as session:
            moved = session.get(Proposal, pid)
            assert moved is not None and moved.status == pair[1] and moved.version == 2
            entry = session.scalars(select(AuditEntry).where(AuditEntry.resource_type == "pact_proposal",
                                                             AuditEntry.resource_id == str(pid))).one()
            assert entry.action == transition.action
            assert entry.before == {"status": pair[0], "version": 1}
            assert entry.after == {"status": pair[1], "version": 2}
            assert entry.actor == people[key].label


def test_the_table_covers_the_issue_path_and_nothing_leaves_closed() -> None:
    path = ["draft", "submitted", "admissible", "evaluated", "selected", "programme_submitted", "approved",
            "in_progress", "closed"]
    for source, target in itertools.pairwise(path):
        assert (source, target) in states.TRANSITIONS
    assert ("submitted", "inadmissible") in states.TRANSITIONS
    assert ("evaluated", "not_selected") in states.TRANSITIONS
    for final in ("closed", "inadmissible", "not_selected"):
        assert states.next_states(final) == []
    assert set(states.next_states(SUBMITTED)) == {"draft", "admissible", "inadmissible"}


def test_the_database_refuses_an_unknown_status(engine: Engine, people: dict[str, Principal]) -> None:
    from sqlalchemy.exc import IntegrityError

    pid = _proposal(engine, DRAFT)
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        proposal = session.get(Proposal, pid)
        assert proposal is not None
        proposal.status = "funded"
        session.flush()
