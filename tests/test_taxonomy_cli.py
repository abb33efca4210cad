"""The taxonomy commands as a user runs them: search, show, stats, import, quarantine."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from regia.cli import app
from regia.config import get_settings
from regia.db import get_engine

WELDER = "http://data.europa.eu/esco/occupation/7aedaa07-3884-4c5b-88f9-80997b2aa54b"
WAREHOUSE_WORKER = "http://data.europa.eu/esco/occupation/bea705fe-06ac-4147-b8e0-6e8ac1208d8f"


@pytest.fixture
def regia(monkeypatch: pytest.MonkeyPatch, sqlite_taxonomy: Engine) -> Iterator[CliRunner]:
    """Run `regia ...` against the imported taxonomy."""
    monkeypatch.setenv("REGIA_DATABASE_URL", sqlite_taxonomy.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()
    get_engine.cache_clear()


def run_json(runner: CliRunner, *args: str) -> object:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_search_saldatore_ranks_welder_first(regia: CliRunner) -> None:
    results = run_json(regia, "taxonomy", "search", "saldatore", "--lang", "it", "--type", "occupation", "--json")
    assert isinstance(results, list) and results
    assert results[0]["id"] == WELDER
    assert set(results[0]) == {"id", "type", "label", "score"}
    assert all(r["type"] == "occupation" for r in results)
    scores = [r["score"] for r in results]
    assert scores == sorted(scores, reverse=True)
    assert "saldat" in results[0]["label"]


@pytest.mark.parametrize("query", ["saldatrice", "SALDATORI", "saldatore/saldatrice"])
def test_search_handles_gender_plural_and_case(regia: CliRunner, query: str) -> None:
    results = run_json(regia, "taxonomy", "search", query, "--type", "occupation", "--json")
    assert results[0]["id"] == WELDER


def test_search_english_labels_in_english(regia: CliRunner) -> None:
    results = run_json(regia, "taxonomy", "search", "welder", "--lang", "en", "--type", "occupation", "--json")
    assert results[0]["id"] == WELDER and results[0]["label"] == "welder"


def test_search_magazziniere_finds_warehouse_occupations(regia: CliRunner) -> None:
    results = run_json(regia, "taxonomy", "search", "magazziniere", "--json")
    ids = [r["id"] for r in results[:5]]
    assert WAREHOUSE_WORKER in ids
    assert results[0]["type"] == "occupation" and "magazzin" in results[0]["label"].lower()


def test_search_territory_monza(regia: CliRunner) -> None:
    results = run_json(regia, "taxonomy", "search", "Monza", "--type", "territory", "--json")
    assert results[0]["id"] == "ITC4D"
    assert results[0]["label"] == "Monza e della Brianza"


def test_search_other_types(regia: CliRunner) -> None:
    isco = run_json(regia, "taxonomy", "search", "saldatori", "--type", "isco", "--json")
    assert isco[0]["id"] == "7212"
    ateco = run_json(regia, "taxonomy", "search", "attività manifatturiere", "--type", "ateco", "--json")
    assert ateco[0]["id"] == "C"
    assert len([r for r in ateco if r["id"] == "C"]) == 1  # one entry although three editions hold it
    cp = run_json(regia, "taxonomy", "search", "saldatori elettrici", "--type", "cp", "--json")
    assert cp[0]["id"] == "6.2.1.7.0"


def test_search_rejects_unknown_type(regia: CliRunner) -> None:
    result = regia.invoke(app, ["taxonomy", "search", "x", "--type", "planet"])
    assert result.exit_code == 2 and "planet" in result.output


def test_show_occupation(regia: CliRunner) -> None:
    detail = run_json(regia, "taxonomy", "show", WELDER, "--json")
    assert detail["labels"]["it"]["preferred"] == ["saldatore/saldatrice"]
    assert detail["labels"]["en"]["preferred"] == ["welder"]
    assert [r["id"] for r in detail["isco"]] == ["7212"]
    assert {"6.2.1.2.0", "6.2.1.7.0"} <= {r["id"] for r in detail["cp2011"]}
    assert len(detail["essential_skills"]) >= 20
    labels = {r["label"] for r in detail["essential_skills"]}
    assert any("saldatura" in label for label in labels)  # Italian display labels (taxonomy/data)


def test_show_skill_flags_and_groups(regia: CliRunner) -> None:
    results = run_json(regia, "taxonomy", "search", "use spreadsheets software", "--type", "skill", "--json")
    detail = run_json(regia, "taxonomy", "show", results[0]["id"], "--json", "--lang", "en")
    assert detail["flags"]["digital"] is True and detail["flags"]["green"] is False
    assert detail["skill_groups"]
    assert detail["occupations"]


def test_show_territory_and_codes(regia: CliRunner) -> None:
    province = run_json(regia, "taxonomy", "show", "ITC4C", "--json")
    assert province["label"] == "Milano" and province["attrs"]["nuts3"] == "ITC4C"
    assert [r["id"] for r in province["broader"]] == ["ITC4"]
    comune = run_json(regia, "taxonomy", "show", "015146", "--json")
    assert comune["label"] == "Milano" and comune["attrs"]["nuts3"] == "ITC4C"
    assert run_json(regia, "taxonomy", "show", "ateco2007:C", "--json")["scheme"] == "ateco2007"
    assert run_json(regia, "taxonomy", "show", "C", "--json")["scheme"] == "ateco2025"
    result = regia.invoke(app, ["taxonomy", "show", "no-such-thing"])
    assert result.exit_code == 1 and "no concept" in result.output


def test_stats_json(regia: CliRunner) -> None:
    stats = run_json(regia, "taxonomy", "stats", "--json")
    assert stats["skills"] >= 13_800 and stats["occupations"] >= 3_000
    assert stats["occupation_skill_relations"] >= 120_000
    assert stats["occupations_with_label"]["it"] >= 2_900 and stats["skills_with_label"]["en"] >= 13_800
    assert stats["isco_groups"] == 619 and stats["cp2011_units"] == 800
    assert set(stats["ateco"]) == {"2007", "2022", "2025"} and stats["ateco"]["2025"] >= 3_200
    assert stats["provinces"] == 107 and stats["comuni"] >= 7_800


def test_import_command_reports_counts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("REGIA_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    get_engine.cache_clear()
    (tmp_path / "ref").mkdir()
    (tmp_path / "ref" / "odd.csv").write_text("x\n1\n")
    runner = CliRunner()
    result = runner.invoke(app, ["taxonomy", "import", str(tmp_path / "ref"), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["unknown"] == ["odd.csv"]
    assert report["totals"]["read"] == report["totals"]["stored"] + report["totals"]["unchanged"] + report[
        "totals"]["skipped"] + report["totals"]["rejected"]
    again = json.loads(runner.invoke(app, ["taxonomy", "import", str(tmp_path / "ref"), "--json"]).stdout)
    assert again["totals"]["stored"] == 0
    missing = runner.invoke(app, ["taxonomy", "import", str(tmp_path / "nowhere")])
    assert missing.exit_code == 1 and "not found" in missing.output
    get_settings.cache_clear()
    get_engine.cache_clear()
