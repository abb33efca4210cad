"""Demo pacts (DEMO ONLY): two calls and the proposals of five partnerships in the states a platform holds.

- ``PATTI-2026``, the past call (manifestations until 28 February 2026): one proposal inadmissible, four evaluated
  by two evaluators; the ranking is published under the envelope — three selected, one not. Of the selected,
  one runs its programme with progress reports (one action late, so the Cabina di regia shows alerts), one has
  its programme approved, one has presented its programme and waits for the Region.
- ``PATTI-2027``, the open call (until 28 February 2027): one submitted manifestation with its evidence
  snapshot, already admitted and assigned to the two demo evaluators (who have it to declare and score), a
  complete draft not yet presented, two drafts just started.

The calls' times are Rome wall-clock (the deadline is 28 February at 23:59 in Lombardy, stored as the UTC instant).
Proposals ask the regional source, FSE+ and, for the agri-food pact, a Fund's resources; the regional envelope
is what the last one does not fit in. Letters of commitment are real one-page PDFs naming the partner and the pact.

Everything goes through the services (validation, state machine, audit), with the dates of a past call passed
as ``now``. Seeding is idempotent: nothing is added when the call codes exist. The evidence snapshot comes from
``evidence_provider`` (the caller passes the analytics one; pacts does not import analytics).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from fpdf import FPDF
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from regia.auth.models import Organisation, OrgType, User
from regia.auth.principal import Principal, cli_principal, principal_for
from regia.clock import ROME
from regia.db import session_scope
from regia.pacts import calls, documents, evaluation, monitoring, programme
from regia.pacts import service as proposals
from regia.pacts.evidence import EvidenceProvider
from regia.pacts.manifestation import sample
from regia.pacts.models import Call, Proposal

GRID = [
    {"code": "C1", "label": "Qualità e ampiezza del partenariato", "weight": 1, "max_score": 30, "threshold": 12},
    {"code": "C2", "label": "Coerenza con i fabbisogni del territorio", "weight": 1, "max_score": 40,
     "threshold": 16},
    {"code": "C3", "label": "Impatti attesi e sostenibilità", "weight": 1, "max_score": 30, "threshold": 12},
]
S = "http://data.europa.eu/esco/skill/"
SKILLS = {  # real ESCO skills the demo actions target, by territory
    "ITC4D": [S + "2ee57de4-bffd-4194-b009-0060edec77cc", S + "bf942c60-8539-4951-83ee-63f770da1cb8"],  # welding, CNC
    "ITC46": [S + "4cb58ef4-67a9-4bea-a743-2c83ebd60e79", S + "8a4e99e0-f259-4931-888f-604cfdc15b31"],  # CNC, upkeep
    "ITC4B": [S + "5ba1d5b9-3f8d-46ca-bf9f-2e9ca65d1350", S + "bf7a45c4-0d72-4e6e-9da7-127b2b6656b7"],  # HACCP, GMP
    "ITC44": [S + "26a6e6d2-1c9a-4d7e-8c04-5ba16d1f53da"],  # greet guests
    "ITC4C": [S + "1973c966-f236-40c9-b2d4-5d71a89019be"],  # use spreadsheets software
}


@dataclass(frozen=True)
class DemoPact:
    partnership: str  # organisation name (also in regia.auth.demo)
    tax_code: str
    nuts3: str
    sector: str
    title: str
    requested: dict[str, int]  # euro per source
    scores: tuple[tuple[int, int, int], tuple[int, int, int]]  # the two evaluators' C1, C2, C3
    partners: tuple[tuple[str, str, str], ...]


PARTNERS = {  # (name, fictitious codice fiscale with valid check digit, type)
    "cciaa": ("Camera di Commercio (demo)", "09100000018", "cciaa"),
    "school": ("ITS Academy (demo)", "09100000026", "education"),
    "employers": ("Associazione imprese (demo)", "09100000034", "employers_association"),
    "foundation": ("Fondazione bancaria (demo)", "09100000042", "bank_foundation"),
}
PAST = (
    DemoPact("Patto Brianza Manifattura 4.0 (demo)", "09000000027", "ITC4D", "C",
             "Manifattura 4.0 in Brianza: saldatura, CNC e manutenzione",
             {"regional": 180_000, "fse_plus": 120_000}, ((26, 35, 25), (24, 33, 27)),
             (PARTNERS["cciaa"], PARTNERS["school"], PARTNERS["employers"])),
    DemoPact("Patto Bergamo Meccatronica (demo)", "09000000043", "ITC46", "C",
             "Meccatronica bergamasca per disoccupati e lavoratori sospesi",
             {"regional": 150_000, "fse_plus": 100_000}, ((22, 30, 24), (24, 32, 22)),
             (PARTNERS["cciaa"], PARTNERS["school"], PARTNERS["foundation"])),
    DemoPact("Patto Mantova Agroalimentare (demo)", "09000000050", "ITC4B", "C",
             "Filiera agroalimentare mantovana: qualità e sicurezza",
             {"regional": 120_000, "fund": 80_000}, ((20, 28, 21), (21, 27, 20)),
             (PARTNERS["cciaa"], PARTNERS["school"], PARTNERS["employers"])),
    DemoPact("Patto Milano Digitale (demo)", "09000000068", "ITC4C", "J",
             "Competenze digitali per le PMI milanesi",
             {"regional": 190_000, "fse_plus": 100_000}, ((18, 25, 18), (19, 27, 19)),
             (PARTNERS["cciaa"], PARTNERS["school"], PARTNERS["employers"])),
)
INADMISSIBLE = DemoPact("Patto Valtellina Turismo (demo)", "09000000035", "ITC44", "I",
                        "Accoglienza turistica in Valtellina", {"regional": 150_000}, ((0, 0, 0), (0, 0, 0)),
                        (PARTNERS["cciaa"], PARTNERS["school"], PARTNERS["employers"]))

# The calls: the past one names 28 February as the deadline of the manifestations, like the real one
PAST_CALL = {"code": "PATTI-2026", "title": "Patti territoriali per le competenze e l'occupazione 2026 (demo)",
             "opens_at": datetime(2025, 12, 1, 9, tzinfo=ROME),
             "manifestation_deadline": datetime(2026, 2, 28, 23, 59, tzinfo=ROME),
             "evaluation_deadline": datetime(2026, 4, 30, 23, 59, tzinfo=ROME),
             "programme_deadline": datetime(2026, 6, 30, 23, 59, tzinfo=ROME), "ends_on": date(2028, 6, 30)}
OPEN_CALL = {"code": "PATTI-2027", "title": "Patti territoriali per le competenze e l'occupazione 2027 (demo)",
             "opens_at": datetime(2026, 11, 2, 9, tzinfo=ROME),
             "manifestation_deadline": datetime(2027, 2, 28, 23, 59, tzinfo=ROME),
             "evaluation_deadline": datetime(2027, 4, 30, 23, 59, tzinfo=ROME),
             "programme_deadline": datetime(2027, 6, 30, 23, 59, tzinfo=ROME), "ends_on": date(2029, 6, 30)}
COMMON = {"description": "Avviso dimostrativo: manifestazioni di interesse dei partenariati territoriali per le "
                         "competenze e l'occupazione, finanziate con risorse regionali, FSE+ 2021-2027 e dei "
                         "Fondi interprofessionali.",
          "territories": [], "required_partner_types": ["cciaa", "education"], "min_partners": 3,
          "targets": ["students", "unemployed", "suspended_workers"], "grid": GRID, "min_total": Decimal(60),
          "aggregation": "average", "max_spread": Decimal(10), "min_evaluators": 2,
          "budget": {"regional": "500000", "fse_plus": "400000", "fund": "200000"}, "max_grant": Decimal(350_000),
          "min_cofinancing_share": Decimal("0.2")}


def _org(session: Session, name: str) -> Organisation:
    org = session.scalar(select(Organisation).where(Organisation.name == name))
    if org is None:
        raise LookupError(f"demo organisation {name!r} missing: seed the demo accounts first")
    return org


def _evaluators(session: Session) -> list[Principal]:
    users = session.scalars(select(User).where(User.email.in_(("valutatore@regione.demo",
                                                               "valutatrice@regione.demo")))
                            .order_by(User.email.desc())).all()
    if len(users) < 2:
        raise LookupError("two demo evaluators needed: seed the demo accounts first")
    return [principal_for(u, via="token") for u in users]


def letter_of_commitment(partner: str, tax_code: str, pact: DemoPact, when: date) -> bytes:
    """A one-page letter of commitment of ``partner`` to ``pact`` (DEMO ONLY: a real PDF, not a signed one)."""
    pdf = FPDF(format="A4")
    pdf.set_title(f"Lettera di impegno - {partner}")
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    lines = [f"Milano, {when:%d/%m/%Y}", "", "Spett.le Regione Lombardia", "", "Oggetto: lettera di impegno",
             f"Manifestazione di interesse \"{pact.title}\"", "",
             f"{partner} (codice fiscale {tax_code}) aderisce al partenariato guidato da {pact.partnership} e si "
             "impegna a partecipare alle azioni previste, mettendo a disposizione le proprie competenze, sedi e "
             "personale secondo quanto indicato nella manifestazione di interesse.", "",
             "Il legale rappresentante (documento dimostrativo, non firmato)"]
    for line in lines:
        pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _manifestation(session: Session, actor: Principal, proposal: Proposal, pact: DemoPact, when: date) -> None:
    lead = (pact.partnership, pact.tax_code, OrgType.PARTNERSHIP.value)
    letters = {code: documents.upload(session, actor=actor, proposal_id=proposal.id,
                                      data=letter_of_commitment(name, code, pact, when),
                                      filename=f"lettera-impegno-{code}.pdf", partner_tax_code=code).id
               for name, code, _ in (lead, *pact.partners)}
    body = sample(lead=lead, partners=pact.partners, letters=letters, nuts3=pact.nuts3, sector=pact.sector,
                  skills=SKILLS[pact.nuts3], participants=25,
                  requested={source: Decimal(amount) for source, amount in pact.requested.items()})
    proposals.update(session, actor=actor, id=proposal.id, title=proposal.title, body=body,
                     version=proposal.version)


def _submitted(session: Session, actor: Principal, call: Call, pact: DemoPact, *, now: datetime,
               evidence: EvidenceProvider | None) -> Proposal:
    org = _org(session, pact.partnership)
    proposal = proposals.create(session, actor=actor, title=pact.title, organisation_id=org.id, call_id=call.id,
                                now=now)
    _manifestation(session, actor, proposal, pact, now.astimezone(ROME).date())
    return proposals.submit(session, actor=actor, id=proposal.id, evidence_provider=evidence, now=now)


def _score(session: Session, panel: Sequence[Principal], region: Principal, proposal: Proposal,
           pact: DemoPact) -> None:
    for evaluator, scores in zip(panel, pact.scores, strict=True):
        assignment = evaluation.assign(session, actor=region, proposal_id=proposal.id,
                                       evaluator_id=evaluator.user_id or 0)
        evaluation.declare(session, actor=evaluator, assignment_id=assignment.id, conflict=False)
        sheet = evaluation.get_sheet(session, principal=evaluator, assignment_id=assignment.id)
        values = {c["code"]: {"score": s, "comment": f"Punteggio motivato sul criterio {c['label'].lower()}."}
                  for c, s in zip(GRID, scores, strict=True)}
        evaluation.submit_sheet(session, actor=evaluator, assignment_id=assignment.id, version=sheet.version,
                                scores=values)
    evaluation.close_evaluation(session, actor=region, proposal_id=proposal.id)


def _programme(session: Session, actor: Principal, proposal: Proposal, pact: DemoPact, start: date) -> None:
    """Two actions that respect the co-financing rules: 80 % of each source's grant on training, 20 % on
    placement, and the partners' own share at 25 % of the total grant."""
    grants = {source: Decimal(amount) for source, amount in (proposal.granted or {}).items()}
    granted = sum(grants.values(), Decimal(0))
    school = pact.partners[1][1]

    def lines(partner: str, share: str, own: str) -> list[dict[str, str]]:
        return [*({"partner_tax_code": partner, "source": source, "amount": str(amount * Decimal(share))}
                  for source, amount in sorted(grants.items())),
                {"partner_tax_code": partner, "source": "cofinancing", "amount": str(granted * Decimal(own))}]

    actions = [
        {"code": "A1", "kind": "training", "title": "Percorsi di formazione tecnica", "course_id": None,
         "skills": SKILLS[pact.nuts3], "target_group": "unemployed", "lead_partner_tax_code": school,
         "start_date": start, "end_date": start + timedelta(days=240), "target_enrolled": 25,
         "target_completed": 20, "target_certified": 15, "target_placed": 12,
         "budget": lines(school, "0.8", "0.25")},
        {"code": "A2", "kind": "placement", "title": "Accompagnamento al lavoro e tirocini", "course_id": None,
         "skills": [], "target_group": "unemployed", "lead_partner_tax_code": pact.tax_code,
         "start_date": start + timedelta(days=30), "end_date": start + timedelta(days=120), "target_enrolled": 25,
         "target_completed": 25, "target_certified": 0, "target_placed": 12,
         "budget": lines(pact.tax_code, "0.2", "0.05")},
    ]
    indicators = [{"indicator": "Partecipanti occupati a sei mesi", "unit": "%", "baseline": "40", "target": "60",
                   "actions": ["A1", "A2"]}]
    programme.save_programme(session, actor=actor, proposal_id=proposal.id, actions=actions,
                             indicators=indicators, notes="Programma dimostrativo", version=proposal.version)


