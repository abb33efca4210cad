"""The IeFP commands: `regia iefp match` (JSON output against the textbook algorithm, bad instances, the score
mode), `regia ingest iefp-figures` (counts, idempotent) and `regia demo-data iefp` (the demo system)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from regia.auth import service as accounts
from regia.auth.demo import DEMO_ORGANISATIONS
from regia.auth.principal import cli_principal
from regia.cli import app
from regia.db import session_scope
from regia.iefp.demo_data import CENTRE, DEMO_FIGURES, FIRM
from regia.iefp.models import MatchingRun, Placement, TrainingPath
from support.pact_pages import copy_of
from test_iefp_matching import textbook

runner = CliRunner()


def _random_instance(seed: int) -> tuple[dict[str, list[str]], dict[str, tuple[int, list[str]]]]:
    rnd = random.Random(seed)
    sids, pids = [f"s{i}" for i in range(rnd.randint(1, 30))], [f"p{j}" for j in range(rnd.randint(1, 8))]
    students = {s: rnd.sample(pids, rnd.randint(0, len(pids))) for s in sids}
    places = {p: (rnd.randint(0, 4), rnd.sample(sids, rnd.randint(0, len(sids)))) for p in pids}
    return students, places


@pytest.mark.parametrize("seed", range(8))
def test_match_json_equals_the_textbook_result(tmp_path: Path, seed: int) -> None:
    students, places = _random_instance(seed)
    doc = {"students": [{"id": s, "prefs": p} for s, p in students.items()],
           "places": [{"id": p, "capacity": c, "prefs": r} for p, (c, r) in places.items()]}
    path = tmp_path / "instance.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = runner.invoke(app, ["iefp", "match", str(path), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["matching"] == textbook(students, places)
    assert out["unmatched"] == sorted(s for s, p in out["matching"].items() if p is None)
    assert set(out["why"]) == set(out["unmatched"])


def test_match_refuses_a_bad_instance_naming_where(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"students": [{"id": "a", "prefs": ["x", "nowhere"]}],
                                "places": [{"id": "x", "capacity": -1}]}), encoding="utf-8")
    result = runner.invoke(app, ["iefp", "match", str(path), "--json"])
    assert result.exit_code == 2
    assert "students[0].prefs[1]" in result.output and "places[0].capacity" in result.output
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    assert runner.invoke(app, ["iefp", "match", str(tmp_path / "broken.json")]).exit_code == 2


def test_match_score_mode_prints_clean_json(tmp_path: Path) -> None:
    doc = {"students": [{"id": "a", "prefs": [], "scores": {"x": 0.9, "y": 0.8}},
                        {"id": "b", "prefs": [], "scores": {"x": 0.7}}, {"id": "c", "prefs": []}],
           "places": [{"id": "x", "capacity": 1, "prefs": []}, {"id": "y", "capacity": 1, "prefs": []}]}
    path = tmp_path / "scores.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = runner.invoke(app, ["iefp", "match", str(path), "--json", "--mode", "score"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)  # nothing but JSON on stdout (no solver banner)
    assert out["matching"] == {"a": "y", "b": "x", "c": None}  # 0.8 + 0.7 beats 0.9 alone
    assert out["why"] == {"c": {"reason": "no_eligible_place"}}


def test_ingest_iefp_figures_counts_and_is_idempotent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGIA_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    from regia.config import get_settings
    from regia.db import get_engine

    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        first = runner.invoke(app, ["ingest", "iefp-figures", str(DEMO_FIGURES), "--json", "--demo"])
        assert first.exit_code == 0, first.output
        assert {k: json.loads(first.stdout)[k] for k in ("read", "stored", "duplicate", "rejected")} == \
            {"read": 8, "stored": 8, "duplicate": 0, "rejected": 0}
        again = runner.invoke(app, ["ingest", "iefp-figures", str(DEMO_FIGURES), "--json"])
        assert json.loads(again.stdout)["duplicate"] == 8
        wrong = tmp_path / "rep.txt"
        wrong.write_text("x", encoding="utf-8")
        assert runner.invoke(app, ["ingest", "iefp-figures", str(wrong)]).exit_code == 2
    finally:
        get_settings.cache_clear()
        get_engine.cache_clear()


def test_demo_data_iefp_seeds_the_demo_system_once(sqlite_taxonomy: Engine, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    engine = copy_of(sqlite_taxonomy, tmp_path)
    with session_scope(engine) as session:  # the demo organisations (the logins are not needed here)
        for name, org_type, tax_code, vat in DEMO_ORGANISATIONS:
            if name in (CENTRE, FIRM):
                accounts.create_organisation(session, actor=cli_principal("test"), name=name, type=org_type,
                                             tax_code=tax_code, vat_number=vat)
    monkeypatch.setenv("REGIA_DATABASE_URL", str(engine.url))
    from regia.config import get_settings
    from regia.db import get_engine

    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        result = runner.invoke(app, ["demo-data", "iefp"])
        assert result.exit_code == 0, result.output
        assert "Demo IeFP: 6 paths" in result.stdout
        assert runner.invoke(app, ["demo-data", "iefp"]).exit_code == 0  # idempotent
    finally:
        get_settings.cache_clear()
        get_engine.cache_clear()
    with session_scope(engine) as session:
        assert session.scalar(select(func.count(TrainingPath.id))) == 6
        runs = session.scalars(select(MatchingRun).order_by(MatchingRun.id)).all()
        assert [r.school_year for r in runs] == ["2026/27", "2025/26"]
        assert runs[0].result["stats"]["unmatched"] == 1  # the demo shows a student left out, and why
        assert session.scalar(select(func.count(Placement.id)).where(Placement.outcome == "qualified")) == 2
        assert all(p.plan is not None and p.plan.status == "signed" for p in session.scalars(select(Placement)))
