"""What the iefp domain asks of others without importing them: local demand (from analytics) and hirings
(from the CO records of the outcomes work).

- :class:`DemandProvider` — postings and pacts' needs per province × ATECO sector (and, for one path, the
  demand and the gap of the figure's skills). Domains never import ``regia.analytics``; the web app and the CLI
  hand the service the real one, ``regia.analytics.iefp_demand.make_provider(engine)``
  (``app.state.iefp_demand``). Without one, pages say the figures are not available.
- :class:`HiringLookup` — whether a former student was hired after the placement, from the *comunicazioni
  obbligatorie* (CO). The outcomes work (``regia.monitoring``) holds the CO records and offers the lookup
  (``regia.monitoring.service.first_hires``), which the web app binds as ``app.state.iefp_hiring``. Without
  one (a server without the outcomes work) the centre records the outcome itself
  (``hired_source = "declared"``). Records are matched on the student's pseudonym (the keyed hash of the codice
  fiscale, ``regia.auth.pseudonym``, kind ``fiscal_code``), never on the code itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol


class DemandProvider(Protocol):
    def __call__(self, territories: Sequence[str], sectors: Sequence[str], *,
                 occupations: Sequence[str] = (), skills: Sequence[str] = ()) -> dict[str, Any]:
        """Figures for each NUTS3 code × ATECO sector (section letter or two-digit division):
        ``{"sources": [...], "cells": [{"territory", "sector", "postings", "pact_needs", "pacts"}],
        "occupations": {nuts3: postings asking for one of ``occupations`` (CP2011 codes or ESCO URIs)},
        "skills": {nuts3: [{"skill", "label", "demand", "supply", "gap"}]}}`` (skills only when asked for one
        territory)."""
        ...


@dataclass(frozen=True)
class Hire:
    start_date: date
    employer_vat: str | None = None
    contract: str = ""  # CO contract type (e.g. "apprendistato", "tempo indeterminato")
    source: str = "co"


class HiringLookup(Protocol):
    def __call__(self, pseudonyms: Sequence[str], *, after: date) -> Mapping[str, Hire]:
        """The first hiring on or after ``after`` of each person (by pseudonym) the records know of."""
        ...
