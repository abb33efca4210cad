"""Route × role rows of the pacts' evaluation (admissibility, assignments, score sheets, consensus, ranking,
outcome letters): API under /api/pacts and pages under /pacts.

Seeded: a call with a grid, an admissible proposal of partnership B (``eval_admissible``) with the world's
evaluator assigned (no conflict declared, sheet open). Rows on ``{proposal_id}`` default to partnership A's
draft; the variants repeat them on the admissible proposal, where the evaluator is on the panel."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from regia.auth.models import User
from regia.auth.principal import principal_for
from regia.db import session_scope
from regia.pacts import evaluation

REGION = frozenset({"region_admin"})
EVALUATOR = frozenset({"evaluator"})
REGION_READERS = REGION | {"region_viewer"}  # a Region analyst reads what Region staff read
EVALUATION_READERS = REGION_READERS | EVALUATOR
# the Region and the owner of draft_a
LETTER_READERS = frozenset({"region_admin", "region_viewer", "partnership_editor", "partnership_admin"})

EXPECTED: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/api/pacts/proposals/{proposal_id}/admissibility"): REGION_READERS,
    ("POST", "/api/pacts/proposals/{proposal_id}/admissibility"): REGION,
    ("GET", "/api/pacts/proposals/{proposal_id}/assignments"): REGION_READERS,
    ("POST", "/api/pacts/proposals/{proposal_id}/assignments"): REGION,
    ("GET", "/api/pacts/assignments"): EVALUATION_READERS,
    ("POST", "/api/pacts/assignments/{assignment_id}/declaration"): EVALUATOR,  # own assignment only
    ("GET", "/api/pacts/assignments/{assignment_id}/sheet"): EVALUATION_READERS,
    ("PUT", "/api/pacts/assignments/{assignment_id}/sheet"): EVALUATOR,
    ("POST", "/api/pacts/assignments/{assignment_id}/sheet/submit"): EVALUATOR,
    ("GET", "/api/pacts/proposals/{proposal_id}/consensus"): REGION_READERS,  # the draft has no panel
    ("PUT", "/api/pacts/proposals/{proposal_id}/consensus"): frozenset(),  # nobody is on the draft's panel
    ("POST", "/api/pacts/proposals/{proposal_id}/evaluation/close"): REGION,
    ("GET", "/api/pacts/calls/{call_id}/ranking"): REGION_READERS,
    ("POST", "/api/pacts/calls/{call_id}/ranking/publish"): REGION,
    ("GET", "/api/pacts/proposals/{proposal_id}/letter.pdf"): LETTER_READERS,
    # pages
    ("GET", "/pacts/evaluation"): EVALUATION_READERS,
    ("GET", "/pacts/evaluation/assignments/{assignment_id}"): EVALUATION_READERS,
    ("POST", "/pacts/evaluation/assignments/{assignment_id}/declaration"): EVALUATOR,
    ("POST", "/pacts/evaluation/assignments/{assignment_id}/sheet"): EVALUATOR,
    ("GET", "/pacts/evaluation/proposals/{proposal_id}"): REGION_READERS,
    ("POST", "/pacts/evaluation/proposals/{proposal_id}/admissibility"): REGION,
    ("POST", "/pacts/evaluation/proposals/{proposal_id}/assignments"): REGION,
    ("POST", "/pacts/evaluation/proposals/{proposal_id}/close"): REGION,
    ("GET", "/pacts/evaluation/proposals/{proposal_id}/consensus"): REGION_READERS,
    ("POST", "/pacts/evaluation/proposals/{proposal_id}/consensus"): frozenset(),
    ("GET", "/pacts/calls/{call_id}/ranking"): REGION_READERS,
    ("POST", "/pacts/calls/{call_id}/ranking"): REGION,
}

VARIANTS: list[tuple[str, str, str, frozenset[str]]] = [
    ("GET", "/api/pacts/proposals/{proposal_id}/consensus", "eval_admissible", EVALUATION_READERS),
    ("PUT", "/api/pacts/proposals/{proposal_id}/consensus", "eval_admissible", EVALUATOR),
    ("GET", "/pacts/evaluation/proposals/{proposal_id}/consensus", "eval_admissible", EVALUATION_READERS),
    ("POST", "/pacts/evaluation/proposals/{proposal_id}/consensus", "eval_admissible", EVALUATOR),
    ("GET", "/api/pacts/proposals/{proposal_id}/admissibility", "eval_admissible", REGION_READERS),
    # the owner (no outcome yet: 409) and the Region
    ("GET", "/api/pacts/proposals/{proposal_id}/letter.pdf", "eval_admissible",
     frozenset({"region_admin", "region_viewer", "other_partnership_editor"})),
]


def seed(engine: Engine, world: Any) -> None:
    from test_pacts_evaluation import SYSTEM, make_call, submitted_proposal

    with session_scope(engine) as session:
        call = make_call(session, code="PT-ROUTES", territories=[])
        proposal = submitted_proposal(session, call=call, organisation_id=world.orgs["partnership_b"],
                                      title="Proposta ammissibile del Patto B")
        evaluation.decide_admissibility(session, actor=SYSTEM, proposal_id=proposal.id, admissible=True)
        assignment = evaluation.assign(session, actor=SYSTEM, proposal_id=proposal.id,
                                       evaluator_id=world.users["evaluator"])
        evaluator = principal_for(session.get(User, world.users["evaluator"]), via="token")  # type: ignore[arg-type]
        evaluation.declare(session, actor=evaluator, assignment_id=assignment.id, conflict=False)
        world.extra["eval_call"], world.extra["eval_assignment"] = call.id, assignment.id
        world.proposals["eval_admissible"] = proposal.id


def params(world: Any) -> dict[str, str]:
    return {"assignment_id": str(world.extra["eval_assignment"]), "call_id": str(world.extra["eval_call"])}


def request_kwargs(method: str, path: str, world: Any, role: str, csrf: str | None) -> dict[str, Any] | None:
    api = path.startswith("/api/pacts/")
    if method == "GET" or not (api or path.startswith("/pacts/evaluation/") or path.startswith("/pacts/calls/")):
        return None
    if not api:
        data: dict[str, str] = {"csrf_token": csrf or ""}
        if path.endswith("/admissibility"):
            data |= {"decision": "admissible", "note": ""}
        elif path.endswith("/assignments"):
            data |= {"evaluator_id": str(world.users["evaluator"])}
        elif path.endswith("/declaration"):
            data |= {"conflict": "no", "note": ""}
        elif path.endswith("/sheet") or path.endswith("/consensus"):
            data |= {"version": "1", "action": "save", "score-C1": "6", "comment-C1": "", "base-C1": ""}
        return {"data": data}
    if path.endswith("/admissibility"):
        return {"json": {"admissible": True, "note": ""}}
    if path.endswith("/assignments"):
        return {"json": {"evaluator_id": world.users["evaluator"]}}
    if path.endswith("/declaration"):
        return {"json": {"conflict": False, "note": ""}}
    if path.endswith("/sheet"):
        return {"json": {"version": 1, "scores": {"C1": {"score": 6, "comment": ""}}}}
    if path.endswith("/sheet/submit"):
        return {"json": {"version": 1}}
    if path.endswith("/consensus"):
        return {"json": {"version": 1, "changes": {"C1": {"score": 6, "comment": ""}}}}
    if path.endswith("/evaluation/close") or path.endswith("/ranking/publish"):
        return {}
    return None
