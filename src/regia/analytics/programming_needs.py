"""The needs a programming scenario starts from: per Lombard province and skill area (digital, green,
transversal, sector-specific), the distinct posting groups asking at least one skill of that area — the
demand unit of :mod:`regia.analytics.mismatch`. Handed to :mod:`regia.programming` as a provider (programming
does not import analytics): ``app.state.programming_needs`` in the web app, passed explicitly by the CLI."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy import Engine

log = logging.getLogger(__name__)
AREA_SQL = {
    "digital": "bool_or(digital)",
    "green": "bool_or(green)",
    "transversal": "bool_or(transversal)",
    "sector": "bool_or(NOT coalesce(digital, false) AND NOT coalesce(green, false) "
              "AND NOT coalesce(transversal, false))",
}
NeedsProvider = Callable[[Sequence[str] | None], dict[tuple[str, str], int]]


def make_provider(engine: Engine, facts_dir: Path | None = None) -> NeedsProvider:
    def provider(provinces: Sequence[str] | None = None) -> dict[tuple[str, str], int]:
        from regia.analytics.needs import Needs

        needs = Needs(engine, facts_dir)
        try:
            cur = needs.con()
            flags = ", ".join(f"{sql} AS {area}" for area, sql in AREA_SQL.items())
            rows = cur.execute(f"WITH g AS (SELECT nuts3, group_id, {flags} FROM posting_skills "
                               "WHERE nuts3 LIKE 'ITC4%' GROUP BY nuts3, group_id) SELECT nuts3, "
                               + ", ".join(f"count(*) FILTER (WHERE {a})" for a in AREA_SQL)
                               + " FROM g GROUP BY nuts3").fetchall()
        except Exception as exc:  # no facts yet (no postings ingested): no needs
            log.info("no posting facts for the programming needs (%s)", type(exc).__name__)
            return {}
        finally:
            needs.close()
        wanted = set(provinces) if provinces else None
        out: dict[tuple[str, str], int] = {}
        for nuts3, *counts in rows:
            if wanted is None or nuts3 in wanted:
                for area, n in zip(AREA_SQL, counts, strict=True):
                    out[(nuts3, area)] = int(n or 0)
        return out

    return provider
