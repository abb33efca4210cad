"""The texts of the programme's issues, the monitoring alerts and the errors of the evaluation, programme and
monitoring services: every key the code uses has an Italian and an English text with the same placeholders;
each issue and alert renders in both languages; the Italian pages show the Italian text and the English pages
(``?lang=en``) the English one; the API keeps the English ``message`` and adds ``key``, ``params`` and the
Italian ``messaggio``."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine

from regia.auth import sessions
from regia.auth.errors import Conflict, InvalidInput
from regia.clock import rome_today
from regia.db import session_scope
from regia.i18n import translations
from regia.pacts import evaluation, messages, monitoring, programme
from regia.pacts.models import (
    IN_PROGRESS,
    PROGRAMME_SUBMITTED,
    SELECTED,
    BudgetLine,
    Call,
    ProgrammeAction,
    ProgressReport,
)
from regia.web.app import create_app
from support.accounts import World, build_world
from support.route_tables.pacts_programme import new_call, pact_in

SRC = Path(__file__).resolve().parents[1] / "src" / "regia" / "pacts"
SOURCES = ("programme.py", "monitoring.py", "evaluation.py", "programme_pages.py", "evaluation_pages.py")
PREFIXES = ("prog.", "mon.", "eval.")  # the programme's, the monitoring's and the evaluation's messages
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _catalogue(lang: str) -> dict[str, str]:
    """The pacts' catalogue in ``lang``: key → text (the .po that pybabel manages)."""
    po = SRC / "locale" / lang / "LC_MESSAGES" / "pacts.po"
    with po.open("rb") as fp:
        return {str(m.id): str(m.string) for m in read_po(fp) if m.id}


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def _keys(prefix: str) -> set[str]:
    return {k for k in _catalogue("en") if k.startswith(prefix)}


# --- the catalogue -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("prefix", PREFIXES)
def test_every_message_exists_in_both_languages_with_the_same_placeholders(prefix: str) -> None:
    italian, english = _catalogue("it"), _catalogue("en")
    keys = {k for k in italian if k.startswith(prefix)}
    assert len(keys) >= 20 and keys == {k for k in english if k.startswith(prefix)}
    for key in keys:
        assert italian[key].strip() and english[key].strip(), key
        assert _placeholders(italian[key]) == _placeholders(english[key]), key


def _keys_used_in_code() -> set[str]:
    """Every message key the services and pages of evaluation, programme and monitoring name: errors'
    ``key=N_("…")``, the issues', the alerts' and the checks' keys (all declared with ``N_`` for pybabel)."""
    used: set[str] = set()
    for name in SOURCES:
        source = (SRC / name).read_text()
        assert not re.search(r'\bkey="[a-z_]+\.', source), f"{name}: a message key pybabel cannot see"
        used |= set(re.findall(r'\bN_\("([a-z_]+\.[a-z_.]+)"\)', source))
    return used


def test_every_key_the_code_uses_has_both_texts_in_the_catalogue() -> None:
    used = _keys_used_in_code()
    assert len([k for k in used if k.startswith("prog.issue.")]) >= 25  # the scan found the issues
    assert {"mon.alert.late_end", "mon.alert.no_report", "eval.chk.deadline", "eval.err.sheet_stale",
            "prog.err.deadline_passed", "mon.err.completed_over_enrolled"} <= used
    for lang in ("it", "en"):
        texts = translations(lang)
        missing = sorted(k for k in used if texts.gettext(k) == k)
        assert not missing, (lang, missing)
    assert {k for k in used if k.startswith(("prog.issue.", "mon.alert."))} == \
        _keys("prog.issue.") | _keys("mon.alert.")  # and no issue or alert text is left without its code


@given(params=st.dictionaries(st.sampled_from(["action", "source", "spent", "share", "first", "deadline", "figure",
                                               "status", "code", "max", "field", "group", "kind", "since"]),
                              st.one_of(st.text(st.characters(blacklist_characters="%"), max_size=20),
                                        st.integers(-10**6, 10**6),
                                        st.decimals(allow_nan=True, allow_infinity=True).map(str),
                                        st.dates().map(date.isoformat))),
       key=st.sampled_from(sorted(_keys("prog.") | _keys("mon."))),
       lang=st.sampled_from(["it", "en", "fr"]))
