"""The mismatch of skill demand and training supply, checked against hand-written SQL: DuckDB over the
postings facts for demand, SQL over the catalogue tables for supply; the gap formula, its confidence flag,
sorting, the close-a-gap view, skill groups, the API and the CLI."""

from __future__ import annotations

import json
import math
import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from regia.analytics import mismatch as mm
from regia.catalog.demo_data import generate
from regia.catalog.ingest import ingest_file
from regia.db import make_engine, migrate
from regia.postings import facts

WELDER = "http://data.europa.eu/esco/occupation/7aedaa07-3884-4c5b-88f9-80997b2aa54b"
TEAMWORK = "http://data.europa.eu/esco/skill/60c78287-22eb-4103-9c8c-28deaa460da0"


def sql(engine: Engine, query: str, **params: object) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(query), params)]


def build_world(taxonomy: Engine, folder: Path, *, courses: int = 500) -> tuple[Engine, Path, list[str]]:
    """A copy of the taxonomy with a demo catalogue, and postings facts for Bergamo manufacturing (and some
    elsewhere) asking for skills taught there and for skills nobody teaches. Returns (engine, facts dir,
    the skills asked in Bergamo)."""
    path = folder / "world.db"
    src, dst = sqlite3.connect(str(taxonomy.url.database)), sqlite3.connect(str(path))
    src.backup(dst)
    src.close()
    dst.close()
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    for csv_path, source in generate(engine, folder / "demo", courses=courses, seed=5):
        ingest_file(engine, csv_path, source=source, tagger=None)
    taught = [r[0] for r in sql(engine, """
        select s.uri from catalog_course_skill s join catalog_edition e on e.course_id = s.course_id
        where e.nuts3 = 'ITC46' group by s.uri order by sum(e.seats) desc, s.uri limit 6""")]
    untaught = [r[0] for r in sql(engine, """
        select c.uri from concept c where c.type = 'skill' and c.uri not in
        (select uri from catalog_course_skill) order by c.uri limit 3""")]
    asked = [*taught, TEAMWORK if TEAMWORK in untaught else untaught[0], *untaught[1:]]
    rng = random.Random(3)
    postings, skills = [], []
    posting_id = 0
    for group in range(1, 181):
        bergamo = group <= 120
        nuts3, section, division = ("ITC46", "C", "25") if bergamo else ("ITC4C", "G", "47")
        if bergamo and group > 100:
            section, division = "F", "43"  # Bergamo, another sector
        chosen = rng.sample(asked, rng.randint(1, 4))
        for copy in range(1 + (group % 7 == 0)):  # near-duplicates: same group, another posting
            posting_id += 1
            base = {"posting_id": posting_id, "group_id": group, "nuts3": nuts3, "nuts2": "ITC4",
                    "ateco_section": section, "ateco_division": division, "occupation": WELDER if group % 2 else None,
                    "synthetic": True, "dedup": "lead" if copy == 0 else "near", "month": "2026-05"}
            postings.append(base)
            skills += [{**base, "skill_uri": s, "origin": "regia", "score": 1.0} for s in chosen]
    root = folder / "facts"
    facts.write_batch(root, facts.POSTINGS, 1, 1, postings)
    facts.write_batch(root, facts.SKILLS, 1, 1, skills)
    return engine, root, asked


@pytest.fixture(scope="module")
def world(sqlite_taxonomy: Engine, tmp_path_factory: pytest.TempPathFactory) -> tuple[Engine, Path, list[str]]:
    return build_world(sqlite_taxonomy, tmp_path_factory.mktemp("mismatch"))


def expected_demand(root: Path, territory: str, section: str) -> tuple[dict[str, int], int]:
    con = duckdb.connect()
    glob = str(root / "posting_skills" / "*.parquet")
    rows = con.execute(f"select skill_uri, count(distinct group_id) from read_parquet('{glob}') "
                       "where nuts3 = ? and ateco_section = ? group by skill_uri", [territory, section]).fetchall()
    total = con.execute(f"select count(distinct group_id) from read_parquet('{root / 'postings' / '*.parquet'}') "
                        "where nuts3 = ? and ateco_section = ?", [territory, section]).fetchall()[0][0]
    return dict(rows), total


def test_bergamo_manufacturing_rows_match_sql(world: tuple[Engine, Path, list[str]]) -> None:
    engine, root, _ = world
    table = mm.mismatch(engine, territory="BG", sector="C", facts_dir=root, limit=100)
    demand, total = expected_demand(root, "ITC46", "C")
    assert table.territory == "ITC46" and table.territory_label == "Bergamo"
    assert table.postings == total == 100
    seats_total = sql(engine, "select sum(seats) from catalog_edition where nuts3 = 'ITC46'")[0][0]
    assert table.seats == seats_total
    assert {r.skill for r in table.rows} == set(demand)
    for row in table.rows:
        assert row.demand == demand[row.skill]
        supply = sql(engine, """
            select coalesce(sum(e.seats), 0), count(distinct e.course_id) from catalog_edition e
            where e.nuts3 = 'ITC46' and e.course_id in (select course_id from catalog_course_skill where uri = :u)""",
                     u=row.skill)[0]
        assert (row.supply, row.courses) == supply
        assert row.gap == pytest.approx(
            math.log2(((row.demand + 0.5) / (total + 0.5)) / ((row.supply + 0.5) / (seats_total + 0.5))), abs=1e-3)
        assert sum(row.by_target.values()) >= row.supply or row.supply == 0
    gaps = [r.gap for r in table.rows]
    assert gaps == sorted(gaps, reverse=True)
    assert table.rows[0].supply == 0  # the first gaps: asked and not taught here
    assert any(r.supply > 0 for r in table.rows)


