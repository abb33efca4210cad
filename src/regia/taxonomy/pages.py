"""Pages of the taxonomy: search, one concept, the province map.

Rendered with the application's templates (``request.app.state.templates``) in the language chosen for the
request (``request.state.lang``); both are set up by the web layer, which this package does not import.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from regia.htmx import fragment_or_page, wants_fragment
from regia.i18n import N_, gettext
from regia.taxonomy import service
from regia.taxonomy.api import SessionDep, normalise_concept_id
from regia.taxonomy.models import CONCEPT_TYPES, Concept
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
ATECO_EDITIONS = service.ATECO_EDITIONS

router = APIRouter(prefix="/taxonomy")


@dataclass(frozen=True)
class Picker:
    """What a form's autocomplete (``forms.picker`` in ``_forms.html``) offers: concepts of ``type`` (territories
    of ``level``), each chosen as its public code or, with ``value="sigla"``, as its province sigla."""

    type: str
    title: str  # message key of the full page
    level: str | None = None
    value: str = "code"


PICKERS = {
    "skill": Picker("skill", N_("forms.picker.title.skill")),
    "occupation": Picker("occupation", N_("forms.picker.title.occupation")),
    "province": Picker("territory", N_("forms.picker.title.province"), level="province"),
    "sigla": Picker("territory", N_("forms.picker.title.province"), level="province", value="sigla"),
    "comune": Picker("territory", N_("forms.picker.title.comune"), level="comune"),
    "ateco": Picker("ateco", N_("forms.picker.title.ateco")),
}
# The hint under each picker (``_('forms.picker.help.' ~ kind)`` in the macro).
PICKER_HELP = (N_("forms.picker.help.skill"), N_("forms.picker.help.occupation"), N_("forms.picker.help.province"),
               N_("forms.picker.help.sigla"), N_("forms.picker.help.comune"), N_("forms.picker.help.ateco"))
PICKER_LIMIT = 12


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
    partial = wants_fragment(request)
    response = _render(request, "_results.html" if partial else "search.html", {
        "nav": "taxonomy", "q": query, "type": ctype, "types": CONCEPT_TYPES, "results": results, "levels": levels,
        "hit_path": lambda hit: concept_path(request, hit.id, HIT_SCHEME.get(hit.type, "esco")),
        "partial": partial,
    })
    response.headers["Vary"] = "HX-Request"
    return response


def _exact_code(session: SessionDep, spec: Picker, query: str, lang: str) -> list[ConceptRef]:
    """The concept whose code is ``query`` (``25``, ``25.62``, ``ITC46``, ``016024``), first among the
    suggestions: the search matches names, and people who know the code type it."""
    code = query.upper()
    if " " in code or len(code) > 12:
        return []
    where = [Concept.type == spec.type, Concept.code == code]
    if spec.level:
        where.append(Concept.level == spec.level)
    concept = session.scalars(select(Concept).where(*where).order_by(Concept.scheme.desc())).first()
    if concept is None:
        return []
    label = service.preferred_labels(session, [concept.id], lang).get(concept.id, code)
    return [ConceptRef(id=concept.code, type=concept.type, label=label, scheme=concept.scheme, level=concept.level)]


@router.get("/picker/{kind}", response_class=HTMLResponse, name="taxonomy_picker")
def picker(request: Request, session: SessionDep, kind: str, q: str = "") -> Response:
    """The suggestions of a form's autocomplete: concepts of the picker's kind named like ``q`` (``<li
    role="option">`` with the value to store, the name and the code), from the taxonomy search; opened directly,
    the same list inside a page."""
    spec = PICKERS.get(kind)
    if spec is None:
        raise HTTPException(404, detail=gettext("taxonomy.not_found", _lang(request), id=kind))
    query = q.strip()[:200]
    options: list[dict[str, str]] = []
    if query:
        hits = _exact_code(session, spec, query, _lang(request)) + service.search(
            request.app.state.engine, session, query, lang=_lang(request), types=[spec.type],
            limit=PICKER_LIMIT * (4 if spec.level else 1))
        concepts: dict[str, Concept] = {}
        if spec.level:
            rows = session.scalars(select(Concept).where(Concept.type == spec.type, Concept.level == spec.level,
                                                         Concept.code.in_([h.id for h in hits])))
            concepts = {c.code: c for c in rows}
        seen: set[str] = set()
        for hit in hits:
            concept = concepts.get(hit.id)
            if spec.level and concept is None:
                continue
            value = (concept.attrs or {}).get("sigla", "") if spec.value == "sigla" and concept else hit.id
            if not value or value in seen:
                continue
            seen.add(value)
            code = "" if value.startswith("http") else value
            options.append({"value": value, "label": hit.label, "code": code})
            if len(options) == PICKER_LIMIT:
                break
    return fragment_or_page(request, "taxonomy/_picker_options.html", {"q": query, "options": options, "kind": kind},
                            title=gettext(spec.title, _lang(request)), nav="taxonomy")


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
        raise HTTPException(404, detail=gettext("taxonomy.not_found", lang, id=concept_id))
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