def _seed_past_call(session: Session, actor: Principal, evidence: EvidenceProvider | None) -> None:
    call = calls.create(session, actor=actor, **PAST_CALL, **COMMON)
    before = PAST_CALL["manifestation_deadline"] - timedelta(days=10)
    panel = _evaluators(session)
    unsigned = _submitted(session, actor, call, INADMISSIBLE, now=before, evidence=evidence)
    evaluation.decide_admissibility(  # the automatic checks pass; the officer reads the letters
        session, actor=actor, proposal_id=unsigned.id, admissible=False,
        note="La lettera di impegno della Camera di Commercio non è firmata dal legale rappresentante.")
    submitted = [_submitted(session, actor, call, pact, now=before, evidence=evidence) for pact in PAST]
    for proposal, pact in zip(submitted, PAST, strict=True):
        evaluation.decide_admissibility(session, actor=actor, proposal_id=proposal.id, admissible=True, note="")
        _score(session, panel, actor, proposal, pact)
    evaluation.publish_ranking(session, actor=actor, call_id=call.id, now=datetime(2026, 5, 15, 10, tzinfo=UTC))
    selected = [(p, pact) for p, pact in zip(submitted, PAST, strict=True) if p.status == "selected"]
    start = date(2026, 7, 1)
    for n, (proposal, pact) in enumerate(selected):
        _programme(session, actor, proposal, pact, start)
        programme.submit_programme(session, actor=actor, proposal_id=proposal.id,
                                   now=datetime(2026, 6, 15, 12, tzinfo=UTC))
        if n == len(selected) - 1:
            continue  # the last one waits for the Region's approval
        programme.approve_programme(session, actor=actor, proposal_id=proposal.id,
                                    now=datetime(2026, 6, 25, 12, tzinfo=UTC))
        if n == 0:  # the first one runs: two quarterly reports; A2 lags behind (an alert)
            today = date(2026, 11, 20)
            for period, a1, a2 in ((date(2026, 8, 31), (25, 0, 0, 0, "60000"), (4, 0, 0, 1, "9000")),
                                   (date(2026, 10, 31), (25, 12, 6, 3, "150000"), (6, 2, 0, 2, "20000"))):
                for code, (enrolled, completed, certified, placed, spent) in (("A1", a1), ("A2", a2)):
                    monitoring.report_progress(session, actor=actor, proposal_id=proposal.id, action_code=code,
                                               period=period, enrolled=enrolled, completed=completed,
                                               certified=certified, placed=placed, spent=spent, today=today)


