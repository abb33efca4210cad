"""Admissibility, evaluators and conflicts of interest, score sheets with optimistic locking, the consensus
sheet's per-criterion merge, aggregation, the published ranking and the outcome letters — on SQLite and
PostgreSQL. Proposals in the states this part needs are made directly with the models and ``states.move``."""

from __future__ import annotations

import hashlib
import io
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from regia.auth import service as accounts
from regia.auth.errors import Conflict, Forbidden, InvalidInput
from regia.auth.models import AuditEntry, OrgType, Role, User
from regia.auth.principal import Principal, cli_principal, principal_for
from regia.db import session_factory, session_scope
from regia.pacts import evaluation, letters, states
from regia.pacts.models import (
    ADMISSIBLE,
    EVALUATED,
    INADMISSIBLE,
    NOT_SELECTED,
    SELECTED,
    SUBMITTED,
    Call,
    Document,
    Proposal,
    ProposalVersion,
    ScoreSheet,
)

SYSTEM = cli_principal("test")
NOW = datetime.now(UTC).replace(microsecond=0)
GRID = [
    {"code": "C1", "label": "Qualità del partenariato", "weight": 2, "max_score": 10, "threshold": 5},
    {"code": "C2", "label": "Coerenza con i fabbisogni", "weight": 1, "max_score": 10, "threshold": 4},
    {"code": "C3", "label": "Impatto occupazionale", "weight": 1, "max_score": 10, "threshold": None},
]
PARTNER_TYPES = ("cciaa", "employers_association", "education")
TAX_CODES = ("09000000043", "09000000050", "09000000068")


# --- building blocks (used by the browser test too) --------------------------------------------------------

def make_call(session: Session, *, code: str = "PT-2027", deadline: datetime | None = None,
              **overrides: Any) -> Call:
    deadline = deadline or NOW - timedelta(days=1)
    values: dict[str, Any] = dict(
        code=code, title="Patti territoriali per competenze e occupazione 2027", opens_at=deadline - timedelta(60),
        manifestation_deadline=deadline, evaluation_deadline=deadline + timedelta(30),
        programme_deadline=deadline + timedelta(90), ends_on=date(2029, 12, 31), territories=["ITC4C", "ITC46"],
        required_partner_types=["cciaa", "education"], min_partners=3, targets=["unemployed"], grid=GRID,
        min_total=Decimal(20), aggregation="average", max_spread=Decimal(0), min_evaluators=2,
        budget={"regional": "500000", "fse_plus": "300000"}, max_grant=Decimal(400000))
    values.update(overrides)
    call = Call(**values)
    session.add(call)
    session.flush()
    return call


def manifestation(*, nuts3: tuple[str, ...] = ("ITC4C",), types: tuple[str, ...] = PARTNER_TYPES,
                  legacy: bool = False) -> dict[str, Any]:
    """A manifestation in the shape of :mod:`regia.pacts.manifestation` (``lead`` + ``partners`` with
    ``type``), or with ``legacy`` the older flat shape (``partners`` with ``org_type``)."""
    key = "org_type" if legacy else "type"
    partners = [{"name": f"Partner {i + 1}", "tax_code": TAX_CODES[i], key: t,
                 "role": "lead" if i == 0 else "partner"} for i, t in enumerate(types)]
    body: dict[str, Any] = {"summary": "Competenze per la manifattura", "territory": {"nuts3": list(nuts3)}}
    if legacy:
        return {**body, "partners": partners}
    return {**body, "lead": partners[0], "partners": partners[1:]}


def submitted_proposal(session: Session, *, call: Call, organisation_id: int, title: str = "Patto",
                       body: dict[str, Any] | None = None, letters_for: int | None = None,
                       submitted_at: datetime | None = None,
                       requested: dict[str, str] | None = None) -> Proposal:
    """A proposal of ``call`` in ``submitted``, with its frozen version and one letter of commitment per
    partner (or for the first ``letters_for`` partners)."""
    body = body if body is not None else manifestation()
    when = submitted_at or call.manifestation_deadline - timedelta(days=2)
    proposal = Proposal(call_id=call.id, organisation_id=organisation_id, title=title, status="draft", body=body,
                        version=1, requested=requested or {"regional": "100000"})
    session.add(proposal)
    session.flush()
    partners = ([body["lead"]] if body.get("lead") else []) + body.get("partners", [])
    for partner in partners[:letters_for if letters_for is not None else len(partners)]:
        data = f"lettera di {partner['name']}".encode()
        session.add(Document(proposal_id=proposal.id, kind="commitment_letter", partner_tax_code=partner["tax_code"],
                             filename="lettera.pdf", content_type="application/pdf", size=len(data),
                             sha256=hashlib.sha256(data).hexdigest(), data=data, uploaded_by="test"))
    session.add(ProposalVersion(proposal_id=proposal.id, number=1, title=title, body=body, evidence={},
                                content_hash="0" * 64, submitted_at=when, submitted_by="test"))
    proposal.submitted_at = when
    states.move(session, actor=SYSTEM, proposal=proposal, target=SUBMITTED)
    return proposal


