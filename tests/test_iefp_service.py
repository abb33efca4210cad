"""The IeFP services on a copy of the imported reference data (comuni and their boundaries): the offer, the
students and their privacy, places and rankings, the matching rounds with their explanations, training plans,
progress and outcomes, versions pinned by what was made against them, the Region's view against real demand
figures (postings facts and a pact), and the hiring seam."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from regia.analytics.iefp_demand import make_provider
from regia.auth import service as accounts
from regia.auth.errors import Forbidden, InvalidInput
from regia.auth.models import OrgType, Role
from regia.auth.principal import Grant, Principal, cli_principal
from regia.db import session_scope
from regia.iefp import figures, matching, offer, placements, places, rounds, students, system
from regia.iefp.commute import Commutes, minutes_for_km
from regia.iefp.demo_data import DEMO_FIGURES
from regia.iefp.models import MatchAssignment, Placement, TrainingPlan
from regia.iefp.places import PlaceInput
from regia.iefp.rules import Context, PlanInput, PlanInvalid, bounds, check_plan
from regia.iefp.seams import Hire
from regia.pacts.models import Proposal
from regia.postings import facts
from support.pact_pages import copy_of

SYSTEM = cli_principal("test")
YEAR = "2026/27"
MONZA, LISSONE, SEREGNO, MILANO, SONDRIO = "108033", "108028", "108039", "015146", "014061"


def who(org_id: int, org_type: OrgType, role: Role = Role.EDITOR, uid: int = 1) -> Principal:
    return Principal(user_id=uid, grants=(Grant(org_id, org_type, role),), via="token", label=f"user:{uid}")


class Town:
    """Organisations, principals and a small IeFP system built through the services."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        figures.ingest_figures(engine, DEMO_FIGURES, source="demo", demo=True, actor=SYSTEM)
        with session_scope(engine) as s:
            mk = accounts.create_organisation
            self.region = mk(s, actor=SYSTEM, name="Regione Lombardia", type=OrgType.REGION, tax_code="80050050154").id
            self.cfp = mk(s, actor=SYSTEM, name="CFP di prova", type=OrgType.PROVIDER, vat_number="09000000019").id
            self.other = mk(s, actor=SYSTEM, name="Altro ente", type=OrgType.PROVIDER, vat_number="09000000084").id
            self.firm = mk(s, actor=SYSTEM, name="Officine di prova", type=OrgType.FIRM, vat_number="09000000076").id
            self.firm2 = mk(s, actor=SYSTEM, name="Ristorante di prova", type=OrgType.FIRM,
                            vat_number="09000000134").id
        self.centre_staff = who(self.cfp, OrgType.PROVIDER, uid=2)
        self.assessor = who(self.cfp, OrgType.PROVIDER, Role.ASSESSOR, uid=3)
        self.other_staff = who(self.other, OrgType.PROVIDER, uid=4)
        self.firm_staff = who(self.firm, OrgType.FIRM, uid=5)
        self.firm2_staff = who(self.firm2, OrgType.FIRM, uid=6)
        self.analyst = who(self.region, OrgType.REGION, Role.VIEWER, uid=7)
        self.region_admin = who(self.region, OrgType.REGION, Role.ADMIN, uid=8)
        with session_scope(engine) as s:
            centre = offer.register_centre(s, actor=self.centre_staff, organisation_id=self.cfp)
            self.seat = offer.add_seat(s, actor=self.centre_staff, centre_id=centre.id, name="Sede di Monza",
                                       comune_code=MONZA).id
            self.path = offer.create_path(s, actor=self.centre_staff, seat_id=self.seat, figure_code="Q-MECC",
                                          school_year=YEAR, year_of_course=2, places=20, enrolled=3).id
            self.rist = offer.create_path(s, actor=self.centre_staff, seat_id=self.seat, figure_code="Q-RIST",
                                          school_year=YEAR, year_of_course=2, places=20, enrolled=1).id

    def enrol(self, given: str, family: str, code: str, *, path: int | None = None, comune: str = MONZA,
              birth: date = date(2010, 3, 14), consent: str | None = "parent") -> int:
        with session_scope(self.engine) as s:
            sid = students.enrol(s, actor=self.centre_staff, path_id=path or self.path, tax_code=code,
                                 given_name=given, family_name=family, birth_date=birth, comune_code=comune).id
            if consent:
                students.record_consent(s, actor=self.centre_staff, student_id=sid, given_by=consent)
            return sid

    def place(self, *, firm: int | None = None, kind: str = "apprendistato", figure: str = "Q-MECC", seats: int = 1,
              comune: str = LISSONE, title: str = "Apprendista", publish: bool = True, hours: int = 500) -> int:
        staff = self.firm_staff if (firm or self.firm) == self.firm else self.firm2_staff
        with session_scope(self.engine) as s:
            return places.create_place(s, actor=staff, organisation_id=firm or self.firm, publish=publish,
                                       data=PlaceInput(kind, figure, title, seats, comune, "25.62", YEAR,
                                                       date(2026, 10, 1), date(2027, 6, 30), hours, 24, "Tutor")).id


