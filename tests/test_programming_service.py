"""Agreements, plans and tranches: the rules (each naming its line and year), who edits what, the state machine,
amendments, documents, recorded spending, scenarios saved and applied to a plan, and the Cabina's views."""

from __future__ import annotations

import copy
import io
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from regia.auth.errors import Conflict, Forbidden, InvalidInput, NotFound
from regia.auth.models import AuditEntry
from regia.auth.principal import Principal, principal_for
from regia.auth.service import load_user
from regia.db import session_scope
from regia.programming import cabina, scenarios, service
from regia.programming.models import IN_FORCE, SIGNED, Plan
from support.accounts import World
from support.programming_world import LINES, SYSTEM, TRANCHES, SeededWorlds


@pytest.fixture(scope="module")
def worlds(databases: Any) -> SeededWorlds:
    return SeededWorlds(databases)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, worlds: SeededWorlds) -> Iterator[World]:
    world = worlds.new(request.param)
    yield world
    worlds.drop(world)


def who(world: World, role: str) -> Principal:
    with session_scope(world.engine) as session:
        user = load_user(session, world.users[role])
        assert user is not None
        return principal_for(user, via="token")


def save(world: World, actor: Principal, lines: list[dict[str, Any]], tranches: list[dict[str, Any]]) -> Plan:
    with session_scope(world.engine) as session:
        return service.save_plan(session, actor=actor, plan_id=world.extra["plan_a"], version=None, lines=lines,
                                 tranches=tranches)


def broken(world: World, tranches: list[dict[str, Any]], lines: list[dict[str, Any]] = LINES) -> list[Any]:
    with pytest.raises(service.PlanRulesBroken) as caught:
        save(world, SYSTEM, lines, tranches)
    return caught.value.issues


def test_plan_rules_name_the_line_and_year(world: World) -> None:
    over_envelope = [*TRANCHES, {"line": "L2", "source": "fse-p1", "year": 2027, "planned": "0"},
                     {"line": "L1", "source": "regional", "year": 2027, "planned": "0"}]
    over_envelope[3] = {**TRANCHES[3], "planned": "300000.01"}  # FSE+ 2026 envelope: 300,000
    lines = copy.deepcopy(LINES)
    lines[1]["cost"]["2026"] = "400000"
    [issue] = broken(world, over_envelope, lines)
    assert (issue.key, issue.line, issue.year) == ("programming.rule.envelope", "L2", 2026)
    assert "300.000,01 €" in issue.text("it") and "L2" in issue.text("it") and "2026" in issue.text("it")

    ineligible = [*TRANCHES, {"line": "L1", "source": "fse-p1", "year": 2027, "planned": "1000"}]
    issues = broken(world, ineligible)
    assert {(i.key, i.line, i.year) for i in issues} == {("programming.rule.target", "L1", 2027),
                                                          ("programming.rule.double_funding", "L1", 2027)}

    double = copy.deepcopy(TRANCHES)
    double[1]["planned"] = "30000.01"  # L1 2026: 50,000 + 30,000.01 over its 80,000 cost
    [issue] = broken(world, double)
    assert (issue.key, issue.line, issue.year) == ("programming.rule.double_funding", "L1", 2026)
    assert "Line L1, 2026" in issue.text("en")

    other_fund = [*TRANCHES, {"line": "L1", "source": "fund-b-cf", "year": 2028, "planned": "10"}]
    lines = copy.deepcopy(LINES)
    lines[0]["cost"]["2028"] = "10"
    assert {i.key for i in broken(world, other_fund, lines)} == {"programming.rule.other_fund"}

    committed = copy.deepcopy(TRANCHES)
    committed[0]["committed"] = "50000.01"
    assert [(i.key, i.line) for i in broken(world, committed)] == [("programming.rule.committed", "L1")]


def test_the_envelope_counts_every_plan(world: World) -> None:
    # the Fund's own plan B spends nothing of FSE+; two Fondimpresa plans share the Fund's 150,000 € envelope
    with session_scope(world.engine) as session:
        second = service.create_plan(session, actor=SYSTEM, agreement_id=world.extra["agreement_a"],
                                     title="Secondo piano", first_year=2026, last_year=2027)
        with pytest.raises(service.PlanRulesBroken) as caught:
            service.save_plan(session, actor=SYSTEM, plan_id=second.id, version=None,
                              lines=[{**LINES[0], "code": "X1", "cost": {"2026": "200000"}}],
                              tranches=[{"line": "X1", "source": "fund-a-cf", "year": 2026, "planned": "100000.01"}])
    [issue] = caught.value.issues
    assert issue.key == "programming.rule.envelope" and issue.params["total"] == Decimal("150000.01")


