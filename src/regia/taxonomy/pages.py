"""Pages of the taxonomy: search, one concept, the province map.

Rendered with the application's templates (``request.app.state.templates``) in the language chosen for the
request (``request.state.lang``); both are set up by the web layer, which this package does not import.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from regia.taxonomy import service
from regia.taxonomy.api import SessionDep, normalise_concept_id
from regia.taxonomy.models import CONCEPT_TYPES
from regia.taxonomy.schemas import ConceptDetail, ConceptRef

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
SEARCH_LIMIT = 25
LOMBARDY = "ITC4"
# Codes that several classifications share ("25" is an ISCO group and an ATECO division) are linked with their
# scheme; ESCO URIs and territory codes are unambiguous.
UNQUALIFIED_SCHEMES = ("esco", "territory")
# Search hits carry their type, not their scheme: the scheme to qualify their code with. An ATECO hit may come
# from any edition, so its link names the type and the page looks in the newest edition first.
HIT_SCHEME = {"isco": "isco08", "cp": "cp2011", "ateco": "ateco", "territory": "territory"}
ATECO_EDITIONS = ("ateco2025", "ateco2022", "ateco2007")

router = APIRouter(prefix="/taxonomy")


def _lang(request: Request) -> str:
    return getattr(request.state, "lang", "it")


def _render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    return request.app.state.templates.TemplateResponse(request, f"taxonomy/{name}", context,
                                                        status_code=status_code)


def concept_path(request: Request, concept_id: str, scheme: str = "esco") -> str:
    public_id = concept_id if scheme in UNQUALIFIED_SCHEMES else f"{scheme}:{concept_id}"
    root = str(request.scope.get("root_path", "")).rstrip("/")
    return root + str(request.app.url_path_for("taxonomy_concept_page", concept_id=quote(public_id, safe="/:")))


def _ref_path(request: Request) -> Any:
    def ref_path(ref: ConceptRef) -> str:
        return concept_path(request, ref.id, ref.scheme)

    return ref_path


@router.get("", response_class=HTMLResponse, name="taxonomy_search_page")
def search_page(request: Request, session: SessionDep, q: str = "", type: str = "") -> Response:
    """The search box and its results. With htmx (``HX-Request``) only the results are sent back. Bad
    parameters are ignored rather than refused: this is a page, not the API."""
    query = q.strip()[:200]
    ctype = type if type in CONCEPT_TYPES else ""
    results = service.search(request.app.state.engine, session, query, lang=_lang(request),
                             types=[ctype] if ctype else None, limit=SEARCH_LIMIT) if query else []
    # "Bergamo" is a province and a comune: show which is which.
    levels = {r.id: service.resolve(session, r.id).level for r in results if r.type == "territory"}
    partial = bool(request.headers.get("hx-request")) and not request.headers.get("hx-history-restore-request")
    response = _render(request, "_results.html" if partial else "search.html", {
        "nav": "taxonomy", "q": query, "type": ctype, "types": CONCEPT_TYPES, "results": results, "levels": levels,
        "hit_path": lambda hit: concept_path(request, hit.id, HIT_SCHEME.get(hit.type, "esco")),
        "partial": partial,
    })
    response.headers["Vary"] = "HX-Request"
    return response


@router.get("/map", response_class=HTMLResponse, name="taxonomy_map_page")
def map_page(request: Request, session: SessionDep, region: str = LOMBARDY) -> Response:
    """Provinces drawn with Leaflet from the GeoJSON endpoint, with a plain list of the same provinces."""
    region = region if region in (LOMBARDY, "IT") else LOMBARDY
    collection = service.province_features(session, region=None if region == "IT" else region)
    features = cast(list[dict[str, Any]], collection["features"])
    provinces = sorted((f["properties"] for f in features), key=lambda p: str(p["name"]))
    geojson_url = str(request.app.url_path_for("provinces_geojson"))
    if region != "IT":
        geojson_url += f"?region={region}"
    return _render(request, "map.html", {
        "nav": "map", "region": region, "provinces": provinces, "geojson_url": geojson_url,
        "concept_base": concept_path(request, "", "territory"),
    })


@router.get("/concepts/{concept_id:path}", response_class=HTMLResponse, name="taxonomy_concept_page")
def concept_page(request: Request, session: SessionDep, concept_id: str) -> Response:
    lang = _lang(request)
    wanted = normalise_concept_id(concept_id)
    scheme, _, code = wanted.partition(":")
    candidates = [f"{edition}:{code}" for edition in ATECO_EDITIONS] if scheme == "ateco" and code else [wanted]
    for candidate in candidates:
        try:
            concept = service.get_concept(session, candidate, lang=lang)
            break
        except service.ConceptNotFound:
            continue
    else:
        t = request.app.state.catalog.translator(lang)
        raise HTTPException(404, detail=t("taxonomy.not_found", id=concept_id))
    return _render(request, "concept.html", {
        "nav": "taxonomy", "c": concept, "label_lang": _label_lang(concept, lang),
        "description": _description(concept, lang), "ref_path": _ref_path(request),
        "api_path": str(request.app.url_path_for("concept", concept_id=quote(candidate, safe="/:"))),
        "label_langs": sorted(concept.labels, key=lambda x: (x != lang, x)),
    })


def _label_lang(concept: ConceptDetail, lang: str) -> str:
    """The language of the concept's displayed label (for the ``lang`` attribute of foreign text)."""
    for candidate in (lang, "it", "en", *concept.labels):
        labels = concept.labels.get(candidate)
        if labels and concept.label in labels.preferred:
            return candidate
    return lang