@pytest.fixture(scope="module")
def base(sqlite_taxonomy: Engine, tmp_path_factory: pytest.TempPathFactory) -> Path:
    engine = copy_of(sqlite_taxonomy, tmp_path_factory.mktemp("iefp-base"))
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return Path(str(engine.url.database))


@pytest.fixture
def town(base: Path, tmp_path: Path) -> Town:
    import shutil

    from regia.db import make_engine

    target = tmp_path / "town.db"
    shutil.copyfile(base, target)
    return Town(make_engine(f"sqlite:///{target}"))


CODES = ("BNCLCU10C14F704R", "CLMSRA10L42E617Z", "FRRMTT09S23D286S", "RVIGLI09E48I625B", "GLLNDR08A30M052L")


def _cf(n: int) -> str:
    from stdnum.it import codicefiscale

    stem = CODES[n][:15]
    return stem + codicefiscale.calc_check_digit(stem)


# --- privacy --------------------------------------------------------------------------------------------------

def test_a_firm_never_sees_a_student_before_the_centre_proposes_them(town: Town) -> None:
    luca = town.enrol("Luca", "Bianchi", _cf(0))
    sara = town.enrol("Sara", "Colombo", _cf(1))
    place = town.place()
    with session_scope(town.engine) as s:
        with pytest.raises(Forbidden):  # a firm lists no students at all
            students.list_students(s, principal=town.firm_staff)
        assert places.candidates(s, principal=town.firm_staff, place_id=place) == []
        # the centre records Sara's interest without proposing her: still invisible to the firm
        places.set_preferences(s, actor=town.centre_staff, student_id=sara, place_ids=[place], propose=False)
        assert places.candidates(s, principal=town.firm_staff, place_id=place) == []
        places.set_preferences(s, actor=town.centre_staff, student_id=luca, place_ids=[place])
        seen = places.candidates(s, principal=town.firm_staff, place_id=place)
        assert [(c.name, c.student_rank) for c in seen] == [("Luca Bianchi", None)]  # not the student's rank
        # the Region reads pseudonyms and ranks, never names; another provider sees none of this centre's rows
        region = places.candidates(s, principal=town.analyst, place_id=place)
        assert {c.label for c in region} == {students.load(s, luca).label, students.load(s, sara).label}
        assert all(c.name is None for c in region)
        assert all(v.name is None and v.birth_date is None for v in students.list_students(s, principal=town.analyst))
        assert students.list_students(s, principal=town.other_staff) == []
        assert places.candidates(s, principal=town.other_staff, place_id=place) == []
        with pytest.raises(Forbidden):  # an IVC assessor of the same provider is no IeFP staff
            students.list_students(s, principal=town.assessor)
        names = {v.name for v in students.list_students(s, principal=town.centre_staff)}
        assert names == {"Luca Bianchi", "Sara Colombo"}


