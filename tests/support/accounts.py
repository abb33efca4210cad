"""A seeded world for access tests: organisations of each kind, one user per role to test, an API token per
user, pact proposals of two partnerships (drafts and a submitted one)."""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from regia.auth import service, sessions
from regia.auth.models import Membership, OrgType, Role
from regia.auth.principal import cli_principal
from regia.auth.settings import AuthSettings
from regia.db import make_engine, migrate, session_scope
from regia.pacts import calls as pact_calls
from regia.pacts import documents as pact_documents
from regia.pacts import service as pacts
from regia.pacts.manifestation import sample as sample_manifestation

PASSWORD = "test-password-1234"

# role key -> (organisation key, role); None: a citizen (no organisation)
ROLES: dict[str, tuple[str, Role] | None] = {
    "citizen": None,
    "provider_editor": ("provider", Role.EDITOR),
    "fund_viewer": ("fund", Role.VIEWER),
    "fund_editor": ("fund", Role.EDITOR),
    "partnership_editor": ("partnership_a", Role.EDITOR),
    "other_partnership_editor": ("partnership_b", Role.EDITOR),
    "partnership_admin": ("partnership_a", Role.ADMIN),
    "evaluator": ("region", Role.EVALUATOR),
    "region_admin": ("region", Role.ADMIN),
    # wave 2: a Region analyst, a second Fund, a firm, a second provider, an IVC assessor of the provider
    "region_viewer": ("region", Role.VIEWER),
    "fund_b_editor": ("fund_b", Role.EDITOR),
    "firm_editor": ("firm", Role.EDITOR),
    "other_provider_editor": ("provider_b", Role.EDITOR),
    "assessor": ("provider", Role.ASSESSOR),
}
ALL_ROLES = ("anonymous", *ROLES)

ORGS: dict[str, tuple[str, OrgType, str | None, str | None]] = {
    "region": ("Regione Lombardia", OrgType.REGION, "80050050154", None),
    "fund": ("Fondimpresa", OrgType.FUND, "97278470584", None),
    "provider": ("Ente di formazione di prova", OrgType.PROVIDER, None, "09000000019"),
    "partnership_a": ("Patto A", OrgType.PARTNERSHIP, "09000000027", None),
    "partnership_b": ("Patto B", OrgType.PARTNERSHIP, "09000000035", None),
    "fund_b": ("Fondo di prova B", OrgType.FUND, "09000000092", None),
    "firm": ("Officine di prova S.r.l.", OrgType.FIRM, None, "09000000076"),
    "provider_b": ("Secondo ente di prova", OrgType.PROVIDER, None, "09000000084"),
}


def make_settings(**overrides: object) -> AuthSettings:
    values: dict[str, object] = {"secret_key": SecretStr("test-signing-key-" + "x" * 32),
                                 "pseudonym_key": SecretStr("test-pseudonym-key-" + "y" * 32),
                                 "login_max_failures": 5, "login_window_seconds": 900}
    values.update(overrides)
    return AuthSettings(**values)  # type: ignore[arg-type]


