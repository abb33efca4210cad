"""Demo organisations, users and pact proposals, for `regia demo` and the browser tests.

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
)

# e-mail, name, organisation (None: a citizen), role
DEMO_USERS: tuple[tuple[str, str, str | None, Role | None], ...] = (
    ("admin@regione.demo", "Amministratrice Regione (demo)", "Regione Lombardia", Role.ADMIN),
    ("valutatore@regione.demo", "Valutatore Regione (demo)", "Regione Lombardia", Role.EVALUATOR),
    ("fondo@fondimpresa.demo", "Referente Fondimpresa (demo)", "Fondimpresa", Role.VIEWER),
    ("ente@formazione.demo", "Redattore ente accreditato (demo)", "Formazione Lombarda (demo)", Role.EDITOR),
    ("brianza@patto.demo", "Redattrice Patto Brianza (demo)", "Patto Brianza Manifattura 4.0 (demo)", Role.EDITOR),
    ("valtellina@patto.demo", "Redattore Patto Valtellina (demo)", "Patto Valtellina Turismo (demo)", Role.EDITOR),
    ("cittadino@demo.demo", "Cittadino (demo)", None, None),
)

DEMO_PROPOSALS: tuple[tuple[str, str, str, bool], ...] = (
    ("Patto Brianza Manifattura 4.0 (demo)", "Competenze digitali per la manifattura brianzola",
     "Formazione su automazione, manutenzione predittiva e dati per 300 addetti delle PMI.", False),
    ("Patto Valtellina Turismo (demo)", "Accoglienza e lingue per il turismo in Valtellina",
     "Percorsi per addetti all'accoglienza e guide, con certificazione delle competenze.", False),
    ("Patto Brianza Manifattura 4.0 (demo)", "Saldatura e meccatronica: manifestazione di interesse",
     "Prima manifestazione di interesse del partenariato, presentata alla Regione.", True),
)


@dataclass(frozen=True)
class DemoLogin:
    email: str
    organisation: str | None
    role: str | None


def seed_demo_accounts(engine: Engine, *, actor: Principal | None = None) -> list[DemoLogin]:
    """Create what is missing (idempotent); returns every demo login."""
    from regia.pacts import service as pacts
    from regia.pacts.models import Proposal

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
        if session.scalar(select(Proposal.id).limit(1)) is None:
            call_id = _demo_call(session, actor)
            for org_name, title, summary, submitted in DEMO_PROPOSALS:
                org = orgs[org_name]
                proposal = pacts.create(session, actor=actor, title=title, body={"summary": summary},
                                        organisation_id=org.id, call_id=call_id)
                if submitted:
                    _complete(session, actor, proposal, (org.name, org.tax_code or "", org.type.value), summary)
                    pacts.submit(session, actor=actor, id=proposal.id)
    return [DemoLogin(email, org, role.value if role else None) for email, _, org, role in DEMO_USERS]


# Partners named in the demo manifestations (fictitious codici fiscali with valid check digits)
DEMO_PARTNERS: tuple[tuple[str, str, str], ...] = (
    ("Camera di Commercio di Monza e Brianza (demo)", "09100000018", "cciaa"),
    ("ITS Academy Meccatronica (demo)", "09100000026", "education"),
    ("Associazione imprese manifatturiere (demo)", "09100000034", "employers_association"),
)
DEMO_LETTER = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _demo_call(session: Session, actor: Principal) -> int:
    """The demo's open call (manifestations until 60 days from today)."""
    from datetime import UTC, datetime, timedelta

    from regia.pacts import calls
    from regia.pacts.models import Call

    existing = session.scalar(select(Call.id).where(Call.code == "PATTI-DEMO"))
    if existing is not None:
        return existing
    now = datetime.now(UTC).replace(microsecond=0)
    return calls.create(
        session, actor=actor, code="PATTI-DEMO", title="Patti territoriali per le competenze e l'occupazione (demo)",
        description="Avviso dimostrativo: manifestazioni di interesse dei partenariati territoriali.",
        opens_at=now - timedelta(days=7), manifestation_deadline=now + timedelta(days=60),
        evaluation_deadline=now + timedelta(days=90), programme_deadline=now + timedelta(days=120),
        ends_on=(now + timedelta(days=900)).date(), territories=[], required_partner_types=["cciaa", "education"],
        min_partners=3, targets=["students", "unemployed", "suspended_workers"],
        grid=[{"code": "C1", "label": "Qualità e ampiezza del partenariato", "weight": 1, "max_score": 30,
               "threshold": 10},
              {"code": "C2", "label": "Coerenza con i fabbisogni del territorio", "weight": 1, "max_score": 40,
               "threshold": 15},
              {"code": "C3", "label": "Impatti attesi e sostenibilità", "weight": 1, "max_score": 30,
               "threshold": 10}],
        min_total=60, budget={"regional": "2000000", "fse_plus": "3000000", "fund": "1000000"},
        max_grant="500000", min_cofinancing_share="0.1").id


def _complete(session: Session, actor: Principal, proposal: object, lead: tuple[str, str, str],
              summary: str) -> None:
    """Letters of commitment and a complete manifestation for a demo proposal that is submitted."""
    from regia.pacts import documents
    from regia.pacts import service as pacts
    from regia.pacts.manifestation import sample

    proposal_id = proposal.id  # type: ignore[attr-defined]
    letters = {code: documents.upload(session, actor=actor, proposal_id=proposal_id, filename=f"lettera-{code}.pdf",
                                      data=DEMO_LETTER, partner_tax_code=code).id
               for _, code, _ in (lead, *DEMO_PARTNERS)}
    body = {**sample(lead=lead, partners=DEMO_PARTNERS, letters=letters, nuts3="ITC4D"), "summary": summary}
    pacts.update(session, actor=actor, id=proposal_id, title=proposal.title, body=body,  # type: ignore[attr-defined]
                 version=proposal.version)  # type: ignore[attr-defined]


def print_demo_logins(logins: list[DemoLogin], write: object = print) -> None:
    lines = ["Demo accounts (DEMO ONLY — shared password: " + DEMO_PASSWORD + "):"]
    for login in logins:
        who = f"{login.role} @ {login.organisation}" if login.organisation else "citizen"
        lines.append(f"  {login.email:<28} {who}")
    for line in lines:
        write(line)  # type: ignore[operator]


def demo_session_users(session: Session) -> dict[str, int]:
    return {email: user.id for email, *_ in DEMO_USERS if (user := service.find_user(session, email))}