def test_no_proposal_without_the_family_consent_and_a_minor_cannot_consent(town: Town) -> None:
    luca = town.enrol("Luca", "Bianchi", _cf(0), consent=None)
    place = town.place()
    with session_scope(town.engine) as s:
        with pytest.raises(InvalidInput) as info:
            places.set_preferences(s, actor=town.centre_staff, student_id=luca, place_ids=[place])
        assert (info.value.field, info.value.key) == ("consent", "iefp.err.no_consent")
        with pytest.raises(InvalidInput) as info:
            students.record_consent(s, actor=town.centre_staff, student_id=luca, given_by="student")
        assert info.value.key == "iefp.err.consent_minor"
        with pytest.raises(Forbidden):
            students.record_consent(s, actor=town.other_staff, student_id=luca, given_by="parent")


def test_students_are_pseudonymised_and_checked(town: Town) -> None:
    luca = town.enrol("Luca", "Bianchi", _cf(0))
    with session_scope(town.engine) as s:
        row = students.load(s, luca)
        assert _cf(0) not in json.dumps({c.key: str(getattr(row, c.key)) for c in row.__table__.columns})
        assert row.label == "S-" + row.pseudonym[:8].upper()
        wrong = _cf(3)[:-1] + ("A" if _cf(3)[-1] != "A" else "B")  # a wrong check character
        with pytest.raises(InvalidInput) as info:
            students.enrol(s, actor=town.centre_staff, path_id=town.path, tax_code=wrong, given_name="X",
                           family_name="Y", birth_date=date(2010, 1, 1), comune_code=MONZA)
        assert (info.value.field, info.value.key) == ("tax_code", "iefp.err.tax_code")
        with pytest.raises(InvalidInput) as info:
            students.enrol(s, actor=town.centre_staff, path_id=town.path, tax_code=_cf(2), given_name="X",
                           family_name="Y", birth_date=date(2010, 1, 1), comune_code="999999")
        assert (info.value.field, info.value.key) == ("comune", "iefp.err.comune")


# --- matching rounds --------------------------------------------------------------------------------------

def test_a_round_matches_explains_and_keeps_its_input(town: Town) -> None:
    ids = [town.enrol(g, f, _cf(n), comune=c) for n, (g, f, c) in enumerate(
        (("Luca", "Bianchi", MONZA), ("Sara", "Colombo", LISSONE), ("Matteo", "Ferrari", SONDRIO)))]
    a = town.place(seats=1, comune=LISSONE, title="A")
    b = town.place(seats=1, comune=MILANO, title="B")
    with session_scope(town.engine) as s:
        for sid, prefs in zip(ids, ([a, b], [a, b], [a]), strict=True):
            places.set_preferences(s, actor=town.centre_staff, student_id=sid, place_ids=prefs)
        places.rank_candidates(s, actor=town.firm_staff, place_id=a, student_ids=[ids[1], ids[0], ids[2]])
        places.rank_candidates(s, actor=town.firm_staff, place_id=b, student_ids=[ids[0]])
        with pytest.raises(Forbidden):
            rounds.run_matching(s, actor=town.analyst, school_year=YEAR)  # a viewer reads, the staff runs
        run = rounds.run_matching(s, actor=town.region_admin, school_year=YEAR, commutes=Commutes(town.engine))
        labels = [students.load(s, i).label for i in ids]
        assert run.result["matching"] == {labels[0]: f"P{b}", labels[1]: f"P{a}", labels[2]: None}
        assert run.result["why"][labels[2]]["reason"] == "outranked"
        e = run.result["explanations"][labels[0]]
        assert (e["student_rank"], e["place_rank"], e["figure_fit"]["reason"]) == (2, 1, "same_figure")
        assert e["preferred"][0]["reason"] == "filled_by_preferred"
        # Monza -> Milano: some 15 km between centroids
        assert minutes_for_km(10) < e["commute_min"] < minutes_for_km(25)
        # the stored instance, matched again outside the database, gives the stored result
        again = matching.deferred_acceptance(matching.parse_instance(run.instance)).as_dict()
        assert again["matching"] == run.result["matching"]
        assert "Luca" not in json.dumps(run.instance) and "Luca" not in json.dumps(run.result)
        # each party reads its own assignments; names only for the centre and the firm
        firm_view = rounds.current_assignments(s, principal=town.firm_staff, school_year=YEAR)
        assert sorted(v.name for v in firm_view) == ["Luca Bianchi", "Sara Colombo"]
        assert [v.name for v in rounds.current_assignments(s, principal=town.analyst, school_year=YEAR)] == [None, None]
        assert rounds.current_assignments(s, principal=town.firm2_staff, school_year=YEAR) == []


