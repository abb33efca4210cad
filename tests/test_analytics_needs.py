"""Skills-needs analytics and `regia report needs` against hand-written SQL over the Parquet facts."""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from scipy import stats
from sqlalchemy import Engine
from typer.testing import CliRunner

from regia.analytics import FilterError, Needs
from regia.analytics.needs import bh, two_proportions
from regia.cli import app
from regia.config import get_settings
from regia.db import get_engine, make_engine, migrate
from regia.postings import demo_data, privacy, service

PSEUDONYM_KEY = "test-key-for-analytics-0123456789abcdef"


@pytest.fixture(scope="module")
def world(sqlite_taxonomy: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, Path]]:
    """A database with the taxonomy and ~2,000 synthetic postings ingested (the feed's own skills only)."""
    root = tmp_path_factory.mktemp("needs")
    src, dst = sqlite3.connect(str(sqlite_taxonomy.url.database)), sqlite3.connect(str(root / "regia.db"))
    src.backup(dst)
    src.close()
    dst.close()
    engine = make_engine(f"sqlite:///{root / 'regia.db'}")
    migrate(engine)
    demo_data.generate(sqlite_taxonomy, root / "demo", n=2000, seed=5)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("REGIA_PSEUDONYM_KEY", PSEUDONYM_KEY)
        privacy._key.cache_clear()
        service.ingest(engine, demo_data.input_files(root / "demo"), facts_dir=root / "data" / "facts" / "postings")
        privacy._key.cache_clear()
        yield engine, root / "data"


@pytest.fixture(scope="module")
def needs(world: tuple[Engine, Path]) -> Needs:
    engine, data = world
    return Needs(engine, data / "facts" / "postings")


