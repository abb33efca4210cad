"""Helpers of the certification tests: a key folder per test session, the demo standards, a Fund's
delegation, accreditations and a request taken through the IVC phases by its real parties."""

from __future__ import annotations

import shutil
import uuid
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from regia.auth import service as accounts
from regia.auth.models import Role, User
from regia.auth.principal import cli_principal, principal_for
from regia.certification import delegations, demo_data, ingest, procedure
from regia.clock import rome_today
from regia.db import make_engine, session_scope
from support.accounts import PASSWORD, WorldTemplates

SYSTEM = cli_principal("test")
PERSON = procedure.Person("Mario", "Rossi", "RSSMRA85T10A562S", date(1985, 12, 10), "Milano")
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


_TEMPLATES: dict[int, tuple[Path, Any]] = {}  # one seeded world per test session (per ``databases``)


class IvcWorlds:
    """The test world with :func:`seed_ivc` applied, built once per test session, then copied for each test
    (SQLite)."""

    def __init__(self, databases: Any) -> None:
        self.databases = databases

    @property
    def template(self) -> tuple[Path, Any] | None:
        return _TEMPLATES.get(id(self.databases))

    @template.setter
    def template(self, value: tuple[Path, Any]) -> None:
        _TEMPLATES[id(self.databases)] = value

    def new(self) -> Any:
        if self.template is None:
            world = WorldTemplates(self.databases).new("sqlite")
            seed_ivc(world.engine, world)
            with world.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            world.engine.dispose()
            self.template = (Path(world.engine.url.database or ""), world)
        assert self.template is not None
        path, world = self.template
        copy = Path(self.databases.tmp) / f"ivc_{uuid.uuid4().hex[:10]}.db"
        shutil.copyfile(path, copy)
        engine = make_engine(f"sqlite:///{copy}")
        self.databases.engines.append(engine)
        return replace(world, engine=engine, extra=dict(world.extra))


def principal(session: Any, world: Any, role: str) -> Any:
    user = session.get(User, world.users[role])
    return principal_for(user, via="token")


def seed_ivc(engine: Engine, world: Any) -> None:
    """Demo standards; the provider accredited; the Fund delegated for logistics (DEMO-LOG-001) this year;
    the assessor's qualifications."""
    ingest.import_demo(engine, actor=SYSTEM)
    with session_scope(engine) as session:
        procedure.record_accreditation(session, actor=SYSTEM, organisation_id=world.orgs["provider"],
                                       reference="Albo regionale degli operatori accreditati, sez. A, n. 999 (prova)")
        procedure.record_accreditation(session, actor=SYSTEM, organisation_id=world.orgs["provider_b"],
                                       reference="Albo regionale, sez. A, n. 1000 (prova)")
        today = rome_today()
        world.extra["delegation"] = delegations.grant(
            session, actor=SYSTEM, organisation_id=world.orgs["fund"], valid_from=today - timedelta(days=30),
            valid_to=today + timedelta(days=335), profiles=["DEMO-LOG-001"], sectors=[],
            legal_reference="Decreto di delega n. 1/2026 (prova)").id
        expert = accounts.create_user(session, actor=SYSTEM, email="esperto.settore@example.org",
                                      display_name="Esperta di settore", password=PASSWORD,
                                      memberships=[(world.orgs["provider_b"], Role.ASSESSOR)])
        world.extra["sector_expert"] = expert.id
        procedure.register_assessor(session, actor=SYSTEM, user_id=world.users["assessor"],
                                    qualifications="Esperto di valutazione delle competenze (prova)",
                                    register_number="VAL-001", sectors=["LOG", "MEC"])


def take_to(session: Any, world: Any, request_id: int, target: str, *, certify: bool = True,
            course_id: int | None = None) -> None:
    """Move a request along the happy path up to ``target`` with the parties' own principals (the provider's
    editor, the assessor, the ente titolare's editor as president, a second assessor as sector expert)."""
    request = procedure.get(session, principal=SYSTEM, id=request_id)
    titolare = principal(session, world, "fund_editor" if request.channel == "fund" else "region_admin")
    expert = principal_for(session.get(User, world.extra["sector_expert"]), via="token")
    parties = demo_data.Parties(provider=principal(session, world, "provider_editor"),
                                assessor=principal(session, world, "assessor"), president=titolare,
                                sector_expert=expert, titolare=titolare)
    demo_data.walk(session, request_id=request_id, target=target, parties=parties, certify=certify,
                   course_id=course_id)
