"""The Region's view of the system: per province and ATECO section, the places offered (the centres' path
places; the firms' placement and apprenticeship seats) against what is needed (the postings of the sector and the
pacts' needs, from the :class:`regia.iefp.seams.DemandProvider`), the apprenticeship contracts started and the
outcomes. Aggregates only: no student appears, not even by pseudonym.

A path counts in the section of its figure's first ATECO code (its main sector); a firm's seat in the section
of the firm's ATECO code. ``places_per_100_postings`` = 100 × (path places + firm seats) / postings.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from regia.auth.policy import READ, Resource
from regia.auth.principal import Principal
from regia.iefp.kit import allow, section_of
from regia.iefp.models import APPRENDISTATO, CentreSeat, FigureVersion, Place, Placement, TrainingPath
from regia.iefp.seams import DemandProvider

LOMBARDY = ("ITC41", "ITC42", "ITC43", "ITC44", "ITC46", "ITC47", "ITC48", "ITC49", "ITC4A", "ITC4B", "ITC4C",
            "ITC4D")
FIELDS = ("path_places", "enrolled", "firm_seats", "apprenticeship_seats", "postings", "pact_needs")


def overview(session: Session, *, principal: Principal, school_year: str,
             demand: DemandProvider | None) -> dict[str, Any]:
    allow(principal, READ, Resource.IEFP_SYSTEM)
    cells: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIELDS, 0))
    for nuts3, ateco, places, enrolled in session.execute(
            select(CentreSeat.nuts3, FigureVersion.ateco, TrainingPath.places, TrainingPath.enrolled)
            .join(CentreSeat, CentreSeat.id == TrainingPath.seat_id)
            .join(FigureVersion, FigureVersion.id == TrainingPath.figure_version_id)
            .where(TrainingPath.school_year == school_year)):
        section = section_of((ateco or ["?"])[0]) or "?"
        cells[(nuts3, section)]["path_places"] += places
        cells[(nuts3, section)]["enrolled"] += enrolled
    for nuts3, ateco, kind, seats in session.execute(
            select(Place.nuts3, Place.ateco, Place.kind, Place.seats)
            .where(Place.school_year == school_year, Place.status != "draft")):
        cell = cells[(nuts3, section_of(ateco) or "?")]
        cell["firm_seats"] += seats
        if kind == APPRENDISTATO:
            cell["apprenticeship_seats"] += seats
    sources: list[str] = []
    if demand is not None:
        provinces = sorted({n for n, _ in cells} | set(LOMBARDY))
        sections = sorted({s for _, s in cells if s != "?"})
        answer = demand(provinces, sections) if sections else {"cells": [], "sources": []}
        sources = list(answer.get("sources", []))
        for c in answer.get("cells", []):
            cell = cells[(c["territory"], c["sector"])]
            cell["postings"] += int(c.get("postings") or 0)
            cell["pact_needs"] += int(c.get("pact_needs") or 0)
    rows = [{"nuts3": n, "section": s, **v, "places_per_100_postings": _ratio(v)}
            for (n, s), v in sorted(cells.items()) if any(v.values())]
    provinces_out: dict[str, dict[str, Any]] = {}
    for row in rows:
        p = provinces_out.setdefault(row["nuts3"], dict.fromkeys(FIELDS, 0))
        for k in FIELDS:
            p[k] += row[k]
    for p in provinces_out.values():
        p["places_per_100_postings"] = _ratio(p)
    return {"school_year": school_year, "rows": rows, "provinces": provinces_out, "demand_available":
            demand is not None, "sources": sources, "contracts": contracts(session, school_year),
            "outcomes": outcomes(session, school_year)}


def _ratio(v: dict[str, int]) -> float | None:
    offered = v["path_places"] + v["firm_seats"]
    return round(100 * offered / v["postings"], 1) if v["postings"] else None


def contracts(session: Session, school_year: str) -> dict[str, Any]:
    """Apprenticeship contracts started (their plan signed), by province; placements by kind and status."""
    by_province: dict[str, int] = defaultdict(int)
    by_kind: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for nuts3, kind, status, started in session.execute(
            select(Placement.nuts3, Placement.kind, Placement.status, Placement.contract_started_at)
            .join(Place, Place.id == Placement.place_id).where(Place.school_year == school_year)):
        by_kind[kind][status] += 1
        if kind == APPRENDISTATO and started is not None:
            by_province[nuts3] += 1
    return {"apprenticeships_started": sum(by_province.values()), "by_province": dict(by_province),
            "by_kind": {k: dict(v) for k, v in by_kind.items()}}


def outcomes(session: Session, school_year: str) -> dict[str, Any]:
    counts: dict[str, int] = defaultdict(int)
    hired = {"co": 0, "declared": 0}
    for outcome, hired_after, source in session.execute(
            select(Placement.outcome, Placement.hired_after, Placement.hired_source)
            .join(Place, Place.id == Placement.place_id).where(Place.school_year == school_year,
                                                               Placement.outcome.is_not(None))):
        counts[outcome] += 1
        if hired_after and source in hired:
            hired[source] += 1
    return {"by_outcome": dict(counts), "hired": hired, "finished": sum(counts.values())}
