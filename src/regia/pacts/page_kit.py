"""What the pacts' page modules share: rendering one of this package's templates, the redirect after a POST
(303: Post/Redirect/Get), and the names of organisations a user may read."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from regia.auth import service as accounts
from regia.auth.errors import DomainError
from regia.auth.principal import Principal


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    return request.app.state.templates.TemplateResponse(request, f"pacts/{name}", context, status_code=status_code)


def redirect(request: Request, name: str, query: str = "", **params: Any) -> RedirectResponse:
    target = str(request.app.url_path_for(name, **{k: str(v) for k, v in params.items()}))
    return RedirectResponse(f"{target}?{query}" if query else target, status_code=303)


def org_names(session: Session, principal: Principal, ids: set[int]) -> dict[int, str]:
    names = {}
    for org_id in ids:
        try:
            names[org_id] = accounts.get_organisation(session, principal=principal, id=org_id).name
        except DomainError:  # an organisation the user may not read: show its number only
            names[org_id] = f"#{org_id}"
    return names
