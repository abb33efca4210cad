"""The classifier on the full taxonomy: known postings, titles, spans, languages, the CLI contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from regia.classify import Classifier, lexicon
from regia.classify.boilerplate import mask
from regia.classify.index import build, fingerprint, load
from regia.classify.language import detect
from regia.db import session_factory

WELDER = "http://data.europa.eu/esco/occupation/7aedaa07-3884-4c5b-88f9-80997b2aa54b"
WAREHOUSE_WORKER = "http://data.europa.eu/esco/occupation/"  # prefix; the exact one is checked by label
POSTGRESQL = "http://data.europa.eu/esco/skill/a8d07b5a-c1a1-42c6-9d53-db9c7a2ca996"
FORKLIFT = "http://data.europa.eu/esco/skill/28cb374e-6261-4133-8371-f9a5470145da"
SPREADSHEETS = "http://data.europa.eu/esco/skill/1973c966-f236-40c9-b2d4-5d71a89019be"
TEAMWORK = "http://data.europa.eu/esco/skill/60c78287-22eb-4103-9c8c-28deaa460da0"
ENGLISH = "http://data.europa.eu/esco/skill/6d3edede-8951-4621-a835-e04323300fa0"

POSTING = """Magazziniere/a con patentino muletto - Bergamo

Per azienda cliente del settore logistico cerchiamo un magazziniere.
La risorsa si occuperà di carico e scarico merci, preparazione ordini e inventario.
Requisiti: uso del carrello elevatore, conoscenza di Excel, buona conoscenza della lingua inglese,
capacità di lavorare in team e problem solving.

