"""Route × role rows of the monitoring domain (regia.monitoring): outcome indicators are read by the Region's
staff and analysts and by the Funds' members (their own figures, narrowed by the service); impact evaluation
by the Region's staff and analysts only; the open-data package (aggregates under disclosure control) by anyone.
Evaluators, providers, partnerships, firms, assessors and citizens see none of it."""

from __future__ import annotations

from support.accounts import ALL_ROLES, World

OUTCOME_READERS = frozenset({"region_admin", "region_viewer", "fund_viewer", "fund_editor", "fund_b_editor"})
IMPACT_READERS = frozenset({"region_admin", "region_viewer"})

EXPECTED: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/esiti"): OUTCOME_READERS,
    ("GET", "/esiti/corsi/{course_id}"): OUTCOME_READERS,
    ("GET", "/esiti/cabina"): OUTCOME_READERS,
    ("GET", "/esiti/impatto"): IMPACT_READERS,
    ("GET", "/esiti/impatto/rapporto"): IMPACT_READERS,
    ("GET", "/esiti/impatto/rapporto.pdf"): IMPACT_READERS,
    ("GET", "/api/monitoring/indicators"): OUTCOME_READERS,
    ("GET", "/api/monitoring/indicators.csv"): OUTCOME_READERS,
    ("GET", "/api/monitoring/impact"): IMPACT_READERS,
    ("GET", "/api/monitoring/opendata.zip"): frozenset(ALL_ROLES),
}


def request_kwargs(method: str, path: str, world: World, role: str, csrf: str | None) -> dict[str, object] | None:
    if path.startswith("/esiti/impatto"):
        return {"params": {"outcome": "employed_12m", "method": ["psm", "did"]}}
    if path == "/api/monitoring/impact":
        return {"params": {"outcome": "employed_12m", "method": "ipw"}}
    if path.startswith("/api/monitoring/indicators") or path == "/esiti":
        return {"params": {"by": "province"}}
    return None