def test_confidence_flag_and_sorting(world: tuple[Engine, Path, list[str]]) -> None:
    engine, root, _ = world
    table = mm.mismatch(engine, territory="ITC46", sector="F", facts_dir=root, sort="demand")
    assert table.postings == 20
    assert all(r.confidence == "low" for r in table.rows if r.demand < 10)
    demands = [r.demand for r in table.rows]
    assert demands == sorted(demands, reverse=True)
    assert mm.confidence(40, 100, 500, 10) == "high"
    assert mm.confidence(20, 100, 500, 10) == "medium"
    assert mm.confidence(40, 100, 20, 1) == "low"  # thin supply: two courses or fewer
    lo, hi = mm.wilson(5, 10)
    assert lo < 0.5 < hi
    with pytest.raises(ValueError):
        mm.mismatch(engine, territory="Atlantide", facts_dir=root)


def test_courses_nobody_here_asks_for(world: tuple[Engine, Path, list[str]]) -> None:
    engine, root, _ = world
    table = mm.mismatch(engine, territory="BG", sector="C", facts_dir=root)
    demand, _ = expected_demand(root, "ITC46", "C")
    assert table.no_demand
    for row in table.no_demand:
        assert row.skill not in demand and row.supply > 0 and row.demand == 0


def test_close_a_gap_lists_courses_nearby_or_the_profile_of_a_new_one(world: tuple[Engine, Path, list[str]]) -> None:
    engine, root, asked = world
    taught = mm.close_gap(engine, skill=asked[0], territory="BG", facts_dir=root, km=40)
    assert taught["courses"]
    for course in taught["courses"]:
        teaches = sql(engine, "select count(*) from catalog_course_skill where course_id = :c and uri = :u",
                      c=course["id"], u=asked[0])[0][0]
        assert teaches == 1
        assert course["distance_km"] is None or course["distance_km"] <= 40
    assert any(c["distance_km"] is not None for c in taught["courses"])
    missing = mm.close_gap(engine, skill=asked[6], territory="BG", sector="C", facts_dir=root)
    assert missing["courses"] == []
    assert missing["profile"]["occupations"][0]["uri"] == WELDER
    assert missing["profile"]["skills"]


def test_skill_groups(world: tuple[Engine, Path, list[str]]) -> None:
    engine, root, _ = world
    table = mm.mismatch(engine, territory="BG", sector="C", by_group=True, facts_dir=root, limit=500)
    groups = mm.skill_groups(sessionless(engine))
    con = duckdb.connect()
    con.register("g", __import__("pyarrow").table({"skill_uri": list(groups), "group_uri": list(groups.values())}))
    glob = str(root / "posting_skills" / "*.parquet")
    expected = dict(con.execute(f"select g.group_uri, count(distinct s.group_id) from read_parquet('{glob}') s "
                                "join g using (skill_uri) where nuts3 = 'ITC46' and ateco_section = 'C' "
                                "group by 1").fetchall())
    assert {r.skill: r.demand for r in table.rows} == expected


def sessionless(engine: Engine):  # type: ignore[no-untyped-def]
    from sqlalchemy.orm import Session

    return Session(engine)


@pytest.fixture
def client(world: tuple[Engine, Path, list[str]], monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    from regia.config import get_settings
    from regia.web.app import create_app

    engine, root, _ = world
    monkeypatch.setenv("REGIA_DATA_DIR", str(root.parent))
    monkeypatch.setattr(facts, "default_dir", lambda: root)
    get_settings.cache_clear()
    yield TestClient(create_app(engine=engine))
    get_settings.cache_clear()


def test_api_and_page_show_the_same_numbers(client: TestClient, world: tuple[Engine, Path, list[str]]) -> None:
    engine, root, _ = world
    data = client.get("/api/mismatch", params={"territory": "BG", "sector": "C"}).json()
    table = mm.mismatch(engine, territory="BG", sector="C", facts_dir=root)
    assert [(r["skill"], r["demand"], r["supply"], r["gap"]) for r in data["rows"]] == \
        [(r.skill, r.demand, r.supply, r.gap) for r in table.rows]
    page = client.get("/mismatch", params={"territory": "ITC46", "sector": "C"})
    assert page.status_code == 200
    assert table.rows[0].label in page.text
    assert client.get("/api/mismatch", params={"sector": "ZZZ"}).status_code == 422


def test_cli_report_json(world: tuple[Engine, Path, list[str]], monkeypatch: pytest.MonkeyPatch,
                         tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from regia.cli import app
    from regia.config import get_settings
    from regia.db import get_engine

    engine, root, _ = world
    monkeypatch.setenv("REGIA_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setattr(facts, "default_dir", lambda: root)
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        result = CliRunner().invoke(app, ["report", "mismatch", "--territory", "ITC46", "--sector", "C", "--json",
                                          "--out", str(tmp_path / "r.html")])
    finally:
        get_settings.cache_clear()
        get_engine.cache_clear()
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"skill", "label", "demand", "supply", "gap"} <= set(data["rows"][0])
    assert "<html" in (tmp_path / "r.html").read_text(encoding="utf-8")
