"""The Fund dashboard (issue 19): what an interprofessional Fund's staff look for first — the courses their
Fund finances in the shared catalogue, and the pact proposals asking for Fund resources (later: the Fund's
agreements and plans, when the programming domain lands). A face over the catalogue and pacts services."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from regia.auth.models import OrgType
from regia.auth.policy import READ, Resource, require
from regia.auth.principal import Principal
from regia.db import request_session

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates" / "fund"
FUND_SOURCE = "fund"  # the pacts' funding source of the Funds' resources

router = APIRouter()
Reader = Annotated[Principal, Depends(require(READ, Resource.ACCOUNT))]
SessionDep = Annotated[Session, Depends(request_session)]


def fund_names(principal: Principal) -> list[str]:
    """The Funds the signed-in user works for (their organisations of type Fund), by name."""
    return sorted({g.organisation_name for g in principal.grants if g.organisation_type == OrgType.FUND
                   and g.organisation_name})


def _asked(body: dict[str, Any] | None) -> Decimal:
    try:
        return Decimal(str(((body or {}).get("requested") or {}).get(FUND_SOURCE) or 0))
    except InvalidOperation:
        return Decimal(0)


@router.get("/fondo", response_class=HTMLResponse, name="fund_dashboard")
def fund_dashboard(request: Request, session: SessionDep, principal: Reader) -> Response:
    """The Fund's courses (with the catalogue filtered on them) and the proposals asking Fund resources; for an
    account of no Fund, a page that says so."""
    from regia.catalog import service as catalog
    from regia.catalog.search import Query
    from regia.pacts import service as pacts

    funds = fund_names(principal)
    courses = {name: catalog.search(request.app.state.engine, Query(funds=[name]), size=5, facets=False)
               for name in funds}
    proposals = []
    if funds:
        rows, _ = pacts.list_visible(session, principal=principal, limit=500)
        proposals = [(p, _asked(p.body)) for p in rows if _asked(p.body) > 0]
    return request.app.state.templates.TemplateResponse(request, "fund/dashboard.html", {
        "funds": funds, "courses": courses, "proposals": proposals}, status_code=200 if funds else 403)
