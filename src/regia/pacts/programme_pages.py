"""Pages of the pacts' programme (filled in by its issue work)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

MESSAGES: dict[str, dict[str, str]] = {"it": {}, "en": {}}