def test_fund_editors_edit_their_own_side(world: World) -> None:
    fund, fund_b, viewer = who(world, "fund_editor"), who(world, "fund_b_editor"), who(world, "fund_viewer")
    mine = copy.deepcopy(TRANCHES)
    mine[2]["planned"] = "70000"  # Fondimpresa's own source
    plan = save(world, fund, LINES, mine)
    assert plan.version == 3
    others = copy.deepcopy(TRANCHES)
    others[1]["planned"] = "20000"  # the Region's money: not theirs
    with pytest.raises(Forbidden):
        save(world, fund, LINES, others)
    lines = copy.deepcopy(LINES)
    lines[0]["title"] = "Rinominata"
    with pytest.raises(Forbidden):
        save(world, fund, lines, mine)
    for outsider in (fund_b, viewer):
        with pytest.raises((NotFound, Forbidden)):
            save(world, outsider, LINES, mine)
    with session_scope(world.engine) as session:
        assert [a.code for a in service.list_agreements(session, principal=fund_b)] == ["ACC-FONDO-B"]
        with pytest.raises(NotFound):
            service.get_agreement(session, principal=fund_b, id=world.extra["agreement_a"])
        service.update_agreement(session, actor=fund, id=world.extra["agreement_a"], version=None,
                                 changes={"commitments": {"region": "Bandi regionali complementari",
                                                          "fund": "Avvisi e Conto Formazione"}})
        with pytest.raises(Forbidden):
            service.update_agreement(session, actor=fund, id=world.extra["agreement_a"], version=None,
                                     changes={"title": "Un altro titolo"})
        with pytest.raises(Forbidden):
            service.create_agreement(session, actor=fund, code="X", title="X", fund_id=world.orgs["fund"],
                                     starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))


def test_states_amendments_and_audit(world: World) -> None:
    region = who(world, "region_admin")
    aid = world.extra["agreement_a"]
    with session_scope(world.engine) as session:
        with pytest.raises(Conflict):
            service.move_agreement(session, actor=region, id=aid, target=IN_FORCE)
        with pytest.raises(Forbidden):
            service.move_agreement(session, actor=who(world, "fund_editor"), id=aid, target=SIGNED)
        agreement = service.get_agreement(session, principal=region, id=aid)
        service.update_agreement(session, actor=region, id=aid, version=agreement.version,
                                 changes={"signatories": agreement.signatories[:1]})
        with pytest.raises(InvalidInput, match="fund"):
            service.move_agreement(session, actor=region, id=aid, target=SIGNED)
    with session_scope(world.engine) as session:
        agreement = service.get_agreement(session, principal=region, id=aid)
        service.update_agreement(session, actor=region, id=aid, version=agreement.version, changes={"signatories": [
            *agreement.signatories, {"name": "Presidente", "party": "fund", "signed_on": "2026-01-15"}]})
        service.move_agreement(session, actor=region, id=aid, target=SIGNED)
        with pytest.raises(Conflict):
            service.update_agreement(session, actor=region, id=aid, version=None, changes={"title": "Nuovo"})
        first = service.amend(session, actor=region, id=aid, version=None, summary="Nuove priorità",
                              changes={"priorities": {"areas": ["digital", "green", "transversal"]}})
        second = service.amend(session, actor=who(world, "fund_editor"), id=aid, version=None,
                               summary="Impegni del Fondo", changes={"commitments": {
                                   "region": "Bandi regionali complementari", "fund": "Più avvisi"}})
        assert (first.number, second.number) == (1, 2)
        assert first.before["priorities"]["areas"] == ["digital", "green"]
        assert first.after["priorities"]["areas"] == ["digital", "green", "transversal"]
        service.move_agreement(session, actor=region, id=aid, target=IN_FORCE)
        actions = session.scalars(select(AuditEntry.action).where(
            AuditEntry.resource_type == "programming_agreement", AuditEntry.resource_id == str(aid))).all()
    assert actions[-4:] == ["sign", "amend", "amend", "enter_into_force"]