def sql(data: Path, query: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    """Hand-written SQL over the Parquet files themselves (not through Regia's views)."""
    root = data / "facts" / "postings"
    con = duckdb.connect()
    q = query.replace("POSTINGS", f"read_parquet('{root}/postings/*.parquet')").replace(
        "SKILLS", f"read_parquet('{root}/posting_skills/*.parquet')")
    return con.execute(q, params or []).fetchall()


MI_C = "nuts3 = 'ITC4C' AND ateco_section = 'C' AND month >= '2025-01'"
BS_C = "nuts3 = 'ITC47' AND ateco_section = 'C' AND month >= '2025-01'"


@pytest.fixture(scope="module")
def report(world: tuple[Engine, Path]) -> dict[str, Any]:
    engine, data = world
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("REGIA_DATABASE_URL", engine.url.render_as_string(hide_password=False))
        mp.setenv("REGIA_DATA_DIR", str(data))
        get_settings.cache_clear()
        get_engine.cache_clear()
        result = CliRunner().invoke(app, ["report", "needs", "--territory", "Milano", "--sector", "C", "--from",
                                          "2025-01", "--compare", "Brescia", "--json"])
        get_settings.cache_clear()
        get_engine.cache_clear()
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_report_needs_milano_vs_brescia_manufacturing_equals_sql(report: dict[str, Any],
                                                                 world: tuple[Engine, Path]) -> None:
    _, data = world
    [(postings, ads, employers)] = sql(data, f"SELECT count(DISTINCT group_id), count(*), count(DISTINCT "
                                             f"employer_key) FROM POSTINGS WHERE {MI_C}")
    assert postings > 50
    assert (report["postings"], report["ads"], report["employers"]) == (postings, ads, employers)
    assert report["filters"] == {"territory": "ITC4C", "sector": "C", "occupation": None, "skill": None,
                                 "from": "2025-01", "to": None, "origin": "all"}
    months = sql(data, f"SELECT month, count(DISTINCT group_id) FROM POSTINGS WHERE {MI_C} GROUP BY 1 ORDER BY 1")
    assert [(r["month"], r["postings"]) for r in report["by_month"]] == months
    top = sql(data, f"SELECT skill_uri, count(DISTINCT group_id) c FROM SKILLS WHERE {MI_C} GROUP BY 1 "
                    "ORDER BY c DESC, skill_uri LIMIT 20")
    assert [(r["skill"], r["postings"]) for r in report["top_skills"]] == top
    assert all(math.isclose(r["share"], r["postings"] / postings) for r in report["top_skills"])
    [(digital, green)] = sql(data, f"SELECT count(DISTINCT group_id) FILTER (WHERE digital), count(DISTINCT "
                                   f"group_id) FILTER (WHERE green) FROM SKILLS WHERE {MI_C}")
    assert math.isclose(report["shares"]["digital_share"], digital / postings)
    assert math.isclose(report["shares"]["green_share"], green / postings)
    provinces = dict(sql(data, "SELECT nuts3, count(DISTINCT group_id) FROM POSTINGS WHERE ateco_section = 'C' "
                               "AND month >= '2025-01' GROUP BY 1"))
    assert {r["province"]: r["postings"] for r in report["by_province"]} == provinces
    assert report["synthetic"] is True and Path(report["html"]).is_file()

    c = report["comparison"]
    [(bs_postings,)] = sql(data, f"SELECT count(DISTINCT group_id) FROM POSTINGS WHERE {BS_C}")
    assert (c["a"]["postings"], c["b"]["postings"]) == (postings, bs_postings)
    assert c["b"]["filters"]["territory"] == "ITC47"
    for row in c["skills"][:5]:
        [(xa,)] = sql(data, f"SELECT count(DISTINCT group_id) FROM SKILLS WHERE {MI_C} AND skill_uri = ?",
                      [row["skill"]])
        [(xb,)] = sql(data, f"SELECT count(DISTINCT group_id) FROM SKILLS WHERE {BS_C} AND skill_uri = ?",
                      [row["skill"]])
        assert (row["a_postings"], row["b_postings"]) == (xa, xb)
        table = [[xa, postings - xa], [xb, bs_postings - xb]]
        chi2, p, _, _ = stats.chi2_contingency(table, correction=False)
        assert math.isclose(row["z"] ** 2, chi2, rel_tol=1e-9) and math.isclose(row["p"], p, rel_tol=1e-6)


def test_emerging_skills_follow_the_z_test_and_bh(needs: Needs, world: tuple[Engine, Path]) -> None:
    _, data = world
    result = needs.emerging_skills(needs.filters(), months=6, min_postings=5)
    recent, previous = result["recent"], result["previous"]
    [(n1,)] = sql(data, "SELECT count(DISTINCT group_id) FROM POSTINGS WHERE month BETWEEN ? AND ?", recent)
    [(n0,)] = sql(data, "SELECT count(DISTINCT group_id) FROM POSTINGS WHERE month BETWEEN ? AND ?", previous)
    assert (result["postings_recent"], result["postings_previous"]) == (n1, n0)
    rows = sql(data, "SELECT skill_uri, count(DISTINCT group_id) FILTER (WHERE month BETWEEN ? AND ?), "
                     "count(DISTINCT group_id) FILTER (WHERE month BETWEEN ? AND ?) FROM SKILLS "
                     "WHERE month BETWEEN ? AND ? GROUP BY 1 HAVING count(DISTINCT group_id) >= 5 ORDER BY 1",
               [*recent, *previous, previous[0], recent[1]])
    assert result["tested"] == len(rows)
    pvalues = []
    for _, x1, x0 in rows:
        p = (x1 + x0) / (n1 + n0)
        z = (x1 / n1 - x0 / n0) / math.sqrt(p * (1 - p) * (1 / n1 + 1 / n0))
        pvalues.append(stats.norm.sf(z))
    order = sorted(range(len(pvalues)), key=lambda i: pvalues[i])  # Benjamini-Hochberg by hand
    q = [0.0] * len(pvalues)
    running = 1.0
    for rank in range(len(order), 0, -1):
        i = order[rank - 1]
        running = min(running, pvalues[i] * len(pvalues) / rank)
        q[i] = running
    expected = sorted((uri for (uri, _, _), qi, pi in zip(rows, q, pvalues, strict=True)
                       if qi < 0.05 and pi < 0.5))
    assert sorted(r["skill"] for r in result["skills"]) == expected[:20] or len(expected) > 20
    for r in result["skills"]:
        i = [u for u, _, _ in rows].index(r["skill"])
        assert math.isclose(r["q"], q[i], rel_tol=1e-9) and r["share_recent"] > r["share_previous"]
    assert result["skills"], "the demo data plants skills that grow over the period"


def test_cube_and_cooccurrence_equal_sql(needs: Needs, world: tuple[Engine, Path]) -> None:
    _, data = world
    f = needs.filters(sector="C")
    cube = needs.cube(f, ["province", "month"])
    expected = sql(data, "SELECT nuts3, month, count(DISTINCT group_id), count(*) FROM POSTINGS WHERE "
                         "ateco_section = 'C' GROUP BY ALL")
    assert sorted((r["province"], r["month"], r["postings"], r["ads"]) for r in cube) == sorted(
        expected, key=lambda r: (r[0] or "", r[1]))
    skills = needs.cube(needs.filters(territory="BG"), ["skill", "month"])
    expected = sql(data, "SELECT skill_uri, month, count(DISTINCT group_id) FROM SKILLS WHERE nuts3 = 'ITC46' "
                         "GROUP BY ALL")
    assert sorted((r["skill"], r["month"], r["postings"]) for r in skills) == sorted(expected)
    pairs = needs.cooccurrence(needs.filters(), top=10, n=3)
    a, b = pairs[0]["a"], pairs[0]["b"]
    [(together,)] = sql(data, "SELECT count(*) FROM (SELECT DISTINCT group_id FROM SKILLS WHERE skill_uri = ?) x "
                              "JOIN (SELECT DISTINCT group_id FROM SKILLS WHERE skill_uri = ?) y USING (group_id)",
                        [a, b])
    assert pairs[0]["together"] == together and pairs[0]["lift"] > 0


def test_filters_understand_names_and_refuse_nonsense(needs: Needs) -> None:
    assert needs.filters(territory="Milano").territory == "ITC4C"
    assert needs.filters(territory="BG").territory == "ITC46"
    assert needs.filters(territory="Sesto S. Giovanni (MI)").territory == "015209"
    assert needs.filters(territory="Lombardia").territory == "ITC4"
    assert needs.filters(sector="c").sector == "C"
    for kwargs, fld in (({"territory": "Atlantide"}, "territory"), ({"sector": "ZZ"}, "sector"),
                        ({"sector": "04"}, "sector"), ({"start": "2025-13"}, "from"),
                        ({"start": "2025-05", "end": "2025-01"}, "to"), ({"occupation": "saldatore"}, "occupation")):
        with pytest.raises(FilterError) as exc:
            needs.filters(**kwargs)
        assert exc.value.field == fld


def test_examples_are_anonymised_leads(needs: Needs, world: tuple[Engine, Path]) -> None:
    _, data = world
    examples = needs.examples(needs.filters(territory="ITC4C"), limit=50)
    assert examples and all(e["posting_id"] == e["group_id"] for e in examples)
    assert all("employer" not in e and "employer_key" not in e for e in examples)
    assert not [e for e in examples if "@" in e["text"]]
    [(n,)] = sql(data, "SELECT count(*) FROM POSTINGS WHERE nuts3 = 'ITC4C' AND posting_id = group_id")
    assert len(examples) == min(50, n)


def test_statistics_helpers() -> None:
    z, p = two_proportions(30, 100, 15, 100)
    chi2, p2, _, _ = stats.chi2_contingency([[30, 70], [15, 85]], correction=False)
    assert math.isclose(z * z, chi2) and math.isclose(2 * p, p2)
    assert two_proportions(0, 0, 3, 10) == (0.0, 1.0)
    assert bh([0.01, 0.04, 0.03, 0.5]) == pytest.approx([0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.5])


# ------------------------------------------------------------------------------------------------ API
@pytest.fixture(scope="module")
def api(world: tuple[Engine, Path]) -> Iterator[tuple[Any, dict[str, str]]]:
    from fastapi.testclient import TestClient

    from regia.auth import service as auth_service
    from regia.auth.models import OrgType, Role
    from regia.auth.principal import cli_principal
    from regia.config import Settings
    from regia.db import session_scope
    from regia.web.app import create_app

    engine, data = world
    actor = cli_principal("test")
    with session_scope(engine) as session:
        org = auth_service.create_organisation(session, actor=actor, name="Ente di prova", type=OrgType.PROVIDER,
                                               vat_number="09000000019")
        user = auth_service.create_user(session, actor=actor, email="analista@ente.example.org",
                                        display_name="Analista", password="needs-api-password-1234",
                                        memberships=[(org.id, Role.VIEWER)])
        _, token = auth_service.issue_token(session, user=user, name="tests", days=1, actor=actor)
    settings = Settings(database_url=engine.url.render_as_string(hide_password=False), data_dir=data)
    with TestClient(create_app(settings=settings, engine=engine)) as client:
        yield client, {"Authorization": f"Bearer {token}"}


def test_api_gives_the_same_numbers_as_json_and_csv(api: tuple[Any, dict[str, str]], needs: Needs) -> None:
    import csv
    import io

    client, auth = api
    assert client.get("/api/needs/summary").status_code == 401  # aggregates: signed-in accounts
    f = needs.filters(territory="ITC4C", sector="C", start="2025-01")
    body = client.get("/api/needs/summary", params={"territory": "Milano", "sector": "C", "from": "2025-01"},
                      headers=auth).json()
    assert body["postings"] == needs.summary(f)["postings"] and body["filters"]["territory"] == "ITC4C"
    js = client.get("/api/needs/provinces", params={"sector": "C"}, headers=auth).json()["rows"]
    text = client.get("/api/needs/provinces", params={"sector": "C", "format": "csv"}, headers=auth)
    assert text.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(text.text)))
    assert [(r["province"], int(r["postings"])) for r in rows] == [(r["province"] or "", r["postings"]) for r in js]
    top = client.get("/api/needs/skills/top", params={"territory": "BG", "n": 5}, headers=auth).json()["rows"]
    assert [r["skill"] for r in top] == [r["skill"] for r in needs.top_skills(needs.filters(territory="BG"), 5)]
    cube = client.get("/api/needs/cube", params=[("dim", "province"), ("dim", "month")], headers=auth).json()
    assert sum(r["ads"] for r in cube["rows"]) == needs.summary(needs.filters())["ads"]
    examples = client.get("/api/needs/examples", params={"territory": "ITC47", "limit": 3}, headers=auth).json()
    assert len(examples["rows"]) == 3 and all("employer" not in r for r in examples["rows"])
    bad = client.get("/api/needs/summary", params={"sector": "ZZ"}, headers=auth)
    assert bad.status_code == 422 and "sector" in bad.json()["detail"]
    assert client.get("/api/needs/compare", params={"territory": "MI"}, headers=auth).status_code == 422
    both = client.get("/api/needs/compare", params={"territory": "MI", "vs_territory": "BS", "sector": "C"},
                      headers=auth).json()
    assert (both["a"]["filters"]["territory"], both["b"]["filters"]["territory"]) == ("ITC4C", "ITC47")
