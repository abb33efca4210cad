"""Pages of the catalogue: search with facets, one course, orientation; on the course page, the form with
which the course's provider (and Region staff) confirm, remove and add the skills taught. (The mismatch
pages are served by ``regia.analytics.mismatch`` with templates kept here, beside the catalogue's.)

Access: reading is public; the skills form is shown, and its post accepted, to whom the policy allows
``can(principal, WRITE, Resource.CATALOG, owner)`` (``regia.auth.policy``). Stable element ids used by the
browser tests: ``#skills-form``, ``#skills-table`` (rows ``tr[data-uri]``), ``#skill-query``,
``#skill-suggestions``, ``#save-skills``, ``#skills-saved``, ``#skills-error``."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from regia.auth.policy import READ, WRITE, Resource, can, public, require
from regia.auth.principal import Principal
from regia.catalog import orientation, service
from regia.catalog.models import MODALITIES, TARGETS
from regia.catalog.search import BadQuery, Query
from regia.i18n import N_

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
NAV = [("catalog", "catalog_search_page", N_("nav.catalog")), ("mismatch", "mismatch_page", N_("nav.mismatch"))]
PAGE_SIZE = 20
FACET_ORDER = ("province", "target", "modality", "funding", "hours", "digital", "green")

router = APIRouter(prefix="/catalog")
Reader = Annotated[Principal, Depends(public(READ, "the catalogue is public"))]
Writer = Annotated[Principal, Depends(require(WRITE, Resource.CATALOG))]
MAX_SKILLS = 200  # skill URIs per form field


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    return request.app.state.templates.TemplateResponse(request, f"catalog/{name}", context,
                                                        status_code=status_code)


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@router.get("", response_class=HTMLResponse, name="catalog_search_page")
def search_page(request: Request, _: Reader) -> Response:
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


def _lang(request: Request) -> str:
    return getattr(request.state, "lang", "it")


def _not_found(request: Request, course_id: int) -> HTTPException:
    t = request.app.state.catalog.translator(_lang(request))
    return HTTPException(404, detail=t("catalog.not_found", id=course_id))


def _may_edit(request: Request, principal: Principal, course_id: int) -> bool:
    """May ``principal`` change this course's skills? (The owner is looked up only for those who may edit some
    course at all.)"""
    if not can(principal, WRITE, Resource.CATALOG):
        return False
    owner = service.course_owner(request.app.state.engine, course_id)
    return owner is not None and can(principal, WRITE, Resource.CATALOG, owner)


def _course_page(request: Request, principal: Principal, course_id: int, *, saved: bool = False,
                 error: str | None = None, status_code: int = 200) -> Response:
    try:
        course = service.course_detail(request.app.state.engine, course_id, lang=_lang(request))
    except service.NotFound:
        raise _not_found(request, course_id) from None
    # QRSP competences the course prepares for: a hook the web app sets (regia.certification.service), so that
    # the catalogue does not import the certification domain
    certifies = getattr(request.app.state, "course_competences", None)
    return render(request, "course.html", {
        "nav": "catalog", "c": course, "editable": _may_edit(request, principal, course_id),
        "certifies": certifies(course_id) if certifies else [],
        "csrf_token": principal.csrf or "", "saved": saved, "error": error}, status_code)


@router.get("/courses/{course_id}", response_class=HTMLResponse, name="catalog_course_page")
def course_page(request: Request, course_id: int, principal: Reader, saved: bool = False) -> Response:
    """One course; its provider's editors (and Region staff) also get the form to confirm its skills."""
    return _course_page(request, principal, course_id, saved=saved)


def _uris(values: list[str] | None) -> list[str]:
    return [v.strip() for v in (values or [])[:MAX_SKILLS] if v.strip()]