def test_documents_and_spending(world: World) -> None:
    region, fund = who(world, "region_admin"), who(world, "fund_editor")
    with session_scope(world.engine) as session:
        doc = service.upload_document(session, actor=fund, agreement_id=world.extra["agreement_a"],
                                      filename="../accordo firmato.pdf", data=b"%PDF-1.4 testo")
        assert doc.filename == "accordo_firmato.pdf" and doc.content_type == "application/pdf"
        with pytest.raises(InvalidInput, match="PDF"):
            service.upload_document(session, actor=region, agreement_id=world.extra["agreement_a"],
                                    filename="x.pdf", data=b"just text")
        with pytest.raises(NotFound):
            service.list_documents(session, principal=who(world, "fund_b_editor"),
                                   agreement_id=world.extra["agreement_a"])
        tranche = service.record_spent(session, actor=fund, plan_id=world.extra["plan_a"], line="L1",
                                       source="fund-a-cf", year=2026, spent="15000")
        assert tranche.spent == Decimal("15000.00")
        with pytest.raises(InvalidInput, match="over committed"):
            service.record_spent(session, actor=region, plan_id=world.extra["plan_a"], line="L1",
                                 source="fund-a-cf", year=2026, spent="20000.01")
        with pytest.raises(Forbidden):  # the Region's own source: not the Fund's to report
            service.record_spent(session, actor=fund, plan_id=world.extra["plan_a"], line="L1", source="regional",
                                 year=2026, spent="0")
    # a later save of the plan keeps the monitoring's figure
    with session_scope(world.engine) as session:
        plan = service.save_plan(session, actor=SYSTEM, plan_id=world.extra["plan_a"], version=None, lines=LINES,
                                 tranches=TRANCHES)
        assert {t.spent for line in plan.lines for t in line.tranches if t.source.code == "fund-a-cf"
                and t.year == 2026} == {Decimal("15000.00")}


def needs(_: Any = None) -> dict[tuple[str, str], int]:
    return {("ITC46", "digital"): 200, ("ITC4C", "green"): 100, ("ITC4C", "sector"): 40}


def test_scenarios_versioned_built_and_applied(world: World) -> None:
    region = who(world, "region_admin")
    with session_scope(world.engine) as session:
        built = scenarios.build(session, world.engine, principal=region, name="Dai dati", years=[2026, 2027],
                                needs=needs, plan_ids=[world.extra["plan_a"]])
        doc = built.to_json()
        assert {s["id"] for s in doc["sources"]} == {"fund-a-cf", "regional", "fse-p1"}
        assert doc["budget"]["fund-a-cf"] == {"2026": 50000.0, "2027": 80000.0}
        cell = next(c for c in doc["cells"] if c["province"] == "ITC46" and c["target"] == "occupati")
        assert (cell["need"], cell["weight"], cell["cost"]) == (90, 1.5, scenarios.STANDARD_COST)
        first = scenarios.save(session, actor=region, document=doc)
        second = scenarios.save(session, actor=region, document=doc)
        assert (first.version, second.version) == (1, 2) and second.result["status"] == "optimal"
        with pytest.raises(Forbidden):
            scenarios.save(session, actor=who(world, "region_viewer"), document=doc)
        assert scenarios.get(session, principal=who(world, "region_viewer"), id=first.id).name == "Dai dati"
        with pytest.raises(Forbidden):
            scenarios.get(session, principal=who(world, "fund_editor"), id=first.id)
        plan = scenarios.apply_to_plan(session, actor=region, id=second.id, plan_id=world.extra["plan_a"])
        planned = {(line.territory, line.target, line.area, t.source.code, t.year): t.planned
                   for line in plan.lines for t in line.tranches}
        for a in second.result["allocations"]:
            key = (a["cell"]["province"], a["cell"]["target"], a["cell"]["area"], a["source"], a["year"])
            assert abs(float(planned[key]) - a["euros"]) < 0.01
        assert service.check_plan(session, principal=region, plan_id=plan.id) == []
        view = scenarios.compare(session, principal=region, ids=[first.id, second.id])
        assert [c["method"] for c in view["columns"]] == ["optimised", "status_quo"] * 2
        opt, base = view["columns"][:2]
        assert opt["objective"] >= base["objective"] - 1e-6