def test_fit_score_mode_assigns_without_preferences_and_hides_names_until_confirmed(town: Town) -> None:
    near = town.enrol("Luca", "Bianchi", _cf(0), comune=LISSONE)
    cook = town.enrol("Sara", "Colombo", _cf(1), path=town.rist, comune=MONZA)
    far = town.enrol("Matteo", "Ferrari", _cf(2), comune=SONDRIO)
    mech = town.place(seats=1, comune=MONZA, title="Meccanica")
    with session_scope(town.engine) as s:
        run = rounds.run_matching(s, actor=town.region_admin, school_year=YEAR, mode="fit_score",
                                  commutes=Commutes(town.engine))
        label = {i: students.load(s, i).label for i in (near, cook, far)}
        assert run.result["matching"][label[near]] == f"P{mech}"  # same figure, 10 minutes away
        assert run.result["matching"][label[cook]] is None  # another figure: a far lower score
        assert run.result["why"][label[far]]["reason"] in ("places_taken", "no_eligible_place")
        assert run.result["explanations"][label[near]]["score"]["figure"] == 1.0
        [view] = rounds.current_assignments(s, principal=town.firm_staff, school_year=YEAR)
        assert view.name is None  # the centre has not proposed the student
        assignment = s.scalar(select(MatchAssignment).where(MatchAssignment.run_id == run.id))
        assert assignment is not None
        placements.start(s, actor=town.centre_staff, assignment_id=assignment.id)  # confirming proposes
        [view] = rounds.current_assignments(s, principal=town.firm_staff, school_year=YEAR)
        assert view.name == "Luca Bianchi"


def test_firms_rank_only_their_proposed_candidates(town: Town) -> None:
    luca = town.enrol("Luca", "Bianchi", _cf(0))
    sara = town.enrol("Sara", "Colombo", _cf(1))
    place = town.place()
    other_firms = town.place(firm=town.firm2)
    with session_scope(town.engine) as s:
        places.set_preferences(s, actor=town.centre_staff, student_id=luca, place_ids=[place])
        with pytest.raises(InvalidInput) as info:
            places.rank_candidates(s, actor=town.firm_staff, place_id=place, student_ids=[luca, sara])
        assert (info.value.field, info.value.key) == ("student_ids[1]", "iefp.err.not_candidate")
        with pytest.raises(Forbidden):
            places.rank_candidates(s, actor=town.firm_staff, place_id=other_firms, student_ids=[])
        with pytest.raises(InvalidInput) as info:
            places.set_preferences(s, actor=town.centre_staff, student_id=sara, place_ids=[place, place])
        assert info.value.key == "iefp.err.place_twice"


# --- training plans -------------------------------------------------------------------------------------------

