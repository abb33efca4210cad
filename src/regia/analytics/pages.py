"""The "Fabbisogni" pages: which occupations and skills firms ask for, where, in which sectors, over time.

Filters (territory, sector, occupation, period) re-draw the results in place with htmx (and work as a plain
form without JavaScript); the province map is a Leaflet choropleth of the taxonomy's boundaries (no tile
server); charts are Vega-Lite specs drawn by vega-embed. Same figures as `GET /api/needs/...` and
`regia report needs`. Signed-in accounts only (aggregates are shared with every organisation); examples
are anonymised.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, cast
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from regia.analytics.api import needs_for
from regia.analytics.needs import FilterError, Filters, Needs
from regia.auth.policy import READ, Resource, require
from regia.auth.principal import Principal
from regia.db import session_factory
from regia.htmx import fragment_or_page
from regia.i18n import N_, gettext
from regia.taxonomy import service as taxonomy_service

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates" / "pages"
NAV = [("needs", "needs_page", N_("nav.needs"))]
LOMBARDY = "ITC4"

router = APIRouter(prefix="/fabbisogni")
Reader = Annotated[Principal, Depends(require(READ, Resource.ACCOUNT))]


ISCO_MAJOR = ("1", "2", "3", "4", "5", "6", "7", "8", "9")


def _lang(request: Request) -> str:
    return getattr(request.state, "lang", "it")


def _filters(request: Request, needs: Needs) -> tuple[Filters, str | None]:
    """Filters from the query; a bad value is dropped (the page says so) rather than refused."""
    q = request.query_params
    values: dict[str, str | None] = {
        "territory": q.get("territory") or None, "sector": q.get("sector") or None,
        "occupation": q.get("occupation") or None, "start": q.get("from") or None, "end": q.get("to") or None}
    if values["territory"] == LOMBARDY:
        values["territory"] = None

    def build() -> Filters:
        return needs.filters(territory=values["territory"], sector=values["sector"],
                             occupation=values["occupation"], start=values["start"], end=values["end"])

    try:
        return build(), None
    except FilterError as exc:
        values[{"from": "start", "to": "end"}.get(exc.field, exc.field)] = None
        try:
            return build(), str(exc)
        except FilterError:
            return Filters(), str(exc)


def _query(f: Filters, **extra: str) -> str:
    params = {"territory": f.territory, "sector": f.sector, "occupation": f.occupation, "from": f.start,
              "to": f.end, **extra}
    return urlencode({k: v for k, v in params.items() if v})


def _results(request: Request, needs: Needs, f: Filters) -> dict[str, Any]:
    from regia.analytics.report import charts

    lang = _lang(request)
    summary = needs.summary(f)
    provinces = needs.by_province(f)
    trend = needs.trend(f)
    top = needs.top_skills(f, 15, lang)
    emerging = needs.emerging_skills(f, n=8, lang=lang) if summary["postings"] else {"skills": []}
    examples = needs.examples(f, limit=5, lang=lang)
    occupations = [r for r in needs.cube(f, ["isco"], limit=11) if r.get("isco")][:10]
    courses = _courses_for_groups(needs, f, [r["isco"] for r in occupations]) if occupations else {}
    for r in occupations:  # the most demanded occupations (ISCO-08), each linked to its demand and its courses
        r["label"] = needs.ref.isco.get(r["isco"], r["isco"])
        r["share"] = r["postings"] / summary["postings"] if summary["postings"] else 0.0
        r["esco"], r["courses"] = courses.get(r["isco"], (None, 0))
    specs = charts({"by_month": trend, "top_skills": [], "by_sector": []}, lang)
    return {"f": f, "summary": summary, "provinces": provinces, "top": top, "emerging": emerging,
            "occupations": occupations,
            "needs_url": lambda **change: f"{request.app.url_path_for('needs_page')}?{_query(replace(f, **change))}",
            "courses_url": lambda **where: f"{request.app.url_path_for('catalog_search_page')}?"
                                           f"{urlencode({k: v for k, v in where.items() if v})}",
            "examples": examples, "skill_label": None, "trend_spec": specs.get("trend"),
            "map_values": {r["province"]: r["postings"] for r in provinces if r["province"]},
            "unplaced": next((r["postings"] for r in provinces if not r["province"]), 0),
            "query": _query(f), "selected_province": f.territory if f.territory and len(f.territory) == 5 else "",
            "examples_url": lambda skill: f"{request.app.url_path_for('needs_examples')}?"
                                          f"{_query(f, skill=skill)}"}


def _courses_for_groups(needs: Needs, f: Filters, groups: list[str]) -> dict[str, tuple[str, int]]:
    """For each ISCO-08 group, the ESCO occupation its postings name most among those the catalogue has
    courses for anywhere (it ranks courses for an ESCO occupation by the share of its essential skills they
    teach), with the number of those courses; a group whose three most named occupations have none is left
    out. The courses page then narrows by province as the reader likes."""
    from regia.catalog import service as catalog
    from regia.catalog.search import BadQuery, Query

    named: dict[str, list[tuple[int, str]]] = {g: [] for g in groups}
    for r in needs.cube(f, ["isco", "occupation"]):
        if r.get("isco") in named and r.get("occupation"):
            named[r["isco"]].append((int(r["postings"]), r["occupation"]))
    out: dict[str, tuple[str, int]] = {}
    for group, candidates in named.items():
        for _, uri in sorted(candidates, reverse=True)[:3]:
            try:
                total = catalog.search(needs.engine, Query(occupation=uri), size=1, facets=False).total
            except (BadQuery, catalog.InvalidQuery):  # an occupation the taxonomy no longer has
                continue
            if total:
                out[group] = (uri, total)
                break
    return out


def _options(needs: Needs) -> dict[str, Any]:
    provinces = sorted(((code, p.name) for code, p in needs.ref.provinces.items() if p.nuts2 == LOMBARDY),
                       key=lambda x: x[1])
    codes = needs.ref.ateco.get("ateco2007", {})
    sections = sorted(code for code, (level, _) in codes.items() if level == "section")
    return {"province_options": provinces,
            "sector_options": [(s, needs.ref.ateco_labels.get(s, s).capitalize()) for s in sections],
            "occupation_options": [(c, needs.ref.isco.get(c, c)) for c in ISCO_MAJOR]}


def _geojson(request: Request) -> dict[str, Any]:
    cached = getattr(request.app.state, "needs_geojson", None)
    if cached is None:
        with session_factory(request.app.state.engine)() as session:
            cached = taxonomy_service.province_features(session, region=LOMBARDY)
        request.app.state.needs_geojson = cached
    return cast(dict[str, Any], cached)


def render(request: Request, name: str, context: dict[str, Any]) -> Response:
    return request.app.state.templates.TemplateResponse(request, f"needs/{name}", context)


@router.get("", response_class=HTMLResponse, name="needs_page")
def needs_page(request: Request, _: Reader) -> Response:
    needs = needs_for(request)
    f, error = _filters(request, needs)
    context = {"nav": "needs", "error": error, "geojson": _geojson(request), **_options(needs),
               **_results(request, needs, f)}
    return render(request, "page.html", context)


@router.get("/risultati", response_class=HTMLResponse, name="needs_results")
def needs_results(request: Request, _: Reader) -> Response:
    """The results region alone, for htmx (opened directly: inside the layout)."""
    needs = needs_for(request)
    f, error = _filters(request, needs)
    return fragment_or_page(request, "needs/_results.html", {"error": error, **_results(request, needs, f)},
                            title=gettext("needs.title", _lang(request)), nav="needs")


@router.get("/esempi", response_class=HTMLResponse, name="needs_examples")
def needs_examples(request: Request, _: Reader) -> Response:
    """Anonymised example postings of the selection (drill-down from a skill or a province)."""
    needs = needs_for(request)
    f, _error = _filters(request, needs)
    skill = request.query_params.get("skill") or None
    if skill:
        f = Filters(**{**f.__dict__, "skill": skill})
    lang = _lang(request)
    label = needs.skill_labels([skill], lang).get(skill or "", skill) if skill else None
    return fragment_or_page(request, "needs/_examples.html", {"examples": needs.examples(f, limit=10, lang=lang),
                                                              "skill_label": label},
                            title=gettext("needs.title", lang), nav="needs")


@router.get("/confronto", response_class=HTMLResponse, name="needs_compare_page")
def needs_compare_page(request: Request, _: Reader) -> Response:
    """Two provinces (or two sectors) side by side: postings, and the skills whose share differs most (the
    same figures as ``GET /api/needs/compare``)."""
    needs = needs_for(request)
    q = request.query_params
    lang = _lang(request)
    a_territory, b_territory = q.get("territory") or "ITC46", q.get("vs_territory") or "ITC4C"
    a_sector, b_sector = q.get("sector") or None, q.get("vs_sector") or None
    error, result = None, None
    try:
        a = needs.filters(territory=a_territory, sector=a_sector)
        b = needs.filters(territory=b_territory, sector=b_sector or a_sector)
        result = needs.compare(a, b, lang=lang)
    except FilterError as exc:
        error = str(exc)
    return render(request, "compare.html", {
        "nav": "needs", "error": error, "result": result, "a_territory": a_territory, "b_territory": b_territory,
        "a_sector": a_sector or "", "b_sector": b_sector or "", **_options(needs),
        "province_name": needs.province_name})


@router.get("/cooccorrenze", response_class=HTMLResponse, name="needs_cooccurrence_page")
def needs_cooccurrence_page(request: Request, _: Reader) -> Response:
    """Skills asked together in the same postings (lift: how much more often than by chance), for a province
    and sector (the same figures as ``GET /api/needs/skills/cooccurrence``)."""
    needs = needs_for(request)
    f, error = _filters(request, needs)
    pairs = needs.cooccurrence(f, n=30, lang=_lang(request))
    return render(request, "cooccurrence.html", {"nav": "needs", "error": error, "f": f, "pairs": pairs,
                                                 **_options(needs)})
