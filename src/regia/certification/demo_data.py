"""`regia demo-data certification` (also part of `regia demo`): the DEMO standards, the Region and the Funds as
*enti titolari* (Fondimpresa delegated for logistics and care; the Fondo Terziario's delegation for the digital
office expired last year), the demo providers accredited, the assessors registered, requests in every phase,
certificates with their credentials and one revoked credential. DEMO ONLY: invented people and acts.

:func:`walk` takes a request along the procedure with each party's own principal; the tests use it too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from stdnum.it import codicefiscale

from regia.auth import service as accounts
from regia.auth.demo import seed_demo_accounts
from regia.auth.models import Organisation, User
from regia.auth.principal import Principal, cli_principal, principal_for
from regia.certification import credentials, delegations, ingest, procedure
from regia.certification.models import CERTIFIED, Credential, Delegation, Request
from regia.clock import rome_today
from regia.db import session_scope

STEPS = ("identification", "validation", "validated", "certification", "assessed", CERTIFIED)
DEMO_NOTE = "DEMO"


@dataclass(frozen=True)
class Parties:
    provider: Principal
    assessor: Principal  # validation and the commission's evaluation expert
    president: Principal
    sector_expert: Principal
    titolare: Principal


def walk(session: Session, *, request_id: int, target: str, parties: Parties, certify: bool = True,
         experience: tuple[str, str] = ("Magazziniere", "Logistica Srl"), claims: int = 2,
         course_id: int | None = None) -> Request:
    """Take the request from where it is up to ``target`` on the happy path (the dossier filled by the provider,
    every claim validated, the commission's outcome ``certify``). With ``course_id`` the competences were learned
    in that catalogue course (formal learning), otherwise at work (informal)."""
    request = procedure.get(session, principal=parties.provider, id=request_id)
    done = STEPS.index(request.status) + 1 if request.status in STEPS else 0
    for step in STEPS[done:STEPS.index(target) + 1]:
        if step == "identification":
            procedure.advance(session, actor=parties.provider, request_id=request_id, target=step)
            procedure.add_experience(session, actor=parties.provider, request_id=request_id, kind="work",
                                     title=experience[0], organisation=experience[1], started_on=date(2019, 1, 1),
                                     ended_on=date(2024, 6, 30))
            for competence in request.profile.competences[:claims]:
                if course_id is None:
                    procedure.claim(session, actor=parties.provider, request_id=request_id,
                                    competence_code=competence.code, learning="informal",
                                    context=f"Esperienza di lavoro: {experience[0]}")
                else:
                    procedure.claim(session, actor=parties.provider, request_id=request_id,
                                    competence_code=competence.code, learning="formal", course_id=course_id)
        elif step == "validation":
            procedure.advance(session, actor=parties.provider, request_id=request_id, target=step)
            seat = procedure.assign(session, actor=parties.provider, request_id=request_id,
                                    user_id=parties.assessor.user_id or 0, role="validation")
            procedure.declare(session, actor=parties.assessor, assignment_id=seat.id, conflict=False)
        elif step == "validated":
            for row in request.claims:
                procedure.evaluate(session, actor=parties.assessor, request_id=request_id, claim_id=row.id,
                                   validated=True, reason="Evidenze coerenti con la competenza")
            procedure.advance(session, actor=parties.assessor, request_id=request_id, target=step)
        elif step == "certification":
            for role, member in (("evaluation_expert", parties.assessor), ("president", parties.president),
                                 ("sector_expert", parties.sector_expert)):
                seat = procedure.assign(session, actor=parties.provider, request_id=request_id,
                                        user_id=member.user_id or 0, role=role)
                procedure.declare(session, actor=member, assignment_id=seat.id, conflict=False)
            procedure.advance(session, actor=parties.provider, request_id=request_id, target=step)
        elif step == "assessed":
            outcomes = {row.id: (certify, "Prova pratica superata" if certify else "Prova pratica non superata")
                        for row in request.claims if row.validated}
            procedure.record_outcome(session, actor=parties.assessor, request_id=request_id,
                                     method="practical_trial", assessed_on=rome_today(), outcomes=outcomes)
        else:
            procedure.advance(session, actor=parties.titolare, request_id=request_id, target=step)
    return request


def _person(given: str, family: str, born: date, comune: str, female: bool = False) -> procedure.Person:
    """An invented person with a codice fiscale of valid form (DEMO)."""
    consonants = lambda s: [c for c in s.upper() if c.isalpha() and c not in "AEIOU"]  # noqa: E731
    vowels = lambda s: [c for c in s.upper() if c in "AEIOU"]  # noqa: E731
    fam = (consonants(family) + vowels(family) + ["X"] * 3)[:3]
    cons = consonants(given)
    giv = ([cons[0], cons[2], cons[3]] if len(cons) > 3 else (cons + vowels(given) + ["X"] * 3)[:3])
    month = "ABCDEHLMPRST"[born.month - 1]
    day = born.day + (40 if female else 0)
    body = "".join(fam + giv) + f"{born.year % 100:02d}{month}{day:02d}{comune}"
    return procedure.Person(given, family, body + codicefiscale.calc_check_digit(body), born, "Milano")


PEOPLE = (
    ("Luca", "Bianchi", date(1990, 3, 14), "F205", False, "requested"),
    ("Giulia", "Ferrari", date(1988, 7, 2), "F205", True, "identification"),
    ("Marco", "Colombo", date(1979, 11, 23), "A794", False, "validation"),
    ("Sara", "Ricci", date(1993, 1, 30), "B157", True, "validated"),
    ("Paolo", "Marino", date(1985, 5, 9), "F205", False, "certification"),
    ("Elena", "Greco", date(1991, 9, 17), "D969", True, "assessed"),
    ("Andrea", "Bruno", date(1982, 4, 4), "F205", False, CERTIFIED),
    ("Chiara", "Gallo", date(1995, 12, 1), "F205", True, "withdrawn"),
    ("Davide", "Costa", date(1989, 8, 11), "F205", False, "refused"),
    ("Marta", "Fontana", date(1992, 10, 5), "F205", True, "closed"),
)


def _user(session: Session, email: str) -> Principal:
    user = accounts.find_user(session, email)
    assert user is not None, email
    return principal_for(user, via="token")


def _org(session: Session, name: str) -> Organisation:
    organisation = session.scalar(select(Organisation).where(Organisation.name == name))
    assert organisation is not None, name
    return organisation


def ensure_demo_certification(engine: Engine) -> dict[str, Any]:
    """Seed what is missing (idempotent: nothing happens when the demo requests exist)."""
    system = cli_principal("demo")
    seed_demo_accounts(engine, actor=system)
    ingest.import_demo(engine, actor=system)
    with session_scope(engine) as session:
        if session.scalar(select(Request.id).where(Request.note == DEMO_NOTE).limit(1)) is not None:
            return summary(session)
        region = _org(session, "Regione Lombardia")
        fondimpresa = _org(session, "Fondimpresa")
        terziario = _org(session, "Fondo Terziario Lombardo (demo)")
        provider = _org(session, "Formazione Lombarda (demo)")
        cfp = _org(session, "CFP Monza e Brianza (demo)")
        for organisation, reference in (
                (region, "Ente pubblico titolare (D.Lgs. 13/2013, art. 2) – l.r. 30/2015 (DEMO)"),
                (provider, "Albo regionale degli operatori accreditati per i servizi di istruzione e formazione, "
                           "sez. A, n. 1234 (DEMO)"),
                (cfp, "Albo regionale degli operatori accreditati, sez. A, n. 5678 (DEMO)")):
            procedure.record_accreditation(session, actor=system, organisation_id=organisation.id,
                                           reference=reference)
        today = rome_today()
        delegations.grant(session, actor=system, organisation_id=fondimpresa.id, valid_from=today - timedelta(days=90),
                          valid_to=today + timedelta(days=640), profiles=["DEMO-LOG-001"], sectors=["SOC"],
                          legal_reference="Decreto regionale di delega n. 101/2026 – DM 115/2024 art. 4 (DEMO)")
        delegations.grant(session, actor=system, organisation_id=terziario.id, valid_from=today - timedelta(days=730),
                          valid_to=today - timedelta(days=366), profiles=["DEMO-DIG-001"], sectors=[],
                          legal_reference="Decreto regionale di delega n. 55/2024 (DEMO, scaduta)")
        assessor, expert = _user(session, "valutatore@formazione.demo"), _user(session, "esperto@cfp.demo")
        procedure.register_assessor(session, actor=system, user_id=assessor.user_id or 0,
                                    qualifications="Esperta di valutazione delle competenze, albo regionale (DEMO)",
                                    register_number="EVC-0001", sectors=["LOG", "MEC", "SOC", "DIG"])
        procedure.register_assessor(session, actor=system, user_id=expert.user_id or 0,
                                    qualifications="Esperto di settore: logistica e meccanica (DEMO)",
                                    register_number="ESE-0002", sectors=["LOG", "MEC"])
        editor = _user(session, "ente@formazione.demo")
        region_admin = _user(session, "admin@regione.demo")
        fund_editor = _user(session, "fondo@fondimpresa.demo")
        citizen = _user(session, "cittadino@demo.demo")
        region_parties = Parties(editor, assessor, region_admin, expert, region_admin)
        fund_parties = Parties(editor, assessor, fund_editor, expert, fund_editor)
        standards_cycle = ("DEMO-LOG-001", "DEMO-MEC-001", "DEMO-SOC-001", "DEMO-DIG-001")
        for i, (given, family, born, comune, female, target) in enumerate(PEOPLE):
            person = _person(given, family, born, comune, female)
            request = procedure.create(session, actor=editor, profile_code=standards_cycle[i % 4],
                                       provider_org_id=provider.id, person=person, note=DEMO_NOTE)
            if target == "withdrawn":
                walk(session, request_id=request.id, target="identification", parties=region_parties)
                procedure.advance(session, actor=system, request_id=request.id, target="withdrawn",
                                  note="La persona ha rinunciato (DEMO)")
            elif target == "refused":
                procedure.advance(session, actor=editor, request_id=request.id, target="refused",
                                  note="Il profilo richiesto non corrisponde alle esperienze dichiarate (DEMO)")
            elif target == "closed":
                walk(session, request_id=request.id, target="validated", parties=region_parties)
                procedure.advance(session, actor=editor, request_id=request.id, target="closed",
                                  note="Chiusa con il documento di validazione (DEMO)")
            elif target != "requested":
                walk(session, request_id=request.id, target=target, parties=region_parties)
        # the demo citizen's own request (certified, by the Region) and a Fund's certificate (one revoked)
        own = procedure.create(session, actor=citizen, profile_code="DEMO-LOG-001", provider_org_id=provider.id,
                               person=_person("Cittadino", "Demo", date(1987, 6, 15), "F205"), note=DEMO_NOTE)
        walk(session, request_id=own.id, target=CERTIFIED, parties=region_parties)
        funded = procedure.create(session, actor=fund_editor, profile_code="DEMO-SOC-001",
                                  provider_org_id=provider.id, person=_person("Anna", "Conti", date(1975, 2, 20),
                                                                               "F205", True), note=DEMO_NOTE)
        walk(session, request_id=funded.id, target=CERTIFIED, parties=fund_parties,
             experience=("Assistente familiare", "Famiglia privata"))
        revoked = session.scalars(select(Credential).where(Credential.request_id == funded.id)).first()
        assert revoked is not None
        credentials.revoke(session, actor=fund_editor, id=revoked.id,
                           reason="Rilasciata per errore: competenza non oggetto di prova (DEMO)")
        return summary(session)


def summary(session: Session) -> dict[str, Any]:
    rows = session.scalars(select(Request)).all()
    creds = session.scalars(select(Credential)).all()
    return {"requests": len(rows), "by_status": {s: sum(r.status == s for r in rows) for s in {r.status for r in rows}},
            "credentials": len(creds), "revoked": sum(c.revoked_at is not None for c in creds),
            "delegations": len(session.scalars(select(Delegation)).all())}


def demo_user_id(session: Session, email: str) -> int:
    user = session.scalar(select(User).where(User.email == email))
    assert user is not None
    return user.id