def _placement(town: Town, *, kind: str = "apprendistato", hours: int = 500) -> int:
    luca = town.enrol("Luca", "Bianchi", _cf(0))
    place = town.place(kind=kind, hours=hours)
    with session_scope(town.engine) as s:
        places.set_preferences(s, actor=town.centre_staff, student_id=luca, place_ids=[place])
        places.rank_candidates(s, actor=town.firm_staff, place_id=place, student_ids=[luca])
        run = rounds.run_matching(s, actor=town.region_admin, school_year=YEAR)
        a = s.scalar(select(MatchAssignment).where(MatchAssignment.run_id == run.id))
        assert a is not None
        return placements.start(s, actor=town.centre_staff, assignment_id=a.id).id


WORK = [{"code": c, "where": "work"} for c in ("OM.S1", "OM.S2", "OM.S3", "OM.S4")]
CENTRE = [{"code": c, "where": "centre"} for c in ("OM.B1", "OM.B2", "OM.T1")]
GOOD = PlanInput(year_of_course=2, hours_work=500, hours_centre=490, weekly_hours_work=24, competences=WORK + CENTRE,
                 tutor_company="Paolo Redaelli", tutor_centre="Marta Sironi")


INVALID: list[tuple[dict[str, Any], str, str]] = [
    ({"hours_work": 300, "hours_centre": 690}, "hours_centre", "iefp.plan.centre_share"),  # > 60% in year 2
    ({"hours_work": 500, "hours_centre": 400}, "hours_centre", "iefp.plan.hours_total"),
    ({"weekly_hours_work": 44}, "weekly_hours_work", "iefp.plan.weekly_max"),
    ({"weekly_hours_work": 12}, "hours_work", "iefp.plan.period_too_short"),  # 500 h do not fit 39 weeks × 12
    ({"year_of_course": 1}, "year_of_course", "iefp.plan.year_too_early"),
    ({"competences": [*WORK, {"code": "TA.S1", "where": "work"}]}, "competences[4].code",
     "iefp.plan.competence_unknown"),  # a competence of another figure
    ({"competences": [*WORK, {"code": "OM.B1", "where": "ovunque"}]}, "competences[4].where",
     "iefp.plan.where_invalid"),
    ({"competences": WORK[:3] + CENTRE}, "competences", "iefp.plan.specific_missing"),
    ({"competences": [{**c, "where": "centre"} for c in WORK]}, "competences", "iefp.plan.no_work_competence"),
    ({"tutor_company": " "}, "tutor_company", "iefp.plan.tutor_company_missing"),
]


def test_invalid_plans_are_refused_with_the_field_and_the_reason(town: Town) -> None:
    pid = _placement(town)
    for change, field, key in INVALID:
        with session_scope(town.engine) as s, pytest.raises(PlanInvalid) as info:
            placements.save_plan(s, actor=town.centre_staff, placement_id=pid, plan=replace(GOOD, **change))
        issue = next((i for i in info.value.issues if i.key == key), None)
        assert issue is not None, (key, [i.key for i in info.value.issues])
        assert issue.field == field, (key, issue.field)
        assert issue.text("it") != key and issue.text("en") != key  # both languages say why
    with session_scope(town.engine) as s:
        assert s.scalar(select(TrainingPlan.id)) is None  # nothing stored
        assert placements.save_plan(s, actor=town.centre_staff, placement_id=pid, plan=GOOD).status == "draft"


