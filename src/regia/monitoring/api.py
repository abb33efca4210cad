"""The monitoring API under ``/api/monitoring``: indicators (JSON and CSV), impact estimates, the open-data
package. Aggregates only: no route serves a person-level record."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from regia.auth.policy import READ, Resource, public, require
from regia.auth.principal import Principal
from regia.db import request_session
from regia.i18n import gettext
from regia.monitoring import impact, indicators, opendata, service

router = APIRouter(prefix="/api/monitoring", tags=["monitoring"])
OutcomesReader = Annotated[Principal, Depends(require(READ, Resource.OUTCOMES))]
ImpactReader = Annotated[Principal, Depends(require(READ, Resource.IMPACT))]
SessionDep = Annotated[Session, Depends(request_session)]
Dimension = Query("programme", pattern="^(" + "|".join(indicators.DIMENSIONS) + ")$",
                  description="programme, plan_line, funding, fund, province, target_group or course")


def _table(request: Request, session: Session, principal: Principal, by: str, lang: str) -> indicators.Table:
    engine = request.app.state.engine
    return indicators.compute(engine, service.dataset(engine), by=by, funds=service.fund_names(session, principal),
                              lang=lang)


@router.get("/indicators", summary="Outcome indicators per group (a Fund sees its own participations' figures)")
def get_indicators(request: Request, session: SessionDep, principal: OutcomesReader, by: str = Dimension,
                   lang: str = Query("it", pattern="^(it|en)$")) -> dict[str, Any]:
    table = _table(request, session, principal, by, lang)
    return service.jsonable({"by": by, "cutoff": table.cutoff.isoformat(), "synthetic": table.synthetic,
                             "rows": [r.as_dict() for r in table.rows], "total": table.total.as_dict()})


@router.get("/indicators.csv", summary="Outcome indicators per group as CSV", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}})
def get_indicators_csv(request: Request, session: SessionDep, principal: OutcomesReader, by: str = Dimension,
                       lang: str = Query("it", pattern="^(it|en)$")) -> Response:
    table = _table(request, session, principal, by, lang)
    return Response(indicators.to_csv(table, lang), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="esiti-per-{by}.csv"'})


@router.get("/impact", summary="Impact estimate (ATT) of participation on an outcome",
            responses={422: {"description": "No estimate possible: problem details with key, params, message and "
                                            "messaggio", "content": {"application/problem+json": {}}}})
def get_impact(request: Request, principal: ImpactReader,
               outcome: str = Query("employed_12m", pattern="^(" + "|".join(impact.OUTCOMES) + ")$"),
               method: str = Query("psm", pattern="^(" + "|".join(impact.METHODS) + ")$"),
               programme: str | None = Query(None, max_length=120)) -> Any:
    try:
        est = service.estimate(request.app.state.engine, outcome=outcome, method=method, programme=programme)
    except impact.ImpactError as exc:
        message = gettext(exc.key, "en", **exc.params)
        return JSONResponse(status_code=422, media_type="application/problem+json", content={
            "title": "Unprocessable Content", "status": 422, "detail": message, "instance": request.url.path,
            "key": exc.key, "params": exc.params, "message": message,
            "messaggio": gettext(exc.key, "it", **exc.params)})
    return service.estimate_json(est)


@router.get("/opendata.zip", summary="Open data: aggregated indicators with disclosure control (Frictionless)",
            response_class=Response, responses={200: {"content": {"application/zip": {}}}})
def get_opendata(request: Request,
                 _: Annotated[Principal, Depends(public(READ, "open data: aggregates under disclosure control"))]
                 ) -> Response:
    engine = request.app.state.engine
    return Response(opendata.zipped(engine, service.dataset(engine)), media_type="application/zip",
                    headers={"Content-Disposition": 'attachment; filename="regia-esiti-opendata.zip"'})
