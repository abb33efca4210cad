"""Privacy over HTTP: every IeFP page and API answer, read as each role, against the names of two students of
the test centre — Luca, proposed to the firm's place, and Sara, whom the centre never proposed. The firm reads
Luca's name (where it concerns its place) and never Sara's; the Region, another provider and everyone else read
neither; the centre reads both."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from regia.auth import sessions
from support.accounts import World
from support.route_tables import iefp as table

NAMES = {"luca": ("Luca", "Bianchi"), "sara": ("Sara", "Colombo")}
READS = sorted(path for method, path in table.EXPECTED if method == "GET")


@pytest.fixture(scope="module")
def world(databases: object) -> tuple[World, TestClient]:
    return table.http_world(databases.new("sqlite"))  # type: ignore[attr-defined]


def _read_all(world: World, client: TestClient, role: str) -> dict[str, str]:
    values = table.params(world)
    out = {}
    for route in READS:
        path = re.sub(r"\{([^}]+)\}", lambda m: values[m.group(1)], route)
        client.cookies.clear()
        headers = {}
        if path.startswith("/api/"):
            headers = world.bearer(role)
        elif (cookie := world.session_cookie(role)) is not None:
            client.cookies.set(sessions.SESSION_COOKIE, cookie[0])
        params = {"school_year": table.YEAR} if path.endswith(("/system", "/assignments")) else {}
        response = client.get(path, headers=headers, params=params)
        assert response.status_code < 500, (role, path)
        out[path] = response.text if response.status_code == 200 else ""
    return out


def _mentions(texts: dict[str, str], who: str) -> list[str]:
    given, family = NAMES[who]
    return [path for path, text in texts.items() if given in text or family in text]


@pytest.mark.parametrize("role", ["firm_editor", "region_admin", "region_viewer", "other_provider_editor",
                                  "assessor", "fund_editor", "citizen", "anonymous", "evaluator"])
def test_names_reach_only_who_may_read_them(world: tuple[World, TestClient], role: str) -> None:
    texts = _read_all(*world, role)
    assert _mentions(texts, "sara") == [], f"{role} read the name of a student never proposed"
    if role == "firm_editor":
        assert _mentions(texts, "luca"), "the firm reads the name of the candidate proposed to it"
    else:
        assert _mentions(texts, "luca") == [], f"{role} read a student's name"


def test_the_centre_reads_its_students_names(world: tuple[World, TestClient]) -> None:
    texts = _read_all(*world, "provider_editor")
    assert _mentions(texts, "luca") and _mentions(texts, "sara")