def _description(concept: ConceptDetail, lang: str) -> tuple[str, str, str] | None:
    """(field, language, text) of the best text: the description in the page language, else any language."""
    for field in ("description", "definition", "scope_note"):
        for candidate in (lang, *sorted(concept.texts)):
            text = concept.texts.get(candidate, {}).get(field)
            if text:
                return field, candidate, text
    return None


MESSAGES: dict[str, dict[str, str]] = {
    "it": {
        "taxonomy.search_title": "Tassonomia",
        "taxonomy.search_lead": "Cerca professioni, competenze, codici ISCO e CP2011, attività ATECO e territori, "
                                "in italiano o in inglese.",
        "taxonomy.search_label": "Cerca nella tassonomia",
        "taxonomy.search_hint": "Per esempio «saldatore», «Python», «Bergamo» o un codice come 7212.",
        "taxonomy.type_label": "Tipo di concetto",
        "taxonomy.type_all": "Tutti i tipi",
        "taxonomy.search_button": "Cerca",
        "taxonomy.results": "Risultati",
        "taxonomy.results_count": "{n} risultati per «{q}»",
        "taxonomy.results_one": "1 risultato per «{q}»",
        "taxonomy.no_results": "Nessun risultato per «{q}».",
        "taxonomy.type_prompt": "Scrivi almeno una parola per cercare.",
        "taxonomy.score": "Pertinenza",
        "taxonomy.not_found": "Nessun concetto con identificativo «{id}».",
        "type.occupation": "Professione ESCO",
        "type.skill": "Competenza ESCO",
        "type.skill_group": "Gruppo di competenze ESCO",
        "type.isco": "Gruppo ISCO-08",
        "type.cp": "Professione CP2011",
        "type.ateco": "Attività ATECO",
        "type.territory": "Territorio",
        "scheme.esco": "ESCO",
        "scheme.isco08": "ISCO-08",
        "scheme.cp2011": "CP2011 (ISTAT)",
        "scheme.ateco2025": "ATECO 2025",
        "scheme.ateco2022": "ATECO 2007, aggiornamento 2022",
        "scheme.ateco2007": "ATECO 2007",
        "scheme.territory": "Territori ISTAT e NUTS",
        "skill_type.knowledge": "Conoscenza",
        "skill_type.skill/competence": "Abilità o competenza",
        "reuse_level.transversal": "Trasversale",
        "reuse_level.cross-sector": "Intersettoriale",
        "reuse_level.sector-specific": "Specifica di un settore",
        "reuse_level.occupation-specific": "Specifica di una professione",
        "children.province": "Province",
        "children.comune": "Comuni",
        "level.region": "Regione",
        "level.province": "Provincia",
        "level.comune": "Comune",
        "concept.breadcrumb": "Percorso",
        "concept.identifier": "Identificativo",
        "concept.scheme": "Classificazione",
        "concept.labels": "Denominazioni",
        "concept.language": "Lingua",
        "concept.preferred": "Preferita",
        "concept.alternative": "Alternative",
        "concept.lang.it": "Italiano",
        "concept.lang.en": "Inglese",
        "concept.in_lang.it": "italiano",
        "concept.in_lang.en": "inglese",
        "concept.description": "Descrizione",
        "concept.definition": "Definizione",
        "concept.scope_note": "Nota",
        "concept.no_description": "Nessuna descrizione disponibile.",
        "concept.codes": "Codici",
        "concept.esco_code": "Codice ESCO",
        "concept.broader": "Concetti più generali",
        "concept.narrower": "Concetti più specifici",
        "concept.essential_skills": "Competenze essenziali",
        "concept.optional_skills": "Competenze opzionali",
        "concept.isco": "Gruppo ISCO-08",
        "concept.cp2011": "Professioni CP2011 (ISTAT)",
        "concept.esco_occupations": "Professioni ESCO corrispondenti",
        "concept.skill_groups": "Gruppi di competenze",
        "concept.occupations": "Professioni che la richiedono come essenziale",
        "concept.occupations_capped": "Sono mostrate le prime {n}.",
        "concept.related": "Competenze collegate",
        "concept.skill_type": "Tipo",
        "concept.reuse_level": "Trasversalità",
        "concept.flags": "Raccolte ESCO",
        "flag.digital": "Digitale",
        "flag.green": "Verde",
        "flag.transversal": "Trasversale",
        "flag.language": "Linguistica",
        "concept.territory": "Codici territoriali",
        "concept.nuts3": "NUTS 3",
        "concept.nuts2": "NUTS 2",
        "concept.istat_code": "Codice ISTAT",
        "concept.sigla": "Sigla",
        "concept.cadastral_code": "Codice catastale",
        "concept.parent": "Appartiene a",
        "concept.capoluogo": "Capoluogo di provincia",
        "concept.api": "Dati in formato JSON",
        "concept.count": "({n})",
        "map.title": "Mappa delle province",
        "map.lead": "Le province e le città metropolitane, con i confini ISTAT. Seleziona una provincia per "
                    "vederne la scheda.",
        "map.region_label": "Area",
        "map.region.ITC4": "Lombardia",
        "map.region.IT": "Tutta Italia",
        "map.show": "Mostra",
        "map.figure": "Mappa delle province di {area}",
        "map.needs_js": "La mappa richiede JavaScript e i file dell'interfaccia (eseguire «make install»). "
                        "L'elenco qui sotto contiene le stesse province.",
        "map.list": "Elenco delle province ({n})",
        "map.attribution": "Fonte: ISTAT; confini via openpolis (CC BY 4.0)",
        "concept.text_in": "Testo disponibile solo in {language}.",
    },
    "en": {
        "taxonomy.search_title": "Taxonomy",
        "taxonomy.search_lead": "Search occupations, skills, ISCO and CP2011 codes, ATECO activities and "
                                "territories, in Italian or English.",
        "taxonomy.search_label": "Search the taxonomy",
        "taxonomy.search_hint": "For example “welder”, “Python”, “Bergamo” or a code such as 7212.",
        "taxonomy.type_label": "Concept type",
        "taxonomy.type_all": "All types",
        "taxonomy.search_button": "Search",
        "taxonomy.results": "Results",
        "taxonomy.results_count": "{n} results for “{q}”",
        "taxonomy.results_one": "1 result for “{q}”",
        "taxonomy.no_results": "No results for “{q}”.",
        "taxonomy.type_prompt": "Type at least one word to search.",
        "taxonomy.score": "Relevance",
        "taxonomy.not_found": "No concept with identifier “{id}”.",
        "type.occupation": "ESCO occupation",
        "type.skill": "ESCO skill",
        "type.skill_group": "ESCO skill group",
        "type.isco": "ISCO-08 group",
        "type.cp": "CP2011 occupation",
        "type.ateco": "ATECO activity",
        "type.territory": "Territory",
        "scheme.esco": "ESCO",
        "scheme.isco08": "ISCO-08",
        "scheme.cp2011": "CP2011 (ISTAT)",
        "scheme.ateco2025": "ATECO 2025",
        "scheme.ateco2022": "ATECO 2007, 2022 update",
        "scheme.ateco2007": "ATECO 2007",
        "scheme.territory": "ISTAT and NUTS territories",
        "skill_type.knowledge": "Knowledge",
        "skill_type.skill/competence": "Skill or competence",
        "reuse_level.transversal": "Transversal",
        "reuse_level.cross-sector": "Cross-sector",
        "reuse_level.sector-specific": "Sector-specific",
        "reuse_level.occupation-specific": "Occupation-specific",
        "children.province": "Provinces",
        "children.comune": "Municipalities",
        "level.region": "Region",
        "level.province": "Province",
        "level.comune": "Municipality",
        "concept.breadcrumb": "Breadcrumb",
        "concept.identifier": "Identifier",
        "concept.scheme": "Classification",
        "concept.labels": "Labels",
        "concept.language": "Language",
        "concept.preferred": "Preferred",
        "concept.alternative": "Alternative",
        "concept.lang.it": "Italian",
        "concept.lang.en": "English",
        "concept.in_lang.it": "Italian",
        "concept.in_lang.en": "English",
        "concept.description": "Description",
        "concept.definition": "Definition",
        "concept.scope_note": "Scope note",
        "concept.no_description": "No description available.",
        "concept.codes": "Codes",
        "concept.esco_code": "ESCO code",
        "concept.broader": "Broader concepts",
        "concept.narrower": "Narrower concepts",
        "concept.essential_skills": "Essential skills",
        "concept.optional_skills": "Optional skills",
        "concept.isco": "ISCO-08 group",
        "concept.cp2011": "CP2011 occupations (ISTAT)",
        "concept.esco_occupations": "Matching ESCO occupations",
        "concept.skill_groups": "Skill groups",
        "concept.occupations": "Occupations that need it as essential",
        "concept.occupations_capped": "The first {n} are shown.",
        "concept.related": "Related skills",
        "concept.skill_type": "Type",
        "concept.reuse_level": "Reuse level",
        "concept.flags": "ESCO collections",
        "flag.digital": "Digital",
        "flag.green": "Green",
        "flag.transversal": "Transversal",
        "flag.language": "Language",
        "concept.territory": "Territorial codes",
        "concept.nuts3": "NUTS 3",
        "concept.nuts2": "NUTS 2",
        "concept.istat_code": "ISTAT code",
        "concept.sigla": "Abbreviation",
        "concept.cadastral_code": "Cadastral code",
        "concept.parent": "Part of",
        "concept.capoluogo": "Provincial capital",
        "concept.api": "Data as JSON",
        "concept.count": "({n})",
        "map.title": "Province map",
        "map.lead": "Provinces and metropolitan cities, with ISTAT boundaries. Select a province to open its "
                    "page.",
        "map.region_label": "Area",
        "map.region.ITC4": "Lombardy",
        "map.region.IT": "All of Italy",
        "map.show": "Show",
        "map.figure": "Map of the provinces of {area}",
        "map.needs_js": "The map needs JavaScript and the interface files (run “make install”). The list "
                        "below holds the same provinces.",
        "map.list": "List of the provinces ({n})",
        "map.attribution": "Fonte: ISTAT; boundaries via openpolis (CC BY 4.0)",
        "concept.text_in": "Text available in {language} only.",
    },
}
