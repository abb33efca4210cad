"""Calls (avvisi): coherent deadlines, grid, budget, territories, targets and partner types; audited creation
and updates with optimistic locking; public reading (API and pages) and Region-only writing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from regia.auth.errors import Conflict, Forbidden, InvalidInput
from regia.auth.models import AuditEntry
from regia.auth.principal import ANONYMOUS, Principal, cli_principal
from regia.db import session_scope
from regia.pacts import calls
from regia.pacts.models import Call
from regia.web.app import create_app
from support.accounts import build_world, call_values

SYSTEM = cli_principal("test")
NOW = datetime(2027, 1, 15, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(("change", "field"), [
    ({"manifestation_deadline": NOW - timedelta(days=20)}, "manifestation_deadline"),  # before opening
    ({"evaluation_deadline": NOW + timedelta(days=5)}, "evaluation_deadline"),
    ({"programme_deadline": NOW + timedelta(days=40)}, "programme_deadline"),
    ({"ends_on": (NOW + timedelta(days=80)).date()}, "ends_on"),
    ({"territories": ["ITC99X"]}, "territories"),
    ({"targets": ["pensioners"]}, "targets"),
    ({"required_partner_types": ["region"]}, "required_partner_types"),
    ({"min_partners": 0}, "min_partners"),
    ({"grid": []}, "grid"),
    ({"grid": [{"code": "C1", "label": "x", "weight": 0, "max_score": 10}]}, "grid[0].weight"),
    ({"grid": [{"code": "C1", "label": "x", "weight": 1, "max_score": -1}]}, "grid[0].max_score"),
    ({"grid": [{"code": "C1", "label": "x", "weight": 1, "max_score": 10, "threshold": 11}]}, "grid[0].threshold"),
    ({"grid": [{"code": "C1", "label": "x", "weight": 1, "max_score": 10},
               {"code": "C1", "label": "y", "weight": 1, "max_score": 10}]}, "grid[1].code"),
    ({"min_total": 1000}, "min_total"),  # above the best possible total (1*30 + 2*35 = 100)
    ({"budget": {"regional": "-1"}}, "budget.regional"),
    ({"budget": {"cofinancing": "10"}}, "budget.cofinancing"),
    ({"max_grant": 0}, "max_grant"),
    ({"min_cofinancing_share": Decimal("1.5")}, "min_cofinancing_share"),
    ({"aggregation": "median"}, "aggregation"),
])
def test_incoherent_calls_are_refused_with_the_field(empty_engine: Engine, change: dict[str, Any],
                                                     field: str) -> None:
    with session_scope(empty_engine) as session:
        with pytest.raises(InvalidInput) as refused:
            calls.create(session, actor=SYSTEM, **call_values(now=NOW, **change))
        assert refused.value.field == field
        assert session.scalar(select(Call.id)) is None


def test_create_update_audited_with_optimistic_locking(empty_engine: Engine) -> None:
    with session_scope(empty_engine) as session:
        call = calls.create(session, actor=SYSTEM, **call_values(now=NOW, territories=["itc46", "ITC46"]))
        assert call.territories == ["ITC46"] and call.version == 1
        assert call.budget == {"regional": "1000000.00", "fse_plus": "2000000.00", "fund": "500000.00"}
        call_id = call.id
    with session_scope(empty_engine) as session:
        updated = calls.update(session, actor=SYSTEM, id=call_id, version=1,
                               **call_values(now=NOW, title="Avviso rettificato"))
        assert updated.title == "Avviso rettificato" and updated.version == 2
    with session_scope(empty_engine) as session:
        with pytest.raises(Conflict) as stale:
            calls.update(session, actor=SYSTEM, id=call_id, version=1, **call_values(now=NOW, title="Vecchio"))
        assert stale.value.field == "version"
        with pytest.raises(Conflict):  # the code is unique
            calls.create(session, actor=SYSTEM, **call_values(now=NOW))
    with session_scope(empty_engine) as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.resource_type == "pact_call")
                                  .order_by(AuditEntry.id)).all()
        assert [e.action for e in entries] == ["create", "update"]
        assert entries[1].before["title"] != entries[1].after["title"] == "Avviso rettificato"


def test_only_region_staff_write_calls(empty_engine: Engine) -> None:
    partnership = Principal(user_id=1, via="token", label="user:1")
    with session_scope(empty_engine) as session:
        for who in (ANONYMOUS, partnership):
            with pytest.raises(Forbidden):
                calls.create(session, actor=who, **call_values(now=NOW))


def test_phases_follow_the_deadlines() -> None:
    call = Call(**{k: v for k, v in call_values(now=NOW).items() if k in calls.FIELDS})
    assert calls.phase(call, NOW - timedelta(days=11)) == "not_open"
    assert calls.phase(call, NOW) == "manifestation" and calls.is_open(call, NOW)
    assert calls.phase(call, call.manifestation_deadline) == "manifestation"  # the deadline itself counts
    assert calls.phase(call, call.manifestation_deadline + timedelta(seconds=1)) == "evaluation"
    assert calls.phase(call, NOW + timedelta(days=70)) == "programme"
    assert calls.phase(call, NOW + timedelta(days=100)) == "implementation"
    assert calls.phase(call, NOW + timedelta(days=900)) == "closed"


def test_territories_must_exist_in_the_taxonomy_when_it_is_loaded(taxonomy_engine: Engine) -> None:
    with session_scope(taxonomy_engine) as session:
        provinces = calls.known_provinces(session)
        assert provinces and "ITC46" in provinces and "ITC4Z" not in provinces
        values = calls.check(session, call_values(now=NOW, territories=["ITC46", "ITC4C"]))
        assert values["territories"] == ["ITC46", "ITC4C"]
        with pytest.raises(InvalidInput):
            calls.check(session, call_values(now=NOW, territories=["ITC4Z"]))  # well formed, not a province


def test_calls_are_public_and_written_by_the_region(tmp_path: Any) -> None:
    from regia.db import make_engine, migrate

    engine = make_engine(f"sqlite:///{tmp_path / 'calls.db'}")
    migrate(engine)
    world = build_world(engine)
    app = create_app(engine=engine)
    app.state.auth_settings = world.settings
    client = TestClient(app)
    listed = client.get("/api/pacts/calls").json()
    assert listed["total"] == 1 and listed["items"][0]["phase"] == "manifestation"
    one = client.get(f"/api/pacts/calls/{world.calls['open']}").json()
    assert one["code"] == "PATTI-2027" and one["grid"][0]["code"] == "C1"
    page = client.get(f"/pacts/calls/{world.calls['open']}")
    assert page.status_code == 200 and "Aperto alle manifestazioni di interesse" in page.text
    assert "Camera di Commercio" in page.text  # required partner types, in Italian

    body = {**{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in call_values(
        now=NOW, code="PATTI-2028").items()}, "max_grant": "400000", "min_cofinancing_share": "0.1"}
    denied = client.post("/api/pacts/calls", json=body, headers=world.bearer("partnership_editor"))
    assert denied.status_code == 403
    made = client.post("/api/pacts/calls", json=body, headers=world.bearer("region_admin"))
    assert made.status_code == 201, made.text
    bad = client.put(f"/api/pacts/calls/{made.json()['id']}", headers=world.bearer("region_admin"),
                     json={**body, "version": 1, "evaluation_deadline": body["opens_at"]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"][-1] == "evaluation_deadline"
    stale = client.put(f"/api/pacts/calls/{made.json()['id']}", headers=world.bearer("region_admin"),
                       json={**body, "version": 7})
    assert stale.status_code == 409


def test_deadlines_with_an_offset_are_kept_as_the_same_instant(empty_engine: Engine) -> None:
    from datetime import timezone

    rome = timezone(timedelta(hours=1))
    deadline = datetime(2027, 2, 28, 23, 59, tzinfo=rome)  # 22:59 UTC
    with session_scope(empty_engine) as session:
        call_id = calls.create(session, actor=SYSTEM, **call_values(
            now=datetime(2027, 1, 10, tzinfo=UTC), manifestation_deadline=deadline)).id
    with session_scope(empty_engine) as session:
        stored = calls.get(session, id=call_id).manifestation_deadline
        assert calls.aware(stored) == deadline
        assert calls.phase(calls.get(session, id=call_id), deadline - timedelta(minutes=1)) == "manifestation"
        assert calls.phase(calls.get(session, id=call_id), deadline + timedelta(minutes=1)) != "manifestation"
