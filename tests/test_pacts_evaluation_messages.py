"""The evaluation pages show the services' errors and the admissibility notes in the page's language: Italian
by default, English with ``?lang=en`` (score out of range, comment missing under the threshold, stale save,
declaration twice, inadmissible without a reason, ranking before the deadline)."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from regia.auth import sessions
from regia.db import session_scope
from regia.i18n import gettext
from regia.pacts import evaluation_pages, ranking
from regia.pacts.models import Assignment
from regia.web.app import create_app
from support.accounts import make_settings
from test_pacts_evaluation import (
    NOW,
    Panel,
    admitted,
    build_panel,
    make_call,
    manifestation,
    open_sheet,
    submitted_proposal,
)


class Pages:
    def __init__(self, engine: Engine) -> None:
        self.panel: Panel = build_panel(engine)
        with session_scope(engine) as session:
            call = make_call(session)
            scored = submitted_proposal(session, call=call, organisation_id=self.panel.partnerships[0])
            admitted(session, scored)
            self.assignment = open_sheet(session, self.panel, scored.id, 0)
            self.checked = submitted_proposal(session, call=call, organisation_id=self.panel.partnerships[1],
                                              title="Da verificare").id
            self.no_school = submitted_proposal(
                session, call=call, organisation_id=self.panel.partnerships[1], title="Senza scuola",
                body=manifestation(types=("cciaa", "employers_association", "employers_association"))).id
            early = make_call(session, code="PT-EARLY", deadline=NOW + timedelta(days=10))
            submitted_proposal(session, call=early, organisation_id=self.panel.partnerships[1], title="Presto")
            self.early_call = early.id
        self.settings = make_settings()
        self.app = create_app(engine=engine)
        self.app.state.auth_settings = self.settings

    def client(self, user_id: int | None) -> tuple[TestClient, str]:
        client = TestClient(self.app, follow_redirects=False)
        value, data = sessions.make_session(user_id or 0, 0, self.settings)
        client.cookies.set(sessions.SESSION_COOKIE, value)
        return client, data.csrf

    def sheet_version(self) -> int:
        with session_scope(self.panel.engine) as session:
            assignment = session.get(Assignment, self.assignment)
            assert assignment is not None and assignment.sheet is not None
            return assignment.sheet.version


@pytest.fixture
def pages(empty_engine: Engine) -> Pages:
    return Pages(empty_engine)


def _detail(page: str) -> str:
    found = re.search(r'id="error-detail">(.*?)</span>', page, re.S)
    assert found, page[:3000]
    return html.unescape(found.group(1).strip())


def test_score_sheet_errors_in_the_page_language(pages: Pages) -> None:
    evaluator, csrf = pages.client(pages.panel.evaluators[0].user_id)
    url = f"/pacts/evaluation/assignments/{pages.assignment}/sheet"
    base = {"csrf_token": csrf, "version": str(pages.sheet_version()), "action": "save"}
    cases = [
        ({"score-C1": "99"}, 422, "criterio C1: il punteggio deve essere compreso tra 0 e 10",
         "criterion C1: the score must be between 0 and 10"),
        ({"score-C2": "2"}, 422, "criterio C2: un punteggio sotto la soglia (4) richiede un commento",
         "criterion C2: a score under the threshold (4) needs a comment"),
        ({"score-C1": "7", "version": "99"}, 409,
         f"la scheda di valutazione è cambiata dopo che l'hai aperta (ora è alla versione {pages.sheet_version()})",
         f"the score sheet changed since you read it (now version {pages.sheet_version()})"),
    ]
    for fields, status, italian, english in cases:
        answer = evaluator.post(url, params={"lang": "it"}, data={**base, **fields})
        assert answer.status_code == status and _detail(answer.text) == italian
        assert "criterion" not in answer.text and "the score" not in answer.text
        answer = evaluator.post(url, params={"lang": "en"}, data={**base, **fields})
        assert answer.status_code == status and _detail(answer.text) == english
        assert "criterio C" not in answer.text
    twice = evaluator.post(f"/pacts/evaluation/assignments/{pages.assignment}/declaration", params={"lang": "it"},
                           data={"csrf_token": csrf, "conflict": "no"})
    assert twice.status_code == 409 and _detail(twice.text) == "la dichiarazione è già stata fatta"
    twice = evaluator.post(f"/pacts/evaluation/assignments/{pages.assignment}/declaration", params={"lang": "en"},
                           data={"csrf_token": csrf, "conflict": "no"})
    assert twice.status_code == 409 and _detail(twice.text) == "the declaration has been made already"


def test_region_errors_and_admissibility_notes_in_the_page_language(pages: Pages) -> None:
    staff, csrf = pages.client(pages.panel.staff.user_id)
    url = f"/pacts/evaluation/proposals/{pages.checked}"
    italian = staff.get(url, params={"lang": "it"}).text
    english = staff.get(url, params={"lang": "en"}).text
    assert "una lettera di impegno per ogni partner" in italian and "letter of commitment for every" not in italian
    assert "a letter of commitment for every partner" in english and "una lettera di impegno" not in english
    assert re.search(r"submitted on \d\d/\d\d/\d{4} \d\d:\d\d, deadline \d\d/\d\d/\d{4} \d\d:\d\d", english)
    missing = {lang: staff.get(f"/pacts/evaluation/proposals/{pages.no_school}", params={"lang": lang}).text
               for lang in ("it", "en")}
    assert "mancano: Scuola, ITS o università" in missing["it"]
    school = gettext("pacts.orgtype.education", "en")
    assert school != "pacts.orgtype.education" and f"missing: {html.escape(school)}" in missing["en"]
    for lang, expected in (("it", "indica perché è inammissibile una proposta che supera tutte le verifiche"),
                           ("en", "say why a proposal that passes every check is inadmissible")):
        answer = staff.post(f"{url}/admissibility", params={"lang": lang},
                            data={"csrf_token": csrf, "decision": "inadmissible", "note": ""})
        assert answer.status_code == 422 and _detail(answer.text) == expected
    for lang, pattern in (("it", r"La graduatoria non si può pubblicare: la scadenza delle manifestazioni di "
                                 r"interesse \(\d\d/\d\d/\d{4} \d\d:\d\d\) non è ancora passata\."),
                          ("en", r"The ranking cannot be published: the manifestations' deadline "
                                 r"\(\d\d/\d\d/\d{4} \d\d:\d\d\) has not passed yet\.")):
        answer = staff.post(f"/pacts/calls/{pages.early_call}/ranking", params={"lang": lang},
                            data={"csrf_token": csrf})
        assert answer.status_code == 409 and re.fullmatch(pattern, _detail(answer.text)), _detail(answer.text)
        assert "modificati da qualcun altro" not in answer.text  # the real reason, not a generic one
    # Before the deadline the page offers no "publish" and says why (issue 19).
    early = staff.get(f"/pacts/calls/{pages.early_call}/ranking", params={"lang": "it"}).text
    assert 'id="publish-ranking"' not in early
    assert "La graduatoria non si può ancora pubblicare: la scadenza delle manifestazioni" in html.unescape(early)


@pytest.mark.parametrize(("note", "english"), [
    (ranking.RULE_TOTAL, "total score"), (ranking.RULE_TIED, "full tie: the same rank"),
    (ranking.rule_criterion("C2"), "equal totals: criterion C2 decides"),
    (ranking.RULE_SUBMISSION, "equal scores: the earlier submission decides"),
])
def test_the_ranking_rule_in_the_page_language(note: str, english: str) -> None:
    def request(lang: str) -> Any:
        return SimpleNamespace(state=SimpleNamespace(lang=lang))

    assert evaluation_pages._rank_note(request("it"), note) == note  # stored in Italian, as in the graduatoria
    assert evaluation_pages._rank_note(request("en"), note) == english
