"""The evidence snapshot of a manifestation: the skill needs and the demand/supply mismatch of the chosen
territory and sectors, taken once at submission and frozen with the submitted version (never recomputed).

The figures come from ``regia.analytics``, which this package may not import (imports flow from the domains
to analytics). So the service receives an :class:`EvidenceProvider` — any callable
``(territories, sectors) -> dict`` — from the web/API/CLI layer; the real one is
``regia.analytics.pact_evidence.make_provider(engine)``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from regia.auth import audit


class EvidenceProvider(Protocol):
    def __call__(self, territories: Sequence[str], sectors: Sequence[str]) -> dict[str, Any]:
        """Figures for the territories (NUTS3 codes or province sigle) and sectors (ATECO codes): a JSON-ready
        dict with at least ``sources`` (what the figures were computed from) and ``blocks``."""
        ...


def no_evidence(territories: Sequence[str], sectors: Sequence[str]) -> dict[str, Any]:
    """A provider for when no figures are available (says so in the snapshot)."""
    return {"sources": [], "blocks": [], "note": "no evidence provider configured"}


def provider_for(state: Any, engine: Any) -> EvidenceProvider | None:
    """The provider the app was given (``state.pact_evidence``, set by ``regia.web.app.create_app`` to the
    analytics one on ``engine``); None: submissions carry no figures."""
    del engine  # the provider is bound to the app's engine already
    return getattr(state, "pact_evidence", None)


def snapshot(provider: EvidenceProvider, *, territories: Sequence[str], sectors: Sequence[str],
             now: datetime | None = None) -> dict[str, Any]:
    """Ask the provider once and stamp the answer with its date and the query."""
    taken = (now or datetime.now(UTC)).isoformat()
    figures = audit.jsonable(provider(list(territories), list(sectors))) or {}
    return {"taken_at": taken, "territories": list(territories), "sectors": list(sectors), **figures}


def content_hash(title: str, body: dict[str, Any], evidence: dict[str, Any]) -> str:
    canonical = json.dumps({"title": title, "body": body, "evidence": evidence}, sort_keys=True,
                           ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()
