"""Pages of the catalogue: search with facets, one course, orientation. (The mismatch pages are served by
``regia.analytics.mismatch`` with templates kept here, beside the catalogue's.)"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from regia.auth.policy import READ, public
from regia.catalog import orientation, service
from regia.catalog.models import MODALITIES, TARGETS
from regia.catalog.search import BadQuery, Query

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
PAGE_SIZE = 20
FACET_ORDER = ("province", "target", "modality", "funding", "hours", "digital", "green")

router = APIRouter(prefix="/catalog", dependencies=[Depends(public(READ, "the catalogue is public"))])


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    return request.app.state.templates.TemplateResponse(request, f"catalog/{name}", context,
                                                        status_code=status_code)


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@router.get("", response_class=HTMLResponse, name="catalog_search_page")
def search_page(request: Request) -> Response:
    """Search box, facets (checkboxes with counts) and results; bad parameters are ignored, not refused."""
    params = request.query_params
    q = params.get("q", "").strip()[:200]
    page = max(1, min(int(params.get("page", "1") or 1) if params.get("page", "1").isdigit() else 1, 500))
    query = Query(text=q, provinces=params.getlist("province"),
                  targets=[t for t in params.getlist("target") if t in TARGETS],
                  modalities=[m for m in params.getlist("modality") if m in MODALITIES],
                  funding=[f for f in params.getlist("funding") if f in ("regione", "fse+", "fondo", "impresa")],
                  digital=True if params.get("digital") == "true" else None,
                  green=True if params.get("green") == "true" else None,
                  start_from=_date(params.get("from", "")), start_to=_date(params.get("to", "")),
                  occupation=params.get("occupation") or None)
    error = None
    try:
        results = service.search(request.app.state.engine, query, page=page, size=PAGE_SIZE)
    except (BadQuery, service.InvalidQuery) as exc:
        error = str(exc)
        query.provinces, query.occupation = [], None
        results = service.search(request.app.state.engine, query, page=1, size=PAGE_SIZE)
    selected = {"province": set(params.getlist("province")), "target": set(query.targets),
                "modality": set(query.modalities), "funding": set(query.funding),
                "digital": {"true"} if query.digital else set(), "green": {"true"} if query.green else set()}
    base = [(k, v) for k, v in params.multi_items() if k not in ("page", "lang")]
    pages = (results.total + PAGE_SIZE - 1) // PAGE_SIZE
    return render(request, "search.html", {
        "nav": "catalog", "q": q, "results": results, "selected": selected, "error": error,
        "facet_order": [f for f in FACET_ORDER if f in results.facets], "page": page, "pages": pages,
        "page_url": lambda n: f"{request.url.path}?{urlencode([*base, ('page', str(n))])}",
        "province_names": _province_names(request), "occupation": params.get("occupation", ""),
        "start_from": params.get("from", ""), "start_to": params.get("to", ""),
    })


def _province_names(request: Request) -> dict[str, str]:
    from regia.catalog.search import index_for

    return index_for(request.app.state.engine).province_names


@router.get("/courses/{course_id}", response_class=HTMLResponse, name="catalog_course_page")
def course_page(request: Request, course_id: int) -> Response:
    try:
        course = service.course_detail(request.app.state.engine, course_id, lang=getattr(request.state, "lang", "it"))
    except service.NotFound:
        t = request.app.state.catalog.translator(getattr(request.state, "lang", "it"))
        raise HTTPException(404, detail=t("catalog.not_found", id=course_id)) from None
    return render(request, "course.html", {"nav": "catalog", "c": course})


@router.get("/orientation", response_class=HTMLResponse, name="catalog_orientation_page")
def orientation_page(request: Request, current: str = "", target: str = "", near: str = "", km: float = 50) -> Response:
    plan, error = None, None
    if target.strip() and current.strip():
        try:
            plan = orientation.plan(request.app.state.engine, target=target[:300], current=current[:300],
                                    near=near[:100] or None, km=max(1.0, min(km, 500.0)), size=15,
                                    lang=getattr(request.state, "lang", "it"))
        except service.InvalidQuery as exc:
            error = str(exc)
    return render(request, "orientation.html", {"nav": "catalog", "current": current, "target": target,
                                                "near": near, "km": km, "plan": plan, "error": error})


MESSAGES: dict[str, dict[str, str]] = {
    "it": {
        "nav.catalog": "Catalogo corsi",
        "nav.mismatch": "Domanda e offerta",
        "catalog.title": "Catalogo unico dei servizi formativi",
        "catalog.lead": "Corsi di enti accreditati e Fondi interprofessionali, pubblicati una sola volta. Cerca per "
                        "parole, competenze o professione e filtra per territorio, destinatari, modalità e "
                        "finanziamento.",
        "catalog.search_label": "Cerca corsi",
        "catalog.search_hint": "Per esempio «saldatura», «carrello elevatore», «Excel».",
        "catalog.occupation_label": "Professione (insegna le sue competenze essenziali)",
        "catalog.search_button": "Cerca",
        "catalog.filters": "Filtri",
        "catalog.apply": "Applica i filtri",
        "catalog.results_count": "{n} corsi",
        "catalog.no_results": "Nessun corso corrisponde alla ricerca.",
        "catalog.score": "Pertinenza",
        "catalog.hours": "{n} ore",
        "catalog.next_start": "Prossimo avvio: {d}",
        "catalog.seats": "{n} posti",
        "catalog.previous": "Precedente",
        "catalog.next": "Successiva",
        "catalog.page_of": "Pagina {page} di {pages}",
        "catalog.not_found": "Nessun corso con identificativo {id}.",
        "catalog.provider": "Ente",
        "catalog.editions": "Edizioni",
        "catalog.skills": "Competenze insegnate (ESCO)",
        "catalog.confirmed": "confermata dall'ente",
        "catalog.suggested": "proposta dal classificatore",
        "catalog.sources": "Fonti",
        "catalog.history": "Storia",
        "catalog.from": "Dal",
        "catalog.to": "al",
        "catalog.online": "online",
        "catalog.start_from": "Avvio dal",
        "catalog.start_to": "Avvio entro",
        "facet.province": "Provincia",
        "facet.target": "Destinatari",
        "facet.modality": "Modalità",
        "facet.funding": "Finanziamento",
        "facet.hours": "Durata (ore)",
        "facet.digital": "Competenze digitali",
        "facet.green": "Competenze green",
        "value.true": "sì",
        "value.disoccupati": "Disoccupati", "value.occupati": "Occupati", "value.sospesi": "Lavoratori sospesi",
        "value.studenti": "Studenti", "value.apprendisti": "Apprendisti", "value.stranieri": "Lavoratori stranieri",
        "value.presenza": "In presenza", "value.online": "Online", "value.blended": "Mista",
        "value.regione": "Regione", "value.fse+": "FSE+ 2021–2027", "value.fondo": "Fondo interprofessionale",
        "value.impresa": "Impresa",
        "orient.title": "Orientamento",
        "orient.lead": "Dalla professione di oggi a quella che vuoi fare: le competenze essenziali che mancano e i "
                       "corsi vicini che le insegnano.",
        "orient.current": "Professione attuale",
        "orient.target": "Professione obiettivo",
        "orient.near": "Comune",
        "orient.km": "Entro km",
        "orient.button": "Mostra il percorso",
        "orient.missing": "Competenze essenziali mancanti ({n})",
        "orient.courses": "Corsi che le insegnano",
        "orient.covers": "Copre {n}",
        "orient.km_away": "{km} km",
        "orient.none": "Nessun corso vicino insegna queste competenze.",
        "mismatch.title": "Domanda e offerta di competenze",
        "mismatch.lead": "Per territorio e settore: quanto ogni competenza è chiesta negli annunci e quanto è "
                         "insegnata nei corsi del catalogo.",
        "mismatch.territory": "Provincia",
        "mismatch.all": "Tutta la Lombardia",
        "mismatch.sector": "Settore (ATECO)",
        "mismatch.all_sectors": "Tutti i settori",
        "mismatch.show": "Mostra",
        "mismatch.gaps": "Competenze richieste con offerta assente o scarsa",
        "mismatch.no_demand": "Corsi che insegnano competenze che qui nessuno chiede",
        "mismatch.skill": "Competenza",
        "mismatch.demand": "Domanda (annunci)",
        "mismatch.supply": "Offerta (posti)",
        "mismatch.courses": "Corsi",
        "mismatch.gap": "Gap",
        "mismatch.confidence": "Affidabilità",
        "mismatch.close": "Colmare",
        "mismatch.summary": "{postings} annunci, {seats} posti nei corsi.",
        "mismatch.formula": "Gap = log2(quota della competenza negli annunci ÷ quota nei posti dei corsi); positivo: "
                            "chiesta più di quanto sia insegnata. Affidabilità bassa con meno di 10 annunci o "
                            "meno di 3 corsi.",
        "mismatch.empty": "Nessun dato: importare annunci e corsi.",
        "mismatch.map": "Posti nei corsi / annunci, per provincia",
        "mismatch.by_target": "Posti per destinatari",
        "mismatch.by_funding": "Posti per finanziamento",
        "confidence.low": "bassa", "confidence.medium": "media", "confidence.high": "alta",
        "gap.title": "Colmare il gap: {skill}",
        "gap.courses": "Corsi vicini che la insegnano",
        "gap.distance": "Distanza",
        "gap.none": "Nessun corso del catalogo insegna questa competenza qui vicino.",
        "gap.profile": "Profilo di un nuovo corso",
        "gap.occupations": "Professioni che la chiedono",
        "gap.related": "Competenze chieste insieme",
    },
    "en": {
        "nav.catalog": "Course catalogue",
        "nav.mismatch": "Demand and supply",
        "catalog.title": "Single shared training catalogue",
        "catalog.lead": "Courses from accredited providers and interprofessional Funds, published once. Search by "
                        "words, skills or occupation and filter by territory, target, modality and funding.",
        "catalog.search_label": "Search courses",
        "catalog.search_hint": "For example «saldatura», «carrello elevatore», «Excel».",
        "catalog.occupation_label": "Occupation (teaches its essential skills)",
        "catalog.search_button": "Search",
        "catalog.filters": "Filters",
        "catalog.apply": "Apply filters",
        "catalog.results_count": "{n} courses",
        "catalog.no_results": "No course matches the search.",
        "catalog.score": "Relevance",
        "catalog.hours": "{n} hours",
        "catalog.next_start": "Next start: {d}",
        "catalog.seats": "{n} seats",
        "catalog.previous": "Previous",
        "catalog.next": "Next",
        "catalog.page_of": "Page {page} of {pages}",
        "catalog.not_found": "No course with id {id}.",
        "catalog.provider": "Provider",
        "catalog.editions": "Editions",
        "catalog.skills": "Skills taught (ESCO)",
        "catalog.confirmed": "confirmed by the provider",
        "catalog.suggested": "suggested by the classifier",
        "catalog.sources": "Sources",
        "catalog.history": "History",
        "catalog.from": "From",
        "catalog.to": "to",
        "catalog.online": "online",
        "catalog.start_from": "Starting from",
        "catalog.start_to": "Starting by",
        "facet.province": "Province", "facet.target": "Target", "facet.modality": "Modality",
        "facet.funding": "Funding", "facet.hours": "Length (hours)", "facet.digital": "Digital skills",
        "facet.green": "Green skills", "value.true": "yes",
        "value.disoccupati": "Unemployed", "value.occupati": "Employed", "value.sospesi": "Suspended workers",
        "value.studenti": "Students", "value.apprendisti": "Apprentices", "value.stranieri": "Foreign workers",
        "value.presenza": "In presence", "value.online": "Online", "value.blended": "Blended",
        "value.regione": "Region", "value.fse+": "ESF+ 2021–2027", "value.fondo": "Interprofessional Fund",
        "value.impresa": "Firm",
        "orient.title": "Orientation",
        "orient.lead": "From today's occupation to the one you want: the essential skills missing and the courses "
                       "nearby that teach them.",
        "orient.current": "Current occupation", "orient.target": "Target occupation", "orient.near": "Comune",
        "orient.km": "Within km", "orient.button": "Show the path",
        "orient.missing": "Missing essential skills ({n})", "orient.courses": "Courses that teach them",
        "orient.covers": "Covers {n}", "orient.km_away": "{km} km",
        "orient.none": "No course nearby teaches these skills.",
        "mismatch.title": "Skill demand and training supply",
        "mismatch.lead": "By territory and sector: how much each skill is asked in job ads and how much it is "
                         "taught in the catalogue's courses.",
        "mismatch.territory": "Province", "mismatch.all": "All Lombardy", "mismatch.sector": "Sector (ATECO)",
        "mismatch.all_sectors": "All sectors", "mismatch.show": "Show",
        "mismatch.gaps": "Skills in demand with no or thin training supply",
        "mismatch.no_demand": "Courses teaching skills nobody here asks for",
        "mismatch.skill": "Skill", "mismatch.demand": "Demand (ads)", "mismatch.supply": "Supply (seats)",
        "mismatch.courses": "Courses", "mismatch.gap": "Gap", "mismatch.confidence": "Confidence",
        "mismatch.close": "Close it", "mismatch.summary": "{postings} job ads, {seats} course seats.",
        "mismatch.formula": "Gap = log2(the skill's share of job ads ÷ its share of course seats); positive: asked "
                            "more than taught. Low confidence with fewer than 10 ads or 3 courses.",
        "mismatch.empty": "No data: import job postings and courses.",
        "mismatch.map": "Course seats / job ads, by province",
        "mismatch.by_target": "Seats by target",
        "mismatch.by_funding": "Seats by funding",
        "confidence.low": "low", "confidence.medium": "medium", "confidence.high": "high",
        "gap.title": "Closing the gap: {skill}", "gap.courses": "Courses nearby that teach it",
        "gap.distance": "Distance", "gap.none": "No catalogue course teaches this skill nearby.",
        "gap.profile": "Profile of a new course", "gap.occupations": "Occupations asking for it",
        "gap.related": "Skills asked with it",
    },
}
