"""Route × role rows of calls and proposals (regia.pacts.proposal_api / proposal_pages), beyond the proposal
routes already in the main table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from regia.auth.principal import cli_principal
from regia.db import session_scope
from regia.pacts import documents
from support.accounts import ALL_ROLES, PDF, World

ALL = frozenset(ALL_ROLES)
REGION_STAFF = frozenset({"region_admin"})
CREATORS = frozenset({"partnership_editor", "other_partnership_editor", "partnership_admin"})
OWN_DRAFT_READERS = frozenset({"region_admin", "region_viewer", "partnership_editor", "partnership_admin"})
OWN_DRAFT_WRITERS = frozenset({"partnership_editor", "partnership_admin"})
SUBMITTED_READERS = OWN_DRAFT_READERS | {"evaluator", "fund_viewer", "fund_editor", "fund_b_editor"}

P = "/api/pacts/proposals/{proposal_id}"
G = "/pacts/proposals/{proposal_id}"
EXPECTED: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/api/pacts/calls"): ALL,
    ("POST", "/api/pacts/calls"): REGION_STAFF,
    ("GET", "/api/pacts/calls/{call_id}"): ALL,
    ("PUT", "/api/pacts/calls/{call_id}"): REGION_STAFF,
    ("GET", f"{P}/validation"): OWN_DRAFT_READERS,
    ("POST", f"{P}/reopen"): OWN_DRAFT_WRITERS,  # a draft: 409 for its writers, refused to everyone else
    ("GET", f"{P}/versions"): OWN_DRAFT_READERS,
    ("GET", f"{P}/versions/{{number}}"): OWN_DRAFT_READERS,  # a draft has none: 404 to its readers
    ("POST", f"{P}/documents"): OWN_DRAFT_WRITERS,
    ("GET", f"{P}/documents"): OWN_DRAFT_READERS,
    ("GET", f"{P}/documents/{{document_id}}"): OWN_DRAFT_READERS,
    ("GET", "/pacts/calls"): ALL,
    ("GET", "/pacts/calls/{call_id}"): ALL,
    ("POST", "/pacts/calls/{call_id}/proposals"): CREATORS,
    ("POST", f"{G}/submit"): OWN_DRAFT_WRITERS,
    ("POST", f"{G}/reopen"): OWN_DRAFT_WRITERS,
    ("POST", f"{G}/documents"): OWN_DRAFT_WRITERS,
    ("GET", f"{G}/documents/{{document_id}}"): OWN_DRAFT_READERS,
    ("GET", f"{G}/versions/{{number}}"): OWN_DRAFT_READERS,
}

VARIANTS: list[tuple[str, str, str, frozenset[str]]] = [
    # a submitted proposal: its frozen versions are read by evaluators and Funds too
    ("GET", f"{P}/versions", "submitted_a", SUBMITTED_READERS),
    ("GET", f"{P}/versions/{{number}}", "submitted_a", SUBMITTED_READERS),
    ("GET", f"{G}/versions/{{number}}", "submitted_a", SUBMITTED_READERS),
    ("GET", f"{P}/documents", "submitted_a", SUBMITTED_READERS),
    ("GET", f"{P}/validation", "submitted_a", SUBMITTED_READERS),
    # another partnership's draft: its own editors only
    ("POST", f"{P}/documents", "draft_b", frozenset({"other_partnership_editor"})),
    ("GET", f"{P}/documents", "draft_b", frozenset({"region_admin", "region_viewer", "other_partnership_editor"})),
    ("POST", f"{G}/submit", "draft_b", frozenset({"other_partnership_editor"})),
]


def seed(engine: Engine, world: World) -> None:
    with session_scope(engine) as session:
        world.extra["document_a"] = documents.upload(
            session, actor=cli_principal("test"), proposal_id=world.proposals["draft_a"], filename="lettera.pdf",
            data=PDF, partner_tax_code="09100000018").id


def params(world: World) -> dict[str, str]:
    return {"call_id": str(world.calls["open"]), "number": "1", "document_id": str(world.extra["document_a"])}


def _call_json(code: str) -> dict[str, object]:
    now = datetime.now(UTC)
    return {"code": code, "title": "Avviso di prova", "opens_at": now.isoformat(),
            "manifestation_deadline": (now + timedelta(days=30)).isoformat(),
            "evaluation_deadline": (now + timedelta(days=60)).isoformat(),
            "programme_deadline": (now + timedelta(days=90)).isoformat(),
            "ends_on": (now + timedelta(days=400)).date().isoformat(), "targets": ["unemployed"],
            "grid": [{"code": "C1", "label": "Qualità", "weight": 1, "max_score": 10}],
            "budget": {"regional": "1000"}}


def request_kwargs(method: str, path: str, world: World, role: str, csrf: str | None) -> dict[str, object] | None:
    if path == "/api/pacts/calls" and method == "POST":
        return {"json": _call_json("NUOVO-1")}
    if path.startswith("/api/pacts/calls/") and method == "PUT":
        return {"json": {**_call_json("PATTI-2027"), "version": 1}}
    if path.endswith("/documents") and method == "POST":
        kwargs: dict[str, object] = {"files": {"file": ("lettera.pdf", PDF, "application/pdf")},
                                     "data": {"partner_tax_code": "09100000026"}}
        if not path.startswith("/api/"):
            kwargs["data"] = {"partner_tax_code": "09100000026", "csrf_token": csrf or ""}
        return kwargs
    if path.startswith("/pacts/calls/") and path.endswith("/proposals") and method == "POST":
        return {"data": {"title": f"Nuova proposta di {role}", "csrf_token": csrf or ""}}
    if path.startswith("/pacts/proposals/") and method == "POST" and path.endswith(("/submit", "/reopen")):
        return {"data": {"csrf_token": csrf or ""}}
    return None
