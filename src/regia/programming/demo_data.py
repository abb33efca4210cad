"""Demo programming (DEMO ONLY): the funding sources, an agreement of the Region with each demo Fund
("Fondimpresa" and "Fondo Terziario Lombardo (demo)"), a plan with lines and tranches under each, and two
scenarios built from Regia's own data (one optimised into whole participants). Idempotent: run again, it adds
nothing. Needs the demo accounts (`regia users demo`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Engine, select

from regia.auth.errors import InvalidInput
from regia.auth.models import Organisation
from regia.auth.principal import cli_principal
from regia.db import session_scope
from regia.programming import scenarios, service, states
from regia.programming.models import Agreement, FundingSource, SavedScenario
from regia.programming.scenarios import NeedsProvider

FUNDS = ("Fondimpresa", "Fondo Terziario Lombardo (demo)")
YEARS = (2026, 2027, 2028)
ALL = ["occupati", "sospesi", "disoccupati", "inattivi"]
SOURCES = (  # code, name, kind, priority, targets, envelope per year, Fund
    ("regione", "Risorse regionali (demo)", "regional", "", ALL, 2_000_000, None),
    ("fse-p1", "FSE+ 2021-2027 · Priorità 1 Occupazione (demo)", "fse_plus", "Priorità 1", ["disoccupati", "inattivi"],
     3_000_000, None),
    ("gol", "GOL (demo)", "gol", "", ["disoccupati", "inattivi"], 1_500_000, None),
    ("fondimpresa-cs", "Fondimpresa · Conto di Sistema (demo)", "fund_system", "", ["occupati", "sospesi"], 1_200_000,
     FUNDS[0]),
    ("fondimpresa-cf", "Fondimpresa · Conto Formazione (demo)", "fund_training", "", ["occupati", "sospesi"], 800_000,
     FUNDS[0]),
    ("terziario-cf", "Fondo Terziario Lombardo · Conto Formazione (demo)", "fund_training", "", ["occupati"], 500_000,
     FUNDS[1]),
)
PLANS: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {
    FUNDS[0]: ([
        {"code": "L1", "title": "Manifattura digitale nelle PMI", "area": "digital", "target": "occupati",
         "territory": "ITC4D", "channel": "fund_notice", "cost": {"2026": "400000", "2027": "400000"},
         "participants": {"2026": 300, "2027": 300}, "indicators": [{"indicator": "Lavoratori formati", "unit": "n",
                                                                     "target": 600}]},
        {"code": "L2", "title": "Transizione verde della meccanica", "area": "green", "target": "occupati",
         "territory": "ITC46", "channel": "fund_notice", "cost": {"2026": "250000", "2027": "250000"},
         "participants": {"2026": 180, "2027": 180}, "indicators": []},
        {"code": "L3", "title": "Riqualificazione dei lavoratori sospesi", "area": "transversal", "target": "sospesi",
         "territory": "ITC4C", "channel": "catalogue_voucher", "cost": {"2026": "150000"},
         "participants": {"2026": 150}, "indicators": []}],
        [{"line": "L1", "source": "fondimpresa-cs", "year": 2026, "planned": "300000", "committed": "200000"},
         {"line": "L1", "source": "regione", "year": 2026, "planned": "100000", "committed": "100000"},
         {"line": "L1", "source": "fondimpresa-cs", "year": 2027, "planned": "400000", "committed": "0"},
         {"line": "L2", "source": "fondimpresa-cf", "year": 2026, "planned": "250000", "committed": "120000"},
         {"line": "L2", "source": "fondimpresa-cf", "year": 2027, "planned": "250000", "committed": "0"},
         {"line": "L3", "source": "regione", "year": 2026, "planned": "150000", "committed": "50000"}]),
    FUNDS[1]: ([
        {"code": "T1", "title": "Competenze digitali nel commercio", "area": "digital", "target": "occupati",
         "territory": "ITC4C", "channel": "fund_notice", "cost": {"2026": "200000", "2027": "200000"},
         "participants": {"2026": 160, "2027": 160}, "indicators": []},
        {"code": "T2", "title": "Disoccupati verso il terziario", "area": "sector", "target": "disoccupati",
         "territory": "ITC4B", "channel": "regional_call", "cost": {"2026": "300000"}, "participants": {"2026": 250},
         "indicators": []}],
        [{"line": "T1", "source": "terziario-cf", "year": 2026, "planned": "200000", "committed": "80000"},
         {"line": "T1", "source": "terziario-cf", "year": 2027, "planned": "200000", "committed": "0"},
         {"line": "T2", "source": "fse-p1", "year": 2026, "planned": "200000", "committed": "200000"},
         {"line": "T2", "source": "gol", "year": 2026, "planned": "100000", "committed": "0"}]),
}


def ensure_demo_programming(engine: Engine, *, needs: NeedsProvider) -> dict[str, Any]:
    actor = cli_principal("demo")
    with session_scope(engine) as session:
        funds = {o.name: o for o in session.scalars(select(Organisation).where(Organisation.name.in_(FUNDS)))}
        missing = [f for f in FUNDS if f not in funds]
        if missing:
            raise LookupError(f"demo Funds missing ({', '.join(missing)}): run `regia users demo` first")
        held = set(session.scalars(select(FundingSource.code)))
        for code, name, kind, priority, targets, amount, fund in SOURCES:
            if code not in held:
                service.create_source(session, actor=actor, code=code, name=name, kind=kind, priority=priority,
                                      targets=targets, organisation_id=funds[fund].id if fund else None,
                                      envelopes=dict.fromkeys(YEARS, amount))
        plan_ids = []
        for n, fund in enumerate(FUNDS, start=1):
            code = f"ACCORDO-{n}-2026"
            agreement = session.scalar(select(Agreement).where(Agreement.code == code))
            if agreement is None:
                agreement = service.create_agreement(
                    session, actor=actor, code=code, title=f"Accordo bilaterale Regione Lombardia – {fund} 2026-2028",
                    fund_id=funds[fund].id, starts_on=date(2026, 1, 1), ends_on=date(2028, 12, 31),
                    priorities={"areas": ["digital", "green"], "targets": ["occupati", "sospesi", "disoccupati"],
                                "territories": ["ITC4C", "ITC46", "ITC4D", "ITC4B"]},
                    commitments={"region": "Bandi regionali e voucher a catalogo complementari agli avvisi del Fondo.",
                                  "fund": "Avvisi del Conto di Sistema e Conto Formazione sulle priorità condivise."},
                    signatories=[{"name": "Assessore regionale (demo)", "role": "Assessore", "party": "region",
                                  "signed_on": "2026-01-20"},
                                 {"name": f"Presidente {fund}", "role": "Presidente", "party": "fund",
                                  "signed_on": "2026-01-20"}])
                plan = service.create_plan(session, actor=actor, agreement_id=agreement.id,
                                           title="Piano attuativo 2026-2028", first_year=2026, last_year=2028)
                lines, tranches = PLANS[fund]
                service.save_plan(session, actor=actor, plan_id=plan.id, version=None, lines=lines,
                                  tranches=tranches)
                states.move(session, actor=actor, agreement=agreement, target="signed")
                if n == 1:
                    states.move(session, actor=actor, agreement=agreement, target="in_force")
            plan_ids += [p.id for p in agreement.plans]
        made = 0
        if not needs(None):  # no postings ingested: the demo's needs are its plans' participants, one and a half times
            demand: dict[tuple[str, str], int] = {}
            for agreement in session.scalars(select(Agreement)):
                for plan in agreement.plans:
                    for line in plan.lines:
                        key = (line.territory, line.area)
                        demand[key] = demand.get(key, 0) + round(1.5 * sum(line.participants.values()))

            def needs(provinces: Any = None, demand: dict[tuple[str, str], int] = demand) -> dict[tuple[str, str], int]:
                return demand
        for name, integer in (("Piani 2026-2027 (dai dati di Regia)", False),
                              ("Piani 2026-2027, partecipanti interi", True)):
            if session.scalar(select(SavedScenario.id).where(SavedScenario.name == name)) is not None:
                continue
            try:
                scenario = scenarios.build(session, engine, principal=actor, name=name, years=[2026, 2027],
                                           needs=needs, plan_ids=plan_ids)
            except InvalidInput:  # no postings: no needs to programme
                break
            document = scenario.to_json()
            if integer:
                document["options"] = {"integer": True, "min_lot": 8}
            scenarios.save(session, actor=actor, document=document)
            made += 1
    return {"agreements": len(FUNDS), "plans": len(plan_ids), "scenarios_added": made}