def test_a_message_never_fails_whatever_the_values(params: dict[str, Any], key: str, lang: str) -> None:
    text = messages.text(key, lang, params)
    assert text and "%(" not in text  # a placeholder without its value shows as a dash
    if not _placeholders(_catalogue("en")[key]) <= set(params):
        assert messages.MISSING in text


# --- issues and alerts in both languages ---------------------------------------------------------------------

def _action(code: str, **values: Any) -> ProgrammeAction:
    defaults: dict[str, Any] = dict(code=code, kind="training", title="Corso", skills=[], target_group="unemployed",
                                    lead_partner_tax_code=None, start_date=date(2027, 3, 1),
                                    end_date=date(2027, 12, 31), target_enrolled=10, target_completed=8,
                                    target_certified=5, target_placed=4)
    action = ProgrammeAction(**{**defaults, **values})
    action.budget_lines = []
    return action


def _call() -> Call:
    return Call(code="X", title="X", opens_at=datetime(2026, 1, 1, tzinfo=UTC),
                manifestation_deadline=datetime(2026, 2, 28, tzinfo=UTC),
                evaluation_deadline=datetime(2026, 4, 1, tzinfo=UTC),
                programme_deadline=datetime(2026, 6, 1, tzinfo=UTC),
                ranking_published_at=datetime(2026, 5, 1, tzinfo=UTC), ends_on=date(2027, 12, 31),
                targets=["unemployed"], max_grant=Decimal(1000), min_cofinancing_share=Decimal("0.30"))


def _broken_issues() -> list[programme.Issue]:
    call = _call()
    a1 = _action("A1", title=" ", kind="lecture", target_group="aliens", lead_partner_tax_code="NOPE",
                 start_date=date(2026, 4, 1), end_date=date(2026, 3, 1), target_enrolled=0, target_completed=3,
                 target_certified=5, target_placed=-1)
    a2 = _action("A2", target_group="students", end_date=date(2028, 1, 31))
    a2.budget_lines = [BudgetLine(partner_tax_code="STRANGER", source="lottery", amount=Decimal(0)),
                       BudgetLine(partner_tax_code="LEAD", source="regional", amount=Decimal(5000)),
                       BudgetLine(partner_tax_code="LEAD", source="cofinancing", amount=Decimal(10))]
    a3 = _action("A3", target_completed=11, target_placed=12)
    a3.budget_lines = [BudgetLine(partner_tax_code="LEAD", source="fund", amount=Decimal(1))]
    indicators = ["not a mapping", {"indicator": "", "baseline": "x", "target": None, "actions": ["A9"]}]
    broken = programme.programme_issues(call=call, actions=[a1, a2, a3], indicators=indicators, partners=["LEAD"],
                                        granted={"regional": Decimal(100)})
    empty = programme.programme_issues(call=None, actions=[], indicators=[], partners=[], granted=None)
    return broken + empty


def test_every_programme_issue_has_its_text_in_both_languages() -> None:
    issues = _broken_issues()
    every = _keys("prog.issue.")
    assert {i.key for i in issues} == every  # the broken programme raises every issue there is
    for issue in issues:
        italian, english = issue.text("it"), issue.text("en")
        assert "%(" not in italian and "%(" not in english and italian != english, issue
        assert issue.message == english and issue.as_dict() == {
            "field": issue.field, "key": issue.key, "params": issue.params, "message": english, "messaggio": italian}
    by_field = {i.field: i for i in issues}
    assert by_field["budget.cofinancing"].text("it") == (
        "cofinanziamento di 10,00 €, pari al 0,20% del costo totale di 5.011,00 €: sotto il minimo del 30,00%")
    assert by_field["budget.cofinancing"].text("en") == (
        "co-financing €10.00 is 0.20% of the total €5,011.00, under the minimum 30.00%")
    assert by_field["budget.regional"].text("it") == "Regione: a budget 5.000,00 €, più dei 100,00 € concessi"
    assert by_field["actions[1].target_group"].text("it") == (
        "azione A2: l'avviso non ammette i destinatari «studenti»")
    assert by_field["actions[0].start_date"].text("it") == (
        "azione A1: inizia prima del 01/05/2026 (pubblicazione della graduatoria)")
    assert by_field["actions[0].start_date"].text("en") == "action A1: it starts before 01/05/2026 (the ranking)"


