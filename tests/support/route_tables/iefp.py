"""Route × role rows of the IeFP domain (regia.iefp.api and regia.iefp.pages), and the builder of a small IeFP
world on the test accounts (also used by tests/test_iefp_service.py).

The world: the demo repertory; the test provider ("provider") registered as an IeFP centre with one seat and a
path; a student of it with the family's consent; the test firm's published place (and a draft); the student's
preference and the firm's ranking; a matching run, its assignment and the placement started from it. The route
table has no taxonomy, so seats, students and places are written as rows (their comuni cannot be checked).

Who is who here: ``provider_editor`` is the centre's staff; ``other_provider_editor`` a provider that is not
this centre; ``assessor`` an IVC assessor of the same provider (not IeFP staff: never reads students);
``firm_editor`` the firm; ``region_admin`` the Region's staff and ``region_viewer`` its analyst (reads, never
names); the evaluator of the Region is no IeFP reader."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from regia.auth.principal import cli_principal
from regia.auth.pseudonym import pseudonymise
from regia.db import session_scope
from regia.iefp import offer, placements, places, rounds
from regia.iefp.demo_data import DEMO_FIGURES
from regia.iefp.figures import current, ingest_figures
from regia.iefp.models import CentreSeat, Figure, MatchAssignment, Place, Student
from regia.iefp.rules import PlanInput
from support.accounts import ALL_ROLES, World, build_world

SYSTEM = cli_principal("test")
YEAR = "2026/27"
ALL = frozenset(ALL_ROLES)
REGION = frozenset({"region_admin"})
REGION_READERS = frozenset({"region_admin", "region_viewer"})
CENTRE = frozenset({"provider_editor"})
FIRM = frozenset({"firm_editor"})
PROVIDERS = frozenset({"provider_editor", "other_provider_editor"})
PARTIES = REGION_READERS | PROVIDERS | FIRM  # who may list places, candidacies, assignments, placements
PLACEMENT_READERS = REGION_READERS | CENTRE | FIRM


@dataclass
class IefpWorld:
    centre_org: int
    firm_org: int
    seat: int
    path: int
    student: int
    student_b: int  # of the same centre, not proposed to anyone
    place: int
    draft: int
    run: int
    assignment: int
    placement: int


def student_row(session: Any, *, organisation_id: int, path_id: int, given: str, family: str, code: str,
                birth: date = date(2010, 3, 14), comune: str = "108033", consent: bool = True) -> Student:
    """A student written as a row (the route table's world has no comuni to check against)."""
    pseudonym = pseudonymise("fiscal_code", code)
    student = Student(organisation_id=organisation_id, path_id=path_id, pseudonym=pseudonym,
                      label="S-" + pseudonym[:8].upper(), given_name=given, family_name=family, birth_date=birth,
                      comune=comune, consent_at=datetime.now(UTC) if consent else None,
                      consent_by="parent" if consent else "")
    session.add(student)
    session.flush()
    return student


def place_row(session: Any, *, organisation_id: int, figure_code: str = "Q-MECC", kind: str = "apprendistato",
              seats: int = 2, status: str = "published", title: str = "Apprendista operatore meccanico",
              comune: str = "108028", nuts3: str = "ITC4D") -> Place:
    figure = session.scalar(select(Figure).where(Figure.code == figure_code))
    version = current(session, figure)
    place = Place(organisation_id=organisation_id, kind=kind, figure_id=figure.id, figure_version_id=version.id,
                  title=title, seats=seats, comune=comune, nuts3=nuts3, ateco="25.62", school_year=YEAR,
                  start_date=date(2026, 10, 1), end_date=date(2027, 6, 30), hours_per_year=500, weekly_hours=24,
                  company_tutor="Paolo Redaelli", status=status)
    session.add(place)
    session.flush()
    return place


def build(engine: Engine, *, centre_org: int, firm_org: int) -> IefpWorld:
    ingest_figures(engine, DEMO_FIGURES, source="demo", demo=True, actor=SYSTEM)
    with session_scope(engine) as session:
        centre = offer.register_centre(session, actor=SYSTEM, organisation_id=centre_org)
        seat = CentreSeat(centre_id=centre.id, organisation_id=centre_org, name="Sede di Monza", comune="108033",
                          nuts3="ITC4D")
        session.add(seat)
        session.flush()
        path = offer.create_path(session, actor=SYSTEM, seat_id=seat.id, figure_code="Q-MECC", school_year=YEAR,
                                 year_of_course=2, places=20, enrolled=2)
        luca = student_row(session, organisation_id=centre_org, path_id=path.id, given="Luca", family="Bianchi",
                           code="BNCLCU10C14F704R")
        sara = student_row(session, organisation_id=centre_org, path_id=path.id, given="Sara", family="Colombo",
                           code="CLMSRA10L42E617Z")
        place = place_row(session, organisation_id=firm_org)
        draft = place_row(session, organisation_id=firm_org, status="draft", title="Bozza di posto")
        places.set_preferences(session, actor=SYSTEM, student_id=luca.id, place_ids=[place.id])
        places.rank_candidates(session, actor=SYSTEM, place_id=place.id, student_ids=[luca.id])
        run = rounds.run_matching(session, actor=SYSTEM, school_year=YEAR)
        assignment = session.scalar(select(MatchAssignment).where(MatchAssignment.run_id == run.id))
        assert assignment is not None
        placement = placements.start(session, actor=SYSTEM, assignment_id=assignment.id)
        return IefpWorld(centre_org, firm_org, seat.id, path.id, luca.id, sara.id, place.id, draft.id, run.id,
                         assignment.id, placement.id)


def valid_plan() -> PlanInput:
    """A plan that keeps every rule for the world's apprenticeship (year 2, Q-MECC)."""
    comps = [{"code": c, "where": "work"} for c in ("OM.S1", "OM.S2", "OM.S3", "OM.S4")]
    comps += [{"code": c, "where": "centre"} for c in ("OM.B1", "OM.B2", "OM.T1")]
    return PlanInput(year_of_course=2, hours_work=500, hours_centre=490, weekly_hours_work=24, competences=comps,
                     tutor_company="Paolo Redaelli", tutor_centre="Marta Sironi")


# --- the route × role table ----------------------------------------------------------------------------------

A, G = "/api/iefp", "/iefp"
EXPECTED: dict[tuple[str, str], frozenset[str]] = {
    ("GET", f"{A}/figures"): ALL,
    ("GET", f"{A}/figures/{{code}}"): ALL,
    ("POST", f"{A}/figures/import"): REGION,
    ("GET", f"{A}/centres"): ALL,
    ("GET", f"{A}/paths"): ALL,
    ("POST", f"{A}/paths"): REGION | CENTRE,  # another provider passes the route, not the row
    ("PATCH", f"{A}/paths/{{path_id}}"): REGION | CENTRE,
    ("GET", f"{A}/paths/{{path_id}}/position"): ALL,
    ("GET", f"{A}/students"): REGION_READERS | PROVIDERS,  # the list is row-filtered
    ("POST", f"{A}/students"): CENTRE,
    ("POST", f"{A}/students/{{student_id}}/consent"): CENTRE,
    ("PUT", f"{A}/students/{{student_id}}/preferences"): CENTRE,
    ("GET", f"{A}/places"): PARTIES,
    ("POST", f"{A}/places"): FIRM,
    ("POST", f"{A}/places/{{place_id}}/status"): FIRM,
    ("GET", f"{A}/places/{{place_id}}/candidates"): PARTIES,
    ("PUT", f"{A}/places/{{place_id}}/ranking"): FIRM,
    ("POST", f"{A}/matching/runs"): REGION,
    ("GET", f"{A}/matching/runs"): REGION_READERS,
    ("GET", f"{A}/matching/runs/{{run_id}}"): REGION_READERS,
    ("GET", f"{A}/assignments"): PARTIES,
    ("GET", f"{A}/placements"): PARTIES,
    ("POST", f"{A}/placements"): CENTRE,
    ("POST", f"{A}/placements/hiring"): REGION,  # 409 here: the route table's server holds no CO records
    ("GET", f"{A}/placements/{{placement_id}}"): PLACEMENT_READERS,
    ("PUT", f"{A}/placements/{{placement_id}}/plan"): CENTRE,
    ("POST", f"{A}/placements/{{placement_id}}/progress"): CENTRE | FIRM,
    ("PUT", f"{A}/placements/{{placement_id}}/outcome"): CENTRE,
    ("GET", f"{A}/system"): REGION_READERS,
    ("GET", G): ALL,
    ("GET", f"{G}/figures/{{code}}"): ALL,
    ("GET", f"{G}/paths/{{path_id}}"): ALL,
    ("GET", f"{G}/centre"): REGION_READERS | PROVIDERS,  # a reader without a centre is told the page is not theirs
    ("POST", f"{G}/centre/paths"): REGION | CENTRE,
    ("POST", f"{G}/centre/students"): CENTRE,
    ("GET", f"{G}/centre/students/{{student_id}}"): REGION_READERS | CENTRE,
    ("POST", f"{G}/centre/students/{{student_id}}/preferences"): CENTRE,
    ("POST", f"{G}/centre/students/{{student_id}}/consent"): CENTRE,
    ("POST", f"{G}/assignments/{{assignment_id}}/start"): CENTRE,
    ("GET", f"{G}/firm"): PARTIES,
    ("POST", f"{G}/firm/places"): FIRM,
    ("POST", f"{G}/firm/places/{{place_id}}/status"): FIRM,
    ("POST", f"{G}/firm/places/{{place_id}}/ranking"): FIRM,
    ("GET", f"{G}/region"): REGION_READERS,
    ("POST", f"{G}/region/matching"): REGION,
    ("POST", f"{G}/region/hiring"): REGION,
    ("GET", f"{G}/placements/{{placement_id}}"): PLACEMENT_READERS,
    ("POST", f"{G}/placements/{{placement_id}}/plan"): CENTRE,
    ("POST", f"{G}/placements/{{placement_id}}/progress"): CENTRE | FIRM,
    ("POST", f"{G}/placements/{{placement_id}}/outcome"): CENTRE,
}


def seed(engine: Engine, world: World) -> None:
    w = build(engine, centre_org=world.orgs["provider"], firm_org=world.orgs["firm"])
    world.extra.update({f"iefp_{k}": v for k, v in w.__dict__.items()})


def http_world(engine: Engine) -> tuple[World, TestClient]:
    """A migrated, empty ``engine`` with the test accounts and the IeFP world, and a client of the app on it
    (no redirects followed; server errors raised)."""
    from regia.db import migrate
    from regia.web.app import create_app

    migrate(engine)
    world = build_world(engine)
    seed(engine, world)
    app = create_app(engine=engine)
    app.state.auth_settings = world.settings
    return world, TestClient(app, raise_server_exceptions=True, follow_redirects=False)


def params(world: World) -> dict[str, str]:
    x = world.extra
    return {"code": "Q-MECC", "path_id": str(x["iefp_path"]), "student_id": str(x["iefp_student"]),
            "place_id": str(x["iefp_place"]), "run_id": str(x["iefp_run"]),
            "placement_id": str(x["iefp_placement"]), "assignment_id": str(x["iefp_assignment"])}


def _plan_json() -> dict[str, Any]:
    plan = valid_plan()
    return {**plan.__dict__, "sign": True}


def request_kwargs(method: str, path: str, world: World, role: str, csrf: str | None) -> dict[str, Any] | None:
    if not (path.startswith(A + "/") or path == G or path.startswith(G + "/")):
        return None
    x = world.extra
    if method == "GET":
        return {"params": {"school_year": YEAR}} if path.endswith(("/system", "/assignments")) else {}
    if path.startswith(A):
        body: dict[str, Any] = {}
        if path.endswith("/figures/import"):
            return {"files": {"file": ("rep.json", DEMO_FIGURES.read_bytes(), "application/json")}}
        if path == f"{A}/paths":
            body = {"seat_id": x["iefp_seat"], "figure_code": "Q-MECC", "school_year": YEAR, "year_of_course": 3,
                    "places": 18}
        elif path.startswith(f"{A}/paths/"):
            body = {"places": 21, "enrolled": 2}
        elif path == f"{A}/students":
            body = {"path_id": x["iefp_path"], "tax_code": "RSSMRA10A01F704X", "given_name": "Mario",
                    "family_name": "Rossi", "birth_date": "2010-01-01", "comune": "108033"}
        elif path.endswith("/consent"):
            body = {"given_by": "parent"}
        elif path.endswith("/preferences"):
            body = {"place_ids": [x["iefp_place"]]}
        elif path == f"{A}/places":
            body = {"kind": "alternanza", "figure_code": "Q-MECC", "title": "Alternanza", "seats": 1,
                    "comune": "108033", "ateco": "25", "school_year": YEAR, "start_date": "2026-11-02",
                    "end_date": "2027-05-28", "hours_per_year": 420, "weekly_hours": 20, "company_tutor": "X"}
        elif path.endswith("/status"):
            body = {"status": "closed"}
        elif path.endswith("/ranking"):
            body = {"student_ids": [x["iefp_student"]]}
        elif path.endswith("/matching/runs"):
            body = {"school_year": YEAR}
        elif path == f"{A}/placements":
            body = {"assignment_id": x["iefp_assignment"]}
        elif path.endswith("/plan"):
            body = _plan_json()
        elif path.endswith("/progress"):
            body = {"period": "2026-12-01", "hours_work_done": 40, "hours_centre_done": 30}
        elif path.endswith("/outcome"):
            body = {"outcome": "qualified", "outcome_at": "2027-07-01"}
        return {"json": body}
    data: dict[str, Any] = {"csrf_token": csrf or ""}
    if path.endswith("/centre/paths"):
        data.update(seat_id=str(x["iefp_seat"]), figure_code="Q-MECC", school_year=YEAR, year_of_course="3",
                    places="18")
    elif path.endswith("/centre/students"):
        data.update(path_id=str(x["iefp_path"]), tax_code="RSSMRA10A01F704X", given_name="Mario",
                    family_name="Rossi", birth_date="2010-01-01", comune="108033")
    elif path.endswith("/preferences"):
        data[f"rank-{x['iefp_place']}"] = "1"
    elif path.endswith("/consent"):
        data["consent_by"] = "parent"
    elif path.endswith("/firm/places"):
        data.update(kind="alternanza", figure_code="Q-MECC", title="Alternanza", seats="1", comune="108033",
                    ateco="25", school_year=YEAR, start_date="2026-11-02", end_date="2027-05-28",
                    hours_per_year="420", weekly_hours="20", company_tutor="X")
    elif path.endswith("/status"):
        data["status"] = "closed"
    elif path.endswith("/ranking"):
        data[f"rank-{x['iefp_student']}"] = "1"
    elif path.endswith("/region/matching"):
        data["school_year"] = YEAR
    elif path.endswith("/plan"):
        plan = valid_plan()
        data.update(year_of_course=str(plan.year_of_course), hours_work=str(plan.hours_work),
                    hours_centre=str(plan.hours_centre), weekly_hours_work=str(plan.weekly_hours_work),
                    tutor_company=plan.tutor_company, tutor_centre=plan.tutor_centre, op="sign",
                    **{f"where-{c['code']}": c["where"] for c in plan.competences})
    elif path.endswith("/progress"):
        data.update(period="2026-12-01", hours_work_done="40", hours_centre_done="30")
    elif path.endswith("/outcome"):
        data.update(outcome="qualified", outcome_at="2027-07-01")
    return {"data": data}
