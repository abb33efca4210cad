"""Demo IeFP system (DEMO ONLY): the demo repertory, the centre "CFP Monza e Brianza (demo)" with two seats and
its paths of 2025/26 and 2026/27, ten students (fictitious names and codici fiscali, families' consent
recorded), three firms with placements and apprenticeship positions, the students' and firms' rankings, a
matching run of 2026/27 with placements started and signed training plans, and the finished placements of
2025/26 with their outcomes.

Everything goes through the services (validation, policy as the demo operator, audit). Seeding is idempotent:
nothing is added when the demo centre already runs paths. Needs the demo accounts (``regia users demo``) and the
taxonomy (comuni).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path as FilePath

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from stdnum import luhn
from stdnum.it import codicefiscale

from regia.auth import service as accounts
from regia.auth.models import Organisation, OrgType
from regia.auth.principal import Principal, cli_principal
from regia.db import session_scope
from regia.iefp import offer, placements, places, rounds, students
from regia.iefp.commute import Commutes
from regia.iefp.figures import ingest_figures
from regia.iefp.models import Candidacy, MatchAssignment, Placement, TrainingPath
from regia.iefp.places import PlaceInput
from regia.iefp.rules import PlanInput

DEMO_FIGURES = FilePath(__file__).resolve().parent / "data" / "demo_figures.json"
CENTRE = "CFP Monza e Brianza (demo)"
FIRM = "Officine Meccaniche Brianza (demo)"
YEAR, PAST_YEAR = "2026/27", "2025/26"
MONZA, SEREGNO, LISSONE, DESIO, VIMERCATE, CESANO, ARCORE, BRUGHERIO = (
    "108033", "108039", "108028", "108023", "108050", "108019", "108004", "108012")


def _vat(stem: str) -> str:
    return stem + luhn.calc_check_digit(stem)


OTHER_FIRMS = (("Elettroimpianti Seregno (demo)", _vat("0920000001")),
               ("Ristorante Villa Reale (demo)", _vat("0920000002")))


@dataclass(frozen=True)
class DemoStudent:
    given: str
    family: str
    female: bool
    birth: date
    comune: str
    path: str  # key of PATHS
    consent: str


PATHS = {  # key: (seat, figure, school year, year of course, places, enrolled)
    "mecc2": ("Sede di Monza", "Q-MECC", YEAR, 2, 24, 20),
    "mecc3": ("Sede di Monza", "Q-MECC", YEAR, 3, 22, 18),
    "elet2": ("Sede di Seregno", "Q-ELET", YEAR, 2, 20, 16),
    "auto4": ("Sede di Monza", "D-AUTO", YEAR, 4, 18, 14),
    "rist2": ("Sede di Seregno", "Q-RIST", YEAR, 2, 24, 22),
    "mecc3_past": ("Sede di Monza", "Q-MECC", PAST_YEAR, 3, 22, 21),
}
STUDENTS = (
    DemoStudent("Luca", "Bianchi", False, date(2010, 3, 14), MONZA, "mecc2", "parent"),
    DemoStudent("Sara", "Colombo", True, date(2010, 7, 2), LISSONE, "mecc2", "parent"),
    DemoStudent("Matteo", "Ferrari", False, date(2009, 11, 23), DESIO, "mecc3", "parent"),
    DemoStudent("Giulia", "Riva", True, date(2009, 5, 8), SEREGNO, "elet2", "guardian"),
    DemoStudent("Andrea", "Galli", False, date(2008, 1, 30), VIMERCATE, "auto4", "student"),
    DemoStudent("Elena", "Brambilla", True, date(2010, 9, 17), CESANO, "rist2", "parent"),
    DemoStudent("Davide", "Mariani", False, date(2010, 2, 5), ARCORE, "mecc2", "parent"),
    DemoStudent("Chiara", "Sala", True, date(2009, 12, 12), BRUGHERIO, "mecc3", "parent"),
    DemoStudent("Marco", "Villa", False, date(2007, 6, 21), MONZA, "mecc3_past", "student"),
    DemoStudent("Anna", "Fumagalli", True, date(2007, 4, 3), DESIO, "mecc3_past", "student"),
)
BELFIORE = {MONZA: "F704", LISSONE: "E617", DESIO: "D286", SEREGNO: "I625", VIMERCATE: "M052", CESANO: "C566",
            ARCORE: "A376", BRUGHERIO: "B212"}
MONTHS = "ABCDEHLMPRST"


def _letters(word: str, name: bool) -> str:
    w = word.upper()
    consonants = [c for c in w if c.isalpha() and c not in "AEIOU"]
    vowels = [c for c in w if c in "AEIOU"]
    if name and len(consonants) > 3:
        consonants = [consonants[0], consonants[2], consonants[3]]
    return ("".join(consonants + vowels) + "XXX")[:3]


def fiscal_code(s: DemoStudent) -> str:
    """A fictitious codice fiscale with valid structure and check character (DEMO ONLY)."""
    day = s.birth.day + (40 if s.female else 0)
    stem = (f"{_letters(s.family, False)}{_letters(s.given, True)}{s.birth.year % 100:02d}"
            f"{MONTHS[s.birth.month - 1]}{day:02d}{BELFIORE[s.comune]}")
    return stem + codicefiscale.calc_check_digit(stem)


# kind, firm, figure, title, seats, comune, ateco, start, end, hours per year, weekly hours, tutor
PLACES = (
    ("apprendistato", FIRM, "Q-MECC", "Apprendista operatore meccanico CNC", 2, LISSONE, "25.62",
     date(2026, 10, 1), date(2027, 6, 30), 500, 24, "Paolo Redaelli"),
    ("alternanza", FIRM, "Q-MECC", "Alternanza in officina: montaggio e saldatura", 2, DESIO, "25.11",
     date(2026, 11, 2), date(2027, 5, 28), 420, 20, "Franca Meroni"),
    ("apprendistato", FIRM, "D-AUTO", "Apprendista tecnico dell'automazione", 1, VIMERCATE, "28.99",
     date(2026, 10, 1), date(2027, 6, 30), 495, 24, "Stefano Cazzaniga"),
    ("alternanza", OTHER_FIRMS[0][0], "Q-ELET", "Alternanza negli impianti civili", 2, SEREGNO, "43.21",
     date(2026, 11, 2), date(2027, 5, 28), 420, 20, "Roberto Arosio"),
    ("tirocinio", OTHER_FIRMS[1][0], "Q-RIST", "Tirocinio curricolare in cucina e sala", 2, MONZA, "56.10",
     date(2027, 1, 11), date(2027, 5, 28), 300, 20, "Laura Pozzi"),
)
# student index -> places (by index in PLACES) in the student's order
PREFERENCES = {0: [0, 1], 1: [0, 1], 2: [0], 6: [1, 0], 7: [0, 1], 3: [3], 4: [2], 5: [4]}
# place index -> students (by index in STUDENTS) in the firm's order (a candidate left out is not acceptable)
RANKINGS = {0: [2, 1, 0, 7], 1: [0, 6, 1], 2: [4], 3: [3], 4: [5]}


def _org(session: Session, name: str) -> Organisation:
    org = session.scalar(select(Organisation).where(Organisation.name == name))
    if org is None:
        raise LookupError(f"demo organisation {name!r} missing: seed the demo accounts first (regia users demo)")
    return org


def _plan(placement: Placement, *, tutor_centre: str) -> PlanInput:
    form = placements.plan_form(placement)
    comps = [{"code": c.code, "where": "work" if c.kind == "specific" else "centre"}
             for c in placement.figure_version.competences]
    return PlanInput(year_of_course=form["year_of_course"], hours_work=form["hours_work"],
                     hours_centre=form["hours_centre"], weekly_hours_work=form["weekly_hours_work"],
                     competences=comps, tutor_company=form["tutor_company"], tutor_centre=tutor_centre)


def _seed(session: Session, actor: Principal, engine: Engine) -> None:
    centre_org = _org(session, CENTRE)
    centre = offer.register_centre(session, actor=actor, organisation_id=centre_org.id,
                                   accreditation_code="IEFP-DEMO-0001")
    seats = {name: offer.add_seat(session, actor=actor, centre_id=centre.id, name=name, comune_code=code)
             for name, code in (("Sede di Monza", MONZA), ("Sede di Seregno", SEREGNO))}
    paths = {key: offer.create_path(session, actor=actor, seat_id=seats[seat].id, figure_code=fig,
                                    school_year=year, year_of_course=n, places=p, enrolled=e)
             for key, (seat, fig, year, n, p, e) in PATHS.items()}
    kids = []
    for s in STUDENTS:
        student = students.enrol(session, actor=actor, path_id=paths[s.path].id, tax_code=fiscal_code(s),
                                 given_name=s.given, family_name=s.family, birth_date=s.birth, comune_code=s.comune)
        students.record_consent(session, actor=actor, student_id=student.id, given_by=s.consent)
        kids.append(student)
    firms = {FIRM: _org(session, FIRM)}
    for name, vat in OTHER_FIRMS:
        firms[name] = session.scalar(select(Organisation).where(Organisation.name == name)) or \
            accounts.create_organisation(session, actor=actor, name=name, type=OrgType.FIRM, vat_number=vat)
    offered = []
    for kind, firm, fig, title, n, comune, ateco, start, end, hours, weekly, tutor in PLACES:
        offered.append(places.create_place(session, actor=actor, organisation_id=firms[firm].id, publish=True,
                                           data=PlaceInput(kind, fig, title, n, comune, ateco, YEAR, start, end,
                                                           hours, weekly, tutor, "Posizione dimostrativa (demo)")))
    for k, wanted in PREFERENCES.items():
        places.set_preferences(session, actor=actor, student_id=kids[k].id, place_ids=[offered[i].id for i in wanted])
    for i, ranked in RANKINGS.items():
        places.rank_candidates(session, actor=actor, place_id=offered[i].id, student_ids=[kids[k].id for k in ranked])
    run = rounds.run_matching(session, actor=actor, school_year=YEAR, commutes=Commutes(engine))
    for a in session.scalars(select(MatchAssignment).where(MatchAssignment.run_id == run.id)
                             .order_by(MatchAssignment.id)):
        placement = placements.start(session, actor=actor, assignment_id=a.id)
        placements.save_plan(session, actor=actor, placement_id=placement.id, sign=True,
                             plan=_plan(placements.load(session, placement.id), tutor_centre="Marta Sironi"))
    _past_year(session, actor, firms[FIRM], kids[8:])


def _past_year(session: Session, actor: Principal, firm: Organisation, alumni: list) -> None:  # type: ignore[type-arg]
    """2025/26: an apprenticeship and an alternanza, finished, with their outcomes."""
    done = []
    for kind, title, start, end, hours in (("apprendistato", "Apprendista operatore meccanico (2025/26)",
                                            date(2025, 10, 1), date(2026, 6, 30), 500),
                                           ("alternanza", "Alternanza in officina (2025/26)", date(2025, 11, 3),
                                            date(2026, 5, 29), 420)):
        place = places.create_place(session, actor=actor, organisation_id=firm.id, publish=True, data=PlaceInput(
            kind, "Q-MECC", title, 1, LISSONE, "25.62", PAST_YEAR, start, end, hours, 24, "Paolo Redaelli"))
        done.append(place)
    for place, student in zip(done, alumni, strict=True):
        places.set_preferences(session, actor=actor, student_id=student.id, place_ids=[place.id])
        places.rank_candidates(session, actor=actor, place_id=place.id, student_ids=[student.id])
    run = rounds.run_matching(session, actor=actor, school_year=PAST_YEAR)
    for a, hired in zip(session.scalars(select(MatchAssignment).where(MatchAssignment.run_id == run.id)
                                        .order_by(MatchAssignment.place_id)), (True, None), strict=True):
        placement = placements.start(session, actor=actor, assignment_id=a.id)
        placements.save_plan(session, actor=actor, placement_id=placement.id, sign=True,
                             plan=_plan(placements.load(session, placement.id), tutor_centre="Marta Sironi"))
        placements.record_outcome(session, actor=actor, placement_id=placement.id, outcome="qualified",
                                  outcome_at=date(2026, 7, 10), hired_after=hired,
                                  hired_on=date(2026, 9, 1) if hired else None)


def ensure_demo_iefp(engine: Engine) -> dict[str, int]:
    """Seed the demo IeFP system unless present; returns what the demo holds."""
    actor = cli_principal("demo")
    ingest_figures(engine, DEMO_FIGURES, source="demo", demo=True, actor=actor)
    with session_scope(engine) as session:
        centre = offer.centre_of(session, _org(session, CENTRE).id)
        held = centre is not None and session.scalar(select(TrainingPath.id).where(
            TrainingPath.organisation_id == centre.organisation_id).limit(1)) is not None
        if not held:
            _seed(session, actor, engine)
    with session_scope(engine) as session:
        return {"paths": len(session.scalars(select(TrainingPath.id)).all()),
                "candidacies": len(session.scalars(select(Candidacy.id)).all()),
                "placements": len(session.scalars(select(Placement.id)).all())}