def admitted(session: Session, proposal: Proposal) -> Proposal:
    return evaluation.decide_admissibility(session, actor=SYSTEM, proposal_id=proposal.id, admissible=True)


def user(session: Session, *, email: str, org_id: int, role: Role, password: str | None = None) -> Principal:
    made = accounts.create_user(session, actor=SYSTEM, email=email, display_name=email.split("@")[0],
                                password=password, memberships=[(org_id, role)])
    return principal_for(made, via="token")


@dataclass
class Panel:
    engine: Engine
    region: int
    partnerships: list[int]
    staff: Principal
    owner: Principal
    evaluators: list[Principal]
    ids: dict[str, int] = field(default_factory=dict)


def build_panel(engine: Engine, *, password: str | None = None) -> Panel:
    """The Region (a staff editor, three evaluators), two partnerships (an editor of the first)."""
    with session_scope(engine) as session:
        region = accounts.create_organisation(session, actor=SYSTEM, name="Regione Lombardia", type=OrgType.REGION,
                                              tax_code="80050050154").id
        pa = accounts.create_organisation(session, actor=SYSTEM, name="Patto Brianza", type=OrgType.PARTNERSHIP,
                                          tax_code="09000000027").id
        pb = accounts.create_organisation(session, actor=SYSTEM, name="Patto Valtellina", type=OrgType.PARTNERSHIP,
                                          tax_code="09000000035").id
        staff = user(session, email="funzionario@example.org", org_id=region, role=Role.EDITOR, password=password)
        owner = user(session, email="patto.a@example.org", org_id=pa, role=Role.EDITOR, password=password)
        evaluators = [user(session, email=f"valutatore{i}@example.org", org_id=region, role=Role.EVALUATOR,
                           password=password) for i in (1, 2, 3)]
    return Panel(engine, region, [pa, pb], staff, owner, evaluators)


def open_sheet(session: Session, panel: Panel, proposal_id: int, who: int) -> int:
    """Assign evaluator ``who`` and declare no conflict; the assignment's id."""
    assignment = evaluation.assign(session, actor=panel.staff, proposal_id=proposal_id,
                                   evaluator_id=panel.evaluators[who].user_id or 0)
    evaluation.declare(session, actor=panel.evaluators[who], assignment_id=assignment.id, conflict=False)
    return assignment.id


def score(session: Session, panel: Panel, assignment_id: int, who: int, values: dict[str, int]) -> ScoreSheet:
    sheet = evaluation.get_sheet(session, principal=panel.evaluators[who], assignment_id=assignment_id)
    scores = {c: {"score": v, "comment": "" if v >= 5 else "debole"} for c, v in values.items()}
    sheet = evaluation.save_sheet(session, actor=panel.evaluators[who], assignment_id=assignment_id, scores=scores,
                                  version=sheet.version)
    return evaluation.submit_sheet(session, actor=panel.evaluators[who], assignment_id=assignment_id,
                                   version=sheet.version)


@pytest.fixture
def panel(empty_engine: Engine) -> Panel:
    return build_panel(empty_engine)


# --- admissibility -----------------------------------------------------------------------------------------

def test_admissibility_checks_read_the_frozen_version(panel: Panel) -> None:
    with session_scope(panel.engine) as session:
        call = make_call(session)
        good = submitted_proposal(session, call=call, organisation_id=panel.partnerships[0])
        checks = evaluation.check_admissibility(session, proposal=good)
        assert {c["check"]: c["passed"] for c in checks} == {
            "deadline": True, "min_partners": True, "partner_types": True, "commitment_letters": True,
            "territory": True}
        good.body = {}  # later edits of the working copy do not change what is checked
        assert all(c["passed"] for c in evaluation.check_admissibility(session, proposal=good))

        bad = submitted_proposal(session, call=call, organisation_id=panel.partnerships[1], letters_for=1,
                                 body=manifestation(nuts3=("ITC4C", "ITC41"), types=("cciaa", "bank_foundation"),
                                                   legacy=True),
                                 submitted_at=call.manifestation_deadline + timedelta(minutes=1))
        checks = {c["check"]: c for c in evaluation.check_admissibility(session, proposal=bad)}
        assert not checks["deadline"]["passed"]
        assert not checks["min_partners"]["passed"] and "2 partner" in checks["min_partners"]["note"]
        assert not checks["partner_types"]["passed"] and "education" in checks["partner_types"]["note"]
        assert not checks["commitment_letters"]["passed"] and "Partner 2" in checks["commitment_letters"]["note"]
        assert not checks["territory"]["passed"] and "ITC41" in checks["territory"]["note"]