def test_a_signed_plan_starts_the_contract_and_progress_and_outcome_follow(town: Town) -> None:
    pid = _placement(town)
    with session_scope(town.engine) as s:
        with pytest.raises(Forbidden):  # the plan is the centre's: the firm reports progress, never writes it
            placements.save_plan(s, actor=town.firm_staff, placement_id=pid, plan=GOOD)
        plan = placements.save_plan(s, actor=town.centre_staff, placement_id=pid, plan=GOOD, sign=True)
        p = s.get_one(Placement, pid)
        assert (p.status, p.contract_started_at, plan.figure_version_id) == ("active", date(2026, 10, 1),
                                                                              p.figure_version_id)
        placements.report_progress(s, actor=town.firm_staff, placement_id=pid, period=date(2026, 12, 1),
                                   hours_work_done=120, hours_centre_done=80, competences_acquired=["OM.S1"],
                                   side="firm")
        with pytest.raises(InvalidInput) as info:
            placements.report_progress(s, actor=town.centre_staff, placement_id=pid, period=date(2027, 1, 31),
                                       hours_work_done=100, hours_centre_done=90, competences_acquired=[])
        assert info.value.key == "iefp.err.decreasing"
        with pytest.raises(InvalidInput) as info:
            placements.report_progress(s, actor=town.centre_staff, placement_id=pid, period=date(2027, 1, 31),
                                       hours_work_done=200, hours_centre_done=90, competences_acquired=["TA.S1"])
        assert info.value.field == "competences_acquired[0]"
        placements.record_outcome(s, actor=town.centre_staff, placement_id=pid, outcome="qualified",
                                  outcome_at=date(2027, 7, 5), hired_after=True, hired_on=date(2027, 9, 1))
        assert (p.status, p.hired_source) == ("completed", "declared")
        view = system.overview(s, principal=town.analyst, school_year=YEAR, demand=None)
        assert view["contracts"]["apprenticeships_started"] == 1
        assert view["outcomes"] == {"by_outcome": {"qualified": 1}, "hired": {"co": 0, "declared": 1}, "finished": 1}
        assert "Luca" not in json.dumps(view, default=str)


def test_plans_and_paths_stay_on_the_version_they_were_made_against(town: Town, tmp_path: Path) -> None:
    pid = _placement(town)
    with session_scope(town.engine) as s:
        placements.save_plan(s, actor=town.centre_staff, placement_id=pid, plan=GOOD)
        v1 = s.get_one(Placement, pid).figure_version_id
    doc = json.loads(DEMO_FIGURES.read_text(encoding="utf-8"))
    mecc = next(f for f in doc["figures"] if f["code"] == "Q-MECC")
    mecc["competences"].append({"code": "OM.S5", "title": "Programmare macchine a controllo numerico",
                                "kind": "specific", "esco_skills": []})
    (tmp_path / "rep.json").write_text(json.dumps(doc), encoding="utf-8")
    assert figures.ingest_figures(town.engine, tmp_path / "rep.json", source="repertorio-2027").versions_new == 1
    with session_scope(town.engine) as s:
        p = s.get_one(Placement, pid)
        assert p.figure_version_id == v1 and p.plan is not None and p.plan.figure_version_id == v1
        # the old version's plan is still checked against the old version: OM.S5 is not in it
        with pytest.raises(PlanInvalid) as info:
            more = [*GOOD.competences, {"code": "OM.S5", "where": "work"}]
            placements.save_plan(s, actor=town.centre_staff, placement_id=pid, plan=replace(GOOD, competences=more))
        assert info.value.issues[0].key == "iefp.plan.competence_unknown"
        new = offer.create_path(s, actor=town.centre_staff, seat_id=town.seat, figure_code="Q-MECC",
                                school_year=YEAR, year_of_course=3, places=10)
        assert new.figure_version.number == 2 and new.figure_version_id != v1


