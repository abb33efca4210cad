"""The Region's call form (regia.pacts.proposal_pages): the form of a stored call reads back as the same call
(hypothesis), the times typed are Europe/Rome wall-clock times stored as the same instant on SQLite and
PostgreSQL, errors keep what was typed, and a stale edit is refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from regia.auth import sessions
from regia.db import make_engine, migrate, session_scope
from regia.pacts import calls
from regia.pacts.manifestation import PARTNER_TYPES, PUBLIC_SOURCES
from regia.pacts.models import AGGREGATIONS, TARGET_GROUPS, Call
from regia.pacts.proposal_pages import LOMBARDY_NUTS3, call_form_of, call_values
from regia.web.app import create_app
from support.accounts import World, build_world
from support.route_tables.pacts_call_pages import call_form

ROME = ZoneInfo("Europe/Rome")


@pytest.fixture(scope="module")
def plain_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    engine = make_engine(f"sqlite:///{Path(tmp_path_factory.mktemp('call-form')) / 'f.db'}")
    migrate(engine)
    return engine


def _minute(moment: datetime) -> bool:
    """Not in the hour Rome lives twice (autumn): a wall-clock time there names two instants."""
    return moment.astimezone(ROME).fold == 0


money = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)
score = st.decimals(min_value=Decimal("0.5"), max_value=100, places=1, allow_nan=False, allow_infinity=False)


@st.composite
def call_values_strategy(draw: Any) -> dict[str, Any]:
    start = draw(st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2030, 12, 31),
                              timezones=st.just(UTC))).replace(second=0, microsecond=0)
    gaps = [timedelta(minutes=draw(st.integers(min_value=1, max_value=200 * 24 * 60))) for _ in range(3)]
    stamps = [start]
    for gap in gaps:
        stamps.append(stamps[-1] + gap)
    assume(all(_minute(s) for s in stamps))
    grid = []
    for i in range(draw(st.integers(min_value=1, max_value=4))):
        top = draw(score)
        grid.append({"code": f"C{i + 1}", "label": draw(st.text(st.characters(categories=("L", "N", "Zs")),
                                                                   min_size=1, max_size=40)).strip() or "x",
                     "weight": str(draw(score)), "max_score": str(top),
                     "threshold": str(draw(st.decimals(min_value=0, max_value=top, places=1)))})
    best = sum(Decimal(c["weight"]) * Decimal(c["max_score"]) for c in grid)
    return {
        "code": draw(st.from_regex(r"[A-Z]{2,8}-20[0-9]{2}", fullmatch=True)), "title": "Avviso",
        "description": draw(st.text(max_size=60)).strip(),
        "opens_at": stamps[0], "manifestation_deadline": stamps[1], "evaluation_deadline": stamps[2],
        "programme_deadline": stamps[3], "ends_on": stamps[3].date() + timedelta(days=draw(st.integers(1, 900))),
        "territories": draw(st.lists(st.sampled_from(sorted(LOMBARDY_NUTS3)), unique=True)),
        "required_partner_types": draw(st.lists(st.sampled_from(PARTNER_TYPES), unique=True)),
        "min_partners": draw(st.integers(1, 30)),
        "targets": draw(st.lists(st.sampled_from(TARGET_GROUPS), unique=True)),
        "grid": grid, "min_total": draw(st.decimals(min_value=0, max_value=best, places=1)),
        "aggregation": draw(st.sampled_from(AGGREGATIONS)), "max_spread": draw(st.decimals(0, 50, places=1)),
        "min_evaluators": draw(st.integers(1, 10)),
        "budget": {s: draw(money) for s in draw(st.lists(st.sampled_from(PUBLIC_SOURCES), unique=True))},
        "max_grant": draw(st.none() | st.decimals(min_value=1, max_value=10**7, places=2)),
        "min_cofinancing_share": draw(st.decimals(min_value=0, max_value=Decimal("0.9999"), places=4)),
    }


def _numbers(clean: dict[str, Any]) -> dict[str, Any]:
    """Decimals written as strings compared by value (a form may write 2.50 as 2.5)."""
    out = dict(clean)
    out["grid"] = [{k: Decimal(v) if k in ("weight", "max_score", "threshold") else v for k, v in c.items()}
                   for c in clean["grid"]]
    out["budget"] = {k: Decimal(v) for k, v in clean["budget"].items()}
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=call_values_strategy())
def test_the_form_of_a_call_reads_back_as_the_same_call(plain_engine: Engine, values: dict[str, Any]) -> None:
    with session_scope(plain_engine) as session:
        clean = calls.check(session, values)
        form = call_form_of(Call(**clean, version=1))
        again = calls.check(session, call_values(form))
    assert _numbers(again) == _numbers(clean)


@pytest.mark.parametrize("typed", [
    {"opens_at": "ieri"}, {"ends_on": "31/12/2027"}, {"min_partners": "tre"}, {"grid-0-weight": "molto"},
    {"budget-fund": "1.000,00 euro"}, {"min_cofinancing_pct": "100"}, {"grid-0-max_score": ""},
])
def test_unreadable_values_are_refused_with_their_field(typed: dict[str, str]) -> None:
    from starlette.datastructures import FormData

    from regia.auth.errors import InvalidInput
    from regia.pacts.proposal_pages import call_form_values

    form = FormData({**call_form("X-1"), **typed})
    with pytest.raises(InvalidInput) as refused:
        call_values(call_form_values(form))
    name = next(iter(typed)).replace("grid-0-", "grid[0].").replace("budget-", "budget.").replace(
        "min_cofinancing_pct", "min_cofinancing_share")
    assert refused.value.field == name


@pytest.fixture
def region(empty_engine: Engine) -> tuple[World, TestClient, str]:
    world = build_world(empty_engine)
    app = create_app(engine=empty_engine)
    app.state.auth_settings = world.settings
    client = TestClient(app, follow_redirects=False)
    cookie = world.session_cookie("region_admin")
    assert cookie is not None
    client.cookies.set(sessions.SESSION_COOKIE, cookie[0])
    return world, client, cookie[1]


def test_rome_times_are_stored_as_the_same_instant(region: tuple[World, TestClient, str]) -> None:
    world, client, csrf = region
    form = {**call_form("PATTI-ORA"), "opens_at": "2027-03-01T12:00", "manifestation_deadline": "2027-07-01T12:00",
            "evaluation_deadline": "2027-09-30T18:30", "programme_deadline": "2027-11-15T09:00",
            "ends_on": "2028-12-31", "csrf_token": csrf}
    response = client.post("/pacts/calls", data=form)
    assert response.status_code == 303, response.text
    with session_scope(world.engine) as session:
        call = session.scalar(select(Call).where(Call.code == "PATTI-ORA"))
        assert call is not None
        assert calls.aware(call.opens_at) == datetime(2027, 3, 1, 11, 0, tzinfo=UTC)  # winter: UTC+1
        assert calls.aware(call.manifestation_deadline) == datetime(2027, 7, 1, 10, 0, tzinfo=UTC)  # summer: UTC+2
        assert call.ends_on == date(2028, 12, 31) and call.min_cofinancing_share == Decimal("0.1")
        call_id = call.id
    assert response.headers["location"] == f"/pacts/calls/{call_id}?saved=true"
    page = client.get(f"/pacts/calls/{call_id}/edit").text
    assert 'value="2027-03-01T12:00"' in page and 'value="2027-07-01T12:00"' in page
    assert "01/07/2027 12:00" in client.get(f"/pacts/calls/{call_id}").text


def test_errors_keep_the_typed_values_and_stale_edits_are_refused(region: tuple[World, TestClient, str]) -> None:
    world, client, csrf = region
    form = {**call_form("PATTI-ERR"), "csrf_token": csrf}
    bad = {**form, "grid-0-threshold": "11"}  # above the criterion's maximum score
    response = client.post("/pacts/calls", data=bad)
    assert response.status_code == 422
    assert 'data-field="grid[0].threshold"' in response.text
    assert 'id="grid-0-threshold" name="grid-0-threshold" value="11"' in response.text
    assert 'value="PATTI-ERR"' in response.text
    with session_scope(world.engine) as session:
        assert session.scalar(select(Call).where(Call.code == "PATTI-ERR")) is None
    assert client.post("/pacts/calls", data=form).status_code == 303
    with session_scope(world.engine) as session:
        call_id = session.scalar(select(Call.id).where(Call.code == "PATTI-ERR"))
    edit = {**form, "title": "Rettificato", "version": "1"}
    assert client.post(f"/pacts/calls/{call_id}/edit", data=edit).status_code == 303
    stale = client.post(f"/pacts/calls/{call_id}/edit", data={**edit, "title": "Di nuovo"})
    assert stale.status_code == 409 and 'data-field="version"' in stale.text
    assert 'name="version" value="2"' in stale.text and 'value="Di nuovo"' in stale.text
    with session_scope(world.engine) as session:
        call = session.get(Call, call_id)
        assert call is not None and call.title == "Rettificato" and call.version == 2
    duplicate = client.post("/pacts/calls", data=form)  # the code is taken
    assert duplicate.status_code == 409 and 'data-field="code"' in duplicate.text
