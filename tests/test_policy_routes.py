"""Every route of the real app × every role: the expected allow/deny, and no route without a policy.

The expectations below are written out by hand from the rules (not computed by the policy module), so that
a change of policy shows up here as a diff. Adding a route without a declaration or without a row in
EXPECTED fails this test.

"Allowed" means the policy let the request through: any answer but 401/403 (and 404 where the route hides
others' rows, and a redirect to the login page for pages). Allowed requests must also not fail (no 5xx).
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from regia.auth import sessions
from regia.auth.policy import declared_policy, iter_routes, undeclared_routes
from regia.db import make_engine, migrate
from regia.web.app import bind_engine, create_app
from support import route_tables
from support.accounts import ALL_ROLES, ORGS, PASSWORD, World, build_world, publish_course

ALL = frozenset(ALL_ROLES)
AUTHENTICATED = ALL - {"anonymous"}
REGION_ADMIN = frozenset({"region_admin"})
ORG_A_ADMINS = frozenset({"region_admin", "partnership_admin"})
PROPOSAL_READERS = frozenset({"region_admin", "region_viewer", "evaluator", "fund_viewer", "fund_editor",
                              "fund_b_editor", "partnership_editor", "other_partnership_editor", "partnership_admin"})
PROPOSAL_CREATORS = frozenset({"partnership_editor", "other_partnership_editor", "partnership_admin"})
OWN_DRAFT_READERS = frozenset({"region_admin", "region_viewer", "partnership_editor", "partnership_admin"})
OWN_DRAFT_WRITERS = frozenset({"partnership_editor", "partnership_admin"})

# (method, path) -> roles allowed. Paths with parameters are filled from the world (see PARAMS).
EXPECTED: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/"): ALL,
    ("GET", "/health"): ALL,
    ("GET", "/openapi.json"): ALL,
    ("GET", "/docs"): ALL,
    ("GET", "/docs/oauth2-redirect"): ALL,
    ("GET", "/static"): ALL,
    ("GET", "/api/taxonomy/search"): ALL,
    ("GET", "/api/taxonomy/concepts/{concept_id:path}"): ALL,
    ("GET", "/api/taxonomy/stats"): ALL,
    ("GET", "/api/taxonomy/provinces.geojson"): ALL,
    ("GET", "/taxonomy"): ALL,
    ("GET", "/taxonomy/map"): ALL,
    ("GET", "/taxonomy/concepts/{concept_id:path}"): ALL,
    ("POST", "/api/auth/tokens"): ALL,
    ("GET", "/api/auth/tokens"): AUTHENTICATED,
    ("DELETE", "/api/auth/tokens/{token_id}"): frozenset({"partnership_editor"}),  # own token only
    ("GET", "/api/auth/me"): AUTHENTICATED,
    ("GET", "/api/orgs"): AUTHENTICATED,  # each sees their own (row-level, tested elsewhere)
    ("POST", "/api/orgs"): REGION_ADMIN,
    ("GET", "/api/orgs/{org_id}"): frozenset({"region_admin", "region_viewer", "evaluator", "partnership_editor",
                                              "partnership_admin"}),
    ("PATCH", "/api/orgs/{org_id}"): ORG_A_ADMINS,
    ("GET", "/api/users"): AUTHENTICATED,  # administrators their members, everyone else themself
    ("POST", "/api/users"): ORG_A_ADMINS,
    ("GET", "/api/users/{user_id}"): ORG_A_ADMINS | {"partnership_editor"},  # and the user themself
    ("PATCH", "/api/users/{user_id}"): ORG_A_ADMINS,
    ("PUT", "/api/users/{user_id}/memberships/{organisation_id}"): ORG_A_ADMINS,
    ("DELETE", "/api/users/{user_id}/memberships/{membership_id}"): ORG_A_ADMINS,
    ("GET", "/api/audit"): REGION_ADMIN,
    ("GET", "/api/audit/verify"): REGION_ADMIN,
    ("GET", "/api/audit/export"): REGION_ADMIN,
    ("GET", "/api/pacts/proposals"): PROPOSAL_READERS,
    ("POST", "/api/pacts/proposals"): PROPOSAL_CREATORS,
    ("GET", "/api/pacts/proposals/{proposal_id}"): OWN_DRAFT_READERS,
    ("PUT", "/api/pacts/proposals/{proposal_id}"): OWN_DRAFT_WRITERS,
    ("POST", "/api/pacts/proposals/{proposal_id}/submit"): OWN_DRAFT_WRITERS,
    # catalogue (regia.catalog, policy resource ``catalog``): public reads; Region staff, provider and Fund
    # editors pass the route level of writes; only the course's provider (and Region staff) edit its skills —
    # a Fund's editors publish but are refused this provider's course at row level
    ("GET", "/api/catalog/courses"): ALL,
    ("GET", "/api/catalog/courses/{course_id}"): ALL,
    ("POST", "/api/catalog/courses"): frozenset({"region_admin", "provider_editor", "other_provider_editor",
                                                   "fund_editor", "fund_b_editor"}),
    ("PUT", "/api/catalog/courses/{course_id}/skills"): frozenset({"region_admin", "provider_editor"}),
    ("GET", "/api/catalog/orientation"): ALL,
    ("GET", "/catalog"): ALL,
    ("GET", "/catalog/courses/{course_id}"): ALL,
    ("GET", "/catalog/orientation"): ALL,
    # demand/supply mismatch (regia.analytics): aggregates of public data
    ("GET", "/api/mismatch"): ALL,
    ("GET", "/api/mismatch/gap"): ALL,
    ("GET", "/mismatch"): ALL,
    ("GET", "/mismatch/gap"): ALL,
    # skill needs from postings (regia.analytics): any account
    ("GET", "/api/needs/summary"): AUTHENTICATED,
    ("GET", "/api/needs/provinces"): AUTHENTICATED,
    ("GET", "/api/needs/trend"): AUTHENTICATED,
    ("GET", "/api/needs/skills/top"): AUTHENTICATED,
    ("GET", "/api/needs/skills/emerging"): AUTHENTICATED,
    ("GET", "/api/needs/skills/cooccurrence"): AUTHENTICATED,
    ("GET", "/api/needs/cube"): AUTHENTICATED,
    ("GET", "/api/needs/compare"): AUTHENTICATED,
    ("GET", "/api/needs/examples"): AUTHENTICATED,
    ("GET", "/api/needs/report"): AUTHENTICATED,
    ("GET", "/fabbisogni"): AUTHENTICATED,
    ("GET", "/fabbisogni/risultati"): AUTHENTICATED,
    ("GET", "/fabbisogni/esempi"): AUTHENTICATED,
    ("GET", "/fabbisogni/confronto"): AUTHENTICATED,
    ("GET", "/fabbisogni/cooccorrenze"): AUTHENTICATED,
    # accounts (regia.auth) and pacts (regia.pacts)
    ("GET", "/login"): ALL,
    ("POST", "/login"): ALL,
    ("POST", "/logout"): AUTHENTICATED,
    ("GET", "/account"): AUTHENTICATED,
    ("GET", "/auth/oidc/login"): ALL,
    ("GET", "/auth/oidc/callback"): ALL,
    ("GET", "/admin/audit"): REGION_ADMIN,
    ("GET", "/pacts/proposals"): PROPOSAL_READERS,
    ("GET", "/pacts/proposals/{proposal_id}"): OWN_DRAFT_READERS,
    ("POST", "/pacts/proposals/{proposal_id}"): OWN_DRAFT_WRITERS,
}

# Extra cases on other rows of the same routes.
VARIANTS: list[tuple[str, str, str, frozenset[str]]] = [
    # another partnership's draft: only its own editors (and the Region) — never partnership A's editors
    ("GET", "/api/pacts/proposals/{proposal_id}", "draft_b",
     frozenset({"region_admin", "region_viewer", "other_partnership_editor"})),
    ("PUT", "/api/pacts/proposals/{proposal_id}", "draft_b", frozenset({"other_partnership_editor"})),
    ("GET", "/pacts/proposals/{proposal_id}", "draft_b",
     frozenset({"region_admin", "region_viewer", "other_partnership_editor"})),
    ("POST", "/pacts/proposals/{proposal_id}", "draft_b", frozenset({"other_partnership_editor"})),
    # a submitted proposal: evaluators and Funds read it too
    ("GET", "/api/pacts/proposals/{proposal_id}", "submitted_a",
     OWN_DRAFT_READERS | {"evaluator", "fund_viewer", "fund_editor", "fund_b_editor"}),
]

TABLES = route_tables.modules()
for _table in TABLES:
    _rows = getattr(_table, "EXPECTED", {})
    assert not set(_rows) & set(EXPECTED), f"{_table.__name__} repeats rows of the main table"
    EXPECTED.update(_rows)
    VARIANTS.extend(getattr(_table, "VARIANTS", []))

HIDDEN_404 = {("DELETE", "/api/auth/tokens/{token_id}")}  # others' tokens are not even acknowledged
for _table in TABLES:
    HIDDEN_404 |= set(getattr(_table, "HIDDEN_404", ()))  # a table's routes that hide others' rows


def _fill(path: str, world: World, proposal: str) -> str:
    values = {
        "concept_id:path": "ITC4C", "token_id": str(world.token_ids["partnership_editor"]),
        "org_id": str(world.orgs["partnership_a"]), "user_id": str(world.users["partnership_editor"]),
        "organisation_id": str(world.orgs["partnership_a"]),
        "membership_id": str(world.memberships["partnership_editor"]),
        "proposal_id": str(world.proposals[proposal]), "course_id": str(world.courses["provider"]),
    }
    # every table's values, the route's own table last: two domains may name a path parameter alike
    owners = [t for t in TABLES if any(p == path for _, p in getattr(t, "EXPECTED", {}))]
    for table in [t for t in TABLES if t not in owners] + owners:
        if hasattr(table, "params"):
            values.update(table.params(world))
    path = re.sub(r"\{([^}]+)\}", lambda m: values[m.group(1)], path)
    return "/static/regia.css" if path == "/static" else path


def _request_kwargs(method: str, path: str, world: World, role: str, csrf: str | None) -> dict[str, object]:
    a = world.orgs["partnership_a"]
    for table in TABLES:
        if hasattr(table, "request_kwargs") and (
                kwargs := table.request_kwargs(method, path, world, role, csrf)) is not None:
            return kwargs  # type: ignore[no-any-return]
    if path == "/api/auth/tokens" and method == "POST":
        return {"json": {"email": world.emails["partnership_editor"], "password": PASSWORD}}
    if path == "/api/orgs" and method == "POST":
        return {"json": {"name": "Camera di Commercio di prova", "type": "cciaa", "tax_code": "09000000043"}}
    if path.startswith("/api/orgs/") and method == "PATCH":
        return {"json": {"name": "Patto A (rinominato)"}}
    if path == "/api/users" and method == "POST":
        return {"json": {"email": f"new.{role}@example.org", "display_name": "Nuovo", "password": PASSWORD,
                         "memberships": [{"organisation_id": a, "role": "viewer"}]}}
    if path.startswith("/api/users/") and method == "PATCH":
        return {"json": {"display_name": "Redattore rinominato"}}
    if "/memberships/" in path and method == "PUT":
        return {"json": {"organisation_id": a, "role": "viewer"}}
    if path == "/api/pacts/proposals" and method == "POST":
        return {"json": {"title": "Nuova proposta", "body": {"summary": "x"}}}
    if path.startswith("/api/pacts/proposals/") and method == "PUT":
        return {"json": {"title": "Modificata", "body": {"summary": "y"}, "version": 1}}
    if path == "/login" and method == "POST":
        return {"data": {"email": world.emails["partnership_editor"], "password": PASSWORD,
                         "csrf_token": "login-csrf-token-for-tests", "next": "/"},
                "cookies": {sessions.LOGIN_CSRF_COOKIE: "login-csrf-token-for-tests"}}
    if path == "/logout":
        return {"data": {"csrf_token": csrf or ""}}
    if path.startswith("/pacts/proposals/") and method == "POST":
        return {"data": {"title": "Modificata dalla pagina", "summary": "z", "version": "1",
                         "csrf_token": csrf or ""}}
    if path == "/api/catalog/courses" and method == "POST":
        return {"json": {"courses": []}}
    if path.endswith("/skills") and method == "PUT":
        return {"json": {"confirm": [], "remove": []}}
    if path == "/api/taxonomy/search":
        return {"params": {"q": "lavoro"}}
    if path == "/auth/oidc/callback":
        return {"params": {"code": "x", "state": "y"}}
    return {}


def _outcome(method: str, route_path: str, status: int, location: str) -> str:
    if status >= 500:
        return "error"
    if status in (401, 403) or (status == 303 and location.startswith("/login?")):
        return "deny"
    if status == 404 and (method, route_path) in HIDDEN_404:
        return "deny"
    return "allow"


@pytest.fixture(scope="module")
def world_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, World]:
    path = tmp_path_factory.mktemp("routes") / "world.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    world = build_world(engine)
    world.courses["provider"] = publish_course(engine, vat=ORGS["provider"][3] or "")
    for table in TABLES:
        if hasattr(table, "seed"):
            table.seed(engine, world)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path, world


def _fresh_engine(world_file: tuple[Path, World], tmp_path: Path, n: int) -> Engine:
    copy = tmp_path / f"w{n}.db"
    shutil.copyfile(world_file[0], copy)
    return make_engine(f"sqlite:///{copy}")


def _app(engine: Engine, world: World) -> FastAPI:
    app = create_app(engine=engine)
    app.state.auth_settings = world.settings
    return app


def _rebound(app: FastAPI, engine: Engine) -> FastAPI:
    """The same app on another copy of the world (its routing, built on the first request, is kept)."""
    app.state.engine.dispose()
    bind_engine(app, engine)
    return app


def _call(app: FastAPI, world: World, method: str, route_path: str, proposal: str, role: str) -> tuple[int, str]:
    path = _fill(route_path, world, proposal)
    client = TestClient(app, raise_server_exceptions=False, follow_redirects=False)  # no lifespan: no warm-up
    headers: dict[str, str] = {}
    csrf = None
    if path.startswith("/api/"):
        headers.update(world.bearer(role))
    elif (session := world.session_cookie(role)) is not None:
        client.cookies.set(sessions.SESSION_COOKIE, session[0])
        csrf = session[1]
    kwargs = _request_kwargs(method, path, world, role, csrf)
    cookies = kwargs.pop("cookies", None)
    if isinstance(cookies, dict):
        for name, value in cookies.items():
            client.cookies.set(name, value)
    response = client.request(method, path, headers=headers, **kwargs)  # type: ignore[arg-type]
    return response.status_code, response.headers.get("location", "")


def test_every_route_declares_a_policy() -> None:
    app = create_app(engine=make_engine("sqlite://"))
    assert undeclared_routes(app.routes) == []
    served = set()
    for route in iter_routes(app.routes):
        assert declared_policy(route) is not None
        for method in route.methods - {"HEAD"} or {"GET"}:
            served.add((method, route.path))
    assert served - set(EXPECTED) == set(), "routes without a row in EXPECTED: add them with their allowed roles"
    assert set(EXPECTED) - served == set(), "rows in EXPECTED for routes that no longer exist"


def test_route_by_role_table(world_file: tuple[Path, World], tmp_path: Path) -> None:
    world = world_file[1]
    cases = [(m, p, "draft_a", allowed) for (m, p), allowed in EXPECTED.items()] + VARIANTS
    results: Counter[str] = Counter()
    unexpected_allows, unexpected_denies, errors = [], [], []
    n = 0
    app = _app(_fresh_engine(world_file, tmp_path, n), world)
    for method, route_path, proposal, allowed in cases:
        # Reads share a database (a fresh copy per route); each write gets its own copy of the world, so that
        # one role's change does not decide another role's outcome. One app throughout, rebound to each copy.
        if method == "GET":
            _rebound(app, _fresh_engine(world_file, tmp_path, n := n + 1))
        for role in ALL_ROLES:
            if method != "GET":
                _rebound(app, _fresh_engine(world_file, tmp_path, n := n + 1))
            status, location = _call(app, world, method, route_path, proposal, role)
            outcome = _outcome(method, route_path, status, location)
            expected = "allow" if role in allowed else "deny"
            results[f"{expected}:{outcome}"] += 1
            case = f"{method} {route_path} [{proposal}] as {role}: {status}"
            if outcome == "error":
                errors.append(case)
            elif outcome != expected:
                (unexpected_allows if outcome == "allow" else unexpected_denies).append(case)
    app.state.engine.dispose()
    checked = sum(results.values())
    print(f"\nroute x role table: {len(cases)} cases x {len(ALL_ROLES)} roles = {checked} requests; {dict(results)}")
    assert errors == [], sorted({e.split(" as ")[0] for e in errors})
    assert unexpected_allows == [], unexpected_allows
    assert unexpected_denies == [], unexpected_denies
    assert checked == len(cases) * len(ALL_ROLES) >= 450
