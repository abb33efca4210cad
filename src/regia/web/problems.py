"""Errors: RFC 9457 problem details (``application/problem+json``) for the API, an error page for the rest.

Domain routers just raise ``HTTPException``; the app turns it into the right shape for the caller. The
problem responses are documented on every API route by :data:`API_ERROR_RESPONSES`.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

API_PREFIX = "/api/"
MACHINE_PREFIXES = (API_PREFIX, "/exchange/")  # the machine-to-machine API (regia.exchange) answers the same way
PROBLEM_MEDIA_TYPE = "application/problem+json"


class Problem(BaseModel):
    """Problem details (RFC 9457)."""

    type: str = Field(default="about:blank", description="URI of the problem type")
    title: str = Field(description="Short summary of the problem type (the HTTP reason phrase)")
    status: int = Field(description="HTTP status code")
    detail: str | None = Field(default=None, description="What went wrong with this request")
    instance: str | None = Field(default=None, description="The request path")
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="Validation errors: location, message and type of each bad parameter")


def _problem_response(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": Problem.model_json_schema()}}}


API_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: _problem_response("Not found (problem details)"),
    422: _problem_response("Invalid parameters (problem details, with `errors`)"),
}


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE


def problem(request: Request, status: int, detail: str | None = None,
            errors: list[dict[str, Any]] | None = None, headers: dict[str, str] | None = None) -> Response:
    body = Problem(title=HTTPStatus(status).phrase, status=status, detail=detail, instance=request.url.path,
                   errors=errors)
    return ProblemResponse(body.model_dump(exclude_none=True), status_code=status, headers=headers)


def wants_problem(request: Request) -> bool:
    """API paths answer with problem JSON; pages and everything else with an HTML error page."""
    path = request.url.path[len(str(request.scope.get("root_path", "")).rstrip("/")):]
    return path.startswith(MACHINE_PREFIXES) or path == "/openapi.json"


def validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    keep = ("loc", "msg", "type")
    return [{k: v for k, v in error.items() if k in keep} for error in jsonable_encoder(exc.errors())]


def http_exception_detail(exc: StarletteHTTPException) -> str | None:
    detail = exc.detail
    return None if detail == HTTPStatus(exc.status_code).phrase else str(detail)
