"""The demo pacts: seeded through the services into every state the demo promises, once."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from sqlalchemy import Engine, func, select

from regia.auth import audit
from regia.auth.demo import seed_demo_accounts
from regia.auth.principal import cli_principal
from regia.db import session_factory
from regia.pacts import monitoring
from regia.pacts.demo_data import ensure_demo_pacts
from regia.pacts.models import Call, Proposal, ProposalVersion


@pytest.fixture
def demo(empty_engine: Engine) -> Engine:
    seed_demo_accounts(empty_engine)
    ensure_demo_pacts(empty_engine)
    return empty_engine


def _states(engine: Engine) -> dict[str, Counter[str]]:
    with session_factory(engine)() as session:
        rows = session.execute(select(Call.code, Proposal.status).join(Call, Call.id == Proposal.call_id)).all()
    states: dict[str, Counter[str]] = {}
    for code, status in rows:
        states.setdefault(code, Counter())[status] += 1
    return states


def test_demo_pacts_cover_the_workflow_once(demo: Engine) -> None:
    assert _states(demo) == {
        "PATTI-2026": Counter({"inadmissible": 1, "not_selected": 1, "in_progress": 1, "approved": 1,
                               "programme_submitted": 1}),
        "PATTI-2027": Counter({"admissible": 1, "draft": 3}),
    }
    assert ensure_demo_pacts(demo) == 9  # a second run adds nothing
    assert sum(_states(demo)["PATTI-2026"].values()) == 5
    with session_factory(demo)() as session:
        assert session.scalar(select(func.count()).select_from(ProposalVersion)) == 6  # one per submission
        ranked = session.scalars(select(Proposal).where(Proposal.rank.is_not(None)).order_by(Proposal.rank)).all()
        assert [p.rank for p in ranked] == [1, 2, 3, 4]
        assert ranked[-1].status == "not_selected" and all(p.granted for p in ranked[:3])
        assert audit.verify(session).ok


def test_the_running_demo_pact_shows_progress_and_alerts(demo: Engine) -> None:
    with session_factory(demo)() as session:
        overview = monitoring.cabina(session, principal=cli_principal("test"), today=date(2026, 11, 22))
    running = [m for m in overview.pacts if m.proposal.status == "in_progress"]
    assert len(running) == 1
    assert running[0].spent == 170_000 and running[0].figures["enrolled"] == 31
    assert {alert.action_code for alert in running[0].alerts} == {"A2"}  # the placement action lags behind


def test_every_demo_role_of_the_pacts_has_something_to_do(demo: Engine) -> None:
    from regia.auth import service as accounts
    from regia.auth.principal import principal_for
    from regia.pacts import evaluation

    with session_factory(demo)() as session:
        for email in ("valutatore@regione.demo", "valutatrice@regione.demo"):
            user = accounts.find_user(session, email)
            assert user is not None
            mine = evaluation.list_assignments(session, principal=principal_for(user, via="token"), mine=True)
            open_work = [a for a in mine if a.declared_at is None]
            assert open_work, f"{email} has nothing to score"


def test_demo_deadlines_are_lombardy_times_and_letters_are_real_pdfs(demo: Engine) -> None:
    import io
    from datetime import UTC, datetime

    from pypdf import PdfReader

    from regia.pacts.models import Document

    with session_factory(demo)() as session:
        call = session.scalar(select(Call).where(Call.code == "PATTI-2026"))
        assert call is not None
        deadline = call.manifestation_deadline.replace(tzinfo=call.manifestation_deadline.tzinfo or UTC)
        assert deadline == datetime(2026, 2, 28, 22, 59, tzinfo=UTC)  # 23:59 in Rome (CET)
        document = session.scalars(select(Document).order_by(Document.id)).first()
        assert document is not None and document.size > 500
        text = PdfReader(io.BytesIO(document.data)).pages[0].extract_text()
        assert "Lettera di impegno".lower() in text.lower() and "aderisce al partenariato" in text


def test_demo_pacts_draw_on_every_source_and_the_last_misses_the_regional_envelope(demo: Engine) -> None:
    with session_factory(demo)() as session:
        granted = [p.granted for p in session.scalars(select(Proposal).where(Proposal.status != "draft"))
                   if p.granted]
        sources = {source for g in granted for source in g}
        assert {"regional", "fse_plus", "fund"} <= sources
        call = session.scalar(select(Call).where(Call.code == "PATTI-2026"))
        assert call is not None
        regional_left = float(call.budget["regional"]) - sum(float(g.get("regional", 0)) for g in granted)
        loser = session.scalar(select(Proposal).where(Proposal.status == "not_selected"))
        assert loser is not None and float(loser.requested["regional"]) > regional_left