def test_territory_from_provinces_and_comuni_and_letters_by_document_id(panel: Panel) -> None:
    with session_scope(panel.engine) as session:
        call = make_call(session)
        body = manifestation()
        body["territory"] = {"provinces": ["bg"], "comuni": ["015146"], "nuts3": []}  # Bergamo, Milano
        inside = submitted_proposal(session, call=call, organisation_id=panel.partnerships[0], body=body,
                                    letters_for=0)
        for partner in [body["lead"], *body["partners"]]:  # letters linked by id, not by codice fiscale
            doc = Document(proposal_id=inside.id, kind="commitment_letter", partner_tax_code=None,
                           filename="l.pdf", content_type="application/pdf", size=1, sha256="0" * 64, data=b"x",
                           uploaded_by="test")
            session.add(doc)
            session.flush()
            partner["letter_document_id"] = doc.id
        version = evaluation.latest_version(session, inside)
        assert version is not None
        version.body = {**body}
        session.flush()
        checks = {c["check"]: c for c in evaluation.check_admissibility(session, proposal=inside)}
        assert checks["territory"]["passed"] and checks["territory"]["note"] == "ITC46, ITC4C"
        assert checks["commitment_letters"]["passed"]
        body2 = manifestation()
        body2["territory"] = {"comuni": ["012026"]}  # a comune of Varese: outside the call
        outside = submitted_proposal(session, call=call, organisation_id=panel.partnerships[1], body=body2)
        checks = {c["check"]: c for c in evaluation.check_admissibility(session, proposal=outside)}
        assert not checks["territory"]["passed"] and "ITC41" in checks["territory"]["note"]


def test_decide_admissibility(panel: Panel) -> None:
    with session_scope(panel.engine) as session:
        call = make_call(session)
        good = submitted_proposal(session, call=call, organisation_id=panel.partnerships[0])
        bad = submitted_proposal(session, call=call, organisation_id=panel.partnerships[1], letters_for=2)
        with pytest.raises(Forbidden):
            evaluation.decide_admissibility(session, actor=panel.owner, proposal_id=good.id, admissible=True)
        with pytest.raises(Forbidden):
            evaluation.decide_admissibility(session, actor=panel.evaluators[0], proposal_id=good.id,
                                            admissible=True)
        with pytest.raises(InvalidInput) as failed:
            evaluation.decide_admissibility(session, actor=panel.staff, proposal_id=bad.id, admissible=True)
        assert failed.value.field == "admissible" and "commitment_letters" in failed.value.detail
        with pytest.raises(InvalidInput) as why:
            evaluation.decide_admissibility(session, actor=panel.staff, proposal_id=good.id, admissible=False)
        assert why.value.field == "note"
        evaluation.decide_admissibility(session, actor=panel.staff, proposal_id=good.id, admissible=True)
        evaluation.decide_admissibility(session, actor=panel.staff, proposal_id=bad.id, admissible=False,
                                        note="manca una lettera")
        assert (good.status, bad.status) == (ADMISSIBLE, INADMISSIBLE)
        assert bad.admissibility[-1] == {"check": "decision", "passed": False, "note": "manca una lettera"}
        with pytest.raises(Conflict):  # decided once
            evaluation.decide_admissibility(session, actor=panel.staff, proposal_id=good.id, admissible=True)
        recorded = session.scalars(select(AuditEntry.after).where(AuditEntry.action == "record_admissibility",
                                                                   AuditEntry.resource_id == str(bad.id))).one()
        assert recorded["admissibility"] == bad.admissibility
        moves = session.scalars(select(AuditEntry.action).where(AuditEntry.resource_type == "pact_proposal",
                                                                AuditEntry.resource_id.in_([str(good.id),
                                                                                            str(bad.id)]))).all()
        assert {"admit", "declare_inadmissible"} <= set(moves)


@settings(max_examples=300, deadline=None)
@given(code=st.sampled_from([c["code"] for c in GRID]),
       score=st.decimals(min_value=-5, max_value=15, places=2, allow_nan=False, allow_infinity=False),
       comment=st.sampled_from(["", "motivazione"]))
