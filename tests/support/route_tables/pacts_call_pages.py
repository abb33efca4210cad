"""Route × role rows of the Region's call form pages (regia.pacts.proposal_pages): only Region staff write
calls (``pact_call`` write), everyone else is refused the form and its posts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from support.accounts import World

REGION_STAFF = frozenset({"region_admin"})

EXPECTED: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/pacts/calls/new"): REGION_STAFF,
    ("POST", "/pacts/calls"): REGION_STAFF,
    ("GET", "/pacts/calls/{call_id}/edit"): REGION_STAFF,
    ("POST", "/pacts/calls/{call_id}/edit"): REGION_STAFF,
}


def call_form(code: str, *, now: datetime | None = None) -> dict[str, str]:
    """A complete, coherent call form as the page posts it (times as Europe/Rome wall-clock)."""
    start = (now or datetime.now(UTC)).astimezone(ZoneInfo("Europe/Rome")).replace(second=0, microsecond=0)

    def stamp(days: int) -> str:
        return (start + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")

    return {"code": code, "title": "Avviso di prova dalla pagina", "description": "",
            "opens_at": stamp(0), "manifestation_deadline": stamp(30), "evaluation_deadline": stamp(60),
            "programme_deadline": stamp(90), "ends_on": (start + timedelta(days=400)).date().isoformat(),
            "min_partners": "3", "targets": "unemployed", "grid-count": "2", "grid-0-code": "C1",
            "grid-0-label": "Qualità", "grid-0-weight": "1", "grid-0-max_score": "10", "grid-0-threshold": "0",
            "min_total": "0", "aggregation": "average", "max_spread": "0", "min_evaluators": "2",
            "budget-regional": "1000", "max_grant": "", "min_cofinancing_pct": "10"}


def request_kwargs(method: str, path: str, world: World, role: str, csrf: str | None) -> dict[str, object] | None:
    if method != "POST":
        return None
    if path == "/pacts/calls":
        return {"data": {**call_form(f"PAGINA-{role}"), "csrf_token": csrf or ""}}
    if path.startswith("/pacts/calls/") and path.endswith("/edit"):
        return {"data": {**call_form("PAGINA-MODIFICATA"), "version": "1", "csrf_token": csrf or ""}}
    return None
