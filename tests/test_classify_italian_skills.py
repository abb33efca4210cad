"""ESCO's Italian skills file, once imported, is used by the classifier with no code change."""

from __future__ import annotations

from pathlib import Path

from regia.classify import Classifier
from regia.classify.index import load
from regia.taxonomy.importer import import_reference

ARC = "http://data.europa.eu/esco/skill/0a1b2c3d-0000-4000-8000-000000000001"
OTHER = "http://data.europa.eu/esco/skill/0a1b2c3d-0000-4000-8000-000000000002"


def _write(path: Path, rows: list[tuple[str, str, str]]) -> None:
    lines = ["conceptType,conceptUri,preferredLabel,altLabels"]
    lines += [f'KnowledgeSkillCompetence,{uri},{pref},"{alt}"' for uri, pref, alt in rows]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_italian_skill_labels_are_picked_up(databases, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    reference = tmp_path / "reference"
    _write(reference / "esco" / "skills_en.csv", [(ARC, "apply arc welding techniques", "arc welding"),
                                                  (OTHER, "bake bread", "")])
    engine = databases.new("sqlite")
    import_reference(engine, reference)
    cache = tmp_path / "cache"
    text = "Richiesta esperienza nella saldatura ad arco elettrico"
    before = load(engine, cache)
    assert before.langs["it"].size == 0

    _write(reference / "esco" / "skills_it.csv", [(ARC, "applicare tecniche di saldatura ad arco",
                                                   "saldatura ad arco elettrico\nsaldare ad arco")])
    import_reference(engine, reference)
    after = load(engine, cache)
    assert after.fingerprint != before.fingerprint  # the import changed the taxonomy: the index is rebuilt
    assert after.langs["it"].size >= 2
    result = Classifier(after).classify(text, top_k=5, lang="it")
    top = result.skills[0]
    assert top.uri == ARC  # (with two Italian labels the IDF weights are tiny, so no assertion on `selected`)
    assert [text[s:e] for s, e in top.spans] == ["saldatura ad arco elettrico"]