def test_score_validation_property(code: str, score: Decimal, comment: str) -> None:
    """A score is accepted iff 0 ≤ score ≤ max and (score ≥ threshold or a comment is given); a refusal names
    the criterion's field."""
    call = Call(grid=GRID)
    criterion = next(c for c in GRID if c["code"] == code)
    threshold = criterion["threshold"]
    ok = 0 <= score <= criterion["max_score"] and (threshold is None or score >= threshold or bool(comment))
    try:
        cleaned = evaluation.validate_scores(call, {code: {"score": str(score), "comment": comment}}, complete=False)
    except InvalidInput as exc:
        assert not ok and exc.field == f"scores.{code}"
    else:
        assert ok and Decimal(cleaned[code]["score"]) == score and cleaned[code]["comment"] == comment


# --- assignments and conflicts of interest ----------------------------------------------------------------

def test_assignment_and_conflict_of_interest(panel: Panel) -> None:
    with session_scope(panel.engine) as session:
        call = make_call(session)
        proposal = submitted_proposal(session, call=call, organisation_id=panel.partnerships[0])
        with pytest.raises(Conflict):  # not admissible yet
            evaluation.assign(session, actor=panel.staff, proposal_id=proposal.id,
                              evaluator_id=panel.evaluators[0].user_id or 0)
        admitted(session, proposal)
        with pytest.raises(InvalidInput):  # not an evaluator
            evaluation.assign(session, actor=panel.staff, proposal_id=proposal.id,
                              evaluator_id=panel.owner.user_id or 0)
        # an evaluator who is also a member of the proposing partnership: automatic conflict
        insider = accounts.create_user(session, actor=SYSTEM, email="interno@example.org", display_name="interno",
                                       memberships=[(panel.region, Role.EVALUATOR),
                                                    (panel.partnerships[0], Role.VIEWER)])
        with pytest.raises(Conflict) as automatic:
            evaluation.assign(session, actor=panel.staff, proposal_id=proposal.id, evaluator_id=insider.id)
        assert automatic.value.field == "evaluator_id"
        # ... or of a partner organisation named in the manifestation (by codice fiscale)
        chamber = accounts.create_organisation(session, actor=SYSTEM, name="CCIAA", type=OrgType.CCIAA,
                                               tax_code=TAX_CODES[0])
        partner_member = accounts.create_user(session, actor=SYSTEM, email="camera@example.org",
                                              display_name="camera", memberships=[(panel.region, Role.EVALUATOR),
                                                                                  (chamber.id, Role.VIEWER)])
        with pytest.raises(Conflict):
            evaluation.assign(session, actor=panel.staff, proposal_id=proposal.id, evaluator_id=partner_member.id)
        with pytest.raises(Forbidden):
            evaluation.assign(session, actor=panel.evaluators[0], proposal_id=proposal.id,
                              evaluator_id=panel.evaluators[0].user_id or 0)

        first = evaluation.assign(session, actor=panel.staff, proposal_id=proposal.id,
                                  evaluator_id=panel.evaluators[0].user_id or 0)
        with pytest.raises(Conflict):  # twice
            evaluation.assign(session, actor=panel.staff, proposal_id=proposal.id,
                              evaluator_id=panel.evaluators[0].user_id or 0)
        with pytest.raises(Forbidden):  # somebody else's assignment
            evaluation.declare(session, actor=panel.evaluators[1], assignment_id=first.id, conflict=False)
        with pytest.raises(Conflict):  # scoring before declaring
            evaluation.save_sheet(session, actor=panel.evaluators[0], assignment_id=first.id, scores={}, version=1)
        with pytest.raises(InvalidInput):
            evaluation.declare(session, actor=panel.evaluators[0], assignment_id=first.id, conflict=True)
        evaluation.declare(session, actor=panel.evaluators[0], assignment_id=first.id, conflict=True,
                           note="ho collaborato con il capofila")
        with pytest.raises(Conflict):  # once only
            evaluation.declare(session, actor=panel.evaluators[0], assignment_id=first.id, conflict=False)
        with pytest.raises(Forbidden):  # a conflicted evaluator cannot score
            evaluation.save_sheet(session, actor=panel.evaluators[0], assignment_id=first.id, scores={}, version=1)
        assert first.sheet is None
        # the Region assigns another; lists: mine for evaluators, all of the proposal for the Region
        second = open_sheet(session, panel, proposal.id, 1)
        mine = evaluation.list_assignments(session, principal=panel.evaluators[1], mine=True)
        assert [a.id for a in mine] == [second]
        assert {a.id for a in evaluation.list_assignments(session, principal=panel.staff,
                                                          proposal_id=proposal.id)} == {first.id, second}
        assert evaluation.list_assignments(session, principal=panel.evaluators[2]) == []


# --- score sheets -------------------------------------------------------------------------------------------

