"""The catalogue's REST API and skills form with the access policy: search and courses are public; a provider
publishes and edits only its own courses (API and course page), a Fund publishes under its name, others may
not write (SQLite and PostgreSQL). The policy's ``catalog`` rule is checked here on its own too."""

from __future__ import annotations

import csv

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from regia.auth import sessions
from regia.auth.models import OrgType, Role
from regia.auth.policy import READ, WRITE, Resource, can
from regia.auth.principal import ANONYMOUS, Grant, Principal, cli_principal
from regia.catalog import service as catalog
from regia.catalog.models import ORIGIN_CLASSIFIER, Course, CourseSkill
from regia.web.app import create_app
from support.accounts import World, build_world
from test_catalog_ingest import SAMPLE, SKILLS, add_mini_taxonomy

PROVIDER_VAT = "09000000019"  # the provider organisation of the test world


@pytest.fixture
def world(empty_engine: Engine) -> World:
    world = build_world(empty_engine)  # before the mini taxonomy: its call's provinces are not all in it
    add_mini_taxonomy(empty_engine)
    return world


@pytest.fixture
def client(world: World) -> TestClient:
    app = create_app(engine=world.engine)
    app.state.auth_settings = world.settings
    return TestClient(app, raise_server_exceptions=False)


def sample(vat: str) -> list[dict[str, str]]:
    """The sample courses as published by the provider with this VAT (another VAT: another provider, with
    another name; a provider of the same name and course is recognised as the same one)."""
    with SAMPLE.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        row["provider_vat"] = vat
        if vat != PROVIDER_VAT:
            row["provider_name"] = "Accademia dei Mestieri di Lecco"
    return rows


def test_search_and_course_are_public(client: TestClient, world: World) -> None:
    published = client.post("/api/catalog/courses", json={"courses": sample(PROVIDER_VAT)},
                            headers=world.bearer("provider_editor"))
    assert published.status_code == 200, published.text
    assert {k: published.json()[k] for k in ("read", "stored", "duplicate", "rejected")} == \
        {"read": 2, "stored": 2, "duplicate": 0, "rejected": 0}
    found = client.get("/api/catalog/courses", params={"q": "haccp ristorazione", "province": "SO"})
    assert found.status_code == 200
    body = found.json()
    assert body["total"] == 1 and body["results"][0]["title"] == "HACCP per addetti alla ristorazione"
    assert body["facets"]["province"] == {"ITC44": 1}
    course = client.get(f"/api/catalog/courses/{body['results'][0]['id']}").json()
    assert course["sources"][0]["source"] == "Ente di formazione di prova"
    assert client.get("/api/catalog/courses/999999").status_code == 404
    assert client.get("/api/catalog/courses", params={"province": "ZZ"}).status_code == 422


def test_who_may_publish(client: TestClient, world: World) -> None:
    payload = {"courses": sample(PROVIDER_VAT)}
    assert client.post("/api/catalog/courses", json=payload).status_code == 401
    assert client.post("/api/catalog/courses", json=payload,
                       headers=world.bearer("partnership_editor")).status_code == 403
    assert client.post("/api/catalog/courses", json=payload, headers=world.bearer("fund_viewer")).status_code == 403
    # a provider may not publish another provider's courses
    other = client.post("/api/catalog/courses", json={"courses": sample("01234567897")},
                        headers=world.bearer("provider_editor")).json()
    assert (other["stored"], other["rejected"]) == (0, 2)
    # a Fund publishes any provider's course, under its own name; the provider's own copy is then recognised
    fund = client.post("/api/catalog/courses", json={"courses": sample("01234567897")},
                       headers=world.bearer("fund_editor")).json()
    assert (fund["stored"], fund["rejected"]) == (2, 0)
    again = client.post("/api/catalog/courses", json={"courses": sample("01234567897")},
                        headers=world.bearer("region_admin")).json()
    assert (again["stored"], again["duplicate"]) == (0, 2)


def test_only_the_provider_confirms_its_courses_skills(client: TestClient, world: World) -> None:
    own = client.post("/api/catalog/courses", json={"courses": sample(PROVIDER_VAT)},
                      headers=world.bearer("provider_editor")).json()["course_ids"][0]
    other = client.post("/api/catalog/courses", json={"courses": sample("01234567897")},
                        headers=world.bearer("fund_editor")).json()["course_ids"][0]
    body = {"confirm": [SKILLS["excel"][0]], "remove": []}
    ok = client.put(f"/api/catalog/courses/{own}/skills", json=body, headers=world.bearer("provider_editor"))
    assert ok.status_code == 200, ok.text
    assert ok.json()["skills"] == [{"uri": SKILLS["excel"][0], "label": "use spreadsheets software",
                                    "origin": "provider", "score": 1.0, "confirmed": True}]
    assert ok.json()["digital"] is True
    assert client.put(f"/api/catalog/courses/{other}/skills", json=body,
                      headers=world.bearer("provider_editor")).status_code == 403
    assert client.put(f"/api/catalog/courses/{own}/skills", json=body,
                      headers=world.bearer("fund_editor")).status_code == 403
    assert client.put(f"/api/catalog/courses/{own}/skills", json=body).status_code == 401
    bad = client.put(f"/api/catalog/courses/{own}/skills", json={"confirm": ["http://example.org/x"]},
                     headers=world.bearer("provider_editor"))
    assert bad.status_code == 422