def _alerts() -> list[monitoring.Alert]:
    late = _action("A1", start_date=date(2026, 1, 1), end_date=date(2026, 6, 30))
    late.reports = [ProgressReport(period=date(2026, 2, 1), enrolled=10, completed=2, certified=0, placed=0,
                                   spent=Decimal(900))]
    late.budget_lines = [BudgetLine(partner_tax_code="LEAD", source="regional", amount=Decimal(500))]
    idle = _action("A2", start_date=date(2026, 9, 1), end_date=date(2027, 12, 31))
    idle.reports = []
    slow = _action("A3", start_date=date(2026, 1, 1), end_date=date(2027, 1, 1), target_enrolled=100)
    slow.reports = [ProgressReport(period=date(2026, 9, 1), enrolled=5, completed=0, certified=0, placed=0,
                                   spent=Decimal(0))]
    slow.budget_lines = []
    today = date(2026, 10, 1)
    return [a for action in (late, idle, slow)
            for a in monitoring.alerts_for(action, today=today, status=IN_PROGRESS)]


def test_every_alert_has_its_text_in_both_languages() -> None:
    alerts = _alerts()
    assert {a.key for a in alerts} == _keys("mon.alert.")
    for alert in alerts:
        italian, english = alert.text("it"), alert.text("en")
        assert "%(" not in italian and "%(" not in english and italian != english, alert
        assert alert.message == english and alert.as_dict()["messaggio"] == italian
    texts = {(a.action_code, a.key): a.text("it") for a in alerts}
    assert texts[("A1", "mon.alert.late_end")] == "A1: terminata il 30/06/2026 con 2 conclusi su 8 previsti"
    assert texts[("A1", "mon.alert.overspending")] == "A1: spesi 900,00 € a fronte di un budget di 500,00 €"
    assert texts[("A2", "mon.alert.late_start")] == "A2: doveva iniziare il 01/09/2026 e non ha ancora iscritti"


def test_service_errors_carry_keys_that_render_in_both_languages() -> None:
    with pytest.raises(InvalidInput) as low:
        evaluation.validate_scores(Call(grid=[{"code": "C1", "max_score": 10, "threshold": 5}]),
                                   {"C1": {"score": "3"}}, complete=False)
    assert low.value.detail == "criterion C1: a score under the threshold (5) needs a comment"  # API unchanged
    assert messages.error_text("it", low.value) == (
        "criterio C1: un punteggio sotto la soglia (5) richiede un commento")
    assert messages.error_text("en", low.value) == low.value.detail
    keyless = Conflict("a proposal cannot go from 'draft' to 'approved'", field="status")
    assert messages.error_text("it", keyless) == f"status: {keyless.detail}"  # no key


# --- the pages and the API -----------------------------------------------------------------------------------

class Pages:
    def __init__(self, engine: Engine) -> None:
        self.world: World = build_world(engine)
        now = datetime.now(UTC)
        with session_scope(engine) as session:
            call = new_call(session, now=now, code="PATTI-MSG")
            late_call = new_call(session, now=now - timedelta(days=60), code="PATTI-LATE")
            org = self.world.orgs["partnership_a"]
            self.selected = pact_in(session, organisation_id=org, call=call, status=SELECTED, title="Selezionato").id
            self.presented = pact_in(session, organisation_id=org, call=call, status=PROGRAMME_SUBMITTED,
                                     title="Presentato").id
            self.running = pact_in(session, organisation_id=org, call=call, status=IN_PROGRESS, title="In corso").id
            self.late = pact_in(session, organisation_id=org, call=late_call, status=SELECTED, title="In ritardo").id
            self.start = programme.actions_of(session, self.running)[0].start_date
        app = create_app(engine=engine)
        app.state.auth_settings = self.world.settings
        self.app = app

    def client(self, role: str) -> tuple[TestClient, str]:
        client = TestClient(self.app, follow_redirects=False)
        cookie = self.world.session_cookie(role)
        assert cookie is not None
        client.cookies.set(sessions.SESSION_COOKIE, cookie[0])
        return client, cookie[1]


@pytest.fixture
def pages(empty_engine: Engine) -> Pages:
    return Pages(empty_engine)


def _error_of(page: str, element: str) -> str:
    found = re.search(rf'id="{element}"[^>]*>(.*?)</div>', page, re.S)
    assert found, page[:2000]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))).strip())


