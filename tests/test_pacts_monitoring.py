"""Monitoring: progress reports (idempotent, cumulative, owner only), alerts on a given day, the Cabina di
regia against direct SQL sums, and the whole programme → monitoring flow through the API."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from regia.auth import service as accounts
from regia.auth.errors import Conflict, Forbidden, InvalidInput
from regia.auth.models import AuditEntry, OrgType, Role, User
from regia.auth.principal import Principal, principal_for
from regia.db import session_scope
from regia.pacts import monitoring
from regia.pacts.models import (
    APPROVED,
    IN_PROGRESS,
    SELECTED,
    BudgetLine,
    Call,
    ProgrammeAction,
    ProgressReport,
    Proposal,
)
from regia.web.app import create_app
from support.accounts import build_world
from support.route_tables.pacts_programme import SYSTEM, new_call, pact_in, valid_actions, window_start

NOW = datetime(2027, 5, 3, 9, 0, tzinfo=UTC)


class Setup:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.ids: dict[str, int] = {}
        with session_scope(engine) as session:
            owner = accounts.create_organisation(session, actor=SYSTEM, name="Patto", type=OrgType.PARTNERSHIP,
                                                 tax_code="09000000027")
            other = accounts.create_organisation(session, actor=SYSTEM, name="Altro", type=OrgType.PARTNERSHIP,
                                                 tax_code="09000000035")
            region = accounts.create_organisation(session, actor=SYSTEM, name="Regione", type=OrgType.REGION,
                                                  tax_code="80050050154")
            fund = accounts.create_organisation(session, actor=SYSTEM, name="Fondimpresa", type=OrgType.FUND,
                                                tax_code="97278470584")
            self.owner_org, self.other_org = owner.id, other.id
            for key, org, role in (("owner", owner, Role.EDITOR), ("stranger", other, Role.EDITOR),
                                   ("region", region, Role.EDITOR), ("fund", fund, Role.VIEWER)):
                user = accounts.create_user(session, actor=SYSTEM, email=f"{key}@example.org", display_name=key,
                                            password="a-long-password-1", memberships=[(org.id, role)])
                self.ids[key] = user.id
            call = new_call(session, now=NOW)
            self.call_id = call.id
            self.first = window_start(call)

    def __getitem__(self, key: str) -> Principal:
        with session_scope(self.engine) as session:
            user = session.get(User, self.ids[key])
            assert user is not None
            return principal_for(user, via="token")

    def pact(self, status: str, *, org: str = "owner", nuts3: str = "ITC46", title: str = "Patto") -> int:
        with session_scope(self.engine) as session:
            call = session.get(Call, self.call_id)
            assert call is not None
            return pact_in(session, organisation_id=self.owner_org if org == "owner" else self.other_org,
                           call=call, status=status, title=title, nuts3=nuts3, now=NOW).id

    def report(self, pid: int, code: str = "A1", *, period: date, who: str = "owner", today: date | None = None,
               **figures: Any) -> ProgressReport:
        values = {"enrolled": 0, "completed": 0, "certified": 0, "placed": 0, "spent": "0", **figures}
        with session_scope(self.engine) as session:
            return monitoring.report_progress(session, actor=self[who], proposal_id=pid, action_code=code,
                                              period=period, today=today or period + timedelta(days=1), **values)


@pytest.fixture
def setup(empty_engine: Engine) -> Setup:
    return Setup(empty_engine)


def test_first_report_starts_the_programme_and_resending_a_period_replaces_it(setup: Setup) -> None:
    pid = setup.pact(APPROVED)
    period = setup.first + timedelta(days=30)
    setup.report(pid, period=period, enrolled=10, spent="2000")
    with session_scope(setup.engine) as session:
        assert session.get(Proposal, pid).status == IN_PROGRESS  # type: ignore[union-attr]
    setup.report(pid, period=period, enrolled=12, completed=1, spent="2500")
    setup.report(pid, period=period, enrolled=12, completed=1, spent="2500")  # same again: no change
    with session_scope(setup.engine) as session:
        rows = session.scalars(select(ProgressReport)).all()
        assert [(r.period, r.enrolled, r.completed, r.spent) for r in rows] == [(period, 12, 1, Decimal("2500.00"))]
        audited = session.scalars(select(AuditEntry).where(AuditEntry.action == "report_progress")
                                  .order_by(AuditEntry.id)).all()
        assert len(audited) == 3
        assert audited[1].before["enrolled"] == 10 and audited[1].after["enrolled"] == 12  # type: ignore[index]
        starts = session.scalars(select(AuditEntry).where(AuditEntry.action == "start")).all()
        assert len(starts) == 1


@pytest.mark.parametrize(("figures", "field"), [
    ({"enrolled": 5, "completed": 6}, "completed"),
    ({"enrolled": 5, "completed": 4, "certified": 5}, "certified"),
    ({"enrolled": 5, "placed": 6}, "placed"),
    ({"enrolled": -1}, "enrolled"),
    ({"enrolled": 5, "spent": "-1"}, "spent"),
])
def test_inconsistent_figures_are_refused(setup: Setup, figures: dict[str, Any], field: str) -> None:
    pid = setup.pact(APPROVED)
    with pytest.raises(InvalidInput) as caught:
        setup.report(pid, period=setup.first + timedelta(days=10), **figures)
    assert caught.value.field == field


def test_figures_are_cumulative_across_periods(setup: Setup) -> None:
    pid = setup.pact(APPROVED)
    p1, p2, p3 = (setup.first + timedelta(days=d) for d in (30, 60, 90))
    setup.report(pid, period=p1, enrolled=10, spent="1000")
    setup.report(pid, period=p3, enrolled=18, spent="3000")
    with pytest.raises(InvalidInput) as caught:  # lower than the earlier period
        setup.report(pid, period=p2, enrolled=9, spent="2000")
    assert caught.value.field == "enrolled"
    with pytest.raises(InvalidInput) as caught:  # higher than the later period
        setup.report(pid, period=p2, enrolled=15, spent="3500")
    assert caught.value.field == "spent"
    setup.report(pid, period=p2, enrolled=15, spent="2000")
    with pytest.raises(InvalidInput) as caught:
        setup.report(pid, period=p3 + timedelta(days=5), today=p3, enrolled=18, spent="3000")
    assert caught.value.field == "period"  # the future
    with pytest.raises(InvalidInput) as caught:
        setup.report(pid, period=setup.first - timedelta(days=5), enrolled=0)
    assert caught.value.field == "period"  # before the action starts
    with pytest.raises(InvalidInput) as caught:
        setup.report(pid, "A9", period=p2, enrolled=1)
    assert caught.value.field == "action_code"


def test_only_the_owner_reports_and_only_once_approved(setup: Setup) -> None:
    pid = setup.pact(APPROVED)
    for who in ("stranger", "region", "fund"):
        with pytest.raises(Forbidden):
            setup.report(pid, period=setup.first + timedelta(days=10), who=who, enrolled=1)
    selected = setup.pact(SELECTED)
    with pytest.raises(Conflict):
        setup.report(selected, period=setup.first + timedelta(days=10), enrolled=1)


def _kinds(setup: Setup, pid: int, today: date) -> dict[str, set[str]]:
    with session_scope(setup.engine) as session:
        m = monitoring.monitor(session, principal=setup["region"], proposal_id=pid, today=today)
        return {r.action.code: {a.kind for a in r.alerts} for r in m.actions}


def test_alerts_on_a_given_day(setup: Setup) -> None:
    pid = setup.pact(APPROVED)
    a1_start, a1_end = setup.first + timedelta(days=1), setup.first + timedelta(days=181)
    a2_start = setup.first + timedelta(days=31)
    # before anything starts: no alerts
    assert _kinds(setup, pid, setup.first) == {"A1": set(), "A2": set()}
    # A1 started ten days ago and nobody is enrolled: late; A2 not started yet
    assert _kinds(setup, pid, a1_start + timedelta(days=10)) == {"A1": {"late"}, "A2": set()}
    # on track half-way: 12 of 20 enrolled with 50% of the time gone (threshold 0.6 x 0.5 = 30%)
    half = a1_start + timedelta(days=90)
    setup.report(pid, period=half - timedelta(days=1), enrolled=12, spent="20000")
    assert _kinds(setup, pid, half)["A1"] == set()
    assert _kinds(setup, pid, half)["A2"] == {"late"}  # started 60 days ago, nobody enrolled yet
    # under-performing: 5 of 20 enrolled half-way (25% < 30%)
    pid2 = setup.pact(APPROVED, title="Patto lento")
    setup.report(pid2, period=half - timedelta(days=1), enrolled=5, spent="1000")
    assert "underperforming" in _kinds(setup, pid2, half)["A1"]
    # overspending: 50 000 spent of a 50 000 budget is fine, one cent more is not
    setup.report(pid, period=half, enrolled=14, spent="50000", today=half)
    assert "overspending" not in _kinds(setup, pid, half)["A1"]
    setup.report(pid, period=half + timedelta(days=1), enrolled=14, spent="50000.01", today=half + timedelta(days=1))
    assert "overspending" in _kinds(setup, pid, half + timedelta(days=1))["A1"]
    # no report for more than REPORT_MAX_AGE_DAYS after the last one
    later = half + timedelta(days=1 + monitoring.REPORT_MAX_AGE_DAYS + 1)
    assert "no_report" in _kinds(setup, pid, later)["A1"]
    assert "no_report" not in _kinds(setup, pid, later - timedelta(days=1))["A1"]
    # after the end without the completions: late
    assert "late" in _kinds(setup, pid, a1_end + timedelta(days=1))["A1"]
    setup.report(pid, period=a1_end, enrolled=20, completed=16, certified=12, placed=10, spent="50000.01",
                 today=a1_end + timedelta(days=1))
    assert "late" not in _kinds(setup, pid, a1_end + timedelta(days=1))["A1"]
    assert a2_start > a1_start


def test_no_alerts_for_programmes_not_yet_approved(setup: Setup) -> None:
    pid = setup.pact(SELECTED)
    assert _kinds(setup, pid, setup.first + timedelta(days=400)) == {"A1": set(), "A2": set()}


def test_cabina_matches_direct_sql_sums(setup: Setup) -> None:
    running = setup.pact(APPROVED, nuts3="ITC46", title="Bergamo")
    setup.report(running, period=setup.first + timedelta(days=20), enrolled=8, spent="3000")
    setup.report(running, period=setup.first + timedelta(days=50), enrolled=11, completed=2, spent="7000.50")
    setup.report(running, "A2", period=setup.first + timedelta(days=50), enrolled=4, spent="1200")
    other = setup.pact(APPROVED, org="other", nuts3="ITC4C", title="Milano")
    setup.report(other, period=setup.first + timedelta(days=40), who="stranger", enrolled=3, spent="999.99")
    setup.pact(SELECTED, nuts3="ITC4C", title="Selezionato")
    today = setup.first + timedelta(days=60)
    with session_scope(setup.engine) as session:
        overview = monitoring.cabina(session, principal=setup["region"], today=today)
        statuses = list(monitoring.WITH_PROGRAMME)
        budget = session.scalar(select(func.sum(BudgetLine.amount)).join(BudgetLine.action)
                                .join(Proposal, Proposal.id == ProgrammeAction.proposal_id)
                                .where(Proposal.status.in_(statuses)))
        latest = (select(ProgressReport.action_id, func.max(ProgressReport.period).label("period"))
                  .group_by(ProgressReport.action_id).subquery())
        spent, enrolled = session.execute(
            select(func.sum(ProgressReport.spent), func.sum(ProgressReport.enrolled))
            .join(latest, (latest.c.action_id == ProgressReport.action_id) & (latest.c.period == ProgressReport.period))
        ).one()
        target = session.scalar(select(func.sum(ProgrammeAction.target_enrolled)))
        assert overview.budget == Decimal(budget)
        assert overview.spent == Decimal(spent) == Decimal("9200.49")
        assert overview.figures["enrolled"] == enrolled == 11 + 4 + 3
        assert overview.targets["enrolled"] == target
        assert len(overview.pacts) == 3
        assert set(overview.provinces) == {"ITC46", "ITC4C"}
        assert sum(f.budget for f in overview.provinces.values()) == overview.budget
        assert sum(f.spent for f in overview.provinces.values()) == overview.spent
        assert overview.provinces["ITC46"].enrolled == 11 + 4
        fund_view = monitoring.cabina(session, principal=setup["fund"], today=today)
        assert fund_view.budget == overview.budget
        for who in ("owner", "stranger"):
            with pytest.raises(Forbidden):
                monitoring.cabina(session, principal=setup[who], today=today)
        rows = list(csv.DictReader(io.StringIO(monitoring.cabina_csv(overview))))
        assert [r["title"] for r in rows] == ["Bergamo", "Milano", "Selezionato"]
        assert sum(Decimal(r["spent"]) for r in rows) == overview.spent


def test_territory_is_read_defensively() -> None:
    p = Proposal(body={"territory": {"nuts3": ["itc46", "ITC46", "junk"], "provinces": ["BG"]}})
    assert monitoring.territory_of(p) == ["ITC46"]
    assert monitoring.territory_of(Proposal(body={"territory": ["ITC4C", {"nuts3": "ITC41"}]})) == ["ITC4C", "ITC41"]
    assert monitoring.territory_of(Proposal(body={"territory": 7})) == []
    assert monitoring.territory_of(Proposal(body={})) == []


# --- the API, end to end -------------------------------------------------------------------------------------

def test_programme_to_monitoring_through_the_api(empty_engine: Engine) -> None:
    world = build_world(empty_engine)
    now = datetime.now(UTC)
    with session_scope(empty_engine) as session:
        call = new_call(session, now=now, code="PATTI-API")
        pid = pact_in(session, organisation_id=world.orgs["partnership_a"], call=call, status=SELECTED,
                      title="Patto via API").id
        actions = valid_actions(call)
    app = create_app(engine=empty_engine)
    app.state.auth_settings = world.settings
    client = TestClient(app)
    owner, region, fund = (world.bearer(r) for r in ("partnership_editor", "region_admin", "fund_viewer"))
    base = f"/api/pacts/proposals/{pid}"

    got = client.get(f"{base}/programme", headers=owner).json()
    assert [a["code"] for a in got["actions"]] == ["A1", "A2"] and got["totals"]["cofinancing_share"] == "0.2500"
    too_little = [dict(a, budget=[b for b in a["budget"] if b["source"] != "cofinancing"]) for a in actions]
    body = {"version": got["version"], "actions": [{**a, "start_date": a["start_date"].isoformat(),
                                                     "end_date": a["end_date"].isoformat()} for a in too_little],
            "indicators": got["indicators"]}
    put = client.put(f"{base}/programme", headers=owner, json=body)
    assert put.status_code == 200, put.text
    assert client.put(f"{base}/programme", headers=owner, json=body).status_code == 409  # stale version
    check = client.get(f"{base}/programme/check", headers=owner).json()
    assert not check["ok"] and "budget.cofinancing" in {i["field"] for i in check["issues"]}
    refused = client.post(f"{base}/programme/submit", headers=owner)
    assert refused.status_code == 422 and "budget.cofinancing" in refused.text
    body = {"version": put.json()["version"], "actions": [{**a, "start_date": a["start_date"].isoformat(),
                                                           "end_date": a["end_date"].isoformat()} for a in actions],
            "indicators": got["indicators"]}
    assert client.put(f"{base}/programme", headers=owner, json=body).status_code == 200
    assert client.get(f"{base}/programme/check", headers=owner).json() == {"ok": True, "issues": []}
    assert client.post(f"{base}/programme/approve", headers=region).status_code == 409  # not presented yet
    assert client.post(f"{base}/programme/submit", headers=owner).json()["status"] == "programme_submitted"
    assert client.post(f"{base}/programme/approve", headers=owner).status_code == 403
    assert client.post(f"{base}/programme/return", headers=region, json={"note": "Date"}).json()["status"] == SELECTED
    assert client.post(f"{base}/programme/submit", headers=owner).status_code == 200
    approved = client.post(f"{base}/programme/approve", headers=region)
    assert approved.json()["status"] == "approved" and approved.json()["approved_at"]
    period = min(now.date(), actions[0]["start_date"] + timedelta(days=1))
    report = {"action_code": "A1", "period": period.isoformat(), "enrolled": 7, "completed": 1, "spent": "1234.5"}
    assert client.post(f"{base}/progress", headers=region, json=report).status_code == 403
    assert client.post(f"{base}/progress", headers=owner, json=report).status_code == 200
    assert client.post(f"{base}/progress", headers=owner, json=report).status_code == 200  # idempotent
    assert len(client.get(f"{base}/progress", headers=fund).json()) == 1
    mon = client.get(f"{base}/monitoring", headers=fund).json()
    assert mon["status"] == "in_progress" and mon["figures"]["enrolled"] == 7 and mon["spent"] == "1234.50"
    cab = client.get("/api/pacts/cabina", headers=region).json()
    assert [p["proposal_id"] for p in cab["pacts"]] == [pid] and cab["provinces"][0]["nuts3"] == "ITC46"
    assert client.get("/api/pacts/cabina", headers=owner).status_code == 403
    text = client.get("/api/pacts/cabina.csv", headers=fund).text
    assert text.splitlines()[0].startswith("proposal_id,title,status") and "Patto via API" in text
    assert client.post(f"{base}/close", headers=region, json={"note": "fine"}).json()["status"] == "closed"


# --- any sequence of reports ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Setup:
    from regia.db import make_engine, migrate

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('reports') / 'reports.db'}")
    migrate(engine)
    return Setup(engine)


report_step = st.tuples(st.integers(min_value=1, max_value=60), st.integers(min_value=0, max_value=30),
                        st.integers(min_value=0, max_value=30), st.integers(min_value=0, max_value=5000))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(report_step, min_size=1, max_size=8))
def test_any_sequence_of_reports_keeps_the_figures_cumulative(shared: Setup,
                                                              steps: list[tuple[int, int, int, int]]) -> None:
    """Whatever is sent, a report is stored iff it keeps every figure non-decreasing over the periods (and
    completed <= enrolled); stored figures are exactly what was last accepted for each period."""
    pid = shared.pact(APPROVED)
    accepted: dict[date, tuple[int, int, Decimal]] = {}
    for day, enrolled, completed, spent in steps:
        period = shared.first + timedelta(days=day)
        candidate = {**accepted, period: (enrolled, completed, Decimal(spent))}
        ordered = [candidate[p] for p in sorted(candidate)]
        consistent = completed <= enrolled and all(
            a[i] <= b[i] for a, b in itertools.pairwise(ordered) for i in range(3))
        try:
            shared.report(pid, period=period, today=shared.first + timedelta(days=100), enrolled=enrolled,
                          completed=completed, spent=str(spent))
        except InvalidInput:
            assert not consistent
        else:
            assert consistent
            accepted[period] = (enrolled, completed, Decimal(spent))
    with session_scope(shared.engine) as session:
        stored = session.execute(select(ProgressReport.period, ProgressReport.enrolled, ProgressReport.completed,
                                        ProgressReport.spent).join(ProgressReport.action)
                                 .where(ProgrammeAction.proposal_id == pid, ProgrammeAction.code == "A1")).all()
        assert {p: (e, c, s) for p, e, c, s in stored} == accepted