# --- the policy's catalogue rule ------------------------------------------------------------------------------

def _member(org_id: int, org_type: OrgType, role: Role) -> Principal:
    return Principal(user_id=100 + org_id, grants=(Grant(org_id, org_type, role),), via="token")


OWN, OTHER, FUND, REGION = 5, 6, 7, 1


@pytest.mark.parametrize(("principal", "route", "own_course", "other_course"), [
    (_member(OWN, OrgType.PROVIDER, Role.EDITOR), True, True, False),   # its own course only
    (_member(OWN, OrgType.PROVIDER, Role.ADMIN), True, True, False),
    (_member(OWN, OrgType.PROVIDER, Role.VIEWER), False, False, False),
    (_member(FUND, OrgType.FUND, Role.EDITOR), True, False, False),     # publishes; edits no provider's skills
    (_member(FUND, OrgType.FUND, Role.VIEWER), False, False, False),
    (_member(REGION, OrgType.REGION, Role.ADMIN), True, True, True),     # Region staff: every course
    (_member(REGION, OrgType.REGION, Role.EDITOR), True, True, True),
    (_member(REGION, OrgType.REGION, Role.VIEWER), False, False, False),
    (_member(REGION, OrgType.REGION, Role.EVALUATOR), False, False, False),
    (_member(9, OrgType.PARTNERSHIP, Role.EDITOR), False, False, False),
    (Principal(user_id=50, via="session"), False, False, False),        # a citizen
    (ANONYMOUS, False, False, False),
    (cli_principal(), True, True, True),
])
def test_catalogue_policy(principal: Principal, route: bool, own_course: bool, other_course: bool) -> None:
    assert can(principal, READ, Resource.CATALOG) and can(principal, READ, Resource.CATALOG, object())
    assert can(principal, WRITE, Resource.CATALOG) is route
    own = catalog.CourseOwner(course_id=1, provider_vat="09000000019", organisation_ids=(OWN,))
    other = catalog.CourseOwner(course_id=2, provider_vat="01234567897", organisation_ids=(OTHER,))
    assert can(principal, WRITE, Resource.CATALOG, own) is own_course
    assert can(principal, WRITE, Resource.CATALOG, other) is other_course
    # a course whose provider has no account: Region staff only; a Fund whose VAT a course carries: still not
    assert can(principal, WRITE, Resource.CATALOG, catalog.CourseOwner(3, "x", ())) is other_course
    fund_owned = catalog.CourseOwner(course_id=4, provider_vat="97278470584", organisation_ids=(FUND,))
    assert can(principal, WRITE, Resource.CATALOG, fund_owned) is other_course


def test_course_owner_is_the_organisation_with_the_providers_vat(client: TestClient, world: World) -> None:
    own = client.post("/api/catalog/courses", json={"courses": sample(PROVIDER_VAT)},
                      headers=world.bearer("provider_editor")).json()["course_ids"][0]
    other = client.post("/api/catalog/courses", json={"courses": sample("01234567897")},
                        headers=world.bearer("fund_editor")).json()["course_ids"][0]
    assert catalog.course_owner(world.engine, own) == catalog.CourseOwner(own, PROVIDER_VAT, (world.orgs["provider"],))
    assert catalog.course_owner(world.engine, other) == catalog.CourseOwner(other, "01234567897", ())
    assert catalog.course_owner(world.engine, 999999) is None


# --- confirming skills: API and course page ---------------------------------------------------------------------

def _tagged_course(client: TestClient, world: World) -> int:
    """The provider's first sample course, tagged by the classifier with three skills (none confirmed)."""
    course_id: int = client.post("/api/catalog/courses", json={"courses": sample(PROVIDER_VAT)},
                                 headers=world.bearer("provider_editor")).json()["course_ids"][0]
    with Session(world.engine) as session:
        course = session.get(Course, course_id)
        assert course is not None
        course.skills.clear()
        for key, score in (("weld", 0.81), ("tig", 0.64), ("blue", 0.42)):
            course.skills.append(CourseSkill(uri=SKILLS[key][0], origin=ORIGIN_CLASSIFIER, score=score))
        session.commit()
    return course_id


def _stored(world: World, course_id: int) -> dict[str, tuple[str, bool]]:
    with Session(world.engine) as session:
        return {s.uri: (s.origin, s.confirmed)
                for s in session.scalars(select(CourseSkill).where(CourseSkill.course_id == course_id))}


