"""The web application on the imported taxonomy: REST API, pages in Italian and English, health, i18n."""

from __future__ import annotations

import fnmatch
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from regia import i18n as regia_i18n
from regia.db import make_engine, session_factory
from regia.taxonomy import service
from regia.web import i18n
from regia.web.app import create_app, template_dirs
from regia.web.templating import STATIC_DIR, TEMPLATES_DIR, make_templates

WELDER = "http://data.europa.eu/esco/occupation/7aedaa07-3884-4c5b-88f9-80997b2aa54b"
PYTHON_SKILL = "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d"
LOMBARDY_PROVINCES = {"ITC41", "ITC42", "ITC43", "ITC44", "ITC46", "ITC47", "ITC48", "ITC49", "ITC4A", "ITC4B",
                      "ITC4C", "ITC4D"}
ESCO_EN = "This service uses the ESCO classification of the European Commission."
ESCO_IT = "Questo servizio utilizza la classificazione ESCO della Commissione europea."
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def app(sqlite_taxonomy: Engine) -> FastAPI:
    return create_app(engine=sqlite_taxonomy)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A fresh client per test: no language cookie carried over from another test."""
    with TestClient(app) as c:
        yield c


def html_lang(html: str) -> str:
    match = re.search(r'<html lang="([a-z]+)"', html)
    assert match, "no <html lang=...>"
    return match.group(1)


# --- REST API ---------------------------------------------------------------------------------------------

def test_search_ranks_the_welder_first(client: TestClient) -> None:
    r = client.get("/api/taxonomy/search", params={"q": "saldatore", "type": "occupation"})
    assert r.status_code == 200
    results = r.json()
    assert results[0]["id"] == WELDER
    assert results[0]["label"] == "saldatore/saldatrice"
    assert all(set(hit) == {"id", "type", "label", "score"} for hit in results)
    assert {hit["type"] for hit in results} == {"occupation"}
    scores = [hit["score"] for hit in results]
    assert scores == sorted(scores, reverse=True)


def test_search_answers_like_the_service_and_the_cli(client: TestClient, sqlite_taxonomy: Engine) -> None:
    params = {"q": "welding", "lang": "en", "type": ["skill", "occupation"], "limit": 7}
    api = client.get("/api/taxonomy/search", params=params).json()
    with session_factory(sqlite_taxonomy)() as session:
        direct = service.search(sqlite_taxonomy, session, "welding", lang="en", types=["skill", "occupation"],
                                limit=7)
    assert api == [hit.model_dump() for hit in direct]
    assert len(api) == 7


def test_search_labels_follow_the_language(client: TestClient) -> None:
    en = client.get("/api/taxonomy/search", params={"q": "saldatore", "type": "occupation", "lang": "en"}).json()
    assert en[0] == {**en[0], "id": WELDER, "label": "welder"}


def test_concept_gives_the_welders_skills_and_codes(client: TestClient) -> None:
    r = client.get(f"/api/taxonomy/concepts/{WELDER}", params={"lang": "en"})
    assert r.status_code == 200
    welder = r.json()
    assert welder["type"] == "occupation" and welder["label"] == "welder"
    essential = {s["label"] for s in welder["essential_skills"]}
    assert len(essential) >= 20
    assert "operate welding equipment" in essential
    italian = client.get(f"/api/taxonomy/concepts/{WELDER}", params={"lang": "it"}).json()
    assert "utilizzare attrezzature per la saldatura" in {s["label"] for s in italian["essential_skills"]}
    assert [isco["id"] for isco in welder["isco"]] == ["7212"]
    assert "6.2.1.2.0" in {cp["id"] for cp in welder["cp2011"]}
    assert welder["labels"]["it"]["preferred"] == ["saldatore/saldatrice"]


@pytest.mark.parametrize(("concept_id", "type_", "scheme", "label"), [
    ("7212", "isco", "isco08", "Saldatori e tagliatori a fiamma"),
    ("ITC4C", "territory", "territory", "Milano"),
    ("ateco2025:C", "ateco", "ateco2025", "ATTIVITÀ MANIFATTURIERE"),
    ("6.2.1.2.0", "cp", "cp2011", "Saldatori e tagliatori a fiamma"),
])
def test_concept_by_code(client: TestClient, concept_id: str, type_: str, scheme: str, label: str) -> None:
    concept = client.get(f"/api/taxonomy/concepts/{concept_id}").json()
    assert (concept["type"], concept["scheme"], concept["label"]) == (type_, scheme, label)


def test_concept_survives_merged_slashes(client: TestClient) -> None:
    """A proxy that merges '//' turns the URI into 'http:/data...'; the concept is still found."""
    merged = WELDER.replace("http://", "http:/")
    assert client.get(f"/api/taxonomy/concepts/{merged}").json()["id"] == WELDER


def test_unknown_concept_is_a_404_problem(client: TestClient) -> None:
    r = client.get("/api/taxonomy/concepts/http://data.europa.eu/esco/occupation/does-not-exist")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == 404 and body["title"] == "Not Found"
    assert "does-not-exist" in body["detail"]
    assert body["instance"].startswith("/api/taxonomy/concepts/")


@pytest.mark.parametrize("params", [
    {"q": "saldatore", "type": "welder"},
    {"q": "saldatore", "lang": "de"},
    {"q": "saldatore", "limit": 0},
    {"q": ""},
    {},
])
def test_bad_search_parameters_are_422_problems(client: TestClient, params: dict[str, object]) -> None:
    r = client.get("/api/taxonomy/search", params=params)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == 422 and body["errors"]
    assert all(error["loc"][0] == "query" for error in body["errors"])


def test_bad_type_names_the_parameter(client: TestClient) -> None:
    errors = client.get("/api/taxonomy/search", params={"q": "x", "type": "welder"}).json()["errors"]
    assert errors[0]["loc"][:2] == ["query", "type"]


def test_stats(client: TestClient) -> None:
    stats = client.get("/api/taxonomy/stats").json()
    assert stats["occupations"] > 2900 and stats["skills"] > 13000
    assert stats["provinces"] == stats["provinces_with_geometry"] == 107


def test_provinces_of_lombardy(client: TestClient) -> None:
    r = client.get("/api/taxonomy/provinces.geojson", params={"region": "ITC4"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/geo+json")
    collection = r.json()
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == 12
    assert {f["properties"]["nuts3"] for f in collection["features"]} == LOMBARDY_PROVINCES
    assert {f["geometry"]["type"] for f in collection["features"]} <= {"Polygon", "MultiPolygon"}
    milano = next(f for f in collection["features"] if f["properties"]["nuts3"] == "ITC4C")
    assert milano["properties"] == {"nuts3": "ITC4C", "name": "Milano", "sigla": "MI", "region": "ITC4"}
    lon, lat = milano["geometry"]["coordinates"][0][0] if milano["geometry"]["type"] == "Polygon" else \
        milano["geometry"]["coordinates"][0][0][0]
    assert 8.5 < lon < 9.6 and 45.1 < lat < 45.7  # WGS84, around Milan


def test_provinces_of_italy_and_unknown_regions(client: TestClient) -> None:
    assert len(client.get("/api/taxonomy/provinces.geojson").json()["features"]) == 107
    assert client.get("/api/taxonomy/provinces.geojson", params={"region": "ITZ9"}).status_code == 404
    assert client.get("/api/taxonomy/provinces.geojson", params={"region": "lombardia"}).status_code == 422


def test_openapi_documents_the_api(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in ("/api/taxonomy/search", "/api/taxonomy/concepts/{concept_id}", "/api/taxonomy/stats",
                 "/api/taxonomy/provinces.geojson", "/health"):
        assert path in paths, path
    assert not any(p.startswith("/taxonomy") for p in paths), "pages are not part of the API"
    search = paths["/api/taxonomy/search"]["get"]
    type_param = next(p for p in search["parameters"] if p["name"] == "type")
    enum = type_param["schema"]["anyOf"][0]["items"]["enum"]
    assert set(enum) == {"occupation", "skill", "skill_group", "isco", "cp", "ateco", "territory"}
    assert search["responses"]["200"]["content"]["application/json"]["schema"]["items"]["$ref"].endswith(
        "/SearchResult")
    concept = paths["/api/taxonomy/concepts/{concept_id}"]["get"]["responses"]
    assert concept["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/ConceptDetail")
    assert "application/problem+json" in concept["404"]["content"]
    geo = paths["/api/taxonomy/provinces.geojson"]["get"]["responses"]["200"]["content"]
    assert geo["application/geo+json"]["schema"]["$ref"].endswith("/ProvinceCollection")
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/openapi.json" in docs.text
    if (STATIC_DIR / "vendor" / "swagger-ui" / "swagger-ui-bundle.js").is_file():
        assert '/static/vendor/swagger-ui/swagger-ui-bundle.js"' in docs.text  # works offline
        assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200


# --- health -----------------------------------------------------------------------------------------------

def test_health(client: TestClient) -> None:
    r = client.get("/health")
    assert r.status_code == 200
    health = r.json()
    assert health["status"] == "ok"
    assert health["database"] == {"reachable": True, "dialect": "sqlite", "error": None}
    assert health["taxonomy"]["occupations"] > 2900 and health["taxonomy"]["provinces"] == 107


def test_health_reports_an_unreachable_database(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'missing-folder' / 'regia.db'}")
    with TestClient(create_app(engine=engine)) as c:
        r = c.get("/health")
    assert r.status_code == 503
    assert r.json()["status"] == "error"
    assert r.json()["database"]["reachable"] is False
    assert "missing-folder" not in r.text  # no database location leaks out


def test_health_on_an_empty_database_is_degraded(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    with TestClient(create_app(engine=engine)) as c:
        health = c.get("/health").json()
        home = c.get("/")
    assert health["status"] == "degraded" and health["database"]["reachable"] is True
    assert home.status_code == 200 and "regia taxonomy import" in home.text


def test_server_errors_answer_in_the_callers_shape(tmp_path: Path) -> None:
    """A database without tables makes lookups fail: problem JSON for the API, an error page for pages."""
    app = create_app(engine=make_engine(f"sqlite:///{tmp_path / 'no-tables.db'}"))
    with TestClient(app, raise_server_exceptions=False) as c:
        api = c.get("/api/taxonomy/stats")
        page = c.get("/taxonomy/concepts/7212")
    assert api.status_code == 500 and api.headers["content-type"].startswith("application/problem+json")
    assert api.json()["title"] == "Internal Server Error" and "no such table" not in api.text
    assert page.status_code == 500 and page.headers["content-type"].startswith("text/html")
    assert "Errore 500" in page.text and "no such table" not in page.text


# --- pages and languages ----------------------------------------------------------------------------------

def test_home_is_italian_by_default(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert html_lang(r.text) == "it"
    assert "Tassonomia" in r.text and "Mappa" in r.text
    assert "Professioni ESCO" in r.text and "3.007" in r.text  # counts, Italian thousands separator
    assert ESCO_IT in r.text and ESCO_EN in r.text and "Fonte: ISTAT" in r.text


def test_english_with_lang_parameter_then_cookie(client: TestClient) -> None:
    r = client.get("/", params={"lang": "en"})
    assert html_lang(r.text) == "en"
    assert "Taxonomy" in r.text and "ESCO occupations" in r.text and "3,007" in r.text
    assert ESCO_EN in r.text and ESCO_IT not in r.text
    assert "Source: ISTAT" in r.text and "Fonte: ISTAT" not in r.text  # the attribution in the page's language
    assert r.cookies.get(i18n.COOKIE) == "en"
    # The choice sticks (cookie) until another ?lang= is given.
    assert html_lang(client.get("/taxonomy").text) == "en"
    assert html_lang(client.get("/taxonomy", params={"lang": "it"}).text) == "it"
    assert html_lang(client.get("/").text) == "it"


def test_italian_unless_english_is_chosen(client: TestClient) -> None:
    # The browser's language does not switch the interface: English is an explicit choice.
    assert html_lang(client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).text) == "it"
    assert html_lang(client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}, params={"lang": "en"}).text) \
        == "en"


def test_language_links_keep_the_page_and_its_query(client: TestClient) -> None:
    html = client.get("/taxonomy", params={"q": "saldatore", "type": "occupation"}).text
    assert 'href="/taxonomy?q=saldatore&amp;type=occupation&amp;lang=en"' in html


def test_search_page_with_a_plain_form_submit(client: TestClient) -> None:
    r = client.get("/taxonomy", params={"q": "saldatore", "type": "occupation"})
    assert r.status_code == 200
    html = r.text
    assert "<h1>Tassonomia</h1>" in html
    assert '<label for="q"' in html and '<label for="type">' in html
    assert '<option value="occupation" selected>' in html
    first = re.search(r'<a class="result-label" href="([^"]+)">([^<]+)</a>', html)
    assert first and first.groups() == (f"/taxonomy/concepts/{WELDER}", "saldatore/saldatrice")
    assert "risultati per «saldatore»" in html


def test_search_page_answers_htmx_with_the_results_only(client: TestClient) -> None:
    r = client.get("/taxonomy", params={"q": "saldatore", "type": "occupation"}, headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert "<html" not in r.text and "<footer" not in r.text
    assert 'id="result-count"' in r.text and 'hx-swap-oob="true"' in r.text
    assert f'href="/taxonomy/concepts/{WELDER}"' in r.text
    assert "HX-Request" in r.headers["vary"]
    # htmx restoring its history asks for the whole page.
    restored = client.get("/taxonomy", params={"q": "saldatore"},
                          headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restored.text


def test_search_page_tolerates_odd_input(client: TestClient) -> None:
    assert client.get("/taxonomy", params={"type": "nonsense", "q": "  "}).status_code == 200
    empty = client.get("/taxonomy", params={"q": "zzzzqqqq"}).text
    assert "Nessun risultato per «zzzzqqqq»" in empty


def test_search_results_link_to_concept_pages_that_exist(client: TestClient) -> None:
    for q, type_ in (("saldatori", "isco"), ("saldatori", "cp"), ("fabbricazione di prodotti in metallo", "ateco"),
                     ("Bergamo", "territory"), ("python", "skill"), ("welding", "skill_group")):
        html = client.get("/taxonomy", params={"q": q, "type": type_}).text
        links = re.findall(r'<a class="result-label" href="([^"]+)">', html)
        assert links, (q, type_)
        for link in links[:3]:
            assert client.get(link).status_code == 200, link


def test_territory_results_say_province_or_comune(client: TestClient) -> None:
    html = client.get("/taxonomy", params={"q": "Bergamo", "type": "territory"}).text
    assert "Provincia" in html and "Comune" in html


def test_welder_page(client: TestClient) -> None:
    r = client.get(f"/taxonomy/concepts/{WELDER}")
    assert r.status_code == 200
    html = r.text
    assert html_lang(html) == "it"
    assert "<h1>saldatore/saldatrice</h1>" in html
    assert 'id="essential-skills-heading"' in html and "Competenze essenziali" in html
    essential = html.split('id="essential-skills"', 1)[1].split("</section>", 1)[0]
    assert "utilizzare attrezzature per la saldatura" in essential  # Italian labels on Italian pages (issue 12)
    assert len(re.findall(r"<li>", essential)) >= 20
    assert "Competenze opzionali" in html
    assert 'href="/taxonomy/concepts/isco08:7212"' in html
    assert 'href="/taxonomy/concepts/cp2011:6.2.1.2.0"' in html
    assert '<p class="concept-description" lang="en">Welders operate' in html  # English text marked as such
    assert f'href="/api/taxonomy/concepts/{WELDER}"' in html


def test_welder_page_in_english(client: TestClient) -> None:
    html = client.get(f"/taxonomy/concepts/{WELDER}", params={"lang": "en"}).text
    assert html_lang(html) == "en"
    assert "<h1>welder</h1>" in html and "Essential skills" in html and "Optional skills" in html
    english = html.split('<th scope="row">English</th>', 1)[1]
    preferred, alternative = re.findall(r'<td lang="en">([^<]*)</td>', english)[:2]
    alternatives = alternative.split("; ")
    assert preferred == "welder" and "arc welder" in alternatives
    assert "welder" not in alternatives and len(alternatives) == len(set(alternatives))  # no repeats


def test_skill_page_shows_groups_badges_and_occupations(client: TestClient) -> None:
    html = client.get(f"/taxonomy/concepts/{PYTHON_SKILL}").text
    assert "<h1>Python (programmazione)</h1>" in html  # Regia's Italian display label (taxonomy/data)
    other = client.get("/taxonomy/concepts/http://data.europa.eu/esco/skill/0359f76c-3ef3-4e52-abcf-1b2b32ed20a5").text
    assert '<h1 lang="en">taste wines</h1>' in other  # no Italian label: marked English
    assert 'class="badge flag flag-digital">Digitale<' in html
    assert "flag-green" not in html
    assert "Gruppi di competenze" in html and "Professioni che la richiedono come essenziale" in html
    assert "Conoscenza" in html  # skill type, translated


def test_territory_page_shows_codes_and_parent(client: TestClient) -> None:
    html = client.get("/taxonomy/concepts/ITC4C").text
    assert "<h1>Milano</h1>" in html
    assert "NUTS 3" in html and "<code>ITC4C</code>" in html
    assert "Appartiene a" in html and 'href="/taxonomy/concepts/ITC4">Lombardia</a>' in html
    assert "Comuni" in html and "Abbiategrasso" in html
    comune = client.get("/taxonomy/concepts/015146").text
    assert "Capoluogo di provincia" in comune and 'href="/taxonomy/concepts/ITC4C">Milano</a>' in comune


def test_unknown_concept_page_is_a_404_page(client: TestClient) -> None:
    r = client.get("/taxonomy/concepts/nowhere")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert html_lang(r.text) == "it" and "Nessun concetto con identificativo «nowhere»" in r.text
    assert client.get("/no-such-page").status_code == 404


def test_map_page(client: TestClient) -> None:
    html = client.get("/taxonomy/map").text
    assert "<h1>Mappa delle province</h1>" in html
    assert 'data-geojson="/api/taxonomy/provinces.geojson?region=ITC4"' in html
    provinces = html.split('class="ref-list ref-list-columns province-list"', 1)[1].split("</ul>", 1)[0]
    assert provinces.count("<li>") == 12 and "Monza e della Brianza" in provinces
    assert "Fonte: ISTAT" in html
    italy = client.get("/taxonomy/map", params={"region": "IT"}).text
    assert 'data-geojson="/api/taxonomy/provinces.geojson"' in italy and "Elenco delle province (107)" in italy


def test_pages_render_without_vendor_assets(app: FastAPI, tmp_path: Path) -> None:
    """Before `make install` (no static/vendor), pages still render: unstyled, with a note, no broken links."""
    installed = app.state.templates
    app.state.templates = make_templates(template_dirs(), static_dir=tmp_path)
    try:
        with TestClient(app) as c:
            for path in ("/", "/taxonomy?q=saldatore", f"/taxonomy/concepts/{WELDER}", "/taxonomy/map"):
                r = c.get(path)
                assert r.status_code == 200, path
                assert "/static/vendor/" not in r.text, path
                assert "make install" in r.text
            assert c.get("/health").json()["status"] == "ok"
    finally:
        app.state.templates = installed


def test_pages_link_vendor_assets_when_installed(client: TestClient) -> None:
    if not (STATIC_DIR / "vendor" / "bootstrap-italia" / "css" / "bootstrap-italia.min.css").is_file():
        pytest.skip("front-end assets not installed (scripts/install-assets.sh)")
    html = client.get("/").text
    assert '/static/vendor/bootstrap-italia/css/bootstrap-italia.min.css"' in html
    assert client.get("/static/vendor/bootstrap-italia/css/bootstrap-italia.min.css").status_code == 200


def test_own_static_files_are_served(client: TestClient) -> None:
    for path in ("/static/regia.css", "/static/js/province-map.js", "/static/js/regia.js", "/static/favicon.svg"):
        assert client.get(path).status_code == 200, path


# --- i18n and packaging -----------------------------------------------------------------------------------

def test_every_message_exists_in_both_languages() -> None:
    """Every key of every catalogue has a text of its own in both languages (not the key, not the fallback)."""
    for domain, po in regia_i18n.catalogues("it"):
        keys = [m.id for m in read_po(po.open("rb")) if m.id]
        assert keys, domain
        english = {m.id: m.string for m in read_po((po.parents[2] / "en" / "LC_MESSAGES" / po.name).open("rb"))}
        for key in keys:
            assert english.get(key), f"{domain}: {key} has no English text"
            if isinstance(key, tuple):  # a plural
                assert regia_i18n.translations("en").ngettext(*key, 2) == english[key][1], key
            else:
                assert regia_i18n.translations("en").gettext(key) == english[key], key


def test_templates_use_only_known_messages() -> None:
    known = {key for _, po in regia_i18n.catalogues("it") for m in read_po(po.open("rb")) if m.id
             for key in (m.id if isinstance(m.id, tuple) else (m.id,))}
    used: set[str] = set()
    prefixes: set[str] = set()  # _('type.' ~ c.type): some message must start with the prefix
    for folder in (TEMPLATES_DIR, *template_dirs().values()):
        for template in folder.rglob("*.html"):
            source = template.read_text()
            assert not re.search(r"(?<![\w.])t\(", source), f"{template}: the old t() lookup"
            used |= set(re.findall(r"""\b(?:_|ngettext)\(\s*['"]([a-z0-9_.]+)['"]\s*[,)]""", source))
            prefixes |= set(re.findall(r"""\b_\(\s*['"]([a-z0-9_]+\.[a-z0-9_.]*)['"]\s*~""", source))
    assert used and used <= known, sorted(used - known)
    assert prefixes and sorted(p for p in prefixes if not any(k.startswith(p) for k in known)) == []


def test_negotiation_order() -> None:
    assert i18n.negotiate(query="en", cookie="it") == "en"
    assert i18n.negotiate(query="xx", cookie="en") == "en"
    assert i18n.negotiate(query="EN", cookie=None) == "en"
    assert i18n.negotiate(query=None, cookie="fr") == "it"
    assert i18n.negotiate(query=None, cookie=None) == "it"
    assert i18n.negotiate(query=None, cookie=None, default="en") == "en"


def test_templates_and_static_files_are_package_data() -> None:
    """Every template and static file (vendor excepted: installed separately) matches a package-data glob."""
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["regia"]
    package = ROOT / "src" / "regia"
    vendor = STATIC_DIR / "vendor"
    files = [*package.glob("**/templates/**/*"), *STATIC_DIR.glob("**/*")]
    files = [f for f in files if f.is_file() and not f.is_relative_to(vendor) and "__pycache__" not in f.parts]
    assert files
    for f in files:
        name = f.name
        assert any(fnmatch.fnmatch(name, p.rsplit("/", 1)[-1]) for p in patterns), f
