"""REST API of the skills needs: `GET /api/needs/...`, the same figures as the pages and `regia report needs`,
as JSON or, with ``format=csv``, as CSV.

Access: aggregates are shared with every signed-in account (any organisation); example postings are
anonymised (no employer, personal data stripped at ingest). Declared as ``require(READ, Resource.ACCOUNT)``:
the policy has no resource of its own for demand aggregates yet.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response

from regia.analytics.needs import DIMENSIONS, FilterError, Filters, Needs
from regia.auth.policy import READ, Resource, require
from regia.auth.principal import Principal

Reader = Annotated[Principal, Depends(require(READ, Resource.ACCOUNT))]
Format = Annotated[Literal["json", "csv"], Query(alias="format", description="json (default) or csv")]
Lang = Annotated[Literal["it", "en"], Query(description="Language of the labels")]

router = APIRouter(prefix="/api/needs", tags=["needs"])


def needs_for(request: Request) -> Needs:
    """The app's analytics over its database and its facts folder (one per app, views refreshed on use)."""
    state = request.app.state
    needs = getattr(state, "needs_analytics", None)
    if needs is None:
        settings = getattr(state, "settings", None)
        facts_dir = settings.data_dir / "facts" / "postings" if settings is not None else None
        needs = Needs(state.engine, facts_dir)
        state.needs_analytics = needs
    return needs


def selection(
    request: Request,
    territory: Annotated[str | None, Query(max_length=80, description="NUTS2/NUTS3 code, province name or "
                                                                      "sigla, or ISTAT comune code")] = None,
    sector: Annotated[str | None, Query(max_length=4, description="ATECO 2007 section (C) or division (25)")] = None,
    occupation: Annotated[str | None, Query(max_length=120, description="ISCO-08 code (1-4 digits), CP2011 "
                                                                        "code or ESCO occupation URI")] = None,
    skill: Annotated[str | None, Query(max_length=120, description="ESCO skill URI: postings asking for it")] = None,
    start: Annotated[str | None, Query(alias="from", max_length=7, description="First month, YYYY-MM")] = None,
    end: Annotated[str | None, Query(alias="to", max_length=7, description="Last month, YYYY-MM")] = None,
    origin: Annotated[Literal["all", "source", "regia"], Query(
        description="Skills as the feed gave them (source), as Regia's classifier assigned them (regia), or both")
    ] = "all",
) -> Filters:
    try:
        return needs_for(request).filters(territory=territory or None, sector=sector or None,
                                          occupation=occupation or None, skill=skill or None, start=start or None,
                                          end=end or None, origin=origin)
    except FilterError as exc:
        raise HTTPException(422, f"{exc.field}: {exc}") from None


Selection = Annotated[Filters, Depends(selection)]