@router.post("/courses/{course_id}/skills", response_class=HTMLResponse, name="catalog_course_skills")
def course_skills(
    request: Request, course_id: int, principal: Writer,
    confirm: Annotated[list[str] | None, Form(description="skills taught: the classifier's tags confirmed")] = None,
    remove: Annotated[list[str] | None, Form(description="skills not taught")] = None,
    add: Annotated[list[str] | None, Form(description="skills added, chosen among the suggestions")] = None,
    add_query: Annotated[str, Form(max_length=200, description="a skill's name, when none was chosen")] = "",
) -> Response:
    """Confirm, remove and add the course's skills (its provider's editors, Region staff); back to the course
    page with "Competenze aggiornate." — or the page again with the error (422)."""
    engine = request.app.state.engine
    owner = service.course_owner(engine, course_id)
    if owner is None:
        raise _not_found(request, course_id)
    if not can(principal, WRITE, Resource.CATALOG, owner):
        t = request.app.state.catalog.translator(_lang(request))
        raise HTTPException(403, detail=t("catalog.not_owner"))
    dropped = set(_uris(remove))
    taught = [u for u in _uris(confirm) + _uris(add) if u not in dropped]
    try:
        if add_query.strip() and not _uris(add):  # typed, no suggestion chosen: the best match by name
            taught.append(service.resolve_skill(engine, add_query))
        service.confirm_skills(engine, course_id, confirm=taught, remove=sorted(dropped))
    except service.InvalidQuery as exc:
        return _course_page(request, principal, course_id, error=str(exc), status_code=422)
    url = request.scope.get("root_path", "") + request.app.url_path_for("catalog_course_page",
                                                                         course_id=str(course_id))
    return RedirectResponse(f"{url}?saved=1", status_code=303)


@router.get("/skills/suggest", response_class=HTMLResponse, name="catalog_skill_suggestions")
def skill_suggestions(request: Request, _: Reader, course: int | None = None) -> Response:
    """Skills of the taxonomy named like ``q`` (or ``add_query``: the field of the skills form, as htmx sends
    it), as checkboxes for the skills form; the course's own skills are left out."""
    q = (request.query_params.get("q") or request.query_params.get("add_query") or "").strip()[:200]
    found = service.suggest_skills(request.app.state.engine, q, lang=_lang(request), exclude_course=course)
    return render(request, "_skill_suggestions.html", {"q": q, "suggestions": found})


@router.get("/orientation", response_class=HTMLResponse, name="catalog_orientation_page")
def orientation_page(request: Request, _: Reader, current: str = "", target: str = "", near: str = "",
                     km: float = 50) -> Response:
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
        "catalog.skills_saved": "Competenze aggiornate.",
        "catalog.skills_lead": "Confermare le competenze proposte dal classificatore che il corso insegna, "
                               "rimuovere quelle che non insegna, aggiungerne altre cercandole nella "
                               "classificazione ESCO.",
        "catalog.skill": "Competenza",
        "catalog.origin": "Origine",
        "catalog.origin.classifier": "classificatore",
        "catalog.origin.provider": "ente",
        "catalog.origin.confirmed": "confermata",
        "catalog.skill_score": "Punteggio",
        "catalog.confirm": "Conferma",
        "catalog.remove": "Rimuovi",
        "catalog.already_confirmed": "già confermata",
        "catalog.add_skill": "Aggiungi una competenza",
        "catalog.add_skill_hint": "Scrivere il nome e scegliere tra i suggerimenti; senza scelta si aggiunge la "
                                  "competenza più simile.",
        "catalog.suggestions": "Suggerimenti",
        "catalog.no_suggestions": "Nessuna competenza trovata.",
        "catalog.save_skills": "Salva le competenze",
        "catalog.no_skills": "Nessuna competenza indicata.",
        "catalog.not_owner": "Solo l'ente che eroga il corso (e la Regione) può modificarne le competenze.",
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
        "catalog.skills_saved": "Skills updated.",
        "catalog.skills_lead": "Confirm the classifier's suggestions that the course teaches, remove those it does "
                               "not teach, add others by searching the ESCO classification.",
        "catalog.skill": "Skill",
        "catalog.origin": "Origin",
        "catalog.origin.classifier": "classifier",
        "catalog.origin.provider": "provider",
        "catalog.origin.confirmed": "confirmed",
        "catalog.skill_score": "Score",
        "catalog.confirm": "Confirm",
        "catalog.remove": "Remove",
        "catalog.already_confirmed": "already confirmed",
        "catalog.add_skill": "Add a skill",
        "catalog.add_skill_hint": "Type its name and choose among the suggestions; without a choice the closest "
                                  "skill is added.",
        "catalog.suggestions": "Suggestions",
        "catalog.no_suggestions": "No skill found.",
        "catalog.save_skills": "Save the skills",
        "catalog.no_skills": "No skill given.",
        "catalog.not_owner": "Only the course's provider (and the Region) may change its skills.",
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
