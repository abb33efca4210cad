"""The detailed programme: editing, the co-financing rules, submission and approval through the state machine."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from regia.auth import service as accounts
from regia.auth.errors import Conflict, Forbidden, InvalidInput
from regia.auth.models import AuditEntry, OrgType, Role
from regia.auth.principal import Principal, principal_for
from regia.db import session_scope
from regia.pacts import programme
from regia.pacts.models import (
    APPROVED,
    DRAFT,
    PROGRAMME_SUBMITTED,
    SELECTED,
    BudgetLine,
    Call,
    ProgrammeAction,
    Proposal,
)
from support.route_tables.pacts_programme import (
    INDICATORS,
    LEAD,
    SCHOOL,
    SYSTEM,
    new_call,
    selected_pact,
    valid_actions,
)

NOW = datetime(2027, 5, 3, 9, 0, tzinfo=UTC)


class People:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        with session_scope(engine) as session:
            owner = accounts.create_organisation(session, actor=SYSTEM, name="Patto", type=OrgType.PARTNERSHIP,
                                                 tax_code="09000000027")
            other = accounts.create_organisation(session, actor=SYSTEM, name="Altro", type=OrgType.PARTNERSHIP,
                                                 tax_code="09000000035")
            region = accounts.create_organisation(session, actor=SYSTEM, name="Regione", type=OrgType.REGION,
                                                  tax_code="80050050154")
            self.owner_org, self.other_org = owner.id, other.id
            self.ids: dict[str, int] = {}
            for key, org, role in (("owner", owner, Role.EDITOR), ("stranger", other, Role.EDITOR),
                                   ("region", region, Role.EDITOR), ("region_viewer", region, Role.VIEWER)):
                user = accounts.create_user(session, actor=SYSTEM, email=f"{key}@example.org", display_name=key,
                                            password="a-long-password-1", memberships=[(org.id, role)])
                self.ids[key] = user.id
            self.call_id = new_call(session, now=NOW).id

    def __getitem__(self, key: str) -> Principal:
        from regia.auth.models import User

        with session_scope(self.engine) as session:
            user = session.get(User, self.ids[key])
            assert user is not None
            return principal_for(user, via="token")

    def selected(self, **kwargs: Any) -> int:
        with session_scope(self.engine) as session:
            call = session.get(Call, self.call_id)
            assert call is not None
            return selected_pact(session, organisation_id=self.owner_org, call=call, **kwargs).id

    def actions(self) -> list[dict[str, Any]]:
        with session_scope(self.engine) as session:
            call = session.get(Call, self.call_id)
            assert call is not None
            return valid_actions(call)


@pytest.fixture
def people(empty_engine: Engine) -> People:
    return People(empty_engine)


def _save(people: People, pid: int, actions: list[dict[str, Any]], who: str = "owner",
          indicators: list[dict[str, Any]] | None = None) -> programme.Programme:
    with session_scope(people.engine) as session:
        version = session.get(Proposal, pid).version  # type: ignore[union-attr]
        return programme.save_programme(session, actor=people[who], proposal_id=pid, actions=actions,
                                        indicators=INDICATORS if indicators is None else indicators,
                                        version=version)


def _issues(people: People, pid: int) -> list[programme.Issue]:
    with session_scope(people.engine) as session:
        return programme.check_programme(session, principal=people["owner"], proposal_id=pid)


def test_a_valid_programme_has_no_issues_and_totals_add_up(people: People) -> None:
    pid = people.selected()
    _save(people, pid, people.actions())
    assert _issues(people, pid) == []
    with session_scope(people.engine) as session:
        p = programme.get_programme(session, principal=people["region"], proposal_id=pid)
        assert p.totals.by_source["regional"] == Decimal("40000")
        assert p.totals.by_source["fse_plus"] == Decimal("20000")
        assert p.totals.cofinancing == Decimal("20000") and p.totals.total == Decimal("80000")
        assert p.totals.cofinancing_share == Decimal("0.25")
        assert p.totals.by_partner[LEAD["tax_code"]]["cofinancing"] == Decimal("10000")
        assert set(p.partners) >= {LEAD["tax_code"], SCHOOL["tax_code"], "09000000027"}
        lines = session.scalar(select(func.count()).select_from(BudgetLine))
        assert lines == 4


def test_saving_replaces_actions_by_code_and_is_audited(people: People) -> None:
    pid = people.selected()
    first = _save(people, pid, people.actions())
    a1_id = next(a.id for a in first.actions if a.code == "A1")
    changed = people.actions()[:1]
    changed[0]["title"] = "Tecnici (rivisto)"
    second = _save(people, pid, changed)
    assert [(a.id, a.title) for a in second.actions] == [(a1_id, "Tecnici (rivisto)")]
    with session_scope(people.engine) as session:
        assert session.scalar(select(func.count()).select_from(ProgrammeAction)) == 1
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "update_programme")).all()
        assert len(entries) == 2
        assert entries[1].after["actions"][0]["title"] == "Tecnici (rivisto)"  # type: ignore[index]


def test_a_stale_version_is_refused(people: People) -> None:
    pid = people.selected()
    with session_scope(people.engine) as session:
        version = session.get(Proposal, pid).version  # type: ignore[union-attr]
    _save(people, pid, people.actions())
    with pytest.raises(Conflict) as caught, session_scope(people.engine) as session:
        programme.save_programme(session, actor=people["owner"], proposal_id=pid, actions=[], version=version)
    assert caught.value.field == "version"


def test_only_the_owner_edits_and_only_while_selected(people: People) -> None:
    pid = people.selected()
    for who in ("stranger", "region", "region_viewer"):
        with pytest.raises(Forbidden), session_scope(people.engine) as session:
            programme.save_programme(session, actor=people[who], proposal_id=pid, actions=[], version=2)
    with session_scope(people.engine) as session:
        draft = Proposal(organisation_id=people.owner_org, title="bozza", status=DRAFT, body={}, version=1)
        session.add(draft)
        session.flush()
        draft_id = draft.id
    with pytest.raises(Conflict), session_scope(people.engine) as session:
        programme.save_programme(session, actor=people["owner"], proposal_id=draft_id, actions=[], version=1)


def test_prefill_takes_the_manifestation_actions_and_impacts(people: People) -> None:
    pid = people.selected()
    with session_scope(people.engine) as session:
        p = programme.prefill(session, actor=people["owner"], proposal_id=pid)
        assert [(a.code, a.kind, a.target_enrolled) for a in p.actions] == [("A1", "training", 20),
                                                                           ("A2", "placement", 15)]
        assert p.indicators[0]["indicator"] == "Occupati a 6 mesi"
        assert p.indicators[0]["actions"] == ["A1", "A2"]
        issues = programme.programme_issues(call=p.call, actions=p.actions, indicators=p.indicators,
                                            partners=p.partners, granted=p.granted)
        assert {i.field for i in issues} >= {"actions[0].budget", "actions[1].budget"}  # money still to add
    with pytest.raises(Conflict), session_scope(people.engine) as session:
        programme.prefill(session, actor=people["owner"], proposal_id=pid)


def test_malformed_rows_name_their_field(people: People) -> None:
    pid = people.selected()
    bad = people.actions()
    bad[1]["start_date"] = "31/02/2027"
    with pytest.raises(InvalidInput) as caught:
        _save(people, pid, bad)
    assert caught.value.field == "actions[1].start_date"
    bad = people.actions()
    bad[0]["budget"][1]["source"] = "lottery"
    with pytest.raises(InvalidInput) as caught:
        _save(people, pid, bad)
    assert caught.value.field == "actions[0].budget[1].source"
    bad = people.actions()
    bad[1]["code"] = "A1"
    with pytest.raises(InvalidInput) as caught:
        _save(people, pid, bad)
    assert caught.value.field == "actions[1].code"


# (mutation of the valid programme, the field its issue must name)
BREAKAGES: list[tuple[str, Any, str]] = [
    ("no actions", lambda acts: acts.clear(), "actions"),
    ("ends before start", lambda acts: acts[0].update(end_date=acts[0]["start_date"] - timedelta(days=1)),
     "actions[0].end_date"),
    ("starts before the ranking", lambda acts: acts[1].update(start_date=acts[1]["start_date"] - timedelta(days=60)),
     "actions[1].start_date"),
    ("ends after the call", lambda acts: acts[0].update(end_date=acts[0]["end_date"] + timedelta(days=900)),
     "actions[0].end_date"),
    ("nobody enrolled", lambda acts: acts[0].update(target_enrolled=0, target_completed=0, target_certified=0,
                                                    target_placed=0), "actions[0].target_enrolled"),
    ("completed > enrolled", lambda acts: acts[0].update(target_completed=21), "actions[0].target_completed"),
    ("certified > completed", lambda acts: acts[0].update(target_certified=17), "actions[0].target_certified"),
    ("placed > enrolled", lambda acts: acts[1].update(target_placed=16), "actions[1].target_placed"),
    ("negative target", lambda acts: acts[1].update(target_certified=-1), "actions[1].target_certified"),
    ("unknown group", lambda acts: acts[0].update(target_group="aliens"), "actions[0].target_group"),
    ("group the call excludes", lambda acts: acts[0].update(target_group="employed"), "actions[0].target_group"),
    ("lead not a partner", lambda acts: acts[0].update(lead_partner_tax_code="12345678901"),
     "actions[0].lead_partner_tax_code"),
    ("line of a stranger", lambda acts: acts[1]["budget"][0].update(partner_tax_code="12345678901"),
     "actions[1].budget[0].partner_tax_code"),
    ("zero line", lambda acts: acts[1]["budget"][1].update(amount="0"), "actions[1].budget[1].amount"),
    ("action without money", lambda acts: acts[1].update(budget=[]), "actions[1].budget"),
    ("regional over the grant", lambda acts: acts[0]["budget"][0].update(amount="60000.01"), "budget.regional"),
    ("fund not granted", lambda acts: acts[1]["budget"].append(
        {"partner_tax_code": SCHOOL["tax_code"], "source": "fund", "amount": "1"}), "budget.fund"),
    ("too little co-financing", lambda acts: acts[1]["budget"][1].update(amount="1000"), "budget.cofinancing"),
]


@pytest.mark.parametrize(("name", "breaks", "field"), BREAKAGES, ids=[b[0] for b in BREAKAGES])
def test_every_rule_names_its_field(people: People, name: str, breaks: Any, field: str) -> None:
    pid = people.selected()
    actions = copy.deepcopy(people.actions())
    breaks(actions)
    _save(people, pid, actions)
    issues = _issues(people, pid)
    assert field in {i.field for i in issues}, (name, issues)
    with pytest.raises(InvalidInput), session_scope(people.engine) as session:
        programme.submit_programme(session, actor=people["owner"], proposal_id=pid, now=NOW)


def test_indicator_rules(people: People) -> None:
    pid = people.selected()
    _save(people, pid, people.actions(), indicators=[])
    assert "indicators" in {i.field for i in _issues(people, pid)}
    _save(people, pid, people.actions(), indicators=[{"indicator": "", "baseline": "1", "target": "2",
                                                      "actions": ["A9"]}])
    fields = {i.field for i in _issues(people, pid)}
    assert {"indicators[0].indicator", "indicators[0].actions"} <= fields


def test_no_grant_means_nothing_public_may_be_budgeted(people: People) -> None:
    pid = people.selected(granted={})
    _save(people, pid, people.actions())
    fields = {i.field for i in _issues(people, pid)}
    assert {"granted", "budget.regional", "budget.fse_plus"} <= fields


# --- the co-financing rule, for any amounts ------------------------------------------------------------------

class _Line:
    def __init__(self, source: str, amount: Decimal, partner: str) -> None:
        self.source, self.amount, self.partner_tax_code, self.description = source, amount, partner, ""


class _Action:
    def __init__(self, lines: list[_Line], start: Any, end: Any) -> None:
        self.code, self.kind, self.title, self.target_group = "A1", "training", "x", "unemployed"
        self.lead_partner_tax_code = None
        self.start_date, self.end_date = start, end
        self.target_enrolled, self.target_completed, self.target_certified, self.target_placed = 10, 5, 5, 5
        self.budget_lines = lines


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500000"), places=2)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(regional=amounts, fse=amounts, cofin=amounts, share=st.decimals(min_value=0, max_value=1, places=4),
       granted_regional=amounts, granted_fse=amounts)
def test_cofinancing_rule_matches_its_definition(regional: Decimal, fse: Decimal, cofin: Decimal, share: Decimal,
                                                 granted_regional: Decimal, granted_fse: Decimal) -> None:
    call = Call(code="X", title="X", ranking_published_at=NOW, evaluation_deadline=NOW,
                ends_on=(NOW + timedelta(days=365)).date(), targets=[], max_grant=None, min_cofinancing_share=share)
    start = NOW.date() + timedelta(days=1)
    action = _Action([_Line("regional", regional, "P1"), _Line("fse_plus", fse, "P1"),
                      _Line("cofinancing", cofin, "P1")], start, start + timedelta(days=30))
    issues = programme.programme_issues(
        call=call, actions=[action],  # type: ignore[list-item]
        indicators=[{"indicator": "x", "baseline": 0, "target": 1, "actions": ["A1"]}], partners=["P1"],
        granted={"regional": granted_regional, "fse_plus": granted_fse})
    fields = {i.field for i in issues}
    total = regional + fse + cofin
    assert ("budget.cofinancing" in fields) == (cofin < share * total)
    assert ("budget.regional" in fields) == (regional > granted_regional)
    assert ("budget.fse_plus" in fields) == (fse > granted_fse)
    assert fields <= {"budget.cofinancing", "budget.regional", "budget.fse_plus"}


# --- transitions ---------------------------------------------------------------------------------------------

def _status(people: People, pid: int) -> str:
    with session_scope(people.engine) as session:
        return session.get(Proposal, pid).status  # type: ignore[union-attr]


def test_submit_return_resubmit_approve(people: People) -> None:
    pid = people.selected()
    _save(people, pid, people.actions())
    for who in ("stranger", "region"):
        with pytest.raises(Forbidden), session_scope(people.engine) as session:
            programme.submit_programme(session, actor=people[who], proposal_id=pid, now=NOW)
    with session_scope(people.engine) as session:
        programme.submit_programme(session, actor=people["owner"], proposal_id=pid, now=NOW)
    assert _status(people, pid) == PROGRAMME_SUBMITTED
    with pytest.raises(Conflict), session_scope(people.engine) as session:  # frozen once presented
        programme.save_programme(session, actor=people["owner"], proposal_id=pid, actions=[], version=99)
    with pytest.raises(Forbidden), session_scope(people.engine) as session:
        programme.approve_programme(session, actor=people["owner"], proposal_id=pid)
    with pytest.raises(Forbidden), session_scope(people.engine) as session:
        programme.approve_programme(session, actor=people["region_viewer"], proposal_id=pid)
    with pytest.raises(InvalidInput), session_scope(people.engine) as session:
        programme.return_programme(session, actor=people["region"], proposal_id=pid, note="  ")
    with session_scope(people.engine) as session:
        programme.return_programme(session, actor=people["region"], proposal_id=pid, note="Più cofinanziamento")
    assert _status(people, pid) == SELECTED
    _save(people, pid, people.actions())
    with session_scope(people.engine) as session:
        programme.submit_programme(session, actor=people["owner"], proposal_id=pid, now=NOW)
        programme.approve_programme(session, actor=people["region"], proposal_id=pid, now=NOW)
    with session_scope(people.engine) as session:
        proposal = session.get(Proposal, pid)
        assert proposal is not None and proposal.status == APPROVED
        assert proposal.approved_at is not None and proposal.programme_submitted_at is not None
        moves = [e.action for e in session.scalars(select(AuditEntry).where(
            AuditEntry.resource_type == "pact_proposal", AuditEntry.resource_id == str(pid))
            .order_by(AuditEntry.id))]
        assert [m for m in moves if m != "update_programme"] == [
            "select", "submit_programme", "return_programme", "submit_programme", "approve_programme"]
        returned = session.scalars(select(AuditEntry).where(AuditEntry.action == "return_programme")).one()
        assert returned.note == "Più cofinanziamento"


def test_submission_after_the_programme_deadline_is_refused(people: People) -> None:
    pid = people.selected()
    _save(people, pid, people.actions())
    with pytest.raises(Conflict) as caught, session_scope(people.engine) as session:
        programme.submit_programme(session, actor=people["owner"], proposal_id=pid, now=NOW + timedelta(days=31))
    assert caught.value.field == "programme_deadline"
    assert _status(people, pid) == SELECTED


def test_approve_needs_a_presented_programme(people: People) -> None:
    pid = people.selected()
    with pytest.raises(Conflict), session_scope(people.engine) as session:
        programme.approve_programme(session, actor=people["region"], proposal_id=pid)
    with pytest.raises(Conflict), session_scope(people.engine) as session:
        programme.close(session, actor=people["region"], proposal_id=pid)
    with pytest.raises(Conflict), session_scope(people.engine) as session:
        programme.start(session, actor=people["region"], proposal_id=pid)
    assert _status(people, pid) == SELECTED


# --- two editors at once -------------------------------------------------------------------------------------

def test_two_editors_saving_the_same_version_at_once_one_gets_409(people: People) -> None:
    """Both read version v and save together: exactly one save lands, the other is refused (no lost update)."""
    if people.engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL (SQLite serialises whole transactions)")
    import threading

    from regia.db import session_factory

    pid = people.selected()
    owner = people["owner"]
    with session_scope(people.engine) as session:
        version = session.get(Proposal, pid).version  # type: ignore[union-attr]
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}
    titles = {"first": "Prima versione", "second": "Seconda versione"}

    def save(name: str) -> None:
        actions = people.actions()
        actions[0]["title"] = titles[name]
        with session_factory(people.engine)() as session:
            session.get(Proposal, pid)  # both read the same version
            barrier.wait()
            try:
                programme.save_programme(session, actor=owner, proposal_id=pid, actions=actions,
                                         indicators=INDICATORS, version=version)
                session.commit()
                outcomes[name] = "saved"
            except Conflict:
                session.rollback()
                outcomes[name] = "conflict"

    threads = [threading.Thread(target=save, args=(n,)) for n in titles]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes.values()) == ["conflict", "saved"], outcomes
    winner = next(n for n, o in outcomes.items() if o == "saved")
    with session_scope(people.engine) as session:
        assert session.get(Proposal, pid).version == version + 1  # type: ignore[union-attr]
        titles_now = session.scalars(select(ProgrammeAction.title).where(ProgrammeAction.proposal_id == pid,
                                                                         ProgrammeAction.code == "A1")).all()
        assert titles_now == [titles[winner]]