def test_score_sheet_validation_and_stale_save(panel: Panel) -> None:
    with session_scope(panel.engine) as session:
        call = make_call(session)
        proposal = admitted(session, submitted_proposal(session, call=call, organisation_id=panel.partnerships[0]))
        aid = open_sheet(session, panel, proposal.id, 0)
        me = panel.evaluators[0]
        for bad, field in (({"C9": {"score": 3}}, "scores.C9"), ({"C1": {"score": 11}}, "scores.C1"),
                           ({"C1": {"score": -1}}, "scores.C1"), ({"C2": {"score": 3, "comment": ""}}, "scores.C2"),
                           ({"C1": {"score": "molto"}}, "scores.C1")):
            with pytest.raises(InvalidInput) as error:
                evaluation.save_sheet(session, actor=me, assignment_id=aid, scores=bad, version=1)
            assert error.value.field == field
        sheet = evaluation.save_sheet(session, actor=me, assignment_id=aid, version=1,
                                      scores={"C1": {"score": 8}, "C2": {"score": 3, "comment": "poco chiaro"}})
        assert sheet.version == 2 and sheet.scores["C2"] == {"score": "3", "comment": "poco chiaro"}
        with pytest.raises(Conflict) as stale:  # a save based on version 1 after version 2 was written
            evaluation.save_sheet(session, actor=me, assignment_id=aid, scores={"C1": {"score": 2}}, version=1)
        assert stale.value.field == "version"
        assert sheet.scores["C1"]["score"] == "8"
        with pytest.raises(InvalidInput) as incomplete:  # C3 missing
            evaluation.submit_sheet(session, actor=me, assignment_id=aid, version=2)
        assert incomplete.value.field == "scores.C3"
        evaluation.submit_sheet(session, actor=me, assignment_id=aid, version=2,
                                scores={**sheet.scores, "C3": {"score": 7}})
        with pytest.raises(Conflict):  # submitted sheets are final
            evaluation.save_sheet(session, actor=me, assignment_id=aid, scores={}, version=sheet.version)
        with pytest.raises(Forbidden):  # another evaluator cannot touch it
            evaluation.save_sheet(session, actor=panel.evaluators[1], assignment_id=aid, scores={}, version=3)


def test_two_sessions_saving_one_sheet_the_second_gets_conflict(panel: Panel) -> None:
    """The same evaluator in two windows: both read version n, the second save is refused (version column)."""
    with session_scope(panel.engine) as session:
        call = make_call(session)
        proposal = admitted(session, submitted_proposal(session, call=call, organisation_id=panel.partnerships[0]))
        aid = open_sheet(session, panel, proposal.id, 0)
    me = panel.evaluators[0]
    factory = session_factory(panel.engine)
    with factory() as one, factory() as two:
        v1 = evaluation.get_sheet(one, principal=me, assignment_id=aid).version
        v2 = evaluation.get_sheet(two, principal=me, assignment_id=aid).version
        assert v1 == v2
        evaluation.save_sheet(one, actor=me, assignment_id=aid, scores={"C1": {"score": 9}}, version=v1)
        one.commit()
        with pytest.raises(Conflict):
            evaluation.save_sheet(two, actor=me, assignment_id=aid, scores={"C1": {"score": 1, "comment": "x"}},
                                  version=v2)
        two.rollback()
    with factory() as check:
        assert evaluation.get_sheet(check, principal=me, assignment_id=aid).scores["C1"]["score"] == "9"


# --- consensus ----------------------------------------------------------------------------------------------

def test_consensus_merges_per_criterion_and_refuses_overlaps(panel: Panel) -> None:
    with session_scope(panel.engine) as session:
        call = make_call(session, aggregation="consensus")
        proposal = admitted(session, submitted_proposal(session, call=call, organisation_id=panel.partnerships[0]))
        for who in (0, 1):
            open_sheet(session, panel, proposal.id, who)
        a, b = panel.evaluators[0], panel.evaluators[1]
        base = evaluation.get_consensus(session, principal=a, proposal_id=proposal.id).version
        evaluation.save_consensus(session, actor=a, proposal_id=proposal.id, changes={"C1": {"score": 7}},
                                  version=base)
        # b read the same base and changes another criterion: merged, a's change kept
        sheet = evaluation.save_consensus(session, actor=b, proposal_id=proposal.id,
                                          changes={"C2": {"score": 6}}, version=base)
        assert sheet.scores["C1"]["score"] == "7" and sheet.scores["C2"]["score"] == "6"
        # b, still from the old base, changes C1 that a changed since: conflict, nothing lost
        with pytest.raises(Conflict) as clash:
            evaluation.save_consensus(session, actor=b, proposal_id=proposal.id, changes={"C1": {"score": 3,
                                      "comment": "no"}}, version=base)
        assert clash.value.field == "scores.C1" and sheet.scores["C1"]["score"] == "7"
        # from the current version it is fine
        evaluation.save_consensus(session, actor=b, proposal_id=proposal.id, changes={"C1": {"score": 8}},
                                  version=sheet.version)
        with pytest.raises(Forbidden):  # not on the panel
            evaluation.save_consensus(session, actor=panel.evaluators[2], proposal_id=proposal.id,
                                      changes={"C3": {"score": 5}}, version=sheet.version)
        with pytest.raises(Conflict):  # incomplete consensus sheet
            evaluation.close_evaluation(session, actor=panel.staff, proposal_id=proposal.id)
        evaluation.save_consensus(session, actor=a, proposal_id=proposal.id, changes={"C3": {"score": 5}},
                                  version=sheet.version)
        evaluation.close_evaluation(session, actor=panel.staff, proposal_id=proposal.id)
        assert proposal.final_scores == {"C1": "8", "C2": "6", "C3": "5"}
        assert proposal.total_score == Decimal(2 * 8 + 6 + 5)


