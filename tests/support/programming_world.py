"""Funding sources, agreements with the two test Funds and a plan with tranches, for the programming tests, the
route table and the browser test."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Engine

from regia.auth.principal import cli_principal
from regia.db import session_scope
from regia.programming import scenarios, service

SYSTEM = cli_principal("test")
YEARS = (2026, 2027, 2028)
SOURCES = (  # code, name, kind, targets, envelope per year, owner ("fund", "fund_b" or None)
    ("regional", "Risorse regionali", "regional", ["occupati", "sospesi", "disoccupati", "inattivi"], 400000, None),
    ("fse-p1", "FSE+ 2021-2027 Priorità 1 Occupazione", "fse_plus", ["disoccupati", "inattivi"], 300000, None),
    ("gol", "GOL", "gol", ["disoccupati", "inattivi"], 200000, None),
    ("fund-a-cf", "Fondimpresa · Conto Formazione", "fund_training", ["occupati", "sospesi"], 150000, "fund"),
    ("fund-b-cf", "Fondo B · Conto Formazione", "fund_training", ["occupati", "sospesi"], 100000, "fund_b"),
)
LINES = [
    {"code": "L1", "title": "Competenze digitali nelle PMI", "area": "digital", "target": "occupati",
     "territory": "ITC46", "channel": "fund_notice", "cost": {"2026": "80000", "2027": "80000"},
     "participants": {"2026": 60, "2027": 60}, "indicators": [{"indicator": "Formati", "unit": "n", "target": 120}]},
    {"code": "L2", "title": "Transizione verde per disoccupati", "area": "green", "target": "disoccupati",
     "territory": "ITC4C", "channel": "regional_call", "cost": {"2026": "100000"}, "participants": {"2026": 90},
     "indicators": []},
]
TRANCHES = [
    {"line": "L1", "source": "fund-a-cf", "year": 2026, "planned": "50000", "committed": "20000"},
    {"line": "L1", "source": "regional", "year": 2026, "planned": "30000", "committed": "0"},
    {"line": "L1", "source": "fund-a-cf", "year": 2027, "planned": "80000", "committed": "0"},
    {"line": "L2", "source": "fse-p1", "year": 2026, "planned": "100000", "committed": "50000"},
]


SMALL_SCENARIO = {
    "name": "Scenario di prova", "years": [2026],
    "sources": [{"id": "fund-a-cf", "targets": ["occupati", "sospesi"]}, {"id": "regional",
                                                                         "targets": ["occupati", "disoccupati"]}],
    "budget": {"fund-a-cf": {"2026": 10000}, "regional": {"2026": 5000}},
    "cells": [{"province": "ITC46", "target": "occupati", "area": "digital", "need": 20, "weight": 1.5, "cost": 500},
              {"province": "ITC4C", "target": "disoccupati", "area": "green", "need": 10, "cost": 400}]}


def seed_sources(session: Any, orgs: dict[str, int]) -> dict[str, int]:
    ids = {}
    for code, name, kind, targets, amount, owner in SOURCES:
        ids[code] = service.create_source(session, actor=SYSTEM, code=code, name=name, kind=kind, targets=targets,
                                          organisation_id=orgs[owner] if owner else None,
                                          envelopes=dict.fromkeys(YEARS, amount)).id
    return ids


def new_agreement(session: Any, *, fund_id: int, code: str, title: str) -> Any:
    return service.create_agreement(
        session, actor=SYSTEM, code=code, title=title, fund_id=fund_id, starts_on=date(2026, 1, 1),
        ends_on=date(2028, 12, 31),
        priorities={"areas": ["digital", "green"], "targets": ["occupati"], "territories": ["ITC46", "ITC4C"]},
        commitments={"region": "Bandi regionali complementari", "fund": "Avvisi del Conto di Sistema"},
        signatories=[{"name": "Assessore", "role": "Assessore al lavoro", "party": "region"},
                     {"name": "Presidente del Fondo", "role": "Presidente", "party": "fund"}])


def seed(engine: Engine, world: Any) -> None:
    """Sources, an agreement with each Fund (the first with a plan and tranches), into ``world.extra``."""
    with session_scope(engine) as session:
        sources = seed_sources(session, world.orgs)
        a = new_agreement(session, fund_id=world.orgs["fund"], code="ACC-FONDIMPRESA", title="Accordo Fondimpresa")
        b = new_agreement(session, fund_id=world.orgs["fund_b"], code="ACC-FONDO-B", title="Accordo Fondo B")
        plan = service.create_plan(session, actor=SYSTEM, agreement_id=a.id, title="Piano 2026-2028",
                                   first_year=2026, last_year=2028)
        service.save_plan(session, actor=SYSTEM, plan_id=plan.id, version=None, lines=LINES, tranches=TRANCHES)
        plan_b = service.create_plan(session, actor=SYSTEM, agreement_id=b.id, title="Piano Fondo B",
                                     first_year=2026, last_year=2028)
        service.save_plan(session, actor=SYSTEM, plan_id=plan_b.id, version=None,
                          lines=[{**LINES[0], "code": "B1", "territory": "ITC4B"}],
                          tranches=[{"line": "B1", "source": "fund-b-cf", "year": 2026, "planned": "40000",
                                     "committed": "0"}])
        document = service.upload_document(session, actor=SYSTEM, agreement_id=a.id, filename="accordo.pdf",
                                           data=b"%PDF-1.4 accordo")
        saved = scenarios.save(session, actor=SYSTEM, document=SMALL_SCENARIO)
        world.extra.update({"document_a": document.id, "scenario": saved.id})
        world.extra.update({"agreement_a": a.id, "agreement_b": b.id, "plan_a": plan.id, "plan_b": plan_b.id,
                            **{f"source_{k}": v for k, v in sources.items()}})


class SeededWorlds:
    """Copies of one seeded world per engine (the accounts' passwords are hashed once, not per test)."""

    def __init__(self, databases: Any) -> None:
        from support.accounts import WorldTemplates

        self.templates = WorldTemplates(databases)

    def new(self, kind: str) -> Any:
        from regia.db import migrate
        from support.accounts import build_world

        t = self.templates
        if kind not in t.templates:
            engine = t.databases.new(kind)
            migrate(engine)
            world = build_world(engine)
            seed(engine, world)
            if kind == "sqlite":
                with engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            engine.dispose()
            t.templates[kind] = (engine.url.render_as_string(hide_password=False), world)
        return t.new(kind)

    def drop(self, world: Any) -> None:
        self.templates.drop(world)