def test_cabina_fund_sees_own_rows_and_aggregates(world: World) -> None:
    with session_scope(world.engine) as session:
        full = cabina.overview(session, principal=who(world, "region_viewer"), needs=needs)
        assert {r["agreement"] for r in full.rows} == {"ACC-FONDIMPRESA", "ACC-FONDO-B"} and not full.others
        own = cabina.overview(session, principal=who(world, "fund_b_editor"), needs=needs)
        assert {r["agreement"] for r in own.rows} == {"ACC-FONDO-B"}
        assert own.others[2026].planned == Decimal("180000")  # Fondimpresa's plan, as one figure
        csv_text = cabina.to_csv(own)
        assert "ACC-FONDIMPRESA" not in csv_text and "aggregate" in csv_text
        book = load_workbook(io.BytesIO(cabina.to_xlsx(full)))
        assert book.active.max_row == 1 + len(full.rows)
        share = next(c for c in full.coverage if (c["territory"], c["area"]) == ("ITC46", "digital"))
        assert share["participants"] == 120 and share["need"] == pytest.approx(200.0)


def test_demo_programming_is_idempotent(databases: Any) -> None:
    from regia.auth.demo import seed_demo_accounts
    from regia.db import migrate
    from regia.programming.demo_data import ensure_demo_programming
    from regia.programming.models import Agreement, SavedScenario

    engine = databases.new("sqlite")
    migrate(engine)
    seed_demo_accounts(engine)
    first = ensure_demo_programming(engine, needs=lambda provinces: {})
    assert first == {"agreements": 2, "plans": 2, "scenarios_added": 2}
    assert ensure_demo_programming(engine, needs=lambda provinces: {})["scenarios_added"] == 0
    with session_scope(engine) as session:
        funds = {a.code: (a.status, len(a.plans)) for a in session.scalars(select(Agreement))}
        assert funds == {"ACCORDO-1-2026": ("in_force", 1), "ACCORDO-2-2026": ("signed", 1)}
        rows = session.scalars(select(SavedScenario)).all()
        assert {r.result["status"] for r in rows} == {"optimal"} and len(rows) == 2
        for agreement in session.scalars(select(Agreement)):
            for plan in agreement.plans:
                assert service.check_plan(session, principal=SYSTEM, plan_id=plan.id) == []


def test_scenario_costs_and_seats_come_from_the_catalogue_editions(world: World) -> None:
    from regia.catalog.models import Course, CourseTarget, Edition, Provider

    with session_scope(world.engine) as session:
        provider = Provider(vat="09000000019", name="Ente", name_key="ente")
        session.add(provider)
        session.flush()
        for title, hours, fee, digital, target, nuts3, seats in (
                ("Digitale", 40.0, 0.0, True, "occupati", "ITC46", 25), ("Logistica", 80.0, 900.0, False,
                                                                          "disoccupati", "ITC4C", 10)):
            course = Course(provider_id=provider.id, title=title, title_key=title.lower(), hours=hours,
                            modality="presenza", cost_eur=fee, digital=digital)
            session.add(course)
            session.flush()
            session.add_all([CourseTarget(course_id=course.id, target=target),
                             Edition(course_id=course.id, start_date=date(2026, 3, 1), seats=seats, nuts3=nuts3)])
    with session_scope(world.engine) as session:
        built = scenarios.build(session, world.engine, principal=SYSTEM, name="Catalogo", years=[2026],
                                needs=needs, plan_ids=[world.extra["plan_a"]])
    cells = {c.key: c for c in built.cells}
    digital = cells[("ITC46", "occupati", "digital")]
    assert (digital.cost, digital.capacity) == (40 * 15.0, {2026: 25})  # hours at the standard unit cost
    for target in ("disoccupati", "inattivi"):  # the unemployed's editions serve the inactive too
        cell = cells[("ITC4C", target, "sector")]
        assert (cell.cost, cell.capacity) == (900.0, {2026: 10})
    green = cells[("ITC4C", "disoccupati", "green")]  # nothing in the catalogue: standard cost, no seat limit
    assert (green.cost, green.capacity) == (scenarios.STANDARD_COST, None)