# the bounds as data, checked by an oracle written from the sources (not from check_plan)
@settings(max_examples=200, deadline=None)
@given(st.integers(1, 4), st.integers(0, 1200), st.integers(0, 1200), st.integers(0, 50))
def test_hours_rules_match_the_documented_bounds(year: int, work: int, centre: int, weekly: int) -> None:
    ctx = Context(kind="apprendistato", figure_code="D-AUTO", figure_kind="diploma", figure_years=4,
                  competences={"S1": "specific"}, birth_date=date(2009, 1, 1), start_date=date(2026, 10, 1),
                  end_date=date(2027, 6, 30))
    plan = PlanInput(year, work, centre, weekly, [{"code": "S1", "where": "work"}], "T", "C")
    keys = {i.key for i in check_plan(plan, ctx)}
    weeks = 39  # 1 October to 30 June: 273 days
    expected = set()
    if year < 2:
        expected.add("iefp.plan.year_too_early")
    else:
        if work + centre != 990:
            expected.add("iefp.plan.hours_total")
        if centre > {2: 594, 3: 495, 4: 495}[year]:  # 60% of 990 in year 2, 50% after (D.M. 12/10/2015, art. 5)
            expected.add("iefp.plan.centre_share")
        if weekly > 40:  # a minor: at most 40 hours a week (L. 977/1967, art. 18)
            expected.add("iefp.plan.weekly_max")
        elif weekly == 0 and work > 0:
            expected.add("iefp.plan.weekly_missing")
        elif work > weekly * weeks:
            expected.add("iefp.plan.period_too_short")
    assert keys == expected
    assert bounds()["ordinamental_hours_per_year"]["value"] == 990


# --- the Region's view and the demand provider -----------------------------------------------------------------

ESCO = "http://data.europa.eu/esco/skill/"
DRAWINGS = ESCO + "68b6ef08-d823-489d-a95c-752ae6f6e6a7"  # of Q-MECC's OM.S1 (demo repertory)
MACHINES = ESCO + "156f8c5b-894a-4ccc-a70e-37a2726f3f00"  # of another Q-MECC competence
ELSEWHERE = ESCO + "ccd0a1d9-afda-43d9-b901-96344886e14d"  # no Q-MECC competence's


def _facts(root: Path, rows: list[tuple[int, str, str, str, str | None]],
           skills: dict[int, list[str]] | None = None) -> None:
    """Postings facts: (group id, NUTS3, ATECO section, division, CP2011 code); ``skills`` by posting number."""
    base = {k: None for k in facts.POSTINGS_SCHEMA.names}
    out = [{**base, "posting_id": n, "group_id": g, "synthetic": True, "month": "2026-10", "nuts3": nuts3,
            "nuts2": "ITC4", "ateco_section": section, "ateco_division": division, "cp": cp}
           for n, (g, nuts3, section, division, cp) in enumerate(rows, start=1)]
    facts.write_batch(root, facts.POSTINGS, 1, 0, out)
    blank = {k: None for k in facts.SKILLS_SCHEMA.names}
    facts.write_batch(root, facts.SKILLS, 1, 0, [
        {**blank, **{k: v for k, v in row.items() if k in blank}, "skill_uri": uri, "origin": "regia", "score": 1.0}
        for row in out for uri in (skills or {}).get(row["posting_id"], [])])