def test_programme_issue_and_errors_in_the_page_language(pages: Pages) -> None:
    owner, csrf = pages.client("partnership_editor")
    base = f"/pacts/proposals/{pages.selected}/programme"
    page = owner.get(base, params={"lang": "it"}).text
    version = re.search(r'name="version" value="(\d+)"', page)
    assert version
    # a budget line naming no action: the page's own error, in Italian then in English
    form = {"csrf_token": csrf, "version": version.group(1), "op": "save", "actions-0-code": "A1",
            "actions-0-kind": "training", "actions-0-target_group": "unemployed", "actions-0-start_date": "2030-01-01",
            "actions-0-end_date": "2030-02-01", "lines-0-action": "Z9", "lines-0-partner_tax_code": "X",
            "lines-0-source": "regional", "lines-0-amount": "10"}
    refused = owner.post(base, params={"lang": "it"}, data=form)
    assert refused.status_code == 422
    assert _error_of(refused.text, "programme-error") == (
        "lines[0].action: la voce di budget indica un'azione che non è nel programma (Z9)")
    refused = owner.post(base, params={"lang": "en"}, data=form)
    assert _error_of(refused.text, "programme-error") == (
        "lines[0].action: the budget line names no action of the programme (Z9)")
    # the check lists an issue in the page's language
    with session_scope(pages.world.engine) as session:
        for action in programme.actions_of(session, pages.selected):
            action.budget_lines = [b for b in action.budget_lines if b.source != "cofinancing"]
    italian = owner.get(base, params={"lang": "it", "check": "true"}).text
    issue = re.search(r"data-field=\"budget.cofinancing\"><code>budget.cofinancing</code>: ([^<]*)</li>", italian)
    assert issue and issue.group(1).startswith("cofinanziamento di 0,00 €, pari al 0,00% del costo totale di")
    english = owner.get(base, params={"lang": "en", "check": "true"}).text
    issue = re.search(r"data-field=\"budget.cofinancing\"><code>budget.cofinancing</code>: ([^<]*)</li>", english)
    assert issue and issue.group(1).startswith("co-financing €0.00 is 0.00% of the total €")
    assert "cofinanziamento di" not in english
    # presenting after the programme deadline
    late = owner.post(f"/pacts/proposals/{pages.late}/programme/submit", params={"lang": "it"},
                      data={"csrf_token": csrf})
    assert late.status_code == 409
    text = _error_of(late.text, "programme-error")
    assert re.fullmatch(r"la scadenza per presentare il programma \(\d\d/\d\d/\d{4} \d\d:\d\d\) è passata", text)
    late = owner.post(f"/pacts/proposals/{pages.late}/programme/submit", params={"lang": "en"},
                      data={"csrf_token": csrf})
    assert re.fullmatch(r"the programme deadline \(\d\d/\d\d/\d{4} \d\d:\d\d\) has passed",
                        _error_of(late.text, "programme-error"))
    # the Region returns a programme without a note
    region, region_csrf = pages.client("region_admin")
    decision = f"/pacts/proposals/{pages.presented}/programme/decision"
    for lang, expected in (("it", "note: campo obbligatorio"), ("en", "note is required")):
        answer = region.post(decision, params={"lang": lang}, data={"csrf_token": region_csrf, "op": "return"})
        assert answer.status_code == 422 and _error_of(answer.text, "programme-error") == expected


@pytest.mark.parametrize(("figures", "italian", "english"), [
    ({"enrolled": "8", "completed": "9"}, "i conclusi (9) non possono superare gli iscritti (8)",
     "more completed (9) than enrolled (8)"),
    ({"enrolled": "8", "placed": "9"}, "gli occupati (9) non possono superare gli iscritti (8)",
     "more placed (9) than enrolled (8)"),
    ({"enrolled": "x"}, "iscritti: deve essere un numero intero da 0 in su", "enrolled must be a whole number from 0"),
    ({"spent": "molto"}, "speso: non è un importo", "spent: not an amount"),
])
def test_progress_errors_in_the_page_language(pages: Pages, figures: dict[str, str], italian: str,
                                              english: str) -> None:
    owner, csrf = pages.client("partnership_editor")
    url = f"/pacts/proposals/{pages.running}/monitoring"
    period = min(rome_today(), pages.start + timedelta(days=2)).isoformat()
    form = {"csrf_token": csrf, "action_code": "A1", "period": period, "enrolled": "5", "spent": "1000", **figures}
    for lang, expected in (("it", italian), ("en", english)):
        answer = owner.post(url, params={"lang": lang}, data=form)
        assert answer.status_code == 422 and _error_of(answer.text, "progress-error") == expected