def _login(client: TestClient, world: World, role: str) -> str:
    """A page session for ``role`` in the client's cookies; returns its CSRF token."""
    session = world.session_cookie(role)
    assert session is not None
    client.cookies.set(sessions.SESSION_COOKIE, session[0])
    return session[1]


def test_the_api_confirms_a_classifier_tag(client: TestClient, world: World) -> None:
    course = _tagged_course(client, world)
    weld, tig = SKILLS["weld"][0], SKILLS["tig"][0]
    ok = client.put(f"/api/catalog/courses/{course}/skills", json={"confirm": [weld], "remove": [tig]},
                    headers=world.bearer("provider_editor"))
    assert ok.status_code == 200, ok.text
    assert _stored(world, course) == {weld: ("classifier", True), SKILLS["blue"][0]: ("classifier", False)}
    # Region staff edit any course; a Fund's editors do not edit a provider's
    assert client.put(f"/api/catalog/courses/{course}/skills", json={"remove": [weld]},
                      headers=world.bearer("fund_editor")).status_code == 403
    assert client.put(f"/api/catalog/courses/{course}/skills", json={"confirm": [SKILLS["excel"][0]]},
                      headers=world.bearer("region_admin")).status_code == 200
    assert _stored(world, course)[SKILLS["excel"][0]] == ("provider", True)
    assert client.put("/api/catalog/courses/999999/skills", json={"confirm": []},
                      headers=world.bearer("provider_editor")).status_code == 404


def test_the_course_page_form_confirms_removes_and_adds(client: TestClient, world: World) -> None:
    course = _tagged_course(client, world)
    weld, tig, blue, excel = (SKILLS[k][0] for k in ("weld", "tig", "blue", "excel"))
    assert "skills-form" not in client.get(f"/catalog/courses/{course}").text  # anonymous: read-only
    for role in ("fund_editor", "partnership_editor", "citizen"):
        _login(client, world, role)
        page = client.get(f"/catalog/courses/{course}")
        assert page.status_code == 200 and "skills-form" not in page.text and "welding techniques" in page.text
    csrf = _login(client, world, "provider_editor")
    page = client.get(f"/catalog/courses/{course}")
    assert 'id="skills-form"' in page.text and f'data-uri="{weld}" data-origin="classifier"' in page.text
    assert "0,81" in page.text and csrf in page.text
    suggestions = client.get("/catalog/skills/suggest", params={"add_query": "spreadsheets", "course": course})
    assert suggestions.status_code == 200 and f'value="{excel}"' in suggestions.text
    assert "welding" not in client.get("/catalog/skills/suggest", params={"q": "welding techniques",
                                                                          "course": course}).text  # held already

    form = {"csrf_token": csrf, "confirm": [weld, blue], "remove": [tig, blue], "add": [excel],
            "add_query": "spreadsheets"}
    saved = client.post(f"/catalog/courses/{course}/skills", data=form, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == f"/catalog/courses/{course}?saved=1"
    # removing wins over confirming; the skill added is the provider's own
    assert _stored(world, course) == {weld: ("classifier", True), excel: ("provider", True)}
    shown = client.get(saved.headers["location"])
    assert "Competenze aggiornate." in shown.text
    assert f'data-uri="{weld}" data-origin="confirmed"' in shown.text
    assert f'data-uri="{excel}" data-origin="provider"' in shown.text
    assert "Skills updated." in client.get(f"/catalog/courses/{course}?saved=1&lang=en").text

    # without a suggestion chosen, the best match of the name typed; an unknown name: the page again, 422
    client.post(f"/catalog/courses/{course}/skills", data={"csrf_token": csrf, "add_query": "tungsten inert gas"},
                follow_redirects=False)
    assert _stored(world, course)[tig] == ("provider", True)
    bad = client.post(f"/catalog/courses/{course}/skills", data={"csrf_token": csrf, "add": ["http://example.org/x"]})
    assert bad.status_code == 422 and 'id="skills-error"' in bad.text
    # the CSRF token is required; others are refused
    assert client.post(f"/catalog/courses/{course}/skills", data={"remove": [weld]},
                       follow_redirects=False).status_code == 403
    fund_csrf = _login(client, world, "fund_editor")
    assert client.post(f"/catalog/courses/{course}/skills", data={"csrf_token": fund_csrf, "remove": [weld]},
                       follow_redirects=False).status_code == 403
    client.cookies.clear()
    anonymous = client.post(f"/catalog/courses/{course}/skills", data={"remove": [weld]}, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login?")
    assert _stored(world, course)[weld] == ("classifier", True)
    # Region staff use the form too
    region_csrf = _login(client, world, "region_admin")
    assert 'id="skills-form"' in client.get(f"/catalog/courses/{course}").text
    assert client.post(f"/catalog/courses/{course}/skills", data={"csrf_token": region_csrf, "remove": [weld]},
                       follow_redirects=False).status_code == 303
    assert weld not in _stored(world, course)