def test_the_region_sees_places_against_postings_and_pacts_needs(town: Town, tmp_path: Path) -> None:
    _facts(tmp_path / "facts", [(1, "ITC4D", "C", "25", "7.2.1.1.0"), (2, "ITC4D", "C", "25", None),
                                (2, "ITC4D", "C", "25", None), (3, "ITC4D", "C", "28", None),
                                (4, "ITC4C", "C", "25", "7.2.1.1.0"), (5, "ITC4D", "I", "56", None)],
           # postings 2 and 3 are one group; posting 5 is in Milan; posting 6 asks a skill of no Q-MECC competence
           {1: [DRAWINGS], 2: [DRAWINGS], 3: [DRAWINGS], 4: [MACHINES], 5: [MACHINES, DRAWINGS], 6: [ELSEWHERE]})
    with session_scope(town.engine) as s:
        s.add(Proposal(organisation_id=town.cfp, title="Patto di prova", status="submitted", body={
            "territory": {"nuts3": ["ITC4D"]}, "sectors": ["25"],
            "actions": [{"kind": "apprenticeship", "participants": 12, "target_group": "apprentices"},
                        {"kind": "training", "participants": 30, "target_group": "unemployed"}]}))
        s.add(Proposal(organisation_id=town.cfp, title="Bozza", status="draft", body={
            "territory": {"nuts3": ["ITC4D"]}, "sectors": ["C"],
            "actions": [{"kind": "placement", "participants": 99}]}))
    town.place(seats=2)
    demand = make_provider(town.engine, tmp_path / "facts")
    with session_scope(town.engine) as s:
        with pytest.raises(Forbidden):
            system.overview(s, principal=town.firm_staff, school_year=YEAR, demand=demand)
        view = system.overview(s, principal=town.analyst, school_year=YEAR, demand=demand)
        mb = view["provinces"]["ITC4D"]
        # 40 path places (Q-MECC and Q-RIST at Monza) and 2 apprenticeship seats; postings of C and I in MB: groups
        # 1, 2 (twice: one group), 3 and 5; the submitted pact's apprenticeship action (the draft does not count)
        assert (mb["path_places"], mb["firm_seats"], mb["apprenticeship_seats"]) == (40, 2, 2)
        assert (mb["postings"], mb["pact_needs"]) == (4, 12)
        assert mb["places_per_100_postings"] == pytest.approx(100 * 42 / 4, abs=0.1)
        row = next(r for r in view["rows"] if (r["nuts3"], r["section"]) == ("ITC4D", "C"))
        assert (row["path_places"], row["postings"], row["pact_needs"]) == (20, 3, 12)
        position = offer.path_position(s, path_id=town.path, principal=town.analyst, demand=demand)
        assert position["occupation_postings"] == 1  # CP 7.2.1.1.0 is one of Q-MECC's occupations, in MB
        assert (position["sector_postings"], position["pact_needs"]) == (3, 12)  # divisions 25 and 28
        # the figure's skills against the catalogue's mismatch in MB: demand in distinct posting groups, no
        # course teaches them here (supply 0); a skill of no Q-MECC competence is left out; the gap is the
        # mismatch's log2 of demand share over supply share, smoothed by 0.5 (4 posting groups in MB, 0 seats)
        assert [g["skill"] for g in position["skills"]] == [DRAWINGS, MACHINES]  # largest gap first
        for g, d in zip(position["skills"], (2, 1), strict=True):
            assert (g["demand"], g["supply"]) == (d, 0)
            assert g["gap"] == pytest.approx(math.log2(((d + 0.5) / 4.5) / (0.5 / 0.5)), abs=1e-4)


def test_the_hiring_seam_reads_the_co_records_by_pseudonym(town: Town) -> None:
    pid = _placement(town)
    with session_scope(town.engine) as s:
        placements.save_plan(s, actor=town.centre_staff, placement_id=pid, plan=GOOD, sign=True)
        placements.record_outcome(s, actor=town.centre_staff, placement_id=pid, outcome="qualified",
                                  outcome_at=date(2027, 7, 5), hired_after=False)
        pseudonym = s.get_one(Placement, pid).student.pseudonym
        asked: list[Any] = []

        def co_records(pseudonyms: Any, *, after: date) -> dict[str, Hire]:
            asked.append((list(pseudonyms), after))
            return {pseudonym: Hire(start_date=date(2027, 9, 15), contract="apprendistato")}

        with pytest.raises(Forbidden):
            placements.refresh_hiring(s, actor=town.centre_staff, lookup=co_records)
        assert placements.refresh_hiring(s, actor=town.region_admin, lookup=co_records) == 1
        p = s.get_one(Placement, pid)
        assert (p.hired_after, p.hired_on, p.hired_source) == (True, date(2027, 9, 15), "co")
        assert asked == [([pseudonym], date(2026, 10, 1))]
        assert placements.refresh_hiring(s, actor=town.region_admin, lookup=co_records) == 0  # idempotent
        placements.record_outcome(s, actor=town.centre_staff, placement_id=pid, outcome="qualified",
                                  outcome_at=date(2027, 7, 5), hired_after=False)
        assert p.hired_source == "co" and p.hired_after is True  # the records win over a declaration