def test_progress_period_errors_in_the_page_language(pages: Pages) -> None:
    owner, csrf = pages.client("partnership_editor")
    url = f"/pacts/proposals/{pages.running}/monitoring"
    form = {"csrf_token": csrf, "action_code": "A1", "enrolled": "5", "spent": "1000"}
    future = (rome_today() + timedelta(days=3)).isoformat()
    answer = owner.post(url, params={"lang": "it"}, data={**form, "period": future})
    assert _error_of(answer.text, "progress-error") == (
        f"il rendiconto non può riferirsi a un periodo futuro (oggi è il {rome_today():%d/%m/%Y})")
    answer = owner.post(url, params={"lang": "en"}, data={**form, "period": future})
    assert _error_of(answer.text, "progress-error") == (
        f"a report cannot be for a future period (today is {rome_today():%d/%m/%Y})")
    before = (pages.start - timedelta(days=1)).isoformat()
    answer = owner.post(url, params={"lang": "it"}, data={**form, "period": before})
    assert _error_of(answer.text, "progress-error") == (
        f"l'azione A1 inizia il {pages.start:%d/%m/%Y}: nessun rendiconto prima di quella data")
    answer = owner.post(url, params={"lang": "it"}, data={**form, "period": "ieri"})
    assert _error_of(answer.text, "progress-error") == "periodo: non è una data (AAAA-MM-GG)"


def test_the_api_keeps_english_and_adds_key_params_and_italian(pages: Pages) -> None:
    client = TestClient(pages.app)
    owner = pages.world.bearer("partnership_editor")
    with session_scope(pages.world.engine) as session:
        for action in programme.actions_of(session, pages.selected):
            action.budget_lines = [b for b in action.budget_lines if b.source != "cofinancing"]
    check = client.get(f"/api/pacts/proposals/{pages.selected}/programme/check", headers=owner).json()
    issue = next(i for i in check["issues"] if i["field"] == "budget.cofinancing")
    assert issue["key"] == "prog.issue.cofinancing_short" and Decimal(issue["params"]["cofinancing"]) == 0
    assert issue["message"].startswith("co-financing €0.00") and issue["messaggio"].startswith("cofinanziamento di")
    refused = client.post(f"/api/pacts/proposals/{pages.running}/progress", headers=owner, json={
        "action_code": "A1", "period": min(rome_today(), pages.start + timedelta(days=2)).isoformat(),
        "enrolled": 3, "completed": 4})
    assert refused.status_code == 422 and "more completed than enrolled" in refused.text  # the English detail


def test_the_cabina_shows_money_the_way_each_language_writes_it(pages: Pages) -> None:
    """975000 euro of budget: "975.000,00 €" on the Italian Cabina di regia, "€975,000.00" on the English one
    (totals, the pact's row and its province's tooltip)."""
    with session_scope(pages.world.engine) as session:
        lines = [b for pid in (pages.selected, pages.presented, pages.running, pages.late)
                 for a in programme.actions_of(session, pid) for b in a.budget_lines]
        for line in lines:
            line.amount = Decimal(0)
        lines[0].amount = Decimal(975000)
    region, _ = pages.client("region_admin")
    italian = region.get("/pacts/cabina", params={"lang": "it"})
    english = region.get("/pacts/cabina", params={"lang": "en"})
    assert italian.status_code == english.status_code == 200
    totals = {lang: _error_of(page.text.replace("</p>", "</div>", 1), "cabina-totals")
              for lang, page in (("it", italian), ("en", english))}
    assert "budget 975.000,00 € · speso 1.000,00 €" in totals["it"], totals["it"]
    assert "budget €975,000.00 · spent €1,000.00" in totals["en"], totals["en"]
    table = italian.text.split('id="cabina-table"', 1)[1].split("</table>", 1)[0]
    assert "975.000,00 €" in table and "975000" not in table
    assert "€975,000.00" in english.text.split('id="cabina-table"', 1)[1].split("</table>", 1)[0]
    provinces = re.search(r'id="cabina-provinces">(.*?)</script>', italian.text, re.S)
    assert provinces and "975.000,00 €" in json.loads(provinces.group(1))["ITC46"]["tooltip"]
