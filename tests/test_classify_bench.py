"""The benchmark code on a tiny fixture: readers, metrics, the runner, the withheld taxonomy, the CLI."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from regia.classify import Classifier, evaluation
from regia.db import make_engine, session_factory
from regia.taxonomy.models import Concept, Relation

POSTGRESQL = "http://data.europa.eu/esco/skill/a8d07b5a-c1a1-42c6-9d53-db9c7a2ca996"
SQL = "http://data.europa.eu/esco/skill/598de5b0-5b58-4ea7-8058-a4bc4d18c742"
WELDER = "http://data.europa.eu/esco/occupation/7aedaa07-3884-4c5b-88f9-80997b2aa54b"
ISCO_7212 = "http://data.europa.eu/esco/isco/C7212"


@pytest.fixture
def tiny_bench(tmp_path: Path) -> Path:
    root = tmp_path / "bench"
    skills = root / "skill-extraction"
    skills.mkdir(parents=True)
    with (skills / "tech_test_annotations_uri.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["sentence", "span", "sub_span", "label", "label_uri"])
        w.writerow(["django postgresql redis", "postgresql", "", "PostgreSQL", POSTGRESQL])
        w.writerow(["django postgresql redis", "redis", "", "LABEL NOT PRESENT", ""])
        w.writerow(["you write SQL queries", "SQL", "", "SQL", SQL])
        w.writerow(["nothing here", "x", "", "UNDERSPECIFIED", ""])
    melo = root / "melo-ita" / "ita_q_it_c_it"
    melo.mkdir(parents=True)
    (melo / "queries.tsv").write_text("Q1\tSaldatori\nQ2\tFabbri e saldatori\n", encoding="utf-8")
    (melo / "corpus_elements.tsv").write_text("C1_it_000\tsaldatore\nC2_it_000\tSaldatori e tagliatori\n",
                                              encoding="utf-8")
    (melo / "concept_mapping.tsv").write_text(f"C1_it_000\t{WELDER}\nC2_it_000\t{ISCO_7212}\n", encoding="utf-8")
    (melo / "annotations.tsv").write_text("Q1\t0\tC1_it_000\t1\nQ2\t0\tC2_it_000\t1\n", encoding="utf-8")
    return root


def test_metrics() -> None:
    gold = frozenset({"a", "b"})
    assert evaluation.rp_at_k(["a", "x", "b"], gold, 5) == 1.0
    assert evaluation.rp_at_k(["x", "a"], gold, 1) == 0.0
    assert evaluation.rp_at_k(["a"], frozenset({"a", "b", "c", "d", "e", "f"}), 5) == pytest.approx(1 / 5)
    assert evaluation.reciprocal_rank(["x", "y", "b"], gold) == pytest.approx(1 / 3)
    assert evaluation.reciprocal_rank(["x", "y", "b"], gold, depth=2) == 0.0
    assert evaluation.hit_at_k(["x", "a"], gold, 1) == 0.0 and evaluation.hit_at_k(["x", "a"], gold, 2) == 1.0
    m = evaluation.skill_metrics([["a", "b"], ["x"]], [gold, frozenset({"y"})])
    assert m == {"RP@5": 50.0, "RP@10": 50.0, "MRR": 0.5}


def test_readers(tiny_bench: Path) -> None:
    tech = evaluation.read_dataset(tiny_bench, "tech")
    assert [q.text for q in tech.queries] == ["django postgresql redis", "you write SQL queries"]
    assert tech.queries[0].gold == frozenset({POSTGRESQL})
    melo = evaluation.read_dataset(tiny_bench, "melo-it")
    assert melo.task == "occupations" and melo.candidates == frozenset({WELDER, ISCO_7212})
    assert [q.gold for q in melo.queries] == [frozenset({WELDER}), frozenset({ISCO_7212})]
    with pytest.raises(ValueError):
        evaluation.read_dataset(tiny_bench, "melo-it", "validation")
    with pytest.raises(ValueError):
        evaluation.read_dataset(tiny_bench, "nope")


def test_run_scores_the_classifier(tiny_bench: Path, sqlite_taxonomy: Engine, tmp_path: Path) -> None:
    clf = Classifier.from_engine(sqlite_taxonomy, cache_dir=tmp_path / "cache")
    tech = evaluation.run(clf, evaluation.read_dataset(tiny_bench, "tech"))
    assert tech.queries == 2 and tech.metrics["MRR"] == 1.0 and tech.metrics["RP@5"] == 100.0
    assert tech.texts_per_second > 0 and tech.peak_memory_mb > 0
    melo = evaluation.run(clf, evaluation.read_dataset(tiny_bench, "melo-it"))
    assert melo.metrics["acc@1"] >= 0.5 and 0.5 <= melo.metrics["MRR"] <= 1.0


def test_withheld_taxonomy_leaves_out_the_gold_sources(reference_dir: Path, tmp_path: Path) -> None:
    small = tmp_path / "reference"
    for rel in ("esco/en_v1.1.1/occupations_en.csv.gz", "esco/en_v1.1.1/ISCOGroups_en.csv.gz",
                "occupations_it/esco_cp2011_mapping_it.csv.gz", "occupations_it/cp2011_titles_from_esco_mapping.csv"):
        (small / rel).parent.mkdir(parents=True, exist_ok=True)
        (small / rel).symlink_to(reference_dir / rel)
    url, withheld = evaluation.withheld_taxonomy(small, tmp_path / "work")
    assert sorted(withheld) == ["occupations_it/cp2011_titles_from_esco_mapping.csv",
                                "occupations_it/esco_cp2011_mapping_it.csv.gz"]
    engine = make_engine(url)
    with session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(Concept).where(Concept.type == "occupation")) > 2900
        assert session.scalar(select(func.count()).select_from(Concept).where(Concept.type == "cp")) == 0
        assert session.scalar(select(func.count()).select_from(Relation).where(Relation.type.like("skos:%"))) == 0
    engine.dispose()
    assert evaluation.withheld_taxonomy(small, tmp_path / "work") == (url, withheld)  # reused


def test_bench_cli(tiny_bench: Path, sqlite_taxonomy: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from regia.cli import app
    from regia.config import get_settings
    from regia.db import get_engine

    monkeypatch.setenv("REGIA_DATABASE_URL", sqlite_taxonomy.url.render_as_string(hide_password=False))
    monkeypatch.setenv("REGIA_BENCH_DIR", str(tiny_bench))
    monkeypatch.setenv("REGIA_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("REGIA_CLASSIFY_ENCODER", "auto")  # no label embeddings of the whole ESCO in unit tests
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        result = CliRunner().invoke(app, ["bench", "classify", "--dataset", "tech", "--json"])
        bad = CliRunner().invoke(app, ["bench", "classify", "--dataset", "nope"])
        ads = CliRunner().invoke(app, ["bench", "classify", "--dataset", "it-ads", "--mode", "fast", "--json"])
    finally:
        get_settings.cache_clear()
        get_engine.cache_clear()
    assert result.exit_code == 0, result.output
    row = json.loads(result.output.strip().splitlines()[-1])
    assert row["dataset"] == "tech" and row["queries"] == 2 and row["MRR"] == 1.0
    assert {"RP@5", "RP@10", "texts_per_second", "peak_memory_mb"} <= set(row)
    assert row["peer"]["RP@5"] == pytest.approx(40.20)  # the peer's stored figure beside Regia's
    assert ads.exit_code == 0, ads.output
    italian = json.loads(ads.output.strip().splitlines()[-1])
    assert italian["dataset"] == "it-ads" and italian["mode"] == "fast" and italian["queries"] == 15
    assert {"P", "R", "F1", "RP@5", "acc@1"} <= set(italian) and 0 < italian["F1"] <= 1
    assert bad.exit_code == 2