@pytest.mark.postgres
def test_concurrent_consensus_saves_lose_no_update(empty_engine: Engine) -> None:
    """Two evaluators save the same consensus sheet at the same moment, from two connections and threads,
    each from the same version: both changes (different criteria) survive; an overlapping stale save gets
    Conflict. Repeated to give the race many chances."""
    if empty_engine.dialect.name != "postgresql":
        pytest.skip("the race needs row locks of a server database (PostgreSQL)")
    panel = build_panel(empty_engine)
    with session_scope(panel.engine) as session:
        call = make_call(session, aggregation="consensus")
        proposal = admitted(session, submitted_proposal(session, call=call, organisation_id=panel.partnerships[0]))
        for who in (0, 1):
            open_sheet(session, panel, proposal.id, who)
        pid = proposal.id
    factory = session_factory(panel.engine)
    for round_ in range(8):
        with factory() as s:
            base = evaluation.get_consensus(s, principal=panel.evaluators[0], proposal_id=pid).version
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def save(who: int, code: str, value: int, base: int = base, barrier: threading.Barrier = barrier,
                 errors: list[BaseException] = errors) -> None:
            try:
                with factory() as s:
                    evaluation.get_consensus(s, principal=panel.evaluators[who], proposal_id=pid)
                    barrier.wait(timeout=10)
                    evaluation.save_consensus(s, actor=panel.evaluators[who], proposal_id=pid,
                                              changes={code: {"score": value}}, version=base)
                    s.commit()
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=save, args=(0, "C1", 5 + round_ % 5)),
                   threading.Thread(target=save, args=(1, "C2", 4 + round_ % 6))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert errors == []
        with factory() as s:
            sheet = evaluation.get_consensus(s, principal=panel.staff, proposal_id=pid)
            assert sheet.scores["C1"]["score"] == str(5 + round_ % 5)
            assert sheet.scores["C2"]["score"] == str(4 + round_ % 6)
            assert sheet.version == base + 2
    # an overlapping save from a stale version: 409, the other's value stays
    with factory() as one, factory() as two:
        base = evaluation.get_consensus(one, principal=panel.evaluators[0], proposal_id=pid).version
        evaluation.save_consensus(one, actor=panel.evaluators[0], proposal_id=pid, changes={"C3": {"score": 9}},
                                  version=base)
        one.commit()
        with pytest.raises(Conflict):
            evaluation.save_consensus(two, actor=panel.evaluators[1], proposal_id=pid,
                                      changes={"C3": {"score": 2}}, version=base)
    with factory() as s:
        assert evaluation.get_consensus(s, principal=panel.staff, proposal_id=pid).scores["C3"]["score"] == "9"


