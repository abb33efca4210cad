"""The pacts' pages under ``/pacts`` (Italian first): calls and proposals, evaluation, programme and
monitoring. Each part brings its router; templates live in ``templates/``, messages in ``locale/``."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from regia.i18n import N_
from regia.pacts import evaluation_pages, programme_pages, proposal_pages

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
NAV = [("pacts", "pact_calls_page", N_("nav.pacts"))]
PARTS = (proposal_pages, evaluation_pages, programme_pages)

router = APIRouter(prefix="/pacts")
for _part in PARTS:
    router.include_router(_part.router)
