"""Routes of the pacts' programme and monitoring (regia.pacts.programme_api / programme_pages), and the
builders of pacts in the states those routes need (also used by tests/test_pacts_programme*.py,
tests/test_pacts_monitoring*.py and the programme browser test).

Main rows run on ``draft_a`` (nobody may edit a draft's programme, so owners get 409 there); the variants run on
pacts that are selected (``prog_selected_a``), presented (``prog_submitted_a``), approved
(``prog_approved_a``) and in progress (``prog_running_a``), all of partnership A."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from regia.auth.principal import Principal, cli_principal
from regia.db import session_scope
from regia.pacts import monitoring, programme, states
from regia.pacts.models import (
    APPROVED,
    EVALUATED,
    IN_PROGRESS,
    PROGRAMME_SUBMITTED,
    SELECTED,
    Call,
    Proposal,
)

SYSTEM = cli_principal("test")
LEAD = {"name": "Camera di Commercio di Bergamo", "tax_code": "80000110168", "type": "cciaa", "role": "capofila"}
SCHOOL = {"name": "ITS Academy Meccatronica", "tax_code": "95000120163", "type": "education", "role": "partner"}
GRANTED = {"regional": "60000.00", "fse_plus": "40000.00"}


def new_call(session: Session, *, now: datetime, code: str = "PATTI-2027", min_cofinancing_share: str = "0.20",
             max_grant: str | None = "100000") -> Call:
    """A call whose ranking was published 10 days before ``now``; programmes due 30 days after ``now``."""
    call = Call(code=code, title="Patti territoriali per competenze e occupazione", description="",
                opens_at=now - timedelta(days=120), manifestation_deadline=now - timedelta(days=60),
                evaluation_deadline=now - timedelta(days=20), programme_deadline=now + timedelta(days=30),
                ranking_published_at=now - timedelta(days=10), ends_on=(now + timedelta(days=500)).date(),
                territories=[], required_partner_types=[], min_partners=2,
                targets=["unemployed", "students", "suspended_workers"], grid=[],
                budget={"regional": "1000000", "fse_plus": "1000000", "fund": "500000"},
                max_grant=Decimal(max_grant) if max_grant else None,
                min_cofinancing_share=Decimal(min_cofinancing_share))
    session.add(call)
    session.flush()
    return call


def manifestation(nuts3: str = "ITC46") -> dict[str, Any]:
    return {"lead": LEAD, "partners": [SCHOOL], "territory": {"comuni": [], "provinces": [], "nuts3": [nuts3]},
            "actions": [{"code": "A1", "kind": "training", "title": "Tecnici di manutenzione", "course_id": None,
                         "skills": ["http://data.europa.eu/esco/skill/abc"], "target_group": "unemployed",
                         "participants": 20},
                        {"code": "A2", "kind": "placement", "title": "Accompagnamento al lavoro",
                         "skills": [], "target_group": "unemployed", "participants": 15}],
            "impacts": [{"indicator": "Occupati a 6 mesi", "unit": "%", "baseline": "40", "target": "60"}]}


def selected_pact(session: Session, *, organisation_id: int, call: Call, title: str = "Patto della meccatronica",
                  nuts3: str = "ITC46", granted: dict[str, str] | None = None) -> Proposal:
    """A proposal moved by the state machine from ``evaluated`` to ``selected``, with its grant."""
    grant = dict(GRANTED if granted is None else granted)
    proposal = Proposal(call_id=call.id, organisation_id=organisation_id, title=title, status=EVALUATED,
                        body=manifestation(nuts3), version=1, granted=grant, requested=dict(GRANTED))
    session.add(proposal)
    session.flush()
    return states.move(session, actor=SYSTEM, proposal=proposal, target=SELECTED)


def window_start(call: Call) -> date:
    return programme.window(call)[0]


def valid_actions(call: Call) -> list[dict[str, Any]]:
    """Two actions that respect every rule with the default call and grant (25% co-financing)."""
    first = window_start(call)
    return [
        {"code": "A1", "kind": "training", "title": "Tecnici di manutenzione", "course_id": None,
         "skills": ["http://data.europa.eu/esco/skill/abc"], "target_group": "unemployed",
         "lead_partner_tax_code": LEAD["tax_code"], "start_date": first + timedelta(days=1),
         "end_date": first + timedelta(days=181), "target_enrolled": 20, "target_completed": 16,
         "target_certified": 12, "target_placed": 10,
         "budget": [{"partner_tax_code": LEAD["tax_code"], "source": "regional", "amount": "40000"},
                    {"partner_tax_code": LEAD["tax_code"], "source": "cofinancing", "amount": "10000"}]},
        {"code": "A2", "kind": "placement", "title": "Accompagnamento al lavoro", "course_id": None, "skills": [],
         "target_group": "unemployed", "lead_partner_tax_code": SCHOOL["tax_code"],
         "start_date": first + timedelta(days=31), "end_date": first + timedelta(days=301),
         "target_enrolled": 15, "target_completed": 15, "target_certified": 0, "target_placed": 9,
         "budget": [{"partner_tax_code": SCHOOL["tax_code"], "source": "fse_plus", "amount": "20000"},
                    {"partner_tax_code": SCHOOL["tax_code"], "source": "cofinancing", "amount": "10000"}]},
    ]


INDICATORS = [{"indicator": "Occupati a 6 mesi", "unit": "%", "baseline": "40", "target": "60",
               "actions": ["A1", "A2"]}]


def fill_programme(session: Session, *, actor: Principal, proposal: Proposal, call: Call) -> Proposal:
    programme.save_programme(session, actor=actor, proposal_id=proposal.id, actions=valid_actions(call),
                             indicators=INDICATORS, notes="", version=proposal.version)
    return proposal


def pact_in(session: Session, *, organisation_id: int, call: Call, status: str, title: str,
            nuts3: str = "ITC46", now: datetime | None = None) -> Proposal:
    """A pact with a complete programme, moved through the state machine to ``status``."""
    proposal = selected_pact(session, organisation_id=organisation_id, call=call, title=title, nuts3=nuts3)
    fill_programme(session, actor=SYSTEM, proposal=proposal, call=call)
    if status == SELECTED:
        return proposal
    programme.submit_programme(session, actor=SYSTEM, proposal_id=proposal.id, now=now)
    if status == PROGRAMME_SUBMITTED:
        return proposal
    programme.approve_programme(session, actor=SYSTEM, proposal_id=proposal.id, now=now)
    if status == APPROVED:
        return proposal
    a1 = window_start(call) + timedelta(days=1)
    monitoring.report_progress(session, actor=SYSTEM, proposal_id=proposal.id, action_code="A1", period=a1,
                               enrolled=5, completed=0, certified=0, placed=0, spent="1000",
                               today=a1 + timedelta(days=1))
    assert proposal.status == IN_PROGRESS
    return proposal


# --- the route × role table ----------------------------------------------------------------------------------

OWN_DRAFT_READERS = frozenset({"region_admin", "region_viewer", "partnership_editor", "partnership_admin"})
OWNERS_A = frozenset({"partnership_editor", "partnership_admin"})
REGION = frozenset({"region_admin"})
# past the draft, evaluators and Funds read a proposal too
PAST_DRAFT_READERS = OWN_DRAFT_READERS | {"evaluator", "fund_viewer", "fund_editor", "fund_b_editor"}
CABINA = frozenset({"region_admin", "region_viewer", "fund_viewer", "fund_editor", "fund_b_editor"})
MONITOR_READERS = PAST_DRAFT_READERS - {"evaluator"}  # evaluators score proposals; they do not monitor pacts

P = "/api/pacts/proposals/{proposal_id}"
G = "/pacts/proposals/{proposal_id}"
EXPECTED: dict[tuple[str, str], frozenset[str]] = {
    ("GET", f"{P}/programme"): OWN_DRAFT_READERS,
    ("PUT", f"{P}/programme"): OWNERS_A,  # 409 on a draft: the policy let them through
    ("POST", f"{P}/programme/prefill"): OWNERS_A,
    ("GET", f"{P}/programme/check"): OWN_DRAFT_READERS,
    ("POST", f"{P}/programme/submit"): OWNERS_A,
    ("POST", f"{P}/programme/return"): REGION,
    ("POST", f"{P}/programme/approve"): REGION,
    ("POST", f"{P}/start"): REGION,
    ("POST", f"{P}/close"): REGION,
    ("GET", f"{P}/progress"): OWN_DRAFT_READERS,
    ("POST", f"{P}/progress"): OWNERS_A,
    ("GET", f"{P}/monitoring"): OWN_DRAFT_READERS,
    ("GET", "/api/pacts/cabina"): CABINA,
    ("GET", "/api/pacts/cabina.csv"): CABINA,
    ("GET", f"{G}/programme"): OWN_DRAFT_READERS,
    ("POST", f"{G}/programme"): OWNERS_A,
    ("POST", f"{G}/programme/submit"): OWNERS_A,
    ("POST", f"{G}/programme/decision"): REGION,
    ("GET", f"{G}/monitoring"): OWN_DRAFT_READERS,
    ("POST", f"{G}/monitoring"): OWNERS_A,
    ("GET", "/pacts/cabina"): CABINA,
}

VARIANTS: list[tuple[str, str, str, frozenset[str]]] = [
    ("GET", f"{P}/programme", "prog_selected_a", PAST_DRAFT_READERS),
    ("PUT", f"{P}/programme", "prog_selected_a", OWNERS_A),
    ("PUT", f"{P}/programme", "prog_selected_b", frozenset({"other_partnership_editor"})),
    ("GET", f"{P}/programme/check", "prog_selected_a", PAST_DRAFT_READERS),
    ("POST", f"{P}/programme/submit", "prog_selected_a", OWNERS_A),
    ("POST", f"{P}/programme/submit", "prog_selected_b", frozenset({"other_partnership_editor"})),
    ("POST", f"{P}/programme/return", "prog_submitted_a", REGION),
    ("POST", f"{P}/programme/approve", "prog_submitted_a", REGION),
    ("POST", f"{P}/start", "prog_approved_a", REGION),
    ("POST", f"{P}/close", "prog_running_a", REGION),
    ("GET", f"{P}/progress", "prog_running_a", MONITOR_READERS),
    ("POST", f"{P}/progress", "prog_running_a", OWNERS_A),
    ("POST", f"{P}/progress", "prog_approved_a", OWNERS_A),
    ("GET", f"{P}/monitoring", "prog_running_a", MONITOR_READERS),
    ("GET", f"{G}/programme", "prog_selected_a", PAST_DRAFT_READERS),
    ("POST", f"{G}/programme", "prog_selected_a", OWNERS_A),
    ("POST", f"{G}/programme/submit", "prog_selected_a", OWNERS_A),
    ("POST", f"{G}/programme/decision", "prog_submitted_a", REGION),
    ("GET", f"{G}/monitoring", "prog_running_a", MONITOR_READERS),
    ("POST", f"{G}/monitoring", "prog_running_a", OWNERS_A),
]


def seed(engine: Engine, world: Any) -> None:
    now = datetime.now(UTC)
    a, b = world.orgs["partnership_a"], world.orgs["partnership_b"]
    with session_scope(engine) as session:
        call = new_call(session, now=now, code="PATTI-ROUTES")
        world.proposals["prog_selected_a"] = pact_in(session, organisation_id=a, call=call, status=SELECTED,
                                                     title="Selezionato A").id
        world.proposals["prog_selected_b"] = pact_in(session, organisation_id=b, call=call, status=SELECTED,
                                                     title="Selezionato B").id
        world.proposals["prog_submitted_a"] = pact_in(session, organisation_id=a, call=call,
                                                      status=PROGRAMME_SUBMITTED, title="Presentato A").id
        world.proposals["prog_approved_a"] = pact_in(session, organisation_id=a, call=call, status=APPROVED,
                                                     title="Approvato A").id
        world.proposals["prog_running_a"] = pact_in(session, organisation_id=a, call=call, status=IN_PROGRESS,
                                                    title="In corso A").id
        world.extra["prog_call"] = call.id


def request_kwargs(method: str, path: str, world: Any, role: str, csrf: str | None) -> dict[str, Any] | None:
    if "/programme" not in path and "/monitoring" not in path and "/progress" not in path and \
            not path.endswith(("/start", "/close")) and "/cabina" not in path:
        return None
    if method == "GET":
        return {}
    today = datetime.now(UTC).date()
    if path.startswith("/api/"):
        if path.endswith("/programme") and method == "PUT":
            return {"json": {"version": 1, "actions": [], "indicators": [], "notes": "x"}}
        if path.endswith("/return"):
            return {"json": {"note": "Rivedere il cofinanziamento"}}
        if path.endswith("/progress"):
            return {"json": {"action_code": "A1", "period": today.isoformat(), "enrolled": 6, "spent": "1500"}}
        return {}
    data: dict[str, Any] = {"csrf_token": csrf or ""}
    if path.endswith("/programme"):
        data.update({"version": "1", "op": "save"})
    elif path.endswith("/decision"):
        data.update({"op": "approve", "note": ""})
    elif path.endswith("/monitoring"):
        data.update({"action_code": "A1", "period": today.isoformat(), "enrolled": "6", "completed": "0",
                     "certified": "0", "placed": "0", "spent": "1500"})
    return {"data": data}