@pytest.mark.postgres
def test_concurrent_individual_saves_one_wins_other_conflicts(empty_engine: Engine) -> None:
    """Two windows of one evaluator's sheet saving at once: exactly one succeeds, the other gets Conflict."""
    if empty_engine.dialect.name != "postgresql":
        pytest.skip("the race needs row locks of a server database (PostgreSQL)")
    panel = build_panel(empty_engine)
    with session_scope(panel.engine) as session:
        call = make_call(session)
        proposal = admitted(session, submitted_proposal(session, call=call, organisation_id=panel.partnerships[0]))
        aid = open_sheet(session, panel, proposal.id, 0)
    factory = session_factory(panel.engine)
    me = panel.evaluators[0]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def save(value: int) -> None:
        with factory() as s:
            version = evaluation.get_sheet(s, principal=me, assignment_id=aid).version
            barrier.wait(timeout=10)
            try:
                evaluation.save_sheet(s, actor=me, assignment_id=aid, scores={"C1": {"score": value}}, version=version)
                s.commit()
                outcomes.append(f"saved:{value}")
            except Conflict:
                s.rollback()
                outcomes.append("conflict")

    threads = [threading.Thread(target=save, args=(v,)) for v in (6, 7)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(o.split(":")[0] for o in outcomes) == ["conflict", "saved"]
    winner = next(o for o in outcomes if o.startswith("saved")).split(":")[1]
    with factory() as s:
        assert evaluation.get_sheet(s, principal=me, assignment_id=aid).scores["C1"]["score"] == winner


# --- aggregation, ranking, letters ---------------------------------------------------------------------------

def test_average_close_needs_min_evaluators_and_spread_triggers_consensus(panel: Panel) -> None:
    with session_scope(panel.engine) as session:
        call = make_call(session, max_spread=Decimal(3))
        proposal = admitted(session, submitted_proposal(session, call=call, organisation_id=panel.partnerships[0]))
        a0, a1 = open_sheet(session, panel, proposal.id, 0), open_sheet(session, panel, proposal.id, 1)
        score(session, panel, a0, 0, {"C1": 8, "C2": 6, "C3": 7})
        with pytest.raises(Conflict) as few:
            evaluation.close_evaluation(session, actor=panel.staff, proposal_id=proposal.id)
        assert few.value.field == "sheets"
        score(session, panel, a1, 1, {"C1": 7, "C2": 6, "C3": 2})  # C3 differs by 5 > 3: consensus needed
        assert evaluation.aggregate(session, proposal=proposal).needs_consensus
        with pytest.raises(Conflict) as consensus:
            evaluation.close_evaluation(session, actor=panel.staff, proposal_id=proposal.id)
        assert consensus.value.field == "consensus"
        version = evaluation.get_consensus(session, principal=panel.evaluators[0], proposal_id=proposal.id).version
        evaluation.save_consensus(session, actor=panel.evaluators[0], proposal_id=proposal.id, version=version,
                                  changes={"C1": {"score": 7.5}, "C2": {"score": 6}, "C3": {"score": 5}})
        with pytest.raises(Forbidden):
            evaluation.close_evaluation(session, actor=panel.evaluators[0], proposal_id=proposal.id)
        evaluation.close_evaluation(session, actor=panel.staff, proposal_id=proposal.id)
        assert proposal.status == EVALUATED
        assert proposal.total_score == Decimal("26.00")  # 2 × 7.5 + 6 + 5


def test_average_aggregation(panel: Panel) -> None:
    with session_scope(panel.engine) as session:
        call = make_call(session)
        proposal = admitted(session, submitted_proposal(session, call=call, organisation_id=panel.partnerships[0]))
        ids = [open_sheet(session, panel, proposal.id, who) for who in (0, 1, 2)]
        score(session, panel, ids[0], 0, {"C1": 8, "C2": 6, "C3": 7})
        score(session, panel, ids[1], 1, {"C1": 7, "C2": 5, "C3": 4})
        # the third evaluator's draft does not count
        evaluation.save_sheet(session, actor=panel.evaluators[2], assignment_id=ids[2], version=1,
                              scores={"C1": {"score": 0, "comment": "pessimo"}})
        evaluation.close_evaluation(session, actor=panel.staff, proposal_id=proposal.id)
        assert proposal.final_scores == {"C1": "7.50", "C2": "5.50", "C3": "5.50"}
        assert proposal.total_score == Decimal("26.00")


def _evaluated(session: Session, panel: Panel, call: Call, org: int, title: str, values: dict[str, int],
               requested: dict[str, str], submitted_at: datetime | None = None) -> Proposal:
    proposal = admitted(session, submitted_proposal(session, call=call, organisation_id=org, title=title,
                                                    requested=requested, submitted_at=submitted_at))
    for who in (0, 1):
        score(session, panel, open_sheet(session, panel, proposal.id, who), who, values)
    return evaluation.close_evaluation(session, actor=panel.staff, proposal_id=proposal.id)


def test_publish_ranking_and_letters(panel: Panel) -> None:
    pypdf = pytest.importorskip("pypdf")
    with session_scope(panel.engine) as session:
        call = make_call(session, budget={"regional": "150000", "fse_plus": "50000"})
        pa, pb = panel.partnerships
        early = call.manifestation_deadline - timedelta(days=5)
        best = _evaluated(session, panel, call, pa, "Primo", {"C1": 9, "C2": 8, "C3": 8}, {"regional": "120000"})
        # tied with "Tie early" on everything but the submission date
        tie_late = _evaluated(session, panel, call, pb, "Pari tardi", {"C1": 7, "C2": 6, "C3": 6},
                              {"regional": "20000", "fse_plus": "20000"})
        tie_early = _evaluated(session, panel, call, pb, "Pari presto", {"C1": 7, "C2": 6, "C3": 6},
                               {"regional": "50000"}, submitted_at=early)
        weak = _evaluated(session, panel, call, pb, "Debole", {"C1": 4, "C2": 9, "C3": 9}, {"fse_plus": "1000"})
        pending = submitted_proposal(session, call=call, organisation_id=pb, title="In attesa")
        refused = submitted_proposal(session, call=call, organisation_id=pb, title="Rifiutata", letters_for=0)
        evaluation.decide_admissibility(session, actor=panel.staff, proposal_id=refused.id, admissible=False)

        with pytest.raises(Conflict) as waiting:
            evaluation.publish_ranking(session, actor=panel.staff, call_id=call.id)
        assert f"#{pending.id} (submitted)" in waiting.value.detail
        evaluation.decide_admissibility(session, actor=panel.staff, proposal_id=pending.id, admissible=False,
                                        note="fuori tempo")
        with pytest.raises(Conflict) as too_early:
            evaluation.publish_ranking(session, actor=panel.staff, call_id=call.id,
                                       now=call.manifestation_deadline - timedelta(hours=1))
        assert too_early.value.field == "manifestation_deadline"
        with pytest.raises(Forbidden):
            evaluation.publish_ranking(session, actor=panel.owner, call_id=call.id)

        preview = evaluation.preview_ranking(session, principal=panel.staff, call_id=call.id)
        assert not preview.published and best.status == EVALUATED
        view = evaluation.publish_ranking(session, actor=panel.staff, call_id=call.id)
        order = [(o.entry.key, o.rank, o.status) for o in view.selection.outcomes]
        # best takes 120k regional; tie_early (50k regional) no longer fits, tie_late (20k+20k) does;
        # weak is under the C1 threshold
        assert order == [(best.id, 1, "selected"), (tie_early.id, 2, "not_funded"), (tie_late.id, 3, "selected"),
                         (weak.id, 4, "below_threshold")]
        assert view.selection.remaining == {"regional": Decimal(10000), "fse_plus": Decimal(30000)}
        assert "presentazione anticipata" in (tie_early.rank_note or "")
        assert (best.status, tie_early.status, tie_late.status, weak.status) == (SELECTED, NOT_SELECTED, SELECTED,
                                                                                 NOT_SELECTED)
        assert best.granted == {"regional": "120000"} and tie_early.granted is None
        assert call.ranking_published_at is not None
        with pytest.raises(Conflict):
            evaluation.publish_ranking(session, actor=panel.staff, call_id=call.id)
        again = evaluation.preview_ranking(session, principal=panel.staff, call_id=call.id)
        assert again.published and [(o.entry.key, o.status) for o in again.selection.outcomes] == \
            [(k, s) for k, _, s in order]
        assert again.selection.remaining == view.selection.remaining

        def text(pid: int, who: Principal = panel.staff) -> str:
            pdf = letters.letter_pdf(session, principal=who, proposal_id=pid, today=date(2027, 4, 1))
            assert pdf.startswith(b"%PDF")
            return "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)

        selected = text(best.id, panel.owner)
        assert "Regione Lombardia" in selected and "SELEZIONATA" in selected and "120.000,00" in selected
        assert "01/04/2027" in selected and "Primo" in selected
        assert "idonea non finanziata" in text(tie_early.id)
        below = text(weak.id)
        assert "NON SELEZIONATA" in below and "soglie minime" in below and "Posizione in graduatoria: 4" in below
        inadmissible = text(refused.id)
        assert "NON AMMISSIBILE" in inadmissible and "Lettere di impegno" in inadmissible
        with pytest.raises(Forbidden):  # the owner partnership of another proposal
            letters.letter_pdf(session, principal=panel.owner, proposal_id=weak.id)
        with pytest.raises(Forbidden):
            letters.letter_pdf(session, principal=panel.evaluators[0], proposal_id=best.id)


def test_letter_needs_an_outcome(panel: Panel) -> None:
    with session_scope(panel.engine) as session:
        call = make_call(session)
        proposal = submitted_proposal(session, call=call, organisation_id=panel.partnerships[0])
        with pytest.raises(Conflict):
            letters.letter_pdf(session, principal=panel.owner, proposal_id=proposal.id)


def test_users_are_evaluators(panel: Panel) -> None:
    with session_scope(panel.engine) as session:
        found = {u.id for u in evaluation.evaluators(session)}
        assert found == {p.user_id for p in panel.evaluators}
        assert all(isinstance(session.get(User, i), User) for i in found)
