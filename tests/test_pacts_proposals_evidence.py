"""The evidence snapshot: computed from the postings facts and the catalogue when a proposal is submitted,
frozen in the submitted version, and unchanged when new postings are ingested afterwards."""

from __future__ import annotations

import copy
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Engine

from regia.analytics.pact_evidence import make_provider
from regia.auth.principal import cli_principal
from regia.db import session_scope
from regia.pacts import evidence, service
from regia.pacts.models import ProposalVersion
from regia.postings import facts
from support.accounts import ORGS, build_world, complete_manifestation
from test_mismatch_analytics import build_world as mismatch_world

SYSTEM = cli_principal("test")


@pytest.fixture(scope="module")
def world(sqlite_taxonomy: Engine, tmp_path_factory: pytest.TempPathFactory) -> tuple[Engine, Path, Any]:
    engine, root, _ = mismatch_world(sqlite_taxonomy, tmp_path_factory.mktemp("pact-evidence"), courses=200)
    return engine, root, build_world(engine)


def _more_postings(root: Path, skill: str, n: int) -> None:
    """A later ingestion: ``n`` new posting groups in Bergamo manufacturing, all asking ``skill``."""
    postings, skills = [], []
    for i in range(n):
        base = {"posting_id": 10_000 + i, "group_id": 10_000 + i, "nuts3": "ITC46", "nuts2": "ITC4",
                "ateco_section": "C", "ateco_division": "25", "occupation": None, "synthetic": True,
                "dedup": "lead", "month": "2026-06"}
        postings.append(base)
        skills.append({**base, "skill_uri": skill, "origin": "regia", "score": 1.0})
    facts.write_batch(root, facts.POSTINGS, 2, 1, postings)
    facts.write_batch(root, facts.SKILLS, 2, 1, skills)


def test_snapshot_is_frozen_when_new_postings_arrive(world: tuple[Engine, Path, Any]) -> None:
    engine, root, w = world
    provider = make_provider(engine, facts_dir=root)
    with session_scope(engine) as session:
        pid = service.create(session, actor=SYSTEM, title="Patto meccatronica Bergamo",
                             organisation_id=w.orgs["partnership_a"], call_id=w.calls["open"]).id
        complete_manifestation(session, proposal_id=pid, lead=("Patto A", ORGS["partnership_a"][2] or "",
                                                               "partnership"), nuts3="ITC46")
        proposal = service.submit(session, actor=SYSTEM, id=pid, evidence_provider=provider)
        frozen = copy.deepcopy(proposal.versions[0].evidence)
        frozen_hash = proposal.versions[0].content_hash
    [block] = frozen["blocks"]
    assert block["territory"] == "ITC46" and block["sector"] == "C"
    assert block["postings"] == 100  # Bergamo manufacturing posting groups in the test facts
    assert block["top_demand"] and block["top_gaps"] and frozen["taken_at"] and frozen["sources"]
    top_before = block["top_demand"][0]

    newcomer = top_before["skill"]
    _more_postings(root, newcomer, 400)
    fresh = provider(["ITC46"], ["C"])["blocks"][0]
    assert fresh["postings"] == 500 and fresh["top_demand"][0]["demand"] == top_before["demand"] + 400

    with session_scope(engine) as session:
        version = session.get(ProposalVersion, session.get(service.Proposal, pid).versions[0].id)
        assert version.evidence == frozen
        assert version.content_hash == frozen_hash == evidence.content_hash(version.title, version.body, frozen)
        assert session.get(service.Proposal, pid).evidence == frozen


def test_the_app_gives_the_analytics_provider_to_the_pacts(world: tuple[Engine, Path, Any],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from regia.web.app import create_app

    engine, root, _ = world
    monkeypatch.setattr(facts, "default_dir", lambda: root)
    provider = evidence.provider_for(create_app(engine=engine).state, engine)
    assert provider is not None
    snap = evidence.snapshot(provider, territories=["ITC4C"], sectors=["47.11"])
    assert snap["blocks"][0]["territory"] == "ITC4C" and snap["blocks"][0]["sector"] == "47"
    assert snap["blocks"][0]["postings"] == 60
    assert evidence.provider_for(SimpleNamespace(), engine) is None  # an app without one: no figures
