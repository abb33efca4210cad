"""Demo organisations and users, for `regia demo` and the browser tests (the demo pacts: regia.pacts.demo_data).

DEMO ONLY: every demo account has the same, published password. Never seed these on a real platform.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from regia.auth import service
from regia.auth.models import Organisation, OrgType, Role
from regia.auth.principal import Principal, cli_principal
from regia.db import session_scope

DEMO_PASSWORD = "regia-demo-2026"  # DEMO ONLY

# name, type, codice fiscale, partita IVA (real public identifiers for the public bodies; fictitious, valid
# check digits for the demo provider and partnerships)
DEMO_ORGANISATIONS: tuple[tuple[str, OrgType, str | None, str | None], ...] = (
    ("Regione Lombardia", OrgType.REGION, "80050050154", "12874720159"),
    ("Fondimpresa", OrgType.FUND, "97278470584", None),
    ("Formazione Lombarda (demo)", OrgType.PROVIDER, None, "09000000019"),
    ("Patto Brianza Manifattura 4.0 (demo)", OrgType.PARTNERSHIP, "09000000027", None),
    ("Patto Valtellina Turismo (demo)", OrgType.PARTNERSHIP, "09000000035", None),
    ("Patto Bergamo Meccatronica (demo)", OrgType.PARTNERSHIP, "09000000043", None),
    ("Patto Mantova Agroalimentare (demo)", OrgType.PARTNERSHIP, "09000000050", None),
    ("Patto Milano Digitale (demo)", OrgType.PARTNERSHIP, "09000000068", None),
    ("Fondo Terziario Lombardo (demo)", OrgType.FUND, "09000000126", None),
    ("Officine Meccaniche Brianza (demo)", OrgType.FIRM, None, "09000000134"),
    ("CFP Monza e Brianza (demo)", OrgType.PROVIDER, None, "09000000142"),
)

# e-mail, name, organisation (None: a citizen), role
DEMO_USERS: tuple[tuple[str, str, str | None, Role | None], ...] = (
    ("admin@regione.demo", "Amministratrice Regione (demo)", "Regione Lombardia", Role.ADMIN),
    ("valutatore@regione.demo", "Valutatore Regione (demo)", "Regione Lombardia", Role.EVALUATOR),
    ("valutatrice@regione.demo", "Valutatrice Regione (demo)", "Regione Lombardia", Role.EVALUATOR),
    ("analista@regione.demo", "Analista Regione (demo)", "Regione Lombardia", Role.VIEWER),
    ("fondo@fondimpresa.demo", "Referente Fondimpresa (demo)", "Fondimpresa", Role.EDITOR),
    ("fondo@terziario.demo", "Referente Fondo Terziario (demo)", "Fondo Terziario Lombardo (demo)", Role.EDITOR),
    ("ente@formazione.demo", "Redattore ente accreditato (demo)", "Formazione Lombarda (demo)", Role.EDITOR),
    ("valutatore@formazione.demo", "Valutatrice IVC (demo)", "Formazione Lombarda (demo)", Role.ASSESSOR),
    ("cfp@cfp.demo", "Tutor CFP Monza e Brianza (demo)", "CFP Monza e Brianza (demo)", Role.EDITOR),
    ("esperto@cfp.demo", "Esperto di settore IVC (demo)", "CFP Monza e Brianza (demo)", Role.ASSESSOR),
    ("impresa@officine.demo", "Referente Officine Meccaniche Brianza (demo)", "Officine Meccaniche Brianza (demo)",
     Role.EDITOR),
    ("brianza@patto.demo", "Redattrice Patto Brianza (demo)", "Patto Brianza Manifattura 4.0 (demo)", Role.EDITOR),
    ("valtellina@patto.demo", "Redattore Patto Valtellina (demo)", "Patto Valtellina Turismo (demo)", Role.EDITOR),
    ("bergamo@patto.demo", "Redattrice Patto Bergamo (demo)", "Patto Bergamo Meccatronica (demo)", Role.EDITOR),
    ("mantova@patto.demo", "Redattore Patto Mantova (demo)", "Patto Mantova Agroalimentare (demo)", Role.EDITOR),
    ("milano@patto.demo", "Redattrice Patto Milano (demo)", "Patto Milano Digitale (demo)", Role.EDITOR),
    ("cittadino@demo.demo", "Cittadino (demo)", None, None),
)

@dataclass(frozen=True)
class DemoLogin:
    email: str
    organisation: str | None
    role: str | None


def seed_demo_accounts(engine: Engine, *, actor: Principal | None = None) -> list[DemoLogin]:
    """Create what is missing (idempotent); returns every demo login."""
    actor = actor or cli_principal("demo")
    with session_scope(engine) as session:
        orgs: dict[str, Organisation] = {}
        for name, org_type, tax_code, vat in DEMO_ORGANISATIONS:
            org = session.scalar(select(Organisation).where(Organisation.name == name))
            if org is None:
                org = service.create_organisation(session, actor=actor, name=name, type=org_type,
                                                  tax_code=tax_code, vat_number=vat)
            orgs[name] = org
        for email, display, org_name, role in DEMO_USERS:
            if service.find_user(session, email) is None:
                memberships = [(orgs[org_name].id, role)] if org_name and role else []
                service.create_user(session, actor=actor, email=email, display_name=display, password=DEMO_PASSWORD,
                                    memberships=memberships)
    return [DemoLogin(email, org, role.value if role else None) for email, _, org, role in DEMO_USERS]


def print_demo_logins(logins: list[DemoLogin], write: object = print) -> None:
    lines = ["Demo accounts (DEMO ONLY — shared password: " + DEMO_PASSWORD + "):"]
    for login in logins:
        who = f"{login.role} @ {login.organisation}" if login.organisation else "citizen"
        lines.append(f"  {login.email:<28} {who}")
    for line in lines:
        write(line)  # type: ignore[operator]


def demo_session_users(session: Session) -> dict[str, int]:
    return {email: user.id for email, *_ in DEMO_USERS if (user := service.find_user(session, email))}