def rows_response(rows: Sequence[dict[str, Any]], fmt: str, name: str, extra: dict[str, Any] | None = None
                  ) -> Response:
    if fmt == "csv":
        buf = io.StringIO()
        fields: list[str] = []
        for r in rows:
            fields += [k for k in r if k not in fields]
        writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        for r in rows:
            writer.writerow({k: ";".join(map(str, v)) if isinstance(v, list) else v for k, v in r.items()})
        return Response(buf.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="needs-{name}.csv"'})
    return JSONResponse({**(extra or {}), "rows": list(rows)})


@router.get("/summary", summary="Postings (demand units), ads, employers, digital/green/transversal shares")
def summary(request: Request, _: Reader, f: Selection) -> dict[str, Any]:
    """`postings` counts distinct demand units: a posting published on several boards, collected again or
    lightly edited counts once; `ads` counts the ads stored."""
    return {"filters": f.describe(), **needs_for(request).summary(f)}


@router.get("/provinces", summary="Postings per province")
def provinces(request: Request, _: Reader, f: Selection, fmt: Format = "json") -> Response:
    return rows_response(needs_for(request).by_province(f), fmt, "provinces", {"filters": f.describe()})


@router.get("/trend", summary="Postings per month, with those asking for digital and green skills")
def trend(request: Request, _: Reader, f: Selection, fmt: Format = "json") -> Response:
    return rows_response(needs_for(request).trend(f), fmt, "trend", {"filters": f.describe()})


@router.get("/skills/top", summary="Skills asked by most postings")
def top_skills(request: Request, _: Reader, f: Selection, fmt: Format = "json", lang: Lang = "it",
               n: Annotated[int, Query(ge=1, le=500)] = 20) -> Response:
    return rows_response(needs_for(request).top_skills(f, n, lang), fmt, "top-skills", {"filters": f.describe()})


@router.get("/skills/emerging", summary="Skills whose share grew (z-test, Benjamini-Hochberg)")
def emerging_skills(request: Request, _: Reader, f: Selection, fmt: Format = "json", lang: Lang = "it",
                    months: Annotated[int, Query(ge=1, le=24)] = 6,
                    alpha: Annotated[float, Query(gt=0, lt=1)] = 0.05,
                    n: Annotated[int, Query(ge=1, le=500)] = 20) -> Response:
    result = needs_for(request).emerging_skills(f, months=months, alpha=alpha, n=n, lang=lang)
    rows = result.pop("skills")
    return rows_response(rows, fmt, "emerging-skills", {"filters": f.describe(), **result})


@router.get("/skills/cooccurrence", summary="Pairs of skills asked together, with lift")
def cooccurrence(request: Request, _: Reader, f: Selection, fmt: Format = "json", lang: Lang = "it",
                 with_skill: Annotated[str | None, Query(alias="with", max_length=120,
                                                         description="Only pairs with this skill")] = None,
                 n: Annotated[int, Query(ge=1, le=200)] = 30) -> Response:
    rows = needs_for(request).cooccurrence(f, n=n, skill=with_skill, lang=lang)
    return rows_response(rows, fmt, "cooccurrence", {"filters": f.describe()})


@router.get("/cube", summary="Postings and ads by any dimensions")
def cube(request: Request, _: Reader, f: Selection, fmt: Format = "json",
         dims: Annotated[list[str], Query(alias="dim", description=f"Repeatable: {', '.join(DIMENSIONS)}")] = [],  # noqa: B006
         limit: Annotated[int, Query(ge=1, le=100_000)] = 10_000) -> Response:
    try:
        rows = needs_for(request).cube(f, dims, limit=limit)
    except FilterError as exc:
        raise HTTPException(422, str(exc)) from None
    return rows_response(rows, fmt, "cube", {"filters": f.describe(), "dims": dims})


@router.get("/compare", summary="Two selections side by side (the second: vs_territory / vs_sector)")
def compare(request: Request, _: Reader, f: Selection, lang: Lang = "it",
            vs_territory: Annotated[str | None, Query(max_length=80)] = None,
            vs_sector: Annotated[str | None, Query(max_length=4)] = None) -> dict[str, Any]:
    needs = needs_for(request)
    if not vs_territory and not vs_sector:
        raise HTTPException(422, "vs_territory or vs_sector is required")
    try:
        other = needs.filters(territory=vs_territory or f.territory, sector=vs_sector or f.sector,
                              occupation=f.occupation, skill=f.skill, start=f.start, end=f.end, origin=f.origin)
    except FilterError as exc:
        raise HTTPException(422, f"vs_{exc.field}: {exc}") from None
    return needs.compare(f, other, lang=lang)


@router.get("/examples", summary="Anonymised example postings of the selection (one per demand unit)")
def examples(request: Request, _: Reader, f: Selection, fmt: Format = "json", lang: Lang = "it",
             limit: Annotated[int, Query(ge=1, le=50)] = 10) -> Response:
    return rows_response(needs_for(request).examples(f, limit=limit, lang=lang), fmt, "examples",
                         {"filters": f.describe()})


@router.get("/report", summary="Every figure of `regia report needs` for the selection")
def report(request: Request, _: Reader, f: Selection, lang: Lang = "it") -> dict[str, Any]:
    from regia.analytics.report import Selection as ReportSelection
    from regia.analytics.report import build

    return build(needs_for(request), ReportSelection(f, f.territory or "Lombardia"), lang=lang)
