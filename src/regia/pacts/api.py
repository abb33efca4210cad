"""The pacts' REST API under ``/api/pacts``: calls and proposals, evaluation, programme and monitoring."""

from __future__ import annotations

from fastapi import APIRouter

from regia.pacts import evaluation_api, programme_api, proposal_api

router = APIRouter(prefix="/api/pacts", tags=["pacts"], responses={
    401: {"description": "Not authenticated (problem details)"},
    403: {"description": "Refused by the access policy (problem details)"},
})
for _part in (proposal_api, evaluation_api, programme_api):
    router.include_router(_part.router)