OPEN_DRAFTS = (  # partnership, title, summary: drafts just started
    ("Patto Brianza Manifattura 4.0 (demo)", "Competenze digitali per la manifattura brianzola",
     "Formazione su automazione, manutenzione predittiva e dati per 300 addetti delle PMI."),
    ("Patto Valtellina Turismo (demo)", "Accoglienza e lingue per il turismo in Valtellina",
     "Percorsi per addetti all'accoglienza e guide, con certificazione delle competenze."),
)


def _seed_open_call(session: Session, actor: Principal, evidence: EvidenceProvider | None) -> None:
    call = calls.create(session, actor=actor, **OPEN_CALL, **COMMON)
    now = datetime.now(UTC) if calls.is_open(call) else OPEN_CALL["opens_at"] + timedelta(days=1)
    for partnership, title, summary in OPEN_DRAFTS:
        proposals.create(session, actor=actor, title=title, body={"summary": summary},
                         organisation_id=_org(session, partnership).id, call_id=call.id, now=now)
    milano, bergamo = PAST[3], PAST[1]
    submitted = _submitted(session, actor, call, replace(milano, title=milano.title + " (seconda edizione)"),
                           now=now, evidence=evidence)
    # admitted and assigned as it arrived: the demo evaluators have it to declare and score
    evaluation.decide_admissibility(session, actor=actor, proposal_id=submitted.id, admissible=True, note="")
    for evaluator in _evaluators(session):
        evaluation.assign(session, actor=actor, proposal_id=submitted.id, evaluator_id=evaluator.user_id or 0)
    complete = proposals.create(session, actor=actor, title=bergamo.title + " (2027)", call_id=call.id,
                                organisation_id=_org(session, bergamo.partnership).id, now=now)
    _manifestation(session, actor, complete, bergamo, now.astimezone(ROME).date())  # complete, not presented


def ensure_demo_pacts(engine: Engine, *, evidence_provider: EvidenceProvider | None = None) -> int:
    """Seed the demo calls and proposals unless present; returns how many proposals the demo holds."""
    actor = cli_principal("demo")
    with session_scope(engine) as session:
        held = set(session.scalars(select(Call.code)))
        if PAST_CALL["code"] not in held:
            _seed_past_call(session, actor, evidence_provider)
        if OPEN_CALL["code"] not in held:
            _seed_open_call(session, actor, evidence_provider)
    with session_scope(engine) as session:
        return len(session.scalars(select(Proposal.id)).all())
