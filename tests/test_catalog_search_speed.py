"""Behaviour kept by the catalogue search's fast paths (no timing here; the figures are in
bench/catalog_search_load.py): answers cached per index build never hide a published course, the cache key
does not depend on the order of the parameters, the public route ignores credentials it does not need, the
dense and sparse merges of text postings give the same scores, and the plain-ASGI language middleware still
remembers the chosen language on pages only."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from regia.auth.principal import cli_principal
from regia.catalog import search as search_mod
from regia.catalog import service
from regia.catalog.demo_data import generate
from regia.catalog.ingest import ingest_file
from regia.db import make_engine, migrate
from regia.web.app import create_app
from regia.web.i18n import COOKIE

RECORD = {"provider_name": "Ente Prova Ornitologia", "provider_vat": "12152800079",
          "course_code": "ORN-000001", "title": "Ornitorinchi e monotremi: allevamento",
          "description": "Corso sperimentale sugli ornitorinchi.", "hours": 24, "modality": "online",
          "comune": "012133", "start_date": "2027-03-01", "end_date": "2027-03-20", "seats": 10,
          "cost_eur": 0, "funding": "regione", "targets": "disoccupati"}


@pytest.fixture(scope="module")
def catalog(sqlite_taxonomy: Engine, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    folder = tmp_path_factory.mktemp("catalog_speed")
    path = folder / "catalog.db"
    src = sqlite3.connect(str(sqlite_taxonomy.url.database))
    dst = sqlite3.connect(str(path))
    src.backup(dst)
    src.close()
    dst.close()
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    for csv_path, source in generate(engine, folder / "demo", courses=300, seed=5):
        ingest_file(engine, csv_path, source=source, tagger=None)
    return engine


@pytest.fixture
def client(catalog: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(engine=catalog)) as c:
        yield c


def test_a_published_course_is_found_at_once_although_the_same_search_was_cached(
        client: TestClient, catalog: Engine) -> None:
    url = "/api/catalog/courses?q=ornitorinco&modality=online"
    for _ in range(2):  # the second answer comes from the cache
        r = client.get(url)
        assert r.status_code == 200 and r.json()["total"] == 0
    report = service.publish(catalog, [dict(RECORD)], source="test-speed", tagger=None,
                             principal=cli_principal("test"))
    assert report.counts()["stored"] == 1, report.rejections
    found = client.get(url).json()
    assert found["total"] == 1 and found["results"][0]["title"] == RECORD["title"]
    # the same search with its parameters in another order is the same answer
    assert client.get("/api/catalog/courses?modality=online&q=ornitorinco").json() == found


def test_cached_answers_equal_fresh_ones(client: TestClient) -> None:
    url = "/api/catalog/courses?q=saldatura&province=BS&page=1"
    first = client.get(url)
    again = client.get(url)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json() and first.json()["total"] > 0
    assert again.headers["content-type"].startswith("application/json")
    assert again.headers["x-content-type-options"] == "nosniff"  # security headers on the fast path too


def test_public_search_ignores_credentials_it_does_not_need(client: TestClient) -> None:
    plain = client.get("/api/catalog/courses?q=excel").json()
    assert client.get("/api/catalog/courses?q=excel", headers={"Authorization": "Bearer nonsense"}).json() == plain
    assert client.get("/api/catalog/courses?q=excel", headers={"Cookie": "regia_session=forged"}).json() == plain


def test_bad_parameters_are_refused_even_after_a_cached_answer(client: TestClient) -> None:
    assert client.get("/api/catalog/courses?q=cnc").status_code == 200
    assert client.get("/api/catalog/courses?q=cnc&modality=teletrasporto").status_code == 422
    assert client.get("/api/catalog/courses?q=cnc&page=0").status_code == 422


@pytest.mark.parametrize("text", ["saldatura", "carrello elevatore", "sicurezza informatica", "tecnico cnc",
                                  "manutenzione impianti elettrici", "welding operator", "zzzz", "disegno cad"])
def test_dense_and_sparse_merges_of_postings_agree(catalog: Engine, text: str) -> None:
    index = search_mod.index_for(catalog)
    words = [t for t in dict.fromkeys(search_mod.tokens(text)) if t not in search_mod.STOPWORDS["it"]]
    per_word = []
    for word in words:
        rows = []
        for term in dict.fromkeys(search_mod.word_terms(word)):
            row = index._term_row(term)
            if row is not None:
                rows.append((row[0], row[1] * row[2]))
        per_word.append(rows)
    sparse_courses, sparse_total, sparse_matched = index._merge_sparse(per_word)
    dense_courses, dense_total, dense_matched = index._merge_dense(per_word)
    assert np.array_equal(sparse_courses, dense_courses)
    assert np.array_equal(sparse_matched, dense_matched)
    assert np.array_equal(np.asarray(sparse_total, dtype=np.float32), np.asarray(dense_total, dtype=np.float32))


def test_language_is_remembered_on_pages_and_not_on_the_api(client: TestClient) -> None:
    api = client.get("/api/catalog/courses?q=excel&lang=en")
    assert api.status_code == 200 and "set-cookie" not in api.headers and "vary" not in api.headers
    page = client.get("/?lang=en")
    assert page.status_code == 200
    assert f"{COOKIE}=en" in page.headers.get("set-cookie", "") and "Cookie" in page.headers.get("vary", "")
    assert '<html lang="en">' in page.text
    client.cookies.set(COOKIE, "en")
    again = client.get("/")
    assert "set-cookie" not in again.headers and '<html lang="en">' in again.text


def test_the_cached_answers_middleware_watches_the_search_route() -> None:
    from regia.catalog import api as catalog_api

    assert any(getattr(r, "path", None) == catalog_api.SEARCH_PATH and "GET" in getattr(r, "methods", ())
               for r in catalog_api.router.routes)
    app = create_app(engine=make_engine("sqlite://"))
    names = [m.cls.__name__ for m in app.user_middleware]  # outermost first
    assert names.index("SecurityHeaders") < names.index("CachedSearchAnswers")
    assert names.index("BodySizeLimit") < names.index("CachedSearchAnswers")


def test_the_catalogue_index_is_built_when_the_server_starts(catalog: Engine) -> None:
    import time

    search_mod._indexes.pop(search_mod._engine_key(catalog), None)
    assert not search_mod.ready(catalog)
    with TestClient(create_app(engine=catalog)):  # no request: only the start-up warm-up builds it
        waited_until = time.monotonic() + 60
        while not search_mod.ready(catalog) and time.monotonic() < waited_until:
            time.sleep(0.05)
        assert search_mod.ready(catalog)
