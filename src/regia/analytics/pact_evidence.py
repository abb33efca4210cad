"""The evidence a pact proposal carries: skill demand and demand/supply gaps in its territory and sectors,
computed from :mod:`regia.analytics.mismatch` (postings facts + catalogue). Used through
:class:`regia.pacts.evidence.EvidenceProvider`; the pacts service freezes the answer at submission."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from regia.analytics import mismatch as mm

TOP = 10
MAX_TERRITORIES = 12
MAX_SECTORS = 4


def _sector(code: str) -> str | None:
    """The ATECO section letter or 2-digit division that the mismatch tables accept."""
    c = code.strip().upper()
    if len(c) == 1 and c.isalpha():
        return c
    digits = c.split(".")[0]
    return digits.zfill(2) if digits.isdigit() and len(digits) <= 2 else None


def make_provider(engine: Engine, facts_dir: Path | None = None, *, top: int = TOP) -> Any:
    def provider(territories: Sequence[str], sectors: Sequence[str]) -> dict[str, Any]:
        blocks: list[dict[str, Any]] = []
        codes = [s for s in dict.fromkeys(_sector(x) for x in sectors) if s]
        wanted_sectors: Sequence[str | None] = codes[:MAX_SECTORS]
        wanted_territories: Sequence[str | None] = list(dict.fromkeys(territories))[:MAX_TERRITORIES]
        for territory in wanted_territories or [None]:
            for sector in wanted_sectors or [None]:
                try:
                    table = mm.mismatch(engine, territory=territory, sector=sector, limit=100_000,
                                        facts_dir=facts_dir)
                except ValueError as exc:
                    blocks.append({"territory": territory, "sector": sector, "error": str(exc)})
                    continue
                by_demand = sorted(table.rows, key=lambda r: (-r.demand, r.label))[:top]
                by_gap = sorted((r for r in table.rows if r.demand > 0), key=lambda r: (-r.gap, r.label))[:top]
                blocks.append({
                    "territory": table.territory, "territory_label": table.territory_label, "sector": sector,
                    "postings": table.postings, "seats": table.seats,
                    "top_demand": [{"skill": r.skill, "label": r.label, "demand": r.demand,
                                    "demand_share": r.demand_share} for r in by_demand],
                    "top_gaps": [{"skill": r.skill, "label": r.label, "demand": r.demand, "supply": r.supply,
                                  "gap": r.gap, "confidence": r.confidence} for r in by_gap],
                })
        return {"sources": ["postings facts (regia.postings, distinct posting groups)",
                            "catalogo unico (course editions and seats)", "regia.analytics.mismatch"],
                "blocks": blocks}

    return provider
