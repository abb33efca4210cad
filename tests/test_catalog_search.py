"""Search of a demo catalogue over the real taxonomy: Italian full text with facets, search by occupation,
facet counts checked against SQL, orientation, and the CLI's JSON."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from regia.catalog import orientation, service
from regia.catalog.demo_data import generate
from regia.catalog.ingest import ingest_file
from regia.catalog.search import Query
from regia.clock import rome_today
from regia.db import make_engine, migrate
from regia.taxonomy.normalize import fold

WELDER = "http://data.europa.eu/esco/occupation/7aedaa07-3884-4c5b-88f9-80997b2aa54b"
CNC_OPERATOR = "http://data.europa.eu/esco/occupation/5c082067-ea18-4ccb-8c43-e70b18ad8120"


@pytest.fixture(scope="module")
def catalog(sqlite_taxonomy: Engine, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """A copy of the imported taxonomy with a 600-course demo catalogue (declared skills, no classifier)."""
    folder = tmp_path_factory.mktemp("catalog")
    path = folder / "catalog.db"
    src = sqlite3.connect(str(sqlite_taxonomy.url.database))
    dst = sqlite3.connect(str(path))
    src.backup(dst)
    src.close()
    dst.close()
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    for csv_path, source in generate(engine, folder / "demo", courses=600, seed=11):
        ingest_file(engine, csv_path, source=source, tagger=None)
    return engine


def sql(engine: Engine, query: str, **params: object) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(query), params)]


def test_saldatura_in_brescia_for_unemployed_ranks_welding_courses_first(catalog: Engine) -> None:
    results = service.search(catalog, Query(text="saldatura", provinces=["BS"], targets=["disoccupati"]), size=50)
    assert results.total > 0
    welding = ["sald" in fold(h.title) for h in results.hits]
    assert welding[0]
    assert welding == sorted(welding, reverse=True)  # no welding course after a non-welding one
    for hit in results.hits:
        assert "ITC47" in hit.nuts3 and "disoccupati" in hit.targets
    scores = [h.score for h in results.hits]
    assert scores == sorted(scores, reverse=True)


def test_search_by_the_welder_occupation_returns_courses_teaching_its_essential_skills(catalog: Engine) -> None:
    results = service.search(catalog, Query(occupation="saldatore"), size=20)
    essential = {r[0] for r in sql(catalog, """
        select s.uri from concept o join concept_relation r on r.source_id = o.id and r.type = 'essential_skill'
        join concept s on s.id = r.target_id where o.uri = :welder""", welder=WELDER)}
    assert results.total > 0
    for hit in results.hits:
        taught = {r[0] for r in sql(catalog, "select uri from catalog_course_skill where course_id = :c", c=hit.id)}
        assert taught & essential, hit.title
    assert "sald" in fold(results.hits[0].title)
    expected_total = sql(catalog, """
        select count(distinct course_id) from catalog_course_skill where uri in (
          select s.uri from concept o join concept_relation r on r.source_id = o.id
          and r.type = 'essential_skill' join concept s on s.id = r.target_id where o.uri = :welder)
        or course_id in (select course_id from catalog_course_occupation where uri = :welder)""", welder=WELDER)
    assert results.total == expected_total[0][0]


FACET_SQL = {
    "province": "select e.nuts3, count(distinct e.course_id) from catalog_edition e where e.course_id in ({ids}) "
                "and e.nuts3 is not null group by e.nuts3",
    "target": "select target, count(*) from catalog_course_target where course_id in ({ids}) group by target",
    "modality": "select modality, count(*) from catalog_course where id in ({ids}) group by modality",
    "funding": "select channel, count(distinct course_id) from catalog_course_funding where course_id in ({ids}) "
               "group by channel",
    "hours": "select case when hours <= 16 then '1-16' when hours <= 40 then '17-40' when hours <= 120 then "
             "'41-120' else '121+' end, count(*) from catalog_course where id in ({ids}) group by 1",
    "digital": "select 'true', count(*) from catalog_course where id in ({ids}) and digital group by 1",
}


def test_facet_counts_match_sql(catalog: Engine) -> None:
    weld = "http://data.europa.eu/esco/skill/530cb489-d900-46ab-9350-4d50ccd49eea"  # welding techniques
    filtered = sql(catalog, """
        select c.id from catalog_course c where exists (select 1 from catalog_course_target t
          where t.course_id = c.id and t.target in ('disoccupati', 'stranieri'))
        and c.modality = 'presenza' and c.hours >= 16""")
    everything = service.search(catalog, Query(), size=1)
    assert everything.total == sql(catalog, "select count(*) from catalog_course")[0][0]
    query = Query(targets=["disoccupati", "stranieri"], modalities=["presenza"], hours_min=16)
    results = service.search(catalog, query, size=1)
    assert results.total == len(filtered)
    ids = ",".join(str(r[0]) for r in filtered)
    for facet, statement in FACET_SQL.items():
        expected = {str(k): int(v) for k, v in sql(catalog, statement.format(ids=ids))}
        assert results.facets[facet] == expected, facet
    # with a skill: the courses that teach it
    by_skill = service.search(catalog, Query(skills=[weld], provinces=["ITC47", "BG"]), size=1)
    expected_ids = sql(catalog, """
        select count(distinct s.course_id) from catalog_course_skill s join catalog_edition e
        on e.course_id = s.course_id where s.uri = :u and e.nuts3 in ('ITC47', 'ITC46')""", u=weld)
    assert by_skill.total == expected_ids[0][0]


def test_pagination_is_stable(catalog: Engine) -> None:
    page1 = service.search(catalog, Query(text="corso magazzino logistica"), size=5, page=1)
    page2 = service.search(catalog, Query(text="corso magazzino logistica"), size=5, page=2)
    assert not {h.id for h in page1.hits} & {h.id for h in page2.hits}
    assert page1.total == page2.total


def test_orientation_from_magazziniere_to_cnc_operator_near_lecco(catalog: Engine) -> None:
    plan = orientation.plan(catalog, target="operatore di macchine CNC", current="magazziniere", near="Lecco",
                            km=50)
    assert plan["target"]["uri"] == CNC_OPERATOR
    assert plan["missing"] and len(plan["missing"]) < plan["essential"] + 1
    missing = {s["uri"] for s in plan["missing"]}
    assert plan["courses"]
    keys = [(-c["covers"], c["hours"]) for c in plan["courses"]]
    assert keys == sorted(keys)
    for course in plan["courses"]:
        taught = {r[0] for r in sql(catalog, "select uri from catalog_course_skill where course_id = :c",
                                    c=course["id"])}
        assert len(taught & missing) == course["covers"] > 0
        assert course["distance_km"] is None or course["distance_km"] <= 50


@pytest.fixture
def regia(monkeypatch: pytest.MonkeyPatch, catalog: Engine) -> Iterator[CliRunner]:
    from regia.config import get_settings
    from regia.db import get_engine

    monkeypatch.setenv("REGIA_DATABASE_URL", catalog.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()
    get_engine.cache_clear()


def test_cli_search_json(regia: CliRunner) -> None:
    from regia.cli import app

    result = regia.invoke(app, ["catalog", "search", "saldatura", "--province", "BS", "--target", "disoccupati",
                                "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["total"] > 0
    assert {"id", "title", "provider", "course_code", "score"} <= set(data["results"][0])
    bad = regia.invoke(app, ["catalog", "search", "x", "--province", "ZZ"])
    assert bad.exit_code == 2


def test_cli_ingest_courses_json(regia: CliRunner, tmp_path: Path) -> None:
    from regia.cli import app

    sample = Path(__file__).resolve().parents[2] / "shared" / "samples" / "courses" / "courses.csv"
    result = regia.invoke(app, ["ingest", "courses", str(sample), "--source", "cfv", "--no-classify", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"read": 2, "stored": 2, "duplicate": 0, "rejected": 0}


# --- the demo catalogue tells a coherent story ---------------------------------------------------------------

def test_demo_editions_mostly_start_after_today(catalog: Engine) -> None:
    from datetime import date
    starts = [d for (d,) in sql(catalog, "SELECT start_date FROM catalog_edition WHERE start_date IS NOT NULL")]
    future = sum(1 for d in starts if date.fromisoformat(str(d)[:10]) >= rome_today())
    assert starts and future / len(starts) > 0.8, f"{future} of {len(starts)} editions start after today"


def test_fund_financed_demo_courses_are_for_employees(catalog: Engine) -> None:
    rows = sql(catalog, "SELECT DISTINCT t.target FROM catalog_course_target t JOIN catalog_course_funding f "
                        "ON f.course_id = t.course_id WHERE f.channel = 'fondo' AND t.course_id NOT IN "
                        "(SELECT course_id FROM catalog_course_funding WHERE channel != 'fondo')")
    assert rows and {t for (t,) in rows} <= {"occupati", "sospesi"}


def test_demo_fund_list_adds_its_own_courses_and_is_recognised_for_the_others(
        sqlite_taxonomy: Engine, tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    src, dst = sqlite3.connect(str(sqlite_taxonomy.url.database)), sqlite3.connect(str(path))
    src.backup(dst)
    src.close()
    dst.close()
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    reports = {source: ingest_file(engine, csv_path, source=source, tagger=None)
               for csv_path, source in generate(engine, tmp_path / "demo", courses=300, seed=3)}
    fund = reports["fondimpresa"]
    assert fund.read > 0 and fund.rejected == 0
    assert fund.stored > 0, "the Fund's own courses are new to the catalogue"
    assert fund.duplicate > 0, "the Fund's re-publications of its providers' courses are recognised"
    provider_vat = "09000000019"  # the demo provider account's organisation (regia.auth.demo)
    assert sql(engine, "SELECT count(*) FROM catalog_course c JOIN catalog_provider p ON p.id = c.provider_id "
                       "WHERE p.vat = :vat", vat=provider_vat)[0][0] > 0


def test_orientation_never_proposes_a_course_whose_editions_have_all_started(catalog: Engine) -> None:

    from regia.catalog import search as catalog_search

    course_id, skill = sql(catalog, "SELECT course_id, uri FROM catalog_course_skill ORDER BY id LIMIT 1")[0]
    before = sql(catalog, "SELECT id, start_date FROM catalog_edition WHERE course_id = :c", c=course_id)
    assert [r["id"] for r in orientation.courses_for_skills(catalog, [str(skill)], size=10_000)].count(course_id)
    try:
        with catalog.begin() as conn:  # the course's editions all moved to the past
            conn.execute(text("UPDATE catalog_edition SET start_date = '2020-01-13' WHERE course_id = :c"),
                         {"c": course_id})
        catalog_search.invalidate(catalog)
        rows = orientation.courses_for_skills(catalog, [str(skill)], size=10_000)
        assert rows and course_id not in {r["id"] for r in rows}
        assert all(r["next_start"] is None or r["next_start"] >= rome_today().isoformat() for r in rows)
    finally:
        with catalog.begin() as conn:
            for edition_id, start in before:
                conn.execute(text("UPDATE catalog_edition SET start_date = :s WHERE id = :i"),
                             {"s": start, "i": edition_id})
        catalog_search.invalidate(catalog)