La ricerca è rivolta a candidati di entrambi i sessi (L. 903/77 e D.Lgs. 198/2006).
Inviare il curriculum con l'autorizzazione al trattamento dei dati personali (GDPR 2016/679).
"""


@pytest.fixture(scope="module")
def classifier(sqlite_taxonomy: Engine, tmp_path_factory: pytest.TempPathFactory) -> Classifier:
    return Classifier.from_engine(sqlite_taxonomy, cache_dir=tmp_path_factory.mktemp("classify-cache"))


def test_known_italian_posting(classifier: Classifier) -> None:
    result = classifier.classify(POSTING, top_k=20)
    assert result.lang == "it"
    top_occupation = result.occupations[0]
    assert top_occupation.selected
    assert "magazzin" in top_occupation.label.lower()
    selected = {m.uri for m in result.skills if m.selected}
    assert {FORKLIFT, SPREADSHEETS, TEAMWORK, ENGLISH} <= selected
    scores = [m.score for m in result.skills]
    assert scores == sorted(scores, reverse=True)
    forklift = next(m for m in result.skills if m.uri == FORKLIFT)
    evidence = {POSTING[s:e].lower() for s, e in forklift.spans}
    assert evidence & {"muletto", "patentino muletto", "carrello elevatore"}
    # nothing is evidenced inside the equal-opportunity / privacy paragraph
    boiler_start = POSTING.index("La ricerca è rivolta")
    assert all(s < boiler_start for m in result.skills for s, _ in m.spans)


def test_known_english_sentence_and_spans(classifier: Classifier) -> None:
    text = "You have experience with PostgreSQL databases and strong communication skills."
    result = classifier.classify(text, top_k=10, lang="auto")
    assert result.lang == "en"
    top = result.skills[0]
    assert top.uri == POSTGRESQL and top.selected
    assert [text[s:e] for s, e in top.spans] == ["PostgreSQL"]


@pytest.mark.parametrize("title", ["Saldatrice", "saldatori", "SALDATORE A FILO", "Saldatore/trice"])
def test_italian_titles_of_any_gender_and_number(classifier: Classifier, title: str) -> None:
    assert classifier.classify(title, top_k=5, lang="it").occupations[0].uri == WELDER


def test_english_terms_inside_italian_text(classifier: Classifier) -> None:
    result = classifier.classify("Richiesta ottima conoscenza di PostgreSQL e dei database", top_k=10)
    assert result.lang == "it"
    assert POSTGRESQL in {m.uri for m in result.skills[:3]}


def test_italian_words_that_look_english_do_not_fire(classifier: Classifier) -> None:
    # "base" and "area" are English skill words too; lower-case inside Italian text they are Italian.
    result = classifier.classify("conoscenze di base nell'area amministrativa", top_k=20, lang="it")
    labels = {m.label.lower() for m in result.skills if m.selected}
    assert "base" not in labels and "area" not in labels


def test_top_k_lang_and_empty_text(classifier: Classifier) -> None:
    result = classifier.classify("Sviluppatore Java", top_k=3, lang="it")
    assert len(result.occupations) <= 3 and len(result.skills) <= 3
    empty = classifier.classify("", top_k=5)
    assert empty.occupations == [] and empty.skills == []
    with pytest.raises(ValueError):
        classifier.classify("x", lang="de")


def test_language_detection() -> None:
    assert detect("Cerchiamo un addetto alla contabilità con esperienza") == "it"
    assert detect("We are looking for an accountant with experience") == "en"
    assert detect("Saldatrice a filo") == "it"


def test_boilerplate_mask_keeps_the_job() -> None:
    ranges = mask(POSTING)
    masked = "".join(POSTING[a:b] for a, b in ranges)
    assert "entrambi i sessi" in masked and "GDPR" in masked
    assert "carrello elevatore" not in masked
    assert mask("Magazziniere") == []


def test_lexicon_points_at_skills_of_the_taxonomy(sqlite_taxonomy: Engine) -> None:
    entries = lexicon.entries()
    assert len(entries) >= 200
    assert all(e.uri.startswith("http://data.europa.eu/esco/skill/") and e.lang == "it" for e in entries)
    with session_factory(sqlite_taxonomy)() as session:
        index = build(session)
    known = set(index.uris)
    assert all(e.uri in known for e in entries)
    assert index.stats["lexicon"] == len(entries)


def test_index_cache_is_keyed_by_the_taxonomy(sqlite_taxonomy: Engine, tmp_path: Path) -> None:
    first = load(sqlite_taxonomy, tmp_path)
    cached = list(tmp_path.glob("index-*.pkl"))
    assert len(cached) == 1 and first.fingerprint in cached[0].name
    again = load(sqlite_taxonomy, tmp_path)
    assert again.fingerprint == first.fingerprint
    with session_factory(sqlite_taxonomy)() as session:
        assert fingerprint(session) == first.fingerprint


def test_cli_contract(sqlite_taxonomy: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from regia.cli import app
    from regia.config import get_settings
    from regia.db import get_engine

    monkeypatch.setenv("REGIA_DATABASE_URL", sqlite_taxonomy.url.render_as_string(hide_password=False))
    monkeypatch.setenv("REGIA_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("REGIA_CLASSIFY_ENCODER", "auto")  # no label embeddings of the whole ESCO in unit tests
    get_settings.cache_clear()
    get_engine.cache_clear()
    source = tmp_path / "in.jsonl"
    source.write_text(
        json.dumps({"id": "a", "text": "Saldatore a filo", "other": 1}) + "\n"
        + "not json\n"
        + json.dumps({"id": 7, "text": "Experience with PostgreSQL"}) + "\n"
        + json.dumps({"id": "c"}) + "\n",
        encoding="utf-8",
    )
    target = tmp_path / "out.jsonl"
    try:
        result = CliRunner().invoke(app, ["classify", str(source), "-o", str(target), "--top-k", "4"])
    finally:
        get_settings.cache_clear()
        get_engine.cache_clear()
    assert result.exit_code == 0, result.output
    assert "line 2" in result.output and "line 4" in result.output
    lines = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in lines] == ["a", "7"]
    for r in lines:
        assert set(r) == {"id", "lang", "occupations", "skills"}
        assert len(r["occupations"]) <= 4 and len(r["skills"]) <= 4
        for m in r["occupations"]:
            assert set(m) == {"uri", "score", "selected"}
        for m in r["skills"]:
            assert set(m) == {"uri", "score", "selected", "spans"}
            assert all(len(s) == 2 and s[0] < s[1] for s in m["spans"])
        scores = [m["score"] for m in r["skills"]]
        assert scores == sorted(scores, reverse=True)
    assert lines[0]["lang"] == "it" and lines[0]["occupations"][0]["uri"] == WELDER
    assert lines[1]["skills"][0]["uri"] == POSTGRESQL