@dataclass
class World:
    engine: Engine
    settings: AuthSettings
    orgs: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    token_ids: dict[str, int] = field(default_factory=dict)
    memberships: dict[str, int] = field(default_factory=dict)
    proposals: dict[str, int] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)
    courses: dict[str, int] = field(default_factory=dict)
    extra: dict[str, int] = field(default_factory=dict)  # rows seeded by route_tables modules

    def bearer(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"} if role in self.tokens else {}

    def session_cookie(self, role: str) -> tuple[str, str] | None:
        """A page session for ``role``: (cookie value, CSRF token); None for anonymous."""
        if role not in self.users:
            return None
        value, data = sessions.make_session(self.users[role], 0, self.settings)
        return value, data.csrf


def build_world(engine: Engine, settings: AuthSettings | None = None) -> World:
    world = World(engine=engine, settings=settings or make_settings())
    actor = cli_principal("test")
    with session_scope(engine) as session:
        for key, (name, org_type, tax_code, vat) in ORGS.items():
            world.orgs[key] = service.create_organisation(session, actor=actor, name=name, type=org_type,
                                                          tax_code=tax_code, vat_number=vat).id
        for role, grant in ROLES.items():
            email = f"{role.replace('_', '.')}@example.org"
            memberships = [(world.orgs[grant[0]], grant[1])] if grant else []
            user = service.create_user(session, actor=actor, email=email, display_name=role, password=PASSWORD,
                                       memberships=memberships)
            world.users[role], world.emails[role] = user.id, email
            if user.memberships:
                world.memberships[role] = user.memberships[0].id
            token_row, raw = service.issue_token(session, user=user, name="tests", days=1, actor=actor)
            world.tokens[role], world.token_ids[role] = raw, token_row.id
        a, b = world.orgs["partnership_a"], world.orgs["partnership_b"]
        call = pact_calls.create(session, actor=actor, **call_values())
        world.calls["open"] = call.id
        world.proposals["draft_a"] = pacts.create(session, actor=actor, title="Bozza del Patto A",
                                                  body={"summary": "A"}, organisation_id=a, call_id=call.id).id
        world.proposals["draft_b"] = pacts.create(session, actor=actor, title="Bozza del Patto B",
                                                  body={"summary": "B"}, organisation_id=b, call_id=call.id).id
        submitted = pacts.create(session, actor=actor, title="Proposta presentata del Patto A",
                                 body={"summary": "S"}, organisation_id=a, call_id=call.id)
        complete_manifestation(session, proposal_id=submitted.id, lead=("Patto A", ORGS["partnership_a"][2] or "",
                                                                        "partnership"))
        world.proposals["submitted_a"] = pacts.submit(session, actor=actor, id=submitted.id).id
        assert session.get(Membership, world.memberships["partnership_editor"]) is not None
    return world


# Partners of the test manifestations: (name, codice fiscale, organisation type)
PARTNERS: tuple[tuple[str, str, str], ...] = (
    ("Camera di Commercio di Bergamo", "09100000018", "cciaa"),
    ("Istituto Tecnico Superiore Meccatronico", "09100000026", "education"),
    ("Confindustria di prova", "09100000034", "employers_association"),
)
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def call_values(*, now: datetime | None = None, code: str = "PATTI-2027", **overrides: object) -> dict[str, object]:
    """An open call: manifestations until 30 days from ``now``; three partners with a CCIAA and a school."""
    now = now or datetime.now(UTC)
    values: dict[str, object] = {
        "code": code, "title": "Patti territoriali per le competenze e l'occupazione 2027",
        "description": "Avviso di prova", "opens_at": now - timedelta(days=10),
        "manifestation_deadline": now + timedelta(days=30), "evaluation_deadline": now + timedelta(days=60),
        "programme_deadline": now + timedelta(days=90), "ends_on": (now + timedelta(days=800)).date(),
        "territories": ["ITC46", "ITC47", "ITC4C"], "required_partner_types": ["cciaa", "education"],
        "min_partners": 3, "targets": ["students", "unemployed", "suspended_workers"],
        "grid": [{"code": "C1", "label": "Qualità del partenariato", "weight": 1, "max_score": 30, "threshold": 10},
                 {"code": "C2", "label": "Coerenza con i fabbisogni", "weight": 2, "max_score": 35, "threshold": 12}],
        "min_total": 50, "aggregation": "average", "max_spread": 5, "min_evaluators": 2,
        "budget": {"regional": "1000000", "fse_plus": "2000000", "fund": "500000"},
        "max_grant": Decimal("400000"), "min_cofinancing_share": Decimal("0.1"),
    }
    values.update(overrides)
    assert isinstance(values["ends_on"], date)
    return values


def complete_manifestation(session: Any, *, proposal_id: int, lead: tuple[str, str, str],
                           partners: tuple[tuple[str, str, str], ...] = PARTNERS, nuts3: str = "ITC46",
                           actor: Any = None) -> dict[str, Any]:
    """Upload a letter for each partner and write a complete manifestation into the draft (version bumps)."""
    actor = actor or cli_principal("test")
    letters = {}
    for _, code, _ in (lead, *partners):
        letters[code] = pact_documents.upload(session, actor=actor, proposal_id=proposal_id,
                                              filename=f"lettera-{code}.pdf", data=PDF,
                                              partner_tax_code=code).id
    body = sample_manifestation(lead=lead, partners=partners, letters=letters, nuts3=nuts3)
    proposal = pacts.get(session, principal=actor, id=proposal_id)
    pacts.update(session, actor=actor, id=proposal_id, title=proposal.title, body=body, version=proposal.version)
    return body


def publish_course(engine: Engine, *, vat: str) -> int:
    """One online course of the provider with this VAT number, in the shared catalogue."""
    from regia.catalog import service as catalog

    row = {"provider_name": ORGS["provider"][0], "provider_vat": vat, "course_code": "PROVA-1",
           "title": "Corso di prova online", "description": "Un corso per i test", "hours": "40",
           "modality": "online", "comune": "", "start_date": "2027-01-11", "end_date": "2027-02-12", "seats": "15",
           "cost_eur": "0", "funding": "fse", "targets": "occupati", "eqf_level": "4", "certification": ""}
    report = catalog.publish(engine, [row], source="test", tagger=None, principal=cli_principal("test"))
    assert report.course_ids, [str(r) for r in report.rejections]
    return report.course_ids[0]


class WorldTemplates:
    """Builds the world once per engine, then hands out copies: a SQLite file copy, or a PostgreSQL database
    made from the first one as a template. Copies are registered with the test ``databases`` for cleanup."""

    def __init__(self, databases: Any) -> None:
        self.databases = databases
        self.templates: dict[str, tuple[str, World]] = {}

    def new(self, kind: str) -> World:
        if kind not in self.templates:
            engine = self.databases.new(kind)
            migrate(engine)
            world = build_world(engine)
            if kind == "sqlite":
                with engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            engine.dispose()
            self.templates[kind] = (engine.url.render_as_string(hide_password=False), world)
        url, world = self.templates[kind]
        name = f"regia_test_{uuid.uuid4().hex[:10]}"
        if kind == "sqlite":
            target = Path(self.databases.tmp) / f"{name}.db"
            shutil.copyfile(url.removeprefix("sqlite:///"), target)
            engine = make_engine(f"sqlite:///{target}")
        else:
            admin = os.environ["REGIA_TEST_POSTGRES_URL"]
            template = url.rsplit("/", 1)[1]
            with create_engine(admin, isolation_level="AUTOCOMMIT", poolclass=NullPool).connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
            self.databases.created.append((admin, name))
            engine = make_engine(admin.rsplit("/", 1)[0] + f"/{name}")
        self.databases.engines.append(engine)
        return replace(world, engine=engine)

    def drop(self, world: World) -> None:
        """Drop a copy once its test is over."""
        self.databases.drop(world.engine)
